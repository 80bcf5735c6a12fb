//! The on-disk format of the raft log (recovery at open: [`super::wal_recovery`]).
//!
//! The log directory holds:
//!
//! - segment files `<seq:020>.wal`: an 8-byte header ([`SEGMENT_MAGIC`]) then
//!   records, appended only. A segment is created at the full segment size
//!   with its unused part already written as zeros ([`create_segment`]): an
//!   append's fdatasync then has neither a new file size nor newly written
//!   blocks to record, only the data. Each record is one log entry:
//!
//!   ```text
//!   magic u32 LE | len u32 LE | crc32 u32 LE | payload (len bytes)
//!   payload = postcard((batch: u64, entry: Entry))
//!   crc32   = CRC-32 of (len LE ++ payload)
//!   ```
//!
//!   `batch` is the index of the first entry of the `append` call that wrote
//!   the record: every record of one call carries the same value. A call's
//!   records are written together and covered by one fdatasync, and the next
//!   call starts only after that sync, so at most the last batch of the last
//!   segment can be torn by a crash. A new segment is created (header written,
//!   fsynced, renamed, directory fsynced) only between batches;
//! - `meta`: the vote and the last purged log id, replaced atomically and
//!   durably (see [`super::durable_file`]);
//! - `committed`: the last committed log id, overwritten in place without
//!   fsync (an optimisation; ignored when unreadable);
//! - `next.spare` ([`SPARE_FILE`]), at times: the next segment being written
//!   ahead of need (see [`super::wal_spare`]); removed at open.
//!
//! At open every record is checked. Zeros from a record boundary to the end
//! of a segment are its unused preallocated part, not damage (a record starts
//! with a non-zero magic; acknowledged entries lost to zeros in an older
//! segment still show as a gap in the indexes). The first bad record of the last segment
//! is a torn tail when nothing valid follows it, or only records of the batch
//! it belongs to (pages of one unsynced write can land in any order): the tail
//! is logged and cut off. Anything else (a bad record in an older segment, or
//! followed by records of a later batch, a record whose checksum holds but
//! does not decode, a gap or a step back in the indexes) is corruption of
//! acknowledged entries and makes the open fail with an error naming the file.

use super::durable_file::{corrupt, sync_dir, write_durably};
use super::gentle_write::{write_gently, Data};
use super::page_cache;
use super::typ::{Entry, LogId, Vote};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// The first bytes of every segment file (format version 1).
pub(super) const SEGMENT_MAGIC: &[u8; 8] = b"EV2WAL\x00\x01";
/// The segment header's length: the first record's offset.
pub(super) const SEGMENT_HEADER: u64 = SEGMENT_MAGIC.len() as u64;
/// The first bytes of every record.
pub(super) const RECORD_MAGIC: [u8; 4] = [0xE7, 0xCD, 0x57, 0xA1];
/// magic + len + crc.
pub(super) const RECORD_HEADER: usize = 12;
/// Larger records are taken for garbage (a record is one log entry).
const MAX_RECORD: usize = 1 << 30;

/// The name of the file holding the vote and the last purged log id.
pub(super) const META_FILE: &str = "meta";
const META_MAGIC: &[u8; 8] = b"EV2META1";
/// The name of the file holding the last committed log id.
pub(super) const COMMITTED_FILE: &str = "committed";
/// The committed record is always written as this many bytes.
const COMMITTED_SIZE: usize = 64;

/// The file name of segment `seq`.
pub(super) fn segment_name(seq: u64) -> String {
    format!("{seq:020}.wal")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".wal")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segment files of `dir`, by sequence number.
pub(super) fn list_segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut segs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        match parse_segment_name(&name) {
            Some(seq) => segs.push((seq, entry.path())),
            None if name == META_FILE || name == COMMITTED_FILE || name == SPARE_FILE => {}
            None => {
                tracing::warn!(file = %entry.path().display(), "ignoring an unknown file in the wal directory")
            }
        }
    }
    segs.sort();
    Ok(segs)
}

