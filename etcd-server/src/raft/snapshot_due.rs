//! When a snapshot is due: `--snapshot-count` counts applied writes.
//!
//! In the reference every write is a raft entry of its own, so "a snapshot
//! every N applied entries" bounds the log, and the replay at start, to N
//! writes. Here one entry carries a whole batch of writes (group commit, see
//! `propose.rs`): counted in entries, 64 busy connections put about thirty
//! times more writes between two snapshots, and as much more into the log and
//! the replay. So the state machine counts the writes it applies, and once
//! more than N were applied since the newest snapshot it asks raft for one
//! (openraft's own policy, in entries, stays as a backstop; it can only come
//! later).

use super::typ;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Shared between the state machine, which reports writes and snapshots, and
/// the task that asks raft for a snapshot when one is due.
#[derive(Debug)]
pub struct SnapshotDue {
    /// `--snapshot-count`; `u64::MAX` until set.
    every: AtomicU64,
    /// Writes applied (since the state machine was opened) that the newest
    /// snapshot holds.
    covered: AtomicU64,
    /// A snapshot was asked for and none has been built since.
    asked: AtomicBool,
    notify: Notify,
}

impl Default for SnapshotDue {
    fn default() -> SnapshotDue {
        SnapshotDue {
            every: AtomicU64::new(u64::MAX),
            covered: AtomicU64::new(0),
            asked: AtomicBool::new(false),
            notify: Notify::new(),
        }
    }
}

impl SnapshotDue {
    /// A snapshot is due once more than `writes` were applied since the
    /// newest one (the reference's comparison).
    pub fn set_every(&self, writes: u64) {
        self.every.store(writes, Ordering::Relaxed);
    }

    /// `writes` have been applied in all: asks for a snapshot if one is due
    /// and none is asked for yet.
    pub fn applied(&self, writes: u64) {
        let since = writes.saturating_sub(self.covered.load(Ordering::Acquire));
        if since > self.every.load(Ordering::Relaxed) && !self.asked.swap(true, Ordering::AcqRel) {
            self.notify.notify_one();
        }
    }

    /// A snapshot holding the first `writes` applied writes was built or
    /// installed.
    pub fn covered(&self, writes: u64) {
        self.covered.fetch_max(writes, Ordering::AcqRel);
        self.asked.store(false, Ordering::Release);
    }

    /// Waits until a snapshot is asked for.
    pub async fn asked(&self) {
        self.notify.notified().await;
    }

    /// Whether a snapshot is asked for and not built yet.
    pub fn is_asked(&self) -> bool {
        self.asked.load(Ordering::Acquire)
    }
}

/// Asks `raft` for a snapshot whenever `due` says one is; ends when raft has
/// stopped. (A request made while openraft is building a snapshot anyway is
/// dropped by it; that snapshot's completion lets the next write ask again.)
pub async fn ask_for_snapshots(raft: typ::Raft, due: Arc<SnapshotDue>) {
    loop {
        due.asked().await;
        if raft.trigger().snapshot().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_once_more_writes_than_the_count_were_applied_since_the_last_snapshot() {
        let due = SnapshotDue::default();
        due.applied(1_000_000);
        assert!(!due.is_asked(), "no count set: never due");
        due.set_every(5);
        due.applied(5);
        assert!(!due.is_asked(), "5 writes are not more than 5");
        due.applied(6);
        assert!(due.is_asked());
        due.covered(6);
        assert!(!due.is_asked());
        due.applied(11);
        assert!(!due.is_asked(), "5 since the snapshot");
        due.applied(12);
        assert!(due.is_asked());
        // An older snapshot finishing late does not move the mark back.
        due.covered(12);
        due.covered(3);
        due.applied(17);
        assert!(!due.is_asked());
    }

    #[tokio::test]
    async fn one_request_while_a_snapshot_is_asked_for() {
        let due = SnapshotDue::default();
        due.set_every(2);
        due.applied(3);
        due.applied(4);
        due.applied(5);
        // Asked once: one wake-up is stored, not three.
        tokio::time::timeout(Duration::from_secs(5), due.asked())
            .await
            .expect("asked");
        let again = tokio::time::timeout(Duration::from_millis(50), due.asked()).await;
        assert!(again.is_err(), "asked twice for one snapshot");
        // Built: the next due snapshot is asked for again.
        due.covered(5);
        due.applied(8);
        tokio::time::timeout(Duration::from_secs(5), due.asked())
            .await
            .expect("asked again");
    }
}
