//! Saving the whole store as bytes and rebuilding it.
//!
//! The encoding is compact and deterministic: unsigned varints, children in
//! name order, so the same state always gives the same bytes (members compare
//! them, and snapshots must not differ between members).
//!
//! ```text
//! magic "ETCDV2S1" · store version · index · 15 counters
//! tree:    node = kind(0 file|1 dir) · name · created · modified · expire
//!                 · value (file) | child count · children (dir)
//! history: capacity · start · last · count · events
//!          event = action · refresh · node view · [prev node view]
//! ```

use super::event::Event;
use super::history::History;
use super::node::Node;
use super::stats::{Stats, COUNTERS};
use super::ttl::TtlIndex;
use super::Store;
use etcd_client::{Action, Node as NodeView};
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"ETCDV2S1";

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    #[error("not a store snapshot (bad magic)")]
    BadMagic,
    #[error("store snapshot is truncated")]
    Truncated,
    #[error("store snapshot is corrupt: {0}")]
    Corrupt(&'static str),
}

/// A copy of what [`Store::save`] writes (everything but the TTL index,
/// which a restore rebuilds from the tree). Taking it copies the tree's
/// tables but no names or values (they are shared, see `node.rs`), so a
/// snapshot holds the store's lock only for that and encodes the copy after.
#[derive(Debug)]
pub struct Frozen {
    root: Node,
    index: u64,
    version: u32,
    history: History,
    stats: Stats,
}

impl Frozen {
    /// The store's index when the copy was taken.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The bytes [`Store::save`] gave when the copy was taken.
    pub fn save(&self) -> Vec<u8> {
        save_parts(
            &self.root,
            self.index,
            self.version,
            &self.history,
            &self.stats,
        )
    }
}

impl Store {
    /// A copy of the state to save later; see [`Frozen`].
    pub fn freeze(&self) -> Frozen {
        Frozen {
            root: self.root.clone(),
            index: self.index,
            version: self.version,
            history: self.history.clone(),
            stats: self.stats.clone(),
        }
    }
}

pub(super) fn save(store: &Store) -> Vec<u8> {
    save_parts(
        &store.root,
        store.index,
        store.version,
        &store.history,
        &store.stats,
    )
}

fn save_parts(root: &Node, index: u64, version: u32, history: &History, stats: &Stats) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(64 + root.count() * 48));
    w.0.extend_from_slice(MAGIC);
    w.uint(u64::from(version));
    w.uint(index);
    for v in stats.values() {
        w.uint(v);
    }
    write_node(&mut w, root);
    let h = history;
    w.uint(h_capacity(h) as u64);
    w.uint(h.start_index);
    w.uint(h.last_index);
    w.uint(h.len() as u64);
    for e in h.iter() {
        w.0.push(action_code(e.action));
        w.0.push(u8::from(e.refresh));
        write_view(&mut w, &e.node);
        match &e.prev_node {
            Some(p) => {
                w.0.push(1);
                write_view(&mut w, p);
            }
            None => w.0.push(0),
        }
    }
    w.0
}

pub(super) fn restore(bytes: &[u8]) -> Result<Store, SnapshotError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let version = u32::try_from(r.uint()?).map_err(|_| SnapshotError::Corrupt("version"))?;
    let index = r.uint()?;
    let mut counters = [0u64; COUNTERS];
    for c in &mut counters {
        *c = r.uint()?;
    }
    let root = read_node(&mut r, 0)?;
    if !root.is_dir() || !root.name().is_empty() {
        return Err(SnapshotError::Corrupt("root is not a directory"));
    }
    let capacity = usize::try_from(r.uint()?)
        .ok()
        .filter(|c| (1..=1 << 24).contains(c))
        .ok_or(SnapshotError::Corrupt("history capacity"))?;
    let start = r.uint()?;
    let last = r.uint()?;
    let count = r.len_field()?;
    let mut history = History::with_capacity(capacity);
    for _ in 0..count {
        let action = action_from(r.byte()?)?;
        let refresh = r.flag()?;
        let node = read_view(&mut r, 0)?;
        let prev_node = match r.byte()? {
            0 => None,
            1 => Some(read_view(&mut r, 0)?),
            _ => return Err(SnapshotError::Corrupt("prev node flag")),
        };
        history.push(Arc::new(Event {
            action,
            node,
            prev_node,
            refresh,
        }));
    }
    if r.pos != bytes.len() {
        return Err(SnapshotError::Corrupt("trailing bytes"));
    }
    if history.len() != count
        || (count > 0 && (history.start_index != start || history.last_index != last))
    {
        return Err(SnapshotError::Corrupt("history window"));
    }
    history.start_index = start;
    history.last_index = last;
    let mut ttl = TtlIndex::default();
    let mut buf = String::new();
    index_expirations(&root, &mut buf, &mut ttl);
    Ok(Store {
        root,
        index,
        version,
        ttl,
        history,
        stats: Stats::from_values(counters),
    })
}

fn h_capacity(h: &History) -> usize {
    h.capacity()
}

fn index_expirations(node: &Node, buf: &mut String, ttl: &mut TtlIndex) {
    if let Some(children) = node.children() {
        for child in children.iter() {
            let len = buf.len();
            buf.push('/');
            buf.push_str(child.name());
            ttl.insert(child.expire, buf);
            index_expirations(child, buf, ttl);
            buf.truncate(len);
        }
    }
}

