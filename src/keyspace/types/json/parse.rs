//! JSON text to [`Json`], with the grammar, the limits and the error texts of serde_json 1.0.118, the parser
//! RedisJSON 2.8 replies through (`RedisJSON`'s `from_str`: a `serde_json::Deserializer` over the argument).
//!
//! RedisJSON's quirks are kept: the first value is parsed and whatever follows it is ignored (`1 x` sets `1`);
//! a duplicated key keeps the last value at the first one's place; nesting is limited to 127 arrays or objects
//! ("recursion limit exceeded", serde_json's 128 levels counting the one that fails), except for documents loaded
//! from a file; numbers become doubles with serde_json's own arithmetic (the significand as `u64` times or divided
//! by a power of ten), so `0.1e1` is `1.0` and `1e400` is "number out of range".
//!
//! Errors are `"<what> at line L column C"`, the column counting bytes from the line's start to the parser's
//! position, as serde_json reports them. The parser never panics, and allocates at most in proportion to its
//! input (every node consumes at least one byte). It recurses once per level of nesting; the limit bounds the
//! depth for commands, and [`parse_unlimited`] (a file's documents) bounds it by [`MAX_NESTING`](super::MAX_NESTING).

use super::index::KeyIndex;
use super::{small, Json, Object, SmallStr};

/// serde_json's default recursion budget: the 128th nested array or object fails.
const DEPTH_LIMIT: u32 = 128;

/// The parser's budget for a file's documents: [`MAX_NESTING`](super::MAX_NESTING) levels pass, one more fails.
const FILE_DEPTH_LIMIT: u32 = super::MAX_NESTING as u32 + 1;

/// A refused text: serde_json's message with its position (the reply RedisJSON sends, without the `-`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

/// Parses a JSON argument of a command (nesting limited as RedisJSON's commands limit it).
pub fn parse(text: &str) -> Result<Json, ParseError> {
    Parser::new(text, DEPTH_LIMIT).value()
}

/// Parses a whole text as serde_json's `from_str` does: one value, then nothing but whitespace ("trailing
/// characters" otherwise). RedisJSON reads a number argument and JSON.ARRINDEX's value this way.
pub fn parse_whole(text: &str) -> Result<Json, ParseError> {
    let mut p = Parser::new(text, DEPTH_LIMIT);
    let v = p.value()?;
    match p.whitespace() {
        Some(_) => Err(p.peek_error(Code::TrailingCharacters)),
        None => Ok(v),
    }
}

/// Parses a document read from a file (RedisJSON lifts the nesting limit there; ours is the documents' own,
/// [`MAX_NESTING`](super::MAX_NESTING)).
pub fn parse_unlimited(text: &str) -> Result<Json, ParseError> {
    Parser::new(text, FILE_DEPTH_LIMIT).value()
}

#[derive(Clone, Copy)]
enum Code {
    EofValue,
    EofList,
    EofObject,
    EofString,
    ExpectedColon,
    ExpectedListCommaOrEnd,
    ExpectedObjectCommaOrEnd,
    ExpectedIdent,
    ExpectedValue,
    InvalidEscape,
    InvalidNumber,
    OutOfRange,
    ControlChar,
    KeyMustBeString,
    LoneSurrogate,
    TrailingComma,
    TrailingCharacters,
    EndOfHexEscape,
    Recursion,
}

impl Code {
    fn text(self) -> &'static str {
        match self {
            Code::EofValue => "EOF while parsing a value",
            Code::EofList => "EOF while parsing a list",
            Code::EofObject => "EOF while parsing an object",
            Code::EofString => "EOF while parsing a string",
            Code::ExpectedColon => "expected `:`",
            Code::ExpectedListCommaOrEnd => "expected `,` or `]`",
            Code::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            Code::ExpectedIdent => "expected ident",
            Code::ExpectedValue => "expected value",
            Code::InvalidEscape => "invalid escape",
            Code::InvalidNumber => "invalid number",
            Code::OutOfRange => "number out of range",
            Code::ControlChar => "control character (\\u0000-\\u001F) found while parsing a string",
            Code::KeyMustBeString => "key must be a string",
            Code::LoneSurrogate => "lone leading surrogate in hex escape",
            Code::TrailingComma => "trailing comma",
            Code::TrailingCharacters => "trailing characters",
            Code::EndOfHexEscape => "unexpected end of hex escape",
            Code::Recursion => "recursion limit exceeded",
        }
    }
}

