//! Our etcdctl's `member`, `cluster-health`, `user`, `role` and `auth`
//! commands next to the reference etcdctl (ETCDCTL_API=2): same stdout,
//! stderr and exit code against the same servers, plus golden checks against
//! our server. Tests that need the reference skip, saying so, without it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{free_port, raw, reference_ctl, reference_etcd, workspace_bin, Server};

mod three_members;

/// What one etcdctl run printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[exit {:?}]\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Collects a child's output stream on a thread.
fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

fn text(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

/// Starts `bin` as etcdctl against `endpoint` with `args`, `stdin` piped in.
fn spawn_ctl(bin: &Path, endpoint: &str, args: &[&str], stdin: &[u8]) -> Child {
    let mut cmd = Command::new(bin);
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env("ETCDCTL_API", "2")
        .arg("--endpoints")
        .arg(endpoint)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
    let mut input = child.stdin.take().expect("piped stdin");
    let _ = input.write_all(stdin);
    child
}

/// Waits for `child` up to `limit` (then kills it and fails).
fn wait(child: &mut Child, limit: Duration, what: &str) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for etcdctl") {
            return status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reads a child's output stream to its end on a thread.
fn read_to_end(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs etcdctl to completion. The reference's password prompt runs `stty`,
/// which complains on stderr when stdin is no terminal: those lines are dropped.
pub(crate) fn ctl(bin: &Path, endpoint: &str, args: &[&str], stdin: &str) -> Run {
    let mut child = spawn_ctl(bin, endpoint, args, stdin.as_bytes());
    let out = read_to_end(child.stdout.take().expect("stdout"));
    let err = read_to_end(child.stderr.take().expect("stderr"));
    let what = format!("{} {}", bin.display(), args.join(" "));
    let code = wait(&mut child, Duration::from_secs(30), &what);
    // The readers end at EOF, once the process (and any `stty` it ran) is gone.
    let (out, err) = (out.join(), err.join());
    let stderr: String = err
        .expect("stderr reader")
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("stty: "))
        .collect();
    Run {
        code,
        stdout: out.expect("stdout reader"),
        stderr,
    }
}

/// The reference etcd and etcdctl, or `None` (saying that `test` is
/// skipped) when either is missing.
pub(crate) fn reference_tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    match (reference_etcd(), reference_ctl()) {
        (Some(etcd), Some(ctl)) => Some((etcd, ctl)),
        _ => {
            eprintln!("SKIPPED {test}: the reference etcd/etcdctl are not installed");
            None
        }
    }
}

