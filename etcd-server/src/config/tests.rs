//! Every case here was checked against etcd 3.4.23 (messages and exit codes).

use std::path::PathBuf;
use std::time::Duration;

use super::*;

const BASE: &[&str] = &[
    "--data-dir",
    "d",
    "--listen-client-urls",
    "http://127.0.0.1:23810",
    "--advertise-client-urls",
    "http://127.0.0.1:23810",
    "--listen-peer-urls",
    "http://127.0.0.1:23811",
    "--initial-advertise-peer-urls",
    "http://127.0.0.1:23811",
    "--initial-cluster",
    "default=http://127.0.0.1:23811",
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Result<Outcome, ConfigError> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    from_args(strings(args), env)
}

fn run(args: &[&str]) -> Result<Outcome, ConfigError> {
    run_env(args, &[])
}

fn config(args: &[&str]) -> Config {
    config_env(args, &[])
}

fn config_env(args: &[&str], env: &[(&str, &str)]) -> Config {
    match run_env(args, env) {
        Ok(Outcome::Run(c)) => c,
        other => panic!("{args:?}: {other:?}"),
    }
}

fn with_base(extra: &[&str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = BASE.to_vec();
    for e in extra {
        v.push(Box::leak(e.to_string().into_boxed_str()));
    }
    v
}

fn err(args: &[&str]) -> ConfigError {
    err_env(args, &[])
}

fn err_env(args: &[&str], env: &[(&str, &str)]) -> ConfigError {
    match run_env(args, env) {
        Err(e) => e,
        other => panic!("{args:?}: expected an error, got {other:?}"),
    }
}

/// A usage error: the Go message, then the usage text; exit 2.
fn assert_usage(e: &ConfigError, message: &str) {
    assert_eq!(e.exit_code, 2, "{e}");
    assert_eq!(
        e.output.last(),
        Some(&Output::Text(format!("{message}\n{}", flags::usage())))
    );
}

/// An `error verifying flags` line; exit 1.
fn assert_verifying(e: &ConfigError, message: &str) {
    assert_eq!(e.exit_code, 1, "{e}");
    assert_eq!(
        e.message(),
        format!("E | etcdmain: error verifying flags, {message}. See 'etcd --help'.")
    );
}

fn urls(v: &[Url]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

fn temp_yaml(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("etcd.yml");
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap().to_owned();
    (dir, p)
}

#[test]
fn config_defaults() {
    let c = config(&[]);
    assert_eq!(c.name, "default");
    assert_eq!(c.data_dir, PathBuf::from("default.etcd"));
    assert_eq!(c.wal_dir, None);
    assert_eq!(c.wal_path(), PathBuf::from("default.etcd/member/wal"));
    assert_eq!(c.snap_dir(), PathBuf::from("default.etcd/member/snap"));
    assert_eq!(urls(&c.listen_client_urls), ["http://localhost:2379"]);
    assert_eq!(urls(&c.advertise_client_urls), ["http://localhost:2379"]);
    assert_eq!(urls(&c.listen_peer_urls), ["http://localhost:2380"]);
    assert_eq!(
        urls(&c.initial_advertise_peer_urls),
        ["http://localhost:2380"]
    );
    assert_eq!(
        c.initial_cluster,
        vec![(
            "default".to_owned(),
            vec!["http://localhost:2380".to_owned()]
        )]
    );
    assert_eq!(c.initial_cluster_string(), "default=http://localhost:2380");
    assert_eq!(c.initial_cluster_state, ClusterState::New);
    assert_eq!(c.initial_cluster_token, "etcd-cluster");
    assert_eq!(c.heartbeat_interval, Duration::from_millis(100));
    assert_eq!(c.election_timeout, Duration::from_millis(1000));
    assert_eq!(c.election_ticks(), 10);
    assert_eq!(c.snapshot_count, 100_000);
    assert_eq!(c.max_request_bytes, 1_572_864);
    assert!(!c.force_new_cluster);
    assert_eq!(c.log_level, LogLevel::Info);
    assert_eq!(c.cors, ["*"]);
    assert!(c.cors_allows_all());
    assert_eq!(c.config_file, None);
    assert!(c.notices.is_empty());
    assert_eq!(
        c.startup_notices,
        [LogLine::new(
            Level::Warning,
            "etcdmain",
            "no data-dir provided, using default data-dir ./default.etcd"
        )]
    );
    let d = Config::default();
    assert_eq!(
        Config {
            notices: vec![],
            startup_notices: vec![],
            ..c
        },
        d
    );
}

#[test]
fn config_name_drives_data_dir_and_initial_cluster() {
    let c = config(&[
        "--name",
        "n1",
        "--initial-advertise-peer-urls",
        "http://127.0.0.1:23811,http://127.0.0.1:23812",
    ]);
    assert_eq!(c.data_dir, PathBuf::from("n1.etcd"));
    assert_eq!(
        c.initial_cluster,
        vec![(
            "n1".to_owned(),
            vec![
                "http://127.0.0.1:23811".to_owned(),
                "http://127.0.0.1:23812".to_owned()
            ]
        )]
    );
    // An explicit initial cluster is kept, even with another name.
    let c = config(&["--name", "n1", "--initial-cluster", "n1=http://a:1"]);
    assert_eq!(c.initial_cluster_string(), "n1=http://a:1");
    // With the default name, the default initial cluster stays as it is.
    let c = config(&["--initial-advertise-peer-urls", "http://127.0.0.1:23811"]);
    assert_eq!(c.initial_cluster_string(), "default=http://localhost:2380");
}

#[test]
fn config_single_and_double_dash_equals_and_space() {
    let c = config(&[
        "-name",
        "a",
        "--wal-dir=w",
        "-data-dir=dd",
        "--snapshot-count",
        "5",
        "-heartbeat-interval=50",
        "--election-timeout=0x1F4",
        "-max-request-bytes",
        "1_024",
        "--initial-cluster-token",
        "tok",
        "-initial-cluster-state=existing",
        "--log-level=debug",
    ]);
    assert_eq!(c.name, "a");
    assert_eq!(c.wal_dir, Some(PathBuf::from("w")));
    assert_eq!(c.wal_path(), PathBuf::from("w"));
    assert_eq!(c.data_dir, PathBuf::from("dd"));
    assert_eq!(c.snapshot_count, 5);
    assert_eq!(c.heartbeat_interval, Duration::from_millis(50));
    assert_eq!(c.election_timeout, Duration::from_millis(500));
    assert_eq!(c.max_request_bytes, 1024);
    assert_eq!(c.initial_cluster_token, "tok");
    assert_eq!(c.initial_cluster_state, ClusterState::Existing);
    assert_eq!(c.log_level, LogLevel::Debug);
    assert!(c.startup_notices.is_empty());
}

#[test]
fn config_last_flag_wins() {
    let c = config(&[
        "--name",
        "a",
        "-name=b",
        "--data-dir",
        "x",
        "--data-dir",
        "y",
    ]);
    assert_eq!(c.name, "b");
    assert_eq!(c.data_dir, PathBuf::from("y"));
    let c = config(&with_base(&["--listen-client-urls", "http://127.0.0.1:1"]));
    assert_eq!(urls(&c.listen_client_urls), ["http://127.0.0.1:1"]);
    // An empty URL list leaves the previous value (the reference's quirk).
    let c = config(&with_base(&["--listen-client-urls="]));
    assert_eq!(urls(&c.listen_client_urls), ["http://127.0.0.1:23810"]);
}

#[test]
fn config_several_listen_urls_any_address_and_localhost() {
    let c = config(&[
        "--listen-client-urls",
        "http://127.0.0.1:23812,http://0.0.0.0:23810,http://localhost:23811,https://[::1]:23813",
        "--advertise-client-urls",
        "http://127.0.0.1:23810",
        "--listen-peer-urls",
        "http://0.0.0.0:23814",
    ]);
    assert_eq!(
        urls(&c.listen_client_urls),
        [
            "http://0.0.0.0:23810",
            "http://127.0.0.1:23812",
            "http://localhost:23811",
            "https://[::1]:23813"
        ]
    );
    assert_eq!(c.listen_client_urls[3].host(), "::1");
    assert!(c.listen_client_urls[3].is_tls());
}

#[test]
fn config_bind_urls_must_be_ips() {
    let e = err(&with_base(&[
        "--listen-client-urls",
        "http://example.com:23810",
    ]));
    assert_verifying(
        &e,
        "expected IP in URL for binding (http://example.com:23810)",
    );
    let e = err(&with_base(&["--listen-peer-urls", "http://:23810"]));
    assert_verifying(&e, "expected IP in URL for binding (http://:23810)");
    let e = err(&with_base(&["--advertise-client-urls", "http://:23810"]));
    assert_verifying(
        &e,
        "--advertise-client-urls \"http://:23810\" must be \"host:port\" (unexpected empty host (http://:23810))",
    );
    let e = err(&with_base(&[
        "--initial-advertise-peer-urls",
        "http://:1,http://a:2",
    ]));
    assert_verifying(
        &e,
        "--initial-advertise-peer-urls \"http://:1,http://a:2\" must be \"host:port\" (unexpected empty host (http://:1))",
    );
}

#[test]
fn config_bad_url_values() {
    let cases = [
        (
            "localhost:23810",
            "URL scheme must be http, https, unix, or unixs: localhost:23810",
        ),
        (
            "http://127.0.0.1",
            "URL address does not have the form \"host:port\": http://127.0.0.1",
        ),
        (
            "http://127.0.0.1:23810/",
            "URL must not contain a path: http://127.0.0.1:23810/",
        ),
        (
            "ftp://127.0.0.1:23810",
            "URL scheme must be http, https, unix, or unixs: ftp://127.0.0.1:23810",
        ),
        (
            "http://a:port",
            "parse \"http://a:port\": invalid port \":port\" after host",
        ),
        ("http://[::1", "parse \"http://[::1\": missing ']' in host"),
    ];
    for (value, why) in cases {
        let e = err(&with_base(&["--listen-client-urls", value]));
        assert_usage(
            &e,
            &format!(
                "invalid value {} for flag -listen-client-urls: {why}",
                flags::go_quote(value)
            ),
        );
    }
}

#[test]
fn config_bad_numbers_and_durations() {
    let e = err(&["--heartbeat-interval", "abc"]);
    assert_usage(
        &e,
        "invalid value \"abc\" for flag -heartbeat-interval: parse error",
    );
    let e = err(&["--heartbeat-interval", "-1"]);
    assert_usage(
        &e,
        "invalid value \"-1\" for flag -heartbeat-interval: parse error",
    );
    let e = err(&["--snapshot-count", "1e3"]);
    assert_usage(
        &e,
        "invalid value \"1e3\" for flag -snapshot-count: parse error",
    );
    let e = err(&["--election-timeout=100ms"]);
    assert_usage(
        &e,
        "invalid value \"100ms\" for flag -election-timeout: parse error",
    );
    let e = err(&["--max-request-bytes", "99999999999999999999"]);
    assert_usage(
        &e,
        "invalid value \"99999999999999999999\" for flag -max-request-bytes: value out of range",
    );
    assert_eq!(config(&["--snapshot-count", "0b101"]).snapshot_count, 5);
    let c = config(&["--snapshot-count", "0"]);
    assert_eq!(
        (c.snapshot_count, c.effective_snapshot_count()),
        (0, 100_000)
    );
}

#[test]
fn config_timing_rules() {
    let e = err(&with_base(&["--heartbeat-interval", "0"]));
    assert_verifying(&e, "--heartbeat-interval must be >0 (set to 0ms)");
    let e = err(&with_base(&["--election-timeout", "0"]));
    assert_verifying(&e, "--election-timeout must be >0 (set to 0ms)");
    let e = err(&with_base(&["--election-timeout", "400"]));
    assert_verifying(
        &e,
        "--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]",
    );
    let e = err(&with_base(&["--election-timeout", "60000"]));
    assert_verifying(
        &e,
        "--election-timeout[60000ms] is too long, and should be set less than 50000ms",
    );
    let c = config(&with_base(&["--election-timeout", "500"]));
    assert_eq!(c.election_timeout, Duration::from_millis(500));
    let c = config(&with_base(&["--election-timeout", "50000"]));
    assert_eq!(c.election_ticks(), 500);
}

#[test]
fn config_cluster_state_values() {
    let e = err(&["--initial-cluster-state", "bogus"]);
    assert_usage(
        &e,
        "invalid value \"bogus\" for flag -initial-cluster-state: invalid value",
    );
    let e = err(&["--initial-cluster-state="]);
    assert_usage(
        &e,
        "invalid value \"\" for flag -initial-cluster-state: invalid value",
    );
    assert_eq!(
        config(&["--initial-cluster-state", "new"]).initial_cluster_state,
        ClusterState::New
    );
}

#[test]
fn config_log_level() {
    for (s, l) in [
        ("warn", LogLevel::Warn),
        ("dpanic", LogLevel::DPanic),
        ("fatal", LogLevel::Fatal),
    ] {
        assert_eq!(config(&["--log-level", s]).log_level, l);
        assert_eq!(l.as_str(), s);
    }
    // The reference panics ("panic: unknown level \"DEBUG\""), exit 2.
    let e = err(&["--log-level=DEBUG"]);
    assert_eq!(e.exit_code, 2);
    assert_eq!(
        e.message(),
        "E | etcdmain: error verifying flags, unknown level \"DEBUG\". See 'etcd --help'."
    );
}

#[test]
fn config_unknown_flag_and_positional() {
    let e = err(&["--name", "x", "--bogus"]);
    assert_usage(&e, "flag provided but not defined: -bogus");
    let e = err(&["-bogus=1"]);
    assert_usage(&e, "flag provided but not defined: -bogus");
    let e = err(&["---name", "x"]);
    assert_usage(&e, "bad flag syntax: ---name");
    let e = err(&["--name"]);
    assert_usage(&e, "flag needs an argument: -name");
    let e = err(&["--cert-file", "c.pem"]);
    assert_usage(
        &e,
        "flag provided but not supported by etcd-server: -cert-file",
    );

    let e = err(&["extra-arg"]);
    assert_verifying(&e, "'extra-arg' is not a valid flag");
    // A boolean flag never takes the next argument.
    let e = err(&["--enable-v2", "false"]);
    assert_verifying(&e, "'false' is not a valid flag");
    // `--` ends the flags.
    let e = err(&["--", "--name", "x"]);
    assert_verifying(&e, "'--name' is not a valid flag");
    // The positional check comes before --version.
    let e = err(&["--version", "extra"]);
    assert_verifying(&e, "'extra' is not a valid flag");
    assert_eq!(config(&["--name", "a", "--"]).name, "a");
}

#[test]
fn config_error_rendering() {
    let e = err(&["extra"]);
    let text = e.render(&|| "2026-11-21 05:57:46.716434".to_owned());
    assert_eq!(
        text,
        "2026-11-21 05:57:46.716434 E | etcdmain: error verifying flags, 'extra' is not a valid flag. See 'etcd --help'.\n"
    );
    let e = err(&["--bogus"]);
    let text = e.render(&|| unreachable!());
    assert!(text.starts_with("flag provided but not defined: -bogus\nUsage:\n\n"));
    assert!(text.ends_with("will be ignored.\n\n"));
    assert_eq!(e.message(), "flag provided but not defined: -bogus");
    assert_eq!(e.to_string(), text);
}

#[test]
fn config_enable_v2_forms() {
    for args in [
        &["--enable-v2"][..],
        &["-enable-v2"],
        &["--enable-v2=true"],
        &["--enable-v2=1"],
        &["--enable-v2=T"],
        &["-enable-v2=True"],
    ] {
        let c = config(args);
        assert!(c.enable_v2, "{args:?}");
        assert!(c
            .startup_notices
            .iter()
            .all(|n| !n.text.contains("enable-v2")));
    }
    let c = config(&["--enable-v2=false"]);
    assert!(!c.enable_v2);
    assert!(c
        .startup_notices
        .iter()
        .any(|n| n.text == "--enable-v2=false is ignored: etcd-server always serves the v2 API"));
    let e = err(&["--enable-v2=maybe"]);
    assert_usage(
        &e,
        "invalid boolean value \"maybe\" for -enable-v2: parse error",
    );
}

#[test]
fn config_force_new_cluster_not_supported_yet() {
    let e = err(&with_base(&["--force-new-cluster"]));
    assert_verifying(
        &e,
        "--force-new-cluster is not supported yet by etcd-server",
    );
    let e = err_env(BASE, &[("ETCD_FORCE_NEW_CLUSTER", "true")]);
    assert_verifying(
        &e,
        "--force-new-cluster is not supported yet by etcd-server",
    );
    assert!(!config(&with_base(&["--force-new-cluster=false"])).force_new_cluster);
}

#[test]
fn config_cors() {
    assert_eq!(config(&["--cors=*"]).cors, ["*"]);
    let c = config(&["--cors", "https://b.com:443,http://a.com:80"]);
    assert_eq!(c.cors, ["http://a.com:80", "https://b.com:443"]);
    assert!(!c.cors_allows_all());
    let c = config(&["--cors", "http://a.com:80", "--cors", "*"]);
    assert_eq!(c.cors, ["*", "http://a.com:80"]);
    let e = err(&["--cors=http://example.com"]);
    assert_usage(
        &e,
        "invalid value \"http://example.com\" for flag -cors: URL address does not have the form \"host:port\": http://example.com",
    );
    let e = err(&["--cors=http://a.com:80,*"]);
    assert_usage(
        &e,
        "invalid value \"http://a.com:80,*\" for flag -cors: URL scheme must be http, https, unix, or unixs: *",
    );
}

#[test]
fn config_advertise_required_with_listen() {
    let e = err(&["--listen-client-urls", "http://127.0.0.1:23810"]);
    assert_eq!(e.exit_code, 1);
    assert_eq!(
        e.output,
        vec![
            Output::Log(LogLine::new(
                Level::Error,
                "etcdmain",
                "error verifying flags, --advertise-client-urls is required when --listen-client-urls is set explicitly. See 'etcd --help'."
            )),
            Output::Log(LogLine::new(
                Level::Error,
                "etcdmain",
                "When listening on specific address(es), this etcd process must advertise accessible url(s) to each connected client."
            )),
        ]
    );
    // Set through the environment counts too.
    let e2 = err_env(
        &[],
        &[("ETCD_LISTEN_CLIENT_URLS", "http://127.0.0.1:23810")],
    );
    assert_eq!(e2.output[1..], e.output[..]);
}

#[test]
fn config_env_sets_flags_in_name_order() {
    let c = config_env(
        &["--data-dir", "d"],
        &[
            ("PATH", "/bin"),
            ("ETCD_SNAPSHOT_COUNT", "5"),
            ("ETCD_ENABLE_V2", "true"),
            ("ETCD_NAME", "n4"),
            ("ETCD_INITIAL_CLUSTER", "n4=http://127.0.0.1:23811"),
            ("ETCD_INITIAL_CLUSTER_STATE", "existing"),
        ],
    );
    assert_eq!(c.name, "n4");
    assert_eq!(c.snapshot_count, 5);
    assert!(c.enable_v2);
    assert_eq!(c.initial_cluster_state, ClusterState::Existing);
    let texts: Vec<String> = c.notices.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "I | pkg/flags: recognized and used environment variable ETCD_ENABLE_V2=true",
            "I | pkg/flags: recognized and used environment variable ETCD_INITIAL_CLUSTER=n4=http://127.0.0.1:23811",
            "I | pkg/flags: recognized and used environment variable ETCD_INITIAL_CLUSTER_STATE=existing",
            "I | pkg/flags: recognized and used environment variable ETCD_NAME=n4",
            "I | pkg/flags: recognized and used environment variable ETCD_SNAPSHOT_COUNT=5",
        ]
    );
}

