//! A typed client for the etcd v2 HTTP API.
//!
//! This crate is the one place that knows the v2 wire format: the JSON shapes of
//! nodes, key responses and errors ([`types`]), and the exact way the reference
//! server (etcd 3.4.23) encodes them ([`json`]). The server in this workspace reuses
//! these types for its answers, so both sides agree byte for byte.
//!
//! ```
//! use etcd_client::types::{Action, KeyResponse, Node};
//!
//! let body = br#"{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}"#;
//! let resp: KeyResponse = serde_json::from_slice(body).unwrap();
//! assert_eq!(resp.action, Action::Get);
//! assert_eq!(resp.node.unwrap().value.as_deref(), Some("bar"));
//! ```

pub mod json;
pub mod time;
pub mod types;

pub use types::{Action, ErrorBody, ErrorCode, KeyResponse, Node, StoreStats};
