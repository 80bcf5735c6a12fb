//! `etcdctl updatedir <key>`: update an existing directory's TTL.

use crate::cli::{Command, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "updatedir",
    "update an existing directory",
    "<key> <value>",
    &[kc::TTL],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    let mut req = client.keys().update_dir(key);
    if let Some(t) = kc::ttl(m) {
        req = req.ttl(t);
    }
    let resp = req.send().await.map_err(|e| kc::failed(ctx, &e))?;
    if !kc::is_simple(ctx) {
        kc::print(ctx, &resp);
    }
    Ok(())
}
