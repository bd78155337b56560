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
