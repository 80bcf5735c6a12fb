//! Reading the raft log: [`LogReader`], the cheap-clone reader openraft's
//! replication tasks use, and the read path shared with [`LogStore`].
//!
//! Reads hold the log's read lock while they read the files, so a truncate or
//! purge never pulls a record from under them; consecutive records of one
//! segment are read with one `pread`, and every record's checksum is checked
//! again. A range the entry cache holds whole is served from it.
//!
//! [`LogStore`]: super::log_store::LogStore

use super::durable_file::corrupt;
use super::entry_cache;
use super::log_store::{read_err, Loc, LogStore, Shared, State};
use super::typ::{Entry, StorageError};
use super::wal;
use super::TypeConfig;
use openraft::{OptionalSend, RaftLogReader};
use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// At most this many bytes of entries are returned by one
/// `limited_get_log_entries` (at least one entry is always returned).
pub(super) const READ_LIMIT: u64 = 8 << 20;

// A range served whole from the entry cache never exceeds a limited read's
// limit.
const _: () = assert!(READ_LIMIT >= entry_cache::MAX_BYTES);

/// A cheap-clone reader of the log, for openraft's replication tasks.
#[derive(Debug, Clone)]
pub struct LogReader {
    pub(super) shared: Arc<Shared>,
}

impl Shared {
    /// The entries with indexes in `range` that the log holds; when
    /// `limited`, stopping after [`READ_LIMIT`] bytes (at least one entry).
    pub(super) fn read(
        &self,
        range: impl RangeBounds<u64>,
        limited: bool,
    ) -> io::Result<Vec<Entry>> {
        let st = self.read_state();
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.saturating_add(1),
            Bound::Excluded(&e) => e,
            Bound::Unbounded => u64::MAX,
        };
        let lo = start.max(st.first_index);
        let hi = end.min(st.first_index + st.locs.len() as u64);
        if lo >= hi {
            return Ok(Vec::new());
        }
        if let Some(entries) = st.cache.get(lo, hi) {
            return Ok(entries);
        }
        let locs = st
            .locs
            .range((lo - st.first_index) as usize..(hi - st.first_index) as usize);
        let mut out = Vec::new();
        let mut bytes = 0u64;
        // Consecutive records of one segment are read with one pread.
        let mut run: Vec<Loc> = Vec::new();
        for loc in locs {
            if limited && bytes >= READ_LIMIT && (!out.is_empty() || !run.is_empty()) {
                break;
            }
            if let Some(prev) = run.last() {
                if prev.seg != loc.seg || prev.offset + u64::from(prev.len) != loc.offset {
                    self.read_run(&st, &run, &mut out)?;
                    run.clear();
                }
            }
            bytes += u64::from(loc.len);
            run.push(*loc);
        }
        self.read_run(&st, &run, &mut out)?;
        Ok(out)
    }

    fn read_run(&self, st: &State, run: &[Loc], out: &mut Vec<Entry>) -> io::Result<()> {
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            return Ok(());
        };
        let seg = st
            .segments
            .get(&first.seg)
            .expect("the segment of a live entry exists");
        let total = (last.offset + u64::from(last.len) - first.offset) as usize;
        let mut buf = vec![0u8; total];
        seg.file.read_exact_at(&mut buf, first.offset)?;
        let mut pos = 0;
        for loc in run {
            let (len, _, entry) = wal::decode_record(&buf[pos..]).map_err(|bad| {
                corrupt(
                    &seg.path,
                    format_args!("entry {} at offset {}: {bad}", loc.log_id, loc.offset),
                )
            })?;
            if len != loc.len as usize || entry.log_id != loc.log_id {
                return Err(corrupt(
                    &seg.path,
                    format_args!(
                        "offset {} holds {} where {} was written",
                        loc.offset, entry.log_id, loc.log_id
                    ),
                ));
            }
            out.push(entry);
            pos += len;
        }
        Ok(())
    }
}

/// `RaftLogReader` for a type with a `shared: Arc<Shared>` field: the store
/// and its readers read the same way.
macro_rules! read_through_shared {
    ($t:ty) => {
        impl RaftLogReader<TypeConfig> for $t {
            async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
                &mut self,
                range: RB,
            ) -> Result<Vec<Entry>, StorageError> {
                self.shared.read(range, false).map_err(read_err)
            }

            async fn limited_get_log_entries(
                &mut self,
                start: u64,
                end: u64,
            ) -> Result<Vec<Entry>, StorageError> {
                self.shared.read(start..end, true).map_err(read_err)
            }
        }
    };
}

read_through_shared!(LogReader);
read_through_shared!(LogStore);
