//! Backups: taking one (from a data directory, stopped or running, or from a
//! running member's `/backup` answer) and writing it atomically.
//!
//! A backup is a data directory that holds the latest state and nothing that
//! ties it to its cluster:
//!
//! ```text
//! <backup-dir>/member/snap/<term>-<index>.snap   the store (snapshot file format)
//! <backup-dir>/member/wal/                       empty (or --backup-wal-dir)
//! <backup-dir>/member/backup.json                the manifest: what, when, checksum
//! ```
//!
//! The snapshot keeps every key with its indexes, TTLs and the event history;
//! the member records (`/0/members`), the raft membership and the member's
//! identity are gone. A member starts from it only with `--force-new-cluster`
//! (see [`crate::restore`]), which checks the manifest's checksum first.

use crate::raft::datadir;
use crate::raft::typ::{SnapshotMeta, StoredMembership};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The manifest's file name, in the backup's `member` directory.
pub const MANIFEST: &str = "backup.json";
/// The manifest's `format` value.
pub const FORMAT: &str = "etcd-server-backup/1";

/// What `backup.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// When the backup was taken (RFC 3339).
    pub created_at: String,
    /// The data dir or URL it was taken from.
    pub source: String,
    /// The store index (`X-Etcd-Index`) at the backup point.
    pub etcd_index: u64,
    /// The raft index and term at the backup point.
    pub raft_index: u64,
    pub raft_term: u64,
    /// The snapshot file and its checksum.
    pub snapshot: FileSum,
}

/// A file of the backup with its size and CRC-32.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    pub file: String,
    pub size: u64,
    pub crc32: u32,
}

/// Why a backup could not be taken or written. The texts are the reference
/// etcdctl's where it has one.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A source directory is missing.
    #[error("open {0}: no such file or directory")]
    Missing(String),
    /// The backup directory already holds a backup.
    #[error("failed creating backup snapshot dir {dir}: expected {dir:?} to be empty, got {got}")]
    NotEmpty { dir: String, got: String },
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The directory holds no state this server wrote (another program's
    /// data dir, for instance the reference etcd's).
    #[error(
        "{0}: no etcd-server data (no snapshot in member/snap, no raft log entries in the wal dir)"
    )]
    NoData(String),
    /// What a running member sent is not a valid snapshot.
    #[error("the snapshot received from {source_name} is damaged: {why}")]
    Damaged { source_name: String, why: String },
}

/// The state a backup holds, ready to be written.
#[derive(Debug)]
pub struct Backup {
    meta: SnapshotMeta,
    store: Vec<u8>,
    etcd_index: u64,
    source: String,
}

