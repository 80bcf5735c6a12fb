//! Wire types of `/v2/auth`: auth status, users, roles and their permissions.
//!
//! A user's roles come in two shapes: as **names** in [`User`] (PUT bodies and PUT
//! answers) and as full **role objects** in [`UserWithRoles`] (`GET /v2/auth/users`
//! and `GET /v2/auth/users/<name>`). Go's `null` and `[]` are both sent and mean
//! different things in places, so those fields are `Option<Vec<_>>`.

use super::members::{null_as_default, HttpErrorBody};
use serde::{Deserialize, Serialize, Serializer};

fn is_none_or_empty(s: &Option<String>) -> bool {
    s.as_deref().unwrap_or_default().is_empty()
}

/// Writes an empty list as `null`, as Go does for a slice that was never appended to.
fn empty_as_null<S: Serializer, T: Serialize>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    if v.is_empty() {
        s.serialize_none()
    } else {
        v.serialize(s)
    }
}

/// The error body of the auth API: the same `{"message":"<text>"}` as the members
/// API, without trailing newline.
///
/// Observed statuses: 400 (`Invalid JSON in request body.`, `User JSON name does not
/// match the name in the URL`, `User JSON contains both roles and grant/revoke`,
/// `auth: Cannot create user <u> with an empty password`, `auth: User not updated. ..`,
/// `auth: Role not updated. ..`), 401 `Insufficient credentials` (no
/// `X-Etcd-Cluster-Id`), 403 (`auth: Cannot modify role root: is root role.`,
/// `auth: Cannot delete root user while auth is enabled.`), 404 (`auth: User <u> does
/// not exist.` on GET/PUT, `.. does not exist` without the period on DELETE;
/// `auth: Role <r> does not exist.` on GET, `auth: Role <r> doesn't exist.` on DELETE),
/// 409 (`auth: No root user available, please create one`, `auth: Role <r> already
/// exists.`, `auth: Granting duplicate role ..`, `auth: Revoking ungranted role ..`,
/// `auth: already disabled`). 405 is plain text `Method Not Allowed\n`. Keys requests
/// refused by auth answer the keys [`crate::types::ErrorBody`] with code 110 instead.
pub type AuthErrorBody = HttpErrorBody;

/// The body of `GET /v2/auth/enable`: `{"enabled":true}` (with a trailing newline).
///
/// `PUT` (enable) and `DELETE` (disable) answer 200 with an empty body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthStatus {
    /// Whether auth is enabled.
    pub enabled: bool,
}

/// A user with role **names**: the body of `PUT /v2/auth/users/<name>` and of its answer.
///
/// Requests: create or set the password with `password` (plus optional `roles`),
/// or change roles with `grant` / `revoke` (not together with `roles`). etcdctl
/// always sends `"roles":null` and omits an empty password, grant and revoke:
/// `{"user":"gina","password":"gpw","roles":null}`, `{"user":"frank","roles":null,"grant":["r4"]}`.
/// Answers carry no password: `{"user":"alice","roles":["fooRW"]}`, `"roles":null`
/// when the user has none, `"roles":[]` after all were revoked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User name; must equal the name in the URL (else 400).
    #[serde(default)]
    pub user: String,
    /// New password; only in requests, omitted when `None` or empty (as Go's `omitempty`).
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub password: Option<String>,
    /// Role names; always sent, `null` when `None`.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Role names to add; omitted when empty.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub grant: Vec<String>,
    /// Role names to remove; omitted when empty.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub revoke: Vec<String>,
}

/// A user with full **role objects**: the body of `GET /v2/auth/users/<name>` and an
/// entry of [`UserList`].
///
/// `roles` is omitted when there are none: `{"user":"dave"}`. A single user whose
/// role no longer exists answers 404 `auth: Role <r> does not exist.`; in the list
/// such roles are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserWithRoles {
    /// User name.
    #[serde(default)]
    pub user: String,
    /// The user's roles with their permissions; omitted when empty.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<Role>,
}

/// The body of `GET /v2/auth/users`: `{"users":[..]}` sorted by name, and
/// `{"users":null}` when there are no users (an empty list is written as `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    /// All users, with expanded roles.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        serialize_with = "empty_as_null"
    )]
    pub users: Vec<UserWithRoles>,
}

