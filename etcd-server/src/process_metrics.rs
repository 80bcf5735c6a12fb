//! The process figures of `/metrics`, read from `/proc` at every scrape:
//! `process_cpu_seconds_total`, `process_open_fds`, `process_max_fds`,
//! `process_virtual_memory_bytes`, `process_virtual_memory_max_bytes`,
//! `process_resident_memory_bytes` and `process_start_time_seconds` (the
//! process collector of Prometheus' client libraries, as the reference
//! serves them), and the reference's own `os_fd_used` and `os_fd_limit`.
//! Dashboards and alerts written for etcd chart its memory, CPU and file
//! descriptors from these.
//!
//! A figure that cannot be read (no `/proc`) is left out of the page.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use std::fs;
use std::sync::OnceLock;

/// Collects the process figures at scrape time (see the module doc).
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// The soft limit on open files (`RLIM_INFINITY`, all ones, when there is
/// none, as Go reads it).
pub fn fd_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}

/// The soft limit on the address space, all ones when there is none.
fn address_space_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::As)
        .current
        .unwrap_or(u64::MAX)
}

/// How many files the process has open (the entries of `/proc/self/fd`,
/// the directory read for it included, as Go's collector counts them).
fn open_fds() -> Option<u64> {
    let dir = fs::read_dir("/proc/self/fd").ok()?;
    Some(dir.count() as u64)
}

/// The figures of `/proc/self/stat` that the page shows.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    cpu_seconds: f64,
    /// Since the epoch.
    start_time_seconds: f64,
    virtual_bytes: u64,
    resident_bytes: u64,
}

/// Reads `stat`, the text of `/proc/<pid>/stat`: the CPU time and the start
/// time are in clock `ticks` per second, the start time counted from
/// `boot_time` (seconds since the epoch), the resident size in pages of
/// `page_size` bytes.
fn parse_stat(stat: &str, ticks: u64, page_size: u64, boot_time: u64) -> Option<Stat> {
    // The command name, in parentheses, may hold spaces and parentheses of
    // its own: the fields that follow start after the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `fields[0]` is field 3 of proc(5), the state.
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    let ticks = ticks.max(1) as f64;
    Some(Stat {
        cpu_seconds: (field(14)? + field(15)?) as f64 / ticks,
        start_time_seconds: boot_time as f64 + field(22)? as f64 / ticks,
        virtual_bytes: field(23)?,
        resident_bytes: field(24)?.saturating_mul(page_size),
    })
}

/// The boot time (`btime`, seconds since the epoch) in `stat`, the text of
/// `/proc/stat`.
fn parse_boot_time(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|t| t.trim().parse().ok())
}

/// The boot time, read once: `/proc/stat` is long (a line per CPU and per
/// interrupt) and its `btime` does not change.
fn boot_time() -> Option<u64> {
    static BOOT_TIME: OnceLock<Option<u64>> = OnceLock::new();
    *BOOT_TIME.get_or_init(|| parse_boot_time(&fs::read_to_string("/proc/stat").ok()?))
}

fn read_stat() -> Option<Stat> {
    let own = fs::read_to_string("/proc/self/stat").ok()?;
    let boot_time = boot_time()?;
    let ticks = rustix::param::clock_ticks_per_second();
    parse_stat(&own, ticks, rustix::param::page_size() as u64, boot_time)
}

/// Writes one family of a single sample.
fn one(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    let sample = encoder.encode_descriptor(name, help, None, metric.metric_type())?;
    metric.encode(sample)
}

/// Writes a gauge of one sample, `v`: as an integer, or as a float when it
/// is too large for one (a limit of "none", all ones).
fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    v: u64,
) -> Result<(), std::fmt::Error> {
    match i64::try_from(v) {
        Ok(i) => one(encoder, name, help, &ConstGauge::new(i)),
        Err(_) => one(encoder, name, help, &ConstGauge::new(v as f64)),
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let e = &mut encoder;
        let stat = read_stat();
        let open = open_fds();
        let limit = fd_limit();
        if let Some(s) = stat {
            let help = "Total user and system CPU time spent in seconds.";
            one(
                e,
                "process_cpu_seconds",
                help,
                &ConstCounter::new(s.cpu_seconds),
            )?;
        }
        gauge(
            e,
            "process_max_fds",
            "Maximum number of open file descriptors.",
            limit,
        )?;
        if let Some(n) = open {
            gauge(e, "process_open_fds", "Number of open file descriptors.", n)?;
        }
        if let Some(s) = stat {
            let help = "Resident memory size in bytes.";
            gauge(e, "process_resident_memory_bytes", help, s.resident_bytes)?;
            let help = "Start time of the process since unix epoch in seconds.";
            let start = ConstGauge::new(s.start_time_seconds);
            one(e, "process_start_time_seconds", help, &start)?;
            let help = "Virtual memory size in bytes.";
            gauge(e, "process_virtual_memory_bytes", help, s.virtual_bytes)?;
        }
        let help = "Maximum amount of virtual memory available in bytes.";
        gauge(
            e,
            "process_virtual_memory_max_bytes",
            help,
            address_space_limit(),
        )?;
        gauge(e, "os_fd_limit", "The file descriptor limit.", limit)?;
        if let Some(n) = open {
            gauge(e, "os_fd_used", "The number of used file descriptors.", n)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_after_the_command_name() {
        // A command name with a space and a parenthesis of its own; utime
        // 250 and stime 50 ticks, start 1000 ticks after boot, 8192 bytes of
        // address space, 3 resident pages.
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 5 0 \
                    1000 8192 3 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let s = parse_stat(stat, 100, 4096, 1_700_000_000).unwrap();
        assert_eq!(
            s,
            Stat {
                cpu_seconds: 3.0,
                start_time_seconds: 1_700_000_010.0,
                virtual_bytes: 8192,
                resident_bytes: 3 * 4096,
            }
        );
        assert_eq!(parse_stat("42 (x", 100, 4096, 0), None);
        assert_eq!(parse_stat("42 (x) S 1 2", 100, 4096, 0), None);
    }

    #[test]
    fn finds_the_boot_time() {
        let stat = "cpu  1 2 3\nintr 5\nbtime 1795446000\nprocesses 9\n";
        assert_eq!(parse_boot_time(stat), Some(1_795_446_000));
        assert_eq!(parse_boot_time("cpu 1 2 3\n"), None);
    }

    #[test]
    fn this_process_reads_as_itself() {
        let s = read_stat().expect("/proc/self/stat");
        assert!(s.resident_bytes > 0 && s.virtual_bytes >= s.resident_bytes);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        // Started before now, and not before the tests were built.
        assert!(s.start_time_seconds <= now + 1.0 && s.start_time_seconds > now - 86_400.0);
        // The standard streams and the directory being read, at least
        // (other tests open and close files meanwhile).
        assert!(open_fds().unwrap() >= 4);
        assert!(fd_limit() >= 4);
    }
}
