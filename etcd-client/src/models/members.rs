//! Wire types of `/v2/members`: members, the add/update body, and the `{"message"}` error body.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Decodes `null` as the type's default, as Go does for slices and strings.
///
/// Use with `#[serde(default, deserialize_with = "...")]` so that a missing field
/// also becomes the default. Shared by the models of this folder.
pub(super) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// One cluster member, as listed by `GET /v2/members` and answered by
/// `GET /v2/members/leader` and `POST /v2/members` (201).
///
/// Wire: `{"id":"<hex>","name":"..","peerURLs":[..],"clientURLs":[..]}`, in this order.
/// A member that was added but has not started yet has `"name":""` and
/// `"clientURLs":[]` (the reference sends `[]`, never `null`; both decode).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Member id: lower-case hex **without** zero padding (`2f49033e49f015e`).
    pub id: String,
    /// Member name; empty until the member has started and published itself.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// URLs the member listens on for raft traffic.
    #[serde(rename = "peerURLs", default, deserialize_with = "null_as_default")]
    pub peer_urls: Vec<String>,
    /// Advertised client URLs; empty until the member has started.
    #[serde(rename = "clientURLs", default, deserialize_with = "null_as_default")]
    pub client_urls: Vec<String>,
}

/// The body of `GET /v2/members`: `{"members":[..]}`, members in ascending id order
/// (string order of the unpadded hex ids, as observed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberList {
    /// All members, started or not.
    #[serde(default, deserialize_with = "null_as_default")]
    pub members: Vec<Member>,
}

/// The body of `POST /v2/members` (add a member): `{"peerURLs":["http://host:port",..]}`.
///
/// etcdctl sends exactly this (never `null`). The reference ignores other fields
/// (e.g. `name`) and answers `{}`, `{"peerURLs":null}` and `{"peerURLs":[]}` alike with
/// 400 `no valid URLs given`, so a missing or null list decodes as empty. The request
/// needs `Content-Type: application/json`, else 415.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCreateRequest {
    /// Peer URLs of the new member: scheme `http`, `https`, `unix` or `unixs`, no path.
    #[serde(rename = "peerURLs", default, deserialize_with = "null_as_default")]
    pub peer_urls: Vec<String>,
}

/// The body of `PUT /v2/members/<id>` (change peer URLs): the same shape as
/// [`MemberCreateRequest`], `{"peerURLs":[..]}`. Answered 204 with no body.
pub type MemberUpdateRequest = MemberCreateRequest;

/// The JSON error body of the members, stats and auth APIs: `{"message":"<text>"}`.
///
/// Sent with `Content-Type: application/json` and **no** trailing newline. The
/// statuses observed from etcd 3.4.23 (all with this JSON body unless noted):
///
/// | status | when (message) |
/// |---|---|
/// | 400 | members: bad body (Go's JSON decoder text verbatim, e.g. `unexpected end of JSON input`), `no valid URLs given`, `URL scheme must be http, https, unix, or unixs: <url>`, `URL must not contain a path: <url>`; auth: `Invalid JSON in request body.`, `User JSON name does not match the name in the URL`, `auth: Role not updated. ..`, .. |
/// | 401 | members (add/update/remove) and auth when auth is on: `Insufficient credentials` — **without** `X-Etcd-Cluster-Id` |
/// | 403 | `/v2/stats/leader` on a follower: `not current leader` (no `X-Etcd-Cluster-Id`); auth: `auth: Cannot modify role root: is root role.` |
/// | 404 | members: `No such member: <id as given>` (DELETE/PUT), `Not found` (GET `/v2/members/<id>`); auth: `auth: User <u> does not exist.` .. |
/// | 409 | members: `membership: peerURL exists`; auth: `auth: Role <r> already exists.`, `auth: already disabled` .. |
/// | 410 | members: `Member permanently removed: <id>` |
/// | 415 | members POST/PUT without JSON Content-Type: `Bad Content-Type <ct>, accept application/json` (`<ct>` empty when missing) |
/// | 500 | members: `Internal Server Error` (e.g. add while a member is unstarted) |
/// | 503 | `GET /v2/members/leader` without a leader: `During election` |
///
/// Not this shape: 405 from any of these routes is plain text `Method Not Allowed\n`
/// (`text/plain; charset=utf-8`, sometimes with `Allow`); unrouted paths answer 404
/// plain text `404 page not found\n`; `/health` answers 503 `{"health":"false"}\n`
/// as `text/plain` (see [`crate::models::Health`]). A keys-style
/// [`crate::types::ErrorBody`] also decodes as this type (unknown fields are
/// ignored), so try that one first when both are possible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpErrorBody {
    /// Human-readable error text; etcdctl prints it verbatim.
    pub message: String,
}

