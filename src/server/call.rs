//! The call path: how one parsed command runs, from the dispatcher to the bookkeeping after its handler.
//!
//! [`Server::dispatch`] (from `process_input`, for a client's command) sets the clock and the crash report's
//! running command, then [`Server::run_command`] applies the client's reply switches around
//! [`Server::call_checked`]: admission ([`crate::admission::admit`]), then CLIENT PAUSE and MULTI queueing
//! (`tx_pause.rs`), then [`Server::call`]. [`Server::call_with`] is the one funnel every command goes through
//! (a client's, EXEC's queued ones, a script's `redis.call`, a blocked client served): expiry mode, the handler,
//! CLIENT UNBLOCK requests, expired keys, propagation, keyspace events, tracking, then the statistics
//! (commandstats, latency, SLOWLOG, COMMANDLOG, CLUSTER SLOT-STATS, MONITOR). After the command, the dispatcher
//! runs the event loop's requests ([`Server::apply_actions`]). A refused command is answered and counted by
//! [`Server::refuse`] / [`Server::reject`].
//!
//! The per-command cost lives here: the hot functions say where they are inlined and why, and
//! `benches/instr.sh` measures them (instructions per request).

use super::{error_bytes, master_command_slot, monitor_line, slowlog_args, CallMode, PendingStat, Server};
use crate::admission::{self, Origin, Refusal};
use crate::command::{self, flag, Args, Command, Ctx};
use crate::event_loop::EventLoop;
use crate::log_warning;
use crate::net::client::{flags, ClientState};
use crate::state::repl::link::ReplLink as _;
use crate::state::{Action, SlowlogEntry};

impl Server {
    /// Folds the errors the last reply emitted into errorstats (Redis's `afterErrorReply`). Returns how many.
    /// Inlined for its common case, no error, which is a length test; the rest is [`Server::count_errors_slow`].
    #[inline(always)]
    pub(super) fn count_errors(&mut self, c: &mut ClientState) -> usize {
        if c.reply.error_prefixes.is_empty() {
            return 0;
        }
        self.count_errors_slow(c)
    }

    #[cold]
    fn count_errors_slow(&mut self, c: &mut ClientState) -> usize {
        let n = c.reply.error_prefixes.len();
        if let Some(text) = c.reply.dropped_error.take() {
            if c.has(flags::MASTER) {
                self.error_to_master(&text);
            }
        }
        let stats = &mut self.state.stats;
        for prefix in c.reply.error_prefixes.drain(..) {
            // No code: an error counted where it happened (a script's command); it only fails this call.
            if prefix[0] == 0 {
                continue;
            }
            let end = prefix.iter().position(|&b| b == 0).unwrap_or(prefix.len());
            stats.count_error(&String::from_utf8_lossy(&prefix[..end]));
        }
        n
    }

    /// Looks the command up, checks it, runs it and does the bookkeeping (Redis's `processCommand` + `call`).
    /// `start_us` is the current wall clock; returns the clock after the command.
    pub(super) fn dispatch(&mut self, el: &mut EventLoop, c: &mut ClientState, args: Args, start_us: i64) -> i64 {
        self.state.now_ms = start_us / 1000;
        c.last_interaction_ms = self.state.now_ms;
        let running = crate::crash_report::Running { client: &*c, args };
        crate::crash_report::set_running(&running);
        let outer_loop = self.busy_loop.replace(el as *mut EventLoop);
        let slot_stats = self.slot_stats_on();
        if slot_stats {
            // This command's slot, once admission (or a script) names one (Valkey's `c->slot`, reset per command).
            // Our master's commands skip admission's cluster check: their slot is their first key's (Valkey
            // backfills it from the key the command touches).
            let slot = if c.has(flags::MASTER) { master_command_slot(args) } else { -1 };
            if let Some(cl) = self.state.cluster.as_deref_mut() {
                cl.health.query_slot = slot;
            }
        }
        let end_us = self.run_command(c, args, start_us);
        if slot_stats {
            self.slot_stats_bytes_in(c, args);
        }
        self.busy_loop = outer_loop;
        crate::crash_report::clear_running();
        if c.has(flags::POSTPONED) {
            return end_us;
        }
        self.after_command_blocking(el, c);
        self.io_after_command();
        if !self.state.actions.is_empty() {
            self.apply_actions(el, c);
        }
        self.repl_after_command(el, c);
        end_us
    }

