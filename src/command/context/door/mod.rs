//! The door for single keys: how a handler changes a key and reports the change.
//!
//! A handler never gets the whole database mutably. It changes one key through a [`KeyWrite`], a handle naming
//! the key (and its database) that the write lookups hand out ([`Ctx::write`], [`Ctx::write_typed`],
//! [`Ctx::write_or_create`]: [`Access::WRITE`] lookups that lend the value mutably beside the handle) or that
//! [`Ctx::open_write`] opens for a key about to be created, replaced or moved. The keyspace operations on the
//! handle's key are the methods of its [`Door`] (`ctx.door(&w)`: [`Door::insert`], [`Door::remove`],
//! [`Door::set_expire`], [`Door::entry_mut`], [`Door::store_string`], ...), which act on that key only.
//!
//! A handle must be settled before it goes away, saying what the write did:
//!
//! - [`Ctx::changed`]`(&mut w, n)`: the key changed; `n` counts towards `dirty` (0 when the command's change is
//!   counted on another key, as RENAME's destination). WATCH, blocked clients and tracking hear of it
//!   ([`crate::state::ServerState::key_changed`]).
//! - [`Ctx::settle`]`(&mut w, n)`: `n` changes, where 0 means nothing happened (SADD of present members), so
//!   nothing is signalled, as Redis.
//! - [`KeyWrite::untouched`]: nothing changed (an error after the lookup, a condition that did not hold).
//! - [`KeyWrite::unsignalled`]: a change Redis counts (the handler calls [`Ctx::count_changes`]) but does not
//!   signal: a stream's consumer-group state and XSETID only.
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
//! under a key (a removal that empties one deletes the key, [`Door::delete_if_empty`]). Every key a settlement reports
//! is remembered ([`ServerState::door_settled`](crate::state::ServerState::door_settled)), and when the handler's
//! [`Ctx`] goes away each of them must be absent or hold something (`check_settled`).
//!
//! Two shortcuts open, act and settle in one call, for the common whole-key writes: [`Ctx::delete_key`] (DEL's
//! and GETDEL's deletion) and [`Ctx::unlink_key`] (DEL and UNLINK, freeing as `lazyfree-lazy-user-del` says).
//! Keyspace events stay with the handler ([`Ctx::notify`]): their names differ per command.

