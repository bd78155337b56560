//! Running under a supervisor: `supervised no|upstart|systemd|auto`, as Redis's `redisIsSupervised`.
//!
//! - **systemd** (`Type=notify` units): the service manager passes the path of a datagram socket in
//!   `NOTIFY_SOCKET` (a leading `@` names a Linux abstract socket). The server sends `STATUS=` lines while it
//!   starts, `READY=1` once it accepts connections and `STOPPING=1` when it begins to shut down. This is the whole
//!   `sd_notify` protocol the server needs, so there is no libsystemd: one `sendto` of a short text datagram.
//! - **upstart** (`expect stop`): the server stops itself with `SIGSTOP` once, and the job manager continues it.
//! - **auto**: upstart when `UPSTART_JOB` is set, otherwise systemd when `NOTIFY_SOCKET` is set.
//!
//! A supervised server never daemonizes (the supervisor tracks the process it started). Messages and log lines
//! follow Redis 7.0 built with systemd support (Debian's build). Tested by the unit tests below (a real datagram
//! socket standing in for systemd) and end to end by `tests/operations/deploy.rs`, which runs the server with
//! `NOTIFY_SOCKET`.

#![forbid(unsafe_code)]

use crate::{log_notice, log_verbose, log_warning};
use std::sync::atomic::{AtomicU8, Ordering};

/// What the server ended up supervised by (Redis's `server.supervised_mode` once `server.supervised` is true).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Supervisor {
    None,
    Upstart,
    Systemd,
}

impl Supervisor {
    /// INFO server's `process_supervised`: `no` unless a supervisor was found and told of the start, as in Redis
    /// (`supervised systemd` without a usable `NOTIFY_SOCKET` reports `no`).
    pub fn info_name(self) -> &'static str {
        match self {
            Supervisor::None => "no",
            Supervisor::Upstart => "upstart",
            Supervisor::Systemd => "systemd",
        }
    }
}

/// The supervisor found at start-up (a [`Supervisor`] as u8, 0 = none): set once by [`start`], which
/// [`server::startup::start`](crate::server::startup::start) calls at start-up; read through [`current`] when the
/// server reports readiness, saving and stopping. A static: set once and read-only after, by notifications sent from
/// several server modules.
static MODE: AtomicU8 = AtomicU8::new(0);

/// The supervisor found at start-up.
pub fn current() -> Supervisor {
    match MODE.load(Ordering::Relaxed) {
        1 => Supervisor::Upstart,
        2 => Supervisor::Systemd,
        _ => Supervisor::None,
    }
}

/// Resolves the `supervised` directive and announces the start to the supervisor (systemd: a loading status;
/// upstart: the stop that signals readiness). Returns whether the server is supervised.
pub fn start(directive: &str) -> bool {
    let env = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let mut mode = match directive {
        "upstart" => Supervisor::Upstart,
        "systemd" => Supervisor::Systemd,
        _ => Supervisor::None,
    };
    if directive == "auto" {
        if env("UPSTART_JOB") {
            log_verbose!("Upstart supervision detected.");
            mode = Supervisor::Upstart;
        } else if env("NOTIFY_SOCKET") {
            log_verbose!("Systemd supervision detected.");
            mode = Supervisor::Systemd;
        }
    }
    let ok = match mode {
        Supervisor::None => false,
        Supervisor::Upstart => {
            if !env("UPSTART_JOB") {
                log_warning!("upstart supervision requested, but UPSTART_JOB not found!");
                false
            } else {
                log_notice!("supervised by upstart, will stop to signal readiness.");
                let _ = crate::sys::process::kill(std::process::id() as i32, libc::SIGSTOP);
                std::env::remove_var("UPSTART_JOB");
                true
            }
        }
        Supervisor::Systemd => {
            if systemd_notify("STATUS=Redis is loading...\n") {
                log_notice!(
                    "Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and \
                     TimeoutStopSec in your service unit."
                );
                true
            } else {
                false
            }
        }
    };
    MODE.store(if ok { mode as u8 } else { 0 }, Ordering::Relaxed);
    ok
}

/// Tells systemd the server accepts connections (Redis sends the status first, then `READY=1`).
pub fn ready(replica: bool) {
    if current() == Supervisor::Systemd {
        if replica {
            systemd_notify(
                "STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync\n",
            );
        } else {
            systemd_notify("STATUS=Ready to accept connections\n");
        }
        systemd_notify("READY=1\n");
    }
}

/// Tells systemd the server is shutting down.
pub fn stopping() {
    if current() == Supervisor::Systemd {
        systemd_notify("STOPPING=1\n");
    }
}

/// Tells systemd the shutdown is saving the final snapshot.
pub fn saving_final_snapshot() {
    if current() == Supervisor::Systemd {
        systemd_notify("STATUS=Saving the final RDB snapshot\n");
    }
}

/// Tells systemd a shutdown failed because the final save did.
pub fn shutdown_failed() {
    if current() == Supervisor::Systemd {
        systemd_notify("STATUS=Error trying to save the DB, can't exit.\n");
    }
}

/// One `sd_notify` message to the socket named by `NOTIFY_SOCKET`; logs Redis's warning and returns false when
/// there is no socket or the send fails.
fn systemd_notify(msg: &str) -> bool {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET").filter(|p| !p.is_empty()) else {
        log_warning!("systemd supervision error: NOTIFY_SOCKET not found!");
        return false;
    };
    match send_datagram(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()), msg.as_bytes()) {
        Ok(()) => true,
        Err(e) => {
            log_warning!("systemd supervision error: sd_notify: -{}", e.raw_os_error().unwrap_or(libc::EIO));
            false
        }
    }
}

/// Sends `msg` as one datagram to a unix socket path, or to the abstract socket named after a leading `@`.
fn send_datagram(path: &[u8], msg: &[u8]) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let sock = UnixDatagram::unbound()?;
    let addr = match path.split_first() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Some((b'@', name)) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name)?
        }
        _ => SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path))?,
    };
    let n = sock.send_to_addr(msg, &addr)?;
    if n != msg.len() {
        return Err(std::io::Error::from_raw_os_error(libc::EMSGSIZE));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    #[test]
    fn datagram_reaches_a_path_socket() {
        let dir = std::env::temp_dir().join(format!("ferredis-sdnotify-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let rx = UnixDatagram::bind(&path).unwrap();
        send_datagram(path.to_str().unwrap().as_bytes(), b"READY=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn datagram_reaches_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("ferredis-sdnotify-test-{}", std::process::id());
        let rx = UnixDatagram::bind_addr(&std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap()).unwrap();
        send_datagram(format!("@{name}").as_bytes(), b"STOPPING=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1\n");
    }

    #[test]
    fn missing_socket_is_an_error() {
        assert!(send_datagram(b"/nonexistent/ferredis/notify.sock", b"READY=1\n").is_err());
    }
}
