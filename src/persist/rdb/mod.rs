//! The RDB snapshot format, version 10 (Redis 7.0): writer, loader, DUMP/RESTORE payloads.
//!
//! ```text
//!  "REDIS0010"  AUX redis-ver AUX redis-bits AUX ctime AUX used-mem [AUX repl-*] AUX aof-base
//!  per non-empty db:  SELECTDB <id>  RESIZEDB <keys> <expires>
//!     per key:  [EXPIRETIME_MS <i64 LE>] [IDLE <len> | FREQ <u8>] <type> <key string> <value>
//!  EOF (0xFF)  <CRC-64 of everything before, u64 LE; 0 when rdbchecksum is off>
//!
//!  length:  00xxxxxx (6 bit) | 01xxxxxx yyyyyyyy (14 bit) | 0x80 <u32 BE> | 0x81 <u64 BE> | 11xxxxxx = encoding
//!  string:  <length> <bytes> | 0xC0 i8 | 0xC1 i16 LE | 0xC2 i32 LE | 0xC3 <clen> <len> <LZF data>
//! ```
//!
//! Values use the encodings Redis 7.0 writes: strings (integers in the int encodings, LZF when it saves at least 4
//! bytes of a string longer than 20), lists as QUICKLIST_2 (listpack nodes), sets as INTSET or SET, hashes as
//! HASH_LISTPACK or HASH, sorted sets as ZSET_LISTPACK or ZSET_2 (binary scores). Listpack and intset values are
//! already Redis's byte format in memory, so they are written as blobs unchanged and accepted on load after
//! validation. The loader also reads the older encodings a 7.0 server still loads (ziplists, zipmap, linked
//! lists, string scores, quicklists of ziplists) and converts each value to the encoding Redis 7.0 would pick
//! on load (same thresholds, same moments).
//!
//! Performance: measured by `persist::rdb::tests::bench_million_strings` (`--ignored`); the figures are in
//! `benches/README.md` ("Persistence").
//!
//! Submodules: [`write`](mod@write) (writer, DUMP), [`read`] (loader, RESTORE, the visitor the checker uses), `legacy`
//! (ziplist and zipmap decoding), [`report`] (Redis's log lines for a failed load). Tests: `tests.rs` (unit and
//! property tests: every type and encoding round-trips, expiry, LRU/LFU stamps, truncation and corruption at every
//! offset, Redis-made byte images) and `tests/persistence/rdb_interchange.rs` (files and payloads exchanged with a real
//! redis-server).

pub mod check;
mod legacy;
pub mod read;
pub mod report;
pub mod write;

#[cfg(test)]
mod tests;

