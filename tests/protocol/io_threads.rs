//! `io-threads 4` with `io-threads-do-reads yes` (issue 33): many clients at once so the I/O threads really run
//! (they are used only while at least 2 clients per thread have output in a pass), checking every reply byte for
//! byte: a 1000-client stress with disconnects and CLIENT KILL, protocol edge cases compared with Debian's
//! redis-server, and the directives themselves.
use crate::common;

use common::{encode_command, escape, frame_len, info_field, Conn, Kind, Pair, Server, TempDir};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

const THREADED: &[&str] = &["--io-threads", "4", "--io-threads-do-reads", "yes"];

fn threaded(extra: &[&str]) -> Server {
    let mut args = THREADED.to_vec();
    args.extend_from_slice(extra);
    Server::start(Kind::Ferredis, &args)
}

fn stream(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect {port}: {e}"));
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

/// Reads exactly `n` bytes (panics on EOF or timeout, naming `what`).
fn read_n(s: &mut TcpStream, n: usize, what: &str) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match s.read(&mut out[got..]) {
            Ok(0) => panic!("{what}: connection closed after {got} of {n} bytes: {}", escape(&out[..got.min(300)])),
            Ok(k) => got += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("{what}: read after {got} of {n} bytes: {e}"),
        }
    }
    out
}

fn bulk(v: &[u8]) -> Vec<u8> {
    let mut o = format!("${}\r\n", v.len()).into_bytes();
    o.extend_from_slice(v);
    o.extend_from_slice(b"\r\n");
    o
}

fn info_u64(c: &mut Conn, section: &str, field: &str) -> u64 {
    info_field(c, section, field).trim().parse().unwrap_or_else(|e| panic!("{field}: {e}"))
}

