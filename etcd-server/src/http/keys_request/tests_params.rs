//! Tests of the parameters: the validation order, the value syntax, the
//! sources and their precedence, and the refresh rules (spec keys-api.md
//! §4.1, §4.3, §4.4).

use super::test_support::*;
use super::*;

// ----- §4.4 validation order -------------------------------------------

#[test]
fn validation_order_transcript() {
    let cases: [(&str, String); 16] = [
        ("prevIndex=abc&waitIndex=abc", E203_PREV.into()),
        ("waitIndex=abc&recursive=maybe", E203_WAIT.into()),
        ("recursive=maybe&sorted=maybe", e209("recursive")),
        ("sorted=maybe&wait=maybe", e209("sorted")),
        ("wait=maybe&dir=maybe", e209("wait")),
        ("dir=maybe&quorum=maybe", e209("dir")),
        ("quorum=maybe&stream=maybe", e209("quorum")),
        ("stream=maybe&wait=true", e209("stream")),
        ("wait=true&prevValue=", E209_WAIT_GET.into()),
        ("prevValue=&noValueOnSuccess=maybe", E201.into()),
        ("noValueOnSuccess=maybe&ttl=abc", e209("noValueOnSuccess")),
        ("ttl=abc&prevExist=maybe", E202.into()),
        ("prevExist=maybe&refresh=maybe", e209_unquoted("prevExist")),
        ("refresh=maybe&value=x", e209_unquoted("refresh")),
        ("refresh=true&value=x", E211.into()),
        ("refresh=true", E212.into()),
    ];
    for (q, want) in cases {
        assert_eq!(err(query(Method::Put, q)), want, "PUT ?{q}");
        // The order does not depend on where the parameters appear.
        let reversed: Vec<&str> = q.split('&').rev().collect();
        let rq = reversed.join("&");
        assert_eq!(err(query(Method::Put, &rq)), want, "PUT ?{rq}");
    }
}

#[test]
fn order_holds_across_body_and_query() {
    // The check order is by parameter, not by position.
    assert_eq!(
        err(form(Method::Put, Some("prevIndex=x"), "recursive=x")),
        E203_PREV
    );
    assert_eq!(
        err(form(Method::Put, Some("recursive=x"), "prevIndex=x")),
        E203_PREV
    );
    assert_eq!(err(form(Method::Put, Some("ttl=x"), "prevExist=x")), E202);
}

#[test]
fn bool_params_invalid_transcripts() {
    for name in ["recursive", "sorted", "quorum", "wait", "stream", "dir"] {
        assert_eq!(
            err(query(Method::Get, &format!("{name}=maybe"))),
            e209(name)
        );
    }
    assert_eq!(err(query(Method::Get, "waitIndex=abc")), E203_WAIT);
    assert_eq!(err(query(Method::Get, "waitIndex=-5")), E203_WAIT);
    assert_eq!(
        err(form(
            Method::Put,
            Some("noValueOnSuccess=maybe"),
            "value=bar"
        )),
        e209("noValueOnSuccess")
    );
}

#[test]
fn empty_params_transcripts() {
    assert_eq!(
        err(form(Method::Put, None, "value=x&prevExist=")),
        e209_unquoted("prevExist")
    );
    assert_eq!(err(form(Method::Put, None, "value=x&dir=")), e209("dir"));
    assert_eq!(
        err(form(Method::Put, None, "value=x&prevIndex=")),
        E203_PREV
    );
    assert_eq!(err(query(Method::Get, "waitIndex=")), E203_WAIT);
    // A name without `=` is an empty value too.
    assert_eq!(err(query(Method::Get, "recursive")), e209("recursive"));
    assert_eq!(err(query(Method::Put, "refresh")), e209_unquoted("refresh"));
    assert_eq!(err(query(Method::Put, "prevValue")), E201);
}

