//! A size-class slab allocator for small keyspace allocations (packed entries, TTL records).
//!
//! Why: glibc malloc puts a 8-byte header on every chunk and rounds to 16 bytes, so a 32-byte entry costs 48.
//! Here a 32-byte entry costs 32: chunks are carved from 64 KiB pages into 8-byte-granular size classes, and freed
//! chunks go onto a per-class free list.
//!
//! ```text
//!  class c serves sizes (8c, 8c+8]  (c = 0..32, so 8..=256 bytes)
//!
//!   page (64 KiB, from the system allocator)
//!  +--------+--------+--------+--------+- - - - - - - - - -+
//!  | chunk  | chunk  | chunk  | chunk  |    not yet carved  |
//!  +--------+--------+--------+--------+- - - - - - - - - -+
//!   ^ in use  ^ free: first 8 bytes = next free chunk        ^ bump ... end
//!
//!  sizes above 256 bytes go straight to the system allocator (rounded to 8 so the size math is uniform).
//! ```
//!
//! Invariants: every chunk is 8-byte aligned and `round8(size)` bytes long; a chunk is either owned by exactly one
//! live allocation or on exactly one free list. Pages are never returned to the system (like malloc's arenas
//! they are reused for later allocations of the same class; `MEMORY PURGE`-style release is not needed by the
//! single-process server). Because pages live forever, a chunk may be freed on a different thread than the one
//! that allocated it (it simply joins that thread's free list): the state is thread-local only so the hot path
//! needs no locking. A thread's free lists are leaked when it exits (test threads only; the server runs on one).
//!
//! Tested by the unit tests below (reuse, alignment, no overlap under a random alloc/free model) and indirectly by
//! every entry test; run under valgrind once (see the data report).

use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;

/// Largest size served from slabs.
pub const MAX_SMALL: usize = 256;
const CLASSES: usize = MAX_SMALL / 8;
const PAGE_BYTES: usize = 64 * 1024;

struct Class {
    free: Cell<*mut u8>,
    bump: Cell<*mut u8>,
    end: Cell<*mut u8>,
}

impl Class {
    const fn new() -> Class {
        Class {
            free: Cell::new(std::ptr::null_mut()),
            bump: Cell::new(std::ptr::null_mut()),
            end: Cell::new(std::ptr::null_mut()),
        }
    }
}

struct Slab {
    classes: [Class; CLASSES],
    page_bytes: Cell<usize>,
    live_bytes: Cell<usize>,
    large_bytes: Cell<usize>,
}

thread_local! {
    // No destructor: the slab must stay usable while other thread-locals are being destroyed, and its pages
    // must outlive every chunk handed out.
    static SLAB: Slab = const {
        Slab {
            classes: [const { Class::new() }; CLASSES],
            page_bytes: Cell::new(0),
            live_bytes: Cell::new(0),
            large_bytes: Cell::new(0),
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

/// Allocates `size` (> 0) bytes, 8-byte aligned, uninitialized. Aborts on out-of-memory like `Box::new`.
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
    SLAB.with(|s| {
        let class = &s.classes[c];
        s.live_bytes.set(s.live_bytes.get() + (c + 1) * 8);
        let head = class.free.get();
        if let Some(p) = NonNull::new(head) {
            // SAFETY: a free chunk's first 8 bytes hold the next free chunk (written by `dealloc`); the chunk is
            // 8-aligned and at least 8 bytes long.
            class.free.set(unsafe { head.cast::<*mut u8>().read() });
            return p;
        }
        let chunk = (c + 1) * 8;
        let mut bump = class.bump.get();
        if bump.is_null() || (class.end.get() as usize) - (bump as usize) < chunk {
            let layout = match Layout::from_size_align(PAGE_BYTES, 16) {
                Ok(l) => l,
                Err(_) => std::alloc::handle_alloc_error(Layout::new::<u64>()),
            };
            // SAFETY: non-zero size. The page is intentionally never freed (see the module comment).
            let page = unsafe { std::alloc::alloc(layout) };
            if page.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            s.page_bytes.set(s.page_bytes.get() + PAGE_BYTES);
            bump = page;
            // SAFETY: one past the end of the page allocation.
            class.end.set(unsafe { page.add(PAGE_BYTES) });
        }
        // SAFETY: `bump + chunk <= end`, checked above, so this stays within (or one past) the page.
        class.bump.set(unsafe { bump.add(chunk) });
        // SAFETY: `bump` points into a live page, so it is not null.
        unsafe { NonNull::new_unchecked(bump) }
    })
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
        SLAB.with(|s| s.large_bytes.set(s.large_bytes.get().saturating_sub(layout.size())));
        // SAFETY: the caller guarantees `p` came from `alloc` with this size, which used this layout.
        unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        return;
    }
    let c = (chunk_size(size) >> 3) - 1;
    SLAB.with(|s| {
        let class = &s.classes[c];
        s.live_bytes.set(s.live_bytes.get().saturating_sub((c + 1) * 8));
        // SAFETY: the chunk is ours now (the caller gave it up), 8-aligned and at least 8 bytes long.
        unsafe { p.as_ptr().cast::<*mut u8>().write(class.free.get()) };
        class.free.set(p.as_ptr());
    })
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
mod tests {
    use super::*;
    use crate::util::Rng;

    #[test]
    fn reuses_freed_chunks_per_class() {
        let a = alloc(24);
        // SAFETY: allocated just above with this size.
        unsafe { dealloc(a, 24) };
        let b = alloc(17); // same class (24)
        assert_eq!(a, b);
        // SAFETY: allocated just above.
        unsafe { dealloc(b, 17) };
        let big = alloc(1000);
        assert_eq!(big.as_ptr() as usize % 8, 0);
        // SAFETY: allocated just above.
        unsafe { dealloc(big, 1000) };
    }

    #[test]
    fn chunks_never_overlap_and_keep_contents() {
        let mut rng = Rng::new(11);
        let mut live: Vec<(NonNull<u8>, usize, u8)> = Vec::new();
        let before = stats().live_bytes;
        for round in 0..20_000u32 {
            if live.is_empty() || rng.below(3) != 0 {
                let size = 1 + rng.below(400) as usize;
                let p = alloc(size);
                assert_eq!(p.as_ptr() as usize % 8, 0);
                let tag = round as u8;
                // SAFETY: `p` is a fresh allocation of `size` bytes.
                unsafe { std::ptr::write_bytes(p.as_ptr(), tag, size) };
                live.push((p, size, tag));
            } else {
                let i = rng.below(live.len() as u64) as usize;
                let (p, size, tag) = live.swap_remove(i);
                // SAFETY: `p` is live with `size` bytes; we only read it.
                let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), size) };
                assert!(bytes.iter().all(|&b| b == tag), "chunk contents were overwritten");
                // SAFETY: allocated with this size and not freed yet.
                unsafe { dealloc(p, size) };
            }
        }
        for (p, size, tag) in live {
            // SAFETY: as above.
            let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), size) };
            assert!(bytes.iter().all(|&b| b == tag));
            // SAFETY: as above.
            unsafe { dealloc(p, size) };
        }
        assert_eq!(stats().live_bytes, before);
    }
}