use super::{Access, Ctx, WrongType};
use crate::keyspace::object::{Entry, ObjType, ValueKind};
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

    /// The write changed state Redis counts (the handler calls [`Ctx::count_changes`]) but does not signal: a
    /// stream's consumer-group state (XGROUP SETID/DESTROY/CREATECONSUMER/DELCONSUMER, XACK, XCLAIM,
    /// XREADGROUP's deliveries) and XSETID. Nothing else may settle this way.
    #[inline]
    pub fn unsignalled(mut self) {
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
    /// The key of `w` changed, as `n` changes towards `dirty` (0: counted elsewhere, still signalled): WATCH, blocked
    /// clients and client tracking hear of it at once
    /// ([`Ctx::key_changed`](crate::command::context::Ctx::key_changed)).
    #[inline]
    pub fn changed(&mut self, w: &mut KeyWrite, n: u64) {
        w.close();
        #[cfg(debug_assertions)]
        self.srv.door_settled.push((w.db, w.key.to_vec()));
        self.key_changed(w.db, w.key, n);
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
    /// through a [`KeyWrite`]'s settlement.
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

    /// Looks a key up for writing ([`Access::WRITE`]: lazy expiry, touch) and hands out its entry with the reply
    /// sink and a handle, open when the key exists.
    #[inline]
    pub fn write<'k>(&mut self, key: &'k [u8]) -> (Option<&mut Entry>, &mut Reply, KeyWrite<'k>) {
        let db = self.client.db;
        let (found, r, _) = self.find(Access::WRITE, key);
        let w = KeyWrite::new(key, db, found.is_some());
        (found, r, w)
    }

    /// [`Ctx::write`] for a write that reports its in-place change to `INFO keysizes` itself (INCR, DECR, INCRBY:
    /// [`Door::int_resized`]), as Redis's writes call `updateKeysizesHist` with the old and new length: the entry
    /// is lent reported, so no size is read for it (see "Reported writes" in `keyspace::keysizes`). A new key is
    /// counted by its insert as always.
    #[inline]
    pub fn write_sized<'k>(&mut self, key: &'k [u8]) -> (Option<&mut Entry>, &mut Reply, KeyWrite<'k>) {
        let db = self.client.db;
        let (found, r, _) = self.find(Access::WRITE_SIZED, key);
        let w = KeyWrite::new(key, db, found.is_some());
        (found, r, w)
    }

    /// [`Ctx::write`] of a key that must hold a `T`. `Err(WrongType)` after replying WRONGTYPE. The handle is open
    /// when the key exists.
    #[inline]
    pub fn write_typed<'k, T: ValueKind>(
        &mut self,
        key: &'k [u8],
    ) -> Result<(Option<&mut T>, &mut Reply, KeyWrite<'k>), WrongType> {
        let (e, r, mut w) = self.write(key);
        match typed_mut(e, r) {
            Ok((v, r)) => Ok((v, r, w)),
            Err(e) => {
                w.close();
                Err(e)
            }
        }
    }

    /// [`Ctx::write_typed`], creating the key with `make` when missing. `Err(WrongType)` after replying
    /// WRONGTYPE. The handle is always open.
    #[inline]
    pub fn write_or_create<'k, T: ValueKind>(
        &mut self,
        key: &'k [u8],
        make: impl FnOnce() -> T,
    ) -> Result<(&mut T, &mut Reply, KeyWrite<'k>), WrongType> {
        self.write_or_create_as(Access::WRITE, key, make)
    }

    /// [`Ctx::write_or_create`] for a write that reports its collection's length before and after itself
    /// ([`Door::len_changed`]; SADD, HSET, LPUSH), as Redis's writes call `updateKeysizesHist`: the entry is lent
    /// reported, so `INFO keysizes` reads no size for it (see "Reported writes" in `keyspace::keysizes`). A new
    /// key is counted (empty) by its insert, and its growth reported like any other.
    #[inline]
    pub fn write_or_create_sized<'k, T: ValueKind>(
        &mut self,
        key: &'k [u8],
        make: impl FnOnce() -> T,
    ) -> Result<(&mut T, &mut Reply, KeyWrite<'k>), WrongType> {
        self.write_or_create_as(Access::WRITE_SIZED, key, make)
    }

    #[inline(always)]
    fn write_or_create_as<'k, T: ValueKind>(
        &mut self,
        access: Access,
        key: &'k [u8],
        make: impl FnOnce() -> T,
    ) -> Result<(&mut T, &mut Reply, KeyWrite<'k>), WrongType> {
        let exists = self.lookup_typed::<T>(access, key)?.0.is_some();
        let w = self.open_write(key);
        if !exists {
            let mut e = Entry::new_value(key, make().into_value());
            e.set_lru(self.settings().fresh_lru());
            self.door(&w).insert(e);
        }
        // The write lookup lent an existing entry already (found again without a lookup); a new one is lent here
        // (counted empty by the insert).
        let (srv, client) = (&mut *self.srv, &mut *self.client);
        let db = &mut srv.dbs[client.db];
        let e = if access == Access::WRITE_SIZED { db.lend_mut_reported(key) } else { db.lend_mut(key) };
        match e.and_then(|e| e.value_mut()).and_then(T::of) {
            Some(v) => Ok((v, &mut client.reply, w)),
            None => {
                w.untouched();
                Err(WrongType)
            }
        }
    }

    /// The door of the key of `w`: the keyspace operations on that key ([`Door`]).
    #[inline]
    pub fn door<'k>(&mut self, w: &KeyWrite<'k>) -> Door<'_, 'k> {
        Door { srv: self.srv, client: self.client, key: w.key, db: w.db }
    }
}

/// The keyspace operations on the key of an open write ([`Ctx::door`]). None of them reports the change: the
/// handle's settlement does.
pub struct Door<'c, 'k> {
    srv: &'c mut crate::state::ServerState,
    client: &'c mut crate::net::client::ClientState,
    key: &'k [u8],
    db: usize,
}

