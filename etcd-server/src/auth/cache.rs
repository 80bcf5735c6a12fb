//! Passwords already checked against a bcrypt hash, so that bcrypt (tens of
//! milliseconds at cost 10) runs once per password and stored hash instead
//! of once per request.
//!
//! An entry is a keyed BLAKE3 hash of a user record's bcrypt hash and a
//! password that matched it (the key is random per process, so nothing
//! stored here can be checked against a guess elsewhere, and no password is
//! kept). Whether a password matches a bcrypt hash never changes, so entries
//! need no invalidation: a new password, or a user deleted and created
//! again, stores a new hash (bcrypt salts each one) that no old entry names.
//! Roles are not cached (they are read from the store on every request), so
//! granting or revoking one costs no bcrypt run.

use std::collections::HashSet;
use std::sync::Mutex;

/// Most entries kept; past that the cache starts over.
const MAX_ENTRIES: usize = 4096;

/// `(bcrypt hash, password)` pairs known to match.
pub struct CredentialCache {
    key: [u8; 32],
    entries: Mutex<HashSet<[u8; 32]>>,
}

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl Default for CredentialCache {
    fn default() -> Self {
        CredentialCache::new()
    }
}

impl CredentialCache {
    /// An empty cache with a fresh random key.
    pub fn new() -> CredentialCache {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            // Without OS randomness, a key from the clock and the address
            // space still differs per process; the cache holds no secrets
            // either way (only hashes).
            let seed = format!("{:?}{:p}", std::time::SystemTime::now(), &key);
            key = *blake3::hash(seed.as_bytes()).as_bytes();
        }
        CredentialCache {
            key,
            entries: Mutex::new(HashSet::new()),
        }
    }

    fn digest(&self, hash: &str, password: &[u8]) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(&(hash.len() as u64).to_le_bytes());
        h.update(hash.as_bytes());
        h.update(password);
        *h.finalize().as_bytes()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `password` is known to match the bcrypt `hash`.
    pub fn verified(&self, hash: &str, password: &[u8]) -> bool {
        let digest = self.digest(hash, password);
        self.entries().contains(&digest)
    }

    /// Records that `password` matches the bcrypt `hash`.
    pub fn remember(&self, hash: &str, password: &[u8]) {
        let digest = self.digest(hash, password);
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(digest);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_one_hash_and_password() {
        let c = CredentialCache::new();
        assert!(!c.verified("$2a$10$h1", b"pw"));
        c.remember("$2a$10$h1", b"pw");
        assert!(c.verified("$2a$10$h1", b"pw"));
        assert!(!c.verified("$2a$10$h1", b"other"));
        // A new hash (a changed password, a re-created user) is not known.
        assert!(!c.verified("$2a$10$h2", b"pw"));
        // The hash and the password are not confused at their boundary.
        c.remember("ab", b"c");
        assert!(!c.verified("a", b"bc"));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn keys_differ_per_cache() {
        let (a, b) = (CredentialCache::new(), CredentialCache::new());
        assert_ne!(a.digest("h", b"p"), b.digest("h", b"p"));
    }

    #[test]
    fn bounded() {
        let c = CredentialCache::new();
        for i in 0..MAX_ENTRIES + 10 {
            c.remember(&format!("h{i}"), b"p");
        }
        assert!(c.len() <= MAX_ENTRIES);
        assert!(c.verified(&format!("h{}", MAX_ENTRIES + 9), b"p"));
    }
}
