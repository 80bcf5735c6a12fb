//! Nodes of the v2 tree, laid out for memory: a file is one allocation holding
//! its name and value, a directory is a hash table of its children keyed by name.
//!
//! A file's allocation is shared (reference-counted), so copying the tree
//! copies no names or values: a snapshot copies the store between two
//! applies in a fraction of the time that encoding it takes, and encodes the
//! copy while writes go on (`Store::freeze`).
//!
//! A node does not store its full path: paths are rebuilt while walking, which
//! keeps a key's overhead to the node itself (40 bytes) plus its table slot.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::sync::{Arc, LazyLock};

/// One hasher for every directory of the process (randomly seeded), so tables
/// do not each carry their own.
static HASHER: LazyLock<DefaultHashBuilder> = LazyLock::new(DefaultHashBuilder::default);

fn hash_name(name: &[u8]) -> u64 {
    HASHER.hash_one(name)
}

/// Unix nanoseconds; 0 means "no expiration" (permanent).
pub type Expiry = i64;

/// A key with a value, or a directory.
#[derive(Debug, Clone)]
pub struct Node {
    pub created: u64,
    pub modified: u64,
    pub expire: Expiry,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum Body {
    File(Packed),
    Dir(Box<Dir>),
}

/// A file's name and value in one shared allocation:
/// `[name length: u32 LE][name][value]`. Never changed once made (a write
/// makes a new one), so a clone is a reference count.
#[derive(Debug, Clone)]
pub struct Packed(Arc<[u8]>);

impl Packed {
    fn new(name: &str, value: &[u8]) -> Self {
        let len = u32::try_from(name.len()).expect("key component longer than 4 GiB");
        Packed::join(&[&len.to_le_bytes(), name.as_bytes(), value])
    }

    /// The same name with `value`.
    fn with_value(&self, value: &[u8]) -> Self {
        Packed::join(&[&self.0[..4 + self.name_len()], value])
    }

    /// The parts in one shared allocation. Gathered by whole-slice copies
    /// first: an `Arc<[u8]>` collected from a chain of byte iterators is
    /// filled a byte at a time, which cost more than the extra copy.
    fn join(parts: &[&[u8]]) -> Self {
        let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
        for part in parts {
            bytes.extend_from_slice(part);
        }
        Packed(Arc::from(bytes))
    }

    fn name_len(&self) -> usize {
        u32::from_le_bytes(self.0[..4].try_into().expect("4 bytes")) as usize
    }

    fn name_bytes(&self) -> &[u8] {
        &self.0[4..4 + self.name_len()]
    }

    fn value(&self) -> &[u8] {
        &self.0[4 + self.name_len()..]
    }
}

/// A directory: its own name and its children.
#[derive(Debug, Default, Clone)]
pub struct Dir {
    name: Box<str>,
    pub children: Children,
}

impl Node {
    pub fn file(name: &str, value: &[u8], index: u64, expire: Expiry) -> Node {
        Node {
            created: index,
            modified: index,
            expire,
            body: Body::File(Packed::new(name, value)),
        }
    }

    pub fn dir(name: &str, index: u64, expire: Expiry) -> Node {
        Node {
            created: index,
            modified: index,
            expire,
            body: Body::Dir(Box::new(Dir {
                name: name.into(),
                children: Children::default(),
            })),
        }
    }

    fn name_bytes(&self) -> &[u8] {
        match &self.body {
            Body::File(p) => p.name_bytes(),
            Body::Dir(d) => d.name.as_bytes(),
        }
    }

    /// This node's own name (the last component of its path).
    pub fn name(&self) -> &str {
        match &self.body {
            Body::File(p) => std::str::from_utf8(p.name_bytes()).expect("names are UTF-8"),
            Body::Dir(d) => &d.name,
        }
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }

    /// The value of a file; empty for a directory (as the reference reads it).
    pub fn value(&self) -> &[u8] {
        match &self.body {
            Body::File(p) => p.value(),
            Body::Dir(_) => &[],
        }
    }

    /// Replaces a file's value and records the index of the change. Directories
    /// have no value: like the reference, writing one changes nothing, not even
    /// the modified index.
    pub fn write(&mut self, value: &[u8], index: u64) {
        if let Body::File(p) = &mut self.body {
            *p = p.with_value(value);
            self.modified = index;
        }
    }

