//! Sorted set value: a listpack of (member, score) pairs while small, a skiplist plus a hash table when large.
//!
//! ```text
//!  ZSet::ListPack:  | hdr | m0 | s0 | m1 | s1 | ... | 0xFF |     sorted by (score, member bytes)
//!                   scores are stored as Redis does: integers as integer entries, others as %.17g text
//!  ZSet::SkipList:  Box<ZSkip> { dict: Dict<ZEntry>   member -> its skiplist node (score there), O(1) ZSCORE
//!                                list: SkipList      order + ranks }
//!  ZEntry (24 bytes): | tag | len | member (<= 18 bytes) | node u32 |   or   | tag | node u32 | Box<[u8]> |
//! ```
//!
//! Invariants: members are unique; order is score then member bytes (memcmp); in the large encoding the dict and
//! the skiplist hold exactly the same (member, score) pairs. Conversions follow Redis 7.0: a new key starts as a
//! listpack unless `zset-max-listpack-entries` is 0 or the first member is longer than `zset-max-listpack-value`;
//! adding a member converts to skiplist *before* inserting when the count would exceed the entries limit or the
//! member is longer than the value limit; deleting never converts back, except through
//! [`ZSet::convert_to_listpack_if_small`] which the *STORE commands call on their result.
//!
//! Tests: unit tests for ZADD flag outcomes, range parsing (`(` bounds, `inf`, empty strings, lex `[`/`(`/`-`/`+`),
//! conversions exactly at the thresholds; a proptest running the same random operations on a listpack-encoded and
//! a skiplist-encoded zset and a `BTreeMap` model, comparing ranks, ranges, counts and pops; 100k members.

use super::listpack::{cmp_entry, Listpack, LpInput, Needle};
use super::skiplist::{NodeRef, SkipList};
use super::{Encoding, StrRef};
use super::{SmallBytes, Thresholds};
use crate::keyspace::dict::{Dict, DictEntry};
use crate::util::{fmt_g, parse_f64, Rng};
use std::cmp::Ordering;

/// A score interval: `min`/`max` with per-side exclusivity (`(` prefix in commands).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

/// C `strtod` over the whole argument as `zslParseRange` applies it: leading whitespace allowed, the empty string
/// reads as 0, text stops at a NUL byte, `nan` rejected.
fn strtod_arg(s: &[u8]) -> Option<f64> {
    let s = match memchr::memchr(0, s) {
        Some(i) => &s[..i],
        None => s,
    };
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s.iter().position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    parse_f64(&s[start..])
}

impl ScoreRange {
    /// Parses `min max` of ZRANGEBYSCORE and friends; None means Redis's "min or max is not a float".
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let side = |b: &[u8]| -> Option<(f64, bool)> {
            match b.first() {
                Some(b'(') => Some((strtod_arg(&b[1..])?, true)),
                _ => Some((strtod_arg(b)?, false)),
            }
        };
        let (min, minex) = side(min)?;
        let (max, maxex) = side(max)?;
        Some(ScoreRange { min, max, minex, maxex })
    }

    /// All scores.
    pub fn all() -> ScoreRange {
        ScoreRange { min: f64::NEG_INFINITY, max: f64::INFINITY, minex: false, maxex: false }
    }

    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    #[inline]
    pub fn contains(&self, v: f64) -> bool {
        self.gte_min(v) && self.lte_max(v)
    }

    /// No score can be inside.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lexicographic range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`
    NegInf,
    /// `+`
    PosInf,
    /// `[member`
    Incl(Vec<u8>),
    /// `(member`
    Excl(Vec<u8>),
}

impl LexBound {
    /// Parses `-`, `+`, `[x`, `(x`; None means Redis's "min or max not valid string range item".
    pub fn parse(b: &[u8]) -> Option<LexBound> {
        match b.first()? {
            b'+' if b.len() == 1 => Some(LexBound::PosInf),
            b'-' if b.len() == 1 => Some(LexBound::NegInf),
            b'[' => Some(LexBound::Incl(b[1..].to_vec())),
            b'(' => Some(LexBound::Excl(b[1..].to_vec())),
            _ => None,
        }
    }

    fn is_excl(&self) -> bool {
        !matches!(self, LexBound::Incl(_))
    }

    /// Order of two bounds as Redis's `sdscmplex` orders them (the infinities are sentinels).
    fn cmp_bound(&self, other: &LexBound) -> Ordering {
        use LexBound::*;
        match (self, other) {
            (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
            (NegInf, _) | (_, PosInf) => Ordering::Less,
            (PosInf, _) | (_, NegInf) => Ordering::Greater,
            (Incl(a) | Excl(a), Incl(b) | Excl(b)) => a.cmp(b),
        }
    }
}

/// A lexicographic interval of ZRANGEBYLEX and friends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange { min: LexBound::parse(min)?, max: LexBound::parse(max)? })
    }

    #[inline]
    pub fn gte_min(&self, v: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Incl(m) => v >= &m[..],
            LexBound::Excl(m) => v > &m[..],
        }
    }

    #[inline]
    pub fn lte_max(&self, v: &[u8]) -> bool {
        match &self.max {
            LexBound::PosInf => true,
            LexBound::NegInf => false,
            LexBound::Incl(m) => v <= &m[..],
            LexBound::Excl(m) => v < &m[..],
        }
    }

    #[inline]
    pub fn contains(&self, v: &[u8]) -> bool {
        self.gte_min(v) && self.lte_max(v)
    }

    pub fn is_empty(&self) -> bool {
        match self.min.cmp_bound(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min.is_excl() || self.max.is_excl(),
            Ordering::Less => false,
        }
    }
}

/// ZADD's option flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZAddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub ch: bool,
    pub incr: bool,
}

impl ZAddFlags {
    /// Redis's compatibility checks, in its order; `pairs` is the number of score/member pairs given.
    pub fn validate(&self, pairs: usize) -> Result<(), &'static str> {
        if self.nx && self.xx {
            return Err("ERR XX and NX options at the same time are not compatible");
        }
        if ((self.gt || self.lt) && self.nx) || (self.gt && self.lt) {
            return Err("ERR GT, LT, and/or NX options at the same time are not compatible");
        }
        if self.incr && pairs > 1 {
            return Err("ERR INCR option supports a single increment-element pair");
        }
        Ok(())
    }
}

/// What one ZADD element did (Redis's `ZADD_OUT_*` flags folded into one value).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZAddOutcome {
    /// New member with this score.
    Added(f64),
    /// Existing member moved to this score.
    Updated(f64),
    /// Existing member, score unchanged (counts as processed, not as changed).
    Unchanged(f64),
    /// Skipped by NX/XX/GT/LT.
    Nop,
    /// The (incremented) score is NaN: Redis replies "ERR resulting score is not a number (NaN)".
    NaN,
}

