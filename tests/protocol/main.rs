//! The wire and the client side: RESP parsing against redis-server, malformed and hostile input, connection
//! lifecycle, listeners and protected mode, output/query buffer limits, client eviction, threaded I/O, pub/sub,
//! client tracking, client libraries, and the command-by-command differential runs against redis-server.
//!
//! One test binary (`cargo test --test protocol`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod abuse;
mod abuse_numeric;
mod call_path_diff;
mod client_eviction;
mod client_lib;
mod config_listen;
mod differential;
mod io_threads;
mod net_commands;
mod net_lifecycle;
mod net_protocol;
mod obuf_limits;
mod parser_oracle;
mod parser_split;
mod protected_mode;
mod pubsub_basic;
mod pubsub_client_lib;
mod pubsub_limits;
mod pubsub_load;
mod query_buffer_resize;
mod tracking;
