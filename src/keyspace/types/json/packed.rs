//! The canonical text of a document: the checks that let a document stay as its compact text ("packed") instead of
//! a tree of nodes.
//!
//! A text is canonical when [`parse()`](super::parse()) accepts it and [`write_compact`](super::write_compact)
//! prints the tree it makes back byte for byte. Such a text can stand for its tree: JSON.GET `$` copies it, and a
//! command that needs the tree parses it again. [`is_canonical`] decides that in one pass over the bytes, without
//! building the tree; [`locate`] finds the text of a value inside a canonical text.
//!
//! What canonical means, rule by rule (each the parser's reading and the writer's printing of the same bytes):
//!
//! - no whitespace outside strings, nothing after the root value, and at most [`MAX_DEPTH`] arrays or objects
//!   nested (the parser's limit);
//! - strings: UTF-8, no raw control character, and only the escapes [`write_str`](super::write::write_str)
//!   prints, in its spelling: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx` (lowercase hex) for the other
//!   control characters; `\/`, `\u0041`, `\u000A`, `\u0008` or a surrogate pair read fine but print otherwise;
//! - numbers: an integer that fits `i64` (or `u64` when positive) prints as written; `-0`, and integers beyond
//!   those, are doubles, which always print with a `.` or an `e`; a fraction or an exponent is a double, canonical
//!   when the writer prints the parser's double as the same bytes (`1.5`, `1e16`; not `1.50`, `1E16`, `1e+16`);
//! - objects: no key twice (the parser keeps one member of the two); objects of more than [`INDEX_FROM`] members
//!   are declared not canonical (the parser indexes their keys; here each key is compared with the ones before it,
//!   which stays cheap only for few);
//! - `true`, `false` and `null` as they are.
//!
//! Nothing here allocates per value: the keys of the open objects share one stack ([`Keys`], in place for up to
//! [`INLINE_KEYS`] of them), and a double that needs printing is printed into one reused buffer.

use super::index::INDEX_FROM;
use super::parse::parse;
use super::write::write_f64;
use super::Json;
use std::borrow::Borrow;
use std::ops::Range;

/// The most arrays and objects a canonical text nests: [`parse()`](super::parse()) refuses the 128th level
/// ("recursion limit exceeded").
pub const MAX_DEPTH: usize = 127;

/// One step of a path into a document: a member of an object, or an element of an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Whether `text` is the compact text of a document: [`parse()`](super::parse()) accepts it (as UTF-8, whole)
/// and [`write_compact`](super::write_compact) prints its tree as the same bytes (see the module header).
/// Conservative only for objects of more than [`INDEX_FROM`] members and texts of 4 GiB or more (false).
pub fn is_canonical(text: &[u8]) -> bool {
    // Key positions are kept as `u32`: a longer text is declared not canonical (no argument is that long).
    if u32::try_from(text.len()).is_err() {
        return false;
    }
    let keys = Keys { inline: [(0, 0); INLINE_KEYS], len: 0, spill: Vec::new() };
    let mut s = Scanner { s: text, i: 0, keys, scratch: Vec::new() };
    s.value(0) && s.i == text.len()
}

/// The keys [`Keys`] holds in place; past them it moves them all into its vector.
const INLINE_KEYS: usize = 64;

/// The byte ranges of the keys of the open objects (innermost last), each object's from where it began: in
/// place while they are few, all in `spill` once they are not.
struct Keys {
    inline: [(u32, u32); INLINE_KEYS],
    len: usize,
    spill: Vec<(u32, u32)>,
}

impl Keys {
    fn len(&self) -> usize {
        self.len
    }

    fn spilled(&self) -> bool {
        !self.spill.is_empty()
    }

    /// The keys from `base` on.
    fn from(&self, base: usize) -> &[(u32, u32)] {
        if self.spilled() {
            &self.spill[base..]
        } else {
            &self.inline[base..self.len]
        }
    }

    fn push(&mut self, key: (u32, u32)) {
        if self.spilled() {
            self.spill.push(key);
        } else if self.len < INLINE_KEYS {
            self.inline[self.len] = key;
        } else {
            self.spill.extend_from_slice(&self.inline);
            self.spill.push(key);
        }
        self.len += 1;
    }

    fn truncate(&mut self, base: usize) {
        self.len = base;
        if self.spilled() {
            self.spill.truncate(base);
        }
    }
}

/// The pass of [`is_canonical`]: the text, the position, the key ranges of the open objects (innermost last)
/// and the buffer a double is printed into.
struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
    keys: Keys,
    scratch: Vec<u8>,
}

