//! `/debug/vars`: the reference's expvar page, its variables sorted by name,
//! one per line, as Go's expvar handler writes them:
//!
//! - `cmdline`: the process's arguments;
//! - `file_descriptor_limit`: the soft limit on open files;
//! - `raft.status`: this member's raft state in the reference's shape (id,
//!   term, vote, commit, leader, role, applied index, and on the leader the
//!   progress of every voter).
//!
//! The reference also lists `memstats`, the statistics of Go's garbage
//! collected heap; this server has no such heap, so it has no such entry.

use super::{full, with_status, Resp};
use crate::app::App;
use crate::ids;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use openraft::ServerState;
use std::fmt::Write;

/// The page for `app`.
pub(super) fn page(app: &App) -> Resp {
    use std::os::unix::ffi::OsStrExt;
    // Go's encoding: invalid UTF-8 as \ufffd, `<`, `>` and `&` escaped.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let args: Vec<_> = args
        .iter()
        .map(|a| etcd_client::json::lossy(a.as_bytes()))
        .collect();
    let cmdline = String::from_utf8(etcd_client::json::to_vec(&args)).expect("JSON is UTF-8");
    let vars = [
        ("cmdline", cmdline),
        (
            "file_descriptor_limit",
            crate::process_metrics::fd_limit().to_string(),
        ),
        ("raft.status", raft_status(app)),
    ];
    let mut r = with_status(200, full(render(&vars)));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// The page's text: `{`, then `"name": value` lines joined by commas, `}`
/// (the names are plain ASCII).
fn render(vars: &[(&str, String)]) -> String {
    let lines: Vec<String> = vars
        .iter()
        .map(|(name, value)| format!("\"{name}\": {value}"))
        .collect();
    format!("{{\n{}\n}}\n", lines.join(",\n"))
}

/// One voter's replication, as the leader knows it.
struct Progress {
    id: u64,
    matched: u64,
    replicating: bool,
}

/// The figures of `raft.status`.
struct Status {
    id: u64,
    term: u64,
    vote: u64,
    commit: u64,
    lead: u64,
    state: &'static str,
    applied: u64,
    progress: Vec<Progress>,
}

fn raft_status(app: &App) -> String {
    let m = app.raft.metrics().borrow().clone();
    let state = match m.state {
        ServerState::Leader => "StateLeader",
        ServerState::Candidate => "StateCandidate",
        // A learner is a follower that does not vote, as the reference has it.
        ServerState::Follower | ServerState::Learner | ServerState::Shutdown => "StateFollower",
    };
    let progress = m
        .replication
        .iter()
        .flatten()
        .map(|(id, matched)| Progress {
            id: *id,
            matched: matched.map_or(0, |l| l.index),
            replicating: matched.is_some(),
        })
        .collect();
    render_status(&Status {
        id: app.member_id,
        term: m.current_term,
        vote: m.vote.leader_id().voted_for().unwrap_or(0),
        commit: *app.committed.borrow(),
        lead: m.current_leader.unwrap_or(0),
        state,
        applied: m.last_applied.map_or(0, |l| l.index),
        progress,
    })
}

/// The reference's JSON of a raft status: ids in unpadded hex, the progress
/// of every voter on the leader (empty elsewhere), no leadership transfer.
fn render_status(s: &Status) -> String {
    let mut j = format!(
        r#"{{"id":"{}","term":{},"vote":"{}","commit":{},"lead":"{}","raftState":"{}","applied":{},"progress":{{"#,
        ids::hex(s.id),
        s.term,
        ids::hex(s.vote),
        s.commit,
        ids::hex(s.lead),
        s.state,
        s.applied
    );
    for (k, p) in s.progress.iter().enumerate() {
        let state = if p.replicating {
            "StateReplicate"
        } else {
            "StateProbe"
        };
        let comma = if k == 0 { "" } else { "," };
        let _ = write!(
            j,
            r#"{comma}"{}":{{"match":{},"next":{},"state":"{state}"}}"#,
            ids::hex(p.id),
            p.matched,
            p.matched + 1
        );
    }
    j.push_str(r#"},"leadtransferee":"0"}"#);
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_one_variable_per_line_as_expvar_does() {
        let vars = [
            ("cmdline", r#"["etcd","--name","n1"]"#.to_owned()),
            ("file_descriptor_limit", "20000".to_owned()),
        ];
        assert_eq!(
            render(&vars),
            "{\n\"cmdline\": [\"etcd\",\"--name\",\"n1\"],\n\"file_descriptor_limit\": 20000\n}\n"
        );
    }

    #[test]
    fn a_leaders_status_has_the_references_shape() {
        // The reference's page for a fresh single member, with its own ids.
        let leader = Status {
            id: 0x60f9_8d3b_71ac_64f3,
            term: 2,
            vote: 0x60f9_8d3b_71ac_64f3,
            commit: 5,
            lead: 0x60f9_8d3b_71ac_64f3,
            state: "StateLeader",
            applied: 5,
            progress: vec![Progress {
                id: 0x60f9_8d3b_71ac_64f3,
                matched: 5,
                replicating: true,
            }],
        };
        assert_eq!(
            render_status(&leader),
            r#"{"id":"60f98d3b71ac64f3","term":2,"vote":"60f98d3b71ac64f3","commit":5,"lead":"60f98d3b71ac64f3","raftState":"StateLeader","applied":5,"progress":{"60f98d3b71ac64f3":{"match":5,"next":6,"state":"StateReplicate"}},"leadtransferee":"0"}"#
        );
    }

    #[test]
    fn a_followers_status_has_no_progress() {
        let follower = Status {
            id: 0xa,
            term: 3,
            vote: 0,
            commit: 9,
            lead: 0xb,
            state: "StateFollower",
            applied: 8,
            progress: Vec::new(),
        };
        assert_eq!(
            render_status(&follower),
            r#"{"id":"a","term":3,"vote":"0","commit":9,"lead":"b","raftState":"StateFollower","applied":8,"progress":{},"leadtransferee":"0"}"#
        );
        let two = Status {
            progress: vec![
                Progress {
                    id: 1,
                    matched: 4,
                    replicating: true,
                },
                Progress {
                    id: 2,
                    matched: 0,
                    replicating: false,
                },
            ],
            ..follower
        };
        assert!(render_status(&two).contains(
            r#""progress":{"1":{"match":4,"next":5,"state":"StateReplicate"},"2":{"match":0,"next":1,"state":"StateProbe"}}"#
        ));
    }
}
