//! JSON encoding that matches Go's `encoding/json`, which the reference uses.
//!
//! Differences from serde_json's default output, all visible to clients that
//! compare bytes:
//! - `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026`;
//! - U+2028 and U+2029 are written as `\u2028` and `\u2029`;
//! - control characters other than `\n`, `\r`, `\t` are written as `\u00XX`
//!   (Go 1.19 has no `\b` or `\f` short forms);
//! - every byte of invalid UTF-8 is written as `\ufffd`, as Go does. Values in
//!   this project keep their raw bytes; [`lossy`] renders each invalid byte as
//!   its own mark ([`invalid_byte_mark`], U+10FF80 to U+10FFFF), which
//!   [`GoFormatter`] writes as that escape. Distinct bytes keep distinct marks,
//!   so keys that differ only in invalid bytes stay distinct keys. A genuine
//!   U+FFFD is written raw, as Go writes it; only the genuine characters used
//!   as marks (the end of the last private-use plane), which no text should
//!   hold, are written as the escape too. Text that holds only genuine
//!   characters, such as strings decoded from a server's JSON, goes through
//!   [`TextFormatter`] ([`to_vec_text`]) instead, which writes those raw.
//!
//! U+007F and all other non-ASCII characters are written raw, as Go does.

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};
use std::borrow::Cow;
use std::io;

/// What [`lossy`] puts in place of the invalid byte `byte` (always 0x80 or
/// more): U+10FF00 + `byte`, at the end of the last private-use plane, so a
/// genuine U+FFFD stays distinguishable and different bytes stay different.
/// [`GoFormatter`] writes every mark as `\ufffd`.
pub fn invalid_byte_mark(byte: u8) -> char {
    char::from_u32(0x10_FF00 + u32::from(byte)).expect("U+10FF00..=U+10FFFF are characters")
}

/// A serde_json formatter that escapes strings the way Go does.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoFormatter;

/// [`GoFormatter`] for text of genuine characters only: the characters used
/// as [`invalid_byte_mark`]s are written raw, as Go writes them (there are no
/// invalid bytes to stand for).
#[derive(Debug, Clone, Copy, Default)]
pub struct TextFormatter;

/// Implements [`Formatter`] for `$formatter` with Go's escapes; invalid byte
/// marks written as `\ufffd` when `$marks`.
macro_rules! go_formatter {
    ($formatter:ty, $marks:expr) => {
        impl Formatter for $formatter {
            fn write_string_fragment<W: ?Sized + io::Write>(
                &mut self,
                writer: &mut W,
                fragment: &str,
            ) -> io::Result<()> {
                write_go_fragment(writer, fragment, $marks)
            }

            fn write_char_escape<W: ?Sized + io::Write>(
                &mut self,
                writer: &mut W,
                char_escape: CharEscape,
            ) -> io::Result<()> {
                write_go_char_escape(writer, char_escape)
            }
        }
    };
}

go_formatter!(GoFormatter, true);
go_formatter!(TextFormatter, false);

/// Writes `fragment` (which holds nothing JSON itself escapes) with Go's
/// extra escapes; an [`invalid_byte_mark`] as `\ufffd` when `marks_invalid_bytes`.
fn write_go_fragment<W: ?Sized + io::Write>(
    writer: &mut W,
    fragment: &str,
    marks_invalid_bytes: bool,
) -> io::Result<()> {
    let bytes = fragment.as_bytes();
    // Most strings hold nothing Go escapes beyond JSON's own escapes: a
    // branch-free scan (which the compiler vectorizes) finds out cheaply.
    let special = bytes.iter().fold(false, |any, &b| {
        any | matches!(b, b'<' | b'>' | b'&' | 0xE2 | 0xF4)
    });
    if !special {
        return writer.write_all(bytes);
    }
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let escape: Option<(&[u8], usize)> = match bytes[i] {
            b'<' => Some((b"\\u003c", 1)),
            b'>' => Some((b"\\u003e", 1)),
            b'&' => Some((b"\\u0026", 1)),
            0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
                Some(0xA8) => Some((b"\\u2028", 3)),
                Some(0xA9) => Some((b"\\u2029", 3)),
                _ => None,
            },
            // U+10FF80..=U+10FFFF: F4 8F BE|BF xx.
            0xF4 if marks_invalid_bytes
                && bytes.get(i + 1) == Some(&0x8F)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                Some((b"\\ufffd", 4))
            }
            _ => None,
        };
        match escape {
            Some((text, len)) => {
                writer.write_all(&bytes[start..i])?;
                writer.write_all(text)?;
                i += len;
                start = i;
            }
            None => i += 1,
        }
    }
    writer.write_all(&bytes[start..])
}

/// JSON's own escapes, in Go's forms.
fn write_go_char_escape<W: ?Sized + io::Write>(
    writer: &mut W,
    char_escape: CharEscape,
) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let control = |b: u8| {
        [
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 0xF) as usize],
        ]
    };
    match char_escape {
        CharEscape::Quote => writer.write_all(b"\\\""),
        CharEscape::ReverseSolidus => writer.write_all(b"\\\\"),
        CharEscape::Solidus => writer.write_all(b"/"),
        CharEscape::LineFeed => writer.write_all(b"\\n"),
        CharEscape::CarriageReturn => writer.write_all(b"\\r"),
        CharEscape::Tab => writer.write_all(b"\\t"),
        CharEscape::Backspace => writer.write_all(&control(0x08)),
        CharEscape::FormFeed => writer.write_all(&control(0x0C)),
        CharEscape::AsciiControl(b) => writer.write_all(&control(b)),
    }
}

