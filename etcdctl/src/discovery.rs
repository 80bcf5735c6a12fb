//! DNS SRV discovery of the cluster's client endpoints (`--discovery-srv`).

/// Looks up `_etcd-client-ssl._tcp.<domain>` and `_etcd-client._tcp.<domain>`.
pub async fn lookup(domain: &str, insecure: bool) -> Result<Vec<String>, String> {
    let _ = insecure;
    Err(format!(
        "dns lookup errors: lookup _etcd-client-ssl._tcp.{domain}: unsupported"
    ))
}
