//! `etcd-server`: the etcd v2 API server.
//!
//! The server (HTTP API, raft, durable log) is not built yet; until then the
//! binary says so and exits non-zero instead of pretending to serve.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "etcd-server: not implemented yet: this build only contains the v2 store and the watch hub"
    );
    ExitCode::from(1)
}
