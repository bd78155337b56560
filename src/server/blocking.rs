//! The server side of blocking commands (Redis `blocked.c`'s event-loop half): parking a client whose command
//! asked to block, serving blocked clients when their keys become ready, timeouts, CLIENT UNBLOCK, and resuming
//! the input of clients once they are unblocked. The bookkeeping itself lives in [`crate::blocking`].
//!
//! Hooks in `server/mod.rs`: after every command (`after_command_blocking`), in `before_sleep`
//! (`blocking_before_sleep`), in `time_event` (`blocking_timer_fired`), when a client is freed
//! (`blocked_client_gone`), and `process_input` stops while the client carries the BLOCKED flag.

use super::{CallMode, Server};
use crate::blocking::{BlockKind, UNBLOCKED_ERROR};
use crate::command::Ctx;
use crate::event_loop::{EventLoop, TimerNext};
use crate::net::client::{flags, ClientState};

/// Why [`Server::unblock`] ends a wait.
#[derive(Debug, Clone)]
enum EndWait {
    Timeout,
    ClientUnblock {
        error: bool,
    },
    /// A master became a replica (Redis's `disconnectAllBlockedClients`).
    StateChanged,
    /// Cluster mode: the keys' slot is no longer served here; the redirection error (Redis's
    /// `clusterRedirectBlockedClientIfNeeded`).
    Redirect(String),
}

/// The error a blocked client gets when its master turns into a replica, after which it is closed.
const STATE_CHANGED_ERROR: &str =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

