//! Durability of a single member: every acknowledged write survives `kill -9`
//! and SIGTERM under concurrent load, a torn tail of the raft log is cut at
//! start, and corruption anywhere else stops the start naming the file.
//! (Restarts replaying many keys and snapshots: [`super::restart`].)

use crate::util::{files_in, form, raw, Conn, Server};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One acknowledged (2xx) write.
#[derive(Debug, Clone)]
struct Acked {
    key: String,
    value: String,
    index: u64,
    /// A compare-and-swap on a key the same writer swaps again: a later,
    /// unacknowledged swap may have landed after it.
    cas: bool,
}

/// What one writer thread saw.
#[derive(Debug, Default)]
struct Written {
    acked: Vec<Acked>,
    /// Answers that were neither 2xx nor a connection failure.
    unexpected: Vec<String>,
}

/// The `node` of a keys answer: its key, value and modifiedIndex.
pub(crate) fn node_of(body: &[u8]) -> Option<(String, String, u64)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let node = &v["node"];
    Some((
        node["key"].as_str()?.to_owned(),
        node["value"].as_str()?.to_owned(),
        node["modifiedIndex"].as_u64()?,
    ))
}

/// Flags and counters shared by the writer threads of one load.
#[derive(Debug, Default)]
struct Shared {
    /// Set when the server is about to be stopped or killed: from then on
    /// a 5xx answer is a refusal, not an error.
    stopping: AtomicBool,
    /// Set to end the load.
    stop: AtomicBool,
    acked: AtomicUsize,
}

/// Writes until told to stop or the server goes away, with a mix of plain
/// PUTs of fresh keys `/d/t<t>/k<cycle>-<n>`, in-order creates (POST) under
/// `/d/t<t>/q` and compare-and-swaps by index on `/d/t<t>/cas<cycle>`.
fn writer(addr: String, t: usize, cycle: usize, shared: Arc<Shared>) -> Written {
    let mut out = Written::default();
    let mut conn = Conn::new(&addr);
    let cas_key = format!("/v2/keys/d/t{t}/cas{cycle}");
    let mut cas_index: Option<u64> = None;
    let mut n = 0u64;
    while !shared.stop.load(Ordering::SeqCst) {
        n += 1;
        let (method, target, value, cas) = match n % 4 {
            0 => (
                "POST",
                format!("/v2/keys/d/t{t}/q"),
                format!("q{cycle}-{n}"),
                false,
            ),
            1 => {
                let value = format!("c{cycle}-{n}");
                let target = match cas_index {
                    None => format!("{cas_key}?prevExist=false"),
                    Some(i) => format!("{cas_key}?prevIndex={i}"),
                };
                ("PUT", target, value, true)
            }
            _ => (
                "PUT",
                format!("/v2/keys/d/t{t}/k{cycle}-{n}"),
                format!("v{cycle}-{n}"),
                false,
            ),
        };
        let answer = match conn.form(method, &target, &format!("value={value}")) {
            Ok(a) => a,
            // The server went away: what was not answered was not acknowledged.
            Err(_) => break,
        };
        if !(200..300).contains(&answer.status) {
            if !(answer.status >= 500 && shared.stopping.load(Ordering::SeqCst)) {
                out.unexpected.push(format!(
                    "{method} {target}: {} {}",
                    answer.status,
                    answer.text()
                ));
            }
            break;
        }
        match node_of(&answer.body) {
            Some((key, got, index)) if got == value => {
                if cas {
                    cas_index = Some(index);
                }
                out.acked.push(Acked {
                    key,
                    value,
                    index,
                    cas,
                });
                shared.acked.fetch_add(1, Ordering::SeqCst);
            }
            _ => {
                out.unexpected
                    .push(format!("{method} {target}: body {}", answer.text()));
                break;
            }
        }
    }
    out
}

