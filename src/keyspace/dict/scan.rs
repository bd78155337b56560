//! Reading a dict without changing it: SCAN's cursors (which survive resizes and, through their tag, a rebuild
//! under a new seed), random picks and samples, the walks in hash order that slot migration and the defragmenter
//! use.

use super::{hash_with, tag, Dict, DictEntry};
use crate::util::Rng;

/// A SCAN cursor holds the position (the hash to resume at, bit-reversed) in its low [`CURSOR_POS_BITS`] bits
/// and the dict's [`Dict::scan_tag`] in the [`CURSOR_TAG_BITS`] above them, so every cursor is below 2^53 (a
/// JavaScript number holds it exactly) and 2^63 (a signed 64-bit integer does). Positions are multiples of
/// `2^(64 - CURSOR_POS_BITS)`: tables of up to 2^48 slots are scanned bucket by bucket.
pub(super) const CURSOR_POS_BITS: u32 = 48;
pub(super) const CURSOR_POS_MASK: u64 = (1 << CURSOR_POS_BITS) - 1;
pub(super) const CURSOR_TAG_BITS: u32 = 5;
/// Tags run 1..=MAX_SCAN_TAG after the first rebuild (0 is a dict's tag until then and after it empties).
pub(super) const MAX_SCAN_TAG: u8 = (1 << CURSOR_TAG_BITS) - 1;
const _: () = assert!(CURSOR_POS_BITS + CURSOR_TAG_BITS <= 53);

/// The tag bits of a cursor.
#[inline]
fn cursor_tag(cursor: u64) -> u8 {
    ((cursor >> CURSOR_POS_BITS) & MAX_SCAN_TAG as u64) as u8
}

/// The hash a SCAN resumes at for `cursor` on a dict whose tag is `tag`: the position bits reversed, or 0 (a
/// restart) when the cursor's tag is another one. Bits above the tag are ignored, as Redis ignores a cursor's
/// bits above its table's mask.
#[inline]
pub(super) fn cursor_position(cursor: u64, tag: u8) -> u64 {
    if cursor_tag(cursor) != tag {
        return 0;
    }
    // A position below 2^48 reversed is a multiple of 2^16.
    (cursor & CURSOR_POS_MASK).reverse_bits()
}

/// The cursor for resuming at hash `hi` (0 = the scan is complete). `hi` is on a grid of at most 2^48 points
/// ([`round_up_to_grid`]), so its reversal fits the position bits.
#[inline]
pub(super) fn encode_cursor(hi: u64, tag: u8) -> u64 {
    if hi == 0 {
        return 0;
    }
    let pos = hi.reverse_bits();
    debug_assert!(pos <= CURSOR_POS_MASK && pos != 0);
    pos | (tag as u64) << CURSOR_POS_BITS
}

/// `h` rounded up to the cursor grid of a table of `size` slots: multiples of `2^(64 - b)` with `2^b` the
/// smallest power of two at or above `size` (so a cursor on that grid, bit-reversed, is below `2^b`: below the
/// table's size for the `2^k` sizes, below 4/3 of it for the `3 * 2^(k-1)` ones). 0 stays 0 (the end of the
/// hash space), and so does a value that rounds past 2^64 - 1.
#[inline]
pub(super) fn round_up_to_grid(h: u64, size: usize) -> u64 {
    let bits = (usize::BITS - (size.max(2) - 1).leading_zeros()).min(CURSOR_POS_BITS);
    let unit_mask = u64::MAX >> bits;
    h.checked_add(unit_mask).map_or(0, |v| v & !unit_mask)
}

