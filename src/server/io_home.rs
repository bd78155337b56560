//! The main thread's side of the I/O threads' event loops (`net/io_loops.rs`): taking in what they hand over,
//! deciding where each client lives between its commands, and calling every client home when something looks at
//! other clients than the one running.
//!
//! A client handed back by an I/O thread is *homed*: it is in its slot, but no poller watches its socket. Before
//! the loop sleeps (after the AOF flush, so no reply goes out before its command is on disk where `appendfsync
//! always` asks for it), `io_settle` and the pending-writes pass send each homed client back to a thread, or keep
//! it here, watched by this thread's poller as with `io-threads 1`.

use super::Server;
use crate::event_loop::EventLoop;
use crate::log_verbose;
use crate::net::client::{flags, Client};
use crate::net::io::ReadOut;
use crate::net::io_loops::FromLoop;
use crate::state::evict::clients as client_evict;
use crate::sys::poller::Interest;
use std::os::fd::RawFd;

/// What an I/O thread found for a client, the client waiting in its slot until it is handled: right after the
/// mailbox is emptied, or, for what arrived while a command called every client home, at the start of the next
/// `before_sleep`.
pub(super) enum Late {
    Read(RawFd, u64, ReadOut),
    WriteFailed(RawFd, u64, std::io::Error),
}

impl Server {
    /// Whether `c` may live on an I/O thread until its next request. Only while the threads are in use (enough
    /// clients with output, after Redis 7.0's rule: below that load one poller serves everyone, so requests sent
    /// on several connections run in the order they arrived). Clients that other clients' commands reach into
    /// (subscribers, monitors, blocked or paused ones, WATCHers, tracking, replication links) stay here, and so
    /// does everyone while client-side caching or client eviction is on or a script is busy.
    pub(super) fn io_eligible(&self, c: &Client) -> bool {
        const STAY: u32 = flags::MONITOR
            | flags::BLOCKED
            | flags::REPLICA
            | flags::MASTER
            | flags::CLOSE_ASAP
            | flags::CLOSE_AFTER_REPLY
            | flags::POSTPONED
            | flags::LUA_DEBUG
            | flags::LUA_DEBUG_SYNC
            | flags::TRACKING;
        c.state.flags & STAY == 0
            && c.state.subs.is_none()
            && c.state.watched_keys == 0
            && !c.pending_push
            && c.sock.is_some()
            && self.io_loops.as_ref().is_some_and(|l| l.active)
            && self.io_plain()
    }

    /// Whether the server is in the plain request/reply state in which clients may live on the I/O threads. Not
    /// while a client subscribes, blocks, monitors or tracks keys, client eviction is on, clients are paused or a
    /// script is busy: those deliver one client's effects to another (a PUBLISH to a subscriber, an LPUSH to a
    /// BLPOP), and only one poller for every client keeps such effects in the order the requests arrived in (a
    /// subscriber's PSUBSCRIBE before the PUBLISH another connection sent after it), as with `io-threads 1`.
    pub(super) fn io_plain(&self) -> bool {
        self.state.pubsub.is_empty()
            && self.state.blocking.clients.is_empty()
            && self.state.clients.monitors.is_empty()
            && self.state.tracking.clients() == 0
            && client_evict::limit_bytes(&self.state.config) == 0
            && self.state.pause.mode_at(self.state.now_ms) == crate::state::PauseMode::Off
            && !self.state.scripting.is_timedout()
            && self.exit_code.is_none()
    }

    /// After a command: if it ended the plain state (see [`Server::io_plain`]), every client comes home.
    #[inline]
    pub(super) fn io_after_command(&mut self) {
        if self.io_loops.as_ref().is_some_and(|l| l.away > 0) && !self.io_plain() {
            self.io_gather();
        }
    }

    /// The I/O threads' mailbox is readable: handles everything in it. Every client goes back in its slot before
    /// any command runs (a command may look at or close another one), then each is finished in arrival order.
    pub(super) fn io_drain(&mut self, el: &mut EventLoop) {
        let mut msgs = std::mem::take(&mut self.io_inbox);
        if let Some(l) = self.io_loops.as_mut() {
            l.drain(&mut msgs);
        }
        self.io_take_in(&mut msgs);
        self.io_inbox = msgs;
        self.io_late(el);
    }

    /// Puts what the threads sent in the clients' slots; reads and failed writes wait in `io_backlog`.
    fn io_take_in(&mut self, msgs: &mut Vec<FromLoop>) {
        for m in msgs.drain(..) {
            match m {
                FromLoop::Gathered(v) => {
                    for mut c in v {
                        self.io_home(&mut c);
                        self.put_client(c);
                    }
                }
                FromLoop::Read(mut c, out) => {
                    self.io_home(&mut c);
                    self.io_backlog.push_back(Late::Read(c.state.fd, c.state.id, out));
                    self.put_client(c);
                }
                FromLoop::WriteFailed(mut c, e) => {
                    self.io_home(&mut c);
                    self.io_backlog.push_back(Late::WriteFailed(c.state.fd, c.state.id, e));
                    self.put_client(c);
                }
            }
        }
    }