    /// CONFIG SET ran ([`Action::ConfigChanged`]): applies what lives outside the configuration and CONFIG SET
    /// cannot reach (Redis's apply functions of the directives concerned; the log level is set by CONFIG SET itself). `in_exec`: inside EXEC, where turning the AOF on only schedules its
    /// rewrite.
    fn config_changed(&mut self, in_exec: bool) {
        if self.state.config.appendonly != self.state.prop.aof.is_some() {
            self.sync_aof_state(in_exec);
        } else {
            self.aof_config_changed();
        }
        self.recount_client_memory();
        crate::acl::sync_requirepass(&mut self.state.acl, &self.state.config);
    }

    /// A replica's own command produced a reply (see [`Server::run_command`]): the reply is dropped, logged (an
    /// error also as Redis's `== CRITICAL ==` line, counted in `unexpected_error_replies`) and the replica closed.
    #[cold]
    fn replica_replied(&mut self, c: &mut ClientState, before: usize) {
        let reply = c.reply.take_tail(before);
        let cmd = self.errors_cmd;
        let who = command::client_info::client_info_string(c, self.state.now_ms);
        log_warning!("Replica generated a reply to command '{cmd}', disconnecting it: {who}");
        if let Some(err) = reply.strip_prefix(b"-") {
            // Redis logs a plain message without the `ERR ` its reply adds.
            let err = err.strip_prefix(b"ERR ").unwrap_or(err);
            let end = memchr::memchr(b'\r', err).unwrap_or(err.len()).min(4096);
            log_warning!(
                "== CRITICAL == This master is sending an error to its replica: '{}' after processing the command \
                 '{cmd}'",
                String::from_utf8_lossy(&err[..end])
            );
            self.state.stats.unexpected_error_replies += 1;
        }
        c.flags |= flags::CLOSE_ASAP;
    }

    /// Keeps the OOM score in line with the role (Redis calls `setOOMScoreAdj` when it becomes or stops being a
    /// replica): at start-up, when the role changes ([`ReplLink::repl_set_master`](crate::state::repl::link::ReplLink::repl_set_master), [`ReplLink::repl_unset_master`](crate::state::repl::link::ReplLink::repl_unset_master), a
    /// PSYNC FAILOVER) and from the cron.
    pub(super) fn sync_oom_role(&mut self, force: bool) {
        let replica = self.state.repl.is_replica();
        if force || replica != self.oom_replica {
            self.oom_replica = replica;
            let class = if replica { crate::oom::Class::Replica } else { crate::oom::Class::Master };
            let _ = crate::oom::apply(crate::oom::Setting::of(&self.state.config), class);
        }
    }

    /// The part of [`Server::dispatch`] that needs no event loop: the client's reply switches (CLIENT REPLY, our
    /// master's stream) around [`Server::call_checked`]. Returns the clock after the command. Inlined into its two
    /// callers: as a call of its own it cost about 30 instructions per request.
    #[inline(always)]
    pub(super) fn run_command(&mut self, c: &mut ClientState, args: Args, start_us: i64) -> i64 {
        c.reply.enabled = !c.has(flags::REPLY_OFF | flags::REPLY_SKIP | flags::MASTER);
        // A replica's connection carries the replication stream: a command of its own that answers would put the
        // answer inside the stream, so it is dropped and the replica disconnected (Redis's
        // `logInvalidUseAndFreeClientAsync`). A MONITOR is not a replica here.
        let replica_out = (c.has(flags::REPLICA) && !c.has(flags::MONITOR)).then(|| c.reply.pending_len());
        let end_us = self.call_checked(c, args, start_us);
        if let Some(before) = replica_out.filter(|&b| c.reply.pending_len() > b) {
            self.replica_replied(c, before);
        }
        if !c.has(flags::POSTPONED) {
            // CLIENT CACHING applies to the next command or transaction (Redis's resetClient).
            if c.has(flags::TRACKING_CACHING) && !c.has(flags::MULTI) && !self.errors_cmd.starts_with("client|") {
                c.flags &= !flags::TRACKING_CACHING;
            }
            // CLIENT REPLY SKIP applies to exactly the next command.
            c.flags &= !flags::REPLY_SKIP;
            if c.has(flags::REPLY_SKIP_NEXT) {
                c.flags = (c.flags | flags::REPLY_SKIP) & !flags::REPLY_SKIP_NEXT;
            }
        }
        c.reply.enabled = true;
        end_us
    }

