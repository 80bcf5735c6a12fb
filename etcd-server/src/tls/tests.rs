//! PEM loading with the reference's messages, and handshakes over a real
//! loopback listener with certificates made here.

use super::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CA and files signed by it in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
            ca: new_ca("test ca"),
        };
        pki.write("ca.pem", &pki.ca.pem());
        pki
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `<name>.pem` and `<name>-key.pem`: a certificate for 127.0.0.1 and
    /// localhost, good for servers and clients.
    fn leaf(&self, name: &str) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.signed_by(&key, &self.ca).unwrap();
        (
            self.write(&format!("{name}.pem"), &cert.pem()),
            self.write(&format!("{name}-key.pem"), &key.serialize_pem()),
        )
    }

    fn info(&self, cert: &str, key: &str, ca: &str, auth: bool) -> TlsInfo {
        TlsInfo {
            cert_file: cert.to_owned(),
            key_file: key.to_owned(),
            trusted_ca_file: ca.to_owned(),
            client_cert_auth: auth,
        }
    }
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn key_error(info: &TlsInfo) -> String {
    certified_key(info).expect_err("the pair is refused")
}

#[test]
fn tls_key_pair_errors_are_the_references() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("server");
    let (_, other_key) = pki.leaf("other");
    let junk = pki.write("junk.pem", "not a certificate\n");
    assert!(certified_key(&pki.info(&cert, &key, "", false)).is_ok());

    let missing = pki.path("missing.pem");
    let dir = pki.dir.path().display().to_string();
    let missing_file = format!("open {missing}: no such file or directory");
    let cases = [
        (cert.as_str(), missing.as_str(), missing_file.as_str()),
        (&missing, &key, &missing_file),
        (&cert, "", &format!("KeyFile and CertFile must both be present[key: , cert: {cert}]")),
        (&cert, &other_key, "tls: private key does not match public key"),
        (&key, &cert, "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched"),
        (&junk, &key, "tls: failed to find any PEM data in certificate input"),
        (&cert, &junk, "tls: failed to find any PEM data in key input"),
        (&cert, &cert, "tls: found a certificate rather than a key in the PEM for the private key"),
        (&dir, &key, &format!("read {dir}: is a directory")),
    ];
    for (cert, key, want) in cases {
        assert_eq!(
            key_error(&pki.info(cert, key, "", false)),
            want,
            "{cert} {key}"
        );
    }
}

#[test]
fn tls_server_config_checks_the_trusted_ca() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("server");
    let ca = pki.path("ca.pem");
    let junk = pki.write(
        "junk.pem",
        "-----BEGIN NOTHING-----\n-----END NOTHING-----\n",
    );
    assert!(server_config(&pki.info(&cert, &key, &ca, true), Side::Client).is_ok());
    assert!(server_config(&pki.info(&cert, &key, "", false), Side::Peer).is_ok());

    let err = |info: TlsInfo, side| server_config(&info, side).err().unwrap();
    assert_eq!(
        err(pki.info(&cert, &key, "", true), Side::Client),
        "--client-cert-auth needs --trusted-ca-file: etcd-server checks client certificates only against that file"
    );
    assert_eq!(
        err(pki.info(&cert, &key, "", true), Side::Peer),
        "--peer-client-cert-auth needs --peer-trusted-ca-file: etcd-server checks client certificates only against that file"
    );
    assert_eq!(
        err(pki.info(&cert, &key, &junk, false), Side::Peer),
        format!("tls: failed to find any PEM certificate in {junk} (--peer-trusted-ca-file)")
    );
    let missing = pki.path("nothere.pem");
    assert_eq!(
        err(pki.info(&cert, &key, &missing, false), Side::Client),
        format!("open {missing}: no such file or directory")
    );
    // The key pair is checked before the CA file, as the reference does.
    assert_eq!(
        err(pki.info(&cert, &missing, &junk, false), Side::Client),
        format!("open {missing}: no such file or directory")
    );
}

#[test]
fn tls_only_client_cert_auth_on_client_listeners_logs_in_by_certificate() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("server");
    let ca = pki.path("ca.pem");
    let login = |auth: bool, side| {
        let tls = server_config(&pki.info(&cert, &key, &ca, auth), side).unwrap();
        tls.login
            .map(|login| login.names(&[CertificateDer::from(der(&cert))]))
    };
    assert_eq!(
        login(true, Side::Client),
        Some(vec!["server".to_owned(), "test ca".to_owned()])
    );
    // A trusted CA file alone requires certificates but names nobody.
    assert_eq!(login(false, Side::Client), None);
    assert_eq!(login(true, Side::Peer), None);
}

#[test]
fn tls_setup_needs_a_key_pair_for_https_listeners() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("server");
    let urls = |s: &str| crate::config::parse_urls(s).unwrap();
    let none = TlsInfo::default();
    let err = setup(
        &none,
        &urls("https://127.0.0.1:1"),
        &none,
        &urls("http://127.0.0.1:2"),
    )
    .err()
    .unwrap();
    assert_eq!(
        err,
        "cannot listen on TLS for 127.0.0.1:1: KeyFile and CertFile are not presented"
    );
    let err = setup(
        &none,
        &urls("http://127.0.0.1:1"),
        &none,
        &urls("https://127.0.0.1:2"),
    )
    .err()
    .unwrap();
    assert_eq!(
        err,
        "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2 with HTTPS scheme"
    );
    // Peer files are loaded even for http:// peers (they serve outgoing
    // connections too), so a bad one is found.
    let bad = pki.info(&cert, &pki.path("missing.pem"), "", false);
    assert!(setup(
        &bad,
        &urls("http://127.0.0.1:1"),
        &none,
        &urls("http://127.0.0.1:2")
    )
    .is_err());

    let good = pki.info(&cert, &key, "", false);
    let done = setup(
        &good,
        &urls("https://127.0.0.1:1"),
        &none,
        &urls("http://127.0.0.1:2"),
    )
    .unwrap();
    assert!(done.peer.is_some() && done.client.is_none());
}

