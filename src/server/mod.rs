//! The server: listeners, connections, the read → parse → dispatch → reply cycle, and the cron.
//!
//! This file holds the [`Server`] and its event handler (what the loop calls, and the work before each sleep);
//! the rest is in parts: `startup.rs` (process set-up, listeners, [`startup::start`]), `clients.rs` (accepting,
//! reading, parsing, writing, output limits), `cron.rs` (the cron), `call.rs` (the call path every command
//! takes), and one file per feature's I/O.
//!
//! # Flow of one loop iteration (see [`crate::event_loop`])
//! 1. `before_sleep`: fast expire cycle, then every client in the pending-writes list gets its reply written
//!    straight to the socket (Redis's `handleClientsWithPendingWrites`). Only a client whose write would block gets
//!    a WRITABLE registration, dropped again once its output is drained.
//! 2. poll.
//! 3. Readable listener: accept up to 1000 connections. Readable client: one read (16 KiB or the rest of a big
//!    argument) into its query ring, then parse → dispatch → consume while complete commands are buffered (pipelining);
//!    the client joins the pending-writes list if it has output. When the first buffered command has a cache warm-up
//!    ([`Command::prefetch`](crate::command_spec::Command::prefetch): the filter commands), the batch is parsed ahead
//!    first and every command's memory starts loading before the first runs (`prefetch.rs`).
//! 4. Timer: the cron at `hz`.
//!
//! # Ownership during a command
//! A client lives in `state.clients.by_fd[fd]`. While its input is processed it is taken out of its slot (so the
//! handler gets `&mut ClientState` and `&mut ServerState` without aliasing) and put back afterwards. Handlers that
//! reach other clients through `state.clients.by_fd` never see the running one there.
//!
//! # Protected mode
//! As Redis 7.0: with `protected-mode yes` and no password, a TCP peer other than exactly 127.0.0.1 or ::1 (the
//! address text is compared, so 127.0.0.2 is remote) gets the `-DENIED` text and is closed, counted in
//! `rejected_connections` only; `bind` does not matter, and the default `bind` is Redis's compiled-in `* -::*`.
//! The same notion of "local" gates `enable-protected-configs`, `enable-debug-command` and
//! `enable-module-command` set to `local`.
//!
//! Tested end to end by tests/protocol/net_*.rs (real binary, raw RESP over TCP and unix sockets).

use crate::command::{self, Args};
use crate::config::Config;
use crate::event_loop::{EventHandler, EventLoop, TimerNext};
use crate::net::io_loops;
use crate::resp::reply::Reply;
use crate::state::evict::clients as client_evict;
use crate::state::repl::link::ReplLink as _;
use crate::state::ServerState;
use crate::sys::poller::Interest;
use crate::sys::socket;
use std::os::fd::{AsRawFd, RawFd};

mod acl;
mod aof;
mod blocking;
mod call;
mod clients;
mod cluster;
mod cron;
#[cfg(any(test, feature = "test-harness"))]
mod detached;
mod io_home;
mod persist;
mod prefetch;
mod scripting;
mod sentinel;
mod shutdown;
pub mod startup;

/// Highest cron frequency (Redis's `CONFIG_MAX_HZ`).
const CONFIG_MAX_HZ: i64 = 500;
/// With dynamic hz, the cron runs faster once there are more clients than this per tick.
const MAX_CLIENTS_PER_CLOCK_TICK: i64 = 200;
/// Argument-table entries a client keeps between commands (the cron releases a bigger table).
const SPANS_KEEP: usize = 1024;

/// Connections accepted per readable event on a listener (Redis's `MAX_ACCEPTS_PER_CALL`).
const MAX_ACCEPTS_PER_CALL: usize = 1000;
/// Ready descriptors handled per poll.
const MAX_EVENTS: usize = 1024;
/// Unauthenticated clients may not announce more arguments or longer bulks than this (Redis 7.0.15).
const UNAUTH_MAX_MULTIBULK_LEN: i64 = 10;
const UNAUTH_MAX_BULK_LEN: i64 = 16384;
/// Slowlog argument truncation (Redis's `SLOWLOG_ENTRY_MAX_ARGC` / `SLOWLOG_ENTRY_MAX_STRING`).
const SLOWLOG_ENTRY_MAX_ARGC: usize = 32;
const SLOWLOG_ENTRY_MAX_STRING: usize = 128;
/// An idle reply buffer bigger than this is given back to the allocator.
const REPLY_BUF_KEEP: usize = 16 * 1024;
/// A drained reply buffer above this capacity is released right away rather than at the next cron trim.
const REPLY_BUF_SHRINK_NOW: usize = 1024 * 1024;