impl<'c> Door<'c, '_> {
    #[inline]
    fn db_mut(self) -> &'c mut crate::keyspace::db::Db {
        &mut self.srv.dbs[self.db]
    }

    /// The entry lent for an in-place change: `INFO keysizes` counts it again when the handler is done (see
    /// [`keyspace::keysizes`](crate::keyspace::keysizes)).
    #[inline]
    fn lend(
        srv: &'c mut crate::state::ServerState,
        client: &crate::net::client::ClientState,
        db: usize,
        key: &[u8],
    ) -> Option<&'c mut Entry> {
        if db != client.db {
            srv.keysizes_lent_elsewhere = true;
        }
        srv.dbs[db].lend_mut(key)
    }

    /// The entry (no expiry, no touch: the write lookup did both).
    #[inline]
    pub fn entry_mut(self) -> Option<&'c mut Entry> {
        Self::lend(self.srv, self.client, self.db, self.key)
    }

    /// The entry with the reply sink (no expiry, no touch), for a change that answers from the entry itself.
    #[inline]
    pub fn entry_reply(self) -> (Option<&'c mut Entry>, &'c mut Reply) {
        let e = Self::lend(self.srv, self.client, self.db, self.key);
        (e, &mut self.client.reply)
    }

    /// The value if it is a `T` (no expiry, no touch) plus the server's RNG and the reply sink, for random picks
    /// and pops.
    #[inline]
    pub fn typed_mut<T: ValueKind>(self) -> (Option<&'c mut T>, &'c mut crate::util::Rng, &'c mut Reply) {
        let srv = self.srv;
        if self.db != self.client.db {
            srv.keysizes_lent_elsewhere = true;
        }
        let v = srv.dbs[self.db].lend_mut(self.key).and_then(|e| e.value_mut()).and_then(T::of);
        (v, &mut srv.rng, &mut self.client.reply)
    }

    /// Adds or overwrites the key with `e`, dropping any TTL ([`crate::keyspace::db::Db::set_key`]). Overwriting
    /// publishes Redis 8.2's `overwritten` (and `type_changed`) events, as its `setKey` does.
    #[inline]
    pub fn insert(self, e: Entry) -> Option<Entry> {
        debug_assert_eq!(e.key(), self.key, "an entry inserted under another key's write");
        let events = self.srv.db_events;
        let new_type = e.obj_type();
        let (srv, client, key, db) = (self.srv, self.client, self.key, self.db);
        let old = srv.dbs[db].set_key(e, events);
        if let Some(o) = &old {
            overwrite_events(srv, client, key, db, o.obj_type(), new_type);
        }
        old
    }

    /// [`Door::insert`] of a value into a key whose old value the command deleted first (RENAME, COPY and RESTORE
    /// over their destination, which Redis deletes and adds again), without events: Redis 8.2 publishes
    /// `overwritten` / `type_changed` for these after the command's own event, which the caller does with
    /// [`Ctx::notify_overwritten`](crate::command::context::Ctx::notify_overwritten).
    #[inline]
    pub fn insert_replacing(self, e: Entry) -> Option<Entry> {
        let (srv, db) = (self.srv, self.db);
        let events = srv.db_events;
        srv.dbs[db].set_key(e, events)
    }

    /// Overwrites the key with `e`, keeping its TTL ([`crate::keyspace::db::Db::insert_keep_ttl`]).
    #[inline]
    pub fn insert_keep_ttl(self, e: Entry) -> Option<Entry> {
        debug_assert_eq!(e.key(), self.key, "an entry inserted under another key's write");
        let events = self.srv.db_events;
        self.db_mut().insert_keep_ttl(e, events)
    }

    /// Removes the key and hands its entry back ([`crate::keyspace::db::Db::remove`]).
    #[inline]
    pub fn remove(self) -> Option<Entry> {
        let key = self.key;
        self.db_mut().remove(key)
    }

    /// Deletes the key ([`crate::keyspace::db::Db::delete`]). Returns whether it existed.
    #[inline]
    pub fn delete(self) -> bool {
        let key = self.key;
        self.db_mut().delete(key)
    }

    /// [`Door::delete`] returning the deleted value's type, for the [`Door::insert_replacing`] that follows.
    #[inline]
    pub fn delete_typed(self) -> Option<ObjType> {
        let key = self.key;
        let db = self.db_mut();
        let t = db.find(key).map(|e| e.obj_type());
        if db.delete(key) {
            t
        } else {
            None
        }
    }

    /// Deletes the key, expired by a TTL in the past that a command gave it
    /// ([`crate::keyspace::db::Db::delete_expired_by_command`]).
    #[inline]
    pub fn delete_expired_by_command(self) -> bool {
        let key = self.key;
        self.db_mut().delete_expired_by_command(key)
    }

    /// Counts one key expired in `INFO stats` `expired_keys` (INCREX given a time already past counts one whether
    /// or not the key existed, as Redis 8.8's increxCommand does).
    #[inline]
    pub fn count_expired(self) {
        self.db_mut().expired_keys += 1;
    }

    /// Deletes the key when its collection became empty (after pops and removals). Returns whether it was
    /// deleted.
    pub fn delete_if_empty(self) -> bool {
        let key = self.key;
        let db = self.db_mut();
        let empty = db.find(key).and_then(|e| e.value()).is_some_and(|v| v.is_empty());
        if empty {
            db.delete(key);
        }
        empty
    }

    /// Gives the key an absolute expire time. Returns false when the key does not exist.
    #[inline]
    pub fn set_expire(self, when_ms: i64) -> bool {
        let key = self.key;
        self.db_mut().set_expire(key, when_ms)
    }

    /// Removes the key's TTL. Returns true when there was one.
    #[inline]
    pub fn persist(self) -> bool {
        let key = self.key;
        self.db_mut().persist(key)
    }

    /// Files the hash at the key again for field expiry after its fields' TTLs changed
    /// ([`crate::keyspace::db::Db::refile_hash`]).
    #[inline]
    pub fn refile_hash(self) {
        let key = self.key;
        self.db_mut().refile_hash(key);
    }

    /// The key's integer value, changed in place after a [`Ctx::write_sized`] lookup, went from `before` to
    /// `after`: `INFO keysizes` moves the string between bins when its decimal length's bin changed (two length
    /// computations and a compare when the histogram is kept, a load and a branch when not). A string that parses
    /// as an integer is that integer's canonical decimal form (`util::parse_i64`), so `before`'s length is the old
    /// value's.
    #[inline]
    pub fn int_resized(self, before: i64, after: i64) {
        use crate::keyspace::keysizes::{int_len, string_class};
        let db = &mut self.srv.dbs[self.db];
        if db.keysizes().is_on() {
            let (from, to) = (string_class(int_len(before)), string_class(int_len(after)));
            if from != to {
                db.size_reported(from, to);
            }
        }
    }

    /// The key's collection of type `ty`, changed in place after a [`Ctx::write_or_create_sized`] lookup, went
    /// from `before` to `after` elements: `INFO keysizes` moves it between bins when they differ (a compare when
    /// the histogram is kept, a load and a branch when not).
    #[inline]
    pub fn len_changed(self, ty: ObjType, before: usize, after: usize) {
        use crate::keyspace::keysizes::class;
        let db = &mut self.srv.dbs[self.db];
        if db.keysizes().is_on() {
            let (from, to) = (class(ty, before as u64), class(ty, after as u64));
            if from != to {
                db.size_reported(from, to);
            }
        }
    }

    /// Stores `val` as the key's string value (Redis's `setKey`): overwrites in place when the key exists,
    /// dropping its TTL unless `keep_ttl`. An expired key is treated as absent.
    ///
    /// Overwriting counts as one access of the old key (Redis's `setKey` looks it up for writing; `touch_old`
    /// false when the caller's own lookup already counted it, and CLIENT NO-TOUCH skips it): under LFU the value
    /// keeps the old counter after that touch, as `dbOverwrite` does; otherwise it gets the current LRU clock.
    pub fn store_string(self, val: &[u8], keep_ttl: bool, touch_old: bool) {
        self.store_string_at(val, keep_ttl, touch_old, None);
    }

    /// [`Door::store_string`] and then [`Door::set_expire`] of `when_ms`, in one step (SET ... EX, MSETEX): a key
    /// that already has a TTL, not yet due, is overwritten in place and takes the new time in its own field (one
    /// lookup; the two steps apart would drop the field, rebuilding the entry, then add it back).
    pub fn store_string_expiring(self, val: &[u8], when_ms: i64, touch_old: bool) {
        self.store_string_at(val, false, touch_old, Some(when_ms));
    }

    #[inline(always)]
    fn store_string_at(self, val: &[u8], keep_ttl: bool, touch_old: bool, expire: Option<i64>) {
        use crate::state::evict::pool::Touch;
        let srv = self.srv;
        let lfu = srv.config.maxmemory_policy.is_lfu();
        // The one access of the overwritten value: LFU keeps (and touches) its counter, LRU takes the clock.
        let stamp = if !lfu {
            Touch::Lru(srv.lru_clock)
        } else if !touch_old || self.client.has(crate::net::client::flags::NO_TOUCH) {
            Touch::Skip
        } else {
            crate::state::evict::touch(srv)
        };
        // Redis 8.2's `overwritten` / `type_changed`: the replaced value's type is read only when they are wanted.
        let events_on = srv.config.notify_keyspace_events
            & (crate::config::notify::OVERWRITTEN | crate::config::notify::TYPE_CHANGED)
            != 0;
        let key = self.key;
        let db = &mut srv.dbs[self.db];
        // Fast path: an existing key without a TTL is overwritten in place with a single lookup (unless its value is
        // big: that one is replaced whole below, so it goes where `lazyfree-lazy-server-del` says).
        let big = |e: &Entry| e.free_effort() > crate::keyspace::object::FREE_EFFORT_THRESHOLD;
        // `INFO keysizes` (see `keyspace::keysizes`): the two sizes of an in-place overwrite, once it is kept.
        let sizes = db.keysizes().is_on();
        let now = srv.now_ms;
        if let Some(e) = db.find_mut(key) {
            // A TTL not yet due is kept in its field when a new time replaces it (an expired key goes the slow
            // way, which expires it first).
            let ttl_kept = expire.is_some() && e.expire_ms().is_some_and(|t| t > now);
            // (A hash filed for field expiry goes the slow way, which unfiles it.)
            if (!e.has_expire() || ttl_kept) && !big(e) && !e.is_filed_hash() {
                let old_type = events_on.then(|| e.obj_type());
                let before = if sizes { crate::keyspace::keysizes::class_of(e) } else { None };
                e.set_string(val);
                stamp.apply(e);
                if ttl_kept {
                    e.set_expire(expire);
                }
                // (Found just now: nothing is lent, so only a change of bin has anything to count.)
                let after = crate::keyspace::keysizes::string_class(val.len());
                if sizes && before != after {
                    db.size_changed(before, after);
                }
                if let (Some(when), false) = (expire, ttl_kept) {
                    db.set_expire(key, when);
                }
                if let Some(t) = old_type {
                    overwrite_events_slow(srv, self.client, key, self.db, t != ObjType::String);
                }
                return;
            }
        }
        let clock = srv.lookup_clock();
        let lru = if lfu { crate::keyspace::object::lfu_init(srv.now_ms) } else { srv.lru_clock };
        let db = &mut srv.dbs[self.db];
        let exists = db.find(key).is_some() && !db.expire_if_needed(key, clock);
        let old_type = if exists && events_on { srv.dbs[self.db].find(key).map(|e| e.obj_type()) } else { None };
        let db = &mut srv.dbs[self.db];
        if let Some(old_lru) = db.find(key).filter(|e| exists && big(e)).map(|e| e.lru()) {
            let mut e = Entry::new_string(key, val);
            e.set_lru(old_lru);
            stamp.apply(&mut e);
            if keep_ttl {
                db.insert_keep_ttl(e, clock.events);
            } else {
                db.set_key(e, clock.events);
            }
        } else if exists {
            db.unfile_hash(key);
            if let Some(e) = db.find_mut(key) {
                let before = if sizes { crate::keyspace::keysizes::class_of(e) } else { None };
                e.set_string(val);
                stamp.apply(e);
                let persist = !keep_ttl && e.has_expire();
                if sizes {
                    db.size_changed(before, crate::keyspace::keysizes::string_class(val.len()));
                }
                if persist {
                    db.persist(key);
                }
            }
        } else {
            let mut e = Entry::new_string(key, val);
            e.set_lru(lru);
            db.set_key(e, clock.events);
        }
        if let Some(when) = expire {
            srv.dbs[self.db].set_expire(key, when);
        }
        if let Some(t) = old_type {
            overwrite_events(srv, self.client, key, self.db, t, ObjType::String);
        }
    }
}

