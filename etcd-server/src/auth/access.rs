//! The access decisions, made with the reference's store reads in its order:
//! first `/2/enabled` (auth off: everything is allowed), then the user
//! record (or, without credentials, the guest role), then the user's roles
//! one by one until one allows the request.
//!
//! A request without credentials on a connection that logs in by client
//! certificate (`--client-cert-auth`, see [`crate::tls::identity`]) is
//! first looked up as the users its certificate chain names, leaf first;
//! the first that exists is the request's user, with no password to check.
//! Only when none exists does the guest role decide.
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
    /// The user named by the connection's client certificate.
    Certified(StoredUser),
}

/// Reads `/2/enabled` and, with basic credentials, the user record.
/// Without credentials, the users named by `certified` (the client
/// certificate chain's names) are read until one exists; `anonymous`
/// decides when none does.
fn first_look(
    store: &Store,
    header: Option<&[u8]>,
    certified: Option<&[String]>,
    anonymous: impl FnOnce(&Store) -> bool,
) -> First {
    if !records::enabled(store) {
        return First::Done(true);
    }
    match credentials(header) {
        Credentials::Missing => certified
            .unwrap_or_default()
            .iter()
            .find_map(|name| records::get_user(store, name).ok())
            .map_or_else(|| First::Done(anonymous(store)), First::Certified),
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

/// The user record `first` leads to, once its password (if any) is
/// checked; `Err` holds the decision when there is none.
async fn user_of(app: &App, first: First) -> Result<StoredUser, bool> {
    match first {
        First::Done(allowed) => Err(allowed),
        First::Certified(stored) => Ok(stored),
        First::Check {
            user,
            password,
            stored,
        } => {
            if authenticate(app, &user, password, &stored).await {
                Ok(stored)
            } else {
                Err(false)
            }
        }
    }
}

/// Whether the request with this `Authorization` header may read (or, with
/// `write`, change) `key`, the raw request path after `/v2/keys`. A
/// `recursive` request needs a `*` pattern covering the key. Without
/// credentials the user named by the client certificate, or else the guest
/// role, decides (the guest by its plain patterns, even for a recursive
/// request); wrong or malformed credentials are always refused.
pub async fn key_access(
    app: &App,
    header: Option<&[u8]>,
    key: &[u8],
    recursive: bool,
    write: bool,
) -> bool {
    let certified = crate::tls::client_names();
    let first = first_look(&app.store(), header, certified.as_deref(), |store| {
        records::get_role(store, GUEST_ROLE).is_ok_and(|g| perm::has_key_access(&g, key, write))
    });
    let stored = match user_of(app, first).await {
        Ok(stored) => stored,
        Err(allowed) => return allowed,
    };
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

/// Whether the request with this `Authorization` header (or, without one,
/// its client certificate) is the root user's, or auth is disabled: what
/// the auth API and membership changes need.
pub async fn root_access(app: &App, header: Option<&[u8]>) -> bool {
    let certified = crate::tls::client_names();
    let first = first_look(&app.store(), header, certified.as_deref(), |_| false);
    match user_of(app, first).await {
        Ok(stored) => stored.user.roles.iter().flatten().any(|r| r == ROOT_ROLE),
        Err(allowed) => allowed,
    }
}
