//! The per-slot key index for cluster mode: keys counted and listed by hash slot without scanning the keyspace
//! (CLUSTER COUNTKEYSINSLOT, GETKEYSINSLOT, the keys of a slot that moved away). Off, and free, unless the server
//! runs with `cluster-enabled yes`.
//!
//! # Design
//!
//! ```text
//!   slot 0     [ f f f f ]          sorted 3-byte fragments of the keys' dict hashes, one array per slot
//!   slot 1     [ ]                  (the array's length is the slot's key count: COUNTKEYSINSLOT is O(1))
//!   slot 2     [ f f ]
//!   ...
//!   fragment f = hash bits 63..47 (which say where the key's home slot in the dict is) | bits 6..0 (its tag)
//! ```
//!
//! Redis 7.0 threads every key of a slot on a doubly linked list kept in the dict entries (16 bytes per key). Here a
//! key costs one 3-byte fragment of its hash under the keyspace dict's seed: 17 high bits that pin its home position in
//! the dict to 1/131072 of the table (the home is monotonic in the hash; about 12 table slots at 1M keys) and the 7 low
//! bits its control byte holds. Listing a slot walks its fragments; each one names a short stretch of the dict
//! ([`Dict::for_each_in_hash_range`]) whose control bytes are read, and only the entries with a matching one are
//! dereferenced and checked (real hash and slot): about one entry read per key listed. Nothing points at entries or
//! dict positions, so rehashing, backward-shift deletes, defrag moves and TTL reallocations cannot make it stale. Only
//! a new dict seed can (the dict was emptied, or rebuilt under a new seed by its probe guard or a clustering shrink).
//! An emptied dict needs nothing. A rebuild is an incremental migration from the old table (old seed) to the new one,
//! and the index follows it move by move: meanwhile it keeps two generations of fragments, the old table's keys under
//! the old seed and the new table's under the new, and the dict's move log ([`crate::keyspace::dict::MoveLog`], on for
//! this dict) hands it each key a step moved (its slot and both hashes), which it takes from the old generation to the
//! new after the call that moved it. The work thus follows the migration's bounded steps; no door recomputes the index.
//! A key noted for removal is looked up in the generation of the table that holds it. Listing reads each generation's
//! fragments in its own table. When the index is behind the dict (a cron shrink began a rebuild, and no door or rehash
//! slice came since), listing falls back to a scan.
//!
//! The doors: every insert and remove of [`Db`](super::db::Db) (`insert*`, `remove`, lazy expiry, `clear`,
//! `take_keys`, `swap_data`, `insert_new`) notes the key here when the index is on; handlers never touch it. The
//! database's slot queries (`count_keys_in_slot`, `keys_in_slot`, `delete_keys_in_slot`, in `db.rs`) hand this
//! module its index and its table: nothing here names the database. Memory: 3 bytes a key plus up to 1/8 array
//! slack, and 24 bytes a slot (393 KiB, from the database's first key on) for the array headers
//! (`benches/slot_index.sh` measures it: `benches/README.md`).
//!
//! Known cost: a slot's fragments are sorted: one array up to `CHUNK` (2048) fragments, beyond that (a hash tag)
//! sorted chunks of at most that many, so an insert or delete moves at most a few KiB. Listing walks about
//! `table size / 2^17` control bytes per key, so it slows down gently past ~100M keys.
//!
//! Tested by the unit and property tests in `slots/tests.rs` (counts and listings against a brute-force scan
//! after random insert/delete/expire/overwrite sequences, across rehashes, guard rebuilds, clears and swaps).

#![forbid(unsafe_code)]

