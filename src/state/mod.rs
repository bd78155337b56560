//! The server state, [`ServerState`]: databases, configuration, statistics, the clock, the connections, every
//! service's data, and requests for the event loop to act on after the command returns, grouped into owned parts
//! (see the struct's docs). The server owns it; the call path lends it to a command through `command::Ctx`, whose
//! narrow views are all a data-type handler sees of it, and whose one whole-server view the administrative
//! families take.

// No `unsafe` in the state; the one exception below it is the tracking table's unchecked indexing, which
// allows it in its own file (`tracking/tracker/table.rs`).
#![deny(unsafe_code)]

// The operations that work on the whole state, one file per service (`src/state/`): they sit above the
// services whose data the state holds, so those services never name `ServerState`.
pub mod cluster;
pub mod defrag;
pub mod evict;
pub mod expire;
pub mod host;
pub mod hotkeys;
pub mod notify;
pub mod pubsub;
pub mod repl;
pub mod sentinel;
pub mod tracking;

use crate::config::Config;
use crate::keyspace::db::{Db, LazyExpiry, LookupClock};
use crate::net::client::ClientTable;
use crate::util::Rng;
use std::collections::HashMap;

/// Per-command counters for `INFO commandstats`.
#[derive(Default, Debug, Clone)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// Counters reported by `INFO stats` and friends; `CONFIG RESETSTAT` zeroes them.
#[derive(Default, Debug)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    /// Hash fields deleted because their TTL passed (Redis 7.4's `expired_subkeys`).
    pub expired_subkeys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Replication traffic, kept apart from the two above as Redis 7.0 does: what the master link reads (the
    /// RDB transfer and the command stream) and what is written to replicas. INFO's `total_net_*_bytes` are the
    /// sums (Redis 7.0 reports them that way).
    pub net_repl_input_bytes: u64,
    pub net_repl_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub errorstats: HashMap<String, u64>,
    pub commandstats: crate::util::NameMap<CommandStat>,
    /// Per-command latency histograms (`latency-tracking`: `INFO latencystats`, `LATENCY HISTOGRAM`).
    pub latency: crate::latency::CommandHistograms,
    pub client_qbuf_limit_disconnections: u64,
    pub client_outbuf_limit_disconnections: u64,
    /// Clients closed by `maxmemory-clients` (`evicted_clients`).
    pub evicted_clients: u64,
    /// Reply buffers the clients cron shrank or grew (INFO's `reply_buffer_shrinks` / `reply_buffer_expands`).
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
    /// Socket reads and writes performed (`total_reads_processed` / `total_writes_processed`).
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    /// Clients read and written by the I/O threads (`io_threaded_reads_processed` / `..._writes_processed`).
    pub io_threaded_reads_processed: u64,
    pub io_threaded_writes_processed: u64,
    /// Time the active expire cycle has spent, for `expire_cycle_cpu_milliseconds`.
    pub expire_cycle_cpu_ms: u64,
    /// Total time memory stayed above `maxmemory` (`total_eviction_exceeded_time`, µs), and since when it is
    /// above now (`current_eviction_exceeded_time`); kept by [`crate::state::evict::perform_evictions`].
    pub eviction_exceeded_us: u64,
    pub eviction_exceeded_since: Option<std::time::Instant>,
    /// Highest `used_memory` seen (`used_memory_peak`), sampled by `command::info::cron_sample`.
    pub peak_memory: u64,
    /// Per-second rates for INFO, sampled by `command::info::cron_sample` every 100 ms.
    pub inst: Instantaneous,
    /// The event loop's cycles and their durations (Redis 7.2's `eventloop_*`).
    pub el: EventLoopStats,
}

/// Redis 7.2's event loop figures: a cycle runs from the poller's return to the end of the next `before_sleep`
/// (Redis's `afterSleep` .. `beforeSleep`), so it counts the events handled, the timers and the pre-sleep work,
/// not the wait. INFO's `eventloop_cycles`, `eventloop_duration_sum`, `eventloop_duration_cmd_sum` (top-level
/// commands' time, µs) and the two `instantaneous_eventloop_*` rates.
#[derive(Debug, Default, Clone)]
pub struct EventLoopStats {
    pub cycles: u64,
    pub duration_sum_us: u64,
    pub cmd_duration_sum_us: u64,
    /// When the cycle in progress started (monotonic µs); 0 = none yet.
    pub cycle_start_us: i64,
    /// Cycles per second.
    pub inst_cycles: InstMetric,
    /// Mean cycle duration (µs) over each sampling interval.
    pub inst_duration: AvgMetric,
}

impl EventLoopStats {
    /// The poller returned: a cycle starts.
    #[inline]
    pub fn cycle_started(&mut self, now_us: i64) {
        self.cycle_start_us = now_us;
    }

    /// `before_sleep` is done: the cycle ends.
    #[inline]
    pub fn cycle_ended(&mut self, now_us: i64) {
        if self.cycle_start_us > 0 {
            self.cycles += 1;
            self.duration_sum_us += now_us.saturating_sub(self.cycle_start_us).max(0) as u64;
        }
    }
}

/// A mean per event over the last [`SAMPLES`] sampling intervals (Redis's `trackInstantaneousMetric` with a
/// count as the base: `instantaneous_eventloop_duration_usec`).
#[derive(Debug, Default, Clone)]
pub struct AvgMetric {
    samples: [u64; SAMPLES],
    idx: usize,
    last_base: u64,
    last_value: u64,
    started: bool,
}

impl AvgMetric {
    /// Records the running total `value` over `base` events.
    pub fn track(&mut self, value: u64, base: u64) {
        if self.started {
            let db = base.saturating_sub(self.last_base);
            let dv = value.saturating_sub(self.last_value);
            self.samples[self.idx] = dv.checked_div(db).unwrap_or(0);
            self.idx = (self.idx + 1) % SAMPLES;
        }
        self.started = base > 0;
        self.last_base = base;
        self.last_value = value;
    }

    pub fn mean(&self) -> u64 {
        self.samples.iter().sum::<u64>() / SAMPLES as u64
    }
}

/// Distinct error codes `errorstats` tracks (Redis's `ERROR_STATS_NUMBER`); later new codes count only in
/// `total_error_replies`.
pub const ERROR_STATS_NUMBER: usize = 128;

