//! Active defragmentation (Redis's `activeDefragCycle`), for ferredis's own allocator.
//!
//! ```text
//!  cron tick (hz/s), activedefrag yes, no forked child:
//!    once a second: frag = rss / used_memory - 1, frag_bytes = rss - used_memory
//!      start (or speed up) when frag > active-defrag-threshold-lower and frag_bytes > active-defrag-ignore-bytes;
//!      cpu% = cycle-min .. cycle-max, interpolated between threshold-lower and threshold-upper
//!    running: work for cpu% of the cron period (1_000_000 * cpu / hz / 100 us):
//!      1. slab::defrag_prep   count each fragmented class's free chunks per page, mark the sparse pages
//!      2. walk every db's dict  Entry::defrag: move entry chunks out of marked pages, and raw string buffers out
//!                               of marked pages or out of malloc's heap into slab chunks; unmap emptied pages
//!      3. slab::defrag_end      unmap the pages that emptied, give the rest back; malloc_trim the heap
//! ```
//!
//! Why it can compact: every keyspace chunk has exactly one pointer to it (the dict slot owns the entry, the entry owns
//! its buffer; TTLs live inside the entry), so a move is alloc + copy + free + one pointer update. New chunks never
//! land in a marked page (its free chunks are held on the page's own list), so the survivors gather in the dense pages
//! and the marked ones empty. malloc's heap cannot be steered that way (glibc has no placement hint), so raw strings up
//! to [`slab::MAX_ROUTED`](crate::alloc::slab::MAX_ROUTED) bytes leave it for slab chunks, after which the heap's holes
//! are whole free pages that `malloc_trim` returns.
//!
//! Not moved: collection internals (listpacks, quicklist nodes, skiplists, hash tables of big keys) and keys longer
//! than the slab serves; their pages just stay. Not run while a forked child shares our pages (a move would copy the
//! page in the child's favour), as Redis. The lazy-free thread frees chunks into its own lists; they come back with
//! [`slab::adopt_freed`](crate::alloc::slab::adopt_freed) like any other, and a marked page holding one is simply kept.
//!
//! Tested by `tests/operations/defrag.rs` (CONFIG SET activedefrag yes, INFO fields move, DEBUG DIGEST unchanged) and
//! the slab's unit tests (moving under a random model of allocations and frees).

use crate::state::ServerState;

pub mod progress;
pub use progress::{Defrag, Stats};
use std::time::Instant;

/// Dict slots walked between time checks.
const SLOTS_PER_CHECK: usize = 256;
/// Chunks the slab's preparation visits between time checks.
const PREP_PER_CHECK: usize = 8192;

/// Fragmentation as the cron sees it: (percent over 100, bytes), from the resident set and `used_memory`.
fn fragmentation() -> (f64, u64) {
    let rss = crate::sys::process::rss_memory();
    let used = crate::alloc::used_memory().max(1);
    (rss as f64 * 100.0 / used as f64 - 100.0, rss.saturating_sub(used))
}

/// The thresholds and CPU limits (`active-defrag-*`).
struct Knobs {
    lower: f64,
    upper: f64,
    min: f64,
    max: f64,
    ignore: u64,
}

fn knobs(state: &ServerState) -> Knobs {
    let c = &state.config;
    Knobs {
        lower: c.stored_i64("active-defrag-threshold-lower") as f64,
        upper: c.stored_i64("active-defrag-threshold-upper") as f64,
        min: c.stored_i64("active-defrag-cycle-min") as f64,
        max: c.stored_i64("active-defrag-cycle-max") as f64,
        ignore: c.stored_i64("active-defrag-ignore-bytes").max(0) as u64,
    }
}

/// Redis's `computeDefragCycles`: starts a run, or raises its CPU share, when fragmentation calls for it.
fn compute_cycles(d: &mut Defrag, k: &Knobs) {
    let (pct, bytes) = fragmentation();
    let st = &mut d.stats;
    if st.running == 0 && (pct < k.lower || bytes < k.ignore) {
        return;
    }
    let span = k.upper - k.lower;
    let t = if span > 0.0 { (pct - k.lower) / span } else { 1.0 };
    let cpu = (k.min + t.clamp(0.0, 1.0) * (k.max - k.min)).clamp(k.min.min(k.max), k.max.max(k.min)) as u32;
    if cpu > st.running {
        if st.running == 0 {
            d.run_start = Some(Instant::now());
        }
        st.running = cpu;
        crate::log_verbose!("Starting active defrag, frag={pct:.0}%, frag_bytes={bytes}, cpu={cpu}%");
    }
}

