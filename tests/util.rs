//! Helpers shared by the black-box tests.

use std::path::PathBuf;

/// Path of a binary built from this workspace (`etcd-server`, `etcdctl`).
///
/// Cargo builds workspace binaries into the same target directory as this test
/// binary (`target/<profile>/deps/..`).
pub fn workspace_bin(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace` (or `cargo test --workspace`) first",
        path.display()
    );
    path
}
