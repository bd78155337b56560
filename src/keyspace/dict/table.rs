//! One open-addressing table: the slots, one control byte per slot, linear probing with backward-shift
//! deletion, and the migration of elements from an old table into a new one. [`super::Dict`] holds one or two of
//! these (two while it rehashes) and decides when they grow, shrink or move.

use super::{hash_with, is_valid_size, tag, DictEntry, BATCH_FREE_MIN, ITER_PREFETCH, MIGRATE_LAG};
use crate::alloc::slab;

pub(super) struct Table<E: DictEntry> {
    pub(super) slots: Box<[Option<E>]>,
    /// One control byte per slot: 0 = empty, else `tag(hash)` of the element there. Probes compare these first,
    /// so they dereference an element only when 7 hash bits match.
    pub(super) ctrl: Box<[u8]>,
    pub(super) used: usize,
    /// Slots `front_end..back_start` have never been filled since the table was allocated (a new table starts
    /// with the whole range): each placement outside it leaves it alone, one inside it narrows it from the nearer
    /// end (a migration fills a new table from the front, plus the run that wrapped round the old table's end at
    /// the back). Elements only move into slots that were filled before (a backward shift fills a hole), so the
    /// range stays empty, and a key whose home slot lies in it is absent without a look at the arrays
    /// ([`Table::find_near`]), which matters while a growing table's new arrays are mostly untouched pages
    /// ([`super::Dict::old_slot_for_new`]).
    pub(super) front_end: usize,
    pub(super) back_start: usize,
}

impl<E: DictEntry> Table<E> {
    pub(super) fn empty() -> Table<E> {
        Table { slots: Box::new([]), ctrl: Box::new([]), used: 0, front_end: 0, back_start: 0 }
    }

    pub(super) fn with_size(size: usize) -> Table<E> {
        debug_assert!(is_valid_size(size));
        let slots = if E::ZERO_IS_NONE.is_some() {
            zeroed_slots(size)
        } else {
            let mut v = Vec::with_capacity(size);
            v.resize_with(size, || None);
            v.into_boxed_slice()
        };
        Table { slots, ctrl: vec![0u8; size].into_boxed_slice(), used: 0, front_end: 0, back_start: size }
    }

    #[inline]
    pub(super) fn size(&self) -> usize {
        self.slots.len()
    }

    /// The slot after `i`, wrapping at the end.
    #[inline(always)]
    pub(super) fn next(&self, i: usize) -> usize {
        let j = i + 1;
        if j == self.slots.len() {
            0
        } else {
            j
        }
    }

