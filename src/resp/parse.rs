//! The resumable, zero-copy request parser: Redis 7.0's `processMultibulkBuffer` / `processInlineBuffer` rules,
//! returning argument spans into the caller's buffer instead of copying arguments.
//!
//! # What it is
//! [`Parser::parse`] looks at the unread bytes of a client's query buffer (`buf`, the ring's readable part) and either
//! finds one complete command at the front of it, asks for more bytes, or reports a protocol error with Redis's exact
//! text. The parser keeps its progress between calls (how far it scanned for a line end, which arguments it already
//! delimited), so a command that trickles in byte by byte costs O(command length) in total, not O(length²).
//!
//! # Invariants
//! - The caller passes the same bytes again on the next call, possibly followed by more: `buf` only grows at the end
//!   until the caller consumes `consumed` bytes after a `Complete` (then the parser is back at its start state).
//! - Every stored position is relative to `buf[0]`, so the ring may move its unread bytes (compaction) between calls.
//! - All positions fit `u32`: a bulk whose end would lie beyond [`u32::MAX`] is refused as an invalid bulk length.
//! - Memory: the parser's own spans vector grows by one entry per argument that actually arrived (never by the
//!   announced count), and inline scratch is bounded by `max_inline_len`.
//!
//! ```text
//!  buf:  *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nval..   (Incomplete)
//!                     ^^^        ^             ^ pos: next unparsed byte; bulk = Some(5) once "$5\r\n" was read
//!        spans so far: [(8,11), (17,18)]
//! ```
//!
//! # Redis quirks reproduced on purpose (checked against redis-server 7.0.15 over TCP)
//! - Line ends are found with `strchr`, which stops at a NUL byte: a NUL before the line's terminator means the line
//!   "never ends", so the request waits until more than `max_inline_len` bytes are buffered, then fails as too big.
//! - Count lines are ended by `\r` and the following byte is skipped without looking at it; bulk data is followed by
//!   two skipped bytes that need not be `\r\n` (`$1\r\nvXX` is the argument `v`).
//! - `*0` and negative counts are an empty command that is consumed silently; a count above [`i32::MAX`] is invalid.
//! - The error for a bad '$' is only raised once that line's `\r` has arrived.
//!
//! One deliberate difference: Redis decides "too big count string / inline request" only when no terminator is found
//! among the bytes it happens to have, so its answer depends on read boundaries (a 70 KB inline line sent at once is
//! accepted because Redis's greedy reads deliver its end together with the bytes past 64 KiB; sent slowly, it is
//! refused). Here a terminator further than `max_inline_len` from the line start is always "too big", which makes the
//! result independent of how the input was chunked (the fuzz targets check exactly that) and equals Redis's answer
//! for a client whose bytes past the limit arrive in a later read than the terminator. Lines up to the limit behave
//! identically (checked against redis-server at 65535/65536/65537 bytes).
//!
//! # Use from the network layer
//! ```
//! use ferredis::net::ring::Ring;
//! use ferredis::resp::parse::{Limits, Parsed, Parser};
//!
//! let mut socket: &[u8] = b"*1\r\n$4\r\nPING\r\nECHO hi\r\n";
//! let (mut ring, mut parser, limits) = (Ring::with_capacity(16 * 1024), Parser::new(), Limits::default());
//! let (mut spans, mut scratch) = (Vec::new(), Vec::new());
//! let mut seen = Vec::new();
//! // On a readable event: read the rest of a big argument in one go, else a normal 16 KiB read.
//! let want = parser.big_bulk_missing(ring.len()).unwrap_or(16 * 1024);
//! let w = ring.writable(want);
//! let n = std::io::Read::read(&mut socket, &mut w[..want]).unwrap();
//! ring.commit(n);
//! loop {
//!     match parser.parse(ring.readable(), &limits, &mut spans, &mut scratch) {
//!         Ok(Parsed::Complete { consumed, inline }) => {
//!             let base = if inline { &scratch[..] } else { ring.readable() };
//!             let args: Vec<&[u8]> = spans.iter().map(|&(s, e)| &base[s as usize..e as usize]).collect();
//!             seen.push(args.concat()); // execute the command here (if it has any arguments)
//!             ring.consume(consumed);
//!         }
//!         Ok(Parsed::Incomplete) => break,
//!         Err(e) => { let _reply = e.message(); /* reply, then close after the reply is written */ break }
//!     }
//! }
//! assert_eq!(seen, vec![b"PING".to_vec(), b"ECHOhi".to_vec()]);
//! ```
//!
//! # Tests
//! Unit tests below (error table, quirks, inline unquoting), tests/protocol/parser_split.rs (every split offset,
//! proptest random pipelines split at random points), fuzz/ (whole vs. chunked must agree), benches/parser.rs
//! (throughput, allocations).

