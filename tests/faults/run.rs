//! One run: a fresh cluster behind the fault proxy, clients and watchers
//! for a while with faults injected one after another (each healed, then
//! the members checked equal), then final reads and every check.

use crate::checker::Verdict;
use crate::checks;
use crate::client::expected_unknown;
use crate::history::{Call, Op, Recorder, Ret};
use crate::members::Cluster;
use crate::model::check_key;
use crate::nemesis::{self, Fault};
use crate::report::Figures;
use crate::watchcheck::{self, WatchCtl};
use crate::workload::{self, Ctx, Gate, Keys, COUNTER_KEY, INORDER_DIR};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a run does.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub members: usize,
    /// How long clients run with faults.
    pub duration: Duration,
    /// Faults in this order, then random ones from [`Fault::ALL`].
    pub faults: Vec<Fault>,
    pub clients: usize,
    pub watchers: usize,
    /// Acknowledged increments each of the 10 counter clients aims for.
    pub counter_target: usize,
    /// Go on with faults past `duration` until the counter clients reach
    /// their target (at most three times `duration`).
    pub finish_counter: bool,
    pub snapshot_count: u64,
    /// How long a fault holds.
    pub hold: (u64, u64),
}

/// Search steps the checker may spend on one key.
const BUDGET: u64 = 10_000_000;
/// Client id of the harness's own final reads.
const FINAL_CLIENT: usize = 9999;
/// Written once the clients are done: the last event every watcher (of the
/// whole key space and of the TTL keys) must see.
const WATCH_END_KEY: &str = "/ttl/end";

