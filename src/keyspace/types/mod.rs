//! Collection representations: the compact and the large encoding of each Redis collection type, and the rules
//! for converting between them.
//!
//! - [`listpack`]: Redis's listpack byte format (one contiguous buffer of strings/integers, walkable both ways).
//! - [`quicklist`]: a sequence of listpack nodes bounded by `list-max-listpack-size`.
//! - [`list`]: the list value (a single listpack while small, a quicklist beyond).
//! - [`intset`]: a sorted integer array in the narrowest of 16/32/64-bit widths.
//! - [`set`]: the set value (intset or hash table).
//! - [`hash`]: the hash value (listpack of field/value pairs or hash table).
//! - [`skiplist`]: the ordered index of large sorted sets, with spans for ranks.
//! - [`zset`]: the sorted set value (listpack of member/score pairs, or skiplist plus hash table).
//! - [`geo`]: the geo index's arithmetic (geohash cells as sorted-set scores, distances, the 9-cell search).
//! - [`stream`]: the stream value (an ordered index of listpack nodes in Redis's layout) and the consumer groups'
//!   data model.
//! - [`hll`]: HyperLogLog sketches in Redis's string layout (dense and sparse registers, the estimator).
//! - [`SmallBytes`]: the compact owned string stored per member in the large encodings.
//!
//! Everything here is pure data structure code: no replies, no keyspace. Thresholds come in as plain numbers
//! ([`Thresholds`]) so the config module stays the single owner of the directives.

#![forbid(unsafe_code)]

pub mod geo;
pub mod hash;
pub mod hll;
pub mod intset;
pub mod json;
pub mod list;
pub mod listpack;
pub mod prob;
pub mod quicklist;
pub mod set;
pub mod skiplist;
pub mod stream;
pub mod zset;

use std::fmt;

use crate::util::{itoa_buf, parse_i64};

/// Object encodings, numbered as Redis's `OBJ_ENCODING_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Encoding {
    Raw = 0,
    Int = 1,
    HashTable = 2,
    IntSet = 6,
    SkipList = 7,
    Embstr = 8,
    QuickList = 9,
    Stream = 10,
    ListPack = 11,
    /// Redis 7.4's `OBJ_ENCODING_LISTPACK_EX`: a hash's listpack of (field, value, expiry) triplets.
    ListPackEx = 12,
}

impl Encoding {
    /// The name `OBJECT ENCODING` replies with.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Raw => "raw",
            Encoding::Int => "int",
            Encoding::HashTable => "hashtable",
            Encoding::IntSet => "intset",
            Encoding::SkipList => "skiplist",
            Encoding::Embstr => "embstr",
            Encoding::QuickList => "quicklist",
            Encoding::ListPack => "listpack",
            Encoding::ListPackEx => "listpackex",
            Encoding::Stream => "stream",
        }
    }
}

/// A borrowed view of a string value: integer-encoded or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrRef<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> StrRef<'a> {
    /// The string's bytes; integers are formatted into `buf`.
    #[inline]
    pub fn bytes<'b>(&self, buf: &'b mut [u8; 24]) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            StrRef::Int(n) => itoa_buf(n, buf),
            StrRef::Bytes(b) => b,
        }
    }

    /// The string's length in bytes.
    pub fn len(&self) -> usize {
        match *self {
            StrRef::Int(n) => {
                let mut b = [0u8; 24];
                itoa_buf(n, &mut b).len()
            }
            StrRef::Bytes(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An owned copy of the bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut b = [0u8; 24];
        self.bytes(&mut b).to_vec()
    }

    /// The value as an integer when it is one (Redis's `getLongLongFromObject`).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            StrRef::Int(n) => Some(n),
            StrRef::Bytes(b) => parse_i64(b),
        }
    }
}

