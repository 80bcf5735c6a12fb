//! The same requests against our server and the reference etcd (when it is
//! installed), answers compared: status, `Content-Type`, `X-Etcd-Index` and
//! the body, after normalising what varies between runs (ids, raft
//! positions, times). Both start as fresh single members, so their store
//! indexes match exactly.

use crate::util::{metric_value, raw, reference_etcd, Raw, Server};

/// One request: method, target (path and query), form body (None: no body).
type Step = (&'static str, &'static str, Option<&'static str>);

const STEPS: &[Step] = &[
    ("GET", "/v2/keys", None),
    ("PUT", "/v2/keys/message", Some("value=Hello world")),
    ("PUT", "/v2/keys/message", Some("value=Hello etcd")),
    ("GET", "/v2/keys/message", None),
    ("GET", "/v2/keys/missing/deeper", None),
    ("HEAD", "/v2/keys/missing", None),
    ("HEAD", "/v2/keys/message", None),
    ("PUT", "/v2/keys/dir/a", Some("value=1")),
    ("PUT", "/v2/keys/dir/c", Some("value=3")),
    ("PUT", "/v2/keys/dir/b", Some("value=2")),
    ("PUT", "/v2/keys/dir/sub/x", Some("value=x")),
    ("PUT", "/v2/keys/dir/_hidden", Some("value=h")),
    ("PUT", "/v2/keys/dir/emptydir", Some("dir=true")),
    ("GET", "/v2/keys/dir?sorted=true", None),
    ("GET", "/v2/keys/dir?recursive=true&sorted=true", None),
    ("GET", "/v2/keys/dir/_hidden", None),
    ("GET", "/v2/keys/dir?quorum=true&sorted=true", None),
    ("GET", "/v2/keys/?recursive=true&sorted=true", None),
    ("GET", "/v2/keys/dir/emptydir?recursive=true", None),
    ("PUT", "/v2/keys/d2", Some("dir=true")),
    ("PUT", "/v2/keys/d2", Some("dir=true")),
    ("PUT", "/v2/keys/f1", Some("value=v")),
    ("PUT", "/v2/keys/f1", Some("dir=true")),
    ("PUT", "/v2/keys/d2", Some("value=v")),
    ("PUT", "/v2/keys/d3", Some("dir=true&value=abc")),
    ("PUT", "/v2/keys/file9", Some("value=v")),
    ("PUT", "/v2/keys/file9/child", Some("value=v")),
    ("GET", "/v2/keys/file9/child", None),
    ("DELETE", "/v2/keys/file9/child", None),
    ("PUT", "/v2/keys/t2", Some("value=v&ttl=")),
    ("PUT", "/v2/keys/tbig", Some("value=v&ttl=8000000000")),
    ("PUT", "/v2/keys/t4", Some("value=v&ttl=-1")),
    ("PUT", "/v2/keys/t4", Some("value=v&ttl=1.5")),
    ("PUT", "/v2/keys/t4", Some("value=v&ttl=9223372036")),
    ("PUT", "/v2/keys/r2", Some("value=x")),
    ("PUT", "/v2/keys/r2", Some("value=new&ttl=200&refresh=true")),
    ("PUT", "/v2/keys/r2", Some("refresh=true")),
    ("PUT", "/v2/keys/r3", Some("refresh=true&ttl=100")),
    ("PUT", "/v2/keys/c1", Some("value=one&prevExist=false")),
    ("PUT", "/v2/keys/c1", Some("value=two&prevExist=false")),
    ("PUT", "/v2/keys/c1", Some("value=three&prevExist=true")),
    ("PUT", "/v2/keys/c2", Some("value=x&prevExist=true")),
    ("PUT", "/v2/keys/cd", Some("dir=true&prevExist=false")),
    ("PUT", "/v2/keys/cd", Some("dir=true&prevExist=true")),
    ("PUT", "/v2/keys/cd", Some("value=x&prevExist=true")),
    ("PUT", "/v2/keys/c1", Some("dir=true&prevExist=true")),
    ("PUT", "/v2/keys/c1", Some("value=four&prevValue=three")),
    ("PUT", "/v2/keys/c1", Some("value=five&prevValue=")),
    ("PUT", "/v2/keys/c1", Some("value=five&prevIndex=1")),
    ("PUT", "/v2/keys/c1", Some("value=five&prevIndex=abc")),
    ("PUT", "/v2/keys/c1", Some("value=five&prevIndex=0")),
    (
        "PUT",
        "/v2/keys/c1",
        Some("value=six&prevValue=wrong&prevIndex=1"),
    ),
    ("PUT", "/v2/keys/c1", Some("value=six&prevValue=five")),
    (
        "PUT",
        "/v2/keys/nv?noValueOnSuccess=true",
        Some("value=bar"),
    ),
    ("POST", "/v2/keys/queue", Some("value=Job1")),
    ("POST", "/v2/keys/queue", Some("value=Job2")),
    ("POST", "/v2/keys/queue", Some("dir=true")),
    ("GET", "/v2/keys/queue?recursive=true&sorted=true", None),
    ("POST", "/v2/keys/message", Some("value=x")),
    ("POST", "/v2/keys", Some("value=rootq")),
    ("DELETE", "/v2/keys/dir", None),
    ("DELETE", "/v2/keys/dir/emptydir?dir=true", None),
    ("DELETE", "/v2/keys/dir/sub?dir=true", None),
    ("DELETE", "/v2/keys/dir?recursive=true", None),
    ("DELETE", "/v2/keys/message?prevValue=nope", None),
    ("DELETE", "/v2/keys/message?prevValue=Hello%20etcd", None),
    ("DELETE", "/v2/keys/message", None),
    ("DELETE", "/v2/keys/", None),
    ("DELETE", "/v2/keys/?prevValue=x", None),
    ("PUT", "/v2/keys/", Some("value=x")),
    ("PUT", "/v2/keys/o?wait=true", Some("value=x")),
    ("GET", "/v2/keys/foo?recursive=maybe", None),
    ("GET", "/v2/keys/foo?waitIndex=-5", None),
    ("PUT", "/v2/keys/o?prevExist=maybe&refresh=maybe", None),
    ("PATCH", "/v2/keys/foo", Some("value=x")),
    ("GET", "/v2/keys//norm/a", None),
    ("PUT", "/v2/keys/norm//b", Some("value=B")),
    ("GET", "/v2/keysfoo", None),
    ("GET", "/v2/keys/message?wait=true&waitIndex=1", None),
    (
        "GET",
        "/v2/keys/queue?wait=true&recursive=true&waitIndex=1",
        None,
    ),
    (
        "GET",
        "/v2/keys/queue?wait=true&recursive=true&waitIndex=5",
        None,
    ),
    ("PUT", "/v2/keys/sp%20ace", Some("value=1")),
    ("PUT", "/v2/keys/uni/%E2%98%83", Some("value=snowman")),
    (
        "PUT",
        "/v2/keys/special/quote",
        Some("value=a%22b%5Cc%3C%3E%26%2F"),
    ),
    ("PUT", "/v2/keys/special/invalidutf8", Some("value=%ff%fe")),
    // A genuine U+FFFD is written raw, an invalid byte as `\ufffd`.
    ("PUT", "/v2/keys/special/repl", Some("value=%EF%BF%BD%ff")),
    ("PUT", "/v2/keys/special/%EF%BF%BD%ff", Some("value=k")),
    (
        "PUT",
        "/v2/keys/special/repl",
        Some("value=x&prevValue=%EF%BF%BD%EF%BF%BD"),
    ),
    // Keys that differ only in invalid bytes are different keys.
    ("PUT", "/v2/keys/bin/%ff", Some("value=1")),
    ("GET", "/v2/keys/bin/%fe", None),
    ("PUT", "/v2/keys/bin/%EF%BF%BD", Some("value=2")),
    ("PUT", "/v2/keys/bin/%fe", Some("value=3")),
    ("GET", "/v2/keys/bin?sorted=true", None),
    ("GET", "/v2/keys/special?recursive=true&sorted=true", None),
    // `quorum=true` makes any GET a quorum read: `wait` is not honoured.
    ("GET", "/v2/keys/?wait=true&quorum=true&sorted=true", None),
    (
        "GET",
        "/v2/keys/message?wait=true&waitIndex=2&quorum=true",
        None,
    ),
    (
        "GET",
        "/v2/keys/missing?wait=true&waitIndex=4&quorum=true",
        None,
    ),
    (
        "GET",
        "/v2/keys/message?wait=true&stream=true&quorum=true",
        None,
    ),
    (
        "GET",
        "/v2/keys/message?wait=true&waitIndex=x&quorum=true",
        None,
    ),
    ("GET", "/v2/keys/uni?recursive=true", None),
    ("GET", "/v2/members", None),
    ("GET", "/v2/members/leader", None),
    ("GET", "/v2/members/foo", None),
    ("HEAD", "/v2/members", None),
    ("PATCH", "/v2/members", None),
    ("PUT", "/v2/members", None),
    ("PUT", "/v2/members/zz", None),
    ("DELETE", "/v2/members/zz", None),
    ("DELETE", "/v2/members/", None),
    ("GET", "/v2/machines", None),
    ("GET", "/version", None),
    ("POST", "/version", None),
    ("GET", "/health", None),
    ("GET", "/v2/stats/leader", None),
    ("GET", "/v2/stats", None),
    ("GET", "/nothing", None),
    ("OPTIONS", "/v2/keys/foo", None),
    ("GET", "/v2/stats/store", None),
];

/// Replaces what differs between two runs by placeholders.
fn normalise(r: &Raw, ids: &[String]) -> String {
    let mut body = r.text();
    for id in ids {
        body = body.replace(id.as_str(), "<id>");
    }
    // Times (expiration, startTime) and ports.
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some(i) = rest.find("\"20") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let end = tail.find('"').unwrap_or(0);
        if tail[..end].contains('T') && tail[..end].ends_with('Z') {
            out.push_str("\"<time>");
            rest = &tail[end..];
        } else {
            out.push('"');
            rest = tail;
        }
    }
    out.push_str(rest);
    let mut s = out;
    while let Some(i) = s.find("127.0.0.1:") {
        let digits = s[i + 10..].chars().take_while(char::is_ascii_digit).count();
        s.replace_range(i..i + 10 + digits, "<addr>");
    }
    s
}

