//! ferredis's own Lua 5.1 interpreter, as Redis embeds Lua: the whole language, the base, string, table and math
//! libraries, and Redis's bundled `cjson`, `cmsgpack`, `bit` and `struct`.
//!
//! The interpreter knows nothing of the server; [`crate::scripting`] embeds it. Redis embeds PUC Lua 5.1; this one
//! is written for ferredis, so scripts need no C and no new dependency, and it is tested on its own against
//! Debian's `lua5.1`/`luac5.1` (the `lua_*` tests).
//!
//! # Design
//! - **Values** are a 16-byte `Copy` enum; tables, functions, strings, upvalues and coroutines live in typed
//!   arenas and are named by `u32` indices, so no object is reached through a raw pointer and the interpreter has
//!   no `unsafe`. Strings are interned: equality is index equality, and a string key's hash is cached in the node.
//! - **Tables follow `ltable.c`'s layout** (array part plus a chained scatter table with Brent's variation, the
//!   same rehash, `#` border search and hashes), on purpose: `pairs`/`next` visit keys in the order the Lua inside
//!   Redis does, so a script that builds a table and returns or `cjson.encode`s it gives the same bytes.
//! - **The compiler** is single-pass like `lparser.c`/`lcode.c` and emits Lua 5.1's own instruction set, so
//!   `luac5.1 -l` is its test oracle, instruction by instruction; `debug::verify` checks every compiled function
//!   (register, constant and jump ranges) before it runs, and parser recursion is bounded (200 levels).
//! - **The VM** is a register machine: Lua-to-Lua calls push a frame in the same loop (no Rust recursion). Errors
//!   are values carried in `Result` (the release build aborts on panic, so nothing unwinds); [`ErrorKind::Killed`]
//!   (SCRIPT KILL, the function-load timeout) is the one kind `pcall` cannot catch. Messages name variables as Lua
//!   5.1 does ("attempt to index local 't' (a nil value)"), by symbolic execution of the bytecode.
//! - **The collector** is stop-the-world mark-and-sweep with an explicit gray stack, weak tables and Lua 5.1's
//!   200% pause. It runs only at the VM's safe points (NEWTABLE, CONCAT, CLOSURE, table growth,
//!   `collectgarbage`), after each native call returns and after each script, where every live value is on a
//!   thread stack or reachable from one: natives may hold values in locals as long as they do not call back into
//!   Lua.
//! - **Libraries** are what Redis 7.0 loads, byte-compatible with the C versions: base (without
//!   `loadfile`/`dofile`), `string` (Lua's pattern matcher and a C printf engine for `string.format`), `table`
//!   (the 5.1 quicksort, so comparators are called in the same order), `math` (with Redis's `redisLrand48` behind
//!   `math.random`), `coroutine`, `cjson`, `cmsgpack`, `bit` and `struct`.
//!
//! # Layout
//! - [`value`]: the 16-byte `Copy` value and the error type.
//! - [`heap`]: arenas for strings (interned), tables, functions, upvalues and coroutines; the collector.
//! - [`table`]: tables, with Lua 5.1's layout so iteration order matches the reference interpreter.
//! - [`number`]: `%.14g`, `strtod` and the other number conversions.
//! - [`opcodes`], [`proto`]: the Lua 5.1 instruction set and function prototypes.
//! - `lex`, `parse`, `code`: the single-pass compiler (source to [`proto::Proto`]).
//! - [`vm`]: the register VM: calls, returns, metamethods, errors, coroutines, the instruction-count hook.
//! - `lib`: the standard and Redis-bundled libraries.
//!
//! # The embedding API
//! [`Lua::load`] compiles a chunk to a function; [`Lua::call`] runs a function with arguments. Native functions
//! ([`heap::NativeFn`]) read their arguments with [`Lua::arg`]/[`Lua::nargs`] (and the `check_*` helpers, which
//! raise Lua's "bad argument" errors), push results with [`Lua::push`] and return how many they pushed. The
//! `host: &mut dyn Any` passed to `call` reaches every native function unchanged: that is how `redis.call` finds
//! the server without the interpreter knowing about it.
//!
//! # Limits
//! Every resource a script can consume is bounded and overrunning it is a Lua error, never a crash: heap bytes
//! ([`heap::Heap::limit`], "not enough memory"), Lua call depth ("stack overflow"), nested native calls
//! ("C stack overflow"), string length, and run time through the instruction-count hook.

#![forbid(unsafe_code)]

pub mod code;
pub mod debug;
pub mod heap;
pub mod lex;
pub mod lib;
pub mod listing;
pub mod number;
pub mod opcodes;
pub mod parse;
pub mod proto;
pub mod table;
pub mod value;
pub mod vm;

