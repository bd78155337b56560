//! The `struct` library as Redis 7.0 bundles it (Roberto Ierusalimschy's struct 0.2 with Redis's bounds checks):
//! `struct.pack(fmt, ...)`, `struct.unpack(fmt, data [, pos])` and `struct.size(fmt)`.
//!
//! Formats are read as C strings (they end at the first NUL byte). Options: `>`/`<` big/little endian (the
//! default is the machine's, little), `![n]` maximum alignment (default 8, must be a power of 2), `x` one pad
//! byte, `b`/`B` `h`/`H` `l`/`L` `T` `i[n]`/`I[n]` signed/unsigned integers of 1, 2, 8, 8 and n (default 4, at
//! most 32) bytes, `c[n]` n chars (`c0`/`c`: the whole string when packing, the previously unpacked number as the
//! length when unpacking), `s` a zero-terminated string, `f`/`d` float and double, space ignored. Each item is
//! aligned to `min(size, alignment)` bytes.
//!
//! Numbers go through the same C conversions as the library (a negative value through `long`, a non-negative one
//! through `unsigned long`, with x86-64's results where C leaves the conversion undefined), so out-of-range and
//! fractional values pack to the bytes Redis produces. Integer options wider than 8 bytes shift 64-bit values as
//! x86-64 does. Every read is bounds-checked before it happens ("data string too short", "unfinished string in
//! data"), and the results count against Lua's C stack limit of 8000 slots ("stack overflow (too many
//! results)"), as in Redis.
//!
//! Tested by the unit tests below and by the differential cases in `tests/scripting/lua_redislibs.rs`.

use super::format::{c_long, c_ulong};
use crate::lua::value::{ErrorKind, LuaError, Value};
use crate::lua::Lua;

/// Largest integer option, in bytes.
const MAXINTSIZE: usize = 32;
/// Default maximum alignment (`offsetof(struct { char c; double d; }, d)`).
const MAXALIGN: usize = 8;
/// Lua 5.1's `LUAI_MAXCSTACK`: the most values a C function may have on its stack.
pub(crate) const LUAI_MAXCSTACK: usize = 8000;

struct Header {
    little: bool,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header { little: true, align: 1 }
    }
}

/// A Lua error "prefix + msg" where `msg` may hold any bytes (format options are echoed raw).
fn error_bytes(l: &mut Lua, msg: &[u8]) -> LuaError {
    let mut text = l.where_prefix(1).into_bytes();
    text.extend_from_slice(msg);
    let v = l.new_string(text);
    LuaError::new(ErrorKind::Runtime, v)
}

fn arg_error_bytes(l: &mut Lua, i: usize, msg: &[u8]) -> LuaError {
    let mut text = format!("bad argument #{i} to '{}' (", l.native_name).into_bytes();
    text.extend_from_slice(msg);
    text.push(b')');
    error_bytes(l, &text)
}

/// The option string of argument 1, up to its first NUL byte.
fn format_arg(l: &mut Lua) -> Result<Vec<u8>, LuaError> {
    let s = l.check_str(1)?;
    let bytes = l.heap.str(s);
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
    Ok(bytes[..end].to_vec())
}

/// `getnum`: a decimal number at `fmt[*pos..]`, or `default` when no digit follows.
fn getnum(l: &mut Lua, fmt: &[u8], pos: &mut usize, default: usize) -> Result<usize, LuaError> {
    if !fmt.get(*pos).is_some_and(u8::is_ascii_digit) {
        return Ok(default);
    }
    let mut a: i32 = 0;
    while let Some(&c) = fmt.get(*pos).filter(|c| c.is_ascii_digit()) {
        let d = (c - b'0') as i32;
        if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
            return Err(error_bytes(l, b"integral size overflow"));
        }
        a = a * 10 + d;
        *pos += 1;
    }
    Ok(a as usize)
}

/// `optsize`: the size of option `opt` (reading its count from the format when it takes one).
fn optsize(l: &mut Lua, opt: u8, fmt: &[u8], pos: &mut usize) -> Result<usize, LuaError> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' | b'd' => 8,
        b'f' => 4,
        b'x' => 1,
        b'c' => getnum(l, fmt, pos, 1)?,
        b'i' | b'I' => {
            let sz = getnum(l, fmt, pos, 4)?;
            if sz > MAXINTSIZE {
                let msg = format!("integral size {sz} is larger than limit of {MAXINTSIZE}");
                return Err(error_bytes(l, msg.as_bytes()));
            }
            sz
        }
        _ => 0,
    })
}

