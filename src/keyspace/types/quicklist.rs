//! Quicklist: a list stored as a deque of listpack nodes, each bounded by `list-max-listpack-size`, the inner
//! ones LZF-compressed per `list-compress-depth`.
//!
//! ```text
//!  nodes: VecDeque<Node>           depth 1: only the two end nodes stay raw
//!  +---------------+   +----------------+   +----------------+   +---------------+
//!  | Raw: a b c .. |   | Lzf: 8 KiB->2K |   | Lzf: ...       |   | Raw: .. y z   |   count = total elements
//!  +---------------+   +----------------+   +----------------+   +---------------+
//!   <= fill entries (fill > 0, and <= 8 KiB)  or  <= 4/8/16/32/64 KiB (fill = -1..-5)
//! ```
//!
//! Fill rule (Redis 7.0's `_quicklistNodeAllowInsert`): with a negative fill an element joins a node when the
//! node's bytes plus the element plus 8 bytes of estimated overhead stay within 4 KiB << (-fill - 1); with a
//! positive fill when that estimate stays within the 8 KiB safety limit and the node holds fewer than `fill`
//! entries. An element too large for any node gets a node of its own. Fill is clamped to -5..=32767 as Redis does.
//!
//! Compression (Redis's `__quicklistCompress`): with depth `d > 0` the `d` nodes at each end are raw and every
//! node between them is LZF-compressed when that pays: the listpack is at least 48 bytes (`MIN_COMPRESS_BYTES`)
//! and the LZF form at least 8 bytes smaller (`MIN_COMPRESS_IMPROVE`); otherwise the node stays raw, marked as
//! tried until it changes. Large single-element nodes (Redis's "plain" nodes) follow the same rule. A write to an
//! inner node decompresses it in place and the node is compressed again when the operation ends (Redis's
//! `recompress`); a read decompresses a copy and leaves the node as it is, which is what Redis's decompress,
//! read, recompress cycle amounts to. The depth is the list's own (fixed when it became a quicklist, as Redis
//! fixes it at creation): CONFIG SET affects lists created afterwards. The compressor is liblzf's algorithm
//! ([`crate::lzf`]), so node sizes match Redis's for the same listpack.
//!
//! Invariants: no node is empty; `count` is the sum of node lengths; every node with more than one entry obeys the
//! fill rule (inserts in the middle and replacements split an oversized node; deletions merge a node into a
//! neighbour when the result fits); when the depth is not 0, nodes within the depth of either end are raw and the
//! nodes between are compressed or marked as tried.
//!
//! Tests: unit tests of the fill rule at both kinds of limit and of the compression rules; a proptest against a
//! `VecDeque<Vec<u8>>` model for push/pop/insert/set/delete/trim/remove operations under several fills and
//! depths 0, 1 and 2, checking the invariants after each step; 100k elements.

use super::listpack::{entry_to_vec, Listpack, Needle};
use super::StrRef;
use crate::alloc::slab::SlabBytes;
use crate::lzf;
use std::borrow::Cow;
use std::collections::VecDeque;

const SIZE_SAFETY_LIMIT: usize = 8192;
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Header plus end marker of an empty listpack.
const LP_EMPTY_BYTES: usize = 7;
/// Redis's `MIN_COMPRESS_BYTES`: smaller nodes are not compressed.
pub const MIN_COMPRESS_BYTES: usize = 48;
/// Redis's `MIN_COMPRESS_IMPROVE`: the LZF form must save more than this many bytes.
pub const MIN_COMPRESS_IMPROVE: usize = 8;

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

/// One element read from a list: borrowed from a raw node, or copied out of a compressed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListItem<'a> {
    Ref(StrRef<'a>),
    Own(Vec<u8>),
}

impl<'a> ListItem<'a> {
    /// An element of a decompressed copy (integers need no copy).
    #[inline]
    fn copied(e: StrRef<'_>) -> ListItem<'a> {
        match e {
            StrRef::Int(n) => ListItem::Ref(StrRef::Int(n)),
            StrRef::Bytes(b) => ListItem::Own(b.to_vec()),
        }
    }

    #[inline]
    pub fn as_ref(&self) -> StrRef<'_> {
        match self {
            ListItem::Ref(s) => *s,
            ListItem::Own(v) => StrRef::Bytes(v),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            ListItem::Ref(s) => s.to_vec(),
            ListItem::Own(v) => v.clone(),
        }
    }
}

