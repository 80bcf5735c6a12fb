//! Binaries that are not built yet must say so and fail, never pretend to work.

use crate::util::workspace_bin;
use std::process::Command;

#[test]
fn etcdctl_is_not_built_yet() {
    let out = Command::new(workspace_bin("etcdctl"))
        .output()
        .expect("start etcdctl");
    assert!(!out.status.success(), "etcdctl must exit non-zero");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not implemented yet"),
        "etcdctl must say it is not built yet, said: {stderr}"
    );
}
