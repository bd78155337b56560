//! BSON input for `JSON.SET ... FORMAT BSON` and `JSON.MERGE ... FORMAT BSON`, as RedisJSON 2.8.3 reads it.
//!
//! RedisJSON decodes the argument as one BSON document (the `bson` crate 2.11), takes the value of its first
//! element (an empty document is `null`), turns it into relaxed extended JSON, prints that with serde_json and
//! parses the text back as a JSON argument. [`to_json_text`] does the first three steps and returns the text;
//! the caller parses it with [`parse()`](super::parse()), so the depth limit and the numbers come out as for any
//! JSON argument. Relaxed extended JSON, in the key order the crate writes:
//!
//! ```text
//!  double 2.0 -> 2.0 (NaN/inf -> {"$numberDouble":"NaN"})    int32/int64 -> the integer
//!  string, bool, null, document, array -> themselves         (array indexes ignored, duplicate keys: last
//!  binary -> {"$binary":{"base64":"..","subType":"hh"}}       value at the first one's place)
//!  objectid -> {"$oid":"<24 hex>"}                           datetime -> {"$date":"<RFC 3339, ms trimmed>Z"}
//!  regex -> {"$regularExpression":{"pattern":..,"options":<sorted>}}   (before 1970 or after 9999:
//!  code -> {"$code":..}   code w/ scope -> {"$code":..,"$scope":{..}}      {"$date":{"$numberLong":".."}})
//!  symbol -> {"$symbol":..}   timestamp -> {"$timestamp":{"t":..,"i":..}}   undefined -> {"$undefined":true}
//!  decimal128 -> {"$numberDecimal":"<IEEE 754-2008 string>"}   minkey/maxkey -> {"$minKey":1}/{"$maxKey":1}
//!  dbpointer -> {"$dbPointer":{"$ref":..,"$id":{"$oid":..}}}
//! ```
//!
//! Errors are the crate's texts, sent without an error code ("failed to fill whole buffer" when the argument is
//! shorter than the document's length, "unexpected end of file" when an element runs past the document's end,
//! "invalid element type: 32", ...). The argument reaches RedisJSON as a UTF-8 string, so bytes above 0x7F only
//! occur as parts of UTF-8 characters: no negative length is reachable, nor most negative numbers. Not followed:
//! the crate reads an embedded document whose first key is an extended-JSON marker (`$oid`, `$date`, ...) back as
//! that type; here it stays a document. Nesting is bounded (`MAX_DEPTH`, 200 levels): RedisJSON aborts on a BSON
//! value that nests deeper than its JSON parser accepts (it unwraps the failed parse), this decoder refuses it.
//! Tested by the unit tests below (expected texts from RedisJSON 2.8.3) and `tests/types/json_suite.rs`; fuzzed
//! by `fuzz/fuzz_targets/json_bson.rs`.

use super::write::{write_f64, write_str};

/// The deepest documents and arrays nest while decoding: past what RedisJSON's JSON parser accepts (127), so
/// every value RedisJSON takes decodes, and the recursion stays bounded.
const MAX_DEPTH: usize = 200;

/// serde_json's text for a depth past the limit (RedisJSON's reply to a JSON argument nested too deep).
const TOO_DEEP: &str = "recursion limit exceeded";

/// The smallest BSON document: its length and the terminating zero.
const MIN_DOC: i32 = 5;

/// The largest binary value the crate accepts (its `MAX_BSON_SIZE`, 16 MiB).
const MAX_BINARY: i32 = 16 * 1024 * 1024;

const EOF: &str = "unexpected end of file";

/// One decoded element value.
enum Bson {
    Double(f64),
    Str(String),
    /// Members in order, duplicates already folded (the last value at the first key's place).
    Doc(Vec<(String, Bson)>),
    Array(Vec<Bson>),
    Binary(u8, Vec<u8>),
    Undefined,
    ObjectId([u8; 12]),
    Bool(bool),
    DateTime(i64),
    Null,
    Regex(String, String),
    DbPointer(String, [u8; 12]),
    Code(String),
    Symbol(String),
    CodeWithScope(String, Vec<(String, Bson)>),
    Int32(i32),
    Timestamp(u32, u32),
    Int64(i64),
    Decimal128([u8; 16]),
    MinKey,
    MaxKey,
}

