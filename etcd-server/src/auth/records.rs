//! The auth records in the store and the reference's rules for changing them.
//!
//! Every lookup here is an ordinary store read (it counts in
//! `/v2/stats/store`, as the reference's do). Records are the JSON the
//! reference writes: a user is `{"user":..,"password":"$2a$10$..","roles":..}`,
//! a role `{"role":..,"permissions":{"kv":{"read":..,"write":..}}}`, and
//! `/2/enabled` holds `true` or `false`.

use super::{AuthError, PERMS_PREFIX, ROOT_ROLE, ROOT_USER};
use crate::store::Store;
use etcd_client::models::{Permissions, Role, RwPermission, User};
use etcd_client::ErrorCode;
use std::collections::BTreeSet;

/// Store path of the enabled flag (read by every keys request).
pub const ENABLED_PATH: &str = "/2/enabled";

/// Store path of a user record.
pub fn user_path(name: &str) -> String {
    format!("{PERMS_PREFIX}/users/{name}")
}

/// Store path of a role record.
pub fn role_path(name: &str) -> String {
    format!("{PERMS_PREFIX}/roles/{name}")
}

/// The built-in `root` role: every key, read and write.
pub fn root_role() -> Role {
    full_access_role(ROOT_ROLE)
}

/// A role that may read and write every key (`root`, and `guest` as the
/// first enable creates it).
pub fn full_access_role(name: &str) -> Role {
    Role {
        role: name.to_owned(),
        permissions: Permissions {
            kv: RwPermission {
                read: Some(vec!["/*".into()]),
                write: Some(vec!["/*".into()]),
            },
        },
        grant: None,
        revoke: None,
    }
}

/// Whether auth is enabled (one store read of `/2/enabled`; a missing or
/// unreadable flag means disabled).
pub fn enabled(store: &Store) -> bool {
    store
        .get_value(ENABLED_PATH)
        .and_then(|v| serde_json::from_slice::<bool>(v).ok())
        .unwrap_or(false)
}

/// Adds the `root` role to the `root` user when it lacks it: the reference
/// always treats the root user as having it.
pub fn attach_root_role(user: &mut User) {
    if user.user == ROOT_USER {
        let roles = user.roles.get_or_insert_with(Vec::new);
        if !roles.iter().any(|r| r == ROOT_ROLE) {
            roles.push(ROOT_ROLE.to_owned());
        }
    }
}

/// Reads a user (one store read). Missing: 404 `auth: User <name> does not
/// exist.`.
///
/// # Errors
///
/// 404 for a missing user; other store errors as they are.
pub fn get_user(store: &Store, name: &str) -> Result<User, AuthError> {
    match store.get(&user_path(name), false, false, 0) {
        Ok(event) => {
            let value = event.node.value.as_deref().ok_or(AuthError::Internal)?;
            let mut user: User = serde_json::from_str(value).map_err(|_| AuthError::Internal)?;
            attach_root_role(&mut user);
            Ok(user)
        }
        Err(e) if e.code == ErrorCode::KEY_NOT_FOUND => Err(AuthError::auth(
            404,
            format_args!("User {name} does not exist."),
        )),
        Err(e) => Err(AuthError::Store(e)),
    }
}

/// Reads a role (one store read, none for `root`). Missing: 404 `auth: Role
/// <name> does not exist.`.
///
/// # Errors
///
/// 404 for a missing role; other store errors as they are.
pub fn get_role(store: &Store, name: &str) -> Result<Role, AuthError> {
    if name == ROOT_ROLE {
        return Ok(root_role());
    }
    match store.get(&role_path(name), false, false, 0) {
        Ok(event) => {
            let value = event.node.value.as_deref().ok_or(AuthError::Internal)?;
            serde_json::from_str(value).map_err(|_| AuthError::Internal)
        }
        Err(e) if e.code == ErrorCode::KEY_NOT_FOUND => Err(AuthError::auth(
            404,
            format_args!("Role {name} does not exist."),
        )),
        Err(e) => Err(AuthError::Store(e)),
    }
}

