//! Membership changes and health checks on a three-member reference
//! cluster: our etcdctl and the reference's, command for command.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{ctl, mask_ids, reference_tools, Run};
use crate::util::{free_port, workspace_bin, Conn};

/// A three-member reference cluster on loopback; killed when dropped.
struct RefCluster {
    children: Vec<Child>,
    client: Vec<String>,
    peer: Vec<String>,
    _dir: tempfile::TempDir,
}

impl RefCluster {
    fn start(etcd: &Path) -> RefCluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let client: Vec<String> = (0..3)
            .map(|_| format!("http://127.0.0.1:{}", free_port()))
            .collect();
        let peer: Vec<String> = (0..3)
            .map(|_| format!("http://127.0.0.1:{}", free_port()))
            .collect();
        let initial: Vec<String> = (0..3).map(|i| format!("c{}={}", i + 1, peer[i])).collect();
        let children = (0..3)
            .map(|i| {
                Command::new(etcd)
                    .args(["--name", &format!("c{}", i + 1), "--enable-v2=true"])
                    .arg("--data-dir")
                    .arg(dir.path().join(format!("c{}", i + 1)))
                    .args(["--listen-client-urls", &client[i]])
                    .args(["--advertise-client-urls", &client[i]])
                    .args(["--listen-peer-urls", &peer[i]])
                    .args(["--initial-advertise-peer-urls", &peer[i]])
                    .args(["--initial-cluster", &initial.join(",")])
                    // Member changes right after the start are refused otherwise.
                    .arg("--strict-reconfig-check=false")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start reference etcd")
            })
            .collect();
        let cluster = RefCluster {
            children,
            client,
            peer,
            _dir: dir,
        };
        cluster.wait_healthy(&[0, 1, 2]);
        cluster
    }

    /// Polls `/health` of the members `which` until each has a leader and commits.
    fn wait_healthy(&self, which: &[usize]) {
        let start = Instant::now();
        for &i in which {
            let mut conn = Conn::new(self.client[i].trim_start_matches("http://"));
            while !conn
                .request("GET", "/health", &[], b"")
                .is_ok_and(|r| r.text().contains("true"))
            {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "member {i} not healthy"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    fn kill(&mut self, i: usize) {
        let _ = self.children[i].kill();
        let _ = self.children[i].wait();
    }
}

impl Drop for RefCluster {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}

/// `member add` output with the new member's id masked and the
/// ETCD_INITIAL_CLUSTER entries sorted (their order follows the random id).
fn added(run: &Run) -> String {
    let sorted: String = run
        .stdout
        .split_inclusive('\n')
        .map(|line| match line.strip_prefix("ETCD_INITIAL_CLUSTER=\"") {
            Some(rest) => {
                let mut entries: Vec<&str> = rest.trim_end_matches("\"\n").split(',').collect();
                entries.sort_unstable();
                format!("ETCD_INITIAL_CLUSTER=\"{}\"\n", entries.join(","))
            }
            None => line.to_owned(),
        })
        .collect();
    mask_ids(&format!("[exit {:?}]\n{sorted}{}", run.code, run.stderr))
}

fn new_member_id(run: &Run) -> String {
    let line = run.stdout.lines().next().unwrap_or_default();
    let id = line.split(" with ID ").nth(1).unwrap_or_default();
    id.split(' ').next().unwrap_or_default().to_owned()
}

#[test]
fn membership_changes_and_health_match_on_a_three_member_reference() {
    let ours = workspace_bin("etcdctl");
    let Some((etcd, reference)) = reference_tools("membership_changes") else {
        return;
    };
    let mut cluster = RefCluster::start(&etcd);
    let ep = cluster.client[0].clone();
    let same = |args: &[&str]| {
        let r = ctl(&reference, &ep, args, "");
        let o = ctl(&ours, &ep, args, "");
        assert_eq!(o, r, "etcdctl {} (left: ours)", args.join(" "));
        o
    };
    let list = same(&["member", "list"]);
    assert_eq!(list.stdout.lines().count(), 3, "{list}");
    assert_eq!(list.stdout.matches("isLeader=true").count(), 1, "{list}");
    same(&["cluster-health"]);
    let dup: &[&str] = &["member", "add", "dup", &cluster.peer[1]];
    same(dup);
    // Each client adds (and removes again) a fourth member. The URLs differ:
    // the reference derives a member's id from its URLs and the time, and
    // refuses to add again an id it removed.
    let mut outputs = Vec::new();
    for bin in [&reference, &ours] {
        let c4 = format!("http://127.0.0.1:{}", free_port());
        let moved = format!("http://127.0.0.1:{}", free_port());
        let add = ctl(bin, &ep, &["member", "add", "c4", &c4], "");
        let id = new_member_id(&add);
        assert!(id.len() >= 12, "{add}");
        let listed = same(&["member", "list"]);
        assert!(listed
            .stdout
            .contains(&format!("{id}[unstarted]: peerURLs={c4}\n")));
        let health = same(&["cluster-health"]);
        assert_eq!(health.code, Some(5), "{health}");
        let update = ctl(bin, &ep, &["member", "update", &id, &moved], "");
        let taken = ctl(bin, &ep, &["member", "update", &id, &cluster.peer[0]], "");
        let remove = ctl(bin, &ep, &["member", "remove", &id], "");
        let again = ctl(bin, &ep, &["member", "remove", &id], "");
        let all = [&update, &taken, &remove, &again]
            .iter()
            .fold(added(&add), |acc, r| acc + &mask_ids(&r.to_string()));
        outputs.push(all.replace(&c4, "C4").replace(&moved, "MOVED"));
    }
    assert_eq!(outputs[1], outputs[0], "left: ours");
    assert!(outputs[0].contains("Removed member ID from cluster"));
    // A dead member: its health check fails to connect.
    cluster.kill(2);
    // If it led, the others elect a new leader first.
    cluster.wait_healthy(&[0, 1]);
    let health = same(&["cluster-health"]);
    assert_eq!(health.code, Some(5), "{health}");
    assert!(
        health.stdout.contains("connect: connection refused"),
        "{health}"
    );
    assert!(health.stdout.ends_with("cluster is degraded\n"), "{health}");
}
