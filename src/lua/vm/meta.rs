//! Metamethods (`ltm.c` and the slow paths of `lvm.c`): the cached metamethod lookup, table access through
//! `__index`/`__newindex` chains, arithmetic, comparison and length fallbacks, and `concat`.

use super::{arith_num, Src, MAX_TAG_LOOP};
use crate::lua::heap::Tm;
use crate::lua::number;
use crate::lua::value::{LuaError, TableRef, Value};
use crate::lua::{Lua, MAX_STRING_LEN};
use std::any::Any;

impl Lua {
    // ------------------------------------------------------------------------------------------------------------
    // Metamethods
    // ------------------------------------------------------------------------------------------------------------

    /// `fasttm`: a metamethod of metatable `mt`, caching absence in the table's flags for the first events.
    #[inline]
    pub(super) fn fast_tm(&mut self, mt: Option<TableRef>, tm: Tm) -> Value {
        let Some(mt) = mt else { return Value::Nil };
        let bit = 1u8 << (tm as u8);
        if self.heap.table(mt).flags & bit != 0 {
            return Value::Nil;
        }
        let name = self.heap.tm_name(tm);
        let v = self.heap.raw_get_str(mt, name);
        if v.is_nil() {
            self.heap.table_mut(mt).flags |= bit;
        }
        v
    }

    /// `luaT_gettmbyobj`.
    pub fn tm_of(&self, v: Value, tm: Tm) -> Value {
        match self.get_metatable(v) {
            Some(mt) => self.heap.raw_get_str(mt, self.heap.tm_name(tm)),
            None => Value::Nil,
        }
    }

    /// `callTMres`: `f(a, b)`, one result.
    pub(super) fn call_tm_res(&mut self, host: &mut dyn Any, f: Value, a: Value, b: Value) -> Result<Value, LuaError> {
        let pos = self.stack.len();
        self.stack.push(f);
        self.stack.push(a);
        self.stack.push(b);
        self.call_at(host, pos, 1)?;
        let r = self.stack.get(pos).copied().unwrap_or(Value::Nil);
        self.stack.truncate(pos);
        Ok(r)
    }

    /// `call_binTM`: the metamethod of `a` or else of `b`, called with both; `None` when neither has one.
    pub(super) fn call_bin_tm(
        &mut self,
        host: &mut dyn Any,
        a: Value,
        b: Value,
        tm: Tm,
    ) -> Result<Option<Value>, LuaError> {
        let mut f = self.tm_of(a, tm);
        if f.is_nil() {
            f = self.tm_of(b, tm);
        }
        if f.is_nil() {
            return Ok(None);
        }
        self.call_tm_res(host, f, a, b).map(Some)
    }

    /// `call_orderTM`: both operands must share the metamethod.
    pub(super) fn order_tm(
        &mut self,
        host: &mut dyn Any,
        a: Value,
        b: Value,
        tm: Tm,
    ) -> Result<Option<bool>, LuaError> {
        let f1 = self.tm_of(a, tm);
        if f1.is_nil() {
            return Ok(None);
        }
        let f2 = self.tm_of(b, tm);
        if !f1.raw_eq(f2) {
            return Ok(None);
        }
        Ok(Some(self.call_tm_res(host, f1, a, b)?.truthy()))
    }

    /// `luaV_equalval` for two values of the same type.
    pub(super) fn equal_val(&mut self, host: &mut dyn Any, a: Value, b: Value) -> Result<bool, LuaError> {
        match (a, b) {
            (Value::Table(x), Value::Table(y)) => {
                if x == y {
                    return Ok(true);
                }
                let (m1, m2) = (self.heap.metatable(x), self.heap.metatable(y));
                let f1 = self.fast_tm(m1, Tm::Eq);
                if f1.is_nil() {
                    return Ok(false);
                }
                if m1 != m2 {
                    let f2 = self.fast_tm(m2, Tm::Eq);
                    if !f1.raw_eq(f2) {
                        return Ok(false);
                    }
                }
                Ok(self.call_tm_res(host, f1, a, b)?.truthy())
            }
            _ => Ok(a.raw_eq(b)),
        }
    }

    /// `luaV_gettable`. `src` names the register holding `t` for error messages.
    pub(crate) fn get_table(&mut self, host: &mut dyn Any, t: Value, k: Value, src: Src) -> Result<Value, LuaError> {
        let mut t = t;
        let mut src = src;
        for _ in 0..MAX_TAG_LOOP {
            let tm;
            if let Value::Table(h) = t {
                let v = self.heap.raw_get(h, k);
                if !v.is_nil() {
                    return Ok(v);
                }
                let mt = self.heap.metatable(h);
                tm = self.fast_tm(mt, Tm::Index);
                if tm.is_nil() {
                    return Ok(Value::Nil);
                }
            } else {
                tm = self.tm_of(t, Tm::Index);
                if tm.is_nil() {
                    return Err(self.op_type_error(t, src, "index"));
                }
            }
            if let Value::Func(_) = tm {
                return self.call_tm_res(host, tm, t, k);
            }
            t = tm;
            src = None;
        }
        Err(self.vm_error("loop in gettable"))
    }

