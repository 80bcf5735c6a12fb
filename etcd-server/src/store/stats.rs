//! The counters behind `/v2/stats/store`.
//!
//! Reads count too (and reads share the store), so the counters are atomics.

use etcd_client::StoreStats;
use std::sync::atomic::{AtomicU64, Ordering};

/// One counter of [`Stats`], in the reference's field order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    GetsSuccess,
    GetsFail,
    SetsSuccess,
    SetsFail,
    DeleteSuccess,
    DeleteFail,
    UpdateSuccess,
    UpdateFail,
    CreateSuccess,
    CreateFail,
    CompareAndSwapSuccess,
    CompareAndSwapFail,
    CompareAndDeleteSuccess,
    CompareAndDeleteFail,
    ExpireCount,
}

pub const COUNTERS: usize = 15;

#[derive(Debug, Default)]
pub struct Stats {
    counters: [AtomicU64; COUNTERS],
    /// The counters as read back from a snapshot: what they held before
    /// this process counted anything. The counts since the process started
    /// (the reference's `etcd_debugging_store_*` counters, which start at 0
    /// with each process while `/v2/stats/store` carries on from the
    /// snapshot) are the counters less these.
    base: [u64; COUNTERS],
    /// The gets this process counted that were recursive.
    recursive_gets: AtomicU64,
}

impl Clone for Stats {
    fn clone(&self) -> Self {
        Stats {
            counters: self.values().map(AtomicU64::new),
            base: self.base,
            recursive_gets: AtomicU64::new(self.recursive_gets.load(Ordering::Relaxed)),
        }
    }
}

impl Stats {
    pub fn inc(&self, c: Counter) {
        self.counters[c as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A get (counted with [`Stats::inc`]) was recursive.
    pub fn recursive_get(&self) {
        self.recursive_gets.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts since the process started (see `base`), and how many of
    /// the gets were recursive.
    pub fn seen(&self) -> ([u64; COUNTERS], u64) {
        let now = self.values();
        let seen = std::array::from_fn(|i| now[i].saturating_sub(self.base[i]));
        (seen, self.recursive_gets.load(Ordering::Relaxed))
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.counters[c as usize].load(Ordering::Relaxed)
    }

    pub fn values(&self) -> [u64; COUNTERS] {
        std::array::from_fn(|i| self.counters[i].load(Ordering::Relaxed))
    }

    /// Counters read back from a snapshot; the process's own counts start
    /// at 0.
    pub fn from_values(values: [u64; COUNTERS]) -> Self {
        Stats {
            counters: values.map(AtomicU64::new),
            base: values,
            recursive_gets: AtomicU64::new(0),
        }
    }

    /// The wire form; `watchers` belongs to the watch hub, not the store.
    pub fn snapshot(&self, watchers: u64) -> StoreStats {
        let v = self.values();
        StoreStats {
            gets_success: v[0],
            gets_fail: v[1],
            sets_success: v[2],
            sets_fail: v[3],
            delete_success: v[4],
            delete_fail: v[5],
            update_success: v[6],
            update_fail: v[7],
            create_success: v[8],
            create_fail: v[9],
            compare_and_swap_success: v[10],
            compare_and_swap_fail: v[11],
            compare_and_delete_success: v[12],
            compare_and_delete_fail: v[13],
            expire_count: v[14],
            watchers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_map_to_wire_fields() {
        let s = Stats::default();
        s.inc(Counter::GetsFail);
        s.inc(Counter::CompareAndDeleteSuccess);
        s.inc(Counter::ExpireCount);
        s.inc(Counter::ExpireCount);
        let w = s.snapshot(3);
        assert_eq!(w.gets_fail, 1);
        assert_eq!(w.compare_and_delete_success, 1);
        assert_eq!(w.expire_count, 2);
        assert_eq!(w.watchers, 3);
        assert_eq!(s.clone().values(), s.values());
    }

    #[test]
    fn the_process_counts_start_at_zero_when_read_back() {
        let s = Stats::default();
        s.inc(Counter::GetsSuccess);
        s.inc(Counter::GetsFail);
        s.recursive_get();
        s.inc(Counter::SetsSuccess);
        let (seen, recursive) = s.seen();
        assert_eq!(
            (
                seen[Counter::GetsSuccess as usize],
                seen[Counter::GetsFail as usize]
            ),
            (1, 1)
        );
        assert_eq!((seen[Counter::SetsSuccess as usize], recursive), (1, 1));
        // A copy in the same process keeps them; counters read back from a
        // snapshot (a new process) start them again.
        assert_eq!(s.clone().seen(), s.seen());
        let restored = Stats::from_values(s.values());
        assert_eq!(restored.values(), s.values());
        assert_eq!(restored.seen(), ([0; COUNTERS], 0));
    }
}
