//! Watch hub cases from spec watch.md, driven through the store harness.

use super::*;
use crate::store::Command;
use etcd_client::{json, Action};

fn set(path: &str, value: &str) -> Command {
    Command::Set {
        path: path.into(),
        value: value.into(),
        dir: false,
        ttl: None,
        refresh: false,
    }
}

struct Fixture {
    store: Store,
    hub: WatchHub,
    now: i64,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            store: Store::new(),
            hub: WatchHub::new(),
            now: crate::store::testkit_now(),
        }
    }

    fn apply(&mut self, cmd: Command) -> Result<Option<Arc<Event>>, Error> {
        let mut sink = self.hub.sink();
        self.store.apply(&cmd, self.now, &mut sink)
    }

    fn watch(&self, key: &str, recursive: bool, stream: bool, wait_index: u64) -> Watcher {
        self.hub
            .watch(&self.store, key, recursive, stream, wait_index)
            .expect("watch")
    }
}

fn drain(w: &mut Watcher) -> Vec<(Action, String, u64)> {
    let mut out = Vec::new();
    while let Some(e) = w.try_next() {
        out.push((e.action, e.node.key.clone(), e.index()));
    }
    out
}

#[test]
fn long_poll_gets_one_event_then_unregisters() {
    let mut f = Fixture::new();
    let mut w = f.watch("/1/w/k", false, false, 0);
    assert_eq!(f.hub.count(), 1);
    assert_eq!(w.start_index, 0);
    f.apply(set("/1/w/k", "v1")).unwrap();
    f.apply(set("/1/w/k", "v2")).unwrap();
    assert_eq!(drain(&mut w), [(Action::Set, "/1/w/k".into(), 1)]);
    assert_eq!(f.hub.count(), 0);
}

#[test]
fn stream_gets_every_event_and_drop_unregisters() {
    let mut f = Fixture::new();
    let mut w = f.watch("/1/ws", true, true, 0);
    f.apply(set("/1/ws/a", "1")).unwrap();
    f.apply(set("/1/ws/b", "2")).unwrap();
    f.apply(Command::Delete {
        path: "/1/ws/a".into(),
        dir: false,
        recursive: false,
    })
    .unwrap();
    assert_eq!(
        drain(&mut w),
        [
            (Action::Set, "/1/ws/a".into(), 1),
            (Action::Set, "/1/ws/b".into(), 2),
            (Action::Delete, "/1/ws/a".into(), 3),
        ]
    );
    assert_eq!(f.hub.count(), 1);
    drop(w);
    assert_eq!(f.hub.count(), 0);
}

#[test]
fn non_recursive_dir_watch_ignores_children_and_refresh_wakes_nobody() {
    let mut f = Fixture::new();
    f.apply(Command::Set {
        path: "/1/w/k".into(),
        value: "v".into(),
        dir: false,
        ttl: Some(100),
        refresh: false,
    })
    .unwrap();
    let mut dir = f.watch("/1/w", false, true, 0);
    let mut key = f.watch("/1/w/k", false, true, 0);
    f.apply(set("/1/w/child", "c")).unwrap();
    f.apply(Command::Set {
        path: "/1/w/k".into(),
        value: Vec::new(),
        dir: false,
        ttl: Some(200),
        refresh: true,
    })
    .unwrap();
    assert!(drain(&mut dir).is_empty());
    assert!(drain(&mut key).is_empty());
}

#[test]
fn recursive_watch_skips_hidden_keys_but_direct_watch_fires() {
    let mut f = Fixture::new();
    let mut rec = f.watch("/1/wh", true, true, 0);
    let mut root = f.watch("/1", true, true, 0);
    let mut hidden_dir = f.watch("/1/_hd2", true, true, 0);
    let mut direct = f.watch("/1/wh/_h2", false, true, 0);
    f.apply(set("/1/wh/_hidden", "x")).unwrap();
    f.apply(set("/1/wh/a/_b", "x")).unwrap();
    f.apply(set("/1/wh/visible", "y")).unwrap();
    f.apply(set("/1/wh/_h2", "x")).unwrap();
    f.apply(set("/1/_hd2/y", "4")).unwrap();
    assert_eq!(drain(&mut rec), [(Action::Set, "/1/wh/visible".into(), 3)]);
    assert_eq!(drain(&mut root), [(Action::Set, "/1/wh/visible".into(), 3)]);
    assert_eq!(
        drain(&mut hidden_dir),
        [(Action::Set, "/1/_hd2/y".into(), 5)]
    );
    assert_eq!(drain(&mut direct), [(Action::Set, "/1/wh/_h2".into(), 4)]);
}

