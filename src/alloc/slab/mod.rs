//! A size-class slab allocator for small keyspace allocations (packed entries, TTL records).
//!
//! Why: glibc malloc puts a 8-byte header on every chunk and rounds to 16 bytes, so a 32-byte entry costs 48.
//! Here a 32-byte entry costs 32: chunks are carved from 64 KiB pages into 8-byte-granular size classes, and freed
//! chunks go onto a per-class free list.
//!
//! ```text
//!  class c serves sizes (8c, 8c+8]  (c = 0..32, so 8..=256 bytes)
//!
//!   page (64 KiB, 64 KiB-aligned, mapped with mmap)
//!  +--------+--------+--------+--------+--------+- - - - - - - - - -+
//!  | header | chunk  | chunk  | chunk  | chunk  |    not yet carved  |
//!  +--------+--------+--------+--------+--------+- - - - - - - - - -+
//!   owner,    ^ in use  ^ free: first 8 bytes = next free chunk        ^ bump ... end
//!   scratch   a chunk's page is `addr & !(PAGE_BYTES - 1)`
//!
//!  sizes above 256 bytes go straight to the system allocator (rounded to 8 so the size math is uniform).
//! ```
//!
//! Invariants: every chunk is 8-byte aligned and `round8(size)` bytes long; a chunk is either owned by exactly one
//! live allocation or on exactly one free list; a page serves one class, and every page of a class but its current
//! bump page is fully carved (a page is mapped only when the bump page has no room left), so the chunks carved
//! from a page are known without a per-page counter on the hot path; a header's `scratch` is 0 outside
//! [`release_free_pages`].
//!
//! Returning memory: [`release_free_pages`] (MEMORY PURGE, FLUSHALL/FLUSHDB) walks each class's free list twice:
//! once counting free chunks per page in the header's `scratch`, once unlinking the chunks of pages where every
//! carved chunk is free and unmapping those pages (a page's chunks may sit anywhere in the list, so the second
//! walk counts them down and unmaps at zero); when every page of the class is free the list is dropped whole
//! after the first walk. A page whose chunks are all on the list has no live chunk, so nothing live is ever
//! released; the class's current bump page may go too (it stops being the bump page when it is marked, and the
//! next allocation maps a new one). The cron's [`release_step`] does the same for one class in bounded steps on a
//! detached copy of its list (see [`Sweep`]).
//!
//! Threads: the state is thread-local so the hot path needs no locking, and a chunk may be freed on a different
//! thread than the one that allocated it (it joins the freeing thread's free list). Only the owner (recorded in
//! the header when the page is mapped, never changed) touches a page's `scratch` or releases it; a
//! foreign chunk on a free list is skipped by the release walk, and a page with a chunk on another thread's list
//! is never fully free on its owner's list, so it stays. A thread's free lists and pages are leaked when it exits
//! (test threads only; the server's data lives on the main thread).
//!
//! Defragmentation ([`defrag_begin`]): sparse pages of a class are marked, their free chunks held on the page's own
//! list so nothing new lands there, the caller moves the live chunks out ([`chunk_moves`]) and emptied pages are
//! unmapped. Routed classes (320..=4096 bytes, [`alloc_routed`]) serve only buffers the defragmenter moves out of
//! malloc through the global allocator ([`route`]); all pages come from one reserved range of address space, so
//! [`is_slab`] tells such a buffer from a malloc one by its address.
//!
//! Accounting: mapped pages are charged to the global counter ([`crate::alloc`]) and refunded when unmapped;
//! [`free_bytes`] (mapped minus handed out) is what `used_memory` subtracts, so a freed chunk stops counting at
//! once, before its page can be released.
//!
//! Tested by the unit tests below (reuse, alignment, no overlap under a random alloc/free model, release never
//! touches a live chunk and chunks work after a release) and indirectly by every entry test.

use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;

/// Largest size served from slabs.
pub const MAX_SMALL: usize = 256;
/// Classes of sizes up to [`MAX_SMALL`], 8 bytes apart; the public [`alloc`] serves only these.
const SMALL_CLASSES: usize = MAX_SMALL / 8;
/// All classes: the small ones, then 16 classes from 320 to [`MAX_ROUTED`] bytes, four per power of two
/// (320, 384, 448, 512, 640, ...), served only to [`alloc_routed`] (buffers moved by the defragmenter).
const CLASSES: usize = SMALL_CLASSES + 16;
/// Largest size [`alloc_routed`] serves.
pub const MAX_ROUTED: usize = 4096;

/// Bytes of a chunk of class `c`.
#[inline]
const fn class_size(c: usize) -> usize {
    if c < SMALL_CLASSES {
        (c + 1) * 8
    } else {
        let j = c - SMALL_CLASSES;
        (5 + j % 4) << (6 + j / 4)
    }
}

/// The class serving `size` bytes (1..=[`MAX_ROUTED`]).
#[inline]
const fn class_of(size: usize) -> usize {
    if size <= MAX_SMALL {
        (chunk_size(size) >> 3) - 1
    } else {
        let s = size - 1;
        let e = (usize::BITS - 1 - s.leading_zeros()) as usize;
        SMALL_CLASSES + (e - 8) * 4 + ((s >> (e - 2)) - 4)
    }
}
const PAGE_BYTES: usize = 64 * 1024;
/// Bytes at the start of each page for its [`PageHdr`] (chunks start after it, 8-aligned).
const HDR_BYTES: usize = std::mem::size_of::<PageHdr>();
const _: () = assert!(HDR_BYTES % 8 == 0 && HDR_BYTES + MAX_ROUTED <= PAGE_BYTES);
const _: () = assert!(class_size(CLASSES - 1) == MAX_ROUTED && class_of(MAX_ROUTED) == CLASSES - 1);
const _: () = assert!(PAGE_BYTES.is_power_of_two() && PAGE_BYTES % 4096 == 0);

/// The first bytes of every page.
#[repr(C)]
struct PageHdr {
    /// The owning thread's [`Slab`] address; written once when the page is mapped.
    owner: usize,
    /// Free chunks counted by a release walk (owner only; 0 outside [`release_class`]).
    scratch: u32,
    /// Set by the second walk when the page is going (owner only).
    releasing: u32,
    /// Set while the defragmenter evacuates the page (owner only): its free chunks gather on `evac_head`.
    evac: u32,
    /// Defragmenter's counter (owner only; 0 outside a defrag): free chunks seen by its counting walk, then, for
    /// a page being evacuated, the chunks on `evac_head`.
    count: u32,
    /// The page's own free list while it is evacuated (see [`defrag_begin`]).
    evac_head: *mut u8,
}

struct Class {
    free: Cell<*mut u8>,
    bump: Cell<*mut u8>,
    end: Cell<*mut u8>,
    /// Chunks of this class handed out.
    live: Cell<usize>,
    /// Pages mapped for this class.
    pages: Cell<usize>,
    /// Free chunks left after the last release walk of this class (the cron waits for this to double).
    after_release: Cell<usize>,
    /// Live chunks after the last release walk (or for the cron, this halving: pages may have emptied).
    live_at_release: Cell<usize>,
    /// Some pages of this class are being evacuated: [`dealloc`] checks the chunk's page.
    evac: Cell<bool>,
}