/// The conversion thresholds of all collection types, with Redis 7.0's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// `list-max-listpack-size`: > 0 caps entries per node, -1..-5 caps node bytes at 4/8/16/32/64 KiB.
    pub list_max_listpack_size: i64,
    /// `list-compress-depth`: accepted and kept; nodes are never compressed (see quicklist.rs).
    pub list_compress_depth: i64,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        // Redis 7.0's compiled-in defaults (checked against `CONFIG GET` of a default 7.0.15 server).
        Thresholds {
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
        }
    }
}

/// Longest string kept inline in a [`SmallBytes`].
pub const SMALL_INLINE: usize = 22;

/// An owned byte string of 24 bytes: up to [`SMALL_INLINE`] bytes are stored inline, longer ones in one exact-size
/// heap allocation. Members of large sets, sorted sets and hashes are mostly short, so most cost no allocation.
///
/// ```text
///  Inline: | tag | len | 22 bytes of data            |
///  Heap:   | tag | pad ...  | ptr (8) | len (8)       |   -> [u8; len] on the heap
/// ```
///
/// The tag byte is 1 or 2, never 0, so an all-zero `Option<SmallBytes>` is `None` and a set's table starts as zeroed
/// memory (no pass writing `None` into each slot when it grows; see
/// [`dict::ZeroIsNone`](crate::keyspace::dict::ZeroIsNone)).
#[derive(Clone)]
#[repr(u8)]
pub enum SmallBytes {
    Inline { len: u8, data: [u8; SMALL_INLINE] } = 1,
    Heap(Box<[u8]>) = 2,
}

impl SmallBytes {
    #[inline]
    pub fn new(b: &[u8]) -> SmallBytes {
        if b.len() <= SMALL_INLINE {
            let mut data = [0u8; SMALL_INLINE];
            data[..b.len()].copy_from_slice(b);
            SmallBytes::Inline { len: b.len() as u8, data }
        } else {
            SmallBytes::Heap(b.into())
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, data } => &data[..*len as usize],
            SmallBytes::Heap(b) => b,
        }
    }

    /// Heap bytes owned beyond the 24 inline bytes (for MEMORY USAGE style estimates).
    pub fn heap_bytes(&self) -> usize {
        match self {
            SmallBytes::Inline { .. } => 0,
            SmallBytes::Heap(b) => b.len(),
        }
    }
}

impl std::ops::Deref for SmallBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for SmallBytes {}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl crate::keyspace::dict::DictEntry for SmallBytes {
    const ZERO_IS_NONE: Option<crate::keyspace::dict::ZeroIsNone> =
        Some(crate::keyspace::dict::ZeroIsNone::checked::<Self>());
    // Every insert moves a batch of the migration (`boost_rehash`), so the old table drains quickly.
    const INSERT_INTO_OLD_TABLE: bool = true;

