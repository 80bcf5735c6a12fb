//! Borrowed encodings of a [`Node`] and of a key answer with a prefix removed
//! from every key.
//!
//! A server keeps its keys under a namespace (`/1/foo`) and answers without
//! it (`/foo`). Encoding through these views writes the same bytes as
//! trimming a copy of the nodes and encoding that, without the copy: no
//! value is duplicated, however large the node or the listed directory.

use crate::types::{Action, KeyResponse, Node};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::Serialize;

mod write;

/// `node` encoded exactly as [`Node`] is, with `prefix` removed from the
/// start of its key and of every descendant's key (a key that does not start
/// with `prefix` is written whole; a key that is only `prefix` becomes empty
/// and is omitted, as the root's is).
#[derive(Debug, Clone, Copy)]
pub struct TrimmedNode<'a> {
    node: &'a Node,
    prefix: &'a str,
}

impl<'a> TrimmedNode<'a> {
    /// The view of `node` without `prefix`.
    pub fn new(node: &'a Node, prefix: &'a str) -> TrimmedNode<'a> {
        TrimmedNode { node, prefix }
    }
}

/// Field names, order and omit-when-empty rules: those of the reference
/// (see [`Node`]'s fields). [`Node`]'s own encoding is this with no prefix.
impl Serialize for TrimmedNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.node;
        let key = n.key.strip_prefix(self.prefix).unwrap_or(&n.key);
        let mut st = s.serialize_struct("Node", 8)?;
        field(&mut st, "key", &key, !key.is_empty())?;
        field(&mut st, "value", &n.value, n.value.is_some())?;
        field(&mut st, "dir", &n.dir, n.dir)?;
        field(&mut st, "expiration", &n.expiration, n.expiration.is_some())?;
        field(&mut st, "ttl", &n.ttl, n.ttl != 0)?;
        let children = Children {
            nodes: &n.nodes,
            prefix: self.prefix,
        };
        field(&mut st, "nodes", &children, !n.nodes.is_empty())?;
        let (modified, created) = (n.modified_index, n.created_index);
        field(&mut st, "modifiedIndex", &modified, modified != 0)?;
        field(&mut st, "createdIndex", &created, created != 0)?;
        st.end()
    }
}

/// Writes `value` as field `name` when `present`, else skips the field.
fn field<S: SerializeStruct, T: Serialize + ?Sized>(
    st: &mut S,
    name: &'static str,
    value: &T,
    present: bool,
) -> Result<(), S::Error> {
    if present {
        st.serialize_field(name, value)
    } else {
        st.skip_field(name)
    }
}

/// A directory's children, each trimmed.
struct Children<'a> {
    nodes: &'a [Node],
    prefix: &'a str,
}

impl Serialize for Children<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.nodes.len()))?;
        for node in self.nodes {
            seq.serialize_element(&TrimmedNode::new(node, self.prefix))?;
        }
        seq.end()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TrimmedNode::new(self, "").serialize(s)
    }
}

/// A [`KeyResponse`] over borrowed, trimmed nodes: encoded as the owned
/// answer with the same nodes trimmed would be.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrimmedResponse<'a> {
    /// What the server did.
    pub action: Action,
    /// Omitted only when the request asked for `noValueOnSuccess`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<TrimmedNode<'a>>,
    /// The node as it was before this change, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_node: Option<TrimmedNode<'a>>,
}

impl Serialize for KeyResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let whole = |n| TrimmedNode::new(n, "");
        TrimmedResponse {
            action: self.action,
            node: self.node.as_ref().map(whole),
            prev_node: self.prev_node.as_ref().map(whole),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    pub(super) fn node(key: &str) -> Node {
        Node {
            key: key.to_owned(),
            value: Some("v\"<é>".to_owned()),
            modified_index: 7,
            created_index: 3,
            ..Node::default()
        }
    }

    /// What the views must write: a copy with the prefix cut off by hand.
    fn trimmed_copy(n: &Node, prefix: &str) -> Node {
        let mut c = n.clone();
        if let Some(rest) = c.key.strip_prefix(prefix) {
            c.key = rest.to_owned();
        }
        c.nodes = n.nodes.iter().map(|k| trimmed_copy(k, prefix)).collect();
        c
    }

    pub(super) fn every_shape() -> Vec<Node> {
        let mut dir = Node {
            key: "/1/dir".into(),
            dir: true,
            expiration: Some("2026-11-22T05:00:00.5Z".into()),
            ttl: 5,
            modified_index: 9,
            created_index: 9,
            ..Node::default()
        };
        let mut inner = Node {
            key: "/1/dir/sub".into(),
            dir: true,
            ..Node::default()
        };
        inner.nodes = vec![node("/1/dir/sub/a")];
        dir.nodes = vec![node("/1/dir/b"), inner, node("/elsewhere")];
        let root = Node {
            key: "/1".into(),
            dir: true,
            nodes: vec![node("/1/x")],
            ..Node::default()
        };
        let negative_ttl = Node {
            ttl: -1,
            ..node("/1/expired")
        };
        vec![
            node("/1/foo"),
            dir,
            root,
            negative_ttl,
            node("/1"),
            node("/2/users"),
            node(""),
            Node::default(),
        ]
    }

    #[test]
    fn a_trimmed_node_encodes_as_a_trimmed_copy_does() {
        for n in every_shape() {
            for prefix in ["/1", "", "/1/dir"] {
                assert_eq!(
                    String::from_utf8(json::to_vec(&TrimmedNode::new(&n, prefix))).unwrap(),
                    String::from_utf8(json::to_vec(&trimmed_copy(&n, prefix))).unwrap(),
                    "{n:?} without {prefix:?}"
                );
            }
        }
    }

    #[test]
    fn a_trimmed_response_encodes_as_the_owned_answer_does() {
        let (n, prev) = (node("/1/a"), node("/1/a"));
        for (with_node, with_prev) in [(true, true), (true, false), (false, false)] {
            let view = TrimmedResponse {
                action: Action::CompareAndSwap,
                node: with_node.then(|| TrimmedNode::new(&n, "/1")),
                prev_node: with_prev.then(|| TrimmedNode::new(&prev, "/1")),
            };
            let owned = KeyResponse {
                action: Action::CompareAndSwap,
                node: with_node.then(|| trimmed_copy(&n, "/1")),
                prev_node: with_prev.then(|| trimmed_copy(&prev, "/1")),
            };
            assert_eq!(json::to_vec(&view), json::to_vec(&owned));
        }
    }
}
