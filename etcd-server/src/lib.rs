//! The etcd v2 server.
//!
//! - [`store`]: the v2 key space as a pure, deterministic state machine: the tree
//!   of keys and directories, the global index, TTLs, the event history and the
//!   store counters. Every member applies the same commands to its own copy.
//! - [`watch`]: this member's watchers, fed by the store's applied events.
//! - [`error`]: the store's error type (code, cause, index).
//! - [`raft`]: openraft's type configuration, the durable log and the state
//!   machine over the store.

pub mod app;
pub mod auth;
pub mod backup;
pub mod cluster;
pub mod config;
pub mod error;
pub mod first_line;
pub mod flags;
pub mod http;
pub mod ids;
pub mod logging;
pub mod membership;
pub mod metrics;
pub mod process_metrics;
pub mod propose;
pub mod raft;
pub mod repoll;
pub mod restore;
pub mod server;
pub mod store;
pub mod tls;
pub mod watch;

pub use error::Error;
