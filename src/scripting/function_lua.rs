//! The Lua engine of Redis 7.0 functions (Redis's `function_lua.c`): one Lua state shared by every library.
//!
//! ```text
//!   globals seen by code:  G (empty, never written)
//!                          └─ metatable M: __index ──▶ GLOBALS_API   while functions run (the full library
//!                                          │                          set and the whole `redis` table)
//!                                          └────────▶ LIBRARY_API   while FUNCTION LOAD runs a library:
//!                                                     only `redis.register_function`, `redis.log`,
//!                                                     `redis.LOG_*`, `redis.REDIS_VERSION(_NUM)`
//!                          M.__newindex: "Attempt to modify a readonly table"
//! ```
//!
//! A library's top-level code runs once at load with `M.__index` pointing at the load API; every closure it
//! makes keeps `G` as its environment, so the same callbacks see the full API when `FCALL` runs them later.
//! Registered callbacks live in a reference table in the registry (`luaL_ref` style slots, reused after
//! `unref`), which keeps them alive for the collector; [`super::function::FunctionInfo::func_ref`] names a slot.
//!
//! Load-time limits: the instruction hook stops a library whose top-level code runs longer than its budget
//! (500 ms for FUNCTION LOAD, "FUNCTION LOAD timeout"); the stop is not catchable by `pcall` (it would fire
//! again at once in Redis, whose hook then runs on every line).
//!
//! Tested through `tests/scripting/functions.rs` (every `redis.register_function` error text compared with
//! redis-server) once the interpreter runs scripts.

use super::function::{flags, valid_name};
use super::ScriptHost;
use crate::lua::value::{ErrorKind, LuaError, TableRef, Value};
use crate::lua::Lua;
use std::any::{Any, TypeId};
use std::time::Instant;

/// What a library registered: one entry per `redis.register_function` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFunction {
    pub name: Vec<u8>,
    pub desc: Option<Vec<u8>>,
    pub flags: u32,
    pub func_ref: i64,
}

const REFS: &str = "__FUNCTION_REFS__";
const LIBRARY_API: &str = "__LIBRARY_API__";
const GLOBALS_API: &str = "__GLOBALS_API__";
const GLOBALS_META: &str = "__GLOBALS_META__";

/// Slot allocator for the reference table (`luaL_ref`/`luaL_unref`).
#[derive(Debug, Default)]
struct RefAlloc {
    next: i64,
    free: Vec<i64>,
}

impl RefAlloc {
    fn take(&mut self) -> i64 {
        self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next
        })
    }
}

/// The host passed to the library's top-level code: what `redis.register_function` records into.
struct LoadCtx {
    start: Instant,
    timeout_ms: u64,
    refs: RefAlloc,
    refs_table: TableRef,
    functions: Vec<LoadedFunction>,
}

pub struct LuaEngine {
    pub lua: Lua,
    /// The host type the state's `redis.*` natives downcast to (see [`super::HostLua`]).
    host: TypeId,
    refs: RefAlloc,
    refs_table: TableRef,
    globals_meta: TableRef,
    library_api: TableRef,
    globals_api: TableRef,
}

impl LuaEngine {
    /// The state alone, to be dropped (FUNCTION FLUSH ASYNC hands it to the lazy-free thread).
    pub fn into_lua(self) -> Lua {
        self.lua
    }

    /// `used_memory_vm_functions` before the state exists (Redis's figure for a fresh functions state).
    pub const EMPTY_HEAP_BYTES: usize = 43008;

    /// A functions state for host type `H`: the scripting environment (libraries, the `redis` table, protected
    /// globals, as [`super::env::new_state`] makes it for functions), the load API table, and the swapped
    /// globals described in the module docs.
    pub fn new<H: ScriptHost>() -> LuaEngine {
        let lua = super::env::new_state::<H>(false);
        LuaEngine::with_state(lua, TypeId::of::<H>())
    }

    /// Whether the state's natives were built for host type `H`.
    pub fn is_for<H: ScriptHost>(&self) -> bool {
        self.host == TypeId::of::<H>()
    }

