//! Commands an I/O thread parsed ahead ([`Client::pre`](crate::net::client::Client::pre)): with `io-threads-do-reads
//! yes` the thread that owns a connection reads it and parses the complete multibulk commands at the front of its query
//! ring, without consuming them; the main thread then takes them one by one instead of parsing again (see
//! [`net::io_loops`](crate::net::io_loops)).
//!
//! ```text
//!  query ring: [ *1 $4 PING ][ *2 $3 GET $1 k ][ PING (inline) ... ]
//!  Preparsed:  cmds [(14, 1), (20, 2)]  spans [(8,12) | (8,11), (17,18)]  (each command's spans from its first byte)
//! ```
//!
//! A leaf: it names nothing of the client, so the client holds it while `io_threads` and `io_loops`, which act on
//! clients, import the client, one way. Tested through [`io::preparse`](crate::net::io::preparse) (its unit tests) and
//! end to end by the I/O-thread tests of tests/protocol.

use crate::resp::parse::{Limits, Parsed, Parser, ProtoError};

/// Commands parsed off the thread, waiting at the front of the query ring for the main thread to run them. Only
/// valid until the main thread has run or dropped them (it drops them at the end of the same pass).
#[derive(Debug, Default)]
pub struct Preparsed {
    /// Per command: bytes it takes from the front of the ring, and its number of spans.
    cmds: Vec<(usize, u32)>,
    /// The spans of all commands, each relative to its own command's first byte.
    spans: Vec<(u32, u32)>,
    next: usize,
    span_at: usize,
    /// The protocol error that followed the parsed commands.
    error: Option<ProtoError>,
    /// The limits they were parsed with: a command in the batch that changes them (AUTH, CONFIG SET
    /// proto-max-bulk-len) makes the rest be parsed again.
    limits: Option<Limits>,
}

impl Preparsed {
    pub fn is_empty(&self) -> bool {
        self.next >= self.cmds.len() && self.error.is_none()
    }

    /// Parses the complete multibulk commands at the front of `buf` (the client's unread query bytes), forgetting
    /// what was parsed before. Stops at an inline request (the main thread parses those: they use the client's
    /// scratch buffer) and at an incomplete command, whose partial state stays in `parser` as after any parse.
    /// `one` and `scratch` are the parser's output vectors for each command (the client's, unused between passes).
    pub fn parse_ahead(
        &mut self,
        buf: &[u8],
        parser: &mut Parser,
        limits: Limits,
        one: &mut Vec<(u32, u32)>,
        scratch: &mut Vec<u8>,
    ) {
        self.clear();
        self.limits = Some(limits);
        let mut off = 0usize;
        let mut spans = std::mem::take(&mut self.spans);
        while off < buf.len() {
            // An inline request starts with anything but `*`; leave it (and what follows) to the main thread.
            if !parser.in_progress() && buf[off] != b'*' {
                break;
            }
            match parser.parse(&buf[off..], &limits, one, scratch) {
                Ok(Parsed::Complete { consumed, .. }) => {
                    self.cmds.push((consumed, one.len() as u32));
                    spans.extend_from_slice(one);
                    off += consumed;
                }
                Ok(Parsed::Incomplete) => break,
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
        self.spans = spans;
    }

    /// The next parsed command (its spans copied into `spans`) or the protocol error after them; `None` when none
    /// is left or when they were parsed with other limits than `limits` (then the caller must reset its parser and
    /// parse the bytes again).
    pub fn take_next(&mut self, limits: &Limits, spans: &mut Vec<(u32, u32)>) -> Option<Result<Parsed, ProtoError>> {
        if self.limits.as_ref() != Some(limits) {
            return None;
        }
        if let Some(&(consumed, n)) = self.cmds.get(self.next) {
            self.next += 1;
            let end = self.span_at + n as usize;
            spans.clear();
            spans.extend_from_slice(self.spans.get(self.span_at..end)?);
            self.span_at = end;
            return Some(Ok(Parsed::Complete { consumed, inline: false }));
        }
        self.error.take().map(Err)
    }

    /// The commands not taken yet, in order, as arguments over `buf`: the query bytes they were parsed from, with
    /// nothing consumed since (the commands taken are skipped by their lengths).
    pub fn pending<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = crate::args::Args<'a>> + 'a {
        let mut off: usize = self.cmds.iter().take(self.next).map(|&(consumed, _)| consumed).sum();
        let mut span_at = self.span_at;
        self.cmds.iter().skip(self.next).map_while(move |&(consumed, n)| {
            let spans = self.spans.get(span_at..span_at + n as usize)?;
            let args = crate::args::Args::new(buf.get(off..)?, spans);
            off += consumed;
            span_at += n as usize;
            Some(args)
        })
    }

    /// Gives back the vectors' memory once a command with many arguments made them big (the cron calls this for an
    /// idle client, as it trims the main parser's spans).
    pub fn trim(&mut self, keep_spans: usize) {
        if self.spans.capacity() > keep_spans && self.is_empty() {
            *self = Preparsed::default();
        }
    }

    /// Forgets whatever is left. Returns true when commands (or an error) were left: the parser's state then
    /// belongs to bytes further on and must be reset.
    pub fn clear(&mut self) -> bool {
        let left = !self.is_empty();
        self.cmds.clear();
        self.spans.clear();
        self.next = 0;
        self.span_at = 0;
        self.error = None;
        self.limits = None;
        left
    }
}
