//! `etcdctl update <key> <value>`: change an existing key.

use crate::cli::{Command, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "update",
    "update an existing key with a given value",
    "<key> <value>",
    &[kc::TTL],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    let value = kc::value(ctx, m)?;
    let mut req = client.keys().update(key, value);
    if let Some(t) = kc::ttl(m) {
        req = req.ttl(t);
    }
    let resp = req.send().await.map_err(|e| kc::failed(ctx, &e))?;
    kc::print(ctx, &resp);
    Ok(())
}
