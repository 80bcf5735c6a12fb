//! TTL, refresh and directory-update cases decided by the store, mostly
//! scripts for [`run`](crate::store::tests_script::run) (format: tests_script.rs).

use crate::store::testkit::Harness;
use crate::store::tests_script::{run, script};

#[test]
fn ttl_is_shown_and_counts_down() {
    script(
        r#"
PUT /t1 value=v&ttl=100
201 {"action":"set","node":{"key":"/t1","value":"v","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
GET /t1
200 {"action":"get","node":{"key":"/t1","value":"v","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
PUT /t3 value=v&ttl=3
201 {"action":"set","node":{"key":"/t3","value":"v","expiration":"2026-11-21T05:10:03Z","ttl":3,"modifiedIndex":5,"createdIndex":5}}
advance 500
GET /t3
200 {"action":"get","node":{"key":"/t3","value":"v","expiration":"2026-11-21T05:10:03Z","ttl":3,"modifiedIndex":5,"createdIndex":5}}
advance 500
GET /t3
200 {"action":"get","node":{"key":"/t3","value":"v","expiration":"2026-11-21T05:10:03Z","ttl":2,"modifiedIndex":5,"createdIndex":5}}
advance 1500
GET /t3
200 {"action":"get","node":{"key":"/t3","value":"v","expiration":"2026-11-21T05:10:03Z","ttl":1,"modifiedIndex":5,"createdIndex":5}}
advance 500
GET /t3
200 {"action":"get","node":{"key":"/t3","value":"v","expiration":"2026-11-21T05:10:03Z","modifiedIndex":5,"createdIndex":5}}
GET /t1
200 {"action":"get","node":{"key":"/t1","value":"v","expiration":"2026-11-21T05:11:40Z","ttl":97,"modifiedIndex":4,"createdIndex":4}}
PUT /td dir=true&ttl=100
201 {"action":"set","node":{"key":"/td","dir":true,"expiration":"2026-11-21T05:11:43Z","ttl":100,"modifiedIndex":6,"createdIndex":6}}
PUT /td/child value=c
201 {"action":"set","node":{"key":"/td/child","value":"c","modifiedIndex":7,"createdIndex":7}}
GET /td recursive=true
200 {"action":"get","node":{"key":"/td","dir":true,"expiration":"2026-11-21T05:11:43Z","ttl":100,"nodes":[{"key":"/td/child","value":"c","modifiedIndex":7,"createdIndex":7}],"modifiedIndex":6,"createdIndex":6}}
"#,
    );
}

#[test]
fn ttl_cleared_by_empty_ttl_set_and_update() {
    script(
        r#"
PUT /t1 value=v&ttl=100
201 {"action":"set","node":{"key":"/t1","value":"v","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
PUT /t1 value=v2&ttl=&prevExist=true
200 {"action":"update","node":{"key":"/t1","value":"v2","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/t1","value":"v","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
GET /t1
200 {"action":"get","node":{"key":"/t1","value":"v2","modifiedIndex":5,"createdIndex":4}}
PUT /t2 value=v&ttl=50
201 {"action":"set","node":{"key":"/t2","value":"v","expiration":"2026-11-21T05:10:50Z","ttl":50,"modifiedIndex":6,"createdIndex":6}}
PUT /t2 value=v&ttl=
200 {"action":"set","node":{"key":"/t2","value":"v","modifiedIndex":7,"createdIndex":7},"prevNode":{"key":"/t2","value":"v","expiration":"2026-11-21T05:10:50Z","ttl":50,"modifiedIndex":6,"createdIndex":6}}
advance 500
PUT /t2 value=v&ttl=0005
200 {"action":"set","node":{"key":"/t2","value":"v","expiration":"2026-11-21T05:10:05.5Z","ttl":5,"modifiedIndex":8,"createdIndex":8},"prevNode":{"key":"/t2","value":"v","modifiedIndex":7,"createdIndex":7}}
PUT /t2 value=w&prevExist=true
200 {"action":"update","node":{"key":"/t2","value":"w","modifiedIndex":9,"createdIndex":8},"prevNode":{"key":"/t2","value":"v","expiration":"2026-11-21T05:10:05.5Z","ttl":5,"modifiedIndex":8,"createdIndex":8}}
advance 10000
expire
counters
index 9
GET /t2
200 {"action":"get","node":{"key":"/t2","value":"w","modifiedIndex":9,"createdIndex":8}}
"#,
    );
}

#[test]
fn ttl_zero_expires_at_the_next_sweep() {
    script(
        r#"
PUT /t0 value=v&ttl=0
201 {"action":"set","node":{"key":"/t0","value":"v","expiration":"2026-11-21T05:10:00Z","modifiedIndex":4,"createdIndex":4}}
GET /t0
200 {"action":"get","node":{"key":"/t0","value":"v","expiration":"2026-11-21T05:10:00Z","modifiedIndex":4,"createdIndex":4}}
index 4
expire
counters expireCount+1
GET /t0
404 {"errorCode":100,"message":"Key not found","cause":"/t0","index":5}
index 5
"#,
    );
}

#[test]
fn huge_ttls_on_create() {
    let mut h = Harness::new();
    run(
        &mut h,
        r#"
PUT /tbig value=v&ttl=7000000000
201 {"action":"set","node":{"key":"/tbig","value":"v","expiration":"2248-09-16T17:36:40Z","ttl":7000000000,"modifiedIndex":4,"createdIndex":4}}
PUT /tbig value=v&ttl=8000000000
200 {"action":"set","node":{"key":"/tbig","value":"v","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/tbig","value":"v","expiration":"2248-09-16T17:36:40Z","ttl":7000000000,"modifiedIndex":4,"createdIndex":4}}
PUT /t4 value=v&ttl=9223372036
201 {"action":"set","node":{"key":"/t4","value":"v","modifiedIndex":6,"createdIndex":6}}
PUT /t5 value=v&ttl=8000000000&prevExist=false
201 {"action":"create","node":{"key":"/t5","value":"v","modifiedIndex":7,"createdIndex":7}}
PUT /td dir=true&ttl=9223372036
201 {"action":"set","node":{"key":"/td","dir":true,"modifiedIndex":8,"createdIndex":8}}
POST /q value=v&ttl=8000000000
201 {"action":"create","node":{"key":"/q/00000000000000000009","value":"v","modifiedIndex":9,"createdIndex":9}}
advance 1000000000
expire
counters
index 9
GET /t4
200 {"action":"get","node":{"key":"/t4","value":"v","modifiedIndex":6,"createdIndex":6}}
"#,
    );
    assert_eq!(h.store.ttl_count(), 0);
}

/// Not in the spec; checked against etcd 3.4.23: update and compareAndSwap do
/// not apply the "before 2000 = permanent" rule, so an overflowing TTL gives
/// an expiration in 1695 and the key goes at the next sweep.
#[test]
fn huge_ttl_on_update_and_cas_expires_at_once() {
    script(
        r#"
PUT /hu value=v
201 {"action":"set","node":{"key":"/hu","value":"v","modifiedIndex":4,"createdIndex":4}}
PUT /hu2 value=v
201 {"action":"set","node":{"key":"/hu2","value":"v","modifiedIndex":5,"createdIndex":5}}
PUT /hu value=v&ttl=8000000000&prevExist=true
200 {"action":"update","node":{"key":"/hu","value":"v","expiration":"1695-11-04T19:48:46.290448384Z","ttl":-9223372036,"modifiedIndex":6,"createdIndex":4},"prevNode":{"key":"/hu","value":"v","modifiedIndex":4,"createdIndex":4}}
PUT /hu2 value=w&ttl=8000000000&prevValue=v
200 {"action":"compareAndSwap","node":{"key":"/hu2","value":"w","expiration":"1695-11-04T19:48:46.290448384Z","ttl":-9223372036,"modifiedIndex":7,"createdIndex":5},"prevNode":{"key":"/hu2","value":"v","modifiedIndex":5,"createdIndex":5}}
expire
counters expireCount+2
GET /hu
404 {"errorCode":100,"message":"Key not found","cause":"/hu","index":9}
GET /hu2
404 {"errorCode":100,"message":"Key not found","cause":"/hu2","index":9}
"#,
    );
}

// §6.5 refresh

#[test]
fn refresh_rules() {
    script(
        r#"
PUT /r1 value=orig&ttl=100
201 {"action":"set","node":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
PUT /r1 ttl=200&refresh=true
200 {"action":"set","node":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:13:20Z","ttl":200,"modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
counters setsSuccess+1
PUT /r1 ttl=300&refresh=true&prevExist=true
200 {"action":"update","node":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:15:00Z","ttl":300,"modifiedIndex":6,"createdIndex":5},"prevNode":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:13:20Z","ttl":200,"modifiedIndex":5,"createdIndex":5}}
PUT /r2 value=x
201 {"action":"set","node":{"key":"/r2","value":"x","modifiedIndex":7,"createdIndex":7}}
PUT /r2 refresh=true&ttl=100
200 {"action":"set","node":{"key":"/r2","value":"x","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":8,"createdIndex":8},"prevNode":{"key":"/r2","value":"x","modifiedIndex":7,"createdIndex":7}}
GET /r2
200 {"action":"get","node":{"key":"/r2","value":"x","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":8,"createdIndex":8}}
PUT /r3 refresh=true&ttl=100
404 {"errorCode":100,"message":"Key not found","cause":"/r3","index":8}
PUT /r3 refresh=true&ttl=100&prevExist=true
404 {"errorCode":100,"message":"Key not found","cause":"/r3","index":8}
PUT /r3 refresh=true&ttl=100&prevValue=x
404 {"errorCode":100,"message":"Key not found","cause":"/r3","index":8}
PUT /r1 refresh=true&ttl=100&prevValue=orig
200 {"action":"compareAndSwap","node":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":9,"createdIndex":5},"prevNode":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:15:00Z","ttl":300,"modifiedIndex":6,"createdIndex":5}}
PUT /r1 refresh=true&ttl=100&prevValue=wrong
412 {"errorCode":101,"message":"Compare failed","cause":"[wrong != orig]","index":9}
PUT /r1 refresh=true&ttl=50&prevIndex=9
200 {"action":"compareAndSwap","node":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:10:50Z","ttl":50,"modifiedIndex":10,"createdIndex":5},"prevNode":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":9,"createdIndex":5}}
PUT /r1 refresh=false&ttl=100&value=z
200 {"action":"set","node":{"key":"/r1","value":"z","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":11,"createdIndex":11},"prevNode":{"key":"/r1","value":"orig","expiration":"2026-11-21T05:10:50Z","ttl":50,"modifiedIndex":10,"createdIndex":5}}
"#,
    );
}

#[test]
fn refresh_on_directories() {
    script(
        r#"
PUT /rd dir=true&ttl=100
201 {"action":"set","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
PUT /rd dir=true&ttl=200&refresh=true
403 {"errorCode":102,"message":"Not a file","cause":"/rd","index":4}
PUT /rd ttl=200&refresh=true
403 {"errorCode":102,"message":"Not a file","cause":"/rd","index":4}
PUT /rd ttl=200&refresh=true&prevValue=x
403 {"errorCode":102,"message":"Not a file","cause":"/rd","index":4}
PUT /rd ttl=200&refresh=true&prevExist=true
200 {"action":"update","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:13:20Z","ttl":200,"modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
PUT /rd ttl=300&refresh=true&prevExist=true&dir=true
200 {"action":"update","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:15:00Z","ttl":300,"modifiedIndex":6,"createdIndex":4},"prevNode":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:13:20Z","ttl":200,"modifiedIndex":4,"createdIndex":4}}
GET /rd
200 {"action":"get","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:15:00Z","ttl":300,"modifiedIndex":4,"createdIndex":4}}
index 6
"#,
    );
}

/// Quirk 4: a directory update answers a new modifiedIndex but keeps the old.
#[test]
fn directory_update_keeps_stored_modified_index() {
    script(
        r#"
PUT /rd dir=true&ttl=100
201 {"action":"set","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
PUT /rd/c value=1
201 {"action":"set","node":{"key":"/rd/c","value":"1","modifiedIndex":5,"createdIndex":5}}
PUT /rd ttl=200&prevExist=true&dir=true
200 {"action":"update","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:13:20Z","ttl":200,"modifiedIndex":6,"createdIndex":4},"prevNode":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
GET /rd
200 {"action":"get","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:13:20Z","ttl":200,"nodes":[{"key":"/rd/c","value":"1","modifiedIndex":5,"createdIndex":5}],"modifiedIndex":4,"createdIndex":4}}
PUT /rd ttl=300&prevExist=true&dir=true
200 {"action":"update","node":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:15:00Z","ttl":300,"modifiedIndex":7,"createdIndex":4},"prevNode":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:13:20Z","ttl":200,"modifiedIndex":4,"createdIndex":4}}
PUT /rd prevExist=true
200 {"action":"update","node":{"key":"/rd","dir":true,"modifiedIndex":8,"createdIndex":4},"prevNode":{"key":"/rd","dir":true,"expiration":"2026-11-21T05:15:00Z","ttl":300,"modifiedIndex":4,"createdIndex":4}}
advance 400000
expire
counters
GET /rd recursive=true
200 {"action":"get","node":{"key":"/rd","dir":true,"nodes":[{"key":"/rd/c","value":"1","modifiedIndex":5,"createdIndex":5}],"modifiedIndex":4,"createdIndex":4}}
index 8
"#,
    );
}

// §7 POST

#[test]
fn forget_drops_a_subtree_without_a_trace() {
    let mut h = Harness::new();
    h.req("PUT", "/keep", "value=k");
    h.apply(crate::store::Command::Set {
        path: "/0/members/x/lease".into(),
        value: b"v".to_vec(),
        dir: false,
        ttl: Some(5),
        refresh: false,
    })
    .unwrap();
    let index = h.store.index();
    let history = h.store.history().len();
    let expiring = h.store.ttl_count();
    assert!(h.store.forget("/0/members"));
    assert!(!h.store.forget("/0/members"), "already gone");
    assert!(!h.store.forget("/"), "the root stays");
    assert_eq!(h.store.index(), index);
    assert_eq!(h.store.history().len(), history);
    assert_eq!(h.store.ttl_count(), expiring - 1);
    assert!(!h.store.exists("/0/members"));
    assert!(h.store.exists("/0/version"));
    h.advance(10_000_000_000);
    h.expire();
    assert_eq!(h.store.index(), index, "nothing left to expire");
    assert_eq!(h.store.value("/1/keep"), Some(b"k".to_vec()));
}