/// Sent to non-loopback clients when protected mode is on and no password is set (Redis's exact text).
const PROTECTED_MODE_DENIED: &[u8] =
    b"-DENIED Redis is running in protected mode because protected mode is enabled and \
no password is set for the default user. In this mode connections are only accepted from the loopback interface. If \
you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis \
from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do \
so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by \
editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a \
an authentication password for the default user. NOTE: You only need to do one of the above things in order for the \
server to start accepting connections from the outside.\r\n";

mod tx_pause;
use tx_pause::PauseTracker;

pub struct Server {
    pub state: ServerState,
    /// Connected clients, the running one included.
    connected: usize,
    /// The top-level command being run, as an error from our master's stream names it (`<unknown>` when the
    /// name did not resolve; Redis's `lastcmd`).
    errors_cmd: &'static str,
    cron_loops: u64,
    /// Next client slot the cron's buffer pass visits (see `clients_cron`).
    client_cursor: usize,
    /// Path of the pid file we wrote, removed at shutdown.
    pidfile: Option<String>,
    /// Set when the loop must end, with the process exit code.
    exit_code: Option<i32>,
    /// Cron frequency in effect (`hz`, raised by dynamic-hz with many clients).
    hz: i64,
    /// Scratch vector for the pending-writes pass (swapped with `state.clients.pending_write`).
    writes_scratch: Vec<RawFd>,
    /// What the I/O threads' event loops sent that could not be handled at once (it arrived while a command
    /// called every client home): handled at the start of the next `before_sleep` (see [`io_loops`]).
    io_backlog: std::collections::VecDeque<io_home::Late>,
    /// Clients back from an I/O thread (or new) whose next home is decided before sleeping: out again, or
    /// watched by this thread's poller.
    io_arrived: Vec<RawFd>,
    /// The I/O threads' mailbox contents being taken in (kept for its allocation).
    io_inbox: Vec<io_loops::FromLoop>,
    /// CLIENT PAUSE bookkeeping (see the "client pause" section).
    pause: PauseTracker,
    /// Counters of consecutive calls of one command not yet added to `commandstats`: a run of pipelined GETs costs
    /// one hash lookup instead of one per call. Flushed before any other command runs and before sleeping.
    pending_stat: Option<PendingStat>,
    /// Depth of `call_with` (EXEC's queued commands run at depth 2): propagation flushes at depth 0.
    nesting: u32,
    /// The client's reply length when the running top-level call began (HOTKEYS' bytes of EXEC's commands).
    reply_start: usize,
    /// The command table (see [`command::table`]).
    commands: &'static command::CommandTable,
    /// The AOF's directory and manifest (see `server/aof.rs`).
    aof_files: Option<aof::AofFiles>,
    /// The event loop of the command being dispatched, for a busy script to serve other clients meanwhile (see
    /// `server/scripting.rs`); set and reset by `dispatch`.
    busy_loop: Option<*mut EventLoop>,
    /// The role the OOM score was last set for (`oom-score-adj`): true for a replica.
    oom_replica: bool,
    /// Sentinel mode's timer (see `server/sentinel.rs`).
    sentinel_timer: Option<u64>,
    /// The I/O threads that write replies (`io-threads` above 1 with `io-threads-do-reads no`; see
    /// [`crate::net::io_threads`]). INFO sees only whether they are in use (`state.clients.io_threads_active`).
    io: Option<crate::net::io_threads::IoThreads>,
    /// The I/O threads' own event loops (`io-threads` above 1 with `io-threads-do-reads yes`; see
    /// [`crate::net::io_loops`]).
    io_loops: Option<crate::net::io_loops::IoLoops>,
}

/// How [`Server::call_with`] counts a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallMode {
    /// A command run (by a client, EXEC, the master's stream, the AOF): counted, timed, logged, monitored.
    Call,
    /// A blocked client's command run again for a ready key: counted when it blocked, so only its
    /// unblocking statistics (see [`Server::stats_on_unblock`]).
    Served,
}

struct PendingStat {
    name: &'static str,
    calls: u64,
    usec: u64,
    failed: u64,
}

