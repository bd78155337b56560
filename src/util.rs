//! Number parsing and formatting with Redis's exact rules, and other small helpers shared by commands.

/// Writes the decimal form of `n` into `buf` and returns the written slice (at the end of `buf`).
#[inline]
pub fn itoa_buf(n: i64, buf: &mut [u8; 24]) -> &[u8] {
    let start = utoa_at(n.unsigned_abs(), buf);
    if n < 0 {
        buf[start - 1] = b'-';
        return &buf[start - 1..];
    }
    &buf[start..]
}

/// The decimal digits of `n`, written at the end of `buf` (lengths and counts in RESP headers).
#[inline]
pub fn utoa_buf(n: u64, buf: &mut [u8; 24]) -> &[u8] {
    let start = utoa_at(n, buf);
    &buf[start..]
}

/// The two-digit forms of 0 to 99, back to back ("00", "01", ..., "99").
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Writes `n`'s digits at the end of `buf` (20 at most, so a sign still fits) and returns where they start.
/// Two digits per step from a table (half the steps of one digit each: integer replies, RESP lengths and counts
/// are formatted on every request that returns one).
#[inline]
fn utoa_at(mut v: u64, buf: &mut [u8; 24]) -> usize {
    let mut i = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    i
}

/// The value of a run of decimal digits (nothing else: no sign, no space), None on any other byte or on overflow.
/// [`parse_i64`]'s loop, and SCAN's cursor's (`strtoul` rules around it).
#[inline]
pub fn decimal_u64(digits: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// Parses a signed 64-bit integer with Redis's `string2ll` rules: optional `-`, no `+`, no leading zeros (except
/// "0"), no spaces, at most 20 characters, no overflow.
#[inline]
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s.len() == 1 && s[0] == b'0' {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let v = decimal_u64(digits)?;
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses a double the way Redis's `string2d`/`getDoubleFromObject` accepts it: `strtod` syntax over the whole
/// input, no leading space, `inf`/`-inf` allowed, `nan` rejected.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5120 || s[0].is_ascii_whitespace() {
        return None;
    }
    // Plain decimal text (the scores and increments clients send) skips the C call and its two allocations.
    // Rust's parser rounds correctly, as glibc's and musl's strtod do, so the value is the same; text it refuses
    // goes to strtod below, which decides.
    if s.len() <= 64 && s.iter().all(|c| matches!(c, b'0'..=b'9' | b'.' | b'+' | b'-' | b'e' | b'E')) {
        if let Some(v) = std::str::from_utf8(s).ok().and_then(|t| t.parse::<f64>().ok()) {
            return Some(v);
        }
    }
    let txt = std::str::from_utf8(s).ok()?;
    let lower = txt.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => {
            // strtod also accepts hex floats; Rust's parser does not. Use libc for exact strtod behaviour.
            let c = std::ffi::CString::new(txt).ok()?;
            let mut end: *mut libc::c_char = std::ptr::null_mut();
            // SAFETY: `c` is a valid NUL-terminated string that outlives the call; `end` is a valid out-pointer.
            let v = unsafe { libc::strtod(c.as_ptr(), &mut end) };
            // SAFETY: strtod sets `end` to a position inside `c`'s buffer (or its start).
            let consumed = unsafe { end.offset_from(c.as_ptr()) } as usize;
            if consumed != txt.len() {
                return None;
            }
            v
        }
    };
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// Formats a double as Redis's `%.17g` replies do (`addReplyDouble` in RESP2): `inf`, `-inf`, or the shortest
/// `%.17g` text.
pub fn fmt_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d.is_nan() {
        return "nan".into();
    }
    fmt_g(d, 17)
}