/// Polls until `connected_clients` is `n` (a generous deadline: 1000 closes may take a few passes).
fn wait_connected(c: &mut Conn, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = info_u64(c, "clients", "connected_clients");
        if now == n {
            return;
        }
        assert!(Instant::now() < deadline, "connected_clients stays at {now}, expected {n}: a client leaked");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A value whose length and bytes depend on where it is used (lengths from 0 to ~4 KB: some replies span writes).
fn value(c: usize, round: usize, j: usize) -> Vec<u8> {
    let len = (c * 7 + round * 131 + j * 311) % 4100;
    let tag = format!("v{c}:{round}:{j}:");
    tag.bytes().chain((0..len).map(|i| b'a' + ((i + c + j) % 26) as u8)).collect()
}

const REGULAR: usize = 900;
const DISCONNECTING: usize = 50;
const KILLED: usize = 50;
const DRIVERS: usize = 8;
const ROUNDS: usize = 5;
const PER_BATCH: usize = 10;

/// One regular client's whole life: ROUNDS pipelined batches of SET/GET/INCR on its own keys, each reply checked
/// byte for byte, then a PING proving nothing extra (a duplicated reply) is left in the stream.
fn regular_clients(port: u16, ids: std::ops::Range<usize>, start: &Barrier) {
    let mut conns: Vec<(usize, TcpStream)> = ids.map(|c| (c, stream(port))).collect();
    start.wait();
    for round in 0..ROUNDS {
        let mut wants = Vec::with_capacity(conns.len());
        // Every client's batch goes out before any reply is read: the server has them all pending at once.
        for (c, s) in conns.iter_mut() {
            let c = *c;
            let mut req = Vec::new();
            let mut want = Vec::new();
            for j in 0..PER_BATCH {
                let key = format!("k:{c}:{round}:{j}");
                let v = value(c, round, j);
                req.extend(encode_command(&[b"SET".as_slice(), key.as_bytes(), &v]));
                want.extend_from_slice(b"+OK\r\n");
                req.extend(encode_command(&["GET", &key]));
                want.extend(bulk(&v));
                req.extend(encode_command(&["INCR", &format!("cnt:{c}")]));
                want.extend(format!(":{}\r\n", round * PER_BATCH + j + 1).into_bytes());
            }
            s.write_all(&req).unwrap_or_else(|e| panic!("client {c} round {round}: write: {e}"));
            wants.push(want);
        }
        for ((c, s), want) in conns.iter_mut().zip(wants) {
            let got = read_n(s, want.len(), &format!("client {c} round {round}"));
            if got != want {
                let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
                let from = at.saturating_sub(40);
                panic!(
                    "client {c} round {round}: replies differ at byte {at}: got {} want {}",
                    escape(&got[from..(at + 80).min(got.len())]),
                    escape(&want[from..(at + 80).min(want.len())])
                );
            }
        }
    }
    for (c, s) in conns.iter_mut() {
        s.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
        assert_eq!(read_n(s, 7, &format!("client {c} final PING")), b"+PONG\r\n", "client {c}: stray bytes");
    }
}

/// Clients that send a big pipeline (replies of megabytes) and close before reading all, or any, of it.
fn disconnecting_clients(port: u16, start: &Barrier) {
    let big = vec![b'x'; 64 * 1024];
    let mut conns = Vec::new();
    for d in 0..DISCONNECTING {
        let mut s = stream(port);
        let key = format!("big:{d}");
        s.write_all(&encode_command(&[b"SET".as_slice(), key.as_bytes(), &big])).unwrap();
        assert_eq!(read_n(&mut s, 5, "SET big"), b"+OK\r\n");
        conns.push((d, s));
    }
    start.wait();
    for (d, s) in conns.iter_mut() {
        let mut req = Vec::new();
        for i in 0..150 {
            req.extend(encode_command(&["GET", &format!("big:{d}")]));
            if i % 3 == 0 {
                req.extend(encode_command(&["INCR", &format!("dcnt:{d}")]));
            }
        }
        s.write_all(&req).unwrap();
    }
    for (d, mut s) in conns {
        if d % 2 == 0 {
            // Part of the first reply, then gone with megabytes still owed.
            let _ = read_n(&mut s, 1000, "partial read");
        }
        drop(s);
    }
}

/// Clients that pipeline INCRs until another connection kills them with CLIENT KILL ID; what each received must
/// be an exact prefix of the replies owed, and its counter at least what it saw acknowledged.
fn killed_clients(
    port: u16,
    start: &Barrier,
    ids: &Mutex<Vec<u64>>,
    batches: &[AtomicUsize],
) -> Vec<(usize, u64, u64)> {
    let mut results = Vec::new();
    let mut conns = Vec::new();
    for k in 0..KILLED {
        let mut s = stream(port);
        s.write_all(b"*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n").unwrap();
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            line.extend(read_n(&mut s, 1, "CLIENT ID"));
        }
        let id: u64 = std::str::from_utf8(&line[1..line.len() - 2]).unwrap().parse().unwrap();
        ids.lock().unwrap().push(id);
        conns.push((k, s));
    }
    start.wait();
    // Round-robin over the targets so every one keeps a pipeline in flight until it is killed.
    let mut live: Vec<(usize, TcpStream, u64, u64, Vec<u8>)> =
        conns.into_iter().map(|(k, s)| (k, s, 0u64, 0u64, Vec::new())).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let batch = 40;
    while !live.is_empty() {
        assert!(Instant::now() < deadline, "{} clients were never killed", live.len());
        let mut i = 0;
        while i < live.len() {
            let (k, s, sent, acked, pending) = &mut live[i];
            let key = format!("kcnt:{k}");
            let mut req = Vec::new();
            for _ in 0..batch {
                req.extend(encode_command(&["INCR", &key]));
            }
            let mut ended = s.write_all(&req).is_err();
            if !ended {
                *sent += batch;
            }
            // Read this batch's replies (or whatever arrives before the connection ends).
            let mut chunk = [0u8; 4096];
            while !ended && *acked < *sent {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => ended = true,
                    Ok(n) => {
                        pending.extend_from_slice(&chunk[..n]);
                        // Each complete reply must be the next INCR's value: no loss, no duplicate, no reorder.
                        while let Ok(Some(len)) = frame_len(pending) {
                            let want = format!(":{}\r\n", *acked + 1);
                            assert_eq!(
                                escape(&pending[..len]),
                                escape(want.as_bytes()),
                                "killed client {k}: reply {}",
                                *acked + 1
                            );
                            pending.drain(..len);
                            *acked += 1;
                        }
                    }
                }
            }
            if ended {
                // A cut reply is possible (the kill came mid-write) but it must be the start of the next one.
                let want = format!(":{}\r\n", *acked + 1);
                assert!(want.as_bytes().starts_with(pending), "killed client {k}: trailing {}", escape(pending));
                let (k, _, sent, acked, _) = live.swap_remove(i);
                results.push((k, sent, acked));
            } else {
                batches[*k].fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }
    }
    results
}

#[test]
fn stress_1000_clients_pipelining_disconnecting_and_killed() {
    stress(threaded(&["--maxclients", "4000"]), true);
}

