//! The TLS flags, their `ETCD_*` variables and the config file's
//! `client-transport-security`/`peer-transport-security` mappings (checked
//! against etcd 3.4.23).

use super::tests::*;
use super::*;

fn tls(cert: &str, key: &str, ca: &str, auth: bool) -> TlsInfo {
    TlsInfo {
        cert_file: cert.to_owned(),
        key_file: key.to_owned(),
        trusted_ca_file: ca.to_owned(),
        client_cert_auth: auth,
    }
}

#[test]
fn config_tls_flags() {
    let c = config(&with_base(&[
        "--cert-file",
        "s.pem",
        "--key-file=s-key.pem",
        "--trusted-ca-file",
        "ca.pem",
        "--client-cert-auth",
        "--peer-cert-file",
        "p.pem",
        "--peer-key-file",
        "p-key.pem",
        "--peer-trusted-ca-file",
        "pca.pem",
        "--peer-client-cert-auth=true",
    ]));
    assert_eq!(c.client_tls, tls("s.pem", "s-key.pem", "ca.pem", true));
    assert_eq!(c.peer_tls, tls("p.pem", "p-key.pem", "pca.pem", true));
    let c = config(BASE);
    assert_eq!(
        (c.client_tls.is_empty(), c.peer_tls.is_empty()),
        (true, true)
    );
    // A boolean flag never takes the next argument.
    let e = err(&["--client-cert-auth", "false"]);
    assert_verifying(&e, "'false' is not a valid flag");
    let e = err(&["--peer-client-cert-auth=maybe"]);
    assert_usage(
        &e,
        "invalid boolean value \"maybe\" for -peer-client-cert-auth: parse error",
    );
}

#[test]
fn config_tls_env() {
    let c = config_env(
        BASE,
        &[
            ("ETCD_CERT_FILE", "s.pem"),
            ("ETCD_KEY_FILE", "s-key.pem"),
            ("ETCD_TRUSTED_CA_FILE", "ca.pem"),
            ("ETCD_CLIENT_CERT_AUTH", "true"),
            ("ETCD_PEER_CERT_FILE", "p.pem"),
            ("ETCD_PEER_KEY_FILE", "p-key.pem"),
            ("ETCD_PEER_TRUSTED_CA_FILE", "pca.pem"),
            ("ETCD_PEER_CLIENT_CERT_AUTH", "1"),
        ],
    );
    assert_eq!(c.client_tls, tls("s.pem", "s-key.pem", "ca.pem", true));
    assert_eq!(c.peer_tls, tls("p.pem", "p-key.pem", "pca.pem", true));
    assert!(
        c.notices
            .iter()
            .any(|n| n.text
                == "recognized and used environment variable ETCD_PEER_KEY_FILE=p-key.pem")
    );
    let e = err_env(BASE, &[("ETCD_CLIENT_CERT_AUTH", "yes")]);
    assert_verifying(
        &e,
        "invalid value \"yes\" for ETCD_CLIENT_CERT_AUTH: parse error",
    );
    // A variable shadowed by its flag is fatal, as for every flag.
    let e = err_env(
        &with_base(&["--cert-file", "a.pem"]),
        &[("ETCD_CERT_FILE", "b.pem")],
    );
    assert_eq!(e.exit_code, 1);
    assert!(e
        .message()
        .contains("conflicting environment variable \"ETCD_CERT_FILE\""));
}

#[test]
fn config_tls_file_sections() {
    let (_dir, path) = temp_yaml(
        "client-transport-security:\n  cert-file: s.pem\n  key-file: s-key.pem\n  trusted-ca-file: ca.pem\n  client-cert-auth: true\n\
         Peer-Transport-Security:\n  CERT-FILE: p.pem\n  key-file: p-key.pem\n  client-cert-auth: yes\n  unknown: 1\n\
         cert-file: ignored.pem\n",
    );
    let c = config(&["--config-file", &path]);
    assert_eq!(c.client_tls, tls("s.pem", "s-key.pem", "ca.pem", true));
    assert_eq!(c.peer_tls, tls("p.pem", "p-key.pem", "", true));
    assert_eq!(c.notices.len(), 1, "{:?}", c.notices);

    let (_dir, path) =
        temp_yaml("client-transport-security:\npeer-transport-security:\n  auto-tls: true\n");
    let c = config(&["--config-file", &path]);
    assert!(c.client_tls.is_empty() && c.peer_tls.is_empty());
    assert_eq!(
        c.notices[1].to_string(),
        "W | etcdmain: config file key \"peer-transport-security.auto-tls\" is not supported by etcd-server; ignored"
    );

    let check = |text: &str, want: &str| {
        let (_dir, path) = temp_yaml(text);
        assert_verifying(&err(&["--config-file", &path]), want);
    };
    check(
        "client-transport-security:\n  client-cert-auth: \"maybe\"\n",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field securityConfig.client-transport-security.client-cert-auth of type bool",
    );
    check(
        "client-transport-security:\n  cert-file: 5\n",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field securityConfig.client-transport-security.cert-file of type string",
    );
    check(
        "client-transport-security: 5\n",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field configYAML.client-transport-security of type embed.securityConfig",
    );
    // The reference sorts the keys: the smallest key's error is reported.
    check(
        "peer-transport-security:\n  key-file: [1]\nname: 5\n",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field configYAML.name of type string",
    );
    check(
        "wal-dir: 5\npeer-transport-security:\n  trusted-ca-file: 1\n  key-file: [1]\n",
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field securityConfig.peer-transport-security.key-file of type string",
    );
}

#[test]
fn config_tls_help_lists_the_flags() {
    let help = flags::flags_help();
    for flag in [
        "--cert-file",
        "--key-file",
        "--client-cert-auth",
        "--trusted-ca-file",
        "--peer-cert-file",
        "--peer-key-file",
        "--peer-client-cert-auth",
        "--peer-trusted-ca-file",
    ] {
        assert!(help.contains(&format!("  {flag} '")), "{flag}");
    }
}
