//! Tests of the raft storage: openraft's own suite, and crash/corruption
//! cases of the log and the snapshots.

use super::log_store::LogStore;
use super::state_machine::StateMachine;
use super::typ::{Entry, LogId, StorageError, Vote};
use super::{Batch, Request, TypeConfig};
use crate::store::Command;
use crate::watch::WatchHub;
use openraft::storage::{RaftLogStorage, RaftLogStorageExt};
use openraft::testing::{StoreBuilder, Suite};
use openraft::{CommittedLeaderId, EntryPayload, Membership, RaftLogReader};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

struct Builder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for Builder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError> {
        let dir = TempDir::new().expect("temp dir");
        // Small segments: the suite opens many logs, and segments are
        // written whole when created.
        let log =
            LogStore::open_with_segment_size(&dir.path().join("wal"), 1 << 20).expect("open log");
        // Snapshots only when the suite asks for them.
        let sm = StateMachine::open(&dir.path().join("snap"), WatchHub::new(), u64::MAX)
            .expect("open sm");
        Ok((dir, log, sm))
    }
}

#[test]
fn openraft_suite() {
    Suite::test_all(Builder).expect("openraft storage suite");
}

pub(super) fn log_id(term: u64, index: u64) -> LogId {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

pub(super) fn set(path: &str, value: &str) -> Command {
    Command::Set {
        path: path.into(),
        value: value.as_bytes().to_vec(),
        dir: false,
        ttl: None,
        refresh: false,
    }
}

/// A normal entry setting `/1/k<index>`.
pub(super) fn ent(term: u64, index: u64) -> Entry {
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Normal(Batch::from(vec![Request {
            now: crate::store::testkit_now(),
            command: set(&format!("/1/k{index}"), &format!("value {index}")),
        }])),
    }
}

pub(super) fn ents(term: u64, indexes: std::ops::Range<u64>) -> Vec<Entry> {
    indexes.map(|i| ent(term, i)).collect()
}

pub(super) fn membership(term: u64, index: u64) -> Entry {
    let voters: BTreeSet<u64> = [1, 2, 3].into_iter().collect();
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Membership(Membership::new(vec![voters], None)),
    }
}

pub(super) async fn all(log: &mut LogStore) -> Vec<Entry> {
    log.try_get_log_entries(..).await.expect("read")
}

pub(super) fn indexes(entries: &[Entry]) -> Vec<u64> {
    entries.iter().map(|e| e.log_id.index).collect()
}

pub(super) fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut segs: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    segs.sort();
    segs
}

pub(super) fn flip(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x40;
    fs::write(path, bytes).unwrap();
}

pub(super) fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

/// The end of the last record of segment `path` (its preallocated zeros
/// follow), found by walking the records.
pub(super) fn data_len(path: &Path) -> u64 {
    let bytes = fs::read(path).unwrap();
    let mut pos = super::wal::SEGMENT_HEADER as usize;
    while let Ok((len, _, _)) = super::wal::decode_record(&bytes[pos..]) {
        pos += len;
    }
    pos as u64
}

/// Appends entries 1..=5 one call each (five batches) and returns the wal dir.
pub(super) async fn five_batches(tmp: &TempDir) -> PathBuf {
    let (dir, _) = single_entry_batches(tmp, super::log_store::SEGMENT_SIZE, 5).await;
    dir
}

/// Opens a log in `tmp/wal` with `segment_size`, appends entries 1..=`n`
/// (term 1) one call each, and returns the wal dir and the open log.
pub(super) async fn single_entry_batches(
    tmp: &TempDir,
    segment_size: u64,
    n: u64,
) -> (PathBuf, LogStore) {
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, segment_size).unwrap();
    for i in 1..=n {
        log.blocking_append(vec![ent(1, i)]).await.unwrap();
    }
    (dir, log)
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

