//! The raft state machine over the v2 store ([`StateMachine`]).
//!
//! The store lives in memory; it is made durable by snapshots (see
//! `raft/snapshot_file.rs`): every snapshot, built or installed, is on disk
//! before openraft hears of it, and at start the newest one is loaded. openraft
//! then re-applies the committed log after it (the log store remembers the
//! committed id), so the store catches up without waiting for a leader.
//!
//! The last applied log id and membership change together with the store,
//! under the store's write lock, so a snapshot (taken under the read lock) is
//! always a consistent view.

use super::durable_file::Pace;
use super::low_priority;
use super::removals::Removals;
use super::snapshot_due::SnapshotDue;
use super::snapshot_file::{self, Writing};
use super::typ::{Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership};
use super::{Response, TypeConfig};
use crate::store::{Frozen, Sink, Store};
use crate::watch::WatchHub;
use openraft::storage::RaftStateMachine;
use openraft::{EntryPayload, ErrorSubject, ErrorVerb, OptionalSend, RaftSnapshotBuilder};
use std::fmt;
use std::io::{self, Cursor};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// The raft state machine: the v2 store, this member's watch hub and the
/// snapshot directory. Open with [`StateMachine::open`].
pub struct StateMachine {
    store: Arc<RwLock<Store>>,
    hub: WatchHub,
    applied: Arc<Mutex<Applied>>,
    snapshots: Arc<Snapshots>,
    due: Arc<SnapshotDue>,
}

/// A shared view of a [`StateMachine`]'s store and applied position, for
/// consistent copies taken outside raft (online backups).
#[derive(Clone)]
pub struct StateView {
    store: Arc<RwLock<Store>>,
    applied: Arc<Mutex<Applied>>,
}

impl fmt::Debug for StateView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateView")
            .field("applied", &*lock(&self.applied))
            .finish_non_exhaustive()
    }
}

impl StateView {
    /// The store (never hold its lock across an `.await`).
    pub fn store(&self) -> Arc<RwLock<Store>> {
        self.store.clone()
    }

    /// A snapshot of the current state: its meta (last applied log id and
    /// membership), the snapshot file's bytes and the store index. The
    /// store's read lock is held only while a copy is taken ([`StateCopy`]).
    pub fn snapshot_file(&self) -> io::Result<(SnapshotMeta, Vec<u8>, u64)> {
        let (meta, bytes, index, _) = self.copy().encoded()?;
        Ok((meta, bytes, index))
    }

    /// A consistent copy of the current state, to encode later.
    fn copy(&self) -> StateCopy {
        let store = self.store.read().unwrap_or_else(|p| p.into_inner());
        StateCopy {
            applied: lock(&self.applied).clone(),
            frozen: store.freeze(),
        }
    }
}

/// The store and what it has applied, as of one moment. Taking it copies the
/// tree's tables but no values (`store::Frozen`); encoding it takes far longer
/// (4-10 ms for 10k keys on a busy 2-CPU machine), and done under the store's
/// lock it held up every apply, and the answers to some 200 writes, for that
/// long.
struct StateCopy {
    applied: Applied,
    frozen: Frozen,
}

impl StateCopy {
    /// What [`StateView::snapshot_file`] gives, and how many writes (applied
    /// since the state machine was opened) the snapshot holds.
    fn encoded(&self) -> io::Result<(SnapshotMeta, Vec<u8>, u64, u64)> {
        let data = self.frozen.save();
        let meta = snapshot_meta(self.applied.clone());
        let bytes = snapshot_file::encode(&meta, &data)?;
        Ok((meta, bytes, self.frozen.index(), self.applied.writes))
    }
}

/// The meta of a snapshot of the state `applied`.
fn snapshot_meta(applied: Applied) -> SnapshotMeta {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let snapshot_id = match applied.last_applied {
        Some(l) => format!("{}-{}-{stamp}", l.leader_id.term, l.index),
        None => format!("0-0-{stamp}"),
    };
    SnapshotMeta {
        last_log_id: applied.last_applied,
        last_membership: applied.membership,
        snapshot_id,
    }
}

/// Builds a snapshot of a [`StateMachine`] as it was when openraft asked for
/// the builder (openraft then runs it in a task of its own while entries
/// keep being applied). The copy is taken there, by the state machine's own
/// worker between two applies, so no apply waits for a lock; it is encoded
/// and written on a thread of low priority (`low_priority.rs`).
pub struct SnapshotBuilder {
    /// Taken by the one build.
    state: Option<StateCopy>,
    snapshots: Arc<Snapshots>,
    due: Arc<SnapshotDue>,
}

/// What the state machine has applied; changed only under the store's write
/// lock.
#[derive(Debug, Clone, Default)]
struct Applied {
    last_applied: Option<LogId>,
    membership: StoredMembership,
    /// Writes applied since the state machine was opened (what
    /// `--snapshot-count` counts, see `snapshot_due.rs`).
    writes: u64,
}

