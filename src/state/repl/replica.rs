//! The replica's link to its master until it becomes the master client: Redis 7.0's handshake and the RDB
//! transfer, as a state machine over the bytes read (the server does the socket I/O on the event loop, so nothing
//! here blocks).
//!
//! ```text
//!  connected ─▶ PING ─▶ +PONG (or -NOAUTH) ─▶ [AUTH] REPLCONF listening-port [REPLCONF ip-address]
//!            REPLCONF capa eof capa psync2 (one write) ─▶ one reply each ─▶ PSYNC <replid> <offset+1> | PSYNC ? -1
//!  ─▶ +CONTINUE [replid] ─────────────────────────────────────────────▶ Continue (the socket carries the stream)
//!  ─▶ +FULLRESYNC <replid> <offset> ─▶ ["\n" keepalives] ─▶ $<len>\r\n<len bytes>
//!                                                       or $EOF:<40 byte mark>\r\n<bytes…><mark>  ─▶ BulkStart
//! ```
//!
//! After `BulkStart` the server picks where the payload goes (`repl-diskless-load`): to a file, through
//! [`MasterLink::drain_payload`] as bytes arrive (never more than one read's worth in memory), or straight into
//! the RDB loader through a [`PayloadReader`] over the socket.
//!
//! Invariants: `inbuf` holds bytes read and not yet understood; after `Continue` or the end of the payload
//! whatever is left in it is the start of the command stream; `tail` (EOF transfers to a file) holds the last
//! received bytes, fewer than the mark's length, that could still be the start of the mark. Input is bounded: a
//! reply line longer than 64 KiB fails the link.
//!
//! Tested by the unit tests below (byte-level handshake, both transfer formats split at every byte, the socket
//! reader's limits and leftovers) and end to end by tests/replication/replication.rs and
//! tests/replication/replication_load.rs against Redis 7.0.

use crate::net::conn::Conn;
use std::io::{self, BufRead, Read, Write};
use std::os::fd::{AsRawFd, RawFd};

/// Longest handshake reply line accepted.
const MAX_LINE: usize = 64 * 1024;
/// Length of the EOF mark of a diskless transfer (`RDB_EOF_MARK_SIZE`).
pub const EOF_MARK_SIZE: usize = 40;

/// Where the handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the non-blocking connect to finish.
    Connecting,
    ReceivePong,
    ReceiveAuth,
    ReceivePort,
    ReceiveIp,
    ReceiveCapa,
    ReceivePsync,
    /// Between `+FULLRESYNC` and the bulk header.
    TransferHeader,
    TransferBody,
}

/// What the handshake sends, fixed when the link starts.
#[derive(Debug, Clone, Default)]
pub struct HandshakeConfig {
    pub masteruser: Option<String>,
    pub masterauth: Option<String>,
    pub listening_port: u16,
    pub announce_ip: Option<String>,
    /// `PSYNC <replid> <offset>` arguments: our history, or ("?", -1).
    pub psync_replid: String,
    pub psync_offset: i64,
    /// FAILOVER hands our role to this master: `PSYNC <replid> <offset> FAILOVER`.
    pub failover: bool,
}

/// What the link asks of the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing more to do until more input arrives.
    NeedInput,
    /// The master accepted a partial resync; `Some(id)`: its replication ID changed to `id`.
    Continue(Option<String>),
    /// A full resync begins (log and INFO only; the payload follows).
    FullResync { replid: String, offset: i64 },
    /// The payload's header was read (`bulk_len` or `eof_mark` is set): the server chooses its destination.
    BulkStart,
    /// Payload bytes are waiting in `inbuf` (see [`MasterLink::drain_payload`]).
    Body,
    /// The link must be dropped and tried again later, with this log line.
    Fail(String),
}

/// The connection to the master during handshake and transfer.
#[derive(Debug)]
pub struct MasterLink {
    /// The socket, over TLS with `tls-replication yes`.
    pub sock: Conn,
    pub phase: Phase,
    pub cfg: HandshakeConfig,
    /// Bytes read, not yet consumed.
    pub inbuf: Vec<u8>,
    /// Bytes to write to the master.
    pub out: Vec<u8>,
    /// Declared payload size (`$<len>`), or the EOF mark.
    pub bulk_len: Option<usize>,
    pub eof_mark: Option<Vec<u8>>,
    /// Payload bytes received so far (the mark excluded once found).
    pub received: u64,
    /// EOF transfers: bytes held back because they may be the beginning of the mark (fewer than its length).
    tail: Vec<u8>,
    /// Where a payload received to disk goes: the temp file and its path.
    pub transfer_file: Option<TempFile>,
    /// The FULLRESYNC's id and offset.
    pub full: Option<(String, i64)>,
    /// Last time anything was read (ms).
    pub last_io_ms: i64,
    /// Bytes taken from the socket as payload, the EOF mark included (Redis's `repl_transfer_read`).
    pub payload_read: u64,
    /// Bytes of handshake replies consumed since the server last took the count: they are not replication
    /// traffic (Redis reads them with its synchronous line reader, outside `total_net_repl_input_bytes`).
    pub handshake_bytes: u64,
}

