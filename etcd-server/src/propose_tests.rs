//! The proposer's batching, against a sink that records its entries. The
//! tests run on a current-thread runtime, where the order in which ready
//! tasks run is fixed, so which writes share an entry is too.

use super::*;
use crate::store::Command;
use openraft::{CommittedLeaderId, LogId};
use std::sync::Mutex;
use tokio::sync::watch;

/// Records each entry (the `now` of its requests, which the tests use to
/// number their writes) and answers it, after holding it until the gate
/// opens if it is one of the first `held`.
#[derive(Debug, Clone)]
struct Fake {
    entries: Arc<Mutex<Vec<Vec<i64>>>>,
    held: usize,
    gate: watch::Receiver<bool>,
    /// How many outcomes each answer lacks.
    short: usize,
}

impl Fake {
    /// A fake holding its first `held` entries, and the gate's opener.
    fn gated(held: usize, short: usize) -> (Fake, watch::Sender<bool>) {
        let (open, gate) = watch::channel(false);
        let fake = Fake {
            entries: Arc::default(),
            held,
            gate,
            short,
        };
        (fake, open)
    }

    fn entries(&self) -> Vec<Vec<i64>> {
        self.entries.lock().unwrap().clone()
    }
}

impl Sink for Fake {
    fn write(
        &self,
        batch: Batch,
    ) -> impl Future<Output = Result<(typ::LogId, Response), String>> + Send {
        let fake = self.clone();
        async move {
            let index = {
                let mut entries = fake.entries.lock().unwrap();
                entries.push(batch.0.iter().map(|r| r.now).collect());
                entries.len() as u64
            };
            if index <= fake.held as u64 {
                let mut gate = fake.gate.clone();
                let _ = gate.wait_for(|open| *open).await;
            }
            let outcomes = (fake.short..batch.0.len()).map(|_| None).collect();
            Ok((
                LogId::new(CommittedLeaderId::new(1, 1), index),
                Response(outcomes),
            ))
        }
    }
}

/// A proposer over `fake`, and where the tests report commits to it (none
/// unless they do).
fn start(fake: &Fake) -> (Proposer<Fake>, watch::Sender<u64>) {
    let (commits, committed) = watch::channel(0);
    (Proposer::start(fake.clone(), committed), commits)
}

fn write_no(n: i64) -> Request {
    Request {
        now: n,
        command: Command::Expire,
    }
}

/// Proposes write `n` from a task of its own.
fn spawn_write(
    proposer: &Proposer<Fake>,
    n: i64,
) -> tokio::task::JoinHandle<Result<Written, String>> {
    let proposer = proposer.clone();
    tokio::spawn(async move { proposer.propose(write_no(n)).await })
}

/// Yields until `done` holds (a few rounds of the scheduler at most).
async fn settle(mut done: impl FnMut() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the proposer did not get there");
}

/// Write 1 is proposed on its own and held in the sink; write 2 queues
/// behind it. Writes 3 to 5 become ready only when write 1 is answered,
/// after the batching task was woken to propose write 2: they still go into
/// write 2's entry.
#[tokio::test]
async fn writes_ready_when_an_entry_is_cut_go_into_it() {
    let (fake, open) = Fake::gated(1, 0);
    let (proposer, _commits) = start(&fake);
    let (answered, follow) = watch::channel(false);

    let first = tokio::spawn({
        let proposer = proposer.clone();
        async move {
            let result = proposer.propose(write_no(1)).await;
            answered.send_replace(true);
            result
        }
    });
    settle(|| fake.entries().len() == 1).await;

    let queued = Arc::new(AtomicBool::new(false));
    let second = tokio::spawn({
        let (proposer, queued) = (proposer.clone(), queued.clone());
        async move {
            queued.store(true, Ordering::SeqCst);
            proposer.propose(write_no(2)).await
        }
    });
    // Taken from the queue by the batching task, which now waits its turn.
    settle(|| {
        queued.load(Ordering::SeqCst) && proposer.tx.capacity() == proposer.tx.max_capacity()
    })
    .await;

    let followers: Vec<_> = (3..=5)
        .map(|n| {
            let (proposer, mut follow) = (proposer.clone(), follow.clone());
            tokio::spawn(async move {
                follow.wait_for(|answered| *answered).await.unwrap();
                proposer.propose(write_no(n)).await
            })
        })
        .collect();
    open.send_replace(true);

    assert_eq!(first.await.unwrap().unwrap().log_id.index, 1);
    assert_eq!(second.await.unwrap().unwrap().log_id.index, 2);
    for follower in followers {
        assert_eq!(follower.await.unwrap().unwrap().log_id.index, 2);
    }
    // The followers' order among themselves is the order the watch woke
    // them in, which it does not fix.
    let mut entries = fake.entries();
    entries[1].sort_unstable();
    assert_eq!(entries, vec![vec![1], vec![2, 3, 4, 5]]);
}

