//! `/v2/keys`: one builder per call (get, set and its conditional forms, delete, in-order create).

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;

use crate::encode::Params;
use crate::error::{ApiError, Error};
use crate::transport::{ApiRequest, RawResponse};
use crate::types::{Action, ErrorBody, KeyResponse, Node};
use crate::watch::WatchRequest;
use crate::{Client, Result};

pub(crate) const KEYS: &str = "/v2/keys";

/// The cluster position headers that come with every keys answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHeaders {
    /// `X-Etcd-Index`: the store index when the answer was made (for a watch,
    /// when the watch was registered).
    pub etcd_index: u64,
    /// `X-Raft-Index`, when sent.
    pub raft_index: Option<u64>,
    /// `X-Raft-Term`, when sent.
    pub raft_term: Option<u64>,
    /// `X-Etcd-Cluster-Id`, when sent.
    pub cluster_id: Option<String>,
}

impl ResponseHeaders {
    pub(crate) fn from_map(h: &HeaderMap) -> Self {
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
        let num = |name: &str| text(name).and_then(|v| v.parse().ok());
        ResponseHeaders {
            etcd_index: num("x-etcd-index").unwrap_or(0),
            raft_index: num("x-raft-index"),
            raft_term: num("x-raft-term"),
            cluster_id: text("x-etcd-cluster-id").map(str::to_owned),
        }
    }
}

/// A successful keys answer: what happened, to which node, and where the cluster was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// What the server did.
    pub action: Action,
    /// The node after the change (or as read). Empty (`Node::default()`) only
    /// when the request asked for `no_value_on_success`.
    pub node: Node,
    /// The node before the change, when there was one.
    pub prev_node: Option<Node>,
    /// The `X-Etcd-*` / `X-Raft-*` headers.
    pub headers: ResponseHeaders,
}

impl Response {
    pub(crate) fn from_body(body: KeyResponse, headers: ResponseHeaders) -> Self {
        Response {
            action: body.action,
            node: body.node.unwrap_or_default(),
            prev_node: body.prev_node,
            headers,
        }
    }
}

/// Decodes a keys answer: 200/201 bodies become a [`Response`], error bodies an [`Error::Api`].
pub(crate) fn decode_keys(raw: RawResponse) -> Result<Response> {
    let headers = ResponseHeaders::from_map(&raw.headers);
    if raw.status == 200 || raw.status == 201 {
        let body: KeyResponse =
            serde_json::from_slice(&raw.body).map_err(|e| Error::decode(e, &raw.body))?;
        return Ok(Response::from_body(body, headers));
    }
    match serde_json::from_slice::<ErrorBody>(&raw.body) {
        Ok(b) => Err(Error::Api(ApiError::from_body(b, raw.status))),
        Err(_) => Err(Error::UnexpectedStatus {
            status: raw.status,
            body: String::from_utf8_lossy(&raw.body).into_owned(),
        }),
    }
}

/// The keys API of a client; see [`Client::keys`].
#[derive(Debug, Clone, Copy)]
pub struct KeysApi<'a> {
    client: &'a Client,
}

impl Client {
    /// The `/v2/keys` API.
    ///
    /// ```no_run
    /// # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
    /// let keys = client.keys();
    /// keys.set("/config/mode", "fast").ttl(60).send().await?;
    /// let answer = keys.get("/config").recursive(true).sorted(true).send().await?;
    /// for node in &answer.node.nodes {
    ///     println!("{} = {:?}", node.key, node.value);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn keys(&self) -> KeysApi<'_> {
        KeysApi { client: self }
    }
}

/// Whether the key must already exist (`prevExist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrevExist {
    /// Only if it exists (update).
    Exist,
    /// Only if it does not exist (create).
    NoExist,
}

