//! Our server's v2 auth (spec auth.md): the auth API, enforcement on the
//! keys and members APIs, replication to every member, and both etcdctls
//! against it; next to the reference etcd where it is installed.

mod cluster;
mod differential;
mod enforcement;
mod etcdctl;

use crate::util::{raw, Raw, Server};
use std::time::{Duration, Instant};

/// Standard padded base64.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The `Authorization` value for `user:password`.
pub(crate) fn basic(user_password: &str) -> String {
    format!("Basic {}", base64(user_password.as_bytes()))
}

/// Sends one request. `auth` is `user:password` (basic auth) or, starting
/// with `H=`, a raw `Authorization` value. A body is sent as a form to the
/// keys API and as JSON elsewhere.
pub(crate) fn send(
    server: &Server,
    auth: Option<&str>,
    method: &str,
    target: &str,
    body: &str,
) -> Raw {
    let mut headers: Vec<(&str, String)> = Vec::new();
    match auth {
        Some(h) if h.starts_with("H=") => headers.push(("Authorization", h[2..].to_owned())),
        Some(up) => headers.push(("Authorization", basic(up))),
        None => {}
    }
    if !body.is_empty() {
        let ct = if target.starts_with("/v2/keys") {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        headers.push(("Content-Type", ct.to_owned()));
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    raw(&server.addr(), method, target, &headers, body.as_bytes())
}

/// The store index (`X-Etcd-Index` of `GET /v2/keys/`, as root when the
/// guest role may not read).
pub(crate) fn store_index(server: &Server) -> u64 {
    let mut r = send(server, None, "GET", "/v2/keys/", "");
    if r.status == 401 {
        r = send(server, Some("root:rootpw"), "GET", "/v2/keys/", "");
    }
    r.header("X-Etcd-Index")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no X-Etcd-Index: {} {}", r.status, r.text()))
}

/// Waits until a fresh single member has finished starting (store index 3:
/// its membership records and the cluster version are written).
pub(crate) fn wait_started(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while store_index(server) < 3 {
        assert!(
            Instant::now() < deadline,
            "{} never reached index 3",
            server.url()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `/v2/stats/store` without the watcher count.
pub(crate) fn store_stats(server: &Server) -> serde_json::Map<String, serde_json::Value> {
    let r = send(server, None, "GET", "/v2/stats/store", "");
    let mut stats: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&r.body).expect("stats JSON");
    stats.remove("watchers");
    stats
}

/// What changed between two `/v2/stats/store` readings.
pub(crate) fn stats_delta(
    before: &serde_json::Map<String, serde_json::Value>,
    after: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(String, i64)> {
    after
        .iter()
        .filter_map(|(k, v)| {
            let d = v.as_i64().unwrap_or(0) - before.get(k).and_then(|b| b.as_i64()).unwrap_or(0);
            (d != 0).then(|| (k.clone(), d))
        })
        .collect()
}

/// Polls `check` until it holds (a replicated change reaching a member).
pub(crate) fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn base64_of_credentials() {
    assert_eq!(base64(b"root:rootpw"), "cm9vdDpyb290cHc=");
    assert_eq!(base64(b"a:p"), "YTpw");
    assert_eq!(base64(b":x"), "Ong=");
}
