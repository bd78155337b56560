//! The `math` library (Lua 5.1.5's `lmathlib.c`, with `LUA_COMPAT_MOD`'s `math.mod`), with Redis's
//! `math.random`/`math.randomseed` in place of the C library's.
//!
//! # Redis's generator
//! Redis replaces `rand()` with `redisLrand48()` (`src/rand.c`): the 48-bit linear congruential generator of
//! POSIX `lrand48` (x ← 0x5DEECE66D·x + 0xB mod 2^48, output the top 31 bits), so scripts see the same sequence
//! on every platform. Its state is a process-wide static in Redis, shared by the EVAL and FUNCTION Lua states,
//! initialised once at startup and changed only by `math.randomseed` (Redis 7.0 does not reseed per script).
//! Here the state is a thread-local, which is the same thing for the single-threaded server, and keeps test
//! threads independent. [`reset_random`] puts it back to the startup state.
//!
//! Tested by the unit tests below (the first values of a fresh Redis 7.0 server) and `tests/scripting/lua_stdlib.rs`.

use std::any::Any;
use std::cell::Cell;

use super::{check_int, error_bytes};
use crate::lua::value::{LuaError, Value};
use crate::lua::Lua;

/// The state `lrand48` starts from (X0, X1, X2 in `rand.c`).
const RAND48_INIT: u64 = 0x1234_ABCD_330E;
const RAND48_A: u64 = 0x5_DEEC_E66D;
const RAND48_C: u64 = 0xB;
const RAND48_MASK: u64 = (1 << 48) - 1;
/// `REDIS_LRAND48_MAX`.
const LRAND48_MAX: i32 = i32::MAX;

/// Registry key: when set to `true`, `math.random`/`math.randomseed` refuse to run (Redis allows them only
/// inside a script invocation; see [`set_random_allowed`]).
const RANDOM_DENIED_KEY: &str = "__ferredis_random_denied";

thread_local! {
    /// The generator's 48-bit state: one per thread, i.e. one for the whole single-threaded server, as Redis's
    /// static. Written only by `math.random`, `math.randomseed` and [`reset_random`] (which tests call). A global
    /// because Redis's generator is one: shared by every Lua state, not a field of any.
    static RAND48: Cell<u64> = const { Cell::new(RAND48_INIT) };
}

/// `redisLrand48()`: the next 31-bit value.
pub fn lrand48() -> i32 {
    RAND48.with(|s| {
        let x = (s.get().wrapping_mul(RAND48_A).wrapping_add(RAND48_C)) & RAND48_MASK;
        s.set(x);
        (x >> 17) as i32
    })
}

/// `redisSrand48(seed)`.
pub fn srand48(seed: i32) {
    RAND48.with(|s| s.set(((seed as u32 as u64) << 16) | 0x330E));
}

/// Back to the state of a freshly started server.
pub fn reset_random() {
    RAND48.with(|s| s.set(RAND48_INIT));
}

/// Allow or refuse `math.random`/`math.randomseed` in `l` ("math.random can only be called inside a script
/// invocation"): the embedder refuses them while it runs code outside a script call, such as a function
/// library's top level. Allowed by default.
pub fn set_random_allowed(l: &mut Lua, allowed: bool) {
    let reg = l.registry;
    l.set_field(reg, RANDOM_DENIED_KEY, if allowed { Value::Nil } else { Value::Bool(true) });
}

fn random_denied(l: &mut Lua) -> bool {
    let reg = l.registry;
    l.get_field(reg, RANDOM_DENIED_KEY).truthy()
}

pub fn open(l: &mut Lua) {
    let t = l.new_table(0, 32);
    l.register(t, "abs", |l, _| unary(l, f64::abs));
    l.register(t, "acos", |l, _| unary(l, f64::acos));
    l.register(t, "asin", |l, _| unary(l, f64::asin));
    l.register(t, "atan2", |l, _| binary(l, f64::atan2));
    l.register(t, "atan", |l, _| unary(l, f64::atan));
    l.register(t, "ceil", |l, _| unary(l, f64::ceil));
    l.register(t, "cosh", |l, _| unary(l, f64::cosh));
    l.register(t, "cos", |l, _| unary(l, f64::cos));
    l.register(t, "deg", |l, _| unary(l, |x| x / (std::f64::consts::PI / 180.0)));
    l.register(t, "exp", |l, _| unary(l, f64::exp));
    l.register(t, "floor", |l, _| unary(l, f64::floor));
    l.register(t, "fmod", |l, _| binary(l, |a, b| a % b));
    l.register(t, "frexp", math_frexp);
    l.register(t, "ldexp", math_ldexp);
    l.register(t, "log10", |l, _| unary(l, f64::log10));
    l.register(t, "log", |l, _| unary(l, f64::ln));
    l.register(t, "max", math_max);
    l.register(t, "min", math_min);
    l.register(t, "modf", math_modf);
    l.register(t, "pow", |l, _| binary(l, f64::powf));
    l.register(t, "rad", |l, _| unary(l, |x| x * (std::f64::consts::PI / 180.0)));
    l.register(t, "random", math_random);
    l.register(t, "randomseed", math_randomseed);
    l.register(t, "sinh", |l, _| unary(l, f64::sinh));
    l.register(t, "sin", |l, _| unary(l, f64::sin));
    l.register(t, "sqrt", |l, _| unary(l, f64::sqrt));
    l.register(t, "tanh", |l, _| unary(l, f64::tanh));
    l.register(t, "tan", |l, _| unary(l, f64::tan));
    l.set_field(t, "pi", Value::Num(std::f64::consts::PI));
    l.set_field(t, "huge", Value::Num(f64::INFINITY));
    let fmod = l.get_field(t, "fmod");
    l.set_field(t, "mod", fmod);
    l.set_global("math", Value::Table(t));
}