/// Durably creates the empty segment `seq`, `size` bytes long with its
/// unused part written as zeros, and opens it for reading and writing.
pub(super) fn create_segment(dir: &Path, seq: u64, size: u64) -> io::Result<(PathBuf, File)> {
    let file = write_spare(dir, size, Pace::Full)?;
    let path = install_spare(dir, seq)?;
    Ok((path, file))
}

/// The next segment while it is being written, before it gets its name.
pub(super) const SPARE_FILE: &str = "next.spare";

/// Writes [`SPARE_FILE`]: the segment header, then zeros up to `size` (see
/// [`fill_with_zeros`]), synced. [`install_spare`] makes it a segment.
pub(super) fn write_spare(dir: &Path, size: u64, pace: Pace<'_>) -> io::Result<File> {
    let path = dir.join(SPARE_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    file.write_all_at(SEGMENT_MAGIC, 0)?;
    if !fill_with_zeros(&path, &file, size, pace)? {
        file.sync_all()?;
    }
    Ok(file)
}

/// How fast [`fill_with_zeros`] writes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Pace<'a> {
    /// As fast as the disk takes it: something waits for the segment.
    Full,
    /// In the background, so that the syncs of appends meanwhile seldom
    /// queue behind zeros (see [`super::gentle_write`]). Stops with an
    /// `Interrupted` error once the flag is set.
    Background(&'a AtomicBool),
}

/// Durably renames [`SPARE_FILE`] to segment `seq`; returns its path.
pub(super) fn install_spare(dir: &Path, seq: u64) -> io::Result<PathBuf> {
    let path = dir.join(segment_name(seq));
    std::fs::rename(dir.join(SPARE_FILE), &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// Extends segment `file` to `size` bytes with zeros that are written, not
/// only reserved, then syncs it; returns whether it did (see
/// [`preallocate`] for when it cannot).
///
/// Why written: an append into blocks that are reserved but were never
/// written makes its fdatasync also record that they now hold data (an
/// extent change, a second write per sync). Into written blocks it syncs the
/// data alone. Measured on ext4: 3 to 7 KiB appends (a batch of concurrent
/// writes) with fdatasync took 135-165 µs against 180-215 µs. The cost is
/// one sequential write of the segment, about 45 ms for 64 MiB, done ahead
/// of need for every segment but the first.
pub(super) fn fill_with_zeros(
    path: &Path,
    file: &File,
    size: u64,
    pace: Pace<'_>,
) -> io::Result<bool> {
    let start = file.metadata()?.len();
    if !preallocate(path, file, size)? {
        return Ok(false);
    }
    match pace {
        Pace::Full => {
            /// Written this much at a time.
            const CHUNK: usize = 1 << 20;
            let zeros = vec![0u8; CHUNK];
            let mut at = start;
            while at < size {
                let n = usize::try_from(size - at).map_or(CHUNK, |left| left.min(CHUNK));
                file.write_all_at(&zeros[..n], at)?;
                at += n as u64;
            }
        }
        Pace::Background(stop) => {
            let zeros = Data::Zeros(size - start);
            write_gently(path, file, start, zeros, Some(stop)).map_err(stopped)?;
        }
    }
    file.sync_data()?;
    page_cache::forget(path, file);
    Ok(true)
}

fn stopped(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::Interrupted {
        io::Error::new(e.kind(), "stopped preparing the next segment")
    } else {
        e
    }
}

/// Makes segment `file` at least `size` bytes long, the new part zeros and
/// its blocks reserved, then syncs the file (its length included). Returns
/// whether it did. Where the file system cannot (no `fallocate`, or no space
/// left for the whole segment), the segment simply grows with its records,
/// as every append would then find out.
pub(super) fn preallocate(path: &Path, file: &File, size: u64) -> io::Result<bool> {
    if file.metadata()?.len() >= size {
        return Ok(false);
    }
    match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), 0, size) {
        Ok(()) => file.sync_all().map(|()| true),
        Err(e) => {
            tracing::debug!(file = %path.display(), error = %e, "cannot preallocate a wal segment; it grows as it is written");
            Ok(false)
        }
    }
}

/// The bytes of a segment that can hold records. Its records are read whole
/// by the lengths their headers declare (whether they are valid is for the
/// caller to check). What follows them is left out when it is zeros only
/// (the unused part of the segment: a tail the file system reports as a
/// hole is not even read, written zeros are read a chunk at a time and not
/// kept); otherwise (a torn write, or damage) it is all kept, for the caller
/// to judge.
pub(super) fn read_segment(file: &File) -> io::Result<Vec<u8>> {
    let len = file.metadata()?.len();
    let end = usize::try_from(data_end(file, len)).map_err(io::Error::other)?;
    // Only what is read in touches memory: the rest of the capacity is not.
    let mut bytes = Vec::with_capacity(end);
    let mut pos = SEGMENT_HEADER as usize;
    while read_to(file, &mut bytes, pos + RECORD_HEADER, end)? {
        let Ok(len) = declared_len(&bytes[pos..]) else {
            break;
        };
        let next = pos + RECORD_HEADER + len;
        if !read_to(file, &mut bytes, next, end)? {
            break;
        }
        pos = next;
    }
    let after = bytes.get(pos..).unwrap_or_default();
    if is_unused_tail(after) && zeros_only(file, bytes.len(), end)? {
        bytes.truncate(pos);
    } else {
        read_to(file, &mut bytes, end, end)?;
    }
    Ok(bytes)
}

/// Segments are read this much at a time.
const READ_CHUNK: usize = 1 << 20;

/// Reads `file` on from `bytes.len()` (a chunk or more at a time, never past
/// `end`) until `bytes` holds `target` bytes; false when the file ends first.
fn read_to(file: &File, bytes: &mut Vec<u8>, target: usize, end: usize) -> io::Result<bool> {
    while bytes.len() < target {
        let from = bytes.len();
        if from >= end {
            return Ok(false);
        }
        bytes.resize(end.min(target.max(from + READ_CHUNK)), 0);
        let n = read_at_most(file, &mut bytes[from..], from as u64)?;
        bytes.truncate(from + n);
        if n == 0 {
            // Shorter than it was (a live member cut it).
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `file` holds only zeros from `from` to `end`, read a chunk at a
/// time into one buffer.
fn zeros_only(file: &File, mut from: usize, end: usize) -> io::Result<bool> {
    let mut chunk = vec![0u8; READ_CHUNK.min(end.saturating_sub(from))];
    while from < end {
        let want = chunk.len().min(end - from);
        let n = read_at_most(file, &mut chunk[..want], from as u64)?;
        if n == 0 {
            break;
        }
        if !is_unused_tail(&chunk[..n]) {
            return Ok(false);
        }
        from += n;
    }
    Ok(true)
}

/// Fills `buf` from `file` at `offset` as far as the file goes; returns how
/// much it read.
fn read_at_most(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Where the data of `file` (`len` bytes long) ends: the start of its first
/// hole when nothing but holes follows it, else `len`.
fn data_end(file: &File, len: u64) -> u64 {
    use rustix::fs::{seek, SeekFrom};
    let hole = match seek(file, SeekFrom::Hole(0)) {
        Ok(h) if h < len => h,
        _ => return len,
    };
    match seek(file, SeekFrom::Data(hole)) {
        Err(rustix::io::Errno::NXIO) => hole,
        _ => len,
    }
}

/// Whether `bytes` (what follows the last record of a segment) is the unused
/// preallocated part of the segment: zeros only.
pub(super) fn is_unused_tail(bytes: &[u8]) -> bool {
    // Compared a page at a time (memcmp): a whole unused segment is 64 MiB.
    const ZEROS: [u8; 4096] = [0; 4096];
    bytes.chunks(ZEROS.len()).all(|c| c == &ZEROS[..c.len()])
}

pub(super) fn open_segment(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

/// Appends the record of `entry` (written by the batch starting at `batch`)
/// to `buf`; returns the record's length.
pub(super) fn encode_record(buf: &mut Vec<u8>, batch: u64, entry: &Entry) -> io::Result<u32> {
    let start = buf.len();
    buf.extend_from_slice(&[0; RECORD_HEADER]);
    let mut out = std::mem::take(buf);
    out = postcard::to_extend(&(batch, entry), out)
        .map_err(|e| io::Error::other(format!("encoding log entry {}: {e}", entry.log_id)))?;
    *buf = out;
    let len = buf.len() - start - RECORD_HEADER;
    if len > MAX_RECORD {
        buf.truncate(start);
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("log entry {} is too large ({len} bytes)", entry.log_id),
        ));
    }
    let len_le = (len as u32).to_le_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_le);
    crc.update(&buf[start + RECORD_HEADER..]);
    let header = &mut buf[start..start + RECORD_HEADER];
    header[..4].copy_from_slice(&RECORD_MAGIC);
    header[4..8].copy_from_slice(&len_le);
    header[8..].copy_from_slice(&crc.finalize().to_le_bytes());
    Ok((RECORD_HEADER + len) as u32)
}

/// Why the bytes at some offset are not a record.
#[derive(Debug)]
pub(super) enum BadRecord {
    /// Not a record at all (short, wrong magic, impossible length, checksum
    /// mismatch): possibly a torn write.
    Invalid(&'static str),
    /// The checksum holds but the payload does not decode: never a torn write.
    Undecodable(postcard::Error),
}

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadRecord::Invalid(why) => f.write_str(why),
            BadRecord::Undecodable(e) => {
                write!(f, "checksum matches but the entry does not decode: {e}")
            }
        }
    }
}

/// The payload length a record header at the start of `bytes` declares
/// (nothing checked beyond the header).
fn declared_len(bytes: &[u8]) -> Result<usize, BadRecord> {
    if bytes.len() < RECORD_HEADER {
        return Err(BadRecord::Invalid("incomplete record header"));
    }
    if bytes[..4] != RECORD_MAGIC {
        return Err(BadRecord::Invalid("bad record magic"));
    }
    let len = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    if len > MAX_RECORD {
        return Err(BadRecord::Invalid("impossible record length"));
    }
    Ok(len)
}

/// Checks the record framing at the start of `bytes`; returns the record's
/// total length and its payload.
fn frame(bytes: &[u8]) -> Result<(usize, &[u8]), BadRecord> {
    let len = declared_len(bytes)?;
    let len_le: [u8; 4] = bytes[4..8].try_into().expect("4 bytes");
    if bytes.len() - RECORD_HEADER < len {
        return Err(BadRecord::Invalid(
            "record extends past the end of the file",
        ));
    }
    let payload = &bytes[RECORD_HEADER..RECORD_HEADER + len];
    let want = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_le);
    crc.update(payload);
    if crc.finalize() != want {
        return Err(BadRecord::Invalid("checksum mismatch"));
    }
    Ok((RECORD_HEADER + len, payload))
}

