//! `/metrics`: Prometheus text exposition of request, raft and store figures.
//!
//! Besides this server's own figures, it carries the reference's metrics
//! that operators' dashboards and alerts read, under the reference's names,
//! labels and buckets: the keys API's `etcd_http_received_total`,
//! `etcd_http_failed_total` and `etcd_http_successful_duration_seconds`, the
//! log's `etcd_disk_wal_fsync_duration_seconds` and
//! `etcd_disk_wal_write_bytes_total`, `etcd_server_leader_changes_seen_total`,
//! `etcd_server_proposals_{committed,applied}_total` (raft indexes),
//! `etcd_server_proposals_pending` and `_failed_total` (keys writes), the
//! peer traffic's `etcd_network_peer_sent_bytes_total`, `_received_bytes_total`
//! and `_sent_failures_total`, the peer round trips
//! (`etcd_network_peer_round_trip_time_seconds`), the `etcd_server_id`,
//! `etcd_server_version` and `etcd_cluster_version` info gauges, and the
//! process figures (`process_*`, `os_fd_*`: see `process_metrics.rs`), the
//! v2 store's `etcd_debugging_store_*` (see `metrics/store.rs`),
//! `etcd_server_is_learner` and `etcd_server_health_{success,failures}`.

use crate::cluster::{CLUSTER_VERSION, SERVER_VERSION};
use crate::http::keys_request::Method as KeysApiMethod;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Mutex;

/// The keys API's method label, as the reference sets it: the HTTP method,
/// or `QGET` for a quorum read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysMethod {
    Get,
    QGet,
    Head,
    Put,
    Post,
    Delete,
}

impl KeysMethod {
    const ALL: [KeysMethod; 6] = [
        KeysMethod::Get,
        KeysMethod::QGet,
        KeysMethod::Head,
        KeysMethod::Put,
        KeysMethod::Post,
        KeysMethod::Delete,
    ];

    /// The label of a parsed keys request with `method` and `quorum`.
    pub fn of(method: KeysApiMethod, quorum: bool) -> KeysMethod {
        match method {
            KeysApiMethod::Get if quorum => KeysMethod::QGet,
            KeysApiMethod::Get => KeysMethod::Get,
            KeysApiMethod::Head => KeysMethod::Head,
            KeysApiMethod::Put => KeysMethod::Put,
            KeysApiMethod::Post => KeysMethod::Post,
            KeysApiMethod::Delete => KeysMethod::Delete,
        }
    }

