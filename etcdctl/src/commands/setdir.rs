//! `etcdctl setdir <key>`: create a directory or update its TTL.

use crate::cli::{Command, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "setdir",
    "create a new directory or update an existing directory TTL",
    "<key>",
    &[kc::TTL],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    kc::dir_command(ctx, m, kc::DirWrite::Set).await
}
