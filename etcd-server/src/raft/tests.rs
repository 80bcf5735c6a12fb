//! Tests of the raft storage: openraft's own suite, and crash/corruption
//! cases of the log and the snapshots.

use super::log_store::LogStore;
use super::state_machine::StateMachine;
use super::typ::{Entry, LogId, StorageError, Vote};
use super::{Batch, Request, Response, TypeConfig};
use crate::store::Command;
use crate::watch::WatchHub;
use openraft::storage::{RaftLogStorage, RaftLogStorageExt, RaftStateMachine};
use openraft::testing::{StoreBuilder, Suite};
use openraft::{
    CommittedLeaderId, EntryPayload, Membership, RaftLogReader, RaftSnapshotBuilder,
    StoredMembership,
};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

struct Builder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for Builder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError> {
        let dir = TempDir::new().expect("temp dir");
        let log = LogStore::open(&dir.path().join("wal")).expect("open log");
        let sm = StateMachine::open(&dir.path().join("snap"), WatchHub::new()).expect("open sm");
        Ok((dir, log, sm))
    }
}

#[test]
fn openraft_suite() {
    Suite::test_all(Builder).expect("openraft storage suite");
}

fn log_id(term: u64, index: u64) -> LogId {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

fn set(path: &str, value: &str) -> Command {
    Command::Set {
        path: path.into(),
        value: value.as_bytes().to_vec(),
        dir: false,
        ttl: None,
        refresh: false,
    }
}

/// A normal entry setting `/1/k<index>`.
fn ent(term: u64, index: u64) -> Entry {
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Normal(Batch(vec![Request {
            now: crate::store::testkit_now(),
            command: set(&format!("/1/k{index}"), &format!("value {index}")),
        }])),
    }
}

fn ents(term: u64, indexes: std::ops::Range<u64>) -> Vec<Entry> {
    indexes.map(|i| ent(term, i)).collect()
}

fn membership(term: u64, index: u64) -> Entry {
    let voters: BTreeSet<u64> = [1, 2, 3].into_iter().collect();
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Membership(Membership::new(vec![voters], None)),
    }
}

async fn all(log: &mut LogStore) -> Vec<Entry> {
    log.try_get_log_entries(..).await.expect("read")
}

fn indexes(entries: &[Entry]) -> Vec<u64> {
    entries.iter().map(|e| e.log_id.index).collect()
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut segs: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    segs.sort();
    segs
}

fn flip(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x40;
    fs::write(path, bytes).unwrap();
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

/// Appends entries 1..=5 one call each (five batches) and returns the wal dir.
async fn five_batches(tmp: &TempDir) -> PathBuf {
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open(&dir).unwrap();
    for i in 1..=5 {
        log.blocking_append(vec![ent(1, i)]).await.unwrap();
    }
    dir
}

#[tokio::test]
async fn append_reopen_keeps_entries_vote_and_committed() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let written = {
        let mut log = LogStore::open(&dir).unwrap();
        let mut written = vec![membership(1, 1)];
        written.extend(ents(1, 2..10));
        log.blocking_append(written[..1].to_vec()).await.unwrap();
        log.blocking_append(written[1..].to_vec()).await.unwrap();
        log.save_vote(&Vote::new(3, 2)).await.unwrap();
        log.save_committed(Some(log_id(1, 7))).await.unwrap();
        assert_eq!(all(&mut log).await, written, "readable right after append");
        written
    };
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(all(&mut log).await, written);
    assert_eq!(log.read_vote().await.unwrap(), Some(Vote::new(3, 2)));
    assert_eq!(log.read_committed().await.unwrap(), Some(log_id(1, 7)));
    let st = log.get_log_state().await.unwrap();
    assert_eq!(st.last_log_id, Some(log_id(1, 9)));
    assert_eq!(st.last_purged_log_id, None);
    // A reader sees the same, and a range in the middle.
    let mut reader = log.get_log_reader().await;
    assert_eq!(
        indexes(&reader.try_get_log_entries(3..6).await.unwrap()),
        [3, 4, 5]
    );
    assert_eq!(
        indexes(&reader.limited_get_log_entries(8, 100).await.unwrap()),
        [8, 9]
    );
}

#[tokio::test]
async fn append_refuses_holes_and_overwrites() {
    let tmp = TempDir::new().unwrap();
    let mut log = LogStore::open(tmp.path()).unwrap();
    log.blocking_append(ents(1, 1..4)).await.unwrap();
    assert!(log.blocking_append(vec![ent(1, 5)]).await.is_err());
    assert!(log.blocking_append(vec![ent(2, 3)]).await.is_err());
    assert!(log
        .blocking_append(vec![ent(1, 4), ent(1, 6)])
        .await
        .is_err());
    log.blocking_append(vec![ent(1, 4)]).await.unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4]);
}

