//! Certificates made for the TLS tests (rcgen): a CA, member certificates
//! for 127.0.0.1 and localhost good for serving and for connecting out, a
//! client certificate, and a certificate from a CA nobody trusts; written as
//! PEM files into a temporary directory.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::path::PathBuf;

/// The PEM files of one test.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
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

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| -> String {
            let path: PathBuf = dir.path().join(name);
            std::fs::write(&path, text).expect("write PEM");
            path.display().to_string()
        };
        let leaf = |issuer: &CertifiedIssuer<'static, KeyPair>,
                    name: &str,
                    uses: Vec<ExtendedKeyUsagePurpose>| {
            let key = KeyPair::generate().expect("key");
            let mut params =
                CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                    .expect("params");
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = uses;
            let cert = params.signed_by(&key, issuer).expect("sign");
            (
                write(&format!("{name}.pem"), &cert.pem()),
                write(&format!("{name}-key.pem"), &key.serialize_pem()),
            )
        };
        let trusted = ca("etcd test CA");
        let untrusted = ca("another CA");
        let both = || {
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        };
        let client_only = || vec![ExtendedKeyUsagePurpose::ClientAuth];
        let other_key = KeyPair::generate().expect("key").serialize_pem();
        Pki {
            ca: write("ca.pem", &trusted.pem()),
            member: leaf(&trusted, "member", both()),
            client: leaf(&trusted, "client", client_only()),
            stranger: leaf(&untrusted, "stranger", client_only()),
            other_key: write("other-key.pem", &other_key),
            dir,
        }
    }

    /// A path in the directory that does not exist.
    pub fn missing(&self) -> String {
        self.dir.path().join("missing.pem").display().to_string()
    }
}