/// Serves one connection of `listener`: reads `ping`, answers `pong`.
async fn serve_one(listener: Listener) -> bool {
    let accepted = listener.accept().await.unwrap();
    let Some(mut stream) = accepted.handshake().await else {
        return false;
    };
    let mut buf = [0u8; 4];
    if stream.read_exact(&mut buf).await.is_err() || &buf != b"ping" {
        return false;
    }
    stream.write_all(b"pong").await.is_ok() && stream.shutdown().await.is_ok()
}

/// What a client with `config` gets from `addr`: the certificate the server
/// presented, once the server has answered `pong` to `ping`.
async fn exchange(addr: std::net::SocketAddr, config: Arc<ClientConfig>) -> Option<Vec<u8>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .ok()?;
    let cert = tls.get_ref().1.peer_certificates()?.first()?.to_vec();
    let mut buf = [0u8; 4];
    tls.write_all(b"ping").await.ok()?;
    tls.read_exact(&mut buf).await.ok()?;
    (&buf == b"pong").then_some(cert)
}

/// One exchange between a listener with `server` and a client with
/// `client`: whether the server saw it succeed, and what the client got.
async fn connect_once(server: ServerTls, client: Arc<ClientConfig>) -> (bool, Option<Vec<u8>>) {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener = Listener {
        tcp,
        tls: Some(server),
    };
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(serve_one(listener));
    let answered = exchange(addr, client).await;
    (served.await.unwrap(), answered)
}

/// Whether each side saw an exchange succeed.
async fn round_trip(server: ServerTls, client: Arc<ClientConfig>) -> (bool, bool) {
    let (served, answered) = connect_once(server, client).await;
    (served, answered.is_some())
}

#[tokio::test]
async fn tls_listener_requires_a_client_certificate_from_the_trusted_ca() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("server");
    let (client_cert, client_key) = pki.leaf("client");
    let ca = pki.path("ca.pem");
    let server = server_config(&pki.info(&cert, &key, &ca, true), Side::Client).unwrap();
    let client = |info: TlsInfo| client_config(&info, Side::Client).unwrap();

    let good = client(pki.info(&client_cert, &client_key, &ca, false));
    assert_eq!(round_trip(server.clone(), good).await, (true, true));

    let anonymous = client(pki.info("", "", &ca, false));
    assert_eq!(round_trip(server.clone(), anonymous).await, (false, false));

    // A client that does not trust the CA gives up on the server.
    let untrusting = client(pki.info(&client_cert, &client_key, "", false));
    assert_eq!(round_trip(server.clone(), untrusting).await, (false, false));

    // A certificate from another CA is refused.
    let other = Pki::new();
    let (stranger_cert, stranger_key) = other.leaf("stranger");
    let stranger = client(pki.info(&stranger_cert, &stranger_key, &ca, false));
    assert_eq!(round_trip(server, stranger).await, (false, false));

    // Without client authentication anyone who trusts the CA gets through.
    let open = server_config(&pki.info(&cert, &key, "", false), Side::Client).unwrap();
    let anonymous = client(pki.info("", "", &ca, false));
    assert_eq!(round_trip(open, anonymous).await, (true, true));
}

#[test]
fn tls_info_prints_like_the_reference() {
    let info = TlsInfo {
        cert_file: "s.pem".into(),
        key_file: "k.pem".into(),
        trusted_ca_file: String::new(),
        client_cert_auth: true,
    };
    assert_eq!(
        info.to_string(),
        "cert = s.pem, key = k.pem, trusted-ca = , client-cert-auth = true, crl-file = "
    );
    assert!(info.requires_client_cert() && !info.is_empty());
    assert!(TlsInfo::default().is_empty());
}

/// The certificate a listener with `server` presents to a client trusting
/// the CA of `pki`.
async fn presented(pki: &Pki, server: ServerTls) -> Vec<u8> {
    let config =
        client_config(&pki.info("", "", &pki.path("ca.pem"), false), Side::Client).unwrap();
    let (served, cert) = connect_once(server, config).await;
    assert!(served);
    cert.expect("the client got an answer")
}

/// The DER of the first certificate in a PEM file.
fn der(path: &str) -> Vec<u8> {
    etcd_client::gotls::certificates(&std::fs::read(path).unwrap()).unwrap()[0].to_vec()
}

#[tokio::test]
async fn tls_certificates_rotate_without_a_restart() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("server");
    let first = der(&cert);
    let server = server_config(&pki.info(&cert, &key, "", false), Side::Client).unwrap();
    assert_eq!(presented(&pki, server.clone()).await, first);

    // New files in place: the next handshake presents the new certificate.
    // (File times are coarse: let the clock move on first.)
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (new_cert, new_key) = pki.leaf("renewed");
    std::fs::copy(&new_key, &key).unwrap();
    std::fs::copy(&new_cert, &cert).unwrap();
    let second = der(&cert);
    assert_ne!(first, second);
    assert_eq!(presented(&pki, server.clone()).await, second);

    // A broken rotation keeps the last good pair.
    tokio::time::sleep(Duration::from_millis(50)).await;
    std::fs::write(&cert, "half written").unwrap();
    assert_eq!(presented(&pki, server).await, second);
}