/// `gettoalign`: padding bytes before an item of `size` at offset `len`.
fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size.wrapping_sub(len & (size - 1))) & (size - 1)
}

/// `controloptions`: endianness, alignment and spaces; anything else is an invalid option.
fn controloptions(l: &mut Lua, opt: u8, fmt: &[u8], pos: &mut usize, h: &mut Header) -> Result<(), LuaError> {
    match opt {
        b' ' => Ok(()),
        b'>' => {
            h.little = false;
            Ok(())
        }
        b'<' => {
            h.little = true;
            Ok(())
        }
        b'!' => {
            let a = getnum(l, fmt, pos, MAXALIGN)?;
            if !a.is_power_of_two() {
                let msg = format!("alignment {a} is not a power of 2");
                return Err(error_bytes(l, msg.as_bytes()));
            }
            h.align = a;
            Ok(())
        }
        _ => {
            let mut msg = b"invalid format option '".to_vec();
            msg.push(opt);
            msg.push(b'\'');
            Err(arg_error_bytes(l, 1, &msg))
        }
    }
}

fn is_integer_option(opt: u8) -> bool {
    matches!(opt, b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I')
}

/// `putinteger`: `size` bytes of the number, two's complement for negatives (only 64 bits are significant).
fn putinteger(n: f64, little: bool, size: usize, out: &mut Vec<u8>) {
    let mut value = if n < 0.0 { c_long(n) as u64 } else { c_ulong(n) };
    let mut bytes = [0u8; MAXINTSIZE];
    let size = size.min(MAXINTSIZE);
    for k in 0..size {
        let i = if little { k } else { size - 1 - k };
        bytes[i] = (value & 0xff) as u8;
        value >>= 8;
    }
    out.extend_from_slice(&bytes[..size]);
}

/// `getinteger`: `bytes` read as an integer of `bytes.len()` bytes, sign-extended when `signed`.
fn getinteger(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let size = bytes.len();
    let mut l: u64 = 0;
    if little {
        for &b in bytes.iter().rev() {
            l = (l << 8) | b as u64;
        }
    } else {
        for &b in bytes {
            l = (l << 8) | b as u64;
        }
    }
    if !signed {
        return l as f64;
    }
    // C shifts by `size*8 - 1`, which x86-64 takes modulo 64 (size 0 gives 63, sizes over 8 wrap).
    let mask = (!0u64).wrapping_shl((size * 8).wrapping_sub(1) as u32);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.pack(fmt, ...)`.
fn b_pack(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let fmt = format_arg(l)?;
    // The C function pushes a nil to separate its arguments from its buffer: a missing argument reads as that
    // nil ("number expected, got nil").
    l.push(Value::Nil);
    let mut h = Header::new();
    let mut arg = 2;
    let mut totalsize: usize = 0;
    let mut out: Vec<u8> = Vec::with_capacity(32);
    let mut pos = 0;
    while let Some(&opt) = fmt.get(pos) {
        pos += 1;
        let mut size = optsize(l, opt, &fmt, &mut pos)?;
        let toalign = gettoalign(totalsize, &h, opt, size);
        totalsize = totalsize.wrapping_add(toalign);
        if toalign > 0 {
            out.resize(out.len() + toalign, 0);
        }
        match opt {
            _ if is_integer_option(opt) => {
                let n = l.check_num(arg)?;
                arg += 1;
                putinteger(n, h.little, size, &mut out);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = l.check_num(arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little { f.to_le_bytes() } else { f.to_be_bytes() });
            }
            b'd' => {
                let d = l.check_num(arg)?;
                arg += 1;
                out.extend_from_slice(&if h.little { d.to_le_bytes() } else { d.to_be_bytes() });
            }
            b'c' | b's' => {
                let s = l.check_str(arg)?;
                arg += 1;
                let len = l.heap.str(s).len();
                if size == 0 {
                    size = len;
                }
                if len < size {
                    // Redis reports the argument after the string (the counter is already advanced).
                    return Err(l.arg_error(arg, "string too short"));
                }
                if out.len().saturating_add(size) > crate::lua::MAX_STRING_LEN {
                    return Err(LuaError::new(ErrorKind::Memory, l.new_str(b"not enough memory")));
                }
                out.extend_from_slice(&l.heap.str(s)[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => controloptions(l, opt, &fmt, &mut pos, &mut h)?,
        }
        totalsize = totalsize.wrapping_add(size);
    }
    let v = l.new_string(out);
    l.push(v);
    Ok(1)
}

/// `struct.unpack(fmt, data [, pos])`: the values, then the position after the last byte read.
fn b_unpack(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let fmt = format_arg(l)?;
    let data = l.check_str(2)?;
    let ld = l.heap.str(data).len();
    // size_t in C: a negative position wraps around and then fails the length checks.
    let mut pos = super::opt_integer(l, 3, 1)? as usize;
    if pos == 0 {
        return Err(l.arg_error(3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let nargs = l.nargs();
    let mut n: usize = 0;
    let mut h = Header::new();
    let mut fpos = 0;
    while let Some(&opt) = fmt.get(fpos) {
        fpos += 1;
        let mut size = optsize(l, opt, &fmt, &mut fpos)?;
        pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
        if !(size <= ld && pos <= ld - size) {
            return Err(l.arg_error(2, "data string too short"));
        }
        if nargs + n + 2 > LUAI_MAXCSTACK {
            return Err(error_bytes(l, b"stack overflow (too many results)"));
        }
        match opt {
            _ if is_integer_option(opt) => {
                let v = getinteger(&l.heap.str(data)[pos..pos + size], h.little, opt.is_ascii_lowercase());
                l.push(Value::Num(v));
                n += 1;
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&l.heap.str(data)[pos..pos + 4]);
                let f = if h.little { f32::from_le_bytes(b) } else { f32::from_be_bytes(b) };
                l.push(Value::Num(f as f64));
                n += 1;
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&l.heap.str(data)[pos..pos + 8]);
                let d = if h.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) };
                l.push(Value::Num(d));
                n += 1;
            }
            b'c' => {
                if size == 0 {
                    let prev = if n == 0 { None } else { l.stack.last().copied().and_then(|v| l.to_number(v)) };
                    let Some(len) = prev else {
                        return Err(error_bytes(l, b"format 'c0' needs a previous size"));
                    };
                    size = c_ulong(len) as usize;
                    l.stack.pop();
                    n -= 1;
                    if !(size <= ld && pos <= ld - size) {
                        return Err(l.arg_error(2, "data string too short"));
                    }
                }
                let bytes = l.heap.str(data)[pos..pos + size].to_vec();
                let v = l.new_string(bytes);
                l.push(v);
                n += 1;
            }
            b's' => {
                let Some(e) = memchr::memchr(0, &l.heap.str(data)[pos..]) else {
                    return Err(error_bytes(l, b"unfinished string in data"));
                };
                size = e + 1;
                let bytes = l.heap.str(data)[pos..pos + e].to_vec();
                let v = l.new_string(bytes);
                l.push(v);
                n += 1;
            }
            _ => controloptions(l, opt, &fmt, &mut fpos, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    l.push(Value::Num(pos.wrapping_add(1) as i64 as f64));
    Ok(n + 1)
}

/// `struct.size(fmt)`: the bytes `pack` would produce (formats with `s` or `c0` have no fixed size).
fn b_size(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let fmt = format_arg(l)?;
    let mut h = Header::new();
    let mut pos: usize = 0;
    let mut fpos = 0;
    while let Some(&opt) = fmt.get(fpos) {
        fpos += 1;
        let size = optsize(l, opt, &fmt, &mut fpos)?;
        pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
        if opt == b's' {
            return Err(l.arg_error(1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(l.arg_error(1, "option 'c0' has no fixed size"));
        }
        // Letters and digits with no meaning are accepted silently here (only `pack`/`unpack` reject them).
        if !opt.is_ascii_alphanumeric() {
            controloptions(l, opt, &fmt, &mut fpos, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    l.push(Value::Num(pos as i64 as f64));
    Ok(1)
}

/// Register the global table `struct`.
pub fn open(l: &mut Lua) {
    let t = l.new_table(0, 3);
    l.register(t, "pack", b_pack);
    l.register(t, "unpack", b_unpack);
    l.register(t, "size", b_size);
    l.set_global("struct", Value::Table(t));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::lib::call_native_ok as call;

    fn pack(l: &mut Lua, fmt: &str, args: &[Value]) -> Vec<u8> {
        let mut all = vec![l.new_str(fmt.as_bytes())];
        all.extend_from_slice(args);
        let v = call(l, b_pack, &all)[0];
        l.str_bytes(v).unwrap_or_default().to_vec()
    }

    fn unpack(l: &mut Lua, fmt: &str, data: &[u8]) -> Vec<Value> {
        let args = [l.new_str(fmt.as_bytes()), l.new_str(data)];
        call(l, b_unpack, &args)
    }

    #[test]
    fn pack_integers_and_alignment() {
        let mut l = Lua::new();
        let n = |x: f64| Value::Num(x);
        assert_eq!(pack(&mut l, ">i2", &[n(258.0)]), vec![1, 2]);
        assert_eq!(pack(&mut l, "<i2", &[n(258.0)]), vec![2, 1]);
        assert_eq!(pack(&mut l, ">b", &[n(-1.0)]), vec![0xff]);
        assert_eq!(pack(&mut l, ">B", &[n(300.0)]), vec![44]);
        assert_eq!(pack(&mut l, "!4 b i", &[n(1.0), n(2.0)]), vec![1, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(pack(&mut l, "b x i2", &[n(1.0), n(2.0)]), vec![1, 0, 2, 0]);
        assert_eq!(pack(&mut l, ">i10", &[n(-1.0)]), vec![0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(pack(&mut l, ">L", &[n(f64::NAN)]), vec![0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(pack(&mut l, ">L", &[n(2f64.powi(64))]), vec![0; 8]);
        assert_eq!(pack(&mut l, ">L", &[n(2f64.powi(63))]), vec![0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn pack_strings() {
        let mut l = Lua::new();
        let s = l.new_str(b"hello");
        assert_eq!(pack(&mut l, "c3", &[s]), b"hel".to_vec());
        assert_eq!(pack(&mut l, "c0", &[s]), b"hello".to_vec());
        assert_eq!(pack(&mut l, "s", &[s]), b"hello\0".to_vec());
        assert_eq!(pack(&mut l, ">d", &[Value::Num(1.5)]), 1.5f64.to_be_bytes().to_vec());
        assert_eq!(pack(&mut l, "<f", &[Value::Num(0.1)]), 0.1f32.to_le_bytes().to_vec());
    }

    #[test]
    fn unpack_values_and_next_position() {
        let mut l = Lua::new();
        let r = unpack(&mut l, ">i2 B", &[0xff, 0xfe, 7]);
        assert_eq!(r.iter().map(|v| v.as_num()).collect::<Vec<_>>(), vec![Some(-2.0), Some(7.0), Some(4.0)]);
        let r = unpack(&mut l, "b c0", &[3, b'a', b'b', b'c', b'd']);
        assert_eq!(l.str_bytes(r[0]), Some(&b"abc"[..]));
        assert_eq!(r[1].as_num(), Some(5.0));
        let r = unpack(&mut l, "s i1", b"ab\0\x05");
        assert_eq!(l.str_bytes(r[0]), Some(&b"ab"[..]));
        assert_eq!(r[1].as_num(), Some(5.0));
        assert_eq!(r[2].as_num(), Some(5.0));
        let r = unpack(&mut l, "<I16", &[0xff; 16]);
        assert_eq!(r[0].as_num(), Some(u64::MAX as f64));
        let r = unpack(&mut l, "<i9", &[1, 0, 0, 0, 0, 0, 0, 0x80, 0x80]);
        // x86-64 shifts the sign mask by 71 % 64 = 7 bits: the value keeps only its low 64 bits.
        assert_eq!(r[0].as_num(), Some(-127.0));
    }

    #[test]
    fn size() {
        let mut l = Lua::new();
        let f = l.new_str(b"!8 b d i2 c5 z");
        assert_eq!(call(&mut l, b_size, &[f])[0].as_num(), Some(23.0));
    }

    #[test]
    fn c_conversions() {
        assert_eq!(c_ulong(1.9), 1);
        assert_eq!(c_ulong(f64::INFINITY), 0);
        assert_eq!(c_ulong(1e19), 10_000_000_000_000_000_000);
        assert_eq!(c_long(-1e30), i64::MIN);
        assert_eq!(c_long(-2.7), -2);
    }
}
