//! `GET /backup`: etcd-server's online backup (an extension; the reference
//! etcd has no such endpoint and answers 404).

use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;

use crate::error::{EndpointError, EndpointErrorKind};
use crate::keys::ResponseHeaders;
use crate::transport::{http_error, ApiRequest, RawResponse};
use crate::{Client, Error, Result};

/// How long a member may take to start answering `/backup` (it copies its
/// whole store first: about 2 s per million keys).
pub const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(60);

/// A consistent copy of a member's state, as etcd-server's snapshot file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The snapshot file's bytes (etcd-server's format, with its checksum).
    pub bytes: Bytes,
    /// Where the copy was taken: `X-Etcd-Index` is its store index,
    /// `X-Raft-Index`/`X-Raft-Term` its raft position.
    pub headers: ResponseHeaders,
    /// The endpoint that answered.
    pub endpoint: String,
}

impl Client {
    /// Downloads a consistent copy of the cluster's state from one member
    /// (`GET /backup`; root only when auth is enabled). The member first
    /// catches up with everything committed before the request, so the copy
    /// holds every write acknowledged before this call. Copying a large store
    /// takes the member a while before it answers, so the answer may take up
    /// to [`SNAPSHOT_TIMEOUT`] (or the per-request timeout, if longer) to
    /// start; no total timeout applies to the download itself.
    ///
    /// # Errors
    /// Transport errors; [`Error::Http`] for an error status (404 from a
    /// server without online backups, 401 without root credentials).
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut req = ApiRequest::new(Method::GET, "/backup", "");
        req.timeout = Some(SNAPSHOT_TIMEOUT.max(self.inner.request_timeout));
        let (resp, endpoint) = self.open(&req).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| {
            Error::Endpoint(EndpointError {
                endpoint: endpoint.clone(),
                kind: EndpointErrorKind::Transport(e.to_string()),
            })
        })?;
        if status != 200 {
            return Err(http_error(&RawResponse {
                status,
                headers,
                body,
            }));
        }
        Ok(Snapshot {
            headers: ResponseHeaders::from_map(&headers),
            bytes: body,
            endpoint,
        })
    }
}
