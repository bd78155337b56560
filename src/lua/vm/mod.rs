//! The register VM: Lua 5.1 bytecode (`opcodes.rs`) executed with `lvm.c`'s semantics.
//!
//! # Stack and frames
//! ```text
//!  stack: | ... | func | arg1 .. argN | (vararg functions: copies of the fixed args) | R0 R1 .. R(max_stack-1) | ...
//!                  ^func                                                               ^base              ^top
//! ```
//! Every call (Lua or native) pushes a [`Frame`]. A Lua frame's registers are `stack[base..top]` with
//! `top = base + max_stack`; the stack is grown to `top` when the frame is entered and kept at least that long
//! while the frame runs, except transiently between an instruction that leaves a variable number of values
//! (CALL with C = 0, VARARG with B = 0) and the one that consumes them (CALL/RETURN/SETLIST with B = 0): there
//! `stack.len()` is Lua's `L->top`. A native frame's arguments are `stack[base..]` and its results are pushed on
//! top. Prototypes are checked once by [`super::debug::verify`] (`load` refuses bad bytecode), so register and
//! constant operands are in range of the frame.
//!
//! # Calls without Rust recursion
//! A Lua-to-Lua call pushes a frame and the same `execute` loop continues in the callee; RETURN pops it and
//! continues in the caller. TAILCALL replaces the frame. Only natives (and metamethods and iterators, as in
//! Lua 5.1's `luaD_call`) re-enter through [`Lua::call_at`], which bounds that nesting by `max_native_depth`
//! ("C stack overflow"); the frame count is bounded by `max_call_depth` ("stack overflow") and the stack by
//! [`MAX_STACK_SLOTS`].
//!
//! # Errors
//! Errors are `Err(LuaError)` values that propagate through `?`. Nothing unwinds on the way: the catcher
//! ([`Lua::pcall`], [`Lua::call`], a coroutine resume) closes the upvalues above its stack level and truncates
//! frames and stack. Because frames are still intact when the catcher sees the error, an `xpcall` handler runs
//! at the point of the error, as in Lua (so `debug.getinfo`-style inspection sees the failing function).
//!
//! # Coroutines
//! The running thread's `stack`/`frames`/`open_upvals` live in [`Lua`]; `resume` swaps them with the
//! coroutine's [`Thread`](super::heap::Thread) object and runs `execute` on it; `coroutine.yield` (a native called
//! straight from the coroutine's own `execute`, checked with `base_ccalls` exactly as Lua's `nCcalls > baseCcalls`)
//! sets a flag that makes `execute` return; its native frame stays on the coroutine and receives the next resume's
//! arguments as its results.
//!
//! # Tests
//! Unit tests below (through `load` and hand-assembled prototypes), the corpus in `tests/scripting/lua_corpus.rs`
//! compared with `lua5.1`, and `benches/lua_vm.sh` for speed against `lua5.1`.

use std::any::Any;
use std::rc::Rc;

use super::heap::{Function, LuaClosure, Tm, Upval};
use super::number;
use super::opcodes::*;
use super::proto::{Proto, VARARG_NEEDSARG};
use super::value::{ErrorKind, FuncRef, LuaError, TableRef, UpvalRef, Value};
use super::Lua;

mod coroutine;
mod meta;

/// The most stack slots one thread may use (Lua 5.2's `LUAI_MAXSTACK`); past it, "stack overflow".
pub const MAX_STACK_SLOTS: usize = 1_000_000;
/// `MAXTAGLOOP`: the longest `__index`/`__newindex` chain followed.
const MAX_TAG_LOOP: usize = 100;

/// One activation record of the running thread.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Stack slot of the called function; its registers start at `base`.
    pub func: usize,
    pub base: usize,
    /// Next instruction (Lua functions); the current one is `pc - 1`.
    pub pc: usize,
    /// Results the caller wants (-1: all).
    pub nresults: i32,
    /// End of the registers (`base + max_stack`) for Lua frames.
    pub top: usize,
    /// Tail calls this frame replaced (debug information).
    pub tailcalls: u32,
    pub is_lua: bool,
}

impl Frame {
    /// Push the values this frame keeps outside the stack (none: a frame holds only stack positions).
    pub fn mark(&self, _gray: &mut Vec<Value>) {}
}

/// The VM's own per-state fields (kept in one struct so `mod.rs` carries a single field for them).
#[derive(Debug)]
pub struct VmState {
    /// Instructions left before the next hook call.
    pub hook_left: u32,
    /// Set by `coroutine.yield` for the `execute` loop that called it.
    pub yielding: bool,
    /// Values the pending yield passes (on top of the stack).
    pub yield_count: usize,
    /// `native_depth` at the entry of the running coroutine (Lua's `baseCcalls`): a yield is allowed only at
    /// that depth.
    pub base_ccalls: usize,
    /// Concatenation scratch buffer.
    pub buf: Vec<u8>,
    /// Address of a local in the outermost `call_at` (the native stack grows down from there).
    pub c_stack_start: usize,
    /// Bytes of native stack nested calls may use before "C stack overflow": a guard behind `max_native_depth`,
    /// whose per-level cost depends on the build (about 15 KiB per level in debug builds, far less in release).
    /// The default (4 MiB) suits the main thread's 8 MiB; an embedder running scripts on a smaller thread
    /// lowers it.
    pub c_stack_budget: usize,
}

impl Default for VmState {
    fn default() -> Self {
        VmState {
            hook_left: 100_000,
            yielding: false,
            yield_count: 0,
            base_ccalls: 0,
            buf: Vec::new(),
            c_stack_start: 0,
            c_stack_budget: 4 << 20,
        }
    }
}

/// How an `execute` run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exec {
    /// The entry frame returned; its results are at its function slot.
    Done,
    /// A `coroutine.yield` suspended the running coroutine.
    Yield,
}

