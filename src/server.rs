//! The server: listeners, connections, the read → parse → dispatch → reply cycle, and the cron.
//!
//! # Flow of one loop iteration (see [`crate::event_loop`])
//! 1. `before_sleep`: fast expire cycle, then every client in the pending-writes list gets its reply written
//!    straight to the socket (Redis's `handleClientsWithPendingWrites`). Only a client whose write would block gets
//!    a WRITABLE registration, dropped again once its output is drained.
//! 2. poll.
//! 3. Readable listener: accept up to 1000 connections. Readable client: one read (16 KiB or the rest of a big
//!    argument) into its query ring, then parse → dispatch → consume while complete commands are buffered
//!    (pipelining); the client joins the pending-writes list if it has output.
//! 4. Timer: the cron at `hz`.
//!
//! # Ownership during a command
//! A client lives in `state.clients.by_fd[fd]`. While its input is processed it is taken out of its slot (so the handler
//! gets `&mut ClientState` and `&mut ServerState` without aliasing) and put back afterwards. Handlers that reach
//! other clients through `state.clients.by_fd` never see the running one there.
//!
//! # Protected mode
//! As Redis 7.0: with `protected-mode yes` and no password, a TCP peer other than exactly 127.0.0.1 or ::1 (the
//! address text is compared, so 127.0.0.2 is remote) gets the `-DENIED` text and is closed, counted in
//! `rejected_connections` only; `bind` does not matter, and the default `bind` is Redis's compiled-in `* -::*`.
//! The same notion of "local" gates `enable-protected-configs`, `enable-debug-command` and
//! `enable-module-command` set to `local`.
//!
//! Tested end to end by tests/net_*.rs (real binary, raw RESP over TCP and unix sockets).

use crate::command::{self, Args, Ctx};
use crate::config::Config;
use crate::event_loop::{EventHandler, EventLoop, TimerNext};
use crate::net::client::{flags, Client, ClientState};
use crate::net::client_evict::{self, Tracked};
use crate::net::listen::{self, Listener};
use crate::net::{io_loops, io_threads};
use crate::resp::parse::{Limits, Parsed, Parser, ProtoError, DEFAULT_MAX_INLINE_LEN, DEFAULT_MAX_MULTIBULK_LEN};
use crate::resp::reply::Reply;
use crate::state::ServerState;
use crate::sys::poller::Interest;
use crate::sys::process::{self, FilesLimit};
use crate::sys::socket;
use crate::{log_notice, log_verbose, log_warning};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::Ordering;

mod acl;
mod aof;
mod blocking;
mod call;
mod cluster;
#[cfg(any(test, feature = "test-harness"))]
mod detached;
mod io_home;
mod persist;
mod repl;
mod repl_load;
mod scripting;
mod sentinel;
mod shutdown;

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

use crate::state::SHUTDOWN_SIGNAL;

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

extern "C" fn on_shutdown_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: atomics, getpid, time, write.
    let previous = SHUTDOWN_SIGNAL.swap(sig, Ordering::SeqCst);
    let (msg, exit_now): (&[u8], bool) = if previous != 0 && sig == libc::SIGINT {
        (b"You insist... exiting now.", true)
    } else if sig == libc::SIGINT {
        (b"Received SIGINT scheduling shutdown...", false)
    } else {
        (b"Received SIGTERM scheduling shutdown...", false)
    };
    crate::log::log_from_signal_handler(msg);
    if exit_now {
        // A save in progress in this process leaves `temp-<pid>.rdb` behind: remove it, as Redis does.
        remove_own_temp_rdb();
        // SAFETY: _exit is async-signal-safe and never returns.
        unsafe { libc::_exit(1) };
    }
}

/// Unlinks `temp-<our pid>.rdb` in the working directory using only async-signal-safe calls (no allocation).
fn remove_own_temp_rdb() {
    let mut path = [0u8; 40];
    let mut n = 0;
    for &b in b"temp-" {
        path[n] = b;
        n += 1;
    }
    // SAFETY: getpid has no preconditions and is async-signal-safe.
    let mut pid = unsafe { libc::getpid() } as u32;
    let mut digits = [0u8; 10];
    let mut d = 0;
    loop {
        digits[d] = b'0' + (pid % 10) as u8;
        d += 1;
        pid /= 10;
        if pid == 0 {
            break;
        }
    }
    while d > 0 {
        d -= 1;
        path[n] = digits[d];
        n += 1;
    }
    for &b in b".rdb" {
        path[n] = b;
        n += 1;
    }
    // `path` is NUL-terminated: at most 5 + 10 + 4 bytes are written into 40 zeroed bytes.
    // SAFETY: `path` is a NUL-terminated string that lives across the call; unlink is async-signal-safe.
    unsafe { libc::unlink(path.as_ptr() as *const libc::c_char) };
}

fn install_signal_handlers() -> io::Result<()> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    let shutdown = SigAction::new(SigHandler::Handler(on_shutdown_signal), SaFlags::empty(), SigSet::empty());
    // SAFETY: ignoring SIGPIPE/SIGHUP is always sound; `on_shutdown_signal` only does async-signal-safe work.
    unsafe {
        sigaction(Signal::SIGPIPE, &ignore)?;
        sigaction(Signal::SIGHUP, &ignore)?;
        sigaction(Signal::SIGTERM, &shutdown)?;
        sigaction(Signal::SIGINT, &shutdown)?;
    }
    Ok(())
}