#[test]
fn config_flag_beats_env_only_when_env_unset() {
    // Both given: fatal, like the reference.
    let e = err_env(&["--name", "y"], &[("ETCD_NAME", "x")]);
    assert_eq!(e.exit_code, 1);
    assert_eq!(
        e.message(),
        "C | pkg/flags: conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)"
    );
    // Even an empty variable conflicts.
    let e = err_env(&["--name", "y"], &[("ETCD_NAME", "")]);
    assert!(e
        .message()
        .contains("conflicting environment variable \"ETCD_NAME\""));
    // Warnings for earlier variables come first.
    let e = err_env(
        &["--name", "y"],
        &[("ETCD_AAA", "1"), ("ETCD_NAME", "x"), ("ETCD_ZZZ", "2")],
    );
    assert_eq!(
        e.render(&|| "T".to_owned()),
        "T W | pkg/flags: unrecognized environment variable ETCD_AAA=1\nT C | pkg/flags: conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)\n"
    );
    // A flag and another flag's variable combine.
    let c = config_env(&["--name", "y"], &[("ETCD_DATA_DIR", "dd")]);
    assert_eq!((c.name.as_str(), c.data_dir.to_str()), ("y", Some("dd")));
}

#[test]
fn config_unknown_env_is_a_warning() {
    let c = config_env(
        &[],
        &[
            ("ETCD_FOO", "bar"),
            ("ETCD_ENABLE_V2", "true"),
            ("ETCD_NAME", ""),
            ("ETCDCTL_API", "2"),
        ],
    );
    let texts: Vec<String> = c.notices.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "I | pkg/flags: recognized and used environment variable ETCD_ENABLE_V2=true",
            "W | pkg/flags: unrecognized environment variable ETCD_FOO=bar",
            "W | pkg/flags: unrecognized environment variable ETCD_NAME=",
        ]
    );
    assert_eq!(c.name, "default");
}

