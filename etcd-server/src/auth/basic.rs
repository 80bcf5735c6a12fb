//! The `Authorization` header, read as Go's `Request.BasicAuth` reads it: a
//! case-insensitive `Basic ` prefix, standard padded base64 (CR and LF
//! skipped, non-zero trailing bits accepted), and the user name up to the
//! first `:`.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};

/// What a request's `Authorization` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// No header, or an empty one: the request is anonymous (guest role).
    Missing,
    /// A header that is not valid basic auth (`Bearer ..`, bad base64, no
    /// colon): never authorised, not even as a guest.
    Malformed,
    /// A user name and password to check.
    Basic { user: String, password: Vec<u8> },
}

/// Reads the first `Authorization` header value (`None` when absent).
pub fn credentials(header: Option<&[u8]>) -> Credentials {
    let Some(value) = header.filter(|v| !v.is_empty()) else {
        return Credentials::Missing;
    };
    const PREFIX: &[u8] = b"Basic ";
    if value.len() < PREFIX.len() || !value[..PREFIX.len()].eq_ignore_ascii_case(PREFIX) {
        return Credentials::Malformed;
    }
    let Some(decoded) = decode_std_base64(&value[PREFIX.len()..]) else {
        return Credentials::Malformed;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return Credentials::Malformed;
    };
    Credentials::Basic {
        user: etcd_client::json::lossy(&decoded[..colon]).into_owned(),
        password: decoded[colon + 1..].to_vec(),
    }
}

/// Go's `base64.StdEncoding`: standard alphabet, padding required and
/// canonical (`=` only to fill the last group), but the unused low bits of
/// the last symbol not checked. The `base64` crate's `STANDARD` engine
/// refuses non-zero ones (`YR==`); Go decodes them.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Go's `base64.StdEncoding.DecodeString`: [`GO_STD`], with line breaks
/// (CR, LF) skipped wherever they are.
fn decode_std_base64(input: &[u8]) -> Option<Vec<u8>> {
    let is_break = |c: &u8| *c == b'\r' || *c == b'\n';
    if input.iter().any(is_break) {
        let kept: Vec<u8> = input.iter().copied().filter(|c| !is_break(c)).collect();
        GO_STD.decode(kept).ok()
    } else {
        GO_STD.decode(input).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> Credentials {
        Credentials::Basic {
            user: user.into(),
            password: password.as_bytes().to_vec(),
        }
    }

    #[test]
    fn headers() {
        let cases: &[(Option<&[u8]>, Credentials)] = &[
            (None, Credentials::Missing),
            (Some(b""), Credentials::Missing),
            (Some(b"Basic cm9vdDpyb290cHc="), basic("root", "rootpw")),
            (Some(b"basic cm9vdDpyb290cHc="), basic("root", "rootpw")),
            (Some(b"BASIC cm9vdDpyb290cHc="), basic("root", "rootpw")),
            // Two spaces: the second is not base64.
            (Some(b"Basic  cm9vdDpyb290cHc="), Credentials::Malformed),
            // Padding is required.
            (Some(b"Basic cm9vdDpyb290cHc"), Credentials::Malformed),
            (Some(b"Basic !!!"), Credentials::Malformed),
            (Some(b"Bearer abc"), Credentials::Malformed),
            (Some(b"Basic"), Credentials::Malformed),
            // "rootpw" without a colon.
            (Some(b"Basic cm9vdHB3"), Credentials::Malformed),
            // ":x": an empty user name.
            (Some(b"Basic Ong="), basic("", "x")),
            // "a:b:c": the password keeps the second colon.
            (Some(b"Basic YTpiOmM="), basic("a", "b:c")),
            // "a:" : an empty password.
            (Some(b"Basic YTo="), basic("a", "")),
        ];
        for (header, want) in cases {
            assert_eq!(&credentials(*header), want, "{header:?}");
        }
    }

    #[test]
    fn base64_like_go() {
        let d = |s: &str| decode_std_base64(s.as_bytes());
        assert_eq!(d(""), Some(vec![]));
        assert_eq!(d("YQ=="), Some(b"a".to_vec()));
        assert_eq!(d("YWI="), Some(b"ab".to_vec()));
        assert_eq!(d("YWJj"), Some(b"abc".to_vec()));
        assert_eq!(d("YW\r\nJj"), Some(b"abc".to_vec()));
        assert_eq!(d("YQ=\n="), Some(b"a".to_vec()));
        assert_eq!(d("YQ==\r\n"), Some(b"a".to_vec()));
        // Non-zero trailing bits are accepted ("YR==" decodes as "a"), which
        // the crate's STANDARD engine would refuse.
        assert_eq!(d("YR=="), Some(b"a".to_vec()));
        let standard = base64::engine::general_purpose::STANDARD;
        assert!(standard.decode("YR==").is_err());
        for bad in [
            "Y", "YQ=", "Y===", "====", "YQ==YWJj", "YW=j", "YW J", "YWJ-",
        ] {
            assert_eq!(d(bad), None, "{bad}");
        }
    }
}
