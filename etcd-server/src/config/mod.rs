//! The server's configuration: command-line flags, `ETCD_*` environment
//! variables and `--config-file`, read as etcd 3.4.23 reads them.
//!
//! [`from_args`] is the whole front end: it returns what to do
//! ([`Outcome`]: run, print help, print the version) or a [`ConfigError`]
//! that carries the exact text to print on stderr and the exit code.
//!
//! The order of work is the reference's:
//!
//! 1. Go-style flag parsing ([`crate::flags::parse`]); a flag error prints the
//!    Go message and the usage text, exit 2; `-h` prints help, exit 0.
//! 2. A positional argument: `error verifying flags, 'x' is not a valid flag`,
//!    exit 1. Then `--version`, exit 0.
//! 3. With `--config-file` (or `ETCD_CONFIG_FILE`) the YAML file is the whole
//!    configuration: every other flag and variable is ignored. Otherwise each
//!    flag not given on the command line is taken from its `ETCD_*` variable;
//!    a variable that shadows a given flag is fatal, an unknown `ETCD_*`
//!    variable is a warning.
//! 4. Validation (bind URLs are IPs or `localhost`, advertise URLs have a host,
//!    election timeout ≥ 5 × heartbeat and ≤ 50 s, advertise client URLs are
//!    required once listen client URLs are given...), exit 1.
//! 5. Defaults that depend on other values: `--data-dir` is `<name>.etcd`,
//!    and `--initial-cluster` left at its default becomes
//!    `<name>=<initial-advertise-peer-urls>` when `--name` is not `default`.

mod bootstrap;
mod error;
mod file;
mod settings;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_env;
#[cfg(test)]
mod tests_tls;
mod url;

use std::path::PathBuf;
use std::time::Duration;

use self::settings::{apply_env, env_get, validate, Settings};
use crate::flags::{self, ParseEnd};
use crate::tls::TlsInfo;

pub use self::bootstrap::{detect_default_host, InitialCluster};
pub use self::error::{ConfigError, Level, LogLine, Output};
pub(crate) use self::file::go_io_error;
pub use self::url::{parse_url_list, parse_urls, Url};

/// `--name`'s default.
pub const DEFAULT_NAME: &str = "default";
/// `--listen-client-urls` and `--advertise-client-urls` default.
pub const DEFAULT_CLIENT_URL: &str = "http://localhost:2379";
/// `--listen-peer-urls` and `--initial-advertise-peer-urls` default.
pub const DEFAULT_PEER_URL: &str = "http://localhost:2380";
/// `--initial-cluster`'s default.
pub const DEFAULT_INITIAL_CLUSTER: &str = "default=http://localhost:2380";
/// `--initial-cluster-token`'s default.
pub const DEFAULT_INITIAL_CLUSTER_TOKEN: &str = "etcd-cluster";
/// `--snapshot-count`'s default (also used when it is set to 0).
pub const DEFAULT_SNAPSHOT_COUNT: u64 = 100_000;
/// `--max-request-bytes`' default.
pub const DEFAULT_MAX_REQUEST_BYTES: u64 = 1_572_864;
/// The longest election timeout the reference accepts, in milliseconds.
pub const MAX_ELECTION_MS: u64 = 50_000;

/// `--initial-cluster-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusterState {
    /// Bootstrap a new cluster from `--initial-cluster`.
    #[default]
    New,
    /// Join a cluster that already added this member.
    Existing,
}

impl ClusterState {
    /// `new` or `existing`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterState::New => "new",
            ClusterState::Existing => "existing",
        }
    }
}

/// `--log-level` (the reference's zap levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// `debug`
    Debug,
    /// `info`
    #[default]
    Info,
    /// `warn`
    Warn,
    /// `error`
    Error,
    /// `dpanic`
    DPanic,
    /// `panic`
    Panic,
    /// `fatal`
    Fatal,
}

