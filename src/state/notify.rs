//! Keyspace notifications (`notify-keyspace-events`), published through the Pub/Sub registry.
//!
//! Handlers call [`Ctx::notify`](crate::command::Ctx::notify) after a change, with the class bit
//! (`crate::config::notify::*`) and Redis's event name; when the class is not enabled that is one load and one branch.
//! An event goes to `__keyspace@<db>__:<key>` (message: the event name) with `K`, and to `__keyevent@<db>__:<event>`
//! (message: the key) with `E`.
//!
//! Two events are produced below the command layer, where no context exists: `expired` (every TTL deletion, lazy
//! or active) and `new` (a key added to a database). The [`Db`](crate::keyspace::db::Db) queues them
//! only while such notifications are wanted ([`ServerState::db_events`], kept in step with the configuration by
//! [`sync`] and handed to the lookups and inserts in a [`LookupClock`](crate::keyspace::db::LookupClock)), and they are
//! published before the next handler event ([`publish_queued_first`]) and after every command or active-expire cycle
//! ([`drain_queues`], the one drain of the databases' [`Queue`](crate::keyspace::db::Queue)), so subscribers see
//! them in Redis's order (`expired` before the command's own event).
//!
//! So events take three routes, each for a reason: a handler's own events through
//! [`Ctx::notify`](crate::command::Ctx::notify) (the event name is the command's); `expired` and `new` through the
//! databases' queue, since they happen where no context exists; and `evicted` straight from
//! [`state::evict::perform_evictions`](crate::state::evict::perform_evictions), which holds the server state and the
//! client about to run, and runs before that client's command (so its events come first, as in Redis). All three end in
//! [`emit`].
//!
//! An operation on the server state (it publishes through the pub/sub registry to other clients), so it sits
//! with the state, above the keyspace: the keyspace only queues `expired` and `new`.
//!
//! Tested by the unit tests in `command/notify_tests.rs` (a whole server through the command harness) and end to
//! end by the pub/sub notification tests.

#![forbid(unsafe_code)]

use crate::config::notify as nc;
pub use crate::keyspace::db::events::{LOG_EXPIRED, LOG_NEW};
use crate::net::client::ClientState;
use crate::state::ServerState;

/// Brings the kinds the databases record ([`ServerState::db_events`]) in line with `notify-keyspace-events`: CONFIG
/// SET announces the change here, and the server calls it once at start; nothing re-reads it per command.
#[inline]
pub fn sync(srv: &mut ServerState) {
    let f = srv.config.notify_keyspace_events;
    let mut mask = 0;
    if f & (nc::KEYSPACE | nc::KEYEVENT) != 0 || !srv.config.keyspace_events_stream.is_empty() {
        if f & nc::EXPIRED != 0 {
            mask |= LOG_EXPIRED;
        }
        if f & nc::NEW != 0 {
            mask |= LOG_NEW;
        }
    }
    srv.db_events = mask;
}

/// Finishes what the databases queued ([`crate::keyspace::db::Queue`]) during a command (lazy expiry, a big
/// overwritten value, a `new` key) or a cycle (active expiry, eviction), in this order:
/// 1. the big values let go of are freed, lazily or on the spot;
/// 2. each key expiry or eviction deleted is signalled ([`ServerState::key_changed`]: WATCH, blocked clients,
///    tracking) and its deletion propagated as `DEL` (`UNLINK` with `lazyfree-lazy-expire` /
///    `lazyfree-lazy-eviction`), as Redis's `deleteExpiredKeyAndPropagate` and `performEvictions` do; with
///    `standalone` each is its own unit (active expiry, eviction), otherwise it joins the running command's unit
///    ahead of the command, so a replica deletes the key before it runs the command;
/// 3. `between` runs: what the caller must do after the deletions and before the events
///    ([`Server::call_with`](crate::server::Server::call_with): the command's own propagation; the active expiry cycle:
///    hash-field expiry);
/// 4. the `expired` / `new` keyspace events are published, oldest first, after the command's propagation (the
///    change feed's entries follow the command's in the stream); `me` is the client that ran the command.
///
/// Inlined whole into its callers, `between` included: after every command it runs, so when nothing is queued it
/// must cost two loads of the mark and `between` itself (as a call of its own, with `between`'s captures built
/// on the stack, it cost about 30 instructions per command).
#[inline(always)]
pub fn drain_queues(
    srv: &mut ServerState,
    standalone: bool,
    me: Option<&mut ClientState>,
    between: impl FnOnce(&mut ServerState),
) {
    let queued = crate::keyspace::db::take_queued();
    if queued {
        srv.drain_deletions(standalone);
    }
    between(srv);
    // `between` may have queued more (the mark is set again then).
    if queued || crate::keyspace::db::queued() {
        drain_cold(srv, me);
    }
}

/// [`drain`] kept out of the callers of [`drain_queues`]: events are queued only while keyspace notifications
/// of `expired` or `new` are on.
#[cold]
#[inline(never)]
fn drain_cold(srv: &mut ServerState, me: Option<&mut ClientState>) {
    drain(srv, me)
}

/// Before a handler's own event: publishes the `expired` / `new` events the databases queued during the command
/// first, so subscribers see them in Redis's order (`expired` before the command's event). One load when nothing
/// is queued.
#[inline]
pub fn publish_queued_first(srv: &mut ServerState, me: &mut ClientState) {
    if crate::keyspace::db::queued() {
        drain(srv, Some(me));
    }
}

