//! Membership changes on running clusters of our server: an added member is a
//! learner until it has started and caught up, so adding an unreachable peer
//! never stops a cluster; joining, removal (the leader's included), rejoining
//! after wiping the data dir, and a removed member's data dir refused.

use crate::util::{form, raw, reference_etcd, start_cluster, Server};
use std::process::Command;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn put(m: &Server, key: &str, value: &str) {
    poll(&format!("write {key} through {}", m.name), || {
        let r = form(
            &m.addr(),
            "PUT",
            &format!("/v2/keys{key}"),
            &format!("value={value}"),
        );
        (r.status == 200 || r.status == 201).then_some(())
    });
}

fn members_json(m: &Server) -> String {
    raw(&m.addr(), "GET", "/v2/members", &[], b"").text()
}

/// `POST /v2/members`; the new member's id.
fn add(m: &Server, peer_url: &str) -> String {
    let body = format!("{{\"peerURLs\":[\"{peer_url}\"]}}");
    let r = raw(
        &m.addr(),
        "POST",
        "/v2/members",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let text = r.text();
    assert!(text.contains("\"name\":\"\""), "{text}");
    assert!(text.contains("\"clientURLs\":[]"), "{text}");
    let start = text.find("\"id\":\"").expect("id") + 6;
    text[start..start + text[start..].find('"').expect("end")].to_owned()
}

fn remove(m: &Server, id: &str) -> u16 {
    raw(&m.addr(), "DELETE", &format!("/v2/members/{id}"), &[], b"").status
}

#[test]
fn adding_an_unreachable_member_never_stops_a_one_member_cluster() {
    let s = Server::start();
    let ghost = format!("http://127.0.0.1:{}", crate::util::free_port());
    let id = add(&s, &ghost);
    // Listed like the reference lists an unstarted member.
    let list = members_json(&s);
    assert!(
        list.contains(&format!(
            "\"id\":\"{id}\",\"name\":\"\",\"peerURLs\":[\"{ghost}\"],\"clientURLs\":[]"
        )),
        "{list}"
    );
    // Still writable: the learner does not count toward quorum.
    let r = form(&s.addr(), "PUT", "/v2/keys/after-add", "value=ok");
    assert_eq!(r.status, 201, "{}", r.text());
    // A second add of the same peer URL conflicts; then remove it.
    let again = raw(
        &s.addr(),
        "POST",
        "/v2/members",
        &[("Content-Type", "application/json")],
        format!("{{\"peerURLs\":[\"{ghost}\"]}}").as_bytes(),
    );
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.text().contains("membership: peerURL exists"));
    assert_eq!(remove(&s, &id), 204);
    assert_eq!(remove(&s, &id), 410);
    assert_eq!(remove(&s, "1234"), 404);
    assert!(!members_json(&s).contains(&id));
    let r = form(&s.addr(), "PUT", "/v2/keys/after-remove", "value=ok");
    assert_eq!(r.status, 201, "{}", r.text());
}

#[test]
fn a_member_joins_is_promoted_and_removal_stops_it() {
    let members = start_cluster(3);
    put(&members[0], "/j/before", "1");
    let mut d = Server::joiner(&members, "d");
    let id = add(&members[1], &d.peer_url());
    d.start_now();
    // It catches up (the log or a snapshot), publishes its name and serves.
    poll("d reads /j/before", || {
        raw(&d.addr(), "GET", "/v2/keys/j/before", &[], b"")
            .text()
            .contains("\"value\":\"1\"")
            .then_some(())
    });
    poll("d published", || {
        members_json(&members[0])
            .contains(&format!("\"id\":\"{id}\",\"name\":\"d\""))
            .then_some(())
    });
    put(&d, "/j/from-d", "d");
    for m in &members {
        poll("write through d seen", || {
            raw(&m.addr(), "GET", "/v2/keys/j/from-d?quorum=true", &[], b"")
                .text()
                .contains("\"value\":\"d\"")
                .then_some(())
        });
    }
    // Promotion: with four voters, two members down must stop writes; with d
    // still a learner they would not. Instead check the leader's log line.
    poll("d promoted", || {
        members
            .iter()
            .any(|m| m.log().contains(&format!("promoted member {id} to voter")))
            .then_some(())
    });
    // Removing it stops it.
    assert_eq!(remove(&members[2], &id), 204);
    assert!(
        d.wait_exit(Duration::from_secs(10)).is_some(),
        "d still runs"
    );
    assert!(d.log().contains("permanently removed"), "{}", d.log());
    // Its data dir cannot come back.
    let (status, log) = d.start_expecting_exit(Duration::from_secs(20));
    assert!(!status.success());
    assert!(log.contains("has been removed from cluster"), "{log}");
    put(&members[0], "/j/after", "ok");
}