impl LogLevel {
    /// Parses a level name (lower case only, like the reference).
    pub fn parse(s: &str) -> Option<LogLevel> {
        Some(match s {
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warn" => LogLevel::Warn,
            "error" => LogLevel::Error,
            "dpanic" => LogLevel::DPanic,
            "panic" => LogLevel::Panic,
            "fatal" => LogLevel::Fatal,
            _ => return None,
        })
    }

    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::DPanic => "dpanic",
            LogLevel::Panic => "panic",
            LogLevel::Fatal => "fatal",
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // built once per process
pub enum Outcome {
    /// Start the server with this configuration.
    Run(Config),
    /// `-h`/`--help`: print `usage` on stderr and `flags` on stdout (the
    /// reference splits its help text that way), exit 0.
    Help {
        /// For stderr.
        usage: String,
        /// For stdout.
        flags: String,
    },
    /// `--version`: print this on stdout, exit 0.
    Version(String),
}

/// The validated configuration of one member.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `--name`.
    pub name: String,
    /// `--data-dir` (default `<name>.etcd`).
    pub data_dir: PathBuf,
    /// `--wal-dir` (`None`: `<data-dir>/member/wal`).
    pub wal_dir: Option<PathBuf>,
    /// `--listen-client-urls`, sorted by text.
    pub listen_client_urls: Vec<Url>,
    /// `--advertise-client-urls`, sorted by text.
    pub advertise_client_urls: Vec<Url>,
    /// `--listen-peer-urls`, sorted by text.
    pub listen_peer_urls: Vec<Url>,
    /// `--initial-advertise-peer-urls`, sorted by text.
    pub initial_advertise_peer_urls: Vec<Url>,
    /// `--initial-cluster` as `name=url` entries grouped by name, in order of
    /// first appearance. The URLs are checked only when a new member is
    /// bootstrapped ([`Config::verify_bootstrap`]), like the reference.
    pub initial_cluster: Vec<(String, Vec<String>)>,
    /// `--initial-cluster-state`.
    pub initial_cluster_state: ClusterState,
    /// `--initial-cluster-token`.
    pub initial_cluster_token: String,
    /// `--heartbeat-interval`.
    pub heartbeat_interval: Duration,
    /// `--election-timeout`.
    pub election_timeout: Duration,
    /// `--snapshot-count` as given (0 means the default; see
    /// [`Config::effective_snapshot_count`]).
    pub snapshot_count: u64,
    /// `--max-request-bytes`.
    pub max_request_bytes: u64,
    /// `--force-new-cluster`.
    pub force_new_cluster: bool,
    /// `--enable-v2` as given; the v2 API is served regardless.
    pub enable_v2: bool,
    /// `--log-level`.
    pub log_level: LogLevel,
    /// `--cors`: `*` and/or origin URLs, sorted.
    pub cors: Vec<String>,
    /// `--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`.
    pub client_tls: TlsInfo,
    /// `--peer-cert-file`, `--peer-key-file`, `--peer-trusted-ca-file`,
    /// `--peer-client-cert-auth`.
    pub peer_tls: TlsInfo,
    /// `--config-file` (or `ETCD_CONFIG_FILE`) when the configuration came
    /// from a file.
    pub config_file: Option<PathBuf>,
    /// Lines the reference logs while reading its configuration, before its
    /// version banner (`pkg/flags: recognized and used environment variable
    /// ...`, `unrecognized environment variable ...`, `Loading server
    /// configuration from ...`).
    pub notices: Vec<LogLine>,
    /// Lines the reference logs after its version banner (`etcdmain: no
    /// data-dir provided, using default data-dir ./<name>.etcd`).
    pub startup_notices: Vec<LogLine>,
}

