//! One logical database: the keyspace dict plus the table of TTLs, with lazy expiry on lookup.
//!
//! Invariants: a key has an entry in `expires` exactly when its `Entry::has_expire()` is true; `expires` never
//! holds a key missing from `keys`.

use crate::dict::{Dict, DictEntry};
use crate::object::Entry;
use crate::util::Rng;

/// A key's absolute expire time, in milliseconds since the epoch.
#[derive(Debug)]
pub struct ExpireEntry {
    key: Box<[u8]>,
    pub when_ms: i64,
}

impl DictEntry for ExpireEntry {
    #[inline]
    fn key(&self) -> &[u8] {
        &self.key
    }
}

pub struct Db {
    pub id: usize,
    pub keys: Dict<Entry>,
    pub expires: Dict<ExpireEntry>,
    /// Keys deleted because their TTL passed (lazily or by the active cycle).
    pub expired_keys: u64,
    /// Running average TTL of sampled keys, for `INFO keyspace` (`avg_ttl`).
    pub avg_ttl_ms: i64,
    /// Where the active expiry cycle resumes its scan of `expires`.
    pub expire_cursor: u64,
}

impl Db {
    pub fn new(id: usize) -> Db {
        Db { id, keys: Dict::new(), expires: Dict::new(), expired_keys: 0, avg_ttl_ms: 0, expire_cursor: 0 }
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
        self.expires.len()
    }

    /// The key's expire time, if it has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).map(|e| e.when_ms)
    }

    /// Deletes `key` if its TTL has passed. Returns true when it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        match self.expires.get(key) {
            Some(e) if e.when_ms <= now_ms => {
                self.remove(key);
                self.expired_keys += 1;
                true
            }
            _ => false,
        }
    }

    /// Looks a key up, deleting it first when its TTL has passed.
    #[inline]
    pub fn lookup(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Entry> {
        let e = self.keys.get_mut(key)?;
        if e.has_expire() && self.expire_if_needed(key, now_ms) {
            return None;
        }
        self.keys.get_mut(key)
    }

    /// Whether a live key exists (expiring it if due).
    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.lookup(key, now_ms).is_some()
    }

    /// Adds or overwrites a key; the old TTL is dropped (Redis's `setKey` without KEEPTTL).
    /// Returns the replaced entry.
    pub fn insert(&mut self, mut e: Entry) -> Option<Entry> {
        e.set_has_expire(false);
        let old = self.keys.insert(e);
        if let Some(o) = &old {
            if o.has_expire() {
                self.expires.remove(o.key());
            }
        }
        old
    }

    /// Adds or overwrites a key keeping the old key's TTL, if any.
    pub fn insert_keep_ttl(&mut self, mut e: Entry) -> Option<Entry> {
        let had = self.keys.get(e.key()).is_some_and(|o| o.has_expire());
        e.set_has_expire(had);
        self.keys.insert(e)
    }

    /// Removes a key and its TTL.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.keys.remove(key)?;
        if e.has_expire() {
            self.expires.remove(key);
        }
        Some(e)
    }

    /// Sets an absolute expire time on an existing key. Returns false when the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) -> bool {
        let Some(e) = self.keys.get_mut(key) else { return false };
        e.set_has_expire(true);
        match self.expires.get_mut(key) {
            Some(x) => x.when_ms = when_ms,
            None => {
                self.expires.insert(ExpireEntry { key: key.into(), when_ms });
            }
        }
        true
    }

    /// Removes the TTL of a key. Returns true when there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        match self.keys.get_mut(key) {
            Some(e) if e.has_expire() => {
                e.set_has_expire(false);
                self.expires.remove(key);
                true
            }
            _ => false,
        }
    }

    /// Drops every key.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.expires.clear();
        self.expire_cursor = 0;
        self.avg_ttl_ms = 0;
    }

    /// A random live key, skipping (and deleting) expired ones a bounded number of times.
    pub fn random_key(&mut self, rng: &mut Rng, now_ms: i64) -> Option<Vec<u8>> {
        for _ in 0..100 {
            let key = self.keys.random(rng)?.key().to_vec();
            if !self.expire_if_needed(&key, now_ms) {
                return Some(key);
            }
        }
        self.keys.random(rng).map(|e| e.key().to_vec())
    }
}
