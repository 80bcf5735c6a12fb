//! The load itself: pre-flight, key fill and measured cells.
//!
//! Every connection is a task with its own client holding exactly one
//! HTTP/1.1 keep-alive connection for the whole cell; requests of a task
//! are sequential. For `http://` targets the client is the raw one of
//! [`crate::http1`], which costs the tool far less CPU per request than
//! `reqwest`; `https://` targets use a `reqwest::Client` limited to one
//! idle connection.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, StatusCode};
use tokio::sync::Barrier;

use crate::args::{Stop, Workload};
use crate::http1;
use crate::stats::Summary;

const FORM: &str = "application/x-www-form-urlencoded";

/// What every task of a cell needs; shared read-only.
#[derive(Debug)]
pub struct Plan {
    /// `scheme://host:port`.
    pub base: String,
    /// `scheme://host:port/v2/keys<prefix>/k`; a key number is appended.
    pub key_base: String,
    /// `value=<value-size bytes>`, built once and shared by every PUT.
    pub body: &'static [u8],
    pub keys: u64,
    pub timeout: Duration,
    /// `Authorization` value sent with every request (`--user`).
    pub authorization: Option<String>,
}

impl Plan {
    pub fn new(base: &str, prefix: &str, value_size: usize, keys: u64, timeout: Duration) -> Plan {
        Plan {
            base: base.to_owned(),
            key_base: format!("{base}/v2/keys{prefix}/k"),
            body: Box::leak(form_body(value_size).into_boxed_slice()),
            keys,
            timeout,
            authorization: None,
        }
    }

    /// Sends `Basic` credentials for `user_password` (`user:password`).
    pub fn with_user(mut self, user_password: Option<&str>) -> Plan {
        self.authorization = user_password.map(basic_authorization);
        self
    }

    fn reqwest_client(&self) -> reqwest::Result<Client> {
        client(self.timeout, self.authorization.as_deref())
    }

    /// The client of one load task: the raw one for `http://`.
    fn client(&self) -> Result<TaskClient, String> {
        match self.base.strip_prefix("http://") {
            Some(authority) => Ok(TaskClient::Raw(Box::new(http1::Client::new(
                authority,
                self.authorization.as_deref(),
                self.body,
                self.timeout,
            )))),
            None => self
                .reqwest_client()
                .map(TaskClient::Reqwest)
                .map_err(|e| format!("cannot build HTTP client: {e}")),
        }
    }
}

/// The connection of one load task.
#[derive(Debug)]
enum TaskClient {
    Raw(Box<http1::Client>),
    Reqwest(Client),
}

/// `Basic <base64 of user:password>` (standard alphabet, padded).
pub fn basic_authorization(user_password: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(user_password);
    format!("Basic {encoded}")
}

/// `value=` followed by `size` URL-safe characters (so no escaping needed).
pub fn form_body(size: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut b = Vec::with_capacity(6 + size);
    b.extend_from_slice(b"value=");
    b.extend((0..size).map(|i| ALPHABET[i % ALPHABET.len()]));
    b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Get,
    QuorumGet,
    Put,
}

fn op_for(workload: Workload, n: u64) -> Op {
    match workload {
        Workload::Write => Op::Put,
        Workload::Read => Op::Get,
        Workload::QuorumRead => Op::QuorumGet,
        // One write in ten, at a fixed position of the cycle.
        Workload::Mix if n % 10 == 9 => Op::Put,
        Workload::Mix => Op::Get,
    }
}

/// Key used by task `task` of `tasks` on its `n`th request: every task
/// cycles over all keys, starting at its own offset.
fn key_for(task: usize, tasks: usize, n: u64, keys: u64) -> u64 {
    let start = task as u64 * keys / tasks.max(1) as u64;
    (start + n) % keys
}