/// The JSON text RedisJSON builds from a BSON argument (see the module comment), or the crate's error text.
pub fn to_json_text(arg: &[u8]) -> Result<String, String> {
    if arg.len() < 4 {
        return Err("failed to fill whole buffer".into());
    }
    let len = i32::from_le_bytes([arg[0], arg[1], arg[2], arg[3]]);
    if len < MIN_DOC {
        return Err(format!("invalid length {}, expected document length must be at least 5", len as usize));
    }
    if len as usize > arg.len() {
        return Err("failed to fill whole buffer".into());
    }
    let mut r = Reader { b: &arg[..len as usize], i: 0 };
    let members = r.document(0)?;
    let mut out = Vec::new();
    match members.into_iter().next() {
        None => out.extend_from_slice(b"null"),
        Some((_, v)) => relaxed(&v, &mut out),
    }
    // Every piece written is UTF-8 (validated strings, ASCII otherwise).
    String::from_utf8(out).map_err(|_| "invalid utf-8".to_string())
}

/// A cursor over the document's bytes, with the crate's end-of-input errors.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.b.len() - self.i < n {
            return Err(EOF.into());
        }
        let s = &self.b[self.i..self.i + n];
        self.i += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }

    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// The text between `start` and the cursor, then the zero that must follow it (and something after that).
    fn finish_str(&mut self, start: usize) -> Result<String, String> {
        let s = std::str::from_utf8(&self.b[start..self.i]).map_err(|e| e.to_string())?.to_string();
        if self.b[self.i] != 0 {
            return Err("string was not null-terminated".into());
        }
        self.i += 1;
        if self.i >= self.b.len() {
            return Err(EOF.into());
        }
        Ok(s)
    }

    /// A zero-terminated key or regex part.
    fn cstr(&mut self) -> Result<String, String> {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i] != 0 {
            self.i += 1;
        }
        if self.i >= self.b.len() {
            return Err(EOF.into());
        }
        self.finish_str(start)
    }

    /// A length-prefixed string.
    fn string(&mut self) -> Result<String, String> {
        let len = self.i32()?;
        if len < 1 {
            return Err(format!("invalid length {}, expected UTF-8 string must have at least 1 byte", len as usize));
        }
        let start = self.i;
        self.i = self.i.saturating_add(len as usize - 1);
        if self.i >= self.b.len() {
            return Err(EOF.into());
        }
        self.finish_str(start)
    }

    /// An embedded document (or the top one): its members in order, duplicate keys folded.
    fn document(&mut self, depth: usize) -> Result<Vec<(String, Bson)>, String> {
        let (mut out, mut seen): (Vec<(String, Bson)>, _) = (Vec::new(), super::parse::Members::default());
        self.elements(depth, |k, v| seen.add(&mut out, 0, k, v))?;
        Ok(out)
    }

    fn array_value(&mut self, depth: usize) -> Result<Vec<Bson>, String> {
        let mut out = Vec::new();
        self.elements(depth, |_, v| out.push(v))?;
        Ok(out)
    }

    /// Reads a document's elements, each counted against the document's own length.
    fn elements(&mut self, depth: usize, mut each: impl FnMut(String, Bson)) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(TOO_DEEP.into());
        }
        let mut left = self.i32()?;
        if left < 4 {
            return Err("invalid length, less than min document size".into());
        }
        left -= 4;
        loop {
            let at = self.i;
            let tag = self.u8()?;
            Self::charge(&mut left, self.i - at)?;
            if tag == 0 {
                if left != 0 {
                    return Err(format!("got null byte but still have length {left} remaining"));
                }
                return Ok(());
            }
            let at = self.i;
            let key = self.cstr()?;
            Self::charge(&mut left, self.i - at)?;
            let at = self.i;
            let v = self.value(tag, depth)?;
            Self::charge(&mut left, self.i - at)?;
            each(key, v);
        }
    }

    fn charge(left: &mut i32, read: usize) -> Result<(), String> {
        match i32::try_from(read) {
            Ok(n) if n <= *left => {
                *left -= n;
                Ok(())
            }
            _ => Err("length of document too short".into()),
        }
    }

    fn value(&mut self, tag: u8, depth: usize) -> Result<Bson, String> {
        Ok(match tag {
            0x01 => Bson::Double(f64::from_le_bytes(self.array()?)),
            0x02 => Bson::Str(self.string()?),
            0x03 => Bson::Doc(self.document(depth + 1)?),
            0x04 => Bson::Array(self.array_value(depth + 1)?),
            0x05 => self.binary()?,
            0x06 => Bson::Undefined,
            0x07 => Bson::ObjectId(self.array()?),
            0x08 => match self.u8()? {
                b @ 0..=1 => Bson::Bool(b == 1),
                b => return Err(format!("invalid value: integer `{b}`, expected boolean must be stored as 0 or 1")),
            },
            0x09 => Bson::DateTime(self.i64()?),
            0x0A => Bson::Null,
            0x0B => {
                let pattern = self.cstr()?;
                Bson::Regex(pattern, self.cstr()?)
            }
            0x0C => {
                let ns = self.string()?;
                Bson::DbPointer(ns, self.array()?)
            }
            0x0D => Bson::Code(self.string()?),
            0x0E => Bson::Symbol(self.string()?),
            0x0F => self.code_with_scope(depth)?,
            0x10 => Bson::Int32(self.i32()?),
            0x11 => {
                let increment = u32::from_le_bytes(self.array()?);
                Bson::Timestamp(u32::from_le_bytes(self.array()?), increment)
            }
            0x12 => Bson::Int64(self.i64()?),
            0x13 => Bson::Decimal128(self.array()?),
            0xFF => Bson::MinKey,
            0x7F => Bson::MaxKey,
            t => return Err(format!("invalid element type: {t}")),
        })
    }

    fn binary(&mut self) -> Result<Bson, String> {
        let len = self.i32()?;
        if !(0..=MAX_BINARY).contains(&len) {
            return Err(format!(
                "invalid length {}, expected binary length must be between 0 and {MAX_BINARY}",
                len as usize
            ));
        }
        let subtype = self.u8()?;
        let mut bytes = self.take(len as usize)?;
        if subtype == 2 {
            // The old binary subtype repeats the length inside.
            if bytes.len() < 4 {
                return Err("failed to fill whole buffer".into());
            }
            let inner = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            if inner.wrapping_add(4) != len {
                return Err(format!(
                    "invalid length {}, expected 0x02 length did not match top level binary length",
                    inner as usize
                ));
            }
            bytes = &bytes[4..];
        }
        Ok(Bson::Binary(subtype, bytes.to_vec()))
    }

    fn code_with_scope(&mut self, depth: usize) -> Result<Bson, String> {
        const MIN: i32 = 4 + 5 + MIN_DOC;
        let len = self.i32()?;
        if len < MIN {
            return Err(format!("invalid length {}, expected CodeWithScope to be at least {MIN} bytes", len.max(0)));
        }
        let remaining = self.b.len() - self.i;
        if (remaining as i64) < i64::from(len) - 4 {
            return Err(format!("invalid length {len}, expected CodeWithScope to be at most {remaining} bytes"));
        }
        let start = self.i;
        let code = self.string()?;
        let scope = self.document(depth + 1)?;
        let used = (self.i - start) as i64;
        if used > i64::from(len) - 4 {
            return Err("length of CodeWithScope too short".into());
        }
        if used != i64::from(len) - 4 {
            return Err(format!("invalid length {len}, expected {} bytes", used + 4));
        }
        Ok(Bson::CodeWithScope(code, scope))
    }
}

