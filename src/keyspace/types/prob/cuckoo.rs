//! Cuckoo filter, slot for slot RedisBloom 2.8's (`cuckoo.c`, `cf.c`): a chain of sub-filters, each an array of
//! buckets of `bucket_size` one-byte fingerprints (0 is an empty slot). An item's 64-bit hash `h`
//! (`MurmurHash64A`, seed 0) gives its fingerprint `fp = h % 255 + 1` and two candidate buckets, `h` and
//! `h ^ (fp * 0x5bd1e995)`, each taken modulo the sub-filter's bucket count. An insert takes the first free
//! slot of the two buckets, newest sub-filter first; else it kicks fingerprints around the newest sub-filter
//! (at most `max_iterations` times, RedisBloom's victim order, rolled back on failure); else, unless the
//! expansion is 0, it appends a sub-filter `expansion` times bigger than the previous and inserts there.
//!
//! ```text
//!  Cuckoo { num_buckets, num_items, num_deletes, bucket_size, max_iterations, expansion,
//!           filters: [ SubFilter { num_buckets, data: [u8; num_buckets * bucket_size] }, ... ] }
//! ```
//!
//! Invariants (checked on every load from outside: SCANDUMP headers, RDB, DUMP): `1 <= bucket_size <= 255`,
//! `num_buckets` a power of two, `max_iterations >= 1`, 1 to 65535 sub-filters, each sub-filter's data
//! `num_buckets * bucket_size` bytes with `1 <= num_buckets <= u32::MAX` (RedisBloom's kick loop counts
//! buckets in 32 bits).
//!
//! Tested by the unit tests below and by `tests/types/probabilistic.rs` against Redis with RedisBloom loaded.

use super::bloom::murmur64a;
use super::{zeroed, Cursor, ModuleIn, ModuleOut, MAX_ALLOC_BYTES};
use crate::alloc::slab;

/// RedisBloom's limits and defaults (`cuckoo.h`).
pub const DEFAULT_MAX_ITERATIONS: u16 = 20;
pub const DEFAULT_BUCKET_SIZE: u16 = 2;
pub const DEFAULT_EXPANSION: u16 = 1;
pub const MAX_EXPANSION: i64 = 32768;
pub const MAX_ITERATIONS: i64 = 65535;
pub const MAX_BUCKET_SIZE: i64 = 255;
const MAX_NUM_BUCKETS: u64 = 0x00FF_FFFF_FFFF_FFFF;
/// CF.SCANDUMP's largest chunk (`MAX_SCANDUMP_SIZE`).
pub const MAX_SCANDUMP_SIZE: u64 = 16 * 1024 * 1024;
/// The packed `CFHeader` of SCANDUMP's first chunk.
pub const HEADER_BYTES: usize = 8 * 4 + 2 * 3;
/// Sizes of RedisBloom's `CuckooFilter` and `SubCF` structs, which CF.INFO's `Size` and MEMORY USAGE count.
const FILTER_STRUCT_BYTES: usize = 40;
const SUB_STRUCT_BYTES: usize = 16;
/// The encoding version RedisBloom 2.8 writes (`CF_MIN_EXPANSION_VERSION`); older ones lack the options.
pub const ENC_VER: u64 = 4;

/// One sub-filter (`SubCF`).
#[derive(Clone, Debug, PartialEq)]
pub struct SubFilter {
    pub num_buckets: u64,
    pub data: Vec<u8>,
}

/// A cuckoo filter (`CuckooFilter`), the value of an `MBbloomCF` key.
#[derive(Clone, Debug, PartialEq)]
pub struct Cuckoo {
    pub num_buckets: u64,
    pub num_items: u64,
    pub num_deletes: u64,
    pub bucket_size: u16,
    pub max_iterations: u16,
    pub expansion: u16,
    pub filters: Vec<SubFilter>,
}

