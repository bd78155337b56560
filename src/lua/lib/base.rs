//! The base library (Lua 5.1.5's `lbaselib.c`) as Redis 7.0 exposes it: assert, collectgarbage, error, gcinfo,
//! getmetatable, ipairs, load, loadstring, next, pairs, pcall, rawequal, rawget, rawset, select, setmetatable,
//! tonumber, tostring, type, unpack, xpcall, `_G` and `_VERSION`. [`open_extras`] adds what Redis removes
//! (`print`, `getfenv`, `setfenv`) for tests against the reference interpreter.
//!
//! Messages are 5.1's word for word ("bad argument #1 to 'setmetatable' (nil or table expected)", "too many
//! results to unpack", "base out of range"...). Integer arguments use the C casts (`luaL_checkint`).
//!
//! Tested by `tests/scripting/lua_stdlib.rs`.

use std::any::Any;
use std::io::Write;

use super::{check_int, check_option, error_bytes, opt_int, MAX_C_STACK};
use crate::lua::heap::Function;
use crate::lua::number::strtoul;
use crate::lua::value::{LuaError, Value};
use crate::lua::Lua;

/// Registry key of the `setstepmul` value (the collector is stop-the-world and has no step multiplier; the
/// value is kept so that `collectgarbage("setstepmul")` returns the previous one as Lua does).
const STEPMUL_KEY: &str = "__ferredis_gc_stepmul";

pub fn open(l: &mut Lua) {
    let g = l.globals;
    l.set_field(g, "_G", Value::Table(g));
    l.register(g, "assert", lua_assert);
    l.register(g, "collectgarbage", collectgarbage);
    l.register(g, "error", error);
    l.register(g, "gcinfo", gcinfo);
    l.register(g, "getmetatable", getmetatable);
    l.register(g, "load", load);
    l.register(g, "loadstring", loadstring);
    l.register(g, "next", next);
    l.register(g, "pcall", pcall);
    l.register(g, "rawequal", rawequal);
    l.register(g, "rawget", rawget);
    l.register(g, "rawset", rawset);
    l.register(g, "select", select);
    l.register(g, "setmetatable", setmetatable);
    l.register(g, "tonumber", tonumber);
    l.register(g, "tostring", tostring);
    l.register(g, "type", lua_type);
    l.register(g, "unpack", unpack);
    l.register(g, "xpcall", xpcall);
    let v = l.new_str(b"Lua 5.1");
    l.set_field(g, "_VERSION", v);
    // pairs and ipairs return their own iterator functions (upvalues in C Lua), not the global `next`.
    let next_fn = l.new_native("next", next, Vec::new());
    let pairs_fn = l.new_native("pairs", pairs, vec![next_fn]);
    l.set_field(g, "pairs", pairs_fn);
    let iaux = l.new_native("ipairs_aux", ipairs_aux, Vec::new());
    let ipairs_fn = l.new_native("ipairs", ipairs, vec![iaux]);
    l.set_field(g, "ipairs", ipairs_fn);
}

/// `print`, `getfenv` and `setfenv`: stock Lua 5.1 globals that Redis does not expose.
pub fn open_extras(l: &mut Lua) {
    let g = l.globals;
    l.register(g, "print", print);
    l.register(g, "getfenv", getfenv);
    l.register(g, "setfenv", setfenv);
}

fn lua_assert(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    l.check_any(1)?;
    if !l.arg(1).truthy() {
        let msg = match l.opt_str(2)? {
            Some(s) => l.heap.str(s).to_vec(),
            None => b"assertion failed!".to_vec(),
        };
        return Err(error_bytes(l, &msg));
    }
    Ok(l.nargs())
}

