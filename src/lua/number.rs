//! Lua 5.1's number conversions: `tostring` (`%.14g`), `tonumber`/coercion (`luaO_str2d`: C `strtod` plus the
//! `0x` rule), and the integer casts the libraries use.
//!
//! Written against glibc's behaviour, which is what the Lua inside Redis runs on: `-nan` for the default NaN,
//! `inf`/`-inf`, `tonumber("0x1p4") == 16`, `tonumber(" 10 ") == 10`.

use crate::util::c_sign;

/// Append `n` formatted as C's `printf("%.14g", n)`.
pub fn fmt_num(n: f64, out: &mut Vec<u8>) {
    if n.is_nan() {
        out.extend_from_slice(if n.is_sign_negative() { b"-nan" } else { b"nan" });
        return;
    }
    if n.is_infinite() {
        out.extend_from_slice(if n < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    // Integral values with at most 14 digits print exactly, without exponent.
    if n == n.trunc() && n.abs() < 1e14 {
        if n == 0.0 && n.is_sign_negative() {
            out.extend_from_slice(b"-0");
        } else {
            out.extend_from_slice((n as i64).to_string().as_bytes());
        }
        return;
    }
    fmt_g(n, 14, false, out);
}

/// `n` as `%.{prec}g` (or `%.{prec}G` when `upper`), for finite `n`; the `#` flag is not handled here.
pub fn fmt_g(n: f64, prec: usize, upper: bool, out: &mut Vec<u8>) {
    if !n.is_finite() {
        let s: &[u8] = if n.is_nan() {
            if n.is_sign_negative() {
                b"-nan"
            } else {
                b"nan"
            }
        } else if n < 0.0 {
            b"-inf"
        } else {
            b"inf"
        };
        if upper {
            out.extend(s.iter().map(|c| c.to_ascii_uppercase()));
        } else {
            out.extend_from_slice(s);
        }
        return;
    }
    let p = if prec == 0 { 1 } else { prec };
    // The exponent %e would print with p significant digits (after rounding).
    let e_form = format!("{:.*e}", p - 1, n);
    let epos = e_form.rfind('e').unwrap_or(e_form.len());
    let x: i32 = e_form[epos + 1..].parse().unwrap_or(0);
    if x < -4 || x >= p as i32 {
        let mant = strip_zeros(&e_form[..epos]);
        out.extend_from_slice(mant.as_bytes());
        out.push(if upper { b'E' } else { b'e' });
        out.push(if x < 0 { b'-' } else { b'+' });
        let ax = x.unsigned_abs();
        if ax < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(ax.to_string().as_bytes());
    } else {
        let f_form = format!("{:.*}", (p as i32 - 1 - x) as usize, n);
        out.extend_from_slice(strip_zeros(&f_form).as_bytes());
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `tostring(n)` as a fresh buffer.
pub fn num_to_bytes(n: f64) -> Vec<u8> {
    let mut v = Vec::with_capacity(24);
    fmt_num(n, &mut v);
    v
}

#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `luaO_str2d`: the number a string converts to, if the whole string (surrounding whitespace allowed) is one.
pub fn str_to_number(s: &[u8]) -> Option<f64> {
    let (n, used) = strtod(s)?;
    let mut rest = &s[used..];
    let mut n = n;
    if let Some(&c) = rest.first() {
        if c == b'x' || c == b'X' {
            // Lua's own rule for pre-C99 libcs: "0x..." through strtoul. glibc's strtod already read hex, so
            // this only sees odd inputs like "0x" with no digits, which strtoul rejects the same way.
            let (v, used2) = match strtoul(s, 16) {
                (_, 0) => return None,
                (v, used) => (v as f64, used),
            };
            n = v;
            rest = &s[used2..];
        }
    }
    while let Some((&c, tail)) = rest.split_first() {
        if !is_space(c) {
            return None;
        }
        rest = tail;
    }
    Some(n)
}

/// `strtoul(s, &end, base)` as glibc reads it: the value (wrapped for a leading '-', saturated on overflow) and
/// how many bytes it used (0 when there is no digit). `tonumber` with a base and `luaO_str2d`'s hex fallback
/// both read through it.
pub(crate) fn strtoul(s: &[u8], base: u32) -> (u64, usize) {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let (neg, mut i) = c_sign(s, i);
    if base == 16
        && i + 1 < s.len()
        && s[i] == b'0'
        && (s[i + 1] | 0x20) == b'x'
        && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
    {
        i += 2;
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while i < s.len() {
        let d = match (s[i] as char).to_digit(36) {
            Some(d) if d < base => d,
            _ => break,
        };
        match v.checked_mul(base as u64).and_then(|x| x.checked_add(d as u64)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    if overflow {
        return (u64::MAX, i);
    }
    (if neg { v.wrapping_neg() } else { v }, i)
}

/// C `strtod` as glibc implements it: leading whitespace, sign, decimal or hexadecimal (with binary exponent)
/// mantissa, `inf`/`infinity`/`nan`/`nan(...)`. Returns the value and the bytes consumed; `None` when no
/// conversion could be performed.
pub fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let (neg, i) = c_sign(s, i);
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    let lower = |k: usize| rest.get(k).map(|c| c.to_ascii_lowercase());
    if lower(0) == Some(b'i') && lower(1) == Some(b'n') && lower(2) == Some(b'f') {
        let long = rest.len() >= 8 && rest[..8].eq_ignore_ascii_case(b"infinity");
        return Some((sign(f64::INFINITY), i + if long { 8 } else { 3 }));
    }
    if lower(0) == Some(b'n') && lower(1) == Some(b'a') && lower(2) == Some(b'n') {
        let mut used = 3;
        if rest.get(3) == Some(&b'(') {
            let mut k = 4;
            while k < rest.len() && (rest[k].is_ascii_alphanumeric() || rest[k] == b'_') {
                k += 1;
            }
            if rest.get(k) == Some(&b')') {
                used = k + 1;
            }
        }
        return Some((sign(f64::NAN), i + used));
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some((v, used)) = parse_hex(&rest[2..]) {
            return Some((sign(v), i + 2 + used));
        }
        // "0x" without hex digits: strtod reads the "0".
        return Some((sign(0.0), i + 1));
    }
    // Decimal: digits [. digits] [e [sign] digits]
    let mut k = 0;
    let mut digits = 0;
    while k < rest.len() && rest[k].is_ascii_digit() {
        k += 1;
        digits += 1;
    }
    if k < rest.len() && rest[k] == b'.' {
        k += 1;
        while k < rest.len() && rest[k].is_ascii_digit() {
            k += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if k < rest.len() && (rest[k] | 0x20) == b'e' {
        let mut e = k + 1;
        if e < rest.len() && (rest[e] == b'+' || rest[e] == b'-') {
            e += 1;
        }
        if e < rest.len() && rest[e].is_ascii_digit() {
            while e < rest.len() && rest[e].is_ascii_digit() {
                e += 1;
            }
            k = e;
        }
    }
    // The slice is ASCII digits, '.', 'e' and signs: always valid UTF-8 and accepted by Rust's parser, which
    // rounds correctly like glibc.
    let text = std::str::from_utf8(&rest[..k]).ok()?;
    let text = if text.starts_with('.') { format!("0{text}") } else { text.to_string() };
    let v: f64 = text.trim_end_matches('.').parse().ok().or_else(|| format!("{text}0").parse().ok())?;
    Some((sign(v), i + k))
}

/// Hex mantissa `h[.h][p[sign]d]` after "0x"; rounds to nearest like glibc for up to 16 significant digits.
fn parse_hex(s: &[u8]) -> Option<(f64, usize)> {
    let mut k = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut sticky = false;
    while k < s.len() && s[k].is_ascii_hexdigit() {
        let d = (s[k] as char).to_digit(16).unwrap_or(0) as u64;
        if mant >> 60 == 0 {
            mant = mant * 16 + d;
        } else {
            exp += 4;
            sticky |= d != 0;
        }
        any = true;
        k += 1;
    }
    if k < s.len() && s[k] == b'.' {
        k += 1;
        while k < s.len() && s[k].is_ascii_hexdigit() {
            let d = (s[k] as char).to_digit(16).unwrap_or(0) as u64;
            if mant >> 60 == 0 {
                mant = mant * 16 + d;
                exp -= 4;
            } else {
                sticky |= d != 0;
            }
            any = true;
            k += 1;
        }
    }
    if !any {
        return None;
    }
    if k < s.len() && (s[k] | 0x20) == b'p' {
        let mut e = k + 1;
        let mut eneg = false;
        if e < s.len() && (s[e] == b'+' || s[e] == b'-') {
            eneg = s[e] == b'-';
            e += 1;
        }
        if e < s.len() && s[e].is_ascii_digit() {
            let mut ev: i64 = 0;
            while e < s.len() && s[e].is_ascii_digit() {
                ev = (ev * 10 + (s[e] - b'0') as i64).min(1 << 20);
                e += 1;
            }
            exp += if eneg { -ev } else { ev };
            k = e;
        }
    }
    let _ = sticky;
    let v = (mant as f64) * 2f64.powi(exp.clamp(-2000, 2000) as i32);
    Some((v, k))
}

/// `lua_Integer` conversion as the libraries use it (`luaL_checkint`): truncation toward zero, saturating where C
/// would be undefined.
#[inline]
pub fn to_integer(n: f64) -> i64 {
    if n.is_nan() {
        0
    } else {
        n as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(n: f64) -> String {
        String::from_utf8(num_to_bytes(n)).unwrap()
    }

    #[test]
    #[allow(clippy::approx_constant)]
    fn tostring_matches_percent_14g() {
        assert_eq!(show(1.0), "1");
        assert_eq!(show(-0.0), "-0");
        assert_eq!(show(0.1), "0.1");
        assert_eq!(show(1.0 / 3.0), "0.33333333333333");
        assert_eq!(show(1e14), "1e+14");
        assert_eq!(show(123456789012345.0), "1.2345678901234e+14");
        assert_eq!(show(99999999999999.0), "99999999999999");
        assert_eq!(show(1e-5), "1e-05");
        assert_eq!(show(0.0001), "0.0001");
        assert_eq!(show(2f64.powi(53)), "9.007199254741e+15");
        assert_eq!(show(3.14159265358979), "3.1415926535898");
        assert_eq!(show(1e300 * 1e10), "inf");
        assert_eq!(show(-1e300 * 1e10), "-inf");
        assert_eq!(show(-f64::NAN.copysign(1.0)), "-nan");
        assert_eq!(show(100.5), "100.5");
    }

    #[test]
    fn string_to_number_matches_strtod() {
        assert_eq!(str_to_number(b"10"), Some(10.0));
        assert_eq!(str_to_number(b"  10  "), Some(10.0));
        assert_eq!(str_to_number(b"0x10"), Some(16.0));
        assert_eq!(str_to_number(b"-0x10"), Some(-16.0));
        assert_eq!(str_to_number(b"0x1p4"), Some(16.0));
        assert_eq!(str_to_number(b"1e2"), Some(100.0));
        assert_eq!(str_to_number(b".5"), Some(0.5));
        assert_eq!(str_to_number(b"5."), Some(5.0));
        assert_eq!(str_to_number(b"1e"), None);
        assert_eq!(str_to_number(b""), None);
        assert_eq!(str_to_number(b" "), None);
        assert_eq!(str_to_number(b"0x"), None);
        assert_eq!(str_to_number(b"abc"), None);
        assert_eq!(str_to_number(b"1 2"), None);
        assert_eq!(str_to_number(b"inf"), Some(f64::INFINITY));
        assert!(str_to_number(b"nan").is_some_and(|n| n.is_nan()));
    }
}
