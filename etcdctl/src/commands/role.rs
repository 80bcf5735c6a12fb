//! `etcdctl role add|get|list|remove|grant|revoke`.

use crate::cli::{Command, Flag, Matches};
use crate::context::Ctx;
use crate::error::Exit;

const GRANT: &[Flag] = &[
    Flag::string(&["path"], "Path granted for the role to access"),
    Flag::bool(&["read"], "Grant read-only access"),
    Flag::bool(&["write"], "Grant write-only access"),
    Flag::bool(&["readwrite", "rw"], "Grant read-write access"),
];

const REVOKE: &[Flag] = &[
    Flag::string(&["path"], "Path revoked for the role to access"),
    Flag::bool(&["read"], "Revoke read access"),
    Flag::bool(&["write"], "Revoke write access"),
    Flag::bool(&["readwrite", "rw"], "Revoke read-write access"),
];

/// The group's definition.
pub const DEF: Command = Command::group(
    "role",
    "role add, grant and revoke subcommands",
    &[
        Command::leaf("add", "add a new role for the etcd cluster", "<role> ", &[]),
        Command::leaf("get", "get details for a role", "<role>", &[]),
        Command::leaf("list", "list all roles", " ", &[]),
        Command::leaf(
            "remove",
            "remove a role from the etcd cluster",
            "<role>",
            &[],
        ),
        Command::leaf(
            "grant",
            "grant path matches to an etcd role",
            "<role>",
            GRANT,
        ),
        Command::leaf(
            "revoke",
            "revoke path matches for an etcd role",
            "<role>",
            REVOKE,
        ),
    ],
);

/// Runs subcommand `sub`.
pub async fn run(ctx: &mut Ctx, sub: &str, m: &Matches) -> Result<(), Exit> {
    let _ = (ctx, sub, m);
    Err(Exit(1))
}
