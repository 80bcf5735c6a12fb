//! Listen and advertise URLs, checked the way etcd's `types.NewURLs` checks
//! them (over Go's `net/url` parser), with the same error texts.

use std::fmt;
use std::str::FromStr;

use crate::flags::go_quote;

/// A member URL: `scheme://host:port`, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Url {
    scheme: String,
    /// `host:port` exactly as written (`[::1]:2379` keeps its brackets).
    host_port: String,
    /// The host without brackets; may be empty (`http://:2379`).
    host: String,
    port: u16,
}

impl Url {
    /// Builds a URL from parts (an IPv6 host gets brackets).
    pub fn new(scheme: &str, host: &str, port: u16) -> Url {
        let host_port = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Url {
            scheme: scheme.to_ascii_lowercase(),
            host_port,
            host: host.to_owned(),
            port,
        }
    }

    /// `http`, `https`, `unix` or `unixs` (lower case).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host without brackets (`localhost`, `127.0.0.1`, `::1`, or empty).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` as written, suitable for binding or dialling.
    pub fn host_port(&self) -> &str {
        &self.host_port
    }

    /// Whether the scheme asks for TLS (`https`, `unixs`).
    pub fn is_tls(&self) -> bool {
        self.scheme == "https" || self.scheme == "unixs"
    }

    /// Whether this is a unix socket URL (`unix`, `unixs`).
    pub fn is_unix(&self) -> bool {
        self.scheme == "unix" || self.scheme == "unixs"
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host_port)
    }
}

impl FromStr for Url {
    type Err = String;

    /// One URL, with the reference's error texts.
    fn from_str(s: &str) -> Result<Url, String> {
        parse_one(s)
    }
}

/// Parses a comma-separated list the way `types.NewURLs(strings.Split(s, ","))`
/// does: every element must be valid; the result is sorted by its text
/// (duplicates are kept, as there).
pub fn parse_urls(s: &str) -> Result<Vec<Url>, String> {
    parse_url_list(s.split(','))
}

/// `types.NewURLs` over already separated strings.
pub fn parse_url_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<Url>, String> {
    let mut out = Vec::new();
    for item in items {
        out.push(parse_one(item)?);
    }
    if out.is_empty() {
        return Err("no valid URLs given".to_owned());
    }
    sort_urls(&mut out);
    Ok(out)
}

/// Sorts by text (Go's `types.URLs.Sort`).
pub fn sort_urls(urls: &mut [Url]) {
    urls.sort_by_key(|u| u.to_string());
}

fn parse_one(input: &str) -> Result<Url, String> {
    let s = input.trim();
    let raw = go_parse(s).map_err(|e| format!("parse {}: {e}", go_quote(s)))?;
    if !matches!(raw.scheme.as_str(), "http" | "https" | "unix" | "unixs") {
        return Err(format!(
            "URL scheme must be http, https, unix, or unixs: {s}"
        ));
    }
    let not_host_port = || format!("URL address does not have the form \"host:port\": {s}");
    let (host, port) = split_host_port(&raw.host).ok_or_else(not_host_port)?;
    if !raw.path.is_empty() {
        return Err(format!("URL must not contain a path: {s}"));
    }
    // The reference accepts these and keeps them in the URL's text; a member
    // URL is only ever scheme://host:port, so they are refused here.
    if raw.user || raw.query || raw.fragment {
        return Err(format!(
            "URL must not contain user info, a query or a fragment: {s}"
        ));
    }
    if port.is_empty() {
        return Err(not_host_port());
    }
    let port: u16 = port
        .parse()
        .map_err(|_| format!("URL port must be at most 65535: {s}"))?;
    let host = host.to_owned();
    Ok(Url {
        scheme: raw.scheme,
        host_port: raw.host,
        host,
        port,
    })
}

/// What this module needs from Go's `url.Parse`.
struct RawUrl {
    scheme: String,
    user: bool,
    host: String,
    path: String,
    query: bool,
    fragment: bool,
}