    fn name(self) -> &'static str {
        match self {
            KeysMethod::Get => "GET",
            KeysMethod::QGet => "QGET",
            KeysMethod::Head => "HEAD",
            KeysMethod::Put => "PUT",
            KeysMethod::Post => "POST",
            KeysMethod::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailedLabels {
    method: &'static str,
    code: u16,
}

/// The raft log's figures, shared by the log store (which records) and
/// `/metrics` (which shows them). Clones share the figures.
#[derive(Debug, Clone)]
pub struct LogMetrics {
    /// Every fdatasync of appended entries, in seconds (the reference's
    /// buckets: 1 ms doubling to 8.192 s).
    pub fsync: Histogram,
    /// Bytes of records written to the log (a gauge, as the reference's).
    pub write_bytes: Gauge,
    /// The raft index known committed (the reference's
    /// `etcd_server_proposals_committed_total`).
    pub committed: Gauge,
}

impl Default for LogMetrics {
    fn default() -> Self {
        LogMetrics {
            fsync: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            write_bytes: Gauge::default(),
            committed: Gauge::default(),
        }
    }
}

/// A label set of one label whose name is chosen at run time (`To` or
/// `From` for peer traffic, as the reference names them; an info gauge's).
type OneLabel = Vec<(&'static str, String)>;

mod peer;
mod store;
pub use peer::PeerMetrics;
pub use store::StoreFigures;

/// A proposal of a keys write waiting for its outcome; counted in
/// `etcd_server_proposals_pending` until dropped.
#[derive(Debug)]
pub struct Pending(Gauge);

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    pub code: u16,
}

/// Figures read at scrape time from raft and the store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub has_leader: bool,
    pub is_leader: bool,
    pub applied_index: u64,
    pub term: u64,
    pub store_index: u64,
    pub watchers: u64,
    pub ttl_keys: u64,
    pub is_learner: bool,
    pub store: StoreFigures,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    duration: Histogram,
    has_leader: Gauge,
    is_leader: Gauge,
    is_learner: Gauge,
    /// Counters under the reference's names, which lack `_total`: written
    /// as gauges so the samples keep those names.
    health_success: Gauge,
    health_failures: Gauge,
    store: store::StoreCollector,
    applied_index: Gauge,
    term: Gauge,
    store_index: Gauge,
    watchers: Gauge,
    ttl_keys: Gauge,
    /// The keys API's figures, by [`KeysMethod`] (in `KeysMethod::ALL` order).
    keys_received: Vec<Counter>,
    keys_succeeded: Vec<Histogram>,
    keys_failed: Family<FailedLabels, Counter>,
    leader_changes: Counter,
    pending: Gauge,
    failed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let duration = Histogram::new(exponential_buckets(0.0001, 2.0, 18));
        let mut m = Metrics {
            registry: Mutex::new(Registry::default()),
            requests,
            duration,
            has_leader: Gauge::default(),
            is_leader: Gauge::default(),
            is_learner: Gauge::default(),
            health_success: Gauge::default(),
            health_failures: Gauge::default(),
            store: store::StoreCollector::default(),
            applied_index: Gauge::default(),
            term: Gauge::default(),
            store_index: Gauge::default(),
            watchers: Gauge::default(),
            ttl_keys: Gauge::default(),
            keys_received: Vec::new(),
            keys_succeeded: Vec::new(),
            keys_failed: Family::default(),
            leader_changes: Counter::default(),
            pending: Gauge::default(),
            failed: Counter::default(),
        };
        let received = Family::<MethodLabel, Counter>::default();
        let succeeded = Family::<MethodLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 13))
        });
        for method in KeysMethod::ALL {
            let label = MethodLabel {
                method: method.name(),
            };
            m.keys_received.push(received.get_or_create(&label).clone());
            m.keys_succeeded
                .push(succeeded.get_or_create(&label).clone());
        }
        registry.register(
            "etcd_http_received",
            "Counter of requests received into the system (successfully parsed and authd)",
            received,
        );
        registry.register(
            "etcd_http_failed",
            "Counter of handle failures of requests (non-watches), by method (GET/PUT etc.) and code (400, 500 etc.)",
            m.keys_failed.clone(),
        );
        registry.register(
            "etcd_http_successful_duration_seconds",
            "Bucketed histogram of processing time (s) of successfully handled requests (non-watches), by method (GET/PUT etc.)",
            succeeded,
        );
        for (name, help, counter) in [
            (
                "etcd_server_leader_changes_seen",
                "The number of leader changes seen",
                &m.leader_changes,
            ),
            (
                "etcd_server_proposals_failed",
                "The total number of failed proposals seen",
                &m.failed,
            ),
        ] {
            registry.register(name, help, counter.clone());
        }
        info(
            &mut registry,
            "etcd_server_version",
            "Which version is running. 1 for 'server_version' label with current version",
            "server_version",
            SERVER_VERSION,
        );
        // The cluster version as the reference labels it: major.minor.
        let cluster = CLUSTER_VERSION
            .rsplit_once('.')
            .map_or(CLUSTER_VERSION, |(major_minor, _)| major_minor);
        info(
            &mut registry,
            "etcd_cluster_version",
            "Which version is running. 1 for 'cluster_version' label with current cluster version",
            "cluster_version",
            cluster,
        );
        registry.register(
            "etcd_http_requests",
            "Client requests answered, by method and status code",
            m.requests.clone(),
        );
        registry.register(
            "etcd_http_request_duration_seconds",
            "Time to answer a client request (watches excluded)",
            m.duration.clone(),
        );
        for (name, help, gauge) in [
            (
                "etcd_server_has_leader",
                "Whether a leader exists (1) or not (0)",
                &m.has_leader,
            ),
            (
                "etcd_server_is_leader",
                "Whether this member is the leader",
                &m.is_leader,
            ),
            (
                "etcd_server_is_learner",
                "Whether or not this member is a learner. 1 if is, 0 otherwise",
                &m.is_learner,
            ),
            (
                "etcd_server_health_success",
                "The total number of successful health checks",
                &m.health_success,
            ),
            (
                "etcd_server_health_failures",
                "The total number of failed health checks",
                &m.health_failures,
            ),
            // The reference's name for the same figure.
            (
                "etcd_server_proposals_applied_total",
                "The total number of consensus proposals applied",
                &m.applied_index,
            ),
            (
                "etcd_server_proposals_pending",
                "The current number of pending proposals to commit",
                &m.pending,
            ),
            (
                "etcd_server_applied_index",
                "The last raft index applied to the store",
                &m.applied_index,
            ),
            ("etcd_server_term", "The current raft term", &m.term),
            ("etcd_store_index", "The v2 store index", &m.store_index),
            (
                "etcd_store_watchers",
                "Open watchers on this member",
                &m.watchers,
            ),
            ("etcd_store_ttl_keys", "Nodes with a TTL", &m.ttl_keys),
        ] {
            registry.register(name, help, gauge.clone());
        }
        registry.register_collector(Box::new(m.store.clone()));
        registry.register_collector(Box::new(crate::process_metrics::ProcessCollector));
        *m.registry.lock().unwrap_or_else(|p| p.into_inner()) = registry;
        m
    }

    /// Adds this member's figures: its id, its log's and its peer traffic.
    pub fn add_member(&self, member_id: u64, log: &LogMetrics, peers: &PeerMetrics) {
        let mut registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        info(
            &mut registry,
            "etcd_server_id",
            "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID",
            "server_id",
            &crate::ids::hex(member_id),
        );
        registry.register(
            "etcd_disk_wal_fsync_duration_seconds",
            "The latency distributions of fsync called by WAL",
            log.fsync.clone(),
        );
        registry.register(
            "etcd_disk_wal_write_bytes_total",
            "Total number of bytes written in WAL",
            log.write_bytes.clone(),
        );
        registry.register(
            "etcd_server_proposals_committed_total",
            "The total number of consensus proposals committed",
            log.committed.clone(),
        );
        peers.register(&mut registry);
    }

    /// Counted once per leader seen that differs from the one before (a
    /// new leader after none counts too), as the reference counts.
    pub fn leader_changes(&self) -> Counter {
        self.leader_changes.clone()
    }

    /// A keys write on its way through raft (see [`Pending`]).
    pub fn proposal_pending(&self) -> Pending {
        self.pending.inc();
        Pending(self.pending.clone())
    }

    /// A keys write that raft did not carry out: it timed out or was
    /// refused.
    pub fn proposal_failed(&self) {
        self.failed.inc();
    }

    /// A keys request parsed and allowed, not a watch: the reference's
    /// `etcd_http_received_total`.
    pub fn keys_received(&self, method: KeysMethod) {
        self.keys_received[method as usize].inc();
    }

    /// A keys request answered (not a watch): an event in `seconds`, or
    /// the error status `code`.
    pub fn keys_answered(&self, method: KeysMethod, code: u16, seconds: f64) {
        if (200..300).contains(&code) {
            self.keys_succeeded[method as usize].observe(seconds);
        } else {
            self.keys_failed
                .get_or_create(&FailedLabels {
                    method: method.name(),
                    code,
                })
                .inc();
        }
    }

    /// Counts one answered request and how long it took.
    pub fn request(&self, method: &hyper::Method, code: u16, seconds: Option<f64>) {
        use hyper::Method;
        let method = match *method {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::PUT => "PUT",
            Method::POST => "POST",
            Method::DELETE => "DELETE",
            Method::OPTIONS => "OPTIONS",
            _ => "OTHER",
        };
        self.requests
            .get_or_create(&RequestLabels { method, code })
            .inc();
        if let Some(s) = seconds {
            self.duration.observe(s);
        }
    }

    /// A `/health` check that passed (`ok`) or failed.
    pub fn health(&self, ok: bool) {
        let counter = if ok {
            &self.health_success
        } else {
            &self.health_failures
        };
        counter.inc();
    }

    /// The exposition text, with the gauges set from `now`.
    pub fn render(&self, now: Snapshot) -> String {
        let g = |gauge: &Gauge, v: u64| {
            gauge.set(i64::try_from(v).unwrap_or(i64::MAX));
        };
        g(&self.has_leader, u64::from(now.has_leader));
        g(&self.is_leader, u64::from(now.is_leader));
        g(&self.is_learner, u64::from(now.is_learner));
        self.store.set(now.store, now.watchers);
        g(&self.applied_index, now.applied_index);
        g(&self.term, now.term);
        g(&self.store_index, now.store_index);
        g(&self.watchers, now.watchers);
        g(&self.ttl_keys, now.ttl_keys);
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}

