//! Keyspace notifications (`notify-keyspace-events`), published through the Pub/Sub registry.
//!
//! Handlers call `Ctx::notify` after a change, with the class bit (`crate::config::notify::*`) and Redis's event
//! name; when the class is not enabled that is one load and one branch. An event goes to
//! `__keyspace@<db>__:<key>` (message: the event name) with `K`, and to `__keyevent@<db>__:<event>` (message: the
//! key) with `E`.
//!
//! Two events are produced below the command layer, where no context exists: `expired` (every TTL deletion, lazy
//! or active) and `new` (a key added to a database). The [`Db`](crate::keyspace::db::Db) records them in its `events` log
//! only while such notifications are wanted (a thread-local switch kept in step with the configuration by
//! [`sync`]), and they are published before the next handler event and after every command ([`after_command`])
//! or active-expire cycle, so subscribers see them in Redis's order (`expired` before the command's own event).
//!
//! So events take three routes, each for a reason: a handler's own events through `Ctx::notify` (the event name is
//! the command's); `expired` and `new` through the databases' log (`db::events`), since they happen where no
//! context exists; and `evicted` straight from `evict::perform_evictions`, which holds the server state and the
//! client about to run, and runs before that client's command (so its events come first, as in Redis). All three
//! end in [`emit`].
//!
//! Tested by the unit tests below and end to end by tests/pubsub_notify.rs.

#![forbid(unsafe_code)]

use crate::config::notify as nc;
pub use crate::keyspace::db::events::{logging, pending, LOG_EXPIRED, LOG_NEW};
use crate::net::client::ClientState;
use crate::state::ServerState;

/// Brings the Db recording switch in line with `notify-keyspace-events` (cheap; run after every command).
#[inline]
pub fn sync(srv: &ServerState) {
    let f = srv.config.notify_keyspace_events;
    let mut mask = 0;
    if f & (nc::KEYSPACE | nc::KEYEVENT) != 0 {
        if f & nc::EXPIRED != 0 {
            mask |= LOG_EXPIRED;
        }
        if f & nc::NEW != 0 {
            mask |= LOG_NEW;
        }
    }
    crate::keyspace::db::events::set_mask(mask);
}

/// After a command: sync the switch and publish what the databases recorded. `me` is the client that ran it.
#[inline]
pub fn after_command(srv: &mut ServerState, me: Option<&mut ClientState>) {
    sync(srv);
    if pending() {
        drain(srv, me);
    }
}

/// Publishes every event recorded by the databases, oldest first.
pub fn drain(srv: &mut ServerState, mut me: Option<&mut ClientState>) {
    crate::keyspace::db::events::clear_pending();
    for i in 0..srv.dbs.len() {
        if srv.dbs[i].events.is_empty() {
            continue;
        }
        let events = std::mem::take(&mut srv.dbs[i].events);
        for (kind, key) in &events {
            let (class, name) = if *kind == LOG_EXPIRED { (nc::EXPIRED, "expired") } else { (nc::NEW, "new") };
            emit(srv, me.as_deref_mut(), class, name, key, i);
        }
    }
}

/// Redis's `notifyKeyspaceEvent`: publishes `event` about `key` of database `db` if `class` is enabled.
pub fn emit(srv: &mut ServerState, mut me: Option<&mut ClientState>, class: u32, event: &str, key: &[u8], db: usize) {
    let flags = srv.config.notify_keyspace_events;
    if flags & class == 0 {
        return;
    }
    let mut tmp = [0u8; 24];
    let dbid = crate::util::itoa_buf(db as i64, &mut tmp).to_vec();
    if flags & nc::KEYSPACE != 0 {
        let mut chan = Vec::with_capacity(key.len() + 20);
        chan.extend_from_slice(b"__keyspace@");
        chan.extend_from_slice(&dbid);
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(key);
        crate::pubsub::publish(srv, me.as_deref_mut(), false, &chan, event.as_bytes());
    }
    if flags & nc::KEYEVENT != 0 {
        let mut chan = Vec::with_capacity(event.len() + 20);
        chan.extend_from_slice(b"__keyevent@");
        chan.extend_from_slice(&dbid);
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(event.as_bytes());
        crate::pubsub::publish(srv, me, false, &chan, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::Harness;
    use crate::pubsub::{self, Kind};
    use crate::resp::reply::Proto;

    /// A RESP3 harness client subscribed to every keyspace and keyevent channel of db 0, with `flags` configured.
    fn harness(flags: &str) -> Harness {
        let mut h = Harness::new();
        h.srv.config.notify_keyspace_events = nc::parse(flags.as_bytes()).unwrap();
        h.client.reply.proto = Proto::Resp3;
        pubsub::subscribe(&mut h.srv, &mut h.client, Kind::Pattern, b"__key*@0__:*");
        sync(&h.srv);
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
}