impl<'a> KeysApi<'a> {
    /// Reads a key or lists a directory.
    pub fn get(self, key: impl Into<String>) -> GetRequest<'a> {
        GetRequest {
            client: self.client,
            key: key.into(),
            recursive: false,
            sorted: false,
            quorum: false,
            opts: Opts::default(),
        }
    }

    /// Sets a key's value, creating it (and missing parent directories) if needed.
    pub fn set(self, key: impl Into<String>, value: impl Into<String>) -> SetRequest<'a> {
        SetRequest::new(self.client, key.into(), Some(value.into()))
    }

    /// Creates a key; fails with `105 Key already exists` if it exists.
    pub fn create(self, key: impl Into<String>, value: impl Into<String>) -> SetRequest<'a> {
        self.set(key, value).prev_exist(PrevExist::NoExist)
    }

    /// Updates an existing key; fails with `100 Key not found` otherwise.
    pub fn update(self, key: impl Into<String>, value: impl Into<String>) -> SetRequest<'a> {
        self.set(key, value).prev_exist(PrevExist::Exist)
    }

    /// Sets a key only if its current value or index matches: add
    /// [`SetRequest::prev_value`] and/or [`SetRequest::prev_index`].
    pub fn compare_and_swap(
        self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> SetRequest<'a> {
        self.set(key, value)
    }

    /// Refreshes the TTL of an existing key without changing its value or
    /// notifying watchers; give the new TTL with [`SetRequest::ttl`].
    pub fn refresh(self, key: impl Into<String>) -> SetRequest<'a> {
        let mut r = SetRequest::new(self.client, key.into(), None);
        r.refresh = true;
        r.prev_exist = Some(PrevExist::Exist);
        r
    }

    /// Creates a directory; fails if the key exists.
    pub fn mkdir(self, key: impl Into<String>) -> SetRequest<'a> {
        self.set_dir(key).prev_exist(PrevExist::NoExist)
    }

    /// Creates a directory, or makes an existing key into one if it has no value.
    pub fn set_dir(self, key: impl Into<String>) -> SetRequest<'a> {
        let mut r = SetRequest::new(self.client, key.into(), None);
        r.dir = true;
        r
    }

    /// Updates an existing directory (its TTL).
    pub fn update_dir(self, key: impl Into<String>) -> SetRequest<'a> {
        self.set_dir(key).prev_exist(PrevExist::Exist)
    }

    /// Deletes a key (add [`DeleteRequest::dir`] or [`DeleteRequest::recursive`]
    /// for directories).
    pub fn delete(self, key: impl Into<String>) -> DeleteRequest<'a> {
        DeleteRequest {
            client: self.client,
            key: key.into(),
            dir: false,
            recursive: false,
            prev_value: None,
            prev_index: None,
            opts: Opts::default(),
        }
    }

    /// Deletes a key only if its value or index matches: add
    /// [`DeleteRequest::prev_value`] and/or [`DeleteRequest::prev_index`].
    pub fn compare_and_delete(self, key: impl Into<String>) -> DeleteRequest<'a> {
        self.delete(key)
    }

    /// Removes an empty directory.
    pub fn rmdir(self, key: impl Into<String>) -> DeleteRequest<'a> {
        self.delete(key).dir(true)
    }

    /// Creates a key with a new, increasing name inside directory `dir`.
    pub fn create_in_order(
        self,
        dir: impl Into<String>,
        value: impl Into<String>,
    ) -> CreateInOrderRequest<'a> {
        CreateInOrderRequest {
            client: self.client,
            dir: dir.into(),
            value: value.into(),
            ttl: None,
            opts: Opts::default(),
        }
    }

    /// Waits for changes of a key (or, recursively, a directory).
    pub fn watch(self, key: impl Into<String>) -> WatchRequest {
        WatchRequest::new(self.client.clone(), key.into())
    }
}

/// Options every keys call takes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Opts {
    pub(crate) one_shot: bool,
    pub(crate) timeout: Option<Duration>,
}

impl Opts {
    pub(crate) fn apply(self, mut req: ApiRequest) -> ApiRequest {
        req.one_shot = self.one_shot;
        req.timeout = self.timeout;
        req
    }
}

