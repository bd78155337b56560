//! The `cjson` library as Redis 7.0 bundles it (Lua CJSON 2.1.0 with Redis's patches): `cjson.encode`,
//! `cjson.decode`, the configuration functions, `cjson.new`, `cjson.null`, `_NAME` and `_VERSION`.
//!
//! Encoding, byte for byte as the C library:
//! - a table is an array when every key is a number `k >= 1` with `floor(k) == k` (`lua_array_length`); its
//!   length is the largest key and holes encode as `null`. An "excessively sparse" array (largest key above both
//!   `ratio * items` and `safe`, defaults 2 and 10) is an error, or an object when `encode_sparse_array(true)`.
//!   The empty table, and any other table, is an object whose entries come in `next` order;
//! - numbers print as `%.{precision}g` (default 14); NaN and infinities are an error unless
//!   `encode_invalid_numbers` is `true` (`nan`, `inf`, `-inf`) or `"null"`;
//! - strings escape `"`, `\`, `/` (as `\/`), the control characters (`\b \t \n \f \r`, others `\u00XX`) and DEL
//!   (`\u007f`); other bytes pass through untouched (no UTF-8 check);
//! - number keys are quoted; other key types, functions, threads and non-null userdata are errors.
//!
//! Decoding reads the string as C does, as a NUL-terminated string: whatever follows a NUL byte is ignored.
//! Numbers go through `strtod`, so hexadecimal, `inf`, `nan` and a leading `+` decode when
//! `decode_invalid_numbers` is on (the default). `\uXXXX` escapes (with surrogate pairs) become UTF-8; JSON
//! `null` is `cjson.null`, the light userdata NULL. Every error message is the C library's, with the same
//! character positions.
//!
//! Nesting is bounded twice, as in Redis: by `encode_max_depth`/`decode_max_depth` (default 1000) and by Lua's C
//! stack limit of 8000 slots, which a raised depth limit runs into; the encoder and decoder keep explicit stacks,
//! so no input deepens the Rust stack. The encoder's output is bounded by the string and heap limits ("not enough
//! memory"), which is what stops pathological sparse arrays and shared sub-tables.
//!
//! Each module table (the global one and each `cjson.new()`) has its own configuration, kept in a private table
//! that is the first upvalue of all its functions, as the C library keeps a userdata there.
//!
//! Tested by the unit tests below and by the differential cases in `tests/scripting/lua_redislibs.rs`.

use super::cmsgpack::{fits, out_of_memory, table_next};
use super::struct_lib::LUAI_MAXCSTACK;
use crate::lua::heap::Function;
use crate::lua::number::{fmt_g, strtod};
use crate::lua::value::{LuaError, StrRef, TableRef, Value};
use crate::lua::Lua;

/// One module's settings (`json_config_t`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Config {
    sparse_convert: i32,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0: error, 1: `nan`/`inf`, 2: `null`.
    encode_invalid_numbers: i32,
    decode_invalid_numbers: i32,
    encode_keep_buffer: i32,
    encode_number_precision: i32,
}

const DEFAULT_CONFIG: Config = Config {
    sparse_convert: 0,
    sparse_ratio: 2,
    sparse_safe: 10,
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    encode_invalid_numbers: 0,
    decode_invalid_numbers: 1,
    encode_keep_buffer: 1,
    encode_number_precision: 14,
};

impl Config {
    fn to_array(self) -> [i32; 9] {
        [
            self.sparse_convert,
            self.sparse_ratio,
            self.sparse_safe,
            self.encode_max_depth,
            self.decode_max_depth,
            self.encode_invalid_numbers,
            self.decode_invalid_numbers,
            self.encode_keep_buffer,
            self.encode_number_precision,
        ]
    }

    fn from_array(a: [i32; 9]) -> Config {
        Config {
            sparse_convert: a[0],
            sparse_ratio: a[1],
            sparse_safe: a[2],
            encode_max_depth: a[3],
            decode_max_depth: a[4],
            encode_invalid_numbers: a[5],
            decode_invalid_numbers: a[6],
            encode_keep_buffer: a[7],
            encode_number_precision: a[8],
        }
    }
}

/// The configuration table of the running native function (its first upvalue).
fn config_table(l: &mut Lua) -> Result<TableRef, LuaError> {
    let running = l.base.checked_sub(1).and_then(|i| l.stack.get(i)).copied();
    if let Some(Value::Func(f)) = running {
        if let Function::Native(c) = l.heap.func(f) {
            if let Some(&Value::Table(t)) = c.upvals.first() {
                return Ok(t);
            }
        }
    }
    Err(l.runtime_error("BUG: Unable to fetch CJSON configuration"))
}

fn load_config(l: &mut Lua) -> Result<(TableRef, Config), LuaError> {
    let t = config_table(l)?;
    let mut a = DEFAULT_CONFIG.to_array();
    for (i, slot) in a.iter_mut().enumerate() {
        if let Value::Num(n) = l.raw_get_int(t, i as i64 + 1) {
            *slot = n as i32;
        }
    }
    Ok((t, Config::from_array(a)))
}

