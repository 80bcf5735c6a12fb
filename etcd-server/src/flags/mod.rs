//! Go-style command-line flags, as etcd 3.4's `flag.FlagSet` reads them.
//!
//! - [`parse`] walks the arguments with the Go `flag` package's rules: `-flag`,
//!   `--flag`, `-flag=value`, `-flag value`; a boolean flag takes a value only
//!   as `-flag=value`; `--` ends the flags; the first argument that is not a
//!   flag ends them too; `-h`, `-help` (any number of dashes, any `=value`)
//!   asks for help. Every error message is the Go package's.
//! - [`parse_bool`] and [`parse_uint`] are Go's `strconv.ParseBool` and
//!   `strconv.ParseUint(s, 0, 64)` with the `flag` package's error texts.
//! - [`usage`], [`flags_help`] and [`version`] are the texts printed for
//!   usage errors, `--help` and `--version`.
//! - [`FLAGS`] lists the flags this server accepts; [`REFERENCE_ONLY_FLAGS`]
//!   the reference's flags that it does not; [`IGNORED_FLAGS`] the obsolete
//!   flags the reference accepts with a warning.

/// What a flag takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// `-flag` alone means `true`; a value only as `-flag=value`.
    Bool,
    /// Needs a value: `-flag=value` or `-flag value`.
    Value,
}

/// How the parser should treat a flag name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A flag this server accepts.
    Known(FlagKind),
    /// A flag of the reference that this server does not implement.
    Unsupported,
    /// Not a flag of the reference either.
    Unknown,
}

/// One flag this server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagSpec {
    /// The name, without dashes.
    pub name: &'static str,
    /// Boolean or valued.
    pub kind: FlagKind,
}

const fn value(name: &'static str) -> FlagSpec {
    FlagSpec {
        name,
        kind: FlagKind::Value,
    }
}

const fn boolean(name: &'static str) -> FlagSpec {
    FlagSpec {
        name,
        kind: FlagKind::Bool,
    }
}

/// The flags this server accepts, sorted by name (the order in which the
/// reference visits them when it reads `ETCD_*` variables).
pub const FLAGS: &[FlagSpec] = &[
    value("advertise-client-urls"),
    value("cert-file"),
    boolean("client-cert-auth"),
    value("config-file"),
    value("cors"),
    value("data-dir"),
    value("election-timeout"),
    boolean("enable-v2"),
    boolean("force-new-cluster"),
    value("heartbeat-interval"),
    value("initial-advertise-peer-urls"),
    value("initial-cluster"),
    value("initial-cluster-state"),
    value("initial-cluster-token"),
    value("key-file"),
    value("listen-client-urls"),
    value("listen-peer-urls"),
    value("log-level"),
    value("max-request-bytes"),
    value("name"),
    value("peer-cert-file"),
    boolean("peer-client-cert-auth"),
    value("peer-key-file"),
    value("peer-trusted-ca-file"),
    value("snapshot-count"),
    value("trusted-ca-file"),
    boolean("version"),
    value("wal-dir"),
];

/// Obsolete flags the reference still accepts (as booleans) and ignores with
/// the warning `flag "-NAME" is no longer supported - ignoring.`.
pub const IGNORED_FLAGS: &[&str] = &[
    "cluster-active-size",
    "cluster-remove-delay",
    "cluster-sync-interval",
    "config",
    "force",
    "max-result-buffer",
    "max-retry-attempts",
    "peer-heartbeat-interval",
    "peer-election-timeout",
    "retry-interval",
    "snapshot",
    "v",
    "vv",
];

/// Flags of etcd 3.4.23 that this server does not implement. Giving one is an
/// error (`flag provided but not supported by etcd-server: -NAME`) rather than
/// the reference's "not defined", because silently ignoring e.g. a TLS flag
/// (`--auto-tls`, `--client-crl-file`) would be worse than refusing to start.
pub const REFERENCE_ONLY_FLAGS: &[&str] = &[
    "auth-token",
    "auth-token-ttl",
    "auto-compaction-mode",
    "auto-compaction-retention",
    "auto-tls",
    "backend-batch-interval",
    "backend-batch-limit",
    "bcrypt-cost",
    "cipher-suites",
    "client-cert-allowed-hostname",
    "client-crl-file",
    "debug",
    "discovery",
    "discovery-fallback",
    "discovery-proxy",
    "discovery-srv",
    "discovery-srv-name",
    "enable-pprof",
    "experimental-backend-bbolt-freelist-type",
    "experimental-compaction-batch-limit",
    "experimental-corrupt-check-time",
    "experimental-enable-lease-checkpoint",
    "experimental-enable-v2v3",
    "experimental-initial-corrupt-check",
    "experimental-peer-skip-client-san-verification",
    "experimental-warning-apply-duration",
    "experimental-watch-progress-notify-interval",
    "grpc-keepalive-interval",
    "grpc-keepalive-min-time",
    "grpc-keepalive-timeout",
    "host-whitelist",
    "initial-election-tick-advance",
    "listen-metrics-urls",
    "log-output",
    "log-outputs",
    "log-package-levels",
    "logger",
    "max-concurrent-streams",
    "max-snapshots",
    "max-txn-ops",
    "max-wals",
    "metrics",
    "peer-auto-tls",
    "peer-cert-allowed-cn",
    "peer-cert-allowed-hostname",
    "peer-crl-file",
    "pre-vote",
    "proxy",
    "proxy-dial-timeout",
    "proxy-failure-wait",
    "proxy-read-timeout",
    "proxy-refresh-interval",
    "proxy-write-timeout",
    "quota-backend-bytes",
    "strict-reconfig-check",
    "unsafe-no-fsync",
];

