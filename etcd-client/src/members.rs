//! `/v2/members` and `/v2/machines`: list, add, remove and update members, find the leader.

use reqwest::Method;

use crate::models::{Member, MemberCreateRequest, MemberList, MemberUpdateRequest};
use crate::transport::{decode_json, expect_status, ApiRequest};
use crate::{Client, Result};

const MEMBERS: &str = "/v2/members";

/// The members API of a client; see [`Client::members`].
#[derive(Debug, Clone, Copy)]
pub struct MembersApi<'a> {
    client: &'a Client,
}

impl Client {
    /// The `/v2/members` API.
    ///
    /// ```no_run
    /// # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
    /// let new = client.members().add(["http://10.0.0.4:2380"]).await?;
    /// client.members().update(&new.id, ["http://10.0.0.5:2380"]).await?;
    /// client.members().remove(&new.id).await?;
    /// # Ok(()) }
    /// ```
    pub fn members(&self) -> MembersApi<'_> {
        MembersApi { client: self }
    }

    /// `/v2/machines`: the client URLs of every member, as the server lists them.
    ///
    /// # Errors
    /// Transport errors; [`crate::Error::Http`] for an error status.
    pub async fn machines(&self) -> Result<Vec<String>> {
        let raw = self
            .execute(ApiRequest::new(Method::GET, "/v2/machines", ""))
            .await?;
        expect_status(&raw, &[200])?;
        Ok(String::from_utf8_lossy(&raw.body)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

impl MembersApi<'_> {
    /// Every member of the cluster, started or not.
    ///
    /// # Errors
    /// Transport errors; [`crate::Error::Http`] for an error status.
    pub async fn list(self) -> Result<Vec<Member>> {
        let raw = self
            .client
            .execute(ApiRequest::new(Method::GET, MEMBERS, ""))
            .await?;
        Ok(decode_json::<MemberList>(&raw, &[200])?.members)
    }

    /// The member that currently leads.
    ///
    /// # Errors
    /// A member without a leader answers 503, which counts as unavailable: with
    /// every member leaderless the error is [`crate::Error::ClusterUnavailable`]
    /// listing [`crate::EndpointErrorKind::NoLeader`] for each.
    pub async fn leader(self) -> Result<Member> {
        let raw = self
            .client
            .execute(ApiRequest::new(Method::GET, MEMBERS, "leader"))
            .await?;
        decode_json(&raw, &[200])
    }

    /// Adds a member with these peer URLs; it has no name until it starts.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 409 when a peer URL is taken, 400 for a malformed URL.
    pub async fn add<I, S>(self, peer_urls: I) -> Result<Member>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let body = MemberCreateRequest {
            peer_urls: peer_urls.into_iter().map(Into::into).collect(),
        };
        let req = ApiRequest::new(Method::POST, MEMBERS, "").json(&body);
        decode_json(&self.client.execute(req).await?, &[201])
    }

    /// Removes a member by its hex id.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 for an unknown id, 410 for a removed one.
    pub async fn remove(self, id: &str) -> Result<()> {
        let req = ApiRequest::new(Method::DELETE, MEMBERS, id);
        expect_status(&self.client.execute(req).await?, &[204])
    }

    /// Replaces a member's peer URLs.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 unknown id, 409 a peer URL taken, 400 malformed.
    pub async fn update<I, S>(self, id: &str, peer_urls: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let body = MemberUpdateRequest {
            peer_urls: peer_urls.into_iter().map(Into::into).collect(),
        };
        let req = ApiRequest::new(Method::PUT, MEMBERS, id).json(&body);
        expect_status(&self.client.execute(req).await?, &[204])
    }
}
