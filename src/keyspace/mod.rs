//! The keyspace: everything that stores keys and values, from the hash table up to one database.
//!
//! Every module here ([`dict`], [`object`], [`types`], [`db`], [`keysizes`], [`lazyfree`], [`slots`], [`hash_slot`],
//! [`thin`]) is a data structure or its thread: none names the server, its state, commands, scripting, ACL,
//! replication, persistence or configuration (`tests/layers.rs` enforces it, doc links included). The processes
//! that delete or move keys on their own and work on the whole server state (active expiry, eviction with its data,
//! active defragmentation, keyspace notifications) live in the state layer, above: [`crate::state::expire`],
//! [`crate::state::evict`], [`crate::state::defrag`], [`crate::state::notify`]; client-side caching's invalidation
//! of changed keys is [`crate::state::tracking`], and replication's feed of deletions is [`crate::propagate`].
//!
//! - [`dict`]: the open-addressing hash table with incremental rehashing behind every database and hash/set/zset.
//! - [`object`]: keyspace entries with their compact header (type, encoding, 24-bit LRU/LFU).
//! - [`types`]: the collection representations (listpack, quicklist, intset, skiplist) behind lists, sets, hashes
//!   and sorted sets, with their small/large encodings and conversions, and the stream (listpack nodes in Redis's
//!   stream layout under an ordered index, consumer groups).
//! - [`db`]: one database: keys, TTLs, lazy expiry, and the single-key door's storage half
//!   ([`Db::delete`](crate::keyspace::db::Db::delete)). Its table is private to this module; lookups are handed a
//!   [`LookupClock`](crate::keyspace::db::LookupClock) (time, lazy expiry's mode, events).
//! - [`keysizes`]: Redis 8's `INFO keysizes` histograms (keys by type and power-of-two size), kept by
//!   [`Db`](crate::keyspace::db::Db).
//! - [`slots`]: the per-slot key index of cluster mode, kept by [`Db`](crate::keyspace::db::Db)'s inserts and removes.
//! - [`thin`]: a vector behind one thin pointer (length and capacity in its block), for JSON documents' arrays
//!   and objects; its unsafe code is the allocation and the element accesses.
//! - [`hash_slot`]: a key's hash slot (CRC16 of the key or its `{tag}`), for the slot index and the cluster.
//! - [`lazyfree`]: the lazy-free thread (FLUSHALL ASYNC, UNLINK of big values, a replica's old dataset).

pub mod db;
pub mod dict;
pub mod hash_slot;
pub mod keysizes;
pub mod lazyfree;
pub mod object;
pub mod slots;
pub mod thin;
pub mod types;

/// The collection conversion thresholds (`*-max-listpack-*`, `set-max-intset-entries`, list fill and
/// compression) as the types take them; negative values count as 0. Built here, above the types and the
/// configuration both, so neither names the other.
pub fn thresholds(c: &crate::config::Config) -> types::Thresholds {
    let u = |n: i64| n.max(0) as usize;
    types::Thresholds {
        list_max_listpack_size: c.list_max_listpack_size,
        list_compress_depth: c.list_compress_depth,
        hash_max_listpack_entries: u(c.hash_max_listpack_entries),
        hash_max_listpack_value: u(c.hash_max_listpack_value),
        set_max_intset_entries: u(c.set_max_intset_entries),
        zset_max_listpack_entries: u(c.zset_max_listpack_entries),
        zset_max_listpack_value: u(c.zset_max_listpack_value),
    }
}

#[cfg(test)]
mod tests {
    /// The types' own defaults (for tests and for loaders without a server) are Redis's, as the configuration's
    /// are: the two lists of numbers may not drift apart.
    #[test]
    fn the_types_defaults_are_the_configurations() {
        let from_config = super::thresholds(&crate::config::Config::default());
        assert_eq!(from_config, super::types::Thresholds::default());
    }
}
