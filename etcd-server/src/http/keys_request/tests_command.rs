//! Tests of the store command a request becomes (spec keys-api.md §6.1,
//! §7, §8) and of the accepted methods.

use super::test_support::*;
use super::*;

// ----- §6.1 decision table, §7, §8 ----------------------------------------

fn set(value: &str, dir: bool, ttl: Option<u64>, refresh: bool) -> Command {
    Command::Set {
        path: "/1/foo".into(),
        value: value.into(),
        dir,
        ttl,
        refresh,
    }
}

#[test]
fn put_commands() {
    // set
    assert_eq!(
        cmd(form(Method::Put, None, "value=v")),
        set("v", false, None, false)
    );
    assert_eq!(cmd(query(Method::Put, "")), set("", false, None, false));
    assert_eq!(
        cmd(form(Method::Put, None, "value=v&ttl=100")),
        set("v", false, Some(100), false)
    );
    assert_eq!(
        cmd(form(Method::Put, None, "dir=true")),
        set("", true, None, false)
    );
    assert_eq!(
        cmd(form(Method::Put, None, "dir=true&value=abc")),
        set("abc", true, None, false)
    );
    assert_eq!(
        cmd(form(Method::Put, None, "dir=true&ttl=9")),
        set("", true, Some(9), false)
    );
    assert_eq!(
        cmd(query(Method::Put, "refresh=true&ttl=7")),
        set("", false, Some(7), true)
    );
    assert_eq!(
        cmd(query(Method::Put, "ttl=0")),
        set("", false, Some(0), false)
    );
    // prevIndex=0 means "not compared".
    assert_eq!(
        cmd(form(Method::Put, None, "value=v&prevIndex=0")),
        set("v", false, None, false)
    );
    // update
    assert_eq!(
        cmd(form(Method::Put, None, "value=v&prevExist=true&ttl=3")),
        Command::Update {
            path: "/1/foo".into(),
            value: b"v".to_vec(),
            ttl: Some(3),
            refresh: false,
        }
    );
    assert_eq!(
        cmd(query(Method::Put, "prevExist=true&refresh=true&ttl=3")),
        Command::Update {
            path: "/1/foo".into(),
            value: vec![],
            ttl: Some(3),
            refresh: true,
        }
    );
    // update dir=true: the dir flag plays no part, the value is "".
    assert_eq!(
        cmd(form(Method::Put, None, "dir=true&prevExist=true")),
        Command::Update {
            path: "/1/foo".into(),
            value: vec![],
            ttl: None,
            refresh: false,
        }
    );
    // compareAndSwap with prevExist=true
    assert_eq!(
        cmd(form(
            Method::Put,
            None,
            "value=v&prevExist=true&prevValue=old"
        )),
        Command::CompareAndSwap {
            path: "/1/foo".into(),
            prev_value: b"old".to_vec(),
            prev_index: 0,
            value: b"v".to_vec(),
            ttl: None,
            refresh: false,
        }
    );
    assert_eq!(
        cmd(form(
            Method::Put,
            None,
            "value=v&prevExist=true&prevIndex=9"
        )),
        Command::CompareAndSwap {
            path: "/1/foo".into(),
            prev_value: vec![],
            prev_index: 9,
            value: b"v".to_vec(),
            ttl: None,
            refresh: false,
        }
    );
    // create (prevExist=false): prevValue/prevIndex ignored, refresh too.
    let create = |value: &str, dir: bool, ttl| Command::Create {
        path: "/1/foo".into(),
        value: value.into(),
        dir,
        ttl,
        unique: false,
    };
    assert_eq!(
        cmd(form(Method::Put, None, "value=v&prevExist=false")),
        create("v", false, None)
    );
    assert_eq!(
        cmd(form(
            Method::Put,
            None,
            "value=v&prevExist=false&prevValue=x&prevIndex=4&ttl=8"
        )),
        create("v", false, Some(8))
    );
    assert_eq!(
        cmd(form(Method::Put, None, "dir=true&prevExist=false")),
        create("", true, None)
    );
    assert_eq!(
        cmd(query(Method::Put, "prevExist=false&refresh=true&ttl=2")),
        create("", false, Some(2))
    );
    // compareAndSwap without prevExist
    assert_eq!(
        cmd(form(
            Method::Put,
            None,
            "value=v&prevValue=old&prevIndex=3&ttl=1&refresh=false"
        )),
        Command::CompareAndSwap {
            path: "/1/foo".into(),
            prev_value: b"old".to_vec(),
            prev_index: 3,
            value: b"v".to_vec(),
            ttl: Some(1),
            refresh: false,
        }
    );
    assert_eq!(
        cmd(query(Method::Put, "prevValue=old&refresh=true&ttl=6")),
        Command::CompareAndSwap {
            path: "/1/foo".into(),
            prev_value: b"old".to_vec(),
            prev_index: 0,
            value: vec![],
            ttl: Some(6),
            refresh: true,
        }
    );
    // dir=true with a compare: still compareAndSwap.
    assert!(matches!(
        cmd(form(Method::Put, None, "dir=true&prevIndex=2")),
        Command::CompareAndSwap { prev_index: 2, .. }
    ));
}

