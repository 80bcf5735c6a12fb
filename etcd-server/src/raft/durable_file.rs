//! Small helpers for crash-safe files, shared by the raft log, the snapshots
//! and the member's identity file.
//!
//! A file that must survive a crash is written whole to `<name>.tmp`, fsynced,
//! renamed over `<name>` and then the directory is fsynced, so after a crash
//! either the old or the new content is there, never a mix. A leftover
//! `*.tmp` is an incomplete write (or deletion) and is deleted when the
//! directory is opened.

use super::gentle_write::{write_gently, Data};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The suffix of files being written; they are never read back.
pub(super) const TMP_SUFFIX: &str = ".tmp";

/// Fsyncs a directory, making renames, creations and deletions in it durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Atomically and durably replaces `dir/name` with `bytes`.
pub fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    write_durably_with(dir, name, |f| f.write_all(bytes))
}

/// [`write_durably`] for a large file written beside the log's appends: the
/// bytes go to the disk gently (see [`super::gentle_write`]).
pub(super) fn write_durably_gently(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    replace_durably(dir, name, |tmp, file| {
        write_gently(tmp, file, 0, Data::Bytes(bytes), None)
    })
}

/// Atomically and durably replaces `dir/name` with what `write` writes
/// (buffered, so a large file is streamed rather than built in memory). On
/// an error the temporary file is removed and `dir/name` is left as it was.
pub fn write_durably_with(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    replace_durably(dir, name, |_, file| {
        let mut buffered = io::BufWriter::new(file);
        write(&mut buffered)?;
        buffered.flush()
    })
}

/// Creates `dir/name.tmp`, lets `fill` write it (given its path and an open
/// handle), syncs it, renames it over `dir/name` and syncs `dir`. On an
/// error the temporary file is removed and `dir/name` is left as it was.
fn replace_durably(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&Path, &File) -> io::Result<()>,
) -> io::Result<()> {
    let path = dir.join(name);
    let tmp = tmp_path(&path);
    let written = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        fill(&tmp, &file)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &path)?;
    sync_dir(dir)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(TMP_SUFFIX);
    PathBuf::from(s)
}

/// Removes `path` if it is there.
pub(super) fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// How much of a file [`remove_gradually`] frees at a time.
const REMOVAL_STEP: u64 = 256 << 10;

/// The longest rest between two cuts. When a cut itself is slow (8 ms was
/// seen here on a busy disk), resting three times as long would make a
/// 64 MiB segment take longer to delete than a busy member takes to fill
/// the next one, and deletions would fall behind.
const MAX_REST: Duration = Duration::from_millis(2);

/// Deletes `path` (a file of `dir`) a slice at a time, resting between
/// slices, for the sake of the syncs of the writes that run meanwhile.
///
/// On a file system mounted with `discard`, freeing blocks makes the device
/// discard them before the call returns, and the device does nothing else
/// meanwhile: an unlink of a 64 MiB file took 16-18 ms here, and every
/// fdatasync issued during it waited that long. Cut from its end 256 KiB at
/// a time (0.2 ms each here, 0.6 ms at worst when idle) with three times
/// that as rest after each cut (at most [`MAX_REST`]), a sync waits for one
/// cut at most. Without `discard` each cut is cheap.
///
/// The file is first renamed to `<name>.tmp` (and the rename made durable):
/// a crash midway then leaves no shortened file under its own name, only a
/// leftover that the next start deletes.
pub(super) fn remove_gradually(dir: &Path, path: &Path, pace: Pace<'_>) -> io::Result<()> {
    let doomed = doom(path)?;
    sync_dir(dir)?;
    cut_down(&doomed, pace)
}

/// How a file is deleted.
#[derive(Debug, Clone, Copy)]
pub(super) enum Pace<'a> {
    /// Nothing else runs (start-up, offline tools): in one unlink, the
    /// quickest way.
    AtOnce,
    /// Beside the log's writes: cut down with a rest after each cut, until
    /// the flag says to hurry (the store is closing); the rest goes at once.
    Gently(&'a AtomicBool),
}

