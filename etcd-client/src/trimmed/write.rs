//! [`TrimmedResponse::write_json`]: the bytes of the serde encoding, written
//! directly. Every key answer and watch event a server sends goes through
//! it, and serde's string writer looks at each byte of a value on its own;
//! here a value with nothing to escape (nearly all of them) is found out by
//! one pass the compiler vectorizes and copied whole. A string that needs
//! any escape is written by [`json::write`], so the escapes stay those of
//! [`json::GoFormatter`] in one place.

use super::{TrimmedNode, TrimmedResponse};
use crate::json;

impl TrimmedResponse<'_> {
    /// Appends this answer encoded as [`json::write`] encodes it (the same
    /// bytes; no trailing newline).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"action\":\"");
        out.extend_from_slice(self.action.as_str().as_bytes());
        out.push(b'"');
        if let Some(node) = &self.node {
            out.extend_from_slice(b",\"node\":");
            node.write_json(out);
        }
        if let Some(prev) = &self.prev_node {
            out.extend_from_slice(b",\"prevNode\":");
            prev.write_json(out);
        }
        out.push(b'}');
    }
}

impl TrimmedNode<'_> {
    /// The fields, their order and the omit-when-empty rules of the
    /// `Serialize` impl.
    fn write_json(&self, out: &mut Vec<u8>) {
        let n = self.node;
        let key = n.key.strip_prefix(self.prefix).unwrap_or(&n.key);
        let mut fields = Fields { out, first: true };
        if !key.is_empty() {
            write_str(fields.name("key"), key);
        }
        if let Some(value) = &n.value {
            write_str(fields.name("value"), value);
        }
        if n.dir {
            fields.name("dir").extend_from_slice(b"true");
        }
        if let Some(expiration) = &n.expiration {
            write_str(fields.name("expiration"), expiration);
        }
        if n.ttl != 0 {
            write_int(fields.name("ttl"), n.ttl);
        }
        if !n.nodes.is_empty() {
            let out = fields.name("nodes");
            out.push(b'[');
            for (i, child) in n.nodes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                TrimmedNode::new(child, self.prefix).write_json(out);
            }
            out.push(b']');
        }
        if n.modified_index != 0 {
            write_int(fields.name("modifiedIndex"), n.modified_index);
        }
        if n.created_index != 0 {
            write_int(fields.name("createdIndex"), n.created_index);
        }
        let Fields { out, first } = fields;
        if first {
            out.push(b'{');
        }
        out.push(b'}');
    }
}

/// An object's fields being written: the opening brace goes out with the
/// first field's name.
struct Fields<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl Fields<'_> {
    /// Writes the separator and `"name":`, and gives the buffer for the value.
    fn name(&mut self, name: &str) -> &mut Vec<u8> {
        self.out.push(if self.first { b'{' } else { b',' });
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }
}

/// Whether `b` is written as itself inside a JSON string by
/// [`json::GoFormatter`]: not a control character, quote or backslash, not
/// one of Go's `<`, `>`, `&`, and not the first byte of U+2028, U+2029 or an
/// invalid-byte mark (0xE2 and 0xF4 are sent to the careful writer whatever
/// follows them).
fn plain(b: u8) -> bool {
    b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xE2 | 0xF4)
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // No short cut on the first special byte: the branch-free form is the
    // one the compiler vectorizes.
    if bytes.iter().fold(true, |all, &b| all & plain(b)) {
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        json::write(out, s);
    }
}

fn write_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::super::tests::{every_shape, node};
    use super::*;
    use crate::types::{Action, Node};

    fn both(r: &TrimmedResponse) -> (String, String) {
        let mut direct = Vec::new();
        r.write_json(&mut direct);
        let by_serde = json::to_vec(r);
        (
            String::from_utf8(direct).unwrap(),
            String::from_utf8(by_serde).unwrap(),
        )
    }

    #[test]
    fn every_shape_is_written_as_serde_writes_it() {
        let shapes = every_shape();
        for n in &shapes {
            for prev in [None, Some(&shapes[0])] {
                for prefix in ["/1", "", "/1/dir"] {
                    let r = TrimmedResponse {
                        action: Action::Expire,
                        node: Some(TrimmedNode::new(n, prefix)),
                        prev_node: prev.map(|p| TrimmedNode::new(p, prefix)),
                    };
                    let (direct, by_serde) = both(&r);
                    assert_eq!(direct, by_serde, "{n:?} without {prefix:?}");
                }
            }
        }
        let quiet = TrimmedResponse {
            action: Action::CompareAndDelete,
            node: None,
            prev_node: None,
        };
        let (direct, by_serde) = both(&quiet);
        assert_eq!(direct, by_serde);
    }

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        // Every class of byte the plain test tells apart, with neighbours
        // that share a first byte with an escaped character.
        let marks = json::lossy(b"\x80\xff").into_owned();
        let pieces = [
            "a",
            "\"",
            "\\",
            "/",
            "<",
            ">",
            "&",
            "\n",
            "\r",
            "\t",
            "\u{8}",
            "\u{c}",
            "\u{1}",
            "\u{1f}",
            "\u{7f}",
            " ",
            "\u{2028}",
            "\u{2029}",
            "\u{2027}",
            "€",
            "\u{fffd}",
            "\u{10ffff}",
            "\u{10ff7f}",
            "😀",
            &marks,
        ];
        for a in pieces {
            for b in pieces {
                for c in ["", "x", "<", "\u{2029}"] {
                    let text = format!("{a}{b}{c}");
                    let n = Node {
                        value: Some(text.clone()),
                        expiration: Some(text.clone()),
                        ..node(&format!("/1/{text}"))
                    };
                    let r = TrimmedResponse {
                        action: Action::Set,
                        node: Some(TrimmedNode::new(&n, "/1")),
                        prev_node: None,
                    };
                    let (direct, by_serde) = both(&r);
                    assert_eq!(direct, by_serde, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn numbers_are_written_whole() {
        for (ttl, index) in [(1, 1), (-1, 10), (i64::MIN, u64::MAX), (i64::MAX, 1 << 40)] {
            let n = Node {
                ttl,
                modified_index: index,
                created_index: index / 3,
                ..node("/1/n")
            };
            let r = TrimmedResponse {
                action: Action::Update,
                node: Some(TrimmedNode::new(&n, "/1")),
                prev_node: None,
            };
            let (direct, by_serde) = both(&r);
            assert_eq!(direct, by_serde);
        }
    }
}
