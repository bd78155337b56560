//! Skiplist with spans: the ordered index of large sorted sets. Elements are ordered by score, ties broken by the
//! member's bytes (memcmp order); every forward link records its span (how many elements it skips) so ranks are
//! computed on the way down, as in Redis's `zskiplist`.
//!
//! Nodes live in an arena (`Vec<Node>`) and link by `u32` index, which keeps a node to 48 bytes with the member
//! stored inline (see [`SmallBytes`]) and needs no `unsafe`. Level 0 is stored in the node itself; the levels
//! above it (a quarter of the nodes have any) live in a second arena, in one block per node.
//!
//! ```text
//!  nodes[0] = header (height 32)                      upper arena: per node h-1 (next, span) pairs
//!  level 2: H ----------------------------> C (span 3) ---------------> NIL
//!  level 1: H ------------> A (span 1) ---> C (span 2) ---------------> NIL
//!  level 0: H -> A -> B -> C -> D -> NIL    (level-0 spans are always 1, not stored)
//!  backward: D -> C -> B -> A -> NIL         tail = D
//!
//!  Node (48 bytes): member SmallBytes(24) | score f64 | backward u32 | next0 u32 | upper_off u32 | height u8
//!  Level (24 bytes, levels >= 1): next u32 | span u32 | next's upper_off u32 | next's score f64
//! ```
//!
//! An upper-level link caches the score and the upper-block offset of the node it points to. A descent therefore
//! runs through the upper arena alone (a quarter of the nodes, 24 bytes per level: small and cache-resident) and
//! touches a node only to break a score tie or once it reaches level 0, where a plain skip list reads the next node at
//! every step and every stop (the node reads per descent: `benches/README.md`, "Figures the module docs point to").
//! The cache costs 16 bytes per upper level; it must be rewritten wherever a node's score changes in place
//! ([`SkipList::update_score`]).
//!
//! Invariants: level-0 order is strictly ascending by (score, member); for every level the spans along the chain
//! from the header sum to the element count; `backward` mirrors level 0; freed node slots and upper blocks are kept
//! on free lists (per height for blocks) and reused.
//!
//! Tests: unit tests for ranks, ranges and score updates; a proptest against a sorted `Vec<(f64, member)>` model
//! that checks ranks, by-rank lookups, range queries and the span invariant after random inserts, deletes and
//! updates; 100k-element inserts and range deletes.

use super::zset::{LexRange, ScoreRange};
use super::SmallBytes;
use std::cmp::Ordering;

pub const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEADER: u32 = 0;

#[derive(Clone)]
struct Node {
    member: SmallBytes,
    score: f64,
    backward: u32,
    next0: u32,
    upper_off: u32,
    height: u8,
}

#[derive(Clone, Copy)]
struct Level {
    next: u32,
    span: u32,
    /// `nodes[next].upper_off` (0 when `next` is NIL).
    next_off: u32,
    /// `nodes[next].score` (0 when `next` is NIL).
    score: f64,
}

const EMPTY_LEVEL: Level = Level { next: NIL, span: 0, next_off: 0, score: 0.0 };

/// A node of the skiplist. A live node keeps its index until it is deleted (or moved by
/// [`SkipList::update_score`], which returns the new one), so the owning zset can remember it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeRef(u32);

impl NodeRef {
    #[inline]
    pub fn index(self) -> u32 {
        self.0
    }

    /// Rebuilds a reference from [`NodeRef::index`]; a stale index reads some other node (or panics on an
    /// out-of-range one), never memory outside the arena.
    #[inline]
    pub(crate) fn from_index(i: u32) -> NodeRef {
        NodeRef(i)
    }
}