/// The names below a directory of `/2` (one store read), sorted; hidden
/// names (`_x`) are not listed, as in any directory listing.
fn names(store: &Store, dir: &str) -> Result<Vec<String>, AuthError> {
    match store.get(&format!("{PERMS_PREFIX}/{dir}"), false, false, 0) {
        Ok(event) => {
            let mut names: Vec<String> = event
                .node
                .nodes
                .iter()
                .map(|n| n.key.rsplit('/').next().unwrap_or_default().to_owned())
                .collect();
            names.sort();
            Ok(names)
        }
        Err(e) if e.code == ErrorCode::KEY_NOT_FOUND => Ok(Vec::new()),
        Err(e) => Err(AuthError::Store(e)),
    }
}

/// Every user name, sorted.
///
/// # Errors
///
/// A store error other than a missing directory.
pub fn all_users(store: &Store) -> Result<Vec<String>, AuthError> {
    names(store, "users")
}

/// Every role name, `root` included, sorted.
///
/// # Errors
///
/// A store error other than a missing directory.
pub fn all_roles(store: &Store) -> Result<Vec<String>, AuthError> {
    let mut roles = names(store, "roles")?;
    roles.push(ROOT_ROLE.to_owned());
    roles.sort();
    Ok(roles)
}

/// The roles of `old` after `grant` and `revoke`, sorted (always a list,
/// possibly empty). Granting a role the user has, or revoking one it lacks,
/// is a 409.
///
/// # Errors
///
/// 409 for a duplicate grant or an ungranted revoke.
pub fn merge_roles(
    old: &User,
    grant: &[String],
    revoke: &[String],
) -> Result<Vec<String>, AuthError> {
    let mut roles: BTreeSet<&str> = old.roles.iter().flatten().map(String::as_str).collect();
    for g in grant {
        if !roles.insert(g) {
            return Err(AuthError::auth(
                409,
                format_args!("Granting duplicate role {g} for user {}", old.user),
            ));
        }
    }
    for r in revoke {
        if !roles.remove(r.as_str()) {
            return Err(AuthError::auth(
                409,
                format_args!("Revoking ungranted role {r} for user {}", old.user),
            ));
        }
    }
    Ok(roles.into_iter().map(str::to_owned).collect())
}

fn sorted(set: BTreeSet<&str>) -> Option<Vec<String>> {
    Some(set.into_iter().map(str::to_owned).collect())
}

fn grant_kv(old: &RwPermission, add: &RwPermission) -> Result<RwPermission, AuthError> {
    let mut read: BTreeSet<&str> = old.read.iter().flatten().map(String::as_str).collect();
    for r in add.read.iter().flatten() {
        if !read.insert(r) {
            return Err(AuthError::auth(
                409,
                format_args!("Granting duplicate read permission {r}"),
            ));
        }
    }
    let mut write: BTreeSet<&str> = old.write.iter().flatten().map(String::as_str).collect();
    for w in add.write.iter().flatten() {
        if !write.insert(w) {
            return Err(AuthError::auth(
                409,
                format_args!("Granting duplicate write permission {w}"),
            ));
        }
    }
    Ok(RwPermission {
        read: sorted(read),
        write: sorted(write),
    })
}

fn revoke_kv(old: &RwPermission, remove: &RwPermission) -> RwPermission {
    let mut read: BTreeSet<&str> = old.read.iter().flatten().map(String::as_str).collect();
    for r in remove.read.iter().flatten() {
        read.remove(r.as_str());
    }
    let mut write: BTreeSet<&str> = old.write.iter().flatten().map(String::as_str).collect();
    for w in remove.write.iter().flatten() {
        write.remove(w.as_str());
    }
    RwPermission {
        read: sorted(read),
        write: sorted(write),
    }
}

/// `old` after the request's grant, then its revoke. A list that is touched
/// becomes sorted and non-null; revoking what is not granted is ignored.
///
/// # Errors
///
/// 409 for a duplicate grant.
pub fn merge_role(old: &Role, request: &Role) -> Result<Role, AuthError> {
    let mut kv = old.permissions.kv.clone();
    if let Some(grant) = &request.grant {
        kv = grant_kv(&kv, &grant.kv)?;
    }
    if let Some(revoke) = &request.revoke {
        kv = revoke_kv(&kv, &revoke.kv);
    }
    Ok(Role {
        role: old.role.clone(),
        permissions: Permissions { kv },
        grant: None,
        revoke: None,
    })
}