impl Class {
    const fn new() -> Class {
        Class {
            free: Cell::new(std::ptr::null_mut()),
            bump: Cell::new(std::ptr::null_mut()),
            end: Cell::new(std::ptr::null_mut()),
            live: Cell::new(0),
            pages: Cell::new(0),
            after_release: Cell::new(0),
            live_at_release: Cell::new(0),
            evac: Cell::new(false),
        }
    }
}

/// Chunks of class `c` one page holds.
const fn per_page(c: usize) -> usize {
    (PAGE_BYTES - HDR_BYTES) / (class_size(c))
}

impl Class {
    /// The page being carved (null when there is none).
    fn cur_page(&self) -> *mut PageHdr {
        if self.bump.get().is_null() {
            std::ptr::null_mut()
        } else {
            page_of(self.end.get().wrapping_sub(1))
        }
    }

    /// Chunks carved from `page`, a page of this class (`c`): all it holds, or up to the bump pointer.
    fn carved_in(&self, page: *mut PageHdr, c: usize) -> usize {
        if page == self.cur_page() {
            (self.bump.get() as usize - page as usize - HDR_BYTES) / (class_size(c))
        } else {
            per_page(c)
        }
    }

    /// Chunks carved from this class's pages (live, or on this or another thread's free list).
    fn carved(&self, c: usize) -> usize {
        let pages = self.pages.get();
        let cur = self.cur_page();
        if cur.is_null() {
            pages * per_page(c)
        } else {
            pages.saturating_sub(1) * per_page(c) + self.carved_in(cur, c)
        }
    }
}

struct Slab {
    classes: [Class; CLASSES],
    page_bytes: Cell<usize>,
    live_bytes: Cell<usize>,
    large_bytes: Cell<usize>,
    /// Bytes of large allocations freed on this thread, ever (see [`detach_freed`]).
    large_freed: Cell<usize>,
    /// Next class the cron's [`release_step`] looks at.
    next_class: Cell<usize>,
    /// Open [`FreeBatch`]es.
    batch_depth: Cell<u32>,
    /// The cron's release of one class in bounded steps.
    sweep: Sweep,
    /// The defragmenter's state.
    defrag: Defrag,
}

/// An incremental release of one class (see [`release_step`]): the class's free list is detached (allocations
/// meanwhile use chunks freed after that, or fresh ones), counted per page in steps, then walked again in steps,
/// unlinking and unmapping fully free pages; what is kept is spliced back onto the class's list at the end.
struct Sweep {
    active: Cell<bool>,
    class: Cell<usize>,
    /// Phase 1 (counting) when true, phase 2 (unlinking) when false.
    counting: Cell<bool>,
    /// The detached list (phase 2: the kept chunks so far, then the rest).
    head: Cell<*mut u8>,
    /// Phase 1: the next chunk to count.
    cursor: Cell<*mut u8>,
    /// Phase 2: the link (`head`, or the first word of the last kept chunk) to the next chunk to examine.
    link: Cell<*const Cell<*mut u8>>,
    released: Cell<usize>,
    /// The class's live chunks when the sweep began: chunks freed during the sweep are not on the detached list
    /// and keep their pages, so the class counts as swept at this figure (a later halving sweeps it again).
    live_at_start: Cell<usize>,
}

thread_local! {
    /// This thread's slab: size classes with their free lists and pages, byte counts, the release sweep and the
    /// defragmenter's state. Changed by every slab allocation and free on the thread ([`alloc`], [`dealloc`],
    /// [`alloc_routed`], [`FreeBatch`]) and by the cron's page release and defrag steps ([`release_step`],
    /// `defrag_*`); read by [`stats`] (INFO, MEMORY STATS). Per thread by nature, as an allocator's arenas: the hot
    /// path takes no lock. No destructor: the slab must stay usable while other thread-locals are being destroyed,
    /// and its pages must outlive every chunk handed out.
    static SLAB: Slab = const {
        Slab {
            classes: [const { Class::new() }; CLASSES],
            page_bytes: Cell::new(0),
            live_bytes: Cell::new(0),
            large_bytes: Cell::new(0),
            large_freed: Cell::new(0),
            next_class: Cell::new(0),
            batch_depth: Cell::new(0),
            sweep: Sweep {
                active: Cell::new(false),
                class: Cell::new(0),
                counting: Cell::new(false),
                head: Cell::new(std::ptr::null_mut()),
                cursor: Cell::new(std::ptr::null_mut()),
                link: Cell::new(std::ptr::null()),
                released: Cell::new(0),
                live_at_start: Cell::new(0),
            },
            defrag: Defrag {
                phase: Cell::new(IDLE),
                class: Cell::new(0),
                list: Cell::new(std::ptr::null_mut()),
                rest: Cell::new(std::ptr::null_mut()),
                last: Cell::new(std::ptr::null_mut()),
                kept: Cell::new(std::ptr::null_mut()),
                kept_tail: Cell::new(std::ptr::null_mut()),
                min_free_pct: Cell::new(10),
                seen: std::cell::RefCell::new(Vec::new()),
                pages: std::cell::RefCell::new(Vec::new()),
                released: Cell::new(0),
            },
        }
    };
}

/// The chunk size an allocation of `size` bytes really gets.
#[inline]
pub const fn chunk_size(size: usize) -> usize {
    (size + 7) & !7
}

#[inline]
fn large_layout(size: usize) -> Layout {
    match Layout::from_size_align(chunk_size(size), 8) {
        Ok(l) => l,
        Err(_) => std::alloc::handle_alloc_error(Layout::new::<u64>()),
    }
}

fn page_error() -> ! {
    std::alloc::handle_alloc_error(Layout::new::<[u8; PAGE_BYTES]>())
}

/// Address space reserved up front for slab pages (untouched reserved space costs no memory): a chunk's origin is
/// then one range check ([`is_slab`]), which lets the global allocator take back the buffers the defragmenter
/// moves into slab chunks ([`alloc_routed`]). Pages come from it bottom-up (made readable and writable one at a
/// time, so the used part stays one mapping); released pages are emptied with `MADV_DONTNEED` (their memory goes
/// back, the mapping stays) and reused first. Should the reservation fail or fill up, small classes map pages
/// anywhere as before and [`alloc_routed`] declines.
/// `MAP_NORESERVE` where the platform has it (Linux): no swap is set aside for the reservation. The BSDs and macOS
/// do not reserve swap for a `PROT_NONE` mapping anyway.
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAP_NORESERVE: libc::c_int = libc::MAP_NORESERVE;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAP_NORESERVE: libc::c_int = 0;

const RESERVE_BYTES: usize = 64 << 30;

