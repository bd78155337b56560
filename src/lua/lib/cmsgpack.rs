//! The `cmsgpack` library as Redis 7.0 bundles it (lua-cmsgpack 0.4.0): `pack(...)`, `unpack(s)`,
//! `unpack_one(s [, offset])` and `unpack_limit(s, limit [, offset])`.
//!
//! Encoding follows the C library's choices, which differ from "modern" MessagePack in places:
//! - a number that is integral and fits an `int64_t` is written with the smallest integer encoding (positive
//!   fixnum, uint8/16/32/64 for non-negatives, negative fixnum, int8/16/32/64 otherwise); any other number is a
//!   float32 when converting to float and back is lossless (so `inf` too), else a float64;
//! - strings use fixraw / str8 (0xd9) / raw16 / raw32, never the bin types;
//! - a table is an array when its keys are exactly the integers `1..n` (`table_is_an_array`), else a map; the
//!   empty table is the empty array;
//! - tables nested 16 deep are written as nil (this is what keeps cyclic tables finite); functions, userdata,
//!   threads and nil are nil.
//!
//! Decoding accepts the same subset (bin, ext and fixext are "Bad data format in input."); a truncated input is
//! "Missing bytes in input.". Unsigned 64-bit values above 2^63 read back negative, as the C library's
//! `lua_pushinteger` makes them. Nesting in the input is bounded only by Lua's C stack (8000 slots), with the
//! same "stack overflow (...)" errors as Redis; the decoder keeps its own explicit stack, so hostile input never
//! deepens the Rust stack. A nil or NaN map key raises "table index is nil"/"table index is NaN" as
//! `lua_settable` does.
//!
//! Tested by the unit tests below and by the differential cases in `tests/scripting/lua_redislibs.rs`.

use super::struct_lib::LUAI_MAXCSTACK;
use crate::lua::value::{ErrorKind, LuaError, TableRef, Value};
use crate::lua::Lua;

/// Tables nested this deep are encoded as nil.
const MAX_NESTING: usize = 16;

/// "not enough memory": the packed output outgrew the string limit or the heap's.
pub(crate) fn out_of_memory(l: &mut Lua) -> LuaError {
    LuaError::new(ErrorKind::Memory, l.new_str(b"not enough memory"))
}

/// Whether `len` more bytes fit in a string and in the heap.
pub(crate) fn fits(l: &Lua, len: usize) -> bool {
    len <= crate::lua::MAX_STRING_LEN && l.heap.bytes.saturating_add(len) <= l.heap.limit
}

/// `luaL_checkstack`'s failure: "stack overflow (msg)" with the caller's position.
fn stack_overflow(l: &mut Lua, msg: &str) -> LuaError {
    l.runtime_error(&format!("stack overflow ({msg})"))
}

