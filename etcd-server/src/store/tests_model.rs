//! Properties of the store as a replicated state machine, and reference-checked
//! edge cases of its arithmetic.
//!
//! - Determinism: the same commands give byte-identical snapshots and events.
//! - Snapshots: save → restore → continue equals continuing directly.
//! - A frozen copy saves as the store did when it was taken, whatever the
//!   store does after (the two share every value).

use super::testkit::{Harness, T0};
use super::{Command, NoWatchers, SnapshotError, Store};
use etcd_client::time::NANOS_PER_SEC;
use proptest::prelude::*;

const PATHS: &[&str] = &[
    "/1/a", "/1/a/b", "/1/a/b/c", "/1/b", "/1/d", "/1/d/x", "/1/_h", "/1/_h/y", "/0/m", "/1",
];
const VALUES: &[&str] = &["", "v", "w", "\u{2603}", "\u{0}<&>"];

#[derive(Debug, Clone)]
enum Op {
    Cmd(Command),
    Get { path: String, recursive: bool },
    Tick(i64),
}

fn path() -> impl Strategy<Value = String> {
    prop::sample::select(PATHS).prop_map(str::to_owned)
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(VALUES).prop_map(|v| v.as_bytes().to_vec())
}

fn ttl() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![3 => Just(None), 1 => (0u64..4).prop_map(Some), 1 => Just(Some(8_000_000_000))]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (path(), value(), any::<bool>(), ttl(), any::<bool>()).prop_map(|(path, value, dir, ttl, refresh)| {
            Op::Cmd(Command::Set { path, value, dir, ttl, refresh })
        }),
        2 => (path(), value(), any::<bool>(), ttl(), any::<bool>()).prop_map(|(path, value, dir, ttl, unique)| {
            Op::Cmd(Command::Create { path, value, dir, ttl, unique })
        }),
        2 => (path(), value(), ttl(), any::<bool>()).prop_map(|(path, value, ttl, refresh)| {
            Op::Cmd(Command::Update { path, value, ttl, refresh })
        }),
        2 => (path(), value(), 0u64..12, value(), ttl(), any::<bool>()).prop_map(
            |(path, prev_value, prev_index, value, ttl, refresh)| {
                Op::Cmd(Command::CompareAndSwap { path, prev_value, prev_index, value, ttl, refresh })
            }
        ),
        2 => (path(), any::<bool>(), any::<bool>()).prop_map(|(path, dir, recursive)| {
            Op::Cmd(Command::Delete { path, dir, recursive })
        }),
        1 => (path(), value(), 0u64..12).prop_map(|(path, prev_value, prev_index)| {
            Op::Cmd(Command::CompareAndDelete { path, prev_value, prev_index })
        }),
        1 => Just(Op::Cmd(Command::Expire)),
        2 => (path(), any::<bool>()).prop_map(|(path, recursive)| Op::Get { path, recursive }),
        1 => (0i64..3_000).prop_map(|ms| Op::Tick(ms * 1_000_000)),
    ]
}

/// Runs `ops` from `now`, returning a transcript of every answer.
fn run(store: &mut Store, now: &mut i64, ops: &[Op]) -> Vec<String> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let line = match op {
            Op::Cmd(cmd) => format!("{:?}", store.apply(cmd, *now, &mut NoWatchers)),
            Op::Get { path, recursive } => format!("{:?}", store.get(path, *recursive, true, *now)),
            Op::Tick(d) => {
                *now += d;
                String::new()
            }
        };
        out.push(line);
    }
    out
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=N runs more.

    #[test]
    fn same_commands_give_identical_stores(ops in prop::collection::vec(op(), 0..80)) {
        let (mut a, mut b) = (Store::new(), Store::new());
        let (mut ta, mut tb) = (T0, T0);
        let ra = run(&mut a, &mut ta, &ops);
        let rb = run(&mut b, &mut tb, &ops);
        prop_assert_eq!(ra, rb);
        prop_assert_eq!(a.save(), b.save());
    }

    #[test]
    fn snapshot_restore_then_continue_equals_continuing(
        ops in prop::collection::vec(op(), 0..80),
        split in 0usize..80,
    ) {
        let split = split.min(ops.len());
        let mut direct = Store::new();
        let mut t = T0;
        run(&mut direct, &mut t, &ops[..split]);
        let bytes = direct.save();
        let mut restored = Store::restore(&bytes).expect("restore");
        prop_assert_eq!(restored.save(), bytes);
        let mut t2 = t;
        let rest_direct = run(&mut direct, &mut t, &ops[split..]);
        let rest_restored = run(&mut restored, &mut t2, &ops[split..]);
        prop_assert_eq!(rest_direct, rest_restored);
        prop_assert_eq!(direct.save(), restored.save());
        prop_assert_eq!(direct.ttl_count(), restored.ttl_count());
    }

    #[test]
    fn a_frozen_copy_saves_the_state_it_was_taken_in(
        ops in prop::collection::vec(op(), 0..80),
        split in 0usize..80,
    ) {
        let split = split.min(ops.len());
        let mut store = Store::new();
        let mut t = T0;
        run(&mut store, &mut t, &ops[..split]);
        let bytes = store.save();
        let frozen = store.freeze();
        prop_assert_eq!(frozen.index(), store.index());
        run(&mut store, &mut t, &ops[split..]);
        prop_assert_eq!(frozen.save(), bytes);
        // Dropping the copy leaves the store whole.
        let later = store.save();
        drop(frozen);
        prop_assert_eq!(store.save(), later);
    }

    #[test]
    fn corrupt_snapshots_are_refused_not_misread(
        ops in prop::collection::vec(op(), 1..40),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let mut s = Store::new();
        let mut t = T0;
        run(&mut s, &mut t, &ops);
        let bytes = s.save();
        let at = cut.index(bytes.len());
        prop_assert!(Store::restore(&bytes[..at]).is_err());
        // A flipped byte either fails to decode or decodes to a different
        // state; it never panics.
        let mut bad = bytes.clone();
        let i = flip.index(bad.len());
        bad[i] ^= 0x5A;
        if let Ok(other) = Store::restore(&bad) {
            prop_assert_ne!(other.save(), bytes);
        }
    }
}

