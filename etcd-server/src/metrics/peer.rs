//! The peer traffic figures of `/metrics`, under the reference's names and
//! labels: bytes sent to and received from each peer, failed sends, and the
//! round trip to each peer that the prober measures
//! (`raft/network/prober.rs`).

use super::OneLabel;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The reference's buckets of `etcd_network_peer_round_trip_time_seconds`:
/// 0.1 ms doubling up to 3.2768 s.
fn round_trip_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// Raft traffic with each peer, shared by the sending side (the peer
/// network), the receiving side (the peer endpoints) and `/metrics`.
/// Clones share the figures.
#[derive(Debug, Clone)]
pub struct PeerMetrics {
    sent_bytes: Family<OneLabel, Counter>,
    received_bytes: Family<OneLabel, Counter>,
    sent_failures: Family<OneLabel, Counter>,
    round_trip: Family<OneLabel, Histogram>,
}

impl Default for PeerMetrics {
    fn default() -> Self {
        PeerMetrics {
            sent_bytes: Family::default(),
            received_bytes: Family::default(),
            sent_failures: Family::default(),
            round_trip: Family::new_with_constructor(round_trip_histogram),
        }
    }
}

impl PeerMetrics {
    fn label(key: &'static str, member: u64) -> OneLabel {
        vec![(key, crate::ids::hex(member))]
    }

    /// A request body of `bytes` sent to member `to`.
    pub fn sent(&self, to: u64, bytes: usize) {
        self.sent_bytes
            .get_or_create(&Self::label("To", to))
            .inc_by(bytes as u64);
    }

    /// A request body of `bytes` received from member `from`.
    pub fn received(&self, from: u64, bytes: usize) {
        self.received_bytes
            .get_or_create(&Self::label("From", from))
            .inc_by(bytes as u64);
    }

    /// A request to member `to` that got no answer, or an error.
    pub fn send_failed(&self, to: u64) {
        self.sent_failures
            .get_or_create(&Self::label("To", to))
            .inc();
    }

    /// The smoothed round trip to member `to`, as the prober reports it.
    pub fn round_trip(&self, to: u64, seconds: f64) {
        self.round_trip
            .get_or_create(&Self::label("To", to))
            .observe(seconds);
    }

    /// Adds these figures to `registry`.
    pub(super) fn register(&self, registry: &mut Registry) {
        for (name, help, family) in [
            (
                "etcd_network_peer_sent_bytes",
                "The total number of bytes sent to peers",
                &self.sent_bytes,
            ),
            (
                "etcd_network_peer_received_bytes",
                "The total number of bytes received from peers",
                &self.received_bytes,
            ),
            (
                "etcd_network_peer_sent_failures",
                "The total number of send failures from peers",
                &self.sent_failures,
            ),
        ] {
            registry.register(name, help, family.clone());
        }
        registry.register(
            "etcd_network_peer_round_trip_time_seconds",
            "Round-Trip-Time histogram between peers",
            self.round_trip.clone(),
        );
    }
}
