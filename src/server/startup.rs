//! Starting the server: the process set-up before the loop (signals, limits, the logo, the PID file), the
//! listeners, and the [`Server`] built around the state (Redis's `main` and `initServer`).

use super::{acl, busy_poll_bound, os_error_text, sentinel, PauseTracker, Server, CONFIG_MAX_HZ, MAX_EVENTS};
use crate::command::{self};
use crate::config::Config;
use crate::event_loop::EventLoop;
use crate::net::listen::{self, Listener};
use crate::net::{io_loops, io_threads};
use crate::state::repl::link::ReplLink as _;
use crate::state::ServerState;
use crate::state::SHUTDOWN_SIGNAL;
use crate::sys::poller::Interest;
use crate::sys::process::{self, FilesLimit};
use crate::sys::socket;
use crate::{log_notice, log_warning};
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;

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
    // Before any thread that takes a list starts (see sys::affinity).
    crate::sys::affinity::configure(
        config.stored_str("server_cpulist"),
        config.stored_str("bio_cpulist"),
        config.stored_str("aof_rewrite_cpulist"),
        config.stored_str("bgsave_cpulist"),
    );
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
    if server.state.sentinel.is_none() {
        // Redis's linuxMemoryWarnings: before the data is loaded, so that none of it lands in huge pages.
        for w in crate::sys::syscheck::startup_warnings(server.state.config.stored_bool("disable-thp")) {
            log_warning!("{w}");
        }
    }
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
    let maxmemory = server.state.config.maxmemory;
    if maxmemory > 0 && maxmemory < 1024 * 1024 {
        log_warning!(
            "WARNING: You specified a maxmemory value that is less than 1MB (current value is {maxmemory} bytes). Are \
             you sure this is what you really want?"
        );
    }
    // Redis pins the event loop here, after loading (`server_cpulist`).
    crate::sys::affinity::enter(crate::sys::affinity::Role::EventLoop);
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

/// Opens the listeners (`port` and `bind`, `tls-port` in the tls build, `unixsocket`) and registers them. On
/// failure the error has been logged; returns the exit code.
fn open_listeners(config: &Config, el: &mut EventLoop) -> Result<listen::Listeners, i32> {
    let Ok(mut listeners) = listen::open_tcp(config.port, &config.bind, config.tcp_backlog, &mut Vec::new()) else {
        log_warning!("Failed listening on port {} (tcp), aborting.", config.port);
        return Err(1);
    };
    #[cfg(feature = "tls")]
    let tls = open_tls(config, &mut listeners)?;
    if let Some(path) = &config.unixsocket {
        match socket::listen_unix(path, config.unixsocketperm, config.tcp_backlog) {
            Ok(fd) => listeners.push(Listener { fd, unix: true, tls: false }),
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
    Ok(listen::Listeners {
        list: listeners,
        #[cfg(feature = "tls")]
        tls,
        ..Default::default()
    })
}

/// TLS at start-up (the `tls` build): the configuration when the directives want TLS (Redis exits when it can't
/// be built), and the listeners on `tls-port`. On failure the error has been logged; returns the exit code.
#[cfg(feature = "tls")]
fn open_tls(config: &Config, listeners: &mut Vec<Listener>) -> Result<Option<crate::net::tls::Context>, i32> {
    let tls = match crate::net::tls::wanted(config).then(|| crate::net::tls::configure(config)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            log_warning!("{e}");
            log_warning!("Failed to configure TLS. Check logs for more info.");
            return Err(1);
        }
    };
    let port = config.stored_i64("tls-port") as u16;
    let Ok(more) = listen::open_tcp(port, &config.bind, config.tcp_backlog, &mut Vec::new()) else {
        log_warning!("Failed listening on port {port} (tls), aborting.");
        return Err(1);
    };
    listeners.extend(more.into_iter().map(|l| Listener { tls: true, ..l }));
    Ok(tls)
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
        let listeners = open_listeners(&config, el)?;
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
        let (mut io, mut loops) = (None, None);
        let started = if do_reads {
            io_loops::IoLoops::start(threads).map(|l| loops = l)
        } else {
            io_threads::IoThreads::start(threads).map(|t| io = t)
        };
        if let Err(e) = started {
            log_warning!("Fatal: Can't initialize IO thread: {e}");
            return Err(1);
        }
        if let Some(l) = &loops {
            if let Err(e) = el.add_interest(l.wake_fd(), Interest::READABLE) {
                log_warning!("Fatal: Can't initialize IO thread: {e}");
                return Err(1);
            }
        }
        el.set_busy_poll(busy_poll_bound(&state.config, loops.is_some()));
        state.listeners = listeners;
        // The OOM score from the start, before loading (Redis's setOOMScoreAdj(-1) in main); logged on failure,
        // and the server goes on, as Redis does. `sync_oom_role` keeps it in line with the role afterwards.
        let class = if state.repl.master.is_some() { crate::oom::Class::Replica } else { crate::oom::Class::Master };
        let _ = crate::oom::apply(crate::oom::Setting::of(&state.config), class);
        let mut server = Server::with_state(state, commands, pidfile);
        server.io = io;
        server.io_loops = loops;
        Ok(server)
    }

    /// The server around `state`, before any client or event: what every server is built from (the listening one
    /// above, and the detached one of the handler harness, `server/detached.rs`).
    pub(super) fn with_state(
        mut state: ServerState,
        commands: &'static command::CommandTable,
        pidfile: Option<String>,
    ) -> Server {
        command::init_full_names();
        state.clients.info = command::client_info::client_info_string;
        // The event kinds the databases record, from the configuration (CONFIG SET keeps them in step after).
        crate::state::notify::sync(&mut state);
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
            reply_start: 0,
            commands,
            aof_files: None,
            busy_loop: None,
            oom_replica: false,
            sentinel_timer: None,
            io: None,
            io_loops: None,
        }
    }

    /// Applies a listener change (CONFIG SET port/bind): the old sockets leave the event loop and close, the new
    /// ones join it.
    pub(super) fn register_listener_changes(&mut self, el: &mut EventLoop) {
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
}
