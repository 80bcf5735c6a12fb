//! One client request against a member, turned into a [`Ret`]: what the
//! history records.

use crate::history::{Call, NodeSeen, Ret};
use serde_json::Value;
use std::time::Duration;

/// How long a client waits for any answer. Longer than the server's own
/// request timeout (5 s + 2 × the election timeout), so a member that
/// cannot complete a request usually says so itself.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A raw answer: status, `X-Etcd-Index`, body as JSON (`Null` if not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub index: Option<u64>,
    pub body: Value,
}

/// Why no answer came.
#[derive(Debug, Clone)]
pub enum NoAnswer {
    /// Connection refused: nothing was sent.
    NotSent,
    /// Sent (or maybe sent), no answer: timeout, reset, closed.
    Lost(String),
}

/// A shared HTTP client for a run's tasks.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(32)
        .build()
        .expect("HTTP client")
}

/// Sends one request and reads the whole answer within `timeout`.
pub async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    form: Option<String>,
    timeout: Duration,
) -> Result<Answer, NoAnswer> {
    let mut req = http.request(method, url).timeout(timeout);
    if let Some(form) = form {
        req = req
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form);
    }
    let resp = req.send().await.map_err(classify)?;
    let status = resp.status().as_u16();
    let index = resp
        .headers()
        .get("X-Etcd-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let bytes = resp.bytes().await.map_err(classify)?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        index,
        body,
    })
}

fn classify(e: reqwest::Error) -> NoAnswer {
    if e.is_connect() {
        NoAnswer::NotSent
    } else {
        let mut s = e.to_string();
        let mut cur = std::error::Error::source(&e);
        while let Some(c) = cur {
            s.push_str(": ");
            s.push_str(&c.to_string());
            cur = c.source();
        }
        NoAnswer::Lost(s)
    }
}

/// The method, path-and-query suffix and form of `call` on `key`.
pub fn request_of(key: &str, call: &Call) -> (reqwest::Method, String, Option<String>) {
    use reqwest::Method;
    let path = format!("/v2/keys{key}");
    let form = |v: &str| Some(format!("value={v}"));
    match call {
        Call::Get => (Method::GET, format!("{path}?quorum=true"), None),
        Call::Set { value } => (Method::PUT, path, form(value)),
        Call::Create { value } => (Method::PUT, format!("{path}?prevExist=false"), form(value)),
        Call::CasValue { prev, value } => {
            (Method::PUT, format!("{path}?prevValue={prev}"), form(value))
        }
        Call::CasIndex { prev, value } => {
            (Method::PUT, format!("{path}?prevIndex={prev}"), form(value))
        }
        Call::CadValue { prev } => (Method::DELETE, format!("{path}?prevValue={prev}"), None),
        Call::CadIndex { prev } => (Method::DELETE, format!("{path}?prevIndex={prev}"), None),
        Call::Delete => (Method::DELETE, path, None),
        Call::Post { value } => (Method::POST, path, form(value)),
        Call::SetTtl { value, ttl } => {
            (Method::PUT, path, Some(format!("value={value}&ttl={ttl}")))
        }
    }
}

/// What an answer (or its absence) means for the history.
pub fn ret_of(answer: Result<Answer, NoAnswer>) -> Ret {
    let a = match answer {
        Ok(a) => a,
        Err(NoAnswer::NotSent) => return Ret::NotSent,
        Err(NoAnswer::Lost(why)) => return Ret::Unknown(why),
    };
    if (200..300).contains(&a.status) {
        return Ret::Ok {
            node: NodeSeen::parse(&a.body["node"]),
            prev: NodeSeen::parse(&a.body["prevNode"]),
            index: a.index,
        };
    }
    match a.body["errorCode"].as_u64() {
        Some(code @ (100 | 101 | 105)) => Ret::Fail {
            code,
            index: a.index,
        },
        _ => Ret::Unknown(format!("{} {}", a.status, a.body)),
    }
}

/// Whether an indeterminate answer is one the server may legitimately give
/// under faults (timeouts, no leader, lost connections), as opposed to a
/// harness or server bug (a 400, a 404 on a write, garbage).
pub fn expected_unknown(why: &str) -> bool {
    !why.starts_with("4") || why.starts_with("408")
}
