//! The flag parser's cases (Go flag-package semantics).

use super::*;

fn run(args: &[&str]) -> (Result<ParseEnd, String>, Vec<(String, String)>) {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let mut seen = Vec::new();
    let r = parse(&args, lookup, |n, v| {
        if n == "heartbeat-interval" {
            parse_uint(v)?;
        }
        if n == "enable-v2" {
            parse_bool(v)?;
        }
        seen.push((n.to_owned(), v.to_owned()));
        Ok(())
    });
    (r, seen)
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn flags_table_is_sorted_and_disjoint() {
    assert!(FLAGS.windows(2).all(|w| w[0].name < w[1].name));
    for f in FLAGS {
        assert!(!REFERENCE_ONLY_FLAGS.contains(&f.name));
        assert!(!IGNORED_FLAGS.contains(&f.name));
    }
}

#[test]
fn flags_dash_forms() {
    let (r, seen) = run(&["-name", "a", "--data-dir=d", "-wal-dir=w", "--name", "b"]);
    assert_eq!(r, Ok(ParseEnd::Done { positional: vec![] }));
    assert_eq!(
        seen,
        pairs(&[
            ("name", "a"),
            ("data-dir", "d"),
            ("wal-dir", "w"),
            ("name", "b")
        ])
    );
}

#[test]
fn flags_value_may_look_like_a_flag() {
    let (r, seen) = run(&["--name", "--data-dir", "x"]);
    assert_eq!(
        r,
        Ok(ParseEnd::Done {
            positional: vec!["x".into()]
        })
    );
    assert_eq!(seen, pairs(&[("name", "--data-dir")]));
    let (_, seen) = run(&["--name=a=b", "--name="]);
    assert_eq!(seen, pairs(&[("name", "a=b"), ("name", "")]));
}

#[test]
fn flags_booleans() {
    let (_, seen) = run(&["--enable-v2", "-enable-v2=false", "--force-new-cluster=T"]);
    assert_eq!(
        seen,
        pairs(&[
            ("enable-v2", "true"),
            ("enable-v2", "false"),
            ("force-new-cluster", "T")
        ])
    );
    // A boolean never takes the next argument: it becomes positional.
    let (r, _) = run(&["--enable-v2", "false"]);
    assert_eq!(
        r,
        Ok(ParseEnd::Done {
            positional: vec!["false".into()]
        })
    );
    let (r, _) = run(&["--enable-v2=maybe"]);
    assert_eq!(
        r,
        Err("invalid boolean value \"maybe\" for -enable-v2: parse error".into())
    );
}

#[test]
fn flags_errors() {
    assert_eq!(
        run(&["--bogus"]).0,
        Err("flag provided but not defined: -bogus".into())
    );
    assert_eq!(
        run(&["-bogus=1"]).0,
        Err("flag provided but not defined: -bogus".into())
    );
    assert_eq!(
        run(&["---name", "x"]).0,
        Err("bad flag syntax: ---name".into())
    );
    assert_eq!(run(&["-=x"]).0, Err("bad flag syntax: -=x".into()));
    assert_eq!(
        run(&["--name"]).0,
        Err("flag needs an argument: -name".into())
    );
    assert_eq!(
        run(&["--heartbeat-interval", "abc"]).0,
        Err("invalid value \"abc\" for flag -heartbeat-interval: parse error".into())
    );
    assert_eq!(
        run(&["--auto-tls"]).0,
        Err("flag provided but not supported by etcd-server: -auto-tls".into())
    );
}

#[test]
fn flags_terminators_and_help() {
    let (r, seen) = run(&["--name", "a", "--", "--name", "b"]);
    assert_eq!(
        r,
        Ok(ParseEnd::Done {
            positional: vec!["--name".into(), "b".into()]
        })
    );
    assert_eq!(seen.len(), 1);
    let (r, _) = run(&["-", "--name", "b"]);
    assert_eq!(
        r,
        Ok(ParseEnd::Done {
            positional: vec!["-".into(), "--name".into(), "b".into()]
        })
    );
    for h in ["-h", "--h", "-help", "--help", "-h=false", "--help=x"] {
        assert_eq!(run(&[h, "--bogus"]).0, Ok(ParseEnd::Help), "{h}");
    }
    // An error before -h wins.
    assert!(run(&["--bogus", "-h"]).0.is_err());
    // Obsolete flags are booleans.
    let (r, seen) = run(&["--v", "-config=x"]);
    assert_eq!(r, Ok(ParseEnd::Done { positional: vec![] }));
    assert_eq!(seen, pairs(&[("v", "true"), ("config", "x")]));
}

#[test]
fn flags_parse_uint_like_go() {
    assert_eq!(parse_uint("100"), Ok(100));
    assert_eq!(parse_uint("0"), Ok(0));
    assert_eq!(parse_uint("0x10"), Ok(16));
    assert_eq!(parse_uint("0X1f"), Ok(31));
    assert_eq!(parse_uint("0b101"), Ok(5));
    assert_eq!(parse_uint("0o17"), Ok(15));
    assert_eq!(parse_uint("017"), Ok(15));
    assert_eq!(parse_uint("1_000"), Ok(1000));
    assert_eq!(parse_uint("0x_1F"), Ok(31));
    assert_eq!(parse_uint("18446744073709551615"), Ok(u64::MAX));
    for bad in [
        "", "-1", "+1", "1e3", "08", "0x", "abc", "1__0", "_1", "1_", " 1",
    ] {
        assert_eq!(parse_uint(bad), Err("parse error".into()), "{bad:?}");
    }
    assert_eq!(
        parse_uint("18446744073709551616"),
        Err("value out of range".into())
    );
    assert_eq!(
        parse_uint("99999999999999999999"),
        Err("value out of range".into())
    );
}

#[test]
fn flags_parse_bool_like_go() {
    for t in ["1", "t", "T", "TRUE", "true", "True"] {
        assert_eq!(parse_bool(t), Ok(true));
    }
    for f in ["0", "f", "F", "FALSE", "false", "False"] {
        assert_eq!(parse_bool(f), Ok(false));
    }
    for bad in ["", "yes", "tRUE", "2"] {
        assert!(parse_bool(bad).is_err());
    }
}

#[test]
fn flags_go_quote() {
    assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
}

#[test]
fn flags_env_names() {
    assert_eq!(
        flag_to_env("initial-cluster-state"),
        "ETCD_INITIAL_CLUSTER_STATE"
    );
    assert_eq!(flag_to_env("name"), "ETCD_NAME");
}

#[test]
fn flags_help_texts() {
    let u = usage();
    assert!(u.starts_with("Usage:\n\n  etcd-server [flags]\n"));
    assert!(u.ends_with("will be ignored.\n\n"));
    let h = flags_help();
    assert!(h.starts_with("\nMember:\n  --name 'default'\n"));
    assert!(h.ends_with("consensus protocol!\n\n"));
    for f in FLAGS {
        if f.name != "version" && f.name != "config-file" {
            assert!(h.contains(&format!("  --{} ", f.name)), "{}", f.name);
        }
    }
    let v = version();
    assert!(v.starts_with("etcd Version: 3.4.23\nGit SHA: "));
    assert!(v.contains("\nGo Version: n/a (Rust)\nGo OS/Arch: "));
    assert_eq!(v.lines().count(), 4);
}