/// A quicklist node: a listpack (with `tried`: compression was attempted, did not pay, and the node has not
/// changed since), or a listpack's LZF bytes with its size and entry count.
#[derive(Clone)]
pub enum Node {
    Raw(Listpack, bool),
    Lzf { data: SlabBytes, sz: u32, count: u32 },
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Raw(lp, _) => lp.fmt(f),
            Node::Lzf { data, sz, count } => write!(f, "Lzf({count} entries, {sz} -> {} bytes)", data.len()),
        }
    }
}

/// Expands LZF bytes made from a valid listpack of `sz` bytes (compressed here, or checked when loaded).
fn decompress(data: &[u8], sz: usize) -> Listpack {
    let mut buf = SlabBytes::with_capacity(sz);
    buf.resize(sz, 0);
    if lzf::decompress_into(data, buf.as_mut_slice()).is_err() || !Listpack::validate(buf.as_slice()) {
        // Cannot happen for bytes that came from a listpack; an empty node is the safe answer if it did.
        return Listpack::new();
    }
    Listpack::from_checked(buf)
}

impl Node {
    pub fn raw(lp: Listpack) -> Node {
        Node::Raw(lp, false)
    }

    /// A node kept in the LZF form it was loaded in: `data` expands to a valid listpack of `sz` bytes and
    /// `count` entries (the caller checked).
    pub fn compressed(data: SlabBytes, sz: usize, count: usize) -> Node {
        Node::Lzf { data, sz: sz as u32, count: count as u32 }
    }

    /// Number of entries.
    #[inline]
    pub fn count(&self) -> usize {
        match self {
            Node::Raw(lp, _) => lp.len(),
            Node::Lzf { count, .. } => *count as usize,
        }
    }

    /// The listpack's size in bytes (uncompressed).
    #[inline]
    pub fn sz(&self) -> usize {
        match self {
            Node::Raw(lp, _) => lp.bytes(),
            Node::Lzf { sz, .. } => *sz as usize,
        }
    }

    /// The LZF bytes of a compressed node.
    pub fn lzf(&self) -> Option<&[u8]> {
        match self {
            Node::Raw(..) => None,
            Node::Lzf { data, .. } => Some(data.as_slice()),
        }
    }

    /// Heap bytes held.
    pub fn alloc_bytes(&self) -> usize {
        match self {
            Node::Raw(lp, _) => lp.alloc_bytes(),
            Node::Lzf { data, .. } => data.capacity(),
        }
    }

    /// The listpack: borrowed when raw, a decompressed copy otherwise.
    pub fn listpack(&self) -> Cow<'_, Listpack> {
        match self {
            Node::Raw(lp, _) => Cow::Borrowed(lp),
            Node::Lzf { data, sz, .. } => Cow::Owned(decompress(data.as_slice(), *sz as usize)),
        }
    }

    /// The listpack for modification: decompressed in place if needed, the `tried` mark cleared.
    #[inline]
    fn make_raw(&mut self) -> &mut Listpack {
        self.open(true)
    }

    /// Marks a raw node as changed since compression was last tried.
    fn touch(&mut self) {
        if let Node::Raw(_, tried) = self {
            *tried = false;
        }
    }

    /// The listpack, decompressed in place if needed; `changing` clears the `tried` mark.
    #[inline]
    fn open(&mut self, changing: bool) -> &mut Listpack {
        if let Node::Lzf { data, sz, .. } = self {
            let lp = decompress(data.as_slice(), *sz as usize);
            *self = Node::Raw(lp, false);
        }
        match self {
            Node::Raw(lp, tried) => {
                *tried &= !changing;
                lp
            }
            // Not reachable (the node was made raw just above); a detached empty listpack keeps this panic-free.
            Node::Lzf { .. } => Box::leak(Box::default()),
        }
    }

    /// `__quicklistCompressNode`: compresses a raw node when it is big enough and LZF saves enough.
    fn compress(&mut self) {
        let Node::Raw(lp, tried) = self else { return };
        *tried = true;
        let (sz, count) = (lp.bytes() as u32, lp.len() as u32);
        if let Some(data) = compress_listpack(lp) {
            *self = Node::Lzf { data, sz, count };
        }
    }
}

