//! Recovery of the raft log at open: every record of every segment is
//! checked, a torn tail is cut off, anything else is an error naming the file
//! (see [`super::wal`] for the format and the rules).

use super::durable_file::{corrupt, remove_if_present, remove_tmp_files};
use super::page_cache;
use super::typ::LogId;
use super::wal::{
    self, decode_record, BadRecord, CommittedFile, Meta, RECORD_HEADER, RECORD_MAGIC, SEGMENT_MAGIC,
};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// What the wal directory holds, checked.
#[derive(Debug)]
pub(super) struct Recovered {
    pub meta: Meta,
    pub committed_file: CommittedFile,
    /// The committed log id, when readable and within the log.
    pub committed: Option<LogId>,
    /// By sequence number; never empty.
    pub segments: Vec<RecoveredSegment>,
    /// The entries after the purge point, in order, with their segment.
    pub live: Vec<(u64, Scanned)>,
}

#[derive(Debug)]
pub(super) struct RecoveredSegment {
    pub seq: u64,
    pub path: PathBuf,
    pub file: File,
    /// The valid length (after a torn tail was cut).
    pub size: u64,
    /// The index of its last record.
    pub last_index: Option<u64>,
}

/// Opens (creating, with a first segment of `segment_size` bytes) the wal
/// directory `dir` and checks all of it.
pub(super) fn recover(dir: &Path, segment_size: u64) -> io::Result<Recovered> {
    std::fs::create_dir_all(dir)?;
    remove_tmp_files(dir)?;
    // A spare segment may be incomplete; a new one is written when needed.
    remove_if_present(&dir.join(wal::SPARE_FILE))?;
    let meta = wal::load_meta(dir)?;
    let (committed_file, committed) = CommittedFile::open(dir)?;
    let purged = meta.last_purged.map(|l| l.index);

    let mut listed = wal::list_segments(dir)?;
    // A new log's first segment, created here, holds nothing to check.
    let mut created = None;
    if listed.is_empty() {
        let (path, file) = wal::create_segment(dir, 1, segment_size)?;
        created = Some(file);
        listed.push((1, path));
    }
    let newest = listed.last().map(|(seq, _)| *seq);
    let mut segments = Vec::new();
    let mut live: Vec<(u64, Scanned)> = Vec::new();
    let mut last_seen: Option<u64> = None;
    for (seq, path) in listed {
        let (file, records, size) = match created.take() {
            Some(file) => (file, Vec::new(), wal::SEGMENT_HEADER),
            None => {
                let file = wal::open_segment(&path)?;
                let (records, size) = scan_segment(&path, &file, Some(seq) == newest, last_seen)?;
                (file, records, size)
            }
        };
        let mut last_index = None;
        for r in records {
            let i = r.log_id.index;
            // Indexes strictly increase; the live ones (after the purge
            // point) are consecutive and start right after it.
            let follows = match (last_seen, purged) {
                (None, None) => true,
                (None, Some(p)) => i <= p + 1,
                (Some(l), None) => i == l + 1,
                (Some(l), Some(p)) if i <= p => i > l,
                (Some(l), Some(p)) => i == l + 1 || (l <= p && i == p + 1),
            };
            if !follows {
                return Err(corrupt(
                    &path,
                    format_args!(
                        "log entry {} at offset {} does not follow entry {:?} (last purged: {:?})",
                        r.log_id, r.offset, last_seen, meta.last_purged
                    ),
                ));
            }
            if purged.map_or(true, |p| i > p) {
                live.push((seq, r));
            }
            last_seen = Some(i);
            last_index = Some(i);
        }
        segments.push(RecoveredSegment {
            seq,
            path,
            file,
            size,
            last_index,
        });
    }

    // Appends go on in the newest segment: what reading it cached goes (see
    // `page_cache`).
    if let Some(newest) = segments.last() {
        page_cache::forget(&newest.path, &newest.file);
    }

    // The committed id is a hint; it must name an entry we hold.
    let committed = committed.filter(|c| {
        let held = match live.last() {
            Some((_, last)) => c.index <= last.log_id.index,
            None => meta.last_purged.is_some_and(|p| c.index <= p.index),
        };
        if !held {
            tracing::warn!(committed = %c, "ignoring a committed log id beyond the end of the log");
        }
        held
    });
    Ok(Recovered {
        meta,
        committed_file,
        committed,
        segments,
        live,
    })
}

