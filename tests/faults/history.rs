//! The record of every client operation: what was asked, when (invocation
//! and completion, from the run's start), and what came back.

use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a client asked for. Values written are unique in a run, so a value
/// names the write that put it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `GET ?quorum=true`.
    Get,
    /// `PUT value=`.
    Set { value: String },
    /// `PUT ?prevExist=false value=`.
    Create { value: String },
    /// `PUT ?prevValue=prev value=`.
    CasValue { prev: String, value: String },
    /// `PUT ?prevIndex=prev value=`.
    CasIndex { prev: u64, value: String },
    /// `DELETE ?prevValue=prev`.
    CadValue { prev: String },
    /// `DELETE ?prevIndex=prev`.
    CadIndex { prev: u64 },
    /// `DELETE`.
    Delete,
    /// `POST value=` into the directory `key` (create in order).
    Post { value: String },
    /// `PUT value= ttl=`.
    SetTtl { value: String, ttl: u64 },
}

impl Call {
    /// Whether it changes the store when it succeeds.
    pub fn writes(&self) -> bool {
        !matches!(self, Call::Get)
    }

    /// The value it writes, if any.
    pub fn value(&self) -> Option<&str> {
        match self {
            Call::Set { value }
            | Call::Create { value }
            | Call::CasValue { value, .. }
            | Call::CasIndex { value, .. }
            | Call::Post { value }
            | Call::SetTtl { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// A node of an answer (`node` or `prevNode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSeen {
    pub key: String,
    pub value: Option<String>,
    pub modified: u64,
    pub created: u64,
}

impl NodeSeen {
    /// Reads a node object of an answer.
    pub fn parse(v: &Value) -> Option<NodeSeen> {
        Some(NodeSeen {
            key: v["key"].as_str()?.to_owned(),
            value: v["value"].as_str().map(str::to_owned),
            modified: v["modifiedIndex"].as_u64()?,
            created: v["createdIndex"].as_u64()?,
        })
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ret {
    /// A 2xx answer.
    Ok {
        node: Option<NodeSeen>,
        prev: Option<NodeSeen>,
        /// `X-Etcd-Index`.
        index: Option<u64>,
    },
    /// An etcd error that decides the outcome: 100 (not found), 101
    /// (compare failed), 105 (already exists).
    Fail { code: u64, index: Option<u64> },
    /// Timed out, broken connection, or an error that leaves the outcome
    /// open (raft timeouts, no leader): it may or may not have happened.
    Unknown(String),
    /// The connection was refused: the request never left the client.
    NotSent,
}

/// One operation.
#[derive(Debug, Clone)]
pub struct Op {
    /// The client session.
    pub client: usize,
    /// The member asked.
    pub member: usize,
    pub key: String,
    pub call: Call,
    pub invoke: Duration,
    pub complete: Duration,
    pub ret: Ret,
}

impl Op {
    /// Acknowledged (a 2xx answer).
    pub fn acked(&self) -> bool {
        matches!(self.ret, Ret::Ok { .. })
    }

    /// Its outcome is open: it may have taken effect at any time after its
    /// invocation, or never.
    pub fn indeterminate(&self) -> bool {
        matches!(self.ret, Ret::Unknown(_))
    }
}

/// The shared history of a run. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Recorder {
    start: Instant,
    ops: Arc<Mutex<Vec<Op>>>,
}

impl Recorder {
    pub fn new(start: Instant) -> Recorder {
        Recorder {
            start,
            ops: Arc::default(),
        }
    }

    /// Time since the run started.
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    pub fn push(&self, op: Op) {
        self.ops.lock().unwrap_or_else(|p| p.into_inner()).push(op);
    }

    /// Every operation so far, in completion order.
    pub fn ops(&self) -> Vec<Op> {
        let mut ops = self.ops.lock().unwrap_or_else(|p| p.into_inner()).clone();
        ops.sort_by_key(|o| o.complete);
        ops
    }
}
