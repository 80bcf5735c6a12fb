//! The state machine over the store: one response per entry, watchers fed on
//! apply, snapshots built, persisted, installed and refused when damaged.

use super::log_store::LogStore;
use super::state_machine::StateMachine;
use super::tests::*;
use super::typ::Entry;
use super::{Batch, Request, Response};
use crate::store::Command;
use crate::watch::WatchHub;
use openraft::storage::{RaftLogStorageExt, RaftStateMachine};
use openraft::{EntryPayload, Membership, RaftSnapshotBuilder, StoredMembership};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn sm_at(dir: &Path) -> std::io::Result<StateMachine> {
    sm_counting(dir, u64::MAX)
}

/// A state machine in `dir` that finds a snapshot due after more than
/// `snapshot_count` writes.
fn sm_counting(dir: &Path, snapshot_count: u64) -> std::io::Result<StateMachine> {
    StateMachine::open(dir, WatchHub::new(), snapshot_count)
}

async fn build(sm: &mut StateMachine) -> super::typ::Snapshot {
    sm.get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap()
}

fn saved(sm: &StateMachine) -> Vec<u8> {
    sm.store().read().unwrap().save()
}

#[tokio::test]
async fn apply_answers_every_entry() {
    let tmp = TempDir::new().unwrap();
    let mut sm = sm_at(tmp.path()).unwrap();
    let mut entries = vec![
        Entry {
            log_id: log_id(1, 1),
            payload: EntryPayload::Blank,
        },
        membership(1, 2),
    ];
    entries.extend(ents(1, 3..5));
    entries.push(Entry {
        log_id: log_id(1, 5),
        payload: EntryPayload::Normal(Batch::from(vec![Request {
            now: crate::store::testkit_now(),
            command: Command::Delete {
                path: "/1/missing".into(),
                dir: false,
                recursive: false,
            },
        }])),
    });
    entries.push(Entry {
        log_id: log_id(1, 6),
        payload: EntryPayload::Normal(Batch::from(vec![Request {
            now: crate::store::testkit_now(),
            command: Command::Expire,
        }])),
    });
    let out = sm.apply(entries).await.unwrap();
    assert_eq!(out.len(), 6);
    assert_eq!(out[0], Response::default());
    assert_eq!(out[1], Response::default());
    let ev = out[2].0[0].clone().unwrap().unwrap();
    assert_eq!(ev.node.key, "/1/k3");
    assert!(matches!(&out[4].0[0], Some(Err(_))));
    assert_eq!(out[5], Response(vec![None]));
    let (applied, mem) = sm.applied_state().await.unwrap();
    assert_eq!(applied, Some(log_id(1, 6)));
    assert_eq!(mem.log_id(), &Some(log_id(1, 2)));
    assert_eq!(sm.store().read().unwrap().index(), 2);
}

#[tokio::test]
async fn applied_events_reach_watchers() {
    let tmp = TempDir::new().unwrap();
    let hub = WatchHub::new();
    let mut sm = StateMachine::open(tmp.path(), hub.clone(), u64::MAX).unwrap();
    let mut w = {
        let store = sm.store();
        let store = store.read().unwrap();
        hub.watch(&store, "/1/k1", false, false, 0).unwrap()
    };
    sm.apply(ents(1, 1..2)).await.unwrap();
    let ev = w.try_next().expect("event delivered");
    assert_eq!(ev.node.key, "/1/k1");
}

