//! Output-buffer limits while a reply is being built (issue 31). Under `client-output-buffer-limit normal 100kb 0 0`
//! a command whose reply passes the limit closes its client without a byte of that reply, as Redis 7.0 does: KEYS,
//! SMEMBERS/SINTER and LRANGE over existing data, and SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with counts near -2^63,
//! which both servers stop generating at the limit; a MULTI/EXEC over the limit still runs all its commands. Each
//! scenario runs against ferredis and Debian's redis-server: which commands close their client, the bytes of the
//! ones answered, the log lines (`Client ... scheduled to be closed ASAP for overcoming of output buffer limits.`,
//! by client name and command) are compared; ferredis's RSS must stay small.

use crate::common;

use common::watch::{assert_rss_below, raw_connect, read_until_close, RSS_MARGIN_MB};
use common::{encode_command, split_args, Conn, Kind, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const LIMIT: &str = "normal 100kb 0 0";

/// Commands run each on a connection of its own; `~ ` = random members, compared by length.
const LINES: &[&str] = &[
    "KEYS *",
    "KEYS long-key*",
    "KEYS nomatch*",
    "LRANGE biglist 0 -1",
    "LRANGE biglist 0 9",
    "SMEMBERS bigset",
    "SINTER bigset",
    "SRANDMEMBER st -9223372036854775807",
    "SRANDMEMBER ints -9223372036854775807",
    "SRANDMEMBER bigset -9223372036854775807",
    "~ SRANDMEMBER st -1000",
    "HRANDFIELD h -9223372036854775807",
    "HRANDFIELD h -4611686018427387903 WITHVALUES",
    "HRANDFIELD hbig -9223372036854775807",
    "~ HRANDFIELD hbig -500 WITHVALUES",
    "ZRANDMEMBER z -9223372036854775807",
    "ZRANDMEMBER z -4611686018427387903 WITHSCORES",
    "ZRANDMEMBER zbig -4611686018427387903 WITHSCORES",
    "~ ZRANDMEMBER zbig -300",
];

fn fill(c: &mut Conn) {
    c.cmd(&["FLUSHALL"]);
    // 1000 keys of about 100 bytes: KEYS * replies about 110 KB (the same data as unit/obuf-limits).
    let prefix = format!("long-key-name-prefix-of-100-chars{}", "-".repeat(67));
    for batch in 0..10 {
        let mut args = vec!["MSET".to_string()];
        for i in batch * 100..(batch + 1) * 100 {
            args.push(format!("{prefix}{i}"));
            args.push(i.to_string());
        }
        assert_eq!(c.cmd(&args), b"+OK\r\n");
    }
    let mut push = vec!["RPUSH".to_string(), "biglist".to_string()];
    push.extend((0..150).map(|i| format!("{i:04}{}", "x".repeat(996))));
    c.cmd(&push);
    let mut sadd = vec!["SADD".to_string(), "bigset".to_string()];
    sadd.extend((0..2000).map(|i| format!("{i:05}{}", "m".repeat(55))));
    c.cmd(&sadd);
    c.cmd(&["SADD", "st", "a", "b", "c"]);
    c.cmd(&["SADD", "ints", "1", "2", "3"]);
    c.cmd(&["HSET", "h", "f1", "v1", "f2", "v2"]);
    let mut hset = vec!["HSET".to_string(), "hbig".to_string()];
    hset.extend((0..200).flat_map(|i| [format!("field{i}"), format!("value{i}")]));
    c.cmd(&hset);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    let mut zadd = vec!["ZADD".to_string(), "zbig".to_string()];
    zadd.extend((0..200).flat_map(|i| [i.to_string(), format!("member{i}")]));
    c.cmd(&zadd);
}

/// Reads until one whole reply arrived (then the connection is open) or the server closed the connection.
fn read_reply_or_close(t: &mut TcpStream) -> (Vec<u8>, bool) {
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        if common::frame_len(&out).unwrap().is_some() {
            return (out, false);
        }
        match t.read(&mut buf) {
            Ok(0) | Err(_) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reply shape of a random pick: its array header.
fn shape(reply: &[u8]) -> String {
    let end = reply.iter().position(|&b| b == b'\r').unwrap_or(reply.len());
    String::from_utf8_lossy(&reply[..end]).into_owned()
}

/// The `(name, cmd)` of each output-limit line of the log, in order.
fn limit_lines(log: &str) -> Vec<(String, String)> {
    let field = |l: &str, f: &str| l.split(' ').find_map(|w| w.strip_prefix(f)).unwrap_or("?").to_string();
    log.lines()
        .filter(|l| l.contains("scheduled to be closed ASAP for overcoming of output buffer limits."))
        .map(|l| (field(l, "name="), field(l, "cmd=")))
        .collect()
}

/// Runs every line on its own connection; returns per line whether the server closed it and what it received, then
/// the MULTI/EXEC outcome and the log's output-limit lines.
fn run(kind: Kind) -> (Vec<String>, Vec<(String, String)>) {
    let s = Server::start(kind, &["--client-output-buffer-limit", LIMIT]);
    let mut c = s.conn();
    fill(&mut c);
    let mut out = Vec::new();
    for (i, line) in LINES.iter().enumerate() {
        let (random, cmd) = match line.strip_prefix("~ ") {
            Some(rest) => (true, rest),
            None => (false, *line),
        };
        let mut t = raw_connect(s.port);
        let name = format!("c{i}");
        t.write_all(&encode_command(&["CLIENT", "SETNAME", &name])).unwrap();
        let mut ok = [0u8; 5];
        t.read_exact(&mut ok).unwrap();
        assert_eq!(&ok, b"+OK\r\n");
        t.write_all(&encode_command(&split_args(cmd).unwrap())).unwrap();
        let (bytes, closed) = read_reply_or_close(&mut t);
        let shown = if random { shape(&bytes) } else { common::escape(&bytes) };
        out.push(format!("{line}: closed={closed} {shown}"));
    }
    // A transaction over the limit runs whole; the client is closed.
    let mut t = raw_connect(s.port);
    let mut batch = encode_command(&["CLIENT", "SETNAME", "tx"]);
    for cmd in ["SET k1 v1", "MULTI", "SET k2 v2", "LRANGE biglist 0 -1", "SET k3 v3", "DEL k1", "EXEC"] {
        batch.extend(encode_command(&split_args(cmd).unwrap()));
    }
    t.write_all(&batch).unwrap();
    let (_, closed) = read_until_close(&mut t, 2000);
    out.push(format!("MULTI/EXEC: closed={closed}"));
    for k in ["k1", "k2", "k3"] {
        out.push(format!("GET {k}: {}", common::escape(&c.cmd(&["GET", k]))));
    }
    // Everyone but the control connection is gone, and the server still answers.
    out.push(format!("clients: {}", common::escape(&c.cmd(&["CLIENT", "LIST"])).matches("id=").count()));
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    if kind == Kind::Ferredis {
        assert_rss_below(&s, RSS_MARGIN_MB, "output limits mid-reply");
    }
    (out, limit_lines(&s.full_log()))
}

#[test]
fn replies_over_the_output_limit_close_the_client_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (ours, our_log) = run(Kind::Ferredis);
    let (theirs, their_log) = run(Kind::Redis);
    let diffs: Vec<String> =
        ours.iter().zip(&theirs).filter(|(a, b)| a != b).map(|(a, b)| format!("ferredis {a}\nredis    {b}")).collect();
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
    // The commands that closed their client: every big one, and none of the small ones.
    let closed: Vec<&String> = theirs.iter().filter(|l| l.contains("closed=true")).collect();
    assert_eq!(closed.len(), LINES.len() - 5 + 1, "{theirs:#?}");
    assert_eq!(our_log, their_log);
    assert_eq!(our_log.len(), closed.len(), "{our_log:?}");
}
