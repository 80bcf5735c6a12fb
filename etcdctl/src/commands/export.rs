//! `etcdctl export [--output FILE] [key]`: the key space (or a subtree) as
//! JSON (an extension; format in [`crate::dump`]). The read is a quorum read,
//! so the export holds every write acknowledged before it started.

use std::io::Write;

use crate::cli::{Command, Flag, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::dump::{self, Export};
use crate::error::{Exit, EXIT_BAD_ARGS};

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "export",
    "export a subtree (default: everything) as JSON",
    "[key]",
    &[Flag::string(
        &["output", "o"],
        "write to this file instead of stdout (replaced atomically)",
    )],
);

/// The least time an export may take to be answered.
const EXPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let root = m.args.first().cloned().unwrap_or_else(|| "/".to_owned());
    // A large key space takes the server seconds to list: the usual 2 s/5 s
    // limits are for single keys.
    ctx.global.timeout = ctx.global.timeout.max(EXPORT_TIMEOUT);
    ctx.global.total_timeout = ctx.global.total_timeout.max(EXPORT_TIMEOUT);
    let client = ctx.client().await?;
    let resp = client
        .keys()
        .get(root.clone())
        .recursive(true)
        .sorted(true)
        .quorum(true)
        .send()
        .await
        .map_err(|e| kc::failed(ctx, &e))?;
    let mut nodes = Vec::new();
    dump::flatten(&resp.node, &mut nodes);
    let export = Export {
        format: dump::FORMAT.into(),
        etcd_index: resp.headers.etcd_index,
        root: if resp.node.key.is_empty() {
            "/".into()
        } else {
            resp.node.key.clone()
        },
        nodes,
    };
    match m.string("output").filter(|s| !s.is_empty()) {
        None => {
            let mut buf = Vec::new();
            let _ = dump::write(&export, &mut buf);
            let _ = ctx.out().write_all(&buf);
            Ok(())
        }
        Some(path) => write_file(path, &export)
            .map_err(|e| ctx.fail_plain(EXIT_BAD_ARGS, &format!("export: {path}: {e}"))),
    }
}

/// Writes the export to `path` atomically and durably (temporary file,
/// fsync, rename), so a reader never sees half an export.
fn write_file(path: &str, export: &Export) -> std::io::Result<()> {
    let path = std::path::Path::new(path);
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?
        .to_string_lossy();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    etcd_server::raft::durable_file::write_durably_with(dir, &name, |f| dump::write(export, f))
}