    /// Slots from `from` forward to `to`, wrapping (0 when equal).
    #[inline(always)]
    pub(super) fn dist(&self, from: usize, to: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + self.slots.len() - from
        }
    }

    /// The home slot of a hash (only for allocated tables): `floor(h * size / 2^64)`, so slot `i` is home to the
    /// hashes in `[ceil(i * 2^64 / size), ceil((i + 1) * 2^64 / size))` (see [`Table::bucket_end`]).
    #[inline(always)]
    pub(super) fn home(&self, h: u64) -> usize {
        ((h as u128 * self.slots.len() as u128) >> 64) as usize
    }

    /// The first hash after the home range of the bucket holding `h` (0 when that bucket is the last one).
    pub(super) fn bucket_end(&self, h: u64) -> u64 {
        let next = self.home(h) as u128 + 1;
        let size = self.slots.len() as u128;
        ((next << 64).div_ceil(size)) as u64
    }

    /// Whether slot `i` holds `key` (a probe's check once the control byte matched).
    #[inline(always)]
    fn holds(&self, i: usize, key: &[u8]) -> bool {
        self.slots[i].as_ref().is_some_and(|e| e.key() == key)
    }

    /// Finds `key` (Ok) or the first empty slot on its probe path (Err). Allocated tables only.
    #[inline]
    pub(super) fn probe(&self, h: u64, key: &[u8]) -> Result<usize, usize> {
        let t = tag(h);
        let mut i = self.home(h);
        loop {
            let c = self.ctrl[i];
            if c == 0 {
                return Err(i);
            }
            if c == t && self.holds(i, key) {
                return Ok(i);
            }
            i = self.next(i);
        }
    }

    /// [`Table::probe`] for an old table a migration drains (the slots below `skip`, its `rehash_idx`, are empty
    /// and left behind): those slots count as occupied, so a probe path through them (an element whose home
    /// the migration passed, or whose run wrapped round the end) jumps over them to `skip` instead of stopping.
    /// A migration may thus move part of a run and leave the rest (see "Incremental rehash" in the module
    /// documentation). `Err(self.size())` when every slot from `skip` on is occupied (no place for a new key).
    #[inline]
    pub(super) fn probe_from(&self, h: u64, key: &[u8], skip: usize) -> Result<usize, usize> {
        let t = tag(h);
        let size = self.slots.len();
        let mut i = self.home(h).max(skip);
        for _ in skip..size {
            let c = self.ctrl[i];
            if c == 0 {
                return Err(i);
            }
            if c == t && self.holds(i, key) {
                return Ok(i);
            }
            i += 1;
            if i == size {
                i = skip;
            }
        }
        Err(size)
    }

    /// The slot after `i` on a probe path of a table drained below `skip` (see [`Table::probe_from`]).
    #[inline(always)]
    pub(super) fn next_from(&self, i: usize, skip: usize) -> usize {
        let j = i + 1;
        if j == self.slots.len() {
            skip
        } else {
            j
        }
    }

    /// Slots from `from` forward to `to` on the cycle `skip..size` (see [`Table::probe_from`]); `from` and `to`
    /// at or above `skip`.
    #[inline(always)]
    pub(super) fn dist_from(&self, from: usize, to: usize, skip: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + self.slots.len() - skip - from
        }
    }

    #[inline]
    pub(super) fn find(&self, h: u64, key: &[u8]) -> Option<usize> {
        if self.used == 0 {
            return None;
        }
        self.probe(h, key).ok()
    }

    /// [`Table::find`] that answers `None` without reading the arrays when the key's home slot has never been
    /// filled (see `front_end`): a probe would stop there at once.
    #[inline]
    pub(super) fn find_near(&self, h: u64, key: &[u8]) -> Option<usize> {
        if self.used == 0 {
            return None;
        }
        let home = self.home(h);
        if home >= self.front_end && home < self.back_start {
            return None;
        }
        self.probe(h, key).ok()
    }

    /// Puts an element whose key is known to be absent (the table has room). Returns how far from its home slot
    /// it landed.
    #[inline]
    pub(super) fn place(&mut self, h: u64, e: E) -> usize {
        let home = self.home(h);
        let mut i = home;
        while self.ctrl[i] != 0 {
            i = self.next(i);
        }
        self.put_at(i, h, e);
        self.dist(home, i)
    }

    /// Fills the empty slot `i` (which must be the first empty slot of `h`'s probe path).
    ///
    /// The slot is written without being read first: an assignment would drop the `None` there, which reads it,
    /// and on a page of a fresh zeroed array nobody has touched yet that read is a page fault of its own (the
    /// kernel maps its shared zero page), followed by a second one for the write. A migration into a new table
    /// writes every page of it that way, so the read doubled the faults of a growth.
    #[inline]
    pub(super) fn put_at(&mut self, i: usize, h: u64, e: E) {
        debug_assert_eq!(self.ctrl[i], 0, "filling an occupied slot");
        let slot: *mut Option<E> = &mut self.slots[i];
        // SAFETY: `slot` comes from a live `&mut` to an element of the array (bounds-checked above), so it is
        // valid and aligned for a write. The slot is empty (`ctrl[i] == 0`, which the callers found, holds exactly
        // for `None`), so nothing that needed dropping is overwritten; were it not, the old entry would only leak.
        unsafe { slot.write(Some(e)) };
        self.ctrl[i] = tag(h);
        self.used += 1;
        if i >= self.front_end && i < self.back_start {
            // Narrow the never-filled range from its nearer end.
            if i - self.front_end <= self.back_start - 1 - i {
                self.front_end = i + 1;
            } else {
                self.back_start = i;
            }
        }
    }

    /// Removes the element at `i` and closes the gap by shifting later elements of the run back towards their
    /// homes (backward-shift deletion), so no tombstones are needed. `seed` is the one the table's elements were
    /// placed under; `skip` is 0, or the `rehash_idx` of an old table being drained (the slots below it count as
    /// occupied and an element's home below it counts as `skip`: [`Table::probe_from`]).
    /// `shifted` is set when elements of the run after `i` moved back.
    pub(super) fn take_at(&mut self, i: usize, seed: u64, skip: usize, shifted: &mut bool) -> Option<E> {
        let e = self.slots.get_mut(i)?.take()?;
        self.ctrl[i] = 0;
        self.used -= 1;
        let mut hole = i;
        let mut j = self.next_from(i, skip);
        loop {
            let home = match &self.slots[j] {
                None => break,
                Some(x) => self.home(hash_with(seed, x.key())).max(skip),
            };
            // The element at j may fill the hole when its home is not strictly after the hole on its probe path
            // (cyclic distances: home..j must cover hole).
            if self.dist_from(home, j, skip) >= self.dist_from(hole, j, skip) {
                *shifted = true;
                self.slots[hole] = self.slots[j].take();
                self.ctrl[hole] = self.ctrl[j];
                self.ctrl[j] = 0;
                hole = j;
            }
            j = self.next_from(j, skip);
        }
        Some(e)
    }
}

