//! Resumable watch streams: cleared history, failover, and dropped streams.

use super::*;

fn assert_cleared(e: &Error, wait: u64, top: u64) {
    let Error::Api(api) = e else {
        panic!("expected error 401, got {e:?}");
    };
    let code = ErrorCode::EVENT_INDEX_CLEARED;
    assert_eq!((api.code, api.status), (code, 400), "{api}");
    let message = "The event in requested index is outdated and cleared";
    assert_eq!(api.message, message);
    assert!(api.index >= top, "index {} < {top}", api.index);
    let oldest = api.index - 999;
    let cause = format!("the requested history has been cleared [{oldest}/{wait}]");
    assert_eq!(api.cause, cause);
}

async fn cleared_body(url: String) {
    let c = client(&url);
    let k = "/cw5/watched";
    let w0 = index(&set(&c, k, "w0").await);
    let top = fill(&c, "/cw5-noise", 1100).await;

    let err = within("one-shot 401", watch(&c, k, 1).send()).await;
    assert_cleared(&err.expect_err("one-shot watch at index 1"), 1, top);
    let err = within("server stream 401", watch(&c, k, 2).server_stream()).await;
    assert_cleared(&err.expect_err("server stream at index 2"), 2, top);

    // Without resync: the error, then the end.
    let mut s = watch(&c, k, w0 + 1).stream();
    match within("stream 401", s.next()).await {
        Some(Err(e)) => assert_cleared(&e, w0 + 1, top),
        other => panic!("expected error 401, got {other:?}"),
    }
    let end = within("end", s.next()).await;
    assert!(end.is_none(), "after 401: {end:?}");

    // With resync: the key as it is now, then each next change once.
    let mut s = watch(&c, k, w0 + 1).resync_on_cleared(true).stream();
    let resume = match next(&mut s, "resync").await {
        WatchEvent::Resynced {
            current: Some(cur),
            missed_from,
            resume_index,
        } => {
            assert_eq!((value(&cur), index(&cur)), (Some("w0"), w0));
            assert_eq!(missed_from, w0 + 1);
            assert_eq!(resume_index, cur.headers.etcd_index + 1);
            assert!(resume_index > top);
            resume_index
        }
        other => panic!("expected Resynced with the key, got {other:?}"),
    };
    assert_eq!(s.next_index(), Some(resume));
    for v in ["w1", "w2"] {
        let at = index(&set(&c, k, v).await);
        let ev = next_change(&mut s, "after resync").await;
        assert_eq!((value(&ev), index(&ev)), (Some(v), at));
    }

    // A key that does not exist resyncs to `None`.
    let absent = watch(&c, "/cw5/absent", w0 + 1).resync_on_cleared(true);
    match next(&mut absent.stream(), "resync absent").await {
        WatchEvent::Resynced {
            current: None,
            missed_from,
            resume_index,
        } => {
            assert_eq!(missed_from, w0 + 1);
            assert!(resume_index > top);
        }
        other => panic!("expected Resynced without a node, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_history_cleared() {
    on_both("client_watch_history_cleared", cleared_body).await;
}

// ---------------------------------------------------------------- failover

async fn failover_body(url: String) {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let watcher = Client::builder()
        .endpoints([dead.clone(), url.clone()])
        .on_request(move |r| log.lock().unwrap().push(r.url.to_owned()))
        .build()
        .expect("client");
    let c = client(&url);
    let w = index(&set(&c, "/cw6/k", "0").await);
    let mut s = watch(&watcher, "/cw6/k", w + 1).stream();
    for v in ["1", "2"] {
        let at = index(&set(&c, "/cw6/k", v).await);
        let ev = next_change(&mut s, "failover stream").await;
        assert_eq!((value(&ev), index(&ev)), (Some(v), at));
    }
    let urls = seen.lock().unwrap().clone();
    let first = urls.first().map(String::as_str).unwrap_or_default();
    let tried_dead = first.starts_with(&dead) && first.contains("wait=true");
    assert!(tried_dead, "not the dead endpoint first: {urls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_stream_fails_over() {
    on_both("client_watch_stream_fails_over", failover_body).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_stream_gives_up_on_dead_endpoints() {
    let dead = [free_port(), free_port()].map(|p| format!("http://127.0.0.1:{p}"));
    let c = Client::new(dead.clone()).expect("client");
    let started = Instant::now();
    let limit = Duration::from_millis(500);
    let mut s = c.keys().watch("/cw6/k").give_up_after(limit).stream();
    match within("give up", s.next()).await {
        Some(Err(Error::ClusterUnavailable(errors))) => {
            let tried: Vec<&String> = errors.iter().map(|e| &e.endpoint).collect();
            assert_eq!(tried, dead.iter().collect::<Vec<_>>());
            for e in &errors {
                assert!(matches!(e.kind, EndpointErrorKind::Connect { .. }), "{e:?}");
            }
        }
        other => panic!("expected ClusterUnavailable, got {other:?}"),
    }
    let took = started.elapsed();
    assert!(took >= limit, "gave up after {took:?}");
    let end = within("end", s.next()).await;
    assert!(end.is_none(), "the stream goes on after giving up: {end:?}");
}

// ------------------------------------------------------ dropped watchers

async fn drop_body(url: String) {
    let c = client(&url);
    let base = watchers(&c).await;

    // A stream without a start index delivers the next change, then holds no
    // watcher until polled again.
    let mut s = c.keys().watch("/cw7/k").stream();
    let task = tokio::spawn(async move { (next_change(&mut s, "live").await, s) });
    await_watchers(&c, base + 1, "stream registered").await;
    let live = index(&set(&c, "/cw7/k", "1").await);
    let (got, mut s) = ok("live event", task).await;
    assert_eq!((index(&got), s.next_index()), (live, Some(live + 1)));
    await_watchers(&c, base, "stream between polls").await;

    // Dropped while its long poll is open.
    let task = tokio::spawn(async move { s.next().await.map(|r| r.is_ok()) });
    await_watchers(&c, base + 1, "stream polling again").await;
    task.abort();
    assert!(within("abort", task).await.is_err_and(|e| e.is_cancelled()));
    await_watchers(&c, base, "dropped stream's watcher removed").await;

    // The server's stream mode, dropped.
    let open = c.keys().watch("/cw7").recursive(true).server_stream();
    let ss = ok("open", open).await;
    await_watchers(&c, base + 1, "server stream registered").await;
    drop(ss);
    await_watchers(&c, base, "dropped server stream's watcher removed").await;

    // A one-shot watch abandoned.
    let task = tokio::spawn(c.keys().watch("/cw7/k").send());
    await_watchers(&c, base + 1, "one-shot registered").await;
    task.abort();
    let _ = within("abort", task).await;
    await_watchers(&c, base, "abandoned one-shot's watcher removed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_dropped_streams_leave_no_watcher() {
    let test = "client_watch_dropped_streams_leave_no_watcher";
    on_both(test, drop_body).await;
}
