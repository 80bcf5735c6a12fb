//! TLS for this member, over rustls with the ring provider.
//!
//! - [`TlsInfo`]: one side's flags (`--cert-file`, `--key-file`,
//!   `--trusted-ca-file`, `--client-cert-auth`, or their `--peer-` forms).
//! - [`setup`]: the start-up work the reference does for its listeners, in
//!   its order and with its messages: the `peerTLS:`/`ClientTLS:` lines, the
//!   warnings for `http://` URLs given key files, the refusal of an
//!   `https://` URL without a key pair, and the PEM files loaded into rustls
//!   configurations (`open x.pem: no such file or directory`,
//!   `tls: private key does not match public key`, ...). Unlike the
//!   reference, which finds a bad client key pair only once it serves, every
//!   file is checked before anything is bound or written.
//! - [`Listener`] and [`Stream`]: the accepting side; a TLS listener
//!   hands over a connection once its handshake is done.
//! - [`KeyPairFiles`]: the certificate and key, read again when their files
//!   change, so that certificates can be rotated without a restart.
//! - [`ServerTls`]: what an `https://` listener needs, its rustls
//!   configuration and, with `--client-cert-auth` on client listeners, the
//!   [`CertLogin`] that names users by client certificate (see [`identity`]).
//! - [`Outbound`] and [`connector`]: this member's own connections to other
//!   members' peer URLs (trusting `--peer-trusted-ca-file`, presenting the
//!   peer certificate) and to the leader's client URL (trusting
//!   `--trusted-ca-file`, presenting the client certificate). Without a CA
//!   file the Mozilla roots are trusted, as the reference trusts the system's.
//!
//! As in the reference, a trusted CA file alone makes a listener require
//! client certificates. `--client-cert-auth` without a trusted CA file is
//! refused at start (the reference would check client certificates against
//! the system's roots, so no certificate from a private CA would pass).

pub mod identity;
mod pem;
mod reload;
mod stream;

use crate::config::Url;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::fmt;
use std::sync::{Arc, OnceLock};
use tracing::{info, warn};

pub use identity::{client_names, with_client_names, CertLogin};
pub use reload::KeyPairFiles;
pub use stream::{Listener, Stream, HANDSHAKE_TIMEOUT};

/// Which listeners a [`TlsInfo`] is for; their flags are named differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `--listen-client-urls`: `--cert-file` and so on.
    Client,
    /// `--listen-peer-urls`: `--peer-cert-file` and so on.
    Peer,
}

impl Side {
    /// The flag `--<name>` of this side (`--peer-<name>` for peers).
    pub fn flag(self, name: &str) -> String {
        match self {
            Side::Client => format!("--{name}"),
            Side::Peer => format!("--peer-{name}"),
        }
    }
}

/// One side's TLS flags (the reference's `TLSInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// `--cert-file`: the PEM certificate chain, leaf first.
    pub cert_file: String,
    /// `--key-file`: the PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: String,
    /// `--trusted-ca-file`: PEM CA certificates that client certificates
    /// must chain to, and that this member trusts when it connects out.
    pub trusted_ca_file: String,
    /// `--client-cert-auth`.
    pub client_cert_auth: bool,
}

impl TlsInfo {
    /// Neither a certificate nor a key file given (the reference's
    /// `TLSInfo.Empty`).
    pub fn is_empty(&self) -> bool {
        self.cert_file.is_empty() && self.key_file.is_empty()
    }

    /// Whether connecting clients must present a certificate signed by the
    /// trusted CA: `--client-cert-auth`, or a trusted CA file alone.
    pub fn requires_client_cert(&self) -> bool {
        self.client_cert_auth || !self.trusted_ca_file.is_empty()
    }
}

impl fmt::Display for TlsInfo {
    /// The reference's start-up line text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cert = {}, key = {}, trusted-ca = {}, client-cert-auth = {}, crl-file = ",
            self.cert_file, self.key_file, self.trusted_ca_file, self.client_cert_auth
        )
    }
}

