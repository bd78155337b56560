//! Load generator for `make bench` (benches/compare.sh): transactions of `MULTI`, 10 × `SET`, `EXEC`, each sent as
//! one pipelined write, over C connections with one transaction in flight per connection (redis-benchmark cannot
//! interleave different commands in a pipeline). Every reply byte is checked against the expected
//! `+OK`, 10 × `+QUEUED`, `*10` + 10 × `+OK`.
//!
//! Usage: `cargo bench --bench multi_exec -- --port P [--clients 50] [--transactions 100000]`
//! Prints one line: `<transactions> <seconds> <transactions per second>`.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Instant;

const SETS: usize = 10;

fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

struct Conn {
    sock: TcpStream,
    request: Vec<u8>,
    written: usize,
    /// Reply bytes of the current transaction received so far.
    got: usize,
    busy: bool,
}

fn main() {
    let mut port = 0u16;
    let mut clients = 50usize;
    let mut transactions = 100_000u64;
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let next = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--port" => port = next.parse().expect("--port"),
            "--clients" => clients = next.parse().expect("--clients"),
            "--transactions" => transactions = next.parse().expect("--transactions"),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if port == 0 {
        // `cargo test --all-targets` runs bench binaries without arguments: nothing to load then.
        println!("usage: cargo bench --bench multi_exec -- --port P [--clients 50] [--transactions 100000]");
        return;
    }

    let mut expected = b"+OK\r\n".to_vec();
    for _ in 0..SETS {
        expected.extend_from_slice(b"+QUEUED\r\n");
    }
    expected.extend_from_slice(format!("*{SETS}\r\n").as_bytes());
    for _ in 0..SETS {
        expected.extend_from_slice(b"+OK\r\n");
    }

    let mut conns: Vec<Conn> = (0..clients)
        .map(|c| {
            let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            sock.set_nodelay(true).expect("nodelay");
            sock.set_nonblocking(true).expect("nonblocking");
            let mut request = Vec::new();
            encode(&[b"MULTI"], &mut request);
            for k in 0..SETS {
                let key = format!("tx:{c}:{k}");
                encode(&[b"SET", key.as_bytes(), b"xxxxxxxxxx"], &mut request);
            }
            encode(&[b"EXEC"], &mut request);
            Conn { sock, request, written: 0, got: 0, busy: false }
        })
        .collect();

    let mut started = 0u64;
    let mut done = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let mut fds: Vec<libc::pollfd> = Vec::with_capacity(clients);
    let t0 = Instant::now();
    for c in conns.iter_mut() {
        if started < transactions {
            c.busy = true;
            started += 1;
        }
    }
    while done < transactions {
        fds.clear();
        for c in &conns {
            let events = if !c.busy {
                0
            } else if c.written < c.request.len() {
                libc::POLLOUT
            } else {
                libc::POLLIN
            };
            fds.push(libc::pollfd { fd: c.sock.as_raw_fd(), events, revents: 0 });
        }
        // SAFETY: `fds` is a valid, initialized array of `fds.len()` pollfd structs for the duration of the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 10_000) };
        assert!(n > 0, "poll timed out or failed: the server stopped answering");
        for (c, fd) in conns.iter_mut().zip(fds.iter()) {
            if fd.revents == 0 {
                continue;
            }
            assert!(fd.revents & (libc::POLLERR | libc::POLLNVAL) == 0, "socket error");
            if c.written < c.request.len() {
                match c.sock.write(&c.request[c.written..]) {
                    Ok(w) => c.written += w,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("write: {e}"),
                }
                continue;
            }
            match c.sock.read(&mut buf) {
                Ok(0) => panic!("server closed the connection"),
                Ok(r) => {
                    assert!(c.got + r <= expected.len(), "more reply bytes than expected");
                    assert_eq!(&buf[..r], &expected[c.got..c.got + r], "unexpected reply bytes");
                    c.got += r;
                    if c.got == expected.len() {
                        done += 1;
                        c.got = 0;
                        c.written = 0;
                        c.busy = started < transactions;
                        if c.busy {
                            started += 1;
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!("{transactions} {secs:.3} {:.0}", transactions as f64 / secs);
}
