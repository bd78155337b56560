//! The process's global allocator: the system allocator (glibc malloc on Linux) plus one counter, so that
//! `used_memory` is an O(1) read instead of an allocator walk (`mallinfo2` visits every arena).
//!
//! What is counted: every allocation made through Rust's allocator API, charged at the size of the chunk glibc
//! really hands out for it ([`charged`]: the request plus malloc's 8-byte header, rounded up to 16 bytes, at least
//! 32; page-rounded above the default mmap threshold), and the slab's pages, which it maps itself
//! (`charge_pages`). Not counted: memory C code in libc allocates behind our back (stdio, resolver), and the
//! allocator's own free lists and fragmentation: that difference is what `mem_fragmentation_ratio` shows.
//!
//! ```text
//!   COUNTER (one AtomicU64, relaxed)
//!   63            48 47                                   0
//!  +----------------+--------------------------------------+
//!  | calls mod 2^16 |  bytes charged and not yet freed      |
//!  +----------------+--------------------------------------+
//! ```
//!
//! Routed allocations: under [`slab::route`] (the defragmenter moving a string buffer out of malloc) one allocation
//! is served by [`slab::alloc_routed`] instead, uncharged (the slab's pages are charged already); `dealloc` and
//! `realloc` recognise such a pointer by its address ([`slab::is_slab`]: one range check) and hand it back to the
//! slab, whatever thread frees it.
//!
//! One relaxed `fetch_add` per allocation, reallocation and free (the call count rides in the top 16 bits of the
//! same add, so benchmarks can check "no allocation per command" at no extra cost). Invariant: the low 48 bits
//! equal the bytes charged for live allocations, which never exceed 2^48 (256 TiB), so the high bits never
//! borrow from or carry into them in the true (non-wrapped) sum.
//!
//! The figures the server reads from it live here too: [`used_memory`] (the counter less the slab's free chunks:
//! INFO, MEMORY, eviction, the tables' growth limit) and [`allocator_stats`] (INFO's allocator lines, O(1) inside
//! a [`CheapAllocatorStats`] scope).
//!
//! The allocator is registered in `lib.rs`, so every artifact that links the library (the server, the check
//! tools, the tests and benchmarks) uses it; no other crate in the graph may define one. Tested by the unit tests
//! below and by `tests/types/memory_accounting.rs` (used_memory follows SET/DEL/FLUSHALL).

pub mod slab;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The bytes charged for live allocations (low 48 bits) and a call count (high 16 bits), as drawn above. Written
/// by [`Counting`]'s `alloc`/`dealloc`/`realloc` on every thread's every allocation, by the slab as it maps and
/// unmaps pages ([`charge_pages`], [`refund_pages`]) and by [`free_maybe_later`]; read by [`allocated`] (INFO's
/// `used_memory`, eviction, the tables' growth limit) and [`calls`]. A static because the global allocator has
/// no other place to keep it: it runs below everything, on every thread.
static COUNTER: AtomicU64 = AtomicU64::new(0);

const BYTES_BITS: u32 = 48;
const BYTES_MASK: u64 = (1 << BYTES_BITS) - 1;
const ONE_CALL: u64 = 1 << BYTES_BITS;
/// Requests of at least this many bytes get their own page-rounded mapping: glibc's `M_MMAP_THRESHOLD`, which
/// [`configure`] fixes at this value in the server (glibc's default starts at 128 KiB and rises to the size of the
/// largest mapped block freed so far, up to 32 MiB; our estimate of a chunk's cost follows the fixed value).
pub const MMAP_THRESHOLD: usize = 1 << 20;
const OS_PAGE: usize = 4096;

/// Bytes a request of this layout costs in glibc malloc (our estimate, used for both the charge and the refund, so
/// the counter stays exact whatever the estimate's error).
#[inline]
pub const fn charged(layout: Layout) -> usize {
    let size = layout.size();
    if layout.align() > 16 {
        // memalign: the chunk plus up to `align` bytes of slack it may keep.
        return size + layout.align();
    }
    if size >= MMAP_THRESHOLD {
        // An mmapped chunk: 16 bytes of header, rounded to whole pages.
        return (size + 16 + OS_PAGE - 1) & !(OS_PAGE - 1);
    }
    let chunk = (size + 8 + 15) & !15;
    if chunk < 32 {
        32
    } else {
        chunk
    }
}

