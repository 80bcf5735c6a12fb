//! The clients of a run: linearizability clients over a rotating set of
//! keys (every operation kind of the v2 keys API, in-order creates
//! included), TTL writers, and compare-and-swap counter clients. Every
//! operation goes to a random member and is recorded.

use crate::client::{request_of, ret_of, send, CLIENT_TIMEOUT};
use crate::history::{Call, Op, Recorder, Ret};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The directory in-order keys are created in.
pub const INORDER_DIR: &str = "/inorder";
/// The compare-and-swap counter.
pub const COUNTER_KEY: &str = "/cas/counter";

/// Lets the harness hold every client between two operations.
#[derive(Debug, Default)]
pub struct Gate {
    closed: AtomicBool,
    in_flight: AtomicUsize,
}

impl Gate {
    /// Waits while the gate is closed, then counts one operation in flight
    /// (until [`Gate::leave`]).
    pub async fn enter(&self) {
        loop {
            while self.closed.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            if !self.closed.load(Ordering::SeqCst) {
                return;
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }

    pub fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Closes the gate and waits (up to `timeout`) until no operation is in
    /// flight; whether they all ended.
    pub fn close_and_drain(&self, timeout: Duration) -> bool {
        self.closed.store(true, Ordering::SeqCst);
        let start = std::time::Instant::now();
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            if start.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    pub fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
    }
}

/// The keys the linearizability clients use: `slots` keys at a time, each
/// retired after `per_key` operations or [`MAX_OPEN`] indeterminate writes
/// (short histories with few open writes per key keep the search cheap: an
/// indeterminate write may take effect at any later point, so the search
/// space grows exponentially with their number).
#[derive(Debug)]
pub struct Keys {
    /// Per slot: generation, operations, indeterminate writes.
    slots: Mutex<Vec<(u32, u32, u32)>>,
    per_key: u32,
    used: Mutex<Vec<String>>,
}

/// Indeterminate writes after which a key is retired.
const MAX_OPEN: u32 = 6;

impl Keys {
    pub fn new(slots: usize, per_key: u32) -> Keys {
        Keys {
            slots: Mutex::new(vec![(0, 0, 0); slots]),
            per_key,
            used: Mutex::default(),
        }
    }

    fn pick(&self) -> String {
        let mut slots = self.slots.lock().unwrap();
        let s = fastrand::usize(..slots.len());
        let (gen, n, open) = &mut slots[s];
        *n += 1;
        if *n > self.per_key || *open >= MAX_OPEN {
            *gen += 1;
            *n = 1;
            *open = 0;
        }
        let key = format!("/lin/s{s}g{gen}");
        if *n == 1 {
            self.used.lock().unwrap().push(key.clone());
        }
        key
    }

    /// Counts an indeterminate write on `key`.
    fn opened(&self, key: &str) {
        let mut slots = self.slots.lock().unwrap();
        for (s, (gen, _, open)) in slots.iter_mut().enumerate() {
            if key == format!("/lin/s{s}g{gen}") {
                *open += 1;
            }
        }
    }

    /// Every key used so far.
    pub fn used(&self) -> Vec<String> {
        self.used.lock().unwrap().clone()
    }
}

/// What the clients share.
#[derive(Debug)]
pub struct Ctx {
    pub http: reqwest::Client,
    pub urls: Vec<String>,
    pub rec: Recorder,
    pub stop: AtomicBool,
    pub gate: Gate,
    pub keys: Keys,
}

impl Ctx {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn member(&self) -> usize {
        fastrand::usize(..self.urls.len())
    }

    /// Sends `call` on `key` to `member` and records it.
    pub async fn perform(&self, client: usize, member: usize, key: &str, call: Call) -> Op {
        let (method, target, form) = request_of(key, &call);
        let url = format!("{}{target}", self.urls[member]);
        let invoke = self.rec.now();
        let ret = ret_of(send(&self.http, method, &url, form, CLIENT_TIMEOUT).await);
        let op = Op {
            client,
            member,
            key: key.to_owned(),
            call,
            invoke,
            complete: self.rec.now(),
            ret,
        };
        self.rec.push(op.clone());
        op
    }
}

/// A linearizability client: random operations on random current keys.
pub async fn lin_client(ctx: Arc<Ctx>, id: usize) {
    // The value and modifiedIndex this client last saw on each key.
    let mut known: HashMap<String, (String, u64)> = HashMap::new();
    let mut seq = 0u64;
    while !ctx.stopped() {
        ctx.gate.enter().await;
        seq += 1;
        let value = format!("c{id}-{seq}");
        let roll = fastrand::u32(..100);
        // A `/lin` key only for the calls on one (each key picked is read
        // at the end).
        let (key, call) = if roll >= 92 {
            (INORDER_DIR.to_owned(), Call::Post { value })
        } else {
            let key = ctx.keys.pick();
            let seen = known.get(&key).cloned();
            let call = match (roll, seen) {
                (0..=24, _) => Call::Get,
                (25..=44, _) => Call::Set { value },
                (45..=51, _) => Call::Create { value },
                (52..=66, Some((prev, _))) => Call::CasValue { prev, value },
                (67..=81, Some((_, index))) => Call::CasIndex { prev: index, value },
                (82..=84, Some((prev, _))) => Call::CadValue { prev },
                (85..=86, Some((_, index))) => Call::CadIndex { prev: index },
                (87.., _) => Call::Delete,
                (_, None) => Call::Get,
            };
            (key, call)
        };
        let op = ctx.perform(id, ctx.member(), &key, call).await;
        ctx.gate.leave();
        if op.indeterminate() {
            if op.call.writes() {
                ctx.keys.opened(&key);
            }
            // Like any client, pause before trying again.
            tokio::time::sleep(Duration::from_millis(fastrand::u64(50..250))).await;
        }
        match &op.ret {
            Ret::Ok { node, .. } if key != INORDER_DIR => match node.as_ref() {
                Some(n) if n.value.is_some() => {
                    known.insert(key, (n.value.clone().unwrap(), n.modified));
                }
                _ => {
                    known.remove(&key);
                }
            },
            Ret::Fail { code: 100, .. } => {
                known.remove(&key);
            }
            _ => {}
        }
    }
}

/// Writes a TTL key every few hundred milliseconds, and reads each one
/// shortly before its TTL runs out (it must still be there).
pub async fn ttl_writer(ctx: Arc<Ctx>, id: usize) {
    let mut n = 0u64;
    while !ctx.stopped() {
        ctx.gate.enter().await;
        n += 1;
        let key = format!("/ttl/t{n}");
        let ttl = fastrand::u64(1..=4);
        let call = Call::SetTtl {
            value: format!("t{id}-{n}"),
            ttl,
        };
        let op = ctx.perform(id, ctx.member(), &key, call).await;
        ctx.gate.leave();
        if op.acked() {
            let check_at = op.invoke + Duration::from_secs(ttl) - Duration::from_millis(300);
            let ctx2 = ctx.clone();
            tokio::spawn(async move {
                let wait = check_at.saturating_sub(ctx2.rec.now());
                tokio::time::sleep(wait).await;
                ctx2.perform(id + 1, ctx2.member(), &key, Call::Get).await;
            });
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(200..600))).await;
    }
}

/// Increments the counter by compare-and-swap on its modifiedIndex until
/// `target` of its swaps were acknowledged (or the run stops). Values are
/// `count:client:attempt`.
pub async fn counter_client(ctx: Arc<Ctx>, id: usize, target: usize) {
    let mut acked = 0;
    let mut attempt = 0u64;
    let mut last: Option<(u64, u64)> = None;
    while !ctx.stopped() && acked < target {
        ctx.gate.enter().await;
        let (count, index) = match last.take() {
            Some(seen) => seen,
            None => {
                let op = ctx.perform(id, ctx.member(), COUNTER_KEY, Call::Get).await;
                match counter_node(&op) {
                    Some(seen) => seen,
                    None => {
                        ctx.gate.leave();
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                }
            }
        };
        attempt += 1;
        let call = Call::CasIndex {
            prev: index,
            value: format!("{}:{id}:{attempt}", count + 1),
        };
        let op = ctx.perform(id, ctx.member(), COUNTER_KEY, call).await;
        ctx.gate.leave();
        if op.acked() {
            acked += 1;
            last = counter_node(&op);
        } else if op.indeterminate() {
            tokio::time::sleep(Duration::from_millis(fastrand::u64(50..250))).await;
        }
    }
}

/// The count and modifiedIndex of the counter node in an answer.
fn counter_node(op: &Op) -> Option<(u64, u64)> {
    let Ret::Ok { node: Some(n), .. } = &op.ret else {
        return None;
    };
    Some((counter_value(n.value.as_deref()?)?, n.modified))
}

/// The count of a counter value `count:...`.
pub fn counter_value(v: &str) -> Option<u64> {
    v.split(':').next()?.parse().ok()
}
