//! Sending one API request: endpoint failover, timeouts, the request hook, and decoding.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::client::{Client, Endpoint};
use crate::encode::{api_path, Params};
use crate::error::{io_detail, ApiError, EndpointError, EndpointErrorKind, Error};
use crate::types::ErrorBody;
use crate::Result;

pub(crate) const FORM: &str = "application/x-www-form-urlencoded";
pub(crate) const JSON: &str = "application/json";

/// An API request, independent of the endpoint it will be sent to.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// `/v2/keys`, `/v2/members`, `/version` ...
    pub(crate) prefix: &'static str,
    /// The part below the prefix (a key, a member id); cleaned and escaped.
    pub(crate) key: String,
    pub(crate) query: Params,
    pub(crate) body: Option<(&'static str, Vec<u8>)>,
    /// Try one endpoint only and report its own error (no failover).
    pub(crate) one_shot: bool,
    /// A per-call override of the per-request timeout.
    pub(crate) timeout: Option<Duration>,
    /// 500 and 503 are answers here (`/health`), not a reason to try another member.
    pub(crate) server_errors_answer: bool,
}

impl ApiRequest {
    pub(crate) fn new(method: Method, prefix: &'static str, key: impl Into<String>) -> Self {
        ApiRequest {
            method,
            prefix,
            key: key.into(),
            query: Params::new(),
            body: None,
            one_shot: false,
            timeout: None,
            server_errors_answer: false,
        }
    }

    pub(crate) fn form(mut self, form: &Params) -> Self {
        self.body = Some((FORM, form.encode().into_bytes()));
        self
    }

    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Self {
        // Serialising plain data structs with string keys cannot fail.
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.body = Some((JSON, bytes));
        self
    }

    fn url(&self, ep: &Endpoint) -> String {
        let mut url = ep.display.clone();
        if ep.no_host() {
            url.push_str("//");
        }
        url.push_str(&api_path(&ep.base_path, self.prefix, &self.key));
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query.encode());
        }
        url
    }
}

/// A complete answer: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// How long an attempt may take: the whole exchange, or only until the headers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Whole,
    Headers,
}

impl Client {
    /// Sends `req`, failing over between endpoints, and reads the whole answer.
    /// Bounded by the total timeout.
    pub(crate) async fn execute(&self, req: ApiRequest) -> Result<RawResponse> {
        let deadline = self
            .inner
            .total_timeout
            .and_then(|total| Instant::now().checked_add(total));
        let run = async {
            let (resp, _) = self.try_endpoints(&req, Bound::Whole, deadline).await?;
            match resp {
                Attempt::Whole(raw) => Ok(raw),
                Attempt::Open(_) => unreachable!("whole-bound attempts read the body"),
            }
        };
        match deadline {
            Some(d) => tokio::time::timeout_at(d.into(), run)
                .await
                .map_err(|_| Error::Timeout)?,
            None => run.await,
        }
    }

    /// Sends `req` and returns as soon as the headers arrived (watches): the
    /// per-request timeout bounds the headers only and there is no total deadline.
    /// Also returns the endpoint that answered.
    pub(crate) async fn open(&self, req: &ApiRequest) -> Result<(reqwest::Response, String)> {
        let (resp, ep) = self.try_endpoints(req, Bound::Headers, None).await?;
        match resp {
            Attempt::Open(r) => Ok((r, ep)),
            Attempt::Whole(_) => unreachable!("header-bound attempts keep the body open"),
        }
    }