fn store_config(l: &mut Lua, t: TableRef, cfg: Config) -> Result<(), LuaError> {
    for (i, v) in cfg.to_array().iter().enumerate() {
        l.raw_set_int(t, i as i64 + 1, Value::Num(*v as f64))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Configuration functions

/// `json_arg_init`: at most `args` arguments ("found too many arguments"), padded with nils so that the
/// results pushed next do not read as arguments; then the configuration.
fn arg_init(l: &mut Lua, args: usize) -> Result<(TableRef, Config), LuaError> {
    if l.nargs() > args {
        return Err(l.arg_error(args + 1, "found too many arguments"));
    }
    while l.nargs() < args {
        l.push(Value::Nil);
    }
    load_config(l)
}

/// `json_integer_option`: set from argument `i` when not nil (range errors always name argument 1, as in C),
/// then push the setting.
fn integer_option(l: &mut Lua, i: usize, setting: &mut i32, min: i32, max: i32) -> Result<(), LuaError> {
    if !l.arg(i).is_nil() {
        // lua_Integer truncated to int, as the C assignment does.
        let value = super::check_integer(l, i)? as i32;
        if !(min <= value && value <= max) {
            return Err(l.arg_error(1, &format!("expected integer between {min} and {max}")));
        }
        *setting = value;
    }
    l.push(Value::Num(*setting as f64));
    Ok(())
}

/// `json_enum_option` with `bool_true == 1`: a boolean, or one of `options` by name; pushes a boolean for
/// settings 0 and 1 and the option's name otherwise.
fn enum_option(l: &mut Lua, i: usize, setting: &mut i32, options: &[&str]) -> Result<(), LuaError> {
    match l.arg(i) {
        Value::Nil => {}
        Value::Bool(b) => *setting = b as i32,
        _ => {
            let s = l.check_str(i)?;
            let bytes = l.heap.str(s);
            // luaL_checkoption compares C strings: the name ends at its first NUL.
            let name = &bytes[..memchr::memchr(0, bytes).unwrap_or(bytes.len())];
            match options.iter().position(|o| o.as_bytes() == name) {
                Some(k) => *setting = k as i32,
                None => {
                    let msg = format!("invalid option '{}'", String::from_utf8_lossy(name));
                    return Err(l.arg_error(i, &msg));
                }
            }
        }
    }
    if *setting == 0 || *setting == 1 {
        l.push(Value::Bool(*setting == 1));
    } else {
        let name = options.get(*setting as usize).copied().unwrap_or("");
        l.push_str(name.as_bytes());
    }
    Ok(())
}

const ON_OFF: &[&str] = &["off", "on"];

fn cfg_encode_sparse_array(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (t, mut cfg) = arg_init(l, 3)?;
    enum_option(l, 1, &mut cfg.sparse_convert, ON_OFF)?;
    integer_option(l, 2, &mut cfg.sparse_ratio, 0, i32::MAX)?;
    integer_option(l, 3, &mut cfg.sparse_safe, 0, i32::MAX)?;
    store_config(l, t, cfg)?;
    Ok(3)
}

fn cfg_encode_max_depth(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (t, mut cfg) = arg_init(l, 1)?;
    integer_option(l, 1, &mut cfg.encode_max_depth, 1, i32::MAX)?;
    store_config(l, t, cfg)?;
    Ok(1)
}

fn cfg_decode_max_depth(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (t, mut cfg) = arg_init(l, 1)?;
    integer_option(l, 1, &mut cfg.decode_max_depth, 1, i32::MAX)?;
    store_config(l, t, cfg)?;
    Ok(1)
}

fn cfg_encode_number_precision(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (t, mut cfg) = arg_init(l, 1)?;
    integer_option(l, 1, &mut cfg.encode_number_precision, 1, 14)?;
    store_config(l, t, cfg)?;
    Ok(1)
}

/// Only reported back: the encoder needs no buffer between calls here.
fn cfg_encode_keep_buffer(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (t, mut cfg) = arg_init(l, 1)?;
    enum_option(l, 1, &mut cfg.encode_keep_buffer, ON_OFF)?;
    store_config(l, t, cfg)?;
    Ok(1)
}

fn cfg_encode_invalid_numbers(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (t, mut cfg) = arg_init(l, 1)?;
    enum_option(l, 1, &mut cfg.encode_invalid_numbers, &["off", "on", "null"])?;
    store_config(l, t, cfg)?;
    Ok(1)
}

fn cfg_decode_invalid_numbers(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (t, mut cfg) = arg_init(l, 1)?;
    enum_option(l, 1, &mut cfg.decode_invalid_numbers, ON_OFF)?;
    store_config(l, t, cfg)?;
    Ok(1)
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/// How encoding failed: a `luaL_error` message (the caller adds the position) or the output limit.
#[derive(Debug, PartialEq)]
enum EncodeError {
    Msg(String),
    Memory,
}

fn cannot(what: &str, reason: &str) -> EncodeError {
    EncodeError::Msg(format!("Cannot serialise {what}: {reason}"))
}

/// `char2escape`: the escape for byte `c`, if it needs one.
fn escape(c: u8) -> Option<&'static [u8]> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const fn table() -> [[u8; 6]; 32] {
        let mut t = [[0u8; 6]; 32];
        let mut i = 0;
        while i < 32 {
            t[i] = [b'\\', b'u', b'0', b'0', HEX[i >> 4], HEX[i & 15]];
            i += 1;
        }
        t
    }
    static CONTROL: [[u8; 6]; 32] = table();
    match c {
        b'\x08' => Some(b"\\b"),
        b'\t' => Some(b"\\t"),
        b'\n' => Some(b"\\n"),
        b'\x0c' => Some(b"\\f"),
        b'\r' => Some(b"\\r"),
        0..=31 => CONTROL.get(c as usize).map(|e| &e[..]),
        b'"' => Some(b"\\\""),
        b'\\' => Some(b"\\\\"),
        b'/' => Some(b"\\/"),
        0x7f => Some(b"\\u007f"),
        _ => None,
    }
}

fn append_string(s: &[u8], out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        if let Some(e) = escape(c) {
            out.extend_from_slice(&s[start..i]);
            out.extend_from_slice(e);
            start = i + 1;
        }
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

fn append_number(cfg: &Config, n: f64, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match cfg.encode_invalid_numbers {
        0 => {
            if !n.is_finite() {
                return Err(cannot("number", "must not be NaN or Inf"));
            }
        }
        1 => {
            if n.is_nan() {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
        }
        _ => {
            if !n.is_finite() {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    let precision = cfg.encode_number_precision.clamp(1, 14) as usize;
    // `%.{p}g` prints an integer of at most `p` digits exactly: skip the general formatter for those.
    if n == n.trunc() && n.abs() < POW10[precision] && !(n == 0.0 && n.is_sign_negative()) {
        use std::io::Write;
        let _ = write!(out, "{}", n as i64);
    } else {
        fmt_g_shortest(n, precision, out);
    }
    Ok(())
}

/// `%.{p}g` of a finite `n` through the shortest round-trip digits when they number at most `p` (then they
/// are exactly what rounding to `p` digits gives: for a normal double and `p <= 14` the p-digit grid is far
/// coarser than the double's spacing, so the nearest grid point to `n` is the shortest representation itself);
/// otherwise, and for subnormals (whose spacing is coarse), the general formatter.
fn fmt_g_shortest(n: f64, p: usize, out: &mut Vec<u8>) {
    use std::io::Write;
    if !n.is_normal() {
        return fmt_g(n, p, false, out);
    }
    let mut buf = [0u8; 40];
    let len = {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        if write!(cur, "{n:e}").is_err() {
            return fmt_g(n, p, false, out);
        }
        cur.position() as usize
    };
    let text = &buf[..len];
    let (neg, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let Some(epos) = text.iter().position(|&c| c == b'e') else {
        return fmt_g(n, p, false, out);
    };
    let mut digits = [0u8; 20];
    let mut k = 0;
    for &c in text[..epos].iter().filter(|c| c.is_ascii_digit()) {
        if k == digits.len() {
            return fmt_g(n, p, false, out);
        }
        digits[k] = c;
        k += 1;
    }
    let exp: i32 = match std::str::from_utf8(&text[epos + 1..]).ok().and_then(|e| e.parse().ok()) {
        Some(e) => e,
        None => return fmt_g(n, p, false, out),
    };
    if k > p || k == 0 {
        return fmt_g(n, p, false, out);
    }
    let digits = &digits[..k];
    if neg {
        out.push(b'-');
    }
    if exp < -4 || exp >= p as i32 {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let _ = write!(out, "{:02}", exp.unsigned_abs());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if k <= int_len {
            out.extend_from_slice(digits);
            out.resize(out.len() + int_len - k, b'0');
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-exp - 1) as usize, b'0');
        out.extend_from_slice(digits);
    }
}

/// `10^i` for the precisions `1..=14`.
const POW10: [f64; 15] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14];

/// C's `(int)d` on x86-64 for `d >= 1`: out of range gives `INT_MIN`.
fn c_double_to_i32(d: f64) -> i32 {
    if d < 2_147_483_648.0 {
        d as i32
    } else {
        i32::MIN
    }
}

/// `lua_array_length`: the array length of `t` (> 0), or `None` to encode it as an object.
fn array_length(l: &Lua, cfg: &Config, t: TableRef) -> Result<Option<i32>, EncodeError> {
    let mut max: i32 = 0;
    let mut items: i32 = 0;
    let mut k = Value::Nil;
    while let Some((key, _)) = table_next(l, t, k) {
        match key {
            // `(k = lua_tonumber(l, -2))` is false for 0.
            Value::Num(n) if n != 0.0 && n.floor() == n && n >= 1.0 => {
                if n > max as f64 {
                    max = c_double_to_i32(n);
                }
                items = items.wrapping_add(1);
            }
            _ => return Ok(None),
        }
        k = key;
    }
    if cfg.sparse_ratio > 0 && max > items.wrapping_mul(cfg.sparse_ratio) && max > cfg.sparse_safe {
        if cfg.sparse_convert == 0 {
            return Err(cannot("table", "excessively sparse array"));
        }
        return Ok(None);
    }
    Ok(if max > 0 { Some(max) } else { None })
}

enum EncFrame {
    Array { t: TableRef, i: i32, len: i32, slots: usize },
    Object { t: TableRef, key: Value, first: bool, slots: usize },
}

struct Encoder<'a> {
    cfg: &'a Config,
    out: Vec<u8>,
    frames: Vec<EncFrame>,
}

impl Encoder<'_> {
    /// `json_append_data` for `v`, which sits at Lua stack height `slots`: a scalar is written, a table opens a
    /// frame.
    fn value(&mut self, l: &Lua, v: Value, slots: usize) -> Result<(), EncodeError> {
        match v {
            Value::Str(s) => append_string(l.heap.str(s), &mut self.out),
            Value::Num(n) => append_number(self.cfg, n, &mut self.out)?,
            Value::Bool(true) => self.out.extend_from_slice(b"true"),
            Value::Bool(false) => self.out.extend_from_slice(b"false"),
            Value::Nil | Value::LightUserData(0) => self.out.extend_from_slice(b"null"),
            Value::Table(t) => {
                let depth = self.frames.len() + 1;
                if depth > self.cfg.encode_max_depth as usize || slots + 3 > LUAI_MAXCSTACK {
                    return Err(EncodeError::Msg(format!("Cannot serialise, excessive nesting ({depth})")));
                }
                match array_length(l, self.cfg, t)? {
                    Some(len) => {
                        self.out.push(b'[');
                        self.frames.push(EncFrame::Array { t, i: 0, len, slots });
                    }
                    None => {
                        self.out.push(b'{');
                        self.frames.push(EncFrame::Object { t, key: Value::Nil, first: true, slots });
                    }
                }
            }
            other => return Err(cannot(other.type_name(), "type not supported")),
        }
        Ok(())
    }

    fn run(&mut self, l: &Lua, v: Value) -> Result<(), EncodeError> {
        // The argument itself is the one value on the C function's stack.
        self.value(l, v, 1)?;
        while let Some(frame) = self.frames.last_mut() {
            match frame {
                EncFrame::Array { t, i, len, slots } => {
                    if *i < *len {
                        *i += 1;
                        if *i > 1 {
                            self.out.push(b',');
                        }
                        let v = l.raw_get_int(*t, *i as i64);
                        let s = *slots + 1;
                        self.value(l, v, s)?;
                    } else {
                        self.out.push(b']');
                        self.frames.pop();
                    }
                }
                EncFrame::Object { t, key, first, slots } => match table_next(l, *t, *key) {
                    Some((k, v)) => {
                        if !*first {
                            self.out.push(b',');
                        }
                        *first = false;
                        *key = k;
                        let s = *slots + 2;
                        match k {
                            Value::Num(n) => {
                                self.out.push(b'"');
                                append_number(self.cfg, n, &mut self.out)?;
                                self.out.extend_from_slice(b"\":");
                            }
                            Value::Str(ks) => {
                                append_string(l.heap.str(ks), &mut self.out);
                                self.out.push(b':');
                            }
                            other => return Err(cannot(other.type_name(), "table key must be a number or string")),
                        }
                        self.value(l, v, s)?;
                    }
                    None => {
                        self.out.push(b'}');
                        self.frames.pop();
                    }
                },
            }
            if !fits(l, self.out.len()) {
                return Err(EncodeError::Memory);
            }
        }
        Ok(())
    }
}

fn encode_value(l: &Lua, cfg: &Config, v: Value) -> Result<Vec<u8>, EncodeError> {
    let mut enc = Encoder { cfg, out: Vec::with_capacity(64), frames: Vec::new() };
    enc.run(l, v)?;
    Ok(enc.out)
}

fn json_encode(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let (_, cfg) = load_config(l)?;
    if l.nargs() != 1 {
        return Err(l.arg_error(1, "expected 1 argument"));
    }
    let v = l.arg(1);
    match encode_value(l, &cfg, v) {
        Ok(out) => {
            let s = l.new_string(out);
            l.push(s);
            Ok(1)
        }
        Err(EncodeError::Msg(m)) => Err(l.runtime_error(&m)),
        Err(EncodeError::Memory) => Err(out_of_memory(l)),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    /// The parser's `tmp` buffer holds the string.
    Str,
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ObjBegin => "T_OBJ_BEGIN",
            Kind::ObjEnd => "T_OBJ_END",
            Kind::ArrBegin => "T_ARR_BEGIN",
            Kind::ArrEnd => "T_ARR_END",
            Kind::Str => "T_STRING",
            Kind::Number(_) => "T_NUMBER",
            Kind::Boolean(_) => "T_BOOLEAN",
            Kind::Null => "T_NULL",
            Kind::Colon => "T_COLON",
            Kind::Comma => "T_COMMA",
            Kind::End => "T_END",
            Kind::Error(what) => what,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    /// 0-based position the error messages report (plus one).
    index: usize,
}

struct Parser<'a> {
    data: &'a [u8],
    ptr: usize,
    /// The last string token, unescaped.
    tmp: Vec<u8>,
    invalid_numbers: bool,
    max_depth: i32,
    depth: i32,
}

fn hexdigit(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

fn codepoint_to_utf8(cp: u32, out: &mut Vec<u8>) {
    if cp <= 0x7f {
        out.push(cp as u8);
    } else if cp <= 0x7ff {
        out.extend_from_slice(&[(cp >> 6) as u8 | 0xc0, (cp & 0x3f) as u8 | 0x80]);
    } else if cp <= 0xffff {
        out.extend_from_slice(&[(cp >> 12) as u8 | 0xe0, ((cp >> 6) & 0x3f) as u8 | 0x80, (cp & 0x3f) as u8 | 0x80]);
    } else {
        out.extend_from_slice(&[
            (cp >> 18) as u8 | 0xf0,
            ((cp >> 12) & 0x3f) as u8 | 0x80,
            ((cp >> 6) & 0x3f) as u8 | 0x80,
            (cp & 0x3f) as u8 | 0x80,
        ]);
    }
}

impl Parser<'_> {
    /// The byte at `i`, with the C string's terminating NUL past the end.
    #[inline]
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let mut v = 0;
        for k in 0..4 {
            v = (v << 4) | hexdigit(self.at(i + k))?;
        }
        Some(v)
    }

    fn error(&self, what: &'static str) -> Token {
        Token { kind: Kind::Error(what), index: self.ptr }
    }

    /// `json_append_unicode_escape` at `\u`: append the UTF-8 and advance, or `None`.
    fn unicode_escape(&mut self) -> Option<()> {
        let mut cp = self.hex4(self.ptr + 2)?;
        let mut len = 6;
        if cp & 0xf800 == 0xd800 {
            if cp & 0x400 != 0 {
                return None;
            }
            if self.at(self.ptr + 6) != b'\\' || self.at(self.ptr + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.ptr + 8)?;
            if low & 0xfc00 != 0xdc00 {
                return None;
            }
            cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
            len = 12;
        }
        codepoint_to_utf8(cp, &mut self.tmp);
        self.ptr += len;
        Some(())
    }

    fn string_token(&mut self, index: usize) -> Token {
        self.ptr += 1;
        self.tmp.clear();
        loop {
            let c = self.at(self.ptr);
            match c {
                b'"' => break,
                0 => return self.error("unexpected end of string"),
                b'\\' => {
                    let unescaped = match self.at(self.ptr + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => b'\x08',
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => b'\x0c',
                        b'r' => b'\r',
                        b'u' => {
                            if self.unicode_escape().is_none() {
                                return self.error("invalid unicode escape code");
                            }
                            continue;
                        }
                        _ => return self.error("invalid escape code"),
                    };
                    self.tmp.push(unescaped);
                    self.ptr += 2;
                }
                _ => {
                    // Copy the run of plain bytes at once.
                    let rest = &self.data[self.ptr..];
                    let run = rest.iter().position(|&b| b == b'"' || b == b'\\' || b == 0).unwrap_or(rest.len());
                    self.tmp.extend_from_slice(&rest[..run]);
                    self.ptr += run;
                }
            }
        }
        self.ptr += 1;
        Token { kind: Kind::Str, index }
    }

    /// `json_is_invalid_number`: forms `strtod` accepts that strict JSON does not (`+`, hex, leading zeros,
    /// inf, nan).
    fn is_invalid_number(&self) -> bool {
        let mut p = self.ptr;
        match self.at(p) {
            b'+' => return true,
            b'-' => p += 1,
            _ => {}
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return c2 | 0x20 == b'x' || c2.is_ascii_digit();
        }
        // `*p <= '9'` on a signed char: bytes from 0x80 count as "ordinary".
        if c <= b'9' || c >= 0x80 {
            return false;
        }
        let word = |s: &[u8]| (0..3).all(|k| self.at(p + k).to_ascii_lowercase() == s[k]);
        word(b"inf") || word(b"nan")
    }

    fn number_token(&mut self, index: usize) -> Token {
        let rest = &self.data[self.ptr.min(self.data.len())..];
        let rest = &rest[..memchr::memchr(0, rest).unwrap_or(rest.len())];
        match strtod(rest) {
            Some((n, used)) if used > 0 => {
                self.ptr += used;
                Token { kind: Kind::Number(n), index }
            }
            _ => self.error("invalid number"),
        }
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.ptr), b' ' | b'\t' | b'\n' | b'\r') {
            self.ptr += 1;
        }
        let index = self.ptr;
        let c = self.at(self.ptr);
        let single = match c {
            b'{' => Some(Kind::ObjBegin),
            b'}' => Some(Kind::ObjEnd),
            b'[' => Some(Kind::ArrBegin),
            b']' => Some(Kind::ArrEnd),
            b',' => Some(Kind::Comma),
            b':' => Some(Kind::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            self.ptr += 1;
            return Token { kind, index };
        }
        match c {
            0 => Token { kind: Kind::End, index },
            b'"' => self.string_token(index),
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && self.is_invalid_number() {
                    return self.error("invalid number");
                }
                self.number_token(index)
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                let starts = |w: &[u8]| w.iter().enumerate().all(|(k, &b)| self.at(self.ptr + k) == b);
                if starts(b"true") {
                    self.ptr += 4;
                    Token { kind: Kind::Boolean(true), index }
                } else if starts(b"false") {
                    self.ptr += 5;
                    Token { kind: Kind::Boolean(false), index }
                } else if starts(b"null") {
                    self.ptr += 4;
                    Token { kind: Kind::Null, index }
                } else if self.invalid_numbers && self.is_invalid_number() {
                    self.number_token(index)
                } else {
                    self.error("invalid token")
                }
            }
            _ => self.error("invalid token"),
        }
    }

    fn descend(&mut self, slots_below: usize, need: usize) -> Result<(), String> {
        self.depth += 1;
        if self.depth <= self.max_depth && slots_below + need <= LUAI_MAXCSTACK {
            return Ok(());
        }
        Err(format!("Found too many nested data structures ({}) at character {}", self.depth, self.ptr))
    }
}