/// The counting allocator (see the module docs).
pub struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; the counter has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if slab::routing() && layout.align() <= 8 {
            // The defragmenter moving a buffer into the slab (see `slab::route`): the slab's pages are charged
            // already, so the chunk is not.
            if let Some(p) = slab::alloc_routed(layout.size()) {
                return p.as_ptr();
            }
        }
        // SAFETY: same contract as our caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            COUNTER.fetch_add(charged(layout) as u64 + ONE_CALL, Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as our caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            COUNTER.fetch_add(charged(layout) as u64 + ONE_CALL, Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if slab::is_slab(ptr) {
            // SAFETY: only `alloc` above hands out pointers in the slab's range, from `alloc_routed` with this
            // layout's size.
            unsafe { slab::dealloc_routed(NonNull::new_unchecked(ptr), layout.size()) };
            return;
        }
        COUNTER.fetch_sub(charged(layout) as u64, Ordering::Relaxed);
        // SAFETY: `ptr` came from this allocator (hence from `System`) with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if slab::is_slab(ptr) {
            // A routed chunk changes size: the new buffer comes from malloc (a growing string leaves the slab).
            // SAFETY: the caller guarantees `new_size`, rounded up to the alignment, does not overflow isize.
            let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: a non-zero size (the caller's contract).
            let q = unsafe { self.alloc(new) };
            if !q.is_null() {
                // SAFETY: both blocks are live and distinct; the old one holds `layout.size()` bytes; the old one
                // came from `alloc_routed` with this size (see `dealloc`).
                unsafe {
                    std::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new_size));
                    slab::dealloc_routed(NonNull::new_unchecked(ptr), layout.size());
                }
            }
            return q;
        }
        // SAFETY: same contract as our caller's.
        let q = unsafe { System.realloc(ptr, layout, new_size) };
        if !q.is_null() {
            // SAFETY: the caller guarantees `new_size`, rounded up to the alignment, does not overflow isize.
            let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            let delta = (charged(new) as u64).wrapping_sub(charged(layout) as u64);
            COUNTER.fetch_add(delta.wrapping_add(ONE_CALL), Ordering::Relaxed);
        }
        q
    }
}

/// Bytes charged for live allocations (including the slab's pages in use), in O(1).
#[inline]
pub fn allocated() -> u64 {
    COUNTER.load(Ordering::Relaxed) & BYTES_MASK
}

/// Allocation and reallocation calls so far, modulo 2^16: take differences with `wrapping_sub` over spans that
/// make fewer than 65536 calls.
#[inline]
pub fn calls() -> u16 {
    (COUNTER.load(Ordering::Relaxed) >> BYTES_BITS) as u16
}

/// Bytes of memory the server holds (`used_memory`), in O(1): what the counting global allocator has charged
/// for live allocations ([`allocated`]: glibc's chunk sizes, plus the slab's mapped pages), minus the calling
/// thread's slab bytes not handed out (free chunks wait on free lists until their page is released, and must not
/// count, or deleting keys would never lower the figure). Call it on the main thread, where the data lives.
#[inline]
pub fn used_memory() -> u64 {
    allocated().saturating_sub(slab::free_bytes() as u64)
}

/// Allocator figures for INFO memory: (allocated, active, resident) bytes. `allocated` is what the program holds,
/// `active` what the allocator took from the system (free chunks included), `resident` the same from the kernel's
/// point of view (glibc can't tell the two apart, so they are equal there).
pub fn allocator_stats() -> (u64, u64, u64) {
    let allocated = allocated();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if !CHEAP_ALLOCATOR_STATS.load(Ordering::Relaxed) {
        // SAFETY: mallinfo2 takes no arguments, only reads allocator statistics and returns them by value.
        let mi = unsafe { libc::mallinfo2() };
        // malloc's heap and mappings, plus the slab's pages (mapped directly, unknown to malloc).
        let slab = slab::stats().page_bytes as u64;
        // What malloc_trim gave back inside the heap still counts in `arena`: what is resident bounds it.
        let active = ((mi.arena + mi.hblkhd) as u64 + slab).min(crate::sys::process::rss_memory()).max(allocated);
        return (allocated, active, active);
    }
    let rss = crate::sys::process::rss_memory().max(allocated);
    (allocated, rss, rss)
}

