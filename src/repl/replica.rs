//! The replica's link to its master until it becomes the master client: Redis 7.0's handshake and the RDB
//! transfer, as a state machine over the bytes read (the server does the socket I/O on the event loop, so nothing
//! here blocks).
//!
//! ```text
//!  connected ─▶ PING ─▶ +PONG (or -NOAUTH) ─▶ [AUTH] REPLCONF listening-port [REPLCONF ip-address]
//!            REPLCONF capa eof capa psync2 (one write) ─▶ one reply each ─▶ PSYNC <replid> <offset+1> | PSYNC ? -1
//!  ─▶ +CONTINUE [replid] ─────────────────────────────────────────────▶ Continue (the socket carries the stream)
//!  ─▶ +FULLRESYNC <replid> <offset> ─▶ ["\n" keepalives] ─▶ $<len>\r\n<len bytes>
//!                                                       or $EOF:<40 byte mark>\r\n<bytes…><mark>  ─▶ Payload
//! ```
//!
//! Invariants: `inbuf` holds bytes read and not yet understood; after `Continue` or `Payload` whatever is left in
//! it is the start of the command stream. Input is bounded: a reply line longer than 64 KiB fails the link.
//!
//! Tested by the unit tests below (byte-level handshake, both transfer formats, split reads) and end to end by
//! tests/replication.rs against Redis 7.0.

use std::os::fd::OwnedFd;

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
    /// The whole RDB payload (the mark of an EOF transfer removed).
    Payload(Vec<u8>),
    /// The link must be dropped and tried again later, with this log line.
    Fail(String),
}

/// The connection to the master during handshake and transfer.
#[derive(Debug)]
pub struct MasterLink {
    pub sock: OwnedFd,
    pub phase: Phase,
    pub cfg: HandshakeConfig,
    /// Bytes read, not yet consumed.
    pub inbuf: Vec<u8>,
    /// Bytes to write to the master.
    pub out: Vec<u8>,
    /// Declared payload size (`$<len>`), or the EOF mark.
    pub bulk_len: Option<usize>,
    pub eof_mark: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    /// The FULLRESYNC's id and offset.
    pub full: Option<(String, i64)>,
    /// Last time anything was read (ms).
    pub last_io_ms: i64,
}

fn command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    crate::persist::aof::writer::encode_command(out, argv);
}

impl MasterLink {
    pub fn new(sock: OwnedFd, cfg: HandshakeConfig, now_ms: i64) -> MasterLink {
        MasterLink {
            sock,
            phase: Phase::Connecting,
            cfg,
            inbuf: Vec::new(),
            out: Vec::new(),
            bulk_len: None,
            eof_mark: None,
            payload: Vec::new(),
            full: None,
            last_io_ms: now_ms,
        }
    }

    /// The connect finished: the first PING goes out.
    pub fn connected(&mut self) {
        command(&mut self.out, &[b"PING"]);
        self.phase = Phase::ReceivePong;
    }

    /// Bytes of the payload received and expected (INFO's master_sync_* fields; expected is -1 for EOF transfers).
    pub fn transfer_progress(&self) -> (u64, i64) {
        (self.payload.len() as u64, self.bulk_len.map_or(-1, |n| n as i64))
    }