/// The reservation's (aligned) base: 0 before the first page, 1 when it could not be made. Set once, by
/// `reserved_page` when the first slab page is needed on any thread; read by [`is_slab`] on every `dealloc` and
/// `realloc` the global allocator sees. Process-wide because chunks move between threads and the allocator must
/// tell them apart.
static RESERVE_BASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The reservation's next untouched page and its released pages (process-wide; pages are mapped rarely): taken
/// from by `reserved_page` when a class needs a page, given back to by `unmap_page` when the release sweep or
/// the defragmenter frees one, on whichever thread owns the slab. Process-wide as the reservation is.
static RESERVE_POOL: std::sync::Mutex<(usize, Vec<usize>)> = std::sync::Mutex::new((0, Vec::new()));

/// Whether `p` lies in the slab's reserved range (so it is a slab chunk, never a malloc one). O(1).
#[inline]
pub fn is_slab(p: *const u8) -> bool {
    let base = RESERVE_BASE.load(std::sync::atomic::Ordering::Relaxed);
    base > 1 && (p as usize).wrapping_sub(base) < RESERVE_BYTES
}

/// A page from the reservation (made on first use), or `None` when it could not be made or is used up.
fn reserved_page() -> Option<*mut u8> {
    let mut pool = RESERVE_POOL.lock().unwrap_or_else(|e| e.into_inner());
    let mut base = RESERVE_BASE.load(std::sync::atomic::Ordering::Relaxed);
    if base == 0 {
        // SAFETY: an anonymous, inaccessible, unreserved mapping at an address of the kernel's choosing touches no
        // existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                RESERVE_BYTES + PAGE_BYTES,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | MAP_NORESERVE,
                -1,
                0,
            )
        };
        base = if p == libc::MAP_FAILED { 1 } else { (p as usize + PAGE_BYTES - 1) & !(PAGE_BYTES - 1) };
        pool.0 = base;
        RESERVE_BASE.store(base, std::sync::atomic::Ordering::Relaxed);
    }
    if base == 1 {
        return None;
    }
    if let Some(p) = pool.1.pop() {
        return Some(p as *mut u8);
    }
    let next = pool.0;
    if next + PAGE_BYTES > base + RESERVE_BYTES {
        return None;
    }
    // SAFETY: `next..next + PAGE_BYTES` lies inside the reservation and has never been handed out.
    if unsafe { libc::mprotect(next as *mut libc::c_void, PAGE_BYTES, libc::PROT_READ | libc::PROT_WRITE) } != 0 {
        return None;
    }
    pool.0 = next + PAGE_BYTES;
    Some(next as *mut u8)
}

/// Maps one zeroed, `PAGE_BYTES`-aligned page: from the reservation when it can, else anywhere (aborts like an
/// allocation failure when the system refuses).
fn map_page() -> *mut u8 {
    reserved_page().unwrap_or_else(map_outside)
}

/// Maps one zeroed, `PAGE_BYTES`-aligned page outside the reservation.
fn map_outside() -> *mut u8 {
    let map = |len: usize| {
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            page_error();
        }
        p.cast::<u8>()
    };
    let unmap = |p: *mut u8, len: usize| {
        if len > 0 {
            // SAFETY: the range is part of a mapping made just above and not handed out to anyone.
            unsafe { libc::munmap(p.cast(), len) };
        }
    };
    // Mappings are made top-down next to each other, so a page-sized one is usually aligned already (our pages
    // are all aligned and a multiple of the alignment); otherwise map twice the size and trim both ends.
    let p = map(PAGE_BYTES);
    if p as usize & (PAGE_BYTES - 1) == 0 {
        return p;
    }
    unmap(p, PAGE_BYTES);
    let q = map(2 * PAGE_BYTES);
    let head = (PAGE_BYTES - (q as usize & (PAGE_BYTES - 1))) & (PAGE_BYTES - 1);
    unmap(q, head);
    // SAFETY: `head < PAGE_BYTES`, so the aligned page and what follows lie within the 2-page mapping.
    let page = unsafe { q.add(head) };
    // SAFETY: as above; the tail is the rest of the mapping after the page.
    unmap(unsafe { page.add(PAGE_BYTES) }, PAGE_BYTES - head);
    page
}

/// The second walk's decision for a listed chunk of class `c` in the page `hdr`, whose `scratch` holds the count
/// of its listed chunks from the first walk: a page of this thread with every carved chunk listed is marked
/// `releasing` (and stops being the bump page); a page kept gets its counter reset. Returns whether the chunk's
/// page is being released, i.e. the chunk must be unlinked.
///
/// # Safety
/// `hdr` must be the header of a mapped page (of any thread) holding a chunk of class `c`'s list.
unsafe fn page_goes(class: &Class, c: usize, hdr: *mut PageHdr, me: usize) -> bool {
    // SAFETY: the header is mapped (caller); only its owner thread writes it, and this is that thread when
    // `owner == me`.
    unsafe {
        if (*hdr).owner != me {
            return false;
        }
        if (*hdr).releasing == 0 && (*hdr).scratch as usize == class.carved_in(hdr, c) {
            (*hdr).releasing = 1;
            if hdr == class.cur_page() {
                class.bump.set(std::ptr::null_mut());
                class.end.set(std::ptr::null_mut());
            }
        }
        if (*hdr).releasing == 0 {
            (*hdr).scratch = 0;
            return false;
        }
        true
    }
}

/// Counts one chunk of a releasing page as unlinked; unmaps the page when it was the last one. Returns whether
/// the page was unmapped.
///
/// # Safety
/// `hdr` must be a page of this thread marked releasing by [`page_goes`], and the chunk just unlinked from the
/// list it was counted on.
unsafe fn unlinked_from_going_page(class: &Class, hdr: *mut PageHdr) -> bool {
    // SAFETY: the header is mapped and ours (caller).
    unsafe {
        (*hdr).scratch -= 1;
        if (*hdr).scratch != 0 {
            return false;
        }
        // SAFETY: every carved chunk of the page was on the list and is now unlinked, none is live, and the bump
        // pointer no longer points into it (`page_goes`): nothing refers to the page any more.
        unmap_page(hdr.cast());
    }
    class.pages.set(class.pages.get() - 1);
    true
}

/// Gives a page back to the system.
///
/// # Safety
/// `page` must be a page from [`map_page`] that nothing refers to any more.
unsafe fn unmap_page(page: *mut u8) {
    if is_slab(page) {
        // SAFETY: the page is ours and unused (caller): dropping its contents only returns its memory, and the
        // next use reads zeros.
        unsafe { libc::madvise(page.cast(), PAGE_BYTES, libc::MADV_DONTNEED) };
        RESERVE_POOL.lock().unwrap_or_else(|e| e.into_inner()).1.push(page as usize);
        return;
    }
    // SAFETY: the caller guarantees the page is ours and unused.
    if unsafe { libc::munmap(page.cast(), PAGE_BYTES) } != 0 {
        // munmap can fail when punching a hole would exceed the process's mapping limit (vm.max_map_count).
        // Dropping the contents still returns the memory; the address range stays reserved (leaked).
        // SAFETY: as above; the range stays mapped and unused.
        unsafe { libc::madvise(page.cast(), PAGE_BYTES, libc::MADV_DONTNEED) };
    }
}

