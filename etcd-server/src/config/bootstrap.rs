//! Checks the reference makes only when a member starts without data:
//! `--initial-cluster` must parse, hold this member, and agree with
//! `--initial-advertise-peer-urls`. And the reference's "default host":
//! a member listening on `0.0.0.0` with default advertise URLs advertises
//! the machine's address instead of `localhost`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs, UdpSocket};

use super::url::parse_url_list;
use super::{
    initial_cluster_from_name, parse_initial_cluster, Config, ConfigError, Level, LogLine, Url,
    DEFAULT_CLIENT_URL, DEFAULT_NAME, DEFAULT_PEER_URL,
};
use crate::flags::go_quote;

/// The initial cluster: member name → its peer URLs (sorted by text).
pub type InitialCluster = Vec<(String, Vec<Url>)>;

fn critical(message: String) -> ConfigError {
    ConfigError::logged(
        Vec::new(),
        LogLine::new(Level::Critical, "etcdmain", message),
        1,
    )
}

impl Config {
    /// `--initial-cluster` with every URL checked, names sorted:
    /// `C | etcdmain: error setting up initial cluster: <url error>` (exit 1)
    /// otherwise.
    pub fn initial_cluster_urls(&self) -> Result<InitialCluster, ConfigError> {
        let mut out = Vec::new();
        for (name, urls) in &self.initial_cluster {
            let list = parse_url_list(urls.iter().map(String::as_str))
                .map_err(|e| critical(format!("error setting up initial cluster: {e}")))?;
            out.push((name.clone(), list));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// What the reference checks before bootstrapping a new member
    /// (`--initial-cluster-state new` and no data yet): the initial cluster
    /// parses, holds `--name`, its URLs for this member match
    /// `--initial-advertise-peer-urls`, and no URL appears twice. Errors are
    /// the reference's `C | etcdmain: ...` lines, exit 1.
    pub fn verify_bootstrap(&self) -> Result<InitialCluster, ConfigError> {
        let cluster = self.initial_cluster_urls()?;
        let local = self.local_member(&cluster)?;
        self.advertise_matches_cluster(local)?;
        check_duplicate_url(&cluster)?;
        Ok(cluster)
    }

    /// What the reference checks before joining an existing cluster
    /// (`--initial-cluster-state existing` and no data yet).
    pub fn verify_join_existing(&self) -> Result<InitialCluster, ConfigError> {
        let cluster = self.initial_cluster_urls()?;
        self.local_member(&cluster)?;
        check_duplicate_url(&cluster)?;
        Ok(cluster)
    }

    fn local_member<'a>(&self, cluster: &'a InitialCluster) -> Result<&'a [Url], ConfigError> {
        match cluster.iter().find(|(n, _)| *n == self.name) {
            Some((_, urls)) => Ok(urls),
            None => Err(critical(format!(
                "couldn't find local name {} in the initial cluster configuration",
                go_quote(&self.name)
            ))),
        }
    }

    /// The reference's `advertiseMatchesCluster`.
    fn advertise_matches_cluster(&self, local: &[Url]) -> Result<(), ConfigError> {
        let ap: Vec<String> = sorted_strings(&self.initial_advertise_peer_urls);
        let ic: Vec<String> = sorted_strings(local);
        let cause = match urls_equal(&self.initial_advertise_peer_urls, local) {
            Ok(()) => return Ok(()),
            Err(cause) => cause,
        };
        let ap_str = ap.join(",");
        let missing: Vec<String> = ic
            .iter()
            .filter(|u| !ap.contains(u))
            .map(|u| format!("{}={u}", self.name))
            .collect();
        if !missing.is_empty() {
            return Err(critical(format!(
                "--initial-cluster has {} but missing from --initial-advertise-peer-urls={ap_str} ({cause})",
                missing.join(",")
            )));
        }
        let own = members_string(&[(self.name.clone(), self.initial_advertise_peer_urls.clone())]);
        let missing: Vec<&String> = ap.iter().filter(|u| !ic.contains(u)).collect();
        if !missing.is_empty() {
            let missing: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Err(critical(format!(
                "--initial-advertise-peer-urls has {} but missing from --initial-cluster={own}",
                missing.join(",")
            )));
        }
        Err(critical(format!(
            "failed to resolve {ap_str} to match --initial-cluster={own} ({cause})"
        )))
    }

