//! Passwords already verified, so that bcrypt (tens of milliseconds at cost
//! 10) runs once per credential instead of once per request.
//!
//! An entry is keyed by a keyed BLAKE3 hash of the user name and password
//! (the key is random per process, so nothing stored here can be checked
//! against a guess elsewhere, and no password is kept) and remembers the
//! `modifiedIndex` of the user record it was verified against. Any change of
//! the record (password, roles, delete and re-create) gives it a new index,
//! so the entry stops matching and is dropped at its next use; roles are
//! always read fresh from the store.

use std::collections::HashMap;
use std::sync::Mutex;

/// Most entries kept; past that the cache starts over.
const MAX_ENTRIES: usize = 4096;

/// Verified `(user, password)` pairs and the user record version they were
/// verified against.
pub struct CredentialCache {
    key: [u8; 32],
    entries: Mutex<HashMap<[u8; 32], u64>>,
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
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn digest(&self, user: &str, password: &[u8]) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(&(user.len() as u64).to_le_bytes());
        h.update(user.as_bytes());
        h.update(password);
        *h.finalize().as_bytes()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], u64>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `password` was verified for `user` while its record was at
    /// `modified_index`. A stale entry is dropped.
    pub fn verified(&self, user: &str, password: &[u8], modified_index: u64) -> bool {
        let digest = self.digest(user, password);
        let mut entries = self.entries();
        match entries.get(&digest) {
            Some(&index) if index == modified_index => true,
            Some(_) => {
                entries.remove(&digest);
                false
            }
            None => false,
        }
    }

    /// Records that `password` is right for `user`'s record at `modified_index`.
    pub fn remember(&self, user: &str, password: &[u8], modified_index: u64) {
        let digest = self.digest(user, password);
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(digest, modified_index);
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
    fn entries_follow_the_record() {
        let c = CredentialCache::new();
        assert!(!c.verified("alice", b"pw", 7));
        c.remember("alice", b"pw", 7);
        assert!(c.verified("alice", b"pw", 7));
        assert!(!c.verified("alice", b"other", 7));
        assert!(!c.verified("bob", b"pw", 7));
        // The user name and password are not confused at their boundary.
        c.remember("ab", b"c", 1);
        assert!(!c.verified("a", b"bc", 1));
        // A changed record (new index) invalidates and drops the entry.
        assert!(!c.verified("alice", b"pw", 9));
        assert!(!c.verified("alice", b"pw", 7));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn keys_differ_per_cache() {
        let (a, b) = (CredentialCache::new(), CredentialCache::new());
        assert_ne!(a.digest("u", b"p"), b.digest("u", b"p"));
    }

    #[test]
    fn bounded() {
        let c = CredentialCache::new();
        for i in 0..MAX_ENTRIES + 10 {
            c.remember(&format!("u{i}"), b"p", 1);
        }
        assert!(c.len() <= MAX_ENTRIES);
        assert!(c.verified(&format!("u{}", MAX_ENTRIES + 9), b"p", 1));
    }
}
