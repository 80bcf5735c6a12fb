//! The peer listener's raft endpoints: `POST /raft/append`, `/raft/vote` and
//! `/raft/snapshot` (the wire format is described in
//! [`crate::raft::network`], which sends them).
//!
//! Every request must carry this cluster's `X-Etcd-Cluster-ID` (else 412), a
//! member id in `X-Server-From` (else 400) and, when it names one,
//! `X-Raft-To` must be this member (else 412). Bodies over [`MAX_BODY`] get
//! 413; bodies that do not decode get 400. A decoded request is handed to
//! raft and its result, `Result<response, RaftError>`, is answered
//! postcard-encoded with 200. Every answer carries this member's
//! `X-Etcd-Cluster-ID`.
//!
//! To add an endpoint, add one arm to the match in [`route`] that calls
//! [`rpc`] with the request type and a handler.
//!
//! Besides, `/raft/probing` answers any request with this member's time, as
//! the reference's does, with no identity checks and no cluster id: the
//! other members' probers ask it (`raft/network/prober.rs`).

use super::{full, Resp};
use crate::cluster;
use crate::ids;
use crate::metrics::PeerMetrics;
use crate::raft::network::stats::PeerStats;
use crate::raft::network::{
    prober, APPEND_PATH, BINARY, CLUSTER_ID_HEADER, FROM_HEADER, MAX_BODY, SNAPSHOT_PATH,
    TO_HEADER, VOTE_PATH,
};
use crate::raft::{forward, typ, Batch, TypeConfig};
use crate::store::Store;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use tracing::{debug, warn};

/// What the peer endpoints need: the raft handle and this member's identity.
/// Cheap to clone.
#[derive(Clone)]
pub struct PeerState {
    pub raft: typ::Raft,
    pub member_id: u64,
    pub cluster_id: u64,
    /// The largest request body accepted (413 above it).
    pub max_body: usize,
    /// `(sender, its cluster id)` pairs whose mismatch was logged at warn
    /// level (repeats go to debug, so a foreign member cannot flood the log).
    mismatches: Arc<Mutex<HashSet<(String, String)>>>,
    /// Append requests received (`/v2/stats/self`).
    stats: PeerStats,
    /// Bytes received per peer (`/metrics`); the app shares the sending
    /// side's figures here.
    pub metrics: PeerMetrics,
    /// The member's store, for the removed members [`MEMBERS_PATH`] reports.
    store: Arc<RwLock<Store>>,
}

impl std::fmt::Debug for PeerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerState")
            .field("member_id", &ids::hex(self.member_id))
            .field("cluster_id", &ids::hex(self.cluster_id))
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

/// Why a request is refused: the status and the plain-text reason.
#[derive(Debug)]
struct Refusal(u16, String);

/// Distinct mismatches remembered before the memory is reset.
const MAX_REMEMBERED: usize = 1024;

impl PeerState {
    pub fn new(
        raft: typ::Raft,
        member_id: u64,
        cluster_id: u64,
        store: Arc<RwLock<Store>>,
    ) -> PeerState {
        PeerState {
            raft,
            member_id,
            cluster_id,
            max_body: MAX_BODY,
            mismatches: Arc::default(),
            stats: PeerStats::new(),
            metrics: PeerMetrics::default(),
            store,
        }
    }

    /// The append requests this member received (the sending side's
    /// figures are `PeerNetwork::stats`).
    pub fn stats(&self) -> &PeerStats {
        &self.stats
    }

    /// Whether a mismatch from `from` claiming `got` is new (worth a warning).
    fn first_mismatch(&self, from: &str, got: &str) -> bool {
        let mut seen = self.mismatches.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_REMEMBERED {
            seen.clear();
        }
        seen.insert((from.to_owned(), got.to_owned()))
    }

    /// Checks the identity headers; the refusal to answer otherwise.
    fn check(&self, headers: &HeaderMap) -> Result<u64, Refusal> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let want = ids::hex(self.cluster_id);
        let from_text = header(FROM_HEADER).unwrap_or("");
        let got = header(CLUSTER_ID_HEADER).unwrap_or("");
        if ids::parse_hex(got) != Some(self.cluster_id) {
            let msg = format!("request cluster ID mismatch (got {got} want {want})");
            if self.first_mismatch(from_text, got) {
                warn!(target: "rafthttp", "{msg} from member {from_text}");
            } else {
                debug!(target: "rafthttp", "{msg} from member {from_text}");
            }
            return Err(Refusal(412, msg));
        }
        let Some(from) = ids::parse_hex(from_text) else {
            return Err(Refusal(
                400,
                format!("bad {FROM_HEADER} header {from_text:?}"),
            ));
        };
        if let Some(to) = header(TO_HEADER) {
            if ids::parse_hex(to) != Some(self.member_id) {
                let msg = format!(
                    "member ID mismatch (got {to} want {})",
                    ids::hex(self.member_id)
                );
                if self.first_mismatch(from_text, to) {
                    warn!(target: "rafthttp", "{msg} from member {from_text}");
                }
                return Err(Refusal(412, msg));
            }
        }
        Ok(from)
    }

    /// An answer carrying this member's cluster id.
    fn answer(&self, status: u16, content_type: &'static str, body: super::Body) -> Resp {
        let mut r = Response::new(body);
        *r.status_mut() = StatusCode::from_u16(status).expect("valid status");
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        h.insert(
            HeaderName::from_static(CLUSTER_ID_HEADER),
            HeaderValue::from_str(&ids::hex(self.cluster_id)).expect("hex is ASCII"),
        );
        r
    }

    fn text(&self, status: u16, text: &str) -> Resp {
        self.answer(status, super::TEXT, full(format!("{text}\n")))
    }
}

