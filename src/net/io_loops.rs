//! Threaded I/O with one event loop per I/O thread (`io-threads N` with `io-threads-do-reads yes`), after Redis
//! 8's design: each I/O thread has its own poller and owns the connections it watches; the main thread only runs
//! commands.
//!
//! ```text
//!  io thread:  poll ─► read+parse ─► hand the client over ─────┐        ┌─► write the reply ─► poll ...
//!  main:                       (wake) ─► drain ─► run its commands ─► hand it back (before sleeping)
//! ```
//!
//! # Ownership
//! A client's `Box<Client>` is *moved*: while an I/O thread watches it, the box is in that thread's table and the
//! main thread's slot for it is empty; when the thread has read a request (or the peer closed), it moves the box
//! to the main thread's mailbox and stops watching the socket; the main thread runs its commands and, once the
//! pass's AOF is flushed, moves it back (with the reply still to write). So one thread owns a client at a time
//! by construction; the mailboxes (a channel and a wake-up pipe each, one wake-up per batch) are all that is
//! shared, and a thread with nothing to do sleeps in its poller.
//!
//! # Which clients go
//! Only plain request/reply connections (see [`Server::io_eligible`](crate::server::Server::io_eligible)): subscribers,
//! MONITORs, blocked and paused clients, WATCHers, replicas and masters, clients about to close, and every client while
//! client-side caching or `maxmemory-clients` is on stay with the main thread, because other clients' commands reach
//! into them. What looks at every client first calls them all home ([`IoLoops::gather`]): commands that look at or act
//! on other clients (CLIENT, INFO, ACL, CONFIG, DEBUG, MEMORY, SHUTDOWN, FAILOVER, REPLICAOF, SCRIPT, FUNCTION,
//! CLUSTER, MONITOR, SYNC/PSYNC; at any depth, so inside EXEC and scripts too) and the cron (timeouts, buffer trims,
//! limits). Each thread gives back every client it holds; a read that raced with the call waits in its slot until the
//! command is over; they go out again before the loop next sleeps.
//!
//! # When
//! As in Redis 7.0 the threads are used only under load (INFO's `io_threads_active`). Redis switches them on for a
//! pass with two clients with output per thread, but a pass here rarely holds that many (the main thread outpaces
//! its clients), so the count is taken over the cron's 100 ms periods, in distinct clients, and a loop opening
//! connections one after another is told from load by the process's CPU: two periods in a row with that many
//! clients and half a core busy switch the threads on; a period with fewer clients or under a fifth of a core
//! switches them off and calls every client home. Below that load one poller serves every connection, so requests
//! sent at once on several connections run in the order they arrived (Redis's own suite relies on it). Under load,
//! requests from *different* connections may run in another order than they reached the server, as with Redis 8's
//! I/O threads; one connection's requests always run in order. The main thread does no busy polling in this mode
//! (`busy-poll-us` is ignored).

use crate::net::client::Client;
use crate::net::io::{preparse, read_step, write_step, ReadOut};
use crate::resp::parse::Limits;
use crate::sys::poller::{Event, Interest, Poller};
use crate::sys::socket;
use crate::sys::DefaultPoller;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::Arc;

/// A reply buffer left bigger than this after it was written is given back at once (as the main thread does).
const REPLY_BUF_SHRINK_NOW: usize = 1024 * 1024;
const REPLY_BUF_KEEP: usize = 16 * 1024;

/// Wakes a thread sleeping in its poller: one byte down a pipe, written only if the last one was consumed.
struct Waker {
    tx: OwnedFd,
    rx: OwnedFd,
    pending: AtomicBool,
}

impl Waker {
    fn new() -> io::Result<Waker> {
        let (rx, tx) = crate::sys::process::pipe()?;
        Ok(Waker { tx, rx, pending: AtomicBool::new(false) })
    }

    fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            // A full pipe (cannot happen: at most one byte is unread) or an error only loses a wake-up that is
            // already due.
            let _ = socket::write(self.tx.as_raw_fd(), &[1]);
        }
    }

    /// Empties the pipe; after this, the next `wake` writes again. Call before looking at the mailbox.
    fn consume(&self) {
        let mut buf = [0u8; 64];
        while matches!(socket::read(self.rx.as_raw_fd(), &mut buf), Ok(n) if n == buf.len()) {}
        self.pending.store(false, Ordering::Release);
    }
}

