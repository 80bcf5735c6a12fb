//! Membership changes on a running cluster, done by the leader: a new member
//! enters raft as a non-voting learner and is promoted once it has caught up
//! (so a member that never starts never counts toward quorum); removal; peer
//! URL updates. Also the removed member's exit.

use crate::app::App;
use crate::cluster::{self, MemberInfo};
use crate::ids;
use crate::raft::{Batch, Member, Request};
use openraft::ChangeMembers;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tracing::{error, info, warn};

/// A refused change: the HTTP status and the reference's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub message: String,
}

fn fail(status: u16, message: impl Into<String>) -> Failure {
    Failure {
        status,
        message: message.into(),
    }
}

/// The reference's checks of a member's peer URLs (`types.NewURLs`: each
/// trimmed, parsed and checked, with its error texts); the URLs as it keeps
/// them: in their parsed form, sorted.
fn parse_peer_urls(urls: &[String]) -> Result<Vec<String>, Failure> {
    crate::config::parse_url_list(urls.iter().map(String::as_str))
        .map(|parsed| parsed.iter().map(ToString::to_string).collect())
        .map_err(|message| fail(400, message))
}

async fn propose_all(app: &App, commands: Vec<crate::store::Command>) -> Result<(), Failure> {
    let now = crate::app::now_nanos();
    let batch = Batch::from(
        commands
            .into_iter()
            .map(|command| Request { now, command })
            .collect::<Vec<_>>(),
    );
    app.forwarder
        .write(batch)
        .await
        .map(|_| ())
        .map_err(|e| fail(500, e))
}

fn taken(app: &App, urls: &[String], except: Option<u64>) -> bool {
    cluster::members(&app.store()).iter().any(|m| {
        Some(m.id.as_str()) != except.map(ids::hex).as_deref()
            && m.peer_urls.iter().any(|p| urls.contains(p))
    })
}