/// Classifies a flag name (without dashes) for [`parse`].
pub fn lookup(name: &str) -> Lookup {
    if let Some(spec) = FLAGS.iter().find(|f| f.name == name) {
        Lookup::Known(spec.kind)
    } else if IGNORED_FLAGS.contains(&name) {
        Lookup::Known(FlagKind::Bool)
    } else if REFERENCE_ONLY_FLAGS.contains(&name) {
        Lookup::Unsupported
    } else {
        Lookup::Unknown
    }
}

/// The environment variable that sets a flag: `ETCD_` + the name upper-cased
/// with dashes turned into underscores.
pub fn flag_to_env(name: &str) -> String {
    format!("ETCD_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// How [`parse`] ended without an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseEnd {
    /// All flags read; the arguments left over (the first one that is not a
    /// flag, and everything after it, or everything after `--`).
    Done {
        /// The positional arguments.
        positional: Vec<String>,
    },
    /// `-h`/`-help` was given.
    Help,
}

/// Parses `args` (without the program name) the way Go's `FlagSet.Parse` does.
///
/// `set(name, value)` is called for every flag in order (`"true"` for a bare
/// boolean flag) and returns the Go `flag.Value.Set` error text on a bad value.
/// The returned `Err` is the Go flag package's message (without the usage text
/// that follows it on stderr).
pub fn parse<S>(
    args: &[String],
    lookup: impl Fn(&str) -> Lookup,
    mut set: S,
) -> Result<ParseEnd, String>
where
    S: FnMut(&str, &str) -> Result<(), String>,
{
    let mut i = 0;
    while i < args.len() {
        let s = args[i].as_str();
        if s.len() < 2 || !s.starts_with('-') {
            break;
        }
        let mut minuses = 1;
        if s.as_bytes()[1] == b'-' {
            minuses = 2;
            if s.len() == 2 {
                i += 1;
                break;
            }
        }
        let body = &s[minuses..];
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            return Err(format!("bad flag syntax: {s}"));
        }
        i += 1;
        // The `=` cannot be the first character of the name.
        let (name, inline) = match body.bytes().skip(1).position(|c| c == b'=') {
            Some(p) => (&body[..p + 1], Some(&body[p + 2..])),
            None => (body, None),
        };
        let kind = match lookup(name) {
            Lookup::Known(kind) => kind,
            Lookup::Unsupported => {
                return Err(format!(
                    "flag provided but not supported by etcd-server: -{name}"
                ))
            }
            Lookup::Unknown if name == "help" || name == "h" => return Ok(ParseEnd::Help),
            Lookup::Unknown => return Err(format!("flag provided but not defined: -{name}")),
        };
        match kind {
            FlagKind::Bool => {
                let v = inline.unwrap_or("true");
                set(name, v).map_err(|e| match inline {
                    Some(_) => format!("invalid boolean value {} for -{name}: {e}", go_quote(v)),
                    None => format!("invalid boolean flag {name}: {e}"),
                })?;
            }
            FlagKind::Value => {
                let v = match inline {
                    Some(v) => v,
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].as_str()
                    }
                    None => return Err(format!("flag needs an argument: -{name}")),
                };
                set(name, v)
                    .map_err(|e| format!("invalid value {} for flag -{name}: {e}", go_quote(v)))?;
            }
        }
    }
    Ok(ParseEnd::Done {
        positional: args[i..].to_vec(),
    })
}

