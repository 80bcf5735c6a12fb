//! v2 authentication and access control, as the reference's v2 auth does it.
//!
//! Users and roles are JSON records in the store's hidden `/2` namespace
//! (`/2/enabled`, `/2/users/<name>`, `/2/roles/<name>`), written through raft
//! like any key, so every member enforces the same rules and snapshots and
//! backups carry them. The reference reads those records with ordinary store
//! lookups on every check, and those lookups show in `/v2/stats/store`; this
//! module makes the same lookups in the same order so the counters match.
//!
//! - [`records`]: reading users, roles and the enabled flag from the store,
//!   and the reference's merge rules for grants and revokes.
//! - [`perm`]: matching keys against a role's patterns.
//! - [`basic`]: the `Authorization: Basic` header, parsed as Go parses it.
//! - [`cache`]: verified passwords, so bcrypt runs once per password and
//!   stored hash instead of once per request.
//! - [`access`]: the decisions: may this request read or write that key, is
//!   it the root user's (handlers answer with `crate::http::auth`).
//! - [`ops`]: the writes of the auth API (create, update and delete users and
//!   roles, enable and disable), proposed through raft.
//! - [`body`]: request bodies decoded as Go's `encoding/json` decodes them.

pub mod access;
pub mod basic;
pub mod body;
pub mod cache;
pub mod ops;
pub mod perm;
pub mod records;

pub use access::{key_access, root_access};

use crate::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where the auth records live in the store.
pub const PERMS_PREFIX: &str = "/2";
/// The built-in role with every permission (never stored).
pub const ROOT_ROLE: &str = "root";
/// The role of requests without credentials (created at the first enable).
pub const GUEST_ROLE: &str = "guest";
/// The user that must exist before auth can be enabled.
pub const ROOT_USER: &str = "root";
/// The cost of the bcrypt hashes written (Go's `bcrypt.DefaultCost`).
pub const BCRYPT_COST: u32 = 10;

/// Why an auth operation failed, in the shape the reference answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// `{"message": ...}` with this status (the reference's auth errors and
    /// request errors).
    Message { status: u16, message: String },
    /// A store error passed on as is (the keys API's error body).
    Store(Error),
    /// Anything else (raft unavailable, a timeout): 500 `Internal Server Error`.
    Internal,
}

impl AuthError {
    /// An error with the reference's `auth: ` prefix.
    pub fn auth(status: u16, text: impl std::fmt::Display) -> AuthError {
        AuthError::Message {
            status,
            message: format!("auth: {text}"),
        }
    }

    /// An error whose text has no prefix (request shape errors).
    pub fn plain(status: u16, text: &str) -> AuthError {
        AuthError::Message {
            status,
            message: text.to_owned(),
        }
    }
}

/// The auth state of one member process: what the reference keeps in its
/// auth store object (whether the `/2` directories were ensured) and the
/// credential cache.
#[derive(Debug)]
pub struct Auth {
    /// Set once this process has created (or found) `/2/enabled`; until then
    /// every auth write first tries to create the `/2` directories, as the
    /// reference's `ensureAuthDirectories` does once per process.
    ensured: AtomicBool,
    /// Passwords already checked against a user record.
    pub cache: cache::CredentialCache,
}

impl Default for Auth {
    fn default() -> Self {
        Auth::new()
    }
}

impl Auth {
    /// Fresh state: directories not yet ensured, empty cache with a new key.
    pub fn new() -> Auth {
        Auth {
            ensured: AtomicBool::new(false),
            cache: cache::CredentialCache::new(),
        }
    }

    fn ensured(&self) -> bool {
        self.ensured.load(Ordering::Acquire)
    }

    fn set_ensured(&self) {
        self.ensured.store(true, Ordering::Release);
    }
}