/// While set, [`allocator_stats`] reports the resident set as `active` instead of walking malloc's arenas with
/// `mallinfo2`, which costs tens of milliseconds on a heap fragmented by many small objects. The cron's once-a-second
/// crash-report snapshot renders INFO under [`CheapAllocatorStats`]; INFO and MEMORY commands keep the exact figures.
/// Set and cleared only by [`CheapAllocatorStats::enter`] and its drop, around the snapshot in
/// [`Server::refresh_crash_snapshot`](crate::server::Server::refresh_crash_snapshot). A static because
/// [`allocator_stats`] is reached from INFO's rendering, which has no parameter for it.
static CHEAP_ALLOCATOR_STATS: AtomicBool = AtomicBool::new(false);

/// Scope in which [`allocator_stats`] takes its O(1) path (see `CHEAP_ALLOCATOR_STATS`).
pub struct CheapAllocatorStats(());

impl CheapAllocatorStats {
    pub fn enter() -> CheapAllocatorStats {
        CHEAP_ALLOCATOR_STATS.store(true, Ordering::Relaxed);
        CheapAllocatorStats(())
    }
}

impl Drop for CheapAllocatorStats {
    fn drop(&mut self) {
        CHEAP_ALLOCATOR_STATS.store(false, Ordering::Relaxed);
    }
}

/// Charges `bytes` of memory obtained outside the allocator API (the slab's mapped pages).
#[inline]
pub(crate) fn charge_pages(bytes: usize) {
    COUNTER.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// Refunds memory charged with [`charge_pages`] when it is given back.
#[inline]
pub(crate) fn refund_pages(bytes: usize) {
    COUNTER.fetch_sub(bytes as u64, Ordering::Relaxed);
}

/// Fixes glibc's mmap threshold at [`MMAP_THRESHOLD`] (the server calls this before anything else). glibc's own
/// rule raises the threshold to the size of each mapped block that is freed (up to 32 MiB), after which a hash
/// table's array of up to 32 MiB comes from the heap: `calloc` must then clear it byte by byte (milliseconds,
/// on the event loop), and when it is freed it stays resident until a `malloc_trim` walks the heap (more
/// milliseconds). With the threshold fixed, every block of 1 MiB or more is a mapping of its own: born zeroed by
/// the kernel page by page as it is touched, and given back whole when freed. A no-op outside glibc.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tunable of the allocator; any value is accepted or refused with 0.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
    }
}

/// Blocks at least this big are freed on the release thread by [`free_maybe_later`]: the mapped ones (smaller
/// blocks are heap chunks, whose `free` is quick).
pub const FREE_LATER_MIN: usize = MMAP_THRESHOLD;

/// The release thread's queue: blocks whose `free` is slow enough to hold the event loop. Set once, by the first
/// [`free_maybe_later`] of a big block (which starts the `release` thread; `None` if it could not start), and only
/// read after. A static because its callers (a dict dropping an old array) run far below any server state.
static RELEASER: std::sync::OnceLock<Option<std::sync::mpsc::Sender<(usize, Layout)>>> = std::sync::OnceLock::new();

/// Frees `ptr`: at once when the block is smaller than [`FREE_LATER_MIN`], else on the release thread. A mapped
/// block's `munmap` frees each of its touched pages (18-28 ms for a touched 128 MiB array, a 16M-slot keyspace
/// table, in a one-off measurement by hand on a loaded machine), which would hold the loop; the thread does it instead
/// (what jemalloc's background purging does for Redis). `used_memory` drops at once.
///
/// # Safety
/// `ptr` must have been allocated by this process's global allocator with `layout` and must not be used again.
pub unsafe fn free_maybe_later(ptr: *mut u8, layout: Layout) {
    if layout.size() >= FREE_LATER_MIN {
        let tx = RELEASER.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<(usize, Layout)>();
            let spawned = std::thread::Builder::new().name("release".into()).spawn(move || {
                crate::sys::affinity::enter(crate::sys::affinity::Role::Background);
                stay_out_of_the_loops_way();
                for (p, layout) in rx {
                    drop_pages(p, layout.size());
                    // SAFETY: queued by `free_maybe_later`, whose caller handed the block over for good; it came
                    // from `System` through `Counting` (never the slab: routed chunks are at most 4 KiB) and its
                    // charge was refunded when it was queued.
                    unsafe { System.dealloc(p as *mut u8, layout) };
                }
            });
            spawned.ok().map(|_| tx)
        });
        if let Some(tx) = tx {
            debug_assert!(!slab::is_slab(ptr));
            // `used_memory` drops now, when the block is given up, not when the thread gets to it: the figure must
            // not depend on how soon another thread runs.
            COUNTER.fetch_sub(charged(layout) as u64, Ordering::Relaxed);
            match tx.send((ptr as usize, layout)) {
                Ok(()) => return,
                Err(e) => {
                    // The thread is gone (it never panics; only a process shutting down): free here.
                    let (p, layout) = e.0;
                    // SAFETY: our caller's contract; the block was not queued and its charge is refunded already.
                    unsafe { System.dealloc(p as *mut u8, layout) };
                    return;
                }
            }
        }
    }
    // SAFETY: our caller's contract.
    unsafe { std::alloc::dealloc(ptr, layout) }
}

