//! A member's data directory seen from outside raft: loading its state
//! without changing any file (backups may read a running member's directory),
//! and writing the directory layouts of a backup and of a restored member.
//!
//! Loading takes the newest snapshot and applies every entry of the log after
//! it, as the member itself would at start. A running member keeps writing
//! while we read, so:
//!
//! - the first bad record of the newest segment ends the log (a write still in
//!   progress, or a torn tail), exactly as recovery treats it;
//! - a file that disappears, or a log that no longer continues the snapshot
//!   (a newer snapshot was taken and the log purged behind it), makes the load
//!   start over from the newest snapshot, a few times;
//! - any other damage is an error naming the file, never a silent gap.

use super::durable_file::{corrupt, remove_if_present, remove_tmp_files, sync_dir, Pace};
use super::snapshot_file;
use super::state_machine::apply_entry;
use super::typ::{LogId, SnapshotMeta, StoredMembership, Vote};
use super::wal::{self, decode_record, BadRecord, Meta, SEGMENT_MAGIC};
use crate::store::{NoWatchers, Store};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

/// How often a load of a changing directory is started over.
const ATTEMPTS: usize = 5;

/// The state of a data directory: its store and the raft position it is at.
#[derive(Debug)]
pub struct Loaded {
    /// The last log entry applied (`None` for an empty directory).
    pub last_log_id: Option<LogId>,
    /// The last membership the directory knew.
    pub membership: StoredMembership,
    pub store: Store,
    /// Log entries applied after the snapshot.
    pub entries: u64,
    /// Bytes read (snapshot and log).
    pub bytes: u64,
}

/// Progress of a load: `(entries applied, bytes read)` so far.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Why an attempt must start over (the directory changed under it).
pub(super) enum Retry {
    Again(String),
    Fail(io::Error),
}

impl From<io::Error> for Retry {
    fn from(e: io::Error) -> Retry {
        if e.kind() == io::ErrorKind::NotFound {
            Retry::Again(e.to_string())
        } else {
            Retry::Fail(e)
        }
    }
}

/// Loads the state of the member whose snapshots are in `snap_dir` and whose
/// log is in `wal_dir`, changing nothing on disk.
pub fn load(snap_dir: &Path, wal_dir: &Path, progress: Progress<'_>) -> io::Result<Loaded> {
    retrying(
        || load_once(snap_dir, wal_dir, &mut *progress),
        || names(snap_dir, wal_dir),
    )
}

/// Runs `attempt` until it succeeds, fails for good, or [`ATTEMPTS`] have
/// found the directory changing; `names` lists the directory's files.
pub(super) fn retrying<T>(
    mut attempt: impl FnMut() -> Result<T, Retry>,
    mut names: impl FnMut() -> Vec<OsString>,
) -> io::Result<T> {
    let mut last_reason = String::new();
    for _ in 0..ATTEMPTS {
        let files = names();
        match attempt() {
            Ok(loaded) => return Ok(loaded),
            // A running server deletes purged segments and older snapshots by
            // renaming them and cutting them down while this reads: what looks
            // damaged may just have been deleted under the read.
            Err(Retry::Fail(e)) if names() != files => {
                tracing::debug!(error = %e, "files of the data dir changed while they were read; reading it again");
                last_reason = e.to_string();
            }
            Err(Retry::Fail(e)) => return Err(e),
            Err(Retry::Again(why)) => {
                tracing::debug!(reason = %why, "the data dir changed while it was read; reading it again");
                last_reason = why;
            }
        }
    }
    Err(io::Error::other(format!(
        "the data dir kept changing while it was read ({last_reason})"
    )))
}

/// The names of the files in `snap_dir` and `wal_dir` (unreadable
/// directories list nothing).
fn names(snap_dir: &Path, wal_dir: &Path) -> Vec<OsString> {
    let mut all: Vec<_> = [snap_dir, wal_dir]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().into_os_string()))
        .collect();
    all.sort();
    all
}