    /// Tries the endpoints from the pinned one on. No attempt starts once
    /// `deadline` has passed, however soon that is: the timer below it only
    /// fires at millisecond ticks, and a `--total-timeout` of `0s` or `1ns`
    /// must fail as it does with the reference.
    async fn try_endpoints(
        &self,
        req: &ApiRequest,
        bound: Bound,
        deadline: Option<Instant>,
    ) -> Result<(Attempt, String)> {
        let (list, pinned) = {
            let set = self.lock_endpoints();
            (set.list.clone(), set.pinned)
        };
        let n = list.len();
        let mut errors = Vec::new();
        for i in 0..n {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Error::Timeout);
            }
            let k = (pinned + i) % n;
            let ep = &list[k];
            match self.attempt(ep, req, bound).await {
                Ok(resp) => {
                    if k != pinned {
                        self.repin(ep, 0);
                    }
                    return Ok((resp, ep.display.clone()));
                }
                Err(kind) => {
                    let err = EndpointError {
                        endpoint: ep.display.clone(),
                        kind,
                    };
                    tracing::debug!(endpoint = %ep.display, error = %err, "request failed");
                    if req.one_shot {
                        self.repin(ep, 1);
                        return Err(Error::Endpoint(err));
                    }
                    errors.push(err);
                }
            }
        }
        Err(Error::ClusterUnavailable(errors))
    }

    /// Pins `ep` (offset 0) or the endpoint after it (offset 1), if still listed.
    fn repin(&self, ep: &Endpoint, offset: usize) {
        let mut set = self.lock_endpoints();
        if let Some(pos) = set.list.iter().position(|e| e == ep) {
            set.pinned = (pos + offset) % set.list.len();
        }
    }

    async fn attempt(
        &self,
        ep: &Endpoint,
        req: &ApiRequest,
        bound: Bound,
    ) -> std::result::Result<Attempt, EndpointErrorKind> {
        let url = req.url(ep);
        if let Some(hook) = &self.inner.hook {
            hook(&crate::client::RequestInfo {
                method: req.method.as_str(),
                url: &url,
                body: req.body.as_ref().map(|(_, b)| b.as_slice()),
            });
        }
        if ep.no_host() {
            return Err(EndpointErrorKind::NoHost);
        }
        let mut builder = self.inner.http.request(req.method.clone(), &url);
        if let Some((user, password)) = &self.inner.credentials {
            builder = builder.basic_auth(user, Some(password));
        }
        if let Some((content_type, body)) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let limit = req.timeout.unwrap_or(self.inner.request_timeout);
        let exchange = async {
            let resp = builder.send().await.map_err(|e| classify(&e, ep))?;
            let status = resp.status().as_u16();
            if bound == Bound::Headers && status < 500 {
                return Ok(Attempt::Open(resp));
            }
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| classify(&e, ep))?;
            Ok(Attempt::Whole(RawResponse {
                status,
                headers,
                body,
            }))
        };
        let result = tokio::time::timeout(limit, exchange)
            .await
            .map_err(|_| EndpointErrorKind::Timeout)??;
        if let Attempt::Whole(raw) = &result {
            match raw.status {
                500 | 503 if req.server_errors_answer => {}
                500 | 503 => {
                    let api = serde_json::from_slice::<ErrorBody>(&raw.body)
                        .ok()
                        .map(|b| ApiError::from_body(b, raw.status));
                    return Err(EndpointErrorKind::NoLeader(api));
                }
                s if s >= 500 => return Err(EndpointErrorKind::ServerError(s)),
                _ => {}
            }
        }
        Ok(result)
    }
}

#[derive(Debug)]
enum Attempt {
    Whole(RawResponse),
    Open(reqwest::Response),
}

/// Turns a transport error into the reason the endpoint is skipped.
pub(crate) fn classify(err: &reqwest::Error, ep: &Endpoint) -> EndpointErrorKind {
    if err.is_timeout() {
        return EndpointErrorKind::Timeout;
    }
    if let Some(detail) = crate::tls_error::tls_detail(err) {
        return EndpointErrorKind::Tls(detail);
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut io = None;
    let mut innermost = err.to_string();
    while let Some(e) = source {
        if let Some(x) = e.downcast_ref::<std::io::Error>() {
            io = Some(io_detail(x));
        }
        innermost = e.to_string();
        source = e.source();
    }
    if err.is_connect() {
        return EndpointErrorKind::Connect {
            address: ep.address.clone(),
            detail: io.unwrap_or(innermost),
        };
    }
    EndpointErrorKind::Transport(match io {
        Some(detail) => format!("{} {}: {detail}", err_method(err), ep.display),
        None => format!("{}: {innermost}", ep.display),
    })
}

fn err_method(err: &reqwest::Error) -> &'static str {
    if err.is_body() || err.is_decode() {
        "read"
    } else {
        "request"
    }
}

/// Decodes a JSON answer of a non-keys API: `ok` statuses give `T`, others an
/// [`Error::Http`] carrying the server's message.
pub(crate) fn decode_json<T: DeserializeOwned>(raw: &RawResponse, ok: &[u16]) -> Result<T> {
    if ok.contains(&raw.status) {
        return serde_json::from_slice(&raw.body).map_err(|e| Error::decode(e, &raw.body));
    }
    Err(http_error(raw))
}

/// Checks an answer without a body (204 and friends).
pub(crate) fn expect_status(raw: &RawResponse, ok: &[u16]) -> Result<()> {
    if ok.contains(&raw.status) {
        Ok(())
    } else {
        Err(http_error(raw))
    }
}

/// The error for a non-keys API answer: the `message` of a JSON body, else the body's text.
pub(crate) fn http_error(raw: &RawResponse) -> Error {
    #[derive(serde::Deserialize)]
    struct Message {
        message: String,
    }
    let message = match serde_json::from_slice::<Message>(&raw.body) {
        Ok(m) => m.message,
        Err(_) => String::from_utf8_lossy(&raw.body).trim_end().to_owned(),
    };
    Error::Http {
        status: raw.status,
        message,
    }
}