/// Appends `value` encoded as Go would encode it (no trailing newline).
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    write_with(out, value, GoFormatter);
}

fn write_with<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T, formatter: impl Formatter) {
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value
        .serialize(&mut ser)
        .expect("wire types always serialize");
}

/// `value` encoded as Go would encode it (no trailing newline).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write(&mut out, value);
    out
}

/// `value` encoded as Go would encode it when its strings hold genuine
/// characters only ([`TextFormatter`]; no trailing newline).
pub fn to_vec_text<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_with(&mut out, value, TextFormatter);
    out
}

/// `value` encoded as Go's `json.Encoder` writes it: followed by `\n`.
pub fn to_vec_line<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = to_vec(value);
    out.push(b'\n');
    out
}

/// Decodes bytes for rendering as Go renders a string holding them: every byte
/// that does not start a valid UTF-8 sequence becomes its [`invalid_byte_mark`],
/// which [`GoFormatter`] writes as `\ufffd` (Go advances one byte per invalid
/// byte, where `String::from_utf8_lossy` may merge several).
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    replace_invalid(bytes, invalid_byte_mark)
}

/// Decodes bytes as Go's JSON decoder reads a document holding them: every
/// byte that does not start a valid UTF-8 sequence becomes a genuine U+FFFD,
/// which is then part of the decoded text (and written raw, as Go does).
pub fn lossy_as_decoded(bytes: &[u8]) -> Cow<'_, str> {
    replace_invalid(bytes, |_| char::REPLACEMENT_CHARACTER)
}

fn replace_invalid(bytes: &[u8], replacement: impl Fn(u8) -> char) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            let mut rest = bytes;
            loop {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        break;
                    }
                    Err(e) => {
                        let (valid, after) = rest.split_at(e.valid_up_to());
                        out.push_str(std::str::from_utf8(valid).expect("checked prefix"));
                        let bad = e.error_len().unwrap_or(after.len());
                        for &b in &after[..bad] {
                            out.push(replacement(b));
                        }
                        rest = &after[bad..];
                    }
                }
            }
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        String::from_utf8(to_vec(v)).unwrap()
    }

    #[test]
    fn html_characters_are_escaped() {
        assert_eq!(s("a\"b\\c<>&/"), r#""a\"b\\c\u003c\u003e\u0026/""#);
    }

    #[test]
    fn control_characters_like_go() {
        assert_eq!(s("tab\there\u{1}"), r#""tab\there\u0001""#);
        assert_eq!(s("line1\nline2\n"), r#""line1\nline2\n""#);
        assert_eq!(s("\r\u{8}\u{c}\u{1b}"), r#""\r\u0008\u000c\u001b""#);
        assert_eq!(s("del\u{7f}"), "\"del\u{7f}\"");
    }

    #[test]
    fn unicode_is_raw_except_line_separators() {
        assert_eq!(s("héllo ☃ 日本語 😀"), "\"héllo ☃ 日本語 😀\"");
        assert_eq!(s("a\u{2028}b\u{2029}c"), r#""a\u2028b\u2029c""#);
    }

    #[test]
    fn invalid_utf8_becomes_escaped_replacement_per_byte() {
        assert_eq!(s(&lossy(b"\xff\xfe")), r#""\ufffd\ufffd""#);
        // A truncated three-byte sequence is two invalid bytes in Go.
        assert_eq!(lossy(b"a\xe2\x98b"), "a\u{10FFE2}\u{10FF98}b");
        assert_eq!(lossy(b"end\xe2\x98"), "end\u{10FFE2}\u{10FF98}");
        // Different invalid bytes stay different.
        assert_ne!(lossy(b"\xff"), lossy(b"\xfe"));
        assert_eq!(s(&lossy(b"\x80\xbf")), r#""\ufffd\ufffd""#);
        // A genuine U+FFFD next to an invalid byte: Go's bytes exactly.
        let mixed = to_vec(&*lossy(
            "\u{FFFD}"
                .as_bytes()
                .iter()
                .chain(b"\xff")
                .copied()
                .collect::<Vec<u8>>()
                .as_slice(),
        ));
        assert_eq!(mixed, b"\"\xef\xbf\xbd\\ufffd\"");
        assert_eq!(lossy(b"ok"), "ok");
        assert_eq!(lossy_as_decoded(b"a\xe2\x98b"), "a\u{FFFD}\u{FFFD}b");
    }

    #[test]
    fn decoded_text_keeps_every_character_raw() {
        let text = String::from_utf8(to_vec_text("\u{FFFD}\u{10FFFF}<\u{2028}")).unwrap();
        assert_eq!(text, "\"\u{FFFD}\u{10FFFF}\\u003c\\u2028\"");
        // Other characters of that plane are not marks.
        assert_eq!(s("\u{10FE80}\u{100000}"), "\"\u{10FE80}\u{100000}\"");
        assert_eq!(s("\u{FFFD}"), "\"\u{FFFD}\"");
    }

    #[test]
    fn line_encoding_ends_with_newline() {
        assert_eq!(to_vec_line(&1u8), b"1\n");
    }
}
