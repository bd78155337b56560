//! Connection limits, unix sockets, signals, pid file, log file and daemonizing, against the real binary.

use crate::common;
use common::net as net_support;
use net_support::{temp_dir, Conn, Server};
use std::time::{Duration, Instant};

#[test]
fn maxclients_rejects_extra_connections() {
    let s = Server::start(&["--maxclients", "2"]);
    // The readiness probe's connection may not be reaped yet: retry until two clients are in.
    let accepted = |s: &Server| loop {
        let mut c = s.connect();
        c.cmd(&[b"GET", b"k"]);
        if c.read_line() == b"$-1\r\n" {
            return c;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let a = accepted(&s);
    let _b = accepted(&s);
    let mut c = s.connect();
    assert_eq!(String::from_utf8_lossy(&c.read_to_eof()), "-ERR max number of clients reached\r\n");
    // A slot frees up when a client leaves.
    drop(a);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut d = s.connect();
        d.cmd(&[b"GET", b"k"]);
        let got = d.read_to_eof_or_line();
        if got == b"$-1\r\n" {
            break;
        }
        assert_eq!(String::from_utf8_lossy(&got), "-ERR max number of clients reached\r\n");
        assert!(Instant::now() < deadline, "slot never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

trait LineOrEof {
    fn read_to_eof_or_line(&mut self) -> Vec<u8>;
}
impl LineOrEof for Conn {
    fn read_to_eof_or_line(&mut self) -> Vec<u8> {
        self.read_line()
    }
}

#[test]
fn query_buffer_limit_closes_the_client() {
    let s = Server::start(&["--client-query-buffer-limit", "1048576"]);
    let mut c = s.connect();
    // A bulk announced bigger than the limit, sent partially: the buffer outgrows the limit before completion.
    c.send(b"*2\r\n$3\r\nGET\r\n$4000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    let mut closed = false;
    for _ in 0..60 {
        if c.s.write_all(&chunk).is_err() {
            closed = true;
            break;
        }
    }
    if !closed {
        assert!(c.read_to_eof().is_empty());
    }
    let mut other = s.connect();
    other.cmd(&[b"GET", b"k"]);
    other.expect(b"$-1\r\n");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s.log_text().contains("Closing client that reached max query buffer length") {
        assert!(Instant::now() < deadline, "no log line:\n{}", s.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
}

use std::io::Write;

#[test]
fn idle_clients_time_out() {
    let s = Server::start(&["--timeout", "1"]);
    let mut c = s.connect();
    c.cmd(&[b"GET", b"k"]);
    c.expect(b"$-1\r\n");
    // The server closes the idle connection after more than a second; read blocks until then.
    assert!(c.read_to_eof().is_empty());
}

#[test]
fn unix_socket_with_permissions() {
    let dir = temp_dir("unix");
    let path = dir.join("ferredis.sock");
    let p = path.to_str().unwrap();
    let s = Server::start(&["--unixsocket", p, "--unixsocketperm", "700"]);
    use std::os::unix::fs::PermissionsExt;
    // The TCP listener may answer before the unix socket exists: wait (bounded) for the socket file.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let mut c = Conn::from_unix(std::os::unix::net::UnixStream::connect(&path).unwrap());
    c.cmd(&[b"GET", b"k"]);
    c.expect(b"$-1\r\n");
    c.send(b"GET a b\r\n");
    c.expect(b"-ERR wrong number of arguments for 'get' command\r\n");
    // TCP keeps working alongside.
    let mut t = s.connect();
    t.cmd(&[b"GET", b"k"]);
    t.expect(b"$-1\r\n");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let dir = temp_dir("term");
    let sock = dir.join("s.sock");
    let pidfile = dir.join("s.pid");
    let mut s = Server::start(&["--unixsocket", sock.to_str().unwrap(), "--pidfile", pidfile.to_str().unwrap()]);
    let pid_text = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(pid_text.trim(), s.pid().to_string());
    let mut c = s.connect();
    c.cmd(&[b"GET", b"k"]);
    c.expect(b"$-1\r\n");
    s.signal(libc::SIGTERM);
    assert_eq!(s.wait_exit(), Some(0));
    assert!(!sock.exists(), "unix socket file removed");
    assert!(!pidfile.exists(), "pid file removed");
    let log = s.log_text();
    assert!(log.contains(":signal-handler ("), "{log}");
    assert!(log.contains("Received SIGTERM scheduling shutdown..."), "{log}");
    assert!(log.contains("# User requested shutdown..."), "{log}");
    assert!(log.contains("* Removing the pid file."), "{log}");
    assert!(log.contains("* Removing the unix socket file."), "{log}");
    assert!(log.contains("is now ready to exit, bye bye..."), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigint_shuts_down_too() {
    let mut s = Server::start(&[]);
    s.signal(libc::SIGINT);
    assert_eq!(s.wait_exit(), Some(0));
    assert!(s.log_text().contains("Received SIGINT scheduling shutdown..."));
}

#[test]
fn startup_log_lines_have_redis_format() {
    let s = Server::start(&[]);
    // The line may be written just after the listener opens.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s.log_text().contains("Ready to accept connections") {
        assert!(Instant::now() < deadline, "no ready line");
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = s.log_text();
    let ready = log.lines().find(|l| l.contains("Ready to accept connections")).expect("ready line");
    // "<pid>:M <dd> <Mon> <yyyy> <hh:mm:ss.mmm> * Ready to accept connections"
    let mut parts = ready.split(' ');
    assert_eq!(parts.next().unwrap(), format!("{}:M", s.pid()));
    let day = parts.next().unwrap();
    assert!(day.len() == 2 && day.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(parts.next().unwrap().len(), 3);
    assert_eq!(parts.next().unwrap().len(), 4);
    assert_eq!(parts.next().unwrap().len(), 12);
    assert_eq!(parts.next().unwrap(), "*");
    assert!(log.contains("# Server initialized"));
}

#[test]
fn daemonize_detaches_and_writes_pidfile() {
    let dir = temp_dir("daemon");
    let pidfile = dir.join("d.pid");
    let log = dir.join("d.log");
    let port = net_support::free_port();
    let status = std::process::Command::new(net_support::server_bin())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", ""])
        .args(["--pidfile", pidfile.to_str().unwrap(), "--logfile", log.to_str().unwrap()])
        .status()
        .unwrap();
    // The foreground process exits at once; the daemon keeps serving.
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut conn = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            break Conn::new(s);
        }
        assert!(Instant::now() < deadline, "daemon not reachable");
        std::thread::sleep(Duration::from_millis(20));
    };
    conn.cmd(&[b"GET", b"k"]);
    conn.expect(b"$-1\r\n");
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    // SAFETY: kill(2) on the daemon this test started (its pid comes from its own pid file).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    while pidfile.exists() {
        assert!(Instant::now() < deadline, "daemon did not shut down");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(std::fs::read_to_string(&log).unwrap().contains("bye bye"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn optional_bind_address_may_be_unavailable() {
    // 192.0.2.1 (TEST-NET-1) is not a local address: optional, so skipped; 127.0.0.1 still serves.
    let port = net_support::free_port();
    let dir = temp_dir("bind");
    let log = dir.join("b.log");
    let mut child = std::process::Command::new(net_support::server_bin())
        .args(["--port", &port.to_string(), "--bind", "-192.0.2.1", "127.0.0.1", "--save", ""])
        .args(["--logfile", log.to_str().unwrap()])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut conn = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            break Conn::new(s);
        }
        assert!(Instant::now() < deadline, "not reachable");
        std::thread::sleep(Duration::from_millis(20));
    };
    conn.cmd(&[b"GET", b"k"]);
    conn.expect(b"$-1\r\n");
    let _ = child.kill();
    let _ = child.wait();
    assert!(std::fs::read_to_string(&log).unwrap().contains("Could not create server TCP listening socket 192.0.2.1"));
    // A mandatory unavailable address is fatal.
    let st = std::process::Command::new(net_support::server_bin())
        .args(["--port", &port.to_string(), "--bind", "192.0.2.1"])
        .args(["--logfile", log.to_str().unwrap()])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A local address other than loopback, if the machine has one.
fn non_loopback_local_ip() -> Option<std::net::IpAddr> {
    let u = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    u.connect("192.0.2.200:9").ok()?;
    let ip = u.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn protected_mode_denies_non_loopback_clients_without_password() {
    let Some(ip) = non_loopback_local_ip() else { return };
    let s = Server::start(&["--bind", "0.0.0.0", "--protected-mode", "yes"]);
    let mut remote = Conn::new(std::net::TcpStream::connect((ip, s.port)).unwrap());
    remote.send(b"PING\r\n");
    let got = String::from_utf8(remote.read_to_eof()).unwrap();
    assert!(got.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled"), "{got}");
    assert!(got.ends_with("in order for the server to start accepting connections from the outside.\r\n"));
    // Loopback clients are fine.
    let mut local = s.connect();
    local.send(b"PING\r\n");
    local.expect(b"+PONG\r\n");
    // With protected mode off, the remote client is served.
    local.send(b"CONFIG SET protected-mode no\r\n");
    local.expect(b"+OK\r\n");
    let mut remote = Conn::new(std::net::TcpStream::connect((ip, s.port)).unwrap());
    remote.send(b"PING\r\n");
    remote.expect(b"+PONG\r\n");
}

#[test]
fn output_buffer_hard_limit_closes_the_client() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.send(b"CONFIG SET client-output-buffer-limit \"normal 100kb 0 0\"\r\n");
    c.expect(b"+OK\r\n");
    let value = vec![b'v'; 50_000];
    c.cmd(&[b"SET", b"big", &value]);
    c.expect(b"+OK\r\n");
    // One pipeline whose replies pile up past the hard limit before anything can be written.
    let mut req = Vec::new();
    for _ in 0..20 {
        req.extend_from_slice(b"GET big\r\n");
    }
    c.send(&req);
    let got = c.read_to_eof();
    assert!(got.len() < 20 * 50_000, "connection was closed before all replies");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s.log_text().contains("scheduled to be closed ASAP for overcoming of output buffer limits") {
        assert!(Instant::now() < deadline, "{}", s.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut other = s.connect();
    other.send(b"PING\r\n");
    other.expect(b"+PONG\r\n");
}

#[test]
fn maxclients_is_lowered_to_fit_the_open_files_limit() {
    // Needs util-linux's prlimit to start the server under a small descriptor limit.
    if std::process::Command::new("prlimit").arg("--version").output().is_err() {
        return;
    }
    let port = net_support::free_port();
    let dir = temp_dir("nofile");
    let log = dir.join("n.log");
    let mut child = std::process::Command::new("prlimit")
        .args(["--nofile=256:256", "--"])
        .arg(net_support::server_bin())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--maxclients", "10000"])
        .args(["--logfile", log.to_str().unwrap()])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut conn = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            break Conn::new(s);
        }
        assert!(Instant::now() < deadline, "not reachable");
        std::thread::sleep(Duration::from_millis(20));
    };
    conn.send(b"CONFIG GET maxclients\r\n");
    conn.expect(b"*2\r\n$10\r\nmaxclients\r\n$3\r\n224\r\n");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("# You requested maxclients of 10000 requiring at least 10032 max file descriptors."));
    assert!(text.contains(
        "# Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit."
    ));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `always-show-logo yes` prints the banner with Redis's lines; harnesses wait for its ` PID: <pid>` line.
#[test]
fn logo_shows_port_and_pid() {
    let s = Server::start(&["--always-show-logo", "yes"]);
    let log = s.log_text();
    assert!(log.contains(&format!(" PID: {}\n", s.pid())), "{log}");
    assert!(log.contains(&format!(" Port: {}\n", s.port)) && log.contains(" Running in standalone mode\n"), "{log}");
    assert!(log.contains(" 64 bit\n"), "{log}");
    assert!(!log.contains("Running mode=standalone"), "{log}");
    let plain = Server::start(&[]);
    assert!(plain.log_text().contains("Running mode=standalone, port="));
}
