//! `etcdctl ls [key]`: list a directory.

use std::io::Write;

use etcd_client::Node;

use crate::cli::{Command, Flag, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "ls",
    "retrieve a directory",
    "[key]",
    &[
        Flag::bool(&["sort"], "returns result in sorted order"),
        Flag::bool(
            &["recursive", "r"],
            "returns all key names recursively for the given path",
        ),
        Flag::bool(&["p"], "append slash (/) to directories"),
        Flag::bool(&["quorum", "q"], "require quorum for get request"),
    ],
);

fn walk(out: &mut String, node: &Node, slash: bool) {
    out.push_str(&node.key);
    if node.dir && slash {
        out.push('/');
    }
    out.push('\n');
    for child in &node.nodes {
        walk(out, child, slash);
    }
}

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = m.args.first().cloned().unwrap_or_else(|| "/".to_owned());
    let resp = client
        .keys()
        .get(key)
        .sorted(m.bool("sort"))
        .recursive(m.bool("recursive"))
        .quorum(m.bool("quorum"))
        .send()
        .await
        .map_err(|e| kc::failed(ctx, &e))?;
    if !kc::is_simple(ctx) {
        kc::print(ctx, &resp);
        return Ok(());
    }
    let mut text = String::new();
    if !resp.node.dir {
        text.push_str(&resp.node.key);
        text.push('\n');
    }
    for child in &resp.node.nodes {
        walk(&mut text, child, m.bool("p"));
    }
    let _ = ctx.out().write_all(text.as_bytes());
    Ok(())
}
