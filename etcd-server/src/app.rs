//! What every request handler shares: the raft handle, the store, the watch
//! hub, this member's identity, the metrics and the auth state.

use crate::http::peer::PeerState;
use crate::metrics::Metrics;
use crate::propose::Proposer;
use crate::raft::forward::Forwarder;
use crate::raft::network::PeerNetwork;
use crate::raft::state_machine::StateView;
use crate::raft::typ;
use crate::store::Store;
use crate::watch::WatchHub;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct App {
    pub raft: typ::Raft,
    /// What the peer listener's raft endpoints use.
    pub peer: PeerState,
    /// Writes go through here (group commit).
    pub proposer: Proposer,
    /// Routes writes and read barriers to the leader.
    pub forwarder: Forwarder,
    pub store: Arc<RwLock<Store>>,
    /// The store with its applied raft position, for consistent copies
    /// (online backups).
    pub state: StateView,
    pub hub: WatchHub,
    pub member_id: u64,
    pub cluster_id: u64,
    /// `cluster_id` as the `X-Etcd-Cluster-Id` value, made once: every
    /// answer carries it.
    cluster_id_header: hyper::header::HeaderValue,
    pub name: String,
    pub client_urls: Vec<String>,
    pub peer_urls: Vec<String>,
    /// `--initial-cluster-token` (it seeds the ids of added members).
    pub initial_cluster_token: String,
    /// When this process started (`startTime` of `/v2/stats/self`).
    pub started: SystemTime,
    /// How long a write or quorum read may wait for raft (the reference's
    /// `5s + 2 × election timeout`).
    pub request_timeout: Duration,
    pub metrics: Metrics,
    /// This process's auth state (credential cache, `/2` directories).
    pub auth: crate::auth::Auth,
    /// The log store's committed index, as it reports it.
    pub committed: tokio::sync::watch::Receiver<u64>,
    /// The leader this member last saw and since when (`leaderInfo`).
    leader_seen: Mutex<Option<(u64, SystemTime)>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("member_id", &crate::ids::hex(self.member_id))
            .field("cluster_id", &crate::ids::hex(self.cluster_id))
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The current time as Unix nanoseconds (what commands carry as `now`).
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl App {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        raft: typ::Raft,
        network: PeerNetwork,
        state: StateView,
        hub: WatchHub,
        member_id: u64,
        cluster_id: u64,
        name: String,
        client_urls: Vec<String>,
        peer_urls: Vec<String>,
        initial_cluster_token: String,
        request_timeout: Duration,
        commits: tokio::sync::watch::Receiver<u64>,
    ) -> App {
        let mut peer = PeerState::new(raft.clone(), member_id, cluster_id, state.store());
        peer.metrics = network.peer_metrics().clone();
        let forwarder = Forwarder::new(raft.clone(), network, member_id, request_timeout);
        App {
            proposer: Proposer::start(forwarder.clone(), commits.clone()),
            committed: commits,
            forwarder,
            peer,
            raft,
            store: state.store(),
            state,
            hub,
            member_id,
            cluster_id,
            cluster_id_header: hyper::header::HeaderValue::from_str(&crate::ids::hex(cluster_id))
                .expect("hex digits are a valid header value"),
            name,
            client_urls,
            peer_urls,
            initial_cluster_token,
            started: SystemTime::now(),
            request_timeout,
            metrics: Metrics::new(),
            auth: crate::auth::Auth::new(),
            leader_seen: Mutex::new(None),
        }
    }

    /// The `X-Etcd-Cluster-Id` value (a clone shares the bytes).
    pub fn cluster_id_header(&self) -> hyper::header::HeaderValue {
        self.cluster_id_header.clone()
    }

    /// The store, for reading. The lock is never held across an `.await`.
    pub fn store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The quorum-read barrier within the request timeout: returns once this
    /// member's store holds everything the cluster committed before the
    /// call. Errors are the keys API's: error 300 with the reason, or
    /// `etcdserver: request timed out`.
    pub async fn quorum_barrier(&self) -> Result<(), crate::error::Error> {
        let raft_error =
            |cause: &str| crate::error::Error::new(etcd_client::ErrorCode::RAFT_INTERNAL, cause, 0);
        match tokio::time::timeout(self.request_timeout, self.forwarder.read_barrier()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(raft_error(&e)),
            Err(_) => Err(raft_error(crate::raft::forward::TIMED_OUT)),
        }
    }

    /// `(X-Raft-Index, X-Raft-Term)`: the last applied raft index and the
    /// current term.
    pub fn raft_position(&self) -> (u64, u64) {
        let m = self.raft.metrics();
        let m = m.borrow();
        (m.last_applied.map_or(0, |l| l.index), m.current_term)
    }

    /// The current leader, if any, and when this member first saw it lead.
    pub fn leader(&self) -> Option<(u64, SystemTime)> {
        let leader = self.raft.metrics().borrow().current_leader?;
        let mut seen = self.leader_seen.lock().unwrap_or_else(|p| p.into_inner());
        match *seen {
            Some((id, since)) if id == leader => Some((id, since)),
            _ => {
                let now = SystemTime::now();
                *seen = Some((leader, now));
                Some((leader, now))
            }
        }
    }

    /// Whether this member leads.
    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow().current_leader == Some(self.member_id)
    }

    /// Whether this member is a learner (added, not yet promoted).
    pub fn is_learner(&self) -> bool {
        let m = self.raft.metrics();
        let m = m.borrow();
        let mut learners = m.membership_config.membership().learner_ids();
        learners.any(|id| id == self.member_id)
    }

    /// The other members, learners included, with their URLs, as raft
    /// knows them.
    pub fn peers(&self) -> Vec<(u64, crate::raft::Member)> {
        let m = self.raft.metrics();
        let m = m.borrow();
        m.membership_config
            .membership()
            .nodes()
            .filter(|(id, _)| **id != self.member_id)
            .map(|(id, node)| (*id, node.clone()))
            .collect()
    }
}

/// Formats a duration as Go's `time.Duration.String` does (`15m23.158308817s`).
pub fn go_duration(d: Duration) -> String {
    let total = d.as_nanos();
    if total == 0 {
        return "0s".into();
    }
    if total < 1_000 {
        return format!("{total}ns");
    }
    if total < 1_000_000 {
        return format!("{}µs", trim_fraction(total, 1_000));
    }
    if total < 1_000_000_000 {
        return format!("{}ms", trim_fraction(total, 1_000_000));
    }
    let secs = total / 1_000_000_000;
    let nanos = total % 1_000_000_000;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let sec = if nanos == 0 {
        format!("{s}s")
    } else {
        let frac = format!("{nanos:09}");
        format!("{s}.{}s", frac.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => sec,
        (0, m) => format!("{m}m{sec}"),
        (h, m) => format!("{h}h{m}m{sec}"),
    }
}

fn trim_fraction(total: u128, unit: u128) -> String {
    let whole = total / unit;
    let rest = total % unit;
    if rest == 0 {
        return whole.to_string();
    }
    let digits = unit.ilog10() as usize;
    let frac = format!("{rest:0digits$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(12), "12ns"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_millis(100), "100ms"),
            (Duration::from_secs(1), "1s"),
            (Duration::from_nanos(923_158_308_817), "15m23.158308817s"),
            (Duration::from_secs(3 * 3600 + 7), "3h0m7s"),
        ];
        for (d, want) in cases {
            assert_eq!(go_duration(d), want);
        }
    }
}
