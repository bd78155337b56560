//! Intset: a sorted array of distinct integers stored in the narrowest width (16, 32 or 64 bits) that holds them
//! all; the small encoding of sets whose members are all integers.
//!
//! ```text
//!  IntSet::I16 -> [ -5 | 3 | 70 | 900 ]        2 bytes per member
//!  add(100000) upgrades every member:
//!  IntSet::I32 -> [ -5 | 3 | 70 | 900 | 100000 ]   4 bytes per member
//! ```
//!
//! Invariants: strictly ascending; the width is the smallest that fits the largest-magnitude member ever added
//! (like Redis, removing members never downgrades). Lookups are binary searches.
//!
//! [`IntSet::to_redis_bytes`] produces Redis's serialized intset (u32 encoding, u32 length, little-endian members)
//! for RDB.
//!
//! Tests: unit tests for upgrades and the byte image; a proptest against a `BTreeSet<i64>`; 100k members.

use crate::util::Rng;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntSet {
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::new()
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

macro_rules! each {
    ($s:expr, $v:ident => $e:expr) => {
        match $s {
            IntSet::I16($v) => $e,
            IntSet::I32($v) => $e,
            IntSet::I64($v) => $e,
        }
    };
}

impl IntSet {
    pub fn new() -> IntSet {
        IntSet::I16(Vec::new())
    }

    #[inline]
    pub fn len(&self) -> usize {
        each!(self, v => v.len())
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per member of the current encoding.
    pub fn width(&self) -> usize {
        match self {
            IntSet::I16(_) => 2,
            IntSet::I32(_) => 4,
            IntSet::I64(_) => 8,
        }
    }

    /// Heap bytes in use (for memory accounting).
    pub fn alloc_bytes(&self) -> usize {
        each!(self, v => v.capacity() * self.width())
    }

    #[inline]
    fn search(&self, x: i64) -> Result<usize, usize> {
        if width_of(x) > self.width() {
            // Out of the current range: it would sort before or after everything.
            return Err(if x < 0 { 0 } else { self.len() });
        }
        match self {
            IntSet::I16(v) => v.binary_search(&(x as i16)),
            IntSet::I32(v) => v.binary_search(&(x as i32)),
            IntSet::I64(v) => v.binary_search(&x),
        }
    }

    #[inline]
    pub fn contains(&self, x: i64) -> bool {
        self.search(x).is_ok()
    }

    fn upgrade(&mut self, w: usize) {
        let all: Vec<i64> = self.iter().collect();
        *self = match w {
            4 => IntSet::I32(all.iter().map(|&x| x as i32).collect()),
            _ => IntSet::I64(all),
        };
    }

    /// Adds `x`; returns false when it was already there.
    pub fn insert(&mut self, x: i64) -> bool {
        let w = width_of(x);
        if w > self.width() {
            self.upgrade(w);
        }
        match self.search(x) {
            Ok(_) => false,
            Err(pos) => {
                match self {
                    IntSet::I16(v) => v.insert(pos, x as i16),
                    IntSet::I32(v) => v.insert(pos, x as i32),
                    IntSet::I64(v) => v.insert(pos, x),
                }
                true
            }
        }
    }

    /// Removes `x`; returns whether it was there.
    pub fn remove(&mut self, x: i64) -> bool {
        match self.search(x) {
            Ok(pos) => {
                each!(self, v => { v.remove(pos); });
                true
            }
            Err(_) => false,
        }
    }

    /// Member at sorted position `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            IntSet::I16(v) => v.get(i).map(|&x| x as i64),
            IntSet::I32(v) => v.get(i).map(|&x| x as i64),
            IntSet::I64(v) => v.get(i).copied(),
        }
    }

    /// Removes and returns the member at position `i`.
    pub fn remove_at(&mut self, i: usize) -> Option<i64> {
        if i >= self.len() {
            return None;
        }
        Some(match self {
            IntSet::I16(v) => v.remove(i) as i64,
            IntSet::I32(v) => v.remove(i) as i64,
            IntSet::I64(v) => v.remove(i),
        })
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
        (0..self.len()).map(move |i| self.get(i).unwrap_or(0))
    }

    /// Redis's serialized intset: encoding (u32 LE: 2/4/8), length (u32 LE), members little-endian.
    pub fn to_redis_bytes(&self) -> Vec<u8> {
        let w = self.width();
        let mut out = Vec::with_capacity(8 + w * self.len());
        out.extend_from_slice(&(w as u32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        match self {
            IntSet::I16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            IntSet::I32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            IntSet::I64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        }
        out
    }

    /// Parses Redis's serialized intset, checking the encoding, the length and the strict ordering.
    pub fn from_redis_bytes(b: &[u8]) -> Option<IntSet> {
        if b.len() < 8 {
            return None;
        }
        let w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let n = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        if !matches!(w, 2 | 4 | 8) || n.checked_mul(w)?.checked_add(8)? != b.len() {
            return None;
        }
        let body = &b[8..];
        let s = match w {
            2 => IntSet::I16(body.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()),
            4 => IntSet::I32(body.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
            _ => IntSet::I64(
                body.chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            ),
        };
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
