//! The client listener: a hyper service that routes to the handlers, plus the
//! response helpers they share (headers, error bodies, Go-style plain-text
//! errors).
//!
//! Every answer carries the reference's CORS headers. Header names are written
//! in canonical case (`X-Etcd-Index`), as Go writes them, because scripts grep
//! `curl -i` output.

pub mod auth;
mod backup;
mod debug_vars;
pub mod host;
mod info;
mod keys;
pub mod keys_request;
mod members;
mod members_body;
pub mod peer;
mod stats;

use crate::app::App;
use crate::error::Error;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use keys_request::KeysPath;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

/// The body type of every answer.
pub type Body = BoxBody<Bytes, Infallible>;
/// An answer.
pub type Resp = Response<Body>;

/// Marks the response of a watch, which lasts as long as the client waits:
/// it is counted but kept out of the request duration histogram.
#[derive(Debug, Clone, Copy)]
pub struct Watching;

pub const JSON: &str = "application/json";
pub const TEXT: &str = "text/plain; charset=utf-8";

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

pub fn empty() -> Body {
    Empty::new().boxed()
}

/// Adds a header (names and values here are always valid).
pub fn set(resp: &mut Resp, name: &'static str, value: impl AsRef<str>) {
    resp.headers_mut().append(
        HeaderName::from_static(name),
        HeaderValue::from_str(value.as_ref()).expect("header values are ASCII"),
    );
}

/// Adds a numeric header. Formatted on the stack and copied once:
/// `HeaderValue::from(u64)` allocates twice (a buffer, then its sharing).
pub fn set_number(resp: &mut Resp, name: &'static str, value: u64) {
    let mut digits = itoa::Buffer::new();
    let value = HeaderValue::from_bytes(digits.format(value).as_bytes())
        .expect("decimal digits are a valid header value");
    resp.headers_mut()
        .append(HeaderName::from_static(name), value);
}

/// Adds `X-Etcd-Cluster-Id`.
pub fn set_cluster_id(resp: &mut Resp, app: &App) {
    resp.headers_mut().append(
        HeaderName::from_static("x-etcd-cluster-id"),
        app.cluster_id_header(),
    );
}

/// Headers an answer has room for before its header map grows: the three
/// CORS headers, a content type and the four `X-Etcd-*`/`X-Raft-*` headers
/// of a keys answer, with a little to spare.
const HEADER_ROOM: usize = 10;

/// An answer with the reference's CORS headers (first, as Go's sorted header
/// write puts them).
pub fn with_status(status: u16, body: Body) -> Resp {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).expect("valid status");
    *r.headers_mut() = hyper::HeaderMap::with_capacity(HEADER_ROOM);
    add_cors(r.headers_mut());
    r
}

/// A plain-text error as Go's `http.Error` writes it (text and a newline).
pub fn text_error(status: u16, text: &str) -> Resp {
    let mut r = with_status(status, full(format!("{text}\n")));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
    set(&mut r, "x-content-type-options", "nosniff");
    r
}

pub fn not_found() -> Resp {
    text_error(404, "404 page not found")
}

pub fn method_not_allowed(allow: &str) -> Resp {
    let mut r = text_error(405, "Method Not Allowed");
    set(&mut r, "allow", allow);
    r
}

/// Room a JSON body's buffer starts with: a key answer with a value and a
/// previous value of a few hundred bytes each fits without the buffer
/// growing (three copies from 128 bytes up), and an allocation under 1 KiB
/// stays among the allocator's cheap small ones.
const JSON_ROOM: usize = 1000;

/// `value` encoded as the reference does; `newline` as Go's `json.Encoder`
/// writes one.
pub fn json_body(value: &impl serde::Serialize, newline: bool) -> Vec<u8> {
    let mut body = Vec::with_capacity(JSON_ROOM);
    etcd_client::json::write(&mut body, value);
    if newline {
        body.push(b'\n');
    }
    body
}

/// A key answer or watch event line: `event` without the keys' namespace,
/// written as [`json_body`] would write it with a newline, by the direct
/// writer ([`etcd_client::trimmed::TrimmedResponse::write_json`]), since
/// every key request answers with one.
pub fn event_body(event: &crate::store::Event, with_nodes: bool) -> Vec<u8> {
    let mut body = Vec::with_capacity(JSON_ROOM);
    event
        .to_response(crate::store::KEYS_PREFIX, with_nodes)
        .write_json(&mut body);
    body.push(b'\n');
    body
}

/// A JSON answer ([`json_body`]).
pub fn json_resp(status: u16, value: &impl serde::Serialize, newline: bool) -> Resp {
    json_bytes_resp(status, json_body(value, newline))
}

