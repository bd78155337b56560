//! Quicklist: a list stored as a deque of listpack nodes, each bounded by `list-max-listpack-size`.
//!
//! ```text
//!  nodes: VecDeque<Listpack>
//!  +---------------+   +---------------+   +---------------+
//!  | lp: a b c ... |   | lp: ... x y   |   | lp: z         |     count = total elements
//!  +---------------+   +---------------+   +---------------+
//!   <= fill entries (fill > 0, and <= 8 KiB)  or  <= 4/8/16/32/64 KiB (fill = -1..-5)
//! ```
//!
//! Fill rule (Redis 7.0's `_quicklistNodeAllowInsert`): with a negative fill an element joins a node when the
//! node's bytes plus the element plus 8 bytes of estimated overhead stay within 4 KiB << (-fill - 1); with a
//! positive fill when that estimate stays within the 8 KiB safety limit and the node holds fewer than `fill`
//! entries. An element too large for any node gets a node of its own. Fill is clamped to -5..=32767 as Redis does.
//!
//! Invariants: no node is empty; `count` is the sum of node lengths; every node with more than one entry obeys the
//! fill rule (inserts in the middle and replacements split an oversized node; deletions merge a node into a
//! neighbour when the result fits).
//!
//! `list-compress-depth` is accepted and kept (`compress_depth`), but nodes are never compressed: LZF compression
//! of interior nodes is not implemented, so memory for long lists of compressible values is higher than Redis's
//! with compression enabled. Replies are unaffected.
//!
//! Tests: unit tests of the fill rule at both kinds of limit; a proptest against a `VecDeque<Vec<u8>>` model for
//! push/pop/insert/set/delete/trim/remove operations under several fills, checking the invariants after each step;
//! 100k elements.

use super::listpack::{Listpack, Needle};
use crate::keyspace::object::StrRef;
use std::collections::VecDeque;

const SIZE_SAFETY_LIMIT: usize = 8192;
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Header plus end marker of an empty listpack.
const LP_EMPTY_BYTES: usize = 7;

/// Redis's clamp of `list-max-listpack-size` (`quicklistSetFill`).
pub fn clamp_fill(fill: i64) -> i32 {
    fill.clamp(-5, 32767) as i32
}

/// May an element of `sz` bytes join a node of `node_bytes` bytes holding `node_count` entries?
#[inline]
pub fn allow_insert(fill: i32, node_bytes: usize, node_count: usize, sz: usize) -> bool {
    let new_sz = node_bytes + sz + SIZE_ESTIMATE_OVERHEAD;
    if fill < 0 {
        return new_sz <= OPTIMIZATION_LEVEL[(-fill - 1) as usize];
    }
    new_sz <= SIZE_SAFETY_LIMIT && (node_count as i64) < fill as i64
}

/// Does a node of this size and count respect the fill rule (single-entry nodes always do)?
#[inline]
pub fn node_fits(fill: i32, bytes: usize, count: usize) -> bool {
    if count <= 1 {
        return true;
    }
    if fill < 0 {
        bytes <= OPTIMIZATION_LEVEL[(-fill - 1) as usize]
    } else {
        bytes <= SIZE_SAFETY_LIMIT && count <= fill as usize
    }
}

#[derive(Clone, Debug)]
pub struct Quicklist {
    nodes: VecDeque<Listpack>,
    count: usize,
    fill: i32,
    compress_depth: i32,
}

