//! Count-Min sketch, as RedisBloom 2.8's (`cms.c`): `depth` rows of `width` 32-bit counters; row `i` counts an
//! item at `MurmurHash2(item, seed = i) % width`. INCRBY adds to one counter per row and answers the smallest
//! (a counter that would pass [`u32::MAX`] sticks there and the answer is an overflow error); QUERY answers the
//! smallest of the item's counters; MERGE sums sketches of the same dimensions, times their weights, refusing any
//! counter that would leave `0..=u32::MAX`.
//!
//! ```text
//!  Cms { width, depth, counter, array: [u32; width * depth] }   row-major: row i at array[i * width ..]
//! ```
//!
//! Invariant: `array.len() == width * depth`, both at least 1. Tested by the unit tests below and against
//! RedisBloom in `tests/types/probabilistic.rs`.

use super::bloom::murmur2;
use super::FastMod;

/// A Count-Min sketch (RedisBloom's `CMSketch`), the value of a `CMSk-TYPE` key.
#[derive(Clone, Debug, PartialEq)]
pub struct Cms {
    pub width: u64,
    pub depth: u64,
    /// The total of every increment (wrapping, as RedisBloom's `size_t`).
    pub counter: u64,
    pub array: Vec<u32>,
    /// [`FastMod`] by `width`, made once.
    modw: FastMod,
}

/// A merge that would take a counter or the total out of range (`CMS: MERGE overflow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergeOverflow;

/// Why a sketch was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MakeError {
    /// `width * depth` counters overflow a size.
    Overflow,
    /// More memory than a value may take, or than there is.
    Memory,
}

/// `CMS_DimFromProb`: width and depth for an overestimation and a probability (the depth computed in `float`, as
/// RedisBloom's `log10f` does).
pub fn dims_from_prob(error: f64, delta: f64) -> (u64, u64) {
    let width = (2.0 / error).ceil() as u64;
    let depth = ((delta as f32).log10() / 0.5f32.log10()).ceil() as u64;
    (width, depth)
}

impl Cms {
    pub fn new(width: u64, depth: u64) -> Result<Cms, MakeError> {
        let n = width.checked_mul(depth).ok_or(MakeError::Overflow)?;
        let bytes = n.checked_mul(4).ok_or(MakeError::Overflow)?;
        if bytes > super::MAX_ALLOC_BYTES {
            return Err(MakeError::Memory);
        }
        let mut array = Vec::new();
        array.try_reserve_exact(n as usize).map_err(|_| MakeError::Memory)?;
        array.resize(n as usize, 0);
        Ok(Cms { width, depth, counter: 0, array, modw: FastMod::new(width) })
    }

    #[inline]
    fn slot(&self, item: &[u8], row: u64) -> usize {
        let h = murmur2(item, row as u32);
        (self.modw.of(h) + row.wrapping_mul(self.width)) as usize
    }

    /// `CMS_IncrBy`: the item's new estimate ([`u32::MAX`] means overflow).
    pub fn incr_by(&mut self, item: &[u8], value: u64) -> u64 {
        let mut min = u64::MAX;
        for row in 0..self.depth {
            let at = self.slot(item, row);
            let Some(c) = self.array.get_mut(at) else { continue };
            *c = (*c as u64).wrapping_add(value) as u32;
            if (*c as u64) < value {
                *c = u32::MAX;
            }
            min = min.min(*c as u64);
        }
        self.counter = self.counter.wrapping_add(value);
        min
    }

