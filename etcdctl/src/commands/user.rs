//! `etcdctl user add|get|list|remove|grant|revoke|passwd`.

use crate::cli::{Command, Flag, Matches};
use crate::context::Ctx;
use crate::error::Exit;

const ROLES: &[Flag] = &[Flag::string(&["roles"], "List of roles to grant or revoke")];

/// The group's definition.
pub const DEF: Command = Command::group(
    "user",
    "user add, grant and revoke subcommands",
    &[
        Command::leaf("add", "add a new user for the etcd cluster", "<user>", &[]),
        Command::leaf("get", "get details for a user", "<user>", &[]),
        Command::leaf("list", "list all current users", "<user>", &[]),
        Command::leaf(
            "remove",
            "remove a user for the etcd cluster",
            "<user>",
            &[],
        ),
        Command::leaf("grant", "grant roles to an etcd user", "<user>", ROLES),
        Command::leaf("revoke", "revoke roles for an etcd user", "<user>", ROLES),
        Command::leaf("passwd", "change password for a user", "<user>", &[]),
    ],
);

/// Runs subcommand `sub`.
pub async fn run(ctx: &mut Ctx, sub: &str, m: &Matches) -> Result<(), Exit> {
    let _ = (ctx, sub, m);
    Err(Exit(1))
}