    /// The one way a command runs (Redis's `processCommand` + `call`): admission ([`admission::admit`]), then
    /// CLIENT PAUSE and MULTI queueing (`server/tx_pause.rs`), then [`Server::call`]. Clients, our master's
    /// stream, the AOF replay and the handler harness come here; EXEC's queued commands and `redis.call` enter
    /// `call` after their own admission. Returns the clock after the command.
    pub(super) fn call_checked(&mut self, c: &mut ClientState, args: Args, start_us: i64) -> i64 {
        // Cluster mode's ASKING holds for the next command only (outside MULTI): Redis's resetClient.
        let asking = c.flags & flags::ASKING != 0;
        let end = match admission::admit(&mut self.state, self.commands, c, args, Origin::Client) {
            Ok(a) => {
                self.errors_cmd = a.full_name;
                if self.tx_or_pause_hook(c, a.flagged, a.full_name, args, start_us) {
                    crate::util::now_us()
                } else {
                    self.call(c, a.cmd, a.full_name, args, start_us)
                }
            }
            Err(r) => {
                self.refuse(c, r, args);
                start_us
            }
        };
        if asking && !c.has(flags::MULTI) && !args.is(0, "asking") {
            c.flags &= !flags::ASKING;
        }
        end
    }

    /// Answers a refused command (Redis's `rejectCommand`; a name that resolves to no command is an error reply
    /// but no call of any command).
    #[cold]
    fn refuse(&mut self, c: &mut ClientState, r: Refusal, args: Args) {
        let found = r.found;
        let redirect = matches!(r.reason, admission::Reason::Cluster(_));
        let text = r.client_text(args);
        // CLIENT LIST's cmd= names what was looked up, run or not (Redis sets `lastcmd` before its checks).
        c.last_cmd = found.map_or("NULL", |(_, full_name)| full_name);
        match found {
            // A refused EXEC in cluster mode discards the transaction and answers the redirection itself.
            Some((cmd, full_name)) if redirect && command::multi::is_exec(cmd) => {
                self.errors_cmd = full_name;
                command::multi::discard_transaction(c, &mut self.state.watches);
                error_bytes(&mut c.reply, &text);
                self.count_rejected(c, full_name);
            }
            Some((cmd, full_name)) => {
                self.errors_cmd = full_name;
                self.reject(c, cmd, full_name, &text);
            }
            None => {
                self.errors_cmd = "<unknown>";
                error_bytes(&mut c.reply, &text);
                command::multi::flag_transaction(c);
                self.count_errors(c);
            }
        }
    }

    /// Runs a checked command and does the bookkeeping (Redis's `call`): commandstats, slowlog, MONITOR.
    /// Returns the clock after the command.
    pub(super) fn call(
        &mut self,
        c: &mut ClientState,
        cmd: &'static Command,
        full_name: &'static str,
        args: Args,
        start_us: i64,
    ) -> i64 {
        self.call_with(c, cmd, full_name, args, start_us, CallMode::Call, |s, c| {
            if cmd.group == command::Group::Scripting && s.script_command(c, cmd, args) {
                return;
            }
            (cmd.handler)(&mut Ctx::new(c, &mut s.state), args)
        })
    }