/// The crypto provider of every configuration here.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The certificate and key of `info`, checked to match.
///
/// # Errors
///
/// The reference's texts: `KeyFile and CertFile must both be present[key:
/// k, cert: c]`, `open c.pem: no such file or directory`, `tls: failed to
/// find any PEM data in certificate input`, `tls: private key does not
/// match public key`...
pub fn certified_key(info: &TlsInfo) -> Result<CertifiedKey, String> {
    if info.cert_file.is_empty() || info.key_file.is_empty() {
        return Err(format!(
            "KeyFile and CertFile must both be present[key: {}, cert: {}]",
            info.key_file, info.cert_file
        ));
    }
    let cert_pem = pem::read(&info.cert_file)?;
    let key_pem = pem::read(&info.key_file)?;
    etcd_client::gotls::key_pair(&cert_pem, &key_pem)
}

/// The certificates of the trusted CA file `path` (the `flag` that named
/// it is quoted when the file holds none).
fn ca_certificates(path: &str, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    pem::ca_certificates(&pem::read(path)?, path, flag)
}

/// `cas`, read from `path`, as trusted roots.
fn root_store(path: &str, cas: &[CertificateDer<'static>]) -> Result<Arc<RootCertStore>, String> {
    let mut store = RootCertStore::empty();
    for der in cas {
        store
            .add(der.clone())
            .map_err(|e| format!("x509: malformed certificate in {path}: {e}"))?;
    }
    Ok(Arc::new(store))
}

/// The trusted CA certificates in `path` as roots.
fn roots(path: &str, flag: &str) -> Result<Arc<RootCertStore>, String> {
    root_store(path, &ca_certificates(path, flag)?)
}

/// The Mozilla roots (the trust of a side without a CA file).
fn default_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            Arc::new(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
        })
        .clone()
}

/// The accepting side of one side's `https://` listeners.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The handshake settings.
    pub config: Arc<ServerConfig>,
    /// On client listeners with `--client-cert-auth`: how requests without
    /// credentials log in by certificate.
    pub login: Option<Arc<CertLogin>>,
}