/// A client with one keep-alive connection; `authorization` goes with every
/// request (encoded once, here).
fn client(timeout: Duration, authorization: Option<&str>) -> reqwest::Result<Client> {
    let mut headers = HeaderMap::new();
    if let Some(mut value) = authorization.and_then(|v| HeaderValue::from_str(v).ok()) {
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Client::builder()
        .default_headers(headers)
        .http1_only()
        .pool_max_idle_per_host(1)
        .pool_idle_timeout(None)
        .tcp_nodelay(true)
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
}

#[derive(Debug)]
enum Outcome {
    Ok,
    Status(u16),
    Failed(Failure),
}

#[derive(Debug)]
enum Failure {
    Raw(http1::Error),
    Reqwest(reqwest::Error),
}

/// Sends one request; `url` is the full URL (the raw client uses its path,
/// after `plan.base`).
async fn send(client: &mut TaskClient, plan: &Plan, op: Op, url: &str) -> Outcome {
    let client = match client {
        TaskClient::Reqwest(c) => return send_reqwest(c, op, url, plan.body).await,
        TaskClient::Raw(c) => c,
    };
    let method = match op {
        Op::Get | Op::QuorumGet => http1::Method::Get,
        Op::Put => http1::Method::Put,
    };
    match client.request(method, &url[plan.base.len()..]).await {
        Ok(status) if (200..300).contains(&status) => Outcome::Ok,
        Ok(status) => Outcome::Status(status),
        Err(e) => Outcome::Failed(Failure::Raw(e)),
    }
}

async fn send_reqwest(client: &Client, op: Op, url: &str, body: &'static [u8]) -> Outcome {
    let req = match op {
        Op::Get | Op::QuorumGet => client.get(url),
        Op::Put => client.put(url).header(CONTENT_TYPE, FORM).body(body),
    };
    match req.send().await {
        // The body is read completely so the connection can be reused.
        Ok(resp) => {
            let status = resp.status();
            match resp.bytes().await {
                Ok(_) if status.is_success() => Outcome::Ok,
                Ok(_) => Outcome::Status(status.as_u16()),
                Err(e) => Outcome::Failed(Failure::Reqwest(e)),
            }
        }
        Err(e) => Outcome::Failed(Failure::Reqwest(e)),
    }
}

/// Writes the request URL of key `key` into `buf`.
fn url_into(buf: &mut String, plan: &Plan, op: Op, key: u64) {
    buf.clear();
    buf.push_str(&plan.key_base);
    let _ = write!(buf, "{key}");
    if op == Op::QuorumGet {
        buf.push_str("?quorum=true");
    }
}

/// Checks that the plan's endpoint answers the v2 keys API: a read of the
/// root, or with credentials (which may only cover the key directory) of
/// the key directory, which may not exist yet (etcd's error 100).
pub async fn preflight(plan: &Plan) -> Result<(), String> {
    let client = plan
        .reqwest_client()
        .map_err(|e| format!("cannot build HTTP client: {e}"))?;
    let url = match plan.authorization {
        Some(_) => plan
            .key_base
            .strip_suffix('k')
            .unwrap_or(&plan.key_base)
            .to_owned(),
        None => format!("{}/v2/keys/", plan.base),
    };
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) if r.status() == StatusCode::NOT_FOUND && plan.authorization.is_some() => {
            match r.text().await {
                Ok(body) if body.contains("\"errorCode\":100") => Ok(()),
                _ => Err(format!("GET {url} answered 404 without an etcd error")),
            }
        }
        Ok(r) if r.status() == StatusCode::UNAUTHORIZED => Err(format!(
            "GET {url} answered 401 Unauthorized; may --user read and write the key directory?"
        )),
        Ok(r) => Err(format!(
            "GET {url} answered {}; does the server have the v2 API enabled?",
            r.status()
        )),
        Err(e) => Err(format!("GET {url} failed: {}", error_chain(&e))),
    }
}

/// Creates every key once so reads find them.
/// Returns (written, failed, first failure).
pub async fn fill(
    plan: Arc<Plan>,
    concurrency: usize,
    deadline: Instant,
) -> Result<(u64, u64, Option<String>), String> {
    let tasks = concurrency.clamp(1, plan.keys as usize);
    let mut handles = Vec::with_capacity(tasks);
    for t in 0..tasks {
        let plan = plan.clone();
        let mut client = plan.client()?;
        handles.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut first) = (0u64, 0u64, None);
            let mut url = String::with_capacity(plan.key_base.len() + 32);
            let mut key = t as u64;
            while key < plan.keys && Instant::now() < deadline {
                url_into(&mut url, &plan, Op::Put, key);
                match send(&mut client, &plan, Op::Put, &url).await {
                    Outcome::Ok => ok += 1,
                    other => {
                        failed += 1;
                        first.get_or_insert_with(|| describe(&other));
                    }
                }
                key += tasks as u64;
            }
            (ok, failed, first)
        }));
    }
    let (mut ok, mut failed, mut first) = (0, 0, None);
    for h in handles {
        let (o, f, e) = h.await.map_err(|e| format!("fill task: {e}"))?;
        ok += o;
        failed += f;
        first = first.or(e);
    }
    Ok((ok, failed, first))
}