use std::any::Any;

use heap::{Heap, NativeClosure, NativeFn, Thread, ThreadStatus};
use value::{ErrorKind, FuncRef, LuaError, StrRef, TableRef, ThreadRef, UpvalRef, Value};

/// Hook called every [`Lua::hook_interval`] VM instructions with the host of the running call; an error it
/// returns (for example a [`ErrorKind::Killed`] one) unwinds the script.
pub type HookFn = fn(&mut Lua, &mut dyn Any) -> Result<(), LuaError>;

/// Default bounds (Lua 5.1's `LUAI_MAXCALLS` and `LUAI_MAXCCALLS`).
pub const MAX_CALL_DEPTH: usize = 20_000;
pub const MAX_NATIVE_DEPTH: usize = 200;
/// The longest string a script may build (Redis's default `proto-max-bulk-len`).
pub const MAX_STRING_LEN: usize = 512 * 1024 * 1024;

pub struct Lua {
    pub heap: Heap,
    /// The running thread's value stack. During a native call, its arguments are `stack[base..]` and its
    /// results are pushed on top.
    pub stack: Vec<Value>,
    /// The running thread's call frames.
    pub frames: Vec<vm::Frame>,
    /// The running thread's open upvalues, sorted by slot, lowest first.
    pub open_upvals: Vec<UpvalRef>,
    /// The running thread (the main thread is thread 0 and is never collected).
    pub current: ThreadRef,
    pub main_thread: ThreadRef,
    /// First argument of the running native function.
    pub base: usize,
    /// Name of the running native function, for "bad argument" messages.
    pub native_name: &'static str,
    /// Nesting of native calls that re-enter the VM (pcall, sort, gsub...).
    pub native_depth: usize,
    pub max_call_depth: usize,
    pub max_native_depth: usize,
    pub globals: TableRef,
    pub registry: TableRef,
    /// The metatable shared by all strings (`__index = string`), if the string library is open.
    pub string_meta: Option<TableRef>,
    pub hook: Option<HookFn>,
    /// Instructions between hook calls.
    pub hook_interval: u32,
    /// Values kept alive by the embedder beyond the registry (scanned as roots).
    pub pinned: Vec<Value>,
    /// The VM's own bookkeeping (hook countdown, pending yield, coroutine C-call base).
    pub vm: vm::VmState,
}

impl Default for Lua {
    fn default() -> Self {
        Lua::new()
    }
}

impl Lua {
    /// A state with empty globals and no libraries (see [`lib::open_libs`]).
    pub fn new() -> Lua {
        let mut heap = Heap::new();
        let globals = heap.new_table(0, 32);
        let registry = heap.new_table(0, 8);
        let main_thread = heap.new_thread(Thread {
            stack: Vec::new(),
            frames: Vec::new(),
            open_upvals: Vec::new(),
            status: ThreadStatus::Running,
            start: Value::Nil,
        });
        Lua {
            heap,
            stack: Vec::with_capacity(256),
            frames: Vec::with_capacity(32),
            open_upvals: Vec::new(),
            current: main_thread,
            main_thread,
            base: 0,
            native_name: "?",
            native_depth: 0,
            max_call_depth: MAX_CALL_DEPTH,
            max_native_depth: MAX_NATIVE_DEPTH,
            globals,
            registry,
            string_meta: None,
            hook: None,
            hook_interval: 100_000,
            pinned: Vec::new(),
            vm: vm::VmState::default(),
        }
    }

    // ---- arguments and results of native functions ----

    /// Number of arguments of the running native function.
    #[inline]
    pub fn nargs(&self) -> usize {
        self.stack.len().saturating_sub(self.base)
    }

    /// Argument `i` (1-based); `nil` when absent.
    #[inline]
    pub fn arg(&self, i: usize) -> Value {
        self.stack.get(self.base + i - 1).copied().unwrap_or(Value::Nil)
    }

    /// Push a result (or a temporary the collector must see).
    #[inline]
    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// Push a string result.
    pub fn push_str(&mut self, s: &[u8]) {
        let v = self.new_str(s);
        self.stack.push(v);
    }

    // ---- values ----

    pub fn new_str(&mut self, s: &[u8]) -> Value {
        Value::Str(self.heap.intern(s))
    }

    pub fn new_string(&mut self, s: Vec<u8>) -> Value {
        Value::Str(self.heap.intern_vec(s))
    }

    pub fn intern(&mut self, s: &[u8]) -> StrRef {
        self.heap.intern(s)
    }

    pub fn new_table(&mut self, narray: usize, nhash: usize) -> TableRef {
        self.heap.new_table(narray, nhash)
    }

