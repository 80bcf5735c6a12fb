//! Go-compatible decoding for the keys API: it reproduces the behaviour of
//! Go's `net/url` (`unescape`, the path escaping of `url.URL`), `net/http`
//! (`ServeMux` path cleaning, `Request.ParseForm` with its size limit and
//! errors), `strconv` (`Quote`, `ParseBool`, `ParseUint`) and
//! `mime.ParseMediaType`, byte for byte, including the error texts the
//! reference server reports.

use super::{invalid_form, ContentType, Method, FORM_MEDIA_TYPE, MAX_FORM_BODY, PARAMS};
use crate::error::Error;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::Write as _;

/// Go `net/http`'s `cleanPath`: `path.Clean` of the rooted path, with a
/// trailing slash put back.
pub(super) fn mux_clean(p: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in p.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = Vec::with_capacity(p.len() + 1);
    for part in &parts {
        out.push(b'/');
        out.extend_from_slice(part);
    }
    // The root, or a trailing slash put back.
    if out.is_empty() || p.last() == Some(&b'/') {
        out.push(b'/');
    }
    out
}

/// Whether [`mux_clean`] leaves `p` as it is: rooted, with no empty, `.` or
/// `..` segment but a last empty one (a trailing slash). Checked in place,
/// so that the common, clean path costs no cleaned copy.
pub(super) fn is_mux_clean(p: &[u8]) -> bool {
    let Some(rest) = p.strip_prefix(b"/") else {
        return false;
    };
    let mut segments = rest.split(|&b| b == b'/').peekable();
    while let Some(segment) = segments.next() {
        match segment {
            b"." | b".." => return false,
            b"" if segments.peek().is_some() => return false,
            _ => {}
        }
    }
    true
}

