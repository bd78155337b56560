//! Keyspace notifications of the set, sorted-set and SORT families, end to end against Debian's redis-server: a
//! subscriber on `__key*@*__:*` (RESP2 and RESP3) watches a scripted sequence of writes, and the byte transcripts of
//! both servers must be identical (event names, classes, and their order, e.g. `srem` before `del`).
//!
//! Determinism: after every step each client sends PING and its transcript takes every frame up to the PONG; the
//! server is single threaded, so pushes caused by a step are queued before that PING's answer.

use crate::common;

use common::{run_script, Kind, Server};

fn compare(resp3: &[bool], steps: &[(usize, &str)]) {
    let f = Server::start(Kind::Ferredis, &[]);
    let r = Server::start(Kind::Redis, &[]);
    let a = run_script(f.port, resp3, steps);
    let b = run_script(r.port, resp3, steps);
    for (x, y) in a.iter().zip(b.iter()) {
        assert_eq!(x, y, "ferredis vs redis differ\nferredis:\n{}\nredis:\n{}", a.join("\n"), b.join("\n"));
    }
    assert_eq!(a.len(), b.len(), "ferredis:\n{}\nredis:\n{}", a.join("\n"), b.join("\n"));
}

const SCRIPT: &[&str] = &[
    "sadd s a b",
    "sadd s a",
    "srem s a",
    "srem s b",
    "sadd s 1",
    "spop s",
    "sadd s 1 2 3",
    "spop s 5",
    "sadd s a",
    "smove s t a",
    "sadd s a",
    "smove s t a",
    "sadd s a b",
    "sinterstore d s t",
    "sinterstore d s nokey",
    "sunionstore d s",
    "sdiffstore d s s",
    "zadd z 1 a 2 b",
    "zadd z incr 1 a",
    "zincrby z 1 a",
    "zadd z 1 a",
    "zrem z a",
    "zpopmin z",
    "zadd z 1 a 2 b 3 c",
    "zpopmax z 5",
    "zadd z 1 a 2 b 3 c",
    "zmpop 1 z min count 1",
    "zremrangebyrank z 0 0",
    "zremrangebyscore z 0 10",
    "zadd z 1 a",
    "zunionstore u 1 z",
    "zinterstore u 1 nokey",
    "zrangestore r z 0 -1",
    "zdiffstore r 1 z",
    "sort z store l",
    "sort nokey store l",
    "sort z store l",
    "zremrangebylex z - +",
    "ZADD n 3 x 1 y",
    "SORT n STORE l",
    "SORT nokey STORE l",
    "SADD small 1",
    "SPOP small 10",
    "ZADD z2 1 a",
    "ZADD z2 XX 1 a",
    "ZADD z2 NX 2 a",
    "ZREM z2 nope",
    "SREM s nope",
];

fn steps() -> Vec<(usize, &'static str)> {
    let mut v = vec![(1, "CONFIG SET notify-keyspace-events KEA"), (0, "PSUBSCRIBE __key*@*__:*")];
    v.extend(SCRIPT.iter().map(|l| (1, *l)));
    v.push((1, "CONFIG SET notify-keyspace-events \"\""));
    v
}

#[test]
fn set_zset_sort_notifications_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    compare(&[false, false], &steps());
}

#[test]
fn set_zset_sort_notifications_match_redis_resp3_subscriber() {
    if !crate::common::pair::have_redis() {
        return;
    }
    compare(&[true, false], &steps());
}
