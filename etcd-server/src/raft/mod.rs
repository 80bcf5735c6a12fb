//! Raft, through openraft 0.9: the type configuration, the durable log
//! ([`log_store`]) and the state machine over the v2 store ([`state_machine`]).
//!
//! Every other module names openraft's generic types through the aliases in
//! [`typ`], so the generics are spelled out only here.

use crate::error::Error;
use crate::store::{Command, Event};
use serde::{Deserialize, Serialize};
use std::io::Cursor;
use std::sync::Arc;

pub mod datadir;
pub mod durable_file;
mod entry_cache;
pub mod forward;
mod gentle_write;
mod inline_io;
pub mod leadership;
mod log_reader;
pub mod log_store;
mod low_priority;
pub mod network;
mod page_cache;
mod removals;
pub mod runtime;
pub mod snapshot_due;
mod snapshot_file;
pub mod state_machine;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_datadir;
#[cfg(test)]
mod tests_state_machine;
#[cfg(test)]
mod tests_wal_spare;
mod wal;
mod wal_recovery;
mod wal_spare;

openraft::declare_raft_types!(
    /// The raft type configuration of this server.
    pub TypeConfig:
        D = Batch,
        R = Response,
        NodeId = u64,
        Node = Member,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = runtime::Runtime,
);

/// One replicated request: a store command and the proposer's clock (Unix
/// nanoseconds), so every member computes the same expirations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub now: i64,
    pub command: Command,
}

/// What one raft entry carries: requests proposed together, so that one log
/// append (one fsync) covers them all (group commit; openraft 0.9 appends and
/// syncs every entry on its own).
///
/// Shared, so that copies of an entry (the forwarder keeps one while it
/// proposes, the log's entry cache keeps one) do not copy its requests. It
/// is encoded exactly as the list of requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch(pub Arc<Vec<Request>>);

impl From<Vec<Request>> for Batch {
    fn from(requests: Vec<Request>) -> Batch {
        Batch(Arc::new(requests))
    }
}

/// The outcome of one request: the store's event or error; `None` for
/// `Expire`.
pub type Outcome = Option<Result<Arc<Event>, Error>>;

/// What applying one log entry produced: one outcome per request of its
/// batch, in order (none for blank and membership entries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response(pub Vec<Outcome>);

/// A member as raft knows it (the raft node type): what `/v2/members` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Empty until the member has started and published itself.
    pub name: String,
    pub peer_urls: Vec<String>,
    /// Empty until the member has started and published itself.
    pub client_urls: Vec<String>,
}

/// Aliases of openraft's generic types for this configuration.
pub mod typ {
    use super::TypeConfig;

    pub type NodeId = u64;
    pub type Raft = openraft::Raft<TypeConfig>;
    pub type Entry = openraft::Entry<TypeConfig>;
    pub type LogId = openraft::LogId<NodeId>;
    pub type Vote = openraft::Vote<NodeId>;
    pub type LogState = openraft::LogState<TypeConfig>;
    pub type StorageError = openraft::StorageError<NodeId>;
    pub type StoredMembership = openraft::StoredMembership<NodeId, super::Member>;
    pub type Snapshot = openraft::Snapshot<TypeConfig>;
    pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, super::Member>;
    pub type LogFlushed = openraft::storage::LogFlushed<TypeConfig>;
    pub type RaftMetrics = openraft::RaftMetrics<NodeId, super::Member>;
    pub type ClientWriteError = openraft::error::ClientWriteError<NodeId, super::Member>;
    pub type RaftError<E = openraft::error::Infallible> = openraft::error::RaftError<NodeId, E>;
}
