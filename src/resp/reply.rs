//! Reply encoders for RESP2 and RESP3.
//!
//! A [`Reply`] is the per-client output buffer plus the protocol version the client negotiated with `HELLO`.
//! Handlers never write protocol bytes themselves: they call the typed methods here, which pick the RESP2 or RESP3
//! form. Constant replies (`+OK`, `:0`, `:1`, nulls) are written from static byte strings.
//!
//! # Output limits while a reply is built
//! Redis checks `client-output-buffer-limit` each time a reply block is added and flags the client `CLOSE_ASAP`.
//! Here, before each command of a connection the server turns the limit that would close the client now (the
//! class's hard limit, or the soft one once its seconds have run out) into a buffer length, [`Reply::close_at`];
//! every encoder compares the buffer's length with it after appending (one comparison), and past it the reply is
//! cut: further appends are dropped as with `CLIENT REPLY OFF`, and after the command the client is logged,
//! flagged and freed without a write. KEYS and the negative-count SRANDMEMBER/HRANDFIELD/ZRANDMEMBER stop
//! generating once cut; other commands run to their end with nothing appended, so memory stays at the limit. The
//! count follows Redis's: the first 16 KiB of pending output stand for its static buffer, and a reply Redis sends
//! with a deferred length counts whole ([`Reply::deferred_len`]). Replicas' output (the stream) is limited where
//! it is fed, not here; pub/sub deliveries where they are published.

use crate::util::{fmt_double, itoa_buf};

/// The protocol version a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Resp2 = 2,
    Resp3 = 3,
}

/// Written bytes at the front of a reply buffer worth moving the rest down for (see [`Reply::consume`]).
const COMPACT_MIN_BYTES: usize = 64 * 1024;

/// One client's pending output, encoded.
#[derive(Debug)]
pub struct Reply {
    /// Encoded bytes not yet written to the socket. `sent` bytes at the front are already written.
    pub buf: Vec<u8>,
    /// How many bytes at the front of `buf` have been written already.
    pub sent: usize,
    pub proto: Proto,
    /// Errors emitted since the counter was last taken; the server folds them into `errorstats`.
    pub error_prefixes: Vec<[u8; 24]>,
    /// When false, encoders discard their output (`CLIENT REPLY OFF|SKIP`).
    pub enabled: bool,
    /// The text of the last error emitted while disabled (a master's commands get no replies, but an error
    /// among them is logged by the server).
    pub dropped_error: Option<Vec<u8>>,
    /// The reply buffer's size as Redis sizes its per-client static buffer (CLIENT LIST `rbs`, INFO's
    /// `reply_buffer_shrinks`/`expands`): 16 KiB at first, shrunk towards 1 KiB by the cron while replies stay
    /// small, doubled back while they fill it ([`Reply::resize_step`]). Our buffer is one growable vector (the
    /// cron frees an idle client's when it is over 16 KiB), so this is Redis's figure, kept by Redis's rule.
    pub rbs: usize,
    /// The most output that waited at once since the last reset, up to `rbs` (CLIENT LIST `rbp`).
    pub rbp: usize,
    /// When `rbp` was last reset (ms).
    pub rbp_reset_ms: i64,
    /// Output-limit watch while a command runs: once `buf` reaches this length the client is over the output limit
    /// that closes it (Redis checks `client-output-buffer-limit` each time a reply block is added), and the reply is
    /// cut ([`Reply::cut`]). [`usize::MAX`] = no watch. The server sets it around each command of a connection
    /// ([`Reply::watch_limit`]); on the hot path it costs one comparison per append.
    pub close_at: usize,
    /// The output passed `close_at`: nothing more is appended (encoders behave as with replies switched off) and
    /// the server closes the client without writing to it, as Redis does once a client is flagged `CLOSE_ASAP`.
    pub cut: bool,
    /// Where a reply of deferred length began ([`Reply::deferred_len`]); [`usize::MAX`] = none pending.
    deferred_at: usize,
}

/// Redis's reply-buffer bounds: `PROTO_REPLY_MIN_BYTES` and `PROTO_REPLY_CHUNK_BYTES`.
pub const REPLY_MIN_BYTES: usize = 1024;
pub const REPLY_CHUNK_BYTES: usize = 16 * 1024;

