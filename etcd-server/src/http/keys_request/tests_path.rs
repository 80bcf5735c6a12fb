//! Tests of the key paths: routing, Go `ServeMux` redirects, percent
//! decoding and bad path escapes (spec keys-api.md §1, §10).

use super::*;

// ----- §1, §10 paths ------------------------------------------------------

fn clean(k: &str) -> Option<KeysPath> {
    Some(KeysPath::Clean(k.to_owned()))
}

fn redirect(l: &str) -> Option<KeysPath> {
    Some(KeysPath::Redirect(l.to_owned()))
}

#[test]
fn routing() {
    assert_eq!(key_path("/v2/keys", None), clean("/"));
    assert_eq!(key_path("/v2/keys/", None), clean("/"));
    assert_eq!(key_path("/v2/keys/foo", None), clean("/foo"));
    assert_eq!(
        key_path("/v2/keys/foo/bar", Some("recursive=true")),
        clean("/foo/bar")
    );
    for p in [
        "/v2/keysfoo",
        "/v2/key",
        "/v2/",
        "/v2",
        "/",
        "/v2/members",
        "/v2/keysfoo/a",
    ] {
        assert_eq!(key_path(p, None), None, "{p}");
    }
    // Unclean paths outside the keys API are not ours.
    assert_eq!(key_path("/foo//bar", None), None);
    assert_eq!(key_path("/v2/keysfoo//a", None), None);
}

#[test]
fn trailing_slash_is_not_a_redirect() {
    assert_eq!(key_path("/v2/keys/a/", None), clean("/a"));
    assert_eq!(key_path("/v2/keys/norm/c/", None), clean("/norm/c"));
    assert_eq!(key_path("/v2/keys/a%2F", None), clean("/a"));
    assert_eq!(key_path("/v2/keys%2F", None), clean("/"));
}

#[test]
fn redirects_of_the_spec() {
    let cases = [
        ("/v2/keys/norm//a", "/v2/keys/norm/a"),
        ("/v2/keys//norm/a", "/v2/keys/norm/a"),
        ("/v2/keys/norm/../norm/a", "/v2/keys/norm/a"),
        ("/v2/keys/norm/./a", "/v2/keys/norm/a"),
        ("/v2/keys/../keys/norm/a", "/v2/keys/norm/a"),
        ("/v2/keys/norm/%2E%2E/norm/a", "/v2/keys/norm/a"),
        ("/v2/keys/norm//b", "/v2/keys/norm/b"),
        ("/v2/keys/norm/x/../d", "/v2/keys/norm/d"),
        ("/v2/keys/norm/%2E%2E/e", "/v2/keys/e"),
    ];
    for (path, location) in cases {
        assert_eq!(key_path(path, None), redirect(location), "{path}");
    }
    assert_eq!(
        key_path("/v2/keys//u2", Some("recursive=true&sorted=true")),
        redirect("/v2/keys/u2?recursive=true&sorted=true")
    );
}

#[test]
fn redirects_checked_against_the_reference() {
    let cases: [(&str, Option<&str>, &str); 18] = [
        // The Location is the cleaned decoded path, escaped again as Go's
        // url.URL does; the raw query is kept as it came.
        (
            "/v2/keys//sp%20ace",
            Some("a=b%20c&d"),
            "/v2/keys/sp%20ace?a=b%20c&d",
        ),
        ("/v2/keys//pct%25", None, "/v2/keys/pct%25"),
        ("/v2/keys//q%3Fmark", None, "/v2/keys/q%3Fmark"),
        ("/v2/keys//hash%23", None, "/v2/keys/hash%23"),
        ("/v2/keys//%E2%98%83", None, "/v2/keys/%E2%98%83"),
        ("/v2/keys//%e2%98%83", None, "/v2/keys/%E2%98%83"),
        ("/v2/keys//%FF", None, "/v2/keys/%FF"),
        (
            "/v2/keys//a!'()*\"<>[]^`{|}~$&+,;=:@x",
            None,
            "/v2/keys/a%21%27%28%29%2A%22%3C%3E%5B%5D%5E%60%7B%7C%7D~$&+,;=:@x",
        ),
        ("/v2/keys//a{b}c|d\\e", None, "/v2/keys/a%7Bb%7Dc%7Cd%5Ce"),
        // Redirects may leave the keys API.
        ("/v2/keys/../foo", None, "/v2/foo"),
        ("/v2/keys/..", None, "/v2"),
        ("/v2/keys%2F..%2Fx", None, "/v2/x"),
        // ...or come back into it.
        ("/v2/../v2/keys/a", None, "/v2/keys/a"),
        ("/v2//keys/a", None, "/v2/keys/a"),
        ("/v2/keys/.", None, "/v2/keys"),
        ("/v2/keys/a/.", None, "/v2/keys/a"),
        // A trailing slash is kept.
        ("/v2/keys/a/./", None, "/v2/keys/a/"),
        // An empty query ("?" alone) is dropped; non-ASCII in the query
        // is hex-escaped in lower case.
        ("/v2/keys//a", Some("x=\u{e9}"), "/v2/keys/a?x=%c3%a9"),
    ];
    for (path, q, location) in cases {
        assert_eq!(key_path(path, q), redirect(location), "{path} {q:?}");
    }
    assert_eq!(key_path("/v2/keys//a", Some("")), redirect("/v2/keys/a"));
    assert_eq!(
        redirect_location(b"/foo//bar", Some("x=1")),
        Some("/foo/bar?x=1".into())
    );
    assert_eq!(redirect_location(b"/foo/bar/", Some("x=1")), None);
    assert_eq!(redirect_location(b"/", None), None);
}

