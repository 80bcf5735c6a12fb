//! `/v2/auth/...`: auth status, users and roles (spec auth.md §1–§3), and
//! [`require_root`] for any handler that only the root user may use.
//!
//! Every route but `GET /v2/auth/enable` needs the root user once auth is
//! enabled. Answers are JSON; errors are `{"message":..}` without a newline;
//! `X-Etcd-Cluster-Id` is set once the root check has passed (so neither the
//! 401 nor the 400 for a bad path carries it), as the reference sets it.

use super::{
    empty, etcd_error, json_resp, method_not_allowed, set_cluster_id, with_status, Resp, JSON,
};
use crate::app::App;
use crate::auth::{access, body, ops, records, AuthError};
use crate::store::Store;
use etcd_client::models::{AuthStatus, HttpErrorBody, RoleList, User, UserList, UserWithRoles};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Request};

/// Largest auth request body read.
const MAX_BODY: usize = 1024 * 1024;
/// Where the auth API lives.
const PREFIX: &str = "/v2/auth";

/// Whether `path` (decoded and clean) belongs to the auth API; other paths
/// under `/v2/auth` are not found.
pub fn routes(path: &str) -> bool {
    matches!(
        path,
        "/v2/auth/enable" | "/v2/auth/users" | "/v2/auth/roles"
    ) || path.starts_with("/v2/auth/users/")
        || path.starts_with("/v2/auth/roles/")
}

/// Requires the root user when auth is enabled: `Err` holds the reference's
/// 401 answer, `{"message":"Insufficient credentials"}` without
/// `X-Etcd-Cluster-Id` (the same as the auth API's), to be returned as is.
///
/// For a handler that only root may use (membership changes, backups):
///
/// ```ignore
/// if let Err(refused) = crate::http::auth::require_root(app, req.headers()).await {
///     return refused;
/// }
/// ```
///
/// Like the reference, this reads `/2/enabled` (and the user record when
/// credentials are given), which `/v2/stats/store` counts as gets.
///
/// # Errors
///
/// The 401 answer when auth is enabled and the request does not carry the
/// root user's name and password.
pub async fn require_root(app: &App, headers: &HeaderMap) -> Result<(), Resp> {
    if access::root_access(app, access::authorization(headers)).await {
        Ok(())
    } else {
        Err(message(401, "Insufficient credentials"))
    }
}

fn message(status: u16, message: &str) -> Resp {
    json_resp(
        status,
        &HttpErrorBody {
            message: message.to_owned(),
        },
        false,
    )
}

fn with_cluster_id(app: &App, mut r: Resp) -> Resp {
    set_cluster_id(&mut r, app);
    r
}

fn ok_json(app: &App, status: u16, value: &impl serde::Serialize) -> Resp {
    with_cluster_id(app, json_resp(status, value, true))
}

/// 200 with an empty body (successful enable, disable and deletes).
fn ok_empty(app: &App) -> Resp {
    let mut r = with_status(200, empty());
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    with_cluster_id(app, r)
}

fn error(app: &App, err: &AuthError) -> Resp {
    match err {
        AuthError::Message { status, message: m } => with_cluster_id(app, message(*status, m)),
        AuthError::Store(e) => etcd_error(app, e),
        AuthError::Internal => with_cluster_id(app, message(500, "Internal Server Error")),
    }
}

fn answer<T>(app: &App, result: Result<T, AuthError>, ok: impl FnOnce(T) -> Resp) -> Resp {
    match result {
        Ok(v) => ok(v),
        Err(e) => error(app, &e),
    }
}

/// Go's `ParseForm` of a GET: an invalid query (a bad `%` escape, a `;`)
/// is an error, which the reference answers with a 500.
fn query_is_valid(query: Option<&str>) -> bool {
    query
        .unwrap_or_default()
        .split('&')
        .all(|pair| !pair.contains(';') && super::keys_request::unescape_path(pair).is_some())
}