fn parse_error(expected: &str, tok: Token) -> String {
    format!("Expected {expected} but found {} at character {}", tok.kind.name(), tok.index + 1)
}

/// A table being filled by the decoder; `slots` is the Lua stack height below it.
enum DecFrame {
    Object { t: TableRef, key: StrRef, slots: usize },
    Array { t: TableRef, i: i64, slots: usize },
}

/// Decode `data` (a whole document). Errors are `luaL_error` messages, without position.
fn decode_document(l: &mut Lua, cfg: &Config, data: &[u8]) -> Result<Value, String> {
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err("JSON parser does not support UTF-16 or UTF-32".to_string());
    }
    let mut p = Parser {
        data,
        ptr: 0,
        tmp: Vec::new(),
        invalid_numbers: cfg.decode_invalid_numbers != 0,
        max_depth: cfg.decode_max_depth,
        depth: 0,
    };
    let mut frames: Vec<DecFrame> = Vec::new();
    let mut tok = p.next_token();
    let result = 'value: loop {
        // Stack height under the value: the argument, plus (table, key) per object and table per array.
        let slots = match frames.last() {
            None => 1,
            Some(DecFrame::Object { slots, .. }) => slots + 2,
            Some(DecFrame::Array { slots, .. }) => slots + 1,
        };
        let mut value = match tok.kind {
            Kind::Str => Value::Str(l.intern(&p.tmp)),
            Kind::Number(n) => Value::Num(n),
            Kind::Boolean(b) => Value::Bool(b),
            Kind::Null => Value::LightUserData(0),
            Kind::ObjBegin => {
                p.descend(slots, 3)?;
                let t = l.new_table(0, 0);
                tok = p.next_token();
                if tok.kind == Kind::ObjEnd {
                    p.depth -= 1;
                    Value::Table(t)
                } else {
                    let key = object_key(l, &mut p, tok)?;
                    frames.push(DecFrame::Object { t, key, slots });
                    tok = p.next_token();
                    continue 'value;
                }
            }
            Kind::ArrBegin => {
                p.descend(slots, 2)?;
                let t = l.new_table(0, 0);
                tok = p.next_token();
                if tok.kind == Kind::ArrEnd {
                    p.depth -= 1;
                    Value::Table(t)
                } else {
                    frames.push(DecFrame::Array { t, i: 1, slots });
                    continue 'value;
                }
            }
            _ => return Err(parse_error("value", tok)),
        };
        // Store the finished value in its container; close the containers it completes.
        loop {
            match frames.last_mut() {
                None => break 'value value,
                Some(DecFrame::Object { t, key, .. }) => {
                    let t = *t;
                    l.heap.raw_set(t, Value::Str(*key), value).map_err(|e| e.message().to_string())?;
                    tok = p.next_token();
                    if tok.kind == Kind::ObjEnd {
                        p.depth -= 1;
                        frames.pop();
                        value = Value::Table(t);
                        continue;
                    }
                    if tok.kind != Kind::Comma {
                        return Err(parse_error("comma or object end", tok));
                    }
                    tok = p.next_token();
                    let k = object_key(l, &mut p, tok)?;
                    if let Some(DecFrame::Object { key, .. }) = frames.last_mut() {
                        *key = k;
                    }
                    tok = p.next_token();
                    continue 'value;
                }
                Some(DecFrame::Array { t, i, .. }) => {
                    let t = *t;
                    let idx = *i;
                    *i += 1;
                    l.heap.raw_set_int(t, idx, value).map_err(|e| e.message().to_string())?;
                    tok = p.next_token();
                    if tok.kind == Kind::ArrEnd {
                        p.depth -= 1;
                        frames.pop();
                        value = Value::Table(t);
                        continue;
                    }
                    if tok.kind != Kind::Comma {
                        return Err(parse_error("comma or array end", tok));
                    }
                    tok = p.next_token();
                    continue 'value;
                }
            }
        }
    };
    // The value is complete: only the end of the string (or a NUL byte) may follow.
    let end = p.next_token();
    if end.kind != Kind::End {
        return Err(parse_error("the end", end));
    }
    Ok(result)
}

