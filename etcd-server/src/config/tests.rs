//! Every case here was checked against etcd 3.4.23 (messages and exit codes).

use std::path::PathBuf;
use std::time::Duration;

use super::*;

pub(super) const BASE: &[&str] = &[
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

pub(super) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

pub(super) fn run_env(args: &[&str], env: &[(&str, &str)]) -> Result<Outcome, ConfigError> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    from_args(strings(args), env)
}

pub(super) fn run(args: &[&str]) -> Result<Outcome, ConfigError> {
    run_env(args, &[])
}

pub(super) fn config(args: &[&str]) -> Config {
    config_env(args, &[])
}

pub(super) fn config_env(args: &[&str], env: &[(&str, &str)]) -> Config {
    match run_env(args, env) {
        Ok(Outcome::Run(c)) => c,
        other => panic!("{args:?}: {other:?}"),
    }
}

pub(super) fn with_base(extra: &[&str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = BASE.to_vec();
    for e in extra {
        v.push(Box::leak(e.to_string().into_boxed_str()));
    }
    v
}

pub(super) fn err(args: &[&str]) -> ConfigError {
    err_env(args, &[])
}

pub(super) fn err_env(args: &[&str], env: &[(&str, &str)]) -> ConfigError {
    match run_env(args, env) {
        Err(e) => e,
        other => panic!("{args:?}: expected an error, got {other:?}"),
    }
}

/// A usage error: the Go message, then the usage text; exit 2.
pub(super) fn assert_usage(e: &ConfigError, message: &str) {
    assert_eq!(e.exit_code, 2, "{e}");
    assert_eq!(
        e.output.last(),
        Some(&Output::Text(format!("{message}\n{}", flags::usage())))
    );
}

/// An `error verifying flags` line; exit 1.
pub(super) fn assert_verifying(e: &ConfigError, message: &str) {
    assert_eq!(e.exit_code, 1, "{e}");
    assert_eq!(
        e.message(),
        format!("E | etcdmain: error verifying flags, {message}. See 'etcd --help'.")
    );
}

pub(super) fn urls(v: &[Url]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

pub(super) fn temp_yaml(text: &str) -> (tempfile::TempDir, String) {
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
    let e = err(&["--client-crl-file", "c.pem"]);
    assert_usage(
        &e,
        "flag provided but not supported by etcd-server: -client-crl-file",
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
fn config_force_new_cluster() {
    assert!(config(&with_base(&["--force-new-cluster"])).force_new_cluster);
    let c = config_env(BASE, &[("ETCD_FORCE_NEW_CLUSTER", "true")]);
    assert!(c.force_new_cluster);
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