use super::dict::{hash_with, Dict, Moved};
use super::object::Entry;
use crate::keyspace::hash_slot::{key_hash_slot, SLOTS};
#[cfg(not(test))]
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Set once the server runs in cluster mode: databases created from then on (a load, a full sync, FLUSHALL's
/// fresh tables) keep the index from the start. Set only by
/// [`Db::enable_slot_index`](super::db::Db::enable_slot_index) (through [`set_enabled`]), which
/// `state::cluster::init` calls at start-up; never cleared. Read by [`enabled`] whenever a database is made. A
/// static because databases are made far below any server state, and it is set once at start-up. Per thread
/// under test (`ENABLED_HERE`), so unit tests that turn it on leave the others' databases alone.
#[cfg(not(test))]
static ENABLED: AtomicBool = AtomicBool::new(false);
#[cfg(test)]
thread_local! {
    /// `ENABLED` under test: one per test thread, set by
    /// [`Db::enable_slot_index`](crate::keyspace::db::Db::enable_slot_index) as `ENABLED` is.
    static ENABLED_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Turns the index on for every database made from now on (see `ENABLED`);
/// [`Db::enable_slot_index`](crate::keyspace::db::Db::enable_slot_index) calls it.
pub(super) fn set_enabled() {
    #[cfg(not(test))]
    ENABLED.store(true, Relaxed);
    #[cfg(test)]
    ENABLED_HERE.with(|e| e.set(true));
}

/// Bytes a fragment takes.
const FRAG_BYTES: usize = 3;
/// Low hash bits that make a dict control byte.
const TAG_BITS: u32 = 7;
/// High hash bits kept: the rest of the fragment's 24.
const HIGH_BITS: u32 = 8 * FRAG_BYTES as u32 - TAG_BITS;
const HIGH_SHIFT: u32 = 64 - HIGH_BITS;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;

/// A key's fragment: its hash's top [`HIGH_BITS`] bits over its [`TAG_BITS`] low bits.
#[inline]
fn fragment(h: u64) -> u32 {
    (((h >> HIGH_SHIFT) << TAG_BITS) | (h & TAG_MASK)) as u32
}

/// The smallest and largest hash with fragment `f`.
#[inline]
fn hash_range(f: u32) -> (u64, u64) {
    let lo = ((f as u64 >> TAG_BITS) << HIGH_SHIFT) | (f as u64 & TAG_MASK);
    (lo, lo | (((1u64 << HIGH_SHIFT) - 1) & !TAG_MASK))
}

/// One key about to enter or leave the dict: its slot, and its fragment under the seed of the table it is in or
/// goes to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    slot: u16,
    frag: u32,
    seed: u64,
}

/// One slot's fragments: sorted, 3 bytes each, big-endian (so byte order is numeric order).
#[derive(Default)]
struct Frags(Vec<u8>);

impl Frags {
    #[inline]
    fn len(&self) -> usize {
        self.0.len() / FRAG_BYTES
    }

    #[inline]
    fn get(&self, i: usize) -> u32 {
        let b = &self.0[i * FRAG_BYTES..(i + 1) * FRAG_BYTES];
        u32::from_be_bytes([0, b[0], b[1], b[2]])
    }

    /// The first position whose fragment is not below `f`.
    fn lower_bound(&self, f: u32) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.get(mid) < f {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn insert(&mut self, f: u32) {
        let at = self.lower_bound(f) * FRAG_BYTES;
        let v = &mut self.0;
        if v.len() == v.capacity() {
            // Grow by an eighth (at least 4 fragments): little slack, and reallocations stay rare.
            v.reserve_exact((v.len() / 8 / FRAG_BYTES).max(4) * FRAG_BYTES);
        }
        let bytes = f.to_be_bytes();
        let n = v.len();
        v.extend_from_slice(&bytes[1..]);
        v.copy_within(at..n, at + FRAG_BYTES);
        v[at..at + FRAG_BYTES].copy_from_slice(&bytes[1..]);
    }

    /// Removes one occurrence of `f`; false when there is none.
    fn remove(&mut self, f: u32) -> bool {
        let i = self.lower_bound(f);
        if i == self.len() || self.get(i) != f {
            return false;
        }
        let at = i * FRAG_BYTES;
        self.0.drain(at..at + FRAG_BYTES);
        let v = &mut self.0;
        if v.is_empty() {
            // An emptied slot holds no allocation: a generation dropped once its keys are gone (at the end of a
            // rebuild's migration) then frees one array, not one per slot (16384 frees, milliseconds).
            *v = Vec::new();
        } else if v.capacity() > 16 * FRAG_BYTES && v.len() < v.capacity() / 2 {
            v.shrink_to(v.len() + v.len() / 8);
        }
        true
    }
}

/// Fragments a slot holds in one array before it is split into chunks of at most this many (a hash tag that puts
/// millions of keys in one slot then costs a memmove of a few KiB per insert, not of megabytes).
/// (Small under test, so the property tests split and merge chunks.)
const CHUNK: usize = if cfg!(test) { 16 } else { 2048 };

/// One slot's fragments: one sorted array, or sorted chunks (each at most [`CHUNK`] long, in order) with their
/// total.
enum Slot {
    Small(Frags),
    Big(Box<(Vec<Frags>, usize)>),
}

const _: () = assert!(std::mem::size_of::<Slot>() == std::mem::size_of::<Vec<u8>>());

impl Default for Slot {
    fn default() -> Slot {
        Slot::Small(Frags::default())
    }
}

impl Slot {
    #[inline]
    fn len(&self) -> usize {
        match self {
            Slot::Small(f) => f.len(),
            Slot::Big(b) => b.1,
        }
    }

    /// The fragments in order.
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let chunks: &[Frags] = match self {
            Slot::Small(f) => std::slice::from_ref(f),
            Slot::Big(b) => &b.0,
        };
        chunks.iter().flat_map(|c| (0..c.len()).map(move |i| c.get(i)))
    }

    /// The chunk where `f` belongs: the last one whose first fragment is not above it.
    fn chunk_of(chunks: &[Frags], f: u32) -> usize {
        chunks.partition_point(|c| c.len() > 0 && c.get(0) <= f).saturating_sub(1)
    }

    fn insert(&mut self, f: u32) {
        match self {
            Slot::Small(v) if v.len() < CHUNK => v.insert(f),
            Slot::Small(v) => {
                let all = std::mem::take(v);
                *self = Slot::Big(Box::new((vec![all], 0)));
                self.rebalance();
                self.insert(f);
            }
            Slot::Big(b) => {
                let i = Self::chunk_of(&b.0, f);
                b.0[i].insert(f);
                b.1 += 1;
                if b.0[i].len() > CHUNK {
                    // Split the full chunk in two halves.
                    let c = &mut b.0[i];
                    let half = c.len() / 2 * FRAG_BYTES;
                    let upper = Frags(c.0[half..].to_vec());
                    c.0.truncate(half);
                    c.0.shrink_to(half + half / 8);
                    b.0.insert(i + 1, upper);
                }
            }
        }
    }

    fn remove(&mut self, f: u32) -> bool {
        match self {
            Slot::Small(v) => v.remove(f),
            Slot::Big(b) => {
                let i = Self::chunk_of(&b.0, f);
                if !b.0[i].remove(f) {
                    return false;
                }
                b.1 -= 1;
                if b.0[i].len() == 0 {
                    b.0.remove(i);
                }
                if b.1 <= CHUNK / 2 {
                    let mut all = Frags::default();
                    for c in &b.0 {
                        all.0.extend_from_slice(&c.0);
                    }
                    *self = Slot::Small(all);
                }
                true
            }
        }
    }

    /// Appends a fragment out of order (a rebuild); [`Slot::rebalance`] sorts afterwards.
    fn push_unsorted(&mut self, f: u32) {
        if let Slot::Small(v) = self {
            v.0.extend_from_slice(&f.to_be_bytes()[1..]);
        }
    }

    /// Sorts a rebuilt slot and cuts it into chunks when it is big.
    fn rebalance(&mut self) {
        let mut all: Vec<u32> = self.iter().collect();
        all.sort_unstable();
        let pack = |part: &[u32]| Frags(part.iter().flat_map(|f| f.to_be_bytes()[1..].to_vec()).collect());
        *self = if all.len() < CHUNK {
            Slot::Small(pack(&all))
        } else {
            Slot::Big(Box::new((all.chunks(CHUNK * 3 / 4).map(pack).collect(), all.len())))
        };
    }

    fn bytes(&self) -> usize {
        match self {
            Slot::Small(f) => f.0.capacity(),
            Slot::Big(b) => {
                std::mem::size_of::<(Vec<Frags>, usize)>()
                    + b.0.capacity() * std::mem::size_of::<Frags>()
                    + b.0.iter().map(|c| c.0.capacity()).sum::<usize>()
            }
        }
    }
}

/// One generation of fragments: those of every key in the dict's tables placed under `seed`.
struct Gen {
    seed: u64,
    total: usize,
    /// One entry per hash slot, or none at all until the first key arrives (cluster mode indexes every
    /// database, but only database 0 holds keys: the others cost no 393 KiB array).
    slots: Box<[Slot]>,
}

impl Gen {
    fn empty(seed: u64) -> Gen {
        Gen { seed, total: 0, slots: Box::new([]) }
    }

    /// The fragments of every element of `keys` placed under `seed`.
    fn of(keys: &Dict<Entry>, seed: u64) -> Gen {
        let mut g = Gen::empty(seed);
        for e in keys.elements_under(seed) {
            g.ensure_slots();
            g.slots[key_hash_slot(e.key())].push_unsorted(fragment(hash_with(seed, e.key())));
            g.total += 1;
        }
        for v in g.slots.iter_mut() {
            if v.len() > 1 {
                v.rebalance();
            }
        }
        g
    }

    /// The fragments of `slot` (< [`SLOTS`]).
    #[inline]
    fn slot(&self, slot: usize) -> &Slot {
        self.slots.get(slot).unwrap_or(&NO_KEYS)
    }

    /// The per-slot array, made when the first key arrives.
    fn ensure_slots(&mut self) {
        if self.slots.is_empty() {
            self.slots = (0..SLOTS).map(|_| Slot::default()).collect();
        }
    }

    fn add(&mut self, slot: usize, frag: u32) {
        self.ensure_slots();
        self.slots[slot].insert(frag);
        self.total += 1;
    }

    /// Removes one occurrence of `frag` from `slot`; false when there is none.
    fn remove(&mut self, slot: usize, frag: u32) -> bool {
        let gone = self.slots.get_mut(slot).is_some_and(|v| v.remove(frag));
        self.total -= gone as usize;
        gone
    }

    fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>() + self.slots.iter().map(Slot::bytes).sum::<usize>()
    }
}

