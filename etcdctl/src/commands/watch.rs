//! `etcdctl watch <key>`: wait for a change (or, with `--forever`, every change).

use crate::cli::{Command, Flag, Matches};
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "watch",
    "watch a key for changes",
    "<key>",
    &[
        Flag::bool(&["forever", "f"], "forever watch a key until CTRL+C"),
        Flag::int(&["after-index"], "watch after the given index"),
        Flag::bool(
            &["recursive", "r"],
            "returns all values for key and child keys",
        ),
    ],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let _ = (ctx, m);
    Err(Exit(1))
}
