//! `redis.call`'s command path (Redis's `scriptCall` in script.c): look the command up, refuse what a script may
//! not run (with Redis's texts), then hand it to the host's call path in the script client and return the reply
//! bytes.
//!
//! Order of the checks, as Redis: existence and arity, `noscript`, stale replica, ACL, writes (read-only
//! script, read-only replica, disk errors, min-replicas), OOM. A refused command counts as a rejected call of
//! that command and as an error reply in `errorstats` (Redis's `afterErrorReply`), so the script's own error
//! reply for it is not counted again.

use super::{run_flags, RunCtx, ScriptHost, SCRIPT_CLIENT_ID};
use crate::admission;
use crate::args::OwnedArgs;
use crate::command_spec::{flag, Command};
use crate::net::client::{flags as cf, ClientState};
use crate::state::ServerState;

/// The outcome of one `redis.call` whose reply was handed to the caller's closure.
pub enum CallResult<R> {
    /// The command ran; what the closure made of its reply (encoded in the script client's protocol).
    Reply(R),
    /// Refused before running: Redis's text (`-CODE msg` keeps its code, a bare message is an ERR).
    Refused(String),
}

/// A new script client (Redis's fake Lua client: no connection, no blocking).
pub fn new_script_client(now_ms: i64) -> Box<ClientState> {
    // A client without a connection: SLOWLOG shows its peer as Redis's `?:0` (MONITOR shows `lua`).
    let mut c = ClientState::new(SCRIPT_CLIENT_ID, -1, "?:0".into(), String::new(), now_ms);
    c.flags |= cf::DENY_BLOCKING;
    Box::new(c)
}

/// Runs `argv` for the running script and gives its reply bytes to `on_reply` (the script client's buffer is
/// reused from call to call). `None` when no script is running (the natives check that first).
pub fn script_call<H: ScriptHost, R>(
    host: &mut H,
    argv: &OwnedArgs,
    on_reply: impl FnOnce(&[u8]) -> R,
) -> Option<CallResult<R>> {
    let st = host.state();
    let run = st.scripting.run.as_ref()?;
    let (db, resp, user_id) = (run.db, run.resp, run.user_id);
    let mut c = match st.scripting.client.take() {
        Some(c) => c,
        None => new_script_client(st.now_ms),
    };
    c.db = db;
    if c.user_id != user_id || c.user.is_empty() {
        c.user_id = user_id;
        c.user = run.user.clone();
    }
    c.reply.proto = if resp == 3 { crate::resp::reply::Proto::Resp3 } else { crate::resp::reply::Proto::Resp2 };
    c.reply.enabled = true;
    c.reply.buf.clear();
    c.reply.sent = 0;
    let result = match check(host, &mut c, argv) {
        Ok((cmd, full_name)) => {
            host.run_command(&mut c, cmd, full_name, argv.args());
            CallResult::Reply(on_reply(&c.reply.buf))
        }
        Err((cmd, msg)) => {
            count_refusal(host.state(), cmd, &msg);
            CallResult::Refused(msg)
        }
    };
    c.reply.buf.clear();
    c.reply.sent = 0;
    let st = host.state();
    // SELECT inside the script moves the script client only; the next command starts from there.
    if let Some(r) = st.scripting.run.as_mut() {
        r.db = c.db;
    }
    st.scripting.client = Some(c);
    Some(result)
}

