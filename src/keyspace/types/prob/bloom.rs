//! Scalable Bloom filter, bit for bit RedisBloom 2.8's (`sb.c`, `deps/bloom/bloom.c`): a chain of plain Bloom
//! filters ("links"); when the newest link holds as many items as it was sized for, a new link `growth` times
//! bigger with half the error rate is appended (unless the filter is non-scaling, which then refuses). An item is
//! present when any link has all its bits set.
//!
//! ```text
//!  Bloom { size, options, growth, links: [ Link { bloom: BloomLink { entries, error, bpe, hashes, n2, bits,
//!                                                                    bytes: [u8; bits / 8] }, size }, ... ] }
//! ```
//!
//! Invariants (checked on every load from outside: SCANDUMP headers, RDB, DUMP): `bits == bytes.len() * 8`, a
//! multiple of 64; `hashes == ceil(ln 2 * bpe)`; `0 < error < 1`; with `n2 > 0`, `bits >= 2^n2`; the chain's
//! `size` is the sum of its links' sizes.
//!
//! Hashing is RedisBloom's: filters created by BF.RESERVE/BF.ADD use `MurmurHash64A` (seed `0xc6a4a7935bd1e995`)
//! for `a` and `MurmurHash64A(item, seed = a)` for `b` (`BLOOM_OPT_FORCE64`); filters from older RedisBloom
//! versions (loaded from their chunks) use the 32-bit `MurmurHash2` pair. Bit `i` of `k` is `(a + i*b) mod m`,
//! wrapping at 64 bits, with `m` the link's bit count (`BLOOM_OPT_NOROUND`) or `2^n2`. So the same items give the
//! same bits, the same answers (false positives included) and the same SCANDUMP chunks as RedisBloom.
//!
//! Tested by the unit tests below (sizing against numbers RedisBloom prints, the chunk round trip, refusal of
//! damaged headers) and by `tests/types/probabilistic.rs` against Redis with RedisBloom loaded.

use super::{zeroed, Cursor};
use crate::alloc::slab;

/// RedisBloom's option bits (`bloom.h`).
pub const OPT_NOROUND: u32 = 1;
pub const OPT_ENTS_IS_BITS: u32 = 2;
pub const OPT_FORCE64: u32 = 4;
pub const OPT_NO_SCALING: u32 = 8;
const OPT_ALL: u32 = OPT_NOROUND | OPT_ENTS_IS_BITS | OPT_FORCE64 | OPT_NO_SCALING;

/// The error rate of each new link is the previous one's times this (`ERROR_TIGHTENING_RATIO`).
const ERROR_TIGHTENING_RATIO: f64 = 0.5;
/// RedisBloom's `LN2`: 15 digits, not [`std::f64::consts::LN_2`], so `ceil(LN2 * bpe)` gives its hash counts.
#[allow(clippy::approx_constant)]
const LN2: f64 = 0.693147180559945;
/// BF.SCANDUMP's largest chunk (`MAX_SCANDUMP_SIZE`).
pub const MAX_SCANDUMP_SIZE: usize = 16 * 1024 * 1024;
/// The most hash functions a loaded link may claim. RedisBloom's own filters never have more than about 1100
/// (the error rate of a link halves each time, down to the smallest double); a header claiming more would make
/// every lookup loop for minutes.
const MAX_HASHES: u32 = 4096;
/// Sizes of RedisBloom's in-memory structs (`SBChain`, `SBLink`), which its BF.INFO `Size` and MEMORY USAGE count.
const CHAIN_STRUCT_BYTES: usize = 32;
const LINK_STRUCT_BYTES: usize = 64;
/// A packed `dumpedChainHeader` and `dumpedChainLink` (`sb.c`).
const HEADER_BYTES: usize = 8 + 4 + 4 + 4;
const LINK_HEADER_BYTES: usize = 8 + 8 + 8 + 8 + 8 + 4 + 8 + 1;