fn action_code(a: Action) -> u8 {
    match a {
        Action::Get => 0,
        Action::Set => 1,
        Action::Create => 2,
        Action::Update => 3,
        Action::Delete => 4,
        Action::CompareAndSwap => 5,
        Action::CompareAndDelete => 6,
        Action::Expire => 7,
    }
}

fn action_from(b: u8) -> Result<Action, SnapshotError> {
    Ok(match b {
        0 => Action::Get,
        1 => Action::Set,
        2 => Action::Create,
        3 => Action::Update,
        4 => Action::Delete,
        5 => Action::CompareAndSwap,
        6 => Action::CompareAndDelete,
        7 => Action::Expire,
        _ => return Err(SnapshotError::Corrupt("action")),
    })
}

fn write_node(w: &mut Writer, node: &Node) {
    w.0.push(u8::from(node.is_dir()));
    w.bytes(node.name().as_bytes());
    w.uint(node.created);
    w.uint(node.modified);
    w.int(node.expire);
    match node.children() {
        None => w.bytes(node.value()),
        Some(children) => {
            w.uint(children.len() as u64);
            for child in children.sorted() {
                write_node(w, child);
            }
        }
    }
}

/// Deeper trees than this are refused rather than risking the stack.
const MAX_DEPTH: usize = 4096;

fn read_node(r: &mut Reader, depth: usize) -> Result<Node, SnapshotError> {
    if depth > MAX_DEPTH {
        return Err(SnapshotError::Corrupt("tree too deep"));
    }
    let kind = r.byte()?;
    let name = r.str()?;
    if depth > 0 && (name.is_empty() || name.contains('/')) {
        return Err(SnapshotError::Corrupt("node name"));
    }
    let created = r.uint()?;
    let modified = r.uint()?;
    let expire = r.int()?;
    match kind {
        0 => {
            let value = r.bytes()?;
            let mut n = Node::file(name, value, created, expire);
            n.modified = modified;
            Ok(n)
        }
        1 => {
            let mut n = Node::dir(name, created, expire);
            n.modified = modified;
            let count = r.len_field()?;
            let children = n.children_mut().expect("directory");
            children.reserve(count);
            for _ in 0..count {
                let child = read_node(r, depth + 1)?;
                if children.get(child.name()).is_some() {
                    return Err(SnapshotError::Corrupt("duplicate child"));
                }
                children.insert(child);
            }
            Ok(n)
        }
        _ => Err(SnapshotError::Corrupt("node kind")),
    }
}

fn write_opt_str(w: &mut Writer, s: Option<&str>) {
    match s {
        Some(s) => {
            w.0.push(1);
            w.bytes(s.as_bytes());
        }
        None => w.0.push(0),
    }
}

fn write_view(w: &mut Writer, n: &NodeView) {
    w.bytes(n.key.as_bytes());
    write_opt_str(w, n.value.as_deref());
    w.0.push(u8::from(n.dir));
    write_opt_str(w, n.expiration.as_deref());
    w.int(n.ttl);
    w.uint(n.modified_index);
    w.uint(n.created_index);
    w.uint(n.nodes.len() as u64);
    for c in &n.nodes {
        write_view(w, c);
    }
}

fn read_opt_str(r: &mut Reader) -> Result<Option<String>, SnapshotError> {
    match r.byte()? {
        0 => Ok(None),
        1 => Ok(Some(r.str()?.to_owned())),
        _ => Err(SnapshotError::Corrupt("option flag")),
    }
}

fn read_view(r: &mut Reader, depth: usize) -> Result<NodeView, SnapshotError> {
    if depth > MAX_DEPTH {
        return Err(SnapshotError::Corrupt("event too deep"));
    }
    let key = r.str()?.to_owned();
    let value = read_opt_str(r)?;
    let dir = r.flag()?;
    let expiration = read_opt_str(r)?;
    let ttl = r.int()?;
    let modified_index = r.uint()?;
    let created_index = r.uint()?;
    let count = r.len_field()?;
    let mut nodes = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        nodes.push(read_view(r, depth + 1)?);
    }
    Ok(NodeView {
        key,
        value,
        dir,
        expiration,
        ttl,
        nodes,
        modified_index,
        created_index,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.uint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.pos.checked_add(n).ok_or(SnapshotError::Truncated)?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(SnapshotError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    fn flag(&mut self) -> Result<bool, SnapshotError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(SnapshotError::Corrupt("flag")),
        }
    }

    fn uint(&mut self) -> Result<u64, SnapshotError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(SnapshotError::Corrupt("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(SnapshotError::Corrupt("varint"))
    }

    fn int(&mut self) -> Result<i64, SnapshotError> {
        let u = self.uint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A count or length: must fit in what is left of the input.
    fn len_field(&mut self) -> Result<usize, SnapshotError> {
        // Every element takes at least one byte, so a count larger than what is
        // left is corrupt (and must not drive a huge allocation).
        let v = self.uint()?;
        let left = (self.buf.len() - self.pos) as u64;
        if v > left {
            return Err(SnapshotError::Corrupt("count larger than the input"));
        }
        usize::try_from(v).map_err(|_| SnapshotError::Corrupt("length"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], SnapshotError> {
        let n = usize::try_from(self.uint()?).map_err(|_| SnapshotError::Truncated)?;
        self.take(n)
    }

    fn str(&mut self) -> Result<&'a str, SnapshotError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| SnapshotError::Corrupt("UTF-8"))
    }
}
