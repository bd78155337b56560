//! Hostile and broken clients (issue 12, "Abuse tests"): slow writers, huge declared sizes, malformed and oversized
//! requests, connection floods, descriptor exhaustion, output that is never read, and clients that die at every
//! awkward moment. Every scenario is bounded in count and time and runs on loopback only.
//!
//! Each checks three things while or after the abuse happens:
//! - a well-behaved client still gets PING answered (a [`Pinger`] thread pings every 100 ms; each PING may take up
//!   to 5 s, a generous bound on a shared machine: no latency is asserted);
//! - the server's resident memory (`VmRSS` of `/proc/PID/status`) stays under the stated bound: the configured limit
//!   plus a margin for the process itself (a debug build with its allocator arenas: [`RSS_MARGIN_MB`]);
//! - INFO counts what was rejected (`rejected_connections`, `total_error_replies`, `errorstat_*`) and the server log
//!   says why a client was closed, with Redis's wording.
//!
//! Where Redis's behaviour is deterministic the same scenario runs against Debian's redis-server (`oracle_*`
//! tests) or the bytes are compared with it directly. Client eviction (`maxmemory-clients`) has its own file,
//! `tests/operations/client_eviction.rs`; extreme numeric arguments are `tests/protocol/abuse_numeric.rs`; protected mode is
//! `tests/protocol/protected_mode.rs`.

use crate::common;

use common::watch::{
    assert_rss_below, int_field, raw_connect, read_until_close, wait_connected, Pinger, RSS_MARGIN_MB,
};
use common::{info_field, wait_for, Conn, KillOnDrop, Kind, Server};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

// ---- slow clients --------------------------------------------------------------------------------------------

/// One byte every 100 ms of a command (2.5 s in all): the others are served meanwhile, and the command runs once
/// its last byte arrives.
#[test]
fn slow_writer_one_byte_per_100ms() {
    let s = Server::ferredis();
    let pinger = Pinger::start(s.port);
    let mut slow = raw_connect(s.port);
    let cmd = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
    for &b in cmd.iter() {
        slow.write_all(&[b]).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut reply = [0u8; 11];
    slow.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"$5\r\nhello\r\n");
    pinger.finish("slow writer");
    assert_rss_below(&s, RSS_MARGIN_MB, "slow writer");
}

/// A 1 GB bulk declared (proto-max-bulk-len raised to allow it), a few bytes sent, then silence: nothing is
/// allocated for the bytes that never come, the client just waits, and the others are served.
#[test]
fn declared_1gb_bulk_then_silence() {
    let s = Server::start(Kind::Ferredis, &["--proto-max-bulk-len", "2gb"]);
    let pinger = Pinger::start(s.port);
    let mut c = s.conn();
    let mut big = raw_connect(s.port);
    big.write_all(b"*2\r\n$4\r\nECHO\r\n$1073741824\r\nabc").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    big.write_all(b"def").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // The address space may be reserved (Redis reserves it too), but untouched pages cost no RSS.
    assert_rss_below(&s, RSS_MARGIN_MB, "declared 1 GB bulk");
    let list = String::from_utf8_lossy(&c.cmd(&["CLIENT", "LIST"])).into_owned();
    // As Redis: the parsed lines in front of the big argument are not counted (checked against redis-server 7.0).
    assert!(list.contains(" qbuf=6 ") || list.contains(" qbuf=3 "), "the waiting client's query buffer: {list}");
    assert_eq!(int_field(&mut c, "clients", "connected_clients"), 3);
    pinger.finish("declared 1 GB bulk");
    // Without raising the limit, the same declaration is a protocol error (bytes compared in the table below).
    drop(big);
    wait_connected(&mut c, 1);
}

