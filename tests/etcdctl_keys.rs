//! Our etcdctl against our server, in lockstep with the reference etcdctl
//! against the reference server: every key command in all three output modes,
//! with stdin values, flag errors and unreachable endpoints. Both servers start
//! fresh, so even the indexes must agree; only times and TTLs are normalised.

use crate::util::{reference_etcd, workspace_bin, Server};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// One step: arguments after `--endpoints <url>`, and stdin.
type Step = (&'static [&'static str], &'static str);

const STEPS: &[Step] = &[
    (&["set", "/ctl/a", "hello"], ""),
    (&["set", "/ctl/a", "world"], ""),
    (&["-o", "extended", "set", "/ctl/b", "foo"], ""),
    (&["-o", "extended", "set", "/ctl/b", "foo2"], ""),
    (&["-o", "json", "set", "/ctl/c", "v"], ""),
    (&["-o", "json", "set", "/ctl/c", "<&>"], ""),
    (&["set", "--ttl", "100", "/ctl/ttl", "v"], ""),
    (&["-o", "json", "get", "/ctl/ttl"], ""),
    (&["-o", "extended", "get", "/ctl/ttl"], ""),
    (&["get", "/ctl/a"], ""),
    (&["-o", "extended", "get", "/ctl/a"], ""),
    (&["-o", "json", "get", "/ctl/a"], ""),
    (&["get", "/ctl"], ""),
    (&["-o", "json", "get", "/ctl"], ""),
    (&["get", "/ctl/missing"], ""),
    (&["-o", "json", "get", "/ctl/missing"], ""),
    (&["mk", "/ctl/a", "x"], ""),
    (&["mk", "/ctl/new", "v"], ""),
    (&["-o", "json", "mk", "/ctl/new2", "v"], ""),
    (
        &["-o", "extended", "mk", "--ttl", "60", "/ctl/new3", "v"],
        "",
    ),
    (&["mk", "--in-order", "/ctl/q", "v1"], ""),
    (&["-o", "extended", "mk", "--in-order", "/ctl/q", "v2"], ""),
    (&["mkdir", "/ctl/d"], ""),
    (&["-o", "json", "mkdir", "/ctl/d2"], ""),
    (&["mkdir", "/ctl/d"], ""),
    (&["setdir", "/ctl/d"], ""),
    (&["-o", "extended", "setdir", "/ctl/d3"], ""),
    (&["updatedir", "--ttl", "50", "/ctl/d3"], ""),
    (&["-o", "json", "updatedir", "/ctl/d3"], ""),
    (&["updatedir", "/ctl/nodir"], ""),
    (&["update", "/ctl/a", "u"], ""),
    (&["update", "/ctl/zz", "u"], ""),
    (&["-o", "extended", "update", "/ctl/a", "u2"], ""),
    (&["set", "/ctl/a", "v", "--swap-with-value", "wrong"], ""),
    (
        &[
            "-o",
            "json",
            "set",
            "/ctl/a",
            "v",
            "--swap-with-value",
            "u2",
        ],
        "",
    ),
    (&["set", "--swap-with-index", "1", "/ctl/a", "v"], ""),
    (&["set", "--swap-with-index", "0", "/ctl/a", "v0"], ""),
    (&["set", "--ttl", "-5", "/ctl/neg", "v"], ""),
    (&["ls", "--sort", "/ctl"], ""),
    (&["ls", "--sort", "-r", "-p", "/ctl"], ""),
    (&["ls", "/ctl/a"], ""),
    (&["-o", "json", "ls", "--sort", "/ctl/q"], ""),
    (&["-o", "extended", "ls", "--sort", "/ctl/d"], ""),
    (&["ls", "/nothere"], ""),
    (&["rm", "/ctl/a"], ""),
    (&["-o", "extended", "rm", "/ctl/b"], ""),
    (&["-o", "json", "rm", "/ctl/c"], ""),
    (&["rm", "/ctl/d"], ""),
    (&["rm", "--dir", "/ctl/d"], ""),
    (&["-o", "json", "rm", "-r", "/ctl/q"], ""),
    (&["rm", "--with-value", "nope", "/ctl/new"], ""),
    (&["rm", "--with-index", "1", "/ctl/new"], ""),
    (
        &["-o", "extended", "rm", "--with-value", "v", "/ctl/new"],
        "",
    ),
    (&["rmdir", "/ctl/d2"], ""),
    (&["rmdir", "/ctl/new2"], ""),
    (&["rmdir", "/nothere"], ""),
    (&["rm", "/ctl/d3"], ""),
    (&["get"], ""),
    (&["set", "/k"], ""),
    (&["mk"], ""),
    (&["set", "--", "/ctl/dash", "-dashvalue"], ""),
    (&["set", "/ctl/dash2", "--", "-dash"], ""),
    (&["get", "/ctl/dash", "--quorum"], ""),
    (&["set", "/ctl/e", "v", "--ttl", "50", "extra"], ""),
    (&["set", "ctl/noslash", "x"], ""),
    (&["-o", "yaml", "get", "/ctl/e"], ""),
    (&["-o=json", "get", "/ctl/noslash"], ""),
    (&["--output=extended", "get", "/ctl/dash2"], ""),
    (&["set", "/stdin/a"], "fromstdin\n"),
    (&["-o", "json", "get", "/stdin/a"], ""),
    (&["set", "/stdin/b"], "noeol"),
    (&["set", "/stdin/c"], ""),
    (&["mk", "/stdin/d"], "mkval\n"),
    (&["update", "/stdin/d"], "upd\n"),
    (&["mk", "--in-order", "/stdin/q"], "q\n"),
    (&["set", "/ctl/a", "v", "--ttl", "abc"], ""),
    (&["get", "--bogus", "/x"], ""),
    (&["--bogus", "get", "/x"], ""),
    (&["set", "/ctl/a", "v", "--swap-with-index"], ""),
    (&["get", "-h"], ""),
    (&["rmdir", "--help"], ""),
    (&["--debug", "set", "/dbg/k", "v"], ""),
    (&["--debug", "get", "--quorum", "--sort", "/dbg/k"], ""),
    (&["--debug", "ls", "-r", "--sort", "/dbg"], ""),
    (&["--debug", "mk", "--in-order", "/dbg/q", "v"], ""),
    (
        &[
            "--debug",
            "set",
            "--ttl",
            "10",
            "--swap-with-value",
            "v",
            "/dbg/k",
            "v2",
        ],
        "",
    ),
    (&["--debug", "update", "/dbg/k", "v3"], ""),
    (&["--debug", "mkdir", "/dbg/d"], ""),
    (&["--debug", "setdir", "/dbg/d2"], ""),
    (&["--debug", "updatedir", "--ttl", "5", "/dbg/d2"], ""),
    (&["--debug", "rm", "--with-value", "v3", "/dbg/k"], ""),
    (&["--debug", "rm", "-r", "/dbg"], ""),
    (
        &["--debug", "--no-sync", "set", "/dbg/sp ace", "a b&c=d"],
        "",
    ),
    (&["--debug", "--no-sync", "get", "/dbg/none"], ""),
    // Only the command's own flags are moved before the positional
    // arguments; anything else that starts with `-` stays one of them.
    (&["set", "/ctl/dash3", "-dash"], ""),
    (&["get", "/ctl/dash3", "-x", "y"], ""),
    (&["set", "/ctl/f", "v", "--bogus"], ""),
    (&["mk", "/ctl/m", "-v"], ""),
    (&["update", "/ctl/m", "-w", "--ttl", "0x_10"], ""),
    (&["get", "/ctl/m", "--sort", "-x"], ""),
    (&["rm", "/ctl/m", "--nope"], ""),
    (&["rmdir", "/ctl/nodir", "--bogus"], ""),
    (&["set", "/ctl/g", "v", "--ttl", "--", "x"], ""),
    // Go's underscores in numbers.
    (
        &[
            "--debug",
            "--no-sync",
            "set",
            "--ttl",
            "1_000",
            "/dbg/u",
            "v",
        ],
        "",
    ),
    (&["set", "--ttl", "1__0", "/ctl/u", "v"], ""),
    // TTLs past a Go duration's range wrap as the reference's do.
    (
        &[
            "--debug",
            "--no-sync",
            "set",
            "--ttl",
            "20000000000",
            "/dbg/big",
            "v",
        ],
        "",
    ),
    (
        &[
            "--debug",
            "--no-sync",
            "set",
            "--ttl",
            "9223372037",
            "/dbg/big2",
            "v",
        ],
        "",
    ),
    // A genuine U+FFFD is printed raw; `<` is escaped as Go does.
    (&["-o", "json", "set", "/ctl/repl"], "\u{FFFD}<x\n"),
];

