//! Whether a role lets a request at a key through (spec auth.md §4).
//!
//! A pattern ending in `*` covers every key that starts with what precedes
//! the `*`; any other pattern covers exactly one key. The key is the request
//! path after `/v2/keys` as the client sent it (decoded, trailing slash
//! kept, empty for `/v2/keys` itself). A recursive request needs a `*`
//! pattern. The `root` role may do anything.

use super::ROOT_ROLE;
use etcd_client::models::Role;

/// Whether `pattern` covers `key` for a single-key request. An empty
/// pattern covers nothing.
pub fn simple_match(pattern: &str, key: &[u8]) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix.as_bytes()),
        None => !pattern.is_empty() && key == pattern.as_bytes(),
    }
}

/// Whether `pattern` covers everything below `key` (recursive requests):
/// only `*` patterns do.
pub fn prefix_match(pattern: &str, key: &[u8]) -> bool {
    pattern
        .strip_suffix('*')
        .is_some_and(|prefix| key.starts_with(prefix.as_bytes()))
}

fn patterns(role: &Role, write: bool) -> &[String] {
    let kv = &role.permissions.kv;
    let list = if write { &kv.write } else { &kv.read };
    list.as_deref().unwrap_or_default()
}

/// Whether `role` may read (or, with `write`, change) `key`, and with
/// `recursive` everything below it.
pub fn has_access(role: &Role, key: &[u8], write: bool, recursive: bool) -> bool {
    let covers = if recursive {
        prefix_match
    } else {
        simple_match
    };
    role.role == ROOT_ROLE || patterns(role, write).iter().any(|p| covers(p, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcd_client::models::{Permissions, RwPermission};

    fn role(name: &str, read: &[&str], write: &[&str]) -> Role {
        let list = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
        Role {
            role: name.into(),
            permissions: Permissions {
                kv: RwPermission {
                    read: list(read),
                    write: list(write),
                },
            },
            grant: None,
            revoke: None,
        }
    }

    #[test]
    fn patterns_match_like_the_reference() {
        let cases: &[(&str, &str, bool, bool)] = &[
            // pattern, key, simple, recursive
            ("/foo/*", "/foo/", true, true),
            ("/foo/*", "/foo/a", true, true),
            ("/foo/*", "/foo/a/b", true, true),
            ("/foo/*", "/foo", false, false),
            ("/foo*", "/foo", true, true),
            ("/foo*", "/foox", true, true),
            ("/foo", "/foo", true, false),
            ("/foo", "/foo/", false, false),
            ("/*", "/", true, true),
            ("/*", "", false, false),
            ("*", "", true, true),
            ("", "", false, false),
            ("", "/a", false, false),
        ];
        for &(pattern, key, simple, recursive) in cases {
            assert_eq!(
                simple_match(pattern, key.as_bytes()),
                simple,
                "{pattern} {key}"
            );
            assert_eq!(
                prefix_match(pattern, key.as_bytes()),
                recursive,
                "{pattern} {key}"
            );
        }
    }

    #[test]
    fn roles() {
        let r = role("r", &["/bar", "/bar/*"], &["/bar/w*"]);
        assert!(has_access(&r, b"/bar", false, false));
        assert!(!has_access(&r, b"/bar", true, false));
        assert!(has_access(&r, b"/bar/wok", true, false));
        assert!(!has_access(&r, b"/bar", false, true));
        assert!(has_access(&r, b"/bar/x", false, true));
        let root = role("root", &[], &[]);
        assert!(has_access(&root, b"", true, false));
        assert!(has_access(&root, b"/anything", true, true));
        let mut none = role("n", &[], &[]);
        none.permissions.kv.read = None;
        assert!(!has_access(&none, b"/a", false, false));
    }
}