/// The temp file a payload received to disk goes to. Dropped before [`TempFile::keep`], it is deleted: a
/// transfer that did not finish leaves nothing behind (Redis's `replicationAbortSyncTransfer`).
#[derive(Debug)]
pub struct TempFile(Option<(std::fs::File, std::path::PathBuf)>);

impl TempFile {
    pub fn new(file: std::fs::File, path: std::path::PathBuf) -> TempFile {
        TempFile(Some((file, path)))
    }

    pub fn file(&mut self) -> Option<&mut std::fs::File> {
        self.0.as_mut().map(|(f, _)| f)
    }

    /// The file and its path, no longer deleted on drop.
    pub fn keep(mut self) -> Option<(std::fs::File, std::path::PathBuf)> {
        self.0.take()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some((_, path)) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    crate::resp::encode_command(out, argv);
}

impl MasterLink {
    pub fn new(sock: Conn, cfg: HandshakeConfig, now_ms: i64) -> MasterLink {
        MasterLink {
            sock,
            phase: Phase::Connecting,
            cfg,
            inbuf: Vec::new(),
            out: Vec::new(),
            bulk_len: None,
            eof_mark: None,
            received: 0,
            tail: Vec::new(),
            transfer_file: None,
            full: None,
            last_io_ms: now_ms,
            handshake_bytes: 0,
            payload_read: 0,
        }
    }

    /// The connect finished: the first PING goes out.
    pub fn connected(&mut self) {
        command(&mut self.out, &[b"PING"]);
        self.phase = Phase::ReceivePong;
    }

    /// Bytes of the payload read and expected, as Redis 7.0's INFO master_sync_* fields show them: expected is
    /// the `$<len>`, 0 for an EOF-marked transfer, -1 before the header arrived.
    pub fn transfer_progress(&self) -> (u64, i64) {
        let total = match (self.bulk_len, &self.eof_mark) {
            (Some(n), _) => n as i64,
            (None, Some(_)) => 0,
            (None, None) => -1,
        };
        (self.payload_read, total)
    }

    /// Takes one line (without CR LF) off the input, if a whole one is there.
    fn line(&mut self) -> Result<Option<Vec<u8>>, String> {
        match memchr::memchr(b'\n', &self.inbuf) {
            Some(i) => {
                if !matches!(self.phase, Phase::TransferHeader | Phase::TransferBody) {
                    self.handshake_bytes += i as u64 + 1;
                }
                let mut l: Vec<u8> = self.inbuf.drain(..=i).collect();
                l.pop();
                if l.last() == Some(&b'\r') {
                    l.pop();
                }
                Ok(Some(l))
            }
            None if self.inbuf.len() > MAX_LINE => Err("Master sent a reply line that is too long".into()),
            None => Ok(None),
        }
    }

    fn send_handshake(&mut self) {
        let c = self.cfg.clone();
        if let Some(pass) = &c.masterauth {
            match &c.masteruser {
                Some(u) => command(&mut self.out, &[b"AUTH", u.as_bytes(), pass.as_bytes()]),
                None => command(&mut self.out, &[b"AUTH", pass.as_bytes()]),
            }
        }
        let port = c.listening_port.to_string();
        command(&mut self.out, &[b"REPLCONF", b"listening-port", port.as_bytes()]);
        if let Some(ip) = &c.announce_ip {
            command(&mut self.out, &[b"REPLCONF", b"ip-address", ip.as_bytes()]);
        }
        command(&mut self.out, &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]);
        self.phase = if c.masterauth.is_some() { Phase::ReceiveAuth } else { Phase::ReceivePort };
    }

    fn after_port(&mut self) {
        self.phase = if self.cfg.announce_ip.is_some() { Phase::ReceiveIp } else { Phase::ReceiveCapa };
    }

    fn send_psync(&mut self) {
        let off = self.cfg.psync_offset.to_string();
        let id = self.cfg.psync_replid.clone();
        if self.cfg.failover {
            command(&mut self.out, &[b"PSYNC", id.as_bytes(), off.as_bytes(), b"FAILOVER"]);
        } else {
            command(&mut self.out, &[b"PSYNC", id.as_bytes(), off.as_bytes()]);
        }
        self.phase = Phase::ReceivePsync;
    }