    /// Builds the engine around a state whose globals hold the run-time API.
    fn with_state(mut lua: Lua, host: TypeId) -> LuaEngine {
        let globals_api = lua.globals;
        let reg = lua.registry;

        // The load-time API: a `redis` table with what a library may use while it loads.
        let redis_load = lua.new_table(0, 8);
        lua.register(redis_load, "register_function", register_function);
        if let Value::Table(full) = lua.get_field(globals_api, "redis") {
            for name in
                ["log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"]
            {
                let v = lua.get_field(full, name);
                if !v.is_nil() {
                    lua.set_field(redis_load, name, v);
                }
            }
        }
        let protect = protection_meta(&mut lua);
        lua.heap.table_mut(redis_load).metatable = Some(protect);
        let library_api = lua.new_table(0, 2);
        lua.set_field(library_api, "redis", Value::Table(redis_load));
        lua.set_field(library_api, "server", Value::Table(redis_load));
        lua.heap.table_mut(library_api).metatable = Some(protect);

        // The globals code sees: empty, reading through to one API or the other.
        let g = lua.new_table(0, 0);
        let meta = lua.new_table(0, 2);
        lua.set_field(meta, "__index", Value::Table(globals_api));
        let ro = lua.new_native("__newindex", readonly_error, Vec::new());
        lua.set_field(meta, "__newindex", ro);
        lua.heap.table_mut(g).metatable = Some(meta);

        let refs_table = lua.new_table(0, 0);
        lua.set_field(reg, REFS, Value::Table(refs_table));
        lua.set_field(reg, LIBRARY_API, Value::Table(library_api));
        lua.set_field(reg, GLOBALS_API, Value::Table(globals_api));
        lua.set_field(reg, GLOBALS_META, Value::Table(meta));
        lua.set_field(reg, "__FUNCTIONS_G__", Value::Table(g));
        lua.globals = g;
        // Read-only as in Redis (`lua_enablereadonlytable`): no raw write either (`rawset(getfenv(1), ...)`).
        for t in [g, meta, library_api, redis_load, protect] {
            lua.heap.table_mut(t).readonly = true;
        }
        LuaEngine { lua, host, refs: RefAlloc::default(), refs_table, globals_meta: meta, library_api, globals_api }
    }

    /// Compiles `code` (the payload from the shebang's newline on) and runs it with the load API; returns the
    /// functions it registered. Errors are Redis's texts ("Error compiling function: ...", "Error registering
    /// functions: ...").
    pub fn create(&mut self, code: &[u8], timeout_ms: u64) -> Result<Vec<LoadedFunction>, String> {
        let l = &mut self.lua;
        let f = match l.load(code, super::function::CHUNKNAME) {
            Ok(f) => f,
            Err(e) => {
                let msg = l.error_text(&e).unwrap_or_default();
                return Err(format!("Error compiling function: {}", String::from_utf8_lossy(&msg)));
            }
        };
        let meta = self.globals_meta;
        set_index_api(l, meta, self.library_api);
        let saved_hook = (l.hook, l.hook_interval);
        l.hook = Some(load_hook);
        l.hook_interval = 100_000;
        let mut ctx = LoadCtx {
            start: Instant::now(),
            timeout_ms,
            refs: std::mem::take(&mut self.refs),
            refs_table: self.refs_table,
            functions: Vec::new(),
        };
        l.push(f);
        let r = l.call(&mut ctx, f, &[]);
        l.stack.pop();
        (l.hook, l.hook_interval) = saved_hook;
        set_index_api(l, meta, self.globals_api);
        self.refs = std::mem::take(&mut ctx.refs);
        match r {
            Ok(_) => Ok(ctx.functions),
            Err(e) => {
                let msg = if e.kind == ErrorKind::Killed {
                    "ERR FUNCTION LOAD timeout".to_string()
                } else {
                    error_message(&mut self.lua, &e)
                };
                for f in ctx.functions {
                    self.unref(f.func_ref);
                }
                Err(format!("Error registering functions: {msg}"))
            }
        }
    }