    /// [`Server::call`] with the command's work done by `run` (EXEC runs its queue this way; a blocked client is
    /// served with `mode` [`CallMode::Served`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_with(
        &mut self,
        c: &mut ClientState,
        cmd: &'static Command,
        full_name: &'static str,
        args: Args,
        start_us: i64,
        mode: CallMode,
        run: impl FnOnce(&mut Server, &mut ClientState),
    ) -> i64 {
        if self.io_loops.as_ref().is_some_and(|l| l.away > 0) && crate::command_spec::sees_other_clients(cmd, full_name)
        {
            self.io_gather();
        }
        // A replica never deletes expired keys itself (its master's DELs do), as during CLIENT PAUSE.
        let replica = self.state.repl.is_replica();
        let loading = self.state.persist.stats.loading;
        self.state.lazy_expiry.paused =
            self.state.pause.mode_at(self.state.now_ms) != crate::state::PauseMode::Off || replica || loading;
        // Its master's commands see keys past their TTL as live (the master's DEL removes them), and so do the
        // commands of an AOF being loaded (Redis's keyIsExpired is false while loading: `RPUSH l a`,
        // `PEXPIREAT l <past>`, `RPUSH l b` loads a two-element list that expires once the load is over).
        // Only a replica or a load sets it (nothing to write per command otherwise): promotion and the end of a
        // load clear it.
        if replica || loading {
            self.state.lazy_expiry.off = loading || c.has(flags::MASTER);
        }
        // Handlers that might read commandstats (INFO, CONFIG RESETSTAT, a script calling INFO: none of them a
        // write or fast command) must see everything counted so far.
        if self
            .pending_stat
            .as_ref()
            .is_some_and(|p| !std::ptr::eq(p.name, full_name) || !(cmd.has(flag::FAST) || cmd.has(flag::WRITE)))
        {
            self.flush_command_stats();
        }
        // Propagation bookkeeping only while something consumes it (the AOF): otherwise a command costs a branch.
        let prop = self.state.prop.enabled;
        let saved = if prop {
            self.state.prop.now_unix = self.state.now_ms / 1000;
            self.state.prop.begin_call()
        } else {
            Default::default()
        };
        let dirty_before = self.state.persist.dirty;
        if prop && self.nesting == 0 && cmd.has(flag::TOUCHES_ARBITRARY_KEYS) {
            self.state.prop.unit_no_multi = true;
        }
        // Client-side caching: who runs (the top-level client: its own invalidations wait for its reply), and the
        // keys a tracking client's script declares.
        let top = self.nesting == 0;
        let tracking_prev = if top { Some(self.state.tracking.enter(c.id, true)) } else { None };
        if c.has(flags::TRACKING) {
            self.state.tracking.command_starts();
            if top && cmd.group == command::Group::Scripting {
                self.state.tracking.script_begins(c, cmd, args);
            }
        }
        // COMMANDLOG's large-reply size: what this call added to the client's output.
        let reply_before = c.reply.buf.len();
        // CLUSTER SLOT-STATS: the replication bytes of a top-level command (SELECTs left out).
        let repl_before = match self.state.prop.repl.as_ref() {
            Some(f) if top && self.slot_stats_on() => Some((f.buf.len(), f.select_bytes)),
            _ => None,
        };
        // HOTKEYS counts a client's request with its whole reply and the replication bytes it caused.
        let hot_repl_before = match self.state.prop.repl.as_ref() {
            Some(f) if top && self.state.hotkeys.is_some() => Some(f.buf.len()),
            _ => None,
        };
        if top {
            self.reply_start = reply_before;
        }
        self.nesting += 1;
        run(self, c);
        self.nesting -= 1;
        let reply_bytes = c.reply.buf.len().saturating_sub(reply_before) as u64;
        if self.state.keysizes_hist_assert {
            assert_keysizes(&mut self.state, full_name);
        }
        // CLIENT UNBLOCK ends the other client's wait within the command, as in Redis (its statistics and slowlog
        // entry come before the caller's, and an error reply it gives counts as the caller's failure, since Redis
        // compares the server's error count before and after a call).
        let unblock_errors = !self.state.blocking.unblock_requests.is_empty() && self.handle_unblock_requests();
        if cmd.has(flag::WRITE) && self.state.repl.is_replica() && !c.has(flags::MASTER) {
            crate::state::expire::remember_replica_keys(&mut self.state, cmd, args, c.db);
        }
        // Two calls, so that without propagation `between` captures nothing (its captures cost about 20
        // instructions per command when built for nothing).
        if prop {
            let (db, nested) = (c.db, self.nesting > 0);
            crate::state::notify::drain_queues(&mut self.state, false, Some(&mut *c), move |st| {
                end_propagation(st, cmd, args, saved, db, dirty_before, nested)
            });
        } else {
            crate::state::notify::drain_queues(&mut self.state, false, Some(&mut *c), |_| {});
        }
        if cmd.has(flag::READONLY) && mode == CallMode::Call {
            if c.has(flags::TRACKING) {
                crate::state::tracking::tracker::remember_read(&mut self.state.tracking, c, cmd, args);
            } else if c.id == crate::scripting::SCRIPT_CLIENT_ID {
                self.state.tracking.script_read();
            }
        }
        if let Some(prev) = tracking_prev {
            self.state.tracking.leave(prev);
            self.state.tracking.script_ends();
            // Redis's afterCommand: the caller's own invalidations, after its whole reply.
            if self.state.tracking.has_outbox() {
                crate::state::tracking::deliver(
                    &mut self.state,
                    Some(&mut *c),
                    crate::state::tracking::tracker::Flush::End,
                );
            }
        }
        let end_us = crate::util::now_us();
        let duration_us = end_us.saturating_sub(start_us).max(0) as u64;
        let failed = self.count_errors(c) > 0 || unblock_errors;
        // Blocked on keys (the request is taken after the call) or in WAIT (which flags the client itself).
        let blocked = self.state.blocking.request.is_some() || (mode == CallMode::Call && c.has(flags::BLOCKED));
        if self.state.hotkeys.is_some() {
            let out_start = if top { reply_before } else { self.reply_start };
            self.hotkeys_after_call(c, cmd, args, (duration_us, blocked), out_start, hot_repl_before);
        }
        // Whether slot statistics are on is read again: the command may have been the CONFIG SET that changed it.
        if top && self.slot_stats_on() {
            let repl_bytes = match (repl_before, self.state.prop.repl.as_ref()) {
                (Some((len, sel)), Some(f)) => {
                    (f.buf.len().saturating_sub(len) as u64).saturating_sub(f.select_bytes.saturating_sub(sel))
                }
                _ => 0,
            };
            self.slot_stats_after_call(c, mode, blocked, duration_us, reply_bytes, repl_bytes);
        }
        if mode == CallMode::Served {
            // The call was counted when the client blocked; now its total time, errors, latency and slowlog entry
            // (Redis's `updateStatsOnUnblock`), unless it blocks again.
            if !blocked {
                self.stats_on_unblock(c, cmd, args, c.call_us + duration_us, failed);
                crate::latency::add_sample_if_needed("command-unblocking", duration_us / 1000);
            }
            return end_us;
        }
        c.call_us = duration_us;
        if top {
            self.state.stats.el.cmd_duration_sum_us += duration_us;
        }
        // `run` may have counted other commands (EXEC's queue): the batch must be of this command only.
        if self.pending_stat.as_ref().is_some_and(|p| !std::ptr::eq(p.name, full_name)) {
            self.flush_command_stats();
        }
        let p = self.pending_stat.get_or_insert(PendingStat { name: full_name, calls: 0, usec: 0, failed: 0 });
        p.calls += 1;
        p.usec += duration_us;
        p.failed += failed as u64;
        // A command that blocks is recorded when it is served (`server/blocking.rs`), as Redis records it.
        if self.state.config.latency_tracking && !blocked {
            self.state.stats.latency.record_us(full_name, duration_us);
        }
        // The latency monitor: CONFIG SET may just have changed the threshold.
        let latency_threshold_ms = self.state.config.latency_monitor_threshold;
        crate::latency::set_threshold_ms(latency_threshold_ms);
        if latency_threshold_ms > 0 && duration_us / 1000 >= latency_threshold_ms as u64 {
            let event = if cmd.has(flag::FAST) { "fast-command" } else { "command" };
            crate::latency::add_sample(event, duration_us / 1000);
        }
        self.state.stats.total_commands_processed += 1;
        c.last_cmd = full_name;
        let threshold = self.state.config.slowlog_log_slower_than;
        // Likewise its slowlog entry.
        if threshold >= 0 && duration_us >= threshold as u64 && !cmd.has(flag::SKIP_SLOWLOG) && !blocked {
            self.slowlog_push(c, args, start_us, duration_us);
        }
        // COMMANDLOG's size logs (Valkey 8.1), on the slow log's terms. A threshold of -1 is u64::MAX here, so
        // with both off (or nothing big) this is one branch.
        let cfg = &self.state.config;
        if (c.cmd_in_bytes >= cfg.commandlog_request_larger_than as u64
            || reply_bytes >= cfg.commandlog_reply_larger_than as u64)
            && !cmd.has(flag::SKIP_SLOWLOG)
            && !blocked
        {
            self.commandlog_push_sizes(c, args, start_us, reply_bytes);
        }
        if !self.state.clients.monitors.is_empty() && !cmd.has(flag::SKIP_MONITOR | flag::ADMIN) {
            self.feed_monitors(c, args);
        }
        end_us
    }

    /// Moves the batched counters of the last command into `commandstats`.
    pub(super) fn flush_command_stats(&mut self) {
        if let Some(p) = self.pending_stat.take() {
            let st = self.state.stats.commandstats.entry(p.name).or_default();
            st.calls += p.calls;
            st.usec += p.usec;
            st.failed_calls += p.failed;
        }
    }

    /// Refuses a command before it runs (Redis's `rejectCommand`): replies `msg` (an error without the leading
    /// `-`), flags an open transaction, counts a rejected call. A refused EXEC ends the transaction and names the
    /// reason instead (`execCommandAbort`: Redis's generic errors lose their `ERR ` prefix there, coded ones such
    /// as `OOM` or `NOAUTH` keep their code).
    fn reject(&mut self, c: &mut ClientState, cmd: &'static Command, full_name: &'static str, msg: &[u8]) {
        command::multi::flag_transaction(c);
        if command::multi::is_exec(cmd) {
            command::multi::discard_transaction(c, &mut self.state.watches);
            let reason = msg.strip_prefix(b"ERR ").unwrap_or(msg);
            let mut text = b"EXECABORT Transaction discarded because of: ".to_vec();
            text.extend_from_slice(reason);
            error_bytes(&mut c.reply, &text);
        } else {
            error_bytes(&mut c.reply, msg);
        }
        self.count_rejected(c, full_name);
    }

    /// The statistics of a refused command whose error reply was already written: a rejected call
    /// ([`admission::count_rejected`]) and its error in errorstats.
    pub(super) fn count_rejected(&mut self, c: &mut ClientState, full_name: &'static str) {
        admission::count_rejected(&mut self.state.stats, full_name);
        self.count_errors(c);
    }

    /// The statistics of a blocked command that stops waiting (served, or CLIENT UNBLOCK; Redis's
    /// `updateStatsOnUnblock`): `total_us` is added to its commandstats time (the call itself was counted when it
    /// blocked), a failure counted when `had_errors`, and the latency histogram and slowlog get it.
    /// `cmd` is the blocked command; `args` what the slowlog records (Redis 7.0 records an empty argument list for
    /// a client ended by CLIENT UNBLOCK, whose arguments it has already freed).
    pub(super) fn stats_on_unblock(
        &mut self,
        c: &ClientState,
        cmd: &'static Command,
        args: Args,
        total_us: u64,
        had_errors: bool,
    ) {
        self.flush_command_stats();
        let name = c.last_cmd;
        let st = self.state.stats.commandstats.entry(name).or_default();
        st.usec += total_us;
        if had_errors {
            st.failed_calls += 1;
        }
        if self.state.config.latency_tracking {
            self.state.stats.latency.record_us(name, total_us);
        }
        // CLUSTER SLOT-STATS counts the time commandstats has for the command, in the slot it blocked on, but
        // only now (Valkey counts nothing while a command is blocked): the call that blocked (`call_us`, which
        // commandstats counted then, as Redis 7.0 does) and `total_us`.
        if self.slot_stats_on() && c.cmd_slot >= 0 {
            if let Some(cl) = self.state.cluster.as_deref_mut() {
                cl.slot_stats[c.cmd_slot as usize].cpu_usec += total_us + c.call_us;
            }
        }
        let threshold = self.state.config.slowlog_log_slower_than;
        if threshold >= 0 && total_us >= threshold as u64 && !cmd.has(flag::SKIP_SLOWLOG) {
            self.slowlog_push(c, args, crate::util::now_us(), total_us);
        }
    }

    fn slowlog_push(&mut self, c: &ClientState, args: Args, start_us: i64, duration_us: u64) {
        let max = self.state.config.slowlog_max_len.max(0) as usize;
        let entry = SlowlogEntry {
            id: self.state.commandlog.slow.next_id,
            time_s: start_us / 1_000_000,
            duration_us,
            argv: slowlog_args(args),
            peer: c.addr.clone(),
            name: c.name.clone().unwrap_or_default(),
        };
        self.state.commandlog.slow.next_id += 1;
        self.state.commandlog.slow.entries.push_front(entry);
        self.state.commandlog.slow.entries.truncate(max);
    }

    /// HOTKEYS' share of a finished call ([`crate::state::hotkeys::HotKeys::after_call`]): `(time, blocked)`,
    /// `out_start` the reply's length when the client's request began (EXEC's commands share their EXEC's, as
    /// Redis's per-request byte counters), `repl_before` the replication stream's length before a client's own
    /// command (a backlog exists), whose growth counts too.
    #[cold]
    fn hotkeys_after_call(
        &mut self,
        c: &ClientState,
        cmd: &'static Command,
        args: Args,
        (duration_us, blocked): (u64, bool),
        out_start: usize,
        repl_before: Option<usize>,
    ) {
        let repl_bytes = match (repl_before, self.state.prop.repl.as_ref()) {
            (Some(len), Some(f)) => f.buf.len().saturating_sub(len) as u64,
            _ => 0,
        };
        let cost = crate::state::hotkeys::CallCost {
            duration_us,
            in_bytes: c.cmd_in_bytes,
            out_bytes: c.reply.buf.len().saturating_sub(out_start) as u64,
            repl_bytes,
            depth: self.nesting,
            script: c.id == crate::scripting::SCRIPT_CLIENT_ID,
            blocked,
        };
        if let Some(h) = self.state.hotkeys.as_deref_mut() {
            h.after_call(cmd, args, &cost);
        }
    }

    /// Whether CLUSTER SLOT-STATS counts CPU time and network bytes (cluster mode, `cluster-slot-stats-enabled`).
    #[inline]
    fn slot_stats_on(&self) -> bool {
        self.state.config.cluster_slot_stats_enabled && self.state.cluster.is_some()
    }

    /// CLUSTER SLOT-STATS `network-bytes-in` after a client's command (Valkey's
    /// `clusterSlotStatsAddNetworkBytesInForUserClient` in `commandProcessed`): the request's bytes go to the slot
    /// of its keys, plus MULTI's 15 for an EXEC; a blocked command's count when it is served.
    fn slot_stats_bytes_in(&mut self, c: &ClientState, args: Args) {
        if c.has(flags::POSTPONED | flags::BLOCKED) || self.state.blocking.request.is_some() {
            return;
        }
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        let slot = cl.health.query_slot;
        if slot >= 0 {
            let multi = if args.is(0, "exec") { 15 } else { 0 };
            cl.slot_stats[slot as usize].network_bytes_in += c.cmd_in_bytes + multi;
        }
    }

    /// CLUSTER SLOT-STATS for a blocked command that timed out: its call's time, in its slot.
    pub(super) fn slot_stats_timed_out(&mut self, c: &ClientState) {
        if self.slot_stats_on() && c.cmd_slot >= 0 {
            if let Some(cl) = self.state.cluster.as_deref_mut() {
                cl.slot_stats[c.cmd_slot as usize].cpu_usec += c.call_us;
            }
        }
    }

    /// CLUSTER SLOT-STATS after a top-level call: `cpu-usec` gets what commandstats gets, `network-bytes-out` the
    /// reply and the replication stream's bytes times the replicas (Valkey's `clusterSlotStatsAddCpuDuration`,
    /// `clusterSlotStatsAddNetworkBytesOutForUserClient`, `clusterSlotStatsIncrNetworkBytesOutForReplication`).
    /// A command that blocks remembers its slot for when it is served.
    #[cold]
    fn slot_stats_after_call(
        &mut self,
        c: &mut ClientState,
        mode: CallMode,
        blocked: bool,
        duration_us: u64,
        reply_bytes: u64,
        repl_bytes: u64,
    ) {
        let replicas = self.state.repl.replicas.len() as u64;
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        let slot = if mode == CallMode::Served { c.cmd_slot } else { cl.health.query_slot };
        if blocked {
            c.cmd_slot = slot;
        }
        if slot < 0 {
            return;
        }
        let st = &mut cl.slot_stats[slot as usize];
        if mode == CallMode::Call && !blocked {
            st.cpu_usec += duration_us;
        } else if mode == CallMode::Served && !blocked {
            // Served: its request is counted now (its time by `stats_on_unblock`).
            st.network_bytes_in += c.cmd_in_bytes;
        }
        if !blocked {
            st.network_bytes_out += reply_bytes + repl_bytes * replicas;
        }
    }

    /// Records a command in COMMANDLOG's large-request and large-reply logs when it is over their thresholds
    /// (Valkey's `commandlogPushCurrentCommand` for those two types).
    #[cold]
    fn commandlog_push_sizes(&mut self, c: &ClientState, args: Args, start_us: i64, reply_bytes: u64) {
        let st = &mut self.state;
        let cfg = &st.config;
        let logs = [
            (c.cmd_in_bytes, cfg.commandlog_request_larger_than, cfg.commandlog_large_request_max_len, 0),
            (reply_bytes, cfg.commandlog_reply_larger_than, cfg.commandlog_large_reply_max_len, 1),
        ];
        for (value, threshold, max_len, which) in logs {
            if threshold < 0 || max_len <= 0 || value < threshold as u64 {
                continue;
            }
            let log = if which == 0 { &mut st.commandlog.large_requests } else { &mut st.commandlog.large_replies };
            log.entries.push_front(SlowlogEntry {
                id: log.next_id,
                time_s: start_us / 1_000_000,
                duration_us: value,
                argv: slowlog_args(args),
                peer: c.addr.clone(),
                name: c.name.clone().unwrap_or_default(),
            });
            log.next_id += 1;
            log.entries.truncate(max_len as usize);
        }
    }

    pub(super) fn feed_monitors(&mut self, c: &mut ClientState, args: Args) {
        let peer = if c.id == crate::scripting::SCRIPT_CLIENT_ID {
            // Redis's `[0 lua]` for the commands a script runs.
            "lua".to_string()
        } else if c.has(flags::UNIX_SOCKET) {
            format!("unix:{}", self.state.config.unixsocket.as_deref().unwrap_or(""))
        } else {
            c.addr.clone()
        };
        let mut line = b"+".to_vec();
        line.extend_from_slice(&monitor_line(crate::util::now_us(), c.db, &peer, args));
        line.extend_from_slice(b"\r\n");
        for i in 0..self.state.clients.monitors.len() {
            let id = self.state.clients.monitors[i];
            if id == c.id {
                c.reply.raw_bytes(&line);
                continue;
            }
            let Some(&fd) = self.state.clients.id_to_fd.get(&id) else { continue };
            if let Some(mut m) = self.take_client(fd) {
                m.state.reply.raw_bytes(&line);
                self.check_output_limits(&mut m);
                self.put_client(m);
            }
            self.state.queue_write(fd);
        }
    }

    fn apply_actions(&mut self, el: &mut EventLoop, c: &mut ClientState) {
        let actions = std::mem::take(&mut self.state.actions);
        for a in actions {
            match a {
                Action::KillClient(id) => {
                    if id == c.id {
                        c.flags |= flags::CLOSE_AFTER_REPLY;
                    } else if let Some(&fd) = self.state.clients.id_to_fd.get(&id) {
                        self.free_client_by_fd(el, fd);
                    }
                }
                Action::SaveAfterFlushAll => self.save_after_flushall(),
                Action::DebugRestart { save, delay_ms } => {
                    if save {
                        crate::supervise::stopping();
                    }
                    if save && !self.shutdown_persistence(Default::default()) {
                        c.reply.error("ERR failed to restart the server. Check server logs.");
                        continue;
                    }
                    self.restart_process(delay_ms);
                    c.reply.error("ERR failed to restart the server. Check server logs.");
                }
                Action::DebugLoadAof => match self.debug_loadaof(Some(el)) {
                    Ok(()) => c.reply.ok(),
                    Err(e) => c.reply.error(&e),
                },
                Action::StartAofRewrite => {
                    if self.state.persist.aof_rewrite_scheduled && self.state.persist.child.is_none() {
                        self.state.persist.aof_rewrite_scheduled = false;
                        // A failure is logged and counted in aof_rewrites_consecutive_failures.
                        let _ = self.start_aof_rewrite();
                    }
                }
                Action::ListenersChanged => self.register_listener_changes(el),
                Action::ConfigChanged { in_exec } => self.config_changed(in_exec),
                Action::Shutdown(flags) => {
                    self.shutdown_command(el, c, flags);
                    // A shutdown that failed at once answered the caller with an error, as SHUTDOWN's own.
                    if self.count_errors(c) > 0 {
                        self.flush_command_stats();
                        self.state.stats.commandstats.entry(c.last_cmd).or_default().failed_calls += 1;
                    }
                }
                Action::AbortShutdown => self.abort_shutdown(Some(c)),
            }
        }
    }
}

