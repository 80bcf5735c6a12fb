//! Any member answers any request: writes reaching a follower are proposed
//! through the leader, and linearizable reads on a follower wait for the
//! leader's read index. Both travel over the peer transport.

use super::network::{PeerError, PeerNetwork};
use super::{typ, Batch, Response};
use openraft::error::{CheckIsLeaderError, ClientWriteError, RaftError};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Peer path: propose a batch on the leader.
pub const PROPOSE_PATH: &str = "/raft/propose";
/// Peer path: the leader's linearizable read index.
pub const READ_INDEX_PATH: &str = "/raft/read_index";

/// The leader's answer to a forwarded proposal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ProposeReply {
    /// Applied at this log id, with these outcomes as JSON (the events' node
    /// type omits empty fields, which only a self-describing encoding keeps).
    Applied(typ::LogId, Vec<u8>),
    /// The receiver is not (or no longer) the leader: retry elsewhere.
    NotLeader,
    /// Refused for another reason.
    Failed(String),
}

/// The leader's answer to a read-index request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ReadIndexReply {
    /// Everything up to this log id is committed and applied on the leader.
    Index(Option<typ::LogId>),
    /// The receiver is not the leader.
    NotLeader,
    /// It could not confirm its leadership.
    Failed(String),
}

/// The reference's cause for a request raft could not complete in time.
pub const TIMED_OUT: &str = "etcdserver: request timed out";

/// How long to wait between attempts while no leader is known.
const NO_LEADER_PAUSE: Duration = Duration::from_millis(20);

/// Routes writes and read barriers to the leader. Cheap to clone.
#[derive(Clone)]
pub struct Forwarder {
    raft: typ::Raft,
    network: PeerNetwork,
    member_id: u64,
    timeout: Duration,
    reads: Arc<Mutex<ReadRound>>,
}

/// What a leadership confirmation told the readers waiting for it.
#[derive(Debug, Clone)]
enum Confirmed {
    Yes,
    /// Not (or no longer) leader, or no quorum yet: try again.
    Retry,
    Failed(String),
}

/// Linearizable reads on the leader share leadership confirmations: every
/// reader that arrived before a confirmation started is answered by it, so
/// concurrent quorum reads cost one round of heartbeats, not one each.
#[derive(Debug, Default)]
struct ReadRound {
    running: bool,
    waiting: Vec<oneshot::Sender<Confirmed>>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("member_id", &self.member_id)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Forwarder {
    /// A forwarder for this member; `timeout` bounds a whole request,
    /// waiting for a leader included.
    pub fn new(raft: typ::Raft, network: PeerNetwork, member_id: u64, timeout: Duration) -> Self {
        Forwarder {
            raft,
            network,
            member_id,
            timeout,
            reads: Arc::new(Mutex::new(ReadRound::default())),
        }
    }

    /// Waits for a leadership confirmation that started after this call.
    async fn confirm_leadership(&self) -> Confirmed {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut round = self.reads.lock().unwrap_or_else(|p| p.into_inner());
            round.waiting.push(tx);
            !std::mem::replace(&mut round.running, true)
        };
        if start {
            let (raft, reads) = (self.raft.clone(), self.reads.clone());
            tokio::spawn(async move {
                loop {
                    let batch = {
                        let mut round = reads.lock().unwrap_or_else(|p| p.into_inner());
                        if round.waiting.is_empty() {
                            round.running = false;
                            return;
                        }
                        std::mem::take(&mut round.waiting)
                    };
                    let outcome = match raft.ensure_linearizable().await {
                        Ok(_) => Confirmed::Yes,
                        Err(RaftError::APIError(
                            CheckIsLeaderError::ForwardToLeader(_)
                            | CheckIsLeaderError::QuorumNotEnough(_),
                        )) => Confirmed::Retry,
                        Err(e) => Confirmed::Failed(e.to_string()),
                    };
                    for tx in batch {
                        let _ = tx.send(outcome.clone());
                    }
                }
            });
        }
        rx.await
            .unwrap_or_else(|_| Confirmed::Failed("the server is stopping".into()))
    }

    /// The peer transport.
    pub fn network(&self) -> &PeerNetwork {
        &self.network
    }

    /// The known leader and its node record.
    fn leader(&self) -> Option<(u64, super::Member)> {
        let m = self.raft.metrics();
        let m = m.borrow();
        let id = m.current_leader?;
        let node = m.membership_config.membership().get_node(&id)?.clone();
        Some((id, node))
    }

