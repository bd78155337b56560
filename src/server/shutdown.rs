//! Shutting down as Redis 7.0 does (`server.c`'s `prepareForShutdown`, `isReadyToShutdown`, `finishShutdown`,
//! `abortShutdown`), for SHUTDOWN and for SIGTERM/SIGINT alike:
//!
//! ```text
//!  SHUTDOWN (caller blocked) ──┐
//!  signal ─▶ cron ─────────────┴─▶ prepare ──(NOW, shutdown-timeout 0, or every replica acked our offset)──┐
//!                                     │                                                                   ▼
//!                                     └─▶ wait: writes paused, GETACK sent ──(acked / timeout, cron)──▶ finish
//!                                            │                                                          │  │
//!                  SHUTDOWN ABORT ──▶ cancel ◀──────────── failed (save error, initial AOF rewrite) ────┘  │
//!                    (blocked SHUTDOWN callers get the error, writes resume)                  exit(0) ◀─────┘
//! ```
//!
//! - `prepare` logs "User requested shutdown...", and unless NOW (or `shutdown-timeout 0`) waits while a replica's
//!   acknowledged offset differs from `master_repl_offset`: `shutdown_in_milliseconds` shows in INFO, write
//!   commands are held back as by `CLIENT PAUSE WRITE` (Redis's `PAUSE_DURING_SHUTDOWN`), and the replicas get
//!   `REPLCONF GETACK *` so they answer at once. A shutdown already initiated makes a later SHUTDOWN wait along
//!   (its flags are ignored, NOW and FORCE included), as in Redis.
//! - The cron (and, sooner, the step before the loop sleeps) finishes the shutdown once every replica acked or
//!   the deadline passed: a line per lagging replica, "N of M replicas are in sync", then the persistence half
//!   (`shutdown_persistence`), the pid file, a last flush of the replicas' output, the listeners, "bye bye".
//! - A failure there, or SHUTDOWN ABORT, cancels: the clients blocked in SHUTDOWN get `-ERR Errors trying to
//!   SHUTDOWN. Check logs.`, writes resume, and a signal that started it is forgotten.
//! - Signals: the handler only records the signal (`SHUTDOWN_SIGNAL`); a second SIGINT before the shutdown is
//!   done or cancelled exits at once (status 1). A second SIGTERM changes nothing.
//!
//! Tested by `tests/replication/shutdown_replicas.rs` (against redis-server) and Redis's own `integration/shutdown` and
//! `unit/shutdown` suites.

use super::{socket, Server};
use crate::event_loop::EventLoop;
use crate::net::client::{flags, ClientState};
use crate::state::repl::link::ReplLink as _;
use crate::state::SHUTDOWN_SIGNAL;
use crate::state::{PauseMode, ShutdownFlags};
use crate::{log_notice, log_warning};
use std::sync::atomic::Ordering;

/// What a client blocked in SHUTDOWN gets when the shutdown fails or is aborted.
const SHUTDOWN_FAILED_ERROR: &str = "ERR Errors trying to SHUTDOWN. Check logs.";

impl Server {
    /// SHUTDOWN from client `c`: it blocks (no reply) until the shutdown fails or is aborted, then the shutdown
    /// starts (Redis's `blockClient(c, BLOCKED_SHUTDOWN)` + `prepareForShutdown`). The loop stops when the server
    /// is to exit now.
    pub(super) fn shutdown_command(&mut self, el: &mut EventLoop, c: &mut ClientState, flags: ShutdownFlags) {
        c.flags |= flags::BLOCKED;
        self.state.clients.num_blocked += 1;
        self.state.shutdown.blocked.push((c.id, c.fd));
        if self.prepare_for_shutdown(flags, Some(c)) {
            self.exit_now(el);
        }
    }

