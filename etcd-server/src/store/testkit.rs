//! Test harness: drives the store the way the keys API will, from spec-style
//! requests (`PUT /foo value=bar&ttl=5`), and renders answers as the reference's
//! JSON, so tests can compare with spec transcripts byte for byte.
//!
//! The request-to-command mapping follows spec keys-api.md §6.1 (the decision
//! table); parameter validation (2xx errors) is the HTTP layer's and is not
//! modelled here beyond what the store needs.

use super::{Command, Event, NoWatchers, Store, KEYS_PREFIX};
use crate::error::Error;
use etcd_client::json;
use etcd_client::time::NANOS_PER_SEC;
use std::sync::Arc;

/// 2026-11-21T05:10:00Z, the day the spec was captured.
pub const T0: i64 = 1_795_237_800 * NANOS_PER_SEC;

/// A store, a clock, and the reference's view of user keys (`/1` hidden).
#[derive(Debug)]
pub struct Harness {
    pub store: Store,
    pub now: i64,
}

/// An answer: HTTP status and the JSON body (without the trailing newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// `X-Etcd-Index`: the current index (for writes, the write's index).
    pub index: u64,
}

fn params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect()
}

fn flag(ps: &[(String, String)], name: &str) -> Option<bool> {
    ps.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| matches!(v.as_str(), "1" | "t" | "T" | "TRUE" | "true" | "True"))
}

fn text<'a>(ps: &'a [(String, String)], name: &str) -> Option<&'a str> {
    ps.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    /// A store like a fresh single-member reference server: three cluster
    /// records written, so the first user write gets index 4.
    pub fn new() -> Harness {
        let mut h = Harness {
            store: Store::new(),
            now: T0,
        };
        for (path, value) in [
            ("/0/members/8e9e05c52164694d/raftAttributes", "{}"),
            ("/0/members/8e9e05c52164694d/attributes", "{}"),
            ("/0/version", "3.4.0"),
        ] {
            h.apply(Command::Set {
                path: path.into(),
                value: value.into(),
                dir: false,
                ttl: None,
                refresh: false,
            })
            .unwrap();
        }
        assert_eq!(h.store.index(), 3);
        h
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, nanos: i64) {
        self.now += nanos;
    }

    pub fn apply(&mut self, cmd: Command) -> Result<Option<Arc<Event>>, Error> {
        self.store.apply(&cmd, self.now, &mut NoWatchers)
    }

    /// Runs an expiry sweep at the current time.
    pub fn expire(&mut self) {
        self.apply(Command::Expire).unwrap();
    }

    /// The command the keys API makes of `method key?query` (spec §6.1).
    pub fn command(method: &str, key: &str, query: &str) -> Command {
        let ps = params(query);
        let path = format!("{KEYS_PREFIX}{key}");
        let value = text(&ps, "value").unwrap_or("").as_bytes().to_vec();
        let dir = flag(&ps, "dir").unwrap_or(false);
        let ttl = text(&ps, "ttl")
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().expect("test ttl"));
        let refresh = flag(&ps, "refresh").unwrap_or(false);
        let prev_value = text(&ps, "prevValue").unwrap_or("").as_bytes().to_vec();
        let prev_index: u64 = text(&ps, "prevIndex").map_or(0, |i| i.parse().expect("test index"));
        match method {
            "POST" => Command::Create {
                path,
                value,
                dir,
                ttl,
                unique: true,
            },
            "DELETE" => {
                if !prev_value.is_empty() || prev_index > 0 {
                    Command::CompareAndDelete {
                        path,
                        prev_value,
                        prev_index,
                    }
                } else {
                    Command::Delete {
                        path,
                        dir,
                        recursive: flag(&ps, "recursive").unwrap_or(false),
                    }
                }
            }
            "PUT" => match flag(&ps, "prevExist") {
                Some(true) if prev_value.is_empty() && prev_index == 0 => Command::Update {
                    path,
                    value,
                    ttl,
                    refresh,
                },
                Some(false) => Command::Create {
                    path,
                    value,
                    dir,
                    ttl,
                    unique: false,
                },
                _ if !prev_value.is_empty() || prev_index > 0 => Command::CompareAndSwap {
                    path,
                    prev_value,
                    prev_index,
                    value,
                    ttl,
                    refresh,
                },
                _ => Command::Set {
                    path,
                    value,
                    dir,
                    ttl,
                    refresh,
                },
            },
            other => panic!("not a write method: {other}"),
        }
    }

    /// Sends one request: `GET`, `PUT`, `POST` or `DELETE` of a user key
    /// (`/foo`) with a query string of parameters (values not URL-encoded).
    pub fn req(&mut self, method: &str, key: &str, query: &str) -> Answer {
        if method == "GET" {
            let ps = params(query);
            let path = format!("{KEYS_PREFIX}{key}");
            let recursive = flag(&ps, "recursive").unwrap_or(false);
            let sorted = flag(&ps, "sorted").unwrap_or(false);
            return match self.store.get(&path, recursive, sorted, self.now) {
                Ok(e) => self.answer(200, &e, true),
                Err(e) => self.error(e),
            };
        }
        let no_value = flag(&params(query), "noValueOnSuccess").unwrap_or(false);
        let cmd = Harness::command(method, key, query);
        let created = matches!(&cmd, Command::Set { .. } | Command::Create { .. });
        match self.apply(cmd) {
            Ok(Some(e)) => {
                let status = match method {
                    "POST" => 201,
                    "PUT" if created && e.prev_node.is_none() => 201,
                    _ => 200,
                };
                let with_nodes = !(no_value && method != "DELETE");
                self.answer(status, &e, with_nodes)
            }
            Ok(None) => unreachable!("only Expire has no event"),
            Err(e) => self.error(e),
        }
    }

    fn answer(&self, status: u16, e: &Event, with_nodes: bool) -> Answer {
        let body = json::to_vec(&e.to_response(KEYS_PREFIX, with_nodes));
        Answer {
            status,
            body: String::from_utf8(body).unwrap(),
            index: self.store.index(),
        }
    }

    fn error(&self, e: Error) -> Answer {
        let body = json::to_vec(&e.to_body(KEYS_PREFIX));
        Answer {
            status: e.http_status(),
            body: String::from_utf8(body).unwrap(),
            index: e.index,
        }
    }

    /// `req`, asserting the status and the exact body.
    #[track_caller]
    pub fn expect(&mut self, method: &str, key: &str, query: &str, status: u16, body: &str) {
        let a = self.req(method, key, query);
        assert_eq!(
            (a.status, a.body.as_str()),
            (status, body),
            "{method} {key}?{query}"
        );
    }
}
