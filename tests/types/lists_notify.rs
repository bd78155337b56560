//! Keyspace notifications of the list and hash commands, compared with Redis 7.0: the same script runs on both
//! servers while a subscriber listens to every keyevent channel, and the event streams must be identical.

use crate::common;

use common::{Conn, Kind, Server};

const SCRIPT: &[&[&str]] = &[
    &["RPUSH", "l", "a", "b", "c"],
    &["LPUSH", "l", "z"],
    &["LPUSHX", "none", "x"],
    &["RPUSHX", "l", "t"],
    &["LPOP", "l"],
    &["RPOP", "l", "2"],
    &["LSET", "l", "0", "A"],
    &["LINSERT", "l", "BEFORE", "A", "p"],
    &["LINSERT", "l", "BEFORE", "missing", "p"],
    &["LREM", "l", "0", "p"],
    &["LTRIM", "l", "0", "0"],
    &["LMOVE", "l", "m", "LEFT", "RIGHT"],
    &["RPUSH", "m", "2", "3"],
    &["RPOPLPUSH", "m", "m"],
    &["LMPOP", "1", "m", "LEFT", "COUNT", "2"],
    &["BLPOP", "m", "0"],
    &["RPUSH", "t", "x"],
    &["LTRIM", "t", "1", "0"],
    &["HSET", "h", "a", "1", "b", "2"],
    &["HSETNX", "h", "a", "x"],
    &["HSETNX", "h", "c", "3"],
    &["HINCRBY", "h", "n", "5"],
    &["HINCRBYFLOAT", "h", "f", "1.5"],
    &["HDEL", "h", "zz"],
    &["HDEL", "h", "a", "b", "c", "n", "f"],
    &["HMSET", "h", "x", "y"],
    &["PING"],
];

fn events(kind: Kind) -> Vec<Vec<u8>> {
    let s = Server::start(kind, &["--notify-keyspace-events", "KEA"]);
    let mut sub = s.conn();
    sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    let mut c: Conn = s.conn();
    for cmd in SCRIPT {
        c.cmd(cmd);
    }
    // A last event marks the end of the stream.
    c.cmd(&["SET", "end-marker", "1"]);
    let mut out = Vec::new();
    loop {
        let m = sub.read_reply().expect("pubsub message");
        let done = m.windows(10).any(|w| w == b"end-marker");
        out.push(m);
        if done {
            break;
        }
    }
    out
}

#[test]
fn list_and_hash_events_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = events(Kind::Ferredis);
    let red = events(Kind::Redis);
    let show = |v: &[Vec<u8>]| v.iter().map(|m| common::escape(m)).collect::<Vec<_>>().join("\n");
    assert_eq!(show(&fer), show(&red));
    // Both keyspace and keyevent messages for every event of the script.
    assert!(fer.len() > 50, "{}", show(&fer));
}