/// The same with `io-threads-do-reads no`: reads on the main thread, writes fanned out to the threads (Redis
/// 7.0's default split; a design of its own here, see README "Threaded I/O").
#[test]
fn stress_with_threaded_writes_only() {
    let args = ["--maxclients", "4000", "--io-threads", "4", "--io-threads-do-reads", "no"];
    stress(Server::start(Kind::Ferredis, &args), false);
}

fn stress(srv: Server, threaded_reads: bool) {
    let port = srv.port;
    let mut ctl = srv.conn();
    // The harness's readiness probe may still be closing (an I/O thread notices the end of its stream a little
    // later): only `ctl` is connected once that is done.
    wait_connected(&mut ctl, 1);
    let baseline = 1;
    // The loops are switched on by sustained load (two 100 ms periods with enough busy clients and CPU), which the
    // stress's own clients may not give a server sharing 2 cores with them: a background load switches them on
    // first and keeps them on.
    let load = threaded_reads.then(|| {
        let load = Load::start(port, None);
        wait_threads_ran(&mut ctl);
        load
    });
    let start = Barrier::new(DRIVERS + 3);
    let ids = Mutex::new(Vec::new());
    let batches: Vec<AtomicUsize> = (0..KILLED).map(|_| AtomicUsize::new(0)).collect();
    let killed = std::thread::scope(|sc| {
        let per = REGULAR / DRIVERS;
        let drivers: Vec<_> = (0..DRIVERS)
            .map(|d| {
                let start = &start;
                let hi = if d + 1 == DRIVERS { REGULAR } else { (d + 1) * per };
                sc.spawn(move || regular_clients(port, d * per..hi, start))
            })
            .collect();
        let disc = sc.spawn(|| disconnecting_clients(port, &start));
        let victims = sc.spawn(|| killed_clients(port, &start, &ids, &batches));
        let killer = sc.spawn(|| {
            let mut c = Conn::connect(port);
            start.wait();
            let ids = ids.lock().unwrap().clone();
            assert_eq!(ids.len(), KILLED);
            for (k, id) in ids.iter().enumerate() {
                // Each victim is killed while it pipelines (after a couple of its batches went through).
                let deadline = Instant::now() + Duration::from_secs(120);
                while batches[k].load(Ordering::Relaxed) < 2 {
                    assert!(Instant::now() < deadline, "victim {k} made no progress");
                    std::thread::sleep(Duration::from_millis(2));
                }
                assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]), b":1\r\n", "CLIENT KILL ID {id}");
            }
        });
        for d in drivers {
            d.join().expect("a regular client failed");
        }
        disc.join().expect("a disconnecting client failed");
        killer.join().expect("the killer failed");
        victims.join().expect("a killed client failed")
    });
    assert_eq!(killed.len(), KILLED);
    if let Some(load) = load {
        load.finish();
    }

    // No client leaked: every disconnect and kill was noticed.
    wait_connected(&mut ctl, baseline);
    // The threads really ran.
    let reads = info_u64(&mut ctl, "stats", "io_threaded_reads_processed");
    let writes = info_u64(&mut ctl, "stats", "io_threaded_writes_processed");
    assert!(
        (reads > 0) == threaded_reads && writes > 0,
        "io_threaded_reads_processed={reads} io_threaded_writes_processed={writes}"
    );
    // The data: every acknowledged INCR counted once, every key of the last round in place.
    for c in (0..REGULAR).step_by(7) {
        let want = (ROUNDS * PER_BATCH).to_string();
        assert_eq!(ctl.cmd(&["GET", &format!("cnt:{c}")]), bulk(want.as_bytes()), "cnt:{c}");
        let j = c % PER_BATCH;
        assert_eq!(ctl.cmd(&["GET", &format!("k:{c}:{}:{j}", ROUNDS - 1)]), bulk(&value(c, ROUNDS - 1, j)));
    }
    for (k, sent, acked) in killed {
        let r = ctl.cmd(&["GET", &format!("kcnt:{k}")]);
        let n: u64 = if r == b"$-1\r\n" {
            0
        } else {
            let s = String::from_utf8_lossy(&r).into_owned();
            s.split("\r\n").nth(1).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("kcnt:{k}: {s}"))
        };
        assert!(acked <= n && n <= sent, "kcnt:{k} = {n}, acknowledged {acked}, sent {sent}");
    }
    for d in 0..DISCONNECTING {
        let r = ctl.cmd(&["GET", &format!("dcnt:{d}")]);
        let s = String::from_utf8_lossy(&r).into_owned();
        let n: u64 = if r == b"$-1\r\n" { 0 } else { s.split("\r\n").nth(1).unwrap().parse().unwrap() };
        assert!(n <= 50, "dcnt:{d} = {n}, only 50 were sent");
    }
    assert_eq!(ctl.cmd(&["PING"]), b"+PONG\r\n");
}

