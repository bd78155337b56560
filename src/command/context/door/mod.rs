//! The door for single keys: how a handler changes a key and reports the change.
//!
//! A handler never gets the whole database mutably. It changes one key through a [`KeyWrite`], a handle naming
//! the key (and its database) that the write lookups hand out ([`Ctx::write_typed`], [`Ctx::write_or_create`],
//! [`Ctx::write_reply`]) or that [`Ctx::open_write`] opens for a key about to be created, replaced or moved. The
//! keyspace operations below ([`Ctx::insert`], [`Ctx::remove`], [`Ctx::set_expire`], [`Ctx::entry_mut`], ...)
//! take the handle and act on its key only.
//!
//! A handle must be settled before it goes away, saying what the write did:
//!
//! - [`Ctx::changed`]`(&mut w, n)`: the key changed; `n` counts towards `dirty` (0 when the command's change is
//!   counted on another key, as RENAME's destination). WATCH, blocked clients and tracking hear of it
//!   ([`crate::state::ServerState::key_changed`]).
//! - [`Ctx::settle`]`(&mut w, n)`: `n` changes, where 0 means nothing happened (SADD of present members), so
//!   nothing is signalled, as Redis.
//! - [`KeyWrite::untouched`]: nothing changed (an error after the lookup, a condition that did not hold).
//!
//! Settling may come before the last keyspace operation on the key (EXPIRE records before it deletes), so it
//! borrows the handle. A handle from a lookup that found nothing has nothing to settle, unless the handler
//! creates the key through it (INCR of a missing key), which it then settles as any change.
//!
//! The compiler cannot prove that a handle is settled; the handle is `#[must_use]` and, in debug builds, its
//! `Drop` panics when it was neither settled nor declared untouched, so every path the tests run is checked. In
//! release builds the handle is a key slice and a database index, and the check compiles away.
//!
//! Debug builds also check the keyspace invariant the collection types rely on: no command leaves an empty collection
//! under a key (a removal that empties one deletes the key, [`Ctx::delete_if_empty`]). Every key a settlement reports
//! is remembered ([`ServerState::door_settled`](crate::state::ServerState::door_settled)), and when the handler's
//! [`Ctx`] goes away each of them must be absent or hold something (`check_settled`).
//!
//! Two shortcuts open, act and settle in one call, for the common whole-key writes: [`Ctx::delete_key`] (DEL's
//! and GETDEL's deletion) and [`Ctx::unlink_key`] (DEL and UNLINK, freeing as `lazyfree-lazy-user-del` says).
//! Keyspace events stay with the handler ([`Ctx::notify`]): their names differ per command.

use super::{Ctx, WrongType};
use crate::keyspace::object::{Entry, ValueKind};
use crate::resp::reply::Reply;

/// An open write to one key: settle it with [`Ctx::changed`] / [`Ctx::settle`], or drop it with
/// [`KeyWrite::untouched`] (see the module docs).
#[must_use = "a write to a key must be settled: ctx.changed(&mut w, n), ctx.settle(&mut w, n) or w.untouched()"]
pub struct KeyWrite<'k> {
    key: &'k [u8],
    db: usize,
    /// Debug builds: the write is still open (not settled, not declared untouched).
    #[cfg(debug_assertions)]
    open: bool,
}

impl<'k> KeyWrite<'k> {
    /// A handle for `key` in database `db`; `open` false when there is nothing to settle (the lookup found none).
    /// Private to the door: handlers get handles from the lookups and [`Ctx::open_write`] only.
    #[inline]
    fn new(key: &'k [u8], db: usize, open: bool) -> Self {
        #[cfg(not(debug_assertions))]
        let _ = open;
        KeyWrite {
            key,
            db,
            #[cfg(debug_assertions)]
            open,
        }
    }

