//! Replication's event-loop side (the I/O half of Redis's `replication.c`), as [`ReplLink`]: feeding the stream
//! after commands, full syncs through a BGSAVE, the link to our master driven by the event loop, the master
//! client, and the once-a-second cron (ACKs, reconnects, timeouts). The data and the decisions are in the folder's
//! other files (the operations on the state in [`mod.rs`](super), the handshake parser in [`replica`](super::replica));
//! what is here needs the event loop, the sockets or the fork.
//!
//! [`ReplLink`] is implemented for every [`Host`], the server as the features in `state/` see it: the state, its
//! event handling, and the few services of the loop the trait lists (closing a client, adopting the master's
//! client, the AOF switch, the OOM score). So this file names nothing of the server layer, which calls these
//! methods on itself.
//!
//! Nothing here blocks the loop on the network: the link socket is non-blocking and registered like a client's.
//! Loading the received payload is [`load`](super::load).
//!
//! # Full sync, master side
//! A full sync reuses the BGSAVE child ([`persist::engine`](crate::persist::engine)); replicas arriving while a disk
//! BGSAVE for replicas runs share it, sent the stream from the first one's offset. Diskless (`repl-diskless-sync yes`,
//! the default, for replicas that announce `capa eof`) starts after `repl-diskless-sync-delay` seconds (or
//! `repl-diskless-sync-max-replicas`): the child writes the RDB and the EOF mark into a pipe, so a child that dies
//! never produces a payload a replica accepts, then waits on a second pipe until the master has read the first to its
//! end (Redis's `rdb_child_exit_pipe`); it holds no parent end of either, so its master's death ends it. The pipe is
//! read only while every replica it feeds has less than a 1 MiB window of payload unsent, so a slow replica holds the
//! child back instead of filling the master's memory; a disk file is queued to each replica from its own descriptor a 1
//! MiB window at a time. Payload bytes do not count against `client-output-buffer-limit replica`; the replica's share
//! of the shared buffer (the stream since its snapshot) does. A replica whose socket takes nothing for `repl-timeout`
//! is dropped; a diskless child whose replicas all left is killed, and so is a disk BGSAVE whose last replica left when
//! no save point is set.
//!
//! `REPLCONF rdb-only 1` (`redis-cli --rdb`): the replica gets no stream and is closed once its payload is written.
//! `REPLCONF rdb-filter-only functions` (`--functions-rdb`): the payload leaves out the keys, is always made on a
//! socket, and one BGSAVE serves only replicas with the first one's filter.
//!
//! Counters: bytes read by the master link (payload, keepalives, stream; not the handshake's replies) and written
//! to replica clients are `total_net_repl_input_bytes` / `total_net_repl_output_bytes`; as in Redis 7.0,
//! `total_net_input_bytes` / `total_net_output_bytes` are the sums of both kinds.

use super::load::ReplLoad;
use crate::event_loop::EventLoop;
use crate::net::client::{flags, Client, ClientState};
use crate::persist::engine::ChildKind;
use crate::state::host::Host;
use crate::state::repl::replica::{Event, HandshakeConfig, MasterLink, Phase};
use crate::state::repl::{
    self,
    roles::{LinkState, MasterAddr, ReplicaState, Request},
};
use crate::sys::poller::Interest;
use crate::sys::socket;
use crate::{log_notice, log_warning};
use std::io;
use std::os::fd::AsRawFd;

/// Bytes of a disk RDB queued in a replica's output ahead of what its socket took.
const BULK_WINDOW: usize = 1 << 20;

/// Most bytes read from the master link per readable event while the RDB arrives.
const LINK_READ_PER_EVENT: usize = 4 << 20;

pub trait ReplLink: Host + Sized {
    /// The `replicaof` directive: start following the master once the data is loaded.
    fn repl_startup(&mut self, el: &mut EventLoop) {
        let text = self.state().config.extra.get("replicaof").cloned().unwrap_or_default();
        let mut it = text.split_whitespace();
        if let (Some(host), Some(port)) = (it.next(), it.next().and_then(|p| p.parse::<u16>().ok())) {
            // Unlike REPLICAOF at run time, a replica starting up only offers the history its RDB recorded.
            if let Some((id, offset, db)) = self.state().repl.loaded_history.take() {
                log_notice!("Using the replication ID and offset of the loaded RDB: {id}:{offset}");
                self.state().repl.replid = id;
                self.state().repl.master_repl_offset = offset;
                self.state().repl.master_db = db;
                let was_master = !self.state().repl.is_replica();
                self.repl_set_master(el, MasterAddr { host: host.to_string(), port }, was_master);
                crate::state::repl::create_backlog(self.state());
            } else {
                let was_master = !self.state().repl.is_replica();
                self.repl_set_master(el, MasterAddr { host: host.to_string(), port }, was_master);
                self.state().repl.can_continue = false;
                if let Some(link) = self.state().repl.link.as_mut() {
                    link.cfg.psync_replid = "?".into();
                    link.cfg.psync_offset = -1;
                }
            }
        }
    }

    /// After each top-level command: the stream it produced goes out, then what REPLICAOF / PSYNC asked for.
    #[inline]
    fn repl_after_command(&mut self, el: &mut EventLoop, c: &mut ClientState) {
        let offset_before = self.state().repl.master_repl_offset;
        crate::state::repl::drain_feed(self.state(), Some(&mut *c));
        if self.state().repl.master_repl_offset != offset_before {
            c.woff = self.state().repl.master_repl_offset;
        }
        if !self.state().repl.requests.is_empty() {
            for r in std::mem::take(&mut self.state().repl.requests) {
                match r {
                    Request::SetMaster(addr, was_master) => self.repl_set_master(el, addr, was_master),
                    Request::UnsetMaster => self.repl_unset_master(el),
                    Request::DropMasterLink => {
                        self.repl_drop_master(el);
                        let r = &mut self.state().repl;
                        (r.link_state, r.can_continue) = (LinkState::Connect, false);
                        // PSYNC FAILOVER promoted us before asking for this.
                        self.sync_oom_role(false);
                    }
                    Request::AbortFailover(why) => self.repl_abort_failover(el, why),
                }
            }
        }
        if self.state().repl.sync_wanted {
            self.repl_start_full_syncs(Some(c));
        }
        if c.last_cmd.starts_with("config") || c.has(flags::REPLICA) {
            crate::state::repl::refresh_good_replicas(self.state());
            if !self.state().repl.waiting.is_empty() {
                self.repl_serve_waiters(crate::util::now_ms());
            }
        }
    }

    /// Before the loop sleeps: WAIT's `REPLCONF GETACK *` and timeouts, then the stream goes out.
    fn repl_before_sleep(&mut self, el: &mut EventLoop) {
        if self.repl_bulk_pump() && self.state().repl.bulk_timer.is_none() {
            // Room left in a replica's window: turn again at once instead of waiting for an event.
            self.state().repl.bulk_timer = Some(el.add_timer(0));
        }
        if !self.state().repl.closing_pipes.is_empty() {
            self.repl_close_pipes(el);
        }
        if !self.state().repl.waiting.is_empty() {
            self.repl_serve_waiters(crate::util::now_ms());
        }
        if self.state().repl.failover.state == repl::failover::State::WaitForSync {
            self.repl_update_failover(el);
        }
        // Not while clients are paused (CLIENT PAUSE, FAILOVER, a shutdown waiting for replicas): the request would
        // move our offset past what the replicas are to catch up with. It goes once the pause ends.
        if self.state().repl.get_ack
            && self.state().pause.mode_at(crate::util::now_ms()) == crate::state::PauseMode::Off
        {
            self.state().repl.get_ack = false;
            crate::state::repl::queue_getack(self.state());
        }
        crate::state::repl::drain_feed(self.state(), None);
    }

