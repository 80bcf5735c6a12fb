//! Parsing of `/v2/keys` requests, without any I/O: the key from the URL path
//! (Go `ServeMux` cleaning and its 301 redirects), the parameters from the
//! query string and a form body (Go `Request.ParseForm`), their validation in
//! the reference's order with its exact errors, and the store command a write
//! becomes (spec keys-api.md §1, §4, §6.1, §7, §8, §10, §11; watch.md §1, §4).

mod go_form;

use crate::error::Error;
use crate::raft::Request;
use crate::store::{Command, KEYS_PREFIX};
use etcd_client::ErrorCode;
use go_form::{
    escape_path, go_parse_uint, is_mux_clean, mux_clean, parse_form, parse_media_type, unescape,
};
use std::fmt::Write as _;

/// The URL prefix of the keys API.
pub const KEYS_ROUTE: &str = "/v2/keys";

/// The largest form body Go's `ParseForm` reads (10 MiB); one byte more is
/// error 210 `http: POST too large`.
pub const MAX_FORM_BODY: usize = 10 * 1024 * 1024;

/// The only body type that is parsed (for `PUT` and `POST`).
pub const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

// ---------------------------------------------------------------------------
// The path.

/// Where a request path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysPath {
    /// The user key (`/foo`, `/` for the root), percent-decoded, without a
    /// trailing slash.
    Clean(String),
    /// Go's `ServeMux` answers `301` with this `Location` (the cleaned path,
    /// escaped again the way Go's `url.URL` does, plus `?` and the original
    /// raw query when there is one).
    Redirect(String),
    /// The path holds an invalid percent escape (`%zz`, a `%` near the end):
    /// Go's server refuses the request before any routing, whatever the path,
    /// with exactly `HTTP/1.1 400 Bad Request`, `Content-Type: text/plain;
    /// charset=utf-8`, `Connection: close` and the body `400 Bad Request` (no
    /// newline, no CORS headers), then closes the connection.
    BadRequest,
}

/// Decodes a raw (percent-encoded) request path as Go's `url.ParseRequestURI`
/// does: every `%XX` becomes its byte (`%2F` a `/`), `+` stays `+`. `None` for
/// an invalid escape (see [`KeysPath::BadRequest`]).
pub fn unescape_path(raw_path: &str) -> Option<Vec<u8>> {
    unescape(raw_path.as_bytes(), false).ok()
}

/// Go `ServeMux`'s redirect for a decoded path: `Some(location)` when its
/// cleaning (no empty, `.` or `..` segments; a trailing slash kept) changes the
/// path. Applies to every route, not only the keys.
pub fn redirect_location(decoded_path: &[u8], raw_query: Option<&str>) -> Option<String> {
    if is_mux_clean(decoded_path) {
        return None;
    }
    let cleaned = mux_clean(decoded_path);
    let mut location = escape_path(&cleaned);
    if let Some(query) = raw_query.filter(|q| !q.is_empty()) {
        location.push('?');
        // `http.Redirect` hex-escapes (lower case) what is not ASCII.
        for &b in query.as_bytes() {
            if b >= 0x80 {
                let _ = write!(location, "%{b:x}");
            } else {
                location.push(char::from(b));
            }
        }
    }
    Some(location)
}

/// The key a raw request path addresses. `None` when the path is not routed
/// to the keys API (`/v2/keysfoo`, `/v2`); `/v2/keys` and `/v2/keys/` are the
/// root `/`. The path is percent-decoded first (`/v2/keys%2Fa` is key `/a`,
/// each invalid UTF-8 byte becomes its [`etcd_client::json::invalid_byte_mark`],
/// written as `\ufffd` in JSON); an uncleaned path (`//`, `/./`, `/../`,
/// also when written `%2F`, `%2E`) whose decoded or cleaned form is under
/// `/v2/keys` is a [`KeysPath::Redirect`]. A trailing slash is kept by the
/// cleaning, so `/v2/keys/a/` simply addresses `/a`.
pub fn key_path(raw_path: &str, raw_query: Option<&str>) -> Option<KeysPath> {
    let Some(decoded) = unescape_path(raw_path) else {
        return Some(KeysPath::BadRequest);
    };
    if let Some(location) = redirect_location(&decoded, raw_query) {
        let cleaned = mux_clean(&decoded);
        return (keys_rest(&decoded).is_some() || keys_rest(&cleaned).is_some())
            .then_some(KeysPath::Redirect(location));
    }
    let rest = keys_rest(&decoded)?;
    // Go: path.Join("/1", rest) — the root for "" and "/", no trailing slash.
    let key = match rest {
        b"" | b"/" => &b"/"[..],
        _ => rest.strip_suffix(b"/").unwrap_or(rest),
    };
    Some(KeysPath::Clean(etcd_client::json::lossy(key).into_owned()))
}

