//! Freeing big things off the event loop (Redis's `lazyfree.c` with its bio thread): FLUSHALL/FLUSHDB ASYNC
//! (and `lazyfree-lazy-user-flush`), a replica's old dataset on a full sync (`replica-lazy-flush`, and always the
//! set swapdb discards), UNLINK of a value whose freeing costs more than [`FREE_EFFORT_THRESHOLD`] steps, and the
//! Lua state of SCRIPT FLUSH / FUNCTION FLUSH ASYNC when it holds more than that many scripts or functions.
//!
//! ```text
//!  event loop thread                                    lazy-free thread (started on first use)
//!  free_keys(dict) / free_entry(e) ──Job──▶ channel ──▶ drop(job); pending -= n; freed += n
//!  reclaim() in the cron ◀── slab::Freed ◀── channel ◀── slab::detach_freed()
//!    slab::adopt_freed + release free pages
//! ```
//!
//! Memory: the system allocator and the global counter ([`crate::alloc`]) are thread-safe, so bytes freed by the
//! thread leave `used_memory` at once. Small keyspace chunks come from the event loop thread's slab
//! ([`crate::alloc::slab`]); freed on the lazy-free thread they land on that thread's free lists, so after each
//! job the thread detaches them and sends them back, and the cron adopts them ([`LazyFree::reclaim`]): from then
//! on `used_memory` no longer counts them and their pages can be unmapped.
//!
//! Invariants: `pending` counts objects queued and not yet dropped; `freed` those dropped since start or CONFIG
//! RESETSTAT (INFO's `lazyfree_pending_objects` / `lazyfreed_objects`, counted per key as Redis counts them).
//! A job owns what it frees outright: nothing on the event loop thread refers to it any more.
//!
//! Tested by the unit tests below (objects counted and freed, chunks returned) and by
//! tests/replication/replication_load.rs (FLUSHALL ASYNC and `replica-lazy-flush` against INFO's counters and
//! `used_memory`).

use crate::alloc::slab;
use crate::keyspace::dict::Dict;
use crate::keyspace::object::{Entry, FREE_EFFORT_THRESHOLD};
use crate::lua::Lua;
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

/// What the thread frees (held only to be dropped there).
#[allow(dead_code)]
enum What {
    Keys(Vec<Dict<Entry>>),
    Entry(Entry),
    /// A Lua state and what went with it (SCRIPT FLUSH's script cache, FUNCTION FLUSH's libraries).
    Lua(Option<Box<Lua>>, Box<dyn Any + Send>),
}

/// One unit of work and the number of objects it counts for.
struct Job {
    _what: What,
    objects: u64,
}

// SAFETY: a job owns its tables and entries exclusively (they were removed from the keyspace before being queued,
// and nothing keeps a pointer into them); dropping them only calls the global allocator, which is thread-safe, and
// the slab's `dealloc`, which supports freeing a chunk on a thread other than its owner's (see `alloc::slab`). A Lua
// state is not `Send` only because of the `Rc`s it holds (prototypes, source names): they are created by its
// compiler and never leave it past a call (the debugger's `frame_proto` clone is dropped before the call
// returns), so once the state is moved here no other reference to their counts exists; it holds no host pointer
// (the host is lent to each call) and `crate::lua` keeps no thread-locals, so dropping it elsewhere only frees
// memory.
unsafe impl Send for Job {}

/// Counters shared with the thread.
#[derive(Default)]
struct Counters {
    pending: AtomicU64,
    freed: AtomicU64,
}

/// The lazy-free thread's handle, owned by the server state.
#[derive(Default)]
pub struct LazyFree {
    jobs: Option<Sender<Job>>,
    returned: Option<Receiver<slab::Freed>>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for LazyFree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyFree").field("pending", &self.pending()).field("freed", &self.freed()).finish()
    }
}

impl LazyFree {
    /// INFO `lazyfree_pending_objects`.
    pub fn pending(&self) -> u64 {
        self.counters.pending.load(Ordering::Relaxed)
    }

    /// INFO `lazyfreed_objects`.
    pub fn freed(&self) -> u64 {
        self.counters.freed.load(Ordering::Relaxed)
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&self) {
        self.counters.freed.store(0, Ordering::Relaxed);
    }

    /// Frees the tables in the background; each key counts as one object (Redis's `emptyDbAsync`).
    pub fn free_keys(&mut self, tables: Vec<Dict<Entry>>) {
        let objects: u64 = tables.iter().map(|t| t.len() as u64).sum();
        if objects == 0 {
            return;
        }
        self.submit(Job { _what: What::Keys(tables), objects });
    }

    /// Frees the keys of whole databases in the background (their other state stays with them).
    pub fn free_dbs(&mut self, dbs: Vec<crate::keyspace::db::Db>) {
        let tables = dbs.into_iter().map(|mut d| d.take_keys()).collect();
        self.free_keys(tables);
    }

    /// Frees one value in the background (UNLINK of a big value); one object.
    pub fn free_entry(&mut self, e: Entry) {
        self.submit(Job { _what: What::Entry(e), objects: 1 });
    }