#[test]
fn removing_the_leader_leaves_a_working_cluster_and_a_wiped_member_rejoins() {
    let mut members = start_cluster(3);
    put(&members[0], "/r/k", "v");
    let leader_of = |ms: &[Server]| -> usize {
        poll("a leader", || {
            ms.iter().filter(|m| m.is_running()).find_map(|m| {
                let r = raw(&m.addr(), "GET", "/v2/members/leader", &[], b"");
                let text = r.text();
                ms.iter()
                    .position(|x| text.contains(&format!("\"name\":\"{}\"", x.name)))
                    .filter(|_| r.status == 200)
            })
        })
    };
    let leader = leader_of(&members);
    let list = members_json(&members[leader]);
    let id = list
        .split("{\"id\":\"")
        .skip(1)
        .find(|m| m.contains(&format!("\"name\":\"{}\"", members[leader].name)))
        .and_then(|m| m.split('"').next())
        .expect("leader id")
        .to_owned();
    assert_eq!(remove(&members[(leader + 1) % 3], &id), 204);
    assert!(
        members[leader].wait_exit(Duration::from_secs(15)).is_some(),
        "the removed leader still runs"
    );
    let rest: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    put(&members[rest[0]], "/r/after", "ok");
    // The removed member rejoins after its data dir is wiped.
    let old = members.remove(leader);
    drop(old);
    let mut again = Server::joiner(&members, "again");
    add(&members[0], &again.peer_url());
    again.start_now();
    poll("the rejoined member has the data", || {
        raw(&again.addr(), "GET", "/v2/keys/r/after", &[], b"")
            .text()
            .contains("\"value\":\"ok\"")
            .then_some(())
    });
    if reference_etcd().is_some() {
        // The reference etcdctl lists and checks our cluster as its own.
        let endpoints = format!("{},{}", members[0].url(), again.url());
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "2")
            .args(["--endpoints", &endpoints, "member", "list"])
            .output()
            .expect("etcdctl");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("name=again"), "{text}");
    }
}

/// Bad member bodies get the reference's texts (Go's JSON and URL errors),
/// and nothing changes; URLs are kept trimmed, parsed and sorted.
#[test]
fn bad_member_bodies_get_the_references_errors_and_urls_are_kept_as_parsed() {
    let s = Server::start();
    let before = members_json(&s);
    let post = |body: &str| {
        let json = [("Content-Type", "application/json")];
        raw(&s.addr(), "POST", "/v2/members", &json, body.as_bytes())
    };
    for (body, message) in [
        ("", "unexpected end of JSON input"),
        (
            "not json",
            "invalid character 'o' in literal null (expecting 'u')",
        ),
        (
            "tru",
            "invalid character ' ' in literal true (expecting 'e')",
        ),
        ("{} x", "invalid character 'x' after top-level value"),
        (
            r#"{"peerURLs":"http://127.0.0.1:1"}"#,
            "json: cannot unmarshal string into Go struct field .peerURLs of type []string",
        ),
        ("null", "no valid URLs given"),
        (
            r#"{"peerURLs":[null]}"#,
            "URL scheme must be http, https, unix, or unixs: ",
        ),
        (
            r#"{"peerURLs":["http://%zz:1"]}"#,
            r#"parse "http://%zz:1": invalid URL escape "%zz""#,
        ),
    ] {
        let r = post(body);
        assert_eq!(r.status, 400, "{body:?}: {}", r.text());
        let want = serde_json::json!({ "message": message }).to_string();
        assert_eq!(r.text(), want, "{body:?}");
    }
    // The media type's letter case is folded only before parameters.
    for (content_type, status, message) in [
        (
            "Application/JSON",
            415,
            "Bad Content-Type Application/JSON, accept application/json",
        ),
        (
            "Text/Plain; x",
            415,
            "Bad Content-Type text/plain, accept application/json",
        ),
        (" APPLICATION/JSON ; q", 400, "no valid URLs given"),
    ] {
        let headers = [("Content-Type", content_type)];
        let r = raw(&s.addr(), "POST", "/v2/members", &headers, b"null");
        assert_eq!(r.status, status, "{content_type:?}: {}", r.text());
        let want = serde_json::json!({ "message": message }).to_string();
        assert_eq!(r.text(), want, "{content_type:?}");
    }
    assert_eq!(members_json(&s), before);
    // Any letter case for the key; each URL trimmed, the list sorted.
    let r = post(r#"{"PEERURLS":[" http://127.0.0.1:9 ","HTTP://127.0.0.1:8"]}"#);
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(
        r.text()
            .contains(r#""peerURLs":["http://127.0.0.1:8","http://127.0.0.1:9"]"#),
        "{}",
        r.text()
    );
}