/// See the module documentation.
pub struct SlotIndex {
    /// The fragments under the dict's seed: every key of its table(s) placed under it.
    cur: Gen,
    /// While a rebuild under a new seed migrates the dict: the keys still in its old table, under that table's
    /// seed. Each move the dict logs takes a key from here to `cur`; dropped when the migration ends.
    old: Option<Box<Gen>>,
}

/// An empty slot, for the lookups of an index without its array.
static NO_KEYS: Slot = Slot::Small(Frags(Vec::new()));

impl SlotIndex {
    /// An index of what `keys` holds now; turns the dict's move log on.
    pub(super) fn new(keys: &mut Dict<Entry>) -> Box<SlotIndex> {
        keys.log_moves();
        let mut ix = Box::new(SlotIndex { cur: Gen::empty(keys.seed()), old: None });
        ix.rebuild(keys);
        ix
    }

    /// Keys indexed.
    fn total(&self) -> usize {
        self.cur.total + self.old.as_ref().map_or(0, |g| g.total)
    }

    /// Recomputes every fragment and drops the dict's move log; moves nothing in the dict. Only for a new index:
    /// elsewhere it means the index lost track of the dict, which debug builds assert against.
    #[cold]
    fn rebuild(&mut self, keys: &mut Dict<Entry>) {
        debug_assert!(keys.is_empty() || self.total() == 0, "slot index: lost track of the dict");
        drop(keys.move_log().drain());
        self.cur = Gen::of(keys, keys.seed());
        self.old = keys.is_reseeding().then(|| Box::new(Gen::of(keys, keys.old_seed())));
    }

