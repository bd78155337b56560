//! Conversions between command replies and Lua values, exactly as Redis 7.0's `script_lua.c` does them.
//!
//! Reply → Lua (`redisProtocolToLuaType_*`), for what `redis.call` returns:
//! ```text
//!   :n → number        $bulk → string      $-1 / *-1 → false      +st → {ok=st}
//!   -ERR m → {err="ERR m", ignore_error_stats_update=true}        *n → array table
//!   RESP3: %n → {map={k=v}}   ~n → {set={m=true}}   _ → nil   #t/#f → boolean   ,d → {double=d}
//!          (n → {big_number="n"}   =len → {verbatim_string={format=..., string=...}}   |attr → skipped
//! ```
//! Lua → reply (`luaReplyToRedisReply`), for what a script returns: strings → bulk, numbers → integers
//! (truncated), `true` → 1 (RESP3 script client: `#t`), `false` → null, tables with a string `err` → error, `ok`
//! → status, `double`/`big_number`/`verbatim_string`/`map`/`set` → the RESP3 type (downgraded for RESP2 callers
//! by the encoders), other tables → arrays up to the first nil; anything else → null.
//!
//! Nesting is bounded: Redis stops where its Lua C stack would overflow (`lua_checkstack`), and so do we, at
//! [`MAX_DEPTH`], with the same "reached lua stack limit" error for the element that would go deeper.

use crate::lua::value::{TableRef, Value};
use crate::lua::Lua;
use crate::resp::reply::Reply;

/// Deepest nesting converted from a Lua value (Redis's `LUAI_MAXCSTACK` of 8000 slots, one per level).
pub const MAX_DEPTH: usize = 7995;
/// Deepest nesting parsed from a command reply (replies of real commands are a few levels deep).
const MAX_REPLY_DEPTH: usize = 1000;

/// A Lua error table the way `luaPushErrorBuff` builds it: `"-CODE msg"` keeps its code, a message without a
/// leading `-` gets `ERR`; the message is trimmed of CR/LF at both ends.
pub fn error_table(l: &mut Lua, text: &[u8]) -> TableRef {
    let msg = error_reply_text(text);
    let t = l.new_table(0, 2);
    let v = l.new_string(msg);
    l.set_field(t, "err", v);
    t
}

/// `"-CODE msg"` → `"CODE msg"`, `"msg"` → `"ERR msg"` (see [`error_table`]).
pub fn error_reply_text(text: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", text),
    };
    let msg = trim_crlf(msg);
    let mut out = Vec::with_capacity(code.len() + 1 + msg.len());
    out.extend_from_slice(code);
    out.push(b' ');
    out.extend_from_slice(msg);
    out
}