/// An info gauge: always 1, the value in its one label.
fn info(registry: &mut Registry, name: &str, help: &str, label: &'static str, value: &str) {
    let gauge = Family::<OneLabel, Gauge>::default();
    gauge.get_or_create(&vec![(label, value.to_owned())]).set(1);
    registry.register(name, help, gauge);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::new();
        m.request(&hyper::Method::GET, 200, Some(0.001));
        m.request(&hyper::Method::PUT, 201, Some(0.002));
        let text = m.render(Snapshot {
            has_leader: true,
            is_leader: true,
            applied_index: 7,
            term: 2,
            store_index: 5,
            watchers: 1,
            ttl_keys: 0,
            ..Snapshot::default()
        });
        assert!(
            text.contains("etcd_http_requests_total{method=\"GET\",code=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("etcd_server_has_leader 1"));
        assert!(text.contains("etcd_server_applied_index 7"));
        assert!(text.contains("etcd_store_watchers 1"));
        assert!(text.ends_with("# EOF\n"));
    }

    fn render(m: &Metrics) -> String {
        m.render(Snapshot::default())
    }

    #[test]
    fn keys_requests_count_by_the_references_method_label() {
        let m = Metrics::new();
        m.keys_received(KeysMethod::of(KeysApiMethod::Get, true));
        m.keys_received(KeysMethod::of(KeysApiMethod::Put, false));
        m.keys_received(KeysMethod::of(KeysApiMethod::Put, false));
        m.keys_answered(KeysMethod::Put, 201, 0.0007);
        m.keys_answered(KeysMethod::Put, 412, 0.0001);
        m.keys_answered(KeysMethod::QGet, 200, 3.0);
        let text = render(&m);
        for line in [
            "etcd_http_received_total{method=\"QGET\"} 1",
            "etcd_http_received_total{method=\"PUT\"} 2",
            "etcd_http_received_total{method=\"GET\"} 0",
            "etcd_http_failed_total{method=\"PUT\",code=\"412\"} 1",
            "etcd_http_successful_duration_seconds_count{method=\"PUT\"} 1",
            "etcd_http_successful_duration_seconds_bucket{le=\"0.0005\",method=\"PUT\"} 0",
            "etcd_http_successful_duration_seconds_bucket{le=\"0.001\",method=\"PUT\"} 1",
            "etcd_http_successful_duration_seconds_bucket{le=\"2.048\",method=\"QGET\"} 0",
            "etcd_http_successful_duration_seconds_bucket{le=\"+Inf\",method=\"QGET\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        assert!(!text.contains("code=\"201\""), "{text}");
    }

    #[test]
    fn a_member_adds_its_id_and_its_logs_figures() {
        let m = Metrics::new();
        let log = LogMetrics::default();
        let peers = PeerMetrics::default();
        m.add_member(0x4bf4061c1ccaa7de, &log, &peers);
        peers.sent(0x1f, 100);
        peers.sent(0x1f, 20);
        peers.received(0x2e, 50);
        peers.send_failed(0x1f);
        log.fsync.observe(0.0015);
        log.write_bytes.inc_by(563);
        log.committed.set(9);
        m.leader_changes().inc();
        let text = render(&m);
        for line in [
            "etcd_server_id{server_id=\"4bf4061c1ccaa7de\"} 1",
            "etcd_server_version{server_version=\"3.4.23\"} 1",
            "etcd_cluster_version{cluster_version=\"3.4\"} 1",
            "etcd_server_leader_changes_seen_total 1",
            "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} 0",
            "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.002\"} 1",
            "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"8.192\"} 1",
            "etcd_disk_wal_fsync_duration_seconds_count 1",
            "etcd_disk_wal_write_bytes_total 563",
            "etcd_server_proposals_committed_total 9",
            "etcd_network_peer_sent_bytes_total{To=\"1f\"} 120",
            "etcd_network_peer_received_bytes_total{From=\"2e\"} 50",
            "etcd_network_peer_sent_failures_total{To=\"1f\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
    }

    #[test]
    fn a_proposal_is_pending_until_dropped_and_failures_add_up() {
        let m = Metrics::new();
        let line = |text: &str, name: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
                .to_owned()
        };
        let (a, b) = (m.proposal_pending(), m.proposal_pending());
        m.proposal_failed();
        let text = m.render(Snapshot {
            applied_index: 12,
            ..Snapshot::default()
        });
        assert_eq!(
            line(&text, "etcd_server_proposals_pending"),
            "etcd_server_proposals_pending 2"
        );
        assert_eq!(
            line(&text, "etcd_server_proposals_failed_total"),
            "etcd_server_proposals_failed_total 1"
        );
        assert_eq!(
            line(&text, "etcd_server_proposals_applied_total"),
            "etcd_server_proposals_applied_total 12"
        );
        drop((a, b));
        let text = render(&m);
        assert_eq!(
            line(&text, "etcd_server_proposals_pending"),
            "etcd_server_proposals_pending 0"
        );
    }
}
