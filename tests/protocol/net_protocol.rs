//! The request/reply cycle over real sockets: pipelining, split reads, inline commands, error handling.

use crate::common;
use common::net as net_support;
use net_support::{encode, Server};
use std::time::Duration;

#[test]
fn pipeline_of_many_commands_in_one_write() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let mut req = Vec::new();
    for i in 0..2000 {
        req.extend_from_slice(&encode(&[b"GET", format!("key:{i}").as_bytes()]));
    }
    req.extend_from_slice(b"GET inline-key\r\n");
    c.send(&req);
    for _ in 0..2001 {
        c.expect(b"$-1\r\n");
    }
}

#[test]
fn command_split_at_every_byte_offset() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let cmd = encode(&[b"GET", b"some-key-name"]);
    for cut in 1..cmd.len() {
        c.send(&cmd[..cut]);
        // Give the server a chance to read the first part on its own.
        std::thread::sleep(Duration::from_millis(2));
        c.send(&cmd[cut..]);
        c.expect(b"$-1\r\n");
    }
    let inline = b"GET some-key\r\n";
    for cut in 1..inline.len() {
        c.send(&inline[..cut]);
        std::thread::sleep(Duration::from_millis(2));
        c.send(&inline[cut..]);
        c.expect(b"$-1\r\n");
    }
}

#[test]
fn byte_by_byte_pipeline() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let mut req = encode(&[b"GET", b"a"]);
    req.extend_from_slice(b"get \"b c\"\r\n\r\n");
    req.extend_from_slice(&encode(&[b"GET", b"d"]));
    for b in &req {
        c.send(std::slice::from_ref(b));
    }
    c.expect(b"$-1\r\n$-1\r\n$-1\r\n");
}

#[test]
fn inline_commands_and_quoting() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.send(b"GET k\r\n");
    c.expect(b"$-1\r\n");
    c.send(b"get \"a b\"\n");
    c.expect(b"$-1\r\n");
    // Empty lines are skipped silently.
    c.send(b"\r\n\r\nGET k\r\n");
    c.expect(b"$-1\r\n");
    c.send(b"GET\r\n");
    c.expect(b"-ERR wrong number of arguments for 'get' command\r\n");
}

#[test]
fn unknown_command_keeps_connection_open() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.cmd(&[b"FOO", b"a", b"b"]);
    c.expect(b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
    c.cmd(&[b"nosuch"]);
    c.expect(b"-ERR unknown command 'nosuch', with args beginning with: \r\n");
    // CR/LF inside the name become spaces so the error line stays one line.
    c.cmd(&[b"x\r\ny"]);
    c.expect(b"-ERR unknown command 'x  y', with args beginning with: \r\n");
    c.cmd(&[b"GET", b"k"]);
    c.expect(b"$-1\r\n");
}

#[test]
fn arity_errors() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.cmd(&[b"GET"]);
    c.expect(b"-ERR wrong number of arguments for 'get' command\r\n");
    c.cmd(&[b"get", b"a", b"b"]);
    c.expect(b"-ERR wrong number of arguments for 'get' command\r\n");
    c.cmd(&[b"GET", b"k"]);
    c.expect(b"$-1\r\n");
}

#[test]
fn protocol_error_closes_only_that_connection() {
    let s = Server::start(&[]);
    let mut other = s.connect();
    let mut bad = s.connect();
    // The command before the bad one is answered; nothing after it is.
    let mut req = encode(&[b"GET", b"k"]);
    req.extend_from_slice(b"*1\r\n$x\r\nGET k\r\n");
    bad.send(&req);
    let got = bad.read_to_eof();
    assert_eq!(String::from_utf8_lossy(&got), "$-1\r\n-ERR Protocol error: invalid bulk length\r\n");
    let mut bad2 = s.connect();
    bad2.send(b"*1\r\nfoo\r\n");
    assert_eq!(String::from_utf8_lossy(&bad2.read_to_eof()), "-ERR Protocol error: expected '$', got 'f'\r\n");
    let mut bad3 = s.connect();
    bad3.send(b"GET \"unbalanced\r\n");
    assert_eq!(String::from_utf8_lossy(&bad3.read_to_eof()), "-ERR Protocol error: unbalanced quotes in request\r\n");
    other.cmd(&[b"GET", b"k"]);
    other.expect(b"$-1\r\n");
}

