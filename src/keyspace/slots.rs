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
//! Redis 7.0 threads every key of a slot on a doubly linked list kept in the dict entries (16 bytes per key).
//! Here a key costs one 3-byte fragment of its hash under the keyspace dict's seed: 17 high bits that pin its home
//! position in the dict to 1/131072 of the table (the home is monotonic in the hash; about 12 table slots at 1M
//! keys) and the 7 low bits its control byte holds. Listing a slot walks its fragments; each one names a short
//! stretch of the dict ([`Dict::for_each_in_hash_range`]) whose control bytes are read, and only the entries with
//! a matching one are dereferenced and checked (real hash and slot): about one entry read per key listed. Nothing points at
//! entries or dict positions, so rehashing, backward-shift deletes, defrag moves and TTL reallocations cannot make
//! it stale. Only a new dict seed can (the dict was emptied, or rebuilt under a new seed by its probe guard or a
//! clustering shrink): every door compares seeds and recomputes the fragments then (O(n), when such a rebuild
//! begins; an emptied dict needs nothing). Listing under a stale seed (between a cron shrink and the next door),
//! or while the rebuild's migration runs (the old table is still placed by the old seed), falls back to a scan.
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

use super::dict::Dict;
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
    /// `ENABLED` under test: one per test thread, set by `Db::enable_slot_index` as `ENABLED` is.
    static ENABLED_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Turns the index on for every database made from now on (see `ENABLED`); `Db::enable_slot_index` calls it.
pub(super) fn set_enabled() {
    super::dict::set_reseed_shrink_max(RESEED_SHRINK_MAX);
    #[cfg(not(test))]
    ENABLED.store(true, Relaxed);
    #[cfg(test)]
    ENABLED_HERE.with(|e| e.set(true));
}

/// The most keys a clustering shrink of an indexed dict may move under a new seed (see
/// `keyspace::dict::Dict::shrink_to`): the index then recomputes every fragment at once, a walk over the keys
/// (about a millisecond for this many, by estimate); with more, the shrink waits until most are gone.
const RESEED_SHRINK_MAX: usize = 1 << 15;

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