/// What an insert did (`CuckooInsertStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    Inserted,
    Exists,
    NoSpace,
    MemAllocFailed,
}

/// The hash of an item (`CUCKOO_GEN_HASH`).
pub fn hash(item: &[u8]) -> u64 {
    murmur64a(item, 0)
}

fn next_pow2(n: u64) -> u64 {
    let mut n = n.wrapping_sub(1);
    n |= n >> 1;
    n |= n >> 2;
    n |= n >> 4;
    n |= n >> 8;
    n |= n >> 16;
    n |= n >> 32;
    n.wrapping_add(1)
}

fn alt_hash(fp: u8, index: u64) -> u64 {
    index ^ (fp as u64).wrapping_mul(0x5bd1_e995)
}

struct Lookup {
    h1: u64,
    h2: u64,
    fp: u8,
}

fn lookup(hash: u64) -> Lookup {
    let fp = (hash % 255 + 1) as u8;
    Lookup { h1: hash, h2: alt_hash(fp, hash), fp }
}

/// `h % n`; a mask when `n` is a power of two, as the bucket counts RedisBloom makes are (no division).
#[inline(always)]
fn reduce(h: u64, n: u64) -> u64 {
    if n.is_power_of_two() {
        h & (n - 1)
    } else {
        h % n
    }
}

impl SubFilter {
    #[inline]
    fn bucket(&self, h: u64, bs: usize) -> std::ops::Range<usize> {
        let start = reduce(h, self.num_buckets) as usize * bs;
        start..start + bs
    }

    fn find(&self, p: &Lookup, bs: usize) -> bool {
        self.data[self.bucket(p.h1, bs)].contains(&p.fp) || self.data[self.bucket(p.h2, bs)].contains(&p.fp)
    }

    fn count(&self, p: &Lookup, bs: usize) -> u64 {
        let c = |r: std::ops::Range<usize>| self.data[r].iter().filter(|&&x| x == p.fp).count() as u64;
        c(self.bucket(p.h1, bs)) + c(self.bucket(p.h2, bs))
    }

    fn delete(&mut self, p: &Lookup, bs: usize) -> bool {
        for r in [self.bucket(p.h1, bs), self.bucket(p.h2, bs)] {
            if let Some(s) = self.data[r].iter_mut().find(|x| **x == p.fp) {
                *s = 0;
                return true;
            }
        }
        false
    }

    /// The first empty slot of the two buckets (`Filter_FindAvailable`).
    fn available(&self, p: &Lookup, bs: usize) -> Option<usize> {
        for r in [self.bucket(p.h1, bs), self.bucket(p.h2, bs)] {
            let start = r.start;
            if let Some(i) = self.data[r].iter().position(|&x| x == 0) {
                return Some(start + i);
            }
        }
        None
    }
}

impl Cuckoo {
    /// `CuckooFilter_Init`; `None` when the first sub-filter cannot be allocated.
    pub fn new(capacity: u64, bucket_size: u16, max_iterations: u16, expansion: u16) -> Option<Cuckoo> {
        let mut num_buckets = next_pow2(capacity / bucket_size.max(1) as u64);
        if num_buckets == 0 {
            num_buckets = 1;
        }
        let mut cf = Cuckoo {
            num_buckets,
            num_items: 0,
            num_deletes: 0,
            bucket_size,
            max_iterations,
            expansion: next_pow2(expansion as u64) as u16,
            filters: Vec::new(),
        };
        cf.grow().then_some(cf)
    }

    /// Bytes a sub-filter of `num_buckets` buckets takes, when it may be allocated.
    fn sub_bytes(num_buckets: u64, bucket_size: u16) -> Option<u64> {
        if num_buckets == 0 || num_buckets > u32::MAX as u64 {
            return None;
        }
        num_buckets.checked_mul(bucket_size as u64).filter(|&n| n <= MAX_ALLOC_BYTES)
    }

