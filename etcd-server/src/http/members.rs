//! `/v2/members`: the list, the leader, and membership changes (done by the
//! leader; other members pass the request on to it and relay its answer).
//! With auth enabled, only the root user may change the membership.

use super::{json_resp, method_not_allowed, set, Resp};
use crate::app::App;
use crate::cluster::{self, MemberInfo};
use crate::ids;
use crate::membership::{self, Failure};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Largest members request body accepted.
const MAX_BODY: usize = 64 * 1024;

/// An error answer of the members API: `{"message":"..."}`.
pub fn members_error(app: &App, status: u16, message: &str) -> Resp {
    #[derive(Serialize)]
    struct Message<'a> {
        message: &'a str,
    }
    let mut r = json_resp(status, &Message { message }, false);
    set(&mut r, "x-etcd-cluster-id", ids::hex(app.cluster_id));
    r
}

fn failure(app: &App, f: &Failure) -> Resp {
    members_error(app, f.status, &f.message)
}

#[derive(Deserialize)]
struct PeerUrls {
    #[serde(rename = "peerURLs", default)]
    peer_urls: Option<Vec<String>>,
}

/// Answers one `/v2/members...` request.
pub async fn handle(app: &App, method: &Method, path: &str, req: Request<Incoming>) -> Resp {
    let rest = path.strip_prefix("/v2/members").unwrap_or_default();
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    match *method {
        Method::GET | Method::HEAD => read(app, rest).await,
        Method::POST | Method::PUT | Method::DELETE => {
            if let Err(refused) = super::auth::require_root(app, req.headers()).await {
                return refused;
            }
            change(app, method, rest, req).await
        }
        _ => method_not_allowed("GET,POST,DELETE,PUT"),
    }
}

async fn read(app: &App, rest: &str) -> Resp {
    match rest {
        "" => {
            // Up to date with the leader, so a member just added elsewhere is
            // listed (`etcdctl member add` prints the list right after adding).
            // Without a quorum the local view is listed, as the reference does.
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(1),
                app.forwarder.read_barrier(),
            )
            .await;
            #[derive(Serialize)]
            struct List {
                members: Vec<MemberInfo>,
            }
            let list = List {
                members: cluster::members(&app.store()),
            };
            let mut r = json_resp(200, &list, true);
            set(&mut r, "x-etcd-cluster-id", ids::hex(app.cluster_id));
            r
        }
        "leader" => {
            let leader = app.leader().and_then(|(id, _)| {
                cluster::members(&app.store())
                    .into_iter()
                    .find(|m| m.id == ids::hex(id))
            });
            match leader {
                Some(m) => {
                    let mut r = json_resp(200, &m, true);
                    set(&mut r, "x-etcd-cluster-id", ids::hex(app.cluster_id));
                    r
                }
                None => members_error(app, 503, "During election"),
            }
        }
        _ => members_error(app, 404, "Not found"),
    }
}

async fn change(app: &App, method: &Method, rest: &str, req: Request<Incoming>) -> Resp {
    // The reference checks the Content-Type before the path, even for
    // `POST /v2/members/leader` (spec members-stats.md §2).
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if *method != Method::DELETE {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/json") {
            return members_error(
                app,
                415,
                &format!("Bad Content-Type {media}, accept application/json"),
            );
        }
    }
    // The leader checks the credentials again.
    let authorization = req.headers().get(hyper::header::AUTHORIZATION).cloned();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return members_error(app, 400, &e.to_string()),
    };
    if !app.is_leader() {
        return relay(app, method, rest, &content_type, authorization, body).await;
    }
    let urls = || -> Result<Vec<String>, Failure> {
        let parsed: PeerUrls = serde_json::from_slice(&body).map_err(|e| Failure {
            status: 400,
            message: if body.is_empty() {
                "EOF".into()
            } else {
                e.to_string()
            },
        })?;
        Ok(parsed.peer_urls.unwrap_or_default())
    };
    let result = match (method, rest) {
        (&Method::POST, "") => match urls() {
            Ok(u) => match membership::add(app, u).await {
                Ok(m) => {
                    let mut r = json_resp(201, &m, true);
                    set(&mut r, "x-etcd-cluster-id", ids::hex(app.cluster_id));
                    return r;
                }
                Err(f) => Err(f),
            },
            Err(f) => Err(f),
        },
        (&Method::DELETE, id) if !id.is_empty() => membership::remove(app, id).await,
        (&Method::PUT, id) if !id.is_empty() => match urls() {
            Ok(u) => membership::update(app, id, u).await,
            Err(f) => Err(f),
        },
        (&Method::POST, _) => return members_error(app, 404, "Not found"),
        _ => return method_not_allowed("GET,POST"),
    };
    match result {
        Ok(()) => {
            let mut r = super::with_status(204, super::full(Bytes::new()));
            set(&mut r, "x-etcd-cluster-id", ids::hex(app.cluster_id));
            r
        }
        Err(f) => failure(app, &f),
    }
}

/// The client of relayed changes (`https://` with this process's client TLS
/// settings: the trusted CA, this member's client certificate).
fn client() -> &'static Client<crate::tls::Connector, Full<Bytes>> {
    static CLIENT: OnceLock<Client<crate::tls::Connector, Full<Bytes>>> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let connector = crate::tls::connector(&crate::tls::outbound().client);
        Client::builder(TokioExecutor::new()).build(connector)
    })
}

/// Passes a membership change on to the leader's client URL and relays its answer.
async fn relay(
    app: &App,
    method: &Method,
    rest: &str,
    content_type: &str,
    authorization: Option<hyper::header::HeaderValue>,
    body: Bytes,
) -> Resp {
    // During an election, wait (bounded) for the next leader.
    let deadline = tokio::time::Instant::now() + app.request_timeout;
    let leader = loop {
        let known = app.leader().and_then(|(id, _)| {
            cluster::members(&app.store())
                .into_iter()
                .find(|m| m.id == ids::hex(id))
        });
        if known.is_some() || tokio::time::Instant::now() >= deadline {
            break known;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let Some(base) = leader.and_then(|m| {
        m.client_urls
            .into_iter()
            .find(|u| crate::tls::is_reachable_url(u))
    }) else {
        return members_error(app, 503, "During election");
    };
    let mut uri = format!("{}/v2/members", base.trim_end_matches('/'));
    if !rest.is_empty() {
        uri.push('/');
        uri.push_str(rest);
    }
    let mut builder = Request::builder().method(method.clone()).uri(&uri);
    if !content_type.is_empty() {
        builder = builder.header(CONTENT_TYPE, content_type);
    }
    if let Some(value) = authorization {
        builder = builder.header(hyper::header::AUTHORIZATION, value);
    }
    let Ok(req) = builder.body(Full::new(body)) else {
        return members_error(app, 500, "Internal Server Error");
    };
    let answer = tokio::time::timeout(app.request_timeout, client().request(req)).await;
    match answer {
        Ok(Ok(resp)) => {
            let (parts, body) = resp.into_parts();
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let mut r = super::with_status(parts.status.as_u16(), super::full(bytes));
            *r.headers_mut() = parts.headers;
            r
        }
        failed => {
            // Say why (with TLS, e.g. a member certificate not made for
            // client authentication); the client only sees a 500.
            let why = match failed {
                Ok(Err(e)) => crate::raft::network::error_chain(&e),
                _ => format!("no answer within {:?}", app.request_timeout),
            };
            tracing::warn!(target: "etcdserver/api", "passing the membership change on to the leader at {uri}: {why}");
            members_error(app, 500, "Internal Server Error")
        }
    }
}
