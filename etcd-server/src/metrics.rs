//! `/metrics`: Prometheus text exposition of request, raft and store figures.
//!
//! Besides this server's own figures, it carries the reference's metrics
//! that operators' dashboards and alerts read, under the reference's names,
//! labels and buckets: the keys API's `etcd_http_received_total`,
//! `etcd_http_failed_total` and `etcd_http_successful_duration_seconds`, the
//! log's `etcd_disk_wal_fsync_duration_seconds` and
//! `etcd_disk_wal_write_bytes_total`, `etcd_server_leader_changes_seen_total`,
//! and the `etcd_server_id`, `etcd_server_version` and
//! `etcd_cluster_version` info gauges.

use crate::cluster::{CLUSTER_VERSION, SERVER_VERSION};
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

    /// The label of a keys request with `method` (`quorum` as parsed).
    pub fn of(method: &hyper::Method, quorum: bool) -> KeysMethod {
        use hyper::Method;
        match *method {
            Method::GET if quorum => KeysMethod::QGet,
            Method::HEAD => KeysMethod::Head,
            Method::PUT => KeysMethod::Put,
            Method::POST => KeysMethod::Post,
            Method::DELETE => KeysMethod::Delete,
            _ => KeysMethod::Get,
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

/// The raft log's disk figures, shared by the log store (which records) and
/// `/metrics` (which shows them). Clones share the figures.
#[derive(Debug, Clone)]
pub struct DiskMetrics {
    /// Every fdatasync of appended entries, in seconds (the reference's
    /// buckets: 1 ms doubling to 8.192 s).
    pub fsync: Histogram,
    /// Bytes of records written to the log (a gauge, as the reference's).
    pub write_bytes: Gauge,
}

impl Default for DiskMetrics {
    fn default() -> Self {
        DiskMetrics {
            fsync: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            write_bytes: Gauge::default(),
        }
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
}

#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    duration: Histogram,
    has_leader: Gauge,
    is_leader: Gauge,
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
            applied_index: Gauge::default(),
            term: Gauge::default(),
            store_index: Gauge::default(),
            watchers: Gauge::default(),
            ttl_keys: Gauge::default(),
            keys_received: Vec::new(),
            keys_succeeded: Vec::new(),
            keys_failed: Family::default(),
            leader_changes: Counter::default(),
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
        registry.register(
            "etcd_server_leader_changes_seen",
            "The number of leader changes seen",
            m.leader_changes.clone(),
        );
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
        registry.register(
            "etcd_server_has_leader",
            "Whether a leader exists (1) or not (0)",
            m.has_leader.clone(),
        );
        registry.register(
            "etcd_server_is_leader",
            "Whether this member is the leader",
            m.is_leader.clone(),
        );
        registry.register(
            "etcd_server_applied_index",
            "The last raft index applied to the store",
            m.applied_index.clone(),
        );
        registry.register("etcd_server_term", "The current raft term", m.term.clone());
        registry.register(
            "etcd_store_index",
            "The v2 store index",
            m.store_index.clone(),
        );
        registry.register(
            "etcd_store_watchers",
            "Open watchers on this member",
            m.watchers.clone(),
        );
        registry.register(
            "etcd_store_ttl_keys",
            "Nodes with a TTL",
            m.ttl_keys.clone(),
        );
        *m.registry.lock().unwrap_or_else(|p| p.into_inner()) = registry;
        m
    }

    /// Adds this member's figures: its id and its log's disk figures.
    pub fn add_member(&self, member_id: u64, disk: &DiskMetrics) {
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
            disk.fsync.clone(),
        );
        registry.register(
            "etcd_disk_wal_write_bytes_total",
            "Total number of bytes written in WAL",
            disk.write_bytes.clone(),
        );
    }

    /// Counted once per leader seen that differs from the one before (a
    /// new leader after none counts too), as the reference counts.
    pub fn leader_changes(&self) -> Counter {
        self.leader_changes.clone()
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

    /// The exposition text, with the gauges set from `now`.
    pub fn render(&self, now: Snapshot) -> String {
        let g = |gauge: &Gauge, v: u64| {
            gauge.set(i64::try_from(v).unwrap_or(i64::MAX));
        };
        g(&self.has_leader, u64::from(now.has_leader));
        g(&self.is_leader, u64::from(now.is_leader));
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
    let gauge = Family::<Vec<(&'static str, String)>, Gauge>::default();
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
        m.keys_received(KeysMethod::of(&hyper::Method::GET, true));
        m.keys_received(KeysMethod::of(&hyper::Method::PUT, false));
        m.keys_received(KeysMethod::of(&hyper::Method::PUT, false));
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
    fn a_member_adds_its_id_and_its_logs_disk_figures() {
        let m = Metrics::new();
        let disk = DiskMetrics::default();
        m.add_member(0x4bf4061c1ccaa7de, &disk);
        disk.fsync.observe(0.0015);
        disk.write_bytes.inc_by(563);
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
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
    }
}