/// An answer that does not hold one outcome per request is an error for
/// every write of the entry, on both ways in.
#[tokio::test]
async fn an_entry_answered_with_too_few_outcomes_fails_each_of_its_writes() {
    let (fake, open) = Fake::gated(1, 1);
    let (proposer, _commits) = start(&fake);

    let first = spawn_write(&proposer, 1);
    settle(|| fake.entries().len() == 1).await;
    let rest: Vec<_> = (2..=4).map(|n| spawn_write(&proposer, n)).collect();
    settle(|| proposer.tx.capacity() == proposer.tx.max_capacity() - 2).await;
    open.send_replace(true);

    let err = first.await.unwrap().unwrap_err();
    assert!(
        err.contains("came back with 0 outcomes for 1 requests"),
        "{err}"
    );
    for write in rest {
        let err = write.await.unwrap().unwrap_err();
        assert!(
            err.contains("came back with 2 outcomes for 3 requests"),
            "{err}"
        );
    }
    assert_eq!(fake.entries(), vec![vec![1], vec![2, 3, 4]]);
}

/// Proposes writes `a` and `b` from two tasks spawned together.
async fn together(proposer: &Proposer<Fake>, a: i64, b: i64) {
    let tasks = [a, b].map(|n| spawn_write(proposer, n));
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

/// Once an entry carried more than one write, writes are concurrent: two
/// that arrive together while nothing is in flight both queue and share an
/// entry, where a write alone would have been proposed directly and the
/// other after it. An entry of one write ends that.
#[tokio::test]
async fn once_an_entry_carries_several_writes_all_writes_queue_until_one_comes_alone() {
    let (fake, open) = Fake::gated(1, 0);
    let (proposer, _commits) = start(&fake);
    // Write 1 goes directly and is held; 2 and 3 queue behind it and share
    // the next entry.
    let first = spawn_write(&proposer, 1);
    settle(|| fake.entries().len() == 1).await;
    let queued = [2, 3].map(|n| spawn_write(&proposer, n));
    settle(|| proposer.tx.capacity() < proposer.tx.max_capacity()).await;
    open.send_replace(true);
    first.await.unwrap().unwrap();
    for write in queued {
        write.await.unwrap().unwrap();
    }
    assert_eq!(fake.entries(), vec![vec![1], vec![2, 3]]);

    // Concurrent now: 4 and 5 share an entry although nothing is in flight.
    together(&proposer, 4, 5).await;
    // A lone write goes through the batching task, in an entry of its own.
    proposer.propose(write_no(6)).await.unwrap();
    // Not concurrent any more: each of 7 and 8 is proposed directly.
    together(&proposer, 7, 8).await;
    assert_eq!(fake.entries()[2..], [vec![4, 5], vec![6], vec![7], vec![8]]);
}

/// Yields a few rounds of the scheduler, for what should not happen.
async fn idle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

/// Once a commit after an entry was proposed is reported, the next entry
/// is cut, though the first is not answered yet; without the report it
/// waits.
#[tokio::test]
async fn the_next_entry_is_cut_once_the_last_one_is_committed() {
    let (fake, open) = Fake::gated(1, 0);
    let (proposer, commits) = start(&fake);
    let first = spawn_write(&proposer, 1);
    settle(|| fake.entries().len() == 1).await;
    let second = spawn_write(&proposer, 2);
    idle().await;
    assert_eq!(fake.entries().len(), 1);

    commits.send_replace(1);
    settle(|| fake.entries().len() == 2).await;
    assert_eq!(second.await.unwrap().unwrap().log_id.index, 2);
    assert!(!first.is_finished());
    open.send_replace(true);
    assert_eq!(first.await.unwrap().unwrap().log_id.index, 1);
    assert_eq!(fake.entries(), vec![vec![1], vec![2]]);
}

/// Commits reported, answers not: the batching task stops cutting entries
/// once [`MAX_IN_FLIGHT`] of its own wait for their answers.
#[tokio::test]
async fn at_most_max_in_flight_entries_of_the_batching_task_wait_for_answers() {
    let (fake, open) = Fake::gated(usize::MAX, 0);
    let (proposer, commits) = start(&fake);
    // Write 1 goes directly, the others through the batching task.
    let mut writes = vec![spawn_write(&proposer, 1)];
    settle(|| fake.entries().len() == 1).await;
    let last = MAX_IN_FLIGHT as i64 + 2;
    for n in 2..=last {
        writes.push(spawn_write(&proposer, n));
        idle().await;
        commits.send_replace(n as u64 - 1);
        if n < last {
            settle(|| fake.entries().len() == n as usize).await;
        }
    }
    idle().await;
    assert_eq!(fake.entries().len(), MAX_IN_FLIGHT + 1);

    open.send_replace(true);
    for (n, write) in (1..).zip(writes) {
        assert_eq!(write.await.unwrap().unwrap().log_id.index, n);
    }
    let expected: Vec<Vec<i64>> = (1..=last).map(|n| vec![n]).collect();
    assert_eq!(fake.entries(), expected);
}