/// The fate of an existing member's score under ZADD's flags (the part of `zsetAdd` common to both encodings).
pub fn zadd_decide(cur: f64, score: f64, flags: ZAddFlags) -> ZAddOutcome {
    if flags.nx {
        return ZAddOutcome::Nop;
    }
    let new = if flags.incr { cur + score } else { score };
    if new.is_nan() {
        return ZAddOutcome::NaN;
    }
    if (flags.lt && new >= cur) || (flags.gt && new <= cur) {
        return ZAddOutcome::Nop;
    }
    if new == cur {
        ZAddOutcome::Unchanged(new)
    } else {
        ZAddOutcome::Updated(new)
    }
}

/// Longest member stored inline in a [`ZEntry`].
pub const ZENTRY_INLINE: usize = 18;

/// The hash-table entry of the large encoding: the member and the arena index of its skiplist node, in 24 bytes (the
/// score lives in the node only, so each element pays for it once). Tags 1 and 2, never 0: an all-zero `Option<ZEntry>`
/// is `None`, so the table grows into zeroed memory (see [`dict::ZeroIsNone`](crate::keyspace::dict::ZeroIsNone)).
#[derive(Clone)]
#[repr(u8)]
pub enum ZEntry {
    Inline { len: u8, data: [u8; ZENTRY_INLINE], node: u32 } = 1,
    Heap { node: u32, data: Box<[u8]> } = 2,
}

impl ZEntry {
    pub fn new(member: &[u8], node: NodeRef) -> ZEntry {
        let node = node.index();
        if member.len() <= ZENTRY_INLINE {
            let mut data = [0u8; ZENTRY_INLINE];
            data[..member.len()].copy_from_slice(member);
            ZEntry::Inline { len: member.len() as u8, data, node }
        } else {
            ZEntry::Heap { node, data: member.into() }
        }
    }

    #[inline]
    pub fn member(&self) -> &[u8] {
        match self {
            ZEntry::Inline { len, data, .. } => &data[..*len as usize],
            ZEntry::Heap { data, .. } => data,
        }
    }

    #[inline]
    pub fn node(&self) -> NodeRef {
        match self {
            ZEntry::Inline { node, .. } | ZEntry::Heap { node, .. } => NodeRef::from_index(*node),
        }
    }

    #[inline]
    fn set_node(&mut self, r: NodeRef) {
        match self {
            ZEntry::Inline { node, .. } | ZEntry::Heap { node, .. } => *node = r.index(),
        }
    }
}

impl DictEntry for ZEntry {
    const ZERO_IS_NONE: Option<crate::keyspace::dict::ZeroIsNone> =
        Some(crate::keyspace::dict::ZeroIsNone::checked::<Self>());
    // Every insert moves a batch of the migration (`boost_rehash`), so the old table drains quickly.
    const INSERT_INTO_OLD_TABLE: bool = true;

    #[inline]
    fn key(&self) -> &[u8] {
        self.member()
    }
}

/// The large encoding.
pub struct ZSkip {
    pub dict: Dict<ZEntry>,
    pub list: SkipList,
}

/// A run of the skip list to delete: by rank (0-based, inclusive), by score or by lexicographic range.
enum Run<'a> {
    Rank(usize, usize),
    Score(&'a ScoreRange),
    Lex(&'a LexRange),
}

impl ZSkip {
    /// Deletes `run` from the skip list and each of its members from the dict (which may shrink after), handing
    /// every removed member and score to `seen`; returns the number removed.
    fn delete_run(&mut self, run: Run<'_>, mut seen: impl FnMut(&[u8], f64)) -> usize {
        let dict = &mut self.dict;
        let on_delete = |m: &[u8], s: f64| {
            dict.remove(m);
            seen(m, s);
        };
        let n = match run {
            Run::Rank(start, end) => self.list.delete_rank_range(start, end, on_delete),
            Run::Score(r) => self.list.delete_score_range(r, on_delete),
            Run::Lex(r) => self.list.delete_lex_range(r, on_delete),
        };
        self.dict.shrink_if_sparse();
        n
    }
}

pub enum ZSet {
    ListPack(Listpack),
    SkipList(Box<ZSkip>),
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        for (m, s) in self.iter() {
            l.entry(&(String::from_utf8_lossy(&super::listpack::entry_to_vec(m)), s));
        }
        l.finish()
    }
}

/// Reads a score entry of the listpack encoding.
#[inline]
fn lp_score(e: StrRef<'_>) -> f64 {
    match e {
        StrRef::Int(n) => n as f64,
        StrRef::Bytes(b) => std::str::from_utf8(b).ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0),
    }
}

/// Writes `score` the way Redis's `d2string` does before storing it in a listpack.
fn with_score_input<R>(score: f64, f: impl FnOnce(LpInput<'_>) -> R) -> R {
    // Redis 7.0's `double2ll`: an integral value within +-LLONG_MAX/2 converts to a long long without loss and is
    // written as an integer (an integer entry).
    const HALF: f64 = (i64::MAX / 2) as f64;
    if score.is_finite() && (-HALF..=HALF).contains(&score) && score == score.trunc() {
        return f(LpInput::Int(score as i64));
    }
    if score.is_infinite() {
        return f(LpInput::Bytes(if score > 0.0 { b"inf" } else { b"-inf" }));
    }
    // The text is stored as a listpack stores any string: one that reads as an integer (an integral score past
    // 2^52 printed without an exponent, such as 12345678901234568) becomes an integer entry, as in Redis.
    let s = fmt_g(score, 17);
    f(LpInput::from_bytes(s.as_bytes()))
}

/// Offset of `member`'s entry and its score.
fn lp_find(lp: &Listpack, member: &[u8]) -> Option<(usize, f64)> {
    let needle = Needle::new(member);
    let mut off = lp.first();
    while let Some(m) = off {
        let s = lp.next(m)?;
        if needle.matches(lp.get(m)) {
            return Some((m, lp_score(lp.get(s))));
        }
        off = lp.next(s);
    }
    None
}

/// Inserts a member known to be absent at its sorted position.
fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let mut off = lp.first();
    while let Some(m) = off {
        let Some(s) = lp.next(m) else { break };
        let cur = lp_score(lp.get(s));
        if cur > score || (cur == score && cmp_entry(lp.get(m), member) == Ordering::Greater) {
            with_score_input(score, |si| lp.insert_at(m, si));
            lp.insert_at(m, LpInput::from_bytes(member));
            return;
        }
        off = lp.next(s);
    }
    lp.push_back(member);
    with_score_input(score, |si| lp.push_back_input(si));
}

impl ZSet {
    /// A new empty zset for a key whose first member has length `first_member_len` (Redis's ZADD creation rule).
    pub fn new(first_member_len: usize, th: &Thresholds) -> ZSet {
        if th.zset_max_listpack_entries == 0 || first_member_len > th.zset_max_listpack_value {
            ZSet::new_skiplist()
        } else {
            ZSet::ListPack(Listpack::new())
        }
    }