/// `printf("%.{prec}g", d)` through libc, so the digits match C Redis exactly.
pub fn fmt_g(d: f64, prec: usize) -> String {
    let mut buf = [0u8; 128];
    let fmt = std::ffi::CString::new(format!("%.{prec}g")).unwrap_or_default();
    // SAFETY: `buf` is writable for its full length, which is passed as the size limit; `fmt` is NUL-terminated and
    // consumes exactly one double argument.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr() as *mut libc::c_char, buf.len(), fmt.as_ptr(), d) };
    let n = (n.max(0) as usize).min(buf.len() - 1);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// The bytes a C string function sees of `b`: up to the first NUL (what Redis's `%s` prints of an argument).
#[inline]
pub fn c_str(b: &[u8]) -> &[u8] {
    &b[..memchr::memchr(0, b).unwrap_or(b.len())]
}

/// The sign of C's `strto*` numbers: an optional `-` or `+` at `i`. Returns whether it was `-` and where the digits
/// start (`i`, or `i + 1` past a sign).
#[inline]
pub fn c_sign(s: &[u8], i: usize) -> (bool, usize) {
    match s.get(i) {
        Some(b'-') => (true, i + 1),
        Some(b'+') => (false, i + 1),
        _ => (false, i),
    }
}

/// C's `strtol(s, &end, 10)` over a C string: returns the value, the index where parsing stopped (0 when there
/// are no digits) and whether it overflowed (ERANGE).
pub fn strtol(s: &[u8]) -> (i64, usize, bool) {
    let s = c_str(s);
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let (neg, mut i) = c_sign(s, i);
    let digits_start = i;
    let mut v: i64 = 0;
    let mut overflow = false;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        let d = i64::from(c - b'0');
        let next = if neg {
            v.checked_mul(10).and_then(|x| x.checked_sub(d))
        } else {
            v.checked_mul(10).and_then(|x| x.checked_add(d))
        };
        match next {
            Some(n) => v = n,
            None => {
                overflow = true;
                v = if neg { i64::MIN } else { i64::MAX };
            }
        }
        i += 1;
    }
    if i == digits_start {
        return (0, 0, false);
    }
    (v, i, overflow)
}

/// Redis's `sdscatrepr`: a double-quoted, escaped form of `s`.
pub fn repr_into(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
            }
        }
    }
    out.push(b'"');
}

/// C's `atoll`/`atoi` (glibc: `strtol` without the end pointer): leading blanks, a sign, digits up to the first
/// other byte; saturates on overflow; 0 when there are no digits.
pub fn atoll(s: &[u8]) -> i64 {
    strtol(s).0
}