impl Stats {
    /// One error reply with `code` (its first word: `ERR`, `WRONGTYPE`, ...) in `errorstats` and
    /// `total_error_replies` (Redis's `afterErrorReply`): the one counter for replies to clients and for the
    /// commands a script had refused.
    pub fn count_error(&mut self, code: &str) {
        self.total_error_replies += 1;
        if let Some(v) = self.errorstats.get_mut(code) {
            *v += 1;
        } else if self.errorstats.len() < ERROR_STATS_NUMBER {
            self.errorstats.insert(code.to_string(), 1);
        }
    }
}

/// Number of samples an instantaneous metric averages (Redis's `STATS_METRIC_SAMPLES`).
pub const SAMPLES: usize = 16;

/// A per-second rate averaged over the last [`SAMPLES`] samples, like `instantaneous_ops_per_sec`.
#[derive(Debug, Default, Clone)]
pub struct InstMetric {
    samples: [u64; SAMPLES],
    idx: usize,
    last_ms: i64,
    last_value: u64,
}

impl InstMetric {
    /// Records the counter's current value.
    pub fn track(&mut self, now_ms: i64, value: u64) {
        if self.last_ms > 0 {
            let dt_ms = now_ms - self.last_ms;
            if dt_ms <= 0 {
                return;
            }
            let per_sec = value.saturating_sub(self.last_value).saturating_mul(1000) / dt_ms as u64;
            self.samples[self.idx] = per_sec;
            self.idx = (self.idx + 1) % SAMPLES;
        }
        self.last_ms = now_ms;
        self.last_value = value;
    }

    pub fn per_sec(&self) -> u64 {
        self.samples.iter().sum::<u64>() / SAMPLES as u64
    }
}

/// The rates INFO reports; fed by [`cron_sample`].
#[derive(Debug, Default, Clone)]
pub struct Instantaneous {
    pub ops: InstMetric,
    pub net_input_bytes: InstMetric,
    pub net_output_bytes: InstMetric,
    pub net_repl_input_bytes: InstMetric,
    pub net_repl_output_bytes: InstMetric,
}

/// Samples the instantaneous rates and the memory peak. The event loop calls it every 100 ms (Redis does the
/// same from its cron).
pub fn cron_sample(srv: &mut ServerState, now_ms: i64) {
    let s = &mut srv.stats;
    let (repl_in, repl_out) = (s.net_repl_input_bytes, s.net_repl_output_bytes);
    // Like Redis 7.0, the overall rates include the replication traffic.
    let (ops, input, output) = (s.total_commands_processed, s.net_input_bytes + repl_in, s.net_output_bytes + repl_out);
    s.inst.ops.track(now_ms, ops);
    s.inst.net_input_bytes.track(now_ms, input);
    s.inst.net_output_bytes.track(now_ms, output);
    s.inst.net_repl_input_bytes.track(now_ms, repl_in);
    s.inst.net_repl_output_bytes.track(now_ms, repl_out);
    s.el.inst_cycles.track(now_ms, s.el.cycles);
    s.el.inst_duration.track(s.el.duration_sum_us, s.el.cycles);
    s.peak_memory = s.peak_memory.max(crate::alloc::used_memory());
}

/// How [`ServerState::empty_data`] frees what it removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emptying {
    /// Freed here, and the freed memory given back to the system (FLUSHDB/FLUSHALL SYNC).
    Sync,
    /// Handed to the lazy-free thread (ASYNC, `lazyfree-lazy-user-flush`, `replica-lazy-flush`).
    Lazy,
    /// Freed here, the memory kept: the dataset is about to be loaded again (DEBUG RELOAD, DEBUG LOADAOF).
    Refill,
}

/// Something only the event loop can do, requested by a command handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Close the client with this id (CLIENT KILL) once the current command is done.
    KillClient(u64),
    /// SHUTDOWN: block the caller and shut down, at once or once the replicas caught up (`server/shutdown.rs`).
    Shutdown(ShutdownFlags),
    /// SHUTDOWN ABORT of a shutdown waiting for replicas: answer the clients blocked in SHUTDOWN, resume writes.
    AbortShutdown,
    /// FLUSHALL ran: with save points configured, kill a running RDB child and save synchronously (Redis's
    /// `flushAllDataAndResetRDB`).
    SaveAfterFlushAll,
    /// BGREWRITEAOF: fork the rewrite child right after this command.
    StartAofRewrite,
    /// DEBUG LOADAOF: reload the dataset from the AOF files; the server replies +OK or the error.
    DebugLoadAof,
    /// DEBUG RESTART (`save`) / CRASH-AND-RECOVER: re-exec the server after `delay_ms`.
    DebugRestart { save: bool, delay_ms: i64 },
    /// CONFIG SET port/bind changed the listeners: register the new ones, unregister and close the old ones.
    ListenersChanged,
    /// CONFIG SET changed the configuration (`in_exec`: inside EXEC): the server applies what lives outside
    /// [`crate::config::Config`] ([`Server::config_changed`](crate::server::Server::config_changed)): the AOF turned on
    /// or off or its settings, the default user's password from `requirepass`, the clients' memory against
    /// `maxmemory-clients`.
    ConfigChanged { in_exec: bool },
}

/// SHUTDOWN's options (Redis's `SHUTDOWN_NOSAVE`/`SAVE`/`NOW`/`FORCE`), from the command or from
/// `shutdown-on-sigterm` / `shutdown-on-sigint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShutdownFlags {
    /// No final RDB save, even with save points.
    pub nosave: bool,
    /// A final RDB save, even without save points.
    pub save: bool,
    /// Do not wait for lagging replicas.
    pub now: bool,
    /// Errors writing the AOF or the RDB do not stop the shutdown.
    pub force: bool,
}

impl ShutdownFlags {
    /// The flags of a `shutdown-on-sig*` value: `default` or words among `save nosave now force`.
    pub fn from_config(value: &str) -> ShutdownFlags {
        let has = |w: &str| value.split_whitespace().any(|f| f.eq_ignore_ascii_case(w));
        ShutdownFlags { nosave: has("nosave"), save: has("save"), now: has("now"), force: has("force") }
    }
}

