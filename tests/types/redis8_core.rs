//! Redis 8.8 / 8.10's core commands end to end: what LMOVEM, BLMOVEM and INCREX publish as keyspace events, write to
//! the AOF and send to a replica, and BLMOVEM ... EXACTLY waiting through pushes to an existing list.
//!
//! No Redis 8 binary is on the test machines, so the expectations are written from Redis's source (src/t_string.c's
//! increxCommand) and tests (tests/unit/type/list-4.tcl, increx.tcl). LMOVEM is propagated as sent; BLMOVEM as the
//! LMOVEM ... EXACTLY of what it moved; INCREX as the resulting `SET` (with `PXAT` when it set a time, `KEEPTTL` when
//! it kept one, bare after PERSIST), which Redis 7.0 replays, as INCRBYFLOAT already is.

use super::redis84_strings::{aof_until, caught_up, events_until_end, master_and_replica};
use crate::common::{info_field, wait_blocked, Server, TempDir};

/// The commands, each with the events it must publish (`event key` pairs; `end` marks the last command).
const SCRIPT: &[(&[&str], &[&str])] = &[
    (&["RPUSH", "src", "a", "b", "c", "d", "e"], &["rpush src"]),
    (&["LMOVEM", "src", "dst", "LEFT", "RIGHT", "COUNT", "2", "OBO"], &["rpush dst", "lpop src"]),
    (&["LMOVEM", "src", "dst", "RIGHT", "LEFT", "EXACTLY", "4", "BULK"], &[]),
    (&["LMOVEM", "src", "dst", "RIGHT", "LEFT", "EXACTLY", "3", "BULK"], &["lpush dst", "rpop src", "del src"]),
    (&["INCREX", "n", "BYINT", "5", "EX", "100"], &["incrby n", "expire n"]),
    (&["INCREX", "n", "UBOUND", "0"], &[]),
    (&["INCREX", "n", "BYFLOAT", "0.5", "PERSIST"], &["incrbyfloat n", "persist n"]),
    // A time already past deletes the key as it stands: only `del`, replayed as DEL (Redis 8.8's t_string.c,
    // increxCommand); a missing key stays absent, with no event and nothing replayed.
    (&["SET", "p", "10"], &["set p"]),
    (&["INCREX", "p", "BYINT", "1", "EXAT", "1"], &["del p"]),
    (&["INCREX", "q", "BYINT", "1", "PXAT", "1"], &[]),
    // PERSIST on a key without a TTL: no `persist` event, replayed as the bare SET all the same (t_string.c).
    (&["INCREX", "p", "PERSIST"], &["incrby p"]),
];

