//! The invariant checks on small histories that must pass or fail.

use crate::checks;
use crate::history::{Call, NodeSeen, Op, Ret};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn op(key: &str, call: Call, ret: Ret, a: u64, b: u64) -> Op {
    Op {
        client: 0,
        member: 0,
        key: key.into(),
        call,
        invoke: Duration::from_millis(a),
        complete: Duration::from_millis(b),
        ret,
    }
}

fn node(key: &str, v: &str, index: u64) -> Option<NodeSeen> {
    Some(NodeSeen {
        key: key.into(),
        value: Some(v.into()),
        modified: index,
        created: index,
    })
}

fn ok(n: Option<NodeSeen>, index: u64) -> Ret {
    Ret::Ok {
        node: n,
        prev: None,
        index: Some(index),
    }
}

fn set(v: &str) -> Call {
    Call::Set { value: v.into() }
}

#[test]
fn indexes_must_not_go_backwards_in_real_time() {
    let fine = [
        op("/lin/a", set("x"), ok(node("/lin/a", "x", 10), 10), 0, 5),
        op("/lin/b", Call::Get, ok(node("/lin/b", "y", 3), 10), 6, 7),
        op("/lin/b", set("z"), ok(node("/lin/b", "z", 11), 11), 8, 9),
    ];
    assert_eq!(checks::index_order(&fine).count, 0);
    // A quorum read after a write that reports an older index.
    let stale = [
        op("/lin/a", set("x"), ok(node("/lin/a", "x", 10), 10), 0, 5),
        op("/lin/b", Call::Get, ok(node("/lin/b", "y", 3), 9), 6, 7),
    ];
    assert_eq!(checks::index_order(&stale).count, 1);
    // A write after a read that saw its index already.
    let reused = [
        op("/lin/b", Call::Get, ok(node("/lin/b", "y", 3), 10), 0, 1),
        op("/lin/a", set("x"), ok(node("/lin/a", "x", 10), 10), 2, 3),
    ];
    assert_eq!(checks::index_order(&reused).count, 1);
}

#[test]
fn the_last_acknowledged_write_must_survive() {
    let h = [
        op("/lin/a", set("x"), ok(node("/lin/a", "x", 10), 10), 0, 5),
        op("/lin/a", set("y"), Ret::Unknown("timeout".into()), 1, 3),
    ];
    let finals = |v: Option<&str>| HashMap::from([("/lin/a".to_owned(), v.map(str::to_owned))]);
    assert_eq!(checks::lost_writes(&h, &finals(Some("x"))).count, 0);
    // Overlapping indeterminate write: either value may be last.
    assert_eq!(checks::lost_writes(&h, &finals(Some("y"))).count, 0);
    assert_eq!(checks::lost_writes(&h, &finals(None)).count, 1);
    let h = [op(
        "/lin/a",
        set("x"),
        ok(node("/lin/a", "x", 10), 10),
        0,
        5,
    )];
    assert_eq!(checks::lost_writes(&h, &finals(Some("w"))).count, 1);
}

#[test]
fn in_order_keys_are_unique_complete_and_in_creation_order() {
    let post = |v: &str, key: &str, index: u64, a: u64, b: u64| {
        op(
            "/inorder",
            Call::Post { value: v.into() },
            ok(node(key, v, index), index),
            a,
            b,
        )
    };
    let h = [
        post("p1", "/inorder/00000000000000000010", 10, 0, 1),
        post("p2", "/inorder/00000000000000000011", 11, 2, 3),
    ];
    let good = vec![
        (
            "/inorder/00000000000000000010".to_owned(),
            "p1".to_owned(),
            10,
        ),
        (
            "/inorder/00000000000000000011".to_owned(),
            "p2".to_owned(),
            11,
        ),
    ];
    assert_eq!(checks::in_order(&h, &good).count, 0);
    // An acknowledged create missing.
    assert!(checks::in_order(&h, &good[..1]).count > 0);
    // One post applied twice.
    let mut twice = good.clone();
    twice.push(("/inorder/00000000000000000012".into(), "p2".into(), 12));
    assert!(checks::in_order(&h, &twice).count > 0);
}

#[test]
fn the_counter_loses_no_update() {
    let swap = |prev: u64, v: &str, from: &str, index: u64| {
        op(
            "/cas/counter",
            Call::CasIndex {
                prev,
                value: v.into(),
            },
            Ret::Ok {
                node: node("/cas/counter", v, index),
                prev: node("/cas/counter", from, prev),
                index: Some(index),
            },
            0,
            1,
        )
    };
    let h = [swap(5, "1:a:1", "0:init", 6), swap(6, "2:b:1", "1:a:1", 7)];
    assert_eq!(checks::counter(&h, Some("2:b:1")).0.count, 0);
    assert!(checks::counter(&h, Some("1:a:1")).0.count > 0);
    // Two swaps from the same count both acknowledged: a lost update.
    let h = [swap(5, "1:a:1", "0:init", 6), swap(5, "1:b:1", "0:init", 7)];
    assert!(checks::counter(&h, Some("1:b:1")).0.count > 0);
}

#[test]
fn ttl_keys_never_go_early() {
    let h = [
        op(
            "/ttl/t1",
            Call::SetTtl {
                value: "v".into(),
                ttl: 2,
            },
            ok(node("/ttl/t1", "v", 5), 5),
            0,
            10,
        ),
        op(
            "/ttl/t1",
            Call::Get,
            Ret::Fail {
                code: 100,
                index: Some(6),
            },
            1000,
            1100,
        ),
    ];
    let gone = HashSet::from(["/ttl/t1".to_owned()]);
    let one = HashMap::from([("/ttl/t1".to_owned(), vec![(6, Duration::from_millis(2100))])]);
    let (early, counts, _) = checks::ttl(&h, &one, &gone, true);
    assert_eq!((early.count, counts.count), (1, 0), "{early:?}");
    let (early, counts, _) = checks::ttl(&h[..1], &one, &gone, true);
    assert_eq!((early.count, counts.count), (0, 0));
    // An expire event seen before the TTL ran out, and two expire events.
    let two = HashMap::from([(
        "/ttl/t1".to_owned(),
        vec![
            (6, Duration::from_millis(1500)),
            (7, Duration::from_millis(2500)),
        ],
    )]);
    let (early, counts, _) = checks::ttl(&h[..1], &two, &gone, true);
    assert_eq!((early.count, counts.count), (1, 1));
}
