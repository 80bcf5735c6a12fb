//! Small helpers for crash-safe files, shared by the raft log, the snapshots
//! and the member's identity file.
//!
//! A file that must survive a crash is written whole to `<name>.tmp`, fsynced,
//! renamed over `<name>` and then the directory is fsynced, so after a crash
//! either the old or the new content is there, never a mix. A leftover
//! `*.tmp` is an incomplete write and is deleted when the directory is opened.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The suffix of files being written; they are never read back.
pub(super) const TMP_SUFFIX: &str = ".tmp";

/// Fsyncs a directory, making renames, creations and deletions in it durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Atomically and durably replaces `dir/name` with `bytes`.
pub fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let path = dir.join(name);
    let tmp = tmp_path(&path);
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    sync_dir(dir)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(TMP_SUFFIX);
    PathBuf::from(s)
}

/// Removes the leftovers of interrupted writes (`*.tmp`) from `dir`.
pub(super) fn remove_tmp_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(TMP_SUFFIX) {
            tracing::warn!(
                file = %entry.path().display(),
                "removing the leftover of an interrupted write"
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
