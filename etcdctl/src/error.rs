//! Exit codes and the reference's ways of reporting a failure.

use std::io::Write;

use etcd_client::{EndpointErrorKind, Error};

/// Success (also help, version, an unsupported `-o` value).
pub const EXIT_SUCCESS: i32 = 0;
/// Bad arguments, flag errors, and every member/user/role/auth failure.
pub const EXIT_BAD_ARGS: i32 = 1;
/// The cluster sync failed to connect, or hit the total timeout.
pub const EXIT_BAD_CONNECTION: i32 = 2;
/// Unknown command or help topic.
pub const EXIT_UNKNOWN_COMMAND: i32 = 3;
/// A key or watch request failed.
pub const EXIT_SERVER_ERROR: i32 = 4;
/// `cluster-health`: the cluster is degraded or unavailable.
pub const EXIT_BAD_FEATURE: i32 = 5;

/// A failed command: report already written, exit with this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub i32);

/// Writes `Error:  <err>` (plus the per-endpoint detail block of a cluster
/// error) to stderr and returns `code`, as key commands report failures.
pub fn report(stderr: &mut dyn Write, code: i32, err: &dyn std::fmt::Display) -> Exit {
    let _ = writeln!(stderr, "Error:  {err}");
    Exit(code)
}

/// [`report`] for a client error, with the cluster detail block.
pub fn report_client(stderr: &mut dyn Write, code: i32, err: &Error) -> Exit {
    let _ = writeln!(stderr, "Error:  {err}");
    if let Error::ClusterUnavailable(list) = err {
        let mut detail = String::new();
        for (i, e) in list.iter().enumerate() {
            detail.push_str(&format!("error #{i}: {e}\n"));
        }
        let _ = writeln!(stderr, "{detail}");
    }
    Exit(code)
}

/// Whether a failed sync counts as a connection failure (exit 2) rather than
/// something to ignore: every endpoint refused or broke the connection, or the
/// total timeout passed.
pub fn is_connection_error(err: &Error) -> bool {
    match err {
        Error::Timeout => true,
        Error::ClusterUnavailable(list) => list.iter().all(|e| {
            matches!(
                e.kind,
                EndpointErrorKind::Connect { .. } | EndpointErrorKind::Transport(_)
            )
        }),
        Error::Endpoint(e) => matches!(
            e.kind,
            EndpointErrorKind::Connect { .. } | EndpointErrorKind::Transport(_)
        ),
        _ => false,
    }
}
