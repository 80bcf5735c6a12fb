//! The invariants besides linearizability and watches: indexes never go
//! backwards, acknowledged writes are never lost, in-order keys are unique
//! and in creation order, the compare-and-swap counter lost no update, and
//! TTL keys never expire early (and each expiry is one `expire` event).

use crate::history::{Call, Op, Ret};
use crate::workload::{counter_value, COUNTER_KEY, INORDER_DIR};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Findings of one check: how many violations and a few descriptions.
#[derive(Debug, Default, Clone)]
pub struct Found {
    pub count: usize,
    pub problems: Vec<String>,
}

impl Found {
    pub fn add(&mut self, what: String) {
        self.count += 1;
        if self.problems.len() < 10 {
            self.problems.push(what);
        }
    }
}

/// The index a decided answer reports, and whether the operation wrote.
fn seen_index(op: &Op) -> Option<(u64, bool)> {
    match &op.ret {
        Ret::Ok { node, index, .. } => {
            let write = op.call.writes();
            // A write's own index is its node's modifiedIndex; a read's is
            // the store index it was served at.
            let i = if write {
                node.as_ref().map(|n| n.modified).or(*index)
            } else {
                *index
            };
            i.map(|i| (i, write))
        }
        Ret::Fail { index, .. } => index.map(|i| (i, false)),
        _ => None,
    }
}

/// Indexes in real time: an operation invoked after another completed must
/// see at least that one's index, and a write must get a larger one. Every
/// answer here is a quorum read or a write (both go through raft), so this
/// also covers "the index one client sees never goes backwards".
pub fn index_order(ops: &[Op]) -> Found {
    let mut found = Found::default();
    let mut done: Vec<(Duration, u64, &Op)> = ops
        .iter()
        .filter_map(|o| seen_index(o).map(|(i, _)| (o.complete, i, o)))
        .collect();
    done.sort_by_key(|d| d.0);
    // Prefix maximum of the index over completion order.
    let mut best: Vec<(u64, usize)> = Vec::with_capacity(done.len());
    for (k, d) in done.iter().enumerate() {
        let prev = best.last().copied().unwrap_or((0, usize::MAX));
        best.push(if d.1 >= prev.0 { (d.1, k) } else { prev });
    }
    for op in ops {
        let Some((i, write)) = seen_index(op) else {
            continue;
        };
        let before = done.partition_point(|d| d.0 < op.invoke);
        if before == 0 {
            continue;
        }
        let (max, k) = best[before - 1];
        if i < max || (write && i == max && !std::ptr::eq(done[k].2, op)) {
            found.add(format!(
                "index went backwards: {} saw {i} after {} had seen {max}",
                crate::model::line(op),
                crate::model::line(done[k].2)
            ));
        }
    }
    found
}

/// The final quorum read of each key (`finals`: key → value) must show
/// the effect of a write that can be the last one: acknowledged or
/// indeterminate, and not followed (in real time) by an acknowledged write.
/// Anything else means an acknowledged write was lost (or undone).
pub fn lost_writes(ops: &[Op], finals: &HashMap<String, Option<String>>) -> Found {
    let mut found = Found::default();
    let mut by_key: HashMap<&str, Vec<&Op>> = HashMap::new();
    for op in ops.iter().filter(|o| o.key.starts_with("/lin/")) {
        if op.call.writes() && (op.acked() || op.indeterminate()) {
            by_key.entry(&op.key).or_default().push(op);
        }
    }
    for (key, writes) in by_key {
        let Some(fin) = finals.get(key) else { continue };
        let effect = |w: &Op| match &w.call {
            Call::CadValue { .. } | Call::CadIndex { .. } | Call::Delete => None,
            c => c.value().map(str::to_owned),
        };
        let any_acked = writes.iter().any(|w| w.acked());
        let possible = !any_acked && fin.is_none()
            || writes.iter().any(|w| {
                let followed = w.acked()
                    && writes
                        .iter()
                        .any(|later| later.acked() && later.invoke > w.complete);
                !followed && effect(w) == *fin
            });
        if !possible {
            let last = writes
                .iter()
                .filter(|w| w.acked())
                .max_by_key(|w| w.complete)
                .map(|w| crate::model::line(w))
                .unwrap_or_default();
            found.add(format!(
                "{key}: the final read shows {fin:?}, which no write that can be the last one wrote (last acknowledged: {last})"
            ));
        }
    }
    found
}

