//! `etcdctl auth enable|disable`.

use crate::cli::{Command, Matches};
use crate::context::Ctx;
use crate::error::Exit;

/// The group's definition.
pub const DEF: Command = Command::group(
    "auth",
    "overall auth controls",
    &[
        Command::leaf("enable", "enable auth access controls", " ", &[]),
        Command::leaf("disable", "disable auth access controls", " ", &[]),
    ],
);

/// Runs subcommand `sub`.
pub async fn run(ctx: &mut Ctx, sub: &str, m: &Matches) -> Result<(), Exit> {
    let _ = (ctx, sub, m);
    Err(Exit(1))
}
