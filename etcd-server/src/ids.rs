//! Member and cluster ids, computed as the reference computes them, so the
//! same flags give the same ids (a default member is `8e9e05c52164694d`).

use sha1::{Digest, Sha1};

/// A member's id: the first 8 bytes (big-endian) of SHA-1 over its sorted
/// peer URLs concatenated, then the cluster token, then, for members added at
/// run time, the Unix second of the addition.
pub fn member_id(peer_urls: &[String], token: &str, added_at_unix: Option<i64>) -> u64 {
    let mut urls: Vec<&str> = peer_urls.iter().map(String::as_str).collect();
    urls.sort_unstable();
    let mut h = Sha1::new();
    for u in urls {
        h.update(u.as_bytes());
    }
    h.update(token.as_bytes());
    if let Some(t) = added_at_unix {
        h.update(t.to_string().as_bytes());
    }
    first_u64(&h.finalize())
}

/// The cluster id: SHA-1 over the sorted member ids (8 bytes big-endian each).
pub fn cluster_id(member_ids: &[u64]) -> u64 {
    let mut ids = member_ids.to_vec();
    ids.sort_unstable();
    let mut h = Sha1::new();
    for id in ids {
        h.update(id.to_be_bytes());
    }
    first_u64(&h.finalize())
}

fn first_u64(digest: &[u8]) -> u64 {
    u64::from_be_bytes(digest[..8].try_into().expect("SHA-1 has 20 bytes"))
}

/// An id as the reference prints it: lower-case hex, not zero-padded.
pub fn hex(id: u64) -> String {
    format!("{id:x}")
}

/// Parses an id written by [`hex`] (what `/v2/members/<id>` takes).
pub fn parse_hex(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_member_matches_the_reference() {
        let id = member_id(&["http://localhost:2380".into()], "etcd-cluster", None);
        assert_eq!(hex(id), "8e9e05c52164694d");
    }

    #[test]
    fn spec_single_node_ids() {
        // spec members-stats.md: n1 with peer URL 127.0.0.1:42371, default token.
        let id = member_id(&["http://127.0.0.1:42371".into()], "etcd-cluster", None);
        assert_eq!(hex(id), "d844dd3444b3f7f3");
        assert_eq!(hex(cluster_id(&[id])), "d2b9ad5e4a2269f3");
    }

    #[test]
    fn spec_three_node_ids() {
        let ids: Vec<u64> = [42373, 42375, 42377]
            .iter()
            .map(|p| member_id(&[format!("http://127.0.0.1:{p}")], "spec-cluster", None))
            .collect();
        let hexes: Vec<String> = ids.iter().map(|i| hex(*i)).collect();
        assert_eq!(
            hexes,
            ["a24c000d620e83d6", "70a3c1decd07e820", "c92c4c35a19fb462"]
        );
        assert_eq!(hex(cluster_id(&ids)), "937832df8550fad6");
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(0x2f49033e49f015e), "2f49033e49f015e");
        assert_eq!(parse_hex("2f49033e49f015e"), Some(0x2f49033e49f015e));
        assert_eq!(parse_hex(""), None);
        assert_eq!(parse_hex("xyz"), None);
        assert_eq!(parse_hex("11112222333344445"), None);
    }
}