/// Puts the calling thread (the release thread) under `SCHED_BATCH`, whose threads never preempt another when
/// they wake: a block handed over then waits for the CPU the loop holds instead of taking it (and the thread
/// yields after every step of the block, [`drop_pages`]). Under the normal policy the kernel let the woken thread
/// take the CPU from the loop at once when both share one CPU (a server pinned to a core, a busy machine), and
/// keep it for the whole block: the emptied table of a hash whose million fields expired held the loop off its
/// CPU for milliseconds (the figures: `benches/README.md`, "Hash-field expiry"). Not `SCHED_IDLE`,
/// which would never preempt the loop either: a thread that gets the CPU only when nothing else wants it can be
/// starved while it holds the memory-map lock the loop then waits for (an `mprotect` of the slab, a `brk`), behind
/// every other process of the CPU; a batch thread keeps its fair share. Dropping to `SCHED_BATCH` needs no
/// privilege; a failure leaves the thread as it was. A no-op outside Linux.
fn stay_out_of_the_loops_way() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `sched_param` is a plain C struct of integers (musl's adds reserved integer and timespec
        // fields, hence no struct literal), for which all-zero bytes are a valid value: priority 0, which
        // SCHED_BATCH requires.
        let param: libc::sched_param = unsafe { std::mem::zeroed() };
        // SAFETY: `sched_setscheduler` with pid 0 changes the calling thread's policy only; `param` is a valid
        // `sched_param` that outlives the call; an error changes nothing.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    }
}

