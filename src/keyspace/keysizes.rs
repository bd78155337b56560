//! Key sizes per database: Redis 8's `INFO keysizes` histograms.
//!
//! ```text
//!   hist[type][bin]   type: string, list, set, zset, hash (Redis's OBJ_STRING .. OBJ_HASH)
//!                     bin 0: size 0;  bin i >= 1: sizes 2^(i-1) .. 2^i - 1
//!   size: a string's length in bytes (an integer's decimal digits, a HyperLogLog's encoding), a collection's
//!         element count (a hash's fields, expired-but-present ones included, as Redis's hashTypeLength)
//! ```
//!
//! Streams and module values (JSON, the probabilistic types) are not counted, as in Redis, whose histogram
//! covers the five basic types only.
//!
//! A [`Keysizes`] belongs to one [`crate::keyspace::db::Db`], and the database keeps it exact: each entry counts once,
//! under its type and the bin of its current size. Whole-entry changes (an insert, an overwrite, a removal, expiry,
//! eviction, a flush, SWAPDB's exchange) are counted by the [`Db`](crate::keyspace::db::Db) methods that make them,
//! from the entry in hand. A caller that knows both sizes of an in-place change (SET over a string, active field
//! expiry) reports them itself ([`Db::size_changed`](crate::keyspace::db::Db::size_changed)).
//!
//! **Lends.** Any other in-place change goes through a mutable borrow of the entry, which only the write lookups hand
//! out ([`Db::lookup_lend`](crate::keyspace::db::Db::lookup_lend),
//! [`Db::lend_mut`](crate::keyspace::db::Db::lend_mut)): they *lend* the entry, remembering where it sits in the table
//! and its class before the change ([`Lent`]). The lend is *settled* (the entry at that position is counted again under
//! its class now: one size read and a compare when it stayed in its bin) before anything that could move entries in the
//! table or change one whole: every other [`Db`](crate::keyspace::db::Db) method that takes the table mutably settles
//! first, and the door settles when a handler's context goes away. So one entry is lent at a time per database, and the
//! position still holds it when it is settled; a second write lookup of the same key finds it again with a key compare
//! instead of a hash lookup (`write_or_create` and the door's entry accessors rely on that, which keeps a write at one
//! lookup). The lend is remembered while the histogram is off too (without a class), for that second finding.
//!
//! **Reported writes.** The hottest writes report their change themselves, as Redis's do (each type's write calls
//! `updateKeysizesHist` with the old and new length): INCR/DECR/INCRBY with the old and new integer, SADD,
//! HSET/HMSET and LPUSH/RPUSH with the collection's length before and after (`Ctx::write_sized`,
//! `Ctx::write_or_create_sized`, the door's `int_resized` / `len_changed`). Their lookups lend the entry *reported*
//! ([`Keysizes::lend_reported`]): no size is read at the lend, and settling counts nothing, so such a write reads
//! no size at all (a compare of two bins computed from the lengths it knows). Every other write keeps the lend,
//! which catches whatever it changes.
//!
//! **Kept from the first reading on.** A database counts nothing until its histogram is first read (`INFO
//! keysizes`, `INFO all` / `everything`, DEBUG KEYSIZES-HIST-ASSERT): [`crate::keyspace::db::Db::track_keysizes`]
//! then builds it with one scan of the keys and switches the bookkeeping on for good (a database made anew, by a
//! full sync say, starts off again and is scanned at its first reading). What a client reads is the same as if it
//! had been kept from the start.
//!
//! What the bookkeeping costs once on: a compare of two bins for a reported write, two size reads and a compare
//! for any other (`benches/instr.sh` with `SETUP="info keysizes"`; the figures are in benches/README.md's keysizes
//! section).
//!
//! Tested by the unit tests below (bins, labels, the lend bookkeeping), by [`Db`](crate::keyspace::db::Db)'s invariant
//! check (the histogram equals a scan, in debug builds: the cron and the tests) and by `tests/types/keysizes.rs`, the
//! port of Redis's `unit/info-keysizes.tcl`.

#![forbid(unsafe_code)]