#[test]
fn wait_index_from_history_and_future() {
    let mut f = Fixture::new();
    f.apply(set("/1/w/k", "v0")).unwrap();
    f.apply(set("/1/w/other", "x")).unwrap();
    // Past index: answered from history at once, not registered.
    let mut past = f.watch("/1/w", true, false, 1);
    assert_eq!(drain(&mut past), [(Action::Set, "/1/w/k".into(), 1)]);
    assert_eq!(f.hub.count(), 0);
    // Future index I+2: the write at I+1 does not fire, the one at I+2 does.
    let mut fut = f.watch("/1/w", true, false, 4);
    f.apply(set("/1/w/f1", "one")).unwrap();
    assert!(drain(&mut fut).is_empty());
    f.apply(set("/1/w/f2", "two")).unwrap();
    assert_eq!(drain(&mut fut), [(Action::Set, "/1/w/f2".into(), 4)]);
}

#[test]
fn history_cleared_is_error_401_with_current_index() {
    let mut f = Fixture::new();
    for i in 0..1100 {
        f.apply(set(&format!("/1/hist/k{i}"), "v")).unwrap();
    }
    let err = f
        .hub
        .watch(&f.store, "/1/hist", true, false, 1)
        .unwrap_err();
    assert_eq!(err.code.0, 401);
    assert_eq!(err.http_status(), 400);
    assert_eq!(err.index, 1100);
    assert_eq!(err.cause, "the requested history has been cleared [101/1]");
    let body = String::from_utf8(json::to_vec(&err.to_body("/1"))).unwrap();
    assert_eq!(
        body,
        r#"{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [101/1]","index":1100}"#
    );
    // Checked before the key is looked at.
    assert!(f
        .hub
        .watch(&f.store, "/1/nothere", false, false, 100)
        .is_err());
    let mut ok = f.watch("/1/hist", true, false, 101);
    assert_eq!(drain(&mut ok), [(Action::Set, "/1/hist/k100".into(), 101)]);
}

#[test]
fn deleting_a_directory_reaches_watchers_inside_it() {
    let mut f = Fixture::new();
    f.apply(set("/1/wp/sub/key", "v")).unwrap();
    let mut never = f.watch("/1/wp/sub/other", false, false, 0);
    let mut sub = f.watch("/1/wp/sub", false, false, 0);
    let mut root = f.watch("/1", false, false, 0);
    let mut key_stream = f.watch("/1/wp/sub/key", false, true, 0);
    let mut above = f.watch("/1", true, true, 0);
    f.apply(Command::Delete {
        path: "/1/wp".into(),
        dir: true,
        recursive: true,
    })
    .unwrap();
    let del = (Action::Delete, "/1/wp".to_owned(), 2);
    assert!(drain(&mut never).is_empty());
    assert_eq!(drain(&mut sub), std::slice::from_ref(&del));
    assert!(drain(&mut root).is_empty());
    assert_eq!(drain(&mut key_stream), std::slice::from_ref(&del));
    assert_eq!(drain(&mut above), [del]);
}

