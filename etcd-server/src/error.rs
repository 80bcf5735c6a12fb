//! Errors of the v2 API: an etcd error number, its cause and the store index.
//!
//! The numbers, messages and HTTP statuses form one table, kept with the wire
//! types in [`etcd_client::ErrorCode`]; this type adds the cause and index that
//! the store (or the HTTP layer, for parameter errors) fills in.

use etcd_client::{ErrorBody, ErrorCode};
use std::fmt;

/// An etcd v2 error: `{"errorCode":..,"message":..,"cause":..,"index":..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
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