/// Runs once and returns the figures (also printed).
pub fn run(cfg: &RunConfig) -> Figures {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut cluster = Cluster::start(cfg.members, cfg.snapshot_count, rt.handle().clone());
    let start = Instant::now();
    let rec = Recorder::new(start);
    let ctx = Arc::new(Ctx {
        http: crate::client::http(),
        urls: cluster.urls(),
        rec: rec.clone(),
        stop: Default::default(),
        gate: Gate::default(),
        keys: Keys::new(8, 120),
    });
    let mut fig = Figures {
        runs: 1,
        ..Figures::default()
    };
    // The counter starts at 0; watchers start after it.
    let init = rt.block_on(ctx.perform(
        FINAL_CLIENT,
        0,
        COUNTER_KEY,
        Call::Set {
            value: "0:init".into(),
        },
    ));
    let Ret::Ok { node: Some(n), .. } = &init.ret else {
        panic!("creating the counter: {:?}", init.ret);
    };
    let from = n.modified + 1;
    let wctl = Arc::new(WatchCtl::default());
    // The watchers of the whole key space, one more that lags behind, and
    // one on the TTL keys only (few events: it never falls behind).
    let watchers: Vec<_> = (0..cfg.watchers + 2)
        .map(|w| {
            let lag = match w == cfg.watchers {
                true => Duration::from_millis(100),
                false => Duration::ZERO,
            };
            let prefix = if w == cfg.watchers + 1 { "/ttl" } else { "/" };
            rt.spawn(watchcheck::watcher(
                ctx.http.clone(),
                ctx.urls.clone(),
                prefix,
                start,
                from,
                wctl.clone(),
                lag,
            ))
        })
        .collect();
    let mut tasks = Vec::new();
    let mut counters = Vec::new();
    for id in 0..cfg.clients {
        tasks.push(rt.spawn(workload::lin_client(ctx.clone(), id)));
    }
    tasks.push(rt.spawn(workload::ttl_writer(ctx.clone(), 1000)));
    if cfg.counter_target > 0 {
        for c in 0..10 {
            counters.push(rt.spawn(workload::counter_client(
                ctx.clone(),
                2000 + c,
                cfg.counter_target,
            )));
        }
    }

    let counting = || cfg.finish_counter && counters.iter().any(|t| !t.is_finished());
    nemesis_loop(cfg, &mut cluster, &ctx, &mut fig, start, &counting);

    // Stop the clients (each ends its current operation).
    ctx.stop.store(true, Ordering::SeqCst);
    ctx.gate.open();
    for t in tasks.into_iter().chain(counters) {
        let _ = rt.block_on(t);
    }
    let ops = rec.ops();
    // Let every TTL run out, with room for the leader's expiry tick. A TTL
    // runs from when the member handled the request, which may be as late as
    // the answer (a member paused with SIGSTOP handles it at SIGCONT), so
    // the last one is due at most `ttl` after its answer.
    let last_due = ops
        .iter()
        .filter_map(|o| match o.call {
            Call::SetTtl { ttl, .. } => Some(o.complete + Duration::from_secs(ttl)),
            _ => None,
        })
        .max()
        .unwrap_or_default();
    std::thread::sleep((last_due + Duration::from_secs(3)).saturating_sub(rec.now()));

    // Final quorum reads, recorded like any other operation.
    let final_read = |key: &str| -> Result<Ret, String> {
        retry(cfg.members, |member| {
            let op = rt.block_on(ctx.perform(FINAL_CLIENT, member, key, Call::Get));
            match op.ret {
                ret @ (Ret::Ok { .. } | Ret::Fail { .. }) => Ok(ret),
                other => Err(format!("{other:?}")),
            }
        })
    };
    let mut finals: HashMap<String, Option<String>> = HashMap::new();
    for key in ctx.keys.used() {
        match final_read(&key) {
            Ok(Ret::Ok { node, .. }) => {
                finals.insert(key, node.and_then(|n| n.value));
            }
            Ok(Ret::Fail { code: 100, .. }) => {
                finals.insert(key, None);
            }
            other => fig.harness_error(format!("final read of {key}: {other:?}")),
        }
    }
    // `None` when it could not be read (then the counter is not checked).
    let counter_final = match final_read(COUNTER_KEY) {
        Ok(Ret::Ok { node: Some(n), .. }) => Some(n.value),
        Ok(Ret::Fail { code: 100, .. }) => Some(None),
        other => {
            fig.harness_error(format!("final read of the counter: {other:?}"));
            None
        }
    };
    // The acknowledged TTL keys still there (the TTL check reports them).
    let mut gone = HashSet::new();
    for o in ops
        .iter()
        .filter(|o| matches!(o.call, Call::SetTtl { .. }) && o.acked())
    {
        match final_read(&o.key) {
            Ok(Ret::Fail { code: 100, .. }) => {
                gone.insert(o.key.clone());
            }
            Ok(ret @ Ret::Ok { .. }) => fig.note(format!("final read of {}: {ret:?}", o.key)),
            other => fig.harness_error(format!("final read of {}: {other:?}", o.key)),
        }
    }
    let listing = in_order_listing(&cluster);
    if listing.is_none() {
        fig.harness_error("no member answered the final listing of the in-order keys");
    }
    // Watchers catch up with everything written so far, up to one last
    // write under `/ttl` that every watcher is interested in: the last
    // change before it may be one the TTL watcher never sees (a write that
    // committed after the last expiry).
    let last_index = match watch_end(&rt, &ctx, cfg.members) {
        Ok(index) => {
            wctl.until.store(index, Ordering::SeqCst);
            let stop = wctl.clone();
            rt.spawn(async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                stop.stop.store(true, Ordering::SeqCst);
            });
            index
        }
        Err(e) => {
            fig.harness_error(format!("the last write for the watchers failed: {e}"));
            wctl.stop.store(true, Ordering::SeqCst);
            0
        }
    };
    let mut streams = Vec::new();
    for w in watchers {
        match rt.block_on(w) {
            Ok(stream) => streams.push(stream),
            Err(e) => fig.harness_error(format!("a watcher failed: {e}")),
        }
    }
    let stuck: Vec<&str> = streams.iter().filter_map(|s| s.stuck.as_deref()).collect();
    if last_index > 0 && !stuck.is_empty() {
        fig.harness_error(format!(
            "watchers did not reach index {last_index} within 60 s"
        ));
        for s in &stuck {
            fig.note(format!("  {s}"));
        }
        for m in 0..cfg.members {
            let index = cluster
                .get(m, "/v2/keys/", Duration::from_secs(2))
                .map(|a| a.index);
            fig.note(format!("  m{m} now answers with X-Etcd-Index {index:?}"));
        }
    }
    fig.wall = start.elapsed();
    let ops = rec.ops();
    let t = Instant::now();
    check_all(
        &mut fig,
        &ops,
        &finals,
        counter_final.as_ref().map(Option::as_deref),
        listing.as_deref(),
        &streams,
        &gone,
        from,
        last_index,
    );
    eprintln!("checked in {:.1?}", t.elapsed());
    drop(cluster);
    rt.shutdown_timeout(Duration::from_secs(5));
    fig
}

