//! Times as the reference shows them: RFC 3339 in UTC with nanoseconds and the
//! trailing zeros of the fraction trimmed (Go's `time.RFC3339Nano`), and TTLs as
//! the ceiling of the remaining seconds.

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Formats Unix nanoseconds as Go's `RFC3339Nano` in UTC, for example
/// `2026-11-21T05:28:32.21984926Z`.
pub fn format_rfc3339_nano(unix_nanos: i64) -> String {
    let secs = unix_nanos.div_euclid(NANOS_PER_SEC);
    let nanos = unix_nanos.rem_euclid(NANOS_PER_SEC);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Parses what [`format_rfc3339_nano`] writes (and any RFC 3339 time with a `Z`
/// or numeric offset) back to Unix nanoseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        nanos = digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32);
    }
    let offset = match &text[i..] {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset;
    secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos)
}

/// Remaining whole seconds until `expiration`, rounded up, exactly as the
/// reference computes the `ttl` field: truncating division plus one when a
/// positive remainder is left (so an expired node shows 0 or less).
pub fn remaining_ttl(expiration_nanos: i64, now_nanos: i64) -> i64 {
    let left = expiration_nanos.saturating_sub(now_nanos);
    let mut ttl = left / NANOS_PER_SEC;
    if left % NANOS_PER_SEC > 0 {
        ttl += 1;
    }
    ttl
}

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(format_rfc3339_nano(0), "1970-01-01T00:00:00Z");
        let t = parse_rfc3339("2026-11-21T05:28:32.21984926Z").unwrap();
        assert_eq!(format_rfc3339_nano(t), "2026-11-21T05:28:32.21984926Z");
        assert_eq!(format_rfc3339_nano(t - 219_849_260), "2026-11-21T05:28:32Z");
        let far = parse_rfc3339("2248-09-16T18:15:47.773690374Z").unwrap();
        assert_eq!(format_rfc3339_nano(far), "2248-09-16T18:15:47.773690374Z");
        let old = parse_rfc3339("1700-02-28T23:59:59.000000001Z").unwrap();
        assert_eq!(format_rfc3339_nano(old), "1700-02-28T23:59:59.000000001Z");
        assert_eq!(
            format_rfc3339_nano(old + 1_999_999_999),
            "1700-03-01T00:00:01Z"
        );
    }

    #[test]
    fn parses_offsets() {
        let a = parse_rfc3339("2026-11-21T06:28:32+01:00").unwrap();
        let b = parse_rfc3339("2026-11-21T05:28:32Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_rfc3339("2026-11-21 05:28:32Z").is_none());
        assert!(parse_rfc3339("2026-13-21T05:28:32Z").is_none());
    }

    #[test]
    fn ttl_is_ceiling_of_remaining_seconds() {
        let s = NANOS_PER_SEC;
        assert_eq!(remaining_ttl(100 * s, 0), 100);
        assert_eq!(remaining_ttl(3 * s, s / 2), 3);
        assert_eq!(remaining_ttl(3 * s, s), 2);
        assert_eq!(remaining_ttl(3 * s, 3 * s), 0);
        assert_eq!(remaining_ttl(3 * s, 3 * s + s / 2), 0);
        assert_eq!(remaining_ttl(3 * s, 5 * s + s / 2), -2);
    }
}