/// Go's `url.PathEscape`-like escaping of `url.URL.EscapedPath` (mode
/// `encodePath`): unreserved characters and `$&+,/:;=@` stay, every other
/// byte becomes `%XX` (upper case).
pub(super) fn escape_path(p: &[u8]) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    for &b in p {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Go's `url.unescape`: `%XX` decoded, `+` a space when `plus_is_space`
/// (query components). The error is Go's `invalid URL escape "..."` with the
/// offending (at most 3-byte) escape quoted by `strconv.Quote`.
pub(super) fn unescape(s: &[u8], plus_is_space: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        // Copy the run of bytes that stand for themselves in one go.
        let run = s[i..]
            .iter()
            .position(|&c| c == b'%' || (c == b'+' && plus_is_space))
            .unwrap_or(s.len() - i);
        out.extend_from_slice(&s[i..i + run]);
        i += run;
        if i == s.len() {
            break;
        }
        if s[i] == b'+' {
            // Only stops the run when it means a space.
            out.push(b' ');
            i += 1;
            continue;
        }
        let (Some(hi), Some(lo)) = (
            s.get(i + 1).and_then(|&c| hex_value(c)),
            s.get(i + 2).and_then(|&c| hex_value(c)),
        ) else {
            let bad = &s[i..s.len().min(i + 3)];
            return Err(format!("invalid URL escape {}", go_quote(bad)));
        };
        out.push(hi << 4 | lo);
        i += 3;
    }
    Ok(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Go's `strconv.Quote` of a byte string: `"` and `\` escaped, printable runes
/// raw, `\a\b\f\n\r\t\v`, other ASCII controls and invalid UTF-8 bytes as
/// `\xNN`, other non-printable runes as `\uNNNN` / `\UNNNNNNNN`.
pub(super) fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = bytes;
    while !rest.is_empty() {
        let (c, width) = match std::str::from_utf8(rest) {
            Ok(s) => {
                let c = s.chars().next().expect("non-empty");
                (Some(c), c.len_utf8())
            }
            Err(e) if e.valid_up_to() > 0 => {
                let s = std::str::from_utf8(&rest[..e.valid_up_to()]).expect("valid prefix");
                let c = s.chars().next().expect("non-empty");
                (Some(c), c.len_utf8())
            }
            Err(_) => (None, 1),
        };
        match c {
            None => {
                let _ = write!(out, "\\x{:02x}", rest[0]);
            }
            Some(c @ ('"' | '\\')) => {
                out.push('\\');
                out.push(c);
            }
            Some(c) if go_is_print(c) => out.push(c),
            Some('\u{7}') => out.push_str("\\a"),
            Some('\u{8}') => out.push_str("\\b"),
            Some('\u{c}') => out.push_str("\\f"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some('\u{b}') => out.push_str("\\v"),
            Some(c) if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            Some(c) if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            Some(c) => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
        rest = &rest[width..];
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint` (Unicode 13, as in Go 1.19): letters, marks,
/// numbers, punctuation, symbols and the ASCII space. Exact for the runes an
/// escape error can quote (at most two bytes after the `%`, so below U+0800);
/// beyond that, controls and the usual separators are refused.
fn go_is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    const NOT_PRINT: [(u32, u32); 26] = [
        (0x80, 0xa0),
        (0xad, 0xad),
        (0x378, 0x379),
        (0x380, 0x383),
        (0x38b, 0x38b),
        (0x38d, 0x38d),
        (0x3a2, 0x3a2),
        (0x530, 0x530),
        (0x557, 0x558),
        (0x58b, 0x58c),
        (0x590, 0x590),
        (0x5c8, 0x5cf),
        (0x5eb, 0x5ee),
        (0x5f5, 0x605),
        (0x61c, 0x61d),
        (0x6dd, 0x6dd),
        (0x70e, 0x70f),
        (0x74b, 0x74c),
        (0x7b2, 0x7bf),
        (0x7fb, 0x7fc),
        (0x1680, 0x1680),
        (0x2000, 0x200f),
        (0x2028, 0x202f),
        (0x205f, 0x206f),
        (0x3000, 0x3000),
        (0xfeff, 0xfeff),
    ];
    if NOT_PRINT.iter().any(|&(lo, hi)| (lo..=hi).contains(&u)) {
        return false;
    }
    !c.is_control() && !(0xe000..=0xf8ff).contains(&u)
}

/// The decoded pairs in Go's `r.Form` order: body pairs, then query pairs.
#[derive(Debug, Default)]
pub(super) struct Form(Vec<(Vec<u8>, Vec<u8>)>);

impl Form {
    /// Go's `url.ParseQuery` into this form. Returns Go's error: any pair
    /// with a `;` makes it `invalid semicolon separator in query` (that error
    /// overrides the others), else the first bad escape. Pairs without a bad
    /// escape are kept, as Go keeps them.
    fn parse(&mut self, s: &[u8]) -> Option<String> {
        let mut err: Option<String> = None;
        for pair in s.split(|&b| b == b'&') {
            if pair.contains(&b';') {
                err = Some("invalid semicolon separator in query".to_owned());
                continue;
            }
            if pair.is_empty() {
                continue;
            }
            let (k, v) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let k = match unescape(k, true) {
                Ok(k) => k,
                Err(e) => {
                    err.get_or_insert(e);
                    continue;
                }
            };
            let v = match unescape(v, true) {
                Ok(v) => v,
                Err(e) => {
                    err.get_or_insert(e);
                    continue;
                }
            };
            if PARAMS.iter().any(|p| p.as_bytes() == k) {
                self.0.push((k, v));
            }
        }
        err
    }

    /// The first value of `name` (Go `form[name][0]`), if the name is there.
    pub(super) fn first(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    /// Go `getBool`: absent is `false`, else `strconv.ParseBool` of the first
    /// value.
    pub(super) fn bool(&self, name: &str) -> Result<bool, Error> {
        match self.first(name) {
            None => Ok(false),
            Some(v) => go_parse_bool(v).ok_or_else(|| Error::invalid_bool(name)),
        }
    }

    /// Go `getUint64` for an index: absent is 0, else `strconv.ParseUint` of
    /// the first value (so an empty value is an error).
    pub(super) fn index(&self, name: &str) -> Result<u64, Error> {
        match self.first(name) {
            None => Ok(0),
            Some(v) => go_parse_uint(v).ok_or_else(|| Error::index_nan(name)),
        }
    }

    /// A nullable boolean (`prevExist`, `refresh`): `None` when absent.
    pub(super) fn nullable_bool(&self, name: &str) -> Result<Option<bool>, Error> {
        self.first(name)
            .map(|v| go_parse_bool(v).ok_or_else(|| Error::invalid_bool(name)))
            .transpose()
    }
}

/// Go `strconv.ParseBool`.
fn go_parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => Some(true),
        b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => Some(false),
        _ => None,
    }
}

/// Go `strconv.ParseUint(v, 10, 64)`: one or more decimal digits (leading
/// zeros allowed), no sign, no spaces, no underscores, no overflow.
pub(super) fn go_parse_uint(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.iter().try_fold(0u64, |n, &c| {
        if c.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        } else {
            None
        }
    })
}

/// Go's `mime.ParseMediaType`, reduced to what `ParseForm` uses: the
/// lower-cased media type (empty after a malformed type or a duplicate
/// parameter, as in Go) and Go's error text.
pub(super) fn parse_media_type(v: &str) -> (Cow<'static, str>, Option<&'static str>) {
    // The type nearly every write sends, without parameters: what the
    // general path below makes of it, without its work (or an allocation).
    if v.eq_ignore_ascii_case(FORM_MEDIA_TYPE) {
        return (Cow::Borrowed(FORM_MEDIA_TYPE), None);
    }
    let base = v.split(';').next().unwrap_or("");
    let media_type = base.to_lowercase().trim().to_owned();
    if let Err(e) = check_media_type(&media_type) {
        return (Cow::Borrowed(""), Some(e));
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut rest = &v[base.len()..];
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        match consume_media_param(rest) {
            None => {
                if rest.trim() == ";" {
                    // A trailing semicolon is not an error.
                    break;
                }
                return (
                    Cow::Owned(media_type),
                    Some("mime: invalid media parameter"),
                );
            }
            Some((key, after)) => {
                if !seen.insert(key) {
                    return (Cow::Borrowed(""), Some("mime: duplicate parameter name"));
                }
                rest = after;
            }
        }
    }
    (Cow::Owned(media_type), None)
}

/// Go's `checkMediaTypeDisposition`.
fn check_media_type(s: &str) -> Result<(), &'static str> {
    let (typ, rest) = consume_token(s);
    if typ.is_empty() {
        return Err("mime: no media type");
    }
    if rest.is_empty() {
        return Ok(());
    }
    let Some(rest) = rest.strip_prefix('/') else {
        return Err("mime: expected slash after first token");
    };
    let (subtype, rest) = consume_token(rest);
    if subtype.is_empty() {
        return Err("mime: expected token after slash");
    }
    if !rest.is_empty() {
        return Err("mime: unexpected content after media subtype");
    }
    Ok(())
}

fn is_tspecial(c: u8) -> bool {
    b"()<>@,;:\\\"/[]?=".contains(&c)
}

fn is_token_char(c: u8) -> bool {
    c > 0x20 && c < 0x7f && !is_tspecial(c)
}

/// Go's `consumeToken` (non-ASCII is never a token character, so the split
/// is on a character boundary).
fn consume_token(v: &str) -> (&str, &str) {
    let end = v.bytes().position(|c| !is_token_char(c)).unwrap_or(v.len());
    v.split_at(end)
}

/// Go's `consumeValue`: a token or a quoted string; `None` where Go returns
/// an empty value with `rest` unchanged (a parse failure for the caller).
fn consume_value(v: &str) -> Option<&str> {
    if !v.starts_with('"') {
        let (token, rest) = consume_token(v);
        return (!token.is_empty()).then_some(rest);
    }
    let b = v.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Some(&v[i + 1..]),
            b'\\' if i + 1 < b.len() && is_tspecial(b[i + 1]) => i += 2,
            b'\r' | b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Go's `consumeMediaParam`: `; name=value`, giving the lower-cased name and
/// what follows.
fn consume_media_param(v: &str) -> Option<(String, &str)> {
    let rest = v.trim_start().strip_prefix(';')?.trim_start();
    let (param, rest) = consume_token(rest);
    if param.is_empty() {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let rest = consume_value(rest)?;
    Some((param.to_ascii_lowercase(), rest))
}

/// Go's `Request.ParseForm` for a keys request: the body (only of `PUT` and
/// `POST`, only a form) before the query string.
pub(super) fn parse_form(
    method: Method,
    raw_query: Option<&str>,
    content_type: ContentType,
    body: &[u8],
) -> Result<Form, Error> {
    let mut form = Form::default();
    let mut err: Option<String> = None;
    if matches!(method, Method::Put | Method::Post) {
        err = content_type.mime_err.map(str::to_owned);
        if content_type.is_form {
            if body.len() > MAX_FORM_BODY {
                return Err(Error::post_too_large());
            }
            let e = form.parse(body);
            err = err.or(e);
        }
    }
    let e = form.parse(raw_query.unwrap_or("").as_bytes());
    match err.or(e) {
        Some(cause) => Err(invalid_form(cause)),
        None => Ok(form),
    }
}