/// What follows `/v2/keys` in a path routed to the keys API.
fn keys_rest(path: &[u8]) -> Option<&[u8]> {
    let rest = path.strip_prefix(KEYS_ROUTE.as_bytes())?;
    (rest.is_empty() || rest[0] == b'/').then_some(rest)
}

// ---------------------------------------------------------------------------
// The method.

/// The methods the keys API accepts (any other is answered `405` before the
/// request is parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A method the keys API does not serve (the reference answers `405` with
/// `Allow: HEAD,GET,PUT,POST,DELETE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsupportedMethod;

impl TryFrom<&hyper::http::Method> for Method {
    type Error = UnsupportedMethod;

    fn try_from(m: &hyper::http::Method) -> Result<Method, UnsupportedMethod> {
        use hyper::http::Method as M;
        match *m {
            M::GET => Ok(Method::Get),
            M::HEAD => Ok(Method::Head),
            M::PUT => Ok(Method::Put),
            M::POST => Ok(Method::Post),
            M::DELETE => Ok(Method::Delete),
            _ => Err(UnsupportedMethod),
        }
    }
}

impl TryFrom<hyper::http::Method> for Method {
    type Error = UnsupportedMethod;

    fn try_from(m: hyper::http::Method) -> Result<Method, UnsupportedMethod> {
        Method::try_from(&m)
    }
}

// ---------------------------------------------------------------------------
// The parameters.

/// A parsed and validated keys request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    pub method: Method,
    /// The user key (`/foo`; `/` for the root).
    pub key: String,
    pub recursive: bool,
    pub sorted: bool,
    pub quorum: bool,
    /// Only ever true for GET (any other method with `wait=true` is refused).
    pub wait: bool,
    pub stream: bool,
    pub dir: bool,
    /// `waitIndex` (0 when absent).
    pub wait_index: u64,
    /// `value`, raw bytes (empty when absent).
    pub value: Vec<u8>,
    /// `ttl` in seconds; `None` when absent or empty.
    pub ttl: Option<u64>,
    pub prev_exist: Option<bool>,
    /// `prevValue`; never `Some` of an empty value (that is error 201).
    pub prev_value: Option<Vec<u8>>,
    /// `prevIndex` (0 = not compared).
    pub prev_index: u64,
    pub refresh: bool,
    pub no_value_on_success: bool,
}

/// The parameter names looked at; other pairs are dropped after they are
/// checked for bad escapes.
const PARAMS: [&str; 14] = [
    "value",
    "dir",
    "ttl",
    "prevExist",
    "prevValue",
    "prevIndex",
    "refresh",
    "recursive",
    "sorted",
    "quorum",
    "wait",
    "waitIndex",
    "stream",
    "noValueOnSuccess",
];

fn invalid_form(cause: impl Into<String>) -> Error {
    Error::new(ErrorCode::INVALID_FORM, cause, 0)
}

/// A request's `Content-Type` as Go's `ParseForm` sees it, parsed once: a
/// handler decides from it whether to read the body, then hands it to
/// [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType {
    /// Whether Go reads the body of a `PUT`/`POST` (a missing or empty
    /// header is `application/octet-stream`). True also when the parameters
    /// are malformed but the type is the form type (Go then still reads the
    /// body, but [`parse`] fails with the mime error); callers read at most
    /// [`MAX_FORM_BODY`] + 1 bytes of such a body.
    pub is_form: bool,
    /// Go's error text for a malformed header.
    mime_err: Option<&'static str>,
}

impl From<Option<&str>> for ContentType {
    fn from(header: Option<&str>) -> ContentType {
        match header.map(|ct| ct.trim_matches([' ', '\t'])) {
            None | Some("") => ContentType {
                is_form: false,
                mime_err: None,
            },
            Some(ct) => {
                let (media_type, mime_err) = parse_media_type(ct);
                ContentType {
                    is_form: media_type == FORM_MEDIA_TYPE,
                    mime_err,
                }
            }
        }
    }
}