#[test]
fn key_decoding() {
    let cases = [
        ("/v2/keys/sp%20ace", "/sp ace"),
        ("/v2/keys/uni/%E2%98%83", "/uni/☃"),
        ("/v2/keys/q%3Fmark", "/q?mark"),
        ("/v2/keys/hash%23", "/hash#"),
        ("/v2/keys/pct%25", "/pct%"),
        ("/v2/keys/norm%2Fa", "/norm/a"),
        ("/v2/keys%2Fa", "/a"),
        // `+` is not a space in a path.
        ("/v2/keys/a+b", "/a+b"),
        // Invalid UTF-8: one mark per bad byte (JSON shows each as
        // `\ufffd`, Go-style); a genuine U+FFFD stays itself.
        ("/v2/keys/%FF", "/\u{10ffff}"),
        ("/v2/keys/%FE", "/\u{10fffe}"),
        ("/v2/keys/a%E2%98", "/a\u{10ffe2}\u{10ff98}"),
        ("/v2/keys/%EF%BF%BD", "/\u{fffd}"),
        ("/v2/keys/%C3%A9", "/é"),
        ("/v2/keys/%c3%a9", "/é"),
        ("/v2/keys/é", "/é"),
        ("/v2/keys/_hidden", "/_hidden"),
        ("/v2/keys/...", "/..."),
        ("/v2/keys/.a/..b", "/.a/..b"),
    ];
    for (path, key) in cases {
        assert_eq!(key_path(path, None), clean(key), "{path}");
    }
}

#[test]
fn bad_path_escapes() {
    for p in [
        "/v2/keys/%zz",
        "/v2/keys/a%2",
        "/v2/keys/a%",
        "/v2/%zz",
        "/%g0",
        "/v2/keys//%zz",
    ] {
        assert_eq!(key_path(p, None), Some(KeysPath::BadRequest), "{p}");
        assert_eq!(unescape_path(p), None, "{p}");
    }
    assert_eq!(unescape_path("/a%2Fb+c").as_deref(), Some(&b"/a/b+c"[..]));
}

#[test]
fn mux_clean_matches_go() {
    let cases: [(&str, &str); 11] = [
        ("", "/"),
        ("/", "/"),
        ("//", "/"),
        ("/a/b", "/a/b"),
        ("/a/b/", "/a/b/"),
        ("/a//b//", "/a/b/"),
        ("/../a", "/a"),
        ("/a/../..", "/"),
        ("/a/../../", "/"),
        ("/./", "/"),
        ("/a/./b/../c/", "/a/c/"),
    ];
    for (p, want) in cases {
        assert_eq!(mux_clean(p.as_bytes()), want.as_bytes(), "{p}");
    }
}

/// Every path of up to seven bytes over `/`, `.` and `a`.
fn small_paths() -> Vec<Vec<u8>> {
    let mut all = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..7 {
        last = last
            .iter()
            .flat_map(|p: &Vec<u8>| {
                [b'/', b'.', b'a'].map(|b| {
                    let mut q = p.clone();
                    q.push(b);
                    q
                })
            })
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}

#[test]
fn a_path_is_clean_exactly_when_cleaning_leaves_it_as_it_is() {
    let paths = small_paths();
    assert_eq!(paths.len(), 3280);
    for p in paths {
        assert_eq!(
            is_mux_clean(&p),
            mux_clean(&p) == p,
            "{}",
            String::from_utf8_lossy(&p)
        );
    }
}