pub use read::{
    apply_lru_lfu, load_file, read_function_payload, read_rdb, read_rdb_with, restore_payload, restore_payload_with,
    ChecksumStatus, DbSink, LoadSink,
};
pub use write::{
    dump_payload, dump_payload_with, function_dump_payload, save_file, serialized_len, temp_path, write_rdb, SyncEvery,
    AUTOSYNC_BYTES,
};

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION (Redis's `skip_checksum_validation`): RESTORE and FUNCTION RESTORE
/// payloads and loaded files are taken without checking their CRC-64 (the version is still checked). Set only by
/// [`set_skip_checksum`], from DEBUG SET-SKIP-CHECKSUM-VALIDATION (`command::debug`); read by the RDB reader's
/// footer check and `persist::engine::load_options`. A static because the reader, which takes no server state,
/// checks it for every payload, as Redis's global.
#[cfg(not(test))]
static SKIP_CHECKSUM: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(test)]
thread_local! {
    /// `SKIP_CHECKSUM` under test, one per test thread: unit tests run in parallel threads, and one test's switch
    /// (set through [`set_skip_checksum`]) must not reach another's checks.
    static SKIP_CHECKSUM_T: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether checksums are skipped (`SKIP_CHECKSUM`).
pub fn skip_checksum() -> bool {
    #[cfg(not(test))]
    return SKIP_CHECKSUM.load(std::sync::atomic::Ordering::Relaxed);
    #[cfg(test)]
    SKIP_CHECKSUM_T.with(|c| c.get())
}

/// Sets `SKIP_CHECKSUM`.
pub fn set_skip_checksum(on: bool) {
    #[cfg(not(test))]
    SKIP_CHECKSUM.store(on, std::sync::atomic::Ordering::Relaxed);
    #[cfg(test)]
    SKIP_CHECKSUM_T.with(|c| c.set(on));
}

/// The RDB version this module writes (and the newest it reads).
pub const RDB_VERSION: u16 = 10;
/// The version written instead when the data holds hash fields with TTLs (Redis 7.4's, which reads types 24/25;
/// a file without them stays a Redis 7.0 file) and the newest accepted by the loader and RESTORE.
pub const RDB_VERSION_HFE: u16 = 12;

/// Value types and opcodes, numbered as in Redis's `rdb.h`.
pub mod op {
    pub const TYPE_STRING: u8 = 0;
    pub const TYPE_LIST: u8 = 1;
    pub const TYPE_SET: u8 = 2;
    pub const TYPE_ZSET: u8 = 3;
    pub const TYPE_HASH: u8 = 4;
    pub const TYPE_ZSET_2: u8 = 5;
    pub const TYPE_MODULE: u8 = 6;
    pub const TYPE_MODULE_2: u8 = 7;
    pub const TYPE_HASH_ZIPMAP: u8 = 9;
    pub const TYPE_LIST_ZIPLIST: u8 = 10;
    pub const TYPE_SET_INTSET: u8 = 11;
    pub const TYPE_ZSET_ZIPLIST: u8 = 12;
    pub const TYPE_HASH_ZIPLIST: u8 = 13;
    pub const TYPE_LIST_QUICKLIST: u8 = 14;
    pub const TYPE_STREAM_LISTPACKS: u8 = 15;
    pub const TYPE_HASH_LISTPACK: u8 = 16;
    pub const TYPE_ZSET_LISTPACK: u8 = 17;
    pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
    pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
    /// Redis 7.2 types, named so the error can say what they are.
    pub const TYPE_SET_LISTPACK: u8 = 20;
    pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;
    /// Redis 7.4 hashes whose fields carry TTLs: a table of (relative TTL, field, value) after the least expiry,
    /// and a listpack of (field, value, expiry) triplets after it. The `_PRE_GA` forms (7.4's release candidates)
    /// have no least expiry and absolute TTLs.
    pub const TYPE_HASH_METADATA_PRE_GA: u8 = 22;
    pub const TYPE_HASH_LISTPACK_EX_PRE_GA: u8 = 23;
    pub const TYPE_HASH_METADATA: u8 = 24;
    pub const TYPE_HASH_LISTPACK_EX: u8 = 25;
    /// Redis 8.6's stream: 7.2's layout plus the idempotent producers' state after the consumer groups.
    pub const TYPE_STREAM_LISTPACKS_4: u8 = 26;

    /// What a module-type record's values are tagged with (`RDB_MODULE_OPCODE_*`).
    pub const MODULE_OPCODE_EOF: u64 = 0;
    pub const MODULE_OPCODE_UINT: u64 = 2;
    pub const MODULE_OPCODE_DOUBLE: u64 = 4;
    pub const MODULE_OPCODE_STRING: u64 = 5;

    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;

    /// Quicklist node containers (QUICKLIST_2).
    pub const CONTAINER_PLAIN: u64 = 1;
    pub const CONTAINER_PACKED: u64 = 2;

    /// String encodings (after a length byte `11xxxxxx`).
    pub const ENC_INT8: u8 = 0;
    pub const ENC_INT16: u8 = 1;
    pub const ENC_INT32: u8 = 2;
    pub const ENC_LZF: u8 = 3;

    /// Redis's `rdbIsObjectType` for version 10, plus the later types we write (7.4's hashes with TTLs, 8.6's
    /// stream with idempotency state).
    pub fn is_object_type(t: u8) -> bool {
        t <= 7 || (9..=19).contains(&t) || (22..=26).contains(&t)
    }

    /// The names `redis-check-rdb` uses for value types.
    pub fn type_name(t: u8) -> &'static str {
        const NAMES: [&str; 27] = [
            "string",
            "list-linked",
            "set-hashtable",
            "zset-v1",
            "hash-hashtable",
            "zset-v2",
            "module-value",
            "",
            "",
            "hash-zipmap",
            "list-ziplist",
            "set-intset",
            "zset-ziplist",
            "hash-ziplist",
            "quicklist",
            "stream",
            "hash-listpack",
            "zset-listpack",
            "quicklist-v2",
            "stream-v2",
            "set-listpack",
            "stream-v3",
            "hash-hashtable-md-pre-ga",
            "hash-listpack-md-pre-ga",
            "hash-hashtable-md",
            "hash-listpack-md",
            "stream-v4",
        ];
        NAMES.get(t as usize).copied().unwrap_or("unknown")
    }
}

/// Which per-key access opcode to write (follows `maxmemory-policy`: LRU policies write IDLE, LFU ones FREQ).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyStamp {
    #[default]
    None,
    /// IDLE seconds, from the entry's LRU field and the current LRU clock.
    Lru { lru_clock: u32 },
    /// FREQ: the entry's LFU counter after decay (see [`SaveOptions::lfu_decay_time`]).
    Lfu,
}

