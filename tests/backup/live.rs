//! Backups of a running member under write load: from its data dir (read
//! while the member appends, snapshots and purges) and over HTTP. The restored
//! state must be exactly the source's at the backup point: every write with
//! an index up to the backup's, none after, each with its own index.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use super::{assert_quiet_success, etcdctl, restore};
use crate::util::{raw, workspace_bin, Conn, Server};

/// Writers of distinct keys; each acknowledged write is recorded with its
/// index.
struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<BTreeMap<String, u64>>>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(s: &Server, writers: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(BTreeMap::new()));
        let threads = (0..writers)
            .map(|w| {
                let (stop, acked, addr) = (stop.clone(), acked.clone(), s.addr());
                std::thread::spawn(move || {
                    let mut conn = Conn::new(&addr);
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let key = format!("w{w}-{n:06}");
                        let r = conn
                            .form("PUT", &format!("/v2/keys/load/{key}"), "value=x")
                            .expect("write");
                        assert_eq!(r.status, 201, "{}", r.text());
                        let v: Value = serde_json::from_slice(&r.body).unwrap();
                        let index = v["node"]["createdIndex"].as_u64().unwrap();
                        acked.lock().unwrap().insert(key, index);
                        n += 1;
                    }
                })
            })
            .collect();
        Load {
            stop,
            acked,
            threads,
        }
    }

    fn snapshot(&self) -> BTreeMap<String, u64> {
        self.acked.lock().unwrap().clone()
    }

    fn finish(self) -> BTreeMap<String, u64> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("writer");
        }
        self.acked.lock().unwrap().clone()
    }
}

/// The keys under `/load` of `s` with their created indexes.
fn loaded_keys(s: &Server) -> BTreeMap<String, u64> {
    let r = raw(&s.addr(), "GET", "/v2/keys/load?recursive=true", &[], b"");
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    v["node"]["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .map(|n| {
                    let key = n["key"].as_str().unwrap().trim_start_matches("/load/");
                    (key.to_owned(), n["createdIndex"].as_u64().unwrap())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn manifest_index(backup: &Path) -> u64 {
    let m: Value =
        serde_json::from_slice(&std::fs::read(backup.join("member/backup.json")).unwrap()).unwrap();
    m["etcdIndex"].as_u64().unwrap()
}

/// Takes a backup with `args` while writers run, restores it, and checks the
/// restored writes against the acknowledged ones.
fn backup_under_load(extra_args: impl FnOnce(&Server) -> Vec<String>) {
    let src = Server::start_with(workspace_bin("etcd-server"), &["--snapshot-count", "300"]);
    let load = Load::start(&src, 3);
    std::thread::sleep(Duration::from_millis(400));
    let acked_before = load.snapshot();
    assert!(!acked_before.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b");
    let mut args: Vec<String> = vec!["backup".into()];
    args.extend(extra_args(&src));
    args.extend(["--backup-dir".into(), backup.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = etcdctl(&args);
    std::thread::sleep(Duration::from_millis(200));
    let acked = load.finish();
    assert_quiet_success(&out, "backup under load");
    let index = manifest_index(&backup);
    for (key, i) in &acked_before {
        assert!(
            *i <= index,
            "{key} (index {i}) was acknowledged before the backup started, but the backup is at {index}"
        );
    }
    assert!(
        acked.values().any(|&i| i > index),
        "the writers did not outlive the backup"
    );
    let expected: BTreeMap<String, u64> = acked.into_iter().filter(|(_, i)| *i <= index).collect();
    let restored = restore(&backup);
    assert_eq!(
        loaded_keys(&restored),
        expected,
        "restored writes differ from the acknowledged writes up to index {index}"
    );
}

#[test]
fn backup_of_a_running_members_data_dir_under_write_load() {
    backup_under_load(|src| vec!["--data-dir".into(), src.data_dir().display().to_string()]);
}

#[test]
fn online_backup_over_http_under_write_load() {
    backup_under_load(|src| vec!["--endpoints".into(), src.url()]);
}

#[test]
fn online_backup_endpoint_answers_a_consistent_snapshot() {
    let s = Server::start();
    crate::util::form(&s.addr(), "PUT", "/v2/keys/a", "value=1");
    let r = raw(&s.addr(), "GET", "/backup", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/octet-stream"));
    let index: u64 = r.header("X-Etcd-Index").unwrap().parse().unwrap();
    let keys = raw(&s.addr(), "GET", "/v2/keys/a", &[], b"");
    assert_eq!(keys.header("X-Etcd-Index").unwrap(), index.to_string());
    assert!(r.body.starts_with(b"EV2SNAP1"));
    let r = raw(&s.addr(), "PUT", "/backup", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET"));
}

#[test]
fn online_backup_is_for_root_once_auth_is_enabled() {
    let s = Server::start();
    let json = [("Content-Type", "application/json")];
    let r = raw(
        &s.addr(),
        "PUT",
        "/v2/auth/users/root",
        &json,
        br#"{"user":"root","password":"secret"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = raw(&s.addr(), "PUT", "/v2/auth/enable", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = raw(&s.addr(), "GET", "/backup", &[], b"");
    assert_eq!(r.status, 401, "{}", r.text());
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("b");
    let out = etcdctl(&[
        "--username",
        "root:wrong",
        "backup",
        "--endpoints",
        &s.url(),
        "--backup-dir",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!target.exists());
    let out = etcdctl(&[
        "--username",
        "root:secret",
        "backup",
        "--endpoints",
        &s.url(),
        "--backup-dir",
        target.to_str().unwrap(),
    ]);
    assert_quiet_success(&out, "root's online backup");
    // The users come along (they live in the store).
    let restored = restore(&target);
    let r = raw(&restored.addr(), "GET", "/v2/auth/enable", &[], b"");
    assert!(r.text().contains("true"), "{}", r.text());
}