// Opcode numbers as constants, so the dispatch `match` is on the raw 6-bit field.
const OP_MOVE: u8 = Op::Move as u8;
const OP_LOADK: u8 = Op::LoadK as u8;
const OP_LOADBOOL: u8 = Op::LoadBool as u8;
const OP_LOADNIL: u8 = Op::LoadNil as u8;
const OP_GETUPVAL: u8 = Op::GetUpval as u8;
const OP_GETGLOBAL: u8 = Op::GetGlobal as u8;
const OP_GETTABLE: u8 = Op::GetTable as u8;
const OP_SETGLOBAL: u8 = Op::SetGlobal as u8;
const OP_SETUPVAL: u8 = Op::SetUpval as u8;
const OP_SETTABLE: u8 = Op::SetTable as u8;
const OP_NEWTABLE: u8 = Op::NewTable as u8;
const OP_SELF: u8 = Op::SelfOp as u8;
const OP_ADD: u8 = Op::Add as u8;
const OP_SUB: u8 = Op::Sub as u8;
const OP_MUL: u8 = Op::Mul as u8;
const OP_DIV: u8 = Op::Div as u8;
const OP_MOD: u8 = Op::Mod as u8;
const OP_POW: u8 = Op::Pow as u8;
const OP_UNM: u8 = Op::Unm as u8;
const OP_NOT: u8 = Op::Not as u8;
const OP_LEN: u8 = Op::Len as u8;
const OP_CONCAT: u8 = Op::Concat as u8;
const OP_JMP: u8 = Op::Jmp as u8;
const OP_EQ: u8 = Op::Eq as u8;
const OP_LT: u8 = Op::Lt as u8;
const OP_LE: u8 = Op::Le as u8;
const OP_TEST: u8 = Op::Test as u8;
const OP_TESTSET: u8 = Op::TestSet as u8;
const OP_CALL: u8 = Op::Call as u8;
const OP_TAILCALL: u8 = Op::TailCall as u8;
const OP_RETURN: u8 = Op::Return as u8;
const OP_FORLOOP: u8 = Op::ForLoop as u8;
const OP_FORPREP: u8 = Op::ForPrep as u8;
const OP_TFORLOOP: u8 = Op::TForLoop as u8;
const OP_SETLIST: u8 = Op::SetList as u8;
const OP_CLOSE: u8 = Op::Close as u8;
const OP_CLOSURE: u8 = Op::Closure as u8;
const OP_VARARG: u8 = Op::VarArg as u8;

/// `luai_nummod`.
#[inline(always)]
fn num_mod(a: f64, b: f64) -> f64 {
    a - (a / b).floor() * b
}

#[inline]
fn arith_num(tm: Tm, a: f64, b: f64) -> f64 {
    match tm {
        Tm::Add => a + b,
        Tm::Sub => a - b,
        Tm::Mul => a * b,
        Tm::Div => a / b,
        Tm::Mod => num_mod(a, b),
        Tm::Pow => a.powf(b),
        _ => -a,
    }
}

/// Where a value being reported came from, for error names.
pub(crate) type Src = Option<usize>;

/// The register an RK operand names, if it is a register.
#[inline]
fn rk_src(x: u32) -> Src {
    if is_k(x) {
        None
    } else {
        Some(x as usize)
    }
}

/// Same type tag (Lua's `ttype(a) == ttype(b)`).
#[inline]
fn same_type(a: Value, b: Value) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

impl Lua {
    // ------------------------------------------------------------------------------------------------------------
    // Entry points
    // ------------------------------------------------------------------------------------------------------------

    /// Compile `source` as a chunk named `chunkname` (for example `@user_script`) into a function whose
    /// environment is the globals table. A syntax error is an [`ErrorKind::Syntax`] error whose value is the
    /// message ("user_script:1: '=' expected near 'x'").
    pub fn load(&mut self, source: &[u8], chunkname: &str) -> Result<Value, LuaError> {
        let proto = match super::parse::compile(&mut self.heap, source, chunkname) {
            Ok(p) => p,
            Err(msg) => {
                let v = self.new_str(msg.as_bytes());
                return Err(LuaError::new(ErrorKind::Syntax, v));
            }
        };
        self.load_proto(Rc::new(proto))
    }

    /// A closure (environment: the globals) for a compiled prototype, after checking its bytecode.
    pub fn load_proto(&mut self, proto: Rc<Proto>) -> Result<Value, LuaError> {
        if let Err(msg) = super::debug::verify(&proto) {
            let v = self.new_str(format!("bad bytecode: {msg}").as_bytes());
            return Err(LuaError::new(ErrorKind::Syntax, v));
        }
        let env = self.globals;
        let f = self.heap.new_function(Function::Lua(LuaClosure { proto, upvals: Box::new([]), env }));
        Ok(Value::Func(f))
    }

    /// Call `f` with `args`, returning all its results. Errors (including runtime errors raised by metamethods
    /// and native functions) come back as `Err`; the stack is restored to its height before the call.
    pub fn call(&mut self, host: &mut dyn Any, f: Value, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        let func = self.stack.len();
        let nframes = self.frames.len();
        self.stack.push(f);
        self.stack.extend_from_slice(args);
        match self.call_at(host, func, -1) {
            Ok(()) => {
                let out = self.stack.get(func..).map(|s| s.to_vec()).unwrap_or_default();
                self.stack.truncate(func);
                Ok(out)
            }
            Err(e) => {
                self.unwind(func, nframes);
                Err(e)
            }
        }
    }

    /// Stack-based call (`lua_call`): the function is at `stack[func]`, its arguments above it up to the top.
    /// Afterwards the results replace them (all of them when `nresults` is -1, else exactly `nresults`).
    /// On error nothing is unwound (the catcher does it, see [`Lua::pcall`]).
    pub fn call_at(&mut self, host: &mut dyn Any, func: usize, nresults: i32) -> Result<(), LuaError> {
        if self.native_depth >= self.max_native_depth {
            return Err(self.vm_error("C stack overflow"));
        }
        let here = {
            let marker = 0u8;
            std::hint::black_box(&marker) as *const u8 as usize
        };
        if self.native_depth == 0 {
            self.vm.c_stack_start = here;
        } else if self.vm.c_stack_start.saturating_sub(here) > self.vm.c_stack_budget {
            return Err(self.vm_error("C stack overflow"));
        }
        self.native_depth += 1;
        let r = self.call_inner(host, func, nresults);
        self.native_depth -= 1;
        r
    }

