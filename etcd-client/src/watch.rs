//! Watching keys: a one-shot wait, the server's `stream=true` mode, and a
//! resumable [`WatchStream`] that loses and repeats nothing.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use reqwest::Method;
use tokio_stream::Stream;

use crate::error::Error;
use crate::keys::{decode_keys, Response, ResponseHeaders, KEYS};
use crate::transport::{ApiRequest, RawResponse};
use crate::types::ErrorCode;
use crate::{Client, Result};

/// A watch on a key or directory; see [`crate::KeysApi::watch`].
///
/// ```no_run
/// # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
/// use etcd_client::WatchEvent;
/// use tokio_stream::StreamExt;
///
/// let mut events = client.keys().watch("/jobs").recursive(true).resync_on_cleared(true).stream();
/// while let Some(event) = events.next().await {
///     match event? {
///         WatchEvent::Change(r) => println!("{} {}", r.action, r.node.key),
///         WatchEvent::Resynced { missed_from, resume_index, .. } => {
///             println!("history cleared: events {missed_from}..{resume_index} skipped")
///         }
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a watch does nothing until sent or streamed"]
pub struct WatchRequest {
    client: Client,
    key: String,
    recursive: bool,
    wait_index: Option<u64>,
    resync: bool,
    give_up_after: Option<Duration>,
    fail_unreachable_at_start: bool,
}

impl WatchRequest {
    pub(crate) fn new(client: Client, key: String) -> Self {
        WatchRequest {
            client,
            key,
            recursive: false,
            wait_index: None,
            resync: false,
            give_up_after: None,
            fail_unreachable_at_start: false,
        }
    }

    /// Watch every key below a directory.
    pub fn recursive(mut self, on: bool) -> Self {
        self.recursive = on;
        self
    }

    /// Start from this index (history included) instead of the next change.
    pub fn wait_index(mut self, index: u64) -> Self {
        self.wait_index = Some(index);
        self
    }

    /// For [`WatchRequest::stream`]: when the server has cleared the history
    /// the stream needs (error 401), re-read the key and resume after that read,
    /// yielding [`WatchEvent::Resynced`], instead of ending with the error.
    pub fn resync_on_cleared(mut self, on: bool) -> Self {
        self.resync = on;
        self
    }

    /// For [`WatchRequest::stream`]: end with the last error once no endpoint
    /// could be reached for this long (by default the stream retries forever).
    pub fn give_up_after(mut self, limit: Duration) -> Self {
        self.give_up_after = Some(limit);
        self
    }

    /// For [`WatchRequest::stream`]: end with the error at once when no
    /// endpoint can be reached for the first poll, as a one-shot watch does.
    /// Once an endpoint has answered, lost connections are ridden out as
    /// usual. By default the stream retries from the start.
    pub fn fail_unreachable_at_start(mut self, on: bool) -> Self {
        self.fail_unreachable_at_start = on;
        self
    }

    fn request(&self, wait_index: Option<u64>, stream: bool) -> ApiRequest {
        let mut req = ApiRequest::new(Method::GET, KEYS, self.key.clone());
        req.query
            .set_bool("wait", true)
            .set("waitIndex", wait_index.unwrap_or(0).to_string())
            .set_bool("recursive", self.recursive);
        if stream {
            req.query.set_bool("stream", true);
        }
        req
    }

    /// Waits for the next change (or the change at `wait_index`), retrying the
    /// long poll when the server closes it without an event.
    ///
    /// # Errors
    /// [`Error::Api`] with `401` when `wait_index` is older than the server's
    /// history; transport errors when no endpoint answers.
    pub async fn send(self) -> Result<Response> {
        let req = self.request(self.wait_index, false);
        loop {
            let (resp, endpoint) = self.client.open(&req).await?;
            match read_whole(resp).await {
                Ok(raw) if raw.body.is_empty() => continue,
                Ok(raw) => return decode_keys(raw),
                Err(detail) => {
                    return Err(Error::Endpoint(crate::error::EndpointError {
                        endpoint,
                        kind: crate::error::EndpointErrorKind::Transport(detail),
                    }))
                }
            }
        }
    }