#[test]
fn config_invalid_env_values() {
    let e = err_env(&[], &[("ETCD_ENABLE_V2", "maybe")]);
    assert_verifying(
        &e,
        "invalid value \"maybe\" for ETCD_ENABLE_V2: parse error",
    );
    let e = err_env(
        &["--listen-client-urls", "http://127.0.0.1:23810"],
        &[("ETCD_ADVERTISE_CLIENT_URLS", "foo")],
    );
    assert_verifying(
        &e,
        "invalid value \"foo\" for ETCD_ADVERTISE_CLIENT_URLS: URL scheme must be http, https, unix, or unixs: foo",
    );
    let e = err_env(&[], &[("ETCD_INITIAL_CLUSTER_STATE", "bogus")]);
    assert_verifying(
        &e,
        "invalid value \"bogus\" for ETCD_INITIAL_CLUSTER_STATE: invalid value",
    );
    let e = err_env(&[], &[("ETCD_CERT_FILE", "c.pem")]);
    assert_verifying(
        &e,
        "environment variable ETCD_CERT_FILE sets --cert-file, which etcd-server does not support",
    );
}

#[test]
fn config_obsolete_flags_warn() {
    let c = config(&["--v", "-snapshot=x"]);
    let texts: Vec<String> = c.notices.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "W | pkg/flags: flag \"-v\" is no longer supported - ignoring.",
            "W | pkg/flags: flag \"-snapshot\" is no longer supported - ignoring.",
        ]
    );
}

