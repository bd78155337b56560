//! t-digest, as RedisBloom 2.8's (its `t-digest-c` 0.4 dependency): the merging digest. Samples go to a buffer
//! after the merged centroids; when the two together reach `cap - 1` nodes (or before any query) they are sorted
//! by mean with t-digest-c's own quicksort (its order for equal means decides which centroids merge, so it is
//! followed step by step) and merged left to right under the `q (1 - q)` size bound scaled by
//! `compression / (2 pi W ln W)`. Quantiles, CDF, ranks and trimmed means interpolate between centroids exactly as
//! `tdigest.c` does, in the same floating-point operations, so the printed results match to the last digit.
//!
//! ```text
//!  TDigest { compression, cap = 6 * compression + 10, min, max,
//!            nodes: [(mean, weight); merged_nodes + unmerged_nodes]   merged first (sorted), then the buffer
//!            merged_weight, unmerged_weight, total_compressions }
//! ```
//!
//! Invariants: `nodes.len() == merged_nodes + unmerged_nodes <= cap`; the weights add up to `merged_weight +
//! unmerged_weight` for digests made by commands. A digest read from a file keeps RedisBloom's quirk of a
//! buffered node saved without its value (it comes back as a zero node). Tested below and against RedisBloom in
//! `tests/types/probabilistic.rs`.

use std::f64::consts::PI;

/// The default compression (`TD_DEFAULT_COMPRESSION`).
pub const DEFAULT_COMPRESSION: i64 = 100;

/// The encoding version RedisBloom 2.8 writes (`TDIGEST_ENC_VER`).
pub const ENC_VER: u64 = 0;

/// A sum or weight that leaves the doubles' range (`EDOM` in t-digest-c: `T-Digest: overflow detected`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

/// A t-digest (t-digest-c's `td_histogram_t`), the value of a `TDIS-TYPE` key.
#[derive(Clone, Debug, PartialEq)]
pub struct TDigest {
    pub compression: f64,
    pub min: f64,
    pub max: f64,
    /// The node capacity (`6 * compression + 10`).
    pub cap: usize,
    pub merged_nodes: usize,
    pub unmerged_nodes: usize,
    pub total_compressions: i64,
    pub merged_weight: i64,
    pub unmerged_weight: i64,
    /// `(mean, weight)`: the merged centroids, then the buffer. Allocated up to `cap - 1` at the first sample
    /// (`node_capacity`), and as much by a load, so MEMORY USAGE stays the same through DEBUG RELOAD and
    /// RESTORE.
    pub nodes: Vec<(f64, i64)>,
}

/// `cap_from_compression`, or `None` when the capacity is over what a value may allocate (16 bytes a node).
pub fn cap_from_compression(compression: f64) -> Option<usize> {
    // (size_t)compression: compression is positive here.
    let c = compression as u64;
    let cap = c.checked_mul(6)?.checked_add(10)?;
    (cap.checked_mul(16)? <= super::MAX_ALLOC_BYTES).then_some(cap as usize)
}

/// t-digest-c's `__td_max(x, y)`: `x > y ? x : y` (not [`f64::max`]: NaN goes the same way C's does).
#[inline]
fn cmax(x: f64, y: f64) -> f64 {
    if x > y {
        x
    } else {
        y
    }
}

/// `__td_min(x, y)`: `x < y ? x : y`.
#[inline]
fn cmin(x: f64, y: f64) -> f64 {
    if x < y {
        x
    } else {
        y
    }
}

fn weighted_average_sorted(x1: f64, w1: f64, x2: f64, w2: f64) -> f64 {
    let x = (x1 * w1 + x2 * w2) / (w1 + w2);
    cmax(x1, cmin(x, x2))
}

fn weighted_average(x1: f64, w1: f64, x2: f64, w2: f64) -> f64 {
    if x1 <= x2 {
        weighted_average_sorted(x1, w1, x2, w2)
    } else {
        weighted_average_sorted(x2, w2, x1, w1)
    }
}