/// One plain Bloom filter (RedisBloom's `struct bloom`).
#[derive(Clone, Debug, PartialEq)]
pub struct BloomLink {
    pub hashes: u32,
    pub force64: bool,
    pub n2: u8,
    pub entries: u64,
    pub error: f64,
    pub bpe: f64,
    pub bits: u64,
    pub bf: Vec<u8>,
    /// `x mod` the link's modulus ([`modulus_of`]), its reciprocal computed once.
    m: Modulus,
}

/// A link of the chain: the filter and how many items went into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub inner: BloomLink,
    pub size: u64,
}

/// A scalable Bloom filter (RedisBloom's `SBChain`), the value of an `MBbloom--` key.
#[derive(Clone, Debug, PartialEq)]
pub struct Bloom {
    pub links: Vec<Link>,
    pub size: u64,
    pub options: u32,
    pub growth: u32,
}

/// What [`Bloom::add`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// The item was new.
    Yes,
    /// The item was (or seemed) there already.
    No,
    /// A non-scaling filter is full (`ERR non scaling filter is full`).
    Full,
    /// A new link could not be made (`ERR problem inserting into filter`).
    Failed,
}

/// A hash pair (`bloom_hashval`).
#[derive(Clone, Copy, Debug)]
pub struct HashPair {
    a: u64,
    b: u64,
}