impl Scanner<'_> {
    /// The value at the position, `depth` arrays or objects deep; true when canonical, the position past it.
    fn value(&mut self, depth: usize) -> bool {
        let Some(&b) = self.s.get(self.i) else { return false };
        match b {
            b'"' => self.string().is_some(),
            b'{' => depth < MAX_DEPTH && self.object(depth + 1),
            b'[' => depth < MAX_DEPTH && self.array(depth + 1),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => false,
        }
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.s.get(self.i).copied()?;
        self.i += 1;
        Some(b)
    }

    fn word(&mut self, w: &[u8]) -> bool {
        let ok = self.s[self.i..].starts_with(w);
        self.i += w.len();
        ok
    }

    /// An array whose elements are `depth` deep.
    fn array(&mut self, depth: usize) -> bool {
        self.i += 1;
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            match self.next() {
                Some(b',') => {}
                Some(b']') => return true,
                _ => return false,
            }
        }
    }

    /// An object whose members' values are `depth` deep.
    fn object(&mut self, depth: usize) -> bool {
        self.i += 1;
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return true;
        }
        let base = self.keys.len();
        let ok = self.members(depth, base);
        self.keys.truncate(base);
        ok
    }

    /// The members of an object, through its closing brace; `keys[base..]` holds its keys read so far.
    fn members(&mut self, depth: usize, base: usize) -> bool {
        loop {
            if self.s.get(self.i) != Some(&b'"') {
                return false;
            }
            let start = self.i + 1;
            let Some(end) = self.string() else { return false };
            let key = &self.s[start..end];
            let mine = self.keys.from(base);
            if mine.len() == INDEX_FROM || mine.iter().any(|&(a, b)| &self.s[a as usize..b as usize] == key) {
                return false;
            }
            // Both fit: the text's length does.
            self.keys.push((start as u32, end as u32));
            if self.next() != Some(b':') || !self.value(depth) {
                return false;
            }
            match self.next() {
                Some(b',') => {}
                Some(b'}') => return true,
                _ => return false,
            }
        }
    }

    /// A string at its opening quote: where its contents end (the closing quote), the position past it; `None`
    /// when not canonical.
    fn string(&mut self) -> Option<usize> {
        let start = self.i + 1;
        let mut i = start;
        let mut high = false;
        loop {
            let (plain, h) = plain_run(self.s.get(i..)?);
            high |= h;
            i += plain;
            match *self.s.get(i)? {
                b'"' => break,
                b'\\' => i = canonical_escape(self.s, i)?,
                _ => return None,
            }
        }
        // Escapes are ASCII, so the contents are UTF-8 exactly when their raw bytes are.
        if high && std::str::from_utf8(&self.s[start..i]).is_err() {
            return None;
        }
        self.i = i + 1;
        Some(i)
    }

    /// A number at the position (a `-` or a digit): its grammar, then whether it prints as written.
    fn number(&mut self) -> bool {
        let s = self.s;
        let start = self.i;
        let negative = s[start] == b'-';
        let digits_at = start + usize::from(negative);
        let mut i = digits_at;
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits_end(s, i + 1),
            _ => return false,
        }
        let int_digits = &s[digits_at..i];
        let mut frac: Option<&[u8]> = None;
        if s.get(i) == Some(&b'.') {
            let from = i + 1;
            i = digits_end(s, from);
            if i == from {
                return false;
            }
            frac = Some(&s[from..i]);
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = s.get(i) {
            let sign = usize::from(matches!(s.get(i + 1), Some(b'+' | b'-')));
            let from = i + 1 + sign;
            i = digits_end(s, from);
            if i == from {
                return false;
            }
            exponent = true;
        }
        self.i = i;
        match frac {
            None if !exponent => integer_fits(negative, int_digits),
            Some(frac) if !exponent && short_decimal_as_written(int_digits, frac) => true,
            _ => self.double_prints_as(start, i),
        }
    }

    /// Whether the double literal `s[start..end]` (grammatical) prints as written: the parser's double, printed
    /// by the writer. The writer never prints `E` or `+`, which settles those without parsing.
    fn double_prints_as(&mut self, start: usize, end: usize) -> bool {
        let lit = &self.s[start..end];
        if lit.iter().any(|&b| b == b'E' || b == b'+') {
            return false;
        }
        let Ok(f) = std::str::from_utf8(lit).map(parse) else { return false };
        let Ok(Json::Float(f)) = f else { return false };
        self.scratch.clear();
        write_f64(f, &mut self.scratch);
        self.scratch == lit
    }
}