    /// The bucket count of sub-filter `i`: `num_buckets * expansion^i` (in 56 bits, as RedisBloom's bit field).
    fn sub_buckets(&self, i: usize) -> Option<u64> {
        let growth = (self.expansion as f64).powi(i as i32);
        if growth >= 18_446_744_073_709_551_616.0 {
            return None;
        }
        Some(self.num_buckets.wrapping_mul(growth as u64) & MAX_NUM_BUCKETS)
    }

    /// `CuckooFilter_Grow`: appends a sub-filter; false when it cannot be allocated.
    fn grow(&mut self) -> bool {
        if self.filters.len() >= u16::MAX as usize {
            return false;
        }
        let Some(nb) = self.sub_buckets(self.filters.len()) else { return false };
        let Some(data) = Self::sub_bytes(nb, self.bucket_size).and_then(zeroed) else { return false };
        self.filters.push(SubFilter { num_buckets: nb, data });
        true
    }

    fn bs(&self) -> usize {
        self.bucket_size as usize
    }

    /// Starts loading the two buckets of `hash` in every sub-filter (what CF.ADD, CF.EXISTS, CF.DEL and CF.COUNT
    /// read first), for a command that will run soon ([`crate::alloc::slab::prefetch`]: only a hint).
    pub fn prefetch(&self, hash: u64) {
        let p = lookup(hash);
        let bs = self.bs();
        for f in &self.filters {
            for h in [p.h1, p.h2] {
                slab::prefetch(f.data.as_ptr().wrapping_add(f.bucket(h, bs).start));
            }
        }
    }

    /// `CuckooFilter_Check`.
    pub fn contains(&self, hash: u64) -> bool {
        let p = lookup(hash);
        self.filters.iter().any(|f| f.find(&p, self.bs()))
    }

    /// `CuckooFilter_Count`.
    pub fn count(&self, hash: u64) -> u64 {
        let p = lookup(hash);
        self.filters.iter().map(|f| f.count(&p, self.bs())).sum()
    }

    /// `CuckooFilter_Insert` (`unique`: `CuckooFilter_InsertUnique`).
    pub fn insert(&mut self, hash: u64, unique: bool) -> Insert {
        let p = lookup(hash);
        if unique && self.filters.iter().any(|f| f.find(&p, self.bs())) {
            return Insert::Exists;
        }
        loop {
            let bs = self.bs();
            for f in self.filters.iter_mut().rev() {
                if let Some(i) = f.available(&p, bs) {
                    f.data[i] = p.fp;
                    self.num_items += 1;
                    return Insert::Inserted;
                }
            }
            if self.kick_insert(&p) {
                self.num_items += 1;
                return Insert::Inserted;
            }
            if self.expansion == 0 {
                return Insert::NoSpace;
            }
            if !self.grow() {
                return Insert::MemAllocFailed;
            }
        }
    }

    /// `Filter_KOInsert` on the newest sub-filter: true when the fingerprint found a home; else every swap is
    /// undone.
    fn kick_insert(&mut self, p: &Lookup) -> bool {
        let max = self.max_iterations;
        let bs = self.bucket_size as u32;
        let Some(f) = self.filters.last_mut() else { return false };
        let nb = f.num_buckets as u32 as u64;
        if nb == 0 {
            return false;
        }
        let mut fp = p.fp;
        let mut victim: u32 = 0;
        let mut ii = reduce(p.h1, nb) as u32;
        for _ in 0..max {
            let slot = (ii.wrapping_mul(bs) + victim) as usize;
            std::mem::swap(&mut f.data[slot], &mut fp);
            ii = reduce(alt_hash(fp, ii as u64), nb) as u32;
            let start = ii.wrapping_mul(bs) as usize;
            if let Some(e) = f.data[start..start + bs as usize].iter_mut().find(|x| **x == 0) {
                *e = fp;
                return true;
            }
            victim = (victim + 1) % bs;
        }
        for _ in 0..max {
            victim = (victim + bs - 1) % bs;
            ii = reduce(alt_hash(fp, ii as u64), nb) as u32;
            let slot = (ii.wrapping_mul(bs) + victim) as usize;
            std::mem::swap(&mut f.data[slot], &mut fp);
        }
        false
    }

