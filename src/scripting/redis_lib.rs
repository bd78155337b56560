//! The `redis` table scripts see, and Redis's replacements of `pcall`, `math.random` and `math.randomseed`
//! (script_lua.c's `luaRegisterRedisAPI`, eval.c's debugger no-ops).
//!
//! Every native is generic over the [`ScriptHost`] type and downcasts the `host` the interpreter passes through;
//! a state is built for one host type ([`super::env::new_state`]). Errors raised here are Redis's error tables
//! (`{err="ERR ..."}`) carrying the position of the Lua code that called the native (`source`, `line`), which
//! Redis's error handler would add; [`super::run`] turns them into the final error reply.

use std::any::Any;

use super::call::{script_call, CallResult};
use super::convert::{error_table, reply_to_lua};
use super::{ldb, ScriptHost};
use crate::args::OwnedArgs;
use crate::config::LogLevel;
use crate::lua::value::{ErrorKind, LuaError, TableRef, Value};
use crate::lua::Lua;

/// Log levels as scripts pass them (Redis's `LL_*`).
pub const LOG_DEBUG: i64 = 0;
pub const LOG_VERBOSE: i64 = 1;
pub const LOG_NOTICE: i64 = 2;
pub const LOG_WARNING: i64 = 3;

/// Runs `f` with the host (the downcast done once, the borrow limited to `f`).
fn with_host<H: ScriptHost, R>(
    l: &mut Lua,
    any: &mut dyn Any,
    f: impl FnOnce(&mut Lua, &mut H) -> Result<R, LuaError>,
) -> Result<R, LuaError> {
    match any.downcast_mut::<H>() {
        Some(h) => f(l, h),
        None => Err(raise(l, b"redis.call/pcall can only be called inside a script invocation")),
    }
}

/// The position Redis's error handler records (`debug.getinfo(level, 'nSl')`): the first Lua function from
/// `level` up the call stack, as (`source`, current line). `source` is the chunk name as given (`@user_script`).
pub fn lua_location(l: &Lua, level: usize) -> Option<(Vec<u8>, i64)> {
    for lv in level..level + 3 {
        let info = l.frame_info(lv)?;
        if info.what != "C" {
            return Some((info.source.into_bytes(), info.current_line));
        }
    }
    None
}

/// Sets `source`/`line` on an error table from the first Lua function at `level` or above.
pub fn set_location(l: &mut Lua, t: TableRef, level: usize) {
    if let Some((source, line)) = lua_location(l, level) {
        let v = l.new_string(source);
        l.set_field(t, "source", v);
        l.set_field(t, "line", Value::Num(line as f64));
    }
}

/// `luaPushError(msg)` + `luaError`: raises `{err="ERR msg"}` (or the code of a `-CODE msg` text); the error
/// handler of the run adds the position.
pub fn raise(l: &mut Lua, msg: &[u8]) -> LuaError {
    let t = error_table(l, msg);
    l.error_value(Value::Table(t))
}