fn stop_run(d: &mut Defrag) {
    d.stats.running = 0;
    if let Some(t) = d.run_start.take() {
        d.stats.total_ms += t.elapsed().as_millis() as u64;
    }
    d.walk = (usize::MAX, 0);
    d.in_pass = false;
}

/// The cron's defrag work (Redis's `activeDefragCycle`, called every tick).
pub fn cron(state: &mut ServerState, hz: i64) {
    if !state.config.stored_bool("activedefrag") {
        if state.defrag.stats.running != 0 || crate::alloc::slab::defrag_active() {
            crate::alloc::slab::defrag_end();
            stop_run(&mut state.defrag);
        }
        return;
    }
    // Moving memory while a forked child shares our pages would only copy them.
    if state.persist.child.is_some() {
        return;
    }
    let k = knobs(state);
    let now = Instant::now();
    if state.defrag.last_check.is_none_or(|t| now.duration_since(t).as_millis() >= 1000) {
        state.defrag.last_check = Some(now);
        compute_cycles(&mut state.defrag, &k);
    }
    let running = state.defrag.stats.running;
    if running == 0 {
        return;
    }
    let limit_us = (1_000_000 * running as u64 / hz.max(1) as u64 / 100).max(1);
    run_for(state, limit_us, &k);
}

/// Works on the run for about `limit_us` microseconds.
fn run_for(state: &mut ServerState, limit_us: u64, k: &Knobs) {
    use crate::alloc::slab;
    let start = Instant::now();
    let over = || start.elapsed().as_micros() as u64 >= limit_us;
    loop {
        // Every branch below does a bounded piece of work, so the time limit is checked at least that often.
        if over() {
            return;
        }
        let d = &mut state.defrag;
        if !d.in_pass {
            // A new pass: mark the slab's sparse pages (unless a release sweep holds the slab: then this pass
            // moves only buffers out of malloc), then walk the keyspace from the first db.
            d.pass_marked = slab::defrag_begin(k.lower.clamp(1.0, 100.0) as usize);
            d.in_pass = true;
            d.walk = (usize::MAX, 0);
            d.scan_hits = d.stats.hits;
        }
        let (db, cursor) = d.walk;
        if db == usize::MAX {
            if slab::defrag_prep(PREP_PER_CHECK) {
                continue;
            }
            d.walk = (0, 0);
            continue;
        }
        if db >= state.dbs.len() {
            slab::defrag_end();
            d.in_pass = false;
            crate::alloc::trim();
            let (pct, bytes) = fragmentation();
            let moved = d.stats.hits - d.scan_hits;
            crate::log_verbose!(
                "Active defrag done in {}ms, reallocated={moved}, frag={pct:.0}%, frag_bytes={bytes}",
                d.current_ms()
            );
            // A pass that moved anything changed the slab's layout (the first one moves string buffers out of
            // malloc into slab chunks, which leaves the entries' pages to compact): while fragmentation is still
            // above the lower threshold the run goes on with another pass, even below `active-defrag-ignore-bytes`
            // (which decides whether a run starts, as in Redis). It ends with the first pass that moves nothing
            // with the slab's pages marked (a release sweep, after a flush, can keep a pass from marking them).
            if pct >= k.lower && (moved > 0 || !d.pass_marked) {
                continue;
            }
            stop_run(d);
            compute_cycles(d, k);
            if d.stats.running != 0 {
                continue;
            }
            return;
        }
        let st = &mut state.defrag.stats;
        let next = state.dbs[db].defrag_step(cursor, SLOTS_PER_CHECK, |e| {
            let (h, m) = e.defrag();
            st.hits += h as u64;
            st.misses += m as u64;
            if h > 0 {
                st.key_hits += 1;
            } else {
                st.key_misses += 1;
            }
        });
        if next == 0 {
            // The table itself may be far larger than its keys need after the deletes.
            state.dbs[db].compact_table();
            state.defrag.walk = (db + 1, 0);
        } else {
            state.defrag.walk = (db, next);
        }
        slab::defrag_poll();
    }
}