#[inline]
fn page_of(chunk: *mut u8) -> *mut PageHdr {
    chunk.wrapping_sub(chunk as usize & (PAGE_BYTES - 1)).cast()
}

/// Allocates `size` (> 0) bytes, 8-byte aligned, uninitialized. Aborts on out-of-memory like [`Box::new`].
#[inline]
pub fn alloc(size: usize) -> NonNull<u8> {
    debug_assert!(size > 0);
    if size > MAX_SMALL {
        let layout = large_layout(size);
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc(layout) };
        let Some(p) = NonNull::new(p) else { std::alloc::handle_alloc_error(layout) };
        SLAB.with(|s| s.large_bytes.set(s.large_bytes.get() + layout.size()));
        return p;
    }
    let c = (chunk_size(size) >> 3) - 1;
    SLAB.with(|s| alloc_in(s, c))
}

/// Takes a chunk of class `c`: the head of its free list, or a fresh one carved from the bump page.
#[inline]
fn alloc_in(s: &Slab, c: usize) -> NonNull<u8> {
    let class = &s.classes[c];
    s.live_bytes.set(s.live_bytes.get() + class_size(c));
    class.live.set(class.live.get() + 1);
    let head = class.free.get();
    if let Some(p) = NonNull::new(head) {
        // SAFETY: a free chunk's first 8 bytes hold the next free chunk (written by `dealloc`); the chunk is
        // 8-aligned and at least 8 bytes long.
        let next = unsafe { head.cast::<*mut u8>().read() };
        class.free.set(next);
        // The next allocation of this class reads `next`'s link: after a mass free (FLUSHALL, DEBUG RELOAD)
        // the list runs through memory in table order, so each pop would wait for a cache miss. Asking for
        // the line now overlaps that miss with the caller's work until then.
        prefetch_write(next);
        return p;
    }
    carve(s, c)
}

thread_local! {
    /// Set by [`route`] around one allocation (the defragmenter moving a value, [`Entry::defrag`]) and cleared by it
    /// or by [`alloc_routed`]: the global allocator, which reads it through [`routing`] on every allocation, then
    /// serves that allocation from [`alloc_routed`]. Per thread: it marks this thread's next allocation only.
    static ROUTE: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread's next allocation is to be served by [`alloc_routed`] (read by the global
/// allocator on every allocation: one thread-local load).
#[inline(always)]
pub fn routing() -> bool {
    ROUTE.with(|r| r.get())
}

/// Runs `f` (which must make exactly the one allocation it is meant for, e.g. [`Vec::with_capacity`]) with its
/// allocation served from the slab's chunks where [`alloc_routed`] can ([`crate::alloc`]); the allocator's
/// `dealloc`/`realloc` recognise such chunks ([`is_slab`]) whoever frees them later.
pub fn route<T>(f: impl FnOnce() -> T) -> T {
    ROUTE.with(|r| r.set(true));
    let v = f();
    ROUTE.with(|r| r.set(false));
    v
}

/// A chunk of at least `size` bytes (8-aligned) from a class up to [`MAX_ROUTED`], always inside the reservation
/// (so [`is_slab`] holds for it); `None` when `size` is 0 or too big, or no reserved page is left. Only the global
/// allocator calls it (under [`route`]); such chunks are freed with [`dealloc_routed`].
pub fn alloc_routed(size: usize) -> Option<NonNull<u8>> {
    if size == 0 || size > MAX_ROUTED {
        return None;
    }
    let c = class_of(size);
    ROUTE.with(|r| r.set(false));
    SLAB.with(|s| {
        let class = &s.classes[c];
        let room = !class.bump.get().is_null() && class.end.get() as usize - class.bump.get() as usize >= class_size(c);
        if class.free.get().is_null() && !room {
            // Routed classes use reserved pages only, so their chunks always pass `is_slab`.
            let page = reserved_page()?;
            install_page(s, class, page);
        }
        Some(alloc_in(s, c))
    })
}

/// Frees a chunk from [`alloc_routed`] (`size` as requested there), on whatever thread.
///
/// # Safety
/// `p` must come from [`alloc_routed`] with a size of the same class and must not be used afterwards.
pub unsafe fn dealloc_routed(p: NonNull<u8>, size: usize) {
    let c = class_of(size.clamp(1, MAX_ROUTED));
    // SAFETY: as the caller guarantees.
    SLAB.with(|s| unsafe { dealloc_in(s, p, c) })
}

/// Hints the CPU to bring the cache line at `p` into the cache (the dict's bulk migration asks for the slots it
/// is about to fill). Never faults, reads nothing into the program: any pointer, null or dangling, is fine.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    prefetch_write(p as *mut u8)
}