type Refusal = (Option<&'static str>, String);

/// The checks of `scriptCall`; Ok: the command (subcommand resolved) and its full name.
fn check<H: ScriptHost>(
    host: &mut H,
    c: &mut ClientState,
    argv: &OwnedArgs,
) -> Result<(&'static Command, &'static str), Refusal> {
    let args = argv.args();
    let found = host.lookup(args.get(0)).map(|cmd| crate::command_spec::resolve_sub(cmd, args));
    let Some(crate::command_spec::Resolved::Found(cmd, full_name)) = found else {
        return Err((None, "Unknown Redis command called from script".into()));
    };
    if !cmd.arity_ok(args.len()) {
        return Err((Some(full_name), "Wrong number of args calling Redis command from script".into()));
    }
    let st = host.state();
    if cmd.has(flag::NOSCRIPT) && !st.script_disable_deny_script {
        return Err((Some(full_name), "This Redis command is not allowed from script".into()));
    }
    let Some(run) = st.scripting.run.as_ref() else {
        return Err((Some(full_name), "redis.call/pcall can only be called inside a script invocation".into()));
    };
    let obey = run.obey;
    if stale_denies(st, cmd) {
        return Err((Some(full_name), "Can not execute the command on a stale replica".into()));
    }
    if !obey {
        if let Some(reason) = host.acl_check(c, cmd, full_name, args) {
            let why = match reason {
                crate::acl::Reason::Command => "can't run this command or subcommand",
                crate::acl::Reason::Key => "can't access at least one of the keys mentioned in the command arguments",
                crate::acl::Reason::Channel => "can't publish to the channel mentioned in the command",
                crate::acl::Reason::Auth => "lacking the permissions for the command",
            };
            return Err((Some(full_name), format!("The user executing the script {why}")));
        }
    }
    let st = host.state();
    let Some(run) = st.scripting.run.as_ref() else {
        return Err((Some(full_name), "redis.call/pcall can only be called inside a script invocation".into()));
    };
    if let Some(msg) = write_denies(st, run, cmd) {
        return Err((Some(full_name), msg));
    }
    if oom_denies(st, run, cmd) {
        return Err((Some(full_name), format!("-{}", crate::evict::OOM_ERR)));
    }
    if cmd.has(flag::WRITE) {
        if let Some(r) = st.scripting.run.as_mut() {
            r.flags |= run_flags::WRITE_DIRTY;
        }
    }
    Ok((cmd, full_name))
}

/// `scriptVerifyAllowStale`.
fn stale_denies(st: &ServerState, cmd: &'static Command) -> bool {
    admission::stale_replica(st) && !cmd.has(flag::STALE)
}

/// `scriptVerifyWriteCommandAllow`.
fn write_denies(st: &ServerState, run: &RunCtx, cmd: &'static Command) -> Option<String> {
    if run.has(run_flags::READ_ONLY) && cmd.has(flag::WRITE | flag::MAY_REPLICATE) {
        return Some("Write commands are not allowed from read-only scripts.".into());
    }
    if !cmd.has(flag::WRITE) || run.has(run_flags::WRITE_DIRTY) {
        return None;
    }
    if admission::read_only_replica(st) && !run.obey {
        return Some(format!("-{}", admission::READONLY));
    }
    if let Some(msg) = disk_error(st) {
        return Some(msg);
    }
    if admission::too_few_replicas(st) {
        return Some(format!("-{}", admission::NOREPLICAS));
    }
    None
}

/// `writeCommandsDeniedByDiskError` + `writeCommandsGetDiskErrorMessage`, as a `-CODE msg` refusal.
pub fn disk_error(st: &ServerState) -> Option<String> {
    admission::disk_error(st).map(|m| format!("-{m}"))
}

/// `scriptVerifyOOM`: only the first write of a script that started over `maxmemory` is refused.
fn oom_denies(st: &ServerState, run: &RunCtx, cmd: &'static Command) -> bool {
    !run.has(run_flags::ALLOW_OOM)
        && st.config.maxmemory != 0
        && !run.obey
        && !run.has(run_flags::WRITE_DIRTY)
        && run.pre_oom
        && cmd.has(flag::DENYOOM)
}

/// `afterErrorReply` + `incrCommandStatsOnError(cmd, ERROR_COMMAND_REJECTED)` for a refused script command.
fn count_refusal(st: &mut ServerState, cmd: Option<&'static str>, msg: &str) {
    // The code is the first word of a `-CODE msg` text (looked for in its first 32 bytes, as Redis does).
    let code = match msg.as_bytes().strip_prefix(b"-") {
        Some(rest) => match rest.iter().take(31).position(|&b| b == b' ') {
            Some(sp) => String::from_utf8_lossy(&rest[..sp]).into_owned(),
            None => "ERR".to_string(),
        },
        None => "ERR".to_string(),
    };
    count_error_code(st, &code);
    if let Some(name) = cmd {
        st.stats.commandstats.entry(name).or_default().rejected_calls += 1;
    }
}

/// One error reply in `errorstats` and `total_error_replies`.
pub fn count_error_code(st: &mut ServerState, code: &str) {
    st.stats.count_error(code);
}
