//! Latency percentiles from recorded samples (sorted, nearest-rank).

use std::time::Duration;

/// Result of one cell: counts plus latency figures of the 2xx requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Requests answered with a 2xx status.
    pub ok: u64,
    /// Requests answered with any other status.
    pub non_2xx: u64,
    /// Requests that got no complete response (connect, timeout, I/O...).
    pub errors: u64,
    /// Measured wall time of the cell.
    pub elapsed: Duration,
    pub p50: Option<Duration>,
    pub p90: Option<Duration>,
    pub p99: Option<Duration>,
    pub p999: Option<Duration>,
    pub max: Option<Duration>,
}

impl Summary {
    /// Builds a summary; `latencies_ns` (of 2xx requests) is sorted in place.
    pub fn new(latencies_ns: &mut [u64], non_2xx: u64, errors: u64, elapsed: Duration) -> Summary {
        latencies_ns.sort_unstable();
        let at = |p: f64| percentile(latencies_ns, p).map(Duration::from_nanos);
        Summary {
            ok: latencies_ns.len() as u64,
            non_2xx,
            errors,
            elapsed,
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            p999: at(99.9),
            max: latencies_ns.last().copied().map(Duration::from_nanos),
        }
    }

    /// Successful (2xx) requests per second of wall time.
    pub fn ops_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }
}

/// Nearest-rank percentile of an ascending slice: the smallest sample such
/// that at least `p` percent of the samples are at or below it.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // Subtract a hair so that e.g. 0.9 * 10 = 9.000000000000002 ranks as 9.
    let rank = ((p / 100.0) * n as f64 - 1e-9).ceil().max(1.0) as usize;
    Some(sorted[rank.min(n) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.9), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));

        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&v, 90.0), Some(9));
        assert_eq!(percentile(&v, 91.0), Some(10));
        assert_eq!(percentile(&v, 50.0), Some(5));

        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 99.9), Some(999));
        assert_eq!(percentile(&v, 99.0), Some(990));
    }

    #[test]
    fn small_and_empty() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 0.0), Some(7));
        assert_eq!(percentile(&[7], 99.9), Some(7));
        assert_eq!(percentile(&[1, 2], 50.0), Some(1));
        assert_eq!(percentile(&[1, 2], 51.0), Some(2));
    }

    #[test]
    fn summary_sorts_and_counts() {
        let mut v: Vec<u64> = (1..=1000).rev().map(|x| x * 1000).collect();
        let s = Summary::new(&mut v, 3, 4, Duration::from_secs(2));
        assert_eq!(s.ok, 1000);
        assert_eq!(s.non_2xx, 3);
        assert_eq!(s.errors, 4);
        assert_eq!(s.p50, Some(Duration::from_micros(500)));
        assert_eq!(s.p90, Some(Duration::from_micros(900)));
        assert_eq!(s.p99, Some(Duration::from_micros(990)));
        assert_eq!(s.p999, Some(Duration::from_micros(999)));
        assert_eq!(s.max, Some(Duration::from_micros(1000)));
        assert_eq!(s.ops_per_sec(), 500.0);
    }

    #[test]
    fn summary_without_samples() {
        let s = Summary::new(&mut [], 0, 9, Duration::ZERO);
        assert_eq!(s.ok, 0);
        assert_eq!(s.p50, None);
        assert_eq!(s.max, None);
        assert_eq!(s.ops_per_sec(), 0.0);
    }
}
