//! The v2 store: a pure, deterministic state machine.
//!
//! It holds the tree of keys and directories, the global index, the TTLs, the
//! last 1000 events and the counters of `/v2/stats/store`. It does no I/O, reads
//! no clock and draws no random numbers: time arrives as an argument (`now`, Unix
//! nanoseconds, stamped by whoever proposed the command), so every member that
//! applies the same commands holds the same store and emits the same events.
//!
//! Paths are the store's internal ones, like the reference's: user keys live
//! below [`KEYS_PREFIX`] (`/1`), cluster records below [`CLUSTER_PREFIX`] (`/0`),
//! so those records advance the index exactly as the reference's do while
//! staying invisible under `/v2/keys`. The keys API adds and trims the prefix.

mod event;
mod history;
mod node;
mod ops;
pub mod path;
mod snapshot;
mod stats;
mod ttl;
mod view;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests_delete;
#[cfg(test)]
mod tests_keys;
#[cfg(test)]
mod tests_model;
#[cfg(test)]
mod tests_script;
#[cfg(test)]
mod tests_ttl;

pub use event::{Command, Event, NoWatchers, Sink};
pub use history::{History, HISTORY_CAPACITY};
pub use snapshot::{Frozen, SnapshotError};
pub use stats::{Counter, Stats, COUNTERS};

use crate::error::Error;
use etcd_client::{Action, ErrorCode, StoreStats};
use node::Node;
use std::sync::Arc;
use ttl::TtlIndex;

/// The clock of unit tests (2026-11-21T05:10:00Z).
#[cfg(test)]
pub(crate) fn testkit_now() -> i64 {
    testkit::T0
}

/// Where user keys live (`/v2/keys/foo` is `/1/foo`).
pub const KEYS_PREFIX: &str = "/1";
/// Where membership and cluster-version records live.
pub const CLUSTER_PREFIX: &str = "/0";
/// The store format version the reference reports.
pub const STORE_VERSION: u32 = 2;

/// Paths that can never be written or deleted (error 107).
const READ_ONLY: [&str; 3] = ["/", CLUSTER_PREFIX, KEYS_PREFIX];

/// The v2 store.
#[derive(Debug, Clone)]
pub struct Store {
    root: Node,
    index: u64,
    version: u32,
    ttl: TtlIndex,
    history: History,
    stats: Stats,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty store with the `/0` and `/1` namespaces, at index 0.
    pub fn new() -> Store {
        let mut root = Node::dir("", 0, 0);
        let children = root.children_mut().expect("root is a directory");
        for ns in [CLUSTER_PREFIX, KEYS_PREFIX] {
            children.insert(Node::dir(&ns[1..], 0, 0));
        }
        Store {
            root,
            index: 0,
            version: STORE_VERSION,
            ttl: TtlIndex::default(),
            history: History::default(),
            stats: Stats::default(),
        }
    }

    /// The global index: the index of the last change.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The store format version (2, like the reference).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The counters of `/v2/stats/store`; `watchers` comes from the watch hub.
    pub fn stats(&self, watchers: u64) -> StoreStats {
        self.stats.snapshot(watchers)
    }

    /// The counts behind [`Store::stats`] since the process started, and
    /// how many of the gets were recursive (for `/metrics`).
    pub fn seen_counts(&self) -> ([u64; COUNTERS], u64) {
        self.stats.seen()
    }

    /// Number of nodes in the tree, directories and the root included.
    pub fn node_count(&self) -> usize {
        self.root.count()
    }

    /// The earliest expiration of any node with a TTL (Unix nanoseconds).
    pub fn next_expiration(&self) -> Option<i64> {
        self.ttl.earliest()
    }

    /// Number of nodes with a TTL.
    pub fn ttl_count(&self) -> usize {
        self.ttl.len()
    }

    /// The event history (for watchers and snapshots).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The first event at or after `since` that a watcher on `key` would see,
    /// `None` if it has not happened yet, or error 401 (history cleared) with
    /// the current index.
    pub fn scan_history(
        &self,
        key: &str,
        recursive: bool,
        since: u64,
    ) -> Result<Option<Arc<Event>>, Error> {
        let key = path::clean(key);
        self.history.scan(&key, recursive, since).map_err(|mut e| {
            e.index = self.index;
            e
        })
    }

    /// Reads the node at `path`; a directory lists its visible children (and
    /// their subtrees with `recursive`), sorted by key with `sorted`. `now`
    /// only renders the remaining `ttl`.
    pub fn get(&self, path: &str, recursive: bool, sorted: bool, now: i64) -> Result<Event, Error> {
        let path = path::clean(path);
        if recursive {
            self.stats.recursive_get();
        }
        match self.lookup(&path) {
            Ok(node) => {
                self.stats.inc(Counter::GetsSuccess);
                Ok(Event {
                    action: Action::Get,
                    node: view::load(node, &path, recursive, sorted, now),
                    prev_node: None,
                    refresh: false,
                })
            }
            Err(e) => {
                self.stats.inc(Counter::GetsFail);
                Err(e)
            }
        }
    }