/// The key of an object entry: `tok` must be a string and a colon must follow.
fn object_key(l: &mut Lua, p: &mut Parser, tok: Token) -> Result<StrRef, String> {
    if tok.kind != Kind::Str {
        return Err(parse_error("object key string", tok));
    }
    let key = l.intern(&p.tmp);
    let colon = p.next_token();
    if colon.kind != Kind::Colon {
        return Err(parse_error("colon", colon));
    }
    Ok(key)
}

fn json_decode(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    if l.nargs() != 1 {
        return Err(l.arg_error(1, "expected 1 argument"));
    }
    let (_, cfg) = load_config(l)?;
    let s = l.check_str(1)?;
    // The decoder allocates while it reads: work on a copy of the input.
    let data = l.heap.str(s).to_vec();
    match decode_document(l, &cfg, &data) {
        Ok(v) => {
            l.push(v);
            Ok(1)
        }
        Err(msg) => Err(l.runtime_error(&msg)),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Module

/// `cjson.new()`: a fresh module table with its own configuration.
fn lua_cjson_new(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let t = new_module(l);
    l.push(Value::Table(t));
    Ok(1)
}

fn new_module(l: &mut Lua) -> TableRef {
    let cfg = l.new_table(9, 0);
    for (i, v) in DEFAULT_CONFIG.to_array().iter().enumerate() {
        // Integer keys into a fresh table cannot fail.
        let _ = l.heap.raw_set_int(cfg, i as i64 + 1, Value::Num(*v as f64));
    }
    let t = l.new_table(0, 16);
    let funcs: [(&'static str, crate::lua::heap::NativeFn); 10] = [
        ("encode", json_encode),
        ("decode", json_decode),
        ("encode_sparse_array", cfg_encode_sparse_array),
        ("encode_max_depth", cfg_encode_max_depth),
        ("decode_max_depth", cfg_decode_max_depth),
        ("encode_number_precision", cfg_encode_number_precision),
        ("encode_keep_buffer", cfg_encode_keep_buffer),
        ("encode_invalid_numbers", cfg_encode_invalid_numbers),
        ("decode_invalid_numbers", cfg_decode_invalid_numbers),
        ("new", lua_cjson_new),
    ];
    for (name, f) in funcs {
        let v = l.new_native(name, f, vec![Value::Table(cfg)]);
        l.set_field(t, name, v);
    }
    l.set_field(t, "null", Value::LightUserData(0));
    let v = l.new_str(b"cjson");
    l.set_field(t, "_NAME", v);
    let v = l.new_str(b"2.1.0");
    l.set_field(t, "_VERSION", v);
    t
}

/// Register the global table `cjson`.
pub fn open(l: &mut Lua) {
    let t = new_module(l);
    l.set_global("cjson", Value::Table(t));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(l: &Lua, v: Value) -> Result<String, EncodeError> {
        encode_value(l, &DEFAULT_CONFIG, v).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn array(l: &mut Lua, items: &[(i64, Value)]) -> Value {
        let t = l.new_table(0, 0);
        for &(k, v) in items {
            l.raw_set_int(t, k, v).ok();
        }
        Value::Table(t)
    }

    #[test]
    fn encode_scalars_and_escapes() {
        let mut l = Lua::new();
        assert_eq!(enc(&l, Value::Num(1.0)).ok().as_deref(), Some("1"));
        assert_eq!(enc(&l, Value::Num(0.1)).ok().as_deref(), Some("0.1"));
        assert_eq!(enc(&l, Value::Num(1e100)).ok().as_deref(), Some("1e+100"));
        assert_eq!(enc(&l, Value::Num(1.0 / 3.0)).ok().as_deref(), Some("0.33333333333333"));
        assert_eq!(enc(&l, Value::Num(-0.0)).ok().as_deref(), Some("-0"));
        assert_eq!(enc(&l, Value::Num(f64::INFINITY)), Err(cannot("number", "must not be NaN or Inf")));
        assert_eq!(enc(&l, Value::Nil).ok().as_deref(), Some("null"));
        assert_eq!(enc(&l, Value::LightUserData(0)).ok().as_deref(), Some("null"));
        assert_eq!(enc(&l, Value::LightUserData(8)), Err(cannot("userdata", "type not supported")));
        let s = l.new_str(b"a/b\"c\\\x01\x7f\n\xc3\xa9");
        assert_eq!(enc(&l, s).ok().as_deref(), Some("\"a\\/b\\\"c\\\\\\u0001\\u007f\\n\u{e9}\""));
    }

    #[test]
    fn encode_tables() {
        let mut l = Lua::new();
        let empty = array(&mut l, &[]);
        assert_eq!(enc(&l, empty).ok().as_deref(), Some("{}"));
        let a = array(&mut l, &[(1, Value::Num(1.0)), (2, Value::Bool(true)), (4, Value::Num(4.0))]);
        assert_eq!(enc(&l, a).ok().as_deref(), Some("[1,true,null,4]"));
        let sparse = array(&mut l, &[(11, Value::Num(1.0))]);
        assert_eq!(enc(&l, sparse), Err(cannot("table", "excessively sparse array")));
        let ok = array(&mut l, &[(10, Value::Num(1.0))]);
        assert_eq!(enc(&l, ok).ok().as_deref(), Some("[null,null,null,null,null,null,null,null,null,1]"));
        let t = l.new_table(0, 0);
        let k = l.new_str(b"k");
        l.raw_set(t, k, Value::Num(1.0)).ok();
        assert_eq!(enc(&l, Value::Table(t)).ok().as_deref(), Some("{\"k\":1}"));
        l.raw_set(t, Value::Bool(true), Value::Num(1.0)).ok();
        assert_eq!(enc(&l, Value::Table(t)), Err(cannot("boolean", "table key must be a number or string")));
        let z = l.new_table(0, 0);
        l.raw_set(z, Value::Num(0.0), Value::Num(1.0)).ok();
        assert_eq!(enc(&l, Value::Table(z)).ok().as_deref(), Some("{\"0\":1}"));
    }

    #[test]
    fn encode_depth_limit() {
        let mut l = Lua::new();
        let mut v = Value::Num(1.0);
        for _ in 0..1001 {
            v = array(&mut l, &[(1, v)]);
        }
        assert_eq!(enc(&l, v), Err(EncodeError::Msg("Cannot serialise, excessive nesting (1001)".into())));
        // A cycle stops at the depth limit too.
        let t = l.new_table(0, 0);
        l.raw_set_int(t, 1, Value::Table(t)).ok();
        assert_eq!(
            enc(&l, Value::Table(t)),
            Err(EncodeError::Msg("Cannot serialise, excessive nesting (1001)".into()))
        );
        // Raising the limit runs into Lua's C stack instead (8000 slots): one per array level, two per object
        // level (Redis: 7998 and 4000).
        let cfg = Config { encode_max_depth: i32::MAX, ..DEFAULT_CONFIG };
        let o = l.new_table(0, 0);
        let k = l.new_str(b"k");
        l.raw_set(o, k, Value::Table(o)).ok();
        let err = encode_value(&l, &cfg, Value::Table(o)).err();
        assert_eq!(err, Some(EncodeError::Msg("Cannot serialise, excessive nesting (4000)".into())));
        let a = l.new_table(0, 0);
        l.raw_set_int(a, 1, Value::Table(a)).ok();
        let err = encode_value(&l, &cfg, Value::Table(a)).err();
        assert_eq!(err, Some(EncodeError::Msg("Cannot serialise, excessive nesting (7998)".into())));
    }

    #[test]
    fn output_is_bounded_by_the_heap_limit() {
        let mut l = Lua::new();
        // Always-allowed sparse arrays: one key at 10^7 would encode ten million nulls.
        let cfg = Config { sparse_ratio: 0, ..DEFAULT_CONFIG };
        let t = array(&mut l, &[(10_000_000, Value::Num(1.0))]);
        l.heap.limit = l.heap.bytes + 100_000;
        assert_eq!(encode_value(&l, &cfg, t), Err(EncodeError::Memory));
        l.heap.limit = usize::MAX;
        let small = array(&mut l, &[(3, Value::Num(1.0))]);
        assert_eq!(encode_value(&l, &cfg, small).ok(), Some(b"[null,null,1]".to_vec()));
    }

    #[test]
    fn shortest_digits_print_as_percent_g() {
        let mut seed: u64 = 0x2545f4914f6cdd1d;
        let mut checked = 0;
        for i in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = match i % 4 {
                // Any bit pattern.
                0 => f64::from_bits(seed),
                // Short decimals, the common case.
                1 => (seed % 1_000_000) as f64 / [1.0, 10.0, 100.0, 1000.0, 1e6][(seed >> 40) as usize % 5],
                2 => (seed % 100_000) as f64 * 10f64.powi((seed >> 50) as i32 % 40 - 20),
                _ => f64::from_bits(seed) % 1e6,
            };
            if !n.is_finite() {
                continue;
            }
            let p = 1 + (seed >> 59) as usize % 14;
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            fmt_g_shortest(n, p, &mut fast);
            fmt_g(n, p, false, &mut slow);
            assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&slow), "{n:e} at precision {p}");
            checked += 1;
        }
        assert!(checked > 150_000);
        for n in [5e-324, 1e-320, 2.2250738585072014e-308, 2.225073858507201e-308, -1e-310, 1e308, f64::MAX] {
            for p in 1..=14 {
                let (mut fast, mut slow) = (Vec::new(), Vec::new());
                fmt_g_shortest(n, p, &mut fast);
                fmt_g(n, p, false, &mut slow);
                assert_eq!(fast, slow, "{n:e} at precision {p}");
            }
        }
    }

    fn dec(l: &mut Lua, s: &str) -> Result<Value, String> {
        decode_document(l, &DEFAULT_CONFIG, s.as_bytes())
    }

    #[test]
    fn decode_values() {
        let mut l = Lua::new();
        assert_eq!(dec(&mut l, " 12.5 ").ok().and_then(|v| v.as_num()), Some(12.5));
        assert_eq!(dec(&mut l, "0x10").ok().and_then(|v| v.as_num()), Some(16.0));
        assert!(matches!(dec(&mut l, "null"), Ok(Value::LightUserData(0))));
        assert!(matches!(dec(&mut l, "[1]\0garbage"), Ok(Value::Table(_))));
        let v = dec(&mut l, r#""\u00e9\ud83d\ude00\/\n""#).ok();
        assert_eq!(v.and_then(|v| l.str_bytes(v).map(|b| b.to_vec())), Some("é😀/\n".as_bytes().to_vec()));
        let Ok(Value::Table(t)) = dec(&mut l, r#"{"a":[1,2,{"b":null}],"c":true}"#) else { panic!("no table") };
        let a = l.new_str(b"a");
        let Value::Table(arr) = l.raw_get(t, a) else { panic!("no array") };
        assert_eq!(l.raw_len(arr), 3);
    }

    #[test]
    fn decode_errors_word_for_word() {
        let mut l = Lua::new();
        let cases = [
            ("", "Expected value but found T_END at character 1"),
            ("x", "Expected value but found invalid token at character 1"),
            ("[1,]", "Expected value but found T_ARR_END at character 4"),
            ("[1 2]", "Expected comma or array end but found T_NUMBER at character 4"),
            ("{1:2}", "Expected object key string but found T_NUMBER at character 2"),
            ("{\"a\" 2}", "Expected colon but found T_NUMBER at character 6"),
            ("{\"a\":2 3}", "Expected comma or object end but found T_NUMBER at character 8"),
            ("[1] 2", "Expected the end but found T_NUMBER at character 5"),
            ("\"abc", "Expected value but found unexpected end of string at character 5"),
            ("\"\\q\"", "Expected value but found invalid escape code at character 2"),
            ("\"\\ud800\"", "Expected value but found invalid unicode escape code at character 2"),
            ("-", "Expected value but found invalid number at character 1"),
            ("tru", "Expected value but found invalid token at character 1"),
            ("\0a", "JSON parser does not support UTF-16 or UTF-32"),
        ];
        for (input, want) in cases {
            assert_eq!(dec(&mut l, input).err().as_deref(), Some(want), "{input:?}");
        }
        let deep = "[".repeat(1001);
        assert_eq!(
            dec(&mut l, &deep).err().as_deref(),
            Some("Found too many nested data structures (1001) at character 1001")
        );
        let deep_ok = Config { decode_max_depth: 100_000, ..DEFAULT_CONFIG };
        let err = decode_document(&mut l, &deep_ok, "[".repeat(9000).as_bytes()).err();
        assert_eq!(err.as_deref(), Some("Found too many nested data structures (7999) at character 7999"));
        let err = decode_document(&mut l, &deep_ok, "{\"a\":".repeat(9000).as_bytes()).err();
        assert_eq!(err.as_deref(), Some("Found too many nested data structures (4000) at character 19996"));
        let strict = Config { decode_invalid_numbers: 0, ..DEFAULT_CONFIG };
        let err = decode_document(&mut l, &strict, b"0x10").err();
        assert_eq!(err.as_deref(), Some("Expected value but found invalid number at character 1"));
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let mut l = Lua::new();
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let alphabet = b"[]{}\",:\\/u0123456789abcdefABCDEF+-.eEtrunlsfaxINinfy \t\n\r\0\xff\xc3";
        for _ in 0..3000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = (seed >> 58) as usize;
            let mut s = Vec::with_capacity(len);
            let mut x = seed;
            for _ in 0..len {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                s.push(alphabet[(x >> 33) as usize % alphabet.len()]);
            }
            let _ = decode_document(&mut l, &DEFAULT_CONFIG, &s);
        }
    }
}