#[test]
fn config_help_and_version() {
    for h in ["-h", "--help", "-help", "-h=false"] {
        match run(&["--name", "x", h, "--bogus"]) {
            Ok(Outcome::Help { usage, flags }) => {
                assert_eq!(usage, flags::usage());
                assert_eq!(flags, flags::flags_help());
            }
            other => panic!("{h}: {other:?}"),
        }
    }
    for v in [
        &["--version"][..],
        &["-version"],
        &["--version=true", "--election-timeout", "1"],
    ] {
        match run(v) {
            Ok(Outcome::Version(text)) => {
                assert!(text.starts_with("etcd Version: 3.4.23\n"));
                assert_eq!(text, flags::version());
            }
            other => panic!("{v:?}: {other:?}"),
        }
    }
    // --version=false runs the server; a bad flag after --version still fails.
    assert!(matches!(run(&["--version=false"]), Ok(Outcome::Run(_))));
    assert_eq!(err(&["--version", "--bogus"]).exit_code, 2);
    // ETCD_VERSION is read after the version check: used, without effect.
    let c = config_env(&[], &[("ETCD_VERSION", "true")]);
    assert_eq!(
        c.notices[0].text,
        "recognized and used environment variable ETCD_VERSION=true"
    );
}

#[test]
fn config_initial_cluster_parsing() {
    let c = config(&[
        "--name",
        "n1",
        "--initial-cluster",
        "n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n1=http://10.0.0.1:2381,,n3",
    ]);
    assert_eq!(
        c.initial_cluster,
        vec![
            (
                "n1".to_owned(),
                vec![
                    "http://10.0.0.1:2380".to_owned(),
                    "http://10.0.0.1:2381".to_owned()
                ]
            ),
            ("n2".to_owned(), vec!["http://10.0.0.2:2380".to_owned()]),
            ("n3".to_owned(), vec![String::new()]),
        ]
    );
    assert_eq!(
        parse_initial_cluster("a=http://x:1=2"),
        vec![("a".to_owned(), vec!["http://x:1=2".to_owned()])]
    );
}

