//! Wire types of the v2 keys API, shaped exactly like the reference's JSON.
//!
//! Field names, field order and the omit-when-empty rules follow what etcd 3.4.23
//! sends (`../shared/spec/keys-api.md` §3): encode them with
//! [`crate::json::to_vec`] to get the reference's bytes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One node of the key space: a key with a value, or a directory.
///
/// The root directory has no key and no indexes, so both are omitted when empty,
/// as the reference does.
///
/// It is encoded through [`crate::trimmed::TrimmedNode`] (the rules below
/// are written out there); the attributes here are for decoding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Node {
    /// Absolute key, e.g. `/foo/bar`; empty for the root.
    pub key: String,
    /// The value of a key; `None` for directories and for the node of delete,
    /// compare-and-delete and expire events.
    pub value: Option<String>,
    /// Whether this node is a directory.
    pub dir: bool,
    /// Expiration time (RFC 3339, nanoseconds, trailing zeros trimmed) of a node
    /// with a TTL.
    pub expiration: Option<String>,
    /// Remaining seconds until expiration, rounded up; omitted when 0.
    pub ttl: i64,
    /// Children of a listed directory; omitted when there are none.
    pub nodes: Vec<Node>,
    /// Index of the last change of this node.
    pub modified_index: u64,
    /// Index of the change that created this node.
    pub created_index: u64,
}

/// The action of a key response or watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// A read.
    Get,
    /// A write that created or replaced a key.
    Set,
    /// A create (`prevExist=false` or in-order).
    Create,
    /// A write to an existing key (`prevExist=true`).
    Update,
    /// A delete.
    Delete,
    /// A write whose comparison succeeded.
    CompareAndSwap,
    /// A delete whose comparison succeeded.
    CompareAndDelete,
    /// A key or directory whose TTL ran out.
    Expire,
}

