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
//! A [`Keysizes`] belongs to one [`crate::keyspace::db::Db`], and the database keeps it exact: each entry
//! counts once, under its type and the bin of its current size. Whole-entry changes (an insert, an overwrite,
//! a removal, expiry, eviction, a flush, SWAPDB's exchange) are counted by the `Db` methods that make them, from
//! the entry in hand. A change made in place through a mutable borrow of a value is counted when the borrow is
//! settled: the lookups that lend an entry for writing (`Db::lookup_lend`, `Db::lend_mut`) remember its class
//! (type and bin) before the change ([`Keysizes::lend`]), and [`Db::sync_sizes`](crate::keyspace::db::Db) later
//! compares it with the entry's class now: one bin computation and a compare when nothing moved. The door calls
//! that when a handler's context goes away; a whole-entry change of a lent key first settles the lend, so the
//! entry is never counted twice. A caller that already knows both sizes of an in-place change (SET over a string,
//! active field expiry) reports them itself (`Db::size_changed`) and lends nothing.
//!
//! **Kept from the first reading on.** A database counts nothing until its histogram is first read (`INFO
//! keysizes`, `INFO all` / `everything`, DEBUG KEYSIZES-HIST-ASSERT): [`crate::keyspace::db::Db::track_keysizes`]
//! then builds it with one scan of the keys and switches the bookkeeping on for good (a database made anew, by a
//! full sync say, starts off again and is scanned at its first reading). What a client reads is the same as if it
//! had been kept from the start; a server nobody asks pays one branch per write.
//!
//! What the bookkeeping costs once on (`benches/instr.sh`, callgrind instructions per request against the tree
//! before it): a string overwritten by SET pays two size reads and a compare (+2% at -P 1); a write through a
//! write lookup pays a size read when lent, a key copy, and at the settle a table-position check and a second size
//! read (+8% to +19% for INCR, LPUSH, SADD, HSET, ZADD at -P 16). Keeping the counted bin in the entry and reading
//! sizes where the collection types change them would bring the lent writes down to a compare: the way to have
//! it on from the start, as Redis does.
//!
//! Tested by the unit tests below (bins, labels, the lend bookkeeping), by `Db`'s invariant check (the
//! histogram equals a scan, in debug builds: the cron and the tests) and by `tests/operations/keysizes.rs`, the
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
#[inline]
pub fn class_of(e: &Entry) -> Option<Class> {
    let size = e.counted_size()?;
    Some(Class { ty: e.obj_type() as u8, bin: bin(size) })
}

/// The length of an integer's decimal form (a minus sign counts), without formatting it.
#[inline]
pub fn int_len(n: i64) -> usize {
    (n < 0) as usize + 1 + n.unsigned_abs().checked_ilog10().unwrap_or(0) as usize
}

/// The class of a string of `len` bytes.
#[inline]
pub fn string_class(len: usize) -> Option<Class> {
    Some(Class { ty: ObjType::String as u8, bin: bin(len as u64) })
}

/// An entry lent for an in-place change: where its key's bytes are in the lend buffer, where it was in the
/// table (checked against the key before use: a later insert may have moved it), and its class before.
#[derive(Debug, Clone, Copy)]
struct Lent {
    start: u32,
    len: u32,
    pos: Option<Pos>,
    before: Option<Class>,
}

/// One database's histograms and the entries lent for in-place changes not yet counted.
pub struct Keysizes {
    /// Whether the histogram is kept (see "Kept from the first reading on"); off, every method below but
    /// [`Keysizes::start`] does nothing.
    on: bool,
    hist: Box<[[u64; BINS]; TYPES]>,
    /// The lent keys' bytes, back to back (cleared with `lent`, its capacity kept: lending allocates nothing
    /// once warm).
    lent_keys: Vec<u8>,
    lent: Vec<Lent>,
}

impl Default for Keysizes {
    fn default() -> Self {
        Keysizes { on: false, hist: Box::new([[0; BINS]; TYPES]), lent_keys: Vec::new(), lent: Vec::new() }
    }
}

