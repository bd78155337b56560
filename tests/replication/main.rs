//! Replication: full and partial sync against redis-server in both roles, replication under load, the replication
//! stream byte for byte, shutdown with replicas, and Sentinel (failure detection and failover of replicated
//! masters).
//!
//! One test binary (`cargo test --test replication`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod change_feed;
mod replication;
mod replication_load;
mod replication_pipe;
mod replication_reconnect;
mod sentinel;
mod shutdown_replicas;
mod waitaof;
