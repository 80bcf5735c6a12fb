//! [`EntryCache`]: the log's newest entries, kept in memory.
//!
//! openraft reads every committed entry back from the log to apply it, right
//! after appending it. Served from here, that read is a clone of the entry
//! (its batch is shared, not copied) instead of a `pread` of the segment and
//! a decode of every request in it. Older entries, and any range that is not
//! wholly here, are read from the files as before.

use super::typ::Entry;
use std::collections::VecDeque;

/// Most entries kept.
const MAX_ENTRIES: usize = 4096;
/// Most encoded bytes kept (a single larger entry is not kept at all).
pub(super) const MAX_BYTES: u64 = 4 << 20;

/// Consecutive entries, the newest of the log. See the module documentation.
#[derive(Debug, Default)]
pub(super) struct EntryCache {
    /// Each with its encoded length.
    entries: VecDeque<(Entry, u32)>,
    bytes: u64,
}

impl EntryCache {
    /// Adds entries just appended after the log's last one (consecutive,
    /// with their encoded lengths), dropping the oldest beyond the limits.
    pub(super) fn push(&mut self, entries: &[Entry], lens: &[u32]) {
        let Some(first) = entries.first() else {
            return;
        };
        if self
            .next_index()
            .is_some_and(|next| next != first.log_id.index)
        {
            // Not a continuation (cannot happen for a log without holes):
            // start again rather than keep a range with a gap.
            self.clear();
        }
        for (e, &len) in entries.iter().zip(lens) {
            self.entries.push_back((e.clone(), len));
            self.bytes += u64::from(len);
        }
        while self.entries.len() > MAX_ENTRIES || self.bytes > MAX_BYTES {
            let Some((_, len)) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= u64::from(len);
        }
    }

    /// The entries with indexes `lo..hi`, if all of them are here.
    pub(super) fn get(&self, lo: u64, hi: u64) -> Option<Vec<Entry>> {
        let first = self.entries.front()?.0.log_id.index;
        let next = self.next_index()?;
        if lo >= hi || lo < first || hi > next {
            return None;
        }
        let range = (lo - first) as usize..(hi - first) as usize;
        Some(self.entries.range(range).map(|(e, _)| e.clone()).collect())
    }

    /// Forgets the entries from `index` on (the log was truncated there).
    pub(super) fn truncate(&mut self, index: u64) {
        while self
            .entries
            .back()
            .is_some_and(|(e, _)| e.log_id.index >= index)
        {
            let (_, len) = self.entries.pop_back().expect("checked");
            self.bytes -= u64::from(len);
        }
    }