#[derive(Debug)]
struct Snapshots {
    dir: PathBuf,
    /// The newest snapshot on disk. The lock also serialises writing
    /// snapshot files and renaming the older ones away.
    current: Mutex<Option<Current>>,
    /// Older snapshots being cut down and deleted.
    removals: Removals,
}

#[derive(Debug, Clone)]
struct Current {
    meta: SnapshotMeta,
    path: PathBuf,
}

impl fmt::Debug for StateMachine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateMachine")
            .field("applied", &*lock(&self.applied))
            .field("snapshots", &self.snapshots.dir)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SnapshotBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotBuilder")
            .field("snapshots", &self.snapshots.dir)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl StateMachine {
    /// Opens the state machine from the newest snapshot in `snap_dir`
    /// (creating the directory); an empty store when there is none. A damaged
    /// newest snapshot is an error naming the file: older data is never used
    /// in its place. A snapshot is due once more than `snapshot_count`
    /// writes were applied since the newest one ([`StateMachine::snapshot_due`]).
    pub fn open(snap_dir: &Path, hub: WatchHub, snapshot_count: u64) -> io::Result<StateMachine> {
        let files = snapshot_file::open_dir(snap_dir)?;
        let (store, applied, current) = match files.last() {
            None => (Store::new(), Applied::default(), None),
            Some(newest) => {
                let (meta, bytes, start) = snapshot_file::read(newest)?;
                let store = Store::restore(&bytes[start..])
                    .map_err(|e| super::durable_file::corrupt(newest, e))?;
                let doomed = snapshot_file::doom_others(snap_dir, newest)?;
                // Nothing else runs yet: one unlink.
                snapshot_file::cut_down_all(&doomed, Pace::AtOnce);
                tracing::info!(file = %newest.display(), snapshot = %meta, "loaded the store from a snapshot");
                let applied = Applied {
                    last_applied: meta.last_log_id,
                    membership: meta.last_membership.clone(),
                    writes: 0,
                };
                let current = Current {
                    meta,
                    path: newest.clone(),
                };
                (store, applied, Some(current))
            }
        };
        Ok(StateMachine {
            store: Arc::new(RwLock::new(store)),
            hub,
            applied: Arc::new(Mutex::new(applied)),
            snapshots: Arc::new(Snapshots {
                dir: snap_dir.to_path_buf(),
                current: Mutex::new(current),
                removals: Removals::default(),
            }),
            due: Arc::new(SnapshotDue::new(snapshot_count)),
        })
    }

    /// What tells when a snapshot is due.
    pub fn snapshot_due(&self) -> Arc<SnapshotDue> {
        self.due.clone()
    }

    /// The store (never hold its lock across an `.await`).
    pub fn store(&self) -> Arc<RwLock<Store>> {
        self.store.clone()
    }

    /// A shared view of the store and the applied position.
    pub fn view(&self) -> StateView {
        StateView {
            store: self.store.clone(),
            applied: self.applied.clone(),
        }
    }

    /// The watch hub applied events are reported to.
    pub fn hub(&self) -> WatchHub {
        self.hub.clone()
    }

    /// The last applied log id.
    pub fn last_applied(&self) -> Option<LogId> {
        lock(&self.applied).last_applied
    }

    fn apply_one(&self, entry: Entry) -> Response {
        let mut store = self.store.write().unwrap_or_else(|p| p.into_inner());
        let mut applied = lock(&self.applied);
        let Applied {
            last_applied,
            membership,
            writes,
        } = &mut *applied;
        if let EntryPayload::Normal(batch) = &entry.payload {
            *writes += batch.0.len() as u64;
        }
        let writes = *writes;
        let response = apply_entry(
            &mut store,
            last_applied,
            membership,
            entry,
            &mut self.hub.sink(),
        );
        self.due.applied(writes);
        response
    }
}

/// Applies one log entry to `store` (its requests report to `sink`),
/// advancing the applied position; what a member does for each committed
/// entry, and what reading a data dir from outside does too.
pub(super) fn apply_entry(
    store: &mut Store,
    last_applied: &mut Option<LogId>,
    membership: &mut StoredMembership,
    entry: Entry,
    sink: &mut dyn Sink,
) -> Response {
    *last_applied = Some(entry.log_id);
    match entry.payload {
        EntryPayload::Blank => Response::default(),
        EntryPayload::Normal(batch) => Response(
            batch
                .0
                .iter()
                .map(|req| store.apply(&req.command, req.now, sink).transpose())
                .collect(),
        ),
        EntryPayload::Membership(m) => {
            *membership = StoredMembership::new(Some(entry.log_id), m);
            Response::default()
        }
    }
}

impl Drop for Snapshots {
    /// Finishes deleting the older snapshots (at once).
    fn drop(&mut self) {
        self.removals.finish();
    }
}