#[test]
fn wait_only_with_get() {
    assert_eq!(
        err(form(Method::Put, Some("wait=true"), "value=bar")),
        E209_WAIT_GET
    );
    assert_eq!(err(query(Method::Delete, "wait=true")), E209_WAIT_GET);
    assert_eq!(err(query(Method::Post, "wait=1")), E209_WAIT_GET);
    // The reference compares with "GET": a HEAD with wait=true is a 400
    // too (checked against etcd 3.4.23).
    assert_eq!(err(query(Method::Head, "wait=true")), E209_WAIT_GET);
    // wait=false, stream and waitIndex are fine everywhere.
    let r = ok(query(Method::Put, "wait=false&stream=true&waitIndex=7"));
    assert!(!r.wait && r.stream && r.wait_index == 7);
    let r = ok(query(Method::Head, "wait=false&stream=true&waitIndex=3"));
    assert!(!r.wait && r.stream && r.wait_index == 3);
    let r = ok(query(
        Method::Get,
        "wait=true&recursive=true&stream=true&waitIndex=137",
    ));
    assert!(r.wait && r.recursive && r.stream && r.wait_index == 137);
    // waitIndex and stream without wait are parsed (and ignored).
    let r = ok(query(Method::Get, "waitIndex=1"));
    assert!(!r.wait && r.wait_index == 1);
}

#[test]
fn parameter_errors_apply_to_every_method() {
    // Checked against the reference: the checks do not look at the method.
    assert_eq!(err(query(Method::Get, "refresh=true")), E212);
    assert_eq!(err(query(Method::Get, "prevValue=")), E201);
    assert_eq!(err(query(Method::Get, "ttl=x")), E202);
    assert_eq!(
        err(query(Method::Delete, "prevExist=")),
        e209_unquoted("prevExist")
    );
    assert_eq!(err(query(Method::Post, "refresh=true&ttl=")), E212);
}

// ----- §4.3 value syntax -----------------------------------------------

#[test]
fn bool_forms() {
    let yes = ["1", "t", "T", "TRUE", "true", "True"];
    let no = ["0", "f", "F", "FALSE", "false", "False"];
    let bad = [
        "yes", "on", "TrUe", "2", "", "tRUE", " true", "true ", "y", "+1", "01", "truee",
    ];
    let names = [
        "recursive",
        "sorted",
        "quorum",
        "stream",
        "dir",
        "noValueOnSuccess",
        "prevExist",
        "refresh",
        "wait",
    ];
    for name in names {
        let get = |r: &KeyRequest| match name {
            "recursive" => r.recursive,
            "sorted" => r.sorted,
            "quorum" => r.quorum,
            "stream" => r.stream,
            "dir" => r.dir,
            "noValueOnSuccess" => r.no_value_on_success,
            "prevExist" => r.prev_exist.unwrap(),
            "refresh" => r.refresh,
            "wait" => r.wait,
            _ => unreachable!(),
        };
        // refresh=true needs a ttl.
        let extra = if name == "refresh" { "&ttl=5" } else { "" };
        for v in yes {
            let r = ok(query(Method::Get, &format!("{name}={v}{extra}")));
            assert!(get(&r), "{name}={v}");
        }
        for v in no {
            let r = ok(query(Method::Get, &format!("{name}={v}{extra}")));
            assert!(!get(&r), "{name}={v}");
        }
        for v in bad {
            let q = format!("{name}={}", v.replace(' ', "%20").replace('+', "%2B"));
            let e = query(Method::Get, &q).expect_err(&q);
            assert_eq!(e.code, ErrorCode::INVALID_FIELD, "{q}");
            assert_eq!(e, Error::invalid_bool(name), "{q}");
        }
    }
    // Absent nullable booleans stay None / false.
    let r = ok(query(Method::Put, ""));
    assert_eq!(r.prev_exist, None);
    assert!(!r.refresh);
}

#[test]
fn uint_forms() {
    let good: [(&str, u64); 7] = [
        ("0", 0),
        ("5", 5),
        ("0005", 5),
        ("000", 0),
        ("9223372036", 9_223_372_036),
        ("18446744073709551615", u64::MAX),
        ("018446744073709551615", u64::MAX),
    ];
    let bad = [
        "abc",
        "-1",
        "-5",
        "+5",
        "1.5",
        "1e3",
        "0x10",
        "%205",
        "5%20",
        "1_000",
        "18446744073709551616",
        "99999999999999999999",
        "５",
    ];
    for (v, n) in good {
        let r = ok(query(
            Method::Put,
            &format!("prevIndex={v}&waitIndex={v}&ttl={v}"),
        ));
        assert_eq!((r.prev_index, r.wait_index, r.ttl), (n, n, Some(n)), "{v}");
    }
    for v in bad {
        assert_eq!(
            err(query(Method::Put, &format!("prevIndex={v}"))),
            E203_PREV,
            "{v}"
        );
        assert_eq!(
            err(query(Method::Get, &format!("waitIndex={v}"))),
            E203_WAIT,
            "{v}"
        );
        assert_eq!(err(query(Method::Put, &format!("ttl={v}"))), E202, "{v}");
    }
    // `+` is a space in a form, so `ttl=+5` is " 5".
    assert_eq!(err(form(Method::Put, None, "value=v&ttl=+5")), E202);
    assert_eq!(err(form(Method::Put, None, "value=v&ttl=%2B5")), E202);
}

