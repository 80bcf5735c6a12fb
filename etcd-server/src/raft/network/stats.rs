//! Peer traffic figures behind `/v2/stats/self` and `/v2/stats/leader`:
//! append requests sent and received, their recent rates, and per follower
//! the round-trip latency and outcome of the appends sent to it.
//!
//! What counts as an append request follows the reference, whose raft sends
//! entries and commit-index updates as `MsgApp` and pure liveness pings as
//! `MsgHeartbeat` (not counted). openraft sends all three as append-entries
//! RPCs, so an RPC counts when it carries entries or raises the commit index
//! the receiver last heard from this sender; one that repeats the commit
//! index with no entries is a heartbeat and is left out everywhere.
//!
//! Rates follow the reference's `statsQueue`: the last [`QUEUE_CAPACITY`]
//! appends, forgotten once the newest is more than [`RATE_WINDOW`] old, so
//! an idle member reports no rate at all.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Appends remembered for the rates (the reference's queue capacity).
pub const QUEUE_CAPACITY: usize = 200;
/// Rates are zero once the newest append is older than this.
pub const RATE_WINDOW: Duration = Duration::from_secs(1);

/// The minimum latency reported before the first success: the reference
/// starts from `1 << 63` (shown as `9223372036854776000`).
const NO_MINIMUM: f64 = (1u64 << 63) as f64;

/// Traffic figures of the sending ([`super::PeerNetwork`]) or the receiving
/// (`crate::http::peer`) side; each keeps its own. Cheap to clone; clones
/// share.
#[derive(Debug, Clone, Default)]
pub struct PeerStats {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    sent: Traffic,
    received: Traffic,
    followers: HashMap<u64, Follower>,
    /// Highest commit index received from each sender.
    commit_from: HashMap<u64, u64>,
    /// The member that sent (or, when it is this one, received) the last
    /// counted append, and since when.
    leader_seen: Option<(u64, SystemTime)>,
}

impl Inner {
    /// Like the reference, the leader's start time changes only when
    /// another member leads.
    fn saw_leader(&mut self, leader: u64) {
        if self.leader_seen.map(|(id, _)| id) != Some(leader) {
            self.leader_seen = Some((leader, SystemTime::now()));
        }
    }
}

/// A count and the recent appends of one direction.
#[derive(Debug, Default)]
struct Traffic {
    count: u64,
    /// `(when, body bytes)`, oldest first, at most [`QUEUE_CAPACITY`].
    recent: VecDeque<(Instant, usize)>,
    recent_bytes: usize,
}

impl Traffic {
    fn record(&mut self, now: Instant, size: usize) {
        self.count += 1;
        if self.recent.len() == QUEUE_CAPACITY {
            if let Some((_, old)) = self.recent.pop_front() {
                self.recent_bytes -= old;
            }
        }
        self.recent.push_back((now, size));
        self.recent_bytes += size;
    }

    /// `(appends/s, bytes/s)` over the remembered appends; zero when they
    /// are stale (then forgotten) or span no time.
    fn rates(&mut self, now: Instant) -> (f64, f64) {
        let (Some(&(first, _)), Some(&(last, _))) = (self.recent.front(), self.recent.back())
        else {
            return (0.0, 0.0);
        };
        if now.saturating_duration_since(last) > RATE_WINDOW {
            self.recent.clear();
            self.recent_bytes = 0;
            return (0.0, 0.0);
        }
        let span = last.saturating_duration_since(first).as_secs_f64();
        if span == 0.0 {
            return (0.0, 0.0);
        }
        (
            self.recent.len() as f64 / span,
            self.recent_bytes as f64 / span,
        )
    }
}

/// What the leader knows about its appends to one follower.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Follower {
    figures: FollowerFigures,
    /// Highest commit index sent to it.
    commit_sent: Option<u64>,
}

/// Round trips of successful appends, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latency {
    pub current: f64,
    pub average: f64,
    pub standard_deviation: f64,
    pub minimum: f64,
    pub maximum: f64,
    average_square: f64,
}

/// One follower's figures as `/v2/stats/leader` shows them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowerFigures {
    pub latency: Latency,
    pub fail: u64,
    pub success: u64,
}

impl Default for FollowerFigures {
    fn default() -> Self {
        FollowerFigures {
            latency: Latency {
                minimum: NO_MINIMUM,
                ..Latency::default()
            },
            fail: 0,
            success: 0,
        }
    }
}