/// Past the digits from `i`.
fn digits_end(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// Whether `int.frac` (a double literal without exponent) surely prints as written, decided without parsing it:
/// when it has at most 15 digits, the parser's double is the nearest to it (the digits as an exact `u64` divided
/// by an exact power of ten, one rounding), 15 digits tell doubles apart, so they are that double's shortest
/// digits, which the writer prints in this layout if the fraction has no trailing zero (but `.0`) and, below
/// 1, at most four zeros before the first digit (`0.00001`; `1e-6` otherwise). False leaves it to parsing.
fn short_decimal_as_written(int: &[u8], frac: &[u8]) -> bool {
    if int.len() + frac.len() > 15 {
        return false;
    }
    match frac {
        [b'0'] => true,
        [.., b'0'] => false,
        _ => int != b"0" || frac.iter().take_while(|&&d| d == b'0').count() <= 4,
    }
}

/// Whether an integer literal without fraction or exponent (`digits` without a leading zero, after a `-` when
/// `negative`) is an integer node, printed as written: up to [`u64::MAX`], or down to [`i64::MIN`] but `-0`
/// (which is the double `-0.0`). Past those the parser makes a double, which prints with a `.` or an `e`.
fn integer_fits(negative: bool, digits: &[u8]) -> bool {
    // Same-length decimal strings compare as their numbers.
    let limit: &[u8] = if negative { b"9223372036854775808" } else { b"18446744073709551615" };
    if negative && digits == b"0" {
        return false;
    }
    digits.len() < limit.len() || (digits.len() == limit.len() && digits <= limit)
}

/// How many bytes at the start of `b` are plain string contents (none of `"`, `\`, a control character), eight
/// at a time, and whether any byte looked at (some past the plain ones too) is not ASCII.
fn plain_run(b: &[u8]) -> (usize, bool) {
    let mut high = 0;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        high |= w;
        // Bytes below 0x20 (not those from 0x80, which are plain), quotes, backslashes.
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let stop = control | quote_or_backslash(w);
        if stop != 0 {
            return (i + (stop.trailing_zeros() / 8) as usize, high & HIGH != 0);
        }
        i += 8;
    }
    for (j, &c) in b.iter().enumerate().skip(i) {
        if matches!(c, b'"' | b'\\' | 0..=0x1f) {
            return (j, high & HIGH != 0);
        }
        high |= u64::from(c);
    }
    (b.len(), high & HIGH != 0)
}

/// The position past the escape at `s[i]` (a backslash) when the writer prints that escape so: `\"`, `\\`, the
/// five short ones, or `\u00xx` in lowercase hex for a control character without a short one.
fn canonical_escape(s: &[u8], i: usize) -> Option<usize> {
    match *s.get(i + 1)? {
        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => Some(i + 2),
        b'u' => {
            let hex = s.get(i + 2..i + 6)?;
            let low = match hex[3] {
                d @ b'0'..=b'9' => d - b'0',
                d @ b'a'..=b'f' => d - b'a' + 10,
                _ => return None,
            };
            let c = match hex[..3] {
                [b'0', b'0', b'0'] => low,
                [b'0', b'0', b'1'] => 0x10 | low,
                _ => return None,
            };
            (!matches!(c, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d)).then_some(i + 6)
        }
        _ => None,
    }
}

/// The byte range of the value `steps` lead to in `text`, a canonical text ([`is_canonical`]); the whole text
/// for no steps. `None` when a step finds nothing there (no such key, an index past the end, not an object or an
/// array), and when a key of an object searched holds an escape (the tree answers then). Keys are unique in a
/// canonical text, so the first match is the one. Never panics, whatever the text. The steps are a slice or any
/// iterator of them (JSON.GET reads them from its path argument as it goes, with no list to allocate).
pub fn locate<'k, S: Borrow<Step<'k>>>(text: &[u8], steps: impl IntoIterator<Item = S>) -> Option<Range<usize>> {
    let mut at = 0..text.len();
    for step in steps {
        at = match *step.borrow() {
            Step::Key(k) => member(text, at.start, k.as_bytes())?,
            Step::Index(n) => element(text, at.start, n)?,
        };
    }
    Some(at)
}

/// The value of the member `key` of the object at `text[at]`.
fn member(text: &[u8], at: usize, key: &[u8]) -> Option<Range<usize>> {
    if text.get(at) != Some(&b'{') || text.get(at + 1) == Some(&b'}') {
        return None;
    }
    let mut i = at + 1;
    loop {
        if text.get(i) != Some(&b'"') {
            return None;
        }
        let close = i + 1 + memchr::memchr2(b'"', b'\\', text.get(i + 1..)?)?;
        if text[close] == b'\\' {
            return None;
        }
        let found = &text[i + 1..close] == key;
        let from = close + 2;
        let end = skip_value(text, from)?;
        if found {
            return Some(from..end);
        }
        if text.get(end) != Some(&b',') {
            return None;
        }
        i = end + 1;
    }
}

