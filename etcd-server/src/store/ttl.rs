//! The expiry index: every node with a TTL, ordered by expiration then path, so
//! an `Expire` removes nodes in the same order on every member.

use super::node::Expiry;
use std::collections::BTreeSet;

#[derive(Debug, Default, Clone)]
pub struct TtlIndex {
    entries: BTreeSet<(Expiry, String)>,
}

impl TtlIndex {
    pub fn insert(&mut self, expire: Expiry, path: &str) {
        if expire != 0 {
            self.entries.insert((expire, path.to_owned()));
        }
    }

    pub fn remove(&mut self, expire: Expiry, path: &str) {
        if expire != 0 {
            self.entries.remove(&(expire, path.to_owned()));
        }
    }

    /// The earliest expiration, if any node has a TTL.
    pub fn earliest(&self) -> Option<Expiry> {
        self.entries.first().map(|(t, _)| *t)
    }

    /// The path of the first node expired at `now` (expiration ≤ `now`).
    pub fn first_expired(&self, now: Expiry) -> Option<(Expiry, String)> {
        self.entries.first().filter(|(t, _)| *t <= now).cloned()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_by_time_then_path() {
        let mut t = TtlIndex::default();
        t.insert(0, "/permanent");
        t.insert(20, "/b");
        t.insert(10, "/z");
        t.insert(10, "/a");
        assert_eq!(t.len(), 3);
        assert_eq!(t.earliest(), Some(10));
        assert_eq!(t.first_expired(9), None);
        assert_eq!(t.first_expired(10), Some((10, "/a".to_owned())));
        t.remove(10, "/a");
        assert_eq!(t.first_expired(100), Some((10, "/z".to_owned())));
    }
}
