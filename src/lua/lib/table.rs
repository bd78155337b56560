//! The `table` library (Lua 5.1.5's `ltablib.c`): concat, foreach, foreachi, getn, insert, maxn, remove, setn,
//! sort.
//!
//! `sort` is a line-by-line port of `auxsort` (median of three, the same partition loop and the same recursion
//! on the smaller half), so the order in which the comparison function is called, and therefore the result for
//! ties and for inconsistent comparators, is the reference interpreter's. Values that must survive a call into
//! Lua (the pivot, `a[i]`, `a[j]`) live in stack slots, as they do in C, so a comparator that empties the table
//! and forces a collection cannot leave dangling references.
//!
//! Tested by `tests/scripting/lua_stdlib.rs`.

use std::any::Any;

use super::{check_alloc, check_int, opt_int};
use crate::lua::value::{LuaError, TableRef, Value};
use crate::lua::Lua;

pub fn open(l: &mut Lua) {
    let t = l.new_table(0, 12);
    l.register(t, "concat", concat);
    l.register(t, "foreach", foreach);
    l.register(t, "foreachi", foreachi);
    l.register(t, "getn", getn);
    l.register(t, "maxn", maxn);
    l.register(t, "insert", insert);
    l.register(t, "remove", remove);
    l.register(t, "setn", setn);
    l.register(t, "sort", sort);
    l.set_global("table", Value::Table(t));
}

/// `aux_getn`: the table argument and its length (`#`, no metamethods in 5.1).
fn aux_getn(l: &mut Lua, i: usize) -> Result<(TableRef, i32), LuaError> {
    let t = l.check_table(i)?;
    Ok((t, l.raw_len(t) as i32))
}

/// How often the long loops of `insert` check the heap limit.
const LIMIT_CHECK_EVERY: i64 = 4096;

fn getn(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let (_, n) = aux_getn(l, 1)?;
    l.push(Value::Num(n as f64));
    Ok(1)
}

fn setn(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    l.check_table(1)?;
    Err(l.runtime_error("'setn' is obsolete"))
}

fn maxn(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let mut max = 0.0f64;
    let mut k = Value::Nil;
    while let Some((key, _)) = l.next(t, k)? {
        if let Value::Num(v) = key {
            if v > max {
                max = v;
            }
        }
        k = key;
    }
    l.push(Value::Num(max));
    Ok(1)
}

fn insert(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let (t, n) = aux_getn(l, 1)?;
    let mut e = n.wrapping_add(1);
    let pos = match l.nargs() {
        2 => e,
        3 => {
            let pos = check_int(l, 2)?;
            if pos > e {
                e = pos;
            }
            let mut i = e as i64;
            while i > pos as i64 {
                let v = l.raw_get_int(t, i - 1);
                l.raw_set_int(t, i, v)?;
                if i % LIMIT_CHECK_EVERY == 0 {
                    check_alloc(l, 0)?;
                }
                i -= 1;
            }
            pos
        }
        _ => return Err(l.runtime_error("wrong number of arguments to 'insert'")),
    };
    let v = l.arg(l.nargs());
    l.raw_set_int(t, pos as i64, v)?;
    Ok(0)
}

fn remove(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let (t, e) = aux_getn(l, 1)?;
    let pos = opt_int(l, 2, e)?;
    if !(1 <= pos && pos <= e) {
        return Ok(0);
    }
    let removed = l.raw_get_int(t, pos as i64);
    l.push(removed);
    let mut p = pos as i64;
    while p < e as i64 {
        let v = l.raw_get_int(t, p + 1);
        l.raw_set_int(t, p, v)?;
        p += 1;
    }
    l.raw_set_int(t, e as i64, Value::Nil)?;
    Ok(1)
}

