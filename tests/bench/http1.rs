//! A minimal HTTP/1.1 keep-alive client for plain `http://` targets.
//!
//! The measured loop spends as little CPU as possible in the tool itself:
//! one TCP connection per task (opened lazily, `TCP_NODELAY`), requests
//! rendered into a reused buffer from pre-rendered pieces and sent with a
//! single write, and responses parsed just enough to find their status and
//! where they end. Bodies (`Content-Length` or chunked) are read completely
//! and discarded so the connection can carry the next request. Any failure
//! drops the connection; the next request opens a new one.

use std::fmt;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Initial size of the read buffer; enough for a typical etcd answer.
const READ_BUF: usize = 8 * 1024;
/// Largest response head, chunk-size line or trailer line accepted.
const MAX_LINE: usize = 64 * 1024;

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
    /// A complete response with this status, but `Connection: close`.
    ConnectionClose(u16),
    Timeout(Duration),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect(e) => write!(f, "connect: {e}"),
            Error::Io(what, e) => write!(f, "{what}: {e}"),
            Error::Closed(what) => write!(f, "server closed the connection {what}"),
            Error::Protocol(what) => write!(f, "malformed response: {what}"),
            Error::ConnectionClose(s) => write!(
                f,
                "server ended the keep-alive connection (Connection: close) after HTTP {s}"
            ),
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
    /// (re)connecting, sending and reading.
    pub async fn request(&mut self, method: Method, target: &str) -> Result<u16, Error> {
        self.render(method, target);
        let outcome = match tokio::time::timeout(self.timeout, self.exchange()).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout(self.timeout)),
        };
        match outcome {
            Ok(r) if !r.close => Ok(r.status),
            Ok(r) => {
                self.conn = None;
                Err(Error::ConnectionClose(r.status))
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
            if self.data.len() >= MAX_LINE {
                return Err(Error::Protocol("head or line too long"));
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

    /// Consumes the next CRLF-terminated line; returns its range in `data`
    /// (without the CRLF), valid until the next `fill`.
    async fn line<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
    ) -> Result<std::ops::Range<usize>, Error> {
        let mut scanned = 0;
        loop {
            if let Some(i) = find(&self.pending()[scanned..], b"\r\n") {
                let line = self.start..self.start + scanned + i;
                self.start = line.end + 2;
                return Ok(line);
            }
            scanned = (self.end - self.start).saturating_sub(1);
            self.fill(io, MID_RESPONSE).await?;
        }
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

/// Position of the first `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one whole response from `io` (through `buf`) and discards its
/// body. Bytes after it are an error: requests are never pipelined.
async fn read_response<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut ReadBuf,
) -> Result<Response, Error> {
    let mut scanned = 0;
    let head_len = loop {
        if let Some(i) = find(&buf.pending()[scanned..], b"\r\n\r\n") {
            break scanned + i;
        }
        scanned = (buf.end - buf.start).saturating_sub(3);
        let eof = match buf.start == buf.end {
            true => "before answering",
            false => MID_RESPONSE,
        };
        buf.fill(io, eof).await?;
    };
    let head = parse_head(&buf.pending()[..head_len + 2])?;
    buf.start += head_len + 4;
    match head.body {
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
        let line = buf.line(io).await?;
        let size = chunk_size(&buf.data[line])?;
        if size == 0 {
            break;
        }
        buf.skip(io, size).await?;
        if !buf.line(io).await?.is_empty() {
            return Err(Error::Protocol("chunk data longer than its size"));
        }
    }
    // Trailer fields, up to the blank line.
    while !buf.line(io).await?.is_empty() {}
    Ok(())
}

/// The size of a chunk-size line: hex digits, then optional whitespace and
/// `;extensions`, which are ignored.
fn chunk_size(line: &[u8]) -> Result<u64, Error> {
    let bad = Error::Protocol("bad chunk size");
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let rest = line[digits..].trim_ascii_start();
    if !rest.is_empty() && rest[0] != b';' {
        return Err(bad);
    }
    // Empty or overflowing sizes are refused by `from_str_radix`.
    std::str::from_utf8(&line[..digits])
        .ok()
        .and_then(|d| u64::from_str_radix(d, 16).ok())
        .ok_or(bad)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Length(u64),
    Chunked,
}

#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    body: Body,
    close: bool,
}

/// Parses a response head: the status line and the fields, each ending
/// with CRLF (the blank line after them excluded). Field names are matched
/// case-insensitively.
fn parse_head(head: &[u8]) -> Result<Head, Error> {
    let mut lines = Lines(head);
    let (minor, status) = lines
        .next()
        .and_then(parse_status_line)
        .ok_or(Error::Protocol("bad status line"))?;
    let (mut length, mut chunked, mut close, mut keep_alive) = (None, false, false, false);
    for line in lines {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(Error::Protocol("header line without a colon"))?;
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(Error::Protocol("bad header line"));
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = parse_length(value).ok_or(Error::Protocol("bad Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(Error::Protocol("conflicting Content-Length"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // Only chunked (last, as it must be) is understood.
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
            if !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return Err(Error::Protocol("unsupported Transfer-Encoding"));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',').map(|t| t.trim_ascii()) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let body = if status < 200 {
        // No Expect header is sent, so no interim response may come.
        return Err(Error::Protocol("unexpected 1xx response"));
    } else if status == 204 || status == 304 {
        Body::None
    } else if chunked {
        Body::Chunked
    } else if let Some(n) = length {
        Body::Length(n)
    } else {
        return Err(Error::Protocol("body delimited by closing the connection"));
    };
    Ok(Head {
        status,
        body,
        // HTTP/1.0 closes unless asked to keep the connection.
        close: close || (minor == 0 && !keep_alive),
    })
}

/// The CRLF-terminated lines of a head. A bare CR or LF, or a last line
/// without CRLF, yields a lone `\r` (which no line parser accepts) and
/// ends the iteration.
struct Lines<'a>(&'a [u8]);

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let end = self.0.iter().position(|&b| b == b'\r' || b == b'\n');
        match end {
            Some(i) if self.0[i..].starts_with(b"\r\n") => {
                let line = &self.0[..i];
                self.0 = &self.0[i + 2..];
                Some(line)
            }
            // A bare CR or LF: hand back something no parser accepts.
            _ => {
                self.0 = &[];
                Some(b"\r")
            }
        }
    }
}

/// `HTTP/1.<minor> <3 digits>[ <reason>]` -> (minor, status).
fn parse_status_line(line: &[u8]) -> Option<(u8, u16)> {
    let rest = line.strip_prefix(b"HTTP/1.")?;
    let (&minor, rest) = rest.split_first()?;
    let rest = rest.strip_prefix(b" ")?;
    if !minor.is_ascii_digit() || rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if rest.len() > 3 && rest[3] != b' ' {
        return None;
    }
    let status = rest[..3]
        .iter()
        .fold(0u16, |s, &d| s * 10 + u16::from(d - b'0'));
    (100..600)
        .contains(&status)
        .then_some((minor - b'0', status))
}

/// Decimal digits only (`parse` alone would also take a leading `+`).
fn parse_length(v: &[u8]) -> Option<u64> {
    if !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Characters allowed in a header field name.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests;