/// Go's `filepath.Join` for display: no `./` prefix, no doubled separators.
pub fn go_join(base: &Path, rest: &str) -> String {
    let joined = base.join(rest);
    let mut out = PathBuf::new();
    for c in joined.components() {
        if c != std::path::Component::CurDir {
            out.push(c);
        }
    }
    let s = out.display().to_string();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

impl Backup {
    /// Reads the data dir `data_dir` (its log in `wal_dir`, by default
    /// `<data_dir>/member/wal`), stopped or running, changing nothing.
    /// `progress` hears `(entries, bytes)` as the log is read.
    pub fn from_data_dir(
        data_dir: &Path,
        wal_dir: Option<&Path>,
        progress: datadir::Progress<'_>,
    ) -> Result<Backup, BackupError> {
        let snap_dir = data_dir.join("member").join("snap");
        if !snap_dir.is_dir() {
            return Err(BackupError::Missing(go_join(data_dir, "member/snap")));
        }
        let (wal_dir, shown) = match wal_dir {
            Some(w) => (w.to_path_buf(), w.display().to_string()),
            None => (
                data_dir.join("member").join("wal"),
                go_join(data_dir, "member/wal"),
            ),
        };
        if !wal_dir.is_dir() {
            return Err(BackupError::Missing(shown));
        }
        let loaded = datadir::load(&snap_dir, &wal_dir, progress)?;
        if loaded.last_log_id.is_none() {
            return Err(BackupError::NoData(data_dir.display().to_string()));
        }
        Ok(Backup::from_state(
            loaded.last_log_id,
            loaded.store,
            data_dir.display().to_string(),
        ))
    }

    /// A backup from the snapshot bytes a running member's `/backup` sent
    /// (checked: a damaged transfer is refused).
    pub fn from_snapshot(bytes: &[u8], source: &str) -> Result<Backup, BackupError> {
        let damaged = |why: String| BackupError::Damaged {
            source_name: source.to_owned(),
            why,
        };
        let (meta, data) = datadir::decode_snapshot(bytes).map_err(damaged)?;
        let store = Store::restore(data).map_err(|e| damaged(e.to_string()))?;
        Ok(Backup::from_state(
            meta.last_log_id,
            store,
            source.to_owned(),
        ))
    }

    fn from_state(
        last_log_id: Option<crate::raft::typ::LogId>,
        mut store: Store,
        source: String,
    ) -> Backup {
        crate::cluster::forget_members(&mut store);
        let meta = SnapshotMeta {
            last_log_id,
            last_membership: StoredMembership::default(),
            snapshot_id: format!("backup-{}", crate::app::now_nanos()),
        };
        Backup {
            meta,
            etcd_index: store.index(),
            store: store.save(),
            source,
        }
    }

    /// The store index at the backup point.
    pub fn etcd_index(&self) -> u64 {
        self.etcd_index
    }

    /// The raft index at the backup point.
    pub fn raft_index(&self) -> u64 {
        self.meta.last_log_id.map_or(0, |l| l.index)
    }

    /// Writes the backup as a new data dir at `backup_dir` (its empty log
    /// dir at `backup_wal_dir` when given). The files are written and synced
    /// in a temporary directory that is then renamed into place, so an
    /// interrupted backup never leaves a complete-looking directory. Returns
    /// the bytes written.
    pub fn write(
        &self,
        backup_dir: &Path,
        backup_wal_dir: Option<&Path>,
    ) -> Result<u64, BackupError> {
        let snapshot = datadir::encode_snapshot(&self.meta, &self.store)?;
        let name = datadir::snapshot_file_name(&self.meta);
        let manifest = Manifest {
            format: FORMAT.into(),
            created_at: etcd_client::time::format_rfc3339_nano(crate::app::now_nanos()),
            source: self.source.clone(),
            etcd_index: self.etcd_index,
            raft_index: self.raft_index(),
            raft_term: self.meta.last_log_id.map_or(0, |l| l.leader_id.term),
            snapshot: FileSum {
                file: name.clone(),
                size: snapshot.len() as u64,
                crc32: crc32fast::hash(&snapshot),
            },
        };
        let manifest = serde_json::to_vec_pretty(&manifest).expect("serialisable");
        let target = Target::prepare(backup_dir)?;
        let member = &target.member;
        let staged = (|| -> io::Result<()> {
            make_dir(&member.join("snap"))?;
            write_file(&member.join("snap"), &name, &snapshot, 0o644)?;
            if backup_wal_dir.is_none() {
                make_dir(&member.join("wal"))?;
            }
            write_file(member, MANIFEST, &manifest, 0o644)?;
            sync(member)?;
            if *member != target.stage {
                sync(&target.stage)?;
            }
            Ok(())
        })();
        if let Err(e) = staged {
            let _ = fs::remove_dir_all(&target.stage);
            return Err(e.into());
        }
        if let Some(w) = backup_wal_dir {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(w)?;
        }
        if let Err(e) = fs::rename(&target.stage, &target.dest) {
            let _ = fs::remove_dir_all(&target.stage);
            return Err(e.into());
        }
        let parent = target
            .dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        sync(parent)?;
        Ok((snapshot.len() + manifest.len()) as u64)
    }
}

/// Where a backup is staged and what the stage is renamed to.
struct Target {
    /// The temporary directory, renamed to `dest` once complete.
    stage: PathBuf,
    dest: PathBuf,
    /// The backup's `member` directory inside the stage: the stage itself
    /// when it becomes `<backup-dir>/member` (the backup dir already holds
    /// other files), `<stage>/member` when it becomes the backup dir.
    member: PathBuf,
}

impl Target {
    fn prepare(backup_dir: &Path) -> Result<Target, BackupError> {
        let shown = |rest: &str| go_join(backup_dir, rest);
        let backup_dir = if backup_dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            backup_dir
        };
        let tag = format!("backup-tmp-{}", std::process::id());
        let entries = match fs::read_dir(backup_dir) {
            Ok(rd) => Some(rd.collect::<io::Result<Vec<_>>>()?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        match entries {
            Some(entries) if !entries.is_empty() => {
                let snap = backup_dir.join("member").join("snap");
                let got = names(&snap);
                if !got.is_empty() {
                    return Err(BackupError::NotEmpty {
                        dir: shown("member/snap"),
                        got: go_list(&got),
                    });
                }
                let member = backup_dir.join("member");
                if member.exists() {
                    // Only empty directories (what an earlier failed run of
                    // the reference leaves) may be replaced.
                    remove_empty_tree(&member).map_err(|_| BackupError::NotEmpty {
                        dir: shown("member"),
                        got: go_list(&names(&member)),
                    })?;
                }
                let stage = backup_dir.join(format!(".member.{tag}"));
                make_dir(&stage)?;
                Ok(Target {
                    member: stage.clone(),
                    stage,
                    dest: member,
                })
            }
            _ => {
                let parent = match backup_dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let base = backup_dir
                    .file_name()
                    .map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned());
                fs::create_dir_all(&parent)?;
                let stage = parent.join(format!(".{base}.{tag}"));
                let _ = fs::remove_dir_all(&stage);
                make_dir(&stage)?;
                let member = stage.join("member");
                make_dir(&member)?;
                Ok(Target {
                    member,
                    stage,
                    dest: backup_dir.to_path_buf(),
                })
            }
        }
    }
}

/// Names as Go prints a `[]string` with `%q`: `["a" "b"]`.
fn go_list(names: &[String]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|n| etcd_client::gofmt::go_quote(n))
        .collect();
    format!("[{}]", quoted.join(" "))
}

