//! Three members of our server under faults: a member of another cluster
//! (another `--initial-cluster-token`) is refused, a minority cut off from
//! the majority acknowledges nothing, and the stats show the peer traffic
//! (compared with the reference's shapes when it is installed).

use crate::util::{
    form, member_id, metric_value, raw, reference_etcd, start_cluster, start_cluster_of,
    workspace_bin, Raw, Server,
};
use serde_json::Value;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// What the reference answers a write or quorum read raft cannot complete.
const TIMED_OUT: &str = "{\"errorCode\":300,\"message\":\"Raft Internal Error\",\"cause\":\"etcdserver: request timed out\",\"index\":0}\n";

/// `kill -STOP`: a stopped member keeps its sockets open but answers
/// nothing, like one cut off by a partition.
fn pause(m: &Server) {
    assert!(m.signal("-STOP"), "kill -STOP {}", m.name);
}

fn resume(m: &Server) {
    assert!(m.signal("-CONT"), "kill -CONT {}", m.name);
}

fn json(r: &Raw) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.text()))
}

fn get(m: &Server, target: &str) -> Raw {
    raw(&m.addr(), "GET", target, &[], b"")
}

/// Polls `check` until it holds, failing with `what` after [`DEADLINE`].
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    wait_until(what, || if check() { Ok(()) } else { Err(String::new()) });
}

