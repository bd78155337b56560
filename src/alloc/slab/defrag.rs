//! Defragmentation of the slab (the allocator's side of `activedefrag`): choosing the sparse pages of a class,
//! keeping new allocations out of them, and unmapping them once the caller has moved what lived there. The
//! keyspace's side (moving the values) is [`state::defrag`](crate::state::defrag).

use super::{
    class_of, class_size, is_slab, page_of, per_page, to_evac_list, unmap_page, PageHdr, Slab, CLASSES, MAX_ROUTED,
    MAX_SMALL, PAGE_BYTES, RESERVE_BASE, SLAB,
};
use std::cell::Cell;

pub(super) const IDLE: u8 = 0;
pub(super) const COUNTING: u8 = 1;
pub(super) const FILTERING: u8 = 2;
pub(super) const MOVING: u8 = 3;

/// The defragmenter's side of the slab (see [`defrag_begin`]).
pub(super) struct Defrag {
    pub(super) phase: Cell<u8>,
    /// The class being counted or filtered.
    pub(super) class: Cell<usize>,
    /// COUNTING: the class's detached free list; FILTERING: what is left of it to sort.
    pub(super) list: Cell<*mut u8>,
    /// COUNTING: the next chunk to count; FILTERING: the chunks freed while counting, left to sort.
    pub(super) rest: Cell<*mut u8>,
    /// COUNTING: the last chunk counted (the detached list's tail once the count is done).
    pub(super) last: Cell<*mut u8>,
    /// FILTERING: the chunks that stay on the class's list (head and tail).
    pub(super) kept: Cell<*mut u8>,
    pub(super) kept_tail: Cell<*mut u8>,
    /// A class is looked at when at least this percentage of its pages is free.
    pub(super) min_free_pct: Cell<usize>,
    /// COUNTING: this thread's pages with a chunk on the detached list.
    pub(super) seen: std::cell::RefCell<Vec<*mut PageHdr>>,
    /// Pages being evacuated, with their class.
    pub(super) pages: std::cell::RefCell<Vec<(*mut PageHdr, usize)>>,
    /// Bytes of pages released by this defrag so far.
    pub(super) released: Cell<usize>,
}

/// Starts a defrag of this thread's slab. How it goes:
///
/// 1. Per class with at least `min_free_pct` percent of its pages free (and two pages' worth): its free list is
///    detached and walked in steps ([`defrag_prep`]) counting the free chunks of each page; then the pages with
///    the fewest live chunks are chosen for evacuation, as many as the other pages' free chunks can take in
///    (never the bump page), and marked. The list (and what was freed meanwhile) is sorted in steps: chunks of
///    marked pages go to their page's own list (`evac_head`, counted in `count`), the rest back to the class.
///    From the marking on, [`super::dealloc`] sends chunks of marked pages to their page's list too, so no allocation
///    can land in a marked page.
/// 2. The caller moves what lives in marked pages ([`chunk_moves`], [`routed_moves`]): a new chunk (from an
///    unmarked page), a copy, and a free of the old one. [`defrag_poll`] unmaps each marked page whose chunks are
///    all on its list (`count == per_page`: nothing live, nothing on another list).
/// 3. [`defrag_end`] unmaps the pages that emptied and gives the others' free chunks back to their class.
///
/// Returns false when a defrag or a release sweep is in progress. While a defrag runs, the cron's release
/// sweep waits and [`super::release_free_pages`] ends the defrag first.
pub fn defrag_begin(min_free_pct: usize) -> bool {
    SLAB.with(|s| {
        let d = &s.defrag;
        if d.phase.get() != IDLE || s.sweep.active.get() {
            return false;
        }
        d.min_free_pct.set(min_free_pct);
        d.released.set(0);
        d.class.set(0);
        next_class(s);
        true
    })
}

