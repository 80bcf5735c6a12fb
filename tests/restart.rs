//! Restarts that replay a lot: 100k keys written concurrently (from the log
//! alone, then from a snapshot plus the log after it), and a small snapshot
//! interval (snapshots taken, older ones purged, snapshot plus log replayed).

use crate::durability::{get_node, node_of, put_sequentially, tree};
use crate::util::{snap_files, workspace_bin, Conn, Server};
use std::time::{Duration, Instant};

#[test]
fn snapshots_are_taken_purged_and_replayed_with_the_log() {
    let mut s = Server::start_with(workspace_bin("etcd-server"), &["--snapshot-count", "50"]);
    let written = put_sequentially(&s.addr(), "s", 0..500);
    let snaps = snap_files(&s);
    assert!(!snaps.is_empty(), "no snapshot after 500 entries");
    assert!(snaps.len() <= 2, "old snapshots not purged: {snaps:?}");

    s.restart();
    assert!(
        s.log().contains("loaded the store from a snapshot"),
        "{}",
        s.log()
    );
    let check = |s: &Server| {
        let (found, index) = tree(&s.addr(), "/s");
        assert_eq!(found.len(), 500);
        for (i, want) in &written {
            assert_eq!(
                found.get(&format!("/s/k{i}")),
                Some(&(format!("v{i}"), *want)),
                "k{i}"
            );
        }
        assert!(index >= written.last().unwrap().1);
    };
    check(&s);
    // More writes after the restart, and from a snapshot taken by this run.
    let more = put_sequentially(&s.addr(), "s2", 0..100);
    s.kill9();
    s.restart();
    check(&s);
    for (i, want) in &more {
        assert_eq!(
            get_node(&s.addr(), &format!("/s2/k{i}")),
            (200, Some((format!("v{i}"), *want)))
        );
    }
    let snaps = snap_files(&s);
    assert!(
        !snaps.is_empty() && snaps.len() <= 2,
        "snapshot files: {snaps:?}"
    );
}

/// How many keys the many-keys test writes: `ETCD_TEST_MANY_KEYS`, else 100k
/// in release builds and 20k in debug builds (an unoptimised server takes
/// 20 s or more for 100k, too close to the time a CI test may take).
fn many() -> usize {
    match std::env::var("ETCD_TEST_MANY_KEYS") {
        Ok(n) => n.parse().expect("ETCD_TEST_MANY_KEYS: a number"),
        Err(_) if cfg!(debug_assertions) => 20_000,
        Err(_) => 100_000,
    }
}

/// PUTs `/big/k<i>` = `v<i>` for `range` from 32 keep-alive connections;
/// returns each key's modifiedIndex (by `i - range.start`).
fn put_concurrently(addr: &str, range: std::ops::Range<usize>) -> Vec<u64> {
    const THREADS: usize = 32;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let addr = addr.to_owned();
            let range = range.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::new(&addr);
                let mut out = Vec::new();
                for i in range.skip(t).step_by(THREADS) {
                    let target = format!("/v2/keys/big/k{i}");
                    let body = format!("value=v{i}");
                    // A PUT of a fresh key may be retried once on a new
                    // connection.
                    let r = conn
                        .form("PUT", &target, &body)
                        .or_else(|_| conn.form("PUT", &target, &body))
                        .expect("PUT");
                    assert!((200..300).contains(&r.status), "{}", r.text());
                    out.push((i, node_of(&r.body).expect("node").2));
                }
                out
            })
        })
        .collect();
    let mut indexes = vec![0; range.len()];
    for h in handles {
        for (i, index) in h.join().expect("writer") {
            indexes[i - range.start] = index;
        }
    }
    indexes
}

fn check_big(s: &Server, indexes: &[u64], context: &str) {
    let (found, index) = tree(&s.addr(), "/big");
    assert_eq!(found.len(), indexes.len(), "{context}: key count");
    for (i, want) in indexes.iter().enumerate() {
        let got = found.get(&format!("/big/k{i}"));
        assert_eq!(got, Some(&(format!("v{i}"), *want)), "{context}: k{i}");
    }
    let highest = indexes.iter().max().copied().unwrap_or(0);
    assert!(index >= highest, "{context}: index {index} < {highest}");
    // A sample read one by one.
    for i in (0..indexes.len()).step_by(indexes.len() / 50 + 1) {
        assert_eq!(
            get_node(&s.addr(), &format!("/big/k{i}")),
            (200, Some((format!("v{i}"), indexes[i]))),
            "{context}: k{i}"
        );
    }
}

#[test]
fn restart_with_many_keys_replays_the_log_and_a_snapshot() {
    let n = many();
    // A snapshot count above the number of writes: the restart replays the
    // log alone.
    let mut s = Server::start_with(
        workspace_bin("etcd-server"),
        &["--snapshot-count", "10000000"],
    );
    let mut indexes = put_concurrently(&s.addr(), 0..n);
    s.restart();
    check_big(&s, &indexes, "after restart");
    assert!(snap_files(&s).is_empty(), "{:?}", snap_files(&s));

    // With a snapshot count below the number of writes in the log, a
    // snapshot is taken soon after the start; then more writes, and a
    // restart from that snapshot plus the log after it.
    s.extra = vec!["--snapshot-count".into(), "500".into()];
    s.restart();
    wait_until("a snapshot", Duration::from_secs(20), || {
        !snap_files(&s).is_empty()
    });
    indexes.extend(put_concurrently(&s.addr(), n..n + n / 10));
    kill_and_restart_from_a_snapshot(&mut s, &indexes);
}

/// `--snapshot-count` counts writes, as the reference's entries do, also
/// when concurrent writes share raft entries (32 writers put far fewer than
/// 300 entries in the log for 300 writes).
#[test]
fn concurrent_writes_count_one_each_towards_a_snapshot() {
    let mut s = Server::start_with(workspace_bin("etcd-server"), &["--snapshot-count", "100"]);
    let indexes = put_concurrently(&s.addr(), 0..300);
    wait_until("a snapshot", Duration::from_secs(10), || {
        !snap_files(&s).is_empty()
    });
    kill_and_restart_from_a_snapshot(&mut s, &indexes);
}

/// kill -9, restart: the store comes from a snapshot (and the log after it)
/// and holds every `/big` write.
fn kill_and_restart_from_a_snapshot(s: &mut Server, indexes: &[u64]) {
    s.kill9();
    s.restart();
    assert!(
        s.log().contains("loaded the store from a snapshot"),
        "{}",
        s.log()
    );
    check_big(s, indexes, "after restart from a snapshot");
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "no {what} after {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