/// Whether a permission set names no pattern at all (`null` or empty lists).
pub fn is_empty(p: Option<&Permissions>) -> bool {
    match p {
        None => true,
        Some(p) => {
            p.kv.read.as_deref().unwrap_or_default().is_empty()
                && p.kv.write.as_deref().unwrap_or_default().is_empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    fn user(name: &str, roles: Option<Vec<String>>) -> User {
        User {
            user: name.into(),
            roles,
            ..User::default()
        }
    }

    fn kv(read: Option<Vec<String>>, write: Option<Vec<String>>) -> Permissions {
        Permissions {
            kv: RwPermission { read, write },
        }
    }

    #[test]
    fn user_roles_merge() {
        let bob = user("bob", list(&["barR"]));
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            merge_roles(&bob, &s(&["fooRW"]), &s(&["barR"])),
            Ok(s(&["fooRW"]))
        );
        assert_eq!(
            merge_roles(&bob, &s(&["barR"]), &[]),
            Err(AuthError::auth(
                409,
                "Granting duplicate role barR for user bob"
            ))
        );
        assert_eq!(
            merge_roles(&bob, &[], &s(&["fooRW"])),
            Err(AuthError::auth(
                409,
                "Revoking ungranted role fooRW for user bob"
            ))
        );
        // Sorted and de-duplicated; none left is an empty list.
        let eve = user("eve", list(&["b", "a", "b"]));
        assert_eq!(merge_roles(&eve, &[], &[]), Ok(s(&["a", "b"])));
        assert_eq!(merge_roles(&user("x", None), &[], &[]), Ok(vec![]));
    }

    #[test]
    fn root_role_is_attached() {
        let mut root = user("root", None);
        attach_root_role(&mut root);
        assert_eq!(root.roles, list(&["root"]));
        let mut root = user("root", list(&["a"]));
        attach_root_role(&mut root);
        assert_eq!(root.roles, list(&["a", "root"]));
        let mut other = user("alice", None);
        attach_root_role(&mut other);
        assert_eq!(other.roles, None);
    }

    #[test]
    fn role_merge() {
        let old = Role {
            role: "barR".into(),
            permissions: kv(list(&["/bar", "/bar/*"]), Some(vec![])),
            grant: None,
            revoke: None,
        };
        let req = |grant: Option<Permissions>, revoke: Option<Permissions>| Role {
            role: "barR".into(),
            grant,
            revoke,
            ..Role::default()
        };
        let out = merge_role(&old, &req(Some(kv(list(&["/baz/*"]), None)), None)).unwrap();
        assert_eq!(
            out.permissions,
            kv(list(&["/bar", "/bar/*", "/baz/*"]), Some(vec![]))
        );
        // Revoking what is not granted changes nothing.
        let out = merge_role(&old, &req(None, Some(kv(list(&["/nope"]), None)))).unwrap();
        assert_eq!(out, old);
        let dup = merge_role(&old, &req(Some(kv(None, list(&["/w", "/w"]))), None));
        assert_eq!(
            dup,
            Err(AuthError::auth(
                409,
                "Granting duplicate write permission /w"
            ))
        );
        // A null list becomes [] once touched.
        let empty = Role {
            permissions: kv(None, None),
            ..old.clone()
        };
        let out = merge_role(&empty, &req(None, Some(kv(list(&["/x"]), None)))).unwrap();
        assert_eq!(out.permissions, kv(Some(vec![]), Some(vec![])));
        // A stored grant field is dropped by any update.
        let with_grant = Role {
            grant: Some(kv(None, None)),
            ..old.clone()
        };
        let out = merge_role(&with_grant, &req(None, Some(kv(None, None)))).unwrap();
        assert_eq!(out.grant, None);
        assert_ne!(out, with_grant);
    }

    #[test]
    fn the_flag_is_under_the_prefix() {
        assert_eq!(ENABLED_PATH, format!("{PERMS_PREFIX}/enabled"));
    }

    #[test]
    fn emptiness() {
        assert!(is_empty(None));
        assert!(is_empty(Some(&kv(None, Some(vec![])))));
        assert!(!is_empty(Some(&kv(list(&["/a"]), None))));
    }
}
