//! Unit tests of the peer transport's helpers.

use super::*;

#[test]
fn backoff_doubles_up_to_a_second() {
    let got: Vec<u64> = exponential(BACKOFF_FIRST, BACKOFF_MAX)
        .take(8)
        .map(|d| d.as_millis() as u64)
        .collect();
    assert_eq!(got, [50, 100, 200, 400, 800, 1000, 1000, 1000]);
}

#[test]
fn base_url_takes_the_first_peer_url() {
    let node = |urls: &[&str]| Member {
        peer_urls: urls.iter().map(|u| u.to_string()).collect(),
        ..Member::default()
    };
    let got = base_url(1, &node(&["http://10.0.0.1:2380/", "http://b:2380"])).unwrap();
    assert_eq!(got, "http://10.0.0.1:2380");
    let got = base_url(1, &node(&["https://a:2380"])).unwrap();
    assert_eq!(got, "https://a:2380");
    assert!(matches!(
        base_url(1, &node(&[])),
        Err(PeerError::NoUrl { .. })
    ));
    assert!(matches!(
        base_url(1, &node(&["unix://a:2380"])),
        Err(PeerError::NoUrl { .. })
    ));
}

#[test]
fn refusals_are_logged_once_per_peer_until_accepted() {
    let net = PeerNetwork::new(1, 2);
    assert!(net.refused(7, "http://x", Some("3".into()), "r"));
    assert!(!net.refused(7, "http://x", Some("3".into()), "r"));
    assert!(net.refused(8, "http://y", Some("2".into()), "r"));
    net.accepted(7);
    assert!(net.refused(7, "http://x", Some("3".into()), "r"));
}
