//! Intset: a sorted array of distinct integers stored in the narrowest width (16, 32 or 64 bits) that holds them
//! all; the small encoding of sets whose members are all integers.
//!
//! The set is kept as Redis's own intset blob in one slab buffer ([`SlabBytes`], a 16-byte handle, so a
//! [`Set`](crate::keyspace::types::set::Set) stays 16 bytes and a keyspace [`Value`](crate::keyspace::object::Value)
//! 24):
//!
//! ```text
//!  | width u32 LE (2/4/8) | length u32 LE | member 0 | member 1 | ... |     members little-endian, ascending
//!  width 2: [ 2 | 4 | -5 | 3 | 70 | 900 ]
//!  insert(100000) upgrades every member:
//!  width 4: [ 4 | 5 | -5 | 3 | 70 | 900 | 100000 ]
//! ```
//!
//! Invariants: the buffer is always at least the 8-byte header and exactly `8 + width * length` bytes; strictly
//! ascending; the width is the smallest that fits the largest-magnitude member ever added
//! (like Redis, removing members never downgrades). Lookups are binary searches.
//!
//! [`IntSet::to_redis_bytes`] is therefore a copy of the buffer (Redis's serialized intset, for RDB).
//!
//! Tests: unit tests for upgrades and the byte image; a proptest against a `BTreeSet<i64>`; 100k members.

use crate::alloc::slab::SlabBytes;
use crate::util::Rng;

const HDR: usize = 8;

#[derive(Clone, PartialEq, Eq)]
pub struct IntSet {
    buf: SlabBytes,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::new()
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IntSet(w{})", self.width())?;
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Width in bytes needed for `v`.
#[inline]
fn width_of(v: i64) -> usize {
    if v >= i16::MIN as i64 && v <= i16::MAX as i64 {
        2
    } else if v >= i32::MIN as i64 && v <= i32::MAX as i64 {
        4
    } else {
        8
    }
}

#[inline]
fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Decodes the member of width `w` starting at `b[at]`.
#[inline]
fn read_member(b: &[u8], at: usize, w: usize) -> i64 {
    match w {
        2 => i16::from_le_bytes([b[at], b[at + 1]]) as i64,
        4 => i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as i64,
        _ => {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[at..at + 8]);
            i64::from_le_bytes(x)
        }
    }
}

/// Encodes `x` (which fits width `w`) at `b[at..at + w]`.
#[inline]
fn write_member(b: &mut [u8], at: usize, w: usize, x: i64) {
    match w {
        2 => b[at..at + 2].copy_from_slice(&(x as i16).to_le_bytes()),
        4 => b[at..at + 4].copy_from_slice(&(x as i32).to_le_bytes()),
        _ => b[at..at + 8].copy_from_slice(&x.to_le_bytes()),
    }
}

