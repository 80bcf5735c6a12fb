//! The body of a member add or update (`{"peerURLs":[...]}`), read as the
//! reference reads it: Go's `json.Unmarshal` into a struct with one field,
//! `PeerURLs []string`. A bad body's error names what Go's decoder names,
//! in Go's words (the reference sends that text back as the message of its
//! 400), so the whole input is first checked as Go checks it, then decoded:
//!
//! - the key matches `peerURLs` in any letter case; other keys are ignored,
//!   and a later `peerURLs` replaces an earlier one;
//! - `null` (the body, the list or an element) leaves the zero value: no
//!   list, or an empty string;
//! - invalid UTF-8 in a string becomes U+FFFD, byte by byte.
//!
//! The auth API's bodies (`crate::auth::body`) are decoded the same way
//! but through serde_json, as their errors carry no text; here Go's texts
//! need Go's own checks, and the decoding follows them by hand (serde_json
//! also refuses lone surrogates and nesting deeper than 128, which Go
//! takes).

/// The peer URLs of a member add or update body (`None` without any), or
/// Go's error text.
pub fn peer_urls(body: &[u8]) -> Result<Option<Vec<String>>, String> {
    check(body)?;
    let mut d = Decoder { b: body, i: 0 };
    d.top()
}

/// What Go's type names in its "cannot unmarshal" errors.
const TOP_TYPE: &str = r#"struct { PeerURLs []string "json:\"peerURLs\"" }"#;
const MAX_DEPTH: usize = 10_000;

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's quoting of an offending byte in a syntax error.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        _ => {
            let ch = char::from(c);
            let s = match ch {
                '\u{7}' => r"\a".to_owned(),
                '\u{8}' => r"\b".to_owned(),
                '\u{c}' => r"\f".to_owned(),
                '\n' => r"\n".to_owned(),
                '\r' => r"\r".to_owned(),
                '\t' => r"\t".to_owned(),
                '\u{b}' => r"\v".to_owned(),
                '\\' => r"\\".to_owned(),
                c if u32::from(c) < 0x20 || c == '\u{7f}' => format!("\\x{:02x}", u32::from(c)),
                c if c.is_control() || c == '\u{a0}' || c == '\u{ad}' => {
                    format!("\\u{:04x}", u32::from(c))
                }
                c => c.to_string(),
            };
            format!("'{s}'")
        }
    }
}

fn syntax(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

const END: &str = "unexpected end of JSON input";

/// The index of the first byte at or after `i` that is not a space.
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    i
}

/// Go's validity check of the whole input: the first syntax error, or an
/// input that ends inside its value.
fn check(b: &[u8]) -> Result<(), String> {
    let mut i = 0;
    // Open containers: true for an object.
    let mut stack: Vec<bool> = Vec::new();
    loop {
        // A value starts here.
        i = skip_spaces(b, i);
        let Some(&c) = b.get(i) else {
            return Err(END.into());
        };
        match c {
            b'{' | b'[' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(c, "exceeded max depth"));
                }
                stack.push(c == b'{');
                i = skip_spaces(b, i + 1);
                match (c, b.get(i)) {
                    (_, None) => return Err(END.into()),
                    (b'{', Some(b'}')) | (b'[', Some(b']')) => {
                        stack.pop();
                        i += 1;
                    }
                    (b'{', _) => {
                        i = key(b, i)?;
                        continue;
                    }
                    _ => continue,
                }
            }
            b'"' => i = string(b, i)?,
            b'-' | b'0'..=b'9' => i = number(b, i)?,
            b't' => i = literal(b, i, "true")?,
            b'f' => i = literal(b, i, "false")?,
            b'n' => i = literal(b, i, "null")?,
            _ => return Err(syntax(c, "looking for beginning of value")),
        }
        // A value ended: what may follow it.
        loop {
            i = skip_spaces(b, i);
            let Some(&in_object) = stack.last() else {
                return match b.get(i) {
                    None => Ok(()),
                    Some(&c) => Err(syntax(c, "after top-level value")),
                };
            };
            let Some(&c) = b.get(i) else {
                return Err(END.into());
            };
            i += 1;
            match (in_object, c) {
                (true, b',') => {
                    i = key(b, i)?;
                    break;
                }
                (false, b',') => break,
                (true, b'}') | (false, b']') => {
                    stack.pop();
                }
                (true, c) => return Err(syntax(c, "after object key:value pair")),
                (false, c) => return Err(syntax(c, "after array element")),
            }
        }
    }
}

