//! The server side of blocking commands (Redis `blocked.c`'s event-loop half): parking a client whose command
//! asked to block, serving blocked clients when their keys become ready, timeouts, CLIENT UNBLOCK, and resuming
//! the input of clients once they are unblocked. The bookkeeping itself lives in [`crate::blocking`].
//!
//! Hooks in `server.rs`: after every command (`after_command_blocking`), in `before_sleep`
//! (`blocking_before_sleep`), in `time_event` (`blocking_timer_fired`), when a client is freed
//! (`blocked_client_gone`), and `process_input` stops while the client carries the BLOCKED flag.

use super::Server;
use crate::blocking::UNBLOCKED_ERROR;
use crate::command::Ctx;
use crate::event_loop::{EventLoop, TimerNext};
use crate::net::client::{flags, ClientState};

impl Server {
    /// After a command: parks the caller if it asked to block, then carries out CLIENT UNBLOCK requests and serves
    /// clients blocked on keys the command made ready (Redis's `handleClientsBlockedOnKeys` after `call`).
    pub(super) fn after_command_blocking(&mut self, el: &mut EventLoop, c: &mut ClientState) {
        if let Some(req) = self.state.blocking.request.take() {
            c.flags |= flags::BLOCKED;
            self.state.blocking.add(c.id, req);
            self.state.blocked_clients += 1;
        }
        if !self.state.blocking.unblock_requests.is_empty() {
            self.handle_unblock_requests();
        }
        // A client served while a script is busy (HELLO, SCRIPT KILL, ...) must not serve clients blocked on keys
        // the script made ready: the script is still mid-way, they are served after it ends (Redis skips
        // `handleClientsBlockedOnKeys` inside a yielding command).
        if self.state.blocking.has_ready() && self.state.scripting.run.is_none() {
            self.handle_ready_keys(el);
        }
    }

    /// Before sleeping: ready keys left over, expired timeouts, the input of clients unblocked meanwhile, and a
    /// timer so the loop wakes up for the nearest timeout.
    pub(super) fn blocking_before_sleep(&mut self, el: &mut EventLoop) {
        if self.state.blocking.clients.is_empty() && self.state.blocking.unblocked.is_empty() {
            return;
        }
        if self.state.blocking.has_ready() {
            self.handle_ready_keys(el);
        }
        let now = crate::util::now_ms();
        for id in self.state.blocking.expired(now) {
            self.unblock_with(id, |c| c.reply.null_array());
        }
        self.resume_unblocked(el);
        if let Some(t) = self.state.blocking.timer_id.take() {
            el.remove_timer(t);
        }
        if let Some(deadline) = self.state.blocking.nearest_deadline_ms() {
            let after_ms = (deadline - crate::util::now_ms()).max(0) as u64;
            self.state.blocking.timer_id = Some(el.add_timer(after_ms));
        }
    }

    /// The timeout timer: returns `Some` when `id` is it (the next `before_sleep` does the work).
    pub(super) fn blocking_timer_fired(&mut self, id: u64) -> Option<TimerNext> {
        if self.state.blocking.timer_id == Some(id) {
            self.state.blocking.timer_id = None;
            return Some(TimerNext::Stop);
        }
        None
    }

    /// A client is being freed: forget its wait.
    pub(super) fn blocked_client_gone(&mut self, c: &ClientState) {
        if c.has(flags::BLOCKED) && self.state.blocking.remove(c.id).is_some() {
            self.state.blocked_clients = self.state.blocked_clients.saturating_sub(1);
        }
    }

    fn handle_unblock_requests(&mut self) {
        for (id, error) in std::mem::take(&mut self.state.blocking.unblock_requests) {
            if let Some(pos) = self.state.repl.waiting.iter().position(|w| w.id == id) {
                let w = self.state.repl.waiting.remove(pos);
                self.unblock_waiter(w, error);
                continue;
            }
            self.unblock_with(id, |c| {
                if error {
                    c.reply.error(UNBLOCKED_ERROR);
                } else {
                    c.reply.null_array();
                }
            });
        }
    }

    /// CLIENT UNBLOCK of a client in WAIT: the error, or (TIMEOUT) the replicas that acknowledged so far, as when
    /// its timeout fires.
    fn unblock_waiter(&mut self, w: crate::repl::Waiter, error: bool) {
        let acked = crate::repl::acks_for(&self.state, w.offset);
        let Some(mut c) = self.take_client(w.fd) else { return };
        if c.state.id == w.id {
            c.state.reply.enabled = !c.state.has(flags::REPLY_OFF);
            if error {
                c.state.reply.error(UNBLOCKED_ERROR);
            } else {
                c.state.reply.int(acked);
            }
            c.state.reply.enabled = true;
            if self.count_errors(&mut c.state) > 0 {
                self.flush_command_stats();
                self.state.stats.commandstats.entry(c.state.last_cmd).or_default().failed_calls += 1;
            }
            c.state.flags &= !flags::BLOCKED;
            self.state.blocked_clients = self.state.blocked_clients.saturating_sub(1);
            self.state.blocking.unblocked.push(w.id);
        }
        self.put_client(c);
        self.state.queue_write(w.fd);
    }