fn collectgarbage(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    const OPTS: [&str; 7] = ["stop", "restart", "collect", "count", "step", "setpause", "setstepmul"];
    let o = check_option(l, 1, Some("collect"), &OPTS)?;
    let ex = opt_int(l, 2, 0)?;
    let res: f64 = match OPTS[o] {
        "stop" => {
            l.heap.gc_threshold = usize::MAX;
            0.0
        }
        "restart" => {
            l.heap.gc_threshold = l.heap.bytes;
            0.0
        }
        "collect" => {
            l.full_gc();
            0.0
        }
        "count" => {
            let b = l.heap.bytes;
            ((b >> 10) as f64) + ((b & 0x3ff) as f64) / 1024.0
        }
        "step" => {
            // The collector is not incremental: a step either runs a whole cycle (when asked for a sized step,
            // or when a collection is due anyway) and reports it finished, or does nothing and reports that the
            // cycle is not finished, which is what Lua 5.1 answers for `step` with no size on a small heap.
            let done = ex > 0 || l.heap.gc_due();
            if done {
                l.full_gc();
            }
            l.push(Value::Bool(done));
            return Ok(1);
        }
        "setpause" => {
            let old = l.heap.gc_pause;
            l.heap.gc_pause = ex.max(0) as usize;
            old as f64
        }
        _ => {
            let reg = l.registry;
            let old = match l.get_field(reg, STEPMUL_KEY) {
                Value::Num(n) => n,
                _ => 200.0,
            };
            l.set_field(reg, STEPMUL_KEY, Value::Num(ex as f64));
            old
        }
    };
    l.push(Value::Num(res));
    Ok(1)
}

fn error(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let level = opt_int(l, 2, 1)?;
    let v = l.arg(1);
    if level > 0 && matches!(v, Value::Str(_) | Value::Num(_)) {
        let mut text = l.where_prefix(level as usize).into_bytes();
        match v {
            Value::Str(s) => text.extend_from_slice(l.heap.str(s)),
            Value::Num(n) => crate::lua::number::fmt_num(n, &mut text),
            _ => {}
        }
        let msg = l.new_string(text);
        return Err(l.error_value(msg));
    }
    Err(l.error_value(v))
}

fn gcinfo(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let kb = (l.heap.bytes >> 10) as f64;
    l.push(Value::Num(kb));
    Ok(1)
}

/// `luaL_getmetafield(v, "__metatable")` or the metatable itself.
fn getmetatable(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let v = l.check_any(1)?;
    match l.get_metatable(v) {
        None => l.push(Value::Nil),
        Some(mt) => {
            let protected = l.get_field(mt, "__metatable");
            l.push(if protected.is_nil() { Value::Table(mt) } else { protected });
        }
    }
    Ok(1)
}

fn setmetatable(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let mt = l.arg(2);
    let t = l.check_table(1)?;
    let mt = match mt {
        Value::Nil => None,
        Value::Table(m) => Some(m),
        _ => return Err(l.arg_error(2, "nil or table expected")),
    };
    if let Some(old) = l.heap.metatable(t) {
        if !l.get_field(old, "__metatable").is_nil() {
            return Err(l.runtime_error("cannot change a protected metatable"));
        }
    }
    // Redis's patched `lua_setmetatable` refuses tables marked read-only (only an embedder marks them).
    if l.heap.table(t).readonly {
        let v = l.new_str(b"Attempt to modify a readonly table");
        return Err(l.error_value(v));
    }
    l.heap.table_mut(t).metatable = mt;
    l.push(Value::Table(t));
    Ok(1)
}

fn next(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let k = l.arg(2);
    let h = l.heap.key_hash(k);
    let r = l.heap.table(t).next(k, h);
    let Ok(r) = r else {
        let msg = l.new_str(b"invalid key to 'next'");
        return Err(l.error_value(msg));
    };
    match r {
        Some((k, v)) => {
            l.push(k);
            l.push(v);
            Ok(2)
        }
        None => {
            l.push(Value::Nil);
            Ok(1)
        }
    }
}

fn pairs(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let f = super::native_upvals(l).first().copied().unwrap_or(Value::Nil);
    l.push(f);
    l.push(Value::Table(t));
    l.push(Value::Nil);
    Ok(3)
}

fn ipairs(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let f = super::native_upvals(l).first().copied().unwrap_or(Value::Nil);
    l.push(f);
    l.push(Value::Table(t));
    l.push(Value::Num(0.0));
    Ok(3)
}

fn ipairs_aux(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let i = check_int(l, 2)?;
    let t = l.check_table(1)?;
    let i = i.wrapping_add(1);
    let v = l.raw_get_int(t, i as i64);
    if v.is_nil() {
        return Ok(0);
    }
    l.push(Value::Num(i as f64));
    l.push(v);
    Ok(2)
}

