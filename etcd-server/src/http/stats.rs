//! `/v2/stats/self` and `/v2/stats/leader`: this member's raft role and
//! peer traffic, and on the leader each follower's append round trips, with
//! the figures of [`crate::raft::network::stats`]: the peer client's
//! (`app.forwarder.network()`) for what was sent, the peer listener's
//! (`app.peer`) for what was received. The bodies are the client crate's
//! wire types ([`etcd_client::models`]).
//!
//! Numbers are written as Go's `encoding/json` writes a `float64` (`0`, not
//! `0.0`; `9223372036854776000`; `0.000005`; `1e-7`), because clients
//! compare them as the reference prints them.

use super::{full, with_status, Resp, JSON};
use crate::app::{go_duration, App};
use crate::ids;
use crate::raft::network::stats::FollowerFigures;
use etcd_client::json::GoFormatter;
use etcd_client::models::{
    CountsStats, FollowerStats, HttpErrorBody, LatencyStats, LeaderInfo, LeaderStats, RaftState,
    SelfStats,
};
use etcd_client::time::format_rfc3339_nano;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

/// `GET /v2/stats/self`.
pub(super) fn self_stats(app: &App) -> Resp {
    let (leader, since) = leader_info(app);
    let state = if app.is_leader() {
        RaftState::Leader
    } else {
        RaftState::Follower
    };
    let sent = app.forwarder.network().stats().self_figures();
    let received = app.peer.stats().self_figures();
    let body = SelfStats {
        name: app.name.clone(),
        id: ids::hex(app.member_id),
        state,
        start_time: rfc3339(app.started),
        leader_info: LeaderInfo {
            leader: ids::hex(leader),
            uptime: go_duration(since.elapsed().unwrap_or_default()),
            start_time: rfc3339(since),
        },
        recv_append_request_cnt: received.recv_append_request_cnt,
        recv_pkg_rate: received.recv_pkg_rate,
        recv_bandwidth_rate: received.recv_bandwidth_rate,
        send_append_request_cnt: sent.send_append_request_cnt,
        send_pkg_rate: sent.send_pkg_rate,
        send_bandwidth_rate: sent.send_bandwidth_rate,
    };
    go_json_resp(200, &body)
}

/// The leader and since when this member knows it: from the appends when
/// they agree with raft (the reference's figures), else from raft; the last
/// one seen while there is none.
fn leader_info(app: &App) -> (u64, SystemTime) {
    // The later of "this member sent appends" and "it received them".
    let sent = app.forwarder.network().stats().leader_seen();
    let seen = match (sent, app.peer.stats().leader_seen()) {
        (Some(a), Some(b)) => Some(if a.1 >= b.1 { a } else { b }),
        (a, b) => a.or(b),
    };
    match (app.leader(), seen) {
        (Some((id, _)), Some((seen_id, since))) if id == seen_id => (id, since),
        (Some(current), _) => current,
        (None, Some(last)) => last,
        (None, None) => (0, SystemTime::now()),
    }
}

/// `GET /v2/stats/leader`: 403 on any member but the leader.
pub(super) fn leader_stats(app: &App) -> Resp {
    if !app.is_leader() {
        let refusal = HttpErrorBody {
            message: "not current leader".into(),
        };
        return go_json_resp(403, &refusal);
    }
    let stats = app.forwarder.network().stats();
    let followers = app
        .peers()
        .into_iter()
        .map(|(id, _)| (ids::hex(id), follower_stats(stats.follower(id))))
        .collect();
    let body = LeaderStats {
        leader: ids::hex(app.member_id),
        followers,
    };
    go_json_resp(200, &body)
}

fn follower_stats(f: FollowerFigures) -> FollowerStats {
    let l = f.latency;
    FollowerStats {
        latency: LatencyStats {
            current: l.current,
            average: l.average,
            standard_deviation: l.standard_deviation,
            minimum: l.minimum,
            maximum: l.maximum,
        },
        counts: CountsStats {
            fail: f.fail,
            success: f.success,
        },
    }
}

fn rfc3339(t: SystemTime) -> String {
    let nanos = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    format_rfc3339_nano(nanos)
}

/// A JSON answer without a trailing newline, numbers written as Go does.
fn go_json_resp(status: u16, value: &impl Serialize) -> Resp {
    let mut body = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut body, GoJson);
    value
        .serialize(&mut ser)
        .expect("stats types always serialize");
    let mut r = with_status(status, full(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    r
}

/// Go's string escapes ([`GoFormatter`]) and Go's float format (the wire
/// types write integral floats as integers themselves; this writes the
/// others, which `etcd_client::json` leaves to serde_json).
struct GoJson;

impl Formatter for GoJson {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        GoFormatter.write_string_fragment(writer, fragment)
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        GoFormatter.write_char_escape(writer, char_escape)
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(go_float(value).as_bytes())
    }
}

/// A `float64` as Go's `encoding/json` writes it: the shortest digits that
/// read back the same, positional from 1e-6 up to 1e21, else with an
/// exponent (`1e-7`, `1e+21`). Go refuses NaN and infinities; they are `0`.
fn go_float(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let abs = x.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{x}");
    }
    let s = format!("{x:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_go_writes_them() {
        let cases = [
            (0.0, "0"),
            (3.0, "3"),
            (0.000431, "0.000431"),
            (0.00009, "0.00009"),
            (0.004216166666666667, "0.004216166666666667"),
            (353.44362527522304, "353.44362527522304"),
            ((1u64 << 63) as f64, "9223372036854776000"),
            (1e-7, "1e-7"),
            (1.5e-9, "1.5e-9"),
            (1e21, "1e+21"),
            (f64::NAN, "0"),
        ];
        for (x, want) in cases {
            assert_eq!(go_float(x), want, "{x:?}");
        }
    }

    fn go_json(value: &impl Serialize) -> String {
        let mut body = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut body, GoJson);
        value.serialize(&mut ser).unwrap();
        String::from_utf8(body).unwrap()
    }

    #[test]
    fn follower_json_matches_the_reference_shape() {
        assert_eq!(
            go_json(&follower_stats(FollowerFigures::default())),
            r#"{"latency":{"current":0,"average":0,"standardDeviation":0,"minimum":9223372036854776000,"maximum":0},"counts":{"fail":0,"success":0}}"#
        );
    }

    #[test]
    fn rates_are_written_as_go_writes_them_and_omitted_when_zero() {
        let body = SelfStats {
            send_append_request_cnt: 3,
            send_pkg_rate: 0.000005,
            send_bandwidth_rate: 1500.0,
            ..SelfStats::default()
        };
        let text = go_json(&body);
        assert!(
            text.ends_with(
                r#""recvAppendRequestCnt":0,"sendAppendRequestCnt":3,"sendPkgRate":0.000005,"sendBandwidthRate":1500}"#
            ),
            "{text}"
        );
    }
}