/// A shutdown under way (Redis's `shutdown_mstime`, `shutdown_flags` and the clients in `BLOCKED_SHUTDOWN`): it
/// waits up to `shutdown-timeout` for the replicas to acknowledge our offset, with writes paused.
#[derive(Debug, Default)]
pub struct ShutdownState {
    /// When the wait ends whether or not the replicas caught up (ms); 0 while no shutdown is initiated.
    pub deadline_ms: i64,
    /// The flags of the shutdown that started the wait (a later SHUTDOWN only waits along).
    pub flags: ShutdownFlags,
    /// Clients blocked in SHUTDOWN, `(id, fd)`, in the order they called it: answered only if it fails or is
    /// aborted (on success the process exits under them).
    pub blocked: Vec<(u64, i32)>,
}

/// The signal that asked for shutdown (0 = none): set by the server's SIGTERM/SIGINT handler (`on_shutdown_signal` in
/// `server/mod.rs`), read and cleared by its cron ([`Server::shutdown_cron`](crate::server::Server::shutdown_cron)),
/// cleared when a shutdown is cancelled ([`Server::cancel_shutdown`](crate::server::Server::cancel_shutdown)) and by
/// SHUTDOWN ABORT ([`ShutdownState::cancel_signal`]). A static because a signal handler writes it.
pub static SHUTDOWN_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

impl ShutdownState {
    /// SHUTDOWN ABORT: forgets a SIGTERM/SIGINT the cron has not acted on yet (or that started a wait for
    /// replicas). Returns whether one was pending.
    pub fn cancel_signal() -> bool {
        SHUTDOWN_SIGNAL.swap(0, std::sync::atomic::Ordering::SeqCst) != 0
    }

    /// Whether a shutdown waits for replicas (Redis's `isShutdownInitiated`).
    #[inline]
    pub fn initiated(&self) -> bool {
        self.deadline_ms != 0
    }
}

