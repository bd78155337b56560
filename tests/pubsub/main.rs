//! Messages pushed to clients: pub/sub (channels, patterns, shard channels, the output limits of subscribers,
//! delivery under load, the `redis` crate as a subscriber) and client-side caching (CLIENT TRACKING, whose
//! invalidations RESP2 clients receive as pub/sub messages), against redis-server.
//!
//! One test binary (`cargo test --test pubsub`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod basic;
mod client_lib;
mod limits;
mod load;
mod tracking;