    /// Opens the server's own stream mode (`stream=true`): one connection
    /// delivering events until it closes. Nothing is resumed; use
    /// [`WatchRequest::stream`] for that.
    ///
    /// # Errors
    /// As [`WatchRequest::send`], for the opening request.
    pub async fn server_stream(self) -> Result<ServerStream> {
        let req = self.request(self.wait_index, true);
        let (resp, _) = self.client.open(&req).await?;
        if !resp.status().is_success() {
            let raw = read_whole(resp).await.map_err(|detail| Error::Decode {
                message: detail,
                body: String::new(),
            })?;
            return Err(decode_keys(raw).err().unwrap_or(Error::UnexpectedStatus {
                status: 200,
                body: String::new(),
            }));
        }
        let headers = ResponseHeaders::from_map(resp.headers());
        let state = ServerState {
            resp,
            buf: Vec::new(),
            headers,
        };
        Ok(ServerStream {
            pending: None,
            state: Some(state),
        })
    }

    /// A stream of every change, in index order, each exactly once. It resumes
    /// from the last event's `modifiedIndex + 1` after empty long-poll closes,
    /// lost connections, server restarts and endpoint failover (retrying with
    /// backoff), so within the server's 1000-event history nothing is lost.
    pub fn stream(self) -> WatchStream {
        let next = self.wait_index;
        WatchStream {
            pending: None,
            cursor: Some(Cursor {
                watch: self,
                next,
                answered: false,
            }),
            done: false,
        }
    }
}

async fn read_whole(resp: reqwest::Response) -> std::result::Result<RawResponse, String> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

/// One item of a [`WatchStream`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// A change, as the server reported it.
    Change(Response),
    /// The server's history no longer reached back to `missed_from`, so the
    /// changes from there up to `resume_index - 1` were skipped. `current` is the
    /// key as re-read (`None` if it does not exist); the stream continues from
    /// `resume_index`.
    Resynced {
        /// The key (or directory) as it is now.
        current: Option<Response>,
        /// The first index whose event may have been missed.
        missed_from: u64,
        /// The index the stream continues from.
        resume_index: u64,
    },
}

/// Where a [`WatchStream`] stands between polls.
#[derive(Debug)]
struct Cursor {
    watch: WatchRequest,
    /// The index to wait for next; `None` until the first answer pins it.
    next: Option<u64>,
    /// Whether an endpoint has answered a poll of this stream.
    answered: bool,
}

type Step<T, S> = Pin<Box<dyn Future<Output = (S, Option<Result<T>>)> + Send>>;

/// The resumable watch; see [`WatchRequest::stream`]. Ends after yielding an
/// error that retrying cannot cure.
#[must_use = "streams do nothing unless polled"]
pub struct WatchStream {
    pending: Option<Step<WatchEvent, Cursor>>,
    cursor: Option<Cursor>,
    done: bool,
}

impl std::fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream")
            .field("cursor", &self.cursor)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl WatchStream {
    /// The index the stream will wait for next (`None` before the first answer
    /// when no start index was given).
    pub fn next_index(&self) -> Option<u64> {
        self.cursor.as_ref().and_then(|c| c.next)
    }
}

impl Stream for WatchStream {
    type Item = Result<WatchEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.pending.is_none() {
            let Some(cursor) = self.cursor.take() else {
                return Poll::Ready(None);
            };
            self.pending = Some(Box::pin(next_event(cursor)));
        }
        let Some(fut) = self.pending.as_mut() else {
            return Poll::Ready(None);
        };
        match fut.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((cursor, item)) => {
                self.pending = None;
                self.cursor = Some(cursor);
                if !matches!(item, Some(Ok(_))) {
                    self.done = true;
                }
                Poll::Ready(item)
            }
        }
    }
}

