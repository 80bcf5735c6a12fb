//! `/v2/stats/*`, `/version` and `/health`.

use reqwest::Method;

use crate::models::{Health, LeaderStats, SelfStats, Version};
use crate::transport::{decode_json, ApiRequest};
use crate::types::StoreStats;
use crate::{Client, Result};

/// The stats API of a client; see [`Client::stats`].
#[derive(Debug, Clone, Copy)]
pub struct StatsApi<'a> {
    client: &'a Client,
}

impl Client {
    /// The `/v2/stats` API. Each call is answered by one member: the pinned one.
    ///
    /// ```no_run
    /// # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
    /// let me = client.stats().self_stats().await?;
    /// println!("{} is {:?}", me.name, me.state);
    /// let store = client.stats().store().await?;
    /// println!("{} sets", store.sets_success);
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> StatsApi<'_> {
        StatsApi { client: self }
    }

    /// `/version`: the server's and the cluster's version.
    ///
    /// # Errors
    /// Transport errors; [`crate::Error::Http`] for an error status.
    pub async fn version(&self) -> Result<Version> {
        let raw = self
            .execute(ApiRequest::new(Method::GET, "/version", ""))
            .await?;
        decode_json(&raw, &[200])
    }

    /// `/health`: whether the answering member has a leader and can commit.
    /// An unhealthy member's `{"health":"false"}` (503) is an answer, not an error.
    ///
    /// # Errors
    /// Transport errors (when every member fails); [`crate::Error::Http`] for
    /// other statuses.
    pub async fn health(&self) -> Result<Health> {
        let mut req = ApiRequest::new(Method::GET, "/health", "");
        // An unhealthy member's 503 is the answer; only unreachable members are skipped.
        req.server_errors_answer = true;
        let raw = self.execute(req).await?;
        decode_json(&raw, &[200, 503])
    }
}

impl StatsApi<'_> {
    /// `/v2/stats/self`: this member's raft state and traffic.
    ///
    /// # Errors
    /// Transport errors; [`crate::Error::Http`] for an error status.
    pub async fn self_stats(self) -> Result<SelfStats> {
        let raw = self
            .client
            .execute(ApiRequest::new(Method::GET, "/v2/stats/self", ""))
            .await?;
        decode_json(&raw, &[200])
    }

    /// `/v2/stats/leader`: per-follower latency and counts, from the leader.
    ///
    /// # Errors
    /// [`crate::Error::Http`] with 403 `not current leader` from a follower.
    pub async fn leader(self) -> Result<LeaderStats> {
        let raw = self
            .client
            .execute(ApiRequest::new(Method::GET, "/v2/stats/leader", ""))
            .await?;
        decode_json(&raw, &[200])
    }

    /// `/v2/stats/store`: the store's operation counters.
    ///
    /// # Errors
    /// Transport errors; [`crate::Error::Http`] for an error status.
    pub async fn store(self) -> Result<StoreStats> {
        let raw = self
            .client
            .execute(ApiRequest::new(Method::GET, "/v2/stats/store", ""))
            .await?;
        decode_json(&raw, &[200])
    }
}