/// A client pipelining GETs of a 1 MB value and never reading: with `client-output-buffer-limit normal` it is
/// closed at the hard limit, logged with Redis's words; RSS stays within the limit plus the margin.
fn non_reading_pipeliner_hits_output_limit(kind: Kind) {
    let s = Server::start(kind, &["--client-output-buffer-limit", "normal 16mb 8mb 60"]);
    let mut c = s.conn();
    let value = vec![b'v'; 1 << 20];
    assert_eq!(c.cmd(&[&b"SET"[..], b"big", &value]), b"+OK\r\n");
    let pinger = Pinger::start(s.port);
    let mut hog = raw_connect(s.port);
    hog.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let get = common::encode_command(&["GET", "big"]);
    let mut closed = false;
    // 200 GETs = 200 MB of replies if nothing stopped them.
    for _ in 0..200 {
        if hog.write_all(&get).is_err() {
            closed = true;
            break;
        }
    }
    wait_for("the pipeliner to be closed", || int_field(&mut c, "clients", "connected_clients") == 2);
    if !closed {
        // Whatever the kernel buffered arrives, then the connection ends.
        let (_, ended) = read_until_close(&mut hog, 5000);
        assert!(ended, "{}: the pipeliner's connection is still open", kind.label());
    }
    pinger.finish("non-reading pipeliner");
    assert_rss_below(&s, 16 + RSS_MARGIN_MB, "non-reading pipeliner");
    // (Redis 7.0 has no INFO counter for output-buffer disconnections: the log says it, with the CLIENT LIST line.)
    let log = s.log_text();
    let line = log.lines().find(|l| l.contains("scheduled to be closed ASAP for overcoming of output buffer limits."));
    let line = line.unwrap_or_else(|| panic!("{}: no output-limit line in {log}", kind.label()));
    assert!(line.contains("# Client id=") && line.contains(" omem=") && line.contains(" cmd=get "), "{line}");
}

#[test]
fn non_reading_pipeliner_hits_output_limit_ferredis() {
    non_reading_pipeliner_hits_output_limit(Kind::Ferredis);
}

#[test]
fn oracle_non_reading_pipeliner_hits_output_limit() {
    if !crate::common::pair::have_redis() {
        return;
    }
    non_reading_pipeliner_hits_output_limit(Kind::Redis);
}

// ---- malformed requests, compared byte for byte with Redis ---------------------------------------------------

/// Requests with huge, negative, non-numeric and overflowing `*`/`$` lengths, inline lines past 64 KiB,
/// unbalanced quotes, NUL and CRLF inside arguments. Each goes on a fresh connection, followed by a PING; what
/// comes back (until the server closes or goes quiet) must be Redis's bytes, and INFO must count the same errors.
fn malformed_cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("multibulk 2^31-1", b"*2147483647\r\n".to_vec()),
        ("multibulk just over 1M", b"*1048577\r\n".to_vec()),
        ("multibulk 1M (allowed, waits)", b"*1048576\r\n".to_vec()),
        ("multibulk -1", b"*-1\r\n".to_vec()),
        ("multibulk -2^31-1", b"*-2147483649\r\n".to_vec()),
        ("multibulk non-numeric", b"*abc\r\n".to_vec()),
        ("multibulk overflowing", b"*99999999999999999999\r\n".to_vec()),
        ("multibulk empty", b"*\r\n".to_vec()),
        ("multibulk plus sign", b"*+1\r\n$4\r\nPING\r\n".to_vec()),
        ("multibulk zero", b"*0\r\n".to_vec()),
        ("bulk 2^31", b"*1\r\n$2147483648\r\n".to_vec()),
        ("bulk over 512MB", b"*1\r\n$536870913\r\n".to_vec()),
        ("bulk -1", b"*1\r\n$-1\r\n".to_vec()),
        ("bulk -5", b"*1\r\n$-5\r\n".to_vec()),
        ("bulk non-numeric", b"*1\r\n$abc\r\n".to_vec()),
        ("bulk overflowing", b"*1\r\n$99999999999999999999\r\n".to_vec()),
        ("bulk missing $", b"*1\r\nfoo\r\n".to_vec()),
        ("bulk empty length", b"*1\r\n$\r\n".to_vec()),
        ("multibulk line too long", [b"*".as_slice(), &[b'1'; 70000]].concat()),
        ("inline 100 KiB, no newline", vec![b'a'; 100 * 1024]),
        ("inline 60 KiB line", [vec![b'a'; 60 * 1024], b"\r\n".to_vec()].concat()),
        ("unbalanced double quote", b"SET k \"abc\r\n".to_vec()),
        ("unbalanced single quote", b"ECHO 'abc\r\n".to_vec()),
        ("closing quote not followed by space", b"ECHO \"a\"b\r\n".to_vec()),
        ("inline hex NUL", b"ECHO \"a\\x00b\"\r\n".to_vec()),
        ("inline raw NUL", b"ECHO a\x00b\r\n".to_vec()),
        ("inline starting with $", b"$3\r\nfoo\r\n".to_vec()),
        ("empty lines", b"\r\n\n\r\n".to_vec()),
        ("NUL and CRLF in a bulk", common::encode_command(&[&b"ECHO"[..], b"a\x00\r\nb\r\n"])),
        ("bulk not followed by CRLF", b"*2\r\n$4\r\nECHO\r\n$1\r\nxyz\r\n".to_vec()),
    ];
    // A SET whose value holds NUL and CRLF, read back.
    let mut set = common::encode_command(&[&b"SET"[..], b"k\x00\r\n", b"\r\n\x00\xff"]);
    set.extend_from_slice(&common::encode_command(&[&b"GET"[..], b"k\x00\r\n"]));
    v.push(("SET/GET with NUL and CRLF", set));
    v
}

