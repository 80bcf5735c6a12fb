//! A side's certificate and key, read again whenever their files change, so
//! that certificates can be rotated without a restart (the reference reads
//! them at every handshake).

use super::TlsInfo;
use rustls::client::ResolvesClientCert;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::SignatureScheme;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tracing::warn;

/// What identifies one version of a file: its modification time and size.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &str) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The key pair of `--cert-file`/`--key-file` (or the peer ones): served to
/// peers and clients, presented when connecting out.
#[derive(Debug)]
pub struct KeyPairFiles {
    cert_file: String,
    key_file: String,
    current: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    stamps: (Stamp, Stamp),
    key: Arc<CertifiedKey>,
}

impl KeyPairFiles {
    /// Reads the pair of `info` now.
    ///
    /// # Errors
    ///
    /// Those of [`super::certified_key`].
    pub fn load(info: &TlsInfo) -> Result<KeyPairFiles, String> {
        let stamps = (stamp(&info.cert_file), stamp(&info.key_file));
        let key = Arc::new(super::certified_key(info)?);
        Ok(KeyPairFiles {
            cert_file: info.cert_file.clone(),
            key_file: info.key_file.clone(),
            current: Mutex::new(Loaded { stamps, key }),
        })
    }

    /// The pair to use now: read again when a file changed since the last
    /// read. A pair that no longer loads is reported once per change and the
    /// last good one is kept.
    pub fn current(&self) -> Arc<CertifiedKey> {
        let stamps = (stamp(&self.cert_file), stamp(&self.key_file));
        let mut loaded = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if loaded.stamps != stamps {
            loaded.stamps = stamps;
            let info = TlsInfo {
                cert_file: self.cert_file.clone(),
                key_file: self.key_file.clone(),
                ..TlsInfo::default()
            };
            match super::certified_key(&info) {
                Ok(key) => loaded.key = Arc::new(key),
                Err(e) => warn!(
                    target: "embed",
                    "keeping the certificate loaded before: {} and {} no longer load: {e}",
                    self.cert_file,
                    self.key_file
                ),
            }
        }
        loaded.key.clone()
    }
}

impl ResolvesServerCert for KeyPairFiles {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

impl ResolvesClientCert for KeyPairFiles {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }

    fn has_certs(&self) -> bool {
        true
    }
}
