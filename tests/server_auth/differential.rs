//! The same auth requests against our server and the reference (when it is
//! installed), each answer compared: status, `Content-Type`, whether
//! `X-Etcd-Cluster-Id` is present, `X-Etcd-Index`, `Allow` and the body;
//! then the store index and what the request did to `/v2/stats/store` (the
//! auth records are store keys, so both must move alike).
//!
//! A step is `AUTH METHOD TARGET [BODY]`: AUTH is `-` (none), `user:password`
//! or `H=<raw Authorization value>` with `%20` for spaces.

use super::{send, stats_delta, store_index, store_stats, wait_started};
use crate::util::{reference_etcd, Raw, Server};

/// The spec's walkthrough (auth.md §2, §3): users, roles, grants, enabling,
/// refusals, disabling.
const WALKTHROUGH: &[&str] = &[
    "- GET /v2/auth/enable",
    "- GET /v2/auth/users",
    "- GET /v2/auth/roles",
    "- GET /v2/auth/roles/guest",
    "- GET /v2/auth/users/root",
    "- PUT /v2/auth/enable",
    r#"- PUT /v2/auth/users/root {"user":"root","password":"rootpw"}"#,
    "- GET /v2/auth/users",
    r#"- PUT /v2/auth/users/root {"user":"root","password":"rootpw"}"#,
    r#"- PUT /v2/auth/users/alice {"user":"bob","password":"x"}"#,
    r#"- PUT /v2/auth/users/nopw {"user":"nopw"}"#,
    r#"- PUT /v2/auth/users/carl {"user":"carl","password":"c","roles":["nosuchrole"]}"#,
    r#"- PUT /v2/auth/users/dave {"user":"dave","password":"d"}"#,
    "- PUT /v2/auth/users/dave {bad",
    r#"- PUT /v2/auth/roles/fooRW {"role":"fooRW","permissions":{"kv":{"read":["/foo/*"],"write":["/foo/*"]}}}"#,
    r#"- PUT /v2/auth/roles/barR {"role":"barR","permissions":{"kv":{"read":["/bar","/bar/*"],"write":[]}}}"#,
    r#"- PUT /v2/auth/roles/fooRW {"role":"fooRW"}"#,
    r#"- PUT /v2/auth/roles/emptyrole {"role":"emptyrole"}"#,
    "- GET /v2/auth/roles",
    "- GET /v2/auth/roles/nosuch",
    r#"- PUT /v2/auth/users/alice {"user":"alice","password":"alicepw","roles":["fooRW"]}"#,
    "- GET /v2/auth/users/alice",
    r#"- PUT /v2/auth/users/bob {"user":"bob","password":"bobpw"}"#,
    r#"- PUT /v2/auth/users/bob {"user":"bob","grant":["barR"]}"#,
    r#"- PUT /v2/auth/users/bob {"user":"bob","grant":["barR"]}"#,
    r#"- PUT /v2/auth/users/bob {"user":"bob","grant":["nosuch"]}"#,
    r#"- PUT /v2/auth/users/bob {"user":"bob","revoke":["fooRW"]}"#,
    r#"- PUT /v2/auth/users/bob {"user":"bob","grant":["fooRW"],"revoke":["barR"]}"#,
    r#"- PUT /v2/auth/users/bob {"user":"bob","grant":["barR"]}"#,
    r#"- PUT /v2/auth/users/dave {"user":"dave"}"#,
    r#"- PUT /v2/auth/users/dave {"user":"dave"}"#,
    r#"- PUT /v2/auth/roles/barR {"role":"barR","grant":{"kv":{"read":["/baz/*"]}}}"#,
    r#"- PUT /v2/auth/roles/barR {"role":"barR","revoke":{"kv":{"read":["/baz/*"]}}}"#,
    r#"- PUT /v2/auth/roles/barR {"role":"barR","revoke":{"kv":{"read":["/notgranted"]}}}"#,
    r#"- PUT /v2/auth/roles/barR {"role":"barR","grant":{"kv":{"write":["/bar/w*"]}}}"#,
    r#"- PUT /v2/auth/roles/root {"role":"root","grant":{"kv":{"read":["/x"]}}}"#,
    "- DELETE /v2/auth/roles/root",
    r#"- PUT /v2/auth/roles/tmp {"role":"tmp"}"#,
    "- DELETE /v2/auth/roles/tmp",
    "- DELETE /v2/auth/roles/tmp",
    r#"- PUT /v2/auth/users/tmpu {"user":"tmpu","password":"x"}"#,
    "- DELETE /v2/auth/users/tmpu",
    "- DELETE /v2/auth/users/tmpu",
    "- GET /v2/auth/users",
    "- PUT /v2/keys/foo/a value=fa",
    "- PUT /v2/keys/bar value=b",
    "- PUT /v2/keys/other value=o",
    "- PUT /v2/auth/enable",
    "- PUT /v2/auth/enable",
    "- GET /v2/auth/enable",
    "root:rootpw PUT /v2/auth/enable",
    "root:rootpw GET /v2/auth/roles",
    "- GET /v2/keys/other",
    "- PUT /v2/keys/other value=o2",
    "- GET /v2/auth/users",
    "- DELETE /v2/auth/enable",
    "root:wrong GET /v2/keys/other",
    "root:wrong GET /v2/auth/users",
    "nosuchuser:pw GET /v2/keys/other",
    "H=Basic%20!!! GET /v2/keys/other",
    "H=Bearer%20abc GET /v2/keys/other",
    "root:rootpw GET /v2/auth/users/alice",
    r#"root:rootpw PUT /v2/auth/roles/guest {"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#,
    "- GET /v2/keys/other",
    "- PUT /v2/keys/other value=o3",
    "- DELETE /v2/keys/other",
    "- GET /v2/keys/other?wait=true",
    "alice:alicepw GET /v2/keys/foo/a",
    "alice:alicepw PUT /v2/keys/foo/b value=fb",
    "alice:alicepw GET /v2/keys/foo",
    "alice:alicepw GET /v2/keys/foo?recursive=true",
    "alice:alicepw PUT /v2/keys/foo dir=true",
    "alice:alicepw GET /v2/keys/",
    "alice:alicepw GET /v2/keys",
    "alice:alicepw POST /v2/keys/foo/q value=inorder",
    "alice:alicepw DELETE /v2/keys/foo/q?recursive=true",
    "alice:alicepw PUT /v2/keys/foo/deep/er value=x",
    "alice:alicepw GET /v2/auth/users/alice",
    r#"alice:alicepw PUT /v2/auth/users/alice {"user":"alice","password":"new"}"#,
    "bob:bobpw GET /v2/keys/bar",
    "bob:bobpw GET /v2/keys/bar/x",
    "bob:bobpw PUT /v2/keys/bar/x value=nope",
    "bob:bobpw PUT /v2/keys/bar/wok value=ok",
    "bob:bobpw GET /v2/keys/bar?recursive=true",
    "bob:bobpw GET /v2/keys/other?wait=true",
    "- GET /version",
    r#"- POST /v2/members {"peerURLs":["http://127.0.0.1:42393"]}"#,
    r#"alice:alicepw POST /v2/members {"peerURLs":["http://127.0.0.1:42393"]}"#,
    r#"- PUT /v2/members/1234 {"peerURLs":["http://127.0.0.1:42394"]}"#,
    "- DELETE /v2/members/1234",
    "root:rootpw DELETE /v2/auth/users/root",
    r#"root:rootpw PUT /v2/auth/users/root {"user":"root","revoke":["root"]}"#,
    "root:rootpw GET /v2/auth/users/root",
    "root:rootpw GET /v2/keys/other",
    "alice:alicepw DELETE /v2/auth/enable",
    "root:rootpw DELETE /v2/auth/enable",
    "- DELETE /v2/auth/enable",
    "- GET /v2/auth/enable",
    "root:wrong GET /v2/keys/foo/a",
    "- GET /v2/auth/roles/guest",
];

