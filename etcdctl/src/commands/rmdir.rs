//! `etcdctl rmdir <key>`: remove an empty directory (or a key).

use crate::cli::{Command, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "rmdir",
    "removes the key if it is an empty directory or a key-value pair",
    "<key>",
    &[],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    let resp = client
        .keys()
        .rmdir(key)
        .one_shot()
        .send()
        .await
        .map_err(|e| kc::failed(ctx, &e))?;
    if !resp.node.dir || !kc::is_simple(ctx) {
        kc::print(ctx, &resp);
    }
    Ok(())
}