/// Adds a member with `urls` as a learner and records it; returns it as
/// `/v2/members` lists an unstarted member.
pub async fn add(app: &App, urls: Vec<String>) -> Result<MemberInfo, Failure> {
    let urls = parse_peer_urls(&urls)?;
    if taken(app, &urls, None) {
        return Err(fail(409, "membership: peerURL exists"));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let id = ids::member_id(&urls, &app.initial_cluster_token, Some(now));
    let node = Member {
        name: String::new(),
        peer_urls: urls.clone(),
        client_urls: Vec::new(),
    };
    app.raft
        .add_learner(id, node, false)
        .await
        .map_err(|e| fail(500, e.to_string()))?;
    propose_all(app, vec![cluster::add_member(id, &urls)]).await?;
    info!(target: "etcdserver/membership", "added member {} {:?} to cluster {} as a learner", ids::hex(id), urls, ids::hex(app.cluster_id));
    Ok(MemberInfo {
        id: ids::hex(id),
        name: String::new(),
        peer_urls: urls,
        client_urls: Vec::new(),
    })
}

fn known(app: &App, id_text: &str) -> Result<u64, Failure> {
    let id =
        ids::parse_hex(id_text).ok_or_else(|| fail(404, format!("No such member: {id_text}")))?;
    let store = app.store();
    if cluster::has_member(&store, id) {
        return Ok(id);
    }
    if cluster::was_removed(&store, id) {
        return Err(fail(410, format!("Member permanently removed: {id_text}")));
    }
    Err(fail(404, format!("No such member: {id_text}")))
}

/// Removes a member (voter or learner) from raft and from the records.
pub async fn remove(app: &App, id_text: &str) -> Result<(), Failure> {
    let id = known(app, id_text)?;
    let membership = app.raft.metrics().borrow().membership_config.clone();
    let is_voter = membership.membership().voter_ids().any(|v| v == id);
    let change = if is_voter {
        ChangeMembers::RemoveVoters(BTreeSet::from([id]))
    } else {
        ChangeMembers::RemoveNodes(BTreeSet::from([id]))
    };
    // The records go first: a leader removing itself stops leading once the
    // change commits.
    propose_all(app, cluster::remove_member(id).to_vec()).await?;
    let node = membership.membership().get_node(&id).cloned();
    if is_voter || node.is_some() {
        app.raft
            .change_membership(change, false)
            .await
            .map_err(|e| fail(500, e.to_string()))?;
    }
    info!(target: "etcdserver/membership", "removed member {} from cluster {}", ids::hex(id), ids::hex(app.cluster_id));
    // The removed member no longer hears from the leader: tell it to stop.
    if let Some(node) = node.filter(|_| id != app.member_id) {
        let network = app.forwarder.network().clone();
        tokio::spawn(async move {
            let _ = network
                .call::<u64, ()>(id, &node, REMOVED_PATH, &id, Duration::from_secs(2))
                .await;
        });
    }
    Ok(())
}

/// Replaces a member's peer URLs.
pub async fn update(app: &App, id_text: &str, urls: Vec<String>) -> Result<(), Failure> {
    let urls = parse_peer_urls(&urls)?;
    let id = known(app, id_text)?;
    if taken(app, &urls, Some(id)) {
        return Err(fail(409, "membership: peerURL exists"));
    }
    let membership = app.raft.metrics().borrow().membership_config.clone();
    if let Some(node) = membership.membership().get_node(&id) {
        let mut node = node.clone();
        node.peer_urls = urls.clone();
        app.raft
            .change_membership(
                ChangeMembers::SetNodes([(id, node)].into_iter().collect()),
                false,
            )
            .await
            .map_err(|e| fail(500, e.to_string()))?;
    }
    propose_all(app, vec![cluster::update_member(id, &urls)]).await?;
    info!(target: "etcdserver/membership", "updated member {} {:?} in cluster {}", ids::hex(id), urls, ids::hex(app.cluster_id));
    Ok(())
}

/// Peer path: the leader tells a member it was removed.
pub const REMOVED_PATH: &str = "/raft/removed";

/// Logs why and ends the process (after a moment, so answers in flight go out).
pub fn exit_removed() {
    error!(target: "etcdserver", "the member has been permanently removed from the cluster");
    error!(target: "etcdserver", "the data-dir used by this member must be removed before it can join again");
    exit_after(Duration::from_millis(500), 0);
}

/// Ends the process with `code` once `delay` has passed.
fn exit_after(delay: Duration, code: i32) {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        std::process::exit(code);
    });
}

/// How far behind the leader's log a learner may be and still be promoted.
const CAUGHT_UP: u64 = 16;

/// While leading, promotes every learner that has caught up with the log.
pub async fn promoter(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let m = app.raft.metrics().borrow().clone();
        if m.current_leader != Some(app.member_id) {
            continue;
        }
        let last = m.last_log_index.unwrap_or(0);
        let learners: Vec<u64> = m.membership_config.membership().learner_ids().collect();
        let Some(replication) = &m.replication else {
            continue;
        };
        for id in learners {
            let matched = replication
                .get(&id)
                .copied()
                .flatten()
                .map_or(0, |l| l.index);
            if matched + CAUGHT_UP < last || matched == 0 {
                continue;
            }
            let change = ChangeMembers::AddVoterIds(BTreeSet::from([id]));
            match app.raft.change_membership(change, false).await {
                Ok(_) => {
                    info!(target: "etcdserver/membership", "promoted member {} to voter (caught up at index {matched})", ids::hex(id));
                }
                Err(e) => warn!(target: "etcdserver/membership", "promoting {}: {e}", ids::hex(id)),
            }
        }
    }
}