/// `_tdigest_long_long_add_safe` (its test for a negative `b` included, as written).
fn add_safe(a: i64, b: i64) -> bool {
    if b < 0 {
        a as i128 >= i64::MAX as i128 - b as i128
    } else {
        a <= i64::MAX - b
    }
}

/// `_check_td_overflow`.
fn td_overflow(unmerged: f64, total: f64) -> bool {
    unmerged == f64::INFINITY || total == f64::INFINITY || 2.0 * PI * total * total.ln() == f64::INFINITY
}

/// t-digest-c's `partition` (Lomuto, central pivot moved to the end, `<` the pivot goes left).
fn partition(n: &mut [(f64, i64)], start: usize, end: usize, pivot: usize) -> usize {
    let pivot_mean = n[pivot].0;
    n.swap(pivot, end);
    let mut i = start as isize - 1;
    for j in start..end {
        if n[j].0 < pivot_mean {
            i += 1;
            n.swap(i as usize, j);
        }
    }
    let p = (i + 1) as usize;
    n.swap(p, end);
    p
}

/// `td_qsort(nodes, 0, len - 1)`, with an explicit stack instead of recursion (the ranges are disjoint, so the
/// order they are sorted in does not matter; the stack is bounded by the node count).
fn td_qsort(n: &mut [(f64, i64)]) {
    if n.len() < 2 {
        return;
    }
    let mut stack: Vec<(usize, usize)> = vec![(0, n.len() - 1)];
    while let Some((start, end)) = stack.pop() {
        if start >= end {
            continue;
        }
        if end - start == 1 {
            if n[start].0 > n[end].0 {
                n.swap(start, end);
            }
            continue;
        }
        let p = partition(n, start, end, (end + start) / 2);
        if p > start {
            stack.push((start, p - 1));
        }
        stack.push((p + 1, end));
    }
}

/// The nodes in `td_qsort`'s order, faster: where no two nodes with equal means differ, every sort by mean gives
/// the same sequence, so the library's sort does it; the C quicksort's own order is only needed (and then
/// followed) when equal means carry different weights or signs of zero.
fn sort_nodes(n: &mut [(f64, i64)]) {
    let mut sorted = n.to_vec();
    sorted.sort_unstable_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let ties =
        sorted.windows(2).any(|w| w[0].0 == w[1].0 && (w[0].1 != w[1].1 || w[0].0.to_bits() != w[1].0.to_bits()));
    if ties {
        td_qsort(n);
    } else {
        n.copy_from_slice(&sorted);
    }
}

impl TDigest {
    /// `td_init`: `None` when the capacity is too large to allocate.
    pub fn new(compression: i64) -> Option<TDigest> {
        let compression = compression as f64;
        let cap = cap_from_compression(compression)?;
        Some(TDigest {
            compression,
            min: f64::MAX,
            max: -f64::MAX,
            cap,
            merged_nodes: 0,
            unmerged_nodes: 0,
            total_compressions: 0,
            merged_weight: 0,
            unmerged_weight: 0,
            nodes: Vec::new(),
        })
    }

    /// `td_reset`.
    pub fn reset(&mut self) {
        self.min = f64::MAX;
        self.max = -f64::MAX;
        self.merged_nodes = 0;
        self.merged_weight = 0;
        self.unmerged_nodes = 0;
        self.unmerged_weight = 0;
        self.total_compressions = 0;
        self.nodes.clear();
    }

    /// The nodes a digest holding `held` nodes reserves: none while it is empty, else the `cap - 1` a digest made
    /// of samples holds at most (or `held`, when a merge filled all `cap`).
    fn node_capacity(&self, held: usize) -> usize {
        self.cap.saturating_sub(1).max(1).max(held)
    }

    /// `td_size`: the observations.
    pub fn size(&self) -> i64 {
        self.merged_weight.wrapping_add(self.unmerged_weight)
    }

