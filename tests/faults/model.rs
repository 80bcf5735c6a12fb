//! The v2 store as the checker sees one key: absent, or holding the value
//! of one write. Values are unique per run, so a value names its write, and
//! a `prevIndex` names the value that carried that modifiedIndex (every
//! index a client uses came from an answer the history recorded).

use crate::checker::{self, Model, Timed, Verdict};
use crate::history::{Call, Op, Ret};
use std::collections::HashMap;

/// A value (a write), interned per key.
pub type Tag = u32;

/// A tag no write carries: a compare against it always fails.
const NOBODY: Tag = u32::MAX;

/// An operation on one key, as the model takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Get,
    Set(Tag),
    Create(Tag),
    Cas { prev: Tag, new: Tag },
    Cad { prev: Tag },
    Delete,
}

/// Its observed outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Indeterminate.
    Unknown,
    /// Success; `read` is the value of the answer's `node` (what a get
    /// read, what a write wrote), `prev` the `prevNode` it carried (`None`
    /// for none).
    Ok {
        read: Option<Tag>,
        prev: Option<Tag>,
    },
    /// etcd error 100, 101 or 105.
    Fail(u64),
}

/// The key model.
#[derive(Debug, Default)]
pub struct KeyModel;

impl Model for KeyModel {
    type State = Option<Tag>;
    type Op = (Input, Output);

    fn init(&self) -> Option<Tag> {
        None
    }

    fn step(&self, s: &Option<Tag>, (input, output): &(Input, Output)) -> Option<Option<Tag>> {
        use Input::*;
        match (input, output) {
            (Get, Output::Ok { read, .. }) => (read == s && s.is_some()).then_some(*s),
            (Get, Output::Fail(100)) => s.is_none().then_some(None),
            (Get, _) => None,
            // A write's answer carries the written value in its node; a
            // create's has no prevNode.
            (Set(v), Output::Ok { read, prev }) => {
                (prev == s && *read == Some(*v)).then_some(Some(*v))
            }
            (Set(v), Output::Unknown) => Some(Some(*v)),
            (Create(v), Output::Ok { read, prev }) => {
                (s.is_none() && *read == Some(*v) && prev.is_none()).then_some(Some(*v))
            }
            (Create(v), Output::Unknown) => s.is_none().then_some(Some(*v)),
            (Create(_), Output::Fail(105)) => s.is_some().then_some(*s),
            (Cas { prev, new }, Output::Ok { read, prev: p }) => {
                (*s == Some(*prev) && *p == Some(*prev) && *read == Some(*new))
                    .then_some(Some(*new))
            }
            (Cas { prev, new }, Output::Unknown) => (*s == Some(*prev)).then_some(Some(*new)),
            (Cad { prev }, Output::Ok { prev: p, .. }) => {
                (*s == Some(*prev) && *p == Some(*prev)).then_some(None)
            }
            (Cad { prev }, Output::Unknown) => (*s == Some(*prev)).then_some(None),
            (Cas { prev, .. } | Cad { prev }, Output::Fail(101)) => {
                s.is_some_and(|x| x != *prev).then_some(*s)
            }
            (Cas { .. } | Cad { .. }, Output::Fail(100)) => s.is_none().then_some(None),
            (Delete, Output::Ok { prev, .. }) => (s.is_some() && prev == s).then_some(None),
            (Delete, Output::Unknown) => s.is_some().then_some(None),
            (Delete, Output::Fail(100)) => s.is_none().then_some(None),
            _ => None,
        }
    }
}

/// What checking one key found.
#[derive(Debug, Clone)]
pub struct KeyReport {
    pub ops: usize,
    pub verdict: Verdict,
    /// Values seen with two modifiedIndexes, or indexes with two values.
    pub index_conflicts: Vec<String>,
    /// A description of the failing operation and its neighbours.
    pub detail: Option<String>,
}