    /// Advances over the buffered input; call again until it returns [`Event::NeedInput`].
    pub fn advance(&mut self) -> Event {
        match self.step() {
            Ok(e) => e,
            Err(msg) => Event::Fail(msg),
        }
    }

    fn step(&mut self) -> Result<Event, String> {
        loop {
            match self.phase {
                Phase::Connecting => return Ok(Event::NeedInput),
                Phase::TransferBody => {
                    // A `$0` payload is complete before any byte arrives.
                    let done = self.bulk_len.is_some_and(|n| n as u64 == self.received);
                    return Ok(if self.inbuf.is_empty() && !done { Event::NeedInput } else { Event::Body });
                }
                _ => {}
            }
            let Some(line) = self.line()? else { return Ok(Event::NeedInput) };
            let text = String::from_utf8_lossy(&line).into_owned();
            match self.phase {
                Phase::ReceivePong => {
                    // Only these errors are fine here: the AUTH that follows settles them.
                    if text.starts_with('-')
                        && !text.starts_with("-NOAUTH")
                        && !text.starts_with("-NOPERM")
                        && !text.starts_with("-ERR operation not permitted")
                    {
                        return Err(format!("Error reply to PING from master: '{text}'"));
                    }
                    crate::log_notice!("Master replied to PING, replication can continue...");
                    self.send_handshake();
                }
                Phase::ReceiveAuth => {
                    if text.starts_with('-') {
                        return Err(format!("Unable to AUTH to MASTER: {text}"));
                    }
                    self.phase = Phase::ReceivePort;
                }
                Phase::ReceivePort => {
                    if text.starts_with('-') {
                        crate::log_notice!("(Non critical) Master does not understand REPLCONF listening-port: {text}");
                    }
                    self.after_port();
                }
                Phase::ReceiveIp => {
                    if text.starts_with('-') {
                        crate::log_notice!("(Non critical) Master does not understand REPLCONF ip-address: {text}");
                    }
                    self.phase = Phase::ReceiveCapa;
                }
                Phase::ReceiveCapa => {
                    if text.starts_with('-') {
                        crate::log_notice!("(Non critical) Master does not understand REPLCONF capa: {text}");
                    }
                    if self.cfg.psync_replid == "?" {
                        crate::log_notice!("Partial resynchronization not possible (no cached master)");
                    } else {
                        crate::log_notice!(
                            "Trying a partial resynchronization (request {}:{}).",
                            self.cfg.psync_replid,
                            self.cfg.psync_offset
                        );
                    }
                    self.send_psync();
                }
                Phase::ReceivePsync => {
                    if let Some(e) = self.psync_reply(&text)? {
                        return Ok(e);
                    }
                }
                Phase::TransferHeader => {
                    if let Some(e) = self.bulk_header(&text)? {
                        return Ok(e);
                    }
                }
                // Handled before a line is taken.
                Phase::Connecting | Phase::TransferBody => return Ok(Event::NeedInput),
            }
        }
    }

    /// The master's reply to PSYNC (Redis's `slaveTryPartialResynchronization`, read part): `+FULLRESYNC`,
    /// `+CONTINUE` or an error; `None` for a keepalive newline.
    fn psync_reply(&mut self, text: &str) -> Result<Option<Event>, String> {
        // The master may send newlines while it prepares the RDB.
        if text.is_empty() {
            return Ok(None);
        }
        if let Some(rest) = text.strip_prefix("+FULLRESYNC") {
            let mut it = rest.split_whitespace();
            let (Some(id), Some(off)) = (it.next(), it.next().and_then(|o| o.parse::<i64>().ok())) else {
                return Err("Master replied with wrong +FULLRESYNC syntax.".into());
            };
            if id.len() != 40 {
                return Err("Master replied with wrong +FULLRESYNC syntax.".into());
            }
            crate::log_notice!("Full resync from master: {id}:{off}");
            self.full = Some((id.to_string(), off));
            self.phase = Phase::TransferHeader;
            return Ok(Some(Event::FullResync { replid: id.to_string(), offset: off }));
        }
        if let Some(rest) = text.strip_prefix("+CONTINUE") {
            crate::log_notice!("Successful partial resynchronization with master.");
            let id = rest.trim();
            return Ok(Some(Event::Continue((id.len() == 40).then(|| id.to_string()))));
        }
        if text.starts_with("-NOMASTERLINK") || text.starts_with("-LOADING") {
            return Err(format!("Master is currently unable to PSYNC but should be in the future: {text}"));
        }
        Err(format!("Unexpected reply to PSYNC from master: {text}"))
    }