// ---- protocol edge cases under threads, compared with redis-server -------------------------------------------

/// 32 connections pipelining PINGs until dropped: with them the server has enough clients with output in every
/// pass that the I/O threads stay in use while a test's own clients run.
struct Load {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(port: u16, password: Option<&str>) -> Load {
        let mut conns: Vec<TcpStream> = (0..32).map(|_| stream(port)).collect();
        if let Some(pw) = password {
            for s in conns.iter_mut() {
                s.write_all(&encode_command(&["AUTH", pw])).unwrap();
                assert_eq!(read_n(s, 5, "load AUTH"), b"+OK\r\n");
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let req = b"*1\r\n$4\r\nPING\r\n".repeat(16);
            let want = b"+PONG\r\n".repeat(16);
            while !flag.load(Ordering::Relaxed) {
                for s in conns.iter_mut() {
                    s.write_all(&req).expect("load write");
                }
                for s in conns.iter_mut() {
                    assert_eq!(read_n(s, want.len(), "load"), want, "load replies");
                }
            }
        });
        Load { stop, thread: Some(thread) }
    }

    /// Stops the load; panics if its replies were ever wrong.
    fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().expect("the load's replies were wrong");
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits until the I/O threads have read and written (the load makes them active).
fn wait_threads_ran(c: &mut Conn) -> (u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = info_u64(c, "stats", "io_threaded_reads_processed");
        let w = info_u64(c, "stats", "io_threaded_writes_processed");
        if r > 0 && w > 0 {
            return (r, w);
        }
        assert!(Instant::now() < deadline, "the I/O threads never ran (reads {r}, writes {w})");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A [`Pair`]: a threaded ferredis under [`Load`] and a plain redis-server with the same options.
struct Loaded {
    // Dropped first: the load stops before its server goes.
    load: Load,
    pair: Pair,
    password: Option<String>,
}

impl Loaded {
    fn start(extra: &[&str], password: Option<&str>) -> Loaded {
        let fer = threaded(extra);
        let red = Server::start(Kind::Redis, extra);
        if let Some(pw) = password {
            // Set after start-up: the harness's readiness check is an unauthenticated PING.
            for s in [&fer, &red] {
                assert_eq!(s.conn().cmd(&["CONFIG", "SET", "requirepass", pw]), b"+OK\r\n");
            }
        }
        let load = Load::start(fer.port, password);
        let mut c = fer.conn();
        if let Some(pw) = password {
            c.cmd(&["AUTH", pw]);
        }
        wait_threads_ran(&mut c);
        Loaded { load, pair: Pair::of(fer, red), password: password.map(str::to_string) }
    }

    fn ctl(&self, s: &Server) -> Conn {
        let mut c = s.conn();
        if let Some(pw) = &self.password {
            assert_eq!(c.cmd(&["AUTH", pw]), b"+OK\r\n");
        }
        c
    }

    /// The threads were at work during the test, the load got every reply right, the server still answers.
    fn finish(self) {
        let mut c = self.ctl(&self.pair.fer);
        let (r, w) = wait_threads_ran(&mut c);
        self.load.finish();
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n", "after {r} threaded reads and {w} writes");
    }
}

/// Runs each client's input (its chunks written one by one, each flushed) on its own connection, all at once;
/// every input ends the connection (QUIT or a protocol error), so a client's answer is everything until the close.
fn run_clients(port: u16, inputs: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let start = Barrier::new(inputs.len());
    std::thread::scope(|sc| {
        let hs: Vec<_> = inputs
            .iter()
            .enumerate()
            .map(|(i, chunks)| {
                let start = &start;
                sc.spawn(move || {
                    let mut s = stream(port);
                    start.wait();
                    for ch in chunks {
                        // A protocol error closes the connection early: what follows may not be written.
                        if s.write_all(ch).is_err() {
                            break;
                        }
                        if ch.len() == 1 {
                            std::thread::sleep(Duration::from_micros(200));
                        }
                    }
                    let (out, closed) = read_to_end(&mut s);
                    assert!(closed, "client {i}: the connection did not end; got {}", escape(&out));
                    out
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("client thread")).collect()
    })
}

/// Everything the server sends until it closes the connection.
fn read_to_end(s: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => return (out, true),
            Ok(k) => out.extend_from_slice(&chunk[..k]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return (out, false),
            Err(_) => return (out, true),
        }
    }
}

/// Both servers' answers, client by client, byte for byte.
fn assert_same(what: &str, fer: &[Vec<u8>], red: &[Vec<u8>]) {
    for (i, (f, r)) in fer.iter().zip(red).enumerate() {
        assert!(!r.is_empty(), "{what}: redis-server answered nothing to client {i}");
        assert_eq!(escape(f), escape(r), "{what}: client {i} (left ferredis, right redis-server)");
    }
}

fn cmd(args: &[&[u8]]) -> Vec<u8> {
    encode_command(args)
}

fn quit() -> Vec<u8> {
    cmd(&[b"QUIT"])
}

fn one(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    vec![bytes]
}

fn bytewise(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.iter().map(|&b| vec![b]).collect()
}

#[test]
fn split_packets_and_inline_mixed_with_multibulk() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let p = Loaded::start(&[], None);
    let inputs: Vec<Vec<Vec<u8>>> = (0..24)
        .map(|i| {
            let k = format!("s{i}");
            if i % 2 == 0 {
                // Every byte its own write: commands arrive split anywhere (a length line, a bulk, its CRLF).
                let mut b = cmd(&[b"SET", k.as_bytes(), b"hello\r\nworld"]);
                b.extend(cmd(&[b"GET", k.as_bytes()]));
                b.extend(cmd(&[b"INCR", format!("n{i}").as_bytes()]));
                b.extend_from_slice(b"PING\r\n");
                b.extend_from_slice(format!("ECHO \"a b\\x41\" {i}\r\n").as_bytes());
                b.extend(cmd(&[b"APPEND", k.as_bytes(), b"!"]));
                b.extend(cmd(&[b"MGET", k.as_bytes(), format!("missing{i}").as_bytes()]));
                b.extend(quit());
                bytewise(&b)
            } else {
                // Inline and multibulk in one pipeline, blank lines, a bare LF, cut in three at odd places.
                let mut b = b"PING\r\n".to_vec();
                b.extend(cmd(&[b"SET", k.as_bytes(), b"multi"]));
                b.extend_from_slice(format!("GET {k}\r\n\r\n   \r\nSET {k} 'x y'\nGET {k}\r\n").as_bytes());
                b.extend(cmd(&[b"GET", k.as_bytes()]));
                b.extend_from_slice(format!("INCR n{i}\r\nEXISTS {k} nope\r\n").as_bytes());
                b.extend(quit());
                let (a, rest) = b.split_at(9 + i % 7);
                let (m, z) = rest.split_at(rest.len() / 2 + i % 5);
                vec![a.to_vec(), m.to_vec(), z.to_vec()]
            }
        })
        .collect();
    let fer = run_clients(p.pair.fer.port, &inputs);
    let red = run_clients(p.pair.redis.port, &inputs);
    assert_same("split and inline", &fer, &red);
    assert!(fer[0].starts_with(b"+OK\r\n$12\r\nhello\r\nworld\r\n:1\r\n+PONG\r\n"), "{}", escape(&fer[0]));
    p.finish();
}

#[test]
fn one_megabyte_arguments() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let p = Loaded::start(&[], None);
    let inputs: Vec<Vec<Vec<u8>>> = (0..20)
        .map(|i| {
            let k = format!("big{i}");
            let v: Vec<u8> = (0..1024 * 1024 + i * 13).map(|j| (j * 31 + i) as u8).collect();
            let mut b = cmd(&[b"SET", k.as_bytes(), &v]);
            b.extend(cmd(&[b"GET", k.as_bytes()]));
            b.extend(cmd(&[b"STRLEN", k.as_bytes()]));
            b.extend(cmd(&[b"APPEND", k.as_bytes(), &v[..1000]]));
            b.extend(cmd(&[b"GETRANGE", k.as_bytes(), b"-10", b"-1"]));
            b.extend(cmd(&[b"ECHO", &v[..70000]]));
            b.extend(quit());
            // Half in 64 KB writes, half in one.
            if i % 2 == 0 {
                b.chunks(65536).map(<[u8]>::to_vec).collect()
            } else {
                one(b)
            }
        })
        .collect();
    let fer = run_clients(p.pair.fer.port, &inputs);
    let red = run_clients(p.pair.redis.port, &inputs);
    for (i, f) in fer.iter().enumerate() {
        assert!(f.len() > 1024 * 1024 + 70000, "client {i}: {} bytes", f.len());
    }
    assert_same("1 MB arguments", &fer, &red);
    p.finish();
}

#[test]
fn protocol_error_in_the_middle_of_a_pipeline() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let p = Loaded::start(&[], None);
    let errors: [&[u8]; 6] = [
        b"*x\r\n",
        b"*2\r\n$3\r\nGET\r\n$abc\r\n",
        b"*2\r\n$3\r\nGET\r\nxyz\r\n",
        b"GET \"unbalanced\r\n",
        b"*1\r\n$-5\r\n",
        b"*3000000\r\n",
    ];
    let inputs: Vec<Vec<Vec<u8>>> = (0..24)
        .map(|i| {
            let k = format!("e{i}");
            let mut b = b"PING\r\n".to_vec();
            b.extend(cmd(&[b"SET", k.as_bytes(), b"1"]));
            b.extend(cmd(&[b"INCR", k.as_bytes()]));
            b.extend_from_slice(errors[i % errors.len()]);
            b.extend(cmd(&[b"SET", format!("after{i}").as_bytes(), b"1"]));
            b.extend(quit());
            one(b)
        })
        .collect();
    let fer = run_clients(p.pair.fer.port, &inputs);
    let red = run_clients(p.pair.redis.port, &inputs);
    assert_same("protocol error", &fer, &red);
    for s in [&p.pair.fer, &p.pair.redis] {
        let mut c = s.conn();
        for i in 0..24 {
            assert_eq!(c.cmd(&["EXISTS", &format!("after{i}")]), b":0\r\n", "{}: after the error", s.kind.label());
        }
    }
    assert!(fer[0].starts_with(b"+PONG\r\n+OK\r\n:2\r\n-ERR Protocol error"), "{}", escape(&fer[0]));
    p.finish();
}

#[test]
fn auth_in_the_middle_of_a_pipeline_lifts_the_unauthenticated_limits() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let p = Loaded::start(&[], Some("pw"));
    let inputs: Vec<Vec<Vec<u8>>> = (0..24)
        .map(|i| {
            let k = format!("a{i}");
            let big = vec![b'z'; 20000 + i];
            let mset: Vec<Vec<u8>> = std::iter::once(b"MSET".to_vec())
                .chain((0..12).flat_map(|j| [format!("m{i}:{j}").into_bytes(), format!("{j}").into_bytes()]))
                .collect();
            let mset: Vec<&[u8]> = mset.iter().map(Vec::as_slice).collect();
            let mut b = Vec::new();
            match i % 4 {
                // Commands after AUTH have the authenticated limits: 25 arguments, a 20 KB bulk.
                0 | 2 => {
                    b.extend(cmd(&[b"GET", k.as_bytes()]));
                    b.extend(cmd(&[b"AUTH", b"pw"]));
                    b.extend(cmd(&mset));
                    b.extend(cmd(&[b"SET", k.as_bytes(), &big]));
                    b.extend(cmd(&[b"STRLEN", k.as_bytes()]));
                    b.extend(cmd(&[b"MGET", format!("m{i}:0").as_bytes(), format!("m{i}:11").as_bytes()]));
                    b.extend(quit());
                }
                // A wrong password leaves the limits: 25 arguments end the connection.
                1 => {
                    b.extend(cmd(&[b"AUTH", b"wrong"]));
                    b.extend(cmd(&mset));
                    b.extend(quit());
                }
                // And a 20 KB bulk before AUTH too.
                _ => {
                    b.extend(cmd(&[b"SET", k.as_bytes(), &big]));
                    b.extend(cmd(&[b"AUTH", b"pw"]));
                    b.extend(quit());
                }
            }
            one(b)
        })
        .collect();
    let fer = run_clients(p.pair.fer.port, &inputs);
    let red = run_clients(p.pair.redis.port, &inputs);
    assert_same("AUTH mid-pipeline", &fer, &red);
    assert!(fer[0].ends_with(b":20000\r\n*2\r\n$1\r\n0\r\n$2\r\n11\r\n+OK\r\n"), "{}", escape(&fer[0]));
    p.finish();
}