    /// Protected call (`lua_pcall`). The function and its arguments are at `stack[func..]`.
    /// - `Ok(true)`: it returned; its results are at `stack[func..]` as after [`Lua::call_at`].
    /// - `Ok(false)`: it raised a catchable error; frames and stack are unwound to `func`, upvalues above
    ///   `func` closed, and the error value (the `handler`'s result when one is given, called at the point of the
    ///   error with the error value as its argument) is the only value at `stack[func]`.
    /// - `Err(e)`: an error no `pcall` may catch ([`ErrorKind::Killed`]), still propagating.
    pub fn pcall(
        &mut self,
        host: &mut dyn Any,
        func: usize,
        nresults: i32,
        handler: Option<Value>,
    ) -> Result<bool, LuaError> {
        let nframes = self.frames.len();
        let (old_base, old_name) = (self.base, self.native_name);
        match self.call_at(host, func, nresults) {
            Ok(()) => Ok(true),
            Err(e) if !e.catchable() => Err(e),
            Err(e) => {
                let mut errv = e.value;
                if let (Some(h), true) = (handler, e.kind != ErrorKind::Memory) {
                    errv = self.run_handler(host, h, errv)?;
                }
                self.unwind(func, nframes);
                self.base = old_base;
                self.native_name = old_name;
                self.stack.push(errv);
                Ok(false)
            }
        }
    }

    /// Call an error handler at the point of the error (frames intact), with some extra room for it.
    fn run_handler(&mut self, host: &mut dyn Any, h: Value, errv: Value) -> Result<Value, LuaError> {
        let pos = self.stack.len();
        self.stack.push(h);
        self.stack.push(errv);
        let (old_calls, old_native) = (self.max_call_depth, self.max_native_depth);
        self.max_call_depth = old_calls.saturating_add(50);
        self.max_native_depth = old_native.saturating_add(10);
        let r = self.call_at(host, pos, 1);
        self.max_call_depth = old_calls;
        self.max_native_depth = old_native;
        match r {
            Ok(()) => {
                let v = self.stack.get(pos).copied().unwrap_or(Value::Nil);
                self.stack.truncate(pos);
                Ok(v)
            }
            Err(e) if !e.catchable() => Err(e),
            Err(_) => {
                self.stack.truncate(pos);
                Ok(self.new_str(b"error in error handling"))
            }
        }
    }

    /// Restore the stack to height `level` and the frames to `nframes`, closing upvalues above `level`.
    pub(crate) fn unwind(&mut self, level: usize, nframes: usize) {
        self.close_upvals(level);
        self.frames.truncate(nframes);
        self.stack.truncate(level);
    }

    /// `t[k]` with `__index` metamethods (any value `t`).
    pub fn index(&mut self, host: &mut dyn Any, t: Value, k: Value) -> Result<Value, LuaError> {
        self.get_table(host, t, k, None)
    }

    /// `t[k] = v` with `__newindex` metamethods.
    pub fn set_index(&mut self, host: &mut dyn Any, t: Value, k: Value, v: Value) -> Result<(), LuaError> {
        self.set_table(host, t, k, v, None)
    }

    /// `tostring(v)` including `__tostring` (the base library's `tostring`).
    pub fn tostring(&mut self, host: &mut dyn Any, v: Value) -> Result<Value, LuaError> {
        let tm = self.tm_of(v, Tm::ToString);
        if !tm.is_nil() {
            let pos = self.stack.len();
            self.stack.push(tm);
            self.stack.push(v);
            self.call_at(host, pos, 1)?;
            let r = self.stack.get(pos).copied().unwrap_or(Value::Nil);
            self.stack.truncate(pos);
            return Ok(r);
        }
        Ok(match v {
            Value::Str(_) => v,
            Value::Num(n) => self.new_string(number::num_to_bytes(n)),
            Value::Nil => self.new_str(b"nil"),
            Value::Bool(b) => self.new_str(if b { b"true" } else { b"false" }),
            _ => {
                let s = self.address_string(v);
                self.new_str(s.as_bytes())
            }
        })
    }

    /// "table: 0x..." for reference values (an arena index stands in for the address).
    pub fn address_string(&self, v: Value) -> String {
        let id = match v {
            Value::Table(t) => 0x0800_0000 + t.0 as usize * 0x40,
            Value::Func(f) => 0x1000_0000 + f.0 as usize * 0x40,
            Value::Thread(t) => 0x1800_0000 + t.0 as usize * 0x40,
            Value::LightUserData(p) => p,
            Value::Str(s) => 0x2000_0000 + s.0 as usize * 0x40,
            _ => 0,
        };
        format!("{}: 0x{:08x}", v.type_name(), id)
    }

    /// `a == b` with `__eq`.
    pub fn equals(&mut self, host: &mut dyn Any, a: Value, b: Value) -> Result<bool, LuaError> {
        if !same_type(a, b) {
            return Ok(false);
        }
        self.equal_val(host, a, b)
    }

    /// `a < b` with `__lt` ("attempt to compare ..." errors).
    pub fn less_than(&mut self, host: &mut dyn Any, a: Value, b: Value) -> Result<bool, LuaError> {
        match (a, b) {
            (Value::Num(x), Value::Num(y)) => Ok(x < y),
            (Value::Str(x), Value::Str(y)) => Ok(self.heap.str(x) < self.heap.str(y)),
            _ => {
                if same_type(a, b) {
                    if let Some(r) = self.order_tm(host, a, b, Tm::Lt)? {
                        return Ok(r);
                    }
                }
                Err(self.order_error(a, b))
            }
        }
    }

    /// `a <= b` with `__le`, falling back to `not (b < a)` through `__lt`.
    pub fn less_equal(&mut self, host: &mut dyn Any, a: Value, b: Value) -> Result<bool, LuaError> {
        match (a, b) {
            (Value::Num(x), Value::Num(y)) => Ok(x <= y),
            (Value::Str(x), Value::Str(y)) => Ok(self.heap.str(x) <= self.heap.str(y)),
            _ => {
                if same_type(a, b) {
                    if let Some(r) = self.order_tm(host, a, b, Tm::Le)? {
                        return Ok(r);
                    }
                    if let Some(r) = self.order_tm(host, b, a, Tm::Lt)? {
                        return Ok(!r);
                    }
                }
                Err(self.order_error(a, b))
            }
        }
    }

