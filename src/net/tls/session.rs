//! One TLS connection: a rustls [`Connection`] (the server's side of an accepted client, or the client's side of
//! a replica's link to its master) and how much of the reply it holds, with the read and write steps the plain
//! socket's steps hand a TLS client to, and [`Session::read`] / [`Session::write`], the socket's own
//! `read(2)` / `write(2)` semantics over TLS for the code that talks to a socket directly (the replica's link,
//! the replication stream; see [`crate::net::conn`]).
//!
//! Invariant: `ahead` bytes at the front of the client's pending reply have been given to rustls; they are
//! consumed from the reply only once rustls has nothing left to send, i.e. when their records are on the wire.
//! [`Session::write`] is used only while the reply is empty (so `ahead` is 0).

use crate::net::client::Client;
use crate::net::io::{ReadOut, WriteOut, NET_MAX_WRITES_PER_EVENT, PROTO_IOBUF_LEN};
use crate::sys::socket;
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, Connection, ServerConnection};
use std::io::{self, Read, Write};
use std::os::fd::RawFd;
use std::sync::Arc;

/// The TLS state of one client connection.
pub struct Session {
    conn: Connection,
    /// Plaintext bytes at the front of the pending reply that rustls has taken and not yet sent in full.
    ahead: usize,
    /// A server session read its first bytes.
    started: bool,
}

/// The content type of a TLS handshake record: what the first byte a client sends must be.
const HANDSHAKE_RECORD: u8 = 0x16;

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("handshaking", &self.conn.is_handshaking()).field("ahead", &self.ahead).finish()
    }
}

impl Session {
    /// A server-side session for a connection just accepted on the TLS port.
    pub fn accept(config: Arc<rustls::ServerConfig>) -> Result<Session, rustls::Error> {
        Ok(Session { conn: Connection::Server(ServerConnection::new(config)?), ahead: 0, started: false })
    }

    /// A client-side session to `host` (a replica's link): the ClientHello goes out with the first write or
    /// flush. An IP address sends no SNI (as Redis's links); a name does.
    pub fn connect(config: Arc<rustls::ClientConfig>, host: &str) -> Result<Session, rustls::Error> {
        let name = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(host.to_string())
                .unwrap_or_else(|_| ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into())),
        };
        Ok(Session { conn: Connection::Client(ClientConnection::new(config, name)?), ahead: 0, started: true })
    }

    /// Whether records wait for the socket (the owner keeps the writable interest while so).
    pub fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// `read(2)` over TLS: plaintext into `buf`; `Ok(0)` when the peer closed, `WouldBlock` when no plaintext is
    /// there yet (handshake messages read meanwhile are answered without waiting), `InvalidData` for a bad record.
    pub fn read(&mut self, fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(k) => return Ok(k),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            // No plaintext left: rustls reads what it can hold from the socket (so that its plaintext, handed out
            // above first, never outgrows its limit, as it would from a larger read fed to it in pieces).
            match self.conn.read_tls(&mut Fd(fd)) {
                Ok(0) => return Ok(0),
                Ok(_) => {}
                Err(e) => {
                    if e.kind() == io::ErrorKind::WouldBlock {
                        self.flush(fd, &mut WriteOut::default())?;
                    }
                    return Err(e);
                }
            }
            if let Err(e) = self.conn.process_new_packets() {
                let _ = self.flush(fd, &mut WriteOut::default());
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            self.flush(fd, &mut WriteOut::default())?;
        }
    }

    /// `write(2)` over TLS: what rustls takes of `buf` (sent now if the socket takes it, else by the next write
    /// or [`Session::flush_pending`] while [`Session::wants_write`]); `WouldBlock` when earlier records still
    /// wait for the socket.
    pub fn write(&mut self, fd: RawFd, buf: &[u8]) -> io::Result<usize> {
        if !self.flush(fd, &mut WriteOut::default())? {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let k = self.conn.writer().write(buf)?;
        if k == 0 && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.flush(fd, &mut WriteOut::default())?;
        Ok(k)
    }

    /// Sends what rustls holds; `Ok(true)` once nothing waits.
    pub fn flush_pending(&mut self, fd: RawFd) -> io::Result<bool> {
        self.flush(fd, &mut WriteOut::default())
    }

    /// Whether the handshake is still going on.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Whether the peer presented a certificate (mutual TLS).
    pub fn has_peer_certificate(&self) -> bool {
        self.conn.peer_certificates().is_some_and(|c| !c.is_empty())
    }

    /// Writes what rustls has to send. `Ok(true)`: all of it went out; `Ok(false)`: the socket is full.
    fn flush(&mut self, fd: RawFd, out: &mut WriteOut) -> io::Result<bool> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut Fd(fd)) {
                Ok(_) => out.writes += 1,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// A socket as `io::Write` for rustls's `write_tls`, and `io::Read` for its `read_tls`.
struct Fd(RawFd);

impl Read for Fd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        socket::read(self.0, buf)
    }
}