/// What one cron pass did to a client's reply buffer size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resize {
    None,
    Shrunk,
    Expanded,
}

impl Default for Reply {
    fn default() -> Self {
        Self::new()
    }
}

impl Reply {
    pub fn new() -> Self {
        Reply {
            buf: Vec::new(),
            sent: 0,
            proto: Proto::Resp2,
            error_prefixes: Vec::new(),
            enabled: true,
            dropped_error: None,
            rbs: REPLY_CHUNK_BYTES,
            // Redis starts a client's peak at its buffer's size; the first cron pass resets it.
            rbp: REPLY_CHUNK_BYTES,
            rbp_reset_ms: 0,
            close_at: usize::MAX,
            cut: false,
            deferred_at: usize::MAX,
        }
    }

    /// Where Redis's reply list would begin in `buf`: the pending bytes before it fit its 16 KiB static buffer and
    /// do not count against output-buffer limits; everything from a reply of deferred length on goes to the list.
    #[inline]
    pub fn list_start(&self) -> usize {
        (self.sent + REPLY_CHUNK_BYTES).min(self.deferred_at)
    }

    /// Pending bytes that count against `client-output-buffer-limit` (Redis's
    /// `getClientOutputBufferMemoryUsage`: the reply list, not the static buffer).
    #[inline]
    pub fn list_bytes(&self) -> usize {
        self.buf.len().saturating_sub(self.list_start())
    }

    /// Starts watching the output limit for a command: the reply is cut when the list bytes reach `limit_bytes`
    /// (0 = no limit). [`Reply::unwatch_limit`] ends it.
    #[inline]
    pub fn watch_limit(&mut self, limit_bytes: usize) {
        self.close_at = match limit_bytes {
            0 => usize::MAX,
            n => self.list_start().saturating_add(n),
        };
    }

    #[inline]
    pub fn unwatch_limit(&mut self) {
        self.close_at = usize::MAX;
    }

    /// A command whose length Redis writes after its elements (Redis's `addReplyDeferredLen`: KEYS, SMEMBERS)
    /// calls this before its header: Redis sends such a reply to its reply list even when its static buffer has
    /// room, so all of it counts against the output limit.
    #[inline]
    pub fn deferred_len(&mut self) {
        let at = self.buf.len();
        let start = self.list_start();
        if at < start {
            self.deferred_at = at;
            if self.close_at != usize::MAX {
                self.close_at -= start - at;
                self.check_limit();
            }
        }
    }

    /// Compares the buffer with the output-limit watch ([`Reply::close_at`]) after an append.
    #[inline(always)]
    fn check_limit(&mut self) {
        if self.buf.len() >= self.close_at {
            self.cut_off();
        }
    }

    #[cold]
    #[inline(never)]
    fn cut_off(&mut self) {
        self.cut = true;
        self.enabled = false;
        self.close_at = usize::MAX;
    }

    /// Whether the reply was cut at the output limit: commands that could build an unbounded reply (the random
    /// commands with a negative count, KEYS) stop generating it (Redis's loops check `CLIENT_CLOSE_ASAP`).
    #[inline]
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    /// Forgets a cut (for a client that is reused rather than closed: the script client, the test harness).
    pub fn clear_cut(&mut self) {
        self.cut = false;
        self.enabled = true;
        self.close_at = usize::MAX;
    }

    /// Caps the rest of this command's reply at `max_bytes` more bytes when no output limit watches it: the
    /// random commands with a negative count, whose reply is not bounded by the data, are cut there (and the
    /// client closed) instead of growing until the allocation fails.
    pub fn cap_unbounded(&mut self, max_bytes: usize) {
        if self.close_at == usize::MAX {
            self.close_at = self.buf.len().saturating_add(max_bytes);
        }
    }

    /// Records the output waiting now in the peak (called before each write).
    #[inline]
    pub fn note_peak(&mut self) {
        let waiting = self.pending_len().min(self.rbs);
        if waiting > self.rbp {
            self.rbp = waiting;
        }
    }