/// Hints the CPU to bring the cache line at `p` in for writing. Never faults (null or dangling is fine).
#[inline(always)]
fn prefetch_write(p: *mut u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and reads nothing into the program, whatever `p` is.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Carves a fresh chunk of class `c` from the bump page, mapping a new page when it is used up.
#[inline]
fn carve(s: &Slab, c: usize) -> NonNull<u8> {
    let class = &s.classes[c];
    let chunk = class_size(c);
    let mut bump = class.bump.get();
    if bump.is_null() || (class.end.get() as usize) - (bump as usize) < chunk {
        bump = new_page(s, class);
    }
    // SAFETY: `bump + chunk <= end`, checked above, so this stays within (or one past) the page.
    class.bump.set(unsafe { bump.add(chunk) });
    // SAFETY: `bump` points into a live page, so it is not null.
    unsafe { NonNull::new_unchecked(bump) }
}

/// Maps a page for `class` and makes it the bump page; returns its first chunk's address.
#[cold]
#[inline(never)]
fn new_page(s: &Slab, class: &Class) -> *mut u8 {
    install_page(s, class, map_page())
}

/// Makes `page` (freshly mapped, zeroed) a page of `class` and its bump page; returns its first chunk's address.
fn install_page(s: &Slab, class: &Class, page: *mut u8) -> *mut u8 {
    crate::alloc::charge_pages(PAGE_BYTES);
    s.page_bytes.set(s.page_bytes.get() + PAGE_BYTES);
    class.pages.set(class.pages.get() + 1);
    let hdr = PageHdr {
        owner: s as *const Slab as usize,
        scratch: 0,
        releasing: 0,
        evac: 0,
        count: 0,
        evac_head: std::ptr::null_mut(),
    };
    // SAFETY: the page is freshly mapped, writable, aligned and larger than the header.
    unsafe { page.cast::<PageHdr>().write(hdr) };
    // SAFETY: one past the end of the page.
    class.end.set(unsafe { page.add(PAGE_BYTES) });
    // SAFETY: the header fits in the page (const assertion above).
    let first = unsafe { page.add(HDR_BYTES) };
    class.bump.set(first);
    first
}

/// Frees a chunk.
///
/// # Safety
/// `p` must come from [`alloc`] with the same `size` (or one with the same [`chunk_size`]) and must not be used
/// afterwards.
#[inline]
pub unsafe fn dealloc(p: NonNull<u8>, size: usize) {
    if size > MAX_SMALL {
        let layout = large_layout(size);
        SLAB.with(|s| {
            s.large_bytes.set(s.large_bytes.get().saturating_sub(layout.size()));
            s.large_freed.set(s.large_freed.get().wrapping_add(layout.size()));
        });
        // SAFETY: the caller guarantees `p` came from `alloc` with this size, which used this layout.
        unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        return;
    }
    let c = (chunk_size(size) >> 3) - 1;
    // SAFETY: as the caller guarantees.
    SLAB.with(|s| unsafe { dealloc_in(s, p, c) })
}

/// Frees a chunk of class `c`: onto the class's free list, the open batch, or (while its page is evacuated by the
/// defragmenter) the page's own list.
///
/// # Safety
/// `p` must be a live chunk of class `c` that is not used afterwards.
#[inline]
unsafe fn dealloc_in(s: &Slab, p: NonNull<u8>, c: usize) {
    let class = &s.classes[c];
    s.live_bytes.set(s.live_bytes.get().saturating_sub(class_size(c)));
    class.live.set(class.live.get().saturating_sub(1));
    // SAFETY: the chunk is ours now (caller).
    if class.evac.get() && unsafe { to_evac_list(s, p.as_ptr()) } {
        return;
    }
    // Inside a batch the chunk is only recorded (linked when the batch ends); if the batch's storage is gone
    // (thread exit), it is linked at once like any other.
    if s.batch_depth.get() > 0 && BATCH.try_with(|b| b.borrow_mut()[c].push(p.as_ptr() as usize)).is_ok() {
        return;
    }
    // SAFETY: the chunk is ours now (the caller gave it up), 8-aligned and at least 8 bytes long.
    unsafe { p.as_ptr().cast::<*mut u8>().write(class.free.get()) };
    class.free.set(p.as_ptr());
}

/// Puts a free chunk on its page's own list when that page (of this thread) is being evacuated; returns whether
/// it did.
///
/// # Safety
/// `p` must be a free chunk that nothing else refers to, of a class with `evac` set (its page is a mapped slab
/// page).
#[inline]
unsafe fn to_evac_list(s: &Slab, p: *mut u8) -> bool {
    let hdr = page_of(p);
    // SAFETY: a chunk's page header is mapped; `owner` never changes and the other fields are only touched by the
    // owner, which is this thread when it matches.
    unsafe {
        if (*hdr).owner != s as *const Slab as usize || (*hdr).evac == 0 {
            return false;
        }
        p.cast::<*mut u8>().write((*hdr).evac_head);
        (*hdr).evac_head = p;
        (*hdr).count += 1;
    }
    true
}

thread_local! {
    /// Chunks freed inside a [`FreeBatch`], per class, linked onto the free lists in address order when it ends:
    /// filled by `dealloc_in` while a batch is open on this thread (a big table dropped whole), emptied by the
    /// outermost [`FreeBatch`]'s drop. Per thread, as the free lists it feeds.
    static BATCH: std::cell::RefCell<[Vec<usize>; CLASSES]> = const {
        std::cell::RefCell::new([const { Vec::new() }; CLASSES])
    };
}

/// Frees of many chunks at once (a big table dropped or cleared), linked onto the free lists in address order.
///
/// A mass free in table order leaves a free list that runs through memory at random: every later allocation of
/// the class (a reload right after a flush) pops a chunk whose link is a cache and TLB miss, and the entries it
/// builds scatter. Inside a batch, [`dealloc`] only records the chunk; when the outermost batch ends, each class's
/// chunks are sorted by address (radix sort, a few ms per million) and linked lowest first, so allocations walk
/// memory forwards as they would through fresh pages. Batches nest; the chunks are not reusable until the
/// outermost one ends (allocations meanwhile take other free chunks or fresh ones).
pub struct FreeBatch(());

impl FreeBatch {
    pub fn begin() -> FreeBatch {
        SLAB.with(|s| s.batch_depth.set(s.batch_depth.get() + 1));
        FreeBatch(())
    }
}

impl Drop for FreeBatch {
    fn drop(&mut self) {
        let outermost = SLAB.with(|s| {
            let d = s.batch_depth.get() - 1;
            s.batch_depth.set(d);
            d == 0
        });
        if !outermost {
            return;
        }
        let Ok(lists) = BATCH.try_with(|b| std::mem::replace(&mut *b.borrow_mut(), [const { Vec::new() }; CLASSES]))
        else {
            return;
        };
        let mut scratch = Vec::new();
        for (c, mut chunks) in lists.into_iter().enumerate() {
            if chunks.is_empty() {
                continue;
            }
            sort_addresses(&mut chunks, class_size(c), &mut scratch);
            SLAB.with(|s| {
                let class = &s.classes[c];
                let mut head = class.free.get();
                for &p in chunks.iter().rev() {
                    // SAFETY: as below; the class's pages are being evacuated (so `p`'s page is a mapped slab page).
                    if class.evac.get() && unsafe { to_evac_list(s, p as *mut u8) } {
                        continue;
                    }
                    // SAFETY: `p` was handed to `dealloc` during the batch and not linked anywhere since: it is a
                    // free chunk of this class, 8-aligned and at least 8 bytes long, that nothing else refers to.
                    unsafe { (p as *mut u8).cast::<*mut u8>().write(head) };
                    head = p as *mut u8;
                }
                class.free.set(head);
            });
        }
    }
}

/// Sorts the addresses of distinct chunks of `chunk` bytes ascending: an LSD radix sort on 11-bit digits of
/// `(a - min) >> g`, where `2^g` is the largest power of two not above `chunk` (two distinct chunks lie at least
/// `chunk` bytes apart, so that key is strictly increasing with the address), as many passes as the spread needs
/// (two for up to 128 MiB of 32-byte chunks; each pass is a scatter of the whole array, the sort's cost); small
/// inputs use the comparison sort.
fn sort_addresses(v: &mut Vec<usize>, chunk: usize, scratch: &mut Vec<usize>) {
    if v.len() < 4096 {
        v.sort_unstable();
        return;
    }
    let (min, max) = v.iter().fold((usize::MAX, 0), |(lo, hi), &a| (lo.min(a), hi.max(a)));
    let g = usize::BITS - 1 - chunk.max(1).leading_zeros();
    let bits = usize::BITS - ((max - min) >> g).leading_zeros();
    const DIGIT: u32 = 11;
    scratch.clear();
    scratch.resize(v.len(), 0);
    let mut shift = 0;
    while shift < bits {
        let mut counts = [0usize; 1 << DIGIT];
        let digit = |a: usize| (((a - min) >> g) >> shift) & ((1 << DIGIT) - 1);
        for &a in v.iter() {
            counts[digit(a)] += 1;
        }
        let mut sum = 0;
        for n in counts.iter_mut() {
            let k = *n;
            *n = sum;
            sum += k;
        }
        for &a in v.iter() {
            let d = digit(a);
            scratch[counts[d]] = a;
            counts[d] += 1;
        }
        std::mem::swap(v, scratch);
        shift += DIGIT;
    }
}

/// Releases every page of class `c` whose chunks are all on this thread's free list; returns the bytes unmapped.
/// Work: one walk of the class's free list when every chunk of the class is free (after FLUSHALL), else two.
fn release_class(s: &Slab, c: usize) -> usize {
    let class = &s.classes[c];
    let me = s as *const Slab as usize;
    // Pass 1: count this thread's free chunks per page, noting the pages seen and whether a foreign chunk is here.
    let mut seen: Vec<*mut PageHdr> = Vec::new();
    let mut foreign = false;
    let mut p = class.free.get();
    while !p.is_null() {
        let hdr = page_of(p);
        // SAFETY: `p` is a free chunk (first word = next link) inside a mapped page whose header is initialized;
        // the header's counters are only touched by the owner, which is this thread when `owner == me`.
        unsafe {
            if (*hdr).owner == me {
                if (*hdr).scratch == 0 {
                    seen.push(hdr);
                }
                (*hdr).scratch += 1;
            } else {
                foreign = true;
            }
            p = p.cast::<*mut u8>().read();
        }
    }
    // Every page of the class fully free and nothing else on the list: the list is exactly their chunks, so it is
    // dropped whole and the pages go without a second walk.
    // SAFETY: the pages in `seen` are this thread's mapped pages (their headers were just updated).
    let all_free = !foreign
        && seen.len() == class.pages.get()
        && seen.iter().all(|&h| unsafe { (*h).scratch } as usize == class.carved_in(h, c));
    if all_free {
        class.free.set(std::ptr::null_mut());
        class.bump.set(std::ptr::null_mut());
        class.end.set(std::ptr::null_mut());
        for &h in &seen {
            // SAFETY: every carved chunk of the page was on the list, which is gone; the bump pointer is reset.
            unsafe { unmap_page(h.cast()) };
        }
        let released = seen.len() * PAGE_BYTES;
        class.pages.set(0);
        crate::alloc::refund_pages(released);
        s.page_bytes.set(s.page_bytes.get() - released);
        class.after_release.set(0);
        class.live_at_release.set(class.live.get());
        return released;
    }
    // Pass 2: unlink the chunks of fully free pages and unmap each such page once its last chunk is unlinked;
    // reset the counter of every other page.
    let mut released = 0usize;
    let mut link: *const Cell<*mut u8> = &class.free;
    loop {
        // SAFETY: `link` is either the class's list head or the first word of a free chunk still on the list.
        let p = unsafe { (*link).get() };
        if p.is_null() {
            break;
        }
        let hdr = page_of(p);
        // SAFETY: as in pass 1; `p`'s first word is its next link. A page is unmapped only after its last listed
        // chunk has been unlinked, and no later chunk on the list lies in it (they were all counted).
        unsafe {
            let next = p.cast::<*mut u8>().read();
            if !page_goes(class, c, hdr, me) {
                link = p.cast::<Cell<*mut u8>>();
                continue;
            }
            (*link).set(next);
            if unlinked_from_going_page(class, hdr) {
                released += PAGE_BYTES;
            }
        }
    }
    if released > 0 {
        crate::alloc::refund_pages(released);
        s.page_bytes.set(s.page_bytes.get() - released);
    }
    class.after_release.set(class.carved(c).saturating_sub(class.live.get()));
    class.live_at_release.set(class.live.get());
    released
}

/// Unmaps every page of this thread's slab whose chunks are all free (MEMORY PURGE, after FLUSHALL/FLUSHDB).
/// Returns the bytes released. Work: two walks of every class's free list.
pub fn release_free_pages() -> usize {
    SLAB.with(|s| {
        // A sweep in progress uses the page headers' counters: finish it first; a defrag is ended.
        let mut released = defrag_finish(s);
        while s.sweep.active.get() {
            released += sweep_step(s, usize::MAX);
        }
        released + (0..CLASSES).map(|c| release_class(s, c)).sum::<usize>()
    })
}

/// Chunks one [`release_step`] call visits at most (a visit is one read of a chunk, likely a cache miss: 10-20 ms
/// for this many on a cold list, which [`SWEEP_STEP_BUDGET`] cuts short).
const SWEEP_STEP_CHUNKS: usize = 1 << 16;

/// The time one [`release_step`] call may hold the event loop: 1 ms, Redis's budget for a cron step of
/// incremental work (`databasesCron`'s rehash). The clock is read every [`SWEEP_CLOCK_EVERY`] chunks.
const SWEEP_STEP_BUDGET: std::time::Duration = std::time::Duration::from_millis(1);
const SWEEP_CLOCK_EVERY: usize = 256;

/// The cron's share of [`release_free_pages`], in bounded steps: continues the sweep in progress, or starts one on
/// the next class (round robin) with at least 1 MiB of free chunks making up at least a quarter of its pages, and
/// either twice as many free chunks as its last release left behind or half as many live ones (deletes that came
/// after a sweep may have emptied the pages it had to keep). Bound: each call looks at the 32 classes' counters and
/// visits at most `SWEEP_STEP_CHUNKS` chunks; a class is swept again only after its free chunks have doubled or
/// its live chunks halved, so sweeping costs O(log n) amortized per freed chunk. While a class is swept, its earlier free chunks
/// are set aside (new allocations of that class take later-freed or fresh chunks). Returns the bytes released.
pub fn release_step() -> usize {
    SLAB.with(|s| {
        if s.defrag.phase.get() != IDLE {
            return 0;
        }
        if s.sweep.active.get() {
            return sweep_step(s, SWEEP_STEP_CHUNKS);
        }
        for i in 0..CLASSES {
            let c = (s.next_class.get() + i) % CLASSES;
            let class = &s.classes[c];
            let free = class.carved(c).saturating_sub(class.live.get());
            if free < class.after_release.get() {
                class.after_release.set(free);
            }
            let free_bytes = free * class_size(c);
            if free_bytes >= 1 << 20
                && free_bytes >= class.pages.get() * PAGE_BYTES / 4
                && (free >= 2 * class.after_release.get().max(1) || class.live.get() * 2 < class.live_at_release.get())
            {
                s.next_class.set((c + 1) % CLASSES);
                let w = &s.sweep;
                w.active.set(true);
                w.class.set(c);
                w.counting.set(true);
                w.head.set(class.free.get());
                w.cursor.set(class.free.get());
                w.released.set(0);
                w.live_at_start.set(class.live.get());
                class.free.set(std::ptr::null_mut());
                return sweep_step(s, SWEEP_STEP_CHUNKS);
            }
        }
        0
    })
}

/// Advances the sweep by at most `budget` chunk visits; returns the bytes released when it finishes, else 0.
fn sweep_step(s: &Slab, budget: usize) -> usize {
    let w = &s.sweep;
    let c = w.class.get();
    let class = &s.classes[c];
    let me = s as *const Slab as usize;
    let mut n = 0usize;
    // Out of budget: the chunk cap, or every SWEEP_CLOCK_EVERY chunks the time budget.
    let started = std::time::Instant::now();
    let spent = |n: usize| {
        n >= budget || (n % SWEEP_CLOCK_EVERY == SWEEP_CLOCK_EVERY - 1 && started.elapsed() >= SWEEP_STEP_BUDGET)
    };
    if w.counting.get() {
        let mut p = w.cursor.get();
        while !p.is_null() && !spent(n) {
            let hdr = page_of(p);
            // SAFETY: `p` is a chunk of the detached list (free, reachable by nobody else), inside a mapped page:
            // pages are only unmapped in phase 2 or by `release_class`, which never runs during a sweep.
            unsafe {
                if (*hdr).owner == me {
                    (*hdr).scratch += 1;
                }
                p = p.cast::<*mut u8>().read();
            }
            n += 1;
        }
        w.cursor.set(p);
        if !p.is_null() {
            return 0;
        }
        w.counting.set(false);
        w.link.set(&w.head);
    }
    let mut link = w.link.get();
    loop {
        // SAFETY: `link` is `w.head` or the first word of a kept chunk of the detached list (free, private).
        let p = unsafe { (*link).get() };
        if p.is_null() {
            break;
        }
        if spent(n) {
            w.link.set(link);
            return 0;
        }
        n += 1;
        // SAFETY: as in `release_class`'s second walk; the detached list is private to the sweep, and a page being
        // released stopped being the bump page when it was marked, so no chunk of it can be handed out meanwhile.
        unsafe {
            let hdr = page_of(p);
            if !page_goes(class, c, hdr, me) {
                link = p.cast::<Cell<*mut u8>>();
                continue;
            }
            (*link).set(p.cast::<*mut u8>().read());
            if unlinked_from_going_page(class, hdr) {
                w.released.set(w.released.get() + PAGE_BYTES);
            }
        }
    }
    // Done: the kept chunks go back in front of the chunks freed meanwhile.
    // SAFETY: `link` is `w.head` or the last kept chunk's first word (the end of the kept list).
    unsafe { (*link).set(class.free.get()) };
    class.free.set(w.head.get());
    w.head.set(std::ptr::null_mut());
    w.active.set(false);
    let released = w.released.get();
    if released > 0 {
        crate::alloc::refund_pages(released);
        s.page_bytes.set(s.page_bytes.get() - released);
    }
    class.after_release.set(class.carved(c).saturating_sub(class.live.get()));
    class.live_at_release.set(w.live_at_start.get());
    released
}

mod defrag;
pub use defrag::{
    chunk_moves, defrag_active, defrag_begin, defrag_end, defrag_poll, defrag_prep, defrag_released, routed_moves,
};
use defrag::{defrag_finish, Defrag, IDLE};

/// Bytes of this thread's slab pages not handed out (free chunks, uncarved tails, page headers): what
/// `used_memory` does not count although the pages are mapped. O(1).
#[inline]
pub fn free_bytes() -> usize {
    SLAB.with(|s| s.page_bytes.get().saturating_sub(s.live_bytes.get()))
}

/// Chunks freed on one thread, taken off its free lists to go back to the thread that owns them (the lazy-free
/// thread drops the server thread's objects: their chunks must return to the server thread's lists, where its
/// `used_memory` stops counting them and its release walks can unmap their pages). Only [`detach_freed`] makes
/// one, and it is consumed by [`adopt_freed`], so every chunk in it is on exactly one list at a time.
#[derive(Debug)]
pub struct Freed {
    /// Per class: first chunk, last chunk (addresses; 0 = none) and how many.
    lists: [(usize, usize, usize); CLASSES],
    /// Large bytes freed since the previous detach on that thread.
    large_bytes: usize,
}

impl Freed {
    /// Small chunks and large bytes it carries (tests, statistics).
    pub fn totals(&self) -> (usize, usize) {
        let chunks = self.lists.iter().map(|l| l.2).sum();
        (chunks, self.large_bytes)
    }
}

/// Takes every chunk off this thread's free lists (and the count of large bytes freed since the last call).
/// Work: one walk of each list, on the calling thread.
pub fn detach_freed() -> Freed {
    SLAB.with(|s| {
        let mut lists = [(0usize, 0usize, 0usize); CLASSES];
        for (c, class) in s.classes.iter().enumerate() {
            let head = class.free.replace(std::ptr::null_mut());
            if head.is_null() {
                continue;
            }
            let (mut tail, mut n) = (head, 1usize);
            loop {
                // SAFETY: a free chunk's first word is the next free chunk (null at the end), see `dealloc`.
                let next = unsafe { tail.cast::<*mut u8>().read() };
                if next.is_null() {
                    break;
                }
                tail = next;
                n += 1;
            }
            lists[c] = (head as usize, tail as usize, n);
        }
        Freed { lists, large_bytes: s.large_freed.replace(0) }
    })
}

/// Puts chunks freed elsewhere onto this thread's free lists and stops counting them (and the large bytes) as
/// live here. Their pages may belong to this thread (then the next release walk can unmap them) or to another
/// (then they are reused here like any foreign chunk).
pub fn adopt_freed(f: Freed) {
    SLAB.with(|s| {
        for (c, &(head, tail, n)) in f.lists.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let class = &s.classes[c];
            // SAFETY: `tail` is the last chunk of a detached list of free chunks that nothing else refers to
            // (`Freed` is only made by `detach_freed` and consumed here); its first word is the link.
            unsafe { (tail as *mut u8).cast::<*mut u8>().write(class.free.get()) };
            class.free.set(head as *mut u8);
            class.live.set(class.live.get().saturating_sub(n));
            s.live_bytes.set(s.live_bytes.get().saturating_sub(n * class_size(c)));
        }
        s.large_bytes.set(s.large_bytes.get().saturating_sub(f.large_bytes));
    })
}

