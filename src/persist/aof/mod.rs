//! The append-only file, Redis 7.0's multi-part layout, as a library the server drives.
//!
//! ```text
//! <dir>/                                   (the server's working directory, `dir`)
//!   appendonly.aof                         legacy single file (Redis < 7.0): moved into the directory on start
//!   <appenddirname>/                       default "appendonlydir"
//!     appendonly.aof.manifest              which files make up the AOF, in order
//!     appendonly.aof.3.base.rdb            BASE: snapshot of the last rewrite (.rdb with aof-use-rdb-preamble,
//!                                          else .base.aof with commands)
//!     appendonly.aof.5.incr.aof            INCR: commands after the base, replayed in seq order; the newest one
//!     appendonly.aof.6.incr.aof              is the file being appended to
//!     appendonly.aof.4.incr.aof            HISTORY: replaced by a rewrite, deleted by garbage collection
//!     temp-appendonly.aof.manifest         only while the manifest is being replaced (write, fsync, rename)
//! ```
//!
//! Life cycle, and which part does what:
//! 1. Start: [`Manifest::load_from_dir`], then [`upgrade_legacy_if_needed`], then [`load_files`], which walks
//!    [`files_to_load`] in order, each through [`detect_format`] and an RDB load (the server's) or an
//!    [`AofReader`], with Redis's rules: a [`AofReadError::Truncated`] file is cut with [`truncate_file`] only if
//!    it is the last one (and `aof-load-truncated yes`). The pieces are public for callers that need another
//!    walk (the checker).
//! 2. Append: [`Manifest::last_incr_or_new`] names the file, [`AofWriter`] appends: [`AofWriter::feed_at`] after
//!    each write command, [`AofWriter::flush_at`] before replies go out and from the cron.
//! 3. Rewrite: the parent opens the next incr ([`Manifest::add_new_incr`], persist, [`AofWriter::switch_file`]);
//!    when the child succeeded, [`Manifest::apply_rewrite`] names the new base (the caller renames the child's
//!    file to it), moves the old base and older incrs to history, persists, and [`Manifest::delete_history`].
//!
//! Invariants: the base and incr files the manifest on disk names always exist (a file is created before the
//! manifest naming it is persisted, and a base or incr leaves the manifest, as history, before it is deleted;
//! history entries may name files already gone, which is harmless since they are never loaded); incr seqs
//! strictly increase; only the last file may end in a partial command.
//!
//! Submodules: [`manifest`] (format, names, operations, legacy upgrade), [`writer`] (feed/flush/fsync thread),
//! [`reader`] (one file's commands, truncation classification), [`load`] (all files with Redis's rules),
//! [`check`] (`ferredis-check-aof`).
//!
//! Tests: unit tests in each submodule; `tests/persistence/aof_files.rs` checks interoperability with Debian's Redis
//! 7.0 (its files read by us, ours loaded by it and accepted by `redis-check-aof`) and `ferredis-check-aof` against
//! `redis-check-aof`.

pub mod check;
pub mod load;
pub mod manifest;
pub mod reader;
pub mod writer;

pub use load::{load_files, LoadReport, LoadStatus, LoadTarget};
pub use manifest::{
    base_name, incr_name, manifest_name, temp_incr_name, temp_manifest_name, upgrade_legacy_if_needed, AofInfo,
    FileType, Manifest, ManifestError,
};
pub use reader::{
    detect_format, files_to_load, open_for_load, total_size, truncate_file, AofReadError, AofReader, FileFormat,
    FileKind,
};
pub use writer::{AofFatal, AofStats, AofWriter, FlushOutcome, FsyncPolicy, WriterConfig};

/// Default `appendfilename`.
pub const DEFAULT_APPENDFILENAME: &str = "appendonly.aof";
/// Default `appenddirname`.
pub const DEFAULT_APPENDDIRNAME: &str = "appendonlydir";