#[test]
fn events_aof_replica_and_blmovem() {
    let dir = TempDir::new("redis8-core");
    let (master, replica) = master_and_replica(&dir);
    let mut r = replica.conn();
    let mut m = master.conn();
    m.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut sub = master.conn();
    sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    let mut want: Vec<String> = Vec::new();
    for (argv, events) in SCRIPT {
        let reply = m.cmd(argv);
        assert!(!reply.starts_with(b"-"), "{argv:?}: {}", String::from_utf8_lossy(&reply));
        want.extend(events.iter().map(|e| e.to_string()));
    }
    // 5.5 is no integer for INCREX's default mode.
    assert_eq!(
        m.cmd(&["INCREX", "n", "BYINT", "1", "LBOUND", "0"]),
        b"-ERR value is not an integer or out of range\r\n"
    );

    // BLMOVEM ... EXACTLY waits until its (existing) source holds enough, woken by each push.
    let mut b = master.conn();
    m.cmd(&["RPUSH", "w", "x"]);
    b.send(&["BLMOVEM", "w", "out", "LEFT", "LEFT", "0", "EXACTLY", "3", "OBO"]).unwrap();
    wait_blocked(&mut m, 1);
    m.cmd(&["RPUSH", "w", "y"]);
    assert_eq!(info_field(&mut m, "clients", "blocked_clients"), "1");
    m.cmd(&["RPUSH", "w", "z"]);
    assert_eq!(b.read_reply().unwrap(), b"*3\r\n$1\r\nz\r\n$1\r\ny\r\n$1\r\nx\r\n");
    want.extend(["rpush w", "rpush w", "rpush w", "lpush out", "lpop w", "del w"].map(String::from));
    m.cmd(&["SET", "end", "1"]);
    want.push("set end".into());
    assert_eq!(events_until_end(&mut sub), want);

    // The AOF: only what changed the dataset.
    let aof = aof_until(&dir, "SET end 1");
    let when = m.cmd(&["PEXPIRETIME", "n"]);
    assert_eq!(when, b":-1\r\n");
    let shapes: Vec<String> = aof.iter().map(|c| c.join(" ")).collect();
    let set_n = shapes.iter().find(|s| s.starts_with("SET n 5 PXAT ")).cloned().unwrap_or_default();
    assert_eq!(
        shapes,
        vec![
            "SELECT 0".to_string(),
            "RPUSH src a b c d e".into(),
            "LMOVEM src dst LEFT RIGHT COUNT 2 OBO".into(),
            "LMOVEM src dst RIGHT LEFT EXACTLY 3 BULK".into(),
            set_n,
            "SET n 5.5".into(),
            "SET p 10".into(),
            "DEL p".into(),
            "SET p 1".into(),
            "RPUSH w x".into(),
            "RPUSH w y".into(),
            "RPUSH w z".into(),
            // The sides as the client wrote them (Redis 8.10's tests/unit/type/list-4.tcl).
            "LMOVEM w out LEFT LEFT EXACTLY 3 OBO".into(),
            "SET end 1".into(),
        ]
    );

    // The replica replays the stream to the same data.
    caught_up(&mut m, &mut r);
    for key in ["dst", "out"] {
        assert_eq!(r.cmd(&["LRANGE", key, "0", "-1"]), m.cmd(&["LRANGE", key, "0", "-1"]), "{key}");
    }
    assert_eq!(m.cmd(&["LRANGE", "dst", "0", "-1"]), b"*5\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(r.cmd(&["GET", "n"]), b"$3\r\n5.5\r\n");
    assert_eq!(r.cmd(&["PEXPIRETIME", "n"]), b":-1\r\n");
    assert_eq!(r.cmd(&["EXISTS", "src", "w", "q"]), b":0\r\n");
    assert_eq!(r.cmd(&["GET", "p"]), b"$1\r\n1\r\n");
    // Both INCREX calls given a time already past count an expired key, the missing one too (t_string.c).
    assert_eq!(info_field(&mut m, "stats", "expired_keys"), "2");
}

/// INCREX's replies and errors as Redis 8.8's src/t_string.c gives them, and its COMMAND DOCS as
/// src/commands/increx.json (with the summaries of four arguments), over the wire.
#[test]
fn increx_errors_and_docs() {
    let srv = Server::ferredis();
    let mut c = srv.conn();
    let cases: &[(&[&str], &str)] = &[
        (&["INCREX", "k", "BYINT", "x"], "-ERR Increment is not an integer or out of range\r\n"),
        (&["INCREX", "k", "BYFLOAT", "x"], "-ERR Increment is not a valid float\r\n"),
        (&["INCREX", "k", "BYFLOAT", "inf"], "-ERR BYFLOAT increment cannot be Infinity\r\n"),
        (&["INCREX", "k", "LBOUND", "x"], "-ERR LBOUND is not an integer or out of range\r\n"),
        (&["INCREX", "k", "BYFLOAT", "1", "UBOUND", "x"], "-ERR UBOUND is not a valid float\r\n"),
        (&["INCREX", "k", "LBOUND", "2", "UBOUND", "1", "ENX"], "-ERR LBOUND can't be greater than UBOUND\r\n"),
        (&["INCREX", "k", "ENX"], "-ERR ENX flag requires an expiration\r\n"),
        (&["INCREX", "k", "PERSIST", "ENX", "BYINT", "x"], "-ERR syntax error\r\n"),
        (&["INCREX", "k", "EX", "0"], "-ERR invalid expire time in 'increx' command\r\n"),
        (&["INCREX", "k"], "*2\r\n:1\r\n:1\r\n"),
        (&["SET", "f", "inf"], "+OK\r\n"),
        (&["INCREX", "f", "BYFLOAT", "1"], "-ERR value cannot be Infinity\r\n"),
        (&["SET", "m", "9223372036854775800"], "+OK\r\n"),
        (
            &["INCREX", "m", "BYINT", "1", "SATURATE", "UBOUND", "-9223372036854775808"],
            "-ERR applied increment would overflow\r\n",
        ),
    ];
    for (argv, want) in cases {
        assert_eq!(String::from_utf8_lossy(&c.cmd(argv)), *want, "{argv:?}");
    }
    let docs = String::from_utf8_lossy(&c.cmd(&["COMMAND", "DOCS", "INCREX"])).into_owned();
    let enx = "$4\r\nname\r\n$3\r\nenx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nENX\r\n\
               $7\r\nsummary\r\n$122\r\nOnly set the expiration if the key currently has no TTL. Requires one of \
               EX/PX/EXAT/PXAT; cannot be combined with PERSIST.\r\n$5\r\nflags\r\n";
    assert!(docs.contains(enx), "{docs}");
    assert_eq!(docs.matches("$7\r\nsummary\r\n").count(), 5, "{docs}");
}
