//! Load generator for benches/tracking.sh: GET from many connections with client-side caching on.
//! redis-benchmark cannot send `CLIENT TRACKING on` on its connections, hence this driver. One thread per
//! connection; each connects, switches to RESP3 (`HELLO 3`), turns tracking on (or leaves it off, for the same run
//! without tracking), then all start together and each sends `GET key:<n>` for random n below `keys` in batches of
//! `pipeline`, reading every reply (a bulk string or a null; an error reply or a malformed reply ends the run with
//! a panic; invalidation pushes, which a GET-only run does not cause, are skipped). Standard library only.
//!
//! Usage: `cargo bench --bench tracking_get -- <port> <clients> <total requests> <keys> <on|off> [pipeline]
//! [warm-up requests]` (pipeline 1 by default). Prints one line: `<requests> <seconds> <requests per second>`.
//! With warm-up requests, the same connections first send those (spread over the clients), then the driver prints
//! `ready`, waits for a line on its standard input, sends the measured requests, prints its line and waits for
//! another line before the connections close (benches/tracking.sh zeroes callgrind's counters at `ready` and
//! dumps them at the result: the window holds GETs on established connections only, as a caching client's are,
//! not connections opening or closing).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// One line without its CRLF.
fn line(r: &mut BufReader<TcpStream>, buf: &mut Vec<u8>) {
    buf.clear();
    let n = r.read_until(b'\n', buf).expect("read");
    assert!(n > 0, "server closed the connection");
    assert!(buf.ends_with(b"\r\n"), "reply line without CRLF: {:?}", String::from_utf8_lossy(buf));
    buf.truncate(buf.len() - 2);
}

fn number(bytes: &[u8]) -> i64 {
    std::str::from_utf8(bytes).ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        panic!("bad number in reply: {:?}", String::from_utf8_lossy(bytes));
    })
}

/// Reads and discards one reply of any shape (HELLO's map, +OK, a bulk, a null, a push); returns whether it was a
/// push (not an answer to a request).
fn skip_reply(r: &mut BufReader<TcpStream>, buf: &mut Vec<u8>) -> bool {
    line(r, buf);
    let (kind, rest) = buf.split_first().expect("empty reply line");
    match kind {
        b'+' | b':' | b'_' | b',' | b'#' => false,
        b'-' => panic!("error reply: {}", String::from_utf8_lossy(rest)),
        b'$' | b'=' => {
            let n = number(rest);
            if n >= 0 {
                let mut body = vec![0u8; n as usize + 2];
                std::io::Read::read_exact(r, &mut body).expect("read bulk");
            }
            false
        }
        b'*' | b'~' | b'>' | b'%' => {
            let push = *kind == b'>';
            let n = number(rest);
            let items = if *kind == b'%' { n * 2 } else { n };
            for _ in 0..items.max(0) {
                skip_reply(r, buf);
            }
            push
        }
        _ => panic!("unexpected reply: {:?}", String::from_utf8_lossy(buf)),
    }
}

/// Reads the answer to one request, skipping pushes before it.
fn answer(r: &mut BufReader<TcpStream>, buf: &mut Vec<u8>) {
    while skip_reply(r, buf) {}
}

/// One connection's run: set-up, `warmup` requests, then (both barriers passed) `requests` requests.
#[allow(clippy::too_many_arguments)]
fn client(
    sock: TcpStream,
    id: u64,
    warmup: u64,
    requests: u64,
    keys: u64,
    tracking: bool,
    pipeline: u64,
    gates: &[Arc<Barrier>; 3],
) {
    let mut w = sock.try_clone().expect("clone socket");
    let mut r = BufReader::with_capacity(64 * 1024, sock);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    encode(&[b"HELLO", b"3"], &mut out);
    if tracking {
        encode(&[b"CLIENT", b"TRACKING", b"on"], &mut out);
    }
    w.write_all(&out).expect("write");
    answer(&mut r, &mut buf);
    if tracking {
        answer(&mut r, &mut buf);
    }
    // xorshift64*, seeded per client.
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (id + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut run = |requests: u64| {
        let mut done = 0;
        while done < requests {
            let batch = pipeline.min(requests - done);
            out.clear();
            for _ in 0..batch {
                let key = format!("key:{}", next() % keys);
                encode(&[b"GET", key.as_bytes()], &mut out);
            }
            w.write_all(&out).expect("write");
            for _ in 0..batch {
                answer(&mut r, &mut buf);
            }
            done += batch;
        }
    };
    gates[0].wait();
    if warmup > 0 {
        run(warmup);
        gates[1].wait();
        gates[1].wait();
    }
    run(requests);
    if warmup > 0 {
        // Done; connected until the counters are dumped.
        gates[2].wait();
        gates[2].wait();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench binaries without arguments.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if args.len() < 5 {
        println!(
            "usage: cargo bench --bench tracking_get -- <port> <clients> <total requests> <keys> <on|off> [pipeline] \
             [warm-up requests]"
        );
        return;
    }
    let port: u16 = args[0].parse().expect("port");
    let clients: u64 = args[1].parse().expect("clients");
    let total: u64 = args[2].parse().expect("total requests");
    let keys: u64 = args[3].parse().expect("keys");
    let tracking = args[4] == "on";
    let pipeline: u64 = args.get(5).map_or(1, |p| p.parse().expect("pipeline"));
    let warmup: u64 = args.get(6).map_or(0, |w| w.parse().expect("warm-up requests"));
    assert!(clients > 0 && keys > 0 && pipeline > 0, "clients, keys and pipeline must be positive");
    let per = total / clients;
    let warm_per = warmup / clients;
    let socks: Vec<TcpStream> = (0..clients)
        .map(|_| {
            let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            sock.set_nodelay(true).expect("nodelay");
            sock
        })
        .collect();
    let gates: [Arc<Barrier>; 3] = std::array::from_fn(|_| Arc::new(Barrier::new(clients as usize + 1)));
    let threads: Vec<_> = socks
        .into_iter()
        .enumerate()
        .map(|(i, sock)| {
            let gates = gates.clone();
            thread::spawn(move || client(sock, i as u64, warm_per, per, keys, tracking, pipeline, &gates))
        })
        .collect();
    // Prints `what`, then waits for a line on standard input.
    let handshake = |what: &str| {
        println!("{what}");
        std::io::stdout().flush().expect("flush");
        std::io::stdin().read_line(&mut String::new()).expect("read a line");
    };
    gates[0].wait();
    if warm_per > 0 {
        gates[1].wait();
        handshake("ready");
        gates[1].wait();
    }
    let t0 = Instant::now();
    let n = per * clients;
    let result = || {
        let secs = t0.elapsed().as_secs_f64();
        format!("{n} {secs:.3} {:.0}", n as f64 / secs)
    };
    if warm_per > 0 {
        // Every client done, the result, then a line before the connections close.
        gates[2].wait();
        handshake(&result());
        gates[2].wait();
    }
    for t in threads {
        t.join().expect("client thread panicked");
    }
    if warm_per == 0 {
        println!("{}", result());
    }
}
