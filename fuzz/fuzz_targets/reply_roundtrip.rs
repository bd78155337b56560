//! Reply encoders: a random reply tree written through `Reply`'s typed methods in RESP3 and in RESP2 is read back
//! by a small RESP reader written here, and gives the same tree in RESP3, and in RESP2 the tree after Redis's
//! downgrade rules (map → flat array of 2n, set and push → array, double → bulk string of `%.17g`, boolean →
//! integer 1/0, verbatim → plain bulk, null → `$-1`, null array → `*-1`); simple strings and errors have CR/LF
//! replaced by spaces, as Redis does. Every byte is consumed, nothing is left over.
#![no_main]
use ferredis::resp::reply::{Proto, Reply};
use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

/// What a handler can emit.
#[derive(Debug, Clone)]
enum V {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    BulkInt(i64),
    Null,
    NullArray,
    Array(Vec<V>),
    Map(Vec<(V, V)>),
    Set(Vec<V>),
    Push(Vec<V>),
    Double(f64),
    Bool(bool),
    Verbatim(Vec<u8>),
}

fn gen(u: &mut Unstructured, depth: u32) -> arbitrary::Result<V> {
    let kind = if depth >= 4 { u.int_in_range(0..=10)? } else { u.int_in_range(0..=14)? };
    let list = |u: &mut Unstructured| -> arbitrary::Result<Vec<V>> {
        let n = u.int_in_range(0..=5)?;
        (0..n).map(|_| gen(u, depth + 1)).collect()
    };
    Ok(match kind {
        0 => V::Simple(Vec::arbitrary(u)?),
        1 => {
            // The encoder drops one leading '-' (the caller's code word convention); give it valid UTF-8 text.
            V::Error(String::arbitrary(u)?.into_bytes())
        }
        2 => V::Int(i64::arbitrary(u)?),
        3 | 4 => V::Bulk(Vec::arbitrary(u)?),
        5 => V::BulkInt(i64::arbitrary(u)?),
        6 => V::Null,
        7 => V::NullArray,
        8 => V::Double(f64::arbitrary(u)?),
        9 => V::Bool(bool::arbitrary(u)?),
        10 => V::Verbatim(Vec::arbitrary(u)?),
        11 => V::Array(list(u)?),
        12 => {
            let n = u.int_in_range(0..=4)?;
            V::Map((0..n).map(|_| Ok((gen(u, depth + 1)?, gen(u, depth + 1)?))).collect::<arbitrary::Result<_>>()?)
        }
        13 => V::Set(list(u)?),
        _ => V::Push(list(u)?),
    })
}

struct Input(Vec<V>);

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=6)?;
        Ok(Input((0..n).map(|_| gen(u, 0)).collect::<arbitrary::Result<_>>()?))
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn emit(r: &mut Reply, v: &V) {
    match v {
        V::Simple(s) => r.simple_bytes(s),
        V::Error(s) => r.error(std::str::from_utf8(s).unwrap_or("")),
        V::Int(n) => r.int(*n),
        V::Bulk(s) => r.bulk(s),
        V::BulkInt(n) => r.bulk_int(*n),
        V::Null => r.null(),
        V::NullArray => r.null_array(),
        V::Array(items) => {
            r.array(items.len());
            items.iter().for_each(|i| emit(r, i));
        }
        V::Map(pairs) => {
            r.map(pairs.len());
            for (k, v) in pairs {
                emit(r, k);
                emit(r, v);
            }
        }
        V::Set(items) => {
            r.set(items.len());
            items.iter().for_each(|i| emit(r, i));
        }
        V::Push(items) => {
            r.push(items.len());
            items.iter().for_each(|i| emit(r, i));
        }
        V::Double(d) => r.double(*d),
        V::Bool(b) => r.boolean(*b),
        V::Verbatim(s) => r.verbatim("txt", s),
    }
}

/// A parsed RESP value, as a client library sees it.
#[derive(Debug, Clone, PartialEq)]
enum R {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    NullBulk,
    NullArray,
    Null,
    Array(Vec<R>),
    Map(Vec<(R, R)>),
    Set(Vec<R>),
    Push(Vec<R>),
    /// The double's bits (NaN compares by bits too).
    Double(u64),
    Bool(bool),
    Verbatim(Vec<u8>, Vec<u8>),
}

fn no_crlf(s: &[u8]) -> Vec<u8> {
    s.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect()
}

fn dbl_text(d: f64) -> Vec<u8> {
    ferredis::util::fmt_double(d).into_bytes()
}

