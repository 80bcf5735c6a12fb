//! The client's error type: server answers, transport failures and local mistakes.

use std::fmt;

use crate::types::{ErrorBody, ErrorCode};

/// Everything a call can fail with.
///
/// The `Display` texts follow the reference client's wording, so a command-line
/// tool can print them unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The keys API answered with a numbered etcd error (`100: Key not found ...`).
    #[error("{0}")]
    Api(ApiError),
    /// A non-keys API (members, auth, stats ...) answered with an error status.
    #[error("{message}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The server's message: the `message` field of a JSON body, or the
        /// trimmed text of a plain-text body.
        message: String,
    },
    /// The total deadline of the call passed before any member answered.
    #[error("context deadline exceeded")]
    Timeout,
    /// Every endpoint failed; each one's failure is kept, in the order tried.
    #[error("{}", cluster_message(.0))]
    ClusterUnavailable(Vec<EndpointError>),
    /// A request sent to one endpoint only (see `one_shot`) failed.
    #[error("{0}")]
    Endpoint(EndpointError),
    /// The cluster's member list has no client URLs to sync to.
    #[error("client: no endpoints available")]
    NoEndpoints,
    /// An endpoint or key could not be turned into a URL.
    #[error("{0}")]
    Url(String),
    /// TLS material could not be read or used.
    #[error("tls: {0}")]
    Tls(String),
    /// A successful answer whose body could not be decoded.
    #[error("client: failed to decode the answer: {message}")]
    Decode {
        /// What was wrong with the body.
        message: String,
        /// The body as received (lossily decoded).
        body: String,
    },
    /// The server answered with a status this API does not use.
    #[error("client: unexpected answer {status}: {body}")]
    UnexpectedStatus {
        /// The HTTP status code.
        status: u16,
        /// The body as received (lossily decoded).
        body: String,
    },
}

impl Error {
    /// The etcd error code, when the server answered with a numbered error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api(e) => Some(e.code),
            _ => None,
        }
    }

    /// True when no member could be reached or none answered in time, so the
    /// request may or may not have been applied.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Error::Timeout | Error::ClusterUnavailable(_) | Error::Endpoint(_)
        )
    }

    pub(crate) fn decode(err: impl fmt::Display, body: &[u8]) -> Self {
        Error::Decode {
            message: err.to_string(),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }
}

fn cluster_message(errors: &[EndpointError]) -> String {
    let mut s = String::from("client: etcd cluster is unavailable or misconfigured");
    for (i, e) in errors.iter().enumerate() {
        s.push_str(&format!("; error #{i}: {e}\n"));
    }
    s
}

/// A numbered error from the keys API, as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The etcd error number.
    pub code: ErrorCode,
    /// The server's message for it.
    pub message: String,
    /// What the error is about, usually the key.
    pub cause: String,
    /// The store index when the error happened.
    pub index: u64,
    /// The HTTP status it came with.
    pub status: u16,
}

impl ApiError {
    pub(crate) fn from_body(body: ErrorBody, status: u16) -> Self {
        ApiError {
            code: body.error_code,
            message: body.message,
            cause: body.cause,
            index: body.index,
            status,
        }
    }
}

impl fmt::Display for ApiError {
    /// `100: Key not found (/foo) [12]`, as etcdctl prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({}) [{}]",
            self.code, self.message, self.cause, self.index
        )
    }
}

impl std::error::Error for ApiError {}

/// Why one endpoint could not serve a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointError {
    /// The endpoint, as configured (`http://127.0.0.1:2379`).
    pub endpoint: String,
    /// What went wrong.
    pub kind: EndpointErrorKind,
}