#[test]
fn config_bootstrap_checks() {
    let ok = config(&with_base(&[
        "--initial-advertise-peer-urls",
        "http://127.0.0.1:23811,http://127.0.0.1:23812",
        "--initial-cluster",
        "default=http://127.0.0.1:23812,default=http://127.0.0.1:23811,b=http://127.0.0.1:23813",
    ]));
    let cluster = ok.verify_bootstrap().unwrap();
    assert_eq!(cluster[0].0, "b");
    assert_eq!(
        urls(&cluster[1].1),
        ["http://127.0.0.1:23811", "http://127.0.0.1:23812"]
    );

    let check = |extra: &[&str], want: &str| {
        let c = config(&with_base(extra));
        let e = c.verify_bootstrap().unwrap_err();
        assert_eq!(e.exit_code, 1);
        assert_eq!(e.message(), format!("C | etcdmain: {want}"), "{extra:?}");
    };
    check(
        &["--initial-cluster", "foo"],
        "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: ",
    );
    check(
        &["--initial-cluster", "default=foo"],
        "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: foo",
    );
    check(
        &["--initial-cluster", "other=http://127.0.0.1:23811"],
        "couldn't find local name \"default\" in the initial cluster configuration",
    );
    check(
        &["--initial-cluster="],
        "couldn't find local name \"default\" in the initial cluster configuration",
    );
    check(
        &["--initial-cluster", "default=http://127.0.0.1:23815"],
        "--initial-cluster has default=http://127.0.0.1:23815 but missing from --initial-advertise-peer-urls=http://127.0.0.1:23811 (resolved urls: \"http://127.0.0.1:23811\" != \"http://127.0.0.1:23815\")",
    );
    check(
        &["--initial-cluster", "default=http://localhost:2380"],
        "--initial-cluster has default=http://localhost:2380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:23811 (resolved urls: \"http://127.0.0.1:23811\" != \"http://localhost:2380\")",
    );
    check(
        &[
            "--initial-cluster",
            "default=http://127.0.0.1:23811,default=http://127.0.0.1:23811",
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:23811,http://127.0.0.1:23811",
        ],
        "initial cluster default=http://127.0.0.1:23811,default=http://127.0.0.1:23811 has duplicate url",
    );
    check(
        &[
            "--initial-cluster",
            "default=http://127.0.0.1:23811,b=http://127.0.0.1:23811",
        ],
        "initial cluster b=http://127.0.0.1:23811,default=http://127.0.0.1:23811 has duplicate url",
    );
    check(
        &[
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:23811,http://127.0.0.1:23812",
        ],
        "--initial-advertise-peer-urls has http://127.0.0.1:23812 but missing from --initial-cluster=default=http://127.0.0.1:23811,default=http://127.0.0.1:23812",
    );

    // The reference's default: name "default" with other advertise URLs.
    let c = config(&["--initial-advertise-peer-urls", "http://127.0.0.1:23811"]);
    assert_eq!(
        c.verify_bootstrap().unwrap_err().message(),
        "C | etcdmain: --initial-cluster has default=http://localhost:2380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:23811 (resolved urls: \"http://127.0.0.1:23811\" != \"http://localhost:2380\")"
    );
    let c = config(&[
        "--initial-advertise-peer-urls",
        "http://127.0.0.1:23811,http://127.0.0.1:23812",
    ]);
    assert_eq!(
        c.verify_bootstrap().unwrap_err().message(),
        "C | etcdmain: --initial-cluster has default=http://localhost:2380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:23811,http://127.0.0.1:23812 (len([\"http://127.0.0.1:23811\" \"http://127.0.0.1:23812\"]) != len([\"http://localhost:2380\"]))"
    );
    let c = config(&with_base(&["--initial-cluster-state", "existing"]));
    assert!(c.verify_join_existing().is_ok());
}

