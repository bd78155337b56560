//! One blocking connection to the server (TCP or a Unix socket) for ferredis-cli: commands out as RESP
//! multibulk, replies in through the resumable [`Reader`]. Error texts are hiredis's, because redis-cli shows
//! them to the user (`Could not connect to Redis at 127.0.0.1:1: Connection refused`, `Error: Server closed
//! the connection`).

use super::reply::{Reader, Reply};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<super::tls::TlsStream>),
}

impl Stream {
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
            // One TLS session can't be driven from two handles.
            #[cfg(feature = "tls")]
            Stream::Tls(_) => return Err(io::Error::other("not supported over TLS")),
        })
    }

    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_read_timeout(t),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
            _ => Ok(()),
        }
    }
}

/// Why a reply could not be read; `message()` is hiredis's `errstr`.
#[derive(Debug)]
pub enum ConnError {
    Eof,
    Io(io::Error),
    Protocol(String),
}

impl ConnError {
    pub fn message(&self) -> String {
        match self {
            ConnError::Eof => "Server closed the connection".into(),
            ConnError::Io(e) => io_message(e),
            ConnError::Protocol(m) => m.clone(),
        }
    }

    /// A lost connection (worth a reconnect in interactive mode), as opposed to a protocol error.
    pub fn is_disconnect(&self) -> bool {
        !matches!(self, ConnError::Protocol(_))
    }
}

/// The C library's text for an I/O error (`strerror`), without Rust's " (os error N)" suffix.
pub fn io_message(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => {
            let s = e.to_string();
            s.strip_prefix("failed to lookup address information: ").map(str::to_string).unwrap_or(s)
        }
    }
}

pub struct Conn {
    pub stream: Stream,
    reader: Reader,
    /// Set once a read or write failed: the next command reconnects first.
    pub broken: bool,
}

impl Conn {
    /// A TCP connection wrapped in TLS when `tls.on` (`--tls`, `rediss://`).
    #[cfg(feature = "tls")]
    pub fn tcp_or_tls(host: &str, port: u16, tls: &super::tls::TlsOpts) -> io::Result<Conn> {
        let c = Conn::tcp(host, port)?;
        match c.stream {
            Stream::Tcp(s) if tls.on => Ok(Conn::new(Stream::Tls(Box::new(super::tls::connect(s, host, tls)?)))),
            _ => Ok(c),
        }
    }

    pub fn tcp(host: &str, port: u16) -> io::Result<Conn> {
        let addrs = ferredis::net::resolve::resolve(host, port)?;
        let mut last = io::Error::other("Can't resolve");
        for a in addrs {
            match TcpStream::connect(a) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(Conn::new(Stream::Tcp(s)));
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    pub fn unix(path: &str) -> io::Result<Conn> {
        Ok(Conn::new(Stream::Unix(UnixStream::connect(path)?)))
    }

    fn new(stream: Stream) -> Conn {
        Conn { stream, reader: Reader::new(), broken: false }
    }

    /// Queues nothing: writes one command (RESP multibulk) to the socket.
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<(), ConnError> {
        let buf = encode(args);
        self.stream.write_all(&buf).map_err(|e| {
            self.broken = true;
            ConnError::Io(e)
        })
    }

    /// Blocks until one whole reply is read.
    pub fn read_reply(&mut self) -> Result<Reply, ConnError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.reader.next_reply() {
                Ok(Some(r)) => return Ok(r),
                Ok(None) => {}
                Err(m) => {
                    self.broken = true;
                    return Err(ConnError::Protocol(m));
                }
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.broken = true;
                    return Err(ConnError::Eof);
                }
                Ok(n) => self.reader.feed(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.broken = true;
                    return Err(ConnError::Io(e));
                }
            }
        }
    }

    /// Sends one command and reads its reply (hiredis `redisCommand`).
    pub fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Reply, ConnError> {
        self.send(args)?;
        self.read_reply()
    }

    /// Reads raw bytes (for the SYNC payload), first handing out whatever the reply reader already holds.
    pub fn read_raw(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let held = self.reader.take_buffered(buf.len());
        if !held.is_empty() {
            buf[..held.len()].copy_from_slice(&held);
            return Ok(held.len());
        }
        self.stream.read(buf)
    }
}

impl Reader {
    /// Removes up to `max` unparsed bytes from the front of the buffer (raw transfers after a reply).
    pub fn take_buffered(&mut self, max: usize) -> Vec<u8> {
        self.take_front(max)
    }
}

/// A command as RESP multibulk.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}