    /// The cron's part (Redis's serverCron): acts on a SIGTERM/SIGINT, and ends a wait for replicas once they all
    /// acknowledged our offset or the deadline passed. Returns true when the loop was stopped for the exit.
    pub(super) fn shutdown_cron(&mut self, el: &mut EventLoop) -> bool {
        if self.exit_code.is_some() {
            return false;
        }
        let sig = SHUTDOWN_SIGNAL.load(Ordering::Relaxed);
        if sig != 0 && !self.state.shutdown.initiated() {
            if self.state.persist.stats.loading {
                // Redis's whileBlockedCron: during a load the signal always means NOSAVE.
                let flags = ShutdownFlags { nosave: true, ..Default::default() };
                if self.prepare_for_shutdown(flags, None) {
                    self.exit_now(el);
                    return true;
                }
                log_warning!(
                    "SIGTERM received but errors trying to shut down the server, check the logs for more information"
                );
                SHUTDOWN_SIGNAL.store(0, Ordering::Relaxed);
                return false;
            }
            let directive = if sig == libc::SIGINT { "shutdown-on-sigint" } else { "shutdown-on-sigterm" };
            let flags = ShutdownFlags::from_config(self.state.config.stored_str(directive));
            if self.prepare_for_shutdown(flags, None) {
                self.exit_now(el);
                return true;
            }
        } else if self.state.shutdown.initiated()
            && (crate::util::now_ms() >= self.state.shutdown.deadline_ms || self.is_ready_to_shutdown())
            && self.finish_shutdown(None)
        {
            self.exit_now(el);
            return true;
        }
        // Otherwise nothing to do yet, or the shutdown failed and was cancelled (the reason is logged).
        false
    }

    /// SHUTDOWN ABORT of an initiated shutdown (the command already replied and logged; a pending signal it
    /// cleared itself).
    pub(super) fn abort_shutdown(&mut self, running: Option<&mut ClientState>) {
        if self.state.shutdown.initiated() {
            self.cancel_shutdown(running);
        }
    }

    /// A client is being freed: if it was blocked in SHUTDOWN, forget it.
    pub(super) fn shutdown_client_gone(&mut self, c: &ClientState) {
        if c.has(flags::BLOCKED) {
            if let Some(p) = self.state.shutdown.blocked.iter().position(|&(id, _)| id == c.id) {
                self.state.shutdown.blocked.remove(p);
                self.state.clients.num_blocked = self.state.clients.num_blocked.saturating_sub(1);
            }
        }
    }

    /// Redis's `prepareForShutdown`. Returns true when the server may exit now; false when it waits for replicas,
    /// when a shutdown is already initiated, or when the shutdown failed (then cancelled). `running`: the client
    /// whose command is executing (out of the client table), if any.
    fn prepare_for_shutdown(&mut self, mut flags: ShutdownFlags, running: Option<&mut ClientState>) -> bool {
        if self.state.shutdown.initiated() {
            return false;
        }
        // Never save a half-loaded dataset over the file it comes from; a sentinel has no dataset to save.
        if self.state.persist.stats.loading || self.state.sentinel.is_some() {
            flags.save = false;
            flags.nosave = true;
        }
        self.state.shutdown.flags = flags;
        log_warning!("User requested shutdown...");
        crate::supervise::stopping();
        // Let lagging replicas catch up first, so that they lose nothing.
        if !flags.now && self.state.config.shutdown_timeout != 0 && !self.is_ready_to_shutdown() {
            let now = crate::util::now_ms();
            self.state.shutdown.deadline_ms =
                now.saturating_add(self.state.config.shutdown_timeout.saturating_mul(1000));
            // Not while clients are paused already: the request would move our offset past a pause's target.
            if self.state.pause.mode_at(now) == PauseMode::Off {
                crate::state::repl::queue_getack(&mut self.state);
                crate::state::repl::drain_feed(&mut self.state, running);
            }
            self.state.pause.set_shutdown(true);
            self.state.lazy_expiry.paused = true;
            log_notice!("Waiting for replicas before shutting down.");
            return false;
        }
        self.finish_shutdown(running)
    }

    /// Redis's `isReadyToShutdown`: no replica, or every one acknowledged our whole stream.
    fn is_ready_to_shutdown(&self) -> bool {
        let r = &self.state.repl;
        r.replicas.iter().all(|x| x.ack_off == r.master_repl_offset)
    }

    /// Redis's `finishShutdown`: the last step. Returns true when the process may exit; on failure the shutdown
    /// is cancelled and false returned.
    fn finish_shutdown(&mut self, running: Option<&mut ClientState>) -> bool {
        let flags = self.state.shutdown.flags;
        let now_s = crate::util::now_ms() / 1000;
        let r = &self.state.repl;
        let mut lagging = 0;
        for x in r.replicas.iter().filter(|x| x.ack_off != r.master_repl_offset) {
            lagging += 1;
            let lag = if x.state == crate::state::repl::roles::ReplicaState::Online {
                now_s - x.ack_time_ms / 1000
            } else {
                0
            };
            log_warning!(
                "Lagging replica {} reported offset {} behind master, lag={}, state={}.",
                x.name(),
                r.master_repl_offset - x.ack_off,
                lag,
                x.state.name()
            );
        }
        if !r.replicas.is_empty() {
            let n = r.replicas.len();
            log_notice!("{} of {} replicas are in sync when shutting down.", n - lagging, n);
        }
        // Forked Lua debugging sessions end with us (Redis's `ldbKillForkedSessions`).
        for pid in std::mem::take(&mut self.state.scripting.ldb_children) {
            log_warning!("Killing debugging session {pid}");
            let _ = crate::sys::process::kill(pid, libc::SIGKILL);
        }
        if !self.shutdown_persistence(flags) {
            log_warning!("Errors trying to shut down the server. Check the logs for more information.");
            self.cancel_shutdown(running);
            return false;
        }
        if let Some(path) = self.pidfile.take() {
            log_notice!("Removing the pid file.");
            let _ = socket::unlink(&path);
        }
        self.flush_replicas_output();
        // Closing the listeners at once lets a new server bind the port sooner.
        self.state.listeners = Default::default();
        if let Some(path) = &self.state.config.unixsocket {
            log_notice!("Removing the unix socket file.");
            let _ = socket::unlink(path);
        }
        log_warning!("ferredis is now ready to exit, bye bye...");
        true
    }

