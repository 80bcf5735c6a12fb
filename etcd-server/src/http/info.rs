//! Everything on the client listener that is not `/v2/keys`: members (read
//! side), machines, version, health, stats and metrics.

use super::{full, json_resp, method_not_allowed, not_found, text_error, with_status, Resp, TEXT};
use crate::app::{go_duration, App};
use crate::cluster::{self, CLUSTER_VERSION, SERVER_VERSION};
use crate::ids;
use etcd_client::time::format_rfc3339_nano;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request};
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub async fn handle(app: &App, method: &Method, path: &str, req: Request<Incoming>) -> Resp {
    let get_only = |f: &dyn Fn() -> Resp| {
        if method == Method::GET {
            f()
        } else {
            method_not_allowed("GET")
        }
    };
    match path {
        "/version" => get_only(&version),
        "/health" => {
            if method == Method::GET {
                health(app).await
            } else {
                method_not_allowed("GET")
            }
        }
        "/v2/machines" => {
            if method == Method::GET || method == Method::HEAD {
                machines(app)
            } else {
                method_not_allowed("GET,HEAD")
            }
        }
        "/v2/stats/self" => get_only(&|| stats_self(app)),
        "/v2/stats/leader" => get_only(&|| stats_leader(app)),
        "/v2/stats/store" => get_only(&|| {
            let stats = app.store().stats(app.hub.count() as u64);
            json_resp(200, &stats, false)
        }),
        "/metrics" => get_only(&|| metrics(app)),
        p if p == "/v2/members" || p.starts_with("/v2/members/") => {
            super::members::handle(app, method, p, req).await
        }
        _ => not_found(),
    }
}

pub(super) fn version() -> Resp {
    #[derive(Serialize)]
    struct Version {
        etcdserver: &'static str,
        etcdcluster: &'static str,
    }
    json_resp(
        200,
        &Version {
            etcdserver: SERVER_VERSION,
            etcdcluster: CLUSTER_VERSION,
        },
        false,
    )
}

/// 200 when this member has a leader and a linearizable read succeeds.
async fn health(app: &App) -> Resp {
    let timeout = Duration::from_secs(1).max(app.request_timeout / 7);
    let healthy = app.leader().is_some()
        && matches!(
            tokio::time::timeout(timeout, app.forwarder.read_barrier()).await,
            Ok(Ok(_))
        );
    if healthy {
        // The reference's health check is a quorum get of the root.
        let _ = app.store().get("/", false, false, 0);
        let mut r = with_status(200, full(r#"{"health":"true"}"#));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
        r
    } else {
        text_error(503, r#"{"health":"false"}"#)
    }
}

fn machines(app: &App) -> Resp {
    let urls: Vec<String> = cluster::members(&app.store())
        .into_iter()
        .flat_map(|m| m.client_urls)
        .collect();
    let mut r = with_status(200, full(urls.join(", ")));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
    r
}

fn rfc3339(t: SystemTime) -> String {
    let nanos = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    format_rfc3339_nano(nanos)
}

fn stats_self(app: &App) -> Resp {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct LeaderInfo {
        leader: String,
        uptime: String,
        start_time: String,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct SelfStats {
        name: String,
        id: String,
        state: &'static str,
        start_time: String,
        leader_info: LeaderInfo,
        recv_append_request_cnt: u64,
        send_append_request_cnt: u64,
    }
    let (leader, since) = app.leader().unwrap_or((0, SystemTime::now()));
    let state = if app.is_leader() {
        "StateLeader"
    } else {
        "StateFollower"
    };
    let stats = SelfStats {
        name: app.name.clone(),
        id: ids::hex(app.member_id),
        state,
        start_time: rfc3339(app.started),
        leader_info: LeaderInfo {
            leader: ids::hex(leader),
            uptime: go_duration(since.elapsed().unwrap_or_default()),
            start_time: rfc3339(since),
        },
        recv_append_request_cnt: 0,
        send_append_request_cnt: 0,
    };
    json_resp(200, &stats, false)
}

fn stats_leader(app: &App) -> Resp {
    #[derive(Serialize)]
    struct LeaderStats {
        leader: String,
        followers: serde_json::Map<String, serde_json::Value>,
    }
    if !app.is_leader() {
        return super::members::members_error(app, 403, "not current leader");
    }
    let stats = LeaderStats {
        leader: ids::hex(app.member_id),
        followers: serde_json::Map::new(),
    };
    json_resp(200, &stats, false)
}

fn metrics(app: &App) -> Resp {
    let (applied, term) = app.raft_position();
    let store = app.store();
    let text = app.metrics.render(crate::metrics::Snapshot {
        has_leader: app.leader().is_some(),
        is_leader: app.is_leader(),
        applied_index: applied,
        term,
        store_index: store.index(),
        watchers: app.hub.count() as u64,
        ttl_keys: store.ttl_count() as u64,
    });
    drop(store);
    let mut r = with_status(200, full(text));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
