//! The abuse tests' watchers: a well-behaved client that keeps pinging while a test misbehaves, the server's
//! resident memory, and small raw-socket helpers.

use super::{info_field, wait_for, Conn, Server};
use std::io::Read;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Resident memory a server may use beyond the configured limits: the process, its tables and allocator arenas.
pub const RSS_MARGIN_MB: u64 = 64;
/// How long one PING of the well-behaved client may take (generous: the machine is shared; no latency is asserted).
pub const PING_TIMEOUT_MS: u64 = 5000;

/// `VmRSS` of a process in KiB.
pub fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

pub fn assert_rss_below(s: &Server, limit_mb: u64, what: &str) {
    let rss = rss_kb(s.pid());
    assert!(rss < limit_mb * 1024, "{what}: {} RSS {rss} kB is over {limit_mb} MB", s.kind.label());
}

/// A well-behaved client pinging every 100 ms on its own connection until stopped.
pub struct Pinger {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Result<usize, String>>>,
}

impl Pinger {
    pub fn start(port: u16) -> Pinger {
        Pinger::start_with(port, false)
    }

    /// A pinger that first turns `CLIENT NO-EVICT on`, for tests where client eviction must not pick it.
    pub fn start_no_evict(port: u16) -> Pinger {
        Pinger::start_with(port, true)
    }

    fn start_with(port: u16, no_evict: bool) -> Pinger {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut c = Conn::try_connect(port).map_err(|e| format!("connect: {e}"))?;
            c.set_read_timeout_ms(PING_TIMEOUT_MS);
            if no_evict {
                c.try_cmd(&["CLIENT", "NO-EVICT", "on"]).map_err(|e| format!("CLIENT NO-EVICT: {e}"))?;
            }
            let mut answered = 0;
            // At least one PING, and one more after the stop request: a scenario shorter than the period still
            // proves the server answered while (and right after) it ran.
            loop {
                let last = flag.load(Ordering::Relaxed);
                match c.try_cmd(&["PING"]) {
                    Ok(r) if r == b"+PONG\r\n" => answered += 1,
                    Ok(r) => return Err(format!("PING answered {:?}", String::from_utf8_lossy(&r))),
                    Err(e) => return Err(format!("PING not answered within {PING_TIMEOUT_MS} ms: {e}")),
                }
                if last {
                    return Ok(answered);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Pinger { stop, handle: Some(handle) }
    }

    /// Stops the pinger and asserts every PING was answered (at least one).
    pub fn finish(mut self, what: &str) {
        self.stop.store(true, Ordering::Relaxed);
        let res = self.handle.take().map(|h| h.join().expect("pinger thread"));
        match res {
            Some(Ok(n)) => assert!(n > 0, "{what}: no PING was answered"),
            Some(Err(e)) => panic!("{what}: well-behaved client: {e}"),
            None => {}
        }
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub fn int_field(c: &mut Conn, section: &str, field: &str) -> i64 {
    info_field(c, section, field).trim().parse().unwrap_or_else(|_| panic!("{field} is not a number"))
}

pub fn wait_connected(c: &mut Conn, n: i64) {
    wait_for(&format!("{n} connected clients"), || int_field(c, "clients", "connected_clients") == n);
}

pub fn raw_connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(PING_TIMEOUT_MS))).unwrap();
    s
}

/// Reads until EOF, a reset, or `idle_ms` without data. Returns the bytes and whether the connection ended.
pub fn read_until_close(s: &mut TcpStream, idle_ms: u64) -> (Vec<u8>, bool) {
    s.set_read_timeout(Some(Duration::from_millis(idle_ms))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (out, false)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return (out, true),
        }
    }
}