/// Parses a keys request: the parameters from the query string and, for
/// `PUT`/`POST` with a form `Content-Type`, the body (whole, as received; over
/// [`MAX_FORM_BODY`] bytes is error 210), validated in the reference's order
/// (spec keys-api.md §4.4). `key` comes from [`key_path`].
///
/// `method` is a [`Method`] or a `&hyper::Method`; an unsupported method
/// (which callers answer with `405` before parsing) is refused with a 210.
pub fn parse(
    method: impl TryInto<Method>,
    key: String,
    raw_query: Option<&str>,
    content_type: impl Into<ContentType>,
    body: &[u8],
) -> Result<KeyRequest, Error> {
    let method = method
        .try_into()
        .map_err(|_| invalid_form("method not allowed"))?;
    let form = parse_form(method, raw_query, content_type.into(), body)?;

    let prev_index = form.index("prevIndex")?;
    let wait_index = form.index("waitIndex")?;
    let recursive = form.bool("recursive")?;
    let sorted = form.bool("sorted")?;
    let wait = form.bool("wait")?;
    let dir = form.bool("dir")?;
    let quorum = form.bool("quorum")?;
    let stream = form.bool("stream")?;
    // The reference compares the method with "GET": HEAD is refused too.
    if wait && method != Method::Get {
        return Err(Error::wait_only_with_get());
    }
    let prev_value = form.first("prevValue").map(<[u8]>::to_vec);
    if prev_value.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::prev_value_required());
    }
    let no_value_on_success = form.bool("noValueOnSuccess")?;
    let ttl = match form.first("ttl") {
        None | Some(b"") => None,
        Some(v) => Some(go_parse_uint(v).ok_or_else(Error::ttl_nan)?),
    };
    let prev_exist = form.nullable_bool("prevExist")?;
    let refresh = form.nullable_bool("refresh")? == Some(true);
    let value = form.first("value").unwrap_or_default().to_vec();
    if refresh {
        if !value.is_empty() {
            return Err(Error::refresh_with_value());
        }
        if ttl.is_none() {
            return Err(Error::refresh_without_ttl());
        }
    }
    Ok(KeyRequest {
        method,
        key,
        recursive,
        sorted,
        quorum,
        wait,
        stream,
        dir,
        wait_index,
        value,
        ttl,
        prev_exist,
        prev_value,
        prev_index,
        refresh,
        no_value_on_success,
    })
}

impl KeyRequest {
    /// The store path of the key: the key under [`KEYS_PREFIX`] (the root is
    /// `/1` itself), like Go's `path.Join("/1", key)`.
    pub fn store_path(&self) -> String {
        if self.key == "/" {
            KEYS_PREFIX.to_owned()
        } else {
            format!("{KEYS_PREFIX}{}", self.key)
        }
    }

    /// Whether the request changes the store (PUT, POST, DELETE).
    pub fn is_write(&self) -> bool {
        matches!(self.method, Method::Put | Method::Post | Method::Delete)
    }

    /// The replicated store command of a write (spec keys-api.md §6.1, §7,
    /// §8), stamped with `now` (Unix nanoseconds); `None` for GET and HEAD.
    pub fn command(&self, now: i64) -> Option<Request> {
        if !self.is_write() {
            return None;
        }
        self.clone().into_command(now)
    }

    /// [`KeyRequest::command`], moving the value instead of copying it.
    pub fn into_command(self, now: i64) -> Option<Request> {
        let path = self.store_path();
        let prev_value = self.prev_value.unwrap_or_default();
        let compares = self.prev_index > 0 || !prev_value.is_empty();
        let command = match self.method {
            Method::Get | Method::Head => return None,
            // prevExist, prevValue and prevIndex play no part in a POST.
            Method::Post => Command::Create {
                path,
                value: self.value,
                dir: self.dir,
                ttl: self.ttl,
                unique: true,
            },
            Method::Put => match self.prev_exist {
                Some(true) if !compares => Command::Update {
                    path,
                    value: self.value,
                    ttl: self.ttl,
                    refresh: self.refresh,
                },
                // prevValue/prevIndex are ignored by a create.
                Some(false) => Command::Create {
                    path,
                    value: self.value,
                    dir: self.dir,
                    ttl: self.ttl,
                    unique: false,
                },
                Some(true) | None if compares => Command::CompareAndSwap {
                    path,
                    prev_value,
                    prev_index: self.prev_index,
                    value: self.value,
                    ttl: self.ttl,
                    refresh: self.refresh,
                },
                _ => Command::Set {
                    path,
                    value: self.value,
                    dir: self.dir,
                    ttl: self.ttl,
                    refresh: self.refresh,
                },
            },
            // prevExist plays no part in a DELETE.
            Method::Delete if compares => Command::CompareAndDelete {
                path,
                prev_value,
                prev_index: self.prev_index,
            },
            Method::Delete => Command::Delete {
                path,
                dir: self.dir,
                recursive: self.recursive,
            },
        };
        Some(Request { now, command })
    }
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests_command;
#[cfg(test)]
mod tests_form;
#[cfg(test)]
mod tests_params;
#[cfg(test)]
mod tests_path;
