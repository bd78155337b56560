//! Driver for benches/scan.sh: walks one SCAN-family iteration to completion on one connection and
//! prints how many calls it took and how many elements came back, so the script can divide a server's
//! instruction count by the elements returned. Standard library only.
//!
//! Usage: `cargo bench --bench scan_walk -- <port> <count> <command> [key]`, where command is `scan`, `sscan`,
//! `hscan` or `zscan` (key required for the last three). Connects, prints `ready`, waits for a line on its
//! standard input (the script zeroes callgrind's counters then), walks the scan with `COUNT <count>`, prints
//! `<calls> <elements> <largest cursor>` and waits for another line before closing (the script dumps the counters then), so the
//! measured window holds the scan calls only, not the connection's set-up or teardown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn line(r: &mut BufReader<TcpStream>) -> Vec<u8> {
    let mut buf = Vec::new();
    let n = r.read_until(b'\n', &mut buf).expect("read");
    assert!(n > 0 && buf.ends_with(b"\r\n"), "short reply line: {:?}", String::from_utf8_lossy(&buf));
    buf.truncate(buf.len() - 2);
    buf
}

fn header(r: &mut BufReader<TcpStream>, kind: u8) -> i64 {
    let l = line(r);
    assert!(l.first() == Some(&kind), "expected {:?}, got {:?}", kind as char, String::from_utf8_lossy(&l));
    std::str::from_utf8(&l[1..]).ok().and_then(|s| s.parse().ok()).expect("length")
}

fn bulk(r: &mut BufReader<TcpStream>) -> Vec<u8> {
    let n = header(r, b'$');
    let mut body = vec![0u8; n as usize + 2];
    r.read_exact(&mut body).expect("read bulk");
    body.truncate(n as usize);
    body
}

fn wait_for_line() {
    let mut s = String::new();
    std::io::stdin().read_line(&mut s).expect("stdin");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.is_empty() {
        // `cargo test --all-targets` runs bench targets without arguments: nothing to walk.
        eprintln!("usage: scan_walk <port> <count> <scan|sscan|hscan|zscan> [key]");
        return;
    }
    if args.len() < 3 {
        eprintln!("usage: scan_walk <port> <count> <scan|sscan|hscan|zscan> [key]");
        std::process::exit(2);
    }
    let port: u16 = args[0].parse().expect("port");
    let count = args[1].clone();
    let cmd = args[2].to_ascii_uppercase();
    let key = args.get(3).cloned();
    let pairs = cmd == "HSCAN" || cmd == "ZSCAN";
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    println!("ready");
    wait_for_line();
    let mut cursor = b"0".to_vec();
    let (mut calls, mut elements, mut largest) = (0u64, 0u64, 0u64);
    let mut out = Vec::new();
    loop {
        out.clear();
        let mut a: Vec<&[u8]> = vec![cmd.as_bytes()];
        if let Some(k) = &key {
            a.push(k.as_bytes());
        }
        a.extend_from_slice(&[&cursor, b"COUNT", count.as_bytes()]);
        encode(&a, &mut out);
        w.write_all(&out).expect("write");
        assert_eq!(header(&mut r, b'*'), 2);
        cursor = bulk(&mut r);
        let c: u64 = std::str::from_utf8(&cursor).ok().and_then(|s| s.parse().ok()).expect("cursor");
        largest = largest.max(c);
        let n = header(&mut r, b'*');
        for _ in 0..n {
            bulk(&mut r);
        }
        calls += 1;
        elements += if pairs { n as u64 / 2 } else { n as u64 };
        if cursor == b"0" {
            break;
        }
    }
    println!("{calls} {elements} {largest}");
    wait_for_line();
}