/// `sdstrim(s, "\r\n")`.
pub fn trim_crlf(s: &[u8]) -> &[u8] {
    let is = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = s.iter().position(|b| !is(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is(b)).map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// Converts one reply (the whole of `bytes`, as the script client received it) into a Lua value.
pub fn reply_to_lua(l: &mut Lua, bytes: &[u8]) -> Value {
    let mut p = ReplyParser { b: bytes, pos: 0 };
    p.value(l, 0, true)
}

struct ReplyParser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl ReplyParser<'_> {
    /// The line at the cursor without its CRLF (after the type byte), advancing past it.
    fn line(&mut self) -> &[u8] {
        let start = self.pos;
        let rest = &self.b[start.min(self.b.len())..];
        match memchr::memchr(b'\r', rest) {
            Some(i) => {
                self.pos = start + i + 2;
                &rest[..i]
            }
            None => {
                self.pos = self.b.len();
                rest
            }
        }
    }

    fn len_line(&mut self) -> i64 {
        crate::util::parse_i64(self.line()).unwrap_or(-1)
    }

    fn bulk(&mut self, n: i64) -> &[u8] {
        let start = self.pos.min(self.b.len());
        let end = start.saturating_add(n.max(0) as usize).min(self.b.len());
        self.pos = end + 2;
        &self.b[start..end]
    }

    /// One value; `build` false only skips it (attributes).
    fn value(&mut self, l: &mut Lua, depth: usize, build: bool) -> Value {
        let Some(&kind) = self.b.get(self.pos) else { return Value::Nil };
        self.pos += 1;
        let deep = depth >= MAX_REPLY_DEPTH;
        match kind {
            b':' => {
                let n = self.len_line();
                Value::Num(n as f64)
            }
            b'$' => {
                let n = self.len_line();
                if n < 0 {
                    return Value::Bool(false);
                }
                let s = self.bulk(n);
                if build {
                    l.new_str(s)
                } else {
                    Value::Nil
                }
            }
            b'+' => {
                let s = self.line();
                if !build {
                    return Value::Nil;
                }
                let s = s.to_vec();
                let t = l.new_table(0, 1);
                let v = l.new_string(s);
                l.set_field(t, "ok", v);
                Value::Table(t)
            }
            b'-' => {
                let s = self.line();
                if !build {
                    return Value::Nil;
                }
                let mut text = b"-".to_vec();
                text.extend_from_slice(s);
                let t = error_table(l, &text);
                l.set_field(t, "ignore_error_stats_update", Value::Bool(true));
                Value::Table(t)
            }
            b'*' | b'~' | b'%' | b'>' => {
                let n = self.len_line();
                if n < 0 {
                    return Value::Bool(false);
                }
                if deep {
                    return Value::Nil;
                }
                let n = n as usize;
                let pairs = kind == b'%';
                let inner = if build {
                    Some(l.new_table(if kind == b'~' || pairs { 0 } else { n.min(1024) }, 0))
                } else {
                    None
                };
                for i in 0..n {
                    if pairs {
                        let k = self.value(l, depth + 1, build);
                        let v = self.value(l, depth + 1, build);
                        if let Some(t) = inner {
                            // A nil or NaN key cannot be stored (Redis's lua_settable would raise); skip it.
                            let _ = l.heap.raw_set(t, k, v);
                        }
                    } else if kind == b'~' {
                        let k = self.value(l, depth + 1, build);
                        if let Some(t) = inner {
                            let _ = l.heap.raw_set(t, k, Value::Bool(true));
                        }
                    } else {
                        let v = self.value(l, depth + 1, build);
                        if let Some(t) = inner {
                            let _ = l.heap.raw_set_int(t, i as i64 + 1, v);
                        }
                    }
                }
                let Some(t) = inner else { return Value::Nil };
                match kind {
                    b'%' | b'~' => {
                        let outer = l.new_table(0, 1);
                        l.set_field(outer, if pairs { "map" } else { "set" }, Value::Table(t));
                        Value::Table(outer)
                    }
                    _ => Value::Table(t),
                }
            }
            b'_' => {
                self.line();
                Value::Nil
            }
            b'#' => {
                let s = self.line();
                Value::Bool(s == b"t")
            }
            b',' => {
                let s = self.line();
                let d = parse_double(s);
                if !build {
                    return Value::Nil;
                }
                let t = l.new_table(0, 1);
                l.set_field(t, "double", Value::Num(d));
                Value::Table(t)
            }
            b'(' => {
                let s = self.line().to_vec();
                if !build {
                    return Value::Nil;
                }
                let t = l.new_table(0, 1);
                let v = l.new_string(s);
                l.set_field(t, "big_number", v);
                Value::Table(t)
            }
            b'=' => {
                let n = self.len_line();
                let s = self.bulk(n);
                if !build {
                    return Value::Nil;
                }
                let (format, text) = if s.len() >= 4 { (&s[..3], &s[4..]) } else { (s, &[][..]) };
                let (format, text) = (format.to_vec(), text.to_vec());
                let inner = l.new_table(0, 2);
                let v = l.new_string(text);
                l.set_field(inner, "string", v);
                let v = l.new_string(format);
                l.set_field(inner, "format", v);
                let t = l.new_table(0, 1);
                l.set_field(t, "verbatim_string", Value::Table(inner));
                Value::Table(t)
            }
            b'|' => {
                let n = self.len_line().max(0);
                for _ in 0..n {
                    self.value(l, depth + 1, false);
                    self.value(l, depth + 1, false);
                }
                self.value(l, depth, build)
            }
            _ => {
                self.line();
                Value::Nil
            }
        }
    }
}

/// A RESP3 double's text (`inf`, `-inf`, `nan` included), as `strtod` reads it.
fn parse_double(s: &[u8]) -> f64 {
    match s {
        b"inf" | b"+inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        b"nan" | b"-nan" => f64::NAN,
        _ => crate::lua::number::strtod(s).map_or(0.0, |(d, _)| d),
    }
}

/// `(long long)lua_Number` as x86-64 converts it: NaN and out-of-range values become [`i64::MIN`].
#[inline]
pub fn num_to_i64(n: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// What to do with an error reply's statistics (Redis's `ERR_REPLY_FLAG_NO_STATS_UPDATE`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorStats {
    /// Count it in `errorstats` and as a failed call of the command.
    Count,
    /// Already counted when the script's command failed: the call fails, errorstats do not move.
    Skip,
}

/// Writes an error reply the way `addReplyErrorFormatEx(c, flags, "-%s", msg)` does: CR/LF trimmed at the ends
/// and turned into spaces inside; `-` followed by the message (which carries its own code).
pub fn add_error(reply: &mut Reply, msg: &[u8], stats: ErrorStats) {
    let mut s = Vec::with_capacity(msg.len() + 1);
    s.push(b'-');
    s.extend_from_slice(msg);
    let t = trim_crlf(&s);
    let mut line: Vec<u8> = t.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
    if line.is_empty() || line[0] != b'-' {
        let mut with = b"-ERR ".to_vec();
        with.extend_from_slice(&line);
        line = with;
    }
    match stats {
        ErrorStats::Count => reply.error(&String::from_utf8_lossy(&line)),
        ErrorStats::Skip => {
            line.extend_from_slice(b"\r\n");
            reply.raw_bytes(&line);
            // Still a failed call of the script's command, but not a new entry in errorstats (Redis's
            // ERR_REPLY_FLAG_NO_STATS_UPDATE): an empty code says so to the server's error counting.
            reply.error_prefixes.push([0u8; 24]);
        }
    }
}

/// The text of a string field of a table (`lua_rawget` + type string), or None.
fn str_field(l: &mut Lua, t: TableRef, name: &str) -> Option<Vec<u8>> {
    match l.get_field(t, name) {
        Value::Str(s) => Some(l.heap.str(s).to_vec()),
        _ => None,
    }
}

/// `luaReplyToRedisReply`: writes `v` to `reply`. `script_resp` is the protocol the script set with
/// `redis.setresp` (it decides how booleans go out).
pub fn lua_to_reply(l: &mut Lua, v: Value, reply: &mut Reply, script_resp: u8) {
    to_reply(l, v, reply, script_resp, 0)
}

/// Converts depth-first with an explicit work list instead of recursion: a script may return tables nested
/// [`MAX_DEPTH`] deep (or a table that contains itself), which recursion would pay for in native stack frames.
/// Children are pushed in reverse so they pop, and are written, in order.
fn to_reply(l: &mut Lua, v: Value, reply: &mut Reply, resp: u8, depth: usize) {
    let mut work = vec![(v, depth)];
    while let Some((v, depth)) = work.pop() {
        value_to_reply(l, v, reply, resp, depth, &mut work);
    }
}

fn value_to_reply(l: &mut Lua, v: Value, reply: &mut Reply, resp: u8, depth: usize, work: &mut Vec<(Value, usize)>) {
    if depth >= MAX_DEPTH {
        reply.error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::Str(s) => {
            let bytes = l.heap.str(s);
            reply.bulk(bytes);
        }
        Value::Bool(b) => {
            if resp == 2 {
                if b {
                    reply.int(1);
                } else {
                    reply.null();
                }
            } else {
                reply.boolean(b);
            }
        }
        Value::Num(n) => reply.int(num_to_i64(n)),
        Value::Table(t) => table_to_reply(l, t, reply, depth, work),
        _ => reply.null(),
    }
}

/// Writes a table's own reply (error, status, double, ...) or its aggregate header, and queues its elements.
fn table_to_reply(l: &mut Lua, t: TableRef, reply: &mut Reply, depth: usize, work: &mut Vec<(Value, usize)>) {
    if let Some(err) = str_field(l, t, "err") {
        let ignore = matches!(l.get_field(t, "ignore_error_stats_update"), Value::Bool(true));
        add_error(reply, &err, if ignore { ErrorStats::Skip } else { ErrorStats::Count });
        return;
    }
    if let Some(ok) = str_field(l, t, "ok") {
        reply.simple_bytes(&ok);
        return;
    }
    if let Value::Num(d) = l.get_field(t, "double") {
        reply.double(d);
        return;
    }
    if let Some(mut n) = str_field(l, t, "big_number") {
        for b in n.iter_mut() {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        big_number(reply, &n);
        return;
    }
    if let Value::Table(vt) = l.get_field(t, "verbatim_string") {
        if let Some(format) = str_field(l, vt, "format") {
            if let Some(s) = str_field(l, vt, "string") {
                let mut f = [0u8; 3];
                for (d, s) in f.iter_mut().zip(format.iter()) {
                    *d = *s;
                }
                reply.verbatim(&String::from_utf8_lossy(&f), &s);
                return;
            }
        }
    }
    if let Value::Table(m) = l.get_field(t, "map") {
        let entries = table_entries(l, m);
        reply.map(entries.len());
        for (k, v) in entries.into_iter().rev() {
            work.push((v, depth + 1));
            work.push((k, depth + 1));
        }
        return;
    }
    if let Value::Table(s) = l.get_field(t, "set") {
        let entries = table_entries(l, s);
        reply.set(entries.len());
        work.extend(entries.into_iter().rev().map(|(k, _)| (k, depth + 1)));
        return;
    }
    let mut items = Vec::new();
    let mut j = 1i64;
    loop {
        let v = l.raw_get_int(t, j);
        if v.is_nil() {
            break;
        }
        items.push(v);
        j += 1;
    }
    reply.array(items.len());
    work.extend(items.into_iter().rev().map(|v| (v, depth + 1)));
}

/// Every (key, value) of a table in `next` order.
fn table_entries(l: &mut Lua, t: TableRef) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    let mut k = Value::Nil;
    while let Ok(Some((nk, v))) = l.next(t, k) {
        out.push((nk, v));
        k = nk;
    }
    out
}

/// `addReplyBigNum`: `(n` in RESP3, a bulk string in RESP2.
fn big_number(reply: &mut Reply, n: &[u8]) {
    if reply.is_resp3() {
        let mut line = Vec::with_capacity(n.len() + 3);
        line.push(b'(');
        line.extend_from_slice(n);
        line.extend_from_slice(b"\r\n");
        reply.raw_bytes(&line);
    } else {
        reply.bulk(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_like_lua_push_error_buff() {
        assert_eq!(error_reply_text(b"-WRONGTYPE Operation"), b"WRONGTYPE Operation");
        assert_eq!(error_reply_text(b"-Oops"), b"ERR Oops");
        assert_eq!(error_reply_text(b"plain message"), b"ERR plain message");
        assert_eq!(error_reply_text(b"-ERR x\r\n"), b"ERR x");
        assert_eq!(trim_crlf(b"\r\n\n"), b"");
    }

    #[test]
    fn error_replies_keep_their_code() {
        let mut r = Reply::new();
        add_error(&mut r, b"My Error", ErrorStats::Count);
        assert_eq!(r.buf, b"-My Error\r\n");
        assert_eq!(&r.error_prefixes[0][..2], b"My");
        let mut r = Reply::new();
        add_error(&mut r, b"ERR a\nb\n", ErrorStats::Skip);
        assert_eq!(r.buf, b"-ERR a b\r\n");
        assert_eq!(r.error_prefixes, vec![[0u8; 24]]);
    }

    #[test]
    fn numbers_truncate_like_c() {
        assert_eq!(num_to_i64(3.99), 3);
        assert_eq!(num_to_i64(-3.99), -3);
        assert_eq!(num_to_i64(f64::NAN), i64::MIN);
        assert_eq!(num_to_i64(1e300), i64::MIN);
    }
}
