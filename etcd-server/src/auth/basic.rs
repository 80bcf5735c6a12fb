//! The `Authorization` header, read as Go's `Request.BasicAuth` reads it: a
//! case-insensitive `Basic ` prefix, standard padded base64 (CR and LF
//! skipped, non-zero trailing bits accepted), and the user name up to the
//! first `:`.

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

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Go's `base64.StdEncoding.DecodeString`: groups of four characters, `=`
/// padding only in the last group, line breaks ignored, the unused low bits
/// of the last character not checked.
fn decode_std_base64(input: &[u8]) -> Option<Vec<u8>> {
    let chars: Vec<u8> = input
        .iter()
        .copied()
        .filter(|&c| c != b'\r' && c != b'\n')
        .collect();
    if chars.len() % 4 != 0 {
        return None;
    }
    let groups = chars.len() / 4;
    let mut out = Vec::with_capacity(groups * 3);
    for (i, group) in chars.chunks(4).enumerate() {
        let pad = group.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for (j, &c) in group[..4 - pad].iter().enumerate() {
            n |= sextet(c)? << (18 - 6 * j);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
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
        // Non-zero trailing bits are accepted ("YR==" decodes as "a").
        assert_eq!(d("YR=="), Some(b"a".to_vec()));
        for bad in [
            "Y", "YQ=", "Y===", "====", "YQ==YWJj", "YW=j", "YW J", "YWJ-",
        ] {
            assert_eq!(d(bad), None, "{bad}");
        }
    }
}