/// Decodes the record at the start of `bytes`: its total length, its batch and
/// its entry.
pub(super) fn decode_record(bytes: &[u8]) -> Result<(usize, u64, Entry), BadRecord> {
    let (len, payload) = frame(bytes)?;
    match postcard::take_from_bytes::<(u64, Entry)>(payload) {
        Ok(((batch, entry), [])) => Ok((len, batch, entry)),
        Ok(_) => Err(BadRecord::Undecodable(
            postcard::Error::DeserializeBadEncoding,
        )),
        Err(e) => Err(BadRecord::Undecodable(e)),
    }
}

/// What the `meta` file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Meta {
    pub vote: Option<Vote>,
    pub last_purged: Option<LogId>,
}

/// `magic[8] | len u32 LE | crc32 u32 LE (of the payload) | payload`.
fn encode_meta(meta: &Meta) -> io::Result<Vec<u8>> {
    let payload = postcard::to_allocvec(meta).map_err(io::Error::other)?;
    let mut out = Vec::with_capacity(16 + payload.len());
    out.extend_from_slice(META_MAGIC);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Durably replaces the `meta` file.
pub(super) fn save_meta(dir: &Path, meta: &Meta) -> io::Result<()> {
    write_durably(dir, META_FILE, &encode_meta(meta)?)
}

/// Reads the `meta` file; a missing file is a fresh log, a damaged one an
/// error (the vote must never be forgotten).
pub(super) fn load_meta(dir: &Path) -> io::Result<Meta> {
    let path = dir.join(META_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Meta::default()),
        Err(e) => return Err(e),
    };
    if bytes.len() < 16 || &bytes[..8] != META_MAGIC {
        return Err(corrupt(&path, "not a raft meta file (bad header)"));
    }
    let len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes"));
    let payload = &bytes[16..];
    if payload.len() != len || crc32fast::hash(payload) != crc {
        return Err(corrupt(
            &path,
            "checksum mismatch (vote and purge point unreadable)",
        ));
    }
    match postcard::take_from_bytes::<Meta>(payload) {
        Ok((meta, [])) => Ok(meta),
        Ok(_) => Err(corrupt(&path, "trailing bytes")),
        Err(e) => Err(corrupt(&path, format_args!("does not decode: {e}"))),
    }
}