    /// After the pass's writes: the diskless child's pipe is watched only while every replica it feeds has taken
    /// its last window of payload, so a slow replica holds the child back instead of filling our memory (Redis
    /// reads the pipe again only once every replica has written what was read).
    fn repl_pipe_interest(&mut self, el: &mut EventLoop) {
        let Some(fd) = self.state().repl.rdb_pipe.as_ref().map(|p| p.as_raw_fd()) else { return };
        let want = !self.repl_pipe_blocked();
        let r = &mut self.state().repl;
        if want && !r.rdb_pipe_registered {
            r.rdb_pipe_registered = el.add_interest(fd, Interest::READABLE).is_ok();
        } else if !want && r.rdb_pipe_registered {
            let _ = el.remove_interest(fd, Interest::READABLE);
            r.rdb_pipe_registered = false;
        }
    }

    /// Whether a replica fed by the pipe still holds a full window of payload its socket has not taken.
    fn repl_pipe_blocked(&self) -> bool {
        let st = self.state_ref();
        st.repl.replicas.iter().filter(|r| r.state == ReplicaState::WaitBgsaveEnd && r.diskless).any(|r| {
            matches!(st.clients.by_fd.get(r.fd as usize), Some(Some(c))
                if c.state.id == r.id && !c.state.has(flags::CLOSE_ASAP) && c.state.reply.pending_len() >= BULK_WINDOW)
        })
    }

    /// Answers WAITs and WAITAOFs that have enough acknowledgements (and, for WAITAOF, the local fsync) or timed
    /// out. A WAITAOF waiting for a local fsync while the AOF went off gets Redis's error
    /// (`processClientsWaitingReplicas`).
    fn repl_serve_waiters(&mut self, now_ms: i64) {
        let waiting = std::mem::take(&mut self.state().repl.waiting);
        let mut keep = Vec::with_capacity(waiting.len());
        let aof_on = self.state().config.appendonly;
        for w in waiting {
            let outcome = crate::state::repl::wait_outcome(self.state_ref(), w.offset, w.numlocal);
            let aof_off_error = w.numlocal.is_some_and(|n| n > 0) && !aof_on;
            let satisfied = match outcome {
                repl::roles::WaitOutcome::Replicas(n) => n >= w.numreplicas,
                repl::roles::WaitOutcome::Aof { local, replicas } => {
                    replicas >= w.numreplicas && local >= w.numlocal.unwrap_or(0)
                }
            };
            if !aof_off_error && !satisfied && (w.deadline_ms == 0 || now_ms < w.deadline_ms) {
                keep.push(w);
                continue;
            }
            let Some(Some(c)) = self.state().clients.by_fd.get_mut(w.fd as usize) else { continue };
            if c.state.id != w.id {
                continue;
            }
            c.state.reply.enabled = !c.state.has(flags::REPLY_OFF);
            if aof_off_error {
                c.state.reply.error(super::commands::WAITAOF_AOF_OFF);
            } else {
                outcome.reply(&mut c.state.reply);
            }
            c.state.reply.enabled = true;
            c.state.flags &= !flags::BLOCKED;
            self.state().clients.num_blocked = self.state().clients.num_blocked.saturating_sub(1);
            // Its input that arrived meanwhile runs next (the blocking machinery resumes unblocked clients).
            self.state().blocking.unblocked.push(w.id);
            self.state().queue_write(w.fd);
        }
        self.state().repl.waiting.extend(keep);
    }

    /// A command from our master's stream failed here (Redis's `afterErrorReply` for a master client): the
    /// error is logged with the command and the end of our backlog, counted in `unexpected_error_replies`, and
    /// with `propagation-error-behavior panic|panic-on-replicas` a read-only replica stops (its data diverged).
    fn error_to_master(&mut self, text: &[u8]) {
        let text = &text[..text.len().min(4096)];
        let cmd = self.running_command_name();
        log_warning!(
            "== CRITICAL == This replica is sending an error to its master: '{}' after processing the command '{cmd}'",
            String::from_utf8_lossy(text)
        );
        if let Some(b) = self.state().repl.backlog.as_ref().filter(|b| b.histlen() > 0) {
            let mut dump = Vec::new();
            b.copy_from(b.first_offset() + b.histlen().saturating_sub(256) as i64, &mut dump);
            log_warning!("Latest backlog is: '{}'", String::from_utf8_lossy(&dump));
        }
        self.state().stats.unexpected_error_replies += 1;
        let behavior = self.state().config.stored_str("propagation-error-behavior");
        if behavior != "ignore" && self.state().config.stored_bool("replica-read-only") {
            let msg =
                format!("This replica panicked sending an error to its master after processing the command '{cmd}'");
            crate::crash_report::panic_report(
                |w| {
                    crate::crash_report::warn_line(w, "------------------------------------------------");
                    crate::crash_report::warn_line(w, "!!! Software Failure. Press left mouse button to continue");
                    crate::crash_report::warn_line(w, &format!("Guru Meditation: {msg} #{}:{}", file!(), line!()));
                },
                None,
            );
        }
    }

    /// Bytes of the master's stream that the master client just ran: they count in our offset and go verbatim to
    /// our backlog and sub-replicas (held while a MULTI is open, as Redis applies transactions whole).
    fn repl_master_applied(&mut self, c: &ClientState, bytes: &[u8]) {
        let st = self.state();
        let r = &mut st.repl;
        r.master_last_io_ms = st.now_ms;
        if c.has(flags::MULTI) {
            r.master_applied.extend_from_slice(bytes);
            return;
        }
        if r.master_applied.is_empty() {
            crate::state::repl::feed_stream(self.state(), bytes, None);
            return;
        }
        r.master_applied.extend_from_slice(bytes);
        let mut data = std::mem::take(&mut self.state().repl.master_applied);
        crate::state::repl::feed_stream(self.state(), &data, None);
        // A big transaction's copy is given back (unit/pendingquerybuf: a replica holding it kept 32 MB more
        // than its master); a small one is reused.
        if data.capacity() <= repl::roles::FEED_BUF_KEEP {
            data.clear();
            self.state().repl.master_applied = data;
        }
    }

    /// A client is being freed: forget it as a replica or as our master. True when it was the master we still
    /// follow: the caller reconnects ([`ReplLink::repl_master_lost`]) once the client is gone.
    fn repl_client_freed(&mut self, c: &ClientState) -> bool {
        if c.has(flags::BLOCKED) {
            if let Some(p) = self.state().repl.waiting.iter().position(|w| w.id == c.id) {
                self.state().repl.waiting.remove(p);
                self.state().clients.num_blocked = self.state().clients.num_blocked.saturating_sub(1);
            }
        }
        let st = self.state();
        let r = &mut st.repl;
        if !r.replconf.is_empty() {
            r.replconf.retain(|(id, _)| *id != c.id);
        }
        if c.has(flags::REPLICA) {
            if let Some(p) = r.replicas.iter().position(|x| x.id == c.id) {
                let x = r.replicas.remove(p);
                log_warning!("Connection with replica {} lost.", x.name());
                // A disk BGSAVE that only replicas wanted is no use once the last one waiting for it is gone
                // (Redis's `freeClient`; with save points it goes on).
                let child = st.persist.child.as_ref().filter(|ch| ch.kind == ChildKind::Rdb && !ch.diskless);
                let waiting = r.replicas.iter().any(|y| y.state == ReplicaState::WaitBgsaveEnd);
                if x.state == ReplicaState::WaitBgsaveEnd
                    && child.is_some()
                    && !waiting
                    && self.state().config.save_params.is_empty()
                {
                    self.state().persist.kill_child();
                    self.state().set_child(None);
                    self.state().repl.rdb_child_pid = None;
                }
            }
            let r = &mut self.state().repl;
            if r.replicas.is_empty() {
                r.no_replicas_since_s = crate::util::now_ms() / 1000;
            }
            // The blocks only it still needed go (the rest by the cron, a step at a time).
            crate::state::repl::trim_backlog(self.state());
            crate::state::repl::refresh_good_replicas(self.state());
        }
        let r = &mut self.state().repl;
        if c.has(flags::MASTER) && r.master_client.is_some_and(|(id, _)| id == c.id) {
            r.master_client = None;
            r.master_db = c.db;
            // A transaction cut in the middle is not applied (Redis discards it with the cached master).
            r.master_applied.clear();
            r.can_continue = true;
            r.down_since_s = crate::util::now_ms() / 1000;
            log_warning!("Connection with master lost.");
            log_notice!("Caching the disconnected master state.");
            if r.master.is_some() {
                r.link_state = LinkState::Connect;
                return true;
            }
        }
        false
    }

