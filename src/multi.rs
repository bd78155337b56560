//! The server-wide table of WATCHed keys, and the model of a client's MULTI queue ([`MultiState`]; the MULTI, EXEC,
//! DISCARD and WATCH handlers are `command/multi/mod.rs`).
//!
//! ```text
//!  WatchTable
//!   per_db[db]: key ──► [Watcher{client, expired}, ...]      who watches this key of this db
//!   by_client:  id  ──► [(db, key), ...]                      what a client watches (for UNWATCH / disconnect)
//!   dirty:      {client ids}                                  a watched key was touched: EXEC must fail
//!   total:      number of (client, db, key) watches           0 = every hook returns at once
//! ```
//!
//! Invariants: a `(db, key, client)` triple is in `per_db` exactly when it is in `by_client`; `total` counts them;
//! empty per-key lists and empty per-client lists are removed. `dirty` only holds ids of clients that watch (or
//! watched, until their next UNWATCH/EXEC/DISCARD/RESET/disconnect) something.
//!
//! Semantics follow Redis 7.0.15 (checked against it): writes touch keys when their `KeyWrite` is settled; FLUSHDB,
//! FLUSHALL and SWAPDB touch the watched keys present in the affected databases; expiry deletions do not touch, but
//! EXEC fails when a watched key is logically expired and was not already expired at WATCH time.
//!
//! Tested by the unit tests below and by src/command/multi/mod.rs / tests/types/tx_*.rs.

#![forbid(unsafe_code)]

use crate::args::Args;
use crate::command_spec::{flag, Command};
use crate::keyspace::db::Db;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy)]
struct Watcher {
    client: u64,
    /// The key was logically expired when WATCH ran: its later deletion is no change, and EXEC does not fail
    /// because of that expiry.
    expired: bool,
}

/// A (database index, key) a client watches.
type WatchedKey = (usize, Box<[u8]>);

/// Every WATCHed key of every client.
#[derive(Debug, Default)]
pub struct WatchTable {
    per_db: Vec<HashMap<Box<[u8]>, Vec<Watcher>>>,
    by_client: HashMap<u64, Vec<WatchedKey>>,
    dirty: HashSet<u64>,
    total: usize,
}

/// Whether `key` is in `db` with a TTL that has passed (Redis's `keyIsExpired`; no deletion).
fn key_is_expired(db: &Db, key: &[u8], now_ms: i64) -> bool {
    db.expire_of(key).is_some_and(|when| when <= now_ms)
}

/// Whether `key` is physically in `db` (logically expired keys included, like `dictFind`).
fn key_present(db: &Db, key: &[u8]) -> bool {
    db.find(key).is_some()
}

impl WatchTable {
    /// Nothing is watched: every hook can return at once.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Clients watching at least one key (INFO's `watching_clients`, Redis 7.2).
    pub fn watching_clients(&self) -> usize {
        self.by_client.len()
    }

    /// Distinct (db, key) pairs watched by anyone (INFO's `total_watched_keys`, Redis 7.2).
    pub fn watched_keys(&self) -> usize {
        self.per_db.iter().map(HashMap::len).sum()
    }

    /// Number of keys `client` watches.
    pub fn watched_by(&self, client: u64) -> usize {
        self.by_client.get(&client).map_or(0, |v| v.len())
    }

    /// WATCH: starts watching `key` of `db` (a second WATCH of the same key is a no-op).
    pub fn watch(&mut self, client: u64, db_index: usize, db: &Db, key: &[u8], now_ms: i64) {
        if self.per_db.len() <= db_index {
            self.per_db.resize_with(db_index + 1, HashMap::new);
        }
        let list = self.per_db[db_index].entry(key.into()).or_default();
        if list.iter().any(|w| w.client == client) {
            return;
        }
        list.push(Watcher { client, expired: key_is_expired(db, key, now_ms) });
        self.by_client.entry(client).or_default().push((db_index, key.into()));
        self.total += 1;
        self.debug_check();
    }

