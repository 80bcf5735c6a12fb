//! Binaries that are not built yet must say so and fail, never pretend to work.

use crate::util::workspace_bin;
use std::process::Command;

fn assert_refuses(name: &str) {
    let out = Command::new(workspace_bin(name))
        .output()
        .expect("start binary");
    assert!(!out.status.success(), "{name} must exit non-zero");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not implemented yet"),
        "{name} must say it is not built yet, said: {stderr}"
    );
}

#[test]
fn etcd_server_is_not_built_yet() {
    assert_refuses("etcd-server");
}

#[test]
fn etcdctl_is_not_built_yet() {
    assert_refuses("etcdctl");
}