impl Keysizes {
    /// Whether the histogram is kept.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Switches the bookkeeping on with `hist`, a scan of the database's keys ([`Keysizes::scan`]).
    pub fn start(&mut self, hist: Box<[[u64; BINS]; TYPES]>) {
        self.hist = hist;
        self.lent.clear();
        self.lent_keys.clear();
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

    /// Whether some entry is lent and not yet counted again.
    #[inline]
    pub fn has_lent(&self) -> bool {
        !self.lent.is_empty()
    }

    /// Remembers `key`'s class before a change in place (`before`: the entry's class now). A key lent already
    /// keeps its first class, which the histogram still counts.
    #[inline]
    pub fn lend(&mut self, key: &[u8], pos: Option<Pos>, before: Option<Class>) {
        if !self.on || (!self.lent.is_empty() && self.lent_index(key).is_some()) {
            return;
        }
        let start = self.lent_keys.len() as u32;
        self.lent_keys.extend_from_slice(key);
        self.lent.push(Lent { start, len: key.len() as u32, pos, before });
    }

    /// Where `key` is in the lent list.
    #[inline]
    fn lent_index(&self, key: &[u8]) -> Option<usize> {
        self.lent
            .iter()
            .position(|l| self.lent_keys.get(l.start as usize..(l.start + l.len) as usize).is_some_and(|k| k == key))
    }

    /// Takes `key` out of the lent list and returns its class before the change (`Some(None)` for a type not
    /// counted), or `None` when it is not lent.
    #[inline]
    pub fn take_lent(&mut self, key: &[u8]) -> Option<Option<Class>> {
        let i = self.lent_index(key)?;
        let before = self.lent[i].before;
        self.lent.swap_remove(i);
        if self.lent.is_empty() {
            self.lent_keys.clear();
        }
        Some(before)
    }

    /// Empties the lent list, calling `f` with each key and where it was (the database looks the entry up and
    /// returns its class now), and counts the moves.
    #[inline]
    pub fn drain_lent(&mut self, mut f: impl FnMut(&[u8], Option<Pos>) -> Option<Class>) {
        let Keysizes { hist, lent_keys, lent, .. } = self;
        for l in lent.iter() {
            let key = lent_keys.get(l.start as usize..(l.start + l.len) as usize).unwrap_or_default();
            let (from, to) = (l.before, f(key, l.pos));
            if from != to {
                if let Some(c) = from {
                    let n = &mut hist[c.ty as usize][c.bin as usize];
                    debug_assert!(*n > 0, "keysizes: a lent entry was not counted");
                    *n = n.saturating_sub(1);
                }
                if let Some(c) = to {
                    hist[c.ty as usize][c.bin as usize] += 1;
                }
            }
        }
        lent.clear();
        lent_keys.clear();
    }

    /// Forgets every count and lend (a flush); a kept histogram stays kept.
    pub fn clear(&mut self) {
        *self.hist = [[0; BINS]; TYPES];
        self.lent.clear();
        self.lent_keys.clear();
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
        for n in [0i64, 1, 9, 10, 99, 100, -1, -9, -10, 12345, i64::MAX, i64::MIN] {
            assert_eq!(int_len(n), n.to_string().len(), "{n}");
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
    fn a_lend_counts_the_move_once() {
        let mut k = Keysizes::default();
        k.start(Box::new([[0; BINS]; TYPES]));
        let small = Some(Class { ty: 2, bin: 1 });
        let big = Some(Class { ty: 2, bin: 4 });
        k.add(small);
        k.lend(b"s", None, small);
        // Lent again in the same change: the first class is the one counted.
        k.lend(b"s", None, Some(Class { ty: 2, bin: 2 }));
        k.drain_lent(|key, _| {
            assert_eq!(key, b"s");
            big
        });
        assert!(!k.has_lent());
        assert_eq!(k.count(2, 1), 0);
        assert_eq!(k.count(2, 4), 1);
        // A lend taken back before a whole-entry change hands back the class counted.
        k.lend(b"s", None, big);
        k.lend(b"t", None, None);
        assert_eq!(k.take_lent(b"s"), Some(big));
        assert_eq!(k.take_lent(b"s"), None);
        assert_eq!(k.take_lent(b"t"), Some(None));
        assert!(!k.has_lent());
    }
}