type R<T> = Result<T, ParseError>;

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    i: usize,
    depth: u32,
    /// The elements of the arrays being parsed, innermost last: an array takes its own off the top when it
    /// closes, into a vector of exactly their number (no growth, no spare capacity in the document).
    items: Vec<Json>,
    /// The same for objects' members.
    members: Vec<(SmallStr, Json)>,
}

/// Members an object is scanned for a key seen before; past them a hash index of its keys answers instead, so that
/// an object of many members parses in linear time (a scan of each new key through all before it would make a
/// 100,000-member object cost seconds). The index's own threshold, so the object keeps the one built here.
pub(super) const SCAN_MEMBERS: usize = super::index::INDEX_FROM;

/// The duplicate-key rule of an object being read (the last value at the first key's place), for the JSON parser
/// and the BSON reader ([`super::bson`]): the members are `members[start..]`; a scan while they are few, an index
/// of their keys ([`KeyIndex`], the one the object keeps) from [`SCAN_MEMBERS`] on.
#[derive(Default)]
pub(super) struct Members {
    index: Option<KeyIndex>,
}

impl Members {
    /// Adds `(key, v)` to `members[start..]`, or gives the member already there under `key` the value `v`.
    pub(super) fn add<K: std::ops::Deref<Target = str>, V>(
        &mut self,
        members: &mut Vec<(K, V)>,
        start: usize,
        key: K,
        v: V,
    ) {
        let ours = &members[start..];
        let found = match &self.index {
            Some(index) => index.find(ours, key.as_bytes()),
            None => ours.iter().position(|(k, _)| **k == *key),
        };
        if let Some(i) = found {
            members[start + i].1 = v;
            return;
        }
        members.push((key, v));
        let ours = &members[start..];
        match &mut self.index {
            Some(index) => index.appended(ours),
            None if ours.len() > SCAN_MEMBERS => self.index = Some(KeyIndex::build(ours)),
            None => {}
        }
    }

    /// The index of the members' keys, when they are many enough to have one.
    pub(super) fn into_index(self) -> Option<KeyIndex> {
        self.index
    }
}