#[test]
fn stream_watcher_on_removed_node_gets_the_event_twice() {
    let mut f = Fixture::new();
    f.apply(set("/1/dd/f", "1")).unwrap();
    f.apply(Command::Set {
        path: "/1/dd/e".into(),
        value: Vec::new(),
        dir: true,
        ttl: None,
        refresh: false,
    })
    .unwrap();
    f.apply(set("/1/dd/h", "1")).unwrap();
    f.apply(Command::Set {
        path: "/1/dd/g".into(),
        value: "1".into(),
        dir: false,
        ttl: Some(1),
        refresh: false,
    })
    .unwrap();
    let mut wf = f.watch("/1/dd/f", false, true, 0);
    let mut we = f.watch("/1/dd/e", false, true, 0);
    let mut wer = f.watch("/1/dd/e", true, true, 0);
    let mut wh = f.watch("/1/dd/h", false, true, 0);
    let mut wg = f.watch("/1/dd/g", false, true, 0);
    let mut long = f.watch("/1/dd/f", false, false, 0);
    f.apply(Command::Delete {
        path: "/1/dd/f".into(),
        dir: false,
        recursive: false,
    })
    .unwrap();
    f.apply(Command::Delete {
        path: "/1/dd/e".into(),
        dir: true,
        recursive: false,
    })
    .unwrap();
    f.apply(Command::CompareAndDelete {
        path: "/1/dd/h".into(),
        prev_value: "1".into(),
        prev_index: 0,
    })
    .unwrap();
    f.now += 2_000_000_000;
    f.apply(Command::Expire).unwrap();
    let twice = |a: Action, k: &str, i: u64| vec![(a, k.to_owned(), i), (a, k.to_owned(), i)];
    assert_eq!(drain(&mut wf), twice(Action::Delete, "/1/dd/f", 5));
    assert_eq!(drain(&mut we), twice(Action::Delete, "/1/dd/e", 6));
    assert_eq!(drain(&mut wer), twice(Action::Delete, "/1/dd/e", 6));
    assert_eq!(
        drain(&mut wh),
        twice(Action::CompareAndDelete, "/1/dd/h", 7)
    );
    assert_eq!(drain(&mut wg), twice(Action::Expire, "/1/dd/g", 8));
    assert_eq!(
        drain(&mut long),
        [(Action::Delete, "/1/dd/f".to_owned(), 5)]
    );
    assert_eq!(f.hub.count(), 5);
}

#[test]
fn expiring_directory_reaches_watcher_on_key_inside() {
    let mut f = Fixture::new();
    f.apply(Command::Set {
        path: "/1/wt".into(),
        value: Vec::new(),
        dir: true,
        ttl: Some(1),
        refresh: false,
    })
    .unwrap();
    f.apply(set("/1/wt/key", "v")).unwrap();
    let mut w = f.watch("/1/wt/key", false, false, 0);
    f.now += 1_000_000_000;
    f.apply(Command::Expire).unwrap();
    let events = drain(&mut w);
    assert_eq!(events, [(Action::Expire, "/1/wt".to_owned(), 3)]);
}

#[test]
fn overflowing_stream_watcher_is_dropped() {
    let mut f = Fixture::new();
    let mut w = f.watch("/1/q", true, true, 0);
    for i in 0..=WATCHER_BUFFER {
        f.apply(set(&format!("/1/q/{i}"), "v")).unwrap();
    }
    assert_eq!(f.hub.count(), 0);
    let got = drain(&mut w);
    assert_eq!(got.len(), WATCHER_BUFFER);
    assert!(got.windows(2).all(|p| p[0].2 + 1 == p[1].2));
}

#[tokio::test]
async fn next_waits_for_the_event() {
    let mut f = Fixture::new();
    let mut w = f.watch("/1/a", false, false, 0);
    let waiter = tokio::spawn(async move { w.next().await.map(|e| e.index()) });
    tokio::task::yield_now().await;
    f.apply(set("/1/a", "x")).unwrap();
    assert_eq!(waiter.await.unwrap(), Some(1));
}

#[tokio::test]
async fn end_all_ends_every_waiting_watcher() {
    let mut f = Fixture::new();
    let mut a = f.watch("/1/a", false, false, 0);
    let mut b = f.watch("/1", true, true, 0);
    assert_eq!(f.hub.count(), 2);
    f.hub.end_all();
    assert_eq!(f.hub.count(), 0);
    assert!(a.next().await.is_none());
    assert!(b.next().await.is_none());
    // New watches still work afterwards.
    let mut c = f.watch("/1/a", false, false, 0);
    f.apply(set("/1/a", "x")).unwrap();
    assert_eq!(c.next().await.map(|e| e.index()), Some(1));
    drop((a, b));
}
