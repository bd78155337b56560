//! List value: one listpack while the list fits in a single quicklist node, a quicklist beyond.
//!
//! ```text
//!  List::ListPack(Listpack)          | hdr | e0 | e1 | ... | 0xFF |      one allocation for a small list
//!  List::QuickList(Box<Quicklist>)   [lp] <-> [lp] <-> [lp]            nodes bounded by list-max-listpack-size
//! ```
//!
//! Redis 7.0 itself always uses a quicklist and `OBJECT ENCODING` answers "quicklist" for every list, so
//! [`List::encoding`] reports `quicklist` in both variants; the single-listpack variant is our memory optimisation
//! (it is what Redis 7.2 later adopted, with its conversion rules): convert to a quicklist when an insertion would
//! not be allowed into a node of `list-max-listpack-size`, and back when a quicklist is down to one node at most
//! half full (the hysteresis avoids flapping). [`List::internal_encoding`] tells the variants apart for tests and
//! DEBUG-style introspection.
//!
//! Index arguments follow Redis: negative indexes count from the tail; ranges are clamped the way LRANGE and
//! LTRIM clamp them.
//!
//! Tests: unit tests of LRANGE/LTRIM clamping, LPOS rank/count/maxlen, LINSERT, conversions in both directions at
//! the fill limits; a proptest against a `VecDeque` model under several fills; 100k elements.

use super::listpack::{Listpack, Needle};
use super::quicklist::{allow_insert, clamp_fill, node_fits, ListItem, Quicklist};
use super::Thresholds;
use super::{Encoding, StrRef};

pub enum List {
    ListPack(Listpack),
    QuickList(Box<Quicklist>),
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl std::fmt::Debug for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        for e in self.iter() {
            l.entry(&String::from_utf8_lossy(&e.to_vec()));
        }
        l.finish()
    }
}