/// This member's traffic as `/v2/stats/self` shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SelfFigures {
    pub recv_append_request_cnt: u64,
    pub recv_pkg_rate: f64,
    pub recv_bandwidth_rate: f64,
    pub send_append_request_cnt: u64,
    pub send_pkg_rate: f64,
    pub send_bandwidth_rate: f64,
}

/// Whether an append with `entries` entries and `commit` raises `known`
/// (recording the new commit index); heartbeats do not.
fn is_append(known: &mut Option<u64>, entries: usize, commit: Option<u64>) -> bool {
    let raises = commit.is_some_and(|c| known.map_or(true, |k| c > k));
    if raises {
        *known = commit;
    }
    entries > 0 || raises
}

impl PeerStats {
    pub fn new() -> PeerStats {
        PeerStats::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Classifies an append-entries RPC about to go to `target`: whether it
    /// is an append request (measured) rather than a heartbeat.
    pub fn classify_send(&self, target: u64, entries: usize, commit: Option<u64>) -> bool {
        let mut inner = self.lock();
        let follower = inner.followers.entry(target).or_default();
        is_append(&mut follower.commit_sent, entries, commit)
    }

    /// Member `me` sent an append request of `size` body bytes.
    pub fn sent_append(&self, me: u64, size: usize) {
        let mut inner = self.lock();
        inner.sent.record(Instant::now(), size);
        inner.saw_leader(me);
    }

    /// The outcome of an append request to `target`: its round trip when it
    /// was answered, `None` when it failed.
    pub fn append_done(&self, target: u64, round_trip: Option<Duration>) {
        let mut inner = self.lock();
        let f = &mut inner.followers.entry(target).or_default().figures;
        let Some(d) = round_trip else {
            f.fail += 1;
            return;
        };
        // The reference's FollowerStats.Succ, in milliseconds.
        let l = &mut f.latency;
        let n = f.success as f64;
        let total = n * l.average;
        let total_square = n * l.average_square;
        f.success += 1;
        l.current = d.as_nanos() as f64 / 1e6;
        l.maximum = l.maximum.max(l.current);
        l.minimum = l.minimum.min(l.current);
        let n = f.success as f64;
        l.average = (total + l.current) / n;
        l.average_square = (total_square + l.current * l.current) / n;
        l.standard_deviation = (l.average_square - l.average * l.average).max(0.0).sqrt();
    }

    /// An append-entries RPC of `size` body bytes from `from` passed the
    /// identity checks; counted unless it is a heartbeat.
    pub fn received(&self, from: u64, size: usize, entries: usize, commit: Option<u64>) {
        let mut inner = self.lock();
        let mut known = inner.commit_from.get(&from).copied();
        let counted = is_append(&mut known, entries, commit);
        if let Some(k) = known {
            inner.commit_from.insert(from, k);
        }
        if counted {
            inner.received.record(Instant::now(), size);
            inner.saw_leader(from);
        }
    }

    /// The member whose appends this one received last, and since when.
    pub fn leader_seen(&self) -> Option<(u64, SystemTime)> {
        self.lock().leader_seen
    }

    /// Counts and current rates.
    pub fn self_figures(&self) -> SelfFigures {
        let now = Instant::now();
        let mut inner = self.lock();
        let (send_pkg_rate, send_bandwidth_rate) = inner.sent.rates(now);
        let (recv_pkg_rate, recv_bandwidth_rate) = inner.received.rates(now);
        SelfFigures {
            recv_append_request_cnt: inner.received.count,
            recv_pkg_rate,
            recv_bandwidth_rate,
            send_append_request_cnt: inner.sent.count,
            send_pkg_rate,
            send_bandwidth_rate,
        }
    }

    /// The figures of follower `id` (defaults when nothing was sent to it).
    pub fn follower(&self, id: u64) -> FollowerFigures {
        self.lock()
            .followers
            .get(&id)
            .map(|f| f.figures)
            .unwrap_or_default()
    }
}

/// Times one append request; counted as failed if dropped before
/// [`AppendTimer::answered`] or [`AppendTimer::failed`] (openraft abandons
/// an append at its own timeout).
#[derive(Debug)]
pub struct AppendTimer {
    stats: PeerStats,
    target: u64,
    start: Instant,
    done: bool,
}

impl AppendTimer {
    pub fn start(stats: &PeerStats, target: u64) -> AppendTimer {
        AppendTimer {
            stats: stats.clone(),
            target,
            start: Instant::now(),
            done: false,
        }
    }