fn describe(r: &Raw, ids: &[String]) -> String {
    format!(
        "{} ct={:?} etcd-index={:?} allow={:?} location={:?} body={}",
        r.status,
        r.header("Content-Type"),
        r.header("X-Etcd-Index"),
        r.header("Allow"),
        r.header("Location"),
        normalise(r, ids)
    )
}

fn send(server: &Server, step: &Step) -> Raw {
    let (method, target, body) = *step;
    match body {
        Some(b) => raw(
            &server.addr(),
            method,
            target,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b.as_bytes(),
        ),
        None => raw(&server.addr(), method, target, &[], b""),
    }
}

fn member_ids(server: &Server) -> Vec<String> {
    let r = raw(&server.addr(), "GET", "/v2/members", &[], b"");
    let mut ids = vec![r.header("X-Etcd-Cluster-Id").unwrap_or_default().to_owned()];
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    for m in v["members"].as_array().into_iter().flatten() {
        ids.push(m["id"].as_str().unwrap_or_default().to_owned());
    }
    ids.retain(|i| !i.is_empty());
    ids
}

#[test]
fn same_answers_as_the_reference() {
    let Some(etcd) = reference_etcd() else {
        eprintln!("SKIPPED same_answers_as_the_reference: the reference etcd is not installed");
        return;
    };
    let ours = Server::start();
    let reference = Server::start_with(etcd, &[]);
    let (our_ids, ref_ids) = (member_ids(&ours), member_ids(&reference));
    let mut mismatches = Vec::new();
    for step in STEPS {
        let a = describe(&send(&ours, step), &our_ids);
        let b = describe(&send(&reference, step), &ref_ids);
        if a != b {
            mismatches.push(format!("{} {}\n  ours: {a}\n  ref:  {b}", step.0, step.1));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} answers differ:\n{}",
        mismatches.len(),
        STEPS.len(),
        mismatches.join("\n")
    );
}