/// MULTI/EXEC pipelines, and BLPOPs (with commands pipelined after them) served by other clients' LPUSH.
fn multi_and_blpop(srv: &Server) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let multi: Vec<Vec<Vec<u8>>> = (0..12)
        .map(|i| {
            let k = format!("t{i}");
            let kb = k.as_bytes();
            let mut b = cmd(&[b"MULTI"]);
            b.extend(cmd(&[b"SET", kb, b"1"]));
            b.extend(cmd(&[b"INCR", kb]));
            b.extend(cmd(&[b"GET", kb]));
            b.extend(cmd(&[b"EXEC"]));
            b.extend(cmd(&[b"MULTI"]));
            b.extend(cmd(&[b"INCR", kb]));
            b.extend(cmd(&[b"NOSUCHCMD", kb]));
            b.extend(cmd(&[b"EXEC"]));
            b.extend(cmd(&[b"GET", kb]));
            b.extend(quit());
            one(b)
        })
        .collect();
    let blpop: Vec<Vec<Vec<u8>>> = (0..12)
        .map(|i| {
            let l = format!("l{i}");
            let mut b = cmd(&[b"BLPOP", l.as_bytes(), b"0"]);
            b.extend(cmd(&[b"PING"]));
            b.extend(cmd(&[b"LRANGE", l.as_bytes(), b"0", b"-1"]));
            b.extend(quit());
            one(b)
        })
        .collect();
    let mut ctl = srv.conn();
    let before = common::blocked_clients(&mut ctl);
    std::thread::scope(|sc| {
        let m = sc.spawn(|| run_clients(srv.port, &multi));
        let b = sc.spawn(|| run_clients(srv.port, &blpop));
        common::wait_blocked(&mut ctl, before + 12);
        let pushes: Vec<Vec<Vec<u8>>> = (0..12)
            .map(|i| {
                let mut b = cmd(&[b"LPUSH", format!("l{i}").as_bytes(), b"a", b"b", b"c"]);
                b.extend(quit());
                one(b)
            })
            .collect();
        let mut pushed = run_clients(srv.port, &pushes);
        let mut out = m.join().expect("MULTI clients");
        out.append(&mut pushed);
        (out, b.join().expect("BLPOP clients"))
    })
}