macro_rules! common_options {
    ($t:ident) => {
        impl $t<'_> {
            /// Sends to the first endpoint only and reports its own error
            /// instead of failing over (for requests that must not be repeated).
            pub fn one_shot(mut self) -> Self {
                self.opts.one_shot = true;
                self
            }

            /// Overrides the client's per-request timeout for this call.
            pub fn timeout(mut self, timeout: Duration) -> Self {
                self.opts.timeout = Some(timeout);
                self
            }
        }
    };
}

/// A read of a key or directory; see [`KeysApi::get`].
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct GetRequest<'a> {
    client: &'a Client,
    key: String,
    recursive: bool,
    sorted: bool,
    quorum: bool,
    opts: Opts,
}

common_options!(GetRequest);

impl GetRequest<'_> {
    /// Lists the whole subtree of a directory.
    pub fn recursive(mut self, on: bool) -> Self {
        self.recursive = on;
        self
    }

    /// Lists a directory's children in key order.
    pub fn sorted(mut self, on: bool) -> Self {
        self.sorted = on;
        self
    }

    /// Reads through the raft leader (linearizable) instead of the local member.
    pub fn quorum(mut self, on: bool) -> Self {
        self.quorum = on;
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// [`Error::Api`] with `100` when the key does not exist; transport errors.
    pub async fn send(self) -> Result<Response> {
        let mut req = ApiRequest::new(Method::GET, KEYS, self.key);
        req.query
            .set_bool("recursive", self.recursive)
            .set_bool("sorted", self.sorted)
            .set_bool("quorum", self.quorum);
        decode_keys(self.client.execute(self.opts.apply(req)).await?)
    }
}

/// A write (`PUT`): set, create, update, compare-and-swap, refresh and the
/// directory forms; see [`KeysApi::set`].
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct SetRequest<'a> {
    client: &'a Client,
    key: String,
    value: Option<String>,
    dir: bool,
    ttl: Option<Option<u64>>,
    prev_value: Option<String>,
    prev_index: Option<u64>,
    prev_exist: Option<PrevExist>,
    refresh: bool,
    no_value_on_success: bool,
    opts: Opts,
}

common_options!(SetRequest);

impl<'a> SetRequest<'a> {
    fn new(client: &'a Client, key: String, value: Option<String>) -> Self {
        SetRequest {
            client,
            key,
            value,
            dir: false,
            ttl: None,
            prev_value: None,
            prev_index: None,
            prev_exist: None,
            refresh: false,
            no_value_on_success: false,
            opts: Opts::default(),
        }
    }

    /// Expire the key after `seconds` (sent as given: `0` expires it at once;
    /// leave the TTL out for a permanent key).
    pub fn ttl(mut self, seconds: u64) -> Self {
        self.ttl = Some(Some(seconds));
        self
    }

    /// Remove the key's TTL (sends an empty `ttl`), making it permanent.
    pub fn clear_ttl(mut self) -> Self {
        self.ttl = Some(None);
        self
    }

    /// Only if the current value equals `value` (compare-and-swap). The server
    /// refuses an empty `value` (error 201).
    pub fn prev_value(mut self, value: impl Into<String>) -> Self {
        self.prev_value = Some(value.into());
        self
    }

    /// Only if the key's modified index equals `index` (compare-and-swap;
    /// the server treats `0` as no condition).
    pub fn prev_index(mut self, index: u64) -> Self {
        self.prev_index = Some(index);
        self
    }

    /// Only if the key exists, or only if it does not.
    pub fn prev_exist(mut self, exist: PrevExist) -> Self {
        self.prev_exist = Some(exist);
        self
    }

    /// Ask the server to leave the node out of a successful answer.
    pub fn no_value_on_success(mut self, on: bool) -> Self {
        self.no_value_on_success = on;
        self
    }

