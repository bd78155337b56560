//! `string.format`'s conversions: a C `printf` for one item (`%[flags][width][.precision]conv`), as glibc on
//! x86-64 prints it, which is what Lua 5.1's `str_format` hands each item to.
//!
//! Covered: `d i` (the number cast to C `long`), `o u x X` (cast to `unsigned long`), `c` (cast to `int`, and a
//! zero byte adds nothing because Lua measures the item with `strlen`), `e E f g G` (doubles, `inf`/`nan`
//! spelled as glibc does), `s` (precision truncates; the item stops at a NUL like `sprintf`), with the flags
//! `- + space # 0`, width and precision of at most two digits each (`scanformat` rejects more).
//!
//! The C casts are reproduced bit for bit ([`c_long`], [`c_ulong`], [`c_int`]): out-of-range and NaN values
//! become what `cvttsd2si` produces, so `string.format("%d", 2^63)` prints `-9223372036854775808` as Redis does.
//!
//! Tested by the unit tests below and against `lua5.1` in `tests/scripting/lua_stdlib.rs`.

/// One parsed conversion specification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spec {
    pub minus: bool,
    pub plus: bool,
    pub space: bool,
    pub alt: bool,
    pub zero: bool,
    pub width: usize,
    pub precision: Option<usize>,
    pub conv: u8,
}

/// Why a specification is rejected (Lua's messages, without position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecError {
    RepeatedFlags,
    TooLong,
}

impl SpecError {
    pub fn message(self) -> &'static str {
        match self {
            SpecError::RepeatedFlags => "invalid format (repeated flags)",
            SpecError::TooLong => "invalid format (width or precision too long)",
        }
    }
}

const FLAGS: &[u8] = b"-+ #0";

/// `scanformat`: parse the specification starting just after `%` in `f[i..]`. Returns the spec (with `conv`
/// the byte after it, 0 at the end) and the index just past the conversion character.
pub fn scan(f: &[u8], mut i: usize) -> Result<(Spec, usize), SpecError> {
    let at = |k: usize| f.get(k).copied().unwrap_or(0);
    let start = i;
    let mut spec = Spec::default();
    while at(i) != 0 && FLAGS.contains(&at(i)) {
        match at(i) {
            b'-' => spec.minus = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.alt = true,
            _ => spec.zero = true,
        }
        i += 1;
    }
    // sizeof(FLAGS) counts the terminating NUL: six or more flag characters are an error.
    if i - start > FLAGS.len() {
        return Err(SpecError::RepeatedFlags);
    }
    let digits = |i: &mut usize| -> Option<usize> {
        let mut v = None;
        for _ in 0..2 {
            if at(*i).is_ascii_digit() {
                v = Some(v.unwrap_or(0) * 10 + (at(*i) - b'0') as usize);
                *i += 1;
            }
        }
        v
    };
    spec.width = digits(&mut i).unwrap_or(0);
    if at(i) == b'.' {
        i += 1;
        spec.precision = Some(digits(&mut i).unwrap_or(0));
    }
    if at(i).is_ascii_digit() {
        return Err(SpecError::TooLong);
    }
    spec.conv = at(i);
    Ok((spec, i + 1))
}

