//! The fault-injection suite: clusters of our `etcd-server` on loopback
//! behind a fault proxy, clients recording every operation, watchers on
//! every member, and faults (kill -9, SIGSTOP, partitions, delay, member
//! replacement, disk faults); then a linearizability checker over the
//! history and the other invariants (README: "Fault-injection suite").
//!
//! `cargo test -p etcd-tests --test faults` runs the unit tests, the disk
//! fault tests and a short smoke run; the long run is
//! `FAULTS_DURATION=35m cargo test --release -p etcd-tests --test faults -- --ignored --nocapture long_run`.

mod checker;
#[cfg(test)]
mod checker_tests;
mod checks;
#[cfg(test)]
mod checks_tests;
mod client;
mod disk;
/// `30m`, `90s`, `1h` (the bench's parser).
#[path = "../bench/duration.rs"]
mod duration;
mod history;
mod members;
mod model;
mod nemesis;
mod proxy;
mod report;
mod run;
#[cfg(test)]
mod selftest;
/// The black-box helpers of `tests/util.rs` (and `tests/util/`).
#[path = ".."]
mod shared {
    #[allow(dead_code, unused_imports)]
    pub mod util;
}
use shared::util;
mod watchcheck;
mod workload;

use nemesis::Fault;
use report::Figures;
use run::RunConfig;
use std::time::{Duration, Instant};

/// The tests that start clusters run one at a time: on a 2-core machine two
/// of them at once starve each other's watchers and clients.
pub(crate) fn one_cluster_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A short run for the default test command: a 3-member cluster, about 40 s
/// of clients with a leader kill -9, a partition, an isolated leader, a
/// pause, a random kill -9 and peer delay (in this order, then again), then
/// every check.
#[test]
fn smoke() {
    let _serial = one_cluster_at_a_time();
    let cfg = RunConfig {
        members: 3,
        duration: Duration::from_secs(40),
        faults: [
            Fault::KillLeader,
            Fault::Partition,
            Fault::IsolateLeader,
            Fault::Pause,
            Fault::KillRandom,
            Fault::Delay,
        ]
        .repeat(2),
        clients: 8,
        watchers: 3,
        counter_target: 10,
        finish_counter: false,
        snapshot_count: 200,
        hold: (2000, 3000),
    };
    let fig = run::run(&cfg);
    finish(&fig);
}

/// The long run: runs of 150 s alternating 3 and 5 members, random faults,
/// until `FAULTS_DURATION` (e.g. `30m`, `90s`, `1h`; default 30m) is spent.
#[test]
#[ignore = "long: FAULTS_DURATION=35m cargo test --release -p etcd-tests --test faults -- --ignored --nocapture long_run"]
fn long_run() {
    let total = std::env::var("FAULTS_DURATION")
        .ok()
        .map(|s| duration::parse_duration(&s).unwrap_or_else(|e| panic!("FAULTS_DURATION: {e}")))
        .unwrap_or(Duration::from_secs(30 * 60));
    let start = Instant::now();
    let mut all = Figures::default();
    let mut k = 0;
    while start.elapsed() < total {
        let left = total.saturating_sub(start.elapsed());
        // Every kind of fault once, in random order, then random ones.
        let mut faults = Fault::ALL.to_vec();
        fastrand::shuffle(&mut faults);
        let cfg = RunConfig {
            members: if k % 2 == 0 { 3 } else { 5 },
            duration: left.clamp(Duration::from_secs(60), Duration::from_secs(150)),
            faults,
            clients: 10,
            watchers: 4,
            // The first run: 10 clients × 1,000 acknowledged increments.
            counter_target: if k == 0 { 1000 } else { 100 },
            finish_counter: k == 0,
            snapshot_count: 500,
            hold: (3000, 6000),
        };
        k += 1;
        eprintln!(
            "=== run {k}: {} members, {:?} ===",
            cfg.members, cfg.duration
        );
        let fig = run::run(&cfg);
        eprintln!("{}", fig.render());
        all.merge(fig);
    }
    eprintln!("=== all runs ===");
    finish(&all);
}

/// Prints the figures and fails on any violation.
fn finish(fig: &Figures) {
    let text = fig.render();
    eprintln!("{text}");
    assert_eq!(fig.violations(), 0, "violations found:\n{text}");
    assert!(
        fig.ops > 0 && fig.keys_checked > 0,
        "nothing was checked:\n{text}"
    );
    assert!(fig.watch_events > 0, "no watch event was checked:\n{text}");
}

#[test]
#[should_panic(expected = "violations found")]
fn any_violation_fails_the_run() {
    let fig = Figures {
        ops: 1,
        keys_checked: 1,
        watch_events: 1,
        watch_gaps: 1,
        ..Figures::default()
    };
    finish(&fig);
}