/// Hex member ids (12+ digits) become `ID`.
fn mask_ids(s: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() >= 12 && word.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("ID");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Runs every step with both etcdctls and collects the differences.
fn compare(
    steps: &[(&[&str], &str)],
    reference: (&Path, &str),
    ours: (&Path, &str),
    normalise: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let mut diffs = Vec::new();
    for (args, stdin) in steps {
        let r = ctl(reference.0, reference.1, args, stdin);
        let o = ctl(ours.0, ours.1, args, stdin);
        let (r, o) = (normalise(&r.to_string()), normalise(&o.to_string()));
        if r != o {
            diffs.push(format!(
                "etcdctl {}\n=== reference\n{r}=== ours\n{o}",
                args.join(" ")
            ));
        }
    }
    diffs
}

pub(crate) fn assert_no_diffs(diffs: &[String], total: usize) {
    assert!(
        diffs.is_empty(),
        "{} of {total} commands differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Commands that behave the same on any single-member cluster.
const SINGLE_NODE: &[&[&str]] = &[
    &["member", "list"],
    &["-o", "json", "member", "list"],
    &["-o", "extended", "member", "list"],
    &["--debug", "member", "list"],
    &["member", "list", "extra"],
    &["member", "bogus"],
    &["cluster-health"],
    &["-o", "json", "cluster-health"],
    &["--debug", "cluster-health"],
    &["--no-sync", "cluster-health", "-f=false"],
    &["member", "add"],
    &["member", "add", "onlyname"],
    &["member", "add", "bad", "not a url"],
    &["member", "add", "bad", "http://h:abc"],
    &["member", "add", "bad", "127.0.0.1:1"],
    &["member", "remove"],
    &["member", "remove", "1234"],
    &["member", "remove", "zzzz"],
    &["member", "remove", "n1"],
    &["member", "update"],
    &["member", "update", "1234"],
    &["member", "update", "1234", "bad url"],
    &["member", "update", "1234", "http://h:1/path"],
    &["member", "update", "1234", "http://h"],
    &["user", "add"],
    &["role", "add", "a", "b"],
    &["role", "grant", "r", "--path", "a//b", "--read"],
    &["user", "grant", "u"],
];

#[test]
fn member_and_health_commands_match_the_reference_on_one_node() {
    let ours_ctl = workspace_bin("etcdctl");
    let Some((etcd, ref_ctl)) = reference_tools("member_and_health_commands") else {
        return;
    };
    let ours = Server::start();
    let reference = Server::start_with(etcd, &[]);
    let add_url = format!("http://127.0.0.1:{}", free_port());
    let mut steps: Vec<(&[&str], &str)> = SINGLE_NODE.iter().map(|a| (*a, "")).collect();
    let mut diffs = compare(
        &steps,
        (&ref_ctl, &reference.url()),
        (&ours_ctl, &reference.url()),
        &|s| s.to_owned(),
    );
    // Membership changes: each etcdctl against its own fresh server of ours
    // (on a one-member reference an added member would break the quorum), ids
    // and ports masked.
    let ours2 = Server::start();
    let add: &[&str] = &["member", "add", "n9", &add_url];
    let upd: &[&str] = &["member", "update", "1234", &add_url];
    let bad: &[&str] = &["member", "add", "n8", "ftp://127.0.0.1:1"];
    let membership: Vec<(&[&str], &str)> = vec![(add, ""), (upd, ""), (bad, ""), (add, "")];
    diffs.extend(compare(
        &membership,
        (&ref_ctl, &ours.url()),
        (&ours_ctl, &ours2.url()),
        &mask_ids_and_ports,
    ));
    steps.extend(membership);
    assert_no_diffs(&diffs, 2 * steps.len() - 2);
}

/// Replaces member ids (12+ hex digits) and loopback ports.
fn mask_ids_and_ports(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() >= 12 && word.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("ID");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    let mut masked = String::new();
    let mut rest = out.as_str();
    while let Some(i) = rest.find("127.0.0.1:") {
        masked.push_str(&rest[..i + 10]);
        rest = &rest[i + 10..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        masked.push('P');
        rest = &rest[digits..];
    }
    masked.push_str(rest);
    // Members are listed in id order, and ids are random: sort the entries.
    let key = "ETCD_INITIAL_CLUSTER=\"";
    if let Some(i) = masked.find(key) {
        let start = i + key.len();
        if let Some(len) = masked[start..].find('"') {
            let mut entries: Vec<&str> = masked[start..start + len].split(',').collect();
            entries.sort_unstable();
            let sorted = entries.join(",");
            masked.replace_range(start..start + len, &sorted);
        }
    }
    masked
}

#[test]
fn member_list_and_cluster_health_golden_on_our_server() {
    let bin = workspace_bin("etcdctl");
    let server = Server::start();
    let members: serde_json::Value =
        serde_json::from_slice(&raw(&server.addr(), "GET", "/v2/members", &[], b"").body)
            .expect("members JSON");
    let id = members["members"][0]["id"].as_str().expect("member id");
    let (url, peer) = (server.url(), server.peer_port);
    let list = ctl(&bin, &url, &["member", "list"], "");
    assert_eq!(
        list.to_string(),
        format!(
            "[exit Some(0)]\n--- stdout\n{id}: name=n1 peerURLs=http://127.0.0.1:{peer} \
             clientURLs={url} isLeader=true\n--- stderr\n"
        )
    );
    let health = ctl(&bin, &url, &["cluster-health"], "");
    assert_eq!(
        health.to_string(),
        format!(
            "[exit Some(0)]\n--- stdout\nmember {id} is healthy: got healthy result from {url}\n\
             cluster is healthy\n--- stderr\n"
        )
    );
    let debug = ctl(&bin, &url, &["--debug", "cluster-health"], "");
    assert_eq!(
        debug.stderr,
        format!("Cluster-Endpoints: {url}\ncURL Command: curl -X GET {url}/v2/members\n")
    );
    // An unknown id is refused after listing, before any write.
    let remove = ctl(&bin, &url, &["member", "remove", "abc"], "");
    assert_eq!(
        (remove.code, remove.stderr.as_str()),
        (
            Some(1),
            "Couldn't find a member in the cluster with an ID of abc.\n"
        )
    );
}

#[test]
fn unreachable_endpoints_fail_like_the_reference() {
    let ours = workspace_bin("etcdctl");
    let Some(reference) = reference_ctl() else {
        eprintln!("SKIPPED unreachable_endpoints: the reference etcdctl is not installed");
        return;
    };
    let dead = format!("http://127.0.0.1:{}", free_port());
    let steps: &[(&[&str], &str)] = &[
        (&["member", "list"], ""),
        (&["--no-sync", "member", "list"], ""),
        (
            &["--no-sync", "member", "add", "x", "http://127.0.0.1:1"],
            "",
        ),
        (&["--no-sync", "member", "remove", "1234"], ""),
        (&["--no-sync", "member", "update", "1234", "http://h:1"], ""),
        (&["cluster-health"], ""),
        (&["--no-sync", "cluster-health"], ""),
        (&["user", "list"], ""),
        (&["--no-sync", "user", "list"], ""),
        (&["--no-sync", "user", "add", "u:p"], ""),
        (&["--no-sync", "role", "list"], ""),
        (&["--no-sync", "role", "get", "r"], ""),
        (&["--no-sync", "auth", "enable"], ""),
        (&["auth", "disable"], ""),
    ];
    let diffs = compare(steps, (&reference, &dead), (&ours, &dead), &|s| {
        s.to_owned()
    });
    assert_no_diffs(&diffs, steps.len());
}

/// The auth walkthrough of the spec, run by each etcdctl on its own fresh
/// reference server (the steps change state).
pub(crate) const AUTH_SESSION: &[(&[&str], &str)] = &[
    (&["auth", "enable"], ""),
    (&["user", "list"], ""),
    (&["role", "list"], ""),
    (&["user", "get", "root"], ""),
    (&["role", "get", "root"], ""),
    (&["role", "get", "guest"], ""),
    (&["user", "add", "root"], "rootpw\n"),
    (&["user", "get", "root"], ""),
    (&["-o", "json", "user", "get", "root"], ""),
    (&["user", "add", "alice:alicepw"], ""),
    (&["user", "add", "bob:bobpw"], ""),
    (&["user", "add", "carol:"], ""),
    (&["user", "add", "dave"], ""),
    (&["user", "add"], ""),
    (&["role", "add", "fooRW"], ""),
    (&["role", "add", "fooRW"], ""),
    (&["role", "add"], ""),
    (&["role", "get", "fooRW"], ""),
    (
        &["role", "grant", "fooRW", "--path", "/foo/*", "--readwrite"],
        "",
    ),
    (&["role", "grant", "fooRW", "--path", "/foo/*", "--rw"], ""),
    (&["role", "grant", "fooRW", "--path", "/ro/*", "--read"], ""),
    (
        &["role", "grant", "fooRW", "--path", "/wo/*", "--write"],
        "",
    ),
    (&["role", "get", "fooRW"], ""),
    (&["role", "grant", "fooRW", "--path", "/x"], ""),
    (&["role", "grant", "fooRW", "--read"], ""),
    (
        &[
            "role", "grant", "fooRW", "--path", "/x", "--read", "--write",
        ],
        "",
    ),
    (&["role", "grant", "nosuch", "--path", "/x", "--read"], ""),
    (
        &["role", "revoke", "fooRW", "--path", "/wo/*", "--write"],
        "",
    ),
    (
        &["role", "revoke", "fooRW", "--path", "/ro/*", "--write"],
        "",
    ),
    (&["role", "get", "fooRW"], ""),
    (&["role", "list"], ""),
    (&["user", "grant", "alice", "--roles", "fooRW"], ""),
    (&["user", "grant", "alice", "--roles", "fooRW"], ""),
    (&["user", "grant", "alice", "--roles", "nosuch"], ""),
    (&["user", "grant", "alice"], ""),
    (&["user", "grant", "nosuchuser", "--roles", "fooRW"], ""),
    (&["user", "get", "alice"], ""),
    (&["user", "revoke", "alice", "--roles", "nosuch"], ""),
    (&["user", "revoke", "alice", "--roles", "nosuch"], ""),
    (&["user", "get", "alice"], ""),
    (&["user", "list"], ""),
    (&["user", "get", "nosuchuser"], ""),
    (&["role", "remove", "nosuch"], ""),
    (&["user", "remove", "nosuchuser"], ""),
    (&["user", "passwd", "bob"], "newpw\n"),
    // A user that does not exist is created, and the command fails with an
    // empty error (exit 1), as the reference's client reports the 201.
    (&["user", "passwd", "nobody"], "pw\n"),
    (&["user", "get", "nobody"], ""),
    (&["user", "remove", "nobody"], ""),
    (&["user", "passwd"], ""),
    (&["--debug", "user", "list"], ""),
    (&["--debug", "role", "add", "r5"], ""),
    (
        &["--debug", "role", "grant", "r5", "--path", "/zz", "--rw"],
        "",
    ),
    (&["--debug", "user", "grant", "bob", "--roles", "r5"], ""),
    (&["user", "get", "bob"], ""),
    (&["auth", "enable"], ""),
    (&["auth", "enable"], ""),
    (&["role", "get", "guest"], ""),
    (&["user", "list"], ""),
    (&["role", "list"], ""),
    (&["-u", "root:rootpw", "user", "list"], ""),
    (&["-u", "root:wrong", "user", "list"], ""),
    (&["-u", "root:wrong", "role", "list"], ""),
    (&["-u", "root:rootpw", "role", "list"], ""),
    (&["-u", "root:rootpw", "role", "get", "guest"], ""),
    (
        &[
            "-u",
            "root:rootpw",
            "role",
            "revoke",
            "guest",
            "--path",
            "/*",
            "--rw",
        ],
        "",
    ),
    (&["-u", "root:rootpw", "role", "get", "guest"], ""),
    (&["get", "/foo/a"], ""),
    (&["-u", "alice:alicepw", "set", "/foo/a", "x"], ""),
    (&["-u", "alice:alicepw", "get", "/foo/a"], ""),
    (&["-u", "alice:wrong", "get", "/foo/a"], ""),
    (&["-u", "alice:alicepw", "user", "list"], ""),
    (&["-u", "alice:alicepw", "member", "list"], ""),
    (&["-u", "alice:alicepw", "cluster-health"], ""),
    (&["user", "add", "frank:fpw"], ""),
    (&["-u", "root:rootpw", "user", "add", "frank:fpw"], ""),
    (&["-u", "root:rootpw", "user", "remove", "root"], ""),
    (&["-u", "root:rootpw", "role", "remove", "root"], ""),
    (&["-u", "root:rootpw", "role", "remove", "guest"], ""),
    (&["-u", "alice:alicepw", "auth", "disable"], ""),
    (&["--debug", "auth", "disable"], ""),
    (&["-u", "root:rootpw", "auth", "disable"], ""),
    (&["-u", "root:rootpw", "auth", "disable"], ""),
    (&["user", "remove", "bob"], ""),
    (&["role", "remove", "fooRW"], ""),
    (&["user", "get", "alice"], ""),
];

/// Runs [`AUTH_SESSION`] with the reference etcdctl against `reference`
/// and with `other`'s etcdctl against its server, each on a fresh server,
/// and returns the differences once ports and member ids are masked.
pub(crate) fn auth_session_diffs(
    reference: (&Path, &Server),
    other: (&Path, &Server),
) -> Vec<String> {
    let (a, b) = (reference.1, other.1);
    let ports = [
        (a.client_port, "CLIENT"),
        (b.client_port, "CLIENT"),
        (a.peer_port, "PEER"),
        (b.peer_port, "PEER"),
    ];
    let normalise = move |s: &str| {
        let mut s = s.to_owned();
        for (port, name) in ports {
            s = s.replace(&format!("127.0.0.1:{port}"), name);
        }
        mask_ids(&s)
    };
    compare(
        AUTH_SESSION,
        (reference.0, &a.url()),
        (other.0, &b.url()),
        &normalise,
    )
}

#[test]
fn auth_session_matches_the_reference() {
    let ours_ctl = workspace_bin("etcdctl");
    let Some((etcd, ref_ctl)) = reference_tools("auth_session") else {
        return;
    };
    let a = Server::start_with(etcd.clone(), &[]);
    let b = Server::start_with(etcd, &[]);
    let diffs = auth_session_diffs((&ref_ctl, &a), (&ours_ctl, &b));
    assert_no_diffs(&diffs, AUTH_SESSION.len());
    // The session did what it says (guards against both sides failing alike).
    let users = ctl(&ours_ctl, &b.url(), &["user", "list"], "");
    assert_eq!(users.stdout, "alice\nfrank\nroot\n");
    let alice = ctl(&ours_ctl, &b.url(), &["user", "get", "alice"], "");
    assert_eq!(alice.stderr, "auth: Role fooRW does not exist.\n");
}

#[test]
fn cluster_health_forever_repeats_until_sigint() {
    let ours = workspace_bin("etcdctl");
    let server = Server::start();
    let mut bins = vec![ours];
    bins.extend(reference_ctl());
    let mut runs = Vec::new();
    for bin in &bins {
        let mut child = spawn_ctl(bin, &server.url(), &["cluster-health", "--forever"], b"");
        let out = collect(child.stdout.take().expect("stdout"));
        let err = collect(child.stderr.take().expect("stderr"));
        let start = Instant::now();
        while !text(&out).ends_with("next check after 10 second...\n\n") {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{}: no first round: {:?}",
                bin.display(),
                text(&out)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let code = wait(
            &mut child,
            Duration::from_secs(10),
            "cluster-health --forever",
        );
        std::thread::sleep(Duration::from_millis(20));
        runs.push((code, text(&out), text(&err)));
    }
    let (code, stdout, stderr) = &runs[0];
    assert_eq!(*code, Some(0));
    assert!(stderr.is_empty(), "{stderr}");
    let id_line = stdout.lines().next().unwrap_or_default();
    assert!(
        id_line.starts_with("member ") && id_line.ends_with(&server.url()),
        "{stdout}"
    );
    assert_eq!(
        &stdout[id_line.len()..],
        "\ncluster is healthy\n\nnext check after 10 second...\n\n"
    );
    if let Some(reference) = runs.get(1) {
        assert_eq!(&runs[0], reference, "ours vs the reference etcdctl");
    }
}