/// `lua_next` without error: the entry after `k`.
pub(crate) fn table_next(l: &Lua, t: TableRef, k: Value) -> Option<(Value, Value)> {
    let h = l.heap.key_hash(k);
    l.heap.table(t).next(k, h).ok().flatten()
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

fn encode_bytes(s: &[u8], buf: &mut Vec<u8>) {
    let len = s.len();
    if len < 32 {
        buf.push(0xa0 | len as u8);
    } else if len <= 0xff {
        buf.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        buf.push(0xda);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
    buf.extend_from_slice(s);
}

fn encode_double(d: f64, buf: &mut Vec<u8>) {
    let f = d as f32;
    if f as f64 == d {
        buf.push(0xca);
        buf.extend_from_slice(&f.to_be_bytes());
    } else {
        buf.push(0xcb);
        buf.extend_from_slice(&d.to_be_bytes());
    }
}

fn encode_int(n: i64, buf: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            buf.push(n as u8);
        } else if n <= 0xff {
            buf.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            buf.push(0xcd);
            buf.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            buf.push(0xce);
            buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            buf.push(0xcf);
            buf.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        buf.push(n as i8 as u8);
    } else if n >= -128 {
        buf.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        buf.push(0xd1);
        buf.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        buf.push(0xd2);
        buf.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        buf.push(0xd3);
        buf.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_header(n: usize, fix: u8, b16: u8, b32: u8, buf: &mut Vec<u8>) {
    if n <= 15 {
        buf.push(fix | n as u8);
    } else if n <= 0xffff {
        buf.push(b16);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(b32);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// `IS_INT64_EQUIVALENT`: integral and inside `int64_t` (C's `(int64_t)x == x` on x86-64).
fn is_int64_equivalent(n: f64) -> bool {
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) && n.trunc() == n
}

/// `table_is_an_array`: every key a positive integer within `int`, and no gaps (max key == key count).
fn table_is_an_array(l: &Lua, t: TableRef) -> bool {
    let mut count: i64 = 0;
    let mut max: i64 = 0;
    let mut k = Value::Nil;
    while let Some((key, _)) = table_next(l, t, k) {
        match key {
            Value::Num(n) if n > 0.0 && n <= i32::MAX as f64 && n.trunc() == n => {
                max = max.max(n as i64);
                count += 1;
            }
            _ => return false,
        }
        k = key;
    }
    max == count
}

/// The encoder: `slots` mirrors the C library's Lua stack use, for its `luaL_checkstack` errors.
struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    fn check_size(&self, l: &mut Lua) -> Result<(), LuaError> {
        if fits(l, self.buf.len()) {
            Ok(())
        } else {
            Err(out_of_memory(l))
        }
    }

    /// `mp_encode_lua_type` for `v`, which sits at Lua stack height `slots`.
    fn value(&mut self, l: &mut Lua, v: Value, level: usize, slots: usize) -> Result<(), LuaError> {
        match v {
            Value::Str(s) => encode_bytes(l.heap.str(s), &mut self.buf),
            Value::Bool(b) => self.buf.push(if b { 0xc3 } else { 0xc2 }),
            Value::Num(n) => {
                if is_int64_equivalent(n) {
                    encode_int(n as i64, &mut self.buf)
                } else {
                    encode_double(n, &mut self.buf)
                }
            }
            Value::Table(t) if level != MAX_NESTING => self.table(l, t, level, slots)?,
            _ => self.buf.push(0xc0),
        }
        self.check_size(l)
    }

    fn table(&mut self, l: &mut Lua, t: TableRef, level: usize, slots: usize) -> Result<(), LuaError> {
        if slots + 2 > LUAI_MAXCSTACK {
            return Err(stack_overflow(l, "in function table_is_an_array"));
        }
        if table_is_an_array(l, t) {
            let len = l.raw_len(t);
            encode_header(len, 0x90, 0xdc, 0xdd, &mut self.buf);
            if slots + 1 > LUAI_MAXCSTACK {
                return Err(stack_overflow(l, "in function mp_encode_lua_table_as_array"));
            }
            for j in 1..=len {
                let v = l.raw_get_int(t, j as i64);
                self.value(l, v, level + 1, slots + 1)?;
            }
        } else {
            if slots + 3 > LUAI_MAXCSTACK {
                return Err(stack_overflow(l, "in function mp_encode_lua_table_as_map"));
            }
            let mut len = 0usize;
            let mut k = Value::Nil;
            while let Some((key, _)) = table_next(l, t, k) {
                len += 1;
                k = key;
            }
            encode_header(len, 0x80, 0xde, 0xdf, &mut self.buf);
            let mut k = Value::Nil;
            while let Some((key, v)) = table_next(l, t, k) {
                self.value(l, key, level + 1, slots + 3)?;
                self.value(l, v, level + 1, slots + 2)?;
                k = key;
            }
        }
        Ok(())
    }
}

/// `cmsgpack.pack(...)`: every argument encoded, concatenated.
fn mp_pack(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let nargs = l.nargs();
    if nargs == 0 {
        return Err(l.arg_error(0, "MessagePack pack needs input."));
    }
    if nargs > LUAI_MAXCSTACK || 2 * nargs > LUAI_MAXCSTACK {
        return Err(l.arg_error(0, "Too many arguments for MessagePack pack."));
    }
    let mut enc = Encoder { buf: Vec::new() };
    for i in 1..=nargs {
        // Stack: the arguments, the i-1 strings already packed, the copy being encoded.
        let v = l.arg(i);
        enc.value(l, v, 0, nargs + i)?;
    }
    let v = l.new_string(enc.buf);
    l.push(v);
    Ok(1)
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/// Why decoding stopped.
enum DecodeError {
    /// "Missing bytes in input."
    Eof,
    /// "Bad data format in input."
    BadFormat,
    /// `luaL_checkstack` failed: "stack overflow (msg)".
    Stack(&'static str),
    Lua(LuaError),
}

impl From<LuaError> for DecodeError {
    fn from(e: LuaError) -> Self {
        DecodeError::Lua(e)
    }
}

/// A container being filled.
enum Open {
    Array { t: TableRef, next: f64, left: usize },
    Map { t: TableRef, left: usize, key: Option<Value> },
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// `mp_cur_need` then the bytes: `n` bytes from the cursor.
    fn take(&self, n: usize) -> Result<&[u8], DecodeError> {
        self.data.get(self.pos..).and_then(|r| r.get(..n)).ok_or(DecodeError::Eof)
    }

    fn be(&self, at: usize, n: usize) -> Result<u64, DecodeError> {
        let b = self.take(at + n)?;
        Ok(b[at..].iter().fold(0u64, |acc, &x| (acc << 8) | x as u64))
    }
}

/// What one header byte (and its payload) decodes to.
enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

/// `lua_settable(t, k, v)` on a fresh table: raw, with the VM's key errors (no position: raised in C).
fn settable(l: &mut Lua, t: TableRef, k: Value, v: Value) -> Result<(), LuaError> {
    l.heap.raw_set(t, k, v).map_err(|e| {
        let msg = l.new_str(e.message().as_bytes());
        l.error_value(msg)
    })
}

/// Decode one top-level value; `base` is the Lua stack height before it, for the stack limit.
fn decode_one(l: &mut Lua, c: &mut Cursor, base: usize) -> Result<Value, DecodeError> {
    let mut open: Vec<(Open, usize)> = Vec::new();
    // Stack height under the value about to be decoded.
    let mut slots = base;
    loop {
        // mp_decode_to_lua_type
        c.take(1)?;
        if slots + 1 > LUAI_MAXCSTACK {
            return Err(DecodeError::Stack("too many return values at once; use unpack_one or unpack_limit instead."));
        }
        let item = read_item(l, c)?;
        let mut value = match item {
            Item::Value(v) => v,
            Item::Array(len) => {
                let t = l.new_table(0, 0);
                if slots + 2 > LUAI_MAXCSTACK {
                    return Err(DecodeError::Stack("in function mp_decode_to_lua_array"));
                }
                if len > 0 {
                    open.push((Open::Array { t, next: 1.0, left: len }, slots));
                    // The table and the index sit under the element.
                    slots += 2;
                    continue;
                }
                Value::Table(t)
            }
            Item::Map(len) => {
                let t = l.new_table(0, 0);
                if len > 0 {
                    open.push((Open::Map { t, left: len, key: None }, slots));
                    slots += 1;
                    continue;
                }
                Value::Table(t)
            }
        };
        // Hand the finished value to the containers, closing those it completes.
        loop {
            let Some((frame, frame_slots)) = open.last_mut() else {
                return Ok(value);
            };
            match frame {
                Open::Array { t, next, left } => {
                    let t = *t;
                    settable(l, t, Value::Num(*next), value)?;
                    *next += 1.0;
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    slots = *frame_slots;
                    open.pop();
                    value = Value::Table(t);
                }
                Open::Map { t, left, key } => match key.take() {
                    None => {
                        *key = Some(value);
                        slots += 1;
                        break;
                    }
                    Some(k) => {
                        let t = *t;
                        settable(l, t, k, value)?;
                        slots -= 1;
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                        slots = *frame_slots;
                        open.pop();
                        value = Value::Table(t);
                    }
                },
            }
        }
    }
}

/// One header (and a scalar's payload), advancing the cursor past what it consumed.
fn read_item(l: &mut Lua, c: &mut Cursor) -> Result<Item, DecodeError> {
    let b = c.take(1)?[0];
    let (item, used) = match b {
        0xcc => (Item::Value(Value::Num(c.be(1, 1)? as f64)), 2),
        0xd0 => (Item::Value(Value::Num(c.be(1, 1)? as u8 as i8 as f64)), 2),
        0xcd => (Item::Value(Value::Num(c.be(1, 2)? as f64)), 3),
        0xd1 => (Item::Value(Value::Num(c.be(1, 2)? as u16 as i16 as f64)), 3),
        0xce => (Item::Value(Value::Num(c.be(1, 4)? as f64)), 5),
        0xd2 => (Item::Value(Value::Num(c.be(1, 4)? as u32 as i32 as f64)), 5),
        // lua_pushinteger of the unsigned value: above 2^63 it reads back negative.
        0xcf => (Item::Value(Value::Num(c.be(1, 8)? as i64 as f64)), 9),
        0xd3 => (Item::Value(Value::Num(c.be(1, 8)? as i64 as f64)), 9),
        0xc0 => (Item::Value(Value::Nil), 1),
        0xc3 => (Item::Value(Value::Bool(true)), 1),
        0xc2 => (Item::Value(Value::Bool(false)), 1),
        0xca => (Item::Value(Value::Num(f32::from_bits(c.be(1, 4)? as u32) as f64)), 5),
        0xcb => (Item::Value(Value::Num(f64::from_bits(c.be(1, 8)?))), 9),
        0xd9 => {
            let len = c.be(1, 1)? as usize;
            return string(l, c, 2, len);
        }
        0xda => {
            let len = c.be(1, 2)? as usize;
            return string(l, c, 3, len);
        }
        0xdb => {
            let len = c.be(1, 4)? as usize;
            return string(l, c, 5, len);
        }
        0xdc => (Item::Array(c.be(1, 2)? as usize), 3),
        0xdd => (Item::Array(c.be(1, 4)? as usize), 5),
        0xde => (Item::Map(c.be(1, 2)? as usize), 3),
        0xdf => (Item::Map(c.be(1, 4)? as usize), 5),
        _ if b & 0x80 == 0 => (Item::Value(Value::Num(b as f64)), 1),
        _ if b & 0xe0 == 0xe0 => (Item::Value(Value::Num(b as i8 as f64)), 1),
        _ if b & 0xe0 == 0xa0 => return string(l, c, 1, (b & 0x1f) as usize),
        _ if b & 0xf0 == 0x90 => (Item::Array((b & 0xf) as usize), 1),
        _ if b & 0xf0 == 0x80 => (Item::Map((b & 0xf) as usize), 1),
        _ => return Err(DecodeError::BadFormat),
    };
    c.pos += used;
    Ok(item)
}

/// A string of `len` bytes after a header of `hdr` bytes.
fn string(l: &mut Lua, c: &mut Cursor, hdr: usize, len: usize) -> Result<Item, DecodeError> {
    let total = hdr.checked_add(len).ok_or(DecodeError::Eof)?;
    let bytes = c.take(total)?;
    let v = l.new_str(&bytes[hdr..]);
    c.pos += total;
    Ok(Item::Value(v))
}

/// `mp_unpack_full`: decode up to `limit` values from `offset` (0 and 0: everything, no offset result).
fn unpack_full(l: &mut Lua, limit: i64, offset: i64) -> Result<usize, LuaError> {
    let s = l.check_str(1)?;
    let len = l.heap.str(s).len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        // The C library prints the input length where it means the limit.
        let msg = format!("Invalid request to unpack with offset of {} and limit of {}.", offset as i32, len as i32);
        return Err(l.runtime_error(&msg));
    }
    if offset as u64 > len as u64 {
        let msg = format!("Start offset {} greater than input length {}.", offset as i32, len as i32);
        return Err(l.runtime_error(&msg));
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    // The decoder reads the interned string's bytes while it allocates other objects: take a copy of the
    // (usually small) input so the borrow does not span those allocations.
    let data = l.heap.str(s)[offset as usize..].to_vec();
    let mut c = Cursor { data: &data, pos: 0 };
    let first = l.stack.len();
    let mut cnt: i64 = 0;
    while c.pos < data.len() && cnt < limit {
        let base = l.stack.len() - l.base;
        match decode_one(l, &mut c, base) {
            Ok(v) => l.push(v),
            Err(DecodeError::Eof) => return Err(l.runtime_error("Missing bytes in input.")),
            Err(DecodeError::BadFormat) => return Err(l.runtime_error("Bad data format in input.")),
            Err(DecodeError::Stack(msg)) => return Err(stack_overflow(l, msg)),
            Err(DecodeError::Lua(e)) => return Err(e),
        }
        cnt += 1;
    }
    if !decode_all {
        let left = data.len() - c.pos;
        let next = if left == 0 { -1.0 } else { (len - left) as f64 };
        l.stack.insert(first, Value::Num(next));
        cnt += 1;
    }
    Ok(cnt as usize)
}

fn mp_unpack(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    unpack_full(l, 0, 0)
}

fn mp_unpack_one(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let offset = super::opt_integer(l, 2, 0)?;
    let keep = l.base + 1;
    if l.stack.len() > keep {
        l.stack.truncate(keep);
    }
    unpack_full(l, 1, offset)
}

fn mp_unpack_limit(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let limit = super::check_integer(l, 2)?;
    let offset = super::opt_integer(l, 3, 0)?;
    let keep = l.base + 1;
    if l.stack.len() > keep {
        l.stack.truncate(keep);
    }
    unpack_full(l, limit, offset)
}

/// Register the global table `cmsgpack`.
pub fn open(l: &mut Lua) {
    let t = l.new_table(0, 8);
    l.register(t, "pack", mp_pack);
    l.register(t, "unpack", mp_unpack);
    l.register(t, "unpack_one", mp_unpack_one);
    l.register(t, "unpack_limit", mp_unpack_limit);
    let fields: [(&str, &[u8]); 4] = [
        ("_NAME", b"cmsgpack"),
        ("_VERSION", b"lua-cmsgpack 0.4.0"),
        ("_COPYRIGHT", b"Copyright (C) 2012, Salvatore Sanfilippo"),
        ("_DESCRIPTION", b"MessagePack C implementation for Lua"),
    ];
    for (k, v) in fields {
        let v = l.new_str(v);
        l.set_field(t, k, v);
    }
    l.set_global("cmsgpack", Value::Table(t));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::heap::NativeFn;

    fn call(l: &mut Lua, f: NativeFn, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        crate::lua::lib::call_native(l, f, args)
    }

    fn pack(l: &mut Lua, args: &[Value]) -> Vec<u8> {
        let v = call(l, mp_pack, args).map(|r| r[0]).unwrap_or(Value::Nil);
        l.str_bytes(v).unwrap_or_default().to_vec()
    }

    #[test]
    fn pack_scalars() {
        let mut l = Lua::new();
        let n = Value::Num;
        assert_eq!(pack(&mut l, &[n(1.0)]), vec![1]);
        assert_eq!(pack(&mut l, &[n(-1.0)]), vec![0xff]);
        assert_eq!(pack(&mut l, &[n(-33.0)]), vec![0xd0, 0xdf]);
        assert_eq!(pack(&mut l, &[n(200.0)]), vec![0xcc, 200]);
        assert_eq!(pack(&mut l, &[n(65536.0)]), vec![0xce, 0, 1, 0, 0]);
        assert_eq!(pack(&mut l, &[n(4294967296.0)]), vec![0xcf, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(pack(&mut l, &[n(-2147483649.0)]), vec![0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
        assert_eq!(pack(&mut l, &[n(0.5)]), vec![0xca, 0x3f, 0, 0, 0]);
        assert_eq!(pack(&mut l, &[n(0.1)]), [vec![0xcb], 0.1f64.to_be_bytes().to_vec()].concat());
        assert_eq!(pack(&mut l, &[n(2f64.powi(63))]), vec![0xca, 0x5f, 0, 0, 0]);
        assert_eq!(pack(&mut l, &[Value::Bool(true), Value::Nil, Value::Bool(false)]), vec![0xc3, 0xc0, 0xc2]);
        let s = l.new_str(&[b'a'; 40]);
        let mut want = vec![0xd9, 40];
        want.extend_from_slice(&[b'a'; 40]);
        assert_eq!(pack(&mut l, &[s]), want);
    }

    #[test]
    fn pack_tables() {
        let mut l = Lua::new();
        let t = l.new_table(0, 0);
        assert_eq!(pack(&mut l, &[Value::Table(t)]), vec![0x90]);
        for i in 1..=3 {
            l.raw_set_int(t, i, Value::Num(i as f64 * 10.0)).ok();
        }
        assert_eq!(pack(&mut l, &[Value::Table(t)]), vec![0x93, 10, 20, 30]);
        let m = l.new_table(0, 0);
        let k = l.new_str(b"a");
        l.raw_set(m, k, Value::Num(1.0)).ok();
        assert_eq!(pack(&mut l, &[Value::Table(m)]), vec![0x81, 0xa1, b'a', 1]);
        // A table containing itself stops at the nesting limit.
        let c = l.new_table(0, 0);
        l.raw_set_int(c, 1, Value::Table(c)).ok();
        let mut want = vec![0x91; 16];
        want.push(0xc0);
        assert_eq!(pack(&mut l, &[Value::Table(c)]), want);
    }

    #[test]
    fn output_is_bounded_by_the_heap_limit() {
        let mut l = Lua::new();
        // A table holding the same big string many times packs to far more than it occupies.
        let s = l.new_str(&[b'x'; 5000]);
        let t = l.new_table(0, 0);
        for i in 1..=200 {
            l.raw_set_int(t, i, s).ok();
        }
        l.heap.limit = l.heap.bytes + 100_000;
        match call(&mut l, mp_pack, &[Value::Table(t)]) {
            Err(e) => assert_eq!(e.kind, ErrorKind::Memory),
            Ok(_) => panic!("packed past the heap limit"),
        }
        l.heap.limit = usize::MAX;
        assert_eq!(pack(&mut l, &[Value::Table(t)]).len(), 3 + 200 * (3 + 5000));
    }

    fn unpack(l: &mut Lua, data: &[u8]) -> Result<Vec<Value>, LuaError> {
        let s = l.new_str(data);
        call(l, mp_unpack, &[s])
    }

    #[test]
    fn unpack_values() {
        let mut l = Lua::new();
        let r = unpack(&mut l, &[0x01, 0xff, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).unwrap_or_default();
        assert_eq!(r.iter().map(|v| v.as_num()).collect::<Vec<_>>(), vec![Some(1.0), Some(-1.0), Some(-1.0)]);
        let r = unpack(&mut l, &[0x92, 0x81, 0xa1, b'k', 0xc3, 0x07]).unwrap_or_default();
        let Value::Table(t) = r[0] else { panic!("not a table") };
        let Value::Table(inner) = l.raw_get_int(t, 1) else { panic!("not a table") };
        let k = l.new_str(b"k");
        assert!(matches!(l.raw_get(inner, k), Value::Bool(true)));
        assert_eq!(l.raw_get_int(t, 2).as_num(), Some(7.0));
    }

    #[test]
    fn deep_input_is_bounded_without_recursion() {
        let mut l = Lua::new();
        let mut data = vec![0x91u8; 100_000];
        data.push(0x01);
        let mut c = Cursor { data: &data, pos: 0 };
        match decode_one(&mut l, &mut c, 1) {
            Err(DecodeError::Stack(msg)) => assert_eq!(msg, "in function mp_decode_to_lua_array"),
            _ => panic!("expected the stack limit"),
        }
    }

    #[test]
    fn truncated_and_bad_input() {
        let mut l = Lua::new();
        for (input, eof) in [
            (&[0xcdu8, 0x01][..], true),
            (&[0xc1][..], false),
            (&[0x92, 0x01][..], true),
            (&[0xd4, 0, 0][..], false),
            (&[0xdb, 0xff, 0xff, 0xff, 0xff][..], true),
        ] {
            let mut c = Cursor { data: input, pos: 0 };
            match decode_one(&mut l, &mut c, 1) {
                Err(DecodeError::Eof) => assert!(eof, "{input:?}"),
                Err(DecodeError::BadFormat) => assert!(!eof, "{input:?}"),
                _ => panic!("{input:?} decoded"),
            }
        }
    }
}
