//! Printing key responses in the three output formats: simple, extended, json.

use std::io::Write;

use etcd_client::{Action, Node, Response};
use serde::Serialize;

/// The output format chosen with `-o`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// The value only.
    Simple,
    /// RFC 2822-like headers, then the value.
    Extended,
    /// The reference client library's response struct as JSON.
    Json,
    /// Anything else: reported on stderr after the request is made.
    Unsupported(String),
}

impl Format {
    /// Parses the `-o` value (never fails: unknown values are reported later).
    pub fn parse(s: &str) -> Format {
        match s {
            "simple" => Format::Simple,
            "extended" => Format::Extended,
            "json" => Format::Json,
            other => Format::Unsupported(other.to_owned()),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A node as the reference client library encodes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GoNode<'a> {
    key: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    dir: bool,
    value: &'a str,
    nodes: Option<Vec<GoNode<'a>>>,
    created_index: u64,
    modified_index: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<&'a str>,
    #[serde(skip_serializing_if = "is_zero")]
    ttl: i64,
}

impl<'a> GoNode<'a> {
    fn new(n: &'a Node) -> Self {
        GoNode {
            key: &n.key,
            dir: n.dir,
            value: n.value.as_deref().unwrap_or(""),
            nodes: (!n.nodes.is_empty()).then(|| n.nodes.iter().map(GoNode::new).collect()),
            created_index: n.created_index,
            modified_index: n.modified_index,
            expiration: n.expiration.as_deref(),
            ttl: n.ttl,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GoResponse<'a> {
    action: &'a str,
    node: GoNode<'a>,
    prev_node: Option<GoNode<'a>>,
}

/// The JSON line `-o json` prints for a response (without the newline).
pub fn json(resp: &Response) -> Vec<u8> {
    // The strings were decoded from the server's JSON: any U+FFFD is a
    // genuine character, which Go writes raw.
    etcd_client::json::to_vec_text(&GoResponse {
        action: resp.action.as_str(),
        node: GoNode::new(&resp.node),
        prev_node: resp.prev_node.as_ref().map(GoNode::new),
    })
}

fn value(n: &Node) -> &str {
    n.value.as_deref().unwrap_or("")
}

/// Prints a key response the way the reference's `printResponseKey` does.
/// An unsupported format prints `Unsupported output format: <f>` on stderr.
pub fn print_response(
    out: &mut dyn Write,
    err: &mut dyn Write,
    resp: &Response,
    format: &Format,
) -> std::io::Result<()> {
    match format {
        Format::Simple => {
            if resp.action != Action::Delete {
                writeln!(out, "{}", value(&resp.node))
            } else {
                let prev = resp.prev_node.as_ref().map(value).unwrap_or("");
                writeln!(out, "PrevNode.Value: {prev}")
            }
        }
        Format::Extended => {
            let n = &resp.node;
            let mut s = format!(
                "Key: {}\nCreated-Index: {}\nModified-Index: {}\n",
                n.key, n.created_index, n.modified_index
            );
            if let Some(prev) = &resp.prev_node {
                s.push_str(&format!("PrevNode.Value: {}\n", value(prev)));
            }
            s.push_str(&format!(
                "TTL: {}\nIndex: {}\n",
                n.ttl, resp.headers.etcd_index
            ));
            if resp.action != Action::Delete {
                s.push_str(&format!("\n{}\n", value(n)));
            }
            out.write_all(s.as_bytes())
        }
        Format::Json => {
            let mut line = json(resp);
            line.push(b'\n');
            out.write_all(&line)
        }
        Format::Unsupported(f) => writeln!(err, "Unsupported output format: {f}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcd_client::ResponseHeaders;

    fn resp(action: Action, node: Node, prev: Option<Node>) -> Response {
        Response {
            action,
            node,
            prev_node: prev,
            headers: ResponseHeaders {
                etcd_index: 1290,
                ..ResponseHeaders::default()
            },
        }
    }

    fn file(key: &str, v: &str, idx: u64) -> Node {
        Node {
            key: key.into(),
            value: Some(v.into()),
            created_index: idx,
            modified_index: idx,
            ..Node::default()
        }
    }

    fn render(r: &Response, f: Format) -> String {
        let mut out = Vec::new();
        let mut err = Vec::new();
        print_response(&mut out, &mut err, r, &f).unwrap();
        String::from_utf8(out).unwrap() + &String::from_utf8(err).unwrap()
    }

    #[test]
    fn formats_match_the_reference() {
        let r = resp(Action::Get, file("/ctl/a", "v", 1287), None);
        assert_eq!(render(&r, Format::Simple), "v\n");
        assert_eq!(
            render(&r, Format::Extended),
            "Key: /ctl/a\nCreated-Index: 1287\nModified-Index: 1287\nTTL: 0\nIndex: 1290\n\nv\n"
        );
        assert_eq!(
            render(&r, Format::Json),
            "{\"action\":\"get\",\"node\":{\"key\":\"/ctl/a\",\"value\":\"v\",\"nodes\":null,\"createdIndex\":1287,\"modifiedIndex\":1287},\"prevNode\":null}\n"
        );
        let deleted = Node {
            value: None,
            ..file("/ctl/a", "", 1291)
        };
        let d = resp(Action::Delete, deleted, Some(file("/ctl/a", "old", 1287)));
        assert_eq!(render(&d, Format::Simple), "PrevNode.Value: old\n");
        assert_eq!(
            render(&d, Format::Extended),
            "Key: /ctl/a\nCreated-Index: 1291\nModified-Index: 1291\nPrevNode.Value: old\nTTL: 0\nIndex: 1290\n"
        );
        assert_eq!(
            render(&r, Format::Unsupported("yaml".into())),
            "Unsupported output format: yaml\n"
        );
    }

    #[test]
    fn json_nests_children_and_escapes_like_go() {
        let mut dir = Node {
            key: "/d".into(),
            dir: true,
            created_index: 5,
            modified_index: 5,
            ..Node::default()
        };
        dir.nodes.push(Node {
            ttl: 9,
            expiration: Some("2026-11-21T05:29:12.098597275Z".into()),
            ..file("/d/<x>", "a&b", 6)
        });
        let r = resp(Action::Get, dir, None);
        assert_eq!(
            render(&r, Format::Json),
            "{\"action\":\"get\",\"node\":{\"key\":\"/d\",\"dir\":true,\"value\":\"\",\"nodes\":[{\"key\":\"/d/\\u003cx\\u003e\",\"value\":\"a\\u0026b\",\"nodes\":null,\"createdIndex\":6,\"modifiedIndex\":6,\"expiration\":\"2026-11-21T05:29:12.098597275Z\",\"ttl\":9}],\"createdIndex\":5,\"modifiedIndex\":5},\"prevNode\":null}\n"
        );
    }
}
