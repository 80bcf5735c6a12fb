//! The checker and the key model on small histories, including ones that
//! must be rejected.

use crate::checker::{check, Model, Timed, Verdict};
use crate::history::{Call, NodeSeen, Op, Ret};
use crate::model::check_key;
use std::time::Duration;

/// A register holding one number: write(v) and read() -> v.
struct Register;

#[derive(Debug, Clone)]
enum RegOp {
    Write(u32),
    Read(u32),
}

impl Model for Register {
    type State = u32;
    type Op = RegOp;
    fn init(&self) -> u32 {
        0
    }
    fn step(&self, s: &u32, op: &RegOp) -> Option<u32> {
        match op {
            RegOp::Write(v) => Some(*v),
            RegOp::Read(v) => (v == s).then_some(*s),
        }
    }
}

fn t(op: RegOp, invoke: u64, complete: Option<u64>) -> Timed<RegOp> {
    Timed {
        op,
        invoke,
        complete,
    }
}

const BUDGET: u64 = 1_000_000;

/// Checks that the register history `h` is linearizable.
fn assert_accepted(h: &[Timed<RegOp>]) {
    let verdict = check(&Register, h, BUDGET);
    assert_eq!(verdict, Verdict::Linearizable);
}

/// Checks that the register history `h` is not linearizable.
fn assert_rejected(h: &[Timed<RegOp>]) {
    let verdict = check(&Register, h, BUDGET);
    assert!(matches!(verdict, Verdict::Violation { .. }), "{verdict:?}");
}

#[test]
fn sequential_register_histories() {
    use RegOp::*;
    let ok = [t(Write(1), 0, Some(1)), t(Read(1), 2, Some(3))];
    assert_accepted(&ok);
    // A read after a completed write returning the old value: stale.
    let stale = [
        t(Write(1), 0, Some(1)),
        t(Write(2), 2, Some(3)),
        t(Read(1), 4, Some(5)),
    ];
    assert_rejected(&stale);
    // A value nobody wrote.
    let invented = [t(Write(1), 0, Some(1)), t(Read(7), 2, Some(3))];
    assert_rejected(&invented);
}

#[test]
fn concurrent_operations_may_take_effect_in_either_order() {
    use RegOp::*;
    // The read overlaps the write: old and new value are both fine.
    for seen in [0, 1] {
        let h = [t(Write(1), 0, Some(10)), t(Read(seen), 2, Some(5))];
        assert_accepted(&h);
    }
    // Two reads overlapping the write, the first new then old: once a read
    // has seen the new value, a later read must too.
    let flip = [
        t(Write(1), 0, Some(100)),
        t(Read(1), 10, Some(20)),
        t(Read(0), 30, Some(40)),
    ];
    assert_rejected(&flip);
}

#[test]
fn indeterminate_operations_may_happen_late_or_never() {
    use RegOp::*;
    // A timed-out write seen long after its client gave up.
    let late = [
        t(Write(1), 0, None),
        t(Read(0), 5, Some(6)),
        t(Read(1), 50, Some(51)),
    ];
    assert_accepted(&late);
    // ... or never seen at all.
    let never = [t(Write(1), 0, None), t(Read(0), 50, Some(51))];
    assert_accepted(&never);
    // But not before it was invoked.
    let early = [t(Read(1), 0, Some(1)), t(Write(1), 5, None)];
    assert_rejected(&early);
    // And once seen it cannot be undone by nothing.
    let undone = [
        t(Write(1), 0, None),
        t(Read(1), 5, Some(6)),
        t(Read(0), 7, Some(8)),
    ];
    assert_rejected(&undone);
}

#[test]
fn a_tiny_budget_gives_up_instead_of_guessing() {
    use RegOp::*;
    let h: Vec<_> = (0..20).map(|i| t(Write(i), 0, Some(100))).collect();
    assert_eq!(check(&Register, &h, 3), Verdict::Unknown);
}

/// Builds a history of one key, `/k`, from `(call, ret, invoke, complete)`.
fn key_ops(spec: Vec<(Call, Ret, u64, u64)>) -> Vec<Op> {
    spec.into_iter()
        .enumerate()
        .map(|(i, (call, ret, a, b))| Op {
            client: i,
            member: 0,
            key: "/k".into(),
            call,
            invoke: Duration::from_millis(a),
            complete: Duration::from_millis(b),
            ret,
        })
        .collect()
}

fn node(v: &str, index: u64) -> Option<NodeSeen> {
    Some(NodeSeen {
        key: "/k".into(),
        value: Some(v.into()),
        modified: index,
        created: index,
    })
}

fn ok(n: Option<NodeSeen>, prev: Option<NodeSeen>) -> Ret {
    Ret::Ok {
        node: n,
        prev,
        index: None,
    }
}

