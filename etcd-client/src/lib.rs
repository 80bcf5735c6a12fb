//! A typed async client for the etcd v2 HTTP API.
//!
//! This crate is the one place that knows the v2 wire format: the JSON shapes of
//! nodes, key responses and errors ([`types`], [`models`]), and the exact way the
//! reference server (etcd 3.4.23) encodes them ([`json`]). The server in this
//! workspace reuses these types for its answers, so both sides agree byte for byte.
//!
//! # Connecting
//!
//! A [`Client`] holds several endpoints and fails over between them on
//! connection errors, timeouts and 5xx answers, keeping every endpoint's error
//! when all fail ([`Error::ClusterUnavailable`]).
//!
//! ```no_run
//! # async fn demo() -> etcd_client::Result<()> {
//! use std::time::Duration;
//! use etcd_client::Client;
//!
//! let client = Client::builder()
//!     .endpoints(["http://127.0.0.1:2379", "http://127.0.0.1:22379"])
//!     .request_timeout(Duration::from_secs(1))
//!     .total_timeout(Duration::from_secs(5))
//!     .sync_endpoints(true)
//!     .connect()
//!     .await?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! # Keys
//!
//! ```no_run
//! # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
//! use etcd_client::{Error, ErrorCode};
//!
//! let keys = client.keys();
//! let set = keys.set("/app/leader", "node-1").ttl(30).send().await?;
//! println!("written at index {}", set.node.modified_index);
//!
//! // Compare-and-swap on the index we just wrote.
//! keys.compare_and_swap("/app/leader", "node-2")
//!     .prev_index(set.node.modified_index)
//!     .send()
//!     .await?;
//!
//! match keys.create("/app/leader", "node-3").send().await {
//!     Err(Error::Api(e)) if e.code == ErrorCode::NODE_EXIST => println!("taken"),
//!     other => { other?; }
//! }
//!
//! let queue = keys.create_in_order("/app/queue", "job-1").send().await?;
//! println!("queued as {}", queue.node.key);
//! # Ok(()) }
//! ```
//!
//! # Watching
//!
//! [`WatchRequest::stream`] keeps watching from the last `modifiedIndex + 1`
//! across idle long-poll closes, restarts and failover; see [`watch`].
//!
//! ```no_run
//! # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
//! use tokio_stream::StreamExt;
//! let mut events = client.keys().watch("/app").recursive(true).stream();
//! while let Some(event) = events.next().await {
//!     println!("{:?}", event?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Members, stats, auth
//!
//! ```no_run
//! # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
//! for m in client.members().list().await? {
//!     println!("{} {} {:?}", m.id, m.name, m.client_urls);
//! }
//! let added = client.members().add(["http://10.0.0.4:2380"]).await?;
//! println!("added {}", added.id);
//! let leader = client.stats().leader().await?;
//! println!("{} followers", leader.followers.len());
//! println!("auth enabled: {}", client.auth().status().await?);
//! println!("server {}", client.version().await?.etcd_server);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod auth;
mod backup;
mod client;
mod encode;
pub mod error;
pub mod gofmt;
pub mod gotls;
pub mod json;
mod keys;
mod members;
pub mod models;
mod stats;
pub mod time;
mod tls_error;
mod transport;
pub mod trimmed;
pub mod types;
pub mod watch;

pub use auth::{AuthApi, Permission};
pub use backup::{Snapshot, SNAPSHOT_TIMEOUT};
pub use client::{Client, ClientBuilder, RequestInfo, DEFAULT_REQUEST_TIMEOUT};
pub use encode::canonical_path;
pub use error::{ApiError, EndpointError, EndpointErrorKind, Error};
pub use keys::{
    CreateInOrderRequest, DeleteRequest, GetRequest, KeysApi, PrevExist, Response, ResponseHeaders,
    SetRequest,
};
pub use members::MembersApi;
pub use stats::StatsApi;
pub use trimmed::{TrimmedNode, TrimmedResponse};
pub use types::{Action, ErrorBody, ErrorCode, KeyResponse, Node, StoreStats};
pub use watch::{ServerStream, WatchEvent, WatchRequest, WatchStream};

/// The result of every client call.
pub type Result<T, E = Error> = std::result::Result<T, E>;
