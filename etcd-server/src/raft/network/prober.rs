//! The peer prober: every few seconds each member asks every other member
//! for its time (`GET /raft/probing`), as the reference's members do.
//!
//! - The round trips, smoothed, go to
//!   `etcd_network_peer_round_trip_time_seconds{To}`: first 5 s after start,
//!   then every 30 s. This is the histogram behind the usual "peer
//!   communication slow" alert.
//! - A peer that cannot be reached is logged once, and again once it answers.
//! - A peer whose clock is more than a second off is logged once, and again
//!   once it is back within a second.
//!
//! The smoothing is the reference's: each round trip moves the estimate an
//! eighth of the way. The reference starts it at 0, so its first figures are
//! an eighth of the real round trip; here it starts at the first round trip.

use super::{base_url, PeerError, PeerNetwork};
use crate::app::{now_nanos, App};
use crate::raft::Member;
use etcd_client::time::{format_rfc3339_nano, parse_rfc3339};
use hyper::{Method, StatusCode};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{info, warn};

/// The peer path that answers the time.
pub const PROBING_PATH: &str = "/raft/probing";

/// How often every peer is asked.
const PROBE_EVERY: Duration = Duration::from_secs(4);
/// How long an answer may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// When the round trips first go to `/metrics`, and how often after that.
const FIRST_REPORT: Duration = Duration::from_secs(5);
const REPORT_EVERY: Duration = Duration::from_secs(30);
/// How far each round trip moves the smoothed one.
const WEIGHT: f64 = 0.125;
/// A peer clock off by more than this is logged.
const MAX_CLOCK_DIFF: Duration = Duration::from_secs(1);
/// The largest answer read.
const MAX_ANSWER: usize = 4096;

/// The answer of [`PROBING_PATH`] at `now_nanos` (Unix nanoseconds): Go's
/// encoding of `{OK: true, Now: <time>}`, a newline included.
pub fn answer_body(now_nanos: i64) -> String {
    format!(
        "{{\"OK\":true,\"Now\":\"{}\"}}\n",
        format_rfc3339_nano(now_nanos)
    )
}

/// The time in an answer of [`PROBING_PATH`], as Unix nanoseconds.
fn answer_time(body: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "OK")]
        ok: bool,
        #[serde(rename = "Now")]
        now: String,
    }
    let a: Answer = serde_json::from_slice(body).ok()?;
    a.ok.then(|| parse_rfc3339(&a.now)).flatten()
}

/// What the prober knows of one peer.
#[derive(Debug, Default)]
struct Status {
    /// The smoothed round trip, in seconds (none before the first answer).
    srtt: Option<f64>,
    /// How far this member's clock is ahead of the peer's, in nanoseconds.
    clock_diff: i64,
    /// The last probe went unanswered, and that was logged.
    unreachable: bool,
    /// The clock difference is over [`MAX_CLOCK_DIFF`], and that was logged.
    drifting: bool,
}

impl Status {
    /// An answer saying the peer's time was `peer_now`, received at
    /// `received` (both Unix nanoseconds), `rtt` after the request went.
    fn record(&mut self, rtt: Duration, peer_now: i64, received: i64) {
        let rtt = rtt.as_secs_f64();
        let srtt = match self.srtt {
            None => rtt,
            Some(s) => (1.0 - WEIGHT) * s + WEIGHT * rtt,
        };
        self.srtt = Some(srtt);
        // The peer read its clock about half a round trip before the answer
        // arrived.
        self.clock_diff = received - peer_now - (srtt * 5e8) as i64;
    }

    fn clock_off(&self) -> bool {
        self.clock_diff.unsigned_abs() > MAX_CLOCK_DIFF.as_nanos() as u64
    }
}

impl PeerNetwork {
    /// Asks `target` (at `node`'s first peer URL) for its time: the round
    /// trip, the peer's time and when its answer arrived (Unix nanoseconds).
    async fn probe(&self, target: u64, node: &Member) -> Result<(Duration, i64, i64), PeerError> {
        let base = base_url(target, node)?;
        // Named like raft's requests: the connection goes back to the pool
        // they use.
        let req = self.request(Method::GET, target, &base, PROBING_PATH, Vec::new())?;
        let sent = Instant::now();
        let answer = self.exchange(target, &base, req, MAX_ANSWER);
        let (status, _, body) =
            tokio::time::timeout(PROBE_TIMEOUT, answer)
                .await
                .map_err(|_| PeerError::Timeout {
                    peer: target,
                    timeout: PROBE_TIMEOUT,
                })??;
        let rtt = sent.elapsed();
        let received = now_nanos();
        if status != StatusCode::OK {
            return Err(PeerError::Status {
                peer: target,
                url: base,
                status: status.as_u16(),
                reason: String::from_utf8_lossy(&body).trim().to_owned(),
            });
        }
        let peer_now = answer_time(&body).ok_or_else(|| {
            let text = String::from_utf8_lossy(&body);
            PeerError::network(target, &base, format!("not a probing answer: {text:?}"))
        })?;
        Ok((rtt, peer_now, received))
    }
}

