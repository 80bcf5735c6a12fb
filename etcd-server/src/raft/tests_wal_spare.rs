//! Tests of how wal segments are created: written whole (zeros, not only
//! reserved blocks), the next one ahead of need as `next.spare`; and how
//! appends write into them (padded to the end of their page).

use super::log_store::LogStore;
use super::page_cache;
use super::tests::{all, data_len, ent, file_len, indexes, segments};
use super::wal::{self, SPARE_FILE};
use openraft::storage::RaftLogStorageExt;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use tempfile::TempDir;

const SEGMENT: u64 = 64 << 10;

/// Whether the file system reports a hole (blocks reserved or absent but
/// never written) anywhere in `path`. ext4 reports blocks that `fallocate`
/// only reserved as holes.
fn has_hole(path: &Path) -> bool {
    use rustix::fs::{seek, SeekFrom};
    let file = fs::File::open(path).unwrap();
    match seek(&file, SeekFrom::Hole(0)) {
        Ok(at) => at < file_len(path),
        Err(_) => false,
    }
}

/// Appends single-entry batches from `from` until segment `seq` exists;
/// returns the next index.
async fn append_until_segment(log: &mut LogStore, dir: &Path, mut from: u64, seq: u64) -> u64 {
    let name = wal::segment_name(seq);
    while !dir.join(&name).exists() {
        log.blocking_append(vec![ent(1, from)]).await.unwrap();
        from += 1;
        assert!(from < 100_000, "segment {seq} never started");
    }
    from
}

#[tokio::test]
async fn a_new_segment_is_written_whole_not_only_reserved() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let log = LogStore::open_with_segment_size(&dir, SEGMENT).unwrap();
    let seg = &segments(&dir)[0];
    assert_eq!(file_len(seg), SEGMENT);
    assert!(!has_hole(seg), "{} has unwritten blocks", seg.display());
    let bytes = fs::read(seg).unwrap();
    assert_eq!(&bytes[..8], wal::SEGMENT_MAGIC);
    assert!(wal::is_unused_tail(&bytes[8..]));
    drop(log);
}

#[tokio::test]
async fn the_next_segment_is_written_ahead_and_renamed_into_place() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, SEGMENT).unwrap();
    let spare = dir.join(SPARE_FILE);
    let first = segments(&dir)[0].clone();
    // No spare while the first segment is less than half full.
    let mut next = 1;
    while data_len(&first) < SEGMENT / 2 - 1024 {
        log.blocking_append(vec![ent(1, next)]).await.unwrap();
        next += 1;
        assert!(!spare.exists(), "spare started early, at entry {next}");
    }
    // Past half: the spare is written, then becomes segment 2.
    while !spare.exists() {
        log.blocking_append(vec![ent(1, next)]).await.unwrap();
        next += 1;
        assert!(next < 100_000, "no spare");
    }
    let spare_inode = fs::metadata(&spare).unwrap().ino();
    next = append_until_segment(&mut log, &dir, next, 2).await;
    let second = dir.join(wal::segment_name(2));
    assert_eq!(
        fs::metadata(&second).unwrap().ino(),
        spare_inode,
        "segment 2 is the spare"
    );
    // Renamed, not copied, and no new spare for a segment barely begun.
    assert!(!spare.exists());
    assert!(!has_hole(&second), "segment 2 has unwritten blocks");
    // The whole log reads back; after a reopen, with nothing in memory, from
    // the files: segment 2 holds the records written since.
    let last = next - 1;
    assert_eq!(
        indexes(&all(&mut log).await),
        (1..=last).collect::<Vec<_>>()
    );
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, SEGMENT).unwrap();
    assert_eq!(
        indexes(&all(&mut log).await),
        (1..=last).collect::<Vec<_>>()
    );
}

#[test]
fn a_spare_told_to_stop_stops_before_its_zeros_are_all_written() {
    let tmp = TempDir::new().unwrap();
    let stop = AtomicBool::new(true);
    let err = wal::write_spare(tmp.path(), 8 << 20, wal::Pace::Background(&stop)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Interrupted, "{err}");
    let spare = tmp.path().join(SPARE_FILE);
    assert!(has_hole(&spare), "the zeros were written anyway");
}