/// A role: the body of `GET`/`PUT /v2/auth/roles/<name>`, the PUT answer, and an
/// entry of [`RoleList`] and [`UserWithRoles::roles`].
///
/// Wire: `{"role":"fooRW","permissions":{"kv":{"read":[..],"write":[..]}}}`, plus
/// `"grant":{"kv":..}` / `"revoke":{"kv":..}` in update requests only. Creating needs
/// neither grant nor revoke (an existing role then answers 409); updating needs
/// one of them and empty `permissions`. etcdctl sends
/// `{"role":"r4","permissions":{"kv":{"read":null,"write":null}},"grant":{"kv":{"read":["/zz"],"write":null}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Role name; must equal the name in the URL (else 400).
    #[serde(default)]
    pub role: String,
    /// The role's permissions; always sent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Permissions,
    /// Permissions to add (update requests); omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Permissions>,
    /// Permissions to remove (update requests); omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<Permissions>,
}

/// `{"kv":{"read":..,"write":..}}`: permissions by resource (only the key space).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Key-space permissions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub kv: RwPermission,
}

/// `{"read":[..],"write":[..]}`: key patterns a role may read and write.
///
/// A pattern ending in `*` matches every key with that prefix, others match one key.
/// Each list is `null` (`None`) when never set and `[]` when emptied by a revoke;
/// both are always sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RwPermission {
    /// Patterns of readable keys.
    #[serde(default)]
    pub read: Option<Vec<String>>,
    /// Patterns of writable keys.
    #[serde(default)]
    pub write: Option<Vec<String>>,
}

