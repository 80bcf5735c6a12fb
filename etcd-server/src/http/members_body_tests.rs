//! Expected texts are the reference's answers (etcd 3.4.23, `POST
//! /v2/members` with each body), or Go's encoding/json where noted.

use super::peer_urls;

fn err(body: &str) -> String {
    peer_urls(body.as_bytes()).expect_err(body)
}

fn urls(body: &[u8]) -> Option<Vec<String>> {
    peer_urls(body).expect("a valid body")
}

#[test]
fn bodies_cut_short_end_unexpectedly() {
    for body in [
        "",
        "  ",
        "{",
        "{\"peerURLs\":",
        "{\"peerURLs\":[\"http://a:1\"]",
        "[",
        "\"abc",
        "{\"a\"",
    ] {
        assert_eq!(err(body), "unexpected end of JSON input", "{body:?}");
    }
    // Go's scanner reads the end of the input as a space.
    for (body, want) in [
        (
            "tru",
            "invalid character ' ' in literal true (expecting 'e')",
        ),
        ("-", "invalid character ' ' in numeric literal"),
        (
            "1.",
            "invalid character ' ' after decimal point in numeric literal",
        ),
        ("1e", "invalid character ' ' in exponent of numeric literal"),
        (
            "1e+",
            "invalid character ' ' in exponent of numeric literal",
        ),
        (
            "\"\\u12",
            "invalid character ' ' in \\u hexadecimal character escape",
        ),
        ("\"a\\", "invalid character ' ' in string escape code"),
    ] {
        assert_eq!(err(body), want, "{body:?}");
    }
}

#[test]
fn syntax_errors_name_the_character_and_where_it_is() {
    for (body, want) in [
        (
            "not json",
            "invalid character 'o' in literal null (expecting 'u')",
        ),
        (
            "bad",
            "invalid character 'b' looking for beginning of value",
        ),
        ("{} x", "invalid character 'x' after top-level value"),
        (
            "{\"peerURLs\":[\"http://127.0.0.1:5\"]} x",
            "invalid character 'x' after top-level value",
        ),
        (
            "{\"peerURLs\":[\"x\"],}",
            "invalid character '}' looking for beginning of object key string",
        ),
        (
            "{1:2}",
            "invalid character '1' looking for beginning of object key string",
        ),
        ("{\"a\" 1}", "invalid character '1' after object key"),
        (
            "{\"a\":1 \"b\"}",
            "invalid character '\"' after object key:value pair",
        ),
        ("[1 2]", "invalid character '2' after array element"),
        (
            "[1,]",
            "invalid character ']' looking for beginning of value",
        ),
        (
            "{\"a\":1]",
            "invalid character ']' after object key:value pair",
        ),
        ("[01]", "invalid character '1' after array element"),
        ("01", "invalid character '1' after top-level value"),
        ("-x", "invalid character 'x' in numeric literal"),
        (
            "1.x",
            "invalid character 'x' after decimal point in numeric literal",
        ),
        (
            "1ex",
            "invalid character 'x' in exponent of numeric literal",
        ),
        (
            "trUe",
            "invalid character 'U' in literal true (expecting 'u')",
        ),
        (
            "fals0",
            "invalid character '0' in literal false (expecting 'e')",
        ),
        ("\"a\\qb\"", "invalid character 'q' in string escape code"),
        (
            "\"\\u12x4\"",
            "invalid character 'x' in \\u hexadecimal character escape",
        ),
        ("\"a\tb\"", "invalid character '\\t' in string literal"),
        (
            "\u{1}",
            "invalid character '\\x01' looking for beginning of value",
        ),
        (
            "'a'",
            "invalid character '\\'' looking for beginning of value",
        ),
        (
            "\\",
            "invalid character '\\\\' looking for beginning of value",
        ),
        ("é", "invalid character 'Ã' looking for beginning of value"),
        (
            "\u{7f}",
            "invalid character '\\x7f' looking for beginning of value",
        ),
    ] {
        assert_eq!(err(body), want, "{body:?}");
    }
}

#[test]
fn nesting_deeper_than_go_allows_is_refused() {
    let deep = "[".repeat(10_001);
    assert_eq!(err(&deep), "invalid character '[' exceeded max depth");
    // 10 000 levels are valid (then a type error: an array is not the struct).
    let fine = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(err(&fine).starts_with("json: cannot unmarshal array"));
}

#[test]
fn values_of_the_wrong_type_are_named_as_go_names_them() {
    let top = r#"into Go value of type struct { PeerURLs []string "json:\"peerURLs\"" }"#;
    for (body, want) in [
        ("[1]", format!("json: cannot unmarshal array {top}")),
        ("\"x\"", format!("json: cannot unmarshal string {top}")),
        ("1", format!("json: cannot unmarshal number {top}")),
        ("true", format!("json: cannot unmarshal bool {top}")),
        (
            "{\"peerURLs\":\"http://127.0.0.1:42379\"}",
            "json: cannot unmarshal string into Go struct field .peerURLs of type []string".into(),
        ),
        (
            "{\"peerURLs\":{}}",
            "json: cannot unmarshal object into Go struct field .peerURLs of type []string".into(),
        ),
        (
            "{\"peerURLs\":[1]}",
            "json: cannot unmarshal number into Go struct field .peerURLs of type string".into(),
        ),
        // The first type error is the one reported, after the whole body.
        (
            "{\"peerURLs\":[\"a\",false,1],\"peerURLs\":2}",
            "json: cannot unmarshal bool into Go struct field .peerURLs of type string".into(),
        ),
    ] {
        assert_eq!(err(body), want, "{body:?}");
    }
}

#[test]
fn peer_urls_are_read_as_go_reads_them() {
    assert_eq!(urls(b"null"), None);
    assert_eq!(urls(b" {} "), None);
    assert_eq!(urls(br#"{"peerURLs":null}"#), None);
    assert_eq!(urls(br#"{"peerURLs":[]}"#), Some(vec![]));
    assert_eq!(
        urls(br#"{"other":{"x":[1,{"y":null}]},"peerURLs":["http://a:1", "http://b:2"]}"#),
        Some(vec!["http://a:1".into(), "http://b:2".into()])
    );
    // Any letter case, and the last one wins.
    assert_eq!(
        urls(br#"{"PEERURLS":["http://a:1"],"peerurls":["http://c:3"]}"#),
        Some(vec!["http://c:3".into()])
    );
    assert_eq!(
        urls("{\"peerURLſ\":[\"x\"]}".as_bytes()),
        Some(vec!["x".into()])
    );
    assert_eq!(urls(br#"{"peerURL":["x"]}"#), None);
    // A null element is an empty string.
    assert_eq!(urls(br#"{"peerURLs":[null]}"#), Some(vec![String::new()]));
    // Escapes, surrogate pairs, lone surrogates and invalid UTF-8.
    assert_eq!(
        urls(br#"{"peerURLs":["a\/b\u0041\ud83d\ude00\ud800x\n"]}"#),
        Some(vec!["a/bA\u{1f600}\u{fffd}x\n".into()])
    );
    assert_eq!(
        urls(b"{\"peerURLs\":[\"a\xe2\x82b\xffc\"]}"),
        Some(vec!["a\u{fffd}\u{fffd}b\u{fffd}c".into()])
    );
}
