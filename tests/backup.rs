//! Backup and disaster recovery: `etcdctl backup` of a stopped and of a
//! running member (from its data dir and over HTTP), restore with
//! `etcd-server --force-new-cluster` keeping every index, then `member add`
//! the others back; damaged and interrupted backups; the reference's
//! messages; export/import.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::util::{form, raw, workspace_bin, Server};

mod damage;
mod live;
mod transfer;

/// Runs our etcdctl with `args` (no terminal: stdin null, output captured).
fn etcdctl(args: &[&str]) -> Output {
    let mut cmd = Command::new(workspace_bin("etcdctl"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run etcdctl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts a run succeeded silently (what cron wants).
fn assert_quiet_success(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: stderr: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "", "{what}: stdout");
    assert_eq!(text(&out.stderr), "", "{what}: stderr");
}

/// `etcdctl backup --data-dir data_dir --backup-dir target`, which must
/// succeed silently.
fn back_up(data_dir: &Path, target: &Path) {
    let out = etcdctl(&[
        "backup",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--backup-dir",
        target.to_str().unwrap(),
    ]);
    assert_quiet_success(&out, "backup");
}

/// A member started on `data_dir` (a backup, or another member's data dir)
/// with `--force-new-cluster`.
fn restore(data_dir: &Path) -> Server {
    let mut s = Server::unstarted("restored");
    copy_dir(data_dir, &s.data_dir());
    s.extra = vec!["--force-new-cluster".into()];
    s.start_now();
    s
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The whole visible key space, sorted, with each TTL's countdown removed
/// (the absolute `expiration` stays); and the `X-Etcd-Index` of the read.
fn key_space(s: &Server) -> (Value, u64) {
    let r = raw(
        &s.addr(),
        "GET",
        "/v2/keys/?recursive=true&sorted=true",
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let index = r.header("X-Etcd-Index").unwrap().parse().unwrap();
    let mut v: Value = serde_json::from_slice(&r.body).unwrap();
    strip_ttls(&mut v["node"]);
    (v["node"].clone(), index)
}

fn strip_ttls(node: &mut Value) {
    if let Some(map) = node.as_object_mut() {
        map.remove("ttl");
    }
    if let Some(children) = node.get_mut("nodes").and_then(Value::as_array_mut) {
        for c in children {
            strip_ttls(c);
        }
    }
}

fn get(s: &Server, key: &str) -> Value {
    let r = raw(&s.addr(), "GET", &format!("/v2/keys{key}"), &[], b"");
    serde_json::from_slice(&r.body).unwrap()
}

fn put(s: &Server, key: &str, body: &str) -> Value {
    let r = form(&s.addr(), "PUT", &format!("/v2/keys{key}"), body);
    assert!(r.status < 300, "PUT {key} {body}: {}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

/// Writes a bit of everything: nested keys, dirs, an empty dir, TTLs, in-order
/// keys, a hidden key, overwrites, CAS, deletions; enough writes to pass
/// `--snapshot-count 50` so the state is in a snapshot and in the log.
fn write_variety(s: &Server) {
    for i in 0..60 {
        put(s, &format!("/bulk/k{i:03}"), &format!("value=v{i}"));
    }
    put(s, "/app/config/port", "value=8080");
    put(s, "/app/config/port", "value=8081");
    put(s, "/app/emptydir", "dir=true");
    put(s, "/app/lease", "value=held&ttl=3600");
    put(s, "/app/tdir", "dir=true&ttl=7200");
    put(s, "/_hidden", "value=h");
    put(s, "/app/cas", "value=one");
    put(s, "/app/cas", "value=two&prevValue=one");
    for v in ["a", "b", "c"] {
        let r = form(&s.addr(), "POST", "/v2/keys/queue", &format!("value={v}"));
        assert_eq!(r.status, 201);
    }
    let r = raw(&s.addr(), "DELETE", "/v2/keys/bulk/k000", &[], b"");
    assert_eq!(r.status, 200);
}

/// Polls `done` until it holds or `limit` passes (then fails).
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not reached within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Our data dir is fine for a restore only once nothing writes to it.
fn stop(s: &mut Server) {
    assert!(s.terminate().is_some_and(|st| st.success()));
}

#[test]
fn backup_of_a_stopped_member_restores_every_node_with_its_indexes() {
    let mut src = Server::start_with(workspace_bin("etcd-server"), &["--snapshot-count", "50"]);
    write_variety(&src);
    let (before, index) = key_space(&src);
    let hidden = get(&src, "/_hidden");
    let source_cluster = raw(&src.addr(), "GET", "/v2/members", &[], b"")
        .header("X-Etcd-Cluster-Id")
        .unwrap()
        .to_owned();
    stop(&mut src);

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    back_up(&src.data_dir(), &backup);
    layout_is_a_backup(&backup, index);

    let mut restored = restore(&backup);
    let (after, after_index) = key_space(&restored);
    assert_eq!(after, before, "the restored key space differs");
    assert_eq!(get(&restored, "/_hidden"), hidden);
    // The member records of the restore itself took two indexes.
    assert_eq!(after_index, index + 2);
    let set = put(&restored, "/after", "value=x");
    assert_eq!(set["node"]["createdIndex"], index + 3);
    // The event history came along: a watch resumes inside it.
    let w = raw(
        &restored.addr(),
        "GET",
        &format!("/v2/keys/bulk/k000?wait=true&waitIndex={}", index - 5),
        &[],
        b"",
    );
    let ev: Value = serde_json::from_slice(&w.body).unwrap();
    assert_eq!(ev["action"], "delete", "{ev}");
    assert_eq!(ev["node"]["modifiedIndex"], index);
    // One member, new ids.
    let m = raw(&restored.addr(), "GET", "/v2/members", &[], b"");
    assert_ne!(m.header("X-Etcd-Cluster-Id").unwrap(), source_cluster);
    let members: Value = serde_json::from_slice(&m.body).unwrap();
    let list = members["members"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{members}");
    assert_eq!(list[0]["name"], "restored");
    assert_eq!(list[0]["peerURLs"][0], restored.peer_url());

    // A restart without the flag keeps everything.
    restored.extra.clear();
    restored.restart();
    let (again, _) = key_space(&restored);
    let count = |v: &Value| v["nodes"].as_array().unwrap().len();
    assert_eq!(count(&again), count(&after) + 1);
    assert_eq!(get(&restored, "/after")["node"]["value"], "x");
}

/// The files of a backup, their modes, and its manifest.
fn layout_is_a_backup(backup: &Path, index: u64) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for d in ["", "member", "member/snap", "member/wal"] {
        assert_eq!(mode(&backup.join(d)), 0o700, "{d}");
    }
    let snaps: Vec<_> = std::fs::read_dir(backup.join("member/snap"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(snaps.len(), 1, "{snaps:?}");
    assert!(snaps[0].ends_with(".snap"));
    assert!(!backup.join("member/identity.json").exists());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("member/backup.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "etcd-server-backup/1");
    assert_eq!(manifest["etcdIndex"], index);
    assert_eq!(manifest["snapshot"]["file"], snaps[0]);
}

#[test]
fn disaster_recovery_from_one_members_data_dir_then_member_add() {
    let mut members = crate::util::start_cluster(3);
    write_variety(&members[0]);
    // The surviving disk must have seen every write: wait until the three
    // members agree (followers apply a moment later).
    wait_until(Duration::from_secs(20), || {
        let first = key_space(&members[0]).1;
        members[1..].iter().all(|m| key_space(m).1 == first)
    });
    let (before, index) = key_space(&members[2]);
    let member_id = |s: &Server| {
        let v: Value =
            serde_json::from_slice(&raw(&s.addr(), "GET", "/v2/stats/self", &[], b"").body)
                .unwrap();
        v["id"].as_str().unwrap().to_owned()
    };
    let kept_id = member_id(&members[2]);
    for m in members.iter_mut() {
        m.kill9();
    }
    // The worst day: only one member's disk survived.
    let restored = restore(&members[2].data_dir());
    let (after, after_index) = key_space(&restored);
    assert_eq!(after, before);
    assert_eq!(after_index, index + 2);
    assert_eq!(member_id(&restored), kept_id, "its own member id is kept");
    drop(members);

    // Add a member back, as the guides say.
    let mut joiner = Server::joiner(std::slice::from_ref(&restored), "again");
    let out = etcdctl(&[
        "--endpoints",
        &restored.url(),
        "member",
        "add",
        "again",
        &joiner.peer_url(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    joiner.start_now();
    wait_until(Duration::from_secs(20), || {
        key_space(&joiner).0 == key_space(&restored).0
    });
    // Two more member records: the addition and the new member's publication.
    let set = put(&joiner, "/written/through/joiner", "value=1");
    assert_eq!(set["node"]["createdIndex"], after_index + 3);
}