    /// `td_add(mean, weight)`.
    pub fn add(&mut self, mean: f64, weight: i64) -> Result<(), Overflow> {
        if self.merged_nodes + self.unmerged_nodes >= self.cap.saturating_sub(1) {
            self.compress()?;
        }
        let pos = self.merged_nodes + self.unmerged_nodes;
        if pos >= self.cap {
            return Err(Overflow);
        }
        if !add_safe(self.unmerged_weight, weight) {
            return Err(Overflow);
        }
        let new_unmerged = self.unmerged_weight + weight;
        if !add_safe(new_unmerged, self.merged_weight) {
            return Err(Overflow);
        }
        // t-digest-c's `_check_td_overflow(new_unmerged, new_total)` here can never fire: a 64-bit count is a
        // finite double, and so is `2 pi W ln W` for any such W (it stays under 1e21).
        if self.nodes.len() == self.nodes.capacity() {
            // The whole buffer at once (a node count of `cap` itself is rare: one more node then).
            let want = if self.nodes.is_empty() { self.node_capacity(0) } else { 1 };
            self.nodes.try_reserve_exact(want).map_err(|_| Overflow)?;
        }
        if mean < self.min {
            self.min = mean;
        }
        if mean > self.max {
            self.max = mean;
        }
        self.nodes.truncate(pos);
        while self.nodes.len() < pos {
            self.nodes.push((0.0, 0));
        }
        self.nodes.push((mean, weight));
        self.unmerged_nodes += 1;
        self.unmerged_weight = new_unmerged;
        Ok(())
    }

    /// `td_compress`: sorts the nodes and merges the buffer into the centroids.
    pub fn compress(&mut self) -> Result<(), Overflow> {
        if self.unmerged_nodes == 0 {
            return Ok(());
        }
        let n = (self.merged_nodes + self.unmerged_nodes).min(self.nodes.len());
        let nodes = &mut self.nodes[..n];
        sort_nodes(nodes);
        let total_weight = self.merged_weight as f64 + self.unmerged_weight as f64;
        if td_overflow(self.unmerged_weight as f64, total_weight) {
            return Err(Overflow);
        }
        if total_weight <= 1.0 {
            return Ok(());
        }
        let denom = 2.0 * PI * total_weight * total_weight.ln();
        if denom == f64::INFINITY {
            return Err(Overflow);
        }
        let normalizer = self.compression / denom;
        if normalizer == f64::INFINITY {
            return Err(Overflow);
        }
        let mut cur = 0usize;
        let mut weight_so_far = 0.0f64;
        for i in 1..n {
            let proposed = nodes[cur].1 as f64 + nodes[i].1 as f64;
            let z = proposed * normalizer;
            let q0 = weight_so_far / total_weight;
            let q2 = (weight_so_far + proposed) / total_weight;
            if z <= q0 * (1.0 - q0) && z <= q2 * (1.0 - q2) {
                nodes[cur].1 = nodes[cur].1.wrapping_add(nodes[i].1);
                let delta = nodes[i].0 - nodes[cur].0;
                let weighted_delta = (delta * nodes[i].1 as f64) / nodes[cur].1 as f64;
                nodes[cur].0 += weighted_delta;
            } else {
                weight_so_far += nodes[cur].1 as f64;
                cur += 1;
                nodes[cur] = nodes[i];
            }
            if cur != i {
                nodes[i] = (0.0, 0);
            }
        }
        self.nodes.truncate(cur + 1);
        self.merged_nodes = cur + 1;
        // (long long)total_weight: saturating where C's conversion is undefined.
        self.merged_weight = total_weight as i64;
        self.unmerged_nodes = 0;
        self.unmerged_weight = 0;
        self.total_compressions = self.total_compressions.wrapping_add(1);
        Ok(())
    }

    /// `td_merge(self, from)` after both were compressed: adds `from`'s nodes.
    pub fn merge_from(&mut self, from: &TDigest) -> Result<(), Overflow> {
        self.compress()?;
        let pos = (from.merged_nodes + from.unmerged_nodes).min(from.nodes.len());
        for &(mean, weight) in &from.nodes[..pos] {
            self.add(mean, weight)?;
        }
        Ok(())
    }

    /// The node at `i` (zero past the stored ones, as the C arrays' calloc'd tail).
    #[inline]
    fn node(&self, i: usize) -> (f64, i64) {
        self.nodes.get(i).copied().unwrap_or((0.0, 0))
    }