/// How often, at most, [`CommittedFile::save`] writes. The committed id is a
/// hint for the next start (openraft applies the log up to it before any
/// election), not needed for safety: an older one only means the rest is
/// applied once a leader commits again, which a server waits for before
/// serving. Writing it on every commit cost a system call per batch on the
/// write path.
pub(super) const COMMITTED_EVERY: Duration = Duration::from_millis(100);

/// The `committed` file, overwritten in place without fsync.
#[derive(Debug)]
pub(super) struct CommittedFile {
    file: File,
    /// What this process last wrote (or found) there.
    on_disk: Option<LogId>,
    written_at: Option<Instant>,
}

impl CommittedFile {
    /// Opens (creating) the file; returns it and the id it holds, if readable.
    pub(super) fn open(dir: &Path) -> io::Result<(CommittedFile, Option<LogId>)> {
        let path = dir.join(COMMITTED_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let mut buf = [0u8; COMMITTED_SIZE];
        let n = file.read_at(&mut buf, 0)?;
        let committed = if n == 0 {
            None
        } else {
            match Self::decode(&buf[..n]) {
                Some(c) => c,
                None => {
                    tracing::warn!(file = %path.display(), "ignoring an unreadable committed log id");
                    None
                }
            }
        };
        let file = CommittedFile {
            file,
            on_disk: committed,
            written_at: None,
        };
        Ok((file, committed))
    }

    fn decode(bytes: &[u8]) -> Option<Option<LogId>> {
        if bytes.len() < 8 {
            return None;
        }
        let len = u32::from_le_bytes(bytes[..4].try_into().ok()?) as usize;
        let crc = u32::from_le_bytes(bytes[4..8].try_into().ok()?);
        let payload = bytes.get(8..8 + len)?;
        if crc32fast::hash(payload) != crc {
            return None;
        }
        postcard::from_bytes(payload).ok()
    }

    /// Writes `committed` unless the last write was less than
    /// [`COMMITTED_EVERY`] ago; [`CommittedFile::write_if_changed`] catches up.
    pub(super) fn save(&mut self, committed: Option<LogId>) -> io::Result<()> {
        if self
            .written_at
            .is_some_and(|at| at.elapsed() < COMMITTED_EVERY)
        {
            return Ok(());
        }
        self.write(committed)
    }

    /// Writes `committed` if the file holds another id.
    pub(super) fn write_if_changed(&mut self, committed: Option<LogId>) -> io::Result<()> {
        if self.on_disk == committed {
            return Ok(());
        }
        self.write(committed)
    }

    /// `len u32 LE | crc32 u32 LE | postcard(Option<LogId>)`, zero-padded.
    fn write(&mut self, committed: Option<LogId>) -> io::Result<()> {
        let payload = postcard::to_allocvec(&committed).map_err(io::Error::other)?;
        let mut buf = [0u8; COMMITTED_SIZE];
        buf[..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        buf[4..8].copy_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        buf[8..8 + payload.len()].copy_from_slice(&payload);
        self.file.write_all_at(&buf, 0)?;
        self.on_disk = committed;
        self.written_at = Some(Instant::now());
        Ok(())
    }
}

/// Removes segment `path` and makes that durable.
pub(super) fn remove_segment(dir: &Path, path: &Path) -> io::Result<()> {
    std::fs::remove_file(path)?;
    sync_dir(dir)
}