fn concat(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let sep = match l.opt_str(2)? {
        Some(s) => l.heap.str(s).to_vec(),
        None => Vec::new(),
    };
    let t = l.check_table(1)?;
    let mut i = opt_int(l, 3, 1)? as i64;
    let last = if l.arg(4).is_nil() { l.raw_len(t) as i32 } else { check_int(l, 4)? } as i64;
    let mut out = Vec::new();
    let limit = crate::lua::MAX_STRING_LEN.min(l.heap.limit.saturating_sub(l.heap.bytes));
    while i <= last {
        match l.raw_get_int(t, i) {
            Value::Str(s) => out.extend_from_slice(l.heap.str(s)),
            Value::Num(x) => crate::lua::number::fmt_num(x, &mut out),
            other => {
                let msg = format!("invalid value ({}) at index {i} in table for 'concat'", other.type_name());
                return Err(l.runtime_error(&msg));
            }
        }
        if i < last {
            out.extend_from_slice(&sep);
        }
        if out.len() > limit {
            check_alloc(l, usize::MAX)?;
        }
        i += 1;
    }
    let v = l.new_string(out);
    l.push(v);
    Ok(1)
}

fn check_function(l: &mut Lua, i: usize) -> Result<Value, LuaError> {
    match l.arg(i) {
        v @ Value::Func(_) => Ok(v),
        _ => Err(l.type_error(i, "function")),
    }
}

/// Call `f(a, b)` with one result, on the stack.
fn call2(l: &mut Lua, host: &mut dyn Any, f: Value, a: Value, b: Value) -> Result<Value, LuaError> {
    let func = l.stack.len();
    l.push(f);
    l.push(a);
    l.push(b);
    l.call_at(host, func, 1)?;
    let r = l.stack.get(func).copied().unwrap_or(Value::Nil);
    l.stack.truncate(func);
    Ok(r)
}

fn foreachi(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let (t, n) = aux_getn(l, 1)?;
    let f = check_function(l, 2)?;
    for i in 1..=n as i64 {
        let v = l.raw_get_int(t, i);
        let r = call2(l, host, f, Value::Num(i as f64), v)?;
        if !r.is_nil() {
            l.push(r);
            return Ok(1);
        }
    }
    Ok(0)
}

fn foreach(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let f = check_function(l, 2)?;
    // The current key stays on the stack (a root) while the function runs.
    let slot = l.stack.len();
    l.push(Value::Nil);
    loop {
        let k = l.stack.get(slot).copied().unwrap_or(Value::Nil);
        let Some((k, v)) = l.next(t, k)? else { break };
        if let Some(s) = l.stack.get_mut(slot) {
            *s = k;
        }
        let r = call2(l, host, f, k, v)?;
        if !r.is_nil() {
            l.stack.truncate(slot);
            l.push(r);
            return Ok(1);
        }
    }
    l.stack.truncate(slot);
    Ok(0)
}

// ---- sort ----

/// The sort's working state: the table, the comparator (nil: `<`), and three stack slots that root the pivot
/// and the two elements being compared or swapped.
struct Sorter {
    t: TableRef,
    cmp: Value,
    slot: usize,
}

const PIVOT: usize = 0;
const AI: usize = 1;
const AJ: usize = 2;

impl Sorter {
    fn get(&self, l: &Lua, k: usize) -> Value {
        l.stack.get(self.slot + k).copied().unwrap_or(Value::Nil)
    }

    fn put(&self, l: &mut Lua, k: usize, v: Value) {
        if let Some(s) = l.stack.get_mut(self.slot + k) {
            *s = v;
        }
    }

    /// `sort_comp(a, b)`: is `a < b`?
    fn lt(&self, l: &mut Lua, host: &mut dyn Any, a: Value, b: Value) -> Result<bool, LuaError> {
        if self.cmp.is_nil() {
            l.less_than(host, a, b)
        } else {
            Ok(call2(l, host, self.cmp, a, b)?.truthy())
        }
    }

