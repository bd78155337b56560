//! Sentinel mode on the server's event loop: start-up (Redis's `sentinelCheckConfigFile`, `sentinelIsRunning`),
//! the sentinel timer, and the I/O of the outgoing links ([`crate::sentinel::link::Conn`]): non-blocking connects
//! completed on writability, queued commands written, replies read and handed to the model, closed links taken
//! off the loop. After every step the model's events are published and its state saved when it asks
//! (`state/sentinel.rs`).
//!
//! The outbound pattern is the cluster bus's (`server/cluster.rs`): [`socket::connect_tcp_from`], writable
//! interest until the connect completes or the output drains, [`socket::take_error`] for the outcome.

use super::Server;
use crate::event_loop::{EventLoop, TimerNext};
use crate::sentinel::Sentinel;
use crate::sys::poller::Interest;
use crate::sys::socket;
use crate::{log_warning, sys};

/// How often the sentinel timer runs (Redis runs it from a cron whose `hz` it keeps between 10 and 19; a fixed
/// period plus a random part does the same: sentinels rarely act in the same instant).
const TIMER_BASE_MS: u64 = 100;
/// Most bytes read from one link per readable event.
const READ_CHUNK: usize = 16 * 1024;

/// Builds the sentinel state from the queued `sentinel` directives (Redis's `loadSentinelConfigFromQueue`). On
/// a bad directive Redis's text goes to standard error and the result is the exit code.
pub fn load(config: &crate::config::Config) -> Result<Sentinel, i32> {
    crate::sentinel::config::load(&config.sentinel_lines, config.port, crate::util::now_ms()).map_err(|e| {
        eprintln!("{e}");
        1
    })
}

/// A sentinel saves its state in its config file, which must exist and be writable (Redis's
/// `sentinelCheckConfigFile`, logged once the log is set up). The error is the exit code.
pub fn check_config_file(config: &crate::config::Config) -> Result<(), i32> {
    let Some(path) = &config.config_file else {
        log_warning!("Sentinel needs config file on disk to save state. Exiting...");
        return Err(1);
    };
    nix::unistd::access(path.as_str(), nix::unistd::AccessFlags::W_OK).map_err(|e| {
        let e = std::io::Error::from_raw_os_error(e as i32);
        log_warning!("Sentinel config file {path} is not writable: {}. Exiting...", sys::error_text(&e));
        1
    })
}

impl Server {
    /// Once the server listens (Redis's `sentinelIsRunning`): a new id saved at first start, the id logged,
    /// `+monitor` for every master, and the timer started. False when the server must exit.
    pub(super) fn sentinel_start(&mut self, el: &mut EventLoop) -> bool {
        let Some(s) = self.state.sentinel.as_deref_mut() else { return true };
        if s.myid.is_empty() {
            s.myid = s.random_id();
            s.flush_requested = true;
        }
        log_warning!("Sentinel ID is {}", s.myid);
        for r in s.all_refs().into_iter().filter(|r| matches!(r, crate::sentinel::InstRef::Master(_))) {
            let quorum = s.instance(&r).map_or(0, |m| m.quorum);
            s.event_at(true, "+monitor", &r, &format!("quorum {quorum}"));
        }
        crate::state::sentinel::drain(&mut self.state, None);
        self.sentinel_timer = Some(el.add_timer(TIMER_BASE_MS));
        true
    }

    /// The sentinel timer fired: `None` when `id` is not its timer.
    pub(super) fn sentinel_timer_fired(&mut self, el: &mut EventLoop, id: u64) -> Option<TimerNext> {
        if self.sentinel_timer != Some(id) {
            return None;
        }
        let now = crate::util::now_ms();
        let bind_source: Option<std::net::IpAddr> = self.state.config.stored_str("bind-source-addr").parse().ok();
        let requirepass = self.state.config.requirepass.as_ref().map(|p| String::from_utf8_lossy(p).into_owned());
        // Over TLS to masters, replicas and sentinels with `tls-replication yes`, as Redis's links.
        let tls = self.state.config.stored_bool("tls-replication");
        let listeners = &self.state.listeners;
        let tls_port = if tls { self.state.config.stored_i64("tls-port") as u16 } else { 0 };
        let s = self.state.sentinel.as_deref_mut()?;
        s.requirepass = requirepass;
        s.tls_port = tls_port;
        let mut connect = |ip: &str, port: u16| {
            let addr =
                ip.parse::<std::net::IpAddr>().map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
            let fd = socket::connect_tcp_from(addr, port, bind_source)?;
            let _ = socket::set_nodelay(std::os::fd::AsRawFd::as_raw_fd(&fd));
            crate::net::conn::Conn::outgoing(fd, ip, tls, listeners).map_err(std::io::Error::other)
        };
        s.timer(now, &mut connect);
        let jitter = s.rng.next_u64() % TIMER_BASE_MS;
        self.sentinel_io(el);
        Some(TimerNext::After(TIMER_BASE_MS / 2 + jitter))
    }