#[derive(Clone)]
pub struct SkipList {
    nodes: Vec<Node>,
    upper: Vec<Level>,
    free_node: u32,
    /// Head of the free list of upper blocks, by node height (index = height); linked through
    /// [`Level::next`](crate::keyspace::types::skiplist::Level::next).
    free_upper: [u32; MAX_LEVEL + 1],
    level: usize,
    len: usize,
    tail: u32,
    rng: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

/// Does (a_score, a_member) sort before (score, member)?
#[inline]
fn before(a_score: f64, a_member: &[u8], score: f64, member: &[u8]) -> bool {
    a_score < score || (a_score == score && a_member < member)
}

impl SkipList {
    pub fn new() -> SkipList {
        let header = Node {
            member: SmallBytes::new(b""),
            score: 0.0,
            backward: NIL,
            next0: NIL,
            upper_off: 0,
            height: MAX_LEVEL as u8,
        };
        SkipList {
            nodes: vec![header],
            upper: vec![EMPTY_LEVEL; MAX_LEVEL - 1],
            free_node: NIL,
            free_upper: [NIL; MAX_LEVEL + 1],
            level: 1,
            len: 0,
            tail: NIL,
            rng: 0x2545_f491_4f6c_dd1d,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held by the arenas (for memory accounting).
    pub fn alloc_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.upper.capacity() * std::mem::size_of::<Level>()
            + self.nodes.iter().map(|n| n.member.heap_bytes()).sum::<usize>()
    }

    /// [`Self::alloc_bytes`] with the members' heap bytes estimated from the first `samples` nodes (MEMORY USAGE).
    pub fn alloc_bytes_sampled(&self, samples: usize) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.upper.capacity() * std::mem::size_of::<Level>()
            + super::sampled_sum(self.nodes.iter().map(|n| n.member.heap_bytes()), self.nodes.len(), samples)
    }

    #[inline]
    fn next(&self, n: u32, lvl: usize) -> u32 {
        let node = &self.nodes[n as usize];
        if lvl == 0 {
            node.next0
        } else {
            self.upper[node.upper_off as usize + lvl - 1].next
        }
    }

    #[inline]
    fn span(&self, n: u32, lvl: usize) -> usize {
        if lvl == 0 {
            1
        } else {
            self.upper[self.nodes[n as usize].upper_off as usize + lvl - 1].span as usize
        }
    }

    #[inline]
    fn set_link(&mut self, n: u32, lvl: usize, next: u32, span: usize) {
        if lvl == 0 {
            self.nodes[n as usize].next0 = next;
        } else {
            let (next_off, score) = match self.nodes.get(next as usize) {
                Some(t) if next != NIL => (t.upper_off, t.score),
                _ => (0, 0.0),
            };
            let off = self.nodes[n as usize].upper_off as usize + lvl - 1;
            self.upper[off] = Level { next, span: span as u32, next_off, score };
        }
    }

    #[inline(always)]
    fn member_at(&self, n: u32) -> &[u8] {
        self.nodes[n as usize].member.as_bytes()
    }

    /// The descent every search shares: from the header, at each level from the top, moves right while
    /// `go_on(score, node)` holds for the next node (a monotone predicate: true on a prefix of the order), then
    /// calls `leave(level, node, rank)` with the node where it stopped and its 1-based rank (0 = header).
    /// Returns the last node and its rank. Levels above 0 read only the upper arena (see the module comment);
    /// `go_on` looks at the node only when it needs the member.
    #[inline(always)]
    fn walk<G, L>(&self, go_on: G, mut leave: L) -> (u32, usize)
    where
        G: Fn(f64, u32) -> bool,
        L: FnMut(usize, u32, usize),
    {
        let mut x = HEADER;
        let mut x_off = self.nodes[HEADER as usize].upper_off as usize;
        let mut rank = 0usize;
        for i in (1..self.level).rev() {
            loop {
                let l = self.upper[x_off + i - 1];
                if l.next == NIL || !go_on(l.score, l.next) {
                    break;
                }
                rank += l.span as usize;
                x = l.next;
                x_off = l.next_off as usize;
            }
            leave(i, x, rank);
        }
        loop {
            let nx = self.nodes[x as usize].next0;
            if nx == NIL || !go_on(self.nodes[nx as usize].score, nx) {
                break;
            }
            rank += 1;
            x = nx;
        }
        leave(0, x, rank);
        (x, rank)
    }

    #[inline]
    fn set_span(&mut self, n: u32, lvl: usize, span: usize) {
        if lvl > 0 {
            let off = self.nodes[n as usize].upper_off as usize + lvl - 1;
            self.upper[off].span = span as u32;
        }
    }

    #[inline]
    fn key(&self, n: u32) -> (f64, &[u8]) {
        let node = &self.nodes[n as usize];
        (node.score, node.member.as_bytes())
    }

