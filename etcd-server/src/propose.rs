//! Group commit: writes that arrive while a raft entry is being made durable
//! are gathered into the next entry, so one log append (one fsync) carries
//! many writes. openraft 0.9 appends and syncs every `client_write` on its own
//! (it does not pipeline log I/O), so without this every write pays a full
//! fsync in turn.
//!
//! One entry is cut at a time: whoever proposes holds the one permit of
//! `turn` until raft reports a commit after the proposal (the entry's own,
//! as a rule; the log store's `commits`), or else until the entry is
//! answered. So the next entry is cut as soon as the last one is durable
//! where it counts (the member's own log when it is alone, a quorum's
//! logs otherwise), and goes to the disks while the last one is applied and
//! answered. Cut sooner, it would only queue behind the entry in flight
//! (raft appends one entry at a time) and carry fewer writes: entries cut
//! when the leader's own log had the last one made three members 12%
//! slower. Held until the last entry is answered, the disks would idle
//! meanwhile.
//!
//! While writes come one at a time, a write that finds the permit free and
//! nobody waiting proposes itself, from its own task: that spares a lone
//! write two task hops (to the batching task and back). Otherwise it queues
//! for the batching task, which takes the permit as soon as it is free and
//! gathers everything queued meanwhile. Once the batching task gathers more
//! than one write, writes are concurrent and all go to it (an entry of one
//! write would make the others wait a whole sync), until it proposes a lone
//! write again. At most [`MAX_IN_FLIGHT`] of its entries are unanswered at a
//! time (a member whose entries wait for a slow quorum keeps batching).
//!
//! Before it gathers, the batching task lets every task that is ready to run
//! go first (one `yield_now`): the connections the last entry answered send
//! their responses, and those whose next requests have arrived queue their
//! writes, which would otherwise miss the entry about to be cut and wait a
//! whole sync for the next one. Cut at once, entries kept their
//! sizes from one round to the next: under 64 connections a fifth of them
//! carried a single write. Letting the ready tasks in first made entries
//! larger (22 writes on average → 32) and single-write ones rarer (a fifth
//! → a twentieth), for more writes per second and a lower p99 at 64
//! connections and no change at 2 and 8. A lone writer never reaches the
//! batching task, so it pays nothing. Since entries are cut when the last
//! one is committed, the yield costs the disk some idle time (the answers of
//! the last entry go first, about a quarter of a millisecond under 64
//! connections), and is still worth it: without it, entries carried fewer
//! writes, and p99 at 64 connections was 9% higher.

use crate::raft::forward::Forwarder;
use crate::raft::{typ, Batch, Outcome, Request, Response};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};

/// Most requests in one entry.
const MAX_BATCH: usize = 1024;
/// Most value bytes in one entry (the first request always goes in).
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Most entries of the batching task proposed and not answered yet.
const MAX_IN_FLIGHT: usize = 4;

/// The result of a proposal: the request's outcome and the raft entry that
/// carried it.
#[derive(Debug, Clone)]
pub struct Written {
    pub outcome: Outcome,
    pub log_id: typ::LogId,
}

struct Pending {
    request: Request,
    reply: oneshot::Sender<Result<Written, String>>,
}

/// Where entries go: raft, on the leader or through it.
pub trait Sink: Clone + Send + Sync + 'static {
    /// Proposes `batch` as one entry and waits until it is applied: its log
    /// id and one outcome per request.
    fn write(
        &self,
        batch: Batch,
    ) -> impl Future<Output = Result<(typ::LogId, Response), String>> + Send;
}

impl Sink for Forwarder {
    fn write(
        &self,
        batch: Batch,
    ) -> impl Future<Output = Result<(typ::LogId, Response), String>> + Send {
        Forwarder::write(self, batch)
    }
}

/// Hands writes to raft in batches. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Proposer<S = Forwarder> {
    tx: mpsc::Sender<Pending>,
    sink: S,
    /// Held by whoever cuts an entry, until it is committed (one permit).
    turn: Arc<Semaphore>,
    /// Commits, as the log store reports them.
    commits: watch::Receiver<u64>,
    /// Whether the batching task's last entry carried more than one write.
    concurrent: Arc<AtomicBool>,
}

fn size(r: &Request) -> usize {
    use crate::store::Command::*;
    match &r.command {
        Set { path, value, .. } | Create { path, value, .. } | Update { path, value, .. } => {
            path.len() + value.len()
        }
        CompareAndSwap {
            path,
            prev_value,
            value,
            ..
        } => path.len() + prev_value.len() + value.len(),
        Delete { path, .. } => path.len(),
        CompareAndDelete {
            path, prev_value, ..
        } => path.len() + prev_value.len(),
        Expire => 0,
    }
}