/// An object key and its colon, spaces first; the index after the colon.
fn key(b: &[u8], i: usize) -> Result<usize, String> {
    let i = skip_spaces(b, i);
    match b.get(i) {
        None => return Err(END.into()),
        Some(b'"') => {}
        Some(&c) => return Err(syntax(c, "looking for beginning of object key string")),
    }
    let i = skip_spaces(b, string(b, i)?);
    match b.get(i) {
        None => Err(END.into()),
        Some(b':') => Ok(i + 1),
        Some(&c) => Err(syntax(c, "after object key")),
    }
}

/// A string starting at `i` (its quote); the index after it.
fn string(b: &[u8], mut i: usize) -> Result<usize, String> {
    i += 1;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(END.into());
        };
        i += 1;
        match c {
            b'"' => return Ok(i),
            b'\\' => {
                let Some(&e) = b.get(i) else {
                    return Err(syntax(b' ', "in string escape code"));
                };
                i += 1;
                match e {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {}
                    b'u' => {
                        for _ in 0..4 {
                            let h = b.get(i).copied().unwrap_or(b' ');
                            if !h.is_ascii_hexdigit() {
                                return Err(syntax(h, r"in \u hexadecimal character escape"));
                            }
                            i += 1;
                        }
                    }
                    e => return Err(syntax(e, "in string escape code")),
                }
            }
            c if c < 0x20 => return Err(syntax(c, "in string literal")),
            _ => {}
        }
    }
}

/// A number starting at `i`; the index after it.
fn number(b: &[u8], mut i: usize) -> Result<usize, String> {
    let digits = |i: &mut usize| {
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    };
    // The end of the input reads as a space, as Go's scanner has it.
    let at = |i: usize| b.get(i).copied().unwrap_or(b' ');
    if b[i] == b'-' {
        i += 1;
        if !at(i).is_ascii_digit() {
            return Err(syntax(at(i), "in numeric literal"));
        }
    }
    if b[i] == b'0' {
        i += 1;
    } else {
        digits(&mut i);
    }
    if at(i) == b'.' {
        i += 1;
        if !at(i).is_ascii_digit() {
            return Err(syntax(at(i), "after decimal point in numeric literal"));
        }
        digits(&mut i);
    }
    if matches!(at(i), b'e' | b'E') {
        i += 1;
        if matches!(at(i), b'+' | b'-') {
            i += 1;
        }
        if !at(i).is_ascii_digit() {
            return Err(syntax(at(i), "in exponent of numeric literal"));
        }
        digits(&mut i);
    }
    Ok(i)
}

/// `true`, `false` or `null` starting at `i`; the index after it.
fn literal(b: &[u8], i: usize, word: &str) -> Result<usize, String> {
    for (k, want) in word.bytes().enumerate().skip(1) {
        // The end of the input reads as a space, as Go's scanner has it.
        let c = b.get(i + k).copied().unwrap_or(b' ');
        if c != want {
            let context = format!("in literal {word} (expecting '{}')", char::from(want));
            return Err(syntax(c, &context));
        }
    }
    Ok(i + word.len())
}

/// Decodes input that [`check`] found valid.
struct Decoder<'a> {
    b: &'a [u8],
    i: usize,
}

/// Go's name of a JSON value's kind, by its first byte.
fn kind(c: u8) -> &'static str {
    match c {
        b'{' => "object",
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "bool",
        _ => "number",
    }
}