impl Default for Config {
    /// The reference's defaults (what `etcd` with no flags would run).
    fn default() -> Config {
        let client: Url = DEFAULT_CLIENT_URL.parse().expect("valid default URL");
        let peer: Url = DEFAULT_PEER_URL.parse().expect("valid default URL");
        Config {
            name: DEFAULT_NAME.to_owned(),
            data_dir: PathBuf::from(format!("{DEFAULT_NAME}.etcd")),
            wal_dir: None,
            listen_client_urls: vec![client.clone()],
            advertise_client_urls: vec![client],
            listen_peer_urls: vec![peer.clone()],
            initial_advertise_peer_urls: vec![peer],
            initial_cluster: parse_initial_cluster(DEFAULT_INITIAL_CLUSTER),
            initial_cluster_state: ClusterState::New,
            initial_cluster_token: DEFAULT_INITIAL_CLUSTER_TOKEN.to_owned(),
            heartbeat_interval: Duration::from_millis(100),
            election_timeout: Duration::from_millis(1000),
            snapshot_count: DEFAULT_SNAPSHOT_COUNT,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            force_new_cluster: false,
            enable_v2: false,
            log_level: LogLevel::Info,
            cors: vec!["*".to_owned()],
            client_tls: TlsInfo::default(),
            peer_tls: TlsInfo::default(),
            config_file: None,
            notices: Vec::new(),
            startup_notices: Vec::new(),
        }
    }
}

impl Config {
    /// `<data-dir>/member`.
    pub fn member_dir(&self) -> PathBuf {
        self.data_dir.join("member")
    }

    /// Where the raft log lives: `--wal-dir`, or `<data-dir>/member/wal`.
    pub fn wal_path(&self) -> PathBuf {
        match &self.wal_dir {
            Some(dir) => dir.clone(),
            None => self.member_dir().join("wal"),
        }
    }

    /// `<data-dir>/member/snap`.
    pub fn snap_dir(&self) -> PathBuf {
        self.member_dir().join("snap")
    }

    /// The snapshot interval the server uses: `--snapshot-count`, or the
    /// default when it is 0 (the reference logs `etcdserver: set snapshot
    /// count to default 100000` in that case).
    pub fn effective_snapshot_count(&self) -> u64 {
        if self.snapshot_count == 0 {
            DEFAULT_SNAPSHOT_COUNT
        } else {
            self.snapshot_count
        }
    }

    /// Election timeout in heartbeats (the reference's election ticks).
    pub fn election_ticks(&self) -> u64 {
        let tick = self.heartbeat_interval.as_millis().max(1);
        (self.election_timeout.as_millis() / tick) as u64
    }

    /// Whether `--cors` allows every origin (`*`).
    pub fn cors_allows_all(&self) -> bool {
        self.cors.iter().any(|c| c == "*")
    }

    /// `--initial-cluster` as text: `name=url,...` in the order given.
    pub fn initial_cluster_string(&self) -> String {
        let mut parts = Vec::new();
        for (name, urls) in &self.initial_cluster {
            for url in urls {
                parts.push(format!("{name}={url}"));
            }
        }
        parts.join(",")
    }
}

/// Reads the configuration from the command line (`args`, without the
/// program name) and the environment (`env`, in `environ` order, e.g.
/// `std::env::vars()`).
pub fn from_args<I, E>(args: I, env: E) -> Result<Outcome, ConfigError>
where
    I: IntoIterator<Item = String>,
    E: IntoIterator<Item = (String, String)>,
{
    let args: Vec<String> = args.into_iter().collect();
    let env: Vec<(String, String)> = env.into_iter().collect();

    let mut st = Settings::new();
    let end = flags::parse(&args, flags::lookup, |name, value| st.set(name, value));
    let positional = match end {
        Err(message) => return Err(ConfigError::usage(st.notices, message)),
        Ok(ParseEnd::Help) => {
            return Ok(Outcome::Help {
                usage: flags::usage(),
                flags: flags::flags_help(),
            })
        }
        Ok(ParseEnd::Done { positional }) => positional,
    };
    if let Some(first) = positional.first() {
        return Err(ConfigError::verifying(
            st.notices,
            format_args!("'{first}' is not a valid flag"),
        ));
    }
    if st.version {
        return Ok(Outcome::Version(flags::version()));
    }

    let mut config_file = st.config_file.clone();
    if config_file.is_empty() {
        config_file = env_get(&env, "ETCD_CONFIG_FILE").unwrap_or_default();
    }
    if config_file.is_empty() {
        apply_env(&mut st, &env)?;
        if st.is_set("listen-client-urls") && !st.is_set("advertise-client-urls") {
            st.advertise_client_urls.clear();
        }
    } else {
        let mut file_st = Settings::new();
        file_st.notices = std::mem::take(&mut st.notices);
        file::load(&config_file, &mut file_st)?;
        st = file_st;
        st.config_file = config_file;
    }
    validate(&st)?;
    finish(st)
}

