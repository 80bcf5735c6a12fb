//! The first request line of a connection to a plain (`http://`) client
//! listener, checked as the reference checks it before its HTTP server sees
//! the connection: the reference's listener hands a connection on only when
//! its first 4096 bytes hold a whole first line of the form
//! `<method> <target> HTTP/1.<digit>`, and closes any other without an
//! answer (spec keys-api.md §11 for the long line). Only the first request
//! of a connection is checked; later ones on the same connection, and
//! every request on a TLS listener, go straight to the HTTP server, as
//! there.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most bytes the first line may take, its line ending included.
pub const MAX_FIRST_LINE: usize = 4096;

/// What the bytes read so far say of the connection.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// An HTTP/1 request line: the connection goes on.
    Http1,
    /// Anything else: the connection is closed.
    Refused,
    /// No whole line yet.
    Undecided,
}

/// The verdict on the first bytes of a connection.
fn verdict(bytes: &[u8]) -> Verdict {
    let window = &bytes[..bytes.len().min(MAX_FIRST_LINE)];
    let Some(end) = window.iter().position(|&b| b == b'\n') else {
        return if bytes.len() >= MAX_FIRST_LINE {
            Verdict::Refused
        } else {
            Verdict::Undecided
        };
    };
    let line = &window[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if is_http1_request_line(line) {
        Verdict::Http1
    } else {
        Verdict::Refused
    }
}

/// `<method> <target> <version>` split at the first two spaces, with the
/// version `HTTP/1.` and one digit.
fn is_http1_request_line(line: &[u8]) -> bool {
    let Some(first) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    let rest = &line[first + 1..];
    let Some(second) = rest.iter().position(|&b| b == b' ') else {
        return false;
    };
    match &rest[second + 1..] {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] => minor.is_ascii_digit(),
        _ => false,
    }
}

/// A connection whose first request line is checked as it is read.
#[derive(Debug)]
pub struct FirstLine<S> {
    inner: S,
    /// The bytes of an unfinished first line; `None` once it passed (or
    /// when nothing is to be checked).
    pending: Option<Vec<u8>>,
}

impl<S> FirstLine<S> {
    /// `inner`, its first line checked when `check` holds.
    pub fn new(inner: S, check: bool) -> FirstLine<S> {
        FirstLine {
            inner,
            pending: check.then(Vec::new),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FirstLine<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let Some(pending) = &mut this.pending else {
            return Poll::Ready(Ok(()));
        };
        let new = &buf.filled()[before..];
        if new.is_empty() {
            // The end of the stream: the HTTP server sees it as it is.
            return Poll::Ready(Ok(()));
        }
        // The line is gathered up to the bytes that count, whether it comes
        // in one read (the rule) or in pieces.
        let room = MAX_FIRST_LINE - pending.len();
        pending.extend_from_slice(&new[..new.len().min(room)]);
        match verdict(pending) {
            Verdict::Http1 => this.pending = None,
            Verdict::Undecided => {}
            Verdict::Refused => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the connection does not start with an HTTP/1 request line",
                )));
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FirstLine<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn request_lines_are_judged_as_the_reference_judges_them() {
        use Verdict::*;
        // The refused ones each closed the reference's connection (etcd 3.4.23).
        for (bytes, judged) in [
            (&b"GET /version HTTP/1.1\r\n"[..], Http1),
            (b"GET /version HTTP/1.0\n", Http1),
            (b"GET /version HTTP/1.9\r\n", Http1),
            (b"get /x HTTP/1.1\r\n", Http1),
            (b"  HTTP/1.1\r\n", Http1),
            (b"PUT /v2/keys/a?value=1 HTTP/1.1\r\nHost: x\r\n", Http1),
            (b"GARBAGE\r\n", Refused),
            (b"GET /version HTTP/2.0\r\n", Refused),
            (b"GET /version x HTTP/1.1\r\n", Refused),
            (b"GET /version HTTP/1.10\r\n", Refused),
            (b"GET /version HTTP/1.x\r\n", Refused),
            (b"GET /version HTTP/01.1\r\n", Refused),
            (b"GET /version HTTP/1.1 \r\n", Refused),
            (b"GET /version http/1.1\r\n", Refused),
            (b"GET /version HTTP/0.9\r\n", Refused),
            (b"GET /version HTTP/1.1\r\r\n", Refused),
            (b"GET /version HTTP/1.1\rHost: a\r\n", Refused),
            (b"GET /version HTT", Undecided),
        ] {
            let text = String::from_utf8_lossy(bytes);
            assert_eq!(verdict(bytes), judged, "{text:?}");
        }
    }

    #[test]
    fn the_line_and_its_ending_must_fit_in_4096_bytes() {
        let line = |len: usize| {
            // "GET /" + padding + " HTTP/1.1\r\n" is `len` bytes long.
            let pad = "a".repeat(len - "GET / HTTP/1.1\r\n".len());
            format!("GET /{pad} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
        };
        assert_eq!(verdict(&line(4096)), Verdict::Http1);
        assert_eq!(verdict(&line(4097)), Verdict::Refused);
        assert_eq!(verdict(&line(4097)[..4095]), Verdict::Undecided);
        assert_eq!(verdict(&line(4097)[..4096]), Verdict::Refused);
    }

    /// Reads everything `sent` in pieces of `step` bytes through a checked
    /// connection: the bytes, or the error that ends the reading.
    async fn read_through(sent: &[u8], step: usize, check: bool) -> io::Result<Vec<u8>> {
        let (mut client, server) = tokio::io::duplex(64);
        let sent = sent.to_vec();
        let writer = tokio::spawn(async move {
            for piece in sent.chunks(step) {
                if client.write_all(piece).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        });
        let mut conn = FirstLine::new(server, check);
        let mut got = Vec::new();
        let mut buf = [0u8; 7];
        let result = loop {
            match conn.read(&mut buf).await {
                Ok(0) => break Ok(got),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e),
            }
            if got.len() >= 1 << 16 {
                break Ok(got);
            }
        };
        writer.abort();
        result
    }

    #[tokio::test]
    async fn a_good_first_line_passes_whole_even_when_it_comes_in_pieces() {
        let request = b"GET /v2/keys/a HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n";
        for step in [1, 3, 64] {
            let got = read_through(request, step, true).await.unwrap();
            assert_eq!(got, request, "step {step}");
        }
    }

    #[tokio::test]
    async fn a_bad_first_line_ends_the_reading_with_an_error() {
        for step in [1, 3, 64] {
            let e = read_through(b"GET /x HTTP/2.0\r\nHost: x\r\n\r\n", step, true)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "step {step}");
        }
        // A first line that never ends within 4096 bytes.
        let long = vec![b'a'; 5000];
        assert!(read_through(&long, 100, true).await.is_err());
        // Unchecked (a TLS or peer listener), anything passes.
        let got = read_through(b"GARBAGE\r\n", 4, false).await.unwrap();
        assert_eq!(got, b"GARBAGE\r\n");
    }
}