/// Ends the process once this member is no longer in the cluster's membership
/// (after having been in it): a removed member stops serving. Also ends it,
/// with status 1, when raft stops on a fatal error (see [`exit_fatal`]).
pub async fn removal_watch(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    // The server metrics change with the membership, the leader and the
    // vote, not with every write: watching all metrics would wake this task
    // twice per write.
    let mut server = app.raft.server_metrics();
    let mut seen = false;
    loop {
        let present = server
            .borrow()
            .membership_config
            .membership()
            .get_node(&app.member_id)
            .is_some();
        if present {
            seen = true;
        } else if seen {
            exit_removed();
            return;
        }
        tokio::select! {
            changed = server.changed() => if changed.is_err() {
                // The raft core ended: on a fatal error it said why in the
                // full metrics before it went.
                if let Err(e) = &app.raft.metrics().borrow().running_state {
                    exit_fatal(&e.to_string());
                } else if !*stop.borrow() {
                    exit_fatal("the raft core stopped");
                }
                return;
            },
            _ = stop.changed() => return,
        }
    }
}

/// Stops the process when raft cannot go on (a log write or fsync failed,
/// the disk is full): serving reads from a member that can no longer
/// replicate or persist would only hide the failure. Exit status 1, like any
/// fatal start-up error; the data dir holds everything acknowledged.
fn exit_fatal(reason: &str) {
    error!(target: "etcdserver", "raft stopped: {reason}; the member exits (everything acknowledged is on disk)");
    exit_after(Duration::from_millis(200), 1);
}

/// What a member of an existing cluster says about it: the cluster id and
/// every member's id and peer URLs.
#[derive(Debug, Clone)]
pub struct RemoteCluster {
    pub cluster_id: u64,
    pub members: Vec<(u64, Vec<String>)>,
    /// The members the answering member knows were removed.
    pub removed: Vec<u64>,
}

/// Asks the members at `peer_urls` (one after the other, `https://` ones
/// with this process's peer TLS settings) for the cluster's membership,
/// giving each `wait`. `None` when none of them answers.
pub async fn fetch_cluster(peer_urls: &[String], wait: Duration) -> Option<RemoteCluster> {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let connector = crate::tls::connector(&crate::tls::outbound().peer);
    let client: Client<_, Empty<bytes::Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector);
    for base in peer_urls.iter().filter(|u| crate::tls::is_reachable_url(u)) {
        let uri = format!(
            "{}{}",
            base.trim_end_matches('/'),
            crate::http::peer::MEMBERS_PATH
        );
        let Ok(uri) = uri.parse::<hyper::Uri>() else {
            continue;
        };
        let answer = tokio::time::timeout(wait, client.get(uri)).await;
        let Ok(Ok(resp)) = answer else {
            continue;
        };
        let cluster_id = resp
            .headers()
            .get("x-etcd-cluster-id")
            .and_then(|v| v.to_str().ok())
            .and_then(ids::parse_hex);
        let removed: Vec<u64> = resp
            .headers()
            .get(crate::http::peer::REMOVED_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').filter_map(ids::parse_hex).collect())
            .unwrap_or_default();
        let Ok(body) = resp.into_body().collect().await else {
            continue;
        };
        let Ok(list) =
            serde_json::from_slice::<Vec<crate::http::peer::PeerMember>>(&body.to_bytes())
        else {
            continue;
        };
        let Some(cluster_id) = cluster_id else {
            continue;
        };
        let members = list
            .into_iter()
            .filter_map(|m| Some((ids::parse_hex(&m.id)?, m.peer_urls)))
            .collect();
        return Some(RemoteCluster {
            cluster_id,
            members,
            removed,
        });
    }
    None
}

/// The id the cluster gave the member whose peer URLs are `mine`.
pub fn find_self(cluster: &RemoteCluster, mine: &[String]) -> Option<u64> {
    let mut want: Vec<&String> = mine.iter().collect();
    want.sort();
    cluster.members.iter().find_map(|(id, urls)| {
        let mut have: Vec<&String> = urls.iter().collect();
        have.sort();
        (have == want).then_some(*id)
    })
}
