//! Persistence: the RDB snapshot format, the append-only file, and the checkers' shared code.
//!
//! - [`crc64`]: CRC-64/Jones as Redis computes it (RDB trailer, DUMP payloads).
//! - [`lzf`]: LZF compression and decompression (RDB strings, compressed list nodes), re-exported from [`crate::lzf`].
//! - [`rdb`]: RDB version 10 writer and loader for every type, DUMP/RESTORE payloads.
//! - [`aof`]: the multi-part append-only file: manifest, file names, the loader's command reader, fsync.
//!
//! Nothing here knows clients or sockets: the writer walks [`crate::keyspace::db::Db`] through read-only accessors and the
//! loaders hand back data (entries, or command argument vectors) for the server to apply.

pub mod aof;
pub mod aof_rewrite;
pub mod child_info;
pub mod crc64;
pub mod engine;
pub use crate::lzf;
pub mod rdb;
