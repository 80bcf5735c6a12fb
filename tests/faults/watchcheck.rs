//! Watchers spread over the members, long-polling
//! `GET /v2/keys<prefix>?wait=true&recursive=true&waitIndex=N` (the whole
//! key space, or only the TTL keys) and resuming with
//! `waitIndex = last + 1` (after every event, after a client-side timeout
//! and after losing their member), and the checks of what they saw.

use crate::client::{send, Answer, NoAnswer};
use crate::history::{Op, Ret};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One event as a watcher received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub index: u64,
    pub action: String,
    pub key: String,
    pub value: Option<String>,
}

/// One long poll's outcome.
#[derive(Debug, Clone)]
pub enum Poll {
    /// Asked from `wait`, got `event`, at `at` (since the run's start).
    Event {
        wait: u64,
        event: Seen,
        member: usize,
        at: Duration,
    },
    /// Asked from `wait`, told the history was cleared; `index` is the
    /// member's current index.
    Cleared {
        wait: u64,
        index: u64,
        oldest: Option<u64>,
        member: usize,
    },
    /// The answer ended without an event: the member ended its watchers
    /// (it installed a snapshot), as the reference ends a watch it drops.
    /// The watcher asks again from the same index.
    Ended,
    /// Any other answer (a bug).
    Unexpected { wait: u64, what: String },
}

/// What one watcher saw.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The watched prefix: `/` or a directory like `/ttl`.
    pub prefix: String,
    pub polls: Vec<Poll>,
    /// Set when the watcher was told to stop before reaching the end: where
    /// it was and how its last polls ended.
    pub stuck: Option<String>,
}