/// One SLOWLOG entry.
#[derive(Debug, Clone)]
pub struct SlowlogEntry {
    pub id: u64,
    pub time_s: i64,
    pub duration_us: u64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

/// One of the command logs ([`CommandLogs`]), newest first: SLOWLOG's, or one of COMMANDLOG's size logs (Valkey
/// 8.1: `large-request`, `large-reply`), whose entries' `duration_us` holds the size in bytes.
#[derive(Debug, Default)]
pub struct CommandLog {
    pub entries: std::collections::VecDeque<SlowlogEntry>,
    pub next_id: u64,
}
/// Test switches of Redis's DEBUG command that tune the server's own work. Set only by their DEBUG subcommands
/// (`command/debug/mod.rs`); read by the server's crons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DebugSwitches {
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call commands flagged `noscript` (Redis's test hook).
    pub disable_deny_scripts: bool,
    /// DEBUG PAUSE-CRON: the server cron skips its periodic work (Redis's `server.pause_cron`), and signals and
    /// caught-up replicas wait for it (the server's before-sleep work).
    pub pause_cron: bool,
    /// DEBUG QUICKLIST-PACKED-THRESHOLD: the element size from which a quicklist element would get a node of its
    /// own. Our quicklist has no plain nodes, so only the command's tests read it.
    pub packed_threshold: u64,
    /// DEBUG REPLYBUFFER PEAK-RESET-TIME (ms; -1 = never): how often the clients cron resets a reply buffer's peak.
    pub peak_reset_time_ms: i64,
    /// DEBUG REPLYBUFFER RESIZING: whether the clients cron resizes reply buffers.
    pub reply_resizing: bool,
}

impl DebugSwitches {
    /// Redis's default quicklist packed threshold: elements of 1 GiB or more get a plain node.
    pub const DEFAULT_PACKED_THRESHOLD: u64 = 1 << 30;
    /// Redis's `REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME` (ms).
    pub const DEFAULT_PEAK_RESET_TIME_MS: i64 = 5000;
}

impl Default for DebugSwitches {
    fn default() -> Self {
        DebugSwitches {
            disable_deny_scripts: false,
            pause_cron: false,
            packed_threshold: Self::DEFAULT_PACKED_THRESHOLD,
            peak_reset_time_ms: Self::DEFAULT_PEAK_RESET_TIME_MS,
            reply_resizing: true,
        }
    }
}

/// Who the server is and when it started: fixed when the state is created.
#[derive(Debug, Clone)]
pub struct Identity {
    /// When the server started (wall clock, ms): INFO's uptime.
    pub start_ms: i64,
    /// 40 random hex characters, new at every start (INFO's `run_id`).
    pub run_id: String,
    /// `used_memory` when the server state was created, before any data (`used_memory_startup`).
    pub startup_memory: u64,
}

/// Everything a command, the cron and the event loop work on, as owned parts.
///
/// The services' own data sits in their types (`repl`, `persist`, `cluster`, `acl`, `pubsub`, `blocking`,
/// `tracking`, ...); the fields that used to lie loose beside them are grouped by owner: [`Clients`] (the
/// connections and their bookkeeping), `persist` (also `dirty`, `lastsave_s` and the forked child's pid, see
/// [`crate::persist::engine::Persist`]) and [`CommandLogs`] (SLOWLOG and COMMANDLOG). What stays at the top is
/// read on every command (`config`, `dbs`, `stats`, `now_ms`, `lru_clock`, `rng`): nesting it would only lengthen
/// the hottest paths' names, at no gain in ownership, since every part of the server reads it. Beside those are
/// the server's [`Identity`] (the replication ID is `repl.replid`), the event loop's requests
/// (`actions`), DEBUG's switches and the server-wide holds on writes (`pause`, `shutdown`).
///
/// Command handlers do not see this struct: they get `command::Ctx`'s narrow views, and only the families that act
/// on the whole server (CONFIG, DEBUG, CLIENT, INFO, replication, cluster, ...) take its one whole-server view.
pub struct ServerState {
    pub config: Config,
    pub dbs: Vec<Db>,
    pub stats: Stats,
    /// Wall clock cached at the start of each command, so a command sees one time for all its keys.
    pub now_ms: i64,
    /// What lazy expiry does with a due key: set by [`Server::call_with`](crate::server::Server::call_with) before
    /// every command (from the pause, the role, the client and loading) and by whatever starts or ends a pause; see
    /// [`LazyExpiry`]. Read only through [`ServerState::lookup_clock`], which hands it to the databases' lookups.
    pub lazy_expiry: LazyExpiry,
    /// The keyspace events the databases record (`expired`, `new`: [`crate::keyspace::db::events`]), set from the
    /// configuration by [`notify::sync`] when the server starts and by CONFIG SET.
    pub db_events: u8,
    /// Redis's 24-bit LRU clock (seconds resolution), refreshed by the cron.
    pub lru_clock: u32,
    pub rng: Rng,
    /// Who this server is and when it started (INFO's `run_id`, `uptime_in_seconds`, `used_memory_startup`).
    pub identity: Identity,
    pub actions: Vec<Action>,
    /// SLOWLOG and COMMANDLOG's logs.
    pub commandlog: CommandLogs,
    pub active_expire_enabled: bool,
    /// DEBUG's test switches (SET-DISABLE-DENY-SCRIPTS, PAUSE-CRON, QUICKLIST-PACKED-THRESHOLD, REPLYBUFFER).
    pub debug: DebugSwitches,
    /// The connections and their bookkeeping (see [`Clients`]).
    pub clients: Clients,
    /// ACL users and log (see [`crate::acl`]).
    pub acl: crate::acl::Acl,
    /// Clients blocked on keys, their queues and the keys ready to serve them (see [`crate::blocking`]).
    pub blocking: crate::blocking::Blocking,
    /// Channel, pattern and shard-channel subscribers (see [`crate::pubsub`]); INFO's `pubsub_channels` and
    /// `pubsub_patterns` are its sizes.
    pub pubsub: crate::pubsub::Registry,
    /// WATCHed keys of every client (MULTI/EXEC).
    pub watches: crate::multi::WatchTable,
    /// `CLIENT PAUSE` in force, if any, and the writes the server itself holds (FAILOVER, a shutdown): server-wide,
    /// since active expiry and eviction read it too.
    pub pause: ClientPause,
    /// A SHUTDOWN or SIGTERM waiting for lagging replicas (see `server/shutdown.rs`).
    pub shutdown: ShutdownState,
    /// The propagation path (AOF feed; later replicas): see [`crate::propagate`].
    pub prop: crate::propagate::Propagation,
    /// `maxmemory` eviction: the candidate pool and the background eviction timer (see [`crate::state::evict::pool`]).
    pub evict: crate::state::evict::pool::Evictor,
    /// RDB saves, the AOF, the forked child, and the changes since the last save (see
    /// [`crate::persist::engine`]).
    pub persist: crate::persist::engine::Persist,
    /// Replication, both roles (see [`crate::state::repl`]).
    pub repl: crate::state::repl::roles::Repl,
    /// Redis Cluster, when `cluster-enabled yes` (see [`crate::cluster`]).
    pub cluster: Option<Box<crate::cluster::Cluster>>,
    /// Sentinel mode's state (`--sentinel`; see [`crate::sentinel`]).
    pub sentinel: Option<Box<crate::sentinel::Sentinel>>,
    /// The lazy-free thread (FLUSHALL ASYNC, UNLINK of big values, a replica's old dataset).
    pub lazyfree: crate::keyspace::lazyfree::LazyFree,
    /// The expire cycle's and the tables' cron's place between calls.
    pub expire_cycle: crate::state::expire::cycle::Cycle,
    /// The active defragmenter's run, pass and counters.
    pub defrag: crate::state::defrag::progress::Defrag,
    /// EVAL's Lua state and script cache, the running script (see [`crate::scripting`]).
    pub scripting: crate::scripting::Scripting,
    /// Function libraries (FUNCTION LOAD / FCALL, see [`crate::scripting::function`]).
    pub functions: crate::scripting::function::Functions,
    /// The listening sockets (see [`crate::net::listen`]); CONFIG SET port/bind replaces the TCP ones.
    pub listeners: crate::net::listen::Listeners,
    /// Client-side caching: tracked keys, BCAST prefixes, invalidations waiting to be sent (see
    /// [`crate::state::tracking`]).
    pub tracking: crate::state::tracking::tracker::Tracking,
    /// MIGRATE's cached connections to its targets.
    pub migrate_sockets: crate::net::migrate::Sockets,
    /// The HOTKEYS session, from HOTKEYS START until HOTKEYS RESET (see [`hotkeys`]); `None` costs the call path
    /// one branch.
    pub hotkeys: Option<Box<hotkeys::HotKeys>>,
    /// Debug builds: the keys (database, key) a handler settled as changed, checked against the keyspace
    /// invariants when its `Ctx` goes away (see `command::door`).
    #[cfg(debug_assertions)]
    pub door_settled: Vec<(usize, Vec<u8>)>,
    /// A handler lent an entry for writing in a database other than its client's (MOVE's or COPY's destination):
    /// when its `Ctx` goes away every database settles its lends for `INFO keysizes`, not only the client's
    /// (see [`keyspace::keysizes`](crate::keyspace::keysizes)).
    pub keysizes_lent_elsewhere: bool,
    /// DEBUG KEYSIZES-HIST-ASSERT: after every command, each database's key-size histograms are compared with a
    /// scan of its keys, and a difference is fatal (as in Redis, a test aid).
    pub keysizes_hist_assert: bool,
}

/// The connections: the client table and the bookkeeping around it (ids, MONITOR, clients waiting to be written,
/// client memory for `maxmemory-clients`). The server adds and removes clients (accepting, closing, CLIENT KILL
/// through [`Action::KillClient`]) and queues them for writing; pub/sub and MONITOR queue other clients' output
/// here; the blocking machinery keeps `num_blocked`; CLIENT and INFO read it.
pub struct Clients {
    /// Every other connection, by fd (see [`ClientTable`]).
    pub by_fd: ClientTable,
    /// INFO's `io_threads_active`: whether the I/O threads (which the server owns, not this state) are in use,
    /// set by the server after each write pass and each cron period that can switch them.
    pub io_threads_active: bool,
    /// Client id → fd of every connection, the running one included, to find clients by id (CLIENT KILL, MONITOR
    /// feeds, tracking's redirection) without scanning. A client taken out of `by_fd` while it runs keeps its
    /// entry: an id found here whose slot is empty is running, not gone.
    pub id_to_fd: HashMap<u64, i32>,
    /// Ids of MONITOR clients, fed each command by the server.
    pub monitors: Vec<u64>,
    /// The id the next connection gets.
    pub next_id: u64,
    /// Clients waiting in a blocking command (`blocked_clients` in INFO); kept by the blocking machinery.
    pub num_blocked: u64,
    /// fds of clients with output to write before the next poll; see [`Clients::queue_write`].
    pub pending_write: Vec<i32>,
    /// fds of clients whose only new output is pub/sub messages published by other clients: written once the
    /// event loop is about to sleep or the oldest has waited [`PUSH_COALESCE`], so a subscriber gets one write for
    /// many messages (see [`crate::pubsub`]).
    pub pending_push: Vec<i32>,
    /// When the first client entered `pending_push` (meaningful while it is not empty).
    pub pending_push_since: std::time::Instant,
    /// Client memory by bucket, for `maxmemory-clients` (see [`crate::state::evict::clients`]).
    pub mem: crate::state::evict::clients::ClientMem,
    /// How a client is written in the log (CLIENT LIST's line; set by the server, see
    /// [`ClientInfoFn`](crate::net::client::ClientInfoFn)).
    pub info: crate::net::client::ClientInfoFn,
}

impl Default for Clients {
    fn default() -> Self {
        Clients {
            by_fd: Vec::new(),
            io_threads_active: false,
            id_to_fd: HashMap::new(),
            monitors: Vec::new(),
            next_id: 1,
            num_blocked: 0,
            pending_write: Vec::new(),
            pending_push: Vec::new(),
            pending_push_since: std::time::Instant::now(),
            mem: Default::default(),
            info: crate::net::client::short_info,
        }
    }
}

impl Clients {
    /// Schedules the client on `fd` (in `by_fd`) for writing its pending output before the next poll. Handlers
    /// that add output to *another* client's reply (MONITOR feeds, PUBLISH) must call this; the running client is
    /// handled by the server.
    pub fn queue_write(&mut self, fd: i32) {
        if let Some(Some(c)) = self.by_fd.get_mut(fd as usize) {
            if !c.pending_write {
                c.pending_write = true;
                self.pending_write.push(fd);
            }
        }
    }
}

/// The command logs: SLOWLOG's (`slow`) and COMMANDLOG's size logs. Written by the server's call path after each
/// command over a threshold; read and reset by SLOWLOG and COMMANDLOG.
#[derive(Debug, Default)]
pub struct CommandLogs {
    /// SLOWLOG: commands slower than `slowlog-log-slower-than`, newest first (COMMANDLOG's `slow`).
    pub slow: CommandLog,
    /// COMMANDLOG's `large-request` log.
    pub large_requests: CommandLog,
    /// COMMANDLOG's `large-reply` log.
    pub large_replies: CommandLog,
}

/// What `CLIENT PAUSE` holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PauseMode {
    #[default]
    Off,
    /// Commands that may write or replicate (and EXEC of such commands).
    Write,
    /// Every command.
    All,
}

