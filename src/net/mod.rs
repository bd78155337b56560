//! Connections: the per-client ring buffer and client state.
//!
//! - [`ring`]: the query buffer, a byte queue whose unread bytes are always contiguous.
//! - [`client`]: one connection: the state handlers see and the machinery the server drives, and (below it) the
//!   per-client data of the modules that act on clients.
//! - [`conn`]: a socket that may carry TLS, with the socket's read/write interface (a replica's link, raw writes
//!   to a client).
//! - [`io`]: a client's socket steps (read, parse ahead, write), wherever they run.
//! - [`io_loops`]: threaded I/O with one event loop per I/O thread (`io-threads-do-reads yes`).
//! - [`io_threads`]: threaded I/O as Redis 7.0's write fan-out.
//! - [`listen`]: the listening sockets, re-opened when CONFIG SET changes `port` or `bind`.
//! - [`output_limit`]: `client-output-buffer-limit` for every client class.
//! - [`migrate`]: MIGRATE's cached connections.
//! - `tls` (the `tls` feature): TLS sessions between a client's socket and its buffers, and the rustls
//!   configurations built from the `tls-*` directives.
//! - [`resolve`]: host name resolution without glibc's `getaddrinfo` (also used by ferredis-cli).
pub mod client;
pub mod conn;
pub mod io;
pub mod io_loops;
pub mod io_threads;
pub mod listen;
pub mod migrate;
pub mod output_limit;
pub mod resolve;
pub mod ring;
#[cfg(feature = "tls")]
pub mod tls;