/// MurmurHash2, 32-bit (`MurmurHash2.c`), little-endian reads as on x86.
#[inline]
pub fn murmur2(key: &[u8], seed: u32) -> u32 {
    const M: u32 = 0x5bd1e995;
    let mut h = seed ^ key.len() as u32;
    let mut chunks = key.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let t = chunks.remainder();
    if !t.is_empty() {
        // The C switch's falling-through XORs of the last bytes, each at its own shift: their little-endian value.
        h ^= tail_le(t) as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

/// The bytes of a hash's tail (fewer than 8) as a little-endian integer. Built from two overlapping loads of
/// the first and the last bytes (the overlap ORs a byte into its own place), not by copying into a zeroed
/// `[u8; 8]`: that copy is a `memcpy` call of a few bytes whose narrow stores the wide load after it cannot take
/// from the store buffer, a stall on every hash (a fifth of Count-Min's INCRBY, one per row).
#[inline(always)]
fn tail_le(t: &[u8]) -> u64 {
    let n = t.len();
    if n >= 8 {
        return u64::from_le_bytes([t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]]);
    }
    if n >= 4 {
        let lo = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as u64;
        let hi = u32::from_le_bytes([t[n - 4], t[n - 3], t[n - 2], t[n - 1]]) as u64;
        return lo | (hi << (8 * (n - 4)));
    }
    if n >= 2 {
        let lo = u16::from_le_bytes([t[0], t[1]]) as u64;
        let hi = u16::from_le_bytes([t[n - 2], t[n - 1]]) as u64;
        return lo | (hi << (8 * (n - 2)));
    }
    t.first().map_or(0, |&b| b as u64)
}

/// MurmurHash64A as RedisBloom's `MurmurHash64A_Bloom` (little-endian reads).
#[inline]
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let t = chunks.remainder();
    if !t.is_empty() {
        h ^= tail_le(t);
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Bits per entry for an error rate (`calc_bpe`).
fn calc_bpe(error: f64) -> f64 {
    const DENOM: f64 = 0.480453013918201; // ln(2)^2
    let bpe = -(error.ln() / DENOM);
    if bpe < 0.0 {
        -bpe
    } else {
        bpe
    }
}

/// `(int)ceil(LN2 * bpe)` as C converts it (out-of-range values saturate here instead of being undefined).
fn hashes_for(bpe: f64) -> i64 {
    (LN2 * bpe).ceil() as i64
}

/// The modulus of a link's bit positions: its bit count (`BLOOM_OPT_NOROUND`), or `2^n2`.
fn modulus_of(n2: u8, bits: u64) -> u64 {
    if n2 > 0 {
        1u64 << (n2 & 63)
    } else {
        bits
    }
}

/// `x % d` for one divisor and many `x` by Barrett reduction: one division up front, then a multiplication and
/// at most two subtractions per remainder (the quotient estimate `x * floor((2^64 - 1) / d) / 2^64` is at most 2
/// short). A bit position per hash this way instead of a 64-bit division each.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Modulus {
    d: u64,
    inv: u64,
}

impl Modulus {
    #[inline]
    fn new(d: u64) -> Modulus {
        Modulus { d, inv: u64::MAX.checked_div(d).unwrap_or(0) }
    }

    #[inline]
    fn rem(self, x: u64) -> u64 {
        if self.d == 0 {
            return x;
        }
        let q = ((x as u128 * self.inv as u128) >> 64) as u64;
        let mut r = x.wrapping_sub(q.wrapping_mul(self.d));
        // The estimate is at most 2 short: two conditional subtractions, no loop.
        if r >= self.d {
            r -= self.d;
        }
        if r >= self.d {
            r -= self.d;
        }
        r
    }
}

impl BloomLink {
    /// `bloom_init`: `None` where RedisBloom's fails (bad parameters, a size that cannot be allocated).
    pub fn new(entries: u64, error: f64, options: u32) -> Option<BloomLink> {
        if entries < 1 || error <= 0.0 || error >= 1.0 || error.is_nan() {
            return None;
        }
        let bpe = calc_bpe(error);
        let mut entries_out = entries;
        let (bits, n2): (u64, u8) = if options & OPT_ENTS_IS_BITS != 0 {
            if entries > 64 {
                return None;
            }
            let bits = if entries == 64 { 0 } else { 1u64 << entries };
            entries_out = (bits as f64 / bpe) as u64;
            (bits, entries as u8)
        } else if options & OPT_NOROUND != 0 {
            let bits = (entries as f64 * bpe) as u64;
            (bits.max(1), 0)
        } else {
            let bn2 = (entries as f64 * bpe).log2().floor();
            if bn2 > 63.0 || bn2.is_infinite() {
                return None;
            }
            let n2 = bn2 as u8 + 1;
            let bits = if n2 == 64 { 0 } else { 1u64 << n2 };
            let bit_diff = bits.wrapping_sub((entries as f64 * bpe) as u64);
            entries_out += (bit_diff as f64 / bpe) as u64;
            (bits, n2)
        };
        let bytes = if bits % 64 != 0 { (bits / 64 + 1) * 8 } else { bits / 8 };
        let hashes = hashes_for(bpe);
        if !(0..=MAX_HASHES as i64).contains(&hashes) {
            return None;
        }
        let bf = zeroed(bytes)?;
        Some(BloomLink {
            hashes: hashes as u32,
            force64: options & OPT_FORCE64 != 0,
            n2,
            entries: entries_out,
            error,
            bpe,
            bits: bytes * 8,
            bf,
            m: Modulus::new(modulus_of(n2, bytes * 8)),
        })
    }

    /// Whether every bit of the item is set. Bit `i` is `(a + i*b) mod m`, the sum kept as it goes (the same
    /// value, wrapping at 64 bits).
    #[inline]
    pub fn check(&self, h: HashPair) -> bool {
        let m = self.m;
        let mut x = h.a;
        for _ in 0..self.hashes {
            let bit = m.rem(x);
            match self.bf.get((bit >> 3) as usize) {
                Some(&c) if c & (1 << (bit & 7)) != 0 => {}
                _ => return false,
            }
            x = x.wrapping_add(h.b);
        }
        true
    }

    /// Starts loading the cache lines of the item's first bit, or of all its bits (`all`), for a lookup that
    /// will run soon ([`crate::alloc::slab::prefetch`]: only a hint, it reads nothing).
    #[inline]
    fn prefetch(&self, h: HashPair, all: bool) {
        let m = self.m;
        let mut x = h.a;
        let n = if all { self.hashes } else { self.hashes.min(1) };
        for _ in 0..n {
            slab::prefetch(self.bf.as_ptr().wrapping_add((m.rem(x) >> 3) as usize));
            x = x.wrapping_add(h.b);
        }
    }

    /// Sets the item's bits; true when one of them was unset (`bloom_add_h`'s "not previously present"). No
    /// branch on the bits: the loads of the `k` bytes are independent, so their cache misses overlap.
    #[inline]
    pub fn add(&mut self, h: HashPair) -> bool {
        let m = self.m;
        let bf = &mut self.bf[..];
        let mut unset = 0u8;
        let mut x = h.a;
        for _ in 0..self.hashes {
            let bit = m.rem(x);
            if let Some(c) = bf.get_mut((bit >> 3) as usize) {
                let mask = 1u8 << (bit & 7);
                unset |= !*c & mask;
                *c |= mask;
            }
            x = x.wrapping_add(h.b);
        }
        unset != 0
    }

    /// `bloom_validate_integrity`, plus the bounds that keep a loaded link's lookups finite.
    fn valid(&self) -> bool {
        let bits_ok = self.n2 == 0 || (self.n2 < 64 && self.bits >= 1u64 << self.n2);
        self.error > 0.0
            && self.error < 1.0
            && bits_ok
            && self.bits != 0
            && self.bits == (self.bf.len() as u64).wrapping_mul(8)
            && self.hashes <= MAX_HASHES
            && self.bpe.is_finite()
            && self.hashes as i64 == hashes_for(self.bpe)
    }
}

impl Bloom {
    /// A filter as BF.RESERVE / BF.ADD make it (`SB_NewChain` with `BLOOM_OPT_FORCE64 | BLOOM_OPT_NOROUND` and
    /// `non_scaling`); `None` where RedisBloom says `ERR could not create filter`.
    pub fn new(capacity: u64, error: f64, growth: u32, non_scaling: bool) -> Option<Bloom> {
        let options = OPT_FORCE64 | OPT_NOROUND | if non_scaling { OPT_NO_SCALING } else { 0 };
        if capacity == 0 || error == 0.0 || error >= 1.0 {
            return None;
        }
        let tightening = if non_scaling { 1.0 } else { ERROR_TIGHTENING_RATIO };
        let inner = BloomLink::new(capacity, error * tightening, options)?;
        Some(Bloom { links: vec![Link { inner, size: 0 }], size: 0, options, growth })
    }

    /// The item's hash pair, by the filter's hash width.
    pub fn hash(&self, item: &[u8]) -> HashPair {
        if self.options & OPT_FORCE64 != 0 {
            let a = murmur64a(item, 0xc6a4a7935bd1e995);
            HashPair { a, b: murmur64a(item, a) }
        } else {
            let a = murmur2(item, 0x9747b28c);
            HashPair { a: a as u64, b: murmur2(item, a) as u64 }
        }
    }

    /// Starts loading what [`Bloom::add`] (`add`) or [`Bloom::contains`] will read for `item`: when adding, every
    /// bit's line in the newest link (an add sets them all) and the first bit's in older ones (where a lookup of an
    /// absent item usually stops); when checking, every bit's line in every link (an item that is there reads
    /// them all, and those loads would otherwise come one after another). For a command of a pipelined batch,
    /// before the batch runs.
    pub fn prefetch(&self, item: &[u8], add: bool) {
        let h = self.hash(item);
        let newest = self.links.len().saturating_sub(1);
        for (i, l) in self.links.iter().enumerate() {
            l.inner.prefetch(h, !add || i == newest);
        }
    }

    /// `SBChain_Check`.
    pub fn contains(&self, item: &[u8]) -> bool {
        let h = self.hash(item);
        self.links.iter().rev().any(|l| l.inner.check(h))
    }

    /// `SBChain_Add`.
    pub fn add(&mut self, item: &[u8]) -> Added {
        let h = self.hash(item);
        let Some((last, older)) = self.links.split_last_mut() else { return Added::Failed };
        if older.iter().any(|l| l.inner.check(h)) {
            return Added::No;
        }
        if last.size < last.inner.entries {
            // The newest link takes the item: checking and setting its bits is one pass (setting none is the
            // "already there" answer).
            return if last.inner.add(h) {
                last.size += 1;
                self.size += 1;
                Added::Yes
            } else {
                Added::No
            };
        }
        if last.inner.check(h) {
            return Added::No;
        }
        let Some(cur) = self.links.last() else { return Added::Failed };
        if cur.size >= cur.inner.entries {
            if self.options & OPT_NO_SCALING != 0 {
                return Added::Full;
            }
            let error = cur.inner.error * ERROR_TIGHTENING_RATIO;
            let entries = cur.inner.entries.wrapping_mul(self.growth as u64);
            match BloomLink::new(entries, error, self.options) {
                Some(inner) => self.links.push(Link { inner, size: 0 }),
                None => return Added::Failed,
            }
        }
        let Some(cur) = self.links.last_mut() else { return Added::Failed };
        if cur.inner.add(h) {
            cur.size += 1;
            self.size += 1;
            Added::Yes
        } else {
            Added::No
        }
    }

    /// BF.INFO's `Capacity`: the links' entries summed.
    pub fn capacity(&self) -> u64 {
        self.links.iter().fold(0u64, |a, l| a.wrapping_add(l.inner.entries))
    }

    /// RedisBloom's `BFMemUsage` (BF.INFO `Size`, and what its MEMORY USAGE counts for the value).
    pub fn mem_usage(&self) -> usize {
        CHAIN_STRUCT_BYTES + self.links.iter().map(|l| LINK_STRUCT_BYTES + l.inner.bf.len()).sum::<usize>()
    }

    pub fn non_scaling(&self) -> bool {
        self.options & OPT_NO_SCALING != 0
    }

    /// BF.SCANDUMP's first reply: the packed `dumpedChainHeader` with one `dumpedChainLink` per link.
    pub fn encode_header(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + LINK_HEADER_BYTES * self.links.len());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&(self.links.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.options.to_le_bytes());
        out.extend_from_slice(&self.growth.to_le_bytes());
        for l in &self.links {
            let b = &l.inner;
            out.extend_from_slice(&(b.bf.len() as u64).to_le_bytes());
            out.extend_from_slice(&b.bits.to_le_bytes());
            out.extend_from_slice(&l.size.to_le_bytes());
            out.extend_from_slice(&b.error.to_le_bytes());
            out.extend_from_slice(&b.bpe.to_le_bytes());
            out.extend_from_slice(&b.hashes.to_le_bytes());
            out.extend_from_slice(&b.entries.to_le_bytes());
            out.push(b.n2);
        }
        out
    }

    /// `SB_NewChainFromHeader`: a filter with every bit clear, shaped as the header says, or RedisBloom's error.
    pub fn from_header(buf: &[u8]) -> Result<Bloom, &'static str> {
        const BAD: &str = "ERR received bad data";
        let mut c = Cursor::new(buf);
        let (Some(size), Some(nfilters), Some(options), Some(growth)) = (c.u64(), c.u32(), c.u32(), c.u32()) else {
            return Err(BAD);
        };
        if buf.len() as u64 != HEADER_BYTES as u64 + LINK_HEADER_BYTES as u64 * nfilters as u64 {
            return Err(BAD);
        }
        let mut links = Vec::new();
        for _ in 0..nfilters {
            let (Some(bytes), Some(bits), Some(lsize), Some(error), Some(bpe), Some(hashes), Some(entries), Some(n2)) =
                (c.u64(), c.u64(), c.u64(), c.f64(), c.f64(), c.u32(), c.u64(), c.u8())
            else {
                return Err(BAD);
            };
            // Checked before the bits are allocated (RedisBloom checks the header's own fields first too).
            let mut inner = BloomLink {
                hashes,
                force64: options & OPT_FORCE64 != 0,
                n2,
                entries,
                error,
                bpe,
                bits,
                bf: Vec::new(),
                m: Modulus::new(modulus_of(n2, bits)),
            };
            let n2_ok = n2 == 0 || (n2 < 64 && bits >= 1u64 << n2);
            if !(error > 0.0 && error < 1.0 && n2_ok)
                || bits == 0
                || bits != bytes.wrapping_mul(8)
                || hashes > MAX_HASHES
                || !bpe.is_finite()
                || hashes as i64 != hashes_for(bpe)
            {
                return Err(BAD);
            }
            inner.bf = zeroed(bytes).ok_or(BAD)?;
            links.push(Link { inner, size: lsize });
        }
        let b = Bloom { links, size, options, growth };
        // Every invariant, as a filter read from a file is held to (the fuzz target found headers with no link or
        // a link whose own sizes disagree, which a later chunk or lookup would trip on).
        if !b.valid() {
            return Err(BAD);
        }
        Ok(b)
    }

    /// `SB_ValidateIntegrity`.
    fn valid_chain(&self) -> bool {
        if self.options & !OPT_ALL != 0 {
            return false;
        }
        let mut total: u64 = 0;
        for l in &self.links {
            match total.checked_add(l.size) {
                Some(t) => total = t,
                None => return false,
            }
        }
        total == self.size
    }

    /// Whether a filter read from outside (RDB, DUMP) keeps every invariant.
    pub fn valid(&self) -> bool {
        !self.links.is_empty() && self.links.iter().all(|l| l.inner.valid()) && self.valid_chain()
    }

    /// The link holding byte `iter - 1` of the concatenated bit arrays, and the offset in it (`getLinkPos`).
    fn link_pos(&self, iter: i64) -> Option<(usize, usize)> {
        if iter < 1 {
            return None;
        }
        let mut at = (iter - 1) as u64;
        for (i, l) in self.links.iter().enumerate() {
            let n = l.inner.bf.len() as u64;
            if at < n {
                return Some((i, at as usize));
            }
            at -= n;
        }
        None
    }

    /// BF.SCANDUMP with a non-zero iterator: the next chunk and the iterator after it (0 and nothing at the end).
    pub fn chunk(&self, iter: i64) -> (i64, &[u8]) {
        match self.link_pos(iter) {
            None => (0, &[]),
            Some((i, off)) => {
                let bf = &self.links[i].inner.bf;
                let len = (bf.len() - off).min(MAX_SCANDUMP_SIZE);
                (iter + len as i64, &bf[off..off + len])
            }
        }
    }

    /// `SBChain_LoadEncodedChunk`: copies a chunk SCANDUMP produced into place, or RedisBloom's error (and no
    /// change).
    pub fn load_chunk(&mut self, iter: i64, buf: &[u8]) -> Result<(), &'static str> {
        if iter <= 0 || (iter as u64) < buf.len() as u64 {
            return Err("ERR received bad data");
        }
        let at = iter - buf.len() as i64;
        let (i, off) = self.link_pos(at).ok_or("ERR invalid offset - no link found")?;
        let bf = &mut self.links[i].inner.bf;
        if buf.len() > bf.len() - off {
            return Err("ERR invalid chunk - Too big for current filter");
        }
        bf[off..off + buf.len()].copy_from_slice(buf);
        Ok(())
    }

    /// Bytes held on the heap (the bit arrays and the link table).
    pub fn alloc_bytes(&self) -> usize {
        self.links.capacity() * std::mem::size_of::<Link>() + self.links.iter().map(|l| l.inner.bf.len()).sum::<usize>()
    }
}

