//! [`Json`] to text as RedisJSON 2.8 writes it: serde_json's serializer (its string escapes, `itoa` integers,
//! `ryu` doubles) with RedisJSON's formatter for JSON.GET's INDENT, NEWLINE and SPACE.

use super::{Json, SmallStr};
use std::io::Write;

/// JSON.GET's formatting arguments: each `None` when not given.
#[derive(Clone, Copy, Debug, Default)]
pub struct Format<'a> {
    pub indent: Option<&'a [u8]>,
    pub newline: Option<&'a [u8]>,
    pub space: Option<&'a [u8]>,
}

impl Format<'_> {
    pub fn is_plain(&self) -> bool {
        self.indent.is_none() && self.newline.is_none() && self.space.is_none()
    }
}

/// Appends the compact text of `v`.
pub fn write_compact(v: &Json, out: &mut Vec<u8>) {
    match v {
        Json::Array(a) => {
            warm(a.iter());
            write_compact_array(a.iter(), out);
        }
        Json::Object(o) => {
            warm(o.members().map(|(_, x)| x));
            out.push(b'{');
            for (i, (k, x)) in o.members().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k.as_bytes(), out);
                out.push(b':');
                write_compact(x, out);
            }
            out.push(b'}');
        }
        scalar => write_scalar(scalar, out),
    }
}

/// Appends the compact text of an array holding `items`.
fn write_compact_array<'a>(items: impl Iterator<Item = &'a Json>, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, x) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_compact(x, out);
    }
    out.push(b']');
}

/// Reads the first word of each child's block (an array's or object's header, a long string's box) before the
/// walk reaches them: the loads do not depend on one another, so the processor overlaps their cache misses,
/// where the walk alone would wait for each in turn (a document is a tree of blocks; printing one that is not
/// in cache is mostly waiting for memory).
#[inline]
pub(super) fn warm<'a>(children: impl Iterator<Item = &'a Json>) {
    let mut sum = 0usize;
    for c in children {
        sum = sum.wrapping_add(match c {
            Json::Array(a) => a.len(),
            Json::Object(o) => o.len(),
            Json::Str(SmallStr::Heap(s)) => s.capacity(),
            _ => 0,
        });
    }
    std::hint::black_box(sum);
}

/// Appends the text of an array holding `items` (JSON.GET's reply to a JSONPath: its matches as one array), as
/// [`write_formatted`] writes an array node, without building one.
pub fn write_array_formatted(items: &[&Json], f: &Format, out: &mut Vec<u8>) {
    if f.is_plain() {
        return write_compact_array(items.iter().copied(), out);
    }
    let mut w = Formatter { f, indent: 0, has_value: false };
    w.array(items.iter().copied(), out);
}

/// Appends `v` formatted with INDENT/NEWLINE/SPACE (RedisJSON's `RedisJsonFormatter`, including its one
/// `has_value` flag shared by every level).
pub fn write_formatted(v: &Json, f: &Format, out: &mut Vec<u8>) {
    if f.is_plain() {
        return write_compact(v, out);
    }
    let mut w = Formatter { f, indent: 0, has_value: false };
    w.value(v, out);
}

struct Formatter<'a, 'b> {
    f: &'a Format<'b>,
    indent: usize,
    has_value: bool,
}

impl Formatter<'_, '_> {
    fn new_line(&self, out: &mut Vec<u8>) {
        if let Some(n) = self.f.newline {
            out.extend_from_slice(n);
        }
        if let Some(s) = self.f.indent {
            for _ in 0..self.indent {
                out.extend_from_slice(s);
            }
        }
    }

    fn end(&mut self, close: u8, out: &mut Vec<u8>) {
        self.indent -= 1;
        if self.has_value {
            self.new_line(out);
        }
        out.push(close);
    }

    fn array<'v>(&mut self, items: impl Iterator<Item = &'v Json>, out: &mut Vec<u8>) {
        self.indent += 1;
        self.has_value = false;
        out.push(b'[');
        for (i, x) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.new_line(out);
            self.value(x, out);
            self.has_value = true;
        }
        self.end(b']', out);
    }

    fn value(&mut self, v: &Json, out: &mut Vec<u8>) {
        match v {
            Json::Array(a) => self.array(a.iter(), out),
            Json::Object(o) => {
                self.indent += 1;
                self.has_value = false;
                out.push(b'{');
                for (i, (k, x)) in o.members().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.new_line(out);
                    write_str(k.as_bytes(), out);
                    out.push(b':');
                    if let Some(s) = self.f.space {
                        out.extend_from_slice(s);
                    }
                    self.value(x, out);
                    self.has_value = true;
                }
                self.end(b'}', out);
            }
            scalar => write_scalar(scalar, out),
        }
    }
}