    /// Proposes `batch` (on the leader directly, or through it) and waits
    /// until this member has applied it. During an election it waits, up to
    /// the timeout, for a leader.
    pub async fn write(&self, batch: Batch) -> Result<(typ::LogId, Response), String> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.leader() {
                Some((id, _)) if id == self.member_id => {
                    // A copy is kept: if leadership moved meanwhile, the batch
                    // was not proposed and goes to the new leader.
                    //
                    // The wait is bounded: openraft answers a proposal when
                    // its entry is applied or cut from the log, but never
                    // when a snapshot from a later leader replaces the log
                    // holding it. Unbounded, that wait would stall the
                    // proposer's batches (and the expiry ticker) for good.
                    let left = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(left, self.raft.client_write(batch.clone())).await {
                        Err(_) => return Err(TIMED_OUT.into()),
                        Ok(Ok(resp)) => return Ok((resp.log_id, resp.data)),
                        Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_)))) => {}
                        Ok(Err(e)) => return Err(e.to_string()),
                    }
                }
                Some((id, node)) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let reply = self
                        .network
                        .call::<Batch, ProposeReply>(id, &node, PROPOSE_PATH, &batch, left)
                        .await;
                    match reply {
                        Ok(ProposeReply::Applied(log_id, json)) => {
                            let data: Response = serde_json::from_slice(&json)
                                .map_err(|e| format!("decoding the leader's answer: {e}"))?;
                            self.wait_applied(log_id.index, deadline).await?;
                            return Ok((log_id, data));
                        }
                        Ok(ProposeReply::Failed(e)) => return Err(e),
                        // Not delivered: safe to try again once a leader is known.
                        Ok(ProposeReply::NotLeader) | Err(PeerError::Unreachable { .. }) => {}
                        // Out of time, outcome unknown: the reference's cause.
                        Err(PeerError::Timeout { .. }) => return Err(TIMED_OUT.into()),
                        // Sent, outcome unknown: it may have been applied.
                        Err(e) => return Err(e.to_string()),
                    }
                }
                None => {}
            }
            if Instant::now() >= deadline {
                return Err(TIMED_OUT.into());
            }
            tokio::time::sleep(NO_LEADER_PAUSE).await;
        }
    }

    /// Returns once this member's store reflects every write committed before
    /// the call (a linearizable read barrier).
    pub async fn read_barrier(&self) -> Result<(), String> {
        self.read_barrier_until(Instant::now() + self.timeout).await
    }

    /// [`Forwarder::read_barrier`] with its own deadline (start-up waits for
    /// the other members as long as it takes).
    pub async fn read_barrier_until(&self, deadline: Instant) -> Result<(), String> {
        loop {
            match self.leader() {
                Some((id, _)) if id == self.member_id => {
                    match self.confirm_leadership().await {
                        Confirmed::Yes => return Ok(()),
                        // Another member leads, or the others do not answer
                        // yet (they may be starting): look again.
                        Confirmed::Retry => {}
                        Confirmed::Failed(e) => return Err(e),
                    }
                }
                Some((id, node)) => {
                    // One attempt takes at most a request's time, so a leader
                    // that stopped answering is asked again (or its successor
                    // is) even when the deadline is far away.
                    let left = deadline
                        .saturating_duration_since(Instant::now())
                        .min(self.timeout);
                    let reply = self
                        .network
                        .call::<(), ReadIndexReply>(id, &node, READ_INDEX_PATH, &(), left)
                        .await;
                    match reply {
                        Ok(ReadIndexReply::Index(index)) => {
                            if let Some(log_id) = index {
                                self.wait_applied(log_id.index, deadline).await?;
                            }
                            return Ok(());
                        }
                        Ok(ReadIndexReply::Failed(e)) => return Err(e),
                        Ok(ReadIndexReply::NotLeader) => {}
                        // Asking for the read index changes nothing, so a
                        // connection lost on the way or an attempt out of
                        // time (a leader that died, hangs or restarts
                        // meanwhile) is retried until the deadline like an
                        // unreachable one: at start-up the deadline is far
                        // away and the member must not give up because a
                        // peer restarted under it (and answers 5xx until
                        // it is ready).
                        Err(
                            PeerError::Unreachable { .. }
                            | PeerError::Network { .. }
                            | PeerError::Status { .. }
                            | PeerError::Timeout { .. },
                        ) => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                None => {}
            }
            if Instant::now() >= deadline {
                return Err(TIMED_OUT.into());
            }
            tokio::time::sleep(NO_LEADER_PAUSE).await;
        }
    }

    async fn wait_applied(&self, index: u64, deadline: Instant) -> Result<(), String> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.raft
            .wait(Some(left.max(Duration::from_millis(1))))
            .applied_index_at_least(Some(index), "forwarded write applied")
            .await
            .map(|_| ())
            .map_err(|_| TIMED_OUT.to_owned())
    }

    /// The leader's side of [`PROPOSE_PATH`].
    pub async fn serve_propose(raft: typ::Raft, batch: Batch) -> ProposeReply {
        match raft.client_write(batch).await {
            Ok(resp) => match serde_json::to_vec(&resp.data) {
                Ok(json) => ProposeReply::Applied(resp.log_id, json),
                Err(e) => ProposeReply::Failed(format!("encoding the outcome: {e}")),
            },
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))) => {
                ProposeReply::NotLeader
            }
            Err(e) => ProposeReply::Failed(e.to_string()),
        }
    }

    /// The leader's side of [`READ_INDEX_PATH`].
    pub async fn serve_read_index(raft: typ::Raft) -> ReadIndexReply {
        match raft.ensure_linearizable().await {
            Ok(index) => ReadIndexReply::Index(index),
            // Either way the asker should try again (until its deadline).
            Err(RaftError::APIError(
                CheckIsLeaderError::ForwardToLeader(_) | CheckIsLeaderError::QuorumNotEnough(_),
            )) => ReadIndexReply::NotLeader,
            Err(e) => ReadIndexReply::Failed(e.to_string()),
        }
    }
}