#[test]
fn snapshot_keeps_everything() {
    let mut h = Harness::new();
    h.req("PUT", "/a/b", "value=1&ttl=100");
    h.req("PUT", "/d", "dir=true&ttl=5");
    h.req("POST", "/q", "value=x");
    h.req("GET", "/a/b", "");
    let bytes = h.store.save();
    let restored = Store::restore(&bytes).unwrap();
    assert_eq!(restored.index(), h.store.index());
    assert_eq!(restored.stats(0), h.store.stats(0));
    assert_eq!(restored.ttl_count(), 2);
    assert_eq!(restored.next_expiration(), Some(T0 + 5 * NANOS_PER_SEC));
    assert_eq!(restored.history().len(), h.store.history().len());
    assert_eq!(
        restored.get("/1", true, true, h.now).unwrap(),
        h.store.get("/1", true, true, h.now).unwrap()
    );
    assert_eq!(
        Store::restore(b"nope").unwrap_err(),
        SnapshotError::Truncated
    );
    assert_eq!(
        Store::restore(b"NOTASNAPSHOT").unwrap_err(),
        SnapshotError::BadMagic
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        Store::restore(&trailing),
        Err(SnapshotError::Corrupt(_))
    ));
}

#[test]
fn update_with_overflowing_ttl_expires_at_next_sweep() {
    // Checked against etcd 3.4.23: the update path skips the "before 2000 means
    // permanent" rule, so the expiration wraps into the past (year 1695) and the
    // remaining ttl saturates.
    let mut h = Harness::new();
    h.req("PUT", "/hu", "value=a");
    let a = h.req("PUT", "/hu", "value=b&ttl=8000000000&prevExist=true");
    assert_eq!(a.status, 200);
    assert!(a.body.contains(r#""ttl":-9223372036,"#), "{}", a.body);
    assert!(a.body.contains(r#""expiration":"1695-"#), "{}", a.body);
    h.expire();
    h.expect(
        "GET",
        "/hu",
        "",
        404,
        r#"{"errorCode":100,"message":"Key not found","cause":"/hu","index":6}"#,
    );
}

#[test]
fn compare_and_delete_on_root_has_no_cause() {
    // Checked against etcd 3.4.23: `DELETE /v2/keys/?prevValue=x` → 102 with the
    // cause `/1` trimmed to nothing, so the field is omitted.
    let mut h = Harness::new();
    h.expect(
        "DELETE",
        "",
        "prevValue=x",
        403,
        r#"{"errorCode":102,"message":"Not a file","index":3}"#,
    );
    h.expect(
        "PUT",
        "",
        "prevValue=x&value=y",
        400,
        r#"{"errorCode":107,"message":"Root is read only","cause":"/","index":3}"#,
    );
}

#[test]
fn update_ignores_dir_flag_and_writes_the_value() {
    // Checked against etcd 3.4.23: `PUT dir=true&value=x&prevExist=true` on a
    // file is an update that writes the value.
    let mut h = Harness::new();
    h.req("PUT", "/uf", "value=a");
    h.expect(
        "PUT",
        "/uf",
        "dir=true&value=x&prevExist=true",
        200,
        r#"{"action":"update","node":{"key":"/uf","value":"x","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/uf","value":"a","modifiedIndex":4,"createdIndex":4}}"#,
    );
}

#[test]
fn ttl_counts_down_as_ceiling_and_expired_key_lingers_until_the_sweep() {
    // spec watch.md §8: for ttl=3 a GET shows 3 during the first second, then
    // 2, then 1; past the expiration it shows `expiration` without `ttl` until
    // the sweep removes it (one index).
    let mut h = Harness::new();
    h.req("PUT", "/ttltest/g", "value=v&ttl=3");
    let mut seen = Vec::new();
    for _ in 0..7 {
        let a = h.req("GET", "/ttltest/g", "");
        let node: etcd_client::KeyResponse = serde_json::from_str(&a.body).unwrap();
        seen.push(node.node.unwrap().ttl);
        h.advance(NANOS_PER_SEC / 2);
    }
    assert_eq!(seen, [3, 3, 2, 2, 1, 1, 0]);
    h.expect(
        "GET",
        "/ttltest/g",
        "",
        200,
        r#"{"action":"get","node":{"key":"/ttltest/g","value":"v","expiration":"2026-11-21T05:10:03Z","modifiedIndex":4,"createdIndex":4}}"#,
    );
    h.expire();
    h.expect(
        "GET",
        "/ttltest/g",
        "",
        404,
        r#"{"errorCode":100,"message":"Key not found","cause":"/ttltest/g","index":5}"#,
    );
}
