//! The `string` library (Lua 5.1.5's `lstrlib.c`): byte, char, dump, find, format, gfind (= gmatch, as Redis
//! builds Lua with `LUA_COMPAT_GFIND`), gmatch, gsub, len, lower, match, rep, reverse, sub, upper; and the string
//! metatable `{__index = string}`.
//!
//! The matcher is in [`super::pattern`], the printf engine in [`super::format`]. Integer arguments go through
//! the C casts of `luaL_checkinteger`/`luaL_checkint` (`check_integer`) so that odd arguments (huge,
//! NaN, fractional) give the same results as Redis. Results are bounded by `check_alloc`.
//!
//! Tested by `tests/scripting/lua_stdlib.rs` (hundreds of cases compared with `lua5.1`) and the unit tests of the two
//! engines.

use std::any::Any;

use super::format::{self as fmt, c_int, c_long, c_ulong};
use super::pattern::{self, Capture, MatchState, PatError};
use super::{
    check_alloc, check_int, check_integer, native_upvals, opt_int, opt_integer, set_native_upval, MAX_C_STACK,
};
use crate::lua::heap::{Function, Heap};
use crate::lua::proto::Proto;
use crate::lua::value::{LuaError, StrRef, Value};
use crate::lua::Lua;

pub fn open(l: &mut Lua) {
    let t = l.new_table(0, 16);
    l.register(t, "byte", str_byte);
    l.register(t, "char", str_char);
    l.register(t, "dump", str_dump);
    l.register(t, "find", str_find);
    l.register(t, "format", str_format);
    l.register(t, "gmatch", str_gmatch);
    l.register(t, "gsub", str_gsub);
    l.register(t, "len", str_len);
    l.register(t, "lower", str_lower);
    l.register(t, "match", str_match);
    l.register(t, "rep", str_rep);
    l.register(t, "reverse", str_reverse);
    l.register(t, "sub", str_sub);
    l.register(t, "upper", str_upper);
    let gmatch = l.get_field(t, "gmatch");
    l.set_field(t, "gfind", gmatch);
    l.set_global("string", Value::Table(t));
    let meta = l.new_table(0, 1);
    l.set_field(meta, "__index", Value::Table(t));
    l.string_meta = Some(meta);
}

/// `posrelat`: a relative string position (negative counts from the end) to an absolute one, at least 0.
#[inline]
fn posrelat(pos: i64, len: usize) -> i64 {
    let pos = if pos < 0 { pos.wrapping_add(len as i64 + 1) } else { pos };
    pos.max(0)
}

fn pat_err(l: &mut Lua, e: PatError) -> LuaError {
    l.runtime_error(e.0)
}

fn stack_error(l: &mut Lua, what: &str) -> LuaError {
    l.runtime_error(&format!("stack overflow ({what})"))
}

fn str_len(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let n = l.heap.str(s).len();
    l.push(Value::Num(n as f64));
    Ok(1)
}

fn str_sub(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let len = l.heap.str(s).len();
    let start = posrelat(check_integer(l, 2)?, len).max(1);
    let end = posrelat(opt_integer(l, 3, -1)?, len).min(len as i64);
    if start <= end {
        let (a, b) = ((start - 1) as usize, end as usize);
        let v = substr(l, s, a, b);
        l.push(v);
    } else {
        l.push_str(b"");
    }
    Ok(1)
}

/// `string.reverse`, `string.lower` and `string.upper`: argument 1's bytes, changed by `f`, as a new string.
fn map_str(l: &mut Lua, f: fn(&[u8]) -> Vec<u8>) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let v = f(l.heap.str(s));
    let v = l.new_string(v);
    l.push(v);
    Ok(1)
}

fn str_reverse(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    map_str(l, |s| s.iter().rev().copied().collect())
}

fn str_lower(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    map_str(l, <[u8]>::to_ascii_lowercase)
}

fn str_upper(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    map_str(l, <[u8]>::to_ascii_uppercase)
}

fn str_rep(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let n = check_int(l, 2)?;
    let len = l.heap.str(s).len();
    if n <= 0 || len == 0 {
        l.push_str(b"");
        return Ok(1);
    }
    check_alloc(l, len.saturating_mul(n as usize))?;
    let v = l.heap.str(s).repeat(n as usize);
    let v = l.new_string(v);
    l.push(v);
    Ok(1)
}