    /// `CuckooFilter_Delete`: removes one copy of the fingerprint, newest sub-filter first; compacts when
    /// deletes pass a tenth of the items.
    pub fn delete(&mut self, hash: u64) -> bool {
        let p = lookup(hash);
        let bs = self.bs();
        for i in (0..self.filters.len()).rev() {
            if self.filters[i].delete(&p, bs) {
                self.num_items = self.num_items.wrapping_sub(1);
                self.num_deletes = self.num_deletes.wrapping_add(1);
                if self.filters.len() > 1 && self.num_deletes as f64 > self.num_items as f64 * 0.10 {
                    self.compact(false);
                }
                return true;
            }
        }
        false
    }

    /// `CuckooFilter_Compact`: moves fingerprints into older sub-filters, dropping the newest when emptied.
    pub fn compact(&mut self, cont: bool) {
        let mut ii = self.filters.len();
        while ii > 1 {
            if !self.compact_single(ii - 1) && !cont {
                break;
            }
            ii -= 1;
        }
        self.num_deletes = 0;
    }

    fn compact_single(&mut self, filter_ix: usize) -> bool {
        let bs = self.bs();
        let (older, rest) = self.filters.split_at_mut(filter_ix);
        let cur = &mut rest[0];
        let mut ok = true;
        for bucket_ix in 0..cur.num_buckets {
            for slot_ix in 0..bs {
                let at = bucket_ix as usize * bs + slot_ix;
                let fp = cur.data[at];
                if fp == 0 {
                    continue;
                }
                let p = Lookup { h1: bucket_ix, h2: alt_hash(fp, bucket_ix), fp };
                let mut moved = false;
                for f in older.iter_mut() {
                    if let Some(i) = f.available(&p, bs) {
                        f.data[i] = fp;
                        cur.data[at] = 0;
                        moved = true;
                        break;
                    }
                }
                if !moved {
                    ok = false;
                }
            }
        }
        if ok && filter_ix == self.filters.len() - 1 {
            self.filters.pop();
        }
        ok
    }

    /// RedisBloom's `mem_usage` (MEMORY USAGE) and CF.INFO's `Size`.
    pub fn mem_usage(&self) -> usize {
        FILTER_STRUCT_BYTES + self.filters.iter().map(|f| SUB_STRUCT_BYTES + f.data.len()).sum::<usize>()
    }

    /// SCANDUMP's first chunk: the packed `CFHeader`.
    pub fn encode_header(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(HEADER_BYTES);
        v.extend_from_slice(&self.num_items.to_le_bytes());
        v.extend_from_slice(&self.num_buckets.to_le_bytes());
        v.extend_from_slice(&self.num_deletes.to_le_bytes());
        v.extend_from_slice(&(self.filters.len() as u64).to_le_bytes());
        v.extend_from_slice(&self.bucket_size.to_le_bytes());
        v.extend_from_slice(&self.max_iterations.to_le_bytes());
        v.extend_from_slice(&self.expansion.to_le_bytes());
        v
    }

    /// `CuckooFilter_ValidateIntegrity`.
    fn valid(&self, num_filters: u64) -> bool {
        self.bucket_size != 0
            && self.bucket_size as i64 <= MAX_BUCKET_SIZE
            && self.num_buckets != 0
            && self.num_buckets <= MAX_NUM_BUCKETS
            && self.num_buckets.is_power_of_two()
            && num_filters != 0
            && num_filters <= u16::MAX as u64
            && self.max_iterations != 0
    }

