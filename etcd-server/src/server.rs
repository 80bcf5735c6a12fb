//! Starting and stopping a member: storage, raft, the member's records, the
//! expiry ticker and the listeners; then a graceful stop.

use crate::app::{now_nanos, App};
use crate::cluster;
use crate::http;
use crate::ids;
use crate::raft::durable_file::write_durably;
use crate::raft::log_store::LogStore;
use crate::raft::network::PeerNetwork;
use crate::raft::snapshot_due;
use crate::raft::state_machine::StateMachine;
use crate::raft::{typ, Member, Request};
use crate::store::Command;
use crate::tls::Listener;
use crate::watch::WatchHub;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// Everything a member needs to start (derived from the validated flags).
#[derive(Debug)]
pub struct Options {
    pub name: String,
    pub data_dir: PathBuf,
    pub wal_dir: Option<PathBuf>,
    /// Bound client listeners (bound by the caller, so tests may use port
    /// 0), with the TLS settings of the `https://` ones.
    pub client_listeners: Vec<Listener>,
    /// Bound peer listeners, likewise.
    pub peer_listeners: Vec<Listener>,
    pub advertise_client_urls: Vec<String>,
    pub initial_advertise_peer_urls: Vec<String>,
    /// `name=url,...` of the initial cluster (names with their peer URLs).
    pub initial_cluster: Vec<(String, Vec<String>)>,
    pub initial_cluster_token: String,
    /// `--initial-cluster-state existing`: join a running cluster.
    pub join_existing: bool,
    pub heartbeat_interval: Duration,
    pub election_timeout: Duration,
    pub snapshot_count: u64,
    /// `--force-new-cluster`: start a one-member cluster from this data dir
    /// (a backup or any member's).
    pub force_new_cluster: bool,
}

/// Why a member could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(String),
    #[error("raft: {0}")]
    Raft(String),
}

/// This member's identity, kept in the data dir from its first start on (the
/// flags that computed it are ignored at later starts, like the reference).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Identity {
    member_id: String,
    cluster_id: String,
}

/// The file (in the member dir) holding this member's ids.
pub const IDENTITY_FILE: &str = "identity.json";