fn str_byte(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let len = l.heap.str(s).len();
    let posi = posrelat(opt_integer(l, 2, 1)?, len);
    let pose = posrelat(opt_integer(l, 3, posi)?, len).min(len as i64);
    let posi = posi.max(1);
    if posi > pose {
        return Ok(0);
    }
    let n = (pose - posi + 1) as usize;
    if n + l.nargs() > MAX_C_STACK {
        return Err(stack_error(l, "string slice too long"));
    }
    for i in posi..=pose {
        let c = l.heap.str(s)[(i - 1) as usize];
        l.push(Value::Num(c as f64));
    }
    Ok(n)
}

fn str_char(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    let mut out = Vec::with_capacity(n);
    for i in 1..=n {
        let c = check_int(l, i)?;
        if !(0..=255).contains(&c) {
            return Err(l.arg_error(i, "invalid value"));
        }
        out.push(c as u8);
    }
    let v = l.new_string(out);
    l.push(v);
    Ok(1)
}

fn str_dump(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let Value::Func(f) = l.arg(1) else {
        return Err(l.type_error(1, "function"));
    };
    let proto = match l.heap.func(f) {
        Function::Lua(c) => c.proto.clone(),
        Function::Native(_) => return Err(l.runtime_error("unable to dump given function")),
    };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"\x1bLua\x51\x00\x01\x04\x08\x04\x08\x00");
    dump_function(&l.heap, &proto, None, &mut out);
    let v = l.new_string(out);
    l.push(v);
    Ok(1)
}

/// `ldump.c`'s `DumpString`: `size_t` length including the terminating NUL, the bytes, the NUL (0 for none).
fn dump_string(s: Option<&[u8]>, out: &mut Vec<u8>) {
    match s {
        None => out.extend_from_slice(&0u64.to_le_bytes()),
        Some(b) => {
            out.extend_from_slice(&(b.len() as u64 + 1).to_le_bytes());
            out.extend_from_slice(b);
            out.push(0);
        }
    }
}

fn dump_int(n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

/// `DumpFunction`: a prototype in Lua 5.1's binary chunk format for x86-64 (little-endian, 4-byte int, 8-byte
/// `size_t`, 4-byte instructions, 8-byte double), as `luac` writes it. A nested function's source is omitted
/// when it equals its parent's, as in C (where the two share one string).
fn dump_function(heap: &Heap, p: &Proto, parent_source: Option<&str>, out: &mut Vec<u8>) {
    let src: &str = &p.source;
    dump_string(if parent_source == Some(src) { None } else { Some(src.as_bytes()) }, out);
    dump_int(p.line_defined as usize, out);
    dump_int(p.last_line_defined as usize, out);
    out.extend_from_slice(&[p.num_upvalues, p.num_params, p.is_vararg, p.max_stack]);
    dump_int(p.code.len(), out);
    for i in &p.code {
        out.extend_from_slice(&i.to_le_bytes());
    }
    dump_int(p.constants.len(), out);
    for k in &p.constants {
        match *k {
            Value::Bool(b) => out.extend_from_slice(&[1, b as u8]),
            Value::Num(n) => {
                out.push(3);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Value::Str(s) => {
                out.push(4);
                dump_string(Some(heap.str(s)), out);
            }
            _ => out.push(0),
        }
    }
    dump_int(p.protos.len(), out);
    for child in &p.protos {
        dump_function(heap, child, Some(src), out);
    }
    dump_int(p.line_info.len(), out);
    for line in &p.line_info {
        out.extend_from_slice(&line.to_le_bytes());
    }
    dump_int(p.loc_vars.len(), out);
    for lv in &p.loc_vars {
        dump_string(Some(heap.str(lv.name)), out);
        dump_int(lv.start_pc as usize, out);
        dump_int(lv.end_pc as usize, out);
    }
    dump_int(p.upvalue_names.len(), out);
    for n in &p.upvalue_names {
        dump_string(Some(heap.str(*n)), out);
    }
}

// ---- find, match, gmatch ----

/// The string `s[a..b]` (`a <= b <= len`). Short pieces go through a stack buffer: interning usually finds
/// them already present, and then no heap allocation happens at all.
fn substr(l: &mut Lua, s: StrRef, a: usize, b: usize) -> Value {
    const SHORT: usize = 64;
    let len = l.heap.str(s).len();
    if a == 0 && b == len {
        return Value::Str(s);
    }
    if b - a <= SHORT {
        let mut buf = [0u8; SHORT];
        buf[..b - a].copy_from_slice(&l.heap.str(s)[a..b]);
        return l.new_str(&buf[..b - a]);
    }
    let v = l.heap.str(s)[a..b].to_vec();
    l.new_string(v)
}

/// Push capture `c` of `src`.
fn push_capture(l: &mut Lua, src: StrRef, c: Capture) {
    match c {
        Capture::Pos(p) => l.push(Value::Num(p as f64)),
        Capture::Str(a, b) => {
            let v = substr(l, src, a, b);
            l.push(v);
        }
    }
}

/// The captures of the last match, resolved while the matcher still borrows the subject.
fn collect_captures(ms: &MatchState, s: usize, e: usize, whole: bool) -> Result<Vec<Capture>, PatError> {
    let n = ms.num_captures(whole);
    let mut caps = Vec::with_capacity(n);
    for i in 0..n {
        caps.push(ms.capture(i, s, e)?);
    }
    Ok(caps)
}

/// The embedder's hook as a matcher interrupt callback: false (stop) when the hook raises an error, which is
/// kept in `err` for the caller to propagate (SCRIPT KILL reaches a runaway pattern this way).
fn hook_callback<'a>(
    l: &'a mut Lua,
    host: &'a mut dyn Any,
    err: &'a mut Option<LuaError>,
) -> impl FnMut() -> bool + 'a {
    move || match l.hook {
        Some(h) => match h(l, host) {
            Ok(()) => true,
            Err(e) => {
                *err = Some(e);
                false
            }
        },
        None => true,
    }
}

