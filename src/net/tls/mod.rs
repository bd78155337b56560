//! TLS (the `tls` cargo feature): a sans-I/O rustls session between a client's socket and its buffers, and the
//! rustls configurations built from the `tls-*` directives (Redis's `tls.c`).
//!
//! ```text
//!  socket ──read──► ciphertext ──ServerConnection──► plaintext ──► query: Ring ──► parser (as without TLS)
//!  socket ◄─write── ciphertext ◄──ServerConnection── plaintext ◄── state.reply (consumed once on the wire)
//! ```
//!
//! - [`settings`]: [`Context`], the server and client configurations built from the directives (certificates,
//!   trust anchors, protocols, cipher suites, session cache), rebuilt as a whole by CONFIG SET as Redis's
//!   `tlsConfigure` does; a failure leaves the one in force.
//! - [`outgoing`]: our side of outgoing connections (ferredis-cli's `--tls`, a replica's link): the server's chain
//!   is checked, not its name, as hiredis and Redis do.
//! - [`session`]: [`Session`], the per-connection state, and the read and write steps the plain socket's
//!   `io::read_step` / `write_step` hand a TLS client to.
//!
//! The event loop never waits on TLS: a read event feeds whatever the socket has to rustls, hands out the
//! plaintext, and flushes what rustls wants to send (handshake messages, alerts, session tickets) without
//! waiting; a reply's plaintext stays in the reply buffer until its records are all on the wire, so "the
//! client has pending output" keeps meaning what it means for a plain socket, and the server keeps the writable
//! interest until it is so. A malformed record or a failed handshake ends that connection only.
//!
//! Tested by the unit tests below (a handshake and pipelined commands through a socket pair, a malformed
//! record), by `tests/tls.rs` (redis-cli, redis-benchmark and mutual TLS against the server; replication with
//! Redis both ways; refusals over TLS) and by the fuzz target `tls_records` (raw bytes instead of a handshake, or
//! plaintext then raw bytes after one, through the read step to the RESP parser).

pub mod outgoing;
pub mod session;
pub mod settings;

pub use session::{read_step, write_step, Session};
pub use settings::{configure, wanted, Context};
