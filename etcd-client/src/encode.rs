//! URL paths, query strings and form bodies encoded byte for byte as the reference client does.

use std::collections::BTreeMap;

/// Query or form parameters, encoded in sorted key order (Go's `url.Values.Encode`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(BTreeMap<&'static str, String>);

impl Params {
    pub(crate) fn new() -> Self {
        Params::default()
    }

    pub(crate) fn set(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.insert(key, value.into());
        self
    }

    pub(crate) fn set_bool(&mut self, key: &'static str, value: bool) -> &mut Self {
        self.set(key, if value { "true" } else { "false" })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.0 {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&query_escape(k));
            out.push('=');
            out.push_str(&query_escape(v));
        }
        out
    }
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn push_hex(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 15)] as char);
}

/// Go's `url.QueryEscape`: a space becomes `+`, everything but unreserved bytes is escaped.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if unreserved(b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            push_hex(&mut out, b);
        }
    }
    out
}

/// Go's escaping of a URL path: reserved sub-delimiters and `/` stay, `?` and
/// everything else outside the unreserved set is escaped.
pub(crate) fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if unreserved(b)
            || matches!(
                b,
                b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@'
            )
        {
            out.push(b as char);
        } else {
            push_hex(&mut out, b);
        }
    }
    out
}

/// Go's `path.Clean` for a rooted path.
fn clean(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = String::with_capacity(p.len() + 1);
    for s in &parts {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The reference client's canonical path: cleaned, rooted, with a trailing
/// slash kept when the input had one.
pub fn canonical_path(p: &str) -> String {
    if p.is_empty() {
        return "/".into();
    }
    let rooted = if p.starts_with('/') {
        p.to_owned()
    } else {
        format!("/{p}")
    };
    let mut cleaned = clean(&rooted);
    if rooted.ends_with('/') && cleaned != "/" {
        cleaned.push('/');
    }
    cleaned
}

/// The escaped path of `key` under `prefix` (`/v2/keys`), below the endpoint's own path.
pub(crate) fn api_path(base: &str, prefix: &str, key: &str) -> String {
    let mut p = String::with_capacity(base.len() + prefix.len() + key.len() + 2);
    p.push_str(base.trim_end_matches('/'));
    if !prefix.is_empty() && !prefix.starts_with('/') {
        p.push('/');
    }
    p.push_str(prefix);
    if !key.is_empty() && !key.starts_with('/') {
        p.push('/');
    }
    p.push_str(key);
    path_escape(&canonical_path(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_sort_and_escape_like_go() {
        let mut p = Params::new();
        p.set_bool("sorted", false)
            .set_bool("recursive", false)
            .set_bool("quorum", false);
        assert_eq!(p.encode(), "quorum=false&recursive=false&sorted=false");
        let mut f = Params::new();
        f.set("value", "a b&c=d/é").set("ttl", "5");
        assert_eq!(f.encode(), "ttl=5&value=a+b%26c%3Dd%2F%C3%A9");
        assert!(Params::new().encode().is_empty());
    }

    #[test]
    fn paths_are_cleaned_and_keep_a_trailing_slash() {
        assert_eq!(canonical_path(""), "/");
        assert_eq!(canonical_path("a//b/./c/../d"), "/a/b/d");
        assert_eq!(canonical_path("/dir/"), "/dir/");
        assert_eq!(canonical_path("/.."), "/");
        assert_eq!(api_path("", "/v2/keys", "foo"), "/v2/keys/foo");
        assert_eq!(api_path("/", "/v2/keys", "/dir/"), "/v2/keys/dir/");
        assert_eq!(
            api_path("/proxy", "/v2/keys", "/a b"),
            "/proxy/v2/keys/a%20b"
        );
        assert_eq!(api_path("", "/v2/keys", ""), "/v2/keys");
    }

    #[test]
    fn path_escape_keeps_reserved_characters() {
        assert_eq!(path_escape("/a:b@c=d;e,f+g$h&i"), "/a:b@c=d;e,f+g$h&i");
        assert_eq!(path_escape("/q?#%!*'()"), "/q%3F%23%25%21%2A%27%28%29");
        assert_eq!(path_escape("/ключ"), "/%D0%BA%D0%BB%D1%8E%D1%87");
    }
}