#[test]
fn post_commands() {
    let create = |value: &str, dir: bool, ttl| Command::Create {
        path: "/1/foo".into(),
        value: value.into(),
        dir,
        ttl,
        unique: true,
    };
    assert_eq!(
        cmd(form(Method::Post, None, "value=Job1")),
        create("Job1", false, None)
    );
    assert_eq!(cmd(query(Method::Post, "")), create("", false, None));
    assert_eq!(
        cmd(form(Method::Post, None, "value=Job3&ttl=100")),
        create("Job3", false, Some(100))
    );
    assert_eq!(
        cmd(form(Method::Post, None, "dir=true")),
        create("", true, None)
    );
    // prevExist, prevValue and prevIndex are ignored.
    assert_eq!(
        cmd(form(
            Method::Post,
            None,
            "value=x&prevExist=true&prevValue=y&prevIndex=5"
        )),
        create("x", false, None)
    );
    assert_eq!(
        cmd(form(Method::Post, None, "value=x&prevExist=false")),
        create("x", false, None)
    );
    // POST to the root.
    let r = ok(parse(Method::Post, "/".into(), Some("value=r"), None, b""));
    assert_eq!(
        r.command(0).unwrap().command,
        Command::Create {
            path: "/1".into(),
            value: b"r".to_vec(),
            dir: false,
            ttl: None,
            unique: true,
        }
    );
}

#[test]
fn delete_commands() {
    let delete = |dir, recursive| Command::Delete {
        path: "/1/foo".into(),
        dir,
        recursive,
    };
    assert_eq!(cmd(query(Method::Delete, "")), delete(false, false));
    assert_eq!(cmd(query(Method::Delete, "dir=true")), delete(true, false));
    assert_eq!(
        cmd(query(Method::Delete, "recursive=true")),
        delete(false, true)
    );
    assert_eq!(
        cmd(query(Method::Delete, "dir=true&recursive=true")),
        delete(true, true)
    );
    // prevExist has no effect on DELETE.
    assert_eq!(
        cmd(query(Method::Delete, "prevExist=false")),
        delete(false, false)
    );
    assert_eq!(
        cmd(query(Method::Delete, "prevExist=true&dir=true")),
        delete(true, false)
    );
    // compareAndDelete
    let cad = |prev_value: &str, prev_index| Command::CompareAndDelete {
        path: "/1/foo".into(),
        prev_value: prev_value.into(),
        prev_index,
    };
    assert_eq!(cmd(query(Method::Delete, "prevValue=v")), cad("v", 0));
    assert_eq!(cmd(query(Method::Delete, "prevIndex=4")), cad("", 4));
    assert_eq!(
        cmd(query(
            Method::Delete,
            "prevValue=v&prevIndex=4&recursive=true"
        )),
        cad("v", 4)
    );
    assert_eq!(
        cmd(query(Method::Delete, "prevIndex=0")),
        delete(false, false)
    );
    // noValueOnSuccess is parsed, and plays no part in the command.
    assert!(ok(query(Method::Delete, "noValueOnSuccess=true")).no_value_on_success);
}

#[test]
fn reads_have_no_command() {
    for method in [Method::Get, Method::Head] {
        let r = ok(query(
            method,
            "recursive=true&sorted=true&quorum=true&value=x",
        ));
        assert!(r.recursive && r.sorted && r.quorum);
        assert!(!r.is_write());
        assert_eq!(r.command(1), None);
        assert_eq!(r.into_command(1), None);
    }
}

#[test]
fn command_carries_now_and_store_path() {
    let r = ok(parse(
        Method::Put,
        "/a/b".into(),
        Some("value=x"),
        None,
        b"",
    ));
    assert_eq!(r.store_path(), "/1/a/b");
    let req = r.clone().into_command(1_700_000_000_000_000_000).unwrap();
    assert_eq!(req.now, 1_700_000_000_000_000_000);
    assert_eq!(Some(req), r.command(1_700_000_000_000_000_000));
    let root = ok(parse(Method::Delete, "/".into(), None, None, b""));
    assert_eq!(root.store_path(), "/1");
}

#[test]
fn hyper_methods() {
    use hyper::http::Method as M;
    assert_eq!(Method::try_from(&M::GET), Ok(Method::Get));
    assert_eq!(Method::try_from(&M::HEAD), Ok(Method::Head));
    assert_eq!(Method::try_from(M::PUT), Ok(Method::Put));
    assert_eq!(Method::try_from(&M::POST), Ok(Method::Post));
    assert_eq!(Method::try_from(&M::DELETE), Ok(Method::Delete));
    assert_eq!(Method::try_from(&M::PATCH), Err(UnsupportedMethod));
    assert_eq!(Method::try_from(&M::OPTIONS), Err(UnsupportedMethod));
    let r = ok(parse(&M::PUT, "/k".into(), None, FORM, b"value=1"));
    assert_eq!((r.method, r.value.as_slice()), (Method::Put, &b"1"[..]));
    assert!(parse(&M::PATCH, "/k".into(), None, FORM, b"value=1").is_err());
    assert_eq!(Method::Delete.as_str(), "DELETE");
}
