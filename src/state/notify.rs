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
//! context exists; and `evicted` straight from `state::evict::perform_evictions`, which holds the server state
//! and the client about to run, and runs before that client's command (so its events come first, as in Redis).
//! All three end in [`emit`].
//!
//! An operation on the server state (it publishes through the pub/sub registry to other clients), so it sits
//! with the state, above the keyspace: the keyspace only records `expired` and `new` in `db::events`.
//!
//! Tested by the unit tests in `command/notify_tests.rs` (a whole server through the command harness) and end to
//! end by the pub/sub notification tests.

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
        crate::state::pubsub::publish(srv, me.as_deref_mut(), false, &chan, event.as_bytes());
    }
    if flags & nc::KEYEVENT != 0 {
        let mut chan = Vec::with_capacity(event.len() + 20);
        chan.extend_from_slice(b"__keyevent@");
        chan.extend_from_slice(&dbid);
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(event.as_bytes());
        crate::state::pubsub::publish(srv, me, false, &chan, key);
    }
}
