//! Outgoing peer RPCs: raft's append-entries, vote and install-snapshot sent
//! as HTTP POSTs with postcard bodies to a peer's first peer URL, over one
//! pooled HTTP/1 client shared by every target. `https://` peer URLs are
//! reached over TLS with this process's peer settings
//! ([`crate::tls::outbound`]: the peer CA, this member's peer certificate).
//!
//! Wire format (the receiving side is `crate::http::peer`):
//!
//! - `POST /raft/append`, `/raft/vote`, `/raft/snapshot`; the body is the
//!   postcard-encoded openraft request (`AppendEntriesRequest`,
//!   `VoteRequest`, a chunk's `InstallSnapshotRequest`).
//! - Headers: `X-Etcd-Cluster-ID` (the sender's cluster id), `X-Server-From`
//!   (the sender's member id) and `X-Raft-To` (the member id the sender
//!   meant to reach), all in [`crate::ids::hex`].
//! - `200` carries `Result<response, RaftError>`, postcard-encoded. `412`
//!   means the peer refused us (another cluster, or not the member we meant);
//!   `413` means the body was too large; every answer carries the peer's own
//!   `X-Etcd-Cluster-ID`.
//!
//! Append requests (not heartbeats) are counted and timed in [`stats`] for
//! `/v2/stats/self` and `/v2/stats/leader`.
//!
//! Errors map onto openraft's [`RPCError`]: connect failures, refusals and
//! unexpected statuses are `Unreachable` (openraft then backs off, see
//! [`PeerClient::backoff`]), an expired `RPCOption::hard_ttl` is `Timeout`,
//! a too large append is `PayloadTooLarge` (openraft splits it), a remote
//! `RaftError` is `RemoteError`, anything else is `Network`.

use super::{typ, Member, TypeConfig};
use crate::metrics::PeerMetrics;
use crate::tls::{self, Connector};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use openraft::error::{
    InstallSnapshotError, NetworkError, PayloadTooLarge, RPCError, RaftError, RemoteError, Timeout,
    Unreachable,
};
use openraft::network::{Backoff, RPCOption, RPCTypes, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::{info, warn};

pub mod prober;
pub mod stats;

use stats::{AppendTimer, PeerStats};

pub const APPEND_PATH: &str = "/raft/append";
pub const VOTE_PATH: &str = "/raft/vote";
pub const SNAPSHOT_PATH: &str = "/raft/snapshot";
pub const CLUSTER_ID_HEADER: &str = "x-etcd-cluster-id";
pub const FROM_HEADER: &str = "x-server-from";
pub const TO_HEADER: &str = "x-raft-to";
pub const BINARY: &str = "application/octet-stream";

/// The largest peer request or answer body: a snapshot chunk (openraft's
/// default `snapshot_max_chunk_size` is 3 MiB) or one log entry (a group
/// commit batch holds up to 8 MiB of values plus one value) with slack.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The first and the longest pause between retries to an unreachable peer.
const BACKOFF_FIRST: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Why a peer call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    #[error("peer {peer:x} has no usable peer URL ({urls:?}; http:// or https:// is needed)")]
    NoUrl { peer: u64, urls: Vec<String> },
    #[error("cannot reach peer {peer:x} at {url}: {reason}")]
    Unreachable {
        peer: u64,
        url: String,
        reason: String,
    },
    /// The peer answered 412 (another cluster, or another member).
    #[error("peer {peer:x} at {url} refused the request: {reason}")]
    Refused {
        peer: u64,
        url: String,
        reason: String,
    },
    /// The peer answered with a status other than 200, 412 or 413.
    #[error("peer {peer:x} at {url} answered {status}: {reason}")]
    Status {
        peer: u64,
        url: String,
        status: u16,
        reason: String,
    },
    #[error("request to peer {peer:x} timed out after {timeout:?}")]
    Timeout { peer: u64, timeout: Duration },
    /// The request body is over [`MAX_BODY`] (found before sending) or the
    /// peer answered 413.
    #[error("request of {size} bytes to peer {peer:x} is too large")]
    TooLarge { peer: u64, size: usize },
    /// The connection failed after it was made, or the answer was garbled.
    #[error("peer {peer:x} at {url}: {reason}")]
    Network {
        peer: u64,
        url: String,
        reason: String,
    },
}

impl PeerError {
    /// A [`PeerError::Network`] of peer `peer` at `url`.
    pub fn network(peer: u64, url: &str, reason: String) -> PeerError {
        PeerError::Network {
            peer,
            url: url.to_owned(),
            reason,
        }
    }
}

