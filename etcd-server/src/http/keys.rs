//! `/v2/keys`: parse the request, check it against auth (spec auth.md §4),
//! then read locally (optionally after a linearizable barrier), watch, or
//! propose a write through raft.

use super::keys_request::{parse, ContentType, KeyRequest, KeysPath, MAX_FORM_BODY};
use super::{
    etcd_error, event_body, json_bytes_resp, method_not_allowed, redirect, set_cluster_id,
    set_number, with_status, Body, Resp, JSON,
};
use crate::app::{now_nanos, App};
use crate::error::Error;
use crate::metrics::KeysMethod;
use crate::store::Event;
use bytes::{Bytes, BytesMut};
use etcd_client::{Action, ErrorCode};
use http_body_util::{BodyExt, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// The reference answers a write or quorum read that raft cannot complete
/// with error 300 and index 0.
fn raft_error(cause: &str) -> Error {
    Error::new(ErrorCode::RAFT_INTERNAL, cause, 0)
}

fn timed_out() -> Error {
    raft_error(crate::raft::forward::TIMED_OUT)
}

/// The refusal of a request that auth does not allow: error 110 with index 0.
fn insufficient_credentials() -> Error {
    Error::new(ErrorCode::UNAUTHORIZED, "Insufficient credentials", 0)
}

/// The key the permission check sees: the request path after `/v2/keys`,
/// decoded, trailing slash kept (`/v2/keys` itself is the empty key).
fn raw_key(raw_path: &str) -> Vec<u8> {
    let decoded = super::keys_request::unescape_path(raw_path).unwrap_or_default();
    decoded
        .strip_prefix(super::keys_request::KEYS_ROUTE.as_bytes())
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

fn success_headers(app: &App, r: &mut Resp, etcd_index: u64, raft: (u64, u64)) {
    set_cluster_id(r, app);
    set_number(r, "x-etcd-index", etcd_index);
    set_number(r, "x-raft-index", raft.0);
    set_number(r, "x-raft-term", raft.1);
}

/// Answers a request whose path [`super::keys_request::key_path`] routed
/// here, with the label of the reference's keys figures when the request
/// was parsed and allowed (the caller records its outcome; see
/// [`crate::metrics::Metrics::keys_answered`]).
pub async fn handle(
    app: &Arc<App>,
    req: Request<Incoming>,
    path: KeysPath,
) -> (Resp, Option<KeysMethod>) {
    let kr = match admit(app, req, path).await {
        Ok(kr) => kr,
        Err(refused) => return (refused, None),
    };
    // Requests parsed and allowed count as received, watches excepted (a
    // quorum read asking to wait is answered, not received).
    let label = KeysMethod::of(kr.method, kr.quorum);
    if !kr.wait {
        app.metrics.keys_received(label);
    }
    let r = if kr.is_write() {
        write(app, kr).await
    } else {
        read(app, &kr).await
    };
    (r, Some(label))
}

/// The parsed request, when its method, body, parameters and credentials
/// let it through; else the answer that refuses it.
async fn admit(app: &Arc<App>, req: Request<Incoming>, path: KeysPath) -> Result<KeyRequest, Resp> {
    let (parts, body) = req.into_parts();
    let method = &parts.method;
    let key = match path {
        KeysPath::Redirect(location) => return Err(redirect(method, &location)),
        KeysPath::BadRequest => return Err(super::bad_request()),
        KeysPath::Clean(key) => key,
    };
    if !matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::POST | Method::DELETE
    ) {
        return Err(method_not_allowed("HEAD,GET,PUT,POST,DELETE"));
    }
    let content_type = ContentType::from(
        parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    // Only a form body of a PUT or POST is ever read (the reference ignores
    // every other body), and at most 10 MiB of it.
    let body = if (*method == Method::PUT || *method == Method::POST) && content_type.is_form {
        match read_form_body(body).await {
            Some(bytes) => bytes,
            None => return Err(etcd_error(app, &Error::post_too_large())),
        }
    } else {
        Bytes::new()
    };
    let kr = parse(method, key, parts.uri.query(), content_type, &body)
        .map_err(|e| etcd_error(app, &e))?;
    let allowed = crate::auth::key_access(
        app,
        crate::auth::access::authorization(&parts.headers),
        || raw_key(parts.uri.path()),
        kr.recursive,
        kr.is_write(),
    )
    .await;
    if !allowed {
        return Err(etcd_error(app, &insufficient_credentials()));
    }
    Ok(kr)
}

/// The whole form body, or `None` past [`MAX_FORM_BODY`] bytes (or when it
/// cannot be read). A body that arrives in one piece, as nearly every form
/// does, is kept as it came: no copy, no list of pieces.
async fn read_form_body<B>(body: B) -> Option<Bytes>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut body = Limited::new(body, MAX_FORM_BODY);
    let mut whole = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.ok()?.into_data() else {
            continue; // trailers
        };
        match &mut joined {
            Some(buf) => buf.extend_from_slice(&data),
            None if whole.is_empty() => whole = data,
            None => {
                let mut buf = BytesMut::with_capacity(whole.len() + data.len());
                buf.extend_from_slice(&whole);
                buf.extend_from_slice(&data);
                joined = Some(buf);
            }
        }
    }
    Some(joined.map_or(whole, BytesMut::freeze))
}