fn malformed_transcripts(kind: Kind) -> (Vec<(String, Vec<u8>, bool)>, String) {
    let s = Server::start(kind, &[]);
    let mut out = Vec::new();
    for (name, payload) in malformed_cases() {
        let mut t = raw_connect(s.port);
        let _ = t.write_all(&payload);
        std::thread::sleep(Duration::from_millis(30));
        // After a protocol error the server has closed: the PING may fail to send, which is fine.
        let _ = t.write_all(b"PING\r\n");
        let (bytes, closed) = read_until_close(&mut t, 300);
        out.push((name.to_string(), bytes, closed));
    }
    let mut c = s.conn();
    let errors = format!(
        "total_error_replies:{}\n{}",
        info_field(&mut c, "stats", "total_error_replies"),
        String::from_utf8_lossy(&c.cmd(&["INFO", "errorstats"]))
    );
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    (out, errors)
}

#[test]
fn malformed_requests_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (ours, our_errors) = malformed_transcripts(Kind::Ferredis);
    let (theirs, their_errors) = malformed_transcripts(Kind::Redis);
    let mut diffs = Vec::new();
    for ((name, a, ca), (_, b, cb)) in ours.iter().zip(&theirs) {
        if a != b || ca != cb {
            diffs.push(format!(
                "{name}:\n  ferredis {} closed={ca}\n  redis    {} closed={cb}",
                common::escape(&a[..a.len().min(300)]),
                common::escape(&b[..b.len().min(300)])
            ));
        }
    }
    assert!(diffs.is_empty(), "differences from redis-server:\n{}", diffs.join("\n"));
    assert_eq!(our_errors, their_errors, "INFO error counters");
    assert!(our_errors.contains("errorstat_ERR:count="), "{our_errors}");
}

// ---- connection floods and descriptor exhaustion ------------------------------------------------------------

/// Raises this test process's descriptor limit so it can hold `n` sockets (the hard limit permitting).
#[allow(clippy::unnecessary_cast)] // `rlim_t` is u64 on Linux and macOS, i64 on FreeBSD
fn raise_own_nofile(n: u64) -> u64 {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit with a valid rlimit struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl);
        // `rlim_t` is u64 on Linux and i64 on the BSDs and macOS.
        let want = n as libc::rlim_t;
        if rl.rlim_cur < want {
            rl.rlim_cur = want.min(rl.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl);
    }
    rl.rlim_cur as u64
}