    /// The metatable of any value (tables: their own; strings: the string metatable; others: none).
    pub fn get_metatable(&self, v: Value) -> Option<TableRef> {
        match v {
            Value::Table(t) => self.heap.metatable(t),
            Value::Str(_) => self.string_meta,
            _ => None,
        }
    }

    /// "chunk:line: " for the function `level` levels up the call stack (0 = the running function, 1 = the
    /// function that called the running native function), or "" when that level is not a Lua function
    /// (`luaL_where`).
    pub fn where_prefix(&self, level: usize) -> String {
        let n = self.frames.len();
        if level >= n {
            return String::new();
        }
        match self.frame_position(n - 1 - level) {
            Some((src, line)) => format!("{src}:{line}: "),
            None => String::new(),
        }
    }

    /// Collect if the allocation debt calls for it, and enforce the heap limit. The VM calls this at its safe
    /// points; natives that allocate a lot may call it only before they hold values in Rust locals.
    #[inline]
    pub fn gc_check(&mut self) -> Result<(), LuaError> {
        if self.heap.bytes >= self.heap.gc_threshold || self.heap.bytes > self.heap.limit {
            self.gc_slow()
        } else {
            Ok(())
        }
    }

    #[cold]
    fn gc_slow(&mut self) -> Result<(), LuaError> {
        self.full_gc();
        if self.heap.bytes > self.heap.limit {
            let v = self.new_str(b"not enough memory");
            return Err(LuaError::new(ErrorKind::Memory, v));
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------------------------------------
    // Calls
    // ------------------------------------------------------------------------------------------------------------

    /// `luaD_call` without the native-depth accounting.
    fn call_inner(&mut self, host: &mut dyn Any, func: usize, nresults: i32) -> Result<(), LuaError> {
        loop {
            let fv = self.stack.get(func).copied().unwrap_or(Value::Nil);
            if let Value::Func(f) = fv {
                match self.heap.func(f) {
                    Function::Lua(c) => {
                        let proto = c.proto.clone();
                        self.precall_lua(func, &proto, nresults)?;
                        let entry = self.frames.len();
                        return match self.execute(host, entry)? {
                            Exec::Done => Ok(()),
                            // `yield` refuses to run unless `execute` was entered by `resume`.
                            Exec::Yield => Err(self.vm_error("attempt to yield across metamethod/C-call boundary")),
                        };
                    }
                    Function::Native(n) => {
                        let (nf, name) = (n.f, n.name);
                        if self.call_native(host, func, nf, name, nresults)? {
                            return Err(self.vm_error("attempt to yield across metamethod/C-call boundary"));
                        }
                        return Ok(());
                    }
                }
            }
            self.insert_call_tm(func, None)?;
        }
    }

    /// A value that is not a function is called through its `__call` metamethod, inserted below the arguments.
    fn insert_call_tm(&mut self, func: usize, src: Src) -> Result<(), LuaError> {
        let fv = self.stack.get(func).copied().unwrap_or(Value::Nil);
        let tm = self.tm_of(fv, Tm::Call);
        if !matches!(tm, Value::Func(_)) {
            return Err(self.op_type_error(fv, src, "call"));
        }
        self.stack.insert(func, tm);
        Ok(())
    }

    /// [`Lua::precall_lua`] for closure `cl`, without touching the prototype's reference count in the common
    /// (fixed-parameter) case.
    #[inline]
    fn precall_closure(&mut self, func: usize, cl: FuncRef, nresults: i32) -> Result<(), LuaError> {
        let (np, va, ms) = match self.heap.func(cl) {
            Function::Lua(c) => (c.proto.num_params as usize, c.proto.is_vararg, c.proto.max_stack as usize),
            Function::Native(_) => return Err(self.vm_error("internal error: not a Lua function")),
        };
        if va != 0 {
            let p = match self.heap.func(cl) {
                Function::Lua(c) => c.proto.clone(),
                Function::Native(_) => return Err(self.vm_error("internal error: not a Lua function")),
            };
            return self.precall_lua(func, &p, nresults);
        }
        if self.frames.len() >= self.max_call_depth || self.stack.len() + ms > MAX_STACK_SLOTS {
            return Err(self.vm_error("stack overflow"));
        }
        let base = func + 1;
        if self.stack.len() > base + np {
            self.stack.truncate(base + np);
        }
        let top = base + ms;
        self.set_top(top);
        self.frames.push(Frame { func, base, pc: 0, nresults, top, tailcalls: 0, is_lua: true });
        Ok(())
    }

    /// Enter a Lua function whose closure is at `stack[func]` with its arguments up to the top.
    fn precall_lua(&mut self, func: usize, p: &Proto, nresults: i32) -> Result<(), LuaError> {
        if self.frames.len() >= self.max_call_depth {
            return Err(self.vm_error("stack overflow"));
        }
        let max_stack = p.max_stack as usize;
        if self.stack.len() + max_stack + p.num_params as usize > MAX_STACK_SLOTS {
            return Err(self.vm_error("stack overflow"));
        }
        let nargs = self.stack.len() - func - 1;
        let nparams = p.num_params as usize;
        let base = if p.is_vararg == 0 {
            let base = func + 1;
            if nargs > nparams {
                self.stack.truncate(base + nparams);
            }
            base
        } else {
            self.adjust_varargs(p, nargs)
        };
        let top = base + max_stack;
        self.set_top(top);
        self.frames.push(Frame { func, base, pc: 0, nresults, top, tailcalls: 0, is_lua: true });
        Ok(())
    }

    /// `adjust_varargs`: move the fixed parameters above the actual arguments; the extra ones stay below
    /// `base` for VARARG. Returns the new base.
    fn adjust_varargs(&mut self, p: &Proto, mut nargs: usize) -> usize {
        let nfix = p.num_params as usize;
        while nargs < nfix {
            self.stack.push(Value::Nil);
            nargs += 1;
        }
        let mut arg_table = None;
        if p.is_vararg & VARARG_NEEDSARG != 0 {
            let nvar = nargs - nfix;
            let t = self.heap.new_table(nvar, 1);
            let first = self.stack.len() - nvar;
            for i in 0..nvar {
                let v = self.stack[first + i];
                let _ = self.heap.raw_set_int(t, i as i64 + 1, v);
            }
            let n = self.heap.intern(b"n");
            let _ = self.heap.raw_set(t, Value::Str(n), Value::Num(nvar as f64));
            arg_table = Some(t);
        }
        let fixed = self.stack.len() - nargs;
        let base = self.stack.len();
        for i in 0..nfix {
            let v = self.stack[fixed + i];
            self.stack.push(v);
            self.stack[fixed + i] = Value::Nil;
        }
        if let Some(t) = arg_table {
            self.stack.push(Value::Table(t));
        }
        base
    }

    /// Call a native function at `stack[func]`. Returns true when it yielded (its frame then stays).
    fn call_native(
        &mut self,
        host: &mut dyn Any,
        func: usize,
        f: super::heap::NativeFn,
        name: &'static str,
        nresults: i32,
    ) -> Result<bool, LuaError> {
        if self.frames.len() >= self.max_call_depth {
            return Err(self.vm_error("stack overflow"));
        }
        let (old_base, old_name) = (self.base, self.native_name);
        let base = func + 1;
        self.frames.push(Frame { func, base, pc: 0, nresults, top: base, tailcalls: 0, is_lua: false });
        self.base = base;
        self.native_name = name;
        let r = f(self, host);
        self.base = old_base;
        self.native_name = old_name;
        let n = r?;
        if self.vm.yielding {
            return Ok(true);
        }
        let n = n.min(self.stack.len().saturating_sub(base));
        self.frames.pop();
        self.poscall(func, n, nresults);
        Ok(false)
    }

    /// Set the stack height (Lua's `L->top`), filling new slots with nil.
    #[inline(always)]
    fn set_top(&mut self, top: usize) {
        self.stack.resize(top, Value::Nil);
    }

    /// Move the `n` values on top of the stack to `dst` and adjust them to `wanted` (-1: all); the stack ends
    /// right after them.
    #[inline]
    fn poscall(&mut self, dst: usize, n: usize, wanted: i32) {
        let src = self.stack.len() - n;
        if n == 1 {
            // The usual single result: one move, no range copy.
            self.stack[dst] = self.stack[src];
        } else if src != dst {
            self.stack.copy_within(src..src + n, dst);
        }
        if wanted < 0 {
            self.stack.truncate(dst + n);
        } else {
            self.set_top(dst + wanted as usize);
            if (wanted as usize) > n {
                for v in &mut self.stack[dst + n..] {
                    *v = Value::Nil;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Upvalues
    // ------------------------------------------------------------------------------------------------------------

    #[inline]
    fn upval_slot(&self, u: UpvalRef) -> usize {
        match self.heap.upval(u) {
            Upval::Open { slot, .. } => *slot,
            Upval::Closed(_) => 0,
        }
    }

    /// `luaF_findupval`: the open upvalue for `slot` of the running thread, created if needed.
    fn find_upval(&mut self, slot: usize) -> UpvalRef {
        let mut i = self.open_upvals.len();
        while i > 0 {
            let u = self.open_upvals[i - 1];
            let s = self.upval_slot(u);
            if s == slot {
                return u;
            }
            if s < slot {
                break;
            }
            i -= 1;
        }
        let u = self.heap.new_upval(Upval::Open { thread: self.current, slot });
        self.open_upvals.insert(i, u);
        u
    }

    /// `luaF_close`: close the running thread's upvalues at or above `level`.
    #[inline(always)]
    pub(crate) fn close_upvals(&mut self, level: usize) {
        // Most returns have no open upvalue: one length check, the loop out of line.
        if !self.open_upvals.is_empty() {
            self.close_upvals_from(level);
        }
    }

    #[inline(never)]
    fn close_upvals_from(&mut self, level: usize) {
        while let Some(&u) = self.open_upvals.last() {
            let slot = self.upval_slot(u);
            if slot < level {
                break;
            }
            let v = self.stack.get(slot).copied().unwrap_or(Value::Nil);
            *self.heap.upval_mut(u) = Upval::Closed(v);
            self.open_upvals.pop();
        }
    }

    #[inline]
    fn get_upval(&self, u: UpvalRef) -> Value {
        match *self.heap.upval(u) {
            Upval::Closed(v) => v,
            Upval::Open { thread, slot } => {
                let st = if thread == self.current { &self.stack } else { &self.heap.thread(thread).stack };
                st.get(slot).copied().unwrap_or(Value::Nil)
            }
        }
    }

    #[inline]
    fn set_upval(&mut self, u: UpvalRef, v: Value) {
        match *self.heap.upval(u) {
            Upval::Closed(_) => *self.heap.upval_mut(u) = Upval::Closed(v),
            Upval::Open { thread, slot } => {
                let st = if thread == self.current { &mut self.stack } else { &mut self.heap.thread_mut(thread).stack };
                if let Some(s) = st.get_mut(slot) {
                    *s = v;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // The interpreter loop
    // ------------------------------------------------------------------------------------------------------------

    /// Run Lua frames from the top frame until the frame at index `entry - 1` returns (or a yield).
    pub(crate) fn execute(&mut self, host: &mut dyn Any, entry: usize) -> Result<Exec, LuaError> {
        'newframe: loop {
            let fi = self.frames.len() - 1;
            let (base, mut pc, func_slot) = {
                let f = &self.frames[fi];
                (f.base, f.pc, f.func)
            };
            let cl: FuncRef = match self.stack.get(func_slot) {
                Some(Value::Func(f)) => *f,
                _ => return Err(self.vm_error("internal error: frame without a function")),
            };
            let (proto, env) = match self.heap.func(cl) {
                Function::Lua(c) => (c.proto.clone(), c.env),
                Function::Native(_) => return Err(self.vm_error("internal error: native frame in execute")),
            };
            let code: &[Instr] = &proto.code;
            let k: &[Value] = &proto.constants;

            macro_rules! reg {
                ($i:expr) => {
                    self.stack[base + ($i) as usize]
                };
            }
            macro_rules! rk {
                ($x:expr) => {{
                    let x = $x;
                    if x & BITRK != 0 {
                        k[(x & !BITRK) as usize]
                    } else {
                        self.stack[base + x as usize]
                    }
                }};
            }
            macro_rules! savepc {
                () => {
                    self.frames[fi].pc = pc
                };
            }
            macro_rules! jump_next {
                () => {{
                    let j = code[pc];
                    pc = (pc as isize + 1 + arg_sbx(j) as isize) as usize;
                }};
            }
            // A binary arithmetic opcode `$i` into register `$a`: two numbers inline, anything else through the
            // metamethod `$tm`. A macro, not a function: each arm keeps its own inline fast path in the dispatch loop.
            // OP_LT or OP_LE (`$i`, expecting `$a`): two numbers compared inline, anything else through `$slow` (the
            // metamethods); the next instruction, a jump, is taken when the result is the one expected.
            macro_rules! order {
                ($i:expr, $a:expr, |$p:ident, $q:ident| $num:expr, $slow:ident) => {{
                    let (b, c) = (arg_b($i), arg_c($i));
                    let r = if let (Some($p), Some($q)) = (rk!(b).as_num(), rk!(c).as_num()) {
                        $num
                    } else {
                        savepc!();
                        let (x, y) = (rk!(b), rk!(c));
                        self.$slow(host, x, y)?
                    };
                    if r == ($a != 0) {
                        jump_next!();
                    } else {
                        pc += 1;
                    }
                }};
            }
            macro_rules! arith {
                ($i:expr, $a:expr, |$x:ident, $y:ident| $num:expr, $tm:expr) => {{
                    let (b, c) = (arg_b($i), arg_c($i));
                    if let (Some($x), Some($y)) = (rk!(b).as_num(), rk!(c).as_num()) {
                        reg!($a) = Value::Num($num);
                    } else {
                        savepc!();
                        let (vx, vy) = (rk!(b), rk!(c));
                        let v = self.arith_slow(host, vx, vy, rk_src(b), rk_src(c), $tm)?;
                        reg!($a) = v;
                    }
                }};
            }

            loop {
                let i = match code.get(pc) {
                    Some(i) => *i,
                    None => return Err(self.vm_error("internal error: pc out of range")),
                };
                pc += 1;
                if self.vm.hook_left <= 1 {
                    self.vm.hook_left = self.hook_interval.max(1);
                    if let Some(h) = self.hook {
                        savepc!();
                        h(self, host)?;
                    }
                } else {
                    self.vm.hook_left -= 1;
                }
                let a = arg_a(i) as usize;
                match op(i) {
                    OP_MOVE => {
                        reg!(a) = reg!(arg_b(i));
                    }
                    OP_LOADK => {
                        reg!(a) = k[arg_bx(i) as usize];
                    }
                    OP_LOADBOOL => {
                        reg!(a) = Value::Bool(arg_b(i) != 0);
                        if arg_c(i) != 0 {
                            pc += 1;
                        }
                    }
                    OP_LOADNIL => {
                        let b = arg_b(i) as usize;
                        for r in a..=b {
                            reg!(r) = Value::Nil;
                        }
                    }
                    OP_GETUPVAL => {
                        let u = match self.heap.func(cl) {
                            Function::Lua(c) => c.upvals[arg_b(i) as usize],
                            Function::Native(_) => continue 'newframe,
                        };
                        reg!(a) = self.get_upval(u);
                    }
                    OP_GETGLOBAL => {
                        let key = k[arg_bx(i) as usize];
                        let v = match key {
                            Value::Str(s) => self.heap.raw_get_str(env, s),
                            _ => self.heap.raw_get(env, key),
                        };
                        if !v.is_nil() || self.heap.metatable(env).is_none() {
                            reg!(a) = v;
                        } else {
                            savepc!();
                            let v = self.get_table(host, Value::Table(env), key, None)?;
                            reg!(a) = v;
                        }
                    }
                    OP_GETTABLE => {
                        let b = arg_b(i);
                        let t = reg!(b);
                        let key = rk!(arg_c(i));
                        if let Value::Table(h) = t {
                            let tab = self.heap.table(h);
                            let v = match key {
                                Value::Str(s) => tab.get_str(s, self.heap.str_hash_of(s)),
                                _ => tab.get(key, 0),
                            };
                            if !v.is_nil() || tab.metatable.is_none() {
                                reg!(a) = v;
                                continue;
                            }
                        }
                        savepc!();
                        let v = self.get_table(host, t, key, Some(b as usize))?;
                        reg!(a) = v;
                    }
                    OP_SETGLOBAL => {
                        let key = k[arg_bx(i) as usize];
                        let v = reg!(a);
                        savepc!();
                        if self.heap.metatable(env).is_none() {
                            self.raw_set_vm(env, key, v)?;
                            self.gc_check()?;
                        } else {
                            self.set_table(host, Value::Table(env), key, v, None)?;
                        }
                    }
                    OP_SETUPVAL => {
                        let u = match self.heap.func(cl) {
                            Function::Lua(c) => c.upvals[arg_b(i) as usize],
                            Function::Native(_) => continue 'newframe,
                        };
                        let v = reg!(a);
                        self.set_upval(u, v);
                    }
                    OP_SETTABLE => {
                        let t = reg!(a);
                        let key = rk!(arg_b(i));
                        let v = rk!(arg_c(i));
                        if let Value::Table(h) = t {
                            let tab = self.heap.table_mut(h);
                            if let Value::Num(n) = key {
                                let idx = n as usize;
                                if idx as f64 == n && idx >= 1 && idx <= tab.array.len() {
                                    let slot = &mut tab.array[idx - 1];
                                    if !slot.is_nil() || tab.metatable.is_none() {
                                        tab.array[idx - 1] = v;
                                        continue;
                                    }
                                }
                            }
                            if tab.metatable.is_none() {
                                savepc!();
                                self.raw_set_vm(h, key, v)?;
                                self.gc_check()?;
                                continue;
                            }
                        }
                        savepc!();
                        self.set_table(host, t, key, v, Some(a))?;
                    }
                    OP_NEWTABLE => {
                        let t = self.heap.new_table(fb2int(arg_b(i)) as usize, fb2int(arg_c(i)) as usize);
                        reg!(a) = Value::Table(t);
                        savepc!();
                        self.gc_check()?;
                    }
                    OP_SELF => {
                        let b = arg_b(i);
                        let t = reg!(b);
                        let key = rk!(arg_c(i));
                        reg!(a + 1) = t;
                        if let (Value::Table(h), Value::Str(s)) = (t, key) {
                            let hash = self.heap.str_hash_of(s);
                            let tab = self.heap.table(h);
                            let v = tab.get_str(s, hash);
                            if !v.is_nil() || tab.metatable.is_none() {
                                reg!(a) = v;
                                continue;
                            }
                            // The usual method lookup: the method lives in the metatable's `__index` table.
                            let mt = tab.metatable;
                            if let Value::Table(idx) = self.fast_tm(mt, Tm::Index) {
                                let v = self.heap.table(idx).get_str(s, hash);
                                if !v.is_nil() {
                                    reg!(a) = v;
                                    continue;
                                }
                            }
                        }
                        savepc!();
                        let v = self.get_table(host, t, key, Some(b as usize))?;
                        reg!(a) = v;
                    }
                    OP_ADD => arith!(i, a, |x, y| x + y, Tm::Add),
                    OP_SUB => arith!(i, a, |x, y| x - y, Tm::Sub),
                    OP_MUL => arith!(i, a, |x, y| x * y, Tm::Mul),
                    OP_DIV => arith!(i, a, |x, y| x / y, Tm::Div),
                    OP_MOD => arith!(i, a, |x, y| num_mod(x, y), Tm::Mod),
                    OP_POW => arith!(i, a, |x, y| x.powf(y), Tm::Pow),
                    OP_UNM => {
                        let b = arg_b(i);
                        let x = reg!(b);
                        if let Value::Num(n) = x {
                            reg!(a) = Value::Num(-n);
                        } else {
                            savepc!();
                            let s = Some(b as usize);
                            let v = self.arith_slow(host, x, x, s, s, Tm::Unm)?;
                            reg!(a) = v;
                        }
                    }
                    OP_NOT => {
                        reg!(a) = Value::Bool(!reg!(arg_b(i)).truthy());
                    }
                    OP_LEN => {
                        let b = arg_b(i);
                        let x = reg!(b);
                        let v = match x {
                            Value::Table(t) => Value::Num(self.heap.table(t).len() as f64),
                            Value::Str(s) => Value::Num(self.heap.str(s).len() as f64),
                            _ => {
                                savepc!();
                                self.len_slow(host, x, Some(b as usize))?
                            }
                        };
                        reg!(a) = v;
                    }
                    OP_CONCAT => {
                        let (b, c) = (arg_b(i) as usize, arg_c(i) as usize);
                        savepc!();
                        self.concat(host, base + b, base + c, base)?;
                        reg!(a) = reg!(b);
                        self.gc_check()?;
                    }
                    OP_JMP => {
                        pc = (pc as isize + arg_sbx(i) as isize) as usize;
                    }
                    OP_EQ => {
                        let (x, y) = (rk!(arg_b(i)), rk!(arg_c(i)));
                        let r = match (x, y) {
                            (Value::Table(p), Value::Table(q)) if p != q => {
                                savepc!();
                                self.equal_val(host, x, y)?
                            }
                            _ => x.raw_eq(y),
                        };
                        if r == (a != 0) {
                            jump_next!();
                        } else {
                            pc += 1;
                        }
                    }
                    OP_LT => order!(i, a, |p, q| p < q, less_than),
                    OP_LE => order!(i, a, |p, q| p <= q, less_equal),
                    OP_TEST => {
                        if reg!(a).truthy() == (arg_c(i) != 0) {
                            jump_next!();
                        } else {
                            pc += 1;
                        }
                    }
                    OP_TESTSET => {
                        let v = reg!(arg_b(i));
                        if v.truthy() == (arg_c(i) != 0) {
                            reg!(a) = v;
                            jump_next!();
                        } else {
                            pc += 1;
                        }
                    }
                    OP_CALL => {
                        let b = arg_b(i) as usize;
                        let nresults = arg_c(i) as i32 - 1;
                        let func = base + a;
                        if b != 0 {
                            self.stack.truncate(func + b);
                        }
                        savepc!();
                        loop {
                            if let Value::Func(f) = self.stack[func] {
                                let native = match self.heap.func(f) {
                                    Function::Lua(_) => None,
                                    Function::Native(n) => Some((n.f, n.name)),
                                };
                                match native {
                                    None => {
                                        self.precall_closure(func, f, nresults)?;
                                        continue 'newframe;
                                    }
                                    Some((nf, name)) => {
                                        if self.call_native(host, func, nf, name, nresults)? {
                                            return Ok(Exec::Yield);
                                        }
                                        if nresults >= 0 {
                                            let top = self.frames[fi].top;
                                            self.set_top(top);
                                        }
                                        // Natives allocate (redis.call's replies, string functions) but cannot
                                        // collect while they hold values in Rust locals: their garbage is
                                        // collected here, with the results rooted on the stack.
                                        self.gc_check()?;
                                        break;
                                    }
                                }
                            }
                            self.insert_call_tm(func, Some(a))?;
                        }
                    }
                    // Same argument set-up as OP_CALL, but the callee takes over this frame instead of a new one.
                    OP_TAILCALL => {
                        let b = arg_b(i) as usize;
                        let func = base + a;
                        if b != 0 {
                            self.stack.truncate(func + b);
                        }
                        savepc!();
                        loop {
                            if let Value::Func(f) = self.stack[func] {
                                match self.heap.func(f) {
                                    Function::Lua(c) => {
                                        let p = c.proto.clone();
                                        self.close_upvals(base);
                                        let fr = self.frames.pop().unwrap_or(Frame {
                                            func: func_slot,
                                            base,
                                            pc,
                                            nresults: -1,
                                            top: base,
                                            tailcalls: 0,
                                            is_lua: true,
                                        });
                                        let n = self.stack.len() - func;
                                        self.stack.copy_within(func..func + n, fr.func);
                                        self.stack.truncate(fr.func + n);
                                        self.precall_lua(fr.func, &p, fr.nresults)?;
                                        if let Some(nf) = self.frames.last_mut() {
                                            nf.tailcalls = fr.tailcalls + 1;
                                        }
                                        continue 'newframe;
                                    }
                                    Function::Native(n) => {
                                        let (nf, name) = (n.f, n.name);
                                        if self.call_native(host, func, nf, name, -1)? {
                                            return Ok(Exec::Yield);
                                        }
                                        break;
                                    }
                                }
                            }
                            self.insert_call_tm(func, Some(a))?;
                        }
                    }
                    OP_RETURN => {
                        let b = arg_b(i) as usize;
                        let ra = base + a;
                        let n = if b != 0 { b - 1 } else { self.stack.len().saturating_sub(ra) };
                        if !self.open_upvals.is_empty() {
                            self.close_upvals(base);
                        }
                        self.stack.truncate(ra + n);
                        let fr = match self.frames.pop() {
                            Some(f) => f,
                            None => return Err(self.vm_error("internal error: no frame to return from")),
                        };
                        self.poscall(fr.func, n, fr.nresults);
                        if self.frames.len() < entry {
                            return Ok(Exec::Done);
                        }
                        if fr.nresults >= 0 {
                            if let Some(caller) = self.frames.last() {
                                let top = caller.top;
                                self.set_top(top);
                            }
                        }
                        continue 'newframe;
                    }
                    OP_FORLOOP => {
                        if let (Some(idx), Some(limit), Some(step)) =
                            (reg!(a).as_num(), reg!(a + 1).as_num(), reg!(a + 2).as_num())
                        {
                            let idx = idx + step;
                            let go = if step > 0.0 { idx <= limit } else { limit <= idx };
                            if go {
                                pc = (pc as isize + arg_sbx(i) as isize) as usize;
                                reg!(a) = Value::Num(idx);
                                reg!(a + 3) = Value::Num(idx);
                            }
                        }
                    }
                    OP_FORPREP => {
                        savepc!();
                        let init = self.to_number(reg!(a));
                        let Some(init) = init else {
                            return Err(self.vm_error("'for' initial value must be a number"));
                        };
                        let Some(limit) = self.to_number(reg!(a + 1)) else {
                            return Err(self.vm_error("'for' limit must be a number"));
                        };
                        let Some(step) = self.to_number(reg!(a + 2)) else {
                            return Err(self.vm_error("'for' step must be a number"));
                        };
                        reg!(a + 1) = Value::Num(limit);
                        reg!(a + 2) = Value::Num(step);
                        reg!(a) = Value::Num(init - step);
                        pc = (pc as isize + arg_sbx(i) as isize) as usize;
                    }
                    OP_TFORLOOP => {
                        let cb = base + a + 3;
                        let nres = arg_c(i) as i32;
                        self.set_top(cb + 3);
                        self.stack[cb] = reg!(a);
                        self.stack[cb + 1] = reg!(a + 1);
                        self.stack[cb + 2] = reg!(a + 2);
                        savepc!();
                        self.call_at(host, cb, nres)?;
                        let top = self.frames[fi].top;
                        self.set_top(top);
                        let v = self.stack[cb];
                        if !v.is_nil() {
                            self.stack[cb - 1] = v;
                            jump_next!();
                        } else {
                            pc += 1;
                        }
                    }
                    OP_SETLIST => {
                        let b = arg_b(i) as usize;
                        let ra = base + a;
                        let n = if b == 0 { self.stack.len().saturating_sub(ra + 1) } else { b };
                        let mut c = arg_c(i) as usize;
                        if c == 0 {
                            c = code.get(pc).copied().unwrap_or(0) as usize;
                            pc += 1;
                        }
                        if let Value::Table(t) = reg!(a) {
                            let first = (c.saturating_sub(1)) * FIELDS_PER_FLUSH as usize;
                            let last = first + n;
                            let before = self.heap.table(t).mem_size();
                            if last > self.heap.table(t).array.len() {
                                self.heap.table_mut(t).resize_array(last);
                            }
                            let tab = self.heap.table_mut(t);
                            for j in 1..=n {
                                tab.array[first + j - 1] = self.stack[ra + j];
                            }
                            let after = tab.mem_size();
                            self.heap.bytes = (self.heap.bytes + after).saturating_sub(before);
                        }
                        if b == 0 {
                            let top = self.frames[fi].top;
                            self.set_top(top);
                        }
                        savepc!();
                        self.gc_check()?;
                    }
                    OP_CLOSE => {
                        self.close_upvals(base + a);
                    }
                    OP_CLOSURE => {
                        let p = match proto.protos.get(arg_bx(i) as usize) {
                            Some(p) => p.clone(),
                            None => return Err(self.vm_error("internal error: bad CLOSURE")),
                        };
                        let nup = p.num_upvalues as usize;
                        let mut ups = Vec::with_capacity(nup);
                        for _ in 0..nup {
                            let pi = code.get(pc).copied().unwrap_or(0);
                            pc += 1;
                            if op(pi) == OP_GETUPVAL {
                                let u = match self.heap.func(cl) {
                                    Function::Lua(c) => c.upvals[arg_b(pi) as usize],
                                    Function::Native(_) => continue 'newframe,
                                };
                                ups.push(u);
                            } else {
                                ups.push(self.find_upval(base + arg_b(pi) as usize));
                            }
                        }
                        let f = self.heap.new_function(Function::Lua(LuaClosure {
                            proto: p,
                            upvals: ups.into_boxed_slice(),
                            env,
                        }));
                        reg!(a) = Value::Func(f);
                        savepc!();
                        self.gc_check()?;
                    }
                    OP_VARARG => {
                        let b = arg_b(i) as i32 - 1;
                        let ra = base + a;
                        let n = (base - func_slot - 1).saturating_sub(proto.num_params as usize);
                        if b < 0 {
                            if ra + n > MAX_STACK_SLOTS {
                                savepc!();
                                return Err(self.vm_error("stack overflow"));
                            }
                            self.set_top(ra + n);
                            for j in 0..n {
                                self.stack[ra + j] = self.stack[base - n + j];
                            }
                        } else {
                            for j in 0..b as usize {
                                self.stack[ra + j] = if j < n { self.stack[base - n + j] } else { Value::Nil };
                            }
                        }
                    }
                    _ => {
                        savepc!();
                        return Err(self.vm_error("internal error: bad opcode"));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