/// An error reply from raw bytes (user input may not be UTF-8): like [`Reply::error`], CR/LF become spaces and the
/// code word is recorded for errorstats.
fn error_bytes(reply: &mut Reply, msg: &[u8]) {
    let word_end = msg.iter().position(|&b| b == b' ').unwrap_or(msg.len());
    let mut prefix = [0u8; 24];
    let n = word_end.min(prefix.len());
    prefix[..n].copy_from_slice(&msg[..n]);
    reply.error_prefixes.push(prefix);
    if !reply.enabled {
        reply.dropped_error = Some(msg.to_vec());
        return;
    }
    let mut line = Vec::with_capacity(msg.len() + 3);
    line.push(b'-');
    line.extend(msg.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    line.extend_from_slice(b"\r\n");
    reply.raw_bytes(&line);
}

pub use crate::util::repr_into;

/// One MONITOR line (without the leading `+` and trailing CRLF): `1669111111.123456 [0 127.0.0.1:1234] "get" "k"`.
pub fn monitor_line(now_us: i64, db: usize, peer: &str, args: Args) -> Vec<u8> {
    let mut out =
        format!("{}.{:06} [{} {}]", now_us.div_euclid(1_000_000), now_us.rem_euclid(1_000_000), db, peer).into_bytes();
    for (j, a) in args.iter().enumerate() {
        out.push(b' ');
        // Secrets (AUTH, HELLO AUTH, ACL SETUSER, MIGRATE AUTH) never reach MONITOR, as Redis redacts them.
        repr_into(&mut out, if crate::crash_report::is_redacted(args, j) { b"(redacted)" } else { a });
    }
    out
}

/// The slot of a command from our master, for CLUSTER SLOT-STATS: its first key's, -1 without keys.
fn master_command_slot(args: Args) -> i32 {
    let Some(cmd) = crate::command_spec::lookup(args.get(0)) else { return -1 };
    match cmd.key_positions(args).first() {
        Some(&i) if i < args.len() => crate::cluster::key_hash_slot(args.get(i)) as i32,
        _ => -1,
    }
}

/// A slowlog entry's copy of the arguments, truncated like Redis.
fn slowlog_args(args: Args) -> Vec<Vec<u8>> {
    let argc = args.len().min(SLOWLOG_ENTRY_MAX_ARGC);
    let mut v = Vec::with_capacity(argc);
    for j in 0..argc {
        if argc != args.len() && j == argc - 1 {
            v.push(format!("... ({} more arguments)", args.len() - argc + 1).into_bytes());
            break;
        }
        let a: &[u8] = if crate::crash_report::is_redacted(args, j) { b"(redacted)" } else { args.get(j) };
        if a.len() > SLOWLOG_ENTRY_MAX_STRING {
            let mut t = a[..SLOWLOG_ENTRY_MAX_STRING].to_vec();
            t.extend_from_slice(format!("... ({} more bytes)", a.len() - SLOWLOG_ENTRY_MAX_STRING).as_bytes());
            v.push(t);
        } else {
            v.push(a.to_vec());
        }
    }
    v
}

use crate::sys::error_text as os_error_text;

/// The event loop's busy-poll bound from `busy-poll-us`.
/// With the I/O threads' loops the main thread does not poll the clients' sockets: spinning would only burn its
/// time.
fn busy_poll_bound(config: &Config, io_loops: bool) -> std::time::Duration {
    let us = if io_loops { 0 } else { config.busy_poll_us.clamp(0, 1000) as u64 };
    std::time::Duration::from_micros(us)
}

/// What the features in `state/` that need the loop may ask of it (see [`crate::state::host`]).
impl crate::state::host::Host for Server {
    fn state(&mut self) -> &mut ServerState {
        &mut self.state
    }
    fn state_ref(&self) -> &ServerState {
        &self.state
    }
    fn free_client_by_fd(&mut self, el: &mut EventLoop, fd: RawFd) {
        Server::free_client_by_fd(self, el, fd)
    }
    fn adopt_client(&mut self, el: &mut EventLoop, mut c: Box<crate::net::client::Client>) {
        self.connected += 1;
        if !c.query.is_empty() {
            self.process_input(el, &mut c);
        }
        self.put_client(c);
    }
    fn disconnect_all_blocked(&mut self) {
        Server::disconnect_all_blocked(self)
    }
    fn running_command_name(&self) -> &'static str {
        self.errors_cmd
    }
    fn sync_oom_role(&mut self, force: bool) {
        Server::sync_oom_role(self, force)
    }
    fn tcp_port(&self) -> Option<u16> {
        Server::tcp_port(self)
    }
    fn start_append_only(&mut self, in_exec: bool) {
        Server::start_append_only(self, in_exec)
    }
    fn stop_append_only(&mut self) {
        Server::stop_append_only(self)
    }
    fn begin_loading(&mut self, total_bytes: u64) {
        Server::begin_loading(self, total_bytes)
    }
    fn end_loading(&mut self) {
        Server::end_loading(self)
    }
    fn log_load_done(&mut self, st: &crate::persist::rdb::LoadStats) {
        Server::log_load_done(self, st)
    }
    fn log_load_failure(&self, e: &crate::persist::rdb::RdbError, source: crate::persist::rdb::report::Source) -> bool {
        Server::log_load_failure(self, e, source)
    }
    fn loading_progress(&mut self, el: &mut EventLoop, loaded_bytes: u64, last_events_at: &mut u64) {
        Server::loading_progress(self, el, loaded_bytes, last_events_at)
    }
    fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }
}