    #[inline]
    fn key(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// `count` (at most `all.len()`) of `all`'s items picked uniformly, in random order: the first `count` steps of a
/// Fisher-Yates shuffle. The dense case of both samplers below.
fn partial_shuffle<T>(mut all: Vec<T>, count: usize, rng: &mut crate::util::Rng) -> Vec<T> {
    let n = all.len();
    for i in 0..count {
        let j = i + rng.below((n - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(count);
    all
}

/// `count` draws with replacement from `all`, each handed to `f` until it returns false: the listpack encodings
/// side of HRANDFIELD's and ZRANDMEMBER's negative count (nothing is drawn from an empty `all`).
pub fn draw_with_replacement<T: Copy>(
    all: &[T],
    count: usize,
    rng: &mut crate::util::Rng,
    mut f: impl FnMut(T) -> bool,
) {
    if all.is_empty() {
        return;
    }
    for _ in 0..count {
        if !f(all[rng.below(all.len() as u64) as usize]) {
            return;
        }
    }
}

/// Picks `count` distinct indexes out of `0..n` uniformly (Floyd's algorithm when sparse, a partial shuffle when
/// dense), in random order. `count` is clamped to `n`; memory is O(count).
pub fn sample_distinct(n: usize, count: usize, rng: &mut crate::util::Rng) -> Vec<usize> {
    let count = count.min(n);
    if count == 0 {
        return Vec::new();
    }
    if count * 4 >= n {
        return partial_shuffle((0..n).collect(), count, rng);
    }
    // Floyd: for j in n-count..n pick t in 0..=j; take t unless already taken, else take j.
    let mut seen = std::collections::HashSet::with_capacity(count * 2);
    let mut out = Vec::with_capacity(count);
    for j in (n - count)..n {
        let t = rng.below(j as u64 + 1) as usize;
        let pick = if seen.insert(t) { t } else { j };
        if pick == j {
            seen.insert(j);
        }
        out.push(pick);
    }
    // Floyd's order is biased towards high indexes late; shuffle so callers can stream the result in order.
    for i in (1..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

/// Entries moved per insert while a value's hash table is rehashing. Redis only rehashes value tables on access
/// (one bucket per access), so a big set/hash/zset can keep both tables alive for a long time; moving a batch per
/// insert finishes the migration after 3/64 of the old table's size in inserts (growth by 4/3 or 3/2 leaves 1/4
/// to 3/8 of it before the next resize), so the old table's memory is returned promptly. Each entry is still
/// moved once, so the total work is unchanged.
///
/// Budget: the work rides on the insert that pays it, so a command adding `n` members moves at most `16n` entries plus
/// one run per insert. What such a command costs right after a big table grows is mostly the kernel's: the migration
/// writes the new zeroed array front to back, and each first touch of a page is a page fault, a fresh page per
/// hundred-odd entries moved; new members do not land on random fresh pages (see
/// [`Dict::old_slot_for_new`](crate::keyspace::dict::Dict::old_slot_for_new)), so that is the whole burst. Why 16
/// (the slowest SADD and the memory left waiting at 1, 4, 16 and 64 moves per insert, against Redis) is measured in
/// `benches/README.md`, "Figures the module docs point to".
pub const REHASH_BOOST: usize = 16;

/// Advances a value table's incremental rehash by [`REHASH_BOOST`] entries when one is in progress.
#[inline]
pub fn boost_rehash<E: crate::keyspace::dict::DictEntry>(d: &mut crate::keyspace::dict::Dict<E>) {
    if d.is_rehashing() {
        d.rehash_step(REHASH_BOOST);
    }
}

/// `count` distinct entries of a dict picked uniformly at random (all of them when `count >= len`, in table order).
/// Dense requests shuffle a snapshot; sparse ones draw random entries until enough distinct ones are found.
pub fn dict_sample_distinct<'a, E: crate::keyspace::dict::DictEntry>(
    d: &'a crate::keyspace::dict::Dict<E>,
    count: usize,
    rng: &mut crate::util::Rng,
) -> Vec<&'a E> {
    let len = d.len();
    let count = count.min(len);
    if count == len {
        return d.iter().collect();
    }
    if count * 3 > len {
        return partial_shuffle(d.iter().collect(), count, rng);
    }
    let mut seen = std::collections::HashSet::with_capacity(count * 2);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let Some(e) = d.random(rng) else { break };
        if seen.insert(e.key()) {
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;

    #[test]
    fn small_bytes_is_24_bytes_and_round_trips() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
        // Its tables grow into zeroed memory (no pass writing `None` into every slot).
        assert!(<SmallBytes as crate::keyspace::dict::DictEntry>::ZERO_IS_NONE.is_some());
        for n in [0usize, 1, 21, 22, 23, 100] {
            let v: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let s = SmallBytes::new(&v);
            assert_eq!(s.as_bytes(), &v[..]);
            assert_eq!(matches!(s, SmallBytes::Inline { .. }), n <= SMALL_INLINE);
        }
    }

    #[test]
    fn sample_distinct_gives_distinct_in_range() {
        let mut rng = Rng::new(7);
        for (n, c) in [(10usize, 3usize), (10, 10), (10, 20), (1000, 5), (1000, 900), (0, 4)] {
            let v = sample_distinct(n, c, &mut rng);
            assert_eq!(v.len(), c.min(n));
            let set: std::collections::HashSet<_> = v.iter().collect();
            assert_eq!(set.len(), v.len());
            assert!(v.iter().all(|&i| i < n));
        }
    }

    #[test]
    fn sample_distinct_is_roughly_uniform() {
        let mut rng = Rng::new(11);
        let mut hits = [0u32; 20];
        for _ in 0..20000 {
            for i in sample_distinct(20, 2, &mut rng) {
                hits[i] += 1;
            }
        }
        // Expected 2000 each; a wide band catches bias without flaking.
        assert!(hits.iter().all(|&h| (1600..2400).contains(&h)), "{hits:?}");
    }
}

/// Resident set size of this process in bytes (Linux `/proc/self/statm`), for the footprint report below.
/// `len` elements' total bytes estimated from the first `samples` of them (exact when they are all sampled): the
/// sampling `MEMORY USAGE key SAMPLES n` does, as Redis's `objectComputeSize`.
pub fn sampled_sum(items: impl Iterator<Item = usize>, len: usize, samples: usize) -> usize {
    let (mut n, mut sum) = (0usize, 0usize);
    for b in items.take(samples) {
        n += 1;
        sum += b;
    }
    if n == 0 || n >= len {
        sum
    } else {
        (sum as f64 / n as f64 * len as f64) as usize
    }
}

#[cfg(test)]
fn rss_bytes() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = s.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    pages * 4096
}

#[cfg(test)]
mod footprint {
    use super::*;

    /// Prints bytes per element of 1M-member values: `FOOTPRINT=set|hash|zset|small cargo test --lib
    /// types::footprint -- --ignored --nocapture`. One structure per process, so that allocator state left by an
    /// earlier structure does not pollute the RSS delta. Not an assertion: allocator behaviour varies by machine.
    #[test]
    #[ignore]
    fn one_million_members_report() {
        let th = Thresholds::default();
        let n = 1_000_000usize;
        let which = std::env::var("FOOTPRINT").unwrap_or_else(|_| "set".into());
        let r0 = rss_bytes();
        let what = match which.as_str() {
            "hash" => {
                let mut h = hash::Hash::new();
                for i in 0..n {
                    h.set(format!("field:{i}").as_bytes(), format!("value:{i}").as_bytes(), &th);
                }
                std::mem::forget(h);
                "hash fields"
            }
            "zset" => {
                let mut z = zset::ZSet::new(8, &th);
                for i in 0..n {
                    z.add(i as f64, format!("member:{i}").as_bytes(), zset::ZAddFlags::default(), &th);
                }
                std::mem::forget(z);
                "zset members"
            }
            "small" => {
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    let mut h = hash::Hash::new();
                    for f in 0..5 {
                        h.set(format!("field{f}").as_bytes(), format!("value{i}").as_bytes(), &th);
                    }
                    v.push(h);
                }
                std::mem::forget(v);
                "small hashes (5 fields; value + its Hash enum)"
            }
            _ => {
                let mut s = set::Set::new_for(b"member:0");
                for i in 0..n {
                    s.add(format!("member:{i}").as_bytes(), &th);
                }
                std::mem::forget(s);
                "set members"
            }
        };
        let r1 = rss_bytes();
        println!("{n} {what}: {:.1} bytes each", r1.saturating_sub(r0) as f64 / n as f64);
    }
}

#[cfg(test)]
mod sizes {
    /// The value enums live inline in keyspace entries (as `Value`, 24 bytes); keep each at 16 (the hash's 24 still
    /// fits: `Value` places the others beside its tag, checked in `object.rs`).
    #[test]
    fn value_enums_are_small() {
        use std::mem::size_of;
        assert_eq!(size_of::<super::list::List>(), 16);
        assert_eq!(size_of::<super::hash::Hash>(), 24);
        assert_eq!(size_of::<super::zset::ZSet>(), 16);
        assert_eq!(size_of::<super::set::Set>(), 16);
        assert_eq!(size_of::<super::listpack::Listpack>(), 16);
    }
}