/// The rest after a cut that took `cut`.
fn rest(cut: Duration) -> Duration {
    (cut * 3).min(MAX_REST)
}

/// The first half of [`remove_gradually`]: renames `path` to `<name>.tmp`
/// and returns that (the caller makes the rename durable).
pub(super) fn doom(path: &Path) -> io::Result<PathBuf> {
    let doomed = tmp_path(path);
    fs::rename(path, &doomed)?;
    Ok(doomed)
}

/// The second half of [`remove_gradually`]: deletes `doomed` at `pace`.
/// The unlink is not synced: should a crash undo it, the next start deletes
/// the `*.tmp` anyway.
pub(super) fn cut_down(doomed: &Path, pace: Pace<'_>) -> io::Result<()> {
    if let Pace::Gently(hurry) = pace {
        let file = OpenOptions::new().write(true).open(doomed)?;
        let mut len = file.metadata()?.len();
        while len > 0 && !hurry.load(Ordering::Relaxed) {
            let began = Instant::now();
            len = len.saturating_sub(REMOVAL_STEP);
            file.set_len(len)?;
            if len > 0 {
                std::thread::sleep(rest(began.elapsed()));
            }
        }
    }
    fs::remove_file(doomed)
}

/// Removes the leftovers of interrupted writes and deletions (`*.tmp`) from
/// `dir`.
pub(super) fn remove_tmp_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(TMP_SUFFIX) {
            tracing::warn!(
                file = %entry.path().display(),
                "removing the leftover of an interrupted write or deletion"
            );
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// An `InvalidData` error naming `path`.
pub(super) fn corrupt(path: &Path, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_leftover() {
        let dir = tempfile::tempdir().unwrap();
        write_durably(dir.path(), "f", b"old").unwrap();
        let err = write_durably_with(dir.path(), "f", |w| {
            w.write_all(b"half of the new")?;
            Err(io::Error::other("the writer failed"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "the writer failed");
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"old");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f"]);
        write_durably_with(dir.path(), "f", |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"new");
    }

    #[test]
    fn a_file_removed_gradually_is_gone_with_its_leftover_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        // Several steps, the last one partial.
        fs::write(&path, vec![7u8; (2 * REMOVAL_STEP + 4096) as usize]).unwrap();
        fs::write(dir.path().join("other"), b"kept").unwrap();
        let calm = AtomicBool::new(false);
        remove_gradually(dir.path(), &path, Pace::Gently(&calm)).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["other"]);
        // An empty file, and a file that is not there.
        fs::write(&path, b"").unwrap();
        remove_gradually(dir.path(), &path, Pace::AtOnce).unwrap();
        assert!(!path.exists());
        let err = remove_gradually(dir.path(), &path, Pace::AtOnce).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_rest_is_three_cuts_long_up_to_the_cap() {
        assert_eq!(rest(Duration::from_micros(200)), Duration::from_micros(600));
        assert_eq!(rest(Duration::from_millis(8)), MAX_REST);
    }

    #[test]
    fn a_hurried_deletion_removes_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, vec![7u8; (3 * REMOVAL_STEP) as usize]).unwrap();
        let hurry = AtomicBool::new(true);
        remove_gradually(dir.path(), &path, Pace::Gently(&hurry)).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_deletion_cut_short_is_a_leftover_the_next_open_removes() {
        let dir = tempfile::tempdir().unwrap();
        // What a crash in the middle of remove_gradually leaves: the file
        // renamed by `doom`, cut only part of the way.
        let segment = dir.path().join("segment");
        fs::write(&segment, vec![0u8; 4096]).unwrap();
        let doomed = doom(&segment).unwrap();
        OpenOptions::new()
            .write(true)
            .open(&doomed)
            .unwrap()
            .set_len(100)
            .unwrap();
        fs::write(dir.path().join("segment2"), b"whole").unwrap();
        remove_tmp_files(dir.path()).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["segment2"]);
    }
}