    /// `td_cdf` (the digest compressed first, by the caller).
    pub fn cdf(&self, val: f64) -> f64 {
        if self.merged_nodes == 0 {
            return f64::NAN;
        }
        if val < self.min {
            return 0.0;
        }
        if val > self.max {
            return 1.0;
        }
        if self.merged_nodes == 1 {
            let width = self.max - self.min;
            return if val - self.min <= width { 0.5 } else { (val - self.min) / width };
        }
        let n = self.merged_nodes;
        let (left_mean, left_weight) = self.node(0);
        let left_weight = left_weight as f64;
        let mw = self.merged_weight as f64;
        if val < left_mean {
            let width = left_mean - self.min;
            if width > 0.0 {
                if val == self.min {
                    return 0.5 / mw;
                }
                return (1.0 + (val - self.min) / width * (left_weight / 2.0 - 1.0)) / mw;
            }
            return 0.0;
        }
        let (right_mean, right_weight) = self.node(n - 1);
        let right_weight = right_weight as f64;
        if val > right_mean {
            let width = self.max - right_mean;
            if width > 0.0 {
                if val == self.max {
                    return 1.0 - 0.5 / mw;
                }
                let dq = (1.0 + (self.max - val) / width * (right_weight / 2.0 - 1.0)) / mw;
                return 1.0 - dq;
            }
            return 1.0;
        }
        let mut weight_so_far = 0.0f64;
        let mut it = 0usize;
        while it + 1 < n {
            let (mean, weight) = self.node(it);
            if mean == val {
                let mut dw = 0.0f64;
                while it < n && self.node(it).0 == val {
                    dw += self.node(it).1 as f64;
                    it += 1;
                }
                return (weight_so_far + dw / 2.0) / self.merged_weight as f64;
            }
            let (mean_next, weight_next) = self.node(it + 1);
            if mean <= val && val < mean_next {
                let w = weight as f64;
                let w_next = weight_next as f64;
                if mean_next - mean > 0.0 {
                    let mut left_excluded = 0.0;
                    let mut right_excluded = 0.0;
                    if w == 1.0 {
                        if w_next == 1.0 {
                            return (weight_so_far + 1.0) / mw;
                        }
                        left_excluded = 0.5;
                    } else if w_next == 1.0 {
                        right_excluded = 0.5;
                    }
                    let dw = (w + w_next) / 2.0;
                    let dw_no_singleton = dw - left_excluded - right_excluded;
                    let base = weight_so_far + w / 2.0 + left_excluded;
                    return (base + dw_no_singleton * (val - mean) / (mean_next - mean)) / mw;
                }
                let dw = (w + w_next) / 2.0;
                return (weight_so_far + dw) / mw;
            }
            weight_so_far += weight as f64;
            it += 1;
        }
        1.0 - 0.5 / mw
    }

    /// `td_internal_iterate_centroids_to_index`.
    fn value_at_index(
        &self,
        index: f64,
        left_weight: f64,
        total: usize,
        weight_so_far: &mut f64,
        pos: &mut usize,
    ) -> f64 {
        if left_weight > 1.0 && index < left_weight / 2.0 {
            return self.min + (index - 1.0) / (left_weight / 2.0 - 1.0) * (self.node(0).0 - self.min);
        }
        if index > self.merged_weight.wrapping_sub(1) as f64 {
            return self.max;
        }
        let (right_mean, right_weight) = self.node(total - 1);
        let right_weight = right_weight as f64;
        let mw = self.merged_weight as f64;
        if right_weight > 1.0 && mw - index <= right_weight / 2.0 {
            return self.max - (mw - index - 1.0) / (right_weight / 2.0 - 1.0) * (self.max - right_mean);
        }
        while *pos + 1 < total {
            let i = *pos;
            let (mean, w) = self.node(i);
            let (mean_next, w_next) = self.node(i + 1);
            let (w, w_next) = (w as f64, w_next as f64);
            let dw = (w + w_next) / 2.0;
            if *weight_so_far + dw > index {
                let mut left_unit = 0.0;
                if w == 1.0 {
                    if index - *weight_so_far < 0.5 {
                        return mean;
                    }
                    left_unit = 0.5;
                }
                let mut right_unit = 0.0;
                if w_next == 1.0 {
                    if *weight_so_far + dw - index <= 0.5 {
                        return mean_next;
                    }
                    right_unit = 0.5;
                }
                let z1 = index - *weight_so_far - left_unit;
                let z2 = *weight_so_far + dw - index - right_unit;
                return weighted_average(mean, z2, mean_next, z1);
            }
            *weight_so_far += dw;
            *pos += 1;
        }
        let z1 = index - mw - right_weight / 2.0;
        let z2 = right_weight / 2.0 - z1;
        weighted_average(right_mean, z1, self.max, z2)
    }

