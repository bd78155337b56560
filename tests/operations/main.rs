//! Running the server: ACL, the reference ferredis.conf, crash reports, DEBUG, defrag, deployment (static build,
//! container, systemd), eviction and client eviction, the Prometheus exporter's metrics, latency monitor, log events, MODULE,
//! oom-score-adj, shutdown on signals, the machine checks (`--check-system`, transparent huge pages), CPU affinity
//! lists.
//!
//! One test binary (`cargo test --test operations`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod acl;
mod affinity;
mod client_eviction;
mod conf_reference;
mod crash_reports;
mod debug_cmd;
mod defrag;
mod deploy;
mod eviction;
mod exporter;
mod hotkeys;
mod latency_monitor;
mod log_events;
mod module_cmd;
mod oom_score_adj;
mod shutdown_signals;
mod syscheck;
mod valkey8;