impl<E: DictEntry> Dict<E> {
    /// Visits one step of a SCAN from `cursor`: every element whose hash lies in the home range of the smaller
    /// table's bucket containing the cursor's position (in both tables while rehashing). Returns the next cursor,
    /// 0 when the whole hash space has been covered. Elements present for the whole scan are visited at least
    /// once, and, unless a rebuild under a new seed restarted the scan, at most once.
    ///
    /// See "SCAN cursors" in the module documentation for the encoding. A cursor whose tag is not this dict's
    /// (handed out before a rebuild changed the seed, or by another dict, or never handed out) restarts the scan:
    /// the elements are returned again, none is skipped.
    pub fn scan<F: FnMut(&E)>(&self, cursor: u64, mut f: F) -> u64 {
        self.scan_count(cursor, usize::MAX, 1, |e| {
            f(e);
            false
        })
    }

    /// SCAN's loop (Redis's `scanGenericCommand`): scan steps from `cursor` until `f` returned true `count` times
    /// (an element it kept; false for one a filter dropped), the scan is complete, or `max_steps` steps were made
    /// (at least one). Returns the cursor to hand back. The cursor is decoded and encoded once, not per step.
    pub fn scan_count<F: FnMut(&E) -> bool>(&self, cursor: u64, count: usize, max_steps: usize, mut f: F) -> u64 {
        if self.is_empty() {
            return 0;
        }
        if self.is_reseeding() {
            // Through `dyn`: one copy of the rare path per entry type, not one per caller's closure.
            return self.scan_count_reseeding(cursor, count, max_steps, &mut f);
        }
        let mut lo = cursor_position(cursor, self.scan_tag);
        let (mut kept, mut steps_left) = (0usize, max_steps.max(1));
        loop {
            let hi = self.scan_step(lo, &mut |e| kept += f(e) as usize);
            steps_left -= 1;
            if hi == 0 || steps_left == 0 || kept >= count {
                return encode_cursor(hi, self.scan_tag);
            }
            lo = hi;
        }
    }

    /// [`Dict::scan_count`] while a rebuild under a new seed migrates the elements (`t[0]` under the old seed,
    /// `t[1]` under the new one): a scan then walks `t[0]` in its hash order (cursors tagged `scan_old_tag`), then
    /// `t[1]` in its own from the start (tagged `scan_tag`; the first of these is the cursor with position 0,
    /// not 0 itself, which would end the scan). An element present throughout is returned: it is in `t[0]`
    /// when the first phase passes its hash, or it moved to `t[1]` before and stays there (elements only move
    /// from `t[0]` to `t[1]`). Should the migration end during the first phase, that phase's cursors are stale
    /// and the scan restarts under the new seed; a cursor of the second phase stays good (`t[1]` becomes the
    /// table, same seed). So an element comes back at most twice per rebuild. The first phase's tag is the one the
    /// dict had before the migration (its cursors are positions in `t[0]`'s hash space, whatever sizes the table
    /// had), so a scan begun before goes on; a cursor of neither tag starts the first phase from 0.
    #[inline(never)]
    fn scan_count_reseeding(&self, cursor: u64, count: usize, max_steps: usize, f: &mut dyn FnMut(&E) -> bool) -> u64 {
        let (mut ti, mut tag, mut lo) = match cursor_tag(cursor) {
            t if t == self.scan_tag => (1, t, cursor_position(cursor, t)),
            t if t == self.scan_old_tag => (0, t, cursor_position(cursor, t)),
            _ => (0, self.scan_old_tag, 0),
        };
        let (mut kept, mut steps_left) = (0usize, max_steps.max(1));
        loop {
            let t = &self.t[ti];
            let hi = round_up_to_grid(t.bucket_end(lo), t.size());
            self.scan_range(ti, lo, hi, &mut |e| kept += f(e) as usize);
            steps_left -= 1;
            let done = steps_left == 0 || kept >= count;
            if hi == 0 && ti == 0 {
                // The old table is covered: the new one from its start.
                (ti, tag, lo) = (1, self.scan_tag, 0);
                if done {
                    return (self.scan_tag as u64) << CURSOR_POS_BITS;
                }
                continue;
            }
            if hi == 0 || done {
                return encode_cursor(hi, tag);
            }
            lo = hi;
        }
    }