    /// A new zset sized for a result of `size_hint` members of at most `max_len` bytes (`zsetTypeCreate`).
    pub fn with_hints(size_hint: usize, max_len: usize, th: &Thresholds) -> ZSet {
        if size_hint <= th.zset_max_listpack_entries && max_len <= th.zset_max_listpack_value {
            ZSet::ListPack(Listpack::new())
        } else {
            ZSet::new_skiplist()
        }
    }

    pub fn new_skiplist() -> ZSet {
        ZSet::SkipList(Box::new(ZSkip { dict: Dict::new(), list: SkipList::new() }))
    }

    pub fn encoding(&self) -> Encoding {
        match self {
            ZSet::ListPack(_) => Encoding::ListPack,
            ZSet::SkipList(_) => Encoding::SkipList,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::ListPack(lp) => lp.len() / 2,
            ZSet::SkipList(z) => z.list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes held (MEMORY USAGE style).
    pub fn alloc_bytes(&self) -> usize {
        match self {
            ZSet::ListPack(lp) => lp.alloc_bytes(),
            ZSet::SkipList(z) => {
                z.dict.table_bytes()
                    + z.list.alloc_bytes()
                    + z.dict
                        .iter()
                        .map(|e| match e {
                            ZEntry::Inline { .. } => 0,
                            ZEntry::Heap { data, .. } => data.len(),
                        })
                        .sum::<usize>()
            }
        }
    }

    /// Switches to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::ListPack(lp) = self {
            let mut z = ZSkip { dict: Dict::new(), list: SkipList::new() };
            for (m, s) in lp.pairs() {
                let mut buf = [0u8; 24];
                let member = SmallBytes::new(m.bytes(&mut buf));
                let score = lp_score(s);
                let node = z.list.insert(score, member.clone());
                z.dict.insert(ZEntry::new(&member, node));
            }
            *self = ZSet::SkipList(Box::new(z));
        }
    }

