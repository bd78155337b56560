//! The tracking table: key name → the clients that may cache it ([`TrackedKey`]), built for the read path of a
//! tracking client's GET, where it is one probe.
//!
//! ```text
//!  slots (open addressing, linear probing)          entries (dense, in insertion order modulo swap_remove)
//!  +-----------+-----------+---+-----------+        +------------------+------------------+---
//!  | 0 (empty) | hi | idx+1| 0 | hi | idx+1|  ───▶  | key, hi, bits,.. | key, hi, bits,.. |
//!  +-----------+-----------+---+-----------+        +------------------+------------------+---
//!   8 bytes a slot: the key's 32-bit hash `hi` (its top bits pick the home slot) and its entry's index
//! ```
//!
//! * **The keyspace lookup's hash is reused.** A tracking client's read looks its key up in the keyspace first
//!   ([`Db::lookup_hashed`](crate::keyspace::db::Db::lookup_hashed)), which hashes it with that dict's seed; the read
//!   path keeps the hash ([`super::Tracking::note_lookup`]) and the table, whose seed is the keyspace's when it fills
//!   (it adopts the seed of the first hash it is given while empty), takes its low 32 bits (`spread`). A key hashed
//!   under another seed (another database's, or one that changed) is hashed again here. Taking the low half is what
//!   keeps a shared seed harmless: the keyspace's homes and SCAN order come from the hash's top bits, and keys read in
//!   that order would otherwise all land at the front of this table as it grows (the insertion-order hazard of
//!   `keyspace/dict`); the low half is independent of them (the hash's last step mixes every bit).
//! * **Probes compare the stored 32 hash bits first**, so a key is compared (and its entry touched) only when
//!   they match: a hit dereferences one entry, a miss almost never one.
//! * **Growth moves only the 8-byte slots**: the home slot comes from the stored bits, so doubling rebuilds the
//!   slot array in one pass without reading an entry or hashing a key (the old slots are in about home order,
//!   so the new array is written about front to back), and the entries stay where they are. Shrinking (below
//!   1/8 full) does the same.
//! * **Entries are dense**: removal swaps the last entry into the hole and re-points its slot, so a random entry
//!   (the `tracking-table-max-keys` eviction) is one `below(len)`, and the cron's sweep of freed tracking slots
//!   walks a plain vector from its end (entries moved by removals only ever come from the end, which the walk
//!   has visited; new entries go to the end too, and carry no swept bits).

// The probe loop indexes unchecked (each block says why the index is in bounds).
#![allow(unsafe_code)]

use super::TrackedKey;
use crate::keyspace::dict::{fresh_seed, hash_with, HashedKey};
use crate::keyspace::types::SmallBytes;

/// Smallest slot array allocated.
const MIN_SLOTS: usize = 16;

/// Largest slot array: its 5/8 (the most entries it takes) is below 2^32 - 1.
const MAX_SLOTS: usize = 1 << 31;

pub struct KeyTable {
    /// 0 = empty, else `hi << 32 | (entry index + 1)`. Length a power of two: one empty slot while the table
    /// has never held a key (so that a probe needs no test for an unallocated array), else at least
    /// [`MIN_SLOTS`].
    slots: Box<[u64]>,
    /// `32 - log2(slots.len())`: a slot's home is `hi >> shift`.
    shift: u32,
    pub(super) entries: Vec<TrackedKey>,
    /// The seed keys are hashed with (`hash_with`), before [`spread`].
    seed: u64,
}

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable { slots: Box::new([0]), shift: 32, entries: Vec::new(), seed: fresh_seed() }
    }
}

/// The table's 32 hash bits of a key whose keyspace hash is `h`: its low half, independent of the top bits the
/// keyspace orders keys by (see the module documentation).
#[inline(always)]
fn spread(h: u64) -> u32 {
    h as u32
}

/// Whether a stored key is `key`, without a call for keys of 4 to 16 bytes (two overlapping word compares of the
/// inline bytes, whose length the compare of lengths bounds).
#[inline(always)]
fn key_is(stored: &SmallBytes, key: &[u8]) -> bool {
    let data = match stored {
        SmallBytes::Inline { len, data } if *len as usize == key.len() => data,
        SmallBytes::Inline { .. } => return false,
        SmallBytes::Heap(b) => return **b == *key,
    };
    let n = key.len();
    let w8 = |s: &[u8], i: usize| s.get(i..i + 8).map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
    let w4 = |s: &[u8], i: usize| s.get(i..i + 4).map(|w| u32::from_le_bytes(w.try_into().unwrap_or([0; 4])));
    match n {
        8..=16 => w8(data, 0) == w8(key, 0) && w8(data, n - 8) == w8(key, n - 8),
        4..=7 => w4(data, 0) == w4(key, 0) && w4(data, n - 4) == w4(key, n - 4),
        _ => data.get(..n) == Some(key),
    }
}