/// Requests whose effect on the reference's keys figures is checked: writes
/// that succeed and fail, reads (quorum and HEAD among them) that find and
/// miss, a watch answered from history (counted nowhere), a quorum read
/// asking to wait (answered, never "received"), and a request refused while
/// parsing (counted nowhere).
const METRIC_STEPS: &[Step] = &[
    ("PUT", "/v2/keys/m", Some("value=1")),
    ("PUT", "/v2/keys/m", Some("value=2")),
    ("GET", "/v2/keys/m", None),
    ("GET", "/v2/keys/m?quorum=true", None),
    ("HEAD", "/v2/keys/m", None),
    ("HEAD", "/v2/keys/missing", None),
    ("GET", "/v2/keys/missing", None),
    ("POST", "/v2/keys/queue", Some("value=job")),
    ("PUT", "/v2/keys/m?prevValue=other", Some("value=3")),
    ("PUT", "/v2/keys/gone?prevExist=true", Some("value=3")),
    ("DELETE", "/v2/keys/m", None),
    ("DELETE", "/v2/keys/m", None),
    ("GET", "/v2/keys/m?wait=true&waitIndex=1", None),
    (
        "GET",
        "/v2/keys/queue?wait=true&quorum=true&recursive=true",
        None,
    ),
    ("PUT", "/v2/keys/t?ttl=soon", Some("value=1")),
];