#[test]
fn ttl_empty_is_none() {
    assert_eq!(ok(query(Method::Put, "ttl=")).ttl, None);
    assert_eq!(ok(query(Method::Put, "ttl")).ttl, None);
    assert_eq!(ok(query(Method::Put, "")).ttl, None);
    // The first value decides: empty first means no TTL, whatever follows.
    assert_eq!(ok(query(Method::Put, "ttl=&ttl=abc")).ttl, None);
    assert_eq!(err(query(Method::Put, "ttl=abc&ttl=")), E202);
    assert_eq!(ok(query(Method::Put, "ttl=0")).ttl, Some(0));
}

#[test]
fn ttl_transcripts() {
    for v in ["-1", "abc", "1.5", "99999999999999999999"] {
        assert_eq!(
            err(form(Method::Put, None, &format!("value=v&ttl={v}"))),
            E202,
            "{v}"
        );
    }
    let r = ok(form(Method::Put, None, "value=v&ttl=9223372036"));
    assert_eq!(r.ttl, Some(9_223_372_036));
}

// ----- §4.1 sources and precedence -------------------------------------

#[test]
fn query_and_body_sources() {
    // PUT with params in the query string only.
    let r = ok(query(Method::Put, "value=fromquery"));
    assert_eq!(r.value, b"fromquery");
    // Body wins over the query.
    let r = ok(form(Method::Put, Some("value=fromquery"), "value=frombody"));
    assert_eq!(r.value, b"frombody");
    // ttl in the query, value in the body.
    let r = ok(form(Method::Put, Some("ttl=100"), "value=frombody"));
    assert_eq!((r.value.as_slice(), r.ttl), (&b"frombody"[..], Some(100)));
    // POST with params in the query.
    let r = ok(query(Method::Post, "value=fromquery"));
    assert_eq!(r.value, b"fromquery");
}