/// Moves to the first class from `d.class` on worth evacuating and detaches its list (COUNTING), or to MOVING.
fn next_class(s: &Slab) {
    let d = &s.defrag;
    let mut c = d.class.get();
    while c < CLASSES {
        let class = &s.classes[c];
        let free_bytes = class.carved(c).saturating_sub(class.live.get()) * class_size(c);
        if free_bytes >= 2 * PAGE_BYTES && free_bytes * 100 >= class.pages.get() * PAGE_BYTES * d.min_free_pct.get() {
            d.class.set(c);
            let head = class.free.replace(std::ptr::null_mut());
            d.list.set(head);
            d.rest.set(head);
            d.last.set(std::ptr::null_mut());
            d.seen.borrow_mut().clear();
            d.phase.set(COUNTING);
            return;
        }
        c += 1;
    }
    d.class.set(CLASSES);
    d.phase.set(MOVING);
}

/// Does up to `budget` chunk visits of step 1 of [`defrag_begin`]; returns true while that step has work left
/// (false once the caller's moving can start).
pub fn defrag_prep(budget: usize) -> bool {
    SLAB.with(|s| {
        let d = &s.defrag;
        let mut n = 0;
        loop {
            match d.phase.get() {
                COUNTING => {
                    if !count_step(s, budget - n, &mut n) {
                        return true;
                    }
                    choose(s);
                }
                FILTERING => {
                    if !filter_step(s, budget - n, &mut n) {
                        return true;
                    }
                    d.class.set(d.class.get() + 1);
                    next_class(s);
                }
                _ => return false,
            }
            if n >= budget {
                return d.phase.get() != MOVING;
            }
        }
    })
}

/// Counts up to `budget` chunks of the detached list per page; returns whether the count is complete.
fn count_step(s: &Slab, budget: usize, n: &mut usize) -> bool {
    let d = &s.defrag;
    let me = s as *const Slab as usize;
    let mut p = d.rest.get();
    let mut seen = d.seen.borrow_mut();
    let mut k = 0;
    while !p.is_null() && k < budget {
        let hdr = page_of(p);
        // SAFETY: `p` is a free chunk of the detached list (private to the defrag): its first word is the next
        // link and its page header is mapped; only the owner (this thread, when `owner == me`) writes `count`.
        unsafe {
            if (*hdr).owner == me {
                if (*hdr).count == 0 {
                    seen.push(hdr);
                }
                (*hdr).count += 1;
            }
            d.last.set(p);
            p = p.cast::<*mut u8>().read();
        }
        k += 1;
    }
    *n += k;
    d.rest.set(p);
    p.is_null()
}

/// Picks the pages of the counted class to evacuate and marks them (see [`defrag_begin`]); moves to FILTERING,
/// or, when none is worth it, puts the list back and goes to the next class.
fn choose(s: &Slab) {
    let d = &s.defrag;
    let c = d.class.get();
    let class = &s.classes[c];
    let cur = class.cur_page();
    let per = per_page(c);
    let mut seen = d.seen.borrow_mut();
    // SAFETY: the pages in `seen` are this thread's mapped pages of class `c` (so are all headers touched below).
    let free_of = |h: *mut PageHdr| unsafe { (*h).count } as usize;
    let total_free: usize = seen.iter().map(|&h| free_of(h)).sum();
    seen.sort_unstable_by_key(|&h| std::cmp::Reverse(free_of(h)));
    let (mut live, mut freed) = (0usize, 0usize);
    let mut pages = d.pages.borrow_mut();
    let before = pages.len();
    for &h in seen.iter() {
        let f = free_of(h);
        if h != cur && live + per.saturating_sub(f) + freed + f <= total_free {
            live += per.saturating_sub(f);
            freed += f;
            pages.push((h, c));
            // SAFETY: see above.
            unsafe {
                (*h).evac = 1;
                (*h).evac_head = std::ptr::null_mut();
            }
        }
        // SAFETY: see above.
        unsafe { (*h).count = 0 };
    }
    seen.clear();
    if pages.len() == before {
        // Nothing to evacuate: the detached list goes back in front of what was freed meanwhile.
        let (head, tail) = (d.list.replace(std::ptr::null_mut()), d.last.get());
        if !head.is_null() {
            // SAFETY: `tail` is the detached list's last chunk (the count walked it all).
            unsafe { tail.cast::<*mut u8>().write(class.free.get()) };
            class.free.set(head);
        }
        d.class.set(c + 1);
        drop((seen, pages));
        next_class(s);
        return;
    }
    class.evac.set(true);
    d.rest.set(class.free.replace(std::ptr::null_mut()));
    d.kept.set(std::ptr::null_mut());
    d.kept_tail.set(std::ptr::null_mut());
    d.phase.set(FILTERING);
}