use crate::util::parse_i64;

/// Arguments at least this long make the reader size its next read to the rest of the bulk (Redis's
/// `PROTO_MBULK_BIG_ARG`).
pub const BIG_ARG: usize = 32 * 1024;

/// Redis's `PROTO_INLINE_MAX_SIZE`: longest inline request and longest count line.
pub const DEFAULT_MAX_INLINE_LEN: usize = 64 * 1024;
/// Redis's default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
/// Redis 7.0 accepts multibulk counts up to `INT_MAX`; memory stays bounded because arguments are only recorded as
/// they arrive.
pub const DEFAULT_MAX_MULTIBULK_LEN: i64 = i32::MAX as i64;

/// Spans kept for an incomplete command are released after completion beyond this many entries.
const KEEP_PARTIAL_CAPACITY: usize = 1024;

// A default-sized bulk plus its header and trailer must be addressable by u32 spans.
const _: () = assert!(DEFAULT_MAX_BULK_LEN + 2 + 64 < u32::MAX as i64);
const _: () = assert!(DEFAULT_MAX_INLINE_LEN < u32::MAX as usize / 2);
const _: () = assert!(BIG_ARG < DEFAULT_MAX_BULK_LEN as usize);

/// Protocol limits (`proto-max-bulk-len` is configurable; the others are Redis compile-time constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted `$<len>`.
    pub max_bulk_len: i64,
    /// Longest inline request line and longest `*`/`$` count line (without terminator).
    pub max_inline_len: usize,
    /// Largest accepted `*<count>`.
    pub max_multibulk_len: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            max_inline_len: DEFAULT_MAX_INLINE_LEN,
            max_multibulk_len: DEFAULT_MAX_MULTIBULK_LEN,
        }
    }
}

/// Outcome of one [`Parser::parse`] call that did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// One command occupies `buf[..consumed]`. `inline` tells whether the spans index the scratch buffer (inline)
    /// or `buf` (multibulk). Zero spans: an empty command (blank line, `*0`, `*-1`) that is simply consumed.
    Complete { consumed: usize, inline: bool },
    /// More bytes are needed; call again with the same bytes plus whatever arrived.
    Incomplete,
}

/// A protocol violation. The connection must be closed after replying with [`ProtoError::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtoError {
    /// `*` line is not a number or exceeds the limit.
    InvalidMultibulkLength,
    /// A bulk header did not start with `$`; carries the offending byte.
    ExpectedDollar(u8),
    /// `$` line is not a number, negative, over the limit (or beyond the addressable span range).
    InvalidBulkLength,
    /// No `\r` within `max_inline_len` bytes of a `*` line.
    TooBigMbulkCount,
    /// No `\r` within `max_inline_len` bytes of a `$` line.
    TooBigBulkCount,
    /// No `\n` within `max_inline_len` bytes of an inline request.
    TooBigInline,
    /// Inline request with an unterminated quote or a closing quote glued to the next token.
    UnbalancedQuotes,
}

impl ProtoError {
    /// The error line as Redis sends it, code word included, ready for
    /// [`Reply::error`](crate::resp::reply::Reply::error) (e.g. `ERR Protocol error: invalid bulk length`). A non-ASCII
    /// offending byte is shown as U+FFFD here; use [`ProtoError::message_bytes`] for the exact bytes.
    pub fn message(&self) -> String {
        String::from_utf8_lossy(&self.message_bytes()).into_owned()
    }

