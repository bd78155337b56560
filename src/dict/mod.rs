//! The keyspace hash table. TEMPORARY reference implementation over std's HashMap so the rest of the server can be
//! built against the API; replaced by the open-addressing table with incremental rehashing.

use crate::util::Rng;
use std::collections::HashMap;

/// What a dict stores: anything that can show its key.
pub trait DictEntry {
    fn key(&self) -> &[u8];
}

impl DictEntry for crate::object::Entry {
    #[inline]
    fn key(&self) -> &[u8] {
        crate::object::Entry::key(self)
    }
}

pub struct Dict<E: DictEntry> {
    map: HashMap<Vec<u8>, E>,
}

impl<E: DictEntry> Default for Dict<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: DictEntry> Dict<E> {
    pub fn new() -> Self {
        Dict { map: HashMap::new() }
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn get(&self, key: &[u8]) -> Option<&E> {
        self.map.get(key)
    }
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut E> {
        self.map.get_mut(key)
    }
    /// Inserts `e`, returning the entry it replaced.
    pub fn insert(&mut self, e: E) -> Option<E> {
        self.map.insert(e.key().to_vec(), e)
    }
    pub fn remove(&mut self, key: &[u8]) -> Option<E> {
        self.map.remove(key)
    }
    pub fn clear(&mut self) {
        self.map.clear()
    }
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.map.values()
    }
    /// Visits one step of a SCAN from `cursor`; returns the next cursor (0 when done).
    pub fn scan<F: FnMut(&E)>(&self, _cursor: u64, mut f: F) -> u64 {
        for e in self.map.values() {
            f(e)
        }
        0
    }
    /// A uniformly random entry.
    pub fn random(&self, rng: &mut Rng) -> Option<&E> {
        if self.map.is_empty() {
            return None;
        }
        let i = rng.below(self.map.len() as u64) as usize;
        self.map.values().nth(i)
    }
    /// Does up to `n` buckets of incremental rehash work; returns true while more remains.
    pub fn rehash_step(&mut self, _n: usize) -> bool {
        false
    }
    pub fn is_rehashing(&self) -> bool {
        false
    }
    /// Grows or shrinks the table if its fill calls for it (called from the cron).
    pub fn resize_if_needed(&mut self) {}
    /// Forbids resizing while a forked child shares our pages (copy-on-write), except when the fill gets extreme.
    pub fn set_resize_allowed(&mut self, _allowed: bool) {}
    /// Bytes used by the table's own arrays (not the entries).
    pub fn table_bytes(&self) -> usize {
        self.map.capacity() * std::mem::size_of::<E>()
    }
}