/// Run `search` on borrowed data with a step budget when a hook is installed; if the budget runs out, run it
/// again on copies of the subject and pattern with the hook as interrupt callback (see
/// [`MatchState::budgeted`]).
fn with_budget<T>(
    l: &mut Lua,
    host: &mut dyn Any,
    s: StrRef,
    p: StrRef,
    search: impl for<'a> Fn(&'a [u8], &'a [u8], bool, Option<&'a mut (dyn FnMut() -> bool + 'a)>) -> Result<T, PatError>,
) -> Result<T, LuaError> {
    let budgeted = l.hook.is_some();
    let r = search(l.heap.str(s), l.heap.str(p), budgeted, None);
    let r = match r {
        Err(e) if e == pattern::NEEDS_CALLBACK => {
            let (src, pat) = (l.heap.str(s).to_vec(), l.heap.str(p).to_vec());
            let mut err = None;
            let r2 = {
                let mut cb = hook_callback(l, host, &mut err);
                search(&src, &pat, true, Some(&mut cb))
            };
            if let Some(e) = err {
                return Err(e);
            }
            r2
        }
        r => r,
    };
    r.map_err(|e| pat_err(l, e))
}

fn new_matcher<'a>(
    src: &'a [u8],
    pat: &'a [u8],
    budgeted: bool,
    cb: Option<&'a mut dyn FnMut() -> bool>,
) -> MatchState<'a> {
    let ms = MatchState::new(src, pat);
    if budgeted {
        ms.budgeted(cb)
    } else {
        ms
    }
}

/// Split a leading `^` off the C-string view of a pattern.
fn anchored(p: &[u8]) -> (bool, &[u8]) {
    let pat = pattern::c_pattern(p);
    match pat.first() {
        Some(b'^') => (true, &pat[1..]),
        _ => (false, pat),
    }
}

type Found = Option<(usize, usize, Vec<Capture>)>;

fn str_find_aux(l: &mut Lua, host: &mut dyn Any, find: bool) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let p = l.check_str(2)?;
    let ls = l.heap.str(s).len();
    let init = posrelat(opt_integer(l, 3, 1)?, ls) - 1;
    let init = init.clamp(0, ls as i64) as usize;
    let plain = l.arg(4).truthy();
    if find && (plain || !pattern::has_specials(l.heap.str(p))) {
        let (hay, needle) = (l.heap.str(s), l.heap.str(p));
        if let Some(pos) = pattern::find_plain(&hay[init..], needle) {
            let start = init + pos;
            let nl = needle.len();
            l.push(Value::Num((start + 1) as f64));
            l.push(Value::Num((start + nl) as f64));
            return Ok(2);
        }
        l.push(Value::Nil);
        return Ok(1);
    }
    let found = with_budget(l, host, s, p, |src, pat, budgeted, cb| -> Result<Found, PatError> {
        let (anchor, pat) = anchored(pat);
        let mut ms = new_matcher(src, pat, budgeted, cb);
        let mut s1 = init;
        loop {
            if let Some(e) = ms.match_at(s1)? {
                return collect_captures(&ms, s1, e, !find).map(|c| Some((s1, e, c)));
            }
            s1 += 1;
            if anchor || s1 > src.len() {
                return Ok(None);
            }
        }
    })?;
    match found {
        None => {
            l.push(Value::Nil);
            Ok(1)
        }
        Some((start, end, caps)) => {
            let mut n = caps.len();
            if n + l.nargs() > MAX_C_STACK {
                return Err(stack_error(l, "too many captures"));
            }
            if find {
                l.push(Value::Num((start + 1) as f64));
                l.push(Value::Num(end as f64));
                n += 2;
            }
            for c in caps {
                push_capture(l, s, c);
            }
            Ok(n)
        }
    }
}

