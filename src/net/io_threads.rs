//! Threaded I/O with `io-threads N` and `io-threads-do-reads no` (Redis's default): Redis 7.0's fan-out of reply
//! writes to N-1 helper threads while the main thread reads, parses and runs every command; and the per-client
//! steps both thread designs share ([`read_step`], [`preparse`], [`write_step`]; the per-thread event loops of
//! `io-threads-do-reads yes` are [`super::io_loops`]).
//!
//! ```text
//!  main:    epoll ─► read, parse, run commands ─► fan out the pending writes ─┐       ┌─► epoll ...
//!  workers:                                                                   └► write ┘
//! ```
//!
//! # Ownership
//! A client's `Box<Client>` is *moved* to a worker inside a `Batch` and moved back when the worker is done; the
//! main thread waits for every batch of a pass before it touches any client again (fan-out / fan-in). So one
//! thread owns a client at a time by construction: no lock and no shared client state on the request path. Only
//! the two channels per worker synchronise (a futex wake per batch), and a worker with no batch sleeps in `recv`,
//! so an idle server spends nothing on its I/O threads (Redis's threads spin, then park on a mutex).
//!
//! # What runs where
//! Workers do only what needs the client and nothing else: `write(2)` of the pending reply. Everything that touches server state (statistics, closing, the query buffer
//! limit, running commands, replicas' streams) happens after the fan-in on the main thread. Masters, replicas,
//! blocked clients and clients about to be closed never go to a worker.
//!
//! # When
//! As in Redis 7.0, threads are used only while enough clients have output after a pass (at least twice the
//! number of threads); below that the main thread writes inline exactly as with `io-threads 1`, so light traffic
//! pays nothing.
//!
//! Why reads moved to per-thread loops: on a 2-core machine a pass averages about 1.2 ready clients (the server
//! outpaces one `redis-benchmark` core), so with fan-out reads most work stayed inline, `epoll_wait` on every
//! client alone was 16% of a one-thread server's time at `-P 16`, and each fan-in cost a context switch: the main
//! thread kept 0.67-0.83 of the one-thread server's CPU per request, against 0.2-0.3 with the per-thread loops.

use crate::net::client::Client;
use crate::resp::parse::Limits;
use crate::sys::socket;
use std::io;
use std::sync::mpsc::{channel, Receiver, Sender};

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

/// One client handed to a worker, and what its write did (`None` until a worker, or this thread when the
/// worker is gone, has written).
pub struct Item {
    pub c: Box<Client>,
    pub out: Option<WriteOut>,
}

impl Item {
    pub fn new(c: Box<Client>) -> Item {
        Item { c, out: None }
    }
}

struct Batch {
    worker: usize,
    items: Vec<Item>,
}

struct Worker {
    tx: Sender<Batch>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The I/O threads (`io-threads` minus the main thread).
pub struct IoThreads {
    workers: Vec<Worker>,
    done: Receiver<Batch>,
    /// Item vectors coming back from the workers, kept for the next pass.
    spare: Vec<Vec<Item>>,
    /// Per worker, its chunk once back (kept between passes, always all `None` between them).
    back: Vec<Option<Vec<Item>>>,
    /// Whether the last pass had enough pending output to use the threads (INFO `io_threads_active`).
    pub active: bool,
}

impl IoThreads {
    /// Starts `threads - 1` workers (`io-threads` counts the main thread); `None` for one thread.
    pub fn start(threads: usize) -> io::Result<Option<IoThreads>> {
        if threads <= 1 {
            return Ok(None);
        }
        let (done_tx, done) = channel::<Batch>();
        let mut workers = Vec::with_capacity(threads - 1);
        for i in 1..threads {
            let (tx, rx) = channel::<Batch>();
            let done_tx = done_tx.clone();
            let thread = std::thread::Builder::new().name(format!("io_thd_{i}")).spawn(move || worker(rx, done_tx))?;
            workers.push(Worker { tx, thread: Some(thread) });
        }
        let back = (0..workers.len()).map(|_| None).collect();
        Ok(Some(IoThreads { workers, done, spare: Vec::new(), back, active: false }))
    }

