//! Certificates and keys read as Go's `crypto/tls` reads them, with its
//! error texts: `tls.X509KeyPair` (a certificate chain and the private key
//! that must match it). The client refuses a bad pair before it connects,
//! and the server before it listens, both in the reference's words.

use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// The PEM blocks of `input` in order, up to the first malformed one (Go's
/// `pem.Decode` loop stops there too).
pub fn blocks(input: &[u8]) -> Vec<(SectionKind, Vec<u8>)> {
    <(SectionKind, Vec<u8>)>::pem_slice_iter(input)
        .map_while(Result::ok)
        .collect()
}

/// A block's type line, as Go lists skipped blocks.
fn label(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Certificate => "CERTIFICATE",
        SectionKind::PublicKey => "PUBLIC KEY",
        SectionKind::RsaPrivateKey => "RSA PRIVATE KEY",
        SectionKind::PrivateKey => "PRIVATE KEY",
        SectionKind::EcPrivateKey => "EC PRIVATE KEY",
        SectionKind::Crl => "X509 CRL",
        SectionKind::Csr => "CERTIFICATE REQUEST",
        SectionKind::EchConfigList => "ECHCONFIG",
        _ => "UNKNOWN",
    }
}

fn is_private_key(kind: SectionKind) -> bool {
    matches!(
        kind,
        SectionKind::RsaPrivateKey | SectionKind::PrivateKey | SectionKind::EcPrivateKey
    )
}

/// Go's `%v` of a string slice: `[A B]`.
fn go_list(items: &[&str]) -> String {
    format!("[{}]", items.join(" "))
}

/// Every certificate of a `--cert-file` (the chain, leaf first).
pub fn certificates(input: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut chain = Vec::new();
    let mut skipped = Vec::new();
    for (kind, der) in blocks(input) {
        if kind == SectionKind::Certificate {
            chain.push(CertificateDer::from(der));
        } else {
            skipped.push(kind);
        }
    }
    if !chain.is_empty() {
        return Ok(chain);
    }
    Err(match skipped.as_slice() {
        [] => "tls: failed to find any PEM data in certificate input".to_owned(),
        [only] if is_private_key(*only) => "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched".to_owned(),
        kinds => format!(
            "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: {}",
            go_list(&kinds.iter().map(|k| label(*k)).collect::<Vec<_>>())
        ),
    })
}

/// The first private key of a `--key-file`.
pub fn private_key(input: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    let mut skipped = Vec::new();
    for (kind, der) in blocks(input) {
        if let Some(key) = PrivateKeyDer::from_pem(kind, der) {
            return Ok(key);
        }
        skipped.push(kind);
    }
    Err(match skipped.as_slice() {
        [] => "tls: failed to find any PEM data in key input".to_owned(),
        [SectionKind::Certificate] => {
            "tls: found a certificate rather than a key in the PEM for the private key".to_owned()
        }
        kinds => format!(
            "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks of the following types: {}",
            go_list(&kinds.iter().map(|k| label(*k)).collect::<Vec<_>>())
        ),
    })
}

/// Go's `tls.X509KeyPair`: the chain in `cert_pem` and the key in
/// `key_pem`, checked to match (keys loaded by rustls' ring provider).
///
/// # Errors
///
/// Go's texts: `tls: failed to find any PEM data in certificate input`,
/// `tls: private key does not match public key`...
pub fn key_pair(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, String> {
    let chain = certificates(cert_pem)?;
    let key = private_key(key_pem)?;
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(chain, key, &provider).map_err(key_pair_error)
}

/// A refused certificate and key pair, in the reference's words.
fn key_pair_error(e: rustls::Error) -> String {
    match e {
        rustls::Error::InconsistentKeys(_) => "tls: private key does not match public key".into(),
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            format!("x509: malformed certificate ({e})")
        }
        rustls::Error::General(_) => "tls: failed to parse private key".into(),
        other => format!("tls: {other}"),
    }
}