fn write_scalar(v: &Json, out: &mut Vec<u8>) {
    match v {
        Json::Null => out.extend_from_slice(b"null"),
        Json::Bool(true) => out.extend_from_slice(b"true"),
        Json::Bool(false) => out.extend_from_slice(b"false"),
        Json::Int(n) => {
            let mut tmp = [0u8; 24];
            out.extend_from_slice(crate::util::itoa_buf(*n, &mut tmp));
        }
        Json::UInt(n) => {
            let mut tmp = [0u8; 24];
            out.extend_from_slice(crate::util::utoa_buf(*n, &mut tmp));
        }
        Json::Float(f) => write_f64(*f, out),
        Json::Str(s) => write_str(s.as_bytes(), out),
        Json::Array(_) | Json::Object(_) => write_compact(v, out),
    }
}

/// A double as `ryu` prints it (serde_json's choice): the shortest digits that read back to the same double,
/// laid out plainly when the decimal point falls within 16 digits (`1500000000000000.0`, `0.00001`), in
/// scientific notation otherwise (`1e16`, `1e-6`, `1.5e300`); `null` for a non-finite value, as serde_json.
pub fn write_f64(f: f64, out: &mut Vec<u8>) {
    if !f.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if f.is_sign_negative() {
        out.push(b'-');
    }
    if f == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let mut digit_buf = [0u8; 32];
    let (len, exp) = match short_decimal(f.abs()) {
        Some((n, k)) => {
            // The digits of `n` (no trailing zeros when k > 0: n / 10 would have read back at k - 1).
            let mut tmp = [0u8; 24];
            let d = crate::util::utoa_buf(n, &mut tmp);
            let kept = if k == 0 { d.iter().rposition(|&c| c != b'0').map_or(1, |i| i + 1) } else { d.len() };
            digit_buf[..kept].copy_from_slice(&d[..kept]);
            (kept, d.len() as isize - 1 - k as isize)
        }
        None => shortest_digits(f.abs(), &mut digit_buf),
    };
    let digits = &digit_buf[..len];
    let len = len as isize;
    let k = exp - (len - 1); // exponent of the last digit
    let kk = len + k; // position of the decimal point
    if 0 <= k && kk <= 16 {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', k as usize));
        out.extend_from_slice(b".0");
    } else if 0 < kk && kk <= 16 {
        out.extend_from_slice(&digits[..kk as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[kk as usize..]);
    } else if -5 < kk && kk <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-kk) as usize));
        out.extend_from_slice(digits);
    } else {
        out.push(digits[0]);
        if len > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let _ = write!(out, "e{}", kk - 1);
    }
}

/// The shortest digits of a positive double as `n * 10^-k` with the fewest fractional digits `k` (up to 8) for
/// which `n / 10^k` reads back as the same double, when that decimal is the only one with `k` digits that does
/// (the double's spacing is well below `10^-k`), so it is the shortest round-trip form `ryu` finds: prices,
/// quantities and the like, without the general algorithm. `None` otherwise (and outside `1e-5..1e15`).
fn short_decimal(a: f64) -> Option<(u64, u32)> {
    if !(1e-5..1e15).contains(&a) {
        return None;
    }
    let spacing = f64::from_bits(a.to_bits() + 1) - a;
    for (k, &p) in EXACT_POW10[..=8].iter().enumerate() {
        if spacing * 4.0 * p >= 1.0 {
            return None;
        }
        let n = (a * p).round();
        if n < 9_007_199_254_740_992.0 && n / p == a {
            return Some((n as u64, k as u32));
        }
    }
    None
}