/// The state of `CLIENT PAUSE`: a later pause replaces the mode and extends (never shortens) the end.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientPause {
    pub mode: PauseMode,
    pub end_ms: i64,
    /// Bumped whenever the pause is lifted or changed, so the server knows to retry deferred clients.
    pub generation: u64,
    /// FAILOVER holds writes until it ends, whatever CLIENT PAUSE / UNPAUSE do (Redis's `PAUSE_DURING_FAILOVER`).
    pub failover: bool,
    /// A shutdown waiting for replicas holds writes the same way (Redis's `PAUSE_DURING_SHUTDOWN`).
    pub shutdown: bool,
}

impl ClientPause {
    /// The mode in force at `now_ms` (a pause whose end has passed is off).
    #[inline]
    pub fn mode_at(&self, now_ms: i64) -> PauseMode {
        if self.mode != PauseMode::Off && now_ms < self.end_ms {
            self.mode
        } else if self.writes_held() {
            PauseMode::Write
        } else {
            PauseMode::Off
        }
    }

    /// Whether a command must wait; `may_write`: it may write or replicate (for EXEC: one of its queued
    /// commands may).
    #[inline]
    pub fn defers(&self, may_write: bool, now_ms: i64) -> bool {
        match self.mode_at(now_ms) {
            PauseMode::Off => false,
            PauseMode::All => true,
            PauseMode::Write => may_write,
        }
    }

    pub fn pause(&mut self, mode: PauseMode, end_ms: i64) {
        self.mode = mode;
        self.end_ms = self.end_ms.max(end_ms);
        self.generation += 1;
    }

    pub fn unpause(&mut self) {
        self.mode = PauseMode::Off;
        self.end_ms = 0;
        self.generation += 1;
    }

    /// Whether the server itself holds writes (FAILOVER or a shutdown), beside any CLIENT PAUSE.
    #[inline]
    pub fn writes_held(&self) -> bool {
        self.failover || self.shutdown
    }

    /// Starts or ends FAILOVER's pause of writes.
    pub fn set_failover(&mut self, on: bool) {
        self.failover = on;
        self.generation += 1;
    }

    /// Starts or ends the pause of writes while a shutdown waits for replicas.
    pub fn set_shutdown(&mut self, on: bool) {
        self.shutdown = on;
        self.generation += 1;
    }
}

impl ServerState {
    // ---- the server-wide conditions admission (and a script's run) refuse writes or commands under ----

    /// A replica whose link with its master is down, configured not to serve stale data: only `stale` commands run.
    #[inline]
    pub fn stale_replica(&self) -> bool {
        let r = &self.repl;
        r.master.is_some()
            && r.link_state != crate::state::repl::roles::LinkState::Connected
            && !self.config.stored_bool("replica-serve-stale-data")
    }

    /// A replica with `replica-read-only`: writes are refused unless they come from its master.
    #[inline]
    pub fn read_only_replica(&self) -> bool {
        self.repl.master.is_some() && self.config.stored_bool("replica-read-only")
    }

    /// A master below `min-replicas-to-write` good replicas: writes are refused with `NOREPLICAS` (admission).
    #[inline]
    pub fn too_few_replicas(&self) -> bool {
        self.repl.too_few_replicas()
    }