/// The body of `GET /v2/auth/roles`: `{"roles":[..]}` sorted by name (`root` always
/// exists; an empty list would be written as `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleList {
    /// All roles with their permissions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        serialize_with = "empty_as_null"
    )]
    pub roles: Vec<Role>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn enc<T: Serialize>(v: &T) -> String {
        String::from_utf8(json::to_vec(v)).unwrap()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Decodes a reference body and checks that encoding gives its bytes back.
    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(body: &str) -> T {
        let v: T = serde_json::from_str(body).unwrap();
        assert_eq!(enc(&v), body.trim_end());
        v
    }

    #[test]
    fn auth_status() {
        let s: AuthStatus = round_trip("{\"enabled\":false}\n");
        assert!(!s.enabled);
        let s: AuthStatus = round_trip(r#"{"enabled":true}"#);
        assert!(s.enabled);
    }

    #[test]
    fn user_list_empty_is_null() {
        let l: UserList = round_trip("{\"users\":null}\n");
        assert!(l.users.is_empty());
        assert_eq!(enc(&UserList::default()), r#"{"users":null}"#);
    }

    #[test]
    fn user_list_expands_roles_and_omits_missing_ones() {
        let body = r#"{"users":[{"user":"alice","roles":[{"role":"fooRW","permissions":{"kv":{"read":["/foo/*"],"write":["/foo/*"]}}}]},{"user":"bob","roles":[{"role":"barR","permissions":{"kv":{"read":["/bar","/bar/*"],"write":["/bar/w*"]}}},{"role":"fooRW","permissions":{"kv":{"read":["/foo/*"],"write":["/foo/*"]}}}]},{"user":"carl"},{"user":"dave"},{"user":"root","roles":[{"role":"root","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}]}]}"#;
        let l: UserList = round_trip(body);
        let names: Vec<&str> = l.users.iter().map(|u| u.user.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carl", "dave", "root"]);
        let bob = &l.users[1];
        assert_eq!(bob.roles.len(), 2);
        assert_eq!(bob.roles[0].role, "barR");
        assert_eq!(bob.roles[0].permissions.kv.write, Some(strs(&["/bar/w*"])));
        assert!(l.users[2].roles.is_empty());
    }

    #[test]
    fn get_user_has_role_objects() {
        let u: UserWithRoles = round_trip(
            "{\"user\":\"alice\",\"roles\":[{\"role\":\"fooRW\",\"permissions\":{\"kv\":{\"read\":[\"/foo/*\"],\"write\":[\"/foo/*\"]}}}]}\n",
        );
        assert_eq!(u.user, "alice");
        assert_eq!(u.roles[0].role, "fooRW");
        assert_eq!(u.roles[0].permissions.kv.read, Some(strs(&["/foo/*"])));
        // Without roles the key is omitted.
        let u: UserWithRoles = round_trip(r#"{"user":"dave"}"#);
        assert!(u.roles.is_empty());
        // Role names are the other shape and do not decode as role objects.
        assert!(
            serde_json::from_str::<UserWithRoles>(r#"{"user":"root","roles":["root"]}"#).is_err()
        );
    }

    #[test]
    fn put_user_answers_have_role_names() {
        let u: User = round_trip("{\"user\":\"root\",\"roles\":[\"root\"]}\n");
        assert_eq!(u.roles, Some(strs(&["root"])));
        assert_eq!(u.password, None);
        let u: User = round_trip(r#"{"user":"dave","roles":null}"#);
        assert_eq!(u.roles, None);
        let u: User = round_trip(r#"{"user":"root","roles":[]}"#);
        assert_eq!(u.roles, Some(vec![]));
        let u: User = round_trip(r#"{"user":"bob","roles":["barR","fooRW","nosuch"]}"#);
        assert_eq!(u.roles.unwrap().len(), 3);
    }

    #[test]
    fn user_requests_match_etcdctl_bytes() {
        // etcdctl --debug user add gina:gpw
        let add = User {
            user: "gina".into(),
            password: Some("gpw".into()),
            ..User::default()
        };
        assert_eq!(
            enc(&add),
            r#"{"user":"gina","password":"gpw","roles":null}"#
        );
        // etcdctl --debug user grant frank --roles r4 / revoke --roles r2
        let grant = User {
            user: "frank".into(),
            grant: strs(&["r4"]),
            ..User::default()
        };
        assert_eq!(
            enc(&grant),
            r#"{"user":"frank","roles":null,"grant":["r4"]}"#
        );
        let revoke = User {
            user: "frank".into(),
            revoke: strs(&["r2"]),
            ..User::default()
        };
        assert_eq!(
            enc(&revoke),
            r#"{"user":"frank","roles":null,"revoke":["r2"]}"#
        );
        // etcdctl --debug user passwd frank with an empty password: omitted.
        let passwd = User {
            user: "frank".into(),
            password: Some(String::new()),
            ..User::default()
        };
        assert_eq!(enc(&passwd), r#"{"user":"frank","roles":null}"#);
        for u in [add, grant, revoke] {
            assert_eq!(serde_json::from_str::<User>(&enc(&u)).unwrap(), u);
        }
    }

    #[test]
    fn user_requests_sent_by_hand_decode() {
        let u: User = serde_json::from_str(r#"{"user":"root","password":"rootpw"}"#).unwrap();
        assert_eq!(
            (u.user.as_str(), u.password.as_deref()),
            ("root", Some("rootpw"))
        );
        assert_eq!(u.roles, None);
        let u: User =
            serde_json::from_str(r#"{"user":"bob","grant":["fooRW"],"revoke":["barR"]}"#).unwrap();
        assert_eq!((u.grant, u.revoke), (strs(&["fooRW"]), strs(&["barR"])));
        let u: User = serde_json::from_str(r#"{"user":"x","grant":null,"revoke":null}"#).unwrap();
        assert!(u.grant.is_empty() && u.revoke.is_empty());
    }

    #[test]
    fn roles_null_versus_empty_permissions() {
        let r: Role = round_trip(
            "{\"role\":\"emptyrole\",\"permissions\":{\"kv\":{\"read\":null,\"write\":null}}}\n",
        );
        assert_eq!(r.permissions.kv, RwPermission::default());
        assert_eq!((r.grant, r.revoke), (None, None));
        let r: Role = round_trip(r#"{"role":"guest","permissions":{"kv":{"read":[],"write":[]}}}"#);
        assert_eq!(r.permissions.kv.read, Some(vec![]));
        let r: Role = round_trip(
            r#"{"role":"barR","permissions":{"kv":{"read":["/bar","/bar/*"],"write":[]}}}"#,
        );
        assert_eq!(r.permissions.kv.read, Some(strs(&["/bar", "/bar/*"])));
        assert_eq!(r.permissions.kv.write, Some(vec![]));
    }

    #[test]
    fn role_list() {
        let body = "{\"roles\":[{\"role\":\"barR\",\"permissions\":{\"kv\":{\"read\":[\"/bar\",\"/bar/*\"],\"write\":[\"/bar/w*\"]}}},{\"role\":\"emptyrole\",\"permissions\":{\"kv\":{\"read\":null,\"write\":null}}},{\"role\":\"fooRW\",\"permissions\":{\"kv\":{\"read\":[\"/foo/*\"],\"write\":[\"/foo/*\"]}}},{\"role\":\"root\",\"permissions\":{\"kv\":{\"read\":[\"/*\"],\"write\":[\"/*\"]}}}]}\n";
        let l: RoleList = round_trip(body);
        let names: Vec<&str> = l.roles.iter().map(|r| r.role.as_str()).collect();
        assert_eq!(names, ["barR", "emptyrole", "fooRW", "root"]);
        assert_eq!(l.roles[1].permissions.kv.read, None);
        assert_eq!(l.roles[3].permissions.kv.write, Some(strs(&["/*"])));
        let l: RoleList = serde_json::from_str(r#"{"roles":null}"#).unwrap();
        assert!(l.roles.is_empty());
    }

    #[test]
    fn role_requests_match_etcdctl_bytes() {
        // etcdctl --debug role add r5
        let add = Role {
            role: "r5".into(),
            ..Role::default()
        };
        assert_eq!(
            enc(&add),
            r#"{"role":"r5","permissions":{"kv":{"read":null,"write":null}}}"#
        );
        // etcdctl --debug role grant r4 --path /zz --rw
        let zz = Permissions {
            kv: RwPermission {
                read: Some(strs(&["/zz"])),
                write: Some(strs(&["/zz"])),
            },
        };
        let grant = Role {
            role: "r4".into(),
            grant: Some(zz.clone()),
            ..Role::default()
        };
        assert_eq!(
            enc(&grant),
            r#"{"role":"r4","permissions":{"kv":{"read":null,"write":null}},"grant":{"kv":{"read":["/zz"],"write":["/zz"]}}}"#
        );
        // etcdctl --debug role revoke r4 --path /zz --rw
        let revoke = Role {
            role: "r4".into(),
            revoke: Some(zz),
            ..Role::default()
        };
        assert_eq!(
            enc(&revoke),
            r#"{"role":"r4","permissions":{"kv":{"read":null,"write":null}},"revoke":{"kv":{"read":["/zz"],"write":["/zz"]}}}"#
        );
        // etcdctl --debug role grant r1 --path /p --read
        let read_only = Role {
            role: "r1".into(),
            grant: Some(Permissions {
                kv: RwPermission {
                    read: Some(strs(&["/p"])),
                    write: None,
                },
            }),
            ..Role::default()
        };
        assert_eq!(
            enc(&read_only),
            r#"{"role":"r1","permissions":{"kv":{"read":null,"write":null}},"grant":{"kv":{"read":["/p"],"write":null}}}"#
        );
        for r in [add, grant, revoke, read_only] {
            assert_eq!(serde_json::from_str::<Role>(&enc(&r)).unwrap(), r);
        }
    }

    #[test]
    fn role_requests_sent_by_hand_decode() {
        let r: Role =
            serde_json::from_str(r#"{"role":"barR","grant":{"kv":{"read":["/baz/*"]}}}"#).unwrap();
        assert_eq!(r.permissions, Permissions::default());
        let g = r.grant.unwrap();
        assert_eq!(g.kv.read, Some(strs(&["/baz/*"])));
        assert_eq!(g.kv.write, None);
        let r: Role = serde_json::from_str(r#"{"role":"x","permissions":null}"#).unwrap();
        assert_eq!(r.permissions, Permissions::default());
        let r: Role = serde_json::from_str(r#"{"role":"x","permissions":{"kv":null}}"#).unwrap();
        assert_eq!(r.permissions.kv, RwPermission::default());
    }

    #[test]
    fn auth_error_bodies() {
        for msg in [
            "Insufficient credentials",
            "auth: Role guest does not exist.",
            "auth: User tmpu does not exist",
            "Invalid JSON in request body.",
        ] {
            let e: AuthErrorBody = round_trip(&format!(r#"{{"message":"{msg}"}}"#));
            assert_eq!(e.message, msg);
        }
    }
}