/// Go's `url.Parse`, reduced to the parts and errors that matter for
/// `types.NewURLs`. The error is the text after `parse "<url>": `.
fn go_parse(s: &str) -> Result<RawUrl, String> {
    let (s, fragment) = match s.split_once('#') {
        Some((a, _)) => (a, true),
        None => (s, false),
    };
    if s.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    let mut url = RawUrl {
        scheme: String::new(),
        user: false,
        host: String::new(),
        path: String::new(),
        query: false,
        fragment,
    };
    let mut rest = s;
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".to_owned()),
            b':' => {
                url.scheme = s[..i].to_ascii_lowercase();
                rest = &s[i + 1..];
                break;
            }
            _ => break,
        }
    }
    if let Some((a, _)) = rest.split_once('?') {
        rest = a;
        url.query = true;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // Opaque ("localhost:2379", "http:x"): no host.
            return Ok(url);
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        let (authority, path) = match after.find('/') {
            Some(p) => (&after[..p], &after[p..]),
            None => (after, ""),
        };
        let host = match authority.rfind('@') {
            Some(p) => {
                url.user = true;
                &authority[p + 1..]
            }
            None => authority,
        };
        check_host(host)?;
        url.host = host.to_owned();
        rest = path;
    }
    url.path = rest.to_owned();
    Ok(url)
}

/// Go's `parseHost` checks: bracketed IPv6, a numeric optional port, and
/// only characters allowed in a host name.
fn check_host(host: &str) -> Result<(), String> {
    let invalid_port = |p: &str| format!("invalid port {} after host", go_quote(p));
    let name = if let Some(inner) = host.strip_prefix('[') {
        let Some(end) = host.rfind(']') else {
            return Err("missing ']' in host".to_owned());
        };
        let colon_port = &host[end + 1..];
        if !valid_optional_port(colon_port) {
            return Err(invalid_port(colon_port));
        }
        &inner[..end - 1]
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(invalid_port(colon_port));
        }
        &host[..i]
    } else {
        host
    };
    for (i, c) in name.char_indices() {
        if c == '%' {
            // Go reads the escape on in the host, over a port that follows.
            let start = usize::from(host.starts_with('['));
            check_host_escape(&host[start + i..])?;
        }
        let ok = c.is_ascii_alphanumeric() || !c.is_ascii() || "-_.~$&'()*+,;=:[]<>\"%".contains(c);
        if !ok {
            let bad = &name[i..i + c.len_utf8()];
            return Err(format!("invalid character {} in host name", go_quote(bad)));
        }
    }
    Ok(())
}

/// The percent escape that `rest` starts with, as Go's `url.Parse` takes
/// it in a host: two hex digits, standing for a byte of a UTF-8 sequence
/// (`%80` and up) or for `%` itself (`%25`).
fn check_host_escape(rest: &str) -> Result<(), String> {
    let b = rest.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    let ascii = b.get(1).is_some_and(|d| (b'0'..=b'7').contains(d));
    if !hex(1) || !hex(2) || (ascii && !rest.starts_with("%25")) {
        let escape = String::from_utf8_lossy(&b[..b.len().min(3)]);
        return Err(format!("invalid URL escape {}", go_quote(&escape)));
    }
    Ok(())
}

fn valid_optional_port(p: &str) -> bool {
    match p.strip_prefix(':') {
        None => p.is_empty(),
        Some(digits) => digits.bytes().all(|c| c.is_ascii_digit()),
    }
}