    /// The value at `path` for the server's own use (auth's flag, read on
    /// every request): counted as a get, like the reference's, but nothing is
    /// rendered and a missing key builds no error. `None` when there is no
    /// node; a directory's value is empty.
    pub fn get_value(&self, path: &str) -> Option<&[u8]> {
        let node = self.find(&path::clean(path));
        self.stats.inc(match node {
            Some(_) => Counter::GetsSuccess,
            None => Counter::GetsFail,
        });
        node.map(Node::value)
    }

    /// Applies one replicated command at `now`. Returns the change's event
    /// (`None` only for [`Command::Expire`], which may remove any number of
    /// nodes), or the reference's error. Watchers hear about it through `sink`.
    pub fn apply(
        &mut self,
        cmd: &Command,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Result<Option<Arc<Event>>, Error> {
        let event = match cmd {
            Command::Set {
                path,
                value,
                dir,
                ttl,
                refresh,
            } => self.set(path, value, *dir, *ttl, *refresh, now, sink),
            Command::Create {
                path,
                value,
                dir,
                ttl,
                unique,
            } => self.create(path, value, *dir, *ttl, *unique, now, sink),
            Command::Update {
                path,
                value,
                ttl,
                refresh,
            } => self.update(path, value, *ttl, *refresh, now, sink),
            Command::CompareAndSwap {
                path,
                prev_value,
                prev_index,
                value,
                ttl,
                refresh,
            } => self.compare_and_swap(
                path,
                prev_value,
                *prev_index,
                value,
                *ttl,
                *refresh,
                now,
                sink,
            ),
            Command::Delete {
                path,
                dir,
                recursive,
            } => self.delete(path, *dir, *recursive, now, sink),
            Command::CompareAndDelete {
                path,
                prev_value,
                prev_index,
            } => self.compare_and_delete(path, prev_value, *prev_index, now, sink),
            Command::Expire => {
                self.expire(now, sink);
                return Ok(None);
            }
        };
        event.map(Some)
    }

    /// Whether a node exists at `path` (no counters change).
    pub fn exists(&self, path: &str) -> bool {
        self.lookup(&path::clean(path)).is_ok()
    }

    /// The raw value of the file at `path` (no counters change).
    pub fn value(&self, path: &str) -> Option<Vec<u8>> {
        match self.lookup(&path::clean(path)) {
            Ok(node) if !node.is_dir() => Some(node.value().to_vec()),
            _ => None,
        }
    }

    /// The names of the children of the directory at `path`, sorted (none
    /// when it is missing or a file; no counters change).
    pub fn child_names(&self, path: &str) -> Vec<String> {
        match self
            .lookup(&path::clean(path))
            .ok()
            .and_then(|n| n.children())
        {
            Some(children) => children
                .sorted()
                .iter()
                .map(|c| c.name().to_owned())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Saves the whole state (tree, index, history, counters) as bytes; the
    /// same state always gives the same bytes.
    pub fn save(&self) -> Vec<u8> {
        snapshot::save(self)
    }

    /// Rebuilds a store from [`Store::save`]'s bytes.
    pub fn restore(bytes: &[u8]) -> Result<Store, SnapshotError> {
        snapshot::restore(bytes)
    }

    fn lookup(&self, path: &str) -> Result<&Node, Error> {
        let mut node = &self.root;
        let mut end = 0;
        for comp in path::components(path) {
            let comp_end = end + 1 + comp.len();
            let Some(children) = node.children() else {
                let file = if end == 0 { "/" } else { &path[..end] };
                return Err(Error::new(ErrorCode::NOT_DIR, file, self.index));
            };
            match children.get(comp) {
                Some(child) => node = child,
                None => {
                    return Err(Error::new(
                        ErrorCode::KEY_NOT_FOUND,
                        &path[..comp_end],
                        self.index,
                    ))
                }
            }
            end = comp_end;
        }
        Ok(node)
    }

    /// [`Store::lookup`] without the error (nothing is allocated).
    fn find(&self, path: &str) -> Option<&Node> {
        let mut node = &self.root;
        for comp in path::components(path) {
            node = node.children()?.get(comp)?;
        }
        Some(node)
    }

    fn lookup_mut(&mut self, path: &str) -> Option<&mut Node> {
        let mut node = &mut self.root;
        for comp in path::components(path) {
            node = node.children_mut()?.get_mut(comp)?;
        }
        Some(node)
    }
}
