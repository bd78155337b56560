//! The libraries a script sees, loaded the way Redis 7.0 loads them (`luaLoadLibraries` in `script_lua.c`):
//! base (with `coroutine`), `table`, `string`, `math`, and Redis's bundled `cjson`, `struct`, `cmsgpack` and
//! `bit`.
//!
//! What Redis 7.0 leaves out, and so does [`open_libs`]:
//! - `print`, `dofile`, `loadfile`: Redis's globals allow-list rejects them while the base library registers
//!   (they are on its deny list), so a script reading `print` hits the "nonexistent global variable" error.
//! - `getfenv`, `setfenv`, `newproxy`: absent from Redis 7.0.15 as shipped with the CVE-2025-46818 fix (the
//!   oracle build answers "nonexistent global variable" for all three).
//! - `debug`: Redis loads it only to build its error handler, then sets the global to nil; the handler lives in
//!   [`crate::scripting`], so it is not opened here.
//! - `package`, `os`, `io`: never loaded by Redis.
//!
//! [`open_lua51_extras`] adds the stock Lua 5.1 globals Redis removes (`print`, `getfenv`, `setfenv`) for tests
//! that compare against the reference interpreter.
//!
//! `math.random`/`math.randomseed` are Redis's (`redisLrand48`), not the C library's: see [`math`].

pub mod base;
pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod coroutine;
pub mod format;
pub mod math;
pub mod pattern;
pub mod string;
pub mod struct_lib;
pub mod table;

use super::Lua;

/// Open every library a Redis 7.0 script sees into `l`'s globals and set the string metatable.
pub fn open_libs(l: &mut Lua) {
    base::open(l);
    coroutine::open(l);
    table::open(l);
    string::open(l);
    math::open(l);
    cjson::open(l);
    struct_lib::open(l);
    cmsgpack::open(l);
    bit::open(l);
}

/// The stock Lua 5.1 base functions Redis does not expose (`print`, `getfenv`, `setfenv`), for running the
/// reference test corpus.
pub fn open_lua51_extras(l: &mut Lua) {
    base::open_extras(l);
}

// ---- helpers shared by the libraries: the C integer casts of `luaL_check*` ----

use super::value::{ErrorKind, LuaError, Value};
pub use format::{c_int, c_long};

/// `luaL_checkinteger`: the argument as C `long` (x86-64 cast semantics, see [`format::c_long`]).
pub(crate) fn check_integer(l: &mut Lua, i: usize) -> Result<i64, LuaError> {
    Ok(c_long(l.check_num(i)?))
}

/// `luaL_optinteger`.
pub(crate) fn opt_integer(l: &mut Lua, i: usize, default: i64) -> Result<i64, LuaError> {
    if l.arg(i).is_nil() {
        Ok(default)
    } else {
        check_integer(l, i)
    }
}

/// `luaL_checkint`: `(int)luaL_checkinteger`, keeping the low 32 bits like the C cast.
pub(crate) fn check_int(l: &mut Lua, i: usize) -> Result<i32, LuaError> {
    Ok(check_integer(l, i)? as i32)
}

/// `luaL_optint`.
pub(crate) fn opt_int(l: &mut Lua, i: usize, default: i32) -> Result<i32, LuaError> {
    if l.arg(i).is_nil() {
        Ok(default)
    } else {
        check_int(l, i)
    }
}

/// "not enough memory" when a result of `len` bytes would pass the string or heap limit.
pub(crate) fn check_alloc(l: &mut Lua, len: usize) -> Result<(), LuaError> {
    if len > super::MAX_STRING_LEN || l.heap.bytes.saturating_add(len) > l.heap.limit {
        let v = l.new_str(b"not enough memory");
        return Err(LuaError::new(ErrorKind::Memory, v));
    }
    Ok(())
}

/// `luaL_checkoption`: the index of the argument in `opts` (or of `default` when absent).
pub(crate) fn check_option(l: &mut Lua, i: usize, default: Option<&str>, opts: &[&str]) -> Result<usize, LuaError> {
    let name: Vec<u8> = match (l.arg(i), default) {
        (Value::Nil, Some(d)) => d.as_bytes().to_vec(),
        _ => {
            let s = l.check_str(i)?;
            l.heap.str(s).to_vec()
        }
    };
    if let Some(k) = opts.iter().position(|o| o.as_bytes() == name.as_slice()) {
        return Ok(k);
    }
    let msg = format!("invalid option '{}'", String::from_utf8_lossy(&name));
    Err(l.arg_error(i, &msg))
}

/// The upvalues of the running native function (the function value sits just below its arguments).
pub(crate) fn native_upvals(l: &Lua) -> &[Value] {
    let f = l.base.checked_sub(1).and_then(|i| l.stack.get(i)).copied();
    if let Some(Value::Func(f)) = f {
        if let super::heap::Function::Native(c) = l.heap.func(f) {
            return &c.upvals;
        }
    }
    &[]
}

/// Replace upvalue `i` of the running native function.
pub(crate) fn set_native_upval(l: &mut Lua, i: usize, v: Value) {
    let f = l.base.checked_sub(1).and_then(|k| l.stack.get(k)).copied();
    if let Some(Value::Func(f)) = f {
        if let super::heap::Function::Native(c) = l.heap.func_mut(f) {
            if let Some(slot) = c.upvals.get_mut(i) {
                *slot = v;
            }
        }
    }
}

/// `luaL_error` with a byte-string message: the position of the calling Lua function, then `msg`.
pub(crate) fn error_bytes(l: &mut Lua, msg: &[u8]) -> LuaError {
    let mut text = l.where_prefix(1).into_bytes();
    text.extend_from_slice(msg);
    let v = l.new_string(text);
    LuaError::new(ErrorKind::Runtime, v)
}

/// `LUAI_MAXCSTACK`: how many values a native may push (`luaL_checkstack` fails past it).
pub const MAX_C_STACK: usize = 8000;

/// Calls native `f` with `args` the way the VM does (function slot, then the arguments above `base`) and returns
/// its results: how the library unit tests reach a function without compiling a script.
#[cfg(test)]
pub(crate) fn call_native(
    l: &mut Lua,
    f: crate::lua::heap::NativeFn,
    args: &[crate::lua::value::Value],
) -> Result<Vec<crate::lua::value::Value>, crate::lua::value::LuaError> {
    l.stack.clear();
    l.stack.push(crate::lua::value::Value::Nil);
    l.base = 1;
    l.stack.extend_from_slice(args);
    let n = f(l, &mut ())?;
    Ok(l.stack[l.stack.len() - n..].to_vec())
}

/// [`call_native`] for a call the test expects to succeed: panics with the error otherwise.
#[cfg(test)]
pub(crate) fn call_native_ok(
    l: &mut Lua,
    f: crate::lua::heap::NativeFn,
    args: &[crate::lua::value::Value],
) -> Vec<crate::lua::value::Value> {
    call_native(l, f, args).unwrap_or_else(|e| panic!("native failed: {e:?}"))
}
