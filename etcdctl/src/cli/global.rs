//! The global options: their definitions and how flags and `ETCDCTL_*`
//! variables combine into the settings a command runs with.

use std::time::Duration;

use super::def::{Flag, Kind};
use super::parse::Matches;

const fn with(flag: Flag, kind: Kind, default: &'static str, placeholder: &'static str) -> Flag {
    Flag {
        kind,
        default,
        placeholder,
        ..flag
    }
}

/// The global options, in the reference's help order.
pub static GLOBAL_FLAGS: &[Flag] = &[
    Flag::bool(
        &["debug"],
        "output cURL commands which can be used to reproduce the request",
    ),
    Flag::bool(
        &["no-sync"],
        "don't synchronize cluster information before sending request",
    ),
    with(
        Flag::string(
            &["output", "o"],
            "output response in the given format (simple, `extended` or `json`)",
        ),
        Kind::Str,
        "simple",
        "simple",
    ),
    Flag::string(
        &["discovery-srv", "D"],
        "domain name to query for SRV records describing cluster endpoints",
    ),
    Flag::bool(
        &["insecure-discovery"],
        "accept insecure SRV records describing cluster endpoints",
    ),
    Flag::string(
        &["peers", "C"],
        "DEPRECATED - \"--endpoints\" should be used instead",
    ),
    Flag::string(
        &["endpoint"],
        "DEPRECATED - \"--endpoints\" should be used instead",
    ),
    with(
        Flag::string(
            &["endpoints"],
            "a comma-delimited list of machine addresses in the cluster",
        ),
        Kind::Str,
        DEFAULT_ENDPOINTS,
        "value",
    ),
    Flag::string(
        &["cert-file"],
        "identify HTTPS client using this SSL certificate file",
    ),
    Flag::string(
        &["key-file"],
        "identify HTTPS client using this SSL key file",
    ),
    Flag::string(
        &["ca-file"],
        "verify certificates of HTTPS-enabled servers using this CA bundle",
    ),
    Flag::string(
        &["username", "u"],
        "provide username[:password] and prompt if password is not supplied.",
    ),
    with(
        Flag::string(&["timeout"], "connection timeout per request"),
        Kind::Duration,
        "2s",
        "value",
    ),
    with(
        Flag::string(
            &["total-timeout"],
            "timeout for the command execution (except watch)",
        ),
        Kind::Duration,
        "5s",
        "value",
    ),
    Flag::bool(&["help", "h"], "show help"),
    Flag::bool(&["version", "v"], "print the version"),
];

/// The endpoints used when none are given anywhere.
pub const DEFAULT_ENDPOINTS: &str = "http://127.0.0.1:2379,http://127.0.0.1:4001";

/// The one-line summary of the program.
pub const SUMMARY: &str = "A simple command line client for etcd.";

/// The settings every command runs with.
#[derive(Debug, Clone)]
pub struct Global {
    /// Print each request as a curl command on stderr.
    pub debug: bool,
    /// Skip the member-list sync before the command.
    pub no_sync: bool,
    /// `simple`, `extended`, `json` (anything else is reported after the request).
    pub output: String,
    /// Domain for DNS SRV discovery of the endpoints.
    pub discovery_srv: Option<String>,
    /// Accept plain-http SRV results.
    pub insecure_discovery: bool,
    /// The endpoint list after the reference's precedence rules (unparsed).
    pub endpoints: Vec<String>,
    /// TLS client certificate file.
    pub cert_file: Option<String>,
    /// TLS client key file.
    pub key_file: Option<String>,
    /// TLS CA bundle.
    pub ca_file: Option<String>,
    /// `user[:password]`.
    pub username: Option<String>,
    /// Per-request (header) timeout.
    pub timeout: Duration,
    /// Deadline of the whole command, except watches.
    pub total_timeout: Duration,
}

impl Global {
    /// Combines parsed global flags with the environment (`env` looks up a variable).
    pub fn resolve(m: &Matches, env: &dyn Fn(&str) -> Option<String>) -> Global {
        let flag = |name: &str| m.string(name).filter(|s| !s.is_empty()).map(str::to_owned);
        let var = |name: &str| env(name).filter(|s| !s.is_empty());
        let endpoints = flag("endpoints")
            .or_else(|| var("ETCDCTL_ENDPOINTS"))
            .or_else(|| flag("endpoint"))
            .or_else(|| var("ETCDCTL_ENDPOINT"))
            .or_else(|| flag("peers"))
            .or_else(|| var("ETCDCTL_PEERS"))
            .unwrap_or_else(|| DEFAULT_ENDPOINTS.to_owned());
        Global {
            debug: m.bool("debug"),
            no_sync: m.bool("no-sync"),
            output: m.string("output").unwrap_or("simple").to_owned(),
            discovery_srv: flag("discovery-srv").or_else(|| var("ETCDCTL_DISCOVERY_SRV")),
            insecure_discovery: m.bool("insecure-discovery")
                || var("ETCDCTL_INSECURE_DISCOVERY").is_some(),
            endpoints: endpoints.split(',').map(str::to_owned).collect(),
            cert_file: flag("cert-file").or_else(|| var("ETCDCTL_CERT_FILE")),
            key_file: flag("key-file").or_else(|| var("ETCDCTL_KEY_FILE")),
            ca_file: flag("ca-file").or_else(|| var("ETCDCTL_CA_FILE")),
            username: flag("username").or_else(|| var("ETCDCTL_USERNAME")),
            timeout: m.duration("timeout").unwrap_or(Duration::from_secs(2)),
            total_timeout: m
                .duration("total-timeout")
                .unwrap_or(Duration::from_secs(5)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse::parse;

    fn resolve(args: &[&str], vars: &[(&str, &str)]) -> Global {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let m = parse(GLOBAL_FLAGS, &args).unwrap();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Global::resolve(&m, &move |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn endpoint_precedence_matches_the_reference() {
        let g = resolve(&[], &[]);
        assert_eq!(
            g.endpoints,
            ["http://127.0.0.1:2379", "http://127.0.0.1:4001"]
        );
        let g = resolve(
            &["--endpoints", "http://a:1"],
            &[("ETCDCTL_ENDPOINTS", "http://b:1")],
        );
        assert_eq!(g.endpoints, ["http://a:1"]);
        let g = resolve(
            &["--peers", "http://a:1"],
            &[("ETCDCTL_ENDPOINTS", "http://b:1")],
        );
        assert_eq!(g.endpoints, ["http://b:1"]);
        let g = resolve(
            &["--endpoint", "http://a:1"],
            &[("ETCDCTL_PEERS", "http://b:1")],
        );
        assert_eq!(g.endpoints, ["http://a:1"]);
        let g = resolve(&["--endpoints", "", "-C", "http://c:1,http://d:1"], &[]);
        assert_eq!(g.endpoints, ["http://c:1", "http://d:1"]);
        let g = resolve(
            &["--timeout", "1s", "--total-timeout=3s", "-o", "json"],
            &[],
        );
        assert_eq!(g.timeout, Duration::from_secs(1));
        assert_eq!(g.total_timeout, Duration::from_secs(3));
        assert_eq!(g.output, "json");
    }
}
