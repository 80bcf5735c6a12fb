//! A linearizability checker: the Wing–Gong search with Lowe's memoisation
//! (a cache of (linearized set, model state) pairs already explored).
//!
//! Each operation has an invocation time and, when it completed, a
//! completion time; an operation without one (indeterminate: timed out,
//! connection lost) may take effect at any point after its invocation, or
//! never. The history is linearizable when some total order of the
//! completed operations, plus any subset of the indeterminate ones, agrees
//! with both the real-time order (an operation that completed before
//! another was invoked comes first) and the sequential model.

use std::collections::HashSet;
use std::hash::Hash;

/// A sequential specification.
pub trait Model {
    /// The model's state; equal states must behave the same.
    type State: Clone + Eq + Hash;
    /// An operation together with its observed outcome.
    type Op;
    fn init(&self) -> Self::State;
    /// The state after `op` when `op` (with its observed outcome) is legal
    /// in `state`; `None` when it is not.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
}

/// One operation of a history.
#[derive(Debug, Clone)]
pub struct Timed<O> {
    pub op: O,
    pub invoke: u64,
    /// `None`: indeterminate.
    pub complete: Option<u64>,
}

/// The checker's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    /// No order exists. `op` is the operation the deepest search could not
    /// place before its completion; `placed` how many it had placed then.
    Violation {
        op: usize,
        placed: usize,
    },
    /// The search gave up after its step budget.
    Unknown,
}

#[derive(Debug, Clone, Copy)]
enum Entry {
    Call(usize),
    Return(usize),
}

/// A set of operation numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
}

/// Checks `history` against `model`, giving up after `budget` search steps.
pub fn check<M: Model>(model: &M, history: &[Timed<M::Op>], budget: u64) -> Verdict {
    let n = history.len();
    // Entries sorted by time; at equal times calls first (the operations
    // then count as concurrent: the permissive reading). Indeterminate
    // operations return after everything else.
    let mut events: Vec<(u64, u8, Entry)> = Vec::with_capacity(2 * n);
    for (i, t) in history.iter().enumerate() {
        events.push((t.invoke, 0, Entry::Call(i)));
        events.push((t.complete.unwrap_or(u64::MAX), 1, Entry::Return(i)));
    }
    events.sort_by_key(|&(time, order, _)| (time, order));
    // A doubly linked list over the entries; node 0 is the head, node
    // k + 1 is events[k], and `END` marks the end.
    const END: usize = usize::MAX;
    let len = events.len();
    let mut next: Vec<usize> = (0..=len)
        .map(|k| if k < len { k + 1 } else { END })
        .collect();
    let mut prev: Vec<usize> = (0..=len).map(|k| k.wrapping_sub(1)).collect();
    let mut call_node = vec![0; n];
    let mut ret_node = vec![0; n];
    for (k, (_, _, e)) in events.iter().enumerate() {
        match e {
            Entry::Call(i) => call_node[*i] = k + 1,
            Entry::Return(i) => ret_node[*i] = k + 1,
        }
    }
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, node: usize| {
        let (p, nx) = (prev[node], next[node]);
        next[p] = nx;
        if nx != END {
            prev[nx] = p;
        }
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, node: usize| {
        let (p, nx) = (prev[node], next[node]);
        next[p] = node;
        if nx != END {
            prev[nx] = node;
        }
    };

    let mut state = model.init();
    let mut linearized = Bits::new(n);
    let mut cache: HashSet<(Bits, M::State)> = HashSet::new();
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut deepest = (0usize, 0usize);
    let mut node = next[0];
    let mut steps = 0u64;
    loop {
        steps += 1;
        if steps > budget {
            return Verdict::Unknown;
        }
        if node == END {
            return Verdict::Linearizable;
        }
        match events[node - 1].2 {
            Entry::Call(i) => {
                let mut placed = false;
                if let Some(after) = model.step(&state, &history[i].op) {
                    linearized.set(i);
                    if cache.insert((linearized.clone(), after.clone())) {
                        stack.push((i, std::mem::replace(&mut state, after)));
                        // Lift the operation out: its call, then its return.
                        unlink(&mut next, &mut prev, call_node[i]);
                        unlink(&mut next, &mut prev, ret_node[i]);
                        node = next[0];
                        placed = true;
                    } else {
                        linearized.clear(i);
                    }
                }
                if !placed {
                    node = next[node];
                }
            }
            Entry::Return(i) => {
                // Every operation before this return in the list is placed
                // or cannot be placed yet. An indeterminate return comes
                // after every completed one: all completed operations are
                // placed, and the rest may never have happened.
                if history[i].complete.is_none() {
                    return Verdict::Linearizable;
                }
                if stack.len() >= deepest.1 {
                    deepest = (i, stack.len());
                }
                let Some((j, before)) = stack.pop() else {
                    return Verdict::Violation {
                        op: deepest.0,
                        placed: deepest.1,
                    };
                };
                state = before;
                linearized.clear(j);
                relink(&mut next, &mut prev, ret_node[j]);
                relink(&mut next, &mut prev, call_node[j]);
                node = next[call_node[j]];
            }
        }
    }
}