/// What one task measured.
#[derive(Debug)]
struct TaskResult {
    latencies: Vec<u64>,
    non_2xx: u64,
    errors: u64,
    first_problem: Option<String>,
    started: Instant,
    ended: Instant,
}

/// Measured cell plus the first problem seen (for a diagnostic line).
#[derive(Debug)]
pub struct CellOutcome {
    pub summary: Summary,
    pub truncated: bool,
    pub first_problem: Option<String>,
}

/// Runs one cell: `connections` tasks, each warming up its connection,
/// then all starting together and stopping by `stop` or `deadline`.
pub async fn run_cell(
    plan: Arc<Plan>,
    workload: Workload,
    connections: usize,
    stop: Stop,
    deadline: Instant,
) -> Result<CellOutcome, String> {
    let barrier = Arc::new(Barrier::new(connections));
    let issued = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(connections);
    for task in 0..connections {
        let mut client = plan.client()?;
        let (plan, barrier, issued) = (plan.clone(), barrier.clone(), issued.clone());
        handles.push(tokio::spawn(async move {
            let mut url = String::with_capacity(plan.key_base.len() + 32);
            // Warm-up: open the keep-alive connection outside the measurement.
            let first = key_for(task, connections, 0, plan.keys);
            url_into(&mut url, &plan, Op::Get, first);
            let _ = send(&mut client, &plan, Op::Get, &url).await;
            barrier.wait().await;

            let started = Instant::now();
            let end = match stop {
                Stop::Duration(d) => (started + d).min(deadline),
                Stop::Requests(_) => deadline,
            };
            let limit = match stop {
                Stop::Requests(n) => n,
                Stop::Duration(_) => u64::MAX,
            };
            let capacity = match stop {
                Stop::Requests(n) => (n / connections as u64 + 1).min(1 << 20) as usize,
                Stop::Duration(_) => 16 * 1024,
            };
            let mut r = TaskResult {
                latencies: Vec::with_capacity(capacity),
                non_2xx: 0,
                errors: 0,
                first_problem: None,
                started,
                ended: started,
            };
            let mut now = started;
            let mut n = 0u64;
            while now < end {
                if limit != u64::MAX && issued.fetch_add(1, Ordering::Relaxed) >= limit {
                    break;
                }
                let op = op_for(workload, n);
                url_into(
                    &mut url,
                    &plan,
                    op,
                    key_for(task, connections, n, plan.keys),
                );
                let t0 = Instant::now();
                let outcome = send(&mut client, &plan, op, &url).await;
                now = Instant::now();
                match outcome {
                    Outcome::Ok => r.latencies.push((now - t0).as_nanos() as u64),
                    Outcome::Status(_) => r.non_2xx += 1,
                    Outcome::Failed(_) => r.errors += 1,
                }
                if !matches!(outcome, Outcome::Ok) && r.first_problem.is_none() {
                    r.first_problem = Some(describe(&outcome));
                }
                n += 1;
            }
            r.ended = now;
            r
        }));
    }

    let mut results = Vec::with_capacity(connections);
    for h in handles {
        results.push(h.await.map_err(|e| format!("load task: {e}"))?);
    }
    let started = results.iter().map(|r| r.started).min();
    let ended = results.iter().map(|r| r.ended).max();
    let elapsed = match (started, ended) {
        (Some(s), Some(e)) => e - s,
        _ => Duration::ZERO,
    };
    let truncated = ended.is_some_and(|e| e >= deadline)
        && match stop {
            Stop::Requests(n) => issued.load(Ordering::Relaxed) < n,
            Stop::Duration(d) => elapsed < d,
        };
    let total: usize = results.iter().map(|r| r.latencies.len()).sum();
    let mut latencies = Vec::with_capacity(total);
    let (mut non_2xx, mut errors, mut first_problem) = (0, 0, None);
    for r in results {
        latencies.extend_from_slice(&r.latencies);
        non_2xx += r.non_2xx;
        errors += r.errors;
        first_problem = first_problem.or(r.first_problem);
    }
    Ok(CellOutcome {
        summary: Summary::new(&mut latencies, non_2xx, errors, elapsed),
        truncated,
        first_problem,
    })
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Ok => "ok".into(),
        Outcome::Status(s) => match StatusCode::from_u16(*s) {
            Ok(code) => format!("HTTP {code}"),
            Err(_) => format!("HTTP {s}"),
        },
        Outcome::Failed(Failure::Raw(e)) => e.to_string(),
        Outcome::Failed(Failure::Reqwest(e)) => error_chain(e),
    }
}