    /// Redis's `zsetConvertToListpackIfNeeded` for *STORE results: back to a listpack when small enough.
    pub fn convert_to_listpack_if_small(&mut self, th: &Thresholds) {
        if let ZSet::SkipList(z) = self {
            let max_len = z.list.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            if z.list.len() <= th.zset_max_listpack_entries && max_len <= th.zset_max_listpack_value {
                let mut lp = Listpack::new();
                for (m, s) in z.list.iter() {
                    lp.push_back(m);
                    with_score_input(s, |si| lp.push_back_input(si));
                }
                *self = ZSet::ListPack(lp);
            }
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::ListPack(lp) => lp_find(lp, member).map(|(_, s)| s),
            ZSet::SkipList(z) => z.dict.get(member).map(|e| z.list.score(e.node())),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.score(member).is_some()
    }

    /// ZADD/ZINCRBY for one element (Redis's `zsetAdd`); NaN input scores must be rejected by the caller's parser,
    /// but a NaN result of INCR is reported here.
    pub fn add(&mut self, score: f64, member: &[u8], flags: ZAddFlags, th: &Thresholds) -> ZAddOutcome {
        if score.is_nan() {
            return ZAddOutcome::NaN;
        }
        if let ZSet::ListPack(lp) = self {
            if let Some((off, cur)) = lp_find(lp, member) {
                let out = zadd_decide(cur, score, flags);
                if let ZAddOutcome::Updated(new) = out {
                    lp.delete_at(off, 2);
                    lp_insert(lp, member, new);
                }
                return out;
            }
            if flags.xx {
                return ZAddOutcome::Nop;
            }
            if lp.len() / 2 + 1 > th.zset_max_listpack_entries
                || member.len() > th.zset_max_listpack_value
                || lp.bytes() + member.len() > LISTPACK_SAFETY_BYTES
            {
                self.convert_to_skiplist();
            } else {
                lp_insert(lp, member, score);
                return ZAddOutcome::Added(score);
            }
        }
        let ZSet::SkipList(z) = self else { return ZAddOutcome::Nop };
        if let Some(e) = z.dict.get_mut(member) {
            let cur = z.list.score(e.node());
            let out = zadd_decide(cur, score, flags);
            if let ZAddOutcome::Updated(new) = out {
                if let Some(node) = z.list.update_score(cur, member, new) {
                    e.set_node(node);
                }
            }
            return out;
        }
        if flags.xx {
            return ZAddOutcome::Nop;
        }
        let node = z.list.insert(score, SmallBytes::new(member));
        z.dict.insert(ZEntry::new(member, node));
        super::boost_rehash(&mut z.dict);
        ZAddOutcome::Added(score)
    }

    /// Removes `member`; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::ListPack(lp) => match lp_find(lp, member) {
                Some((off, _)) => {
                    lp.delete_at(off, 2);
                    true
                }
                None => false,
            },
            ZSet::SkipList(z) => match z.dict.remove(member) {
                Some(e) => {
                    z.list.delete(z.list.score(e.node()), member);
                    z.dict.shrink_if_sparse();
                    true
                }
                None => false,
            },
        }
    }

    /// 0-based rank of `member`, counted from the highest score when `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let len = self.len();
        let r = match self {
            ZSet::ListPack(lp) => {
                let needle = Needle::new(member);
                lp.pairs().position(|(m, _)| needle.matches(m))?
            }
            ZSet::SkipList(z) => {
                let score = z.list.score(z.dict.get(member)?.node());
                z.list.rank(score, member)?
            }
        };
        Some(if rev { len - 1 - r } else { r })
    }

    /// Elements in ascending order.
    pub fn iter(&self) -> Box<dyn DoubleEndedIterator<Item = (StrRef<'_>, f64)> + '_> {
        match self {
            ZSet::ListPack(lp) => Box::new(lp.pairs().map(|(m, s)| (m, lp_score(s)))),
            ZSet::SkipList(z) => Box::new(z.list.iter().map(|(m, s)| (StrRef::Bytes(m), s))),
        }
    }

    /// Calls `f` for ranks `start..=end` (0-based, clamped to the length), in ascending order, or descending (ranks
    /// counted from the top) when `rev`.
    pub fn range_by_rank<F: FnMut(StrRef<'_>, f64)>(&self, start: usize, end: usize, rev: bool, mut f: F) {
        let len = self.len();
        if start > end || start >= len {
            return;
        }
        let end = end.min(len - 1);
        let n = end - start + 1;
        match self {
            ZSet::ListPack(lp) => {
                if rev {
                    lp.pairs().rev().skip(start).take(n).for_each(|(m, s)| f(m, lp_score(s)));
                } else {
                    lp.pairs().skip(start).take(n).for_each(|(m, s)| f(m, lp_score(s)));
                }
            }
            ZSet::SkipList(z) => {
                let first = if rev { z.list.by_rank(len - 1 - start) } else { z.list.by_rank(start) };
                z.list.iter_from(first, rev).take(n).for_each(|(m, s)| f(StrRef::Bytes(m), s));
            }
        }
    }

    /// Calls `f` for elements with scores in `r`, skipping `offset` of them and stopping after `limit` (None = all);
    /// descending when `rev`.
    pub fn range_by_score<F: FnMut(StrRef<'_>, f64)>(
        &self,
        r: &ScoreRange,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
        mut f: F,
    ) {
        let limit = limit.unwrap_or(usize::MAX);
        if r.is_empty() || limit == 0 {
            return;
        }
        match self {
            ZSet::ListPack(lp) => {
                let it: Box<dyn Iterator<Item = (StrRef<'_>, StrRef<'_>)>> =
                    if rev { Box::new(lp.pairs().rev()) } else { Box::new(lp.pairs()) };
                it.map(|(m, s)| (m, lp_score(s)))
                    .skip_while(|&(_, s)| if rev { !r.lte_max(s) } else { !r.gte_min(s) })
                    .take_while(|&(_, s)| r.contains(s))
                    .skip(offset)
                    .take(limit)
                    .for_each(|(m, s)| f(m, s));
            }
            ZSet::SkipList(z) => {
                let found = if rev { z.list.last_in_score_range(r) } else { z.list.first_in_score_range(r) };
                let Some((first, rank)) = found else { return };
                let Some(node) = z.list.offset_from(first, rank, offset, rev) else { return };
                z.list
                    .iter_from(Some(node), rev)
                    .take_while(|&(_, s)| r.contains(s))
                    .take(limit)
                    .for_each(|(m, s)| f(StrRef::Bytes(m), s));
            }
        }
    }

    /// Calls `f` for the elements with scores in `r`, ascending, until it returns false (the geo searches' walk
    /// over one cell's score range).
    pub fn scan_score_range<'a, F: FnMut(StrRef<'a>, f64) -> bool>(&'a self, r: &ScoreRange, mut f: F) {
        if r.is_empty() {
            return;
        }
        match self {
            ZSet::ListPack(lp) => {
                for (m, s) in lp.pairs() {
                    let s = lp_score(s);
                    if !r.gte_min(s) {
                        continue;
                    }
                    if !r.lte_max(s) || !f(m, s) {
                        return;
                    }
                }
            }
            ZSet::SkipList(z) => {
                let Some((first, _)) = z.list.first_in_score_range(r) else { return };
                for (m, s) in z.list.iter_from(Some(first), false) {
                    if !r.lte_max(s) || !f(StrRef::Bytes(m), s) {
                        return;
                    }
                }
            }
        }
    }

    /// Like [`ZSet::range_by_score`] over a lexicographic range (meaningful when all scores are equal).
    // Same steps as `range_by_score`, but the bounds test member bytes (a listpack member decoded into a buffer
    // first) instead of a score, as Redis's `genericZrangebylexCommand` beside `genericZrangebyscoreCommand`.
    pub fn range_by_lex<F: FnMut(StrRef<'_>, f64)>(
        &self,
        r: &LexRange,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
        mut f: F,
    ) {
        let limit = limit.unwrap_or(usize::MAX);
        if r.is_empty() || limit == 0 {
            return;
        }
        match self {
            ZSet::ListPack(lp) => {
                let mut buf = [0u8; 24];
                let mut buf2 = [0u8; 24];
                let it: Box<dyn Iterator<Item = (StrRef<'_>, StrRef<'_>)>> =
                    if rev { Box::new(lp.pairs().rev()) } else { Box::new(lp.pairs()) };
                if !lp_lex_in_range(lp, r) {
                    return;
                }
                // Like Redis's zzlFirstInLexRange/zzlLastInLexRange: find the first element past the near bound,
                // then walk while the far bound holds (members need not be in lex order when scores differ).
                it.skip_while(|(m, _)| {
                    let b = m.bytes(&mut buf);
                    if rev {
                        !r.lte_max(b)
                    } else {
                        !r.gte_min(b)
                    }
                })
                .take_while(|(m, _)| {
                    let b = m.bytes(&mut buf2);
                    if rev {
                        r.gte_min(b)
                    } else {
                        r.lte_max(b)
                    }
                })
                .skip(offset)
                .take(limit)
                .for_each(|(m, s)| f(m, lp_score(s)));
            }
            ZSet::SkipList(z) => {
                let found = if rev { z.list.last_in_lex_range(r) } else { z.list.first_in_lex_range(r) };
                let Some((first, rank)) = found else { return };
                let Some(node) = z.list.offset_from(first, rank, offset, rev) else { return };
                z.list
                    .iter_from(Some(node), rev)
                    .take_while(|&(m, _)| r.contains(m))
                    .take(limit)
                    .for_each(|(m, s)| f(StrRef::Bytes(m), s));
            }
        }
    }

    /// ZCOUNT.
    pub fn count_in_score_range(&self, r: &ScoreRange) -> usize {
        match self {
            ZSet::ListPack(lp) => {
                if r.is_empty() {
                    return 0;
                }
                lp_count_run(lp, |_, s| r.gte_min(s), |_, s| r.lte_max(s))
            }
            ZSet::SkipList(z) => match (z.list.first_in_score_range(r), z.list.last_in_score_range(r)) {
                (Some((_, a)), Some((_, b))) => b + 1 - a,
                _ => 0,
            },
        }
    }

    /// ZLEXCOUNT.
    pub fn count_in_lex_range(&self, r: &LexRange) -> usize {
        match self {
            ZSet::ListPack(lp) => {
                if r.is_empty() {
                    return 0;
                }
                if !lp_lex_in_range(lp, r) {
                    return 0;
                }
                lp_count_run(lp, |m, _| lex_gte(r, m), |m, _| lex_lte(r, m))
            }
            ZSet::SkipList(z) => match (z.list.first_in_lex_range(r), z.list.last_in_lex_range(r)) {
                (Some((_, a)), Some((_, b))) => b + 1 - a,
                _ => 0,
            },
        }
    }

    /// Removes and returns up to `count` elements from the low end (or the high end when `max`), in pop order.
    pub fn pop(&mut self, max: bool, count: usize) -> Vec<(Vec<u8>, f64)> {
        let n = count.min(self.len());
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return out;
        }
        match self {
            ZSet::ListPack(lp) => {
                for _ in 0..n {
                    let Some(m) = (if max { lp.seek(-2) } else { lp.first() }) else { break };
                    let Some(s) = lp.next(m) else { break };
                    out.push((super::listpack::entry_to_vec(lp.get(m)), lp_score(lp.get(s))));
                    lp.delete_at(m, 2);
                }
            }
            ZSet::SkipList(z) => {
                let len = z.list.len();
                let (start, end) = if max { (len - n, len - 1) } else { (0, n - 1) };
                z.delete_run(Run::Rank(start, end), |m, s| out.push((m.to_vec(), s)));
                if max {
                    out.reverse();
                }
            }
        }
        out
    }

    /// ZREMRANGEBYRANK with 0-based inclusive ranks already clamped; returns the number removed.
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let len = self.len();
        if start > end || start >= len {
            return 0;
        }
        let end = end.min(len - 1);
        match self {
            ZSet::ListPack(lp) => {
                lp.delete_range((2 * start) as i64, 2 * (end - start + 1));
                end - start + 1
            }
            ZSet::SkipList(z) => z.delete_run(Run::Rank(start, end), |_, _| {}),
        }
    }

    /// ZREMRANGEBYSCORE.
    pub fn remove_range_by_score(&mut self, r: &ScoreRange) -> usize {
        match self {
            ZSet::ListPack(lp) => {
                if r.is_empty() {
                    return 0;
                }
                lp_remove_run(lp, |_, s| r.gte_min(s), |_, s| r.lte_max(s))
            }
            ZSet::SkipList(z) => z.delete_run(Run::Score(r), |_, _| {}),
        }
    }

    /// ZREMRANGEBYLEX.
    pub fn remove_range_by_lex(&mut self, r: &LexRange) -> usize {
        match self {
            ZSet::ListPack(lp) => {
                if r.is_empty() {
                    return 0;
                }
                if !lp_lex_in_range(lp, r) {
                    return 0;
                }
                lp_remove_run(lp, |m, _| lex_gte(r, m), |m, _| lex_lte(r, m))
            }
            ZSet::SkipList(z) => z.delete_run(Run::Lex(r), |_, _| {}),
        }
    }

    /// A uniformly random element.
    pub fn random(&self, rng: &mut Rng) -> Option<(StrRef<'_>, f64)> {
        match self {
            ZSet::ListPack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let i = rng.below(n as u64) as i64;
                let m = lp.seek(2 * i)?;
                Some((lp.get(m), lp_score(lp.get(lp.next(m)?))))
            }
            ZSet::SkipList(z) => z.dict.random(rng).map(|e| (StrRef::Bytes(e.member()), z.list.score(e.node()))),
        }
    }

    /// `count` distinct random elements (all of them, in order, when `count >= len`).
    pub fn random_distinct(&self, count: usize, rng: &mut Rng) -> Vec<(StrRef<'_>, f64)> {
        let len = self.len();
        if count >= len {
            return self.iter().collect();
        }
        match self {
            ZSet::ListPack(lp) => {
                let all: Vec<(StrRef<'_>, f64)> = lp.pairs().map(|(m, s)| (m, lp_score(s))).collect();
                super::sample_distinct(len, count, rng).into_iter().map(|i| all[i]).collect()
            }
            ZSet::SkipList(z) => super::dict_sample_distinct(&z.dict, count, rng)
                .into_iter()
                .map(|e| (StrRef::Bytes(e.member()), z.list.score(e.node())))
                .collect(),
        }
    }

    /// `count` random elements, repetitions allowed (ZRANDMEMBER with a negative count), each given to `f`, until
    /// `f` returns false.
    pub fn random_with_replacement<F: FnMut(StrRef<'_>, f64) -> bool>(&self, count: usize, rng: &mut Rng, mut f: F) {
        match self {
            ZSet::ListPack(lp) => {
                let all: Vec<(StrRef<'_>, f64)> = lp.pairs().map(|(m, s)| (m, lp_score(s))).collect();
                super::draw_with_replacement(&all, count, rng, |(m, s)| f(m, s));
            }
            ZSet::SkipList(z) => {
                for _ in 0..count {
                    if let Some(e) = z.dict.random(rng) {
                        if !f(StrRef::Bytes(e.member()), z.list.score(e.node())) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// ZSCAN's loop ([`Dict::scan_count`]: until `f` kept `count` members or `max_steps` steps); the listpack
    /// encoding returns everything at once (cursor 0), as Redis does.
    pub fn scan<F: FnMut(StrRef<'_>, f64) -> bool>(
        &self,
        cursor: u64,
        count: usize,
        max_steps: usize,
        mut f: F,
    ) -> u64 {
        match self {
            ZSet::ListPack(lp) => {
                lp.pairs().for_each(|(m, s)| {
                    f(m, lp_score(s));
                });
                0
            }
            ZSet::SkipList(z) => {
                z.dict.scan_count(cursor, count, max_steps, |e| f(StrRef::Bytes(e.member()), z.list.score(e.node())))
            }
        }
    }
}

impl ZSet {
    /// Checks the structural invariants (tests): order, and for the large encoding that every dict entry points at
    /// the skiplist node holding its member and that both hold the same number of elements.
    pub fn check_invariants(&self) -> Result<(), String> {
        match self {
            ZSet::ListPack(lp) => {
                if lp.len() % 2 != 0 {
                    return Err("odd listpack length".into());
                }
                let v: Vec<(Vec<u8>, f64)> =
                    lp.pairs().map(|(m, s)| (super::listpack::entry_to_vec(m), lp_score(s))).collect();
                for w in v.windows(2) {
                    if super::skiplist::cmp_elem((w[0].1, &w[0].0), (w[1].1, &w[1].0)) != Ordering::Less {
                        return Err("listpack order broken".into());
                    }
                }
                Ok(())
            }
            ZSet::SkipList(z) => {
                z.list.check_invariants()?;
                if z.dict.len() != z.list.len() {
                    return Err(format!("dict has {} entries, skiplist {}", z.dict.len(), z.list.len()));
                }
                for e in z.dict.iter() {
                    if z.list.member(e.node()) != e.member() {
                        return Err("dict entry points at the wrong node".into());
                    }
                }
                Ok(())
            }
        }
    }
}

/// Listpacks are capped at 1 GiB like Redis's `lpSafeToAdd`.
pub const LISTPACK_SAFETY_BYTES: usize = 1 << 30;

/// Removes the run of pairs that starts at the first pair satisfying `at_min` and continues while `in_max` holds.
/// Like Redis, a run (not a filter): lex ranges over members with differing scores give the same answer as the
/// skiplist encoding.
fn lp_remove_run<A, B>(lp: &mut Listpack, at_min: A, in_max: B) -> usize
where
    A: Fn(StrRef<'_>, f64) -> bool,
    B: Fn(StrRef<'_>, f64) -> bool,
{
    let mut off = lp.first();
    while let Some(m) = off {
        let Some(s) = lp.next(m) else { return 0 };
        if at_min(lp.get(m), lp_score(lp.get(s))) {
            break;
        }
        off = lp.next(s);
    }
    let Some(start) = off else { return 0 };
    let mut removed = 0;
    let mut cur = Some(start);
    while let Some(m) = cur {
        let Some(s) = lp.next(m) else { break };
        if !in_max(lp.get(m), lp_score(lp.get(s))) {
            break;
        }
        removed += 1;
        cur = lp.next(s);
    }
    lp.delete_at(start, 2 * removed);
    removed
}

/// Counts the run described at [`lp_remove_run`] without removing it.
fn lp_count_run<A, B>(lp: &Listpack, at_min: A, in_max: B) -> usize
where
    A: Fn(StrRef<'_>, f64) -> bool,
    B: Fn(StrRef<'_>, f64) -> bool,
{
    lp.pairs()
        .map(|(m, s)| (m, lp_score(s)))
        .skip_while(|&(m, s)| !at_min(m, s))
        .take_while(|&(m, s)| in_max(m, s))
        .count()
}

/// Redis's `zzlIsInLexRange`: the last member reaches the minimum and the first member the maximum. Equivalent to
/// "some member is in range" for lex-ordered members; for others it decides, as in Redis, that nothing matches.
fn lp_lex_in_range(lp: &Listpack, r: &LexRange) -> bool {
    let (Some(last), Some(first)) = (lp.seek(-2), lp.first()) else { return false };
    lex_gte(r, lp.get(last)) && lex_lte(r, lp.get(first))
}

#[inline]
fn lex_gte(r: &LexRange, m: StrRef<'_>) -> bool {
    let mut buf = [0u8; 24];
    r.gte_min(m.bytes(&mut buf))
}

#[inline]
fn lex_lte(r: &LexRange, m: StrRef<'_>) -> bool {
    let mut buf = [0u8; 24];
    r.lte_max(m.bytes(&mut buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn th() -> Thresholds {
        Thresholds::default()
    }

    fn add(z: &mut ZSet, s: f64, m: &[u8]) -> ZAddOutcome {
        z.add(s, m, ZAddFlags::default(), &th())
    }

    fn members(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (super::super::listpack::entry_to_vec(m), s)).collect()
    }

    #[test]
    fn dict_entry_is_24_bytes() {
        assert_eq!(std::mem::size_of::<ZEntry>(), 24);
        assert_eq!(std::mem::size_of::<Option<ZEntry>>(), 24);
        // Its tables grow into zeroed memory (no pass writing `None` into every slot).
        assert!(<ZEntry as crate::keyspace::dict::DictEntry>::ZERO_IS_NONE.is_some());
        let e = ZEntry::new(&[b'm'; 18], NodeRef::from_index(7));
        assert!(matches!(e, ZEntry::Inline { .. }) && e.member() == [b'm'; 18] && e.node().index() == 7);
        let e = ZEntry::new(&[b'm'; 19], NodeRef::from_index(9));
        assert!(matches!(e, ZEntry::Heap { .. }) && e.member() == [b'm'; 19] && e.node().index() == 9);
    }

    #[test]
    fn score_range_parsing_follows_zslparserange() {
        let r = ScoreRange::parse(b"(1.5", b"+inf").unwrap();
        assert_eq!((r.min, r.minex, r.max, r.maxex), (1.5, true, f64::INFINITY, false));
        assert_eq!(ScoreRange::parse(b"", b"").map(|r| (r.min, r.max)), Some((0.0, 0.0)));
        assert_eq!(ScoreRange::parse(b"(", b"1").map(|r| (r.min, r.minex)), Some((0.0, true)));
        assert_eq!(ScoreRange::parse(b" 1", b"1").map(|r| r.min), Some(1.0));
        assert_eq!(ScoreRange::parse(b"  ", b"1"), None);
        assert_eq!(ScoreRange::parse(b"nan", b"1"), None);
        assert_eq!(ScoreRange::parse(b"1x", b"1"), None);
        assert_eq!(
            ScoreRange::parse(b"-inf", b"(5").map(|r| (r.min, r.max, r.maxex)),
            Some((f64::NEG_INFINITY, 5.0, true))
        );
        assert!(ScoreRange::parse(b"(1", b"1").unwrap().is_empty());
        assert!(!ScoreRange::parse(b"1", b"1").unwrap().is_empty());
    }

    #[test]
    fn lex_range_parsing_and_emptiness() {
        assert_eq!(LexRange::parse(b"a", b"+"), None);
        assert_eq!(LexRange::parse(b"-x", b"+"), None);
        assert_eq!(LexRange::parse(b"", b"+"), None);
        assert!(LexRange::parse(b"-", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"+", b"+").unwrap().is_empty());
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"[b", b"[a").unwrap().is_empty());
        assert!(LexRange::parse(b"[a", b"(a").unwrap().is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").unwrap().is_empty());
        assert!(!LexRange::parse(b"-", b"+").unwrap().is_empty());
        let r = LexRange::parse(b"(a", b"[c").unwrap();
        assert!(!r.contains(b"a") && r.contains(b"a\0") && r.contains(b"c") && !r.contains(b"c\0"));
    }

    #[test]
    fn zadd_flags_follow_zsetadd() {
        let f = |nx, xx, gt, lt, incr| ZAddFlags { nx, xx, gt, lt, ch: false, incr };
        assert_eq!(zadd_decide(1.0, 2.0, f(true, false, false, false, false)), ZAddOutcome::Nop);
        assert_eq!(zadd_decide(1.0, 2.0, f(false, false, true, false, false)), ZAddOutcome::Updated(2.0));
        assert_eq!(zadd_decide(1.0, 0.5, f(false, false, true, false, false)), ZAddOutcome::Nop);
        assert_eq!(zadd_decide(1.0, 1.0, f(false, false, true, false, false)), ZAddOutcome::Nop);
        assert_eq!(zadd_decide(1.0, 0.5, f(false, false, false, true, false)), ZAddOutcome::Updated(0.5));
        assert_eq!(zadd_decide(1.0, 1.0, f(false, false, false, false, false)), ZAddOutcome::Unchanged(1.0));
        assert_eq!(zadd_decide(1.0, -2.0, f(false, false, true, false, true)), ZAddOutcome::Nop);
        assert_eq!(zadd_decide(1.0, 2.0, f(false, false, true, false, true)), ZAddOutcome::Updated(3.0));
        assert_eq!(
            zadd_decide(f64::INFINITY, f64::NEG_INFINITY, f(false, false, false, false, true)),
            ZAddOutcome::NaN
        );
        assert!(f(true, true, false, false, false).validate(1).is_err());
        assert!(f(true, false, true, false, false).validate(1).is_err());
        assert!(f(false, false, true, true, false).validate(1).is_err());
        assert!(f(false, true, true, false, true).validate(1).is_ok());
        assert_eq!(
            f(false, false, false, false, true).validate(2),
            Err("ERR INCR option supports a single increment-element pair")
        );

        let mut z = ZSet::new(1, &th());
        let xx = ZAddFlags { xx: true, ..Default::default() };
        assert_eq!(z.add(1.0, b"a", xx, &th()), ZAddOutcome::Nop);
        assert!(z.is_empty());
        assert_eq!(add(&mut z, 1.0, b"a"), ZAddOutcome::Added(1.0));
        assert_eq!(z.add(2.0, b"a", ZAddFlags { incr: true, ..Default::default() }, &th()), ZAddOutcome::Updated(3.0));
        assert_eq!(z.score(b"a"), Some(3.0));
    }

    #[test]
    fn listpack_scores_are_stored_like_redis() {
        let mut z = ZSet::new(1, &th());
        for (s, m) in [(1.0, &b"a"[..]), (0.1, b"b"), (-0.0, b"c"), (f64::INFINITY, b"d"), (1e300, b"e"), (-7.0, b"f")]
        {
            add(&mut z, s, m);
        }
        let ZSet::ListPack(lp) = &z else { panic!() };
        let stored: Vec<Vec<u8>> = lp.iter().map(super::super::listpack::entry_to_vec).collect();
        assert_eq!(stored[1], b"-7");
        assert!(stored.contains(&b"0.10000000000000001".to_vec()));
        // Redis 7.0 keeps a -0 score as the integer 0 in a listpack (checked: ZADD k -0 m; ZSCORE k m -> 0).
        assert!(!stored.contains(&b"-0".to_vec()));
        assert!(stored.contains(&b"inf".to_vec()));
        assert_eq!(z.score(b"b"), Some(0.1));
        assert_eq!(z.score(b"e"), Some(1e300));
        assert!(!z.score(b"c").unwrap().is_sign_negative());
        let order: Vec<Vec<u8>> = members(&z).into_iter().map(|(m, _)| m).collect();
        assert_eq!(
            order,
            vec![b"f".to_vec(), b"c".to_vec(), b"b".to_vec(), b"a".to_vec(), b"e".to_vec(), b"d".to_vec()]
        );
    }

    #[test]
    fn conversions_at_thresholds() {
        let t = Thresholds { zset_max_listpack_entries: 4, zset_max_listpack_value: 8, ..Thresholds::default() };
        let mut z = ZSet::new(1, &t);
        for i in 0..4 {
            z.add(i as f64, format!("m{i}").as_bytes(), ZAddFlags::default(), &t);
        }
        assert_eq!(z.encoding(), Encoding::ListPack);
        // Updating an existing member never converts.
        z.add(9.0, b"m0", ZAddFlags::default(), &t);
        assert_eq!(z.encoding(), Encoding::ListPack);
        z.add(5.0, b"m5", ZAddFlags::default(), &t);
        assert_eq!(z.encoding(), Encoding::SkipList);
        assert_eq!(z.len(), 5);
        // Shrinking does not convert back...
        z.remove(b"m5");
        z.remove(b"m1");
        assert_eq!(z.encoding(), Encoding::SkipList);
        // ...except for *STORE results.
        z.convert_to_listpack_if_small(&t);
        assert_eq!(z.encoding(), Encoding::ListPack);
        assert_eq!(members(&z), vec![(b"m2".to_vec(), 2.0), (b"m3".to_vec(), 3.0), (b"m0".to_vec(), 9.0)]);

        let mut z = ZSet::new(1, &t);
        z.add(1.0, b"12345678", ZAddFlags::default(), &t);
        assert_eq!(z.encoding(), Encoding::ListPack);
        z.add(1.0, b"123456789", ZAddFlags::default(), &t);
        assert_eq!(z.encoding(), Encoding::SkipList);
        assert_eq!(ZSet::new(9, &t).encoding(), Encoding::SkipList);
        assert_eq!(ZSet::new(8, &t).encoding(), Encoding::ListPack);
        let zero = Thresholds { zset_max_listpack_entries: 0, ..t };
        assert_eq!(ZSet::new(1, &zero).encoding(), Encoding::SkipList);
        assert_eq!(ZSet::with_hints(5, 1, &t).encoding(), Encoding::SkipList);
        assert_eq!(ZSet::with_hints(4, 8, &t).encoding(), Encoding::ListPack);
    }

    #[test]
    fn hundred_thousand_members() {
        let mut z = ZSet::new(6, &th());
        for i in 0..100_000u32 {
            add(&mut z, (i % 1000) as f64, format!("member:{i}").as_bytes());
        }
        assert_eq!(z.encoding(), Encoding::SkipList);
        assert_eq!(z.len(), 100_000);
        assert_eq!(z.count_in_score_range(&ScoreRange { min: 10.0, max: 19.0, minex: false, maxex: false }), 1000);
        assert_eq!(z.rank(b"member:0", false), Some(0));
        assert_eq!(z.rank(b"member:99999", true), Some(0));
        assert_eq!(z.rank(b"member:999", true), Some(2));
        let popped = z.pop(true, 3);
        assert_eq!(popped.iter().map(|p| p.1).collect::<Vec<_>>(), vec![999.0, 999.0, 999.0]);
        assert_eq!(z.remove_range_by_score(&ScoreRange { min: 0.0, max: 499.0, minex: false, maxex: true }), 49_900);
        assert_eq!(z.len(), 100_000 - 3 - 49_900);
        for i in 0..1000u32 {
            z.add(1.5, format!("member:{}", 50_000 + i).as_bytes(), ZAddFlags::default(), &th());
        }
        z.check_invariants().unwrap();
    }

    /// Operations shared by the model test.
    #[derive(Debug, Clone)]
    enum Op {
        Add(i8, u8, u8),
        Rem(u8),
        RemRank(u8, u8),
        RemScore(i8, i8, bool, bool),
        RemLex(u8, u8, bool, bool),
        Pop(bool, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (any::<i8>(), any::<u8>(), 0u8..64).prop_map(|(s, m, f)| Op::Add(s % 8, m % 40, f)),
            2 => any::<u8>().prop_map(|m| Op::Rem(m % 40)),
            1 => (any::<u8>(), 0u8..4).prop_map(|(a, n)| Op::RemRank(a % 30, n)),
            1 => (any::<i8>(), any::<i8>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, x, y)| Op::RemScore(a % 8, b % 8, x, y)),
            1 => (any::<u8>(), any::<u8>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, x, y)| Op::RemLex(a % 40, b % 40, x, y)),
            1 => (any::<bool>(), 0u8..4).prop_map(|(m, n)| Op::Pop(m, n)),
        ]
    }

    fn mname(m: u8) -> Vec<u8> {
        // Mix integer-looking members (stored as integers in listpacks) with strings.
        if m % 3 == 0 {
            (m as i64 * 37 - 500).to_string().into_bytes()
        } else {
            format!("m{m:02}").into_bytes()
        }
    }

    fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
        let mut v: Vec<(Vec<u8>, f64)> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
        v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
        v
    }

    proptest! {
        #[test]
        fn both_encodings_behave_like_a_model(ops in proptest::collection::vec(op(), 1..80)) {
            let t = Thresholds::default();
            let mut zs = [ZSet::ListPack(Listpack::new()), ZSet::new_skiplist()];
            let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Add(s, m, fl) => {
                        let flags = ZAddFlags { nx: fl & 1 != 0, xx: fl & 2 != 0 && fl & 1 == 0, gt: fl & 4 != 0 && fl & 1 == 0,
                            lt: fl & 8 != 0 && fl & 4 == 0 && fl & 1 == 0, ch: false, incr: fl & 16 != 0 };
                        let m = mname(m);
                        let expect = match model.get(&m) {
                            Some(&cur) => zadd_decide(cur, s as f64, flags),
                            None if flags.xx => ZAddOutcome::Nop,
                            None => ZAddOutcome::Added(s as f64),
                        };
                        match expect {
                            ZAddOutcome::Added(v) | ZAddOutcome::Updated(v) => { model.insert(m.clone(), v); }
                            _ => {}
                        }
                        for z in zs.iter_mut() {
                            prop_assert_eq!(z.add(s as f64, &m, flags, &t), expect);
                        }
                    }
                    Op::Rem(m) => {
                        let m = mname(m);
                        let had = model.remove(&m).is_some();
                        for z in zs.iter_mut() { prop_assert_eq!(z.remove(&m), had); }
                    }
                    Op::RemRank(a, n) => {
                        let s = sorted(&model);
                        let (a, b) = (a as usize, a as usize + n as usize);
                        for (m, _) in s.iter().skip(a).take(b + 1 - a) { model.remove(m); }
                        let expect = s.len().saturating_sub(a).min(b + 1 - a);
                        for z in zs.iter_mut() { prop_assert_eq!(z.remove_range_by_rank(a, b), expect); }
                    }
                    Op::RemScore(a, b, x, y) => {
                        let r = ScoreRange { min: a as f64, max: b as f64, minex: x, maxex: y };
                        let before = model.len();
                        model.retain(|_, s| !r.contains(*s));
                        for z in zs.iter_mut() { prop_assert_eq!(z.remove_range_by_score(&r), before - model.len()); }
                    }
                    Op::RemLex(a, b, x, y) => {
                        let (ma, mb) = (mname(a), mname(b));
                        let r = LexRange { min: if x { LexBound::Excl(ma) } else { LexBound::Incl(ma) },
                                           max: if y { LexBound::Excl(mb) } else { LexBound::Incl(mb) } };
                        // Lex ranges are only defined when all scores are equal (Redis's skiplist answer otherwise
                        // depends on its random levels).
                        let s = sorted(&model);
                        if !s.windows(2).all(|w| w[0].1 == w[1].1) { continue; }
                        let before = model.len();
                        if !r.is_empty() {
                            // Redis semantics: the run from the first member >= min while members <= max.
                            let kill: Vec<Vec<u8>> = sorted(&model).into_iter().map(|(m, _)| m)
                                .skip_while(|m| !r.gte_min(m)).take_while(|m| r.lte_max(m)).collect();
                            for m in kill { model.remove(&m); }
                        }
                        for z in zs.iter_mut() { prop_assert_eq!(z.remove_range_by_lex(&r), before - model.len()); }
                    }
                    Op::Pop(max, n) => {
                        let s = sorted(&model);
                        let expect: Vec<(Vec<u8>, f64)> = if max {
                            s.iter().rev().take(n as usize).cloned().collect()
                        } else {
                            s.iter().take(n as usize).cloned().collect()
                        };
                        for (m, _) in &expect { model.remove(m); }
                        for z in zs.iter_mut() { prop_assert_eq!(z.pop(max, n as usize), expect.clone()); }
                    }
                }
                let s = sorted(&model);
                for z in &zs {
                    prop_assert_eq!(members(z), s.clone());
                    prop_assert!(z.check_invariants().is_ok(), "{:?}", z.check_invariants());
                }
            }
            let s = sorted(&model);
            let mut rng = Rng::new(5);
            for z in &zs {
                prop_assert_eq!(z.len(), s.len());
                for (i, (m, sc)) in s.iter().enumerate() {
                    prop_assert_eq!(z.rank(m, false), Some(i));
                    prop_assert_eq!(z.rank(m, true), Some(s.len() - 1 - i));
                    prop_assert_eq!(z.score(m), Some(*sc));
                }
                for (a, b) in [(0usize, 0usize), (1, 3), (0, 100), (2, 1)] {
                    for rev in [false, true] {
                        let mut got = Vec::new();
                        z.range_by_rank(a, b, rev, |m, sc| got.push((super::super::listpack::entry_to_vec(m), sc)));
                        let src: Vec<_> = if rev { s.iter().rev().cloned().collect() } else { s.clone() };
                        let want: Vec<_> = if a > b { vec![] } else { src.into_iter().skip(a).take(b + 1 - a).collect() };
                        prop_assert_eq!(got, want);
                    }
                }
                for lo in -8i32..8 {
                    let r = ScoreRange { min: lo as f64, max: (lo + 2) as f64, minex: lo % 2 == 0, maxex: lo % 3 == 0 };
                    let inside: Vec<_> = s.iter().filter(|(_, sc)| r.contains(*sc)).cloned().collect();
                    prop_assert_eq!(z.count_in_score_range(&r), inside.len());
                    for (rev, off, lim) in [(false, 0usize, None), (true, 0, None), (false, 1, Some(2usize)), (true, 2, Some(1))] {
                        let mut got = Vec::new();
                        z.range_by_score(&r, rev, off, lim, |m, sc| got.push((super::super::listpack::entry_to_vec(m), sc)));
                        let src: Vec<_> = if rev { inside.iter().rev().cloned().collect() } else { inside.clone() };
                        let want: Vec<_> = src.into_iter().skip(off).take(lim.unwrap_or(usize::MAX)).collect();
                        prop_assert_eq!(got, want);
                    }
                }
                // Lex queries over the whole set are well-defined when all scores are equal; compare by member order
                // within the model's own order otherwise (both encodings must agree with the filter either way).
                for (a, b) in [(0u8, 39u8), (5, 20), (20, 5)] {
                    let r = LexRange { min: LexBound::Incl(mname(a)), max: LexBound::Excl(mname(b)) };
                    let all_same = s.windows(2).all(|w| w[0].1 == w[1].1);
                    if all_same {
                        let inside: Vec<_> = s.iter().filter(|(m, _)| !r.is_empty() && r.contains(m)).cloned().collect();
                        prop_assert_eq!(z.count_in_lex_range(&r), inside.len());
                        let mut got = Vec::new();
                        z.range_by_lex(&r, true, 0, None, |m, sc| got.push((super::super::listpack::entry_to_vec(m), sc)));
                        prop_assert_eq!(got, inside.iter().rev().cloned().collect::<Vec<_>>());
                    }
                }
                let picks = z.random_distinct(3, &mut rng);
                prop_assert_eq!(picks.len(), s.len().min(3));
                let mut names: Vec<Vec<u8>> = picks.iter().map(|(m, _)| super::super::listpack::entry_to_vec(*m)).collect();
                names.sort();
                names.dedup();
                prop_assert_eq!(names.len(), s.len().min(3));
            }
        }
    }
}