    /// Brings the index up to date with the dict: applies the moves its log holds, and follows the start or end of
    /// a rebuild under a new seed, or the dict being emptied. Every door of the database calls it after the dict
    /// changed, and before noting a key.
    #[inline]
    pub(super) fn sync(&mut self, keys: &mut Dict<Entry>) {
        if keys.seed() != self.cur.seed || self.old.is_some() || keys.moves_pending() {
            self.follow(keys);
        }
    }

    #[cold]
    fn follow(&mut self, keys: &mut Dict<Entry>) {
        if keys.is_empty() {
            // Nothing to index (the dict took a new seed and dropped its log). Empty arrays stay for the next keys.
            if self.total() != 0 {
                self.cur.slots = Box::new([]);
            }
            self.cur = Gen { seed: keys.seed(), total: 0, slots: std::mem::take(&mut self.cur.slots) };
            self.old = None;
            return;
        }
        if keys.moves_pending() {
            let log = keys.move_log();
            let (from, to) = (log.from, log.to);
            let (mixed, mut moves) = log.drain();
            let applied = !mixed && self.begin(from, to) && moves.all(|m| self.apply(m));
            drop(moves);
            keys.move_log().trim();
            if !applied {
                return self.rebuild(keys);
            }
        }
        let (seed, old_seed) = (keys.seed(), keys.old_seed());
        let follows = if seed != old_seed {
            self.begin(old_seed, seed)
        } else if self.cur.seed != seed {
            false
        } else {
            // A migration that ended: every key of the old table was moved.
            !matches!(self.old.take(), Some(g) if g.total != 0)
        };
        if !follows {
            self.rebuild(keys);
        }
    }