/// A listpack's LZF bytes when it is at least [`MIN_COMPRESS_BYTES`] and LZF saves more than
/// [`MIN_COMPRESS_IMPROVE`] (list nodes, closed stream nodes); the listpack is then taken (left empty), its buffer
/// reused for the compressed bytes and shrunk in place: no second allocation, and no hole left where it was.
pub fn compress_listpack(lp: &mut Listpack) -> Option<SlabBytes> {
    let sz = lp.bytes();
    if sz < MIN_COMPRESS_BYTES {
        return None;
    }
    lzf::with_compressor(|c, out| {
        let n = c.compress(lp.as_bytes(), out, sz);
        if n == 0 || n + MIN_COMPRESS_IMPROVE >= sz {
            return None;
        }
        let mut buf = std::mem::take(lp).into_buf();
        buf.as_mut_slice()[..n].copy_from_slice(&out[..n]);
        buf.resize(n, 0);
        buf.shrink_to_fit();
        Some(buf)
    })
}

/// Iterates one node's entries, borrowing a raw node or owning a decompressed copy.
enum NodeIter<'a> {
    Ref(super::listpack::Iter<'a>),
    Own { lp: Listpack, front: Option<usize>, back: Option<usize> },
}

impl<'a> NodeIter<'a> {
    fn new(n: &'a Node) -> NodeIter<'a> {
        match n.listpack() {
            Cow::Borrowed(lp) => NodeIter::Ref(lp.iter()),
            Cow::Owned(lp) => {
                let (front, back) = (lp.first(), lp.last());
                NodeIter::Own { lp, front, back }
            }
        }
    }
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = ListItem<'a>;
    #[inline]
    fn next(&mut self) -> Option<ListItem<'a>> {
        match self {
            NodeIter::Ref(it) => it.next().map(ListItem::Ref),
            NodeIter::Own { lp, front, back } => {
                let f = (*front)?;
                if Some(f) == *back {
                    (*front, *back) = (None, None);
                } else {
                    *front = lp.next(f);
                }
                Some(ListItem::copied(lp.get(f)))
            }
        }
    }
}

impl<'a> DoubleEndedIterator for NodeIter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<ListItem<'a>> {
        match self {
            NodeIter::Ref(it) => it.next_back().map(ListItem::Ref),
            NodeIter::Own { lp, front, back } => {
                let b = (*back)?;
                if Some(b) == *front {
                    (*front, *back) = (None, None);
                } else {
                    *back = lp.prev(b);
                }
                Some(ListItem::copied(lp.get(b)))
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
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
            q.nodes.push_back(Node::raw(lp));
            q.split_if_oversized(0);
            q.settle(0, usize::MAX);
        }
        q
    }

    /// A quicklist of loaded nodes, kept as they are (none empty, each obeying the fill rule); the inner ones
    /// are compressed and those within the depth decompressed.
    pub fn from_nodes(nodes: Vec<Node>, fill: i64, compress_depth: i64) -> Quicklist {
        let mut q = Quicklist::new(fill, compress_depth);
        q.count = nodes.iter().map(|n| n.count()).sum();
        q.nodes = nodes.into();
        q.settle(0, usize::MAX);
        q
    }

    /// Gives back the single node when there is at most one.
    pub fn into_single_listpack(mut self) -> Result<Listpack, Quicklist> {
        match self.nodes.len() {
            0 => Ok(Listpack::new()),
            1 => Ok(self.nodes.pop_front().map(|n| n.listpack().into_owned()).unwrap_or_default()),
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

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// Heap bytes held by the nodes (for memory accounting).
    pub fn alloc_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>() + self.nodes.iter().map(|n| n.alloc_bytes()).sum::<usize>()
    }

    /// [`Self::alloc_bytes`] with the nodes' bytes estimated from the first `samples` nodes (MEMORY USAGE).
    pub fn alloc_bytes_sampled(&self, samples: usize) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + super::sampled_sum(self.nodes.iter().map(|n| n.alloc_bytes()), self.nodes.len(), samples)
    }

