//! [`KeyIndex`]: the hash index of a large object's keys, so that finding a member of an object of many members
//! (JSON.GET `$.k`, JSON.SET `$.k`, each key of a JSON.MERGE) does not scan them all.
//!
//! An object keeps its members in insertion order in one block ([`Object`](super::Object)); past
//! [`INDEX_FROM`] members the block also holds this index, in a hidden first member (its key a
//! [`SmallStr::Index`](super::SmallStr::Index), see [`super::Object`]). The index is an open-addressing table of the members' positions
//! (linear probing, at most half full, removals by shifting the following entries back: no tombstones), each
//! slot beside the key's hash so that a probe compares keys only on a hash match and growing never rehashes a key.
//! It owns no key: the members' keys are the only copy, and every operation takes the members' slice. The JSON
//! parser and the BSON reader fold repeated keys through one while they read an object's members
//! ([`super::parse::Members`]), and the parser hands it to the object it builds.
//!
//! ```text
//!  slot (u64): | hash, high 32 bits | position, low 32 bits |     empty slot: u64::MAX
//! ```
//!
//! The hash is SipHash with a random key per index ([`RandomState`]), so that a client cannot choose keys that
//! collide. Small objects (most of them) have no index and cost nothing more. Tested by the unit tests below and by
//! `tests.rs` (random sequences of writes against a model, across the threshold).

#![forbid(unsafe_code)]

use std::hash::{BuildHasher, RandomState};
use std::ops::Deref;

/// Members from which an object keeps an index (past this many a scan costs more than a hash); the parser folds
/// repeated keys through a scan up to this many members too, so a 100,000-member object parses in linear time.
pub const INDEX_FROM: usize = 32;

/// Members at which an object that shrank drops its index (below [`INDEX_FROM`], so that an object going back
/// and forth across the threshold does not rebuild it each time).
pub const INDEX_UNTIL: usize = INDEX_FROM / 2;

const EMPTY: u64 = u64::MAX;

/// The index of an object's keys (see the module header).
#[derive(Clone)]
pub struct KeyIndex {
    hasher: RandomState,
    /// A power of two long, at most half full.
    slots: Box<[u64]>,
}

impl KeyIndex {
    /// An index of `members`' keys (which are distinct).
    pub fn build<K: Deref<Target = str>, V>(members: &[(K, V)]) -> KeyIndex {
        let mut ix = KeyIndex::unbuilt();
        ix.rebuild(members);
        ix
    }

    /// An index with no table yet (finds nothing), for [`super::Object`] to put in place before it
    /// [`build`](KeyIndex::build)s the real one over the members behind it.
    pub fn unbuilt() -> KeyIndex {
        KeyIndex { hasher: RandomState::new(), slots: Box::new([]) }
    }

    /// Fills the table anew from `members`, sized for them.
    fn rebuild<K: Deref<Target = str>, V>(&mut self, members: &[(K, V)]) {
        self.slots = vec![EMPTY; table_len(members.len())].into_boxed_slice();
        for (pos, (k, _)) in members.iter().enumerate() {
            let h = self.hash((**k).as_bytes());
            self.place(h, pos);
        }
    }

    fn hash(&self, key: &[u8]) -> u32 {
        (self.hasher.hash_one(key) >> 32) as u32
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Puts `pos` (with hash `h`) in the first free slot from its home slot.
    fn place(&mut self, h: u32, pos: usize) {
        let mask = self.mask();
        let mut i = h as usize & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (u64::from(h) << 32) | pos as u64;
    }

    /// The slot holding position `pos`, whose key hashes to `h`.
    fn slot_of(&self, h: u32, pos: usize) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            match self.slots[i] {
                EMPTY => return None,
                s if s as u32 as usize == pos => return Some(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The position of `key` in `members`.
    pub fn find<K: Deref<Target = str>, V>(&self, members: &[(K, V)], key: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let h = self.hash(key);
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                return None;
            }
            if (s >> 32) as u32 == h {
                let pos = s as u32 as usize;
                if members.get(pos).is_some_and(|(k, _)| (**k).as_bytes() == key) {
                    return Some(pos);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Records the last of `members`, just appended.
    pub fn appended<K: Deref<Target = str>, V>(&mut self, members: &[(K, V)]) {
        let Some((k, _)) = members.last() else { return };
        if members.len() * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![EMPTY; table_len(members.len())].into_boxed_slice();
            for &s in old.iter().filter(|&&s| s != EMPTY) {
                self.place((s >> 32) as u32, s as u32 as usize);
            }
        }
        let h = self.hash((**k).as_bytes());
        self.place(h, members.len() - 1);
    }

    /// Forgets the member at `pos` before the caller swap-removes it from `members` (the last member then takes
    /// its place, which the index records too).
    pub fn swap_removing<K: Deref<Target = str>, V>(&mut self, members: &[(K, V)], pos: usize) {
        let Some((k, _)) = members.get(pos) else { return };
        let h = self.hash((**k).as_bytes());
        if let Some(i) = self.slot_of(h, pos) {
            self.vacate(i);
        }
        let last = members.len() - 1;
        if pos != last {
            let hl = self.hash((*members[last].0).as_bytes());
            if let Some(i) = self.slot_of(hl, last) {
                self.slots[i] = (u64::from(hl) << 32) | pos as u64;
            }
        }
    }

    /// Empties slot `hole`, moving back the entries after it that would no longer be found (linear probing's
    /// deletion without tombstones).
    fn vacate(&mut self, mut hole: usize) {
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s == EMPTY {
                break;
            }
            let home = (s >> 32) as usize & mask;
            // The entry at `j` may fill the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j { hole < home && home <= j } else { hole < home || home <= j };
            if !stays {
                self.slots[hole] = s;
                hole = j;
            }
        }
        self.slots[hole] = EMPTY;
    }

    /// Bytes the index holds on the heap (its box and its table), as the allocator charges them.
    pub fn heap_bytes(&self) -> usize {
        super::chunk(std::mem::size_of::<KeyIndex>()) + super::chunk(self.slots.len() * 8)
    }
}

/// A table for `n` members: a power of two at least twice `n`.
fn table_len(n: usize) -> usize {
    (n.max(INDEX_FROM) * 2).next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::types::json::{Json, SmallStr};

    fn members(keys: &[String]) -> Vec<(SmallStr, Json)> {
        keys.iter().map(|k| (SmallStr::new(k), Json::Null)).collect()
    }

    /// Every key is found at its position and no other key is, after appends and swap-removes that wrap
    /// around the table and shift probe runs back.
    #[test]
    fn finds_every_key_after_appends_and_removals() {
        let mut keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        let mut ix = KeyIndex::build(&members(&keys));
        let mut rng = crate::util::Rng::new(7);
        for step in 0..5_000u64 {
            if keys.len() > 10 && rng.below(3) == 0 {
                let pos = rng.below(keys.len() as u64) as usize;
                ix.swap_removing(&members(&keys), pos);
                keys.swap_remove(pos);
            } else {
                keys.push(format!("n{step}"));
                ix.appended(&members(&keys));
            }
            if step % 97 == 0 {
                let m = members(&keys);
                for (pos, k) in keys.iter().enumerate() {
                    assert_eq!(ix.find(&m, k.as_bytes()), Some(pos), "{k} at step {step}");
                }
                assert_eq!(ix.find(&m, b"absent"), None);
                assert_eq!(ix.slots.iter().filter(|&&s| s != EMPTY).count(), keys.len());
            }
        }
    }
}
