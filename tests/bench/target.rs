//! Endpoint validation: only loopback targets may be loaded.

use std::net::IpAddr;

use reqwest::Url;

/// Checks `raw` and returns it normalised as `scheme://host:port`.
///
/// Accepted: `http`/`https` URLs without credentials, path (other than `/`),
/// query or fragment, whose host is in 127.0.0.0/8, is `[::1]` or is
/// `localhost`.
pub fn check_endpoint(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL ({e})"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("`{raw}`: only http:// and https:// are supported"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{raw}`: credentials in the URL are not supported"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{raw}`: give the bare endpoint (scheme://host:port), without path or query"
        ));
    }
    let host = url.host_str().unwrap_or("");
    if !is_loopback_host(host) {
        return Err(format!(
            "`{raw}`: host `{host}` is not loopback; only 127.0.0.0/8, localhost \
             and [::1] may be targeted"
        ));
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("`{raw}`: no port"))?;
    Ok(format!("{}://{}:{}", url.scheme(), host, port))
}

/// `host` as `Url::host_str` renders it (IPv6 in brackets).
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => v6.is_loopback(),
        Err(_) => false,
    }
}

/// `host:port` part of a normalised base, for labels.
pub fn host_port(base: &str) -> String {
    base.split_once("://")
        .map_or(base, |(_, rest)| rest)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback() {
        for (raw, want) in [
            ("http://127.0.0.1:2379", "http://127.0.0.1:2379"),
            ("http://127.0.0.1:2379/", "http://127.0.0.1:2379"),
            ("http://127.255.3.4:1", "http://127.255.3.4:1"),
            ("http://LOCALHOST:2379", "http://localhost:2379"),
            ("http://[::1]:2379", "http://[::1]:2379"),
            ("https://127.0.0.1", "https://127.0.0.1:443"),
            ("http://127.0.0.1", "http://127.0.0.1:80"),
        ] {
            assert_eq!(check_endpoint(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn refuses_others() {
        for raw in [
            "http://10.0.0.1:2379",
            "http://128.0.0.1:2379",
            "http://0.0.0.0:2379",
            "http://[::]:2379",
            "http://[::ffff:127.0.0.1]:2379",
            "http://example.com:2379",
            "http://localhost.example.com:2379",
            "http://192.168.1.1",
        ] {
            let e = check_endpoint(raw).unwrap_err();
            assert!(e.contains("not loopback"), "{raw}: {e}");
        }
        assert!(check_endpoint("127.0.0.1:2379").is_err());
        assert!(check_endpoint("ftp://127.0.0.1:21")
            .unwrap_err()
            .contains("http"));
        assert!(check_endpoint("http://127.0.0.1:2379/v2/keys")
            .unwrap_err()
            .contains("without path"));
        assert!(check_endpoint("http://127.0.0.1:2379?x=1").is_err());
        assert!(check_endpoint("http://u:p@127.0.0.1:2379").is_err());
        assert!(check_endpoint("not a url").is_err());
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("127.1.2.3"));
        assert!(is_loopback_host("[::1]"));
        assert!(is_loopback_host("::1"));
        assert!(is_loopback_host("localhost"));
        assert!(!is_loopback_host("[::2]"));
        assert!(!is_loopback_host("1.2.3.4"));
        assert!(!is_loopback_host(""));
    }

    #[test]
    fn host_port_of_base() {
        assert_eq!(host_port("http://127.0.0.1:2379"), "127.0.0.1:2379");
        assert_eq!(host_port("http://[::1]:1"), "[::1]:1");
    }
}