/// Proposes `requests` as one entry and gives `turn` up once `commits`
/// reports a commit after the proposal (or is closed: the log store is
/// gone), or else with the results: the result of each request, in order.
async fn write_in_turn(
    sink: &impl Sink,
    requests: Vec<Request>,
    turn: OwnedSemaphorePermit,
    mut commits: watch::Receiver<u64>,
) -> Vec<Result<Written, String>> {
    commits.mark_unchanged();
    let write = write(sink, requests);
    tokio::pin!(write);
    tokio::select! {
        results = &mut write => return results,
        _ = commits.changed() => drop(turn),
    }
    write.await
}

/// Proposes `requests` as one entry; the result of each, in order.
async fn write(sink: &impl Sink, requests: Vec<Request>) -> Vec<Result<Written, String>> {
    let n = requests.len();
    match sink.write(Batch::from(requests)).await {
        Ok((log_id, data)) if data.0.len() == n => data
            .0
            .into_iter()
            .map(|outcome| Ok(Written { outcome, log_id }))
            .collect(),
        Ok((log_id, data)) => {
            let msg = format!(
                "entry {log_id} came back with {} outcomes for {n} requests",
                data.0.len()
            );
            vec![Err(msg); n]
        }
        Err(msg) => vec![Err(msg); n],
    }
}

impl<S: Sink> Proposer<S> {
    /// Starts the batching task, proposing through `sink` (the forwarder:
    /// directly on the leader, through it elsewhere), with `commits` the
    /// log store's reports of commits; it ends when every clone of the
    /// proposer is dropped.
    pub fn start(sink: S, commits: watch::Receiver<u64>) -> Proposer<S> {
        let (tx, mut rx) = mpsc::channel::<Pending>(4 * MAX_BATCH);
        let turn = Arc::new(Semaphore::new(1));
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let concurrent = Arc::new(AtomicBool::new(false));
        let proposer = Proposer {
            tx,
            sink: sink.clone(),
            turn: turn.clone(),
            commits: commits.clone(),
            concurrent: concurrent.clone(),
        };
        tokio::spawn(async move {
            let mut carry: Option<Pending> = None;
            loop {
                let first = match carry.take() {
                    Some(p) => p,
                    None => match rx.recv().await {
                        Some(p) => p,
                        None => return,
                    },
                };
                let Ok(slot) = in_flight.clone().acquire_owned().await else {
                    return;
                };
                // Queued behind any direct write being cut (the semaphore is
                // fair: once this waits, a direct write no longer gets in).
                let Ok(turn) = turn.clone().acquire_owned().await else {
                    return;
                };
                // Ready tasks first: their writes join this entry (module
                // docs).
                tokio::task::yield_now().await;
                let mut bytes = size(&first.request);
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(p) => {
                            bytes += size(&p.request);
                            if bytes > MAX_BATCH_BYTES {
                                carry = Some(p);
                                break;
                            }
                            batch.push(p);
                        }
                        Err(_) => break,
                    }
                }
                concurrent.store(batch.len() > 1, Ordering::Relaxed);
                let (requests, replies): (Vec<Request>, Vec<_>) =
                    batch.into_iter().map(|p| (p.request, p.reply)).unzip();
                let (sink, commits) = (sink.clone(), commits.clone());
                tokio::spawn(async move {
                    let results = write_in_turn(&sink, requests, turn, commits).await;
                    drop(slot);
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                });
            }
        });
        proposer
    }

    /// Proposes `request` and waits until it is applied (or raft refuses it).
    pub async fn propose(&self, request: Request) -> Result<Written, String> {
        // Writes come one at a time, nobody is cutting an entry, and nobody
        // is queued (a queued write the batching task already took waits on
        // `turn`, so `try_acquire_owned` fails then).
        let turn = if self.concurrent.load(Ordering::Relaxed) {
            None
        } else {
            self.turn
                .clone()
                .try_acquire_owned()
                .ok()
                .filter(|_| self.tx.capacity() == self.tx.max_capacity())
        };
        if let Some(turn) = turn {
            // Boxed: the proposal's future (raft's included) would otherwise
            // be part of every write request's, queued ones too.
            let write = write_in_turn(&self.sink, vec![request], turn, self.commits.clone());
            let mut results = Box::pin(write).await;
            return results.pop().expect("one result per request");
        }
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Pending { request, reply })
            .await
            .map_err(|_| "the server is stopping".to_owned())?;
        rx.await.map_err(|_| "the server is stopping".to_owned())?
    }
}

#[cfg(test)]
#[path = "propose_tests.rs"]
mod tests;