/// `size` empty slots from a zeroed allocation (`calloc`: a big array is a fresh mapping whose pages the kernel
/// hands out zeroed on first touch, so this takes microseconds whatever the size). Only for entry types whose
/// [`DictEntry::ZERO_IS_NONE`] is `Some`.
pub(super) fn zeroed_slots<E: DictEntry>(size: usize) -> Box<[Option<E>]> {
    assert!(E::ZERO_IS_NONE.is_some() && std::mem::size_of::<Option<E>>() > 0 && size > 0);
    let layout = std::alloc::Layout::array::<Option<E>>(size).expect("table size overflows the address space");
    // SAFETY: the layout is not zero-sized (asserted above).
    let p = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<Option<E>>();
    if p.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `p` is a live allocation from the global allocator with the layout of `[Option<E>; size]`, which is
    // the layout a `Box<[Option<E>]>` of `size` elements frees with; every byte is zero, which `E::ZERO_IS_NONE`
    // (made only by `ZeroIsNone::checked`, which the compiler evaluates) proves is a valid `None` for each element.
    unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, size)) }
}

/// Frees an empty table's arrays without visiting their slots: every slot is `None`, so there is nothing to drop,
/// and reading a 16M-slot array only to find that out costs tens of milliseconds. Arrays of at least
/// [`crate::alloc::FREE_LATER_MIN`] bytes are handed to the allocator's release thread, since giving such a
/// mapping back to the kernel (`munmap` of touched pages) takes milliseconds too.
pub(super) fn free_empty_arrays<E>(slots: Box<[Option<E>]>, ctrl: Box<[u8]>) {
    pub(super) fn release<T>(b: Box<[T]>) {
        let len = b.len();
        let layout = std::alloc::Layout::array::<T>(len).expect("a live array's layout");
        let p = Box::into_raw(b).cast::<u8>();
        if layout.size() == 0 {
            return; // a dangling pointer: nothing was allocated
        }
        // SAFETY: `p` came from a `Box<[T]>` of `len` elements, allocated by the global allocator with exactly
        // this layout and not used after this point; the caller vouches that no element needs dropping (and
        // skipping a drop is never unsound).
        unsafe { crate::alloc::free_maybe_later(p, layout) };
    }
    release(slots);
    release(ctrl);
}

