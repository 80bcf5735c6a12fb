//! `etcdctl`: the etcd v2 command-line client.
//!
//! The commands are not built yet (they arrive with the etcdctl issue); until then
//! the binary says so and exits non-zero instead of pretending to work.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "etcdctl: not implemented yet: this build only contains the v2 store and the wire types"
    );
    ExitCode::from(1)
}
