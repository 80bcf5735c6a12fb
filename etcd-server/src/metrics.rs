//! `/metrics`: Prometheus text exposition of request, raft and store figures.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Mutex;

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
        let m = Metrics {
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
        };
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
}