impl Quicklist {
    pub fn new(fill: i64, compress_depth: i64) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: clamp_fill(fill),
            compress_depth: compress_depth.clamp(0, 1 << 16) as i32,
        }
    }

    /// A quicklist whose first node is `lp` (conversion from the plain listpack encoding).
    pub fn from_listpack(lp: Listpack, fill: i64, compress_depth: i64) -> Quicklist {
        let mut q = Quicklist::new(fill, compress_depth);
        q.count = lp.len();
        if q.count > 0 {
            q.nodes.push_back(lp);
            q.split_if_oversized(0);
        }
        q
    }

    /// Gives back the single node when there is at most one.
    pub fn into_single_listpack(mut self) -> Result<Listpack, Quicklist> {
        match self.nodes.len() {
            0 => Ok(Listpack::new()),
            1 => Ok(self.nodes.pop_front().unwrap_or_default()),
            _ => Err(self),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.count
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn fill(&self) -> i32 {
        self.fill
    }

    pub fn compress_depth(&self) -> i32 {
        self.compress_depth
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Listpack> {
        self.nodes.iter()
    }

    /// Heap bytes held by the nodes (for memory accounting).
    pub fn alloc_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Listpack>()
            + self.nodes.iter().map(|n| n.alloc_bytes()).sum::<usize>()
    }

    /// [`Self::alloc_bytes`] with the nodes' bytes estimated from the first `samples` nodes (MEMORY USAGE).
    pub fn alloc_bytes_sampled(&self, samples: usize) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Listpack>()
            + super::sampled_sum(self.nodes.iter().map(|n| n.alloc_bytes()), self.nodes.len(), samples)
    }

    pub fn push_back(&mut self, v: &[u8]) {
        let fill = self.fill;
        match self.nodes.back_mut() {
            Some(n) if allow_insert(fill, n.bytes(), n.len(), v.len()) => n.push_back(v),
            _ => {
                if let Some(n) = self.nodes.back_mut() {
                    n.shrink_to_fit();
                }
                let mut lp = Listpack::new();
                lp.push_back(v);
                self.nodes.push_back(lp);
            }
        }
        self.count += 1;
    }

    pub fn push_front(&mut self, v: &[u8]) {
        let fill = self.fill;
        match self.nodes.front_mut() {
            Some(n) if allow_insert(fill, n.bytes(), n.len(), v.len()) => n.push_front(v),
            _ => {
                if let Some(n) = self.nodes.front_mut() {
                    n.shrink_to_fit();
                }
                let mut lp = Listpack::new();
                lp.push_back(v);
                self.nodes.push_front(lp);
            }
        }
        self.count += 1;
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let n = self.nodes.front_mut()?;
        let off = n.first()?;
        let v = super::listpack::entry_to_vec(n.get(off));
        n.delete(off);
        if n.is_empty() {
            self.nodes.pop_front();
        }
        self.count -= 1;
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let n = self.nodes.back_mut()?;
        let off = n.last()?;
        let v = super::listpack::entry_to_vec(n.get(off));
        n.delete(off);
        if n.is_empty() {
            self.nodes.pop_back();
        }
        self.count -= 1;
        Some(v)
    }

    /// (node, index within node) of element `index` (< len), walking from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index < self.count / 2 {
            let mut acc = 0;
            for (ni, n) in self.nodes.iter().enumerate() {
                let l = n.len();
                if index < acc + l {
                    return (ni, index - acc);
                }
                acc += l;
            }
        } else {
            let mut acc = self.count;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                let l = n.len();
                acc -= l;
                if index >= acc {
                    return (ni, index - acc);
                }
            }
        }
        (self.nodes.len().saturating_sub(1), 0)
    }

    /// Normalizes a possibly negative index to `0..len`.
    #[inline]
    fn norm(&self, index: i64) -> Option<usize> {
        let len = self.count as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// Element at `index` (negative counts from the end).
    pub fn get(&self, index: i64) -> Option<StrRef<'_>> {
        let i = self.norm(index)?;
        let (ni, k) = self.locate(i);
        self.nodes[ni].get_index(k as i64)
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: i64, v: &[u8]) -> bool {
        let Some(i) = self.norm(index) else { return false };
        let (ni, k) = self.locate(i);
        let n = &mut self.nodes[ni];
        let Some(off) = n.seek(k as i64) else { return false };
        n.replace(off, v);
        self.split_if_oversized(ni);
        true
    }

    /// Inserts `v` so that it becomes element `index` (0..=len).
    pub fn insert(&mut self, index: usize, v: &[u8]) {
        if index == 0 {
            return self.push_front(v);
        }
        if index >= self.count {
            return self.push_back(v);
        }
        let (ni, k) = self.locate(index);
        let fill = self.fill;
        // At a node boundary prefer the tail of the previous node when the target node is full.
        if k == 0 && ni > 0 {
            let n = &self.nodes[ni];
            if !allow_insert(fill, n.bytes(), n.len(), v.len()) {
                let p = &mut self.nodes[ni - 1];
                if allow_insert(fill, p.bytes(), p.len(), v.len()) {
                    p.push_back(v);
                    self.count += 1;
                    return;
                }
            }
        }
        self.nodes[ni].insert_index(k, v);
        self.count += 1;
        self.split_if_oversized(ni);
    }

    /// Splits node `ni` until every piece fits the fill rule.
    fn split_if_oversized(&mut self, ni: usize) {
        let n = &self.nodes[ni];
        if node_fits(self.fill, n.bytes(), n.len()) {
            return;
        }
        // Rebuild this node's entries into as many nodes as the fill rule needs, greedily.
        let old = std::mem::take(&mut self.nodes[ni]);
        let mut pieces: Vec<Listpack> = Vec::new();
        let mut cur = Listpack::new();
        for e in old.iter() {
            let mut b = [0u8; 24];
            let bytes = e.bytes(&mut b);
            if !cur.is_empty() && !allow_insert(self.fill, cur.bytes(), cur.len(), bytes.len()) {
                cur.shrink_to_fit();
                pieces.push(std::mem::take(&mut cur));
            }
            cur.push_back(bytes);
        }
        if !cur.is_empty() {
            cur.shrink_to_fit();
            pieces.push(cur);
        }
        let mut it = pieces.into_iter();
        if let Some(first) = it.next() {
            self.nodes[ni] = first;
        }
        for (k, p) in it.enumerate() {
            self.nodes.insert(ni + 1 + k, p);
        }
    }

    /// Merges node `ni` with its next neighbour when the result fits.
    fn try_merge_with_next(&mut self, ni: usize) -> bool {
        if ni + 1 >= self.nodes.len() {
            return false;
        }
        let (a, b) = (&self.nodes[ni], &self.nodes[ni + 1]);
        let bytes = a.bytes() + b.bytes() - LP_EMPTY_BYTES;
        if !node_fits(self.fill, bytes, a.len() + b.len()) {
            return false;
        }
        let Some(b) = self.nodes.remove(ni + 1) else { return false };
        let a = &mut self.nodes[ni];
        for e in b.iter() {
            let mut buf = [0u8; 24];
            a.push_back(e.bytes(&mut buf));
        }
        a.shrink_to_fit();
        true
    }

    /// Removes node `ni` if it became empty, else tries to merge it with its neighbours.
    fn tidy(&mut self, ni: usize) {
        if ni >= self.nodes.len() {
            return;
        }
        if self.nodes[ni].is_empty() {
            self.nodes.remove(ni);
            if ni > 0 {
                self.try_merge_with_next(ni - 1);
            }
            return;
        }
        self.try_merge_with_next(ni);
        if ni > 0 {
            self.try_merge_with_next(ni - 1);
        }
    }

    /// Deletes `n` elements starting at `start` (clamped).
    pub fn delete_range(&mut self, start: usize, n: usize) {
        if start >= self.count || n == 0 {
            return;
        }
        let mut left = n.min(self.count - start);
        let (mut ni, mut k) = self.locate(start);
        let first_ni = ni;
        while left > 0 && ni < self.nodes.len() {
            let node_len = self.nodes[ni].len();
            let take = left.min(node_len - k);
            if k == 0 && take == node_len {
                self.nodes.remove(ni);
            } else {
                self.nodes[ni].delete_range(k as i64, take);
                ni += 1;
            }
            self.count -= take;
            left -= take;
            k = 0;
        }
        // Only the nodes at the edges of the deleted run (now adjacent) can have shrunk; merge around them.
        let hi = ni.min(self.nodes.len().saturating_sub(1));
        for idx in (first_ni.saturating_sub(1)..=hi).rev() {
            self.tidy(idx);
        }
    }

    /// Keeps elements `start..=end` (already normalized, start <= end < len); LTRIM.
    pub fn retain_range(&mut self, start: usize, end: usize) {
        if start > end || start >= self.count {
            self.nodes.clear();
            self.count = 0;
            return;
        }
        let end = end.min(self.count - 1);
        if end + 1 < self.count {
            let n = self.count - end - 1;
            self.delete_range(end + 1, n);
        }
        self.delete_range(0, start);
    }

    /// All elements, front to back (`.rev()` for back to front).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = StrRef<'_>> + '_ {
        self.nodes.iter().flat_map(|n| n.iter())
    }

    /// Elements from `index` (normalized, < len) onwards, forwards or backwards.
    pub fn iter_from(&self, index: usize, rev: bool) -> Box<dyn Iterator<Item = StrRef<'_>> + '_> {
        if index >= self.count {
            return Box::new(std::iter::empty());
        }
        let (ni, k) = self.locate(index);
        if rev {
            let skip = self.nodes[ni].len() - 1 - k;
            Box::new(self.nodes.range(..=ni).rev().flat_map(|n| n.iter().rev()).skip(skip))
        } else {
            Box::new(self.nodes.range(ni..).flat_map(|n| n.iter()).skip(k))
        }
    }

    /// Visits up to `count` elements from `index` (normalized) towards the tail, without boxing an iterator.
    pub fn for_each_from(&self, index: usize, count: usize, f: &mut impl FnMut(StrRef<'_>)) {
        if index >= self.count || count == 0 {
            return;
        }
        let (ni, k) = self.locate(index);
        let mut left = count;
        for (i, n) in self.nodes.range(ni..).enumerate() {
            let start = if i == 0 { n.seek(k as i64) } else { n.first() };
            let Some(off) = start else { continue };
            left -= n.for_each_from(off, left, f);
            if left == 0 {
                break;
            }
        }
    }

    /// LREM: removes up to `count` elements equal to `v` (all when 0), from the tail when `count < 0`.
    pub fn remove_matching(&mut self, v: &[u8], count: i64) -> usize {
        let needle = Needle::new(v);
        let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
        let mut removed = 0;
        let mut touched: Vec<usize> = Vec::new();
        if count >= 0 {
            for (ni, n) in self.nodes.iter_mut().enumerate() {
                let mut off = n.first();
                let before = removed;
                while let Some(o) = off {
                    if removed == limit {
                        break;
                    }
                    if needle.matches(n.get(o)) {
                        off = n.delete(o);
                        removed += 1;
                    } else {
                        off = n.next(o);
                    }
                }
                if removed != before {
                    touched.push(ni);
                }
                if removed == limit {
                    break;
                }
            }
        } else {
            for (ni, n) in self.nodes.iter_mut().enumerate().rev() {
                let mut off = n.last();
                let before = removed;
                while let Some(o) = off {
                    if removed == limit {
                        break;
                    }
                    let prev = n.prev(o);
                    if needle.matches(n.get(o)) {
                        n.delete(o);
                        removed += 1;
                    }
                    off = prev;
                }
                if removed != before {
                    touched.push(ni);
                }
                if removed == limit {
                    break;
                }
            }
            touched.reverse();
        }
        self.count -= removed;
        match touched.len() {
            0 => {}
            // A few touched nodes: tidy them in place, highest index first so indexes stay valid.
            1..=4 => {
                for &ni in touched.iter().rev() {
                    self.tidy(ni);
                }
            }
            // Many: one linear pass instead of repeated removals from the middle of the deque.
            _ => self.compact(),
        }
        removed
    }

    /// Drops empty nodes and merges neighbours that fit together, in one pass over the deque.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.nodes);
        let mut out: VecDeque<Listpack> = VecDeque::with_capacity(old.len());
        for n in old {
            if n.is_empty() {
                continue;
            }
            if let Some(b) = out.back_mut() {
                if node_fits(self.fill, b.bytes() + n.bytes() - LP_EMPTY_BYTES, b.len() + n.len()) {
                    for e in n.iter() {
                        let mut buf = [0u8; 24];
                        b.push_back(e.bytes(&mut buf));
                    }
                    b.shrink_to_fit();
                    continue;
                }
            }
            out.push_back(n);
        }
        self.nodes = out;
    }

    /// Checks the structural invariants (tests).
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut total = 0;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.is_empty() {
                return Err(format!("node {i} is empty"));
            }
            if !node_fits(self.fill, n.bytes(), n.len()) {
                return Err(format!("node {i} oversized: {} bytes, {} entries", n.bytes(), n.len()));
            }
            if !Listpack::validate(n.as_bytes()) {
                return Err(format!("node {i} is not a valid listpack"));
            }
            total += n.len();
        }
        if total != self.count {
            return Err(format!("count {} != {}", self.count, total));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::types::listpack::entry_to_vec;
    use proptest::prelude::*;

    fn contents(q: &Quicklist) -> Vec<Vec<u8>> {
        q.iter().map(entry_to_vec).collect()
    }

    #[test]
    fn fill_rule_matches_redis() {
        // -2: 8 KiB nodes.
        assert!(allow_insert(-2, 8000, 10, 184));
        assert!(!allow_insert(-2, 8000, 10, 185));
        assert!(allow_insert(-1, 4000, 1, 88));
        assert!(!allow_insert(-1, 4000, 1, 89));
        assert!(allow_insert(-5, 65000, 1, 528));
        // Positive: entry count, plus the 8 KiB safety limit.
        assert!(allow_insert(3, 100, 2, 10));
        assert!(!allow_insert(3, 100, 3, 10));
        assert!(!allow_insert(128, 8000, 1, 200));
        assert!(!allow_insert(0, 7, 0, 1));
        assert_eq!(clamp_fill(-100), -5);
        assert_eq!(clamp_fill(1 << 40), 32767);
    }

    #[test]
    fn nodes_follow_the_fill() {
        let mut q = Quicklist::new(4, 0);
        for i in 0..10 {
            q.push_back(format!("{i}").as_bytes());
        }
        assert_eq!(q.nodes().map(|n| n.len()).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut q = Quicklist::new(-1, 0);
        for _ in 0..100 {
            q.push_back(&[b'x'; 100]);
        }
        q.check_invariants().unwrap();
        assert!(q.nodes().all(|n| n.bytes() <= 4096));
        assert_eq!(q.node_count(), 3);
        // An element bigger than a node gets its own.
        q.push_front(&[b'y'; 10000]);
        q.check_invariants().unwrap();
        assert_eq!(q.nodes().next().map(|n| n.len()), Some(1));
        assert_eq!(q.len(), 101);
    }

    #[test]
    fn middle_operations() {
        let mut q = Quicklist::new(2, 0);
        for i in 0..6 {
            q.push_back(i.to_string().as_bytes());
        }
        q.insert(3, b"x");
        q.insert(2, b"y");
        q.check_invariants().unwrap();
        assert_eq!(contents(&q), ["0", "1", "y", "2", "x", "3", "4", "5"].map(|s| s.as_bytes().to_vec()));
        assert!(q.set(-1, b"last"));
        assert!(!q.set(8, b"nope"));
        assert!(!q.set(-9, b"nope"));
        assert_eq!(q.get(-1).map(entry_to_vec), Some(b"last".to_vec()));
        assert_eq!(q.get(i64::MIN), None);
        q.delete_range(1, 5);
        q.check_invariants().unwrap();
        assert_eq!(contents(&q), ["0", "4", "last"].map(|s| s.as_bytes().to_vec()));
        let rev: Vec<Vec<u8>> = q.iter_from(1, true).map(entry_to_vec).collect();
        assert_eq!(rev, vec![b"4".to_vec(), b"0".to_vec()]);
    }

    #[test]
    fn hundred_thousand_elements() {
        let mut q = Quicklist::new(-2, 0);
        for i in 0..100_000 {
            if i % 2 == 0 {
                q.push_back(format!("v{i}").as_bytes());
            } else {
                q.push_front(format!("{i}").as_bytes());
            }
        }
        q.check_invariants().unwrap();
        assert_eq!(q.len(), 100_000);
        assert_eq!(q.get(0).map(entry_to_vec), Some(b"99999".to_vec()));
        assert_eq!(q.get(-1).map(entry_to_vec), Some(b"v99998".to_vec()));
        assert_eq!(q.remove_matching(b"v50000", 0), 1);
        q.retain_range(1000, 98_000);
        q.check_invariants().unwrap();
        assert_eq!(q.len(), 97_001);
        assert_eq!(q.iter().count(), 97_001);
        assert_eq!(q.iter().rev().count(), 97_001);
    }

    #[derive(Debug, Clone)]
    enum Op {
        PushBack(Vec<u8>),
        PushFront(Vec<u8>),
        PopFront,
        PopBack,
        Insert(usize, Vec<u8>),
        Set(i64, Vec<u8>),
        Delete(usize, usize),
        Trim(usize, usize),
        Rem(Vec<u8>, i64),
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => (0u8..5).prop_map(|x| vec![b'a' + x]),
            2 => (-3i64..3).prop_map(|n| n.to_string().into_bytes()),
            1 => (100usize..3000).prop_map(|n| vec![b'z'; n]),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => value().prop_map(Op::PushBack),
            4 => value().prop_map(Op::PushFront),
            1 => Just(Op::PopFront),
            1 => Just(Op::PopBack),
            3 => (any::<usize>(), value()).prop_map(|(i, v)| Op::Insert(i, v)),
            2 => (-40i64..40, value()).prop_map(|(i, v)| Op::Set(i, v)),
            1 => (any::<usize>(), 0usize..8).prop_map(|(i, n)| Op::Delete(i, n)),
            1 => (0usize..10, 0usize..60).prop_map(|(a, b)| Op::Trim(a, b)),
            1 => (value(), -3i64..3).prop_map(|(v, c)| Op::Rem(v, c)),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_deque(fill in prop_oneof![Just(-1i64), Just(-2), Just(1), Just(2), Just(3), Just(5), Just(0)],
                                ops in proptest::collection::vec(op(), 1..120)) {
            let mut q = Quicklist::new(fill, 0);
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::PushBack(v) => { q.push_back(&v); m.push_back(v); }
                    Op::PushFront(v) => { q.push_front(&v); m.push_front(v); }
                    Op::PopFront => prop_assert_eq!(q.pop_front(), m.pop_front()),
                    Op::PopBack => prop_assert_eq!(q.pop_back(), m.pop_back()),
                    Op::Insert(i, v) => { let i = i % (m.len() + 1); q.insert(i, &v); m.insert(i, v); }
                    Op::Set(i, v) => {
                        let len = m.len() as i64;
                        let idx = if i < 0 { len + i } else { i };
                        let ok = (0..len).contains(&idx);
                        prop_assert_eq!(q.set(i, &v), ok);
                        if ok { m[idx as usize] = v; }
                    }
                    Op::Delete(i, n) => {
                        if !m.is_empty() {
                            let i = i % m.len();
                            q.delete_range(i, n);
                            let end = (i + n).min(m.len());
                            m.drain(i..end);
                        }
                    }
                    Op::Trim(a, b) => {
                        q.retain_range(a, b);
                        let kept: VecDeque<Vec<u8>> = if a > b { VecDeque::new() } else { m.iter().skip(a).take(b + 1 - a).cloned().collect() };
                        m = kept;
                    }
                    Op::Rem(v, c) => {
                        let limit = if c == 0 { usize::MAX } else { c.unsigned_abs() as usize };
                        let mut idx: Vec<usize> = m.iter().enumerate().filter(|(_, x)| **x == v).map(|(i, _)| i).collect();
                        if c < 0 { idx.reverse(); }
                        idx.truncate(limit);
                        idx.sort_unstable();
                        for &i in idx.iter().rev() { m.remove(i); }
                        prop_assert_eq!(q.remove_matching(&v, c), idx.len());
                    }
                }
                prop_assert!(q.check_invariants().is_ok(), "{:?}", q.check_invariants());
                prop_assert_eq!(contents(&q), m.iter().cloned().collect::<Vec<_>>());
            }
            let back: Vec<Vec<u8>> = q.iter().rev().map(entry_to_vec).collect();
            prop_assert_eq!(back, m.iter().rev().cloned().collect::<Vec<_>>());
            for i in 0..m.len() {
                prop_assert_eq!(q.get(i as i64).map(entry_to_vec), Some(m[i].clone()));
                let fwd: Vec<Vec<u8>> = q.iter_from(i, false).map(entry_to_vec).collect();
                prop_assert_eq!(fwd, m.iter().skip(i).cloned().collect::<Vec<_>>());
                let rev: Vec<Vec<u8>> = q.iter_from(i, true).map(entry_to_vec).collect();
                prop_assert_eq!(rev, m.iter().take(i + 1).rev().cloned().collect::<Vec<_>>());
            }
        }
    }
}
