//! The watch checks on small observations that must pass or fail.

use super::*;
use crate::history::{Call, NodeSeen};

fn set(key: &str, value: &str, index: u64) -> Op {
    Op {
        client: 0,
        member: 0,
        key: key.into(),
        call: Call::Set {
            value: value.into(),
        },
        invoke: Duration::ZERO,
        complete: Duration::ZERO,
        ret: Ret::Ok {
            node: Some(NodeSeen {
                key: key.into(),
                value: Some(value.into()),
                modified: index,
                created: index,
            }),
            prev: None,
            index: Some(index),
        },
    }
}

fn event(wait: u64, key: &str, value: &str, index: u64) -> Poll {
    Poll::Event {
        wait,
        event: Seen {
            index,
            action: "set".into(),
            key: key.into(),
            value: Some(value.into()),
        },
        member: 0,
        at: Duration::ZERO,
    }
}

fn stream(polls: Vec<Poll>) -> Stream {
    Stream {
        prefix: "/".into(),
        polls,
        stuck: None,
    }
}

#[test]
fn a_complete_stream_passes() {
    let ops = [set("/a", "1", 10), set("/b", "2", 11)];
    let s = stream(vec![event(10, "/a", "1", 10), event(11, "/b", "2", 11)]);
    let f = check(&[s], &ops, 10, 11);
    assert_eq!(
        (
            f.events,
            f.gaps,
            f.duplicates,
            f.out_of_order,
            f.disagreements
        ),
        (2, 0, 0, 0, 0),
        "{:?}",
        f.problems
    );
    assert!(f.uncovered.is_empty());
}

#[test]
fn repeats_and_events_below_the_index_asked_for_are_counted_once() {
    let ops = [set("/a", "1", 10), set("/b", "2", 11)];
    let s = stream(vec![
        event(10, "/a", "1", 10),
        // The same event again, asked from past it.
        event(11, "/a", "1", 10),
        event(11, "/b", "2", 11),
        // An older one.
        event(12, "/a", "1", 10),
    ]);
    let f = check(&[s], &ops, 10, 11);
    assert_eq!(
        (f.duplicates, f.out_of_order, f.gaps),
        (1, 1, 0),
        "{:?}",
        f.problems
    );
}

#[test]
fn a_skipped_write_is_a_gap_and_an_index_no_watcher_saw_is_uncovered() {
    let ops = [set("/a", "1", 10), set("/b", "2", 11), set("/c", "3", 12)];
    let s = stream(vec![event(10, "/a", "1", 10), event(11, "/c", "3", 12)]);
    let f = check(&[s], &ops, 10, 13);
    assert_eq!(f.gaps, 1, "{:?}", f.problems);
    assert_eq!(f.uncovered, [(13, 13)]);
}

#[test]
fn disagreements_with_answers_and_between_writes_are_found() {
    // The event shows another value than the write's answer.
    let f = check(
        &[stream(vec![event(10, "/a", "other", 10)])],
        &[set("/a", "1", 10)],
        10,
        10,
    );
    assert_eq!(f.disagreements, 1, "{:?}", f.problems);
    // Two acknowledged writes answered with the same index.
    let f = check(&[], &[set("/a", "1", 10), set("/b", "2", 10)], 10, 10);
    assert_eq!(f.disagreements, 1, "{:?}", f.problems);
}

#[test]
fn answers_without_an_event_are_not_events() {
    let start = std::time::Instant::now();
    let answer = |status: u16, body: serde_json::Value| Answer {
        status,
        index: Some(5),
        body,
    };
    assert!(matches!(
        classify(3, 0, &answer(200, serde_json::Value::Null), start),
        Some(Poll::Ended)
    ));
    assert!(matches!(
        classify(
            3,
            0,
            &answer(200, serde_json::json!({"action": "set"})),
            start
        ),
        Some(Poll::Unexpected { .. })
    ));
    let cleared = serde_json::json!({
        "errorCode": 401,
        "cause": "the requested history has been cleared [1008/3]",
        "index": 2007
    });
    assert!(matches!(
        classify(3, 0, &answer(400, cleared), start),
        Some(Poll::Cleared {
            oldest: Some(1008),
            index: 2007,
            ..
        })
    ));
    assert!(classify(3, 0, &answer(503, serde_json::Value::Null), start).is_none());
}
