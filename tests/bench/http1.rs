//! A minimal HTTP/1.1 keep-alive client for plain `http://` targets.
//!
//! The measured loop spends as little CPU as possible in the tool itself:
//! one TCP connection per task (opened lazily, `TCP_NODELAY`), requests
//! rendered into a reused buffer from pre-rendered pieces and sent with a
//! single write, and responses parsed (with `httparse`) just enough to find
//! their status and where they end. Bodies (`Content-Length` or chunked) are
//! read completely and discarded so the connection can carry the next
//! request. Any failure, or a server that ends the connection, drops it; the
//! next request opens a new one.

use std::fmt;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Initial size of the read buffer; enough for a typical etcd answer.
const READ_BUF: usize = 8 * 1024;
/// Largest response head, chunk-size line or trailer section accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most fields in a response head or trailer.
const MAX_FIELDS: usize = 64;

/// Why a request did not produce a usable response. Failures are rare, so
/// nothing here allocates beyond the OS error.
#[derive(Debug)]
pub enum Error {
    Connect(io::Error),
    /// A read or write failed (`what` says which).
    Io(&'static str, io::Error),
    /// The server closed the connection early (the text says where).
    Closed(&'static str),
    Protocol(&'static str),
    /// The head or trailer does not parse.
    Parse(httparse::Error),
    Timeout(Duration),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect(e) => write!(f, "connect: {e}"),
            Error::Io(what, e) => write!(f, "{what}: {e}"),
            Error::Closed(what) => write!(f, "server closed the connection {what}"),
            Error::Protocol(what) => write!(f, "malformed response: {what}"),
            Error::Parse(e) => write!(f, "malformed response: {e}"),
            Error::Timeout(d) => write!(f, "no complete response within {d:?}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
}

/// One keep-alive connection to `authority` and the pre-rendered parts of
/// every request sent on it.
#[derive(Debug)]
pub struct Client {
    /// `host:port`, used to connect and as the `Host` header.
    authority: String,
    /// ` HTTP/1.1`, `Host`, optional `Authorization` and the blank line.
    get_tail: Vec<u8>,
    /// As `get_tail` plus the form headers and the body itself.
    put_tail: Vec<u8>,
    timeout: Duration,
    /// The request being sent; reused.
    req: Vec<u8>,
    conn: Option<TcpStream>,
    rbuf: ReadBuf,
}

impl Client {
    /// Nothing is connected until the first request. `authorization` is
    /// sent as is with every request; `put_body` is the form body of PUTs.
    pub fn new(
        authority: &str,
        authorization: Option<&str>,
        put_body: &[u8],
        timeout: Duration,
    ) -> Client {
        let mut common = format!(" HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(a) = authorization {
            common.push_str("Authorization: ");
            common.push_str(a);
            common.push_str("\r\n");
        }
        let get_tail = format!("{common}\r\n").into_bytes();
        let mut put_tail = format!(
            "{common}Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n",
            put_body.len()
        )
        .into_bytes();
        put_tail.extend_from_slice(put_body);
        Client {
            authority: authority.to_owned(),
            req: Vec::with_capacity(put_tail.len() + 128),
            get_tail,
            put_tail,
            timeout,
            conn: None,
            rbuf: ReadBuf::new(),
        }
    }

    /// Sends `method target` (target: path and query, no spaces) and reads
    /// the whole response; returns its status. The timeout covers
    /// (re)connecting, sending and reading. A response that ends the
    /// connection (`Connection: close`, HTTP/1.0) still counts; the next
    /// request reconnects.
    pub async fn request(&mut self, method: Method, target: &str) -> Result<u16, Error> {
        self.render(method, target);
        let outcome = match tokio::time::timeout(self.timeout, self.exchange()).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout(self.timeout)),
        };
        match outcome {
            Ok(r) => {
                if r.close {
                    self.conn = None;
                }
                Ok(r.status)
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    fn render(&mut self, method: Method, target: &str) {
        debug_assert!(!target.bytes().any(|b| b <= b' '), "{target:?}");
        self.req.clear();
        let tail = match method {
            Method::Get => {
                self.req.extend_from_slice(b"GET ");
                &self.get_tail
            }
            Method::Put => {
                self.req.extend_from_slice(b"PUT ");
                &self.put_tail
            }
        };
        self.req.extend_from_slice(target.as_bytes());
        self.req.extend_from_slice(tail);
    }

    async fn exchange(&mut self) -> Result<Response, Error> {
        let stream = match &mut self.conn {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(self.authority.as_str())
                    .await
                    .map_err(Error::Connect)?;
                s.set_nodelay(true).map_err(Error::Connect)?;
                self.rbuf.clear();
                self.conn.insert(s)
            }
        };
        round_trip(stream, &self.req, &mut self.rbuf).await
    }
}

/// Sends `req` and reads the response to it.
async fn round_trip<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    req: &[u8],
    buf: &mut ReadBuf,
) -> Result<Response, Error> {
    // Head and body in one buffer, hence one write: some servers reset
    // the connection when a body arrives after they answered the head.
    io.write_all(req).await.map_err(|e| Error::Io("write", e))?;
    read_response(io, buf).await
}

/// What the caller learns of a response: its body has been consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Response {
    status: u16,
    /// The server will not read another request on this connection.
    close: bool,
}

/// Bytes received but not yet parsed: `data[start..end]`.
#[derive(Debug)]
struct ReadBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    fn new() -> ReadBuf {
        ReadBuf {
            data: vec![0; READ_BUF],
            start: 0,
            end: 0,
        }
    }

    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    fn pending(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Reads at least one more byte, keeping the pending ones (moved to the
    /// front). At end of stream: `Closed(eof)`.
    async fn fill<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        eof: &'static str,
    ) -> Result<(), Error> {
        if self.start == self.end {
            self.clear();
        } else if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.data.len() {
            if self.data.len() >= MAX_HEAD {
                return Err(Error::Protocol("head or chunk line too long"));
            }
            self.data.resize(self.data.len() * 2, 0);
        }
        match io.read(&mut self.data[self.end..]).await {
            Ok(0) => Err(Error::Closed(eof)),
            Ok(n) => {
                self.end += n;
                Ok(())
            }
            Err(e) => Err(Error::Io("read", e)),
        }
    }

    /// Consumes the CRLF that ends a chunk's data.
    async fn crlf<R: AsyncRead + Unpin>(&mut self, io: &mut R) -> Result<(), Error> {
        while self.end - self.start < 2 {
            self.fill(io, MID_RESPONSE).await?;
        }
        if self.pending()[..2] != *b"\r\n" {
            return Err(Error::Protocol("chunk data longer than its size"));
        }
        self.start += 2;
        Ok(())
    }

    /// Consumes and discards `n` bytes.
    async fn skip<R: AsyncRead + Unpin>(&mut self, io: &mut R, mut n: u64) -> Result<(), Error> {
        loop {
            let take = n.min((self.end - self.start) as u64);
            self.start += take as usize;
            n -= take;
            if n == 0 {
                return Ok(());
            }
            self.fill(io, MID_RESPONSE).await?;
        }
    }
}

const MID_RESPONSE: &str = "in the middle of a response";

/// Reads one whole response from `io` (through `buf`) and discards its
/// body; interim (1xx) responses before it are skipped. Bytes after it are
/// an error: requests are never pipelined.
async fn read_response<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut ReadBuf,
) -> Result<Response, Error> {
    let (head, body) = loop {
        let parsed = {
            let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
            let mut resp = httparse::Response::new(&mut fields);
            match resp.parse(buf.pending()).map_err(Error::Parse)? {
                httparse::Status::Complete(len) => Some((head_of(&resp)?, len)),
                httparse::Status::Partial => None,
            }
        };
        match parsed {
            Some((head, len)) => {
                buf.start += len;
                match head.body {
                    Some(body) => break (head, body),
                    None if head.status == 101 => {
                        return Err(Error::Protocol("unexpected protocol switch"))
                    }
                    // An interim response: the final one follows.
                    None => {}
                }
            }
            None => {
                let eof = if buf.start == buf.end {
                    "before answering"
                } else {
                    MID_RESPONSE
                };
                buf.fill(io, eof).await?;
            }
        }
    };
    match body {
        Body::None => {}
        Body::Length(n) => buf.skip(io, n).await?,
        Body::Chunked => skip_chunked(io, buf).await?,
    }
    if buf.start != buf.end {
        return Err(Error::Protocol("unexpected bytes after the response"));
    }
    Ok(Response {
        status: head.status,
        close: head.close,
    })
}

/// Discards a chunked body, chunk extensions and trailer fields included.
async fn skip_chunked<R: AsyncRead + Unpin>(io: &mut R, buf: &mut ReadBuf) -> Result<(), Error> {
    loop {
        match httparse::parse_chunk_size(buf.pending()) {
            Ok(httparse::Status::Complete((len, 0))) => {
                buf.start += len;
                break;
            }
            Ok(httparse::Status::Complete((len, size))) => {
                buf.start += len;
                buf.skip(io, size).await?;
                buf.crlf(io).await?;
            }
            Ok(httparse::Status::Partial) => buf.fill(io, MID_RESPONSE).await?,
            Err(httparse::InvalidChunkSize) => return Err(Error::Protocol("bad chunk size")),
        }
    }
    // Trailer fields, up to the blank line.
    loop {
        let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
        let len = match httparse::parse_headers(buf.pending(), &mut fields) {
            Ok(httparse::Status::Complete((len, _))) => len,
            Ok(httparse::Status::Partial) => {
                buf.fill(io, MID_RESPONSE).await?;
                continue;
            }
            Err(e) => return Err(Error::Parse(e)),
        };
        buf.start += len;
        return Ok(());
    }
}

#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    Length(u64),
    Chunked,
}

