//! TLS failures in the words of Go's `crypto/tls` and `crypto/x509`, which
//! the reference client prints (`x509: certificate signed by unknown
//! authority`, `remote error: tls: certificate required`).

use rustls::{AlertDescription, CertificateError};
use std::error::Error as StdError;

/// The TLS failure somewhere in `err`'s chain of causes, if there is one.
pub(crate) fn tls_detail(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(describe(tls));
        }
        // An I/O error does not list the error it wraps as its source (it
        // skips to that error's source), so it is opened here.
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let inner: &(dyn StdError + 'static) = inner;
            return tls_detail(inner);
        }
        cur = e.source();
    }
    None
}

fn describe(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(e) => certificate(e),
        rustls::Error::AlertReceived(alert) => format!("remote error: tls: {}", alert_text(*alert)),
        other => format!("tls: {other}"),
    }
}

fn certificate(err: &CertificateError) -> String {
    match err {
        CertificateError::UnknownIssuer => "x509: certificate signed by unknown authority".into(),
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => {
            "x509: certificate has expired or is not yet valid".into()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let host = match expected {
                rustls::pki_types::ServerName::DnsName(n) => n.as_ref().to_owned(),
                rustls::pki_types::ServerName::IpAddress(ip) => {
                    std::net::IpAddr::from(*ip).to_string()
                }
                other => format!("{other:?}"),
            };
            let names: Vec<&str> = presented
                .iter()
                .map(|p| {
                    // rustls quotes the presented names: `DnsName("a")`, `IpAddress(1.2.3.4)`.
                    let inner = p.split_once('(').map_or(p.as_str(), |(_, rest)| rest);
                    inner.trim_end_matches(')').trim_matches('"')
                })
                .collect();
            format!(
                "x509: certificate is valid for {}, not {host}",
                names.join(", ")
            )
        }
        CertificateError::NotValidForName => "x509: certificate is not valid for this host".into(),
        other => format!("x509: {other:?}"),
    }
}

/// Go's names of the alerts a peer sends.
fn alert_text(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::BadCertificate => "bad certificate".into(),
        AlertDescription::UnknownCA => "unknown certificate authority".into(),
        AlertDescription::CertificateRequired => "certificate required".into(),
        AlertDescription::CertificateExpired => "expired certificate".into(),
        AlertDescription::HandshakeFailure => "handshake failure".into(),
        AlertDescription::ProtocolVersion => "protocol version not supported".into(),
        AlertDescription::DecryptError => "error decrypting message".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_errors_read_like_go() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, unknown);
        let io = std::io::Error::other(inner);
        assert_eq!(
            tls_detail(&io).as_deref(),
            Some("x509: certificate signed by unknown authority")
        );
        let alert = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        assert_eq!(
            tls_detail(&alert).as_deref(),
            Some("remote error: tls: certificate required")
        );
        let plain = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(tls_detail(&plain), None);
    }
}