    /// The key this handle writes.
    #[inline]
    pub fn key(&self) -> &'k [u8] {
        self.key
    }

    /// The database the key is in.
    #[inline]
    pub fn db(&self) -> usize {
        self.db
    }

    /// The write changed nothing: no signal, no `dirty`.
    #[inline]
    pub fn untouched(mut self) {
        self.close();
    }

    #[inline]
    fn close(&mut self) {
        #[cfg(debug_assertions)]
        {
            self.open = false;
        }
    }
}

impl Drop for KeyWrite<'_> {
    #[inline]
    fn drop(&mut self) {
        #[cfg(debug_assertions)]
        if self.open && !std::thread::panicking() {
            panic!(
                "a write to key {:?} (db {}) was neither settled nor declared untouched",
                String::from_utf8_lossy(self.key),
                self.db
            );
        }
    }
}

/// Settling.
impl Ctx<'_> {
    /// The key of `w` changed, as `n` changes towards `dirty` (0: counted elsewhere, still signalled): WATCH,
    /// blocked clients and client tracking hear of it at once (`Ctx::key_changed`).
    #[inline]
    pub fn changed(&mut self, w: &mut KeyWrite, n: u64) {
        w.close();
        #[cfg(debug_assertions)]
        self.srv.door_settled.push((w.db, w.key.to_vec()));
        self.key_changed(w.db, w.key, n);
    }

    /// [`Ctx::changed`] with one change: the usual single-key write.
    #[inline]
    pub fn modified(&mut self, w: &mut KeyWrite) {
        self.changed(w, 1);
    }

    /// `n` changes to the key of `w`; 0 means the write changed nothing and nothing is signalled.
    #[inline]
    pub fn settle(&mut self, w: &mut KeyWrite, n: u64) {
        w.close();
        if n > 0 {
            #[cfg(debug_assertions)]
            self.srv.door_settled.push((w.db, w.key.to_vec()));
            self.key_changed(w.db, w.key, n);
        }
    }

    /// Records that `key` in database `db` changed and counts `changes` towards `dirty` (a multi-element write
    /// counts its elements, as Redis does; 0 when the command's change is already counted on another key, as
    /// RENAME's destination or MOVE's): invalidates WATCHes of the key (Redis's `signalModifiedKey`), wakes
    /// clients blocked on it and invalidates tracking clients' copies. Private to this module: reached only
    /// through a `KeyWrite`'s settlement.
    #[inline]
    fn key_changed(&mut self, db: usize, key: &[u8], changes: u64) {
        self.srv.key_changed(db, key, changes, self.client.id);
        // Invalidations for other clients are written at once, as Redis writes them (the running client's own
        // wait for its reply).
        if self.srv.tracking.has_outbox() {
            crate::state::tracking::deliver(
                self.srv,
                Some(&mut *self.client),
                crate::state::tracking::tracker::Flush::Now,
            );
        }
    }
}