impl Write for Fd {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        socket::write(self.0, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads one socket read's worth of records (up to [`PROTO_IOBUF_LEN`] bytes), decrypts them into the query
/// ring, and sends what the handshake or the records call for (never waiting: what the socket can't take now
/// goes with the next read or write).
pub fn read_step(c: &mut Client) -> ReadOut {
    let fd = c.state.fd;
    let Client { query, tls, parser, .. } = c;
    let Some(s) = tls.as_deref_mut() else { return ReadOut::Again };
    let mut buf = [0u8; PROTO_IOBUF_LEN];
    let n = match socket::read(fd, &mut buf) {
        Ok(0) => return ReadOut::Closed,
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {
            return ReadOut::Again
        }
        Err(e) => return ReadOut::Failed(e),
    };
    // Bytes that do not start a TLS handshake record (a plain client on the TLS port): closed without an alert,
    // as OpenSSL's "wrong version number" is (a plain client then sees the end of the stream, not a reply byte).
    if !s.started && s.conn.is_handshaking() && buf[0] != HANDSHAKE_RECORD {
        return ReadOut::Failed(io::Error::new(io::ErrorKind::InvalidData, "not a TLS handshake"));
    }
    s.started = true;
    let mut rest = &buf[..n];
    let (mut got, mut peer_closed, mut after_big, mut asked) = (0, false, false, false);
    while !rest.is_empty() {
        if let Err(e) = s.conn.read_tls(&mut rest) {
            return ReadOut::Failed(e);
        }
        let mut pending = match s.conn.process_new_packets() {
            Ok(state) => {
                peer_closed |= state.peer_has_closed();
                state.plaintext_bytes_to_read()
            }
            Err(e) => {
                // rustls queued an alert for the peer: best effort, then this connection ends.
                let _ = s.flush(fd, &mut WriteOut::default());
                return ReadOut::Failed(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        };
        while pending > 0 {
            // The room a plain socket's read asks for (a big argument's missing bytes, else PROTO_IOBUF_LEN), then
            // for the rest of this read's plaintext just what it needs, so the query buffer grows as it would from
            // a plain socket (exactly, behind a big argument whose run is about to consume it: not to twice it).
            let missing = parser.big_bulk_missing(query.len()).filter(|&m| m > 0);
            let room = match missing {
                Some(m) => {
                    after_big = true;
                    let room = query.writable(m);
                    let k = m.min(room.len());
                    &mut room[..k]
                }
                None if after_big => query.writable_exact(pending),
                None if asked => query.writable(pending),
                None => query.writable(PROTO_IOBUF_LEN),
            };
            asked = true;
            match s.conn.reader().read(room) {
                Ok(0) => break,
                Ok(k) => {
                    query.commit(k);
                    got += k;
                    pending = pending.saturating_sub(k);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return ReadOut::Failed(e),
            }
        }
    }
    // Handshake messages, session tickets, alerts: sent now if the socket takes them.
    if let Err(e) = s.flush(fd, &mut WriteOut::default()) {
        return ReadOut::Failed(e);
    }
    if got > 0 {
        ReadOut::Data(got)
    } else if peer_closed {
        ReadOut::Closed
    } else {
        ReadOut::Again
    }
}

/// Encrypts and writes as much of the pending reply as the socket takes, up to [`NET_MAX_WRITES_PER_EVENT`]
/// plaintext bytes. `total` counts plaintext bytes taken off the reply, as Redis counts `SSL_write`'s.
pub fn write_step(c: &mut Client) -> WriteOut {
    let fd = c.state.fd;
    c.pending_push = false;
    c.state.reply.note_peak();
    let mut out = WriteOut::default();
    let Client { state, tls, .. } = c;
    let Some(s) = tls.as_deref_mut() else { return out };
    let reply = &mut state.reply;
    loop {
        match s.flush(fd, &mut out) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                out.err = Some(e);
                break;
            }
        }
        if s.ahead > 0 {
            reply.consume(s.ahead);
            out.total += s.ahead;
            s.ahead = 0;
        }
        // During the handshake nothing is sent yet (rustls would only buffer it, out of this invariant's view).
        if reply.pending_len() == 0 || out.total >= NET_MAX_WRITES_PER_EVENT || s.conn.is_handshaking() {
            break;
        }
        let pending = reply.pending();
        let chunk = &pending[..pending.len().min(NET_MAX_WRITES_PER_EVENT)];
        match s.conn.writer().write(chunk) {
            Ok(0) => break,
            Ok(k) => s.ahead = k,
            Err(e) => {
                out.err = Some(e);
                break;
            }
        }
    }
    out
}