/// Go's `net.SplitHostPort`: `None` where Go returns an error.
pub(crate) fn split_host_port(hp: &str) -> Option<(&str, &str)> {
    let i = hp.rfind(':')?;
    let (host, j, k) = if hp.starts_with('[') {
        let end = hp.find(']')?;
        if end + 1 != i {
            return None;
        }
        (&hp[1..end], 1, end + 1)
    } else {
        let host = &hp[..i];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hp[j..].contains('[') || hp[k..].contains(']') {
        return None;
    }
    Some((host, &hp[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_url_accepts_member_urls() {
        let u: Url = "http://127.0.0.1:2379".parse().unwrap();
        assert_eq!(
            (u.scheme(), u.host(), u.port()),
            ("http", "127.0.0.1", 2379)
        );
        assert_eq!(u.to_string(), "http://127.0.0.1:2379");
        let u: Url = " HTTPS://[::1]:2380 ".parse().unwrap();
        assert_eq!(
            (u.host(), u.host_port(), u.is_tls()),
            ("::1", "[::1]:2380", true)
        );
        assert_eq!(u.to_string(), "https://[::1]:2380");
        let u: Url = "http://0.0.0.0:1".parse().unwrap();
        assert_eq!(u.host(), "0.0.0.0");
        let u: Url = "http://:2379".parse().unwrap();
        assert_eq!(u.host(), "");
        assert_eq!(Url::new("http", "::1", 5).to_string(), "http://[::1]:5");
        // Escapes Go allows in a host: `%25` and bytes of UTF-8 sequences.
        for ok in ["http://a%25b:1", "http://caf%C3%A9:1"] {
            assert_eq!(ok.parse::<Url>().map(|u| u.to_string()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn config_url_reference_errors() {
        let cases = [
            (
                "localhost:23810",
                "URL scheme must be http, https, unix, or unixs: localhost:23810",
            ),
            (
                "ftp://a:1",
                "URL scheme must be http, https, unix, or unixs: ftp://a:1",
            ),
            ("", "URL scheme must be http, https, unix, or unixs: "),
            (
                "http://127.0.0.1",
                "URL address does not have the form \"host:port\": http://127.0.0.1",
            ),
            (
                "http:x",
                "URL address does not have the form \"host:port\": http:x",
            ),
            ("http://a:1/", "URL must not contain a path: http://a:1/"),
            (
                "http://a:port",
                "parse \"http://a:port\": invalid port \":port\" after host",
            ),
            ("http://[::1", "parse \"http://[::1\": missing ']' in host"),
            ("://a:1", "parse \"://a:1\": missing protocol scheme"),
            (
                "http://a b:1",
                "parse \"http://a b:1\": invalid character \" \" in host name",
            ),
            (
                "http://a\u{1}:1",
                "parse \"http://a\\x01:1\": net/url: invalid control character in URL",
            ),
            (
                "http://%zz:1",
                "parse \"http://%zz:1\": invalid URL escape \"%zz\"",
            ),
            (
                "http://a%4:1",
                "parse \"http://a%4:1\": invalid URL escape \"%4:\"",
            ),
            (
                "http://a%4",
                "parse \"http://a%4\": invalid URL escape \"%4\"",
            ),
            (
                "http://a%41:1",
                "parse \"http://a%41:1\": invalid URL escape \"%41\"",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<Url>(), Err(want.to_owned()), "{input:?}");
        }
    }

    #[test]
    fn config_url_refuses_what_a_member_url_cannot_hold() {
        assert!("http://u@h:1".parse::<Url>().is_err());
        assert!("http://h:1?x=1".parse::<Url>().is_err());
        assert!("http://h:1#f".parse::<Url>().is_err());
        assert!("http://h:99999".parse::<Url>().is_err());
        assert!("http://h:".parse::<Url>().is_err());
    }

    #[test]
    fn config_url_lists_are_sorted() {
        let v = parse_urls("http://b:2,http://a:1,http://b:2").unwrap();
        let s: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(s, ["http://a:1", "http://b:2", "http://b:2"]);
        assert_eq!(
            parse_urls("http://a:1,foo"),
            Err("URL scheme must be http, https, unix, or unixs: foo".to_owned())
        );
    }

    #[test]
    fn config_url_split_host_port_like_go() {
        assert_eq!(split_host_port("a:1"), Some(("a", "1")));
        assert_eq!(split_host_port("[::1]:1"), Some(("::1", "1")));
        assert_eq!(split_host_port(":1"), Some(("", "1")));
        assert_eq!(split_host_port("a:"), Some(("a", "")));
        assert_eq!(split_host_port("a"), None);
        assert_eq!(split_host_port("::1:2"), None);
        assert_eq!(split_host_port("[::1]"), None);
        assert_eq!(split_host_port(""), None);
    }
}
