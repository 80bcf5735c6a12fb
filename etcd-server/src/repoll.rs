//! [`Repoll`]: runs a future again at once when it wakes itself while being
//! polled, instead of handing it back to the scheduler.
//!
//! Why: hyper's HTTP/1 body channel wakes the connection's own task whenever
//! the handler takes a chunk of a request body (the sender side, which is the
//! connection, registered the same task). tokio treats a task woken during
//! its own poll as a yield: it queues the task behind the others and wakes a
//! parked worker thread, which then steals the task for a poll that finds
//! nothing to do. On every write request that cost a futex wake-up and a
//! thread hop before the request reached raft. Polling again in place does
//! the same work without either.
//!
//! A wake from elsewhere while the future is idle goes to the task's own
//! waker as usual. A future that keeps waking itself is polled at most
//! [`MAX_POLLS`] times in a row, then yields to the scheduler like before, so
//! it cannot starve other tasks.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Most polls of the inner future in one poll of [`Repoll`].
pub const MAX_POLLS: usize = 4;

const IDLE: u8 = 0;
const POLLING: u8 = 1;
const WOKEN: u8 = 2;

struct Shared {
    state: AtomicU8,
    /// The waker of the task that last polled the [`Repoll`].
    task: Mutex<Option<Waker>>,
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match self
            .state
            .compare_exchange(POLLING, WOKEN, Ordering::AcqRel, Ordering::Acquire)
        {
            // The poll in progress sees it and polls again.
            Ok(_) | Err(WOKEN) => {}
            Err(_) => {
                let task = self.task.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(waker) = task.as_ref() {
                    waker.wake_by_ref();
                }
            }
        }
    }
}

/// See the module documentation.
pub struct Repoll<F> {
    inner: Pin<Box<F>>,
    shared: Arc<Shared>,
    waker: Waker,
}

impl<F> std::fmt::Debug for Repoll<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repoll")
            .field("state", &self.shared.state.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<F: Future> Repoll<F> {
    pub fn new(inner: F) -> Repoll<F> {
        let shared = Arc::new(Shared {
            state: AtomicU8::new(IDLE),
            task: Mutex::new(None),
        });
        Repoll {
            inner: Box::pin(inner),
            waker: Waker::from(shared.clone()),
            shared,
        }
    }
}

impl<F: Future> Future for Repoll<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        {
            let mut task = this.shared.task.lock().unwrap_or_else(|e| e.into_inner());
            if !task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        let mut inner_cx = Context::from_waker(&this.waker);
        for _ in 0..MAX_POLLS {
            this.shared.state.store(POLLING, Ordering::Release);
            if let Poll::Ready(out) = this.inner.as_mut().poll(&mut inner_cx) {
                this.shared.state.store(IDLE, Ordering::Release);
                return Poll::Ready(out);
            }
            if this
                .shared
                .state
                .compare_exchange(POLLING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Poll::Pending;
            }
            // Woken while it was being polled: go round again.
        }
        this.shared.state.store(IDLE, Ordering::Release);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts how often the outer task is woken.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn outer() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        (count, waker)
    }

    /// Wakes itself during each of its first `self_wakes` polls, then is
    /// ready. Counts its polls.
    struct SelfWaking {
        self_wakes: usize,
        polls: Arc<AtomicUsize>,
    }

    impl Future for SelfWaking {
        type Output = usize;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            let polls = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
            if self.self_wakes == 0 {
                return Poll::Ready(polls);
            }
            self.self_wakes -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn a_self_wake_is_polled_again_in_place() {
        let (count, waker) = outer();
        let polls = Arc::new(AtomicUsize::new(0));
        let mut fut = Repoll::new(SelfWaking {
            self_wakes: 2,
            polls: polls.clone(),
        });
        let out = Pin::new(&mut fut).poll(&mut Context::from_waker(&waker));
        assert_eq!(out, Poll::Ready(3));
        assert_eq!(count.0.load(Ordering::SeqCst), 0, "the task was not woken");
    }

    #[test]
    fn endless_self_wakes_yield_to_the_scheduler() {
        let (count, waker) = outer();
        let polls = Arc::new(AtomicUsize::new(0));
        let mut fut = Repoll::new(SelfWaking {
            self_wakes: usize::MAX,
            polls: polls.clone(),
        });
        let out = Pin::new(&mut fut).poll(&mut Context::from_waker(&waker));
        assert_eq!(out, Poll::Pending);
        assert_eq!(polls.load(Ordering::SeqCst), MAX_POLLS);
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken once, as a yield");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wakes_from_elsewhere_reach_the_task() {
        // A oneshot completed by another task while the Repoll is idle.
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let sender = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            tx.send(7).unwrap();
        });
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), Repoll::new(rx))
            .await
            .expect("the wake reached the task")
            .unwrap();
        assert_eq!(got, 7);
        sender.await.unwrap();
    }

    #[test]
    fn a_wake_after_the_task_moved_goes_to_the_new_task() {
        let (first, first_waker) = outer();
        let (second, second_waker) = outer();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let fut_waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let slot = fut_waker.clone();
        let mut fut = Repoll::new(std::future::poll_fn(move |cx| {
            *slot.lock().unwrap() = Some(cx.waker().clone());
            match rx.try_recv() {
                Ok(()) => Poll::Ready(()),
                Err(_) => Poll::Pending,
            }
        }));
        let mut fut = Pin::new(&mut fut);
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(&first_waker))
            .is_pending());
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(&second_waker))
            .is_pending());
        tx.send(()).unwrap();
        fut_waker.lock().unwrap().take().unwrap().wake();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(&second_waker))
            .is_ready());
    }
}