    /// Redis's level distribution: each extra level with probability 1/4, capped at 32.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            let mut x = self.rng;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.rng = x;
            let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
            // Two bits per draw would do, but one draw per level keeps the code obvious.
            if r & 3 != 0 || level >= MAX_LEVEL {
                return level;
            }
            level += 1;
        }
    }

    fn alloc_node(&mut self, score: f64, member: SmallBytes, height: usize) -> u32 {
        let upper_off = if height > 1 {
            let head = self.free_upper[height];
            if head != NIL {
                self.free_upper[height] = self.upper[head as usize].next;
                head
            } else {
                let off = self.upper.len() as u32;
                self.upper.resize(self.upper.len() + height - 1, EMPTY_LEVEL);
                off
            }
        } else {
            0
        };
        let node = Node { member, score, backward: NIL, next0: NIL, upper_off, height: height as u8 };
        if self.free_node != NIL {
            let id = self.free_node;
            self.free_node = self.nodes[id as usize].next0;
            self.nodes[id as usize] = node;
            id
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    /// Returns the node's slot to the free lists and hands back its member.
    fn free_node(&mut self, n: u32) -> SmallBytes {
        let node = &mut self.nodes[n as usize];
        let member = std::mem::replace(&mut node.member, SmallBytes::new(b""));
        let height = node.height as usize;
        if height > 1 {
            let off = node.upper_off;
            self.upper[off as usize].next = self.free_upper[height];
            self.free_upper[height] = off;
        }
        let node = &mut self.nodes[n as usize];
        node.next0 = self.free_node;
        node.height = 0;
        self.free_node = n;
        member
    }

    /// Once everything is deleted, drops the arenas instead of keeping their peak size.
    fn release_if_empty(&mut self) {
        if self.len == 0 && self.nodes.len() > 1 {
            self.nodes.truncate(1);
            self.nodes.shrink_to_fit();
            self.upper.truncate(MAX_LEVEL - 1);
            self.upper.shrink_to_fit();
            self.upper.iter_mut().for_each(|l| *l = EMPTY_LEVEL);
            self.free_node = NIL;
            self.free_upper = [NIL; MAX_LEVEL + 1];
            self.nodes[0].next0 = NIL;
            self.level = 1;
            self.tail = NIL;
        }
    }

    /// Inserts an element that must not already be present (the owning zset checks through its dict).
    pub fn insert(&mut self, score: f64, member: SmallBytes) -> NodeRef {
        let mut update = [HEADER; MAX_LEVEL];
        let mut rank = [0usize; MAX_LEVEL];
        let m = member.as_bytes();
        self.walk(
            |s, n| s < score || (s == score && self.member_at(n) < m),
            |i, x, r| {
                update[i] = x;
                rank[i] = r;
            },
        );
        let height = self.random_level();
        if height > self.level {
            for i in self.level..height {
                rank[i] = 0;
                update[i] = HEADER;
                self.set_span(HEADER, i, self.len);
            }
            self.level = height;
        }
        let x = self.alloc_node(score, member, height);
        for i in 0..height {
            let u = update[i];
            let unext = self.next(u, i);
            let uspan = self.span(u, i);
            self.set_link(x, i, unext, uspan - (rank[0] - rank[i]));
            self.set_link(u, i, x, rank[0] - rank[i] + 1);
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
            let s = self.span(u, i);
            self.set_span(u, i, s + 1);
        }
        self.nodes[x as usize].backward = if update[0] == HEADER { NIL } else { update[0] };
        let n0 = self.nodes[x as usize].next0;
        if n0 != NIL {
            self.nodes[n0 as usize].backward = x;
        } else {
            self.tail = x;
        }
        self.len += 1;
        NodeRef(x)
    }

    /// Unlinks `x` given the rightmost node before it at every level.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            if self.next(u, i) == x {
                let s = self.span(u, i) + self.span(x, i) - 1;
                let xn = self.next(x, i);
                self.set_link(u, i, xn, s);
            } else {
                let s = self.span(u, i);
                self.set_span(u, i, s - 1);
            }
        }
        let n0 = self.nodes[x as usize].next0;
        let back = self.nodes[x as usize].backward;
        if n0 != NIL {
            self.nodes[n0 as usize].backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.next(HEADER, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// The rightmost node before (score, member) at every level.
    fn find_update(&self, score: f64, member: &[u8]) -> [u32; MAX_LEVEL] {
        self.update_for(|s, n| s < score || (s == score && self.member_at(n) < member))
    }

    /// Removes (score, member); returns whether it was present.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let update = self.find_update(score, member);
        let x = self.next(update[0], 0);
        if x != NIL && self.key(x) == (score, member) {
            self.unlink(x, &update);
            self.free_node(x);
            self.release_if_empty();
            true
        } else {
            false
        }
    }

    /// Moves `member` from `cur` to `new` score; in place when its position does not change. Returns the node now
    /// holding the member (it may differ from before), or None when (cur, member) is not present.
    pub fn update_score(&mut self, cur: f64, member: &[u8], new: f64) -> Option<NodeRef> {
        let update = self.find_update(cur, member);
        let x = self.next(update[0], 0);
        if x == NIL || self.key(x) != (cur, member) {
            return None;
        }
        let node = &self.nodes[x as usize];
        let (back, n0, height) = (node.backward, node.next0, node.height as usize);
        if (back == NIL || self.nodes[back as usize].score < new) && (n0 == NIL || self.nodes[n0 as usize].score > new)
        {
            self.nodes[x as usize].score = new;
            // The links into x at its upper levels cache its score.
            for (i, &u) in update.iter().enumerate().take(height).skip(1) {
                let off = self.nodes[u as usize].upper_off as usize + i - 1;
                self.upper[off].score = new;
            }
            return Some(NodeRef(x));
        }
        self.unlink(x, &update);
        let m = self.free_node(x);
        Some(self.insert(new, m))
    }

    /// 0-based rank of (score, member).
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let (x, traversed) = self.walk(|s, n| s < score || (s == score && self.member_at(n) <= member), |_, _, _| {});
        (x != HEADER && self.key(x) == (score, member)).then(|| traversed - 1)
    }

    /// The node `offset` places past `first` (whose rank is `rank`) in the walk's direction, found by rank instead of
    /// walked, and without a second descent when `offset` is 0: a range's LIMIT offset (ZRANGEBYSCORE, ZRANGEBYLEX).
    pub fn offset_from(&self, first: NodeRef, rank: usize, offset: usize, rev: bool) -> Option<NodeRef> {
        if offset == 0 {
            return Some(first);
        }
        let start = if rev { rank.checked_sub(offset) } else { rank.checked_add(offset) }?;
        self.by_rank(start)
    }

    /// The element at 0-based `rank`.
    pub fn by_rank(&self, rank: usize) -> Option<NodeRef> {
        if rank >= self.len {
            return None;
        }
        let target = rank + 1;
        let mut x = HEADER;
        let mut x_off = self.nodes[HEADER as usize].upper_off as usize;
        let mut traversed = 0usize;
        for i in (1..self.level).rev() {
            loop {
                let l = self.upper[x_off + i - 1];
                if l.next == NIL || traversed + l.span as usize > target {
                    break;
                }
                traversed += l.span as usize;
                x = l.next;
                x_off = l.next_off as usize;
            }
            if traversed == target {
                return Some(NodeRef(x));
            }
        }
        while traversed < target {
            x = self.nodes[x as usize].next0;
            if x == NIL {
                return None;
            }
            traversed += 1;
        }
        Some(NodeRef(x))
    }

    #[inline]
    pub fn first(&self) -> Option<NodeRef> {
        let n = self.nodes[HEADER as usize].next0;
        (n != NIL).then_some(NodeRef(n))
    }

    #[inline]
    pub fn last(&self) -> Option<NodeRef> {
        (self.tail != NIL).then_some(NodeRef(self.tail))
    }

    #[inline]
    pub fn next_node(&self, r: NodeRef) -> Option<NodeRef> {
        let n = self.nodes[r.0 as usize].next0;
        (n != NIL).then_some(NodeRef(n))
    }

    #[inline]
    pub fn prev_node(&self, r: NodeRef) -> Option<NodeRef> {
        let n = self.nodes[r.0 as usize].backward;
        (n != NIL).then_some(NodeRef(n))
    }

    #[inline]
    pub fn member(&self, r: NodeRef) -> &[u8] {
        self.nodes[r.0 as usize].member.as_bytes()
    }

    #[inline]
    pub fn score(&self, r: NodeRef) -> f64 {
        self.nodes[r.0 as usize].score
    }

    /// Walks down to the last node for which `go_on(node)` holds (the predicate must be monotone: true on a
    /// prefix). Returns that node (HEADER when none) and its 1-based rank (0 for HEADER).
    fn descend<F: Fn(f64, u32) -> bool>(&self, go_on: F) -> (u32, usize) {
        self.walk(go_on, |_, _, _| {})
    }

    /// First element inside `r` and its 0-based rank.
    pub fn first_in_score_range(&self, r: &ScoreRange) -> Option<(NodeRef, usize)> {
        if r.is_empty() {
            return None;
        }
        let (x, rank) = self.descend(|s, _| !r.gte_min(s));
        let n = self.next(x, 0);
        if n == NIL || !r.lte_max(self.nodes[n as usize].score) {
            return None;
        }
        Some((NodeRef(n), rank))
    }

    /// Last element inside `r` and its 0-based rank.
    pub fn last_in_score_range(&self, r: &ScoreRange) -> Option<(NodeRef, usize)> {
        if r.is_empty() {
            return None;
        }
        let (x, rank) = self.descend(|s, _| r.lte_max(s));
        if x == HEADER || !r.gte_min(self.nodes[x as usize].score) {
            return None;
        }
        Some((NodeRef(x), rank - 1))
    }

    pub fn first_in_lex_range(&self, r: &LexRange) -> Option<(NodeRef, usize)> {
        if r.is_empty() {
            return None;
        }
        let (x, rank) = self.descend(|_, n| !r.gte_min(self.member_at(n)));
        let n = self.next(x, 0);
        if n == NIL || !r.lte_max(self.nodes[n as usize].member.as_bytes()) {
            return None;
        }
        Some((NodeRef(n), rank))
    }

    pub fn last_in_lex_range(&self, r: &LexRange) -> Option<(NodeRef, usize)> {
        if r.is_empty() {
            return None;
        }
        let (x, rank) = self.descend(|_, n| r.lte_max(self.member_at(n)));
        if x == HEADER || !r.gte_min(self.nodes[x as usize].member.as_bytes()) {
            return None;
        }
        Some((NodeRef(x), rank - 1))
    }

    /// Deletes consecutive nodes from the one after `update[0]` while `keep_going` holds, calling `f` with each
    /// removed element.
    fn delete_run<P, F>(&mut self, update: [u32; MAX_LEVEL], mut limit: usize, keep_going: P, mut f: F) -> usize
    where
        P: Fn(f64, &[u8]) -> bool,
        F: FnMut(&[u8], f64),
    {
        let mut removed = 0;
        let mut x = self.next(update[0], 0);
        while x != NIL && limit > 0 {
            let (s, m) = self.key(x);
            if !keep_going(s, m) {
                break;
            }
            let nx = self.nodes[x as usize].next0;
            self.unlink(x, &update);
            let score = self.nodes[x as usize].score;
            let member = self.free_node(x);
            f(member.as_bytes(), score);
            removed += 1;
            limit -= 1;
            x = nx;
        }
        self.release_if_empty();
        removed
    }

    fn update_for<P: Fn(f64, u32) -> bool>(&self, go_on: P) -> [u32; MAX_LEVEL] {
        let mut update = [HEADER; MAX_LEVEL];
        self.walk(go_on, |i, x, _| update[i] = x);
        update
    }

    /// Deletes every element with a score inside `r`; `f` sees each removed (member, score).
    pub fn delete_score_range<F: FnMut(&[u8], f64)>(&mut self, r: &ScoreRange, f: F) -> usize {
        if r.is_empty() {
            return 0;
        }
        let update = self.update_for(|s, _| !r.gte_min(s));
        self.delete_run(update, usize::MAX, |s, _| r.lte_max(s), f)
    }

    pub fn delete_lex_range<F: FnMut(&[u8], f64)>(&mut self, r: &LexRange, f: F) -> usize {
        if r.is_empty() {
            return 0;
        }
        let update = self.update_for(|_, n| !r.gte_min(self.member_at(n)));
        self.delete_run(update, usize::MAX, |_, m| r.lte_max(m), f)
    }

    /// Deletes 0-based ranks `start..=end` (clamped to the length).
    pub fn delete_rank_range<F: FnMut(&[u8], f64)>(&mut self, start: usize, end: usize, f: F) -> usize {
        if start > end || start >= self.len {
            return 0;
        }
        let end = end.min(self.len - 1);
        let mut update = [HEADER; MAX_LEVEL];
        let mut x = HEADER;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let nx = self.next(x, i);
                if nx == NIL || traversed + self.span(x, i) > start {
                    break;
                }
                traversed += self.span(x, i);
                x = nx;
            }
            update[i] = x;
        }
        self.delete_run(update, end - start + 1, |_, _| true, f)
    }

    /// Elements in order as (member, score).
    pub fn iter(&self) -> Iter<'_> {
        Iter { sl: self, front: self.first(), back: self.last(), left: self.len }
    }

    /// Elements from `start` onwards (0-based rank), forwards or backwards.
    pub fn iter_from(&self, start: Option<NodeRef>, rev: bool) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut cur = start;
        std::iter::from_fn(move || {
            let c = cur?;
            cur = if rev { self.prev_node(c) } else { self.next_node(c) };
            Some((self.member(c), self.score(c)))
        })
    }

    /// Checks the structural invariants (tests).
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut prev: Option<(f64, &[u8])> = None;
        let mut x = self.nodes[0].next0;
        let mut back = NIL;
        let mut n = 0;
        while x != NIL {
            let k = self.key(x);
            if let Some(p) = prev {
                if !before(p.0, p.1, k.0, k.1) {
                    return Err(format!("order broken at {n}"));
                }
            }
            if self.nodes[x as usize].backward != back {
                return Err(format!("backward broken at {n}"));
            }
            prev = Some(k);
            back = x;
            x = self.nodes[x as usize].next0;
            n += 1;
        }
        if n != self.len || self.tail != back {
            return Err("length or tail broken".into());
        }
        for lvl in 1..self.level {
            let mut x = HEADER;
            let mut total = 0;
            loop {
                let nx = self.next(x, lvl);
                if nx == NIL {
                    break;
                }
                total += self.span(x, lvl);
                let l = self.upper[self.nodes[x as usize].upper_off as usize + lvl - 1];
                let t = &self.nodes[nx as usize];
                if l.score.to_bits() != t.score.to_bits() || l.next_off != t.upper_off {
                    return Err(format!("cached score or offset of a link broken at level {lvl}"));
                }
                // The span must equal the level-0 distance.
                let mut d = 0;
                let mut y = x;
                while y != nx {
                    y = self.next(y, 0);
                    d += 1;
                }
                if d != self.span(x, lvl) {
                    return Err(format!("span broken at level {lvl}"));
                }
                x = nx;
            }
            if total > self.len {
                return Err(format!("spans exceed length at level {lvl}"));
            }
        }
        Ok(())
    }
}

