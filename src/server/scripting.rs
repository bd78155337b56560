//! The server as a script host ([`ScriptHost`]): EVAL and SCRIPT LOAD run here instead of in their table
//! handlers, so that `redis.call` re-enters the server's call path with the script client (Redis's fake Lua
//! client): statistics, SLOWLOG, MONITOR (`[0 lua]`) and propagation apply to a script's commands as to any
//! client's, after the admission checks of `redis.call` ([`crate::admission`], with the script's rules).
//!
//! - Propagation: the script's own argv is never propagated; the commands it ran are, as one unit (wrapped in
//!   MULTI/EXEC when more than one), each to the targets `redis.set_repl` chose.
//! - Busy scripts: past `busy-reply-threshold` the hook calls [`ScriptHost::process_events_while_blocked`], which runs
//!   a few non-blocking passes of the event loop (file events only, a reduced before-sleep: see `Server::before_sleep`)
//!   so other clients get -BUSY, SCRIPT KILL and SHUTDOWN NOSAVE work. The event loop is reached through the pointer
//!   [`Server::busy_loop`](crate::server::Server::busy_loop), valid for the duration of the dispatch that set it.

use super::Server;
use crate::admission::{self, Origin, Refusal};
use crate::args::Args;
use crate::command::{self, Command};
use crate::event_loop::EventLoop;
use crate::net::client::ClientState;
use crate::scripting::{self, ScriptHost};
use crate::state::Stats;

/// Passes of the event loop per hook call while a script is busy (Redis's `processEventsWhileBlocked`).
const BUSY_EVENT_PASSES: usize = 4;

impl ScriptHost for Server {
    fn scripting(&mut self) -> &mut scripting::Scripting {
        &mut self.state.scripting
    }

    fn functions(&mut self) -> &mut scripting::function::Functions {
        &mut self.state.functions
    }

    fn config(&self) -> &crate::config::Config {
        &self.state.config
    }

    fn acl(&self) -> &crate::acl::Acl {
        &self.state.acl
    }

    fn now_ms(&self) -> i64 {
        self.state.now_ms
    }

    fn conditions(&self) -> scripting::run::Conditions {
        let st = &self.state;
        scripting::run::Conditions {
            stale_replica: st.stale_replica(),
            over_maxmemory: st.config.maxmemory != 0 && st.memory_to_free().is_some(),
            cluster: st.cluster.is_some(),
            read_only_replica: st.read_only_replica(),
            disk_error: st.disk_error().map(|msg| (msg, st.persist.stats.aof_error)),
            too_few_replicas: st.too_few_replicas(),
        }
    }

    fn record_fork(&mut self, usec: u64) {
        let stats = &mut self.state.persist.stats;
        stats.total_forks += 1;
        stats.latest_fork_usec = usec;
        crate::latency::add_sample_if_needed("fork", usec / 1000);
    }

    fn enter_forked_child(&mut self) {
        crate::cluster::nodes_conf::close_lock_in_child();
        if let Some(cl) = self.state.cluster.as_ref() {
            // Closed just above: the session's commands must not write through that number.
            cl.conf_lock.forget();
        }
    }

    fn commands(&self) -> &'static command::CommandTable {
        self.commands
    }

    fn call_command(&mut self, c: &mut ClientState, args: Args) -> Result<(), String> {
        let a = match admission::admit(&mut self.state, self.commands, c, args, Origin::Script) {
            Ok(a) => a,
            Err(r) => {
                let msg = r.script_text();
                count_refusal(&mut self.state.stats, &r, &msg);
                return Err(msg);
            }
        };
        let targets = self.state.scripting.run.as_ref().map_or(scripting::REPL_ALL, |r| r.repl_flags);
        let saved = self.state.prop.script_targets.replace(targets);
        let t = crate::util::now_us();
        self.call(c, a.cmd, a.full_name, args, t);
        self.state.prop.script_targets = saved;
        Ok(())
    }

    fn process_events_while_blocked(&mut self) -> bool {
        let Some(el) = self.busy_loop else { return self.exit_code.is_some() };
        // SAFETY: `busy_loop` was set by `dispatch` (or, at start-up, by the AOF replayer, `server/aof.rs`) from
        // its `&mut EventLoop`, which stays borrowed (and unused) for the whole command, this script included; it
        // is reset before `dispatch` (or the replayed command) returns. Nothing else holds a reference to the loop
        // meanwhile: `EventLoop::process_events` up the stack is suspended in the call that led here.
        let el: &mut EventLoop = unsafe { &mut *el };
        for _ in 0..BUSY_EVENT_PASSES {
            match el.process_events(self, Some(0)) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if self.exit_code.is_some() {
                break;
            }
        }
        self.exit_code.is_some()
    }
}

impl Server {
    /// Runs EVAL* and SCRIPT LOAD with the server as the script host; false for other commands.
    pub(super) fn script_command(&mut self, c: &mut ClientState, cmd: &'static Command, args: Args) -> bool {
        if let Some(kind) = crate::scripting::eval::EvalKind::of(cmd) {
            // EVAL is skip_monitor: it is fed here, before the commands it runs (Redis's evalCommand).
            if !self.state.clients.monitors.is_empty() {
                self.feed_monitors(c, args);
            }
            scripting::eval::eval_command(self, c, args, kind);
            // The script's commands were propagated as they ran; EVAL itself never is.
            self.state.prop.call.prevent = true;
            return true;
        }
        if let Some(ro) = crate::scripting::function::fcall_kind(cmd) {
            // FCALL is skip_monitor too: fed before the commands it runs (Redis's fcallCommandGeneric).
            if !self.state.clients.monitors.is_empty() {
                self.feed_monitors(c, args);
            }
            scripting::function::fcall_command(self, c, args, ro);
            self.state.prop.call.prevent = true;
            return true;
        }
        if command::scripting::is_script_load(cmd) {
            scripting::eval::script_load(self, &mut c.reply, args.get(2));
            return true;
        }
        false
    }
}

/// `afterErrorReply` + `incrCommandStatsOnError(cmd, ERROR_COMMAND_REJECTED)` for a refused script command.
fn count_refusal(stats: &mut Stats, r: &Refusal, msg: &str) {
    // The code is the first word of a `-CODE msg` text (looked for in its first 32 bytes, as Redis does).
    let code = match msg.as_bytes().strip_prefix(b"-") {
        Some(rest) => match rest.iter().take(31).position(|&b| b == b' ') {
            Some(sp) => String::from_utf8_lossy(&rest[..sp]),
            None => "ERR".into(),
        },
        None => "ERR".into(),
    };
    stats.count_error(&code);
    if let Some((_, name)) = r.found {
        admission::count_rejected(stats, name);
    }
}