/// Opening writes.
impl Ctx<'_> {
    /// A write to `key` in the selected database that the caller has already looked up (or is about to create).
    #[inline]
    pub fn open_write<'k>(&self, key: &'k [u8]) -> KeyWrite<'k> {
        KeyWrite::new(key, self.client.db, true)
    }

    /// A write to `key` in database `db` (MOVE's and COPY's destination).
    #[inline]
    pub fn open_write_in<'k>(&self, db: usize, key: &'k [u8]) -> KeyWrite<'k> {
        KeyWrite::new(key, db, true)
    }

    /// Looks a key up for writing ([`Ctx::lookup_write`]: lazy expiry, touch) and hands out its entry with the
    /// reply sink and a handle, open when the key exists.
    #[inline]
    pub fn write_reply<'k>(&mut self, key: &'k [u8]) -> (Option<&mut Entry>, &mut Reply, KeyWrite<'k>) {
        let db = self.client.db;
        let (found, r) = self.write_entry_reply(key);
        let w = KeyWrite::new(key, db, found.is_some());
        (found, r, w)
    }

    /// Looks up a key that must hold a `T` for writing (lazy expiry, touch). `Err(WrongType)` after replying
    /// WRONGTYPE. The handle is open when the key exists.
    #[inline]
    pub fn write_typed<'k, T: ValueKind>(
        &mut self,
        key: &'k [u8],
    ) -> Result<(Option<&mut T>, &mut Reply, KeyWrite<'k>), WrongType> {
        let (e, r, mut w) = self.write_reply(key);
        match super::typed(e, r) {
            Ok((v, r)) => Ok((v, r, w)),
            Err(e) => {
                w.close();
                Err(e)
            }
        }
    }

    /// Whether a key that must hold a `T` exists, looked up for writing (lazy expiry, touch) by a command that
    /// checks its keys before it writes any. `Err(WrongType)` after replying WRONGTYPE.
    #[inline]
    pub fn probe_write<T: ValueKind>(&mut self, key: &[u8]) -> Result<bool, WrongType> {
        let (e, r) = self.write_entry_reply(key);
        super::typed::<T>(e, r).map(|(v, _)| v.is_some())
    }

    /// Looks up a key that must hold a `T` for writing, creating it with `make` when missing. `Err(WrongType)`
    /// after replying WRONGTYPE. The handle is always open.
    #[inline]
    pub fn write_or_create<'k, T: ValueKind>(
        &mut self,
        key: &'k [u8],
        make: impl FnOnce() -> T,
    ) -> Result<(&mut T, &mut Reply, KeyWrite<'k>), WrongType> {
        let exists = self.probe_write::<T>(key)?;
        let w = self.open_write(key);
        if !exists {
            let mut e = Entry::new_value(key, make().into_value());
            self.init_lru(&mut e);
            self.insert(&w, e);
        }
        let Ctx { client, srv } = self;
        let e = srv.dbs[w.db].keys.get_mut(key).and_then(|e| e.value_mut()).and_then(T::of);
        match e {
            Some(v) => Ok((v, &mut client.reply, w)),
            None => {
                w.untouched();
                Err(WrongType)
            }
        }
    }

    /// The typed value of the key of `w` (no expiry, no touch: the write lookup did both) plus the server's RNG
    /// and the reply sink, for random picks and pops.
    pub fn typed_with_rng<T: ValueKind>(
        &mut self,
        w: &KeyWrite,
    ) -> (Option<&mut T>, &mut crate::util::Rng, &mut Reply) {
        let Ctx { client, srv } = self;
        let srv = &mut **srv;
        let v = srv.dbs[w.db].keys.get_mut(w.key).and_then(|e| e.value_mut()).and_then(T::of);
        (v, &mut srv.rng, &mut client.reply)
    }
}

/// Writes Redis counts without signalling the key.
impl Ctx<'_> {
    /// [`Ctx::write_typed`] without a handle, for the writes Redis counts (`dirty`, with [`Ctx::count_changes`])
    /// but does not signal: a stream's consumer-group state (XGROUP SETID/DESTROY/CREATECONSUMER/DELCONSUMER,
    /// XACK, XCLAIM, XREADGROUP's deliveries) and XSETID. Nothing else may use it.
    pub fn write_unsignalled<T: ValueKind>(&mut self, key: &[u8]) -> Result<(Option<&mut T>, &mut Reply), WrongType> {
        let (e, r) = self.write_entry_reply(key);
        super::typed(e, r)
    }

    /// [`Ctx::read_with_rng`] for the same writes as [`Ctx::write_unsignalled`] (a blocked XREADGROUP served).
    pub fn unsignalled_with_rng<T: ValueKind>(
        &mut self,
        key: &[u8],
    ) -> (Option<&mut T>, &mut crate::util::Rng, &mut Reply) {
        self.read_with_rng(key)
    }
}

