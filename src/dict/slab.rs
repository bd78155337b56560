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
/// from [`alloc`]`(cap)` owned by this buffer; bytes `0..len` are initialized. Sizes are limited to `u32::MAX`
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
    fn realloc_keeps_prefix_across_small_and_large() {
        let mut p = alloc(16);
        // SAFETY: 16 fresh bytes.
        unsafe { std::ptr::copy_nonoverlapping(b"0123456789abcdef".as_ptr(), p.as_ptr(), 16) };
        for (old, new) in [(16, 20), (20, 200), (200, 4000), (4000, 9000), (9000, 100), (100, 16)] {
            // SAFETY: `p` is live with size `old`; the first 16 bytes were written above.
            p = unsafe { realloc(p, old, new, 16) };
            // SAFETY: `p` is live with at least 16 initialized bytes.
            let got = unsafe { std::slice::from_raw_parts(p.as_ptr(), 16) };
            assert_eq!(got, b"0123456789abcdef", "{old} -> {new}");
        }
        // SAFETY: last size was 16.
        unsafe { dealloc(p, 16) };
    }

    #[test]
    fn slab_bytes_behaves_like_vec() {
        let mut rng = Rng::new(5);
        let mut b = SlabBytes::new();
        let mut model: Vec<u8> = Vec::new();
        assert_eq!(b.capacity(), 0);
        for round in 0..5000u32 {
            match rng.below(6) {
                0 | 1 => {
                    let n = rng.below(70) as usize;
                    let chunk: Vec<u8> = (0..n).map(|i| (round as usize + i) as u8).collect();
                    b.extend_from_slice(&chunk);
                    model.extend_from_slice(&chunk);
                }
                2 => {
                    let n = rng.below(300) as usize;
                    b.resize(n, 7);
                    model.resize(n, 7);
                }
                3 if !model.is_empty() => {
                    let s = rng.below(model.len() as u64) as usize;
                    let e = s + rng.below((model.len() - s) as u64 + 1) as usize;
                    b.remove_range(s, e);
                    model.drain(s..e);
                }
                4 => {
                    b.shrink_to_fit();
                    assert_eq!(b.capacity(), chunk_size(model.len()));
                }
                _ => {
                    let c = b.clone();
                    assert_eq!(c, b);
                    b.push(round as u8);
                    model.push(round as u8);
                }
            }
            assert_eq!(b.as_slice(), model.as_slice());
            assert!(b.len() <= b.capacity());
        }
        b.resize(0, 0);
        b.shrink_to_fit();
        assert_eq!(b.capacity(), 0);
        assert!(b.is_empty());
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