    /// Forgets the entries up to `index` (the log was purged to there).
    pub(super) fn purge(&mut self, index: u64) {
        while self
            .entries
            .front()
            .is_some_and(|(e, _)| e.log_id.index <= index)
        {
            let (_, len) = self.entries.pop_front().expect("checked");
            self.bytes -= u64::from(len);
        }
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    fn next_index(&self) -> Option<u64> {
        self.entries.back().map(|(e, _)| e.log_id.index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::log_store::LogStore;
    use super::super::tests::{all, data_len, ent, ents, flip, indexes, log_id, segments};
    use super::*;
    use openraft::storage::{RaftLogStorage, RaftLogStorageExt};
    use openraft::RaftLogReader;
    use tempfile::TempDir;

    fn lens(n: usize, len: u32) -> Vec<u32> {
        vec![len; n]
    }

    #[test]
    fn only_a_range_held_whole_is_served() {
        let mut c = EntryCache::default();
        c.push(&ents(1, 5..10), &lens(5, 10));
        assert_eq!(indexes(&c.get(5, 10).unwrap()), vec![5, 6, 7, 8, 9]);
        assert_eq!(indexes(&c.get(7, 9).unwrap()), vec![7, 8]);
        assert!(c.get(4, 6).is_none(), "starts before the cache");
        assert!(c.get(8, 11).is_none(), "ends after the cache");
        assert!(c.get(6, 6).is_none(), "empty range");
        assert!(EntryCache::default().get(1, 2).is_none());
    }

    #[test]
    fn the_oldest_go_beyond_the_limits() {
        let mut c = EntryCache::default();
        c.push(
            &ents(1, 1..(MAX_ENTRIES as u64 + 11)),
            &lens(MAX_ENTRIES + 10, 1),
        );
        assert_eq!(c.entries.len(), MAX_ENTRIES);
        assert!(c.get(10, 11).is_none());
        assert!(c.get(11, 12).is_some());

        let mut c = EntryCache::default();
        let big = (MAX_BYTES / 4) as u32;
        c.push(&ents(1, 1..6), &lens(5, big));
        assert_eq!(c.bytes, 4 * u64::from(big));
        assert_eq!(indexes(&c.get(2, 6).unwrap()), vec![2, 3, 4, 5]);

        // An entry larger than the whole cache is not kept.
        c.push(&[ent(1, 6)], &[MAX_BYTES as u32 + 1]);
        assert!(c.get(6, 7).is_none());
        assert_eq!(c.bytes, 0);
    }

    #[test]
    fn truncate_and_purge_forget_exactly_their_entries() {
        let mut c = EntryCache::default();
        c.push(&ents(1, 1..11), &lens(10, 10));
        c.truncate(8);
        assert!(c.get(7, 9).is_none());
        assert_eq!(indexes(&c.get(1, 8).unwrap()), (1..8).collect::<Vec<_>>());
        c.purge(3);
        assert!(c.get(3, 5).is_none());
        assert_eq!(indexes(&c.get(4, 8).unwrap()), vec![4, 5, 6, 7]);
        assert_eq!(c.bytes, 40);
        // Entries of a later term replace the truncated ones.
        c.push(&ents(2, 8..10), &lens(2, 10));
        let got = c.get(7, 10).unwrap();
        assert_eq!(indexes(&got), vec![7, 8, 9]);
        assert_eq!(got[1].log_id.leader_id.term, 2);
    }

    #[test]
    fn a_push_that_does_not_continue_the_cache_starts_it_again() {
        let mut c = EntryCache::default();
        c.push(&ents(1, 1..4), &lens(3, 10));
        c.push(&ents(1, 10..12), &lens(2, 10));
        assert!(c.get(1, 2).is_none());
        assert_eq!(indexes(&c.get(10, 12).unwrap()), vec![10, 11]);
        assert_eq!(c.bytes, 20);
    }

    #[tokio::test]
    async fn the_log_reads_its_newest_entries_from_memory_and_forgets_cut_ones() {
        let tmp = TempDir::new().unwrap();
        let mut log = LogStore::open_with_segment_size(tmp.path(), 1 << 20).unwrap();
        log.blocking_append(ents(1, 1..6)).await.unwrap();
        // Damage the last record on disk: a read of the file would fail.
        let seg = segments(tmp.path()).pop().unwrap();
        flip(&seg, data_len(&seg) - 3);
        let mut reader = log.get_log_reader().await;
        let got = reader.try_get_log_entries(1..6).await.unwrap();
        assert_eq!(got, ents(1, 1..6), "served from memory");

        // Entries of a new term replace the truncated ones, for reads too.
        log.truncate(log_id(1, 4)).await.unwrap();
        log.blocking_append(ents(2, 4..6)).await.unwrap();
        let got = reader.try_get_log_entries(3..6).await.unwrap();
        assert_eq!(got, vec![ent(1, 3), ent(2, 4), ent(2, 5)]);
        log.purge(log_id(1, 2)).await.unwrap();
        assert_eq!(indexes(&all(&mut log).await), [3, 4, 5]);
        assert_eq!(all(&mut log).await, vec![ent(1, 3), ent(2, 4), ent(2, 5)]);

        // The files hold the same (reopened, nothing is in memory).
        drop((log, reader));
        let mut log = LogStore::open_with_segment_size(tmp.path(), 1 << 20).unwrap();
        assert_eq!(all(&mut log).await, vec![ent(1, 3), ent(2, 4), ent(2, 5)]);
    }
}