/// Asks `ask(member)` of each member in turn, up to 20 times with 200 ms
/// between, until one answers; the last failure otherwise.
fn retry<T>(members: usize, mut ask: impl FnMut(usize) -> Result<T, String>) -> Result<T, String> {
    let mut last = String::new();
    for attempt in 0..20 {
        match ask(attempt % members) {
            Ok(v) => return Ok(v),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(last)
}

/// Writes [`WATCH_END_KEY`] (recorded like any other operation) and returns
/// its index.
fn watch_end(rt: &tokio::runtime::Runtime, ctx: &Ctx, members: usize) -> Result<u64, String> {
    let mut attempt = 0;
    retry(members, |member| {
        attempt += 1;
        let call = Call::Set {
            value: format!("end-{attempt}"),
        };
        match rt
            .block_on(ctx.perform(FINAL_CLIENT, member, WATCH_END_KEY, call))
            .ret
        {
            Ret::Ok { node: Some(n), .. } => Ok(n.modified),
            other => Err(format!("{other:?}")),
        }
    })
}

/// Injects faults until the run's time is up (and, while `more()` says so,
/// up to three times as long).
fn nemesis_loop(
    cfg: &RunConfig,
    c: &mut Cluster,
    ctx: &Ctx,
    fig: &mut Figures,
    start: Instant,
    more: &dyn Fn() -> bool,
) {
    let mut k = 0;
    let time_left = || {
        let t = start.elapsed() + Duration::from_secs(8);
        t < cfg.duration || (more() && t < 3 * cfg.duration)
    };
    while time_left() {
        std::thread::sleep(Duration::from_millis(fastrand::u64(1500..3000)));
        let fault = cfg
            .faults
            .get(k)
            .copied()
            .unwrap_or_else(|| Fault::ALL[fastrand::usize(..Fault::ALL.len())]);
        k += 1;
        let hold = Duration::from_millis(fastrand::u64(cfg.hold.0..=cfg.hold.1));
        let injected = nemesis::inject(c, fault, hold);
        eprintln!(
            "[{:>7.1}s] {} (held {:.1?}){}",
            start.elapsed().as_secs_f64(),
            injected.what,
            hold,
            injected
                .failover
                .map(|d| format!(", failover {d:.2?}"))
                .unwrap_or_default()
        );
        *fig.faults.entry(fault.name()).or_default() += 1;
        fig.failover.extend(injected.failover);
        if let Some(e) = injected.error {
            fig.harness_error(format!("{}: {e}", fault.name()));
        }
        if let Err(e) = c.wait_ready(Duration::from_secs(60)) {
            fig.harness_error(format!("after {}: {e}", injected.what));
            return;
        }
        // All members equal at one index, with the clients held (each
        // request ends within the client timeout, so 20 s is plenty).
        if !ctx.gate.close_and_drain(Duration::from_secs(20)) {
            fig.harness_error("clients still busy 20 s after the gate closed");
        }
        match nemesis::converge(c, Duration::from_secs(10)) {
            Ok(d) => fig.convergence.push(d),
            Err(e) => {
                fig.not_converged += 1;
                fig.note(format!("after {}: {e}", injected.what));
            }
        }
        ctx.gate.open();
    }
}

/// The final sorted listing of the in-order directory: (key, value,
/// createdIndex) in listing order; `None` when no member answered.
fn in_order_listing(c: &Cluster) -> Option<Vec<(String, String, u64)>> {
    let target = format!("/v2/keys{INORDER_DIR}?recursive=true&sorted=true&quorum=true");
    let entry = |n: &serde_json::Value| {
        (
            n["key"].as_str().unwrap_or_default().to_owned(),
            n["value"].as_str().unwrap_or_default().to_owned(),
            n["createdIndex"].as_u64().unwrap_or(0),
        )
    };
    retry(c.members.len(), |member| {
        let a = c
            .get(member, &target, Duration::from_secs(10))
            .map_err(|e| format!("{e:?}"))?;
        match a.body["node"]["nodes"].as_array() {
            _ if a.status == 404 => Ok(Vec::new()),
            Some(nodes) => Ok(nodes.iter().map(entry).collect()),
            None => Err(format!("{} {}", a.status, a.body)),
        }
    })
    .ok()
}

/// Every check over the run's history and observations.
#[allow(clippy::too_many_arguments)]
fn check_all(
    fig: &mut Figures,
    ops: &[Op],
    finals: &HashMap<String, Option<String>>,
    counter_final: Option<Option<&str>>,
    listing: Option<&[(String, String, u64)]>,
    streams: &[watchcheck::Stream],
    gone: &HashSet<String>,
    from: u64,
    until: u64,
) {
    fig.ops = ops.len();
    fig.acked = ops.iter().filter(|o| o.acked()).count();
    fig.indeterminate = ops.iter().filter(|o| o.indeterminate()).count();
    for o in ops {
        if let Ret::Unknown(why) = &o.ret {
            let cause: String = why
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .take(100)
                .collect();
            *fig.unknown_causes.entry(cause).or_default() += 1;
            if !expected_unknown(why) {
                fig.unexpected_answers += 1;
                fig.note(format!("unexpected answer: {}", crate::model::line(o)));
            }
        }
    }
    // Linearizability, key by key.
    let mut by_key: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for o in ops.iter().filter(|o| o.key.starts_with("/lin/")) {
        by_key.entry(&o.key).or_default().push(o);
    }
    for (key, key_ops) in &by_key {
        let r = check_key(key_ops, BUDGET);
        fig.keys_checked += 1;
        match r.verdict {
            Verdict::Linearizable => {}
            Verdict::Violation { .. } => {
                fig.linearizability += 1;
                fig.note(format!(
                    "not linearizable: {key}: {}",
                    r.detail.unwrap_or_default()
                ));
            }
            Verdict::Unknown => {
                fig.undecided_keys += 1;
                fig.note(format!("{key}: the checker gave up ({} operations)", r.ops));
            }
        }
        for c in r.index_conflicts {
            fig.linearizability += 1;
            fig.note(format!("{key}: {c}"));
        }
    }
    let take = |count: &mut usize, found: checks::Found| {
        *count += found.count;
        found.problems
    };
    let mut problems = Vec::new();
    problems.extend(take(&mut fig.index_regressions, checks::index_order(ops)));
    problems.extend(take(&mut fig.lost_writes, checks::lost_writes(ops, finals)));
    if let Some(listing) = listing {
        let found = checks::in_order(ops, listing);
        problems.extend(take(&mut fig.in_order_errors, found));
        fig.in_order_keys = listing.len();
    }
    if let Some(counter_final) = counter_final {
        let (found, fin, acked, indet) = checks::counter(ops, counter_final);
        problems.extend(take(&mut fig.counter_errors, found));
        fig.counter_final = fin;
        fig.counter_acked = acked;
        fig.counter_indeterminate = indet;
    }

    let w = watchcheck::check(streams, ops, from, until);
    fig.watch_events = w.events;
    fig.watch_polls = w.polls;
    fig.watch_cleared = w.cleared;
    fig.watch_ended = w.ended;
    fig.watch_gaps = w.gaps;
    fig.watch_duplicates = w.duplicates;
    fig.watch_out_of_order = w.out_of_order;
    fig.watch_disagreements = w.disagreements;
    fig.watch_bad_cleared = w.bad_cleared;
    fig.unexpected_answers += w.unexpected;
    fig.watch_uncovered = w.uncovered.len();
    fig.watch_uncovered_indexes = w.uncovered.iter().map(|(a, b)| b - a + 1).sum();
    problems.extend(w.problems);
    let (early, counts, ttl_checked) = checks::ttl(ops, &w.expires, gone, w.ttl_covered);
    fig.ttl_keys = ttl_checked;
    problems.extend(take(&mut fig.early_expiries, early));
    problems.extend(take(&mut fig.expire_count, counts));
    for p in problems {
        fig.note(p);
    }
}
