//! etcd-client against our server and the reference: keys, members, stats, auth, failover.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_client::{Action as A, ApiError, Client, EndpointErrorKind as Kind, Error};
use etcd_client::{ErrorCode, Node, PrevExist, Response, Result};

use crate::util::{free_port, reference_etcd, Server};

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    let mut rt = tokio::runtime::Builder::new_current_thread();
    rt.enable_all().build().expect("tokio runtime")
}

fn client(url: &str) -> Client {
    Client::new([url]).expect("client")
}

/// `http://127.0.0.1:<port>` of a port nothing listens on.
fn dead_url() -> (String, u16) {
    let p = free_port();
    (format!("http://127.0.0.1:{p}"), p)
}

/// A key below this file's prefix.
fn key(name: &str) -> String {
    format!("/api_keys/{name}")
}

fn val(r: &Response) -> Option<&str> {
    r.node.value.as_deref()
}

fn prev_val(r: &Response) -> Option<&str> {
    r.prev_node.as_ref().and_then(|p| p.value.as_deref())
}

/// What one server answered during the keys scenario, with store indexes
/// made relative to the scenario's first write so two servers compare.
struct Log {
    label: String,
    base: u64,
    lines: Vec<String>,
}

impl Log {
    fn rel(&self, i: u64) -> String {
        match i {
            0 => "-".into(),
            i => format!("#{}", i as i64 - self.base as i64),
        }
    }

    /// Replaces every number >= base with at least `min_len` digits in `s`
    /// (an index in a cause, an in-order key name) by its offset.
    fn text(&self, s: &str, min_len: usize) -> String {
        let (mut out, mut digits) = (String::new(), String::new());
        for ch in s.chars().chain(['\0']) {
            if ch.is_ascii_digit() {
                digits.push(ch);
                continue;
            }
            match digits.parse::<u64>() {
                Ok(n) if n >= self.base && digits.len() >= min_len => out += &self.rel(n),
                _ => out += &digits,
            }
            digits.clear();
            out.extend(Some(ch).filter(|c| *c != '\0'));
        }
        out
    }

    fn node(&self, n: &Node) -> String {
        let kids: Vec<String> = n.nodes.iter().map(|c| self.node(c)).collect();
        let (m, c) = (self.rel(n.modified_index), self.rel(n.created_index));
        let key = self.text(&n.key, 20);
        let exp = n.expiration.is_some();
        let kids = kids.join(", ");
        format!(
            "{key} {:?} dir={} ttl={} exp={exp} m={m} c={c} [{kids}]",
            n.value, n.dir, n.ttl
        )
    }

    /// Unwraps a success, checks its headers and records it.
    fn ok(&mut self, what: &str, r: Result<Response>) -> Response {
        let ctx = format!("[{}] {what}", self.label);
        let r = r.unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
        let h = &r.headers;
        assert!(h.etcd_index > 0, "{ctx}: {h:?}");
        assert!(h.raft_index.is_some_and(|i| i > 0), "{ctx}: {h:?}");
        assert!(h.raft_term.is_some_and(|t| t > 0), "{ctx}: {h:?}");
        assert!(h.cluster_id.as_ref().is_some_and(|c| !c.is_empty()));
        if self.base == 0 {
            self.base = r.node.modified_index;
            assert!(self.base > 1, "{ctx}: first write at {}", self.base);
        }
        let prev = r.prev_node.as_ref().map(|n| self.node(n));
        let (node, idx) = (self.node(&r.node), self.rel(h.etcd_index));
        let line = format!("{what}: {} {node} prev={prev:?} idx={idx}", r.action);
        self.lines.push(line);
        r
    }

    /// Unwraps an `Error::Api`, checks its fields and records it.
    fn err(&mut self, what: &str, r: Result<Response>, code: ErrorCode, cause: &str) -> ApiError {
        let ctx = format!("[{}] {what}", self.label);
        let e = match r {
            Err(Error::Api(e)) => e,
            other => panic!("{ctx}: expected error {code}, got {other:?}"),
        };
        assert_eq!((e.code, e.cause.as_str()), (code, cause), "{ctx}");
        assert_eq!(e.message, code.message(), "{ctx}");
        assert_eq!(e.status, code.http_status(), "{ctx}");
        assert!(e.index >= self.base, "{ctx}: index {}", e.index);
        let (cause, idx) = (self.text(&e.cause, 1), self.rel(e.index));
        self.lines.push(format!("{what}: {code} {cause} [{idx}]"));
        e
    }
}