/// Publishes every event recorded by the databases, oldest first (the databases' mark stays for what else they
/// queued: [`drain_queues`] clears it).
pub fn drain(srv: &mut ServerState, mut me: Option<&mut ClientState>) {
    for i in 0..srv.dbs.len() {
        let events = srv.dbs[i].take_events();
        if events.is_empty() {
            continue;
        }
        for (kind, key) in &events {
            let (class, name) = if *kind == LOG_EXPIRED { (nc::EXPIRED, "expired") } else { (nc::NEW, "new") };
            emit(srv, me.as_deref_mut(), class, name, key, i);
        }
    }
}

/// Redis's `notifyKeyspaceEvent`: publishes `event` about `key` of database `db` if `class` is enabled (and
/// appends it to the change feed when one is configured, [`feed`]).
pub fn emit(srv: &mut ServerState, me: Option<&mut ClientState>, class: u32, event: &str, key: &[u8], db: usize) {
    emit_with(srv, me, class, event, key, db, &[])
}

/// [`emit`] for hash-field expiry: one published event, and one feed entry per field in `fields`.
pub fn emit_with(
    srv: &mut ServerState,
    mut me: Option<&mut ClientState>,
    class: u32,
    event: &str,
    key: &[u8],
    db: usize,
    fields: &[&[u8]],
) {
    let flags = srv.config.notify_keyspace_events;
    if flags & class == 0 {
        return;
    }
    if !srv.config.keyspace_events_stream.is_empty() {
        if fields.is_empty() {
            feed(srv, event, key, db, None);
        }
        for f in fields {
            feed(srv, event, key, db, Some(f));
        }
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

/// The change feed (a ferredis extension, `keyspace-events-stream`): each keyspace event of an enabled class is
/// appended to a stream in database 0 as an entry `event <name> key <key> db <n>` (plus `field <f>` for a hash
/// field's expiry), trimmed to `keyspace-events-stream-maxlen` exactly. Unlike pub/sub, a consumer that was away
/// resumes with XREAD / XREADGROUP from the last id it saw.
///
/// The append is a write like XADD's: it is propagated (as `XADD <feed> MAXLEN = <n> <id> ...` with the id it took,
/// in the execution unit of the change it records), so the AOF and the replicas hold the same feed, and a replica or
/// a loading server appends nothing itself (its feed comes from its master or its file). Events about the feed's
/// own key are not fed. If the key holds something other than a stream, nothing is appended (and a warning logged
/// once per such key and start).
pub fn feed(srv: &mut ServerState, event: &str, key: &[u8], db: usize, field: Option<&[u8]>) {
    use crate::keyspace::object::{Entry, Value};
    use crate::keyspace::types::stream::{IdSpec, NodeLimits, Stream, Trim, TrimStrategy};
    if srv.repl.is_replica() || srv.persist.stats.loading || srv.dbs.is_empty() {
        return;
    }
    let fkey = std::mem::take(&mut srv.config.keyspace_events_stream);
    if db == 0 && key == fkey.as_slice() {
        srv.config.keyspace_events_stream = fkey;
        return;
    }
    let mut dbuf = [0u8; 24];
    let dbid = crate::util::itoa_buf(db as i64, &mut dbuf);
    let mut fv: Vec<&[u8]> = vec![b"event", event.as_bytes(), b"key", key, b"db", dbid];
    if let Some(f) = field {
        fv.push(b"field");
        fv.push(f);
    }
    let limits = NodeLimits {
        max_bytes: srv.config.stream_node_max_bytes.max(0) as usize,
        max_entries: srv.config.stream_node_max_entries,
    };
    let maxlen = srv.config.keyspace_events_stream_maxlen.max(1) as u64;
    let now = srv.now_ms.max(0) as u64;
    let fresh = db0_missing(srv, &fkey);
    let lru = if srv.config.maxmemory_policy.is_lfu() {
        crate::keyspace::object::lfu_init(srv.now_ms)
    } else {
        srv.lru_clock
    };
    let events = srv.db_events;
    let db0 = &mut srv.dbs[0];
    if fresh {
        let mut e = Entry::new_value(&fkey, Value::Stream(Box::new(Stream::new())));
        e.set_lru(lru);
        db0.set_key(e, events);
    }
    let appended = match db0.find_mut(&fkey).and_then(|e| e.value_mut()) {
        Some(Value::Stream(s)) => match s.append(&fv, IdSpec::Auto, now, limits) {
            Ok(id) => {
                s.trim(&Trim { strategy: TrimStrategy::MaxLen(maxlen), approx: false, limit: 0 });
                Some(id)
            }
            Err(_) => None,
        },
        _ => {
            crate::log_warning!(
                "keyspace-events-stream: '{}' holds a value that is not a stream; the event is not fed",
                String::from_utf8_lossy(&fkey)
            );
            None
        }
    };
    if let Some(id) = appended {
        let (m, idb) = (maxlen.to_string(), id.to_bytes());
        let mut argv: Vec<&[u8]> = vec![b"XADD", &fkey, b"MAXLEN", b"=", m.as_bytes(), &idb];
        argv.extend(fv.iter().copied());
        srv.prop.also(0, &argv, crate::propagate::TARGET_ALL);
        srv.key_changed(0, &fkey, 1, 0);
    }
    srv.config.keyspace_events_stream = fkey;
}

/// Whether database 0 lacks `key` (an expired one counts as missing and is deleted, as a write's lookup does).
fn db0_missing(srv: &mut ServerState, key: &[u8]) -> bool {
    let clock = srv.lookup_clock();
    srv.dbs[0].lookup(key, clock).is_none()
}
