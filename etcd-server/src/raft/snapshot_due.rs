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
    /// `--snapshot-count`.
    every: u64,
    /// Writes applied (since the state machine was opened) that the newest
    /// snapshot holds.
    covered: AtomicU64,
    /// A snapshot was asked for and none has been built since.
    asked: AtomicBool,
    notify: Notify,
}

impl SnapshotDue {
    /// A snapshot is due once more than `every` writes were applied since the
    /// newest one (the reference's comparison).
    pub fn new(every: u64) -> SnapshotDue {
        SnapshotDue {
            every,
            covered: AtomicU64::new(0),
            asked: AtomicBool::new(false),
            notify: Notify::new(),
        }
    }

    /// `writes` have been applied in all: asks for a snapshot if one is due
    /// and none is asked for yet.
    pub fn applied(&self, writes: u64) {
        let since = writes.saturating_sub(self.covered.load(Ordering::Acquire));
        if since > self.every && !self.asked.swap(true, Ordering::AcqRel) {
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
    #[cfg(test)]
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
        let due = SnapshotDue::new(5);
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

    /// Whether `due` asks for a snapshot within `ms` milliseconds.
    async fn wait(due: &SnapshotDue, ms: u64) -> bool {
        tokio::time::timeout(Duration::from_millis(ms), due.asked())
            .await
            .is_ok()
    }

    /// Asked once per snapshot: writes applied after the asking task took
    /// the request, while the snapshot is being built, do not ask again.
    #[tokio::test]
    async fn one_request_per_snapshot() {
        let due = SnapshotDue::new(2);
        due.applied(3);
        assert!(wait(&due, 5000).await, "asked");
        due.applied(4);
        due.applied(5);
        assert!(!wait(&due, 50).await, "asked twice for one snapshot");
        // Built: the next due snapshot is asked for again.
        due.covered(5);
        due.applied(8);
        assert!(wait(&due, 5000).await, "asked again");
    }
}
