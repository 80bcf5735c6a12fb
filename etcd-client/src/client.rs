//! `Client` and `ClientBuilder`: endpoints, timeouts, credentials, TLS and the request hook.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;

use crate::error::Error;
use crate::Result;

/// What the request hook sees of each HTTP request, once per endpoint tried.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RequestInfo<'a> {
    /// `GET`, `PUT`, `POST` or `DELETE`.
    pub method: &'a str,
    /// The full URL, query included, as sent.
    pub url: &'a str,
    /// The body, for requests that have one (an empty form is `Some(b"")`).
    pub body: Option<&'a [u8]>,
}

type Hook = Arc<dyn Fn(&RequestInfo<'_>) + Send + Sync>;

/// The per-request timeout when none is set.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Configures a [`Client`].
///
/// ```no_run
/// # async fn demo() -> etcd_client::Result<()> {
/// use std::time::Duration;
/// let client = etcd_client::Client::builder()
///     .endpoints(["http://10.0.0.1:2379", "http://10.0.0.2:2379"])
///     .request_timeout(Duration::from_secs(1))
///     .total_timeout(Duration::from_secs(5))
///     .basic_auth("root", "secret")
///     .sync_endpoints(true)
///     .connect()
///     .await?;
/// # let _ = client; Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder {
    endpoints: Vec<String>,
    request_timeout: Duration,
    total_timeout: Option<Duration>,
    credentials: Option<(String, String)>,
    ca_pem: Vec<Vec<u8>>,
    /// The client certificate chain and its key (PEM).
    identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    tls_error: Option<String>,
    sync: bool,
    hook: Option<Hook>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoints", &self.endpoints)
            .field("request_timeout", &self.request_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("username", &self.credentials.as_ref().map(|c| &c.0))
            .field("sync", &self.sync)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            endpoints: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            total_timeout: None,
            credentials: None,
            ca_pem: Vec::new(),
            identity_pem: None,
            tls_error: None,
            sync: false,
            hook: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with no endpoints, a 5 s per-request timeout and no total deadline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one endpoint (`http://host:port` or `https://host:port`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.push(url.into());
        self
    }

    /// Adds several endpoints, tried in this order.
    pub fn endpoints<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.endpoints.extend(urls.into_iter().map(Into::into));
        self
    }

    /// How long one endpoint may take to answer before the next one is tried.
    /// Watches apply it to the arrival of the response headers only.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// A deadline for a whole call, every endpoint tried included, and for the
    /// initial member sync of [`ClientBuilder::connect`]. Watches are not bounded by it.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// Sends HTTP basic authentication with every request.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((username.into(), password.into()));
        self
    }

    /// Trusts the PEM certificates in `path` (and only those) for `https` endpoints.
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        match std::fs::read(path.as_ref()) {
            Ok(pem) => self.ca_pem.push(pem),
            Err(e) => self.note_tls_error(format!("{}: {e}", path.as_ref().display())),
        }
        self
    }

    /// Trusts the given PEM certificates (and only those) for `https` endpoints.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem.push(pem.into());
        self
    }

    /// Presents the client certificate in `cert` with the private key in `key` (PEM files).
    pub fn client_cert_files(mut self, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        match (read(cert.as_ref()), read(key.as_ref())) {
            (Ok(c), Ok(k)) => self = self.client_cert_pem(c, k),
            (Err(e), _) | (_, Err(e)) => self.note_tls_error(e),
        }
        self
    }

    /// Presents a client certificate and private key given as PEM (checked
    /// at [`ClientBuilder::build`] as Go's `tls.X509KeyPair` checks them).
    pub fn client_cert_pem(mut self, cert: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        self.identity_pem = Some((cert.into(), key.into()));
        self
    }

    /// Before the first request, replace the endpoint list with the members'
    /// advertised client URLs (the endpoints given stay in the list, after them).
    pub fn sync_endpoints(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// Calls `hook` before each HTTP request is sent (once per endpoint tried).
    pub fn on_request(mut self, hook: impl Fn(&RequestInfo<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    fn note_tls_error(&mut self, e: String) {
        self.tls_error.get_or_insert(e);
    }

    /// Builds the client without any network I/O (no member sync).
    ///
    /// # Errors
    /// [`Error::NoEndpoints`] without endpoints, [`Error::Url`] for a malformed
    /// endpoint, [`Error::Tls`] for unreadable or invalid certificates.
    pub fn build(self) -> Result<Client> {
        if let Some(e) = self.tls_error {
            return Err(Error::Tls(e));
        }
        let endpoints = self
            .endpoints
            .iter()
            .map(|e| Endpoint::parse(e))
            .collect::<Result<Vec<_>>>()?;
        if endpoints.is_empty() {
            return Err(Error::NoEndpoints);
        }
        let mut http = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true);
        if !self.ca_pem.is_empty() {
            http = http.tls_built_in_root_certs(false);
            for pem in &self.ca_pem {
                let certs = reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| Error::Tls(format!("CA certificate: {e}")))?;
                if certs.is_empty() {
                    return Err(Error::Tls("CA file holds no certificate".into()));
                }
                for c in certs {
                    http = http.add_root_certificate(c);
                }
            }
        }
        if let Some((cert, key)) = &self.identity_pem {
            // Go's checks and texts (`tls: private key does not match public
            // key`); `Error::Tls` adds the `tls: ` itself.
            crate::gotls::key_pair(cert, key)
                .map_err(|e| Error::Tls(e.strip_prefix("tls: ").map(str::to_owned).unwrap_or(e)))?;
            let mut pem = cert.clone();
            pem.push(b'\n');
            pem.extend_from_slice(key);
            let id = reqwest::Identity::from_pem(&pem)
                .map_err(|e| Error::Tls(format!("client certificate: {e}")))?;
            http = http.identity(id);
        }
        let http = http.build().map_err(|e| Error::Tls(e.to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                given: endpoints.clone(),
                endpoints: Mutex::new(EndpointSet {
                    list: endpoints,
                    pinned: 0,
                }),
                request_timeout: self.request_timeout,
                total_timeout: self.total_timeout,
                credentials: self.credentials,
                hook: self.hook,
                sync: self.sync,
            }),
        })
    }

    /// Builds the client and, when [`ClientBuilder::sync_endpoints`] is on,
    /// syncs the endpoint list from the cluster (bounded by the total timeout).
    ///
    /// # Errors
    /// Those of [`ClientBuilder::build`] and of [`Client::sync`].
    pub async fn connect(self) -> Result<Client> {
        let client = self.build()?;
        if client.inner.sync {
            client.sync().await?;
        }
        Ok(client)
    }
}

