//! The probabilistic types, as RedisBloom 2.8 (the `bf` module Redis 8 bundles) keeps them: scalable Bloom
//! filters ([`bloom`], type `MBbloom--`), cuckoo filters ([`cuckoo`], type `MBbloomCF`), Count-Min sketches
//! ([`cms`], type `CMSk-TYPE`), Top-K ([`topk`], type `TopK-TYPE`) and t-digests ([`tdigest`], type `TDIS-TYPE`).
//! Each is one value
//! of the keyspace, [`Prob`], under the module object type ([`crate::keyspace::object::ObjType::Module`]); TYPE
//! answers with RedisBloom's type name ([`Prob::type_name`]).
//!
//! What input controls is bounded here: every buffer a command, a chunk or a file sizes is allocated through
//! [`zeroed`], which refuses sizes over [`MAX_ALLOC_BYTES`] and allocation failures instead of aborting.
#![forbid(unsafe_code)]

pub mod bloom;
pub mod cms;
pub mod cuckoo;
pub mod tdigest;
pub mod topk;

/// The largest single buffer a probabilistic value may ask for (4 GiB: a Bloom filter for about three billion
/// items at 1%).
pub const MAX_ALLOC_BYTES: u64 = 1 << 32;

/// A zeroed buffer of `n` bytes, or `None` when `n` is over [`MAX_ALLOC_BYTES`] or memory is short.
pub fn zeroed(n: u64) -> Option<Vec<u8>> {
    if n > MAX_ALLOC_BYTES {
        return None;
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n as usize).ok()?;
    v.resize(n as usize, 0);
    Some(v)
}

/// `h % d` for a 32-bit `h` without a division (Lemire's direct remainder: with `M = floor((2^64 - 1) / d) + 1`,
/// `h % d` is the high word of `(M * h mod 2^64) * d`, exact for every 32-bit `h` and `d`), the per-item bucket
/// of Count-Min and Top-K rows. A `d` over 32 bits leaves `h` as it is, as `%` would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastMod {
    d: u64,
    m: u64,
}

impl FastMod {
    pub fn new(d: u64) -> FastMod {
        let m = if d == 0 || d > u32::MAX as u64 { 0 } else { (u64::MAX / d).wrapping_add(1) };
        FastMod { d, m }
    }

    #[inline(always)]
    pub fn of(self, h: u32) -> u64 {
        if self.d > u32::MAX as u64 || self.d == 0 {
            // Nothing to reduce (a zero width has no buckets; the callers' bounds checks skip it).
            return h as u64;
        }
        ((self.m.wrapping_mul(h as u64) as u128 * self.d as u128) >> 64) as u64
    }
}

/// One probabilistic value.
#[derive(Clone, Debug, PartialEq)]
pub enum Prob {
    Bloom(bloom::Bloom),
    Cuckoo(cuckoo::Cuckoo),
    Cms(cms::Cms),
    TopK(topk::TopK),
    TDigest(tdigest::TDigest),
}

impl Prob {
    /// The module type name TYPE replies with (RedisBloom's `RedisModule_CreateDataType` names).
    pub fn type_name(&self) -> &'static str {
        match self {
            Prob::Bloom(_) => "MBbloom--",
            Prob::Cuckoo(_) => "MBbloomCF",
            Prob::Cms(_) => "CMSk-TYPE",
            Prob::TopK(_) => "TopK-TYPE",
            Prob::TDigest(_) => "TDIS-TYPE",
        }
    }

    /// Heap bytes held (MEMORY USAGE, DEBUG OBJECT): RedisBloom's own `mem_usage` figure of the value.
    pub fn alloc_bytes(&self) -> usize {
        match self {
            Prob::Bloom(b) => b.mem_usage(),
            Prob::Cuckoo(c) => c.mem_usage(),
            Prob::Cms(c) => c.mem_usage(),
            Prob::TopK(t) => t.mem_usage(),
            Prob::TDigest(t) => t.mem_usage(),
        }
    }

    /// Items counted (`DEBUG OBJECT`'s and the keyspace's "length"): Bloom's items, the sketch's total count.
    pub fn len(&self) -> usize {
        match self {
            Prob::Bloom(b) => b.size as usize,
            Prob::Cuckoo(c) => c.num_items as usize,
            Prob::Cms(c) => c.counter as usize,
            Prob::TopK(t) => t.k as usize,
            Prob::TDigest(t) => t.size() as usize,
        }
    }

    /// A probabilistic value is never an empty collection: it exists until deleted.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// One of the probabilistic types as a [`Prob`] holds it: how the command families find theirs in a value.
pub trait Kind: Sized {
    fn of(p: &Prob) -> Option<&Self>;
    fn of_mut(p: &mut Prob) -> Option<&mut Self>;
}