impl Snapshots {
    /// Makes `bytes` (the snapshot `meta`) the current snapshot on disk,
    /// unless a newer one already is.
    fn persist(&self, meta: &SnapshotMeta, bytes: &[u8], how: Writing) -> io::Result<()> {
        let mut current = lock(&self.current);
        if let Some(cur) = &*current {
            if cur.meta.last_log_id > meta.last_log_id {
                tracing::debug!(kept = %cur.meta, dropped = %meta, "not persisting a snapshot older than the current one");
                return Ok(());
            }
        }
        let (path, doomed) = snapshot_file::persist(&self.dir, meta, bytes, how)?;
        if !doomed.is_empty() {
            // Renamed away under the lock; cut down on the removal thread,
            // which nothing waits for (removals.rs).
            self.removals
                .run(move |hurry| snapshot_file::cut_down_all(&doomed, Pace::Gently(hurry)));
        }
        *current = Some(Current {
            meta: meta.clone(),
            path,
        });
        Ok(())
    }

    fn current(&self) -> io::Result<Option<Snapshot>> {
        let current = lock(&self.current);
        let Some(cur) = &*current else {
            return Ok(None);
        };
        let (_, bytes, _) = snapshot_file::read(&cur.path)?;
        Ok(Some(Snapshot {
            meta: cur.meta.clone(),
            snapshot: Box::new(Cursor::new(bytes)),
        }))
    }
}

/// Encodes `state` and makes it the current snapshot on disk.
fn build(state: StateCopy, snapshots: &Snapshots, due: &SnapshotDue) -> io::Result<Snapshot> {
    let (meta, bytes, _, writes) = state.encoded()?;
    snapshots.persist(&meta, &bytes, Writing::Gently)?;
    due.covered(writes);
    tracing::info!(snapshot = %meta, bytes = bytes.len(), "built a snapshot");
    Ok(Snapshot {
        meta,
        snapshot: Box::new(Cursor::new(bytes)),
    })
}

/// Runs blocking work off the async runtime's workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(io::Error::other)?
}

fn snapshot_err(verb: ErrorVerb, e: io::Error) -> StorageError {
    StorageError::from_io_error(ErrorSubject::Snapshot(None), verb, e)
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let state = self.state.take().ok_or_else(|| {
            let e = io::Error::other("this snapshot builder has built its snapshot already");
            snapshot_err(ErrorVerb::Read, e)
        })?;
        let (snapshots, due) = (self.snapshots.clone(), self.due.clone());
        // The copy goes with the work: dropping it (a reference count per
        // key) happens on that thread too.
        low_priority::run("snapshot", move || build(state, &snapshots, &due))
            .await
            .map_err(|e| snapshot_err(ErrorVerb::Write, e))
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let applied = lock(&self.applied);
        Ok((applied.last_applied, applied.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        Ok(entries.into_iter().map(|e| self.apply_one(e)).collect())
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder {
            state: Some(self.view().copy()),
            snapshots: self.snapshots.clone(),
            due: self.due.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let bytes = snapshot.into_inner();
        let meta = meta.clone();
        let snapshots = self.snapshots.clone();
        let signature = meta.signature();
        let read_err = |e: io::Error| {
            StorageError::from_io_error(
                ErrorSubject::Snapshot(Some(signature.clone())),
                ErrorVerb::Read,
                e,
            )
        };
        // Check, decode and persist off the runtime; then swap the store in.
        let store = blocking(move || {
            let (file_meta, data) = snapshot_file::decode(&bytes).map_err(|why| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("received snapshot {meta}: {why}"),
                )
            })?;
            if file_meta.last_log_id != meta.last_log_id
                || file_meta.last_membership != meta.last_membership
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("received snapshot data is {file_meta}, not {meta}"),
                ));
            }
            let store = Store::restore(data).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("received snapshot {meta}: {e}"),
                )
            })?;
            if file_meta == meta {
                snapshots.persist(&meta, &bytes, Writing::AtOnce)?;
            } else {
                let bytes = snapshot_file::encode(&meta, data)?;
                snapshots.persist(&meta, &bytes, Writing::AtOnce)?;
            }
            Ok((store, meta))
        })
        .await
        .map_err(read_err)?;
        let (store, meta) = store;
        let mut current = self.store.write().unwrap_or_else(|p| p.into_inner());
        let mut applied = lock(&self.applied);
        *current = store;
        // The watchers never saw the events the snapshot jumped over.
        self.hub.end_all();
        applied.last_applied = meta.last_log_id;
        applied.membership = meta.last_membership.clone();
        self.due.covered(applied.writes);
        tracing::info!(snapshot = %meta, "installed a snapshot");
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        let snapshots = self.snapshots.clone();
        blocking(move || snapshots.current())
            .await
            .map_err(|e| snapshot_err(ErrorVerb::Read, e))
    }
}
