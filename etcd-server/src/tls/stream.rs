//! The accepting side: a bound listener that may speak TLS, and the
//! connection it hands over (plain, or TLS once the handshake is done).

use super::ServerTls;
use rustls::pki_types::CertificateDer;
use rustls::ServerConfig;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tracing::info;

/// How long a client may take to complete its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound listener of one listen URL; `tls` is set for an `https://` URL.
#[derive(Debug)]
pub struct Listener {
    /// The bound socket.
    pub tcp: TcpListener,
    /// The TLS settings of an `https://` listener.
    pub tls: Option<ServerTls>,
}

impl Listener {
    /// Whether connections speak TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// The next connection, before its TLS handshake (which
    /// [`Accepted::handshake`] does, so that a slow client does not hold up
    /// the accept loop).
    ///
    /// # Errors
    ///
    /// The socket's accept error.
    pub async fn accept(&self) -> io::Result<Accepted> {
        let (tcp, peer) = self.tcp.accept().await?;
        let _ = tcp.set_nodelay(true);
        Ok(Accepted {
            tcp,
            peer,
            tls: self.tls.as_ref().map(|tls| tls.config.clone()),
        })
    }
}

/// An accepted TCP connection.
#[derive(Debug)]
pub struct Accepted {
    tcp: TcpStream,
    peer: SocketAddr,
    tls: Option<Arc<ServerConfig>>,
}

impl Accepted {
    /// The connection ready for HTTP: as it is on a plain listener, after
    /// the TLS handshake on a TLS one. A failed or timed out handshake is
    /// logged (as the reference logs it) and gives `None`.
    pub async fn handshake(self) -> Option<Stream> {
        let Some(config) = self.tls else {
            return Some(Stream::Plain(self.tcp));
        };
        let peer = self.peer;
        let accept = TlsAcceptor::from(config).accept(self.tcp);
        let error = match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
            Ok(Ok(stream)) => return Some(Stream::Tls(Box::new(stream))),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no TLS handshake within {HANDSHAKE_TIMEOUT:?}"),
        };
        info!(target: "embed", "rejected connection from \"{peer}\" (error \"{error}\")");
        None
    }
}

/// A served connection.
#[derive(Debug)]
pub enum Stream {
    /// From an `http://` listener.
    Plain(TcpStream),
    /// From an `https://` listener, after the handshake.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Stream {
    /// The certificates the client sent (leaf first) on a TLS connection
    /// that asked for them.
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        match self {
            Stream::Plain(_) => None,
            Stream::Tls(s) => s.get_ref().1.peer_certificates(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