#[tokio::test]
async fn a_log_dropped_while_its_spare_is_written_reopens_without_it() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, 16 << 20).unwrap();
    let mut next = 1;
    while !dir.join(SPARE_FILE).exists() {
        // About 64 KiB per entry: half a segment in a little over 128 calls.
        let mut e = ent(1, next);
        if let openraft::EntryPayload::Normal(batch) = &mut e.payload {
            std::sync::Arc::make_mut(&mut batch.0)[0].command =
                super::tests::set("/big", &"v".repeat(64 << 10));
        }
        log.blocking_append(vec![e]).await.unwrap();
        next += 1;
        assert!(next < 1000, "no spare");
    }
    // The drop stops the spare (or finds it written) and waits for it.
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, 16 << 20).unwrap();
    assert!(!dir.join(SPARE_FILE).exists());
    assert_eq!(indexes(&all(&mut log).await), (1..next).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_leftover_spare_is_removed_at_open_and_never_read_as_a_segment() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, SEGMENT).unwrap();
    for i in 1..=3 {
        log.blocking_append(vec![ent(1, i)]).await.unwrap();
    }
    drop(log);
    // A spare cut short by a crash: garbage, not even a header.
    let spare = dir.join(SPARE_FILE);
    fs::write(&spare, b"half a spa").unwrap();
    let listed = wal::list_segments(&dir).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let mut log = LogStore::open_with_segment_size(&dir, SEGMENT).unwrap();
    assert!(!spare.exists());
    assert_eq!(indexes(&all(&mut log).await), [1, 2, 3]);
}

#[test]
fn appends_are_padded_to_the_end_of_their_page_but_never_past_the_segment() {
    let page = rustix::param::page_size() as u64;
    assert_eq!(SEGMENT % page, 0, "the test's segment ends on a page");
    assert_eq!(page_cache::padding(8, SEGMENT), (page - 8) as usize);
    assert_eq!(page_cache::padding(page, SEGMENT), 0);
    assert_eq!(page_cache::padding(page + 1, SEGMENT), (page - 1) as usize);
    assert_eq!(page_cache::padding(SEGMENT - 10, SEGMENT), 10);
    assert_eq!(page_cache::padding(SEGMENT, SEGMENT), 0);
    assert_eq!(page_cache::padding(SEGMENT + 10, SEGMENT), 0);
    // A limit inside the page (a segment not preallocated to a page end).
    assert_eq!(page_cache::padding(8, 100), 92);
}

#[tokio::test]
async fn padded_appends_never_grow_a_segment_and_read_back_whole() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    let mut log = LogStore::open_with_segment_size(&dir, SEGMENT).unwrap();
    let seg = segments(&dir)[0].clone();
    // Until the records reach the segment's end, the file keeps its
    // preallocated length and holds zeros after them; the append that
    // crosses the end grows it by its records alone, with no padding past
    // them (the next append starts segment 2).
    let mut next = 1;
    loop {
        log.blocking_append(vec![ent(1, next)]).await.unwrap();
        let used = data_len(&seg);
        if used > SEGMENT {
            assert_eq!(file_len(&seg), used, "padded past the segment's end");
            break;
        }
        assert_eq!(file_len(&seg), SEGMENT, "append {next} grew the segment");
        let bytes = fs::read(&seg).unwrap();
        assert!(wal::is_unused_tail(
            &bytes[usize::try_from(used).unwrap()..]
        ));
        next += 1;
        assert!(next < 100_000, "the segment never filled");
    }
    log.blocking_append(vec![ent(1, next + 1)]).await.unwrap();
    drop(log);
    let mut log = LogStore::open_with_segment_size(&dir, SEGMENT).unwrap();
    assert_eq!(
        indexes(&all(&mut log).await),
        (1..=next + 1).collect::<Vec<_>>()
    );
}
