//! Slow subscribers and `client-output-buffer-limit`, and `expired` notifications from the active expire cycle.
//! Scenarios run against ferredis and (as an oracle for the expectations) against Debian's redis-server.

use crate::common;

use common::{info_field, Conn, Kind, Server};
use std::time::{Duration, Instant};

/// Publishes `payload` to `ch` until nobody receives it; returns how many PUBLISH calls that took.
fn publish_until_gone(p: &mut Conn, payload: &[u8], max_calls: usize, pause_ms: u64) -> usize {
    for i in 0..max_calls {
        let r = p.cmd(&[&b"PUBLISH"[..], b"ch", payload]);
        if r == b":0\r\n" {
            return i;
        }
        assert_eq!(r, b":1\r\n");
        if pause_ms > 0 {
            std::thread::sleep(Duration::from_millis(pause_ms));
        }
    }
    panic!("subscriber still connected after {max_calls} publishes");
}

fn hard_limit_closes_subscriber(kind: Kind) {
    let s = Server::start(kind, &[]);
    let mut p = s.conn();
    assert_eq!(p.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"]), b"+OK\r\n");
    let mut sub = s.conn();
    sub.cmd(&["SUBSCRIBE", "ch"]);
    // The subscriber stops reading; the kernel's socket buffers fill first, then the server's output buffer.
    publish_until_gone(&mut p, &vec![b'x'; 64 * 1024], 8000, 0);
    // (Redis 7.0 has no INFO counter for these disconnections.)
    assert_eq!(info_field(&mut p, "clients", "connected_clients"), "1");
    assert_eq!(p.cmd(&["PUBSUB", "NUMSUB", "ch"]), b"*2\r\n$2\r\nch\r\n:0\r\n");
    let (_, closed) = sub.read_until_close(5000);
    assert!(closed, "{}: subscriber connection still open", kind.label());
    if kind == Kind::Ferredis {
        let log = s.log_text();
        assert!(log.contains("scheduled to be closed ASAP for overcoming of output buffer limits."), "{log}");
    }
}

#[test]
fn hard_limit_closes_slow_subscriber() {
    hard_limit_closes_subscriber(Kind::Ferredis);
}

#[test]
fn oracle_hard_limit_closes_slow_subscriber() {
    if !crate::common::pair::have_redis() {
        return;
    }
    hard_limit_closes_subscriber(Kind::Redis);
}

fn soft_limit_closes_subscriber(kind: Kind) {
    let s = Server::start(kind, &[]);
    let mut p = s.conn();
    assert_eq!(p.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 256kb 1"]), b"+OK\r\n");
    assert_eq!(
        p.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        b"*2\r\n$26\r\nclient-output-buffer-limit\r\n$58\r\nnormal 0 0 0 slave 268435456 67108864 60 pubsub 0 262144 1\r\n"
    );
    let mut sub = s.conn();
    sub.cmd(&["SUBSCRIBE", "ch"]);
    // Stays above the soft limit; closed once that has lasted more than a second (bounded wait, no timing check).
    let start = Instant::now();
    publish_until_gone(&mut p, &vec![b'y'; 32 * 1024], 2000, 10);
    assert!(start.elapsed() >= Duration::from_secs(1), "soft limit must not close before its seconds");
    assert_eq!(info_field(&mut p, "clients", "connected_clients"), "1");
}

#[test]
fn soft_limit_closes_slow_subscriber() {
    soft_limit_closes_subscriber(Kind::Ferredis);
}

#[test]
fn oracle_soft_limit_closes_slow_subscriber() {
    if !crate::common::pair::have_redis() {
        return;
    }
    soft_limit_closes_subscriber(Kind::Redis);
}

/// With the default pubsub limit (32mb hard), a subscriber that never reads while 256 MB are published costs the
/// server at most the limit plus a margin: peak RSS (VmHWM) stays bounded, and the memory is given back.
#[test]
fn slow_subscriber_memory_is_bounded() {
    let s = Server::ferredis();
    let status = format!("/proc/{}/status", s.pid());
    let vm = |field: &str| -> Option<u64> {
        let text = std::fs::read_to_string(&status).ok()?;
        let line = text.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
    };
    let Some(base) = vm("VmRSS:") else { return }; // no procfs: nothing to measure
    let mut p = s.conn();
    let mut sub = s.conn();
    sub.cmd(&["SUBSCRIBE", "ch"]);
    let payload = vec![b'z'; 1 << 20];
    let calls = publish_until_gone(&mut p, &payload, 256, 0);
    assert!(calls >= 32, "closed after only {calls} MB");
    let peak = vm("VmHWM:").unwrap();
    eprintln!("base RSS {} KiB, peak RSS {} KiB after {calls} x 1 MiB", base >> 10, peak >> 10);
    let limit = 32u64 << 20;
    assert!(peak < base + limit + (24 << 20), "peak RSS {} MB (base {} MB)", peak >> 20, base >> 20);
    // Publishing more to nobody costs nothing.
    for _ in 0..64 {
        assert_eq!(p.cmd(&[&b"PUBLISH"[..], b"ch", &payload]), b":0\r\n");
    }
    let now = vm("VmRSS:").unwrap();
    assert!(now < base + (16 << 20), "RSS after close {} MB (base {} MB)", now >> 20, base >> 20);
    drop(sub);
}

fn active_expiry_notifies(kind: Kind) {
    let s = Server::start(kind, &[]);
    let mut p = s.conn();
    assert_eq!(p.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]), b"+OK\r\n");
    let mut sub = s.conn();
    sub.cmd(&["SUBSCRIBE", "__keyevent@0__:expired"]);
    for k in ["e1", "e2", "e3"] {
        assert_eq!(p.cmd(&["SET", k, "v", "PX", "20"]), b"+OK\r\n");
    }
    // Nobody touches the keys: only the active cycle can delete them. Each event arrives within the reply timeout.
    let mut keys = Vec::new();
    for _ in 0..3 {
        let m = sub.read_reply().expect("expired event");
        let text = String::from_utf8(m).unwrap();
        assert!(text.starts_with("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$2\r\n"), "{text}");
        keys.push(text[text.len() - 4..text.len() - 2].to_string());
    }
    keys.sort();
    assert_eq!(keys, ["e1", "e2", "e3"]);
    assert_eq!(p.cmd(&["DBSIZE"]), b":0\r\n");
}

#[test]
fn active_expiry_publishes_expired_events() {
    active_expiry_notifies(Kind::Ferredis);
}

#[test]
fn oracle_active_expiry_publishes_expired_events() {
    if !crate::common::pair::have_redis() {
        return;
    }
    active_expiry_notifies(Kind::Redis);
}