    fn geti(&self, l: &Lua, i: i32) -> Value {
        l.raw_get_int(self.t, i as i64)
    }

    fn seti(&self, l: &mut Lua, i: i32, v: Value) -> Result<(), LuaError> {
        l.raw_set_int(self.t, i as i64, v)
    }

    fn order_error(l: &mut Lua) -> LuaError {
        l.runtime_error("invalid order function for sorting")
    }

    fn auxsort(&self, l: &mut Lua, host: &mut dyn Any, mut lo: i32, mut up: i32) -> Result<(), LuaError> {
        while lo < up {
            // Sort a[lo], a[(lo+up)/2] and a[up].
            let (a_lo, a_up) = (self.geti(l, lo), self.geti(l, up));
            self.put(l, AI, a_lo);
            self.put(l, AJ, a_up);
            if self.lt(l, host, a_up, a_lo)? {
                self.seti(l, lo, a_up)?;
                self.seti(l, up, a_lo)?;
            }
            if up - lo == 1 {
                break;
            }
            let mut i = lo + (up - lo) / 2;
            let (a_i, a_lo) = (self.geti(l, i), self.geti(l, lo));
            self.put(l, AI, a_i);
            self.put(l, AJ, a_lo);
            if self.lt(l, host, a_i, a_lo)? {
                self.seti(l, i, a_lo)?;
                self.seti(l, lo, a_i)?;
            } else {
                let a_up = self.geti(l, up);
                self.put(l, AJ, a_up);
                if self.lt(l, host, a_up, a_i)? {
                    self.seti(l, i, a_up)?;
                    self.seti(l, up, a_i)?;
                }
            }
            if up - lo == 2 {
                break;
            }
            let p = self.geti(l, i);
            self.put(l, PIVOT, p);
            let a_um1 = self.geti(l, up - 1);
            self.seti(l, i, a_um1)?;
            self.seti(l, up - 1, p)?;
            // a[lo] <= P == a[up-1] <= a[up]: partition lo+1 .. up-2.
            i = lo;
            let mut j = up - 1;
            loop {
                // Repeat ++i while a[i] < P.
                loop {
                    i += 1;
                    let ai = self.geti(l, i);
                    self.put(l, AI, ai);
                    let p = self.get(l, PIVOT);
                    if !self.lt(l, host, ai, p)? {
                        break;
                    }
                    if i > up {
                        return Err(Self::order_error(l));
                    }
                }
                // Repeat --j while P < a[j].
                loop {
                    j -= 1;
                    let aj = self.geti(l, j);
                    self.put(l, AJ, aj);
                    let p = self.get(l, PIVOT);
                    if !self.lt(l, host, p, aj)? {
                        break;
                    }
                    if j < lo {
                        return Err(Self::order_error(l));
                    }
                }
                if j < i {
                    break;
                }
                let (ai, aj) = (self.get(l, AI), self.get(l, AJ));
                self.seti(l, i, aj)?;
                self.seti(l, j, ai)?;
            }
            let (a_um1, a_i) = (self.geti(l, up - 1), self.geti(l, i));
            self.seti(l, up - 1, a_i)?;
            self.seti(l, i, a_um1)?;
            // Recurse into the smaller half, loop on the larger one.
            if i - lo < up - i {
                j = lo;
                i -= 1;
                lo = i + 2;
            } else {
                j = i + 1;
                i = up;
                up = j - 2;
            }
            self.auxsort(l, host, j, i)?;
        }
        Ok(())
    }
}

fn sort(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let (t, n) = aux_getn(l, 1)?;
    let cmp = l.arg(2);
    if !cmp.is_nil() {
        check_function(l, 2)?;
    }
    let slot = l.stack.len();
    l.stack.extend_from_slice(&[Value::Nil; 3]);
    let s = Sorter { t, cmp, slot };
    let r = s.auxsort(l, host, 1, n);
    l.stack.truncate(slot);
    r.map(|_| 0)
}