/// Sorts up to `budget` chunks of the detached lists (see [`defrag_begin`]); returns whether both are done (the
/// kept chunks are then back on the class's list).
fn filter_step(s: &Slab, budget: usize, n: &mut usize) -> bool {
    let d = &s.defrag;
    let class = &s.classes[d.class.get()];
    let mut k = 0;
    loop {
        let (from, p) = match (d.list.get(), d.rest.get()) {
            (p, _) if !p.is_null() => (&d.list, p),
            (_, p) if !p.is_null() => (&d.rest, p),
            _ => break,
        };
        if k >= budget {
            *n += k;
            return false;
        }
        k += 1;
        // SAFETY: `p` is a free chunk of a detached list, private to the defrag; the class has `evac` set.
        unsafe {
            from.set(p.cast::<*mut u8>().read());
            if to_evac_list(s, p) {
                continue;
            }
            p.cast::<*mut u8>().write(std::ptr::null_mut());
            let tail = d.kept_tail.replace(p);
            if tail.is_null() {
                d.kept.set(p);
            } else {
                tail.cast::<*mut u8>().write(p);
            }
        }
    }
    *n += k;
    let (head, tail) = (d.kept.replace(std::ptr::null_mut()), d.kept_tail.replace(std::ptr::null_mut()));
    if !head.is_null() {
        // SAFETY: `tail` is the kept list's last chunk.
        unsafe { tail.cast::<*mut u8>().write(class.free.get()) };
        class.free.set(head);
    }
    true
}

/// Whether a chunk from [`super::alloc`] of `size` bytes lies in a page being evacuated (so the caller should move it).
#[inline]
pub fn chunk_moves(p: *const u8, size: usize) -> bool {
    size <= MAX_SMALL && in_evac(p, class_of(size.max(1)))
}

/// Whether an allocation of `size` bytes made by the global allocator is worth moving: one served by
/// [`super::alloc_routed`] that lies in a page being evacuated, or a malloc one that [`super::alloc_routed`] could serve (while
/// the defragmenter runs, such buffers move out of malloc's heap, whose holes only a trim can return).
#[inline]
pub fn routed_moves(p: *const u8, size: usize) -> bool {
    if size == 0 || size > MAX_ROUTED {
        return false;
    }
    if is_slab(p) {
        in_evac(p, class_of(size))
    } else {
        RESERVE_BASE.load(std::sync::atomic::Ordering::Relaxed) > 1
    }
}

#[inline]
fn in_evac(p: *const u8, c: usize) -> bool {
    SLAB.with(|s| {
        if !s.classes[c].evac.get() {
            return false;
        }
        let hdr = page_of(p as *mut u8);
        // SAFETY: `p` is a live slab chunk of class `c` (caller), so its page header is mapped; `owner` never
        // changes and `evac` is only written by the owner, this thread when they match.
        unsafe { (*hdr).owner == s as *const Slab as usize && (*hdr).evac != 0 }
    })
}

