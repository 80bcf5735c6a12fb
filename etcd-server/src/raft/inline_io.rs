//! Blocking file work (log writes and fsyncs) run from raft's tasks.
//!
//! On the server's multi-threaded runtime it runs inline on the calling
//! worker: raft awaits every append before doing anything else and appends
//! never overlap, so this blocks one worker for one fsync (about 150 µs
//! here) while the others keep serving. Handing the work to another thread
//! (`spawn_blocking`, `block_in_place`) cost more than the fsync itself
//! (single-connection writes 2.7k/s → 3.3k/s). The server's runtime has a
//! worker more than CPUs for this (main.rs). Elsewhere (tests on a
//! current-thread runtime) it goes to the blocking pool.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `f`, the blocking work of a log store call (see the module doc).
/// Before blocking the worker, it lets go of the task due to run next there
/// ([`PassOnNextTask`]).
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        PassOnNextTask::default().await;
        return f();
    }
    tokio::task::spawn_blocking(f)
        .await
        .map_err(io::Error::other)?
}

/// Yields once, having woken its own task, so that the task due to run next
/// on this worker does not wait for the blocking work that follows.
///
/// Tokio's multi-threaded scheduler runs a task woken from a worker next on
/// that same worker, from a slot other workers cannot take it from. Raft
/// can wake a task just before it appends (the state machine's, say, to
/// apply and answer entries whose sync has completed); left in that slot,
/// it would wait for the next entry's fsync, and so would the writes it is
/// to answer. A task that wakes itself while it runs is put back at the
/// end of its worker's queue (tokio treats it as a yield, not as a wake into
/// the slot), so the task in the slot runs first, and so does every task
/// queued on this worker before it, unless an idle worker takes them. The
/// blocking work starts after them. In a trace under 64 writing
/// connections, an entry's write began 19 µs after the proposer cut it
/// (median; 38 µs at the 90th percentile), this wait included. When nothing
/// was waiting, this costs one more poll of the task.
///
/// The test below shows the wait it removes. In throughput it is small:
/// with `etcd-bench`, A/B against the same build without it, 64 connections
/// writing gave about 2% more writes/s (within the noise of a 2-CPU VM) and
/// the same p99; one connection writing was unchanged.
#[derive(Debug, Default)]
struct PassOnNextTask {
    woken: bool,
}

impl Future for PassOnNextTask {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.woken {
            return Poll::Ready(());
        }
        self.woken = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A task woken just before inline blocking work runs while that work
    /// is still blocking its worker: here the blocking work waits for it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_task_woken_before_blocking_work_runs_during_it() {
        let (ran_tx, ran_rx) = mpsc::channel::<()>();
        let outcome = tokio::spawn(async move {
            let (wake_tx, wake_rx) = tokio::sync::oneshot::channel::<()>();
            let (waiting_tx, waiting_rx) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(async move {
                waiting_tx.send(()).unwrap();
                wake_rx.await.unwrap();
                ran_tx.send(()).unwrap();
            });
            waiting_rx.await.unwrap();
            // Woken from this worker: it is due to run next here.
            wake_tx.send(()).unwrap();
            blocking(move || Ok(ran_rx.recv_timeout(Duration::from_secs(10)).is_ok())).await
        })
        .await
        .unwrap();
        assert!(
            outcome.unwrap(),
            "the woken task waited for the blocking work to end"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blocking_work_returns_its_result_and_its_error() {
        assert_eq!(blocking(|| Ok(7)).await.unwrap(), 7);
        let e = blocking(|| Err::<(), _>(io::Error::other("disk"))).await;
        assert_eq!(e.unwrap_err().to_string(), "disk");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn on_a_current_thread_runtime_the_work_runs_off_it() {
        let here = std::thread::current().id();
        let there = blocking(|| Ok(std::thread::current().id())).await.unwrap();
        assert_ne!(here, there);
    }
}