/// LRANGE's clamping of `start..=end` against `len`; None when the range is empty.
pub fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len.saturating_add(start) } else { start };
    let mut end = if end < 0 { len.saturating_add(end) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

impl List {
    pub fn new() -> List {
        List::ListPack(Listpack::new())
    }

    /// What `OBJECT ENCODING` reports: Redis 7.0 says "quicklist" for every list.
    pub fn encoding(&self) -> Encoding {
        Encoding::QuickList
    }

    /// The representation actually in use.
    pub fn internal_encoding(&self) -> Encoding {
        match self {
            List::ListPack(_) => Encoding::ListPack,
            List::QuickList(_) => Encoding::QuickList,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            List::ListPack(lp) => lp.len(),
            List::QuickList(q) => q.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held (for memory accounting).
    pub fn alloc_bytes(&self) -> usize {
        match self {
            List::ListPack(lp) => lp.alloc_bytes(),
            List::QuickList(q) => std::mem::size_of::<Quicklist>() + q.alloc_bytes(),
        }
    }

    fn convert_to_quicklist(&mut self, th: &Thresholds) {
        if let List::ListPack(lp) = self {
            let lp = std::mem::take(lp);
            *self = List::QuickList(Box::new(Quicklist::from_listpack(
                lp,
                th.list_max_listpack_size,
                th.list_compress_depth,
            )));
        }
    }

    /// Converts to the listpack variant for `add_bytes` more bytes in `add` more entries, if they do not fit.
    fn grow_check(&mut self, add_bytes: usize, th: &Thresholds) {
        if let List::ListPack(lp) = self {
            if !allow_insert(clamp_fill(th.list_max_listpack_size), lp.bytes(), lp.len(), add_bytes) {
                self.convert_to_quicklist(th);
            }
        }
    }

    /// Back to a single listpack once the quicklist has at most one node that is at most half full.
    fn shrink_check(&mut self) {
        if let List::QuickList(q) = self {
            if q.node_count() > 1 {
                return;
            }
            let fill = q.fill();
            let fits = q.nodes().next().is_none_or(|n| node_fits(fill, n.sz() * 2, n.count() * 2));
            if fits {
                let q = std::mem::replace(q, Box::new(Quicklist::new(-2, 0)));
                if let Ok(lp) = q.into_single_listpack() {
                    *self = List::ListPack(lp);
                }
            }
        }
    }

    /// LPUSH (`front`) / RPUSH of one element.
    pub fn push(&mut self, v: &[u8], front: bool, th: &Thresholds) {
        self.grow_check(v.len(), th);
        match self {
            List::ListPack(lp) if front => lp.push_front(v),
            List::ListPack(lp) => lp.push_back(v),
            List::QuickList(q) if front => q.push_front(v),
            List::QuickList(q) => q.push_back(v),
        }
    }

    /// LPOP (`front`) / RPOP of one element.
    pub fn pop(&mut self, front: bool) -> Option<Vec<u8>> {
        let v = match self {
            List::ListPack(lp) => {
                let off = if front { lp.first()? } else { lp.last()? };
                let v = super::listpack::entry_to_vec(lp.get(off));
                lp.delete(off);
                Some(v)
            }
            List::QuickList(q) => {
                if front {
                    q.pop_front()
                } else {
                    q.pop_back()
                }
            }
        };
        self.shrink_check();
        v
    }

    /// LINDEX.
    pub fn get(&self, index: i64) -> Option<ListItem<'_>> {
        match self {
            List::ListPack(lp) => lp.get_index(index).map(ListItem::Ref),
            List::QuickList(q) => q.get(index),
        }
    }

    /// LSET; false when the index is out of range.
    pub fn set(&mut self, index: i64, v: &[u8], th: &Thresholds) -> bool {
        match self {
            List::ListPack(lp) => {
                let Some(off) = lp.seek(index) else { return false };
                lp.replace(off, v);
                if !node_fits(clamp_fill(th.list_max_listpack_size), lp.bytes(), lp.len()) {
                    self.convert_to_quicklist(th);
                }
                true
            }
            List::QuickList(q) => q.set(index, v),
        }
    }

    /// Inserts `v` so that it becomes element `index` (0..=len).
    pub fn insert(&mut self, index: usize, v: &[u8], th: &Thresholds) {
        self.grow_check(v.len(), th);
        match self {
            List::ListPack(lp) => {
                lp.insert_index(index, v);
            }
            List::QuickList(q) => q.insert(index, v),
        }
    }

    /// LINSERT: inserts `v` before/after the first element equal to `pivot`; false when there is none.
    pub fn insert_pivot(&mut self, pivot: &[u8], v: &[u8], before: bool, th: &Thresholds) -> bool {
        let needle = Needle::new(pivot);
        let Some(pos) = self.position(false, |e| needle.matches(e)) else { return false };
        self.insert(if before { pos } else { pos + 1 }, v, th);
        true
    }

    /// LREM: removes up to |count| elements equal to `v` (all when 0), scanning from the tail when negative.
    pub fn remove_matching(&mut self, v: &[u8], count: i64) -> usize {
        let n = match self {
            List::ListPack(lp) => {
                let needle = Needle::new(v);
                let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
                lp.remove_matching(&needle, count < 0, limit)
            }
            List::QuickList(q) => q.remove_matching(v, count),
        };
        self.shrink_check();
        n
    }

    /// LTRIM with Redis's index normalization.
    pub fn trim(&mut self, start: i64, end: i64) {
        match clamp_range(start, end, self.len()) {
            None => *self = List::new(),
            Some((s, e)) => {
                match self {
                    List::ListPack(lp) => lp.retain_range(s, e),
                    List::QuickList(q) => q.retain_range(s, e),
                }
                self.shrink_check();
            }
        }
    }

    /// Deletes `n` elements from `start` (clamped); used by LMPOP/LPOP with a count on the caller's side.
    pub fn delete_range(&mut self, start: usize, n: usize) {
        match self {
            List::ListPack(lp) => lp.delete_range(start as i64, n),
            List::QuickList(q) => q.delete_range(start, n),
        }
        self.shrink_check();
    }

    /// LRANGE: elements `start..=end` after Redis's clamping.
    pub fn range(&self, start: i64, end: i64) -> Box<dyn Iterator<Item = ListItem<'_>> + '_> {
        let Some((s, e)) = clamp_range(start, end, self.len()) else { return Box::new(std::iter::empty()) };
        self.iter_from(s, false).take_n(e - s + 1)
    }

    /// Elements from index `start` (< len) forwards, or backwards when `rev`.
    pub fn iter_from(&self, start: usize, rev: bool) -> Box<dyn Iterator<Item = ListItem<'_>> + '_> {
        match self {
            List::ListPack(lp) => {
                if start >= lp.len() {
                    return Box::new(std::iter::empty());
                }
                if rev {
                    let skip = lp.len() - 1 - start;
                    Box::new(lp.iter().rev().skip(skip).map(ListItem::Ref))
                } else {
                    let off = lp.seek(start as i64);
                    Box::new(std::iter::successors(off, move |&o| lp.next(o)).map(move |o| ListItem::Ref(lp.get(o))))
                }
            }
            List::QuickList(q) => q.iter_from(start, rev),
        }
    }

    /// Visits up to `count` elements from index `start` (normalized) towards the tail: LRANGE's loop, without the
    /// boxed iterator chain of `iter_from`.
    pub fn for_each_range(&self, start: usize, count: usize, mut f: impl FnMut(StrRef<'_>)) {
        match self {
            List::ListPack(lp) => {
                if count == 0 {
                    return;
                }
                if let Some(off) = lp.seek(start as i64) {
                    lp.for_each_from(off, count, &mut f);
                }
            }
            List::QuickList(q) => q.for_each_from(start, count, &mut f),
        }
    }

    /// All elements head to tail (`.rev()` for tail to head).
    pub fn iter(&self) -> Box<dyn DoubleEndedIterator<Item = ListItem<'_>> + '_> {
        match self {
            List::ListPack(lp) => Box::new(lp.iter().map(ListItem::Ref)),
            List::QuickList(q) => Box::new(q.iter()),
        }
    }

    /// LPOS: indexes of elements equal to `v`. `rank` (non-zero) skips |rank|-1 matches, scanning from the tail
    /// when negative; `count` is the number of matches wanted (0 = all); `maxlen` caps the elements compared
    /// (0 = no cap).
    pub fn positions(&self, v: &[u8], rank: i64, count: usize, maxlen: usize) -> Vec<usize> {
        let needle = Needle::new(v);
        let len = self.len();
        let mut skip = rank.unsigned_abs().saturating_sub(1);
        let want = if count == 0 { usize::MAX } else { count };
        let cap = if maxlen == 0 { usize::MAX } else { maxlen };
        let mut out = Vec::new();
        let mut k = 0;
        self.visit(rank < 0, &mut |e| {
            if k == cap {
                return false;
            }
            k += 1;
            if needle.matches(e) {
                if skip > 0 {
                    skip -= 1;
                    return true;
                }
                out.push(if rank < 0 { len - k } else { k - 1 });
                if out.len() >= want {
                    return false;
                }
            }
            true
        });
        out
    }

    /// Index of the first element (from the tail when `rev`, counted from there) for which `f` holds.
    pub fn position(&self, rev: bool, mut f: impl FnMut(StrRef<'_>) -> bool) -> Option<usize> {
        let mut k = 0;
        let mut found = false;
        self.visit(rev, &mut |e| {
            found = f(e);
            k += usize::from(!found);
            !found
        });
        found.then_some(k)
    }

    /// Visits elements from the head (or the tail when `rev`) until `f` returns false, without copying elements
    /// out of compressed nodes.
    pub fn visit(&self, rev: bool, f: &mut impl FnMut(StrRef<'_>) -> bool) {
        match self {
            List::ListPack(lp) if rev => {
                lp.iter().rev().all(f);
            }
            List::ListPack(lp) => {
                lp.iter().all(f);
            }
            List::QuickList(q) => q.visit(rev, f),
        }
    }
}

/// `take` that keeps the boxed iterator type.
trait TakeN<'a> {
    fn take_n(self, n: usize) -> Box<dyn Iterator<Item = ListItem<'a>> + 'a>;
}

impl<'a> TakeN<'a> for Box<dyn Iterator<Item = ListItem<'a>> + 'a> {
    fn take_n(self, n: usize) -> Box<dyn Iterator<Item = ListItem<'a>> + 'a> {
        Box::new(self.take(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    fn contents(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    fn th(fill: i64) -> Thresholds {
        Thresholds { list_max_listpack_size: fill, ..Thresholds::default() }
    }

    fn from(items: &[&str], t: &Thresholds) -> List {
        let mut l = List::new();
        for i in items {
            l.push(i.as_bytes(), false, t);
        }
        l
    }

    #[test]
    fn clamping_matches_lrange() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(clamp_range(3, 1, 5), None);
        assert_eq!(clamp_range(5, 10, 5), None);
        assert_eq!(clamp_range(-2, -1, 5), Some((3, 4)));
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
        assert_eq!(clamp_range(0, -1, 0), None);
        assert_eq!(clamp_range(-6, -6, 5), None);
    }

    #[test]
    fn for_each_range_matches_iter_from_in_both_encodings() {
        // Fill 4 gives a multi-node quicklist; fill 1000 keeps one listpack. Values mix ints and strings.
        for fill in [4, 1000] {
            let t = th(fill);
            let items: Vec<String> =
                (0..23).map(|i| if i % 3 == 0 { format!("{}", i * 1000) } else { format!("v{i}") }).collect();
            let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
            let l = from(&refs, &t);
            for start in 0..l.len() {
                for count in [0, 1, 3, 4, 5, 9, 23, 100] {
                    let mut got = Vec::new();
                    l.for_each_range(start, count, |e| got.push(e.to_vec()));
                    let want: Vec<Vec<u8>> = l.iter_from(start, false).take(count).map(|e| e.to_vec()).collect();
                    assert_eq!(got, want, "fill {fill} start {start} count {count}");
                }
            }
        }
    }

    #[test]
    fn converts_both_ways_at_the_fill() {
        let t = th(4);
        let mut l = from(&["a", "b", "c", "d"], &t);
        assert_eq!(l.internal_encoding(), Encoding::ListPack);
        assert_eq!(l.encoding(), Encoding::QuickList);
        l.push(b"e", true, &t);
        assert_eq!(l.internal_encoding(), Encoding::QuickList);
        assert_eq!(contents(&l), ["e", "a", "b", "c", "d"].map(|s| s.as_bytes().to_vec()));
        // Down to one node holding 3 of 4: not half full yet.
        l.pop(true);
        l.pop(false);
        assert_eq!(l.len(), 3);
        while l.len() > 2 {
            l.pop(true);
        }
        assert_eq!(l.internal_encoding(), Encoding::ListPack);
        assert_eq!(contents(&l), ["b", "c"].map(|s| s.as_bytes().to_vec()));

        // Size-based fill: 4 KiB.
        let t = th(-1);
        let mut l = List::new();
        for _ in 0..39 {
            l.push(&[b'x'; 100], false, &t);
        }
        assert_eq!(l.internal_encoding(), Encoding::ListPack);
        l.push(&[b'x'; 100], false, &t);
        assert_eq!(l.internal_encoding(), Encoding::QuickList);
        // LSET growing a small list past the limit converts too.
        let mut l = from(&["a", "b"], &t);
        assert!(l.set(0, &[b'y'; 5000], &t));
        assert_eq!(l.internal_encoding(), Encoding::QuickList);
        assert_eq!(l.get(0).map(|e| e.to_vec()), Some(vec![b'y'; 5000]));
    }

    #[test]
    fn lpos_lrem_linsert_ltrim() {
        let t = th(-2);
        for fill in [-2i64, 2] {
            let t2 = th(fill);
            let l0 = from(&["a", "b", "c", "1", "2", "3", "c", "c"], &t2);
            assert_eq!(l0.positions(b"c", 1, 1, 0), vec![2]);
            assert_eq!(l0.positions(b"c", 2, 1, 0), vec![6]);
            assert_eq!(l0.positions(b"c", -1, 0, 0), vec![7, 6, 2]);
            assert_eq!(l0.positions(b"c", 1, 0, 0), vec![2, 6, 7]);
            assert_eq!(l0.positions(b"c", 1, 0, 7), vec![2, 6]);
            assert_eq!(l0.positions(b"c", -2, 2, 0), vec![6, 2]);
            assert_eq!(l0.positions(b"c", 4, 0, 0), Vec::<usize>::new());
            assert_eq!(l0.positions(b"2", i64::MAX, 0, 0), Vec::<usize>::new());
            assert_eq!(l0.positions(b"2", -i64::MAX, 1, 0), Vec::<usize>::new());
            assert_eq!(l0.positions(b"2", 1, 1, 0), vec![4]);

            let mut l = from(&["a", "b", "c", "1", "2", "3", "c", "c"], &t2);
            assert_eq!(l.remove_matching(b"c", -2), 2);
            assert_eq!(contents(&l), ["a", "b", "c", "1", "2", "3"].map(|s| s.as_bytes().to_vec()));
            assert!(l.insert_pivot(b"1", b"x", true, &t));
            assert!(l.insert_pivot(b"3", b"y", false, &t));
            assert!(!l.insert_pivot(b"zz", b"y", false, &t));
            assert_eq!(contents(&l), ["a", "b", "c", "x", "1", "2", "3", "y"].map(|s| s.as_bytes().to_vec()));
            l.trim(1, -2);
            assert_eq!(contents(&l), ["b", "c", "x", "1", "2", "3"].map(|s| s.as_bytes().to_vec()));
            let r: Vec<Vec<u8>> = l.range(-2, 100).map(|e| e.to_vec()).collect();
            assert_eq!(r, vec![b"2".to_vec(), b"3".to_vec()]);
            l.trim(5, 2);
            assert!(l.is_empty());
        }
    }

    #[test]
    fn hundred_thousand_elements() {
        let t = Thresholds::default();
        let mut l = List::new();
        for i in 0..100_000 {
            l.push(format!("element:{i}").as_bytes(), i % 2 == 0, &t);
        }
        assert_eq!(l.len(), 100_000);
        assert_eq!(l.internal_encoding(), Encoding::QuickList);
        assert_eq!(l.get(-1).map(|e| e.to_vec()), Some(b"element:99999".to_vec()));
        assert_eq!(l.range(50_000, 50_002).count(), 3);
        assert_eq!(l.positions(b"element:1", 1, 0, 0), vec![50_000]);
        l.trim(0, 9);
        assert_eq!(l.len(), 10);
        assert_eq!(l.internal_encoding(), Encoding::ListPack);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(Vec<u8>, bool),
        Pop(bool),
        Set(i64, Vec<u8>),
        Insert(usize, Vec<u8>),
        Rem(Vec<u8>, i64),
        Trim(i64, i64),
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => (0u8..4).prop_map(|x| vec![b'a' + x]),
            1 => (-2i64..2).prop_map(|n| n.to_string().into_bytes()),
            1 => (200usize..2500).prop_map(|n| vec![b'z'; n]),
            1 => (0u32..400).prop_map(|n| format!("{n:03}-{}", "ab".repeat(n as usize % 40)).into_bytes()),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (value(), any::<bool>()).prop_map(|(v, f)| Op::Push(v, f)),
            3 => any::<bool>().prop_map(Op::Pop),
            1 => (-30i64..30, value()).prop_map(|(i, v)| Op::Set(i, v)),
            2 => (any::<usize>(), value()).prop_map(|(i, v)| Op::Insert(i, v)),
            1 => (value(), -2i64..3).prop_map(|(v, c)| Op::Rem(v, c)),
            1 => (-30i64..30, -30i64..30).prop_map(|(a, b)| Op::Trim(a, b)),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_deque(fill in prop_oneof![Just(-1i64), Just(-2), Just(2), Just(5)],
                                depth in 0i64..3,
                                ops in proptest::collection::vec(op(), 1..120)) {
            let t = Thresholds { list_compress_depth: depth, ..th(fill) };
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(v, front) => { l.push(&v, front, &t); if front { m.push_front(v) } else { m.push_back(v) } }
                    Op::Pop(front) => prop_assert_eq!(l.pop(front), if front { m.pop_front() } else { m.pop_back() }),
                    Op::Set(i, v) => {
                        let len = m.len() as i64;
                        let idx = if i < 0 { len + i } else { i };
                        let ok = (0..len).contains(&idx);
                        prop_assert_eq!(l.set(i, &v, &t), ok);
                        if ok { m[idx as usize] = v; }
                    }
                    Op::Insert(i, v) => { let i = i % (m.len() + 1); l.insert(i, &v, &t); m.insert(i, v); }
                    Op::Rem(v, c) => {
                        let removed = super::super::quicklist::tests::model_remove_matching(&mut m, &v, c);
                        prop_assert_eq!(l.remove_matching(&v, c), removed);
                    }
                    Op::Trim(a, b) => {
                        l.trim(a, b);
                        m = match clamp_range(a, b, m.len()) {
                            None => VecDeque::new(),
                            Some((s, e)) => m.iter().skip(s).take(e - s + 1).cloned().collect(),
                        };
                    }
                }
                if let List::QuickList(q) = &l { prop_assert!(q.check_invariants().is_ok()); }
                prop_assert_eq!(contents(&l), m.iter().cloned().collect::<Vec<_>>());
                prop_assert_eq!(l.len(), m.len());
            }
            for i in -(m.len() as i64)..(m.len() as i64) {
                let idx = if i < 0 { m.len() as i64 + i } else { i } as usize;
                prop_assert_eq!(l.get(i).map(|e| e.to_vec()), Some(m[idx].clone()));
            }
            for (a, b) in [(0i64, -1i64), (1, 3), (-3, -1), (2, 1)] {
                let got: Vec<Vec<u8>> = l.range(a, b).map(|e| e.to_vec()).collect();
                let want: Vec<Vec<u8>> = match clamp_range(a, b, m.len()) {
                    None => vec![],
                    Some((s, e)) => m.iter().skip(s).take(e - s + 1).cloned().collect(),
                };
                prop_assert_eq!(got, want);
            }
            for v in [&b"a"[..], b"b", b"0"] {
                let all: Vec<usize> = m.iter().enumerate().filter(|(_, x)| &x[..] == v).map(|(i, _)| i).collect();
                prop_assert_eq!(l.positions(v, 1, 0, 0), all.clone());
                let mut r = all.clone();
                r.reverse();
                prop_assert_eq!(l.positions(v, -1, 0, 0), r);
            }
        }
    }
}
