//! `/v2/members`: the list, the leader, and membership changes (done by the
//! leader; other members pass the request on to it and relay its answer).
//! With auth enabled, only the root user may change the membership.

use super::{json_resp, method_not_allowed, set_cluster_id, text_error, Resp};
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
use serde::Serialize;
use std::sync::OnceLock;

/// Largest members request body accepted.
const MAX_BODY: usize = 64 * 1024;

/// Sets `X-Etcd-Cluster-Id`, which every answer of the members handler past
/// its method and root checks carries.
fn with_cluster_id(app: &App, mut r: Resp) -> Resp {
    set_cluster_id(&mut r, app);
    r
}

/// A JSON answer of the members API (with a newline, as Go's encoder writes).
fn members_json(app: &App, status: u16, value: &impl Serialize) -> Resp {
    with_cluster_id(app, json_resp(status, value, true))
}

/// An error answer of the members API: `{"message":"..."}`.
fn members_error(app: &App, status: u16, message: &str) -> Resp {
    #[derive(Serialize)]
    struct Message<'a> {
        message: &'a str,
    }
    with_cluster_id(app, json_resp(status, &Message { message }, false))
}

fn failure(app: &App, f: &Failure) -> Resp {
    members_error(app, f.status, &f.message)
}

/// Answers one `/v2/members...` request. The reference's members handler
/// allows GET, POST, DELETE and PUT only (HEAD too is a 405), before the
/// root check of a change.
pub async fn handle(app: &App, method: &Method, path: &str, req: Request<Incoming>) -> Resp {
    let rest = path.strip_prefix("/v2/members").unwrap_or_default();
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    match *method {
        Method::GET => read(app, rest).await,
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
            members_json(app, 200, &list)
        }
        "leader" => {
            let leader = app.leader().and_then(|(id, _)| {
                cluster::members(&app.store())
                    .into_iter()
                    .find(|m| m.id == ids::hex(id))
            });
            match leader {
                Some(m) => members_json(app, 200, &m),
                None => members_error(app, 503, "During election"),
            }
        }
        _ => members_error(app, 404, "Not found"),
    }
}

/// The refusal of a PUT or DELETE that does not name a member the way the
/// reference requires before anything else (even the `Content-Type` of a
/// PUT): no id is a 405 (Go's plain-text `http.Error`), an id that is not
/// hex a 404.
fn bad_member_id(app: &App, id: &str) -> Option<Resp> {
    if id.is_empty() {
        return Some(with_cluster_id(app, text_error(405, "Method Not Allowed")));
    }
    if ids::parse_hex(id).is_none() {
        return Some(members_error(app, 404, &format!("No such member: {id}")));
    }
    None
}

async fn change(app: &App, method: &Method, rest: &str, req: Request<Incoming>) -> Resp {
    // A POST adds a member whatever follows `/v2/members` (even `leader`).
    if *method != Method::POST {
        if let Some(refused) = bad_member_id(app, rest) {
            return refused;
        }
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if *method != Method::DELETE {
        // The reference folds the letter case only when parameters follow.
        let media = match content_type.split_once(';') {
            Some((media, _)) => media.trim().to_ascii_lowercase(),
            None => content_type.clone(),
        };
        if media != "application/json" {
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
        let parsed = super::members_body::peer_urls(&body).map_err(|message| Failure {
            status: 400,
            message,
        })?;
        Ok(parsed.unwrap_or_default())
    };
    let result = match *method {
        Method::POST => {
            return match urls() {
                Ok(u) => match membership::add(app, u).await {
                    Ok(m) => members_json(app, 201, &m),
                    Err(f) => failure(app, &f),
                },
                Err(f) => failure(app, &f),
            }
        }
        Method::DELETE => membership::remove(app, rest).await,
        _ => match urls() {
            Ok(u) => membership::update(app, rest, u).await,
            Err(f) => Err(f),
        },
    };
    match result {
        Ok(()) => with_cluster_id(app, super::with_status(204, super::full(Bytes::new()))),
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
