//! A raw HTTP/1.1 client for the black-box tests: one-shot requests
//! ([`raw`], [`form`]) and a keep-alive connection ([`Conn`]) that write
//! exactly the bytes asked for and return the answer as sent, plus reading
//! one sample out of a `/metrics` text.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A raw HTTP/1.1 answer.
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    /// Header lines as sent (`Name: value`), in order.
    pub headers: Vec<String>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The value of the sample `series` (a metric name with its labels, as
/// written) in the `/metrics` text `text`.
pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// One request's bytes, head and body together: sent in one write, as the
/// reference answers a redirect from the head alone and resets the
/// connection when the body arrives afterwards (65 of 1500 tries here;
/// never our server), which would lose its answer. A PUT or POST always
/// states its length, even 0.
fn encode(
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "PUT" || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends one request with `Connection: close` and reads the whole answer
/// (chunked bodies decoded).
pub fn raw(addr: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Raw {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let close = [("Connection", "close")];
    let bytes = encode(method, target, addr, &[&close[..], headers].concat(), body);
    s.write_all(&bytes).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)
        .unwrap_or_else(|e| panic!("{method} {target} on {addr}: read answer: {e}"));
    parse_raw(&buf, method == "HEAD")
}

/// A form PUT/POST (`application/x-www-form-urlencoded`).
pub fn form(addr: &str, method: &str, target: &str, body: &str) -> Raw {
    raw(
        addr,
        method,
        target,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
}

fn parse_raw(buf: &[u8], head: bool) -> Raw {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head_text = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<String> = lines.map(str::to_owned).collect();
    let rest = &buf[split + 4..];
    let chunked = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if head {
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Raw {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap_or(0);
        rest = &rest[eol + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[(size + 2).min(rest.len())..];
    }
    out
}

/// A keep-alive HTTP/1.1 client connection that reports failures (refused,
/// reset, closed mid-answer) as errors instead of panicking; reconnects on
/// the next request after a failure.
#[derive(Debug)]
pub struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    pub fn new(addr: &str) -> Conn {
        Conn {
            addr: addr.to_owned(),
            stream: None,
        }
    }

    /// A form PUT/POST (`application/x-www-form-urlencoded`).
    pub fn form(&mut self, method: &str, target: &str, body: &str) -> std::io::Result<Raw> {
        self.request(
            method,
            target,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    }

    /// Sends one request on the kept-alive connection and reads its answer.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Raw> {
        let request = encode(method, target, &self.addr, headers, body);
        let answer = self.exchange(&request, method == "HEAD");
        let keep = answer.as_ref().is_ok_and(|r| {
            !r.header("Connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        });
        if !keep {
            self.stream = None;
        }
        answer
    }

    /// Sends the encoded `request` (connecting first if need be) and reads
    /// its answer, which has no body when `head`.
    fn exchange(&mut self, request: &[u8], head: bool) -> std::io::Result<Raw> {
        use std::io::{Error, ErrorKind};
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            s.set_nodelay(true)?;
            self.stream = Some(BufReader::new(s));
        }
        let r = self.stream.as_mut().expect("connected");
        r.get_mut().write_all(request)?;

        let eof = || Error::new(ErrorKind::UnexpectedEof, "connection closed mid-answer");
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(eof());
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::new(ErrorKind::InvalidData, format!("status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                return Err(eof());
            }
            let h = line.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            headers.push(h.to_owned());
        }
        let mut answer = Raw {
            status,
            headers,
            body: Vec::new(),
        };
        if head || status == 204 || status == 304 {
            return Ok(answer);
        }
        let chunked = answer
            .header("Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        if chunked {
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 {
                    return Err(eof());
                }
                let size_text = line.trim().split(';').next().unwrap_or_default();
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|e| Error::new(ErrorKind::InvalidData, e))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        line.clear();
                        if r.read_line(&mut line)? == 0 || line.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let start = answer.body.len();
                answer.body.resize(start + size, 0);
                r.read_exact(&mut answer.body[start..])?;
                let mut crlf = [0; 2];
                r.read_exact(&mut crlf)?;
            }
        } else if let Some(len) = answer.header("Content-Length") {
            let len: usize = len
                .parse()
                .map_err(|e| Error::new(ErrorKind::InvalidData, format!("{e}")))?;
            answer.body.resize(len, 0);
            r.read_exact(&mut answer.body)?;
        } else {
            r.read_to_end(&mut answer.body)?;
            self.stream = None;
        }
        Ok(answer)
    }
}