/// Starts the server with a loaded configuration and runs it until shutdown. Returns the process exit code.
pub fn start(mut config: Config) -> i32 {
    // Sentinel mode: the directives are checked (and the config file) before anything else, as Redis does. A
    // sentinel keeps no dataset: nothing is loaded at start, and SHUTDOWN never saves (`server/shutdown.rs`).
    let sentinel = if config.sentinel_mode {
        match sentinel::load(&config) {
            Ok(s) => Some(Box::new(s)),
            Err(code) => return code,
        }
    } else {
        None
    };
    crate::log::set_level(config.loglevel);
    crate::log::set_file(&config.logfile);
    if config.stored_bool("syslog-enabled") {
        crate::log::open_syslog(config.stored_str("syslog-ident"), config.stored_str("syslog-facility"));
    }
    if sentinel.is_some() {
        if let Err(code) = sentinel::check_config_file(&config) {
            return code;
        }
    }
    log_warning!("oO0OoO0OoO0Oo ferredis is starting oO0OoO0OoO0Oo");
    log_warning!(
        "ferredis version={}, bits={}, commit={}, modified={}, pid={}, just started",
        crate::config::FERREDIS_VERSION,
        usize::BITS,
        env!("FERREDIS_GIT_SHA1"),
        env!("FERREDIS_GIT_DIRTY"),
        std::process::id()
    );
    let argv: Vec<String> =
        crate::sys::proctitle::original_args().iter().map(|a| a.to_string_lossy().into_owned()).collect();
    if argv.len() <= 1 {
        log_warning!(
            "Warning: no config file specified, using the default config. In order to specify a config file use {} \
             /path/to/ferredis.conf",
            argv.first().map_or("ferredis-server", |s| s.as_str())
        );
    } else {
        log_warning!("Configuration loaded");
    }
    for w in &config.load_warnings {
        log_warning!("{w}");
    }
    // Like Redis: a supervised server stays in the foreground, whatever `daemonize` says.
    let supervised = crate::supervise::start(config.stored_str("supervised"));
    if config.daemonize && !supervised {
        if let Err(e) = process::daemonize() {
            log_warning!("Can't daemonize: {e}");
            return 1;
        }
    }
    crate::log::set_server_pid();
    crate::crash_report::install();
    crate::crash_report::raise_watchdog_period(&mut config);
    crate::crash_report::apply_config(&config, config.hz);
    if let Err(e) = install_signal_handlers() {
        log_warning!("Can't install signal handlers: {e}");
        return 1;
    }
    adjust_open_files_limit(&mut config);
    let mut el: EventLoop = match EventLoop::new(MAX_EVENTS) {
        Ok(el) => el,
        Err(e) => {
            log_warning!("Failed creating the event loop. Error message: '{e}'");
            return 1;
        }
    };
    let mut server = match Server::new(config, &mut el) {
        Ok(s) => s,
        Err(code) => return code,
    };
    server.state.sentinel = sentinel;
    // Cluster mode: nodes.conf locked and loaded (or a new node created) before the data (Redis's clusterInit).
    if server.state.config.stored_bool("cluster-enabled") && crate::state::cluster::init(&mut server.state).is_err() {
        return 1;
    }
    crate::proctitle::apply(&server.state.config);
    check_tcp_backlog(server.state.config.tcp_backlog);
    log_notice!("monotonic clock: POSIX clock_gettime");
    show_logo_or_mode(&server.state.config);
    log_warning!("Server initialized");
    if !server.cluster_init(&mut el) {
        return 1;
    }
    if server.state.sentinel.is_none() {
        if !server.load_data_at_startup(&mut el) {
            return 1;
        }
        if server.state.cluster.is_some() && crate::state::cluster::after_load(&mut server.state).is_err() {
            return 1;
        }
        server.repl_startup(&mut el);
    }
    server.sync_oom_role(true);
    if let Some(code) = server.exit_code {
        // SHUTDOWN arrived while loading.
        return code;
    }
    if server.state.listeners.has_tcp() {
        log_notice!("Ready to accept connections");
    }
    if let Some(path) = &server.state.config.unixsocket {
        log_notice!("The server is now ready to accept connections at {path}");
    }
    if !server.sentinel_start(&mut el) {
        return 1;
    }
    crate::supervise::ready(false);
    server.refresh_crash_snapshot();
    el.add_timer(1);
    if let Err(e) = el.run(&mut server) {
        log_warning!("Event loop failed: {e}");
        return 1;
    }
    server.exit_code.unwrap_or(0)
}

/// The start-up banner (Redis's `redisAsciiArt`): shown with `always-show-logo yes`, or when logging to a terminal;
/// otherwise the one-line "Running mode" notice. Tools that start a server wait for its ` PID: ` line.
fn show_logo_or_mode(c: &Config) {
    // SAFETY: isatty takes a plain descriptor.
    let tty = unsafe { libc::isatty(1) } == 1;
    let show = c.always_show_logo || (c.logfile.is_empty() && tty);
    let mode = if c.sentinel_mode {
        "sentinel"
    } else if c.stored_bool("cluster-enabled") {
        "cluster"
    } else {
        "standalone"
    };
    if !show || !crate::log::enabled(crate::config::LogLevel::Notice) {
        log_notice!("Running mode={mode}, port={}.", c.port);
        return;
    }
    let version = format!(
        "ferredis {} ({}/{}) {} bit",
        crate::config::FERREDIS_VERSION,
        env!("FERREDIS_GIT_SHA1"),
        env!("FERREDIS_GIT_DIRTY"),
        usize::BITS
    );
    let port = format!("Port: {}", c.port);
    let pid = format!("PID: {}", std::process::id());
    let running = format!("Running in {mode} mode");
    let art = [
        ("", ""),
        ("        _~^~^~_            ", ""),
        (r"    \) /  o o  \ (/        ", version.as_str()),
        ("      '_   -   _'          ", ""),
        (r"      / '-----' \          ", running.as_str()),
        ("                           ", port.as_str()),
        ("   f e r r e d i s         ", pid.as_str()),
        ("                           ", ""),
        ("   a Redis-compatible server, in Rust", ""),
        ("", ""),
    ];
    let mut out = String::new();
    for (pic, text) in art {
        out.push_str(pic);
        if !text.is_empty() {
            out.push_str("    ");
            out.push_str(text);
        }
        out.push('\n');
    }
    crate::log::write_raw(&out);
}