    /// Whether the last background save or AOF write failed (the cheap test before [`ServerState::disk_error`]).
    #[inline]
    pub fn persistence_failed(&self) -> bool {
        !self.persist.stats.last_bgsave_ok || self.persist.stats.aof_error.is_some()
    }

    /// After a persistence failure, why writes are refused (`MISCONF ...`, without the dash), or `None` (Redis's
    /// `writeCommandsDeniedByDiskError` + `writeCommandsGetDiskErrorMessage`).
    #[inline]
    pub fn disk_error(&self) -> Option<String> {
        if !self.persistence_failed() {
            return None;
        }
        crate::persist::engine::disk_error(&self.persist.stats, &self.config)
    }

    pub fn new(config: Config) -> ServerState {
        let now = crate::util::now_ms();
        let dbs = (0..db_count(&config)).map(Db::new).collect();
        let mut rng = Rng::from_entropy();
        let run_id = random_hex(&mut rng, 40);
        let repl = crate::state::repl::roles::Repl { replid: random_hex(&mut rng, 40), ..Default::default() };
        let acl = crate::acl::Acl::for_config(&config);
        ServerState {
            active_expire_enabled: config.active_expire_enabled,
            debug: DebugSwitches::default(),
            config,
            dbs,
            stats: Stats::default(),
            now_ms: now,
            lru_clock: lru_clock_at(now),
            rng,
            identity: Identity { start_ms: now, run_id, startup_memory: crate::alloc::used_memory() },
            actions: Vec::new(),
            commandlog: Default::default(),
            clients: Default::default(),
            acl,
            blocking: Default::default(),
            pubsub: Default::default(),
            watches: Default::default(),
            pause: ClientPause::default(),
            shutdown: ShutdownState::default(),
            prop: Default::default(),
            evict: Default::default(),
            persist: crate::persist::engine::Persist::new(now / 1000),
            repl,
            cluster: None,
            sentinel: None,
            lazyfree: Default::default(),
            expire_cycle: Default::default(),
            defrag: Default::default(),
            scripting: Default::default(),
            functions: Default::default(),
            listeners: Default::default(),
            tracking: Default::default(),
            migrate_sockets: Default::default(),
            hotkeys: None,
            #[cfg(debug_assertions)]
            door_settled: Vec::new(),
            keysizes_lent_elsewhere: false,
            keysizes_hist_assert: false,
            lazy_expiry: Default::default(),
            db_events: 0,
        }
    }

    /// What a database lookup needs besides the key (see [`LookupClock`]): the command's time, lazy expiry's mode
    /// and the events to record, read from the state's fields. Handed to [`Db::lookup`] and its kin by the command
    /// context, the blocking machinery and active expiry, so the keyspace reads no global.
    #[inline]
    pub fn lookup_clock(&self) -> LookupClock {
        LookupClock { now_ms: self.now_ms, expiry: self.lazy_expiry, events: self.db_events }
    }

    /// [`Clients::queue_write`].
    #[inline]
    pub fn queue_write(&mut self, fd: i32) {
        self.clients.queue_write(fd);
    }
}

impl ServerState {
    /// Memory that `used_memory` includes but eviction must not count (`mem_not_counted_for_evict`, Redis's
    /// `freeMemoryGetNotCountedMemory`): the AOF buffer's bytes and what replication holds beyond the backlog.
    /// Eviction compares `crate::alloc::used_memory() - srv.mem_not_counted_for_evict()` with `maxmemory`.
    pub fn mem_not_counted_for_evict(&self) -> u64 {
        self.prop.aof.as_ref().map_or(0, |w| w.buffer_alloc_bytes() as u64) + self.replica_buffer_bytes()
    }

    /// Bytes to free to get back under `maxmemory`, or None when under it or with no limit (Redis's
    /// `getMaxmemoryState`): `used_memory` less [`ServerState::mem_not_counted_for_evict`], against `maxmemory`.
    pub fn memory_to_free(&self) -> Option<u64> {
        let max = self.config.maxmemory;
        if max == 0 {
            return None;
        }
        let reported = crate::alloc::used_memory();
        if reported <= max {
            return None;
        }
        let used = reported.saturating_sub(self.mem_not_counted_for_evict());
        (used > max).then(|| used - max)
    }

    /// Replication memory eviction leaves out: the shared buffer beyond `repl-backlog-size` (and its blocks'
    /// overhead), as Redis counts it (evicting keys cannot shrink what a slow replica has yet to read, and the
    /// DELs eviction adds would only grow it), plus the replica clients' own output (payload windows, which
    /// Redis writes without buffering).
    pub fn replica_buffer_bytes(&self) -> u64 {
        let mut n = 0u64;
        if let Some(b) = self.repl.backlog.as_ref() {
            let size = crate::state::repl::backlog::configured_size(&self.config);
            let counted = size + (size / (16 * 1024) + 1) * crate::state::repl::backlog::BLOCK_OVERHEAD;
            n += b.mem().saturating_sub(counted) as u64;
        }
        for r in &self.repl.replicas {
            if let Some(Some(c)) = self.clients.by_fd.get(r.fd as usize) {
                if c.state.id == r.id {
                    n += c.state.reply.buf.capacity() as u64;
                }
            }
        }
        n
    }

    /// Records the forked child (or its end) and applies the hash tables' resize policy at once: while a child
    /// shares our pages, tables only grow when forced, so copy-on-write stays small (Redis's
    /// `updateDictResizePolicy`).
    pub fn set_child(&mut self, pid: Option<i32>) {
        self.persist.child_pid = pid;
        if let (Some(_), Some(c)) = (pid, self.persist.child.as_mut()) {
            c.keys_total = self.dbs.iter().map(|d| d.len() as u64).sum();
        }
        let allowed = pid.is_none();
        for db in self.dbs.iter_mut() {
            db.set_resize_allowed(allowed);
        }
        crate::keyspace::dict::set_collections_resize_allowed(allowed);
    }