    /// The line that starts the RDB payload: `$<len>` or `$EOF:<mark>` (Redis's `readSyncBulkPayload`, first
    /// call); `None` for a keepalive newline.
    fn bulk_header(&mut self, text: &str) -> Result<Option<Event>, String> {
        if text.is_empty() {
            // Keepalive while the master's BGSAVE runs.
            return Ok(None);
        }
        if let Some(e) = text.strip_prefix('-') {
            return Err(format!("MASTER aborted replication with an error: {e}"));
        }
        let Some(spec) = text.strip_prefix('$') else {
            return Err(format!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{text}'), are you \
                 sure the host and port are right?"
            ));
        };
        if let Some(mark) = spec.strip_prefix("EOF:") {
            if mark.len() != EOF_MARK_SIZE {
                return Err("Bad EOF mark from MASTER".into());
            }
            self.eof_mark = Some(mark.as_bytes().to_vec());
        } else {
            let n = spec.parse::<usize>().map_err(|_| format!("Bad bulk length from MASTER: {text}"))?;
            self.bulk_len = Some(n);
        }
        self.phase = Phase::TransferBody;
        Ok(Some(Event::BulkStart))
    }

    /// Writes the payload bytes buffered so far to `out`; true once the whole payload was written (the declared
    /// length reached, or the EOF mark found: the mark itself is not written). What follows the payload stays in
    /// `inbuf`: the start of the command stream.
    pub fn drain_payload(&mut self, out: &mut impl Write) -> io::Result<bool> {
        if let Some(n) = self.bulk_len {
            let want = (n as u64 - self.received.min(n as u64)) as usize;
            let take = want.min(self.inbuf.len());
            out.write_all(&self.inbuf[..take])?;
            self.inbuf.drain(..take);
            self.payload_read += take as u64;
            self.received += take as u64;
            return Ok(self.received == n as u64);
        }
        let Some(mark) = self.eof_mark.as_deref() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no transfer in progress"));
        };
        // The mark may straddle what was held back and what just came: look at the seam first.
        let mut seam = self.tail.clone();
        seam.extend_from_slice(&self.inbuf[..self.inbuf.len().min(EOF_MARK_SIZE - 1)]);
        if let Some(i) = memchr::memmem::find(&seam, mark) {
            // The mark starts inside the held-back bytes (a whole mark cannot fit in the inbuf part of the seam).
            out.write_all(&self.tail[..i])?;
            self.received += i as u64;
            let used = i + EOF_MARK_SIZE - self.tail.len();
            self.inbuf.drain(..used);
            self.payload_read += used as u64;
            self.tail.clear();
            return Ok(true);
        }
        if let Some(i) = memchr::memmem::find(&self.inbuf, mark) {
            out.write_all(&self.tail)?;
            out.write_all(&self.inbuf[..i])?;
            self.received += (self.tail.len() + i) as u64;
            self.tail.clear();
            self.inbuf.drain(..i + EOF_MARK_SIZE);
            self.payload_read += (i + EOF_MARK_SIZE) as u64;
            return Ok(true);
        }
        // No mark yet: everything but the last (mark length - 1) bytes is payload for sure.
        let keep = EOF_MARK_SIZE - 1;
        if self.inbuf.len() >= keep {
            let cut = self.inbuf.len() - keep;
            out.write_all(&self.tail)?;
            out.write_all(&self.inbuf[..cut])?;
            self.received += (self.tail.len() + cut) as u64;
            self.tail.clear();
            self.tail.extend_from_slice(&self.inbuf[cut..]);
        } else {
            self.tail.extend_from_slice(&self.inbuf);
            let cut = self.tail.len().saturating_sub(keep);
            out.write_all(&self.tail[..cut])?;
            self.received += cut as u64;
            self.tail.drain(..cut);
        }
        self.payload_read += self.inbuf.len() as u64;
        self.inbuf.clear();
        Ok(false)
    }
}