    /// Redis's rule for using the threads: at least two clients with output per thread.
    pub fn update_active(&mut self, pending_writes: usize) {
        self.active = pending_writes >= 2 * (self.workers.len() + 1);
    }

    /// Writes every client of `items` on the workers, in contiguous chunks, one per worker (fan-out), then waits
    /// for every chunk (fan-in); returns them in the same order.
    pub fn write(&mut self, mut items: Vec<Item>) -> Vec<Item> {
        let n = self.workers.len();
        let per = items.len().div_ceil(n).max(1);
        let chunks = &mut self.back;
        let mut sent = 0;
        let mut rest = items.drain(..);
        for (i, w) in self.workers.iter().enumerate() {
            let mut chunk = self.spare.pop().unwrap_or_default();
            chunk.extend(rest.by_ref().take(per));
            if chunk.is_empty() {
                self.spare.push(chunk);
                break;
            }
            match w.tx.send(Batch { worker: i, items: chunk }) {
                Ok(()) => sent += 1,
                // A worker that is gone (it cannot panic on its own) leaves its chunk to this thread.
                Err(std::sync::mpsc::SendError(mut b)) => {
                    b.items.iter_mut().for_each(process);
                    chunks[i] = Some(b.items);
                }
            }
        }
        drop(rest);
        for _ in 0..sent {
            match self.done.recv() {
                Ok(b) => chunks[b.worker] = Some(b.items),
                Err(_) => break,
            }
        }
        for chunk in self.back.iter_mut() {
            if let Some(mut c) = chunk.take() {
                items.append(&mut c);
                self.spare.push(c);
            }
        }
        items
    }
}

impl Drop for IoThreads {
    fn drop(&mut self) {
        // Closing a worker's channel ends its loop.
        let threads: Vec<_> = self.workers.iter_mut().filter_map(|w| w.thread.take()).collect();
        self.workers.clear();
        for t in threads {
            let _ = t.join();
        }
    }
}

fn process(it: &mut Item) {
    it.out = Some(write_step(&mut it.c));
}

fn worker(rx: Receiver<Batch>, done: Sender<Batch>) {
    crate::sys::affinity::enter(crate::sys::affinity::Role::IoThread);
    // Signals are the main thread's business (the watchdog's SIGALRM backtrace, SIGTERM's flag).
    let _ = nix::sys::signal::SigSet::all().thread_block();
    while let Ok(mut b) = rx.recv() {
        b.items.iter_mut().for_each(process);
        if done.send(b).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::client::ClientState;
    use crate::resp::parse::{Parsed, ProtoError};

    fn client_with(bytes: &[u8]) -> Box<Client> {
        let mut c = Box::new(Client::new(ClientState::new(1, -1, String::new(), String::new(), 0), None));
        let w = c.query.writable(bytes.len());
        w[..bytes.len()].copy_from_slice(bytes);
        c.query.commit(bytes.len());
        c
    }

    #[test]
    fn preparse_matches_the_parser_and_stops_at_inline_and_partial() {
        let input = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nPI";
        let mut c = client_with(input);
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
    fn other_limits_or_an_error_are_handed_back() {
        let mut c = client_with(b"*1\r\n$4\r\nPING\r\n*x\r\n");
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

    #[test]
    fn workers_give_every_client_back_in_order() {
        let mut io = IoThreads::start(3).unwrap().unwrap();
        // Clients without a socket and with a reply pending: each write fails (EBADF) but comes back, in order.
        let items: Vec<Item> = (0..7)
            .map(|i| {
                let mut c = client_with(b"");
                c.state.id = i;
                c.state.reply.ok();
                Item::new(c)
            })
            .collect();
        let back = io.write(items);
        assert_eq!(back.iter().map(|it| it.c.state.id).collect::<Vec<_>>(), (0..7).collect::<Vec<_>>());
        assert!(back.iter().all(|it| it.out.as_ref().is_some_and(|w| w.err.is_some() && w.total == 0)));
    }
}
