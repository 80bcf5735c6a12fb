//! The reference's flag set: raw values with Go's `Set` semantics, the
//! `ETCD_*` variables, and `embed.Config.Validate`.

use std::collections::HashSet;
use std::net::IpAddr;

use super::{parse_urls, Config, ConfigError, Level, LogLevel, LogLine, Output, Url};
use super::{DEFAULT_INITIAL_CLUSTER, MAX_ELECTION_MS};
use crate::flags::{self, flag_to_env, go_quote};
use crate::tls::TlsInfo;

/// Raw flag values, as the reference's flag set holds them.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) config_file: String,
    pub(super) name: String,
    pub(super) data_dir: String,
    pub(super) wal_dir: String,
    pub(super) listen_peer_urls: Vec<Url>,
    pub(super) listen_client_urls: Vec<Url>,
    pub(super) initial_advertise_peer_urls: Vec<Url>,
    pub(super) advertise_client_urls: Vec<Url>,
    pub(super) initial_cluster: String,
    pub(super) initial_cluster_state: String,
    pub(super) initial_cluster_token: String,
    pub(super) heartbeat_ms: u64,
    pub(super) election_ms: u64,
    pub(super) snapshot_count: u64,
    pub(super) max_request_bytes: u64,
    pub(super) enable_v2: bool,
    pub(super) force_new_cluster: bool,
    pub(super) version: bool,
    pub(super) log_level: String,
    pub(super) cors: Vec<String>,
    pub(super) client_tls: TlsInfo,
    pub(super) peer_tls: TlsInfo,
    /// Flags set so far (the Go flag set's "actual" flags).
    pub(super) set: HashSet<String>,
    pub(super) notices: Vec<LogLine>,
}

impl Settings {
    pub(super) fn new() -> Settings {
        let d = Config::default();
        Settings {
            config_file: String::new(),
            name: d.name,
            data_dir: String::new(),
            wal_dir: String::new(),
            listen_peer_urls: d.listen_peer_urls,
            listen_client_urls: d.listen_client_urls,
            initial_advertise_peer_urls: d.initial_advertise_peer_urls,
            advertise_client_urls: d.advertise_client_urls,
            initial_cluster: DEFAULT_INITIAL_CLUSTER.to_owned(),
            initial_cluster_state: "new".to_owned(),
            initial_cluster_token: d.initial_cluster_token,
            heartbeat_ms: 100,
            election_ms: 1000,
            snapshot_count: d.snapshot_count,
            max_request_bytes: d.max_request_bytes,
            enable_v2: false,
            force_new_cluster: false,
            version: false,
            log_level: "info".to_owned(),
            cors: d.cors,
            client_tls: d.client_tls,
            peer_tls: d.peer_tls,
            set: HashSet::new(),
            notices: Vec::new(),
        }
    }

