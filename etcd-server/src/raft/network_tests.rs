//! The peer transport end to end: openraft nodes with the real log store and
//! state machine in temp dirs, talking over loopback HTTP through
//! [`PeerNetwork`] and the peer endpoints.

use super::{PeerError, PeerNetwork, VOTE_PATH};
use crate::http::peer::{self, PeerState};
use crate::raft::log_store::LogStore;
use crate::raft::state_machine::StateMachine;
use crate::raft::tests::set;
use crate::raft::{typ, Batch, Member, Request};
use crate::store::Store;
use crate::watch::WatchHub;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use openraft::error::{InitializeError, RPCError, RaftError};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{VoteRequest, VoteResponse};
use openraft::{Config, SnapshotPolicy, Vote};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

const CLUSTER: u64 = 0xc1;
const WAIT: Option<Duration> = Some(Duration::from_secs(20));

struct Node {
    id: u64,
    member: Member,
    raft: typ::Raft,
    state: PeerState,
    store: Arc<RwLock<Store>>,
    server: JoinHandle<()>,
    _dir: TempDir,
}

fn config(tune: impl FnOnce(&mut Config)) -> Arc<Config> {
    let mut c = Config {
        cluster_name: "network-tests".into(),
        heartbeat_interval: 100,
        election_timeout_min: 500,
        election_timeout_max: 1000,
        install_snapshot_timeout: 5000,
        ..Config::default()
    };
    tune(&mut c);
    Arc::new(c.validate().expect("valid config"))
}

/// Starts member `id` of cluster `cluster`: stores, raft, and the peer
/// endpoints on a fresh loopback port.
async fn start(id: u64, cluster: u64, config: Arc<Config>) -> Node {
    let dir = TempDir::new().unwrap();
    let log = LogStore::open(&dir.path().join("wal")).unwrap();
    let sm = StateMachine::open(&dir.path().join("snap"), WatchHub::new(), u64::MAX).unwrap();
    let store = sm.store();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let network = PeerNetwork::new(id, cluster);
    let raft = typ::Raft::new(id, config, network, log, sm).await.unwrap();
    let state = PeerState::new(raft.clone(), id, cluster, store.clone());
    let server = tokio::spawn(serve(listener, state.clone()));
    let member = Member {
        name: format!("n{id}"),
        peer_urls: vec![format!("http://{addr}")],
        client_urls: vec![],
    };
    Node {
        id,
        member,
        raft,
        state,
        store,
        server,
        _dir: dir,
    }
}

/// The peer listener; aborting the task closes every connection with it.
async fn serve(listener: TcpListener, state: PeerState) {
    let mut conns = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        let service = service_fn(move |req| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(peer::route(&state, req).await) }
        });
        conns.spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while conns.try_join_next().is_some() {}
    }
}

impl Node {
    /// Like a crash: the listener and its connections go, raft stops.
    async fn kill(&self) {
        self.server.abort();
        let _ = self.raft.shutdown().await;
    }

    fn value(&self, key: &str) -> Option<String> {
        let store = self.store.read().unwrap();
        store.value(key).map(|v| String::from_utf8(v).unwrap())
    }

    async fn applied(&self, index: u64) {
        self.raft
            .wait(WAIT)
            .applied_index_at_least(Some(index), format!("n{} applies {index}", self.id))
            .await
            .unwrap();
    }
}

/// Starts `ids` in `CLUSTER` and initializes every one with all of them as
/// voters.
async fn cluster(ids: &[u64], config: &Arc<Config>) -> Vec<Node> {
    let mut nodes = Vec::new();
    for &id in ids {
        nodes.push(start(id, CLUSTER, config.clone()).await);
    }
    let members: BTreeMap<u64, Member> = nodes.iter().map(|n| (n.id, n.member.clone())).collect();
    for n in &nodes {
        // A node that already granted its vote to an earlier-initialized
        // one refuses (NotAllowed): it is initialized through that one.
        match n.raft.initialize(members.clone()).await {
            Ok(()) => {}
            Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
            Err(e) => panic!("initialize n{}: {e}", n.id),
        }
    }
    nodes
}