/// `luaArgsToRedisArgv` into `argv` (cleared first): numbers as `%.17g`, strings as they are; anything else is
/// refused.
fn args_to_argv(l: &mut Lua, argv: &mut OwnedArgs) -> Result<(), &'static str> {
    let n = l.nargs();
    if n == 0 {
        return Err("Please specify at least one argument for this redis lib call");
    }
    argv.buf.clear();
    argv.spans.clear();
    let mut num = Vec::new();
    for i in 1..=n {
        match l.arg(i) {
            Value::Num(x) => {
                num.clear();
                fmt_17g(x, &mut num);
                argv.push(&num);
            }
            Value::Str(s) => argv.push(l.heap.str(s)),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(())
}

/// `%.17g`: integers below 2^53 print as integers (what the general algorithm gives them, without its cost).
fn fmt_17g(x: f64, out: &mut Vec<u8>) {
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 && !(x == 0.0 && x.is_sign_negative()) {
        let mut tmp = [0u8; 24];
        out.extend_from_slice(crate::util::itoa_buf(x as i64, &mut tmp));
    } else {
        crate::lua::number::fmt_g(x, 17, false, out);
    }
}

/// `luaRedisGenericCommand`: `redis.call` (`raise_error`) and `redis.pcall`.
fn generic_command<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any, raise_error: bool) -> Result<usize, LuaError> {
    with_host::<H, usize>(l, any, |l, host| {
        if host.scripting().run.is_none() {
            return Err(raise(l, b"redis.call/pcall can only be called inside a script invocation"));
        }
        let mut argv = std::mem::take(&mut host.scripting().argv);
        if let Err(msg) = args_to_argv(l, &mut argv) {
            host.scripting().argv = argv;
            log_error(host, msg.as_bytes());
            let t = error_table(l, msg.as_bytes());
            if raise_error {
                return Err(l.error_value(Value::Table(t)));
            }
            l.push(Value::Table(t));
            return Ok(1);
        }
        let debugging = match ldb::logging(host) {
            Some(s) => {
                ldb::log_command(s, argv.args());
                true
            }
            None => false,
        };
        let outcome = script_call(host, &argv, |bytes| {
            let logged = debugging.then(|| ldb::ReplyLog::new(bytes));
            (reply_to_lua(l, bytes), bytes.first() == Some(&b'-'), logged)
        });
        host.scripting().argv = argv;
        let outcome = outcome.map(|o| match o {
            CallResult::Reply((v, is_error, logged)) => {
                if let (Some(entry), Some(s)) = (logged, ldb::logging(host)) {
                    entry.log(s);
                }
                CallResult::Reply((v, is_error))
            }
            CallResult::Refused(msg) => CallResult::Refused(msg),
        });
        let (v, is_error) = match outcome {
            None => return Err(raise(l, b"redis.call/pcall can only be called inside a script invocation")),
            Some(CallResult::Refused(msg)) => {
                log_error(host, msg.as_bytes());
                let t = error_table(l, msg.as_bytes());
                l.set_field(t, "ignore_error_stats_update", Value::Bool(true));
                (Value::Table(t), true)
            }
            Some(CallResult::Reply(r)) => r,
        };
        if raise_error && is_error {
            return Err(l.error_value(v));
        }
        l.push(v);
        Ok(1)
    })
}

/// `luaPushError`'s debugger log: `<error> msg` while a debugging session steps.
fn log_error<H: ScriptHost>(host: &mut H, msg: &[u8]) {
    if let Some(s) = ldb::logging(host) {
        let mut e = b"<error> ".to_vec();
        e.extend_from_slice(msg);
        s.log(e);
    }
}

fn redis_call<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    generic_command::<H>(l, any, true)
}

fn redis_pcall<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    generic_command::<H>(l, any, false)
}

/// Redis's `pcall` (`luaRedisPcall`): Lua's, except that an error table with an `err` message is returned as
/// that message (scripts written before 7.0 expect strings). A killed script is not caught.
fn pcall(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    if l.nargs() == 0 {
        // Redis's version calls its own result placeholder (`true`) then.
        l.push(Value::Bool(false));
        l.push_str(b"attempt to call a boolean value");
        return Ok(2);
    }
    let base = l.base;
    if l.pcall(any, base, -1, None)? {
        l.stack.insert(base, Value::Bool(true));
    } else {
        if let Some(Value::Table(t)) = l.stack.get(base).copied() {
            let m = l.get_field(t, "err");
            if matches!(m, Value::Str(_) | Value::Num(_)) {
                l.stack[base] = m;
            }
        }
        l.stack.insert(base, Value::Bool(false));
    }
    Ok(l.stack.len() - base)
}