/// Keyspace operations on the key of an open write. None of them reports the change: the handle's settlement does.
impl Ctx<'_> {
    /// The entry of the key of `w` (no expiry, no touch: the caller looked it up already).
    #[inline]
    pub fn entry_mut(&mut self, w: &KeyWrite) -> Option<&mut Entry> {
        self.srv.dbs[w.db].keys.get_mut(w.key)
    }

    /// The entry of the key of `w` with the reply sink.
    #[inline]
    pub fn entry_reply(&mut self, w: &KeyWrite) -> (Option<&mut Entry>, &mut Reply) {
        (self.srv.dbs[w.db].keys.get_mut(w.key), &mut self.client.reply)
    }

    /// The database of the key of `w`, for a write to that key in several steps that the operations here do not
    /// cover (SET's overwrite in place, which keeps its single probe). Only the key of `w` may change through it.
    #[inline]
    pub fn db_for_write(&mut self, w: &KeyWrite) -> &mut crate::keyspace::db::Db {
        &mut self.srv.dbs[w.db]
    }

    /// Adds or overwrites the key of `w` with `e`, dropping any TTL ([`crate::keyspace::db::Db::insert`]).
    #[inline]
    pub fn insert(&mut self, w: &KeyWrite, e: Entry) -> Option<Entry> {
        debug_assert_eq!(e.key(), w.key, "an entry inserted under another key's write");
        self.srv.dbs[w.db].insert(e)
    }

    /// Overwrites the key of `w` with `e`, keeping its TTL ([`crate::keyspace::db::Db::insert_keep_ttl`]).
    #[inline]
    pub fn insert_keep_ttl(&mut self, w: &KeyWrite, e: Entry) -> Option<Entry> {
        debug_assert_eq!(e.key(), w.key, "an entry inserted under another key's write");
        self.srv.dbs[w.db].insert_keep_ttl(e)
    }

    /// Adds or overwrites the key of `w` with `e`, which carries its own TTL
    /// ([`crate::keyspace::db::Db::insert_with_expire`]).
    #[inline]
    pub fn insert_with_expire(&mut self, w: &KeyWrite, e: Entry) -> Option<Entry> {
        debug_assert_eq!(e.key(), w.key, "an entry inserted under another key's write");
        self.srv.dbs[w.db].insert_with_expire(e)
    }

    /// Removes the key of `w` and hands its entry back ([`crate::keyspace::db::Db::remove`]).
    #[inline]
    pub fn remove(&mut self, w: &KeyWrite) -> Option<Entry> {
        self.srv.dbs[w.db].remove(w.key)
    }

    /// Deletes the key of `w` ([`crate::keyspace::db::Db::delete`]). Returns whether it existed.
    #[inline]
    pub fn delete(&mut self, w: &KeyWrite) -> bool {
        self.srv.dbs[w.db].delete(w.key)
    }

    /// Deletes the key of `w`, expired by a TTL in the past that a command gave it
    /// ([`crate::keyspace::db::Db::delete_expired_by_command`]).
    #[inline]
    pub fn delete_expired_by_command(&mut self, w: &KeyWrite) -> bool {
        self.srv.dbs[w.db].delete_expired_by_command(w.key)
    }

    /// Deletes the key of `w` when its collection became empty (after pops and removals). Returns whether it was
    /// deleted.
    pub fn delete_if_empty(&mut self, w: &KeyWrite) -> bool {
        let db = &mut self.srv.dbs[w.db];
        let empty = db.keys.get(w.key).and_then(|e| e.value()).is_some_and(|v| v.is_empty());
        if empty {
            db.delete(w.key);
        }
        empty
    }

    /// Gives the key of `w` an absolute expire time. Returns false when the key does not exist.
    #[inline]
    pub fn set_expire(&mut self, w: &KeyWrite, when_ms: i64) -> bool {
        self.srv.dbs[w.db].set_expire(w.key, when_ms)
    }

    /// Removes the TTL of the key of `w`. Returns true when there was one.
    #[inline]
    pub fn persist(&mut self, w: &KeyWrite) -> bool {
        self.srv.dbs[w.db].persist(w.key)
    }

    /// Files the hash at the key of `w` again for field expiry after its fields' TTLs changed
    /// ([`crate::keyspace::db::Db::refile_hash`]).
    #[inline]
    pub fn refile_hash(&mut self, w: &KeyWrite) {
        self.srv.dbs[w.db].refile_hash(w.key);
    }
}