    /// The exact bytes of the error line (without the leading `-` and the trailing CRLF). Redis prints the offending
    /// byte of "expected '$'" raw, except that CR and LF become spaces.
    pub fn message_bytes(&self) -> Vec<u8> {
        let text: &str = match self {
            ProtoError::InvalidMultibulkLength => "ERR Protocol error: invalid multibulk length",
            ProtoError::ExpectedDollar(c) => {
                let mut v = b"ERR Protocol error: expected '$', got '".to_vec();
                v.push(if *c == b'\r' || *c == b'\n' { b' ' } else { *c });
                v.push(b'\'');
                return v;
            }
            ProtoError::InvalidBulkLength => "ERR Protocol error: invalid bulk length",
            ProtoError::TooBigMbulkCount => "ERR Protocol error: too big mbulk count string",
            ProtoError::TooBigBulkCount => "ERR Protocol error: too big bulk count string",
            ProtoError::TooBigInline => "ERR Protocol error: too big inline request",
            ProtoError::UnbalancedQuotes => "ERR Protocol error: unbalanced quotes in request",
        };
        text.as_bytes().to_vec()
    }
}

impl std::fmt::Display for ProtoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ProtoError {}

/// Where the parser stands inside the current command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing of the current command is delimited yet. `scan` = bytes of the first line already searched for its
    /// terminator; `stuck` = a NUL was met first, so the terminator will never be seen (Redis's `strchr`).
    Start { scan: usize, stuck: bool },
    /// Inside a multibulk request: `pos` = next unparsed byte, `left` = arguments still to come, `bulk` = length of
    /// the argument whose `$` line was read (data starts at `pos`), `scan`/`stuck` as above for the `$` line.
    Multi { pos: usize, left: u32, bulk: Option<u32>, scan: usize, stuck: bool },
}

/// Per-connection parse state. See the module docs.
#[derive(Debug)]
pub struct Parser {
    state: State,
    /// Spans of a multibulk command that is still incomplete, kept here (swapped, never copied) so the caller may
    /// pass a different or cleared vector on the next call.
    partial: Vec<(u32, u32)>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

/// Finds the first `needle`, but like C's `strchr` gives up at a NUL byte. Returns `Ok(index)` when found,
/// `Err(Some(index))` at a NUL, `Err(None)` when neither occurs.
#[inline]
fn strchr(hay: &[u8], needle: u8) -> Result<usize, Option<usize>> {
    match memchr::memchr2(needle, 0, hay) {
        Some(i) if hay.get(i) == Some(&needle) => Ok(i),
        Some(i) => Err(Some(i)),
        None => Err(None),
    }
}

impl Parser {
    pub fn new() -> Parser {
        Parser { state: State::Start { scan: 0, stuck: false }, partial: Vec::new() }
    }

    /// Forgets any partial command (after an error, or when the buffer was discarded).
    pub fn reset(&mut self) {
        self.state = State::Start { scan: 0, stuck: false };
        self.partial.clear();
    }

    /// Whether part of a command has been parsed (the caller must keep those bytes).
    pub fn in_progress(&self) -> bool {
        matches!(self.state, State::Multi { .. })
    }

    /// When the parser waits for the data of a big argument (≥ [`BIG_ARG`] bytes), the number of bytes still
    /// missing from `buf_len` buffered bytes to finish it (data + CRLF). The reader can then make room for exactly
    /// that much and read it in one go, as Redis does for big arguments.
    pub fn big_bulk_missing(&self, buf_len: usize) -> Option<usize> {
        match self.state {
            State::Multi { pos, bulk: Some(len), .. } if len as usize >= BIG_ARG => {
                Some((pos + len as usize + 2).saturating_sub(buf_len))
            }
            _ => None,
        }
    }

    /// While the parser waits for the data of a big argument and nothing beyond it is buffered, the bytes in front
    /// of that data (the command's lines and arguments already parsed); 0 otherwise. Redis drops those bytes from
    /// its query buffer at that point so the argument starts the buffer, and CLIENT LIST's `qbuf` does not count
    /// them.
    pub fn big_bulk_start(&self, buf_len: usize) -> usize {
        match self.state {
            State::Multi { pos, bulk: Some(len), .. }
                if len as usize >= BIG_ARG && buf_len.saturating_sub(pos) <= len as usize + 2 =>
            {
                pos
            }
            _ => 0,
        }
    }