/// `redis.sha1hex(s)`.
fn sha1hex(l: &mut Lua, _any: &mut dyn Any) -> Result<usize, LuaError> {
    if l.nargs() != 1 {
        return Err(raise(l, b"wrong number of arguments"));
    }
    // lua_tolstring: strings and numbers; anything else hashes as the empty string.
    let bytes = l.to_bytes(l.arg(1)).unwrap_or_default();
    let hex = crate::sha1::to_hex(&crate::sha1::sha1(&bytes));
    l.push_str(hex.as_bytes());
    Ok(1)
}

/// The argument of `redis.error_reply`/`status_reply` when it is exactly one string; otherwise the error table
/// they return (not raise).
fn single_string(l: &mut Lua) -> Result<Vec<u8>, TableRef> {
    match (l.nargs(), l.arg(1)) {
        (1, Value::Str(s)) => Ok(l.heap.str(s).to_vec()),
        _ => Err(error_table(l, b"wrong number or type of arguments")),
    }
}

/// `redis.error_reply(msg)`: `{err=msg}`, `ERR ` added when the message has no `-CODE`.
fn error_reply(l: &mut Lua, _any: &mut dyn Any) -> Result<usize, LuaError> {
    let t = match single_string(l) {
        Ok(msg) => {
            let mut text = msg;
            if text.first() != Some(&b'-') {
                text.insert(0, b'-');
            }
            // sdsnew stops at a NUL, as the C string does.
            if let Some(z) = text.iter().position(|&b| b == 0) {
                text.truncate(z);
            }
            error_table(l, &text)
        }
        Err(t) => t,
    };
    l.push(Value::Table(t));
    Ok(1)
}

/// `redis.status_reply(msg)`: `{ok=msg}`.
fn status_reply(l: &mut Lua, _any: &mut dyn Any) -> Result<usize, LuaError> {
    let t = match single_string(l) {
        Ok(_) => {
            let t = l.new_table(0, 1);
            let v = l.arg(1);
            l.set_field(t, "ok", v);
            t
        }
        Err(t) => t,
    };
    l.push(Value::Table(t));
    Ok(1)
}

/// `redis.log(level, ...)`: the arguments (strings and numbers) joined by spaces, in the server log.
fn log(l: &mut Lua, _any: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    if n < 2 {
        return Err(raise(l, b"redis.log() requires two arguments or more."));
    }
    let Some(level) = l.to_number(l.arg(1)) else {
        return Err(raise(l, b"First argument must be a number (log level)."));
    };
    let level = level as i32 as i64;
    let level = match level {
        LOG_DEBUG => LogLevel::Debug,
        LOG_VERBOSE => LogLevel::Verbose,
        LOG_NOTICE => LogLevel::Notice,
        LOG_WARNING => LogLevel::Warning,
        _ => return Err(raise(l, b"Invalid debug level.")),
    };
    if !crate::log::enabled(level) {
        return Ok(0);
    }
    let mut msg = Vec::new();
    for i in 2..=n {
        if let Some(b) = l.to_bytes(l.arg(i)) {
            if i != 2 {
                msg.push(b' ');
            }
            msg.extend_from_slice(&b);
        }
    }
    crate::log::log(level, &String::from_utf8_lossy(&msg));
    Ok(0)
}

/// `(int)lua_tonumber(v)`: 0 for values that are not numbers.
fn to_c_int(l: &Lua, v: Value) -> i64 {
    l.to_number(v).map_or(0, |n| crate::scripting::convert::num_to_i64(n) as i32 as i64)
}

/// `redis.setresp(2|3)`: the protocol the script's commands reply in.
fn setresp<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    with_host::<H, usize>(l, any, |l, host| {
        if host.scripting().run.is_none() {
            return Err(raise(l, b"redis.setresp can only be called inside a script invocation"));
        }
        if l.nargs() != 1 {
            return Err(raise(l, b"redis.setresp() requires one argument."));
        }
        let resp = to_c_int(l, l.arg(1));
        if resp != 2 && resp != 3 {
            return Err(raise(l, b"RESP version must be 2 or 3."));
        }
        if let Some(r) = host.scripting().run.as_mut() {
            r.resp = resp as u8;
        }
        Ok(0)
    })
}

