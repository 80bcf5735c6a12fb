//! Environment variables, config files and bootstrap checks; every case was
//! checked against etcd 3.4.23 (messages and exit codes).

use super::tests::*;
use super::*;
use std::path::PathBuf;
use std::time::Duration;

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
    let e = err_env(&[], &[("ETCD_CLIENT_CRL_FILE", "c.pem")]);
    assert_verifying(
        &e,
        "environment variable ETCD_CLIENT_CRL_FILE sets --client-crl-file, which etcd-server does not support",
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

    let (_dir, path) = temp_yaml("quota-backend-bytes: 10\nmax-wals: 0\ndebug: false\n");
    let c = config(&["--config-file", &path]);
    assert_eq!(
        c.notices[1].to_string(),
        "W | etcdmain: config file key \"quota-backend-bytes\" is not supported by etcd-server; ignored"
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
    // The reference sorts the keys before decoding: the smallest key's
    // error is reported.
    check(
        "snapshot-count: [1]\nname: 1",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field configYAML.name of type string",
    );
    check(
        "snapshot-count: [1]\nheartbeat-interval: x",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML.heartbeat-interval of type uint",
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
