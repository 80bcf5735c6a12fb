//! The reference's v2 store figures of `/metrics`, read at each scrape:
//! `etcd_debugging_store_reads_total{action}` (`get`, `getRecursive`),
//! `etcd_debugging_store_writes_total{action}`,
//! `etcd_debugging_store_expires_total`,
//! `etcd_debugging_store_watch_requests_total` and
//! `etcd_debugging_store_watchers`.
//!
//! The counts are the store's since the process started (`Stats::seen`),
//! so they start at 0 with each process, as the reference's do. Like
//! `/v2/stats/store`, they include the server's own reads and writes of its
//! internal keys, which differ from the reference's.
//! An action never seen has no sample, as in the reference.

use crate::store::{Counter, COUNTERS};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use std::sync::{Arc, Mutex};

/// The store's figures at one scrape.
#[derive(Debug, Default, Clone, Copy)]
pub struct StoreFigures {
    /// The store's counts since the process started, by [`Counter`].
    pub seen: [u64; COUNTERS],
    /// How many of the gets were recursive.
    pub recursive_gets: u64,
    /// Watch requests since the process started.
    pub watch_requests: u64,
}

impl StoreFigures {
    /// The reads by the reference's action label.
    fn reads(&self) -> [(&'static str, u64); 2] {
        let gets = self.seen[Counter::GetsSuccess as usize] + self.seen[Counter::GetsFail as usize];
        let recursive = self.recursive_gets.min(gets);
        [("get", gets - recursive), ("getRecursive", recursive)]
    }

    /// The writes by the reference's action label, refused ones included.
    fn writes(&self) -> [(&'static str, u64); 6] {
        let n = |ok: Counter, fail: Counter| self.seen[ok as usize] + self.seen[fail as usize];
        use Counter::*;
        [
            (
                "compareAndDelete",
                n(CompareAndDeleteSuccess, CompareAndDeleteFail),
            ),
            (
                "compareAndSwap",
                n(CompareAndSwapSuccess, CompareAndSwapFail),
            ),
            ("create", n(CreateSuccess, CreateFail)),
            ("delete", n(DeleteSuccess, DeleteFail)),
            ("set", n(SetsSuccess, SetsFail)),
            ("update", n(UpdateSuccess, UpdateFail)),
        ]
    }
}

/// Writes the figures set with [`StoreCollector::set`] at each scrape.
#[derive(Debug, Default, Clone)]
pub(super) struct StoreCollector {
    now: Arc<Mutex<(StoreFigures, u64)>>,
}

impl StoreCollector {
    /// The store's figures and the watchers registered now (the same count
    /// as `etcd_store_watchers`).
    pub(super) fn set(&self, figures: StoreFigures, watchers: u64) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = (figures, watchers);
    }
}

/// A counter family of one `action` label, written only for the actions
/// seen (none: not written at all).
fn by_action(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    counts: &[(&'static str, u64)],
) -> Result<(), std::fmt::Error> {
    if counts.iter().all(|(_, n)| *n == 0) {
        return Ok(());
    }
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (action, n) in counts.iter().filter(|(_, n)| *n > 0) {
        let labels = [("action", *action)];
        ConstCounter::new(*n).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (f, watchers) = *self.now.lock().unwrap_or_else(|p| p.into_inner());
        let e = &mut encoder;
        let help = "Total number of expired keys.";
        let expires = ConstCounter::new(f.seen[Counter::ExpireCount as usize]);
        expires.encode(e.encode_descriptor(
            "etcd_debugging_store_expires",
            help,
            None,
            expires.metric_type(),
        )?)?;
        let help = "Total number of reads action by (get/getRecursive), local to this member.";
        by_action(e, "etcd_debugging_store_reads", help, &f.reads())?;
        let help = "Total number of incoming watch requests (new or reestablished).";
        let requests = ConstCounter::new(f.watch_requests);
        requests.encode(e.encode_descriptor(
            "etcd_debugging_store_watch_requests",
            help,
            None,
            requests.metric_type(),
        )?)?;
        let help = "Count of currently active watchers.";
        let watchers = ConstGauge::new(i64::try_from(watchers).unwrap_or(i64::MAX));
        watchers.encode(e.encode_descriptor(
            "etcd_debugging_store_watchers",
            help,
            None,
            watchers.metric_type(),
        )?)?;
        let help = "Total number of writes (e.g. set/compareAndDelete) seen by this member.";
        by_action(e, "etcd_debugging_store_writes", help, &f.writes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;
    use prometheus_client::registry::Registry;

    fn render(f: StoreFigures, watchers: u64) -> String {
        let collector = StoreCollector::default();
        collector.set(f, watchers);
        let mut registry = Registry::default();
        registry.register_collector(Box::new(collector));
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        out
    }

    #[test]
    fn actions_seen_are_written_by_the_references_labels() {
        let mut f = StoreFigures {
            recursive_gets: 1,
            watch_requests: 3,
            ..StoreFigures::default()
        };
        f.seen[Counter::GetsSuccess as usize] = 10;
        f.seen[Counter::GetsFail as usize] = 4;
        f.seen[Counter::SetsSuccess as usize] = 5;
        f.seen[Counter::CompareAndSwapFail as usize] = 1;
        f.seen[Counter::ExpireCount as usize] = 1;
        let text = render(f, 2);
        for line in [
            "etcd_debugging_store_expires_total 1",
            "etcd_debugging_store_reads_total{action=\"get\"} 13",
            "etcd_debugging_store_reads_total{action=\"getRecursive\"} 1",
            "etcd_debugging_store_watch_requests_total 3",
            "etcd_debugging_store_watchers 2",
            "etcd_debugging_store_writes_total{action=\"set\"} 5",
            "etcd_debugging_store_writes_total{action=\"compareAndSwap\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in:\n{text}");
        }
        assert!(!text.contains("action=\"create\""), "{text}");
    }

    #[test]
    fn families_without_a_sample_are_left_out() {
        let text = render(StoreFigures::default(), 0);
        assert!(!text.contains("etcd_debugging_store_reads"), "{text}");
        assert!(!text.contains("etcd_debugging_store_writes"), "{text}");
        assert!(
            text.contains("etcd_debugging_store_expires_total 0"),
            "{text}"
        );
    }
}
