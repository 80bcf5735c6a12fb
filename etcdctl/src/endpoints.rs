//! Turning the endpoint settings into URLs as the reference does: Go's URL
//! parsing rules and messages, TLS file checks, and DNS SRV discovery.

use crate::cli::global::Global;
use crate::discovery::Discovered;

/// Checks an endpoint the way Go's `url.Parse` would and adds `http` when it
/// has no scheme. The error text is Go's: `parse "<ep>": <reason>`.
pub fn normalize(ep: &str) -> Result<String, String> {
    let fail = |why: &str| Err(format!("parse {ep:?}: {why}"));
    if ep.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return fail("net/url: invalid control character in URL");
    }
    let mut scheme_end = None;
    for (i, c) in ep.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return fail("missing protocol scheme"),
            ':' => {
                scheme_end = Some(i);
                break;
            }
            _ => break,
        }
    }
    match scheme_end {
        Some(end) => {
            if let Some(rest) = ep[end + 1..].strip_prefix("//") {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
                let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                if host.starts_with('[') && !host.contains(']') {
                    return fail("missing ']' in host");
                }
            }
            Ok(ep.to_owned())
        }
        None => {
            let first = ep.split('/').next().unwrap_or("");
            if !ep.starts_with('/') && first.contains(':') {
                return fail("first path segment in URL cannot contain colon");
            }
            Ok(format!("http://{}", ep.trim_start_matches('/')))
        }
    }
}

/// The reference's checks of the TLS files, with its messages.
pub fn check_tls_files(g: &Global) -> Result<(), String> {
    let cert = g.cert_file.as_deref().unwrap_or("");
    let key = g.key_file.as_deref().unwrap_or("");
    if cert.is_empty() != key.is_empty() {
        return Err(format!(
            "KeyFile and CertFile must both be present[key: {key}, cert: {cert}]"
        ));
    }
    for path in [&g.ca_file, &g.cert_file, &g.key_file]
        .into_iter()
        .flatten()
    {
        if let Err(e) = std::fs::metadata(path) {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                _ => e.to_string(),
            };
            return Err(format!("open {path}: {why}"));
        }
    }
    Ok(())
}

/// Looks up the client endpoints of the cluster named by `domain` in DNS SRV
/// records (`_etcd-client-ssl._tcp` and, with `insecure`, `_etcd-client._tcp`).
/// The insecure endpoints it dropped are in [`Discovered::ignored`].
pub async fn discover(domain: &str, insecure: bool) -> Result<Discovered, String> {
    crate::discovery::lookup(domain, insecure).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_like_go_urls() {
        // (typed, normalised) or (typed, Go's complaint after `parse "typed": `).
        let ok = [
            ("http://127.0.0.1:2379", "http://127.0.0.1:2379"),
            ("http://127.0.0.1:2379/", "http://127.0.0.1:2379/"),
            ("etcd1", "http://etcd1"),
            ("http://[::1]:2379", "http://[::1]:2379"),
        ];
        for (typed, want) in ok {
            assert_eq!(normalize(typed), Ok(want.to_owned()), "{typed}");
        }
        let refused = [
            (
                "127.0.0.1:42370",
                "first path segment in URL cannot contain colon",
            ),
            (":2379", "missing protocol scheme"),
            ("http://[::1", "missing ']' in host"),
            ("http://u@[::1:2379/x", "missing ']' in host"),
        ];
        for (typed, why) in refused {
            assert_eq!(normalize(typed), Err(format!("parse {typed:?}: {why}")));
        }
    }
}