/// 2^63 as a double.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// C's `(long)d` on x86-64: truncation, and `LONG_MIN` for NaN and out-of-range values.
#[inline]
pub fn c_long(d: f64) -> i64 {
    if d.is_nan() || !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(unsigned long)d` as gcc compiles it on x86-64 (signed conversion below 2^63, biased above).
#[inline]
pub fn c_ulong(d: f64) -> u64 {
    if d.is_nan() || d < TWO_63 {
        c_long(d) as u64
    } else {
        (c_long(d - TWO_63) as u64) ^ (1u64 << 63)
    }
}

/// C's `(int)d` on x86-64: `INT_MIN` for NaN and out-of-range values.
#[inline]
pub fn c_int(d: f64) -> i32 {
    if d.is_nan() || d >= 2147483648.0 || d <= -2147483649.0 {
        i32::MIN
    } else {
        d as i32
    }
}

fn pad(out: &mut Vec<u8>, n: usize, c: u8) {
    out.extend(std::iter::repeat_n(c, n));
}

/// Emit `prefix` (sign, `0x`) and `body` (digits) padded to the spec's width.
fn emit(out: &mut Vec<u8>, spec: &Spec, prefix: &[u8], body: &[u8], zero_ok: bool) {
    let len = prefix.len() + body.len();
    let fill = spec.width.saturating_sub(len);
    if spec.minus {
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
        pad(out, fill, b' ');
    } else if spec.zero && zero_ok {
        out.extend_from_slice(prefix);
        pad(out, fill, b'0');
        out.extend_from_slice(body);
    } else {
        pad(out, fill, b' ');
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
    }
}

/// `%d`/`%i` of a C `long`.
pub fn fmt_signed(out: &mut Vec<u8>, spec: &Spec, v: i64) {
    let sign: &[u8] = if v < 0 {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    };
    let digits = v.unsigned_abs().to_string().into_bytes();
    int_body(out, spec, sign, digits, v == 0);
}

fn int_body(out: &mut Vec<u8>, spec: &Spec, prefix: &[u8], digits: Vec<u8>, is_zero: bool) {
    let mut body = digits;
    if let Some(p) = spec.precision {
        if p == 0 && is_zero {
            body.clear();
        }
        if body.len() < p {
            let mut b = vec![b'0'; p - body.len()];
            b.extend_from_slice(&body);
            body = b;
        }
    }
    emit(out, spec, prefix, &body, spec.precision.is_none());
}

/// `%o %u %x %X` of a C `unsigned long`.
pub fn fmt_unsigned(out: &mut Vec<u8>, spec: &Spec, v: u64) {
    let (mut digits, prefix): (Vec<u8>, &[u8]) = match spec.conv {
        b'o' => (format!("{v:o}").into_bytes(), b""),
        b'x' => (format!("{v:x}").into_bytes(), if spec.alt && v != 0 { b"0x" } else { b"" }),
        b'X' => (format!("{v:X}").into_bytes(), if spec.alt && v != 0 { b"0X" } else { b"" }),
        _ => (v.to_string().into_bytes(), b""),
    };
    if spec.conv == b'o' && spec.alt {
        // '#' makes the first digit a zero (after precision padding).
        let p = spec.precision.unwrap_or(0);
        if v == 0 && spec.precision == Some(0) {
            digits = b"0".to_vec();
            return emit(out, spec, b"", &digits, false);
        }
        if digits.len() >= p && digits.first() != Some(&b'0') {
            digits.insert(0, b'0');
        }
    }
    int_body(out, spec, prefix, digits, v == 0);
}

/// `%c` of a C `int` (the caller drops the item when the byte is 0, as `strlen` would).
pub fn fmt_char(out: &mut Vec<u8>, spec: &Spec, c: u8) {
    emit(out, spec, b"", &[c], false);
}

/// `%s` of a byte string (already cut at its first NUL by the caller, as `sprintf` sees it).
pub fn fmt_str(out: &mut Vec<u8>, spec: &Spec, s: &[u8]) {
    let s = match spec.precision {
        Some(p) if p < s.len() => &s[..p],
        _ => s,
    };
    emit(out, spec, b"", s, false);
}

/// `%e %E %f %g %G` of a double.
pub fn fmt_float(out: &mut Vec<u8>, spec: &Spec, v: f64) {
    let upper = spec.conv.is_ascii_uppercase();
    let sign: &[u8] = if v.is_sign_negative() {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    };
    if !v.is_finite() {
        let body: &[u8] = match (v.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        return emit(out, spec, sign, body, false);
    }
    let a = v.abs();
    let prec = spec.precision.unwrap_or(6);
    let body = match spec.conv.to_ascii_lowercase() {
        b'f' => {
            let mut s = format!("{a:.prec$}").into_bytes();
            if spec.alt && prec == 0 {
                s.push(b'.');
            }
            s
        }
        b'e' => exp_form(a, prec, spec.alt, upper),
        _ => {
            let p = if prec == 0 { 1 } else { prec };
            // The exponent %e would print at precision p-1 (after rounding).
            let e = format!("{:.*e}", p - 1, a);
            let x: i32 = e.rsplit('e').next().and_then(|t| t.parse().ok()).unwrap_or(0);
            let mut s = if x < -4 || x >= p as i32 {
                exp_form(a, p - 1, spec.alt, upper)
            } else {
                let fp = (p as i32 - 1 - x) as usize;
                let mut s = format!("{a:.fp$}").into_bytes();
                if spec.alt && fp == 0 {
                    s.push(b'.');
                }
                s
            };
            if !spec.alt {
                strip_fraction_zeros(&mut s);
            }
            s
        }
    };
    emit(out, spec, sign, &body, true);
}

/// Remove trailing zeros of the fraction (and a bare '.') in a `%g` body, keeping any exponent.
fn strip_fraction_zeros(s: &mut Vec<u8>) {
    let epos = s.iter().position(|&c| c == b'e' || c == b'E').unwrap_or(s.len());
    if !s[..epos].contains(&b'.') {
        return;
    }
    let mut end = epos;
    while end > 0 && s[end - 1] == b'0' {
        end -= 1;
    }
    if end > 0 && s[end - 1] == b'.' {
        end -= 1;
    }
    s.drain(end..epos);
}

/// `d.ddde+XX` for a non-negative finite `a`.
fn exp_form(a: f64, prec: usize, alt: bool, upper: bool) -> Vec<u8> {
    let e = format!("{a:.prec$e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let x: i32 = exp.parse().unwrap_or(0);
    let mut s = mant.as_bytes().to_vec();
    if alt && prec == 0 {
        s.push(b'.');
    }
    s.push(if upper { b'E' } else { b'e' });
    s.push(if x < 0 { b'-' } else { b'+' });
    let ax = x.unsigned_abs();
    if ax < 10 {
        s.push(b'0');
    }
    s.extend_from_slice(ax.to_string().as_bytes());
    s
}

/// `%q`: `s` quoted so that Lua reads it back.
pub fn add_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' | b'\\' | b'\n' => {
                out.push(b'\\');
                out.push(c);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => out.extend_from_slice(b"\\000"),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(spec: &str, v: f64) -> String {
        let (s, _) = scan(spec.as_bytes(), 0).unwrap();
        let mut out = Vec::new();
        match s.conv {
            b'd' | b'i' => fmt_signed(&mut out, &s, c_long(v)),
            b'o' | b'u' | b'x' | b'X' => fmt_unsigned(&mut out, &s, c_ulong(v)),
            b'c' => fmt_char(&mut out, &s, c_int(v) as u8),
            _ => fmt_float(&mut out, &s, v),
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers() {
        assert_eq!(f("d", 3.7), "3");
        assert_eq!(f("d", -3.7), "-3");
        assert_eq!(f("5d", 42.0), "   42");
        assert_eq!(f("-5d|", 42.0), "42   ");
        assert_eq!(f("05d", -42.0), "-0042");
        assert_eq!(f("+d", 5.0), "+5");
        assert_eq!(f(" d", 5.0), " 5");
        assert_eq!(f(".3d", 5.0), "005");
        assert_eq!(f(".0d", 0.0), "");
        assert_eq!(f("08.3d", 5.0), "     005");
        assert_eq!(f("x", 255.0), "ff");
        assert_eq!(f("#X", 255.0), "0XFF");
        assert_eq!(f("#x", 0.0), "0");
        assert_eq!(f("#o", 8.0), "010");
        assert_eq!(f("x", -1.0), "ffffffffffffffff");
        assert_eq!(f("d", 2f64.powi(63)), "-9223372036854775808");
        assert_eq!(f("u", 2f64.powi(63)), "9223372036854775808");
        assert_eq!(f("d", f64::NAN), "-9223372036854775808");
    }

    #[test]
    fn floats() {
        assert_eq!(f("f", 1.5), "1.500000");
        assert_eq!(f(".2f", 2.675), "2.67");
        assert_eq!(f("10.3f", -3.14158), "    -3.142");
        assert_eq!(f("010.3f", -3.14158), "-00003.142");
        assert_eq!(f("e", 12345.678), "1.234568e+04");
        assert_eq!(f("E", 0.0), "0.000000E+00");
        assert_eq!(f("g", 100000.0), "100000");
        assert_eq!(f("g", 1000000.0), "1e+06");
        assert_eq!(f("g", 0.0001), "0.0001");
        assert_eq!(f("g", 0.00001), "1e-05");
        assert_eq!(f("#g", 1.0), "1.00000");
        assert_eq!(f(".3g", 3.14158), "3.14");
        assert_eq!(f("G", 1e-10), "1E-10");
        assert_eq!(f("f", f64::INFINITY), "inf");
        assert_eq!(f("5.1f", -f64::INFINITY), " -inf");
        assert_eq!(f("05f", f64::INFINITY), "  inf");
        assert_eq!(f("#.0f", 3.0), "3.");
        assert_eq!(f(".0f", 0.5), "0");
        assert_eq!(f(".0f", 1.5), "2");
        assert_eq!(f(".14g", 0.1), "0.1");
    }

    #[test]
    fn scan_errors() {
        assert_eq!(scan(b"------d", 0), Err(SpecError::RepeatedFlags));
        assert!(scan(b"-----d", 0).is_ok());
        assert_eq!(scan(b"100d", 0), Err(SpecError::TooLong));
        assert_eq!(scan(b"1.100d", 0), Err(SpecError::TooLong));
        let (s, next) = scan(b"-+10.5fX", 0).unwrap();
        assert_eq!((s.width, s.precision, s.conv, next), (10, Some(5), b'f', 7));
    }

    #[test]
    fn quoting() {
        let mut out = Vec::new();
        add_quoted(&mut out, b"a\"b\\c\nd\re\0f");
        assert_eq!(out, b"\"a\\\"b\\\\c\\\nd\\re\\000f\"");
    }
}
