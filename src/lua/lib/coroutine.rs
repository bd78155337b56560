//! The `coroutine` library (Lua 5.1's `lbaselib.c` coroutine functions): create, resume, yield, status, wrap,
//! running. The switching itself is the VM's ([`Lua::resume`], [`Lua::yield_values`]); this file is the
//! argument checking and the result conventions.
//!
//! Tested by the VM's unit tests (`vm.rs`, coroutine section) and the Lua corpus.

use std::any::Any;

use crate::lua::heap::Function;
use crate::lua::value::{LuaError, ThreadRef, Value};
use crate::lua::Lua;

/// Register the library as the global table `coroutine`.
pub fn open(l: &mut Lua) {
    let t = l.new_table(0, 8);
    l.register(t, "create", create);
    l.register(t, "resume", resume);
    l.register(t, "yield", yield_);
    l.register(t, "status", status);
    l.register(t, "wrap", wrap);
    l.register(t, "running", running);
    l.set_global("coroutine", Value::Table(t));
}

fn check_co(l: &mut Lua, i: usize) -> Result<ThreadRef, LuaError> {
    match l.arg(i) {
        Value::Thread(t) => Ok(t),
        _ => Err(l.arg_error(i, "coroutine expected")),
    }
}

fn new_co(l: &mut Lua) -> Result<ThreadRef, LuaError> {
    let f = l.arg(1);
    let is_lua = match f {
        Value::Func(r) => matches!(l.heap.func(r), Function::Lua(_)),
        _ => false,
    };
    if !is_lua {
        return Err(l.arg_error(1, "Lua function expected"));
    }
    Ok(l.new_thread(f))
}

/// `coroutine.create(f)`.
fn create(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let co = new_co(l)?;
    l.push(Value::Thread(co));
    Ok(1)
}

/// `coroutine.resume(co, ...)`: `true, values...` or `false, message`.
fn resume(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let co = check_co(l, 1)?;
    let args: Vec<Value> = l.stack.get(l.base + 1..).map(|s| s.to_vec()).unwrap_or_default();
    match l.resume(host, co, &args)? {
        Ok(vals) => {
            l.push(Value::Bool(true));
            let n = vals.len();
            l.stack.extend_from_slice(&vals);
            Ok(n + 1)
        }
        Err(e) => {
            l.push(Value::Bool(false));
            l.push(e);
            Ok(2)
        }
    }
}

/// `coroutine.yield(...)`.
fn yield_(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    l.yield_values(n)
}

/// `coroutine.status(co)`.
fn status(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let co = check_co(l, 1)?;
    let s = l.thread_status(co);
    l.push_str(s.as_bytes());
    Ok(1)
}

/// `coroutine.running()`: the running coroutine, or nil in the main thread.
fn running(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    if l.current == l.main_thread {
        l.push(Value::Nil);
    } else {
        l.push(Value::Thread(l.current));
    }
    Ok(1)
}

/// `coroutine.wrap(f)`: a function that resumes a new coroutine and raises its errors.
fn wrap(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let co = new_co(l)?;
    let f = l.new_native("wrap", wrapped, vec![Value::Thread(co)]);
    l.push(f);
    Ok(1)
}

/// The thread a `wrap` function keeps as its upvalue (the native's function value sits just below its
/// arguments).
fn wrapped_thread(l: &Lua) -> Value {
    let f = l.base.checked_sub(1).and_then(|i| l.stack.get(i)).copied();
    match f {
        Some(Value::Func(f)) => match l.heap.func(f) {
            Function::Native(c) => c.upvals.first().copied().unwrap_or(Value::Nil),
            Function::Lua(_) => Value::Nil,
        },
        _ => Value::Nil,
    }
}

fn wrapped(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let Value::Thread(co) = wrapped_thread(l) else {
        return Err(l.runtime_error("wrapped coroutine lost its thread"));
    };
    let args: Vec<Value> = l.stack.get(l.base..).map(|s| s.to_vec()).unwrap_or_default();
    match l.resume(host, co, &args)? {
        Ok(vals) => {
            let n = vals.len();
            l.stack.extend_from_slice(&vals);
            Ok(n)
        }
        Err(e) => {
            // A string (or number) error gets the caller's position, as `auxwrap` does.
            let e = match l.to_bytes(e) {
                Some(text) => {
                    let mut s = l.where_prefix(1).into_bytes();
                    s.extend_from_slice(&text);
                    l.new_string(s)
                }
                None => e,
            };
            Err(l.error_value(e))
        }
    }
}