/// Redis's `debugDelay` for the testing directives (`rdb-key-save-delay`, `key-load-delay`): sleeps `usec`
/// microseconds; a negative `-n` sleeps 1 µs with probability 1/n (short delays without a syscall per key).
pub fn debug_delay(usec: i64) {
    let us = if usec < 0 {
        thread_local! {
            /// The 1-in-n draw's generator: stepped only here, by the testing directives' delays (on whichever
            /// thread or child saves or loads). A private generator, so it holds no server state.
            static STATE: std::cell::Cell<u64> = const { std::cell::Cell::new(0x9e37_79b9_7f4a_7c15) };
        }
        let r = STATE.with(|s| {
            let mut x = s.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.set(x);
            x
        });
        u64::from(r % usec.unsigned_abs() == 0)
    } else {
        usec as u64
    };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

/// Milliseconds since the Unix epoch.
#[inline]
pub fn now_ms() -> i64 {
    crate::sys::wall_clock_us().div_euclid(1000)
}

/// Microseconds since the Unix epoch.
#[inline]
pub fn now_us() -> i64 {
    crate::sys::wall_clock_us()
}

/// C's `isspace` in the "C" locale.
#[inline]
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Redis's `sdssplitargs`, the one splitter of quoted argument lines (redis.conf and CONFIG SET values, the AOF
/// manifest, ACL rules, script shebangs, ferredis-cli's input; inline requests through [`split_args_into`]): whitespace separates; `"..."` allows
/// `\n \r \t \b \a \xHH` and `\<any>`; `'...'` allows `\'`. Like the C function it reads `s` as a C string (a
/// NUL ends it), skips any `isspace` byte between arguments but ends an unquoted argument only at space, tab,
/// CR or LF. `None` on unbalanced quotes or a closing quote followed by something other than a space.
pub fn split_args(s: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = &s[..memchr::memchr(0, s).unwrap_or(s.len())];
    if u32::try_from(line.len()).is_err() {
        return None;
    }
    let (mut spans, mut scratch) = (Vec::new(), Vec::new());
    split_args_into(line, &mut spans, &mut scratch)?;
    Some(spans.iter().map(|&(a, b)| scratch[a as usize..b as usize].to_vec()).collect())
}

/// [`split_args`] without an allocation per argument, for the inline requests of the protocol parser: writes the
/// unquoted arguments one after another to `scratch` and each one's range in it to `spans` (both cleared first).
/// `line` holds no NUL (the caller cut it at the first) and fits `u32` offsets; `None` as [`split_args`].
pub fn split_args_into(line: &[u8], spans: &mut Vec<(u32, u32)>, scratch: &mut Vec<u8>) -> Option<()> {
    spans.clear();
    scratch.clear();
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0usize;
    loop {
        while p < line.len() && is_c_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(());
        }
        let start = scratch.len();
        // The open quote, if any: `"` takes C escapes, `'` only `\'`; both end at their own quote.
        let mut quote: Option<u8> = None;
        loop {
            let c = at(p);
            if let Some(q) = quote {
                if q == b'"' && c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_val(at(p + 2)), hex_val(at(p + 3))) {
                        scratch.push(h * 16 + l);
                        p += 4;
                        continue;
                    }
                }
                if q == b'"' && c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    scratch.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if q == b'\'' && c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    scratch.push(b'\'');
                } else if c == q {
                    let next = at(p + 1);
                    if next != 0 && !is_c_space(next) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    scratch.push(c);
                }
            } else {
                // Copy a run of ordinary bytes in one go (the line holds no NUL).
                let run = line
                    .get(p..)
                    .unwrap_or(&[])
                    .iter()
                    .position(|&b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\''))
                    .unwrap_or(line.len().saturating_sub(p));
                if run > 0 {
                    scratch.extend_from_slice(&line[p..p + run]);
                    p += run;
                    continue;
                }
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        p += 1;
                        break;
                    }
                    0 => break,
                    b'"' | b'\'' => quote = Some(c),
                    _ => scratch.push(c),
                }
            }
            p += 1;
        }
        // The protocol's lines are at most max_inline_len bytes (its const asserts); split_args checks its own.
        spans.push((start as u32, scratch.len() as u32));
    }
}

