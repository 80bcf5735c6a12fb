//! Command-line parsing for `etcd-bench` (a small hand-written parser).

use std::time::Duration;

use crate::duration::parse_duration;
use crate::target;

pub const USAGE: &str = "\
etcd-bench: load generator for an etcd v2 HTTP endpoint (loopback only)

USAGE:
    etcd-bench --endpoint URL [OPTIONS]

OPTIONS:
    --endpoint URL       first target, e.g. http://127.0.0.1:2379 (required)
    --endpoint2 URL      second target; every cell is run against both, alternately
    --label1 NAME        name of the first target  (default: ours, or host:port alone)
    --label2 NAME        name of the second target (default: reference)
    --connections LIST   comma-separated connection counts (default: 1,64)
    --duration DUR       length of each cell, e.g. 5s, 500ms, 1m (default: 5s)
    --requests N         instead of --duration: N requests per cell
    --value-size BYTES   size of written values (default: 256)
    --keys N             number of distinct keys (default: 10000)
    --workloads LIST     any of write,read,quorum-read,mix (default: all four)
    --prefix PATH        key directory used by the tool (default: /bench)
    --timeout DUR        per-request timeout (default: 5s)
    --max-runtime DUR    hard cap for the whole invocation
                         (default: 2 x planned measuring time + 60s; 600s with --requests)
    --threads N          client runtime worker threads (default: CPU count)
    --rounds N           measure every cell N times and print the medians after
                         the rounds; the targets take turns going first (default: 1)
    --user USER:PASSWORD basic auth sent with every request (pre-flight and
                         fill too); the user needs read and write on PATH
    --json               one JSON object per cell instead of the table
    -h, --help           this text

Only targets whose host is 127.0.0.0/8, localhost or [::1] are accepted.
";

/// Upper bound for `--connections` entries (each one is a socket).
pub const MAX_CONNECTIONS: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    Write,
    Read,
    QuorumRead,
    Mix,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::Write,
        Workload::Read,
        Workload::QuorumRead,
        Workload::Mix,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Write => "write",
            Workload::Read => "read",
            Workload::QuorumRead => "quorum-read",
            Workload::Mix => "mix",
        }
    }

    /// Whether the workload reads keys that must exist beforehand.
    pub fn needs_fill(self) -> bool {
        !matches!(self, Workload::Write)
    }

    fn parse(s: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == s)
    }
}

/// When a cell stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Duration(Duration),
    Requests(u64),
}

/// One endpoint with its display label; `base` is `scheme://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub label: String,
    pub base: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub targets: Vec<Target>,
    pub connections: Vec<usize>,
    pub stop: Stop,
    pub value_size: usize,
    pub keys: u64,
    pub workloads: Vec<Workload>,
    pub prefix: String,
    pub json: bool,
    pub timeout: Duration,
    pub max_runtime: Duration,
    pub threads: Option<usize>,
    /// How many times every cell is measured.
    pub rounds: u32,
    /// `user:password` for basic auth.
    pub user: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Box<Args>),
    Help,
}

const VALUE_FLAGS: [&str; 16] = [
    "--endpoint",
    "--endpoint2",
    "--label1",
    "--label2",
    "--connections",
    "--duration",
    "--requests",
    "--value-size",
    "--keys",
    "--workloads",
    "--prefix",
    "--timeout",
    "--max-runtime",
    "--threads",
    "--rounds",
    "--user",
];

