//! The dispatcher's transaction and CLIENT PAUSE hooks, kept apart from the network code in `server/mod.rs`.
//!
//! - MULTI: commands of a client in MULTI are queued by [`crate::command::multi::queue_hook`]; EXEC runs each queued
//!   command through [`Server::call`] (commandstats, slowlog, MONITOR per command, then EXEC itself).
//! - CLIENT PAUSE: a command the pause holds back is not run; the client gets the POSTPONED flag, its input stays
//!   buffered and unparsed, and it joins [`PauseTracker::postponed`](crate::server::tx_pause::PauseTracker::postponed).
//!   Before each sleep the server lifts an expired pause and, whenever the pause changed, feeds the postponed clients'
//!   input again (those still held back are postponed again). A timer wakes the loop when the pause ends.

use super::Server;
use crate::command::{self, flag, Args, Command, Ctx};
use crate::event_loop::{EventLoop, TimerNext};
use crate::net::client::{flags, ClientState};
use crate::state::PauseMode;
use std::os::fd::RawFd;

#[derive(Default)]
pub(super) struct PauseTracker {
    /// Ids of clients whose next command waits for the pause to end, in arrival order.
    postponed: Vec<u64>,
    /// The [`ClientPause::generation`](crate::state::ClientPause::generation) the postponed clients were last tried
    /// against.
    seen_generation: u64,
    /// Timer waking the loop at the end of the pause, and that end.
    timer: Option<u64>,
    timer_end_ms: i64,
}

impl Server {
    /// Runs before the handler of a checked command. Returns true when the command was taken care of here:
    /// postponed by CLIENT PAUSE, queued (or refused) inside MULTI, or EXEC.
    pub(super) fn tx_or_pause_hook(
        &mut self,
        c: &mut ClientState,
        cmd: &'static Command,
        full_name: &'static str,
        args: Args,
        start_us: i64,
    ) -> bool {
        if self.state.pause.mode != PauseMode::Off || self.state.pause.writes_held() {
            let f = crate::admission::queue_flags(c, cmd);
            if self.state.pause.defers(f & (flag::WRITE | flag::MAY_REPLICATE) != 0, self.state.now_ms) {
                c.flags |= flags::POSTPONED;
                c.last_cmd = full_name;
                self.pause.postponed.push(c.id);
                self.state.clients.num_blocked += 1;
                return true;
            }
        }
        if c.has(flags::MULTI) && command::multi::queue_hook(c, &self.state.watches, cmd, full_name, args) {
            c.last_cmd = full_name;
            if !c.reply.error_prefixes.is_empty() {
                self.count_rejected(c, full_name);
            }
            return true;
        }
        if command::multi::is_exec(cmd) {
            self.call_with(c, cmd, full_name, args, start_us, super::CallMode::Call, |s, c| s.exec_queued(c));
            return true;
        }
        false
    }

    /// EXEC's body: every queued command through the full call path.
    fn exec_queued(&mut self, c: &mut ClientState) {
        let Some(run) = command::multi::exec_prepare(&mut Ctx::new(c, &mut self.state)) else { return };
        for q in &run.queue {
            let t = crate::util::now_us();
            // Permissions may have changed since the command was queued (Redis's execCommand).
            if let Some(d) = crate::admission::acl_denies(&self.state, c, q.cmd, run.args.args(q)) {
                crate::admission::log_acl_denial(&mut self.state, c, d, q.full_name, run.args.args(q));
                c.reply.error(&crate::acl::exec_noperm_message(d));
                continue;
            }
            self.call(c, q.cmd, q.full_name, run.args.args(q), t);
        }
        command::multi::exec_finish(&mut Ctx::new(c, &mut self.state), run);
    }

    /// A client is going away: drop its watches and its place among postponed clients.
    pub(super) fn forget_tx_and_pause(&mut self, c: &ClientState) {
        self.state.watches.unwatch_all(c.id);
        if c.has(flags::POSTPONED) {
            self.pause.postponed.retain(|&id| id != c.id);
            self.state.clients.num_blocked = self.state.clients.num_blocked.saturating_sub(1);
        }
    }

    /// Before sleeping: end an expired pause, resume postponed clients after any change, arm the end timer.
    pub(super) fn pause_before_sleep(&mut self, el: &mut EventLoop) {
        let p = self.state.pause;
        if p.mode == PauseMode::Off && p.generation == self.pause.seen_generation {
            return;
        }
        let now = crate::util::now_ms();
        if p.mode != PauseMode::Off && now >= p.end_ms {
            self.state.pause.unpause();
        }
        if self.state.pause.generation != self.pause.seen_generation {
            self.pause.seen_generation = self.state.pause.generation;
            for id in std::mem::take(&mut self.pause.postponed) {
                if let Some(&fd) = self.state.clients.id_to_fd.get(&id) {
                    self.resume_client(el, fd);
                }
            }
        }
        let p = self.state.pause;
        if p.mode == PauseMode::Off {
            if let Some(t) = self.pause.timer.take() {
                el.remove_timer(t);
            }
        } else if self.pause.timer.is_none() || self.pause.timer_end_ms != p.end_ms {
            if let Some(t) = self.pause.timer.take() {
                el.remove_timer(t);
            }
            self.pause.timer = Some(el.add_timer((p.end_ms - now).max(1) as u64));
            self.pause.timer_end_ms = p.end_ms;
        }
    }

    /// Whether timer `id` is the pause-end timer (it only wakes the loop; `pause_before_sleep` does the work).
    pub(super) fn pause_timer_event(&mut self, id: u64) -> Option<TimerNext> {
        if self.pause.timer == Some(id) {
            self.pause.timer = None;
            return Some(TimerNext::Stop);
        }
        None
    }

    /// Runs the buffered input of a postponed client again.
    fn resume_client(&mut self, el: &mut EventLoop, fd: RawFd) {
        let Some(mut c) = self.take_client(fd) else { return };
        if c.state.has(flags::POSTPONED) {
            c.state.flags &= !flags::POSTPONED;
            self.state.clients.num_blocked = self.state.clients.num_blocked.saturating_sub(1);
        }
        self.process_input(el, &mut c);
        if c.state.has(flags::CLOSE_ASAP) {
            self.free_client(el, c);
            return;
        }
        let writable = el.interest(fd).is_writable();
        c.refresh_conn_stats(0, true, writable);
        if c.state.reply.pending_len() > 0 && !c.pending_write && !writable {
            c.pending_write = true;
            self.state.clients.pending_write.push(fd);
        }
        self.put_client(c);
    }
}
