//! The client side of RESP: a resumable reader that turns the server's reply bytes (RESP2 and RESP3) into
//! [`Reply`] trees, with hiredis's acceptance rules and error texts (redis-cli prints them verbatim as
//! `Error: Protocol error, ...`).
//!
//! Invariants:
//! - Bytes are consumed only when a whole item (a line, or a bulk with its CRLF) is present; a partial item
//!   stays in the buffer, so feeding any split of a byte stream yields the same replies.
//! - Aggregates under construction live on an explicit stack, so a reply of N elements costs O(N) however it
//!   is split across reads (no re-parsing from the start), and nesting depth is bounded by [`MAX_DEPTH`].
//!
//! The server's request parser (`resp::parse`) reads only what clients send (multibulk and inline commands),
//! so the client side has its own reader for the full reply grammar.
//!
//! Tested by the unit tests below (every type, splits at every offset, malformed input) and, end to end, by
//! `tests/cli/cli_oneshot.rs`.

// hiredis's `string2ll` is Redis's: integer lines and lengths parse by the server's rule.
use ferredis::util::parse_i64;

/// One reply as hiredis sees it. Map holds keys and values interleaved (2 × pairs elements).
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Status(Vec<u8>),
    Error(Vec<u8>),
    Integer(i64),
    /// The double as the server wrote it (redis-cli prints the text, not a re-formatted number).
    Double(Vec<u8>),
    Bulk(Vec<u8>),
    /// A verbatim string's content without its `txt:` type prefix.
    Verb(Vec<u8>),
    Nil,
    Bool(bool),
    /// A big number's digits; redis-cli 7.0 has no formatter for it (it prints "Unknown reply type: 13").
    BigNum(Vec<u8>),
    Array(Vec<Reply>),
    Map(Vec<Reply>),
    Set(Vec<Reply>),
    Push(Vec<Reply>),
}

impl Reply {
    /// hiredis's numeric reply type (used in the "Unknown reply type: N" message).
    pub fn type_code(&self) -> i32 {
        match self {
            Reply::Bulk(_) => 1,
            Reply::Array(_) => 2,
            Reply::Integer(_) => 3,
            Reply::Nil => 4,
            Reply::Status(_) => 5,
            Reply::Error(_) => 6,
            Reply::Double(_) => 7,
            Reply::Bool(_) => 8,
            Reply::Map(_) => 9,
            Reply::Set(_) => 10,
            Reply::Push(_) => 12,
            Reply::BigNum(_) => 13,
            Reply::Verb(_) => 14,
        }
    }

    /// The bytes of a string-like reply (status, error, bulk, verbatim), else `None`.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Status(b) | Reply::Error(b) | Reply::Bulk(b) | Reply::Verb(b) => Some(b),
            _ => None,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}

/// Deepest nesting accepted (hiredis grows its task stack without a limit; a bound keeps a hostile server
/// from exhausting memory through headers alone).
pub const MAX_DEPTH: usize = 1024;

#[derive(Clone, Copy, PartialEq)]
enum AggKind {
    Array,
    Map,
    Set,
    Push,
}

struct Frame {
    kind: AggKind,
    /// Elements still expected (a map's count is already doubled).
    left: usize,
    items: Vec<Reply>,
}

/// The resumable reader: feed bytes, take replies.
#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
    pos: usize,
    stack: Vec<Frame>,
}

enum Item {
    Done(Reply),
    Open(AggKind, usize),
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Removes up to `max` unread bytes (only meaningful between replies, when no aggregate is open).
    pub(crate) fn take_front(&mut self, max: usize) -> Vec<u8> {
        let end = self.buf.len().min(self.pos + max);
        let v = self.buf[self.pos..end].to_vec();
        self.pos = end;
        v
    }

    /// The next complete reply, `Ok(None)` when more bytes are needed, or a protocol error (hiredis's text).
    pub fn next_reply(&mut self) -> Result<Option<Reply>, String> {
        loop {
            let item = match self.item()? {
                Some(i) => i,
                None => return Ok(None),
            };
            let mut done = match item {
                Item::Open(kind, n) => {
                    if self.stack.len() >= MAX_DEPTH {
                        return Err("Protocol error, nesting too deep".into());
                    }
                    self.stack.push(Frame { kind, left: n, items: Vec::with_capacity(n.min(4096)) });
                    continue;
                }
                Item::Done(r) => r,
            };
            // Attach the finished item to its parent, closing every aggregate it completes.
            loop {
                match self.stack.last_mut() {
                    None => return Ok(Some(done)),
                    Some(top) => {
                        top.items.push(done);
                        top.left -= 1;
                        if top.left > 0 {
                            break;
                        }
                    }
                }
                let Some(f) = self.stack.pop() else { break };
                done = close(f.kind, f.items);
            }
        }
    }

