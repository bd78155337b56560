//! Pub/Sub end to end: several raw RESP clients interleaved (subscribers, a publisher, a RESP3 client), the
//! subscribed-mode restrictions, sharded channels, and keyspace notifications. Each scripted scenario runs against
//! ferredis and against Debian's redis-server and the byte transcripts must be identical.
//!
//! Determinism: after every step each client sends PING and its transcript takes every frame up to the PONG. The
//! server is single threaded, so pushes caused by a step are always queued before that PING's answer.

use crate::common;

use common::{run_script, Kind, Server};

fn compare(resp3: &[bool], steps: &[(usize, &str)], extra: &[&str]) {
    let f = Server::start(Kind::Ferredis, extra);
    let r = Server::start(Kind::Redis, extra);
    let a = run_script(f.port, resp3, steps);
    let b = run_script(r.port, resp3, steps);
    if std::env::var_os("PUBSUB_DUMP").is_some() {
        eprintln!("{}", a.join("\n"));
    }
    for (x, y) in a.iter().zip(b.iter()) {
        assert_eq!(x, y, "ferredis vs redis differ\nferredis:\n{}\nredis:\n{}", a.join("\n"), b.join("\n"));
    }
    assert_eq!(a.len(), b.len(), "ferredis:\n{}\nredis:\n{}", a.join("\n"), b.join("\n"));
}

#[test]
fn subscriber_and_publisher_interleaved() {
    if !crate::common::pair::have_redis() {
        return;
    }
    compare(
        &[false, false, true],
        &[
            (0, "SUBSCRIBE news sport"),
            (2, "PSUBSCRIBE n* s?ort"),
            (1, "PUBLISH news hello"),
            (1, "PUBLISH sport \"\""),
            (1, "PUBLISH other x"),
            (1, "PUBSUB NUMSUB news sport none"),
            (1, "PUBSUB NUMPAT"),
            (1, "PUBSUB CHANNELS n*"),
            (0, "GET k"),
            (0, "PING"),
            (0, "PING hi"),
            (0, "SUBSCRIBE news"),
            (0, "UNSUBSCRIBE news"),
            (1, "PUBLISH news again"),
            (0, "UNSUBSCRIBE sport"),
            (0, "GET k"),
            (0, "UNSUBSCRIBE"),
            (0, "PUNSUBSCRIBE"),
            (2, "GET k"),
            (2, "PUBLISH nself me"),
            (2, "PUNSUBSCRIBE n*"),
            (2, "PUNSUBSCRIBE"),
            (1, "PUBLISH sport nobody"),
            (1, "PUBSUB NUMPAT"),
            (1, "PUBSUB CHANNELS"),
        ],
        &[],
    );
}

#[test]
fn subscribed_mode_rules_and_reset() {
    if !crate::common::pair::have_redis() {
        return;
    }
    compare(
        &[false, false],
        &[
            (0, "SSUBSCRIBE s1 s2"),
            (0, "SET k v"),
            (0, "CLIENT ID"),
            (1, "SPUBLISH s1 m1"),
            (1, "PUBLISH s1 m2"),
            (1, "PUBSUB SHARDNUMSUB s1 s2 s3"),
            (1, "PUBSUB SHARDCHANNELS s1"),
            (0, "SUBSCRIBE c"),
            (0, "SUNSUBSCRIBE s1"),
            (0, "UNSUBSCRIBE c"),
            (0, "GET k"),
            (0, "SUNSUBSCRIBE s2"),
            (0, "GET k"),
            (0, "PSUBSCRIBE p*"),
            (0, "RESET"),
            (0, "GET k"),
            (1, "PUBLISH px y"),
            (1, "PUBSUB NUMPAT"),
            (0, "SUBSCRIBE"),
            (0, "PUBSUB NUMSUB"),
            (0, "PUBSUB CHANNELS a b"),
            (0, "PUBSUB NUMPAT x"),
            (0, "PUBSUB nosuch"),
            (0, "PUBLISH onlyone"),
        ],
        &[],
    );
}

