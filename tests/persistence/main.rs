//! Persistence: AOF files, loading and rewrite, RDB interchange with redis-server, crash and restart recovery,
//! propagation to the AOF, corrupt payloads and fuzz regressions, fork and signals, MIGRATE.
//!
//! One test binary (`cargo test --test persistence`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod aof_files;
mod aof_load;
mod aof_rewrite;
mod corrupt_dump;
mod fork_signals;
mod fuzz_regressions;
mod migrate;
mod persist_crash;
mod persist_interchange;
mod persist_load;
mod persist_propagation;
mod persist_restart;
mod rdb_interchange;
mod rdb_only;