/// Warns when the kernel silently caps `tcp-backlog` (Redis's `checkTcpBacklogSettings`).
fn check_tcp_backlog(backlog: i32) {
    #[cfg(target_os = "linux")]
    if let Ok(text) = std::fs::read_to_string("/proc/sys/net/core/somaxconn") {
        if let Ok(somaxconn) = text.trim().parse::<i64>() {
            if somaxconn < backlog as i64 {
                log_warning!(
                    "WARNING: The TCP backlog setting of {backlog} cannot be enforced because \
                     /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}."
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = backlog;
}

/// Raises RLIMIT_NOFILE for `maxclients`, lowering `maxclients` when the system refuses (Redis's
/// `adjustOpenFilesLimit`).
fn adjust_open_files_limit(config: &mut Config) {
    let wanted = config.maxclients as u64 + process::MIN_RESERVED_FDS;
    match process::adjust_open_files_limit(config.maxclients) {
        FilesLimit::Enough => {}
        FilesLimit::Raised { old, new } => {
            log_notice!("Increased maximum number of open files to {new} (it was originally set to {old}).")
        }
        FilesLimit::Reduced { limit, error, maxclients } => {
            log_warning!(
                "You requested maxclients of {} requiring at least {} max file descriptors.",
                config.maxclients,
                wanted
            );
            log_warning!("Server can't set maximum open files to {wanted} because of OS error: {error}.");
            if maxclients < 1 {
                log_warning!(
                    "Your current 'ulimit -n' of {limit} is not enough for the server to start. Please increase \
                     your open file limit to at least {wanted}. Exiting."
                );
                std::process::exit(1);
            }
            log_warning!(
                "Current maximum open files is {limit}. maxclients has been reduced to {maxclients} to compensate \
                 for low ulimit. If you need higher maxclients increase 'ulimit -n'."
            );
            config.maxclients = maxclients;
        }
    }
}

impl Server {
    /// Opens the listeners and registers them. On failure the error has been logged; returns the exit code.
    pub fn new(config: Config, el: &mut EventLoop) -> Result<Server, i32> {
        el.set_busy_poll(busy_poll_bound(&config, false));
        // `rename-command` gives this server a table of its own (built once, for the life of the process).
        let commands: &'static command::CommandTable = if config.sentinel_mode {
            // Only what a sentinel accepts (Redis's CMD_SENTINEL), and SENTINEL, which no other table has.
            match command::CommandTable::for_sentinel(&config.rename_commands) {
                Ok(t) => Box::leak(Box::new(t)),
                Err(e) => {
                    log_warning!("Fatal error in the configuration: rename-command: {e}");
                    eprintln!("\n*** FATAL CONFIG FILE ERROR ***\n{e}");
                    return Err(1);
                }
            }
        } else if config.rename_commands.is_empty() {
            command::table()
        } else {
            match command::CommandTable::with_renames(&config.rename_commands) {
                Ok(t) => Box::leak(Box::new(t)),
                Err(e) => {
                    log_warning!("Fatal error in the configuration: rename-command: {e}");
                    eprintln!("\n*** FATAL CONFIG FILE ERROR ***\n{e}");
                    return Err(1);
                }
            }
        };
        let Ok(mut listeners) = listen::open_tcp(config.port, &config.bind, config.tcp_backlog, &mut Vec::new()) else {
            log_warning!("Failed listening on port {} (tcp), aborting.", config.port);
            return Err(1);
        };
        if let Some(path) = &config.unixsocket {
            match socket::listen_unix(path, config.unixsocketperm, config.tcp_backlog) {
                Ok(fd) => listeners.push(Listener { fd, unix: true }),
                Err(e) => {
                    log_warning!("Failed opening Unix socket: {}", os_error_text(&e));
                    return Err(1);
                }
            }
        }
        if listeners.is_empty() {
            log_warning!("Configured to not listen anywhere, exiting.");
            return Err(1);
        }
        for l in &listeners {
            if let Err(e) = el.add_interest(l.fd.as_raw_fd(), Interest::READABLE) {
                log_warning!("Unrecoverable error creating server listening file event: {e}");
                return Err(1);
            }
        }
        let pidfile = if config.daemonize || config.pidfile.is_some() {
            let path = config.pidfile.clone().unwrap_or_else(|| "/var/run/ferredis.pid".to_string());
            match process::write_pidfile(&path) {
                Ok(()) => Some(path),
                Err(e) => {
                    log_warning!("Failed to write PID file: {}", os_error_text(&e));
                    None
                }
            }
        } else {
            None
        };
        crate::latency::set_threshold_ms(config.latency_monitor_threshold);
        let acl = acl::startup_acl(&config)?;
        let threads = config.stored_i64("io-threads").clamp(1, 128) as usize;
        let do_reads = config.stored_bool("io-threads-do-reads");
        let mut state = ServerState::new(config);
        state.acl = acl;
        // Reads on the I/O threads: each has its own event loop (`net/io_loops.rs`); writes only: Redis 7.0's
        // fan-out of the pending writes (`net/io_threads.rs`).
        let started = if do_reads {
            io_loops::IoLoops::start(threads).map(|l| state.io_loops = l)
        } else {
            io_threads::IoThreads::start(threads).map(|io| state.io = io)
        };
        if let Err(e) = started {
            log_warning!("Fatal: Can't initialize IO thread: {e}");
            return Err(1);
        }
        if let Some(l) = &state.io_loops {
            if let Err(e) = el.add_interest(l.wake_fd(), Interest::READABLE) {
                log_warning!("Fatal: Can't initialize IO thread: {e}");
                return Err(1);
            }
        }
        el.set_busy_poll(busy_poll_bound(&state.config, state.io_loops.is_some()));
        state.listeners.list = listeners;
        // The OOM score from the start, before loading (Redis's setOOMScoreAdj(-1) in main); logged on failure,
        // and the server goes on, as Redis does. `sync_oom_role` keeps it in line with the role afterwards.
        let class = if state.repl.master.is_some() { crate::oom::Class::Replica } else { crate::oom::Class::Master };
        let _ = crate::oom::apply(crate::oom::Setting::of(&state.config), class);
        Ok(Server::with_state(state, commands, pidfile))
    }

    /// The server around `state`, before any client or event: what every server is built from (the listening one
    /// above, and the detached one of the handler harness, `server/detached.rs`).
    fn with_state(mut state: ServerState, commands: &'static command::CommandTable, pidfile: Option<String>) -> Server {
        command::init_full_names();
        state.clients.info = command::connection::client_info_string;
        // Function libraries live in a Lua state built for the host that runs them.
        state.functions.set_host::<Server>();
        let hz = state.config.hz.clamp(1, CONFIG_MAX_HZ);
        Server {
            state,
            connected: 0,
            errors_cmd: "<unknown>",
            cron_loops: 0,
            client_cursor: 0,
            hz,
            pidfile,
            exit_code: None,
            writes_scratch: Vec::new(),
            io_backlog: Default::default(),
            io_arrived: Vec::new(),
            io_inbox: Vec::new(),
            pause: PauseTracker::default(),
            pending_stat: None,
            nesting: 0,
            commands,
            aof_files: None,
            busy_loop: None,
            oom_replica: false,
            sentinel_timer: None,
        }
    }

    /// Applies a listener change (CONFIG SET port/bind): the old sockets leave the event loop and close, the new
    /// ones join it.
    fn register_listener_changes(&mut self, el: &mut EventLoop) {
        for l in std::mem::take(&mut self.state.listeners.retired) {
            let _ = el.remove_interest(l.fd.as_raw_fd(), Interest::READABLE);
        }
        for fd in std::mem::take(&mut self.state.listeners.fresh) {
            if let Err(e) = el.add_interest(fd, Interest::READABLE) {
                log_warning!("Unrecoverable error creating server listening file event: {e}");
            }
        }
    }

    /// TCP port actually bound by the first TCP listener (useful with `port 0` in tests... and INFO).
    pub fn tcp_port(&self) -> Option<u16> {
        self.state
            .listeners
            .list
            .iter()
            .find(|l| !l.unix)
            .and_then(|l| socket::local_addr(l.fd.as_raw_fd()))
            .map(|a| a.1)
    }

    fn limits_for(&self, authenticated: bool) -> Limits {
        if !authenticated && !crate::acl::default_user_nopass(&self.state.acl) {
            Limits {
                max_bulk_len: self.state.config.proto_max_bulk_len.min(UNAUTH_MAX_BULK_LEN),
                max_inline_len: DEFAULT_MAX_INLINE_LEN,
                max_multibulk_len: UNAUTH_MAX_MULTIBULK_LEN,
            }
        } else {
            Limits {
                max_bulk_len: self.state.config.proto_max_bulk_len,
                max_inline_len: DEFAULT_MAX_INLINE_LEN,
                max_multibulk_len: DEFAULT_MAX_MULTIBULK_LEN,
            }
        }
    }

    // ---- connections -------------------------------------------------------------------------------------------

    fn accept(&mut self, el: &mut EventLoop, lfd: RawFd, unix: bool) {
        for _ in 0..MAX_ACCEPTS_PER_CALL {
            match socket::accept(lfd) {
                Ok(Some(a)) => self.accept_one(el, a, unix),
                Ok(None) => return,
                Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
                Err(e) => {
                    log_warning!("Accepting client connection: {}", os_error_text(&e));
                    return;
                }
            }
        }
    }

    fn accept_one(&mut self, el: &mut EventLoop, a: socket::Accepted, unix: bool) {
        let fd = a.fd.as_raw_fd();
        let (addr, laddr) = if unix {
            let path = self.state.config.unixsocket.clone().unwrap_or_default();
            log_verbose!("Accepted connection to {path}");
            (format!("{path}:0"), format!("{path}:0"))
        } else {
            let peer = a.peer.map(|(ip, port)| socket::format_addr(ip, port)).unwrap_or_default();
            log_verbose!("Accepted {peer}");
            let local = socket::local_addr(fd).map(|(ip, port)| socket::format_addr(ip, port)).unwrap_or_default();
            (peer, local)
        };
        if self.connected >= self.state.config.maxclients {
            // Best effort, like Redis: the socket is fresh, so this small write does not block.
            let _ = socket::write(fd, b"-ERR max number of clients reached\r\n");
            self.state.stats.rejected_connections += 1;
            return;
        }
        if self.state.config.protected_mode && crate::acl::default_user_nopass(&self.state.acl) && !unix {
            // Redis 7.0's islocalClient compares the peer's text with "127.0.0.1" and "::1": the rest of 127/8
            // (and IPv4-mapped IPv6) counts as remote.
            let local = match a.peer {
                Some((std::net::IpAddr::V4(v4), _)) => v4 == std::net::Ipv4Addr::LOCALHOST,
                Some((std::net::IpAddr::V6(v6), _)) => v6 == std::net::Ipv6Addr::LOCALHOST,
                None => true,
            };
            if !local {
                // Counted as rejected but not as received: Redis counts a connection after this check.
                let _ = socket::write(fd, PROTECTED_MODE_DENIED);
                self.state.stats.rejected_connections += 1;
                return;
            }
        }
        if !unix {
            let _ = socket::set_nodelay(fd);
            if self.state.config.tcp_keepalive > 0 {
                let _ = socket::set_keepalive(fd, self.state.config.tcp_keepalive.min(i32::MAX as i64) as i32);
            }
        }
        // With the I/O threads' loops, where it is watched is decided before sleeping (`io_settle`).
        let threaded = self.state.io_loops.is_some();
        if !threaded {
            if let Err(e) = el.add_interest(fd, Interest::READABLE) {
                log_warning!("Error registering fd event for the new client: {} (conn: fd={})", os_error_text(&e), fd);
                return;
            }
        }
        let id = self.state.clients.next_id;
        self.state.clients.next_id += 1;
        let mut st = ClientState::new(id, fd, addr, laddr, crate::util::now_ms());
        st.authenticated = crate::acl::default_user_nopass(&self.state.acl);
        if unix {
            st.flags |= flags::UNIX_SOCKET;
        }
        let mut client = Box::new(Client::new(st, Some(a.fd)));
        client.refresh_conn_stats(0, true, false);
        if threaded {
            client.homed = true;
            self.io_arrived.push(fd);
        }
        let slot = fd as usize;
        if slot >= self.state.clients.by_fd.len() {
            self.state.clients.by_fd.resize_with(slot + 1, || None);
        }
        self.state.clients.by_fd[slot] = Some(client);
        self.state.clients.id_to_fd.insert(id, fd);
        self.connected += 1;
        self.state.stats.total_connections_received += 1;
    }

    #[inline]
    fn take_client(&mut self, fd: RawFd) -> Option<Box<Client>> {
        self.state.clients.by_fd.get_mut(fd as usize).and_then(|s| s.take())
    }

    #[inline]
    fn put_client(&mut self, c: Box<Client>) {
        let fd = c.state.fd as usize;
        if fd >= self.state.clients.by_fd.len() {
            self.state.clients.by_fd.resize_with(fd + 1, || None);
        }
        self.state.clients.by_fd[fd] = Some(c);
    }

    /// Closes a client that is out of its slot and forgets everything about it.
    fn free_client(&mut self, el: &mut EventLoop, mut c: Box<Client>) {
        self.blocked_client_gone(&c.state);
        self.shutdown_client_gone(&c.state);
        self.repl_client_freed(&c.state);
        let fd = c.state.fd;
        crate::state::pubsub::unsubscribe_everything(&mut self.state, &mut c.state);
        self.state.tracking.client_gone(&mut c.state);
        let _ = el.remove_interest(fd, Interest::BOTH);
        self.state.clients.id_to_fd.remove(&c.state.id);
        self.forget_tx_and_pause(&c.state);
        if c.state.has(flags::MONITOR) {
            let id = c.state.id;
            self.state.clients.monitors.retain(|&m| m != id);
        }
        self.connected = self.connected.saturating_sub(1);
        self.state.clients.mem.forget(&mut c);
        // Dropping the box closes the socket and frees the buffers.
        drop(c);
    }

    fn free_client_by_fd(&mut self, el: &mut EventLoop, fd: RawFd) {
        if let Some(c) = self.take_client(fd) {
            self.free_client(el, c);
        }
    }

    // ---- reading and dispatch ----------------------------------------------------------------------------------

    fn read_from_client(&mut self, el: &mut EventLoop, fd: RawFd) {
        let Some(mut c) = self.take_client(fd) else { return };
        let out = io_threads::read_step(&mut c);
        self.after_read(el, c, out);
    }

    /// Everything after a client's socket read, on the main thread: statistics, end of connection, the query
    /// buffer limit, then its commands (those an I/O thread parsed first).
    fn after_read(&mut self, el: &mut EventLoop, mut c: Box<Client>, out: io_threads::ReadOut) {
        let fd = c.state.fd;
        match out {
            io_threads::ReadOut::Closed => {
                log_verbose!(
                    "Client closed connection {}",
                    command::connection::client_info_string(&c.state, self.state.now_ms)
                );
                self.free_client(el, c);
                return;
            }
            io_threads::ReadOut::Data(n) => {
                if c.state.has(flags::MASTER) {
                    self.state.stats.net_repl_input_bytes += n as u64;
                } else {
                    self.state.stats.net_input_bytes += n as u64;
                }
                self.state.stats.total_reads_processed += 1;
                // Any input counts as activity for `timeout` (the cached clock is precise enough for that).
                c.state.last_interaction_ms = self.state.now_ms;
            }
            io_threads::ReadOut::Again => {
                self.drop_preparsed(&mut c);
                self.put_client(c);
                return;
            }
            io_threads::ReadOut::Failed(e) => {
                log_verbose!("Reading from client: {}", os_error_text(&e));
                self.free_client(el, c);
                return;
            }
        }
        if c.state.has(flags::CLOSE_AFTER_REPLY) {
            // Nothing more will be executed for this client: drop what it sends instead of buffering it.
            let n = c.query.len();
            c.query.consume(n);
            c.pre.clear();
            c.parser.reset();
            self.put_client(c);
            return;
        }
        let limit = self.state.config.client_query_buffer_limit;
        if limit > 0 && c.query.len() as i64 > limit {
            let head = &c.query.readable()[..c.query.len().min(64)];
            let mut shown = Vec::new();
            repr_into(&mut shown, head);
            log_warning!(
                "Closing client that reached max query buffer length: id={} addr={} laddr={} fd={} qbuf={} \
                 (qbuf initial bytes: {})",
                c.state.id,
                c.state.addr,
                c.state.laddr,
                fd,
                c.query.len(),
                String::from_utf8_lossy(&shown)
            );
            self.state.stats.client_qbuf_limit_disconnections += 1;
            self.free_client(el, c);
            return;
        }
        self.process_input(el, &mut c);
        self.drop_preparsed(&mut c);
        if c.state.has(flags::CLOSE_ASAP) {
            self.free_client(el, c);
            return;
        }
        // A big argument being received gets its room at once, as Redis reserves it when it reads the `$` line, so
        // the client's memory (client eviction, CLIENT LIST) shows the whole argument from then on.
        if let Some(missing) = c.parser.big_bulk_missing(c.query.len()).filter(|&m| m > 0) {
            c.query.writable(missing);
        }
        // A command still arriving (a big bulk) grows the query buffer without running anything; complete
        // commands were counted as they ran.
        if !c.query.is_empty() {
            self.track_client_mem(&mut c);
        }
        c.refresh_conn_stats(0, true, el.interest(fd).is_writable());
        let has_output = c.state.reply.pending_len() > 0
            || (c.state.has(flags::REPLICA) && crate::repl::stream_pending(&self.state.repl, c.state.id));
        if has_output && !c.pending_write && !el.interest(fd).is_writable() {
            c.pending_write = true;
            self.state.clients.pending_write.push(fd);
        }
        self.put_client(c);
    }

    /// Forgets the commands an I/O thread parsed that were not run (the client blocked, paused, or is closing):
    /// they are parsed again from the query buffer when their turn comes.
    fn drop_preparsed(&mut self, c: &mut Client) {
        if c.pre.clear() {
            c.parser.reset();
        }
    }

    /// After a pass of the I/O threads: every client goes back in its slot before any command runs (a command
    /// may look at or close another), then each one still there is finished on this thread.
    fn finish_thread_pass(&mut self, el: &mut EventLoop, items: Vec<io_threads::Item>) {
        let mut done = Vec::with_capacity(items.len());
        for it in items {
            done.push((it.c.state.fd, it.c.state.id, it.out));
            self.put_client(it.c);
        }
        for (fd, id, out) in done {
            let Some(c) = self.take_client(fd) else { continue };
            match out {
                Some(w) if c.state.id == id => {
                    if let Some(c) = self.after_write(el, c, w) {
                        self.put_client(c);
                    }
                }
                _ => self.put_client(c),
            }
        }
    }

    /// Runs every complete command buffered by the client (Redis's `processInputBuffer`).
    fn process_input(&mut self, el: &mut EventLoop, c: &mut Client) {
        // One clock reading per command: the end of one command is the start of the next in the same batch.
        let mut clock_us = crate::util::now_us();
        // Redis trims its query buffer only after a whole batch, so CLIENT LIST shows the batch's bytes.
        let batch_qbuf = c.query.len();
        loop {
            let stop = flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP | flags::BLOCKED | flags::POSTPONED;
            if c.state.flags & stop != 0 || self.exit_code.is_some() {
                return;
            }
            // Our master's stream waits while a busy script lets other clients in (Redis's processInputBuffer).
            if c.state.has(flags::MASTER) && self.state.scripting.is_timedout() {
                return;
            }
            let limits = self.limits_for(c.state.authenticated);
            let Client { state, query, parser, spans, scratch, mem, obuf_soft_limit_reached_s, pre, .. } = c;
            let query_cap = query.capacity();
            let buf = query.readable();
            if buf.is_empty() {
                return;
            }
            // Commands an I/O thread parsed come first; the parser takes over after them.
            let parsed = match pre.take_next(&limits, spans) {
                Some(r) => r,
                None => {
                    if pre.clear() {
                        // Parsed with other limits (AUTH or CONFIG SET ran meanwhile): parse them again.
                        parser.reset();
                    }
                    parser.parse(buf, &limits, spans, scratch)
                }
            };
            match parsed {
                Ok(Parsed::Incomplete) => return,
                Ok(Parsed::Complete { consumed, inline }) => {
                    if !spans.is_empty() {
                        let args = if inline { Args::new(scratch, spans) } else { Args::new(buf, spans) };
                        let argv_mem: usize = spans.iter().map(|&(s, e)| (e - s) as usize).sum();
                        // Valkey's request size: an inline request counts its words, one space between each and
                        // the CRLF; a multibulk one the bytes it took.
                        state.cmd_in_bytes =
                            if inline { (argv_mem + spans.len() - 1 + 2) as u64 } else { consumed as u64 };
                        let qbuf = batch_qbuf.max(buf.len());
                        let (_, _, omem) = crate::net::client::output_figures(&state.reply);
                        let tot_mem =
                            client_evict::client_memory_of(query_cap, state, scratch.capacity(), spans.capacity())
                                + argv_mem;
                        let conn = &mut state.conn;
                        conn.qbuf = qbuf;
                        conn.qbuf_free = query_cap.saturating_sub(qbuf);
                        conn.argv_mem = argv_mem;
                        conn.omem = omem;
                        conn.tot_mem = tot_mem;
                        // Redis's processCommand: over `maxmemory-clients`, the biggest clients go first, maybe
                        // this one (then its command does not run).
                        if self.state.clients.mem.over(client_evict::limit_bytes(&self.state.config))
                            && self.evict_clients(el, Some((&mut *state, &mut *mem)))
                        {
                            return;
                        }
                        // The output limit is watched while the command builds its reply (Redis checks it as
                        // reply blocks are added): past it the reply is cut and the client closed below.
                        let obuf_limits = &self.state.config.client_output_buffer_limit;
                        let close_bytes = crate::pubsub::close_limit_bytes(
                            state,
                            *obuf_soft_limit_reached_s,
                            obuf_limits,
                            clock_us / 1000,
                        );
                        state.reply.watch_limit(close_bytes);
                        clock_us = self.dispatch(el, state, args, clock_us);
                        state.reply.unwatch_limit();
                        if state.has(flags::POSTPONED) {
                            // CLIENT PAUSE: the command stays in the buffer and is parsed again on resume.
                            parser.reset();
                            return;
                        }
                    }
                    if state.has(flags::MASTER) {
                        self.repl_master_applied(state, &buf[..consumed]);
                    }
                    query.consume(consumed);
                    self.check_output_limits(c);
                    self.track_client_mem(c);
                }
                Err(e) => {
                    let msg = if limits.max_multibulk_len == UNAUTH_MAX_MULTIBULK_LEN {
                        self.unauth_error_message(buf, e)
                    } else {
                        e.message_bytes()
                    };
                    self.protocol_error(state, &msg, buf);
                    parser.reset();
                    let n = query.len();
                    query.consume(n);
                    return;
                }
            }
        }
    }

    /// Marks the client CLOSE_ASAP when its output is over the `client-output-buffer-limit` of its class (Redis's
    /// `closeClientOnOutputBufferLimitReached`; see [`crate::pubsub::check_output_limits`]).
    fn check_output_limits(&mut self, c: &mut Client) {
        let st = &mut self.state;
        let limits = &st.config.client_output_buffer_limit;
        crate::pubsub::check_output_limits(
            c,
            limits,
            st.now_ms,
            &mut st.stats.client_outbuf_limit_disconnections,
            st.clients.info,
        );
    }

    /// Recounts a client's memory while `maxmemory-clients` is set (Redis's `updateClientMemUsageAndBucket`); the
    /// cron recounts everyone once a second either way.
    #[inline]
    fn track_client_mem(&mut self, c: &mut Client) {
        let limit = client_evict::limit_bytes(&self.state.config);
        if limit > 0 {
            self.state.clients.mem.update(c, limit);
        }
    }

    /// After CONFIG SET: every client's memory is recounted into the eviction buckets at once (or taken out of them
    /// when `maxmemory-clients` is 0), as Redis's `applyClientMaxMemoryUsage` does, so the next command evicts
    /// from current figures rather than the cron's last pass.
    fn recount_client_memory(&mut self) {
        let limit = client_evict::limit_bytes(&self.state.config);
        let st = &mut self.state;
        for c in st.clients.by_fd.iter_mut().flatten() {
            st.clients.mem.update(c, limit);
        }
    }

    /// Closes the biggest clients while all of them together hold `maxmemory-clients` or more (Redis's
    /// `evictClients`). `current` is the client whose command is about to run (out of the table): when it is the
    /// one evicted it is flagged CLOSE_ASAP, runs nothing more, and true is returned.
    fn evict_clients(&mut self, el: &mut EventLoop, mut current: Option<(&mut ClientState, &mut Tracked)>) -> bool {
        let limit = client_evict::limit_bytes(&self.state.config);
        let mut evicted_current = false;
        for (id, fd) in self.state.clients.mem.candidates() {
            if !self.state.clients.mem.over(limit) {
                return evicted_current;
            }
            if let Some((st, tracked)) = current.as_mut().filter(|(st, _)| st.id == id) {
                log_notice!("Evicting client: {}", command::connection::client_info_string(st, self.state.now_ms));
                self.state.clients.mem.forget_tracked(id, tracked);
                st.flags |= flags::CLOSE_ASAP;
                self.state.stats.evicted_clients += 1;
                evicted_current = true;
                continue;
            }
            let Some(mut c) = self.take_client(fd) else { continue };
            if c.state.id != id {
                self.put_client(c);
                continue;
            }
            c.refresh_conn_stats(0, true, el.interest(fd).is_writable());
            log_notice!("Evicting client: {}", command::connection::client_info_string(&c.state, self.state.now_ms));
            self.state.stats.evicted_clients += 1;
            self.free_client(el, c);
        }
        if self.state.clients.mem.over(limit) {
            log_warning!("Over client maxmemory after evicting all evictable clients");
        }
        evicted_current
    }

    /// Under the reduced limits of unauthenticated clients, tells "over the unauthenticated limit" apart from a
    /// genuinely malformed request by parsing the same bytes again with the normal limits.
    fn unauth_error_message(&self, buf: &[u8], e: ProtoError) -> Vec<u8> {
        let normal = self.limits_for(true);
        let mut p = Parser::new();
        let mut spans = Vec::new();
        let mut scratch = Vec::new();
        match (p.parse(buf, &normal, &mut spans, &mut scratch), e) {
            (Err(e2), _) if e2 == e => e.message_bytes(),
            (_, ProtoError::InvalidMultibulkLength) => b"ERR Protocol error: unauthenticated multibulk length".to_vec(),
            (_, ProtoError::InvalidBulkLength) => b"ERR Protocol error: unauthenticated bulk length".to_vec(),
            _ => e.message_bytes(),
        }
    }

    fn protocol_error(&mut self, c: &mut ClientState, msg: &[u8], buf: &[u8]) {
        c.reply.enabled = !c.has(flags::REPLY_OFF | flags::REPLY_SKIP);
        error_bytes(&mut c.reply, msg);
        self.count_errors(c);
        c.reply.enabled = true;
        if crate::log::enabled(crate::config::LogLevel::Verbose) {
            let mut shown = Vec::new();
            repr_into(&mut shown, &buf[..buf.len().min(128)]);
            log_verbose!(
                "Protocol error ({}) from client: id={} addr={} laddr={} fd={}. Query buffer during protocol error: \
                 '{}'",
                String::from_utf8_lossy(msg).trim_start_matches("ERR Protocol error: "),
                c.id,
                c.addr,
                c.laddr,
                c.fd,
                String::from_utf8_lossy(&shown)
            );
        }
        c.flags |= flags::CLOSE_AFTER_REPLY;
    }

    // ---- writing -----------------------------------------------------------------------------------------------

    /// Counts written bytes: to a replica (not a MONITOR) as replication traffic, like Redis 7.0's writeToClient.
    fn count_output(&mut self, c: &mut ClientState, n: usize) {
        let skip = n.min(c.uncounted_out);
        c.uncounted_out -= skip;
        let n = n - skip;
        if c.has(flags::REPLICA) && !c.has(flags::MONITOR) {
            self.state.stats.net_repl_output_bytes += n as u64;
        } else {
            self.state.stats.net_output_bytes += n as u64;
        }
    }

    /// Writes as much pending output as the socket takes (bounded per event). Returns false when the client was
    /// closed (write error, or fully written with CLOSE_AFTER_REPLY); the box is consumed in that case.
    fn write_to_client(&mut self, el: &mut EventLoop, mut c: Box<Client>) -> Option<Box<Client>> {
        let out = io_threads::write_step(&mut c);
        self.after_write(el, c, out)
    }

    /// Everything after a client's socket write, on the main thread: statistics, a replica's stream, the write
    /// handler, closing after the reply.
    fn after_write(
        &mut self,
        el: &mut EventLoop,
        mut c: Box<Client>,
        out: io_threads::WriteOut,
    ) -> Option<Box<Client>> {
        let fd = c.state.fd;
        let mut total = out.total;
        self.state.stats.total_writes_processed += out.writes;
        if let Some(e) = out.err {
            log_verbose!("Error writing to client: {}", os_error_text(&e));
            self.count_output(&mut c.state, total);
            self.free_client(el, c);
            return None;
        }
        if c.state.has(flags::REPLICA) && c.state.reply.pending_len() == 0 {
            if let Err(e) = self.repl_write_stream(fd, c.state.id, &mut total) {
                log_verbose!("Error writing to client: {}", os_error_text(&e));
                self.count_output(&mut c.state, total);
                self.free_client(el, c);
                return None;
            }
        }
        self.count_output(&mut c.state, total);
        if total > 0 {
            c.state.last_interaction_ms = self.state.now_ms;
        }
        self.track_client_mem(&mut c);
        let registered = el.interest(fd).is_writable();
        let replica_stream = c.state.has(flags::REPLICA) && crate::repl::stream_pending(&self.state.repl, c.state.id);
        if c.state.reply.pending_len() == 0 && !replica_stream {
            if registered {
                let _ = el.remove_interest(fd, Interest::WRITABLE);
            }
            // Only a really large buffer is dropped here: a client pipelining big replies (LRANGE) would otherwise
            // regrow it (realloc copies, brk/mmap churn) on every batch. clients_cron trims the rest when idle.
            if c.state.reply.buf.capacity() > REPLY_BUF_SHRINK_NOW {
                c.state.reply.buf = Vec::with_capacity(REPLY_BUF_KEEP);
            }
            if c.state.has(flags::CLOSE_AFTER_REPLY) {
                self.free_client(el, c);
                return None;
            }
        } else if !registered {
            if let Err(e) = el.add_interest(fd, Interest::WRITABLE) {
                log_warning!("Error registering write handler: {}", os_error_text(&e));
                self.free_client(el, c);
                return None;
            }
        }
        Some(c)
    }

    /// Writes the replies of every client in the pending-writes list (Redis's `handleClientsWithPendingWrites`).
    fn handle_pending_writes(&mut self, el: &mut EventLoop) {
        if self.state.clients.pending_write.is_empty() {
            return;
        }
        let mut list = std::mem::take(&mut self.writes_scratch);
        std::mem::swap(&mut list, &mut self.state.clients.pending_write);
        if let Some(io) = self.state.io.as_mut() {
            io.update_active(list.len());
            if io.active {
                self.threaded_writes(el, &mut list);
            }
        }
        // Newest first, as Redis links clients at the head of its pending-writes list.
        for &fd in list.iter().rev() {
            let Some(mut c) = self.take_client(fd) else {
                // Out of its slot: the client running a busy script (this pass serves others meanwhile). It stays
                // listed for the pass after its command.
                if self.state.scripting.run.is_some() {
                    self.state.clients.pending_write.push(fd);
                }
                continue;
            };
            if !c.pending_write {
                self.put_client(c);
                continue;
            }
            c.pending_write = false;
            if let Some(l) = self.state.io_loops.as_mut() {
                l.count(&mut c.io_period);
                // Its I/O thread writes the reply, or it stays here and is written now.
                let Some(placed) = self.io_place(el, c) else { continue };
                c = placed;
            }
            self.flush_client(el, c);
        }
        list.clear();
        self.writes_scratch = list;
    }

    /// The I/O threads' part of the pending-writes pass: the clients of `list` that only need their reply written
    /// go to the threads, and leave the list; the rest (replicas, clients to close, clients whose write handler
    /// is installed) stay for the inline pass.
    fn threaded_writes(&mut self, el: &mut EventLoop, list: &mut Vec<RawFd>) {
        let mut items = Vec::with_capacity(list.len());
        list.retain(|&fd| {
            let Some(c) = self.state.clients.by_fd.get_mut(fd as usize).and_then(|s| s.take()) else { return true };
            let threaded =
                c.pending_write && !c.state.has(flags::CLOSE_ASAP | flags::REPLICA) && !el.interest(fd).is_writable();
            if threaded {
                let mut c = c;
                c.pending_write = false;
                items.push(io_threads::Item::new(c));
            } else {
                self.state.clients.by_fd[fd as usize] = Some(c);
            }
            !threaded
        });
        if let Some(io) = self.state.io.as_mut() {
            self.state.stats.io_threaded_writes_processed += items.len() as u64;
            items = io.write(items);
        }
        self.finish_thread_pass(el, items);
    }

    /// Writes the coalesced pub/sub output (see [`crate::state::PUSH_COALESCE`]).
    fn flush_pending_pushes(&mut self, el: &mut EventLoop) {
        let mut list = std::mem::take(&mut self.state.clients.pending_push);
        for &fd in &list {
            let Some(c) = self.take_client(fd) else { continue };
            if !c.pending_push {
                self.put_client(c);
                continue;
            }
            self.flush_client(el, c);
        }
        list.clear();
        // Keep the allocation unless a flush above queued new pushes (it cannot today, but stay correct).
        if self.state.clients.pending_push.is_empty() {
            self.state.clients.pending_push = list;
        }
    }

    /// One client of a pending-output list (its list flag already checked): a client to close is freed, one whose
    /// socket was full keeps its write handler, the rest are written now.
    fn flush_client(&mut self, el: &mut EventLoop, mut c: Box<Client>) {
        // Whatever output it has, coalesced pub/sub messages included, is dealt with here.
        c.pending_push = false;
        if c.state.has(flags::CLOSE_ASAP) {
            self.free_client(el, c);
            return;
        }
        if el.interest(c.state.fd).is_writable() {
            // The write handler is installed already and will drain it.
            self.put_client(c);
            return;
        }
        if let Some(c) = self.write_to_client(el, c) {
            self.put_client(c);
        }
    }

    // ---- cron and shutdown -------------------------------------------------------------------------------------

    fn run_with_period(&self, period_ms: i64) -> bool {
        let interval = 1000 / self.hz;
        period_ms <= interval || self.cron_loops % (period_ms / interval) as u64 == 0
    }

    fn cron(&mut self, el: &mut EventLoop) -> TimerNext {
        // Software watchdog: SIGALRM reaches its handler unless the loop comes back here within the period. Not
        // during a load, whose event processing is no cron pass in Redis (a long load trips it, as there).
        if !self.state.persist.stats.loading {
            crate::crash_report::watchdog_rearm();
        }
        let now = crate::util::now_ms();
        // The clients on the I/O threads come home for the cron's look at every client: on every tick when idle
        // clients time out, else once a second (buffer trims, CLIENT LIST's figures), and when the threads are
        // switched off (they are used under load only: `IoLoops::end_period`).
        let off = self.run_with_period(100) && self.state.io_loops.as_mut().is_some_and(|l| l.end_period(now));
        if off || self.state.config.timeout > 0 || self.run_with_period(1000) {
            self.io_gather();
        }
        // `busy-poll-us` may have changed with CONFIG SET.
        el.set_busy_poll(self.busy_poll());
        self.state.now_ms = now;
        self.state.lru_clock = crate::state::lru_clock_at(now);
        // Like Redis's dynamic-hz: more clients, more frequent cron, so per-tick client work stays bounded.
        let mut hz = self.state.config.hz.clamp(1, CONFIG_MAX_HZ);
        if self.state.config.dynamic_hz {
            while self.connected as i64 / hz > MAX_CLIENTS_PER_CLOCK_TICK {
                hz = (hz * 2).min(CONFIG_MAX_HZ);
                if hz == CONFIG_MAX_HZ {
                    break;
                }
            }
        }
        self.hz = hz;
        // DEBUG PAUSE-CRON 1: skip the periodic work, as Redis's serverCron does (tests freeze the server with it).
        if self.state.debug.pause_cron {
            return TimerNext::After((1000 / hz) as u64);
        }
        self.sync_log_config();
        self.ops_cron();
        if self.run_with_period(100) {
            crate::command::info::cron_sample(&mut self.state, now);
            self.cluster_cron(el);
        }
        if self.shutdown_cron(el) {
            return TimerNext::Stop;
        }
        crate::latency::timed("clients-cron", || self.clients_cron(el, now));
        // Client-side caching's table within `tracking-table-max-keys` even when idle (the messages go before the
        // loop sleeps).
        if self.state.tracking.clients() > 0 {
            crate::state::tracking::limit_used_slots(&mut self.state);
        }
        // Freed tracking slots become reusable once their bits are swept from the table.
        if self.state.tracking.sweeping() {
            self.state.tracking.sweep_step(crate::tracking::SWEEP_BUDGET);
        }
        // Ten times a second while a FAILOVER runs, so its handshake moves on quickly (as Redis's serverCron).
        let repl_period = if self.state.repl.failover.state == crate::repl::failover::State::None { 1000 } else { 100 };
        if self.run_with_period(repl_period) {
            self.repl_cron(el);
        } else if self.state.repl.master_client.is_some() {
            self.repl_ack_if_moved();
        }
        // While loading, the dataset is not ours to expire, resize or save yet.
        if !self.state.persist.stats.loading {
            // The slow expiry cycle is timed as `expire-cycle` inside; the tables' resize and rehash steps as
            // `dict-cron` (see `databases_cron`).
            crate::state::expire::databases_cron(&mut self.state);
            self.persistence_cron();
            // After large deletes, free slab pages go back to the system (bounded: see `release_step`), and
            // malloc's free pages once a second when there are many (freed strings, trimmed buffers). Not while a
            // forked child shares our pages: the sweep writes to them, which would copy them.
            let release = self.state.persist.child.is_none();
            crate::latency::timed("lazyfree-reclaim", || self.state.lazyfree.reclaim());
            crate::state::defrag::cron(&mut self.state, self.hz);
            if release {
                crate::latency::timed("slab-release", crate::alloc::slab::release_step);
                // Once a second at most: a trim walks malloc's free chunks (see `trim_if_worth`).
                if self.run_with_period(1000) {
                    crate::latency::timed("malloc-trim", || crate::alloc::trim_if_worth(crate::util::rss_memory()));
                }
            }
        }
        // Cluster mode: clients blocked on slots no longer served here (Redis's clientsCron).
        if self.state.cluster.is_some() && !self.state.blocking.clients.is_empty() {
            self.cluster_redirect_blocked();
        }
        self.sync_oom_role(false);
        self.cron_loops += 1;
        TimerNext::After((1000 / hz) as u64)
    }

    /// Crash-report and log upkeep: CONFIG SET of crash-log-enabled / use-exit-on-panic / watchdog-period reaches
    /// the signal handlers within a tick; the log's signal descriptor follows a rotated file; once a second the
    /// INFO + CLIENT LIST snapshot a signal-time report prints is rendered again (see `crate::crash_report`).
    fn ops_cron(&mut self) {
        crate::crash_report::apply_config(&self.state.config, self.hz);
        crate::log::follow_rotation();
        if self.run_with_period(1000) {
            self.state.migrate_sockets.close_idle(crate::util::now_ms() / 1000);
            crate::log::refresh_tz_offset();
            crate::latency::timed("crash-report-snapshot", || self.refresh_crash_snapshot());
        }
        // Redis's serverCron reports non-empty databases (verbose) and the clients (debug) every 5 seconds.
        if self.run_with_period(5000) {
            if crate::log::enabled(crate::config::LogLevel::Verbose) {
                for (j, db) in self.state.dbs.iter().enumerate() {
                    let (used, vkeys) = (db.len(), db.expires_len());
                    if used > 0 || vkeys > 0 {
                        log_verbose!("DB {j}: {used} keys ({vkeys} volatile) in {} slots HT.", db.keys.capacity());
                    }
                }
            }
            crate::log_debug!(
                "{} clients connected (0 replicas), {} bytes in use",
                self.connected,
                crate::util::used_memory()
            );
        }
    }

    /// Renders INFO all and CLIENT LIST for a report written by a signal handler (which may not allocate).
    fn refresh_crash_snapshot(&mut self) {
        if self.state.config.crash_log_enabled {
            let mut probe = ClientState::new(0, -1, String::new(), String::new(), self.state.now_ms);
            let ctx = Ctx::new(&mut probe, &mut self.state);
            let info = {
                let _cheap = crate::util::CheapAllocatorStats::enter();
                command::info::info_all_text(&ctx)
            };
            // Rendered once a second: bounded so that thousands of clients cost no visible pause.
            let list = command::connection::client_list_text(
                ctx.server_ref(),
                None,
                crate::crash_report::SNAPSHOT_MAX_CLIENTS,
            );
            crate::crash_report::publish_snapshot(crate::crash_report::report_text(&info, &list));
        }
    }

    /// Timeouts of idle clients; buffer trims and limit checks for a share of the clients each tick (Redis's
    /// clientsCron: `connected / hz` clients, at least 5, so every client is seen at least once a second and a few
    /// clients on every tick).
    fn clients_cron(&mut self, el: &mut EventLoop, now_ms: i64) {
        let timeout_s = self.state.config.timeout;
        if timeout_s > 0 {
            for fd in 0..self.state.clients.by_fd.len() {
                let Some(c) = self.state.clients.by_fd[fd].as_ref() else { continue };
                if !c.state.has(flags::MONITOR | flags::BLOCKED | flags::POSTPONED | flags::MASTER | flags::REPLICA)
                    && now_ms / 1000 - c.state.last_interaction_ms / 1000 > timeout_s
                {
                    log_verbose!("Closing idle client");
                    self.free_client_by_fd(el, fd as RawFd);
                }
            }
        }
        let slots = self.state.clients.by_fd.len();
        if slots == 0 {
            return;
        }
        let mut budget = (self.connected as i64 / self.hz).max(5) as usize;
        let (reply_peak_reset_ms, reply_resizing) =
            (self.state.debug.peak_reset_time_ms, self.state.debug.reply_resizing);
        let evict_limit = client_evict::limit_bytes(&self.state.config);
        let mut step = 0;
        while budget > 0 && step < slots {
            let fd = (self.client_cursor + step) % slots;
            step += 1;
            let Some(c) = self.state.clients.by_fd[fd].as_mut() else { continue };
            budget -= 1;
            let writable = el.interest(fd as RawFd).is_writable();
            // Redis's idle test for the query buffer: more than two seconds without input.
            c.query.shrink_if_idle(now_ms / 1000 - c.state.last_interaction_ms / 1000 > 2);
            if c.state.reply.pending_len() == 0 && c.state.reply.buf.capacity() > REPLY_BUF_KEEP {
                c.state.reply.buf = Vec::new();
            }
            match c.state.reply.resize_step(now_ms, reply_peak_reset_ms, reply_resizing) {
                crate::resp::reply::Resize::Shrunk => self.state.stats.reply_buffer_shrinks += 1,
                crate::resp::reply::Resize::Expanded => self.state.stats.reply_buffer_expands += 1,
                crate::resp::reply::Resize::None => {}
            }
            // The argument table of a command with many arguments (Redis frees its argv after each command). With
            // nothing buffered no command is half parsed, so the spans are stale.
            if c.query.is_empty() && c.spans.capacity() > SPANS_KEEP {
                c.spans = Vec::new();
            }
            // The same for the spans an I/O thread parsed.
            c.pre.trim(SPANS_KEEP);
            if c.query.is_empty() && c.scratch.capacity() > REPLY_BUF_KEEP {
                c.scratch = Vec::new();
            }
            c.refresh_conn_stats(0, true, writable);
            // A client that stays above its soft output limit without new output is only seen here (Redis's
            // clientsCron closes it at once, with its own log line).
            let limits = &self.state.config.client_output_buffer_limit;
            if crate::pubsub::output_limit_bytes(&c.state) > 0
                && !c.state.has(flags::CLOSE_ASAP)
                && crate::pubsub::output_limit_reached(&c.state, &mut c.obuf_soft_limit_reached_s, limits, now_ms)
                    .is_some()
            {
                log_warning!(
                    "Client {} closed for overcoming of output buffer limits.",
                    command::connection::client_info_string(&c.state, now_ms)
                );
                self.state.stats.client_outbuf_limit_disconnections += 1;
                self.free_client_by_fd(el, fd as RawFd);
                continue;
            }
            // Clients that stay idle with big buffers (pub/sub output, CONFIG SET of the limit) are counted here.
            self.state.clients.mem.update(c, evict_limit);
        }
        self.client_cursor = (self.client_cursor + step) % slots;
    }

    /// DEBUG RESTART / CRASH-AND-RECOVER (Redis's `restartServer`): after `delay_ms`, replaces this process with
    /// a fresh one started with the same arguments. Listening sockets and every other descriptor are close-on-exec.
    /// Returns only if the exec failed.
    fn restart_process(&mut self, delay_ms: i64) {
        if delay_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(delay_ms as u64));
        }
        if let Some(path) = self.pidfile.take() {
            let _ = socket::unlink(&path);
        }
        let exe = std::env::current_exe().unwrap_or_else(|_| std::path::PathBuf::from("/proc/self/exe"));
        // The original arguments: `std::env::args` reads the memory the process title now occupies.
        let args: Vec<std::ffi::CString> = crate::sys::proctitle::original_args()
            .iter()
            .filter_map(|a| std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(a.as_os_str())).ok())
            .collect();
        let Ok(exe_c) = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(exe.as_os_str())) else { return };
        let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        // The cwd may have changed (`dir`): the new process must find the same relative paths, so keep it.
        // SAFETY: `exe_c` and every `args` entry are NUL-terminated strings alive across the call, and `argv` ends
        // with a null pointer as execv requires.
        unsafe { libc::execv(exe_c.as_ptr(), argv.as_ptr()) };
        log_warning!("Can't restart: execv: {}", std::io::Error::last_os_error());
    }
}

use crate::sys::error_text as os_error_text;

/// The event loop's busy-poll bound from `busy-poll-us`.
/// With the I/O threads' loops the main thread does not poll the clients' sockets: spinning would only burn its
/// time.
fn busy_poll_bound(config: &Config, io_loops: bool) -> std::time::Duration {
    let us = if io_loops { 0 } else { config.busy_poll_us.clamp(0, 1000) as u64 };
    std::time::Duration::from_micros(us)
}

impl EventHandler for Server {
    fn file_event(&mut self, el: &mut EventLoop, fd: RawFd, ready: Interest) {
        if self.state.io_loops.as_ref().is_some_and(|l| l.wake_fd() == fd) {
            self.io_drain(el);
            return;
        }
        if let Some(l) = self.state.listeners.list.iter().find(|l| l.fd.as_raw_fd() == fd) {
            let unix = l.unix;
            self.accept(el, fd, unix);
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
        if self.state.active_expire_enabled
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