/// 2000 connections opened at once (some send half a command, some a PING, some nothing) and dropped: all are
/// accepted and freed, the others are served meanwhile, and memory comes back within the margin.
fn thousands_of_connections(kind: Kind) {
    const N: usize = 2000;
    let limit = raise_own_nofile(N as u64 + 256);
    assert!(limit >= N as u64 + 64, "this test needs {} descriptors, the hard limit allows {limit}", N + 64);
    let s = Server::start(kind, &[]);
    let mut c = s.conn();
    let pinger = Pinger::start(s.port);
    let mut socks = Vec::with_capacity(N);
    for i in 0..N {
        let mut t = raw_connect(s.port);
        match i % 3 {
            0 => t.write_all(b"PING\r\n").unwrap(),
            1 => t.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nab").unwrap(),
            _ => {}
        }
        socks.push(t);
    }
    wait_for("every connection accepted", || int_field(&mut c, "clients", "connected_clients") == N as i64 + 2);
    assert_rss_below(&s, RSS_MARGIN_MB + 64, "2000 connections");
    drop(socks);
    wait_connected(&mut c, 2);
    assert!(int_field(&mut c, "stats", "total_connections_received") >= N as i64 + 2);
    assert_eq!(int_field(&mut c, "stats", "rejected_connections"), 0);
    assert_eq!(c.cmd(&["EXISTS", "k"]), b":0\r\n", "a half-sent SET must not run");
    pinger.finish("connection flood");
    assert_rss_below(&s, RSS_MARGIN_MB + 64, "after the flood");
}

#[test]
fn thousands_of_connections_opened_and_dropped() {
    thousands_of_connections(Kind::Ferredis);
}

#[test]
fn oracle_thousands_of_connections_opened_and_dropped() {
    if !crate::common::pair::have_redis() {
        return;
    }
    thousands_of_connections(Kind::Redis);
}