    /// The bytes of a string value; `None` for other types (no number coercion).
    #[inline]
    pub fn str_bytes(&self, v: Value) -> Option<&[u8]> {
        match v {
            Value::Str(s) => Some(self.heap.str(s)),
            _ => None,
        }
    }

    /// Raw `t[k]`.
    #[inline]
    pub fn raw_get(&self, t: TableRef, k: Value) -> Value {
        self.heap.raw_get(t, k)
    }

    /// Raw `t[k] = v`, raising Lua's errors for nil and NaN keys.
    pub fn raw_set(&mut self, t: TableRef, k: Value, v: Value) -> Result<(), LuaError> {
        self.heap.raw_set(t, k, v).map_err(|e| self.table_error(e))
    }

    /// A raw set's error as Lua raises it from `lua_rawset` (`luaG_runerror` in a C function: no position).
    fn table_error(&mut self, e: table::TableError) -> LuaError {
        let v = self.new_str(e.message().as_bytes());
        LuaError::new(ErrorKind::Runtime, v)
    }

    pub fn raw_get_int(&self, t: TableRef, i: i64) -> Value {
        self.heap.table(t).get_int(i)
    }

    pub fn raw_set_int(&mut self, t: TableRef, i: i64, v: Value) -> Result<(), LuaError> {
        self.heap.raw_set_int(t, i, v).map_err(|e| self.table_error(e))
    }

    /// Raw `t["name"]`.
    pub fn get_field(&mut self, t: TableRef, name: &str) -> Value {
        let k = self.heap.intern(name.as_bytes());
        self.heap.raw_get_str(t, k)
    }

    /// Raw `t["name"] = v`.
    pub fn set_field(&mut self, t: TableRef, name: &str, v: Value) {
        let k = self.heap.intern(name.as_bytes());
        // A string key is never nil or NaN.
        let _ = self.heap.raw_set(t, Value::Str(k), v);
    }

    /// `#t` without metamethods.
    pub fn raw_len(&self, t: TableRef) -> usize {
        self.heap.table(t).len()
    }

    /// `next(t, k)`; `Err` is "invalid key to 'next'".
    pub fn next(&mut self, t: TableRef, k: Value) -> Result<Option<(Value, Value)>, LuaError> {
        let h = self.heap.key_hash(k);
        self.heap.table(t).next(k, h).map_err(|_| self.runtime_error("invalid key to 'next'"))
    }

    /// A native function value with upvalues (read them with [`lib::native_upvals`]).
    pub fn new_native(&mut self, name: &'static str, f: NativeFn, upvals: Vec<Value>) -> Value {
        let env = self.globals;
        Value::Func(self.heap.new_function(heap::Function::Native(NativeClosure {
            f,
            name,
            upvals: upvals.into_boxed_slice(),
            env,
        })))
    }

    /// Register `f` as `t[name]`.
    pub fn register(&mut self, t: TableRef, name: &'static str, f: NativeFn) {
        let v = self.new_native(name, f, Vec::new());
        self.set_field(t, name, v);
    }

    pub fn set_global(&mut self, name: &str, v: Value) {
        let g = self.globals;
        self.set_field(g, name, v);
    }

    pub fn get_global(&mut self, name: &str) -> Value {
        let g = self.globals;
        self.get_field(g, name)
    }

    // ---- conversions ----

    /// `lua_tonumber`: numbers, and strings that convert.
    pub fn to_number(&self, v: Value) -> Option<f64> {
        match v {
            Value::Num(n) => Some(n),
            Value::Str(s) => number::str_to_number(self.heap.str(s)),
            _ => None,
        }
    }

    /// `lua_tolstring`: strings, and numbers formatted with `%.14g` (not converted in place).
    pub fn to_bytes(&self, v: Value) -> Option<Vec<u8>> {
        match v {
            Value::Str(s) => Some(self.heap.str(s).to_vec()),
            Value::Num(n) => Some(number::num_to_bytes(n)),
            _ => None,
        }
    }

    /// A string value for `v` if it is a string or a number (numbers are converted, like `lua_tolstring`).
    pub fn coerce_str(&mut self, v: Value) -> Option<StrRef> {
        match v {
            Value::Str(s) => Some(s),
            Value::Num(n) => Some(self.heap.intern_vec(number::num_to_bytes(n))),
            _ => None,
        }
    }

    // ---- argument checks (luaL_check*) ----

    /// "bad argument #i to 'name' (msg)".
    pub fn arg_error(&mut self, i: usize, msg: &str) -> LuaError {
        let text = self.arg_error_text(i, msg);
        self.runtime_error(&text)
    }

