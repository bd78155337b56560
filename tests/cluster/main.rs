//! Cluster mode: the bus, CLUSTER commands, slots, shards, mixed ferredis/redis-server clusters, partitions and
//! failover scenarios, redis-py's cluster client.
//!
//! One test binary (`cargo test --test cluster`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod cluster_bus;
mod cluster_cmd;
mod cluster_db;
mod cluster_mixed;
mod cluster_partition;
mod cluster_redispy;
mod cluster_scenarios;
mod cluster_shards;
mod cluster_slots;
mod slot_stats;