    /// The callback in slot `r` (nil if the slot is free).
    pub fn function_value(&self, r: i64) -> Value {
        self.lua.raw_get_int(self.refs_table, r)
    }

    /// Releases slot `r` (`luaL_unref`).
    pub fn unref(&mut self, r: i64) {
        if r > 0 && !self.function_value(r).is_nil() {
            let _ = self.lua.raw_set_int(self.refs_table, r, Value::Nil);
            self.refs.free.push(r);
        }
    }

    /// A full collection (after FUNCTION FLUSH), when no script runs.
    pub fn collect(&mut self) {
        if self.lua.frames.is_empty() {
            self.lua.full_gc();
        }
    }

    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

/// Points the globals' `__index` at `api`, lifting the metatable's read-only mark for the write.
fn set_index_api(l: &mut Lua, meta: TableRef, api: TableRef) {
    l.heap.table_mut(meta).readonly = false;
    l.set_field(meta, "__index", Value::Table(api));
    l.heap.table_mut(meta).readonly = true;
}

/// `luaExtractErrorInformation` for a load error: a string (or number) becomes `"ERR <text>"`; a table gives its
/// `err` field; anything else gives what Redis's `%s` of a NULL prints.
fn error_message(l: &mut Lua, e: &LuaError) -> String {
    match e.value {
        Value::Str(_) | Value::Num(_) => {
            format!("ERR {}", String::from_utf8_lossy(&l.to_bytes(e.value).unwrap_or_default()))
        }
        Value::Table(t) => match l.get_field(t, "err") {
            v @ (Value::Str(_) | Value::Num(_)) => String::from_utf8_lossy(&l.to_bytes(v).unwrap_or_default()).into(),
            _ => "(null)".into(),
        },
        _ => "(null)".into(),
    }
}

/// A metatable raising Redis's errors for reads of missing names and writes (`luaSetErrorMetatable` plus the
/// read-only protection).
fn protection_meta(l: &mut Lua) -> TableRef {
    let meta = l.new_table(0, 2);
    let idx = l.new_native("__index", missing_global, Vec::new());
    l.set_field(meta, "__index", idx);
    let ro = l.new_native("__newindex", readonly_error, Vec::new());
    l.set_field(meta, "__newindex", ro);
    meta
}

fn missing_global(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let name = l.to_bytes(l.arg(2)).unwrap_or_default();
    let msg = format!("Script attempted to access nonexistent global variable '{}'", String::from_utf8_lossy(&name));
    Err(l.runtime_error(&msg))
}

fn readonly_error(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    Err(l.runtime_error("Attempt to modify a readonly table"))
}

/// The instruction hook while a library loads: stops it past its time budget.
fn load_hook(l: &mut Lua, host: &mut dyn Any) -> Result<(), LuaError> {
    if let Some(ctx) = host.downcast_mut::<LoadCtx>() {
        if ctx.timeout_ms > 0 && ctx.start.elapsed().as_millis() as u64 > ctx.timeout_ms {
            let v = l.new_str(b"FUNCTION LOAD timeout");
            return Err(LuaError::new(ErrorKind::Killed, v));
        }
    }
    Ok(())
}

/// `luaPushError` + `lua_error`: a table `{err = "ERR <msg>"}` without position information.
fn api_error(l: &mut Lua, msg: &str) -> LuaError {
    let t = l.new_table(0, 1);
    let v = l.new_string(format!("ERR {msg}").into_bytes());
    l.set_field(t, "err", v);
    l.error_value(Value::Table(t))
}

/// A string argument as `lua_isstring` accepts it (strings and numbers).
fn string_of(l: &Lua, v: Value) -> Option<Vec<u8>> {
    match v {
        Value::Str(_) | Value::Num(_) => l.to_bytes(v),
        _ => None,
    }
}

/// `redis.register_function(name, callback)` or `redis.register_function{function_name=, callback=, flags=,
/// description=}`.
fn register_function(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    if !host.is::<LoadCtx>() {
        return Err(api_error(l, "redis.register_function can only be called on FUNCTION LOAD command"));
    }
    let argc = l.nargs();
    if !(1..=2).contains(&argc) {
        return Err(api_error(l, "wrong number of arguments to redis.register_function"));
    }
    let (name, desc, callback, fflags) = if argc == 1 { named_args(l)? } else { positional_args(l)? };
    let Some(ctx) = host.downcast_mut::<LoadCtx>() else {
        return Err(api_error(l, "redis.register_function can only be called on FUNCTION LOAD command"));
    };
    if !valid_name(&name) {
        return Err(api_error(
            l,
            "Library names can only contain letters, numbers, or underscores(_) and must be at least one character \
             long",
        ));
    }
    if ctx.functions.iter().any(|f| f.name == name) {
        return Err(api_error(l, "Function already exists in the library"));
    }
    let r = ctx.refs.take();
    let refs_table = ctx.refs_table;
    ctx.functions.push(LoadedFunction { name, desc, flags: fflags, func_ref: r });
    l.raw_set_int(refs_table, r, callback)?;
    Ok(0)
}

type Registration = (Vec<u8>, Option<Vec<u8>>, Value, u32);

fn positional_args(l: &mut Lua) -> Result<Registration, LuaError> {
    let Some(name) = string_of(l, l.arg(1)) else {
        return Err(api_error(l, "first argument to redis.register_function must be a string"));
    };
    let f = l.arg(2);
    if !matches!(f, Value::Func(_)) {
        return Err(api_error(l, "second argument to redis.register_function must be a function"));
    }
    Ok((name, None, f, 0))
}

fn named_args(l: &mut Lua) -> Result<Registration, LuaError> {
    let Value::Table(t) = l.arg(1) else {
        return Err(api_error(
            l,
            "calling redis.register_function with a single argument is only applicable to Lua table (representing \
             named arguments).",
        ));
    };
    let (mut name, mut desc, mut callback, mut fflags) = (None, None, None, 0u32);
    let mut k = Value::Nil;
    while let Some((key, v)) = l.next(t, k)? {
        k = key;
        let Some(key) = string_of(l, key) else {
            return Err(api_error(l, "named argument key given to redis.register_function is not a string"));
        };
        if key.eq_ignore_ascii_case(b"function_name") {
            match string_of(l, v) {
                Some(s) => name = Some(s),
                None => {
                    return Err(api_error(
                        l,
                        "function_name argument given to redis.register_function must be a string",
                    ))
                }
            }
        } else if key.eq_ignore_ascii_case(b"description") {
            match string_of(l, v) {
                Some(s) => desc = Some(s),
                None => {
                    return Err(api_error(l, "description argument given to redis.register_function must be a string"))
                }
            }
        } else if key.eq_ignore_ascii_case(b"callback") {
            if !matches!(v, Value::Func(_)) {
                return Err(api_error(l, "callback argument given to redis.register_function must be a function"));
            }
            callback = Some(v);
        } else if key.eq_ignore_ascii_case(b"flags") {
            let Value::Table(ft) = v else {
                return Err(api_error(
                    l,
                    "flags argument to redis.register_function must be a table representing function flags",
                ));
            };
            fflags = read_flags(l, ft).ok_or_else(|| api_error(l, "unknown flag given"))?;
        } else {
            return Err(api_error(l, "unknown argument given to redis.register_function"));
        }
    }
    let Some(name) = name else {
        return Err(api_error(l, "redis.register_function must get a function name argument"));
    };
    let Some(callback) = callback else {
        return Err(api_error(l, "redis.register_function must get a callback argument"));
    };
    Ok((name, desc, callback, fflags))
}

/// `luaRegisterFunctionReadFlags`: `flags[1..]` up to the first nil, each a known flag name.
fn read_flags(l: &Lua, t: TableRef) -> Option<u32> {
    let mut out = 0;
    let mut i = 1;
    loop {
        let v = l.raw_get_int(t, i);
        if v.is_nil() {
            return Some(out);
        }
        out |= flags::parse(&string_of(l, v)?)?;
        i += 1;
    }
}
