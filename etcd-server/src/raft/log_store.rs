//! The durable raft log and vote ([`LogStore`]), in segment files of the wal
//! directory (format in `raft/wal.rs`, recovery in `raft/wal_recovery.rs`).
//!
//! Durability, as openraft's storage contract requires:
//!
//! - `append` writes all entries of the call, then one fdatasync covers them
//!   (group commit); only then is openraft told they are flushed. They are
//!   readable as soon as `append` returns.
//! - `save_vote` and `purge` replace the `meta` file durably (temp file, fsync,
//!   rename, directory fsync) before returning.
//! - `truncate` cuts the segment files and fsyncs them (and the directory when
//!   whole segments go) before returning.
//! - `save_committed` is an optimisation written without fsync, at most every
//!   100 ms and when the store is dropped (`wal::COMMITTED_EVERY`); it only
//!   ever names entries that are already durable.
//!
//! An I/O error on a write poisons the store: every later write fails, so a
//! write whose durability is unknown is never acknowledged (fail-stop).
//!
//! The entries themselves stay on disk; memory holds one small location per
//! entry, and the newest entries (`raft/entry_cache.rs`). Other reads go to
//! the files (usually the page cache).
//!
//! openraft's `RaftLogStorage` interface over this store is in
//! `log_store/openraft_api.rs`.

mod openraft_api;

use super::durable_file::{remove_gradually, Pace};
use super::entry_cache::EntryCache;
pub use super::log_reader::LogReader;
use super::page_cache;
use super::removals::Removals;
use super::typ::{Entry, LogId, StorageError, Vote};
use super::wal::{self, CommittedFile, Meta, SEGMENT_HEADER};
use super::wal_recovery;
use super::wal_spare::Spare;
use crate::metrics::LogMetrics;
use openraft::{ErrorSubject, ErrorVerb};
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Debug;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::watch;

/// A new segment is started when the current one has reached this size.
pub const SEGMENT_SIZE: u64 = 64 << 20;

/// The durable raft log and vote. Open with [`LogStore::open`].
#[derive(Debug)]
pub struct LogStore {
    pub(super) shared: Arc<Shared>,
}

#[derive(Debug)]
pub(super) struct Shared {
    dir: PathBuf,
    segment_size: u64,
    state: RwLock<State>,
    committed_file: Mutex<CommittedFile>,
    /// Set by a failed write: the disk state is unknown, refuse all writes.
    failed: AtomicBool,
    /// The next segment, written ahead.
    spare: Spare,
    /// Purged segments being deleted.
    removals: Removals,
    /// Sync durations, bytes written and the committed index, for `/metrics`.
    metrics: LogMetrics,
    /// The committed index, each time raft commits (see
    /// [`LogStore::commits`]).
    commits: watch::Sender<u64>,
}

#[derive(Debug)]
pub(super) struct State {
    /// By sequence number; the last one is the one appended to.
    pub(super) segments: BTreeMap<u64, Segment>,
    /// The index of `locs[0]` (or of the next entry when `locs` is empty).
    pub(super) first_index: u64,
    /// Where each live entry is, consecutive indexes from `first_index`.
    pub(super) locs: VecDeque<Loc>,
    /// What the `meta` file holds.
    pub(super) meta: Meta,
    pub(super) committed: Option<LogId>,
    /// The newest entries, for reading them back without the files.
    pub(super) cache: EntryCache,
}

#[derive(Debug)]
pub(super) struct Segment {
    pub(super) path: PathBuf,
    pub(super) file: Arc<File>,
    pub(super) size: u64,
    /// An upper bound of the indexes of the records in the file (`None` when
    /// it holds none).
    pub(super) last_index: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Loc {
    pub(super) seg: u64,
    pub(super) offset: u64,
    pub(super) len: u32,
    pub(super) log_id: LogId,
}

impl LogStore {
    /// Opens (creating) the log in `wal_dir`, checking every record: a torn
    /// tail is cut off (and logged), any other damage is an error naming the
    /// file.
    pub fn open(wal_dir: &Path) -> io::Result<LogStore> {
        LogStore::open_with_segment_size(wal_dir, SEGMENT_SIZE)
    }

    /// The log's figures (shared: the store goes on recording them).
    pub fn log_metrics(&self) -> LogMetrics {
        self.shared.metrics.clone()
    }