    /// Parses one command from the front of `buf`. On `Complete`, `spans` holds the arguments as `(start, end)`
    /// byte ranges, into `buf` for multibulk and into `scratch` (unquoted text) for inline requests. On
    /// `Incomplete` the contents of `spans` are unspecified; the caller must call again with the same bytes
    /// (plus more) before consuming anything. On error the caller replies and closes; call [`Parser::reset`] to
    /// reuse the parser.
    pub fn parse(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        spans: &mut Vec<(u32, u32)>,
        scratch: &mut Vec<u8>,
    ) -> Result<Parsed, ProtoError> {
        let res = match self.state {
            State::Start { scan, stuck } => {
                if buf.is_empty() {
                    return Ok(Parsed::Incomplete);
                }
                if buf[0] == b'*' {
                    self.start_multibulk(buf, limits, spans, scan, stuck)
                } else {
                    self.inline(buf, limits, spans, scratch, scan, stuck)
                }
            }
            State::Multi { .. } => {
                // Resume with the arguments delimited so far.
                std::mem::swap(spans, &mut self.partial);
                self.multibulk(buf, limits, spans)
            }
        };
        match res {
            Ok(Parsed::Incomplete) => {
                if matches!(self.state, State::Multi { .. }) {
                    std::mem::swap(spans, &mut self.partial);
                }
            }
            Ok(Parsed::Complete { .. }) => {
                self.state = State::Start { scan: 0, stuck: false };
                if self.partial.capacity() > KEEP_PARTIAL_CAPACITY {
                    // A huge command passed through; do not keep its bookkeeping for the life of the connection.
                    self.partial = Vec::new();
                } else {
                    self.partial.clear();
                }
            }
            Err(_) => self.reset(),
        }
        res
    }

    fn inline(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        spans: &mut Vec<(u32, u32)>,
        scratch: &mut Vec<u8>,
        scan: usize,
        stuck: bool,
    ) -> Result<Parsed, ProtoError> {
        // Scratch offsets are u32; the Redis limit is far below, this only guards a misconfigured limit.
        let max = limits.max_inline_len.min(u32::MAX as usize / 2);
        let found = if stuck { Err(Some(scan)) } else { strchr(buf.get(scan..).unwrap_or(&[]), b'\n') };
        let nl = match found {
            Ok(i) => scan + i,
            Err(nul) => {
                if buf.len() > max {
                    return Err(ProtoError::TooBigInline);
                }
                self.state = match nul {
                    Some(i) => State::Start { scan: if stuck { scan } else { scan + i }, stuck: true },
                    None => State::Start { scan: buf.len(), stuck: false },
                };
                return Ok(Parsed::Incomplete);
            }
        };
        if nl > max {
            return Err(ProtoError::TooBigInline);
        }
        let mut line = &buf[..nl];
        if let Some((&b'\r', rest)) = line.split_last() {
            line = rest;
        }
        crate::util::split_args_into(line, spans, scratch).ok_or(ProtoError::UnbalancedQuotes)?;
        Ok(Parsed::Complete { consumed: nl + 1, inline: true })
    }

    fn start_multibulk(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        spans: &mut Vec<(u32, u32)>,
        scan: usize,
        stuck: bool,
    ) -> Result<Parsed, ProtoError> {
        let (count, cr) = match quick_count(buf, 0, limits.max_inline_len) {
            Some(quick) => quick,
            None => {
                let cr = match find_line(buf, 0, scan, stuck, limits.max_inline_len) {
                    Line::Found(cr) => cr,
                    Line::Wait { scan, stuck } => {
                        self.state = State::Start { scan, stuck };
                        return Ok(Parsed::Incomplete);
                    }
                    Line::TooBig => return Err(ProtoError::TooBigMbulkCount),
                };
                (parse_i64(buf.get(1..cr).unwrap_or(&[])).ok_or(ProtoError::InvalidMultibulkLength)?, cr)
            }
        };
        if count > limits.max_multibulk_len || count > i32::MAX as i64 {
            return Err(ProtoError::InvalidMultibulkLength);
        }
        let pos = cr + 2;
        spans.clear();
        if count <= 0 {
            return Ok(Parsed::Complete { consumed: pos, inline: false });
        }
        // Like Redis's argv preallocation: trust the count only up to a small bound.
        spans.reserve((count as usize).min(1024));
        self.state = State::Multi { pos, left: count as u32, bulk: None, scan: pos, stuck: false };
        self.multibulk(buf, limits, spans)
    }

