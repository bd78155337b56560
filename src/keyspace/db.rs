//! One logical database: the keyspace dict, with lazy expiry on lookup.
//!
//! ```text
//!   keys:    Dict<Entry>        "a" -> [hdr|flags: has_expire=1|when_ms|"a"|value]    "b" -> [hdr|flags: 0|"b"|value]
//! ```
//!
//! A key's TTL lives in its entry (see [`Entry`]): there is no second table, so a TTL costs 8 bytes instead of a
//! table slot plus a record with its own copy of the key (`benches/memory.rs` measures it). `expires` counts the
//! keys with a TTL (`INFO keyspace`); the active expiry cycle walks the keyspace itself with a cursor
//! ([`Db::expire_scan_step`]) and looks at the entries that carry a TTL (`state::expire`, the active cycle).
//!
//! The table is private to the keyspace: everything else reaches keys through [`Db`]'s methods, named after Redis's
//! (`lookup` for `lookupKey`, `set_key` for `setKey`, `insert_with_expire` for `dbAdd` in a load, `find` for
//! `dbFind`, `iter` for `dbIterator`, `scan`, `random_key`, `sample`, `reserve` for `dictExpand`), so every change
//! of a key's presence, TTL or hash-field TTLs passes the code that keeps the indexes below.
//!
//! A lookup gets what it needs besides the key as a [`LookupClock`]: the time, lazy expiry's mode ([`LazyExpiry`]:
//! delete a due key, hide it, or keep it live) and the keyspace events to record. The server state builds it
//! (`ServerState::lookup_clock`); no lookup reads a global.
//!
//! Invariants, checked by [`Db::check_invariants`] in debug builds (the cron, the tests) and per changed key by
//! [`Db::check_key`] (the door): `expires` equals the number of entries whose `has_expire()` is true; the slot
//! index, when kept, counts every key under its slot; a hash filed in the field-expiry index (`hexpires`) is there
//! under the time it remembers, which is no later than its earliest field TTL. Keys without a TTL cost one probe
//! per lookup and one flag test.
//!
//! Tested by the unit and property tests at the end of this file (the invariants checked after random operation
//! sequences against a model with TTLs and a moving clock) and by `slots/tests.rs`.

#![forbid(unsafe_code)]

use crate::keyspace::dict::{Dict, HashedKey};
use crate::keyspace::keysizes::{class_of, Class, Keysizes};
use crate::keyspace::object::{Entry, FREE_EFFORT_THRESHOLD};
use crate::keyspace::slots::{self, SlotIndex};
use crate::util::Rng;

/// An entry's `INFO keysizes` class when the histogram is kept (`on`), else nothing to compute.
#[inline(always)]
fn cls(on: bool, e: &Entry) -> Option<Class> {
    if on {
        class_of(e)
    } else {
        None
    }
}

pub struct Db {
    pub id: usize,
    pub(super) keys: Dict<Entry>,
    /// Number of keys with a TTL.
    expires: usize,
    /// Keys deleted because their TTL passed, lazily or by the active cycle (`INFO stats` `expired_keys` is the sum
    /// over databases, see `expire::expired_keys_total`).
    pub expired_keys: u64,
    /// Running average TTL of sampled keys, for `INFO keyspace` (`avg_ttl`).
    pub avg_ttl_ms: i64,
    /// Where the active expiry cycle resumes its scan of the keyspace.
    expire_cursor: u64,
    /// What this database left for the server to finish after a change it made (see [`Queue`]).
    queue: Queue,
    /// The per-slot key index, in cluster mode only ([`crate::keyspace::slots`]): every insert and remove below
    /// notes the key there. `None` otherwise, which costs one predictable branch per insert or remove.
    pub(super) slots: Option<Box<SlotIndex>>,
    /// The hashes some of whose fields carry a TTL, by the time each is due for active field expiry (Redis 7.4's
    /// `db->hexpires`): `(t, key)` where `t` is at or before the hash's earliest field expiry and the hash remembers it
    /// ([`Hash::filed`](crate::keyspace::types::hash::Hash::filed)). Inserting a hash with TTLs files it, removing it
    /// unfiles it; a command that gives a field an earlier TTL refiles it ([`Db::refile_hash`]). An entry whose key no
    /// longer holds that hash filed at that time is stale and dropped when reached.
    hexpires: std::collections::BTreeSet<(u64, Box<[u8]>)>,
    /// `INFO keysizes`: the keys counted by type and size, and the entries lent for an in-place change not yet
    /// counted again ([`crate::keyspace::keysizes`]). Every insert and removal below counts its entry.
    ks: Keysizes,
    /// Where the last read lookup ([`Db::lookup`]) found its key: a command that reads a key and then changes it
    /// through the door (CMS.INCRBY checks its sketch and its numbers first) finds it again with a key compare
    /// ([`Db::lend_mut`]). Only a hint: a position no longer holding that key (the table moved since) is looked
    /// up again, and no other position can hold it.
    read_hint: Option<crate::keyspace::dict::Pos>,
}

/// What a [`Db`] leaves for the server after a change it made on its own, below the command layer where there is
/// no server state to call: one queue per database, one mark for all of them ([`queued`]), one drain
/// (`state::notify::drain_queues`, which writes down the order in which
/// the three parts are handled after a command or a cycle).
#[derive(Default)]
pub struct Queue {
    /// `expired` / `new` keyspace events waiting to be published (recorded only while such notifications are
    /// configured; see [`events`]).
    events: Vec<(u8, Vec<u8>)>,
    /// Keys the server deleted on its own (expiry, lazy or active; eviction): the server propagates a DEL/UNLINK
    /// for each and invalidates WATCHes.
    deletions: Vec<(Vec<u8>, Deletion)>,
    /// Big values (more than [`FREE_EFFORT_THRESHOLD`] steps to free) the server let go of on its own: expired, or
    /// overwritten by a write; freed in the lazy-free thread with `lazyfree-lazy-expire` /
    /// `lazyfree-lazy-server-del` (Redis's `dbAsyncDelete` / `freeObjAsync`), on the spot otherwise.
    garbage: Vec<(Entry, Freed)>,
}

/// The database side of two keyspace notifications, `expired` and `new`, which happen below the command layer
/// where there is no context to notify through: a [`Db`] queues them (its [`Queue`]) when the caller's
/// [`LookupClock::events`] (or an insert's `events` argument) asks for them, and `notify` publishes them after
/// every command and active-expiry cycle.
///
/// Which kinds are wanted is the server state's (`ServerState::db_events`, kept in step with
/// `notify-keyspace-events` by `notify::sync`) and is passed in.
pub mod events {
    /// Event kinds a database records.
    pub const LOG_EXPIRED: u8 = 1;
    pub const LOG_NEW: u8 = 2;
}

/// Why a big value waits in the database's [`Queue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freed {
    /// Deleted by lazy or active expiry (freed lazily with `lazyfree-lazy-expire`, else timed as `expire-del`).
    Expired,
    /// Replaced by a write to its key (Redis's `dbOverwrite`) or deleted by a command as a side effect (Redis's
    /// `dbDelete`: RENAME's or COPY REPLACE's destination, RESTORE REPLACE, GETDEL, a STORE with an empty
    /// result): freed lazily with `lazyfree-lazy-server-del`.
    Overwritten,
    /// Deleted because a command set a TTL in the past (EXPIRE, GETEX): freed lazily with `lazyfree-lazy-expire`.
    ExpiredByCommand,
}

/// Why the server deleted a key on its own; decides how the deletion is propagated (`lazyfree-lazy-expire` or
/// `lazyfree-lazy-eviction` picks UNLINK over DEL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Expired,
    Evicted,
}