/// From the main thread to an I/O thread.
enum ToLoop {
    /// Watch this client: write its pending reply, then read its next requests (parsed with these limits, or by
    /// the main thread when `None`).
    Adopt(Box<Client>, Option<Limits>),
    /// Give back every client.
    Gather,
}

/// From an I/O thread to the main thread.
pub enum FromLoop {
    /// A read found data (its complete commands parsed into [`Client::pre`](crate::net::client::Client::pre)), the end
    /// of the stream, or an error.
    Read(Box<Client>, ReadOut),
    /// Writing the reply failed: the client is to be closed.
    WriteFailed(Box<Client>, io::Error),
    /// Every client the thread held, after a [`ToLoop::Gather`] (boxed as the main thread's slots hold them).
    #[allow(clippy::vec_box)]
    Gathered(Vec<Box<Client>>),
}

struct Thread {
    tx: Sender<ToLoop>,
    waker: Arc<Waker>,
    /// Clients sent since the thread was last woken.
    queued: bool,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// The I/O threads and the main thread's mailbox.
pub struct IoLoops {
    threads: Vec<Thread>,
    inbox: Receiver<FromLoop>,
    main_waker: Arc<Waker>,
    /// Clients currently held by the I/O threads.
    pub away: usize,
    /// Whether clients go to the threads (INFO's `io_threads_active`): see [`IoLoops::end_period`].
    pub active: bool,
    /// Distinct clients with output in the current period, and the period's number (each client remembers the
    /// last period it was counted in: [`IoLoops::count`]).
    seen: usize,
    period: u32,
    /// When the period began (ms) and the process's CPU seconds then.
    began_ms: i64,
    began_cpu: f64,
    /// Busy periods in a row while not active.
    streak: u8,
}

impl IoLoops {
    /// The threshold for using the threads, Redis's: two clients with output per thread, the main one included.
    #[inline]
    fn busy(&self) -> usize {
        2 * (self.threads.len() + 1)
    }

    /// A client with output in this pass (`stamp`: the last period it was counted in).
    #[inline]
    pub fn count(&mut self, stamp: &mut u32) {
        if *stamp != self.period {
            *stamp = self.period;
            self.seen += 1;
        }
    }

    /// The end of a period (the cron, every 100 ms, `now_ms`): decides whether the threads are used, after Redis
    /// 7.0's rule (threads for a pass with at least two clients with output per thread, the main one included).
    /// A pass here rarely has that many (the main thread outpaces its clients), so the count is taken over the
    /// period, in distinct clients, and a test opening connections in a loop is told from load by the process's
    /// CPU: the threads go on after two periods in a row with that many clients and half a core busy, and off
    /// after a period with fewer clients or under a fifth of a core. True when they went off: the caller then
    /// calls every client home.
    pub fn end_period(&mut self, now_ms: i64) -> bool {
        let (sys, user) = crate::sys::process::cpu_times(crate::sys::process::CpuOf::Process);
        let cpu = sys + user;
        let wall = (now_ms - self.began_ms).max(1) as f64 / 1000.0;
        let load = (cpu - self.began_cpu) / wall;
        let clients = self.seen >= self.busy();
        (self.seen, self.began_ms, self.began_cpu) = (0, now_ms, cpu);
        self.period = self.period.wrapping_add(1).max(1);
        if self.active {
            self.active = clients && load >= 0.2;
            return !self.active;
        }
        self.streak = if clients && load >= 0.5 { self.streak + 1 } else { 0 };
        if self.streak >= 2 {
            (self.active, self.streak) = (true, 0);
        }
        false
    }