use crate::keyspace::dict::Pos;
use crate::keyspace::object::{Entry, ObjType};

/// Bins per type: bin 0 for size 0, then one per power of two up to 2^63.
pub const BINS: usize = 65;

/// Types counted (Redis's `OBJ_TYPE_BASIC_MAX`), indexed by [`ObjType`]'s numbering.
pub const TYPES: usize = 5;

/// The names INFO gives each type's line, in type order.
pub const TYPE_FIELDS: [&str; TYPES] = [
    "distrib_strings_sizes",
    "distrib_lists_items",
    "distrib_sets_items",
    "distrib_zsets_items",
    "distrib_hashes_items",
];

/// The bin of a size: 0 for 0, else one more than the size's base-2 logarithm rounded down (1 → 1, 2..3 → 2,
/// 4..7 → 3, ...).
#[inline]
pub fn bin(size: u64) -> u8 {
    (64 - size.leading_zeros()) as u8
}

/// The label INFO prints for a bin: its smallest size, with the binary suffixes K, M, G, T, P and E (`0`, `1`,
/// `512`, `1K`, `2M`, ...).
pub fn label(bin: usize) -> String {
    if bin == 0 {
        return "0".to_string();
    }
    let exp = bin - 1;
    const SUFFIXES: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    let unit = (exp / 10).min(SUFFIXES.len() - 1);
    format!("{}{}", 1u64 << (exp - unit * 10), SUFFIXES[unit])
}

/// Where an entry is counted: its type (0..[`TYPES`]) and its bin. `None` for the types not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub ty: u8,
    pub bin: u8,
}

/// The class of an entry as it is now.
#[inline(always)]
pub fn class_of(e: &Entry) -> Option<Class> {
    let (ty, size) = e.counted()?;
    class(ty, size)
}

/// The length of an integer's decimal form (a minus sign counts), without formatting it: the base-2 length
/// times log10(2) (1233 / 4096) estimates the digits, one compare with a power of ten settles them (no division,
/// unlike `ilog10`).
#[inline]
pub fn int_len(n: i64) -> usize {
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let u = n.unsigned_abs();
    let bits = 64 - (u | 1).leading_zeros() as usize;
    let t = (bits * 1233) >> 12;
    let digits = t + (u >= POW10[t]) as usize;
    (n < 0) as usize + digits.max(1)
}

/// The class of a value of type `ty` and size `size`.
#[inline]
pub fn class(ty: ObjType, size: u64) -> Option<Class> {
    Some(Class { ty: ty as u8, bin: bin(size) })
}

/// The class of a string of `len` bytes.
#[inline]
pub fn string_class(len: usize) -> Option<Class> {
    class(ObjType::String, len as u64)
}

/// The entry lent for an in-place change (see "Lends" above): where it sits in the table and its class before
/// the change (`None` also when the histogram was not kept at the lend, or when the change is `reported`).
#[derive(Debug, Clone, Copy)]
pub struct Lent {
    pub pos: Pos,
    pub before: Option<Class>,
    /// Lent to a write that reports its size change itself (see "Reported writes" above): settling it counts
    /// nothing, the lend only lets the command find the entry again.
    pub reported: bool,
}

/// One database's histograms and the entry lent for an in-place change not yet counted again.
pub struct Keysizes {
    /// Whether the histogram is kept (see "Kept from the first reading on"); off, the counting methods below do
    /// nothing (a lend is still remembered: the door finds the entry again through it).
    on: bool,
    hist: Box<[[u64; BINS]; TYPES]>,
    lent: Option<Lent>,
}

impl Default for Keysizes {
    fn default() -> Self {
        Keysizes { on: false, hist: Box::new([[0; BINS]; TYPES]), lent: None }
    }
}

impl Keysizes {
    /// Whether the histogram is kept.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Switches the bookkeeping on with `hist`, a scan of the database's keys ([`Keysizes::scan`]). A lend made
    /// while it was off carries no class and is forgotten.
    pub fn start(&mut self, hist: Box<[[u64; BINS]; TYPES]>) {
        self.hist = hist;
        self.lent = None;
        self.on = true;
    }

