//! Unit tests of keyspace notifications (`crate::state::notify`) through the command harness: the class filter,
//! and the `new` and `expired` events the databases record below the command layer.

use crate::command::test_support::Harness;
use crate::config::notify as nc;
use crate::pubsub::Kind;
use crate::resp::reply::Proto;
use crate::state::notify::{after_command, sync};

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
    after_command(&mut h.srv, Some(&mut h.client));
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