    /// Starts `threads - 1` I/O threads (`io-threads` counts the main thread); `None` for one thread.
    pub fn start(threads: usize) -> io::Result<Option<IoLoops>> {
        if threads <= 1 {
            return Ok(None);
        }
        let main_waker = Arc::new(Waker::new()?);
        let (out_tx, inbox) = channel::<FromLoop>();
        let mut list = Vec::with_capacity(threads - 1);
        for i in 1..threads {
            let (tx, rx) = channel::<ToLoop>();
            let waker = Arc::new(Waker::new()?);
            let mut poller = DefaultPoller::new(256)?;
            poller.set_interest(
                waker.rx.as_raw_fd(),
                waker.rx.as_raw_fd() as usize,
                Interest::NONE,
                Interest::READABLE,
            )?;
            let l = Loop {
                poller,
                rx,
                waker: waker.clone(),
                out: out_tx.clone(),
                main_waker: main_waker.clone(),
                owned: Vec::new(),
                events: Vec::new(),
                sent: false,
            };
            let handle = std::thread::Builder::new().name(format!("io_thd_{i}")).spawn(move || l.run())?;
            list.push(Thread { tx, waker, queued: false, handle: Some(handle) });
        }
        Ok(Some(IoLoops {
            threads: list,
            inbox,
            main_waker,
            away: 0,
            active: false,
            seen: 0,
            period: 1,
            began_ms: 0,
            began_cpu: 0.0,
            streak: 0,
        }))
    }

    /// The descriptor the main thread's poller watches: readable when the mailbox may hold something.
    pub fn wake_fd(&self) -> RawFd {
        self.main_waker.rx.as_raw_fd()
    }

    /// Hands `c` to the I/O thread its descriptor maps to (woken by [`IoLoops::wake_queued`]). Returns the client
    /// if that thread is gone (it cannot panic on its own, so only at exit).
    pub fn adopt(&mut self, c: Box<Client>, limits: Option<Limits>) -> Result<(), Box<Client>> {
        let i = c.state.fd.unsigned_abs() as usize % self.threads.len();
        let t = &mut self.threads[i];
        match t.tx.send(ToLoop::Adopt(c, limits)) {
            Ok(()) => {
                t.queued = true;
                self.away += 1;
                Ok(())
            }
            Err(std::sync::mpsc::SendError(ToLoop::Adopt(c, _))) => Err(c),
            Err(_) => Ok(()),
        }
    }

    /// Wakes the threads that were handed clients since their last wake-up (one wake-up per thread per pass).
    pub fn wake_queued(&mut self) {
        for t in self.threads.iter_mut().filter(|t| t.queued) {
            t.queued = false;
            t.waker.wake();
        }
    }

    /// Everything in the mailbox now, without waiting. Call when [`IoLoops::wake_fd`] is readable.
    pub fn drain(&mut self, out: &mut Vec<FromLoop>) {
        self.main_waker.consume();
        loop {
            match self.inbox.try_recv() {
                Ok(m) => out.push(self.count_in(m)),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return,
            }
        }
    }

    fn count_in(&mut self, m: FromLoop) -> FromLoop {
        match &m {
            FromLoop::Read(..) | FromLoop::WriteFailed(..) => self.away = self.away.saturating_sub(1),
            FromLoop::Gathered(v) => self.away = self.away.saturating_sub(v.len()),
        }
        m
    }

