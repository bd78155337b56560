//! Top-K (HeavyKeeper), as RedisBloom 2.8's (`topk.c`): `depth` rows of `width` buckets, each a fingerprint and
//! a 32-bit count, plus a min-heap of the `k` heaviest items seen. Adding an item raises its bucket in each row
//! when the bucket is empty or holds its fingerprint; a bucket holding another fingerprint decays, one step per
//! unit of increment, with probability `decay^count` (from a table of `decay^i` for counts below 256), and is
//! taken over when it reaches zero. The item's largest bucket count then enters the heap when it reaches the
//! heap's minimum, expelling the minimum (which the reply names).
//!
//! ```text
//!  TopK { k, width, depth, decay, data: [Bucket { fp, count }; width * depth], heap: [HeapBucket; k] }
//!  fingerprint = MurmurHash2(item, 1919); row i's bucket = MurmurHash2(item, i) % width
//! ```
//!
//! The decay draws come from a generator of the value's own (RedisBloom draws from libc's `rand()`, seeded by
//! Redis at start from the time and pid, so no two servers agree on them): where no bucket is shared, every
//! answer is RedisBloom's; where buckets collide, the answers follow the same law. Tested by the unit tests below
//! and against RedisBloom in `tests/types/probabilistic.rs` (workloads without collisions).

use super::bloom::murmur2;
use super::FastMod;
use crate::alloc::slab;

/// Rows whose buckets [`TopK::add`] locates (and starts loading) before it updates any: RedisBloom's default
/// depth is 7; deeper sketches find the rest as they go.
const AHEAD_ROWS: usize = 16;