impl Action {
    /// The action's name on the wire (`compareAndSwap`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Get => "get",
            Action::Set => "set",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::CompareAndSwap => "compareAndSwap",
            Action::CompareAndDelete => "compareAndDelete",
            Action::Expire => "expire",
        }
    }

    /// Whether the action removes the node (its event node carries no value).
    pub fn is_removal(self) -> bool {
        matches!(
            self,
            Action::Delete | Action::CompareAndDelete | Action::Expire
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of a successful `/v2/keys` answer, and of a watch event.
///
/// Encoded as a [`crate::trimmed::TrimmedResponse`] of its nodes with nothing
/// trimmed; the attributes here are for decoding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyResponse {
    /// What the server did.
    pub action: Action,
    /// Omitted only when the request asked for `noValueOnSuccess`.
    #[serde(default)]
    pub node: Option<Node>,
    /// The node as it was before this change, when there was one.
    #[serde(default)]
    pub prev_node: Option<Node>,
}

/// An etcd v2 error number (`errorCode` on the wire).
///
/// Unknown numbers are kept as they are, so a newer server's errors still decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// `100`: Key not found.
    pub const KEY_NOT_FOUND: ErrorCode = ErrorCode(100);
    /// `101`: Compare failed.
    pub const TEST_FAILED: ErrorCode = ErrorCode(101);
    /// `102`: Not a file.
    pub const NOT_FILE: ErrorCode = ErrorCode(102);
    /// `103`: Reached the max number of peers in the cluster.
    pub const NO_MORE_PEER: ErrorCode = ErrorCode(103);
    /// `104`: Not a directory.
    pub const NOT_DIR: ErrorCode = ErrorCode(104);
    /// `105`: Key already exists.
    pub const NODE_EXIST: ErrorCode = ErrorCode(105);
    /// `106`: The prefix of given key is a keyword in etcd.
    pub const KEY_IS_PRESERVED: ErrorCode = ErrorCode(106);
    /// `107`: Root is read only.
    pub const ROOT_READ_ONLY: ErrorCode = ErrorCode(107);
    /// `108`: Directory not empty.
    pub const DIR_NOT_EMPTY: ErrorCode = ErrorCode(108);
    /// `109`: Peer address has existed.
    pub const EXISTING_PEER_ADDR: ErrorCode = ErrorCode(109);
    /// `110`: The request requires user authentication.
    pub const UNAUTHORIZED: ErrorCode = ErrorCode(110);
    /// `200`: Value is Required in POST form.
    pub const VALUE_REQUIRED: ErrorCode = ErrorCode(200);
    /// `201`: PrevValue is Required in POST form.
    pub const PREV_VALUE_REQUIRED: ErrorCode = ErrorCode(201);
    /// `202`: The given TTL in POST form is not a number.
    pub const TTL_NAN: ErrorCode = ErrorCode(202);
    /// `203`: The given index in POST form is not a number.
    pub const INDEX_NAN: ErrorCode = ErrorCode(203);
    /// `204`: Value or TTL is required in POST form.
    pub const VALUE_OR_TTL_REQUIRED: ErrorCode = ErrorCode(204);
    /// `205`: The given timeout in POST form is not a number.
    pub const TIMEOUT_NAN: ErrorCode = ErrorCode(205);
    /// `206`: Name is required in POST form.
    pub const NAME_REQUIRED: ErrorCode = ErrorCode(206);
    /// `207`: Index or value is required.
    pub const INDEX_OR_VALUE_REQUIRED: ErrorCode = ErrorCode(207);
    /// `208`: Index and value cannot both be specified.
    pub const INDEX_VALUE_MUTEX: ErrorCode = ErrorCode(208);
    /// `209`: Invalid field.
    pub const INVALID_FIELD: ErrorCode = ErrorCode(209);
    /// `210`: Invalid POST form.
    pub const INVALID_FORM: ErrorCode = ErrorCode(210);
    /// `211`: Value provided on refresh.
    pub const REFRESH_VALUE: ErrorCode = ErrorCode(211);
    /// `212`: A TTL must be provided on refresh.
    pub const REFRESH_TTL_REQUIRED: ErrorCode = ErrorCode(212);
    /// `300`: Raft Internal Error.
    pub const RAFT_INTERNAL: ErrorCode = ErrorCode(300);
    /// `301`: During Leader Election.
    pub const LEADER_ELECT: ErrorCode = ErrorCode(301);
    /// `400`: watcher is cleared due to etcd recovery.
    pub const WATCHER_CLEARED: ErrorCode = ErrorCode(400);
    /// `401`: The event in requested index is outdated and cleared.
    pub const EVENT_INDEX_CLEARED: ErrorCode = ErrorCode(401);

    /// The reference's message for this number (empty for unknown numbers).
    pub fn message(self) -> &'static str {
        match self.0 {
            100 => "Key not found",
            101 => "Compare failed",
            102 => "Not a file",
            103 => "Reached the max number of peers in the cluster",
            104 => "Not a directory",
            105 => "Key already exists",
            106 => "The prefix of given key is a keyword in etcd",
            107 => "Root is read only",
            108 => "Directory not empty",
            109 => "Peer address has existed",
            110 => "The request requires user authentication",
            200 => "Value is Required in POST form",
            201 => "PrevValue is Required in POST form",
            202 => "The given TTL in POST form is not a number",
            203 => "The given index in POST form is not a number",
            204 => "Value or TTL is required in POST form",
            205 => "The given timeout in POST form is not a number",
            206 => "Name is required in POST form",
            207 => "Index or value is required",
            208 => "Index and value cannot both be specified",
            209 => "Invalid field",
            210 => "Invalid POST form",
            211 => "Value provided on refresh",
            212 => "A TTL must be provided on refresh",
            300 => "Raft Internal Error",
            301 => "During Leader Election",
            400 => "watcher is cleared due to etcd recovery",
            401 => "The event in requested index is outdated and cleared",
            _ => "",
        }
    }

    /// The HTTP status the reference answers this error with. Everything not
    /// listed is 400, including 401 (history cleared).
    pub fn http_status(self) -> u16 {
        match self.0 {
            100 => 404,
            101 | 105 => 412,
            102 | 108 => 403,
            110 => 401,
            300 | 301 => 500,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The JSON body of a keys API error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The etcd error number.
    pub error_code: ErrorCode,
    /// The reference's message for the number.
    pub message: String,
    /// What the error is about (usually the key); omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cause: String,
    /// The store index when the error happened.
    pub index: u64,
}

impl ErrorBody {
    /// An error body with the reference's message for `code`.
    pub fn new(code: ErrorCode, cause: impl Into<String>, index: u64) -> Self {
        ErrorBody {
            error_code: code,
            message: code.message().to_owned(),
            cause: cause.into(),
            index,
        }
    }
}

impl fmt::Display for ErrorBody {
    /// The way etcdctl prints it: `100: Key not found (/foo) [12]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({}) [{}]",
            self.error_code, self.message, self.cause, self.index
        )
    }
}