/// Redis 8.2's events for a key whose value a write replaced whole: `overwritten`, then `type_changed` when the
/// new value's type differs. With neither class enabled (the usual case) this is one load and one branch.
#[inline]
fn overwrite_events(
    srv: &mut crate::state::ServerState,
    client: &mut crate::net::client::ClientState,
    key: &[u8],
    db: usize,
    old: ObjType,
    new: ObjType,
) {
    use crate::config::notify as nc;
    if srv.config.notify_keyspace_events & (nc::OVERWRITTEN | nc::TYPE_CHANGED) == 0 {
        return;
    }
    overwrite_events_slow(srv, client, key, db, old != new);
}

#[cold]
fn overwrite_events_slow(
    srv: &mut crate::state::ServerState,
    client: &mut crate::net::client::ClientState,
    key: &[u8],
    db: usize,
    type_changed: bool,
) {
    use crate::config::notify as nc;
    use crate::state::notify;
    notify::publish_queued_first(srv, client);
    notify::emit(srv, Some(&mut *client), nc::OVERWRITTEN, "overwritten", key, db);
    if type_changed {
        notify::emit(srv, Some(client), nc::TYPE_CHANGED, "type_changed", key, db);
    }
}

/// Whole-key writes that open, act and settle in one call.
impl Ctx<'_> {
    /// Deletes `key` from the selected database (Redis's `dbDelete`, big values freed as
    /// `lazyfree-lazy-server-del` says) and records one change when it existed. Returns whether it existed.
    pub fn delete_key(&mut self, key: &[u8]) -> bool {
        let mut w = self.open_write(key);
        let deleted = self.door(&w).delete();
        self.settle(&mut w, deleted as u64);
        deleted
    }

    /// Deletes `key` from the selected database for DEL and UNLINK (a big value freed lazily when `lazy`) and
    /// records one change when it existed. Returns whether it existed.
    pub fn unlink_key(&mut self, key: &[u8], lazy: bool) -> bool {
        let mut w = self.open_write(key);
        match self.door(&w).remove() {
            Some(e) => {
                self.srv.lazyfree.free_deleted(e, lazy);
                self.changed(&mut w, 1);
                true
            }
            None => {
                w.untouched();
                false
            }
        }
    }

    /// Whether `key` exists in database `db`, expiring it lazily (MOVE's and COPY's destination, before they open
    /// a write there).
    #[inline]
    pub fn exists_in(&mut self, db: usize, key: &[u8]) -> bool {
        let clock = self.srv.lookup_clock();
        self.srv.dbs[db].lookup(key, clock).is_some()
    }
}

