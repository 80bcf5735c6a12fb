//! Key paths: always absolute, cleaned like Go's `path.Clean`, split on `/`.

use std::borrow::Cow;

/// The cleaned absolute form of `p`, like Go's `path.Clean(path.Join("/", p))`:
/// no empty, `.` or `..` components, no trailing slash, `/` for the root.
pub fn clean(p: &str) -> Cow<'_, str> {
    if is_clean(p) {
        return Cow::Borrowed(p);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Cow::Borrowed("/");
    }
    let mut out = String::with_capacity(p.len() + 1);
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    Cow::Owned(out)
}

/// Whether `p` is already in [`clean`] form (one pass over the bytes).
pub fn is_clean(p: &str) -> bool {
    let b = p.as_bytes();
    if b == b"/" {
        return true;
    }
    if b.first() != Some(&b'/') || b.last() == Some(&b'/') {
        return false;
    }
    // Every component starts after a '/': refuse empty, "." and "..".
    let mut i = 0;
    while i < b.len() {
        // b[i] == '/'
        let rest = &b[i + 1..];
        match rest {
            [] | [b'/', ..] | [b'.'] | [b'.', b'/', ..] | [b'.', b'.'] | [b'.', b'.', b'/', ..] => {
                return false
            }
            _ => {}
        }
        i += 1 + rest.iter().position(|&c| c == b'/').unwrap_or(rest.len());
    }
    true
}

/// The components of a clean path (none for the root).
pub fn components(clean_path: &str) -> impl Iterator<Item = &str> {
    clean_path.split('/').filter(|c| !c.is_empty())
}

/// Splits a clean path into its parent directory and last component
/// (`/a/b` → (`/a`, `b`); `/a` → (`/`, `a`); `/` → (`/`, ``)).
pub fn split(clean_path: &str) -> (&str, &str) {
    match clean_path.rfind('/') {
        Some(0) => ("/", &clean_path[1..]),
        Some(i) => (&clean_path[..i], &clean_path[i + 1..]),
        None => ("/", clean_path),
    }
}

/// `dir` joined with one more component.
pub fn join(dir: &str, name: &str) -> String {
    let mut out = String::with_capacity(dir.len() + name.len() + 1);
    out.push_str(dir);
    if !dir.ends_with('/') {
        out.push('/');
    }
    out.push_str(name);
    out
}

/// A node is hidden when its own name starts with `_`: listings skip it.
pub fn is_hidden_name(name: &str) -> bool {
    name.starts_with('_')
}

/// Whether `key` is hidden from a recursive watcher on `watch_path`: some
/// component of `key` below `watch_path` starts with `_`. A watch path longer
/// than the key (a removed descendant being notified) is never hidden.
pub fn is_hidden_below(watch_path: &str, key: &str) -> bool {
    match key.get(watch_path.len()..) {
        Some(rest) if watch_path.len() <= key.len() => clean(rest).contains("/_"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/a", "/a"),
            ("a", "/a"),
            ("/a/", "/a"),
            ("/a//b", "/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/../a", "/a"),
            ("/a/b/..", "/a"),
            ("/1/foo", "/1/foo"),
            ("/.../x", "/.../x"),
            ("/a/.b", "/a/.b"),
            ("/a/..b", "/a/..b"),
            ("/a/b.", "/a/b."),
            ("/.", "/"),
            ("/..", "/"),
            ("/a/.", "/a"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "clean({input:?})");
            assert!(is_clean(&clean(input)));
        }
        assert!(matches!(clean("/a/b"), Cow::Borrowed(_)));
    }

    #[test]
    fn split_and_join() {
        assert_eq!(split("/a/b"), ("/a", "b"));
        assert_eq!(split("/a"), ("/", "a"));
        assert_eq!(split("/"), ("/", ""));
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
        assert_eq!(components("/a/b").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(components("/").count(), 0);
    }

    #[test]
    fn hidden_for_watchers() {
        assert!(is_hidden_below("/1/wh", "/1/wh/_hidden"));
        assert!(is_hidden_below("/1/wh", "/1/wh/a/_b"));
        assert!(is_hidden_below("/1/wh", "/1/wh/_h/x"));
        assert!(!is_hidden_below("/1/wh", "/1/wh/visible"));
        assert!(!is_hidden_below("/1/_hd2", "/1/_hd2/y"));
        assert!(is_hidden_below("/", "/1/_hd2/y"));
        assert!(is_hidden_below("/1", "/1/_hd2/y"));
        assert!(!is_hidden_below("/1/wp/sub", "/1/wp"));
        assert!(!is_hidden_below("/1/_x", "/1/_x"));
    }
}