/// What a response head says: its status, how its body ends (`None` for an
/// interim 1xx response, which has none) and whether the server closes.
#[derive(Debug)]
struct Head {
    status: u16,
    body: Option<Body>,
    close: bool,
}

/// The parts of a parsed head this client acts on.
fn head_of(resp: &httparse::Response<'_, '_>) -> Result<Head, Error> {
    let status = resp.code.expect("a complete head has a status");
    if !(100..600).contains(&status) {
        return Err(Error::Protocol("status code out of range"));
    }
    let (mut length, mut chunked, mut close, mut keep_alive) = (None, false, false, false);
    for field in resp.headers.iter() {
        let (name, value) = (field.name, field.value.trim_ascii());
        if name.eq_ignore_ascii_case("content-length") {
            let n = parse_length(value).ok_or(Error::Protocol("bad Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(Error::Protocol("conflicting Content-Length"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only chunked (last, as it must be) is understood.
            let last = value.rsplit(|&b| b == b',').next().expect("rsplit yields");
            if !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return Err(Error::Protocol("unsupported Transfer-Encoding"));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(|&b| b == b',').map(|t| t.trim_ascii()) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let body = if status < 200 {
        None
    } else if status == 204 || status == 304 {
        Some(Body::None)
    } else if chunked {
        Some(Body::Chunked)
    } else if let Some(n) = length {
        Some(Body::Length(n))
    } else {
        return Err(Error::Protocol("body delimited by closing the connection"));
    };
    Ok(Head {
        status,
        body,
        // HTTP/1.0 closes unless asked to keep the connection.
        close: close || (resp.version == Some(0) && !keep_alive),
    })
}

/// Decimal digits only (`parse` alone would also take a leading `+`).
fn parse_length(v: &[u8]) -> Option<u64> {
    if !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

#[cfg(test)]
mod tests;