/// Whole-key writes that open, act and settle in one call, and lookups that change nothing.
impl Ctx<'_> {
    /// Deletes `key` from the selected database (Redis's `dbDelete`, big values freed as
    /// `lazyfree-lazy-server-del` says) and records one change when it existed. Returns whether it existed.
    pub fn delete_key(&mut self, key: &[u8]) -> bool {
        let mut w = self.open_write(key);
        let deleted = self.delete(&w);
        self.settle(&mut w, deleted as u64);
        deleted
    }

    /// Deletes `key` from the selected database for DEL and UNLINK (a big value freed lazily when `lazy`) and
    /// records one change when it existed. Returns whether it existed.
    pub fn unlink_key(&mut self, key: &[u8], lazy: bool) -> bool {
        let mut w = self.open_write(key);
        match self.remove(&w) {
            Some(e) => {
                self.srv.lazyfree.free_deleted(e, lazy);
                self.modified(&mut w);
                true
            }
            None => {
                w.untouched();
                false
            }
        }
    }

    /// Deletes `key` from the selected database if its TTL has passed (lazy expiry: the deletion is reported
    /// through the database's deletion log, as any expiry). Returns whether the key is expired.
    #[inline]
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        let now = self.srv.now_ms;
        let db = self.client.db;
        self.srv.dbs[db].expire_if_needed(key, now)
    }

    /// Looks `key` up in the selected database for reading, expiring it lazily, without touching it or counting a
    /// hit or a miss (SMOVE's check of a member when source and destination are the same key).
    #[inline]
    pub fn lookup_quiet(&mut self, key: &[u8]) -> Option<&Entry> {
        let now = self.srv.now_ms;
        let db = self.client.db;
        self.srv.dbs[db].lookup(key, now).map(|e| &*e)
    }

    /// A typed value for reading (no expiry, no touch: the caller looked it up already) plus the server's RNG
    /// and the reply sink, for random picks (SRANDMEMBER, ZRANDMEMBER). A pop goes through
    /// [`Ctx::typed_with_rng`], which wants an open write.
    pub fn read_with_rng<T: ValueKind>(&mut self, key: &[u8]) -> (Option<&mut T>, &mut crate::util::Rng, &mut Reply) {
        let Ctx { client, srv } = self;
        let srv = &mut **srv;
        let v = srv.dbs[client.db].keys.get_mut(key).and_then(|e| e.value_mut()).and_then(T::of);
        (v, &mut srv.rng, &mut client.reply)
    }

    /// Whether `key` exists in database `db`, expiring it lazily (MOVE's and COPY's destination).
    #[inline]
    pub fn exists_in(&mut self, db: usize, key: &[u8]) -> bool {
        let now = self.srv.now_ms;
        self.srv.dbs[db].lookup(key, now).is_some()
    }

    /// The absolute expire time of `key` in the selected database, if it has one (no lookup side effects).
    #[inline]
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.db_ref().expire_of(key)
    }
}

/// Debug builds, when a handler's [`Ctx`] goes away: no key settled as changed holds an empty list, hash, set or
/// sorted set (a stream may be empty).
#[cfg(debug_assertions)]
pub(in crate::command) fn check_settled(srv: &mut crate::state::ServerState) {
    use crate::keyspace::object::Value;
    if srv.door_settled.is_empty() {
        return;
    }
    for (db, key) in std::mem::take(&mut srv.door_settled) {
        let Some(v) = srv.dbs.get(db).and_then(|d| d.keys.get(key.as_slice())).and_then(|e| e.value()) else {
            continue;
        };
        let collection = matches!(v, Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_));
        assert!(
            !(collection && v.is_empty()),
            "a command left an empty {} at key {:?} (db {db})",
            v.obj_type().name(),
            String::from_utf8_lossy(&key)
        );
    }
}

#[cfg(test)]
mod tests;