    /// Redis's `cancelShutdown`: back to serving. The clients blocked in SHUTDOWN get the error and run what they
    /// sent meanwhile; writes resume; a signal that asked for the shutdown is forgotten.
    fn cancel_shutdown(&mut self, mut running: Option<&mut ClientState>) {
        SHUTDOWN_SIGNAL.store(0, Ordering::Relaxed);
        let was_initiated = self.state.shutdown.initiated();
        self.state.shutdown.deadline_ms = 0;
        self.state.shutdown.flags = ShutdownFlags::default();
        for (id, fd) in std::mem::take(&mut self.state.shutdown.blocked) {
            if let Some(c) = running.as_deref_mut().filter(|c| c.id == id) {
                // The caller of a SHUTDOWN that failed at once: the command's own error.
                unblock_with_error(c);
                self.state.clients.num_blocked = self.state.clients.num_blocked.saturating_sub(1);
                continue;
            }
            let Some(mut c) = self.take_client(fd) else { continue };
            if c.state.id == id {
                unblock_with_error(&mut c.state);
                if self.count_errors(&mut c.state) > 0 {
                    self.flush_command_stats();
                    self.state.stats.commandstats.entry(c.state.last_cmd).or_default().failed_calls += 1;
                }
                self.state.clients.num_blocked = self.state.clients.num_blocked.saturating_sub(1);
                // Its input that arrived meanwhile runs next (the blocking machinery resumes unblocked clients).
                self.state.blocking.unblocked.push(id);
            }
            self.put_client(c);
            self.state.queue_write(fd);
        }
        if was_initiated {
            self.state.pause.set_shutdown(false);
            let paused = self.state.pause.mode_at(crate::util::now_ms()) != PauseMode::Off;
            self.state.lazy_expiry.paused = paused;
        }
    }

    /// Redis's `flushSlavesOutputBuffers`: one best-effort write of what online replicas still have to receive.
    fn flush_replicas_output(&mut self) {
        let fds: Vec<(u64, i32)> = self
            .state
            .repl
            .replicas
            .iter()
            .filter(|r| r.state == crate::state::repl::roles::ReplicaState::Online)
            .map(|r| (r.id, r.fd))
            .collect();
        for (id, fd) in fds {
            let Some(slot) = self.state.clients.by_fd.get_mut(fd as usize) else { continue };
            let Some(mut c) = slot.take_if(|c| c.state.id == id && !c.state.has(flags::CLOSE_ASAP)) else { continue };
            // Through the client's write step (a TLS replica's bytes go through its session); a full socket or
            // a broken link: nothing more to do for it before exiting.
            while c.state.reply.pending_len() > 0 {
                let out = crate::net::io::write_step(&mut c);
                if out.err.is_some() || out.total == 0 {
                    break;
                }
            }
            if c.state.reply.pending_len() == 0 {
                // Then its share of the shared replication buffer.
                let _ = self.repl_write_stream(&mut c, &mut 0);
            }
            self.state.clients.by_fd[fd as usize] = Some(c);
        }
    }

    /// The shutdown is complete: the loop stops and `start` returns exit status 0.
    fn exit_now(&mut self, el: &mut EventLoop) {
        self.exit_code = Some(0);
        el.stop();
    }
}

/// Answers a client blocked in SHUTDOWN with the failure and lets it run commands again.
fn unblock_with_error(c: &mut ClientState) {
    c.reply.enabled = !c.has(flags::REPLY_OFF);
    c.reply.error(SHUTDOWN_FAILED_ERROR);
    c.reply.enabled = true;
    c.flags &= !flags::BLOCKED;
}