    /// One step from hash `lo` (non-empty dict): the elements of the smaller table's bucket holding `lo`, in both
    /// tables while rehashing. Returns the hash to resume at, 0 when the step reached the end of the hash space.
    #[inline]
    pub(super) fn scan_step(&self, lo: u64, f: &mut dyn FnMut(&E)) -> u64 {
        // The step covers [lo, end of the smaller table's bucket holding lo), rounded up to the cursor grid of
        // that table (the next bucket's first hashes, if the end is not on the grid, are covered now).
        let small = if self.rehashing && self.t[1].size() < self.t[0].size() { &self.t[1] } else { &self.t[0] };
        let hi = round_up_to_grid(small.bucket_end(lo), small.size()); // 0: the step reaches the end
        self.scan_range(0, lo, hi, f);
        if self.rehashing {
            self.scan_range(1, lo, hi, f);
        }
        hi
    }

    /// Calls `f` for the elements of table `ti` whose hash (under that table's seed) is in `[lo, hi)` (`hi == 0`
    /// means up to 2^64). The old table of a migration is walked as its probes walk it: from `rehash_idx` on, a
    /// home below it counting as `rehash_idx` ([`Table::probe_from`](crate::keyspace::dict::table::Table::probe_from)).
    ///
    /// `f` is a `dyn`: one copy of the walk per entry type, not one per caller's closure (the call per element is
    /// small beside the element's hash).
    pub(super) fn scan_range(&self, ti: usize, lo: u64, hi: u64, f: &mut dyn FnMut(&E)) {
        let t = &self.t[ti];
        if t.used == 0 {
            return;
        }
        let seed = self.seed_of(ti);
        let skip = if ti == 0 && self.rehashing { self.rehash_idx.min(t.size()) } else { 0 };
        // lo <= hi - 1 (hi == 0 is the end of the hash space), so start <= last_home.
        let start = t.home(lo).max(skip);
        let last_home = t.home(hi.wrapping_sub(1)).max(skip);
        let span = last_home - start;
        let in_range = |h: u64| h >= lo && (hi == 0 || h < hi);
        let mut i = start;
        for d in 0..t.size() - skip {
            if d > 0 {
                i = t.next_from(i, skip);
            }
            match &t.slots[i] {
                None if d >= span => break,
                Some(e) if in_range(hash_with(seed, e.key())) => f(e),
                _ => {}
            }
        }
    }

    /// A uniformly random element: uniform random slots until one is occupied (each element owns exactly one
    /// slot, so this is fair); after many misses in a very sparse table, the first element after a random slot.
    pub fn random(&self, rng: &mut Rng) -> Option<&E> {
        if self.is_empty() {
            return None;
        }
        let skip = if self.rehashing { self.rehash_idx } else { 0 };
        let n0 = self.t[0].size() - skip;
        let total = n0 + if self.rehashing { self.t[1].size() } else { 0 };
        for _ in 0..256 {
            let r = rng.below(total as u64) as usize;
            let slot = if r < n0 { &self.t[0].slots[skip + r] } else { &self.t[1].slots[r - n0] };
            if let Some(e) = slot {
                return Some(e);
            }
        }
        let r = rng.below(total as u64) as usize;
        (0..total).find_map(|d| {
            let k = (r + d) % total;
            if k < n0 {
                self.t[0].slots[skip + k].as_ref()
            } else {
                self.t[1].slots[k - n0].as_ref()
            }
        })
    }