impl EventHandler for Server {
    fn file_event(&mut self, el: &mut EventLoop, fd: RawFd, ready: Interest) {
        if self.io_loops.as_ref().is_some_and(|l| l.wake_fd() == fd) {
            self.io_drain(el);
            return;
        }
        if let Some(l) = self.state.listeners.list.iter().find(|l| l.fd.as_raw_fd() == fd) {
            let (unix, tls) = (l.unix, l.tls);
            self.accept(el, fd, unix, tls);
            return;
        }
        if self.state.repl.link.as_ref().is_some_and(|l| l.sock.as_raw_fd() == fd) {
            self.repl_link_event(el, ready);
            return;
        }
        if self.state.cluster.is_some() && self.cluster_file_event(el, fd, ready) {
            return;
        }
        if self.state.sentinel.is_some() && self.sentinel_file_event(el, fd, ready) {
            return;
        }
        if self.state.repl.rdb_pipe.as_ref().is_some_and(|p| p.as_raw_fd() == fd) {
            self.repl_pipe_readable(el);
            return;
        }
        if ready.is_readable() {
            self.read_from_client(el, fd);
        } else if ready.is_writable() {
            if let Some(c) = self.take_client(fd) {
                if let Some(c) = self.write_to_client(el, c) {
                    self.put_client(c);
                }
            }
        }
    }

    fn time_event(&mut self, el: &mut EventLoop, id: u64) -> TimerNext {
        // Timers wait while a busy script lets clients in (only file events are served then).
        if self.state.scripting.is_timedout() {
            return TimerNext::After(10);
        }
        if self.state.repl.bulk_timer == Some(id) {
            // Its work happens in before_sleep (repl_bulk_pump); it only kept the loop from sleeping.
            self.state.repl.bulk_timer = None;
            return TimerNext::Stop;
        }
        if self.state.evict.timer == Some(id) {
            return if crate::state::evict::time_proc(&mut self.state) { TimerNext::After(0) } else { TimerNext::Stop };
        }
        if let Some(next) = self.blocking_timer_fired(id) {
            return next;
        }
        if let Some(next) = self.pause_timer_event(id) {
            return next;
        }
        if let Some(next) = self.sentinel_timer_fired(el, id) {
            return next;
        }
        self.cron(el)
    }

    fn after_sleep(&mut self, _el: &mut EventLoop) {
        self.state.stats.el.cycle_started(crate::util::now_us());
    }

    fn before_sleep(&mut self, el: &mut EventLoop) {
        self.before_sleep_work(el);
        self.state.stats.el.cycle_ended(crate::util::now_us());
    }

    fn has_deferred_work(&self) -> bool {
        !self.state.clients.pending_push.is_empty()
    }

    fn has_sliced_work(&self) -> bool {
        // Not while a script runs past its time limit: `before_sleep` then only writes replies.
        (crate::state::expire::rehash_pending(&self.state) || crate::state::expire::expire_slice_pending(&self.state))
            && !self.state.scripting.is_timedout()
    }

    fn before_block(&mut self, el: &mut EventLoop) {
        self.flush_pending_pushes(el);
    }
}