#[test]
fn config_default_host_for_any_address() {
    let mut c = config(&["--name", "n1", "--listen-peer-urls", "http://0.0.0.0:23811"]);
    assert_eq!(c.initial_cluster_string(), "n1=http://localhost:2380");
    // Listen client URLs without advertise URLs are refused on the command
    // line (a config file keeps the default advertise URL): set them here.
    c.listen_client_urls = vec!["http://0.0.0.0:23810".parse().unwrap()];
    assert_eq!(c.apply_default_host(None), None);
    let line = c.apply_default_host(Some("192.0.2.2")).unwrap();
    assert_eq!(
        line.to_string(),
        "I | etcdmain: advertising using detected default host \"192.0.2.2\""
    );
    assert_eq!(
        urls(&c.initial_advertise_peer_urls),
        ["http://192.0.2.2:23811"]
    );
    assert_eq!(urls(&c.advertise_client_urls), ["http://192.0.2.2:23810"]);
    assert_eq!(c.initial_cluster_string(), "n1=http://192.0.2.2:23811");

    let mut c = config(&with_base(&[]));
    assert_eq!(c.apply_default_host(Some("192.0.2.2")), None);
}

#[test]
fn config_unix_urls_not_supported() {
    let e = err(&with_base(&[
        "--listen-peer-urls",
        "unix://localhost:23811",
    ]));
    assert_verifying(
        &e,
        "unix socket URLs are not supported by etcd-server (unix://localhost:23811)",
    );
}

