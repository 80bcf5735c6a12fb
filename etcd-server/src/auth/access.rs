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
//! password and stored hash ([`super::cache`]); the store lock is never
//! held while bcrypt runs. With auth disabled a request costs one store
//! read (`/2/enabled`, as in the reference) and nothing else.

use super::basic::{credentials, Credentials};
use super::{perm, records, GUEST_ROLE, ROOT_ROLE};
use crate::app::App;
use crate::store::Store;
use etcd_client::models::User;

/// The first `Authorization` header of a request, as bytes.
pub fn authorization(headers: &hyper::HeaderMap) -> Option<&[u8]> {
    headers
        .get(hyper::header::AUTHORIZATION)
        .map(|v| v.as_bytes())
}

/// Whether `password` is right for `user` (cached after the first bcrypt
/// check against this password hash).
async fn authenticate(app: &App, password: Vec<u8>, user: &User) -> bool {
    let Some(hash) = user.password.as_deref() else {
        return false;
    };
    let cache = &app.auth.cache;
    if cache.verified(hash, &password) {
        return true;
    }
    let hash = hash.to_owned();
    let checked = tokio::task::spawn_blocking(move || {
        let ok = bcrypt::verify(&password, &hash).unwrap_or(false);
        (ok, hash, password)
    })
    .await;
    match checked {
        Ok((true, hash, password)) => {
            cache.remember(&hash, &password);
            true
        }
        _ => false,
    }
}

/// Who an auth-enabled request is, from a first look at the store.
enum Identity {
    /// Decided without a password check.
    Decided(bool),
    /// A password to check against this user record.
    Claimed { password: Vec<u8>, user: User },
    /// The user named by the connection's client certificate.
    Certified(User),
}

/// With auth enabled: reads the user record the basic credentials name.
/// Without credentials, the users named by the connection's client
/// certificate chain are read until one exists; `anonymous` decides when
/// none does. Malformed credentials and unknown users are refused.
fn identify(
    store: &Store,
    header: Option<&[u8]>,
    anonymous: impl FnOnce(&Store) -> bool,
) -> Identity {
    match credentials(header) {
        Credentials::Missing => {
            let certified = crate::tls::client_names();
            certified
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find_map(|name| records::get_user(store, name).ok())
                .map_or_else(|| Identity::Decided(anonymous(store)), Identity::Certified)
        }
        Credentials::Malformed => Identity::Decided(false),
        Credentials::Basic { user, password } => match records::get_user(store, &user) {
            Ok(user) => Identity::Claimed { password, user },
            Err(_) => Identity::Decided(false),
        },
    }
}

/// The user record `identity` leads to, once its password (if any) is
/// checked; `Err` holds the decision when there is none.
async fn user_of(app: &App, identity: Identity) -> Result<User, bool> {
    match identity {
        Identity::Decided(allowed) => Err(allowed),
        Identity::Certified(user) => Ok(user),
        Identity::Claimed { password, user } => {
            if authenticate(app, password, &user).await {
                Ok(user)
            } else {
                Err(false)
            }
        }
    }
}

/// Whether the request with this `Authorization` header may read (or, with
/// `write`, change) the key `key()` gives: the raw request path after
/// `/v2/keys` (worked out only when auth is enabled). A `recursive` request
/// needs a `*` pattern covering the key. Without credentials the user named
/// by the client certificate, or else the guest role, decides (the guest by
/// its plain patterns, even for a recursive request); wrong or malformed
/// credentials are always refused.
pub async fn key_access(
    app: &App,
    header: Option<&[u8]>,
    key: impl FnOnce() -> Vec<u8>,
    recursive: bool,
    write: bool,
) -> bool {
    let (key, identity) = {
        let store = app.store();
        if !records::enabled(&store) {
            return true;
        }
        let key = key();
        let identity = identify(&store, header, |store| {
            records::get_role(store, GUEST_ROLE)
                .is_ok_and(|guest| perm::has_access(&guest, &key, write, false))
        });
        (key, identity)
    };
    let user = match user_of(app, identity).await {
        Ok(user) => user,
        Err(allowed) => return allowed,
    };
    let store = app.store();
    user.roles.iter().flatten().any(|name| {
        records::get_role(&store, name)
            .is_ok_and(|role| perm::has_access(&role, &key, write, recursive))
    })
}

/// Whether the request with this `Authorization` header (or, without one,
/// its client certificate) is the root user's, or auth is disabled: what
/// the auth API and membership changes need.
pub async fn root_access(app: &App, header: Option<&[u8]>) -> bool {
    let identity = {
        let store = app.store();
        if !records::enabled(&store) {
            return true;
        }
        identify(&store, header, |_| false)
    };
    match user_of(app, identity).await {
        Ok(user) => user.roles.iter().flatten().any(|r| r == ROOT_ROLE),
        Err(allowed) => allowed,
    }
}