fn str_find(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    str_find_aux(l, host, true)
}

fn str_match(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    str_find_aux(l, host, false)
}

fn str_gmatch(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let p = l.check_str(2)?;
    let f = l.new_native("gmatch_aux", gmatch_aux, vec![Value::Str(s), Value::Str(p), Value::Num(0.0)]);
    l.push(f);
    Ok(1)
}

fn gmatch_aux(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let (s, p, pos) = match native_upvals(l) {
        [Value::Str(s), Value::Str(p), Value::Num(pos)] => (*s, *p, *pos as usize),
        _ => return Ok(0),
    };
    // gmatch does not treat a leading '^' as an anchor in Lua 5.1.
    let found = with_budget(l, host, s, p, |src, pat, budgeted, cb| -> Result<Found, PatError> {
        let mut ms = new_matcher(src, pat, budgeted, cb);
        let mut start = pos;
        while start <= src.len() {
            if let Some(e) = ms.match_at(start)? {
                return collect_captures(&ms, start, e, true).map(|c| Some((start, e, c)));
            }
            start += 1;
        }
        Ok(None)
    })?;
    match found {
        None => Ok(0),
        Some((start, e, caps)) => {
            let next = if e == start { e + 1 } else { e };
            set_native_upval(l, 2, Value::Num(next as f64));
            if caps.len() + l.nargs() > MAX_C_STACK {
                return Err(stack_error(l, "too many captures"));
            }
            let n = caps.len();
            for c in caps {
                push_capture(l, s, c);
            }
            Ok(n)
        }
    }
}

// ---- gsub ----

fn str_gsub(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let p = l.check_str(2)?;
    let repl = l.arg(3);
    let srcl = l.heap.str(s).len();
    let max_s = opt_int(l, 4, (srcl as i64 + 1) as i32)?;
    match repl {
        Value::Num(_) | Value::Str(_) => {
            let r = l.coerce_str(repl).unwrap_or(s);
            gsub_string(l, host, s, p, r, max_s)
        }
        Value::Table(_) | Value::Func(_) => gsub_call(l, host, s, p, repl, max_s),
        _ => Err(l.arg_error(3, "string/function/table expected")),
    }
}

/// The most bytes a result may have: the string limit, and what the heap limit leaves.
fn result_budget(l: &Lua) -> usize {
    crate::lua::MAX_STRING_LEN.min(l.heap.limit.saturating_sub(l.heap.bytes))
}

fn memory_error(l: &mut Lua) -> LuaError {
    match check_alloc(l, usize::MAX) {
        Err(e) => e,
        Ok(()) => l.runtime_error("not enough memory"),
    }
}

/// Internal marker: the gsub result outgrew the memory budget.
const TOO_BIG: PatError = PatError("not enough memory");

/// `add_s`: expand the replacement string `news` for the match `src[s..e]`.
fn add_s(out: &mut Vec<u8>, ms: &MatchState, news: &[u8], s: usize, e: usize) -> Result<(), PatError> {
    let mut i = 0;
    while i < news.len() {
        let c = news[i];
        if c != b'%' {
            out.push(c);
        } else {
            i += 1;
            let d = news.get(i).copied().unwrap_or(0);
            if !d.is_ascii_digit() {
                out.push(d);
            } else if d == b'0' {
                out.extend_from_slice(&ms.src[s..e]);
            } else {
                match ms.capture((d - b'1') as usize, s, e)? {
                    Capture::Str(a, b) => out.extend_from_slice(&ms.src[a..b]),
                    Capture::Pos(n) => crate::lua::number::fmt_num(n as f64, out),
                }
            }
        }
        i += 1;
    }
    Ok(())
}