    /// The follower answered.
    pub fn answered(mut self) {
        self.done = true;
        let elapsed = self.start.elapsed();
        self.stats.append_done(self.target, Some(elapsed));
    }

    /// The request failed.
    pub fn failed(mut self) {
        self.done = true;
        self.stats.append_done(self.target, None);
    }
}

impl Drop for AppendTimer {
    fn drop(&mut self) {
        if !self.done {
            self.stats.append_done(self.target, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_are_not_append_requests() {
        // (entries, commit) in order; whether each one counts.
        let cases: [(usize, Option<u64>, bool); 7] = [
            (0, None, false),   // heartbeat before anything is committed
            (1, None, true),    // entries
            (0, Some(1), true), // commit raised
            (0, Some(1), false),
            (3, Some(1), true),
            (0, Some(4), true),
            (0, Some(2), false), // lower commit (another leader's view)
        ];
        let mut known = None;
        for (i, (entries, commit, want)) in cases.into_iter().enumerate() {
            assert_eq!(is_append(&mut known, entries, commit), want, "case {i}");
        }
        assert_eq!(known, Some(4));
    }

    #[test]
    fn latency_follows_the_reference_formulas() {
        let s = PeerStats::new();
        assert_eq!(s.follower(7).latency.minimum, NO_MINIMUM);
        for ms in [1, 3] {
            s.append_done(7, Some(Duration::from_millis(ms)));
        }
        s.append_done(7, None);
        let f = s.follower(7);
        assert_eq!((f.success, f.fail), (2, 1));
        let l = f.latency;
        assert_eq!((l.current, l.minimum, l.maximum), (3.0, 1.0, 3.0));
        assert_eq!(l.average, 2.0);
        assert!((l.standard_deviation - 1.0).abs() < 1e-9, "{l:?}");
        // A dropped timer is a failure.
        drop(AppendTimer::start(&s, 7));
        assert_eq!(s.follower(7).fail, 2);
        AppendTimer::start(&s, 7).answered();
        assert_eq!(s.follower(7).success, 3);
    }

    #[test]
    fn rates_cover_recent_appends_only() {
        let mut t = Traffic::default();
        let t0 = Instant::now();
        assert_eq!(t.rates(t0), (0.0, 0.0));
        t.record(t0, 100);
        // One append spans no time: no rate (the reference would divide by 0).
        assert_eq!(t.rates(t0), (0.0, 0.0));
        for i in 1..=QUEUE_CAPACITY as u64 {
            t.record(t0 + Duration::from_millis(i), 100);
        }
        assert_eq!(t.count, QUEUE_CAPACITY as u64 + 1);
        assert_eq!(t.recent.len(), QUEUE_CAPACITY);
        let now = t0 + Duration::from_millis(QUEUE_CAPACITY as u64);
        let (pkg, bw) = t.rates(now);
        // 200 appends from 1 ms to 200 ms: 199 ms.
        assert!((pkg - 200.0 / 0.199).abs() < 1e-6, "{pkg}");
        assert!((bw - 20_000.0 / 0.199).abs() < 1e-3, "{bw}");
        // Stale: forgotten.
        assert_eq!(t.rates(now + RATE_WINDOW * 2), (0.0, 0.0));
        assert!(t.recent.is_empty());
        assert_eq!(t.recent_bytes, 0);
    }

    #[test]
    fn received_appends_name_the_leader() {
        let s = PeerStats::new();
        s.received(5, 10, 0, None);
        assert_eq!(s.self_figures().recv_append_request_cnt, 0);
        assert_eq!(s.leader_seen(), None);
        s.received(5, 10, 1, Some(1));
        s.received(5, 10, 0, Some(1));
        s.received(5, 10, 0, Some(2));
        assert_eq!(s.self_figures().recv_append_request_cnt, 2);
        let (leader, since) = s.leader_seen().unwrap();
        assert_eq!(leader, 5);
        s.received(5, 10, 1, Some(2));
        assert_eq!(s.leader_seen(), Some((5, since)));
        s.received(6, 10, 1, Some(2));
        assert_eq!(s.leader_seen().map(|l| l.0), Some(6));
        s.sent_append(9, 10);
        assert_eq!(s.leader_seen().map(|l| l.0), Some(9));
        let f = s.self_figures();
        assert_eq!(
            (f.recv_append_request_cnt, f.send_append_request_cnt),
            (4, 1)
        );
    }
}