    /// Counts one more entry of class `c`.
    #[inline]
    pub fn add(&mut self, c: Option<Class>) {
        if !self.on {
            return;
        }
        if let Some(c) = c {
            self.hist[c.ty as usize][c.bin as usize] += 1;
        }
    }

    /// Counts one entry of class `c` fewer.
    #[inline]
    pub fn sub(&mut self, c: Option<Class>) {
        if !self.on {
            return;
        }
        if let Some(c) = c {
            let n = &mut self.hist[c.ty as usize][c.bin as usize];
            debug_assert!(*n > 0, "keysizes: no entry of type {} in bin {} to take away", c.ty, c.bin);
            *n = n.saturating_sub(1);
        }
    }

    /// An entry went from class `from` to class `to`: a compare when the class stayed.
    #[inline]
    pub fn moved(&mut self, from: Option<Class>, to: Option<Class>) {
        if self.on && from != to {
            self.sub(from);
            self.add(to);
        }
    }

    /// Whether an entry is lent and not yet counted again.
    #[inline]
    pub fn has_lent(&self) -> bool {
        self.lent.is_some()
    }

    /// The entry lent, if any.
    #[inline]
    pub fn lent(&self) -> Option<Lent> {
        self.lent
    }

    /// Remembers the entry at `pos` as lent, with its class before the change. The database settles any earlier
    /// lend first (one entry is lent at a time).
    #[inline]
    pub fn lend(&mut self, pos: Pos, before: Option<Class>) {
        debug_assert!(self.lent.is_none(), "keysizes: a lend was not settled before the next");
        self.lent = Some(Lent { pos, before, reported: false });
    }

    /// Remembers the entry at `pos` as lent to a write that reports its size change itself (see "Reported
    /// writes" above): no class is read now, and settling counts nothing.
    #[inline]
    pub fn lend_reported(&mut self, pos: Pos) {
        debug_assert!(self.lent.is_none(), "keysizes: a lend was not settled before the next");
        self.lent = Some(Lent { pos, before: None, reported: true });
    }

    /// Takes the lend back, for the database to count the entry again.
    #[inline]
    pub fn take_lent(&mut self) -> Option<Lent> {
        self.lent.take()
    }

    /// Forgets every count and lend (a flush); a kept histogram stays kept.
    pub fn clear(&mut self) {
        *self.hist = [[0; BINS]; TYPES];
        self.lent = None;
    }

    /// The count of type `ty`, bin `bin`.
    #[inline]
    pub fn count(&self, ty: usize, bin: usize) -> u64 {
        self.hist.get(ty).and_then(|h| h.get(bin)).copied().unwrap_or(0)
    }