/// Double-ended iterator over (member, score) in ascending order.
pub struct Iter<'a> {
    sl: &'a SkipList,
    front: Option<NodeRef>,
    back: Option<NodeRef>,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let c = self.front?;
        self.left -= 1;
        self.front = self.sl.next_node(c);
        Some((self.sl.member(c), self.sl.score(c)))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let c = self.back?;
        self.left -= 1;
        self.back = self.sl.prev_node(c);
        Some((self.sl.member(c), self.sl.score(c)))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Total order used by sorted sets: score, then member bytes.
pub fn cmp_elem(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal).then_with(|| a.1.cmp(b.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::types::zset::LexBound;
    use proptest::prelude::*;

    fn sb(s: &[u8]) -> SmallBytes {
        SmallBytes::new(s)
    }

    fn model_sorted(m: &[(f64, Vec<u8>)]) -> Vec<(f64, Vec<u8>)> {
        let mut v = m.to_vec();
        v.sort_by(|a, b| cmp_elem((a.0, &a.1), (b.0, &b.1)));
        v
    }

    fn contents(sl: &SkipList) -> Vec<(f64, Vec<u8>)> {
        sl.iter().map(|(m, s)| (s, m.to_vec())).collect()
    }

    #[test]
    fn node_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 48);
    }

    #[test]
    fn ranks_ties_and_updates() {
        let mut sl = SkipList::new();
        for (s, m) in [(1.0, &b"b"[..]), (1.0, b"a"), (0.5, b"z"), (f64::INFINITY, b"i"), (f64::NEG_INFINITY, b"n")] {
            sl.insert(s, sb(m));
        }
        sl.check_invariants().unwrap();
        let order: Vec<&[u8]> = sl.iter().map(|(m, _)| m).collect();
        assert_eq!(order, vec![&b"n"[..], b"z", b"a", b"b", b"i"]);
        assert_eq!(sl.rank(1.0, b"b"), Some(3));
        assert_eq!(sl.rank(1.0, b"c"), None);
        assert_eq!(sl.by_rank(0).map(|r| sl.member(r)), Some(&b"n"[..]));
        assert_eq!(sl.by_rank(5), None);
        assert!(sl.update_score(1.0, b"a", 1.1).is_some()); // moves past b
        assert!(sl.update_score(0.5, b"z", 0.7).is_some()); // in place
        assert!(sl.update_score(0.5, b"z", 0.9).is_none());
        sl.check_invariants().unwrap();
        let order: Vec<&[u8]> = sl.iter().map(|(m, _)| m).collect();
        assert_eq!(order, vec![&b"n"[..], b"z", b"b", b"a", b"i"]);
        assert!(sl.delete(f64::INFINITY, b"i"));
        assert!(!sl.delete(f64::INFINITY, b"i"));
        assert_eq!(sl.last().map(|r| sl.member(r)), Some(&b"a"[..]));
        sl.check_invariants().unwrap();
    }

    #[test]
    fn single_element_update_keeps_working() {
        let mut sl = SkipList::new();
        sl.insert(1.0, sb(b"x"));
        assert!(sl.update_score(1.0, b"x", 5.0).is_some());
        assert_eq!(contents(&sl), vec![(5.0, b"x".to_vec())]);
        assert!(sl.delete(5.0, b"x"));
        assert!(sl.is_empty());
        sl.insert(2.0, sb(b"y"));
        sl.check_invariants().unwrap();
    }

    #[test]
    fn score_and_lex_ranges() {
        let mut sl = SkipList::new();
        for i in 0..10 {
            sl.insert(i as f64, sb(format!("m{i}").as_bytes()));
        }
        let r = ScoreRange { min: 2.0, max: 5.0, minex: true, maxex: false };
        let (f, fr) = sl.first_in_score_range(&r).unwrap();
        let (l, lr) = sl.last_in_score_range(&r).unwrap();
        assert_eq!((sl.score(f), fr, sl.score(l), lr), (3.0, 3, 5.0, 5));
        let empty = ScoreRange { min: 5.0, max: 5.0, minex: true, maxex: false };
        assert!(sl.first_in_score_range(&empty).is_none());
        let beyond = ScoreRange { min: 10.0, max: f64::INFINITY, minex: false, maxex: false };
        assert!(sl.first_in_score_range(&beyond).is_none());
        assert!(sl.last_in_score_range(&beyond).is_none());
        let lex = LexRange { min: LexBound::Incl(b"m3".to_vec()), max: LexBound::Excl(b"m6".to_vec()) };
        let (f, fr) = sl.first_in_lex_range(&lex).unwrap();
        let (l, lr) = sl.last_in_lex_range(&lex).unwrap();
        assert_eq!((sl.member(f), fr, sl.member(l), lr), (&b"m3"[..], 3, &b"m5"[..], 5));
        let mut gone = Vec::new();
        assert_eq!(sl.delete_score_range(&r, |m, _| gone.push(m.to_vec())), 3);
        assert_eq!(gone, vec![b"m3".to_vec(), b"m4".to_vec(), b"m5".to_vec()]);
        assert_eq!(
            sl.delete_lex_range(&LexRange { min: LexBound::NegInf, max: LexBound::Incl(b"m1".to_vec()) }, |_, _| {}),
            2
        );
        assert_eq!(sl.delete_rank_range(1, 100, |_, _| {}), 4);
        assert_eq!(contents(&sl), vec![(2.0, b"m2".to_vec())]);
        sl.check_invariants().unwrap();
    }

    #[test]
    fn hundred_thousand_elements() {
        let mut sl = SkipList::new();
        let n = 100_000;
        for i in 0..n {
            // Interleave so inserts land everywhere, not only at the tail.
            let k = (i * 7919) % n;
            sl.insert((k / 3) as f64, sb(format!("member:{k}").as_bytes()));
        }
        assert_eq!(sl.len(), n);
        sl.check_invariants().unwrap();
        let all = contents(&sl);
        for r in [0usize, 1, 4999, 50_000, n - 1] {
            let node = sl.by_rank(r).unwrap();
            assert_eq!((sl.score(node), sl.member(node).to_vec()), all[r]);
            assert_eq!(sl.rank(all[r].0, &all[r].1), Some(r));
        }
        assert_eq!(sl.delete_rank_range(10, 89_999, |_, _| {}), 89_990);
        sl.check_invariants().unwrap();
        assert_eq!(sl.len(), 10_010);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i8, u8),
        Delete(usize),
        Update(usize, i8),
        DelScore(i8, i8, bool, bool),
        DelRank(usize, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (any::<i8>(), any::<u8>()).prop_map(|(s, m)| Op::Insert(s % 20, m)),
            1 => any::<usize>().prop_map(Op::Delete),
            2 => (any::<usize>(), any::<i8>()).prop_map(|(i, s)| Op::Update(i, s % 20)),
            1 => (any::<i8>(), any::<i8>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, x, y)| Op::DelScore(a % 20, b % 20, x, y)),
            1 => (any::<usize>(), 0usize..5).prop_map(|(i, n)| Op::DelRank(i, n)),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_sorted_vec(ops in proptest::collection::vec(op(), 1..150)) {
            let mut sl = SkipList::new();
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(s, m) => {
                        let member = vec![b'a' + m % 26, m];
                        if !model.iter().any(|(_, x)| *x == member) {
                            sl.insert(s as f64 / 2.0, sb(&member));
                            model.push((s as f64 / 2.0, member));
                        }
                    }
                    Op::Delete(i) => if !model.is_empty() {
                        let (s, m) = model.remove(i % model.len());
                        prop_assert!(sl.delete(s, &m));
                    },
                    Op::Update(i, s) => if !model.is_empty() {
                        let i = i % model.len();
                        let (old, m) = model[i].clone();
                        prop_assert!(sl.update_score(old, &m, s as f64).is_some());
                        model[i].0 = s as f64;
                    },
                    Op::DelScore(a, b, x, y) => {
                        let r = ScoreRange { min: a as f64, max: b as f64, minex: x, maxex: y };
                        let before = model.len();
                        model.retain(|(s, _)| !(r.gte_min(*s) && r.lte_max(*s)) || r.is_empty());
                        prop_assert_eq!(sl.delete_score_range(&r, |_, _| {}), before - model.len());
                    }
                    Op::DelRank(i, n) => {
                        let sorted = model_sorted(&model);
                        if !sorted.is_empty() {
                            let start = i % sorted.len();
                            let end = start + n;
                            let kill: Vec<_> = sorted.iter().skip(start).take(n + 1).cloned().collect();
                            model.retain(|e| !kill.contains(e));
                            prop_assert_eq!(sl.delete_rank_range(start, end, |_, _| {}), kill.len());
                        }
                    }
                }
                prop_assert!(sl.check_invariants().is_ok());
                let sorted = model_sorted(&model);
                prop_assert_eq!(contents(&sl), sorted.clone());
            }
            let sorted = model_sorted(&model);
            for (i, (s, m)) in sorted.iter().enumerate() {
                prop_assert_eq!(sl.rank(*s, m), Some(i));
                let n = sl.by_rank(i).unwrap();
                prop_assert_eq!(sl.member(n), &m[..]);
            }
            let back: Vec<_> = sl.iter().rev().map(|(m, s)| (s, m.to_vec())).collect();
            let mut rs = sorted.clone();
            rs.reverse();
            prop_assert_eq!(back, rs);
            for lo in -10..10 {
                let r = ScoreRange { min: lo as f64, max: (lo + 3) as f64, minex: lo % 2 == 0, maxex: lo % 3 == 0 };
                let inside: Vec<usize> = (0..sorted.len()).filter(|&i| r.gte_min(sorted[i].0) && r.lte_max(sorted[i].0)).collect();
                prop_assert_eq!(sl.first_in_score_range(&r).map(|x| x.1), inside.first().copied());
                prop_assert_eq!(sl.last_in_score_range(&r).map(|x| x.1), inside.last().copied());
            }
        }
    }
}
