//! Tests of reading a data dir from outside raft (`datadir::load`) and of the
//! layout a restore writes (`datadir::reset_log`).

use super::datadir;
use super::log_store::LogStore;
use super::tests::{
    data_len, ent, ents, file_len, five_batches, flip, log_id, membership, segments,
    single_entry_batches,
};
use super::typ::Vote;
use openraft::storage::{RaftLogStorage, RaftLogStorageExt};
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use tempfile::TempDir;

fn load(tmp: &TempDir) -> std::io::Result<datadir::Loaded> {
    let snap = tmp.path().join("snap");
    std::fs::create_dir_all(&snap).unwrap();
    datadir::load(&snap, &tmp.path().join("wal"), &mut |_, _| {})
}

#[tokio::test]
async fn load_applies_the_whole_log_without_changing_a_file() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("wal");
    {
        let mut log = LogStore::open(&dir).unwrap();
        let mut written = vec![membership(1, 0)];
        written.extend(ents(1, 1..40));
        log.blocking_append(written).await.unwrap();
    }
    let seg = segments(&dir).pop().unwrap();
    let before = std::fs::read(&seg).unwrap();
    let loaded = load(&tmp).unwrap();
    assert_eq!(loaded.last_log_id, Some(log_id(1, 39)));
    assert_eq!(loaded.entries, 40);
    assert_eq!(loaded.membership.log_id(), &Some(log_id(1, 0)));
    assert_eq!(loaded.store.value("/1/k39"), Some(b"value 39".to_vec()));
    assert_eq!(std::fs::read(&seg).unwrap(), before, "nothing was written");
}

#[tokio::test]
async fn a_partial_record_at_the_end_is_a_write_in_progress() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    let seg = segments(&dir).pop().unwrap();
    let (len, end) = (file_len(&seg), data_len(&seg));
    // Half of a sixth record, as a running member may have it mid-write.
    let mut buf = Vec::new();
    super::wal::encode_record(&mut buf, 6, &ent(1, 6)).unwrap();
    let f = OpenOptions::new().write(true).open(&seg).unwrap();
    f.write_all_at(&buf[..buf.len() / 2], end).unwrap();
    let loaded = load(&tmp).unwrap();
    assert_eq!(loaded.last_log_id, Some(log_id(1, 5)));
    assert_eq!(file_len(&seg), len, "not cut");
    assert_eq!(data_len(&seg), end);
}

#[test]
fn a_failure_while_files_changed_is_read_again_and_a_failure_of_a_still_dir_is_final() {
    use datadir::Retry;
    use std::ffi::OsString;
    let damaged = || std::io::Error::new(std::io::ErrorKind::InvalidData, "record at offset 9");
    // A segment vanished (renamed to be cut down) during the failed attempt.
    let mut listings = vec![
        vec!["a.wal", "b.wal"],
        vec!["b.wal"],
        vec!["b.wal"],
        vec!["b.wal"],
    ]
    .into_iter();
    let mut attempts = 0;
    let got = datadir::retrying(
        || {
            attempts += 1;
            if attempts == 1 {
                Err(Retry::Fail(damaged()))
            } else {
                Ok(attempts)
            }
        },
        || {
            listings
                .next()
                .unwrap()
                .into_iter()
                .map(OsString::from)
                .collect()
        },
    );
    assert_eq!(got.unwrap(), 2);
    // Nothing changed: the damage is reported at once.
    let mut attempts = 0;
    let err = datadir::retrying(
        || -> Result<(), Retry> {
            attempts += 1;
            Err(Retry::Fail(damaged()))
        },
        || vec![OsString::from("a.wal")],
    )
    .unwrap_err();
    assert_eq!(
        (attempts, err.to_string()),
        (1, "record at offset 9".to_owned())
    );
}

#[tokio::test]
async fn damage_inside_an_older_segment_is_an_error_naming_it() {
    let tmp = TempDir::new().unwrap();
    let (dir, _) = single_entry_batches(&tmp, 200, 8).await;
    let segs = segments(&dir);
    assert!(segs.len() > 1);
    flip(&segs[0], 20);
    let err = load(&tmp).unwrap_err().to_string();
    assert!(err.contains(&segs[0].display().to_string()), "{err}");
}

#[tokio::test]
async fn reset_log_starts_an_empty_log_after_the_restored_snapshot() {
    let tmp = TempDir::new().unwrap();
    let dir = five_batches(&tmp).await;
    datadir::reset_log(&dir, log_id(1, 5), Vote::new(1, 7)).unwrap();
    assert!(segments(&dir).is_empty());
    let mut log = LogStore::open(&dir).unwrap();
    let st = log.get_log_state().await.unwrap();
    assert_eq!(st.last_purged_log_id, Some(log_id(1, 5)));
    assert_eq!(st.last_log_id, Some(log_id(1, 5)));
    assert_eq!(log.read_vote().await.unwrap(), Some(Vote::new(1, 7)));
    log.blocking_append(vec![ent(2, 6)]).await.unwrap();
}
