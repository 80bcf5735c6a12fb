//! POST, DELETE, compare-and-delete, index semantics, expiry, counters and the
//! rendering of stored values, mostly scripts for
//! [`run`](crate::store::tests_script::run) (format: tests_script.rs).

use crate::store::testkit::Harness;
use crate::store::tests_script::{run, script};
use crate::store::{Command, KEYS_PREFIX};

#[test]
fn post_creates_in_order_keys() {
    script(
        r#"
POST /queue value=Job1
201 {"action":"create","node":{"key":"/queue/00000000000000000004","value":"Job1","modifiedIndex":4,"createdIndex":4}}
POST /queue value=Job2
201 {"action":"create","node":{"key":"/queue/00000000000000000005","value":"Job2","modifiedIndex":5,"createdIndex":5}}
POST /queue
201 {"action":"create","node":{"key":"/queue/00000000000000000006","value":"","modifiedIndex":6,"createdIndex":6}}
POST /queue value=Job3&ttl=100
201 {"action":"create","node":{"key":"/queue/00000000000000000007","value":"Job3","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":7,"createdIndex":7}}
POST /queue dir=true
201 {"action":"create","node":{"key":"/queue/00000000000000000008","dir":true,"modifiedIndex":8,"createdIndex":8}}
GET /queue recursive=true&sorted=true
200 {"action":"get","node":{"key":"/queue","dir":true,"nodes":[{"key":"/queue/00000000000000000004","value":"Job1","modifiedIndex":4,"createdIndex":4},{"key":"/queue/00000000000000000005","value":"Job2","modifiedIndex":5,"createdIndex":5},{"key":"/queue/00000000000000000006","value":"","modifiedIndex":6,"createdIndex":6},{"key":"/queue/00000000000000000007","value":"Job3","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":7,"createdIndex":7},{"key":"/queue/00000000000000000008","dir":true,"modifiedIndex":8,"createdIndex":8}],"modifiedIndex":4,"createdIndex":4}}
POST /queue/00000000000000000008 value=inner
201 {"action":"create","node":{"key":"/queue/00000000000000000008/00000000000000000009","value":"inner","modifiedIndex":9,"createdIndex":9}}
POST /queue value=x&prevExist=true
201 {"action":"create","node":{"key":"/queue/00000000000000000010","value":"x","modifiedIndex":10,"createdIndex":10}}
"#,
    );
}

#[test]
fn post_creates_parents_and_works_on_root() {
    script(
        r#"
POST /newq/sub value=x
201 {"action":"create","node":{"key":"/newq/sub/00000000000000000004","value":"x","modifiedIndex":4,"createdIndex":4}}
GET /newq recursive=true
200 {"action":"get","node":{"key":"/newq","dir":true,"nodes":[{"key":"/newq/sub","dir":true,"nodes":[{"key":"/newq/sub/00000000000000000004","value":"x","modifiedIndex":4,"createdIndex":4}],"modifiedIndex":4,"createdIndex":4}],"modifiedIndex":4,"createdIndex":4}}
POST / value=rootq
201 {"action":"create","node":{"key":"/00000000000000000005","value":"rootq","modifiedIndex":5,"createdIndex":5}}
POST /pq dir=true&ttl=100
201 {"action":"create","node":{"key":"/pq/00000000000000000006","dir":true,"expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":6,"createdIndex":6}}
GET / sorted=true
200 {"action":"get","node":{"dir":true,"nodes":[{"key":"/00000000000000000005","value":"rootq","modifiedIndex":5,"createdIndex":5},{"key":"/newq","dir":true,"modifiedIndex":4,"createdIndex":4},{"key":"/pq","dir":true,"modifiedIndex":6,"createdIndex":6}]}}
"#,
    );
}

