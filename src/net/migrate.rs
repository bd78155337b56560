//! MIGRATE's cached connections (Redis's `migrate_cached_sockets`): one blocking TCP connection per `host:port`,
//! reused by later MIGRATE calls to the same target and closed after [`TTL_S`] seconds unused (the cron's
//! [`Sockets::close_idle`]) or on any error. At most [`MAX_ITEMS`] are kept; a new one then replaces a random one.
//!
//! The I/O is synchronous with a timeout per call, as Redis's `connSyncWrite`/`connSyncReadLine`: MIGRATE blocks
//! the server while it talks to the target, which is the command's documented behaviour. In a `tls-cluster` the
//! connection is TLS (rustls's blocking stream over the same socket and timeouts), as Redis's.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Seconds a cached connection may stay unused.
pub const TTL_S: i64 = 10;
/// Cached connections kept at most.
pub const MAX_ITEMS: usize = 64;
/// The longest reply line read back (Redis reads each into a 1 KiB buffer).
const LINE_MAX: usize = 1024;

/// Our side of a TLS connection to a target (the `tls` feature; without it, there is none).
#[cfg(feature = "tls")]
pub type TlsConfig = std::sync::Arc<rustls::ClientConfig>;
#[cfg(not(feature = "tls"))]
pub type TlsConfig = std::convert::Infallible;

/// A connection, plain or TLS.
enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// One cached connection.
pub struct Cached {
    /// None: the connection was refused. Redis's non-blocking connect reports that only when the first write
    /// fails (so MIGRATE answers "error or timeout writing"), and so does this.
    stream: Option<Stream>,
    /// Bytes read past the last line handed out.
    pending: Vec<u8>,
    /// The database last SELECTed on it, -1 when unknown (a new connection, or after an error reply).
    pub last_dbid: i64,
    last_use_s: i64,
}

/// Why a synchronous call failed: the timeout (MIGRATE does not retry then) or any other error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoFail {
    TimedOut,
    Other,
}

impl From<io::Error> for IoFail {
    fn from(e: io::Error) -> IoFail {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => IoFail::TimedOut,
            _ => IoFail::Other,
        }
    }
}

impl Cached {
    /// Writes all of `buf` in chunks of 64 KiB, each within `timeout`. Over TLS the first write also completes
    /// the handshake, whose reads get the same timeout (Redis's blocking connect does the handshake within it): a
    /// target that does not answer is a timeout, not a wait.
    pub fn write_all(&mut self, buf: &[u8], timeout: Duration) -> Result<(), IoFail> {
        let s = self.stream.as_mut().ok_or(IoFail::Other)?;
        s.tcp().set_write_timeout(Some(timeout))?;
        #[cfg(feature = "tls")]
        if matches!(s, Stream::Tls(_)) {
            s.tcp().set_read_timeout(Some(timeout))?;
        }
        for chunk in buf.chunks(64 * 1024) {
            s.write_all(chunk)?;
        }
        // Over TLS the records wait in the session until flushed.
        s.flush()?;
        Ok(())
    }

    /// Reads one reply line (without its CRLF), waiting at most `timeout` for each read; a line longer than
    /// 1 KiB is cut there, as Redis's fixed buffer cuts it (the rest is read as the next line).
    pub fn read_line(&mut self, timeout: Duration) -> Result<Vec<u8>, IoFail> {
        let s = self.stream.as_mut().ok_or(IoFail::Other)?;
        s.tcp().set_read_timeout(Some(timeout))?;
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.pending) {
                let take = (p + 1).min(LINE_MAX);
                let mut line: Vec<u8> = self.pending.drain(..take).collect();
                while matches!(line.last(), Some(b'\n' | b'\r')) {
                    line.pop();
                }
                return Ok(line);
            }
            if self.pending.len() >= LINE_MAX {
                return Ok(self.pending.drain(..LINE_MAX).collect());
            }
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk)?;
            if n == 0 {
                return Err(IoFail::Other);
            }
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The cache, keyed by `host:port` as given.
#[derive(Default)]
pub struct Sockets {
    map: HashMap<Vec<u8>, Cached>,
    /// New connections are TLS with this (a `tls-cluster`; kept current by the command context).
    pub tls: Option<TlsConfig>,
}

fn name(host: &[u8], port: &[u8]) -> Vec<u8> {
    let mut n = Vec::with_capacity(host.len() + port.len() + 1);
    n.extend_from_slice(host);
    n.push(b':');
    n.extend_from_slice(port);
    n
}

