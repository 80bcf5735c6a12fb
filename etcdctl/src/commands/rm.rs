//! `etcdctl rm <key>`: delete a key or directory, optionally compare-and-delete.

use crate::cli::{Command, Flag, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "rm",
    "remove a key or a directory",
    "<key>",
    &[
        Flag::bool(
            &["dir"],
            "removes the key if it is an empty directory or a key-value pair",
        ),
        Flag::bool(
            &["recursive", "r"],
            "removes the key and all child keys(if it is a directory)",
        ),
        Flag::string(&["with-value"], "previous value"),
        Flag::int(&["with-index"], "previous index"),
    ],
);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    // Deletes are sent once, never repeated on another member.
    let mut req = client
        .keys()
        .delete(key)
        .dir(m.bool("dir"))
        .recursive(m.bool("recursive"))
        .one_shot();
    if let Some(pv) = m.string("with-value").filter(|v| !v.is_empty()) {
        req = req.prev_value(pv);
    }
    if let Some(i) = kc::prev_index(m, "with-index") {
        req = req.prev_index(i);
    }
    let resp = req.send().await.map_err(|e| kc::failed(ctx, &e))?;
    if !resp.node.dir || !kc::is_simple(ctx) {
        kc::print(ctx, &resp);
    }
    Ok(())
}
