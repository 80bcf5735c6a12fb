//! Log lines for changes of raft role and leader, worded like the
//! reference's (`<id> became leader at term 2`, `raft.node: <id> elected
//! leader <id> at term 2`, `... lost leader ...`), so operators can follow
//! elections in the log as they do with the reference.

use super::typ;
use crate::ids::hex;
use openraft::ServerState;
use prometheus_client::metrics::counter::Counter;

/// What the log lines describe: role, term and known leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub state: ServerState,
    pub term: u64,
    pub leader: Option<u64>,
}

/// The reference's `raft` line for a change of role or term of member `me`
/// (`<id> became leader at term 2`), if there is one.
pub fn role_change(me: u64, before: &Seen, now: &Seen) -> Option<String> {
    // The reference says it again at every new term.
    if now.state == before.state && now.term == before.term {
        return None;
    }
    let role = match now.state {
        ServerState::Leader => "leader",
        ServerState::Candidate => "candidate",
        // A learner follows like a follower (the reference does not tell
        // them apart in this line).
        ServerState::Follower | ServerState::Learner => "follower",
        ServerState::Shutdown => return None,
    };
    Some(format!("{} became {role} at term {}", hex(me), now.term))
}

/// The reference's `raft.node` line for a change of the leader member `me`
/// knows (`<id> elected leader <id> at term 2`), if there is one.
pub fn leader_change(me: u64, before: &Seen, now: &Seen) -> Option<String> {
    let what = match (before.leader, now.leader) {
        (None, Some(l)) => format!("elected leader {}", hex(l)),
        (Some(l), None) => format!("lost leader {}", hex(l)),
        (Some(a), Some(b)) if a != b => format!("changed leader from {} to {}", hex(a), hex(b)),
        _ => return None,
    };
    Some(format!("{} {what} at term {}", hex(me), now.term))
}

/// Whether `now` names a leader other than the one `before` knew: the
/// reference's count of leader changes (a leader after none counts too).
pub fn new_leader(before: &Seen, now: &Seen) -> bool {
    now.leader.is_some() && now.leader != before.leader
}

/// Logs every change of role or leader of `raft` until it shuts down, and
/// counts the new leaders in `leader_changes`.
pub async fn log_changes(raft: typ::Raft, me: u64, leader_changes: Counter) {
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
        if let Some(line) = role_change(me, &before, &now) {
            tracing::info!(target: "raft", "{line}");
        }
        if let Some(line) = leader_change(me, &before, &now) {
            tracing::info!(target: "raft.node", "{line}");
        }
        if new_leader(&before, &now) {
            leader_changes.inc();
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

    /// Both lines, `None` where there is none.
    fn lines(me: u64, before: &Seen, now: &Seen) -> (Option<String>, Option<String>) {
        (role_change(me, before, now), leader_change(me, before, now))
    }

    fn some(role: &str, leader: &str) -> (Option<String>, Option<String>) {
        let line = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        (line(role), line(leader))
    }

    #[test]
    fn an_election_won_is_two_lines() {
        let before = seen(ServerState::Candidate, 2, None);
        let now = seen(ServerState::Leader, 2, Some(0xd844));
        assert_eq!(
            lines(0xd844, &before, &now),
            some(
                "d844 became leader at term 2",
                "d844 elected leader d844 at term 2"
            )
        );
    }

    #[test]
    fn a_follower_tells_when_it_loses_and_finds_a_leader() {
        let following = seen(ServerState::Follower, 3, Some(0xa));
        let candidate = seen(ServerState::Candidate, 4, None);
        assert_eq!(
            lines(0xb, &following, &candidate),
            some("b became candidate at term 4", "b lost leader a at term 4")
        );
        let back = seen(ServerState::Follower, 5, Some(0xc));
        assert_eq!(
            lines(0xb, &candidate, &back),
            some(
                "b became follower at term 5",
                "b elected leader c at term 5"
            )
        );
        let moved = seen(ServerState::Follower, 6, Some(0xa));
        assert_eq!(
            lines(0xb, &back, &moved),
            some(
                "b became follower at term 6",
                "b changed leader from c to a at term 6"
            )
        );
    }

    #[test]
    fn nothing_changed_is_no_line() {
        let s = seen(ServerState::Follower, 3, Some(0xa));
        assert_eq!(lines(0xb, &s, &s), (None, None));
        let learner = seen(ServerState::Learner, 3, Some(0xa));
        assert_eq!(
            lines(0xb, &learner, &s),
            some("b became follower at term 3", "")
        );
        let again = seen(ServerState::Candidate, 7, None);
        let next = seen(ServerState::Candidate, 8, None);
        assert_eq!(
            lines(0xb, &again, &next),
            some("b became candidate at term 8", "")
        );
        let shutdown = seen(ServerState::Shutdown, 3, Some(0xa));
        assert_eq!(lines(0xb, &s, &shutdown), (None, None));
    }

    #[test]
    fn a_new_leader_counts_once_and_a_lost_one_does_not() {
        let follower = |leader| seen(ServerState::Follower, 3, leader);
        // (leader before, leader now, counted)
        let cases = [
            (None, Some(1), true),
            (Some(1), Some(1), false),
            (Some(1), None, false),
            (Some(1), Some(2), true),
            (None, None, false),
        ];
        for (before, now, counted) in cases {
            assert_eq!(
                new_leader(&follower(before), &follower(now)),
                counted,
                "{before:?} -> {now:?}"
            );
        }
    }
}
