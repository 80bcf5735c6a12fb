//! Work that must not take CPU from the write path: snapshot building.
//!
//! Encoding a snapshot of 10k keys is 15-30 ms of one CPU. On a machine
//! whose CPUs the server's workers and its clients keep busy, a thread doing
//! that at the same priority takes its fair share from them: while it ran,
//! the raft core's worker waited for a CPU after its fsyncs, 2-4 ms at a time
//! instead of the usual 0.2-1 ms, and every write with it. With a lower
//! priority it runs on what the others leave; when they leave nothing it
//! still gets a small share, so a snapshot is never held back for long.

use std::io;

/// How much the thread's nice value is raised (the scheduler then gives it
/// about a tenth of the weight of a thread at the default priority).
const NICE_INCREMENT: i32 = 10;

/// The highest nice value there is.
const NICEST: i32 = 19;

/// Runs `work` on a thread of its own, named `name`, whose priority is
/// lowered by [`NICE_INCREMENT`]; returns what `work` returned. Whatever
/// `work` owns is also dropped on that thread.
pub(super) async fn run<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            lower_own_priority();
            let _ = tx.send(work());
        })?;
    rx.await
        .map_err(|_| io::Error::other(format!("the {name} thread ended without an answer")))?
}

/// Raises the calling thread's nice value by [`NICE_INCREMENT`]. On Linux a
/// thread id given to `setpriority` names that thread alone. Failing is
/// harmless (the work then runs at the usual priority), so it is only logged.
fn lower_own_priority() {
    let tid = rustix::thread::gettid();
    let lowered = rustix::process::getpriority_process(Some(tid)).and_then(|nice| {
        rustix::process::setpriority_process(Some(tid), (nice + NICE_INCREMENT).min(NICEST))
    });
    if let Err(e) = lowered {
        tracing::debug!(error = %e, "could not lower the priority of a background thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_the_work_at_a_lower_priority_and_gives_back_its_result() {
        let base = rustix::process::getpriority_process(None).unwrap();
        let seen = run("low-priority-test", || {
            let tid = rustix::thread::gettid();
            rustix::process::getpriority_process(Some(tid)).map_err(io::Error::from)
        })
        .await
        .unwrap();
        assert_eq!(seen, (base + NICE_INCREMENT).min(NICEST));
        // The caller's own priority is untouched.
        let own = rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        assert_eq!(own, base);
    }

    #[tokio::test]
    async fn an_error_and_a_panic_reach_the_caller_as_errors() {
        let failed = run("low-priority-test", || -> io::Result<()> {
            Err(io::Error::other("no space"))
        })
        .await;
        assert_eq!(failed.unwrap_err().to_string(), "no space");
        let panicked = run("low-priority-test", || -> io::Result<()> { panic!("boom") }).await;
        assert!(panicked
            .unwrap_err()
            .to_string()
            .contains("ended without an answer"));
    }
}
