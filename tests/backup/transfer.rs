//! `etcdctl export` / `etcdctl import`: a JSON round trip between two
//! clusters keeps values, directories (empty ones too), TTLs and in-order key
//! names; a subtree exports on its own; bad files are refused.

use std::process::{Command, Stdio};

use serde_json::Value;

use super::{etcdctl, put, text};
use crate::util::{form, raw, workspace_bin, Server};

/// The nodes of an export file, without the TTL countdowns.
fn nodes(export: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(export).expect("export is JSON");
    assert_eq!(v["format"], "etcd-v2-export/1");
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let mut n = n.clone();
            if let Some(ttl) = n.as_object_mut().unwrap().remove("ttl") {
                let ttl = ttl.as_i64().unwrap();
                assert!((3500..=3600).contains(&ttl), "{ttl}");
                n["ttl"] = Value::from("kept");
            }
            n
        })
        .collect()
}

#[test]
fn export_then_import_round_trips_the_key_space() {
    let a = Server::start();
    put(&a, "/cfg/app/port", "value=8080");
    put(&a, "/cfg/app/name", "value=with spaces %26 symbols");
    put(&a, "/cfg/empty", "dir=true");
    put(&a, "/cfg/lease", "value=me&ttl=3600");
    put(&a, "/cfg/tdir", "dir=true&ttl=3600");
    put(&a, "/top", "value=t");
    for v in ["x", "y"] {
        assert_eq!(
            form(&a.addr(), "POST", "/v2/keys/cfg/q", &format!("value={v}")).status,
            201
        );
    }
    let out = etcdctl(&["--endpoints", &a.url(), "export"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let exported = text(&out.stdout);
    let want = nodes(&exported);
    let keys: Vec<&str> = want.iter().map(|n| n["key"].as_str().unwrap()).collect();
    assert_eq!(
        &keys[..4],
        ["/cfg", "/cfg/app", "/cfg/app/name", "/cfg/app/port"]
    );
    assert_eq!(want.len(), 11, "{exported}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    let out = etcdctl(&[
        "--endpoints",
        &a.url(),
        "export",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");

    let b = Server::start();
    put(&b, "/cfg/app/port", "value=old");
    let out = etcdctl(&["--endpoints", &b.url(), "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
    let again = etcdctl(&["--endpoints", &b.url(), "export"]);
    assert_eq!(nodes(&text(&again.stdout)), want);

    // A subtree on its own, imported from stdin.
    let out = etcdctl(&["--endpoints", &a.url(), "export", "/cfg/app"]);
    let sub = nodes(&text(&out.stdout));
    let keys: Vec<&str> = sub.iter().map(|n| n["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["/cfg/app", "/cfg/app/name", "/cfg/app/port"]);
    let c = Server::start();
    let mut child = Command::new(workspace_bin("etcdctl"))
        .args(["--endpoints", &c.url(), "import"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let r = raw(&c.addr(), "GET", "/v2/keys/cfg/app/name", &[], b"");
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["node"]["value"], "with spaces & symbols");
}

#[test]
fn import_refuses_files_it_cannot_use_and_reports_failed_writes() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"format\":\"something-else\",\"etcdIndex\":1,\"root\":\"/\",\"nodes\":[]}",
    )
    .unwrap();
    let out = etcdctl(&["--endpoints", &s.url(), "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unsupported export format"),
        "{}",
        text(&out.stderr)
    );
    let missing = dir.path().join("missing.json");
    let out = etcdctl(&["--endpoints", &s.url(), "import", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("No such file"),
        "{}",
        text(&out.stderr)
    );
    // A key where the target has a directory: the write fails, and says so.
    put(&s, "/clash/inner", "value=1");
    let file = dir.path().join("clash.json");
    std::fs::write(
        &file,
        "{\"format\":\"etcd-v2-export/1\",\"etcdIndex\":1,\"root\":\"/\",\"nodes\":[{\"key\":\"/clash\",\"value\":\"v\"},{\"key\":\"/fine\",\"value\":\"ok\"}]}",
    )
    .unwrap();
    let out = etcdctl(&["--endpoints", &s.url(), "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(err.starts_with("Error:  /clash: "), "{err}");
    let r = raw(&s.addr(), "GET", "/v2/keys/fine", &[], b"");
    assert_eq!(r.status, 200, "the other keys are still imported");
}