    /// One pass of Redis's `clientsCronResizeOutputBuffer`: shrink to the peak (at least 1 KiB) when the peak stayed
    /// under half the size, double (at most 16 KiB) when the peak filled it; then reset the peak every
    /// `peak_reset_ms` (negative: never) to what waits now. `resizing` false (DEBUG REPLYBUFFER RESIZING 0) only
    /// keeps the peak.
    pub fn resize_step(&mut self, now_ms: i64, peak_reset_ms: i64, resizing: bool) -> Resize {
        let mut done = Resize::None;
        if resizing {
            let (half, double) = (self.rbs / 2, self.rbs * 2);
            if half >= REPLY_MIN_BYTES && self.rbp < half {
                self.rbs = REPLY_MIN_BYTES.max(self.rbp + 1);
                done = Resize::Shrunk;
            } else if double < REPLY_CHUNK_BYTES * 2 && self.rbp == self.rbs {
                self.rbs = REPLY_CHUNK_BYTES.min(double);
                done = Resize::Expanded;
            }
        }
        if peak_reset_ms >= 0 && now_ms - self.rbp_reset_ms >= peak_reset_ms {
            self.rbp = self.pending_len().min(self.rbs);
            self.rbp_reset_ms = now_ms;
        }
        done
    }

    /// Bytes waiting to be written.
    #[inline]
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    #[inline]
    pub fn pending_len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Removes and returns what was added after the output was `pending` bytes long (nothing of it was written).
    pub fn take_tail(&mut self, pending: usize) -> Vec<u8> {
        let at = (self.sent + pending).min(self.buf.len());
        self.buf.split_off(at)
    }