/// The payload as the RDB loader's input, read straight from the link socket (`repl-diskless-load`
/// `on-empty-db` / `swapdb`): first the bytes already buffered by the handshake, then the socket, waiting up to
/// `timeout_ms` for each read (as Redis's blocking socket read with `repl-timeout`). A `$<len>` payload is
/// never read past its end; an EOF transfer reads freely, and whatever follows the mark is handed back by
/// [`PayloadReader::into_leftover`] as the beginning of the stream.
///
/// The optional idle hook ([`PayloadReader::with_idle`]) gets the bytes consumed so far whenever another
/// `every` bytes were consumed and, while the socket has nothing, at least every [`IDLE_SLICE_MS`]: the server
/// serves its clients there (Redis serves none while its replica waits for the master's bytes).
pub struct PayloadReader<'h> {
    fd: RawFd,
    /// The link's connection when the payload comes through it (its TLS session's plaintext); else `fd` is read.
    conn: Option<&'h mut Conn>,
    buf: Vec<u8>,
    pos: usize,
    /// End of the part of `buf` handed out (`pos <= end <= buf.len()`): at most `window` bytes at a time, so the
    /// idle hook also runs while a large buffered part is consumed.
    end: usize,
    /// How much of `buf` is handed out at a time: a read's worth, or the idle hook's interval when smaller (so
    /// that the hook runs that often, as Redis serves clients every `loading-process-events-interval-bytes`).
    window: usize,
    /// `$<len>` payloads: bytes not yet fetched into `buf`.
    left: Option<u64>,
    timeout_ms: i32,
    /// Bytes read from the socket (replication input traffic).
    pub socket_bytes: u64,
    /// Last time the socket gave bytes (ms).
    pub last_io_ms: i64,
    /// Bytes handed to the consumer.
    consumed: u64,
    /// The idle hook and how many consumed bytes apart it runs.
    idle: Option<(IdleHook<'h>, u64)>,
    idle_at: u64,
}

/// See [`PayloadReader::with_idle`].
type IdleHook<'h> = Box<dyn FnMut(u64) + 'h>;

/// Bytes fetched from the socket at a time.
const READER_CHUNK: usize = 64 * 1024;
/// Longest wait on a silent socket between two calls of the idle hook.
pub const IDLE_SLICE_MS: i32 = 100;

impl<'h> PayloadReader<'h> {
    /// A reader over `fd` (the link's socket, non-blocking) that first yields `buffered`.
    pub fn new(fd: RawFd, buffered: Vec<u8>, bulk_len: Option<usize>, timeout_ms: i32) -> PayloadReader<'h> {
        let mut buf = buffered;
        let left = bulk_len.map(|n| {
            let n = n as u64;
            // What was buffered beyond the payload is the stream's start: it stays for `into_leftover`.
            n.saturating_sub(buf.len() as u64)
        });
        buf.reserve(READER_CHUNK);
        let end = buf.len().min(READER_CHUNK);
        PayloadReader {
            fd,
            conn: None,
            buf,
            pos: 0,
            end,
            window: READER_CHUNK,
            left,
            timeout_ms,
            socket_bytes: 0,
            last_io_ms: crate::util::now_ms(),
            consumed: 0,
            idle: None,
            idle_at: 0,
        }
    }

    /// [`PayloadReader::new`] over the link's connection: through its TLS session when it has one (whose
    /// plaintext already opened is handed out before the socket is waited on).
    pub fn over(conn: &'h mut Conn, buffered: Vec<u8>, bulk_len: Option<usize>, timeout_ms: i32) -> PayloadReader<'h> {
        let mut r = PayloadReader::new(conn.as_raw_fd(), buffered, bulk_len, timeout_ms);
        r.conn = Some(conn);
        r
    }

    /// Calls `hook(consumed bytes)` every `every` consumed bytes and while waiting for the socket.
    pub fn with_idle(mut self, every: u64, hook: impl FnMut(u64) + 'h) -> PayloadReader<'h> {
        self.idle = Some((Box::new(hook), every.max(1)));
        self.window = usize::try_from(every).unwrap_or(READER_CHUNK).clamp(1, READER_CHUNK);
        self.end = self.end.min(self.pos + self.window);
        self
    }

    fn run_idle(&mut self) {
        if let Some((hook, _)) = self.idle.as_mut() {
            self.idle_at = self.consumed;
            hook(self.consumed);
        }
    }

    /// Waits for the socket to be readable, up to the timeout, calling the idle hook meanwhile. False on timeout.
    fn wait(&mut self) -> io::Result<bool> {
        if self.idle.is_none() {
            return crate::sys::socket::wait_readable(self.fd, self.timeout_ms);
        }
        let start = crate::util::now_ms();
        loop {
            let waited = crate::util::now_ms() - start;
            if waited >= self.timeout_ms as i64 {
                return Ok(false);
            }
            let slice = (self.timeout_ms as i64 - waited).min(IDLE_SLICE_MS as i64) as i32;
            if crate::sys::socket::wait_readable(self.fd, slice)? {
                return Ok(true);
            }
            self.run_idle();
        }
    }

    /// Reads exactly the EOF mark's length and tells whether it is `mark`.
    pub fn check_mark(&mut self, mark: &[u8]) -> io::Result<bool> {
        let mut got = [0u8; EOF_MARK_SIZE];
        self.read_exact(&mut got)?;
        Ok(got[..] == *mark)
    }

    /// Bytes read but not consumed: what followed the payload. Over TLS, with the plaintext the session already
    /// opened (and whatever the socket has now): the event loop only looks at the socket, so none may stay there.
    pub fn into_leftover(mut self) -> Vec<u8> {
        self.buf.drain(..self.pos);
        if let Some(c) = self.conn.take().filter(|c| c.is_tls()) {
            let mut chunk = [0u8; 16 * 1024];
            while let Ok(n) = c.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                self.buf.extend_from_slice(&chunk[..n]);
            }
        }
        self.buf
    }
}