/// The sorted names in `dir` (none when it is missing).
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Removes `dir` if it holds nothing but empty directories.
fn remove_empty_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_empty_tree(&entry.path())?;
        } else {
            return Err(io::Error::other("not empty"));
        }
    }
    fs::remove_dir(dir)
}

fn make_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().mode(0o700).create(dir)
}

fn write_file(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(dir.join(name))?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Checks the backup manifest in `member_dir` against the snapshot it names;
/// `Ok(None)` when there is no manifest (not a backup).
pub fn verify(member_dir: &Path) -> Result<Option<Manifest>, String> {
    let path = member_dir.join(MANIFEST);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a backup manifest: {e}", path.display()))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "{}: unknown backup format {:?}",
            path.display(),
            manifest.format
        ));
    }
    let snap = member_dir.join("snap").join(&manifest.snapshot.file);
    let data = fs::read(&snap).map_err(|e| format!("{}: {e}", snap.display()))?;
    if data.len() as u64 != manifest.snapshot.size {
        return Err(format!(
            "{}: damaged: {} bytes, the backup manifest says {}",
            snap.display(),
            data.len(),
            manifest.snapshot.size
        ));
    }
    let crc = crc32fast::hash(&data);
    if crc != manifest.snapshot.crc32 && datadir::decode_snapshot(&data).is_ok() {
        // The snapshot checks out on its own: the manifest is what changed.
        return Err(format!(
            "{}: damaged: it records checksum {:08x} for the intact snapshot {} ({crc:08x})",
            path.display(),
            manifest.snapshot.crc32,
            snap.display()
        ));
    }
    if crc != manifest.snapshot.crc32 {
        return Err(format!(
            "{}: damaged: checksum {crc:08x}, the backup manifest says {:08x}",
            snap.display(),
            manifest.snapshot.crc32
        ));
    }
    Ok(Some(manifest))
}
