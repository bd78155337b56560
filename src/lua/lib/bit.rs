//! The `bit` library as Redis bundles it (LuaBitOp 1.0.2): 32-bit bitwise operations on Lua numbers.
//!
//! Every operand goes through LuaBitOp's normalisation: add 2^52+2^51 to the double and keep the low 32 bits of
//! its representation. That rounds a non-integral input to nearest (ties to even) and wraps a huge one modulo
//! 2^32, exactly as the C library does on a little-endian machine, and it is why `bit.tobit(2^32 + 1) == 1`.
//! Results are signed 32-bit numbers. A non-number (and a string that does not convert) raises "bad argument #i
//! to 'f' (number expected, got T)"; the variadic `band`/`bor`/`bxor` convert their arguments from the last to
//! the second after the first, so the highest bad argument is the one reported, as in C.
//!
//! Tested by the unit tests below (values checked against Redis 7.0's `bit`) and by `tests/scripting/lua_redislibs.rs`.

use crate::lua::value::{LuaError, Value};
use crate::lua::Lua;

/// LuaBitOp's `barg`: the argument as 32 bits, normalised through the 2^52+2^51 trick.
fn barg(l: &mut Lua, i: usize) -> Result<u32, LuaError> {
    let v = l.arg(i);
    match l.to_number(v) {
        Some(n) => Ok(tobit(n)),
        None => Err(l.type_error(i, "number")),
    }
}