#[inline]
fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_args_is_sdssplitargs() {
        let v = |x: &[&str]| x.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(split_args(b"  set a  b ").unwrap(), v(&["set", "a", "b"]));
        assert_eq!(split_args(b"a \"b c\" 'd e' \"\\x41\\n\\q\"").unwrap(), v(&["a", "b c", "d e", "A\nq"]));
        // Between arguments any isspace byte is skipped; inside an unquoted one only space, tab, CR, LF end it.
        assert_eq!(split_args(b"\x0ba\x0bb c").unwrap(), v(&["a\x0bb", "c"]));
        // A C string: a NUL ends the input.
        assert_eq!(split_args(b"a b\0c d").unwrap(), v(&["a", "b"]));
        assert_eq!(split_args(b"'it\\'s'").unwrap(), v(&["it's"]));
        for bad in [&b"\"abc"[..], b"'abc", b"\"a\"b", b"'a'b", b"\"a\0\""] {
            assert_eq!(split_args(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    /// The decimal fast path of `parse_f64` against C `strtod` over the whole text, on generated decimal strings
    /// (signs, points, exponents, long and malformed ones), value bit for bit.
    #[test]
    fn parse_f64_fast_path_matches_strtod() {
        fn c_strtod(s: &str) -> Option<f64> {
            let c = std::ffi::CString::new(s).ok()?;
            let mut end: *mut libc::c_char = std::ptr::null_mut();
            // SAFETY: `c` is NUL-terminated and outlives the call; `end` is a valid out-pointer.
            let v = unsafe { libc::strtod(c.as_ptr(), &mut end) };
            // SAFETY: strtod leaves `end` inside `c`'s buffer.
            let used = unsafe { end.offset_from(c.as_ptr()) } as usize;
            (used == s.len() && !v.is_nan()).then_some(v)
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let alphabet = b"0123456789012345678901234567890123456789.+-eE";
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "+1",
            "1.",
            ".5",
            "1.e5",
            "1e",
            "e1",
            ".",
            "+",
            "1e+",
            "1e-400",
            "1e400",
            "2.2250738585072011e-308",
            "4.9e-324",
            "17976931348623157e292",
            "00012.50",
            "0.1",
            "1-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..200_000 {
            let len = 1 + next(30) as usize;
            cases.push((0..len).map(|_| alphabet[next(alphabet.len() as u64) as usize] as char).collect());
        }
        for _ in 0..50_000 {
            // Well-formed numbers: mantissa digits, a point, an exponent.
            let mut t = String::new();
            if next(2) == 0 {
                t.push('-');
            }
            for _ in 0..1 + next(20) {
                t.push((b'0' + next(10) as u8) as char);
            }
            if next(2) == 0 {
                t.push('.');
                for _ in 0..next(20) {
                    t.push((b'0' + next(10) as u8) as char);
                }
            }
            if next(2) == 0 {
                t.push_str(&format!("e{}", next(700) as i64 - 350));
            }
            cases.push(t);
        }
        for t in &cases {
            let got = parse_f64(t.as_bytes());
            let want = c_strtod(t);
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{t:?}");
        }
    }

    use super::*;

    #[test]
    fn parse_i64_follows_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"-"), None);
    }

    #[test]
    fn itoa_round_trips() {
        for n in [0i64, 1, -1, 42, i64::MAX, i64::MIN, 1000000] {
            let mut b = [0u8; 24];
            assert_eq!(itoa_buf(n, &mut b), n.to_string().as_bytes());
        }
        // Every length of both signs, and each side of every power of ten (the table writes digits in pairs, a
        // single one first for an odd count).
        let mut p = 1u64;
        loop {
            for v in [p - 1, p, p + 1, p.saturating_mul(5), p.saturating_mul(10).saturating_sub(1)] {
                let mut b = [0u8; 24];
                assert_eq!(utoa_buf(v, &mut b), v.to_string().as_bytes());
                if let Ok(n) = i64::try_from(v) {
                    assert_eq!(itoa_buf(n, &mut b), n.to_string().as_bytes());
                    assert_eq!(itoa_buf(-n, &mut b), (-n).to_string().as_bytes());
                }
            }
            match p.checked_mul(10) {
                Some(q) => p = q,
                None => break,
            }
        }
        for v in (0..100_000u64).chain([u64::MAX, u64::MAX - 1]) {
            let mut b = [0u8; 24];
            assert_eq!(utoa_buf(v, &mut b), v.to_string().as_bytes());
        }
    }

    #[test]
    fn doubles_format_like_redis() {
        assert_eq!(fmt_double(1.5), "1.5");
        assert_eq!(fmt_double(0.1), "0.10000000000000001");
        assert_eq!(fmt_double(f64::INFINITY), "inf");
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
    }
}

/// A small, fast pseudo-random generator (xorshift64*) for sampling; not for anything secret.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// Seeded from the clock and the process id.
    pub fn from_entropy() -> Rng {
        let t = now_us() as u64;
        Rng::new(t ^ ((std::process::id() as u64) << 32) ^ 0x9e37_79b9_7f4a_7c15)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// Glob-style matching with Redis's `stringmatchlen` rules, used by KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE and
/// friends: `*` (any run), `?` (any byte), `[abc]`, `[^abc]`, `[a-z]` (reversed ranges are swapped), `\x` (literal
/// x, also inside brackets). An unterminated `[` set ends at the end of the pattern. `nocase` folds ASCII case.
/// Like Redis, an empty `s` matches only an empty pattern (`*` included): callers that treat a lone `*` as "all"
/// (KEYS, SCAN) short-circuit it themselves, as Redis does.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    glob_impl(pattern, s, nocase, &mut skip_longer, 0)
}