impl Decoder<'_> {
    fn peek(&mut self) -> u8 {
        self.i = skip_spaces(self.b, self.i);
        self.b[self.i]
    }

    fn top(&mut self) -> Result<Option<Vec<String>>, String> {
        match self.peek() {
            b'n' => Ok(None),
            b'{' => self.object(),
            c => Err(format!(
                "json: cannot unmarshal {} into Go value of type {TOP_TYPE}",
                kind(c)
            )),
        }
    }

    fn object(&mut self) -> Result<Option<Vec<String>>, String> {
        // Go goes on after a type error and reports the first one at the end.
        let mut first_error = None;
        let mut urls = None;
        self.i += 1;
        loop {
            if self.peek() == b'}' {
                self.i += 1;
                break;
            }
            let key = self.string();
            self.peek();
            self.i += 1; // the colon
            if crate::auth::body::field(&["peerURLs"], &key).is_some() {
                match self.peek() {
                    b'n' => {
                        urls = None;
                        self.skip_value();
                    }
                    b'[' => urls = Some(self.list(&mut first_error)),
                    c => {
                        let e = format!(
                            "json: cannot unmarshal {} into Go struct field .peerURLs of type []string",
                            kind(c)
                        );
                        first_error.get_or_insert(e);
                        self.skip_value();
                    }
                }
            } else {
                self.skip_value();
            }
            if self.peek() == b',' {
                self.i += 1;
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(urls),
        }
    }

    fn list(&mut self, first_error: &mut Option<String>) -> Vec<String> {
        let mut urls = Vec::new();
        self.i += 1;
        loop {
            match self.peek() {
                b']' => {
                    self.i += 1;
                    return urls;
                }
                b',' => self.i += 1,
                b'"' => urls.push(self.string()),
                b'n' => {
                    urls.push(String::new());
                    self.skip_value();
                }
                c => {
                    let e = format!(
                        "json: cannot unmarshal {} into Go struct field .peerURLs of type string",
                        kind(c)
                    );
                    first_error.get_or_insert(e);
                    urls.push(String::new());
                    self.skip_value();
                }
            }
        }
    }

    /// Skips the (valid) value starting here.
    fn skip_value(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                b'"' => {
                    self.string();
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' | b']' => {
                    depth -= 1;
                    self.i += 1;
                }
                b',' | b':' => self.i += 1,
                _ => {
                    while self.i < self.b.len()
                        && !matches!(self.b[self.i], b',' | b'}' | b']' | b':')
                        && !is_space(self.b[self.i])
                    {
                        self.i += 1;
                    }
                }
            }
            if depth == 0 {
                return;
            }
        }
    }

    /// The (valid) string starting here, unescaped.
    fn string(&mut self) -> String {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.b[self.i];
            self.i += 1;
            match c {
                b'"' => return etcd_client::json::lossy_as_decoded(&out).into_owned(),
                b'\\' => {
                    let e = self.b[self.i];
                    self.i += 1;
                    let ch = match e {
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char(),
                        other => char::from(other),
                    };
                    out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = std::str::from_utf8(self.b.get(self.i..self.i + 4)?).ok()?;
        let v = u32::from_str_radix(h, 16).ok()?;
        self.i += 4;
        Some(v)
    }

    /// The character of a `\u` escape (after the `u`), a surrogate pair
    /// taken whole; an unpaired surrogate is U+FFFD.
    fn escaped_char(&mut self) -> char {
        let first = self.hex4().unwrap_or(0xfffd);
        if (0xd800..0xdc00).contains(&first) && self.b[self.i..].starts_with(b"\\u") {
            let saved = self.i;
            self.i += 2;
            match self.hex4() {
                Some(second) if (0xdc00..0xe000).contains(&second) => {
                    let c = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                    return char::from_u32(c).unwrap_or('\u{fffd}');
                }
                _ => self.i = saved,
            }
        }
        char::from_u32(first).unwrap_or('\u{fffd}')
    }
}

#[cfg(test)]
#[path = "members_body_tests.rs"]
mod tests;
