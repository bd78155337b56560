//! Redis 8.4's string commands end to end: what DIGEST, DELEX, MSETEX and SET's IFNE/IFDEQ/IFDNE publish as
//! keyspace events, write to the AOF and send to a replica.
//!
//! No Redis 8.4 binary is on the test machines, so the expectations are written from Redis 8.4's source: the
//! events are `delexCommand`'s (`src/db.c`: `del` when it deletes, nothing otherwise), `setGenericCommand`'s and
//! `msetexCommand`'s (`src/t_string.c`: `set`, `expire` for a key given a time, before its `set` in MSETEX). The
//! propagated forms are ours, by design: where Redis 8.4 propagates these commands as sent (MSETEX with its
//! relative time made absolute), ferredis sends their effect in commands Redis 7.0 replays (`DEL`, one
//! `SET key value PXAT ms` or `SET key value KEEPTTL` per key, wrapped in MULTI/EXEC), as it already does for
//! SET ... IFEQ and DELIFEQ; a failed condition propagates nothing, as in Redis.

use crate::common::{info_field, Conn, Kind, Resp, Server, TempDir};
use std::time::{Duration, Instant};

/// The commands, each with the events it must publish (`event key` pairs; `end` marks the last command).
const SCRIPT: &[(&[&str], &[&str])] = &[
    (&["SET", "k", "v", "IFNE", "x"], &["set k"]),
    (&["SET", "k", "w", "IFNE", "v"], &[]),
    (&["DIGEST", "k"], &[]),
    (&["DELEX", "k", "IFEQ", "nope"], &[]),
    (&["DELEX", "k", "IFEQ", "v"], &["del k"]),
    (&["DELEX", "k"], &[]),
    (&["MSETEX", "2", "a", "1", "b", "2", "EX", "100"], &["expire a", "set a", "expire b", "set b"]),
    (&["MSETEX", "2", "a", "x", "c", "y", "NX"], &[]),
    (&["MSETEX", "1", "a", "3", "KEEPTTL"], &["set a"]),
    (&["SET", "h", "hello"], &["set h"]),
    (&["DELEX", "h", "IFDEQ", "9555E8555C62DCFD"], &["del h"]),
    (&["SET", "end", "1"], &["set end"]),
];

pub(crate) fn texts(r: &Resp) -> Vec<String> {
    r.items()
        .map(|v| v.iter().map(|x| String::from_utf8_lossy(x.as_bytes().unwrap_or(b"?")).into_owned()).collect())
        .unwrap_or_default()
}

/// The events published until the one for `end`, as `event key` strings.
pub(crate) fn events_until_end(sub: &mut Conn) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let frame = Resp::parse(&sub.read_reply().expect("event")).unwrap();
        let t = texts(&frame);
        // pmessage <pattern> __keyevent@0__:<event> <key>
        let event = t[2].trim_start_matches("__keyevent@0__:").to_string();
        got.push(format!("{event} {}", t[3]));
        if t[3] == "end" {
            return got;
        }
    }
}

/// The commands of an AOF file (no RDB preamble), each as its arguments.
pub(crate) fn aof_commands(dir: &TempDir) -> Vec<Vec<String>> {
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".incr.aof") {
            bytes = std::fs::read(p).unwrap();
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (r, n) = Resp::parse_prefix(&bytes[at..]).unwrap();
        out.push(texts(&r));
        at += n;
    }
    out
}

/// A master writing a plain AOF in `dir` and a linked replica of it.
pub(crate) fn master_and_replica(dir: &TempDir) -> (Server, Server) {
    let master = Server::start_in(Kind::Ferredis, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Ferredis, &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.conn();
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(&mut r, "replication", "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "the replica never linked");
        std::thread::sleep(Duration::from_millis(20));
    }
    (master, replica)
}

/// Waits until the AOF's last command is `last`; the AOF's commands.
pub(crate) fn aof_until(dir: &TempDir, last: &str) -> Vec<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut aof = aof_commands(dir);
    while aof.last().map(|c| c.join(" ")).as_deref() != Some(last) {
        assert!(Instant::now() < deadline, "AOF: {aof:?}");
        std::thread::sleep(Duration::from_millis(20));
        aof = aof_commands(dir);
    }
    aof
}