#[test]
fn config_file_yaml() {
    let (_dir, path) = temp_yaml(
        "name: n1
data-dir: /var/lib/n1
wal-dir: /wal
listen-client-urls: http://127.0.0.1:23812,http://0.0.0.0:23813
advertise-client-urls: http://127.0.0.1:23812
listen-peer-urls: http://127.0.0.1:23814
initial-advertise-peer-urls: http://127.0.0.1:23814
initial-cluster: n1=http://127.0.0.1:23814,n2=http://127.0.0.1:23815
initial-cluster-state: existing
initial-cluster-token: tok
snapshot-count: 7
heartbeat-interval: 50
election-timeout: 500
max-request-bytes: 10
enable-v2: true
log-level: warn
cors: '*'
unknown-key: [1, 2]
",
    );
    // Flags and variables are ignored when a file is given.
    let c = config_env(
        &["--config-file", &path, "--name", "flagname"],
        &[("ETCD_NAME", "envname"), ("ETCD_FOO", "1")],
    );
    assert_eq!(c.name, "n1");
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/n1"));
    assert_eq!(c.wal_dir, Some(PathBuf::from("/wal")));
    assert_eq!(
        urls(&c.listen_client_urls),
        ["http://0.0.0.0:23813", "http://127.0.0.1:23812"]
    );
    assert_eq!(urls(&c.listen_peer_urls), ["http://127.0.0.1:23814"]);
    assert_eq!(c.initial_cluster.len(), 2);
    assert_eq!(c.initial_cluster_state, ClusterState::Existing);
    assert_eq!(c.initial_cluster_token, "tok");
    assert_eq!(c.snapshot_count, 7);
    assert_eq!(c.heartbeat_interval, Duration::from_millis(50));
    assert_eq!(c.election_timeout, Duration::from_millis(500));
    assert_eq!(c.max_request_bytes, 10);
    assert!(c.enable_v2);
    assert_eq!(c.log_level, LogLevel::Warn);
    assert_eq!(c.config_file, Some(PathBuf::from(&path)));
    let texts: Vec<String> = c.notices.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [format!(
            "I | etcdmain: Loading server configuration from \"{path}\". Other configuration command line flags and environment variables will be ignored if provided."
        )]
    );

    // ETCD_CONFIG_FILE works when the flag is absent.
    let c = config_env(&["--name", "flagname"], &[("ETCD_CONFIG_FILE", &path)]);
    assert_eq!(c.name, "n1");
}