    /// Told the committed index each time raft commits entries (raft
    /// saves it here just before it applies them): the proposer cuts its
    /// next entry then (`crate::propose`).
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.shared.commits.subscribe()
    }

    /// Finishes deleting the segments purged so far (they go in the
    /// background).
    #[cfg(test)]
    pub(super) fn finish_removals(&self) {
        self.shared.removals.finish();
    }

    /// [`LogStore::open`] with another segment size (tests use small ones).
    pub fn open_with_segment_size(wal_dir: &Path, segment_size: u64) -> io::Result<LogStore> {
        let dir = wal_dir.to_path_buf();
        let rec = wal_recovery::recover(&dir, segment_size)?;
        let first_index = match rec.live.first() {
            Some((_, r)) => r.log_id.index,
            None => rec.meta.last_purged.map_or(0, |p| p.index + 1),
        };
        let locs: VecDeque<Loc> = rec
            .live
            .iter()
            .map(|(seg, r)| Loc {
                seg: *seg,
                offset: r.offset,
                len: r.len,
                log_id: r.log_id,
            })
            .collect();
        if let Some(newest) = rec.segments.last() {
            wal::fill_with_zeros(&newest.path, &newest.file, segment_size, wal::Pace::Full)?;
        }
        let segments = rec
            .segments
            .into_iter()
            .map(|s| {
                let seg = Segment {
                    path: s.path,
                    file: Arc::new(s.file),
                    size: s.size,
                    last_index: s.last_index,
                };
                (s.seq, seg)
            })
            .collect();
        tracing::info!(
            dir = %dir.display(),
            entries = locs.len(),
            first = first_index,
            last_purged = ?rec.meta.last_purged,
            "opened the raft log"
        );
        let state = State {
            segments,
            first_index,
            locs,
            meta: rec.meta,
            committed: rec.committed,
            cache: EntryCache::default(),
        };
        Ok(LogStore {
            shared: Arc::new(Shared {
                dir,
                segment_size,
                state: RwLock::new(state),
                committed_file: Mutex::new(rec.committed_file),
                failed: AtomicBool::new(false),
                spare: Spare::default(),
                removals: Removals::default(),
                metrics: LogMetrics::default(),
                commits: watch::Sender::new(0),
            }),
        })
    }

    /// The wal directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }
}

impl State {
    fn last_log_id(&self) -> Option<LogId> {
        self.locs.back().map(|l| l.log_id).or(self.meta.last_purged)
    }

    fn active(&mut self) -> (u64, &mut Segment) {
        let (seq, seg) = self
            .segments
            .iter_mut()
            .next_back()
            .expect("there is always a segment");
        (*seq, seg)
    }
}