    /// Calls `f` for up to `n` elements found by walking consecutive slots from a random position, visiting at
    /// most `n * 10` slots (Redis's `dictGetSomeKeys`: cheap, not uniformly fair, good for eviction pools and
    /// expiry sampling). Returns how many elements were visited.
    pub fn sample<F: FnMut(&E)>(&self, n: usize, rng: &mut Rng, mut f: F) -> usize {
        if self.is_empty() || n == 0 {
            return 0;
        }
        let tables: &[usize] = if self.rehashing { &[0, 1] } else { &[0] };
        let mut found = 0;
        let max_steps = n.saturating_mul(10);
        let mut steps = 0;
        // Start at the same relative position in each table.
        let frac = rng.next_u64();
        // Per table: (table, first live slot, live slots, where the walk starts among them). While rehashing, the
        // old table is empty below `rehash_idx`: walk only the slots from there on (Redis's dictGetSomeKeys skips
        // them the same way), or sampling could come back empty from a full dict.
        let mut walks = [(0usize, 0usize, 0usize, 0usize); 2];
        let mut nwalks = 0;
        for &ti in tables {
            let t = &self.t[ti];
            let lo = if ti == 0 && self.rehashing { self.rehash_idx.min(t.size()) } else { 0 };
            let live = t.size() - lo;
            if t.used == 0 || live == 0 {
                continue;
            }
            walks[nwalks] = (ti, lo, live, t.home(frac).max(lo) - lo);
            nwalks += 1;
        }
        // The two tables are walked in lockstep, one slot of each per step, so the entries already moved to the
        // new table are sampled as well as those still in the old one (walking the old table first could use up
        // the whole sample there and never reach the moved entries).
        let longest = walks[..nwalks].iter().map(|w| w.2).max().unwrap_or(0);
        for d in 0..longest {
            for &(ti, lo, live, first) in &walks[..nwalks] {
                if d >= live {
                    continue;
                }
                if found >= n || steps >= max_steps {
                    return found;
                }
                steps += 1;
                if let Some(e) = &self.t[ti].slots[lo + (first + d) % live] {
                    f(e);
                    found += 1;
                }
            }
        }
        found
    }

    /// Calls `f` on the elements of up to `max` slots from `cursor` (a slot index over the main table, then the
    /// rehash target), for the defragmenter, which may replace an element's allocation but never its key. Returns
    /// the cursor to continue from, 0 once the end is reached. No rehash work is done; a resize between calls may
    /// make a walk skip or repeat elements (harmless for its purpose; a walk that must see every element restarts
    /// when [`Dict::layout`] changed between calls).
    pub fn walk_mut<F: FnMut(&mut E)>(&mut self, cursor: usize, max: usize, mut f: F) -> usize {
        let n0 = self.t[0].size();
        let total = n0 + self.t[1].size();
        let end = cursor.saturating_add(max).min(total);
        for i in cursor..end {
            let slot = if i < n0 { &mut self.t[0].slots[i] } else { &mut self.t[1].slots[i - n0] };
            if let Some(e) = slot {
                f(e);
            }
        }
        if end >= total {
            0
        } else {
            end
        }
    }

    /// Calls `f` for every element placed under `seed` that may hash into `[lo, hi]` under it and whose control
    /// byte matches `tag(lo)` (`lo` and `hi` share their low 7 bits): the candidates of a hash known up to its
    /// middle bits (the cluster slot index's fragments). The caller checks each candidate's real hash. Walks, in
    /// each table placed under `seed` (both while a resize migrates; during a rebuild under a new seed only the
    /// old table is under the old seed, only the new one under the new), from the home slot of `lo` to that of
    /// `hi`, then on to the end of the run (an element sits in the run its home starts), reading only control
    /// bytes for non-matching slots.
    pub fn for_each_in_hash_range<F: FnMut(&E)>(&self, seed: u64, lo: u64, hi: u64, mut f: F) {
        let want = tag(lo);
        for ti in 0..1 + self.rehashing as usize {
            let t = &self.t[ti];
            if t.used == 0 || self.seed_of(ti) != seed {
                continue;
            }
            let skip = if ti == 0 && self.rehashing { self.rehash_idx.min(t.size()) } else { 0 };
            let start = t.home(lo).max(skip);
            let span = t.home(hi).max(skip) - start;
            let mut i = start;
            for d in 0..t.size() - skip {
                if d > 0 {
                    i = t.next_from(i, skip);
                }
                let c = t.ctrl[i];
                if c == 0 && d >= span {
                    break;
                }
                if c == want {
                    if let Some(e) = &t.slots[i] {
                        f(e);
                    }
                }
            }
        }
    }
}