/// gsub's step after trying a match at `pos` (`e`: where it ended): past a non-empty match the walk resumes at its end;
/// otherwise the byte at `pos` is copied as it is and the walk moves on by one. False at the subject's end (lstrlib.c's
/// `else if (src < ms.src_end) ... else break`), for both kinds of replacement.
fn gsub_advance(src: &[u8], e: Option<usize>, pos: &mut usize, out: &mut Vec<u8>) -> bool {
    match e {
        Some(e) if e > *pos => *pos = e,
        _ if *pos < src.len() => {
            out.push(src[*pos]);
            *pos += 1;
        }
        _ => return false,
    }
    true
}

fn gsub_string(
    l: &mut Lua,
    host: &mut dyn Any,
    s: StrRef,
    p: StrRef,
    r: StrRef,
    max_s: i32,
) -> Result<usize, LuaError> {
    let budget = result_budget(l);
    // The replacement is copied once (small); subject and pattern stay borrowed on the fast path.
    let news = l.heap.str(r).to_vec();
    let result = with_budget(l, host, s, p, |src, pat, budgeted, cb| -> Result<(Vec<u8>, i32), PatError> {
        let (anchor, pat) = anchored(pat);
        let mut ms = new_matcher(src, pat, budgeted, cb);
        let mut out = Vec::with_capacity(src.len());
        let mut pos = 0;
        let mut n = 0;
        while n < max_s {
            let e = ms.match_at(pos)?;
            if let Some(e) = e {
                n += 1;
                add_s(&mut out, &ms, &news, pos, e)?;
                if out.len() > budget {
                    return Err(TOO_BIG);
                }
            }
            if !gsub_advance(src, e, &mut pos, &mut out) || anchor {
                break;
            }
        }
        out.extend_from_slice(&src[pos..]);
        if out.len() > budget {
            return Err(TOO_BIG);
        }
        Ok((out, n))
    });
    match result {
        Ok((out, n)) => {
            let v = l.new_string(out);
            l.push(v);
            l.push(Value::Num(n as f64));
            Ok(2)
        }
        Err(e) => {
            // with_budget turned TOO_BIG into a positioned runtime error; report it as a memory error.
            let too_big = l.str_bytes(e.value).is_some_and(|m| m.ends_with(TOO_BIG.0.as_bytes()));
            Err(if too_big { memory_error(l) } else { e })
        }
    }
}

/// The captures of one match as `push_captures` would push them, each resolved lazily (an unfinished capture
/// is an error only when it is used).
type LazyCaps = Vec<Result<Capture, PatError>>;

/// One match attempt at `pos` for gsub with a callback replacement: a fresh matcher per attempt, so that `l`
/// is free between attempts, with the hook as interrupt callback.
fn gsub_attempt(
    l: &mut Lua,
    host: &mut dyn Any,
    src: &[u8],
    pat: &[u8],
    pos: usize,
) -> Result<Option<(usize, LazyCaps)>, LuaError> {
    let budgeted = l.hook.is_some();
    let mut err = None;
    let r = {
        let mut cb = hook_callback(l, host, &mut err);
        let mut ms = new_matcher(src, pat, budgeted, Some(&mut cb));
        ms.match_at(pos).map(|e| {
            e.map(|e| {
                let caps = (0..ms.num_captures(true)).map(|i| ms.capture(i, pos, e)).collect();
                (e, caps)
            })
        })
    };
    if let Some(e) = err {
        return Err(e);
    }
    r.map_err(|e| pat_err(l, e))
}