/// Resizes a chunk from `old_size` to `new_size` bytes, keeping its first `keep` bytes (`keep <= min(old_size,
/// new_size)`). Chunks of the same [`chunk_size`] are returned as they are; two large sizes use the system
/// allocator's `realloc` (which can often grow in place).
///
/// # Safety
/// `p` must come from [`alloc`] with `old_size` (or a size with the same chunk size) and must not be used
/// afterwards except through the returned pointer; `new_size > 0`.
pub unsafe fn realloc(p: NonNull<u8>, old_size: usize, new_size: usize, keep: usize) -> NonNull<u8> {
    debug_assert!(new_size > 0 && keep <= old_size.min(new_size));
    if chunk_size(old_size) == chunk_size(new_size) {
        return p;
    }
    if old_size > MAX_SMALL && new_size > MAX_SMALL {
        let old = large_layout(old_size);
        let new = large_layout(new_size);
        // SAFETY: `p` was allocated by the system allocator with `old` (caller), the new size is non-zero and
        // rounded like every large size, and the alignment is unchanged.
        let q = unsafe { std::alloc::realloc(p.as_ptr(), old, new.size()) };
        let Some(q) = NonNull::new(q) else { std::alloc::handle_alloc_error(new) };
        SLAB.with(|s| s.large_bytes.set(s.large_bytes.get().saturating_sub(old.size()) + new.size()));
        return q;
    }
    let q = alloc(new_size);
    // SAFETY: both chunks are live and distinct (the old one is not freed yet); `keep` bytes fit in both.
    unsafe {
        std::ptr::copy_nonoverlapping(p.as_ptr(), q.as_ptr(), keep);
        dealloc(p, old_size);
    }
    q
}

