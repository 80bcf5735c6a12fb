//! The JSON export format of `etcdctl export` / `etcdctl import` (an
//! extension; the reference has neither):
//!
//! ```json
//! {
//!   "format": "etcd-v2-export/1",
//!   "etcdIndex": 128,
//!   "root": "/config",
//!   "nodes": [
//! {"key":"/config/app","dir":true},
//! {"key":"/config/app/port","value":"8080"},
//! {"key":"/config/lock","value":"me","ttl":25}
//!   ]
//! }
//! ```
//!
//! `nodes` lists every directory and key under `root` (the root itself when
//! it is not `/`), parents before children, sorted by key. `ttl` is the
//! remaining time to live in seconds when the export was taken. Indexes are
//! not kept: an import writes with the target cluster's indexes. Hidden
//! nodes (names starting with `_`) are not listed by the keys API and so are
//! not exported.

use etcd_client::Node;
use serde::{Deserialize, Serialize};

/// The `format` value of this version.
pub const FORMAT: &str = "etcd-v2-export/1";

/// One export file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Export {
    /// [`FORMAT`].
    pub format: String,
    /// The cluster's index when the export was taken.
    pub etcd_index: u64,
    /// The exported subtree.
    pub root: String,
    /// Its directories and keys, parents first.
    pub nodes: Vec<Entry>,
}

/// One directory or key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The full key.
    pub key: String,
    /// The value (keys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A directory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
    /// Remaining seconds to live, for nodes with a TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
}

/// Flattens a recursive get's node into entries, parents before children,
/// in the listing's order (`etcdctl export` asks for sorted listings); the
/// root `/` itself is left out.
pub fn flatten(node: &Node, out: &mut Vec<Entry>) {
    if node.key != "/" && !node.key.is_empty() {
        out.push(Entry {
            key: node.key.clone(),
            value: if node.dir { None } else { node.value.clone() },
            dir: node.dir,
            ttl: node.expiration.as_ref().map(|_| node.ttl),
        });
    }
    for child in &node.nodes {
        flatten(child, out);
    }
}

/// Writes `export` as JSON, one node per line.
pub fn write(export: &Export, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(w, "{{")?;
    writeln!(w, "  \"format\": {},", json(&export.format))?;
    writeln!(w, "  \"etcdIndex\": {},", export.etcd_index)?;
    writeln!(w, "  \"root\": {},", json(&export.root))?;
    write!(w, "  \"nodes\": [")?;
    for (i, e) in export.nodes.iter().enumerate() {
        let sep = if i == 0 { "\n" } else { ",\n" };
        write!(w, "{sep}{}", json(e))?;
    }
    if !export.nodes.is_empty() {
        writeln!(w)?;
        write!(w, "  ")?;
    }
    writeln!(w, "]")?;
    writeln!(w, "}}")
}

/// Compact JSON of a plain value (strings and entries cannot fail).
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Reads and checks an export file.
pub fn parse(text: &str) -> Result<Export, String> {
    let export: Export =
        serde_json::from_str(text).map_err(|e| format!("not an export file: {e}"))?;
    if export.format != FORMAT {
        return Err(format!(
            "unsupported export format {:?} (expected {FORMAT:?})",
            export.format
        ));
    }
    for e in &export.nodes {
        if !e.key.starts_with('/') {
            return Err(format!("key {:?} does not start with /", e.key));
        }
        if e.dir == e.value.is_some() {
            return Err(format!(
                "{}: a node is either a directory or has a value",
                e.key
            ));
        }
    }
    Ok(export)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: &str, value: Option<&str>, children: Vec<Node>) -> Node {
        Node {
            key: key.into(),
            value: value.map(str::to_owned),
            dir: value.is_none(),
            nodes: children,
            ..Node::default()
        }
    }

    #[test]
    fn flatten_lists_parents_first_and_round_trips() {
        let mut ttl = node("/a/t", Some("x"), vec![]);
        ttl.expiration = Some("2030-01-01T00:00:00Z".into());
        ttl.ttl = 42;
        let tree = node(
            "/",
            None,
            vec![
                node("/a", None, vec![node("/a/e", None, vec![]), ttl]),
                node("/b", Some("2"), vec![]),
            ],
        );
        let mut nodes = Vec::new();
        flatten(&tree, &mut nodes);
        let keys: Vec<&str> = nodes.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["/a", "/a/e", "/a/t", "/b"]);
        assert_eq!(nodes[2].ttl, Some(42));
        assert_eq!(nodes[3].ttl, None);
        let export = Export {
            format: FORMAT.into(),
            etcd_index: 9,
            root: "/".into(),
            nodes,
        };
        let mut buf = Vec::new();
        write(&export, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.lines().count(), 11, "{text}");
        assert_eq!(parse(&text).unwrap(), export);
    }

    #[test]
    fn parse_refuses_what_it_cannot_import() {
        assert!(parse("{}").unwrap_err().starts_with("not an export file"));
        let other = r#"{"format":"x","etcdIndex":1,"root":"/","nodes":[]}"#;
        assert!(parse(other)
            .unwrap_err()
            .contains("unsupported export format"));
        let both = r#"{"format":"etcd-v2-export/1","etcdIndex":1,"root":"/","nodes":[{"key":"/a","dir":true,"value":"v"}]}"#;
        assert!(parse(both).unwrap_err().contains("either a directory"));
        let rel = r#"{"format":"etcd-v2-export/1","etcdIndex":1,"root":"/","nodes":[{"key":"a","value":"v"}]}"#;
        assert!(parse(rel).unwrap_err().contains("does not start with /"));
        let empty = r#"{"format":"etcd-v2-export/1","etcdIndex":1,"root":"/","nodes":[]}"#;
        let mut buf = Vec::new();
        write(&parse(empty).unwrap(), &mut buf).unwrap();
        assert_eq!(
            parse(std::str::from_utf8(&buf).unwrap())
                .unwrap()
                .nodes
                .len(),
            0
        );
    }
}