impl Shared {
    pub(super) fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    fn check_healthy(&self) -> io::Result<()> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(io::Error::other(
                "the raft log had a write error earlier; refusing further writes",
            ));
        }
        Ok(())
    }

    /// Marks the store failed when `res` is an error.
    fn poison_on_err<T>(&self, res: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &res {
            tracing::error!(error = %e, dir = %self.dir.display(), "raft log write failed; the log refuses further writes");
            self.failed.store(true, Ordering::SeqCst);
        }
        res
    }

    /// Writes `entries` as one batch and syncs it.
    fn append(&self, entries: &[Entry]) -> io::Result<()> {
        self.check_healthy()?;
        // Entries at or before the purge point are already covered by a
        // snapshot (openraft's test suite appends such entries); skip them.
        let purged = self.read_state().meta.last_purged;
        let skip = purged.map_or(0, |p| {
            entries
                .iter()
                .take_while(|e| e.log_id.index <= p.index)
                .count()
        });
        if skip > 0 {
            tracing::debug!(skipped = skip, last_purged = ?purged, "append: skipping entries behind the purge point");
        }
        let entries = &entries[skip..];
        let Some(first) = entries.first() else {
            return Ok(());
        };
        let batch = first.log_id.index;
        let mut buf = Vec::new();
        let mut lens = Vec::with_capacity(entries.len());
        for (k, e) in entries.iter().enumerate() {
            if e.log_id.index != batch + k as u64 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("append: entries are not consecutive at {}", e.log_id),
                ));
            }
            lens.push(wal::encode_record(&mut buf, batch, e)?);
        }
        let to_sync = {
            let mut st = self.write_state();
            let expected = st
                .locs
                .back()
                .map(|l| l.log_id.index + 1)
                .or(st.meta.last_purged.map(|p| p.index + 1));
            if expected.is_some_and(|x| x != batch) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("append: entry {} would leave a hole or overwrite (expected index {expected:?})", first.log_id),
                ));
            }
            let res = self.write_batch(&mut st, &mut buf, entries, &lens);
            self.poison_on_err(res)?
        };
        self.metrics
            .write_bytes
            .inc_by(i64::try_from(buf.len()).unwrap_or(i64::MAX));
        // The sync runs without the lock: readers may read the new entries
        // meanwhile, openraft only counts them once this returns.
        let started = std::time::Instant::now();
        self.poison_on_err(to_sync.sync_data())?;
        self.metrics.fsync.observe(started.elapsed().as_secs_f64());
        Ok(())
    }

    fn write_batch(
        &self,
        st: &mut State,
        buf: &mut Vec<u8>,
        entries: &[Entry],
        lens: &[u32],
    ) -> io::Result<Arc<File>> {
        let (_, active) = st.active();
        if active.size >= self.segment_size && active.size > SEGMENT_HEADER {
            // The full segment was synced by the append that wrote its last
            // records; start the next one. Its preallocated part (if the
            // records did not fill it) is given back; should that be lost in
            // a crash, recovery reads the zeros as unused again.
            active.file.set_len(active.size)?;
            let (seq, _) = st.active();
            let next = seq + 1;
            let (path, file) = self.spare.take(&self.dir, next, self.segment_size)?;
            tracing::debug!(file = %path.display(), "started a new wal segment");
            st.segments.insert(
                next,
                Segment {
                    path,
                    file: Arc::new(file),
                    size: SEGMENT_HEADER,
                    last_index: None,
                },
            );
        }
        let (seq, active) = st.active();
        let start = active.size;
        let len = buf.len();
        let end = start + len as u64;
        buf.resize(len + page_cache::padding(end, self.segment_size), 0);
        let written = active.file.write_all_at(buf, start);
        buf.truncate(len);
        written?;
        active.size = end;
        if active.size > self.segment_size / 2 {
            self.spare.start(&self.dir, self.segment_size);
        }
        active.last_index = entries.last().map(|e| e.log_id.index);
        let file = active.file.clone();
        if st.locs.is_empty() {
            st.first_index = entries[0].log_id.index;
        }
        let mut offset = start;
        for (e, &len) in entries.iter().zip(lens) {
            st.locs.push_back(Loc {
                seg: seq,
                offset,
                len,
                log_id: e.log_id,
            });
            offset += u64::from(len);
        }
        st.cache.push(entries, lens);
        Ok(file)
    }

    /// Deletes the entries from `index` on.
    fn truncate(&self, index: u64) -> io::Result<()> {
        self.check_healthy()?;
        let mut st = self.write_state();
        st.cache.truncate(index);
        let Some(last) = st.locs.back() else {
            return Ok(());
        };
        if index > last.log_id.index {
            return Ok(());
        }
        let pos = index.saturating_sub(st.first_index) as usize;
        let cut = st.locs[pos];
        let res = self.cut_files(&mut st, cut.seg, cut.offset, index.checked_sub(1));
        self.poison_on_err(res)?;
        st.locs.truncate(pos);
        Ok(())
    }

    /// Removes every segment after `seg` (newest first, so a crash leaves a
    /// prefix of the log) and cuts `seg` at `offset`.
    fn cut_files(
        &self,
        st: &mut State,
        seg: u64,
        offset: u64,
        last_index: Option<u64>,
    ) -> io::Result<()> {
        let later: Vec<u64> = st
            .segments
            .range(seg + 1..)
            .map(|(s, _)| *s)
            .rev()
            .collect();
        for s in later {
            let removed = st.segments.remove(&s).expect("listed");
            wal::remove_segment(&self.dir, &removed.path)?;
        }
        let segment = st
            .segments
            .get_mut(&seg)
            .expect("the segment of a live entry exists");
        segment.file.set_len(offset)?;
        // The cut is durable once synced: by the preallocation, or here.
        if !wal::preallocate(&segment.path, &segment.file, self.segment_size)? {
            segment.file.sync_data()?;
        }
        segment.size = offset;
        segment.last_index = if offset > SEGMENT_HEADER {
            last_index
        } else {
            None
        };
        Ok(())
    }

    /// Deletes the entries up to `log_id` and remembers it as purged.
    fn purge(&self, log_id: LogId) -> io::Result<()> {
        self.check_healthy()?;
        let meta = {
            let st = self.read_state();
            if st.meta.last_purged.is_some_and(|p| p.index >= log_id.index) {
                return Ok(());
            }
            Meta {
                vote: st.meta.vote,
                last_purged: Some(log_id),
            }
        };
        self.poison_on_err(wal::save_meta(&self.dir, &meta))?;
        let mut st = self.write_state();
        st.meta = meta;
        st.cache.purge(log_id.index);
        while st
            .locs
            .front()
            .is_some_and(|l| l.log_id.index <= log_id.index)
        {
            st.locs.pop_front();
        }
        st.first_index = match st.locs.front() {
            Some(l) => l.log_id.index,
            None => log_id.index + 1,
        };
        // Whole segments behind the purge point go (never the active one).
        let active = *st
            .segments
            .keys()
            .next_back()
            .expect("there is always a segment");
        let gone: Vec<u64> = st
            .segments
            .iter()
            .take_while(|(seq, seg)| {
                **seq != active && seg.last_index.map_or(true, |l| l <= log_id.index)
            })
            .map(|(seq, _)| *seq)
            .collect();
        let gone: Vec<Segment> = gone
            .iter()
            .map(|seq| st.segments.remove(seq).expect("listed"))
            .collect();
        // No reader can reach them any more: they are deleted without the
        // lock, and without waiting (removals.rs).
        drop(st);
        let paths: Vec<PathBuf> = gone.into_iter().map(|seg| seg.path).collect();
        if !paths.is_empty() {
            let dir = self.dir.clone();
            self.removals.run(move |hurry| {
                for path in paths {
                    tracing::debug!(file = %path.display(), "removing a purged wal segment");
                    // Failing to delete only wastes disk: the purge point is
                    // durable.
                    if let Err(e) = remove_gradually(&dir, &path, Pace::Gently(hurry)) {
                        tracing::warn!(file = %path.display(), error = %e, "could not remove a purged wal segment");
                    }
                }
            });
        }
        Ok(())
    }

    fn save_vote(&self, vote: &Vote) -> io::Result<()> {
        self.check_healthy()?;
        let meta = Meta {
            vote: Some(*vote),
            last_purged: self.read_state().meta.last_purged,
        };
        self.poison_on_err(wal::save_meta(&self.dir, &meta))?;
        self.write_state().meta = meta;
        Ok(())
    }

    fn save_committed(&self, committed: Option<LogId>) -> io::Result<()> {
        self.check_healthy()?;
        let index = committed.map_or(0, |c| c.index);
        self.metrics
            .committed
            .set(i64::try_from(index).unwrap_or(i64::MAX));
        if committed.is_some() {
            self.commits.send_replace(index);
        }
        let mut st = self.write_state();
        // Every entry we hold is durable (append returns after its sync);
        // never record a committed id beyond them.
        if let (Some(c), Some(last)) = (committed, st.last_log_id()) {
            if c.index > last.index {
                tracing::debug!(committed = %c, last = %last, "not saving a committed id beyond the log");
                return Ok(());
            }
        }
        if st.committed == committed {
            return Ok(());
        }
        st.committed = committed;
        self.committed_file().save(committed)
    }

    fn committed_file(&self) -> std::sync::MutexGuard<'_, CommittedFile> {
        self.committed_file
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Shared {
    /// Stops writing the spare segment, finishes deleting purged segments
    /// (at once), and writes the latest committed id if
    /// [`CommittedFile::save`] skipped it.
    fn drop(&mut self) {
        self.spare.stop();
        self.removals.finish();
        if self.failed.load(Ordering::SeqCst) {
            return;
        }
        let committed = self.read_state().committed;
        if let Err(e) = self.committed_file().write_if_changed(committed) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not write the committed log id");
        }
    }
}

pub(super) fn read_err(e: io::Error) -> StorageError {
    StorageError::from_io_error(ErrorSubject::Logs, ErrorVerb::Read, e)
}
