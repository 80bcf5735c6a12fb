//! openraft's async runtime for this server ([`Runtime`]): tokio, except that
//! a member's raft core and its state-machine worker run as one task.
//!
//! Why: every write goes core → worker (apply) → core (reply). As two tasks,
//! each of those crossings is a scheduler hop, and a write's whole chain is
//! longer than tokio's limit of three tasks run in a row from a worker's LIFO
//! slot (connection, proposer, core, worker, core, proposer, connection).
//! From the fourth hop on, every wake queues the task and wakes a parked
//! worker thread, which finds nothing to do: a futex wake and a thread
//! switch per write, on a machine whose other CPU runs the clients. In one
//! task under [`Repoll`], the core's wake of the worker and the worker's
//! wake of the core are polls again in place, and the chain fits the limit.
//!
//! openraft spawns the worker and then, with no await in between, the core
//! (`Raft::new`); the worker is held in a thread-local slot until its core
//! comes. The two are recognised by their future types; any other spawn
//! (replication streams, ticks, snapshot building) is a task of its own.
//! Should a held worker's core not come, the worker is spawned on its own at
//! the thread's next spawn (openraft never spawns anything in between).
//! Each half keeps the semantics of a task of its own: its output (or its
//! panic) reaches its own join handle, and a panic in one half does not stop
//! the other.
//!
//! [`Repoll`]: crate::repoll::Repoll

use crate::repoll::Repoll;
use openraft::{AsyncRuntime, OptionalSend, TokioRuntime};
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;

type Tokio = TokioRuntime;
type Half = Pin<Box<dyn Future<Output = ()> + Send>>;

thread_local! {
    /// A state-machine worker waiting for its raft core.
    static WORKER: RefCell<Option<Half>> = const { RefCell::new(None) };
    /// How many shared tasks this thread started (for the tests).
    #[cfg(test)]
    static SHARED_TASKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// tokio, with a member's raft core and state-machine worker in one task.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Runtime;

/// The handle of a spawned future: a tokio task, or one half of the shared
/// core-and-worker task.
#[derive(Debug)]
pub enum JoinHandle<T> {
    Task(tokio::task::JoinHandle<T>),
    Half(oneshot::Receiver<Result<T, String>>),
}

/// Why a spawned future gave no output.
#[derive(Debug)]
pub enum JoinError {
    Task(tokio::task::JoinError),
    /// It panicked, with this message.
    Panicked(String),
    /// Its task ended without it finishing (the runtime shut down).
    Cancelled,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Task(e) => e.fmt(f),
            JoinError::Panicked(msg) => write!(f, "task panicked: {msg}"),
            JoinError::Cancelled => f.write_str("task was cancelled"),
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            JoinHandle::Task(h) => Pin::new(h).poll(cx).map_err(JoinError::Task),
            JoinHandle::Half(rx) => Pin::new(rx).poll(cx).map(|res| match res {
                Ok(Ok(out)) => Ok(out),
                Ok(Err(msg)) => Err(JoinError::Panicked(msg)),
                Err(_) => Err(JoinError::Cancelled),
            }),
        }
    }
}

/// What kind of openraft task a future of type `T` is.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Worker,
    Core,
    Other,
}

fn kind<T>() -> Kind {
    classify(std::any::type_name::<T>())
}

fn classify(name: &str) -> Kind {
    // `Worker::do_spawn`'s async block, and `RaftCore::main` instrumented.
    if name.contains("::core::sm::worker::Worker<") && name.ends_with(">::do_spawn::{{closure}}") {
        Kind::Worker
    } else if name.contains("::core::raft_core::RaftCore<")
        && name.ends_with(">::main::{{closure}}>")
    {
        Kind::Core
    } else {
        Kind::Other
    }
}

/// `fut` as a half of a shared task, and the handle that gets its output.
fn half<F>(fut: F) -> (JoinHandle<F::Output>, Half)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let task = async move {
        let _ = tx.send(CatchUnwind(Box::pin(fut)).await);
    };
    (JoinHandle::Half(rx), Box::pin(task))
}

/// How many shared core-and-worker tasks this thread started.
#[cfg(test)]
pub(super) fn shared_tasks() -> usize {
    SHARED_TASKS.with(std::cell::Cell::get)
}

/// Spawns `future`, of kind `kind` (see the module documentation).
fn spawn_as<T>(kind: Kind, future: T) -> JoinHandle<T::Output>
where
    T: Future + Send + 'static,
    T::Output: Send + 'static,
{
    match kind {
        Kind::Worker => {
            release_held_worker();
            let (handle, worker) = half(future);
            WORKER.with(|w| *w.borrow_mut() = Some(worker));
            handle
        }
        Kind::Core => match WORKER.with(|w| w.borrow_mut().take()) {
            Some(worker) => {
                let (handle, core) = half(future);
                tokio::spawn(Repoll::new(Both {
                    halves: [Some(worker), Some(core)],
                }));
                #[cfg(test)]
                SHARED_TASKS.with(|n| n.set(n.get() + 1));
                handle
            }
            None => JoinHandle::Task(tokio::spawn(future)),
        },
        Kind::Other => {
            release_held_worker();
            JoinHandle::Task(tokio::spawn(future))
        }
    }
}

/// Spawns a held worker that no core followed, as a task of its own.
fn release_held_worker() {
    if let Some(worker) = WORKER.with(|w| w.borrow_mut().take()) {
        tokio::spawn(worker);
    }
}