impl Server {
    /// After a command: parks the caller if it asked to block, then carries out CLIENT UNBLOCK requests and serves
    /// clients blocked on keys the command made ready (Redis's `handleClientsBlockedOnKeys` after `call`).
    pub(super) fn after_command_blocking(&mut self, el: &mut EventLoop, c: &mut ClientState) {
        if let Some(req) = self.state.blocking.request.take() {
            c.flags |= flags::BLOCKED;
            self.state.blocking.add(c.id, req);
            self.state.clients.num_blocked += 1;
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
            // XREADGROUP ... CLAIM: a pending entry became claimable before the timeout; re-run it.
            let wake =
                self.state.blocking.clients.get(&id).filter(|b| b.claim_wake_due(now)).and_then(|b| b.keys.first());
            if let Some(key) = wake.cloned() {
                self.state.now_ms = now;
                self.serve_blocked(id, &key);
                // Never due again at once (a client that could not be re-run waits for its timeout).
                let stale = self.state.blocking.clients.get(&id).and_then(|b| b.stream.as_ref()?.claim);
                if let Some(c) = stale.filter(|c| c.wake_ms > 0 && c.wake_ms <= now) {
                    self.state.blocking.rearm_claim(id, Some(crate::blocking::ClaimWait { wake_ms: 0, ..c }));
                }
                continue;
            }
            self.unblock(id, EndWait::Timeout);
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

    /// Cluster mode, from the clients cron: clients blocked on keys of a slot this node no longer serves (or
    /// while the cluster is down) get the redirection and stop waiting (Redis's
    /// `clusterRedirectBlockedClientIfNeeded`).
    pub(super) fn cluster_redirect_blocked(&mut self) {
        let mut ends = Vec::new();
        for (&id, b) in &self.state.blocking.clients {
            let Some(key) = b.keys.first() else { continue };
            let client_flags = self
                .state
                .clients
                .id_to_fd
                .get(&id)
                .and_then(|&fd| self.state.clients.by_fd.get(fd as usize).and_then(|c| c.as_ref()))
                .map_or(0, |c| c.state.flags);
            let write = self.commands.lookup(b.args.args().get(0)).is_some_and(|c| c.has(crate::command::flag::WRITE));
            if let Some(msg) = crate::state::cluster::blocked_client_redirect(&self.state, key, client_flags, write) {
                ends.push((id, msg));
            }
        }
        for (id, msg) in ends {
            self.unblock(id, EndWait::Redirect(msg));
        }
    }

    /// A client is being freed: forget its wait.
    pub(super) fn blocked_client_gone(&mut self, c: &ClientState) {
        if c.has(flags::BLOCKED) && self.state.blocking.remove(c.id).is_some() {
            self.state.clients.num_blocked = self.state.clients.num_blocked.saturating_sub(1);
        }
    }

    /// Carries out CLIENT UNBLOCK requests; returns whether any ended with an error reply.
    pub(super) fn handle_unblock_requests(&mut self) -> bool {
        let mut errors = false;
        for (id, error) in std::mem::take(&mut self.state.blocking.unblock_requests) {
            errors |= self.unblock(id, EndWait::ClientUnblock { error });
        }
        errors
    }

    /// A master turned into a replica (REPLICAOF host port): every client blocked on keys or in WAIT gets
    /// Redis's `-UNBLOCKED ... instance state changed` error and is closed after it, so nothing the new master
    /// sends can serve it (Redis's `disconnectAllBlockedClients` in `replicationSetMaster`).
    pub(super) fn disconnect_all_blocked(&mut self) {
        let mut ids: Vec<u64> = self.state.blocking.clients.keys().copied().collect();
        ids.extend(self.state.repl.waiting.iter().map(|w| w.id));
        ids.sort_unstable();
        for id in ids {
            self.unblock(id, EndWait::StateChanged);
        }
    }

    /// The one way a blocked client stops waiting without being served: its timeout passed, or CLIENT UNBLOCK
    /// (key waits and WAIT alike). It gets the timeout reply (a null array; WAIT: the replicas that acknowledged
    /// so far) or CLIENT UNBLOCK's error, and is unblocked. A timeout counts nothing; CLIENT UNBLOCK counts the
    /// command's statistics as Redis 7.0's `clientUnblockCommand` does (`updateStatsOnUnblock` with an error, for
    /// either form).
    /// Returns whether the client got an error reply.
    fn unblock(&mut self, id: u64, why: EndWait) -> bool {
        let Some(&fd) = self.state.clients.id_to_fd.get(&id) else { return false };
        // Not the client whose command is running (it is not blocked).
        let Some(mut c) = self.take_client(fd) else { return false };
        if let Some(p) = self.state.shutdown.blocked.iter().position(|&(x, _)| x == id) {
            // Blocked in SHUTDOWN (only CLIENT UNBLOCK ERROR gets here): the error, SHUTDOWN's statistics as a
            // failed call, and the shutdown itself goes on without this caller, as in Redis 7.0.
            self.state.shutdown.blocked.remove(p);
            c.state.reply.enabled = !c.state.has(flags::REPLY_OFF);
            c.state.reply.error(UNBLOCKED_ERROR);
            c.state.reply.enabled = true;
            self.count_errors(&mut c.state);
            if let Some(cmd) = self.commands.lookup(b"shutdown") {
                let call_us = c.state.call_us;
                self.stats_on_unblock(&c.state, cmd, crate::args::OwnedArgs::default().args(), call_us, true);
            }
            self.end_block(&mut c.state);
            self.put_client(c);
            self.state.queue_write(fd);
            return true;
        }
        let (args, acked) = match self.state.repl.waiting.iter().position(|w| w.id == id) {
            Some(p) => {
                let w = self.state.repl.waiting.remove(p);
                (w.args, Some(crate::state::repl::wait_outcome(&self.state, w.offset, w.numlocal)))
            }
            None => match self.state.blocking.remove(id) {
                Some(b) => (b.args, None),
                None => {
                    self.put_client(c);
                    return false;
                }
            },
        };
        c.state.reply.enabled = !c.state.has(flags::REPLY_OFF);
        match (&why, acked) {
            (EndWait::ClientUnblock { error: true }, _) => c.state.reply.error(UNBLOCKED_ERROR),
            (EndWait::StateChanged, _) => {
                c.state.reply.error(STATE_CHANGED_ERROR);
                c.state.flags |= flags::CLOSE_AFTER_REPLY;
            }
            (EndWait::Redirect(msg), _) => c.state.reply.error(msg),
            (_, Some(outcome)) => outcome.reply(&mut c.state.reply),
            (_, None) => c.state.reply.null_array(),
        }
        c.state.reply.enabled = true;
        let had_errors = self.count_errors(&mut c.state) > 0;
        if let EndWait::ClientUnblock { .. } = why {
            if let Some(cmd) = self.commands.lookup(args.args().get(0)) {
                let call_us = c.state.call_us;
                self.stats_on_unblock(&c.state, cmd, crate::args::OwnedArgs::default().args(), call_us, true);
            }
        } else if let EndWait::Timeout = why {
            debug_assert!(!had_errors);
            // CLUSTER SLOT-STATS: the blocked call's time, which commandstats counted when it blocked (Valkey
            // counts a timed-out command's time at the timeout).
            self.slot_stats_timed_out(&c.state);
        }
        self.end_block(&mut c.state);
        self.put_client(c);
        self.state.queue_write(fd);
        had_errors
    }

    /// Serves clients blocked on the keys signalled ready, oldest first, until no ready key is left (serving one
    /// client may make further keys ready, e.g. BLMOVE's destination).
    fn handle_ready_keys(&mut self, _el: &mut EventLoop) {
        while self.state.blocking.has_ready() {
            for (db, key) in self.state.blocking.take_ready() {
                for id in self.state.blocking.queue(db, &key) {
                    let Some(b) = self.state.blocking.clients.get(&id) else { continue };
                    let kind = b.kind;
                    // XREAD with `+` (Redis 7.4) is re-run for an empty stream too: one created empty answers
                    // Redis's "last element ID is 0-0" error.
                    let plus = b.stream.as_ref().is_some_and(|w| w.last_entry.contains(&true));
                    let now = crate::util::now_ms();
                    self.state.now_ms = now;
                    let clock = self.state.lookup_clock();
                    let serves = match self.state.dbs.get_mut(db).and_then(|d| d.lookup(&key, clock)) {
                        _ if kind == BlockKind::StreamGroup => true,
                        None => continue,
                        Some(e) => {
                            e.obj_type() == kind.obj_type() && (plus || e.value().is_some_and(|v| !v.is_empty()))
                        }
                    };
                    if !serves {
                        continue;
                    }
                    self.serve_blocked(id, &key);
                }
            }
        }
    }

    /// Re-runs the command of blocked client `id` for the ready `key`, through the call path (propagation,
    /// expired keys, keyspace events, errors, and the statistics of an unblocked command). If the command asks to
    /// block again the client keeps waiting in its place; otherwise it is unblocked with the command's reply.
    fn serve_blocked(&mut self, id: u64, key: &[u8]) {
        let Some(&fd) = self.state.clients.id_to_fd.get(&id) else { return };
        let Some(args) = self.state.blocking.clients.get(&id).map(|b| b.args.clone()) else { return };
        let Some(cmd) = self.commands.lookup(args.args().get(0)) else { return };
        let Some(mut c) = self.take_client(fd) else { return };
        self.state.blocking.serving = Some(key.to_vec());
        c.state.reply.enabled = !c.state.has(flags::REPLY_OFF);
        let name = c.state.last_cmd;
        let start_us = crate::util::now_us();
        self.call_with(&mut c.state, cmd, name, args.args(), start_us, CallMode::Served, |s, c| {
            (cmd.handler)(&mut Ctx::new(c, &mut s.state), args.args())
        });
        c.state.reply.enabled = true;
        self.state.blocking.serving = None;
        match self.state.blocking.request.take() {
            None => {
                self.state.blocking.remove(id);
                self.end_block(&mut c.state);
            }
            // Waiting on: only XREADGROUP ... CLAIM's next wake-up changes.
            Some(req) => {
                if let Some(claim) = req.stream.and_then(|w| w.claim) {
                    self.state.blocking.rearm_claim(id, Some(claim));
                }
            }
        }
        self.put_client(c);
        self.state.queue_write(fd);
    }

    /// A client stops being blocked (served, timed out, unblocked): its input is resumed before the next sleep.
    fn end_block(&mut self, c: &mut ClientState) {
        c.flags &= !flags::BLOCKED;
        self.state.clients.num_blocked = self.state.clients.num_blocked.saturating_sub(1);
        self.state.blocking.unblocked.push(c.id);
    }

    /// Runs the input that unblocked clients received while they waited (Redis's `processUnblockedClients`).
    fn resume_unblocked(&mut self, el: &mut EventLoop) {
        while !self.state.blocking.unblocked.is_empty() {
            for id in std::mem::take(&mut self.state.blocking.unblocked) {
                let Some(&fd) = self.state.clients.id_to_fd.get(&id) else { continue };
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
