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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Runs deletions in the background, one after the other, in the order given.
#[derive(Debug, Default)]
pub(super) struct Removals {
    /// The thread running the latest deletion given (it waits for the thread
    /// before it, so joining it waits for them all).
    last: Mutex<Option<JoinHandle<()>>>,
    /// Set while [`Removals::finish`] waits: the deletions finish at once.
    hurry: Arc<AtomicBool>,
}

impl Removals {
    fn last(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `delete` after the deletions given before, without waiting for
    /// it. It gets the flag that tells it to finish at once.
    pub(super) fn run(&self, delete: impl FnOnce(&AtomicBool) + Send + 'static) {
        let mut last = self.last();
        let before = last.take();
        let hurry = self.hurry.clone();
        let spawned = std::thread::Builder::new()
            .name("file-removal".into())
            .spawn(move || {
                if let Some(before) = before {
                    let _ = before.join();
                }
                delete(&hurry);
            });
        match spawned {
            Ok(handle) => *last = Some(handle),
            // What was to go is deleted after the next start: a renamed
            // file by the start itself, a purged segment (which the start
            // finds again) by a later purge.
            Err(e) => {
                tracing::warn!(error = %e, "could not start a thread to delete files; they stay for now")
            }
        }
    }

    /// Finishes every deletion given so far at once, and waits for
    /// it (the owner is closing).
    pub(super) fn finish(&self) {
        let last = self.last().take();
        if let Some(handle) = last {
            self.hurry.store(true, Ordering::Relaxed);
            let _ = handle.join();
            self.hurry.store(false, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletions_run_in_order_in_the_background_and_finish_hurries_them() {
        let done = Arc::new(Mutex::new(Vec::new()));
        let removals = Arc::new(Removals::default());
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let first = done.clone();
        removals.run(move |hurry| {
            // Held until the test lets it go: `run` did not wait for it.
            hold.recv().unwrap();
            first
                .lock()
                .unwrap()
                .push((1, hurry.load(Ordering::Relaxed)));
        });
        for i in 2..=4 {
            let d = done.clone();
            removals.run(move |hurry| d.lock().unwrap().push((i, hurry.load(Ordering::Relaxed))));
        }
        assert!(done.lock().unwrap().is_empty());
        let finishing = {
            let removals = removals.clone();
            std::thread::spawn(move || removals.finish())
        };
        while !removals.hurry.load(Ordering::Relaxed) {
            std::thread::yield_now();
        }
        release.send(()).unwrap();
        finishing.join().unwrap();
        // In order, each told to hurry.
        let all = [(1, true), (2, true), (3, true), (4, true)];
        assert_eq!(*done.lock().unwrap(), all);
        // Nothing left to finish; later deletions rest again.
        removals.finish();
        let (tx, rx) = std::sync::mpsc::channel();
        removals.run(move |hurry| tx.send(hurry.load(Ordering::Relaxed)).unwrap());
        assert!(!rx.recv().unwrap());
        removals.finish();
    }
}