impl IntSet {
    pub fn new() -> IntSet {
        let mut buf = SlabBytes::with_capacity(HDR);
        buf.extend_from_slice(&2u32.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        IntSet { buf }
    }

    #[inline]
    pub fn len(&self) -> usize {
        read_u32(&self.buf, 4) as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn set_len(&mut self, n: usize) {
        self.buf[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    }

    /// Bytes per member of the current encoding.
    #[inline]
    pub fn width(&self) -> usize {
        read_u32(&self.buf, 0) as usize
    }

    /// Heap bytes in use (for memory accounting).
    pub fn alloc_bytes(&self) -> usize {
        self.buf.capacity()
    }

    #[inline]
    fn search(&self, x: i64) -> Result<usize, usize> {
        let w = self.width();
        if width_of(x) > w {
            // Out of the current range: it would sort before or after everything.
            return Err(if x < 0 { 0 } else { self.len() });
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = read_member(&self.buf, HDR + mid * w, w);
            match m.cmp(&x) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    #[inline]
    pub fn contains(&self, x: i64) -> bool {
        self.search(x).is_ok()
    }

    /// Rewrites every member at width `w` (wider than the current one).
    fn upgrade(&mut self, w: usize) {
        let n = self.len();
        let mut buf = SlabBytes::with_capacity(HDR + (n + 1) * w);
        buf.extend_from_slice(&(w as u32).to_le_bytes());
        buf.extend_from_slice(&(n as u32).to_le_bytes());
        buf.resize(HDR + n * w, 0);
        for (i, x) in self.iter().enumerate() {
            write_member(&mut buf, HDR + i * w, w, x);
        }
        self.buf = buf;
    }

    /// Adds `x`; returns false when it was already there.
    pub fn insert(&mut self, x: i64) -> bool {
        if width_of(x) > self.width() {
            self.upgrade(width_of(x));
        }
        match self.search(x) {
            Ok(_) => false,
            Err(pos) => {
                let w = self.width();
                let n = self.len();
                let at = HDR + pos * w;
                let old_end = HDR + n * w;
                self.buf.resize(old_end + w, 0);
                self.buf.copy_within(at..old_end, at + w);
                write_member(&mut self.buf, at, w, x);
                self.set_len(n + 1);
                true
            }
        }
    }

    /// Removes `x`; returns whether it was there.
    pub fn remove(&mut self, x: i64) -> bool {
        match self.search(x) {
            Ok(pos) => {
                self.remove_at(pos);
                true
            }
            Err(_) => false,
        }
    }

    /// Member at sorted position `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<i64> {
        if i >= self.len() {
            return None;
        }
        let w = self.width();
        Some(read_member(&self.buf, HDR + i * w, w))
    }

    /// Removes and returns the member at position `i`.
    pub fn remove_at(&mut self, i: usize) -> Option<i64> {
        let x = self.get(i)?;
        let w = self.width();
        let n = self.len();
        self.buf.remove_range(HDR + i * w, HDR + (i + 1) * w);
        self.set_len(n - 1);
        Some(x)
    }

    /// A uniformly random member.
    pub fn random(&self, rng: &mut Rng) -> Option<i64> {
        if self.is_empty() {
            return None;
        }
        self.get(rng.below(self.len() as u64) as usize)
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        let w = self.width();
        (0..self.len()).map(move |i| read_member(&self.buf, HDR + i * w, w))
    }

    /// Redis's serialized intset: encoding (u32 LE: 2/4/8), length (u32 LE), members little-endian.
    pub fn to_redis_bytes(&self) -> Vec<u8> {
        self.buf.to_vec()
    }

    /// Parses Redis's serialized intset, checking the encoding, the length and the strict ordering.
    pub fn from_redis_bytes(b: &[u8]) -> Option<IntSet> {
        if b.len() < HDR {
            return None;
        }
        let w = read_u32(b, 0) as usize;
        let n = read_u32(b, 4) as usize;
        if !matches!(w, 2 | 4 | 8) || n.checked_mul(w)?.checked_add(HDR)? != b.len() {
            return None;
        }
        let s = IntSet { buf: SlabBytes::from_slice(b) };
        let sorted = s.iter().zip(s.iter().skip(1)).all(|(a, b)| a < b);
        if sorted {
            Some(s)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn upgrades_and_never_downgrades() {
        let mut s = IntSet::new();
        assert!(s.insert(5));
        assert!(!s.insert(5));
        assert_eq!(s.width(), 2);
        assert!(s.insert(-40000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(1 << 40));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-40000, 5, 1 << 40]);
        assert!(s.remove(1 << 40));
        assert_eq!(s.width(), 8);
        assert!(!s.contains(1 << 40));
        assert!(!s.contains(i64::MIN));
        assert!(s.insert(i64::MIN) && s.insert(i64::MAX));
        assert_eq!(s.get(0), Some(i64::MIN));
        assert_eq!(s.get(s.len() - 1), Some(i64::MAX));
    }

    #[test]
    fn out_of_width_lookups_miss() {
        let mut s = IntSet::new();
        s.insert(1);
        // 65537 truncates to 1 in 16 bits; the width check must stop that.
        assert!(!s.contains(65537));
        assert!(!s.remove(65537));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn byte_image_matches_redis() {
        let mut s = IntSet::new();
        s.insert(3);
        s.insert(-1);
        assert_eq!(s.to_redis_bytes(), vec![2, 0, 0, 0, 2, 0, 0, 0, 0xFF, 0xFF, 3, 0]);
        assert_eq!(IntSet::from_redis_bytes(&s.to_redis_bytes()), Some(s));
        assert_eq!(IntSet::from_redis_bytes(&[2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 3, 0]), None);
        assert_eq!(IntSet::from_redis_bytes(&[3, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(IntSet::from_redis_bytes(&[2, 0, 0, 0, 255, 255, 255, 255]), None);
    }

    #[test]
    fn hundred_thousand_members() {
        let mut s = IntSet::new();
        let mut rng = Rng::new(3);
        let mut model = BTreeSet::new();
        for _ in 0..100_000 {
            let x = (rng.next_u64() % 1_000_000) as i64 - 500_000;
            assert_eq!(s.insert(x), model.insert(x));
        }
        assert!(s.iter().eq(model.iter().copied()));
        assert_eq!(s.width(), 4);
    }

    proptest! {
        #[test]
        fn behaves_like_btreeset(ops in proptest::collection::vec((any::<bool>(), prop_oneof![
            -300i64..300, any::<i16>().prop_map(|x| x as i64), any::<i32>().prop_map(|x| x as i64), any::<i64>()
        ]), 1..200)) {
            let mut s = IntSet::new();
            let mut m = BTreeSet::new();
            for (add, x) in ops {
                if add {
                    prop_assert_eq!(s.insert(x), m.insert(x));
                } else {
                    prop_assert_eq!(s.remove(x), m.remove(&x));
                }
                prop_assert_eq!(s.len(), m.len());
            }
            prop_assert!(s.iter().eq(m.iter().copied()));
            prop_assert!(s.iter().rev().eq(m.iter().rev().copied()));
            for x in &m { prop_assert!(s.contains(*x)); }
        }
    }
}
