//! Wire types of `/v2/stats/self` and `/v2/stats/leader` (store stats are [`StoreStats`]).

use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;

pub use crate::types::StoreStats;

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

/// Writes an `f64` the way Go's `encoding/json` does, in human-readable formats.
///
/// Go and serde_json pick the same shortest digits, but Go writes integral values
/// without a fraction or exponent: `0` (serde_json: `0.0`) and `9223372036854776000`
/// (serde_json: `9.223372036854776e18`), for |v| < 1e21. Other values are left to the
/// serializer, which matches Go except in [1e-6, 1e-5) (Go `0.000005`, serde_json
/// `5e-6`; a serde hook cannot write raw number text), for `-0` and for |v| ≥ 1e21
/// (Go `1e+21`). A `write_f64` in [`crate::json::GoFormatter`] would close those gaps.
fn go_f64<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    let v = *v;
    let negative_zero = v == 0.0 && v.is_sign_negative();
    let integral = v.is_finite() && v.fract() == 0.0 && v.abs() < 1e21 && !negative_zero;
    if integral && s.is_human_readable() {
        // `{:e}` gives the shortest round-trip digits, e.g. `9.223372036854776e18`.
        let sci = format!("{:e}", v.abs());
        if let Some((mantissa, exp)) = sci.split_once('e') {
            let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
            if let (Ok(mut n), Ok(exp)) = (digits.parse::<u128>(), exp.parse::<usize>()) {
                // An integral value never needs more digits than exp + 1.
                for _ in 0..(exp + 1).saturating_sub(digits.len()) {
                    n *= 10;
                }
                return if v < 0.0 {
                    s.serialize_i128(-(n as i128))
                } else {
                    s.serialize_u128(n)
                };
            }
        }
    }
    s.serialize_f64(v)
}

/// The raft role of a member, as `/v2/stats/self` names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RaftState {
    /// `StateFollower` (raft's zero value, hence the default).
    #[default]
    #[serde(rename = "StateFollower")]
    Follower,
    /// `StateCandidate`.
    #[serde(rename = "StateCandidate")]
    Candidate,
    /// `StateLeader`.
    #[serde(rename = "StateLeader")]
    Leader,
    /// `StatePreCandidate`.
    #[serde(rename = "StatePreCandidate")]
    PreCandidate,
}

/// The body of `/v2/stats/self`: this member's view of itself.
///
/// Wire (fields in this order, no trailing newline):
/// `{"name","id","state","startTime","leaderInfo":{..},"recvAppendRequestCnt",`
/// `"recvPkgRate"?,"recvBandwidthRate"?,"sendAppendRequestCnt","sendPkgRate"?,"sendBandwidthRate"?}`.
/// The four rates are omitted while 0: under load a follower sends only the `recv`
/// rates and the leader only the `send` rates.
///
/// `state` and `leaderInfo` change only when this member sees a new leader: a leader
/// that lost its quorum keeps reporting `StateLeader` and itself as leader (observed),
/// while `/v2/stats/leader` already answers 403.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfStats {
    /// Member name.
    pub name: String,
    /// Member id (unpadded hex).
    pub id: String,
    /// Raft role.
    pub state: RaftState,
    /// Process start, RFC 3339 with nanoseconds, UTC.
    pub start_time: String,
    /// The leader as this member last saw it.
    pub leader_info: LeaderInfo,
    /// Append requests received (as a follower).
    pub recv_append_request_cnt: u64,
    /// Append requests received per second; omitted when 0.
    #[serde(
        default,
        skip_serializing_if = "is_zero_f64",
        serialize_with = "go_f64"
    )]
    pub recv_pkg_rate: f64,
    /// Bytes received per second; omitted when 0.
    #[serde(
        default,
        skip_serializing_if = "is_zero_f64",
        serialize_with = "go_f64"
    )]
    pub recv_bandwidth_rate: f64,
    /// Append requests sent (as the leader).
    pub send_append_request_cnt: u64,
    /// Append requests sent per second; omitted when 0.
    #[serde(
        default,
        skip_serializing_if = "is_zero_f64",
        serialize_with = "go_f64"
    )]
    pub send_pkg_rate: f64,
    /// Bytes sent per second; omitted when 0.
    #[serde(
        default,
        skip_serializing_if = "is_zero_f64",
        serialize_with = "go_f64"
    )]
    pub send_bandwidth_rate: f64,
}