#[test]
fn multi_exec_and_blpop_served_by_another_client() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let p = Loaded::start(&[], None);
    let (fm, fb) = multi_and_blpop(&p.pair.fer);
    let (rm, rb) = multi_and_blpop(&p.pair.redis);
    assert_same("MULTI/EXEC and LPUSH", &fm, &rm);
    assert_same("BLPOP", &fb, &rb);
    assert_eq!(
        escape(&fb[0]),
        escape(b"*2\r\n$2\r\nl0\r\n$1\r\nc\r\n+PONG\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n+OK\r\n"),
        "BLPOP then the pipelined commands"
    );
    p.finish();
}

/// CLIENT PAUSE WRITE while 24 clients pipeline reads and writes: the reads are answered, the writes wait for
/// CLIENT UNPAUSE, and then every reply arrives in order.
fn paused_pipelines(srv: &Server) -> Vec<Vec<u8>> {
    let mut ctl = srv.conn();
    assert_eq!(ctl.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), b"+OK\r\n");
    let blocked = |c: &mut Conn| {
        let list = String::from_utf8_lossy(&c.cmd(&["CLIENT", "LIST"])).into_owned();
        list.lines().filter(|l| l.split(' ').any(|f| f.strip_prefix("flags=").is_some_and(|v| v.contains('b')))).count()
    };
    let out = std::thread::scope(|sc| {
        let h = sc.spawn(|| {
            let inputs: Vec<Vec<Vec<u8>>> = (0..24)
                .map(|i| {
                    let k = format!("p{i}");
                    let kb = k.as_bytes();
                    let mut b = cmd(&[b"GET", kb]);
                    b.extend(cmd(&[b"SET", kb, b"v"]));
                    b.extend(cmd(&[b"INCR", format!("q{i}").as_bytes()]));
                    b.extend(cmd(&[b"GET", kb]));
                    b.extend(cmd(&[b"PING"]));
                    b.extend(quit());
                    one(b)
                })
                .collect();
            run_clients(srv.port, &inputs)
        });
        // Every client is held at its SET (shown as blocked in CLIENT LIST, in Redis as here).
        let deadline = Instant::now() + Duration::from_secs(60);
        while blocked(&mut ctl) < 24 {
            assert!(Instant::now() < deadline, "the clients never reached the paused write");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(ctl.cmd(&["CLIENT", "UNPAUSE"]), b"+OK\r\n");
        h.join().expect("paused clients")
    });
    out
}

