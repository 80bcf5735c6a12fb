//! Keys API cases decided by the store, from spec keys-api.md (transcripts are
//! replayed with indexes renumbered from a fresh store, first user write = 4).

use super::testkit::Harness;

#[test]
fn set_get_replace() {
    let mut h = Harness::new();
    h.expect("PUT", "/message", "value=Hello world", 201,
        r#"{"action":"set","node":{"key":"/message","value":"Hello world","modifiedIndex":4,"createdIndex":4}}"#);
    h.expect("PUT", "/message", "value=Hello etcd", 200,
        r#"{"action":"set","node":{"key":"/message","value":"Hello etcd","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/message","value":"Hello world","modifiedIndex":4,"createdIndex":4}}"#);
    h.expect("GET", "/message", "", 200,
        r#"{"action":"get","node":{"key":"/message","value":"Hello etcd","modifiedIndex":5,"createdIndex":5}}"#);
    h.expect(
        "GET",
        "/missing/deeper",
        "",
        404,
        r#"{"errorCode":100,"message":"Key not found","cause":"/missing","index":5}"#,
    );
    h.expect("GET", "", "", 200,
        r#"{"action":"get","node":{"dir":true,"nodes":[{"key":"/message","value":"Hello etcd","modifiedIndex":5,"createdIndex":5}]}}"#);
}