/// One member URL, kept both parsed and as the user spelled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `scheme://host:port`, no trailing slash: how errors and the hook name it.
    pub(crate) display: String,
    /// The URL's own path (usually empty), below which the API lives.
    pub(crate) base_path: String,
    /// `host:port` for dial errors; empty for an endpoint without a host.
    pub(crate) address: String,
}

impl Endpoint {
    /// `http://` with no host, what an empty item of a comma-separated list
    /// becomes: shown as `http:`, and every request to it fails (Go's
    /// `http: no Host in request URL`) so the next endpoint is tried.
    pub(crate) fn no_host(&self) -> bool {
        self.address.is_empty()
    }

    pub(crate) fn parse(raw: &str) -> Result<Endpoint> {
        if let Some(scheme) = raw
            .strip_suffix("://")
            .filter(|s| matches!(*s, "http" | "https"))
        {
            return Ok(Endpoint {
                display: format!("{scheme}:"),
                base_path: String::new(),
                address: String::new(),
            });
        }
        let url = Url::parse(raw).map_err(|e| Error::Url(format!("{raw}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Url(format!(
                "{raw}: unsupported scheme {:?} (use http or https)",
                url.scheme()
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| Error::Url(format!("{raw}: no host")))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        Ok(Endpoint {
            display: format!("{}://{authority}", url.scheme()),
            base_path: url.path().trim_end_matches('/').to_owned(),
            address: format!("{host}:{port}"),
        })
    }
}

#[derive(Debug)]
pub(crate) struct EndpointSet {
    pub(crate) list: Vec<Endpoint>,
    /// The endpoint that answered last; tried first.
    pub(crate) pinned: usize,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// The endpoints the user gave; a sync never drops them.
    pub(crate) given: Vec<Endpoint>,
    // A std mutex: held only to copy or swap the list, never across an await.
    pub(crate) endpoints: Mutex<EndpointSet>,
    pub(crate) request_timeout: Duration,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) hook: Option<Hook>,
    sync: bool,
}

/// A handle on an etcd cluster. Cheap to clone; clones share connections and
/// the endpoint list.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.endpoints())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `endpoints` with default settings.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new<I, S>(endpoints: I) -> Result<Client>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClientBuilder::new().endpoints(endpoints).build()
    }

    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The endpoints in use, in the order they are tried after the pinned one.
    pub fn endpoints(&self) -> Vec<String> {
        self.lock_endpoints()
            .list
            .iter()
            .map(|e| e.display.clone())
            .collect()
    }

    pub(crate) fn lock_endpoints(&self) -> std::sync::MutexGuard<'_, EndpointSet> {
        // A poisoned lock only means another thread panicked while swapping a
        // plain Vec; the data is still whole.
        self.inner
            .endpoints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces the endpoint list with the members' advertised client URLs,
    /// followed by any given endpoint (with a host) not among them. Returns
    /// the new list.
    ///
    /// # Errors
    /// [`Error::NoEndpoints`] when no member advertises a client URL (the list
    /// is left unchanged), or the error of the `/v2/members` request.
    pub async fn sync(&self) -> Result<Vec<String>> {
        let members = self.members().list().await?;
        let mut list: Vec<Endpoint> = Vec::new();
        for m in &members {
            for url in &m.client_urls {
                let ep = Endpoint::parse(url)?;
                if !list.contains(&ep) {
                    list.push(ep);
                }
            }
        }
        if list.is_empty() {
            return Err(Error::NoEndpoints);
        }
        for ep in &self.inner.given {
            if !ep.no_host() && !list.contains(ep) {
                list.push(ep.clone());
            }
        }
        let mut set = self.lock_endpoints();
        let pinned = set.list.get(set.pinned).cloned();
        set.pinned = pinned
            .and_then(|p| list.iter().position(|e| *e == p))
            .unwrap_or(0);
        set.list = list;
        Ok(set.list.iter().map(|e| e.display.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_and_display_without_trailing_slash() {
        let e = Endpoint::parse("http://127.0.0.1:2379/").unwrap();
        assert_eq!(e.display, "http://127.0.0.1:2379");
        assert_eq!(e.base_path, "");
        assert_eq!(e.address, "127.0.0.1:2379");
        let e = Endpoint::parse("https://etcd.example/proxy/").unwrap();
        assert_eq!(e.display, "https://etcd.example");
        assert_eq!(e.base_path, "/proxy");
        assert_eq!(e.address, "etcd.example:443");
        let e = Endpoint::parse("http://").unwrap();
        assert_eq!((e.display.as_str(), e.no_host()), ("http:", true));
        assert!(matches!(Endpoint::parse("unix:///x"), Err(Error::Url(_))));
        assert!(matches!(
            Endpoint::parse("127.0.0.1:2379"),
            Err(Error::Url(_))
        ));
    }

    #[test]
    fn builder_refuses_bad_input() {
        assert!(matches!(Client::builder().build(), Err(Error::NoEndpoints)));
        let missing = Client::builder()
            .endpoint("http://127.0.0.1:1")
            .ca_file("/nonexistent/ca.pem")
            .build();
        assert!(matches!(missing, Err(Error::Tls(m)) if m.contains("/nonexistent/ca.pem")));
        let garbage = Client::builder()
            .endpoint("http://127.0.0.1:1")
            .ca_pem("not a certificate")
            .build();
        assert!(matches!(garbage, Err(Error::Tls(_))));
    }
}
