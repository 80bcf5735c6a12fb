//! `etcdctl exec-watch <key> -- <command> [args...]`: run a command on every change.

use crate::cli::{Command, Flag, Matches};
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "exec-watch",
    "watch a key for changes and exec an executable",
    "<key> <command> [args...]",
    &[
        Flag::int(&["after-index"], "watch after the given index"),
        Flag::bool(
            &["recursive", "r"],
            "watch all values for key and child keys",
        ),
    ],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let _ = (ctx, m);
    Err(Exit(1))
}
