//! Auth in a three-member cluster: users, roles and grants made through one
//! member are enforced by the others, and membership changes relayed by a
//! follower still need the root user.

use super::{eventually, send};
use crate::util::start_cluster;

const ROOT: Option<&str> = Some("root:rootpw");

#[test]
fn grants_made_on_one_member_are_enforced_by_all() {
    let members = start_cluster(3);
    let (a, b, c) = (&members[0], &members[1], &members[2]);
    let put = |m: &crate::util::Server, target: &str, body: &str| {
        let r = send(m, ROOT, "PUT", target, body);
        assert!(r.status < 300, "PUT {target}: {} {}", r.status, r.text());
    };
    // Set up through different members.
    put(
        a,
        "/v2/auth/users/root",
        r#"{"user":"root","password":"rootpw"}"#,
    );
    put(
        b,
        "/v2/auth/roles/app",
        r#"{"role":"app","permissions":{"kv":{"read":["/app/*"],"write":["/app/*"]}}}"#,
    );
    put(
        c,
        "/v2/auth/users/svc",
        r#"{"user":"svc","password":"svcpw","roles":["app"]}"#,
    );
    assert_eq!(send(b, None, "PUT", "/v2/auth/enable", "").status, 200);
    put(
        a,
        "/v2/auth/roles/guest",
        r#"{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#,
    );
    for m in &members {
        eventually("auth enabled and guest emptied everywhere", || {
            send(m, None, "GET", "/v2/keys/app/x", "").status == 401
        });
        assert_eq!(
            send(m, None, "GET", "/v2/auth/enable", "").text(),
            "{\"enabled\":true}\n"
        );
        let r = send(m, Some("svc:svcpw"), "PUT", "/v2/keys/app/x", "value=1");
        assert!(
            r.status == 200 || r.status == 201,
            "{}: {} {}",
            m.url(),
            r.status,
            r.text()
        );
        assert_eq!(
            send(m, Some("svc:svcpw"), "PUT", "/v2/keys/other", "value=1").status,
            401
        );
        assert_eq!(
            send(m, Some("svc:wrong"), "GET", "/v2/keys/app/x", "").status,
            401
        );
        assert_eq!(
            send(m, Some("svc:svcpw"), "GET", "/v2/auth/users", "").status,
            401
        );
        assert_eq!(send(m, ROOT, "GET", "/v2/auth/users/svc", "").status, 200);
    }
    // A grant through the third member is enforced by the first two.
    assert_eq!(
        send(a, ROOT, "PUT", "/v2/keys/other", "value=1").status,
        201
    );
    assert_eq!(
        send(a, Some("svc:svcpw"), "GET", "/v2/keys/other", "").status,
        401
    );
    put(
        c,
        "/v2/auth/roles/app",
        r#"{"role":"app","grant":{"kv":{"read":["/other"]}}}"#,
    );
    for m in [a, b] {
        eventually("the grant on every member", || {
            send(m, Some("svc:svcpw"), "GET", "/v2/keys/other", "").status == 200
        });
    }
    // A password change through the second member: the old one stops
    // working on the others as soon as they apply it.
    put(
        b,
        "/v2/auth/users/svc",
        r#"{"user":"svc","password":"newpw"}"#,
    );
    for m in [a, c] {
        eventually("the new password on every member", || {
            send(m, Some("svc:svcpw"), "GET", "/v2/keys/app/x", "").status == 401
        });
        assert_eq!(
            send(m, Some("svc:newpw"), "GET", "/v2/keys/app/x", "").status,
            200
        );
    }
    // Membership changes need root on every member, followers included (they
    // pass the credentials on to the leader).
    let body = r#"{"peerURLs":["http://127.0.0.1:1"]}"#;
    for m in &members {
        assert_eq!(
            send(m, Some("svc:newpw"), "POST", "/v2/members", body).status,
            401
        );
        let r = send(m, ROOT, "DELETE", "/v2/members/1234", "");
        assert_eq!(
            (r.status, r.text()),
            (404, r#"{"message":"No such member: 1234"}"#.to_owned()),
            "{}",
            m.url()
        );
    }
}
