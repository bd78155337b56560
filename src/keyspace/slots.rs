//! The per-slot key index for cluster mode: keys counted and listed by hash slot without scanning the keyspace
//! (CLUSTER COUNTKEYSINSLOT, GETKEYSINSLOT, the keys of a slot that moved away). Off, and free, unless the server
//! runs with `cluster-enabled yes`. Owned by the slot-index work (`i32-slots`).

use super::db::Db;

impl Db {
    /// Starts keeping the index (called once at start in cluster mode, before any key is loaded).
    pub fn enable_slot_index(&mut self) {
        todo!("i32-slots")
    }

    /// Keys of `slot` in this database (CLUSTER COUNTKEYSINSLOT), O(1).
    pub fn count_keys_in_slot(&self, slot: usize) -> usize {
        let _ = slot;
        todo!("i32-slots")
    }

    /// Up to `max` keys of `slot` (CLUSTER GETKEYSINSLOT), without scanning other slots' keys.
    pub fn keys_in_slot(&self, slot: usize, max: usize) -> Vec<Vec<u8>> {
        let _ = (slot, max);
        todo!("i32-slots")
    }
}