    /// `td_quantile` (compressed first, by the caller).
    pub fn quantile(&self, q: f64) -> f64 {
        if !(0.0..=1.0).contains(&q) || self.merged_nodes == 0 {
            return f64::NAN;
        }
        if self.merged_nodes == 1 {
            return self.node(0).0;
        }
        let index = q * self.merged_weight as f64;
        if index < 1.0 {
            return self.min;
        }
        let left = self.node(0).1 as f64;
        let mut so_far = left / 2.0;
        let mut pos = 0;
        self.value_at_index(index, left, self.merged_nodes, &mut so_far, &mut pos)
    }

    /// `td_quantiles` over a non-decreasing run of quantiles (compressed first, by the caller): one walk over the
    /// centroids for the run, as TDIGEST.QUANTILE groups them.
    pub fn quantiles(&self, qs: &[f64], out: &mut Vec<f64>) {
        let n = self.merged_nodes;
        if n == 0 {
            out.extend(qs.iter().map(|_| f64::NAN));
            return;
        }
        if n == 1 {
            let m = self.node(0).0;
            out.extend(qs.iter().map(|&q| if (0.0..=1.0).contains(&q) { m } else { f64::NAN }));
            return;
        }
        let left = self.node(0).1 as f64;
        let mut so_far = left / 2.0;
        let mut pos = 0;
        for &q in qs {
            let index = q * self.merged_weight as f64;
            out.push(self.value_at_index(index, left, n, &mut so_far, &mut pos));
        }
    }

    /// `td_trimmed_mean(low, high)` (compressed first, by the caller).
    pub fn trimmed_mean(&self, low: f64, high: f64) -> f64 {
        if self.merged_nodes == 0 || !(0.0..=1.0).contains(&low) || !(0.0..=1.0).contains(&high) {
            return f64::NAN;
        }
        if self.merged_nodes == 1 {
            return self.node(0).0;
        }
        let leftmost = (self.merged_weight as f64 * low).floor();
        let rightmost = (self.merged_weight as f64 * high).ceil();
        let mut count_done = 0.0f64;
        let mut sum = 0.0f64;
        let mut count = 0.0f64;
        for i in 0..self.merged_nodes {
            let (mean, w) = self.node(i);
            let w = w as f64;
            let mut add = w;
            add -= cmin(cmax(0.0, leftmost - count_done), add);
            add = cmin(cmax(0.0, rightmost - count_done), add);
            count_done += w;
            sum += mean * add;
            count += add;
            if count_done >= rightmost {
                break;
            }
        }
        sum / count
    }

    /// RedisBloom's `TDigestMemUsage` (TDIGEST.INFO's "Memory usage"): a pointer and two arrays of `cap` 8-byte
    /// slots.
    pub fn info_mem_usage(&self) -> usize {
        8usize.saturating_add(self.cap.saturating_mul(16))
    }

    /// The bytes the nodes take (MEMORY USAGE): reserved at the first sample for the `cap - 1` nodes a digest
    /// made of samples holds at most, so never more than RedisBloom's figure.
    pub fn mem_usage(&self) -> usize {
        self.nodes.capacity().saturating_mul(16)
    }
}

