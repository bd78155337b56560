//! Running one script function for one caller (Redis's `scriptPrepareForRun`, `luaCallFunction` and
//! `scriptResetRun`), shared by EVAL and FCALL.
//!
//! [`prepare`] applies the refusals a script's declared flags call for and builds the [`RunCtx`];
//! [`call_function`] installs it, sets `KEYS`/`ARGV`, arms the busy-script hook, calls the function and writes
//! its result (or its error) to the caller's reply. Error replies follow Redis 7.0:
//! `-<CODE> <message> script: <sha or function>, on <source>:<line>.` when the position of the error is known
//! (errors raised by `redis.*` natives carry it; Lua's own messages start with it), the bare message otherwise.

use std::any::Any;
use std::time::Instant;

use super::convert::{self, ErrorStats};
use super::redis_lib;
use super::{run_flags, script_flags, RunCtx, ScriptHost, REPL_ALL};
use crate::args::Args;
use crate::lua::value::{ErrorKind, LuaError, TableRef, Value};
use crate::lua::Lua;
use crate::net::client::{flags as cf, ClientState};
use crate::resp::reply::Reply;

/// Instructions between two checks of the busy-script hook (Redis's count hook interval).
pub const HOOK_INTERVAL: u32 = 100_000;

use crate::net::client::must_obey;

/// What the server's state says about running a script now: the inputs of [`prepare`]'s refusals, gathered by
/// the host ([`ScriptHost::conditions`]).
#[derive(Debug, Default, Clone)]
pub struct Conditions {
    /// A replica whose link to its master is down, with `replica-serve-stale-data no`.
    pub stale_replica: bool,
    /// `maxmemory` is exceeded now.
    pub over_maxmemory: bool,
    /// Cluster mode is on.
    pub cluster: bool,
    /// A replica with `replica-read-only`.
    pub read_only_replica: bool,
    /// After a failed background save or AOF write: why writes are refused (`MISCONF ...`), and the AOF write's
    /// errno if that is what failed.
    pub disk_error: Option<(String, Option<i32>)>,
    /// A master below `min-replicas-to-write` good replicas.
    pub too_few_replicas: bool,
}

