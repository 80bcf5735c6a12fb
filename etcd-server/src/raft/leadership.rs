//! Log lines for changes of raft role and leader, worded like the
//! reference's (`<id> became leader at term 2`, `raft.node: <id> elected
//! leader <id> at term 2`, `... lost leader ...`), so operators can follow
//! elections in the log as they do with the reference.

use super::typ;
use crate::ids::hex;
use openraft::ServerState;

/// What the log lines describe: role, term and known leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub state: ServerState,
    pub term: u64,
    pub leader: Option<u64>,
}

/// The lines that tell how `now` differs from `before`, as member `me` says
/// them: its role first (logged under `raft`), then its leader (under
/// `raft.node`, where the reference's line comes from).
pub fn changes(me: u64, before: &Seen, now: &Seen) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    let term = now.term;
    // The reference says it again at every new term.
    if now.state != before.state || now.term != before.term {
        let role = match now.state {
            ServerState::Leader => "leader",
            ServerState::Candidate => "candidate",
            // A learner follows like a follower (the reference does not
            // tell them apart in this line).
            ServerState::Follower | ServerState::Learner => "follower",
            ServerState::Shutdown => return lines,
        };
        lines.push(("raft", format!("{} became {role} at term {term}", hex(me))));
    }
    if now.leader != before.leader {
        let (me, line) = (
            hex(me),
            match (before.leader, now.leader) {
                (None, Some(l)) => format!("elected leader {} at term {term}", hex(l)),
                (Some(l), None) => format!("lost leader {} at term {term}", hex(l)),
                (Some(a), Some(b)) => format!(
                    "changed leader from {} to {} at term {term}",
                    hex(a),
                    hex(b)
                ),
                (None, None) => unreachable!("the leader changed"),
            },
        );
        lines.push(("raft.node", format!("{me} {line}")));
    }
    lines
}

/// Logs every change of role or leader of `raft` until it shuts down.
pub async fn log_changes(raft: typ::Raft, me: u64) {
    let mut rx = raft.server_metrics();
    let mut before = Seen {
        state: ServerState::Learner,
        term: 0,
        leader: None,
    };
    loop {
        let now = {
            let m = rx.borrow_and_update();
            Seen {
                state: m.state,
                term: m.vote.leader_id().term,
                leader: m.current_leader,
            }
        };
        for (target, line) in changes(me, &before, &now) {
            match target {
                "raft.node" => tracing::info!(target: "raft.node", "{line}"),
                _ => tracing::info!(target: "raft", "{line}"),
            }
        }
        before = now;
        if now.state == ServerState::Shutdown || rx.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(state: ServerState, term: u64, leader: Option<u64>) -> Seen {
        Seen {
            state,
            term,
            leader,
        }
    }

    #[test]
    fn an_election_won_is_two_lines() {
        let before = seen(ServerState::Candidate, 2, None);
        let now = seen(ServerState::Leader, 2, Some(0xd844));
        assert_eq!(
            changes(0xd844, &before, &now),
            [
                ("raft", "d844 became leader at term 2".to_owned()),
                ("raft.node", "d844 elected leader d844 at term 2".to_owned())
            ]
        );
    }

    #[test]
    fn a_follower_tells_when_it_loses_and_finds_a_leader() {
        let following = seen(ServerState::Follower, 3, Some(0xa));
        let candidate = seen(ServerState::Candidate, 4, None);
        assert_eq!(
            changes(0xb, &following, &candidate),
            [
                ("raft", "b became candidate at term 4".to_owned()),
                ("raft.node", "b lost leader a at term 4".to_owned())
            ]
        );
        let back = seen(ServerState::Follower, 5, Some(0xc));
        assert_eq!(
            changes(0xb, &candidate, &back),
            [
                ("raft", "b became follower at term 5".to_owned()),
                ("raft.node", "b elected leader c at term 5".to_owned())
            ]
        );
        let moved = seen(ServerState::Follower, 6, Some(0xa));
        assert_eq!(
            changes(0xb, &back, &moved),
            [
                ("raft", "b became follower at term 6".to_owned()),
                (
                    "raft.node",
                    "b changed leader from c to a at term 6".to_owned()
                )
            ]
        );
    }

    #[test]
    fn nothing_changed_is_no_line() {
        let s = seen(ServerState::Follower, 3, Some(0xa));
        assert!(changes(0xb, &s, &s).is_empty());
        let learner = seen(ServerState::Learner, 3, Some(0xa));
        let became = |line: &str| vec![("raft", line.to_owned())];
        assert_eq!(
            changes(0xb, &learner, &s),
            became("b became follower at term 3")
        );
        let again = seen(ServerState::Candidate, 7, None);
        let next = seen(ServerState::Candidate, 8, None);
        assert_eq!(
            changes(0xb, &again, &next),
            became("b became candidate at term 8")
        );
        let shutdown = seen(ServerState::Shutdown, 3, Some(0xa));
        assert!(changes(0xb, &s, &shutdown).is_empty());
    }
}
