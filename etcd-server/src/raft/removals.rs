//! File deletions that nothing waits for run on a thread of their own.
//!
//! Deleting a 64 MiB file is not free: on a file system mounted with
//! `discard` (this VM's ext4 is), the unlink itself waits while the device
//! discards every block, 16 ms and more here. openraft awaits `purge` in its
//! core, so done inline that wait stopped every write of the member (seen as
//! a gap of 7-18 ms without a single answer under load, each time a snapshot
//! let the log be purged). Purged wal segments and older snapshots are
//! therefore deleted here, after the point that makes them unneeded is
//! durable; a file left behind by a crash is deleted at the next start (a
//! `*.tmp`) or by a later purge (a segment). Done in one unlink even off the
//! core, a deletion still kept the device from the appends' syncs for as
//! long, so the files go a slice at a time
//! ([`remove_gradually`](super::durable_file::remove_gradually)).

use std::sync::Mutex;
use std::thread::JoinHandle;

/// Runs deletions in the background, one after the other, in the order given.
#[derive(Debug, Default)]
pub(super) struct Removals {
    /// The thread running the latest deletion given (it waits for the thread
    /// before it, so joining it waits for them all).
    last: Mutex<Option<JoinHandle<()>>>,
}

impl Removals {
    fn last(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `delete` after the deletions given before, without waiting for
    /// it (inline if no thread can be started).
    pub(super) fn run(&self, delete: impl FnOnce() + Send + 'static) {
        let mut last = self.last();
        let before = last.take();
        // Shared with the thread, so it can still run here should the
        // thread not start.
        let work = std::sync::Arc::new(Mutex::new(Some(delete)));
        let theirs = work.clone();
        let spawned = std::thread::Builder::new()
            .name("file-removal".into())
            .spawn(move || {
                if let Some(before) = before {
                    let _ = before.join();
                }
                let delete = theirs.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(delete) = delete {
                    delete();
                }
            });
        match spawned {
            Ok(handle) => *last = Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "could not start a thread to delete files; deleting them now");
                let delete = work.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(delete) = delete {
                    delete();
                }
            }
        }
    }

    /// Waits until every deletion given so far is done.
    pub(super) fn wait(&self) {
        let last = self.last().take();
        if let Some(handle) = last {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn deletions_run_in_order_in_the_background_and_wait_sees_them_done() {
        let done = Arc::new(Mutex::new(Vec::new()));
        let removals = Removals::default();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let first = done.clone();
        removals.run(move || {
            // Held until the test lets it go: `run` did not wait for it.
            hold.recv().unwrap();
            first.lock().unwrap().push(1);
        });
        for i in 2..=4 {
            let d = done.clone();
            removals.run(move || d.lock().unwrap().push(i));
        }
        assert!(done.lock().unwrap().is_empty());
        release.send(()).unwrap();
        removals.wait();
        assert_eq!(*done.lock().unwrap(), [1, 2, 3, 4]);
        // Nothing left to wait for.
        removals.wait();
    }
}
