//! The register VM. PLACEHOLDER SKELETON: the VM work replaces every body marked `todo!` below and may
//! extend `Frame`; the signatures are the interface other modules are written against.

use std::any::Any;

use super::value::{LuaError, Value};
use super::Lua;

/// One activation record of the running thread.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Stack slot of the called function; its registers start at `base`.
    pub func: usize,
    pub base: usize,
    /// Next instruction (Lua functions).
    pub pc: usize,
    /// Results the caller wants (-1: all).
    pub nresults: i32,
}

impl Frame {
    /// Push the values this frame keeps outside the stack (none beyond the stack today).
    pub fn mark(&self, _gray: &mut Vec<Value>) {}
}

impl Lua {
    /// Compile `source` as a chunk named `chunkname` (for example `@user_script`) into a function whose
    /// environment is the globals table. A syntax error is an `ErrorKind::Syntax` error whose value is the
    /// message ("user_script:1: '=' expected near 'x'").
    pub fn load(&mut self, _source: &[u8], _chunkname: &str) -> Result<Value, LuaError> {
        todo!()
    }

    /// Call `f` with `args`, returning all its results. Errors (including runtime errors raised by metamethods
    /// and native functions) come back as `Err`; the stack is restored to its height before the call.
    pub fn call(&mut self, _host: &mut dyn Any, _f: Value, _args: &[Value]) -> Result<Vec<Value>, LuaError> {
        todo!()
    }

    /// Stack-based call (`lua_call`): the function is at `stack[func]`, its arguments above it up to the top.
    /// Afterwards the results replace them (all of them when `nresults` is -1, else exactly `nresults`).
    pub fn call_at(&mut self, _host: &mut dyn Any, _func: usize, _nresults: i32) -> Result<(), LuaError> {
        todo!()
    }

    /// `t[k]` with `__index` metamethods (any value `t`).
    pub fn index(&mut self, _host: &mut dyn Any, _t: Value, _k: Value) -> Result<Value, LuaError> {
        todo!()
    }

    /// `t[k] = v` with `__newindex` metamethods.
    pub fn set_index(&mut self, _host: &mut dyn Any, _t: Value, _k: Value, _v: Value) -> Result<(), LuaError> {
        todo!()
    }

    /// `tostring(v)` including `__tostring` (the base library's `tostring`).
    pub fn tostring(&mut self, _host: &mut dyn Any, _v: Value) -> Result<Value, LuaError> {
        todo!()
    }

    /// `a == b` with `__eq`.
    pub fn equals(&mut self, _host: &mut dyn Any, _a: Value, _b: Value) -> Result<bool, LuaError> {
        todo!()
    }

    /// `a < b` with `__lt` ("attempt to compare ..." errors).
    pub fn less_than(&mut self, _host: &mut dyn Any, _a: Value, _b: Value) -> Result<bool, LuaError> {
        todo!()
    }

    /// The metatable of any value (tables: their own; strings: the string metatable; others: none).
    pub fn get_metatable(&self, _v: Value) -> Option<super::value::TableRef> {
        todo!()
    }

    /// "chunk:line: " for the function `level` levels up the call stack (1 = the Lua function that called the
    /// running native function), or "" when that level is not a Lua function (`luaL_where`).
    pub fn where_prefix(&self, _level: usize) -> String {
        todo!()
    }

    /// Collect if the allocation debt calls for it, and enforce the heap limit. The VM calls this at its safe
    /// points; natives that allocate a lot may call it only before they hold values in Rust locals.
    pub fn gc_check(&mut self) -> Result<(), LuaError> {
        todo!()
    }
}