/// The low 32 bits of `n + 2^52 + 2^51`: `n` rounded to an integer and wrapped to 32 bits.
#[inline]
pub fn tobit(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// Push a result as LuaBitOp does: the bits read as a signed 32-bit integer.
fn bret(l: &mut Lua, b: u32) -> Result<usize, LuaError> {
    l.push(Value::Num(b as i32 as f64));
    Ok(1)
}

fn bit_tobit(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let b = barg(l, 1)?;
    bret(l, b)
}

fn bit_bnot(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let b = barg(l, 1)?;
    bret(l, !b)
}

/// `band`/`bor`/`bxor`: the first argument, then the others from the last down to the second.
fn fold(l: &mut Lua, op: fn(u32, u32) -> u32) -> Result<usize, LuaError> {
    let mut b = barg(l, 1)?;
    let mut i = l.nargs();
    while i > 1 {
        b = op(b, barg(l, i)?);
        i -= 1;
    }
    bret(l, b)
}

fn bit_band(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    fold(l, |a, b| a & b)
}

fn bit_bor(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    fold(l, |a, b| a | b)
}

fn bit_bxor(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    fold(l, |a, b| a ^ b)
}

/// The shifts and rotations: the count is the second argument's low 5 bits.
fn shift(l: &mut Lua, op: fn(u32, u32) -> u32) -> Result<usize, LuaError> {
    let b = barg(l, 1)?;
    let n = barg(l, 2)? & 31;
    bret(l, op(b, n))
}

fn bit_lshift(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    shift(l, |b, n| b << n)
}

fn bit_rshift(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    shift(l, |b, n| b >> n)
}

fn bit_arshift(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    shift(l, |b, n| ((b as i32) >> n) as u32)
}

fn bit_rol(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    shift(l, |b, n| b.rotate_left(n))
}

fn bit_ror(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    shift(l, |b, n| b.rotate_right(n))
}

fn bit_bswap(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let b = barg(l, 1)?;
    bret(l, b.swap_bytes())
}

/// `bit.tohex(x [, n])`: the low `|n|` hex digits of `x` (default 8, at most 8), upper case when `n < 0`.
fn bit_tohex(l: &mut Lua, _: &mut dyn std::any::Any) -> Result<usize, LuaError> {
    let mut b = barg(l, 1)?;
    // An explicit nil second argument is an error (lua_isnone, not lua_isnoneornil).
    let mut n: i32 = if l.nargs() < 2 { 8 } else { barg(l, 2)? as i32 };
    let digits: &[u8; 16] = if n < 0 {
        // C negates here; -INT_MIN overflows there and the library then writes out of bounds. Here it stays
        // negative and is clamped like any width over 8.
        n = n.checked_neg().unwrap_or(8);
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let n = n.min(8) as usize;
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    l.push_str(&buf[..n]);
    Ok(1)
}

/// Register the global table `bit`.
pub fn open(l: &mut Lua) {
    let t = l.new_table(0, 12);
    l.register(t, "tobit", bit_tobit);
    l.register(t, "bnot", bit_bnot);
    l.register(t, "band", bit_band);
    l.register(t, "bor", bit_bor);
    l.register(t, "bxor", bit_bxor);
    l.register(t, "lshift", bit_lshift);
    l.register(t, "rshift", bit_rshift);
    l.register(t, "arshift", bit_arshift);
    l.register(t, "rol", bit_rol);
    l.register(t, "ror", bit_ror);
    l.register(t, "bswap", bit_bswap);
    l.register(t, "tohex", bit_tohex);
    l.set_global("bit", Value::Table(t));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::heap::NativeFn;
    use crate::lua::lib::call_native_ok as call;

    fn num(l: &mut Lua, f: NativeFn, args: &[f64]) -> f64 {
        let args: Vec<Value> = args.iter().map(|&n| Value::Num(n)).collect();
        match call(l, f, &args)[0] {
            Value::Num(n) => n,
            v => panic!("not a number: {v:?}"),
        }
    }

    fn hex(l: &mut Lua, args: &[f64]) -> String {
        let args: Vec<Value> = args.iter().map(|&n| Value::Num(n)).collect();
        let v = call(l, bit_tohex, &args)[0];
        String::from_utf8(l.str_bytes(v).unwrap_or_default().to_vec()).unwrap_or_default()
    }

    #[test]
    fn normalisation_matches_luabitop() {
        let mut l = Lua::new();
        assert_eq!(num(&mut l, bit_tobit, &[0xffff_ffffu32 as f64]), -1.0);
        assert_eq!(num(&mut l, bit_tobit, &[4294967296.0 + 1.0]), 1.0);
        assert_eq!(num(&mut l, bit_tobit, &[1.5]), 2.0);
        assert_eq!(num(&mut l, bit_tobit, &[2.5]), 2.0);
        assert_eq!(num(&mut l, bit_tobit, &[-1.5]), -2.0);
        assert_eq!(num(&mut l, bit_tobit, &[1e20]), 2025163840.0);
        assert_eq!(num(&mut l, bit_tobit, &[2f64.powi(31)]), -2147483648.0);
    }

    #[test]
    fn operations() {
        let mut l = Lua::new();
        assert_eq!(num(&mut l, bit_bnot, &[0.0]), -1.0);
        assert_eq!(num(&mut l, bit_band, &[0x12345678 as f64, 0xff as f64]), 0x78 as f64);
        assert_eq!(num(&mut l, bit_bor, &[1.0, 2.0, 4.0, 8.0]), 15.0);
        assert_eq!(num(&mut l, bit_bxor, &[5.0, 3.0]), 6.0);
        assert_eq!(num(&mut l, bit_lshift, &[1.0, 31.0]), -2147483648.0);
        assert_eq!(num(&mut l, bit_lshift, &[1.0, 33.0]), 2.0);
        assert_eq!(num(&mut l, bit_rshift, &[-1.0, 28.0]), 15.0);
        assert_eq!(num(&mut l, bit_arshift, &[-256.0, 4.0]), -16.0);
        assert_eq!(num(&mut l, bit_rol, &[0x12345678 as f64, 12.0]), 0x45678123 as f64);
        assert_eq!(num(&mut l, bit_ror, &[0x12345678 as f64, 12.0]), 0x67812345 as f64);
        assert_eq!(num(&mut l, bit_bswap, &[0x12345678 as f64]), 0x78563412 as f64);
        assert_eq!(hex(&mut l, &[255.0]), "000000ff");
        assert_eq!(hex(&mut l, &[255.0, -4.0]), "00FF");
        assert_eq!(hex(&mut l, &[-1.0, 12.0]), "ffffffff");
        assert_eq!(hex(&mut l, &[4660.0, 0.0]), "");
        assert_eq!(hex(&mut l, &[1.0, -2147483648.0]), "00000001");
    }

    #[test]
    fn numeric_strings_convert() {
        let mut l = Lua::new();
        let s = l.new_str(b" 0x10 ");
        assert_eq!(call(&mut l, bit_tobit, &[s])[0].as_num(), Some(16.0));
    }
}