/// Writes `v` as serde_json prints the crate's relaxed extended JSON of it.
fn relaxed(v: &Bson, out: &mut Vec<u8>) {
    match v {
        Bson::Double(d) if d.is_nan() => {
            wrap(out, "$numberDouble", |o| write_str(if d.is_sign_negative() { b"-NaN" } else { b"NaN" }, o))
        }
        Bson::Double(d) if d.is_infinite() => {
            wrap(out, "$numberDouble", |o| write_str(if *d < 0.0 { b"-Infinity" } else { b"Infinity" }, o))
        }
        Bson::Double(d) => write_f64(*d, out),
        Bson::Str(s) => write_str(s.as_bytes(), out),
        Bson::Doc(members) => object(members, out),
        Bson::Array(items) => {
            out.push(b'[');
            for (n, x) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                relaxed(x, out);
            }
            out.push(b']');
        }
        Bson::Binary(subtype, bytes) => wrap(out, "$binary", |o| {
            o.extend_from_slice(b"{\"base64\":\"");
            base64(bytes, o);
            o.extend_from_slice(b"\",\"subType\":\"");
            hex(&[*subtype], o);
            o.extend_from_slice(b"\"}");
        }),
        Bson::Undefined => out.extend_from_slice(b"{\"$undefined\":true}"),
        Bson::ObjectId(id) => oid(id, out),
        Bson::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Bson::DateTime(ms) => date(*ms, out),
        Bson::Null => out.extend_from_slice(b"null"),
        Bson::Regex(pattern, options) => wrap(out, "$regularExpression", |o| {
            let mut sorted: Vec<char> = options.chars().collect();
            sorted.sort_unstable();
            let sorted: String = sorted.into_iter().collect();
            o.extend_from_slice(b"{\"pattern\":");
            write_str(pattern.as_bytes(), o);
            o.extend_from_slice(b",\"options\":");
            write_str(sorted.as_bytes(), o);
            o.push(b'}');
        }),
        Bson::DbPointer(ns, id) => wrap(out, "$dbPointer", |o| {
            o.extend_from_slice(b"{\"$ref\":");
            write_str(ns.as_bytes(), o);
            o.extend_from_slice(b",\"$id\":");
            oid(id, o);
            o.push(b'}');
        }),
        Bson::Code(code) => wrap(out, "$code", |o| write_str(code.as_bytes(), o)),
        Bson::Symbol(s) => wrap(out, "$symbol", |o| write_str(s.as_bytes(), o)),
        Bson::CodeWithScope(code, scope) => {
            out.extend_from_slice(b"{\"$code\":");
            write_str(code.as_bytes(), out);
            out.extend_from_slice(b",\"$scope\":");
            object(scope, out);
            out.push(b'}');
        }
        Bson::Int32(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Bson::Int64(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Bson::Timestamp(t, i) => {
            out.extend_from_slice(format!("{{\"$timestamp\":{{\"t\":{t},\"i\":{i}}}}}").as_bytes());
        }
        Bson::Decimal128(bytes) => wrap(out, "$numberDecimal", |o| write_str(decimal128(bytes).as_bytes(), o)),
        Bson::MinKey => out.extend_from_slice(b"{\"$minKey\":1}"),
        Bson::MaxKey => out.extend_from_slice(b"{\"$maxKey\":1}"),
    }
}

/// `{"<key>":<what inner writes>}`.
fn wrap(out: &mut Vec<u8>, key: &str, inner: impl FnOnce(&mut Vec<u8>)) {
    out.push(b'{');
    write_str(key.as_bytes(), out);
    out.push(b':');
    inner(out);
    out.push(b'}');
}

fn object(members: &[(String, Bson)], out: &mut Vec<u8>) {
    out.push(b'{');
    for (n, (k, x)) in members.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_str(k.as_bytes(), out);
        out.push(b':');
        relaxed(x, out);
    }
    out.push(b'}');
}