/// `leaderInfo` of [`SelfStats`]: `{"leader":"<id>","uptime":"..","startTime":".."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaderInfo {
    /// Id of the leader (unpadded hex).
    pub leader: String,
    /// Time since `start_time`, as a Go duration (`15m23.158308817s`).
    pub uptime: String,
    /// When this member first saw this leader, RFC 3339 with nanoseconds, UTC.
    pub start_time: String,
}

/// The body of `/v2/stats/leader`, served only by the leader (others: 403
/// `{"message":"not current leader"}`).
///
/// Wire: `{"leader":"<id>","followers":{"<id>":{"latency":{..},"counts":{..}},..}}`,
/// followers sorted by id (a Go map); a single node sends `"followers":{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeaderStats {
    /// Id of the leader (this member).
    pub leader: String,
    /// Per-follower replication stats, keyed by member id.
    #[serde(default)]
    pub followers: BTreeMap<String, FollowerStats>,
}

/// One entry of [`LeaderStats::followers`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FollowerStats {
    /// Round-trip times of append requests to this follower.
    pub latency: LatencyStats,
    /// Outcomes of append requests to this follower.
    pub counts: CountsStats,
}

/// `latency` of [`FollowerStats`], in seconds.
///
/// Before the first successful append (e.g. a member that was added but never
/// started) every field is `0` except `minimum`, which is 2^63 and sent as
/// `9223372036854776000` (observed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyStats {
    /// Latest round-trip time.
    #[serde(serialize_with = "go_f64")]
    pub current: f64,
    /// Mean round-trip time.
    #[serde(serialize_with = "go_f64")]
    pub average: f64,
    /// Standard deviation of the round-trip time.
    #[serde(serialize_with = "go_f64")]
    pub standard_deviation: f64,
    /// Fastest round trip.
    #[serde(serialize_with = "go_f64")]
    pub minimum: f64,
    /// Slowest round trip.
    #[serde(serialize_with = "go_f64")]
    pub maximum: f64,
}