macro_rules! kind {
    ($t:ty, $variant:ident) => {
        impl Kind for $t {
            fn of(p: &Prob) -> Option<&Self> {
                match p {
                    Prob::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn of_mut(p: &mut Prob) -> Option<&mut Self> {
                match p {
                    Prob::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}
kind!(bloom::Bloom, Bloom);
kind!(cuckoo::Cuckoo, Cuckoo);
kind!(cms::Cms, Cms);
kind!(topk::TopK, TopK);
kind!(tdigest::TDigest, TDigest);

/// Little-endian reads from a byte buffer that say `None` at its end.
pub struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf }
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.buf.split_first_chunk::<N>()?;
        self.buf = rest;
        Some(*head)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.take::<4>().map(u32::from_le_bytes)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.take::<8>().map(u64::from_le_bytes)
    }

    pub fn f64(&mut self) -> Option<f64> {
        self.take::<8>().map(f64::from_le_bytes)
    }

    /// Bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }
}

/// Where a value's module-type record goes (RDB, DUMP): Redis's `RedisModule_Save*` calls, each an opcode and
/// a value in the RDB module encoding. The persistence layer implements it over its writer.
pub trait ModuleOut {
    fn unsigned(&mut self, v: u64);
    fn double(&mut self, v: f64);
    fn string(&mut self, s: &[u8]);
}

/// Where a module-type record is read from: Redis's `RedisModule_Load*`. `None`: the record is damaged or ends
/// (the whole load fails; nothing is half made).
pub trait ModuleIn {
    fn unsigned(&mut self) -> Option<u64>;
    fn double(&mut self) -> Option<f64>;
    fn string(&mut self) -> Option<Vec<u8>>;
}

/// Redis's module type name charset (`ModuleTypeNameCharSet`).
const NAME_CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The 64-bit id a module type's RDB records carry (`moduleTypeEncodeId`): 9 name characters of 6 bits each,
/// then a 10-bit encoding version.
pub const fn module_type_id(name: &[u8; 9], encver: u64) -> u64 {
    let mut id: u64 = 0;
    let mut j = 0;
    while j < 9 {
        let mut p = 0;
        while p < 64 && NAME_CHARSET[p] != name[j] {
            p += 1;
        }
        id = (id << 6) | p as u64;
        j += 1;
    }
    (id << 10) | encver
}

/// The probabilistic types' module type names and the encoding versions RedisBloom 2.8 writes.
pub const BLOOM_TYPE: (&[u8; 9], u64) = (b"MBbloom--", 4);
pub const CUCKOO_TYPE: (&[u8; 9], u64) = (b"MBbloomCF", cuckoo::ENC_VER);
pub const CMS_TYPE: (&[u8; 9], u64) = (b"CMSk-TYPE", 0);
pub const TOPK_TYPE: (&[u8; 9], u64) = (b"TopK-TYPE", topk::ENC_VER);
pub const TDIGEST_TYPE: (&[u8; 9], u64) = (b"TDIS-TYPE", tdigest::ENC_VER);

/// The encoding version of a module id when it names one of these types (any version), or `None`.
pub fn known_module(id: u64) -> Option<(&'static [u8; 9], u64)> {
    let encver = id & 1023;
    [BLOOM_TYPE, CUCKOO_TYPE, CMS_TYPE, TOPK_TYPE, TDIGEST_TYPE]
        .into_iter()
        .find(|(name, _)| module_type_id(name, 0) == id & !1023)
        .map(|(n, _)| (n, encver))
}

impl Prob {
    /// The module id this value's RDB record carries.
    pub fn module_id(&self) -> u64 {
        let (name, ver) = match self {
            Prob::Bloom(_) => BLOOM_TYPE,
            Prob::Cuckoo(_) => CUCKOO_TYPE,
            Prob::Cms(_) => CMS_TYPE,
            Prob::TopK(_) => TOPK_TYPE,
            Prob::TDigest(_) => TDIGEST_TYPE,
        };
        module_type_id(name, ver)
    }

    /// What RedisBloom's `rdb_save` changes in the value itself before it writes it (a t-digest is compressed),
    /// for the saves that run on the live value (DUMP). [`Prob::save`] writes the same record without it.
    pub fn prepare_save(&mut self) {
        if let Prob::TDigest(t) = self {
            // An overflow leaves the digest as the failed compression left it, as RedisBloom's.
            let _ = t.compress();
        }
    }

    /// The value's module record body (RedisBloom's `rdb_save`).
    pub fn save(&self, out: &mut dyn ModuleOut) {
        match self {
            Prob::Bloom(b) => b.save(out),
            Prob::Cuckoo(c) => c.save(out),
            Prob::Cms(c) => c.save(out),
            Prob::TopK(t) => t.save(out),
            Prob::TDigest(t) => t.save(out),
        }
    }

    /// A value from its module record body (RedisBloom's `rdb_load`) for the module id `id`; `None` when the id
    /// is not one of these types, the encoding version is newer than RedisBloom 2.8's, or the record is damaged.
    pub fn load(id: u64, input: &mut dyn ModuleIn) -> Option<Prob> {
        let (name, encver) = known_module(id)?;
        if name == BLOOM_TYPE.0 {
            bloom::Bloom::load(input, encver).map(Prob::Bloom)
        } else if name == CUCKOO_TYPE.0 {
            cuckoo::Cuckoo::load(input, encver).map(Prob::Cuckoo)
        } else if name == CMS_TYPE.0 {
            cms::Cms::load(input, encver).map(Prob::Cms)
        } else if name == TDIGEST_TYPE.0 {
            tdigest::TDigest::load(input, encver).map(Prob::TDigest)
        } else {
            topk::TopK::load(input, encver).map(Prob::TopK)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FastMod;

    #[test]
    fn fast_remainders_are_exact() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for d in [1u64, 2, 3, 7, 1000, 2000, 65_537, 1 << 31, u32::MAX as u64 - 1, u32::MAX as u64, 1 << 33] {
            let m = FastMod::new(d);
            for h in [0u32, 1, (d as u32).wrapping_sub(1), d as u32, u32::MAX, u32::MAX - 1] {
                assert_eq!(m.of(h), h as u64 % d, "{h} % {d}");
            }
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let h = x as u32;
                assert_eq!(m.of(h), h as u64 % d, "{h} % {d}");
            }
        }
    }
}
