//! A connection the server opened or owns outside the client table (a replica's link to its master, the cluster
//! bus's links, a sentinel's links), the raw writes to a client (the replication stream), and a client's socket
//! lent to a blocking conversation ([`ClientWire`]: the Lua debugger): the plain socket's `read(2)` / `write(2)`
//! interface, over TLS when the connection has a session (the `tls` feature), so the code that drives them does
//! not know which. [`Conn::outgoing`] makes our side of a connection, TLS or not as the directive in charge says
//! (`tls-replication`, `tls-cluster`).
//!
//! A TLS connection may hold records the socket did not take yet: its owner keeps the writable interest while
//! [`Conn::wants_write`] / [`client_wants_write`] say so, and flushes them with a write (of nothing, if need be).
//!
//! Tested through its users (tests/replication, tests/cluster, and tests/tls.rs with the feature: replication
//! both ways with Redis, a mixed cluster with Redis, sentinels, the Lua debugger, all over TLS).

use crate::net::client::{Client, ClientState};
use crate::sys::socket;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// A socket and, over TLS, its session.
#[derive(Debug)]
pub struct Conn {
    sock: OwnedFd,
    #[cfg(feature = "tls")]
    tls: Option<Box<crate::net::tls::Session>>,
}

impl AsRawFd for Conn {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl Conn {
    /// A plain socket.
    pub fn plain(sock: OwnedFd) -> Conn {
        Conn {
            sock,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// A socket carrying the TLS `session`.
    #[cfg(feature = "tls")]
    pub fn with_tls(sock: OwnedFd, session: Box<crate::net::tls::Session>) -> Conn {
        Conn { sock, tls: Some(session) }
    }

    /// Our side of a connection to `host` on `sock`: over TLS when `tls` (with the configurations in force in
    /// `listeners`; the handshake starts with the first write), else plain. The error says why TLS can't be had.
    pub fn outgoing(
        sock: OwnedFd,
        host: &str,
        tls: bool,
        listeners: &crate::net::listen::Listeners,
    ) -> Result<Conn, String> {
        if !tls {
            return Ok(Conn::plain(sock));
        }
        #[cfg(feature = "tls")]
        {
            let t = listeners.tls.as_ref().ok_or("TLS is not configured")?;
            let s = crate::net::tls::Session::connect(t.client.clone(), host).map_err(|e| e.to_string())?;
            Ok(Conn::with_tls(sock, Box::new(s)))
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = (sock, host, listeners);
            Err("this build has no TLS".into())
        }
    }

    /// Whether it carries TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// `read(2)`: plaintext bytes, `Ok(0)` at the end, `WouldBlock` when there is nothing yet.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        if let Some(s) = self.tls.as_deref_mut() {
            return s.read(self.sock.as_raw_fd(), buf);
        }
        socket::read(self.sock.as_raw_fd(), buf)
    }

    /// `write(2)`: how many of `buf`'s bytes were taken (over TLS, possibly still held: see
    /// [`Conn::wants_write`]).
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        if let Some(s) = self.tls.as_deref_mut() {
            return s.write(self.sock.as_raw_fd(), buf);
        }
        socket::write(self.sock.as_raw_fd(), buf)
    }

    /// Over TLS: records wait for the socket (sent by the next [`Conn::write`]).
    pub fn wants_write(&self) -> bool {
        #[cfg(feature = "tls")]
        if let Some(s) = self.tls.as_deref() {
            return s.wants_write();
        }
        false
    }

    /// The client this connection becomes (the master client), its session with it.
    pub fn into_client(self, state: ClientState) -> Client {
        #[allow(unused_mut)]
        let mut c = Client::new(state, Some(self.sock));
        #[cfg(feature = "tls")]
        {
            c.tls = self.tls;
        }
        c
    }
}

/// A raw write to a client's socket, outside its reply (the replication stream): through its TLS session if it
/// has one. Only while its reply is fully written.
pub fn client_write(c: &mut Client, buf: &[u8]) -> io::Result<usize> {
    #[cfg(feature = "tls")]
    if let Some(s) = c.tls.as_deref_mut() {
        return s.write(c.state.fd, buf);
    }
    socket::write(c.state.fd, buf)
}

/// Over TLS: the client's session holds records the socket did not take yet.
pub fn client_wants_write(c: &Client) -> bool {
    #[cfg(feature = "tls")]
    if let Some(s) = c.tls.as_deref() {
        return s.wants_write();
    }
    let _ = c;
    false
}

/// A client's socket lent to code that holds a blocking conversation on it outside the event loop (the Lua
/// debugger, Redis's `connBlock` + `connSyncWrite`), with the client's TLS session while it is lent (taken back
/// by the server after the command): the socket stays the client's.
#[derive(Debug)]
pub struct ClientWire {
    pub fd: RawFd,
    #[cfg(feature = "tls")]
    pub tls: Option<Box<crate::net::tls::Session>>,
}

impl ClientWire {
    /// The client on `fd`, plain (the server lends its TLS session separately).
    pub fn plain(fd: RawFd) -> ClientWire {
        ClientWire {
            fd,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// `read(2)` on the non-blocking socket: plaintext, `Ok(0)` at the end, `WouldBlock` when nothing is there.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        if let Some(s) = self.tls.as_deref_mut() {
            return s.read(self.fd, buf);
        }
        socket::read(self.fd, buf)
    }

    /// Writes all of `buf` (and, over TLS, every record it makes), waiting at most `timeout_ms` for the socket
    /// each time it is full.
    pub fn write_all_timeout(&mut self, buf: &[u8], timeout_ms: i32) -> io::Result<()> {
        #[cfg(feature = "tls")]
        if let Some(s) = self.tls.as_deref_mut() {
            let mut rest = buf;
            loop {
                let r = if rest.is_empty() { s.flush_pending(self.fd).map(|_| 0) } else { s.write(self.fd, rest) };
                match r {
                    Ok(k) => rest = &rest[k..],
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
                if rest.is_empty() && !s.wants_write() {
                    return Ok(());
                }
                if !socket::wait_writable(self.fd, timeout_ms)? {
                    return Err(io::ErrorKind::TimedOut.into());
                }
            }
        }
        socket::write_all_timeout(self.fd, buf, timeout_ms)
    }
}
