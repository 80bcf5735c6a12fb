//! `etcdctl member list|add|remove|update`.

use crate::cli::{Command, Matches};
use crate::context::Ctx;
use crate::error::Exit;

/// The group's definition.
pub const DEF: Command = Command::group(
    "member",
    "member add, remove and list subcommands",
    &[
        Command::leaf("list", "enumerate existing cluster members", " ", &[]),
        Command::leaf(
            "add",
            "add a new member to the etcd cluster",
            "<name> <peerURL>",
            &[],
        ),
        Command::leaf(
            "remove",
            "remove an existing member from the etcd cluster",
            "<memberID>",
            &[],
        ),
        Command::leaf(
            "update",
            "update an existing member in the etcd cluster",
            "<memberID> <peerURLs>",
            &[],
        ),
    ],
);

/// Runs subcommand `sub`.
pub async fn run(ctx: &mut Ctx, sub: &str, m: &Matches) -> Result<(), Exit> {
    let _ = (ctx, sub, m);
    Err(Exit(1))
}