impl Sockets {
    /// The cached connection to `host:port`, or a new one connected within `timeout` (None: could not connect),
    /// over TLS with [`Sockets::tls`]. `pick` chooses which cached connection to drop when the cache is full.
    pub fn get(&mut self, host: &[u8], port: &[u8], timeout: Duration, now_s: i64, pick: u64) -> Option<&mut Cached> {
        let key = name(host, port);
        if !self.map.contains_key(&key) {
            if self.map.len() >= MAX_ITEMS {
                let victim = self.map.keys().nth(pick as usize % self.map.len()).cloned();
                if let Some(v) = victim {
                    self.map.remove(&v);
                }
            }
            let stream = connect(host, port, timeout)?;
            if let Some(s) = &stream {
                let _ = s.set_nodelay(true);
            }
            let stream = match (stream, self.tls.as_ref()) {
                (None, _) => None,
                (Some(s), None) => Some(Stream::Plain(s)),
                #[cfg(feature = "tls")]
                (Some(s), Some(config)) => {
                    let name = match std::str::from_utf8(host).ok().and_then(|h| h.parse::<std::net::IpAddr>().ok()) {
                        Some(ip) => rustls::pki_types::ServerName::IpAddress(ip.into()),
                        None => {
                            rustls::pki_types::ServerName::try_from(String::from_utf8_lossy(host).into_owned()).ok()?
                        }
                    };
                    let conn = rustls::ClientConnection::new(config.clone(), name).ok()?;
                    Some(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, s))))
                }
                #[cfg(not(feature = "tls"))]
                (Some(_), Some(never)) => match *never {},
            };
            self.map.insert(key.clone(), Cached { stream, pending: Vec::new(), last_dbid: -1, last_use_s: now_s });
        }
        let c = self.map.get_mut(&key)?;
        c.last_use_s = now_s;
        Some(c)
    }

    /// Closes the connection to `host:port`, if cached.
    pub fn close(&mut self, host: &[u8], port: &[u8]) {
        self.map.remove(&name(host, port));
    }

    /// Closes the connections unused for more than [`TTL_S`] seconds (once a second from the cron).
    pub fn close_idle(&mut self, now_s: i64) {
        if !self.map.is_empty() {
            self.map.retain(|_, c| now_s - c.last_use_s <= TTL_S);
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Connects to `host:port` within `timeout` (the port read as C's `atoi` reads it): None when the name does not
/// resolve or the connection times out, Some(None) when the target refused it (see [`Cached::stream`]).
fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Option<Option<TcpStream>> {
    let host = std::str::from_utf8(host).ok()?;
    let (v, _, _) = crate::util::strtol(port);
    let port = u16::try_from(v).ok()?;
    let addr = *super::resolve::resolve(host, port).ok()?.first()?;
    match TcpStream::connect_timeout(&addr, timeout) {
        Ok(s) => Some(Some(s)),
        Err(e) => match IoFail::from(e) {
            IoFail::TimedOut => None,
            IoFail::Other => Some(None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn lines_cache_and_idle_close() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port().to_string();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).unwrap();
            s.write_all(b"+OK\r\n-ERR x\r\n").unwrap();
            s.write_all(&[b'a'; 1500]).unwrap();
            s.write_all(b"\r\n").unwrap();
        });
        let mut socks = Sockets::default();
        let d = Duration::from_secs(5);
        let c = socks.get(b"127.0.0.1", port.as_bytes(), d, 100, 0).unwrap();
        c.write_all(b"PING", d).unwrap();
        assert_eq!(c.read_line(d).unwrap(), b"+OK");
        assert_eq!(c.read_line(d).unwrap(), b"-ERR x");
        assert_eq!(c.read_line(d).unwrap().len(), LINE_MAX);
        assert_eq!(c.read_line(d).unwrap().len(), 1500 - LINE_MAX);
        t.join().unwrap();
        assert_eq!(c.read_line(d).unwrap_err(), IoFail::Other);
        assert_eq!(socks.len(), 1);
        socks.close_idle(100 + TTL_S);
        assert_eq!(socks.len(), 1);
        socks.close_idle(101 + TTL_S);
        assert!(socks.is_empty());
        // A refused connection is cached as one whose writes fail; a name that does not resolve is no connection.
        let refused = socks.get(b"127.0.0.1", b"1", Duration::from_millis(200), 0, 0).unwrap();
        assert_eq!(refused.write_all(b"x", d).unwrap_err(), IoFail::Other);
        assert!(socks.get(b"no such host.invalid", b"1", Duration::from_millis(200), 0, 0).is_none());
    }
}