    /// `CFHeader_Load`: an empty filter of the header's shape; `None` when the header is invalid or the
    /// sub-filters would be too big (`Couldn't create filter!`).
    pub fn from_header(h: &[u8]) -> Option<Cuckoo> {
        if h.len() != HEADER_BYTES {
            return None;
        }
        let mut c = Cursor::new(h);
        let num_items = c.u64()?;
        let num_buckets = c.u64()?;
        let num_deletes = c.u64()?;
        // RedisBloom keeps the count in 16 bits.
        let num_filters = c.u64()? as u16 as u64;
        let u16_at = |b: &[u8]| u16::from_le_bytes([b[0], b[1]]);
        let rest = c.rest();
        let mut cf = Cuckoo {
            num_buckets,
            num_items,
            num_deletes,
            bucket_size: u16_at(&rest[0..2]),
            max_iterations: u16_at(&rest[2..4]),
            expansion: u16_at(&rest[4..6]),
            filters: Vec::new(),
        };
        if !cf.valid(num_filters) {
            return None;
        }
        let mut total: u64 = 0;
        for i in 0..num_filters as usize {
            let nb = cf.sub_buckets(i)?;
            let n = Self::sub_bytes(nb, cf.bucket_size)?;
            total = total.checked_add(n).filter(|&t| t <= MAX_ALLOC_BYTES)?;
            cf.filters.push(SubFilter { num_buckets: nb, data: zeroed(n)? });
        }
        Some(cf)
    }

    /// `CF_GetEncodedChunk`: the chunk at iterator `pos` (>= 1) and the next iterator, or `None` past the end.
    pub fn chunk(&self, pos: i64) -> Option<(i64, &[u8])> {
        let mut offset = pos.wrapping_sub(1);
        let mut found = None;
        for f in &self.filters {
            let size = f.data.len() as i64;
            if offset < size {
                found = Some(f);
                break;
            }
            offset -= size;
        }
        let f = found?;
        let size = f.data.len() as u64;
        if size <= MAX_SCANDUMP_SIZE {
            return Some((pos.wrapping_add(size as i64), &f.data));
        }
        // RedisBloom reads from a negative offset as from its start.
        let offset = offset.max(0) as u64;
        let n = (size - offset).min(MAX_SCANDUMP_SIZE);
        Some((pos.wrapping_add(n as i64), &f.data[offset as usize..(offset + n) as usize]))
    }

    /// `CF_LoadEncodedChunk`: copies `data`, which ends at iterator `pos`; false when it does not fit one
    /// sub-filter (`Couldn't load chunk!`, nothing changed).
    pub fn load_chunk(&mut self, pos: i64, data: &[u8]) -> bool {
        let len = data.len() as i64;
        if data.is_empty() || pos <= 0 || pos - 1 < len {
            return false;
        }
        let mut offset = pos - len - 1;
        let mut ix = None;
        for (i, f) in self.filters.iter().enumerate() {
            let size = f.data.len() as i64;
            ix = Some(i);
            if offset < size {
                break;
            }
            offset -= size;
        }
        let Some(f) = ix.map(|i| &mut self.filters[i]) else { return false };
        if offset < 0 || (offset as u64).saturating_add(len as u64) > f.data.len() as u64 {
            return false;
        }
        f.data[offset as usize..(offset + len) as usize].copy_from_slice(data);
        true
    }

    /// The module record body (`CFRdbSave`).
    pub fn save(&self, out: &mut dyn ModuleOut) {
        out.unsigned(self.filters.len() as u64);
        out.unsigned(self.num_buckets);
        out.unsigned(self.num_items);
        out.unsigned(self.num_deletes);
        out.unsigned(self.bucket_size as u64);
        out.unsigned(self.max_iterations as u64);
        out.unsigned(self.expansion as u64);
        for f in &self.filters {
            out.unsigned(f.num_buckets);
            out.string(&f.data);
        }
    }

