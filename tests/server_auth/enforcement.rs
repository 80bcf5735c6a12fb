//! Our server alone, against the answers auth.md records: the permission
//! matrix of §4, the exact 401 answers of §3, what enabling and disabling
//! do, password and role changes taking effect at once, membership changes
//! for root only, the index and counters auth writes move, and auth
//! surviving a restart.

use super::{send, stats_delta, store_index, store_stats, wait_started};
use crate::util::{snap_files, Server};

const ROOT: Option<&str> = Some("root:rootpw");

/// PUTs a JSON body as root and checks the status.
fn put(server: &Server, target: &str, body: &str, status: u16) {
    let r = send(server, ROOT, "PUT", target, body);
    assert_eq!(r.status, status, "PUT {target} {body}: {}", r.text());
}

/// Root user, roles `glob` (rw `/foo/*`), `exact` (rw `/foo`), `prefix`
/// (read `/foo*`), users `g`, `x`, `p` with them, data `/foo/a/b`, `/foox`,
/// `/bar`, auth enabled and the guest role emptied.
fn matrix_setup(s: &Server) {
    for key in ["/foo/a/b", "/foox", "/bar"] {
        assert_eq!(
            send(s, None, "PUT", &format!("/v2/keys{key}"), "value=1").status,
            201
        );
    }
    put(
        s,
        "/v2/auth/users/root",
        r#"{"user":"root","password":"rootpw"}"#,
        201,
    );
    let roles = [
        ("glob", r#"{"read":["/foo/*"],"write":["/foo/*"]}"#),
        ("exact", r#"{"read":["/foo"],"write":["/foo"]}"#),
        ("prefix", r#"{"read":["/foo*"]}"#),
    ];
    for (name, kv) in roles {
        let body = format!(r#"{{"role":"{name}","permissions":{{"kv":{kv}}}}}"#);
        put(s, &format!("/v2/auth/roles/{name}"), &body, 201);
    }
    for (user, role) in [("g", "glob"), ("x", "exact"), ("p", "prefix")] {
        let body = format!(r#"{{"user":"{user}","password":"p","roles":["{role}"]}}"#);
        put(s, &format!("/v2/auth/users/{user}"), &body, 200);
    }
    assert_eq!(send(s, None, "PUT", "/v2/auth/enable", "").status, 200);
    let revoke = r#"{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#;
    put(s, "/v2/auth/roles/guest", revoke, 200);
}

/// auth.md §4 "permission matching matrix": status per user g, x, p and
/// anonymous.
const MATRIX: &[(&str, &str, [u16; 4])] = &[
    ("GET", "/v2/keys/foo", [401, 200, 200, 401]),
    ("GET", "/v2/keys/foo/", [200, 401, 200, 401]),
    ("GET", "/v2/keys/foo?recursive=true", [401, 401, 200, 401]),
    ("GET", "/v2/keys/foo/?recursive=true", [200, 401, 200, 401]),
    ("GET", "/v2/keys/foo/a", [200, 401, 200, 401]),
    ("GET", "/v2/keys/foo/a?recursive=true", [200, 401, 200, 401]),
    ("GET", "/v2/keys/foo/a/b", [200, 401, 200, 401]),
    ("GET", "/v2/keys/foox", [401, 401, 200, 401]),
    ("GET", "/v2/keys/bar", [401, 401, 401, 401]),
    ("GET", "/v2/keys/", [401, 401, 401, 401]),
    (
        "GET",
        "/v2/keys/foo/a/b?wait=true&waitIndex=1",
        [200, 401, 200, 401],
    ),
    (
        "GET",
        "/v2/keys/foo?wait=true&recursive=true&waitIndex=1",
        [401, 401, 200, 401],
    ),
    (
        "GET",
        "/v2/keys/foo/?wait=true&recursive=true&waitIndex=1",
        [200, 401, 200, 401],
    ),
];

/// Writes of the matrix, run once per user in this order (each changes
/// state). `x` updating the directory `/foo`: the spec's table shows the
/// store's 403 there, recorded in another state; the reference answers this
/// sequence with 200 (an update of the directory), as the differential test
/// checks, and so do we.
const MATRIX_WRITES: &[(&str, &str, &str, [u16; 4])] = &[
    ("PUT", "/v2/keys/foo/new", "value=1", [201, 401, 401, 401]),
    (
        "PUT",
        "/v2/keys/foo/a/new2",
        "value=1",
        [201, 401, 401, 401],
    ),
    (
        "PUT",
        "/v2/keys/foo?dir=true&prevExist=true",
        "",
        [401, 200, 401, 401],
    ),
    ("POST", "/v2/keys/foo/q", "value=1", [201, 401, 401, 401]),
    ("DELETE", "/v2/keys/foo/new", "", [200, 401, 401, 401]),
    (
        "DELETE",
        "/v2/keys/foo/a?recursive=true",
        "",
        [200, 401, 401, 401],
    ),
    (
        "DELETE",
        "/v2/keys/foo?recursive=true",
        "",
        [401, 401, 401, 401],
    ),
];

#[test]
fn permission_matrix_of_the_spec() {
    let s = Server::start();
    matrix_setup(&s);
    let users = [Some("g:p"), Some("x:p"), Some("p:p"), None];
    let reads = MATRIX.iter().map(|&(m, t, want)| (m, t, "", want));
    let mut wrong = Vec::new();
    for (method, target, body, want) in reads.chain(MATRIX_WRITES.iter().copied()) {
        for (user, want) in users.iter().zip(want) {
            let got = send(&s, *user, method, target, body).status;
            if got != want {
                wrong.push(format!("{method} {target} as {user:?}: {got}, want {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Header names and values of an answer, without `Date` and `Content-Length`.
fn headers(r: &crate::util::Raw) -> Vec<String> {
    r.headers
        .iter()
        .filter(|h| {
            let name = h.split(':').next().unwrap_or_default().to_ascii_lowercase();
            // Connection: close answers the test client's own header.
            !matches!(name.as_str(), "date" | "content-length" | "connection")
        })
        .cloned()
        .collect()
}

const CORS: [&str; 3] = [
    "Access-Control-Allow-Headers: accept, content-type, authorization",
    "Access-Control-Allow-Methods: POST, GET, OPTIONS, PUT, DELETE",
    "Access-Control-Allow-Origin: *",
];

#[test]
fn refusals_are_the_references() {
    let s = Server::start();
    matrix_setup(&s);
    let cluster_id = send(&s, None, "GET", "/v2/members", "")
        .header("X-Etcd-Cluster-Id")
        .expect("cluster id")
        .to_owned();
    let mut keys_401: Vec<String> = CORS.iter().map(|h| h.to_string()).collect();
    keys_401.push("Content-Type: application/json".into());
    keys_401.push(format!("X-Etcd-Cluster-Id: {cluster_id}"));
    keys_401.push("X-Etcd-Index: 0".into());
    let keys_body = "{\"errorCode\":110,\"message\":\"The request requires user authentication\",\"cause\":\"Insufficient credentials\",\"index\":0}\n";
    // Anonymous, wrong password, unknown user, malformed headers: one answer,
    // even where the guest role would allow the request.
    put(
        &s,
        "/v2/auth/roles/guest",
        r#"{"role":"guest","grant":{"kv":{"read":["/bar"]}}}"#,
        200,
    );
    assert_eq!(send(&s, None, "GET", "/v2/keys/bar", "").status, 200);
    for auth in [
        Some("root:wrong"),
        Some("nosuch:pw"),
        Some("H=Basic !!!"),
        Some("H=Bearer abc"),
        Some("H=Basic cm9vdA=="),
    ] {
        let r = send(&s, auth, "GET", "/v2/keys/bar", "");
        assert_eq!(
            (r.status, headers(&r), r.text()),
            (401, keys_401.clone(), keys_body.into()),
            "{auth:?}"
        );
    }
    let r = send(&s, None, "GET", "/v2/keys/foox", "");
    assert_eq!(
        (r.status, headers(&r), r.text()),
        (401, keys_401.clone(), keys_body.into())
    );
    // The auth API's refusal: no cluster id, no newline.
    let mut auth_401: Vec<String> = CORS.iter().map(|h| h.to_string()).collect();
    auth_401.push("Content-Type: application/json".into());
    for (auth, method, target) in [
        (None, "GET", "/v2/auth/users"),
        (Some("root:wrong"), "GET", "/v2/auth/roles"),
        (Some("g:p"), "GET", "/v2/auth/users/g"),
        (None, "PUT", "/v2/auth/enable"),
        (Some("g:p"), "DELETE", "/v2/auth/enable"),
        (None, "POST", "/v2/members"),
        (Some("g:p"), "DELETE", "/v2/members/1234"),
        (None, "PUT", "/v2/members/1234"),
    ] {
        let r = send(&s, auth, method, target, "");
        let want = (
            401,
            auth_401.clone(),
            r#"{"message":"Insufficient credentials"}"#.to_owned(),
        );
        assert_eq!(
            (r.status, headers(&r), r.text()),
            want,
            "{method} {target} as {auth:?}"
        );
    }
    // Still public with auth on.
    for target in [
        "/v2/auth/enable",
        "/v2/members",
        "/v2/members/leader",
        "/v2/stats/self",
        "/v2/stats/store",
        "/version",
        "/health",
        "/v2/machines",
    ] {
        assert_eq!(send(&s, None, "GET", target, "").status, 200, "{target}");
    }
    assert_eq!(
        send(&s, None, "GET", "/v2/auth/enable", "").text(),
        "{\"enabled\":true}\n"
    );
}

#[test]
fn enabling_disabling_and_changes_take_effect_at_once() {
    let s = Server::start();
    // Before enabling, credentials are ignored, even wrong ones.
    assert_eq!(
        send(&s, Some("who:ever"), "PUT", "/v2/keys/k", "value=1").status,
        201
    );
    let r = send(&s, None, "PUT", "/v2/auth/enable", "");
    assert_eq!(
        (r.status, r.text()),
        (
            409,
            r#"{"message":"auth: No root user available, please create one"}"#.into()
        )
    );
    put(
        &s,
        "/v2/auth/users/root",
        r#"{"user":"root","password":"rootpw"}"#,
        201,
    );
    put(
        &s,
        "/v2/auth/users/u",
        r#"{"user":"u","password":"one"}"#,
        201,
    );
    let r = send(&s, None, "PUT", "/v2/auth/enable", "");
    assert_eq!((r.status, r.text()), (200, String::new()));
    // The guest role the first enable created keeps anonymous access open.
    let guest = send(&s, ROOT, "GET", "/v2/auth/roles/guest", "");
    assert_eq!(
        guest.text(),
        "{\"role\":\"guest\",\"permissions\":{\"kv\":{\"read\":[\"/*\"],\"write\":[\"/*\"]}}}\n"
    );
    assert_eq!(send(&s, None, "GET", "/v2/keys/k", "").status, 200);
    let r = send(&s, ROOT, "PUT", "/v2/auth/enable", "");
    assert_eq!(
        (r.status, r.text()),
        (409, r#"{"message":"auth: already enabled"}"#.into())
    );
    // A user without roles may not write; a grant works at once, so does a
    // password change (the old password stops working immediately).
    put(
        &s,
        "/v2/auth/roles/w",
        r#"{"role":"w","permissions":{"kv":{"read":["/k"],"write":["/k"]}}}"#,
        201,
    );
    assert_eq!(
        send(&s, Some("u:one"), "PUT", "/v2/keys/k", "value=2").status,
        401
    );
    put(&s, "/v2/auth/users/u", r#"{"user":"u","grant":["w"]}"#, 200);
    assert_eq!(
        send(&s, Some("u:one"), "PUT", "/v2/keys/k", "value=2").status,
        200
    );
    put(
        &s,
        "/v2/auth/users/u",
        r#"{"user":"u","password":"two"}"#,
        200,
    );
    assert_eq!(send(&s, Some("u:one"), "GET", "/v2/keys/k", "").status, 401);
    assert_eq!(send(&s, Some("u:two"), "GET", "/v2/keys/k", "").status, 200);
    // Role changes too.
    put(
        &s,
        "/v2/auth/roles/w",
        r#"{"role":"w","revoke":{"kv":{"read":["/k"]}}}"#,
        200,
    );
    assert_eq!(send(&s, Some("u:two"), "GET", "/v2/keys/k", "").status, 401);
    // Deleting and re-creating the user with the same password: a new record.
    assert_eq!(send(&s, ROOT, "DELETE", "/v2/auth/users/u", "").status, 200);
    assert_eq!(
        send(&s, Some("u:two"), "PUT", "/v2/keys/k", "value=3").status,
        401
    );
    put(
        &s,
        "/v2/auth/users/u",
        r#"{"user":"u","password":"two","roles":["w"]}"#,
        200,
    );
    assert_eq!(
        send(&s, Some("u:two"), "PUT", "/v2/keys/k", "value=3").status,
        200
    );
    // The root user stays while auth is on, and always keeps the root role.
    let r = send(&s, ROOT, "DELETE", "/v2/auth/users/root", "");
    assert_eq!(
        (r.status, r.text()),
        (
            403,
            r#"{"message":"auth: Cannot delete root user while auth is enabled."}"#.into()
        )
    );
    let r = send(
        &s,
        ROOT,
        "PUT",
        "/v2/auth/users/root",
        r#"{"user":"root","revoke":["root"]}"#,
    );
    assert_eq!(r.text(), "{\"user\":\"root\",\"roles\":[]}\n");
    assert_eq!(send(&s, ROOT, "GET", "/v2/auth/users", "").status, 200);
    // Disabling keeps users and roles.
    assert_eq!(send(&s, ROOT, "DELETE", "/v2/auth/enable", "").status, 200);
    let r = send(&s, None, "DELETE", "/v2/auth/enable", "");
    assert_eq!(
        (r.status, r.text()),
        (409, r#"{"message":"auth: already disabled"}"#.into())
    );
    assert_eq!(
        send(&s, Some("u:wrong"), "GET", "/v2/keys/k", "").status,
        200
    );
    let r = send(&s, None, "GET", "/v2/auth/roles/w", "");
    assert_eq!(
        r.text(),
        "{\"role\":\"w\",\"permissions\":{\"kv\":{\"read\":[],\"write\":[\"/k\"]}}}\n"
    );
}

#[test]
fn auth_writes_are_store_writes() {
    // Snapshots every few entries: the restart below loads the auth records
    // from a snapshot, not only from the log.
    let bin = crate::util::workspace_bin("etcd-server");
    let mut s = Server::start_with(bin, &["--snapshot-count", "4"]);
    wait_started(&s);
    assert_eq!(store_index(&s), 3);
    // The first auth write also creates /2, /2/users, /2/roles and
    // /2/enabled: five indexes, five creates; the failing lookups of the
    // root check and of the existing-user check are gets.
    let before = store_stats(&s);
    put(
        &s,
        "/v2/auth/users/root",
        r#"{"user":"root","password":"rootpw"}"#,
        201,
    );
    let delta = stats_delta(&before, &store_stats(&s));
    assert_eq!(
        delta,
        vec![("createSuccess".into(), 5), ("getsFail".into(), 2)]
    );
    assert_eq!(store_index(&s), 8);
    put(
        &s,
        "/v2/auth/roles/r",
        r#"{"role":"r","permissions":{"kv":{"read":["/a/*"]}}}"#,
        201,
    );
    put(
        &s,
        "/v2/auth/users/u",
        r#"{"user":"u","password":"pw","roles":["r"]}"#,
        200,
    );
    assert_eq!(store_index(&s), 10);
    assert_eq!(send(&s, None, "PUT", "/v2/auth/enable", "").status, 200);
    // The guest role and the flag.
    assert_eq!(store_index(&s), 12);
    // Users, roles and the flag survive a restart.
    assert!(!snap_files(&s).is_empty(), "no snapshot was taken");
    s.restart();
    assert_eq!(
        send(&s, None, "GET", "/v2/auth/enable", "").text(),
        "{\"enabled\":true}\n"
    );
    let r = send(&s, Some("u:pw"), "GET", "/v2/keys/a/x", "");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        send(&s, Some("u:bad"), "GET", "/v2/keys/a/x", "").status,
        401
    );
    assert_eq!(send(&s, ROOT, "GET", "/v2/auth/users/u", "").status, 200);
    // After the restart the process creates the directories again: they
    // exist, so those creates fail and only the flag's update counts. The
    // flag is read three times (root check, status, disable), the root user
    // once.
    let before = store_stats(&s);
    assert_eq!(send(&s, ROOT, "DELETE", "/v2/auth/enable", "").status, 200);
    let delta = stats_delta(&before, &store_stats(&s));
    assert_eq!(
        delta,
        vec![
            ("createFail".into(), 4),
            ("getsSuccess".into(), 4),
            ("updateSuccess".into(), 1)
        ]
    );
}
