//! Server configuration: every directive, its default and limits; the redis.conf parser and the command line.
//!
//! The [`DIRECTIVES`] table drives everything: loading a file, `--name value` options, `CONFIG GET/SET` and
//! `CONFIG REWRITE`. Directives of features ferredis already has are typed fields of [`Config`]; directives that
//! only tune features which are off (persistence, replication, cluster, TLS, ...) are validated like Redis does and
//! kept in canonical text form in [`Config::extra`], so existing configs load and `CONFIG GET` answers. A directive
//! with an `only` value (`save ""`, `appendonly no`, ...) accepts nothing else: any other value is a clear "not
//! supported yet" error instead of being ignored.
//!
//! Values whose rules belong to a layer built on this one (a `user` directive's ACL rules, the variables of
//! `proc-title-template`) are checked by that layer through a trait declared here and implemented for [`Owners`]
//! by the owner ([`UserDirectives`] in `acl`, [`TitleTemplates`] in `proctitle`): this module names neither, and a
//! bad value is still refused while the file is read, at its line, with the owner's text.
//!
//! Files: this one holds [`Config`], its errors and the value parsers; `directives.rs` the table and
//! [`Config::set`] / [`Config::get`]; `load.rs` the file and command-line reading ([`load()`]); `rewrite.rs` CONFIG
//! REWRITE.
//!
//! Tested by the unit tests at the end of this file (quoting, include, errors with file and line, aliases,
//! off-value directives, command-line folding, rewrite).

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt;

mod directives;
mod load;
pub mod prob;
mod rewrite;
pub use directives::*;
pub use load::*;
pub use rewrite::*;

/// The layers that own some directives' rules implement their checks for this type (see the module docs).
pub enum Owners {}

/// The check of a `user` directive, implemented by `acl` (Redis's `ACLAppendUserForLoading`).
pub trait UserDirectives {
    /// `argv` is the whole directive (`user`, the name, the rules); `earlier` holds the `user` directives read
    /// before it. The error is the text after the file and line (`Error in user declaration '...': ...`).
    fn check(earlier: &[Vec<Vec<u8>>], argv: &[Vec<u8>]) -> Result<(), String>;
}

/// The check of a `proc-title-template` value, implemented by `proctitle` (Redis's `validateProcTitleTemplate`):
/// every variable known, and the expansion with an empty title (variables from `c`) not empty.
pub trait TitleTemplates {
    fn is_valid(template: &str, c: &Config) -> bool;
}

