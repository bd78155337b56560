//! The wire and the connections: RESP parsing against redis-server, malformed and hostile input, connection
//! lifecycle, listeners and protected mode, output/query buffer limits, threaded I/O, client libraries, and the
//! command-by-command differential runs against redis-server. Pub/sub and client tracking are `tests/pubsub/`,
//! client eviction `tests/operations/` (beside `maxmemory` eviction).
//!
//! One test binary (`cargo test --test protocol`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod abuse;
mod abuse_numeric;
mod call_path_diff;
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
mod query_buffer_resize;