async fn read(app: &Arc<App>, kr: &KeyRequest) -> Resp {
    let path = kr.store_path();
    // A quorum read is a read through raft whatever else is asked: the
    // reference ignores `wait` (and `waitIndex`, `stream`) once `quorum=true`.
    if kr.wait && !kr.quorum {
        return watch(app, kr, &path);
    }
    if kr.quorum {
        // Boxed so that the barrier's large future does not size every
        // request's (see `route`).
        if let Err(e) = Box::pin(app.quorum_barrier()).await {
            return etcd_error(app, &e);
        }
    }
    let now = now_nanos();
    let (result, index) = {
        let store = app.store();
        (
            store.get(&path, kr.recursive, kr.sorted, now),
            store.index(),
        )
    };
    match result {
        Ok(event) => {
            let mut r = json_bytes_resp(200, event_body(&event, true));
            success_headers(app, &mut r, index, app.raft_position());
            r
        }
        Err(e) => etcd_error(app, &e),
    }
}

async fn write(app: &Arc<App>, kr: KeyRequest) -> Resp {
    let no_value_on_success = kr.no_value_on_success;
    // Moves the value into the command (it may be 10 MiB).
    let Some(request) = kr.into_command(now_nanos()) else {
        return etcd_error(app, &raft_error("not a write"));
    };
    let pending = app.metrics.proposal_pending();
    let proposed = tokio::time::timeout(app.request_timeout, app.proposer.propose(request)).await;
    drop(pending);
    if !matches!(proposed, Ok(Ok(_))) {
        app.metrics.proposal_failed();
    }
    let written = match proposed {
        Err(_) => return etcd_error(app, &timed_out()),
        Ok(Err(e)) => return etcd_error(app, &raft_error(&e)),
        Ok(Ok(written)) => written,
    };
    let event = match written.outcome {
        Some(Ok(event)) => event,
        Some(Err(e)) => return etcd_error(app, &e),
        None => return etcd_error(app, &raft_error("write produced no event")),
    };
    let created = event.action == Action::Create
        || (event.action == Action::Set && event.prev_node.is_none());
    let quiet = no_value_on_success
        && matches!(
            event.action,
            Action::Set | Action::CompareAndSwap | Action::Create | Action::Update
        );
    let status = if created { 201 } else { 200 };
    let mut r = json_bytes_resp(status, event_body(&event, !quiet));
    let raft = (written.log_id.index, written.log_id.leader_id.term);
    success_headers(app, &mut r, event.index(), raft);
    r
}

fn event_line(event: &Event) -> Bytes {
    Bytes::from(event_body(event, true))
}

/// A watch: headers at once, then one chunk per event (one event for a long
/// poll). The watcher is dropped (and unregistered) as soon as the client
/// goes away.
fn watch(app: &Arc<App>, kr: &KeyRequest, path: &str) -> Resp {
    let watcher = {
        let store = app.store();
        app.hub
            .watch(&store, path, kr.recursive, kr.stream, kr.wait_index)
    };
    let mut watcher = match watcher {
        Ok(w) => w,
        Err(e) => return etcd_error(app, &e),
    };
    // X-Etcd-Index is the store index when the watch was registered.
    let start_index = watcher.start_index;
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, Infallible>>(16);
    let stream = kr.stream;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                event = watcher.next() => {
                    let Some(event) = event else { break };
                    if tx.send(Ok(Frame::data(event_line(&event)))).await.is_err() || !stream {
                        break;
                    }
                }
                _ = tx.closed() => break,
            }
        }
    });
    let body: Body = BodyExt::boxed(StreamBody::new(ReceiverStream::new(rx)));
    let mut r = with_status(200, body);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    success_headers(app, &mut r, start_index, app.raft_position());
    r.extensions_mut().insert(super::Watching);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::HeaderMap;

    fn body(
        frames: Vec<Frame<Bytes>>,
    ) -> StreamBody<impl tokio_stream::Stream<Item = Result<Frame<Bytes>, Infallible>> + Unpin>
    {
        StreamBody::new(tokio_stream::iter(
            frames.into_iter().map(Ok::<_, Infallible>),
        ))
    }

    #[tokio::test]
    async fn a_form_body_is_read_whole() {
        let one = Bytes::from_static(b"value=one");
        let read = read_form_body(body(vec![Frame::data(one.clone())])).await;
        assert_eq!(read.as_deref(), Some(&b"value=one"[..]));
        assert_eq!(
            read.unwrap().as_ptr(),
            one.as_ptr(),
            "one piece: not copied"
        );

        let pieces = ["val", "ue=t", "", "wo"].map(|p| Frame::data(Bytes::from(p)));
        let mut frames = Vec::from(pieces);
        frames.push(Frame::trailers(HeaderMap::new()));
        let read = read_form_body(body(frames)).await;
        assert_eq!(read.as_deref(), Some(&b"value=two"[..]));

        assert_eq!(
            read_form_body(body(Vec::new())).await.as_deref(),
            Some(&b""[..])
        );
    }

    #[tokio::test]
    async fn a_form_body_past_the_limit_is_refused() {
        let half = Bytes::from(vec![b'a'; MAX_FORM_BODY / 2 + 1]);
        let frames = vec![Frame::data(half.clone()), Frame::data(half)];
        assert_eq!(read_form_body(body(frames)).await, None);
        let exact = Bytes::from(vec![b'a'; MAX_FORM_BODY]);
        let read = read_form_body(body(vec![Frame::data(exact)])).await;
        assert_eq!(read.map(|b| b.len()), Some(MAX_FORM_BODY));
    }
}