#[test]
fn disconnect_removes_subscriptions() {
    let s = Server::ferredis();
    let mut a = s.conn();
    let mut b = s.conn();
    a.cmd(&["SUBSCRIBE", "ch"]);
    a.cmd(&["PSUBSCRIBE", "c*"]);
    assert_eq!(b.cmd(&["PUBLISH", "ch", "x"]), b":2\r\n");
    let list = String::from_utf8(b.cmd(&["CLIENT", "LIST", "TYPE", "PUBSUB"])).unwrap();
    assert!(list.contains("flags=P ") && list.contains(" sub=1 psub=1 ssub=0 "), "{list}");
    drop(a);
    // The server notices the close on its next loop turn; PUBLISH replies only after earlier events were handled,
    // so poll a few times rather than sleeping a fixed time.
    let mut n = b.cmd(&["PUBLISH", "ch", "x"]);
    for _ in 0..200 {
        if n == b":0\r\n" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        n = b.cmd(&["PUBLISH", "ch", "x"]);
    }
    assert_eq!(n, b":0\r\n");
    assert_eq!(b.cmd(&["PUBSUB", "NUMPAT"]), b":0\r\n");
    let info = String::from_utf8(b.cmd(&["INFO", "stats"])).unwrap();
    assert!(info.contains("pubsub_channels:0\r\n") && info.contains("pubsub_patterns:0\r\n"), "{info}");
}

#[test]
fn keyspace_notifications_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    compare(
        &[false, false],
        &[
            (1, "CONFIG SET notify-keyspace-events KEA"),
            (0, "PSUBSCRIBE __key*@*__:*"),
            (1, "SET k v"),
            (1, "SET k v EX 100"),
            (1, "SETNX k v"),
            (1, "SETNX k2 v"),
            (1, "MSET a 1 b 2"),
            (1, "INCR a"),
            (1, "DECRBY a 5"),
            (1, "INCRBYFLOAT a 1.5"),
            (1, "APPEND b xyz"),
            (1, "SETRANGE b 1 Q"),
            (1, "SETRANGE b 1 \"\""),
            (1, "GETSET b new"),
            (1, "GETEX k PERSIST"),
            (1, "GETEX k EX 50"),
            (1, "PERSIST k"),
            (1, "EXPIRE k 100"),
            (1, "PEXPIREAT k 1"),
            (1, "GETDEL k2"),
            (1, "RENAME a a2"),
            (1, "MOVE a2 3"),
            (1, "COPY b b2 DB 5"),
            (1, "DEL b nosuch"),
            (1, "UNLINK b2"),
            (1, "SET s v PXAT 1"),
            (1, "GET s"),
            (1, "CONFIG SET notify-keyspace-events Eg$n"),
            (1, "SET fresh 1"),
            (1, "SET fresh 2"),
            (1, "CONFIG SET notify-keyspace-events \"\""),
            (1, "SET quiet 1"),
        ],
        &[],
    );
}

/// Under `CLIENT REPLY OFF` subscribe confirmations and messages are still pushed (RESP2 and RESP3), as Redis.
#[test]
fn reply_off_still_delivers_pushes() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let run = |kind: Kind, proto: &str| -> Vec<u8> {
        let s = Server::start(kind, &[]);
        let mut sub = s.conn();
        sub.cmd(&["HELLO", proto]);
        sub.send(&["CLIENT", "REPLY", "OFF"]).unwrap();
        sub.send(&["SUBSCRIBE", "ch"]).unwrap();
        sub.send(&["GET", "k"]).unwrap();
        let mut publisher = s.conn();
        common::wait_for("subscriber", || publisher.cmd(&["PUBSUB", "NUMSUB", "ch"]).ends_with(b":1\r\n"));
        assert_eq!(publisher.cmd(&["PUBLISH", "ch", "hi"]), b":1\r\n");
        let (bytes, _) = sub.read_until_close(300);
        bytes
    };
    for proto in ["2", "3"] {
        let f = run(Kind::Ferredis, proto);
        let r = run(Kind::Redis, proto);
        assert!(!r.is_empty(), "redis pushed nothing");
        assert_eq!(String::from_utf8_lossy(&f), String::from_utf8_lossy(&r), "RESP{proto}");
    }
}

