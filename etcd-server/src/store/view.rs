//! Rendering nodes as the reference shows them (`node`, `prevNode`, listings).

use super::node::Node;
use super::path::{is_hidden_name, join};
use etcd_client::json::lossy;
use etcd_client::time::{format_rfc3339_nano, remaining_ttl};
use etcd_client::Node as NodeView;

/// `expiration` and `ttl` of a node at `now` (none for permanent nodes).
pub fn expiration_fields(expire: i64, now: i64) -> (Option<String>, i64) {
    if expire == 0 {
        (None, 0)
    } else {
        (
            Some(format_rfc3339_nano(expire)),
            remaining_ttl(expire, now),
        )
    }
}

fn base(node: &Node, key: &str, now: i64) -> NodeView {
    let (expiration, ttl) = expiration_fields(node.expire, now);
    let mut view = NodeView {
        key: key.to_owned(),
        value: None,
        dir: node.is_dir(),
        expiration,
        ttl,
        nodes: Vec::new(),
        modified_index: node.modified,
        created_index: node.created,
    };
    if !node.is_dir() {
        view.value = Some(lossy(node.value()).into_owned());
    }
    view
}

/// The reference's `Repr`: a file with its value; a directory with its
/// visible children only when `recursive`.
pub fn repr(node: &Node, key: &str, recursive: bool, sorted: bool, now: i64) -> NodeView {
    let mut view = base(node, key, now);
    if recursive {
        view.nodes = children(node, key, true, sorted, now);
    }
    view
}

/// The node of a `get` answer: a directory always lists its visible children
/// (each rendered with [`repr`], so sub-directories only expand when
/// `recursive`).
pub fn load(node: &Node, key: &str, recursive: bool, sorted: bool, now: i64) -> NodeView {
    let mut view = base(node, key, now);
    view.nodes = children(node, key, recursive, sorted, now);
    view
}

fn children(node: &Node, key: &str, recursive: bool, sorted: bool, now: i64) -> Vec<NodeView> {
    let Some(kids) = node.children() else {
        return Vec::new();
    };
    let render = |c: &Node| repr(c, &join(key, c.name()), recursive, sorted, now);
    let visible = |c: &&Node| !is_hidden_name(c.name());
    if sorted {
        kids.sorted()
            .into_iter()
            .filter(visible)
            .map(render)
            .collect()
    } else {
        kids.iter().filter(visible).map(render).collect()
    }
}
