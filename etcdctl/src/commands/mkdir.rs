//! `etcdctl mkdir <key>`: create a directory.

use crate::cli::{Command, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf("mkdir", "make a new directory", "<key>", &[kc::TTL]);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    kc::dir_command(ctx, m, kc::DirWrite::Make).await
}