/// What lazy expiry does with a key whose TTL has passed, as the server decides it before each command (Redis's
/// `expireIfNeeded` reads the same facts from its globals: a pause, the role, the client, loading). Kept in the
/// server state (`ServerState::lazy_expiry`) and handed to every lookup inside a [`LookupClock`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LazyExpiry {
    /// Set while CLIENT PAUSE holds (any mode), on a replica and during a load: a due key is reported missing
    /// but left in place, as Redis does, so the dataset stays static. Written by `Server::call_with` before each
    /// command and by whatever starts or ends a pause (CLIENT PAUSE/UNPAUSE, FAILOVER and its end in
    /// `ReplLink::repl_clear_failover`, a cluster manual failover in `Server::cluster_effect`, the shutdown's wait
    /// in `Server::prepare_for_shutdown` and `Server::cancel_shutdown`); cleared and restored around
    /// `state::expire::expire_replica_keys`. Active expiry checks the pause itself.
    pub paused: bool,
    /// With `paused`: the due key is still live, for a replica running a command of its master (the master decides
    /// when keys go and sends DEL, as Redis's `expireIfNeeded` for the master client) and while an AOF loads.
    /// Written by `Server::call_with` before each command of a replica or a load; cleared by
    /// `Server::end_loading`, by `state::repl::unset_master` (promotion), and around
    /// `state::expire::expire_replica_keys`.
    pub off: bool,
}

/// What a lookup needs besides the key: the command's time, lazy expiry's mode and which keyspace events the
/// database records ([`events`]). Built by the server state from its fields (`ServerState::lookup_clock`) and
/// passed in, so that no lookup reads a global. `Copy` and two words: it costs what the bare time did.
#[derive(Debug, Clone, Copy)]
pub struct LookupClock {
    /// The time TTLs are compared with (the command's start; the active cycle's own reading).
    pub now_ms: i64,
    pub expiry: LazyExpiry,
    /// Event kinds to record ([`events::LOG_EXPIRED`], [`events::LOG_NEW`]); 0 records none.
    pub events: u8,
}

impl LookupClock {
    /// A clock at `now_ms` that deletes due keys and records no events (tests, tools, loaders).
    #[inline]
    pub const fn at(now_ms: i64) -> LookupClock {
        LookupClock { now_ms, expiry: LazyExpiry { paused: false, off: false }, events: 0 }
    }
}

