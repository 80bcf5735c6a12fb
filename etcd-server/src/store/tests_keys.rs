//! Keys API cases decided by the store, from spec keys-api.md, mostly as
//! scripts for [`run`] (format: tests_script.rs).

use super::testkit::Harness;
use super::tests_script::{changed, counters, run, script};
use etcd_client::json;

#[test]
fn set_get_replace() {
    let mut h = Harness::new();
    h.expect("PUT", "/message", "value=Hello world", 201,
        r#"{"action":"set","node":{"key":"/message","value":"Hello world","modifiedIndex":4,"createdIndex":4}}"#);
    h.expect("PUT", "/message", "value=Hello etcd", 200,
        r#"{"action":"set","node":{"key":"/message","value":"Hello etcd","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/message","value":"Hello world","modifiedIndex":4,"createdIndex":4}}"#);
    h.expect("GET", "/message", "", 200,
        r#"{"action":"get","node":{"key":"/message","value":"Hello etcd","modifiedIndex":5,"createdIndex":5}}"#);
    h.expect(
        "GET",
        "/missing/deeper",
        "",
        404,
        r#"{"errorCode":100,"message":"Key not found","cause":"/missing","index":5}"#,
    );
    h.expect("GET", "", "", 200,
        r#"{"action":"get","node":{"dir":true,"nodes":[{"key":"/message","value":"Hello etcd","modifiedIndex":5,"createdIndex":5}]}}"#);
}

// §5 GET

#[test]
fn get_root_and_trailing_slash() {
    script(
        r#"
GET /
200 {"action":"get","node":{"dir":true}}
GET / recursive=true&sorted=true
200 {"action":"get","node":{"dir":true}}
PUT /foo value=bar
201 {"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}
GET /
200 {"action":"get","node":{"dir":true,"nodes":[{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}]}}
GET /foo/
200 {"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}
index 4
"#,
    );
}

#[test]
fn get_missing_cause_is_first_missing_component() {
    script(
        r#"
GET /missing
404 {"errorCode":100,"message":"Key not found","cause":"/missing","index":3}
GET /missing/deeper
404 {"errorCode":100,"message":"Key not found","cause":"/missing","index":3}
PUT /a/b value=1
201 {"action":"set","node":{"key":"/a/b","value":"1","modifiedIndex":4,"createdIndex":4}}
GET /a/x/y/z
404 {"errorCode":100,"message":"Key not found","cause":"/a/x","index":4}
GET /a/b/c
400 {"errorCode":104,"message":"Not a directory","cause":"/a/b","index":4}
GET /a
200 {"action":"get","node":{"key":"/a","dir":true,"nodes":[{"key":"/a/b","value":"1","modifiedIndex":4,"createdIndex":4}],"modifiedIndex":4,"createdIndex":4}}
"#,
    );
}

#[test]
fn every_operation_below_a_file_is_104() {
    script(
        r#"
PUT /file9 value=v
201 {"action":"set","node":{"key":"/file9","value":"v","modifiedIndex":4,"createdIndex":4}}
GET /file9/child
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
GET /file9/child/deeper recursive=true
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
PUT /file9/child value=v
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
PUT /file9/child/deeper dir=true
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
PUT /file9/child value=v&prevExist=false
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
PUT /file9/child value=v&prevExist=true
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
PUT /file9/child value=v&prevValue=v
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
PUT /file9/child ttl=5&refresh=true
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
POST /file9/child value=x
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
DELETE /file9/child
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
DELETE /file9/child recursive=true
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
DELETE /file9/child prevIndex=4
400 {"errorCode":104,"message":"Not a directory","cause":"/file9","index":4}
index 4
GET /file9
200 {"action":"get","node":{"key":"/file9","value":"v","modifiedIndex":4,"createdIndex":4}}
"#,
    );
}

#[test]
fn directory_listing_sorted_recursive() {
    let list = r#"{"action":"get","node":{"key":"/dir","dir":true,"nodes":[{"key":"/dir/a","value":"1","modifiedIndex":4,"createdIndex":4},{"key":"/dir/b","value":"2","modifiedIndex":6,"createdIndex":6},{"key":"/dir/c","value":"3","modifiedIndex":5,"createdIndex":5},{"key":"/dir/emptydir","dir":true,"modifiedIndex":9,"createdIndex":9},{"key":"/dir/sub","dir":true,"modifiedIndex":7,"createdIndex":7}],"modifiedIndex":4,"createdIndex":4}}"#;
    let rnode = r#"{"key":"/dir","dir":true,"nodes":[{"key":"/dir/a","value":"1","modifiedIndex":4,"createdIndex":4},{"key":"/dir/b","value":"2","modifiedIndex":6,"createdIndex":6},{"key":"/dir/c","value":"3","modifiedIndex":5,"createdIndex":5},{"key":"/dir/emptydir","dir":true,"modifiedIndex":9,"createdIndex":9},{"key":"/dir/sub","dir":true,"nodes":[{"key":"/dir/sub/x","value":"x","modifiedIndex":7,"createdIndex":7}],"modifiedIndex":7,"createdIndex":7}],"modifiedIndex":4,"createdIndex":4}"#;
    let script = r#"
PUT /dir/a value=1
201 {"action":"set","node":{"key":"/dir/a","value":"1","modifiedIndex":4,"createdIndex":4}}
PUT /dir/c value=3
201 {"action":"set","node":{"key":"/dir/c","value":"3","modifiedIndex":5,"createdIndex":5}}
PUT /dir/b value=2
201 {"action":"set","node":{"key":"/dir/b","value":"2","modifiedIndex":6,"createdIndex":6}}
PUT /dir/sub/x value=x
201 {"action":"set","node":{"key":"/dir/sub/x","value":"x","modifiedIndex":7,"createdIndex":7}}
PUT /dir/_hidden value=h
201 {"action":"set","node":{"key":"/dir/_hidden","value":"h","modifiedIndex":8,"createdIndex":8}}
PUT /dir/emptydir dir=true
201 {"action":"set","node":{"key":"/dir/emptydir","dir":true,"modifiedIndex":9,"createdIndex":9}}
GET /dir
~200 LIST
GET /dir sorted=true
200 LIST
GET /dir/ sorted=true
200 LIST
GET /dir recursive=true
~200 {"action":"get","node":RNODE}
GET /dir recursive=true&sorted=true
200 {"action":"get","node":RNODE}
GET / recursive=true&sorted=true
200 {"action":"get","node":{"dir":true,"nodes":[RNODE]}}
GET /dir/_hidden
200 {"action":"get","node":{"key":"/dir/_hidden","value":"h","modifiedIndex":8,"createdIndex":8}}
GET /dir/emptydir
200 {"action":"get","node":{"key":"/dir/emptydir","dir":true,"modifiedIndex":9,"createdIndex":9}}
GET /dir/emptydir recursive=true&sorted=true
200 {"action":"get","node":{"key":"/dir/emptydir","dir":true,"modifiedIndex":9,"createdIndex":9}}
index 9
"#;
    let script = script.replace("LIST", list).replace("RNODE", rnode);
    assert_eq!(run(&mut Harness::new(), &script), 15);
}

#[test]
fn hidden_keys_are_never_listed() {
    script(
        r#"
PUT /_top value=t
201 {"action":"set","node":{"key":"/_top","value":"t","modifiedIndex":4,"createdIndex":4}}
PUT /hd/_x value=x
201 {"action":"set","node":{"key":"/hd/_x","value":"x","modifiedIndex":5,"createdIndex":5}}
PUT /vis/b value=b
201 {"action":"set","node":{"key":"/vis/b","value":"b","modifiedIndex":6,"createdIndex":6}}
PUT /vis/a value=a
201 {"action":"set","node":{"key":"/vis/a","value":"a","modifiedIndex":7,"createdIndex":7}}
PUT /_hdir/a value=1
201 {"action":"set","node":{"key":"/_hdir/a","value":"1","modifiedIndex":8,"createdIndex":8}}
GET / sorted=true
200 {"action":"get","node":{"dir":true,"nodes":[{"key":"/hd","dir":true,"modifiedIndex":5,"createdIndex":5},{"key":"/vis","dir":true,"modifiedIndex":6,"createdIndex":6}]}}
GET / recursive=true&sorted=true
200 {"action":"get","node":{"dir":true,"nodes":[{"key":"/hd","dir":true,"modifiedIndex":5,"createdIndex":5},{"key":"/vis","dir":true,"nodes":[{"key":"/vis/a","value":"a","modifiedIndex":7,"createdIndex":7},{"key":"/vis/b","value":"b","modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}]}}
GET /hd recursive=true
200 {"action":"get","node":{"key":"/hd","dir":true,"modifiedIndex":5,"createdIndex":5}}
GET /_top
200 {"action":"get","node":{"key":"/_top","value":"t","modifiedIndex":4,"createdIndex":4}}
GET /hd/_x
200 {"action":"get","node":{"key":"/hd/_x","value":"x","modifiedIndex":5,"createdIndex":5}}
GET /_hdir
200 {"action":"get","node":{"key":"/_hdir","dir":true,"nodes":[{"key":"/_hdir/a","value":"1","modifiedIndex":8,"createdIndex":8}],"modifiedIndex":8,"createdIndex":8}}
DELETE /_top
200 {"action":"delete","node":{"key":"/_top","modifiedIndex":9,"createdIndex":4},"prevNode":{"key":"/_top","value":"t","modifiedIndex":4,"createdIndex":4}}
"#,
    );
}

#[test]
fn implicit_parent_dirs_keep_the_index_that_created_them() {
    script(
        r#"
PUT /p/q/r value=1
201 {"action":"set","node":{"key":"/p/q/r","value":"1","modifiedIndex":4,"createdIndex":4}}
GET /p/q/r recursive=true&sorted=true
200 {"action":"get","node":{"key":"/p/q/r","value":"1","modifiedIndex":4,"createdIndex":4}}
PUT /p/s value=2
201 {"action":"set","node":{"key":"/p/s","value":"2","modifiedIndex":5,"createdIndex":5}}
DELETE /p/q/r
200 {"action":"delete","node":{"key":"/p/q/r","modifiedIndex":6,"createdIndex":4},"prevNode":{"key":"/p/q/r","value":"1","modifiedIndex":4,"createdIndex":4}}
GET /p recursive=true&sorted=true
200 {"action":"get","node":{"key":"/p","dir":true,"nodes":[{"key":"/p/q","dir":true,"modifiedIndex":4,"createdIndex":4},{"key":"/p/s","value":"2","modifiedIndex":5,"createdIndex":5}],"modifiedIndex":4,"createdIndex":4}}
"#,
    );
}

// §6.1 decision table, row by row

#[test]
fn table_set_and_set_dir() {
    script(
        r#"
PUT /f value=a
201 {"action":"set","node":{"key":"/f","value":"a","modifiedIndex":4,"createdIndex":4}}
PUT /f value=b
200 {"action":"set","node":{"key":"/f","value":"b","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/f","value":"a","modifiedIndex":4,"createdIndex":4}}
PUT /d dir=true
201 {"action":"set","node":{"key":"/d","dir":true,"modifiedIndex":6,"createdIndex":6}}
PUT /d value=v
403 {"errorCode":102,"message":"Not a file","cause":"/d","index":6}
PUT /d dir=true
403 {"errorCode":102,"message":"Not a file","cause":"/d","index":6}
PUT /d/c value=1
201 {"action":"set","node":{"key":"/d/c","value":"1","modifiedIndex":7,"createdIndex":7}}
PUT /d dir=true
403 {"errorCode":102,"message":"Not a file","cause":"/d","index":7}
# quirk 2: dir=true on a file replaces it with an empty directory
PUT /f dir=true
200 {"action":"set","node":{"key":"/f","dir":true,"modifiedIndex":8,"createdIndex":8},"prevNode":{"key":"/f","value":"b","modifiedIndex":5,"createdIndex":5}}
GET /f
200 {"action":"get","node":{"key":"/f","dir":true,"modifiedIndex":8,"createdIndex":8}}
PUT /d3 dir=true&value=abc
201 {"action":"set","node":{"key":"/d3","dir":true,"modifiedIndex":9,"createdIndex":9}}
PUT /novalue
201 {"action":"set","node":{"key":"/novalue","value":"","modifiedIndex":10,"createdIndex":10}}
PUT /novalue2 value=
201 {"action":"set","node":{"key":"/novalue2","value":"","modifiedIndex":11,"createdIndex":11}}
GET /d recursive=true
200 {"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/c","value":"1","modifiedIndex":7,"createdIndex":7}],"modifiedIndex":6,"createdIndex":6}}
"#,
    );
}

#[test]
fn table_create() {
    script(
        r#"
PUT /c value=one&prevExist=false
201 {"action":"create","node":{"key":"/c","value":"one","modifiedIndex":4,"createdIndex":4}}
PUT /c value=two&prevExist=false
412 {"errorCode":105,"message":"Key already exists","cause":"/c","index":4}
PUT /c dir=true&prevExist=false
412 {"errorCode":105,"message":"Key already exists","cause":"/c","index":4}
PUT /cd dir=true&prevExist=false
201 {"action":"create","node":{"key":"/cd","dir":true,"modifiedIndex":5,"createdIndex":5}}
PUT /cd dir=true&prevExist=false
412 {"errorCode":105,"message":"Key already exists","cause":"/cd","index":5}
PUT /cd value=x&prevExist=false
412 {"errorCode":105,"message":"Key already exists","cause":"/cd","index":5}
PUT /new/deep value=1&prevExist=false&ttl=100
201 {"action":"create","node":{"key":"/new/deep","value":"1","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":6,"createdIndex":6}}
GET /new
200 {"action":"get","node":{"key":"/new","dir":true,"nodes":[{"key":"/new/deep","value":"1","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}}
GET /c
200 {"action":"get","node":{"key":"/c","value":"one","modifiedIndex":4,"createdIndex":4}}
"#,
    );
}

#[test]
fn table_update_and_update_dir() {
    script(
        r#"
PUT /u value=x&prevExist=true
404 {"errorCode":100,"message":"Key not found","cause":"/u","index":3}
PUT /u dir=true&prevExist=true
404 {"errorCode":100,"message":"Key not found","cause":"/u","index":3}
PUT /u value=one
201 {"action":"set","node":{"key":"/u","value":"one","modifiedIndex":4,"createdIndex":4}}
PUT /u value=two&prevExist=true
200 {"action":"update","node":{"key":"/u","value":"two","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/u","value":"one","modifiedIndex":4,"createdIndex":4}}
# quirk 3: dir=true with prevExist=true keeps a file and empties it
PUT /u dir=true&prevExist=true
200 {"action":"update","node":{"key":"/u","value":"","modifiedIndex":6,"createdIndex":4},"prevNode":{"key":"/u","value":"two","modifiedIndex":5,"createdIndex":4}}
GET /u
200 {"action":"get","node":{"key":"/u","value":"","modifiedIndex":6,"createdIndex":4}}
PUT /ud dir=true
201 {"action":"set","node":{"key":"/ud","dir":true,"modifiedIndex":7,"createdIndex":7}}
PUT /ud value=x&prevExist=true
403 {"errorCode":102,"message":"Not a file","cause":"/ud","index":7}
PUT /ud prevExist=true
200 {"action":"update","node":{"key":"/ud","dir":true,"modifiedIndex":8,"createdIndex":7},"prevNode":{"key":"/ud","dir":true,"modifiedIndex":7,"createdIndex":7}}
PUT /ud dir=true&prevExist=true
200 {"action":"update","node":{"key":"/ud","dir":true,"modifiedIndex":9,"createdIndex":7},"prevNode":{"key":"/ud","dir":true,"modifiedIndex":7,"createdIndex":7}}
GET /ud
200 {"action":"get","node":{"key":"/ud","dir":true,"modifiedIndex":7,"createdIndex":7}}
index 9
"#,
    );
}

#[test]
fn table_compare_and_swap() {
    script(
        r#"
PUT /k value=x&prevValue=a
404 {"errorCode":100,"message":"Key not found","cause":"/k","index":3}
PUT /k value=x&prevIndex=3
404 {"errorCode":100,"message":"Key not found","cause":"/k","index":3}
PUT /k value=a
201 {"action":"set","node":{"key":"/k","value":"a","modifiedIndex":4,"createdIndex":4}}
PUT /k value=b&prevValue=a
200 {"action":"compareAndSwap","node":{"key":"/k","value":"b","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/k","value":"a","modifiedIndex":4,"createdIndex":4}}
PUT /k value=c&prevValue=a
412 {"errorCode":101,"message":"Compare failed","cause":"[a != b]","index":5}
PUT /d dir=true
201 {"action":"set","node":{"key":"/d","dir":true,"modifiedIndex":6,"createdIndex":6}}
PUT /d value=x&prevValue=x
403 {"errorCode":102,"message":"Not a file","cause":"/d","index":6}
PUT /d value=x&prevIndex=6
403 {"errorCode":102,"message":"Not a file","cause":"/d","index":6}
PUT /d value=x&prevIndex=6&prevExist=true
403 {"errorCode":102,"message":"Not a file","cause":"/d","index":6}
index 6
"#,
    );
}

#[test]
fn root_is_read_only() {
    script(
        r#"
PUT / value=x
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
PUT / dir=true
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
PUT / value=x&prevExist=false
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
PUT / value=x&prevExist=true
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
PUT / value=x&prevValue=y
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
PUT / ttl=5&refresh=true
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
DELETE /
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
DELETE / recursive=true
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
DELETE / dir=true
400 {"errorCode":107,"message":"Root is read only","cause":"/","index":3}
# compareAndDelete has no root check: the reference answers 102 without a cause
DELETE / prevValue=y
403 {"errorCode":102,"message":"Not a file","index":3}
index 3
"#,
    );
}

// §6.7 prevValue / prevIndex

#[test]
fn compare_failed_causes() {
    script(
        r#"
PUT /k value=five
201 {"action":"set","node":{"key":"/k","value":"five","modifiedIndex":4,"createdIndex":4}}
PUT /k value=x&prevValue=three
412 {"errorCode":101,"message":"Compare failed","cause":"[three != five]","index":4}
PUT /k value=x&prevIndex=1
412 {"errorCode":101,"message":"Compare failed","cause":"[1 != 4]","index":4}
PUT /k value=six&prevValue=wrong&prevIndex=1
412 {"errorCode":101,"message":"Compare failed","cause":"[wrong != five] [1 != 4]","index":4}
PUT /k value=six&prevValue=five&prevIndex=1
412 {"errorCode":101,"message":"Compare failed","cause":"[1 != 4]","index":4}
PUT /k value=six&prevValue=wrong&prevIndex=4
412 {"errorCode":101,"message":"Compare failed","cause":"[wrong != five]","index":4}
PUT /k value=six&prevValue=five&prevIndex=4
200 {"action":"compareAndSwap","node":{"key":"/k","value":"six","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/k","value":"five","modifiedIndex":4,"createdIndex":4}}
PUT /k value=seven&prevIndex=5
200 {"action":"compareAndSwap","node":{"key":"/k","value":"seven","modifiedIndex":6,"createdIndex":4},"prevNode":{"key":"/k","value":"six","modifiedIndex":5,"createdIndex":4}}
# prevIndex=0 means no prevIndex: a plain set
PUT /k value=eight&prevIndex=0
200 {"action":"set","node":{"key":"/k","value":"eight","modifiedIndex":7,"createdIndex":7},"prevNode":{"key":"/k","value":"seven","modifiedIndex":6,"createdIndex":4}}
PUT /e value=
201 {"action":"set","node":{"key":"/e","value":"","modifiedIndex":8,"createdIndex":8}}
PUT /e value=x&prevValue=three
412 {"errorCode":101,"message":"Compare failed","cause":"[three != ]","index":8}
index 8
"#,
    );
}

#[test]
fn prev_exist_with_compare_and_ttl() {
    script(
        r#"
PUT /c1 value=six
201 {"action":"set","node":{"key":"/c1","value":"six","modifiedIndex":4,"createdIndex":4}}
PUT /c1 value=seven&prevExist=true&prevValue=six
200 {"action":"compareAndSwap","node":{"key":"/c1","value":"seven","modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/c1","value":"six","modifiedIndex":4,"createdIndex":4}}
PUT /c1 value=seven&prevExist=false&prevValue=six
412 {"errorCode":105,"message":"Key already exists","cause":"/c1","index":5}
PUT /c1 value=seven&prevExist=false&prevIndex=1
412 {"errorCode":105,"message":"Key already exists","cause":"/c1","index":5}
PUT /c1 value=eight&prevExist=true&prevIndex=1
412 {"errorCode":101,"message":"Compare failed","cause":"[1 != 5]","index":5}
PUT /c2 value=x&prevExist=false&prevValue=nothing
201 {"action":"create","node":{"key":"/c2","value":"x","modifiedIndex":6,"createdIndex":6}}
PUT /c1 value=nine&prevValue=seven&ttl=100
200 {"action":"compareAndSwap","node":{"key":"/c1","value":"nine","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":7,"createdIndex":4},"prevNode":{"key":"/c1","value":"seven","modifiedIndex":5,"createdIndex":4}}
# a compareAndSwap without ttl makes the key permanent again
PUT /c1 value=ten&prevValue=nine
200 {"action":"compareAndSwap","node":{"key":"/c1","value":"ten","modifiedIndex":8,"createdIndex":4},"prevNode":{"key":"/c1","value":"nine","expiration":"2026-11-21T05:11:40Z","ttl":100,"modifiedIndex":7,"createdIndex":4}}
GET /c1
200 {"action":"get","node":{"key":"/c1","value":"ten","modifiedIndex":8,"createdIndex":4}}
"#,
    );
}

// §6.8 noValueOnSuccess

#[test]
fn no_value_on_success() {
    script(
        r#"
PUT /nv value=bar&noValueOnSuccess=true
201 {"action":"set"}
PUT /nv noValueOnSuccess=true&value=baz
200 {"action":"set"}
POST /nvq value=bar&noValueOnSuccess=true
201 {"action":"create"}
PUT /nv value=q&prevExist=true&noValueOnSuccess=true
200 {"action":"update"}
PUT /nv value=r&prevValue=q&noValueOnSuccess=true
200 {"action":"compareAndSwap"}
PUT /nc value=1&prevExist=false&noValueOnSuccess=true
201 {"action":"create"}
PUT /nv value=s&prevValue=zzz&noValueOnSuccess=true
412 {"errorCode":101,"message":"Compare failed","cause":"[zzz != r]","index":9}
DELETE /nv noValueOnSuccess=true
200 {"action":"delete","node":{"key":"/nv","modifiedIndex":10,"createdIndex":5},"prevNode":{"key":"/nv","value":"r","modifiedIndex":8,"createdIndex":5}}
GET /nvq/00000000000000000006
200 {"action":"get","node":{"key":"/nvq/00000000000000000006","value":"bar","modifiedIndex":6,"createdIndex":6}}
"#,
    );
}

/// The server's own reads (auth's flag) count as gets, exactly as a client
/// get of the same key would, and see the same value.
#[test]
fn get_value_counts_and_answers_like_get() {
    let mut h = Harness::new();
    h.req("PUT", "/f", "value=x%FF");
    h.req("PUT", "/d", "dir=true");
    for key in [
        "/f",
        "/d",
        "/missing",
        "/f/under",
        "/d/missing",
        "/",
        "//f/",
    ] {
        let before = counters(&h);
        let got = h.store.get(key, false, false, 0);
        let by_get = changed(&h, &before);
        let before = counters(&h);
        let value = h.store.get_value(key);
        assert_eq!(changed(&h, &before), by_get, "{key}");
        match got {
            Ok(event) => {
                let expected = event.node.value.unwrap_or_default();
                assert_eq!(
                    value.map(json::lossy).as_deref(),
                    Some(expected.as_str()),
                    "{key}"
                );
            }
            Err(_) => assert_eq!(value, None, "{key}"),
        }
    }
}
