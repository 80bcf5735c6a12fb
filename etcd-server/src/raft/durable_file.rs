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
    write_durably_with(dir, name, |f| f.write_all(bytes))
}

/// Atomically and durably replaces `dir/name` with what `write` writes
/// (buffered, so a large file is streamed rather than built in memory). On
/// an error the temporary file is removed and `dir/name` is left as it was.
pub fn write_durably_with(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let path = dir.join(name);
    let tmp = tmp_path(&path);
    let written = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        let mut buffered = io::BufWriter::new(file);
        write(&mut buffered)?;
        buffered
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()
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
}