/// Set when some Db's [`Queue`] may hold something, so the server's per-command check is one load instead of a
/// walk over every database. Set by the Db when it queues an event, a deletion or a big freed value; cleared by
/// [`take_queued`], which `state::notify::drain_queues` calls after every command and cycle. A global because a
/// [`Db`] cannot reach the server state; an atomic rather than a thread-local because it is read after every
/// command (one plain load, no TLS lookup); only the server thread touches it. Unit tests run servers on parallel
/// threads, so under test the mark is per thread (`QUEUED_HERE`): one test's drain must not take another's mark.
#[cfg(not(test))]
static QUEUED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
#[cfg(test)]
thread_local! {
    /// `QUEUED` under test, one per test thread.
    static QUEUED_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether some database queued something since the last call (and clears the mark).
#[inline]
pub fn take_queued() -> bool {
    #[cfg(not(test))]
    {
        use std::sync::atomic::Ordering::Relaxed;
        QUEUED.load(Relaxed) && QUEUED.swap(false, Relaxed)
    }
    #[cfg(test)]
    QUEUED_HERE.with(|q| q.replace(false))
}

/// Whether some database queued something since the mark was last cleared (the mark stays).
#[inline]
pub fn queued() -> bool {
    #[cfg(not(test))]
    {
        QUEUED.load(std::sync::atomic::Ordering::Relaxed)
    }
    #[cfg(test)]
    QUEUED_HERE.with(|q| q.get())
}

#[inline]
fn mark_queued() {
    #[cfg(not(test))]
    QUEUED.store(true, std::sync::atomic::Ordering::Relaxed);
    #[cfg(test)]
    QUEUED_HERE.with(|q| q.set(true));
}

impl Db {
    pub fn new(id: usize) -> Db {
        let mut keys = Dict::new();
        Db {
            id,
            slots: slots::for_new_db(&mut keys),
            keys,
            expires: 0,
            expired_keys: 0,
            avg_ttl_ms: 0,
            expire_cursor: 0,
            queue: Queue::default(),
            hexpires: std::collections::BTreeSet::new(),
            ks: Keysizes::default(),
            read_hint: None,
        }
    }

    /// The key-size histograms (`INFO keysizes`). Up to date once the lends are settled ([`Db::sync_sizes`]).
    #[inline]
    pub fn keysizes(&self) -> &Keysizes {
        &self.ks
    }

    /// Counts the lent entry again under its class now (see [`crate::keyspace::keysizes`]): the door calls this
    /// when a handler is done. One size read and a compare when the class did not change.
    #[inline]
    pub fn sync_sizes(&mut self) {
        self.settle();
    }

    /// Settles the lend, if any: the lent entry is counted again under its class now. Every method that may move
    /// entries in the table (a lookup's rehash step, an insert, a removal, a resize) or change one whole calls this
    /// first, so the lend's position still holds the lent entry (see "Lends" in [`crate::keyspace::keysizes`]).
    /// With the histogram off (the default) the lend is only forgotten here, in line: every write settles
    /// once when its handler is done.
    #[inline(always)]
    fn settle(&mut self) {
        if let Some(l) = self.ks.take_lent() {
            if self.ks.is_on() && !l.reported {
                self.recount(l);
            }
        }
    }

    /// Counts the entry lent at `l` again under its class now (the histogram is kept).
    #[inline(never)]
    fn recount(&mut self, l: crate::keyspace::keysizes::Lent) {
        let now = self.keys.at(l.pos).and_then(class_of);
        self.ks.moved(l.before, now);
    }

    /// Where `key`'s entry is if it is the one lent now.
    #[inline(always)]
    fn lent_pos(&self, key: &[u8]) -> Option<crate::keyspace::dict::Pos> {
        let p = self.ks.lent()?.pos;
        self.keys.at(p).is_some_and(|e| e.key() == key).then_some(p)
    }

    /// Lends the entry at `p` (found just now, after the last settle) for an in-place change; `reported`: to a
    /// write that reports its size change itself (see "Reported writes" in [`crate::keyspace::keysizes`]).
    #[inline(always)]
    fn lend_at(&mut self, p: crate::keyspace::dict::Pos, reported: bool) -> Option<&mut Entry> {
        let e = self.keys.at(p)?;
        if reported {
            self.ks.lend_reported(p);
        } else {
            let before = cls(self.ks.is_on(), e);
            self.ks.lend(p, before);
        }
        self.keys.at_mut(p)
    }

    /// An insert of an entry of class `class` replaced `old` (or added a key): the histogram moves it.
    #[inline]
    fn count_replaced(&mut self, old: Option<&Entry>, class: Option<Class>) {
        let was = old.and_then(|o| cls(self.ks.is_on(), o));
        self.ks.moved(was, class);
    }

    /// An entry's size class changed in place from `before` to `after` and the caller knows both (SET over a
    /// string, active field expiry): counted now.
    #[inline]
    pub fn size_changed(&mut self, before: Option<Class>, after: Option<Class>) {
        self.settle();
        self.ks.moved(before, after);
    }

    /// [`Db::size_changed`] for a write whose entry is lent reported (see "Reported writes" in
    /// [`crate::keyspace::keysizes`]): the lend stays, so the command still finds the entry again with a key
    /// compare.
    #[inline]
    pub fn size_reported(&mut self, before: Option<Class>, after: Option<Class>) {
        debug_assert!(self.ks.lent().is_none_or(|l| l.reported), "keysizes: a size reported beside a counted lend");
        self.ks.moved(before, after);
    }

    /// Keeps the key-size histograms from now on, building them with one scan of the keys if they are not kept
    /// yet (see "Kept from the first reading on" in [`crate::keyspace::keysizes`]). Every reading calls this first.
    pub fn track_keysizes(&mut self) {
        if !self.ks.is_on() {
            self.ks.start(Keysizes::scan(self.keys.iter()));
        }
    }

    /// Whether the histograms equal a scan of the keyspace; the first difference (type, bin, kept, scanned)
    /// otherwise. Lends are settled first; a histogram not kept yet is started (and so equals the scan).
    /// DEBUG KEYSIZES-HIST-ASSERT and the invariant check.
    pub fn keysizes_difference(&mut self) -> Option<(usize, usize, u64, u64)> {
        self.track_keysizes();
        self.sync_sizes();
        let scanned = Keysizes::scan(self.keys.iter());
        self.ks.differs_from(&scanned)
    }

    /// The `expired` and `new` events recorded since the last call, oldest first, for `notify::drain` to publish
    /// (see [`events`]). An empty log keeps its buffer.
    #[inline]
    pub fn take_events(&mut self) -> Vec<(u8, Vec<u8>)> {
        if self.queue.events.is_empty() {
            return Vec::new();
        }
        std::mem::take(&mut self.queue.events)
    }

    /// The big values let go of since the last call (see [`Queue`]), for the server to free lazily or on the spot
    /// (`state::notify::drain_queues`). An empty list keeps its buffer.
    #[inline]
    pub fn take_garbage(&mut self) -> Vec<(Entry, Freed)> {
        if self.queue.garbage.is_empty() {
            return Vec::new();
        }
        std::mem::take(&mut self.queue.garbage)
    }

    /// The keys deleted on the server's own since the last call (see [`Queue`]), for the server to propagate and
    /// signal (`state::notify::drain_queues`); hand the emptied buffer back with
    /// [`Db::recycle_deletions`]. An empty log keeps its buffer.
    #[inline]
    pub fn take_deletions(&mut self) -> Vec<(Vec<u8>, Deletion)> {
        if self.queue.deletions.is_empty() {
            return Vec::new();
        }
        std::mem::take(&mut self.queue.deletions)
    }

    /// Keeps a drained deletion buffer's allocation for the next deletions when it is small.
    #[inline]
    pub fn recycle_deletions(&mut self, mut buf: Vec<(Vec<u8>, Deletion)>) {
        buf.clear();
        if buf.capacity() <= 1024 && self.queue.deletions.is_empty() {
            self.queue.deletions = buf;
        }
    }

    /// Whether some hash here has fields with TTLs (the RDB writer then writes a Redis 7.4 file).
    pub fn has_field_ttls(&self) -> bool {
        !self.hexpires.is_empty()
    }

    /// Number of hashes with field TTLs (`INFO keyspace` `subexpiry`).
    pub fn hashes_with_field_ttls(&self) -> usize {
        self.hexpires.len()
    }

    /// Files an entry about to be inserted when it is a hash with field TTLs (see [`Db::hexpires`]).
    #[inline]
    fn file_new(&mut self, e: &mut Entry) {
        if let Some(crate::keyspace::object::Value::Hash(h)) = e.value_mut() {
            let t = h.expiry_hint();
            h.set_filed(t);
            if t != 0 {
                self.hexpires.insert((t, e.key().into()));
            }
        }
    }

    /// Unfiles a replaced entry that was a filed hash, unless the entry that replaced it is filed at the same time
    /// (the index holds one entry per (time, key)).
    fn unfile_replaced(&mut self, old: &Entry) {
        if let Some(crate::keyspace::object::Value::Hash(h)) = old.value() {
            let t = h.filed();
            if t == 0 {
                return;
            }
            let same = matches!(self.keys.get(old.key()).and_then(|e| e.value()),
                Some(crate::keyspace::object::Value::Hash(n)) if n.filed() == t);
            if !same {
                self.hexpires.remove(&(t, Box::<[u8]>::from(old.key())));
            }
        }
    }

    /// Unfiles a removed entry that was a filed hash.
    #[inline]
    fn unfile(&mut self, e: &Entry) {
        if let Some(crate::keyspace::object::Value::Hash(h)) = e.value() {
            let t = h.filed();
            if t != 0 {
                self.hexpires.remove(&(t, Box::<[u8]>::from(e.key())));
            }
        }
    }

    /// Takes `key`'s hash out of the field-expiry index before its value is replaced in place (a SET over it).
    pub fn unfile_hash(&mut self, key: &[u8]) {
        self.settle();
        if let Some(crate::keyspace::object::Value::Hash(h)) = self.keys.get_mut(key).and_then(|e| e.value_mut()) {
            let t = h.filed();
            if t != 0 {
                h.set_filed(0);
                self.hexpires.remove(&(t, Box::<[u8]>::from(key)));
            }
        }
    }

    /// Files `key`'s hash again under its current earliest field expiry (after HEXPIRE and the like gave a field
    /// an earlier TTL, or active expiry raised it), or unfiles it when no field has a TTL left.
    pub fn refile_hash(&mut self, key: &[u8]) {
        self.settle();
        let Some(crate::keyspace::object::Value::Hash(h)) = self.keys.get_mut(key).and_then(|e| e.value_mut()) else {
            return;
        };
        let (old, new) = (h.filed(), h.expiry_hint());
        if old == new {
            return;
        }
        h.set_filed(new);
        if old != 0 {
            self.hexpires.remove(&(old, Box::<[u8]>::from(key)));
        }
        if new != 0 {
            self.hexpires.insert((new, key.into()));
        }
    }

    /// The first filed hash due at `now` (its key and filing time), taken out of the index; the caller files it
    /// again ([`Db::refile_hash`] after setting its `filed` to 0) if it keeps TTLs. Stale entries are dropped.
    pub fn take_due_hash(&mut self, now: u64) -> Option<Box<[u8]>> {
        self.settle();
        loop {
            let first = self.hexpires.first()?;
            if first.0 > now {
                return None;
            }
            let (t, key) = self.hexpires.pop_first()?;
            if let Some(crate::keyspace::object::Value::Hash(h)) = self.keys.get_mut(&key).and_then(|e| e.value_mut()) {
                if h.filed() == t {
                    h.set_filed(0);
                    return Some(key);
                }
            }
        }
    }

    /// Notes `key` with the slot index before it enters or leaves the dict (None when there is no index).
    #[inline]
    fn slot_note(&mut self, key: &[u8]) -> Option<slots::Pending> {
        self.slots.as_ref()?;
        self.step_logged_rebuild();
        let ix = self.slots.as_mut()?;
        ix.sync(&mut self.keys);
        Some(ix.note(&self.keys, key))
    }

    /// Lookups take no step of a rebuild whose moves the slot index follows (see `dict::MoveLog`): the doors that
    /// insert, remove or expire a key take it instead, before they note the key, as other tables' lookups would.
    #[inline]
    fn step_logged_rebuild(&mut self) {
        if self.slots.is_some() && self.keys.is_reseeding() {
            self.keys.rehash_step(1);
        }
    }

    /// The noted key entered the dict (`added`) or was already there (an overwrite).
    #[inline]
    fn slot_added(&mut self, p: Option<slots::Pending>, added: bool) {
        if let (Some(ix), Some(p)) = (&mut self.slots, p) {
            if added {
                ix.added(&mut self.keys, p);
            } else {
                ix.sync(&mut self.keys);
            }
        }
    }

    /// The noted key left the dict.
    #[inline]
    fn slot_removed(&mut self, p: Option<slots::Pending>) {
        if let (Some(ix), Some(p)) = (&mut self.slots, p) {
            ix.removed(&mut self.keys, p);
        }
    }

    /// Starts keeping the slot index (called once at start in cluster mode, before any key is loaded; indexes the
    /// keys already present otherwise). Databases created afterwards (loads, full syncs) keep one from the start.
    pub fn enable_slot_index(&mut self) {
        self.settle();
        slots::set_enabled();
        if self.slots.is_none() {
            self.slots = Some(SlotIndex::new(&mut self.keys));
        }
    }

    /// Whether this database keeps the slot index.
    pub fn has_slot_index(&self) -> bool {
        self.slots.is_some()
    }

    /// Bytes the slot index takes (0 without one), for memory reporting.
    pub fn slot_index_bytes(&self) -> usize {
        self.slots.as_ref().map_or(0, |ix| ix.bytes())
    }

    /// Keys of `slot` in this database (CLUSTER COUNTKEYSINSLOT), O(1). Keys whose TTL passed but that were not
    /// deleted yet count, as in Redis. Without the index (cluster mode off), a scan.
    pub fn count_keys_in_slot(&self, slot: usize) -> usize {
        slots::count_keys_in_slot(self.slots.as_deref(), &self.keys, slot)
    }

    /// Up to `max` keys of `slot` (CLUSTER GETKEYSINSLOT), without scanning other slots' keys (a scan without the
    /// index, or in the moment between a cron shrink that reseeded the dict and the next write).
    pub fn keys_in_slot(&self, slot: usize, max: usize) -> Vec<Vec<u8>> {
        slots::keys_in_slot(self.slots.as_deref(), &self.keys, slot, max)
    }

    /// Deletes every key of `slot` and returns their names (Redis's `delKeysInSlot`: a node that lost a slot it
    /// still had keys in, an import that was cancelled). Values are freed as [`Db::delete`] frees them; the
    /// caller propagates a DEL for each key, signals WATCHers and publishes the `del` events.
    pub fn delete_keys_in_slot(&mut self, slot: usize) -> Vec<Vec<u8>> {
        let keys = self.keys_in_slot(slot, usize::MAX);
        for k in &keys {
            self.delete(k);
        }
        keys
    }

    /// Checks the slot index against a scan of the keyspace (tests).
    #[cfg(test)]
    pub(crate) fn check_slot_index(&self) {
        if let Some(ix) = &self.slots {
            ix.check(&self.keys);
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of keys with a TTL.
    #[inline]
    pub fn expires_len(&self) -> usize {
        self.expires
    }

    /// The key's expire time, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.keys.get(key).and_then(|e| e.expire_ms())
    }

    /// Deletes `key` if its TTL has passed at `clock.now_ms`. Returns true when the key is expired (during CLIENT
    /// PAUSE it is left in place, and on a replica's master link it is still live: see [`LazyExpiry`]).
    pub fn expire_if_needed(&mut self, key: &[u8], clock: LookupClock) -> bool {
        self.settle();
        // The active expiry cycle's deletions move a rebuild on, as they do without the index.
        self.step_logged_rebuild();
        match self.keys.find(key) {
            Some(p) => self.expire_at_if_needed(p, clock),
            None => false,
        }
    }

    /// [`Db::expire_if_needed`] for the entry at slot `p` (from [`Dict::find`]).
    fn expire_at_if_needed(&mut self, p: crate::keyspace::dict::Pos, clock: LookupClock) -> bool {
        let Some(e) = self.keys.at(p) else { return false };
        match e.expire_ms() {
            Some(t) if t <= clock.now_ms => {
                if clock.expiry.paused {
                    return !clock.expiry.off;
                }
                if let Some(ix) = &mut self.slots {
                    ix.sync(&mut self.keys);
                }
                let note = match (&self.slots, self.keys.at(p)) {
                    (Some(ix), Some(e)) => Some(ix.note(&self.keys, e.key())),
                    _ => None,
                };
                if let Some(e) = self.keys.remove_at(p) {
                    let on = self.ks.is_on();
                    self.ks.sub(cls(on, &e));
                    self.slot_removed(note);
                    self.unfile(&e);
                    self.expires -= 1;
                    self.expired_keys += 1;
                    self.log_event(clock.events, events::LOG_EXPIRED, e.key());
                    self.queue.deletions.push((e.key().to_vec(), Deletion::Expired));
                    mark_queued();
                    if e.free_effort() > FREE_EFFORT_THRESHOLD {
                        self.queue.garbage.push((e, Freed::Expired));
                    } else {
                        // Freeing the value is the latency monitor's `expire-del` event.
                        crate::latency::timed("expire-del", || drop(e));
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Looks a key up, deleting it first when its TTL has passed. One probe of `keys`; the TTL is in the entry.
    #[inline]
    pub fn lookup(&mut self, key: &[u8], clock: LookupClock) -> Option<&mut Entry> {
        self.settle();
        let p = self.keys.find(key)?;
        // Still live only for a replica's master (see `LazyExpiry::off`); deleted or hidden otherwise.
        if self.keys.at(p)?.expire_ms().is_some_and(|t| t <= clock.now_ms) && self.expire_at_if_needed(p, clock) {
            return None;
        }
        self.read_hint = Some(p);
        self.keys.at_mut(p)
    }

    /// [`Db::lookup`] for a write: the entry is lent for an in-place change, counted again by [`Db::sync_sizes`].
    #[inline]
    pub fn lookup_lend(&mut self, key: &[u8], clock: LookupClock) -> Option<&mut Entry> {
        self.lookup_lend_as(key, clock, false)
    }

    /// [`Db::lookup_lend`] for a write that reports its size change itself ([`Db::size_changed`]): the entry is
    /// lent reported (see "Reported writes" in [`crate::keyspace::keysizes`]), so no size is read for it.
    #[inline]
    pub fn lookup_lend_reported(&mut self, key: &[u8], clock: LookupClock) -> Option<&mut Entry> {
        self.lookup_lend_as(key, clock, true)
    }

    #[inline(always)]
    fn lookup_lend_as(&mut self, key: &[u8], clock: LookupClock, reported: bool) -> Option<&mut Entry> {
        // Lent already by this command's earlier write lookup (ZADD looks its key up twice): found again with a key
        // compare, its first class kept.
        if let Some(p) = self.lent_pos(key) {
            if self.keys.at(p)?.expire_ms().is_none_or(|t| t > clock.now_ms) {
                return self.keys.at_mut(p);
            }
        }
        self.settle();
        let p = self.keys.find(key)?;
        if self.keys.at(p)?.expire_ms().is_some_and(|t| t <= clock.now_ms) && self.expire_at_if_needed(p, clock) {
            return None;
        }
        self.lend_at(p, reported)
    }

    /// [`Db::find_mut`] for an in-place change of the value: the entry is lent, as [`Db::lookup_lend`] lends it
    /// (the entry lent already is found again without a lookup).
    #[inline]
    pub fn lend_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.lend_mut_as(key, false)
    }

    /// [`Db::lend_mut`] for a write that reports its size change itself (see [`Db::lookup_lend_reported`]).
    #[inline]
    pub fn lend_mut_reported(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.lend_mut_as(key, true)
    }

    #[inline(always)]
    fn lend_mut_as(&mut self, key: &[u8], reported: bool) -> Option<&mut Entry> {
        // Lent already (the handler's write lookup): found again with a key compare, its first class kept.
        if let Some(p) = self.lent_pos(key) {
            return self.keys.at_mut(p);
        }
        self.settle();
        // Read just now (the handler's read lookup): found again with a key compare.
        let hint = self.read_hint.take().filter(|&p| self.keys.at(p).is_some_and(|e| e.key() == key));
        let p = match hint {
            Some(p) => p,
            None => self.keys.find(key)?,
        };
        self.lend_at(p, reported)
    }

    /// [`Db::lookup`], also handing out the key's hash (client-side caching's table reuses it). Kept apart from
    /// it so that the plain lookup's code does not carry the hash out.
    #[inline]
    pub fn lookup_hashed(&mut self, key: &[u8], clock: LookupClock) -> (Option<&mut Entry>, HashedKey) {
        self.settle();
        let (p, hk) = self.keys.find_hashed(key);
        let Some(p) = p else { return (None, hk) };
        // Still live only for a replica's master (see `LazyExpiry::off`); deleted or hidden otherwise.
        if self.keys.at(p).is_some_and(|e| e.expire_ms().is_some_and(|t| t <= clock.now_ms))
            && self.expire_at_if_needed(p, clock)
        {
            return (None, hk);
        }
        (self.keys.at_mut(p), hk)
    }

    /// Looks a key up without expiring or rehashing (read-only callers such as `SCAN`'s filters, `DEBUG`).
    /// Expired-but-not-yet-deleted keys are hidden.
    pub fn peek(&self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        let e = self.keys.get(key)?;
        if e.expire_ms().is_some_and(|t| t <= now_ms) {
            return None;
        }
        Some(e)
    }

    /// Whether a live key exists (expiring it if due).
    pub fn contains(&mut self, key: &[u8], clock: LookupClock) -> bool {
        self.lookup(key, clock).is_some()
    }

    /// A replaced entry goes back to the caller, unless it is big: then it waits in the [`Queue`].
    fn overwritten(&mut self, old: Option<Entry>) -> Option<Entry> {
        if let Some(o) = &old {
            self.unfile_replaced(o);
        }
        match old {
            Some(o) if o.free_effort() > FREE_EFFORT_THRESHOLD => {
                self.queue.garbage.push((o, Freed::Overwritten));
                mark_queued();
                None
            }
            old => old,
        }
    }

    /// Adds or overwrites a key; the old TTL is dropped. No keyspace event: loads, tools and tests; a command's
    /// write goes through [`Db::set_key`]. Returns the replaced entry (a big one goes to the [`Queue`] instead).
    #[inline]
    pub fn insert(&mut self, e: Entry) -> Option<Entry> {
        self.set_key(e, 0)
    }

    /// Adds or overwrites a key; the old TTL is dropped (Redis's `setKey` without KEEPTTL). A key that was not
    /// there is recorded as a `new` event when `events` asks for it ([`LookupClock::events`]). Returns the replaced
    /// entry (a big one goes to the [`Queue`] instead).
    pub fn set_key(&mut self, mut e: Entry, events: u8) -> Option<Entry> {
        e.set_expire(None);
        self.file_new(&mut e);
        self.settle();
        let class = cls(self.ks.is_on(), &e);
        let new_key = (events & events::LOG_NEW != 0).then(|| e.key().to_vec());
        let note = self.slot_note(e.key());
        let old = self.keys.insert(e);
        self.slot_added(note, old.is_none());
        self.count_replaced(old.as_ref(), class);
        match &old {
            Some(o) if o.has_expire() => self.expires -= 1,
            Some(_) => {}
            None => {
                if let Some(k) = new_key {
                    self.queue.events.push((events::LOG_NEW, k));
                    mark_queued();
                }
            }
        }
        self.overwritten(old)
    }

    /// Adds a key that carries its own TTL (`e.expire_ms()`), replacing any entry with the same key (loading an
    /// RDB file, RESTORE). Returns the replaced entry. No keyspace event.
    pub fn insert_with_expire(&mut self, mut e: Entry) -> Option<Entry> {
        self.file_new(&mut e);
        self.settle();
        let class = cls(self.ks.is_on(), &e);
        let has = e.has_expire();
        let note = self.slot_note(e.key());
        let old = self.keys.insert(e);
        self.slot_added(note, old.is_none());
        self.count_replaced(old.as_ref(), class);
        self.count_loaded(has, old)
    }

    /// [`Db::insert_with_expire`] with the key's hash taken ahead ([`crate::keyspace::dict::Dict::hash_ahead`]): the RDB
    /// loader hashes a few keys before inserting them.
    pub fn insert_hashed_with_expire(&mut self, k: crate::keyspace::dict::HashedKey, mut e: Entry) -> Option<Entry> {
        self.file_new(&mut e);
        self.settle();
        let class = cls(self.ks.is_on(), &e);
        let has = e.has_expire();
        let note = self.slot_note(e.key());
        let old = self.keys.insert_hashed(k, e);
        self.slot_added(note, old.is_none());
        self.count_replaced(old.as_ref(), class);
        self.count_loaded(has, old)
    }

    /// Keeps the TTL count right after a loaded key (with a TTL if `has`) replaced `old`.
    #[inline]
    fn count_loaded(&mut self, has: bool, old: Option<Entry>) -> Option<Entry> {
        if let Some(o) = &old {
            self.unfile_replaced(o);
        }
        if has {
            self.expires += 1;
        }
        if old.as_ref().is_some_and(|o| o.has_expire()) {
            self.expires -= 1;
        }
        old
    }

    /// Records an `expired`/`new` event for keyspace notifications ([`events`]) when `wanted` asks for its kind.
    #[inline]
    fn log_event(&mut self, wanted: u8, kind: u8, key: &[u8]) {
        if wanted & kind != 0 {
            self.queue.events.push((kind, key.to_vec()));
            mark_queued();
        }
    }

    /// Adds or overwrites a key keeping the old key's TTL, if any (Redis's `setKey` with KEEPTTL; a big replaced
    /// entry goes to the [`Queue`]). A new key is a `new` event when `events` asks for it.
    pub fn insert_keep_ttl(&mut self, mut e: Entry, events: u8) -> Option<Entry> {
        self.file_new(&mut e);
        self.settle();
        let class = cls(self.ks.is_on(), &e);
        if let Some(slot) = self.keys.find(e.key()).and_then(|p| self.keys.at_mut(p)) {
            e.set_expire(slot.expire_ms());
            let old = std::mem::replace(slot, e);
            self.count_replaced(Some(&old), class);
            return self.overwritten(Some(old));
        }
        e.set_expire(None);
        self.log_event(events, events::LOG_NEW, e.key());
        let note = self.slot_note(e.key());
        let old = self.keys.insert(e);
        self.slot_added(note, old.is_none());
        self.count_replaced(old.as_ref(), class);
        old
    }

    /// Inserts `e` unless its key is present (then `e` comes back): DEBUG POPULATE's one-probe insert
    /// ([`Dict::insert_new`]). The entry keeps the TTL it carries.
    pub fn insert_new(&mut self, mut e: Entry) -> Result<(), Entry> {
        self.settle();
        self.file_new(&mut e);
        let class = cls(self.ks.is_on(), &e);
        let has = e.has_expire();
        let note = self.slot_note(e.key());
        if let Err(e) = self.keys.insert_new(e) {
            // Present: nothing to index, but the insert's rehash step may have logged moves.
            self.slot_added(note, false);
            return Err(e);
        }
        self.slot_added(note, true);
        self.ks.add(class);
        if has {
            self.expires += 1;
        }
        Ok(())
    }

    /// Deletes a key chosen by `maxmemory` eviction and queues it for propagation (see [`Queue`]).
    /// Returns the entry for the caller to free (`lazyfree-lazy-eviction`), None when the key does not exist.
    pub fn evict(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.remove(key)?;
        self.queue.deletions.push((key.to_vec(), Deletion::Evicted));
        mark_queued();
        Some(e)
    }

    /// Removes a key and its TTL.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        self.settle();
        let note = self.slot_note(key);
        let e = self.keys.remove(key)?;
        let c = cls(self.ks.is_on(), &e);
        self.ks.sub(c);
        self.slot_removed(note);
        if e.has_expire() {
            self.expires -= 1;
        }
        self.unfile(&e);
        Some(e)
    }

    /// Deletes a key whose value the caller has no use for (Redis's `dbDelete`): a big value is freed as
    /// [`Freed::Overwritten`] says (lazily with `lazyfree-lazy-server-del`). Returns whether the key existed.
    /// DEL and UNLINK, which follow `lazyfree-lazy-user-del`, use [`Db::remove`] and free it themselves.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.delete_as(key, Freed::Overwritten)
    }

    /// [`Db::delete`] for a key a command expired by giving it a TTL in the past ([`Freed::ExpiredByCommand`]).
    pub fn delete_expired_by_command(&mut self, key: &[u8]) -> bool {
        self.delete_as(key, Freed::ExpiredByCommand)
    }

    fn delete_as(&mut self, key: &[u8], why: Freed) -> bool {
        let Some(e) = self.remove(key) else { return false };
        if e.free_effort() > FREE_EFFORT_THRESHOLD {
            self.queue.garbage.push((e, why));
            mark_queued();
        }
        true
    }

    /// Sets an absolute expire time on an existing key. Returns false when the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) -> bool {
        self.settle();
        let Some(e) = self.keys.get_mut(key) else { return false };
        if !e.has_expire() {
            self.expires += 1;
        }
        e.set_expire(Some(when_ms));
        true
    }

    /// Removes the TTL of a key. Returns true when there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.settle();
        match self.keys.get_mut(key) {
            Some(e) if e.has_expire() => {
                e.set_expire(None);
                self.expires -= 1;
                true
            }
            _ => false,
        }
    }

    /// Drops every key.
    pub fn clear(&mut self) {
        self.keys.clear();
        if let Some(ix) = &mut self.slots {
            ix.clear(&mut self.keys);
        }
        self.expires = 0;
        self.expire_cursor = 0;
        self.avg_ttl_ms = 0;
        self.hexpires.clear();
        self.ks.clear();
    }

    /// Empties the database like [`Db::clear`] but hands the table over instead of freeing it (the lazy-free
    /// thread drops it: FLUSHALL ASYNC, `replica-lazy-flush`).
    pub fn take_keys(&mut self) -> Dict<Entry> {
        let keys = std::mem::take(&mut self.keys);
        self.clear();
        keys
    }

    /// A random live key, skipping (and deleting) expired ones a bounded number of times, like Redis's
    /// `dbRandomKey` (which gives up on a database where every key is expired and returns one anyway).
    pub fn random_key(&mut self, rng: &mut Rng, clock: LookupClock) -> Option<Vec<u8>> {
        for _ in 0..100 {
            let e = self.keys.random(rng)?;
            let key = e.key().to_vec();
            if !e.has_expire() || !self.expire_if_needed(&key, clock) {
                return Some(key);
            }
        }
        self.keys.random(rng).map(|e| e.key().to_vec())
    }

    /// One step of the active expiry cycle's walk over the keyspace (Redis's `dictScan` of `db->expires`): calls
    /// `f` for each entry of the next bucket, resuming where the previous step stopped.
    #[inline]
    pub fn expire_scan_step<F: FnMut(&Entry)>(&mut self, f: F) {
        self.expire_cursor = self.keys.scan(self.expire_cursor, f);
    }

    /// One SCAN step over the keyspace (see [`Dict::scan`]): calls `f` for each entry of the visited bucket,
    /// expired-but-undeleted ones included (the caller filters with [`Db::is_expired`] as Redis does), and
    /// returns the next cursor (0 at the end).
    pub fn scan<F: FnMut(&Entry)>(&self, cursor: u64, f: F) -> u64 {
        self.keys.scan(cursor, f)
    }

    /// Whether `key`'s TTL has passed (it still being in the keyspace until someone expires it).
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        self.keys.get(key).and_then(|e| e.expire_ms()).is_some_and(|t| t <= now_ms)
    }

    /// Exchanges the contents of two databases (SWAPDB): keys, TTL count and the expiry statistics that follow
    /// the data. Ids stay.
    pub fn swap_data(&mut self, other: &mut Db) {
        self.settle();
        other.settle();
        std::mem::swap(&mut self.ks, &mut other.ks);
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.slots, &mut other.slots);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.avg_ttl_ms, &mut other.avg_ttl_ms);
        std::mem::swap(&mut self.expire_cursor, &mut other.expire_cursor);
        std::mem::swap(&mut self.hexpires, &mut other.hexpires);
    }

    /// Checks the invariants the header states, in debug builds (release builds compile it to nothing): the TTL
    /// count equals the entries carrying a TTL, the slot index counts every key under its slot, and every hash
    /// filed in the field-expiry index is found there under the time it remembers, no later than its earliest
    /// field TTL. The scans run on databases small enough (10,000 keys) that the cron can afford them.
    pub fn check_invariants(&self) {
        if !cfg!(debug_assertions) || self.keys.len() > 10_000 {
            return;
        }
        let mut with_ttl = 0;
        for e in self.keys.iter() {
            with_ttl += e.has_expire() as usize;
            self.check_filed(e);
        }
        debug_assert_eq!(with_ttl, self.expires, "db {}: the TTL count is off", self.id);
        if self.ks.is_on() && !self.ks.has_lent() {
            let scanned = Keysizes::scan(self.keys.iter());
            let diff = self.ks.differs_from(&scanned);
            debug_assert!(
                diff.is_none(),
                "db {}: the key-size histogram is off (type, bin, kept, scanned): {diff:?}",
                self.id
            );
        }
        if let Some(ix) = &self.slots {
            ix.check_counts(&self.keys);
        }
    }

    /// The per-key part of [`Db::check_invariants`], cheap enough for every key a command changed (the door's
    /// check when a handler's context goes away): a hash's filing in the field-expiry index.
    pub fn check_key(&self, key: &[u8]) {
        if cfg!(debug_assertions) {
            if let Some(e) = self.keys.get(key) {
                self.check_filed(e);
            }
        }
    }

    fn check_filed(&self, e: &Entry) {
        if let Some(crate::keyspace::object::Value::Hash(h)) = e.value() {
            let (filed, due) = (h.filed(), h.expiry_hint());
            if filed != 0 {
                debug_assert!(
                    self.hexpires.contains(&(filed, Box::<[u8]>::from(e.key()))),
                    "db {}: hash {:?} filed at {filed} is not in the field-expiry index",
                    self.id,
                    String::from_utf8_lossy(e.key())
                );
            }
            debug_assert!(
                due == 0 || (filed != 0 && filed <= due),
                "db {}: hash {:?} with fields due at {due} is filed at {filed}",
                self.id,
                String::from_utf8_lossy(e.key())
            );
        }
    }

    /// Cron work for this database: shrink/grow tables that need it (unless a child process shares our memory)
    /// and spend up to `budget_us` on incremental rehashing (Redis's `databasesCron` with `activerehashing`).
    /// Returns true when rehash work was done.
    pub fn cron(&mut self, resize_allowed: bool, budget_us: u64) -> bool {
        self.settle();
        self.check_invariants();
        self.keys.set_resize_allowed(resize_allowed);
        if resize_allowed {
            self.keys.resize_if_needed();
        }
        self.rehash_for_us(budget_us)
    }

    /// Spends up to `budget_us` on the table's migration, if one runs (the cron's share, and the slices of it
    /// `state::expire::rehash_slice` spends between event passes). Returns true when one ran.
    pub fn rehash_for_us(&mut self, budget_us: u64) -> bool {
        self.settle();
        let rehashing = self.keys.is_rehashing();
        match &mut self.slots {
            Some(ix) if self.keys.is_reseeding() => {
                // The index follows each step's logged moves, inside the same budget (first those of a rebuild
                // begun by the cron's shrink, which only a door would have noticed).
                ix.sync(&mut self.keys);
                let start = std::time::Instant::now();
                while self.keys.rehash_step(100) {
                    ix.sync(&mut self.keys);
                    if start.elapsed().as_micros() as u64 >= budget_us {
                        break;
                    }
                }
            }
            _ if rehashing => {
                self.keys.rehash_for_us(budget_us);
            }
            _ => {}
        }
        // A shrink may have begun a rebuild under a new seed.
        if let Some(ix) = &mut self.slots {
            ix.sync(&mut self.keys);
        }
        rehashing
    }

    // --- The table's own operations, for the server's processes (expiry, eviction, defragmentation, persistence,
    // DEBUG and MEMORY): what Redis reaches through `dictFind`, `dbIterator`, `dictScan`, `dictGetSomeKeys` and
    // `dictExpand` on `db->dict`. None of them changes a key's presence or TTL, so none touches the TTL count, the
    // slot index or the field-expiry index; changes go through the inserts, removals and TTL setters above.

    /// The entry stored under `key`, its TTL passed or not, without expiring it or stepping a rehash (Redis's
    /// `dbFind`): for callers that looked the key up already, or that must see the table as it is (DEBUG, MEMORY
    /// USAGE, the eviction pool, WATCH's existence check).
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<&Entry> {
        self.keys.get(key)
    }

    /// [`Db::find`] for changing a value in place (a handler's write through the door, active field expiry,
    /// tests). The caller changes neither the key nor its TTL (that is [`Db::set_expire`] / [`Db::persist`]'s), and
    /// follows a change to a hash's field TTLs with [`Db::refile_hash`]: the TTL count and the field-expiry index
    /// depend on it (checked by [`Db::check_invariants`] in debug builds). Inlined always: it is SET's one lookup
    /// (as a call of its own, about 15 instructions per SET).
    #[inline(always)]
    pub fn find_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.settle();
        self.keys.get_mut(key)
    }

    /// Every entry, in table order, expired-but-undeleted ones included (Redis's `dbIterator`): DEBUG DIGEST,
    /// KEYS, the RDB and AOF writers.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.keys.iter()
    }

    /// What a save in this process changes in the live values before writing them (RedisBloom's `rdb_save`
    /// compresses a t-digest in place; see [`crate::keyspace::types::prob::Prob::prepare_save`]). A forked child's
    /// save changes only its own copy, so only SAVE, SHUTDOWN's and FLUSHALL's saves call this.
    pub fn prepare_save(&mut self) {
        self.settle();
        for e in self.keys.iter_mut() {
            if let Some(crate::keyspace::object::Value::Prob(p)) = e.value_mut() {
                p.prepare_save();
            }
        }
    }

    /// One SCAN call's worth of steps (see [`Dict::scan_count`]): `f` sees each entry of the visited buckets and
    /// returns whether it counts towards `count`; returns the next cursor (0 at the end).
    #[inline]
    pub fn scan_count<F: FnMut(&Entry) -> bool>(&self, cursor: u64, count: usize, max_steps: usize, f: F) -> u64 {
        self.keys.scan_count(cursor, count, max_steps, f)
    }

    /// A random entry, its TTL passed or not (Redis's `dictGetFairRandomKey`: eviction's `allkeys-random`).
    #[inline]
    pub fn random_entry(&self, rng: &mut Rng) -> Option<&Entry> {
        self.keys.random(rng)
    }

    /// Calls `f` on up to `n` entries from a random place (Redis's `dictGetSomeKeys`); returns how many it saw.
    #[inline]
    pub fn sample<F: FnMut(&Entry)>(&self, n: usize, rng: &mut Rng, f: F) -> usize {
        self.keys.sample(n, rng, f)
    }

    /// One step of the active defragmenter's walk (see [`Dict::walk_mut`]): `f` may move an entry's allocations,
    /// never its key or TTL. Returns the next cursor (0 at the end).
    #[inline]
    pub fn defrag_step<F: FnMut(&mut Entry)>(&mut self, cursor: usize, max: usize, f: F) -> usize {
        self.settle();
        self.keys.walk_mut(cursor, max, f)
    }

    /// Reallocates the table when it is far larger than its keys need (the defragmenter's pass end).
    #[inline]
    pub fn compact_table(&mut self) -> bool {
        self.settle();
        self.keys.compact()
    }

    /// Bytes the table takes (its slots, not the entries).
    #[inline]
    pub fn table_bytes(&self) -> usize {
        self.keys.table_bytes()
    }

    /// Slots of the table (Redis's `dictBuckets`).
    #[inline]
    pub fn buckets(&self) -> usize {
        self.keys.capacity()
    }

    /// The tables' fill and probe statistics and the probing work so far (DEBUG HTSTATS).
    pub fn table_stats(&self) -> (Vec<crate::keyspace::dict::TableStats>, crate::keyspace::dict::ProbeWork) {
        (self.keys.stats(), self.keys.probe_work())
    }

    /// Whether the table is being migrated to a new size.
    #[inline]
    pub fn is_rehashing(&self) -> bool {
        self.keys.is_rehashing()
    }

    /// Whether a shrink waits for its clustering check (see `Dict::shrink_to`).
    #[inline]
    pub fn shrink_waiting(&self) -> bool {
        self.keys.shrink_waiting()
    }

    /// Whether the table may resize now (not while a child process shares memory).
    #[inline]
    pub fn set_resize_allowed(&mut self, allowed: bool) {
        self.keys.set_resize_allowed(allowed);
    }

    /// Starts a resize if the fill calls for one (the tables' cron).
    #[inline]
    pub fn resize_if_needed(&mut self) {
        self.settle();
        self.keys.resize_if_needed();
    }

    /// Grows the table for `additional` more keys ahead of a bulk load (Redis's `dictExpand`: RDB's RESIZEDB,
    /// DEBUG POPULATE).
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        self.settle();
        self.keys.reserve(additional);
    }

    /// Finishes a migration begun by [`Db::reserve`] at once (the RDB loader, after each insert).
    #[inline]
    pub fn finish_rehash_now(&mut self) {
        self.settle();
        self.keys.finish_rehash_now();
    }

    /// Hashes `key` for a later [`Db::insert_hashed_with_expire`] and fetches its slot into the cache.
    #[inline]
    pub fn hash_ahead(&self, key: &[u8]) -> HashedKey {
        self.keys.hash_ahead(key)
    }

    /// Fetches `key`'s slot into the cache (the AOF loader, a command ahead).
    #[inline]
    pub fn prefetch_key(&self, key: &[u8]) {
        self.keys.prefetch_key(key);
    }

    /// Bytes used by the database's table and entries. Walks every key (O(n)): for `DEBUG`/tests, not for INFO.
    pub fn memory_usage(&self) -> usize {
        self.keys.table_bytes() + self.keys.iter().map(|e| e.memory_usage()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::object::StrRef;
    use crate::util::Rng;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn check(db: &Db) {
        assert_eq!(db.keys.iter().filter(|e| e.has_expire()).count(), db.expires_len(), "TTL count mismatch");
        db.check_invariants();
    }

    #[test]
    fn ttl_lifecycle() {
        let mut db = Db::new(0);
        db.insert(Entry::new_string(b"a", b"1"));
        assert!(db.set_expire(b"a", 1000));
        assert!(!db.set_expire(b"missing", 1000));
        assert_eq!(db.expire_of(b"a"), Some(1000));
        assert!(db.set_expire(b"a", 2000));
        assert_eq!(db.expires_len(), 1);
        assert_eq!(db.expire_of(b"a"), Some(2000));
        assert!(db.lookup(b"a", LookupClock::at(1999)).is_some());
        assert!(db.peek(b"a", 2000).is_none());
        assert!(db.is_expired(b"a", 2000));
        assert!(db.lookup(b"a", LookupClock::at(2000)).is_none());
        assert_eq!(db.expired_keys, 1);
        assert!(db.is_empty());
        assert_eq!(db.expires_len(), 0);
        check(&db);
    }

    #[test]
    fn overwrite_drops_or_keeps_ttl() {
        let mut db = Db::new(0);
        db.insert(Entry::new_string(b"a", b"1"));
        db.set_expire(b"a", 5000);
        db.insert_keep_ttl(Entry::new_string(b"a", b"2"), 0);
        assert_eq!(db.expire_of(b"a"), Some(5000));
        check(&db);
        db.insert(Entry::new_string(b"a", b"3"));
        assert_eq!(db.expire_of(b"a"), None);
        check(&db);
        db.set_expire(b"a", 5000);
        assert!(db.persist(b"a"));
        assert!(!db.persist(b"a"));
        check(&db);
        let got = db.lookup(b"a", LookupClock::at(0)).and_then(|e| e.as_str()).map(|s| s.to_vec());
        assert_eq!(got, Some(b"3".to_vec()));
    }

    #[test]
    fn random_key_skips_expired() {
        let mut db = Db::new(0);
        for i in 0..50 {
            let k = format!("dead{i}");
            db.insert(Entry::new_string(k.as_bytes(), b"x"));
            db.set_expire(k.as_bytes(), 10);
        }
        db.insert(Entry::new_string(b"alive", b"x"));
        let mut rng = Rng::new(1);
        // Which entry comes up first depends on the per-process hash seed: over 20 calls some expired key is
        // certainly met (and deleted) on the way, while every answer is the live key.
        for _ in 0..20 {
            assert_eq!(db.random_key(&mut rng, LookupClock::at(100)), Some(b"alive".to_vec()));
        }
        assert!(db.len() < 51);
        check(&db);
    }

    #[test]
    fn lookup_mutation_sticks() {
        let mut db = Db::new(0);
        db.insert(Entry::new_int(b"n", 1));
        db.lookup(b"n", LookupClock::at(0)).unwrap().set_int(2);
        assert_eq!(db.lookup(b"n", LookupClock::at(0)).unwrap().as_str(), Some(StrRef::Int(2)));
        db.lookup(b"n", LookupClock::at(0)).unwrap().set_string(&[b'z'; 200]);
        assert_eq!(db.lookup(b"n", LookupClock::at(0)).unwrap().as_str().unwrap().len(), 200);
    }

    #[test]
    fn cron_shrinks_after_mass_delete() {
        let mut db = Db::new(0);
        for i in 0..2000 {
            db.insert(Entry::new_string(format!("k{i}").as_bytes(), b"v"));
        }
        let before = db.keys.table_bytes();
        for i in 0..1990 {
            db.remove(format!("k{i}").as_bytes());
        }
        while db.cron(true, 1000) {}
        assert!(db.keys.table_bytes() < before / 16);
        assert_eq!(db.len(), 10);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, u8),
        SetKeepTtl(u8, u8),
        Expire(u8, i64),
        Persist(u8),
        Del(u8),
        Get(u8),
        Tick(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let k = 0u8..40;
        prop_oneof![
            (k.clone(), any::<u8>()).prop_map(|(k, v)| Op::Set(k, v)),
            (k.clone(), any::<u8>()).prop_map(|(k, v)| Op::SetKeepTtl(k, v)),
            (k.clone(), 0i64..100).prop_map(|(k, t)| Op::Expire(k, t)),
            k.clone().prop_map(Op::Persist),
            k.clone().prop_map(Op::Del),
            k.prop_map(Op::Get),
            (0i64..20).prop_map(Op::Tick),
        ]
    }

    proptest! {
        #[test]
        fn db_matches_model(ops in proptest::collection::vec(op(), 1..300)) {
            let mut db = Db::new(0);
            // key -> (value, expire time)
            let mut m: BTreeMap<Vec<u8>, (Vec<u8>, Option<i64>)> = BTreeMap::new();
            let mut now = 0i64;
            for o in ops {
                // The model expires lazily too: drop keys whose time has passed before each operation's key use.
                let live = |m: &mut BTreeMap<Vec<u8>, (Vec<u8>, Option<i64>)>, k: &[u8], now: i64| {
                    if let Some((_, Some(t))) = m.get(k) {
                        if *t <= now {
                            m.remove(k);
                        }
                    }
                };
                match o {
                    Op::Set(k, v) => {
                        let k = vec![b'k', k];
                        db.insert(Entry::new_string(&k, &[v]));
                        m.insert(k, (vec![v], None));
                    }
                    Op::SetKeepTtl(k, v) => {
                        let k = vec![b'k', k];
                        live(&mut m, &k, now);
                        db.expire_if_needed(&k, LookupClock::at(now));
                        db.insert_keep_ttl(Entry::new_string(&k, &[v]), 0);
                        let ttl = m.get(&k).and_then(|x| x.1);
                        m.insert(k, (vec![v], ttl));
                    }
                    Op::Expire(k, t) => {
                        let k = vec![b'k', k];
                        live(&mut m, &k, now);
                        db.expire_if_needed(&k, LookupClock::at(now));
                        let ok = db.set_expire(&k, now + t);
                        prop_assert_eq!(ok, m.contains_key(&k));
                        if let Some(x) = m.get_mut(&k) { x.1 = Some(now + t); }
                    }
                    Op::Persist(k) => {
                        let k = vec![b'k', k];
                        live(&mut m, &k, now);
                        db.expire_if_needed(&k, LookupClock::at(now));
                        let had = m.get_mut(&k).map(|x| x.1.take().is_some()).unwrap_or(false);
                        prop_assert_eq!(db.persist(&k), had);
                    }
                    Op::Del(k) => {
                        let k = vec![b'k', k];
                        live(&mut m, &k, now);
                        db.expire_if_needed(&k, LookupClock::at(now));
                        prop_assert_eq!(db.remove(&k).is_some(), m.remove(&k).is_some());
                    }
                    Op::Get(k) => {
                        let k = vec![b'k', k];
                        live(&mut m, &k, now);
                        let got = db.lookup(&k, LookupClock::at(now)).map(|e| e.as_str().unwrap().to_vec());
                        prop_assert_eq!(got, m.get(&k).map(|x| x.0.clone()));
                    }
                    Op::Tick(d) => now += d,
                }
                check(&db);
            }
            for (k, (v, t)) in &m {
                if t.is_some_and(|t| t <= now) { continue; }
                prop_assert_eq!(db.expire_of(k), *t);
                prop_assert_eq!(db.peek(k, now).map(|e| e.as_str().unwrap().to_vec()), Some(v.clone()));
            }
        }
    }
}