fn fail(code: u64) -> Ret {
    Ret::Fail { code, index: None }
}

fn verdict(ops: &[Op]) -> Verdict {
    let refs: Vec<&Op> = ops.iter().collect();
    check_key(&refs, BUDGET).verdict
}

/// Checks that the key history `ops` is not linearizable.
fn assert_key_rejected(ops: &[Op]) {
    let verdict = verdict(ops);
    assert!(matches!(verdict, Verdict::Violation { .. }), "{verdict:?}");
}

fn set(v: &str) -> Call {
    Call::Set { value: v.into() }
}

#[test]
fn the_key_model_accepts_what_etcd_may_answer() {
    let h = key_ops(vec![
        (set("a"), ok(node("a", 5), None), 0, 10),
        (Call::Get, ok(node("a", 5), None), 11, 12),
        (
            Call::CasIndex {
                prev: 5,
                value: "b".into(),
            },
            ok(node("b", 7), node("a", 5)),
            13,
            14,
        ),
        (
            Call::CasValue {
                prev: "a".into(),
                value: "c".into(),
            },
            fail(101),
            15,
            16,
        ),
        (
            Call::CadValue { prev: "b".into() },
            ok(None, node("b", 7)),
            17,
            18,
        ),
        (Call::Get, fail(100), 19, 20),
        (
            Call::Create { value: "d".into() },
            Ret::Unknown("timeout".into()),
            21,
            30,
        ),
        (Call::Create { value: "e".into() }, fail(105), 31, 32),
        (Call::Delete, ok(None, node("d", 9)), 33, 34),
    ]);
    assert_eq!(verdict(&h), Verdict::Linearizable);
}

#[test]
fn the_key_model_rejects_lost_updates_and_lost_writes() {
    // Two compare-and-swaps from the same index both succeed: one update
    // is lost.
    let cas = |v: &str| Call::CasIndex {
        prev: 5,
        value: v.into(),
    };
    let h = key_ops(vec![
        (set("a"), ok(node("a", 5), None), 0, 1),
        (cas("b"), ok(node("b", 7), node("a", 5)), 2, 10),
        (cas("c"), ok(node("c", 8), node("a", 5)), 3, 11),
    ]);
    assert_key_rejected(&h);
    // An acknowledged write gone afterwards (say after a crash).
    let h = key_ops(vec![
        (set("a"), ok(node("a", 5), None), 0, 1),
        (Call::Get, fail(100), 2, 3),
    ]);
    assert_key_rejected(&h);
    // A set whose prevNode is not what the key held.
    let h = key_ops(vec![
        (set("a"), ok(node("a", 5), None), 0, 1),
        (set("b"), ok(node("b", 6), None), 2, 3),
    ]);
    assert_key_rejected(&h);
    // A compare that failed although the key held the expected value.
    let h = key_ops(vec![
        (set("a"), ok(node("a", 5), None), 0, 1),
        (Call::CadIndex { prev: 5 }, fail(101), 2, 3),
    ]);
    assert_key_rejected(&h);
}

#[test]
fn the_key_model_rejects_writes_answered_with_the_wrong_node() {
    // A set answered with a value other than the one written.
    let h = key_ops(vec![(set("a"), ok(node("b", 5), None), 0, 1)]);
    assert_key_rejected(&h);
    // The same for a compare-and-swap.
    let h = key_ops(vec![
        (set("a"), ok(node("a", 5), None), 0, 1),
        (
            Call::CasValue {
                prev: "a".into(),
                value: "b".into(),
            },
            ok(node("c", 6), node("a", 5)),
            2,
            3,
        ),
    ]);
    assert_key_rejected(&h);
    // A create answered with a prevNode: the key existed.
    let h = key_ops(vec![(
        Call::Create { value: "a".into() },
        ok(node("a", 5), node("z", 4)),
        0,
        1,
    )]);
    assert_key_rejected(&h);
    // Answered with the value written, each is fine.
    let h = key_ops(vec![
        (
            Call::Create { value: "a".into() },
            ok(node("a", 5), None),
            0,
            1,
        ),
        (set("b"), ok(node("b", 6), node("a", 5)), 2, 3),
    ]);
    assert_eq!(verdict(&h), Verdict::Linearizable);
}

#[test]
fn one_value_at_two_indexes_is_reported() {
    let h = key_ops(vec![
        (set("a"), ok(node("a", 5), None), 0, 1),
        (Call::Get, ok(node("a", 6), None), 2, 3),
    ]);
    let refs: Vec<&Op> = h.iter().collect();
    let report = check_key(&refs, BUDGET);
    assert_eq!(report.index_conflicts.len(), 1, "{report:?}");
}