/// A JSON answer of an encoded `body`.
pub fn json_bytes_resp(status: u16, body: Vec<u8>) -> Resp {
    let mut r = with_status(status, full(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    r
}

/// A keys API error: status from the error table, `X-Etcd-Index` from the
/// error, the `/1` namespace trimmed from the cause.
pub fn etcd_error(app: &App, err: &Error) -> Resp {
    let mut r = json_resp(
        err.http_status(),
        &err.to_body(crate::store::KEYS_PREFIX),
        true,
    );
    set_cluster_id(&mut r, app);
    set_number(&mut r, "x-etcd-index", err.index);
    r
}

/// Go's ServeMux answer to an uncleaned path: 301 to the cleaned one (query
/// kept), with a small HTML body for GET and HEAD.
pub fn redirect(method: &Method, location: &str) -> Resp {
    let mut r = with_status(301, empty());
    if method == Method::GET || method == Method::HEAD {
        let href = location
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&#34;")
            .replace('\'', "&#39;");
        r = with_status(
            301,
            full(format!("<a href=\"{href}\">Moved Permanently</a>.\n\n")),
        );
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    set(&mut r, "location", location);
    r
}

/// The CORS headers of every client listener answer that reaches etcd's
/// handlers.
const CORS: [(&str, &str); 3] = [
    (
        "access-control-allow-headers",
        "accept, content-type, authorization",
    ),
    (
        "access-control-allow-methods",
        "POST, GET, OPTIONS, PUT, DELETE",
    ),
    ("access-control-allow-origin", "*"),
];

fn add_cors(h: &mut hyper::HeaderMap) {
    for (name, value) in CORS {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

/// Takes out what [`add_cors`] puts in.
fn remove_cors(h: &mut hyper::HeaderMap) {
    for (name, _) in CORS {
        h.remove(name);
    }
}

/// Go's answer to a path with a bad percent escape: 400, plain text, no CORS
/// headers, and the connection is closed.
pub fn bad_request() -> Resp {
    early_bad_request("Bad Request")
}

/// A 400 that Go's HTTP server writes before any handler runs: the status
/// line ends with `reason` (Go adds what was wrong to `Bad Request`), the
/// plain-text body repeats it after the code, there are no CORS headers, and
/// the connection is closed.
pub fn early_bad_request(reason: &'static str) -> Resp {
    let mut r = Response::new(full(format!("400 {reason}")));
    *r.status_mut() = StatusCode::BAD_REQUEST;
    if reason != "Bad Request" {
        r.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(reason.as_bytes()));
    }
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
    set(&mut r, "connection", "close");
    r
}

/// The answer to a request for `*` (the server as a whole), as Go's server
/// and request router give it: `OPTIONS` gets an empty 200 without CORS
/// headers (the server answers it before any handler), every other method
/// an empty 400 that closes an HTTP/1.1 connection.
fn asterisk<B>(req: &Request<B>) -> Option<Resp> {
    if req.uri() != "*" {
        return None;
    }
    if req.method() == Method::OPTIONS {
        let mut r = with_status(200, empty());
        remove_cors(r.headers_mut());
        return Some(r);
    }
    let mut r = with_status(400, empty());
    if req.version() >= hyper::Version::HTTP_11 {
        set(&mut r, "connection", "close");
    }
    Some(r)
}

/// Answers one client request.
pub async fn route(app: Arc<App>, req: Request<Incoming>) -> Resp {
    if let Some(r) = asterisk(&req) {
        return r;
    }
    let start = Instant::now();
    let method = req.method().clone();
    let raw_path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let mut keys_label = None;
    let resp = match keys_request::key_path(&raw_path, query.as_deref()) {
        Some(KeysPath::BadRequest) => return bad_request(),
        _ if method == Method::OPTIONS => with_status(200, empty()),
        Some(path) => {
            let (resp, label) = keys::handle(&app, req, path).await;
            keys_label = label;
            resp
        }
        // Go's ServeMux cleans every decoded path (keeping a trailing slash)
        // and redirects when that changes it.
        None => match keys_request::unescape_path(&raw_path) {
            None => return bad_request(),
            Some(decoded) => match keys_request::redirect_location(&decoded, query.as_deref()) {
                Some(location) => redirect(&method, &location),
                None => {
                    let decoded = String::from_utf8_lossy(&decoded).into_owned();
                    // Boxed: every request's future is as large as its
                    // largest branch, and hyper moves it into place once per
                    // request; these rare pages would otherwise set that size
                    // for every key request too.
                    if decoded == backup::PATH {
                        Box::pin(backup::handle(&app, &method, req.headers())).await
                    } else {
                        Box::pin(info::handle(&app, &method, &decoded, req)).await
                    }
                }
            },
        },
    };
    let status = resp.status().as_u16();
    let watch = resp.extensions().get::<Watching>().is_some();
    let seconds = (!watch).then(|| start.elapsed().as_secs_f64());
    app.metrics.request(&method, status, seconds);
    // The reference's keys figures leave watches out too.
    if let (Some(label), Some(seconds)) = (keys_label, seconds) {
        app.metrics.keys_answered(label, status, seconds);
    }
    resp
}

/// The peer listener: the raft RPCs and the member list (`/raft/...` and
/// a GET of `/members`, see [`peer`]), and `/version`. What the client
/// listener's helpers answer here loses their CORS headers: the reference's
/// peer listener sends none.
pub async fn peer_route(state: &peer::PeerState, req: Request<Incoming>) -> Resp {
    let path = req.uri().path();
    let get = req.method() == Method::GET;
    if path.starts_with("/raft/") || (path == peer::MEMBERS_PATH && get) {
        return peer::route(state, req).await;
    }
    let mut resp = match asterisk(&req) {
        Some(r) => r,
        None if path == "/version" && get => info::version(),
        None if path == "/version" || path == peer::MEMBERS_PATH => method_not_allowed("GET"),
        None => not_found(),
    };
    remove_cors(resp.headers_mut());
    resp
}