    /// Is node `i` beyond the compress depth from both ends?
    #[inline]
    fn inner(&self, i: usize) -> bool {
        let d = self.compress_depth as usize;
        d > 0 && i >= d && i + d < self.nodes.len()
    }

    /// Brings nodes `lo..=hi` (clamped) to their compression state: inner ones compressed (unless tried), the
    /// others raw.
    fn settle(&mut self, lo: usize, hi: usize) {
        let n = self.nodes.len();
        if self.compress_depth == 0 || n == 0 {
            return;
        }
        for i in lo..=hi.min(n - 1) {
            let inner = self.inner(i);
            let node = &mut self.nodes[i];
            match node {
                Node::Raw(_, tried) if inner && !*tried => node.compress(),
                Node::Lzf { .. } if !inner => {
                    node.make_raw();
                }
                _ => {}
            }
        }
    }

    /// Settles the nodes within the depth of each end and the first inner node on each side: what a change in
    /// the number of nodes can move across the depth.
    fn settle_edges(&mut self) {
        let d = self.compress_depth as usize;
        let n = self.nodes.len();
        if d == 0 || n == 0 {
            return;
        }
        if 2 * d + 2 >= n {
            return self.settle(0, n - 1);
        }
        self.settle(0, d);
        self.settle(n - 1 - d, n - 1);
    }

    /// After a change in the middle touching nodes `lo..=hi` (as they are now): settles them, the nodes a split
    /// may have pushed past the depth, and the edges.
    fn settle_after(&mut self, lo: usize, hi: usize) {
        if self.compress_depth == 0 {
            return;
        }
        let d = self.compress_depth as usize;
        self.settle(lo.saturating_sub(1), hi.saturating_add(d + 1));
        self.settle_edges();
    }

    // push_back and push_front are alike but kept apart: each is on RPUSH's or LPUSH's path, and the deque's end
    // methods differ at every step.
    pub fn push_back(&mut self, v: &[u8]) {
        let fill = self.fill;
        match self.nodes.back_mut() {
            Some(n) if allow_insert(fill, n.sz(), n.count(), v.len()) => n.make_raw().push_back(v),
            _ => {
                if let Some(Node::Raw(lp, _)) = self.nodes.back_mut() {
                    lp.shrink_to_fit();
                }
                let mut lp = Listpack::new();
                lp.push_back(v);
                self.nodes.push_back(Node::raw(lp));
                self.settle_edges();
            }
        }
        self.count += 1;
    }

    pub fn push_front(&mut self, v: &[u8]) {
        let fill = self.fill;
        match self.nodes.front_mut() {
            Some(n) if allow_insert(fill, n.sz(), n.count(), v.len()) => n.make_raw().push_front(v),
            _ => {
                if let Some(Node::Raw(lp, _)) = self.nodes.front_mut() {
                    lp.shrink_to_fit();
                }
                let mut lp = Listpack::new();
                lp.push_back(v);
                self.nodes.push_front(Node::raw(lp));
                self.settle_edges();
            }
        }
        self.count += 1;
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let n = self.nodes.front_mut()?.make_raw();
        let off = n.first()?;
        let v = entry_to_vec(n.get(off));
        n.delete(off);
        if n.is_empty() {
            self.nodes.pop_front();
            self.settle_edges();
        }
        self.count -= 1;
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let n = self.nodes.back_mut()?.make_raw();
        let off = n.last()?;
        let v = entry_to_vec(n.get(off));
        n.delete(off);
        if n.is_empty() {
            self.nodes.pop_back();
            self.settle_edges();
        }
        self.count -= 1;
        Some(v)
    }