fn unary(l: &mut Lua, f: fn(f64) -> f64) -> Result<usize, LuaError> {
    let x = l.check_num(1)?;
    l.push(Value::Num(f(x)));
    Ok(1)
}

fn binary(l: &mut Lua, f: fn(f64, f64) -> f64) -> Result<usize, LuaError> {
    let a = l.check_num(1)?;
    let b = l.check_num(2)?;
    l.push(Value::Num(f(a, b)));
    Ok(1)
}

/// C's `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1` (`m = x`, `e = 0` for zero, infinities and NaN).
pub fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, exp - 1022)
}

/// C's `ldexp`: `m * 2^e` with a single rounding.
pub fn ldexp(m: f64, e: i32) -> f64 {
    let mut x = m;
    let mut e = e;
    // Step in ranges where each power of two is exact and intermediate results cannot double-round.
    while e > 1023 {
        x *= 2f64.powi(1023);
        e -= 1023;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1022 {
        // Keep 53 bits of headroom so that only the last step rounds.
        if e < -1022 - 53 {
            x *= 2f64.powi(-1022);
            e += 1022;
        } else {
            x *= 2f64.powi(e + 53);
            return x * 2f64.powi(-53);
        }
        if x == 0.0 {
            return x;
        }
    }
    x * 2f64.powi(e)
}

fn math_frexp(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let (m, e) = frexp(l.check_num(1)?);
    l.push(Value::Num(m));
    l.push(Value::Num(e as f64));
    Ok(2)
}

fn math_ldexp(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let m = l.check_num(1)?;
    let e = check_int(l, 2)?;
    l.push(Value::Num(ldexp(m, e)));
    Ok(1)
}

fn math_modf(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let x = l.check_num(1)?;
    let ip = x.trunc();
    let fp = if x.is_infinite() { 0.0f64.copysign(x) } else { x - ip };
    l.push(Value::Num(ip));
    l.push(Value::Num(fp));
    Ok(2)
}

fn math_min(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    let mut m = l.check_num(1)?;
    for i in 2..=n {
        let d = l.check_num(i)?;
        if d < m {
            m = d;
        }
    }
    l.push(Value::Num(m));
    Ok(1)
}

fn math_max(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    let mut m = l.check_num(1)?;
    for i in 2..=n {
        let d = l.check_num(i)?;
        if d > m {
            m = d;
        }
    }
    l.push(Value::Num(m));
    Ok(1)
}

/// Redis's `redis_math_random`.
fn math_random(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    if random_denied(l) {
        return Err(error_bytes(l, b"math.random can only be called inside a script invocation"));
    }
    let r = (lrand48() % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
    let v = match l.nargs() {
        0 => r,
        1 => {
            let u = check_int(l, 1)?;
            if u < 1 {
                return Err(l.arg_error(1, "interval is empty"));
            }
            (r * u as f64).floor() + 1.0
        }
        2 => {
            let lo = check_int(l, 1)?;
            let u = check_int(l, 2)?;
            if lo > u {
                return Err(l.arg_error(2, "interval is empty"));
            }
            // `u-l+1` is C int arithmetic.
            let span = u.wrapping_sub(lo).wrapping_add(1);
            (r * span as f64).floor() + lo as f64
        }
        _ => return Err(l.runtime_error("wrong number of arguments")),
    };
    l.push(Value::Num(v));
    Ok(1)
}

fn math_randomseed(l: &mut Lua, _h: &mut dyn Any) -> Result<usize, LuaError> {
    if random_denied(l) {
        return Err(error_bytes(l, b"math.randomseed can only be called inside a script invocation"));
    }
    let seed = check_int(l, 1)?;
    srand48(seed);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r01() -> f64 {
        (lrand48() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }

    #[test]
    fn sequence_matches_a_fresh_redis() {
        // A fresh redis-server 7.0: EVAL "return {math.random(1000), tostring(math.random()), math.random(5,10)}"
        // answers 397, "0.84048536971234", 7.
        reset_random();
        assert_eq!((r01() * 1000.0).floor() + 1.0, 397.0);
        let mut s = Vec::new();
        crate::lua::number::fmt_num(r01(), &mut s);
        assert_eq!(s, b"0.84048536971234");
        assert_eq!((r01() * 6.0).floor() + 5.0, 7.0);
    }

    #[test]
    fn seeding_is_deterministic() {
        srand48(42);
        let a: Vec<i32> = (0..5).map(|_| lrand48()).collect();
        srand48(42);
        let b: Vec<i32> = (0..5).map(|_| lrand48()).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|&x| x >= 0));
        reset_random();
    }

    #[test]
    fn frexp_ldexp() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        assert_eq!(frexp(0.0), (0.0, 0));
        assert_eq!(frexp(f64::MIN_POSITIVE / 4.0), (0.5, -1023));
        assert_eq!(ldexp(0.5, 4), 8.0);
        assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
        assert_eq!(ldexp(1.0, -1074), f64::from_bits(1));
        assert_eq!(ldexp(1.0, -1075), 0.0);
        assert_eq!(ldexp(0.75, -1073), f64::from_bits(2));
    }
}