/// The batches of the valid records found anywhere in `bytes` (used after a
/// bad record, to tell a torn tail from corruption).
fn batches_of_valid_records(bytes: &[u8]) -> Vec<u64> {
    let mut found = Vec::new();
    let mut pos = 0;
    while pos + RECORD_HEADER <= bytes.len() {
        if bytes[pos..pos + 4] == RECORD_MAGIC {
            if let Ok((len, batch, _)) = decode_record(&bytes[pos..]) {
                found.push(batch);
                pos += len;
                continue;
            }
        }
        pos += 1;
    }
    found
}

/// One record found while scanning a segment.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scanned {
    pub offset: u64,
    pub len: u32,
    pub log_id: LogId,
}

/// Reads and checks segment `path`. `last` says whether it is the newest
/// segment (the only one whose tail may be torn); `prev_index` is the index of
/// the last record of the previous segments. A torn tail is cut off the file.
/// Returns the segment's records and its valid length. Index continuity is
/// the caller's business. Zeros after the last record are the segment's
/// unused preallocated part: they stay, and the valid length ends before them.
pub(super) fn scan_segment(
    path: &Path,
    file: &File,
    last: bool,
    prev_index: Option<u64>,
) -> io::Result<(Vec<Scanned>, u64)> {
    let bytes = wal::read_segment(file)?;
    if bytes.len() < SEGMENT_MAGIC.len() || &bytes[..SEGMENT_MAGIC.len()] != SEGMENT_MAGIC {
        return Err(corrupt(path, "not a wal segment (bad header)"));
    }
    let mut records = Vec::new();
    let mut pos = SEGMENT_MAGIC.len();
    while pos < bytes.len() {
        let bad = match decode_record(&bytes[pos..]) {
            Ok((len, _batch, entry)) => {
                records.push(Scanned {
                    offset: pos as u64,
                    len: len as u32,
                    log_id: entry.log_id,
                });
                pos += len;
                continue;
            }
            Err(bad) => bad,
        };
        if wal::is_unused_tail(&bytes[pos..]) {
            break;
        }
        if let BadRecord::Undecodable(_) = bad {
            return Err(corrupt(path, format_args!("record at offset {pos}: {bad}")));
        }
        if !last {
            return Err(corrupt(
                path,
                format_args!(
                    "record at offset {pos}: {bad} (not the newest segment: acknowledged entries are damaged)"
                ),
            ));
        }
        // The bad record's index, had it been written whole.
        let bad_index = records
            .last()
            .map(|r| r.log_id.index)
            .or(prev_index)
            .map(|i| i + 1);
        let after = batches_of_valid_records(&bytes[pos + 1..]);
        if let Some(&batch) = after.first() {
            let same_batch = after.iter().all(|&b| b == batch);
            if !same_batch || bad_index.is_some_and(|i| batch > i) {
                return Err(corrupt(
                    path,
                    format_args!(
                        "record at offset {pos}: {bad}, followed by {} valid record(s) of later writes: acknowledged entries are damaged",
                        after.len()
                    ),
                ));
            }
        }
        let cut = bytes.len() - pos;
        tracing::warn!(
            file = %path.display(),
            offset = pos,
            bytes_cut = cut,
            reason = %bad,
            "cutting a torn tail off the raft log"
        );
        file.set_len(pos as u64)?;
        file.sync_data()?;
        return Ok((records, pos as u64));
    }
    Ok((records, pos as u64))
}
