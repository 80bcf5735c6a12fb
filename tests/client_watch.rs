//! etcd-client watches against our server and the reference: one-shot, stream mode, resumable streams.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_client::{Action, Client, EndpointErrorKind, Error, ErrorCode, Response};
use etcd_client::{WatchEvent, WatchRequest, WatchStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_stream::{Stream, StreamExt};

use crate::util::{free_port, reference_etcd, Server};

type Res<T> = etcd_client::Result<T>;

/// The bound of every single wait in this file.
const LIMIT: Duration = Duration::from_secs(15);

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    let bounded = tokio::time::timeout(LIMIT, f).await;
    bounded.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

/// Awaits a fallible call (bounded) and unwraps it.
async fn ok<T, E: Debug>(what: &str, f: impl Future<Output = Result<T, E>>) -> T {
    let done = within(what, f).await;
    done.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// Awaits a spawned one-shot watch.
async fn joined(what: &str, h: JoinHandle<Res<Response>>) -> Response {
    ok(what, async { h.await.expect("watch task") }).await
}

/// Runs `body` against the reference when it is installed, then against our
/// server. A failure's output names the server it happened on.
async fn on_both<T, F, Fut>(test: &str, body: F) -> (T, Option<T>)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = T>,
{
    let reference = match reference_etcd() {
        Some(bin) => {
            let server = Server::start_with(bin, &[]);
            eprintln!("{test}: against the reference etcd");
            Some(body(server.url()).await)
        }
        None => {
            eprintln!("SKIPPED {test} against the reference: etcd 3.4 is not installed");
            None
        }
    };
    let ours = Server::start();
    eprintln!("{test}: against our etcd-server");
    (body(ours.url()).await, reference)
}

fn client(url: &str) -> Client {
    Client::new([url]).expect("client")
}

fn watch(c: &Client, key: &str, from: u64) -> WatchRequest {
    c.keys().watch(key).wait_index(from)
}

async fn set(c: &Client, key: &str, value: &str) -> Response {
    ok(key, c.keys().set(key, value).send()).await
}

fn index(r: &Response) -> u64 {
    r.node.modified_index
}

fn value(r: &Response) -> Option<&str> {
    r.node.value.as_deref()
}

/// The next item of a stream of results, which must be there and be `Ok`.
async fn next<T: Debug, S: Stream<Item = Res<T>> + Unpin>(s: &mut S, what: &str) -> T {
    match within(what, s.next()).await {
        Some(Ok(item)) => item,
        other => panic!("{what}: expected an event, got {other:?}"),
    }
}

async fn next_change(s: &mut WatchStream, what: &str) -> Response {
    match next(s, what).await {
        WatchEvent::Change(r) => r,
        other => panic!("{what}: expected a change, got {other:?}"),
    }
}

type Collected = JoinHandle<(WatchStream, Vec<Response>)>;

/// Collects a stream's changes until one on key `last`; returns the stream with them.
fn collect_until(mut s: WatchStream, last: &'static str) -> Collected {
    tokio::spawn(async move {
        let mut got = Vec::new();
        loop {
            let r = next_change(&mut s, last).await;
            let done = r.node.key == last;
            got.push(r);
            if done || got.len() > 2000 {
                return (s, got);
            }
        }
    })
}

async fn watchers(c: &Client) -> u64 {
    ok("stats", c.stats().store()).await.watchers
}

/// Polls `/v2/stats/store` until `watchers` equals `want`.
async fn await_watchers(c: &Client, want: u64, what: &str) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let now = watchers(c).await;
        if now == want {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {now} watchers");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `n` sets spread over 10 keys below `prefix`, 10 at a time; returns the highest index.
async fn fill(c: &Client, prefix: &str, n: usize) -> u64 {
    let mut tasks = JoinSet::new();
    for t in 0..10 {
        let (c, key) = (c.clone(), format!("{prefix}/t{t}"));
        tasks.spawn(async move {
            let mut top = 0;
            for i in 0..n.div_ceil(10) {
                top = top.max(index(&set(&c, &key, &i.to_string()).await));
            }
            top
        });
    }
    let mut top = 0;
    while let Some(r) = tasks.join_next().await {
        top = top.max(r.expect("filler"));
    }
    top
}

/// An event's shape without indexes (in-order names too), to compare servers.
fn shape(r: &Response) -> String {
    let key = |k: &str| match k.rsplit_once('/') {
        Some((dir, last)) if last.len() == 20 && last.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{dir}/<seq>")
        }
        _ => k.to_owned(),
    };
    let prev = r.prev_node.as_ref().map(|p| (key(&p.key), p.value.clone()));
    let (n, action) = (&r.node, r.action);
    let (k, v, dir) = (key(&n.key), &n.value, n.dir);
    format!("{action} {k} {v:?} dir={dir} prev={prev:?}")
}

// ---------------------------------------------------------------- one-shot

async fn one_shot_body(url: String) {
    let c = client(&url);
    let k = "/cw1/k";
    let first = index(&set(&c, k, "v0").await);

    // No index: the next change. The watcher count tells when it is registered.
    let base = watchers(&c).await;
    let pending = tokio::spawn(c.keys().watch(k).send());
    await_watchers(&c, base + 1, "one-shot watch registered").await;
    let second = index(&set(&c, k, "v1").await);
    let got = joined("one-shot", pending).await;
    let want = (Action::Set, Some("v1"), second);
    assert_eq!((got.action, value(&got), index(&got)), want);
    let prev = got.prev_node.as_ref().and_then(|n| n.value.as_deref());
    assert_eq!(prev, Some("v0"));
    let h = got.headers.etcd_index;
    assert!(h >= first && h < second, "X-Etcd-Index {h} at watch start");
    await_watchers(&c, base, "one-shot watcher gone after its event").await;

    // A past index: the historical event, with the current index in the header.
    let old = ok("history", watch(&c, k, first).send()).await;
    assert_eq!((value(&old), index(&old)), (Some("v0"), first));
    assert!(old.headers.etcd_index >= second, "X-Etcd-Index of history");

    // A directory: the recursive watch sees a grandchild; the flat one only the
    // directory's own deletion. `wait_index` makes both independent of timing.
    let made = index(&set(&c, "/cw1/dir/a", "x").await);
    let dir = watch(&c, "/cw1/dir", made + 1);
    let rec = tokio::spawn(dir.clone().recursive(true).send());
    let flat = tokio::spawn(dir.send());
    let child = index(&set(&c, "/cw1/dir/sub/child", "c").await);
    let got = joined("recursive", rec).await;
    let want = ("/cw1/dir/sub/child".to_owned(), child);
    assert_eq!((got.node.key.clone(), index(&got)), want);
    let del = ok("rm dir", c.keys().delete("/cw1/dir").recursive(true).send()).await;
    let got = joined("flat dir watch", flat).await;
    let want = (Action::Delete, "/cw1/dir".into(), true, index(&del));
    assert_eq!(
        (got.action, got.node.key.clone(), got.node.dir, index(&got)),
        want
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_one_shot() {
    on_both("client_watch_one_shot", one_shot_body).await;
}

// ----------------------------------------------------------- server stream

async fn server_stream_body(url: String) -> Vec<String> {
    let c = client(&url);
    let keys = c.keys();
    let base = index(&set(&c, "/cw2/base", "0").await);
    // The headers come once the watch is registered: every write below is live.
    let open = keys.watch("/cw2").recursive(true).server_stream();
    let mut s = ok("open stream", open).await;
    let cas = keys.compare_and_swap("/cw2/b", "3").prev_value("2");
    let written = vec![
        set(&c, "/cw2/a", "1").await,
        set(&c, "/cw2/b", "2").await,
        ok("del", keys.delete("/cw2/a").send()).await,
        ok("cas", cas.send()).await,
        ok("in order", keys.create_in_order("/cw2/q", "job").send()).await,
        ok("update", keys.update("/cw2/b", "4").send()).await,
    ];
    let q = &written[4].node;
    assert_eq!(q.key, format!("/cw2/q/{:020}", q.created_index));
    let mut shapes = Vec::new();
    for w in &written {
        let ev = next(&mut s, "server stream").await;
        let want = (w.action, &w.node, &w.prev_node);
        assert_eq!((ev.action, &ev.node, &ev.prev_node), want);
        let h = ev.headers.etcd_index;
        assert!(h >= base && h < index(&written[0]), "X-Etcd-Index {h}");
        shapes.push(shape(&ev));
    }
    shapes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_server_stream() {
    let (ours, reference) = on_both("client_watch_server_stream", server_stream_body).await;
    if let Some(reference) = reference {
        assert_eq!(ours, reference, "event shapes differ from the reference");
    }
}

/// `stream=true` with a past waitIndex: the reference sends the first matching
/// historical event and then nothing, keeping the response open (its watcher
/// hub does not register a watch answered from history; watch.md §4 says it
/// goes on with live events, but etcd 3.4.23 does not). Ours sends the same
/// event and then ends the response, so clients can resume instead of hanging
/// (a documented difference, DIFFERENCES.md).
async fn server_stream_past_body(url: String, reference: bool) {
    let c = client(&url);
    let a = set(&c, "/cw2p/a", "1").await;
    set(&c, "/cw2p/b", "2").await;
    let base = watchers(&c).await;
    let open = watch(&c, "/cw2p", index(&a))
        .recursive(true)
        .server_stream();
    let mut s = ok("open past stream", open).await;
    let ev = next(&mut s, "replayed event").await;
    assert_eq!(ev.node, a.node, "replayed event");
    let now = watchers(&c).await;
    assert_eq!(
        now, base,
        "a watch answered from history stays unregistered"
    );
    set(&c, "/cw2p/live", "3").await;
    let after = tokio::time::timeout(Duration::from_millis(500), s.next()).await;
    if reference {
        // A bounded wait for nothing: neither an event nor the end comes.
        assert!(
            after.is_err(),
            "reference, after the replayed event: {after:?}"
        );
    } else {
        // The live write is not delivered; the response ends instead.
        assert!(
            matches!(after, Ok(None)),
            "ours, after the replayed event: {after:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_server_stream_from_history_sends_one_event() {
    if let Some(bin) = reference_etcd() {
        let server = Server::start_with(bin, &[]);
        server_stream_past_body(server.url(), true).await;
    } else {
        eprintln!("SKIPPED the reference half: etcd 3.4 is not installed");
    }
    let ours = Server::start();
    server_stream_past_body(ours.url(), false).await;
}

// ------------------------------------------------ resumable stream, no loss

type Ack = (u64, String, Action);

/// One writer of the no-loss test: 100 changes below `/cw3/w{w}`, one a TTL key.
async fn writer(c: Client, w: usize) -> Vec<Ack> {
    let (dir, keys) = (format!("/cw3/w{w}"), c.keys());
    let ttl = ok("ttl key", keys.set(format!("{dir}/ttl"), "t").ttl(1).send()).await;
    let mut acked = vec![(index(&ttl), ttl.node.key, ttl.action)];
    let mut state: HashMap<String, (String, u64)> = HashMap::new();
    for i in 1..100 {
        let (k, v) = (format!("{dir}/k{}", i % 4), i.to_string());
        let r = match (i % 6, state.get(&k)) {
            (1, Some(_)) => keys.delete(&k).send().await,
            (2, Some((old, _))) => keys.compare_and_swap(&k, &v).prev_value(old).send().await,
            (3, _) => keys.create_in_order(format!("{dir}/q"), &v).send().await,
            (4, Some((_, at))) => keys.compare_and_delete(&k).prev_index(*at).send().await,
            (5, Some(_)) => keys.update(&k, &v).send().await,
            (_, None) => keys.create(&k, &v).send().await,
            _ => keys.set(&k, &v).send().await,
        };
        let r = r.unwrap_or_else(|e| panic!("writer {w} op {i}: {e}"));
        if r.action.is_removal() {
            state.remove(&k);
        } else if r.node.key == k {
            state.insert(k, (v, index(&r)));
        }
        acked.push((index(&r), r.node.key, r.action));
    }
    acked
}

/// Whether any `/cw3/w*/ttl` key is still there.
async fn ttl_keys_left(c: &Client) -> bool {
    let all = ok("ls", c.keys().get("/cw3").recursive(true).send()).await;
    let mut nodes = all.node.nodes.iter().flat_map(|w| &w.nodes);
    nodes.any(|n| n.key.ends_with("/ttl"))
}

async fn no_loss_body(url: String) {
    let c = client(&url);
    let start = index(&set(&c, "/cw3/start", "0").await);
    let stream = watch(&c, "/cw3", start + 1).recursive(true).stream();
    let consumer = collect_until(stream, "/cw3/end");
    let mut writers = JoinSet::new();
    for w in 0..3 {
        writers.spawn(writer(c.clone(), w));
    }
    let mut acked: Vec<Ack> = Vec::new();
    while let Some(r) = within("writers", writers.join_next()).await {
        acked.extend(r.expect("writer"));
    }
    let kinds: BTreeSet<&str> = acked.iter().map(|a| a.2.as_str()).collect();
    assert_eq!(kinds.len(), 6, "kinds of change made: {kinds:?}");
    // Once the 3 TTL keys expired, a last write marks the end.
    let deadline = Instant::now() + LIMIT;
    while ttl_keys_left(&c).await {
        assert!(Instant::now() < deadline, "the TTL keys did not expire");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let end = set(&c, "/cw3/end", "end").await;
    acked.push((index(&end), end.node.key, end.action));
    let (_, events) = ok("consumer", consumer).await;

    for w in events.windows(2) {
        assert!(index(&w[0]) < index(&w[1]), "out of order: {w:?}");
    }
    let by_index: HashMap<u64, &Response> = events.iter().map(|e| (index(e), e)).collect();
    for (at, key, action) in &acked {
        let ev = by_index
            .get(at)
            .unwrap_or_else(|| panic!("lost {at} {key}"));
        assert_eq!((&ev.node.key, ev.action), (key, *action), "event {at}");
    }
    let acked_at: BTreeSet<u64> = acked.iter().map(|a| a.0).collect();
    let unacked = events.iter().filter(|e| !acked_at.contains(&index(e)));
    let extra: BTreeSet<String> = unacked.map(shape).collect();
    let expiry = |w| {
        format!("expire /cw3/w{w}/ttl None dir=false prev=Some((\"/cw3/w{w}/ttl\", Some(\"t\")))")
    };
    let expired: BTreeSet<String> = (0..3).map(expiry).collect();
    assert_eq!(extra, expired, "the events nobody wrote: the 3 expiries");
    assert_eq!(events.len(), acked.len() + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_stream_loses_and_repeats_nothing() {
    let test = "client_watch_stream_loses_and_repeats_nothing";
    on_both(test, no_loss_body).await;
}

// -------------------------------------------------------- across restarts

/// Writes `{prefix}0..3` and then `last` with a fresh client; returns their indexes.
async fn write_batch(url: &str, prefix: &str, last: &str) -> Vec<u64> {
    let c = client(url);
    let mut out = Vec::new();
    for i in 0..3 {
        out.push(index(&set(&c, &format!("{prefix}{i}"), "x").await));
    }
    out.push(index(&set(&c, last, "m").await));
    out
}

fn indexes(events: &[Response]) -> Vec<u64> {
    events.iter().map(index).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watch_stream_survives_restarts_of_our_server() {
    let mut server = Server::start();
    let url = server.url();
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = polls.clone();
    let watcher = Client::builder()
        .endpoint(&url)
        .on_request(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .expect("client");
    let c = client(&url);
    let start = index(&set(&c, "/cw4/start", "0").await);
    let s = watch(&watcher, "/cw4", start + 1).recursive(true).stream();
    let pending = collect_until(s, "/cw4/m0");
    let before = write_batch(&url, "/cw4/a", "/cw4/m0").await;
    let (s, got) = ok("before restart", pending).await;
    assert_eq!(indexes(&got), before);

    // 1: restart while the stream waits in a long poll.
    let pending = collect_until(s, "/cw4/m1");
    await_watchers(&c, 1, "stream waiting before restart").await;
    tokio::task::block_in_place(|| server.restart());
    let after = write_batch(&url, "/cw4/b", "/cw4/m1").await;
    let (s, got) = ok("after restart", pending).await;
    assert_eq!(indexes(&got), after, "events after a restart");

    // 2: kill -9, let the stream retry against the dead port, then start again.
    let pending = collect_until(s, "/cw4/m2");
    await_watchers(&client(&url), 1, "stream waiting before kill").await;
    let tried = polls.load(Ordering::SeqCst);
    server.kill9();
    let deadline = Instant::now() + LIMIT;
    while polls.load(Ordering::SeqCst) < tried + 3 {
        assert!(Instant::now() < deadline, "no retry while down");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::task::block_in_place(|| server.restart());
    let after = write_batch(&url, "/cw4/c", "/cw4/m2").await;
    let (_, got) = ok("after kill -9", pending).await;
    assert_eq!(indexes(&got), after, "events after kill -9");
}

// ------------------------------------------------------ history cleared

mod resume;