/// Runs `threads` writers against `s` for at least a second and until at
/// least 200 writes were acknowledged, then `stop_server` (which kills or
/// stops it); returns every acknowledged write.
fn load_then(
    s: &mut Server,
    threads: usize,
    cycle: usize,
    stop_server: impl FnOnce(&mut Server),
) -> Vec<Acked> {
    let shared = Arc::new(Shared::default());
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (addr, shared) = (s.addr(), shared.clone());
            std::thread::spawn(move || writer(addr, t, cycle, shared))
        })
        .collect();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1)
        || (shared.acked.load(Ordering::SeqCst) < 200 && start.elapsed() < Duration::from_secs(30))
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    shared.stopping.store(true, Ordering::SeqCst);
    stop_server(s);
    shared.stop.store(true, Ordering::SeqCst);
    let mut acked = Vec::new();
    let mut unexpected = Vec::new();
    for h in handles {
        let w = h.join().expect("writer thread");
        acked.extend(w.acked);
        unexpected.extend(w.unexpected);
    }
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:#?}");
    assert!(
        acked.len() >= 200,
        "only {} writes acknowledged in {:?}",
        acked.len(),
        start.elapsed()
    );
    acked
}

/// Every leaf under `dir` (`key → (value, modifiedIndex)`) and the store
/// index (`X-Etcd-Index`).
pub(crate) fn tree(addr: &str, dir: &str) -> (HashMap<String, (String, u64)>, u64) {
    fn collect(node: &Value, out: &mut HashMap<String, (String, u64)>) {
        if node["dir"].as_bool() == Some(true) {
            for n in node["nodes"].as_array().into_iter().flatten() {
                collect(n, out);
            }
        } else {
            out.insert(
                node["key"].as_str().expect("key").to_owned(),
                (
                    node["value"].as_str().expect("value").to_owned(),
                    node["modifiedIndex"].as_u64().expect("modifiedIndex"),
                ),
            );
        }
    }
    let r = raw(
        addr,
        "GET",
        &format!("/v2/keys{dir}?recursive=true"),
        &[],
        b"",
    );
    let index = r
        .header("X-Etcd-Index")
        .and_then(|i| i.parse().ok())
        .expect("X-Etcd-Index");
    let mut out = HashMap::new();
    if r.status == 404 {
        return (out, index);
    }
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    collect(&v["node"], &mut out);
    (out, index)
}

/// Checks that every acknowledged write is readable with its value and
/// modifiedIndex (a swapped key may hold a later, unacknowledged swap) and
/// that the store index is at least the highest acknowledged one.
fn check_acked(addr: &str, acked: &[Acked], context: &str) {
    let (found, index) = tree(addr, "/d");
    let mut lost = Vec::new();
    let mut last_cas: HashMap<&str, &Acked> = HashMap::new();
    for a in acked {
        if a.cas {
            let e = last_cas.entry(&a.key).or_insert(a);
            if a.index > e.index {
                *e = a;
            }
            continue;
        }
        match found.get(&a.key) {
            Some((v, i)) if *v == a.value && *i == a.index => {}
            other => lost.push(format!("{a:?} → {other:?}")),
        }
    }
    for a in last_cas.values() {
        match found.get(&a.key) {
            Some((v, i)) if *v == a.value && *i == a.index => {}
            // A later swap of this cycle's key, in flight when it stopped.
            Some((v, i)) if *i > a.index && v.split('-').next() == a.value.split('-').next() => {}
            other => lost.push(format!("{a:?} → {other:?}")),
        }
    }
    assert!(
        lost.is_empty(),
        "{context}: {} of {} acknowledged writes lost or changed: {:#?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(20)]
    );
    let highest = acked.iter().map(|a| a.index).max().unwrap_or(0);
    assert!(
        index >= highest,
        "{context}: store index {index} < highest acknowledged index {highest}"
    );
}

#[test]
fn kill9_under_concurrent_writes_keeps_every_acknowledged_write() {
    let mut s = Server::start();
    let mut all = Vec::new();
    for cycle in 0..4 {
        let acked = load_then(&mut s, 8, cycle, Server::kill9);
        assert!(acked.iter().any(|a| a.cas) && acked.iter().any(|a| a.key.contains("/q/")));
        all.extend(acked);
        s.restart();
        check_acked(&s.addr(), &all, &format!("after kill -9 #{}", cycle + 1));
    }
}

#[test]
fn sigterm_under_concurrent_writes_exits_0_and_keeps_every_acknowledged_write() {
    let mut s = Server::start();
    let mut status = None;
    let acked = load_then(&mut s, 8, 0, |s| status = s.terminate());
    let status = status.expect("the server exits on SIGTERM within 20 s");
    assert!(status.success(), "exit status {status:?}");
    s.restart();
    check_acked(&s.addr(), &acked, "after SIGTERM");
}