    /// `CMS_Query`.
    pub fn query(&self, item: &[u8]) -> u64 {
        (0..self.depth)
            .map(|row| self.array.get(self.slot(item, row)).map_or(0, |&c| c as u64))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// `CMS_Merge`: this sketch becomes the weighted sum of `src` (same dimensions, checked by the caller), or
    /// `Err` (and no change) when a counter or the total would overflow.
    pub fn merge(&mut self, src: &[&Cms], weights: &[i64]) -> Result<(), MergeOverflow> {
        let cells = self.array.len();
        let mut out = Vec::new();
        out.try_reserve_exact(cells).map_err(|_| MergeOverflow)?;
        for j in 0..cells {
            let mut sum: i64 = 0;
            for (s, &w) in src.iter().zip(weights) {
                let v = *s.array.get(j).ok_or(MergeOverflow)? as i64;
                sum = sum.checked_add(v.checked_mul(w).ok_or(MergeOverflow)?).ok_or(MergeOverflow)?;
            }
            if sum < 0 || sum > u32::MAX as i64 {
                return Err(MergeOverflow);
            }
            out.push(sum as u32);
        }
        let mut total: i64 = 0;
        for (s, &w) in src.iter().zip(weights) {
            let m = (s.counter as i128) * (w as i128);
            let m = i64::try_from(m).map_err(|_| MergeOverflow)?;
            total = total.checked_add(m).ok_or(MergeOverflow)?;
        }
        if total < 0 {
            return Err(MergeOverflow);
        }
        self.array = out;
        self.counter = total as u64;
        Ok(())
    }

    /// RedisBloom's `CMSMemUsage` (it counts 8 bytes a counter).
    pub fn mem_usage(&self) -> usize {
        8usize.saturating_add((self.width.saturating_mul(self.depth).saturating_mul(8)) as usize)
    }

    /// Whether a sketch read from outside keeps the invariant.
    pub fn valid(&self) -> bool {
        self.width >= 1 && self.depth >= 1 && self.width.checked_mul(self.depth) == Some(self.array.len() as u64)
    }
}

impl Cms {
    /// `CMSRdbSave`.
    pub fn save(&self, out: &mut dyn super::ModuleOut) {
        out.unsigned(self.width);
        out.unsigned(self.depth);
        out.unsigned(self.counter);
        let mut bytes = Vec::with_capacity(self.array.len() * 4);
        for c in &self.array {
            bytes.extend_from_slice(&c.to_le_bytes());
        }
        out.string(&bytes);
    }

    /// `CMSRdbLoad` (encoding version 0), refusing a counter array of the wrong size.
    pub fn load(input: &mut dyn super::ModuleIn, encver: u64) -> Option<Cms> {
        if encver > 0 {
            return None;
        }
        let width = input.unsigned()?;
        let depth = input.unsigned()?;
        let counter = input.unsigned()?;
        let bytes = input.string()?;
        if bytes.len() % 4 != 0 {
            return None;
        }
        let array = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let c = Cms { width, depth, counter, array, modw: FastMod::new(width) };
        c.valid().then_some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_match_redisbloom() {
        // CMS.INITBYPROB k 0.001 0.01 -> width 2000, depth 7 (CMS.INFO on RedisBloom 2.8.2).
        assert_eq!(dims_from_prob(0.001, 0.01), (2000, 7));
        assert_eq!(dims_from_prob(0.01, 0.5), (200, 1));
    }

    #[test]
    fn incr_query_merge() {
        let mut a = Cms::new(100, 5).unwrap();
        assert_eq!(a.incr_by(b"x", 3), 3);
        assert_eq!(a.incr_by(b"x", 4), 7);
        assert_eq!(a.query(b"x"), 7);
        assert_eq!(a.query(b"nope"), 0);
        assert_eq!(a.incr_by(b"y", u32::MAX as u64), u32::MAX as u64);
        let b = a.clone();
        let mut d = Cms::new(100, 5).unwrap();
        d.merge(&[&a, &b], &[1, 1]).unwrap_err();
        let mut c = Cms::new(100, 5).unwrap();
        c.incr_by(b"x", 2);
        d.merge(&[&c, &c], &[2, -1]).unwrap();
        assert_eq!(d.query(b"x"), 2);
        assert_eq!(d.counter, 2);
        assert_eq!(Cms::new(u64::MAX, 2), Err(MakeError::Overflow));
        assert_eq!(Cms::new(1 << 40, 1), Err(MakeError::Memory));
    }
}