    /// The histogram a scan of `entries` gives (the invariant check, DEBUG KEYSIZES-HIST-ASSERT).
    pub fn scan<'a>(entries: impl Iterator<Item = &'a Entry>) -> Box<[[u64; BINS]; TYPES]> {
        let mut h = Box::new([[0u64; BINS]; TYPES]);
        for e in entries {
            if let Some(c) = class_of(e) {
                h[c.ty as usize][c.bin as usize] += 1;
            }
        }
        h
    }

    /// The first difference between the kept histogram and `expected` (type, bin, kept, expected), if any.
    pub fn differs_from(&self, expected: &[[u64; BINS]; TYPES]) -> Option<(usize, usize, u64, u64)> {
        for (t, (have, want)) in self.hist.iter().zip(expected.iter()).enumerate() {
            for (b, (h, w)) in have.iter().zip(want.iter()).enumerate() {
                if h != w {
                    return Some((t, b, *h, *w));
                }
            }
        }
        None
    }

    /// The INFO line of type `ty` in database `db` (`db0_distrib_lists_items:1=2,4=1`), or nothing when the
    /// database holds no key of the type. Bins are listed from the smallest, empty ones left out.
    pub fn info_line(&self, db: usize, ty: usize, out: &mut String) {
        use std::fmt::Write;
        let Some(h) = self.hist.get(ty) else { return };
        let mut first = true;
        for (b, n) in h.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            if first {
                let _ = write!(out, "db{db}_{}:", TYPE_FIELDS[ty]);
                first = false;
            } else {
                out.push(',');
            }
            let _ = write!(out, "{}={n}", label(b));
        }
        if !first {
            out.push_str("\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_powers_of_two() {
        assert_eq!(bin(0), 0);
        assert_eq!(bin(1), 1);
        assert_eq!(bin(2), 2);
        assert_eq!(bin(3), 2);
        assert_eq!(bin(4), 3);
        assert_eq!(bin(7), 3);
        assert_eq!(bin(8), 4);
        assert_eq!(bin(1023), 10);
        assert_eq!(bin(1024), 11);
        assert_eq!(bin(u64::MAX), 64);
        // Every size lands in the bin whose label is the largest power of two not above it.
        for size in 1u64..5000 {
            let b = bin(size) as usize;
            let low = 1u64 << (b - 1);
            assert!(low <= size && size < low * 2, "size {size} in bin {b}");
        }
    }

    #[test]
    fn int_len_is_the_decimal_length() {
        for n in [0i64, 1, 9, 10, 99, 100, -1, -9, -10, 12345, i64::MAX, i64::MIN, i64::MIN + 1] {
            assert_eq!(int_len(n), n.to_string().len(), "{n}");
        }
        // Every power of ten and its neighbours, both signs.
        let mut p = 1i64;
        loop {
            for n in [p - 1, p, p + 1] {
                assert_eq!(int_len(n), n.to_string().len(), "{n}");
                assert_eq!(int_len(-n), (-n).to_string().len(), "{}", -n);
            }
            match p.checked_mul(10) {
                Some(q) => p = q,
                None => break,
            }
        }
    }

    #[test]
    fn labels_use_binary_suffixes() {
        let want = [(0, "0"), (1, "1"), (2, "2"), (10, "512"), (11, "1K"), (12, "2K"), (20, "512K"), (21, "1M")];
        for (b, l) in want {
            assert_eq!(label(b), l);
        }
        assert_eq!(label(31), "1G");
        assert_eq!(label(41), "1T");
        assert_eq!(label(51), "1P");
        assert_eq!(label(61), "1E");
        assert_eq!(label(63), "4E");
        assert_eq!(label(64), "8E");
    }

    #[test]
    fn info_line_lists_nonempty_bins_in_order() {
        let mut k = Keysizes::default();
        k.start(Box::new([[0; BINS]; TYPES]));
        let mut out = String::new();
        k.info_line(0, 1, &mut out);
        assert_eq!(out, "");
        k.add(Some(Class { ty: 1, bin: 3 }));
        k.add(Some(Class { ty: 1, bin: 1 }));
        k.add(Some(Class { ty: 1, bin: 1 }));
        k.add(Some(Class { ty: 1, bin: 11 }));
        k.info_line(3, 1, &mut out);
        assert_eq!(out, "db3_distrib_lists_items:1=2,4=1,1K=1\r\n");
    }

    #[test]
    fn one_lend_at_a_time() {
        let mut k = Keysizes::default();
        let small = Some(Class { ty: 2, bin: 1 });
        // Off, a lend is remembered (the door finds the entry through it) and counts nothing.
        let mut d: crate::keyspace::dict::Dict<Entry> = crate::keyspace::dict::Dict::new();
        d.insert(Entry::new_int(b"k", 1));
        let pos = d.find(b"k").expect("inserted");
        k.lend(pos, None);
        assert!(k.has_lent());
        k.start(Box::new([[0; BINS]; TYPES]));
        assert!(!k.has_lent(), "a lend made while off carries no class and is forgotten");
        k.add(small);
        k.lend(pos, small);
        assert_eq!(k.take_lent().map(|l| (l.pos, l.before)), Some((pos, small)));
        assert!(k.take_lent().is_none());
        k.moved(small, Some(Class { ty: 2, bin: 4 }));
        assert_eq!((k.count(2, 1), k.count(2, 4)), (0, 1));
    }
}
