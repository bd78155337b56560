//! Server configuration: every directive, its default and limits.
//!
//! NOTE: initial struct with defaults; the config work adds the directive table, the redis.conf parser and
//! CONFIG GET/SET/REWRITE on top of it.

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    Nothing,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub unixsocket: Option<String>,
    pub unixsocketperm: u32,
    pub tcp_backlog: i32,
    pub tcp_keepalive: i64,
    pub timeout: i64,
    pub maxclients: usize,
    pub databases: usize,
    pub hz: i64,
    pub dir: String,
    pub daemonize: bool,
    pub pidfile: Option<String>,
    pub logfile: String,
    pub loglevel: LogLevel,
    pub requirepass: Option<Vec<u8>>,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: i64,
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: i64,
    pub active_expire_enabled: bool,
    /// Path of the config file the server was started with, for CONFIG REWRITE and INFO.
    pub config_file: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            unixsocket: None,
            unixsocketperm: 0,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            timeout: 0,
            maxclients: 10000,
            databases: 16,
            hz: 10,
            dir: ".".into(),
            daemonize: false,
            pidfile: None,
            logfile: String::new(),
            loglevel: LogLevel::Notice,
            requirepass: None,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            active_expire_enabled: true,
            config_file: None,
        }
    }
}
