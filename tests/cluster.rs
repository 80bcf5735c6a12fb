//! Three members of our server on loopback: any member answers any request,
//! the cluster survives the loss of its leader and full restarts, and a
//! restarted member catches up.

use crate::util::{
    form, member_id, metric_value, raw, reference_etcd, restart_all, start_cluster,
    start_cluster_of, workspace_bin, Server,
};
use std::process::Command;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

fn leader_index(members: &[Server]) -> usize {
    let start = Instant::now();
    loop {
        for m in members.iter().filter(|m| m.is_running()) {
            let r = raw(&m.addr(), "GET", "/v2/members/leader", &[], b"");
            if r.status == 200 {
                let text = r.text();
                if let Some(i) = members
                    .iter()
                    .position(|x| text.contains(&format!("\"name\":\"{}\"", x.name)))
                {
                    return i;
                }
            }
        }
        assert!(start.elapsed() < DEADLINE, "no leader within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes `value` at `key` through `m`, retrying while the cluster elects.
fn put(m: &Server, key: &str, value: &str) -> String {
    let start = Instant::now();
    loop {
        let r = form(
            &m.addr(),
            "PUT",
            &format!("/v2/keys{key}"),
            &format!("value={value}"),
        );
        if r.status == 200 || r.status == 201 {
            return r.text();
        }
        assert!(
            start.elapsed() < DEADLINE,
            "write {key} through {} kept failing: {} {}",
            m.name,
            r.status,
            r.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls a plain (local) read on `m` until it shows `value`.
fn wait_value(m: &Server, key: &str, value: &str) {
    let start = Instant::now();
    let want = format!("\"value\":\"{value}\"");
    loop {
        let r = raw(&m.addr(), "GET", &format!("/v2/keys{key}"), &[], b"");
        if r.text().contains(&want) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{} never showed {key}={value}: {}",
            m.name,
            r.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_member_answers_every_request() {
    let members = start_cluster(3);
    // Three members' records and the cluster version come first, as in the
    // reference: the first write gets index 8.
    let first = put(&members[1], "/c/first", "1");
    assert!(first.contains("\"modifiedIndex\":8"), "{first}");
    for (i, m) in members.iter().enumerate() {
        let text = put(m, &format!("/c/k{i}"), &format!("v{i}"));
        assert!(text.contains("\"action\":\"set\""), "{text}");
        for other in &members {
            let r = raw(
                &other.addr(),
                "GET",
                &format!("/v2/keys/c/k{i}?quorum=true"),
                &[],
                b"",
            );
            assert_eq!(r.status, 200, "quorum read on {}: {}", other.name, r.text());
            assert!(
                r.text().contains(&format!("\"value\":\"v{i}\"")),
                "{}",
                r.text()
            );
        }
    }
    // A watch on a follower sees a write made through another member.
    let leader = leader_index(&members);
    let follower = (leader + 1) % 3;
    let writer = (leader + 2) % 3;
    let addr = members[follower].addr();
    let waiter = std::thread::spawn(move || raw(&addr, "GET", "/v2/keys/c/w?wait=true", &[], b""));
    std::thread::sleep(Duration::from_millis(200));
    put(&members[writer], "/c/w", "seen");
    let event = waiter.join().expect("watch thread");
    assert!(
        event.text().contains("\"value\":\"seen\""),
        "{}",
        event.text()
    );
    let list = raw(&members[0].addr(), "GET", "/v2/members", &[], b"").text();
    for m in &members {
        assert!(list.contains(&format!("\"name\":\"{}\"", m.name)), "{list}");
    }
    // `/debug/vars`: the leader lists the progress of all three voters, a
    // follower none.
    let status = |m: &Server| {
        let text = raw(&m.addr(), "GET", "/debug/vars", &[], b"").text();
        let vars: serde_json::Value = serde_json::from_str(&text).expect("json");
        vars["raft.status"].clone()
    };
    let on_leader = status(&members[leader]);
    assert_eq!(on_leader["raftState"], "StateLeader", "{on_leader}");
    assert_eq!(
        on_leader["progress"].as_object().map(|p| p.len()),
        Some(3),
        "{on_leader}"
    );
    let on_follower = status(&members[follower]);
    assert_eq!(on_follower["raftState"], "StateFollower", "{on_follower}");
    assert_eq!(on_follower["lead"], on_leader["id"], "{on_follower}");
    assert_eq!(
        on_follower["progress"],
        serde_json::json!({}),
        "{on_follower}"
    );
    if reference_etcd().is_some() {
        let endpoints: Vec<String> = members.iter().map(Server::url).collect();
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "2")
            .args(["--endpoints", &endpoints.join(","), "cluster-health"])
            .output()
            .expect("run etcdctl");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        let healthy = text
            .lines()
            .filter(|l| l.starts_with("member ") && l.contains(" is healthy: "))
            .count();
        assert_eq!(healthy, 3, "{text}");
        assert!(text.ends_with("cluster is healthy\n"), "{text}");
    } else {
        eprintln!("skipped the reference etcdctl part: not installed");
    }
}

/// The value of the `/metrics` sample `series` (name and labels) on `m`.
fn metric(m: &Server, series: &str) -> Option<f64> {
    metric_value(&raw(&m.addr(), "GET", "/metrics", &[], b"").text(), series)
}

#[test]
fn leader_loss_elects_a_new_leader_and_loses_nothing() {
    let mut members = start_cluster(3);
    for i in 0..20 {
        put(&members[i % 3], &format!("/f/k{i}"), &i.to_string());
    }
    let old = leader_index(&members);
    // /metrics shows the leader's raft traffic to each follower, as the
    // reference's peer families do.
    let ids: Vec<String> = members
        .iter()
        .map(|m| member_id(&members[old], &m.name))
        .collect();
    for (i, m) in members.iter().enumerate().filter(|(i, _)| *i != old) {
        let sent = format!("etcd_network_peer_sent_bytes_total{{To=\"{}\"}}", ids[i]);
        assert!(
            metric(&members[old], &sent).is_some_and(|n| n > 0.0),
            "{sent}"
        );
        let got = format!(
            "etcd_network_peer_received_bytes_total{{From=\"{}\"}}",
            ids[old]
        );
        assert!(
            metric(m, &got).is_some_and(|n| n > 0.0),
            "{got} on {}",
            m.name
        );
    }
    members[old].kill9();
    let survivor = (old + 1) % 3;
    let start = Instant::now();
    put(&members[survivor], "/f/after", "yes");
    eprintln!("first write after the leader's kill: {:?}", start.elapsed());
    let new = leader_index(&members);
    assert_ne!(new, old);
    // The new leader's requests to the killed member fail, and count.
    let failures = format!(
        "etcd_network_peer_sent_failures_total{{To=\"{}\"}}",
        ids[old]
    );
    let start = Instant::now();
    while metric(&members[new], &failures).is_none_or(|n| n == 0.0) {
        assert!(
            start.elapsed() < DEADLINE,
            "no {failures} on the new leader"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The killed member comes back and catches up with what it missed.
    members[old].restart();
    wait_value(&members[old], "/f/after", "yes");
    for m in &members {
        for i in 0..20 {
            wait_value(m, &format!("/f/k{i}"), &i.to_string());
        }
    }
    // Every member down at once, then up again: every acknowledged write stays.
    restart_all(&mut members);
    for m in &members {
        wait_value(m, "/f/after", "yes");
        wait_value(m, "/f/k19", "19");
    }
    put(&members[2], "/f/final", "ok");
}

#[test]
fn a_member_that_missed_more_than_the_kept_log_catches_up_by_snapshot() {
    // Snapshots every 100 entries; the leader keeps 1000 entries after one,
    // so a member that misses more than that needs a snapshot install.
    let binary = workspace_bin("etcd-server");
    let mut members = start_cluster_of(binary, 3, &["--snapshot-count", "100"]);
    let leader = leader_index(&members);
    let down = (leader + 1) % 3;
    let writer = (leader + 2) % 3;
    members[down].kill9();
    let addr = members[writer].addr();
    let mut conn = crate::util::Conn::new(&addr);
    // Well past the 1000 entries kept after a snapshot, so the log it needs
    // is purged even while the newest snapshot is still being built.
    for i in 0..2500 {
        let r = conn
            .form(
                "PUT",
                &format!("/v2/keys/s/k{}", i % 50),
                &format!("value={i}"),
            )
            .expect("write");
        assert!(r.status == 200 || r.status == 201, "{}", r.text());
    }
    put(&members[writer], "/s/last", "done");
    members[down].restart();
    wait_value(&members[down], "/s/last", "done");
    wait_value(&members[down], "/s/k49", "2499");
    // It got there through a snapshot the leader sent, not by replaying the log.
    let log = members[down].log();
    assert!(log.contains("installed a snapshot"), "{log}");
}

#[test]
fn five_members_survive_two_failures() {
    let mut members = start_cluster(5);
    put(&members[0], "/five/a", "1");
    let leader = leader_index(&members);
    members[leader].kill9();
    let other = (leader + 1) % 5;
    members[other].kill9();
    let alive: Vec<usize> = (0..5).filter(|i| *i != leader && *i != other).collect();
    put(&members[alive[0]], "/five/b", "2");
    for &i in &alive {
        wait_value(&members[i], "/five/b", "2");
        let r = raw(
            &members[i].addr(),
            "GET",
            "/v2/keys/five/a?quorum=true",
            &[],
            b"",
        );
        assert!(r.text().contains("\"value\":\"1\""), "{}", r.text());
    }
    members[leader].restart();
    wait_value(&members[leader], "/five/b", "2");
}

#[test]
fn the_reference_etcdctl_changes_our_membership() {
    if reference_etcd().is_none() {
        eprintln!("skipped: the reference etcdctl is not installed");
        return;
    }
    let members = start_cluster(3);
    let endpoints: Vec<String> = members.iter().map(Server::url).collect();
    let ctl = |args: &[&str]| {
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "2")
            .arg("--endpoints")
            .arg(endpoints.join(","))
            .args(args)
            .output()
            .expect("etcdctl");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code(),
        )
    };
    let ghost = format!("http://127.0.0.1:{}", crate::util::free_port());
    let (out, err, code) = ctl(&["member", "add", "ghost", &ghost]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.starts_with("Added member named ghost with ID "),
        "{out}"
    );
    assert!(
        out.contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\""),
        "{out}"
    );
    assert!(out.contains(&format!("ghost={ghost}")), "{out}");
    let (out, _, _) = ctl(&["member", "list"]);
    let line = out
        .lines()
        .find(|l| l.contains("[unstarted]"))
        .unwrap_or_else(|| panic!("no unstarted member: {out}"));
    let id = line.split('[').next().expect("id").to_owned();
    // Four members, one of them a learner that never starts: still healthy
    // for writes (the reference's cluster would have lost its quorum margin).
    put(&members[0], "/ref/after-add", "ok");
    let (out, err, code) = ctl(&["member", "remove", &id]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out, format!("Removed member {id} from cluster\n"));
    let (out, _, code) = ctl(&["cluster-health"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.ends_with("cluster is healthy\n"), "{out}");
}

/// Every member asks the others for their time on the peer listener, as the
/// reference's members do, and charts the round trips in
/// `etcd_network_peer_round_trip_time_seconds{To}` (first after 5 s).
#[test]
fn members_probe_each_other_and_chart_the_round_trips() {
    let members = start_cluster(3);
    let peer = format!("127.0.0.1:{}", members[0].peer_port);
    for method in ["GET", "POST"] {
        let r = raw(&peer, method, "/raft/probing", &[], b"");
        assert_eq!(r.status, 200, "{method}: {}", r.text());
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.header("X-Etcd-Cluster-Id"), None);
        let text = r.text();
        let now = text
            .strip_prefix("{\"OK\":true,\"Now\":\"")
            .and_then(|t| t.strip_suffix("\"}\n"))
            .unwrap_or_else(|| panic!("not a probing answer: {text:?}"));
        let then = etcd_client::time::parse_rfc3339(now).expect("an RFC 3339 time");
        let here = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        assert!(
            (here - then).abs() < 10_000_000_000,
            "{now} is far from now"
        );
    }
    assert_eq!(raw(&peer, "GET", "/raft/probing/x", &[], b"").status, 404);

    let ids: Vec<String> = members
        .iter()
        .map(|m| member_id(&members[0], &m.name))
        .collect();
    let start = Instant::now();
    for (i, m) in members.iter().enumerate() {
        for (j, id) in ids.iter().enumerate().filter(|(j, _)| *j != i) {
            let series = |part: &str| {
                format!("etcd_network_peer_round_trip_time_seconds_{part}{{To=\"{id}\"}}")
            };
            while metric(m, &series("count")).is_none_or(|n| n < 1.0) {
                assert!(
                    start.elapsed() < DEADLINE,
                    "no round trip from {} to member {j} charted",
                    m.name
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            let count = metric(m, &series("count")).unwrap();
            let sum = metric(m, &series("sum")).unwrap();
            assert!(sum > 0.0 && sum / count < 1.0, "{sum} s over {count}");
        }
    }
}
