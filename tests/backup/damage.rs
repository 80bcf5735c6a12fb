//! Backups that must not be trusted: a flipped byte, an edited manifest, a
//! backup started without `--force-new-cluster`, an interrupted backup; and
//! the reference's messages for missing and occupied directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{etcdctl, put, stop, text};
use crate::util::{files_in, reference_ctl, workspace_bin, Server};

/// A stopped member with some data and a backup of it: (member, temp dir,
/// backup path).
fn backed_up() -> (Server, tempfile::TempDir, PathBuf) {
    let mut src = Server::start();
    for i in 0..30 {
        put(&src, &format!("/d/k{i}"), "value=v");
    }
    stop(&mut src);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b");
    super::back_up(&src.data_dir(), &backup);
    (src, dir, backup)
}

/// The newest snapshot file of `backup`.
fn snapshot_file(backup: &Path) -> PathBuf {
    files_in(&backup.join("member/snap"), "snap")
        .pop()
        .expect("a snapshot file")
}

/// Starts a member on `data_dir` with `flags` and expects it to refuse:
/// exit 1 with a message containing every one of `needles`.
fn refused(data_dir: &Path, flags: &[&str], needles: &[&str]) {
    let mut s = Server::unstarted("r");
    super::copy_dir(data_dir, &s.data_dir());
    s.extra = flags.iter().map(|f| f.to_string()).collect();
    let (status, log) = s.start_expecting_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "{log}");
    for n in needles {
        assert!(log.contains(n), "missing {n:?} in:\n{log}");
    }
}

#[test]
fn a_flipped_byte_in_the_snapshot_is_refused_naming_the_file() {
    let (_src, _dir, backup) = backed_up();
    let snap = snapshot_file(&backup);
    let mut bytes = std::fs::read(&snap).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&snap, bytes).unwrap();
    let name = snap.file_name().unwrap().to_str().unwrap().to_owned();
    refused(
        &backup,
        &["--force-new-cluster"],
        &["refusing to restore a damaged backup", &name, "checksum"],
    );
}

#[test]
fn an_edited_manifest_is_refused_and_a_backup_needs_force_new_cluster() {
    let (_src, _dir, backup) = backed_up();
    refused(&backup, &[], &["holds a backup", "--force-new-cluster"]);
    let manifest = backup.join("member/backup.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let crc = m["snapshot"]["crc32"].as_u64().unwrap();
    m["snapshot"]["crc32"] = (crc ^ 1).into();
    std::fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    refused(
        &backup,
        &["--force-new-cluster"],
        &["backup.json: damaged", "checksum"],
    );
}

#[test]
fn an_interrupted_backup_never_leaves_a_complete_looking_dir() {
    let (src, dir, _) = backed_up();
    let target = dir.path().join("interrupted");
    let mut completed = false;
    for delay_ms in [0u64, 1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 120, 200] {
        let _ = std::fs::remove_dir_all(&target);
        let mut child = Command::new(workspace_bin("etcdctl"))
            .args(["backup", "--data-dir"])
            .arg(src.data_dir())
            .arg("--backup-dir")
            .arg(&target)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !target.exists() {
            continue;
        }
        // Whatever is there must be a whole, verified backup.
        let verified = etcd_server::backup::verify(&target.join("member"))
            .unwrap_or_else(|e| panic!("after a kill at {delay_ms} ms ({status:?}): {e}"));
        assert!(
            verified.is_some(),
            "after a kill at {delay_ms} ms: no manifest"
        );
        completed = true;
    }
    assert!(completed, "no run completed: the test proves nothing");
}

/// Drops the reference's log-line timestamp (`YYYY-MM-DD HH:MM:SS.micro `).
fn untimed(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| l.get(27..).unwrap_or(l).to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn missing_and_occupied_directories_give_the_references_messages() {
    let (src, dir, backup) = backed_up();
    let cwd = dir.path();
    let data = src.data_dir();
    let data = data.to_str().unwrap();
    // A source with a snapshot dir and no log (both tools stop at the log).
    std::fs::create_dir_all(cwd.join("nolog/member/snap")).unwrap();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![
                "--data-dir".into(),
                "./nonexistent".into(),
                "--backup-dir".into(),
                "./nx.bak".into(),
            ],
            "I | open nonexistent/member/snap: no such file or directory".into(),
        ),
        (
            vec![
                "--data-dir".into(),
                "./nolog".into(),
                "--wal-dir".into(),
                "./nonexistentwal".into(),
                "--backup-dir".into(),
                "./w.bak".into(),
            ],
            "I | open ./nonexistentwal: no such file or directory".into(),
        ),
    ];
    let reference = reference_ctl();
    for (args, want) in &cases {
        let mut full = vec!["backup".to_owned()];
        full.extend(args.iter().cloned());
        let out = Command::new(workspace_bin("etcdctl"))
            .args(&full)
            .current_dir(cwd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{full:?}");
        assert_eq!(untimed(&text(&out.stderr)), *want, "{full:?}");
        assert_eq!(text(&out.stdout), "");
        if let Some(ctl) = &reference {
            let theirs = Command::new(ctl)
                .env("ETCDCTL_API", "2")
                .args(&full)
                .current_dir(cwd)
                .output()
                .unwrap();
            assert_eq!(theirs.status.code(), Some(1), "reference {full:?}");
            assert_eq!(untimed(&text(&theirs.stderr)), *want, "reference {full:?}");
        }
    }
    // The reference's data dir (bolt db, its own WAL) is not ours: refused,
    // never an empty backup.
    let foreign = cwd.join("theirs");
    std::fs::create_dir_all(foreign.join("member/snap")).unwrap();
    std::fs::create_dir_all(foreign.join("member/wal")).unwrap();
    std::fs::write(foreign.join("member/snap/db"), [0u8; 64]).unwrap();
    std::fs::write(
        foreign.join("member/wal/0000000000000000-0000000000000000.wal"),
        [0u8; 64],
    )
    .unwrap();
    let out = etcdctl(&[
        "backup",
        "--data-dir",
        foreign.to_str().unwrap(),
        "--backup-dir",
        cwd.join("t.bak").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no etcd-server data"),
        "{}",
        text(&out.stderr)
    );
    assert!(!cwd.join("t.bak").exists());
    // A backup dir that already holds a backup is refused, untouched.
    let out = etcdctl(&[
        "backup",
        "--data-dir",
        data,
        "--backup-dir",
        backup.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let shown = format!("{}/member/snap", backup.display());
    let name = snapshot_file(&backup);
    let name = name.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        untimed(&text(&out.stderr)),
        format!("I | failed creating backup snapshot dir {shown}: expected {shown:?} to be empty, got [{name:?}]")
    );
    assert!(etcd_server::backup::verify(&backup.join("member"))
        .unwrap()
        .is_some());
    // An existing empty dir is fine.
    let empty = cwd.join("empty.bak");
    std::fs::create_dir(&empty).unwrap();
    let out = etcdctl(&[
        "backup",
        "--data-dir",
        data,
        "--backup-dir",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(empty.join("member/backup.json").exists());
}