    /// Marks `n` more bytes as written; resets the buffer when everything has gone out. A client that never fully
    /// catches up (a subscriber reading slower than messages arrive) would otherwise keep every byte ever sent at
    /// the front of `buf`: once the written part is large and at least half the buffer, it is dropped (the move
    /// costs at most what was written since the last one).
    ///
    /// Once everything is written, a buffer grown past `rbs` shrinks back to `rbs`, as Redis frees the reply-list blocks it
    /// wrote beyond its static buffer: the memory of a burst of output (invalidations of evicted keys, a big
    /// reply) must not keep counting against `maxmemory` after it went out.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        self.sent += n;
        if self.sent >= self.buf.len() {
            self.buf.clear();
            if self.buf.capacity() > self.rbs {
                self.buf.shrink_to(self.rbs);
            }
            self.sent = 0;
            self.deferred_at = usize::MAX;
        } else if self.sent >= COMPACT_MIN_BYTES && self.sent * 2 >= self.buf.len() {
            self.buf.drain(..self.sent);
            if self.deferred_at != usize::MAX {
                self.deferred_at = self.deferred_at.saturating_sub(self.sent);
            }
            self.sent = 0;
        }
    }

    #[inline]
    pub fn is_resp3(&self) -> bool {
        self.proto == Proto::Resp3
    }

    #[inline]
    fn raw(&mut self, bytes: &[u8]) {
        if self.enabled {
            self.buf.extend_from_slice(bytes);
            self.check_limit();
        }
    }

    /// Writes pre-encoded protocol bytes (used for MONITOR lines, shared replies, tests).
    #[inline]
    pub fn raw_bytes(&mut self, bytes: &[u8]) {
        self.raw(bytes)
    }

    #[inline]
    fn prefixed_len(&mut self, prefix: u8, n: i64) {
        if !self.enabled {
            return;
        }
        let mut tmp = [0u8; 24];
        let s = itoa_buf(n, &mut tmp);
        self.buf.reserve(s.len() + 3);
        self.buf.push(prefix);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
        self.check_limit();
    }

    /// `+OK`
    #[inline]
    pub fn ok(&mut self) {
        self.raw(b"+OK\r\n")
    }

    /// A simple string `+...`. `s` must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.simple_bytes(s.as_bytes())
    }

    pub fn simple_bytes(&mut self, s: &[u8]) {
        if !self.enabled {
            return;
        }
        self.buf.push(b'+');
        self.buf.extend(s.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        self.buf.extend_from_slice(b"\r\n");
        self.check_limit();
    }

    /// An error reply. `msg` is the whole text after the `-`, code word included: `ERR syntax error`,
    /// `WRONGTYPE ...`. A leading `-` is tolerated and dropped. CR and LF become spaces, as in Redis.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// [`error`](Self::error) of a text that need not be UTF-8 (a module's bytes, as RedisJSON's replies are).
    pub fn error_bytes(&mut self, bytes: &[u8]) {
        let has_code = bytes.first().is_some_and(|&b| b == b'-');
        let body = if has_code { &bytes[1..] } else { bytes };
        // Record the prefix (the first word) for errorstats even when replies are switched off.
        let word_end = body.iter().position(|&b| b == b' ').unwrap_or(body.len());
        let mut prefix = [0u8; 24];
        let n = word_end.min(prefix.len());
        prefix[..n].copy_from_slice(&body[..n]);
        self.error_prefixes.push(prefix);
        if !self.enabled {
            self.dropped_error = Some(body.to_vec());
            return;
        }
        self.buf.push(b'-');
        self.buf.extend(body.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        self.buf.extend_from_slice(b"\r\n");
        self.check_limit();
    }

    /// An integer reply `:n`.
    #[inline]
    pub fn int(&mut self, n: i64) {
        match n {
            0 => self.raw(b":0\r\n"),
            1 => self.raw(b":1\r\n"),
            _ => self.prefixed_len(b':', n),
        }
    }

    /// A bulk string.
    #[inline]
    pub fn bulk(&mut self, s: &[u8]) {
        if !self.enabled {
            return;
        }
        let len = s.len();
        // Short values dominate large replies (LRANGE, SMEMBERS...): their "$<len>\r\n" header is built without
        // the general itoa and with a single reservation for the whole frame.
        if len < 100 {
            let mut hdr = [b'$', 0, 0, b'\r', b'\n'];
            let hdr: &[u8] = if len < 10 {
                hdr[1] = b'0' + len as u8;
                hdr[2] = b'\r';
                hdr[3] = b'\n';
                &hdr[..4]
            } else {
                hdr[1] = b'0' + (len / 10) as u8;
                hdr[2] = b'0' + (len % 10) as u8;
                &hdr
            };
            self.buf.reserve(hdr.len() + len + 2);
            self.buf.extend_from_slice(hdr);
        } else {
            self.buf.reserve(len + 24);
            self.prefixed_len(b'$', len as i64);
        }
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
        self.check_limit();
    }

    /// A bulk string whose bytes `fill` appends to the vector it is given: they are written straight into the
    /// reply buffer (no buffer of their own), then moved right past the `$<len>` header once their length is
    /// known. For replies serialized from a structure (JSON.GET).
    pub fn bulk_with(&mut self, fill: impl FnOnce(&mut Vec<u8>)) {
        if !self.enabled {
            return;
        }
        let at = self.buf.len();
        fill(&mut self.buf);
        let len = self.buf.len() - at;
        let mut tmp = [0u8; 24];
        let digits = itoa_buf(len as i64, &mut tmp);
        let hdr = digits.len() + 3;
        self.buf.resize(at + len + hdr, 0);
        self.buf.copy_within(at..at + len, at + hdr);
        self.buf[at] = b'$';
        self.buf[at + 1..at + 1 + digits.len()].copy_from_slice(digits);
        self.buf[at + hdr - 2..at + hdr].copy_from_slice(b"\r\n");
        self.buf.extend_from_slice(b"\r\n");
        self.check_limit();
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_int(&mut self, n: i64) {
        let mut tmp = [0u8; 24];
        let s = itoa_buf(n, &mut tmp);
        self.bulk(s);
    }

    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn null(&mut self) {
        if self.is_resp3() {
            self.raw(b"_\r\n")
        } else {
            self.raw(b"$-1\r\n")
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn null_array(&mut self) {
        if self.is_resp3() {
            self.raw(b"_\r\n")
        } else {
            self.raw(b"*-1\r\n")
        }
    }

    /// An array header of `n` elements.
    #[inline]
    pub fn array(&mut self, n: usize) {
        self.prefixed_len(b'*', n as i64)
    }

    /// A map header of `n` key/value pairs: `%n` in RESP3, an array of `2n` in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.is_resp3() {
            self.prefixed_len(b'%', n as i64)
        } else {
            self.prefixed_len(b'*', 2 * n as i64)
        }
    }

    /// A set header: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        if self.is_resp3() {
            self.prefixed_len(b'~', n as i64)
        } else {
            self.prefixed_len(b'*', n as i64)
        }
    }

    /// A push header: `>n` in RESP3, an array in RESP2 (used by pub/sub and MONITOR-like feeds).
    pub fn push(&mut self, n: usize) {
        if self.is_resp3() {
            self.prefixed_len(b'>', n as i64)
        } else {
            self.prefixed_len(b'*', n as i64)
        }
    }

    /// A double: `,x` in RESP3, a bulk string in RESP2 (formatted as Redis's `%.17g`).
    pub fn double(&mut self, d: f64) {
        let s = fmt_double(d);
        if self.is_resp3() {
            let t = if d.is_infinite() {
                if d > 0.0 {
                    "inf".to_string()
                } else {
                    "-inf".to_string()
                }
            } else {
                s
            };
            if !self.enabled {
                return;
            }
            self.buf.push(b',');
            self.buf.extend_from_slice(t.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
            self.check_limit();
        } else {
            self.bulk(s.as_bytes())
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, b: bool) {
        match (self.is_resp3(), b) {
            (true, true) => self.raw(b"#t\r\n"),
            (true, false) => self.raw(b"#f\r\n"),
            (false, true) => self.raw(b":1\r\n"),
            (false, false) => self.raw(b":0\r\n"),
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2. `format` is three bytes, e.g. `txt`.
    pub fn verbatim(&mut self, format: &str, s: &[u8]) {
        if self.is_resp3() {
            if !self.enabled {
                return;
            }
            self.prefixed_len(b'=', (s.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(s);
            self.buf.extend_from_slice(b"\r\n");
            self.check_limit();
        } else {
            self.bulk(s)
        }
    }

    /// An array of bulk strings.
    pub fn bulk_array<'a, I: IntoIterator<Item = &'a [u8]>>(&mut self, items: I)
    where
        I::IntoIter: ExactSizeIterator,
    {
        let it = items.into_iter();
        self.array(it.len());
        for s in it {
            self.bulk(s);
        }
    }

    // Shared error texts, as Redis words them.
    pub fn err_syntax(&mut self) {
        self.error("ERR syntax error")
    }
    pub fn err_not_int(&mut self) {
        self.error("ERR value is not an integer or out of range")
    }
    pub fn err_not_float(&mut self) {
        self.error("ERR value is not a valid float")
    }
    pub fn err_wrongtype(&mut self) {
        self.error("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
    pub fn err_no_such_key(&mut self) {
        self.error("ERR no such key")
    }
    pub fn err_arity(&mut self, cmd: &str) {
        self.error(&format!("ERR wrong number of arguments for '{}' command", cmd.to_ascii_lowercase()))
    }
}

/// Appends one command as a RESP multibulk request (`*N`, then `$len` and the bytes of each argument): the form
/// the AOF and the replication stream carry.
pub fn encode_multibulk_into<'a>(out: &mut Vec<u8>, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
    let mut nb = [0u8; 24];
    out.push(b'*');
    out.extend_from_slice(crate::util::itoa_buf(argv.len() as i64, &mut nb));
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(crate::util::itoa_buf(a.len() as i64, &mut nb));
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_headers_at_digit_boundaries() {
        for len in [0usize, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 70_000] {
            let v = vec![b'a'; len];
            let mut r = Reply::new();
            r.bulk(&v);
            let mut want = format!("${len}\r\n").into_bytes();
            want.extend_from_slice(&v);
            want.extend_from_slice(b"\r\n");
            assert_eq!(r.pending(), &want[..], "len {len}");
        }
    }

    #[test]
    fn bulk_with_writes_what_bulk_writes() {
        for len in [0usize, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 70_000] {
            let v = vec![b'a'; len];
            let mut want = Reply::new();
            want.int(7);
            want.bulk(&v);
            let mut r = Reply::new();
            r.int(7);
            r.bulk_with(|out| out.extend_from_slice(&v));
            assert_eq!(r.pending(), want.pending(), "len {len}");
        }
    }

    #[test]
    fn resp2_and_resp3_nulls_differ() {
        let mut r = Reply::new();
        r.null();
        r.null_array();
        assert_eq!(r.pending(), b"$-1\r\n*-1\r\n");
        let mut r = Reply::new();
        r.proto = Proto::Resp3;
        r.null();
        r.map(2);
        r.double(1.5);
        r.boolean(true);
        assert_eq!(r.pending(), b"_\r\n%2\r\n,1.5\r\n#t\r\n");
    }

    #[test]
    fn errors_get_err_prefix_only_when_given() {
        let mut r = Reply::new();
        r.error("ERR syntax error");
        r.error("WRONGTYPE x");
        assert_eq!(r.pending(), b"-ERR syntax error\r\n-WRONGTYPE x\r\n");
        assert_eq!(&r.error_prefixes[1][..9], b"WRONGTYPE");
    }

    #[test]
    fn consume_resets_buffer() {
        let mut r = Reply::new();
        r.bulk(b"hello");
        assert_eq!(r.pending(), b"$5\r\nhello\r\n");
        r.consume(4);
        assert_eq!(r.pending(), b"hello\r\n");
        r.consume(7);
        assert!(r.buf.is_empty());
        assert_eq!(r.sent, 0);
    }

    #[test]
    fn output_limit_cuts_the_reply_and_drops_the_rest() {
        let mut r = Reply::new();
        r.raw_bytes(&[b'x'; 1000]);
        // 16 KiB stand for Redis's static buffer: the limit counts what lies beyond.
        r.watch_limit(100);
        assert_eq!(r.close_at, 1000 + REPLY_CHUNK_BYTES - 1000 + 100);
        r.raw_bytes(&vec![b'y'; REPLY_CHUNK_BYTES - 1000 + 99]);
        assert!(!r.is_cut());
        r.bulk(b"z");
        assert!(r.is_cut());
        let len = r.pending_len();
        r.bulk(b"dropped");
        r.int(7);
        r.error("ERR dropped too");
        assert_eq!(r.pending_len(), len);
        r.clear_cut();
        r.int(7);
        assert_eq!(r.pending_len(), len + 4);
        // No limit: no watch.
        let mut r = Reply::new();
        r.watch_limit(0);
        r.raw_bytes(&vec![b'x'; 1 << 20]);
        assert!(!r.is_cut());
    }

    #[test]
    fn deferred_length_replies_count_whole() {
        let mut r = Reply::new();
        r.raw_bytes(b"+OK\r\n");
        r.watch_limit(1000);
        assert_eq!(r.list_bytes(), 0);
        r.deferred_len();
        assert_eq!(r.close_at, 5 + 1000);
        r.array(3);
        assert_eq!(r.list_bytes(), 4);
        r.raw_bytes(&[b'x'; 995]);
        assert!(!r.is_cut());
        r.raw_bytes(b"x");
        assert!(r.is_cut());
        // Once everything is written the static buffer takes replies again.
        r.clear_cut();
        let n = r.pending_len();
        r.consume(n);
        r.raw_bytes(b"+OK\r\n");
        assert_eq!(r.list_bytes(), 0);
    }

    #[test]
    fn unbounded_replies_are_capped_without_a_limit() {
        let mut r = Reply::new();
        r.raw_bytes(b"+OK\r\n");
        r.cap_unbounded(50);
        for _ in 0..20 {
            r.bulk(b"abc");
        }
        assert!(r.is_cut());
        assert!(r.pending_len() >= 55 && r.pending_len() < 64, "{}", r.pending_len());
        // A limit that is watched already is not replaced.
        let mut r = Reply::new();
        r.watch_limit(10);
        let at = r.close_at;
        r.cap_unbounded(1 << 30);
        assert_eq!(r.close_at, at);
    }

    #[test]
    fn consume_drops_a_large_written_prefix() {
        let mut r = Reply::new();
        r.raw_bytes(&vec![b'a'; COMPACT_MIN_BYTES]);
        r.raw_bytes(b"tail");
        r.consume(COMPACT_MIN_BYTES - 1);
        assert_eq!(r.sent, COMPACT_MIN_BYTES - 1);
        r.consume(1);
        assert_eq!(r.sent, 0);
        assert_eq!(r.pending(), b"tail");
    }
}
