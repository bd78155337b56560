//! The server cron (Redis's `serverCron` and `clientsCron`) and DEBUG RESTART.

use super::{Server, CONFIG_MAX_HZ, MAX_CLIENTS_PER_CLOCK_TICK, REPLY_BUF_KEEP, SPANS_KEEP};
use crate::command::{self, Ctx};
use crate::event_loop::{EventLoop, TimerNext};
use crate::net::client::{flags, ClientState};
use crate::state::evict::clients as client_evict;
use crate::state::repl::link::ReplLink as _;
use crate::sys::socket;
use crate::{log_verbose, log_warning};
use std::os::fd::RawFd;

impl Server {
    pub(super) fn run_with_period(&self, period_ms: i64) -> bool {
        let interval = 1000 / self.hz;
        period_ms <= interval || self.cron_loops % (period_ms / interval) as u64 == 0
    }

    pub(super) fn cron(&mut self, el: &mut EventLoop) -> TimerNext {
        // Software watchdog: SIGALRM reaches its handler unless the loop comes back here within the period. Not
        // during a load, whose event processing is no cron pass in Redis (a long load trips it, as there).
        if !self.state.persist.stats.loading {
            crate::crash_report::watchdog_rearm();
        }
        let now = crate::util::now_ms();
        // The clients on the I/O threads come home for the cron's look at every client: on every tick when idle
        // clients time out, else once a second (buffer trims, CLIENT LIST's figures), and when the threads are
        // switched off (they are used under load only: `IoLoops::end_period`).
        let off = self.run_with_period(100) && self.io_loops.as_mut().is_some_and(|l| l.end_period(now));
        if let Some(l) = &self.io_loops {
            self.state.clients.io_threads_active = l.active;
        }
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
        // HOTKEYS START ... DURATION ends on the first tick after its time, as in Redis's serverCron.
        if let Some(h) = self.state.hotkeys.as_deref_mut() {
            h.expire(now);
        }
        // Freed tracking slots become reusable once their bits are swept from the table.
        if self.state.tracking.sweeping() {
            self.state.tracking.sweep_step(crate::state::tracking::tracker::SWEEP_BUDGET);
        }
        // Ten times a second while a FAILOVER runs, so its handshake moves on quickly (as Redis's serverCron).
        let repl_period =
            if self.state.repl.failover.state == crate::state::repl::failover::State::None { 1000 } else { 100 };
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
                    crate::latency::timed("malloc-trim", || {
                        crate::alloc::trim_if_worth(crate::sys::process::rss_memory())
                    });
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
    /// INFO + CLIENT LIST snapshot a signal-time report prints is rendered again (see [`crate::crash_report`]).
    pub(super) fn ops_cron(&mut self) {
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
                        log_verbose!("DB {j}: {used} keys ({vkeys} volatile) in {} slots HT.", db.buckets());
                    }
                }
            }
            crate::log_debug!(
                "{} clients connected (0 replicas), {} bytes in use",
                self.connected,
                crate::alloc::used_memory()
            );
        }
    }

    /// Renders INFO all and CLIENT LIST for a report written by a signal handler (which may not allocate).
    pub(super) fn refresh_crash_snapshot(&mut self) {
        if self.state.config.crash_log_enabled {
            let mut probe = ClientState::new(0, -1, String::new(), String::new(), self.state.now_ms);
            let ctx = Ctx::new(&mut probe, &mut self.state);
            let info = {
                let _cheap = crate::alloc::CheapAllocatorStats::enter();
                command::info::info_all_text(&ctx)
            };
            // Rendered once a second: bounded so that thousands of clients cost no visible pause.
            let list =
                command::client_info::client_list_text(ctx.server(), None, crate::crash_report::SNAPSHOT_MAX_CLIENTS);
            crate::crash_report::publish_snapshot(crate::crash_report::report_text(&info, &list));
        }
    }

    /// Timeouts of idle clients; buffer trims and limit checks for a share of the clients each tick (Redis's
    /// clientsCron: `connected / hz` clients, at least 5, so every client is seen at least once a second and a few
    /// clients on every tick).
    pub(super) fn clients_cron(&mut self, el: &mut EventLoop, now_ms: i64) {
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
            if crate::net::output_limit::output_limit_bytes(&c.state) > 0
                && !c.state.has(flags::CLOSE_ASAP)
                && crate::net::output_limit::output_limit_reached(
                    &c.state,
                    &mut c.obuf_soft_limit_reached_s,
                    limits,
                    now_ms,
                )
                .is_some()
            {
                log_warning!(
                    "Client {} closed for overcoming of output buffer limits.",
                    command::client_info::client_info_string(&c.state, now_ms)
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
    pub(super) fn restart_process(&mut self, delay_ms: i64) {
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