    /// Parses one item at `pos`: a scalar, an empty aggregate (Done) or an aggregate header (Open).
    fn item(&mut self) -> Result<Option<Item>, String> {
        let rest = &self.buf[self.pos..];
        let Some(&t) = rest.first() else { return Ok(None) };
        if !b"+-:,_#($=*%~>".contains(&t) {
            return Err(format!("Protocol error, got {} as reply type byte", byte_repr(t)));
        }
        let Some(nl) = memchr::memmem::find(rest, b"\r\n") else { return Ok(None) };
        let line = &rest[1..nl];
        let after = nl + 2;
        let res = match t {
            b'$' | b'=' => bulk_item(t, line, rest, after),
            b'*' | b'%' | b'~' | b'>' => aggregate_item(t, line, after),
            _ => line_item(t, line).map(|r| Some((Item::Done(r), after))),
        };
        match res? {
            Some((item, used)) => {
                self.pos += used;
                Ok(Some(item))
            }
            None => Ok(None),
        }
    }
}

/// A one-line item (`+ - : , _ # (`): the reply its line holds.
fn line_item(t: u8, line: &[u8]) -> Result<Reply, String> {
    match t {
        b'+' | b'-' => {
            let v = line.to_vec();
            if t == b'+' {
                Ok(Reply::Status(v))
            } else {
                Ok(Reply::Error(v))
            }
        }
        b':' => match parse_i64(line) {
            Some(v) => Ok(Reply::Integer(v)),
            None => Err("Bad integer value".into()),
        },
        b',' => {
            if line.len() >= 326 {
                return Err("Double value is too large".into());
            }
            if !valid_double(line) {
                return Err("Bad double value".into());
            }
            Ok(Reply::Double(line.to_vec()))
        }
        b'_' => {
            if !line.is_empty() {
                return Err("Bad nil value".into());
            }
            Ok(Reply::Nil)
        }
        b'#' => match line {
            [b't'] | [b'T'] => Ok(Reply::Bool(true)),
            [b'f'] | [b'F'] => Ok(Reply::Bool(false)),
            _ => Err("Bad bool value".into()),
        },
        b'(' => {
            let ok = line.iter().enumerate().all(|(i, &c)| c.is_ascii_digit() || (i == 0 && c == b'-'));
            if !ok {
                return Err("Bad bignum value".into());
            }
            Ok(Reply::BigNum(line.to_vec()))
        }
        other => Err(format!("Protocol error, got {} as reply type byte", byte_repr(other))),
    }
}

/// A bulk or verbatim string (`$`, `=`) whose header line is `line`, its body starting at `after` in `rest`:
/// the reply and the bytes used, `None` until the whole body is there.
fn bulk_item(t: u8, line: &[u8], rest: &[u8], after: usize) -> Result<Option<(Item, usize)>, String> {
    let Some(len) = parse_i64(line) else { return Err("Bad bulk string length".into()) };
    if len < -1 {
        return Err("Bulk string length out of range".into());
    }
    if len == -1 {
        return Ok(Some((Item::Done(Reply::Nil), after)));
    }
    let len = len as usize;
    let Some(end) = after.checked_add(len).and_then(|e| e.checked_add(2)) else {
        return Err("Bulk string length out of range".into());
    };
    if rest.len() < end {
        return Ok(None);
    }
    let body = &rest[after..after + len];
    if t == b'=' {
        if len < 4 || body[3] != b':' {
            return Err("Verbatim string 4 bytes of content type are missing or incorrectly encoded.".into());
        }
        Ok(Some((Item::Done(Reply::Verb(body[4..].to_vec())), end)))
    } else {
        Ok(Some((Item::Done(Reply::Bulk(body.to_vec())), end)))
    }
}

/// An aggregate header (`*`, `%`, `~`, `>`): an open aggregate, or the reply when it is empty or nil.
fn aggregate_item(t: u8, line: &[u8], after: usize) -> Result<Option<(Item, usize)>, String> {
    let Some(n) = parse_i64(line) else { return Err("Bad multi-bulk length".into()) };
    let kind = match t {
        b'*' => AggKind::Array,
        b'%' => AggKind::Map,
        b'~' => AggKind::Set,
        _ => AggKind::Push,
    };
    if !(-1..=(1i64 << 32) - 1).contains(&n) {
        return Err("Multi-bulk length out of range".into());
    }
    if n == -1 {
        return Ok(Some((Item::Done(Reply::Nil), after)));
    }
    let n = if kind == AggKind::Map { n as usize * 2 } else { n as usize };
    if n == 0 {
        Ok(Some((Item::Done(close(kind, Vec::new())), after)))
    } else {
        Ok(Some((Item::Open(kind, n), after)))
    }
}

fn close(kind: AggKind, items: Vec<Reply>) -> Reply {
    match kind {
        AggKind::Array => Reply::Array(items),
        AggKind::Map => Reply::Map(items),
        AggKind::Set => Reply::Set(items),
        AggKind::Push => Reply::Push(items),
    }
}

/// hiredis accepts "inf"/"-inf" (any case) and whatever strtod fully parses to a finite value.
fn valid_double(s: &[u8]) -> bool {
    if s.eq_ignore_ascii_case(b"inf") || s.eq_ignore_ascii_case(b"-inf") {
        return true;
    }
    let Ok(text) = std::str::from_utf8(s) else { return false };
    if text.is_empty() || text.starts_with('+') && text.len() == 1 {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return false;
    }
    text.parse::<f64>().map(|d| d.is_finite()).unwrap_or(false)
}

