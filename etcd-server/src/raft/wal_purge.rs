//! Purged wal segments are deleted on a thread of their own.
//!
//! Deleting a 64 MiB file is not free: on a file system mounted with
//! `discard` (this VM's ext4 is), the unlink itself waits while the device
//! discards every block, 16 ms and more here. openraft awaits `purge` in its
//! core, so done inline that wait stopped every write of the member (seen as
//! a gap of 7-18 ms without a single answer under load, each time a snapshot
//! let the log be purged). The purge point is durable before the files go,
//! and a segment left behind by a crash is found at the next start and
//! deleted by a later purge, so nothing waits for the deletion. Done in one
//! unlink even there, it still kept the device from the appends' syncs for
//! as long, so the files go a slice at a time ([`remove_gradually`]).

use super::durable_file::remove_gradually;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;

/// Deletes segment files in the background, in the order given.
#[derive(Debug, Default)]
pub(super) struct Removals {
    /// The thread deleting the latest files given (it waits for the thread
    /// before it, so joining it waits for them all).
    last: Mutex<Option<JoinHandle<()>>>,
}

fn remove_all(dir: &Path, paths: &[PathBuf]) {
    for path in paths {
        tracing::debug!(file = %path.display(), "removing a purged wal segment");
        // Failing to delete only wastes disk: the purge point is durable.
        if let Err(e) = remove_gradually(dir, path) {
            tracing::warn!(file = %path.display(), error = %e, "could not remove a purged wal segment");
        }
    }
}

impl Removals {
    fn last(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Deletes `paths` (segments of `dir`) after the files given before,
    /// without waiting for it.
    pub(super) fn remove(&self, dir: &Path, paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        let mut last = self.last();
        let before = last.take();
        let (owned_dir, inline) = (dir.to_path_buf(), paths.clone());
        let spawned = std::thread::Builder::new()
            .name("wal-purge".into())
            .spawn(move || {
                if let Some(before) = before {
                    let _ = before.join();
                }
                remove_all(&owned_dir, &paths);
            });
        match spawned {
            Ok(handle) => *last = Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "could not start a thread to remove purged wal segments; removing them now");
                remove_all(dir, &inline);
            }
        }
    }

    /// Waits until every file given so far is deleted.
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

    #[test]
    fn files_go_in_the_background_and_wait_sees_them_gone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let paths: Vec<PathBuf> = (1..=5).map(|i| dir.join(format!("{i}.wal"))).collect();
        for p in &paths {
            std::fs::write(p, b"records").unwrap();
        }
        let removals = Removals::default();
        removals.remove(dir, paths[..2].to_vec());
        // A file already gone is only logged; the others still go.
        removals.remove(dir, vec![dir.join("missing.wal"), paths[2].clone()]);
        removals.remove(dir, Vec::new());
        removals.remove(dir, paths[3..].to_vec());
        removals.wait();
        for p in &paths {
            assert!(!p.exists(), "{} is still there", p.display());
        }
        // Nothing left to wait for.
        removals.wait();
    }
}