    /// Our master client is gone while we still follow it: connect again at once rather than at the next cron
    /// run, which could find the backlog we would continue from recycled (Redis's
    /// `replicationHandleMasterDisconnection`).
    fn repl_master_lost(&mut self, el: &mut EventLoop) {
        if self.state().repl.link.is_some() || self.state().repl.master_client.is_some() {
            return;
        }
        let Some(m) = self.state().repl.master.as_ref() else { return };
        log_notice!("Reconnecting to MASTER {}:{}", m.host, m.port);
        self.repl_connect(el);
    }

    /// Appends bytes to a replica's output, wherever the client is (the running one is out of the table).
    fn repl_write_to(&mut self, running: &mut Option<&mut ClientState>, id: u64, fd: i32, bytes: &[u8]) {
        self.repl_write(running, id, fd, bytes, true)
    }

    /// [`ReplLink::repl_write_to`]; `counted`: false for what Redis writes outside its traffic counters
    /// (`+FULLRESYNC`, keepalive newlines).
    fn repl_write(&mut self, running: &mut Option<&mut ClientState>, id: u64, fd: i32, bytes: &[u8], counted: bool) {
        let aside = if counted { 0 } else { bytes.len() };
        if let Some(c) = running.as_deref_mut().filter(|c| c.id == id) {
            c.reply.raw_bytes(bytes);
            c.uncounted_out += aside;
            return;
        }
        if let Some(Some(c)) = self.state().clients.by_fd.get_mut(fd as usize) {
            if c.state.id == id {
                c.state.reply.raw_bytes(bytes);
                c.state.uncounted_out += aside;
                self.state().queue_write(fd);
            }
        }
    }

    /// Writes an online replica's share of the shared buffer, once its own output (a payload's end, `+CONTINUE`)
    /// is out; as in Redis, a replica's writes are not capped per event. `total` counts the bytes written. An
    /// error: the socket failed.
    fn repl_write_stream(&mut self, c: &mut Client, total: &mut usize) -> io::Result<()> {
        let crate::state::ServerState { repl, stats, .. } = self.state();
        let Some(b) = repl.backlog.as_ref() else { return Ok(()) };
        let id = c.state.id;
        let Some(x) = repl.replicas.iter_mut().find(|x| x.id == id && x.state == ReplicaState::Online) else {
            return Ok(());
        };
        let before = x.stream_off;
        let mut res = Ok(());
        loop {
            let s = b.slice_from(x.stream_off);
            if s.is_empty() {
                break;
            }
            match crate::net::conn::client_write(c, s) {
                Ok(n) => {
                    x.stream_off += n as i64;
                    *total += n;
                    stats.total_writes_processed += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    res = Err(e);
                    break;
                }
            }
        }
        if x.stream_off != before {
            crate::state::repl::trim_backlog(self.state());
        }
        res
    }

    /// Closes a client after this event-loop pass (from places that cannot free it now).
    fn repl_close_async(&mut self, running: &mut Option<&mut ClientState>, id: u64, fd: i32) {
        if let Some(c) = running.as_deref_mut().filter(|c| c.id == id) {
            c.flags |= flags::CLOSE_ASAP;
            return;
        }
        if let Some(Some(c)) = self.state().clients.by_fd.get_mut(fd as usize) {
            if c.state.id == id {
                c.state.flags |= flags::CLOSE_ASAP;
                self.state().queue_write(fd);
            }
        }
    }

    /// [`ReplLink::repl_disconnect_replicas`] outside any command.
    fn repl_disconnect_replicas_now(&mut self) {
        self.repl_disconnect_replicas(None);
    }

    /// Disconnects every replica (they must learn of a new history: promotion, a new master's data).
    fn repl_disconnect_replicas(&mut self, mut running: Option<&mut ClientState>) {
        let all: Vec<(u64, i32)> = self.state().repl.replicas.iter().map(|r| (r.id, r.fd)).collect();
        for (id, fd) in all {
            self.repl_close_async(&mut running, id, fd);
        }
    }

    /// Starts (or joins) the BGSAVE that replicas waiting for a full sync need (Redis's `syncCommand` cases and
    /// `startBgsaveForReplication`, disk target).
    fn repl_start_full_syncs(&mut self, mut running: Option<&mut ClientState>) {
        self.state().repl.sync_wanted = false;
        if !self.state().repl.replicas.iter().any(|r| r.state == ReplicaState::WaitBgsaveStart) {
            return;
        }
        if self.state().persist.child.is_some() {
            self.repl_join_running_bgsave(&mut running);
            return;
        }
        // One BGSAVE serves the replicas with the first waiting one's filter; the others wait for the next. A
        // filtered payload is always made on a socket, never over the snapshot file (`startBgsaveForReplication`).
        let req =
            self.state().repl.replicas.iter().find(|r| r.state == ReplicaState::WaitBgsaveStart).map_or(0, |r| r.req);
        let (diskless, starting) = {
            let waiting: Vec<&repl::roles::Replica> = self
                .state_ref()
                .repl
                .replicas
                .iter()
                .filter(|r| r.state == ReplicaState::WaitBgsaveStart && r.req == req)
                .collect();
            let configured = self.state_ref().config.stored_bool("repl-diskless-sync");
            let diskless = (configured || req != 0) && waiting.iter().all(|r| r.capa_eof);
            let oldest_ms = waiting.iter().map(|r| r.ack_time_ms).min().unwrap_or(0);
            (diskless, (waiting.len(), oldest_ms, configured))
        };
        if diskless && starting.2 {
            // Wait a little for more replicas to share the child (checked again by the cron).
            let delay_ms = self.state().config.stored_i64("repl-diskless-sync-delay") * 1000;
            let max = self.state().config.stored_i64("repl-diskless-sync-max-replicas");
            let full = max > 0 && starting.0 as i64 >= max;
            if delay_ms > 0 && crate::util::now_ms() - starting.1 < delay_ms && !full {
                return;
            }
        }
        let started = if diskless {
            self.repl_fork_to_sockets(req)
        } else {
            log_notice!("Starting BGSAVE for SYNC with target: disk");
            self.state().start_bgsave()
        };
        match started {
            Ok(pid) => self.repl_full_syncs_started(&mut running, pid, req, diskless),
            Err(e) => {
                log_warning!("BGSAVE for replication failed: {e}");
                let waiting: Vec<(u64, i32)> = self
                    .state()
                    .repl
                    .replicas
                    .iter()
                    .filter(|r| r.state == ReplicaState::WaitBgsaveStart)
                    .map(|r| (r.id, r.fd))
                    .collect();
                for (id, fd) in waiting {
                    self.repl_close_async(&mut running, id, fd);
                }
            }
        }
    }