    /// A filter from its module record (`CFRdbLoad`); `None` for a newer encoding or a damaged record.
    pub fn load(input: &mut dyn ModuleIn, encver: u64) -> Option<Cuckoo> {
        if encver > ENC_VER {
            return None;
        }
        let num_filters = input.unsigned()?;
        let num_buckets = input.unsigned()?;
        let num_items = input.unsigned()?;
        let mut cf = Cuckoo {
            num_buckets,
            num_items,
            num_deletes: 0,
            bucket_size: DEFAULT_BUCKET_SIZE,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            expansion: DEFAULT_EXPANSION,
            filters: Vec::new(),
        };
        let small = |v: u64| u16::try_from(v).ok();
        if encver >= ENC_VER {
            cf.num_deletes = input.unsigned()?;
            cf.bucket_size = small(input.unsigned()?)?;
            cf.max_iterations = small(input.unsigned()?)?;
            cf.expansion = small(input.unsigned()?)?;
        }
        if !cf.valid(num_filters) {
            return None;
        }
        let mut total: u64 = 0;
        for _ in 0..num_filters {
            let nb = if encver >= ENC_VER { input.unsigned()? } else { cf.num_buckets };
            let want = Self::sub_bytes(nb, cf.bucket_size)?;
            total = total.checked_add(want).filter(|&t| t <= MAX_ALLOC_BYTES)?;
            let data = input.string()?;
            if data.len() as u64 != want {
                return None;
            }
            cf.filters.push(SubFilter { num_buckets: nb, data });
        }
        Some(cf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizing_and_growth() {
        let cf = Cuckoo::new(1000, 2, 20, 1).unwrap();
        assert_eq!(cf.num_buckets, 512);
        assert_eq!(cf.mem_usage(), 40 + 16 + 1024);
        let cf = Cuckoo::new(4, 2, 20, 0).unwrap();
        assert_eq!((cf.num_buckets, cf.expansion), (2, 0));
        assert_eq!(Cuckoo::new(10, 3, 20, 3).unwrap().expansion, 4);
        let mut cf = Cuckoo::new(4, 2, 20, 1).unwrap();
        for i in 0..64u32 {
            assert_eq!(cf.insert(hash(&i.to_le_bytes()), false), Insert::Inserted);
        }
        assert!(cf.filters.len() > 1);
        for i in 0..64u32 {
            assert!(cf.contains(hash(&i.to_le_bytes())));
        }
        for i in 0..64u32 {
            assert!(cf.delete(hash(&i.to_le_bytes())));
        }
        assert_eq!(cf.num_items, 0);
        assert_eq!(cf.filters.len(), 1);
    }

    #[test]
    fn full_without_expansion_rolls_back() {
        let mut cf = Cuckoo::new(4, 2, 20, 0).unwrap();
        let mut full = 0;
        for i in 0..16u32 {
            if cf.insert(hash(&i.to_le_bytes()), false) == Insert::NoSpace {
                full += 1;
            }
        }
        assert!(full > 0);
        assert_eq!(cf.filters[0].data.iter().filter(|&&x| x != 0).count() as u64, cf.num_items);
    }

    #[test]
    fn chunks_round_trip_and_refusals() {
        let mut cf = Cuckoo::new(1000, 4, 20, 2).unwrap();
        for i in 0..3000u32 {
            cf.insert(hash(&i.to_le_bytes()), false);
        }
        let mut copy = Cuckoo::from_header(&cf.encode_header()).unwrap();
        let mut pos = 1;
        while let Some((next, chunk)) = cf.chunk(pos) {
            assert!(copy.load_chunk(next, chunk));
            pos = next;
        }
        assert_eq!(copy, cf);
        assert!(!copy.load_chunk(1, b"x"));
        assert!(!copy.load_chunk(i64::MAX, b"x"));
        let mut h = cf.encode_header();
        h[8] = 3; // bucket count not a power of two
        assert!(Cuckoo::from_header(&h).is_none());
        assert!(Cuckoo::from_header(&h[1..]).is_none());
    }
}