/// Hands the whole pages inside a block the release thread is about to free back to the kernel, 2 MiB per
/// `madvise`, before the `munmap`. Unmapping a big touched mapping in one call keeps the process's memory-map lock
/// for the whole page walk (tens of milliseconds for 128 MiB), and an `mprotect` on the event loop (the slab
/// committing a page of its reservation) waits for it; `MADV_DONTNEED` in steps holds it a fraction of a
/// millisecond at a time, and the `munmap` after it has no pages left to walk. After each step the thread yields:
/// an event loop waiting for the CPU they share gets it back after one step (about 0.2 ms), not after the whole
/// block (4-5 ms for 50 MiB), and with nobody waiting the yield returns at once.
fn drop_pages(p: usize, len: usize) {
    #[cfg(target_os = "linux")]
    {
        const STEP: usize = 2 << 20;
        const PAGE: usize = 4096;
        // Whole pages only, from the first page boundary at or after the block's start (the allocator's header,
        // just before it, stays untouched) to the last one at or before its end.
        let (mut at, end) = ((p + PAGE - 1) & !(PAGE - 1), (p + len) & !(PAGE - 1));
        while at < end {
            let n = STEP.min(end - at);
            // SAFETY: [at, at + n) lies inside a block this thread owns outright (handed over by
            // `free_maybe_later`, about to be freed, read by nobody); discarding its contents is harmless, and
            // MADV_DONTNEED on private anonymous memory leaves the range mapped (reading zeros).
            unsafe { libc::madvise(at as *mut libc::c_void, n, libc::MADV_DONTNEED) };
            at += n;
            std::thread::yield_now();
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, len);
}

/// Gives the allocator's free memory back to the system where it can (glibc's `malloc_trim(0)` releases free
/// pages at the top of the heap and inside it); a no-op elsewhere.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and releases the allocator's free memory; any argument is valid.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The estimate of malloc's free resident bytes right after [`trim_if_worth`] last trimmed: what a trim cannot
/// give back (free chunks sharing pages with live ones) stays in the figure, so only growth beyond it is worth
/// another trim. Written and read only by [`trim_if_worth`], which the server cron calls about once a second; a
/// static because it belongs with the allocator, whatever process state calls it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
static FREE_AFTER_TRIM: AtomicU64 = AtomicU64::new(0);

/// Trims malloc (see [`trim`]) when the process holds much more resident memory than its live allocations, and
/// more than after the last trim: at least 4 MiB more and a quarter of the resident set, as after a big table or
/// buffer is freed in the middle of the heap, where glibc only returns memory at the top by itself. The free
/// figure is the resident set (`rss`, from the kernel) minus [`allocated`]: O(1), where `mallinfo2` walks every
/// free chunk of every arena (tens of milliseconds on a heap fragmented by many small objects, such as thousands
/// of compiled scripts). Code, stacks and other mappings make the figure larger than malloc's own free bytes by
/// a constant, which the after-trim baseline absorbs. Meant for the cron about once a second. Returns whether it
/// trimmed.
pub fn trim_if_worth(rss: u64) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let free = rss.saturating_sub(allocated());
        let last = FREE_AFTER_TRIM.load(Ordering::Relaxed).min(free);
        FREE_AFTER_TRIM.store(last, Ordering::Relaxed);
        if rss > 0 && free >= last + (4 << 20) && free >= rss / 4 {
            trim();
            let after = crate::sys::process::rss_memory().saturating_sub(allocated());
            FREE_AFTER_TRIM.store(after, Ordering::Relaxed);
            return true;
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = rss;
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `p` lies in one of this process's mappings.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn mapped(p: usize) -> bool {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
        maps.lines().any(|l| {
            let range = l.split(' ').next().unwrap_or("");
            let (a, b) = range.split_once('-').unwrap_or(("0", "0"));
            let (a, b) = (usize::from_str_radix(a, 16).unwrap_or(0), usize::from_str_radix(b, 16).unwrap_or(0));
            a <= p && p < b
        })
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn big_blocks_are_freed_on_the_release_thread() {
        // 64 MiB: above glibc's largest mmap threshold, so the block is a mapping of its own, whatever other
        // tests did to the threshold; once the release thread has freed it, the mapping is gone.
        let layout = Layout::from_size_align(64 << 20, 8).unwrap();
        // SAFETY: a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!p.is_null());
        // SAFETY: in bounds of the block just allocated.
        unsafe { p.add(12345).write(7) };
        assert!(mapped(p as usize));
        // SAFETY: allocated above with this layout, not used again.
        unsafe { free_maybe_later(p, layout) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while mapped(p as usize + 12345) {
            assert!(std::time::Instant::now() < deadline, "the block was never freed");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        // The thread runs under SCHED_BATCH (policy 3, the 41st field of its stat), so a block handed over does
        // not take the CPU from the event loop.
        let policy_of_release = std::fs::read_dir("/proc/self/task").expect("/proc/self/task").find_map(|t| {
            let dir = t.ok()?.path();
            (std::fs::read_to_string(dir.join("comm")).ok()?.trim() == "release").then_some(())?;
            let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
            stat.rsplit_once(')')?.1.split_whitespace().nth(38)?.parse::<i32>().ok()
        });
        assert_eq!(policy_of_release, Some(libc::SCHED_BATCH));
    }

    #[test]
    fn charges_like_glibc_chunks() {
        let l = |s| Layout::from_size_align(s, 8).unwrap();
        assert_eq!(charged(l(1)), 32);
        assert_eq!(charged(l(24)), 32);
        assert_eq!(charged(l(25)), 48);
        assert_eq!(charged(l(100)), 112);
        assert_eq!(charged(l(MMAP_THRESHOLD)), MMAP_THRESHOLD + OS_PAGE);
        assert_eq!(charged(Layout::from_size_align(64, 64).unwrap()), 128);
    }

    #[test]
    fn counter_follows_allocations() {
        // Other test threads allocate and free concurrently, so use a size (untouched, so it costs no RSS) far
        // above what they hold, with a wide tolerance.
        let before = allocated();
        let v: Vec<u8> = Vec::with_capacity(1 << 30);
        let during = allocated();
        assert!(during >= before + (768 << 20), "before {before} during {during}");
        // Two calls at least (other threads only add more, but the 16-bit call count can wrap when this thread is
        // descheduled meanwhile: one attempt out of several without a wrap is enough).
        let counted = (0..20).any(|_| {
            let c0 = calls();
            let mut w: Vec<u8> = Vec::with_capacity(10);
            w.reserve_exact(1000);
            let d = calls().wrapping_sub(c0);
            drop(w);
            (2..30_000).contains(&d)
        });
        assert!(counted, "the call count never moved by 2 for two allocations");
        drop(v);
        let after = allocated();
        assert!(after < during - (768 << 20), "during {during} after {after}");
    }
}
