//! A Lua state set up as Redis 7.0 sets up its scripting states (`scriptingInit` in eval.c,
//! `luaRegisterRedisAPI` and the protections in script_lua.c).
//!
//! - The libraries ([`crate::lua::lib::open_libs`]), then the `redis` table and Redis's `pcall` and `math.random`
//!   ([`super::redis_lib::register`]).
//! - Globals filtered through Redis's allow lists: a global a library defines that is on none of them is dropped
//!   (and logged unless it is on the deny list), so scripts see exactly Redis's globals.
//! - `_G` gets a metatable whose `__index` raises "Script attempted to access nonexistent global variable 'x'";
//!   then `_G`, every table reachable from it and their metatables (and the strings' metatable) are marked
//!   read-only ([`crate::lua::table::Table::readonly`]): any write raises "Attempt to modify a readonly table".

use super::redis_lib;
use super::ScriptHost;
use crate::lua::value::{LuaError, TableRef, Value};
use crate::lua::Lua;

/// Chunk name of EVAL scripts (errors read `user_script:1: ...`).
pub const EVAL_CHUNKNAME: &str = "@user_script";

/// Most heap bytes a scripting state may use: past it a script fails with "not enough memory" instead of
/// growing the server without bound (Redis sets no limit; one runaway script must not take the server down).
pub const LUA_HEAP_LIMIT: usize = 1 << 30;

/// Registry field holding the error handler of [`super::run::call_function`].
pub const ERR_HANDLER: &str = "__redis__err__handler";

/// Globals the libraries may define (Redis's `libraries_allow_list`, `redis_api_allow_list`,
/// `lua_builtins_allow_list`, `lua_builtins_not_documented_allow_list`).
const ALLOWED_GLOBALS: &[&str] = &[
    "string",
    "cjson",
    "bit",
    "cmsgpack",
    "math",
    "table",
    "struct",
    "redis",
    "server",
    "__redis__err__handler",
    "xpcall",
    "tostring",
    "getfenv",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "coroutine",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "setfenv",
    "load",
    "error",
    "newproxy",
];

/// Globals Redis drops on purpose (no warning).
const DENIED_GLOBALS: &[&str] = &["dofile", "loadfile", "print"];

/// A new state for host type `H`. `eval_mode`: the EVAL state (with `redis.breakpoint`, `redis.debug`,
/// `redis.replicate_commands` and the global `__redis__err__handler`); otherwise a functions state.
pub fn new_state<H: ScriptHost>(eval_mode: bool) -> Lua {
    let mut l = Lua::new();
    l.heap.limit = LUA_HEAP_LIMIT;
    crate::lua::lib::open_libs(&mut l);
    redis_lib::register::<H>(&mut l, eval_mode);
    // The error handler runs are protected with; EVAL also exposes it as a global, as Redis does.
    let h = l.new_native("__redis__err__handler", err_handler, Vec::new());
    let reg = l.registry;
    l.set_field(reg, ERR_HANDLER, h);
    if eval_mode {
        let g = l.globals;
        l.set_field(g, "__redis__err__handler", h);
    }
    filter_globals(&mut l);
    protect_globals(&mut l);
    l
}

/// Sets `_G`'s read-only mark (cleared around setting `KEYS`/`ARGV`, as Redis does).
pub fn set_globals_readonly(l: &mut Lua, on: bool) {
    let g = l.globals;
    l.heap.table_mut(g).readonly = on;
}

/// `luaSetTableProtectionRecursively`: marks `t`, every table reachable from it through values, and their
/// metatables read-only. Iterative (an explicit stack), so a deep structure cannot overflow ours.
fn protect_recursively(l: &mut Lua, t: TableRef) {
    let mut todo = vec![t];
    while let Some(t) = todo.pop() {
        if l.heap.table(t).readonly {
            continue;
        }
        l.heap.table_mut(t).readonly = true;
        let mut k = Value::Nil;
        while let Ok(Some((nk, v))) = l.next(t, k) {
            if let Value::Table(inner) = v {
                todo.push(inner);
            }
            k = nk;
        }
        if let Some(mt) = l.heap.metatable(t) {
            todo.push(mt);
        }
    }
}

/// Drops every global that is on none of Redis's allow lists.
fn filter_globals(l: &mut Lua) {
    let g = l.globals;
    let mut drop = Vec::new();
    let mut k = Value::Nil;
    while let Ok(Some((nk, _))) = l.next(g, k) {
        let allowed = match nk {
            Value::Str(s) => {
                let name = l.heap.str(s);
                ALLOWED_GLOBALS.iter().any(|a| a.as_bytes() == name)
            }
            _ => false,
        };
        if !allowed {
            drop.push(nk);
        }
        k = nk;
    }
    for key in drop {
        if let Value::Str(s) = key {
            let name = String::from_utf8_lossy(l.heap.str(s)).into_owned();
            if !DENIED_GLOBALS.contains(&name.as_str()) {
                crate::log_warning!(
                    "A key '{name}' was added to Lua globals which is not on the globals allow list nor listed on \
                     the deny list."
                );
            }
        }
        let _ = l.heap.raw_set(g, key, Value::Nil);
    }
}

/// The metatable of `_G` (reading an unknown global is an error), then every table reachable from `_G`, and
/// the strings' metatable, read-only: assigning a global or changing a library is "Attempt to modify a readonly
/// table".
fn protect_globals(l: &mut Lua) {
    let g = l.globals;
    let mt = l.new_table(0, 2);
    l.register(mt, "__index", nonexistent_global);
    l.heap.table_mut(g).metatable = Some(mt);
    protect_recursively(l, g);
    if let Some(sm) = l.string_meta {
        protect_recursively(l, sm);
    }
}

/// Compiles a chunk into a function of `l`; Err: the compile error's message ("user_script:1: ...").
pub fn compile_chunk(l: &mut Lua, source: &[u8], chunkname: &str) -> Result<Value, Vec<u8>> {
    l.load(source, chunkname).map_err(|e| l.error_text(&e).unwrap_or_default())
}

/// `luaProtectedTableError`.
fn nonexistent_global(l: &mut Lua, _any: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    if l.nargs() != 2 {
        crate::log_warning!("malicious code trying to call luaProtectedTableError with wrong arguments");
        return Err(l.runtime_error("Wrong number of arguments to luaProtectedTableError"));
    }
    let name = match l.arg(2) {
        v @ (Value::Str(_) | Value::Num(_)) => l.to_bytes(v).unwrap_or_default(),
        _ => return Err(l.runtime_error("Second argument to luaProtectedTableError must be a string or number")),
    };
    let msg = format!("Script attempted to access nonexistent global variable '{}'", String::from_utf8_lossy(&name));
    Err(l.runtime_error(&msg))
}

/// `__redis__err__handler(err)`: the error table Redis's handler makes of an error (`{err='ERR ' .. err}` for
/// non-tables), with the caller's position.
fn err_handler(l: &mut Lua, any: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let err = l.arg(1);
    let t = match err {
        Value::Table(t) => t,
        other => {
            let s = l.tostring(any, other)?;
            let text = l.to_bytes(s).unwrap_or_default();
            let mut msg = b"ERR ".to_vec();
            msg.extend_from_slice(&text);
            let t = l.new_table(0, 3);
            let v = l.new_string(msg);
            l.set_field(t, "err", v);
            t
        }
    };
    // Level 0 is this handler; level 1 the function that raised (a native: then its Lua caller).
    redis_lib::set_location(l, t, 1);
    l.push(Value::Table(t));
    Ok(1)
}
