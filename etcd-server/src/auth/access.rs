//! The access decisions, made with the reference's store reads in its order:
//! first `/2/enabled` (auth off: everything is allowed), then the user
//! record (or, without credentials, the guest role), then the user's roles
//! one by one until one allows the request.
//!
//! Passwords are checked with bcrypt off the async runtime, once per
//! credential and user record version ([`super::cache`]); the store lock is
//! never held while bcrypt runs.

use super::basic::{credentials, Credentials};
use super::records::{self, StoredUser};
use super::{perm, GUEST_ROLE, ROOT_ROLE};
use crate::app::App;
use crate::store::Store;

/// The first `Authorization` header of a request, as bytes.
pub fn authorization(headers: &hyper::HeaderMap) -> Option<&[u8]> {
    headers
        .get(hyper::header::AUTHORIZATION)
        .map(|v| v.as_bytes())
}

/// Whether `password` is right for `stored` (cached after the first bcrypt
/// check against this version of the record).
async fn authenticate(app: &App, user: &str, password: Vec<u8>, stored: &StoredUser) -> bool {
    let cache = &app.auth.cache;
    if cache.verified(user, &password, stored.modified_index) {
        return true;
    }
    let Some(hash) = stored.user.password.clone() else {
        return false;
    };
    let (ok, password) = tokio::task::spawn_blocking(move || {
        (bcrypt::verify(&password, &hash).unwrap_or(false), password)
    })
    .await
    .unwrap_or((false, Vec::new()));
    if ok {
        cache.remember(user, &password, stored.modified_index);
    }
    ok
}

/// What the first look at the store decided.
enum First {
    /// Decided without a password check.
    Done(bool),
    /// A password to check against this user record.
    Check {
        user: String,
        password: Vec<u8>,
        stored: StoredUser,
    },
}

/// Reads `/2/enabled` and, with basic credentials, the user record.
/// `anonymous` decides requests without credentials.
fn first_look(
    store: &Store,
    header: Option<&[u8]>,
    anonymous: impl FnOnce(&Store) -> bool,
) -> First {
    if !records::enabled(store) {
        return First::Done(true);
    }
    match credentials(header) {
        Credentials::Missing => First::Done(anonymous(store)),
        Credentials::Malformed => First::Done(false),
        Credentials::Basic { user, password } => match records::get_user(store, &user) {
            Ok(stored) => First::Check {
                user,
                password,
                stored,
            },
            Err(_) => First::Done(false),
        },
    }
}

/// Whether the request with this `Authorization` header may read (or, with
/// `write`, change) `key`, the raw request path after `/v2/keys`. A
/// `recursive` request needs a `*` pattern covering the key. Without
/// credentials the guest role decides (its plain patterns, even for a
/// recursive request); wrong or malformed credentials are always refused.
pub async fn key_access(
    app: &App,
    header: Option<&[u8]>,
    key: &[u8],
    recursive: bool,
    write: bool,
) -> bool {
    let first = first_look(&app.store(), header, |store| {
        records::get_role(store, GUEST_ROLE).is_ok_and(|g| perm::has_key_access(&g, key, write))
    });
    let (user, password, stored) = match first {
        First::Done(allowed) => return allowed,
        First::Check {
            user,
            password,
            stored,
        } => (user, password, stored),
    };
    if !authenticate(app, &user, password, &stored).await {
        return false;
    }
    let store = app.store();
    stored.user.roles.iter().flatten().any(|name| {
        records::get_role(&store, name).is_ok_and(|role| {
            if recursive {
                perm::has_recursive_access(&role, key, write)
            } else {
                perm::has_key_access(&role, key, write)
            }
        })
    })
}

/// Whether the request with this `Authorization` header is the root user's
/// (or auth is disabled): what the auth API and membership changes need.
pub async fn root_access(app: &App, header: Option<&[u8]>) -> bool {
    let first = first_look(&app.store(), header, |_| false);
    match first {
        First::Done(allowed) => allowed,
        First::Check {
            user,
            password,
            stored,
        } => {
            authenticate(app, &user, password, &stored).await
                && stored.user.roles.iter().flatten().any(|r| r == ROOT_ROLE)
        }
    }
}