/// The Redis version we report and whose behaviour we follow.
pub const REDIS_VERSION: &str = "7.0.15";
/// Our own version.
pub const FERREDIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Eviction policy (`maxmemory-policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    AllKeysLru,
    VolatileLfu,
    AllKeysLfu,
    VolatileRandom,
    AllKeysRandom,
    VolatileTtl,
    NoEviction,
}

impl MaxmemoryPolicy {
    /// Whether the object header's 24-bit field holds LFU data rather than an LRU clock.
    pub fn is_lfu(self) -> bool {
        matches!(self, MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllKeysLfu)
    }

    /// Whether RDB files record each key's idle time (Redis's `MAXMEMORY_FLAG_LRU` policies).
    pub fn is_lru(self) -> bool {
        matches!(self, MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::AllKeysLru)
    }

    /// Names in the order Redis lists them in its error message.
    const NAMES: &'static [&'static str] = &[
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "noeviction",
    ];
    const ORDER: [MaxmemoryPolicy; 8] = [
        MaxmemoryPolicy::VolatileLru,
        MaxmemoryPolicy::VolatileLfu,
        MaxmemoryPolicy::VolatileRandom,
        MaxmemoryPolicy::VolatileTtl,
        MaxmemoryPolicy::AllKeysLru,
        MaxmemoryPolicy::AllKeysLfu,
        MaxmemoryPolicy::AllKeysRandom,
        MaxmemoryPolicy::NoEviction,
    ];

    pub fn name(self) -> &'static str {
        let i = Self::ORDER.iter().position(|&p| p == self).unwrap_or(7);
        Self::NAMES[i]
    }
}

pub use crate::log::LogLevel;

impl LogLevel {
    const NAMES: &'static [&'static str] = &["debug", "verbose", "notice", "warning"];
    const ORDER: [LogLevel; 4] = [LogLevel::Debug, LogLevel::Verbose, LogLevel::Notice, LogLevel::Warning];
}

/// A yes/no/local switch for features that are dangerous from remote connections (`enable-debug-command`,
/// `enable-protected-configs`, `enable-module-command`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtectedOpt {
    No,
    Yes,
    Local,
}

impl ProtectedOpt {
    const NAMES: &'static [&'static str] = &["no", "yes", "local"];
    const ORDER: [ProtectedOpt; 3] = [ProtectedOpt::No, ProtectedOpt::Yes, ProtectedOpt::Local];

    /// Whether a client (local = loopback or unix socket) may use the feature.
    pub fn allows(self, local: bool) -> bool {
        match self {
            ProtectedOpt::No => false,
            ProtectedOpt::Yes => true,
            ProtectedOpt::Local => local,
        }
    }
}

/// Keyspace notification classes (`notify-keyspace-events`), bit values as Redis's `NOTIFY_*`.
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const LOADED: u32 = 1 << 12;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
    /// Redis 8.2: a write replaced a key's value whole (`o`, not in `A`).
    pub const OVERWRITTEN: u32 = 1 << 15;
    /// Redis 8.2: a write replaced a key's value with one of another type (`c`, not in `A`).
    pub const TYPE_CHANGED: u32 = 1 << 16;
    /// What `A` stands for: every class except key-miss and new-key events.
    pub const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    /// Parses the flag letters; `None` on an unknown letter.
    pub fn parse(s: &[u8]) -> Option<u32> {
        let mut f = 0;
        for &c in s {
            f |= match c {
                b'A' => ALL,
                b'g' => GENERIC,
                b'$' => STRING,
                b'l' => LIST,
                b's' => SET,
                b'h' => HASH,
                b'z' => ZSET,
                b'x' => EXPIRED,
                b'e' => EVICTED,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b't' => STREAM,
                b'm' => KEY_MISS,
                b'd' => MODULE,
                b'n' => NEW,
                b'o' => OVERWRITTEN,
                b'c' => TYPE_CHANGED,
                _ => return None,
            };
        }
        Some(f)
    }

    /// The canonical letters, as `CONFIG GET` shows them.
    pub fn format(f: u32) -> String {
        let mut s = String::new();
        if f & ALL == ALL {
            s.push('A');
        } else {
            for (bit, c) in [
                (GENERIC, 'g'),
                (STRING, '$'),
                (LIST, 'l'),
                (SET, 's'),
                (HASH, 'h'),
                (ZSET, 'z'),
                (EXPIRED, 'x'),
                (EVICTED, 'e'),
                (STREAM, 't'),
                (MODULE, 'd'),
                (NEW, 'n'),
                (OVERWRITTEN, 'o'),
                (TYPE_CHANGED, 'c'),
            ] {
                if f & bit != 0 {
                    s.push(c);
                }
            }
        }
        for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
            if f & bit != 0 {
                s.push(c);
            }
        }
        s
    }
}

/// Output buffer limits of one client class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ClientBufferLimit {
    /// Disconnect as soon as the output buffer exceeds this (0 = no limit).
    pub hard_bytes: u64,
    /// Disconnect when the buffer stays above this for `soft_seconds` (0 = no limit).
    pub soft_bytes: u64,
    pub soft_seconds: i64,
}

/// Index into [`Config::client_output_buffer_limit`].
pub const CLIENT_CLASS_NORMAL: usize = 0;
pub const CLIENT_CLASS_REPLICA: usize = 1;
pub const CLIENT_CLASS_PUBSUB: usize = 2;

#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub unixsocket: Option<String>,
    pub unixsocketperm: u32,
    pub tcp_backlog: i32,
    pub tcp_keepalive: i64,
    /// Idle client timeout in seconds (0 = never).
    pub timeout: i64,
    pub maxclients: usize,
    pub databases: usize,
    /// Cron frequency, already clamped to 1..=500 as Redis does.
    pub hz: i64,
    pub dynamic_hz: bool,
    /// Working directory as configured (absolute after a successful `dir`); the process has chdir'ed there.
    pub dir: String,
    pub daemonize: bool,
    pub pidfile: Option<String>,
    /// Empty = standard output.
    pub logfile: String,
    pub loglevel: LogLevel,
    pub requirepass: Option<Vec<u8>>,
    /// Bumped by every set of `requirepass`: the ACL applies the password to the default user when it changes.
    pub requirepass_gen: u64,
    pub protected_mode: bool,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: i64,
    pub maxmemory: u64,
    /// `maxmemory-clients`: bytes when positive, a percentage of `maxmemory` when negative (`10%` is -10), 0 = off
    /// (Redis's encoding; see `state::evict::clients::limit_bytes`).
    pub maxmemory_clients: i64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: i64,
    pub maxmemory_eviction_tenacity: i64,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    /// The probabilistic types' defaults (`bf-*`, `cf-*`).
    pub prob: prob::ProbConfig,
    /// The slow log: `slowlog-log-slower-than` (also named `commandlog-execution-slower-than`, Valkey 8.1's name)
    /// and `slowlog-max-len` (`commandlog-slow-execution-max-len`).
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: i64,
    /// Valkey 8.1's command logs of big requests and replies (COMMANDLOG): a command whose request or reply is at
    /// least this many bytes is logged (-1 = off), keeping this many entries.
    pub commandlog_request_larger_than: i64,
    pub commandlog_large_request_max_len: i64,
    pub commandlog_reply_larger_than: i64,
    pub commandlog_large_reply_max_len: i64,
    /// Valkey 8.0's `cluster-slot-stats-enabled`: CLUSTER SLOT-STATS also counts each slot's CPU time and network
    /// bytes (read on every command in cluster mode, hence a field).
    pub cluster_slot_stats_enabled: bool,
    pub active_expire_effort: i64,
    /// ferredis only: bound of the event loop's adaptive busy-poll window in microseconds (0 = off); see
    /// [`crate::event_loop`].
    pub busy_poll_us: i64,
    pub latency_monitor_threshold: i64,
    /// `latency-tracking`: per-command latency histograms (read on every call, hence a field).
    pub latency_tracking: bool,
    pub always_show_logo: bool,
    pub set_proc_title: bool,
    pub proc_title_template: String,
    pub crash_log_enabled: bool,
    pub activerehashing: bool,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: i64,
    pub hash_max_listpack_entries: i64,
    pub hash_max_listpack_value: i64,
    pub set_max_intset_entries: i64,
    pub zset_max_listpack_entries: i64,
    pub zset_max_listpack_value: i64,
    pub stream_node_max_bytes: i64,
    pub stream_node_max_entries: i64,
    /// The idempotency bounds a new stream starts with (Redis 8.6's `stream-idmp-duration`, seconds, and
    /// `stream-idmp-maxsize`, iids per producer).
    pub stream_idmp_duration: i64,
    pub stream_idmp_maxsize: i64,
    pub hll_sparse_max_bytes: i64,
    /// [`notify`] bits.
    pub notify_keyspace_events: u32,
    /// The change feed (a ferredis extension; empty: off): the key, in database 0, of a stream each keyspace event
    /// of the classes `notify-keyspace-events` enables is appended to (`state::notify::feed`).
    pub keyspace_events_stream: Vec<u8>,
    /// The feed's length cap (exact MAXLEN trimming on every append).
    pub keyspace_events_stream_maxlen: i64,
    /// Indexed by `CLIENT_CLASS_*`.
    pub client_output_buffer_limit: [ClientBufferLimit; 3],
    pub tracking_table_max_keys: i64,
    pub acllog_max_len: i64,
    pub enable_debug_command: ProtectedOpt,
    pub enable_protected_configs: ProtectedOpt,
    pub enable_module_command: ProtectedOpt,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    pub busy_reply_threshold: i64,
    pub shutdown_timeout: i64,
    /// Not a directive: `DEBUG SET-ACTIVE-EXPIRE` toggles it.
    pub active_expire_enabled: bool,
    /// Absolute path of the config file the server was started with, for CONFIG REWRITE and INFO.
    pub config_file: Option<String>,
    /// RDB save points: (seconds, changes) pairs (`save`). Redis's default applies unless a config sets it.
    pub save_params: Vec<(i64, i64)>,
    /// The first `save` line of a config file replaces the defaults; later ones append (Redis's rule).
    pub save_loaded: bool,
    /// Set while config text (file or command line) is being applied, as opposed to CONFIG SET.
    pub reading_config: bool,
    /// `rename-command old new` lines, in order (an empty new name removes the command); applied to the command
    /// table when the server starts.
    pub rename_commands: Vec<(Vec<u8>, Vec<u8>)>,
    /// `user <name> <rules...>` directives (each validated when read), loaded into the ACL at start-up.
    pub acl_users: Vec<Vec<Vec<u8>>>,
    pub appendonly: bool,
    /// 0 = always, 1 = everysec, 2 = no.
    pub appendfsync: usize,
    /// Values of directives kept as canonical text by name (the ones read where speed does not matter).
    pub extra: BTreeMap<&'static str, String>,
    /// Things the loader accepted but the operator should hear about (deprecated directives, clamped values);
    /// the server logs them at startup.
    pub load_warnings: Vec<String>,
    /// Sentinel mode (`--sentinel`, or a binary named `*redis-sentinel*`): the port defaults to 26379, protected
    /// mode to off, and `sentinel ...` lines are queued in [`Config::sentinel_lines`] for the sentinel to read.
    pub sentinel_mode: bool,
    /// The `sentinel <args>` lines read in sentinel mode, in order, for [`crate::sentinel`] to apply once the whole
    /// configuration is read (Redis's `queueSentinelConfig`): this layer does not know their rules.
    pub sentinel_lines: Vec<SentinelLine>,
}

/// One queued `sentinel` directive: its arguments after `sentinel`, and where it was read (for the error text).
#[derive(Clone, Debug)]
pub struct SentinelLine {
    pub argv: Vec<Vec<u8>>,
    pub line_no: usize,
    pub line: String,
}

impl Default for Config {
    fn default() -> Self {
        let normal = ClientBufferLimit::default();
        let replica = ClientBufferLimit { hard_bytes: 256 << 20, soft_bytes: 64 << 20, soft_seconds: 60 };
        let pubsub = ClientBufferLimit { hard_bytes: 32 << 20, soft_bytes: 8 << 20, soft_seconds: 60 };
        let mut extra = BTreeMap::new();
        for d in DIRECTIVES {
            if d.kind.is_stored() {
                extra.insert(d.name, d.default.to_string());
            }
        }
        extra.insert("oom-score-adj-values", "0 200 800".to_string());
        extra.insert("latency-tracking-info-percentiles", "50 99 99.9".to_string());
        extra.insert("shutdown-on-sigint", "default".to_string());
        extra.insert("shutdown-on-sigterm", "default".to_string());
        Config {
            port: 6379,
            // Redis 7.0's compiled-in CONFIG_DEFAULT_BINDADDR: every interface; protected mode guards it.
            bind: vec!["*".into(), "-::*".into()],
            unixsocket: None,
            unixsocketperm: 0,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            timeout: 0,
            maxclients: 10000,
            databases: 16,
            hz: 10,
            dynamic_hz: true,
            dir: ".".into(),
            daemonize: false,
            pidfile: None,
            logfile: String::new(),
            loglevel: LogLevel::Notice,
            requirepass: None,
            requirepass_gen: 0,
            protected_mode: true,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            maxmemory: 0,
            maxmemory_clients: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            prob: prob::ProbConfig::default(),
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            commandlog_request_larger_than: 1024 * 1024,
            commandlog_large_request_max_len: 128,
            commandlog_reply_larger_than: 1024 * 1024,
            commandlog_large_reply_max_len: 128,
            cluster_slot_stats_enabled: false,
            active_expire_effort: 1,
            busy_poll_us: 16,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            always_show_logo: false,
            set_proc_title: true,
            proc_title_template: "{title} {listen-addr} {server-mode}".into(),
            crash_log_enabled: true,
            activerehashing: true,
            // The collection thresholds repeat `types::Thresholds::default()` (the types must not name the
            // configuration); `keyspace::tests` holds the two lists equal.
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            stream_idmp_duration: 100,
            stream_idmp_maxsize: 100,
            hll_sparse_max_bytes: 3000,
            notify_keyspace_events: 0,
            keyspace_events_stream: Vec::new(),
            keyspace_events_stream_maxlen: 100_000,
            client_output_buffer_limit: [normal, replica, pubsub],
            tracking_table_max_keys: 1_000_000,
            acllog_max_len: 128,
            enable_debug_command: ProtectedOpt::No,
            enable_protected_configs: ProtectedOpt::No,
            enable_module_command: ProtectedOpt::No,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            busy_reply_threshold: 5000,
            shutdown_timeout: 10,
            active_expire_enabled: true,
            config_file: None,
            save_params: vec![(3600, 1), (300, 100), (60, 10000)],
            save_loaded: false,
            reading_config: false,
            rename_commands: Vec::new(),
            acl_users: Vec::new(),
            appendonly: false,
            appendfsync: APPENDFSYNC_EVERYSEC,
            extra,
            load_warnings: Vec::new(),
            sentinel_mode: false,
            sentinel_lines: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/// A configuration error. `Display` gives the complete message (several lines for file errors); the server prints
/// it to stderr and exits with status 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    fn at(source: &Source, line_no: usize, line: &str, err: &str) -> ConfigError {
        let place = match source {
            Source::File(p) => format!("in file '{p}'"),
            Source::Stdin => "in the configuration read from standard input".to_string(),
            Source::Args => "in the command line options".to_string(),
            Source::Text => "in the configuration text".to_string(),
        };
        ConfigError {
            message: format!(
                "*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\nReading the configuration file, at line \
                 {line_no} {place}\n>>> '{line}'\n{err}"
            ),
        }
    }
}

/// Where configuration text came from, for error messages.
#[derive(Clone, Debug)]
enum Source {
    File(String),
    Stdin,
    Args,
    Text,
}

// ---------------------------------------------------------------------------------------------------------------
// Argument splitting (Redis's sdssplitargs)

pub use crate::util::split_args;

/// Quotes a value for a config file line when it needs it (Redis's `sdscatrepr` for rewrite), else returns it.
pub fn quote_arg(s: &[u8]) -> String {
    let plain = !s.is_empty() && s.iter().all(|&c| c.is_ascii_graphic() && c != b'"' && c != b'\'' && c != b'\\');
    if plain {
        return String::from_utf8_lossy(s).into_owned();
    }
    repr_arg(s)
}

/// Always-quoted form of a value with C-style escapes (Redis's `sdscatrepr`).
pub fn repr_arg(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    crate::util::repr_into(&mut out, s);
    // sdscatrepr's output is printable ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------------------------
// Value parsing helpers

/// Parses a memory amount with Redis's `memtoull` rules: digits, then an optional unit `b k kb m mb g gb`
/// (case-insensitive; `k` = 1000, `kb` = 1024). No sign, no fraction.
pub fn parse_memory(s: &[u8]) -> Option<u64> {
    let split = s.iter().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let unit = unit.to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let mut v: u64 = 0;
    for &c in num {
        v = v.saturating_mul(10).saturating_add((c - b'0') as u64);
    }
    Some(v.saturating_mul(mul))
}

fn parse_bool(s: &[u8]) -> Result<bool, String> {
    if s.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if s.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn enum_error(names: &[&str]) -> String {
    format!("argument(s) must be one of the following: {}", names.join(", "))
}

fn parse_enum(names: &[&str], s: &[u8]) -> Result<usize, String> {
    names.iter().position(|n| n.as_bytes().eq_ignore_ascii_case(s)).ok_or_else(|| enum_error(names))
}

fn bounds_error<T: fmt::Display>(min: T, max: T) -> String {
    format!("argument must be between {min} and {max} inclusive")
}

fn parse_int(s: &[u8], min: i64, max: i64) -> Result<i64, String> {
    let v = crate::util::parse_i64(s).ok_or("argument couldn't be parsed into an integer")?;
    if v < min || v > max {
        return Err(bounds_error(min, max));
    }
    Ok(v)
}

fn parse_mem(s: &[u8], min: u64, max: u64) -> Result<u64, String> {
    let v = parse_memory(s).ok_or("argument must be a memory value")?;
    if v < min || v > max {
        return Err(bounds_error(min, max));
    }
    Ok(v)
}

fn lossy(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// `strerror` text of an I/O error, without Rust's " (os error N)" suffix.
fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        c.apply_text(text)?;
        Ok(c)
    }

    fn sv(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn split_args_quoting() {
        assert_eq!(split_args(b"  set a  b ").unwrap(), sv(&["set", "a", "b"]));
        assert_eq!(split_args(b"a \"b c\" 'd e'").unwrap(), sv(&["a", "b c", "d e"]));
        assert_eq!(split_args(b"\"\\x41\\n\\\"\"").unwrap(), vec![b"A\n\"".to_vec()]);
        assert_eq!(split_args(b"'it\\'s'").unwrap(), sv(&["it's"]));
        assert_eq!(split_args(b"save \"\"").unwrap(), sv(&["save", ""]));
        assert_eq!(split_args(b"ab\"cd\"").unwrap(), sv(&["abcd"]));
        assert!(split_args(b"\"abc").is_none());
        assert!(split_args(b"\"abc\"def").is_none());
        assert!(split_args(b"'abc").is_none());
        assert_eq!(split_args(b"   ").unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn basic_directives_and_overrides() {
        let c = parse("# comment\n\nport 7000\n  PORT 7001  \r\nbind 127.0.0.1 ::1\nloglevel WARNING\nmaxmemory 1gb\n")
            .unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.loglevel, LogLevel::Warning);
        assert_eq!(c.maxmemory, 1 << 30);
        let c = parse("requirepass \"p w\\x21\"\nmaxmemory-policy allkeys-lfu\nhz 1000\n").unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"p w!"[..]));
        assert!(c.maxmemory_policy.is_lfu());
        assert_eq!(c.hz, 500);
    }

    #[test]
    fn aliases_set_the_same_value() {
        let c = parse("hash-max-ziplist-entries 99\nslave-read-only no\nlua-time-limit 77").unwrap();
        assert_eq!(c.hash_max_listpack_entries, 99);
        assert_eq!(c.get(find(b"hash-max-listpack-entries").unwrap()), b"99");
        assert_eq!(c.extra["replica-read-only"], "no");
        assert_eq!(c.busy_reply_threshold, 77);
    }

    #[test]
    fn errors_name_line_and_text() {
        let e = parse("port 1\nport abc\n").unwrap_err().to_string();
        assert!(e.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"), "{e}");
        assert!(e.contains("at line 2"), "{e}");
        assert!(e.contains(">>> 'port abc'"), "{e}");
        assert!(e.ends_with("argument couldn't be parsed into an integer"), "{e}");
        let e = parse("foo bar").unwrap_err().to_string();
        assert!(e.ends_with("Bad directive or wrong number of arguments"));
        let e = parse("port 1 2").unwrap_err().to_string();
        assert!(e.ends_with("wrong number of arguments"));
        let e = parse("port 70000").unwrap_err().to_string();
        assert!(e.ends_with("argument must be between 0 and 65535 inclusive"));
        let e = parse("daemonize maybe").unwrap_err().to_string();
        assert!(e.ends_with("argument must be 'yes' or 'no'"));
        let e = parse("maxmemory -1").unwrap_err().to_string();
        assert!(e.ends_with("argument must be a memory value"));
        let e = parse("requirepass \"abc").unwrap_err().to_string();
        assert!(e.ends_with("Unbalanced quotes in configuration line"));
        let e = parse("notify-keyspace-events Q").unwrap_err().to_string();
        assert!(e.ends_with("Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
        let e = parse("maxmemory-policy x").unwrap_err().to_string();
        assert!(e.ends_with("argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"));
    }

    #[test]
    fn include_is_recursive_and_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("ferredis-cfg-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inner = dir.join("inner.conf");
        let outer = dir.join("outer.conf");
        std::fs::write(&inner, "port 7100\ntimeout 5\n").unwrap();
        std::fs::write(&outer, format!("port 1\ninclude {}\ntimeout 9\n", inner.display())).unwrap();
        let c = load(vec!["x".into(), outer.display().to_string()]).unwrap();
        assert_eq!(c.port, 7100);
        assert_eq!(c.timeout, 9);
        std::fs::write(&inner, "\n\nbogus 1\n").unwrap();
        let e = load(vec!["x".into(), outer.display().to_string()]).unwrap_err().to_string();
        assert!(e.contains("at line 3"), "{e}");
        assert!(e.contains(&format!("in file '{}'", inner.display())), "{e}");
        let e = load(vec!["x".into(), dir.join("missing.conf").display().to_string()]).unwrap_err().to_string();
        assert!(e.contains("can't open config file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn off_only_directives() {
        let c =
            parse("save \"\"\nappendonly no\nappendfsync always\ncluster-enabled no\nreplicaof no one\nio-threads 1")
                .unwrap();
        assert_eq!(c.appendfsync, APPENDFSYNC_ALWAYS);
        assert!(c.save_params.is_empty() && !c.appendonly);
        // The first `save` line replaces the defaults, later ones add to it.
        let c = parse("save 900 1\nsave 300 10\nappendonly yes").unwrap();
        assert_eq!(c.save_params, vec![(900, 1), (300, 10)]);
        assert!(c.appendonly);
        assert_eq!(Config::default().save_params, vec![(3600, 1), (300, 100), (60, 10000)]);
        assert!(parse("cluster-enabled yes").unwrap().stored_bool("cluster-enabled"));
        assert_eq!(parse("io-threads 4").unwrap().stored_i64("io-threads"), 4);
        assert!(parse("io-threads 129").is_err());
        let c = parse("replicaof 127.0.0.1 6380").unwrap();
        assert_eq!(c.extra["replicaof"], "127.0.0.1 6380");
        assert!(parse("replicaof 127.0.0.1 notaport").is_err());
        let e = parse("save 900").unwrap_err().to_string();
        assert!(e.ends_with("Invalid save parameters"), "{e}");
        let e = parse("appendonly maybe").unwrap_err().to_string();
        assert!(e.ends_with("argument must be 'yes' or 'no'"), "{e}");
        let c = parse("rename-command flushall \"\"\nrename-command config cfg").unwrap();
        assert_eq!(c.rename_commands, vec![(b"flushall".to_vec(), Vec::new()), (b"config".to_vec(), b"cfg".to_vec())]);
        // Deprecated directives are accepted with a warning.
        let c = parse("list-max-ziplist-entries 5").unwrap();
        assert_eq!(c.load_warnings.len(), 1);
    }

    #[test]
    fn multi_arg_directives() {
        let c =
            parse("client-output-buffer-limit pubsub 32mb 8mb 60 normal 1 2 3\nbind \"10.0.0.1 10.0.0.2\"").unwrap();
        assert_eq!(c.client_output_buffer_limit[CLIENT_CLASS_NORMAL].soft_seconds, 3);
        assert_eq!(c.bind, vec!["10.0.0.1", "10.0.0.2"]);
        assert_eq!(
            c.get(find(b"client-output-buffer-limit").unwrap()),
            b"normal 1 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        let e = parse("client-output-buffer-limit normal 1 2").unwrap_err().to_string();
        assert!(e.ends_with("Wrong number of arguments in buffer limit configuration."));
        let c = parse("notify-keyspace-events KEA\nshutdown-on-sigint now save").unwrap();
        assert_eq!(c.get(find(b"notify-keyspace-events").unwrap()), b"AKE");
        assert_eq!(c.extra["shutdown-on-sigint"], "save now");
        let c = parse("notify-keyspace-events Kn\nunixsocketperm 700").unwrap();
        assert_eq!(c.get(find(b"notify-keyspace-events").unwrap()), b"nK");
        assert_eq!(c.unixsocketperm, 0o700);
        assert_eq!(c.get(find(b"unixsocketperm").unwrap()), b"700");
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory(b"1k"), Some(1000));
        assert_eq!(parse_memory(b"1KB"), Some(1024));
        assert_eq!(parse_memory(b"2mb"), Some(2 << 20));
        assert_eq!(parse_memory(b"3g"), Some(3_000_000_000));
        assert_eq!(parse_memory(b"10"), Some(10));
        assert_eq!(parse_memory(b"1.5gb"), None);
        assert_eq!(parse_memory(b"-1"), None);
        assert_eq!(parse_memory(b"1tb"), None);
    }

    #[test]
    fn command_line_options_fold_into_lines() {
        let opts: Vec<String> = ["--port", "7002", "--bind", "127.0.0.1", "::1", "--save", "--requirepass", "--secret"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = options_to_text(&opts).unwrap();
        assert_eq!(text, "port \"7002\" \nbind \"127.0.0.1\" \"::1\" \nsave \"\"\nrequirepass \"--secret\" ");
        let c = load(std::iter::once("x").chain(opts.iter().map(|s| s.as_str())).map(String::from).collect()).unwrap();
        assert_eq!(c.port, 7002);
        assert_eq!(c.requirepass.as_deref(), Some(&b"--secret"[..]));
        let c = load(vec!["x".into(), "--save".into(), "".into(), "--appendonly".into(), "no".into()]).unwrap();
        assert!(!c.appendonly && c.save_params.is_empty());
        let e = load(vec!["x".into(), "--port".into(), "--bla".into()]).unwrap_err().to_string();
        assert!(
            e.contains(">>> 'port \"--bla\"'") && e.ends_with("argument couldn't be parsed into an integer"),
            "{e}"
        );
        // Redis 7.0's other forms: name and value in one argument (even a value starting with --), plain
        // arguments after the config file, --save last.
        let v = |a: &[&str]| -> Vec<String> { a.iter().map(|s| s.to_string()).collect() };
        let c = load(v(&["x", "--port 7003", "--proc-title-template --my--title", "--loglevel verbose", "--save"]))
            .unwrap();
        assert_eq!(c.port, 7003);
        assert_eq!(c.proc_title_template, "--my--title");
        assert_eq!(c.loglevel, LogLevel::Verbose);
        assert!(c.save_params.is_empty());
        let e = load(v(&["x", "--port", "0", "--loglevel"])).unwrap_err().to_string();
        assert!(e.contains(">>> 'loglevel'") && e.ends_with("wrong number of arguments"), "{e}");
        let dir = std::env::temp_dir().join(format!("ferredis-cfg-plain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("c.conf");
        std::fs::write(&conf, "port 7004\n").unwrap();
        let c = load(v(&["x", conf.to_str().unwrap(), "loglevel", "verbose"])).unwrap();
        assert_eq!((c.port, c.loglevel), (7004, LogLevel::Verbose));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_default_round_trips_through_set() {
        // Setting each directive to its own displayed default must succeed and change nothing.
        let base = Config::default();
        for d in DIRECTIVES {
            // `dir` changes the process's directory; `replicaof` shows "" for "no one", which it doesn't parse.
            if d.name == "dir" || d.name == "replicaof" {
                continue;
            }
            let mut c = Config::default();
            let v = base.get(d);
            let args = if d.is_multi() { split_args(&v).unwrap() } else { vec![v.clone()] };
            c.set(d, &args).unwrap_or_else(|e| panic!("{}: {e}", d.name));
            assert_eq!(c.get(d), v, "{}", d.name);
        }
    }

    #[test]
    fn rewrite_replaces_user_lines() {
        let c = Config::default();
        let users = vec!["user alice on nopass ~* &* +@all".to_string(), "user default on nopass ~* &* +@all".into()];
        let t = rewrite_text_with_users(&c, "port 6379\nuser old on\n# x\nuser old2 off\n", Some(&users));
        assert!(
            t.starts_with("port 6379\nuser alice on nopass ~* &* +@all\nuser default on nopass ~* &* +@all\n# x\n"),
            "{t}"
        );
        assert!(!t.contains("old"));
        let t = rewrite_text_with_users(&c, "port 6379\n", Some(&users));
        assert!(t.contains("\nuser alice on nopass ~* &* +@all\nuser default on nopass ~* &* +@all\n"), "{t}");
        assert!(rewrite_text_with_users(&c, "user x on\n", None).starts_with("user x on\n"));
    }

    #[test]
    fn rewrite_keeps_comments_and_updates_values() {
        let mut c = Config::default();
        c.apply_text("port 7000\nmaxmemory 100mb\nlogfile /tmp/x y.log\nclient-output-buffer-limit replica 1gb 0 0")
            .unwrap_err();
        c.apply_text(
            "port 7000\nmaxmemory 100mb\nlogfile \"/tmp/x y.log\"\nclient-output-buffer-limit replica 1gb 0 0",
        )
        .unwrap();
        c.maxmemory = 5;
        c.timeout = 30;
        c.proto_max_bulk_len = 2 << 20;
        let old = "# my config\nport 7000\nunknown-line stays\nport 7001\nmaxmemory 100mb\n";
        let new = rewrite_text(&c, old);
        let lines: Vec<&str> = new.lines().collect();
        assert_eq!(lines[0], "# my config");
        assert_eq!(lines[1], "port 7000");
        assert_eq!(lines[2], "unknown-line stays");
        assert_eq!(lines[3], "maxmemory 5");
        assert_eq!(lines[4], "");
        assert_eq!(lines[5], REWRITE_SIGNATURE);
        assert!(lines.contains(&"timeout 30"));
        assert!(lines.contains(&"proto-max-bulk-len 2mb"));
        assert!(lines.contains(&"logfile \"/tmp/x y.log\""));
        assert!(lines.contains(&"client-output-buffer-limit replica 1gb 0 0"));
        assert!(!new.contains("port 7001"));
        // Rewriting again is stable.
        assert_eq!(rewrite_text(&c, &new), new);
    }

    #[test]
    fn maxmemory_clients_forms_and_rewrite() {
        let c = parse("maxmemory-clients 10%\n").unwrap();
        assert_eq!(c.maxmemory_clients, -10);
        let d = find(b"maxmemory-clients").unwrap();
        assert_eq!(c.get(d), b"10%");
        assert_eq!(rewrite_lines(&c, d), vec!["maxmemory-clients 10%"]);
        let c = parse("maxmemory-clients 64mb\n").unwrap();
        assert_eq!(c.maxmemory_clients, 64 << 20);
        assert_eq!(rewrite_lines(&c, d), vec!["maxmemory-clients 64mb"]);
        for bad in ["101%", "-1", "x", "%", "1.5%", "-5%"] {
            assert!(parse(&format!("maxmemory-clients {bad}\n")).is_err(), "{bad}");
        }
    }
}
