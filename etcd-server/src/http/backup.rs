//! `GET /backup` on the client listener (ours; the reference has no online
//! backup): a consistent copy of this member's state, as one snapshot file.
//!
//! The copy is linearizable: the member first catches up with everything the
//! cluster committed before the request arrived (the read barrier quorum reads
//! use), then copies its store and applied raft position under the store's
//! lock. The body is the snapshot file format (with its checksum), which
//! `etcdctl backup --endpoints URL` turns into a backup directory. Headers:
//! `X-Etcd-Index` (the store index of the copy), `X-Raft-Index` (its raft
//! index), `X-Raft-Term`, `X-Etcd-Cluster-Id`. Once auth is enabled, only
//! root may take one (the copy holds the users' password hashes).

use super::{etcd_error, full, method_not_allowed, set_cluster_id, set_number, with_status, Resp};
use crate::app::App;
use crate::error::Error;
use etcd_client::ErrorCode;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Method};
use std::sync::Arc;

/// The path of the endpoint.
pub const PATH: &str = "/backup";

/// Answers `/backup`.
pub async fn handle(app: &Arc<App>, method: &Method, headers: &HeaderMap) -> Resp {
    if method != Method::GET {
        return method_not_allowed("GET");
    }
    // Everything the store holds, users' password hashes included: root only.
    if let Err(refused) = super::auth::require_root(app, headers).await {
        return refused;
    }
    if let Err(e) = app.quorum_barrier().await {
        return etcd_error(app, &e);
    }
    let raft_error = |cause: &str| Error::new(ErrorCode::RAFT_INTERNAL, cause, 0);
    let state = app.state.clone();
    let copied = tokio::task::spawn_blocking(move || state.snapshot_file()).await;
    let (meta, bytes, index) = match copied {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return etcd_error(app, &raft_error(&e.to_string())),
        Err(e) => return etcd_error(app, &raft_error(&e.to_string())),
    };
    let mut r = with_status(200, full(bytes));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let (raft_index, term) = meta
        .last_log_id
        .map_or((0, 0), |l| (l.index, l.leader_id.term));
    set_cluster_id(&mut r, app);
    set_number(&mut r, "x-etcd-index", index);
    set_number(&mut r, "x-raft-index", raft_index);
    set_number(&mut r, "x-raft-term", term);
    r
}