/// Waits until every node of `nodes` names the same leader among them.
async fn leader(nodes: &[&Node]) -> u64 {
    let ids: Vec<u64> = nodes.iter().map(|n| n.id).collect();
    let deadline = tokio::time::Instant::now() + WAIT.unwrap();
    loop {
        let seen: Vec<Option<u64>> = nodes
            .iter()
            .map(|n| n.raft.metrics().borrow().current_leader)
            .collect();
        if let Some(Some(l)) = seen.first() {
            if ids.contains(l) && seen.iter().all(|s| *s == Some(*l)) {
                return *l;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no agreed leader: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn by_id(nodes: &[Node], id: u64) -> &Node {
    nodes.iter().find(|n| n.id == id).unwrap()
}

/// Writes `key=value` through `node` (the leader); the entry's index.
async fn write(node: &Node, key: &str, value: &str) -> u64 {
    let req = Request {
        now: crate::app::now_nanos(),
        command: set(key, value),
    };
    let resp = node
        .raft
        .client_write(Batch::from(vec![req]))
        .await
        .unwrap();
    resp.log_id.index
}

async fn stop(nodes: &[Node]) {
    for n in nodes {
        n.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_members_replicate_and_survive_losing_the_leader() {
    let nodes = cluster(&[1, 2, 3], &config(|_| {})).await;
    let all: Vec<&Node> = nodes.iter().collect();
    let first = by_id(&nodes, leader(&all).await);
    let mut last = 0;
    for i in 0..5 {
        last = write(first, &format!("/1/k{i}"), &format!("v{i}")).await;
    }
    for n in &nodes {
        n.applied(last).await;
        for i in 0..5 {
            assert_eq!(n.value(&format!("/1/k{i}")), Some(format!("v{i}")));
        }
    }

    first.kill().await;
    let survivors: Vec<&Node> = nodes.iter().filter(|n| n.id != first.id).collect();
    let second = by_id(&nodes, leader(&survivors).await);
    assert_ne!(second.id, first.id);
    for i in 5..8 {
        last = write(second, &format!("/1/k{i}"), &format!("v{i}")).await;
    }
    for n in &survivors {
        n.applied(last).await;
        assert_eq!(n.value("/1/k7"), Some("v7".into()));
    }
    stop(&nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_of_another_cluster_is_refused_and_never_joins() {
    let nodes = cluster(&[1, 2, 3], &config(|_| {})).await;
    let all: Vec<&Node> = nodes.iter().collect();
    let lead = by_id(&nodes, leader(&all).await);
    let foreign = start(4, 0xf0, config(|_| {})).await;

    // The sender sees a refusal that names both cluster ids, which raft
    // gets as Unreachable.
    let net = PeerNetwork::new(1, CLUSTER);
    let vote = VoteRequest::new(Vote::new(1, 1), None);
    let ttl = Duration::from_secs(5);
    let got = net
        .call::<_, Result<VoteResponse<u64>, RaftError<u64>>>(
            4,
            &foreign.member,
            VOTE_PATH,
            &vote,
            ttl,
        )
        .await;
    match got {
        Err(PeerError::Refused { reason, .. }) => {
            assert_eq!(reason, "request cluster ID mismatch (got c1 want f0)")
        }
        other => panic!("want a refusal, got {other:?}"),
    }
    let mut client = net.clone().new_client(4, &foreign.member).await;
    let err = client
        .vote(vote.clone(), RPCOption::new(ttl))
        .await
        .unwrap_err();
    assert!(matches!(err, RPCError::Unreachable(_)), "{err}");

    // A request for another member id is refused too.
    let got = net
        .call::<_, Result<VoteResponse<u64>, RaftError<u64>>>(
            99,
            &by_id(&nodes, 2).member,
            VOTE_PATH,
            &vote,
            ttl,
        )
        .await;
    assert!(
        matches!(&got, Err(PeerError::Refused { reason, .. }) if reason.contains("member ID mismatch")),
        "{got:?}"
    );

    // The leader's replication to it is refused: it never gets a log.
    lead.raft
        .add_learner(4, foreign.member.clone(), false)
        .await
        .unwrap();
    let index = write(lead, "/1/after", "x").await;
    for n in &nodes {
        n.applied(index).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let m = foreign.raft.metrics().borrow().clone();
    assert_eq!(m.last_log_index, None);
    assert_eq!(m.current_leader, None);
    assert_eq!(m.membership_config.nodes().count(), 0);
    let m = lead.raft.metrics().borrow().clone();
    assert_eq!(m.replication.unwrap().get(&4), Some(&None));
    foreign.kill().await;
    stop(&nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_learner_gets_the_snapshot_over_http() {
    let leader_config = config(|c| {
        c.snapshot_policy = SnapshotPolicy::LogsSinceLast(10);
        c.max_in_snapshot_log_to_keep = 0;
        c.purge_batch_size = 1;
        // Many chunks, each its own HTTP request.
        c.snapshot_max_chunk_size = 512;
    });
    let nodes = cluster(&[1], &leader_config).await;
    let lead = &nodes[0];
    leader(&[lead]).await;
    let value = "x".repeat(100);
    let mut last = 0;
    for i in 0..30 {
        last = write(lead, &format!("/1/k{i}"), &value).await;
    }
    // The policy builds snapshots as the writes go; the log behind the
    // latest is purged, so the learner cannot get those entries any other
    // way. A snapshot that falls due while one is still being built is
    // skipped until a later apply, and there is none after the last write:
    // then it is asked for.
    let purged = |m: &crate::raft::typ::RaftMetrics| {
        m.snapshot.is_some_and(|s| s.index >= 20) && m.purged == m.snapshot
    };
    let m = tokio::time::timeout(WAIT.unwrap(), async {
        loop {
            let m = lead.raft.metrics().borrow().clone();
            if purged(&m) {
                return m;
            }
            lead.raft.trigger().snapshot().await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("snapshot built and log purged");
    let snapshot = m.snapshot.unwrap();

    let learner = start(2, CLUSTER, config(|_| {})).await;
    lead.raft
        .add_learner(2, learner.member.clone(), true)
        .await
        .unwrap();
    learner.applied(last).await;
    let m = learner.raft.metrics().borrow().clone();
    // The learner builds no snapshot of its own under the default policy:
    // this one came from the leader.
    assert!(
        m.snapshot.is_some_and(|s| s.index >= snapshot.index),
        "{m:?}"
    );
    for i in 0..30 {
        assert_eq!(learner.value(&format!("/1/k{i}")), Some(value.clone()));
    }
    learner.kill().await;
    stop(&nodes).await;
}

/// Sends `req` to the peer endpoints of `state` without a network.
async fn direct(state: &PeerState, req: hyper::Request<Full<Bytes>>) -> (u16, String) {
    let resp = peer::route(state, req).await;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).trim().to_owned())
}

#[tokio::test]
async fn a_members_raft_core_and_state_machine_worker_share_a_task() {
    // `Raft::new` runs on this thread (a current-thread runtime), and the
    // count is this thread's: it goes up only if the real openraft tasks
    // were recognised and paired.
    let before = crate::raft::runtime::shared_tasks();
    let node = start(1, CLUSTER, config(|_| {})).await;
    assert_eq!(crate::raft::runtime::shared_tasks(), before + 1);
    node.server.abort();
    // The core's handle is one half of the shared task.
    node.raft
        .shutdown()
        .await
        .expect("the raft core ends cleanly");
}

#[tokio::test]
async fn bad_peer_requests_are_refused() {
    let node = start(1, CLUSTER, config(|_| {})).await;
    let mut state = node.state.clone();
    state.max_body = 64;
    let req = |method: &str, path: &str, cluster: &str, body: Vec<u8>| {
        hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("x-etcd-cluster-id", cluster)
            .header("x-server-from", "2")
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    let cases = [
        (
            req("GET", "/raft/vote", "c1", vec![]),
            405,
            "Method Not Allowed",
        ),
        (
            req("POST", "/raft/nope", "c1", vec![]),
            404,
            "404 page not found",
        ),
        (
            req("POST", "/raft/vote", "c2", vec![]),
            412,
            "request cluster ID mismatch (got c2 want c1)",
        ),
        (
            req("POST", "/raft/vote", "c1", vec![0; 65]),
            413,
            "request body larger than 64 bytes",
        ),
        (
            req("POST", "/raft/append", "c1", vec![0xff; 8]),
            400,
            "bad request body",
        ),
    ];
    for (request, status, text) in cases {
        let (got_status, got_text) = direct(&state, request).await;
        assert_eq!(got_status, status, "{got_text}");
        assert!(got_text.starts_with(text), "{got_text}");
    }
    let mut no_from = req("POST", "/raft/vote", "c1", vec![]);
    no_from.headers_mut().remove("x-server-from");
    assert_eq!(direct(&state, no_from).await.0, 400);
    node.kill().await;
}