    /// Calls every client home (see [`crate::net::io_loops::IoLoops::gather`]). Runs inside commands too: what
    /// cannot be handled there waits in `io_backlog`.
    pub(super) fn io_gather(&mut self) {
        let Some(l) = self.io_loops.as_mut() else { return };
        if l.away == 0 {
            return;
        }
        let mut got = Vec::new();
        l.gather(&mut got);
        self.io_take_in(&mut got);
    }

    /// What waits in `io_backlog`, in arrival order (not while a command runs).
    pub(super) fn io_late(&mut self, el: &mut EventLoop) {
        // One at a time from the front: a command here that blocks in a busy script serves the rest of the list
        // from its own event passes (each nested call takes the next entry).
        while let Some(late) = self.io_backlog.pop_front() {
            let (fd, id) = match &late {
                Late::Read(fd, id, _) | Late::WriteFailed(fd, id, _) => (*fd, *id),
            };
            let Some(c) = self.take_client(fd) else { continue };
            if c.state.id != id {
                self.put_client(c);
                continue;
            }
            match late {
                Late::Read(_, _, out) => {
                    self.state.stats.io_threaded_reads_processed += 1;
                    self.after_read(el, c, out);
                }
                Late::WriteFailed(_, _, e) => {
                    log_verbose!("Error writing to client: {}", super::os_error_text(&e));
                    self.free_client(el, c);
                }
            }
        }
    }

    /// A client back from an I/O thread: what the thread wrote joins the server's counters, and where it lives
    /// next is decided before sleeping.
    fn io_home(&mut self, c: &mut Client) {
        let w = std::mem::take(&mut c.written);
        if w.passes > 0 {
            self.state.stats.total_writes_processed += w.writes;
            self.state.stats.io_threaded_writes_processed += w.passes;
            self.count_output(&mut c.state, w.bytes);
            c.state.last_interaction_ms = c.state.last_interaction_ms.max(w.at_ms);
        }
        c.homed = true;
        self.io_arrived.push(c.state.fd);
    }

    /// Before sleeping: each homed client without pending output goes back to a thread or stays here (those with
    /// output are decided by the pending-writes pass that follows).
    pub(super) fn io_settle(&mut self, el: &mut EventLoop) {
        if self.io_arrived.is_empty() {
            return;
        }
        for fd in std::mem::take(&mut self.io_arrived) {
            let Some(c) = self.take_client(fd) else { continue };
            if !c.homed || c.pending_write {
                self.put_client(c);
                continue;
            }
            let Some(mut c) = self.io_place(el, c) else { continue };
            if c.state.reply.pending_len() > 0 {
                c.pending_write = true;
                self.state.clients.pending_write.push(fd);
            }
            self.put_client(c);
        }
    }

    /// Where a client out of its slot lives next: its I/O thread (`None`), or here (`Some`, watched by this
    /// thread's poller); `None` too when registering it failed and it was closed.
    pub(super) fn io_place(&mut self, el: &mut EventLoop, mut c: Box<Client>) -> Option<Box<Client>> {
        if self.io_eligible(&c) {
            self.io_send(el, c);
            return None;
        }
        if !self.io_stay(el, &mut c) {
            self.free_client(el, c);
            return None;
        }
        Some(c)
    }

    /// A homed client stays with the main thread: its socket joins this thread's poller. False if that failed
    /// (the client is then to be closed).
    pub(super) fn io_stay(&mut self, el: &mut EventLoop, c: &mut Client) -> bool {
        if !c.homed {
            return true;
        }
        c.homed = false;
        match el.add_interest(c.state.fd, Interest::READABLE) {
            Ok(()) => true,
            Err(e) => {
                crate::log_warning!("Error registering fd event for the client: {}", super::os_error_text(&e));
                false
            }
        }
    }

    /// Hands `c` to its I/O thread, which writes its pending reply and reads its next requests.
    pub(super) fn io_send(&mut self, el: &mut EventLoop, mut c: Box<Client>) {
        let fd = c.state.fd;
        if !el.interest(fd).is_none() {
            let _ = el.remove_interest(fd, Interest::BOTH);
        }
        c.homed = false;
        let limits = c.state.authenticated.then(|| self.limits_for(true));
        let Some(l) = self.io_loops.as_mut() else { return self.put_client(c) };
        if let Err(mut c) = l.adopt(c, limits) {
            // Only at exit: the client stays here.
            c.homed = true;
            if self.io_stay(el, &mut c) {
                self.put_client(c);
            } else {
                self.free_client(el, c);
            }
        }
    }

    /// Wakes the I/O threads that were handed clients in this pass.
    pub(super) fn io_wake(&mut self) {
        if let Some(l) = self.io_loops.as_mut() {
            l.wake_queued();
        }
    }

    /// The busy-poll bound in effect (none while the I/O threads' loops watch the clients).
    pub(super) fn busy_poll(&self) -> std::time::Duration {
        super::busy_poll_bound(&self.state.config, self.io_loops.is_some())
    }
}
