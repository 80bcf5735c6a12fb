//! Disk faults on a single member (the torn log tail and a flipped byte in
//! the middle of the log are in `tests/durability.rs`): a flipped byte in a
//! snapshot stops the start with a message naming the file, and a full disk
//! never gets a write acknowledged that was not persisted.

use crate::util::{form, raw, snap_files, workspace_bin, Conn, Server};
use std::path::{Path, PathBuf};
use std::process::Command;

fn put(s: &Server, key: &str, value: &str) -> u16 {
    form(
        &s.addr(),
        "PUT",
        &format!("/v2/keys{key}"),
        &format!("value={value}"),
    )
    .status
}

#[test]
fn a_flipped_byte_in_a_snapshot_stops_the_start_naming_the_file() {
    let _serial = crate::one_cluster_at_a_time();
    let mut s = Server::start_with(workspace_bin("etcd-server"), &["--snapshot-count", "50"]);
    for i in 0..120 {
        assert_eq!(put(&s, &format!("/snap/k{i}"), &format!("v{i}")), 201);
    }
    let status = s.terminate().expect("exits on SIGTERM");
    assert!(status.success());
    let snap = snap_files(&s).pop().expect("a snapshot after 120 writes");
    let mut bytes = std::fs::read(&snap).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&snap, &bytes).unwrap();

    let stderr = s.start_refused_naming(&snap);
    assert!(stderr.contains("checksum"), "{stderr}");
    // Nothing was repaired or deleted behind the operator's back.
    assert_eq!(std::fs::read(&snap).unwrap(), bytes);
}

/// A tmpfs mounted on a directory for the test's duration.
struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs of `size` (e.g. `2m`) on `dir`; `None` (with the
    /// reason) when this machine does not allow it.
    fn tmpfs(dir: &Path, size: &str) -> Result<Mount, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("running mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Mount(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("mount -o remount");
        assert!(st.success(), "remount {}", self.0.display());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_never_gets_a_write_acknowledged_that_was_not_persisted() {
    let _serial = crate::one_cluster_at_a_time();
    let mut s = Server::unstarted("n1");
    let mount = match Mount::tmpfs(s.data.path(), "4m") {
        Ok(m) => m,
        Err(why) => {
            eprintln!("SKIPPED: a full disk needs a tmpfs mount (root): {why}");
            return;
        }
    };
    s.start_now();
    // Values of 16 KiB until the disk is full, then some more attempts.
    let value = "x".repeat(16 * 1024);
    let mut acked = Vec::new();
    let mut refused = 0;
    let mut after_refusal_acked = 0;
    let mut conn = Conn::new(&s.addr());
    for i in 0..1000 {
        let key = format!("/full/k{i}");
        match conn.form("PUT", &format!("/v2/keys{key}"), &format!("value={value}")) {
            Ok(r) if r.status == 201 => {
                acked.push(key);
                if refused > 0 {
                    after_refusal_acked += 1;
                }
            }
            // A refusal, or the member gone (fail-stop).
            _ => refused += 1,
        }
        if refused >= 10 {
            break;
        }
    }
    assert!(refused > 0, "4 MiB took {} writes of 16 KiB", acked.len());
    assert!(!acked.is_empty());
    eprintln!(
        "disk full after {} acknowledged writes; {refused} refused, {after_refusal_acked} acknowledged after the first refusal; log tail:\n{}",
        acked.len(),
        s.log().lines().rev().take(5).collect::<Vec<_>>().join("\n")
    );
    // Once a write failed, the log refuses every later one.
    assert_eq!(after_refusal_acked, 0, "{}", s.log());

    // With room again, the member starts and has every acknowledged write.
    s.kill9();
    mount.resize("64m");
    s.restart();
    for key in &acked {
        let r = raw(&s.addr(), "GET", &format!("/v2/keys{key}"), &[], b"");
        assert_eq!(r.status, 200, "{key} lost: {}", r.text());
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["node"]["value"].as_str(), Some(value.as_str()), "{key}");
    }
    // And it takes writes again.
    assert_eq!(put(&s, "/full/after", "ok"), 201);
    s.kill9();
    drop(mount);
}