    /// Calls every client home: blocks until each thread has given back all it holds. What arrives meanwhile
    /// (reads done before the call reached a thread) is in `out` too, in arrival order.
    pub fn gather(&mut self, out: &mut Vec<FromLoop>) {
        if self.away == 0 {
            return;
        }
        let mut asked = 0;
        for t in &self.threads {
            if t.tx.send(ToLoop::Gather).is_ok() {
                t.waker.wake();
                asked += 1;
            }
        }
        while asked > 0 {
            match self.inbox.recv() {
                Ok(m) => {
                    if matches!(m, FromLoop::Gathered(_)) {
                        asked -= 1;
                    }
                    out.push(self.count_in(m));
                }
                Err(_) => break,
            }
        }
    }
}

impl Drop for IoLoops {
    fn drop(&mut self) {
        // A thread ends when its channel is closed; the wake-up makes it look.
        let handles: Vec<_> = self
            .threads
            .drain(..)
            .map(|mut t| {
                let waker = t.waker.clone();
                drop(t.tx);
                waker.wake();
                t.handle.take()
            })
            .collect();
        for h in handles.into_iter().flatten() {
            let _ = h.join();
        }
    }
}

/// A client watched by an I/O thread.
struct Held {
    c: Box<Client>,
    limits: Option<Limits>,
    interest: Interest,
}

/// One I/O thread's event loop.
struct Loop {
    poller: DefaultPoller,
    rx: Receiver<ToLoop>,
    waker: Arc<Waker>,
    out: Sender<FromLoop>,
    main_waker: Arc<Waker>,
    /// Held clients by descriptor.
    owned: Vec<Option<Held>>,
    events: Vec<Event>,
    /// Something was sent to the main thread in this iteration.
    sent: bool,
}

impl Loop {
    fn run(mut self) {
        crate::sys::affinity::enter(crate::sys::affinity::Role::IoThread);
        // Signals are the main thread's business (the watchdog's SIGALRM backtrace, SIGTERM's flag).
        let _ = nix::sys::signal::SigSet::all().thread_block();
        let wake_fd = self.waker.rx.as_raw_fd();
        loop {
            let mut events = std::mem::take(&mut self.events);
            if self.poller.poll(&mut events, None).is_err() {
                // EINTR is reported as no events; anything else would repeat: give the clients back and stop.
                self.give_back_all();
                self.main_waker.wake();
                return;
            }
            for ev in &events {
                if ev.token == wake_fd as usize {
                    if !self.mailbox() {
                        self.give_back_all();
                        self.main_waker.wake();
                        return;
                    }
                } else {
                    self.client_event(ev.token as RawFd, ev.ready);
                }
            }
            self.events = events;
            if std::mem::take(&mut self.sent) {
                self.main_waker.wake();
            }
        }
    }