    /// A file event on a sentinel link; false when `fd` is not one.
    pub(super) fn sentinel_file_event(&mut self, el: &mut EventLoop, fd: i32, ready: Interest) -> bool {
        let Some(s) = self.state.sentinel.as_deref_mut() else { return false };
        // A link a SENTINEL command closed since the last pass (RESET, REMOVE, new credentials): off the loop now.
        if s.closed.iter().any(|c| c.raw_fd() == fd) {
            self.sentinel_io(el);
            return true;
        }
        let Some(c) = s.conns.iter_mut().find(|c| c.raw_fd() == fd) else { return false };
        let now = crate::util::now_ms();
        let mut failed = false;
        if !c.connected {
            match socket::take_error(fd) {
                Ok(None) => c.connected = true,
                _ => failed = true,
            }
        }
        if !failed && c.connected && (!c.outbuf.is_empty() || c.sock.wants_write()) {
            failed = write_out(c);
        }
        let mut replies = Vec::new();
        if !failed && c.connected && ready.is_readable() {
            let mut buf = [0u8; READ_CHUNK];
            // A full chunk is read again: over TLS, a record may hold more plaintext than one chunk, and what
            // the session keeps would wake no event.
            loop {
                match c.sock.read(&mut buf) {
                    Ok(0) => failed = true,
                    Ok(n) => {
                        c.inbuf.extend_from_slice(&buf[..n]);
                        if n == READ_CHUNK {
                            continue;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => failed = true,
                }
                break;
            }
            loop {
                match c.next_reply() {
                    Ok(Some(r)) => replies.push(r),
                    Ok(None) => break,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
        }
        for (tag, v) in replies {
            s.on_reply(fd, tag, v, now);
        }
        if failed {
            s.close_conn(fd);
        }
        self.sentinel_io(el);
        true
    }

    /// After the model ran: new links join the loop, queued output is written (writable interest while some is
    /// left or the connect is pending), closed links leave the loop, events are published, the config is saved
    /// when asked, and a simulated crash exits.
    pub(super) fn sentinel_io(&mut self, el: &mut EventLoop) {
        let Some(s) = self.state.sentinel.as_deref_mut() else { return };
        for c in std::mem::take(&mut s.closed) {
            if c.registered {
                let _ = el.remove_interest(c.raw_fd(), Interest::READABLE | Interest::WRITABLE);
            }
        }
        let mut failed = Vec::new();
        for c in s.conns.iter_mut() {
            let fd = c.raw_fd();
            if !c.registered {
                if el.add_interest(fd, Interest::READABLE | Interest::WRITABLE).is_err() {
                    failed.push(fd);
                    continue;
                }
                c.registered = true;
            }
            if c.connected && (!c.outbuf.is_empty() || c.sock.wants_write()) && write_out(c) {
                failed.push(fd);
                continue;
            }
            // Over TLS, records (handshake messages too) may wait for the socket with the buffer empty.
            let want_write = !c.connected || !c.outbuf.is_empty() || c.sock.wants_write();
            let has_write = el.interest(fd).is_writable();
            if want_write && !has_write {
                let _ = el.add_interest(fd, Interest::WRITABLE);
            } else if !want_write && has_write {
                let _ = el.remove_interest(fd, Interest::WRITABLE);
            }
        }
        for fd in failed {
            s.close_conn(fd);
        }
        for c in std::mem::take(&mut s.closed) {
            if c.registered {
                let _ = el.remove_interest(c.raw_fd(), Interest::READABLE | Interest::WRITABLE);
            }
        }
        let crash = s.crash_requested;
        crate::state::sentinel::drain(&mut self.state, None);
        if crash {
            std::process::exit(99);
        }
    }
}

/// Writes as much of `c`'s output as the socket takes (over TLS, a write of nothing sends held records); true
/// when the connection failed.
fn write_out(c: &mut crate::sentinel::link::Conn) -> bool {
    while !c.outbuf.is_empty() || c.sock.wants_write() {
        match c.sock.write(&c.outbuf) {
            Ok(0) if c.outbuf.is_empty() => return false,
            Ok(0) => return true,
            Ok(n) => {
                c.outbuf.drain(..n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
    false
}
