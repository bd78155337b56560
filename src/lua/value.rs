//! Lua values: a 16-byte `Copy` enum whose heap objects are indices into the arenas of [`super::heap::Heap`].
//!
//! Invariants:
//! - Strings are interned (one object per distinct byte string), so string equality is index equality and a
//!   string key hashes without touching its bytes (the hash is cached in the table node).
//! - A reference is valid while the object is reachable from a root (see `heap.rs`); the collector only runs at
//!   the VM's safe points, so a native function may hold references in Rust locals as long as it does not call
//!   back into Lua (anything it must keep across [`Lua::call`](crate::lua::Lua::call) belongs on the stack).

use std::fmt;

/// An interned string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct StrRef(pub(crate) u32);
/// A table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TableRef(pub(crate) u32);
/// A function: a Lua closure or a native function with its upvalues.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FuncRef(pub(crate) u32);
/// A coroutine.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ThreadRef(pub(crate) u32);
/// An upvalue cell (open: a stack slot of some thread; closed: its own value).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UpvalRef(pub(crate) u32);

#[derive(Clone, Copy, Debug, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Num(f64),
    Str(StrRef),
    Table(TableRef),
    Func(FuncRef),
    /// A bare pointer-sized value with no metatable (cjson.null is `LightUserData(0)`).
    LightUserData(usize),
    Thread(ThreadRef),
}

impl Value {
    #[inline]
    pub fn is_nil(self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Lua truthiness: only `nil` and `false` are false.
    #[inline]
    pub fn truthy(self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// `lua_rawequal`: primitive equality, no metamethods. NaN is not equal to itself.
    #[inline]
    pub fn raw_eq(self, other: Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Num(a), Value::Num(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Table(a), Value::Table(b)) => a == b,
            (Value::Func(a), Value::Func(b)) => a == b,
            (Value::LightUserData(a), Value::LightUserData(b)) => a == b,
            (Value::Thread(a), Value::Thread(b)) => a == b,
            _ => false,
        }
    }

    /// The name `type()` returns.
    pub fn type_name(self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::Table(_) => "table",
            Value::Func(_) => "function",
            Value::LightUserData(_) => "userdata",
            Value::Thread(_) => "thread",
        }
    }

    #[inline]
    pub fn as_num(self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(n),
            _ => None,
        }
    }
}

/// How an error unwinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `error()` or a runtime error; `pcall` catches it.
    Runtime,
    /// A compile error from `load`/`loadstring`.
    Syntax,
    /// The heap limit was reached ("not enough memory"); `pcall` catches it, as Lua 5.1 does.
    Memory,
    /// An error while running an error handler (`xpcall`).
    ErrorHandler,
    /// The host stopped the script (SCRIPT KILL, FUNCTION KILL, shutdown): no `pcall` catches it.
    Killed,
}

/// A Lua error in flight: any value (usually a string with position information) and how it unwinds.
#[derive(Clone, Copy, Debug)]
pub struct LuaError {
    pub kind: ErrorKind,
    pub value: Value,
}

impl LuaError {
    pub fn new(kind: ErrorKind, value: Value) -> LuaError {
        LuaError { kind, value }
    }

    /// Whether `pcall`/`xpcall` may catch this error.
    pub fn catchable(&self) -> bool {
        self.kind != ErrorKind::Killed
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Runtime => "runtime error",
            ErrorKind::Syntax => "syntax error",
            ErrorKind::Memory => "memory error",
            ErrorKind::ErrorHandler => "error in error handling",
            ErrorKind::Killed => "killed",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_compact() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn raw_equality() {
        assert!(Value::Num(1.0).raw_eq(Value::Num(1.0)));
        assert!(!Value::Num(f64::NAN).raw_eq(Value::Num(f64::NAN)));
        assert!(!Value::Num(0.0).raw_eq(Value::Bool(false)));
        assert!(Value::Str(StrRef(3)).raw_eq(Value::Str(StrRef(3))));
        assert!(!Value::Nil.truthy() && !Value::Bool(false).truthy() && Value::Num(0.0).truthy());
    }
}
