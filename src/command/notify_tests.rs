//! Unit tests of keyspace notifications (`crate::state::notify`) through the command harness: the class filter,
//! and the `new` and `expired` events the databases record below the command layer.

use crate::command::test_support::Harness;
use crate::config::notify as nc;
use crate::pubsub::Kind;
use crate::resp::reply::Proto;
use crate::state::notify::sync;

/// A RESP3 harness client subscribed to every keyspace and keyevent channel of db 0, with `flags` configured.
fn harness(flags: &str) -> Harness {
    let mut h = Harness::new();
    h.srv.config.notify_keyspace_events = nc::parse(flags.as_bytes()).unwrap();
    h.client.reply.proto = Proto::Resp3;
    crate::state::pubsub::subscribe(&mut h.srv, &mut h.client, Kind::Pattern, b"__key*@0__:*");
    sync(&mut h.srv);
    h
}

/// Runs a command, then the after-command hook, and returns the (pattern, channel, message) triples published.
fn events(h: &mut Harness, argv: &[&str]) -> Vec<(String, String)> {
    let mut out = h.run(argv);
    crate::state::notify::drain_queues(&mut h.srv, false, Some(&mut h.client), |_| {});
    out.push_str(&String::from_utf8_lossy(h.client.reply.pending()));
    let n = h.client.reply.pending_len();
    h.client.reply.consume(n);
    let parts: Vec<&str> = out.split("\r\n").collect();
    let mut v = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        if parts[i] == ">4" {
            v.push((parts[i + 6].to_string(), parts[i + 8].to_string()));
            i += 9;
        } else {
            i += 1;
        }
    }
    v
}

#[test]
fn off_by_default_and_class_filter() {
    let mut h = harness("");
    assert!(events(&mut h, &["set", "k", "v"]).is_empty());
    let mut h = harness("Kg");
    assert!(events(&mut h, &["set", "k", "v"]).is_empty());
    assert_eq!(events(&mut h, &["del", "k"]), vec![("__keyspace@0__:k".to_string(), "del".to_string())]);
}

#[test]
fn new_and_expired_from_the_db_layer() {
    let mut h = harness("KEA");
    assert_eq!(
        events(&mut h, &["set", "k", "v"]),
        vec![("__keyspace@0__:k".into(), "set".into()), ("__keyevent@0__:set".into(), "k".into())]
    );
    let mut h = harness("En$");
    assert_eq!(
        events(&mut h, &["set", "k", "v"]),
        vec![("__keyevent@0__:new".into(), "k".into()), ("__keyevent@0__:set".into(), "k".into())]
    );
    let mut h = harness("Ex");
    h.run(&["set", "k", "v"]);
    let now = h.srv.now_ms;
    h.srv.dbs[0].set_expire(b"k", now - 1);
    assert_eq!(events(&mut h, &["get", "k"]), vec![("__keyevent@0__:expired".into(), "k".into())]);
    assert!(events(&mut h, &["get", "k"]).is_empty());
}

/// The keyevent names published by a command (`E` only, so each event appears once).
fn names(h: &mut Harness, argv: &[&str]) -> Vec<String> {
    events(h, argv).into_iter().map(|(chan, _)| chan.trim_start_matches("__keyevent@0__:").to_string()).collect()
}

#[test]
fn overwritten_and_type_changed_from_the_door() {
    // Redis 8.2's classes: `o` and `c`, outside `A`.
    assert_eq!(nc::parse(b"A").unwrap() & (nc::OVERWRITTEN | nc::TYPE_CHANGED), 0);
    assert_eq!(nc::format(nc::parse(b"Eoc").unwrap()), "ocE");
    let mut h = harness("Eoc$lg");
    assert_eq!(names(&mut h, &["set", "k", "v"]), ["set"]);
    assert_eq!(names(&mut h, &["set", "k", "w"]), ["overwritten", "set"]);
    h.run(&["rpush", "l", "a"]);
    assert_eq!(names(&mut h, &["set", "l", "w"]), ["overwritten", "type_changed", "set"]);
    h.run(&["set", "t", "v", "ex", "100"]);
    assert_eq!(names(&mut h, &["set", "t", "w"]), ["overwritten", "set"]);
    assert_eq!(names(&mut h, &["mset", "k", "1", "fresh", "2"]), ["overwritten", "set", "set"]);
    // In-place changes are no overwrite.
    for argv in [&["append", "k", "x"][..], &["setrange", "k", "0", "y"], &["incrbyfloat", "fresh", "1"]] {
        assert!(!names(&mut h, argv).iter().any(|n| n == "overwritten"), "{argv:?}");
    }
    assert_eq!(names(&mut h, &["incr", "fresh"]), ["incrby"]);
    // RENAME and COPY over their destination: Redis 8.2's `renameGenericCommand` and `copyCommand` publish the
    // destination's events after their own.
    h.run(&["rpush", "l2", "a"]);
    assert_eq!(names(&mut h, &["rename", "l2", "k"]), ["rename_from", "rename_to", "overwritten", "type_changed"]);
    assert_eq!(names(&mut h, &["copy", "k", "fresh", "replace"]), ["copy_to", "overwritten", "type_changed"]);
    assert_eq!(names(&mut h, &["copy", "k", "fresh", "replace"]), ["copy_to", "overwritten"]);
    assert_eq!(names(&mut h, &["copy", "k", "new2"]), ["copy_to"]);
    // A STORE over an existing key.
    h.run(&["sadd", "s", "a"]);
    h.run(&["set", "dst", "v"]);
    let mut h2 = harness("Eocs");
    h2.run(&["sadd", "s", "a"]);
    h2.run(&["set", "dst", "v"]);
    assert_eq!(names(&mut h2, &["sunionstore", "dst", "s"]), ["overwritten", "type_changed", "sunionstore"]);
    assert_eq!(names(&mut h2, &["sunionstore", "dst", "s"]), ["overwritten", "sunionstore"]);
}

