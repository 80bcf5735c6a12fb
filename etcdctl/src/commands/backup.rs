//! `etcdctl backup`: a restorable backup of a member's state, from its data
//! directory (stopped or running) or, with `--endpoints`, from a running
//! member over HTTP (an extension of ours). The format and the atomic write
//! are etcd-server's (`etcd_server::backup`); restore with
//! `etcd-server --force-new-cluster --data-dir <backup-dir>`.
//!
//! Quiet for cron: nothing on stdout, nothing on stderr on success unless
//! stderr is a terminal (then a progress bar and a summary line). Failures
//! are one line on stderr in the reference's log format, exit 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use etcd_server::backup::{Backup, BackupError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Command, Flag, Matches};
use crate::context::Ctx;
use crate::error::{Exit, EXIT_BAD_ARGS};

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "backup",
    "backup an etcd directory",
    " ",
    &[
        Flag::string(&["data-dir"], "Path to the etcd data dir"),
        Flag::string(&["wal-dir"], "Path to the etcd wal dir"),
        Flag::string(&["backup-dir"], "Path to the backup dir"),
        Flag::string(&["backup-wal-dir"], "Path to the backup wal dir"),
        Flag::bool(&["with-v3"], "Backup v3 backend data"),
        Flag::string(
            &["endpoints"],
            "Back up a running member at these URLs over HTTP instead of a data dir (comma-separated)",
        ),
    ],
);

/// A line in the reference's log format: `YYYY-MM-DD HH:MM:SS.micro I | text`.
fn log_line(text: &dyn std::fmt::Display) -> String {
    let now = etcd_server::app::now_nanos();
    format!("{} I | {text}", etcd_server::logging::timestamp(now))
}

fn fail(ctx: &mut Ctx, e: &dyn std::fmt::Display) -> Exit {
    ctx.fail_plain(EXIT_BAD_ARGS, &log_line(e))
}

fn nonempty<'a>(m: &'a Matches, name: &str) -> Option<&'a str> {
    m.string(name).filter(|s| !s.is_empty())
}

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let backup_dir = PathBuf::from(m.string("backup-dir").unwrap_or(""));
    let backup_wal_dir = nonempty(m, "backup-wal-dir").map(PathBuf::from);
    let tty = ctx.err().is_tty();
    let backup = match nonempty(m, "endpoints") {
        Some(endpoints) => online(ctx, endpoints).await?,
        None => {
            let data_dir = PathBuf::from(m.string("data-dir").unwrap_or(""));
            let wal_dir = nonempty(m, "wal-dir").map(PathBuf::from);
            offline(data_dir, wal_dir, tty)
                .await
                .map_err(|e| fail(ctx, &e))?
        }
    };
    let target = backup_dir.clone();
    let written = tokio::task::spawn_blocking(move || {
        backup
            .write(&target, backup_wal_dir.as_deref())
            .map(|n| (n, backup))
    })
    .await
    .map_err(|e| fail(ctx, &e))?;
    let (bytes, backup) = written.map_err(|e| fail(ctx, &e))?;
    if tty {
        let shown = if backup_dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &backup_dir
        };
        let _ = writeln!(
            ctx.err(),
            "backed up etcd index {} (raft index {}) into {} ({} bytes)",
            backup.etcd_index(),
            backup.raft_index(),
            shown.display(),
            bytes
        );
    }
    Ok(())
}

/// Reads a data dir (off the async runtime), with a progress bar on a terminal.
async fn offline(
    data_dir: PathBuf,
    wal_dir: Option<PathBuf>,
    tty: bool,
) -> Result<Backup, BackupError> {
    let bar = tty.then(|| {
        let total = dir_size(&data_dir.join("member")) + wal_dir.as_deref().map_or(0, dir_size);
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{spinner} reading {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let shown = bar.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut progress = |entries: u64, bytes: u64| {
            if let Some(bar) = &shown {
                bar.set_position(bytes);
                bar.set_message(format!("{entries} log entries"));
            }
        };
        Backup::from_data_dir(&data_dir, wal_dir.as_deref(), &mut progress)
    })
    .await
    .map_err(|e| BackupError::Io(std::io::Error::other(e)))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

/// Downloads a consistent copy from a running member.
async fn online(ctx: &mut Ctx, endpoints: &str) -> Result<Backup, Exit> {
    ctx.global.endpoints = endpoints.split(',').map(str::to_owned).collect();
    let client = ctx.client().await?;
    let snapshot = client
        .snapshot()
        .await
        .map_err(|e| fail(ctx, &format_args!("backup from {endpoints}: {e}")))?;
    let source = snapshot.endpoint.clone();
    tokio::task::spawn_blocking(move || Backup::from_snapshot(&snapshot.bytes, &source))
        .await
        .map_err(|e| fail(ctx, &e))?
        .map_err(|e| fail(ctx, &e))
}

/// The total size of the files under `dir` (for the progress bar).
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