/// Each commit raft saves is reported with its index; appends are not.
#[tokio::test]
async fn commits_are_reported_with_their_index() {
    let tmp = TempDir::new().unwrap();
    let mut log = LogStore::open(&tmp.path().join("wal")).unwrap();
    let mut commits = log.commits();
    log.blocking_append(ents(1, 1..6)).await.unwrap();
    assert!(!commits.has_changed().unwrap());
    log.save_committed(Some(log_id(1, 3))).await.unwrap();
    assert!(commits.has_changed().unwrap());
    assert_eq!(*commits.borrow_and_update(), 3);
    log.save_committed(Some(log_id(1, 5))).await.unwrap();
    assert_eq!(*commits.borrow_and_update(), 5);
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
    f.set_len(data_len(seg) - 3).unwrap();
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
async fn segments_are_preallocated_and_their_zeros_are_not_damage() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    assert_eq!(file_len(seg), super::log_store::SEGMENT_SIZE);
    let end = data_len(seg);
    assert!(end > 8 && end < 4096, "{end}");
    let bytes = fs::read(seg).unwrap();
    assert!(bytes[end as usize..].iter().all(|&b| b == 0));
    // Reopened: nothing cut, and the next append goes right after the
    // last record, over the zeros.
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4, 5]);
    assert_eq!(file_len(seg), super::log_store::SEGMENT_SIZE);
    log.blocking_append(vec![ent(1, 6)]).await.unwrap();
    assert!(data_len(seg) > end);
    drop(log);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn reading_a_segment_leaves_out_only_its_unused_tail() {
    use std::os::unix::fs::FileExt;
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    let read_seg = || super::wal::read_segment(&fs::File::open(seg).unwrap()).unwrap();
    let whole = fs::read(seg).unwrap();
    let data = data_len(seg) as usize;
    // Written zeros after the last record are left out, nothing else.
    assert_eq!(read_seg(), &whole[..data]);
    // So is a tail that is only reserved (what the file system reports as
    // a hole, where it does).
    let file = fs::OpenOptions::new().write(true).open(seg).unwrap();
    file.set_len(data as u64).unwrap();
    super::wal::preallocate(seg, &file, super::log_store::SEGMENT_SIZE).unwrap();
    assert_eq!(read_seg(), &whole[..data]);
    // Data written far into the unused part: all of the segment is read.
    let far = 32 << 20;
    file.write_all_at(&[0xFF; 100], far).unwrap();
    let read = read_seg();
    assert_eq!(read.len() as u64, super::log_store::SEGMENT_SIZE);
    assert_eq!(&read[..data], &whole[..data]);
    assert_eq!(&read[far as usize..far as usize + 100], &[0xFF; 100][..]);
    // It is not an unused tail: it is cut as garbage after the last record.
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4, 5]);
    drop(log);
    assert!(super::wal::is_unused_tail(
        &fs::read(seg).unwrap()[data_len(seg) as usize..]
    ));
}

#[tokio::test]
async fn a_record_ending_in_zeros_is_read_whole() {
    // Its last 2 MiB are zeros, like the unused part after it: only its
    // length tells where it ends.
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open(&dir).unwrap();
    log.blocking_append(vec![ent(1, 1)]).await.unwrap();
    let mut zeros = ent(1, 2);
    if let EntryPayload::Normal(batch) = &mut zeros.payload {
        std::sync::Arc::make_mut(&mut batch.0)[0].command = Command::Set {
            path: "/zeros".into(),
            value: vec![0; 2 << 20],
            dir: false,
            ttl: None,
            refresh: false,
        };
    }
    log.blocking_append(vec![zeros.clone()]).await.unwrap();
    drop(log);
    let seg = &segments(&dir)[0];
    let read = super::wal::read_segment(&fs::File::open(seg).unwrap()).unwrap();
    assert_eq!(read.len() as u64, data_len(seg));
    let mut log = LogStore::open(&dir).unwrap();
    let got = all(&mut log).await;
    assert_eq!(indexes(&got), [1, 2]);
    assert_eq!(got[1], zeros);
}

