//! ferredis-cli against redis-cli: one-shot, interactive (tmux) and --cluster modes.
//!
//! One test binary (`cargo test --test cli`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod cli_cluster;
mod cli_interactive;
mod cli_oneshot;
