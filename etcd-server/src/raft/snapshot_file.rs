//! The snapshot file format and the snapshot directory.
//!
//! One snapshot is one file `<term:020>-<index:020>.snap` (the last applied
//! log id), and the same bytes are what openraft ships to a follower:
//!
//! ```text
//! magic[8] = "EV2SNAP1" | meta_len u32 LE | data_len u64 LE | crc32 u32 LE
//! meta (postcard SnapshotMeta: last applied log id, last membership, id)
//! data (Store::save())
//! crc32 = CRC-32 of (meta_len LE ++ data_len LE ++ meta ++ data)
//! ```
//!
//! A file is written to `<name>.tmp`, fsynced, renamed and the directory
//! fsynced; then the older snapshots are deleted. So the newest `.snap` file
//! is always complete, and a damaged one is corruption, never a torn write.

use super::durable_file::{
    corrupt, cut_down, doom, remove_tmp_files, sync_dir, write_durably, write_durably_gently, Pace,
};
use super::typ::SnapshotMeta;
use std::io;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"EV2SNAP1";
const HEADER: usize = 24;
const SUFFIX: &str = ".snap";

/// Encodes a snapshot file.
pub(super) fn encode(meta: &SnapshotMeta, data: &[u8]) -> io::Result<Vec<u8>> {
    let meta_bytes = postcard::to_allocvec(meta).map_err(io::Error::other)?;
    let mut out = Vec::with_capacity(HEADER + meta_bytes.len() + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(meta_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&meta_bytes);
    out.extend_from_slice(data);
    let crc = checksum(&out);
    out[20..24].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

fn checksum(file: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&file[8..20]);
    h.update(&file[HEADER..]);
    h.finalize()
}

/// Checks and decodes a snapshot file: its meta and the store's bytes.
pub(super) fn decode(bytes: &[u8]) -> Result<(SnapshotMeta, &[u8]), String> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err("not a snapshot file (bad header)".into());
    }
    let meta_len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as u64;
    let data_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
    let body = (bytes.len() - HEADER) as u64;
    if meta_len.checked_add(data_len) != Some(body) {
        return Err(format!(
            "length mismatch: header says {meta_len} + {data_len} bytes, file has {body}"
        ));
    }
    if checksum(bytes) != crc {
        return Err("checksum mismatch".into());
    }
    let (meta_bytes, data) = bytes[HEADER..].split_at(meta_len as usize);
    match postcard::take_from_bytes::<SnapshotMeta>(meta_bytes) {
        Ok((meta, [])) => Ok((meta, data)),
        Ok(_) => Err("trailing bytes after the snapshot meta".into()),
        Err(e) => Err(format!("snapshot meta does not decode: {e}")),
    }
}

/// The file name of the snapshot described by `meta`.
pub(super) fn file_name(meta: &SnapshotMeta) -> String {
    let (term, index) = meta
        .last_log_id
        .map_or((0, 0), |l| (l.leader_id.term, l.index));
    format!("{term:020}-{index:020}{SUFFIX}")
}

/// `(index, term)` of a snapshot file name.
fn parse_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(SUFFIX)?;
    let (term, index) = stem.split_once('-')?;
    let digits = |s: &str| s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(term) || !digits(index) {
        return None;
    }
    Some((index.parse().ok()?, term.parse().ok()?))
}

/// Prepares the snapshot directory (creating it, removing interrupted
/// writes) and lists its snapshot files, oldest first.
pub(super) fn open_dir(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    remove_tmp_files(dir)?;
    list(dir)
}

/// The snapshot files of `dir`, oldest first, without changing anything.
pub(super) fn list_dir(dir: &Path) -> io::Result<Vec<PathBuf>> {
    list(dir)
}

fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        match parse_name(&name.to_string_lossy()) {
            Some(key) => found.push((key, entry.path())),
            None => {
                tracing::warn!(file = %entry.path().display(), "ignoring an unknown file in the snapshot directory")
            }
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// Reads and checks the snapshot file at `path`: its meta, its bytes and
/// where the store's bytes start in them.
pub(super) fn read(path: &Path) -> io::Result<(SnapshotMeta, Vec<u8>, usize)> {
    let bytes = std::fs::read(path)?;
    let (meta, data) = decode(&bytes).map_err(|why| corrupt(path, why))?;
    let start = bytes.len() - data.len();
    Ok((meta, bytes, start))
}

/// How [`persist`] writes a snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Writing {
    /// As fast as the disk takes it: something waits for the file (a
    /// received snapshot, an offline tool).
    AtOnce,
    /// Beside the log's appends, which must not wait for it (a snapshot
    /// built in the background; see [`super::gentle_write`]).
    Gently,
}

/// Durably writes the snapshot file `bytes` (described by `meta`), then
/// renames every other snapshot file to a `*.tmp` (durably: no start reads
/// them again). Returns the new file's path and the renamed files, for the
/// caller to cut down ([`cut_down_all`]): on a disk mounted with `discard`,
/// deleting a large file at once holds up the log's syncs.
pub(super) fn persist(
    dir: &Path,
    meta: &SnapshotMeta,
    bytes: &[u8],
    how: Writing,
) -> io::Result<(PathBuf, Vec<PathBuf>)> {
    let name = file_name(meta);
    match how {
        Writing::AtOnce => write_durably(dir, &name, bytes)?,
        Writing::Gently => write_durably_gently(dir, &name, bytes)?,
    }
    let path = dir.join(&name);
    let doomed = doom_others(dir, &path)?;
    Ok((path, doomed))
}

/// Renames every snapshot file of `dir` but `keep` to a `*.tmp` and makes
/// that durable; returns the renamed files.
pub(super) fn doom_others(dir: &Path, keep: &Path) -> io::Result<Vec<PathBuf>> {
    let mut doomed = Vec::new();
    for old in list(dir)? {
        if old != keep {
            tracing::debug!(file = %old.display(), "removing an older snapshot");
            match doom(&old) {
                Ok(tmp) => doomed.push(tmp),
                Err(e) => {
                    tracing::warn!(file = %old.display(), error = %e, "could not remove an older snapshot")
                }
            }
        }
    }
    if !doomed.is_empty() {
        sync_dir(dir)?;
    }
    Ok(doomed)
}

/// Cuts down and deletes the files [`persist`] or [`doom_others`] renamed.
pub(super) fn cut_down_all(doomed: &[PathBuf], pace: Pace<'_>) {
    for tmp in doomed {
        if let Err(e) = cut_down(tmp, pace) {
            tracing::warn!(file = %tmp.display(), error = %e, "could not remove an older snapshot");
        }
    }
}