/// The segment files of the member's raft log, oldest first.
fn wal_segments(s: &Server) -> Vec<PathBuf> {
    let dir = s.data_dir().join("member").join("wal");
    let segs = files_in(&dir, "wal");
    assert!(!segs.is_empty(), "no segment in {}", dir.display());
    segs
}

/// PUTs `/<dir>/k<i>` = `v<i>` one at a time (each its own raft entry);
/// returns the modifiedIndex of each.
pub(crate) fn put_sequentially(
    addr: &str,
    dir: &str,
    range: std::ops::Range<usize>,
) -> Vec<(usize, u64)> {
    let mut conn = Conn::new(addr);
    range
        .map(|i| {
            let r = conn
                .form(
                    "PUT",
                    &format!("/v2/keys/{dir}/k{i}"),
                    &format!("value=v{i}"),
                )
                .expect("PUT");
            assert!((200..300).contains(&r.status), "{}", r.text());
            let (_, _, index) = node_of(&r.body).expect("node");
            (i, index)
        })
        .collect()
}

pub(crate) fn get_node(addr: &str, key: &str) -> (u16, Option<(String, u64)>) {
    let r = raw(addr, "GET", &format!("/v2/keys{key}"), &[], b"");
    (r.status, node_of(&r.body).map(|(_, v, i)| (v, i)))
}

/// The byte ranges of the whole records at the start of a raft log segment,
/// framed as its documented format says: an 8-byte segment header, then
/// records `magic u32 | len u32 | crc32 u32 | payload (len bytes)`, all
/// little-endian (the magic is taken from the first record).
fn wal_records(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    const HEADER: usize = 8;
    let mut out = Vec::new();
    let mut pos = HEADER;
    while pos + 12 <= bytes.len() && bytes[pos..pos + 4] == bytes[HEADER..HEADER + 4] {
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if pos + 12 + len > bytes.len() {
            break;
        }
        out.push(pos..pos + 12 + len);
        pos += 12 + len;
    }
    out
}

/// Asserts that the log of the last start has one warning about a cut of
/// the raft log naming `seg`.
fn assert_cut_logged(s: &Server, seg: &std::path::Path) {
    let log = s.log();
    let name = seg.file_name().unwrap().to_string_lossy().into_owned();
    let cuts: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cutting a torn tail off the raft log"))
        .collect();
    assert!(
        cuts.len() == 1 && cuts[0].contains(&name) && cuts[0].contains(" W | "),
        "want one warning about a cut naming {name} in:\n{log}"
    );
}

/// The realistic torn write: a crash in the middle of appending a batch that
/// was never acknowledged leaves the start of a record at the end of the log.
#[test]
fn torn_record_of_an_unacknowledged_write_is_cut_and_nothing_is_lost() {
    let mut s = Server::start();
    let mut written = put_sequentially(&s.addr(), "torn", 0..20);
    for cycle in 1..=3 {
        s.kill9();
        let seg = wal_segments(&s).pop().expect("a segment");
        let mut bytes = std::fs::read(&seg).unwrap();
        let records = wal_records(&bytes);
        let last = records.last().expect("records").clone();
        // The first half of a copy of the last record, right after it (over
        // any preallocated zeros).
        let partial = bytes[last.start..last.start + last.len() / 2].to_vec();
        bytes.truncate(last.end);
        bytes.extend_from_slice(&partial);
        std::fs::write(&seg, &bytes).unwrap();

        s.restart();
        assert_cut_logged(&s, &seg);
        let (found, _) = tree(&s.addr(), "/torn");
        assert_eq!(found.len(), written.len(), "cycle {cycle}");
        for (i, index) in &written {
            assert_eq!(
                found.get(&format!("/torn/k{i}")),
                Some(&(format!("v{i}"), *index)),
                "cycle {cycle}: k{i}"
            );
        }
        // The log goes on after the cut.
        let n = written.len();
        written.extend(put_sequentially(&s.addr(), "torn", n..n + 10));
    }
    s.kill9();
    s.restart();
    assert!(!s.log().contains("cutting a torn tail"), "{}", s.log());
    let (found, _) = tree(&s.addr(), "/torn");
    assert_eq!(found.len(), written.len());
}