/// Go's `strconv.ParseBool`, with the flag package's error text.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err("parse error".to_owned()),
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (decimal, `0x`, `0o`, `0b`, leading-`0`
/// octal, `_` separators), with the flag package's error texts
/// (`parse error`, `value out of range`).
pub fn parse_uint(s: &str) -> Result<u64, String> {
    let syntax = || Err("parse error".to_owned());
    if s.is_empty() {
        return syntax();
    }
    let b = s.as_bytes();
    let (base, digits): (u64, &[u8]) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &b[2..]),
            Some(b'o') if b.len() >= 3 => (8, &b[2..]),
            Some(b'x') if b.len() >= 3 => (16, &b[2..]),
            _ => (8, &b[1..]),
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'z' => u64::from(c - b'a') + 10,
            b'A'..=b'Z' => u64::from(c - b'A') + 10,
            _ => return syntax(),
        };
        if d >= base {
            return syntax();
        }
        n = match n.checked_mul(base).and_then(|n| n.checked_add(d)) {
            Some(n) => n,
            None => return Err("value out of range".to_owned()),
        };
    }
    if underscores && !underscore_ok(s) {
        return syntax();
    }
    Ok(n)
}

/// Go's `strconv.underscoreOK`: `_` only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

pub use etcd_client::gofmt::go_quote;

/// The name the usage text shows.
const BIN: &str = "etcd-server";

/// The usage summary: printed on stderr after a flag error (after the error
/// line) and before the flag descriptions for `--help`. Ends with an empty
/// line, like the reference's.
pub fn usage() -> String {
    format!(
        "Usage:

  {BIN} [flags]
    Start an etcd server.

  {BIN} --version
    Show the version of etcd.

  {BIN} -h | --help
    Show the help information about etcd.

  {BIN} --config-file
    Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.

"
    )
}

/// The flag descriptions printed on stdout for `--help` (after [`usage`] on
/// stderr). The reference's wording, for the flags this server accepts.
pub fn flags_help() -> String {
    "
Member:
  --name 'default'
    Human-readable name for this member.
  --data-dir '${name}.etcd'
    Path to the data directory.
  --wal-dir ''
    Path to the dedicated wal directory.
  --snapshot-count '100000'
    Number of committed transactions to trigger a snapshot to disk.
  --heartbeat-interval '100'
    Time (in milliseconds) of a heartbeat interval.
  --election-timeout '1000'
    Time (in milliseconds) for an election to timeout. See tuning documentation for details.
  --listen-peer-urls 'http://localhost:2380'
    List of URLs to listen on for peer traffic.
  --listen-client-urls 'http://localhost:2379'
    List of URLs to listen on for client traffic.
  --max-request-bytes '1572864'
    Maximum client request size in bytes the server will accept.

Clustering:
  --initial-advertise-peer-urls 'http://localhost:2380'
    List of this member's peer URLs to advertise to the rest of the cluster.
  --initial-cluster 'default=http://localhost:2380'
    Initial cluster configuration for bootstrapping.
  --initial-cluster-state 'new'
    Initial cluster state ('new' or 'existing').
  --initial-cluster-token 'etcd-cluster'
    Initial cluster token for the etcd cluster during bootstrap.
    Specifying this can protect you from unintended cross-cluster interaction when running multiple clusters.
  --advertise-client-urls 'http://localhost:2379'
    List of this member's client URLs to advertise to the public.
    The client URLs advertised should be accessible to machines that talk to etcd cluster. etcd client libraries parse these URLs to connect to the cluster.
  --enable-v2 'true'
    Accept etcd V2 client requests.
    Always on in etcd-server: the flag is accepted for compatibility and 'false' is ignored.

Security:
  --cert-file ''
    Path to the client server TLS cert file.
  --key-file ''
    Path to the client server TLS key file.
  --client-cert-auth 'false'
    Enable client cert authentication.
  --trusted-ca-file ''
    Path to the client server TLS trusted CA cert file.
  --peer-cert-file ''
    Path to the peer server TLS cert file.
  --peer-key-file ''
    Path to the peer server TLS key file.
  --peer-client-cert-auth 'false'
    Enable peer client cert authentication.
  --peer-trusted-ca-file ''
    Path to the peer server TLS trusted CA file.
  --cors '*'
    Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).

Logging:
  --log-level 'info'
    Configures log level. Only supports debug, info, warn, error, panic, or fatal.

Unsafe feature:
  --force-new-cluster 'false'
    Force to create a new one-member cluster.

CAUTIOUS with unsafe flag! It may break the guarantees given by the consensus protocol!

"
    .to_owned()
}

/// The `--version` text (stdout). The first line is the reference's, so that
/// tools reading `etcd Version:` see the API version this server implements.
pub fn version() -> String {
    let sha = option_env!("ETCD_SERVER_GIT_SHA").unwrap_or("Not provided");
    format!(
        "etcd Version: 3.4.23\nGit SHA: {sha}\nGo Version: n/a (Rust)\nGo OS/Arch: {}/{}\n",
        go_os(std::env::consts::OS),
        go_arch(std::env::consts::ARCH)
    )
}

fn go_os(os: &str) -> &str {
    match os {
        "macos" => "darwin",
        other => other,
    }
}

fn go_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests;