/// A growable byte buffer whose allocation comes from the slab: for buffers up to [`MAX_SMALL`] bytes the chunk is
/// the capacity rounded up to 8 bytes, with none of malloc's per-chunk header and 16-byte rounding (a 93-byte
/// listpack costs 96 bytes instead of 112). Larger buffers use the system allocator through [`realloc`].
///
/// ```text
///  SlabBytes { ptr, len: u32, cap: u32 }  (16 bytes)
///  ptr -> | len initialized bytes | cap - len spare bytes |     cap = chunk_size(requested), 0 = no chunk
/// ```
///
/// Invariants: `len <= cap`; `cap == 0` iff `ptr` is dangling (nothing allocated), otherwise `ptr` is a chunk
/// from [`alloc`]`(cap)` owned by this buffer; bytes `0..len` are initialized. Sizes are limited to [`u32::MAX`]
/// like the listpack format (whose header stores its total size in 32 bits); exceeding that aborts as an
/// allocation failure would. Tested by the unit tests below and by every listpack test.
pub struct SlabBytes {
    ptr: NonNull<u8>,
    len: u32,
    cap: u32,
}

// SAFETY: the buffer exclusively owns its chunk (like Vec<u8>); chunks may be freed on another thread (module docs).
unsafe impl Send for SlabBytes {}
// SAFETY: shared access only reads the bytes (no interior mutability).
unsafe impl Sync for SlabBytes {}