#[tokio::test]
async fn torn_tail_is_cut_and_log_continues() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    let f = fs::OpenOptions::new().write(true).open(seg).unwrap();
    f.set_len(file_len(seg) - 3).unwrap();
    drop(f);

    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4]);
    log.blocking_append(vec![ent(2, 5), ent(2, 6)])
        .await
        .unwrap();
    drop(log);
    let mut log = LogStore::open(&dir).unwrap();
    let got = all(&mut log).await;
    assert_eq!(indexes(&got), [1, 2, 3, 4, 5, 6]);
    assert_eq!(got[4], ent(2, 5));
}

#[tokio::test]
async fn zero_filled_tail_is_cut() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    let mut bytes = fs::read(seg).unwrap();
    bytes.extend_from_slice(&[0; 4096]);
    fs::write(seg, &bytes).unwrap();
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4, 5]);
    assert_eq!(file_len(seg), bytes.len() as u64 - 4096);
}

#[tokio::test]
async fn flipped_byte_in_last_record_is_cut() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    flip(seg, file_len(seg) - 2);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4]);
}

#[tokio::test]
async fn flipped_byte_in_earlier_record_fails_open() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    // Inside the payload of the first record.
    flip(seg, 8 + 12 + 5);
    let err = LogStore::open(&dir).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&*seg.to_string_lossy()), "{msg}");
    assert!(msg.contains("offset 8"), "{msg}");
    // Nothing was cut.
    flip(seg, 8 + 12 + 5);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn torn_last_batch_with_surviving_later_records_is_cut() {
    // Pages of one unsynced write may land in any order: a bad record
    // followed only by records of its own batch is a torn tail.
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open(&dir).unwrap();
    log.blocking_append(ents(1, 1..3)).await.unwrap();
    let before = file_len(&segments(&dir)[0]);
    log.blocking_append(ents(1, 3..6)).await.unwrap();
    drop(log);
    let seg = &segments(&dir)[0];
    // Record 4 (the second of the batch 3..6) is damaged.
    let bytes = fs::read(seg).unwrap();
    let rec3_len = 12
        + u32::from_le_bytes(
            bytes[before as usize + 4..before as usize + 8]
                .try_into()
                .unwrap(),
        );
    flip(seg, before + u64::from(rec3_len) + 14);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3]);
}

#[tokio::test]
async fn damage_in_an_older_segment_fails_open() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, 256).unwrap();
    for i in 1..=20 {
        log.blocking_append(vec![ent(1, i)]).await.unwrap();
    }
    drop(log);
    let segs = segments(&dir);
    assert!(segs.len() > 2, "{segs:?}");
    // The tail of the first segment is not a torn tail.
    flip(&segs[0], file_len(&segs[0]) - 2);
    let err = LogStore::open(&dir).unwrap_err();
    assert!(
        err.to_string().contains(&*segs[0].to_string_lossy()),
        "{err}"
    );
}

#[tokio::test]
async fn damaged_meta_fails_open() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    {
        let mut log = LogStore::open(&dir).unwrap();
        log.save_vote(&Vote::new(2, 1)).await.unwrap();
    }
    let meta = dir.join("meta");
    flip(&meta, file_len(&meta) - 1);
    let err = LogStore::open(&dir).unwrap_err();
    assert!(err.to_string().contains(&*meta.to_string_lossy()), "{err}");
}

#[tokio::test]
async fn damaged_committed_is_ignored() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    {
        let mut log = LogStore::open(&dir).unwrap();
        log.save_committed(Some(log_id(1, 4))).await.unwrap();
    }
    flip(&dir.join("committed"), 9);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(log.read_committed().await.unwrap(), None);
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn committed_never_beyond_the_log() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let mut log = LogStore::open(&dir).unwrap();
    log.save_committed(Some(log_id(1, 3))).await.unwrap();
    log.save_committed(Some(log_id(1, 9))).await.unwrap();
    assert_eq!(log.read_committed().await.unwrap(), Some(log_id(1, 3)));
    drop(log);
    // A committed id beyond a cut tail is dropped at open.
    let seg = &segments(&dir)[0];
    {
        let mut log = LogStore::open(&dir).unwrap();
        log.save_committed(Some(log_id(1, 5))).await.unwrap();
    }
    flip(seg, file_len(seg) - 2);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(log.read_committed().await.unwrap(), None);
}