    /// Makes the generations those of a migration from seed `from` to `to`: when it has just begun, the current
    /// generation becomes the old one. False when they cannot be (the index lost track of the dict).
    fn begin(&mut self, from: u64, to: u64) -> bool {
        if let Some(old) = &self.old {
            if old.seed == from && self.cur.seed == to {
                return true;
            }
            if old.total != 0 {
                return false;
            }
            // A migration whose end no door saw before the next began: nothing of it is left.
            self.old = None;
        }
        if self.cur.seed != from {
            return false;
        }
        let cur = std::mem::replace(&mut self.cur, Gen::empty(to));
        self.old = Some(Box::new(cur));
        true
    }

    /// One logged move: the key's fragment leaves the old generation, its new one joins the current.
    #[inline]
    fn apply(&mut self, m: Moved) -> bool {
        let Some(old) = &mut self.old else { return false };
        if !old.remove(m.group as usize, fragment(m.old_hash)) {
            return false;
        }
        self.cur.add(m.group as usize, fragment(m.new_hash));
        true
    }

    /// The generation of the keys placed under `seed`.
    fn gen_mut(&mut self, seed: u64) -> Option<&mut Gen> {
        if self.cur.seed == seed {
            return Some(&mut self.cur);
        }
        self.old.as_deref_mut().filter(|g| g.seed == seed)
    }

    /// The key's slot and fragment, before an insert or remove (the index up to date: [`SlotIndex::sync`]): its
    /// fragment under the seed of the table that holds it, or of the one a new key goes to.
    pub(super) fn note(&self, keys: &Dict<Entry>, key: &[u8]) -> Pending {
        debug_assert!(!keys.moves_pending());
        let seed = if keys.is_reseeding() { keys.seed_holding(key).unwrap_or(keys.seed()) } else { keys.seed() };
        Pending { slot: key_hash_slot(key) as u16, frag: fragment(hash_with(seed, key)), seed }
    }

    /// The noted key was added to the dict; then the dict's own changes are followed (the insert may have moved
    /// elements, or begun a rebuild after placing the key under the seed it was noted with).
    pub(super) fn added(&mut self, keys: &mut Dict<Entry>, p: Pending) {
        match self.gen_mut(p.seed) {
            Some(g) => g.add(p.slot as usize, p.frag),
            None => return self.rebuild(keys),
        }
        self.sync(keys);
    }

    /// The noted key left the dict.
    pub(super) fn removed(&mut self, keys: &mut Dict<Entry>, p: Pending) {
        if !self.gen_mut(p.seed).is_some_and(|g| g.remove(p.slot as usize, p.frag)) {
            return self.rebuild(keys);
        }
        // An emptied dict takes a new seed; the removal may have ended a migration.
        self.sync(keys);
    }

    /// Forgets every key (the dict was cleared or handed away: `keys` is the new, empty one).
    pub(super) fn clear(&mut self, keys: &mut Dict<Entry>) {
        keys.log_moves();
        self.cur = Gen::empty(keys.seed());
        self.old = None;
    }

    /// Whether listing can use the index: it follows the dict's seeds and no move waits in the log (otherwise
    /// only between a cron shrink that began a rebuild and the next door).
    fn follows(&self, keys: &Dict<Entry>) -> bool {
        let old_ok = match &self.old {
            Some(g) => keys.is_reseeding() && g.seed == keys.old_seed(),
            None => !keys.is_reseeding(),
        };
        old_ok && self.cur.seed == keys.seed() && !keys.moves_pending()
    }

    /// How many keys of `slot` are indexed.
    #[inline]
    fn count(&self, slot: usize) -> usize {
        self.cur.slot(slot).len() + self.old.as_ref().map_or(0, |g| g.slot(slot).len())
    }

