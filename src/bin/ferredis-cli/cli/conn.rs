//! One blocking connection to the server (TCP or a Unix socket) for ferredis-cli: commands out as RESP
//! multibulk, replies in through the resumable [`Reader`]. Error texts are hiredis's, because redis-cli shows
//! them to the user (`Could not connect to Redis at 127.0.0.1:1: Connection refused`, `Error: Server closed
//! the connection`).

use super::reply::{Reader, Reply};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<super::tls::TlsStream>),
}

/// The `--tls` options a TCP connection is made with (nothing to hold in a build without the `tls` feature).
#[cfg(feature = "tls")]
pub use super::tls::TlsOpts;
#[cfg(not(feature = "tls"))]
#[derive(Default, Clone, Debug)]
pub struct TlsOpts;

/// A second handle on a connection's socket, only to shut it down from another thread (which ends a blocking
/// read there): the TLS session itself stays with its one owner.
pub enum ShutdownHandle {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl ShutdownHandle {
    pub fn shutdown(&self) {
        let _ = match self {
            ShutdownHandle::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
            ShutdownHandle::Unix(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }
}

impl Stream {
    pub fn shutdown_handle(&self) -> io::Result<ShutdownHandle> {
        Ok(match self {
            Stream::Tcp(s) => ShutdownHandle::Tcp(s.try_clone()?),
            Stream::Unix(s) => ShutdownHandle::Unix(s.try_clone()?),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => ShutdownHandle::Tcp(s.sock.try_clone()?),
        })
    }

    /// Pipe mode's non-blocking socket; then only [`Stream::read_some`], [`Stream::write_some`] and
    /// [`Stream::flush_pending`] move data.
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(on),
            Stream::Unix(s) => s.set_nonblocking(on),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_nonblocking(on),
        }
    }

    pub fn raw_fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.as_raw_fd(),
        }
    }

    /// Whether bytes already accepted still wait for room in the socket (a TLS session's records).
    pub fn pending_output(&self) -> bool {
        match self {
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.conn.wants_write(),
            _ => false,
        }
    }

    /// Writes what [`Stream::pending_output`] holds until the socket is full (`WouldBlock` is not an error).
    pub fn flush_pending(&mut self) -> io::Result<()> {
        match self {
            #[cfg(feature = "tls")]
            Stream::Tls(s) => flush_tls(s),
            _ => Ok(()),
        }
    }

    /// A non-blocking write: how much of `buf` was taken (over TLS, into the session, whose records then go
    /// out as far as the socket takes them; 0 while its buffer is full), or `WouldBlock`.
    pub fn write_some(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            #[cfg(feature = "tls")]
            Stream::Tls(s) => {
                flush_tls(s)?;
                let n = s.conn.writer().write(buf)?;
                flush_tls(s)?;
                Ok(n)
            }
            _ => self.write(buf),
        }
    }

    /// A non-blocking read: `Ok(0)` at the end of the stream, `WouldBlock` when nothing can be read now. Over
    /// TLS, records are read and opened until some plaintext comes out.
    pub fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        if let Stream::Tls(s) = self {
            loop {
                match s.conn.reader().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // The peer closed without close_notify: the end of the stream all the same.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                    r => return r,
                }
                s.conn.read_tls(&mut s.sock)?;
                s.conn.process_new_packets().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            }
        }
        self.read(buf)
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

/// Writes a TLS session's records until none is left or the (non-blocking) socket is full.
#[cfg(feature = "tls")]
fn flush_tls(s: &mut super::tls::TlsStream) -> io::Result<()> {
    while s.conn.wants_write() {
        match s.conn.write_tls(&mut s.sock) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// hiredis's `errstr` (the socket's, or the TLS handshake's), shown after "Could not connect to Redis at".
    Io(io::Error),
    /// The `--tls` options could not be used (`cliSecureConnection`'s own message, which redis-cli shows on
    /// its own line: "Could not negotiate a TLS connection: ...", "TLS Error: ...").
    #[cfg(feature = "tls")]
    TlsSetup(String),
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
    /// A TCP connection, wrapped in TLS when `tls.on` (`--tls`, `rediss://`; a `tls` build): redis-cli's
    /// `redisConnect` followed by `cliSecureConnection`.
    pub fn open(host: &str, port: u16, tls: &TlsOpts) -> Result<Conn, ConnectError> {
        let c = Conn::tcp(host, port).map_err(ConnectError::Io)?;
        match c.stream {
            #[cfg(feature = "tls")]
            Stream::Tcp(s) if tls.on => Ok(Conn::new(Stream::Tls(Box::new(super::tls::connect(s, host, tls)?)))),
            _ => {
                let _ = tls;
                Ok(c)
            }
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

    /// Pipe mode: moves whatever the non-blocking socket has into the reply reader. `Ok` once it would block.
    pub fn read_available(&mut self) -> Result<(), ConnError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read_some(&mut chunk) {
                Ok(0) => {
                    self.broken = true;
                    return Err(ConnError::Eof);
                }
                Ok(n) => self.reader.feed(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.broken = true;
                    return Err(ConnError::Io(e));
                }
            }
        }
    }

    /// The next whole reply among the bytes already read, without reading more (hiredis's `redisGetReply` on
    /// a non-blocking context).
    pub fn buffered_reply(&mut self) -> Result<Option<Reply>, ConnError> {
        self.reader.next_reply().map_err(|m| {
            self.broken = true;
            ConnError::Protocol(m)
        })
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