/// `scriptPrepareForRun`: refuses the run (error text written to `reply`, None returned) or returns its context.
/// `funcname` names the script in errors and logs; `ro` is EVAL_RO/EVALSHA_RO/FCALL_RO; `eval` tells EVAL from
/// FCALL.
pub fn prepare(
    st: &Conditions,
    caller: &ClientState,
    funcname: &str,
    flags: u32,
    ro: bool,
    eval: bool,
    reply: &mut Reply,
) -> Option<RunCtx> {
    let running_stale = st.stale_replica;
    let obey = must_obey(caller);
    let pre_oom = st.over_maxmemory;
    if flags & script_flags::EVAL_COMPAT_MODE == 0 {
        if flags & script_flags::NO_CLUSTER != 0 && st.cluster {
            reply.error("ERR Can not run script on cluster, 'no-cluster' flag is set.");
            return None;
        }
        if running_stale && flags & script_flags::ALLOW_STALE == 0 {
            reply.error(
                "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' \
                 flag is not set on the script.",
            );
            return None;
        }
        if flags & script_flags::NO_WRITES == 0 {
            if st.read_only_replica && !obey {
                reply.error("READONLY Can not run script with write flag on readonly replica");
                return None;
            }
            if !obey {
                if let Some((msg, aof_errno)) = &st.disk_error {
                    let rdb = msg.contains("RDB");
                    if rdb {
                        reply.error(
                            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to \
                             persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only \
                             scripts.",
                        );
                    } else {
                        let errno = aof_errno.unwrap_or(0);
                        let e = std::io::Error::from_raw_os_error(errno);
                        reply.error(&format!(
                            "MISCONF Redis is configured to persist data to AOF, but it's currently unable to \
                             persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only \
                             scripts. AOF error: {}",
                            crate::sys::error_text(&e)
                        ));
                    }
                    return None;
                }
            }
            if ro {
                reply.error("ERR Can not execute a script with write flag using *_ro command.");
                return None;
            }
            if st.too_few_replicas {
                reply.error("NOREPLICAS Not enough good replicas to write.");
                return None;
            }
        }
        if pre_oom && flags & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0 {
            reply.error("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
            return None;
        }
    } else if running_stale {
        reply.error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
        return None;
    }
    let mut run_fl = if eval { run_flags::EVAL_MODE } else { 0 };
    let compat = flags & script_flags::EVAL_COMPAT_MODE != 0;
    if ro || (!compat && flags & script_flags::NO_WRITES != 0) {
        run_fl |= run_flags::READ_ONLY;
    }
    if !compat && flags & script_flags::ALLOW_OOM != 0 {
        run_fl |= run_flags::ALLOW_OOM;
    }
    if compat || flags & script_flags::ALLOW_CROSS_SLOT != 0 {
        run_fl |= run_flags::ALLOW_CROSS_SLOT;
    }
    Some(RunCtx {
        funcname: funcname.to_string(),
        flags: run_fl,
        repl_flags: REPL_ALL,
        resp: 2,
        start: Instant::now(),
        db: caller.db,
        user_id: caller.user_id,
        user: caller.user.clone(),
        obey,
        in_multi: caller.has(cf::MULTI),
        pre_oom,
    })
}

/// The busy-script hook (`luaMaskCountHook` + `scriptInterrupt`): past `busy-reply-threshold` the script is
/// marked timed out and other clients are served between instruction batches; a killed script gets an error no
/// `pcall` catches.
fn hook<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<(), LuaError> {
    let Some(host) = any.downcast_mut::<H>() else { return Ok(()) };
    let threshold = host.config().busy_reply_threshold;
    let Some(run) = host.scripting().run.as_mut() else { return Ok(()) };
    if !run.has(run_flags::TIMEDOUT) {
        let elapsed = run.start.elapsed().as_millis() as i64;
        if elapsed < threshold {
            return Ok(());
        }
        let kill = if run.has(run_flags::EVAL_MODE) { "SCRIPT KILL" } else { "FUNCTION KILL" };
        crate::log_warning!(
            "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the \
             script using the {kill} command. Script name is: {}.",
            run.funcname
        );
        run.flags |= run_flags::TIMEDOUT;
    }
    let shutting_down = host.process_events_while_blocked();
    let killed = shutting_down || host.scripting().run.as_ref().is_some_and(|r| r.has(run_flags::KILLED));
    if killed {
        crate::log_warning!("Lua script killed by user with SCRIPT KILL.");
        // Keep firing often so a pcall cannot swallow the kill and go on (the error itself is uncatchable too).
        l.hook_interval = 1;
        return Err(redis_lib::killed_error(l));
    }
    Ok(())
}

/// A Lua array of the arguments (`KEYS`, `ARGV`).
fn array_of(l: &mut Lua, items: Args) -> TableRef {
    let t = l.new_table(items.len(), 0);
    for (i, a) in items.iter().enumerate() {
        let v = l.new_str(a);
        let _ = l.heap.raw_set_int(t, i as i64 + 1, v);
    }
    t
}

/// Runs `f` for the caller (Redis's `luaCallFunction`): EVAL (`run.flags` has EVAL_MODE) sets the globals
/// `KEYS` and `ARGV` and calls `f()`; FCALL calls `f(keys, args)`. The result or the error goes to `reply`
/// (the caller's). Returns the run context (its flags tell whether the script wrote, timed out...).
pub fn call_function<H: ScriptHost>(
    host: &mut H,
    l: &mut Lua,
    run: RunCtx,
    f: Value,
    keys: Args,
    args: Args,
    reply: &mut Reply,
) -> RunCtx {
    let eval = run.has(run_flags::EVAL_MODE);
    let threshold = host.config().busy_reply_threshold;
    host.scripting().run = Some(run);
    if host.scripting().ldb.is_some() {
        // A debugging session replaces the busy-script hook (as in Redis): its hook looks at every instruction.
        l.hook = Some(super::ldb::hook::<H>);
        l.hook_interval = 1;
        l.vm.hook_left = 1;
    } else if threshold > 0 {
        l.hook = Some(hook::<H>);
        l.hook_interval = HOOK_INTERVAL;
    }
    let kt = array_of(l, keys);
    let at = array_of(l, args);
    let reg = l.registry;
    let handler = l.get_field(reg, super::env::ERR_HANDLER);
    let func = l.stack.len();
    let nframes = l.frames.len();
    l.stack.push(f);
    if eval {
        let g = l.globals;
        super::env::set_globals_readonly(l, false);
        l.set_field(g, "KEYS", Value::Table(kt));
        l.set_field(g, "ARGV", Value::Table(at));
        super::env::set_globals_readonly(l, true);
    } else {
        l.stack.push(Value::Table(kt));
        l.stack.push(Value::Table(at));
    }
    let result = match l.pcall(host, func, 1, Some(handler)) {
        Ok(true) => Ok(l.stack.get(func).copied().unwrap_or(Value::Nil)),
        Ok(false) => {
            let v = l.stack.get(func).copied().unwrap_or(Value::Nil);
            Err(LuaError::new(ErrorKind::Runtime, v))
        }
        Err(e) => Err(e),
    };
    l.hook = None;
    l.hook_interval = HOOK_INTERVAL;
    let run = host.scripting().run.take();
    let run = match run {
        Some(r) => r,
        // Never expected: the context is only removed here.
        None => RunCtx {
            funcname: String::new(),
            flags: 0,
            repl_flags: REPL_ALL,
            resp: 2,
            start: Instant::now(),
            db: 0,
            user_id: 0,
            user: String::new(),
            obey: false,
            in_multi: false,
            pre_oom: false,
        },
    };
    match result {
        Ok(v) => convert::lua_to_reply(l, v, reply, run.resp),
        Err(e) => error_reply(l, &e, &run.funcname, reply),
    }
    // The result was converted: drop it (and, after an uncatchable error, whatever the script left).
    l.unwind(func, nframes);
    // KEYS, ARGV and the reply conversions allocate outside the VM's safe points: collect their garbage here,
    // between scripts, as Redis's periodic `lua_gc` step does. A heap still over its limit after the collection
    // is reported by the next script that allocates.
    let _ = l.gc_check();
    run
}

/// The caller's error reply for a failed script (the end of `luaCallFunction`). The error handler turned every
/// catchable error into a table (`err`, `source`, `line`); a value that is not a table is what Lua reports
/// without calling the handler (memory errors, errors in the handler).
fn error_reply(l: &mut Lua, e: &LuaError, funcname: &str, reply: &mut Reply) {
    let Value::Table(t) = e.value else {
        let text = l.to_bytes(e.value).unwrap_or_else(|| b"execution failure".to_vec());
        let mut m = format!("ERR Error running script {funcname}, ").into_bytes();
        m.extend_from_slice(&text[..text.len().min(100)]);
        convert::add_error(reply, &m, ErrorStats::Count);
        return;
    };
    let field = |l: &mut Lua, name: &str| match l.get_field(t, name) {
        v @ (Value::Str(_) | Value::Num(_)) => l.to_bytes(v),
        _ => None,
    };
    // A table without `err` (error({}) from the script) has an empty message, as in Redis.
    let mut out = field(l, "err").unwrap_or_default();
    if let (Some(source), Some(line)) = (field(l, "source"), field(l, "line")) {
        out.extend_from_slice(b" script: ");
        out.extend_from_slice(funcname.as_bytes());
        out.extend_from_slice(b", on ");
        out.extend_from_slice(&source);
        out.push(b':');
        out.extend_from_slice(&line);
        out.push(b'.');
    }
    let ignore = matches!(l.get_field(t, "ignore_error_stats_update"), Value::Bool(true));
    convert::add_error(reply, &out, if ignore { ErrorStats::Skip } else { ErrorStats::Count });
}