    /// The reference's `UpdateDefaultClusterFromName` with the machine's
    /// default host (see [`detect_default_host`]): when the first listen URL
    /// is `0.0.0.0` and the advertise URLs are the defaults, advertise
    /// `<host>:<listen port>` instead; an initial cluster derived from
    /// `--name` follows. Returns the reference's log line when the host was
    /// used.
    pub fn apply_default_host(&mut self, host: Option<&str>) -> Option<LogLine> {
        let host = host.filter(|h| !h.is_empty())?;
        let mut used = false;
        let derived = self.name != DEFAULT_NAME
            && self.initial_cluster
                == parse_initial_cluster(&initial_cluster_from_name(
                    &self.name,
                    &self.initial_advertise_peer_urls,
                ));
        if let Some(first) = self.listen_peer_urls.first() {
            if is_default(&self.initial_advertise_peer_urls, DEFAULT_PEER_URL)
                && first.host() == "0.0.0.0"
            {
                let u = Url::new(
                    self.initial_advertise_peer_urls[0].scheme(),
                    host,
                    first.port(),
                );
                self.initial_advertise_peer_urls = vec![u];
                used = true;
            }
        }
        if used && derived {
            self.initial_cluster = parse_initial_cluster(&initial_cluster_from_name(
                &self.name,
                &self.initial_advertise_peer_urls,
            ));
        }
        if let Some(first) = self.listen_client_urls.first() {
            if is_default(&self.advertise_client_urls, DEFAULT_CLIENT_URL)
                && first.host() == "0.0.0.0"
            {
                let u = Url::new(self.advertise_client_urls[0].scheme(), host, first.port());
                self.advertise_client_urls = vec![u];
                used = true;
            }
        }
        used.then(|| {
            LogLine::new(
                Level::Info,
                "etcdmain",
                format!("advertising using detected default host {}", go_quote(host)),
            )
        })
    }
}

fn is_default(urls: &[Url], default: &str) -> bool {
    urls.len() == 1 && urls[0].to_string() == default
}

fn sorted_strings(urls: &[Url]) -> Vec<String> {
    let mut v: Vec<String> = urls.iter().map(ToString::to_string).collect();
    v.sort();
    v
}

/// Go's `types.URLsMap.String()`: `name=url` pairs, sorted.
fn members_string(cluster: &[(String, Vec<Url>)]) -> String {
    let mut pairs: Vec<String> = cluster
        .iter()
        .flat_map(|(n, urls)| urls.iter().map(move |u| format!("{n}={u}")))
        .collect();
    pairs.sort();
    pairs.join(",")
}

fn check_duplicate_url(cluster: &InitialCluster) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for (_, urls) in cluster {
        for u in urls {
            if !seen.insert(u.to_string()) {
                return Err(critical(format!(
                    "initial cluster {} has duplicate url",
                    members_string(cluster)
                )));
            }
        }
    }
    Ok(())
}

/// The reference's `netutil.URLStringsEqual`: equal after resolving host
/// names (other than `localhost` and IPs) to addresses.
fn urls_equal(a: &[Url], b: &[Url]) -> Result<(), String> {
    let (sa, sb) = (sorted_strings(a), sorted_strings(b));
    if sa.len() != sb.len() {
        return Err(format!("len({}) != len({})", go_list(&sa), go_list(&sb)));
    }
    if sa == sb {
        return Ok(());
    }
    let resolve = |urls: &[Url]| -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for u in urls {
            out.push(resolve_url(u)?.to_string());
        }
        out.sort();
        Ok(out)
    };
    let (ra, rb) = (resolve(a)?, resolve(b)?);
    match ra.iter().zip(&rb).find(|(x, y)| x != y) {
        None => Ok(()),
        Some((x, y)) => Err(format!("resolved urls: {} != {}", go_quote(x), go_quote(y))),
    }
}

fn resolve_url(u: &Url) -> Result<Url, String> {
    if u.is_unix() || u.host() == "localhost" || u.host().parse::<IpAddr>().is_ok() {
        return Ok(u.clone());
    }
    let addrs: Vec<SocketAddr> = (u.host(), u.port())
        .to_socket_addrs()
        .map_err(|e| format!("failed to resolve {u}: {e}"))?
        .collect();
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .ok_or_else(|| format!("failed to resolve {u}"))?;
    Ok(Url::new(u.scheme(), &addr.ip().to_string(), u.port()))
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
fn go_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", items.join(" "))
}

/// The machine's default host, as the reference finds it: the address this
/// machine uses on its IPv4 default route (none without a default route).
pub fn detect_default_host() -> Option<String> {
    let routes = std::fs::read_to_string("/proc/net/route").ok()?;
    let gateway = routes.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.len() > 7 && f[1] == "00000000" && f[7] == "00000000")
            .then(|| u32::from_str_radix(f[2], 16).ok())
            .flatten()
    })?;
    // /proc/net/route prints the address's bytes as a native-endian number.
    let mut gw = Ipv4Addr::from(gateway.to_ne_bytes());
    if gw.is_unspecified() {
        gw = Ipv4Addr::new(192, 0, 2, 1);
    }
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((gw, 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then(|| ip.to_string())
}