    pub(super) fn is_set(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// The flag's `Set`: the Go error text on a bad value.
    pub(super) fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let v = value.to_owned();
        match name {
            "config-file" => self.config_file = v,
            "name" => self.name = v,
            "data-dir" => self.data_dir = v,
            "wal-dir" => self.wal_dir = v,
            "initial-cluster" => self.initial_cluster = v,
            "initial-cluster-token" => self.initial_cluster_token = v,
            "log-level" => self.log_level = v,
            "cert-file" => self.client_tls.cert_file = v,
            "key-file" => self.client_tls.key_file = v,
            "trusted-ca-file" => self.client_tls.trusted_ca_file = v,
            "client-cert-auth" => self.client_tls.client_cert_auth = flags::parse_bool(value)?,
            "peer-cert-file" => self.peer_tls.cert_file = v,
            "peer-key-file" => self.peer_tls.key_file = v,
            "peer-trusted-ca-file" => self.peer_tls.trusted_ca_file = v,
            "peer-client-cert-auth" => self.peer_tls.client_cert_auth = flags::parse_bool(value)?,
            "listen-peer-urls" => set_urls(&mut self.listen_peer_urls, value)?,
            "listen-client-urls" => set_urls(&mut self.listen_client_urls, value)?,
            "initial-advertise-peer-urls" => {
                set_urls(&mut self.initial_advertise_peer_urls, value)?
            }
            "advertise-client-urls" => set_urls(&mut self.advertise_client_urls, value)?,
            "cors" => set_cors(&mut self.cors, value)?,
            "initial-cluster-state" => {
                if value != "new" && value != "existing" {
                    return Err("invalid value".to_owned());
                }
                self.initial_cluster_state = v;
            }
            "heartbeat-interval" => self.heartbeat_ms = flags::parse_uint(value)?,
            "election-timeout" => self.election_ms = flags::parse_uint(value)?,
            "snapshot-count" => self.snapshot_count = flags::parse_uint(value)?,
            "max-request-bytes" => self.max_request_bytes = flags::parse_uint(value)?,
            "enable-v2" => self.enable_v2 = flags::parse_bool(value)?,
            "force-new-cluster" => self.force_new_cluster = flags::parse_bool(value)?,
            "version" => self.version = flags::parse_bool(value)?,
            ignored if flags::IGNORED_FLAGS.contains(&ignored) => {
                self.notices.push(LogLine::new(
                    Level::Warning,
                    "pkg/flags",
                    format!("flag \"-{ignored}\" is no longer supported - ignoring."),
                ));
            }
            other => return Err(format!("flag {other} is not supported")),
        }
        self.set.insert(name.to_owned());
        Ok(())
    }
}

/// A URL list flag's `Set` (the reference's `UniqueURLs` with the empty
/// string allowed): an empty value leaves the list as it was.
fn set_urls(list: &mut Vec<Url>, value: &str) -> Result<(), String> {
    if !value.is_empty() {
        *list = parse_urls(value)?;
    }
    Ok(())
}

/// `--cors`' `Set` (`UniqueURLs` with `*` allowed): `*` is added to what is
/// there, a list of URLs replaces it.
fn set_cors(cors: &mut Vec<String>, value: &str) -> Result<(), String> {
    if cors.iter().any(|c| c == value) {
        return Ok(());
    }
    if value == "*" {
        cors.push("*".to_owned());
    } else {
        *cors = parse_urls(value)?.iter().map(ToString::to_string).collect();
    }
    cors.sort();
    cors.dedup();
    Ok(())
}