#[tokio::test]
async fn snapshot_survives_reopen() {
    let tmp = TempDir::new().unwrap();
    let snap = tmp.path().join("snap");
    let mut sm = sm_at(&snap).unwrap();
    let mut entries = vec![membership(1, 1)];
    entries.extend(ents(1, 2..50));
    sm.apply(entries).await.unwrap();
    let built = build(&mut sm).await;
    assert_eq!(built.meta.last_log_id, Some(log_id(1, 49)));
    let before = saved(&sm);
    // Applying more after the snapshot is not in it.
    sm.apply(ents(1, 50..52)).await.unwrap();
    let later = build(&mut sm).await;
    // Older snapshots are renamed away at once (and cut down and deleted in
    // the background).
    let snapshots = || -> Vec<_> {
        fs::read_dir(&snap)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "snap"))
            .collect()
    };
    assert_eq!(snapshots().len(), 1, "older snapshots are deleted");
    drop(sm);
    let files: Vec<_> = fs::read_dir(&snap).unwrap().collect();
    assert_eq!(files.len(), 1, "and gone once the state machine is");

    let mut sm = sm_at(&snap).unwrap();
    let (applied, mem) = sm.applied_state().await.unwrap();
    assert_eq!(applied, Some(log_id(1, 51)));
    assert_eq!(mem.log_id(), &Some(log_id(1, 1)));
    assert_ne!(saved(&sm), before);
    let cur = sm
        .get_current_snapshot()
        .await
        .unwrap()
        .expect("a snapshot");
    assert_eq!(cur.meta, later.meta);
    assert_eq!(cur.snapshot.into_inner(), later.snapshot.into_inner());

    // Rebuild the first state on another machine by installing the first snapshot.
    let other = tmp.path().join("other");
    let mut sm2 = sm_at(&other).unwrap();
    let mut data = sm2.begin_receiving_snapshot().await.unwrap();
    *data = *built.snapshot;
    sm2.install_snapshot(&built.meta, data).await.unwrap();
    assert_eq!(saved(&sm2), before);
    drop(sm2);
    let mut sm2 = sm_at(&other).unwrap();
    assert_eq!(saved(&sm2), before);
    let (applied, mem) = sm2.applied_state().await.unwrap();
    assert_eq!(applied, Some(log_id(1, 49)));
    assert_eq!(
        mem,
        StoredMembership::new(
            Some(log_id(1, 1)),
            Membership::new(vec![[1, 2, 3].into_iter().collect()], None)
        )
    );
}

#[tokio::test]
async fn a_builder_snapshots_the_state_it_was_asked_for_in() {
    // The copy is taken when openraft asks for the builder; writes applied
    // while it builds are in the next snapshot, not in this one.
    let tmp = TempDir::new().unwrap();
    let mut sm = sm_at(tmp.path()).unwrap();
    let mut entries = vec![membership(1, 1)];
    entries.extend(ents(1, 2..20));
    sm.apply(entries).await.unwrap();
    let asked_for = saved(&sm);
    let mut builder = sm.get_snapshot_builder().await;
    sm.apply(ents(1, 20..30)).await.unwrap();
    let built = builder.build_snapshot().await.unwrap();
    assert_eq!(built.meta.last_log_id, Some(log_id(1, 19)));
    let mut other = sm_at(&tmp.path().join("other")).unwrap();
    let mut data = other.begin_receiving_snapshot().await.unwrap();
    *data = *built.snapshot;
    other.install_snapshot(&built.meta, data).await.unwrap();
    assert_eq!(saved(&other), asked_for);
    assert_ne!(saved(&sm), asked_for, "the later writes are in the store");
    // A builder builds once.
    let again = builder.build_snapshot().await.unwrap_err();
    assert!(
        again.to_string().contains("built its snapshot already"),
        "{again}"
    );
}

#[tokio::test]
async fn install_refuses_damaged_or_mismatched_data() {
    let tmp = TempDir::new().unwrap();
    let mut sm = sm_at(&tmp.path().join("a")).unwrap();
    sm.apply(ents(1, 1..5)).await.unwrap();
    let built = build(&mut sm).await;
    let bytes = built.snapshot.into_inner();

    let mut sm2 = sm_at(&tmp.path().join("b")).unwrap();
    let mut damaged = bytes.clone();
    let n = damaged.len();
    damaged[n - 3] ^= 1;
    let res = sm2
        .install_snapshot(&built.meta, Box::new(std::io::Cursor::new(damaged)))
        .await;
    assert!(res.is_err());
    let mut other_meta = built.meta.clone();
    other_meta.last_log_id = Some(log_id(1, 9));
    let res = sm2
        .install_snapshot(&other_meta, Box::new(std::io::Cursor::new(bytes)))
        .await;
    assert!(res.is_err());
    assert_eq!(sm2.applied_state().await.unwrap().0, None);
    assert!(sm2.get_current_snapshot().await.unwrap().is_none());
}

