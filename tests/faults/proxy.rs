//! The fault proxy: one listener per member stands in front of the member's
//! real peer port (the member advertises the proxy's URL, so every peer
//! connection to it goes through the proxy). The sending member of a
//! connection is told by the `X-Server-From` header of the first request on
//! it (our members send one on every peer request), so the proxy can cut,
//! blackhole or slow down traffic per (from, to) pair.
//!
//! - A cut link in [`Cut::Reset`] mode closes its connections at once (and
//!   new ones right after accepting them).
//! - A cut link in [`Cut::Blackhole`] mode holds its connections open and
//!   forwards nothing; data sent meanwhile is dropped, and the connection
//!   is closed when the link heals (so nothing stale arrives late).
//! - A delay applies to every chunk forwarded on any member-to-member link,
//!   in both directions (so a round trip pays it twice).
//!
//! Connections whose first request carries no `X-Server-From` (a starting
//! member asking a peer for the member list) are always forwarded.
//!
//! While the harness has a member marked down (killed), its proxy stops
//! listening, so connecting to it is refused as it would be without a
//! proxy (instead of a connection that is accepted and then closed).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How a cut link behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Connections are closed.
    Reset,
    /// Connections hang: nothing is forwarded, nothing is answered.
    Blackhole,
}

/// The fault table shared by every proxy of a cluster. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Table>>,
}

#[derive(Debug, Default)]
struct Table {
    /// Member id (lowercase hex) → member index.
    ids: HashMap<String, usize>,
    /// Cut (from, to) pairs.
    cut: HashSet<(usize, usize)>,
    mode: Option<Cut>,
    /// Added delay on every link: base and jitter (uniform ±).
    delay: Option<(Duration, Duration)>,
    /// Members whose proxy does not listen.
    down: HashSet<usize>,
}

/// What happens to a chunk on one link now.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LinkState {
    Open(Option<Duration>),
    Cut(Cut),
}

impl Faults {
    /// Tells the proxies which member index a member id belongs to.
    pub fn learn_id(&self, id_hex: &str, index: usize) {
        let mut t = self.lock();
        t.ids.retain(|_, i| *i != index);
        t.ids.insert(normal_id(id_hex), index);
    }

    /// Cuts every link between members of different `groups`, both ways.
    pub fn partition(&self, groups: &[Vec<usize>], mode: Cut) {
        let mut t = self.lock();
        for (a, ga) in groups.iter().enumerate() {
            for (b, gb) in groups.iter().enumerate() {
                if a != b {
                    for &x in ga {
                        for &y in gb {
                            t.cut.insert((x, y));
                        }
                    }
                }
            }
        }
        t.mode = Some(mode);
    }

    /// Adds `base` ± `jitter` to every chunk on every link.
    pub fn delay(&self, base: Duration, jitter: Duration) {
        self.lock().delay = Some((base, jitter));
    }

    /// Marks member `i` down (its proxy refuses connections) or up.
    pub fn set_down(&self, i: usize, down: bool) {
        let mut t = self.lock();
        if down {
            t.down.insert(i);
        } else {
            t.down.remove(&i);
        }
    }

    fn is_down(&self, i: usize) -> bool {
        self.lock().down.contains(&i)
    }