/// Aux fields describing the snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aux {
    /// With `Some`, `repl-stream-db`, `repl-id` and `repl-offset` are written (Redis writes them when it has
    /// replication info to save).
    pub repl_id: Option<String>,
    pub repl_offset: i64,
    pub repl_stream_db: i64,
    /// `aof-base` 1: this RDB is the base of a multi-part AOF.
    pub aof_base: bool,
    pub used_mem: u64,
    /// `ctime`, seconds since the epoch.
    pub ctime_s: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveOptions {
    /// `rdbcompression`: LZF for strings longer than 20 bytes when it saves at least 4 bytes.
    pub compression: bool,
    /// `rdbchecksum`: write the CRC-64 trailer (else 8 zero bytes).
    pub checksum: bool,
    pub stamp: KeyStamp,
    pub aux: Aux,
    /// `lfu-decay-time`, for the counter written with [`KeyStamp::Lfu`] (Redis's `LFUDecrAndReturn`).
    pub lfu_decay_time: i64,
    /// `rdb-key-save-delay` (a testing directive): microseconds to wait after each key; negative -n waits 1 µs
    /// with probability 1/n, as Redis's `debugDelay`.
    pub key_save_delay_us: i64,
    /// fsync every [`write::AUTOSYNC_BYTES`] while writing a file (`rdb-save-incremental-fsync`).
    pub incremental_fsync: bool,
    /// Function library payloads, written as FUNCTION2 records after the aux fields (`rdbSaveFunctions`).
    pub functions: Vec<Vec<u8>>,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            compression: true,
            checksum: true,
            stamp: KeyStamp::None,
            aux: Aux::default(),
            lfu_decay_time: 1,
            key_save_delay_us: 0,
            incremental_fsync: false,
            functions: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// `rdbchecksum`: verify the trailer when the file has a non-zero one.
    pub checksum: bool,
    pub now_ms: i64,
    /// Drop keys whose expire time has passed (what a master does; replicas and AOF preambles keep them).
    pub drop_expired: bool,
    pub thresholds: crate::keyspace::types::Thresholds,
    /// `maxmemory-policy` is an LFU one: FREQ sets the counter, and new entries start with the LFU init value.
    pub lfu: bool,
    /// The LRU clock, for IDLE and for the LRU field of new entries.
    pub lru_clock: u32,
    /// Deep validation of listpacks/intsets (`sanitize-dump-payload yes`): every entry, duplicates.
    pub sanitize: bool,
    /// A loaded key replaces an existing key of the same name (Redis's `RDBFLAGS_ALLOW_DUP`, used by
    /// `DEBUG RELOAD MERGE`); otherwise that is an error (where Redis aborts with "Duplicated key found in RDB
    /// file").
    pub allow_dup: bool,
    /// Without `sanitize`, a closed stream node saved LZF-compressed is kept compressed with only its header
    /// checked, and gets the deep check when first expanded (file loads: DEBUG RELOAD, start-up, a replica's full
    /// sync). RESTORE turns it off: a payload's nodes are checked before the reply, so a damaged one is refused.
    pub defer_stream_checks: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            checksum: true,
            now_ms: 0,
            drop_expired: true,
            thresholds: crate::keyspace::types::Thresholds::default(),
            lfu: false,
            lru_clock: 0,
            sanitize: false,
            allow_dup: false,
            defer_stream_checks: true,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Keys added to the databases.
    pub keys: u64,
    /// Keys skipped because their expire time had passed (`drop_expired`).
    pub expired_skipped: u64,
    /// Every AUX field, in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Bytes consumed, checksum included (the reader is left right after it).
    pub bytes_read: u64,
    /// Function library payloads (FUNCTION2 records, and FUNCTION records of the 7.0 release candidates in
    /// payload form), in file order: the caller creates the libraries (see `scripting::function`).
    pub functions: Vec<Vec<u8>>,
    /// Module AUX sections skipped.
    pub module_aux_skipped: u64,
    /// Values that turned out empty (Redis skips them with a warning; old Redis versions could write them).
    pub empty_keys_skipped: u64,
    /// Keys that had an expire time (whether or not they were dropped).
    pub expires: u64,
    /// Things worth a log line (skipped functions, checksum disabled, ...).
    pub warnings: Vec<String>,
    /// The file's RDB version.
    pub rdb_version: u32,
}

/// A load failure: what went wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    /// Bytes successfully consumed before the failure.
    pub offset: u64,
    pub msg: String,
    /// The key being read, if any (redis-check-rdb reports it).
    pub key: Option<Vec<u8>>,
    /// The value type being read, if any.
    pub key_type: Option<u8>,
    /// What the loader was doing, in redis-check-rdb's words (`read-type`, `read-object-value`, ...).
    pub doing: &'static str,
    /// More about the failure, for logs (e.g. the expected and found checksums); may be empty.
    pub detail: String,
    /// The rdb.c line Redis reports this failure at, where the message alone does not tell (0: by the message;
    /// see [`report`]).
    pub line: u32,
}

impl RdbError {
    pub fn new(offset: u64, msg: impl Into<String>) -> RdbError {
        RdbError { offset, msg: msg.into(), key: None, key_type: None, doing: "start", detail: String::new(), line: 0 }
    }
}

impl std::fmt::Display for RdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.msg, self.offset)
    }
}

impl std::error::Error for RdbError {}

impl From<RdbError> for std::io::Error {
    fn from(e: RdbError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
    }
}