#[test]
fn big_argument_is_read_whole() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let key = vec![b'k'; 3 * 1024 * 1024 + 17];
    let req = encode(&[b"GET", &key]);
    // Send in uneven pieces.
    for chunk in req.chunks(70_001) {
        c.send(chunk);
    }
    c.expect(b"$-1\r\n");
    c.cmd(&[b"GET", b"small"]);
    c.expect(b"$-1\r\n");
}

#[test]
fn many_concurrent_clients() {
    let s = Server::start(&[]);
    let port = s.port;
    let threads: Vec<_> = (0..20)
        .map(|t| {
            std::thread::spawn(move || {
                let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
                let mut c = net_support::Conn::new(stream);
                for round in 0..20 {
                    let mut req = Vec::new();
                    for i in 0..50 {
                        req.extend_from_slice(&encode(&[b"GET", format!("{t}:{round}:{i}").as_bytes()]));
                    }
                    c.send(&req);
                    for _ in 0..50 {
                        c.expect(b"$-1\r\n");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn client_vanishing_mid_command_and_mid_reply_is_harmless() {
    let s = Server::start(&[]);
    {
        let mut c = s.connect();
        c.send(b"*2\r\n$3\r\nGET\r\n$100\r\nabc");
    }
    {
        // Lots of replies the client never reads.
        let mut c = s.connect();
        let mut req = Vec::new();
        for _ in 0..20000 {
            req.extend_from_slice(b"GET k\r\n");
        }
        c.send(&req);
    }
    {
        let mut m = s.connect();
        m.send(b"MONITOR\r\n");
        m.expect(b"+OK\r\n");
    }
    let mut c = s.connect();
    c.cmd(&[b"GET", b"k"]);
    c.expect(b"$-1\r\n");
    // Every vanished connection is gone from the server's books.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        c.send(b"INFO clients\r\n");
        let header = c.read_line();
        let n: usize = String::from_utf8_lossy(&header[1..header.len() - 2]).parse().unwrap();
        let body = String::from_utf8_lossy(&c.read_exact(n + 2)).into_owned();
        if body.contains("connected_clients:1\r\n") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
        std::thread::sleep(Duration::from_millis(20));
    }
    c.send(b"CLIENT LIST\r\n");
    let header = c.read_line();
    let n: usize = String::from_utf8_lossy(&header[1..header.len() - 2]).parse().unwrap();
    let list = String::from_utf8_lossy(&c.read_exact(n + 2)).into_owned();
    assert_eq!(list.trim_end().lines().count(), 1, "{list}");
}

#[test]
fn auth_required_blocks_commands_and_limits_unauthenticated_requests() {
    let s = Server::start(&["--requirepass", "secret"]);
    let mut c = s.connect();
    c.cmd(&[b"GET", b"k"]);
    c.expect(b"-NOAUTH Authentication required.\r\n");
    // Unknown commands and arity are checked before authentication, as in Redis.
    c.cmd(&[b"foo"]);
    c.expect(b"-ERR unknown command 'foo', with args beginning with: \r\n");
    c.cmd(&[b"GET"]);
    c.expect(b"-ERR wrong number of arguments for 'get' command\r\n");
    let mut c2 = s.connect();
    c2.send(b"*11\r\n");
    assert_eq!(String::from_utf8_lossy(&c2.read_to_eof()), "-ERR Protocol error: unauthenticated multibulk length\r\n");
    let mut c3 = s.connect();
    c3.send(b"*2\r\n$20000\r\n");
    assert_eq!(String::from_utf8_lossy(&c3.read_to_eof()), "-ERR Protocol error: unauthenticated bulk length\r\n");
    let mut c4 = s.connect();
    c4.send(b"*abc\r\n");
    assert_eq!(String::from_utf8_lossy(&c4.read_to_eof()), "-ERR Protocol error: invalid multibulk length\r\n");
}