/// `reqwest` errors hide the useful part (e.g. "connection refused") in
/// their sources.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let _ = write!(s, ": {inner}");
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_form_encoded_value_of_exact_size() {
        assert_eq!(form_body(0), b"value=");
        let b = form_body(256);
        assert_eq!(b.len(), 6 + 256);
        assert!(b[6..].iter().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn mix_is_ninety_ten() {
        let puts = (0..1000)
            .filter(|&n| op_for(Workload::Mix, n) == Op::Put)
            .count();
        assert_eq!(puts, 100);
        assert_eq!(op_for(Workload::Mix, 0), Op::Get);
        assert!((0..10).all(|n| op_for(Workload::Write, n) == Op::Put));
        assert!((0..10).all(|n| op_for(Workload::QuorumRead, n) == Op::QuorumGet));
    }

    #[test]
    fn keys_cycle_from_spread_offsets() {
        assert_eq!(key_for(0, 4, 0, 100), 0);
        assert_eq!(key_for(1, 4, 0, 100), 25);
        assert_eq!(key_for(3, 4, 80, 100), 55);
        assert_eq!(key_for(0, 1, 100, 100), 0);
        assert_eq!(key_for(63, 64, 0, 1), 0);
        let seen: std::collections::HashSet<u64> = (0..10).map(|n| key_for(2, 3, n, 10)).collect();
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn urls() {
        let plan = Plan::new(
            "http://127.0.0.1:1",
            "/bench",
            4,
            10,
            Duration::from_secs(1),
        );
        let mut u = String::new();
        url_into(&mut u, &plan, Op::Get, 7);
        assert_eq!(u, "http://127.0.0.1:1/v2/keys/bench/k7");
        url_into(&mut u, &plan, Op::QuorumGet, 42);
        assert_eq!(u, "http://127.0.0.1:1/v2/keys/bench/k42?quorum=true");
        url_into(&mut u, &plan, Op::Put, 3);
        assert_eq!(u, "http://127.0.0.1:1/v2/keys/bench/k3");
        assert_eq!(plan.body, b"value=abcd");
        assert_eq!(plan.authorization, None);
        assert_eq!(&u[plan.base.len()..], "/v2/keys/bench/k3");
    }

    #[test]
    fn raw_client_for_http_only() {
        let plan = |base| Plan::new(base, "/b", 1, 1, Duration::from_secs(1));
        let http = plan("http://127.0.0.1:1").client().unwrap();
        assert!(matches!(http, TaskClient::Raw(_)), "{http:?}");
        let https = plan("https://127.0.0.1:1").client().unwrap();
        assert!(matches!(https, TaskClient::Reqwest(_)), "{https:?}");
    }

    #[test]
    fn problems_are_described() {
        assert_eq!(describe(&Outcome::Status(404)), "HTTP 404 Not Found");
        let closed = Outcome::Failed(Failure::Raw(http1::Error::Closed("before answering")));
        assert_eq!(
            describe(&closed),
            "server closed the connection before answering"
        );
    }

    #[test]
    fn basic_credentials() {
        assert_eq!(basic_authorization("root:rootpw"), "Basic cm9vdDpyb290cHc=");
        assert_eq!(basic_authorization("a:p"), "Basic YTpw");
        assert_eq!(basic_authorization("a:"), "Basic YTo=");
        let plan = Plan::new("http://127.0.0.1:1", "/b", 1, 1, Duration::from_secs(1))
            .with_user(Some("bench:pw"));
        assert_eq!(plan.authorization.as_deref(), Some("Basic YmVuY2g6cHc="));
    }
}