/// The server started under `ulimit -n 64` with `maxclients 1000`: it lowers maxclients to 64 - 32 with Redis's
/// log lines, then answers the connections beyond it with `-ERR max number of clients reached` and counts them.
fn fd_exhaustion(kind: Kind) {
    use std::os::unix::process::CommandExt;
    let dir = common::TempDir::new("fd-exhaustion");
    let port = common::free_port();
    let log = dir.path().join("server.log");
    let bin = kind.bin();
    let mut cmd = std::process::Command::new(bin);
    cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--maxclients", "1000", "--logfile", log.to_str().unwrap()])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: the closure only calls setrlimit, which is async-signal-safe, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let rl = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn server");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut c = loop {
        if let Ok(c) = Conn::try_connect(port) {
            break c;
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!("{} exited ({st}): {}", kind.label(), std::fs::read_to_string(&log).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let _guard = KillOnDrop(child);
    assert_eq!(c.cmd(&["CONFIG", "GET", "maxclients"]), b"*2\r\n$10\r\nmaxclients\r\n$2\r\n32\r\n");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("You requested maxclients of 1000 requiring at least 1032 max file descriptors.")
            && text.contains(
                "Current maximum open files is 64. maxclients has been reduced to 32 to compensate for low \
                 ulimit. If you need higher maxclients increase 'ulimit -n'."
            ),
        "{}: {text}",
        kind.label()
    );
    // 31 more fit beside `c`; 9 of these 40 are turned away.
    let mut socks: Vec<TcpStream> = (0..40).map(|_| raw_connect(port)).collect();
    let mut rejected = 0;
    for t in socks.iter_mut() {
        let _ = t.write_all(b"PING\r\n");
        let (bytes, closed) = read_until_close(t, 300);
        if bytes == b"-ERR max number of clients reached\r\n" {
            assert!(closed, "a rejected connection stays open");
            rejected += 1;
        } else {
            assert_eq!(bytes, b"+PONG\r\n", "{}", kind.label());
        }
    }
    assert_eq!(rejected, 9, "{}", kind.label());
    assert_eq!(int_field(&mut c, "stats", "rejected_connections"), 9);
    assert_eq!(int_field(&mut c, "clients", "connected_clients"), 32);
    drop(socks);
    wait_connected(&mut c, 1);
    // The descriptors came back: new connections are served again.
    let mut again = Conn::connect(port);
    assert_eq!(again.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn fd_exhaustion_lowers_maxclients_and_rejects() {
    fd_exhaustion(Kind::Ferredis);
}

#[test]
fn oracle_fd_exhaustion_lowers_maxclients_and_rejects() {
    if !crate::common::pair::have_redis() {
        return;
    }
    fd_exhaustion(Kind::Redis);
}

// ---- clients dying at awkward moments -----------------------------------------------------------------------

fn clients_dying(kind: Kind) {
    let s = Server::start(kind, &[]);
    let mut c = s.conn();
    let pinger = Pinger::start(s.port);
    let base = 2;

    // Mid-command: half a SET, then gone. Nothing runs.
    let mut t = raw_connect(s.port);
    t.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(t);
    wait_connected(&mut c, base);
    assert_eq!(c.cmd(&["EXISTS", "k"]), b":0\r\n");

    // While blocked: the BLPOP disappears with its client; a later push stays in the list.
    let mut b = Conn::connect(s.port);
    b.send(&["BLPOP", "q", "0"]).unwrap();
    common::wait_blocked(&mut c, 1);
    drop(b);
    common::wait_blocked(&mut c, 0);
    wait_connected(&mut c, base);
    assert_eq!(c.cmd(&["LPUSH", "q", "x"]), b":1\r\n");
    assert_eq!(c.cmd(&["LLEN", "q"]), b":1\r\n");

    // Inside MULTI: the queued commands never run.
    let mut m = Conn::connect(s.port);
    assert_eq!(m.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(m.cmd(&["SET", "m", "1"]), b"+QUEUED\r\n");
    drop(m);
    wait_connected(&mut c, base);
    assert_eq!(c.cmd(&["EXISTS", "m"]), b":0\r\n");

    // Mid-reply: an 8 MB reply requested, a few bytes read, then gone.
    let big = vec![b'z'; 8 << 20];
    assert_eq!(c.cmd(&[&b"SET"[..], b"big", &big]), b"+OK\r\n");
    for _ in 0..3 {
        let mut r = raw_connect(s.port);
        r.write_all(&common::encode_command(&["GET", "big"]).repeat(4)).unwrap();
        let mut head = [0u8; 64];
        r.read_exact(&mut head).unwrap();
        assert_eq!(&head[..10], b"$8388608\r\n");
        drop(r);
    }
    wait_connected(&mut c, base);
    assert_rss_below(&s, 8 * 5 + RSS_MARGIN_MB, "clients dying mid-reply");

    // Half-close: the requests sent before shutdown(SHUT_WR) are still answered, then the server closes.
    let mut h = raw_connect(s.port);
    h.write_all(&[common::encode_command(&["SET", "hk", "v"]), b"PING\r\n".to_vec()].concat()).unwrap();
    h.shutdown(Shutdown::Write).unwrap();
    let (bytes, closed) = read_until_close(&mut h, 5000);
    assert_eq!(bytes, b"+OK\r\n+PONG\r\n", "{}", kind.label());
    assert!(closed, "{}: half-closed connection not closed by the server", kind.label());
    wait_connected(&mut c, base);
    assert_eq!(c.cmd(&["GET", "hk"]), b"$1\r\nv\r\n");

    pinger.finish("clients dying");
    assert_eq!(int_field(&mut c, "stats", "rejected_connections"), 0);
}

#[test]
fn clients_dying_at_awkward_moments() {
    clients_dying(Kind::Ferredis);
}

#[test]
fn oracle_clients_dying_at_awkward_moments() {
    if !crate::common::pair::have_redis() {
        return;
    }
    clients_dying(Kind::Redis);
}

/// Over the soft output limit (`normal 0 2mb 1`) and then silent: nothing more is appended to its output, so the
/// cron has to notice that it stayed above the limit for more than a second (Redis checks every client in
/// clientsCron). Meanwhile INFO's `client_recent_max_output_buffer` shows the big buffer.
fn soft_output_limit_closes_idle_client(kind: Kind) {
    let s = Server::start(kind, &["--client-output-buffer-limit", "normal 0 2mb 1"]);
    let mut c = s.conn();
    let value = vec![b'v'; 1 << 20];
    assert_eq!(c.cmd(&[&b"SET"[..], b"big", &value]), b"+OK\r\n");
    let mut hog = raw_connect(s.port);
    // Enough that the kernel's socket buffers cannot take it all: several MB stay in the server's output.
    for _ in 0..16 {
        hog.write_all(&common::encode_command(&["GET", "big"])).unwrap();
    }
    wait_for("a big output buffer", || int_field(&mut c, "clients", "client_recent_max_output_buffer") > 2 << 20);
    wait_for("the idle client over the soft limit to be closed", || {
        int_field(&mut c, "clients", "connected_clients") == 1
    });
    // Closed from the cron: Redis frees it at once and says so with the client's CLIENT LIST line.
    let log = s.log_text();
    assert!(log.contains("# Client id=") && log.contains(" closed for overcoming of output buffer limits."), "{log}");
}

#[test]
fn soft_output_limit_closes_idle_client_ferredis() {
    soft_output_limit_closes_idle_client(Kind::Ferredis);
}

#[test]
fn oracle_soft_output_limit_closes_idle_client() {
    if !crate::common::pair::have_redis() {
        return;
    }
    soft_output_limit_closes_idle_client(Kind::Redis);
}

/// The same non-reading pipeliner under the default limits (no output limit for normal clients, no
/// `maxmemory-clients`): its output simply grows, as in Redis, and CLIENT LIST's `omem`/`tot-mem` and the RSS show
/// it (24 replies of 1 MB: at least 12 MB held by the server whatever the kernel buffers took; RSS below 24 MB
/// plus the margin).
fn non_reading_pipeliner_default_limits(kind: Kind) {
    let s = Server::start(kind, &[]);
    let mut c = s.conn();
    let value = vec![b'v'; 1 << 20];
    assert_eq!(c.cmd(&[&b"SET"[..], b"big", &value]), b"+OK\r\n");
    let mut hog = raw_connect(s.port);
    hog.write_all(&common::encode_command(&["GET", "big"]).repeat(24)).unwrap();
    let tot_mem = |c: &mut Conn| -> u64 {
        let list = String::from_utf8_lossy(&c.cmd(&["CLIENT", "LIST"])).into_owned();
        list.lines()
            .find(|l| l.contains(" cmd=get "))
            .and_then(|l| l.split(' ').find_map(|f| f.strip_prefix("tot-mem=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    wait_for("the pipeliner's output to pile up", || tot_mem(&mut c) >= 12 << 20);
    assert_eq!(int_field(&mut c, "clients", "connected_clients"), 2, "{}: nothing closes it", kind.label());
    assert_rss_below(&s, 24 + RSS_MARGIN_MB, "non-reading pipeliner, default limits");
    // Once it reads, everything arrives.
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let expected = 24 * ((1 << 20) + "$1048576\r\n\r\n".len());
    while got < expected {
        let n = hog.read(&mut buf).unwrap();
        assert!(n > 0, "{}: EOF after {got} bytes", kind.label());
        got += n;
    }
    assert_eq!(got, expected);
}

#[test]
fn non_reading_pipeliner_grows_under_default_limits() {
    non_reading_pipeliner_default_limits(Kind::Ferredis);
}

#[test]
fn oracle_non_reading_pipeliner_grows_under_default_limits() {
    if !crate::common::pair::have_redis() {
        return;
    }
    non_reading_pipeliner_default_limits(Kind::Redis);
}

/// CLIENT LIST's `cmd=` names the last command looked up even when it was refused (wrong arity: the command's
/// name; an unknown command or subcommand: NULL), as Redis sets `lastcmd` before its checks.
#[test]
fn refused_commands_show_in_client_list_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut seen = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let s = Server::start(kind, &[]);
        let mut c = s.conn();
        let mut admin = s.conn();
        let me = String::from_utf8_lossy(&c.cmd(&["CLIENT", "ID"])).trim_start_matches(':').trim().to_string();
        let mut names = Vec::new();
        for args in
            [&["GET"][..], &["CLIENT"], &["CLIENT", "FOO"], &["FOOO"], &["CLIENT", "ID"], &["CLIENT", "ID", "X"]]
        {
            c.cmd(args);
            let line = admin.cmd(&["CLIENT", "LIST", "ID", &me]);
            let line = String::from_utf8_lossy(&line).to_string();
            names.push(line.split(" cmd=").nth(1).and_then(|r| r.split(' ').next()).unwrap_or("?").to_string());
        }
        seen.push(names);
    }
    assert_eq!(seen[0], ["get", "client", "NULL", "NULL", "client|id", "client|id"]);
    assert_eq!(seen[1], seen[0], "ferredis vs Redis");
}
