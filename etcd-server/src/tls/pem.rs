//! PEM files of the server's TLS flags: read with Go's error texts, the key
//! pair checked as Go's `tls.X509KeyPair` checks it
//! ([`etcd_client::gotls`]), and the trusted CA bundle.

use etcd_client::gotls;
use rustls::pki_types::pem::SectionKind;
use rustls::pki_types::CertificateDer;

/// The file's bytes; a failure in the words of Go's `ioutil.ReadFile`
/// (`open x.pem: no such file or directory`).
pub(super) fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| crate::config::go_io_error(path, &e))
}

/// The certificates of a trusted CA file (`path`, named by `flag`). Unlike
/// the reference, which then trusts nothing, a file without any is refused.
pub(super) fn ca_certificates(
    input: &[u8],
    path: &str,
    flag: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = gotls::blocks(input)
        .into_iter()
        .filter(|(kind, _)| *kind == SectionKind::Certificate)
        .map(|(_, der)| CertificateDer::from(der))
        .collect();
    if certs.is_empty() {
        return Err(format!(
            "tls: failed to find any PEM certificate in {path} ({flag})"
        ));
    }
    Ok(certs)
}