/// RedisBloom's RDB encoding versions of `MBbloom--` (`BF_MIN_OPTIONS_ENC`, `BF_MIN_GROWTH_ENC`).
const ENC_MIN_OPTIONS: u64 = 2;
const ENC_MIN_GROWTH: u64 = 4;
/// More links than a loaded filter may have. Not RedisBloom's (it loads any count it can allocate): a bound above
/// every chain a filter can grow, so that what ferredis saves it loads again. Each link's error rate is half the
/// one before and stays in (0, 1), and a positive double is at least 2^-1074, so a chain has at most 1075 links
/// (BF.RESERVE 0.0001 1 EXPANSION 1 grows 1061, RedisBloom's build 1062). Every link's bytes come from the
/// record, so the bound is not what limits memory.
const MAX_LINKS: u64 = 1100;
const _: () = assert!(MAX_LINKS > 1075);

impl Bloom {
    /// `BFRdbSave`.
    pub fn save(&self, out: &mut dyn super::ModuleOut) {
        out.unsigned(self.size);
        out.unsigned(self.links.len() as u64);
        out.unsigned(self.options as u64);
        out.unsigned(self.growth as u64);
        for l in &self.links {
            let b = &l.inner;
            out.unsigned(b.entries);
            out.double(b.error);
            out.unsigned(b.hashes as u64);
            out.double(b.bpe);
            out.unsigned(b.bits);
            out.unsigned(b.n2 as u64);
            out.string(&b.bf);
            out.unsigned(l.size);
        }
    }