/// `redis.set_repl(flags)`: where the script's commands propagate (AOF, replicas, both, neither).
fn set_repl<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    with_host::<H, usize>(l, any, |l, host| {
        if host.scripting().run.is_none() {
            return Err(raise(l, b"redis.set_repl can only be called inside a script invocation"));
        }
        if l.nargs() != 1 {
            return Err(raise(l, b"redis.set_repl() requires two arguments."));
        }
        let flags = to_c_int(l, l.arg(1));
        if flags & !(super::REPL_ALL as i64) != 0 {
            return Err(raise(l, b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."));
        }
        if let Some(r) = host.scripting().run.as_mut() {
            r.repl_flags = flags as u8;
        }
        Ok(0)
    })
}

/// `redis.acl_check_cmd(cmd, ...)`: whether the script's user may run that command.
fn acl_check_cmd<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    with_host::<H, usize>(l, any, |l, host| {
        if host.scripting().run.is_none() {
            return Err(raise(l, b"redis.acl_check_cmd can only be called inside a script invocation"));
        }
        let mut argv = OwnedArgs::default();
        if let Err(msg) = args_to_argv(l, &mut argv) {
            return Err(raise(l, msg.as_bytes()));
        }
        let args = argv.args();
        let crate::command_spec::Resolved::Found(cmd, _) = host.commands().resolve(args) else {
            return Err(raise(l, b"Invalid command passed to redis.acl_check_cmd()"));
        };
        let allowed = match host.scripting().run.as_ref() {
            Some(r) if r.obey => true,
            Some(r) => {
                let uid = r.user_id;
                match (host.acl().user(uid), crate::acl::registry::registry().id_of(cmd)) {
                    (Some(u), Some(id)) => crate::acl::check(u, id, args).is_ok(),
                    _ => false,
                }
            }
            None => false,
        };
        l.push(Value::Bool(allowed));
        Ok(1)
    })
}

/// `redis.replicate_commands()`: effects replication is the only mode since 7.0; always true.
fn replicate_commands(l: &mut Lua, _any: &mut dyn Any) -> Result<usize, LuaError> {
    l.push(Value::Bool(true));
    Ok(1)
}

/// Redis's `math.random` over `redisLrand48` (the same numbers as Redis for the same sequence of calls).
fn math_random<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    let Some(host) = any.downcast_mut::<H>() else {
        return Err(l.runtime_error("math.random can only be called inside a script invocation"));
    };
    let sc = host.scripting();
    if sc.run.is_none() {
        return Err(l.runtime_error("math.random can only be called inside a script invocation"));
    }
    let r = sc.rng.next_unit();
    match l.nargs() {
        0 => l.push(Value::Num(r)),
        1 => {
            let u = l.check_int(1)? as i32 as f64;
            if u < 1.0 {
                return Err(l.arg_error(1, "interval is empty"));
            }
            l.push(Value::Num((r * u).floor() + 1.0));
        }
        2 => {
            let lo = l.check_int(1)? as i32;
            let up = l.check_int(2)? as i32;
            if lo > up {
                return Err(l.arg_error(2, "interval is empty"));
            }
            let span = (up as i64 - lo as i64 + 1) as i32 as f64;
            l.push(Value::Num((r * span).floor() + lo as f64));
        }
        _ => return Err(l.runtime_error("wrong number of arguments")),
    }
    Ok(1)
}

/// Redis's `math.randomseed`.
fn math_randomseed<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    let Some(host) = any.downcast_mut::<H>() else {
        return Err(l.runtime_error("math.randomseed can only be called inside a script invocation"));
    };
    if host.scripting().run.is_none() {
        return Err(l.runtime_error("math.randomseed can only be called inside a script invocation"));
    }
    let seed = l.check_int(1)? as i32;
    host.scripting().rng.seed(seed);
    Ok(0)
}