#[test]
fn other_bodies_are_ignored() {
    let cases = [
        (Some("application/json"), r#"{"value":"json"}"#),
        (None, "value=noct"),
        (Some(""), "value=noct"),
        (Some("text/plain"), "value=plain"),
        (Some("multipart/form-data"), "value=x"),
        (Some("foo"), "value=x"),
        (Some("application/octet-stream"), "value=x"),
        // Not parsed, so bad escapes do not matter.
        (Some("text/plain"), "value=%zz;"),
    ];
    for method in [Method::Put, Method::Post] {
        for (ct, body) in cases {
            let r = ok(parse(method, "/qs".into(), None, ct, body.as_bytes()));
            assert_eq!(r.value, b"", "{method:?} {ct:?}");
        }
    }
}

#[test]
fn get_and_delete_bodies_are_never_parsed() {
    // DELETE params in a form body: not seen (the recursive delete of a
    // dir then fails with "Not a file").
    let r = ok(form(Method::Delete, None, "recursive=true"));
    assert!(!r.recursive);
    assert!(matches!(
        r.command(1).unwrap().command,
        Command::Delete {
            recursive: false,
            dir: false,
            ..
        }
    ));
    // Neither errors in them nor their size.
    ok(form(Method::Delete, None, "value=%zz&a;b"));
    ok(form(Method::Get, None, "recursive=bad"));
    ok(form(Method::Head, None, "recursive=bad"));
    let big = vec![b'a'; MAX_FORM_BODY + 1];
    ok(parse(
        Method::Delete,
        "/big".into(),
        Some("prevIndex=3"),
        FORM,
        &big,
    ));
    assert_eq!(
        err(parse(
            Method::Delete,
            "/big".into(),
            Some("prevIndex=x"),
            FORM,
            &big
        )),
        E203_PREV
    );
}

#[test]
fn repeated_parameters_first_wins_body_first() {
    let r = ok(form(Method::Put, None, "value=first&value=second"));
    assert_eq!(r.value, b"first");
    // ?ttl=100 with -d ttl= : the body's empty ttl comes first.
    let r = ok(form(Method::Put, Some("ttl=100"), "value=x&ttl="));
    assert_eq!((r.value.as_slice(), r.ttl), (&b"x"[..], None));
    // ?prevExist=false with -d prevExist=true : update (404 on a missing key).
    let r = ok(form(
        Method::Put,
        Some("prevExist=false"),
        "value=x&prevExist=true",
    ));
    assert_eq!(r.prev_exist, Some(true));
    assert!(matches!(cmd(Ok(r)), Command::Update { .. }));
    // First value of a bool decides even when a later one is bad or good.
    assert!(ok(query(Method::Get, "recursive=true&recursive=maybe")).recursive);
    assert_eq!(
        err(query(Method::Get, "recursive=maybe&recursive=true")),
        e209("recursive")
    );
    // Empty first value, then a value.
    assert_eq!(ok(form(Method::Put, None, "=x&value=&&value=y")).value, b"");
    assert_eq!(ok(form(Method::Put, None, "value")).value, b"");
    assert_eq!(ok(form(Method::Put, None, "value&value=b")).value, b"");
    // prevValue: a non-empty first value wins, an empty first value fails.
    let r = ok(form(Method::Put, Some("prevValue=b&prevValue="), "value=c"));
    assert_eq!(r.prev_value.as_deref(), Some(&b"b"[..]));
    assert_eq!(
        err(form(Method::Put, Some("prevValue=&prevValue=b"), "value=c")),
        E201
    );
    // refresh with an empty first value is not "a value on refresh".
    let r = ok(query(Method::Put, "refresh=true&ttl=50&value=&value=x"));
    assert!(r.refresh && r.value.is_empty());
    // ...and an empty first ttl is "no ttl".
    assert_eq!(err(query(Method::Put, "refresh=true&ttl=&ttl=5")), E212);
}

#[test]
fn form_decoding() {
    let r = ok(query(Method::Put, "value=a+b%2Bc"));
    assert_eq!(r.value, b"a b+c");
    let r = ok(form(Method::Put, None, "value=a+b%2Bc%26d%3De"));
    assert_eq!(r.value, b"a b+c&d=e");
    // Keys are decoded too.
    assert_eq!(ok(query(Method::Put, "va%6Cue=enc")).value, b"enc");
    assert_eq!(ok(query(Method::Put, "val+ue=sp")).value, b"");
    // Raw bytes are kept (invalid UTF-8 included).
    assert_eq!(ok(query(Method::Put, "value=%e9")).value, vec![0xe9]);
    assert_eq!(
        ok(parse(
            Method::Put,
            "/k".into(),
            None,
            FORM,
            b"value=\xff\x00%00"
        ))
        .value,
        vec![0xff, 0, 0]
    );
    // Unknown parameters are ignored.
    let r = ok(form(Method::Put, Some("foo=bar"), "value=x&bogus=1"));
    assert_eq!(r.value, b"x");
    // Empty pairs and empty names are skipped.
    assert_eq!(ok(query(Method::Put, "&&value=x&")).value, b"x");
}

// ----- refresh ------------------------------------------------------------

#[test]
fn refresh_rules() {
    let r = ok(query(Method::Put, "refresh=true&ttl=5"));
    assert!(r.refresh && r.ttl == Some(5));
    let r = ok(query(Method::Put, "refresh=true&ttl=5&prevExist=true"));
    assert!(r.refresh && r.prev_exist == Some(true));
    assert_eq!(
        err(form(Method::Put, Some("refresh=true&ttl=5"), "value=x")),
        E211
    );
    assert_eq!(err(query(Method::Put, "refresh=true")), E212);
    assert_eq!(err(query(Method::Put, "refresh=true&ttl=")), E212);
    // value= (empty) is allowed; 211 comes before 212.
    ok(query(Method::Put, "refresh=true&ttl=5&value="));
    assert_eq!(err(query(Method::Put, "refresh=true&value=x")), E211);
    // refresh=false: no rules.
    let r = ok(form(Method::Put, Some("refresh=false"), "value=b"));
    assert!(!r.refresh && r.value == b"b" && r.ttl.is_none());
    // A bad prevExist is reported before a bad refresh.
    assert_eq!(
        err(query(Method::Put, "refresh=x&prevExist=x")),
        e209_unquoted("prevExist")
    );
}