    fn request(&self) -> ApiRequest {
        let mut req = ApiRequest::new(Method::PUT, KEYS, self.key.clone());
        let mut form = Params::new();
        if self.dir {
            req.query.set_bool("dir", true);
        } else {
            if let Some(pv) = &self.prev_value {
                req.query.set("prevValue", pv.clone());
            }
            if let Some(v) = &self.value {
                form.set("value", v.clone());
            }
        }
        if let Some(i) = self.prev_index {
            req.query.set("prevIndex", i.to_string());
        }
        if let Some(e) = self.prev_exist {
            req.query
                .set_bool("prevExist", matches!(e, PrevExist::Exist));
        }
        match self.ttl {
            Some(Some(t)) => {
                form.set("ttl", t.to_string());
            }
            Some(None) => {
                form.set("ttl", "");
            }
            None => {}
        }
        if self.refresh {
            form.set_bool("refresh", true);
        }
        if self.no_value_on_success {
            req.query.set_bool("noValueOnSuccess", true);
        }
        self.opts.apply(req.form(&form))
    }

    /// Sends the request.
    ///
    /// # Errors
    /// [`Error::Api`]: `101` when a comparison fails, `100`/`105` when
    /// `prev_exist` is not met, `102`/`104` for file/directory mismatches, ...
    pub async fn send(self) -> Result<Response> {
        decode_keys(self.client.execute(self.request()).await?)
    }
}

/// A `DELETE` of a key or directory; see [`KeysApi::delete`].
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct DeleteRequest<'a> {
    client: &'a Client,
    key: String,
    dir: bool,
    recursive: bool,
    prev_value: Option<String>,
    prev_index: Option<u64>,
    opts: Opts,
}

common_options!(DeleteRequest);

impl DeleteRequest<'_> {
    /// Allow deleting an (empty) directory.
    pub fn dir(mut self, on: bool) -> Self {
        self.dir = on;
        self
    }

    /// Delete a directory with everything below it.
    pub fn recursive(mut self, on: bool) -> Self {
        self.recursive = on;
        self
    }

    /// Only if the current value equals `value` (compare-and-delete).
    pub fn prev_value(mut self, value: impl Into<String>) -> Self {
        self.prev_value = Some(value.into());
        self
    }

    /// Only if the key's modified index equals `index` (compare-and-delete).
    pub fn prev_index(mut self, index: u64) -> Self {
        self.prev_index = Some(index);
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// [`Error::Api`]: `100` missing key, `101` failed comparison, `102` a
    /// directory without `dir`/`recursive`, `108` a non-empty directory.
    pub async fn send(self) -> Result<Response> {
        let mut req = ApiRequest::new(Method::DELETE, KEYS, self.key);
        if self.recursive {
            req.query.set_bool("recursive", true);
        }
        if self.dir {
            req.query.set_bool("dir", true);
        }
        if let Some(pv) = self.prev_value {
            req.query.set("prevValue", pv);
        }
        if let Some(i) = self.prev_index {
            req.query.set("prevIndex", i.to_string());
        }
        decode_keys(self.client.execute(self.opts.apply(req)).await?)
    }
}

/// A `POST` that creates a uniquely named key in a directory; see
/// [`KeysApi::create_in_order`].
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct CreateInOrderRequest<'a> {
    client: &'a Client,
    dir: String,
    value: String,
    ttl: Option<u64>,
    opts: Opts,
}

common_options!(CreateInOrderRequest);

impl CreateInOrderRequest<'_> {
    /// Expire the new key after `seconds`.
    pub fn ttl(mut self, seconds: u64) -> Self {
        self.ttl = Some(seconds);
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// [`Error::Api`] (`104` when the parent is a file, ...); transport errors.
    pub async fn send(self) -> Result<Response> {
        let mut form = Params::new();
        form.set("value", self.value);
        if let Some(t) = self.ttl {
            form.set("ttl", t.to_string());
        }
        let req = ApiRequest::new(Method::POST, KEYS, self.dir).form(&form);
        decode_keys(self.client.execute(self.opts.apply(req)).await?)
    }
}
