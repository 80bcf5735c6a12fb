//! Client-certificate login: with `--client-cert-auth` and auth enabled, a
//! request without an `Authorization` header is the first existing user
//! named by the Common Name of a certificate of its connection's verified
//! client chain, in the reference's order (checked against 3.4.23): the
//! leaf first, then the intermediates the client sent, then the trusted CA
//! that signed the chain; no password is asked. Without such a user it is
//! the guest.
//!
//! - [`CertLogin`]: what a client listener needs to name those
//!   certificates, the trusted CAs; [`super::server_config`] makes one for
//!   client listeners with `--client-cert-auth` (a trusted CA file alone
//!   requires certificates but logs nobody in, as in the reference).
//! - [`with_client_names`] runs one request with the names of its
//!   connection's chain, which [`client_names`] reads back
//!   (`crate::auth::access` does, when the request has no credentials).

use rustls::pki_types::CertificateDer;
use std::future::Future;
use std::sync::Arc;
use x509_parser::certificate::X509Certificate;
use x509_parser::x509::X509Name;

/// A trusted CA certificate: its subject (as encoded) and Common Name.
#[derive(Debug, Clone)]
struct Anchor {
    subject: Vec<u8>,
    name: String,
}

/// The trusted CAs of a client listener with `--client-cert-auth`.
#[derive(Debug, Clone, Default)]
pub struct CertLogin {
    anchors: Vec<Anchor>,
}

/// The Common Name of `name` as Go reads it: the last CN attribute that is
/// a string, or `""` when there is none.
fn common_name(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .last()
        .unwrap_or_default()
        .to_owned()
}

fn parse<'a>(der: &'a CertificateDer<'_>) -> Option<X509Certificate<'a>> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, cert)| cert)
}

impl CertLogin {
    /// From the certificates of the trusted CA file (one that cannot be
    /// parsed is left out: it cannot have signed a verified chain either).
    pub fn new(cas: &[CertificateDer<'_>]) -> CertLogin {
        let anchors = cas
            .iter()
            .filter_map(|der| parse(der))
            .map(|ca| Anchor {
                subject: ca.subject().as_raw().to_vec(),
                name: common_name(ca.subject()),
            })
            .collect();
        CertLogin { anchors }
    }

    /// The Common Names of the chain from `presented` (what the client sent,
    /// leaf first, already verified by the handshake) up to a trusted CA,
    /// in that order: the leaf, each intermediate whose subject issued the
    /// one before, then the trusted CA that issued the last of them.
    /// Empty when the client sent no certificate.
    pub fn names(&self, presented: &[CertificateDer<'_>]) -> Vec<String> {
        let certs: Vec<X509Certificate<'_>> =
            presented.iter().filter_map(|der| parse(der)).collect();
        let Some(leaf) = certs.first() else {
            return Vec::new();
        };
        let mut names = vec![common_name(leaf.subject())];
        let mut used = vec![false; certs.len()];
        used[0] = true;
        let mut current = leaf;
        loop {
            let issuer = current.issuer().as_raw();
            if let Some(ca) = self.anchors.iter().find(|a| a.subject == issuer) {
                names.push(ca.name.clone());
                return names;
            }
            let next = certs
                .iter()
                .enumerate()
                .find(|(i, cert)| !used[*i] && cert.subject().as_raw() == issuer);
            let Some((i, cert)) = next else {
                return names;
            };
            used[i] = true;
            names.push(common_name(cert.subject()));
            current = cert;
        }
    }
}

tokio::task_local! {
    /// The names of the current request's client certificate chain.
    static CLIENT_NAMES: Option<Arc<[String]>>;
}

/// Runs `request` (one request's handling) with `names`, the names of its
/// connection's client certificate chain, if any. Not an `async fn`: that
/// would keep `request` as its argument beside the running copy of it,
/// doubling the size of every request's future (which the connection moves
/// into place once per request).
pub fn with_client_names<F: Future>(
    names: Option<Arc<[String]>>,
    request: F,
) -> impl Future<Output = F::Output> {
    CLIENT_NAMES.scope(names, request)
}

/// The names of the current request's client certificate chain (set by
/// [`with_client_names`]): `None` outside one, or on a connection that
/// does not log in by certificate.
pub fn client_names() -> Option<Arc<[String]>> {
    CLIENT_NAMES.try_with(Clone::clone).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

    fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
    }

    fn signed(params: CertificateParams, by: &CertifiedIssuer<'static, KeyPair>) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        params.signed_by(&key, by).unwrap().der().to_vec()
    }

    fn leaf(cn: Option<&str>, by: &CertifiedIssuer<'static, KeyPair>) -> CertificateDer<'static> {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "acme");
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        CertificateDer::from(signed(params, by))
    }

    fn der(ca: &CertifiedIssuer<'static, KeyPair>) -> CertificateDer<'static> {
        CertificateDer::from(ca.der().to_vec())
    }

    #[test]
    fn tls_names_go_from_the_leaf_to_the_trusted_ca() {
        let root = ca("carol");
        let login = CertLogin::new(&[der(&ca("other")), der(&root)]);
        assert_eq!(
            login.names(&[leaf(Some("alice"), &root)]),
            ["alice", "carol"]
        );
        assert_eq!(login.names(&[leaf(None, &root)]), ["", "carol"]);
        assert!(login.names(&[]).is_empty());

        // An intermediate the client sends sits between them; certificates
        // of no use to the chain are skipped.
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "dave");
        let key = KeyPair::generate().unwrap();
        let dave = CertifiedIssuer::signed_by(params, key, &root).unwrap();
        let chain = [leaf(Some("bob"), &dave), leaf(Some("x"), &root), der(&dave)];
        assert_eq!(login.names(&chain), ["bob", "dave", "carol"]);

        // A CA of the file that is also sent ends the chain there.
        let login = CertLogin::new(&[der(&dave)]);
        assert_eq!(login.names(&chain), ["bob", "dave"]);
    }

    #[tokio::test]
    async fn tls_names_are_those_of_the_current_request() {
        assert_eq!(client_names(), None);
        let names: Arc<[String]> = Arc::from(vec!["alice".to_owned()]);
        let seen = with_client_names(Some(names.clone()), async { client_names() }).await;
        assert_eq!(seen, Some(names));
        assert_eq!(
            with_client_names(None, async { client_names() }).await,
            None
        );
    }

    /// The wrapper adds a few words to a request's future, not a second copy
    /// of it: hyper moves that future into place on every request.
    #[test]
    fn the_wrapper_does_not_copy_the_request_future() {
        let request = async {
            let state = [7u8; 4096];
            tokio::task::yield_now().await;
            state.iter().map(|&b| u64::from(b)).sum::<u64>()
        };
        let inner = std::mem::size_of_val(&request);
        assert!(inner >= 4096, "the test future holds its state: {inner}");
        let wrapped = with_client_names(None, request);
        let outer = std::mem::size_of_val(&wrapped);
        assert!(
            outer <= inner + 64,
            "{outer} bytes around a {inner}-byte future"
        );
    }
}