/// An error with its chain of causes (hyper's own messages are terse).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The sending side of the peer transport: this member's identity and the
/// pooled HTTP client. Cheap to clone; clones share the pool.
///
/// Besides being raft's network factory, [`PeerNetwork::call`] sends any
/// postcard request to a peer with the same headers and error handling.
#[derive(Clone)]
pub struct PeerNetwork {
    inner: Arc<Inner>,
}

struct Inner {
    member_id: u64,
    cluster_id: u64,
    client: Client<Connector, Full<Bytes>>,
    /// Peers whose refusal (412) has been logged: logged once, until the
    /// peer accepts a request again.
    refused: Mutex<HashSet<u64>>,
    /// Append requests sent and their round trips (`/v2/stats`).
    stats: PeerStats,
    /// Bytes sent and failed requests, per peer (`/metrics`).
    metrics: PeerMetrics,
}

impl std::fmt::Debug for PeerNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerNetwork")
            .field("member_id", &crate::ids::hex(self.inner.member_id))
            .field("cluster_id", &crate::ids::hex(self.inner.cluster_id))
            .finish_non_exhaustive()
    }
}

impl PeerNetwork {
    /// The network of member `member_id` in cluster `cluster_id`, with this
    /// process's peer TLS settings. Connects lazily, on the first request to
    /// each peer.
    pub fn new(member_id: u64, cluster_id: u64) -> PeerNetwork {
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(tls::connector(&tls::outbound().peer));
        PeerNetwork {
            inner: Arc::new(Inner {
                member_id,
                cluster_id,
                client,
                refused: Mutex::new(HashSet::new()),
                stats: PeerStats::new(),
                metrics: PeerMetrics::default(),
            }),
        }
    }

    pub fn member_id(&self) -> u64 {
        self.inner.member_id
    }

    pub fn cluster_id(&self) -> u64 {
        self.inner.cluster_id
    }

    /// The append requests this member sent and their round trips (the
    /// receiving side's figures are `PeerState::stats`).
    pub fn stats(&self) -> &PeerStats {
        &self.inner.stats
    }

    /// The peer traffic figures of `/metrics` (shared with the receiving
    /// side, see `PeerState`).
    pub fn peer_metrics(&self) -> &PeerMetrics {
        &self.inner.metrics
    }

    /// POSTs `req` (postcard) to `path` at `node`'s first peer URL and
    /// decodes the 200 answer's body as `A`, all within `timeout`.
    ///
    /// # Errors
    ///
    /// Every way the call can fail is a [`PeerError`]; a 412 is also logged,
    /// once per peer until it accepts a request again.
    pub async fn call<Q: Serialize, A: DeserializeOwned>(
        &self,
        target: u64,
        node: &Member,
        path: &str,
        req: &Q,
        timeout: Duration,
    ) -> Result<A, PeerError> {
        self.call_measured(target, node, path, req, timeout, &mut |_| {})
            .await
    }

    /// [`PeerNetwork::call`], telling `on_sent` the body size just before
    /// the request goes out. A request that fails counts in the peer's
    /// `etcd_network_peer_sent_failures_total`, unless it was too large to
    /// send (raft then sends its entries in smaller requests).
    async fn call_measured<Q: Serialize, A: DeserializeOwned>(
        &self,
        target: u64,
        node: &Member,
        path: &str,
        req: &Q,
        timeout: Duration,
        on_sent: &mut (dyn FnMut(usize) + Send),
    ) -> Result<A, PeerError> {
        let answer = async {
            let base = base_url(target, node)?;
            let body = postcard::to_allocvec(req).map_err(|e| {
                PeerError::network(target, &base, format!("encoding the request: {e}"))
            })?;
            if body.len() > MAX_BODY {
                return Err(PeerError::TooLarge {
                    peer: target,
                    size: body.len(),
                });
            }
            let size = body.len();
            on_sent(size);
            self.inner.metrics.sent(target, size);
            let sent = tokio::time::timeout(timeout, self.send(target, &base, path, body)).await;
            let (status, cluster, bytes) = sent.map_err(|_| PeerError::Timeout {
                peer: target,
                timeout,
            })??;
            let url = base;
            match status {
                StatusCode::OK => {
                    self.accepted(target);
                    postcard::from_bytes(&bytes).map_err(|e| {
                        PeerError::network(target, &url, format!("decoding the answer: {e}"))
                    })
                }
                StatusCode::PRECONDITION_FAILED => {
                    let reason = String::from_utf8_lossy(&bytes).trim().to_owned();
                    let _logged = self.refused(target, &url, cluster, &reason);
                    Err(PeerError::Refused {
                        peer: target,
                        url,
                        reason,
                    })
                }
                StatusCode::PAYLOAD_TOO_LARGE => Err(PeerError::TooLarge { peer: target, size }),
                other => Err(PeerError::Status {
                    peer: target,
                    url,
                    status: other.as_u16(),
                    reason: String::from_utf8_lossy(&bytes).trim().to_owned(),
                }),
            }
        }
        .await;
        if answer
            .as_ref()
            .is_err_and(|e| !matches!(e, PeerError::TooLarge { .. }))
        {
            self.inner.metrics.send_failed(target);
        }
        answer
    }