/// The counters of `/v2/stats/store`, in the reference's field order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreStats {
    /// Gets operations that succeeded.
    pub gets_success: u64,
    /// Gets operations that failed.
    pub gets_fail: u64,
    /// Sets operations that succeeded.
    pub sets_success: u64,
    /// Sets operations that failed.
    pub sets_fail: u64,
    /// Delete operations that succeeded.
    pub delete_success: u64,
    /// Delete operations that failed.
    pub delete_fail: u64,
    /// Update operations that succeeded.
    pub update_success: u64,
    /// Update operations that failed.
    pub update_fail: u64,
    /// Create operations that succeeded.
    pub create_success: u64,
    /// Create operations that failed.
    pub create_fail: u64,
    /// Compare and swap operations that succeeded.
    pub compare_and_swap_success: u64,
    /// Compare and swap operations that failed.
    pub compare_and_swap_fail: u64,
    /// Compare and delete operations that succeeded.
    pub compare_and_delete_success: u64,
    /// Compare and delete operations that failed.
    pub compare_and_delete_fail: u64,
    /// Keys removed because their TTL ran out.
    pub expire_count: u64,
    /// Watchers currently registered.
    pub watchers: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn enc<T: Serialize>(v: &T) -> String {
        String::from_utf8(json::to_vec(v)).unwrap()
    }

    #[test]
    fn file_node_field_order() {
        let n = Node {
            key: "/foo".into(),
            value: Some("bar".into()),
            modified_index: 4,
            created_index: 4,
            ..Node::default()
        };
        assert_eq!(
            enc(&n),
            r#"{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}"#
        );
    }

    #[test]
    fn dir_node_with_ttl_and_children() {
        let child = Node {
            key: "/td/child".into(),
            value: Some("c".into()),
            modified_index: 22,
            created_index: 22,
            ..Node::default()
        };
        let n = Node {
            key: "/td".into(),
            dir: true,
            expiration: Some("2026-11-21T05:12:49.642360815Z".into()),
            ttl: 100,
            nodes: vec![child],
            modified_index: 21,
            created_index: 21,
            ..Node::default()
        };
        assert_eq!(
            enc(&n),
            r#"{"key":"/td","dir":true,"expiration":"2026-11-21T05:12:49.642360815Z","ttl":100,"nodes":[{"key":"/td/child","value":"c","modifiedIndex":22,"createdIndex":22}],"modifiedIndex":21,"createdIndex":21}"#
        );
    }

    #[test]
    fn root_node_has_no_key_or_indexes() {
        let n = Node {
            dir: true,
            ..Node::default()
        };
        assert_eq!(enc(&n), r#"{"dir":true}"#);
    }

    #[test]
    fn empty_value_is_kept() {
        let n = Node {
            key: "/novalue".into(),
            value: Some(String::new()),
            modified_index: 17,
            created_index: 17,
            ..Node::default()
        };
        assert_eq!(
            enc(&n),
            r#"{"key":"/novalue","value":"","modifiedIndex":17,"createdIndex":17}"#
        );
    }

    #[test]
    fn response_omits_missing_nodes() {
        let r = KeyResponse {
            action: Action::Set,
            node: None,
            prev_node: None,
        };
        assert_eq!(enc(&r), r#"{"action":"set"}"#);
        let r = KeyResponse {
            action: Action::CompareAndDelete,
            node: Some(Node {
                key: "/k".into(),
                modified_index: 5,
                created_index: 4,
                ..Node::default()
            }),
            prev_node: Some(Node {
                key: "/k".into(),
                value: Some("x".into()),
                modified_index: 4,
                created_index: 4,
                ..Node::default()
            }),
        };
        assert_eq!(
            enc(&r),
            r#"{"action":"compareAndDelete","node":{"key":"/k","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/k","value":"x","modifiedIndex":4,"createdIndex":4}}"#
        );
    }

    #[test]
    fn error_body_shape() {
        let e = ErrorBody::new(ErrorCode::KEY_NOT_FOUND, "/missing", 6);
        assert_eq!(
            enc(&e),
            r#"{"errorCode":100,"message":"Key not found","cause":"/missing","index":6}"#
        );
        let e = ErrorBody::new(ErrorCode::NOT_FILE, "", 3);
        assert_eq!(
            enc(&e),
            r#"{"errorCode":102,"message":"Not a file","index":3}"#
        );
        assert_eq!(e.to_string(), "102: Not a file () [3]");
    }

    #[test]
    fn error_codes_status_table() {
        let cases = [
            (100, 404),
            (101, 412),
            (102, 403),
            (104, 400),
            (105, 412),
            (107, 400),
            (108, 403),
            (110, 401),
            (201, 400),
            (209, 400),
            (300, 500),
            (401, 400),
        ];
        for (code, status) in cases {
            assert_eq!(ErrorCode(code).http_status(), status, "code {code}");
            assert!(!ErrorCode(code).message().is_empty());
        }
    }

    #[test]
    fn decode_tolerates_unknown_fields_and_codes() {
        let e: ErrorBody =
            serde_json::from_str(r#"{"errorCode":999,"message":"x","index":1,"extra":true}"#)
                .unwrap();
        assert_eq!(e.error_code, ErrorCode(999));
        assert_eq!(e.cause, "");
        let r: KeyResponse = serde_json::from_str(
            r#"{"action":"expire","node":{"key":"/a","dir":true,"modifiedIndex":3,"createdIndex":2}}"#,
        )
        .unwrap();
        assert_eq!(r.action, Action::Expire);
        assert!(r.node.unwrap().dir);
    }

    #[test]
    fn store_stats_order() {
        let s = StoreStats {
            gets_success: 1,
            watchers: 2,
            ..StoreStats::default()
        };
        assert_eq!(
            enc(&s),
            r#"{"getsSuccess":1,"getsFail":0,"setsSuccess":0,"setsFail":0,"deleteSuccess":0,"deleteFail":0,"updateSuccess":0,"updateFail":0,"createSuccess":0,"createFail":0,"compareAndSwapSuccess":0,"compareAndSwapFail":0,"compareAndDeleteSuccess":0,"compareAndDeleteFail":0,"expireCount":0,"watchers":2}"#
        );
    }
}