impl Read for PayloadReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for PayloadReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            if self.idle.as_ref().is_some_and(|(_, every)| self.consumed >= self.idle_at + every) {
                self.run_idle();
            }
            if self.end < self.buf.len() {
                self.end = self.buf.len().min(self.pos + self.window);
                return Ok(&self.buf[self.pos..self.end]);
            }
            if self.left == Some(0) {
                // The declared payload is all consumed: an end of file for the loader.
                return Ok(&[]);
            }
            self.buf.clear();
            self.pos = 0;
            self.end = 0;
            let want = self.left.map_or(READER_CHUNK, |l| (l as usize).min(READER_CHUNK));
            self.buf.resize(want, 0);
            let n = loop {
                let got = match self.conn.as_deref_mut() {
                    Some(c) => c.read(&mut self.buf),
                    None => crate::sys::socket::read(self.fd, &mut self.buf),
                };
                match got {
                    Ok(0) => {
                        self.buf.clear();
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection lost"));
                    }
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if !self.wait()? {
                            self.buf.clear();
                            return Err(io::Error::new(io::ErrorKind::TimedOut, "timeout"));
                        }
                    }
                    Err(e) => {
                        self.buf.clear();
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(n);
            self.end = n.min(self.window);
            self.socket_bytes += n as u64;
            self.last_io_ms = crate::util::now_ms();
            if let Some(l) = self.left.as_mut() {
                *l -= n as u64;
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.end - self.pos);
        self.pos += amt;
        self.consumed += amt as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(cfg: HandshakeConfig) -> MasterLink {
        let (a, _b) = crate::sys::process::pipe().unwrap();
        MasterLink::new(Conn::plain(a), cfg, 0)
    }

    fn cfg() -> HandshakeConfig {
        HandshakeConfig { listening_port: 7001, psync_replid: "?".into(), psync_offset: -1, ..Default::default() }
    }

    /// What the tests see: the link's events, and the whole payload once drained (as a file would get it).
    #[derive(Debug, PartialEq)]
    enum Seen {
        Ev(Event),
        Payload(Vec<u8>),
    }

    fn feed_into(l: &mut MasterLink, bytes: &[u8], file: &mut Vec<u8>) -> Vec<Seen> {
        l.inbuf.extend_from_slice(bytes);
        let mut v = Vec::new();
        loop {
            match l.advance() {
                Event::NeedInput => return v,
                Event::Body => {
                    if l.drain_payload(file).unwrap() {
                        v.push(Seen::Payload(std::mem::take(file)));
                        return v;
                    }
                }
                e => {
                    let stop = matches!(e, Event::Fail(_) | Event::Continue(_));
                    v.push(Seen::Ev(e));
                    if stop {
                        return v;
                    }
                }
            }
        }
    }

    fn feed(l: &mut MasterLink, bytes: &[u8]) -> Vec<Seen> {
        feed_into(l, bytes, &mut Vec::new())
    }

    #[test]
    fn handshake_bytes_match_redis() {
        let mut l = link(HandshakeConfig { masterauth: Some("pw".into()), ..cfg() });
        l.connected();
        assert_eq!(l.out, b"*1\r\n$4\r\nPING\r\n");
        l.out.clear();
        assert!(feed(&mut l, b"-NOAUTH Authentication required.\r\n").is_empty());
        assert_eq!(
            String::from_utf8(l.out.clone()).unwrap(),
            "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n7001\r\n\
             *5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n"
        );
        l.out.clear();
        assert!(feed(&mut l, b"+OK\r\n+OK\r\n+OK\r\n").is_empty());
        assert_eq!(l.out, b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n");
        let id = "a".repeat(40);
        let ev = feed(&mut l, format!("\n\n+FULLRESYNC {id} 77\r\n\n$5\r\nREDIS*1\r\n").as_bytes());
        assert_eq!(
            ev,
            vec![
                Seen::Ev(Event::FullResync { replid: id, offset: 77 }),
                Seen::Ev(Event::BulkStart),
                Seen::Payload(b"REDIS".to_vec())
            ]
        );
        assert_eq!(l.inbuf, b"*1\r\n");
    }

    #[test]
    fn bad_auth_and_bad_ping_fail() {
        let mut l = link(HandshakeConfig { masterauth: Some("pw".into()), ..cfg() });
        l.connected();
        assert!(matches!(feed(&mut l, b"-ERR something\r\n")[..], [Seen::Ev(Event::Fail(_))]));
        let mut l = link(HandshakeConfig { masterauth: Some("pw".into()), ..cfg() });
        l.connected();
        feed(&mut l, b"+PONG\r\n");
        assert!(matches!(feed(&mut l, b"-WRONGPASS invalid\r\n")[..], [Seen::Ev(Event::Fail(_))]));
    }

    #[test]
    fn eof_transfer_split_at_every_byte() {
        let mark = "0123456789abcdef0123456789abcdef01234567";
        let id = "b".repeat(40);
        let payload = b"REDIS0010 some rdb bytes \x00\xff";
        let mut wire = format!("+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC {id} 5\r\n$EOF:{mark}\r\n").into_bytes();
        wire.extend_from_slice(payload);
        wire.extend_from_slice(mark.as_bytes());
        wire.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        for split in 0..wire.len() {
            let mut l = link(cfg());
            l.connected();
            let mut file = Vec::new();
            let mut ev = feed_into(&mut l, &wire[..split], &mut file);
            if matches!(ev.last(), Some(Seen::Payload(_))) {
                l.inbuf.extend_from_slice(&wire[split..]);
            } else {
                ev.extend(feed_into(&mut l, &wire[split..], &mut file));
            }
            assert_eq!(ev.last(), Some(&Seen::Payload(payload.to_vec())), "split {split}");
            assert_eq!(l.received, payload.len() as u64);
            assert_eq!(l.inbuf, b"*1\r\n$4\r\nPING\r\n", "split {split}");
        }
    }

    #[test]
    fn eof_transfer_in_small_pieces() {
        // Every read smaller than the mark: the held-back bytes carry the mark across many reads.
        let mark = "m".repeat(EOF_MARK_SIZE);
        let payload: Vec<u8> = (0..500u32).map(|i| (i % 251) as u8).collect();
        for piece in [1usize, 3, 17, 39, 40, 41] {
            let mut l = link(cfg());
            l.connected();
            let mut file = Vec::new();
            let head = format!("+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC {} 5\r\n$EOF:{mark}\r\n", "b".repeat(40));
            feed_into(&mut l, head.as_bytes(), &mut file);
            let mut wire = payload.clone();
            wire.extend_from_slice(mark.as_bytes());
            wire.extend_from_slice(b"+x");
            let mut got = None;
            for chunk in wire.chunks(piece) {
                if got.is_some() {
                    l.inbuf.extend_from_slice(chunk);
                    continue;
                }
                for s in feed_into(&mut l, chunk, &mut file) {
                    if let Seen::Payload(p) = s {
                        got = Some(p);
                    }
                }
            }
            assert_eq!(got.as_deref(), Some(&payload[..]), "piece {piece}");
            assert_eq!(l.inbuf, b"+x", "piece {piece}");
        }
    }

    #[test]
    fn payload_reader_limits_and_leftovers() {
        use std::os::fd::AsRawFd;
        let (r, w) = crate::sys::process::pipe().unwrap();
        crate::sys::socket::set_nonblocking_cloexec(r.as_raw_fd()).unwrap();
        // A $len payload: part buffered by the handshake, the rest on the socket, then stream bytes.
        crate::sys::socket::write(w.as_raw_fd(), b"LOAD*1\r\n").unwrap();
        let mut rd = PayloadReader::new(r.as_raw_fd(), b"PAY".to_vec(), Some(7), 1000);
        let mut got = Vec::new();
        rd.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"PAYLOAD");
        assert_eq!(rd.socket_bytes, 4);
        // The stream after the payload was never read.
        let mut rest = [0u8; 16];
        assert_eq!(crate::sys::socket::read(r.as_raw_fd(), &mut rest).unwrap(), 4);
        // Buffered bytes beyond the declared length are handed back.
        let rd = PayloadReader::new(r.as_raw_fd(), b"ABCstream".to_vec(), Some(3), 1000);
        let mut rd = rd;
        let mut three = [0u8; 3];
        rd.read_exact(&mut three).unwrap();
        assert_eq!(&three, b"ABC");
        assert_eq!(rd.into_leftover(), b"stream");
        // An EOF transfer: the mark is checked, what follows is left over; a silent socket times out.
        let mark = [b'z'; EOF_MARK_SIZE];
        let mut wire = b"DATA".to_vec();
        wire.extend_from_slice(&mark);
        wire.extend_from_slice(b"+next");
        crate::sys::socket::write(w.as_raw_fd(), &wire).unwrap();
        let mut rd = PayloadReader::new(r.as_raw_fd(), Vec::new(), None, 1000);
        let mut four = [0u8; 4];
        rd.read_exact(&mut four).unwrap();
        assert!(rd.check_mark(&mark).unwrap());
        assert_eq!(rd.into_leftover(), b"+next");
        let mut rd = PayloadReader::new(r.as_raw_fd(), Vec::new(), None, 10);
        assert_eq!(rd.read(&mut four).unwrap_err().kind(), io::ErrorKind::TimedOut);
        drop(w);
        let mut rd = PayloadReader::new(r.as_raw_fd(), Vec::new(), None, 10);
        assert_eq!(rd.read(&mut four).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn payload_reader_idle_hook() {
        use std::os::fd::AsRawFd;
        let (r, w) = crate::sys::process::pipe().unwrap();
        crate::sys::socket::set_nonblocking_cloexec(r.as_raw_fd()).unwrap();
        // A large buffered part is handed out a chunk at a time, with the hook between chunks.
        let calls = std::cell::RefCell::new(Vec::new());
        let buffered = vec![7u8; 3 * READER_CHUNK + 10];
        let mut rd = PayloadReader::new(r.as_raw_fd(), buffered.clone(), Some(3 * READER_CHUNK + 10), 1000)
            .with_idle(READER_CHUNK as u64, |n| calls.borrow_mut().push(n));
        let mut all = Vec::new();
        rd.read_to_end(&mut all).unwrap();
        drop(rd);
        assert_eq!(all.len(), 3 * READER_CHUNK + 10);
        assert_eq!(
            *calls.borrow(),
            // (Not after the last 10 bytes: fewer than `every` since the previous call.)
            vec![READER_CHUNK as u64, 2 * READER_CHUNK as u64, 3 * READER_CHUNK as u64]
        );
        // A smaller interval than a chunk: the hook runs at that interval.
        calls.borrow_mut().clear();
        let mut rd = PayloadReader::new(r.as_raw_fd(), buffered, Some(3 * READER_CHUNK + 10), 1000)
            .with_idle(1024, |n| calls.borrow_mut().push(n));
        all.clear();
        rd.read_to_end(&mut all).unwrap();
        drop(rd);
        assert_eq!(all.len(), 3 * READER_CHUNK + 10);
        let every_kib: Vec<u64> = (1..=(3 * READER_CHUNK / 1024) as u64).map(|i| i * 1024).collect();
        assert_eq!(*calls.borrow(), every_kib);
        // A silent socket: the hook runs while waiting, then the timeout ends the read.
        calls.borrow_mut().clear();
        let mut rd = PayloadReader::new(r.as_raw_fd(), Vec::new(), None, 3 * IDLE_SLICE_MS)
            .with_idle(1024, |n| calls.borrow_mut().push(n));
        let mut one = [0u8; 1];
        assert_eq!(rd.read(&mut one).unwrap_err().kind(), io::ErrorKind::TimedOut);
        drop(rd);
        assert!(calls.borrow().len() >= 2, "{:?}", calls.borrow());
        drop(w);
    }

    #[test]
    fn continue_with_and_without_new_id() {
        let mut l = link(HandshakeConfig { psync_replid: "c".repeat(40), psync_offset: 10, ..cfg() });
        l.connected();
        let ev = feed(&mut l, format!("+PONG\r\n+OK\r\n+OK\r\n+CONTINUE {}\r\n*1\r\n", "d".repeat(40)).as_bytes());
        assert_eq!(ev, vec![Seen::Ev(Event::Continue(Some("d".repeat(40))))]);
        assert_eq!(l.inbuf, b"*1\r\n");
        let mut l = link(cfg());
        l.connected();
        assert_eq!(feed(&mut l, b"+PONG\r\n+OK\r\n+OK\r\n+CONTINUE\r\n"), vec![Seen::Ev(Event::Continue(None))]);
        let mut l = link(cfg());
        l.connected();
        assert!(matches!(feed(&mut l, b"+PONG\r\n+OK\r\n+OK\r\n-NOMASTERLINK x\r\n")[..], [Seen::Ev(Event::Fail(_))]));
    }
}
