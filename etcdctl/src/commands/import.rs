//! `etcdctl import [file]`: loads a JSON export (from `etcdctl export`, format
//! in [`crate::dump`]) into the cluster: directories first, in order, then
//! the keys, many requests in flight. Values, directories and TTLs are kept;
//! indexes are the target cluster's. Existing keys are overwritten. Quiet on
//! success unless stderr is a terminal.

use std::io::{Read, Write};
use std::sync::Arc;

use etcd_client::{Client, Error, ErrorCode};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cli::{Command, Matches};
use crate::context::Ctx;
use crate::dump::{self, Entry};
use crate::error::{Exit, EXIT_BAD_ARGS, EXIT_SERVER_ERROR};

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "import",
    "import a JSON export (from 'etcdctl export') into the cluster",
    "[file]",
    &[],
);

/// Requests in flight while keys are written.
const IN_FLIGHT: usize = 64;
/// Failures listed one by one before the rest is only counted.
const LISTED: usize = 10;

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let source = m.args.first().cloned().unwrap_or_else(|| "-".to_owned());
    let text = if source == "-" {
        ctx.read_stdin()
    } else {
        let mut s = String::new();
        std::fs::File::open(&source)
            .and_then(|mut f| f.read_to_string(&mut s))
            .map_err(|e| ctx.fail_plain(EXIT_BAD_ARGS, &format!("import: {source}: {e}")))?;
        s
    };
    let export = dump::parse(&text)
        .map_err(|why| ctx.fail_plain(EXIT_BAD_ARGS, &format!("import: {source}: {why}")))?;
    let client = ctx.client().await?;
    let (dirs, keys): (Vec<Entry>, Vec<Entry>) = export.nodes.into_iter().partition(|e| e.dir);
    let key_count = keys.len();
    let mut failures: Vec<(String, Error)> = Vec::new();
    for dir in &dirs {
        if let Err(e) = make_dir(&client, dir).await {
            failures.push((dir.key.clone(), e));
        }
    }
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for entry in keys {
        let permit = gate.clone().acquire_owned().await.expect("never closed");
        let client = client.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let mut req = client
                .keys()
                .set(entry.key.clone(), entry.value.clone().unwrap_or_default());
            if let Some(ttl) = entry.ttl {
                req = req.ttl(ttl.max(1) as u64);
            }
            req.send().await.map(|_| ()).map_err(|e| (entry.key, e))
        });
        while let Some(done) = tasks.try_join_next() {
            if let Ok(Err(f)) = done {
                failures.push(f);
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(f)) = done {
            failures.push(f);
        }
    }
    if !failures.is_empty() {
        failures.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, e) in failures.iter().take(LISTED) {
            let _ = writeln!(ctx.err(), "Error:  {key}: {e}");
        }
        if failures.len() > LISTED {
            let _ = writeln!(
                ctx.err(),
                "Error:  ... and {} more failures",
                failures.len() - LISTED
            );
        }
        return Err(Exit(EXIT_SERVER_ERROR));
    }
    if ctx.err().is_tty() {
        let _ = writeln!(
            ctx.err(),
            "imported {} directories and {} keys from {source}",
            dirs.len(),
            key_count
        );
    }
    Ok(())
}

/// Creates a directory (with its TTL); an existing directory is kept and
/// only given the TTL.
async fn make_dir(client: &Client, dir: &Entry) -> Result<(), Error> {
    let mut req = client.keys().mkdir(dir.key.clone());
    if let Some(ttl) = dir.ttl {
        req = req.ttl(ttl.max(1) as u64);
    }
    match req.send().await {
        Ok(_) => Ok(()),
        Err(Error::Api(e)) if e.code == ErrorCode::NODE_EXIST => match dir.ttl {
            Some(ttl) => client
                .keys()
                .update_dir(dir.key.clone())
                .ttl(ttl.max(1) as u64)
                .send()
                .await
                .map(|_| ()),
            None => Ok(()),
        },
        Err(e) => Err(e),
    }
}