/// gsub with a table or function replacement: each match calls back into Lua, so the subject and pattern are
/// copied out of the heap (the callback may collect) and every value crossing the call sits on the stack.
fn gsub_call(
    l: &mut Lua,
    host: &mut dyn Any,
    s: StrRef,
    p: StrRef,
    repl: Value,
    max_s: i32,
) -> Result<usize, LuaError> {
    let src: Vec<u8> = l.heap.str(s).to_vec();
    let pat_full: Vec<u8> = l.heap.str(p).to_vec();
    let (anchor, pat) = anchored(&pat_full);
    let budget = result_budget(l);
    let mut out = Vec::with_capacity(src.len());
    let mut pos = 0;
    let mut n = 0;
    while n < max_s {
        let m = gsub_attempt(l, host, &src, pat, pos)?;
        let e = m.as_ref().map(|(e, _)| *e);
        if let Some((e, caps)) = m {
            n += 1;
            let whole = &src[pos..e];
            let value = match repl {
                Value::Table(t) => {
                    let key = match caps.first().copied().unwrap_or(Ok(Capture::Str(pos, e))) {
                        Ok(Capture::Str(a, b)) => l.new_str(&src[a..b]),
                        Ok(Capture::Pos(k)) => Value::Num(k as f64),
                        Err(er) => return Err(pat_err(l, er)),
                    };
                    let top = l.stack.len();
                    l.push(key);
                    let v = l.index(host, Value::Table(t), key);
                    l.stack.truncate(top);
                    v?
                }
                _ => {
                    if caps.len() + l.nargs() > MAX_C_STACK {
                        return Err(stack_error(l, "too many captures"));
                    }
                    let func = l.stack.len();
                    l.push(repl);
                    for c in caps {
                        match c {
                            Ok(Capture::Str(a, b)) => {
                                let v = l.new_str(&src[a..b]);
                                l.push(v);
                            }
                            Ok(Capture::Pos(k)) => l.push(Value::Num(k as f64)),
                            Err(er) => {
                                l.stack.truncate(func);
                                return Err(pat_err(l, er));
                            }
                        }
                    }
                    l.call_at(host, func, 1)?;
                    let v = l.stack.get(func).copied().unwrap_or(Value::Nil);
                    l.stack.truncate(func);
                    v
                }
            };
            match value {
                Value::Nil | Value::Bool(false) => out.extend_from_slice(whole),
                Value::Str(r) => out.extend_from_slice(l.heap.str(r)),
                Value::Num(x) => crate::lua::number::fmt_num(x, &mut out),
                other => {
                    let msg = format!("invalid replacement value (a {})", other.type_name());
                    return Err(l.runtime_error(&msg));
                }
            }
            if out.len() > budget {
                return Err(memory_error(l));
            }
        }
        if !gsub_advance(&src, e, &mut pos, &mut out) || anchor {
            break;
        }
    }
    out.extend_from_slice(&src[pos..]);
    let v = l.new_string(out);
    l.push(v);
    l.push(Value::Num(n as f64));
    Ok(2)
}

// ---- format ----

fn str_format(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let fs = l.check_str(1)?;
    let top = l.nargs();
    let mut arg = 1;
    let mut out: Vec<u8> = Vec::with_capacity(l.heap.str(fs).len() + 16);
    let mut i = 0;
    loop {
        let f = l.heap.str(fs);
        // Copy the literal run up to the next '%' in one go.
        let rest = &f[i..];
        let lit = memchr::memchr(b'%', rest).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..lit]);
        i += lit;
        if i >= f.len() {
            break;
        }
        i += 1; // the '%'
        if f.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        arg += 1;
        if arg > top {
            return Err(l.arg_error(arg, "no value"));
        }
        let (spec, next) = match fmt::scan(f, i) {
            Ok(x) => x,
            Err(e) => return Err(l.runtime_error(e.message())),
        };
        i = next;
        match spec.conv {
            b'c' => {
                let c = c_int(l.check_num(arg)?) as u8;
                let at = out.len();
                fmt::fmt_char(&mut out, &spec, c);
                // The C code measures the item with strlen: it ends at the NUL.
                if let Some(z) = memchr::memchr(0, &out[at..]) {
                    out.truncate(at + z);
                }
            }
            b'd' | b'i' => {
                let v = c_long(l.check_num(arg)?);
                fmt::fmt_signed(&mut out, &spec, v);
            }
            b'o' | b'u' | b'x' | b'X' => {
                let v = c_ulong(l.check_num(arg)?);
                fmt::fmt_unsigned(&mut out, &spec, v);
            }
            b'e' | b'E' | b'f' | b'g' | b'G' => {
                let v = l.check_num(arg)?;
                fmt::fmt_float(&mut out, &spec, v);
            }
            b'q' => {
                let s = l.check_str(arg)?;
                fmt::add_quoted(&mut out, l.heap.str(s));
            }
            b's' => {
                let s = l.check_str(arg)?;
                let bytes = l.heap.str(s);
                if spec.precision.is_none() && bytes.len() >= 100 {
                    out.extend_from_slice(bytes);
                } else {
                    let upto = memchr::memchr(0, bytes).unwrap_or(bytes.len());
                    fmt::fmt_str(&mut out, &spec, &bytes[..upto]);
                }
            }
            c => {
                let shown = if c == 0 { String::new() } else { (c as char).to_string() };
                let msg = format!("invalid option '%{shown}' to 'format'");
                return Err(l.runtime_error(&msg));
            }
        }
        if out.len() > crate::lua::MAX_STRING_LEN {
            return Err(memory_error(l));
        }
    }
    check_alloc(l, out.len())?;
    let v = l.new_string(out);
    l.push(v);
    Ok(1)
}