/// Waits until the replica has processed everything the master sent.
pub(crate) fn caught_up(m: &mut Conn, r: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(m, "replication", "master_repl_offset") != info_field(r, "replication", "slave_repl_offset") {
        assert!(Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn events_aof_and_replica() {
    let dir = TempDir::new("redis84-strings");
    let (master, replica) = master_and_replica(&dir);
    let mut r = replica.conn();
    let mut m = master.conn();
    m.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut sub = master.conn();
    sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    let mut want = Vec::new();
    for (argv, events) in SCRIPT {
        let reply = m.cmd(argv);
        assert!(!reply.starts_with(b"-"), "{argv:?}: {}", String::from_utf8_lossy(&reply));
        want.extend(events.iter().map(|e| e.to_string()));
    }
    assert_eq!(events_until_end(&mut sub), want);

    // The AOF: SELECT, then only what changed the dataset, in forms Redis 7.0 replays.
    let aof = aof_until(&dir, "SET end 1");
    let when = aof[4][4].clone();
    let shapes: Vec<String> = aof.iter().map(|c| c.join(" ")).collect();
    assert_eq!(
        shapes,
        vec![
            "SELECT 0".to_string(),
            "SET k v".into(),
            "DEL k".into(),
            "MULTI".into(),
            format!("SET a 1 PXAT {when}"),
            format!("SET b 2 PXAT {when}"),
            "EXEC".into(),
            "SET a 3 KEEPTTL".into(),
            "SET h hello".into(),
            "DEL h".into(),
            "SET end 1".into(),
        ]
    );

    // The replica replays the stream to the same data and the same expiry time.
    caught_up(&mut m, &mut r);
    for key in ["a", "b", "k", "h", "end"] {
        assert_eq!(r.cmd(&["GET", key]), m.cmd(&["GET", key]), "{key}");
        assert_eq!(r.cmd(&["PEXPIRETIME", key]), m.cmd(&["PEXPIRETIME", key]), "{key}");
    }
    assert_eq!(m.cmd(&["PEXPIRETIME", "a"]), format!(":{when}\r\n").into_bytes());
    assert_eq!(r.cmd(&["DIGEST", "a"]), m.cmd(&["DIGEST", "a"]));
}

/// MSETEX's keys follow MSET's cluster rule: all in one slot (else CROSSSLOT), served by this node (else MOVED);
/// DELEX and DIGEST are single-key commands like GET and DEL.
#[test]
fn msetex_slot_rules() {
    let node = Server::start(
        Kind::Ferredis,
        &["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-require-full-coverage", "no"],
    );
    let mut c = node.conn();
    // Every slot but the one of `b` (3300) is served here.
    assert_eq!(c.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "3299", "3301", "16383"]), b"+OK\r\n");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&c.cmd(&["CLUSTER", "INFO"])).contains("cluster_state:ok") {
        assert!(Instant::now() < deadline, "the cluster never became ok");
        std::thread::sleep(Duration::from_millis(50));
    }
    let crossslot = b"-CROSSSLOT Keys in request don't hash to the same slot\r\n".to_vec();
    assert_eq!(c.cmd(&["MSET", "a", "1", "c", "2"]), crossslot);
    assert_eq!(c.cmd(&["MSETEX", "2", "a", "1", "c", "2", "EX", "10"]), crossslot);
    assert_eq!(c.cmd(&["MSETEX", "2", "{t}a", "1", "{t}c", "2", "EX", "10"]), b":1\r\n");
    // A slot no node serves: the cluster is down for it, as for MSET.
    let down = c.cmd(&["MSET", "b", "1"]);
    assert!(down.starts_with(b"-CLUSTERDOWN"), "{}", String::from_utf8_lossy(&down));
    assert_eq!(c.cmd(&["MSETEX", "1", "b", "1", "EX", "10"]), down);
    assert_eq!(c.cmd(&["DIGEST", "{t}a"]), b"$16\r\n65cd25028f98f158\r\n");
    assert_eq!(c.cmd(&["DIGEST", "b"]), down);
    assert_eq!(c.cmd(&["DELEX", "{t}a", "IFEQ", "1"]), b":1\r\n");
}
