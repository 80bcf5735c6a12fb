//! What the store is asked to do ([`Command`]) and what it reports ([`Event`],
//! [`Sink`]).

use etcd_client::{Action, Node as NodeView, TrimmedNode, TrimmedResponse};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One replicated change of the store. Every member applies the same commands
/// in the same order, each with the `now` its proposer stamped, so they all
/// compute the same expirations and the same events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// `PUT` without conditions: create or replace.
    Set {
        path: String,
        value: Vec<u8>,
        dir: bool,
        ttl: Option<u64>,
        refresh: bool,
    },
    /// `PUT prevExist=false`, or `POST` (`unique`: the name is the new index).
    Create {
        path: String,
        value: Vec<u8>,
        dir: bool,
        ttl: Option<u64>,
        unique: bool,
    },
    /// `PUT prevExist=true`.
    Update {
        path: String,
        value: Vec<u8>,
        ttl: Option<u64>,
        refresh: bool,
    },
    /// `PUT` with `prevValue` and/or `prevIndex` (an empty value or index 0
    /// means "not compared").
    CompareAndSwap {
        path: String,
        prev_value: Vec<u8>,
        prev_index: u64,
        value: Vec<u8>,
        ttl: Option<u64>,
        refresh: bool,
    },
    /// `DELETE` (`recursive` implies `dir`).
    Delete {
        path: String,
        dir: bool,
        recursive: bool,
    },
    /// `DELETE` with `prevValue` and/or `prevIndex`.
    CompareAndDelete {
        path: String,
        prev_value: Vec<u8>,
        prev_index: u64,
    },
    /// Removes every node whose expiration is at or before the entry's `now`,
    /// one `expire` event (and one index) per node.
    Expire,
}

/// A change of the store (or the answer of a read), as the reference shapes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub action: Action,
    pub node: NodeView,
    pub prev_node: Option<NodeView>,
    /// A TTL refresh: kept in the history but never delivered to watchers.
    pub refresh: bool,
}

impl Event {
    pub(crate) fn new(action: Action, key: &str, modified: u64, created: u64) -> Event {
        Event {
            action,
            node: NodeView {
                key: key.to_owned(),
                modified_index: modified,
                created_index: created,
                ..NodeView::default()
            },
            prev_node: None,
            refresh: false,
        }
    }

    /// The index of the change: the event node's modified index.
    pub fn index(&self) -> u64 {
        self.node.modified_index
    }

    /// The wire body, with `prefix` (the keys namespace, `/1`) trimmed from the
    /// keys; `with_nodes: false` drops node and prevNode (`noValueOnSuccess`).
    /// It borrows the event's nodes: nothing is copied to encode it.
    pub fn to_response<'a>(&'a self, prefix: &'a str, with_nodes: bool) -> TrimmedResponse<'a> {
        let trim = |n: &'a NodeView| TrimmedNode::new(n, prefix);
        TrimmedResponse {
            action: self.action,
            node: with_nodes.then(|| trim(&self.node)),
            prev_node: if with_nodes {
                self.prev_node.as_ref().map(trim)
            } else {
                None
            },
        }
    }
}

/// Receives what an applied command means for watchers. The store calls it in
/// the reference's order: first [`Sink::removed`] for every node a removal
/// takes away (children before their directory), then [`Sink::changed`].
pub trait Sink {
    /// Whether [`Sink::removed`] is wanted; building the removed paths of a
    /// large directory costs time, so the store skips it when nobody listens.
    fn wants_removed(&self) -> bool {
        false
    }

    /// The node at `path` was removed by `event` (delete, compare-and-delete or
    /// expire of it or of a directory above it).
    fn removed(&mut self, _event: &Arc<Event>, _path: &str) {}

    /// `event` was applied and should wake the watchers of its key. Not called
    /// for refreshes.
    fn changed(&mut self, _event: &Arc<Event>) {}
}

/// A sink for callers without watchers.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoWatchers;

impl Sink for NoWatchers {}