fn oid(id: &[u8; 12], out: &mut Vec<u8>) {
    wrap(out, "$oid", |o| {
        o.push(b'"');
        hex(id, o);
        o.push(b'"');
    });
}

fn hex(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8], out: &mut Vec<u8>) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// `{"$date":"1970-01-01T00:00:00.5Z"}` (RFC 3339, the fraction without trailing zeros) for 1970 to 9999,
/// `{"$date":{"$numberLong":"<ms>"}}` otherwise.
fn date(ms: i64, out: &mut Vec<u8>) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    if ms < 0 || y > 9999 {
        out.extend_from_slice(format!("{{\"$date\":{{\"$numberLong\":\"{ms}\"}}}}").as_bytes());
        return;
    }
    let (h, min, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    let mut text = format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}");
    if milli != 0 {
        let frac = format!("{milli:03}");
        text.push('.');
        text.push_str(frac.trim_end_matches('0'));
    }
    text.push('Z');
    wrap(out, "$date", |o| write_str(text.as_bytes(), o));
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A decimal128 (IEEE 754-2008, binary integer decimal) as the specification's to-string gives it.
fn decimal128(bytes: &[u8; 16]) -> String {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&bytes[..8]);
    hi.copy_from_slice(&bytes[8..]);
    let (lo, hi) = (u64::from_le_bytes(lo), u64::from_le_bytes(hi));
    let negative = hi >> 63 == 1;
    let combination = (hi >> 58) & 0x1f;
    let sign = if negative { "-" } else { "" };
    if combination >> 3 == 3 {
        if combination == 0x1e {
            return format!("{sign}Infinity");
        }
        if combination == 0x1f {
            return "NaN".into();
        }
    }
    let (biased, coefficient) = if combination >> 3 == 3 {
        // The "11" form: the implied coefficient exceeds the maximum, so it reads as zero.
        ((hi >> 47) & 0x3fff, 0u128)
    } else {
        let c = (u128::from(hi & 0x1_ffff_ffff_ffff) << 64) | u128::from(lo);
        ((hi >> 49) & 0x3fff, if c >= 10u128.pow(34) { 0 } else { c })
    };
    let exponent = biased as i64 - 6176;
    let digits = coefficient.to_string();
    let n = digits.len() as i64;
    let adjusted = exponent + n - 1;
    let body = if exponent > 0 || adjusted < -6 {
        let mut s = digits[..1].to_string();
        if n > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('E');
        if adjusted >= 0 {
            s.push('+');
        }
        s.push_str(&adjusted.to_string());
        s
    } else if exponent == 0 {
        digits
    } else {
        let point = n + exponent;
        if point > 0 {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        } else {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(tag: u8, name: &str, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        v.extend_from_slice(name.as_bytes());
        v.push(0);
        v.extend_from_slice(payload);
        v
    }

    fn doc(els: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = els.concat();
        let mut v = ((body.len() + 5) as i32).to_le_bytes().to_vec();
        v.extend_from_slice(&body);
        v.push(0);
        v
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = ((s.len() + 1) as i32).to_le_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        v
    }

    /// What JSON.GET answers after the value is set: the text parsed as RedisJSON parses it, printed back.
    fn text(b: &[u8]) -> String {
        match to_json_text(b) {
            Ok(t) => match super::super::parse(&t) {
                Ok(v) => String::from_utf8_lossy(&v.to_text()).into_owned(),
                Err(e) => format!("error: {}", e.0),
            },
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn values_read_as_redisjson_reads_them() {
        // Each expected text is what JSON.GET answered after JSON.SET ... FORMAT BSON on RedisJSON 2.8.3.
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (doc(&[el(2, "a", &string("b"))]), "\"b\""),
            (doc(&[]), "null"),
            (doc(&[el(0x10, "a", &1i32.to_le_bytes()), el(0x10, "b", &2i32.to_le_bytes())]), "1"),
            (doc(&[el(1, "x", &2.0f64.to_le_bytes())]), "2.0"),
            (doc(&[el(1, "x", &[0, 0, 0, 0, 0, 0, 0x30, 0x3d])]), "5.684341886080803e-14"),
            (
                doc(&[el(5, "x", &[3, 0, 0, 0, 0, b'a', b'b', b'c'])]),
                "{\"$binary\":{\"base64\":\"YWJj\",\"subType\":\"00\"}}",
            ),
            (doc(&[el(7, "x", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])]), "{\"$oid\":\"000102030405060708090a0b\"}"),
            (doc(&[el(9, "x", &[0x64, 0, 0, 0, 0x70, 1, 0, 0])]), "{\"$date\":\"2020-02-01T09:06:05.028Z\"}"),
            (doc(&[el(9, "x", &10_000i64.to_le_bytes())]), "{\"$date\":\"1970-01-01T00:00:10Z\"}"),
            (doc(&[el(9, "x", &[0x0b, 0, 0, 0, 0x70, 0x7f, 0, 0])]), "{\"$date\":\"6410-03-12T20:04:24.715Z\"}"),
            (
                doc(&[el(0x0b, "x", b"a.*b\0xim\0")]),
                "{\"$regularExpression\":{\"pattern\":\"a.*b\",\"options\":\"imx\"}}",
            ),
            (doc(&[el(0x11, "x", &[7, 0, 0, 0, 9, 0, 0, 0])]), "{\"$timestamp\":{\"t\":9,\"i\":7}}"),
            (doc(&[el(0x13, "x", &[0; 16])]), "{\"$numberDecimal\":\"0E-6176\"}"),
            (doc(&[el(6, "x", &[])]), "{\"$undefined\":true}"),
            (doc(&[el(0x7f, "x", &[])]), "{\"$maxKey\":1}"),
        ];
        for (b, want) in cases {
            assert_eq!(text(&b), want, "{b:?}");
        }
    }

    #[test]
    fn decimal128_strings() {
        // From RedisJSON 2.8.3 (the bson crate's Display).
        let d = |lo: u8, hi: [u8; 2]| {
            let mut b = [0u8; 16];
            b[0] = lo;
            b[14] = hi[0];
            b[15] = hi[1];
            decimal128(&b)
        };
        assert_eq!(d(1, [0x40, 0x30]), "1");
        assert_eq!(d(0x7b, [0x3c, 0x30]), "1.23");
        assert_eq!(d(0x7b, [0x50, 0x30]), "1.23E+10");
        assert_eq!(d(0x7b, [0x00, 0x30]), "1.23E-30");
        assert_eq!(d(0x7b, [0x30, 0x30]), "0.00000123");
        assert_eq!(d(0x7b, [0x2e, 0x30]), "1.23E-7");
        assert_eq!(d(0x7b, [0x72, 0x30]), "1.23E+27");
        assert_eq!(d(0, [0, 0x78]), "Infinity");
        assert_eq!(d(0, [0, 0x7c]), "NaN");
        let mut b = [0x7fu8; 16];
        b[15] = 0x6f;
        assert_eq!(decimal128(&b), "0E+1758");
        b[14] = 0x50;
        b[15] = 0x30;
        assert_eq!(decimal128(&b), "2.585967455034992583621070720827263E+41");
    }

    #[test]
    fn malformed_input_gets_the_crates_errors() {
        let good = doc(&[el(2, "a", &string("b"))]);
        let mut long = good.clone();
        long[0] = 100;
        let mut short = good.clone();
        short[0] = 8;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"junk".to_vec(), "failed to fill whole buffer"),
            (b"\x05\x00\x00".to_vec(), "failed to fill whole buffer"),
            (good[..good.len() - 3].to_vec(), "failed to fill whole buffer"),
            (long, "failed to fill whole buffer"),
            (short, "unexpected end of file"),
            (
                b"\x02\x00\x00\x00\x00\x00\x00\x00".to_vec(),
                "invalid length 2, expected document length must be at least 5",
            ),
            (b"\x05\x00\x00\x00\x01".to_vec(), "unexpected end of file"),
            (doc(&[el(0x20, "x", &[])]), "invalid element type: 32"),
            (doc(&[el(2, "a", &[0, 0, 0, 0, 0])]), "invalid length 0, expected UTF-8 string must have at least 1 byte"),
            (doc(&[el(2, "a", &[2, 0, 0, 0, b'b', b'c'])]), "string was not null-terminated"),
            (doc(&[el(8, "t", &[2])]), "invalid value: integer `2`, expected boolean must be stored as 0 or 1"),
            (doc(&[el(3, "x", &[50, 0, 0, 0, 0])]), "got null byte but still have length 45 remaining"),
            (doc(&[el(3, "x", &[6, 0, 0, 0, 0])]), "got null byte but still have length 1 remaining"),
        ];
        for (b, want) in cases {
            assert_eq!(text(&b), format!("error: {want}"), "{b:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing_further() {
        let mut v = doc(&[]);
        for _ in 0..(MAX_DEPTH + 5) {
            v = doc(&[el(3, "x", &v)]);
        }
        assert_eq!(text(&v), format!("error: {TOO_DEEP}"));
    }
}
