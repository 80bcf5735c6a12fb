//! `etcdctl get <key>`: print a key's value.

use std::io::Write;

use crate::cli::{Command, Flag, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "get",
    "retrieve the value of a key",
    "<key>",
    &[
        Flag::bool(&["sort"], "returns result in sorted order"),
        Flag::bool(&["quorum", "q"], "require quorum for get request"),
    ],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    let resp = client
        .keys()
        .get(key)
        .sorted(m.bool("sort"))
        .quorum(m.bool("quorum"))
        .send()
        .await
        .map_err(|e| kc::failed(ctx, &e))?;
    if resp.node.dir {
        let _ = writeln!(ctx.err(), "{}: is a directory", resp.node.key);
        return Err(Exit(1));
    }
    kc::print(ctx, &resp);
    Ok(())
}
