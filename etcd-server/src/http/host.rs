//! The checks of the `Host` header that the reference's HTTP server makes
//! before any handler sees a request, on the client and the peer listeners
//! alike: an HTTP/1.1 request without one, a request with several, and one
//! whose value holds a byte no host or port can hold get a plain-text 400
//! and the connection closed. An HTTP/1.0 request may leave it out, and an
//! empty value passes.

use super::Resp;
use hyper::header::HOST;
use hyper::{Method, Request, Version};

/// What is wrong with a request's `Host` header, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Missing,
    Several,
    Malformed,
}

impl Fault {
    /// The status line's reason phrase, which the reference extends with
    /// the fault, and the body, which repeats the status line after the
    /// protocol.
    fn reason(self) -> &'static str {
        match self {
            Fault::Missing => "Bad Request: missing required Host header",
            Fault::Several => "Bad Request",
            Fault::Malformed => "Bad Request: malformed Host header",
        }
    }
}

fn fault<B>(req: &Request<B>) -> Option<Fault> {
    let mut hosts = req.headers().get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if req.version() >= Version::HTTP_11 && req.method() != Method::CONNECT => {
            Some(Fault::Missing)
        }
        (None, _) => None,
        (Some(_), Some(_)) => Some(Fault::Several),
        (Some(host), None) if !host.as_bytes().iter().all(|&b| host_byte(b)) => {
            Some(Fault::Malformed)
        }
        (Some(_), None) => None,
    }
}

/// Whether `b` may appear in a `Host` header: the bytes of a registered
/// name, an IP literal (with a percent-encoded zone) and a port, taken
/// loosely (anywhere in the value), as the reference takes them.
fn host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!$%&'()*+,-.:;=[]_~".contains(&b)
}

/// The answer to a request whose `Host` header the reference refuses, or
/// `None` for a request that goes on to the handlers.
pub fn refusal<B>(req: &Request<B>) -> Option<Resp> {
    Some(super::early_bad_request(fault(req)?.reason()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE};

    fn request(version: Version, hosts: &[&[u8]]) -> Request<()> {
        let mut b = Request::builder().uri("/v2/keys/a").version(version);
        for h in hosts {
            b = b.header(HOST, HeaderValue::from_bytes(h).unwrap());
        }
        b.body(()).unwrap()
    }

    #[test]
    fn an_http_1_1_request_must_name_its_host_and_an_http_1_0_one_need_not() {
        assert_eq!(fault(&request(Version::HTTP_11, &[])), Some(Fault::Missing));
        assert_eq!(fault(&request(Version::HTTP_10, &[])), None);
        assert_eq!(fault(&request(Version::HTTP_11, &[b"x"])), None);
        let mut connect = request(Version::HTTP_11, &[]);
        *connect.method_mut() = Method::CONNECT;
        assert_eq!(fault(&connect), None);
    }

    #[test]
    fn several_host_headers_are_refused_even_when_they_agree() {
        for version in [Version::HTTP_10, Version::HTTP_11] {
            let r = request(version, &[b"a", b"a"]);
            assert_eq!(fault(&r), Some(Fault::Several));
        }
    }

    #[test]
    fn a_host_is_made_of_the_bytes_of_names_addresses_and_ports() {
        for ok in [
            &b""[..],
            b"127.0.0.1:2379",
            b"[fe80::1%25eth0]:2380",
            b"etcd-0.etcd_svc.local",
            b"!$&'()*+,;=~",
        ] {
            assert_eq!(fault(&request(Version::HTTP_11, &[ok])), None, "{ok:?}");
        }
        // Each byte the reference refuses (probed one at a time on etcd
        // 3.4.23: `a<byte>b`).
        for bad in b" \"#/<>?@\\^`{|}\t\x80\xc3\xff" {
            let host = [b'a', *bad, b'b'];
            let r = request(Version::HTTP_10, &[&host]);
            assert_eq!(fault(&r), Some(Fault::Malformed), "{:?}", *bad as char);
        }
    }

    #[test]
    fn the_refusal_is_a_plain_text_400_that_closes_the_connection() {
        let r = refusal(&request(Version::HTTP_11, &[])).unwrap();
        assert_eq!(r.status(), 400);
        let reason = r.extensions().get::<hyper::ext::ReasonPhrase>().unwrap();
        assert_eq!(
            reason.as_bytes(),
            b"Bad Request: missing required Host header"
        );
        assert_eq!(r.headers()[CONNECTION], "close");
        assert_eq!(r.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        // Several: the plain reason, which hyper writes by itself.
        let several = refusal(&request(Version::HTTP_11, &[b"a", b"b"])).unwrap();
        assert!(several
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .is_none());
        assert!(refusal(&request(Version::HTTP_11, &[b"a"])).is_none());
    }
}