/// The fingerprint seed (`GA`).
const GA: u32 = 1919;
/// Entries of the decay table (`TOPK_DECAY_LOOKUP_TABLE`).
const DECAY_TABLE: usize = 256;
/// RedisBloom's RDB encoding version of `TopK-TYPE`.
pub const ENC_VER: u64 = 0;
/// Sizes of RedisBloom's [`Bucket`] and [`HeapBucket`] structs as its files lay them out.
const BUCKET_BYTES: usize = 8;
const HEAP_BUCKET_BYTES: usize = 24;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bucket {
    pub fp: u32,
    pub count: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeapBucket {
    pub fp: u32,
    /// The item's bytes; `None` for a slot never filled.
    pub item: Option<Box<[u8]>>,
    pub count: u32,
}

/// A Top-K sketch (RedisBloom's [`TopK`]), the value of a `TopK-TYPE` key.
#[derive(Clone, Debug, PartialEq)]
pub struct TopK {
    pub k: u32,
    pub width: u32,
    pub depth: u32,
    pub decay: f64,
    pub data: Vec<Bucket>,
    pub heap: Vec<HeapBucket>,
    /// [`FastMod`] by `width`, made once.
    modw: FastMod,
    /// `decay^i` for the small counts most decays meet (a table of 256 as RedisBloom's would be 2 KB a Top-K).
    small: [f64; SMALL_POWERS],
    rng: u64,
}

/// Entries of [`TopK::small`].
const SMALL_POWERS: usize = 16;

fn small_powers(decay: f64) -> [f64; SMALL_POWERS] {
    std::array::from_fn(|i| decay.powi(i as i32))
}

/// The decay draws' generator state of a new or loaded Top-K.
const RNG_SEED: u64 = 0x853c49e6748fea9b;

impl TopK {
    /// `TopK_Create`; `None` when the buckets or the heap would pass the value size limit or memory is short.
    pub fn new(k: u32, width: u32, depth: u32, decay: f64) -> Option<TopK> {
        let cells = (width as u64).checked_mul(depth as u64)?;
        if cells.checked_mul(BUCKET_BYTES as u64)? > super::MAX_ALLOC_BYTES
            || (k as u64) * HEAP_BUCKET_BYTES as u64 > super::MAX_ALLOC_BYTES
        {
            return None;
        }
        let mut data = Vec::new();
        data.try_reserve_exact(cells as usize).ok()?;
        data.resize(cells as usize, Bucket::default());
        let mut heap = Vec::new();
        heap.try_reserve_exact(k as usize).ok()?;
        heap.resize(k as usize, HeapBucket::default());
        let (modw, small) = (FastMod::new(width as u64), small_powers(decay));
        Some(TopK { k, width, depth, decay, data, heap, modw, small, rng: RNG_SEED })
    }

    /// A uniform draw in [0, 1] (RedisBloom's `rand() / (double)RAND_MAX`).
    fn chance(&mut self) -> f64 {
        // xorshift64*, 31 bits as libc's rand() gives.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = (self.rng.wrapping_mul(0x2545F4914F6CDD1D) >> 33) as u32;
        r as f64 / i32::MAX as f64
    }

    /// `decay^count`, as RedisBloom's table of `decay^i` (`i < 256`) and its products for larger counts give it.
    /// The small powers are kept ([`TopK::small`]), the rest computed where needed (2 KB a Top-K saves).
    fn decay_of(&self, count: u32) -> f64 {
        let c = count as usize;
        let d = self.decay;
        if let Some(&p) = self.small.get(c) {
            p
        } else if c < DECAY_TABLE {
            d.powi(c as i32)
        } else {
            let last = DECAY_TABLE - 1;
            d.powi(last as i32).powf((c / last) as f64) * d.powi((c % last) as i32)
        }
    }

    fn in_heap(&self, item: &[u8], fp: u32) -> Option<usize> {
        (0..self.heap.len()).rev().find(|&i| self.heap[i].fp == fp && self.heap[i].item.as_deref() == Some(item))
    }

    /// `heapifyDown`.
    fn heapify_down(&mut self, start: usize) {
        let len = self.heap.len();
        let a = &mut self.heap;
        let mut start = start;
        if len < 2 || (len - 2) / 2 < start {
            return;
        }
        let mut child = 2 * start + 1;
        if child + 1 < len && a[child].count > a[child + 1].count {
            child += 1;
        }
        if a[child].count > a[start].count {
            return;
        }
        let top = std::mem::take(&mut a[start]);
        loop {
            a[start] = std::mem::take(&mut a[child]);
            start = child;
            if (len - 2) / 2 < child {
                break;
            }
            child = 2 * child + 1;
            if child + 1 < len && a[child].count > a[child + 1].count {
                child += 1;
            }
            if a[child].count >= top.count {
                break;
            }
        }
        a[start] = top;
    }

    /// `TopK_Add`: the item expelled from the heap, if one was.
    pub fn add(&mut self, item: &[u8], increment: u32) -> Option<Box<[u8]>> {
        let fp = murmur2(item, GA);
        let heap_min = self.heap.first().map_or(0, |h| h.count);
        let mut max_count = 0u32;
        // The rows' buckets are found first and their loads started together: the loop below branches on each
        // bucket's contents, and a branch waiting on a cache miss kept the next row's load from starting early.
        let mut ats = [0usize; AHEAD_ROWS];
        for (row, at) in ats.iter_mut().enumerate().take(self.depth as usize) {
            *at = self.bucket_at(item, row as u32);
            slab::prefetch(self.data.as_ptr().wrapping_add(*at));
        }
        for row in 0..self.depth {
            let at = match ats.get(row as usize) {
                Some(&at) => at,
                None => self.bucket_at(item, row),
            };
            let Some(mut b) = self.data.get(at).copied() else { continue };
            if b.count == 0 {
                b.fp = fp;
                b.count = increment;
                max_count = max_count.max(b.count);
            } else if b.fp == fp {
                b.count = b.count.wrapping_add(increment);
                max_count = max_count.max(b.count);
            } else {
                let mut local = increment;
                while local > 0 {
                    let decay = self.decay_of(b.count);
                    if self.chance() < decay {
                        b.count -= 1;
                        if b.count == 0 {
                            b.fp = fp;
                            b.count = local;
                            max_count = max_count.max(b.count);
                            break;
                        }
                    }
                    local -= 1;
                }
            }
            self.data[at] = b;
        }
        if max_count >= heap_min && !self.heap.is_empty() {
            if let Some(i) = self.in_heap(item, fp) {
                self.heap[i].count = max_count;
                self.heapify_down(i);
            } else {
                let expelled = self.heap[0].item.take();
                self.heap[0] = HeapBucket { fp, item: Some(item.into()), count: max_count };
                self.heapify_down(0);
                return expelled;
            }
        }
        None
    }

    /// The index in `data` of the item's bucket in `row`.
    #[inline]
    fn bucket_at(&self, item: &[u8], row: u32) -> usize {
        let loc = self.modw.of(murmur2(item, row));
        row as usize * self.width as usize + loc as usize
    }

    /// `TopK_Query`.
    pub fn query(&self, item: &[u8]) -> bool {
        self.in_heap(item, murmur2(item, GA)).is_some()
    }

    /// `TopK_Count`.
    pub fn count(&self, item: &[u8]) -> u32 {
        let fp = murmur2(item, GA);
        let heap_min = self.heap.first().map_or(0, |h| h.count);
        let in_heap = self.in_heap(item, fp).is_some();
        let mut res = 0;
        for row in 0..self.depth {
            let loc = self.modw.of(murmur2(item, row));
            let at = row as usize * self.width as usize + loc as usize;
            if let Some(b) = self.data.get(at) {
                if b.fp == fp && (!in_heap || b.count >= heap_min) {
                    res = res.max(b.count);
                }
            }
        }
        res
    }

    /// `TopK_List`: the heap by count, greatest first (a stable sort, as glibc's `qsort` merge sort).
    pub fn list(&self) -> Vec<&HeapBucket> {
        let mut v: Vec<&HeapBucket> = self.heap.iter().collect();
        v.sort_by_key(|h| std::cmp::Reverse(h.count));
        v
    }

    /// MEMORY USAGE's figure, counted as RedisBloom's `TopKMemUsage` counts its own (the struct, the buckets and
    /// the heap's slots, not the heap's item strings) at this layout's sizes: without RedisBloom's 2 KB decay
    /// table, so at most its figure for the same parameters.
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<TopK>()
            + self.data.len() * std::mem::size_of::<Bucket>()
            + self.heap.len() * std::mem::size_of::<HeapBucket>()
    }

    /// `TopKRdbSave`: the buckets and the heap as RedisBloom's structs lay them out (the heap's item pointers
    /// written as zero), then each heap item NUL-terminated.
    pub fn save(&self, out: &mut dyn super::ModuleOut) {
        out.unsigned(self.k as u64);
        out.unsigned(self.width as u64);
        out.unsigned(self.depth as u64);
        out.double(self.decay);
        let mut data = Vec::with_capacity(self.data.len() * BUCKET_BYTES);
        for b in &self.data {
            data.extend_from_slice(&b.fp.to_le_bytes());
            data.extend_from_slice(&b.count.to_le_bytes());
        }
        out.string(&data);
        let mut heap = Vec::with_capacity(self.heap.len() * HEAP_BUCKET_BYTES);
        for h in &self.heap {
            heap.extend_from_slice(&h.fp.to_le_bytes());
            heap.extend_from_slice(&(h.item.as_ref().map_or(0, |i| i.len()) as u32).to_le_bytes());
            heap.extend_from_slice(&0u64.to_le_bytes());
            heap.extend_from_slice(&h.count.to_le_bytes());
            heap.extend_from_slice(&0u32.to_le_bytes());
        }
        out.string(&heap);
        for h in &self.heap {
            let mut s = h.item.as_deref().unwrap_or_default().to_vec();
            s.push(0);
            out.string(&s);
        }
    }

    /// `TopKRdbLoad`, refusing sizes that disagree (RedisBloom asserts them).
    pub fn load(input: &mut dyn super::ModuleIn, encver: u64) -> Option<TopK> {
        if encver > ENC_VER {
            return None;
        }
        let k = u32::try_from(input.unsigned()?).ok()?;
        let width = u32::try_from(input.unsigned()?).ok()?;
        let depth = u32::try_from(input.unsigned()?).ok()?;
        let decay = input.double()?;
        if k == 0 || width == 0 || depth == 0 || !(decay > 0.0 && decay <= 1.0) {
            return None;
        }
        let data = input.string()?;
        if data.len() as u64 != width as u64 * depth as u64 * BUCKET_BYTES as u64 {
            return None;
        }
        let heap = input.string()?;
        if heap.len() as u64 != k as u64 * HEAP_BUCKET_BYTES as u64 {
            return None;
        }
        let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let data = data.chunks_exact(BUCKET_BYTES).map(|c| Bucket { fp: u32_at(c, 0), count: u32_at(c, 4) }).collect();
        let mut hv = Vec::with_capacity(k as usize);
        for c in heap.chunks_exact(HEAP_BUCKET_BYTES) {
            let mut item = input.string()?;
            let filled = item.len() > 1;
            if item.last() == Some(&0) {
                item.pop();
            }
            hv.push(HeapBucket { fp: u32_at(c, 0), item: filled.then(|| item.into()), count: u32_at(c, 16) });
        }
        let (modw, small) = (FastMod::new(width as u64), small_powers(decay));
        Some(TopK { k, width, depth, decay, data, heap: hv, modw, small, rng: RNG_SEED })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MEMORY USAGE stays at most RedisBloom's `TopKMemUsage` (its struct with the 2 KB decay table, 8-byte buckets,
    /// 24-byte heap slots) for the same parameters.
    #[test]
    fn memory_is_at_most_redisblooms() {
        for (k, w, d) in [(1, 1, 1), (50, 2000, 7), (1000, 8, 3), (10, 100_000, 5)] {
            let t = TopK::new(k, w, d, 0.9).unwrap();
            let redisbloom = (4 * 3 + 4 + 8 + 8 + 8 + 256 * 8) + (w * d) as usize * 8 + k as usize * 24;
            assert!(t.mem_usage() + 64 <= redisbloom, "{k} {w} {d}: {} vs {redisbloom}", t.mem_usage());
        }
    }

    #[test]
    fn heavy_hitters_rise_to_the_top() {
        let mut t = TopK::new(3, 64, 4, 0.9).unwrap();
        for i in 0..2000u32 {
            let item = if i % 3 == 0 { format!("hot{}", i % 4) } else { format!("cold{i}") };
            t.add(item.as_bytes(), 1);
        }
        let top: Vec<&[u8]> = t.list().iter().filter_map(|h| h.item.as_deref()).collect();
        assert_eq!(top.len(), 3);
        assert!(top.iter().all(|i| i.starts_with(b"hot")), "{top:?}");
        assert!(t.query(b"hot0") || t.query(b"hot1"));
        assert!(t.count(top[0]) > 100);
    }

    #[test]
    fn heap_keeps_its_order() {
        let mut t = TopK::new(5, 1000, 5, 0.9).unwrap();
        for (i, n) in [5u32, 1, 9, 3, 7, 2, 8].iter().enumerate() {
            t.add(format!("i{i}").as_bytes(), *n);
        }
        for i in 0..t.heap.len() {
            for c in [2 * i + 1, 2 * i + 2] {
                if c < t.heap.len() {
                    assert!(t.heap[i].count <= t.heap[c].count);
                }
            }
        }
        let counts: Vec<u32> = t.list().iter().map(|h| h.count).collect();
        assert_eq!(counts, [9, 8, 7, 5, 3]);
    }
}