/// Replaces the volatile parts: the endpoint, expiration times and TTLs.
fn normalise(text: &str, url: &str) -> String {
    let text = text.replace(url, "$E");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("\"expiration\":\"") {
            let end = r.find('"').unwrap_or(r.len());
            out.push_str("\"expiration\":\"T\"");
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        for prefix in ["\"ttl\":", "TTL: "] {
            if let Some(r) = rest.strip_prefix(prefix) {
                let digits = r.len() - r.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                if digits > 0 && !r.starts_with('0') {
                    out.push_str(prefix);
                    out.push('N');
                    rest = &r[digits..];
                }
            }
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Runs one etcdctl and returns `stdout`, `stderr` and the exit code, normalised.
fn run(bin: &Path, url: &str, args: &[&str], stdin: &str) -> (String, String, i32) {
    let mut child = Command::new(bin)
        .env("ETCDCTL_API", "2")
        .env_remove("ETCDCTL_ENDPOINTS")
        .env_remove("ETCDCTL_ENDPOINT")
        .env_remove("ETCDCTL_PEERS")
        .arg("--endpoints")
        .arg(url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    // A command that hangs is killed (and then shows exit code -1).
    let (done, watchdog) = std::sync::mpsc::channel::<()>();
    let pid = child.id().to_string();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            watchdog.recv_timeout(std::time::Duration::from_secs(30))
        {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    });
    let out = child.wait_with_output().expect("wait");
    drop(done);
    (
        normalise(&String::from_utf8_lossy(&out.stdout), url),
        normalise(&String::from_utf8_lossy(&out.stderr), url),
        out.status.code().unwrap_or(-1),
    )
}

/// Our help lists two commands the reference does not have (`export` and
/// `import`, see DIFFERENCES.md); everything else must be the same.
fn without_extensions(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|l| !l.starts_with("   export ") && !l.starts_with("   import "))
        .collect()
}

#[test]
fn every_key_command_answers_like_the_reference() {
    let Some(reference) = reference_etcd() else {
        eprintln!("skipped: the reference etcd is not installed");
        return;
    };
    let ours = Server::start();
    let theirs = Server::start_with(reference, &[]);
    let our_ctl = workspace_bin("etcdctl");
    let mut mismatches = Vec::new();
    for (args, stdin) in STEPS {
        let expected = run(Path::new("etcdctl"), &theirs.url(), args, stdin);
        let (out, err, code) = run(&our_ctl, &ours.url(), args, stdin);
        let got = (without_extensions(&out), without_extensions(&err), code);
        if expected != got {
            mismatches.push(format!(
                "etcdctl {}\n  reference: {expected:?}\n  ours:      {got:?}",
                args.join(" ")
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} commands differ:\n{}",
        mismatches.len(),
        STEPS.len(),
        mismatches.join("\n")
    );
}

/// Every endpoint down: the same messages and exit codes, with and without sync,
/// for commands that fail over and those that are sent once.
#[test]
fn unreachable_endpoints_report_like_the_reference() {
    if reference_etcd().is_none() {
        eprintln!("skipped: the reference etcdctl is not installed");
        return;
    }
    let our_ctl = workspace_bin("etcdctl");
    let dead = format!("http://127.0.0.1:{}", crate::util::free_port());
    let cases: &[&[&str]] = &[
        &["get", "/x"],
        &["--no-sync", "get", "/x"],
        &["--no-sync", "set", "/x", "v"],
        &["--no-sync", "mk", "/x", "v"],
        &["--no-sync", "mkdir", "/x"],
        &["--no-sync", "rm", "/x"],
        &["--no-sync", "rmdir", "/x"],
        &["--no-sync", "mk", "--in-order", "/x", "v"],
        &["ls"],
        &["get"],
        // Watches that would ride out a lost connection still fail at once
        // when no endpoint answers their first poll.
        &["--no-sync", "watch", "/x"],
        &["--no-sync", "watch", "--forever", "/x"],
        &["--no-sync", "exec-watch", "true", "/x"],
        &["--no-sync", "exec-watch", "-r", "/x", "--", "true"],
    ];
    for args in cases {
        assert_same_as_reference(&our_ctl, &dead, args);
    }
    // An endpoint without a scheme is refused before anything is sent.
    assert_same_as_reference(&our_ctl, "127.0.0.1:42370", &["get", "/x"]);
}

/// Runs both etcdctls with `--endpoints endpoints` and `args`; their
/// stdout, stderr and exit codes must agree.
fn assert_same_as_reference(our_ctl: &Path, endpoints: &str, args: &[&str]) {
    let expected = run(Path::new("etcdctl"), endpoints, args, "");
    let got = run(our_ctl, endpoints, args, "");
    assert_eq!(
        expected,
        got,
        "etcdctl --endpoints {endpoints:?} {}",
        args.join(" ")
    );
}

/// Against a reference server:
/// - empty items in the endpoint list (`URL,`, `,`) and `http://` become
///   endpoints without a host, skipped with Go's `no Host` error, which a
///   sync ignores rather than calling it a connection failure (exit 4, not 2);
/// - a total timeout too short for any request (`0s`, `1ns`) fails the sync
///   (exit 2) or the request (exit 4) with `context deadline exceeded`.
#[test]
fn odd_endpoints_and_deadlines_fail_like_the_reference() {
    let Some(reference) = reference_etcd() else {
        eprintln!("skipped: the reference etcd is not installed");
        return;
    };
    let server = Server::start_with(reference, &[]);
    let our_ctl = workspace_bin("etcdctl");
    let url = server.url();
    let lists = [
        format!("{url},"),
        format!(",{url}"),
        ",".into(),
        "http://".into(),
    ];
    for list in &lists {
        for args in [
            &["get", "/nothere"][..],
            &["--no-sync", "get", "/nothere"],
            &["member", "list"],
        ] {
            assert_same_as_reference(&our_ctl, list, args);
        }
    }
    for args in [
        &["--total-timeout", "0s", "get", "/nothere"][..],
        &["--total-timeout", "0s", "--no-sync", "get", "/nothere"],
        &["--total-timeout", "1ns", "member", "list"],
        &["--total-timeout", "1ns", "--no-sync", "set", "/k", "v"],
    ] {
        assert_same_as_reference(&our_ctl, &url, args);
    }
}

/// The in-process entry point: help and usage errors need no server.
#[test]
fn in_process_run_prints_help_and_usage_errors() {
    let run_in = |args: &[&str]| {
        let (io, out, err) = etcdctl::Io::captured("");
        let mut argv = vec!["etcdctl".to_owned()];
        argv.extend(args.iter().map(|s| s.to_string()));
        let code = etcdctl::run(argv, &|_| None, io);
        (out.text(), err.text(), code)
    };
    let (out, err, code) = run_in(&["--version"]);
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("etcdctl version: 3.4.23\nAPI version: 2\n", "", 0)
    );
    let (out, _, code) = run_in(&[]);
    assert!(out.starts_with("NAME:\n   etcdctl - A simple command line client for etcd.\n"));
    assert_eq!(code, 0);
    let (out, err, code) = run_in(&["bogus"]);
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("", "No help topic for 'bogus'\n", 3)
    );
    let (out, err, code) = run_in(&["get", "--ttl", "5"]);
    assert!(out.starts_with("Incorrect Usage: flag provided but not defined: -ttl\n\nNAME:\n   etcdctl get - retrieve the value of a key\n"));
    assert_eq!(
        (err.as_str(), code),
        ("flag provided but not defined: -ttl\n", 1)
    );
}
