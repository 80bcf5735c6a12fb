//! etcd-client's auth API against our server and the reference: users,
//! roles, enforcement, errors.

use etcd_client::models::{Permissions, Role, RwPermission};
use etcd_client::{Client, Error, ErrorCode, Permission};

use crate::client_api::runtime;
use crate::util::{reference_etcd, Server};

fn strs(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| s.to_string()).collect())
}

fn http(e: Error) -> (u16, String) {
    match e {
        Error::Http { status, message } => (status, message),
        other => panic!("expected Error::Http, got {other:?}"),
    }
}

fn as_user(url: &str, user: &str, password: &str) -> Client {
    Client::builder()
        .endpoint(url)
        .basic_auth(user, password)
        .build()
        .expect("client")
}

/// A write the server allows.
async fn assert_allowed(c: &Client, key: &str) {
    if let Err(e) = c.keys().set(key, "v").send().await {
        panic!("{key}: expected the write to succeed, got {e:?}");
    }
}

/// A write the server refuses for lack of permission: the keys API's error 110.
async fn assert_refused(c: &Client, key: &str) {
    match c.keys().set(key, "v").send().await {
        Err(Error::Api(e)) => {
            assert_eq!(
                (e.code, e.status, e.index),
                (ErrorCode::UNAUTHORIZED, 401, 0)
            );
            assert_eq!(e.message, "The request requires user authentication");
            assert_eq!(e.cause, "Insufficient credentials");
        }
        other => panic!("{key}: expected error 110, got {other:?}"),
    }
}

#[test]
fn auth_users_roles_and_enforcement_on_our_server() {
    let s = Server::start();
    runtime().block_on(session(&s.url()));
}

#[test]
fn auth_users_roles_and_enforcement_on_the_reference() {
    let Some(bin) = reference_etcd() else {
        println!("SKIPPED auth_users_roles_and_enforcement_on_the_reference: reference etcd not installed");
        return;
    };
    let s = Server::start_with(bin, &[]);
    runtime().block_on(session(&s.url()));
}

/// Users, roles, grants, enabling, refusals and disabling through the
/// client, on a fresh server at `url`.
async fn session(url: &str) {
    let url = url.to_owned();
    let anon = Client::new([url.as_str()]).expect("client");
    let root = as_user(&url, "root", "rootpw");
    let auth = anon.auth();
    assert!(!auth.status().await.expect("status"));
    assert!(auth.users().await.expect("users").is_empty());
    let u = auth.add_user("root", "rootpw").await.expect("add root");
    assert_eq!((u.user.as_str(), u.roles), ("root", strs(&["root"])));
    let r = auth.add_role("r").await.expect("add role");
    assert_eq!(
        (r.role.as_str(), &r.permissions),
        ("r", &Permissions::default())
    );
    let r = auth
        .grant_role("r", ["/secret/*"], Permission::ReadWrite)
        .await;
    let r = r.expect("grant role");
    let secret = RwPermission {
        read: strs(&["/secret/*"]),
        write: strs(&["/secret/*"]),
    };
    assert_eq!(r.permissions.kv, secret);
    let dup = http(auth.add_role("r").await.expect_err("duplicate role"));
    assert_eq!(dup, (409, "auth: Role r already exists.".into()));
    let u = auth.add_user("alice", "apw").await.expect("add alice");
    assert_eq!((u.user.as_str(), u.roles), ("alice", None));
    let u = auth.grant_user("alice", ["r"]).await.expect("grant user");
    assert_eq!(u.roles, strs(&["r"]));

    let users = auth.users().await.expect("users");
    let names: Vec<&str> = users.iter().map(|u| u.user.as_str()).collect();
    assert_eq!(names, ["alice", "root"]);
    assert_eq!(users[0].roles, std::slice::from_ref(&r));
    assert_eq!(users[1].roles[0].permissions.kv.write, strs(&["/*"]));
    let alice = auth.user("alice").await.expect("user");
    assert_eq!(
        (alice.user.as_str(), &alice.roles),
        ("alice", &vec![r.clone()])
    );
    let roles = auth.roles().await.expect("roles");
    let names: Vec<&str> = roles.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(names, ["r", "root"]);
    assert_eq!(auth.role("r").await.expect("role"), r);
    let nobody = http(auth.user("nobody").await.expect_err("unknown"));
    assert_eq!(nobody, (404, "auth: User nobody does not exist.".into()));
    let u = auth.revoke_user("alice", ["r"]).await.expect("revoke user");
    assert_eq!(u.roles, Some(vec![]));
    let u = auth.grant_user("alice", ["r"]).await.expect("grant again");
    assert_eq!(u.roles, strs(&["r"]));

    auth.enable().await.expect("enable");
    assert!(auth.status().await.expect("status"));
    // Enabling creates a guest role that may do everything; take that away.
    let guest = root
        .auth()
        .revoke_role("guest", ["/*"], Permission::ReadWrite);
    let guest = guest.await.expect("revoke guest");
    let none = strs(&[]);
    let nothing = RwPermission {
        read: none.clone(),
        write: none,
    };
    assert_eq!(
        (guest.role.as_str(), &guest.permissions.kv),
        ("guest", &nothing)
    );
    assert_refused(&anon, "/secret/x").await;
    let alice = as_user(&url, "alice", "apw");
    assert_allowed(&alice, "/secret/x").await;
    assert_refused(&alice, "/other").await;
    let denied = http(anon.auth().disable().await.expect_err("not root"));
    assert_eq!(denied, (401, "Insufficient credentials".into()));
    let u = root
        .auth()
        .change_password("alice", "new")
        .await
        .expect("passwd");
    assert_eq!((u.user.as_str(), u.roles), ("alice", strs(&["r"])));
    assert_refused(&alice, "/secret/y").await;
    let alice = as_user(&url, "alice", "new");
    assert_allowed(&alice, "/secret/y").await;
    root.auth().disable().await.expect("disable");

    assert!(!auth.status().await.expect("status"));
    let again = http(auth.disable().await.expect_err("already off"));
    assert_eq!(again, (409, "auth: already disabled".into()));
    auth.remove_user("alice").await.expect("remove user");
    auth.remove_role("r").await.expect("remove role");
    let gone = http(auth.remove_role("r").await.expect_err("removed"));
    assert_eq!(gone, (404, "auth: Role r doesn't exist.".into()));
    let gone = http(auth.remove_user("nobody").await.expect_err("unknown"));
    assert_eq!(gone, (404, "auth: User nobody does not exist".into()));
    let roles: Vec<Role> = auth.roles().await.expect("roles");
    let names: Vec<&str> = roles.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(names, ["guest", "root"]);
}