/// Answers one request whose path [`routes`] accepted.
pub async fn handle(app: &App, method: &Method, path: &str, req: Request<Incoming>) -> Resp {
    let query = req.uri().query().map(str::to_owned);
    let query = query.as_deref();
    match path {
        "/v2/auth/enable" => enable_disable(app, method, req.headers()).await,
        "/v2/auth/users" => base_users(app, method, req.headers(), query).await,
        "/v2/auth/roles" => base_roles(app, method, req.headers(), query).await,
        _ => {
            // Go: path.Clean of what follows the prefix, split on "/".
            let sub = crate::store::path::clean(&path[PREFIX.len()..]).into_owned();
            let pieces: Vec<&str> = sub.split('/').collect();
            match pieces.as_slice() {
                [_, "users"] => base_users(app, method, req.headers(), query).await,
                [_, "roles"] => base_roles(app, method, req.headers(), query).await,
                [_, "users", name] => for_user(app, method, name, query, req).await,
                [_, "roles", name] => for_role(app, method, name, req).await,
                _ => message(400, "Invalid path"),
            }
        }
    }
}

async fn enable_disable(app: &App, method: &Method, headers: &HeaderMap) -> Resp {
    if !matches!(*method, Method::GET | Method::PUT | Method::DELETE) {
        return method_not_allowed("GET,PUT,DELETE");
    }
    if *method != Method::GET {
        if let Err(refused) = require_root(app, headers).await {
            return refused;
        }
    }
    // Read for every method, as the reference does (a get in the counters).
    let enabled = records::enabled(&app.store());
    match *method {
        Method::GET => ok_json(app, 200, &AuthStatus { enabled }),
        Method::PUT => answer(app, ops::enable(app).await, |()| ok_empty(app)),
        _ => answer(app, ops::disable(app).await, |()| ok_empty(app)),
    }
}

/// `GET /v2/auth/users` and `GET /v2/auth/roles`, for root only: `names`
/// reads the list, then the query is checked (an invalid one is a 500 after
/// that read, as in the reference), then `collect` reads the records.
async fn listing<T: serde::Serialize>(
    app: &App,
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    names: fn(&Store) -> Result<Vec<String>, AuthError>,
    collect: impl FnOnce(&Store, Vec<String>) -> Result<T, AuthError>,
) -> Resp {
    if *method != Method::GET {
        return method_not_allowed("GET");
    }
    if let Err(refused) = require_root(app, headers).await {
        return refused;
    }
    let list = {
        let store = app.store();
        match names(&store) {
            Ok(_) if !query_is_valid(query) => Err(AuthError::Internal),
            Ok(names) => collect(&store, names),
            Err(e) => Err(e),
        }
    };
    answer(app, list, |list| ok_json(app, 200, &list))
}

async fn base_users(app: &App, method: &Method, headers: &HeaderMap, query: Option<&str>) -> Resp {
    let users = |store: &Store, names: Vec<String>| {
        let users = names.iter().map(|name| listed_user(store, name));
        Ok(UserList {
            users: users.collect::<Result<_, _>>()?,
        })
    };
    listing(app, method, headers, query, records::all_users, users).await
}

/// A user of the users list, with the roles that still exist.
fn listed_user(store: &Store, name: &str) -> Result<UserWithRoles, AuthError> {
    let user = records::get_user(store, name)?;
    let roles = user.roles.iter().flatten();
    Ok(UserWithRoles {
        roles: roles
            .filter_map(|r| records::get_role(store, r).ok())
            .collect(),
        user: user.user,
    })
}

async fn base_roles(app: &App, method: &Method, headers: &HeaderMap, query: Option<&str>) -> Resp {
    let roles = |store: &Store, names: Vec<String>| {
        let roles = names.iter().map(|name| records::get_role(store, name));
        Ok(RoleList {
            roles: roles.collect::<Result<_, _>>()?,
        })
    };
    listing(app, method, headers, query, records::all_roles, roles).await
}

/// The PUT body (at most [`MAX_BODY`] bytes are read; more is invalid JSON).
async fn read_body(req: Request<Incoming>) -> Option<bytes::Bytes> {
    Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .ok()
        .map(|b| b.to_bytes())
}

fn invalid_json(app: &App) -> Resp {
    error(app, &AuthError::plain(400, "Invalid JSON in request body."))
}

async fn for_user(
    app: &App,
    method: &Method,
    name: &str,
    query: Option<&str>,
    req: Request<Incoming>,
) -> Resp {
    if !matches!(*method, Method::GET | Method::PUT | Method::DELETE) {
        return method_not_allowed("GET,PUT,DELETE");
    }
    if let Err(refused) = require_root(app, req.headers()).await {
        return refused;
    }
    match *method {
        Method::GET => get_user(app, name, query),
        Method::PUT => {
            let Some(body) = read_body(req).await else {
                return invalid_json(app);
            };
            put_user(app, name, &body).await
        }
        _ => answer(app, ops::delete_user(app, name).await, |()| ok_empty(app)),
    }
}