#[test]
fn config_file_defaults_and_quirks() {
    // Listen client URLs without advertise URLs are fine in a file (the
    // default advertise URL stays); the name drives data dir and cluster.
    let (_dir, path) = temp_yaml(
        "Name: n1
listen-client-urls: http://127.0.0.1:23812
initial-advertise-peer-urls: http://127.0.0.1:23813
enable-v2: yes
",
    );
    let c = config(&["--config-file", &path]);
    assert_eq!(c.name, "n1");
    assert_eq!(c.data_dir, PathBuf::from("n1.etcd"));
    assert_eq!(urls(&c.advertise_client_urls), ["http://localhost:2379"]);
    assert_eq!(c.initial_cluster_string(), "n1=http://127.0.0.1:23813");
    assert!(c.enable_v2);

    let (_dir, path) = temp_yaml("");
    assert_eq!(config(&["--config-file", &path]).name, "default");
    let (_dir, path) = temp_yaml("# nothing\n");
    assert_eq!(config(&["--config-file", &path]).name, "default");
    // A repeated key: the last one wins.
    let (_dir, path) = temp_yaml("name: a\nname: b\n");
    assert_eq!(config(&["--config-file", &path]).name, "b");

    let (_dir, path) = temp_yaml("cert-file: /c.pem\nkey-file:\ndebug: false\n");
    let c = config(&["--config-file", &path]);
    assert_eq!(
        c.notices[1].to_string(),
        "W | etcdmain: config file key \"cert-file\" is not supported by etcd-server; ignored"
    );
    assert_eq!(c.notices.len(), 2);
}

#[test]
fn config_file_errors() {
    let loading = |p: &str| {
        Output::Log(LogLine::new(
            Level::Info,
            "etcdmain",
            format!("Loading server configuration from \"{p}\". Other configuration command line flags and environment variables will be ignored if provided."),
        ))
    };
    let check = |text: &str, want: &str| {
        let (_dir, path) = temp_yaml(text);
        let e = err(&["--config-file", &path]);
        assert_eq!(e.output[0], loading(&path), "{text}");
        assert_verifying(&e, want);
    };
    check(
        "heartbeat-interval: \"100\"",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.heartbeat-interval of type uint",
    );
    check(
        "name: 123",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field configYAML.name of type string",
    );
    check(
        "enable-v2: \"true\"",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.enable-v2 of type bool",
    );
    check(
        "heartbeat-interval: -5",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number -5 into Go struct field configYAML.heartbeat-interval of type uint",
    );
    check(
        "snapshot-count: [1]\nname: 1",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field configYAML.snapshot-count of type uint64",
    );
    check(
        "initial-cluster-state: bogus",
        "unexpected clusterState \"bogus\"",
    );
    check(
        "initial-cluster-state: existing\nelection-timeout: 50",
        "--election-timeout[50ms] should be at least as 5 times as --heartbeat-interval[100ms]",
    );
    check(
        "just a string",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type embed.configYAML",
    );
    check(
        "a: 1\nname: [1\n",
        "error converting YAML to JSON: yaml: line 2: did not find expected ',' or ']'",
    );

    // A missing file.
    let e = err(&["--config-file", "/nonexistent/etcd.yml"]);
    assert_eq!(e.output[0], loading("/nonexistent/etcd.yml"));
    assert_verifying(&e, "open /nonexistent/etcd.yml: no such file or directory");

    // A bad URL: a plain line, no "Loading" line, exit 1.
    let (_dir, path) = temp_yaml("listen-client-urls: foo\n");
    let e = err(&["--config-file", &path]);
    assert_eq!(e.exit_code, 1);
    assert_eq!(
        e.output,
        vec![Output::Text(
            "unexpected error setting up listen-client-urls: URL scheme must be http, https, unix, or unixs: foo\n".to_owned()
        )]
    );
}