/// Redis 8.2's `overwritten` / `type_changed` events (classes `o` and `c`), on ferredis alone (no Redis 8 server is
/// installable here, so the oracle is Redis's source). Expected orders, from Redis 8's source:
/// - `db.c` `setKey`: a write that replaces a value whole (SET, MSET, the *STORE commands) publishes `overwritten`
///   (and `type_changed` when the type differs) from `setKey`, before the command's own event;
/// - `db.c` `renameGenericCommand`, `copyCommand` and `cluster.c` `restoreCommand`: these delete the destination
///   and add it again, then publish `rename_from` / `rename_to`, `copy_to` or `restore` first and the
///   destination's `overwritten` / `type_changed` after;
/// - in-place changes (APPEND, SETRANGE, INCR) and writes to a new key publish neither.
#[test]
fn overwritten_and_type_changed_events_follow_redis_8_order() {
    let s = Server::start(Kind::Ferredis, &["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Eocg$ls"]), b"+OK\r\n");
    // keyspaceEventsFlagsToString's order: the type classes, then `o` and `c`, then `E`.
    let conf = c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]);
    assert!(conf.ends_with(b"$7\r\ng$lsocE\r\n"), "{}", String::from_utf8_lossy(&conf));
    let mut sub = s.conn();
    sub.cmd(&["PSUBSCRIBE", "__keyevent@*__:*"]);
    let mut run = |args: &[&[u8]]| -> Vec<String> {
        c.cmd(args);
        events(&mut sub)
    };
    assert_eq!(run(&[b"SET", b"k", b"v"]), ["set:k"]);
    assert_eq!(run(&[b"SET", b"k", b"w"]), ["overwritten:k", "set:k"]);
    assert_eq!(run(&[b"APPEND", b"k", b"x"]), ["append:k"]);
    assert_eq!(run(&[b"RPUSH", b"l", b"a"]), ["rpush:l"]);
    assert_eq!(run(&[b"SET", b"l", b"v"]), ["overwritten:l", "type_changed:l", "set:l"]);
    assert_eq!(run(&[b"MSET", b"k", b"1", b"m", b"2"]), ["overwritten:k", "set:k", "set:m"]);
    assert_eq!(run(&[b"SADD", b"s", b"a"]), ["sadd:s"]);
    assert_eq!(run(&[b"SUNIONSTORE", b"k", b"s"]), ["overwritten:k", "type_changed:k", "sunionstore:k"]);
    // RENAME, COPY and RESTORE publish the destination's events after their own.
    assert_eq!(run(&[b"RPUSH", b"l2", b"a"]), ["rpush:l2"]);
    assert_eq!(run(&[b"RENAME", b"l2", b"m"]), ["rename_from:l2", "rename_to:m", "overwritten:m", "type_changed:m"]);
    assert_eq!(run(&[b"RENAME", b"m", b"x"]), ["rename_from:m", "rename_to:x"]);
    assert_eq!(run(&[b"COPY", b"x", b"l", b"REPLACE"]), ["copy_to:l", "overwritten:l", "type_changed:l"]);
    assert_eq!(run(&[b"COPY", b"x", b"l", b"REPLACE"]), ["copy_to:l", "overwritten:l"]);
    assert_eq!(run(&[b"COPY", b"x", b"fresh"]), ["copy_to:fresh"]);
    let dump = common::Resp::parse(&c.cmd(&["DUMP", "s"])).unwrap();
    let payload = dump.as_bytes().unwrap().to_vec();
    let mut run = |args: &[&[u8]]| -> Vec<String> {
        c.cmd(args);
        events(&mut sub)
    };
    assert_eq!(run(&[b"RESTORE", b"l", b"0", &payload, b"REPLACE"]), ["restore:l", "overwritten:l", "type_changed:l"]);
    assert_eq!(run(&[b"RESTORE", b"l", b"0", &payload, b"REPLACE"]), ["restore:l", "overwritten:l"]);
    assert_eq!(run(&[b"RESTORE", b"new", b"0", &payload]), ["restore:new"]);
    // A key past its TTL is no overwritten key: Redis 8's restoreCommand looks it up (and so expires it) first.
    assert_eq!(run(&[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]), Vec::<String>::new());
    assert_eq!(run(&[b"SET", b"gone", b"v", b"PX", b"1"]), ["set:gone", "expire:gone"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(run(&[b"RESTORE", b"gone", b"0", &payload, b"REPLACE"]), ["restore:gone"]);
}

/// The keyevent messages a pattern subscriber received since the last call, as `event:key` in order (a PING marks
/// the end: the server answers it after every push the previous command caused).
fn events(sub: &mut common::Conn) -> Vec<String> {
    sub.send(&["PING"]).unwrap();
    let mut out = Vec::new();
    loop {
        let frame = common::Resp::parse(&sub.read_reply().unwrap()).unwrap();
        let Some(items) = frame.items() else { break };
        // pmessage, pattern, `__keyevent@<db>__:<event>`, key
        if items.len() != 4 {
            break;
        }
        let chan = String::from_utf8_lossy(items[2].as_bytes().unwrap()).to_string();
        let key = String::from_utf8_lossy(items[3].as_bytes().unwrap()).to_string();
        out.push(format!("{}:{key}", chan.rsplit(':').next().unwrap_or_default()));
    }
    out
}
