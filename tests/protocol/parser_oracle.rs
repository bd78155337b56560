//! Differential check of the parser against a real redis-server 7.0 (ignored by default: it needs
//! /usr/bin/redis-server). Run with
//! `cargo test --test protocol parser_oracle -- --ignored`.
//!
//! Random streams built from protocol fragments are sent to Redis, each on a fresh connection; the replies Redis gives
//! are predicted from our parse (PING/ECHO commands, then the protocol error if any). Streams containing any other
//! command, or a wrong arity, are skipped because their replies are not the parser's business.
use crate::common::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ferredis::resp::parse::{parse_whole, Limits};
use ferredis::util::Rng;

/// The reply Redis must give to what we parsed, or None when a command is outside PING/ECHO.
fn predict(input: &[u8]) -> Option<Vec<u8>> {
    let t = parse_whole(input, &Limits::default());
    let mut out = Vec::new();
    for cmd in t.commands {
        match cmd {
            Ok(args) if args.is_empty() => {}
            Ok(args) => {
                let name = args[0].to_ascii_lowercase();
                match (name.as_slice(), args.len()) {
                    (b"ping", 1) => out.extend_from_slice(b"+PONG\r\n"),
                    (b"ping", 2) | (b"echo", 2) => {
                        out.extend_from_slice(format!("${}\r\n", args[1].len()).as_bytes());
                        out.extend_from_slice(&args[1]);
                        out.extend_from_slice(b"\r\n");
                    }
                    _ => return None,
                }
            }
            Err(e) => {
                out.push(b'-');
                out.extend_from_slice(&e.message_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    Some(out)
}

fn ask(port: u16, input: &[u8], expect_len: usize) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(input).expect("write");
    s.set_read_timeout(Some(Duration::from_millis(if expect_len == 0 { 50 } else { 500 }))).expect("timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() >= expect_len {
                    // Give Redis a moment to send anything unexpected beyond the prediction.
                    s.set_read_timeout(Some(Duration::from_millis(20))).expect("timeout");
                }
            }
        }
    }
    out
}

const FRAGMENTS: &[&[u8]] = &[
    b"*1\r\n",
    b"*2\r\n",
    b"*0\r\n",
    b"*-1\r\n",
    b"$4\r\nPING\r\n",
    b"$4\r\nECHO\r\n",
    b"$1\r\nx\r\n",
    b"$0\r\n\r\n",
    b"$-1\r\n",
    b"$2\r\nab",
    b"XX",
    b"PING\r\n",
    b"ECHO ",
    b"ping\n",
    b"\r\n",
    b"\n",
    b"\r",
    b"\0",
    b"$",
    b"*",
    b"3",
    b"x",
    b"\"",
    b"'",
    b" ",
    b"\\",
    b"\\x4",
    b"1",
    b"\t",
    b"\x0b",
    b"\xff",
    b"\\x41",
    b"\\n",
    b"\\'",
    b"\\\"",
    b"\"a b\"",
    b"'a'",
    b"ECHO \"",
    b"ECHO '",
    b"ECHO",
];

#[test]
#[ignore = "needs /usr/bin/redis-server; run with --ignored"]
fn parser_matches_real_redis() {
    let server = Server::redis();
    let mut rng = Rng::new(7);
    let mut compared = 0;
    for _ in 0..4000 {
        let mut input = Vec::new();
        let n = 1 + rng.below(8);
        for _ in 0..n {
            input.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len() as u64) as usize]);
        }
        let Some(expected) = predict(&input) else { continue };
        let got = ask(server.port, &input, expected.len());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "input {:?}",
            String::from_utf8_lossy(&input)
        );
        compared += 1;
    }
    eprintln!("compared {compared} streams with redis-server");
    assert!(compared > 500, "only {compared} streams were comparable");
}