#[test]
fn post_to_a_file_and_name_collision() {
    script(
        r#"
PUT /foo value=bar
201 {"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}
POST /foo value=x
400 {"errorCode":104,"message":"Not a directory","cause":"/foo","index":4}
# checked against etcd 3.4.23: the next name already taken is error 105
PUT /q/00000000000000000006 value=x
201 {"action":"set","node":{"key":"/q/00000000000000000006","value":"x","modifiedIndex":5,"createdIndex":5}}
POST /q value=y
412 {"errorCode":105,"message":"Key already exists","cause":"/q/00000000000000000006","index":5}
counters createFail+1
index 5
"#,
    );
}

// §8 DELETE

#[test]
fn delete_files_and_directories() {
    script(
        r#"
PUT /del/a value=1
201 {"action":"set","node":{"key":"/del/a","value":"1","modifiedIndex":4,"createdIndex":4}}
PUT /del/b value=2
201 {"action":"set","node":{"key":"/del/b","value":"2","modifiedIndex":5,"createdIndex":5}}
PUT /del/sub/x value=x
201 {"action":"set","node":{"key":"/del/sub/x","value":"x","modifiedIndex":6,"createdIndex":6}}
PUT /del/empty dir=true
201 {"action":"set","node":{"key":"/del/empty","dir":true,"modifiedIndex":7,"createdIndex":7}}
PUT /del/ttlkey value=t&ttl=100
201 {"action":"set","node":{"key":"/del/ttlkey","value":"t","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":8,"createdIndex":8}}
DELETE /del/a
200 {"action":"delete","node":{"key":"/del/a","modifiedIndex":9,"createdIndex":4},"prevNode":{"key":"/del/a","value":"1","modifiedIndex":4,"createdIndex":4}}
DELETE /del/a
404 {"errorCode":100,"message":"Key not found","cause":"/del/a","index":9}
DELETE /del/ttlkey prevExist=false
200 {"action":"delete","node":{"key":"/del/ttlkey","modifiedIndex":10,"createdIndex":8},"prevNode":{"key":"/del/ttlkey","value":"t","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":8,"createdIndex":8}}
DELETE /del/empty
403 {"errorCode":102,"message":"Not a file","cause":"/del/empty","index":10}
DELETE /del/empty dir=true
200 {"action":"delete","node":{"key":"/del/empty","dir":true,"modifiedIndex":11,"createdIndex":7},"prevNode":{"key":"/del/empty","dir":true,"modifiedIndex":7,"createdIndex":7}}
DELETE /del/sub dir=true
403 {"errorCode":108,"message":"Directory not empty","cause":"/del/sub","index":11}
DELETE /del/sub
403 {"errorCode":102,"message":"Not a file","cause":"/del/sub","index":11}
DELETE /del/b dir=true
200 {"action":"delete","node":{"key":"/del/b","modifiedIndex":12,"createdIndex":5},"prevNode":{"key":"/del/b","value":"2","modifiedIndex":5,"createdIndex":5}}
PUT /del/b2 value=2
201 {"action":"set","node":{"key":"/del/b2","value":"2","modifiedIndex":13,"createdIndex":13}}
DELETE /del/b2 recursive=true
200 {"action":"delete","node":{"key":"/del/b2","modifiedIndex":14,"createdIndex":13},"prevNode":{"key":"/del/b2","value":"2","modifiedIndex":13,"createdIndex":13}}
DELETE /del/sub recursive=true
200 {"action":"delete","node":{"key":"/del/sub","dir":true,"modifiedIndex":15,"createdIndex":6},"prevNode":{"key":"/del/sub","dir":true,"modifiedIndex":6,"createdIndex":6}}
GET /del/sub/x
404 {"errorCode":100,"message":"Key not found","cause":"/del/sub","index":15}
DELETE /del/sub recursive=true
404 {"errorCode":100,"message":"Key not found","cause":"/del/sub","index":15}
GET /del
200 {"action":"get","node":{"key":"/del","dir":true,"modifiedIndex":4,"createdIndex":4}}
DELETE /del dir=true
200 {"action":"delete","node":{"key":"/del","dir":true,"modifiedIndex":16,"createdIndex":4},"prevNode":{"key":"/del","dir":true,"modifiedIndex":4,"createdIndex":4}}
GET /
200 {"action":"get","node":{"dir":true}}
"#,
    );
}

#[test]
fn compare_and_delete() {
    script(
        r#"
PUT /del/cad value=one
201 {"action":"set","node":{"key":"/del/cad","value":"one","modifiedIndex":4,"createdIndex":4}}
DELETE /del/cad prevValue=two
412 {"errorCode":101,"message":"Compare failed","cause":"[two != one]","index":4}
DELETE /del/cad prevIndex=1
412 {"errorCode":101,"message":"Compare failed","cause":"[1 != 4]","index":4}
DELETE /del/cad prevIndex=1&prevValue=bad
412 {"errorCode":101,"message":"Compare failed","cause":"[bad != one] [1 != 4]","index":4}
DELETE /del/cad prevValue=one&prevIndex=1
412 {"errorCode":101,"message":"Compare failed","cause":"[1 != 4]","index":4}
DELETE /del/cad prevValue=bad&prevIndex=4
412 {"errorCode":101,"message":"Compare failed","cause":"[bad != one]","index":4}
DELETE /del/cad prevValue=one
200 {"action":"compareAndDelete","node":{"key":"/del/cad","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/del/cad","value":"one","modifiedIndex":4,"createdIndex":4}}
DELETE /del/cad prevValue=one
404 {"errorCode":100,"message":"Key not found","cause":"/del/cad","index":5}
DELETE /del/cad prevIndex=5
404 {"errorCode":100,"message":"Key not found","cause":"/del/cad","index":5}
PUT /del/cad value=one
201 {"action":"set","node":{"key":"/del/cad","value":"one","modifiedIndex":6,"createdIndex":6}}
DELETE /del/cad prevIndex=6
200 {"action":"compareAndDelete","node":{"key":"/del/cad","modifiedIndex":7,"createdIndex":6},"prevNode":{"key":"/del/cad","value":"one","modifiedIndex":6,"createdIndex":6}}
PUT /del/cad value=two&ttl=100
201 {"action":"set","node":{"key":"/del/cad","value":"two","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":8,"createdIndex":8}}
DELETE /del/cad prevValue=two&prevIndex=8
200 {"action":"compareAndDelete","node":{"key":"/del/cad","modifiedIndex":9,"createdIndex":8},"prevNode":{"key":"/del/cad","value":"two","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":8,"createdIndex":8}}
PUT /del/d2 dir=true
201 {"action":"set","node":{"key":"/del/d2","dir":true,"modifiedIndex":10,"createdIndex":10}}
DELETE /del/d2 prevValue=one
403 {"errorCode":102,"message":"Not a file","cause":"/del/d2","index":10}
DELETE /del/d2 prevIndex=1
403 {"errorCode":102,"message":"Not a file","cause":"/del/d2","index":10}
DELETE /del/d2 prevIndex=1&dir=true
403 {"errorCode":102,"message":"Not a file","cause":"/del/d2","index":10}
DELETE /del/d2 prevIndex=10&dir=true
403 {"errorCode":102,"message":"Not a file","cause":"/del/d2","index":10}
DELETE /del/d2 prevIndex=10&recursive=true
403 {"errorCode":102,"message":"Not a file","cause":"/del/d2","index":10}
index 10
GET /del/d2
200 {"action":"get","node":{"key":"/del/d2","dir":true,"modifiedIndex":10,"createdIndex":10}}
"#,
    );
}

// §12 index semantics and expiry

#[test]
fn reads_and_failures_consume_no_index() {
    let mut h = Harness::new();
    run(
        &mut h,
        r#"
PUT /a value=1
201 {"action":"set","node":{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}}
GET /a
200 {"action":"get","node":{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}}
GET /missing
404 {"errorCode":100,"message":"Key not found","cause":"/missing","index":4}
PUT /a value=x&prevValue=nope
412 {"errorCode":101,"message":"Compare failed","cause":"[nope != 1]","index":4}
PUT /a value=x&prevExist=false
412 {"errorCode":105,"message":"Key already exists","cause":"/a","index":4}
PUT /b value=x&prevExist=true
404 {"errorCode":100,"message":"Key not found","cause":"/b","index":4}
DELETE /b prevValue=x
404 {"errorCode":100,"message":"Key not found","cause":"/b","index":4}
PUT /a/b value=1
400 {"errorCode":104,"message":"Not a directory","cause":"/a","index":4}
expire
index 4
"#,
    );
    let a = h.req("PUT", "/b", "value=2");
    assert_eq!((a.status, a.index, h.store.index()), (201, 5, 5));
    let a = h.req("GET", "/b", "");
    assert_eq!((a.status, a.index), (200, 5));
}

#[test]
fn expiry_of_a_key() {
    script(
        r#"
PUT /exp/k value=v&ttl=1
201 {"action":"set","node":{"key":"/exp/k","value":"v","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":4,"createdIndex":4}}
advance 500
expire
counters
index 4
GET /exp/k
200 {"action":"get","node":{"key":"/exp/k","value":"v","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":4,"createdIndex":4}}
advance 510
GET /exp/k
200 {"action":"get","node":{"key":"/exp/k","value":"v","expiration":"2026-11-21T05:10:01Z","modifiedIndex":4,"createdIndex":4}}
index 4
expire
counters expireCount+1
index 5
GET /exp/k
404 {"errorCode":100,"message":"Key not found","cause":"/exp/k","index":5}
GET /exp
200 {"action":"get","node":{"key":"/exp","dir":true,"modifiedIndex":4,"createdIndex":4}}
event /exp/k 5
{"action":"expire","node":{"key":"/exp/k","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/exp/k","value":"v","expiration":"2026-11-21T05:10:01Z","modifiedIndex":4,"createdIndex":4}}
expire
counters
index 5
"#,
    );
}

#[test]
fn each_expired_node_consumes_one_index() {
    script(
        r#"
PUT /a value=1&ttl=1
201 {"action":"set","node":{"key":"/a","value":"1","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":4,"createdIndex":4}}
PUT /b value=1&ttl=2
201 {"action":"set","node":{"key":"/b","value":"1","expiration":"2026-11-21T05:10:02Z","ttl":2,"modifiedIndex":5,"createdIndex":5}}
PUT /c value=1&ttl=1
201 {"action":"set","node":{"key":"/c","value":"1","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":6,"createdIndex":6}}
PUT /keep value=1
201 {"action":"set","node":{"key":"/keep","value":"1","modifiedIndex":7,"createdIndex":7}}
advance 1000
expire
counters expireCount+2
index 9
GET /a
404 {"errorCode":100,"message":"Key not found","cause":"/a","index":9}
GET /c
404 {"errorCode":100,"message":"Key not found","cause":"/c","index":9}
GET /b
200 {"action":"get","node":{"key":"/b","value":"1","expiration":"2026-11-21T05:10:02Z","ttl":1,"modifiedIndex":5,"createdIndex":5}}
event /a 8
{"action":"expire","node":{"key":"/a","modifiedIndex":8,"createdIndex":4},"prevNode":{"key":"/a","value":"1","expiration":"2026-11-21T05:10:01Z","modifiedIndex":4,"createdIndex":4}}
event /c 8
{"action":"expire","node":{"key":"/c","modifiedIndex":9,"createdIndex":6},"prevNode":{"key":"/c","value":"1","expiration":"2026-11-21T05:10:01Z","modifiedIndex":6,"createdIndex":6}}
advance 1000
expire
counters expireCount+1
index 10
GET / recursive=true
200 {"action":"get","node":{"dir":true,"nodes":[{"key":"/keep","value":"1","modifiedIndex":7,"createdIndex":7}]}}
"#,
    );
}

#[test]
fn directory_ttl_expiry_takes_its_children() {
    let mut h = Harness::new();
    run(
        &mut h,
        r#"
PUT /td dir=true&ttl=100
201 {"action":"set","node":{"key":"/td","dir":true,"expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":4,"createdIndex":4}}
PUT /td/child value=c
201 {"action":"set","node":{"key":"/td/child","value":"c","modifiedIndex":5,"createdIndex":5}}
PUT /td/own value=o&ttl=200
201 {"action":"set","node":{"key":"/td/own","value":"o","expiration":"2026-11-21T05:13:20Z","ttl":200,"modifiedIndex":6,"createdIndex":6}}
PUT /td/sub/x value=x
201 {"action":"set","node":{"key":"/td/sub/x","value":"x","modifiedIndex":7,"createdIndex":7}}
advance 100000
expire
counters expireCount+1
index 8
GET /td
404 {"errorCode":100,"message":"Key not found","cause":"/td","index":8}
GET /td/sub/x
404 {"errorCode":100,"message":"Key not found","cause":"/td","index":8}
event /td/child 6
{"action":"expire","node":{"key":"/td","dir":true,"modifiedIndex":8,"createdIndex":4},"prevNode":{"key":"/td","dir":true,"expiration":"2026-11-21T05:11:40Z","modifiedIndex":4,"createdIndex":4}}
advance 200000
expire
counters
index 8
"#,
    );
    assert_eq!(h.store.ttl_count(), 0);
}

#[test]
fn replaced_or_deleted_ttl_nodes_never_expire() {
    let mut h = Harness::new();
    run(
        &mut h,
        r#"
PUT /k value=v&ttl=1
201 {"action":"set","node":{"key":"/k","value":"v","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":4,"createdIndex":4}}
PUT /k value=w
200 {"action":"set","node":{"key":"/k","value":"w","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/k","value":"v","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":4,"createdIndex":4}}
PUT /d/x value=1&ttl=1
201 {"action":"set","node":{"key":"/d/x","value":"1","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":6,"createdIndex":6}}
PUT /d/y dir=true&ttl=1
201 {"action":"set","node":{"key":"/d/y","dir":true,"expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":7,"createdIndex":7}}
DELETE /d recursive=true
200 {"action":"delete","node":{"key":"/d","dir":true,"modifiedIndex":8,"createdIndex":6},"prevNode":{"key":"/d","dir":true,"modifiedIndex":6,"createdIndex":6}}
PUT /f value=1&ttl=1
201 {"action":"set","node":{"key":"/f","value":"1","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":9,"createdIndex":9}}
DELETE /f prevValue=1
200 {"action":"compareAndDelete","node":{"key":"/f","modifiedIndex":10,"createdIndex":9},"prevNode":{"key":"/f","value":"1","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":9,"createdIndex":9}}
PUT /u value=1&ttl=1
201 {"action":"set","node":{"key":"/u","value":"1","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":11,"createdIndex":11}}
PUT /u value=2&prevExist=true&ttl=100
200 {"action":"update","node":{"key":"/u","value":"2","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":12,"createdIndex":11},"prevNode":{"key":"/u","value":"1","expiration":"2026-11-21T05:10:01Z","ttl":1,"modifiedIndex":11,"createdIndex":11}}
advance 2000
expire
counters
index 12
GET /k
200 {"action":"get","node":{"key":"/k","value":"w","modifiedIndex":5,"createdIndex":5}}
GET /u
200 {"action":"get","node":{"key":"/u","value":"2","expiration":"2026-11-21T05:11:40Z","ttl":98,"modifiedIndex":12,"createdIndex":11}}
"#,
    );
    assert_eq!(h.store.ttl_count(), 1);
}

// members-stats.md §6: store counters (without the HTTP layer's extra getsFail)

#[test]
fn counters_per_operation() {
    script(
        r#"
PUT /st/k value=1
201 *
counters setsSuccess+1
PUT /st/d dir=true
201 *
counters setsSuccess+1
GET /st/k
200 *
counters getsSuccess+1
GET /st/missing
404 *
counters getsFail+1
PUT /st/d value=1
403 *
counters setsFail+1
PUT /st/c value=1&prevExist=false
201 *
counters createSuccess+1
PUT /st/c value=1&prevExist=false
412 *
counters createFail+1
POST /st/q value=1
201 *
counters createSuccess+1
PUT /st/k value=2&prevExist=true
200 *
counters updateSuccess+1
PUT /st/nokey value=2&prevExist=true
404 *
counters updateFail+1
PUT /st/k value=3&prevValue=2
200 *
counters compareAndSwapSuccess+1
PUT /st/k value=4&prevValue=bad
412 *
counters compareAndSwapFail+1
PUT /st/nokey value=4&prevValue=3
404 *
counters compareAndSwapFail+1
DELETE /st/k prevValue=bad
412 *
counters compareAndDeleteSuccess+1
DELETE /st/k prevValue=3
200 *
counters compareAndDeleteSuccess+1
DELETE /st/c
200 *
counters deleteSuccess+1
DELETE /st/c
404 *
counters deleteFail+1
DELETE /st/missingcad prevValue=x
404 *
counters compareAndDeleteFail+1
DELETE /st/d prevValue=x
403 *
counters compareAndDeleteSuccess+1
PUT /st/r value=1&ttl=1
201 *
counters setsSuccess+1
PUT /st/r ttl=1&refresh=true
200 *
counters setsSuccess+1
advance 1000
expire
counters expireCount+1
"#,
    );
}

/// Counter quirks beyond the spec's table, checked against etcd 3.4.23.
#[test]
fn counters_of_refusals() {
    script(
        r#"
PUT /f value=v
201 *
PUT /f/x value=v&prevExist=false
400 *
counters setsFail+1 createFail+1
POST /f value=v
400 *
counters setsFail+1 createFail+1
PUT /f/x value=v
400 *
counters setsFail+1
PUT /f/x value=v&prevExist=true
400 *
counters updateFail+1
PUT /f/x value=v&prevValue=a
400 *
counters compareAndSwapFail+1
DELETE /f/x prevValue=a
400 *
counters compareAndDeleteFail+1
DELETE /f/x
400 *
counters deleteFail+1
PUT /dd dir=true
201 *
PUT /dd value=x&prevExist=true
403 *
counters updateSuccess+1
PUT /dd value=x&prevValue=x
403 *
counters compareAndSwapFail+1
DELETE /dd
403 *
counters deleteFail+1
PUT /dd dir=true&prevExist=false
412 *
counters createFail+1
PUT /dd/c value=1
201 *
DELETE /dd dir=true
403 *
counters deleteFail+1
DELETE /
400 *
counters deleteSuccess+1
PUT / value=x
400 *
counters setsFail+1
PUT / value=x&prevExist=true
400 *
counters updateSuccess+1
PUT / value=x&prevExist=false
400 *
counters createFail+1
PUT / value=x&prevValue=y
400 *
counters compareAndSwapSuccess+1
DELETE / prevValue=y
403 *
counters compareAndDeleteSuccess+1
"#,
    );
}

// §3 JSON rendering of values and keys the store holds

#[test]
fn special_values_and_keys() {
    let mut h = Harness::new();
    h.expect("PUT", "/special/nl", "value=line1\nline2\n", 201,
        r#"{"action":"set","node":{"key":"/special/nl","value":"line1\nline2\n","modifiedIndex":4,"createdIndex":4}}"#);
    h.expect("PUT", "/special/quote", r#"value=a"b\c<>/"#, 201,
        r#"{"action":"set","node":{"key":"/special/quote","value":"a\"b\\c\u003c\u003e/","modifiedIndex":5,"createdIndex":5}}"#);
    h.expect("PUT", "/special/uni", "value=héllo wörld ☃ 日本語 😀", 201,
        r#"{"action":"set","node":{"key":"/special/uni","value":"héllo wörld ☃ 日本語 😀","modifiedIndex":6,"createdIndex":6}}"#);
    h.expect("PUT", "/special/ctrl", "value=tab\there\u{1}", 201,
        r#"{"action":"set","node":{"key":"/special/ctrl","value":"tab\there\u0001","modifiedIndex":7,"createdIndex":7}}"#);
    let set = Command::Set {
        path: format!("{KEYS_PREFIX}/special/invalidutf8"),
        value: vec![0xff, 0xfe],
        dir: false,
        ttl: None,
        refresh: false,
    };
    h.apply(set).unwrap();
    h.expect("GET", "/special/invalidutf8", "", 200,
        r#"{"action":"get","node":{"key":"/special/invalidutf8","value":"\ufffd\ufffd","modifiedIndex":8,"createdIndex":8}}"#);
    // The stored bytes are kept: comparing with them succeeds.
    let cas = Command::CompareAndSwap {
        path: format!("{KEYS_PREFIX}/special/invalidutf8"),
        prev_value: vec![0xff, 0xfe],
        prev_index: 0,
        value: b"ok".to_vec(),
        ttl: None,
        refresh: false,
    };
    assert_eq!(h.apply(cas).unwrap().unwrap().index(), 9);
    run(
        &mut h,
        r#"
PUT /pct% value=1
201 {"action":"set","node":{"key":"/pct%","value":"1","modifiedIndex":10,"createdIndex":10}}
PUT /uni/☃ value=snowman
201 {"action":"set","node":{"key":"/uni/☃","value":"snowman","modifiedIndex":11,"createdIndex":11}}
GET /uni recursive=true
200 {"action":"get","node":{"key":"/uni","dir":true,"nodes":[{"key":"/uni/☃","value":"snowman","modifiedIndex":11,"createdIndex":11}],"modifiedIndex":11,"createdIndex":11}}
PUT /q?mark value=1
201 {"action":"set","node":{"key":"/q?mark","value":"1","modifiedIndex":12,"createdIndex":12}}
PUT /hash# value=1
201 {"action":"set","node":{"key":"/hash#","value":"1","modifiedIndex":13,"createdIndex":13}}
GET /special sorted=true
200 {"action":"get","node":{"key":"/special","dir":true,"nodes":[{"key":"/special/ctrl","value":"tab\there\u0001","modifiedIndex":7,"createdIndex":7},{"key":"/special/invalidutf8","value":"ok","modifiedIndex":9,"createdIndex":8},{"key":"/special/nl","value":"line1\nline2\n","modifiedIndex":4,"createdIndex":4},{"key":"/special/quote","value":"a\"b\\c\u003c\u003e/","modifiedIndex":5,"createdIndex":5},{"key":"/special/uni","value":"héllo wörld ☃ 日本語 😀","modifiedIndex":6,"createdIndex":6}],"modifiedIndex":4,"createdIndex":4}}
"#,
    );
}