/// Peer path: the members raft knows, for a member joining an existing cluster.
pub const MEMBERS_PATH: &str = "/members";
/// The header of [`MEMBERS_PATH`]'s answer that lists the members removed
/// from the cluster (comma-separated hex ids): a member restarting on its old
/// data dir refuses to start when it finds itself there.
pub const REMOVED_HEADER: &str = "x-etcd-removed-members";

/// One entry of [`MEMBERS_PATH`]'s answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PeerMember {
    pub id: String,
    #[serde(rename = "peerURLs")]
    pub peer_urls: Vec<String>,
}

/// Answers one `/raft/...` request.
pub async fn route<B>(state: &PeerState, req: Request<B>) -> Resp
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let raft = state.raft.clone();
    match req.uri().path() {
        APPEND_PATH => {
            let stats = state.stats.clone();
            let observe = move |from, size, r: &AppendEntriesRequest<TypeConfig>| {
                let commit = r.leader_commit.map(|c| c.index);
                stats.received(from, size, r.entries.len(), commit);
            };
            let handler =
                |r: AppendEntriesRequest<TypeConfig>| async move { raft.append_entries(r).await };
            rpc_observed(state, req, observe, handler).await
        }
        VOTE_PATH => {
            rpc(state, req, |r: VoteRequest<u64>| async move {
                raft.vote(r).await
            })
            .await
        }
        SNAPSHOT_PATH => {
            let handler = |r: InstallSnapshotRequest<TypeConfig>| async move {
                raft.install_snapshot(r).await
            };
            rpc(state, req, handler).await
        }
        forward::PROPOSE_PATH => {
            let handler =
                |b: Batch| async move { forward::Forwarder::serve_propose(raft, b).await };
            rpc(state, req, handler).await
        }
        forward::READ_INDEX_PATH => {
            let handler = |(): ()| async move { forward::Forwarder::serve_read_index(raft).await };
            rpc(state, req, handler).await
        }
        crate::membership::REMOVED_PATH => {
            let me = state.member_id;
            let handler = move |id: u64| async move {
                if id == me {
                    crate::membership::exit_removed();
                }
            };
            rpc(state, req, handler).await
        }
        MEMBERS_PATH => {
            let m = raft.metrics().borrow().clone();
            let list: Vec<PeerMember> = m
                .membership_config
                .membership()
                .nodes()
                .map(|(id, node)| PeerMember {
                    id: ids::hex(*id),
                    peer_urls: node.peer_urls.clone(),
                })
                .collect();
            let body = serde_json::to_vec(&list).unwrap_or_default();
            let mut r = state.answer(200, "application/json", full(body));
            let removed =
                cluster::removed_ids(&state.store.read().unwrap_or_else(|p| p.into_inner()));
            super::set(&mut r, REMOVED_HEADER, removed.join(","));
            r
        }
        prober::PROBING_PATH => probing_answer(),
        _ => state.text(404, "404 page not found"),
    }
}

/// The answer of [`prober::PROBING_PATH`], to any method: the time, with
/// only the reference's headers (no cluster id).
fn probing_answer() -> Resp {
    let now = crate::app::now_nanos();
    let mut r = Response::new(full(prober::answer_body(now)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(super::TEXT));
    r
}

/// One peer RPC: method, identity and size checks, then `handler` on the
/// postcard-decoded body, its result postcard-encoded.
pub async fn rpc<B, Q, A, F, Fut>(state: &PeerState, req: Request<B>, handler: F) -> Resp
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
    Q: DeserializeOwned,
    A: Serialize,
    F: FnOnce(Q) -> Fut,
    Fut: Future<Output = A>,
{
    rpc_observed(state, req, |_, _, _: &Q| {}, handler).await
}

/// [`rpc`], showing `observe` the sender, the body size and the decoded
/// request before `handler` runs.
pub async fn rpc_observed<B, Q, A, O, F, Fut>(
    state: &PeerState,
    req: Request<B>,
    observe: O,
    handler: F,
) -> Resp
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
    Q: DeserializeOwned,
    A: Serialize,
    O: FnOnce(u64, usize, &Q),
    F: FnOnce(Q) -> Fut,
    Fut: Future<Output = A>,
{
    if req.method() != Method::POST {
        let mut r = state.text(405, "Method Not Allowed");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let from = match state.check(req.headers()) {
        Ok(from) => from,
        Err(Refusal(status, text)) => return state.text(status, &text),
    };
    let body = match read_body(state.max_body, req).await {
        Ok(body) => body,
        Err(Refusal(status, text)) => return state.text(status, &text),
    };
    let request: Q = match postcard::from_bytes(&body) {
        Ok(q) => q,
        Err(e) => return state.text(400, &format!("bad request body: {e}")),
    };
    state.metrics.received(from, body.len());
    observe(from, body.len(), &request);
    let answer = handler(request).await;
    match postcard::to_allocvec(&answer) {
        Ok(bytes) => state.answer(200, BINARY, full(bytes)),
        Err(e) => state.text(500, &format!("encoding the answer: {e}")),
    }
}

/// The whole body, at most `max` bytes (413 above).
async fn read_body<B>(max: usize, req: Request<B>) -> Result<Bytes, Refusal>
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let too_large = || Refusal(413, format!("request body larger than {max} bytes"));
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match Limited::new(req.into_body(), max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Refusal(400, format!("reading the request body: {e}"))),
    }
}