/// The tail cut as the issue describes it: the last bytes of the log (the
/// record of the last acknowledged write) are gone.
#[test]
fn torn_log_tail_is_cut_and_only_the_torn_record_is_lost() {
    let mut s = Server::start();
    let mut kept: Vec<(usize, u64)> = Vec::new();
    for cycle in 0..3 {
        let written = put_sequentially(&s.addr(), "torn", cycle * 10..cycle * 10 + 10);
        s.kill9();

        // Tear the last record: cut its last bytes (and any zeros a
        // preallocated segment may hold after it).
        let seg = wal_segments(&s).pop().expect("a segment");
        let bytes = std::fs::read(&seg).unwrap();
        let last_non_zero = bytes.iter().rposition(|&b| b != 0).expect("a record");
        let cut_to = last_non_zero.min(bytes.len() - 3);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&seg)
            .unwrap()
            .set_len(cut_to as u64)
            .unwrap();

        s.restart();
        assert_cut_logged(&s, &seg);
        let (last, before) = written.split_last().unwrap();
        kept.extend_from_slice(before);
        let (found, _) = tree(&s.addr(), "/torn");
        for (i, index) in &kept {
            assert_eq!(
                found.get(&format!("/torn/k{i}")),
                Some(&(format!("v{i}"), *index)),
                "cycle {cycle}: k{i}"
            );
        }
        // Only the torn record is gone: the last write.
        assert_eq!(found.len(), kept.len(), "cycle {cycle}: {found:?}");
        assert!(!found.contains_key(&format!("/torn/k{}", last.0)));
    }

    // The log goes on after the cut, and durably.
    let r = form(&s.addr(), "PUT", "/v2/keys/torn/after", "value=a");
    assert_eq!(r.status, 201, "{}", r.text());
    let (_, _, after) = node_of(&r.body).unwrap();
    assert!(after > kept.last().unwrap().1);
    s.restart();
    assert!(!s.log().contains("cutting a torn tail"), "{}", s.log());
    assert_eq!(
        get_node(&s.addr(), "/torn/after"),
        (200, Some(("a".into(), after)))
    );
    let (found, _) = tree(&s.addr(), "/torn");
    assert_eq!(found.len(), kept.len() + 1);
}

/// `member/wal/committed` is a hint written without fsync: a crash can leave
/// it empty, and the server must then still start with everything.
#[test]
fn restart_with_an_empty_committed_hint_keeps_everything() {
    let mut s = Server::start();
    let mut written = Vec::new();
    for cycle in 0..5 {
        written.extend(put_sequentially(
            &s.addr(),
            "h",
            cycle * 10..cycle * 10 + 10,
        ));
        let status = s.terminate().expect("exits on SIGTERM");
        assert!(status.success());
        let hint = s.data_dir().join("member").join("wal").join("committed");
        std::fs::OpenOptions::new()
            .write(true)
            .open(&hint)
            .unwrap_or_else(|e| panic!("{}: {e}", hint.display()))
            .set_len(0)
            .unwrap();
        s.restart();
        let (found, _) = tree(&s.addr(), "/h");
        assert_eq!(found.len(), written.len(), "cycle {cycle}");
        for (i, index) in &written {
            assert_eq!(
                found.get(&format!("/h/k{i}")),
                Some(&(format!("v{i}"), *index)),
                "cycle {cycle}: k{i}"
            );
        }
    }
}

#[test]
fn corruption_before_later_records_stops_the_start_naming_the_file() {
    let mut s = Server::start();
    put_sequentially(&s.addr(), "c", 0..30);
    let status = s.terminate().expect("exits on SIGTERM");
    assert!(status.success());

    let seg = wal_segments(&s).pop().expect("a segment");
    let mut bytes = std::fs::read(&seg).unwrap();
    // A byte in the payload of an early record, with many acknowledged
    // records after it.
    let records = wal_records(&bytes);
    let damaged = records[records.len() / 4].clone();
    assert!(records.len() - records.len() / 4 > 20, "{records:?}");
    bytes[damaged.start + 12 + (damaged.len() - 12) / 2] ^= 0xFF;
    std::fs::write(&seg, &bytes).unwrap();

    s.start_refused_naming(&seg);
    // Nothing was cut off the damaged file.
    assert_eq!(std::fs::read(&seg).unwrap(), bytes, "the segment changed");
}