/// The value a client reads back for `v` in protocol `p`.
fn expect(v: &V, p: Proto) -> R {
    let r3 = p == Proto::Resp3;
    let all = |items: &[V]| items.iter().map(|i| expect(i, p)).collect::<Vec<_>>();
    match v {
        V::Simple(s) => R::Simple(no_crlf(s)),
        V::Error(s) => R::Error(no_crlf(s.strip_prefix(b"-").unwrap_or(s))),
        V::Int(n) => R::Int(*n),
        V::Bulk(s) => R::Bulk(s.clone()),
        V::BulkInt(n) => R::Bulk(n.to_string().into_bytes()),
        V::Null if r3 => R::Null,
        V::Null => R::NullBulk,
        V::NullArray if r3 => R::Null,
        V::NullArray => R::NullArray,
        V::Array(i) => R::Array(all(i)),
        V::Map(pairs) if r3 => R::Map(pairs.iter().map(|(k, v)| (expect(k, p), expect(v, p))).collect()),
        V::Map(pairs) => R::Array(pairs.iter().flat_map(|(k, v)| [expect(k, p), expect(v, p)]).collect()),
        V::Set(i) if r3 => R::Set(all(i)),
        V::Push(i) if r3 => R::Push(all(i)),
        V::Set(i) | V::Push(i) => R::Array(all(i)),
        V::Double(d) if r3 => R::Double(canon(*d).to_bits()),
        V::Double(d) => R::Bulk(dbl_text(*d)),
        V::Bool(b) if r3 => R::Bool(*b),
        V::Bool(b) => R::Int(*b as i64),
        V::Verbatim(s) if r3 => R::Verbatim(b"txt".to_vec(), s.clone()),
        V::Verbatim(s) => R::Bulk(s.clone()),
    }
}

/// What `%.17g` keeps of a double: every finite value round-trips; all NaNs print as `nan`.
fn canon(d: f64) -> f64 {
    if d.is_nan() {
        f64::NAN
    } else {
        d
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn line(&mut self) -> &'a [u8] {
        let rest = &self.b[self.pos..];
        let cr = rest.windows(2).position(|w| w == b"\r\n").expect("line terminated by CRLF");
        self.pos += cr + 2;
        &rest[..cr]
    }

    fn num(s: &[u8]) -> i64 {
        std::str::from_utf8(s).ok().and_then(|s| s.parse().ok()).expect("decimal length or integer")
    }

    fn blob(&mut self, n: i64) -> Vec<u8> {
        let n = usize::try_from(n).expect("non-negative length");
        let data = self.b[self.pos..self.pos + n].to_vec();
        assert_eq!(&self.b[self.pos + n..self.pos + n + 2], b"\r\n", "blob terminated by CRLF");
        self.pos += n + 2;
        data
    }

    fn items(&mut self, n: i64) -> Vec<R> {
        (0..n).map(|_| self.value()).collect()
    }

    fn value(&mut self) -> R {
        let t = self.b[self.pos];
        self.pos += 1;
        let l = self.line();
        match t {
            b'+' => R::Simple(l.to_vec()),
            b'-' => R::Error(l.to_vec()),
            b':' => R::Int(Self::num(l)),
            b'$' if l == b"-1" => R::NullBulk,
            b'$' => R::Bulk(self.blob(Self::num(l))),
            b'*' if l == b"-1" => R::NullArray,
            b'*' => R::Array(self.items(Self::num(l))),
            b'~' => R::Set(self.items(Self::num(l))),
            b'>' => R::Push(self.items(Self::num(l))),
            b'%' => R::Map((0..Self::num(l)).map(|_| (self.value(), self.value())).collect()),
            b'_' => {
                assert!(l.is_empty());
                R::Null
            }
            b',' => {
                let d: f64 = std::str::from_utf8(l).ok().and_then(|s| s.parse().ok()).expect("double text");
                assert!(!l.starts_with(b"+"), "no plus sign");
                R::Double(canon(d).to_bits())
            }
            b'#' => match l {
                b"t" => R::Bool(true),
                b"f" => R::Bool(false),
                _ => panic!("bad boolean {l:?}"),
            },
            b'=' => {
                let body = self.blob(Self::num(l));
                assert!(body.len() >= 4 && body[3] == b':', "verbatim format prefix");
                R::Verbatim(body[..3].to_vec(), body[4..].to_vec())
            }
            _ => panic!("unknown type byte {t}"),
        }
    }
}

fuzz_target!(|input: Input| {
    for p in [Proto::Resp2, Proto::Resp3] {
        let mut r = Reply::new();
        r.proto = p;
        input.0.iter().for_each(|v| emit(&mut r, v));
        let bytes = r.pending().to_vec();
        let mut rd = Reader { b: &bytes, pos: 0 };
        for v in &input.0 {
            assert_eq!(rd.value(), expect(v, p), "{p:?} bytes {:?}", String::from_utf8_lossy(&bytes));
        }
        assert_eq!(rd.pos, bytes.len(), "trailing bytes");
        // Switched off (CLIENT REPLY OFF), the encoders write nothing.
        let mut off = Reply::new();
        off.proto = p;
        off.enabled = false;
        input.0.iter().for_each(|v| emit(&mut off, v));
        assert!(off.pending().is_empty());
    }
});