/// Narrows a looked-up entry to a `T` to change, replying WRONGTYPE for any other type.
fn typed_mut<'e, T: ValueKind>(
    e: Option<&'e mut Entry>,
    r: &'e mut Reply,
) -> Result<(Option<&'e mut T>, &'e mut Reply), WrongType> {
    match e {
        None => Ok((None, r)),
        Some(e) => match e.value_mut().and_then(T::of) {
            Some(v) => Ok((Some(v), r)),
            None => {
                r.err_wrongtype();
                Err(WrongType)
            }
        },
    }
}

/// Debug builds, when a handler's [`Ctx`] goes away: no key settled as changed holds an empty list, hash, set or
/// sorted set (a stream may be empty), and each passes [`crate::keyspace::db::Db::check_key`].
#[cfg(debug_assertions)]
pub(in crate::command) fn check_settled(srv: &mut crate::state::ServerState) {
    use crate::keyspace::object::Value;
    if srv.door_settled.is_empty() {
        return;
    }
    for (db, key) in std::mem::take(&mut srv.door_settled) {
        if let Some(d) = srv.dbs.get(db) {
            d.check_key(&key);
        }
        let Some(v) = srv.dbs.get(db).and_then(|d| d.find(key.as_slice())).and_then(|e| e.value()) else {
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