impl Server {
    /// Everything before the loop waits (Redis's `beforeSleep`).
    fn before_sleep_work(&mut self, el: &mut EventLoop) {
        self.io_late(el);
        self.flush_command_stats();
        // Serving clients from inside a busy script (Redis's ProcessingEventsWhileBlocked): only write replies
        // and the AOF; nothing that touches the dataset.
        if self.state.scripting.is_timedout() {
            self.aof_flush(false);
            self.io_settle(el);
            self.handle_pending_writes(el);
            self.io_wake();
            return;
        }
        // Redis acts on a signal, and on replicas that caught up, in its cron only, so DEBUG PAUSE-CRON holds them
        // back (SHUTDOWN ABORT may then cancel); acting here too only makes the exit prompter.
        if !self.state.debug.pause_cron && self.shutdown_cron(el) {
            return;
        }
        self.pause_before_sleep(el);
        // An eviction that hit its time limit (or a new maxmemory) continues in a timer between passes (Redis's
        // evictionTimeProc).
        if crate::state::evict::before_sleep(&mut self.state) {
            self.state.evict.timer = Some(el.add_timer(0));
        }
        // The fast cycle only has work when some key has a TTL; skipping it saves its clock reads per iteration.
        if crate::state::expire::expire_slice_pending(&self.state) {
            // A slice of the cron's slow cycle (see `state::expire::SLOW_MAX_US`) in the fast cycle's place, so
            // that its deletions reach replicas, the AOF and tracking clients in this pass.
            crate::latency::timed("expire-cycle", || crate::state::expire::expire_slice(&mut self.state));
        } else if self.state.active_expire_enabled
            && !self.state.persist.stats.loading
            && !self.state.repl.is_replica()
            && self.state.dbs.iter().any(|d| d.expires_len() > 0 || d.has_field_ttls())
        {
            let started = (crate::latency::threshold_ms() > 0).then(std::time::Instant::now);
            crate::state::expire::active_expire_cycle(&mut self.state, true);
            if let Some(t) = started {
                crate::latency::add_sample_if_needed("expire-cycle", t.elapsed().as_millis() as u64);
            }
        }
        self.repl_before_sleep(el);
        if self.state.cluster.is_some() {
            self.cluster_before_sleep(el);
        }
        self.blocking_before_sleep(el);
        if self.state.clients.mem.over(client_evict::limit_bytes(&self.state.config)) {
            self.evict_clients(el, None);
        }
        // Client-side caching: BCAST invalidations of this pass, and messages that waited for their client.
        if self.state.tracking.has_work() {
            crate::state::tracking::before_sleep(&mut self.state);
        }
        crate::state::repl::drain_feed(&mut self.state, None);
        // What this pass changed reaches the AOF (and with `always` the disk) before any reply goes out.
        self.aof_flush(false);
        // With `always`, also a reply drained by a write event after its command was read in the same iteration
        // must wait for the next flush: writes go before reads (Redis's AE_BARRIER).
        el.set_write_barrier(
            self.state
                .prop
                .aof
                .as_ref()
                .is_some_and(|w| w.config().fsync == crate::persist::aof::writer::FsyncPolicy::Always),
        );
        self.io_settle(el);
        self.handle_pending_writes(el);
        self.io_wake();
        self.repl_pipe_interest(el);
        if !self.state.clients.pending_push.is_empty()
            && self.state.clients.pending_push_since.elapsed() >= crate::state::PUSH_COALESCE
        {
            self.flush_pending_pushes(el);
        }
        // A slice of the cron's rehash grant, after this pass's replies went out (see `state::expire::rehash_slice`).
        if crate::state::expire::rehash_pending(&self.state) {
            crate::latency::timed("dict-cron", || crate::state::expire::rehash_slice(&mut self.state));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::OwnedArgs;

    #[test]
    fn repr_escapes_like_sdscatrepr() {
        let mut out = Vec::new();
        repr_into(&mut out, b"a\"b\\c\r\n\t\x07\x08\x00\xff ~");
        assert_eq!(out, br#""a\"b\\c\r\n\t\a\b\x00\xff ~""#.to_vec());
    }

    #[test]
    fn monitor_line_format() {
        let a = OwnedArgs::from_slices(&["set", "k", "v v"]);
        let line = monitor_line(1_669_111_111_000_123, 3, "127.0.0.1:5555", a.args());
        assert_eq!(line, br#"1669111111.000123 [3 127.0.0.1:5555] "set" "k" "v v""#.to_vec());
    }

    #[test]
    fn slowlog_truncation() {
        let big = "y".repeat(130);
        let mut items: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        items[1] = big;
        let a = OwnedArgs::from_slices(&items);
        let v = slowlog_args(a.args());
        assert_eq!(v.len(), 32);
        assert_eq!(v[1], format!("{}... (2 more bytes)", "y".repeat(128)).into_bytes());
        assert_eq!(v[31], b"... (9 more arguments)".to_vec());
        let a = OwnedArgs::from_slices(&["get", "k"]);
        assert_eq!(slowlog_args(a.args()), vec![b"get".to_vec(), b"k".to_vec()]);
    }

    #[test]
    fn error_bytes_records_prefix_and_sanitizes() {
        let mut r = Reply::new();
        error_bytes(&mut r, b"ERR a\r\nb");
        assert_eq!(r.pending(), b"-ERR a  b\r\n");
        assert_eq!(&r.error_prefixes[0][..4], b"ERR\0");
        r.enabled = false;
        error_bytes(&mut r, b"NOAUTH x");
        assert_eq!(r.error_prefixes.len(), 2);
        assert_eq!(r.pending(), b"-ERR a  b\r\n");
    }
}
