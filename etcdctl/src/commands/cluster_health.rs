//! `etcdctl cluster-health`: check every member's health.

use crate::cli::{Command, Flag, Matches};
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "cluster-health",
    "check the health of the etcd cluster",
    " ",
    &[Flag::bool(
        &["forever", "f"],
        "forever check the health every 10 second until CTRL+C",
    )],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let _ = (ctx, m);
    Err(Exit(1))
}
