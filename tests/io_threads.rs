//! `io-threads 4` with `io-threads-do-reads yes` (issue 33): many clients at once so the I/O threads really run
//! (they are used only while at least 2 clients per thread have output in a pass), checking every reply byte for
//! byte: a 1000-client stress with disconnects and CLIENT KILL, protocol edge cases compared with Debian's
//! redis-server, and the directives themselves.
mod common;

use common::{encode_command, escape, frame_len, info_field, Conn, Kind, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
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
    let srv = threaded(&["--maxclients", "4000"]);
    let port = srv.port;
    let mut ctl = srv.conn();
    let baseline = info_u64(&mut ctl, "clients", "connected_clients");
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

    // No client leaked: every disconnect and kill was noticed.
    wait_connected(&mut ctl, baseline);
    // The threads really ran.
    let reads = info_u64(&mut ctl, "stats", "io_threaded_reads_processed");
    let writes = info_u64(&mut ctl, "stats", "io_threaded_writes_processed");
    assert!(reads > 0 && writes > 0, "io_threaded_reads_processed={reads} io_threaded_writes_processed={writes}");
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