    /// Debug builds: the index holds as many keys as the dict, and each slot as many as the dict has in it (a
    /// scan: [`crate::keyspace::db::Db::check_invariants`] runs it on small databases only).
    pub(super) fn check_counts(&self, keys: &Dict<Entry>) {
        debug_assert_eq!(self.total(), keys.len(), "slot index: key count is off");
        let mut want = vec![0usize; SLOTS];
        for e in keys.iter() {
            want[key_hash_slot(e.key())] += 1;
        }
        for (s, n) in want.iter().enumerate() {
            debug_assert_eq!(self.count(s), *n, "slot index: slot {s} count is off");
        }
    }

    /// Bytes the index takes (its arrays and their headers).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<SlotIndex>()
            + self.cur.bytes()
            + self.old.as_ref().map_or(0, |g| std::mem::size_of::<Gen>() + g.bytes())
    }
}

/// Whether databases keep the slot index (cluster mode).
pub fn enabled() -> bool {
    #[cfg(not(test))]
    return ENABLED.load(Relaxed);
    #[cfg(test)]
    return ENABLED_HERE.with(|e| e.get());
}

/// The index a new database starts with: one in cluster mode, none otherwise.
pub(super) fn for_new_db(keys: &mut Dict<Entry>) -> Option<Box<SlotIndex>> {
    enabled().then(|| SlotIndex::new(keys))
}

/// Keys of `slot` in `keys` (CLUSTER COUNTKEYSINSLOT), O(1) from the index `ix`. Keys whose TTL passed but that
/// were not deleted yet count, as in Redis. Without an index (cluster mode off), a scan.
pub(super) fn count_keys_in_slot(ix: Option<&SlotIndex>, keys: &Dict<Entry>, slot: usize) -> usize {
    if slot >= SLOTS {
        return 0;
    }
    match ix {
        Some(ix) => ix.count(slot),
        None => keys.iter().filter(|e| key_hash_slot(e.key()) == slot).count(),
    }
}

/// Up to `max` keys of `slot` in `keys` (CLUSTER GETKEYSINSLOT), without scanning other slots' keys (a scan
/// without the index `ix`, or in the moment between a cron shrink that began a rebuild under a new seed and the
/// next write). During such a rebuild's migration the old generation's fragments are looked up in the old table
/// and the current one's in the new: a key is in exactly one of them, so it is listed once.
pub(super) fn keys_in_slot(ix: Option<&SlotIndex>, keys: &Dict<Entry>, slot: usize, max: usize) -> Vec<Vec<u8>> {
    if slot >= SLOTS || max == 0 {
        return Vec::new();
    }
    let ix = match ix {
        Some(ix) if ix.follows(keys) => ix,
        _ => {
            let matching = keys.iter().filter(|e| key_hash_slot(e.key()) == slot);
            return matching.take(max).map(|e| e.key().to_vec()).collect();
        }
    };
    let mut out = Vec::with_capacity(max.min(ix.count(slot)));
    for g in std::iter::once(&ix.cur).chain(ix.old.as_deref()) {
        let mut last = None;
        for f in g.slot(slot).iter() {
            if out.len() >= max {
                break;
            }
            // Keys sharing a fragment are found together by one walk.
            if last == Some(f) {
                continue;
            }
            last = Some(f);
            let (lo, hi) = hash_range(f);
            keys.for_each_in_hash_range(g.seed, lo, hi, |e| {
                let k = e.key();
                if out.len() < max && fragment(hash_with(g.seed, k)) == f && key_hash_slot(k) == slot {
                    out.push(k.to_vec());
                }
            });
        }
    }
    out
}

#[cfg(test)]
impl SlotIndex {
    /// Checks the index against a scan of `keys`, the table it indexes (tests): each generation holds the
    /// fragments of the keys placed under its seed.
    pub(super) fn check(&self, keys: &Dict<Entry>) {
        for g in std::iter::once(&self.cur).chain(self.old.as_deref()) {
            let mut want: Vec<Vec<u32>> = vec![Vec::new(); SLOTS];
            for e in keys.elements_under(g.seed) {
                want[key_hash_slot(e.key())].push(fragment(hash_with(g.seed, e.key())));
            }
            let mut n = 0;
            for (s, w) in want.iter_mut().enumerate() {
                w.sort_unstable();
                assert_eq!(g.slot(s).iter().collect::<Vec<u32>>(), *w, "slot {s} under seed {:x}", g.seed);
                n += w.len();
            }
            assert_eq!(g.total, n);
        }
        assert_eq!(self.total(), keys.len());
    }
}

#[cfg(test)]
mod tests;