    /// Takes one line (without CR LF) off the input, if a whole one is there.
    fn line(&mut self) -> Result<Option<Vec<u8>>, String> {
        match memchr::memchr(b'\n', &self.inbuf) {
            Some(i) => {
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
                Phase::TransferBody => return Ok(self.body()),
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
                    // The master may send newlines while it prepares the RDB.
                    if text.is_empty() {
                        continue;
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
                        return Ok(Event::FullResync { replid: id.to_string(), offset: off });
                    }
                    if let Some(rest) = text.strip_prefix("+CONTINUE") {
                        crate::log_notice!(
                            "Successful partial resynchronization with master. MASTER <-> REPLICA sync: Master \
                             accepted a Partial Resynchronization."
                        );
                        let id = rest.trim();
                        return Ok(Event::Continue((id.len() == 40).then(|| id.to_string())));
                    }
                    if text.starts_with("-NOMASTERLINK") || text.starts_with("-LOADING") {
                        return Err(format!("Master is currently unable to PSYNC but should be in the future: {text}"));
                    }
                    return Err(format!("Unexpected reply to PSYNC from master: {text}"));
                }
                Phase::TransferHeader => {
                    if text.is_empty() {
                        // Keepalive while the master's BGSAVE runs.
                        continue;
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
                        crate::log_notice!(
                            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
                        );
                    } else {
                        let n = spec.parse::<usize>().map_err(|_| format!("Bad bulk length from MASTER: {text}"))?;
                        self.bulk_len = Some(n);
                        crate::log_notice!("MASTER <-> REPLICA sync: receiving {n} bytes from master to disk");
                    }
                    self.phase = Phase::TransferBody;
                }
                // Handled before a line is taken.
                Phase::Connecting | Phase::TransferBody => return Ok(Event::NeedInput),
            }
        }
    }

    /// Collects payload bytes; the payload ends at the declared length or with the EOF mark.
    fn body(&mut self) -> Event {
        if let Some(n) = self.bulk_len {
            let want = n - self.payload.len();
            let take = want.min(self.inbuf.len());
            self.payload.extend(self.inbuf.drain(..take));
            if self.payload.len() == n {
                return Event::Payload(std::mem::take(&mut self.payload));
            }
            return Event::NeedInput;
        }
        let Some(mark) = self.eof_mark.clone() else { return Event::Fail("no transfer in progress".into()) };
        // An EOF transfer ends where the mark is; nothing follows it until the stream starts, but be exact anyway:
        // look for the mark across the boundary between what we have and what just came.
        let start = self.payload.len().saturating_sub(EOF_MARK_SIZE - 1);
        self.payload.append(&mut self.inbuf);
        if let Some(i) = memchr::memmem::find(&self.payload[start..], &mark) {
            let end = start + i;
            self.inbuf = self.payload.split_off(end + EOF_MARK_SIZE);
            self.payload.truncate(end);
            return Event::Payload(std::mem::take(&mut self.payload));
        }
        Event::NeedInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(cfg: HandshakeConfig) -> MasterLink {
        let (a, _b) = crate::sys::process::pipe().unwrap();
        MasterLink::new(a, cfg, 0)
    }

    fn cfg() -> HandshakeConfig {
        HandshakeConfig { listening_port: 7001, psync_replid: "?".into(), psync_offset: -1, ..Default::default() }
    }

    fn feed(l: &mut MasterLink, bytes: &[u8]) -> Vec<Event> {
        l.inbuf.extend_from_slice(bytes);
        let mut v = Vec::new();
        loop {
            match l.advance() {
                Event::NeedInput => return v,
                e => {
                    let stop = matches!(e, Event::Fail(_) | Event::Payload(_) | Event::Continue(_));
                    v.push(e);
                    if stop {
                        return v;
                    }
                }
            }
        }
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
        assert_eq!(ev, vec![Event::FullResync { replid: id, offset: 77 }, Event::Payload(b"REDIS".to_vec())]);
        assert_eq!(l.inbuf, b"*1\r\n");
    }

    #[test]
    fn bad_auth_and_bad_ping_fail() {
        let mut l = link(HandshakeConfig { masterauth: Some("pw".into()), ..cfg() });
        l.connected();
        assert!(matches!(feed(&mut l, b"-ERR something\r\n")[..], [Event::Fail(_)]));
        let mut l = link(HandshakeConfig { masterauth: Some("pw".into()), ..cfg() });
        l.connected();
        feed(&mut l, b"+PONG\r\n");
        assert!(matches!(feed(&mut l, b"-WRONGPASS invalid\r\n")[..], [Event::Fail(_)]));
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
            let mut ev = feed(&mut l, &wire[..split]);
            if matches!(ev.last(), Some(Event::Payload(_))) {
                l.inbuf.extend_from_slice(&wire[split..]);
            } else {
                ev.extend(feed(&mut l, &wire[split..]));
            }
            assert_eq!(ev.last(), Some(&Event::Payload(payload.to_vec())), "split {split}");
            assert_eq!(l.inbuf, b"*1\r\n$4\r\nPING\r\n", "split {split}");
        }
    }

    #[test]
    fn continue_with_and_without_new_id() {
        let mut l = link(HandshakeConfig { psync_replid: "c".repeat(40), psync_offset: 10, ..cfg() });
        l.connected();
        let ev = feed(&mut l, format!("+PONG\r\n+OK\r\n+OK\r\n+CONTINUE {}\r\n*1\r\n", "d".repeat(40)).as_bytes());
        assert_eq!(ev, vec![Event::Continue(Some("d".repeat(40)))]);
        assert_eq!(l.inbuf, b"*1\r\n");
        let mut l = link(cfg());
        l.connected();
        assert_eq!(feed(&mut l, b"+PONG\r\n+OK\r\n+OK\r\n+CONTINUE\r\n"), vec![Event::Continue(None)]);
        let mut l = link(cfg());
        l.connected();
        assert!(matches!(feed(&mut l, b"+PONG\r\n+OK\r\n+OK\r\n-NOMASTERLINK x\r\n")[..], [Event::Fail(_)]));
    }
}
