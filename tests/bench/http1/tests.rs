//! Tests of the raw HTTP/1.1 client: the response parser fed through
//! in-memory pipes, and the client against small in-process servers.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream, ReadBuf as IoReadBuf};
use tokio::net::TcpListener;

use super::*;

/// Pipe capacities: 1 feeds the parser byte by byte, so every split point
/// of a response is crossed; the others split it in other places.
const CAPS: [usize; 7] = [1, 2, 3, 5, 7, 16, 1 << 16];

/// Parses `wire` received through a pipe that holds at most `cap` bytes.
async fn feed(wire: &[u8], cap: usize) -> Result<Response, Error> {
    let (mut reader, mut writer) = duplex(cap);
    let wire = wire.to_vec();
    let w = tokio::spawn(async move {
        let _ = writer.write_all(&wire).await;
    });
    let mut buf = ReadBuf::new();
    let r = read_response(&mut reader, &mut buf).await;
    drop(reader);
    w.await.unwrap();
    r
}

fn ok(status: u16, close: bool) -> Response {
    Response { status, close }
}

fn with_length(head: &str, body: &[u8]) -> Vec<u8> {
    let mut w = format!("{head}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    w.extend_from_slice(body);
    w
}

fn chunked_response() -> Vec<u8> {
    let mut w = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\
                  transfer-encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1A ; a=b;c\r\n"
        .to_vec();
    w.extend_from_slice(b"abcdefghijklmnopqrstuvwxyz\r\n");
    w.extend_from_slice(b"1\r\n\n\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n");
    w
}

#[tokio::test]
async fn content_length_body_is_consumed_at_every_split() {
    let body = br#"{"action":"get","node":{"key":"/bench/k1","value":"abc"}}"#;
    let wire = with_length(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 7\r\n",
        body,
    );
    for cap in CAPS {
        assert_eq!(feed(&wire, cap).await.unwrap(), ok(200, false), "cap {cap}");
    }
    // A lower-case field name.
    let wire = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc";
    assert_eq!(feed(wire, 1).await.unwrap(), ok(200, false));
    // A body larger than the read buffer.
    let big = vec![b'x'; 3 * READ_BUF + 17];
    let wire = with_length("HTTP/1.1 404 Not Found\r\n", &big);
    for cap in [1, 7, 1 << 16] {
        assert_eq!(feed(&wire, cap).await.unwrap(), ok(404, false), "cap {cap}");
    }
}

#[tokio::test]
async fn chunked_body_with_extensions_and_trailer_at_every_split() {
    let wire = chunked_response();
    for cap in CAPS {
        assert_eq!(feed(&wire, cap).await.unwrap(), ok(201, false), "cap {cap}");
    }
    // No trailer, and a chunk bigger than the read buffer.
    let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    wire.extend_from_slice(format!("{:x}\r\n", 2 * READ_BUF).as_bytes());
    wire.extend(std::iter::repeat_n(b'y', 2 * READ_BUF));
    wire.extend_from_slice(b"\r\n0\r\n\r\n");
    for cap in [1, 5, 1 << 16] {
        assert_eq!(feed(&wire, cap).await.unwrap(), ok(200, false), "cap {cap}");
    }
}

#[tokio::test]
async fn responses_follow_each_other_on_one_stream() {
    let (mut reader, mut writer) = duplex(1 << 16);
    let mut buf = ReadBuf::new();
    let first = with_length("HTTP/1.1 200 OK\r\n", b"one");
    let second = chunked_response();
    for (wire, want) in [(&first, 200), (&second, 201), (&first, 200)] {
        writer.write_all(wire).await.unwrap();
        let r = read_response(&mut reader, &mut buf).await.unwrap();
        assert_eq!(r, ok(want, false));
    }
}

#[tokio::test]
async fn connection_close_is_reported() {
    for (head, close) in [
        ("HTTP/1.1 200 OK\r\nConnection: close\r\n", true),
        ("HTTP/1.1 200 OK\r\nconnection: Keep-Alive, CLOSE\r\n", true),
        ("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n", false),
        ("HTTP/1.0 200 OK\r\n", true),
        ("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n", false),
    ] {
        let wire = with_length(head, b"{}");
        assert_eq!(feed(&wire, 3).await.unwrap(), ok(200, close), "{head:?}");
    }
}

#[tokio::test]
async fn bodyless_statuses_need_no_length() {
    let r = feed(b"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n", 1).await;
    assert_eq!(r.unwrap(), ok(204, false));
    let r = feed(b"HTTP/1.1 304 Not Modified\r\n\r\n", 1 << 16).await;
    assert_eq!(r.unwrap(), ok(304, false));
}

#[tokio::test]
async fn interim_responses_are_skipped() {
    let mut wire =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".to_vec();
    wire.extend(with_length("HTTP/1.1 200 OK\r\n", b"{}"));
    for cap in CAPS {
        assert_eq!(feed(&wire, cap).await.unwrap(), ok(200, false), "cap {cap}");
    }
}

#[tokio::test]
async fn malformed_responses_are_errors() {
    for (wire, want) in [
        (
            &b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"[..],
            "invalid response status",
        ),
        (
            b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
            "invalid HTTP version",
        ),
        (b"ICY 200 OK\r\n\r\n", "invalid HTTP version"),
        (b"HTTP/1.1 200OK\r\n\r\n", "invalid response status"),
        (b"HTTP/1.1 99 OK\r\n\r\n", "invalid response status"),
        (b"HTTP/1.1 600 Nope\r\n\r\n", "status code out of range"),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "unexpected protocol switch",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            "Content-Length",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "Content-Length",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",
            "Content-Length",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "conflicting",
        ),
        (b"HTTP/1.1 200 OK\r\n\r\nabc", "closing the connection"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "Transfer-Encoding",
        ),
        (b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "invalid header name"),
        (
            b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            "invalid header name",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "bad chunk size",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n",
            "bad chunk size",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
            "longer than its size",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n",
            "invalid header name",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab",
            "bytes after the response",
        ),
    ] {
        let text = String::from_utf8_lossy(wire);
        match feed(wire, 1 << 16).await {
            Err(e @ (Error::Protocol(_) | Error::Parse(_))) => {
                assert!(e.to_string().contains(want), "{text:?}: {e}")
            }
            other => panic!("{text:?} gave {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_endless_head_is_refused() {
    let mut wire = b"HTTP/1.1 200 OK\r\nX-Filler: ".to_vec();
    wire.resize(MAX_HEAD + 1, b'x');
    match feed(&wire, 1 << 16).await {
        Err(e @ Error::Protocol(_)) => assert!(e.to_string().contains("too long"), "{e}"),
        other => panic!("gave {other:?}"),
    }
}

#[tokio::test]
async fn early_end_of_stream_is_an_error() {
    for (wire, want) in [
        (&b""[..], "before answering"),
        (b"HTTP/1.1 200 OK\r\nContent-Len", "middle"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", "middle"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            "middle",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n",
            "middle",
        ),
    ] {
        for cap in [1, 1 << 16] {
            match feed(wire, cap).await {
                Err(e @ Error::Closed(_)) => assert!(e.to_string().contains(want), "{e}"),
                other => panic!("{wire:?} gave {other:?}"),
            }
        }
    }
}

#[test]
fn requests_are_rendered_whole() {
    let mut c = Client::new(
        "127.0.0.1:9",
        Some("Basic YTpi"),
        b"value=ab",
        Duration::from_secs(1),
    );
    c.render(Method::Get, "/v2/keys/b/k1?quorum=true");
    assert_eq!(
        String::from_utf8_lossy(&c.req),
        "GET /v2/keys/b/k1?quorum=true HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\
         Authorization: Basic YTpi\r\n\r\n"
    );
    c.render(Method::Put, "/v2/keys/b/k22");
    assert_eq!(
        String::from_utf8_lossy(&c.req),
        "PUT /v2/keys/b/k22 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\
         Authorization: Basic YTpi\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 8\r\n\r\n\
         value=ab"
    );
    let mut c = Client::new("[::1]:2379", None, b"", Duration::from_secs(1));
    c.render(Method::Get, "/v2/keys/");
    assert_eq!(c.req, b"GET /v2/keys/ HTTP/1.1\r\nHost: [::1]:2379\r\n\r\n");
}

/// A pipe end that records every write call made on it.
struct Recorder {
    io: DuplexStream,
    writes: Vec<Vec<u8>>,
}

impl AsyncRead for Recorder {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut IoReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.writes.push(buf[..n].to_vec());
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn a_request_is_one_write() {
    let mut c = Client::new("h:1", None, b"value=0123456789", Duration::from_secs(1));
    c.render(Method::Put, "/v2/keys/p/k5");
    let (io, mut server) = duplex(1 << 16);
    let mut rec = Recorder { io, writes: vec![] };
    server
        .write_all(&with_length("HTTP/1.1 201 Created\r\n", b"{}"))
        .await
        .unwrap();
    let r = round_trip(&mut rec, &c.req, &mut ReadBuf::new()).await;
    assert_eq!(r.unwrap(), ok(201, false));
    assert_eq!(rec.writes, vec![c.req.clone()]);
    let mut got = vec![0; c.req.len()];
    server.read_exact(&mut got).await.unwrap();
    assert!(got.ends_with(b"\r\n\r\nvalue=0123456789"));
}

/// Reads one request with a single `read` call: the client sends each
/// request with one write, so it arrives whole on loopback.
async fn one_read(s: &mut TcpStream) -> String {
    let mut buf = vec![0; 4096];
    let n = s.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    (l, addr)
}

#[tokio::test]
async fn two_requests_share_one_connection() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let first = one_read(&mut s).await;
        s.write_all(&with_length("HTTP/1.1 200 OK\r\n", b"{\"a\":1}"))
            .await
            .unwrap();
        let second = one_read(&mut s).await;
        s.write_all(&chunked_response()).await.unwrap();
        assert_eq!(one_read(&mut s).await, "", "the client should close");
        (first, second)
    });
    let mut c = Client::new(
        &addr,
        Some("Basic cTp3"),
        b"value=xyz",
        Duration::from_secs(5),
    );
    assert_eq!(
        c.request(Method::Get, "/v2/keys/bench/k1").await.unwrap(),
        200
    );
    assert_eq!(
        c.request(Method::Put, "/v2/keys/bench/k2").await.unwrap(),
        201
    );
    drop(c);
    let (first, second) = server.await.unwrap();
    assert_eq!(
        first,
        format!(
            "GET /v2/keys/bench/k1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic cTp3\r\n\r\n"
        )
    );
    assert_eq!(
        second,
        format!(
            "PUT /v2/keys/bench/k2 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic cTp3\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\n\
             value=xyz"
        )
    );
}

#[tokio::test]
async fn closed_connections_are_reopened_on_the_next_request() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        // 1: answers, but with Connection: close, and closes.
        let (mut s, _) = l.accept().await.unwrap();
        one_read(&mut s).await;
        let close = with_length("HTTP/1.1 200 OK\r\nConnection: close\r\n", b"");
        s.write_all(&close).await.unwrap();
        drop(s);
        // 2: closes without answering.
        let (mut s, _) = l.accept().await.unwrap();
        one_read(&mut s).await;
        drop(s);
        // 3: answers twice.
        let (mut s, _) = l.accept().await.unwrap();
        for _ in 0..2 {
            one_read(&mut s).await;
            s.write_all(&with_length("HTTP/1.1 500 Oops\r\n", b"x"))
                .await
                .unwrap();
        }
    });
    let mut c = Client::new(&addr, None, b"value=", Duration::from_secs(5));
    assert_eq!(c.request(Method::Get, "/a").await.unwrap(), 200);
    assert!(c.conn.is_none(), "a connection the server ends is dropped");
    let r = c.request(Method::Get, "/b").await;
    assert!(matches!(r, Err(Error::Closed("before answering"))), "{r:?}");
    assert_eq!(c.request(Method::Put, "/c").await.unwrap(), 500);
    assert_eq!(c.request(Method::Get, "/d").await.unwrap(), 500);
    server.await.unwrap();
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_errors() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        one_read(&mut s).await;
        // Never answers; keeps the connection open until the client leaves.
        one_read(&mut s).await
    });
    let mut c = Client::new(&addr, None, b"", Duration::from_millis(100));
    let t0 = Instant::now();
    let r = c.request(Method::Get, "/slow").await;
    assert!(matches!(r, Err(Error::Timeout(_))), "{r:?}");
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert!(c.conn.is_none(), "a timed-out connection is dropped");
    assert_eq!(server.await.unwrap(), "");

    // The listener is gone now: connecting is refused.
    let r = c.request(Method::Get, "/gone").await;
    assert!(matches!(r, Err(Error::Connect(_))), "{r:?}");
}