    /// (node, index within node) of element `index` (< len), walking from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index < self.count / 2 {
            let mut acc = 0;
            for (ni, n) in self.nodes.iter().enumerate() {
                let l = n.count();
                if index < acc + l {
                    return (ni, index - acc);
                }
                acc += l;
            }
        } else {
            let mut acc = self.count;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                let l = n.count();
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
    pub fn get(&self, index: i64) -> Option<ListItem<'_>> {
        let i = self.norm(index)?;
        let (ni, k) = self.locate(i);
        match self.nodes[ni].listpack() {
            Cow::Borrowed(lp) => lp.get_index(k as i64).map(ListItem::Ref),
            Cow::Owned(lp) => lp.get_index(k as i64).map(ListItem::copied),
        }
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: i64, v: &[u8]) -> bool {
        let Some(i) = self.norm(index) else { return false };
        let (ni, k) = self.locate(i);
        let n = self.nodes[ni].make_raw();
        let Some(off) = n.seek(k as i64) else { return false };
        n.replace(off, v);
        let added = self.split_if_oversized(ni);
        self.settle_after(ni, ni + added);
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
            if !allow_insert(fill, n.sz(), n.count(), v.len()) {
                let p = &mut self.nodes[ni - 1];
                if allow_insert(fill, p.sz(), p.count(), v.len()) {
                    p.make_raw().push_back(v);
                    self.count += 1;
                    self.settle_after(ni - 1, ni - 1);
                    return;
                }
            }
        }
        self.nodes[ni].make_raw().insert_index(k, v);
        self.count += 1;
        let added = self.split_if_oversized(ni);
        self.settle_after(ni, ni + added);
    }

    /// Splits node `ni` until every piece fits the fill rule; returns the number of nodes added.
    fn split_if_oversized(&mut self, ni: usize) -> usize {
        let n = &self.nodes[ni];
        if node_fits(self.fill, n.sz(), n.count()) {
            return 0;
        }
        // Rebuild this node's entries into as many nodes as the fill rule needs, greedily.
        let old = std::mem::replace(&mut self.nodes[ni], Node::raw(Listpack::new()));
        let mut pieces: Vec<Listpack> = Vec::new();
        let mut cur = Listpack::new();
        for e in old.listpack().iter() {
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
        let added = pieces.len().saturating_sub(1);
        let mut it = pieces.into_iter();
        if let Some(first) = it.next() {
            self.nodes[ni] = Node::raw(first);
        }
        for (k, p) in it.enumerate() {
            self.nodes.insert(ni + 1 + k, Node::raw(p));
        }
        added
    }

    /// Merges node `ni` with its next neighbour when the result fits.
    fn try_merge_with_next(&mut self, ni: usize) -> bool {
        if ni + 1 >= self.nodes.len() {
            return false;
        }
        let (a, b) = (&self.nodes[ni], &self.nodes[ni + 1]);
        let bytes = a.sz() + b.sz() - LP_EMPTY_BYTES;
        if !node_fits(self.fill, bytes, a.count() + b.count()) {
            return false;
        }
        let Some(b) = self.nodes.remove(ni + 1) else { return false };
        let a = self.nodes[ni].make_raw();
        for e in b.listpack().iter() {
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
        if self.nodes[ni].count() == 0 {
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
            let node_len = self.nodes[ni].count();
            let take = left.min(node_len - k);
            if k == 0 && take == node_len {
                self.nodes.remove(ni);
            } else {
                self.nodes[ni].make_raw().delete_range(k as i64, take);
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
        self.settle_after(first_ni.saturating_sub(1), hi);
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
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = ListItem<'_>> + '_ {
        self.nodes.iter().flat_map(NodeIter::new)
    }

    /// Elements from `index` (normalized, < len) onwards, forwards or backwards.
    pub fn iter_from(&self, index: usize, rev: bool) -> Box<dyn Iterator<Item = ListItem<'_>> + '_> {
        if index >= self.count {
            return Box::new(std::iter::empty());
        }
        let (ni, k) = self.locate(index);
        if rev {
            let skip = self.nodes[ni].count() - 1 - k;
            Box::new(self.nodes.range(..=ni).rev().flat_map(|n| NodeIter::new(n).rev()).skip(skip))
        } else {
            Box::new(self.nodes.range(ni..).flat_map(NodeIter::new).skip(k))
        }
    }

    /// Visits up to `count` elements from `index` (normalized) towards the tail, without boxing an iterator
    /// (a compressed node is expanded once into a scratch copy).
    pub fn for_each_from(&self, index: usize, count: usize, f: &mut impl FnMut(StrRef<'_>)) {
        if index >= self.count || count == 0 {
            return;
        }
        let (ni, k) = self.locate(index);
        let mut left = count;
        for (i, n) in self.nodes.range(ni..).enumerate() {
            let lp = n.listpack();
            let start = if i == 0 { lp.seek(k as i64) } else { lp.first() };
            let Some(off) = start else { continue };
            left -= lp.for_each_from(off, left, f);
            if left == 0 {
                break;
            }
        }
    }

    /// Visits elements from the head (or from the tail when `rev`) until `f` returns false.
    pub fn visit(&self, rev: bool, f: &mut impl FnMut(StrRef<'_>) -> bool) {
        let mut go = |n: &Node| {
            let lp = n.listpack();
            if rev {
                lp.iter().rev().all(&mut *f)
            } else {
                lp.iter().all(&mut *f)
            }
        };
        if rev {
            for n in self.nodes.iter().rev() {
                if !go(n) {
                    return;
                }
            }
        } else {
            for n in self.nodes.iter() {
                if !go(n) {
                    return;
                }
            }
        }
    }

    /// LREM: removes up to `count` elements equal to `v` (all when 0), from the tail when `count < 0`.
    pub fn remove_matching(&mut self, v: &[u8], count: i64) -> usize {
        let needle = Needle::new(v);
        let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
        let mut removed = 0;
        let mut touched: Vec<usize> = Vec::new();
        // A compressed node is searched in a copy and decompressed in place only when it holds a match.
        let open = |n: &mut Node| -> bool {
            if let Node::Lzf { .. } = n {
                let lp = n.listpack().into_owned();
                if !lp.iter().any(|e| needle.matches(e)) {
                    return false;
                }
                *n = Node::raw(lp);
            }
            true
        };
        if count >= 0 {
            for (ni, node) in self.nodes.iter_mut().enumerate() {
                if !open(node) {
                    continue;
                }
                let k = node.open(false).remove_matching(&needle, false, limit - removed);
                if k > 0 {
                    removed += k;
                    node.touch();
                    touched.push(ni);
                }
                if removed == limit {
                    break;
                }
            }
        } else {
            for (ni, node) in self.nodes.iter_mut().enumerate().rev() {
                if !open(node) {
                    continue;
                }
                let k = node.open(false).remove_matching(&needle, true, limit - removed);
                if k > 0 {
                    removed += k;
                    node.touch();
                    touched.push(ni);
                }
                if removed == limit {
                    break;
                }
            }
            touched.reverse();
        }
        self.count -= removed;
        let (Some(&lo), Some(&hi)) = (touched.first(), touched.last()) else { return removed };
        if touched.len() <= 4 {
            // A few touched nodes: tidy them in place, highest index first so indexes stay valid.
            for &ni in touched.iter().rev() {
                self.tidy(ni);
            }
            self.settle_after(lo.saturating_sub(1), hi);
        } else {
            // Many: one linear pass instead of repeated removals from the middle of the deque.
            self.compact();
            self.settle(0, usize::MAX);
        }
        removed
    }

    /// Drops empty nodes and merges neighbours that fit together, in one pass over the deque.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.nodes);
        let mut out: VecDeque<Node> = VecDeque::with_capacity(old.len());
        for n in old {
            if n.count() == 0 {
                continue;
            }
            if let Some(b) = out.back_mut() {
                if node_fits(self.fill, b.sz() + n.sz() - LP_EMPTY_BYTES, b.count() + n.count()) {
                    let b = b.make_raw();
                    for e in n.listpack().iter() {
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
            if n.count() == 0 {
                return Err(format!("node {i} is empty"));
            }
            if !node_fits(self.fill, n.sz(), n.count()) {
                return Err(format!("node {i} oversized: {} bytes, {} entries", n.sz(), n.count()));
            }
            let lp = n.listpack();
            if !Listpack::validate(lp.as_bytes()) || lp.bytes() != n.sz() || lp.len() != n.count() {
                return Err(format!("node {i} is not a valid listpack"));
            }
            match n {
                Node::Lzf { .. } if !self.inner(i) => return Err(format!("node {i} is compressed within the depth")),
                Node::Raw(_, tried) if self.inner(i) => {
                    let mut probe = Node::raw(lp.into_owned());
                    probe.compress();
                    if !*tried || probe.lzf().is_some() {
                        return Err(format!("inner node {i} is raw (tried {tried})"));
                    }
                }
                _ => {}
            }
            total += n.count();
        }
        if total != self.count {
            return Err(format!("count {} != {}", self.count, total));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::VecDeque;

    /// LREM on a model list: removes up to `|count|` copies of `v` (all when 0), from the tail when `count < 0`;
    /// returns how many it removed. The quicklist's and `List`'s property tests both check against it.
    pub(in crate::keyspace::types) fn model_remove_matching(m: &mut VecDeque<Vec<u8>>, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
        let mut idx: Vec<usize> = m.iter().enumerate().filter(|(_, x)| x.as_slice() == v).map(|(i, _)| i).collect();
        if count < 0 {
            idx.reverse();
        }
        idx.truncate(limit);
        idx.sort_unstable();
        for &i in idx.iter().rev() {
            m.remove(i);
        }
        idx.len()
    }
    use super::*;
    use proptest::prelude::*;

    fn contents(q: &Quicklist) -> Vec<Vec<u8>> {
        q.iter().map(|e| e.to_vec()).collect()
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
        assert_eq!(q.nodes().map(|n| n.count()).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut q = Quicklist::new(-1, 0);
        for _ in 0..100 {
            q.push_back(&[b'x'; 100]);
        }
        q.check_invariants().unwrap();
        assert!(q.nodes().all(|n| n.sz() <= 4096));
        assert_eq!(q.node_count(), 3);
        // An element bigger than a node gets its own.
        q.push_front(&[b'y'; 10000]);
        q.check_invariants().unwrap();
        assert_eq!(q.nodes().next().map(|n| n.count()), Some(1));
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
        assert_eq!(q.get(-1).map(|e| e.to_vec()), Some(b"last".to_vec()));
        assert_eq!(q.get(i64::MIN), None);
        q.delete_range(1, 5);
        q.check_invariants().unwrap();
        assert_eq!(contents(&q), ["0", "4", "last"].map(|s| s.as_bytes().to_vec()));
        let rev: Vec<Vec<u8>> = q.iter_from(1, true).map(|e| e.to_vec()).collect();
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
        assert_eq!(q.get(0).map(|e| e.to_vec()), Some(b"99999".to_vec()));
        assert_eq!(q.get(-1).map(|e| e.to_vec()), Some(b"v99998".to_vec()));
        assert_eq!(q.remove_matching(b"v50000", 0), 1);
        q.retain_range(1000, 98_000);
        q.check_invariants().unwrap();
        assert_eq!(q.len(), 97_001);
        assert_eq!(q.iter().count(), 97_001);
        assert_eq!(q.iter().rev().count(), 97_001);
    }

    #[test]
    fn inner_nodes_are_compressed_per_depth() {
        for depth in [1usize, 2, 3] {
            let mut q = Quicklist::new(16, depth as i64);
            for i in 0..1000 {
                q.push_back(format!("element:{i}").as_bytes());
                q.check_invariants().unwrap();
            }
            let n = q.node_count();
            assert_eq!(n, 63);
            for (i, node) in q.nodes().enumerate() {
                assert_eq!(node.lzf().is_some(), i >= depth && i + depth < n, "depth {depth} node {i}");
            }
            // Reads see through compressed nodes without changing them.
            assert_eq!(q.get(500).map(|e| e.to_vec()), Some(b"element:500".to_vec()));
            assert_eq!(q.iter().rev().nth(999).map(|e| e.to_vec()), Some(b"element:0".to_vec()));
            let mut seen = Vec::new();
            q.for_each_from(30, 3, &mut |e| seen.push(e.to_vec()));
            assert_eq!(seen, [b"element:30".to_vec(), b"element:31".to_vec(), b"element:32".to_vec()]);
            assert_eq!(q.nodes().filter(|n| n.lzf().is_some()).count(), n - 2 * depth);
            // Popping down moves the depth: the nodes that reach it are decompressed.
            while q.node_count() > 2 * depth {
                q.pop_back();
                q.check_invariants().unwrap();
            }
            assert!(q.nodes().all(|n| n.lzf().is_none()));
        }
    }

    #[test]
    fn compression_thresholds_follow_redis() {
        // Under 48 bytes: never compressed.
        let mut q = Quicklist::new(2, 1);
        for _ in 0..6 {
            q.push_back(&[b'a'; 10]);
        }
        assert!(q.nodes().all(|n| n.lzf().is_none()));
        q.check_invariants().unwrap();
        // Incompressible bytes: tried, kept raw.
        let mut rng = crate::util::Rng::new(7);
        let mut q = Quicklist::new(1, 1);
        for _ in 0..4 {
            let v: Vec<u8> = (0..500).map(|_| rng.next_u64() as u8).collect();
            q.push_back(&v);
        }
        assert!(q.nodes().all(|n| n.lzf().is_none()));
        q.check_invariants().unwrap();
        // A large single element (Redis's plain node) is compressed like any node, and its size is the listpack's.
        let mut q = Quicklist::new(-2, 1);
        q.push_back(b"head");
        q.push_back(&vec![b'x'; 100_000]);
        q.push_back(b"tail");
        assert_eq!(q.node_count(), 3);
        let mid = q.nodes().nth(1).unwrap();
        assert!(mid.lzf().unwrap().len() < 2000);
        assert_eq!(mid.sz(), 100_000 + 7 + 5 + 3);
        assert_eq!(q.get(1).map(|e| e.to_vec()), Some(vec![b'x'; 100_000]));
        // Writing to an inner node decompresses it for the change and compresses it again.
        assert!(q.set(1, &vec![b'y'; 90_000]));
        assert!(q.nodes().nth(1).unwrap().lzf().is_some());
        q.check_invariants().unwrap();
        assert_eq!(q.get(1).map(|e| e.to_vec()), Some(vec![b'y'; 90_000]));
        // The LZF bytes are liblzf's: they expand back, and a compressor given the node's size for room agrees.
        let z = q.nodes().nth(1).unwrap().lzf().unwrap().to_vec();
        let lp = q.nodes().nth(1).unwrap().listpack().into_owned();
        assert_eq!(lzf::compress(lp.as_bytes(), lp.bytes()), Some(z));
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
            1 => proptest::collection::vec(any::<u8>(), 40..300),
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
                                depth in 0i64..3,
                                ops in proptest::collection::vec(op(), 1..120)) {
            let mut q = Quicklist::new(fill, depth);
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
                    Op::Rem(v, c) => prop_assert_eq!(q.remove_matching(&v, c), model_remove_matching(&mut m, &v, c)),
                }
                prop_assert!(q.check_invariants().is_ok(), "{:?}", q.check_invariants());
                prop_assert_eq!(contents(&q), m.iter().cloned().collect::<Vec<_>>());
            }
            let back: Vec<Vec<u8>> = q.iter().rev().map(|e| e.to_vec()).collect();
            prop_assert_eq!(back, m.iter().rev().cloned().collect::<Vec<_>>());
            for i in 0..m.len() {
                prop_assert_eq!(q.get(i as i64).map(|e| e.to_vec()), Some(m[i].clone()));
                let fwd: Vec<Vec<u8>> = q.iter_from(i, false).map(|e| e.to_vec()).collect();
                prop_assert_eq!(fwd, m.iter().skip(i).cloned().collect::<Vec<_>>());
                let rev: Vec<Vec<u8>> = q.iter_from(i, true).map(|e| e.to_vec()).collect();
                prop_assert_eq!(rev, m.iter().take(i + 1).rev().cloned().collect::<Vec<_>>());
            }
        }
    }
}