#[test]
fn client_pause_write_while_pipelining() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let p = Loaded::start(&[], None);
    let fer = paused_pipelines(&p.pair.fer);
    let red = paused_pipelines(&p.pair.redis);
    assert_same("CLIENT PAUSE WRITE", &fer, &red);
    assert_eq!(escape(&fer[3]), escape(b"$-1\r\n+OK\r\n:1\r\n$1\r\nv\r\n+PONG\r\n+OK\r\n"));
    p.finish();
}

// ---- the directives ------------------------------------------------------------------------------------------

#[test]
fn io_threads_directives_as_redis_has_them() {
    if !crate::common::pair::have_redis() {
        return;
    }
    // 129 threads: refused at start-up with Redis's message.
    let dir = TempDir::new("io-threads-129");
    let (fst, flog) = common::run_until_exit(Kind::Ferredis, dir.path(), &["--io-threads", "129"], 10_000);
    let (rst, rlog) = common::run_until_exit(Kind::Redis, dir.path(), &["--io-threads", "129"], 10_000);
    assert!(fst.is_some_and(|s| !s.success()), "ferredis started with io-threads 129: {flog}");
    assert!(rst.is_some_and(|s| !s.success()), "redis-server started with io-threads 129: {rlog}");
    let tail = |log: &str| log.lines().skip_while(|l| !l.starts_with(">>> ")).take(2).collect::<Vec<_>>().join("\n");
    assert_eq!(tail(&flog), tail(&rlog));
    assert_eq!(tail(&flog), ">>> 'io-threads \"129\"'\nargument must be between 1 and 128 inclusive");

    let fer = threaded(&[]);
    let red = Server::start(Kind::Redis, THREADED);
    let (mut f, mut r) = (fer.conn(), red.conn());
    for line in [
        "CONFIG GET io-threads",
        "CONFIG GET io-threads-do-reads",
        "CONFIG SET io-threads 2",
        "CONFIG SET io-threads-do-reads no",
        "CONFIG SET io-threads 4",
        "CONFIG GET io-threads",
    ] {
        assert_eq!(escape(&f.cmd_str(line)), escape(&r.cmd_str(line)), "{line}");
    }
    assert_eq!(f.cmd_str("CONFIG GET io-threads"), b"*2\r\n$10\r\nio-threads\r\n$1\r\n4\r\n");
    assert_eq!(
        f.cmd_str("CONFIG SET io-threads 2"),
        b"-ERR CONFIG SET failed (possibly related to argument 'io-threads') - can't set immutable config\r\n"
    );
}