    /// `BFRdbLoad`, every version RedisBloom 2.8 reads (0 to 4), refusing what breaks an invariant.
    pub fn load(input: &mut dyn super::ModuleIn, encver: u64) -> Option<Bloom> {
        if encver > ENC_MIN_GROWTH {
            return None;
        }
        let size = input.unsigned()?;
        let nfilters = input.unsigned()?;
        let options = if encver >= ENC_MIN_OPTIONS { u32::try_from(input.unsigned()?).ok()? } else { 0 };
        let growth = if encver >= ENC_MIN_GROWTH { u32::try_from(input.unsigned()?).ok()? } else { 2 };
        if nfilters >= MAX_LINKS {
            return None;
        }
        let mut links = Vec::new();
        for _ in 0..nfilters {
            let entries = input.unsigned()?;
            let error = input.double()?;
            let hashes = u32::try_from(input.unsigned()?).ok()?;
            let bpe = input.double()?;
            let (bits, n2) = if encver == 0 {
                ((entries as f64 * bpe) as u64, 0u8)
            } else {
                (input.unsigned()?, u8::try_from(input.unsigned()?).ok()?)
            };
            let bf = input.string()?;
            let lsize = input.unsigned()?;
            let m = Modulus::new(modulus_of(n2, bits));
            let inner = BloomLink { hashes, force64: options & OPT_FORCE64 != 0, n2, entries, error, bpe, bits, bf, m };
            links.push(Link { inner, size: lsize });
        }
        let b = Bloom { links, size, options, growth };
        b.valid().then_some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barrett_remainders_are_exact() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let divisors =
            [1u64, 2, 3, 7, 8, 1000, 958_505, 9_585_058, (1 << 33) + 1, u64::MAX / 3, u64::MAX - 1, u64::MAX];
        for d in divisors {
            let m = Modulus::new(d);
            for v in [0, 1, d - 1, d, d.wrapping_add(1), u64::MAX, u64::MAX - 1] {
                assert_eq!(m.rem(v), v % d, "{v} % {d}");
            }
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                assert_eq!(m.rem(x), x % d, "{x} % {d}");
            }
        }
    }

    #[test]
    fn sizing_matches_redisbloom() {
        // BF.ADD's default filter (capacity 100, error 0.01): BF.DEBUG says
        // "bytes:144 bits:1152 hashes:8 hashwidth:64 capacity:100 size:1 ratio:0.005", BF.INFO Size 240.
        let b = Bloom::new(100, 0.01, 2, false).unwrap();
        let l = &b.links[0].inner;
        assert_eq!((l.bf.len(), l.bits, l.hashes, l.entries, l.error), (144, 1152, 8, 100, 0.005));
        assert_eq!(b.mem_usage(), 240);
    }

    #[test]
    fn murmur_known_values() {
        // The empty input hashes to the mixed seed; values cross-checked with the C code.
        assert_eq!(murmur2(b"", 0), 0);
        assert_ne!(murmur64a(b"a", 1), murmur64a(b"b", 1));
        assert_ne!(murmur64a(b"abcdefgh1", 1), murmur64a(b"abcdefgh2", 1));
    }

    /// The tails byte by byte, as the C switches fall through.
    #[test]
    fn murmur_tails_match_the_byte_by_byte_form() {
        fn m2_ref(key: &[u8], seed: u32) -> u32 {
            const M: u32 = 0x5bd1e995;
            let mut h = seed ^ key.len() as u32;
            let body = key.len() / 4 * 4;
            for c in key[..body].chunks_exact(4) {
                let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]).wrapping_mul(M);
                k ^= k >> 24;
                h = h.wrapping_mul(M) ^ k.wrapping_mul(M);
            }
            let t = &key[body..];
            for i in (0..t.len()).rev() {
                h ^= (t[i] as u32) << (8 * i);
            }
            if !t.is_empty() {
                h = h.wrapping_mul(M);
            }
            h ^= h >> 13;
            h = h.wrapping_mul(M);
            h ^ (h >> 15)
        }
        fn m64_ref(key: &[u8], seed: u64) -> u64 {
            const M: u64 = 0xc6a4a7935bd1e995;
            let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
            let body = key.len() / 8 * 8;
            for c in key[..body].chunks_exact(8) {
                let mut k = u64::from_le_bytes(c.try_into().unwrap()).wrapping_mul(M);
                k ^= k >> 47;
                h = (h ^ k.wrapping_mul(M)).wrapping_mul(M);
            }
            let t = &key[body..];
            for i in (0..t.len()).rev() {
                h ^= (t[i] as u64) << (8 * i);
            }
            if !t.is_empty() {
                h = h.wrapping_mul(M);
            }
            h ^= h >> 47;
            h = h.wrapping_mul(M);
            h ^ (h >> 47)
        }
        let bytes: Vec<u8> = (0..40u32).map(|i| (i * 37 + 201) as u8).collect();
        for n in 0..bytes.len() {
            let key = &bytes[..n];
            assert_eq!(murmur2(key, 0x9747b28c), m2_ref(key, 0x9747b28c), "murmur2 of {n} bytes");
            assert_eq!(murmur64a(key, 0xc6a4a7935bd1e995), m64_ref(key, 0xc6a4a7935bd1e995), "murmur64a of {n}");
        }
    }

    #[test]
    fn add_check_and_scale() {
        let mut b = Bloom::new(10, 0.01, 2, false).unwrap();
        for i in 0..100 {
            let k = format!("k{i}");
            assert_ne!(b.add(k.as_bytes()), Added::Full);
            assert!(b.contains(k.as_bytes()));
        }
        assert!(b.links.len() > 1);
        assert_eq!(b.size, b.links.iter().map(|l| l.size).sum::<u64>());
        let mut n = Bloom::new(5, 0.01, 2, true).unwrap();
        let full = (0..100).map(|i| n.add(format!("x{i}").as_bytes())).any(|r| r == Added::Full);
        assert!(full);
    }

    #[test]
    fn chunks_round_trip() {
        let mut b = Bloom::new(1000, 0.001, 2, false).unwrap();
        for i in 0..3000 {
            b.add(format!("{i}").as_bytes());
        }
        let mut c = Bloom::from_header(&b.encode_header()).unwrap();
        let mut iter = 1;
        loop {
            let (next, data) = b.chunk(iter);
            if next == 0 {
                break;
            }
            c.load_chunk(next, data).unwrap();
            iter = next;
        }
        assert_eq!(b, c);
    }

    #[test]
    fn damaged_headers_are_refused() {
        let b = Bloom::new(100, 0.01, 2, false).unwrap();
        let h = b.encode_header();
        for cut in 0..h.len() {
            assert_eq!(Bloom::from_header(&h[..cut]), Err("ERR received bad data"));
        }
        for i in 0..h.len() {
            let mut d = h.clone();
            d[i] ^= 0x5a;
            // Any result but a panic; a header that still parses keeps the invariants.
            if let Ok(x) = Bloom::from_header(&d) {
                assert!(x.valid());
            }
        }
        let mut x = Bloom::from_header(&h).unwrap();
        assert_eq!(x.load_chunk(0, b""), Err("ERR received bad data"));
        assert_eq!(x.load_chunk(1000, b"x"), Err("ERR invalid offset - no link found"));
        assert_eq!(x.load_chunk(146, &[0; 3]), Err("ERR invalid chunk - Too big for current filter"));
        assert_eq!(x.load_chunk(145, &[0; 2]), Ok(()));
    }
}