/// `(member id, cluster id)` from the member dir's identity file; `None`
/// when there is none, an error naming the file when it is unreadable.
pub(crate) fn load_identity(member_dir: &Path) -> Result<Option<(u64, u64)>, ServerError> {
    let path = member_dir.join(IDENTITY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let id: Identity = serde_json::from_slice(&bytes)
        .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?;
    let parse = |s: &str| {
        ids::parse_hex(s)
            .ok_or_else(|| ServerError::Config(format!("{}: bad id {s}", path.display())))
    };
    Ok(Some((parse(&id.member_id)?, parse(&id.cluster_id)?)))
}

/// Durably records the member's ids in its member dir.
pub(crate) fn save_identity(
    member_dir: &Path,
    member_id: u64,
    cluster_id: u64,
) -> std::io::Result<()> {
    std::fs::create_dir_all(member_dir)?;
    let record = Identity {
        member_id: ids::hex(member_id),
        cluster_id: ids::hex(cluster_id),
    };
    write_durably(
        member_dir,
        IDENTITY_FILE,
        &serde_json::to_vec(&record).expect("serialisable"),
    )
}

/// The other members' peer URLs from `--initial-cluster`.
fn other_peer_urls(opts: &Options) -> Vec<String> {
    let mine = &opts.initial_advertise_peer_urls;
    opts.initial_cluster
        .iter()
        .filter(|(_, urls)| urls != mine)
        .flat_map(|(_, urls)| urls.iter().cloned())
        .collect()
}

/// Reads or creates the member and cluster ids.
async fn identity(opts: &Options, member_dir: &Path) -> Result<(u64, u64, bool), ServerError> {
    if let Some((member_id, cluster_id)) = load_identity(member_dir)? {
        // A member removed while it was down must not come back.
        // Short waits: at a full-cluster restart the others may not answer
        // yet, and every restart passes here.
        let wait = Duration::from_millis(500);
        if let Some(remote) = crate::membership::fetch_cluster(&other_peer_urls(opts), wait).await {
            // Only a removal record counts: a peer that is itself starting
            // (or lags) may not list this member yet.
            if remote.cluster_id == cluster_id && remote.removed.contains(&member_id) {
                return Err(ServerError::Config(format!(
                    "member {} has been removed from cluster {}: remove its data dir ({}) and add it again with `etcdctl member add`",
                    ids::hex(member_id),
                    ids::hex(cluster_id),
                    opts.data_dir.display()
                )));
            }
        }
        return Ok((member_id, cluster_id, false));
    }
    let token = &opts.initial_cluster_token;
    let (member_id, cluster_id) = if opts.join_existing {
        let others = other_peer_urls(opts);
        let remote = crate::membership::fetch_cluster(&others, Duration::from_secs(2))
            .await
            .ok_or_else(|| {
                ServerError::Config(format!(
                    "could not reach any member of the existing cluster at {}",
                    others.join(",")
                ))
            })?;
        let member_id = crate::membership::find_self(&remote, &opts.initial_advertise_peer_urls)
            .ok_or_else(|| {
                ServerError::Config(format!(
                    "this member ({}) is not a member of cluster {}: add it with `etcdctl member add {} {}` first",
                    opts.initial_advertise_peer_urls.join(","),
                    ids::hex(remote.cluster_id),
                    opts.name,
                    opts.initial_advertise_peer_urls.join(",")
                ))
            })?;
        (member_id, remote.cluster_id)
    } else {
        let member_id = ids::member_id(&opts.initial_advertise_peer_urls, token, None);
        let all: Vec<u64> = opts
            .initial_cluster
            .iter()
            .map(|(_, urls)| ids::member_id(urls, token, None))
            .collect();
        if !all.contains(&member_id) {
            return Err(ServerError::Config(format!(
                "couldn't find local name {:?} in the initial cluster configuration",
                opts.name
            )));
        }
        (member_id, ids::cluster_id(&all))
    };
    save_identity(member_dir, member_id, cluster_id)?;
    Ok((member_id, cluster_id, true))
}

/// The voters of a new cluster, from `--initial-cluster` (the other members'
/// client URLs are learnt when they publish them).
fn initial_members(opts: &Options, member_id: u64, me: &Member) -> BTreeMap<u64, Member> {
    let token = &opts.initial_cluster_token;
    opts.initial_cluster
        .iter()
        .map(|(name, urls)| {
            let id = ids::member_id(urls, token, None);
            let node = if id == member_id {
                me.clone()
            } else {
                Member {
                    name: name.clone(),
                    peer_urls: urls.clone(),
                    client_urls: Vec::new(),
                }
            };
            (id, node)
        })
        .collect()
}

fn raft_config(opts: &Options) -> Result<openraft::Config, ServerError> {
    let heartbeat = opts.heartbeat_interval.as_millis() as u64;
    let election = opts.election_timeout.as_millis() as u64;
    let config = openraft::Config {
        cluster_name: opts.initial_cluster_token.clone(),
        heartbeat_interval: heartbeat.max(1),
        // openraft makes a follower that knew a leader wait for the leader's
        // lease (= the maximum below) plus its own timeout (drawn once from
        // [min, max]) before it stands for election, and refuse votes during
        // that lease. 0.4 and 0.6 of `--election-timeout` make that wait
        // 1.0–1.2 × the flag: a dead leader is replaced about one election
        // timeout after its last heartbeat, as the flag promises (openraft's
        // plain reading of the flag made it 2.5–3 ×). The reference requires
        // the flag to be at least 5 heartbeats, so the minimum stays above 2.
        election_timeout_min: (election * 2 / 5).max(heartbeat + 1).max(2),
        election_timeout_max: (election * 3 / 5).max(heartbeat + 2).max(3),
        // `--snapshot-count` counts writes (raft/snapshot_due.rs); counted
        // in entries, which carry batches of writes, it is only a backstop.
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(opts.snapshot_count.max(1)),
        max_in_snapshot_log_to_keep: 1000,
        install_snapshot_timeout: 10_000,
        ..openraft::Config::default()
    };
    config
        .validate()
        .map_err(|e| ServerError::Config(e.to_string()))
}

/// Proposes `command` and waits for it to be applied.
async fn propose(app: &App, command: Command) -> Result<(), ServerError> {
    let written = app
        .proposer
        .propose(Request {
            now: now_nanos(),
            command,
        })
        .await
        .map_err(ServerError::Raft)?;
    match written.outcome {
        Some(Err(e)) => Err(ServerError::Raft(e.to_string())),
        _ => Ok(()),
    }
}

/// Runs a member until `shutdown` resolves.
pub async fn run(mut opts: Options, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
    let member_dir = opts.data_dir.join("member");
    let wal_dir = opts
        .wal_dir
        .clone()
        .unwrap_or_else(|| member_dir.join("wal"));
    let snap_dir = member_dir.join("snap");
    info!(target: "embed", "name = {}", opts.name);
    info!(target: "embed", "data dir = {}", opts.data_dir.display());
    info!(target: "embed", "member dir = {}", member_dir.display());
    info!(target: "embed", "heartbeat = {}ms", opts.heartbeat_interval.as_millis());
    info!(target: "embed", "election = {}ms", opts.election_timeout.as_millis());
    info!(target: "embed", "snapshot count = {}", opts.snapshot_count);
    info!(target: "embed", "advertise client URLs = {}", opts.advertise_client_urls.join(","));
    let me = Member {
        name: opts.name.clone(),
        peer_urls: opts.initial_advertise_peer_urls.clone(),
        client_urls: opts.advertise_client_urls.clone(),
    };
    let (member_id, cluster_id, fresh) = if opts.force_new_cluster {
        info!(target: "embed", "force new cluster");
        let target = crate::restore::Target {
            member_dir: &member_dir,
            snap_dir: &snap_dir,
            wal_dir: &wal_dir,
            me: &me,
            token: &opts.initial_cluster_token,
        };
        match crate::restore::force_new_cluster(&target)? {
            Some((member_id, cluster_id)) => (member_id, cluster_id, false),
            None => {
                // Nothing to restore: a new cluster of this member alone.
                opts.initial_cluster = vec![(opts.name.clone(), me.peer_urls.clone())];
                identity(&opts, &member_dir).await?
            }
        }
    } else {
        if member_dir.join(crate::backup::MANIFEST).exists() {
            return Err(ServerError::Config(format!(
                "{} holds a backup (made by `etcdctl backup`): start a member on it with --force-new-cluster",
                opts.data_dir.display()
            )));
        }
        identity(&opts, &member_dir).await?
    };
    std::fs::create_dir_all(&snap_dir)?;
    let hub = WatchHub::new();
    let log_store = LogStore::open(&wal_dir)?;
    let log_metrics = log_store.log_metrics();
    let commits = log_store.commits();
    let state_machine = StateMachine::open(&snap_dir, hub.clone(), opts.snapshot_count)?;
    let state_view = state_machine.view();
    let snapshot_due = state_machine.snapshot_due();
    if fresh {
        info!(target: "etcdserver", "starting member {} in cluster {}", ids::hex(member_id), ids::hex(cluster_id));
    } else {
        info!(target: "etcdserver", "restarting member {} in cluster {}", ids::hex(member_id), ids::hex(cluster_id));
    }
    let network = PeerNetwork::new(member_id, cluster_id);
    let raft = typ::Raft::new(
        member_id,
        Arc::new(raft_config(&opts)?),
        network.clone(),
        log_store,
        state_machine,
    )
    .await
    .map_err(|e| ServerError::Raft(e.to_string()))?;
    tokio::spawn(snapshot_due::ask_for_snapshots(raft.clone(), snapshot_due));
    let request_timeout = Duration::from_secs(5) + 2 * opts.election_timeout;
    let app = Arc::new(App::new(
        raft.clone(),
        network,
        state_view,
        hub,
        member_id,
        cluster_id,
        opts.name.clone(),
        opts.advertise_client_urls.clone(),
        opts.initial_advertise_peer_urls.clone(),
        opts.initial_cluster_token.clone(),
        request_timeout,
        commits,
    ));
    app.metrics
        .add_member(member_id, &log_metrics, &app.peer.metrics);
    tokio::spawn(crate::raft::leadership::log_changes(
        raft.clone(),
        member_id,
        app.metrics.leader_changes(),
    ));
    // Peers are served from the start: the other members need this one's
    // votes and log before anyone can lead.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut servers = Vec::new();
    for listener in std::mem::take(&mut opts.peer_listeners) {
        info!(target: "embed", "listening for peers on {}", listener.local_addr()?);
        servers.push(tokio::spawn(serve(
            listener,
            app.clone(),
            stop_rx.clone(),
            false,
        )));
    }
    let initialized = raft
        .is_initialized()
        .await
        .map_err(|e| ServerError::Raft(e.to_string()))?;
    if !initialized && !opts.join_existing {
        let members = initial_members(&opts, member_id, &me);
        match raft.initialize(members).await {
            Ok(()) => {}
            // Another member of the new cluster initialized first and this one
            // already voted for it: the same membership, nothing to do.
            Err(openraft::error::RaftError::APIError(
                openraft::error::InitializeError::NotAllowed(_),
            )) => {}
            Err(e) => return Err(ServerError::Raft(e.to_string())),
        }
    } else if opts.initial_cluster.len() <= 1 || opts.force_new_cluster {
        // A single voter need not wait out an election timeout.
        let _ = raft.trigger().elect().await;
    }
    raft.wait(None)
        .metrics(|m| m.current_leader.is_some(), "a leader")
        .await
        .map_err(|e| ServerError::Raft(e.to_string()))?;
    // Nothing is read or served before the whole log is applied: the read
    // barrier waits until every entry committed so far is in this member's store.
    let forever = std::time::Instant::now() + Duration::from_secs(365 * 24 * 3600);
    app.forwarder
        .read_barrier_until(forever)
        .await
        .map_err(|e| ServerError::Raft(format!("replaying the log: {e}")))?;

    // The reference reads its member records at start, recursively (one
    // lookup, failing on a new member's empty store; visible in
    // /v2/stats/store and etcd_debugging_store_reads_total).
    let _ = app.store().get(cluster::MEMBERS, true, true, 0);
    // Remember since when this leader leads (`leaderInfo.startTime`).
    let _ = app.leader();
    // The member's records, as the reference writes them.
    let (has_member, has_version) = {
        let s = app.store();
        (cluster::has_member(&s, member_id), cluster::has_version(&s))
    };
    if !has_member {
        propose(&app, cluster::add_member(member_id, &me.peer_urls)).await?;
        info!(target: "etcdserver/membership", "added member {} {:?} to cluster {}", ids::hex(member_id), me.peer_urls, ids::hex(cluster_id));
    }
    propose(
        &app,
        cluster::publish(member_id, &opts.name, &me.client_urls),
    )
    .await?;
    info!(target: "etcdserver", "published {{Name:{} ClientURLs:[{}]}} to cluster {}", opts.name, me.client_urls.join(" "), ids::hex(cluster_id));
    // The leader sets the cluster version once, as the reference's does.
    let has_version = has_version || cluster::has_version(&app.store());
    if !has_version && app.is_leader() {
        info!(target: "etcdserver", "setting up the initial cluster version to 3.4");
        propose(&app, cluster::set_version()).await?;
        info!(target: "etcdserver/membership", "set the initial cluster version to 3.4");
    }
    info!(target: "etcdserver/api", "enabled capabilities for version 3.4");

    let ticker = tokio::spawn(expiry_ticker(app.clone(), stop_rx.clone()));
    let promoter = tokio::spawn(crate::membership::promoter(app.clone(), stop_rx.clone()));
    let removal = tokio::spawn(crate::membership::removal_watch(
        app.clone(),
        stop_rx.clone(),
    ));
    let prober = tokio::spawn(crate::raft::network::prober::run(
        app.clone(),
        stop_rx.clone(),
    ));
    let mut addrs = Vec::new();
    for listener in opts.client_listeners {
        addrs.push((listener.local_addr()?, listener.is_tls()));
        servers.push(tokio::spawn(serve(
            listener,
            app.clone(),
            stop_rx.clone(),
            true,
        )));
    }
    info!(target: "embed", "ready to serve client requests");
    for (addr, secure) in addrs {
        if secure {
            info!(target: "embed", "serving client requests on {addr}");
        } else {
            info!(target: "embed", "serving insecure client requests on {addr}, this is strongly discouraged!");
        }
    }

    shutdown.await;
    info!(target: "etcdserver", "received stop signal; stopping");
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
    let _ = ticker.await;
    let _ = promoter.await;
    let _ = removal.await;
    let _ = prober.await;
    if let Err(e) = raft.shutdown().await {
        warn!(target: "etcdserver", "raft shutdown: {e}");
    }
    info!(target: "etcdserver", "stopped");
    Ok(())
}

/// While leading, proposes `Expire` whenever some node's expiration has
/// passed (checked every 100 ms; the reference sweeps every 500 ms).
async fn expiry_ticker(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let now = now_nanos();
        let due = app.store().next_expiration().is_some_and(|t| t <= now);
        if due && app.is_leader() {
            let req = Request {
                now,
                command: Command::Expire,
            };
            if let Err(e) = app.proposer.propose(req).await {
                warn!(target: "etcdserver", "expiry proposal failed: {e}");
            }
        }
    }
}

