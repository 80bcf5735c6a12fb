//! Go's formatting of values where the reference's messages show them (`%q`).

use std::fmt::Write;

/// Go's `%q` of a string (`strconv.Quote`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_strconv_quote() {
        assert_eq!(go_quote("value=v"), "\"value=v\"");
        assert_eq!(go_quote(""), "\"\"");
        assert_eq!(go_quote("{\"a\":[\"b\"]}"), "\"{\\\"a\\\":[\\\"b\\\"]}\"");
        assert_eq!(go_quote("a\nb\u{1}é\u{85}"), "\"a\\nb\\x01é\\u0085\"");
    }
}