    /// The module's invariants (see the header), checked in debug builds while the table is small enough to scan:
    /// `per_db` and `by_client` hold the same (db, key, client) triples and `total` counts them.
    fn debug_check(&self) {
        if !cfg!(debug_assertions) || self.total > 1000 {
            return;
        }
        let mut from_keys: Vec<(usize, &[u8], u64)> = Vec::new();
        for (db, map) in self.per_db.iter().enumerate() {
            for (key, watchers) in map {
                debug_assert!(!watchers.is_empty(), "an empty watcher list is kept");
                from_keys.extend(watchers.iter().map(|w| (db, &key[..], w.client)));
            }
        }
        let mut from_clients: Vec<(usize, &[u8], u64)> = Vec::new();
        for (&client, keys) in &self.by_client {
            debug_assert!(!keys.is_empty(), "an empty client list is kept");
            from_clients.extend(keys.iter().map(|(db, key)| (*db, &key[..], client)));
        }
        from_keys.sort_unstable();
        from_clients.sort_unstable();
        debug_assert_eq!(from_keys, from_clients, "the WATCH table's two indexes disagree");
        debug_assert_eq!(from_keys.len(), self.total, "the WATCH count is off");
    }

    /// UNWATCH (also EXEC, DISCARD, RESET and disconnection): forgets all of the client's watches and its dirty
    /// mark.
    pub fn unwatch_all(&mut self, client: u64) {
        self.dirty.remove(&client);
        let Some(list) = self.by_client.remove(&client) else { return };
        for (db, key) in list {
            let Some(map) = self.per_db.get_mut(db) else { continue };
            if let Some(watchers) = map.get_mut(&key) {
                watchers.retain(|w| w.client != client);
                self.total -= 1;
                if watchers.is_empty() {
                    map.remove(&key);
                }
            }
        }
        self.debug_check();
    }

    /// Whether a watched key of `client` was touched since WATCH (CLIENT LIST `d`).
    #[inline]
    pub fn is_dirty(&self, client: u64) -> bool {
        !self.dirty.is_empty() && self.dirty.contains(&client)
    }

    /// A write changed `key` in `db` (Redis's `touchWatchedKey`). `db` is the database after the change.
    pub fn touch(&mut self, db_index: usize, db: &Db, key: &[u8]) {
        if self.total == 0 {
            return;
        }
        let Some(watchers) = self.per_db.get_mut(db_index).and_then(|m| m.get_mut(key)) else { return };
        for w in watchers.iter_mut() {
            if w.expired && !key_present(db, key) {
                // An already expired key got deleted: logically nothing changed.
                w.expired = false;
                continue;
            }
            self.dirty.insert(w.client);
        }
    }

    /// The contents of database `emptied` are going away (FLUSHDB/FLUSHALL, `replaced_with = None`) or being
    /// replaced by those of `replaced_with` (SWAPDB; call once per direction before swapping). Touches the
    /// watched keys present in either (Redis's `touchAllWatchedKeysInDb`).
    pub fn touch_all_in_db(&mut self, emptied_index: usize, emptied: &Db, replaced_with: Option<&Db>, now_ms: i64) {
        if self.total == 0 {
            return;
        }
        let Some(map) = self.per_db.get_mut(emptied_index) else { return };
        for (key, watchers) in map.iter_mut() {
            let in_emptied = key_present(emptied, key);
            let in_replacement = replaced_with.is_some_and(|r| key_present(r, key));
            if !in_emptied && !in_replacement {
                continue;
            }
            for w in watchers.iter_mut() {
                if w.expired {
                    match replaced_with {
                        Some(r) if in_replacement => {
                            if key_is_expired(r, key, now_ms) {
                                // Still expired after the swap.
                                continue;
                            }
                        }
                        _ => {
                            // The expired key is deleted: no logical change.
                            w.expired = false;
                            continue;
                        }
                    }
                } else if !in_emptied && replaced_with.is_some_and(|r| key_is_expired(r, key, now_ms)) {
                    // A missing key is replaced by an expired one: still logically missing.
                    w.expired = true;
                    continue;
                }
                self.dirty.insert(w.client);
            }
        }
    }