impl fmt::Display for HttpErrorBody {
    /// The message alone, the way etcdctl prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn enc<T: Serialize>(v: &T) -> String {
        String::from_utf8(json::to_vec(v)).unwrap()
    }

    const LIST_WITH_UNSTARTED: &str = r#"{"members":[{"id":"70a3c1decd07e820","name":"c2","peerURLs":["http://127.0.0.1:42375"],"clientURLs":["http://127.0.0.1:42374"]},{"id":"7f7ff1dcea53d227","name":"","peerURLs":["http://127.0.0.1:42379"],"clientURLs":[]},{"id":"a24c000d620e83d6","name":"c1","peerURLs":["http://127.0.0.1:42373"],"clientURLs":["http://127.0.0.1:42372"]},{"id":"c92c4c35a19fb462","name":"c3","peerURLs":["http://127.0.0.1:42377"],"clientURLs":["http://127.0.0.1:42376"]}]}"#;

    #[test]
    fn decode_member_list_with_unstarted_member() {
        let list: MemberList = serde_json::from_str(LIST_WITH_UNSTARTED).unwrap();
        assert_eq!(list.members.len(), 4);
        let c2 = &list.members[0];
        assert_eq!(c2.id, "70a3c1decd07e820");
        assert_eq!(c2.name, "c2");
        assert_eq!(c2.peer_urls, ["http://127.0.0.1:42375"]);
        assert_eq!(c2.client_urls, ["http://127.0.0.1:42374"]);
        let unstarted = &list.members[1];
        assert_eq!(unstarted.name, "");
        assert!(unstarted.client_urls.is_empty());
        // Re-encoding gives the reference's bytes back.
        assert_eq!(enc(&list), LIST_WITH_UNSTARTED);
    }

    #[test]
    fn member_field_order_and_empty_lists() {
        let m = Member {
            id: "e3119ab72007698b".into(),
            peer_urls: vec!["http://127.0.0.1:42390".into()],
            ..Member::default()
        };
        // The 201 body of POST /v2/members (the reference adds a trailing newline).
        assert_eq!(
            enc(&m),
            r#"{"id":"e3119ab72007698b","name":"","peerURLs":["http://127.0.0.1:42390"],"clientURLs":[]}"#
        );
    }

    #[test]
    fn decode_tolerates_null_and_missing_fields() {
        let m: Member = serde_json::from_str(
            r#"{"id":"2f49033e49f015e","peerURLs":["http://h:1"],"clientURLs":null}"#,
        )
        .unwrap();
        assert_eq!(m.id, "2f49033e49f015e");
        assert_eq!(m.name, "");
        assert!(m.client_urls.is_empty());
        let m: Member = serde_json::from_str(r#"{"id":"1","name":null,"peerURLs":null}"#).unwrap();
        assert_eq!((m.name.as_str(), m.peer_urls.len()), ("", 0));
        let l: MemberList = serde_json::from_str(r#"{"members":null}"#).unwrap();
        assert!(l.members.is_empty());
        assert!(serde_json::from_str::<Member>(r#"{"name":"x"}"#).is_err());
    }

    #[test]
    fn leader_body() {
        let m: Member = serde_json::from_str(
            r#"{"id":"d844dd3444b3f7f3","name":"n1","peerURLs":["http://127.0.0.1:42371"],"clientURLs":["http://127.0.0.1:42370"]}"#,
        )
        .unwrap();
        assert_eq!(m.id, "d844dd3444b3f7f3");
        assert_eq!(m.client_urls, ["http://127.0.0.1:42370"]);
    }

    #[test]
    fn create_and_update_request_bytes_match_etcdctl() {
        // etcdctl --debug member add r4 http://127.0.0.1:23804
        let add = MemberCreateRequest {
            peer_urls: vec!["http://127.0.0.1:23804".into()],
        };
        assert_eq!(enc(&add), r#"{"peerURLs":["http://127.0.0.1:23804"]}"#);
        // etcdctl --debug member update a2817b90c7ed4f80 http://127.0.0.1:23805
        let upd: MemberUpdateRequest = MemberCreateRequest {
            peer_urls: vec!["http://127.0.0.1:23805".into()],
        };
        assert_eq!(enc(&upd), r#"{"peerURLs":["http://127.0.0.1:23805"]}"#);
        let back: MemberUpdateRequest = serde_json::from_str(&enc(&upd)).unwrap();
        assert_eq!(back, upd);
    }

    #[test]
    fn create_request_decodes_what_the_server_must_reject() {
        for body in [r#"{}"#, r#"{"peerURLs":null}"#, r#"{"peerURLs":[]}"#] {
            let r: MemberCreateRequest = serde_json::from_str(body).unwrap();
            assert!(r.peer_urls.is_empty(), "{body}");
        }
        let r: MemberCreateRequest =
            serde_json::from_str(r#"{"peerURLs":["http://127.0.0.1:42391"],"name":"ignored?"}"#)
                .unwrap();
        assert_eq!(r.peer_urls, ["http://127.0.0.1:42391"]);
        // A string instead of a list is a 400 at the reference too.
        assert!(
            serde_json::from_str::<MemberCreateRequest>(r#"{"peerURLs":"http://h:1"}"#).is_err()
        );
    }

    #[test]
    fn error_bodies() {
        let cases = [
            r#"{"message":"membership: peerURL exists"}"#,
            r#"{"message":"No such member: 1234"}"#,
            r#"{"message":"Member permanently removed: e3119ab72007698b"}"#,
            r#"{"message":"no valid URLs given"}"#,
            r#"{"message":"Bad Content-Type , accept application/json"}"#,
            r#"{"message":"Internal Server Error"}"#,
            r#"{"message":"During election"}"#,
            r#"{"message":"not current leader"}"#,
        ];
        for body in cases {
            let e: HttpErrorBody = serde_json::from_str(body).unwrap();
            assert_eq!(enc(&e), body);
        }
        let e: HttpErrorBody =
            serde_json::from_str(r#"{"message":"membership: peerURL exists"}"#).unwrap();
        assert_eq!(e.message, "membership: peerURL exists");
        assert_eq!(e.to_string(), "membership: peerURL exists");
        // Go's HTML escaping applies to messages too.
        let e = HttpErrorBody {
            message: "URL must not contain a path: http://h:1/a&b".into(),
        };
        assert_eq!(
            enc(&e),
            r#"{"message":"URL must not contain a path: http://h:1/a\u0026b"}"#
        );
    }

    #[test]
    fn plain_text_bodies_are_not_error_bodies() {
        assert!(serde_json::from_str::<HttpErrorBody>("Method Not Allowed\n").is_err());
        assert!(serde_json::from_str::<HttpErrorBody>("404 page not found\n").is_err());
        assert!(serde_json::from_str::<HttpErrorBody>(r#"{"health":"false"}"#).is_err());
    }
}