/// Checks the operations of one key (gets, sets, creates, compare-and-swaps
/// and deletes; other calls are ignored) for linearizability.
pub fn check_key(ops: &[&Op], budget: u64) -> KeyReport {
    let mut tags: HashMap<String, Tag> = HashMap::new();
    let mut tag = |v: &str| -> Tag {
        let n = tags.len() as Tag;
        *tags.entry(v.to_owned()).or_insert(n)
    };
    // modifiedIndex of each value, from every node the answers carried.
    let mut index_of: HashMap<String, u64> = HashMap::new();
    let mut value_at: HashMap<u64, String> = HashMap::new();
    let mut conflicts = Vec::new();
    for op in ops {
        if let Ret::Ok { node, prev, .. } = &op.ret {
            for n in [node, prev].into_iter().flatten() {
                let Some(v) = &n.value else { continue };
                if let Some(old) = index_of.insert(v.clone(), n.modified) {
                    if old != n.modified {
                        conflicts.push(format!("value {v} seen at index {old} and {}", n.modified));
                    }
                }
                if let Some(old) = value_at.insert(n.modified, v.clone()) {
                    if &old != v {
                        conflicts.push(format!(
                            "index {} seen with value {old} and {v}",
                            n.modified
                        ));
                    }
                }
            }
        }
    }
    let mut history = Vec::new();
    let mut source = Vec::new();
    for op in ops {
        let input = match &op.call {
            Call::Get => Input::Get,
            Call::Set { value } => Input::Set(tag(value)),
            Call::Create { value } => Input::Create(tag(value)),
            Call::CasValue { prev, value } => Input::Cas {
                prev: tag(prev),
                new: tag(value),
            },
            Call::CasIndex { prev, value } => Input::Cas {
                prev: value_at.get(prev).map_or(NOBODY, |v| tag(v)),
                new: tag(value),
            },
            Call::CadValue { prev } => Input::Cad { prev: tag(prev) },
            Call::CadIndex { prev } => Input::Cad {
                prev: value_at.get(prev).map_or(NOBODY, |v| tag(v)),
            },
            Call::Delete => Input::Delete,
            Call::Post { .. } | Call::SetTtl { .. } => continue,
        };
        let output = match &op.ret {
            Ret::NotSent => continue,
            Ret::Unknown(_) if input == Input::Get => continue,
            Ret::Unknown(_) => Output::Unknown,
            Ret::Fail { code, .. } => Output::Fail(*code),
            Ret::Ok { node, prev, .. } => Output::Ok {
                read: node.as_ref().and_then(|n| n.value.as_deref()).map(&mut tag),
                prev: prev.as_ref().and_then(|n| n.value.as_deref()).map(&mut tag),
            },
        };
        let complete = (output != Output::Unknown).then_some(op.complete.as_nanos() as u64);
        history.push(Timed {
            op: (input, output),
            invoke: op.invoke.as_nanos() as u64,
            complete,
        });
        source.push(*op);
    }
    let verdict = checker::check(&KeyModel, &history, budget);
    let detail = match &verdict {
        Verdict::Violation { op, placed } => Some(describe(&source, *op, *placed)),
        _ => None,
    };
    KeyReport {
        ops: history.len(),
        verdict,
        index_conflicts: conflicts,
        detail,
    }
}

/// The failing operation and every operation overlapping it or just
/// before it, in invocation order.
fn describe(ops: &[&Op], failing: usize, placed: usize) -> String {
    let f = ops[failing];
    let mut out = format!(
        "{} of {} operations placed; cannot place: {}\n",
        placed,
        ops.len(),
        line(f)
    );
    let from = f.invoke.saturating_sub(std::time::Duration::from_secs(2));
    let mut near: Vec<&&Op> = ops
        .iter()
        .filter(|o| o.complete >= from && o.invoke <= f.complete)
        .collect();
    near.sort_by_key(|o| o.invoke);
    for o in near.iter().take(60) {
        out.push_str("  ");
        out.push_str(&line(o));
        out.push('\n');
    }
    out
}

/// One operation on one line.
pub fn line(o: &Op) -> String {
    format!(
        "[{:.6}s..{:.6}s] client {} via m{}: {:?} -> {}",
        o.invoke.as_secs_f64(),
        o.complete.as_secs_f64(),
        o.client,
        o.member,
        o.call,
        match &o.ret {
            Ret::Ok { node, prev, index } => format!(
                "ok node={:?} prev={:?} index={index:?}",
                node.as_ref().map(|n| (n.value.clone(), n.modified)),
                prev.as_ref().map(|n| (n.value.clone(), n.modified))
            ),
            other => format!("{other:?}"),
        }
    )
}
