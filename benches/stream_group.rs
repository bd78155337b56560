//! Load generator for benches/streams.sh: consumers of one consumer group drain a prefilled stream, each
//! looping `XREADGROUP GROUP <group> c<i> COUNT <count> STREAMS <stream> >` then `XACK <stream> <group> <ids...>`
//! for the ids it was given, until XREADGROUP answers nil (nothing new for the group). redis-benchmark cannot chain
//! two commands where the second takes the first's reply, hence this driver. One thread per consumer, each with its
//! own connection; all connect first, then start together. Standard library only (a minimal RESP2 writer and
//! reader); every reply is checked (an error reply, a malformed reply or an XACK that acknowledges fewer ids than
//! it was given ends the run with a panic).
//!
//! Usage: `cargo bench --bench stream_group -- <port> <consumers> <total messages> [stream] [group] [count]`
//! (defaults: stream `s`, group `g`, count 10; the group must exist, created at id 0 on a stream of `total` entries).
//! Prints one line: `<messages acked> <seconds> <messages per second>`; exits with status 1 if the consumers
//! acknowledged a number of messages other than `total`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

/// A RESP2 reply.
enum Reply {
    Nil,
    Int(i64),
    Bulk(Vec<u8>),
    Array(Vec<Reply>),
    Status,
}

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

fn read_reply(r: &mut BufReader<TcpStream>, buf: &mut Vec<u8>) -> Reply {
    line(r, buf);
    let (kind, rest) = buf.split_first().expect("empty reply line");
    match kind {
        b'+' => Reply::Status,
        b'-' => panic!("error reply: {}", String::from_utf8_lossy(rest)),
        b':' => Reply::Int(number(rest)),
        b'$' => {
            let len = number(rest);
            if len < 0 {
                return Reply::Nil;
            }
            let mut data = vec![0u8; len as usize + 2];
            std::io::Read::read_exact(r, &mut data).expect("read bulk");
            assert!(data.ends_with(b"\r\n"), "bulk string without CRLF");
            data.truncate(len as usize);
            Reply::Bulk(data)
        }
        b'*' => {
            let len = number(rest);
            if len < 0 {
                return Reply::Nil;
            }
            let mut items = Vec::with_capacity(len as usize);
            for _ in 0..len {
                items.push(read_reply(r, buf));
            }
            Reply::Array(items)
        }
        _ => panic!("unexpected reply type: {:?}", String::from_utf8_lossy(buf)),
    }
}

/// The entry ids of an XREADGROUP reply, `[[stream, [[id, [field, value, ...]], ...]]]` (nil when nothing is new).
fn entry_ids(reply: Reply, ids: &mut Vec<Vec<u8>>) {
    ids.clear();
    let streams = match reply {
        Reply::Nil => return,
        Reply::Array(s) => s,
        _ => panic!("XREADGROUP: expected an array or nil"),
    };
    for stream in streams {
        let Reply::Array(mut pair) = stream else { panic!("XREADGROUP: expected [stream, entries]") };
        assert_eq!(pair.len(), 2, "XREADGROUP: expected [stream, entries]");
        let Some(Reply::Array(entries)) = pair.pop() else { panic!("XREADGROUP: expected an entry array") };
        for entry in entries {
            let Reply::Array(mut e) = entry else { panic!("XREADGROUP: expected [id, fields]") };
            assert_eq!(e.len(), 2, "XREADGROUP: expected [id, fields]");
            assert!(matches!(e[1], Reply::Array(_)), "XREADGROUP: expected a field array");
            let Reply::Bulk(id) = e.swap_remove(0) else { panic!("XREADGROUP: expected a bulk id") };
            ids.push(id);
        }
    }
}

/// One consumer: drains the group, returns the number of messages it acknowledged.
fn consume(sock: TcpStream, name: String, stream: &str, group: &str, count: &str, start: &Barrier) -> u64 {
    let mut writer = sock.try_clone().expect("clone socket");
    let mut reader = BufReader::with_capacity(64 * 1024, sock);
    let mut read_cmd = Vec::new();
    encode(
        &[
            b"XREADGROUP",
            b"GROUP",
            group.as_bytes(),
            name.as_bytes(),
            b"COUNT",
            count.as_bytes(),
            b"STREAMS",
            stream.as_bytes(),
            b">",
        ],
        &mut read_cmd,
    );
    let mut ack_cmd = Vec::new();
    let mut ids = Vec::new();
    let mut buf = Vec::new();
    let mut acked = 0u64;
    start.wait();
    loop {
        writer.write_all(&read_cmd).expect("write");
        entry_ids(read_reply(&mut reader, &mut buf), &mut ids);
        if ids.is_empty() {
            return acked;
        }
        let mut args: Vec<&[u8]> = vec![b"XACK", stream.as_bytes(), group.as_bytes()];
        args.extend(ids.iter().map(|id| id.as_slice()));
        ack_cmd.clear();
        encode(&args, &mut ack_cmd);
        writer.write_all(&ack_cmd).expect("write");
        match read_reply(&mut reader, &mut buf) {
            Reply::Int(n) if n == ids.len() as i64 => acked += n as u64,
            Reply::Int(n) => panic!("XACK of {} ids acknowledged {n}", ids.len()),
            _ => panic!("XACK: expected an integer"),
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench binaries without arguments.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if args.len() < 3 {
        println!(
            "usage: cargo bench --bench stream_group -- <port> <consumers> <total messages> [stream] [group] [count]"
        );
        return;
    }
    let port: u16 = args[0].parse().expect("port");
    let consumers: usize = args[1].parse().expect("consumers");
    let total: u64 = args[2].parse().expect("total messages");
    let stream = Arc::new(args.get(3).cloned().unwrap_or_else(|| "s".into()));
    let group = Arc::new(args.get(4).cloned().unwrap_or_else(|| "g".into()));
    let count = Arc::new(args.get(5).cloned().unwrap_or_else(|| "10".into()));
    assert!(consumers > 0, "consumers must be positive");

    // Every connection is made before any thread starts (a refused connection ends the run here, not at the barrier).
    let socks: Vec<TcpStream> = (0..consumers)
        .map(|_| {
            let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            sock.set_nodelay(true).expect("nodelay");
            sock
        })
        .collect();
    let start = Arc::new(Barrier::new(consumers + 1));
    let threads: Vec<_> = socks
        .into_iter()
        .enumerate()
        .map(|(i, sock)| {
            let (stream, group, count, start) = (stream.clone(), group.clone(), count.clone(), start.clone());
            thread::spawn(move || consume(sock, format!("c{i}"), &stream, &group, &count, &start))
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let acked: u64 = threads.into_iter().map(|t| t.join().expect("consumer thread panicked")).sum();
    let secs = t0.elapsed().as_secs_f64();
    println!("{acked} {secs:.3} {:.0}", acked as f64 / secs);
    if acked != total {
        eprintln!("acknowledged {acked} messages, expected {total}");
        std::process::exit(1);
    }
}