fn rawequal(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let a = l.check_any(1)?;
    let b = l.check_any(2)?;
    l.push(Value::Bool(a.raw_eq(b)));
    Ok(1)
}

fn rawget(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let k = l.check_any(2)?;
    let v = l.raw_get(t, k);
    l.push(v);
    Ok(1)
}

fn rawset(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let k = l.check_any(2)?;
    let v = l.check_any(3)?;
    // The VM raises these from inside the native, so they carry no position (`luaG_runerror` in a C frame).
    if let Err(e) = l.heap.raw_set(t, k, v) {
        let msg = l.new_str(e.message().as_bytes());
        return Err(l.error_value(msg));
    }
    l.push(Value::Table(t));
    Ok(1)
}

fn select(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs() as i64;
    if let Value::Str(s) = l.arg(1) {
        if l.heap.str(s).first() == Some(&b'#') {
            l.push(Value::Num((n - 1) as f64));
            return Ok(1);
        }
    }
    let mut i = check_int(l, 1)? as i64;
    if i < 0 {
        i += n;
    } else if i > n {
        i = n;
    }
    if i < 1 {
        return Err(l.arg_error(1, "index out of range"));
    }
    for k in (i + 1)..=n {
        let v = l.arg(k as usize);
        l.push(v);
    }
    Ok((n - i) as usize)
}

fn tonumber(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let base = opt_int(l, 2, 10)?;
    if base == 10 {
        let v = l.check_any(1)?;
        if let Some(n) = l.to_number(v) {
            l.push(Value::Num(n));
            return Ok(1);
        }
    } else {
        let s = l.check_str(1)?;
        if !(2..=36).contains(&base) {
            return Err(l.arg_error(2, "base out of range"));
        }
        let bytes = super::pattern::c_pattern(l.heap.str(s));
        let (n, used) = strtoul(bytes, base as u32);
        if used > 0 {
            let rest = &bytes[used..];
            if rest.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')) {
                l.push(Value::Num(n as f64));
                return Ok(1);
            }
        }
    }
    l.push(Value::Nil);
    Ok(1)
}

fn tostring(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let v = l.check_any(1)?;
    let s = l.tostring(host, v)?;
    l.push(s);
    Ok(1)
}

fn lua_type(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let v = l.check_any(1)?;
    let name = v.type_name();
    l.push_str(name.as_bytes());
    Ok(1)
}

fn unpack(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let i = opt_int(l, 2, 1)?;
    let e = if l.arg(3).is_nil() { l.raw_len(t) as i32 } else { check_int(l, 3)? };
    if i > e {
        return Ok(0);
    }
    let n = (e as i64 - i as i64) as u64;
    if n >= i32::MAX as u64 || n as usize + 1 + l.nargs() > MAX_C_STACK {
        return Err(l.runtime_error("too many results to unpack"));
    }
    for k in i as i64..=e as i64 {
        let v = l.raw_get_int(t, k);
        l.push(v);
    }
    Ok(n as usize + 1)
}

fn pcall(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    l.check_any(1)?;
    let func = l.base;
    let ok = l.pcall(host, func, -1, None)?;
    l.stack.insert(func, Value::Bool(ok));
    Ok(l.stack.len() - func)
}

fn xpcall(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    l.check_any(2)?;
    let (f, handler) = (l.arg(1), l.arg(2));
    // The handler stays at argument 2 (a root) while `f` runs above it.
    let func = l.stack.len();
    l.push(f);
    let ok = l.pcall(host, func, -1, Some(handler))?;
    l.stack.insert(func, Value::Bool(ok));
    Ok(l.stack.len() - func)
}