    /// What an RDB save records about replication (`rdbPopulateSaveInfo`): (replid, offset, stream db), or None
    /// when there is nothing to continue from.
    pub fn repl_save_info(&self) -> Option<(String, i64, i64)> {
        let r = &self.repl;
        if !r.is_replica() && r.backlog.is_some() {
            let db = self.prop.repl.as_ref().map_or(0, |f| f.selected_db.max(0));
            return Some((self.repl.replid.clone(), r.master_repl_offset, db));
        }
        if r.is_replica() && (r.master_client.is_some() || r.can_continue) {
            let db = r
                .master_client
                .and_then(|(id, fd)| {
                    self.clients.by_fd.get(fd as usize).and_then(|c| c.as_ref()).filter(|c| c.state.id == id)
                })
                .map_or(r.master_db, |c| c.state.db);
            return Some((self.repl.replid.clone(), r.master_repl_offset, db as i64));
        }
        None
    }

    /// SAVE (also SHUTDOWN and FLUSHALL): saves in this process; resets `dirty` and `lastsave` on success.
    pub fn save_now(&mut self) -> bool {
        let mut cx = crate::persist::engine::SaveContext::now(&self.config, self.lru_clock);
        cx.repl = self.repl_save_info();
        cx.functions = self.functions.ctx.codes();
        for db in &mut self.dbs {
            db.prepare_save();
        }
        let r = self.persist.save_sync(&self.dbs, &cx);
        if r.is_ok() {
            self.persist.dirty = 0;
            self.persist.lastsave_s = crate::util::now_ms() / 1000;
        }
        r.is_ok()
    }

    /// Starts a background save now (BGSAVE, save points, a scheduled BGSAVE).
    pub fn start_bgsave(&mut self) -> Result<i32, String> {
        let dirty = self.persist.dirty;
        let mut cx = crate::persist::engine::SaveContext::now(&self.config, self.lru_clock);
        cx.repl = self.repl_save_info();
        cx.functions = self.functions.ctx.codes();
        let r = self.persist.bgsave(&self.dbs, &cx, dirty);
        if let Ok(pid) = r {
            self.set_child(Some(pid));
        } else {
            self.persist.stats.last_bgsave_ok = false;
        }
        r
    }

