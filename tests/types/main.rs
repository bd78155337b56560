//! Data types and the keyspace: bitmaps, geo, HyperLogLog, streams and consumer groups (with Redis 8.2's
//! reference policies), blocking lists and sorted sets, keyspace notifications, list compression, ordered inserts,
//! SCAN cursors, MULTI/EXEC and WATCH, lazy free, memory accounting, Redis 8.4's string commands (DIGEST, DELEX,
//! MSETEX), INFO keysizes, the probabilistic types against Redis with RedisBloom (`probabilistic`, and
//! `redisbloom_flow` for what RedisBloom's own flow tests found).
//!
//! One test binary (`cargo test --test types`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod bitmaps;
mod geo;
mod hash_field_expiry;
mod hll;
mod json;
mod json_errors;
mod json_suite;
mod keysizes;
mod lazyfree_deletes;
mod list_compress;
mod lists_blocking;
mod lists_notify;
mod memory_accounting;
mod ordered_inserts;
mod prob_config;
mod probabilistic;
mod r74_misc;
mod redis84_strings;
mod redis8_core;
mod redisbloom_flow;
mod scan_cursors;
mod sets_notify;
mod stream_groups;
mod streams;
mod streams82;
mod streams84;
mod streams_idmp;
mod tx_integration;
mod watch_door;
mod zsets_blocking;
