//! Shrinking a sparse table: when the cron (or a collection's removal, or the defragmenter) finds a table under 1/10
//! full, whether a smaller table under the same seed would pile the elements left into one run (they sit in a narrow
//! part of the hash space after deletes in SCAN order), checked from the control bytes a slice per call for a big
//! table; then a resize, or a rebuild under a new seed
//! ([`Dict::start_reseed`](crate::keyspace::dict::Dict::start_reseed)). See "Insertion order" in the module
//! documentation of [`super`].

use super::{
    allowed_displacement, grown_size, size_for, Dict, DictEntry, Table, COLLECTIONS_RESIZE, GUARD_SLACK, MIN_SIZE,
};

/// A clustering check over a table bigger than [`CLUSTER_CHECK_SLICE`] slots, made a slice per call: the shrink
/// it is for, the table it reads, and the simulated placement so far (see [`Dict::would_cluster`]).
#[derive(Debug)]
pub(super) struct ClusterCheck {
    pub(super) target: usize,
    /// The size of the table being read; a table of another size (a resize happened) restarts the check.
    pub(super) table_size: usize,
    /// The next control byte to read.
    pub(super) next: usize,
    pub(super) next_free: usize,
    pub(super) total: u64,
}

/// Control bytes a clustering check reads per call: a table this big or smaller is checked at once (a pass over
/// 1 MiB of control bytes), a bigger one one slice per cron call, so the check of a 16M-slot table (10M keys,
/// mostly deleted) holds the loop 16 times for a fraction of a millisecond instead of once for several
/// (`dict-cron` of 4-7 ms while 5M keys expired together). Small in unit tests, which then reach the sliced path.
pub(super) const CLUSTER_CHECK_SLICE: usize = if cfg!(test) { 1 << 12 } else { 1 << 20 };

impl<E: DictEntry> Dict<E> {
    /// Grows or shrinks the table if its fill calls for it (called from the cron). Shrinks when under 1/10 full,
    /// grows when over 3/4 (growth deferred while resizing was not allowed).
    pub fn resize_if_needed(&mut self) {
        if self.rehashing || !self.resize_allowed {
            return;
        }
        let (used, size) = (self.t[0].used, self.t[0].size());
        if size == 0 {
            return;
        }
        if self.reseed_pending {
            self.start_reseed(size);
            return;
        }
        if used == 0 {
            self.layout = self.layout.wrapping_add(1);
            self.cluster_check = None;
            self.t[0] = Table::empty();
        } else if size > MIN_SIZE && used * 10 < size {
            let target = size_for(used * 2);
            if target < size {
                self.shrink_to(target);
            }
        } else {
            // No longer sparse (inserts came): a clustering check in progress is for a shrink not wanted now.
            self.cluster_check = None;
            if used * 4 > size * 3 && self.growth_fits_memory() {
                self.start_resize(grown_size(size));
            }
        }
    }

    /// The defragmenter's shrink: a table at most a quarter full (after mass deletes that stopped short of the
    /// cron's 1/10) starts an incremental shrink to the size [`Dict::resize_if_needed`] would pick, as a fresh
    /// load of the same keys would size it. Not while rehashing or while resizing is not allowed. Returns whether
    /// it started one.
    pub fn compact(&mut self) -> bool {
        if self.rehashing || !self.resize_allowed {
            return false;
        }
        let (used, size) = (self.t[0].used, self.t[0].size());
        let target = size_for(used.saturating_mul(2));
        if used == 0 || size <= MIN_SIZE || target.saturating_mul(2) > size {
            return false;
        }
        self.shrink_to(target)
    }

    /// Whether a shrink is waiting for its clustering check (see
    /// [`Dict::shrink_to`](crate::keyspace::dict::Dict::shrink_to)): the table stays sparse meanwhile, so a sampler
    /// that would otherwise wait for the shrink (the active expiry cycle) must carry on.
    pub fn shrink_waiting(&self) -> bool {
        self.cluster_check.is_some()
    }

    /// Starts a shrink to `target` slots; returns whether it did. When the elements left sit in a narrow part of
    /// the hash space (most keys were deleted in SCAN order: a client's SCAN + DEL, or a mass expiry, whose cycle
    /// walks the table in the same order), a smaller table under this seed would pile them into one run, so the
    /// shrink moves them under a new seed ([`Dict::start_reseed`], incremental like any shrink; a companion index
    /// follows its moves through the [`super::MoveLog`]).
    ///
    /// The check reads every control byte of the table; one bigger than [`CLUSTER_CHECK_SLICE`] is read a slice
    /// per call (the shrink starts, or is put off, at the call that reads the last slice, for the size the check
    /// began with).
    pub(super) fn shrink_to(&mut self, target: usize) -> bool {
        let Some((target, clusters)) = self.check_clustering(target) else { return false };
        if clusters {
            self.start_reseed(target);
        } else {
            self.start_resize(target);
        }
        true
    }