/// The kinds of per-endpoint failure that make the client try the next endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointErrorKind {
    /// The TCP connection (or TLS handshake) failed; `detail` is the OS's reason
    /// in Go's words (`connection refused`).
    Connect {
        /// `host:port` that was dialled.
        address: String,
        /// The reason.
        detail: String,
    },
    /// No answer arrived within the per-request timeout.
    Timeout,
    /// The member answered 500 or 503: it has no leader or lost quorum. The
    /// numbered error it sent, if any, is kept.
    NoLeader(Option<ApiError>),
    /// The member answered another 5xx status.
    ServerError(u16),
    /// Any other transport failure (reset connection, broken body ...).
    Transport(String),
    /// The endpoint has no host (`http://`, an empty item of a list), so no
    /// request was sent.
    NoHost,
    /// The TLS handshake failed (the server's certificate is not trusted,
    /// the server wants a client certificate...), in Go's words
    /// (`x509: certificate signed by unknown authority`).
    Tls(String),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            EndpointErrorKind::Connect { address, detail } => {
                write!(f, "dial tcp {address}: connect: {detail}")
            }
            EndpointErrorKind::Timeout => write!(
                f,
                "client: endpoint {} exceeded header timeout",
                self.endpoint
            ),
            EndpointErrorKind::NoLeader(_) => {
                write!(f, "client: etcd member {} has no leader", self.endpoint)
            }
            EndpointErrorKind::ServerError(status) => write!(
                f,
                "client: etcd member {} returns server error [{}]",
                self.endpoint,
                status_text(*status)
            ),
            EndpointErrorKind::NoHost => f.write_str("http: no Host in request URL"),
            EndpointErrorKind::Transport(detail) | EndpointErrorKind::Tls(detail) => {
                f.write_str(detail)
            }
        }
    }
}

impl std::error::Error for EndpointError {}

/// Go's `http.StatusText` for the 5xx statuses.
fn status_text(status: u16) -> &'static str {
    match status {
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "",
    }
}

/// Go's wording for the common socket errors.
pub(crate) fn io_detail(err: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match err.kind() {
        K::ConnectionRefused => "connection refused".into(),
        K::ConnectionReset => "connection reset by peer".into(),
        K::TimedOut => "i/o timeout".into(),
        K::AddrNotAvailable => "cannot assign requested address".into(),
        _ => {
            // Drop Rust's " (os error N)" suffix; keep the OS text lower-cased as Go does.
            let text = err.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(port: u16) -> EndpointError {
        EndpointError {
            endpoint: format!("http://127.0.0.1:{port}"),
            kind: EndpointErrorKind::Connect {
                address: format!("127.0.0.1:{port}"),
                detail: "connection refused".into(),
            },
        }
    }

    #[test]
    fn cluster_error_reads_like_the_reference() {
        let e = Error::ClusterUnavailable(vec![refused(42398), refused(42399)]);
        assert_eq!(
            e.to_string(),
            "client: etcd cluster is unavailable or misconfigured; error #0: dial tcp \
             127.0.0.1:42398: connect: connection refused\n; error #1: dial tcp \
             127.0.0.1:42399: connect: connection refused\n"
        );
        assert!(e.is_unavailable());
        assert_eq!(e.code(), None);
    }

    #[test]
    fn api_error_reads_like_etcdctl() {
        let body = ErrorBody::new(ErrorCode::KEY_NOT_FOUND, "/foo", 12);
        let e = Error::Api(ApiError::from_body(body, 404));
        assert_eq!(e.to_string(), "100: Key not found (/foo) [12]");
        assert_eq!(e.code(), Some(ErrorCode::KEY_NOT_FOUND));
    }

    #[test]
    fn endpoint_errors_use_go_wording() {
        let base = |kind| EndpointError {
            endpoint: "http://10.0.0.1:2379".into(),
            kind,
        };
        assert_eq!(
            base(EndpointErrorKind::Timeout).to_string(),
            "client: endpoint http://10.0.0.1:2379 exceeded header timeout"
        );
        assert_eq!(
            base(EndpointErrorKind::NoLeader(None)).to_string(),
            "client: etcd member http://10.0.0.1:2379 has no leader"
        );
        assert_eq!(
            base(EndpointErrorKind::ServerError(502)).to_string(),
            "client: etcd member http://10.0.0.1:2379 returns server error [Bad Gateway]"
        );
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(io_detail(&io), "connection refused");
        let other = std::io::Error::from_raw_os_error(113);
        assert_eq!(io_detail(&other), "no route to host");
    }
}