/// Probes the other members until `stop` changes (see the module doc).
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let net = app.forwarder.network().clone();
    let mut statuses: HashMap<u64, Status> = HashMap::new();
    let mut tick = tokio::time::interval(PROBE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let first = tokio::time::Instant::now() + FIRST_REPORT;
    let mut report = tokio::time::interval_at(first, REPORT_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = report.tick() => {
                for (id, s) in &statuses {
                    if let (Some(srtt), false) = (s.srtt, s.unreachable) {
                        net.peer_metrics().round_trip(*id, srtt);
                    }
                }
                continue;
            }
            _ = stop.changed() => return,
        }
        let members = app.peers();
        statuses.retain(|id, _| members.iter().any(|(m, _)| m == id));
        let mut probes = tokio::task::JoinSet::new();
        for (id, node) in members {
            let net = net.clone();
            probes.spawn(async move { (id, net.probe(id, &node).await) });
        }
        let answers = async {
            while let Some(done) = probes.join_next().await {
                if let Ok((id, outcome)) = done {
                    note(id, statuses.entry(id).or_default(), outcome);
                }
            }
        };
        // A peer that holds its answer (up to the probe timeout) must not
        // hold up the member's shutdown: the probes out are dropped.
        tokio::select! {
            () = answers => {}
            _ = stop.changed() => return,
        }
    }
}

/// Takes one probe's `outcome` into peer `id`'s status, logging changes.
fn note(id: u64, s: &mut Status, outcome: Result<(Duration, i64, i64), PeerError>) {
    let peer = crate::ids::hex(id);
    match outcome {
        Ok((rtt, peer_now, received)) => {
            if s.unreachable {
                s.unreachable = false;
                info!(target: "rafthttp", "peer {peer} answers the prober again");
            }
            s.record(rtt, peer_now, received);
            match (s.clock_off(), s.drifting) {
                (true, false) => {
                    s.drifting = true;
                    warn!(
                        target: "rafthttp",
                        "the clock difference against peer {peer} is too high [{:?} > {MAX_CLOCK_DIFF:?}]",
                        Duration::from_nanos(s.clock_diff.unsigned_abs()),
                    );
                }
                (false, true) => {
                    s.drifting = false;
                    info!(target: "rafthttp", "the clock difference against peer {peer} is within {MAX_CLOCK_DIFF:?} again");
                }
                _ => {}
            }
        }
        Err(e) => {
            if !s.unreachable {
                s.unreachable = true;
                warn!(target: "rafthttp", "health check for peer {peer} could not connect: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_gos_encoding_and_reads_back() {
        let body = answer_body(1_795_446_269_527_346_466);
        assert_eq!(
            body,
            "{\"OK\":true,\"Now\":\"2026-11-23T15:04:29.527346466Z\"}\n"
        );
        assert_eq!(
            answer_time(body.as_bytes()),
            Some(1_795_446_269_527_346_466)
        );
        // The reference's answer, trailing zeros of the fraction trimmed.
        let theirs = b"{\"OK\":true,\"Now\":\"2026-11-23T15:04:29.4202984Z\"}\n";
        assert_eq!(answer_time(theirs), Some(1_795_446_269_420_298_400));
        assert_eq!(
            answer_time(b"{\"OK\":false,\"Now\":\"2026-11-23T15:04:29Z\"}"),
            None
        );
        assert_eq!(answer_time(b"404 page not found\n"), None);
    }

    #[test]
    fn the_round_trip_is_smoothed_and_the_clock_difference_found() {
        let mut s = Status::default();
        let ms = Duration::from_millis;
        s.record(ms(8), 1_000_000_000, 1_004_000_000);
        assert_eq!(s.srtt, Some(0.008));
        assert_eq!(s.clock_diff, 0);
        assert!(!s.clock_off());
        // An eighth of the way from 8 ms to 16 ms.
        s.record(ms(16), 2_000_000_000, 2_004_500_000);
        assert!((s.srtt.unwrap() - 0.009).abs() < 1e-12);
        assert_eq!(s.clock_diff, 0);
        // This clock 1.5 s ahead of the peer's, then 1.5 s behind.
        s.record(ms(9), 3_000_000_000, 4_504_500_000);
        assert_eq!(s.clock_diff, 1_500_000_000);
        assert!(s.clock_off());
        s.record(ms(9), 6_000_000_000, 4_504_500_000);
        assert!(s.clock_off());
    }

    /// A probe names its sender as raft's requests do: the connection goes
    /// back to the pool raft's requests use, and whatever sits between the
    /// members (a fault-injection proxy, say) tells them apart by the first
    /// request of a connection.
    #[tokio::test]
    async fn a_probe_identifies_its_sender_and_reads_the_peers_time() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = conn.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                head.extend_from_slice(&buf[..n]);
            }
            let body = answer_body(1_795_446_269_527_346_466);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            conn.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8(head).unwrap().to_ascii_lowercase()
        });
        let net = PeerNetwork::new(0xa1, 0xc1);
        let node = Member {
            peer_urls: vec![format!("http://{addr}")],
            ..Member::default()
        };
        let (_, peer_now, _) = net.probe(0xb2, &node).await.unwrap();
        assert_eq!(peer_now, 1_795_446_269_527_346_466);
        let head = peer.await.unwrap();
        assert!(head.starts_with("get /raft/probing http/1.1\r\n"), "{head}");
        for header in [
            "x-server-from: a1",
            "x-etcd-cluster-id: c1",
            "x-raft-to: b2",
        ] {
            assert!(
                head.contains(&format!("{header}\r\n")),
                "no {header} in {head}"
            );
        }
    }

    #[test]
    fn changes_of_reachability_and_drift_are_noted_once() {
        let mut s = Status::default();
        let down = || {
            Err(PeerError::Timeout {
                peer: 1,
                timeout: PROBE_TIMEOUT,
            })
        };
        note(1, &mut s, down());
        assert!(s.unreachable);
        note(1, &mut s, down());
        assert!(s.unreachable);
        note(1, &mut s, Ok((Duration::from_millis(2), 0, 3_000_000_000)));
        assert!(!s.unreachable && s.drifting);
        note(
            1,
            &mut s,
            Ok((Duration::from_millis(2), 1_000_000_000, 1_000_000_000)),
        );
        assert!(!s.drifting);
    }
}