/// `ok!(log, what, request)`: sends the request, checks and records its success.
macro_rules! ok {
    ($log:expr, $what:expr, $req:expr) => {
        $log.ok($what, $req.send().await)
    };
}

/// `fail!(log, what, request, CODE, cause)`: sends, checks and records error CODE.
macro_rules! fail {
    ($log:expr, $what:expr, $req:expr, $code:ident, $cause:expr) => {
        $log.err($what, $req.send().await, ErrorCode::$code, $cause)
    };
}

/// Every keys builder; returns the normalised transcript.
async fn keys_scenario(client: &Client, label: &str) -> Vec<String> {
    let (label, base, lines) = (label.into(), 0, Vec::new());
    let mut log = Log { label, base, lines };
    plain_and_conditional_sets(client, &mut log).await;
    reads_and_dirs(client, &mut log).await;
    deletes_refresh_in_order(client, &mut log).await;
    odd_keys(client, &mut log).await;
    log.lines
}

async fn plain_and_conditional_sets(c: &Client, log: &mut Log) {
    let (k, a, b) = (c.keys(), key("a"), key("b"));
    let r = ok!(log, "set", k.set(&a, "one"));
    assert_eq!((r.action, &r.node.key, val(&r)), (A::Set, &a, Some("one")));
    let n = &r.node;
    assert_eq!((n.dir, n.ttl, &n.expiration), (false, 0, &None));
    assert_eq!((n.created_index, r.prev_node), (n.modified_index, None));
    assert_eq!(r.headers.etcd_index, r.node.modified_index);
    let r = ok!(log, "set ttl", k.set(&a, "two").ttl(100));
    assert_eq!((r.node.ttl, r.node.expiration.is_some()), (100, true));
    assert_eq!(prev_val(&r), Some("one"));
    let r = ok!(log, "clear ttl", k.set(&a, "three").clear_ttl());
    assert_eq!((r.node.ttl, r.node.expiration.is_none()), (0, true));
    assert_eq!(r.prev_node.map(|p| p.ttl), Some(100));
    let cas = k.compare_and_swap(&a, "four").prev_value("three");
    let r = ok!(log, "cas value", cas);
    assert_eq!((r.action, val(&r)), (A::CompareAndSwap, Some("four")));
    let m = r.node.modified_index + 1;
    let cas = k.compare_and_swap(&a, "five").prev_index(m - 1);
    let r = ok!(log, "cas index", cas);
    assert_eq!((r.action, r.node.modified_index), (A::CompareAndSwap, m));
    let cas = k.compare_and_swap(&a, "x").prev_value("nope");
    let e = fail!(log, "cas value fails", cas, TEST_FAILED, "[nope != five]");
    assert_eq!(e.index, m);
    let cas = k.compare_and_swap(&a, "x").prev_index(1);
    let cause = format!("[1 != {m}]");
    fail!(log, "cas index fails", cas, TEST_FAILED, &cause);
    let cas = k.compare_and_swap(&a, "x").prev_value("no").prev_index(1);
    let both = format!("[no != five] [1 != {m}]");
    fail!(log, "cas both fail", cas, TEST_FAILED, &both);
    let set = k.set(&a, "six").prev_exist(PrevExist::Exist);
    assert_eq!(ok!(log, "prev_exist", set).action, A::Update);
    let r = ok!(log, "create", k.create(&b, "bee"));
    assert_eq!((r.action, &r.prev_node), (A::Create, &None));
    let e = fail!(log, "create exists", k.create(&b, "2"), NODE_EXIST, &b);
    assert_eq!((e.status, e.index), (412, r.node.modified_index));
    let r = ok!(log, "update", k.update(&b, "bee2"));
    assert_eq!((r.action, prev_val(&r)), (A::Update, Some("bee")));
    let missing = key("missing");
    let update = k.update(&missing, "x");
    let e = fail!(log, "update missing", update, KEY_NOT_FOUND, &missing);
    assert_eq!(e.status, 404);
    let nv = key("nv");
    let r = ok!(log, "no value", k.set(&nv, "x").no_value_on_success(true));
    assert_eq!(
        (r.action, r.node, r.prev_node),
        (A::Set, Node::default(), None)
    );
    let again = k.create(&nv, "y").no_value_on_success(true);
    fail!(log, "no value, error kept", again, NODE_EXIST, &nv);
}