/// One key about to enter or leave the dict: its slot and its fragment under the index's seed.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    slot: u16,
    frag: u32,
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
        if v.capacity() > 16 * FRAG_BYTES && v.len() < v.capacity() / 2 {
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

/// See the module documentation.
pub struct SlotIndex {
    /// The dict seed the fragments were computed under.
    seed: u64,
    total: usize,
    /// One entry per hash slot, or none at all until the first key arrives (cluster mode indexes every
    /// database, but only database 0 holds keys: the others cost no 393 KiB array).
    slots: Box<[Slot]>,
}

/// An empty slot, for the lookups of an index without its array.
static NO_KEYS: Slot = Slot::Small(Frags(Vec::new()));

impl SlotIndex {
    /// An index of what `keys` holds now.
    pub(super) fn new(keys: &Dict<Entry>) -> Box<SlotIndex> {
        let mut ix = Box::new(SlotIndex { seed: keys.seed(), total: 0, slots: Box::new([]) });
        ix.rebuild(keys);
        ix
    }

    /// Recomputes every fragment under the dict's current seed.
    #[cold]
    fn rebuild(&mut self, keys: &Dict<Entry>) {
        self.slots = if keys.is_empty() { Box::new([]) } else { (0..SLOTS).map(|_| Slot::default()).collect() };
        for e in keys.iter() {
            let s = key_hash_slot(e.key());
            self.slots[s].push_unsorted(fragment(keys.hash(e.key())));
        }
        for v in self.slots.iter_mut() {
            if v.len() > 1 {
                v.rebalance();
            }
        }
        self.seed = keys.seed();
        self.total = keys.len();
    }

    /// Follows a change of the dict's seed.
    #[inline]
    pub(super) fn sync(&mut self, keys: &Dict<Entry>) {
        if self.seed != keys.seed() {
            if self.total == 0 && keys.is_empty() {
                self.seed = keys.seed();
            } else {
                self.rebuild(keys);
            }
        }
    }

    /// The key's slot and fragment, before an insert or remove (after bringing the index to the dict's seed).
    pub(super) fn note(&mut self, keys: &Dict<Entry>, key: &[u8]) -> Pending {
        self.sync(keys);
        Pending { slot: key_hash_slot(key) as u16, frag: fragment(keys.hash(key)) }
    }

    /// The noted key was added to the dict.
    pub(super) fn added(&mut self, keys: &Dict<Entry>, p: Pending) {
        if self.slots.is_empty() {
            self.slots = (0..SLOTS).map(|_| Slot::default()).collect();
        }
        self.slots[p.slot as usize].insert(p.frag);
        self.total += 1;
        // The insert may have rebuilt the dict under a new seed.
        self.sync(keys);
    }

    /// The noted key left the dict.
    pub(super) fn removed(&mut self, keys: &Dict<Entry>, p: Pending) {
        if self.slots.get_mut(p.slot as usize).is_some_and(|v| v.remove(p.frag)) {
            self.total -= 1;
        } else {
            debug_assert!(false, "slot index: a removed key was not indexed");
        }
        // An emptied dict takes a new seed.
        self.sync(keys);
    }

    /// Forgets every key (the dict was cleared or handed away).
    pub(super) fn clear(&mut self, keys: &Dict<Entry>) {
        self.slots = Box::new([]);
        self.total = 0;
        self.seed = keys.seed();
    }

    /// The fragments of `slot` (< [`SLOTS`]).
    #[inline]
    fn slot(&self, slot: usize) -> &Slot {
        self.slots.get(slot).unwrap_or(&NO_KEYS)
    }

    /// Bytes the index takes (its arrays and their headers).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<SlotIndex>()
            + self.slots.len() * std::mem::size_of::<Slot>()
            + self.slots.iter().map(Slot::bytes).sum::<usize>()
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
pub(super) fn for_new_db(keys: &Dict<Entry>) -> Option<Box<SlotIndex>> {
    enabled().then(|| SlotIndex::new(keys))
}

/// Keys of `slot` in `keys` (CLUSTER COUNTKEYSINSLOT), O(1) from the index `ix`. Keys whose TTL passed but that
/// were not deleted yet count, as in Redis. Without an index (cluster mode off), a scan.
pub(super) fn count_keys_in_slot(ix: Option<&SlotIndex>, keys: &Dict<Entry>, slot: usize) -> usize {
    if slot >= SLOTS {
        return 0;
    }
    match ix {
        Some(ix) => ix.slot(slot).len(),
        None => keys.iter().filter(|e| key_hash_slot(e.key()) == slot).count(),
    }
}

/// Up to `max` keys of `slot` in `keys` (CLUSTER GETKEYSINSLOT), without scanning other slots' keys (a scan
/// without the index `ix`, in the moment between a cron shrink that reseeded the dict and the next write, or
/// while a rebuild under a new seed migrates the dict).
pub(super) fn keys_in_slot(ix: Option<&SlotIndex>, keys: &Dict<Entry>, slot: usize, max: usize) -> Vec<Vec<u8>> {
    if slot >= SLOTS || max == 0 {
        return Vec::new();
    }
    let ix = match ix {
        // While a rebuild under a new seed migrates the dict, its old table is placed by the old seed, which the
        // fragments no longer follow.
        Some(ix) if ix.seed == keys.seed() && !keys.is_reseeding() => ix,
        _ => {
            let matching = keys.iter().filter(|e| key_hash_slot(e.key()) == slot);
            return matching.take(max).map(|e| e.key().to_vec()).collect();
        }
    };
    let frags = ix.slot(slot);
    let mut out = Vec::with_capacity(max.min(frags.len()));
    let mut last = None;
    for f in frags.iter() {
        if out.len() >= max {
            break;
        }
        // Keys sharing a fragment are found together by one walk.
        if last == Some(f) {
            continue;
        }
        last = Some(f);
        let (lo, hi) = hash_range(f);
        keys.for_each_in_hash_range(lo, hi, |e| {
            if out.len() < max && fragment(keys.hash(e.key())) == f && key_hash_slot(e.key()) == slot {
                out.push(e.key().to_vec());
            }
        });
    }
    out
}

#[cfg(test)]
impl SlotIndex {
    /// Checks the index against a scan of `keys`, the table it indexes (tests).
    pub(super) fn check(&self, keys: &Dict<Entry>) {
        let mut want: Vec<Vec<u32>> = vec![Vec::new(); SLOTS];
        let have = |s: usize| self.slot(s).iter().collect::<Vec<u32>>();
        for e in keys.iter() {
            want[key_hash_slot(e.key())].push(fragment(keys.hash(e.key())));
        }
        if self.seed == keys.seed() {
            for (s, w) in want.iter_mut().enumerate() {
                w.sort_unstable();
                assert_eq!(&have(s), w, "slot {s}");
            }
        } else {
            for (s, w) in want.iter().enumerate() {
                assert_eq!(self.slot(s).len(), w.len(), "slot {s}");
            }
        }
        assert_eq!(self.total, keys.len());
    }
}

#[cfg(test)]
mod tests;
