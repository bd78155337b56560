//! MIGRATE against Debian's redis-server 7.0: the same script runs with a ferredis source and a redis-server
//! source, each migrating to a ferredis target and to a redis-server target, and every reply must be
//! byte-identical (the target's error texts come from the target, so each target kind is compared with itself).
//! Also: the moved keys' values and TTLs on the target (DUMP and PTTL), the DEL propagated to a replica of the
//! source, keyspace events, and COMMAND INFO/DOCS/GETKEYS.

use crate::common;

use common::*;
use std::time::Duration;

/// The script, with `$PORT` the target's port and `$DEAD` a port nobody listens on.
const SCRIPT: &[&str] = &[
    "MIGRATE 127.0.0.1 $PORT nokey 0 1000",
    "SET s hello",
    "RPUSH l a b c",
    "HSET h f v g w",
    "SADD st 3 1 2",
    "ZADD z 1 a 2 b",
    "XADD x 1-1 f v",
    "SET ttl v PX 500000",
    "MIGRATE 127.0.0.1 $PORT s 0 1000",
    "EXISTS s",
    "MIGRATE 127.0.0.1 $PORT \"\" 0 1000 KEYS l h nokey st",
    "EXISTS l h st",
    "MIGRATE 127.0.0.1 $PORT z 3 1000 COPY",
    "EXISTS z",
    "MIGRATE 127.0.0.1 $PORT z 3 1000",
    "MIGRATE 127.0.0.1 $PORT z 3 1000 REPLACE",
    "EXISTS z",
    "MIGRATE 127.0.0.1 $PORT \"\" 0 0 COPY REPLACE KEYS x ttl",
    "SET s again",
    "MIGRATE 127.0.0.1 $PORT s 0 1000 AUTH wrongpass",
    "MIGRATE 127.0.0.1 $PORT s 0 1000 AUTH2 nobody wrongpass",
    "EXISTS s",
    "MIGRATE 127.0.0.1 $PORT s 99 1000",
    "MIGRATE 127.0.0.1 $DEAD s 0 100",
    "MIGRATE 127.0.0.1 $PORT s 0 1000 KEYS a",
    "MIGRATE 127.0.0.1 $PORT \"\" 0 1000 KEYS",
    "MIGRATE 127.0.0.1 $PORT s 0 1000 AUTH",
    "MIGRATE 127.0.0.1 $PORT s 0 1000 AUTH2 u",
    "MIGRATE 127.0.0.1 $PORT s 0 1000 BOGUS",
    "MIGRATE 127.0.0.1 $PORT s x 1000",
    "MIGRATE 127.0.0.1 $PORT s 0 x",
    "MIGRATE 127.0.0.1 $PORT s 0",
    "COMMAND GETKEYS MIGRATE h 1 k 0 5",
    "COMMAND GETKEYS MIGRATE h 1 \"\" 0 5 COPY KEYS a b",
    "COMMAND INFO migrate",
    "COMMAND DOCS migrate",
];

/// Splits a script line into words (double quotes group, `""` is an empty word).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in line.split('"').enumerate() {
        if i % 2 == 1 {
            out.push(part.to_string());
        } else {
            out.extend(part.split_whitespace().map(String::from));
        }
    }
    out
}

/// Runs the script from `src` to `dst`; returns every reply and the target's view of the moved keys.
fn run(src: &Server, dst: &Server, dead: u16) -> (Vec<String>, Vec<String>) {
    let (mut s, mut d) = (src.conn(), dst.conn());
    d.cmd(&["FLUSHALL"]);
    d.cmd(&["CONFIG", "SET", "notify-keyspace-events", ""]);
    let mut replies = Vec::new();
    for line in SCRIPT {
        let line = line.replace("$PORT", &dst.port.to_string()).replace("$DEAD", &dead.to_string());
        let w = words(&line);
        replies.push(format!("{line} -> {}", escape(&s.cmd(&w))));
    }
    let mut target = Vec::new();
    for (db, key) in [(0, "s"), (0, "l"), (0, "h"), (0, "st"), (3, "z"), (0, "x"), (0, "ttl"), (0, "nokey")] {
        d.cmd(&["SELECT", &db.to_string()]);
        target.push(format!("{db}/{key}: {}", escape(&d.cmd(&["DUMP", key]))));
        let pttl = String::from_utf8_lossy(&d.cmd(&["PTTL", key])).trim().to_string();
        // The TTL is relative: only whether one is set, and that it is still close to the original 500 s.
        let pttl = match pttl.trim_start_matches(':').parse::<i64>() {
            Ok(v) if v > 400_000 => "ttl~500s".to_string(),
            Ok(v) => v.to_string(),
            Err(_) => pttl,
        };
        target.push(format!("{db}/{key} pttl {pttl}"));
    }
    (replies, target)
}

#[test]
fn migrate_matches_redis_in_every_direction() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let dead = free_port();
    let fer_dst = Server::start(Kind::Ferredis, &[]);
    let red_dst = Server::start(Kind::Redis, &[]);
    for dst in [&fer_dst, &red_dst] {
        let fer = Server::start(Kind::Ferredis, &[]);
        let red = Server::start(Kind::Redis, &[]);
        let (fr, ft) = run(&fer, dst, dead);
        let (rr, rt) = run(&red, dst, dead);
        for (a, b) in fr.iter().zip(&rr) {
            assert_eq!(a, b, "source ferredis vs redis, target {}", dst.kind.label());
        }
        assert_eq!(ft, rt, "the target's keys after migrating from each source ({})", dst.kind.label());
    }
}

#[test]
fn migrate_propagates_del_and_notifies() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let target = Server::start(Kind::Redis, &[]);
    for kind in [Kind::Ferredis, Kind::Redis] {
        let src = Server::start(kind, &["--repl-diskless-sync-delay", "0"]);
        let replica = Server::start(kind, &[]);
        let mut rc = replica.conn();
        rc.cmd(&["REPLICAOF", "127.0.0.1", &src.port.to_string()]);
        let mut s = src.conn();
        s.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEg"]);
        let mut sub = src.conn();
        sub.cmd(&["SUBSCRIBE", "__keyevent@0__:del"]);
        s.cmd(&["MSET", "a", "1", "b", "2", "c", "3"]);
        let port = target.port.to_string();
        assert_eq!(s.cmd(&["MIGRATE", "127.0.0.1", &port, "", "0", "1000", "KEYS", "a", "b"]), b"+OK\r\n");
        let msg = sub.read_reply().unwrap();
        assert!(
            escape(&msg).contains("__keyevent@0__:del") && escape(&msg).ends_with("$1\\r\\na\\r\\n"),
            "{}",
            escape(&msg)
        );
        // The replica follows the DEL: only c is left there.
        let mut left = Vec::new();
        for _ in 0..400 {
            left = rc.cmd(&["KEYS", "*"]);
            if left == b"*1\r\n$1\r\nc\r\n" {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(escape(&left), escape(b"*1\r\n$1\r\nc\r\n"), "{}", kind.label());
        let mut t = target.conn();
        t.cmd(&["FLUSHALL"]);
    }
}
