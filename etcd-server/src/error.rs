//! Errors of the v2 API: an etcd error number, its cause and the store index.
//!
//! The numbers, messages and HTTP statuses form one table, kept with the wire
//! types in [`etcd_client::ErrorCode`]; this type adds the cause and index that
//! the store (or the HTTP layer, for parameter errors) fills in.

use etcd_client::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An etcd v2 error: `{"errorCode":..,"message":..,"cause":..,"index":..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    pub code: ErrorCode,
    pub cause: String,
    /// The store index when the error happened (0 for parameter errors).
    pub index: u64,
}

impl Error {
    pub fn new(code: ErrorCode, cause: impl Into<String>, index: u64) -> Self {
        Error {
            code,
            cause: cause.into(),
            index,
        }
    }

    /// The reference's message for this error's number.
    pub fn message(&self) -> &'static str {
        self.code.message()
    }

    /// The HTTP status the reference answers this error with.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The JSON body, with `prefix` trimmed from the start of the cause (the
    /// keys API hides its `/1` namespace this way, like the reference).
    pub fn to_body(&self, prefix: &str) -> ErrorBody {
        let cause = self.cause.strip_prefix(prefix).unwrap_or(&self.cause);
        ErrorBody::new(self.code, cause, self.index)
    }
}

/// The keys API's parameter errors (checked before anything reaches the
/// store), with the reference's exact causes; all carry index 0
/// (spec keys-api.md §4.4).
impl Error {
    fn param(code: ErrorCode, cause: impl Into<String>) -> Self {
        Error::new(code, cause, 0)
    }

    /// 201: `prevValue=` given empty.
    pub fn prev_value_required() -> Self {
        Error::param(
            ErrorCode::PREV_VALUE_REQUIRED,
            "\"prevValue\" cannot be empty",
        )
    }

    /// 202: `ttl` is not an unsigned decimal.
    pub fn ttl_nan() -> Self {
        Error::param(ErrorCode::TTL_NAN, "invalid value for \"ttl\"")
    }

    /// 203: `prevIndex` or `waitIndex` is not an unsigned decimal.
    pub fn index_nan(field: &str) -> Self {
        Error::param(
            ErrorCode::INDEX_NAN,
            format!("invalid value for \"{field}\""),
        )
    }

    /// 209: a bad boolean. The reference quotes the field name except for
    /// `prevExist` and `refresh`.
    pub fn invalid_bool(field: &str) -> Self {
        let cause = match field {
            "prevExist" | "refresh" => format!("invalid value for {field}"),
            _ => format!("invalid value for \"{field}\""),
        };
        Error::param(ErrorCode::INVALID_FIELD, cause)
    }

    /// 209: `wait=true` on a method other than GET.
    pub fn wait_only_with_get() -> Self {
        Error::param(
            ErrorCode::INVALID_FIELD,
            "\"wait\" can only be used with GET requests",
        )
    }

    /// 210: a form body over 10 MiB.
    pub fn post_too_large() -> Self {
        Error::param(ErrorCode::INVALID_FORM, "http: POST too large")
    }

    /// 211: `refresh=true` with a value.
    pub fn refresh_with_value() -> Self {
        Error::param(
            ErrorCode::REFRESH_VALUE,
            "A value was provided on a refresh",
        )
    }

    /// 212: `refresh=true` without a TTL.
    pub fn refresh_without_ttl() -> Self {
        Error::param(ErrorCode::REFRESH_TTL_REQUIRED, "No TTL value set")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({}) [{}]",
            self.code,
            self.message(),
            self.cause,
            self.index
        )
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(e: &Error) -> String {
        String::from_utf8(etcd_client::json::to_vec(&e.to_body("/1"))).unwrap()
    }

    #[test]
    fn parameter_errors_match_the_reference() {
        let cases = [
            (
                Error::prev_value_required(),
                r#"{"errorCode":201,"message":"PrevValue is Required in POST form","cause":"\"prevValue\" cannot be empty","index":0}"#,
            ),
            (
                Error::ttl_nan(),
                r#"{"errorCode":202,"message":"The given TTL in POST form is not a number","cause":"invalid value for \"ttl\"","index":0}"#,
            ),
            (
                Error::index_nan("waitIndex"),
                r#"{"errorCode":203,"message":"The given index in POST form is not a number","cause":"invalid value for \"waitIndex\"","index":0}"#,
            ),
            (
                Error::invalid_bool("recursive"),
                r#"{"errorCode":209,"message":"Invalid field","cause":"invalid value for \"recursive\"","index":0}"#,
            ),
            (
                Error::invalid_bool("prevExist"),
                r#"{"errorCode":209,"message":"Invalid field","cause":"invalid value for prevExist","index":0}"#,
            ),
            (
                Error::invalid_bool("refresh"),
                r#"{"errorCode":209,"message":"Invalid field","cause":"invalid value for refresh","index":0}"#,
            ),
            (
                Error::wait_only_with_get(),
                r#"{"errorCode":209,"message":"Invalid field","cause":"\"wait\" can only be used with GET requests","index":0}"#,
            ),
            (
                Error::post_too_large(),
                r#"{"errorCode":210,"message":"Invalid POST form","cause":"http: POST too large","index":0}"#,
            ),
            (
                Error::refresh_with_value(),
                r#"{"errorCode":211,"message":"Value provided on refresh","cause":"A value was provided on a refresh","index":0}"#,
            ),
            (
                Error::refresh_without_ttl(),
                r#"{"errorCode":212,"message":"A TTL must be provided on refresh","cause":"No TTL value set","index":0}"#,
            ),
        ];
        for (err, want) in cases {
            assert_eq!(json(&err), want);
            assert_eq!(err.http_status(), 400);
        }
    }

    #[test]
    fn body_trims_namespace_prefix() {
        let e = Error::new(ErrorCode::KEY_NOT_FOUND, "/1/missing", 6);
        let b = e.to_body("/1");
        assert_eq!(b.cause, "/missing");
        assert_eq!(b.message, "Key not found");
        assert_eq!(e.http_status(), 404);
        assert_eq!(e.to_string(), "100: Key not found (/1/missing) [6]");
        let root = Error::new(ErrorCode::ROOT_READ_ONLY, "/", 3);
        assert_eq!(root.to_body("/1").cause, "/");
    }
}