impl AsyncRuntime for Runtime {
    type JoinError = JoinError;
    type JoinHandle<T: OptionalSend + 'static> = JoinHandle<T>;
    type Sleep = <Tokio as AsyncRuntime>::Sleep;
    type Instant = <Tokio as AsyncRuntime>::Instant;
    type TimeoutError = <Tokio as AsyncRuntime>::TimeoutError;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = <Tokio as AsyncRuntime>::Timeout<R, T>;
    type ThreadLocalRng = <Tokio as AsyncRuntime>::ThreadLocalRng;
    type OneshotSender<T: OptionalSend> = <Tokio as AsyncRuntime>::OneshotSender<T>;
    type OneshotReceiverError = <Tokio as AsyncRuntime>::OneshotReceiverError;
    type OneshotReceiver<T: OptionalSend> = <Tokio as AsyncRuntime>::OneshotReceiver<T>;

    fn spawn<T>(future: T) -> JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        spawn_as(kind::<T>(), future)
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        Tokio::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        Tokio::sleep_until(deadline)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(
        duration: Duration,
        future: F,
    ) -> Self::Timeout<R, F> {
        Tokio::timeout(duration, future)
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        Tokio::timeout_at(deadline, future)
    }

    fn is_panic(join_error: &JoinError) -> bool {
        match join_error {
            JoinError::Task(e) => e.is_panic(),
            JoinError::Panicked(_) => true,
            JoinError::Cancelled => false,
        }
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        Tokio::thread_rng()
    }

    fn oneshot<T: OptionalSend>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>) {
        Tokio::oneshot()
    }
}

/// The shared task: polls both halves until both are done.
struct Both {
    halves: [Option<Half>; 2],
}

impl Future for Both {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        for slot in &mut this.halves {
            if let Some(half) = slot {
                if half.as_mut().poll(cx).is_ready() {
                    *slot = None;
                }
            }
        }
        if this.halves.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A future's output, or the message of its panic.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = &mut self.get_mut().0;
        match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic_message(panic.as_ref()))),
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn openraft_task_kinds_are_told_apart_by_type() {
        let worker = "openraft::core::sm::worker::Worker<etcd_server::raft::TypeConfig, \
                      etcd_server::raft::state_machine::StateMachine>::do_spawn::{{closure}}";
        let core = "tracing::instrument::Instrumented<openraft::core::raft_core::RaftCore<\
                    etcd_server::raft::TypeConfig, etcd_server::raft::network::PeerNetwork, \
                    etcd_server::raft::log_store::LogStore, \
                    etcd_server::raft::state_machine::StateMachine>::main::{{closure}}>";
        let snapshot = "openraft::core::sm::worker::Worker<etcd_server::raft::TypeConfig, \
                        etcd_server::raft::state_machine::StateMachine>::build_snapshot::{{closure}}::{{closure}}";
        assert_eq!(classify(worker), Kind::Worker);
        assert_eq!(classify(core), Kind::Core);
        assert_eq!(classify(snapshot), Kind::Other);
        assert_eq!(classify("tokio::sync::oneshot::Receiver<u8>"), Kind::Other);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_and_its_core_share_a_task_and_each_gets_its_output() {
        let (to_core, from_worker) = oneshot::channel::<u32>();
        let (to_worker, from_core) = oneshot::channel::<u32>();
        // Each half waits for the other: they only finish if both run.
        let worker = spawn_as(Kind::Worker, async move {
            to_core.send(1).unwrap();
            from_core.await.unwrap() + 10
        });
        let before = shared_tasks();
        let core = spawn_as(Kind::Core, async move {
            let got = from_worker.await.unwrap();
            to_worker.send(2).unwrap();
            format!("core saw {got}")
        });
        assert!(shared_tasks() > before, "the pair was started as one task");
        assert!(matches!(core, JoinHandle::Half(_)));
        let (w, c) = tokio::time::timeout(WAIT, async { (worker.await, core.await) })
            .await
            .expect("both halves finish");
        assert_eq!(w.unwrap(), 12);
        assert_eq!(c.unwrap(), "core saw 1");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_in_one_half_reaches_its_handle_and_spares_the_other() {
        let (tx, rx) = oneshot::channel::<()>();
        let worker = spawn_as(Kind::Worker, async move {
            rx.await.unwrap();
            "worker done"
        });
        let core = spawn_as(Kind::Core, async move {
            tx.send(()).unwrap();
            tokio::task::yield_now().await;
            panic!("core broke");
        });
        let err = tokio::time::timeout(WAIT, core)
            .await
            .expect("the core half ends")
            .unwrap_err();
        assert!(Runtime::is_panic(&err), "{err}");
        assert!(err.to_string().contains("core broke"), "{err}");
        let out = tokio::time::timeout(WAIT, worker)
            .await
            .expect("the worker half ends");
        assert_eq!(out.unwrap(), "worker done");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_held_worker_without_its_core_still_runs() {
        let worker = spawn_as(Kind::Worker, async { 5 });
        let other = spawn_as(Kind::Other, async { 6 });
        assert!(matches!(other, JoinHandle::Task(_)));
        let (w, o) = tokio::time::timeout(WAIT, async { (worker.await, other.await) })
            .await
            .expect("both run");
        assert_eq!((w.unwrap(), o.unwrap()), (5, 6));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_core_without_a_worker_is_a_task_of_its_own() {
        let core = spawn_as(Kind::Core, async { 7 });
        assert!(matches!(core, JoinHandle::Task(_)));
        assert_eq!(tokio::time::timeout(WAIT, core).await.unwrap().unwrap(), 7);
    }
}