async fn reads_and_dirs(c: &Client, log: &mut Log) {
    let (k, a, d, sd) = (c.keys(), key("a"), key("d"), key("sd"));
    let r = ok!(log, "get", k.get(&a));
    assert_eq!((r.action, val(&r)), (A::Get, Some("six")));
    let r = ok!(log, "get quorum", k.get(&a).quorum(true));
    assert_eq!(val(&r), Some("six"));
    let r = ok!(log, "get dir", k.get(key("")).recursive(true).sorted(true));
    assert!(r.node.dir && r.node.value.is_none());
    let names: Vec<&str> = r.node.nodes.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(names, [a, key("b"), key("nv")]);
    let missing = key("missing");
    fail!(log, "get missing", k.get(&missing), KEY_NOT_FOUND, &missing);
    let r = ok!(log, "mkdir", k.mkdir(&d));
    assert_eq!((r.action, r.node.dir, val(&r)), (A::Create, true, None));
    fail!(log, "mkdir again", k.mkdir(&d), NODE_EXIST, &d);
    ok!(log, "set in dir", k.set(format!("{d}/x"), "x"));
    fail!(log, "delete dir", k.delete(&d), NOT_FILE, &d);
    fail!(log, "rmdir full", k.rmdir(&d), DIR_NOT_EMPTY, &d);
    let r = ok!(log, "delete recursive", k.delete(&d).recursive(true));
    assert_eq!((r.action, r.node.dir), (A::Delete, true));
    assert!(r.prev_node.is_some_and(|p| p.dir));
    let r = ok!(log, "set_dir", k.set_dir(&sd));
    assert_eq!((r.action, r.node.dir), (A::Set, true));
    let r = ok!(log, "update_dir", k.update_dir(&sd).ttl(100));
    assert_eq!((r.action, r.node.dir, r.node.ttl), (A::Update, true, 100));
    let r = ok!(log, "rmdir", k.rmdir(&sd));
    assert_eq!((r.action, r.node.dir), (A::Delete, true));
}

async fn deletes_refresh_in_order(c: &Client, log: &mut Log) {
    let (k, b, cc, rk) = (c.keys(), key("b"), key("c"), key("r"));
    let cad = k.compare_and_delete(&b).prev_value("wrong");
    fail!(log, "cad value fails", cad, TEST_FAILED, "[wrong != bee2]");
    let r = ok!(
        log,
        "cad value",
        k.compare_and_delete(&b).prev_value("bee2")
    );
    assert_eq!((r.action, val(&r)), (A::CompareAndDelete, None));
    let m = ok!(log, "set c", k.set(&cc, "cee")).node.modified_index;
    let r = ok!(log, "cad index", k.compare_and_delete(&cc).prev_index(m));
    assert_eq!(r.action, A::CompareAndDelete);
    fail!(log, "delete missing", k.delete(&cc), KEY_NOT_FOUND, &cc);
    // refresh: new TTL, same value, and no event in the history.
    ok!(log, "set r", k.set(&rk, "arr").ttl(50));
    let r = ok!(log, "refresh", k.refresh(&rk).ttl(100));
    assert_eq!((r.action, val(&r)), (A::Update, Some("arr")));
    assert_eq!((r.node.ttl, r.prev_node.map(|p| p.ttl)), (100, Some(50)));
    let refreshed = r.node.modified_index;
    ok!(log, "set r again", k.set(&rk, "are"));
    let w = k.watch(&rk).wait_index(refreshed).send();
    let w = tokio::time::timeout(Duration::from_secs(10), w).await;
    let w = log.ok("watch from refresh", w.expect("watch answers"));
    assert_eq!((w.action, val(&w)), (A::Set, Some("are")));
    assert_eq!(
        w.node.modified_index,
        refreshed + 1,
        "refresh made an event"
    );
    let nope = key("nope");
    let refresh = k.refresh(&nope).ttl(5);
    fail!(log, "refresh missing", refresh, KEY_NOT_FOUND, &nope);
    // In-order keys: 20-digit names from the index, increasing.
    let (q, mut made) = (key("q"), Vec::new());
    for v in ["j1", "j2", "j3"] {
        let r = ok!(log, "in order", k.create_in_order(&q, v));
        let name = format!("{q}/{:020}", r.node.modified_index);
        assert_eq!(
            (r.action, &r.node.key, val(&r)),
            (A::Create, &name, Some(v))
        );
        made.push(name);
    }
    assert!(made.windows(2).all(|w| w[0] < w[1]), "{made:?}");
    let r = ok!(log, "list queue", k.get(&q).sorted(true));
    let listed: Vec<&String> = r.node.nodes.iter().map(|n| &n.key).collect();
    assert_eq!(listed, made.iter().collect::<Vec<_>>());
}