    /// Removes every cut and delay.
    pub fn heal(&self) {
        let mut t = self.lock();
        t.cut.clear();
        t.mode = None;
        t.delay = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state of the link from the member with id `from` (lowercase
    /// hex) to member `to`. The id is resolved on every call: connections
    /// made before the harness learned the ids are cut like any other.
    fn state(&self, from: Option<&str>, to: usize) -> LinkState {
        let t = self.lock();
        let Some(&from) = from.and_then(|id| t.ids.get(id)) else {
            return LinkState::Open(None);
        };
        if t.cut.contains(&(from, to)) {
            return LinkState::Cut(t.mode.unwrap_or(Cut::Reset));
        }
        LinkState::Open(t.delay.map(|(base, jitter)| {
            let j = jitter.as_micros() as i64;
            let shift = if j > 0 { fastrand::i64(-j..=j) } else { 0 };
            let micros = (base.as_micros() as i64 + shift).max(0) as u64;
            Duration::from_micros(micros)
        }))
    }
}

/// How long binding a proxy's address again may keep failing before the
/// proxy says so (and again after each further such period).
const REBIND_REPORT: Duration = Duration::from_secs(5);

/// One member's proxy: accepts on `listener`, forwards to `target`. While
/// the member is marked down the listener is closed, and bound again on the
/// same address once it is up (retried until it works; reported on stderr
/// while it keeps failing).
pub async fn serve(listener: TcpListener, target: SocketAddr, to: usize, faults: Faults) {
    let addr = listener.local_addr().expect("proxy address");
    let mut listener = Some(listener);
    // Since when binding again fails, and when to report it next.
    let mut failing: Option<(Instant, Duration)> = None;
    loop {
        let Some(l) = listener.as_ref() else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if !faults.is_down(to) {
                match TcpListener::bind(addr).await {
                    Ok(l) => {
                        listener = Some(l);
                        failing = None;
                    }
                    Err(e) => {
                        let (since, report) =
                            failing.get_or_insert((Instant::now(), REBIND_REPORT));
                        if since.elapsed() >= *report {
                            eprintln!(
                                "fault proxy of m{to}: cannot listen on {addr} again for {:?}: {e}",
                                since.elapsed()
                            );
                            *report += REBIND_REPORT;
                        }
                    }
                }
            }
            continue;
        };
        tokio::select! {
            accepted = l.accept() => {
                if let Ok((conn, _)) = accepted {
                    let faults = faults.clone();
                    tokio::spawn(async move {
                        let _ = handle(conn, target, to, faults).await;
                    });
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
        if faults.is_down(to) {
            listener = None;
        }
    }
}

/// The largest request head looked at for `X-Server-From`.
const MAX_HEAD: usize = 64 * 1024;

async fn handle(
    mut client: TcpStream,
    target: SocketAddr,
    to: usize,
    faults: Faults,
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let head = read_head(&mut client).await?;
    let from: Option<Arc<str>> = from_header(&head).map(|id| normal_id(&id).into());
    let held = Arc::new(AtomicBool::new(false));
    match faults.state(from.as_deref(), to) {
        LinkState::Cut(Cut::Reset) => return Ok(()),
        LinkState::Cut(Cut::Blackhole) => held.store(true, Ordering::SeqCst),
        LinkState::Open(_) => {}
    }
    let upstream = TcpStream::connect(target).await?;
    upstream.set_nodelay(true)?;
    let (cr, cw) = client.into_split();
    let (ur, uw) = upstream.into_split();
    let up = pump(head, cr, uw, from.clone(), to, faults.clone(), held.clone());
    let down = pump(
        Vec::new(),
        ur,
        cw,
        from.clone(),
        to,
        faults.clone(),
        held.clone(),
    );
    tokio::select! {
        _ = async { tokio::join!(up, down) } => {}
        _ = monitor(from, to, faults, held) => {}
    }
    Ok(())
}

/// Reads until the end of the first request's head (or EOF, or the cap).
async fn read_head(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    while buf.len() < MAX_HEAD && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

/// A member id in one spelling: lowercase hex without leading zeros.
fn normal_id(id_hex: &str) -> String {
    id_hex.trim().trim_start_matches('0').to_ascii_lowercase()
}

/// The `X-Server-From` value of a request head.
pub fn from_header(head: &[u8]) -> Option<String> {
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(head.len());
    let text = String::from_utf8_lossy(&head[..end]);
    text.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("x-server-from")
            .then(|| value.trim().to_owned())
    })
}

/// Copies `first` then everything read from `r` to `w`, as the link allows.
async fn pump(
    first: Vec<u8>,
    mut r: tokio::net::tcp::OwnedReadHalf,
    mut w: tokio::net::tcp::OwnedWriteHalf,
    from: Option<Arc<str>>,
    to: usize,
    faults: Faults,
    held: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending = first;
    loop {
        if !pending.is_empty() {
            let mut state = faults.state(from.as_deref(), to);
            if let LinkState::Open(Some(d)) = state {
                tokio::time::sleep(d).await;
                // The link may have been cut while the chunk waited.
                state = faults.state(from.as_deref(), to);
            }
            match state {
                LinkState::Cut(Cut::Reset) => return,
                LinkState::Cut(Cut::Blackhole) => held.store(true, Ordering::SeqCst),
                LinkState::Open(_) => {
                    if held.load(Ordering::SeqCst) {
                        return;
                    }
                    if w.write_all(&pending).await.is_err() {
                        return;
                    }
                }
            }
        }
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = w.shutdown().await;
                return;
            }
            Ok(n) => pending = buf[..n].to_vec(),
        }
    }
}

/// Resolves when the connection must go: its link was cut in reset mode,
/// or it was held by a blackhole and the link is open again.
async fn monitor(from: Option<Arc<str>>, to: usize, faults: Faults, held: Arc<AtomicBool>) {
    loop {
        match faults.state(from.as_deref(), to) {
            LinkState::Cut(Cut::Reset) => return,
            LinkState::Cut(Cut::Blackhole) => held.store(true, Ordering::SeqCst),
            LinkState::Open(_) if held.load(Ordering::SeqCst) => return,
            LinkState::Open(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_is_read_from_the_first_request_head() {
        let head = b"POST /raft/append HTTP/1.1\r\nhost: x\r\nX-Server-From: 8e9e05c52164694d\r\ncontent-length: 3\r\n\r\nabc";
        assert_eq!(from_header(head).as_deref(), Some("8e9e05c52164694d"));
        assert_eq!(
            from_header(b"GET /members HTTP/1.1\r\nhost: x\r\n\r\n"),
            None
        );
        // A header in the body does not count.
        assert_eq!(
            from_header(b"POST / HTTP/1.1\r\n\r\nx-server-from: 1\r\n"),
            None
        );
    }

    #[test]
    fn partitions_cut_both_ways_between_groups_only() {
        let f = Faults::default();
        for (i, id) in ["a0", "a1", "a2"].iter().enumerate() {
            f.learn_id(id, i);
        }
        f.partition(&[vec![0, 1], vec![2]], Cut::Blackhole);
        assert_eq!(f.state(Some("a0"), 2), LinkState::Cut(Cut::Blackhole));
        assert_eq!(f.state(Some("a2"), 1), LinkState::Cut(Cut::Blackhole));
        assert_eq!(f.state(Some("a0"), 1), LinkState::Open(None));
        assert_eq!(f.state(None, 2), LinkState::Open(None));
        // A connection opened before its sender's id was known is cut once
        // the id is learned.
        assert_eq!(f.state(Some("b7"), 0), LinkState::Open(None));
        f.learn_id("00B7", 2);
        assert_eq!(f.state(Some("b7"), 0), LinkState::Cut(Cut::Blackhole));
        f.heal();
        assert_eq!(f.state(Some("a0"), 2), LinkState::Open(None));
        f.delay(Duration::from_millis(100), Duration::from_millis(10));
        match f.state(Some("a0"), 2) {
            LinkState::Open(Some(d)) => {
                assert!(d >= Duration::from_millis(90) && d <= Duration::from_millis(110))
            }
            other => panic!("{other:?}"),
        }
    }
}