/// Puts the chain of free chunks that starts at `head` in front of `class`'s free list; its end is found by
/// walking the links from `from`.
///
/// # Safety
/// `head` and `from` are chunks of one null-terminated chain of this thread's free chunks of `class`, `from` at or
/// after `head`, and nothing else refers to the chain.
unsafe fn prepend_chain(class: &super::Class, head: *mut u8, from: *mut u8) {
    let mut tail = from;
    loop {
        // SAFETY: `tail` is a chunk of the chain (contract); a free chunk's first word links to the next one.
        let next = unsafe { tail.cast::<*mut u8>().read() };
        if next.is_null() {
            break;
        }
        tail = next;
    }
    // SAFETY: `tail` is the chain's last chunk, which nothing else refers to (contract): its link is ours to set.
    unsafe { tail.cast::<*mut u8>().write(class.free.get()) };
    class.free.set(head);
}

/// Unmaps the evacuated pages whose chunks are all free now; returns the bytes released.
pub fn defrag_poll() -> usize {
    SLAB.with(|s| release_evacuated(s, false))
}

/// Unmaps emptied evacuated pages (of classes done filtering); with `all`, also gives the other evacuated pages'
/// chunks back to their classes and clears their marks.
fn release_evacuated(s: &Slab, all: bool) -> usize {
    let d = &s.defrag;
    let busy = if d.phase.get() == FILTERING { d.class.get() } else { CLASSES };
    let mut pages = d.pages.borrow_mut();
    let mut released = 0;
    let mut i = 0;
    while i < pages.len() {
        let (h, c) = pages[i];
        let class = &s.classes[c];
        // SAFETY: `h` is a mapped page of this thread being evacuated (pages leave the list when unmapped); its
        // list holds `count` free chunks that nothing else refers to.
        unsafe {
            if c != busy && (*h).count as usize == per_page(c) {
                // Every chunk of the page is on its own list: nothing is live there and no other list or bump
                // pointer refers to it.
                unmap_page(h.cast());
                class.pages.set(class.pages.get() - 1);
                released += PAGE_BYTES;
                pages.swap_remove(i);
                continue;
            }
            if all {
                let head = (*h).evac_head;
                if !head.is_null() {
                    prepend_chain(class, head, head);
                }
                (*h).evac = 0;
                (*h).count = 0;
                (*h).evac_head = std::ptr::null_mut();
            }
        }
        i += 1;
    }
    if all {
        pages.clear();
    }
    if released > 0 {
        crate::alloc::refund_pages(released);
        s.page_bytes.set(s.page_bytes.get() - released);
        d.released.set(d.released.get() + released);
    }
    released
}

/// Ends the defrag (whatever its phase): unmaps the evacuated pages that emptied and returns every other free
/// chunk to its class's list. Returns the bytes released by this call.
pub fn defrag_end() -> usize {
    SLAB.with(defrag_finish)
}

pub(super) fn defrag_finish(s: &Slab) -> usize {
    let d = &s.defrag;
    match d.phase.get() {
        IDLE => return 0,
        COUNTING => {
            // Put the detached list back; forget the counts.
            let class = &s.classes[d.class.get()];
            let head = d.list.replace(std::ptr::null_mut());
            if !head.is_null() {
                let from = if d.rest.get().is_null() { d.last.get() } else { d.rest.get() };
                // SAFETY: `head` starts the detached list, of this class's free chunks and referred to by nothing
                // else now; `from` is one of its chunks.
                unsafe { prepend_chain(class, head, from) };
            }
            for &h in d.seen.borrow_mut().iter() {
                // SAFETY: pages of this thread counted by the walk.
                unsafe { (*h).count = 0 };
            }
            d.seen.borrow_mut().clear();
        }
        FILTERING => {
            let mut n = 0;
            filter_step(s, usize::MAX, &mut n);
        }
        _ => {}
    }
    d.phase.set(MOVING);
    let released = release_evacuated(s, true);
    for class in &s.classes {
        class.evac.set(false);
    }
    d.phase.set(IDLE);
    released
}

/// Whether a defrag is in progress (between [`defrag_begin`] and [`defrag_end`]).
pub fn defrag_active() -> bool {
    SLAB.with(|s| s.defrag.phase.get() != IDLE)
}

/// Bytes of pages the current (or last) defrag released.
pub fn defrag_released() -> usize {
    SLAB.with(|s| s.defrag.released.get())
}