/// Element `n` of the array at `text[at]`.
fn element(text: &[u8], at: usize, n: usize) -> Option<Range<usize>> {
    if text.get(at) != Some(&b'[') || text.get(at + 1) == Some(&b']') {
        return None;
    }
    let mut i = at + 1;
    for _ in 0..n {
        i = skip_value(text, i)?;
        if text.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
    Some(i..skip_value(text, i)?)
}

/// Past the value at `text[i]` (canonical: no whitespace).
fn skip_value(text: &[u8], i: usize) -> Option<usize> {
    match *text.get(i)? {
        b'"' => skip_string(text, i),
        b'{' | b'[' => skip_container(text, i),
        _ => Some(memchr::memchr3(b',', b']', b'}', &text[i..]).map_or(text.len(), |n| i + n)),
    }
}

/// Past the array or object at `text[i]`: its brackets and braces counted, its strings skipped whole.
fn skip_container(text: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    loop {
        match *text.get(j)? {
            b'"' => {
                j = skip_string(text, j)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
}

/// Past the string whose opening quote is `text[i]`.
fn skip_string(text: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let rest = text.get(j..)?;
        // A short string ends in its first eight bytes: no call into `memchr` for it.
        j += match rest.get(..8) {
            Some(head) => find_word(head, quote_or_backslash)
                .or_else(|| memchr::memchr2(b'"', b'\\', &rest[8..]).map(|n| n + 8))?,
            None => memchr::memchr2(b'"', b'\\', rest)?,
        };
        if text[j] == b'"' {
            return Some(j + 1);
        }
        j += 2;
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Flags (top bit of the byte) the zero bytes of `x`; the lowest flag is exact (a false one only follows a true
/// one, through the borrow).
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// Flags the quotes and backslashes of a word.
fn quote_or_backslash(w: u64) -> u64 {
    zero_bytes(w ^ (ONES * b'"' as u64)) | zero_bytes(w ^ (ONES * b'\\' as u64))
}

/// The first byte of `b` that `flags` flags, eight at a time.
fn find_word(b: &[u8], flags: impl Fn(u64) -> u64) -> Option<usize> {
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let f = flags(u64::from_le_bytes(w));
        if f != 0 {
            return Some(i + (f.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let left = b.len() - i;
    if left == 0 {
        return None;
    }
    let mut w = [0u8; 8];
    w[..left].copy_from_slice(&b[i..]);
    // Only the bytes of `b` (the zeros after them may be flagged).
    let f = flags(u64::from_le_bytes(w)) & (HIGH >> (8 * (8 - left)));
    (f != 0).then(|| i + (f.trailing_zeros() / 8) as usize)
}

#[cfg(test)]
mod tests {
    use super::super::{write::write_str, Object};
    use super::*;
    use proptest::prelude::*;

    /// The definition: `parse` accepts the text and the writer prints its tree back as the same bytes.
    fn reference(text: &[u8]) -> bool {
        let Ok(s) = std::str::from_utf8(text) else { return false };
        parse(s).is_ok_and(|v| v.to_text() == text)
    }

    /// Cases checked both ways; each also against [`reference`], so the table cannot be wrong.
    fn check(cases: &[(&str, bool)]) {
        for &(text, want) in cases {
            assert_eq!(is_canonical(text.as_bytes()), want, "{text:?}");
            assert_eq!(reference(text.as_bytes()), want, "reference for {text:?}");
        }
    }

    #[test]
    fn grammar_and_strings_both_ways() {
        check(&[
            // Whitespace, trailing bytes, grammar.
            ("{\"a\":1}", true),
            ("{\"a\": 1}", false),
            (" 1", false),
            ("1 ", false),
            ("[1,2]", true),
            ("[1, 2]", false),
            ("[1,2]x", false),
            ("1 x", false),
            ("[1,]", false),
            ("[,1]", false),
            ("{\"a\":1,}", false),
            ("{,}", false),
            ("{1:1}", false),
            ("{\"a\"1}", false),
            ("[", false),
            ("", false),
            ("[]", true),
            ("{}", true),
            ("[[],{}]", true),
            ("[[[]]", false),
            ("{\"a\":[}", false),
            // Literals.
            ("true", true),
            ("false", true),
            ("null", true),
            ("nul", false),
            ("True", false),
            ("[truex]", false),
            ("nulll", false),
            // Strings and escapes.
            ("\"\"", true),
            ("\"abc\"", true),
            ("\"a\\\"b\\\\c\"", true),
            ("\"\\b\\f\\n\\r\\t\"", true),
            ("\"\\u0000\\u0001\\u001f\\u000b\\u000e\\u007f\"", false),
            ("\"\\u0000\\u0001\\u001f\\u000b\\u000e\"", true),
            ("\"\\u001F\"", false),
            ("\"\\u000B\"", false),
            ("\"\\u0008\"", false),
            ("\"\\u0009\"", false),
            ("\"\\u000a\"", false),
            ("\"\\u000c\"", false),
            ("\"\\u000d\"", false),
            ("\"\\u0020\"", false),
            ("\"\\u0041\"", false),
            ("\"\\u00e9\"", false),
            ("\"\\ud83d\\ude00\"", false),
            ("\"\\/\"", false),
            ("\"\\x\"", false),
            ("\"\\u00\"", false),
            ("\"\u{7f}\"", true),
            ("\"é😀\"", true),
            ("\"a\nb\"", false),
            ("\"a\tb\"", false),
            ("\"abc", false),
            ("\"abc\\\"", false),
        ]);
    }

    #[test]
    fn numbers_both_ways() {
        check(&[
            // Numbers: integers.
            ("0", true),
            ("-0", false),
            ("01", false),
            ("-01", false),
            ("-", false),
            ("12345", true),
            ("-12345", true),
            ("9223372036854775807", true),
            ("9223372036854775808", true),
            ("18446744073709551615", true),
            ("18446744073709551616", false),
            ("99999999999999999999", false),
            ("123456789012345678901", false),
            ("-9223372036854775808", true),
            ("-9223372036854775809", false),
            ("-10000000000000000000", false),
            ("-18446744073709551615", false),
            // Numbers: doubles.
            ("1.0", true),
            ("1.5", true),
            ("1.50", false),
            ("1.", false),
            (".5", false),
            ("0.5", true),
            ("-0.0", true),
            ("-0.5", true),
            ("1e16", true),
            ("1E16", false),
            ("1e+16", false),
            ("1e016", false),
            ("1.0e16", false),
            ("10000000000000000.0", false),
            ("1500000000000000.0", true),
            ("1.5e15", false),
            ("1e5", false),
            ("100000.0", true),
            ("1e-7", true),
            ("0.0000001", false),
            ("0.00001", true),
            ("1e-5", false),
            ("0.1", true),
            ("0.10", false),
            ("2.5e300", true),
            ("1e400", false),
            ("1e-400", false),
            ("5e-324", true),
            ("1.7976931348623157e308", true),
            // serde_json's arithmetic reads this one as 123456789.1234568, which prints so.
            ("123456789.12345679", false),
            ("123456789.1234568", true),
            ("123456789.123456789", false),
            ("0e0", false),
            ("1e", false),
            ("1e-", false),
            ("1.e5", false),
        ]);
    }

    #[test]
    fn utf8_and_control_bytes_both_ways() {
        for bad in [&b"\"\xff\""[..], b"\"\xc3\"", b"\"a\xc3(\"", b"\"\xed\xa0\x80\"", b"\"\xf4\x90\x80\x80\""] {
            assert!(!is_canonical(bad), "{bad:?}");
            assert!(!reference(bad));
        }
        // Past the eight-byte chunks and inside them.
        let long = "\"0123456789abcdefé0123456789abcdef\\n012345\"";
        assert!(is_canonical(long.as_bytes()) && reference(long.as_bytes()));
        for c in 0u8..0x20 {
            let raw = [b'"', b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b'i', c, b'"'];
            assert!(!is_canonical(&raw) && !reference(&raw), "{c}");
            let mut escaped = Vec::new();
            write_str(&raw[1..11], &mut escaped);
            assert!(is_canonical(&escaped) && reference(&escaped), "{c}");
        }
        assert!(!is_canonical(b"\"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\""));
    }

    #[test]
    fn duplicate_keys_and_member_limit() {
        assert!(!is_canonical(b"{\"a\":1,\"a\":2}"));
        assert!(!is_canonical(b"{\"a\":1,\"b\":{\"a\":1,\"a\":1}}"));
        assert!(!is_canonical(b"{\"a\\n\":1,\"a\\n\":2}"));
        // The same key in nested and sibling objects is no duplicate.
        let nested = b"{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}";
        assert!(is_canonical(nested) && reference(nested));
        let members = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
            format!("{{{}}}", body.join(","))
        };
        assert!(is_canonical(members(INDEX_FROM).as_bytes()));
        // Canonical, but past the limit the scanner declines.
        let big = members(INDEX_FROM + 1);
        assert!(reference(big.as_bytes()) && !is_canonical(big.as_bytes()));
        let dup_last = format!("{{{},\"k0\":1}}", &members(INDEX_FROM - 1)[1..members(INDEX_FROM - 1).len() - 1]);
        assert!(!is_canonical(dup_last.as_bytes()) && !reference(dup_last.as_bytes()));
    }

    /// Objects inside objects, `width` members each, the inner one in the middle of its parent: more keys open at
    /// once than [`Keys`] holds in place; `dup` repeats a key at the deepest level or, after the inner object
    /// closed, in the outermost.
    fn wide_nest(levels: usize, width: usize, dup: Option<bool>) -> String {
        let mut t = String::new();
        for level in 0..levels {
            let keys: Vec<String> = (0..width / 2).map(|i| format!("\"k{i}\":{level}")).collect();
            t = if level == 0 { "1".to_string() } else { format!("{{{},\"inner\":{t}", keys.join(",")) };
            let rest: Vec<String> = (width / 2..width - 1).map(|i| format!("\"k{i}\":{level}")).collect();
            let extra = match dup {
                Some(true) if level == 1 => ",\"k0\":0",
                Some(false) if level == levels - 1 => ",\"k1\":0",
                _ => "",
            };
            if level > 0 {
                t = format!("{t},{}{extra}}}", rest.join(","));
            }
        }
        t
    }

    #[test]
    fn many_open_keys() {
        for levels in [2, 4, 6] {
            let ok = wide_nest(levels, 30, None);
            assert!(is_canonical(ok.as_bytes()) && reference(ok.as_bytes()), "{ok}");
            for deep in [true, false] {
                let dup = wide_nest(levels, 30, Some(deep));
                assert!(!is_canonical(dup.as_bytes()) && !reference(dup.as_bytes()), "{dup}");
            }
        }
    }

    #[test]
    fn nesting_limit_is_the_parsers() {
        for (depth, want) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false)] {
            for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
                let text = format!("{}{}", open.repeat(depth), close.repeat(depth)).replace("{\"a\":}", "{}");
                assert_eq!(is_canonical(text.as_bytes()), want, "{depth} {open}");
                assert_eq!(reference(text.as_bytes()), want, "reference {depth} {open}");
            }
        }
    }

    #[test]
    fn locate_cases() {
        let t = br#"{"a":1,"b":[10,"x,]}",{"c":[]},[1,[2]]],"d\n":2,"e":{"f":"\"}"}}"#;
        assert!(is_canonical(t));
        let at = |steps: &[Step]| locate(t, steps).map(|r| String::from_utf8_lossy(&t[r]).into_owned());
        assert_eq!(at(&[]).as_deref(), std::str::from_utf8(t).ok());
        assert_eq!(at(&[Step::Key("a")]).as_deref(), Some("1"));
        assert_eq!(at(&[Step::Key("b"), Step::Index(1)]).as_deref(), Some("\"x,]}\""));
        assert_eq!(at(&[Step::Key("b"), Step::Index(2)]).as_deref(), Some("{\"c\":[]}"));
        assert_eq!(at(&[Step::Key("b"), Step::Index(3), Step::Index(1), Step::Index(0)]).as_deref(), Some("2"));
        assert_eq!(at(&[Step::Key("b"), Step::Index(4)]), None);
        assert_eq!(at(&[Step::Key("b"), Step::Index(2), Step::Key("c"), Step::Index(0)]), None);
        assert_eq!(at(&[Step::Key("a"), Step::Key("a")]), None);
        assert_eq!(at(&[Step::Key("a"), Step::Index(0)]), None);
        assert_eq!(at(&[Step::Index(0)]), None);
        assert_eq!(at(&[Step::Key("z")]), None);
        // A key with an escape, searched past: the tree answers.
        assert_eq!(at(&[Step::Key("e")]), None);
        assert_eq!(at(&[Step::Key("d\n")]), None);
        let e = br#"{"e":{"f":"\"}"},"g":"\\"}"#;
        let in_e = |steps: &[Step]| locate(e, steps).map(|r| &e[r]);
        assert_eq!(in_e(&[Step::Key("e"), Step::Key("f")]), Some(&br#""\"}""#[..]));
        assert_eq!(in_e(&[Step::Key("g")]), Some(&br#""\\""#[..]));
        // Never a panic on text that is not canonical.
        for bad in [&b""[..], b"{", b"[", b"{\"", b"{\"a", b"{\"a\\", b"[\"\\", b"[[", b"{\"a\":", b"[1"] {
            for steps in [&[Step::Key("a")][..], &[Step::Index(0)], &[Step::Index(3)]] {
                let _ = locate(bad, steps);
            }
        }
    }

    #[test]
    fn word_scans_find_the_first_flagged_byte() {
        for len in 0..20 {
            for at in 0..=len {
                for byte in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    if at < len {
                        b[at] = byte;
                    }
                    let hit = at < len;
                    let want = |set: &[u8]| (hit && set.contains(&byte)).then_some(at);
                    assert_eq!(find_word(&b, quote_or_backslash), want(b"\"\\"), "{len} {at} {byte}");
                    let plain = plain_run(&b).0;
                    let special = hit && (byte == b'"' || byte == b'\\' || byte < 0x20);
                    assert_eq!(plain, if special { at } else { len }, "{len} {at} {byte}");
                }
            }
        }
    }

    /// A double of every kind the writer has a layout for.
    fn double() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            Just(1.0),
            Just(-1.0),
            Just(1e16),
            Just(1e15),
            Just(5e-324),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(-0.0),
            (-1_000_000i64..1_000_000).prop_map(|n| n as f64 / 100.0),
            (-100i32..100).prop_map(|e| 10f64.powi(e)),
            (-300i32..300, 1u32..1000).prop_map(|(e, m)| m as f64 * 10f64.powi(e)),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        let ch = prop_oneof![
            4 => prop::char::range('a', 'e'),
            1 => any::<char>(),
            1 => (0u8..0x20).prop_map(char::from),
            1 => prop_oneof![Just('"'), Just('\\'), Just('/'), Just('\u{7f}'), Just('é'), Just('😀')],
        ];
        prop::collection::vec(ch, 0..12).prop_map(String::from_iter)
    }

    fn tree() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::Int),
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)].prop_map(Json::Int),
            (i64::MAX as u64 + 1..=u64::MAX).prop_map(Json::UInt),
            Just(Json::UInt(u64::MAX)),
            double().prop_map(Json::Float),
            text().prop_map(Json::string),
        ];
        leaf.prop_recursive(5, 96, 10, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..10).prop_map(|v| Json::array(v.into_iter().collect())),
                prop::collection::vec((text(), inner), 0..10).prop_map(|m| {
                    let mut o = Object::new();
                    for (k, v) in m {
                        o.insert(&k, v);
                    }
                    Json::Object(o)
                }),
            ]
        })
    }

    fn has_double(v: &Json) -> bool {
        match v {
            Json::Float(_) => true,
            Json::Array(a) => a.iter().any(has_double),
            Json::Object(o) => o.iter().any(|(_, x)| has_double(x)),
            _ => false,
        }
    }

    /// A path to an existing value (one choice a level), with the compact text of that value, and whether
    /// [`locate`] must decline it (a key with an escape among the members it passes or matches).
    fn walk<'a>(mut v: &'a Json, choices: &[usize]) -> (Vec<Step<'a>>, Vec<u8>, bool) {
        let mut steps = Vec::new();
        let mut declines = false;
        for &c in choices {
            match v {
                Json::Array(a) if !a.is_empty() => {
                    steps.push(Step::Index(c % a.len()));
                    v = &a[c % a.len()];
                }
                Json::Object(o) if !o.is_empty() => {
                    let n = c % o.len();
                    let (k, x) = o.iter().nth(n).expect("member n");
                    declines |= o.keys().take(n + 1).any(|k| k.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
                    steps.push(Step::Key(k));
                    v = x;
                }
                _ => break,
            }
        }
        (steps, v.to_text(), declines)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn written_trees_are_canonical(v in tree(), choices in prop::collection::vec(any::<usize>(), 0..6)) {
            let t = v.to_text();
            let canonical = is_canonical(&t);
            prop_assert_eq!(canonical, reference(&t));
            // Only a double may read back as another (serde_json's arithmetic is not exact).
            prop_assert!(canonical || has_double(&v));
            if canonical {
                let (steps, want, declines) = walk(&v, &choices);
                let got = locate(&t, &steps).map(|r| t[r].to_vec());
                prop_assert_eq!(got, (!declines).then_some(want));
            }
            let mut missing = walk(&v, &choices).0;
            missing.push(Step::Key("no such key \u{1}"));
            prop_assert_eq!(locate(&t, &missing), None);
        }

        #[test]
        fn mutated_texts_are_canonical_only_when_they_read_back(
            v in tree(),
            at in any::<usize>(),
            how in 0..8usize,
            byte in prop::sample::select(&b" 0.eE+-\\\"u/,:{}[]\x01\xc3\x80\xffan"[..]),
        ) {
            let t = mutate(v.to_text(), at, how, byte);
            prop_assert_eq!(is_canonical(&t), reference(&t), "{:?}", String::from_utf8_lossy(&t));
        }

        #[test]
        fn duplicated_keys_are_refused(k in text(), a in tree(), b in tree()) {
            let mut t = b"{".to_vec();
            write_str(k.as_bytes(), &mut t);
            t.push(b':');
            t.extend_from_slice(&a.to_text());
            t.push(b',');
            write_str(k.as_bytes(), &mut t);
            t.push(b':');
            t.extend_from_slice(&b.to_text());
            t.push(b'}');
            prop_assert!(!is_canonical(&t));
            prop_assert!(!reference(&t));
        }

        #[test]
        fn decimals_both_ways(
            negative in any::<bool>(),
            int in prop_oneof![Just(0u64), 1u64..10, 1u64..1_000_000, 1u64..u64::MAX],
            zeros in 0..7usize,
            frac in prop_oneof![Just(0u64), 1u64..100, 1u64..1_000_000_000, 1u64..u64::MAX],
            trailing in 0..2usize,
        ) {
            let sign = if negative { "-" } else { "" };
            let t = format!("{sign}{int}.{}{frac}{}", "0".repeat(zeros), "0".repeat(trailing));
            prop_assert_eq!(is_canonical(t.as_bytes()), reference(t.as_bytes()), "{}", t);
        }

        #[test]
        fn random_bytes(t in prop::collection::vec(any::<u8>(), 0..24)) {
            prop_assert_eq!(is_canonical(&t), reference(&t));
            let _ = locate(&t, [Step::Index(0), Step::Key("a")]);
        }
    }

    /// `t` changed at `at`: `byte` inserted or put in place, a byte or the tail removed, a character spelled as
    /// an escape, a number spelled otherwise.
    fn mutate(mut t: Vec<u8>, at: usize, how: usize, byte: u8) -> Vec<u8> {
        let p = at % (t.len() + 1);
        match how {
            0 => t.insert(p, byte),
            1 if p < t.len() => t[p] = byte,
            2 if p < t.len() => {
                t.remove(p);
            }
            3 => t.truncate(p),
            4 if p < t.len() => {
                let esc = [format!("\\u{:04x}", t[p]), format!("\\u{:04X}", t[p]), "\\/".to_string()];
                let esc = esc[at % 3].clone().into_bytes();
                t.splice(p..p + 1, esc);
            }
            5..=7 => {
                // The number at or after `p`, respelled.
                let Some(s) = (p..t.len()).find(|&i| t[i].is_ascii_digit()) else { return t };
                let e = (s..t.len()).find(|&i| !matches!(t[i], b'0'..=b'9' | b'.' | b'e' | b'-')).unwrap_or(t.len());
                let spelled: &[u8] = [&b".0"[..], b"0", b"e0", b"E0", b"e+0", b"e-0", b"00"][(at / 7) % 7];
                match how {
                    5 => t.splice(e..e, spelled.iter().copied()),
                    6 => t.splice(s..s, b"0".iter().copied()),
                    _ => t.splice(s..s, b"-".iter().copied()),
                };
            }
            _ => {}
        }
        t
    }

    /// The 857-byte document of `benches/json.sh`.
    const BENCH_DOC: &str = r#"{"name":"ferredis","n":1,"price":12.75,"active":true,"tags":["a","b","c"],"owner":{"id":12345,"email":"someone@example.com","roles":["admin","dev"],"score":0.5},"items":[{"sku":"sku-0","qty":0,"price":0.0,"note":"item number 0"},{"sku":"sku-1","qty":1,"price":1.25,"note":"item number 1"},{"sku":"sku-2","qty":2,"price":2.5,"note":"item number 2"},{"sku":"sku-3","qty":3,"price":3.75,"note":"item number 3"},{"sku":"sku-4","qty":4,"price":5.0,"note":"item number 4"},{"sku":"sku-5","qty":5,"price":6.25,"note":"item number 5"},{"sku":"sku-6","qty":6,"price":7.5,"note":"item number 6"},{"sku":"sku-7","qty":7,"price":8.75,"note":"item number 7"}],"text":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#;

    /// Time per call of `is_canonical`, `parse` and `locate` over the document of `benches/json.sh` (run with
    /// `--release --ignored --nocapture`).
    #[test]
    #[ignore]
    fn timing() {
        let doc = BENCH_DOC.as_bytes();
        assert_eq!(doc.len(), 857);
        assert!(is_canonical(doc) && reference(doc));
        let n = 200_000;
        let time = |what: &str, f: &dyn Fn() -> bool| {
            let start = std::time::Instant::now();
            let mut ok = 0;
            for _ in 0..n {
                ok += usize::from(std::hint::black_box(f()));
            }
            let ns = start.elapsed().as_nanos() as f64 / n as f64;
            println!("{what}: {ns:.0} ns per call");
            ok
        };
        // The document; the same with integers for its doubles; the same with long doubles (17 digits), which
        // take the parser's number code and the writer's.
        let ints = BENCH_DOC.replace("12.75", "12").replace("0.5", "5").replace(".25", "").replace(".5", "");
        let ints = ints.replace(".75", "").replace(".0", "");
        let long = BENCH_DOC.replace("12.75", "0.30000000000000004").replace("1.25,", "1.2100000000000002,");
        for (what, d) in [("the document", BENCH_DOC), ("integers for doubles", &ints), ("long doubles", &long)] {
            assert!(is_canonical(d.as_bytes()) && reference(d.as_bytes()), "{what}");
            assert_eq!(time(&format!("is_canonical, {what}"), &|| is_canonical(std::hint::black_box(d.as_bytes()))), n);
            assert_eq!(time(&format!("parse, {what}"), &|| parse(std::hint::black_box(d)).is_ok()), n);
        }
        let steps = [Step::Key("items"), Step::Index(7), Step::Key("note")];
        assert_eq!(time("locate $.items[7].note", &|| locate(std::hint::black_box(doc), steps).is_some()), n);
        assert_eq!(time("locate $.text", &|| locate(std::hint::black_box(doc), [Step::Key("text")]).is_some()), n);
    }
}
