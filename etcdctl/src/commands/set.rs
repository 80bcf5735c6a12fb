//! `etcdctl set <key> <value>`: set a key, optionally compare-and-swap.

use crate::cli::{Command, Flag, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command {
    name: "set",
    aliases: &[],
    usage: "set the value of a key",
    args_usage: "<key> <value>",
    description: "Set sets the value of a key.\n\n   When <value> begins with '-', <value> is interpreted as a flag.\n   Insert '--' for workaround:\n\n   $ set -- <key> <value>",
    flags: &[
        kc::TTL,
        Flag::string(&["swap-with-value"], "previous value"),
        Flag::int(&["swap-with-index"], "previous index"),
    ],
    subcommands: &[],
};

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    let value = kc::value(ctx, m)?;
    let mut req = client.keys().set(key, value);
    if let Some(t) = kc::ttl(m) {
        req = req.ttl(t);
    }
    if let Some(pv) = m.string("swap-with-value").filter(|v| !v.is_empty()) {
        req = req.prev_value(pv);
    }
    if let Some(i) = kc::prev_index(m, "swap-with-index") {
        req = req.prev_index(i);
    }
    let resp = req.send().await.map_err(|e| kc::failed(ctx, &e))?;
    kc::print(ctx, &resp);
    Ok(())
}
