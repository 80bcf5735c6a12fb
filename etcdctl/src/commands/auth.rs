//! `etcdctl auth enable|disable`.

use std::io::Write;

use crate::cli::{Command, Matches};
use crate::commands::auth_common::{self as ac, error_text};
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
    let enable = match sub {
        "enable" => true,
        "disable" => false,
        other => unreachable!("auth has no subcommand {other:?}"),
    };
    ac::no_args(ctx, m)?;
    let client = ac::client(ctx).await?;
    let result = if enable {
        client.auth().enable().await
    } else {
        client.auth().disable().await
    };
    result.map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let done = if enable { "Enabled" } else { "Disabled" };
    let _ = writeln!(ctx.out(), "Authentication {done}");
    Ok(())
}