impl KeyTable {
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The table's hash bits of a key from the keyspace's hash of it, when that was taken under the table's seed
    /// (an empty table adopts the seed).
    #[inline(always)]
    pub fn hi_from(&mut self, k: HashedKey) -> Option<u32> {
        if k.seed() != self.seed {
            if !self.entries.is_empty() {
                return None;
            }
            self.seed = k.seed();
        }
        Some(spread(k.hash()))
    }

    /// The table's hash bits of `key` under its own seed.
    #[inline]
    pub fn hash_own(&self, key: &[u8]) -> u32 {
        spread(hash_with(self.seed, key))
    }

    #[inline(always)]
    fn home(&self, hi: u32) -> usize {
        // Shifted as a u64: 0 for the one-slot table (shift 32).
        ((hi as u64) >> self.shift) as usize
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Where `key` is (Ok: its slot and its entry's index) or would go (Err: the empty slot ending its probe path).
    #[inline(always)]
    fn probe(&self, hi: u32, key: &[u8]) -> Result<(usize, usize), usize> {
        let mask = self.mask();
        // Masked although the home is always below the length: the indexing below then needs no bounds test.
        let mut i = self.home(hi) & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Err(i);
            }
            if (s >> 32) as u32 == hi {
                let idx = (s as u32 as usize).wrapping_sub(1);
                debug_assert!(idx < self.entries.len());
                // SAFETY: a non-empty slot holds its entry's index + 1, and every index stored is below
                // `entries.len()`: `insert` stores the index of the entry it pushes, `remove` clears the removed
                // entry's slot and re-points the slot of the entry that takes its index, `clear` empties both, and
                // `resize` copies slots unchanged.
                let e = unsafe { self.entries.get_unchecked(idx) };
                if key_is(&e.key, key) {
                    return Ok((i, idx));
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// `key`'s entry (with hash bits `hi`, from [`KeyTable::hi_from`] or [`KeyTable::hash_own`]), or Err(where
    /// [`KeyTable::insert`] puts it).
    #[inline(always)]
    pub fn find_mut(&mut self, hi: u32, key: &[u8]) -> Result<&mut TrackedKey, usize> {
        let (_, idx) = self.probe(hi, key)?;
        // SAFETY: `probe` answers Ok only with an index it read an entry at (a stored index, below
        // `entries.len()`: see `probe`), and nothing changed the entries since.
        Ok(unsafe { self.entries.get_unchecked_mut(idx) })
    }

    /// [`KeyTable::find_mut`]'s answer as the entry's index.
    #[cfg(test)]
    pub fn find(&self, hi: u32, key: &[u8]) -> Result<usize, usize> {
        self.probe(hi, key).map(|(_, idx)| idx)
    }

    /// Adds the entry `make` builds from `hi` (for a key with hash bits `hi` that [`KeyTable::find_mut`] did not find,
    /// `slot` being its answer, with nothing inserted since; built last, so that it is written in place). False
    /// only when the table cannot hold another entry (5/8 of [`MAX_SLOTS`] of them).
    #[inline(always)]
    pub fn insert(&mut self, hi: u32, mut slot: usize, make: impl FnOnce(u32) -> TrackedKey) -> bool {
        let idx = self.entries.len();
        // At most 5/8 full: a hit probes about 1.5 slots (3/4 full: about 1.7), for 8 bytes a slot.
        if (idx + 1) * 8 > self.slots.len() * 5 {
            // The slot array stops growing at MAX_SLOTS, so that entry indexes + 1 fit the slots' 32 bits.
            if self.slots.len() >= MAX_SLOTS {
                return false;
            }
            self.resize((self.slots.len() * 2).max(MIN_SLOTS));
            slot = self.empty_slot(hi);
        }
        let Some(s) = self.slots.get_mut(slot) else { return false };
        *s = (hi as u64) << 32 | (idx as u64 + 1);
        self.entries.push(make(hi));
        true
    }

    /// The first empty slot on `hi`'s probe path.
    fn empty_slot(&self, hi: u32) -> usize {
        let mask = self.mask();
        let mut i = self.home(hi);
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// Rebuilds the slot array at `size` slots (a power of two, more than the entries) from the stored hash bits.
    fn resize(&mut self, size: usize) {
        // Zeroed by a store loop, not calloc: calloc either maps fresh pages (the kernel zeroes each on its first
        // touch, a fault per 4 KiB) or clears reused heap memory with `rep stosb`, which valgrind counts as one
        // instruction per byte; which of the two happens depends on the heap's history, and the tracking
        // benchmark's instruction count moved by 6 per GET between runs with it. The loop's stores (a value the
        // compiler cannot see, so that it is not turned back into a memset call) cost the same either way.
        let mut new = Vec::with_capacity(size);
        new.resize(size, std::hint::black_box(0u64));
        // Past 2^32 slots (never reached: entries are fewer than 2^32) homes would use only the first 2^32.
        let shift = 32u32.saturating_sub(size.trailing_zeros());
        let mask = size.wrapping_sub(1);
        for s in self.slots.iter().copied().filter(|&s| s != 0) {
            let mut i = (((s >> 32) >> shift) as usize) & mask;
            while new[i] != 0 {
                i = (i + 1) & mask;
            }
            new[i] = s;
        }
        self.slots = new.into_boxed_slice();
        self.shift = shift;
    }

    /// Removes `key`'s entry.
    pub fn remove(&mut self, key: &[u8]) -> Option<TrackedKey> {
        if self.entries.is_empty() {
            return None;
        }
        let hi = self.hash_own(key);
        let (i, idx) = self.probe(hi, key).ok()?;
        self.clear_slot(i);
        let e = self.entries.swap_remove(idx);
        if let Some(moved) = self.entries.get(idx) {
            // The last entry took its place: re-point its slot.
            let (from, to) = (self.entries.len() as u64 + 1, idx as u64 + 1);
            let mask = self.mask();
            let mut j = self.home(moved.hi);
            while self.slots[j] != 0 {
                if self.slots[j] as u32 as u64 == from {
                    self.slots[j] = (self.slots[j] >> 32) << 32 | to;
                    break;
                }
                j = (j + 1) & mask;
            }
        }
        if self.entries.is_empty() {
            self.clear();
        } else if self.entries.len() * 8 < self.slots.len() && self.slots.len() > MIN_SLOTS {
            self.resize((self.slots.len() / 2).max(MIN_SLOTS));
            if self.entries.capacity() > 4 * self.entries.len() {
                self.entries.shrink_to(2 * self.entries.len());
            }
        }
        Some(e)
    }

    /// Empties slot `i`, shifting later slots of its run back towards their homes (no tombstones).
    fn clear_slot(&mut self, i: usize) {
        let mask = self.mask();
        self.slots[i] = 0;
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let s = self.slots[j];
            if s == 0 {
                break;
            }
            let home = self.home((s >> 32) as u32);
            // The slot at j may fill the hole when the hole lies on its probe path (home..=j, cyclically).
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = s;
                self.slots[j] = 0;
                hole = j;
            }
            j = (j + 1) & mask;
        }
    }

    /// Drops every entry and the storage. The seed stays: it changes only by [`KeyTable::hi_from`], so hash bits
    /// taken for a key stay valid whatever happens to the table in between.
    pub fn clear(&mut self) {
        (self.slots, self.shift, self.entries) = (Box::new([0]), 32, Vec::new());
    }

    /// A uniformly random entry.
    pub fn random(&self, rng: &mut crate::util::Rng) -> Option<&TrackedKey> {
        if self.entries.is_empty() {
            return None;
        }
        self.entries.get(rng.below(self.entries.len() as u64) as usize)
    }

    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &TrackedKey> {
        self.entries.iter()
    }

    /// Checks the structure (tests): every entry has one slot, on its probe path.
    #[cfg(test)]
    pub fn check(&self) {
        let mut seen = vec![false; self.entries.len()];
        for (i, &s) in self.slots.iter().enumerate() {
            if s == 0 {
                continue;
            }
            let idx = (s as u32 - 1) as usize;
            let e = &self.entries[idx];
            assert_eq!(e.hi, (s >> 32) as u32);
            assert_eq!(self.hash_own(&e.key), e.hi);
            assert!(!seen[idx]);
            seen[idx] = true;
            let mut j = self.home(e.hi);
            while j != i {
                assert_ne!(self.slots[j], 0, "a gap on the probe path");
                j = (j + 1) & self.mask();
            }
        }
        assert!(seen.iter().all(|&b| b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::dict::Dict;
    use std::collections::BTreeSet;

    fn new_key(k: &[u8], hi: u32) -> TrackedKey {
        TrackedKey::new(k, crate::state::tracking::tracker::Slot::of(0), 0, hi)
    }

    #[test]
    fn model_of_inserts_removals_and_hints() {
        let mut rng = crate::util::Rng::new(7);
        let mut t = KeyTable::default();
        let mut model = BTreeSet::new();
        // A keyspace dict whose hashes are offered as hints (its seed adopted while the table is empty).
        let ks: Dict<crate::keyspace::object::Entry> = Dict::new();
        for round in 0..40_000u64 {
            let k = format!("key:{}", rng.below(3000)).into_bytes();
            if rng.below(3) == 0 {
                assert_eq!(t.remove(&k).is_some(), model.remove(&k));
            } else {
                let hint = (round % 2 == 0).then(|| ks.hash_ahead(&k)).and_then(|h| t.hi_from(h));
                let hi = hint.unwrap_or_else(|| t.hash_own(&k));
                let idx = match t.find(hi, &k) {
                    Ok(idx) => idx,
                    Err(slot) => {
                        assert!(t.insert(hi, slot, |hi| new_key(&k, hi)));
                        t.len() - 1
                    }
                };
                assert_eq!(&*t.entries[idx].key, &k[..]);
                model.insert(k);
            }
            if round % 997 == 0 {
                t.check();
            }
            assert_eq!(t.len(), model.len());
        }
        t.check();
        let keys: BTreeSet<Vec<u8>> = t.iter().map(|e| e.key.to_vec()).collect();
        assert_eq!(keys, model);
        for k in &model {
            assert!(t.remove(k).is_some());
        }
        assert!(t.is_empty() && t.slots.len() == 1);
    }

    #[test]
    fn resizing_keeps_clusters_that_wrap_round() {
        // Keys whose home is the last slot of a 16-slot table: their cluster wraps round to the front, and the
        // rebuilds (growth, then shrinking as they go) must keep every key reachable.
        let mut t = KeyTable::default();
        let last: Vec<Vec<u8>> =
            (0..).map(|i| format!("w{i}").into_bytes()).filter(|k| t.hash_own(k) >> 28 == 15).take(40).collect();
        for (n, k) in last.iter().enumerate() {
            let hi = t.hash_own(k);
            let slot = t.find(hi, k).unwrap_err();
            assert!(t.insert(hi, slot, |hi| new_key(k, hi)));
            t.check();
            assert!(last[..=n].iter().all(|k| t.find(t.hash_own(k), k).is_ok()));
        }
        for (n, k) in last.iter().enumerate() {
            assert!(t.remove(k).is_some());
            t.check();
            assert!(last[n + 1..].iter().all(|k| t.find(t.hash_own(k), k).is_ok()));
        }
        assert_eq!(t.slots.len(), 1);
    }

    #[test]
    fn keys_in_keyspace_hash_order_do_not_cluster() {
        // Keys inserted in the order of a keyspace dict that shares the table's seed (a client reading keys in
        // SCAN order) probe about as far as random ones.
        let mut ks: Dict<crate::keyspace::object::Entry> = Dict::new();
        for i in 0..20_000 {
            ks.insert(crate::keyspace::object::Entry::new_string(format!("k{i}").as_bytes(), b"v"));
        }
        let mut order: Vec<(u64, Vec<u8>)> = ks.iter().map(|e| (ks.hash(e.key()), e.key().to_vec())).collect();
        order.sort();
        let mut t = KeyTable::default();
        let mut walked = 0usize;
        for (_, k) in &order {
            let hi = t.hi_from(ks.hash_ahead(k)).unwrap();
            let home = t.home(hi);
            let end = t.empty_slot(hi);
            walked += end.wrapping_sub(home) & t.mask();
            let slot = t.find(hi, k).unwrap_err();
            assert!(t.insert(hi, slot, |hi| new_key(k, hi)));
        }
        t.check();
        assert!(walked < 4 * order.len(), "inserts walked {walked} slots");
    }
}
