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
}

impl Clone for Stats {
    fn clone(&self) -> Self {
        Stats::from_values(self.values())
    }
}

impl Stats {
    pub fn inc(&self, c: Counter) {
        self.counters[c as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.counters[c as usize].load(Ordering::Relaxed)
    }

    pub fn values(&self) -> [u64; COUNTERS] {
        std::array::from_fn(|i| self.counters[i].load(Ordering::Relaxed))
    }

    pub fn from_values(values: [u64; COUNTERS]) -> Self {
        Stats {
            counters: values.map(AtomicU64::new),
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
}