    /// A request of `method` for `path` at `target`'s `base` URL carrying
    /// `body` (postcard, typed as such on a POST), named as every request of
    /// the peer transport is: this cluster's id, this member as the sender,
    /// `target` as the receiver. (Whatever sits between the members, a
    /// fault-injection proxy say, tells connections apart by their first
    /// request.)
    fn request(
        &self,
        method: Method,
        target: u64,
        base: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<hyper::Request<Full<Bytes>>, PeerError> {
        let net_err = |reason: String| PeerError::network(target, base, reason);
        let uri: Uri = format!("{base}{path}")
            .parse()
            .map_err(|e| net_err(format!("bad URL: {e}")))?;
        let hex = |id| HeaderValue::from_str(&crate::ids::hex(id)).expect("hex is ASCII");
        let post = method == Method::POST;
        let mut req = hyper::Request::builder().method(method).uri(uri);
        if post {
            req = req
                .header(CONTENT_TYPE, BINARY)
                .header(CONTENT_LENGTH, body.len());
        }
        req.header(CLUSTER_ID_HEADER, hex(self.inner.cluster_id))
            .header(FROM_HEADER, hex(self.inner.member_id))
            .header(TO_HEADER, hex(target))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| net_err(format!("building the request: {e}")))
    }

    /// Sends one request; the answer's status, its `X-Etcd-Cluster-ID` and
    /// its body.
    async fn send(
        &self,
        target: u64,
        base: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Option<String>, Bytes), PeerError> {
        let req = self.request(Method::POST, target, base, path, body)?;
        let (status, headers, bytes) = self.exchange(target, base, req, MAX_BODY).await?;
        let cluster = headers
            .get(CLUSTER_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((status, cluster, bytes))
    }

    /// Sends `req` to `target` (at `base`); the answer's status, headers and
    /// body (at most `limit` bytes).
    async fn exchange(
        &self,
        target: u64,
        base: &str,
        req: hyper::Request<Full<Bytes>>,
        limit: usize,
    ) -> Result<(StatusCode, hyper::HeaderMap, Bytes), PeerError> {
        let net_err = |reason: String| PeerError::network(target, base, reason);
        let resp = self.inner.client.request(req).await.map_err(|e| {
            if e.is_connect() {
                PeerError::Unreachable {
                    peer: target,
                    url: base.to_owned(),
                    reason: error_chain(&e),
                }
            } else {
                net_err(error_chain(&e))
            }
        })?;
        let (parts, body) = resp.into_parts();
        let bytes = Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| net_err(format!("reading the answer: {e}")))?
            .to_bytes();
        Ok((parts.status, parts.headers, bytes))
    }

    /// Logs a refusal unless this peer's refusal is already logged; whether
    /// it logged.
    fn refused(&self, target: u64, url: &str, cluster: Option<String>, reason: &str) -> bool {
        let first = lock(&self.inner.refused).insert(target);
        if !first {
            return false;
        }
        let ours = crate::ids::hex(self.inner.cluster_id);
        match cluster {
            Some(theirs) if theirs != ours => warn!(
                target: "rafthttp",
                "cluster ID mismatch: peer {} at {url} is in cluster {theirs}, this member {} is in cluster {ours}; the peer refuses our requests",
                crate::ids::hex(target),
                crate::ids::hex(self.inner.member_id),
            ),
            _ => warn!(
                target: "rafthttp",
                "peer {} at {url} refuses our requests: {reason}",
                crate::ids::hex(target),
            ),
        }
        true
    }

