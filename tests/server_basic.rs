//! A single member end to end: start-up lines, the first index, every
//! endpoint answering, watches, expiry, graceful stop and restart.

use crate::util::{form, metric_value, raw, Server};
use std::time::{Duration, Instant};

#[test]
fn starts_like_the_reference_and_first_write_gets_index_4() {
    let s = Server::start();
    let log = s.log();
    for line in [
        "embed: name = n1",
        "etcdserver: starting member ",
        "etcdserver: published {Name:n1 ClientURLs:[",
        "etcdserver/api: enabled capabilities for version 3.4",
        "embed: ready to serve client requests",
    ] {
        assert!(
            log.contains(line),
            "missing start-up line {line:?} in:\n{log}"
        );
    }
    let r = form(&s.addr(), "PUT", "/v2/keys/foo", "value=bar");
    assert_eq!(r.status, 201);
    assert_eq!(r.header("X-Etcd-Index"), Some("4"));
    assert_eq!(
        r.text(),
        "{\"action\":\"set\",\"node\":{\"key\":\"/foo\",\"value\":\"bar\",\"modifiedIndex\":4,\"createdIndex\":4}}\n"
    );
    // Canonical header case, as Go writes it.
    assert!(
        r.headers
            .iter()
            .any(|h| h.starts_with("X-Etcd-Cluster-Id: ")),
        "{:?}",
        r.headers
    );
}

#[test]
fn restart_keeps_data_and_republishes_once() {
    let mut s = Server::start();
    form(&s.addr(), "PUT", "/v2/keys/a", "value=1");
    form(&s.addr(), "PUT", "/v2/keys/t", "value=x&ttl=1000");
    s.restart();
    let r = raw(&s.addr(), "GET", "/v2/keys/a", &[], b"");
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains("\"value\":\"1\",\"modifiedIndex\":4"),
        "{}",
        r.text()
    );
    // One index for the re-published attributes, like the reference.
    assert_eq!(r.header("X-Etcd-Index"), Some("6"));
    let t = raw(&s.addr(), "GET", "/v2/keys/t", &[], b"");
    assert!(t.text().contains("\"ttl\":"), "{}", t.text());
}

#[test]
fn sigterm_stops_cleanly() {
    let mut s = Server::start();
    form(&s.addr(), "PUT", "/v2/keys/a", "value=1");
    let status = s.terminate().expect("server exits on SIGTERM");
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn long_poll_watch_and_expiry() {
    let s = Server::start();
    let addr = s.addr();
    let watcher = std::thread::spawn(move || raw(&addr, "GET", "/v2/keys/w/k?wait=true", &[], b""));
    std::thread::sleep(Duration::from_millis(300));
    form(&s.addr(), "PUT", "/v2/keys/w/k", "value=v1&ttl=1");
    let w = watcher.join().unwrap();
    assert_eq!(w.status, 200);
    assert_eq!(w.header("X-Etcd-Index"), Some("3"));
    assert!(w.text().contains("\"action\":\"set\""), "{}", w.text());
    // The expire event arrives between 1 and ~1.5 s later.
    let start = Instant::now();
    let e = raw(
        &s.addr(),
        "GET",
        "/v2/keys/w/k?wait=true&waitIndex=5",
        &[],
        b"",
    );
    assert!(
        e.text().starts_with("{\"action\":\"expire\""),
        "{}",
        e.text()
    );
    assert!(start.elapsed() < Duration::from_secs(3));
    let gone = raw(&s.addr(), "GET", "/v2/keys/w/k", &[], b"");
    assert_eq!(gone.status, 404);
}

/// The request duration histogram counts every answered request except
/// watches, which last as long as their client waits; a quorum read with
/// `wait=true` is a read.
#[test]
fn watches_stay_out_of_the_request_duration_histogram() {
    let s = Server::start();
    let timed = || {
        let text = raw(&s.addr(), "GET", "/metrics", &[], b"").text();
        let line = text
            .lines()
            .find(|l| l.starts_with("etcd_http_request_duration_seconds_count "))
            .unwrap_or_else(|| panic!("no duration count in:\n{text}"));
        line.rsplit(' ').next().unwrap().parse::<u64>().unwrap()
    };
    form(&s.addr(), "PUT", "/v2/keys/m", "value=1");
    let before = timed();
    // A watch answered from history, then a quorum read asking to wait.
    let w = raw(
        &s.addr(),
        "GET",
        "/v2/keys/m?wait=true&waitIndex=1",
        &[],
        b"",
    );
    assert!(w.text().contains("\"action\":\"set\""), "{}", w.text());
    let q = raw(
        &s.addr(),
        "GET",
        "/v2/keys/m?wait=true&quorum=true",
        &[],
        b"",
    );
    assert!(q.text().contains("\"action\":\"get\""), "{}", q.text());
    // The first /metrics request counts itself too.
    assert_eq!(timed(), before + 2);
}

/// `/metrics` carries the process figures dashboards chart (Prometheus'
/// process collector and the reference's `os_fd_*`), read from the server's
/// own `/proc` entry.
#[test]
fn metrics_show_the_process_figures() {
    let s = Server::start();
    let pid = s.pid().expect("running");
    let text = raw(&s.addr(), "GET", "/metrics", &[], b"").text();
    let value = |series: &str| {
        metric_value(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    };
    let proc_status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = |field: &str| {
        let line = proc_status.lines().find(|l| l.starts_with(field)).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<f64>()
            .unwrap()
            * 1024.0
    };
    // Memory moves a little between the scrape and the read of /proc.
    let (rss, status_rss) = (value("process_resident_memory_bytes"), kib("VmRSS:"));
    assert!(
        rss > 1e6 && (rss - status_rss).abs() < 64e6,
        "{rss} vs {status_rss}"
    );
    assert!(value("process_virtual_memory_bytes") >= rss);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count() as f64;
    let open = value("process_open_fds");
    assert!(
        open >= 5.0 && (open - fds).abs() <= 4.0,
        "{open} open, {fds} in /proc"
    );
    assert_eq!(value("os_fd_used"), open);
    let limit = value("process_max_fds");
    assert!(limit >= open && value("os_fd_limit") == limit);
    assert!(value("process_virtual_memory_max_bytes") > 0.0);
    let cpu = value("process_cpu_seconds_total");
    assert!(cpu > 0.0 && cpu < 600.0, "cpu {cpu}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let started = value("process_start_time_seconds");
    assert!(
        started <= now + 1.0 && started > now - 120.0,
        "{started} vs {now}"
    );
    for family in ["process_cpu_seconds", "process_open_fds", "os_fd_used"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("# HELP {family} "))),
            "no help for {family}"
        );
    }
}

