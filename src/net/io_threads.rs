//! Threaded I/O with `io-threads N` and `io-threads-do-reads no` (Redis's default): Redis 7.0's fan-out of reply
//! writes to N-1 helper threads while the main thread reads, parses and runs every command (the per-client steps
//! are [`super::io`]; the per-thread event loops of `io-threads-do-reads yes` are [`super::io_loops`]).
//!
//! ```text
//!  main:    epoll ─► read, parse, run commands ─► fan out the pending writes ─┐       ┌─► epoll ...
//!  workers:                                                                   └► write ┘
//! ```
//!
//! # Ownership
//! A client's `Box<Client>` is *moved* to a worker inside a [`Batch`] and moved back when the worker is done; the
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
//! Why reads moved to per-thread loops (measured): `benches/README.md`, "Threaded I/O".

use crate::net::client::Client;
use crate::net::io::{write_step, WriteOut};
use std::sync::mpsc::{channel, Receiver, Sender};

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
    pub fn start(threads: usize) -> std::io::Result<Option<IoThreads>> {
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

    #[test]
    fn workers_give_every_client_back_in_order() {
        let mut io = IoThreads::start(3).unwrap().unwrap();
        // Clients without a socket and with a reply pending: each write fails (EBADF) but comes back, in order.
        let items: Vec<Item> = (0..7)
            .map(|i| {
                let mut c = Client::with_query(b"");
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