/// Hash fields a read finds past their TTL are deleted with one `hexpired` for the command, as Redis 7.4's HMGET
/// and Redis 8.0's HGETDEL and HGETEX collect them (tests/unit/pubsub.tcl: "only one `hexpired` notification
/// even two fields was expired"), then `hdel` and `del` in Redis's order.
#[test]
fn one_hexpired_per_command_for_lazily_expired_fields() {
    let mut h = harness("Ehg");
    h.run(&["hset", "h", "f1", "1", "f2", "2", "f3", "3"]);
    h.run(&["hpexpire", "h", "10", "FIELDS", "2", "f1", "f2"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hmget", "h", "f1", "f2"]), ["hexpired"]);
    h.run(&["hpexpire", "h", "10", "FIELDS", "1", "f3"]);
    h.run(&["hset", "h", "f4", "4"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hmget", "h", "f3", "f4"]), ["hexpired"]);
    h.run(&["hpexpire", "h", "10", "FIELDS", "1", "f4"]);
    h.srv.now_ms += 20;
    // The read that expires a hash's last field answers `del` alone (Redis's hashTypeGetValue), as HGET does.
    assert_eq!(names(&mut h, &["hmget", "h", "f4"]), ["del"]);
    h.run(&["hset", "h", "a", "1", "b", "2"]);
    h.run(&["hpexpire", "h", "10", "FIELDS", "2", "a", "b"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hget", "h", "a"]), ["hexpired"]);
    assert_eq!(names(&mut h, &["hget", "h", "b"]), ["del"]);
    h.run(&["hset", "g", "a", "1", "b", "2", "c", "3"]);
    h.run(&["hpexpire", "g", "10", "FIELDS", "2", "a", "b"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hgetdel", "g", "FIELDS", "3", "a", "b", "c"]), ["hexpired", "hdel", "del"]);
    h.run(&["hset", "x", "a", "1", "b", "2"]);
    h.run(&["hpexpire", "x", "10", "FIELDS", "2", "a", "b"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hgetex", "x", "PERSIST", "FIELDS", "2", "a", "b"]), ["hexpired", "del"]);
    // A time already past given by HGETEX or HSETEX deletes the fields as `hdel` (Redis 8's t_hash.c).
    h.run(&["hset", "y", "a", "1", "b", "2"]);
    assert_eq!(names(&mut h, &["hgetex", "y", "PX", "0", "FIELDS", "1", "a"]), ["hdel"]);
    assert_eq!(names(&mut h, &["hsetex", "y", "PXAT", "1", "FIELDS", "1", "c", "3"]), ["hset", "hdel"]);
    assert_eq!(names(&mut h, &["hgetex", "y", "PX", "0", "FIELDS", "1", "b"]), ["hdel", "del"]);
    // HSETEX FXX / FNX delete the fields they find expired, whether their condition holds or not (Redis 8).
    h.run(&["hset", "z", "f", "v", "f2", "v"]);
    h.run(&["hpexpire", "z", "10", "FIELDS", "1", "f"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hsetex", "z", "FXX", "FIELDS", "1", "f", "w"]), ["hexpired"]);
    h.run(&["hpexpire", "z", "10", "FIELDS", "1", "f2"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hsetex", "z", "FXX", "FIELDS", "1", "f2", "w"]), ["hexpired", "del"]);
    h.run(&["hset", "z", "f", "v"]);
    h.run(&["hpexpire", "z", "10", "FIELDS", "1", "f"]);
    h.srv.now_ms += 20;
    assert_eq!(names(&mut h, &["hsetex", "z", "FNX", "FIELDS", "1", "f", "w"]), ["hexpired", "hset"]);
}