/// The RDB record (`TDigestRdbSave` / `TDigestRdbLoad`).
impl TDigest {
    /// `TDigestRdbSave` of the digest as RedisBloom saves it: compressed first (the caller compresses the value
    /// itself where RedisBloom would; a copy is compressed here otherwise).
    pub fn save(&self, out: &mut dyn super::ModuleOut) {
        if self.unmerged_nodes > 0 {
            let mut c = self.clone();
            if c.compress().is_ok() {
                return c.save_compressed(out);
            }
        }
        self.save_compressed(out)
    }

    fn save_compressed(&self, out: &mut dyn super::ModuleOut) {
        out.double(self.compression);
        out.double(self.min);
        out.double(self.max);
        out.unsigned(self.cap as u64);
        out.unsigned(self.merged_nodes as u64);
        out.unsigned(self.unmerged_nodes as u64);
        out.unsigned(self.total_compressions as u64);
        out.double(self.merged_weight as f64);
        out.double(self.unmerged_weight as f64);
        for i in 0..self.merged_nodes {
            out.double(self.node(i).0);
        }
        for i in 0..self.merged_nodes {
            out.double(self.node(i).1 as f64);
        }
    }

    /// `TDigestRdbLoad`, refusing a record RedisBloom could not have written: a capacity that is not the
    /// compression's, node counts over it, weights that are not counts, NaN means.
    pub fn load(input: &mut dyn super::ModuleIn, encver: u64) -> Option<TDigest> {
        if encver > ENC_VER {
            return None;
        }
        let compression = input.double()?;
        if !(compression >= 1.0 && compression <= i64::MAX as f64) {
            return None;
        }
        let cap = cap_from_compression(compression)?;
        let mut t = TDigest::new(compression as i64)?;
        t.compression = compression;
        t.min = input.double()?;
        t.max = input.double()?;
        if input.unsigned()? != cap as u64 {
            return None;
        }
        let merged = usize::try_from(input.unsigned()?).ok()?;
        let unmerged = usize::try_from(input.unsigned()?).ok()?;
        if merged > cap || unmerged > cap - merged {
            return None;
        }
        t.merged_nodes = merged;
        t.unmerged_nodes = unmerged;
        t.total_compressions = input.unsigned()? as i64;
        let count = |d: f64| (d >= 0.0 && d < i64::MAX as f64 && d.fract() == 0.0).then_some(d as i64);
        t.merged_weight = count(input.double()?)?;
        t.unmerged_weight = count(input.double()?)?;
        t.merged_weight.checked_add(t.unmerged_weight)?;
        let mut nodes = Vec::new();
        // The capacity the saved digest had after its first sample: MEMORY USAGE is the same after the load.
        if merged + unmerged > 0 {
            nodes.try_reserve_exact(t.node_capacity(merged + unmerged)).ok()?;
        }
        for _ in 0..merged {
            let m = input.double()?;
            if m.is_nan() {
                return None;
            }
            nodes.push((m, 0));
        }
        let mut sum: i64 = 0;
        for node in nodes.iter_mut() {
            node.1 = count(input.double()?)?;
            sum = sum.checked_add(node.1)?;
        }
        // The buffered nodes' values are not saved: RedisBloom reads them as its zeroed arrays hold them.
        nodes.resize(merged + unmerged, (0.0, 0));
        t.nodes = nodes;
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_matches_the_c_quicksort_on_ties() {
        let mut n: Vec<(f64, i64)> = vec![(3.0, 1), (1.0, 2), (3.0, 3), (2.0, 4), (1.0, 5), (3.0, 6)];
        td_qsort(&mut n);
        let means: Vec<f64> = n.iter().map(|x| x.0).collect();
        assert_eq!(means, vec![1.0, 1.0, 2.0, 3.0, 3.0, 3.0]);
        let mut m: Vec<(f64, i64)> = (0..1000).map(|i| (((i * 7919) % 1000) as f64, i)).collect();
        td_qsort(&mut m);
        assert!(m.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn fast_sort_gives_the_c_order() {
        let mut rng = crate::util::Rng::new(0x1234_5678_9abc_def0u64);
        let mut next = move || rng.next_u64();
        for round in 0..200 {
            let len = 1 + (next() % 700) as usize;
            let spread = if round % 2 == 0 { 5 } else { 1_000_000 };
            let mut a: Vec<(f64, i64)> =
                (0..len).map(|_| ((next() % spread) as f64 * 0.5, 1 + (next() % 3) as i64)).collect();
            if round % 3 == 0 {
                a[0].0 = -0.0;
            }
            let mut b = a.clone();
            td_qsort(&mut a);
            sort_nodes(&mut b);
            assert!(a.iter().zip(&b).all(|(x, y)| x.0.to_bits() == y.0.to_bits() && x.1 == y.1), "round {round}");
        }
    }

    #[test]
    fn uniform_quantiles_and_cdf() {
        let mut t = TDigest::new(100).unwrap();
        assert_eq!(t.cap, 610);
        for i in 0..10_000 {
            t.add(i as f64, 1).unwrap();
        }
        t.compress().unwrap();
        assert!(t.merged_nodes <= t.cap);
        assert_eq!(t.size(), 10_000);
        let q = t.quantile(0.5);
        assert!((q - 5000.0).abs() < 50.0, "{q}");
        let c = t.cdf(2500.0);
        assert!((c - 0.25).abs() < 0.01, "{c}");
        assert_eq!(t.quantile(0.0), 0.0);
        assert_eq!(t.quantile(1.0), 9999.0);
        let m = t.trimmed_mean(0.1, 0.9);
        assert!((m - 4999.5).abs() < 10.0, "{m}");
    }

    #[test]
    fn records_round_trip_and_refuse_damage() {
        struct Out(Vec<Item>);
        #[derive(Clone)]
        enum Item {
            U(u64),
            D(f64),
        }
        impl super::super::ModuleOut for Out {
            fn unsigned(&mut self, v: u64) {
                self.0.push(Item::U(v));
            }
            fn double(&mut self, v: f64) {
                self.0.push(Item::D(v));
            }
            fn string(&mut self, _: &[u8]) {}
        }
        struct In(std::vec::IntoIter<Item>);
        impl super::super::ModuleIn for In {
            fn unsigned(&mut self) -> Option<u64> {
                match self.0.next()? {
                    Item::U(v) => Some(v),
                    Item::D(_) => None,
                }
            }
            fn double(&mut self) -> Option<f64> {
                match self.0.next()? {
                    Item::D(v) => Some(v),
                    Item::U(_) => None,
                }
            }
            fn string(&mut self) -> Option<Vec<u8>> {
                None
            }
        }
        let mut t = TDigest::new(50).unwrap();
        for i in 0..1000 {
            t.add((i % 97) as f64 * 1.5, 1).unwrap();
        }
        let mut out = Out(Vec::new());
        t.save(&mut out);
        t.compress().unwrap();
        let back = TDigest::load(&mut In(out.0.clone().into_iter()), 0).unwrap();
        assert_eq!(back.nodes, t.nodes);
        assert_eq!(back.quantile(0.3), t.quantile(0.3));
        // The same node buffer as the first sample reserved (MEMORY USAGE survives DEBUG RELOAD), none when empty.
        assert_eq!(back.mem_usage(), t.mem_usage());
        let mut empty_out = Out(Vec::new());
        TDigest::new(50).unwrap().save(&mut empty_out);
        assert_eq!(TDigest::load(&mut In(empty_out.0.into_iter()), 0).unwrap().mem_usage(), 0);
        // Damaged: a capacity that is not the compression's, node counts over it, a negative weight, a cut.
        for (at, item) in [(3usize, Item::U(9)), (4, Item::U(10_000)), (8, Item::D(-1.0)), (0, Item::D(f64::NAN))] {
            let mut bad = out.0.clone();
            bad[at] = item;
            assert!(TDigest::load(&mut In(bad.into_iter()), 0).is_none(), "item {at}");
        }
        let cut = out.0[..out.0.len() - 1].to_vec();
        assert!(TDigest::load(&mut In(cut.into_iter()), 0).is_none());
        assert!(TDigest::load(&mut In(out.0.clone().into_iter()), 1).is_none());
    }
}