#[tokio::test]
async fn corrupted_snapshot_fails_open() {
    let tmp = TempDir::new().unwrap();
    let snap = tmp.path().join("snap");
    let mut sm = sm_at(&snap).unwrap();
    sm.apply(ents(1, 1..10)).await.unwrap();
    build(&mut sm).await;
    drop(sm);
    let file = fs::read_dir(&snap).unwrap().next().unwrap().unwrap().path();
    flip(&file, file_len(&file) / 2);
    let err = sm_at(&snap).unwrap_err();
    assert!(err.to_string().contains(&*file.to_string_lossy()), "{err}");
}

#[tokio::test]
async fn leftover_temp_snapshot_is_ignored() {
    let tmp = TempDir::new().unwrap();
    let snap = tmp.path().join("snap");
    let mut sm = sm_at(&snap).unwrap();
    sm.apply(ents(1, 1..10)).await.unwrap();
    build(&mut sm).await;
    let before = saved(&sm);
    drop(sm);
    // An interrupted write of a newer snapshot.
    let tmp_file = snap.join(format!("{:020}-{:020}.snap.tmp", 1, 20));
    fs::write(&tmp_file, b"EV2SNAP1 half written").unwrap();
    let sm = sm_at(&snap).unwrap();
    assert_eq!(saved(&sm), before);
    assert!(!tmp_file.exists());
}

#[tokio::test]
async fn damaged_earlier_batch_before_a_later_batch_fails_open() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open(&dir).unwrap();
    log.blocking_append(ents(1, 1..3)).await.unwrap();
    let end_of_first = data_len(&segments(&dir)[0]);
    log.blocking_append(ents(1, 3..6)).await.unwrap();
    drop(log);
    // The last record of the first batch (acknowledged) is damaged, the whole
    // second batch follows it.
    let seg = &segments(&dir)[0];
    flip(seg, end_of_first - 2);
    let err = LogStore::open(&dir).unwrap_err();
    assert!(err.to_string().contains("later writes"), "{err}");
}

/// An entry of `n` writes at `index`.
fn batch_of(index: u64, n: u64) -> Entry {
    let requests: Vec<Request> = (0..n)
        .map(|i| Request {
            now: crate::store::testkit_now(),
            command: set(&format!("/1/b{index}-{i}"), "v"),
        })
        .collect();
    Entry {
        log_id: log_id(1, index),
        payload: EntryPayload::Normal(Batch::from(requests)),
    }
}

/// `--snapshot-count` counts writes: two entries of 6 writes are more than
/// 10, whatever the number of entries; blank and membership entries are not
/// writes. A built snapshot resets the count, an installed one too.
#[tokio::test]
async fn a_snapshot_is_due_after_more_writes_than_the_count() {
    let tmp = TempDir::new().unwrap();
    let mut sm = sm_counting(&tmp.path().join("snap"), 10).unwrap();
    let due = sm.snapshot_due();
    let blank = Entry {
        log_id: log_id(1, 2),
        payload: EntryPayload::Blank,
    };
    sm.apply(vec![membership(1, 1), blank, batch_of(3, 6)])
        .await
        .unwrap();
    assert!(!due.is_asked(), "6 writes");
    sm.apply(vec![batch_of(4, 4)]).await.unwrap();
    assert!(!due.is_asked(), "10 writes are not more than 10");
    sm.apply(vec![batch_of(5, 2)]).await.unwrap();
    assert!(due.is_asked(), "12 writes in 3 entries");

    let built = build(&mut sm).await;
    assert!(!due.is_asked(), "the snapshot holds all 12");
    sm.apply(vec![batch_of(6, 10)]).await.unwrap();
    assert!(!due.is_asked(), "10 since the snapshot");
    sm.apply(vec![batch_of(7, 1)]).await.unwrap();
    assert!(due.is_asked(), "11 since the snapshot");

    // Installing a snapshot (even an older one) leaves nothing to snapshot.
    let mut data = sm.begin_receiving_snapshot().await.unwrap();
    *data = *built.snapshot;
    sm.install_snapshot(&built.meta, data).await.unwrap();
    assert!(!due.is_asked());
}