/// The threads are in use only under load, as Redis 7.0 decides (`io_threads_active`): with the load gone they
/// are switched off within a few cron periods, and then requests sent at once on several connections run in the
/// order they arrived, as with one thread: Redis's own suite sends a BRPOPLPUSH on each of two connections and
/// an LPUSH on a third without waiting, and expects the first BRPOPLPUSH served first (unit/type/list hung once
/// when a thread handed the second one over first).
#[test]
fn threads_switch_off_without_load_and_connections_keep_their_order() {
    let srv = threaded(&[]);
    let mut ctl = srv.conn();
    assert_eq!(info_u64(&mut ctl, "server", "io_threads_active"), 0, "threads in use before any load");
    let load = Load::start(srv.port, None);
    wait_threads_ran(&mut ctl);
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_u64(&mut ctl, "server", "io_threads_active") != 1 {
        assert!(Instant::now() < deadline, "the threads never became active under load");
        std::thread::sleep(Duration::from_millis(10));
    }
    load.finish();
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_u64(&mut ctl, "server", "io_threads_active") != 0 {
        assert!(Instant::now() < deadline, "the threads stay active without load");
        std::thread::sleep(Duration::from_millis(20));
    }
    let reads = info_u64(&mut ctl, "stats", "io_threaded_reads_processed");
    let mut rd1 = stream(srv.port);
    let mut rd2 = stream(srv.port);
    for round in 0..200 {
        let (t1, t2) = (format!("t1:{round}"), format!("t2:{round}"));
        assert_eq!(ctl.cmd(&["SET", &t1, "nolist"]), b"+OK\r\n");
        rd1.write_all(&encode_command(&["BRPOPLPUSH", "src", &t1, "0"])).unwrap();
        rd2.write_all(&encode_command(&["BRPOPLPUSH", "src", &t2, "0"])).unwrap();
        assert_eq!(ctl.cmd(&["LPUSH", "src", "foo"]), b":1\r\n");
        let wrongtype = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        assert_eq!(read_n(&mut rd1, wrongtype.len(), "first BRPOPLPUSH"), wrongtype, "round {round}");
        assert_eq!(read_n(&mut rd2, 9, "second BRPOPLPUSH"), bulk(b"foo"), "round {round}");
    }
    assert_eq!(info_u64(&mut ctl, "stats", "io_threaded_reads_processed"), reads, "threads used without load");
}
