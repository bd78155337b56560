//! Connections: the per-client ring buffer and client state.
pub mod client;
pub mod client_evict;
pub mod io_loops;
pub mod io_threads;
pub mod listen;
pub mod migrate;
pub mod resolve;
pub mod ring;
