//! The next wal segment, written ahead of need on a thread of its own.
//!
//! A new segment is written whole before use (zeros up to the segment size,
//! see [`wal::fill_with_zeros`]), which takes tens of milliseconds. Done when
//! the active segment is full, that would stall every write behind it; so
//! once the active segment is half full the spare is written in the
//! background, and starting the next segment only renames it.

use super::wal;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

#[derive(Debug, Default)]
pub(super) struct Spare {
    /// The thread writing [`wal::SPARE_FILE`], or that wrote it.
    writing: Mutex<Option<JoinHandle<io::Result<File>>>>,
    /// Tells that thread to stop (the store is going away).
    stop: Arc<AtomicBool>,
}

impl Spare {
    fn writing(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<io::Result<File>>>> {
        self.writing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts writing the spare in `dir` unless it is written or under way.
    pub(super) fn start(&self, dir: &Path, size: u64) {
        let mut writing = self.writing();
        if writing.is_some() {
            return;
        }
        let dir = dir.to_path_buf();
        let stop = self.stop.clone();
        let spawned = std::thread::Builder::new()
            .name("wal-spare".into())
            .spawn(move || wal::write_spare(&dir, size, wal::Pace::Background(&stop)));
        match spawned {
            Ok(handle) => *writing = Some(handle),
            // The next segment is then written when it is needed.
            Err(e) => tracing::warn!(error = %e, "could not start writing the next wal segment"),
        }
    }

    /// The new segment `seq` of `dir`: the spare once it is written (waiting
    /// for it if need be), else a segment written now.
    pub(super) fn take(&self, dir: &Path, seq: u64, size: u64) -> io::Result<(PathBuf, File)> {
        let handle = self.writing().take();
        let joined = handle.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(io::Error::other("the thread panicked")))
        });
        let written = match joined {
            Some(Ok(file)) => Some(file),
            Some(Err(e)) => {
                tracing::warn!(dir = %dir.display(), error = %e, "writing the next wal segment ahead failed; writing it now");
                None
            }
            None => None,
        };
        match written {
            Some(file) => Ok((wal::install_spare(dir, seq)?, file)),
            None => wal::create_segment(dir, seq, size),
        }
    }

    /// Stops writing the spare and waits for the thread (the store is going
    /// away; the next open removes what was written).
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.writing().take() {
            let _ = handle.join();
        }
    }
}