fn glob_impl(mut p: &[u8], mut s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    // Deeply nested stars are an attack on the stack, not a real pattern; Redis gives up the same way.
    if nesting > 1000 {
        return false;
    }
    let fold = |c: u8| if nocase { c.to_ascii_lowercase() } else { c };
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if glob_impl(&p[1..], s, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    // The rest of the pattern failed against the whole remaining text at some deeper star: a
                    // shorter suffix cannot match either.
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s = &s[1..],
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let c = s[0];
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        // Unterminated set: the outer step below must still land at the end of the pattern.
                        break;
                    } else if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if p[0] == c {
                            matched = true;
                        }
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut lo, mut hi) = (p[0], p[2]);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let (lo, hi, cc) = (fold(lo), fold(hi), fold(c));
                        if cc >= lo && cc <= hi {
                            matched = true;
                        }
                        p = &p[2..];
                    } else if fold(p[0]) == fold(c) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // Unterminated set consumed the whole pattern.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if fold(p[0]) != fold(s[0]) {
                    return false;
                }
                s = &s[1..];
            }
            pc => {
                if fold(pc) != fold(s[0]) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod glob_tests {
    use super::glob_match;

    #[test]
    fn glob_table() {
        let cases: &[(&str, &str, bool, bool)] = &[
            // As in Redis, an empty text never enters the match loop, so even `*` fails on it; KEYS and SCAN
            // special-case a lone `*` before matching.
            ("*", "", false, false),
            ("*", "anything", false, true),
            ("", "", false, true),
            ("", "a", false, false),
            ("a", "", false, false),
            ("h?llo", "hello", false, true),
            ("h?llo", "hllo", false, false),
            ("h*llo", "hllo", false, true),
            ("h*llo", "heeeello", false, true),
            ("h*llo", "heeeellox", false, false),
            ("h[ae]llo", "hallo", false, true),
            ("h[ae]llo", "hillo", false, false),
            ("h[^e]llo", "hallo", false, true),
            ("h[^e]llo", "hello", false, false),
            ("h[a-b]llo", "hbllo", false, true),
            ("h[b-a]llo", "hallo", false, true),
            ("h[a-b]llo", "hcllo", false, false),
            ("h\\*llo", "h*llo", false, true),
            ("h\\*llo", "hallo", false, false),
            ("h[\\]]llo", "h]llo", false, true),
            ("HELLO", "hello", true, true),
            ("HELLO", "hello", false, false),
            ("h[A-C]llo", "hbllo", true, true),
            ("*a*b*c", "xxaxxbxxc", false, true),
            ("*a*b*c", "xxaxxbxxcx", false, false),
            ("a**", "a", false, true),
            ("a*", "a", false, true),
            ("*b", "b", false, true),
            ("a*b*", "ab", false, true),
            ("[abc", "a", false, true),
            ("[abc", "ab", false, false),
            ("a[", "a", false, false),
            ("a\\", "a\\", false, true),
            ("maxmemory*", "maxmemory-policy", false, true),
            ("*max*", "lfu-max", false, true),
            ("?", "", false, false),
            ("[]", "a", false, false),
            ("[^]", "a", false, true),
        ];
        for &(p, s, nocase, want) in cases {
            assert_eq!(
                glob_match(p.as_bytes(), s.as_bytes(), nocase),
                want,
                "pattern {p:?} text {s:?} nocase {nocase}"
            );
        }
    }

    #[test]
    fn pathological_stars_finish() {
        let p = "a*".repeat(40) + "b";
        let s = "a".repeat(100);
        assert!(!glob_match(p.as_bytes(), s.as_bytes(), false));
        let deep = "*?".repeat(5000);
        assert!(!glob_match(deep.as_bytes(), b"short", false));
    }
}

/// A multiply-rotate hasher for maps whose keys an attacker does not choose (command names from the command table,
/// SHA-1 digests): a keyed SipHash costs more than it protects there.
#[derive(Default)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A map keyed by command-table names (`commandstats`, latency histograms).
pub type NameMap<V> = std::collections::HashMap<&'static str, V, std::hash::BuildHasherDefault<FastHasher>>;