/// `counts` of [`FollowerStats`]: `{"fail":N,"success":N}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountsStats {
    /// Failed append requests.
    pub fail: u64,
    /// Successful append requests.
    pub success: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn enc<T: Serialize>(v: &T) -> String {
        String::from_utf8(json::to_vec(v)).unwrap()
    }

    /// serde_json without its `float_roundtrip` feature may decode a float 1 ULP off,
    /// so decoded floats are compared with that tolerance; encoding starts from
    /// Rust literals, which are exact.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 2.0 * f64::EPSILON * b.abs()
    }

    fn leader_info(leader: &str, uptime: &str, start_time: &str) -> LeaderInfo {
        LeaderInfo {
            leader: leader.into(),
            uptime: uptime.into(),
            start_time: start_time.into(),
        }
    }

    fn latency(current: f64, average: f64, sd: f64, min: f64, max: f64) -> LatencyStats {
        LatencyStats {
            current,
            average,
            standard_deviation: sd,
            minimum: min,
            maximum: max,
        }
    }

    fn follower(latency: LatencyStats, success: u64) -> FollowerStats {
        let counts = CountsStats { fail: 0, success };
        FollowerStats { latency, counts }
    }

    fn assert_latency_close(a: &LatencyStats, b: &LatencyStats) {
        let pairs = [
            (a.current, b.current),
            (a.average, b.average),
            (a.standard_deviation, b.standard_deviation),
            (a.minimum, b.minimum),
            (a.maximum, b.maximum),
        ];
        for (x, y) in pairs {
            assert!(close(x, y), "{x} != {y}");
        }
    }

    const SELF_LEADER_IDLE: &str = r#"{"name":"n1","id":"d844dd3444b3f7f3","state":"StateLeader","startTime":"2026-11-21T05:10:30.90485616Z","leaderInfo":{"leader":"d844dd3444b3f7f3","uptime":"15m23.158308817s","startTime":"2026-11-21T05:10:31.807450137Z"},"recvAppendRequestCnt":0,"sendAppendRequestCnt":0}"#;
    const SELF_LEADER_LOAD: &str = r#"{"name":"r3","id":"7207f171bfb486ea","state":"StateLeader","startTime":"2026-11-21T08:24:04.659599285Z","leaderInfo":{"leader":"7207f171bfb486ea","uptime":"18.937663036s","startTime":"2026-11-21T08:24:04.861613851Z"},"recvAppendRequestCnt":0,"sendAppendRequestCnt":51,"sendPkgRate":2.6871809999592235,"sendBandwidthRate":211.63366037516695}"#;
    const SELF_FOLLOWER_LOAD: &str = r#"{"name":"r2","id":"662a89a340a6ed77","state":"StateFollower","startTime":"2026-11-21T08:24:04.660850225Z","leaderInfo":{"leader":"7207f171bfb486ea","uptime":"18.943770294s","startTime":"2026-11-21T08:24:04.863923627Z"},"recvAppendRequestCnt":31,"recvPkgRate":1.7430639471954785,"recvBandwidthRate":134.43380692745126,"sendAppendRequestCnt":0}"#;

    #[test]
    fn self_stats_idle_leader() {
        let s: SelfStats = serde_json::from_str(SELF_LEADER_IDLE).unwrap();
        let want = SelfStats {
            name: "n1".into(),
            id: "d844dd3444b3f7f3".into(),
            state: RaftState::Leader,
            start_time: "2026-11-21T05:10:30.90485616Z".into(),
            leader_info: leader_info(
                "d844dd3444b3f7f3",
                "15m23.158308817s",
                "2026-11-21T05:10:31.807450137Z",
            ),
            ..SelfStats::default()
        };
        assert_eq!(s, want);
        assert_eq!(enc(&want), SELF_LEADER_IDLE);
    }

    #[test]
    fn self_stats_leader_sends_only_send_rates() {
        let s: SelfStats = serde_json::from_str(SELF_LEADER_LOAD).unwrap();
        assert_eq!(s.state, RaftState::Leader);
        assert_eq!(
            (s.recv_append_request_cnt, s.send_append_request_cnt),
            (0, 51)
        );
        assert!(close(s.send_pkg_rate, 2.6871809999592235));
        assert!(close(s.send_bandwidth_rate, 211.63366037516695));
        assert_eq!((s.recv_pkg_rate, s.recv_bandwidth_rate), (0.0, 0.0));
        let want = SelfStats {
            send_pkg_rate: 2.6871809999592235,
            send_bandwidth_rate: 211.63366037516695,
            ..s
        };
        assert_eq!(enc(&want), SELF_LEADER_LOAD);
    }

    #[test]
    fn self_stats_follower_sends_only_recv_rates() {
        let s: SelfStats = serde_json::from_str(SELF_FOLLOWER_LOAD).unwrap();
        assert_eq!(s.state, RaftState::Follower);
        assert_eq!(s.name, "r2");
        assert_eq!(s.leader_info.leader, "7207f171bfb486ea");
        assert_eq!(s.leader_info.uptime, "18.943770294s");
        assert_eq!(s.recv_append_request_cnt, 31);
        assert!(close(s.recv_pkg_rate, 1.7430639471954785));
        assert!(close(s.recv_bandwidth_rate, 134.43380692745126));
        assert_eq!((s.send_pkg_rate, s.send_bandwidth_rate), (0.0, 0.0));
        let want = SelfStats {
            recv_pkg_rate: 1.7430639471954785,
            recv_bandwidth_rate: 134.43380692745126,
            ..s
        };
        assert_eq!(enc(&want), SELF_FOLLOWER_LOAD);
    }

    #[test]
    fn raft_state_names() {
        for (state, name) in [
            (RaftState::Follower, "\"StateFollower\""),
            (RaftState::Candidate, "\"StateCandidate\""),
            (RaftState::Leader, "\"StateLeader\""),
            (RaftState::PreCandidate, "\"StatePreCandidate\""),
        ] {
            assert_eq!(enc(&state), name);
            assert_eq!(serde_json::from_str::<RaftState>(name).unwrap(), state);
        }
        assert!(serde_json::from_str::<RaftState>("\"leader\"").is_err());
    }

    #[test]
    fn leader_stats_single_node() {
        let body = r#"{"leader":"d844dd3444b3f7f3","followers":{}}"#;
        let s: LeaderStats = serde_json::from_str(body).unwrap();
        assert_eq!(s.leader, "d844dd3444b3f7f3");
        assert!(s.followers.is_empty());
        assert_eq!(enc(&s), body);
    }

    #[test]
    fn leader_stats_three_nodes() {
        let body = r#"{"leader":"c92c4c35a19fb462","followers":{"70a3c1decd07e820":{"latency":{"current":0.000431,"average":0.004216166666666667,"standardDeviation":0.003100237862738206,"minimum":0.00043,"maximum":0.008613},"counts":{"fail":0,"success":6}},"a24c000d620e83d6":{"latency":{"current":0.000281,"average":0.0019363333333333333,"standardDeviation":0.001813515891545726,"minimum":0.000281,"maximum":0.005368},"counts":{"fail":0,"success":6}}}}"#;
        let want = LeaderStats {
            leader: "c92c4c35a19fb462".into(),
            followers: BTreeMap::from([
                (
                    "a24c000d620e83d6".to_string(),
                    follower(
                        latency(
                            0.000281,
                            0.0019363333333333333,
                            0.001813515891545726,
                            0.000281,
                            0.005368,
                        ),
                        6,
                    ),
                ),
                (
                    "70a3c1decd07e820".to_string(),
                    follower(
                        latency(
                            0.000431,
                            0.004216166666666667,
                            0.003100237862738206,
                            0.00043,
                            0.008613,
                        ),
                        6,
                    ),
                ),
            ]),
        };
        // Followers are written sorted by id, as Go writes a map.
        assert_eq!(enc(&want), body);
        let s: LeaderStats = serde_json::from_str(body).unwrap();
        assert_eq!(s.leader, want.leader);
        assert_eq!(s.followers.len(), 2);
        for (id, f) in &want.followers {
            assert_eq!(s.followers[id].counts, f.counts);
            assert_latency_close(&s.followers[id].latency, &f.latency);
        }
    }

    #[test]
    fn leader_stats_unstarted_follower() {
        // Observed from etcd 3.4.23 right after `etcdctl member add` of a member
        // that never started: zeros are bare `0`, `minimum` is 2^63 in Go's format.
        let body = r#"{"leader":"7207f171bfb486ea","followers":{"a2817b90c7ed4f80":{"latency":{"current":0,"average":0,"standardDeviation":0,"minimum":9223372036854776000,"maximum":0},"counts":{"fail":0,"success":0}}}}"#;
        let s: LeaderStats = serde_json::from_str(body).unwrap();
        let f = &s.followers["a2817b90c7ed4f80"];
        assert_eq!(
            f.latency,
            latency(0.0, 0.0, 0.0, 9223372036854775808.0, 0.0)
        );
        assert_eq!(f.counts, CountsStats::default());
        assert_eq!(enc(&s), body);
    }

    #[test]
    fn go_float_format() {
        let cases: [(f64, &str); 10] = [
            (0.0, "0"),
            (7.0, "7"),
            (-3.0, "-3"),
            (1e16, "10000000000000000"),
            (1e20, "100000000000000000000"),
            (0.5, "0.5"),
            (0.00001, "0.00001"),
            (0.000531, "0.000531"),
            (2.5e-7, "2.5e-7"),
            (9223372036854775808.0, "9223372036854776000"),
        ];
        for (v, want) in cases {
            let got = enc(&latency(v, 0.0, 0.0, 0.0, 0.0));
            let want = format!(
                r#"{{"current":{want},"average":0,"standardDeviation":0,"minimum":0,"maximum":0}}"#
            );
            assert_eq!(got, want, "{v}");
            let back: LatencyStats = serde_json::from_str(&got).unwrap();
            assert!(close(back.current, v), "{v}");
        }
    }

    #[test]
    fn store_stats_is_the_keys_type() {
        let body = r#"{"getsSuccess":2,"getsFail":3,"setsSuccess":4,"setsFail":0,"deleteSuccess":0,"deleteFail":0,"updateSuccess":0,"updateFail":0,"createSuccess":3,"createFail":0,"compareAndSwapSuccess":0,"compareAndSwapFail":0,"compareAndDeleteSuccess":0,"compareAndDeleteFail":0,"expireCount":0,"watchers":0}"#;
        let s: StoreStats = serde_json::from_str(body).unwrap();
        assert_eq!((s.gets_success, s.gets_fail, s.sets_success), (2, 3, 4));
        assert_eq!(s.create_success, 3);
        assert_eq!(enc(&s), body);
    }
}