    /// A BGSAVE is running: replicas waiting for a full sync share it when it is one made for replicas on disk
    /// (Redis's `syncCommand`, case 1), else they wait for the next.
    fn repl_join_running_bgsave(&mut self, running: &mut Option<&mut ClientState>) {
        let st = self.state();
        let Some(child) = st.persist.child.as_ref() else { return };
        // A BGSAVE made for replicas is running: late comers share it, with the first one's stream so far.
        // An rdb-only replica can share any; one that wants the stream needs a donor that collects it; a
        // filtered one never shares a disk BGSAVE (Redis's `syncCommand`, case 1).
        let ours = st.repl.rdb_child_pid == Some(child.pid) && !child.diskless;
        let end = |r: &&repl::roles::Replica| r.state == ReplicaState::WaitBgsaveEnd;
        let donor = st.repl.replicas.iter().find(end).map(|d| (d.initial_offset, d.stream_off));
        let (true, Some((offset, from))) = (ours, donor) else {
            log_notice!("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed");
            return;
        };
        let replid = self.state().repl.replid.clone();
        let mut joining: Vec<(u64, i32, bool)> = Vec::new();
        for r in self.state().repl.replicas.iter_mut().filter(|r| r.state == ReplicaState::WaitBgsaveStart) {
            // A filtered payload (rdb-filter-only) is never a disk BGSAVE's.
            if r.req != 0 {
                log_notice!("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
                continue;
            }
            r.state = ReplicaState::WaitBgsaveEnd;
            r.initial_offset = offset;
            r.stream_off = from;
            joining.push((r.id, r.fd, r.pre_psync));
        }
        for (id, fd, pre) in joining {
            if !pre {
                let line = format!("+FULLRESYNC {replid} {offset}\r\n");
                self.repl_write(running, id, fd, line.as_bytes(), false);
            }
            log_notice!("Waiting for end of BGSAVE for SYNC");
        }
    }

    /// Forks the child that writes the snapshot (filtered by `req`) to a pipe for the replicas' sockets
    /// (`rdbSaveToSlavesSockets`); the child's pid.
    fn repl_fork_to_sockets(&mut self, req: u8) -> Result<i32, String> {
        log_notice!("Starting BGSAVE for SYNC with target: replicas sockets");
        let mark = crate::state::random_hex(&mut self.state().rng, repl::replica::EOF_MARK_SIZE);
        let st = self.state();
        let mut cx = crate::persist::engine::SaveContext::now(&st.config, st.lru_clock);
        cx.repl = st.repl_save_info();
        if req & repl::roles::REQ_EXCLUDE_FUNCTIONS == 0 {
            cx.functions = st.functions.ctx.codes();
        }
        let dbs = if req & repl::roles::REQ_EXCLUDE_DATA == 0 { &st.dbs[..] } else { &[] };
        match st.persist.bgsave_to_pipe(dbs, &cx, mark.as_bytes()) {
            Ok((pid, pipe)) => {
                self.state().set_child(Some(pid));
                self.state().repl.retire_pipe();
                self.state().repl.rdb_pipe = Some(pipe);
                self.state().repl.eof_mark = mark.into_bytes();
                Ok(pid)
            }
            Err(e) => Err(e),
        }
    }

    /// The BGSAVE for the waiting replicas of filter `req` started: they wait for its end, and get `+FULLRESYNC`
    /// (and, diskless, the `$EOF:` header) now.
    fn repl_full_syncs_started(&mut self, running: &mut Option<&mut ClientState>, pid: i32, req: u8, diskless: bool) {
        self.state().repl.rdb_child_pid = Some(pid);
        let offset = self.state().repl.master_repl_offset;
        let replid = self.state().repl.replid.clone();
        let starting: Vec<(u64, i32, bool)> = self
            .state()
            .repl
            .replicas
            .iter_mut()
            .filter(|r| r.state == ReplicaState::WaitBgsaveStart && r.req == req)
            .map(|r| {
                r.state = ReplicaState::WaitBgsaveEnd;
                r.initial_offset = offset;
                r.stream_off = offset + 1;
                r.diskless = diskless;
                (r.id, r.fd, r.pre_psync)
            })
            .collect();
        let header = format!("$EOF:{}\r\n", String::from_utf8_lossy(&self.state().repl.eof_mark));
        for (id, fd, pre) in starting {
            if !pre {
                let line = format!("+FULLRESYNC {replid} {offset}\r\n");
                self.repl_write(running, id, fd, line.as_bytes(), false);
            }
            if diskless {
                self.repl_write_to(running, id, fd, header.as_bytes());
            }
        }
        // The stream after the snapshot starts with a SELECT (the RDB says nothing of a current db).
        if let Some(f) = self.state().prop.repl.as_mut() {
            f.selected_db = -1;
        }
    }

    /// Diskless sync: moves what the child wrote into the pipe to the replicas it is for (at most `max` bytes, and
    /// only while each has less than [`BULK_WINDOW`] of it unsent, unless `max` is unbounded: the child's last
    /// bytes after its exit). Returns false once the pipe is at its end (or broken) and gone.
    fn repl_pipe_pump(&mut self, max: usize) -> bool {
        let Some(fd) = self.state().repl.rdb_pipe.as_ref().map(|p| p.as_raw_fd()) else { return false };
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        let targets: Vec<(u64, i32)> = self
            .state()
            .repl
            .replicas
            .iter()
            .filter(|r| r.state == ReplicaState::WaitBgsaveEnd && r.diskless)
            .map(|r| (r.id, r.fd))
            .collect();
        let child = self.state().persist.child.as_ref().map(|c| c.pid);
        if targets.is_empty() && max != usize::MAX && child.is_some() && child == self.state().repl.rdb_child_pid {
            // Nobody left to send it to (Redis's `rdbPipeReadHandler`).
            log_warning!("Diskless rdb transfer, last replica dropped, killing fork child.");
            self.state().persist.kill_child();
            self.state().set_child(None);
            self.state().repl.rdb_child_pid = None;
            self.state().repl.retire_pipe();
            return false;
        }
        loop {
            if max != usize::MAX && self.repl_pipe_blocked() {
                return true;
            }
            match socket::read(fd, &mut buf) {
                Ok(0) => {
                    // Everything was read: the child may exit now (Redis's `rdb_child_exit_pipe`).
                    let up = targets.len();
                    log_warning!("Diskless rdb transfer, done reading from pipe, {up} replicas still up.");
                    self.state().persist.release_child();
                    break;
                }
                Ok(n) => {
                    for &(id, rfd) in &targets {
                        self.repl_write_to(&mut None, id, rfd, &buf[..n]);
                    }
                    total += n;
                    if total >= max {
                        return true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) => {
                    log_warning!(
                        "Diskless rdb transfer, read error sending DB to replicas: {}",
                        crate::sys::error_text(&e)
                    );
                    for &(id, rfd) in &targets {
                        self.repl_close_async(&mut None, id, rfd);
                    }
                    if child.is_some() && child == self.state().repl.rdb_child_pid {
                        self.state().persist.kill_child();
                        self.state().set_child(None);
                        self.state().repl.rdb_child_pid = None;
                    }
                    break;
                }
            }
        }
        self.state().repl.retire_pipe();
        false
    }

    /// The pipe of the diskless child is readable.
    fn repl_pipe_readable(&mut self, el: &mut EventLoop) {
        if !self.repl_pipe_pump(LINK_READ_PER_EVENT) {
            self.repl_close_pipes(el);
        }
    }

    fn repl_close_pipes(&mut self, el: &mut EventLoop) {
        for p in std::mem::take(&mut self.state().repl.closing_pipes) {
            let _ = el.remove_interest(p.as_raw_fd(), Interest::BOTH);
        }
    }

    /// The diskless child ended: the rest of its pipe goes out, then (on success) each replica gets the stream
    /// since the fork; on failure they are dropped (their payload has no EOF mark) and will retry.
    fn repl_diskless_child_done(&mut self, ok: bool) {
        // The child is gone, so one unbounded pump drains its pipe to the end (it stops early only if some other
        // process still held the write end, which must not make us spin).
        let _ = self.repl_pipe_pump(usize::MAX);
        self.state().repl.retire_pipe();
        self.state().repl.rdb_child_pid = None;
        let now = self.state().now_ms;
        let done: Vec<usize> = (0..self.state().repl.replicas.len())
            .filter(|&i| {
                let r = &self.state().repl.replicas[i];
                r.state == ReplicaState::WaitBgsaveEnd && r.diskless
            })
            .collect();
        for i in done {
            let r = &mut self.state().repl.replicas[i];
            let (id, fd) = (r.id, r.fd);
            if !ok {
                log_warning!("Diskless rdb transfer to replica {} failed", r.name());
                self.repl_close_async(&mut None, id, fd);
                continue;
            }
            let name = r.name();
            if r.rdb_only {
                log_notice!("Streamed RDB transfer with replica {name} succeeded (socket)");
                self.repl_rdb_only_done(i);
                continue;
            }
            r.state = ReplicaState::Online;
            r.ack_time_ms = now;
            r.diskless = false;
            // The stream since the snapshot follows the payload from the shared buffer.
            self.state().queue_write(fd);
            log_notice!("Streamed RDB transfer with replica {name} succeeded (socket)");
            log_notice!("Synchronization with replica {name} succeeded");
        }
        crate::state::repl::refresh_good_replicas(self.state());
        self.repl_start_full_syncs(None);
    }

    /// An rdb-only replica's diskless payload is all in its output (Redis's `replicaPutOnline` for
    /// `CLIENT_REPL_RDBONLY`): it never goes online; it is closed once the output is written. It stays in SendBulk
    /// without a file meanwhile (no stream is fed to it, no keepalive or timeout applies).
    fn repl_rdb_only_done(&mut self, i: usize) {
        let r = &mut self.state().repl.replicas[i];
        (r.state, r.diskless) = (ReplicaState::SendBulk, false);
        log_notice!("RDB transfer completed, rdb only replica ({}) should be disconnected asap", r.name());
        let (id, fd) = (r.id, r.fd);
        if let Some(Some(c)) = self.state().clients.by_fd.get_mut(fd as usize) {
            if c.state.id == id {
                c.state.flags |= flags::CLOSE_AFTER_REPLY;
                self.state().queue_write(fd);
            }
        }
    }

    /// An RDB child ended: replicas waiting for it get `$len`, then the file a window at a time
    /// ([`ReplLink::repl_bulk_pump`]), then the stream since the fork (Redis's `updateSlavesWaitingBgsave`).
    fn repl_bgsave_done(&mut self, ok: bool) {
        self.state().repl.rdb_child_pid = None;
        let waiting: Vec<usize> = (0..self.state().repl.replicas.len())
            .filter(|&i| {
                let r = &self.state().repl.replicas[i];
                r.state == ReplicaState::WaitBgsaveEnd && !r.diskless
            })
            .collect();
        if !waiting.is_empty() {
            let path = crate::persist::engine::rdb_path(&self.state().config);
            for i in waiting {
                // Each replica reads the file through its own descriptor, at its own pace.
                let file = if ok {
                    std::fs::File::open(&path).and_then(|f| Ok((f.metadata()?.len(), f))).map_err(|e| {
                        log_warning!("SYNC failed. Can't open/stat DB after BGSAVE: {}", crate::sys::error_text(&e))
                    })
                } else {
                    log_warning!("SYNC failed. BGSAVE child returned an error");
                    Err(())
                };
                let r = &mut self.state().repl.replicas[i];
                let (id, fd) = (r.id, r.fd);
                match file {
                    Ok((len, f)) => {
                        r.state = ReplicaState::SendBulk;
                        r.bulk_file = Some((f, len));
                        self.repl_write_to(&mut None, id, fd, format!("${len}\r\n").as_bytes());
                    }
                    Err(()) => self.repl_close_async(&mut None, id, fd),
                }
            }
            self.repl_bulk_pump();
        }
        self.repl_start_full_syncs(None);
    }

    /// Disk-based full syncs: tops each sending replica's output up to [`BULK_WINDOW`] bytes from the RDB file
    /// (Redis's `sendBulkToSlave` streams it in 16 KiB writes; the file is never read whole into memory), and
    /// once the file is all queued, the stream since the fork follows and the replica is online. Returns whether
    /// bytes were queued this time (the loop should turn again without sleeping: the socket may take them all
    /// without a writable event; a replica whose window stays full is woken by its socket instead).
    fn repl_bulk_pump(&mut self) -> bool {
        use std::io::Read;
        if !self.state().repl.replicas.iter().any(|r| r.state == ReplicaState::SendBulk) {
            return false;
        }
        let now = self.state().now_ms;
        let mut more = false;
        let mut chunk = vec![0u8; 64 * 1024];
        let mut done = false;
        let crate::state::ServerState {
            repl,
            clients: crate::state::Clients { by_fd: clients, pending_write: clients_pending_write, .. },
            ..
        } = self.state();
        for r in repl.replicas.iter_mut().filter(|r| r.state == ReplicaState::SendBulk) {
            let Some(Some(c)) = clients.get_mut(r.fd as usize) else { continue };
            if c.state.id != r.id || c.state.has(flags::CLOSE_ASAP) {
                continue;
            }
            let Some((file, left)) = r.bulk_file.as_mut() else { continue };
            let mut failed = false;
            let before = *left;
            while *left > 0 && c.state.reply.pending_len() < BULK_WINDOW {
                let want = (*left).min(chunk.len() as u64) as usize;
                match file.read(&mut chunk[..want]) {
                    Ok(0) => {
                        failed = true;
                        break;
                    }
                    Ok(n) => {
                        c.state.reply.raw_bytes(&chunk[..n]);
                        *left -= n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        log_warning!("Read error sending DB to replica: {}", crate::sys::error_text(&e));
                        failed = true;
                        break;
                    }
                }
            }
            if !c.pending_write {
                c.pending_write = true;
                clients_pending_write.push(r.fd);
            }
            if failed {
                // The file shrank or broke under us: the replica cannot get a consistent payload.
                c.state.flags |= flags::CLOSE_ASAP;
                r.bulk_file = None;
                continue;
            }
            if *left > 0 {
                more |= *left < before;
                continue;
            }
            r.bulk_file = None;
            if r.rdb_only {
                // Stays in SendBulk without a file until its output is written and it is closed.
                log_notice!("RDB transfer completed, rdb only replica ({}) should be disconnected asap", r.name());
                c.state.flags |= flags::CLOSE_AFTER_REPLY;
                continue;
            }
            r.state = ReplicaState::Online;
            r.ack_time_ms = now;
            log_notice!("Synchronization with replica {} succeeded", r.name());
            done = true;
        }
        if done {
            crate::state::repl::refresh_good_replicas(self.state());
        }
        more
    }

    /// REPLICAOF host port (Redis's `replicationSetMaster`).
    fn repl_set_master(&mut self, el: &mut EventLoop, addr: MasterAddr, was_master: bool) {
        // The old master is forgotten before its client goes, so that freeing it does not reconnect to it.
        self.state().repl.master = None;
        self.repl_drop_master(el);
        self.disconnect_all_blocked();
        self.state().repl.master = Some(addr.clone());
        // CONFIG REWRITE (and CONFIG GET) show the master we follow now, as Redis's read `masterhost`.
        self.state().config.extra.insert("replicaof", format!("{} {}", addr.host, addr.port));
        self.state().repl.link_state = LinkState::Connect;
        if was_master {
            // Our own history is what a PSYNC to the new master may continue (`replicationCacheMasterUsingMyself`).
            self.state().repl.can_continue = true;
        }
        crate::state::repl::sync_feed(self.state());
        log_notice!("Connecting to MASTER {}:{}", addr.host, addr.port);
        self.repl_connect(el);
        self.sync_oom_role(false);
    }

    /// REPLICAOF NO ONE (Redis's `replicationUnsetMaster`).
    fn repl_unset_master(&mut self, el: &mut EventLoop) {
        // The master is forgotten before its client goes (freeing it must not cache it for a reconnect).
        let Some(m) = self.state().repl.master.take() else { return };
        self.repl_drop_master(el);
        self.state().repl.master = Some(m);
        crate::state::repl::unset_master(self.state());
        // An AOF stopped by a sync that never finished comes back now (Redis's `replicationUnsetMaster`).
        self.repl_restart_aof();
        self.sync_oom_role(false);
    }

    /// A waiting FAILOVER: time out, or hand over to the replica that caught up (Redis's `updateFailoverStatus`).
    fn repl_update_failover(&mut self, el: &mut EventLoop) {
        let r = &mut self.state().repl;
        match repl::failover::update(&mut r.failover, &r.replicas, r.master_repl_offset, crate::util::now_ms()) {
            None => {}
            Some(repl::failover::Step::Abort(why)) => self.repl_abort_failover(el, why),
            Some(repl::failover::Step::Promote(host, port)) => {
                let was_master = !self.state().repl.is_replica();
                self.repl_set_master(el, MasterAddr { host, port }, was_master)
            }
        }
    }

    /// Ends a failover that did not happen; one already handing over goes back to being a master (Redis's
    /// `abortFailover`).
    fn repl_abort_failover(&mut self, el: &mut EventLoop, why: &str) {
        let f = std::mem::take(&mut self.state().repl.failover);
        match &f.target {
            Some((h, p)) => log_notice!("FAILOVER to {h}:{p} aborted: {why}"),
            None => log_notice!("FAILOVER to any replica aborted: {why}"),
        }
        if f.state == repl::failover::State::InProgress {
            self.repl_unset_master(el);
        }
        self.repl_clear_failover();
    }

    /// The failover is over (done or aborted): writes flow again.
    fn repl_clear_failover(&mut self) {
        self.state().repl.failover = Default::default();
        self.state().pause.set_failover(false);
        self.state().lazy_expiry.paused =
            self.state().pause.mode_at(crate::util::now_ms()) != crate::state::PauseMode::Off;
    }

    /// Closes the master client and any handshake in progress.
    fn repl_drop_master(&mut self, el: &mut EventLoop) {
        if let Some(link) = self.state().repl.link.take() {
            let _ = el.remove_interest(link.sock.as_raw_fd(), Interest::BOTH);
        }
        if let Some((_, fd)) = self.state().repl.master_client {
            self.free_client_by_fd(el, fd);
        }
        self.state().repl.master_client = None;
    }

    /// Starts the non-blocking connection to the master.
    fn repl_connect(&mut self, el: &mut EventLoop) {
        let Some(m) = self.state().repl.master.clone() else { return };
        let ip = match m.host.parse::<std::net::IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => crate::net::resolve::resolve_ips(&m.host).ok().and_then(|a| a.into_iter().next()),
        };
        let sock = match ip {
            Some(ip) => {
                socket::connect_tcp_from(ip, m.port, self.state().config.stored_str("bind-source-addr").parse().ok())
            }
            None => Err(io::Error::new(io::ErrorKind::NotFound, "can't resolve the master's host")),
        };
        let sock = match sock {
            Ok(s) => s,
            Err(e) => {
                log_warning!("Unable to connect to MASTER: {}", crate::sys::error_text(&e));
                return;
            }
        };
        let Some(sock) = self.repl_link_conn(sock, &m.host) else { return };
        if let Err(e) = el.add_interest(sock.as_raw_fd(), Interest::WRITABLE) {
            log_warning!("Unable to connect to MASTER: {e}");
            return;
        }
        let cfg = self.repl_handshake_config();
        self.state().repl.link = Some(Box::new(MasterLink::new(sock, cfg, self.state().now_ms)));
        self.state().repl.link_state = LinkState::Connecting;
        log_notice!("MASTER <-> REPLICA sync started");
    }

    /// The link's connection: over TLS with `tls-replication yes` (the handshake starts with the first write).
    fn repl_link_conn(&self, sock: std::os::fd::OwnedFd, host: &str) -> Option<crate::net::conn::Conn> {
        let tls = self.state_ref().config.stored_bool("tls-replication");
        crate::net::conn::Conn::outgoing(sock, host, tls, &self.state_ref().listeners)
            .map_err(|e| log_warning!("Unable to connect to MASTER: {e}"))
            .ok()
    }

    fn repl_handshake_config(&self) -> HandshakeConfig {
        let c = &self.state_ref().config;
        let text = |name: &str| Some(c.stored_str(name).to_string()).filter(|s| !s.is_empty());
        let announce_port = c.stored_i64("replica-announce-port");
        let port = if announce_port > 0 { announce_port as u16 } else { self.tcp_port().unwrap_or(c.port) };
        let r = &self.state_ref().repl;
        let (psync_replid, psync_offset) = if r.can_continue {
            (self.state_ref().repl.replid.clone(), r.master_repl_offset + 1)
        } else {
            ("?".to_string(), -1)
        };
        HandshakeConfig {
            masteruser: text("masteruser"),
            masterauth: text("masterauth"),
            listening_port: port,
            announce_ip: text("replica-announce-ip"),
            psync_replid,
            psync_offset,
            failover: r.failover.state == repl::failover::State::InProgress,
        }
    }

    /// Drops a failed handshake or transfer, logging `msg`. As in Redis, a failure during the handshake
    /// (`syncWithMaster`'s error path) leaves the reconnection to the cron, once a second, so a master that refuses
    /// us is not hammered; one once the payload is under way (`readSyncBulkPayload`) connects again at once.
    fn repl_link_fail(&mut self, el: &mut EventLoop, msg: &str) {
        let transfer = self
            .state()
            .repl
            .link
            .as_ref()
            .is_some_and(|l| matches!(l.phase, Phase::TransferHeader | Phase::TransferBody));
        self.repl_link_fail_then(el, msg, transfer);
    }

    /// [`ReplLink::repl_link_fail`] with the choice made by the caller: `reconnect` at once, or at the next cron run.
    fn repl_link_fail_then(&mut self, el: &mut EventLoop, msg: &str, reconnect: bool) {
        log_warning!("{msg}");
        let psync_refused = self.state().repl.link.as_ref().is_some_and(|l| l.phase == Phase::ReceivePsync);
        let link = self.state().repl.link.take();
        self.repl_cancel_handshake(el, link, reconnect);
        if psync_refused && self.state().repl.failover.state == repl::failover::State::InProgress {
            self.repl_abort_failover(el, "Failover target rejected psync request");
        }
    }

    /// Redis's `cancelReplicationHandshake`: the link (handshake, transfer, or a payload being loaded) goes, its
    /// socket closed and a partly received temp file deleted; with `reconnect` a new connection starts now
    /// instead of at the next cron run, so a replica whose full sync was cut is back in sync as soon as the
    /// master can serve it.
    fn repl_cancel_handshake(&mut self, el: &mut EventLoop, link: Option<Box<MasterLink>>, reconnect: bool) {
        if let Some(link) = link {
            let _ = el.remove_interest(link.sock.as_raw_fd(), Interest::BOTH);
        }
        self.state().repl.link_state = LinkState::Connect;
        if !reconnect || self.state().repl.link.is_some() || self.state().repl.master_client.is_some() {
            return;
        }
        let Some(m) = self.state().repl.master.as_ref() else { return };
        log_notice!("Reconnecting to MASTER {}:{} after failure", m.host, m.port);
        self.repl_connect(el);
    }

    /// Readiness on the link socket.
    fn repl_link_event(&mut self, el: &mut EventLoop, ready: Interest) {
        let Some(link) = self.state().repl.link.as_mut() else { return };
        let fd = link.sock.as_raw_fd();
        if link.phase == Phase::Connecting {
            if !ready.is_writable() {
                return;
            }
            match socket::take_error(fd) {
                Ok(None) => {}
                Ok(Some(e)) | Err(e) => {
                    let msg = format!("Error condition on socket for SYNC: {}", crate::sys::error_text(&e));
                    return self.repl_link_fail(el, &msg);
                }
            }
            log_notice!("Non blocking connect for SYNC fired the event.");
            link.connected();
            self.state().repl.link_state = LinkState::Handshake;
            let _ = el.add_interest(fd, Interest::READABLE);
            return self.repl_link_flush(el);
        }
        if ready.is_writable() {
            self.repl_link_flush(el);
        }
        if !ready.is_readable() {
            return;
        }
        let now = self.state().now_ms;
        // When the connection ended or failed, what was read before is still understood first, as Redis reads a
        // reply or payload up to where it stops.
        let ended = self.repl_link_read(now);
        loop {
            let Some(link) = self.state().repl.link.as_mut() else { return };
            let event = link.advance();
            let handshake = std::mem::take(&mut link.handshake_bytes);
            let counted = &mut self.state().stats.net_repl_input_bytes;
            *counted = counted.saturating_sub(handshake);
            match event {
                Event::NeedInput => break,
                Event::FullResync { .. } => {
                    // The cached master stays until the payload's load starts (`repl_attach_to_new_master`): a
                    // transfer that fails midway leaves it for the next PSYNC.
                    self.state().repl.link_state = LinkState::Transfer;
                    if self.state().repl.failover.state != repl::failover::State::None {
                        self.repl_clear_failover();
                    }
                }
                Event::Fail(msg) => return self.repl_link_fail(el, &msg),
                Event::Continue(new_id) => {
                    if self.state().repl.failover.state != repl::failover::State::None {
                        self.repl_clear_failover();
                    }
                    let Some(link) = self.state().repl.link.take() else { return };
                    self.repl_continued(new_id);
                    log_notice!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
                    return self.repl_attach_master(el, link);
                }
                Event::BulkStart => {
                    if !self.repl_bulk_start(el) {
                        return;
                    }
                }
                Event::Body => {
                    if !self.repl_bulk_body(el) {
                        return;
                    }
                }
            }
        }
        if let Some(err) = ended {
            let Some(link) = self.state().repl.link.as_ref() else { return };
            let msg = read_failure(link.phase, err.as_ref());
            return self.repl_link_fail(el, &msg);
        }
        self.repl_link_flush(el);
    }

    /// Reads what the link's socket has (up to [`LINK_READ_PER_EVENT`]) into its input: `None` while the
    /// connection is open (or there is no link), `Some(None)` once it ended, `Some(Some(e))` when it failed.
    fn repl_link_read(&mut self, now: i64) -> Option<Option<io::Error>> {
        let st = self.state();
        let link = st.repl.link.as_mut()?;
        let mut total = 0;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match link.sock.read(&mut buf) {
                Ok(0) => return Some(None),
                Ok(n) => {
                    link.inbuf.extend_from_slice(&buf[..n]);
                    link.last_io_ms = now;
                    st.stats.net_repl_input_bytes += n as u64;
                    total += n;
                    if total >= LINK_READ_PER_EVENT {
                        return None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Some(e)),
            }
        }
    }

    /// Writes the handshake's pending output; waits for writability when the socket is full.
    fn repl_link_flush(&mut self, el: &mut EventLoop) {
        let Some(link) = self.state().repl.link.as_mut() else { return };
        let fd = link.sock.as_raw_fd();
        // Over TLS, records may wait with nothing left to hand over (the handshake's, or the last write's).
        while !link.out.is_empty() || link.sock.wants_write() {
            match link.sock.write(&link.out) {
                Ok(0) if link.out.is_empty() && link.sock.wants_write() => break,
                Ok(n) => {
                    link.out.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    let msg = format!("Error writing to MASTER: {}", crate::sys::error_text(&e));
                    return self.repl_link_fail(el, &msg);
                }
            }
        }
        let pending = !link.out.is_empty() || link.sock.wants_write();
        let registered = el.interest(fd).is_writable();
        if pending && !registered {
            let _ = el.add_interest(fd, Interest::WRITABLE);
        } else if !pending && registered {
            let _ = el.remove_interest(fd, Interest::WRITABLE);
        }
    }

    /// `+CONTINUE [id]`: the master's ID may have changed (it was promoted); our history continues under the new
    /// ID, the old one stays valid up to here, and sub-replicas must reconnect to learn it.
    fn repl_continued(&mut self, new_id: Option<String>) {
        if let Some(id) = new_id {
            if id != self.state().repl.replid {
                self.state().repl.replid2 = std::mem::replace(&mut self.state().repl.replid, id);
                self.state().repl.second_offset = self.state().repl.master_repl_offset + 1;
                log_notice!("Master replication ID changed to {}", self.state().repl.replid);
                self.repl_disconnect_replicas(None);
            }
        }
        if self.state().repl.backlog.is_none() {
            crate::state::repl::create_backlog(self.state());
        }
    }

    /// Turns the link into the master client; bytes already read after the handshake or the RDB are its first
    /// input.
    fn repl_attach_master(&mut self, el: &mut EventLoop, link: Box<MasterLink>) {
        let link = *link;
        let fd = link.sock.as_raw_fd();
        if el.interest(fd).is_writable() {
            let _ = el.remove_interest(fd, Interest::WRITABLE);
        }
        if !el.interest(fd).is_readable() {
            let _ = el.add_interest(fd, Interest::READABLE);
        }
        let now = crate::util::now_ms();
        let id = self.state().clients.next_id;
        self.state().clients.next_id += 1;
        let addr = self.state().repl.master.as_ref().map(|m| format!("{}:{}", m.host, m.port)).unwrap_or_default();
        let laddr = socket::local_addr(fd).map(|(ip, port)| socket::format_addr(ip, port)).unwrap_or_default();
        let mut st = ClientState::new(id, fd, addr, laddr, now);
        st.authenticated = true;
        st.flags |= flags::MASTER;
        st.db = self.state().repl.master_db.min(self.state().dbs.len().saturating_sub(1));
        // The first ACK tells the master where we are right away.
        st.reply.raw_bytes(&repl::roles::ack_command(
            self.state().repl.master_repl_offset,
            self.state().repl.fsynced_reploff,
        ));
        let mut c = Box::new(link.sock.into_client(st));
        let rest = link.inbuf;
        if !rest.is_empty() {
            let room = c.query.writable(rest.len());
            room[..rest.len()].copy_from_slice(&rest);
            c.query.commit(rest.len());
        }
        let r = &mut self.state().repl;
        r.master_client = Some((id, fd));
        r.link_state = LinkState::Connected;
        r.master_last_io_ms = now;
        r.master_applied.clear();
        self.state().clients.id_to_fd.insert(id, fd);
        self.state().stats.total_connections_received += 1;
        self.adopt_client(el, c);
        self.state().queue_write(fd);
    }

    /// Every cron tick on a replica: an ACK when the offset moved since the last one, so the master's view of our
    /// progress (WAIT, INFO lag, `min-replicas-max-lag`) is at most a tick old instead of a second (Redis's replicas
    /// only ACK once a second; more ACKs cost the master one tiny command each).
    fn repl_ack_if_moved(&mut self) {
        let r = &self.state().repl;
        if let Some((id, fd)) = r.master_client {
            if r.master_repl_offset != r.last_ack_offset || r.fsynced_reploff != r.last_ack_fsynced {
                let (off, fsynced) = (r.master_repl_offset, r.fsynced_reploff);
                self.repl_write_to(&mut None, id, fd, &repl::roles::ack_command(off, fsynced));
                self.state().repl.last_ack_offset = off;
                self.state().repl.last_ack_fsynced = fsynced;
            }
        }
    }

    /// Once a second: reconnect, ACK our master, PING replicas, newlines to replicas waiting for their RDB,
    /// timeouts, and the backlog's TTL (Redis's `replicationCron`).
    fn repl_cron(&mut self, el: &mut EventLoop) {
        let now = crate::util::now_ms();
        let timeout_ms = self.state().config.stored_i64("repl-timeout").max(1) * 1000;
        // Replica side (nothing while a received RDB loads: the link is with the loader).
        if self.state().repl.master.is_some() && !self.state().repl.sync_loading {
            self.repl_cron_replica_side(el, now, timeout_ms);
        }
        // Master side: a BGSAVE for replicas that vanished (killed by FLUSHALL, SHUTDOWN...) fails their sync.
        let child_pid = self.state().persist.child.as_ref().map(|c| c.pid);
        if self.state().repl.replicas.iter().any(|r| r.state == ReplicaState::WaitBgsaveEnd)
            && (child_pid.is_none() || child_pid != self.state().repl.rdb_child_pid)
        {
            if self.state().repl.replicas.iter().any(|r| r.state == ReplicaState::WaitBgsaveEnd && r.diskless) {
                self.repl_diskless_child_done(false);
            }
            self.repl_bgsave_done(false);
        }
        if self.state().repl.replicas.iter().any(|r| r.state == ReplicaState::WaitBgsaveStart) {
            self.repl_start_full_syncs(None);
        }
        crate::state::repl::cron_ping_replicas(self.state());
        self.repl_cron_check_replicas(now, timeout_ms);
        crate::state::repl::refresh_good_replicas(self.state());
        crate::state::repl::cron_backlog(self.state(), now / 1000);
    }

    /// The replica side of the cron: timeouts of the link to our master (connecting, or receiving the RDB) and of
    /// the master itself, the ACK to it, and the reconnection.
    fn repl_cron_replica_side(&mut self, el: &mut EventLoop, now: i64, timeout_ms: i64) {
        if let Some(link) = self.state().repl.link.as_ref() {
            if now - link.last_io_ms > timeout_ms {
                let msg = if link.phase == Phase::TransferBody || link.phase == Phase::TransferHeader {
                    "Timeout receiving bulk data from MASTER... If the problem persists try to set the \
                     'repl-timeout' parameter in redis.conf to a larger value."
                } else {
                    "Timeout connecting to the MASTER..."
                };
                self.repl_link_fail_then(el, msg, true);
            }
        }
        let r = &self.state_ref().repl;
        match r.master_client {
            Some((_, fd)) if now - r.master_last_io_ms > timeout_ms => {
                log_warning!("MASTER timeout: no data nor PING received...");
                self.free_client_by_fd(el, fd);
            }
            Some((id, fd)) => {
                let (off, fsynced) = (self.state().repl.master_repl_offset, self.state().repl.fsynced_reploff);
                let ack = repl::roles::ack_command(off, fsynced);
                self.repl_write_to(&mut None, id, fd, &ack);
                self.state().repl.last_ack_offset = off;
                self.state().repl.last_ack_fsynced = fsynced;
            }
            None => {}
        }
        if self.state().repl.link.is_none() && self.state().repl.master_client.is_none() {
            let m = self.state().repl.master.clone();
            if let Some(m) = m {
                log_notice!("Connecting to MASTER {}:{}", m.host, m.port);
            }
            self.repl_connect(el);
        }
    }

    /// Newlines to replicas waiting for their RDB (so they do not time out), and disconnects the replicas that
    /// timed out.
    fn repl_cron_check_replicas(&mut self, now: i64, timeout_ms: i64) {
        let mut presync = Vec::new();
        let mut timed_out = Vec::new();
        let st = self.state_ref();
        for r in &st.repl.replicas {
            match r.state {
                // Not into a diskless payload, which is already flowing; one whose socket takes nothing for
                // `repl-timeout` holds the child back and goes (Redis's `repl_last_partial_write` check).
                ReplicaState::WaitBgsaveEnd if r.diskless => {
                    let stalled = matches!(st.clients.by_fd.get(r.fd as usize), Some(Some(c))
                        if c.state.id == r.id
                            && c.state.reply.pending_len() > 0
                            && now - c.state.last_interaction_ms > timeout_ms);
                    if stalled {
                        log_warning!("Disconnecting timedout replica (full sync): {}", r.name());
                        timed_out.push((r.id, r.fd));
                    }
                }
                ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => presync.push((r.id, r.fd)),
                ReplicaState::Online if !r.pre_psync && now - r.ack_time_ms > timeout_ms => {
                    log_warning!("Disconnecting timedout replica (streaming sync): {}", r.name());
                    timed_out.push((r.id, r.fd));
                }
                // Its output moves while the file is queued; the ACK timeout starts once it is online.
                ReplicaState::Online | ReplicaState::SendBulk => {}
            }
        }
        for (id, fd) in presync {
            self.repl_write(&mut None, id, fd, b"\n", false);
        }
        for (id, fd) in timed_out {
            self.repl_close_async(&mut None, id, fd);
        }
    }
}

impl<T: Host> ReplLink for T {}

/// Redis's words for a read on the link that failed (`err`) or found the connection closed (`None`): its
/// handshake reads each reply line with a timeout (logging the failed read, then what it was waiting for), the
/// payload's header likewise (a closed connection leaves no error code: strerror(0)'s "Success"), and the
/// payload itself with plain reads.
fn read_failure(phase: Phase, err: Option<&io::Error>) -> String {
    let text = |fallback: &str| err.map_or_else(|| fallback.to_string(), crate::sys::error_text);
    let waited = match phase {
        Phase::TransferHeader => return format!("I/O error reading bulk count from MASTER: {}", text("Success")),
        Phase::TransferBody => return format!("I/O error trying to sync with MASTER: {}", text("connection lost")),
        Phase::ReceivePsync => "Master did not reply to PSYNC, will try later",
        _ => "Master did not respond to command during SYNC handshake",
    };
    log_warning!("Failed to read response from the server: {}", text("Success"));
    waited.to_string()
}
