//! Everything on the client listener that is not `/v2/keys`: members,
//! machines, version, health, stats, metrics, debug vars and the auth API.

use super::{full, json_resp, method_not_allowed, not_found, text_error, with_status, Resp, TEXT};
use crate::app::App;
use crate::cluster::{self, CLUSTER_VERSION, SERVER_VERSION};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request};
use serde::Serialize;
use std::time::Duration;

/// Answers a request for any client route but `/v2/keys` and the backup.
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
        "/v2/stats/self" => get_only(&|| super::stats::self_stats(app)),
        "/v2/stats/leader" => get_only(&|| super::stats::leader_stats(app)),
        "/v2/stats/store" => get_only(&|| {
            let stats = app.store().stats(app.hub.count() as u64);
            json_resp(200, &stats, false)
        }),
        "/metrics" => get_only(&|| metrics(app)),
        "/debug/vars" => get_only(&|| super::debug_vars::page(app)),
        p if p == "/v2/members" || p.starts_with("/v2/members/") => {
            super::members::handle(app, method, p, req).await
        }
        p if super::auth::routes(p) => super::auth::handle(app, method, p, req).await,
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
    app.metrics.health(healthy);
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

fn metrics(app: &App) -> Resp {
    let (applied, term) = app.raft_position();
    let store = app.store();
    let (seen, recursive_gets) = store.seen_counts();
    let text = app.metrics.render(crate::metrics::Snapshot {
        has_leader: app.leader().is_some(),
        is_leader: app.is_leader(),
        applied_index: applied,
        term,
        store_index: store.index(),
        watchers: app.hub.count() as u64,
        ttl_keys: store.ttl_count() as u64,
        is_learner: app.is_learner(),
        store: crate::metrics::StoreFigures {
            seen,
            recursive_gets,
            watch_requests: app.hub.requests(),
        },
    });
    drop(store);
    let mut r = with_status(200, full(text));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
