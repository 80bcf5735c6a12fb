//! The figures of one or more runs, and their printout.

use std::collections::BTreeMap;
use std::time::Duration;

/// Everything a run counts. Violation counters must all be 0 for a pass.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub runs: usize,
    pub wall: Duration,
    pub ops: usize,
    pub acked: usize,
    pub indeterminate: usize,
    pub faults: BTreeMap<&'static str, usize>,
    /// Why operations were indeterminate (the cause without numbers).
    pub unknown_causes: BTreeMap<String, usize>,
    pub keys_checked: usize,
    pub watch_events: usize,
    pub watch_polls: usize,
    pub watch_cleared: usize,
    /// Polls a member ended without an event (it installed a snapshot).
    pub watch_ended: usize,
    /// Index ranges (and the indexes in them) every watcher of the whole
    /// key space skipped with a correct 401, having fallen more than 1000
    /// events behind: not a violation (the reference answers the same),
    /// but events the watch checks could not see.
    pub watch_uncovered: usize,
    pub watch_uncovered_indexes: u64,
    pub ttl_keys: usize,
    pub counter_final: u64,
    pub counter_acked: usize,
    pub counter_indeterminate: usize,
    pub in_order_keys: usize,
    pub failover: Vec<Duration>,
    pub convergence: Vec<Duration>,
    // Violations.
    pub linearizability: usize,
    pub undecided_keys: usize,
    pub index_regressions: usize,
    pub lost_writes: usize,
    pub watch_gaps: usize,
    pub watch_duplicates: usize,
    pub watch_out_of_order: usize,
    pub watch_disagreements: usize,
    pub watch_bad_cleared: usize,
    pub early_expiries: usize,
    pub expire_count: usize,
    pub counter_errors: usize,
    pub in_order_errors: usize,
    pub not_converged: usize,
    pub unexpected_answers: usize,
    pub harness_errors: usize,
    /// Descriptions of the violations (a few per kind).
    pub problems: Vec<String>,
}

impl Figures {
    /// The sum of every violation counter.
    pub fn violations(&self) -> usize {
        self.linearizability
            + self.undecided_keys
            + self.index_regressions
            + self.lost_writes
            + self.watch_gaps
            + self.watch_duplicates
            + self.watch_out_of_order
            + self.watch_disagreements
            + self.watch_bad_cleared
            + self.early_expiries
            + self.expire_count
            + self.counter_errors
            + self.in_order_errors
            + self.not_converged
            + self.unexpected_answers
            + self.harness_errors
    }

    /// Counts a harness error (the run could not check something) and
    /// says what it was.
    pub fn harness_error(&mut self, what: impl Into<String>) {
        self.harness_errors += 1;
        self.note(what);
    }

    pub fn note(&mut self, what: impl Into<String>) {
        if self.problems.len() < 200 {
            self.problems.push(what.into());
        }
    }

    /// Adds another run's figures to these.
    pub fn merge(&mut self, o: Figures) {
        macro_rules! add {
            ($($f:ident),*) => { $( self.$f += o.$f; )* };
        }
        add!(
            runs,
            wall,
            ops,
            acked,
            indeterminate,
            keys_checked,
            watch_events,
            watch_polls,
            watch_cleared,
            watch_ended,
            ttl_keys,
            counter_final,
            counter_acked,
            counter_indeterminate,
            in_order_keys,
            linearizability,
            undecided_keys,
            index_regressions,
            lost_writes,
            watch_gaps,
            watch_duplicates,
            watch_out_of_order,
            watch_disagreements,
            watch_bad_cleared,
            watch_uncovered,
            watch_uncovered_indexes,
            early_expiries,
            expire_count,
            counter_errors,
            in_order_errors,
            not_converged,
            unexpected_answers,
            harness_errors
        );
        for (k, v) in o.faults {
            *self.faults.entry(k).or_default() += v;
        }
        for (k, v) in o.unknown_causes {
            *self.unknown_causes.entry(k).or_default() += v;
        }
        self.failover.extend(o.failover);
        self.convergence.extend(o.convergence);
        for p in o.problems {
            self.note(p);
        }
    }

    /// The figures as printed at the end of every run.
    pub fn render(&self) -> String {
        let faults: usize = self.faults.values().sum();
        let mut s = String::new();
        let mut line = |t: String| {
            s.push_str(&t);
            s.push('\n');
        };
        line("==== fault-injection figures ====".into());
        line(format!(
            "runs {} | wall {:.0?} | operations {} ({} acknowledged, {} indeterminate) | faults injected {faults}",
            self.runs, self.wall, self.ops, self.acked, self.indeterminate
        ));
        for (k, v) in &self.faults {
            line(format!("  {v:>4} × {k}"));
        }
        line("indeterminate operations by cause:".into());
        let mut causes: Vec<(&String, &usize)> = self.unknown_causes.iter().collect();
        causes.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
        for (k, v) in causes.iter().take(8) {
            line(format!("  {v:>6} × {k}"));
        }
        line(format!(
            "checked: {} keys for linearizability, {} watch events in {} polls ({} answered 401, {} ended by the member), {} TTL keys, {} in-order keys, counter {} (acknowledged swaps {}, indeterminate {})",
            self.keys_checked,
            self.watch_events,
            self.watch_polls,
            self.watch_cleared,
            self.watch_ended,
            self.ttl_keys,
            self.in_order_keys,
            self.counter_final,
            self.counter_acked,
            self.counter_indeterminate
        ));
        line(format!(
            "watch coverage: {} index ranges ({} indexes) every watcher skipped with a correct 401 (over 1000 events behind)",
            self.watch_uncovered, self.watch_uncovered_indexes
        ));
        line(format!(
            "failover after leader kill -9 (to first acknowledged write): n={} p50 {} p99 {} max {}",
            self.failover.len(),
            pct(&self.failover, 50),
            pct(&self.failover, 99),
            pct(&self.failover, 100)
        ));
        line(format!(
            "convergence after healing (all members equal at one index): n={} p50 {} max {}",
            self.convergence.len(),
            pct(&self.convergence, 50),
            pct(&self.convergence, 100)
        ));
        line(format!(
            "linearizability violations: {}",
            self.linearizability
        ));
        line(format!(
            "keys the checker could not decide: {}",
            self.undecided_keys
        ));
        line(format!("lost acknowledged writes: {}", self.lost_writes));
        line(format!("index regressions: {}", self.index_regressions));
        line(format!(
            "watch gaps: {} | duplicates: {} | out of order: {} | disagreeing events: {} | 401 inside the window: {}",
            self.watch_gaps,
            self.watch_duplicates,
            self.watch_out_of_order,
            self.watch_disagreements,
            self.watch_bad_cleared,
        ));
        line(format!(
            "early expiries: {} | wrong expire event counts: {}",
            self.early_expiries, self.expire_count
        ));
        line(format!(
            "counter lost updates: {} | in-order key errors: {} | members not converged within 10 s: {}",
            self.counter_errors, self.in_order_errors, self.not_converged
        ));
        line(format!(
            "unexpected answers: {} | harness errors (cluster stuck, fault not injected): {}",
            self.unexpected_answers, self.harness_errors
        ));
        line(format!("TOTAL VIOLATIONS: {}", self.violations()));
        for p in self.problems.iter().take(40) {
            line(format!("  - {p}"));
        }
        s
    }
}

/// The `p`th percentile (nearest rank), formatted.
fn pct(v: &[Duration], p: usize) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let mut v = v.to_vec();
    v.sort();
    let rank = (p * v.len()).div_ceil(100).clamp(1, v.len());
    format!("{:.2}s", v[rank - 1].as_secs_f64())
}