    /// Whether moving this (not rehashing) table's elements into a table of `size` slots under the same seed
    /// would displace them far more than random hashes would: the elements left after deleting most keys in hash
    /// order (SCAN order) all sit in one part of the hash space, and a smaller table maps that part onto fewer
    /// slots than there are elements. Reads only the control bytes: an element's slot stands in for its hash
    /// (slot order is hash order, up to the element's displacement), and the migration is simulated in that order
    /// (each element lands at its home in the new table or just after the previous one).
    pub(super) fn would_cluster(&self, size: usize) -> bool {
        let t = &self.t[0];
        if t.used == 0 || size == 0 {
            return false;
        }
        let (_, total) = self.simulate_shrink(size, 0, t.size(), 0, 0);
        self.clusters(size, total)
    }

    /// [`Dict::would_cluster`]'s verdict, or `None` while a big table's check has slices left to read (see
    /// [`CLUSTER_CHECK_SLICE`]); with it, the shrink target the check was made for.
    pub(super) fn check_clustering(&mut self, target: usize) -> Option<(usize, bool)> {
        let size = self.t[0].size();
        if size <= CLUSTER_CHECK_SLICE || self.t[0].used == 0 || target == 0 {
            self.cluster_check = None;
            return Some((target, self.would_cluster(target)));
        }
        let mut c = match self.cluster_check.take() {
            Some(c) if c.table_size == size && !self.rehashing => c,
            _ => Box::new(ClusterCheck { target, table_size: size, next: 0, next_free: 0, total: 0 }),
        };
        let end = (c.next + CLUSTER_CHECK_SLICE).min(size);
        (c.next_free, c.total) = self.simulate_shrink(c.target, c.next, end, c.next_free, c.total);
        c.next = end;
        if end < size {
            self.cluster_check = Some(c);
            return None;
        }
        // Inserts may have come while the slices were read: the shrink is to the bigger of the size the check was
        // made for and the one the table needs now (a bigger table clusters less than the verdict says).
        Some((c.target.max(target), self.clusters(c.target, c.total)))
    }

    /// Whether `total` simulated displacement for a shrink to `size` slots is far more than random hashes give.
    pub(super) fn clusters(&self, size: usize, total: u64) -> bool {
        let free = size.saturating_sub(self.t[0].used).max(1);
        total as f64 > self.t[0].used as f64 * allowed_displacement(size, free) + GUARD_SLACK as f64
    }

    /// The placement [`Dict::would_cluster`] simulates, over the control bytes `from..to` of the table: continues
    /// from `next_free` (the first slot after the last placed element; it may pass `size`: the wrap) and `total`
    /// (the displacement so far), and returns them.
    pub(super) fn simulate_shrink(
        &self,
        size: usize,
        from: usize,
        to: usize,
        mut next_free: usize,
        mut total: u64,
    ) -> (usize, u64) {
        let t = &self.t[0];
        let old = t.size();
        // The new home of old slot i is i * size / old: a 32.32 fixed-point multiply (a slot off by one here and
        // there is no matter for an estimate) instead of a 128-bit division per element, and whole zero words of
        // control bytes skipped 8 at a time (a pass over a 16M-slot table's 16 MiB of control bytes: about a millisecond
        // by estimate, not measured alone).
        let ratio = ((size as u128) << 32) / old as u128;
        let home_of = |i: usize| ((i as u128 * ratio) >> 32) as usize;
        let mut i = from;
        while i < to {
            if i + 8 <= to && t.ctrl[i..i + 8] == [0; 8] {
                i += 8;
                continue;
            }
            if t.ctrl[i] != 0 {
                let home = home_of(i);
                let at = home.max(next_free);
                total += (at - home) as u64;
                next_free = at + 1;
            }
            i += 1;
        }
        (next_free, total)
    }

    /// After removing elements from a collection's dict (a set's, a hash's, a sorted set's members): starts
    /// shrinking it when it is under 1/10 full, as Redis's `htNeedsResize` + `dictResize` after SREM, HDEL,
    /// ZREM and their kin; not while a forked child shares our pages ([`super::set_collections_resize_allowed`]).
    #[inline]
    pub fn shrink_if_sparse(&mut self) {
        if COLLECTIONS_RESIZE.with(std::cell::Cell::get) {
            self.resize_if_needed();
        }
    }
}
