//! Helpers shared by the keys request tests: requests built from a query
//! string or a form body, and the reference's JSON error bodies.

use super::*;

pub(super) const FORM: Option<&str> = Some(FORM_MEDIA_TYPE);

fn json(e: &Error) -> String {
    String::from_utf8(etcd_client::json::to_vec(&e.to_body(KEYS_PREFIX))).unwrap()
}

/// A request with parameters only in the query string.
pub(super) fn query(method: Method, q: &str) -> Result<KeyRequest, Error> {
    parse(method, "/foo".to_owned(), Some(q), None, b"")
}

/// A request with a form body (curl's default Content-Type for `-d`).
pub(super) fn form(method: Method, q: Option<&str>, body: &str) -> Result<KeyRequest, Error> {
    parse(method, "/foo".to_owned(), q, FORM, body.as_bytes())
}

pub(super) fn err(r: Result<KeyRequest, Error>) -> String {
    json(&r.expect_err("expected a parameter error"))
}

pub(super) fn ok(r: Result<KeyRequest, Error>) -> KeyRequest {
    r.unwrap_or_else(|e| panic!("unexpected error {}", json(&e)))
}

pub(super) fn cmd(r: Result<KeyRequest, Error>) -> Command {
    ok(r).command(42).expect("a write").command
}

pub(super) const E201: &str = r#"{"errorCode":201,"message":"PrevValue is Required in POST form","cause":"\"prevValue\" cannot be empty","index":0}"#;
pub(super) const E202: &str = r#"{"errorCode":202,"message":"The given TTL in POST form is not a number","cause":"invalid value for \"ttl\"","index":0}"#;
pub(super) const E203_PREV: &str = r#"{"errorCode":203,"message":"The given index in POST form is not a number","cause":"invalid value for \"prevIndex\"","index":0}"#;
pub(super) const E203_WAIT: &str = r#"{"errorCode":203,"message":"The given index in POST form is not a number","cause":"invalid value for \"waitIndex\"","index":0}"#;
pub(super) const E209_WAIT_GET: &str = r#"{"errorCode":209,"message":"Invalid field","cause":"\"wait\" can only be used with GET requests","index":0}"#;
pub(super) const E210_LARGE: &str =
    r#"{"errorCode":210,"message":"Invalid POST form","cause":"http: POST too large","index":0}"#;
pub(super) const E211: &str = r#"{"errorCode":211,"message":"Value provided on refresh","cause":"A value was provided on a refresh","index":0}"#;
pub(super) const E212: &str = r#"{"errorCode":212,"message":"A TTL must be provided on refresh","cause":"No TTL value set","index":0}"#;

pub(super) fn e209(field: &str) -> String {
    format!(
        r#"{{"errorCode":209,"message":"Invalid field","cause":"invalid value for \"{field}\"","index":0}}"#
    )
}

pub(super) fn e209_unquoted(field: &str) -> String {
    format!(
        r#"{{"errorCode":209,"message":"Invalid field","cause":"invalid value for {field}","index":0}}"#
    )
}

pub(super) fn e210(cause: &str) -> String {
    format!(r#"{{"errorCode":210,"message":"Invalid POST form","cause":{cause},"index":0}}"#)
}