/// Serves one listener until `stop`, then lets open requests finish (watches
/// are cut after a short grace period). A TLS listener's handshakes run in
/// the connections' own tasks.
async fn serve(listener: Listener, app: Arc<App>, mut stop: watch::Receiver<bool>, client: bool) {
    let graceful = GracefulShutdown::new();
    // Client listeners with `--client-cert-auth` log requests without
    // credentials in as the users their certificates name.
    let login = listener.tls.as_ref().and_then(|tls| tls.login.clone());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    warn!(target: "embed", "accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let app = app.clone();
        let login = login.clone();
        // Watched from now on, so a stop waits for (or cuts) the handshake.
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let Some(stream) = accepted.handshake().await else {
                return;
            };
            // The names of this connection's certificate chain, leaf first.
            let names: Option<Arc<[String]>> = login
                .zip(stream.peer_certificates())
                .map(|(login, certs)| login.names(certs))
                .filter(|names| !names.is_empty())
                .map(Arc::from);
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let app = app.clone();
                crate::tls::with_client_names(names.clone(), async move {
                    if let Some(refused) = http::host::refusal(&req) {
                        return Ok::<_, std::convert::Infallible>(refused);
                    }
                    let resp = if client {
                        http::route(app, req).await
                    } else {
                        http::peer_route(&app.peer, req).await
                    };
                    Ok(resp)
                })
            });
            // A plain client listener's first request line is checked as
            // the reference's listener checks it (first_line.rs).
            let plain = matches!(stream, crate::tls::Stream::Plain(_));
            let stream = crate::first_line::FirstLine::new(stream, client && plain);
            let conn = http1::Builder::new()
                .title_case_headers(true)
                .serve_connection(TokioIo::new(stream), service);
            // Repoll: reading a request body wakes the connection's own task
            // (see repoll.rs).
            let _ = crate::repoll::Repoll::new(watcher.watch(conn)).await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(2), graceful.shutdown()).await;
}