const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Waits for the next item of a resumable watch.
async fn next_event(mut cur: Cursor) -> (Cursor, Option<Result<WatchEvent>>) {
    let mut backoff = MIN_BACKOFF;
    let mut unreachable_since: Option<Instant> = None;
    loop {
        let req = cur.watch.request(cur.next, false);
        let outcome = match cur.watch.client.open(&req).await {
            Ok((resp, _)) => {
                cur.answered = true;
                let headers = ResponseHeaders::from_map(resp.headers());
                if cur.next.is_none() && resp.status().is_success() && headers.etcd_index > 0 {
                    // The watch covers every change after this index; pin it so a
                    // broken poll resumes exactly there.
                    cur.next = Some(headers.etcd_index + 1);
                }
                read_whole(resp).await.map_err(|_| None)
            }
            Err(e) if e.is_unavailable() => {
                if cur.watch.fail_unreachable_at_start && !cur.answered {
                    return (cur, Some(Err(e)));
                }
                Err(Some(e))
            }
            Err(e) => return (cur, Some(Err(e))),
        };
        let raw = match outcome {
            Ok(raw) => raw,
            Err(err) => {
                // Unreachable, or the connection broke mid-poll: back off and retry.
                let since = *unreachable_since.get_or_insert_with(Instant::now);
                if let (Some(limit), Some(e)) = (cur.watch.give_up_after, err) {
                    if since.elapsed() >= limit {
                        return (cur, Some(Err(e)));
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        unreachable_since = None;
        backoff = MIN_BACKOFF;
        if raw.body.is_empty() {
            continue; // the server closed an idle long poll
        }
        match decode_keys(raw) {
            Ok(r) => {
                cur.next = Some(r.node.modified_index + 1);
                return (cur, Some(Ok(WatchEvent::Change(r))));
            }
            Err(Error::Api(e)) if e.code == ErrorCode::WATCHER_CLEARED => continue,
            Err(Error::Api(e)) if e.code == ErrorCode::EVENT_INDEX_CLEARED && cur.watch.resync => {
                match resync(&mut cur).await {
                    Ok(Some(event)) => return (cur, Some(Ok(event))),
                    Ok(None) => continue,
                    Err(e) => return (cur, Some(Err(e))),
                }
            }
            Err(e) => return (cur, Some(Err(e))),
        }
    }
}

/// Re-reads the watched key after history was cleared and moves the cursor
/// past the read. `Ok(None)`: the read could not be made now; retry the watch.
async fn resync(cur: &mut Cursor) -> Result<Option<WatchEvent>> {
    let missed_from = cur.next.unwrap_or(0);
    let read = cur
        .watch
        .client
        .keys()
        .get(cur.watch.key.clone())
        .recursive(cur.watch.recursive)
        .sorted(true)
        .send()
        .await;
    let (current, index) = match read {
        Ok(r) => {
            let index = r.headers.etcd_index;
            (Some(r), index)
        }
        Err(Error::Api(e)) if e.code == ErrorCode::KEY_NOT_FOUND => (None, e.index),
        Err(e) if e.is_unavailable() => {
            tokio::time::sleep(MIN_BACKOFF).await;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    cur.next = Some(index + 1);
    Ok(Some(WatchEvent::Resynced {
        current,
        missed_from,
        resume_index: index + 1,
    }))
}

/// The server's `stream=true` watch; see [`WatchRequest::server_stream`].
#[must_use = "streams do nothing unless polled"]
pub struct ServerStream {
    pending: Option<Step<Response, ServerState>>,
    state: Option<ServerState>,
}

impl std::fmt::Debug for ServerStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerStream").finish_non_exhaustive()
    }
}

struct ServerState {
    resp: reqwest::Response,
    buf: Vec<u8>,
    headers: ResponseHeaders,
}

async fn next_line(mut st: ServerState) -> (ServerState, Option<Result<Response>>) {
    loop {
        if let Some(pos) = st.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = st.buf.drain(..=pos).collect();
            let line = &line[..line.len() - 1];
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let item = serde_json::from_slice(line)
                .map(|body| Response::from_body(body, st.headers.clone()))
                .map_err(|e| Error::decode(e, line));
            return (st, Some(item));
        }
        match st.resp.chunk().await {
            Ok(Some(chunk)) => st.buf.extend_from_slice(&chunk),
            Ok(None) | Err(_) => return (st, None),
        }
    }
}

impl Stream for ServerStream {
    type Item = Result<Response>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.pending.is_none() {
            let Some(state) = self.state.take() else {
                return Poll::Ready(None);
            };
            self.pending = Some(Box::pin(next_line(state)));
        }
        let Some(fut) = self.pending.as_mut() else {
            return Poll::Ready(None);
        };
        match fut.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((state, item)) => {
                self.pending = None;
                if item.is_some() {
                    self.state = Some(state);
                }
                Poll::Ready(item)
            }
        }
    }
}