    /// `luaV_settable`.
    pub(crate) fn set_table(
        &mut self,
        host: &mut dyn Any,
        t: Value,
        k: Value,
        v: Value,
        src: Src,
    ) -> Result<(), LuaError> {
        let mut t = t;
        let mut src = src;
        for _ in 0..MAX_TAG_LOOP {
            let tm;
            if let Value::Table(h) = t {
                let old = self.heap.raw_get(h, k);
                let mt = self.heap.metatable(h);
                let f = if old.is_nil() { self.fast_tm(mt, Tm::NewIndex) } else { Value::Nil };
                if f.is_nil() {
                    self.raw_set_vm(h, k, v)?;
                    return self.gc_check();
                }
                tm = f;
            } else {
                tm = self.tm_of(t, Tm::NewIndex);
                if tm.is_nil() {
                    return Err(self.op_type_error(t, src, "index"));
                }
            }
            if let Value::Func(_) = tm {
                let pos = self.stack.len();
                self.stack.push(tm);
                self.stack.push(t);
                self.stack.push(k);
                self.stack.push(v);
                self.call_at(host, pos, 0)?;
                self.stack.truncate(pos);
                return Ok(());
            }
            t = tm;
            src = None;
        }
        Err(self.vm_error("loop in settable"))
    }

    /// A raw set whose key errors are reported at the running instruction.
    #[inline]
    pub(super) fn raw_set_vm(&mut self, t: TableRef, k: Value, v: Value) -> Result<(), LuaError> {
        match self.heap.raw_set(t, k, v) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.vm_error(e.message())),
        }
    }

    /// Arithmetic on non-numbers: string coercion, then the metamethod, then the error.
    pub(super) fn arith_slow(
        &mut self,
        host: &mut dyn Any,
        a: Value,
        b: Value,
        sa: Src,
        sb: Src,
        tm: Tm,
    ) -> Result<Value, LuaError> {
        if let (Some(x), Some(y)) = (self.to_number(a), self.to_number(b)) {
            return Ok(Value::Num(arith_num(tm, x, y)));
        }
        if let Some(v) = self.call_bin_tm(host, a, b, tm)? {
            return Ok(v);
        }
        // `luaG_aritherror`: blame the first operand that is not a number.
        if self.to_number(a).is_none() {
            Err(self.op_type_error(a, sa, "perform arithmetic on"))
        } else {
            Err(self.op_type_error(b, sb, "perform arithmetic on"))
        }
    }

    /// `#v` for values that are not tables or strings, and the error.
    pub(super) fn len_slow(&mut self, host: &mut dyn Any, v: Value, src: Src) -> Result<Value, LuaError> {
        match v {
            Value::Str(s) => Ok(Value::Num(self.heap.str(s).len() as f64)),
            Value::Table(t) => Ok(Value::Num(self.heap.table(t).len() as f64)),
            _ => match self.call_bin_tm(host, v, Value::Nil, Tm::Len)? {
                Some(r) => Ok(r),
                None => Err(self.op_type_error(v, src, "get length of")),
            },
        }
    }

    /// `luaV_concat` over `stack[first..=last]` (absolute slots); the result lands in `stack[first]`.
    pub(super) fn concat(
        &mut self,
        host: &mut dyn Any,
        first: usize,
        last: usize,
        base: usize,
    ) -> Result<(), LuaError> {
        let mut total = last - first + 1;
        let mut last = last;
        let is_strnum = |v: Value| matches!(v, Value::Str(_) | Value::Num(_));
        while total > 1 {
            let top = last + 1;
            let a = self.stack[top - 2];
            let b = self.stack[top - 1];
            let mut n = 2;
            if !is_strnum(a) || !is_strnum(b) {
                match self.call_bin_tm(host, a, b, Tm::Concat)? {
                    Some(v) => self.stack[top - 2] = v,
                    None => {
                        let (bad, slot) = if is_strnum(a) { (b, top - 1) } else { (a, top - 2) };
                        return Err(self.op_type_error(bad, Some(slot - base), "concatenate"));
                    }
                }
            } else if matches!(b, Value::Str(s) if self.heap.str(s).is_empty()) {
                if let Value::Num(x) = a {
                    self.stack[top - 2] = self.new_string(number::num_to_bytes(x));
                }
            } else {
                // Gather as many string/number operands as possible.
                let mut len = 0usize;
                n = 0;
                while n < total {
                    let v = self.stack[top - 1 - n];
                    match v {
                        Value::Str(s) => len += self.heap.str(s).len(),
                        Value::Num(_) => len += 24,
                        _ => break,
                    }
                    n += 1;
                }
                if len > MAX_STRING_LEN {
                    return Err(self.vm_error("string length overflow"));
                }
                let mut buf = std::mem::take(&mut self.vm.buf);
                buf.clear();
                for j in (top - n)..top {
                    match self.stack[j] {
                        Value::Str(s) => buf.extend_from_slice(self.heap.str(s)),
                        Value::Num(x) => number::fmt_num(x, &mut buf),
                        _ => {}
                    }
                }
                if buf.len() > MAX_STRING_LEN {
                    self.vm.buf = buf;
                    return Err(self.vm_error("string length overflow"));
                }
                let s = self.heap.intern(&buf);
                if buf.capacity() > 1 << 16 {
                    buf = Vec::new();
                }
                self.vm.buf = buf;
                self.stack[top - n] = Value::Str(s);
            }
            total -= n - 1;
            last -= n - 1;
        }
        Ok(())
    }
}