/// Powers of ten a double holds exactly (to 10^8, all `short_decimal` needs).
const EXACT_POW10: [f64; 9] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/// The shortest round-trip digits of a positive double through `{:e}` (Rust's Grisu/Dragon) with `ryu`'s choice
/// on ties: the digits in `buf`, their number and the exponent of the first.
fn shortest_digits(a: f64, buf: &mut [u8; 32]) -> (usize, isize) {
    // `{:e}` gives the shortest round-trip digits: "d[.ddd]e[-]x" (at most 17 digits and a 4-character exponent).
    let mut sci = Stack { buf: [0; 32], len: 0 };
    let _ = std::fmt::Write::write_fmt(&mut sci, format_args!("{:e}", a));
    let sci = &sci.buf[..sci.len];
    let (mant, exp) = match sci.iter().position(|&b| b == b'e') {
        Some(e) => (&sci[..e], &sci[e + 1..]),
        None => (sci, &b"0"[..]),
    };
    let exp: isize = std::str::from_utf8(exp).ok().and_then(|e| e.parse().ok()).unwrap_or(0);
    let mut len = 0;
    for &b in mant.iter().filter(|b| b.is_ascii_digit()) {
        buf[len] = b;
        len += 1;
    }
    even_on_tie(a, &mut buf[..len]);
    (len, exp)
}

/// A fixed buffer `{:e}` of a double is formatted into (no allocation); what does not fit is dropped (nothing
/// does: 17 digits, a point and an exponent).
struct Stack {
    buf: [u8; 32],
    len: usize,
}

impl std::fmt::Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Where the double lies exactly halfway between the two shortest candidates (`123456789012345.625` between
/// `…45.62` and `…45.63`), `ryu` takes the one whose last digit is even; Rust's `{:e}` may take the other.
/// A tie needs the double's exact decimal expansion to be one digit longer than the shortest digits, ending in 5:
/// the double is `m / 2^k` (`m` odd), whose expansion is the digits of `m * 5^k`, at most 18 of them only for
/// `k <= 26`. So most doubles (`0.1` has `k = 55`) are settled by the first test.
fn even_on_tie(f: f64, digits: &mut [u8]) {
    let bits = f.to_bits();
    let (raw_exp, frac) = (((bits >> 52) & 0x7ff) as i32, bits & ((1 << 52) - 1));
    let (m, e) = if raw_exp == 0 { (frac, -1074) } else { (frac | (1 << 52), raw_exp - 1075) };
    if m == 0 {
        return;
    }
    let (m, e) = (m >> m.trailing_zeros(), e + m.trailing_zeros() as i32);
    let n = digits.len();
    if !(-26..0).contains(&e) || digits[n - 1] % 2 == 0 {
        return;
    }
    let exact = (m as u128) * 5u128.pow((-e) as u32);
    if exact.ilog10() as usize + 1 != n + 1 {
        return;
    }
    // The candidates are the first n digits of the expansion and that plus one; take the even one.
    let lower = exact / 10;
    let pick = if lower % 2 == 0 { lower } else { lower + 1 };
    let text = pick.to_string();
    if text.len() == n {
        digits.copy_from_slice(text.as_bytes());
    }
}

/// How many bytes at the start of `b` need no escape (none of `"`, `\\`, a control character), eight at a time.
fn plain_prefix(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero exactly where the word's top-bit test below flags it (the classic "has zero byte").
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    for chunk in b.chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        // Bytes below 0x20 (ignoring those >= 0x80, which are plain), quotes, backslashes.
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        if control | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64)) != 0 {
            break;
        }
        i += 8;
    }
    i + b[i..].iter().position(|&c| matches!(c, b'"' | b'\\' | 0..=0x1f)).unwrap_or(b.len() - i)
}

/// A string in quotes with serde_json's escapes: `\"`, `\\`, the five short control escapes, `\u00xx` for the
/// other control characters; everything else (DEL, non-ASCII) as is.
pub fn write_str(b: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let plain = plain_prefix(b);
    if plain == b.len() {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate().skip(plain) {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 0xf) as usize]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// [`short_decimal`]'s digits and first-digit exponent, as [`shortest_digits_for_test`] gives them.
#[cfg(test)]
pub(super) fn short_decimal_for_test(a: f64) -> Option<Vec<u8>> {
    let (n, k) = short_decimal(a)?;
    let d = n.to_string();
    let kept = if k == 0 { d.trim_end_matches('0').len().max(1) } else { d.len() };
    let exp = d.len() as isize - 1 - k as isize;
    Some(d[..kept].bytes().chain(format!("e{exp}").into_bytes()).collect())
}

#[cfg(test)]
pub(super) fn shortest_digits_for_test(a: f64, buf: &mut [u8; 32]) -> (usize, isize) {
    shortest_digits(a, buf)
}