/// In-order creates: `listing` is the final sorted listing of the
/// directory as (key, value, createdIndex).
pub fn in_order(ops: &[Op], listing: &[(String, String, u64)]) -> Found {
    let mut found = Found::default();
    let posts: Vec<&Op> = ops
        .iter()
        .filter(|o| o.key == INORDER_DIR && matches!(o.call, Call::Post { .. }))
        .collect();
    let posted: HashSet<&str> = posts.iter().filter_map(|o| o.call.value()).collect();
    let mut values = HashSet::new();
    for w in listing.windows(2) {
        if w[0].0 >= w[1].0 || w[0].2 >= w[1].2 {
            found.add(format!(
                "listing out of creation order: {:?} then {:?}",
                w[0], w[1]
            ));
        }
    }
    let listed: HashMap<&str, (&str, u64)> = listing
        .iter()
        .map(|(k, v, c)| (v.as_str(), (k.as_str(), *c)))
        .collect();
    for (k, v, _) in listing {
        if !values.insert(v.as_str()) {
            found.add(format!("value {v} created twice (again at {k})"));
        }
        if !posted.contains(v.as_str()) {
            found.add(format!("{k} holds {v}, which no client posted"));
        }
    }
    let mut acked: Vec<(&Op, &str, u64)> = Vec::new();
    for o in &posts {
        if let Ret::Ok { node: Some(n), .. } = &o.ret {
            let v = o.call.value().unwrap_or_default();
            match listed.get(v) {
                Some((k, c)) if *k == n.key && *c == n.created => {}
                other => found.add(format!(
                    "acknowledged create {} is {other:?} in the listing",
                    crate::model::line(o)
                )),
            }
            acked.push((o, &n.key, n.created));
        }
    }
    // Real time: a create acknowledged before another was sent sorts first.
    acked.sort_by_key(|a| a.0.complete);
    let mut max: Option<(&str, &Op)> = None;
    let mut by_invoke = acked.clone();
    by_invoke.sort_by_key(|a| a.0.invoke);
    let mut k = 0;
    for (o, key, _) in by_invoke {
        while k < acked.len() && acked[k].0.complete < o.invoke {
            let higher = match max {
                None => true,
                Some((m, _)) => acked[k].1 > m,
            };
            if higher {
                max = Some((acked[k].1, acked[k].0));
            }
            k += 1;
        }
        if let Some((m, before)) = max {
            if key <= m {
                found.add(format!(
                    "{key} created after {m} was acknowledged ({}) sorts before it",
                    crate::model::line(before)
                ));
            }
        }
    }
    found
}

/// The counter: no two applied swaps wrote the same count, and the final
/// count lies between the acknowledged swaps and those plus the
/// indeterminate ones. Returns (findings, final, acked, indeterminate).
pub fn counter(ops: &[Op], fin: Option<&str>) -> (Found, u64, usize, usize) {
    let mut found = Found::default();
    let swaps: Vec<&Op> = ops
        .iter()
        .filter(|o| o.key == COUNTER_KEY && matches!(o.call, Call::CasIndex { .. }))
        .collect();
    let acked = swaps.iter().filter(|o| o.acked()).count();
    let indeterminate = swaps.iter().filter(|o| o.indeterminate()).count();
    // Values known to have been applied: acknowledged swaps, the values they
    // replaced, and the final value.
    let mut applied: HashSet<String> = HashSet::new();
    for o in &swaps {
        if let Ret::Ok { node, prev, .. } = &o.ret {
            for n in [node, prev].into_iter().flatten() {
                if let Some(v) = &n.value {
                    applied.insert(v.clone());
                }
            }
        }
    }
    applied.extend(fin.map(str::to_owned));
    let mut counts: HashMap<u64, &str> = HashMap::new();
    for v in &applied {
        let c = counter_value(v).unwrap_or(u64::MAX);
        if let Some(other) = counts.insert(c, v) {
            found.add(format!(
                "count {c} written twice: {other} and {v} (a lost update)"
            ));
        }
    }
    let fin_count = fin.and_then(counter_value).unwrap_or(0);
    if (fin_count as usize) < acked || fin_count as usize > acked + indeterminate {
        found.add(format!(
            "counter ends at {fin_count} after {acked} acknowledged and {indeterminate} indeterminate swaps"
        ));
    }
    (found, fin_count, acked, indeterminate)
}

/// TTL keys: none gone before its TTL ran out (a quorum read or an `expire`
/// event seen earlier), and each that expired has exactly one `expire`
/// event. `expires` are the watchers' expire events per key (index, when
/// seen); `gone` the keys the final reads found absent; `covered` whether
/// the watchers together saw every event of the run.
pub fn ttl(
    ops: &[Op],
    expires: &HashMap<String, Vec<(u64, Duration)>>,
    gone: &HashSet<String>,
    covered: bool,
) -> (Found, Found, usize) {
    let mut early = Found::default();
    let mut counts = Found::default();
    let mut checked = 0;
    // The clocks of the server (wall clock) and of the harness (monotonic)
    // may differ by a few milliseconds over a run.
    let slack = Duration::from_millis(10);
    let sets: HashMap<&str, &Op> = ops
        .iter()
        .filter(|o| matches!(o.call, Call::SetTtl { .. }))
        .map(|o| (o.key.as_str(), o))
        .collect();
    for (key, set) in &sets {
        let Call::SetTtl { ttl, .. } = set.call else {
            continue;
        };
        let due = set.invoke + Duration::from_secs(ttl);
        if let Some(e) = expires.get(*key) {
            for (index, at) in e {
                if *at + slack < due {
                    early.add(format!(
                        "{key}: expire event {index} seen {:?} before its TTL ran out ({})",
                        due - *at,
                        crate::model::line(set)
                    ));
                }
            }
        }
        if !set.acked() {
            continue;
        }
        checked += 1;
        let n = expires.get(*key).map_or(0, Vec::len);
        if n > 1 || (covered && gone.contains(*key) && n != 1) {
            counts.add(format!("{key}: {n} expire events"));
        }
        if !gone.contains(*key) {
            counts.add(format!("{key}: still there long after its TTL"));
        }
    }
    for o in ops.iter().filter(|o| o.key.starts_with("/ttl/")) {
        let (Call::Get, Ret::Fail { code: 100, .. }) = (&o.call, &o.ret) else {
            continue;
        };
        let Some(set) = sets.get(o.key.as_str()).filter(|s| s.acked()) else {
            continue;
        };
        let Call::SetTtl { ttl, .. } = set.call else {
            continue;
        };
        if o.invoke > set.complete && o.complete + slack < set.invoke + Duration::from_secs(ttl) {
            early.add(format!(
                "{}: gone before its TTL: {} after {}",
                o.key,
                crate::model::line(o),
                crate::model::line(set)
            ));
        }
    }
    (early, counts, checked)
}