#[tokio::test]
async fn a_segment_without_preallocation_is_extended_at_open() {
    // A log written while preallocation was impossible, or cut at its last
    // record: its zeros are added back at open.
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    let end = data_len(seg);
    fs::OpenOptions::new()
        .write(true)
        .open(seg)
        .unwrap()
        .set_len(end)
        .unwrap();
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3, 4, 5]);
    assert_eq!(file_len(seg), super::log_store::SEGMENT_SIZE);
    assert_eq!(data_len(seg), end);
}

#[tokio::test]
async fn full_segments_give_back_their_unused_part() {
    let tmp = TempDir::new().unwrap();
    let (dir, log) = single_entry_batches(&tmp, 256, 20).await;
    let segs = segments(&dir);
    assert!(segs.len() > 2, "{segs:?}");
    for s in &segs[..segs.len() - 1] {
        assert_eq!(file_len(s), data_len(s), "{}", s.display());
        assert!(file_len(s) >= 256);
    }
    // Reopened with a larger segment size, the active segment is extended
    // to it, and with a smaller one the next append starts a new segment,
    // cutting the zeros off the old one.
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, 4096).unwrap();
    let last = segments(&dir).pop().unwrap();
    assert_eq!(file_len(&last), 4096);
    log.blocking_append(vec![ent(1, 21)]).await.unwrap();
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, 64).unwrap();
    log.blocking_append(vec![ent(1, 22)]).await.unwrap();
    assert_eq!(file_len(&last), data_len(&last));
    drop(log);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(indexes(&all(&mut log).await), (1..=22).collect::<Vec<_>>());
}

#[tokio::test]
async fn flipped_byte_in_last_record_is_cut() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = &segments(&dir)[0];
    flip(seg, data_len(seg) - 2);
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
    let before = data_len(&segments(&dir)[0]);
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
    let (dir, log) = single_entry_batches(&tmp, 256, 20).await;
    drop(log);
    let segs = segments(&dir);
    assert!(segs.len() > 2, "{segs:?}");
    // The tail of the first segment is not a torn tail.
    flip(&segs[0], data_len(&segs[0]) - 2);
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
    flip(seg, data_len(seg) - 2);
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(log.read_committed().await.unwrap(), None);
}

/// What the `committed` file holds right now.
fn committed_on_disk(dir: &Path) -> Option<LogId> {
    super::wal::CommittedFile::open(dir).unwrap().1
}

#[tokio::test]
async fn committed_is_written_at_most_every_interval_and_when_dropped() {
    use super::wal::COMMITTED_EVERY;
    use std::time::Instant;
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let mut log = LogStore::open(&dir).unwrap();
    let start = Instant::now();
    log.save_committed(Some(log_id(1, 1))).await.unwrap();
    log.save_committed(Some(log_id(1, 2))).await.unwrap();
    if start.elapsed() < COMMITTED_EVERY {
        assert_eq!(
            committed_on_disk(&dir),
            Some(log_id(1, 1)),
            "the second save waits"
        );
    }
    assert_eq!(log.read_committed().await.unwrap(), Some(log_id(1, 2)));
    std::thread::sleep(COMMITTED_EVERY);
    log.save_committed(Some(log_id(1, 3))).await.unwrap();
    assert_eq!(
        committed_on_disk(&dir),
        Some(log_id(1, 3)),
        "written once the interval passed"
    );
    log.save_committed(Some(log_id(1, 4))).await.unwrap();
    drop(log);
    assert_eq!(
        committed_on_disk(&dir),
        Some(log_id(1, 4)),
        "written when the store goes"
    );
    let mut log = LogStore::open(&dir).unwrap();
    assert_eq!(log.read_committed().await.unwrap(), Some(log_id(1, 4)));
}

#[tokio::test]
async fn truncate_then_reopen() {
    let tmp = TempDir::new().unwrap();
    let (dir, mut log) = single_entry_batches(&tmp, 300, 20).await;
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
    let (dir, mut log) = single_entry_batches(&tmp, 300, 20).await;
    let before = segments(&dir).len();
    log.purge(log_id(1, 12)).await.unwrap();
    log.finish_removals();
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