/// Powers of ten that a double holds exactly.
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// `10^e` for `e` in `0..=308`, the correctly rounded constants of serde_json's table.
fn pow10(e: usize) -> Option<f64> {
    match e {
        0..=22 => Some(EXACT_POW10[e]),
        23..=308 => format!("1e{e}").parse::<f64>().ok(),
        _ => None,
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, depth: u32) -> Parser<'a> {
        Parser { text, s: text.as_bytes(), i: 0, depth, items: Vec::new(), members: Vec::new() }
    }

    /// An error at the parser's position (serde_json's `error`).
    fn err_at(&self, i: usize, c: Code) -> ParseError {
        let i = i.min(self.s.len());
        let before = &self.s[..i];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => i - nl - 1,
            None => i,
        };
        ParseError(format!("{} at line {line} column {col}", c.text()))
    }

    fn error(&self, c: Code) -> ParseError {
        self.err_at(self.i, c)
    }

    /// An error one byte past the position (serde_json's `peek_error`).
    fn peek_error(&self, c: Code) -> ParseError {
        self.err_at(self.i + 1, c)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_or_null(&self) -> u8 {
        self.peek().unwrap_or(0)
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    fn whitespace(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\n' | b'\t' | b'\r' => self.i += 1,
                _ => return Some(b),
            }
        }
        None
    }

    fn value(&mut self) -> R<Json> {
        let Some(b) = self.whitespace() else { return Err(self.peek_error(Code::EofValue)) };
        match b {
            b'n' => self.ident(b"null", Json::Null),
            b't' => self.ident(b"true", Json::Bool(true)),
            b'f' => self.ident(b"false", Json::Bool(false)),
            b'-' => {
                self.i += 1;
                self.integer(false)
            }
            b'0'..=b'9' => self.integer(true),
            b'"' => {
                self.i += 1;
                Ok(Json::Str(self.string()?))
            }
            b'[' => {
                self.enter()?;
                self.i += 1;
                let r = self.array();
                self.depth += 1;
                r
            }
            b'{' => {
                self.enter()?;
                self.i += 1;
                let r = self.object();
                self.depth += 1;
                r
            }
            _ => Err(self.peek_error(Code::ExpectedValue)),
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth -= 1;
        if self.depth == 0 {
            self.depth += 1;
            return Err(self.peek_error(Code::Recursion));
        }
        Ok(())
    }

    fn ident(&mut self, word: &[u8], v: Json) -> R<Json> {
        self.i += 1;
        for &want in &word[1..] {
            match self.next() {
                None => return Err(self.error(Code::EofValue)),
                Some(b) if b != want => return Err(self.error(Code::ExpectedIdent)),
                Some(_) => {}
            }
        }
        Ok(v)
    }

    fn array(&mut self) -> R<Json> {
        let start = self.items.len();
        let r = self.array_items();
        if r.is_err() {
            self.items.truncate(start);
        }
        r.map(|()| Json::array(self.items.drain(start..).collect()))
    }

    /// An array's elements onto `items`, through the closing bracket.
    fn array_items(&mut self) -> R<()> {
        let mut first = true;
        loop {
            let Some(b) = self.whitespace() else { return Err(self.peek_error(Code::EofList)) };
            if b == b']' {
                self.i += 1;
                return Ok(());
            }
            if first {
                first = false;
            } else if b == b',' {
                self.i += 1;
                match self.whitespace() {
                    Some(b']') => return Err(self.peek_error(Code::TrailingComma)),
                    Some(_) => {}
                    None => return Err(self.peek_error(Code::EofValue)),
                }
            } else {
                return Err(self.peek_error(Code::ExpectedListCommaOrEnd));
            }
            let v = self.value()?;
            self.items.push(v);
        }
    }

    fn object(&mut self) -> R<Json> {
        let start = self.members.len();
        let r = self.object_members(start);
        if r.is_err() {
            self.members.truncate(start);
        }
        r.map(|index| Json::Object(Object::collect(self.members.drain(start..), index)))
    }

    /// An object's members onto `members` (above `start`), through the closing brace; a key seen before in this
    /// object has its value replaced in place.
    fn object_members(&mut self, start: usize) -> R<Option<KeyIndex>> {
        let mut seen = Members::default();
        let mut first = true;
        loop {
            let peek = match self.whitespace() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(seen.into_index());
                }
                Some(b',') if !first => {
                    self.i += 1;
                    self.whitespace()
                }
                Some(b) => {
                    if !first {
                        return Err(self.peek_error(Code::ExpectedObjectCommaOrEnd));
                    }
                    first = false;
                    Some(b)
                }
                None => return Err(self.peek_error(Code::EofObject)),
            };
            match peek {
                Some(b'"') => {}
                Some(b'}') => return Err(self.peek_error(Code::TrailingComma)),
                Some(_) => return Err(self.peek_error(Code::KeyMustBeString)),
                None => return Err(self.peek_error(Code::EofValue)),
            }
            self.i += 1;
            let key = self.string()?;
            match self.whitespace() {
                Some(b':') => self.i += 1,
                Some(_) => return Err(self.peek_error(Code::ExpectedColon)),
                None => return Err(self.peek_error(Code::EofObject)),
            }
            let v = self.value()?;
            seen.add(&mut self.members, start, key, v);
        }
    }

    /// The rest of a string after its opening quote.
    fn string(&mut self) -> R<SmallStr> {
        let mut start = self.i;
        // Without escapes (the common case) the string is a slice of the input, which is UTF-8 and split at
        // ASCII quotes, so at character boundaries.
        while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\' | 0..=0x1f) {
            self.i += 1;
        }
        if self.peek() == Some(b'"') {
            if let Some(s) = self.text.get(start..self.i) {
                self.i += 1;
                // A short string is copied as a fixed-size window of the input from its first byte (no
                // variable-length copy): its bytes, then whatever follows, which `SmallStr` never reads.
                let window =
                    self.s.get(start..start + small::INLINE).and_then(|w| <[u8; small::INLINE]>::try_from(w).ok());
                return Ok(match window {
                    Some(w) if s.len() <= small::INLINE => SmallStr::Inline(s.len() as u8, w),
                    _ => SmallStr::new(s),
                });
            }
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\' | 0..=0x1f) {
                self.i += 1;
            }
            let Some(b) = self.peek() else { return Err(self.error(Code::EofString)) };
            match b {
                b'"' => {
                    out.extend_from_slice(&self.s[start..self.i]);
                    self.i += 1;
                    // The input is UTF-8 and escapes decode to whole characters (surrogates are paired).
                    return String::from_utf8(out).map(SmallStr::from).map_err(|_| self.error(Code::InvalidEscape));
                }
                b'\\' => {
                    out.extend_from_slice(&self.s[start..self.i]);
                    self.i += 1;
                    self.escape(&mut out)?;
                    start = self.i;
                }
                _ => {
                    self.i += 1;
                    return Err(self.error(Code::ControlChar));
                }
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> R<()> {
        let Some(c) = self.next() else { return Err(self.error(Code::EofString)) };
        let b = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode_escape(out),
            _ => return Err(self.error(Code::InvalidEscape)),
        };
        out.push(b);
        Ok(())
    }

    fn hex4(&mut self) -> R<u16> {
        if self.s.len() - self.i < 4 {
            self.i = self.s.len();
            return Err(self.error(Code::EofString));
        }
        // serde_json 1.0.118's `SliceRead::decode_hex_escape`: the error stands just past the first bad digit.
        let mut n: u16 = 0;
        for _ in 0..4 {
            let c = self.s[self.i];
            self.i += 1;
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(self.error(Code::InvalidEscape)),
            };
            n = (n << 4) | d as u16;
        }
        Ok(n)
    }

    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> R<()> {
        let n = self.hex4()?;
        if (0xDC00..=0xDFFF).contains(&n) {
            return Err(self.error(Code::LoneSurrogate));
        }
        let cp = if (0xD800..=0xDBFF).contains(&n) {
            for want in [b'\\', b'u'] {
                match self.peek() {
                    None => return Err(self.error(Code::EofString)),
                    Some(b) if b == want => self.i += 1,
                    Some(_) => {
                        self.i += 1;
                        return Err(self.error(Code::EndOfHexEscape));
                    }
                }
            }
            let n2 = self.hex4()?;
            if !(0xDC00..=0xDFFF).contains(&n2) {
                return Err(self.error(Code::LoneSurrogate));
            }
            (((n as u32 - 0xD800) << 10) | (n2 as u32 - 0xDC00)) + 0x1_0000
        } else {
            n as u32
        };
        let ch = char::from_u32(cp).ok_or_else(|| self.error(Code::InvalidEscape))?;
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// A number after its optional `-` (serde_json's `parse_integer` and what follows it).
    fn integer(&mut self, positive: bool) -> R<Json> {
        let Some(c) = self.next() else { return Err(self.error(Code::EofValue)) };
        let mut sig: u64 = match c {
            b'0' => {
                if self.peek_or_null().is_ascii_digit() {
                    return Err(self.peek_error(Code::InvalidNumber));
                }
                0
            }
            b'1'..=b'9' => (c - b'0') as u64,
            _ => return Err(self.error(Code::InvalidNumber)),
        };
        if c != b'0' {
            while let d @ b'0'..=b'9' = self.peek_or_null() {
                let digit = (d - b'0') as u64;
                match sig.checked_mul(10).and_then(|v| v.checked_add(digit)) {
                    Some(v) => {
                        self.i += 1;
                        sig = v;
                    }
                    None => return self.long_integer(positive, sig).map(Json::Float),
                }
            }
        }
        match self.peek_or_null() {
            b'.' => self.decimal(positive, sig, 0).map(Json::Float),
            b'e' | b'E' => self.exponent(positive, sig, 0).map(Json::Float),
            _ => Ok(if positive {
                match i64::try_from(sig) {
                    Ok(n) => Json::Int(n),
                    Err(_) => Json::UInt(sig),
                }
            } else {
                let neg = (sig as i64).wrapping_neg();
                if neg >= 0 {
                    // `-0` and integers below i64::MIN are doubles.
                    Json::Float(-(sig as f64))
                } else {
                    Json::Int(neg)
                }
            }),
        }
    }

    fn long_integer(&mut self, positive: bool, sig: u64) -> R<f64> {
        let mut exp: i32 = 0;
        loop {
            match self.peek_or_null() {
                b'0'..=b'9' => {
                    self.i += 1;
                    exp = exp.saturating_add(1);
                }
                b'.' => return self.decimal(positive, sig, exp),
                b'e' | b'E' => return self.exponent(positive, sig, exp),
                _ => return self.f64_from_parts(positive, sig, exp),
            }
        }
    }

    fn decimal(&mut self, positive: bool, mut sig: u64, exp_before: i32) -> R<f64> {
        self.i += 1;
        let mut exp_after: i32 = 0;
        while let d @ b'0'..=b'9' = self.peek_or_null() {
            let digit = (d - b'0') as u64;
            match sig.checked_mul(10).and_then(|v| v.checked_add(digit)) {
                Some(v) => {
                    self.i += 1;
                    sig = v;
                    exp_after -= 1;
                }
                None => {
                    // Further digits cannot change the double: skip them.
                    while self.peek_or_null().is_ascii_digit() {
                        self.i += 1;
                    }
                    let exp = exp_before.saturating_add(exp_after);
                    return match self.peek_or_null() {
                        b'e' | b'E' => self.exponent(positive, sig, exp),
                        _ => self.f64_from_parts(positive, sig, exp),
                    };
                }
            }
        }
        if exp_after == 0 {
            return Err(match self.peek() {
                Some(_) => self.peek_error(Code::InvalidNumber),
                None => self.peek_error(Code::EofValue),
            });
        }
        let exp = exp_before.saturating_add(exp_after);
        match self.peek_or_null() {
            b'e' | b'E' => self.exponent(positive, sig, exp),
            _ => self.f64_from_parts(positive, sig, exp),
        }
    }

    fn exponent(&mut self, positive: bool, sig: u64, start: i32) -> R<f64> {
        self.i += 1;
        let positive_exp = match self.peek_or_null() {
            b'+' => {
                self.i += 1;
                true
            }
            b'-' => {
                self.i += 1;
                false
            }
            _ => true,
        };
        let Some(c) = self.next() else { return Err(self.error(Code::EofValue)) };
        let mut exp: i32 = match c {
            b'0'..=b'9' => (c - b'0') as i32,
            _ => return Err(self.error(Code::InvalidNumber)),
        };
        while let d @ b'0'..=b'9' = self.peek_or_null() {
            self.i += 1;
            let digit = (d - b'0') as i32;
            match exp.checked_mul(10).and_then(|v| v.checked_add(digit)) {
                Some(v) => exp = v,
                None => {
                    if sig != 0 && positive_exp {
                        return Err(self.error(Code::OutOfRange));
                    }
                    while self.peek_or_null().is_ascii_digit() {
                        self.i += 1;
                    }
                    return Ok(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        let e = if positive_exp { start.saturating_add(exp) } else { start.saturating_sub(exp) };
        self.f64_from_parts(positive, sig, e)
    }

    /// serde_json's `f64_from_parts` (without its `float_roundtrip` feature, as RedisJSON builds it).
    fn f64_from_parts(&mut self, positive: bool, sig: u64, mut exp: i32) -> R<f64> {
        let mut f = sig as f64;
        loop {
            match pow10(exp.unsigned_abs() as usize) {
                Some(p) => {
                    if exp >= 0 {
                        f *= p;
                        if f.is_infinite() {
                            return Err(self.error(Code::OutOfRange));
                        }
                    } else {
                        f /= p;
                    }
                    break;
                }
                None => {
                    if f == 0.0 {
                        break;
                    }
                    if exp >= 0 {
                        return Err(self.error(Code::OutOfRange));
                    }
                    f /= 1e308;
                    exp += 308;
                }
            }
        }
        Ok(if positive { f } else { -f })
    }
}