#[test]
fn dropped_watchers_are_removed() {
    let s = Server::start();
    let count = || {
        let r = raw(&s.addr(), "GET", "/v2/stats/store", &[], b"");
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        v["watchers"].as_u64().unwrap()
    };
    {
        use std::io::Write;
        let mut c = std::net::TcpStream::connect(s.addr()).unwrap();
        c.write_all(b"GET /v2/keys/x?wait=true HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(count(), 1);
    }
    let start = Instant::now();
    while count() != 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "watcher not dropped after disconnect"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn connections_not_starting_with_an_http1_request_line_get_no_answer() {
    let s = Server::start();
    let send = |uri_len: usize| {
        // "GET " + "/v2/keys/" + padding + " HTTP/1.1\r\n"
        let key = "a".repeat(uri_len - "/v2/keys/".len());
        let req = format!("GET /v2/keys/{key} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        exchange(&s.addr(), req.as_bytes())
    };
    // 3 + 1 + 4081 + 1 + 8 + 2 = 4096 bytes: answered (404, the key is missing).
    let ok = send(4081);
    assert!(
        ok.starts_with("HTTP/1.1 404"),
        "{}",
        &ok[..ok.len().min(80)]
    );
    // One byte more: the connection is closed without an answer.
    assert!(send(4082).is_empty());
    // So is one whose first line is not an HTTP/1 request line.
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /version HTTP/2.0\r\nHost: x\r\n\r\n",
        b"GET /version x HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        assert_eq!(exchange(&s.addr(), garbage), "", "{garbage:?}");
    }
    // Only the first request of a connection is checked: a long line after
    // it is served (404: the key is missing).
    let key = "a".repeat(5000);
    let two = format!(
        "GET /version HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/keys/{key} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let answers = exchange(&s.addr(), two.as_bytes());
    assert!(answers.starts_with("HTTP/1.1 200 OK\r\n"), "{answers}");
    assert!(answers.contains("HTTP/1.1 404 Not Found\r\n"), "{answers}");
    // The peer listener answers such a request itself.
    let peer = s.peer_url();
    let answer = exchange(peer.trim_start_matches("http://"), b"GARBAGE\r\n\r\n");
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
}

/// What a raw request gets back, read until the server closes the
/// connection (or 10 s pass).
fn exchange(addr: &str, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(request).unwrap();
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

#[test]
fn host_headers_are_checked_like_the_reference() {
    let s = Server::start();
    let peer = s.peer_url();
    let peer = peer.trim_start_matches("http://");
    let refusals: [(&[u8], &str); 4] = [
        (
            b"PUT /v2/keys/nohost HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nvalue=1",
            "Bad Request: missing required Host header",
        ),
        (
            b"GET /version HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
            "Bad Request",
        ),
        (
            b"GET /version HTTP/1.1\r\nHost: a b\r\n\r\n",
            "Bad Request: malformed Host header",
        ),
        (
            b"GET /version HTTP/1.0\r\nHost: a/b\r\n\r\n",
            "Bad Request: malformed Host header",
        ),
    ];
    for addr in [s.addr().as_str(), peer] {
        for (request, reason) in refusals {
            let answer = exchange(addr, request);
            let (head, body) = answer.split_once("\r\n\r\n").expect("an answer");
            assert!(head.contains(&format!(" 400 {reason}\r\n")), "{head}");
            assert!(head.contains("\r\nConnection: close"), "{head}");
            assert!(
                head.contains("\r\nContent-Type: text/plain; charset=utf-8"),
                "{head}"
            );
            // Read to the end: the server closed the connection after it.
            assert_eq!(body, format!("400 {reason}"));
        }
    }
    // The refused write was not made.
    let get = b"GET /v2/keys/nohost HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let answer = exchange(&s.addr(), get);
    assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");
    // An HTTP/1.0 request may leave the header out, and an empty one passes.
    for request in [
        &b"GET /version HTTP/1.0\r\n\r\n"[..],
        b"GET /version HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
    ] {
        let answer = exchange(&s.addr(), request);
        assert!(answer.contains(" 200 OK\r\n"), "{answer}");
    }
}

#[test]
fn the_peer_listener_sends_no_cors_headers_and_lists_members_on_get_only() {
    let s = Server::start();
    let peer = s.peer_url();
    let peer = peer.trim_start_matches("http://");
    let ask = |request: &str| {
        exchange(
            peer,
            format!("{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };
    for (request, status) in [
        ("GET /version", "200 OK"),
        ("POST /version", "405 Method Not Allowed"),
        ("GET /nowhere", "404 Not Found"),
        ("GET /members", "200 OK"),
        ("PUT /members", "405 Method Not Allowed"),
    ] {
        let answer = ask(request);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{request}: {answer}"
        );
        assert!(!answer.contains("Access-Control-"), "{request}: {answer}");
        if status.starts_with("405") {
            assert!(answer.contains("\r\nAllow: GET\r\n"), "{request}: {answer}");
        }
    }
    // The client listener keeps them.
    let answer = exchange(
        &s.addr(),
        b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        answer.contains("\r\nAccess-Control-Allow-Origin: *\r\n"),
        "{answer}"
    );
}

#[test]
fn requests_for_the_whole_server_get_the_answers_of_go_s_server() {
    let s = Server::start();
    let peer = s.peer_url();
    let peer = peer.trim_start_matches("http://").to_owned();
    for (addr, cors) in [(s.addr(), true), (peer, false)] {
        let options = exchange(
            &addr,
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert!(options.starts_with("HTTP/1.1 200 OK\r\n"), "{options}");
        assert!(!options.contains("Access-Control-"), "{options}");
        for request in [
            &b"GET * HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"PUT * HTTP/1.1\r\nHost: x\r\n\r\n",
        ] {
            // Read to the end: the server closes the connection.
            let answer = exchange(&addr, request);
            let (head, body) = answer.split_once("\r\n\r\n").expect("an answer");
            assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
            assert!(head.contains("\r\nConnection: close"), "{head}");
            assert_eq!(
                head.contains("\r\nAccess-Control-Allow-Origin: *"),
                cors,
                "{head}"
            );
            assert_eq!(body, "");
        }
    }
}

#[test]
fn debug_vars_lists_the_command_line_the_file_limit_and_the_raft_status() {
    let s = Server::start();
    form(&s.addr(), "PUT", "/v2/keys/a", "value=1");
    let r = raw(&s.addr(), "GET", "/debug/vars", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    let text = r.text();
    assert!(text.starts_with("{\n\"cmdline\": ["), "{text}");
    assert!(text.ends_with("}\n}\n"), "{text}");
    let vars: serde_json::Value = serde_json::from_str(&text).unwrap();
    let args = vars["cmdline"].as_array().unwrap();
    assert!(args.iter().any(|a| a == "--data-dir"), "{text}");
    assert!(
        vars["file_descriptor_limit"].as_u64().unwrap() > 0,
        "{text}"
    );
    let status = &vars["raft.status"];
    let id = status["id"].as_str().unwrap();
    assert_eq!(status["raftState"], "StateLeader", "{text}");
    assert_eq!(status["lead"], id);
    assert_eq!(status["vote"], id);
    // The write above is committed and applied, and replicated to itself.
    let commit = status["commit"].as_u64().unwrap();
    let applied = status["applied"].as_u64().unwrap();
    assert!((4..=commit).contains(&applied), "{text}");
    let matched = status["progress"][id]["match"].as_u64().unwrap();
    assert!(matched >= applied, "{text}");
    assert_eq!(status["progress"][id]["state"], "StateReplicate");
    let post = raw(&s.addr(), "POST", "/debug/vars", &[], b"");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("Allow"), Some("GET"));
}