/// Polls `check` until it is `Ok`, failing with `what` and the last error
/// after [`DEADLINE`].
fn wait_until(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let start = Instant::now();
    loop {
        let last = match check() {
            Ok(()) => return,
            Err(e) => e,
        };
        assert!(
            start.elapsed() < DEADLINE,
            "no {what} within {DEADLINE:?}: {last}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The index of the member every running member names as leader.
fn leader_index(members: &[Server]) -> usize {
    let mut found = None;
    wait_for("single leader named by every member", || {
        let named: Vec<Option<String>> = members
            .iter()
            .map(|m| {
                let r = get(m, "/v2/members/leader");
                (r.status == 200).then(|| json(&r)["name"].as_str().unwrap_or("").to_owned())
            })
            .collect();
        found = named[0]
            .as_ref()
            .filter(|n| named.iter().all(|x| x.as_ref() == Some(n)))
            .and_then(|n| members.iter().position(|m| &m.name == n));
        found.is_some()
    });
    found.expect("leader")
}

/// Writes `value` at `key` through `m`, retrying while the cluster elects.
fn put(m: &Server, key: &str, value: &str) {
    let target = format!("/v2/keys{key}");
    wait_until(&format!("write of {key} through {}", m.name), || {
        let r = form(&m.addr(), "PUT", &target, &format!("value={value}"));
        match r.status {
            200 | 201 => Ok(()),
            _ => Err(format!("{} {}", r.status, r.text())),
        }
    });
}

#[test]
fn a_member_of_another_cluster_is_refused() {
    let members = start_cluster(3);
    let ours = get(&members[0], "/v2/members")
        .header("X-Etcd-Cluster-Id")
        .expect("cluster id")
        .to_owned();
    // Same peers, another token: other member ids, another cluster id.
    let mut intruder = Server::unstarted("intruder");
    let mut initial: Vec<String> = members
        .iter()
        .map(|m| format!("{}={}", m.name, m.peer_url()))
        .collect();
    initial.push(format!("intruder={}", intruder.peer_url()));
    intruder.extra = vec![
        "--initial-cluster".into(),
        initial.join(","),
        "--initial-cluster-token".into(),
        "another-cluster".into(),
    ];
    intruder.launch_unready();
    // It logs one refusal per peer; each peer logs the mismatch it refused.
    let mut theirs = String::new();
    wait_for("refusal of the intruder by every peer", || {
        let log = intruder.log();
        // "starting member <id> in cluster <id>"
        theirs = log
            .lines()
            .find(|l| l.contains("starting member"))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or("")
            .to_owned();
        log.lines()
            .filter(|l| l.contains("cluster ID mismatch") && l.contains(&ours))
            .count()
            >= members.len()
    });
    assert_ne!(theirs, ours);
    let want = format!("request cluster ID mismatch (got {theirs} want {ours})");
    wait_for("mismatch logged by every member", || {
        members.iter().all(|m| m.log().contains(&want))
    });
    for line in intruder
        .log()
        .lines()
        .filter(|l| l.contains("cluster ID mismatch"))
    {
        assert!(line.contains(&theirs), "{line}");
    }
    // It never joins: the cluster is unchanged and works, the intruder
    // never serves.
    put(&members[1], "/faults/after-intruder", "ok");
    let list = get(&members[2], "/v2/members").text();
    assert_eq!(list.matches("\"id\"").count(), 3, "{list}");
    assert!(!list.contains("intruder"), "{list}");
    assert!(!list.contains(&intruder.peer_url()), "{list}");
    let log = intruder.log();
    assert!(!log.contains("ready to serve client requests"), "{log}");
    assert!(intruder.is_running());
}

/// What each member said of raft just before the pause (for failure
/// messages): its term and index, and the leader it named.
fn views(members: &[Server]) -> String {
    let said: Vec<String> = members
        .iter()
        .map(|m| {
            let r = get(m, "/v2/keys/faults/before");
            let leader = get(m, "/v2/members/leader");
            format!(
                "{}: term {:?} index {:?} leader {} {}",
                m.name,
                r.header("X-Raft-Term"),
                r.header("X-Raft-Index"),
                leader.status,
                leader.text()
            )
        })
        .collect();
    said.join("; ")
}

/// Writes through `m` while the majority is paused: every one must fail
/// with the reference's timeout error; nothing is acknowledged. `seen` is
/// what the members said before the pause.
fn writes_time_out(m: &Server, keys: &[&str], seen: &str) {
    let started = Instant::now();
    let answers: Vec<Raw> = std::thread::scope(|s| {
        let handles: Vec<_> = keys
            .iter()
            .map(|key| {
                let addr = m.addr();
                s.spawn(move || form(&addr, "PUT", &format!("/v2/keys{key}"), "value=lost"))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &answers {
        assert_eq!(
            r.status,
            500,
            "{} (through {}; before the pause: {seen})",
            r.text(),
            m.name
        );
        assert_eq!(r.text(), TIMED_OUT);
        assert_eq!(r.header("X-Etcd-Index"), Some("0"));
    }
    // The request timeout is 5 s + 2 × the 500 ms election timeout.
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(5), "{waited:?}");
    // /metrics counts them as the reference does: failed proposals and
    // failed PUTs with the status they got, none pending any more.
    let text = get(m, "/metrics").text();
    let value = |series: &str| {
        metric_value(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    };
    let timed_out = keys.len() as f64;
    assert!(value("etcd_server_proposals_failed_total") >= timed_out);
    assert!(value("etcd_http_failed_total{method=\"PUT\",code=\"500\"}") >= timed_out);
    assert_eq!(value("etcd_server_proposals_pending"), 0.0);
    let started = Instant::now();
    let r = get(m, "/v2/keys/faults/before?quorum=true");
    assert_eq!((r.status, r.text().as_str()), (500, TIMED_OUT));
    eprintln!(
        "writes answered after {waited:?}, the quorum read after {:?}",
        started.elapsed()
    );
    // Plain reads are served locally.
    let r = get(m, "/v2/keys/faults/before");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(get(m, "/v2/stats/self").status, 200);
}

/// After the majority is back, the cluster writes again; each timed-out
/// write is indeterminate: absent, or present with the value it carried.
fn recovers(members: &[Server], keys: &[&str]) {
    let started = Instant::now();
    for m in members {
        put(m, &format!("/faults/recovered-{}", m.name), "yes");
    }
    for key in keys {
        let r = get(&members[0], &format!("/v2/keys{key}?quorum=true"));
        match r.status {
            404 => {}
            200 => assert_eq!(json(&r)["node"]["value"], "lost", "{}", r.text()),
            _ => panic!("{key}: {} {}", r.status, r.text()),
        }
    }
    eprintln!("recovered in {:?}", started.elapsed());
}

#[test]
fn a_minority_acknowledges_nothing() {
    let fast = ["--election-timeout", "500", "--heartbeat-interval", "50"];
    let members = start_cluster_of(workspace_bin("etcd-server"), 3, &fast);
    put(&members[0], "/faults/before", "1");
    // The leader alone: it still leads but cannot commit.
    let leader = leader_index(&members);
    let followers: Vec<&Server> = (1..3).map(|d| &members[(leader + d) % 3]).collect();
    let seen = views(&members);
    for f in &followers {
        pause(f);
    }
    let keys = ["/faults/l1", "/faults/l2"];
    writes_time_out(&members[leader], &keys, &seen);
    for f in &followers {
        resume(f);
    }
    recovers(&members, &keys);
    // A follower alone: its leader is gone with the majority.
    let leader = leader_index(&members);
    let alone = &members[(leader + 1) % 3];
    let paused: Vec<&Server> = members.iter().filter(|m| m.name != alone.name).collect();
    let seen = views(&members);
    for m in &paused {
        pause(m);
    }
    let keys = ["/faults/f1", "/faults/f2"];
    writes_time_out(alone, &keys, &seen);
    for m in &paused {
        resume(m);
    }
    recovers(&members, &keys);
}

fn assert_json(r: &Raw) {
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert!(!r.text().ends_with('\n'), "{}", r.text());
}

/// Keys of a JSON object in the order the server wrote them.
fn keys_in_order(text: &str, keys: &[&str]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = keys
        .iter()
        .filter_map(|k| text.find(&format!("\"{k}\":")).map(|i| (i, k.to_string())))
        .collect();
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

const SELF_KEYS: [&str; 11] = [
    "name",
    "id",
    "state",
    "startTime",
    "leaderInfo",
    "recvAppendRequestCnt",
    "recvPkgRate",
    "recvBandwidthRate",
    "sendAppendRequestCnt",
    "sendPkgRate",
    "sendBandwidthRate",
];

/// The fields of a follower in `/v2/stats/leader`.
const FOLLOWER_KEYS: [&str; 7] = [
    "current",
    "average",
    "standardDeviation",
    "minimum",
    "maximum",
    "fail",
    "success",
];

/// `/v2/stats/self` and `/v2/stats/leader` of a cluster that just took a few
/// writes, as `(leader self, follower self, leader stats, follower answer)`.
fn stats_after_writes(members: &[Server]) -> (Raw, Raw, Raw, Raw) {
    for i in 0..10 {
        put(&members[i % 3], &format!("/stats/k{i}"), "v");
    }
    let leader = &members[leader_index(members)];
    let follower = members.iter().find(|m| m.name != leader.name).unwrap();
    (
        get(leader, "/v2/stats/self"),
        get(follower, "/v2/stats/self"),
        get(leader, "/v2/stats/leader"),
        get(follower, "/v2/stats/leader"),
    )
}

#[test]
fn stats_show_the_peer_traffic() {
    let members = start_cluster(3);
    let (leader_self, _, leader_stats, _) = stats_after_writes(&members);
    let leader = &members[leader_index(&members)];
    let leader_id = member_id(&members[0], &leader.name);
    for r in [&leader_self, &leader_stats] {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_json(r);
    }
    let stats = json(&leader_stats);
    assert_eq!(stats["leader"], leader_id.as_str());
    let followers = stats["followers"].as_object().expect("followers");
    let mut want: Vec<String> = members
        .iter()
        .filter(|m| m.name != leader.name)
        .map(|m| member_id(&members[0], &m.name))
        .collect();
    want.sort();
    assert_eq!(followers.keys().cloned().collect::<Vec<_>>(), want);
    for (id, f) in followers {
        assert!(f["counts"]["success"].as_u64().unwrap() > 0, "{id}: {f}");
        assert!(f["counts"]["fail"].as_u64().is_some(), "{id}: {f}");
        let l = |k: &str| f["latency"][k].as_f64().unwrap();
        let (cur, avg, sd, min, max) = (
            l("current"),
            l("average"),
            l("standardDeviation"),
            l("minimum"),
            l("maximum"),
        );
        // Milliseconds of a loopback round trip.
        assert!(
            0.0 < min && min <= avg && avg <= max && max < 10_000.0,
            "{f}"
        );
        assert!(min <= cur && cur <= max && sd >= 0.0, "{f}");
    }
    for m in &members {
        let r = get(m, "/v2/stats/self");
        assert_json(&r);
        let s = json(&r);
        assert_eq!(s["name"], m.name.as_str());
        assert_eq!(s["id"], member_id(&members[0], &m.name).as_str());
        assert_eq!(s["leaderInfo"]["leader"], leader_id.as_str(), "{s}");
        if m.name == leader.name {
            assert_eq!(s["state"], "StateLeader");
            assert!(s["sendAppendRequestCnt"].as_u64().unwrap() > 0, "{s}");
        } else {
            assert_eq!(s["state"], "StateFollower");
            assert!(s["recvAppendRequestCnt"].as_u64().unwrap() > 0, "{s}");
            let r = get(m, "/v2/stats/leader");
            assert_eq!(r.status, 403);
            assert_eq!(r.text(), r#"{"message":"not current leader"}"#);
            assert_json(&r);
            assert_eq!(r.header("X-Etcd-Cluster-Id"), None);
        }
    }
    // Rates are shown while appends flow and omitted soon after they stop
    // (heartbeats are not append requests).
    wait_for("send rate on the leader under writes", || {
        put(leader, "/stats/rate", "v");
        json(&get(leader, "/v2/stats/self"))["sendPkgRate"].as_f64() > Some(0.0)
    });
    wait_for("end of the rates once idle", || {
        let text = get(leader, "/v2/stats/self").text();
        !text.contains("Rate\"")
    });
}

#[test]
fn stats_have_the_reference_shapes() {
    let Some(etcd) = reference_etcd() else {
        eprintln!("skipped: the reference etcd is not installed");
        return;
    };
    let ours = start_cluster(3);
    let reference = start_cluster_of(etcd, 3, &[]);
    let (o_leader, o_follower, o_stats, o_refusal) = stats_after_writes(&ours);
    let (r_leader, r_follower, r_stats, r_refusal) = stats_after_writes(&reference);
    // The rate fields come and go with recent traffic (which member led in the
    // last second is timing), so the shapes are compared without them; their
    // order among the other fields is checked against the reference's list.
    let steady = |keys: Vec<String>| -> Vec<String> {
        keys.into_iter().filter(|k| !k.ends_with("Rate")).collect()
    };
    for o in [&o_leader, &o_follower] {
        let present = keys_in_order(&o.text(), &SELF_KEYS);
        let expected: Vec<String> = SELF_KEYS
            .iter()
            .filter(|k| present.iter().any(|p| p == *k))
            .map(|k| k.to_string())
            .collect();
        assert_eq!(present, expected, "field order: {}", o.text());
    }
    for (o, r) in [(&o_leader, &r_leader), (&o_follower, &r_follower)] {
        assert_eq!(
            steady(keys_in_order(&o.text(), &SELF_KEYS)),
            steady(keys_in_order(&r.text(), &SELF_KEYS)),
            "\nours: {}\nreference: {}",
            o.text(),
            r.text()
        );
        let (o, r) = (json(o), json(r));
        let keys = |v: &Value| -> Vec<String> {
            v["leaderInfo"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(keys(&o), keys(&r), "{o} / {r}");
        assert_eq!(o["state"], r["state"]);
    }
    let shape = |v: &Value| -> Vec<String> {
        let f = v["followers"].as_object().unwrap();
        assert_eq!(f.len(), 2, "{v}");
        let one = f.values().next().unwrap();
        let mut keys: Vec<String> = one["latency"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.extend(one["counts"].as_object().unwrap().keys().cloned());
        keys
    };
    assert_eq!(shape(&json(&o_stats)), shape(&json(&r_stats)));
    assert_eq!(
        keys_in_order(&o_stats.text(), &FOLLOWER_KEYS),
        keys_in_order(&r_stats.text(), &FOLLOWER_KEYS)
    );
    assert_eq!(
        (
            o_refusal.status,
            o_refusal.text(),
            o_refusal.header("Content-Type")
        ),
        (
            r_refusal.status,
            r_refusal.text(),
            r_refusal.header("Content-Type")
        )
    );
}
