//! Tests of the argument parser.

use super::*;

fn p(args: &[&str]) -> Result<Parsed, String> {
    parse(args.iter().map(|s| s.to_string()))
}

fn run(args: &[&str]) -> Args {
    match p(args) {
        Ok(Parsed::Run(a)) => *a,
        other => panic!("{args:?} gave {other:?}"),
    }
}

fn err(args: &[&str]) -> String {
    match p(args) {
        Err(e) => e,
        other => panic!("{args:?} should fail, gave {other:?}"),
    }
}

#[test]
fn defaults() {
    let a = run(&["--endpoint", "http://127.0.0.1:2379"]);
    assert_eq!(
        a.targets,
        vec![Target {
            label: "127.0.0.1:2379".into(),
            base: "http://127.0.0.1:2379".into()
        }]
    );
    assert_eq!(a.connections, vec![1, 64]);
    assert_eq!(a.stop, Stop::Duration(Duration::from_secs(5)));
    assert_eq!(a.value_size, 256);
    assert_eq!(a.keys, 10_000);
    assert_eq!(a.workloads, Workload::ALL.to_vec());
    assert_eq!(a.prefix, "/bench");
    assert!(!a.json);
    assert_eq!(a.timeout, Duration::from_secs(5));
    // 4 workloads x 2 connection counts x 1 target x 5 s x 2 + 60 s.
    assert_eq!(a.max_runtime, Duration::from_secs(140));
    assert_eq!(a.threads, None);
    assert_eq!(a.rounds, 1);
    assert_eq!(a.user, None);
}

#[test]
fn everything() {
    let a = run(&[
        "--endpoint=http://localhost:2379/",
        "--endpoint2",
        "http://[::1]:23790",
        "--label1",
        "rs",
        "--label2=go",
        "--connections",
        "64, 1,64",
        "--requests",
        "1000",
        "--value-size",
        "0",
        "--keys=5",
        "--workloads",
        "mix,read",
        "--prefix",
        "/x/y-z/",
        "--timeout",
        "250ms",
        "--max-runtime",
        "2m",
        "--threads",
        "2",
        "--user",
        "bench:pw:with:colons",
        "--json",
    ]);
    assert_eq!(a.targets[0].label, "rs");
    assert_eq!(a.targets[0].base, "http://localhost:2379");
    assert_eq!(a.targets[1].label, "go");
    assert_eq!(a.targets[1].base, "http://[::1]:23790");
    assert_eq!(a.connections, vec![64, 1]);
    assert_eq!(a.stop, Stop::Requests(1000));
    assert_eq!(a.value_size, 0);
    assert_eq!(a.keys, 5);
    assert_eq!(a.workloads, vec![Workload::Mix, Workload::Read]);
    assert_eq!(a.prefix, "/x/y-z");
    assert_eq!(a.timeout, Duration::from_millis(250));
    assert_eq!(a.max_runtime, Duration::from_secs(120));
    assert_eq!(a.threads, Some(2));
    assert_eq!(a.user.as_deref(), Some("bench:pw:with:colons"));
    assert!(a.json);
}

#[test]
fn two_endpoints_default_labels() {
    let a = run(&[
        "--endpoint",
        "http://127.0.0.1:1",
        "--endpoint2",
        "http://127.0.0.2:2",
    ]);
    assert_eq!(a.targets[0].label, "ours");
    assert_eq!(a.targets[1].label, "reference");
}

#[test]
fn help() {
    assert_eq!(p(&["--endpoint", "x", "--help"]), Ok(Parsed::Help));
    assert_eq!(p(&["-h"]), Ok(Parsed::Help));
}

#[test]
fn errors() {
    assert!(err(&[]).contains("--endpoint is required"));
    assert!(err(&["--endpoint"]).contains("needs a value"));
    assert!(err(&["--endpoint", "--json"]).contains("needs a value"));
    assert!(err(&["--endpoint", "http://10.0.0.1:2379"]).contains("loopback"));
    assert!(err(&["--bogus"]).contains("unknown option `--bogus`"));
    assert!(err(&["positional"]).contains("unexpected argument"));
    let ep = ["--endpoint", "http://127.0.0.1:2379"];
    let with = |extra: &[&str]| {
        let mut v = ep.to_vec();
        v.extend_from_slice(extra);
        err(&v)
    };
    assert!(with(&["--endpoint", "http://127.0.0.1:1"]).contains("given twice"));
    assert!(with(&["--json", "--json"]).contains("given twice"));
    assert!(with(&["--json=yes"]).contains("takes no value"));
    assert!(with(&["--duration", "1s", "--requests", "5"]).contains("exclude"));
    assert!(with(&["--duration", "fast"]).contains("--duration"));
    assert!(with(&["--duration", "0s"]).contains("more than 0"));
    assert!(with(&["--duration", "2h"]).contains("at most 1h"));
    assert!(with(&["--requests", "0"]).contains("at least 1"));
    assert!(with(&["--requests", "-3"]).contains("not a non-negative integer"));
    assert!(with(&["--connections", "0"]).contains("outside"));
    assert!(with(&["--connections", "1,,2"]).contains("empty entry"));
    assert!(with(&["--connections", "5000"]).contains("outside"));
    assert!(with(&["--keys", "0"]).contains("--keys"));
    assert!(with(&["--value-size", "2000000"]).contains("--value-size"));
    assert!(with(&["--workloads", "write,delete"]).contains("unknown workload `delete`"));
    assert!(with(&["--prefix", "bench"]).contains("--prefix"));
    assert!(with(&["--prefix", "/"]).contains("--prefix"));
    assert!(with(&["--prefix", "/a b"]).contains("--prefix"));
    assert!(with(&["--prefix", "/a?b"]).contains("--prefix"));
    assert!(with(&["--label2", "x"]).contains("needs --endpoint2"));
    assert!(with(&["--label1", "a b"]).contains("without spaces"));
    assert!(with(&["--threads", "0"]).contains("--threads"));
    assert!(with(&["--user", "nocolon"]).contains("USER:PASSWORD"));
    assert!(with(&[
        "--endpoint2",
        "http://127.0.0.1:1",
        "--label1",
        "same",
        "--label2",
        "same"
    ])
    .contains("both"));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
    assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
    for bad in [
        "", "s", "-1s", "1e3s", "1x", "0.0001ms", "25h", "inf", "NaNs",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn default_cap_scales_with_plan() {
    let two = [
        "--endpoint",
        "http://127.0.0.1:1",
        "--endpoint2",
        "http://127.0.0.1:2",
    ];
    let a = run(&[&two[..], &["--duration", "3s"]].concat());
    // 16 cells x 3 s x 2 + 60 s.
    assert_eq!(a.max_runtime, Duration::from_secs(156));
    let a = run(&["--endpoint", "http://127.0.0.1:1", "--requests", "10"]);
    assert_eq!(a.max_runtime, Duration::from_secs(600));
    // Rounds multiply the cells: 1 x 1 x 2 targets x 12 rounds x 2 s x 2 + 60 s.
    let one_cell = ["--workloads", "write", "--connections", "64"];
    let a = run(&[&two[..], &one_cell, &["--duration", "2s", "--rounds", "12"]].concat());
    assert_eq!(a.rounds, 12);
    assert_eq!(a.max_runtime, Duration::from_secs(156));
}

#[test]
fn rounds_are_counted_from_one() {
    for bad in ["0", "1001", "x", "-1"] {
        let e = err(&["--endpoint", "http://127.0.0.1:1", "--rounds", bad]);
        assert!(e.starts_with("--rounds"), "{bad}: {e}");
    }
}