/// The permission matrix of auth.md §4, the raw-path quirks, credentials
/// in odd shapes, request-shape errors, Go's JSON decoding, and how the
/// members handler checks methods and member ids around its root check.
const MATRIX_AND_QUIRKS: &[&str] = &[
    "- PUT /v2/keys/foo/a/b value=1",
    "- PUT /v2/keys/foox value=1",
    "- PUT /v2/keys/bar value=1",
    r#"- PUT /v2/auth/users/root {"user":"root","password":"rootpw"}"#,
    r#"- PUT /v2/auth/roles/glob {"role":"glob","permissions":{"kv":{"read":["/foo/*"],"write":["/foo/*"]}}}"#,
    r#"- PUT /v2/auth/roles/exact {"role":"exact","permissions":{"kv":{"read":["/foo"],"write":["/foo"]}}}"#,
    r#"- PUT /v2/auth/roles/prefix {"role":"prefix","permissions":{"kv":{"read":["/foo*"]}}}"#,
    r#"- PUT /v2/auth/roles/all {"role":"all","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}"#,
    r#"- PUT /v2/auth/users/g {"user":"g","password":"p","roles":["glob"]}"#,
    r#"- PUT /v2/auth/users/x {"user":"x","password":"p","roles":["exact"]}"#,
    r#"- PUT /v2/auth/users/p {"user":"p","password":"p","roles":["prefix"]}"#,
    r#"- PUT /v2/auth/users/a {"user":"a","password":"p","roles":["nosuch","all"]}"#,
    "- PUT /v2/auth/enable",
    r#"root:rootpw PUT /v2/auth/roles/guest {"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#,
    "g:p GET /v2/keys/foo",
    "x:p GET /v2/keys/foo",
    "p:p GET /v2/keys/foo",
    "g:p GET /v2/keys/foo/",
    "x:p GET /v2/keys/foo/",
    "g:p GET /v2/keys/foo?recursive=true",
    "x:p GET /v2/keys/foo?recursive=true",
    "p:p GET /v2/keys/foo?recursive=true",
    "g:p GET /v2/keys/foo/?recursive=true",
    "g:p GET /v2/keys/foo/a?recursive=true",
    "x:p GET /v2/keys/foo/a/b",
    "g:p GET /v2/keys/foox",
    "p:p GET /v2/keys/foox",
    "p:p GET /v2/keys/bar",
    "g:p GET /v2/keys/foo/a/b?wait=true&waitIndex=1",
    "p:p GET /v2/keys/foo?wait=true&recursive=true&waitIndex=1",
    "g:p GET /v2/keys/foo/?wait=true&recursive=true&waitIndex=1",
    "g:p PUT /v2/keys/foo/new value=1",
    "x:p PUT /v2/keys/foo/new value=1",
    "p:p PUT /v2/keys/foo/new value=1",
    "g:p PUT /v2/keys/foo?dir=true&prevExist=true",
    "x:p PUT /v2/keys/foo?dir=true&prevExist=true",
    "g:p POST /v2/keys/foo/q value=1",
    "g:p DELETE /v2/keys/foo/new",
    "g:p DELETE /v2/keys/foo/a?recursive=true",
    "g:p DELETE /v2/keys/foo?recursive=true",
    "a:p GET /v2/keys",
    "a:p GET /v2/keys/?sorted=true",
    "a:p GET /v2/keys/?recursive=true&sorted=true",
    "root:rootpw GET /v2/keys?recursive=true&sorted=true",
    "a:p GET /v2/keys/%62ar",
    "g:p GET /v2/keys/foo/../bar",
    "g:p GET /v2/keys/foo%2F",
    "g:p GET /v2/keys/foo?recursive=maybe",
    "g:p PATCH /v2/keys/foo/a",
    "g:p HEAD /v2/keys/foox",
    "p:p HEAD /v2/keys/foox",
    "H=basic%20YTpw GET /v2/keys/bar",
    "H=BASIC%20YTpw GET /v2/keys/bar",
    "H=Basic%20%20YTpw GET /v2/keys/bar",
    "H=Basic%20YTpw== GET /v2/keys/bar",
    "a:p:extra GET /v2/keys/bar",
    "../enabled:x GET /v2/keys/bar",
    "root:rootpw GET /v2/auth/users?x=%zz",
    "root:rootpw GET /v2/auth/users/g?x=%zz",
    "root:rootpw GET /v2/auth/users/nosuch?x=%zz",
    "root:rootpw GET /v2/auth/roles?a;b",
    "root:rootpw GET /v2/auth/roles/glob?x=%zz",
    "root:rootpw GET /v2/auth/roles/a/b",
    "- GET /v2/auth/users/a/b",
    "root:rootpw GET /v2/auth/users/",
    "root:rootpw GET /v2/auth/users/g/",
    "root:rootpw GET /v2/auth",
    "root:rootpw GET /v2/auth/enable/",
    "root:rootpw POST /v2/auth/enable",
    "root:rootpw HEAD /v2/auth/users",
    "root:rootpw POST /v2/auth/users/g",
    "root:rootpw POST /v2/auth/roles",
    r#"root:rootpw PUT /v2/auth/users/Case {"USER":"Case","PassWord":"pw","user":"Case"}"#,
    r#"root:rootpw PUT /v2/auth/roles/g1 {"role":"g1","permissions":{"kv":{"read":["/foo/*"]}},"grant":{"kv":{}}}"#,
    "root:rootpw GET /v2/auth/roles/g1",
    r#"root:rootpw PUT /v2/auth/roles/g1 {"role":"g1","revoke":{"kv":{"read":["/nope"]}}}"#,
    r#"root:rootpw PUT /v2/auth/roles/g2 {"role":"g2"}"#,
    r#"root:rootpw PUT /v2/auth/roles/g2 {"role":"g2","revoke":{"kv":{"read":["/nope"]}}}"#,
    r#"root:rootpw PUT /v2/auth/roles/g2 {"role":"g2","grant":{"kv":{"read":["/b","/a"]}}}"#,
    "root:rootpw PUT /v2/auth/roles/g2 null",
    r#"root:rootpw PUT /v2/auth/roles/g2 {"role":"g2"} trailing"#,
    "root:rootpw PUT /v2/auth/roles/g2 [1]",
    r#"root:rootpw PUT /v2/auth/roles/g2 {"role":5}"#,
    r#"root:rootpw PUT /v2/auth/roles/g2 {"role":"g2","grant":{"kv":{"read":["/x"]}},"permissions":{"kv":{"read":["/y"]}}}"#,
    r#"root:rootpw PUT /v2/auth/roles/g2 {"role":"g2","grant":{"kv":{"read":["/x","/x"]}}}"#,
    r#"root:rootpw PUT /v2/auth/roles/zz {"role":"zz","grant":{"kv":{"read":["/x"]}}}"#,
    r#"root:rootpw PUT /v2/auth/roles/root {"role":"root"}"#,
    r#"root:rootpw PUT /v2/auth/users/y {"user":"y","password":"p","roles":["a"],"grant":["b"]}"#,
    r#"root:rootpw PUT /v2/auth/users/y {"user":"y","password":"p","roles":[],"grant":["b"]}"#,
    r#"root:rootpw PUT /v2/auth/users/y {"user":"y","password":"p","roles":[]}"#,
    r#"root:rootpw PUT /v2/auth/users/y {"user":"y","password":"p","roles":["q"]}"#,
    r#"root:rootpw PUT /v2/auth/users/y {"user":"y"}"#,
    r#"root:rootpw PUT /v2/auth/users/_hid {"user":"_hid","password":"x"}"#,
    "root:rootpw GET /v2/auth/users/_hid",
    r#"root:rootpw PUT /v2/auth/users/w {"user":"w","password":"x","roles":["b","a","b"]}"#,
    r#"root:rootpw PUT /v2/auth/users/w {"user":"w"}"#,
    r#"root:rootpw PUT /v2/auth/users/w {"user":"w"}"#,
    "root:rootpw DELETE /v2/auth/roles/glob",
    "g:p GET /v2/keys/foo/a",
    "root:rootpw GET /v2/auth/users/g",
    "root:rootpw GET /v2/auth/users",
    "- HEAD /v2/members",
    "root:rootpw HEAD /v2/members/leader",
    "root:rootpw DELETE /v2/members",
    "root:rootpw PUT /v2/members/",
    "root:rootpw PUT /v2/members/xyz",
    "root:rootpw DELETE /v2/members/xyz",
    "root:rootpw PUT /v2/members/1234",
    r#"root:rootpw POST /v2/members/leader {"peerURLs":[]}"#,
    "root:rootpw DELETE /v2/auth/enable",
    "- DELETE /v2/auth/users/root",
    "- GET /v2/auth/users",
];