/// The error of a killed script (`luaMaskCountHook`): not catchable by `pcall`.
pub fn killed_error(l: &mut Lua) -> LuaError {
    let t = error_table(l, b"Script killed by user with SCRIPT KILL...");
    // No handler runs for an uncatchable error: the position is taken here, in the hooked function.
    set_location(l, t, 0);
    LuaError::new(ErrorKind::Killed, Value::Table(t))
}

/// Builds the `redis` table (eval mode adds the debugger no-ops and `replicate_commands`, as eval.c does) and
/// installs Redis's `pcall`, `math.random` and `math.randomseed`.
pub fn register<H: ScriptHost>(l: &mut Lua, eval_mode: bool) {
    let g = l.globals;
    let pc = l.new_native("pcall", pcall, Vec::new());
    l.set_field(g, "pcall", pc);

    let r = l.new_table(0, 32);
    l.register(r, "call", redis_call::<H>);
    l.register(r, "pcall", redis_pcall::<H>);
    l.register(r, "log", log);
    for (name, v) in [("LOG_DEBUG", LOG_DEBUG), ("LOG_VERBOSE", LOG_VERBOSE), ("LOG_NOTICE", LOG_NOTICE)] {
        l.set_field(r, name, Value::Num(v as f64));
    }
    l.set_field(r, "LOG_WARNING", Value::Num(LOG_WARNING as f64));
    l.set_field(r, "REDIS_VERSION_NUM", Value::Num(version_num() as f64));
    let v = l.new_str(crate::config::REDIS_VERSION.as_bytes());
    l.set_field(r, "REDIS_VERSION", v);
    l.register(r, "setresp", setresp::<H>);
    l.register(r, "sha1hex", sha1hex);
    l.register(r, "error_reply", error_reply);
    l.register(r, "status_reply", status_reply);
    l.register(r, "set_repl", set_repl::<H>);
    l.set_field(r, "REPL_NONE", Value::Num(0.0));
    l.set_field(r, "REPL_AOF", Value::Num(super::REPL_AOF as f64));
    l.set_field(r, "REPL_SLAVE", Value::Num(super::REPL_REPLICA as f64));
    l.set_field(r, "REPL_REPLICA", Value::Num(super::REPL_REPLICA as f64));
    l.set_field(r, "REPL_ALL", Value::Num(super::REPL_ALL as f64));
    l.register(r, "acl_check_cmd", acl_check_cmd::<H>);
    if eval_mode {
        l.register(r, "breakpoint", super::ldb::breakpoint::<H>);
        l.register(r, "debug", super::ldb::debug::<H>);
        l.register(r, "replicate_commands", replicate_commands);
    }
    l.set_field(g, "redis", Value::Table(r));
    // Valkey 8's name for the same table (`server.call`, `server.register_function`).
    l.set_field(g, "server", Value::Table(r));

    if let Value::Table(m) = l.get_field(g, "math") {
        l.register(m, "random", math_random::<H>);
        l.register(m, "randomseed", math_randomseed::<H>);
    }
}

/// `REDIS_VERSION_NUM`: 0x00MMmmpp of the version we report (7.0.15 → 0x0007000f).
pub fn version_num() -> i64 {
    let mut parts = crate::config::REDIS_VERSION.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a << 16) | (b << 8) | c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_arguments_as_17g() {
        let f = |x: f64| {
            let mut v = Vec::new();
            fmt_17g(x, &mut v);
            String::from_utf8(v).unwrap()
        };
        assert_eq!(f(100.0), "100");
        assert_eq!(f(-7.0), "-7");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(0.1), "0.10000000000000001");
        assert_eq!(f(1e100), "1e+100");
        assert_eq!(f(9007199254740993.0), "9007199254740992");
    }

    #[test]
    fn version_number() {
        assert_eq!(version_num(), 0x0007_000f);
    }
}