/// Keys that need escaping come back unchanged.
async fn odd_keys(c: &Client, log: &mut Log) {
    for name in ["sp ace", "ключ", "q?x", "h#x", "pct%41", "a+b&c=d;e"] {
        let k = key(&format!("odd/{name}"));
        assert_eq!(ok!(log, "odd set", c.keys().set(&k, name)).node.key, k);
        let r = ok!(log, "odd get", c.keys().get(&k));
        assert_eq!((&r.node.key, val(&r)), (&k, Some(name)));
    }
}

#[test]
fn keys_builders_match_the_reference() {
    let rt = runtime();
    let ours = Server::start();
    let got = rt.block_on(keys_scenario(&client(&ours.url()), "ours"));
    let Some(bin) = reference_etcd() else {
        println!("skipped: reference etcd not installed (our server passed alone)");
        return;
    };
    let reference = Server::start_with(bin, &[]);
    let want = rt.block_on(keys_scenario(&client(&reference.url()), "reference"));
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "step {i}: ours vs reference");
    }
    assert_eq!(got.len(), want.len());
}

/// Members, leader, machines, version, health and stats of a fresh member.
async fn cluster_scenario(c: &Client, s: &Server, label: &str) -> String {
    let members = c.members().list().await.expect("members");
    assert_eq!(members.len(), 1, "[{label}] {members:?}");
    let m = &members[0];
    let peer = format!("http://127.0.0.1:{}", s.peer_port);
    assert_eq!((m.name.as_str(), &m.client_urls), ("n1", &vec![s.url()]));
    assert_eq!(m.peer_urls, [peer]);
    assert!(!m.id.is_empty() && m.id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(&c.members().leader().await.expect("leader"), m, "[{label}]");
    assert_eq!(c.machines().await.expect("machines"), [s.url()]);
    let v = c.version().await.expect("version");
    assert!(v.etcd_server.starts_with("3.4"), "[{label}] {v:?}");
    assert_eq!(c.health().await.expect("health").health, "true");
    let me = c.stats().self_stats().await.expect("self stats");
    assert_eq!((me.name.as_str(), me.id.as_str()), ("n1", m.id.as_str()));
    assert_eq!(me.state, etcd_client::models::RaftState::Leader);
    assert_eq!(me.leader_info.leader, m.id);
    // The reference answers a single member with `{"leader":<id>,"followers":{}}`.
    let lead = c.stats().leader().await.expect("leader stats");
    assert_eq!(lead.leader, m.id, "[{label}]");
    assert!(lead.followers.is_empty(), "[{label}] {lead:?}");
    let before = c.stats().store().await.expect("store stats");
    let k = c.keys();
    k.set("/api_cluster/k", "v").send().await.expect("set");
    k.get("/api_cluster/k").send().await.expect("get");
    let after = c.stats().store().await.expect("store stats");
    assert_eq!(after.sets_success, before.sets_success + 1, "[{label}]");
    assert_eq!(after.gets_success, before.gets_success + 1, "[{label}]");
    m.id.clone()
}

fn http_status(e: &Error) -> Option<(u16, &str)> {
    match e {
        Error::Http { status, message } => Some((*status, message.as_str())),
        _ => None,
    }
}

#[test]
fn members_stats_version_health() {
    let rt = runtime();
    let ours = Server::start();
    let c = client(&ours.url());
    rt.block_on(async {
        cluster_scenario(&c, &ours, "ours").await;
        // A member that never starts: added as a learner, listed unstarted,
        // the one-member cluster stays writable, then removed.
        let (url, _) = dead_url();
        let added = c.members().add([url.clone()]).await.expect("add");
        assert_eq!(
            (added.name.as_str(), added.peer_urls.clone()),
            ("", vec![url.clone()])
        );
        assert!(added.client_urls.is_empty());
        c.keys()
            .set("/api_cluster/after_add", "v")
            .send()
            .await
            .expect("still writable");
        let e = c.members().add([url.clone()]).await.expect_err("taken");
        assert_eq!(http_status(&e), Some((409, "membership: peerURL exists")));
        let e = c.members().remove("1234").await.expect_err("unknown");
        assert_eq!(http_status(&e), Some((404, "No such member: 1234")));
        let e = c
            .members()
            .update("1234", [url.clone()])
            .await
            .expect_err("unknown");
        assert_eq!(http_status(&e), Some((404, "No such member: 1234")));
        c.members().remove(&added.id).await.expect("remove");
        let e = c.members().remove(&added.id).await.expect_err("removed");
        assert_eq!(
            http_status(&e),
            Some((
                410,
                format!("Member permanently removed: {}", added.id).as_str()
            ))
        );
    });
    let Some(bin) = reference_etcd() else {
        println!("skipped: reference etcd not installed");
        return;
    };
    let reference = Server::start_with(bin, &[]);
    let c = client(&reference.url());
    rt.block_on(async {
        let id = cluster_scenario(&c, &reference, "reference").await;
        reference_member_writes(&c, &reference, &id).await;
    });
}

/// Member write errors on the reference, then an add that costs the
/// one-member cluster its quorum (so it comes last).
async fn reference_member_writes(c: &Client, reference: &Server, id: &str) {
    let mem = c.members();
    let bad = mem.add(["bad"]).await.expect_err("bad URL");
    let msg = "URL scheme must be http, https, unix, or unixs: bad";
    assert_eq!(http_status(&bad), Some((400, msg)), "{bad:?}");
    let peer = format!("http://127.0.0.1:{}", reference.peer_port);
    let dup = mem.add([peer.clone()]).await.expect_err("taken");
    let msg = "membership: peerURL exists";
    assert_eq!(http_status(&dup), Some((409, msg)), "{dup:?}");
    let unknown = Some((404, "No such member: 1234"));
    let gone = mem.remove("1234").await.expect_err("unknown");
    assert_eq!(http_status(&gone), unknown);
    let gone = mem.update("1234", [peer]).await.expect_err("unknown");
    assert_eq!(http_status(&gone), unknown);
    // Last: a second (never started) member costs the cluster its quorum.
    let (new_peer, _) = dead_url();
    let added = mem.add([new_peer.clone()]).await.expect("add");
    assert_eq!((added.name.as_str(), added.peer_urls), ("", vec![new_peer]));
    assert!(added.client_urls.is_empty() && !added.id.is_empty());
    assert_ne!(added.id, id);
    assert_eq!(mem.list().await.expect("members").len(), 2);
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.health().await.expect("health answers").health != "false" {
        assert!(Instant::now() < deadline, "still healthy without quorum");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Once the leader steps down the reference answers 503; like the Go
    // client, ours takes that as "no leader here" and tries the next
    // member (its docs promise Error::Http 503: accept either).
    let e = loop {
        match mem.leader().await {
            Ok(_) => assert!(Instant::now() < deadline, "leader stays"),
            Err(e) => break e,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let no_leader = match &e {
        Error::ClusterUnavailable(v) => {
            matches!(v[..], [ref x] if matches!(x.kind, Kind::NoLeader(_)))
        }
        other => http_status(other).is_some_and(|h| h.0 == 503),
    };
    assert!(no_leader, "{e:?}");
}

/// `health()` is documented to fail only "when every member fails": a dead
/// first endpoint must not hide a healthy second one.
#[test]
fn health_skips_dead_endpoints() {
    let ours = Server::start();
    let (dead, _) = dead_url();
    let c = Client::new([dead, ours.url()]).expect("client");
    let health = runtime().block_on(c.health());
    assert_eq!(health.expect("the second member answers").health, "true");
}

mod failover;