/// Go's `os.Getenv`: the first entry wins.
pub(super) fn env_get(env: &[(String, String)], key: &str) -> Option<String> {
    env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// The reference's `flags.SetFlagsFromEnv("ETCD", fs)`.
pub(super) fn apply_env(st: &mut Settings, env: &[(String, String)]) -> Result<(), ConfigError> {
    let already: HashSet<String> = st.set.iter().map(|n| flag_to_env(n)).collect();
    let mut names: Vec<&str> = flags::FLAGS.iter().map(|f| f.name).collect();
    names.extend(flags::IGNORED_FLAGS);
    names.extend(flags::REFERENCE_ONLY_FLAGS);
    names.sort_unstable();

    let mut used = HashSet::new();
    let mut invalid = None;
    let mut unsupported = None;
    for name in names {
        let key = flag_to_env(name);
        if already.contains(&key) {
            continue;
        }
        let Some(val) = env_get(env, &key).filter(|v| !v.is_empty()) else {
            continue;
        };
        used.insert(key.clone());
        if flags::REFERENCE_ONLY_FLAGS.contains(&name) {
            unsupported.get_or_insert(format!(
                "environment variable {key} sets --{name}, which etcd-server does not support"
            ));
            continue;
        }
        match st.set(name, &val) {
            Err(e) => invalid = Some(format!("invalid value {} for {key}: {e}", go_quote(&val))),
            Ok(()) => st.notices.push(LogLine::new(
                Level::Info,
                "pkg/flags",
                format!("recognized and used environment variable {key}={val}"),
            )),
        }
    }
    for (k, v) in env {
        if used.contains(k) {
            continue;
        }
        if already.contains(k) {
            let line = LogLine::new(
                Level::Critical,
                "pkg/flags",
                format!(
                    "conflicting environment variable {} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)",
                    go_quote(k)
                ),
            );
            return Err(ConfigError::logged(
                std::mem::take(&mut st.notices),
                line,
                1,
            ));
        }
        if k.starts_with("ETCD_") {
            st.notices.push(LogLine::new(
                Level::Warning,
                "pkg/flags",
                format!("unrecognized environment variable {k}={v}"),
            ));
        }
    }
    if let Some(message) = invalid.or(unsupported) {
        return Err(ConfigError::verifying(
            std::mem::take(&mut st.notices),
            message,
        ));
    }
    Ok(())
}

/// The reference's `embed.Config.Validate`, in its order.
pub(super) fn validate(st: &Settings) -> Result<(), ConfigError> {
    let fail = |message: String| ConfigError::verifying(st.notices.clone(), message);
    if LogLevel::parse(&st.log_level).is_none() {
        // The reference panics here (exit 2).
        let mut e = fail(format!("unknown level {}", go_quote(&st.log_level)));
        e.exit_code = 2;
        return Err(e);
    }
    for urls in [&st.listen_peer_urls, &st.listen_client_urls] {
        check_bind_urls(urls).map_err(fail)?;
    }
    for (flag, urls) in [
        (
            "--initial-advertise-peer-urls",
            &st.initial_advertise_peer_urls,
        ),
        ("--advertise-client-urls", &st.advertise_client_urls),
    ] {
        if let Some(u) = urls.iter().find(|u| u.host().is_empty()) {
            let all: Vec<String> = urls.iter().map(ToString::to_string).collect();
            return Err(fail(format!(
                "{flag} {} must be \"host:port\" (unexpected empty host ({u}))",
                go_quote(&all.join(","))
            )));
        }
    }
    if st.initial_cluster_state != "new" && st.initial_cluster_state != "existing" {
        return Err(fail(format!(
            "unexpected clusterState {}",
            go_quote(&st.initial_cluster_state)
        )));
    }
    let (tick, election) = (st.heartbeat_ms, st.election_ms);
    if tick == 0 {
        return Err(fail(format!(
            "--heartbeat-interval must be >0 (set to {tick}ms)"
        )));
    }
    if election == 0 {
        return Err(fail(format!(
            "--election-timeout must be >0 (set to {election}ms)"
        )));
    }
    if tick.saturating_mul(5) > election {
        return Err(fail(format!(
            "--election-timeout[{election}ms] should be at least as 5 times as --heartbeat-interval[{tick}ms]"
        )));
    }
    if election > MAX_ELECTION_MS {
        return Err(fail(format!(
            "--election-timeout[{election}ms] is too long, and should be set less than {MAX_ELECTION_MS}ms"
        )));
    }
    if !st.listen_client_urls.is_empty() && st.advertise_client_urls.is_empty() {
        let mut e = fail(
            "--advertise-client-urls is required when --listen-client-urls is set explicitly"
                .to_owned(),
        );
        e.output.push(Output::Log(LogLine::new(
            Level::Error,
            "etcdmain",
            "When listening on specific address(es), this etcd process must advertise accessible url(s) to each connected client.",
        )));
        return Err(e);
    }
    Ok(())
}

/// The reference's `checkBindURLs`: a listen URL's host is an IP or `localhost`.
fn check_bind_urls(urls: &[Url]) -> Result<(), String> {
    for u in urls {
        if u.is_unix() || u.host() == "localhost" || u.host().parse::<IpAddr>().is_ok() {
            continue;
        }
        return Err(format!("expected IP in URL for binding ({u})"));
    }
    Ok(())
}