/// The series of `/metrics` whose values are compared, by name.
const COMPARED: &[&str] = &[
    "etcd_http_received_total",
    "etcd_http_failed_total",
    "etcd_http_successful_duration_seconds_count",
    "etcd_server_leader_changes_seen_total",
    "etcd_server_version",
    "etcd_cluster_version",
    "etcd_server_health_success",
    "etcd_server_health_failures",
    "etcd_server_is_learner",
    "etcd_debugging_store_reads_total",
    "etcd_debugging_store_writes_total",
    "etcd_debugging_store_expires_total",
    "etcd_debugging_store_watch_requests_total",
    "etcd_debugging_store_watchers",
];

/// Series both servers have, whose values differ by design: raft indexes
/// (the reference's log carries internal entries, ours batches writes) and
/// gauges that are 0 here.
const PRESENT: &[&str] = &[
    "etcd_server_proposals_committed_total",
    "etcd_server_proposals_applied_total",
    "etcd_server_proposals_pending",
    "etcd_server_proposals_failed_total",
    "etcd_server_has_leader",
    "etcd_server_is_leader",
];

/// Process figures both servers have (read from each one's own process).
const PROCESS: &[&str] = &[
    "process_cpu_seconds_total",
    "process_max_fds",
    "process_open_fds",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_virtual_memory_bytes",
    "process_virtual_memory_max_bytes",
    "os_fd_limit",
    "os_fd_used",
];

/// `name{labels}` (labels sorted, as Go writes them) → value, for the
/// compared series with a value other than 0 (the reference lists only the
/// label sets it has seen; ours lists every method from the start).
fn compared_series(text: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if !COMPARED.contains(&name) || value == "0" {
            continue;
        }
        let mut labels: Vec<&str> = labels.split(',').filter(|l| !l.is_empty()).collect();
        labels.sort_unstable();
        out.insert(format!("{name}{{{}}}", labels.join(",")), value.to_owned());
    }
    out
}

#[test]
fn the_reference_metrics_operators_alert_on_count_as_the_reference_counts() {
    let Some(etcd) = reference_etcd() else {
        eprintln!("SKIPPED the_reference_metrics_...: the reference etcd is not installed");
        return;
    };
    let ours = Server::start();
    let reference = Server::start_with(etcd, &[]);
    let mut texts = Vec::new();
    for server in [&ours, &reference] {
        for step in METRIC_STEPS {
            send(server, step);
        }
        let text = raw(&server.addr(), "GET", "/metrics", &[], b"").text();
        // Every server has synced its log and knows its own id.
        let synced = metric_value(&text, "etcd_disk_wal_fsync_duration_seconds_count");
        assert!(synced.is_some_and(|n| n > 0.0), "no wal syncs in:\n{text}");
        let written = metric_value(&text, "etcd_disk_wal_write_bytes_total");
        assert!(written.is_some_and(|n| n > 0.0), "no wal bytes in:\n{text}");
        for name in PROCESS {
            let v = metric_value(&text, name);
            assert!(v.is_some_and(|v| v > 0.0), "no {name} in:\n{text}");
        }
        for name in PRESENT {
            let found = text
                .lines()
                .any(|l| l.split([' ', '{']).next() == Some(name));
            assert!(found, "no {name} in:\n{text}");
        }
        let committed = metric_value(&text, "etcd_server_proposals_committed_total");
        assert!(
            committed.is_some_and(|n| n > 0.0),
            "nothing committed in:\n{text}"
        );
        let id = &member_ids(server)[1];
        let id_line = format!("etcd_server_id{{server_id=\"{id}\"}} 1");
        assert!(
            text.lines().any(|l| l == id_line),
            "no `{id_line}` in:\n{text}"
        );
        texts.push(text);
    }
    let (a, b) = (compared_series(&texts[0]), compared_series(&texts[1]));
    assert!(
        b.len() >= 10,
        "too few series read from the reference: {b:#?}"
    );
    assert_eq!(a, b, "ours (left) and the reference's (right) differ");
}
