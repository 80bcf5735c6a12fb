//! DNS SRV discovery of the cluster's client endpoints (`--discovery-srv`),
//! as the reference's `pkg/srv.GetClient` and `getDomainDiscoveryFlagValue`.
//!
//! `_etcd-client-ssl._tcp.<domain>` gives `https://target:port` endpoints and
//! `_etcd-client._tcp.<domain>` `http://` ones (each record set ordered like
//! Go's `net.LookupSRV`: by priority, then shuffled by weight). Only when both
//! lookups fail is it an error, worded like Go's resolver errors. Without
//! insecure discovery the `http://` endpoints are dropped and reported.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::rdata::SRV;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, TokioResolver};

/// What SRV discovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    /// The endpoints to use: the `https` ones first, then (with insecure
    /// discovery) the `http` ones.
    pub endpoints: Vec<String>,
    /// `http://` endpoints dropped because insecure discovery was not allowed;
    /// the reference reports each on stderr as
    /// `ignoring discovered insecure endpoint "<ep>"`.
    pub ignored: Vec<String>,
}

/// Looks up `_etcd-client-ssl._tcp.<domain>` and `_etcd-client._tcp.<domain>`
/// with the name servers of `/etc/resolv.conf` (Go's defaults, 127.0.0.1:53 and
/// [::1]:53, when it has none).
///
/// # Errors
///
/// When both lookups fail: `dns lookup errors: <https error> and <http error>`,
/// each like `lookup _etcd-client-ssl._tcp.<domain> on <server>:53: no such host`.
pub async fn lookup(domain: &str, insecure: bool) -> Result<Discovered, String> {
    let (config, opts) = hickory_resolver::system_conf::read_system_conf().unwrap_or_else(|_| {
        let ips = [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        let servers = NameServerConfigGroup::from_ips_clear(&ips, 53, false);
        (
            ResolverConfig::from_parts(None, vec![], servers),
            ResolverOpts::default(),
        )
    });
    lookup_with(config, opts, domain, insecure).await
}

/// [`lookup`] against one name server over UDP only (for tests with a fake server).
#[cfg(test)]
pub(crate) async fn lookup_via(
    server: std::net::SocketAddr,
    domain: &str,
    insecure: bool,
) -> Result<Discovered, String> {
    use hickory_resolver::config::NameServerConfig;
    use hickory_resolver::proto::xfer::Protocol;

    let mut ns = NameServerConfig::new(server, Protocol::Udp);
    ns.trust_negative_responses = true;
    let config = ResolverConfig::from_parts(None, vec![], vec![ns]);
    let mut opts = ResolverOpts::default();
    opts.timeout = std::time::Duration::from_secs(2);
    opts.attempts = 1;
    lookup_with(config, opts, domain, insecure).await
}

async fn lookup_with(
    config: ResolverConfig,
    opts: ResolverOpts,
    domain: &str,
    insecure: bool,
) -> Result<Discovered, String> {
    let server = config
        .name_servers()
        .first()
        .map(|ns| ns.socket_addr.to_string())
        .unwrap_or_default();
    let mut builder =
        TokioResolver::builder_with_config(config, TokioConnectionProvider::default());
    *builder.options_mut() = opts;
    let resolver = builder.build();
    let https = format!("_etcd-client-ssl._tcp.{domain}");
    let http = format!("_etcd-client._tcp.{domain}");
    let (secure, plain) = tokio::join!(
        srv_urls(&resolver, &https, "https", &server),
        srv_urls(&resolver, &http, "http", &server),
    );
    let (secure, plain) = match (secure, plain) {
        (Err(a), Err(b)) => return Err(format!("dns lookup errors: {a} and {b}")),
        (s, p) => (s.unwrap_or_default(), p.unwrap_or_default()),
    };
    let mut found = Discovered {
        endpoints: secure,
        ignored: Vec::new(),
    };
    if insecure {
        found.endpoints.extend(plain);
    } else {
        found.ignored = plain;
    }
    Ok(found)
}

/// The `scheme://target:port` URLs of the SRV records at `name`, in Go's order.
async fn srv_urls(
    resolver: &TokioResolver,
    name: &str,
    scheme: &str,
    server: &str,
) -> Result<Vec<String>, String> {
    let records: Vec<SRV> = resolver
        .srv_lookup(name)
        .await
        .map_err(|e| format!("lookup {name} on {server}: {}", go_reason(&e)))?
        .into_iter()
        .collect();
    Ok(go_order(records)
        .iter()
        .map(|r| {
            // Go's net.JoinHostPort; the target keeps its final dot, as in Go.
            let host = r.target().to_ascii();
            if host.contains(':') {
                format!("{scheme}://[{host}]:{}", r.port())
            } else {
                format!("{scheme}://{host}:{}", r.port())
            }
        })
        .collect())
}

/// The reason part of Go's `*net.DNSError` for a failed lookup.
fn go_reason(e: &ResolveError) -> String {
    let Some(proto) = e.proto() else {
        return e.to_string();
    };
    match proto.kind() {
        ProtoErrorKind::NoRecordsFound { response_code, .. } => match *response_code {
            ResponseCode::NXDomain | ResponseCode::NoError => "no such host".to_owned(),
            _ => "server misbehaving".to_owned(),
        },
        ProtoErrorKind::Timeout => "i/o timeout".to_owned(),
        _ => proto.to_string(),
    }
}

/// Go's `byPriorityWeight.sort`: ascending priority, and within a priority a
/// random order in which heavier records tend to come first (RFC 2782).
fn go_order(mut records: Vec<SRV>) -> Vec<SRV> {
    records.sort_by_key(|r| (r.priority(), r.weight()));
    let state = RandomState::new();
    let mut draws = 0u64;
    let mut random_below = |n: u32| {
        draws += 1;
        (state.hash_one(draws) % u64::from(n)) as u32
    };
    let mut start = 0;
    while start < records.len() {
        let prio = records[start].priority();
        let end = records[start..]
            .iter()
            .position(|r| r.priority() != prio)
            .map_or(records.len(), |p| start + p);
        shuffle_by_weight(&mut records[start..end], &mut random_below);
        start = end;
    }
    records
}

/// Go's `byPriorityWeight.shuffleByWeight`.
fn shuffle_by_weight(mut group: &mut [SRV], random_below: &mut dyn FnMut(u32) -> u32) {
    let mut sum: u32 = group.iter().map(|r| u32::from(r.weight())).sum();
    while sum > 0 && group.len() > 1 {
        let n = random_below(sum);
        let mut s = 0;
        for i in 0..group.len() {
            s += u32::from(group[i].weight());
            if s > n {
                group.swap(0, i);
                break;
            }
        }
        sum -= u32::from(group[0].weight());
        group = &mut group[1..];
    }
}

#[cfg(test)]
mod tests {
    use std::net::{SocketAddr, UdpSocket};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use hickory_resolver::proto::op::{Message, MessageType};
    use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

    use super::*;

    /// A DNS server on 127.0.0.1 (UDP) that knows some SRV record sets and
    /// answers NXDOMAIN for every other name.
    struct FakeDns {
        addr: SocketAddr,
        stop: Arc<AtomicBool>,
    }

    /// One SRV record: (priority, weight, port, target).
    type Srv<'a> = (u16, u16, u16, &'a str);

    impl FakeDns {
        /// `zones`: (owner name, its SRV records).
        fn start(zones: &[(&str, &[Srv])]) -> FakeDns {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            let addr = socket.local_addr().unwrap();
            let zones: Vec<(Name, Vec<SRV>)> = zones
                .iter()
                .map(|(owner, recs)| {
                    let srvs = recs
                        .iter()
                        .map(|&(p, w, port, t)| SRV::new(p, w, port, Name::from_ascii(t).unwrap()))
                        .collect();
                    (Name::from_ascii(owner).unwrap(), srvs)
                })
                .collect();
            let stop = Arc::new(AtomicBool::new(false));
            let stopped = stop.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 512];
                while !stopped.load(Ordering::Relaxed) {
                    let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    let query = Message::from_vec(&buf[..n]).unwrap();
                    let answer = answer(&query, &zones);
                    socket.send_to(&answer.to_vec().unwrap(), peer).unwrap();
                }
            });
            FakeDns { addr, stop }
        }
    }

    impl Drop for FakeDns {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    fn answer(query: &Message, zones: &[(Name, Vec<SRV>)]) -> Message {
        let mut m = Message::new();
        m.set_id(query.id())
            .set_message_type(MessageType::Response)
            .set_op_code(query.op_code())
            .set_recursion_desired(query.recursion_desired())
            .set_recursion_available(true);
        let q = query.queries()[0].clone();
        let mut owner = q.name().clone();
        owner.set_fqdn(false);
        let found = zones
            .iter()
            .find(|(n, _)| n.eq_case(&owner) && q.query_type() == RecordType::SRV);
        match found {
            Some((_, srvs)) => {
                for srv in srvs {
                    m.add_answer(Record::from_rdata(
                        q.name().clone(),
                        60,
                        RData::SRV(srv.clone()),
                    ));
                }
            }
            None => {
                m.set_response_code(ResponseCode::NXDomain);
            }
        }
        m.add_query(q);
        m
    }

    const SSL: &str = "_etcd-client-ssl._tcp.example.com";
    const PLAIN: &str = "_etcd-client._tcp.example.com";

    #[tokio::test]
    async fn both_record_sets_give_https_first_and_http_only_when_insecure() {
        let dns = FakeDns::start(&[
            (
                SSL,
                &[
                    (20, 0, 2379, "b.example.com."),
                    (10, 0, 2379, "a.example.com."),
                ],
            ),
            (PLAIN, &[(10, 0, 4001, "c.example.com.")]),
        ]);
        let found = lookup_via(dns.addr, "example.com", true).await.unwrap();
        assert_eq!(
            found.endpoints,
            [
                "https://a.example.com.:2379",
                "https://b.example.com.:2379",
                "http://c.example.com.:4001"
            ]
        );
        assert!(found.ignored.is_empty());
        let found = lookup_via(dns.addr, "example.com", false).await.unwrap();
        assert_eq!(
            found.endpoints,
            ["https://a.example.com.:2379", "https://b.example.com.:2379"]
        );
        assert_eq!(found.ignored, ["http://c.example.com.:4001"]);
    }

    #[tokio::test]
    async fn http_records_alone_are_ignored_unless_insecure() {
        let dns = FakeDns::start(&[(PLAIN, &[(10, 0, 2379, "etcd1.example.com.")])]);
        let found = lookup_via(dns.addr, "example.com", false).await.unwrap();
        assert_eq!(
            found,
            Discovered {
                endpoints: vec![],
                ignored: vec!["http://etcd1.example.com.:2379".into()],
            }
        );
        let found = lookup_via(dns.addr, "example.com", true).await.unwrap();
        assert_eq!(found.endpoints, ["http://etcd1.example.com.:2379"]);
        assert!(found.ignored.is_empty());
    }

    #[tokio::test]
    async fn no_records_at_all_is_the_combined_go_error() {
        let dns = FakeDns::start(&[]);
        let err = lookup_via(dns.addr, "example.com", false)
            .await
            .unwrap_err();
        let server = dns.addr;
        assert_eq!(
            err,
            format!(
                "dns lookup errors: lookup {SSL} on {server}: no such host and lookup {PLAIN} on {server}: no such host"
            )
        );
    }

    #[test]
    fn weights_order_records_within_a_priority_only() {
        let srv = |p, w, t: &str| SRV::new(p, w, 1, Name::from_ascii(t).unwrap());
        for _ in 0..20 {
            let order = go_order(vec![
                srv(2, 0, "z."),
                srv(1, 5, "b."),
                srv(1, 0, "never-first."),
                srv(1, 5, "a."),
            ]);
            let names: Vec<String> = order.iter().map(|r| r.target().to_ascii()).collect();
            assert_eq!(names[2], "never-first.", "{names:?}");
            assert_eq!(names[3], "z.", "{names:?}");
        }
    }
}