    /// EXEC's check (Redis's `isWatchedKeyExpired`): a watched key that was alive at WATCH time has expired.
    pub fn any_expired(&self, client: u64, dbs: &[Db], now_ms: i64) -> bool {
        let Some(list) = self.by_client.get(&client) else { return false };
        list.iter().any(|(db, key)| {
            let expired_at_watch = self
                .per_db
                .get(*db)
                .and_then(|m| m.get(key))
                .and_then(|ws| ws.iter().find(|w| w.client == client))
                .is_some_and(|w| w.expired);
            !expired_at_watch && dbs.get(*db).is_some_and(|d| key_is_expired(d, key, now_ms))
        })
    }
}

// --- The MULTI queue ------------------------------------------------------------------------------------------

/// One queued command: its table entry and where its arguments are in [`MultiState::args`].
#[derive(Clone, Copy)]
pub struct Queued {
    pub cmd: &'static Command,
    /// `parent|sub` name for commandstats.
    pub full_name: &'static str,
    first_span: u32,
    span_count: u32,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").field("cmd", &self.full_name).field("argc", &self.span_count).finish()
    }
}

/// The queue's storage: every queued argument in one buffer (`spans` index into it), so queuing a command costs no
/// allocation once the buffers have grown, and the buffers are reused by the client's next transaction.
#[derive(Debug, Default)]
pub struct QueuedArgs {
    pub buf: Vec<u8>,
    pub spans: Vec<(u32, u32)>,
}

impl QueuedArgs {
    /// The arguments of a queued command.
    pub fn args(&self, q: &Queued) -> Args<'_> {
        let first = q.first_span as usize;
        Args::new(&self.buf, &self.spans[first..first + q.span_count as usize])
    }
}

/// Buffers bigger than this are released after a transaction instead of being kept for the next one.
const KEEP_BYTES: usize = 64 * 1024;

/// What a client in MULTI has queued. Layout:
///
/// ```text
///   queue: [Queued{cmd, spans 0..3}, Queued{cmd, spans 3..5}]
///   args.spans: [(0,3) (3,4) (4,5) | (5,9) (9,10)]        args.buf: "SETkvINCRk"
/// ```
#[derive(Debug, Default)]
pub struct MultiState {
    pub queue: Vec<Queued>,
    pub args: QueuedArgs,
    /// Commands queued so far (CLIENT LIST `multi=`; stays while EXEC runs them).
    pub count: usize,
    /// Union of the queued commands' flags (CLIENT PAUSE WRITE defers an EXEC that would write).
    pub cmd_flags: u64,
    /// Union of the complements of the queued commands' flags: a bit is set when some queued command lacks that
    /// flag (a stale replica or a loading server refuses EXEC if any queued command lacks `stale` / `loading`).
    pub cmd_inv_flags: u64,
    /// CLIENT LIST `multi-mem`: argument bytes plus one pointer per argument, as Redis counts it.
    pub mem: usize,
}

impl MultiState {
    /// Queues a command. Queues beyond 4 GiB of arguments are not representable; the caller bounds them with
    /// the query-buffer limit long before (each argument arrived through it).
    pub fn push(&mut self, cmd: &'static Command, full_name: &'static str, args: Args) {
        let first_span = self.args.spans.len() as u32;
        let mut bytes = 0;
        for a in args.iter() {
            let s = self.args.buf.len() as u32;
            self.args.buf.extend_from_slice(a);
            self.args.spans.push((s, self.args.buf.len() as u32));
            bytes += a.len();
        }
        self.mem += bytes + std::mem::size_of::<usize>() * args.len();
        self.cmd_flags |= cmd.flags;
        self.cmd_inv_flags |= !cmd.flags;
        self.count += 1;
        self.queue.push(Queued { cmd, full_name, first_span, span_count: args.len() as u32 });
    }