fn get_user(app: &App, name: &str, query: Option<&str>) -> Resp {
    let user = {
        let store = app.store();
        match records::get_user(&store, name) {
            Ok(_) if !query_is_valid(query) => Err(AuthError::Internal),
            // Here a missing role is an error.
            Ok(user) => user
                .roles
                .iter()
                .flatten()
                .map(|r| records::get_role(&store, r))
                .collect::<Result<_, _>>()
                .map(|roles| UserWithRoles {
                    user: user.user,
                    roles,
                }),
            Err(e) => Err(e),
        }
    };
    answer(app, user, |user| ok_json(app, 200, &user))
}

async fn put_user(app: &App, name: &str, body: &[u8]) -> Resp {
    let Ok(request) = body::user(body) else {
        return invalid_json(app);
    };
    if request.user != name {
        let e = AuthError::plain(400, "User JSON name does not match the name in the URL");
        return error(app, &e);
    }
    let result: Result<(User, bool), AuthError> =
        if request.grant.is_empty() && request.revoke.is_empty() {
            if request.roles.as_deref().is_some_and(|r| !r.is_empty()) {
                // Creating with roles answers 200, not 201.
                ops::create_user(app, request).await.map(|u| (u, false))
            } else {
                ops::create_or_update_user(app, request).await
            }
        } else if request.roles.as_deref().is_some_and(|r| !r.is_empty()) {
            Err(AuthError::plain(
                400,
                "User JSON contains both roles and grant/revoke",
            ))
        } else {
            ops::update_user(app, request).await.map(|u| (u, false))
        };
    answer(app, result, |(user, created)| {
        ok_json(app, if created { 201 } else { 200 }, &user)
    })
}

async fn for_role(app: &App, method: &Method, name: &str, req: Request<Incoming>) -> Resp {
    if !matches!(*method, Method::GET | Method::PUT | Method::DELETE) {
        return method_not_allowed("GET,PUT,DELETE");
    }
    if let Err(refused) = require_root(app, req.headers()).await {
        return refused;
    }
    match *method {
        Method::GET => {
            let role = records::get_role(&app.store(), name);
            answer(app, role, |role| ok_json(app, 200, &role))
        }
        Method::PUT => {
            let Some(body) = read_body(req).await else {
                return invalid_json(app);
            };
            put_role(app, name, &body).await
        }
        _ => answer(app, ops::delete_role(app, name).await, |()| ok_empty(app)),
    }
}

async fn put_role(app: &App, name: &str, body: &[u8]) -> Resp {
    let Ok(request) = body::role(body) else {
        return invalid_json(app);
    };
    if request.role != name {
        let e = AuthError::plain(400, "Role JSON name does not match the name in the URL");
        return error(app, &e);
    }
    if records::is_empty(request.grant.as_ref()) && records::is_empty(request.revoke.as_ref()) {
        let created = ops::create_role(app, &request).await;
        return answer(app, created, |()| ok_json(app, 201, &request));
    }
    if !records::is_empty(Some(&request.permissions)) {
        let e = AuthError::plain(400, "Role JSON contains both permissions and grant/revoke");
        return error(app, &e);
    }
    let updated = ops::update_role(app, &request).await;
    answer(app, updated, |role| ok_json(app, 200, &role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_routes() {
        for p in [
            "/v2/auth/enable",
            "/v2/auth/users",
            "/v2/auth/users/",
            "/v2/auth/users/a",
            "/v2/auth/roles/a/b",
        ] {
            assert!(routes(p), "{p}");
        }
        for p in [
            "/v2/auth",
            "/v2/auth/",
            "/v2/auth/enable/",
            "/v2/auth/usersx",
        ] {
            assert!(!routes(p), "{p}");
        }
    }

    #[test]
    fn get_queries() {
        assert!(query_is_valid(None));
        assert!(query_is_valid(Some("")));
        assert!(query_is_valid(Some("a=1&b=%41+c")));
        assert!(!query_is_valid(Some("x=%zz")));
        assert!(!query_is_valid(Some("a;b")));
        assert!(!query_is_valid(Some("a=%")));
    }
}