/// The accepting side of `side`'s `https://` listeners.
///
/// # Errors
///
/// As [`certified_key`], then the CA file's: missing, holding no
/// certificate, or `--client-cert-auth` without one.
pub fn server_config(info: &TlsInfo, side: Side) -> Result<ServerTls, String> {
    let key = KeyPairFiles::load(info)?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?;
    let mut login = None;
    let builder = if !info.requires_client_cert() {
        builder.with_no_client_auth()
    } else if info.trusted_ca_file.is_empty() {
        return Err(format!(
            "{} needs {}: etcd-server checks client certificates only against that file",
            side.flag("client-cert-auth"),
            side.flag("trusted-ca-file")
        ));
    } else {
        let cas = ca_certificates(&info.trusted_ca_file, &side.flag("trusted-ca-file"))?;
        let roots = root_store(&info.trusted_ca_file, &cas)?;
        if side == Side::Client && info.client_cert_auth {
            login = Some(Arc::new(CertLogin::new(&cas)));
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
            .build()
            .map_err(|e| format!("tls: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder.with_cert_resolver(Arc::new(key));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        login,
    })
}

/// The connecting side: trusts `info`'s CA file (the Mozilla roots without
/// one) and presents `info`'s certificate when it has one.
///
/// # Errors
///
/// As [`certified_key`] when a certificate or key is given, and a missing
/// or empty CA file.
pub fn client_config(info: &TlsInfo, side: Side) -> Result<Arc<ClientConfig>, String> {
    let key = if info.is_empty() {
        None
    } else {
        Some(KeyPairFiles::load(info)?)
    };
    let roots = if info.trusted_ca_file.is_empty() {
        default_roots()
    } else {
        roots(&info.trusted_ca_file, &side.flag("trusted-ca-file"))?
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?
        .with_root_certificates(roots);
    let config = match key {
        Some(key) => builder.with_client_cert_resolver(Arc::new(key)),
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The TLS settings of this member's own outgoing connections.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// To other members' peer URLs (raft, forwarding, the join handshake).
    pub peer: Arc<ClientConfig>,
    /// To the leader's client URL (membership changes passed on to it).
    pub client: Arc<ClientConfig>,
}

impl Default for Outbound {
    /// The Mozilla roots, no client certificate.
    fn default() -> Outbound {
        let plain = client_config(&TlsInfo::default(), Side::Client)
            .expect("a configuration without files cannot fail");
        Outbound {
            peer: plain.clone(),
            client: plain,
        }
    }
}

static OUTBOUND: OnceLock<Outbound> = OnceLock::new();

/// Sets this process's outgoing TLS settings (one member per process); only
/// the first call counts, and it must come before the member starts.
pub fn set_outbound(outbound: Outbound) {
    let _ = OUTBOUND.set(outbound);
}

/// This process's outgoing TLS settings ([`Outbound::default`] unless
/// [`set_outbound`] was called).
pub fn outbound() -> &'static Outbound {
    OUTBOUND.get_or_init(Outbound::default)
}

/// The HTTP client connector of outgoing requests: `http://` URLs in the
/// clear, `https://` URLs over TLS with `config`.
pub type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A [`Connector`] with `config` (Nagle off).
pub fn connector(config: &ClientConfig) -> Connector {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config.clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http)
}

/// Whether `url` is one this member can reach (`http://` or `https://`).
pub fn is_reachable_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// What [`setup`] prepared.
#[derive(Debug, Clone)]
pub struct Setup {
    /// For the `https://` peer listeners (`None` when there are none).
    pub peer: Option<ServerTls>,
    /// For the `https://` client listeners (`None` when there are none).
    pub client: Option<ServerTls>,
    /// For this member's own connections.
    pub outbound: Outbound,
}

/// Checks and loads both sides' TLS files for the listen URLs given, as the
/// reference does when it sets up its listeners: the peer side first.
///
/// # Errors
///
/// The first problem, in the reference's words (the caller prints it as a
/// fatal `etcdmain` line and exits 1).
pub fn setup(
    peer: &TlsInfo,
    peer_urls: &[Url],
    client: &TlsInfo,
    client_urls: &[Url],
) -> Result<Setup, String> {
    let peer_server = listeners(peer, peer_urls, Side::Peer)?;
    // The reference's peer transport loads the files whatever the schemes.
    let peer_out = client_config(peer, Side::Peer)?;
    let client_server = listeners(client, client_urls, Side::Client)?;
    let client_out = client_config(client, Side::Client)?;
    Ok(Setup {
        peer: peer_server,
        client: client_server,
        outbound: Outbound {
            peer: peer_out,
            client: client_out,
        },
    })
}

/// One side's part of [`setup`]: its start-up line, the warnings for its
/// `http://` URLs, and the settings of its `https://` ones.
fn listeners(info: &TlsInfo, urls: &[Url], side: Side) -> Result<Option<ServerTls>, String> {
    let (title, name, files) = match side {
        Side::Peer => ("peerTLS", "peer", "peer key/cert files"),
        Side::Client => ("ClientTLS", "client", "key/cert files"),
    };
    if !info.is_empty() {
        info!(target: "embed", "{title}: {info}");
    }
    for u in urls.iter().filter(|u| !u.is_tls()) {
        if !info.is_empty() {
            // The reference says "peer key/cert files are presented" on both sides.
            warn!(target: "embed", "The scheme of {name} url {u} is HTTP while peer key/cert files are presented. Ignored {files}.");
        }
        if info.client_cert_auth {
            let flag = side.flag("client-cert-auth");
            warn!(target: "embed", "The scheme of {name} url {u} is HTTP while client cert auth ({flag}) is enabled. Ignored client cert auth for this url.");
        }
    }
    match urls.iter().find(|u| u.is_tls()) {
        None => Ok(None),
        Some(u) if info.is_empty() => Err(match side {
            Side::Peer => format!(
                "cannot listen on TLS for {}: KeyFile and CertFile are not presented",
                u.host_port()
            ),
            Side::Client => format!(
                "TLS key/cert (--cert-file, --key-file) must be provided for client url {u} with HTTPS scheme"
            ),
        }),
        Some(_) => server_config(info, side).map(Some),
    }
}

#[cfg(test)]
mod tests;
