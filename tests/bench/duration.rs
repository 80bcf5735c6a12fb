//! Durations on command lines and in environment variables, shared by
//! `etcd-bench` and the fault suite (`FAULTS_DURATION`).

use std::time::Duration;

/// `250ms`, `5s`, `1.5s`, `2m`, or a bare number of seconds; must be > 0.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let bad = || format!("`{s}` is not a duration like 500ms, 5s or 1m");
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let v: f64 = num.parse().map_err(|_| bad())?;
    let secs = v * scale;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("`{s}` must be more than 0 and at most 24h"));
    }
    let d = Duration::from_secs_f64(secs);
    if d < Duration::from_millis(1) {
        return Err(format!("`{s}` is shorter than 1ms"));
    }
    Ok(d)
}