    fn multibulk(&mut self, buf: &[u8], limits: &Limits, spans: &mut Vec<(u32, u32)>) -> Result<Parsed, ProtoError> {
        let State::Multi { mut pos, mut left, mut bulk, mut scan, mut stuck } = self.state else {
            return Ok(Parsed::Incomplete);
        };
        while left > 0 {
            let len = match bulk {
                Some(len) => len as usize,
                None => {
                    let quick =
                        if buf.get(pos) == Some(&b'$') { quick_count(buf, pos, limits.max_inline_len) } else { None };
                    let (len, cr) = match quick {
                        Some(quick) => quick,
                        None => {
                            let cr = match find_line(buf, pos, scan, stuck, limits.max_inline_len) {
                                Line::Found(cr) => cr,
                                Line::Wait { scan: s, stuck: st } => {
                                    self.state = State::Multi { pos, left, bulk, scan: s, stuck: st };
                                    return Ok(Parsed::Incomplete);
                                }
                                Line::TooBig => return Err(ProtoError::TooBigBulkCount),
                            };
                            let first = buf.get(pos).copied().unwrap_or(0);
                            if first != b'$' {
                                return Err(ProtoError::ExpectedDollar(first));
                            }
                            (parse_i64(buf.get(pos + 1..cr).unwrap_or(&[])).ok_or(ProtoError::InvalidBulkLength)?, cr)
                        }
                    };
                    if len < 0 || len > limits.max_bulk_len {
                        return Err(ProtoError::InvalidBulkLength);
                    }
                    let len = len as u64;
                    pos = cr + 2;
                    // Spans are u32: refuse what could not be addressed (only reachable with a raised limit).
                    if pos as u64 + len + 2 > u32::MAX as u64 {
                        return Err(ProtoError::InvalidBulkLength);
                    }
                    bulk = Some(len as u32);
                    len as usize
                }
            };
            if buf.len().saturating_sub(pos) < len + 2 {
                self.state = State::Multi { pos, left, bulk, scan: pos, stuck: false };
                return Ok(Parsed::Incomplete);
            }
            spans.push((pos as u32, (pos + len) as u32));
            pos += len + 2;
            left -= 1;
            bulk = None;
            scan = pos;
            stuck = false;
        }
        Ok(Parsed::Complete { consumed: pos, inline: false })
    }
}

/// Fast path for the usual count line `<prefix><digits>\r` + one more byte, starting at `start` (the `*`/`$`).
/// Only answers for a canonical non-negative number of at most 18 digits within `max` bytes, where it agrees with
/// the general path (`find_line` + `parse_i64`): no `\r` or NUL can precede the one found here. Returns the value
/// and the index of the `\r`.
#[inline]
fn quick_count(buf: &[u8], start: usize, max: usize) -> Option<(i64, usize)> {
    // One or two digits (the count of nearly every command and the length of nearly every argument): read at
    // fixed places, with the same conditions as the loop below (no leading zero in two digits, the byte after
    // the `\r` present, the line within `max`).
    if let (Some(&d0), Some(&c1)) = (buf.get(start + 1), buf.get(start + 2)) {
        if d0.is_ascii_digit() && c1 == b'\r' && start + 4 <= buf.len() && max >= 2 {
            return Some(((d0 - b'0') as i64, start + 2));
        }
        if (b'1'..=b'9').contains(&d0)
            && c1.is_ascii_digit()
            && buf.get(start + 3) == Some(&b'\r')
            && start + 5 <= buf.len()
            && max >= 3
        {
            return Some((((d0 - b'0') * 10 + (c1 - b'0')) as i64, start + 3));
        }
    }
    count_by_loop(buf, start, max)
}

/// [`quick_count`]'s general case: the digits read one at a time, up to the `\r`.
#[inline]
fn count_by_loop(buf: &[u8], start: usize, max: usize) -> Option<(i64, usize)> {
    let digits = buf.get(start + 1..)?;
    let first = *digits.first()?;
    if !first.is_ascii_digit() {
        return None;
    }
    let mut v: i64 = 0;
    let mut n = 0;
    loop {
        let c = *digits.get(n)?;
        if c.is_ascii_digit() {
            if n == 18 {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
            n += 1;
        } else if c == b'\r' {
            break;
        } else {
            return None;
        }
    }
    let cr = start + 1 + n;
    if (first == b'0' && n > 1) || cr - start > max || cr + 2 > buf.len() {
        return None;
    }
    Some((v, cr))
}

enum Line {
    /// Index of the `\r` ending the line; at least one more byte follows it.
    Found(usize),
    Wait {
        scan: usize,
        stuck: bool,
    },
    TooBig,
}

/// Finds the `\r` of the count line starting at `start`, resuming the search at `scan`.
#[inline]
fn find_line(buf: &[u8], start: usize, scan: usize, stuck: bool, max: usize) -> Line {
    let avail = buf.len().saturating_sub(start);
    let found = if stuck { Err(Some(scan)) } else { strchr(buf.get(scan..).unwrap_or(&[]), b'\r') };
    match found {
        Ok(i) => {
            let cr = scan + i;
            if cr - start > max {
                Line::TooBig
            } else if cr + 2 > buf.len() {
                // Redis wants the byte after '\r' to be buffered too (it skips it unseen).
                Line::Wait { scan: cr, stuck: false }
            } else {
                Line::Found(cr)
            }
        }
        Err(nul) => {
            if avail > max {
                Line::TooBig
            } else {
                match nul {
                    Some(i) if !stuck => Line::Wait { scan: scan + i, stuck: true },
                    Some(_) => Line::Wait { scan, stuck: true },
                    None => Line::Wait { scan: buf.len(), stuck: false },
                }
            }
        }
    }
}

/// Every command of a byte stream as parsed, for comparing parses of the same stream (tests, fuzzing, benches).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// Arguments of each complete command in order; the last entry is the error, if parsing failed.
    pub commands: Vec<Result<Vec<Vec<u8>>, ProtoError>>,
    /// Bytes consumed by complete commands (the rest is an incomplete tail).
    pub consumed: usize,
}

impl Transcript {
    fn push_command(&mut self, base: &[u8], spans: &[(u32, u32)]) {
        let args = spans.iter().map(|&(s, e)| base.get(s as usize..e as usize).unwrap_or(&[]).to_vec()).collect();
        self.commands.push(Ok(args));
    }
}

/// Parses `input` as if it arrived through a connection: each read delivers `next_chunk(remaining)` bytes (clamped
/// to 1..=remaining) into a [`crate::net::ring::Ring`], then every complete command is parsed and consumed, as the
/// network layer does (big bulks are read with the size the parser asks for). Stops at the first error.
pub fn parse_stream(input: &[u8], limits: &Limits, mut next_chunk: impl FnMut(usize) -> usize) -> Transcript {
    let mut ring = crate::net::ring::Ring::with_capacity(64);
    let mut parser = Parser::new();
    let (mut spans, mut scratch) = (Vec::new(), Vec::new());
    let mut out = Transcript::default();
    let mut fed = 0;
    while fed < input.len() {
        let remaining = input.len() - fed;
        let chunk = next_chunk(remaining).clamp(1, remaining);
        let want = parser.big_bulk_missing(ring.len()).unwrap_or(0).max(chunk);
        let w = ring.writable(want);
        w[..chunk].copy_from_slice(&input[fed..fed + chunk]);
        ring.commit(chunk);
        fed += chunk;
        loop {
            match parser.parse(ring.readable(), limits, &mut spans, &mut scratch) {
                Ok(Parsed::Complete { consumed, inline }) => {
                    let base = if inline { &scratch[..] } else { ring.readable() };
                    out.push_command(base, &spans);
                    out.consumed += consumed;
                    ring.consume(consumed);
                }
                Ok(Parsed::Incomplete) => break,
                Err(e) => {
                    out.commands.push(Err(e));
                    return out;
                }
            }
        }
    }
    out
}

/// [`parse_stream`] with the whole input in one read.
pub fn parse_whole(input: &[u8], limits: &Limits) -> Transcript {
    parse_stream(input, limits, |rest| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Commands = Vec<Result<Vec<Vec<u8>>, ProtoError>>;

    /// Parses `input` in one read: each command's arguments (or the error), and the bytes consumed.
    fn parse_all(input: &[u8]) -> (Commands, usize) {
        let t = parse_whole(input, &Limits::default());
        (t.commands, t.consumed)
    }

    fn args(v: &[&[u8]]) -> Vec<Vec<u8>> {
        v.iter().map(|a| a.to_vec()).collect()
    }

    fn first_error(input: &[u8]) -> Option<String> {
        parse_all(input).0.into_iter().find_map(|r| r.err()).map(|e| e.message())
    }

    /// The count fast path (one or two digits at fixed places) answers exactly as the digit loop would: every
    /// line of up to five bytes over digits, `\r`, `\n` and another byte, at two offsets, for small and large
    /// line limits.
    #[test]
    fn quick_count_agrees_with_its_loop() {
        let alphabet = [b'0', b'1', b'5', b'9', b'\r', b'\n', b'x'];
        let mut lines: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> =
                lines.iter().flat_map(|l| alphabet.iter().map(move |&b| [l.as_slice(), &[b]].concat())).collect();
            lines.extend(longer.into_iter().filter(|l| l.len() <= 5));
            lines.sort();
            lines.dedup();
        }
        for line in &lines {
            for prefix in [&b"$"[..], b"ab*"] {
                let buf = [prefix, line.as_slice()].concat();
                let start = prefix.len() - 1;
                for max in [1, 2, 3, 4, 1024] {
                    assert_eq!(quick_count(&buf, start, max), count_by_loop(&buf, start, max), "{buf:?} max {max}");
                }
            }
        }
    }

    #[test]
    fn malformed_requests_give_redis_errors() {
        let big_count = [b"*".to_vec(), vec![b'1'; 70_000]].concat();
        let big_bulk_count = [b"*1\r\n$".to_vec(), vec![b'1'; 70_000]].concat();
        let big_inline = vec![b'a'; 70_000];
        let cases: Vec<(&[u8], &str)> = vec![
            (b"*x\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*01\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*2147483648\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*1 \r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*1\n$4\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*1\r\nx3\r\n", "ERR Protocol error: expected '$', got 'x'"),
            (b"*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"),
            (b"*1\r\n\n\r\n", "ERR Protocol error: expected '$', got ' '"),
            (b"*2\r\n$4\r\nPING\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
            (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$4\nPING\r\n", "ERR Protocol error: invalid bulk length"),
            (&big_count, "ERR Protocol error: too big mbulk count string"),
            (&big_bulk_count, "ERR Protocol error: too big bulk count string"),
            (&big_inline, "ERR Protocol error: too big inline request"),
            (b"\"a\"b\r\n", "ERR Protocol error: unbalanced quotes in request"),
            (b"PING \"x\r\n", "ERR Protocol error: unbalanced quotes in request"),
            (b"PING 'x\r\n", "ERR Protocol error: unbalanced quotes in request"),
            (b"PING 'x'y\r\n", "ERR Protocol error: unbalanced quotes in request"),
            (b"PING \"x\\\"\r\n", "ERR Protocol error: unbalanced quotes in request"),
        ];
        for (input, msg) in cases {
            assert_eq!(first_error(input).as_deref(), Some(msg), "input {:?}", String::from_utf8_lossy(input));
        }
        assert_eq!(ProtoError::ExpectedDollar(0xff).message_bytes(), b"ERR Protocol error: expected '$', got '\xff'");
    }

    #[test]
    fn valid_multibulk_and_pipelines() {
        let (cmds, off) = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI");
        assert_eq!(cmds, vec![Ok(args(&[b"GET", b"k"])), Ok(args(&[b"PING"]))]);
        assert_eq!(off, 34);
        let (cmds, _) = parse_all(b"*1\r\n$0\r\n\r\n*2\r\n$3\r\na\0b\r\n$2\r\n\r\n\r\n");
        assert_eq!(cmds, vec![Ok(args(&[b""])), Ok(args(&[b"a\0b", b"\r\n"]))]);
    }

    #[test]
    fn redis_quirks() {
        // Bulk trailer bytes are skipped unseen.
        let (cmds, _) = parse_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nvXX*1\r\n$4\r\nPING\r\n");
        assert_eq!(cmds, vec![Ok(args(&[b"SET", b"k", b"v"])), Ok(args(&[b"PING"]))]);
        // The byte after the count's '\r' is skipped unseen.
        let (cmds, _) = parse_all(b"*1\rX$4\r\nPING\r\n");
        assert_eq!(cmds, vec![Ok(args(&[b"PING"]))]);
        // Empty and negative counts are empty commands.
        let (cmds, off) = parse_all(b"*0\r\n*-5\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(cmds, vec![Ok(vec![]), Ok(vec![]), Ok(args(&[b"PING"]))]);
        assert_eq!(off, 23);
        // A NUL before the line end makes the line wait, until it is too big.
        for input in [&b"*1\0\r\n"[..], b"PI\0NG\r\n", b"*1\r\n\0$4\r\nPING\r\n"] {
            let (cmds, off) = parse_all(input);
            assert!(cmds.is_empty() && off == 0, "{input:?}");
        }
        let mut nul = b"*1\0\r\n".to_vec();
        nul.resize(70_000, b'x');
        assert_eq!(first_error(&nul).as_deref(), Some("ERR Protocol error: too big mbulk count string"));
        // '$' is only checked once the line is complete.
        assert!(parse_all(b"*1\r\nx3").0.is_empty());
        // A count line needs the byte after '\r'.
        assert!(parse_all(b"*1\r").0.is_empty());
        // Big but valid counts wait for their arguments.
        assert!(parse_all(b"*2147483647\r\n").0.is_empty());
        assert!(parse_all(b"*1\r\n$536870912\r\n").0.is_empty());
    }

    #[test]
    fn inline_requests() {
        let (cmds, _) = parse_all(b"  \r\n\r\n\n PING\r\nset a \"\\x41\\x4\" \r\necho 'a\\'b'\nx\ty\r\r\n");
        assert_eq!(
            cmds,
            vec![
                Ok(vec![]),
                Ok(vec![]),
                Ok(vec![]),
                Ok(args(&[b"PING"])),
                Ok(args(&[b"set", b"a", b"Ax4"])),
                Ok(args(&[b"echo", b"a'b"])),
                Ok(args(&[b"x", b"y"])),
            ]
        );
        let (cmds, _) = parse_all(b"echo a\"b c\" \"\" '' \"\\n\\r\\t\\b\\a\\\\\\\"\\q\" a\x0bb \"a\"\x0b\n");
        assert_eq!(cmds, vec![Ok(args(&[b"echo", b"ab c", b"", b"", b"\n\r\t\x08\x07\\\"q", b"a\x0bb", b"a"]))]);
        let (cmds, _) = parse_all(b"a 'x\\\"y' \"\\xZZ\\x4a\"\n");
        assert_eq!(cmds, vec![Ok(args(&[b"a", b"x\\\"y", b"xZZJ"]))]);
    }

    #[test]
    fn limits_apply_at_their_edges() {
        let mut line = vec![b'a'; DEFAULT_MAX_INLINE_LEN];
        line.push(b'\n');
        assert_eq!(parse_all(&line).0.len(), 1);
        let mut line = vec![b'a'; DEFAULT_MAX_INLINE_LEN + 1];
        line.push(b'\n');
        assert_eq!(first_error(&line).as_deref(), Some("ERR Protocol error: too big inline request"));
        let lim = Limits { max_bulk_len: 3, max_inline_len: 10, max_multibulk_len: 2 };
        let mut p = Parser::new();
        let (mut s, mut sc) = (Vec::new(), Vec::new());
        assert_eq!(p.parse(b"*3\r\n", &lim, &mut s, &mut sc), Err(ProtoError::InvalidMultibulkLength));
        p.reset();
        assert_eq!(p.parse(b"*2\r\n$4\r\n", &lim, &mut s, &mut sc), Err(ProtoError::InvalidBulkLength));
        p.reset();
        assert_eq!(p.parse(b"*2\r\n$3\r\nabc\r\n$3\r\n", &lim, &mut s, &mut sc), Ok(Parsed::Incomplete));
    }

    #[test]
    fn incremental_parse_reports_big_bulk_needs() {
        let mut p = Parser::new();
        let lim = Limits::default();
        let (mut s, mut sc) = (Vec::new(), Vec::new());
        let head = b"*2\r\n$3\r\nSET\r\n$40000\r\n";
        assert_eq!(p.parse(head, &lim, &mut s, &mut sc), Ok(Parsed::Incomplete));
        assert_eq!(p.big_bulk_missing(head.len()), Some(40_002));
        assert_eq!(p.big_bulk_missing(head.len() + 2), Some(40_000));
        let mut full = head.to_vec();
        full.extend(std::iter::repeat_n(b'z', 40_000));
        full.extend_from_slice(b"\r\n");
        // The caller may hand in a fresh spans vector on resume.
        let mut s2 = Vec::new();
        assert_eq!(
            p.parse(&full, &lim, &mut s2, &mut sc),
            Ok(Parsed::Complete { consumed: full.len(), inline: false })
        );
        assert_eq!(s2, vec![(8, 11), (21, 40_021)]);
        assert_eq!(p.big_bulk_missing(0), None);
        assert!(!p.in_progress());
    }
}