    /// "bad argument #i to 'name' (T expected, got U)".
    pub fn type_error(&mut self, i: usize, expected: &str) -> LuaError {
        let got = if i > self.nargs() { "no value" } else { self.arg(i).type_name() };
        self.arg_error(i, &format!("{expected} expected, got {got}"))
    }

    pub fn check_any(&mut self, i: usize) -> Result<Value, LuaError> {
        if i > self.nargs() {
            return Err(self.arg_error(i, "value expected"));
        }
        Ok(self.arg(i))
    }

    pub fn check_table(&mut self, i: usize) -> Result<TableRef, LuaError> {
        match self.arg(i) {
            Value::Table(t) => Ok(t),
            _ => Err(self.type_error(i, "table")),
        }
    }

    pub fn check_num(&mut self, i: usize) -> Result<f64, LuaError> {
        match self.to_number(self.arg(i)) {
            Some(n) => Ok(n),
            None => Err(self.type_error(i, "number")),
        }
    }

    /// `luaL_checkinteger`: a number truncated toward zero.
    pub fn check_int(&mut self, i: usize) -> Result<i64, LuaError> {
        Ok(number::to_integer(self.check_num(i)?))
    }

    pub fn opt_int(&mut self, i: usize, default: i64) -> Result<i64, LuaError> {
        if self.arg(i).is_nil() {
            Ok(default)
        } else {
            self.check_int(i)
        }
    }

    pub fn opt_num(&mut self, i: usize, default: f64) -> Result<f64, LuaError> {
        if self.arg(i).is_nil() {
            Ok(default)
        } else {
            self.check_num(i)
        }
    }

    /// `luaL_checklstring`: a string (numbers are converted and the converted string replaces the argument, as
    /// Lua does).
    pub fn check_str(&mut self, i: usize) -> Result<StrRef, LuaError> {
        let v = self.arg(i);
        match self.coerce_str(v) {
            Some(s) => {
                if matches!(v, Value::Num(_)) {
                    if let Some(slot) = self.stack.get_mut(self.base + i - 1) {
                        *slot = Value::Str(s);
                    }
                }
                Ok(s)
            }
            None => Err(self.type_error(i, "string")),
        }
    }

    pub fn opt_str(&mut self, i: usize) -> Result<Option<StrRef>, LuaError> {
        if self.arg(i).is_nil() {
            Ok(None)
        } else {
            self.check_str(i).map(Some)
        }
    }

    // ---- errors ----

    /// A runtime error with Lua's position prefix ("chunk:line: ") of the Lua function that called the running
    /// native function (`luaL_error`).
    pub fn runtime_error(&mut self, msg: &str) -> LuaError {
        let mut text = self.where_prefix(1).into_bytes();
        text.extend_from_slice(msg.as_bytes());
        let v = self.new_string(text);
        LuaError::new(ErrorKind::Runtime, v)
    }

    /// An error whose value is `v`, unchanged (`error(v, 0)`).
    pub fn error_value(&self, v: Value) -> LuaError {
        LuaError::new(ErrorKind::Runtime, v)
    }

    /// The message of an error value when it is a string or number (for the embedder's error replies).
    pub fn error_text(&self, e: &LuaError) -> Option<Vec<u8>> {
        self.to_bytes(e.value)
    }

    // ---- roots ----

    /// Keep `v` alive until [`Lua::unpin`] (or store it in the registry).
    pub fn pin(&mut self, v: Value) {
        self.pinned.push(v);
    }

    pub fn unpin(&mut self, v: Value) {
        if let Some(i) = self.pinned.iter().rposition(|p| p.raw_eq(v)) {
            self.pinned.swap_remove(i);
        }
    }

    /// A full collection now. Only at a point where every live value is reachable from a root (not while a
    /// native function holds values in Rust locals only).
    pub fn full_gc(&mut self) {
        let mut roots: Vec<Value> = Vec::with_capacity(self.stack.len() + self.pinned.len() + 8);
        roots.push(Value::Table(self.globals));
        roots.push(Value::Table(self.registry));
        roots.push(Value::Thread(self.main_thread));
        roots.push(Value::Thread(self.current));
        if let Some(m) = self.string_meta {
            roots.push(Value::Table(m));
        }
        roots.extend_from_slice(&self.stack);
        roots.extend_from_slice(&self.pinned);
        for f in &self.frames {
            f.mark(&mut roots);
        }
        let ups = self.open_upvals.clone();
        self.heap.collect(&roots, &ups);
    }

    /// Heap bytes in use (approximate), for `used_memory_vm_*`.
    pub fn used_memory(&self) -> usize {
        self.heap.bytes
    }

    /// The function id of a value that is a function.
    pub fn as_func(v: Value) -> Option<FuncRef> {
        match v {
            Value::Func(f) => Some(f),
            _ => None,
        }
    }
}
