//! `etcdctl mk <key> <value>`: create a key (or, with `--in-order`, a new key in a directory).

use crate::cli::{Command, Flag, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "mk",
    "make a new key with a given value",
    "<key> <value>",
    &[
        Flag::bool(&["in-order"], "create in-order key under directory <key>"),
        kc::TTL,
    ],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    let value = kc::value(ctx, m)?;
    let result = if m.bool("in-order") {
        let mut req = client.keys().create_in_order(key, value);
        if let Some(t) = kc::ttl(m) {
            req = req.ttl(t);
        }
        req.send().await
    } else {
        // A create is sent once: repeating it elsewhere could report a false 105.
        let mut req = client.keys().create(key, value).one_shot();
        if let Some(t) = kc::ttl(m) {
            req = req.ttl(t);
        }
        req.send().await
    };
    let resp = result.map_err(|e| kc::failed(ctx, &e))?;
    kc::print(ctx, &resp);
    Ok(())
}
