//! A client's socket steps: reading what the socket has into the query ring ([`read_step`]), parsing the
//! complete commands ahead ([`preparse`]) and writing the pending reply ([`write_step`]). They are the same
//! wherever they run: on the main thread (every read and write with `io-threads 1`), on the helper threads of
//! the write fan-out ([`super::io_threads`]) and on the per-thread event loops of `io-threads-do-reads yes`
//! ([`super::io_loops`]). They touch the client alone, never the server.
//!
//! Tested by the unit tests below (parsing ahead) and end to end by every test that talks to a server.

#![forbid(unsafe_code)]

use crate::net::client::Client;
use crate::resp::parse::Limits;
use crate::sys::socket;
use std::io;

/// Size of one read from a client (Redis's `PROTO_IOBUF_LEN`).
pub const PROTO_IOBUF_LEN: usize = 16 * 1024;
/// Bytes written to one client per event before others get their turn (Redis's `NET_MAX_WRITES_PER_EVENT`).
pub const NET_MAX_WRITES_PER_EVENT: usize = 64 * 1024;

/// Outcome of one read attempt.
#[derive(Debug)]
pub enum ReadOut {
    /// `n` bytes were added to the query ring.
    Data(usize),
    /// The peer closed the connection.
    Closed,
    /// Nothing to read after all (spurious wake-up, EINTR).
    Again,
    Failed(io::Error),
}

/// Outcome of one write attempt: bytes and `write(2)` calls, and the error that ended it, if any.
#[derive(Debug, Default)]
pub struct WriteOut {
    pub total: usize,
    pub writes: u64,
    pub err: Option<io::Error>,
}

/// Reads what the socket has into the client's query ring (a big argument's missing bytes in one go).
pub fn read_step(c: &mut Client) -> ReadOut {
    #[cfg(feature = "tls")]
    if c.tls.is_some() {
        return crate::net::tls::read_step(c);
    }
    let fd = c.state.fd;
    let big_missing = c.parser.big_bulk_missing(c.query.len()).filter(|&m| m > 0);
    let buf = c.query.writable(big_missing.unwrap_or(PROTO_IOBUF_LEN));
    let room = big_missing.map_or(buf.len(), |m| m.min(buf.len()));
    match socket::read(fd, &mut buf[..room]) {
        Ok(0) => ReadOut::Closed,
        Ok(n) => {
            c.query.commit(n);
            ReadOut::Data(n)
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => ReadOut::Again,
        Err(e) => ReadOut::Failed(e),
    }
}

/// Parses the complete multibulk commands at the front of the query ring into `c.pre`, without consuming them
/// (see [`Preparsed::parse_ahead`](crate::net::client::preparsed::Preparsed::parse_ahead)).
pub fn preparse(c: &mut Client, limits: Limits) {
    // `spans` (the running command's, unused between passes) is the scratch vector for each parse.
    let Client { query, parser, pre, scratch, spans: one, .. } = c;
    pre.parse_ahead(query.readable(), parser, limits, one, scratch);
}

/// Writes as much of the pending reply as the socket takes, up to [`NET_MAX_WRITES_PER_EVENT`] bytes.
pub fn write_step(c: &mut Client) -> WriteOut {
    #[cfg(feature = "tls")]
    if c.tls.is_some() {
        return crate::net::tls::write_step(c);
    }
    let fd = c.state.fd;
    // Coalesced pub/sub output goes out with this write (its entry in the push list is skipped).
    c.pending_push = false;
    c.state.reply.note_peak();
    let mut out = WriteOut::default();
    while c.state.reply.pending_len() > 0 {
        match socket::write(fd, c.state.reply.pending()) {
            Ok(n) => {
                c.state.reply.consume(n);
                out.writes += 1;
                out.total += n;
                if out.total >= NET_MAX_WRITES_PER_EVENT {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => {
                out.err = Some(e);
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::parse::{Parsed, ProtoError};

    #[test]
    fn preparse_matches_the_parser_and_stops_at_inline_and_partial() {
        let input = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nPI";
        let mut c = Client::with_query(input);
        let lim = Limits::default();
        preparse(&mut c, lim);
        let mut spans = Vec::new();
        let Client { pre, query, .. } = &mut *c;
        assert_eq!(pre.take_next(&lim, &mut spans), Some(Ok(Parsed::Complete { consumed: 14, inline: false })));
        assert_eq!(spans, vec![(8, 12)]);
        query.consume(14);
        assert_eq!(pre.take_next(&lim, &mut spans), Some(Ok(Parsed::Complete { consumed: 20, inline: false })));
        let buf = query.readable();
        assert_eq!(&buf[spans[0].0 as usize..spans[0].1 as usize], b"GET");
        assert_eq!(&buf[spans[1].0 as usize..spans[1].1 as usize], b"k");
        // The inline PING is left to the main thread's parser.
        assert_eq!(pre.take_next(&lim, &mut spans), None);
        assert!(pre.is_empty());
    }

    #[test]
    fn pending_lists_the_parsed_commands_over_the_unconsumed_bytes() {
        let input = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI";
        let mut c = Client::with_query(input);
        let lim = Limits::default();
        preparse(&mut c, lim);
        let Client { pre, query, .. } = &mut *c;
        let words = |pre: &crate::net::client::preparsed::Preparsed, buf: &[u8]| -> Vec<Vec<Vec<u8>>> {
            pre.pending(buf).map(|a| a.iter().map(|w| w.to_vec()).collect()).collect()
        };
        let all = words(pre, query.readable());
        assert_eq!(all, vec![vec![b"GET".to_vec(), b"k".to_vec()], vec![b"PING".to_vec()]]);
        // After one is taken, the rest, still over the bytes they were parsed from.
        let mut spans = Vec::new();
        assert!(pre.take_next(&lim, &mut spans).is_some());
        assert_eq!(words(pre, query.readable()), vec![vec![b"PING".to_vec()]]);
        assert!(pre.take_next(&lim, &mut spans).is_some());
        assert!(words(pre, query.readable()).is_empty());
    }

    #[test]
    fn other_limits_or_an_error_are_handed_back() {
        let mut c = Client::with_query(b"*1\r\n$4\r\nPING\r\n*x\r\n");
        let lim = Limits::default();
        preparse(&mut c, lim);
        let mut spans = Vec::new();
        let other = Limits { max_multibulk_len: 10, ..lim };
        assert_eq!(c.pre.take_next(&other, &mut spans), None);
        assert!(matches!(c.pre.take_next(&lim, &mut spans), Some(Ok(Parsed::Complete { .. }))));
        assert_eq!(c.pre.take_next(&lim, &mut spans), Some(Err(ProtoError::InvalidMultibulkLength)));
        assert!(c.pre.is_empty());
        assert!(!c.pre.clear());
    }
}