    /// Takes what the main thread sent. False when the main thread is gone (the server is exiting).
    fn mailbox(&mut self) -> bool {
        self.waker.consume();
        loop {
            match self.rx.try_recv() {
                Ok(ToLoop::Adopt(c, limits)) => self.adopt(c, limits),
                Ok(ToLoop::Gather) => {
                    let all = self.take_all();
                    self.send(FromLoop::Gathered(all));
                }
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn adopt(&mut self, mut c: Box<Client>, limits: Option<Limits>) {
        if c.state.reply.pending_len() > 0 {
            if let Err(e) = self.write(&mut c) {
                self.send(FromLoop::WriteFailed(c, e));
                return;
            }
        }
        let fd = c.state.fd;
        let interest = if c.state.reply.pending_len() > 0 { Interest::BOTH } else { Interest::READABLE };
        if let Err(e) = self.poller.set_interest(fd, fd as usize, Interest::NONE, interest) {
            self.send(FromLoop::WriteFailed(c, e));
            return;
        }
        let slot = fd as usize;
        if slot >= self.owned.len() {
            self.owned.resize_with(slot + 1, || None);
        }
        self.owned[slot] = Some(Held { c, limits, interest });
    }

    fn client_event(&mut self, fd: RawFd, ready: Interest) {
        let Some(mut h) = self.owned.get_mut(fd as usize).and_then(|s| s.take()) else { return };
        if ready.is_writable() && h.c.state.reply.pending_len() > 0 {
            if let Err(e) = self.write(&mut h.c) {
                self.release(fd, h.interest);
                self.send(FromLoop::WriteFailed(h.c, e));
                return;
            }
            if h.c.state.reply.pending_len() == 0 {
                match self.poller.set_interest(fd, fd as usize, h.interest, Interest::READABLE) {
                    Ok(()) => h.interest = Interest::READABLE,
                    Err(e) => {
                        self.release(fd, h.interest);
                        self.send(FromLoop::WriteFailed(h.c, e));
                        return;
                    }
                }
            }
        }
        if ready.is_readable() {
            let r = read_step(&mut h.c);
            if !matches!(r, ReadOut::Again) {
                if let (ReadOut::Data(_), Some(limits)) = (&r, h.limits) {
                    preparse(&mut h.c, limits);
                }
                self.release(fd, h.interest);
                self.send(FromLoop::Read(h.c, r));
                return;
            }
        }
        self.owned[fd as usize] = Some(h);
    }

    /// Writes what the socket takes of the pending reply (bounded per event, as on the main thread).
    fn write(&mut self, c: &mut Client) -> io::Result<()> {
        let out = write_step(c);
        let w = &mut c.written;
        w.bytes += out.total;
        w.writes += out.writes;
        w.passes += 1;
        if out.total > 0 {
            w.at_ms = crate::util::now_ms();
        }
        if let Some(e) = out.err {
            return Err(e);
        }
        if c.state.reply.pending_len() == 0 && c.state.reply.buf.capacity() > REPLY_BUF_SHRINK_NOW {
            c.state.reply.buf = Vec::with_capacity(REPLY_BUF_KEEP);
        }
        Ok(())
    }

    /// Stops watching `fd` (its client leaves this thread).
    fn release(&mut self, fd: RawFd, interest: Interest) {
        // A descriptor the poller no longer knows (closed by the peer) needs nothing more.
        let _ = self.poller.set_interest(fd, fd as usize, interest, Interest::NONE);
    }

    // The boxes move on to the main thread's slots as they are: no client is copied.
    #[allow(clippy::vec_box)]
    fn take_all(&mut self) -> Vec<Box<Client>> {
        let mut all = Vec::new();
        for fd in 0..self.owned.len() {
            if let Some(h) = self.owned[fd].take() {
                self.release(fd as RawFd, h.interest);
                all.push(h.c);
            }
        }
        all
    }

    fn give_back_all(&mut self) {
        let all = self.take_all();
        if !all.is_empty() {
            let _ = self.out.send(FromLoop::Gathered(all));
        }
    }

    fn send(&mut self, m: FromLoop) {
        // The main thread outlives the threads (it joins them), so a send only fails at exit.
        let _ = self.out.send(m);
        self.sent = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::client::ClientState;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    fn client_on(sock: UnixStream, id: u64) -> Box<Client> {
        sock.set_nonblocking(true).unwrap();
        let fd = OwnedFd::from(sock);
        let st = ClientState::new(id, fd.as_raw_fd(), String::new(), String::new(), 0);
        Box::new(Client::new(st, Some(fd)))
    }

    fn wait_for(io: &mut IoLoops, out: &mut Vec<FromLoop>) {
        let mut pfd = libc::pollfd { fd: io.wake_fd(), events: libc::POLLIN, revents: 0 };
        while out.is_empty() {
            // SAFETY: one valid pollfd, for the duration of the call.
            unsafe { libc::poll(&mut pfd, 1, 5000) };
            io.drain(out);
        }
    }

    #[test]
    fn a_client_is_written_read_parsed_and_handed_back() {
        let mut io = IoLoops::start(3).unwrap().unwrap();
        let (ours, mut peer) = UnixStream::pair().unwrap();
        let mut c = client_on(ours, 7);
        c.state.reply.buf.extend_from_slice(b"+OK\r\n");
        io.adopt(c, Some(Limits::default())).map_err(|_| ()).unwrap();
        io.wake_queued();
        let mut got = [0u8; 5];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"+OK\r\n");
        peer.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
        let mut out = Vec::new();
        wait_for(&mut io, &mut out);
        let Some(FromLoop::Read(c, ReadOut::Data(14))) = out.pop() else { panic!("expected a read") };
        assert_eq!(io.away, 0);
        assert_eq!(c.state.id, 7);
        assert_eq!((c.written.bytes, c.written.passes), (5, 1));
        assert!(!c.pre.is_empty(), "the command was parsed on the thread");
        // Back out, then called home while idle.
        io.adopt(c, None).map_err(|_| ()).unwrap();
        io.wake_queued();
        let mut out = Vec::new();
        io.gather(&mut out);
        let ids: Vec<u64> = out
            .iter()
            .flat_map(|m| match m {
                FromLoop::Gathered(v) => v.iter().map(|c| c.state.id).collect(),
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(ids, vec![7]);
        assert_eq!(io.away, 0);
    }

    #[test]
    fn a_closed_peer_is_reported() {
        let mut io = IoLoops::start(2).unwrap().unwrap();
        let (ours, peer) = UnixStream::pair().unwrap();
        io.adopt(client_on(ours, 1), None).map_err(|_| ()).unwrap();
        io.wake_queued();
        drop(peer);
        let mut out = Vec::new();
        wait_for(&mut io, &mut out);
        assert!(matches!(out.pop(), Some(FromLoop::Read(_, ReadOut::Closed))));
    }
}