/// Checks that a buffer size fits the 32-bit length fields.
#[inline]
fn size_u32(n: usize) -> u32 {
    match u32::try_from(n) {
        Ok(v) => v,
        Err(_) => std::alloc::handle_alloc_error(Layout::new::<u64>()),
    }
}

impl SlabBytes {
    pub const fn new() -> SlabBytes {
        SlabBytes { ptr: NonNull::dangling(), len: 0, cap: 0 }
    }

    pub fn with_capacity(cap: usize) -> SlabBytes {
        let mut b = SlabBytes::new();
        b.set_capacity(cap);
        b
    }

    pub fn from_slice(bytes: &[u8]) -> SlabBytes {
        let mut b = SlabBytes::with_capacity(bytes.len());
        b.extend_from_slice(bytes);
        b
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes allocated (the chunk size).
    #[inline]
    pub fn capacity(&self) -> usize {
        self.cap as usize
    }

    /// Reallocates to exactly `chunk_size(cap)` bytes (`cap >= len`); 0 frees the chunk.
    fn set_capacity(&mut self, cap: usize) {
        debug_assert!(cap >= self.len());
        let new_cap = size_u32(chunk_size(cap)) as usize;
        if new_cap == self.capacity() {
            return;
        }
        if new_cap == 0 {
            // SAFETY: cap != 0, so `ptr` is our chunk of `cap` bytes; it is forgotten right after.
            unsafe { dealloc(self.ptr, self.capacity()) };
            self.ptr = NonNull::dangling();
        } else if self.cap == 0 {
            self.ptr = alloc(new_cap);
        } else {
            // SAFETY: `ptr` is our chunk of `cap` bytes and is replaced by the result; `len <= min(cap, new_cap)`.
            self.ptr = unsafe { realloc(self.ptr, self.capacity(), new_cap, self.len()) };
        }
        self.cap = new_cap as u32;
    }

    /// Makes room for `additional` more bytes, allocating exactly that much (rounded to 8).
    #[inline]
    pub fn reserve_exact(&mut self, additional: usize) {
        let need = self.len().saturating_add(additional);
        if need > self.capacity() {
            self.set_capacity(need);
        }
    }

    /// Shrinks the chunk to the length (rounded to 8).
    pub fn shrink_to_fit(&mut self) {
        self.set_capacity(self.len());
    }

    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve_exact(bytes.len());
        // SAFETY: capacity >= len + bytes.len() after the reserve; the source cannot overlap our spare bytes
        // (a caller cannot hold a borrow of `self` while passing `&mut self`).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr().add(self.len()), bytes.len()) };
        self.len = size_u32(self.len() + bytes.len());
    }

    #[inline]
    pub fn push(&mut self, b: u8) {
        self.extend_from_slice(&[b]);
    }

    /// Grows or truncates to `new_len`; new bytes are set to `fill`.
    pub fn resize(&mut self, new_len: usize, fill: u8) {
        if new_len > self.len() {
            self.reserve_exact(new_len - self.len());
            // SAFETY: capacity >= new_len after the reserve.
            unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(self.len()), fill, new_len - self.len()) };
        }
        self.len = size_u32(new_len);
    }

    /// Removes bytes `start..end`, shifting the tail left (like `Vec::drain(start..end)`, capacity kept).
    pub fn remove_range(&mut self, start: usize, end: usize) {
        let len = self.len();
        assert!(start <= end && end <= len, "remove_range out of bounds");
        self.as_mut_slice().copy_within(end..len, start);
        self.len = (len - (end - start)) as u32;
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: bytes 0..len are initialized and owned; a dangling pointer with len 0 is a valid empty slice.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len()) }
    }

    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, with exclusive access through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len()) }
    }
}

impl Default for SlabBytes {
    fn default() -> Self {
        SlabBytes::new()
    }
}

impl Drop for SlabBytes {
    fn drop(&mut self) {
        if self.cap != 0 {
            // SAFETY: `ptr` is our chunk of `cap` bytes (invariant) and is not used again.
            unsafe { dealloc(self.ptr, self.capacity()) };
        }
    }
}

impl Clone for SlabBytes {
    fn clone(&self) -> Self {
        SlabBytes::from_slice(self.as_slice())
    }
}

impl PartialEq for SlabBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SlabBytes {}

impl std::ops::Deref for SlabBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::ops::DerefMut for SlabBytes {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl std::fmt::Debug for SlabBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// Allocator statistics for this thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlabStats {
    /// Bytes of slab pages obtained from the system.
    pub page_bytes: usize,
    /// Bytes of small chunks currently handed out.
    pub live_bytes: usize,
    /// Bytes of large (> MAX_SMALL) allocations currently handed out.
    pub large_bytes: usize,
}

pub fn stats() -> SlabStats {
    SLAB.with(|s| SlabStats {
        page_bytes: s.page_bytes.get(),
        live_bytes: s.live_bytes.get(),
        large_bytes: s.large_bytes.get(),
    })
}

#[cfg(test)]
mod tests;