/// The command's own propagation, once its deletions are (step 3 of `notify::drain_queues`): what it recorded,
/// or its argv when it changed the dataset (`dirty` moved from `dirty_before`). Kept out of line: it runs only
/// while something consumes propagation (the AOF, replicas).
#[inline(never)]
fn end_propagation(
    st: &mut crate::state::ServerState,
    cmd: &'static Command,
    args: Args,
    saved: crate::propagate::CallState,
    db: usize,
    dirty_before: u64,
    nested: bool,
) {
    if command::multi::is_exec(cmd) {
        // EXEC is never propagated itself: its commands are, wrapped in MULTI/EXEC when more than one.
        st.prop.call.prevent = true;
    }
    let dirty = st.persist.dirty != dirty_before;
    st.prop.end_call(saved, db, dirty, args.iter(), nested);
}

/// DEBUG KEYSIZES-HIST-ASSERT: each database's `INFO keysizes` histograms against a scan of its keys, after a
/// command. A difference is a bug in their bookkeeping and ends the process with a crash report, as Redis's
/// `serverPanic` does there.
#[cold]
fn assert_keysizes(state: &mut crate::state::ServerState, after: &str) {
    for db in state.dbs.iter_mut() {
        if let Some((ty, bin, kept, scanned)) = db.keysizes_difference() {
            let id = db.id;
            crate::crash_report::panic_report(
                |w| {
                    crate::crash_report::warn_line(
                        w,
                        &format!(
                            "keysizes histogram of db {id} differs from a scan after '{after}': type {ty}, bin {bin}: \
                             {kept} kept, {scanned} scanned"
                        ),
                    );
                },
                None,
            );
        }
    }
}