    /// Empties the state for the next transaction, keeping buffers of a reasonable size.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.args.buf.clear();
        self.args.spans.clear();
        if self.args.buf.capacity() > KEEP_BYTES {
            self.args.buf = Vec::new();
        }
        if self.args.spans.capacity() * std::mem::size_of::<(u32, u32)>() > KEEP_BYTES {
            self.args.spans = Vec::new();
        }
        if self.queue.capacity() * std::mem::size_of::<Queued>() > KEEP_BYTES {
            self.queue = Vec::new();
        }
        self.count = 0;
        self.cmd_flags = 0;
        self.cmd_inv_flags = 0;
        self.mem = 0;
    }

    /// Whether EXEC of this queue may write (CLIENT PAUSE WRITE defers such an EXEC).
    pub fn may_write(&self) -> bool {
        self.cmd_flags & (flag::WRITE | flag::MAY_REPLICATE) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::object::Entry;

    fn db_with(keys: &[&str]) -> Db {
        let mut db = Db::new(0);
        for k in keys {
            db.insert(Entry::new_string(k.as_bytes(), b"v"));
        }
        db
    }

    #[test]
    fn watch_touch_unwatch() {
        let mut t = WatchTable::default();
        let db = db_with(&["a"]);
        assert!(t.is_empty());
        t.watch(1, 0, &db, b"a", 0);
        t.watch(1, 0, &db, b"a", 0);
        t.watch(2, 0, &db, b"a", 0);
        t.watch(2, 3, &db, b"b", 0);
        assert_eq!(t.total, 3);
        assert_eq!(t.watched_by(2), 2);
        t.touch(1, &db, b"a");
        assert!(!t.is_dirty(1));
        t.touch(0, &db, b"a");
        assert!(t.is_dirty(1) && t.is_dirty(2));
        t.unwatch_all(1);
        assert!(!t.is_dirty(1) && t.is_dirty(2));
        t.unwatch_all(2);
        assert!(t.is_empty() && t.per_db.iter().all(|m| m.is_empty()) && t.by_client.is_empty());
    }

    #[test]
    fn flush_and_swap_touch_present_keys_only() {
        let mut t = WatchTable::default();
        let db0 = db_with(&["a"]);
        let db1 = db_with(&["b"]);
        t.watch(1, 0, &db0, b"a", 0);
        t.watch(2, 0, &db0, b"b", 0);
        t.watch(3, 0, &db0, b"c", 0);
        t.touch_all_in_db(0, &db0, None, 0);
        assert!(t.is_dirty(1) && !t.is_dirty(2) && !t.is_dirty(3));
        t.touch_all_in_db(0, &db0, Some(&db1), 0);
        assert!(t.is_dirty(2) && !t.is_dirty(3));
    }

    #[test]
    fn expiry_rules() {
        let mut t = WatchTable::default();
        let mut db = db_with(&["a", "b"]);
        db.set_expire(b"a", 100);
        db.set_expire(b"b", 100);
        // "a" is already expired at WATCH time, "b" is not.
        t.watch(1, 0, &db, b"a", 200);
        t.watch(2, 0, &db, b"b", 50);
        assert!(!t.any_expired(1, std::slice::from_ref(&db), 300));
        assert!(t.any_expired(2, std::slice::from_ref(&db), 300));
        assert!(!t.any_expired(2, std::slice::from_ref(&db), 60));
        // Flushing an already expired key is no change for its watcher.
        t.touch_all_in_db(0, &db, None, 300);
        assert!(!t.is_dirty(1) && t.is_dirty(2));
        // Deleting it is no change either, writing it is.
        let mut t = WatchTable::default();
        t.watch(1, 0, &db, b"a", 200);
        db.remove(b"a");
        t.touch(0, &db, b"a");
        assert!(!t.is_dirty(1));
        db.insert(Entry::new_string(b"a", b"x"));
        t.touch(0, &db, b"a");
        assert!(t.is_dirty(1));
    }

    #[test]
    fn multi_mem_counts_like_redis() {
        use crate::args::OwnedArgs;
        use crate::command_spec::lookup;
        let mut m = MultiState::default();
        let set = lookup(b"set").unwrap();
        let a = OwnedArgs::from_slices(&["SET", "k", "v"]);
        m.push(set, "set", a.args());
        let b = OwnedArgs::from_slices(&["GET", "key"]);
        m.push(lookup(b"get").unwrap(), "get", b.args());
        assert_eq!(m.mem, 29 + 6 + 16);
        assert_eq!(m.queue.len(), 2);
        let back: Vec<&[u8]> = m.args.args(&m.queue[1]).iter().collect();
        assert_eq!(back, vec![&b"GET"[..], &b"key"[..]]);
        assert!(m.cmd_flags & flag::WRITE != 0);
        m.clear();
        assert_eq!((m.count, m.mem, m.queue.len(), m.args.buf.len(), m.cmd_flags), (0, 0, 0, 0, 0));
    }
}