fn load_once(snap_dir: &Path, wal_dir: &Path, progress: Progress<'_>) -> Result<Loaded, Retry> {
    let mut loaded = Loaded {
        last_log_id: None,
        membership: StoredMembership::default(),
        store: Store::new(),
        entries: 0,
        bytes: 0,
    };
    if let Some(newest) = snapshot_file::list_dir(snap_dir)?.pop() {
        let (meta, bytes, start) = snapshot_file::read(&newest)?;
        loaded.store =
            Store::restore(&bytes[start..]).map_err(|e| Retry::Fail(corrupt(&newest, e)))?;
        loaded.last_log_id = meta.last_log_id;
        loaded.membership = meta.last_membership;
        loaded.bytes = bytes.len() as u64;
        progress(0, loaded.bytes);
    }
    let meta = wal::load_meta(wal_dir).map_err(Retry::Fail)?;
    let segments = wal::list_segments(wal_dir)?;
    let base = loaded.last_log_id.map(|l| l.index);
    if loaded.last_log_id.is_none() && meta.last_purged.is_some() {
        // The log was purged behind a snapshot we did not see.
        return Err(Retry::Again(format!(
            "{}: the log starts after {:?} but there is no snapshot",
            wal_dir.display(),
            meta.last_purged
        )));
    }
    let newest = segments.last().map(|(seq, _)| *seq);
    for (seq, path) in &segments {
        let bytes = wal::read_segment(&std::fs::File::open(path)?)?;
        loaded.bytes += bytes.len() as u64;
        if bytes.len() < SEGMENT_MAGIC.len() || &bytes[..SEGMENT_MAGIC.len()] != SEGMENT_MAGIC {
            if Some(*seq) == newest {
                // Being created: nothing in it is durable yet.
                break;
            }
            return Err(Retry::Fail(corrupt(path, "not a wal segment (bad header)")));
        }
        let mut pos = SEGMENT_MAGIC.len();
        while pos < bytes.len() {
            let (len, entry) = match decode_record(&bytes[pos..]) {
                Ok((len, _batch, entry)) => (len, entry),
                Err(_) if wal::is_unused_tail(&bytes[pos..]) => break,
                Err(BadRecord::Invalid(_)) if Some(*seq) == newest => break,
                Err(bad) => {
                    return Err(Retry::Fail(corrupt(
                        path,
                        format_args!("record at offset {pos}: {bad}"),
                    )))
                }
            };
            pos += len;
            let index = entry.log_id.index;
            if base.is_some_and(|b| index <= b) {
                continue;
            }
            let expected = loaded.last_log_id.map_or(0, |l| l.index + 1);
            let starts_log = loaded.last_log_id.is_none() && meta.last_purged.is_none();
            if index != expected && !(starts_log && loaded.entries == 0) {
                return Err(Retry::Again(format!(
                    "{}: log entry {} does not follow {:?}",
                    path.display(),
                    entry.log_id,
                    loaded.last_log_id
                )));
            }
            apply_entry(
                &mut loaded.store,
                &mut loaded.last_log_id,
                &mut loaded.membership,
                entry,
                &mut NoWatchers,
            );
            loaded.entries += 1;
            if loaded.entries % 4096 == 0 {
                progress(loaded.entries, loaded.bytes);
            }
        }
    }
    progress(loaded.entries, loaded.bytes);
    Ok(loaded)
}

/// The snapshot file bytes of `store` at `meta`.
pub fn encode_snapshot(meta: &SnapshotMeta, store: &[u8]) -> io::Result<Vec<u8>> {
    snapshot_file::encode(meta, store)
}

/// Checks and decodes snapshot file bytes: the meta and the store's bytes.
pub fn decode_snapshot(bytes: &[u8]) -> Result<(SnapshotMeta, &[u8]), String> {
    snapshot_file::decode(bytes)
}

/// The file name a snapshot at `meta` gets in a snapshot directory.
pub fn snapshot_file_name(meta: &SnapshotMeta) -> String {
    snapshot_file::file_name(meta)
}

/// Makes `wal_dir` an empty log that starts after `last` with `vote`: the
/// log of a member restored from a snapshot at `last`. Old segments go.
pub fn reset_log(wal_dir: &Path, last: LogId, vote: Vote) -> io::Result<()> {
    std::fs::create_dir_all(wal_dir)?;
    remove_tmp_files(wal_dir)?;
    wal::save_meta(
        wal_dir,
        &Meta {
            vote: Some(vote),
            last_purged: Some(last),
        },
    )?;
    for (_, path) in wal::list_segments(wal_dir)? {
        std::fs::remove_file(&path)?;
    }
    remove_if_present(&wal_dir.join(wal::COMMITTED_FILE))?;
    sync_dir(wal_dir)
}

/// Durably writes a snapshot file into `snap_dir` and deletes the others.
pub fn install_snapshot(snap_dir: &Path, meta: &SnapshotMeta, bytes: &[u8]) -> io::Result<PathBuf> {
    std::fs::create_dir_all(snap_dir)?;
    remove_tmp_files(snap_dir)?;
    let (path, doomed) =
        snapshot_file::persist(snap_dir, meta, bytes, snapshot_file::Writing::AtOnce)?;
    // An offline tool: nothing else runs, one unlink.
    snapshot_file::cut_down_all(&doomed, Pace::AtOnce);
    Ok(path)
}