/// Parses the arguments that follow the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Parsed, String> {
    let mut raw: Vec<(&'static str, String)> = Vec::new();
    let mut json = false;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Parsed::Help);
        }
        if !arg.starts_with("--") {
            return Err(format!("unexpected argument `{arg}`"));
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if name == "--json" {
            if inline.is_some() {
                return Err("--json takes no value".into());
            }
            if json {
                return Err("--json given twice".into());
            }
            json = true;
            continue;
        }
        let Some(flag) = VALUE_FLAGS.iter().copied().find(|f| *f == name) else {
            return Err(format!("unknown option `{name}` (see --help)"));
        };
        let value = match inline {
            Some(v) => v,
            None => match it.next() {
                Some(v) if !v.starts_with("--") => v,
                _ => return Err(format!("{flag} needs a value")),
            },
        };
        if raw.iter().any(|(f, _)| *f == flag) {
            return Err(format!("{flag} given twice"));
        }
        raw.push((flag, value));
    }
    let get = |flag: &str| {
        raw.iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v.as_str())
    };

    let endpoint = get("--endpoint").ok_or("--endpoint is required (see --help)")?;
    let endpoint = target::check_endpoint(endpoint).map_err(|e| format!("--endpoint: {e}"))?;
    let endpoint2 = get("--endpoint2")
        .map(|e| target::check_endpoint(e).map_err(|e| format!("--endpoint2: {e}")))
        .transpose()?;
    let mut targets = Vec::new();
    match endpoint2 {
        Some(base2) => {
            let l1 = parse_label("--label1", get("--label1"), "ours")?;
            let l2 = parse_label("--label2", get("--label2"), "reference")?;
            if l1 == l2 {
                return Err(format!("--label1 and --label2 are both `{l1}`"));
            }
            targets.push(Target {
                label: l1,
                base: endpoint,
            });
            targets.push(Target {
                label: l2,
                base: base2,
            });
        }
        None => {
            if get("--label2").is_some() {
                return Err("--label2 needs --endpoint2".into());
            }
            let default = target::host_port(&endpoint);
            let l1 = parse_label("--label1", get("--label1"), &default)?;
            targets.push(Target {
                label: l1,
                base: endpoint,
            });
        }
    }

    let connections = match get("--connections") {
        Some(v) => parse_list(v, "--connections", |s| {
            let n = parse_u64(s, "--connections")?;
            if n == 0 || n > MAX_CONNECTIONS as u64 {
                return Err(format!(
                    "--connections: {n} is outside 1..={MAX_CONNECTIONS}"
                ));
            }
            Ok(n as usize)
        })?,
        None => vec![1, 64],
    };

    let stop = match (get("--duration"), get("--requests")) {
        (Some(_), Some(_)) => return Err("--duration and --requests exclude each other".into()),
        (Some(d), None) => {
            let d = parse_duration(d).map_err(|e| format!("--duration: {e}"))?;
            if d > Duration::from_secs(3600) {
                return Err("--duration: at most 1h per cell".into());
            }
            Stop::Duration(d)
        }
        (None, Some(n)) => {
            let n = parse_u64(n, "--requests")?;
            if n == 0 {
                return Err("--requests must be at least 1".into());
            }
            Stop::Requests(n)
        }
        (None, None) => Stop::Duration(Duration::from_secs(5)),
    };

    let value_size = match get("--value-size") {
        Some(v) => {
            let n = parse_u64(v, "--value-size")?;
            if n > 1_000_000 {
                return Err("--value-size: at most 1000000 bytes".into());
            }
            n as usize
        }
        None => 256,
    };
    let keys = match get("--keys") {
        Some(v) => {
            let n = parse_u64(v, "--keys")?;
            if n == 0 || n > 10_000_000 {
                return Err("--keys: must be in 1..=10000000".into());
            }
            n
        }
        None => 10_000,
    };
    let workloads = match get("--workloads") {
        Some(v) => parse_list(v, "--workloads", |s| {
            Workload::parse(s).ok_or_else(|| {
                format!("--workloads: unknown workload `{s}` (write, read, quorum-read, mix)")
            })
        })?,
        None => Workload::ALL.to_vec(),
    };
    let prefix = parse_prefix(get("--prefix").unwrap_or("/bench"))?;
    let timeout = match get("--timeout") {
        Some(v) => parse_duration(v).map_err(|e| format!("--timeout: {e}"))?,
        None => Duration::from_secs(5),
    };
    let threads = match get("--threads") {
        Some(v) => {
            let n = parse_u64(v, "--threads")?;
            if n == 0 || n > 64 {
                return Err("--threads: must be in 1..=64".into());
            }
            Some(n as usize)
        }
        None => None,
    };
    let rounds = match get("--rounds") {
        Some(v) => {
            let n = parse_u64(v, "--rounds")?;
            if n == 0 || n > 1000 {
                return Err("--rounds: must be in 1..=1000".into());
            }
            n as u32
        }
        None => 1,
    };
    let user = match get("--user") {
        Some(u) if u.contains(':') => Some(u.to_string()),
        Some(u) => return Err(format!("--user: `{u}` must be USER:PASSWORD")),
        None => None,
    };
    let cells = (workloads.len() * connections.len() * targets.len()) as u32 * rounds;
    let max_runtime = match get("--max-runtime") {
        Some(v) => parse_duration(v).map_err(|e| format!("--max-runtime: {e}"))?,
        None => match stop {
            Stop::Duration(d) => d * cells * 2 + Duration::from_secs(60),
            Stop::Requests(_) => Duration::from_secs(600),
        },
    };

    Ok(Parsed::Run(Box::new(Args {
        targets,
        connections,
        stop,
        value_size,
        keys,
        workloads,
        prefix,
        json,
        timeout,
        max_runtime,
        threads,
        rounds,
        user,
    })))
}

fn parse_label(flag: &str, v: Option<&str>, default: &str) -> Result<String, String> {
    let label = v.unwrap_or(default);
    if label.is_empty() || label.len() > 24 || label.chars().any(|c| c.is_whitespace()) {
        return Err(format!(
            "{flag}: `{label}` must be 1..=24 characters without spaces"
        ));
    }
    Ok(label.to_string())
}

fn parse_u64(s: &str, flag: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .map_err(|_| format!("{flag}: `{s}` is not a non-negative integer"))
}

/// Comma-separated list; entries are parsed with `f`, duplicates dropped.
fn parse_list<T: PartialEq>(
    s: &str,
    flag: &str,
    f: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("{flag}: empty entry in `{s}`"));
        }
        let v = f(part)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// `/bench`, `/a/b_c.d-e`; trailing slashes dropped, the root refused.
fn parse_prefix(s: &str) -> Result<String, String> {
    let trimmed = s.trim_end_matches('/');
    let ok_chars = trimmed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'));
    if !s.starts_with('/') || trimmed.is_empty() || !ok_chars || trimmed.contains("//") {
        return Err(format!(
            "--prefix: `{s}` must look like /bench (letters, digits, / _ - .), not the root"
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests;
