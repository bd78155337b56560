//! The server's listening sockets: opened at startup from `port`, `bind` and `unixsocket`, and re-opened at run time
//! when CONFIG SET changes `port` or `bind` (Redis 7.0's `changeListenPort` / `changeBindAddr`).
//!
//! A change never leaves the server deaf: the new TCP set is opened first, reusing a current listener whose local
//! address is exactly one of the targets (so `bind` may grow around an address already in use by us), and only when
//! every target is bound are the old listeners handed back for the server to unregister and close. On failure the new
//! sockets are closed and the current set stays as it was.
//!
//! Invariants: `list` holds every open listener the server must accept on; `retired` holds listeners no longer in
//! `list` that are still registered with the event loop; `fresh` names fds in `list` not yet registered. The server
//! drains `retired` and `fresh` right after the command that changed them (see
//! [`Action::ListenersChanged`](crate::state::Action::ListenersChanged)).
//!
//! Tested by `tests/protocol/config_listen.rs` (port and bind changes, both failure paths, against redis-server).

use crate::log_warning;
use crate::sys::error_text;
use crate::sys::socket;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// One listening socket.
pub struct Listener {
    pub fd: OwnedFd,
    pub unix: bool,
    /// On `tls-port`: its connections speak TLS (always false without the `tls` feature).
    pub tls: bool,
}

/// The listening sockets and the registration work a change left for the server.
#[derive(Default)]
pub struct Listeners {
    pub list: Vec<Listener>,
    /// Closed-to-be listeners, still registered with the event loop.
    pub retired: Vec<Listener>,
    /// Listeners in `list` the event loop doesn't watch yet.
    pub fresh: Vec<RawFd>,
    /// The TLS configurations in force (`None` until TLS is configured; see [`net::tls`]).
    #[cfg(feature = "tls")]
    pub tls: Option<crate::net::tls::Context>,
}

/// A listener could not be opened (the reason is in the log, as Redis's is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindFailed;

/// Errors a bind may fail with that only mean "this address family or address isn't available here": Redis skips
/// such an address instead of failing (EADDRNOTAVAIL only for addresses marked optional with `-`).
const SKIPPABLE: [i32; 5] =
    [libc::ENOPROTOOPT, libc::EPROTONOSUPPORT, libc::ESOCKTNOSUPPORT, libc::EPFNOSUPPORT, libc::EAFNOSUPPORT];

/// Opens a TCP listener on `port` for every `bind` address (Redis's `listenToPort`), taking a listener out of
/// `reuse` when it already listens on exactly that address and port. Failures are logged; on failure the sockets
/// opened so far are closed (reused ones go back to `reuse`). `port` 0 or no address: no TCP listener.
pub fn open_tcp(
    port: u16,
    bind: &[String],
    backlog: i32,
    reuse: &mut Vec<Listener>,
) -> Result<Vec<Listener>, BindFailed> {
    let mut out: Vec<Listener> = Vec::new();
    if port == 0 {
        return Ok(out);
    }
    for raw in bind {
        let (optional, addr) = match raw.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, raw.as_str()),
        };
        let res = match socket::parse_bind_addr(addr) {
            Some(ip) => {
                match reuse.iter().position(|l| !l.unix && socket::local_addr(l.fd.as_raw_fd()) == Some((ip, port))) {
                    Some(i) => Ok(reuse.swap_remove(i).fd),
                    None => socket::listen_tcp(ip, port, backlog),
                }
            }
            None => Err(io::Error::new(io::ErrorKind::InvalidInput, "Name or service not known")),
        };
        match res {
            Ok(fd) => out.push(Listener { fd, unix: false, tls: false }),
            Err(e) => {
                log_warning!("Warning: Could not create server TCP listening socket {addr}:{port}: {}", describe(&e));
                let errno = e.raw_os_error().unwrap_or(0);
                if (errno == libc::EADDRNOTAVAIL && optional) || SKIPPABLE.contains(&errno) {
                    continue;
                }
                // Give back what we took: the caller keeps its current listeners.
                reuse.append(&mut out);
                return Err(BindFailed);
            }
        }
    }
    Ok(out)
}

fn describe(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(_) => format!("bind: {}", error_text(e)),
        None => e.to_string(),
    }
}

impl Listeners {
    /// Whether any TCP listener is open.
    pub fn has_tcp(&self) -> bool {
        self.list.iter().any(|l| !l.unix)
    }

    /// Whether `fd` is a listener on the TLS port.
    pub fn is_tls(&self, fd: RawFd) -> bool {
        self.list.iter().any(|l| l.tls && l.fd.as_raw_fd() == fd)
    }

    /// Replaces the TCP listeners with ones for `port` and `bind` (the unix socket stays). On failure nothing
    /// changes and the caller reports Redis's error.
    pub fn rebind_tcp(&mut self, port: u16, bind: &[String], backlog: i32) -> Result<(), BindFailed> {
        self.rebind(false, port, bind, backlog)
    }

    /// [`Listeners::rebind_tcp`] for the TLS port (`tls-port`).
    pub fn rebind_tls(&mut self, port: u16, bind: &[String], backlog: i32) -> Result<(), BindFailed> {
        self.rebind(true, port, bind, backlog)
    }

    fn rebind(&mut self, tls: bool, port: u16, bind: &[String], backlog: i32) -> Result<(), BindFailed> {
        let registered: Vec<RawFd> = self.list.iter().map(|l| l.fd.as_raw_fd()).collect();
        let (mut tcp, others): (Vec<Listener>, Vec<Listener>) =
            self.list.drain(..).partition(|l| !l.unix && l.tls == tls);
        let result = open_tcp(port, bind, backlog, &mut tcp);
        self.list = others;
        match result {
            Ok(new) => {
                // `tcp` now holds only the listeners not reused: they go. A new socket's fd can't repeat an old
                // one's (the old ones were all still open while it was created).
                self.retired.append(&mut tcp);
                for mut l in new {
                    l.tls = tls;
                    if !registered.contains(&l.fd.as_raw_fd()) {
                        self.fresh.push(l.fd.as_raw_fd());
                    }
                    self.list.push(l);
                }
                Ok(())
            }
            Err(BindFailed) => {
                self.list.append(&mut tcp);
                Err(BindFailed)
            }
        }
    }
}
