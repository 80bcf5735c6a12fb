//! Certificates made for the TLS tests (rcgen): a CA, member certificates
//! for 127.0.0.1 and localhost good for serving and for connecting out,
//! client certificates, and a certificate from a CA nobody trusts; written
//! as PEM files into a temporary directory.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::path::Path;

/// The Common Name of the trusted CA.
pub const CA_NAME: &str = "etcd-test-ca";

/// The PEM files of one test.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
    trusted: CertifiedIssuer<'static, KeyPair>,
    /// The trusted CA.
    pub ca: String,
    /// The members' certificate and key (server and client use).
    pub member: (String, String),
    /// A client's certificate and key.
    pub client: (String, String),
    /// A certificate and key from an untrusted CA.
    pub stranger: (String, String),
    /// A key that matches none of the certificates.
    pub other_key: String,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA")
}

/// Writes `text` to `dir/name` and returns its path.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write PEM");
    path.display().to_string()
}

/// `<name>.pem` and `<name>-key.pem` in `dir`: a certificate with Common
/// Name `name` for 127.0.0.1 and localhost, signed by `issuer`.
fn leaf(
    dir: &Path,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    name: &str,
    uses: Vec<ExtendedKeyUsagePurpose>,
) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = uses;
    let cert = params.signed_by(&key, issuer).expect("sign");
    (
        write(dir, &format!("{name}.pem"), &cert.pem()),
        write(dir, &format!("{name}-key.pem"), &key.serialize_pem()),
    )
}

fn client_only() -> Vec<ExtendedKeyUsagePurpose> {
    vec![ExtendedKeyUsagePurpose::ClientAuth]
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let trusted = ca(CA_NAME);
        let untrusted = ca("another CA");
        let both = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let other_key = KeyPair::generate().expect("key").serialize_pem();
        Pki {
            ca: write(d, "ca.pem", &trusted.pem()),
            member: leaf(d, &trusted, "member", both),
            client: leaf(d, &trusted, "client", client_only()),
            stranger: leaf(d, &untrusted, "stranger", client_only()),
            other_key: write(d, "other-key.pem", &other_key),
            trusted,
            dir,
        }
    }

    /// A client certificate from the trusted CA with Common Name `name`.
    pub fn client_named(&self, name: &str) -> (String, String) {
        leaf(self.dir.path(), &self.trusted, name, client_only())
    }

    /// An HTTPS client trusting the CA (and nothing else), presenting
    /// `identity` (a certificate and its key) when given.
    pub fn https_client(&self, identity: Option<&(String, String)>) -> reqwest::Client {
        let ca = std::fs::read(&self.ca).expect("read the CA");
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"));
        if let Some((cert, key)) = identity {
            let mut pem = std::fs::read(cert).expect("read the certificate");
            pem.extend(std::fs::read(key).expect("read the key"));
            builder = builder.identity(reqwest::Identity::from_pem(&pem).expect("identity PEM"));
        }
        builder.build().expect("an HTTPS client")
    }

    /// A path in the directory that does not exist.
    pub fn missing(&self) -> String {
        self.dir.path().join("missing.pem").display().to_string()
    }
}