    /// Frees a Lua state and what went with it on the thread; `objects` is what INFO counts for it (Redis's
    /// `freeLuaScriptsAsync` counts scripts, `freeFunctionsAsync` functions).
    pub fn free_lua(&mut self, lua: Option<Lua>, rest: Box<dyn Any + Send>, objects: u64) {
        self.submit(Job { _what: What::Lua(lua.map(Box::new), rest), objects });
    }

    /// A deleted value: freed by the thread when `lazy` and it is worth it (more than [`FREE_EFFORT_THRESHOLD`]
    /// steps, Redis's `dbAsyncDelete`), here otherwise.
    pub fn free_deleted(&mut self, e: Entry, lazy: bool) {
        if lazy && e.free_effort() > FREE_EFFORT_THRESHOLD {
            self.free_entry(e);
        }
    }

    fn submit(&mut self, job: Job) {
        if self.jobs.is_none() {
            self.start();
        }
        let n = job.objects;
        self.counters.pending.fetch_add(n, Ordering::Relaxed);
        let Some(tx) = self.jobs.as_ref() else {
            // No thread (it could not be started): free here.
            self.counters.pending.fetch_sub(n, Ordering::Relaxed);
            drop(job);
            self.counters.freed.fetch_add(n, Ordering::Relaxed);
            return;
        };
        if let Err(back) = tx.send(job) {
            // The thread is gone: free here.
            self.counters.pending.fetch_sub(n, Ordering::Relaxed);
            drop(back.0);
            self.counters.freed.fetch_add(n, Ordering::Relaxed);
        }
    }

    fn start(&mut self) {
        let (job_tx, job_rx) = channel::<Job>();
        let (ret_tx, ret_rx) = channel::<slab::Freed>();
        let counters = self.counters.clone();
        let spawned = std::thread::Builder::new().name("bio_lazy_free".into()).spawn(move || {
            crate::sys::affinity::enter(crate::sys::affinity::Role::Background);
            while let Ok(job) = job_rx.recv() {
                let n = job.objects;
                drop(job);
                counters.pending.fetch_sub(n, Ordering::Relaxed);
                counters.freed.fetch_add(n, Ordering::Relaxed);
                if ret_tx.send(slab::detach_freed()).is_err() {
                    return;
                }
            }
        });
        match spawned {
            Ok(_) => {
                self.jobs = Some(job_tx);
                self.returned = Some(ret_rx);
            }
            Err(e) => crate::log_warning!("Can't start the lazy free thread: {e}"),
        }
    }

    /// Takes back the chunks the thread freed (call from the event loop thread, e.g. in the cron); returns how
    /// many batches came back. Adopting a batch is O(classes): the pages that are now wholly free go back to the
    /// system through the cron's bounded [`slab::release_step`] (a whole release here walked every freed chunk:
    /// hundreds of milliseconds after FLUSHALL ASYNC of 10M keys), and malloc's free pages through its once-a-second
    /// trim.
    pub fn reclaim(&mut self) -> usize {
        let Some(rx) = self.returned.as_ref() else { return 0 };
        let mut batches = 0;
        while let Ok(freed) = rx.try_recv() {
            slab::adopt_freed(freed);
            batches += 1;
        }
        batches
    }
}

/// Gives free memory back to the system: the slab's fully free pages, then malloc's free pages
/// (`malloc_trim(0)`). Returns the slab bytes released. Used by MEMORY PURGE and after a synchronous flush.
pub fn purge() -> usize {
    let released = crate::alloc::slab::release_free_pages();
    crate::alloc::trim();
    released
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::db::Db;

    fn wait_for(lf: &mut LazyFree, freed: u64) {
        for _ in 0..10_000 {
            lf.reclaim();
            if lf.freed() >= freed && lf.pending() == 0 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        panic!("the lazy free thread did not finish");
    }

    #[test]
    fn databases_are_freed_and_counted() {
        let mut lf = LazyFree::default();
        let mut db = Db::new(0);
        for i in 0..5000 {
            db.insert_with_expire(Entry::new_string(format!("key:{i}").as_bytes(), b"some value"));
        }
        let live = slab::stats().live_bytes;
        lf.free_dbs(vec![db, Db::new(1)]);
        wait_for(&mut lf, 5000);
        assert_eq!(lf.freed(), 5000);
        // The entries' chunks come back to this thread and no longer count as live (the thread counts a job as
        // freed before it sends the chunks back, so they may arrive a moment later).
        for _ in 0..10_000 {
            lf.reclaim();
            if slab::stats().live_bytes < live {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let after = slab::stats().live_bytes;
        assert!(after < live, "live bytes {live} -> {after}");
        lf.free_entry(Entry::new_string(b"one", b"value"));
        wait_for(&mut lf, 5001);
        lf.reset_stats();
        assert_eq!(lf.freed(), 0);
        // Empty tables cost nothing and count nothing.
        lf.free_dbs(vec![Db::new(0)]);
        assert_eq!((lf.pending(), lf.freed()), (0, 0));
    }
}