    /// DEBUG RELOAD: saves the RDB (unless `nosave`), empties the dataset (unless `noflush`) and loads the file
    /// back. `merge` lets loaded keys replace existing ones instead of failing on duplicates.
    pub fn debug_reload(&mut self, nosave: bool, noflush: bool, merge: bool) -> Result<(), &'static str> {
        if !nosave && !self.save_now() {
            return Err("ERR");
        }
        if !noflush {
            self.empty_data(None, Emptying::Refill);
            self.functions.flush();
        }
        let path = crate::persist::engine::rdb_path(&self.config);
        let mut opts = crate::persist::engine::load_options(&self.config, crate::util::now_ms(), self.lru_clock);
        opts.allow_dup = merge;
        let loaded = crate::persist::rdb::load_file(&path, &mut self.dbs, &opts).and_then(|st| {
            self.functions
                .load_from_rdb(&st.functions, merge)
                .map_err(|e| crate::persist::rdb::RdbError::new(st.bytes_read, format!("Failed loading library, {e}")))
        });
        match loaded {
            Ok(()) => {
                crate::log_warning!("DB reloaded by DEBUG RELOAD");
                Ok(())
            }
            Err(e) => {
                // Redis's reports in a command's context (no progress counter here: offset 0).
                let r = crate::persist::rdb::report::report(&e, crate::persist::rdb::report::Source::Command, 0);
                for (level, line) in &r.lines {
                    crate::log_at!(*level, "{line}");
                }
                Err("ERR Error trying to load the RDB dump")
            }
        }
    }

    // --- The single-key door -----------------------------------------------------------------------------------

    /// Key `key` of database `db` changed (set, overwritten, deleted, expired, evicted, renamed, moved, restored):
    /// counts `changes` towards `dirty`, invalidates WATCHes of the key (Redis's `signalModifiedKey`), wakes clients
    /// blocked on it and invalidates it for client-side caching (`by`: the id of the client whose command changed it, 0
    /// for the server's own expiry and eviction; BCAST's NOLOOP reads it). Handlers reach it by settling a
    /// `command::KeyWrite` (`Ctx::changed`, `Ctx::settle`); expiry and eviction through
    /// [`notify::drain_queues`], which turns the databases' queued deletions into calls here; the server's own
    /// writes outside any command (active expiry of hash fields, a lost slot's keys, the keyspace-events stream) call
    /// it directly, and `tests/layers.rs`
    /// (`single_key_changes_are_reported_from_known_places`) holds the list of callers. The cluster's slot index does
    /// not hang off it: [`Db`]'s insert and remove keep it.
    #[inline]
    pub fn key_changed(&mut self, db: usize, key: &[u8], changes: u64, by: u64) {
        self.persist.dirty += changes;
        if !self.watches.is_empty() {
            if let Some(d) = self.dbs.get(db) {
                self.watches.touch(db, d, key);
            }
        }
        if self.blocking.any_waiting() {
            self.blocking.signal(db, key);
        }
        if !self.tracking.is_idle() {
            self.tracking.invalidate_key(key, by, true);
        }
    }

    // --- The door for whole databases -------------------------------------------------------------------------
    // Every change that replaces or removes a database's contents at once goes through these three (single keys
    // go through `key_changed` above): WATCH is settled here, before the change, and nowhere else.

    /// Empties database `which`, or all of them (Redis's `emptyData`): FLUSHDB, FLUSHALL, DEBUG RELOAD,
    /// DEBUG LOADAOF, a replica's full sync. Watched keys present in an emptied database are touched first
    /// (Redis's `touchAllWatchedKeysInDb`) and every tracking client is told to drop its whole cache (Redis's
    /// `trackingInvalidateKeysOnFlush`), then the tables are freed as `how` says. Returns the keys removed.
    pub fn empty_data(&mut self, which: Option<usize>, how: Emptying) -> u64 {
        let range = match which {
            Some(i) if i < self.dbs.len() => i..i + 1,
            Some(_) => return 0,
            None => 0..self.dbs.len(),
        };
        self.tracking.invalidate_all();
        let now = self.now_ms;
        let mut removed = 0u64;
        let mut tables = Vec::new();
        for i in range {
            self.watches.touch_all_in_db(i, &self.dbs[i], None, now);
            self.blocking.signal_deleted_streams(i, &self.dbs[i], None);
            let db = &mut self.dbs[i];
            removed += db.len() as u64;
            match how {
                Emptying::Lazy => tables.push(db.take_keys()),
                Emptying::Sync | Emptying::Refill => db.clear(),
            }
        }
        match how {
            Emptying::Lazy => self.lazyfree.free_keys(tables),
            Emptying::Sync => {
                crate::keyspace::lazyfree::purge();
            }
            Emptying::Refill => {}
        }
        removed
    }

    /// SWAPDB: databases `a` and `b` trade contents. Watched keys present in either are touched (each side as
    /// emptied and replaced by the other), and clients blocked on keys that now hold data are served.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        if a == b || a >= self.dbs.len() || b >= self.dbs.len() {
            return;
        }
        let now = self.now_ms;
        let ServerState { watches, dbs, .. } = self;
        watches.touch_all_in_db(a, &dbs[a], Some(&dbs[b]), now);
        watches.touch_all_in_db(b, &dbs[b], Some(&dbs[a]), now);
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = dbs.split_at_mut(hi);
        left[lo].swap_data(&mut right[0]);
        // Every waited-on key of both: that also covers XREADGROUP waiters whose stream went away.
        self.blocking.signal_db(a);
        self.blocking.signal_db(b);
    }

    /// Makes `dbs` the dataset and returns the previous one (a replica's full sync into fresh databases); watched
    /// keys present in either are touched, and tracking clients drop their caches.
    pub fn replace_dbs(&mut self, mut dbs: Vec<Db>) -> Vec<Db> {
        let now = self.now_ms;
        self.tracking.invalidate_all();
        for (i, (a, b)) in self.dbs.iter().zip(dbs.iter()).enumerate() {
            self.watches.touch_all_in_db(i, a, Some(b), now);
            self.blocking.signal_deleted_streams(i, a, Some(b));
        }
        std::mem::swap(&mut self.dbs, &mut dbs);
        dbs
    }

    /// Makes `dbs`, loaded while the dataset was empty, the dataset (a replica's full sync from disk, or from the
    /// socket into empty databases) and returns the previous, empty, databases. WATCH is not touched: the emptying
    /// before the load did that (for the keys present then), and Redis's load writes into the emptied databases
    /// without signalling keys, so a watched key that only the loaded data holds does not fail EXEC.
    pub fn install_loaded_dbs(&mut self, mut dbs: Vec<Db>) -> Vec<Db> {
        std::mem::swap(&mut self.dbs, &mut dbs);
        dbs
    }

    /// `DEL`, or `UNLINK` with `lazyfree-lazy-expire`: how a deletion the server decides on (expiry) is
    /// propagated (Redis's `propagateDeletion`).
    pub fn expire_del_verb(&self) -> &'static [u8] {
        if self.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        }
    }

    /// Steps 1 and 2 of [`notify::drain_queues`]: the big values the databases let go of freed, the keys expiry
    /// and eviction deleted signalled and propagated.
    #[cold]
    pub fn drain_deletions(&mut self, standalone: bool) {
        for i in 0..self.dbs.len() {
            for (e, why) in self.dbs[i].take_garbage() {
                match why {
                    crate::keyspace::db::Freed::Expired if self.config.lazyfree_lazy_expire => {
                        self.lazyfree.free_entry(e)
                    }
                    crate::keyspace::db::Freed::Overwritten if self.config.lazyfree_lazy_server_del => {
                        self.lazyfree.free_entry(e)
                    }
                    // Freeing an expired value is the latency monitor's `expire-del` event.
                    crate::keyspace::db::Freed::ExpiredByCommand if self.config.lazyfree_lazy_expire => {
                        self.lazyfree.free_entry(e)
                    }
                    crate::keyspace::db::Freed::Expired => crate::latency::timed("expire-del", || drop(e)),
                    crate::keyspace::db::Freed::Overwritten | crate::keyspace::db::Freed::ExpiredByCommand => drop(e),
                }
            }
            let keys = self.dbs[i].take_deletions();
            if keys.is_empty() {
                continue;
            }
            for (k, why) in &keys {
                let verb = match why {
                    crate::keyspace::db::Deletion::Expired => self.expire_del_verb(),
                    crate::keyspace::db::Deletion::Evicted => crate::state::evict::pool::del_verb(&self.config),
                };
                // No `dirty` for expiry or eviction, as Redis's deleteExpiredKeyAndPropagate and performEvictions.
                self.key_changed(i, k, 0, 0);
                self.prop.also(i, &[verb, k.as_slice()], crate::propagate::TARGET_ALL);
                if standalone {
                    self.prop.flush_unit();
                }
            }
            // Keep the allocation when it is small.
            self.dbs[i].recycle_deletions(keys);
        }
    }
}

/// Longest time a pub/sub message waits for more messages to the same subscriber while the server is busy. An idle
/// server writes at once; a saturated one still sends within this bound (Redis's own latency under such load is one
/// event-loop pass, of the same order).
pub const PUSH_COALESCE: std::time::Duration = std::time::Duration::from_micros(500);

pub use crate::keyspace::object::LRU_CLOCK_RESOLUTION_MS;

/// The 24-bit LRU clock for a wall-clock time.
/// `cluster-databases` (Valkey 9.0): how many databases a cluster node serves; 1 keeps Redis 7.0's cluster mode
/// (database 0 only, SELECT / MOVE / COPY ... DB refused).
pub fn cluster_databases(config: &Config) -> usize {
    usize::try_from(config.stored_i64("cluster-databases")).unwrap_or(1).max(1)
}

/// The databases a server keeps: `databases`, or `cluster-databases` on a cluster node that serves more than one
/// (Valkey 9.0: then `databases` is not used).
pub fn db_count(config: &Config) -> usize {
    let n = cluster_databases(config);
    if n > 1 && config.stored_bool("cluster-enabled") {
        n
    } else {
        config.databases.max(1)
    }
}

pub fn lru_clock_at(now_ms: i64) -> u32 {
    ((now_ms / LRU_CLOCK_RESOLUTION_MS) as u32) & crate::keyspace::object::LRU_MASK
}

/// `n` random lowercase hex digits.
pub fn random_hex(rng: &mut Rng, n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..n).map(|_| HEX[(rng.next_u64() & 15) as usize] as char).collect()
}