/// hiredis's `chrtos`: a type byte shown quoted and escaped.
fn byte_repr(c: u8) -> String {
    match c {
        b'\\' | b'"' => format!("\"\\{}\"", c as char),
        b'\n' => "\"\\n\"".into(),
        b'\r' => "\"\\r\"".into(),
        b'\t' => "\"\\t\"".into(),
        7 => "\"\\a\"".into(),
        8 => "\"\\b\"".into(),
        c if (0x20..0x7f).contains(&c) => format!("\"{}\"", c as char),
        c => format!("\"\\x{c:02x}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<Reply> {
        let mut r = Reader::new();
        r.feed(bytes);
        let mut out = Vec::new();
        while let Some(x) = r.next_reply().unwrap() {
            out.push(x);
        }
        out
    }

    const SAMPLE: &[u8] = b"+OK\r\n-ERR x\r\n:42\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n*1\r\n:1\r\n$0\r\n\r\n\
        %1\r\n+k\r\n~2\r\n,3.5\r\n#t\r\n_\r\n=8\r\ntxt:abcd\r\n>2\r\n+a\r\n(123\r\n";

    #[test]
    fn every_type() {
        let v = all(SAMPLE);
        assert_eq!(v.len(), 12);
        assert_eq!(v[0], Reply::Status(b"OK".to_vec()));
        assert_eq!(v[1], Reply::Error(b"ERR x".to_vec()));
        assert_eq!(v[2], Reply::Integer(42));
        assert_eq!(v[3], Reply::Bulk(b"foo".to_vec()));
        assert_eq!(v[4], Reply::Nil);
        assert_eq!(v[5], Reply::Nil);
        assert_eq!(v[6], Reply::Array(vec![]));
        assert_eq!(v[7], Reply::Array(vec![Reply::Array(vec![Reply::Integer(1)]), Reply::Bulk(Vec::new())]));
        assert_eq!(
            v[8],
            Reply::Map(vec![
                Reply::Status(b"k".to_vec()),
                Reply::Set(vec![Reply::Double(b"3.5".to_vec()), Reply::Bool(true)])
            ])
        );
        assert_eq!(v[9], Reply::Nil);
        assert_eq!(v[10], Reply::Verb(b"abcd".to_vec()));
    }

    #[test]
    fn any_split_gives_the_same_replies() {
        let whole = all(SAMPLE);
        for cut in 0..SAMPLE.len() {
            let mut r = Reader::new();
            let mut out = Vec::new();
            r.feed(&SAMPLE[..cut]);
            while let Some(x) = r.next_reply().unwrap() {
                out.push(x);
            }
            r.feed(&SAMPLE[cut..]);
            while let Some(x) = r.next_reply().unwrap() {
                out.push(x);
            }
            assert_eq!(out, whole, "cut {cut}");
        }
    }

    #[test]
    fn malformed_input_is_an_error_with_hiredis_text() {
        let err = |b: &[u8]| {
            let mut r = Reader::new();
            r.feed(b);
            r.next_reply().unwrap_err()
        };
        assert_eq!(err(b"|1\r\n"), "Protocol error, got \"|\" as reply type byte");
        assert_eq!(err(b":x\r\n"), "Bad integer value");
        assert_eq!(err(b"$-2\r\n"), "Bulk string length out of range");
        assert_eq!(err(b",abc\r\n"), "Bad double value");
        assert_eq!(err(b"#x\r\n"), "Bad bool value");
        assert!(err(b"=2\r\nab\r\n").contains("Verbatim"));
        assert_eq!(err(b"\x01"), "Protocol error, got \"\\x01\" as reply type byte");
    }

    /// Whatever a server sends, the reader returns replies, asks for more, or reports an error: it never
    /// panics (random mutations of valid replies, fed in random splits).
    #[test]
    fn random_bytes_never_panic() {
        let mut rng = ferredis::util::Rng::new(7);
        for _ in 0..20_000 {
            let mut b = SAMPLE.to_vec();
            for _ in 0..rng.below(6) {
                let i = rng.below(b.len() as u64) as usize;
                let alphabet = b"*$%~>=,:#(_+-\r\n0123456789-x";
                b[i] = alphabet[rng.below(alphabet.len() as u64) as usize];
            }
            let cut = rng.below(b.len() as u64 + 1) as usize;
            let mut r = Reader::new();
            r.feed(&b[..cut]);
            while let Ok(Some(_)) = r.next_reply() {}
            r.feed(&b[cut..]);
            while let Ok(Some(_)) = r.next_reply() {}
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut b = Vec::new();
        for _ in 0..MAX_DEPTH + 1 {
            b.extend_from_slice(b"*1\r\n");
        }
        let mut r = Reader::new();
        r.feed(&b);
        assert!(r.next_reply().is_err());
    }
}