    /// Unblocks client `id` (if blocked and not the running one), letting `reply` answer its command.
    fn unblock_with(&mut self, id: u64, reply: impl FnOnce(&mut ClientState)) {
        let Some(&fd) = self.id_to_fd.get(&id) else { return };
        let Some(mut c) = self.take_client(fd) else { return };
        if self.state.blocking.remove(id).is_some() {
            c.state.reply.enabled = !c.state.has(flags::REPLY_OFF);
            reply(&mut c.state);
            c.state.reply.enabled = true;
            if self.count_errors(&mut c.state) > 0 {
                // Redis counts an unblock with an error as a failed call of the blocked command, and records it
                // in the latency histogram (a timeout is not recorded).
                self.flush_command_stats();
                self.state.stats.commandstats.entry(c.state.last_cmd).or_default().failed_calls += 1;
                if self.state.config.latency_tracking {
                    self.state.stats.latency.record_us(c.state.last_cmd, 0);
                }
            }
            c.state.flags &= !flags::BLOCKED;
            self.state.blocked_clients = self.state.blocked_clients.saturating_sub(1);
            self.state.blocking.unblocked.push(id);
        }
        self.put_client(c);
        self.state.queue_write(fd);
    }

    /// Serves clients blocked on the keys signalled ready, oldest first, until no ready key is left (serving one
    /// client may make further keys ready, e.g. BLMOVE's destination).
    fn handle_ready_keys(&mut self, _el: &mut EventLoop) {
        while self.state.blocking.has_ready() {
            for (db, key) in self.state.blocking.take_ready() {
                for id in self.state.blocking.queue(db, &key) {
                    let Some(b) = self.state.blocking.clients.get(&id) else { continue };
                    let kind = b.kind;
                    let now = crate::util::now_ms();
                    self.state.now_ms = now;
                    let serves = match self.state.dbs.get_mut(db).and_then(|d| d.lookup(&key, now)) {
                        None => break,
                        Some(e) => e.obj_type() == kind.obj_type() && e.value().is_some_and(|v| !v.is_empty()),
                    };
                    if !serves {
                        continue;
                    }
                    self.serve_blocked(id, &key);
                }
            }
        }
    }

    /// Re-runs the command of blocked client `id` for the ready `key`. If the command asks to block again the
    /// client keeps waiting in its place; otherwise it is unblocked with the command's reply.
    fn serve_blocked(&mut self, id: u64, key: &[u8]) {
        let Some(&fd) = self.id_to_fd.get(&id) else { return };
        let Some(args) = self.state.blocking.clients.get(&id).map(|b| b.args.clone()) else { return };
        let Some(cmd) = self.commands.lookup(args.args().get(0)) else { return };
        let Some(mut c) = self.take_client(fd) else { return };
        self.state.blocking.serving = Some(key.to_vec());
        c.state.reply.enabled = !c.state.has(flags::REPLY_OFF);
        // The same propagation bookkeeping as `call_with` (the call itself was counted when the client blocked,
        // as Redis counts it).
        let prop = self.state.prop.enabled;
        let saved = if prop { self.state.prop.begin_call() } else { Default::default() };
        let dirty_before = self.state.dirty;
        let started_us = crate::util::now_us();
        (cmd.handler)(&mut Ctx { client: &mut c.state, srv: &mut self.state }, args.args());
        self.state.drain_expired(false);
        if prop {
            let dirty = self.state.dirty != dirty_before;
            self.state.prop.end_call(saved, c.state.db, dirty, args.args().iter(), false);
        }
        c.state.reply.enabled = true;
        self.state.blocking.serving = None;
        if self.state.blocking.request.take().is_none() {
            self.state.blocking.remove(id);
            c.state.flags &= !flags::BLOCKED;
            self.state.blocked_clients = self.state.blocked_clients.saturating_sub(1);
            self.state.blocking.unblocked.push(id);
            // The latency histogram gets the served call (Redis: the reply's time; the wait is not counted), and
            // the monitor the `command-unblocking` event.
            let us = crate::util::now_us().saturating_sub(started_us).max(0) as u64;
            if self.state.config.latency_tracking {
                self.state.stats.latency.record_us(c.state.last_cmd, us);
            }
            crate::latency::add_sample_if_needed("command-unblocking", us / 1000);
        }
        self.count_errors(&mut c.state);
        self.put_client(c);
        self.state.queue_write(fd);
    }

    /// Runs the input that unblocked clients received while they waited (Redis's `processUnblockedClients`).
    fn resume_unblocked(&mut self, el: &mut EventLoop) {
        while !self.state.blocking.unblocked.is_empty() {
            for id in std::mem::take(&mut self.state.blocking.unblocked) {
                let Some(&fd) = self.id_to_fd.get(&id) else { continue };
                let Some(mut c) = self.take_client(fd) else { continue };
                if !c.state.has(flags::BLOCKED) {
                    self.process_input(el, &mut c);
                }
                if c.state.has(flags::CLOSE_ASAP) {
                    self.free_client(el, c);
                    continue;
                }
                self.put_client(c);
                self.state.queue_write(fd);
            }
        }
    }
}