/// The chunk name of `loadstring`/`load` as the compiler takes it.
fn chunk_name(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn load_result(l: &mut Lua, r: Result<Value, LuaError>) -> Result<usize, LuaError> {
    match r {
        Ok(f) => {
            l.push(f);
            Ok(1)
        }
        Err(e) if !e.catchable() => Err(e),
        Err(e) => {
            l.push(Value::Nil);
            l.push(e.value);
            Ok(2)
        }
    }
}

fn loadstring(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let name = match l.opt_str(2)? {
        Some(n) => chunk_name(l.heap.str(n)),
        None => chunk_name(l.heap.str(s)),
    };
    let src = l.heap.str(s).to_vec();
    let r = l.load(&src, &name);
    load_result(l, r)
}

fn load(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let name = match l.opt_str(2)? {
        Some(n) => chunk_name(l.heap.str(n)),
        None => "=(load)".to_string(),
    };
    let reader = l.arg(1);
    if !matches!(reader, Value::Func(_)) {
        return Err(l.type_error(1, "function"));
    }
    let mut src = Vec::new();
    loop {
        let func = l.stack.len();
        l.push(reader);
        // Errors inside the reader make `load` return nil and the message (lua_load is protected).
        let ok = l.pcall(host, func, 1, None)?;
        let piece = l.stack.get(func).copied().unwrap_or(Value::Nil);
        l.stack.truncate(func);
        if !ok {
            l.push(Value::Nil);
            l.push(piece);
            return Ok(2);
        }
        match piece {
            Value::Nil => break,
            Value::Str(s) => {
                let b = l.heap.str(s);
                if b.is_empty() {
                    break;
                }
                src.extend_from_slice(b);
            }
            Value::Num(n) => crate::lua::number::fmt_num(n, &mut src),
            _ => {
                let e = l.runtime_error("reader function must return a string");
                return load_result(l, Err(e));
            }
        }
        if let Err(e) = super::check_alloc(l, src.len()) {
            return load_result(l, Err(e));
        }
    }
    let r = l.load(&src, &name);
    load_result(l, r)
}

fn print(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    let mut line = Vec::new();
    for i in 1..=n {
        let tostring = l.get_global("tostring");
        let func = l.stack.len();
        l.push(tostring);
        let v = l.arg(i);
        l.push(v);
        l.call_at(host, func, 1)?;
        let s = l.stack.get(func).copied().unwrap_or(Value::Nil);
        l.stack.truncate(func);
        let bytes = match s {
            Value::Str(s) => l.heap.str(s).to_vec(),
            Value::Num(x) => crate::lua::number::num_to_bytes(x),
            _ => return Err(l.runtime_error("'tostring' must return a string to 'print'")),
        };
        if i > 1 {
            line.push(b'\t');
        }
        // fputs stops at a NUL.
        line.extend_from_slice(super::pattern::c_pattern(&bytes));
    }
    line.push(b'\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&line);
    let _ = out.flush();
    Ok(0)
}

/// The function `level` levels up the call stack (0 = the running native, 1 = its caller), if any.
fn function_at_level(l: &Lua, level: usize) -> Option<Value> {
    let idx = l.frames.len().checked_sub(1 + level)?;
    let fr = l.frames.get(idx)?;
    l.stack.get(fr.func).copied()
}

fn getfunc(l: &mut Lua, opt: bool) -> Result<Value, LuaError> {
    let a = l.arg(1);
    if let Value::Func(_) = a {
        return Ok(a);
    }
    let level = if opt { opt_int(l, 1, 1)? } else { check_int(l, 1)? };
    if level < 0 {
        return Err(l.arg_error(1, "level must be non-negative"));
    }
    if level == 0 {
        return Ok(Value::Nil);
    }
    match function_at_level(l, level as usize) {
        Some(f) => Ok(f),
        None => Err(l.arg_error(1, "invalid level")),
    }
}

fn getfenv(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let f = getfunc(l, true)?;
    let env = match f {
        Value::Func(f) => l.heap.func(f).env(),
        _ => l.globals,
    };
    l.push(Value::Table(env));
    Ok(1)
}

fn setfenv(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(2)?;
    let f = getfunc(l, false)?;
    match f {
        Value::Nil => {
            // Level 0: the running thread's globals.
            l.globals = t;
            Ok(0)
        }
        Value::Func(fr) => {
            match l.heap.func_mut(fr) {
                Function::Lua(c) => c.env = t,
                Function::Native(_) => {
                    return Err(l.runtime_error("'setfenv' cannot change environment of given object"))
                }
            }
            l.push(f);
            Ok(1)
        }
        _ => Err(l.runtime_error("'setfenv' cannot change environment of given object")),
    }
}