/// Whether `key` is under `prefix` (everything is under `/`).
fn under(key: &str, prefix: &str) -> bool {
    prefix == "/"
        || key == prefix
        || key
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Shared by the watchers: when to stop.
#[derive(Debug, Default)]
pub struct WatchCtl {
    pub stop: AtomicBool,
    /// Once set (non-zero), watchers stop after reaching this index.
    pub until: AtomicU64,
}

/// Watches from `from` until told to stop; returns every poll. A watcher
/// with a `lag` pauses that long after each event, so it falls more than
/// 1000 events behind under load and meets the 401 of a cleared history
/// (then resumes from the oldest event kept); it stops lagging once the
/// run is over.
pub async fn watcher(
    http: reqwest::Client,
    urls: Vec<String>,
    prefix: &'static str,
    start: std::time::Instant,
    from: u64,
    ctl: Arc<WatchCtl>,
    lag: Duration,
) -> Stream {
    let mut polls = Vec::new();
    let mut wait = from;
    let mut member = fastrand::usize(..urls.len());
    // How the latest polls since the end of the run ended, for the report
    // of a watcher that does not finish.
    let mut trail: VecDeque<String> = VecDeque::new();
    loop {
        let until = ctl.until.load(Ordering::SeqCst);
        let stopped = ctl.stop.load(Ordering::SeqCst);
        if stopped || (until > 0 && wait > until) {
            let stuck = (stopped && (until == 0 || wait <= until)).then(|| {
                let recent: Vec<&str> = trail.iter().map(String::as_str).collect();
                format!(
                    "watcher of {prefix} at waitIndex {wait} (until {until}): {}",
                    recent.join("; ")
                )
            });
            return Stream {
                prefix: prefix.to_owned(),
                polls,
                stuck,
            };
        }
        // A random client-side timeout: many polls end without an event
        // and resume from the same index.
        let timeout = Duration::from_millis(fastrand::u64(500..4000));
        let url = format!(
            "{}/v2/keys{prefix}?wait=true&recursive=true&waitIndex={wait}",
            urls[member]
        );
        let answer = send(&http, reqwest::Method::GET, &url, None, timeout).await;
        if ctl.until.load(Ordering::SeqCst) > 0 {
            let what = match &answer {
                Ok(a) => format!("m{member} {} index {:?} {}", a.status, a.index, a.body),
                Err(e) => format!("m{member} {e:?} after {timeout:?}"),
            };
            if trail.len() == 6 {
                trail.pop_front();
            }
            trail.push_back(what);
        }
        match answer {
            Ok(a) => match classify(wait, member, &a, start) {
                Some(p) => {
                    match &p {
                        Poll::Event { event, .. } => {
                            // An event below the index asked for (a bug the
                            // checks report) never moves the watcher back.
                            wait = wait.max(event.index + 1);
                            // No lagging once the run is over and the
                            // watchers catch up.
                            if ctl.until.load(Ordering::SeqCst) == 0 {
                                tokio::time::sleep(lag).await;
                            }
                        }
                        Poll::Cleared { oldest, index, .. } => {
                            wait = oldest.unwrap_or(index.saturating_sub(999)).max(wait + 1)
                        }
                        Poll::Ended => {}
                        Poll::Unexpected { .. } => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                    polls.push(p);
                }
                None => member = fastrand::usize(..urls.len()),
            },
            Err(NoAnswer::NotSent) => {
                member = fastrand::usize(..urls.len());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // Timed out or cut: sometimes stay, sometimes move.
            Err(NoAnswer::Lost(_)) => {
                if fastrand::bool() {
                    member = fastrand::usize(..urls.len());
                }
            }
        }
    }
}

/// Reads a watch answer. `None` for answers a member gives while it cannot
/// serve (5xx): the watcher moves on.
fn classify(wait: u64, member: usize, a: &Answer, start: std::time::Instant) -> Option<Poll> {
    let b = &a.body;
    if a.status == 200 && b.is_null() {
        return Some(Poll::Ended);
    }
    if a.status == 200 {
        let node = &b["node"];
        let (Some(index), Some(action), Some(key)) = (
            node["modifiedIndex"].as_u64(),
            b["action"].as_str(),
            node["key"].as_str(),
        ) else {
            return Some(Poll::Unexpected {
                wait,
                what: format!("200 without an event: {b}"),
            });
        };
        let event = Seen {
            index,
            action: action.to_owned(),
            key: key.to_owned(),
            value: node["value"].as_str().map(str::to_owned),
        };
        return Some(Poll::Event {
            wait,
            event,
            member,
            at: start.elapsed(),
        });
    }
    if b["errorCode"].as_u64() == Some(401) {
        // "the requested history has been cleared [oldest/wait]"
        let oldest = b["cause"]
            .as_str()
            .and_then(|c| c.rsplit_once('[')?.1.split_once('/')?.0.parse().ok());
        return Some(Poll::Cleared {
            wait,
            index: b["index"].as_u64().unwrap_or(0),
            oldest,
            member,
        });
    }
    if a.status >= 500 {
        return None;
    }
    Some(Poll::Unexpected {
        wait,
        what: format!("{} {b}", a.status),
    })
}

/// What the watch checks found.
#[derive(Debug, Default, Clone)]
pub struct WatchFindings {
    pub events: usize,
    pub polls: usize,
    pub cleared: usize,
    /// Polls the member ended without an event.
    pub ended: usize,
    pub out_of_order: usize,
    pub duplicates: usize,
    pub gaps: usize,
    pub disagreements: usize,
    pub bad_cleared: usize,
    pub unexpected: usize,
    /// Expire events per key (distinct indexes).
    pub expires: HashMap<String, Vec<(u64, Duration)>>,
    /// Index ranges no watcher of the whole key space covered (after a 401
    /// for all of them).
    pub uncovered: Vec<(u64, u64)>,
    /// Whether the watchers that see the TTL keys covered every index.
    pub ttl_covered: bool,
    pub problems: Vec<String>,
}

/// Checks every watcher's polls against each other and against the
/// acknowledged writes of the history (the committed events visible to a
/// recursive watch on `/`).
pub fn check(streams: &[Stream], ops: &[Op], from: u64, until: u64) -> WatchFindings {
    let mut f = WatchFindings::default();
    // Everything known to be committed: index -> event.
    let mut committed: BTreeMap<u64, Seen> = BTreeMap::new();
    for op in ops {
        let Ret::Ok { node: Some(n), .. } = &op.ret else {
            continue;
        };
        if !op.call.writes() || n.modified < from {
            continue;
        }
        let write = Seen {
            index: n.modified,
            action: String::new(),
            key: n.key.clone(),
            value: n.value.clone(),
        };
        // Two acknowledged writes answered with one index.
        if let Some(other) = committed.get(&n.modified).filter(|o| **o != write) {
            f.disagreements += 1;
            let text = format!(
                "two writes answered with index {}: {other:?} and {write:?}",
                n.modified
            );
            f.note(text);
        }
        committed.insert(n.modified, write);
    }
    for (w, s) in streams.iter().enumerate() {
        for p in &s.polls {
            f.polls += 1;
            let Poll::Event { event, .. } = p else {
                continue;
            };
            match committed.get(&event.index) {
                Some(c) if c.action.is_empty() => {
                    // From a write's answer: the key and value must match.
                    if c.key != event.key
                        || (event.action != "delete"
                            && event.action != "compareAndDelete"
                            && c.value != event.value)
                    {
                        f.disagreements += 1;
                        f.note(format!(
                            "watcher {w}: event {event:?} but the write's answer said {c:?}"
                        ));
                    }
                    committed.insert(event.index, event.clone());
                }
                Some(c) => {
                    if c != event {
                        f.disagreements += 1;
                        f.note(format!(
                            "watcher {w}: event {event:?} but another watcher saw {c:?}"
                        ));
                    }
                }
                None => {
                    committed.insert(event.index, event.clone());
                }
            }
        }
    }
    let mut covered: Vec<(u64, u64)> = Vec::new();
    let mut ttl_covered: Vec<(u64, u64)> = Vec::new();
    for (w, s) in streams.iter().enumerate() {
        let mut last: Option<u64> = None;
        for p in &s.polls {
            match p {
                Poll::Event {
                    wait,
                    event,
                    member,
                    at,
                } => {
                    f.events += 1;
                    if event.action == "expire" {
                        let e = f.expires.entry(event.key.clone()).or_default();
                        if !e.iter().any(|(i, _)| *i == event.index) {
                            e.push((event.index, *at));
                        }
                    }
                    let previous = last.replace(event.index);
                    // The watcher always asks from past its last event, so
                    // an event below the index asked for is a repeat or one
                    // out of order.
                    if event.index < *wait {
                        if previous == Some(event.index) {
                            f.duplicates += 1;
                            f.note(format!(
                                "watcher {w}: event {} twice (from m{member})",
                                event.index
                            ));
                        } else {
                            f.out_of_order += 1;
                            f.note(format!(
                                "watcher {w}: asked m{member} from {wait}, got {}",
                                event.index
                            ));
                        }
                        continue;
                    }
                    // Nothing committed between the index asked for and the
                    // event delivered.
                    let skipped = committed
                        .range(*wait..event.index)
                        .filter(|(_, c)| under(&c.key, &s.prefix));
                    for (&i, missed) in skipped {
                        f.gaps += 1;
                        let text = format!("watcher {w}: asked m{member} from {wait}, got {} but {i} ({missed:?}) was skipped", event.index);
                        f.note(text);
                    }
                    if s.prefix == "/" {
                        covered.push((*wait, event.index));
                    }
                    if under("/ttl", &s.prefix) {
                        ttl_covered.push((*wait, event.index));
                    }
                }
                Poll::Cleared {
                    wait,
                    index,
                    oldest,
                    member,
                } => {
                    f.cleared += 1;
                    // Only outside the window of the last 1000 events.
                    let window_start = index.saturating_sub(999);
                    if *wait >= window_start || oldest.is_some_and(|o| o != window_start.max(1)) {
                        f.bad_cleared += 1;
                        f.note(format!("watcher {w}: m{member} answered 401 for waitIndex {wait} at index {index} (oldest {oldest:?})"));
                    }
                }
                Poll::Ended => f.ended += 1,
                Poll::Unexpected { wait, what } => {
                    f.unexpected += 1;
                    f.note(format!("watcher {w}: waitIndex {wait}: {what}"));
                }
            }
        }
    }
    f.uncovered = gaps_in(covered, from, until);
    f.ttl_covered = gaps_in(ttl_covered, from, until).is_empty();
    f
}

impl WatchFindings {
    /// Records a problem (the first 20 are kept).
    fn note(&mut self, what: String) {
        if self.problems.len() < 20 {
            self.problems.push(what);
        }
    }
}

/// The ranges between `from` and `until` that no interval covers.
fn gaps_in(mut covered: Vec<(u64, u64)>, from: u64, until: u64) -> Vec<(u64, u64)> {
    covered.sort_unstable();
    let mut out = Vec::new();
    let mut next = from;
    for (a, b) in covered {
        if a > next {
            out.push((next, a - 1));
        }
        next = next.max(b + 1);
    }
    if next <= until {
        out.push((next, until));
    }
    out
}

#[cfg(test)]
#[path = "watchcheck_tests.rs"]
mod tests;