    fn accepted(&self, target: u64) {
        if lock(&self.inner.refused).remove(&target) {
            info!(target: "rafthttp", "peer {} accepts our requests again", crate::ids::hex(target));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `node`'s first peer URL without a trailing slash, if it is `http://` or
/// `https://`.
fn base_url(target: u64, node: &Member) -> Result<String, PeerError> {
    node.peer_urls
        .first()
        .filter(|u| tls::is_reachable_url(u))
        .map(|u| u.trim_end_matches('/').to_owned())
        .ok_or_else(|| PeerError::NoUrl {
            peer: target,
            urls: node.peer_urls.clone(),
        })
}

/// Exponential pauses, doubling from `first` up to `max`, forever.
fn exponential(first: Duration, max: Duration) -> impl Iterator<Item = Duration> {
    std::iter::successors(Some(first.min(max)), move |d| Some((*d * 2).min(max)))
}

impl RaftNetworkFactory<TypeConfig> for PeerNetwork {
    type Network = PeerClient;

    /// Never connects: the pool connects on the first RPC.
    async fn new_client(&mut self, target: typ::NodeId, node: &Member) -> PeerClient {
        PeerClient {
            net: self.clone(),
            target,
            node: node.clone(),
        }
    }
}

/// Raft's connection to one peer (a view of the shared [`PeerNetwork`]).
#[derive(Debug)]
pub struct PeerClient {
    net: PeerNetwork,
    target: u64,
    node: Member,
}

type RpcResult<A, E> = Result<A, RPCError<typ::NodeId, Member, RaftError<typ::NodeId, E>>>;

impl PeerClient {
    /// One raft RPC: `entries` is the number of log entries it carries (for
    /// the split hint of a too large append); `on_sent` gets the body size.
    async fn rpc<Q, A, E>(
        &self,
        path: &str,
        action: RPCTypes,
        req: &Q,
        option: &RPCOption,
        entries: usize,
        on_sent: &mut (dyn FnMut(usize) + Send),
    ) -> RpcResult<A, E>
    where
        Q: Serialize,
        A: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let answer: Result<A, RaftError<typ::NodeId, E>> = self
            .net
            .call_measured(
                self.target,
                &self.node,
                path,
                req,
                option.hard_ttl(),
                on_sent,
            )
            .await
            .map_err(|e| self.rpc_error(e, action, entries))?;
        answer.map_err(|e| {
            RPCError::RemoteError(RemoteError::new_with_node(
                self.target,
                self.node.clone(),
                e,
            ))
        })
    }

    fn rpc_error<E: std::error::Error>(
        &self,
        err: PeerError,
        action: RPCTypes,
        entries: usize,
    ) -> RPCError<typ::NodeId, Member, RaftError<typ::NodeId, E>> {
        match err {
            PeerError::Timeout { timeout, .. } => RPCError::Timeout(Timeout {
                action,
                id: self.net.member_id(),
                target: self.target,
                timeout,
            }),
            PeerError::TooLarge { .. } if action == RPCTypes::AppendEntries => {
                let hint = (entries / 2).max(1) as u64;
                RPCError::PayloadTooLarge(PayloadTooLarge::new_entries_hint(hint))
            }
            PeerError::TooLarge { .. } | PeerError::Network { .. } => {
                RPCError::Network(NetworkError::new(&err))
            }
            PeerError::NoUrl { .. }
            | PeerError::Unreachable { .. }
            | PeerError::Refused { .. }
            | PeerError::Status { .. } => RPCError::Unreachable(Unreachable::new(&err)),
        }
    }
}

impl RaftNetwork<TypeConfig> for PeerClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<typ::NodeId>, openraft::error::Infallible> {
        let entries = rpc.entries.len();
        let stats = self.net.stats().clone();
        let commit = rpc.leader_commit.map(|c| c.index);
        if !stats.classify_send(self.target, entries, commit) {
            // A heartbeat: not an append request in the stats.
            let action = RPCTypes::AppendEntries;
            return self
                .rpc(APPEND_PATH, action, &rpc, &option, entries, &mut |_| {})
                .await;
        }
        let timer = AppendTimer::start(&stats, self.target);
        let me = self.net.member_id();
        let mut sent = |size| stats.sent_append(me, size);
        let res = self
            .rpc(
                APPEND_PATH,
                RPCTypes::AppendEntries,
                &rpc,
                &option,
                entries,
                &mut sent,
            )
            .await;
        match &res {
            // Delivered and answered, whatever raft made of it.
            Ok(_) | Err(RPCError::RemoteError(_)) => timer.answered(),
            Err(_) => timer.failed(),
        }
        res
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<typ::NodeId>, InstallSnapshotError> {
        let action = RPCTypes::InstallSnapshot;
        self.rpc(SNAPSHOT_PATH, action, &rpc, &option, 0, &mut |_| {})
            .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<typ::NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<typ::NodeId>, openraft::error::Infallible> {
        self.rpc(VOTE_PATH, RPCTypes::Vote, &rpc, &option, 0, &mut |_| {})
            .await
    }

    /// Retries to an unreachable peer pause 50 ms, 100 ms, ... up to 1 s;
    /// openraft drops the backoff after the next successful RPC.
    fn backoff(&self) -> Backoff {
        Backoff::new(exponential(BACKOFF_FIRST, BACKOFF_MAX))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[path = "network_tests.rs"]
mod network_tests;