#[tokio::test]
async fn truncate_then_reopen() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, 300).unwrap();
    for i in 1..=20 {
        log.blocking_append(vec![ent(1, i)]).await.unwrap();
    }
    let before = segments(&dir).len();
    log.truncate(log_id(1, 6)).await.unwrap();
    assert_eq!(indexes(&all(&mut log).await), (1..6).collect::<Vec<_>>());
    assert!(segments(&dir).len() < before);
    log.blocking_append(ents(2, 6..9)).await.unwrap();
    // Truncating past the end does nothing.
    log.truncate(log_id(2, 9)).await.unwrap();
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, 300).unwrap();
    let got = all(&mut log).await;
    assert_eq!(indexes(&got), (1..9).collect::<Vec<_>>());
    assert_eq!(got[5], ent(2, 6));
    // Truncating everything.
    log.truncate(log_id(1, 1)).await.unwrap();
    assert!(all(&mut log).await.is_empty());
    assert_eq!(log.get_log_state().await.unwrap().last_log_id, None);
    drop(log);
    let mut log = LogStore::open(&dir).unwrap();
    assert!(all(&mut log).await.is_empty());
}

#[tokio::test]
async fn purge_then_reopen() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, 300).unwrap();
    for i in 1..=20 {
        log.blocking_append(vec![ent(1, i)]).await.unwrap();
    }
    let before = segments(&dir).len();
    log.purge(log_id(1, 12)).await.unwrap();
    assert!(
        segments(&dir).len() < before,
        "whole segments behind the purge point go"
    );
    assert_eq!(indexes(&all(&mut log).await), (13..=20).collect::<Vec<_>>());
    drop(log);

    let mut log = LogStore::open_with_segment_size(&dir, 300).unwrap();
    assert_eq!(indexes(&all(&mut log).await), (13..=20).collect::<Vec<_>>());
    let st = log.get_log_state().await.unwrap();
    assert_eq!(st.last_purged_log_id, Some(log_id(1, 12)));
    assert_eq!(st.last_log_id, Some(log_id(1, 20)));

    // Purging past the end: the log is empty and remembers the purge point.
    log.purge(log_id(3, 30)).await.unwrap();
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, 300).unwrap();
    assert!(all(&mut log).await.is_empty());
    let st = log.get_log_state().await.unwrap();
    assert_eq!(st.last_purged_log_id, Some(log_id(3, 30)));
    assert_eq!(st.last_log_id, Some(log_id(3, 30)));
    assert!(log.blocking_append(vec![ent(3, 32)]).await.is_err());
    log.blocking_append(ents(3, 31..34)).await.unwrap();
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, 300).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [31, 32, 33]);
    // Purging again once the old records are behind.
    log.purge(log_id(3, 32)).await.unwrap();
    drop(log);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [33]);
}

#[tokio::test]
async fn many_segments_read_back() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, 1024).unwrap();
    let mut next = 1;
    for batch in 1..=40u64 {
        let n = batch % 7 + 1;
        log.blocking_append(ents(1, next..next + n)).await.unwrap();
        next += n;
    }
    drop(log);
    assert!(segments(&dir).len() > 3);
    let mut log = LogStore::open_with_segment_size(&dir, 1024).unwrap();
    let got = all(&mut log).await;
    assert_eq!(got, ents(1, 1..next));
    let limited = log.limited_get_log_entries(1, next).await.unwrap();
    assert!(!limited.is_empty());
}

// --- state machine ---

fn sm_at(dir: &Path) -> std::io::Result<StateMachine> {
    StateMachine::open(dir, WatchHub::new())
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
        payload: EntryPayload::Normal(Batch(vec![Request {
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
        payload: EntryPayload::Normal(Batch(vec![Request {
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
    let mut sm = StateMachine::open(tmp.path(), hub.clone()).unwrap();
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
    let built = sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    assert_eq!(built.meta.last_log_id, Some(log_id(1, 49)));
    let before = saved(&sm);
    // Applying more after the snapshot is not in it.
    sm.apply(ents(1, 50..52)).await.unwrap();
    let later = sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    let files: Vec<_> = fs::read_dir(&snap).unwrap().collect();
    assert_eq!(files.len(), 1, "older snapshots are deleted");
    drop(sm);

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
async fn install_refuses_damaged_or_mismatched_data() {
    let tmp = TempDir::new().unwrap();
    let mut sm = sm_at(&tmp.path().join("a")).unwrap();
    sm.apply(ents(1, 1..5)).await.unwrap();
    let built = sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
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
    sm.get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
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
    sm.get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
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
    let end_of_first = file_len(&segments(&dir)[0]);
    log.blocking_append(ents(1, 3..6)).await.unwrap();
    drop(log);
    // The last record of the first batch (acknowledged) is damaged, the whole
    // second batch follows it.
    let seg = &segments(&dir)[0];
    flip(seg, end_of_first - 2);
    let err = LogStore::open(&dir).unwrap_err();
    assert!(err.to_string().contains("later writes"), "{err}");
}