    pub fn children(&self) -> Option<&Children> {
        match &self.body {
            Body::Dir(d) => Some(&d.children),
            Body::File(_) => None,
        }
    }

    pub fn children_mut(&mut self) -> Option<&mut Children> {
        match &mut self.body {
            Body::Dir(d) => Some(&mut d.children),
            Body::File(_) => None,
        }
    }

    /// Number of nodes in this subtree, itself included.
    pub fn count(&self) -> usize {
        1 + self
            .children()
            .map_or(0, |c| c.iter().map(Node::count).sum())
    }
}

/// The children of a directory, found by name.
#[derive(Debug, Default, Clone)]
pub struct Children {
    table: HashTable<Node>,
}

impl Children {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&Node> {
        let name = name.as_bytes();
        self.table.find(hash_name(name), |n| n.name_bytes() == name)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Node> {
        let name = name.as_bytes();
        self.table
            .find_mut(hash_name(name), |n| n.name_bytes() == name)
    }

    /// Adds `node`, which must not have a sibling of the same name.
    pub fn insert(&mut self, node: Node) -> &mut Node {
        let hash = hash_name(node.name_bytes());
        self.table
            .insert_unique(hash, node, |n| hash_name(n.name_bytes()))
            .into_mut()
    }

    /// The child `name`, created as a permanent directory with `index` when missing.
    pub fn get_or_insert_dir(&mut self, name: &str, index: u64) -> &mut Node {
        let bytes = name.as_bytes();
        let entry = self.table.entry(
            hash_name(bytes),
            |n| n.name_bytes() == bytes,
            |n| hash_name(n.name_bytes()),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => o.into_mut(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(Node::dir(name, index, 0)).into_mut()
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Node> {
        let name = name.as_bytes();
        match self
            .table
            .find_entry(hash_name(name), |n| n.name_bytes() == name)
        {
            Ok(entry) => Some(entry.remove().0),
            Err(_) => None,
        }
    }

    /// The children in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Node> {
        self.table.iter()
    }

    /// The children ordered by name (byte order), as `sorted=true` lists them.
    pub fn sorted(&self) -> Vec<&Node> {
        let mut v: Vec<&Node> = self.table.iter().collect();
        v.sort_unstable_by(|a, b| a.name_bytes().cmp(b.name_bytes()));
        v
    }

    pub fn reserve(&mut self, additional: usize) {
        self.table
            .reserve(additional, |n| hash_name(n.name_bytes()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_is_compact() {
        // The memory target (≤ 150 bytes per key beyond key and value) rests on this.
        assert_eq!(std::mem::size_of::<Node>(), 40);
    }

    #[test]
    fn file_keeps_name_and_value() {
        let mut n = Node::file("k☃", b"\xffvalue", 3, 0);
        assert_eq!(n.name(), "k☃");
        assert_eq!(n.value(), b"\xffvalue");
        n.write(b"", 9);
        assert_eq!(n.value(), b"");
        assert_eq!(n.name(), "k☃");
        assert_eq!((n.created, n.modified), (3, 9));
    }

    #[test]
    fn dir_write_changes_nothing() {
        let mut d = Node::dir("d", 3, 0);
        d.write(b"x", 9);
        assert_eq!(d.modified, 3);
        assert_eq!(d.value(), b"");
    }

    #[test]
    fn children_by_name() {
        let mut c = Children::default();
        c.insert(Node::file("b", b"2", 2, 0));
        c.insert(Node::file("a", b"1", 1, 0));
        c.get_or_insert_dir("c", 3);
        assert!(c.get_or_insert_dir("c", 9).is_dir());
        assert_eq!(c.get("c").unwrap().created, 3);
        assert_eq!(c.len(), 3);
        let names: Vec<_> = c.sorted().iter().map(|n| n.name().to_owned()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(c.remove("a").unwrap().value(), b"1");
        assert!(c.get("a").is_none());
        assert!(c.remove("a").is_none());
        c.get_mut("b").unwrap().write(b"22", 5);
        assert_eq!(c.get("b").unwrap().value(), b"22");
    }
}