/// One parsed step.
fn step(line: &str) -> (Option<String>, &str, &str, &str) {
    let mut parts = line.splitn(4, ' ');
    let auth = parts.next().expect("auth");
    let method = parts.next().expect("method");
    let target = parts.next().expect("target");
    let body = parts.next().unwrap_or("");
    let auth = (auth != "-").then(|| auth.replace("%20", " "));
    (auth, method, target, body)
}

fn describe(r: &Raw, cluster_id: &str) -> String {
    format!(
        "{} ct={:?} cluster-id={} etcd-index={:?} allow={:?} body={}",
        r.status,
        r.header("Content-Type"),
        r.header("X-Etcd-Cluster-Id").is_some(),
        r.header("X-Etcd-Index"),
        r.header("Allow"),
        r.text().replace(cluster_id, "<cluster-id>")
    )
}

/// Runs `line` and reports the answer, what it did to the store counters
/// and the store index after it.
fn run(server: &Server, cluster_id: &str, line: &str) -> String {
    let (auth, method, target, body) = step(line);
    let before = store_stats(server);
    let answer = send(server, auth.as_deref(), method, target, body);
    let delta = stats_delta(&before, &store_stats(server));
    format!(
        "{}\n    stats {delta:?} index {}",
        describe(&answer, cluster_id),
        store_index(server)
    )
}

fn compare(steps: &[&str]) {
    let Some(etcd) = reference_etcd() else {
        eprintln!("SKIPPED auth differential: the reference etcd is not installed");
        return;
    };
    let ours = Server::start();
    let reference = Server::start_with(etcd, &[]);
    wait_started(&ours);
    wait_started(&reference);
    let cluster_id = |s: &Server| {
        let r = send(s, None, "GET", "/v2/members", "");
        r.header("X-Etcd-Cluster-Id").unwrap_or_default().to_owned()
    };
    let (our_id, ref_id) = (cluster_id(&ours), cluster_id(&reference));
    let mut diffs = Vec::new();
    for line in steps {
        let a = run(&ours, &our_id, line);
        let b = run(&reference, &ref_id, line);
        if a != b {
            diffs.push(format!("{line}\n  ours: {a}\n  ref:  {b}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} steps differ:\n{}",
        diffs.len(),
        steps.len(),
        diffs.join("\n")
    );
}

#[test]
fn walkthrough_matches_the_reference() {
    compare(WALKTHROUGH);
}

#[test]
fn permission_matrix_and_quirks_match_the_reference() {
    compare(MATRIX_AND_QUIRKS);
}
