//! Tests of the form errors (210: bad escapes, semicolons, content types)
//! and the body size limit (spec keys-api.md §11), checked against the
//! reference.

use super::go_form::go_quote;
use super::test_support::*;
use super::*;

// ----- form errors (210), checked against the reference -----------------

#[test]
fn bad_escapes() {
    let bad = |q: &str| err(query(Method::Put, q));
    assert_eq!(bad("value=%zz"), e210(r#""invalid URL escape \"%zz\"""#));
    assert_eq!(bad("value=a%"), e210(r#""invalid URL escape \"%\"""#));
    assert_eq!(bad("value=%4"), e210(r#""invalid URL escape \"%4\"""#));
    assert_eq!(bad("%zz=1"), e210(r#""invalid URL escape \"%zz\"""#));
    // The first bad escape is reported, in body-then-query order.
    assert_eq!(
        bad("value=%yy&x=%zz"),
        e210(r#""invalid URL escape \"%yy\"""#)
    );
    assert_eq!(
        err(form(Method::Put, Some("value=%yy"), "value=%zz")),
        e210(r#""invalid URL escape \"%zz\"""#)
    );
    assert_eq!(
        err(form(Method::Put, Some("%zz=1"), "value=ok")),
        e210(r#""invalid URL escape \"%zz\"""#)
    );
    // A form error comes before every parameter error.
    assert_eq!(
        bad("prevIndex=x&value=%zz"),
        e210(r#""invalid URL escape \"%zz\"""#)
    );
    // GET and DELETE query strings are parsed the same way.
    assert_eq!(
        err(query(Method::Get, "x=%zz")),
        e210(r#""invalid URL escape \"%zz\"""#)
    );
    assert_eq!(
        err(query(Method::Delete, "x=%zz")),
        e210(r#""invalid URL escape \"%zz\"""#)
    );
}

#[test]
fn escape_error_quoting() {
    let body = |b: &[u8]| err(parse(Method::Put, "/q".into(), None, FORM, b));
    let cases: [(&[u8], &str); 11] = [
        (b"value=%\xc3\xa9", r#""invalid URL escape \"%é\"""#),
        (
            b"value=%\xe2\x98\x83",
            r#""invalid URL escape \"%\\xe2\\x98\"""#,
        ),
        (b"value=%\xc2\x85", r#""invalid URL escape \"%\\u0085\"""#),
        (b"value=%\x01x", r#""invalid URL escape \"%\\x01x\"""#),
        (b"value=%\x7f", r#""invalid URL escape \"%\\x7f\"""#),
        (b"value=%\"x", r#""invalid URL escape \"%\\\"x\"""#),
        (b"value=%\\x", r#""invalid URL escape \"%\\\\x\"""#),
        (b"value=%4", r#""invalid URL escape \"%4\"""#),
        (b"value=%", r#""invalid URL escape \"%\"""#),
        (b"value=%\xc2\xad", r#""invalid URL escape \"%\\u00ad\"""#),
        (b"value=%%%", r#""invalid URL escape \"%%%\"""#),
    ];
    for (b, want) in cases {
        assert_eq!(body(b), e210(want), "{}", String::from_utf8_lossy(b));
    }
    assert_eq!(go_quote(b"%\n\t"), r#""%\n\t""#);
    assert_eq!(go_quote(b"%\xff"), r#""%\xff""#);
    assert_eq!(go_quote("%\u{a0}".as_bytes()), r#""%\u00a0""#);
    assert_eq!(go_quote("%ж".as_bytes()), "\"%ж\"");
}

#[test]
fn semicolons() {
    let semi = e210(r#""invalid semicolon separator in query""#);
    assert_eq!(err(query(Method::Put, "value=x;y=1")), semi);
    assert_eq!(err(query(Method::Get, "x;y")), semi);
    // The semicolon error overrides escape errors before and after it.
    assert_eq!(err(form(Method::Put, None, "a=1;b=2&value=%zz")), semi);
    assert_eq!(err(form(Method::Put, None, "value=%zz&a=1;b=2")), semi);
    assert_eq!(err(form(Method::Put, None, "value=x&;")), semi);
    // ...but not an earlier body error when it is in the query.
    assert_eq!(
        err(form(Method::Put, Some("a;b"), "value=%zz")),
        e210(r#""invalid URL escape \"%zz\"""#)
    );
    // An escaped semicolon is a plain character.
    assert_eq!(ok(query(Method::Put, "value=a%3Bb")).value, b"a;b");
}

#[test]
fn content_types() {
    let put =
        |ct: &str, body: &str| parse(Method::Put, "/ct".into(), None, Some(ct), body.as_bytes());
    let parsed = [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "APPLICATION/X-WWW-FORM-URLENCODED",
        "  application/x-www-form-urlencoded  ",
        "application/x-www-form-urlencoded;",
        "application/x-www-form-urlencoded; a=\"\"",
        "application/x-www-form-urlencoded ; charset=x",
        "application/x-www-form-urlencoded; a=\"q\\\"uoted\"; b=2",
        "Application/X-Www-Form-Urlencoded;Charset=UTF-8",
    ];
    for ct in parsed {
        assert_eq!(ok(put(ct, "value=v")).value, b"v", "{ct}");
        assert!(is_form(Some(ct)), "{ct}");
    }
    let ignored = [
        "foo",
        "multipart/form-data",
        "text/plain",
        "application/json; charset=utf-8",
    ];
    for ct in ignored {
        assert_eq!(ok(put(ct, "value=v")).value, b"", "{ct}");
        assert!(!is_form(Some(ct)), "{ct}");
    }
    let refused = [
        (
            "application/x-www-form-urlencoded;;",
            "mime: invalid media parameter",
        ),
        (
            "application/x-www-form-urlencoded; ;",
            "mime: invalid media parameter",
        ),
        (
            "application/x-www-form-urlencoded; bad",
            "mime: invalid media parameter",
        ),
        (
            "application/x-www-form-urlencoded; a=1; a=1",
            "mime: duplicate parameter name",
        ),
        (
            "application/x-www-form-urlencoded; a=1; A=2",
            "mime: duplicate parameter name",
        ),
        (
            "application/x-www-form-urlencoded; a*=1; a*=2",
            "mime: duplicate parameter name",
        ),
        (
            "application/x-www-form-urlencoded; a=\"x",
            "mime: invalid media parameter",
        ),
        (
            "application/x-www-form-urlencoded; charset",
            "mime: invalid media parameter",
        ),
        (
            "application/x-www-form-urlencoded x",
            "mime: unexpected content after media subtype",
        ),
        ("/", "mime: no media type"),
        (";", "mime: no media type"),
        ("foo/", "mime: expected token after slash"),
        (
            "foo/bar/baz",
            "mime: unexpected content after media subtype",
        ),
        ("text/plain; bad", "mime: invalid media parameter"),
        ("foo; a=1; a=2", "mime: duplicate parameter name"),
        ("a b", "mime: expected slash after first token"),
    ];
    for (ct, cause) in refused {
        assert_eq!(
            err(put(ct, "value=v")),
            e210(&format!("\"{cause}\"")),
            "{ct}"
        );
        // The mime error comes before an escape error in the body.
        assert_eq!(
            err(put(ct, "value=%zz")),
            e210(&format!("\"{cause}\"")),
            "{ct}"
        );
    }
    // An invalid parameter still makes it the form type (Go reads the
    // body); a duplicate or a malformed type does not.
    assert!(is_form(Some("application/x-www-form-urlencoded; bad")));
    assert!(!is_form(Some(
        "application/x-www-form-urlencoded; a=1; a=1"
    )));
    assert!(!is_form(None));
    assert!(!is_form(Some("")));
    // Only PUT and POST look at the Content-Type.
    ok(parse(Method::Delete, "/x".into(), None, Some("/"), b""));
    ok(parse(Method::Get, "/x".into(), None, Some("foo/"), b""));
    assert_eq!(
        err(parse(Method::Post, "/x".into(), None, Some("foo/"), b"")),
        e210("\"mime: expected token after slash\"")
    );
}

// ----- §11 size limit ---------------------------------------------------

#[test]
fn body_size_limit() {
    let mut body = b"value=".to_vec();
    body.resize(MAX_FORM_BODY, b'a');
    let r = ok(parse(Method::Put, "/big".into(), None, FORM, &body));
    assert_eq!(r.value.len(), MAX_FORM_BODY - 6);
    body.push(b'a');
    assert_eq!(
        err(parse(Method::Put, "/big".into(), None, FORM, &body)),
        E210_LARGE
    );
    assert_eq!(
        err(parse(Method::Post, "/big".into(), None, FORM, &body)),
        E210_LARGE
    );
    // Before a bad query parameter, a bad query escape or a mime error.
    assert_eq!(
        err(parse(
            Method::Put,
            "/big".into(),
            Some("prevIndex=x&a=%zz;"),
            FORM,
            &body
        )),
        E210_LARGE
    );
    let bad_param = Some("application/x-www-form-urlencoded; bad");
    assert_eq!(
        err(parse(Method::Put, "/big".into(), None, bad_param, &body)),
        E210_LARGE
    );
    // A large body of another type is ignored.
    assert_eq!(
        err(parse(
            Method::Put,
            "/big".into(),
            Some("prevIndex=x"),
            Some("text/plain"),
            &body
        )),
        E203_PREV
    );
    assert_eq!(MAX_FORM_BODY, 10_485_760);
}

#[test]
fn unescape_decodes_runs_escapes_and_plus() {
    use super::go_form::unescape;
    assert_eq!(unescape(b"", true).unwrap(), b"");
    assert_eq!(unescape(b"plain", true).unwrap(), b"plain");
    assert_eq!(unescape(b"a%20b+c%2Bd", true).unwrap(), b"a b c+d");
    assert_eq!(unescape(b"a+b", false).unwrap(), b"a+b");
    assert_eq!(unescape(b"%41%62%7e", false).unwrap(), b"Ab~");
    assert_eq!(unescape(b"++x++", true).unwrap(), b"  x  ");
    assert_eq!(
        unescape(b"ok%zz", true).unwrap_err(),
        "invalid URL escape \"%zz\""
    );
    assert_eq!(
        unescape(b"end%4", true).unwrap_err(),
        "invalid URL escape \"%4\""
    );
}

#[test]
fn the_plain_form_type_takes_the_short_path_with_the_same_answer() {
    use super::go_form::parse_media_type;
    for ct in [
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-Urlencoded",
    ] {
        assert_eq!(
            parse_media_type(ct),
            ("application/x-www-form-urlencoded".into(), None)
        );
    }
    assert_eq!(
        parse_media_type("application/x-www-form-urlencoded; charset=utf-8"),
        ("application/x-www-form-urlencoded".into(), None)
    );
    assert_eq!(
        parse_media_type("application/x-www-form-urlencoded;;"),
        (
            "application/x-www-form-urlencoded".into(),
            Some("mime: invalid media parameter")
        )
    );
}

fn is_form(header: Option<&str>) -> bool {
    ContentType::from(header).is_form
}