/// Entries a table's drop asks the CPU for ahead of dropping them: dropping an entry reads it (its size, its
/// value's kind), and a big table's entries are all over memory.
const DROP_PREFETCH: usize = 16;

impl<E: DictEntry> Drop for Table<E> {
    fn drop(&mut self) {
        if self.used > 0 {
            // A big table's entries go back to the slab in address order (see `slab::FreeBatch`).
            let _batch = (self.used >= BATCH_FREE_MIN).then(slab::FreeBatch::begin);
            for j in 0..self.slots.len() {
                if let Some(Some(ahead)) = self.slots.get(j + DROP_PREFETCH) {
                    ahead.prefetch();
                }
                drop(self.slots[j].take());
            }
            self.used = 0;
        }
        free_empty_arrays(std::mem::take(&mut self.slots), std::mem::take(&mut self.ctrl));
    }
}

/// Moves every element of `from` (all at or after slot `start`) into `to`, hashing with `seed` (the destination's),
/// and returns (elements moved, their total displacement). A software pipeline: the entry [`MIGRATE_LAG`] * 2
/// slots ahead is prefetched, the next one is hashed and its destination slot prefetched, and it is placed
/// [`MIGRATE_LAG`] elements later, so the cache misses of many elements overlap instead of adding up (one pass
/// of a big table is several times faster than the incremental steps).
pub(super) fn migrate<E: DictEntry>(from: &mut Table<E>, to: &mut Table<E>, seed: u64, start: usize) -> (u64, u64) {
    let mut ring = [(0usize, 0u64); MIGRATE_LAG];
    let (mut pushed, mut placed) = (0usize, 0usize);
    let (mut moves, mut disp) = (0u64, 0u64);
    let mut put = |from: &mut Table<E>, to: &mut Table<E>, (i, h): (usize, u64)| {
        if let Some(e) = from.slots[i].take() {
            from.ctrl[i] = 0;
            from.used -= 1;
            disp += to.place(h, e) as u64;
            moves += 1;
        }
    };
    let size = from.size();
    let mut j = start;
    while j < size {
        if from.ctrl[j] == 0 {
            // A sparse table (a shrink after mass deletes) is mostly empty slots: its control bytes are passed 8 at
            // a time, not its slots read one by one (a 1-byte control per 8-byte slot).
            j += if j + 8 <= size && from.ctrl[j..j + 8] == [0; 8] { 8 } else { 1 };
            continue;
        }
        if let Some(Some(ahead)) = from.slots.get(j + 2 * MIGRATE_LAG) {
            ahead.prefetch();
        }
        let Some(e) = &from.slots[j] else {
            j += 1;
            continue;
        };
        let h = hash_with(seed, e.key());
        let home = to.home(h);
        slab::prefetch(to.ctrl.as_ptr().wrapping_add(home));
        slab::prefetch(to.slots.as_ptr().wrapping_add(home));
        if pushed - placed == MIGRATE_LAG {
            put(from, to, ring[placed % MIGRATE_LAG]);
            placed += 1;
        }
        ring[pushed % MIGRATE_LAG] = (j, h);
        pushed += 1;
        j += 1;
    }
    while placed < pushed {
        put(from, to, ring[placed % MIGRATE_LAG]);
        placed += 1;
    }
    (moves, disp)
}

/// The elements of `slots` in order, prefetching the entry [`ITER_PREFETCH`] slots ahead at each step.
pub(super) fn prefetching<E: DictEntry>(slots: &[Option<E>]) -> impl Iterator<Item = &E> {
    slots.iter().enumerate().filter_map(move |(i, x)| {
        if let Some(Some(ahead)) = slots.get(i + ITER_PREFETCH) {
            ahead.prefetch();
        }
        x.as_ref()
    })
}