/// The reference's `types.NewURLsMap` grouping (without URL checks): `,`
/// separates entries, the first `=` separates name and URL, empty entries
/// are skipped.
pub fn parse_initial_cluster(s: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for entry in s.split(',').filter(|e| !e.is_empty()) {
        let (name, url) = entry.split_once('=').unwrap_or((entry, ""));
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, urls)) => urls.push(url.to_owned()),
            None => out.push((name.to_owned(), vec![url.to_owned()])),
        }
    }
    out
}

/// `<name>=<url>` for each of `urls` (the reference's `InitialClusterFromName`).
fn initial_cluster_from_name(name: &str, urls: &[Url]) -> String {
    let name = if name.is_empty() { DEFAULT_NAME } else { name };
    let parts: Vec<String> = urls.iter().map(|u| format!("{name}={u}")).collect();
    parts.join(",")
}

/// Derived defaults, and what this server does not do (yet).
fn finish(st: Settings) -> Result<Outcome, ConfigError> {
    let mut startup_notices = Vec::new();
    let data_dir = if st.data_dir.is_empty() {
        let dir = format!("{}.etcd", st.name);
        startup_notices.push(LogLine::new(
            Level::Warning,
            "etcdmain",
            format!("no data-dir provided, using default data-dir ./{dir}"),
        ));
        dir
    } else {
        st.data_dir.clone()
    };
    let mut initial_cluster = st.initial_cluster.clone();
    if st.name != DEFAULT_NAME && initial_cluster == DEFAULT_INITIAL_CLUSTER {
        initial_cluster = initial_cluster_from_name(&st.name, &st.initial_advertise_peer_urls);
    }

    for urls in [
        &st.listen_client_urls,
        &st.advertise_client_urls,
        &st.listen_peer_urls,
        &st.initial_advertise_peer_urls,
    ] {
        if let Some(u) = urls.iter().find(|u| u.is_unix()) {
            return Err(ConfigError::verifying(
                st.notices,
                format_args!("unix socket URLs are not supported by etcd-server ({u})"),
            ));
        }
    }
    if st.is_set("enable-v2") && !st.enable_v2 {
        startup_notices.push(LogLine::new(
            Level::Warning,
            "etcdmain",
            "--enable-v2=false is ignored: etcd-server always serves the v2 API",
        ));
    }

    let state = if st.initial_cluster_state == "existing" {
        ClusterState::Existing
    } else {
        ClusterState::New
    };
    Ok(Outcome::Run(Config {
        name: st.name,
        data_dir: PathBuf::from(data_dir),
        wal_dir: (!st.wal_dir.is_empty()).then(|| PathBuf::from(&st.wal_dir)),
        listen_client_urls: st.listen_client_urls,
        advertise_client_urls: st.advertise_client_urls,
        listen_peer_urls: st.listen_peer_urls,
        initial_advertise_peer_urls: st.initial_advertise_peer_urls,
        initial_cluster: parse_initial_cluster(&initial_cluster),
        initial_cluster_state: state,
        initial_cluster_token: st.initial_cluster_token,
        heartbeat_interval: Duration::from_millis(st.heartbeat_ms),
        election_timeout: Duration::from_millis(st.election_ms),
        snapshot_count: st.snapshot_count,
        max_request_bytes: st.max_request_bytes,
        force_new_cluster: st.force_new_cluster,
        enable_v2: st.enable_v2,
        log_level: LogLevel::parse(&st.log_level).unwrap_or_default(),
        cors: st.cors,
        client_tls: st.client_tls,
        peer_tls: st.peer_tls,
        config_file: (!st.config_file.is_empty()).then(|| PathBuf::from(&st.config_file)),
        notices: st.notices,
        startup_notices,
    }))
}
