//! Stream value: Redis's log type, an ordered index of listpack nodes in Redis's exact byte layout, plus the
//! consumer groups' data model.
//!
//! ```text
//!  Stream { nodes: BTreeMap<master id, Listpack>, length, last_id, first_id, max_deleted_entry_id,
//!           entries_added, groups: VecMap<name, ConsumerGroup>, idmp: Option<Box<Idmp>> }
//!
//!  one node (a listpack; every box is one listpack entry):
//!  +-------+---------+------------+---------+-----+---------+---+
//!  | count | deleted | num-fields | field_1 | ... | field_N | 0 |      the master entry
//!  +-------+---------+------------+---------+-----+---------+---+
//!  +-------+---------+----------+------------+---------+---------+-----+----------+
//!  | flags | ms-diff | seq-diff | num-fields | field_1 | value_1 | ... | lp-count |    an entry
//!  +-------+---------+----------+------------+---------+---------+-----+----------+
//!  +-------+---------+----------+---------+-----+---------+----------+
//!  | flags | ms-diff | seq-diff | value_1 | ... | value_N | lp-count |   flags & SAMEFIELDS: the master's fields
//!  +-------+---------+----------+---------+-----+---------+----------+
//! ```
//!
//! The node's key is its master id: the id of the first entry appended to it; entry ids are stored as the
//! difference from it. `count` is the node's live entries, `deleted` its tombstones (entries flagged DELETED by
//! XDEL or an exact trim, which stay in place); `lp-count` is the number of listpack entries the entry spans after
//! its flags, so the node can be walked backwards. This is Redis's `t_stream.c` format byte for byte.
//!
//! Closed nodes are compressed ([`StreamNode`]): when XADD opens a new node, the previous tail is kept as the LZF
//! bytes of its listpack (under the rule of compressed list nodes: at least 48 bytes, and LZF saves more than 8),
//! which is how an RDB file holds it too, so SAVE writes those bytes as they are and a load keeps them (a 1M-entry
//! stream of small entries takes ~8.5 bytes an entry instead of ~13). Only the tail is appended to, and most reads
//! are near it. A read of a closed node expands it into a listpack shared with a one-node cache (consecutive pages
//! of XRANGE or of a group's readers expand it once); a change (XDEL, an exact trim inside it) expands it in place
//! and compresses it again afterwards. Redis keeps every node expanded.
//!
//! Redis indexes its nodes with a radix tree keyed by the 128-bit big-endian master id; here it is a `BTreeMap`
//! keyed by the id. With the default 100 entries (or 4 KiB) per node the index is a few percent of the stream
//! either way: a B-tree slot costs 32 bytes per node (id + listpack handle) against a rax's ~2 nodes of 16-24
//! bytes plus the key bytes per leaf, and seeking the tail node (XADD) or a bound (XRANGE) is O(log n) in both.
//! XINFO's `radix-tree-nodes` is computed as the node count of the rax Redis would build for the same keys
//! ([`Stream::radix_tree_nodes`]).
//!
//! Invariants: node keys increase and every entry of a node has an id >= its key and below the next node's key;
//! `length` is the sum of the nodes' `count`s; a node with no live entry left by XDEL is removed (as Redis); a node
//! is walked only after it passed [`check_node`]'s deep check (at load, or, for a compressed node loaded from a file
//! without `sanitize-dump-payload yes`, at its first expansion: one that fails reads as empty, where Redis, which
//! checks only the header then, would crash on it), so walking one never leaves its bounds. The
//! code that walks nodes still returns `None` instead of indexing blindly, and id arithmetic wraps as Redis's
//! `uint64_t` does, so a node whose ids are inconsistent (a corrupt file loaded without deep sanitization cannot
//! produce one here: loading always runs the deep check) gives odd results, never a panic.
//!
//! Consumer groups ([`ConsumerGroup`]): the last delivered id, the logical read counter (`entries_read`, -1 when
//! unknown), the group's pending entries list (PEL) ordered by id with each entry's delivery time, delivery count
//! and owning consumer, and the consumers (name, seen time, their own PEL of ids), as Redis's `streamCG`,
//! `streamNACK` and `streamConsumer`. [`ConsumerGroup::check`] states the consistency between the two PELs.
//!
//! Tests: unit tests of id parsing (Redis's `string2ull` rules), node layout against hand-built byte images,
//! node splitting by bytes and entries, trimming exact and approximate, the rax node count, compressed nodes read
//! both ways, changed and compressed again, a corrupt compressed node read as empty; a proptest that
//! applies random XADD/XDEL/XTRIM/XSETID to a stream and to a `BTreeMap` model and compares ranges in both
//! directions and the metadata after every step.

use super::listpack::{Listpack, LpInput};
use super::StrRef;
use crate::alloc::slab::SlabBytes;
use crate::lzf;
use crate::util::{c_str, parse_i64};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Entry flags (Redis's `STREAM_ITEM_FLAG_*`).
pub const FLAG_DELETED: i64 = 1;
pub const FLAG_SAMEFIELDS: i64 = 2;
/// Largest listpack a node may grow to, and the largest entry (`STREAM_LISTPACK_MAX_SIZE`).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// `entries_read` of a group whose read counter is unknown (`SCG_INVALID_ENTRIES_READ`).
pub const ENTRIES_READ_INVALID: i64 = -1;

/// A stream entry id: milliseconds and a sequence number, ordered as Redis orders them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next id, None past the largest one (`streamIncrID`).
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                return None;
            }
            Some(StreamId { ms: self.ms + 1, seq: 0 })
        } else {
            Some(StreamId { ms: self.ms, seq: self.seq + 1 })
        }
    }

    /// The previous id, None before 0-0 (`streamDecrID`).
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                return None;
            }
            Some(StreamId { ms: self.ms - 1, seq: u64::MAX })
        } else {
            Some(StreamId { ms: self.ms, seq: self.seq - 1 })
        }
    }

    /// The 128-bit big-endian form Redis uses as rax key and in RDB PELs.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    /// Reads the 128-bit big-endian form; None unless `b` is 16 bytes.
    pub fn from_be_bytes(b: &[u8]) -> Option<StreamId> {
        let b: &[u8; 16] = b.try_into().ok()?;
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        Some(StreamId { ms: u64::from_be_bytes(ms), seq: u64::from_be_bytes(seq) })
    }

    /// `<ms>-<seq>`, as replies show an id.
    pub fn to_bytes(self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Redis's `string2ull`: `string2ll` for what fits a non-negative `long long`, else C's `strtoull` (leading
/// spaces, a sign, base 10, the whole string, no overflow; `-` negates modulo 2^64 as C does).
pub fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(n) = parse_i64(s) {
        return if n < 0 { None } else { Some(n as u64) };
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        match v.checked_mul(10).and_then(|x| x.checked_add((s[i] - b'0') as u64)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start || i != s.len() || overflow {
        return None;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// A parsed id argument and whether its sequence was given (false for `<ms>-*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedId {
    pub id: StreamId,
    pub seq_given: bool,
}

/// Redis's `streamGenericParseIDOrReply`: `-` and `+` (refused when `strict`), `<ms>-<seq>`, `<ms>` (sequence
/// `missing_seq`) and, when `seq_auto`, `<ms>-*`. None for an invalid id.
pub fn parse_id(arg: &[u8], missing_seq: u64, strict: bool, seq_auto: bool) -> Option<ParsedId> {
    if arg.len() > 127 {
        return None;
    }
    let buf = c_str(arg);
    if strict && (buf == b"-" || buf == b"+") {
        return None;
    }
    if buf == b"-" {
        return Some(ParsedId { id: StreamId::MIN, seq_given: true });
    }
    if buf == b"+" {
        return Some(ParsedId { id: StreamId::MAX, seq_given: true });
    }
    let (ms, seq, seq_given) = match memchr::memchr(b'-', buf) {
        Some(d) => {
            let ms = string2ull(&buf[..d])?;
            let rest = &buf[d + 1..];
            if seq_auto && rest == b"*" {
                (ms, 0, false)
            } else {
                (ms, string2ull(rest)?, true)
            }
        }
        None => (string2ull(buf)?, missing_seq, true),
    };
    Some(ParsedId { id: StreamId { ms, seq }, seq_given })
}

/// A range bound: `(id` is exclusive (then parsed strictly), anything else as [`parse_id`] with `missing_seq`.
/// Returns the id and whether it was exclusive.
pub fn parse_interval_id(arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        parse_id(&arg[1..], missing_seq, true, false).map(|p| (p.id, true))
    } else {
        parse_id(arg, missing_seq, false, false).map(|p| (p.id, false))
    }
}

/// Node size limits (`stream-node-max-bytes`, `stream-node-max-entries`; 0 = no limit), passed in by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: i64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits { max_bytes: 4096, max_entries: 100 }
    }
}

/// How XADD chooses the new entry's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdSpec {
    /// `*`: the current time, or the last id's successor.
    Auto,
    /// `<ms>-*`: the given time with the next free sequence.
    MsAuto(u64),
    /// A complete id.
    Explicit(StreamId),
}

/// Why an append failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The id is not greater than the stream's last id (Redis's `EDOM`).
    IdTooSmall,
    /// The fields and values are too large for a node (Redis's `ERANGE`).
    TooLarge,
}

/// How to trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

/// XADD/XTRIM trimming arguments: the strategy, `~` (whole nodes only) and the most entries to remove (0: no
/// limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim {
    pub strategy: TrimStrategy,
    pub approx: bool,
    pub limit: u64,
}

/// A consumer's name, shared by the consumer and its pending entries (Redis's `streamNACK` points at its
/// consumer; a clone here is a reference count, not an allocation per pending entry).
pub type Name = std::sync::Arc<[u8]>;

/// One pending entry of a group: when it was last delivered, how often, and to whom (`streamNACK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: Name,
}

/// A consumer of a group (`streamConsumer`): when it was last seen and the ids pending for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    pub seen_time: i64,
    pub pel: BTreeSet<StreamId>,
}

/// A small ordered map over a sorted `Vec`: a stream's groups and a group's consumers are usually a handful, where
/// a `BTreeMap`'s first leaf alone reserves eleven slots. Lookups are binary searches; inserts and removals shift
/// the tail, which stays cheap for the thousands of consumers a group may have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    pub fn new() -> Self {
        VecMap(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[inline]
    fn find<Q: Ord + ?Sized>(&self, k: &Q) -> Result<usize, usize>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.0.binary_search_by(|(x, _)| x.borrow().cmp(k))
    }

    #[inline]
    pub fn get<Q: Ord + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(k).ok().map(|i| &self.0[i].1)
    }

    #[inline]
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(k).ok().map(|i| &mut self.0[i].1)
    }

    /// The stored key and value.
    pub fn get_key_value<Q: Ord + ?Sized>(&self, k: &Q) -> Option<(&K, &V)>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(k).ok().map(|i| (&self.0[i].0, &self.0[i].1))
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, k: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(k).is_ok()
    }

    /// Inserts or replaces; returns the value replaced. The first few slots are reserved one at a time.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                if self.0.len() < 4 {
                    self.0.reserve_exact(1);
                }
                self.0.insert(i, (k, v));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        let i = self.find(k).ok()?;
        let v = self.0.remove(i).1;
        if self.0.is_empty() {
            self.0 = Vec::new();
        }
        Some(v)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + ExactSizeIterator {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// A consumer group (`streamCG`). Names of groups and consumers are ordered bytewise, as Redis's rax orders them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerGroup {
    pub last_id: StreamId,
    /// The logical read counter of `last_id`, [`ENTRIES_READ_INVALID`] when unknown.
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, PendingEntry>,
    pub consumers: VecMap<Name, Consumer>,
}

impl ConsumerGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> ConsumerGroup {
        ConsumerGroup { last_id, entries_read, pel: BTreeMap::new(), consumers: VecMap::new() }
    }

    /// Whether the two PELs agree: every pending entry names an existing consumer whose PEL holds its id, and every
    /// id in a consumer's PEL is pending for that consumer.
    pub fn check(&self) -> bool {
        let owned: usize = self.consumers.values().map(|c| c.pel.len()).sum();
        owned == self.pel.len()
            && self.pel.iter().all(|(id, p)| self.consumers.get(&*p.consumer).is_some_and(|c| c.pel.contains(id)))
    }
}

/// The parsed master entry of a node.
#[derive(Clone, Copy, Debug)]
struct Master {
    count: i64,
    deleted: i64,
    nfields: usize,
    /// Offset of the first master field (of the terminator when there are none).
    fields: usize,
    /// Offset of the first entry's flags.
    entries: Option<usize>,
}

/// An integer entry (stream nodes hold only canonical integers where integers are expected).
#[inline]
fn int_at(lp: &Listpack, off: usize) -> i64 {
    match lp.get(off) {
        StrRef::Int(n) => n,
        StrRef::Bytes(b) => parse_i64(b).unwrap_or(0),
    }
}

fn master(lp: &Listpack) -> Option<Master> {
    let p0 = lp.first()?;
    let count = int_at(lp, p0);
    let p1 = lp.next(p0)?;
    let deleted = int_at(lp, p1);
    let p2 = lp.next(p1)?;
    let nfields = int_at(lp, p2).max(0) as usize;
    let fields = lp.next(p2)?;
    let mut p = fields;
    for _ in 0..nfields {
        p = lp.next(p)?;
    }
    Some(Master { count, deleted, nfields, fields, entries: lp.next(p) })
}

/// One entry's place in its node.
#[derive(Clone, Copy, Debug)]
struct RawEntry {
    flags_off: usize,
    flags: i64,
    id: StreamId,
    nfields: usize,
    /// Offset of the first field (or value, with SAMEFIELDS).
    body: usize,
    /// Offset of the next entry's flags.
    next: Option<usize>,
}

fn entry_at(lp: &Listpack, master_id: StreamId, m: &Master, off: usize) -> Option<RawEntry> {
    let flags = int_at(lp, off);
    let mut p = lp.next(off)?;
    let ms = master_id.ms.wrapping_add(int_at(lp, p) as u64);
    p = lp.next(p)?;
    let seq = master_id.seq.wrapping_add(int_at(lp, p) as u64);
    p = lp.next(p)?;
    let same = flags & FLAG_SAMEFIELDS != 0;
    let nfields = if same {
        m.nfields
    } else {
        let n = int_at(lp, p).max(0) as usize;
        p = lp.next(p)?;
        n
    };
    let body = p;
    let items = if same { nfields } else { nfields * 2 };
    for _ in 0..items {
        p = lp.next(p)?;
    }
    Some(RawEntry { flags_off: off, flags, id: StreamId { ms, seq }, nfields, body, next: lp.next(p) })
}

/// Every entry of a node, tombstones included, in order.
fn node_entries(lp: &Listpack, master_id: StreamId) -> Vec<RawEntry> {
    let mut out = Vec::new();
    let Some(m) = master(lp) else { return out };
    let mut cur = m.entries;
    while let Some(off) = cur {
        let Some(e) = entry_at(lp, master_id, &m, off) else { break };
        cur = e.next;
        out.push(e);
    }
    out
}

/// The id of a node's last entry (tombstone or not), found from its end through lp-count.
fn node_last_id(lp: &Listpack, master_id: StreamId) -> Option<StreamId> {
    let m = master(lp)?;
    let mut p = lp.last()?;
    let lp_count = int_at(lp, p);
    if lp_count <= 0 {
        return None;
    }
    for _ in 0..lp_count {
        p = lp.prev(p)?;
    }
    entry_at(lp, master_id, &m, p).map(|e| e.id)
}

/// Rewrites a node's live/deleted counters.
fn set_counts(lp: &mut Listpack, count: i64, deleted: i64) {
    if let Some(p0) = lp.first() {
        lp.replace_input(p0, LpInput::Int(count));
        if let Some(p1) = lp.next(p0) {
            lp.replace_input(p1, LpInput::Int(deleted));
        }
    }
}

/// A stream entry being read: its id and its fields and values, in its node's listpack.
#[derive(Clone)]
pub struct EntryRef<'a> {
    pub id: StreamId,
    lp: NodeLp<'a>,
    master_fields: usize,
    raw: RawEntry,
}

impl<'a> EntryRef<'a> {
    pub fn num_fields(&self) -> usize {
        self.raw.nfields
    }

    pub fn is_deleted(&self) -> bool {
        self.raw.flags & FLAG_DELETED != 0
    }

    /// Calls `f(field, value)` for each pair in order.
    pub fn for_each_field<'s>(&'s self, mut f: impl FnMut(StrRef<'s>, StrRef<'s>)) {
        let lp: &'s Listpack = &self.lp;
        let same = self.raw.flags & FLAG_SAMEFIELDS != 0;
        let mut mf = Some(self.master_fields);
        let mut p = Some(self.raw.body);
        for _ in 0..self.raw.nfields {
            let field = if same {
                let Some(o) = mf else { return };
                mf = lp.next(o);
                lp.get(o)
            } else {
                let Some(o) = p else { return };
                p = lp.next(o);
                lp.get(o)
            };
            let Some(v) = p else { return };
            p = lp.next(v);
            f(field, lp.get(v));
        }
    }

    /// The pairs as owned bytes (tests, AOF rewrite).
    pub fn fields(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.raw.nfields);
        self.for_each_field(|f, v| out.push((f.to_vec(), v.to_vec())));
        out
    }
}

/// The entry before the one whose flags are at `flags_off` (its flags' offset), found through the previous
/// entry's lp-count; None at the node's first entry.
fn entry_before(lp: &Listpack, m: &Master, flags_off: usize) -> Option<usize> {
    if m.entries == Some(flags_off) {
        return None;
    }
    entry_ending_at(lp, lp.prev(flags_off)?)
}

/// The flags' offset of the entry whose lp-count is at `p`.
fn entry_ending_at(lp: &Listpack, mut p: usize) -> Option<usize> {
    let lp_count = int_at(lp, p);
    if lp_count <= 0 {
        return None;
    }
    for _ in 0..lp_count {
        p = lp.prev(p)?;
    }
    Some(p)
}

/// Iterator over the entries of a stream between two inclusive bounds, either way, tombstones skipped unless
/// asked for (Redis's `streamIterator`). Walks a node entry by entry, backwards through the lp-counts.
pub struct Range<'a> {
    nodes: std::collections::btree_map::Range<'a, StreamId, StreamNode>,
    start: StreamId,
    end: StreamId,
    rev: bool,
    tombstones: bool,
    /// The node being walked: its listpack, key, master entry, and the flags' offset of the next entry to visit.
    cur: Option<(NodeLp<'a>, StreamId, Master, Option<usize>)>,
    done: bool,
}

impl<'a> Iterator for Range<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.done {
            return None;
        }
        loop {
            if let Some((lp, key, m, next)) = &mut self.cur {
                while let Some(off) = *next {
                    let Some(raw) = entry_at(lp, *key, m, off) else {
                        *next = None;
                        break;
                    };
                    *next = if self.rev { entry_before(lp, m, off) } else { raw.next };
                    if raw.flags & FLAG_DELETED != 0 && !self.tombstones {
                        continue;
                    }
                    if !self.rev {
                        if raw.id < self.start {
                            continue;
                        }
                        if raw.id > self.end {
                            self.done = true;
                            return None;
                        }
                    } else {
                        if raw.id > self.end {
                            continue;
                        }
                        if raw.id < self.start {
                            self.done = true;
                            return None;
                        }
                    }
                    return Some(EntryRef { id: raw.id, lp: lp.clone(), master_fields: m.fields, raw });
                }
            }
            let next = if self.rev { self.nodes.next_back() } else { self.nodes.next() };
            let Some((key, node)) = next else {
                self.done = true;
                return None;
            };
            let Some(lp) = node.listpack() else { continue };
            let Some(m) = master(&lp) else { continue };
            let first = match (self.rev, m.entries) {
                (_, None) => None,
                (false, Some(e)) => Some(e),
                (true, Some(_)) => lp.last().and_then(|p| entry_ending_at(&lp, p)),
            };
            self.cur = Some((lp, *key, m, first));
        }
    }
}

/// Entries appended to a node a few at a time (one growth and one header update per batch).
struct Batch<'a> {
    items: [LpInput<'a>; 8],
    n: usize,
}

impl<'a> Batch<'a> {
    fn new() -> Self {
        Batch { items: [LpInput::Int(0); 8], n: 0 }
    }

    #[inline]
    fn push(&mut self, lp: &mut Listpack, v: LpInput<'a>) {
        if self.n == self.items.len() {
            self.flush(lp);
        }
        self.items[self.n] = v;
        self.n += 1;
    }

    fn flush(&mut self, lp: &mut Listpack) {
        lp.push_back_many(&self.items[..self.n]);
        self.n = 0;
    }
}

use super::quicklist::compress_listpack;

/// Ids for compressed nodes (the expansion cache's key): a node's bytes never change while it is compressed, and a
/// node opened for a change gets a fresh id when compressed again. Taken by every [`Packed::new`] (a node
/// compressed or loaded compressed), on any thread. A process-wide counter, not state: an id only has to differ
/// from every other node's, whichever database or thread holds it.
static NEXT_PACKED_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A closed node's LZF bytes. `checked`: the expanded listpack passed [`check_node`] (nodes compressed here, or
/// loaded with the check made at load time); a node loaded from a file without `sanitize-dump-payload yes` is
/// checked the first time it is expanded, and one that fails reads as empty (see [`StreamNode::listpack`]).
pub struct Packed {
    data: SlabBytes,
    sz: u32,
    id: u64,
    checked: AtomicBool,
}

/// One node of the index: the open tail node (and any node LZF does not shrink) as a listpack, the closed ones as
/// the LZF bytes of theirs.
#[derive(Clone)]
pub enum StreamNode {
    Raw(Listpack),
    Lzf(Packed),
}

/// A node's listpack while it is read: borrowed from a raw node, or shared with the expansion cache.
#[derive(Clone)]
pub enum NodeLp<'a> {
    Ref(&'a Listpack),
    Own(Rc<Listpack>),
}

impl std::ops::Deref for NodeLp<'_> {
    type Target = Listpack;
    #[inline]
    fn deref(&self) -> &Listpack {
        match self {
            NodeLp::Ref(lp) => lp,
            NodeLp::Own(lp) => lp,
        }
    }
}

thread_local! {
    /// The last compressed node expanded on this thread, by [`Packed::id`]: consecutive reads of one closed node
    /// (XRANGE pages, consumers of a group reading behind the tail, trims of the first node) expand it once. Filled and
    /// read only by [`Packed::expand`](crate::keyspace::types::stream::Packed::expand). A per-thread cache keyed by a
    /// process-unique id, so it can never answer for another node; it holds no state a command could observe.
    static EXPANDED: RefCell<Option<(u64, Rc<Listpack>)>> = const { RefCell::new(None) };
}

impl Clone for Packed {
    fn clone(&self) -> Packed {
        let checked = AtomicBool::new(self.checked.load(Ordering::Relaxed));
        Packed { data: self.data.clone(), sz: self.sz, id: self.id, checked }
    }
}

impl Packed {
    /// LZF bytes of a node as loaded: `data` expands to `sz` bytes; `checked` when that listpack passed
    /// [`check_node`] already.
    pub fn new(data: SlabBytes, sz: usize, checked: bool) -> Packed {
        let id = NEXT_PACKED_ID.fetch_add(1, Ordering::Relaxed);
        Packed { data, sz: sz as u32, id, checked: AtomicBool::new(checked) }
    }

    /// Expands into a new listpack; None when the bytes do not expand to a node that passes [`check_node`].
    fn expand_new(&self) -> Option<Listpack> {
        let sz = self.sz as usize;
        // A size LZF bytes this short cannot reach (a forged header) is refused before allocating it.
        lzf::check_len(self.data.as_slice(), sz).ok()?;
        let mut buf = SlabBytes::with_capacity(sz);
        buf.resize(sz, 0);
        lzf::decompress_into(self.data.as_slice(), buf.as_mut_slice()).ok()?;
        if !self.checked.load(Ordering::Relaxed) {
            if !check_node(buf.as_slice()) {
                return None;
            }
            self.checked.store(true, Ordering::Relaxed);
        }
        Some(Listpack::from_checked(buf))
    }

    /// The expanded listpack, through the one-node cache.
    fn expand(&self) -> Option<Rc<Listpack>> {
        let hit = EXPANDED.with(|c| match &*c.borrow() {
            Some((id, lp)) if *id == self.id => Some(lp.clone()),
            _ => None,
        });
        if hit.is_some() {
            return hit;
        }
        let lp = Rc::new(self.expand_new()?);
        EXPANDED.with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                *c = Some((self.id, lp.clone()));
            }
        });
        Some(lp)
    }
}

impl StreamNode {
    /// The node's listpack for reading; None for a node loaded from a file without the deep check whose bytes turn
    /// out corrupt when first expanded: the stream's walks skip it (Redis, which trusts such a node, would crash
    /// on it; here its entries are missing instead).
    #[inline]
    pub fn listpack(&self) -> Option<NodeLp<'_>> {
        match self {
            StreamNode::Raw(lp) => Some(NodeLp::Ref(lp)),
            StreamNode::Lzf(p) => p.expand().map(NodeLp::Own),
        }
    }

    /// The LZF bytes and expanded size of a compressed node (RDB save writes them as they are).
    pub fn lzf(&self) -> Option<(&[u8], usize)> {
        match self {
            StreamNode::Raw(_) => None,
            StreamNode::Lzf(p) => Some((p.data.as_slice(), p.sz as usize)),
        }
    }

    /// The listpack's size in bytes (expanded).
    pub fn sz(&self) -> usize {
        match self {
            StreamNode::Raw(lp) => lp.bytes(),
            StreamNode::Lzf(p) => p.sz as usize,
        }
    }

    /// Heap bytes held.
    pub fn alloc_bytes(&self) -> usize {
        match self {
            StreamNode::Raw(lp) => lp.alloc_bytes(),
            StreamNode::Lzf(p) => p.data.capacity(),
        }
    }

    /// The listpack for a change, expanded in place if compressed; None for a corrupt node (see
    /// [`StreamNode::listpack`]), which stays as it is.
    fn make_raw(&mut self) -> Option<&mut Listpack> {
        if let StreamNode::Lzf(p) = self {
            // The change was found by reading the node, so its expansion is in the cache: copied, not expanded again.
            let lp = p.expand()?;
            *self = StreamNode::Raw(Rc::try_unwrap(lp).unwrap_or_else(|lp| (*lp).clone()));
        }
        match self {
            StreamNode::Raw(lp) => Some(lp),
            StreamNode::Lzf(_) => None,
        }
    }

    /// Closes a node: compressed when that pays (the rule of list nodes), else its spare capacity given back.
    fn close(&mut self) {
        let StreamNode::Raw(lp) = self else { return };
        let sz = lp.bytes();
        match compress_listpack(lp) {
            Some(data) => *self = StreamNode::Lzf(Packed::new(data, sz, true)),
            None => lp.shrink_to_fit(),
        }
    }
}

impl PartialEq for StreamNode {
    fn eq(&self, other: &StreamNode) -> bool {
        match (self.listpack(), other.listpack()) {
            (Some(a), Some(b)) => a.as_bytes() == b.as_bytes(),
            _ => self.lzf() == other.lzf() && self.lzf().is_some(),
        }
    }
}

impl Eq for StreamNode {}

impl std::fmt::Debug for StreamNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamNode::Raw(lp) => lp.fmt(f),
            StreamNode::Lzf(p) => write!(f, "Lzf({} -> {} bytes)", p.sz, p.data.len()),
        }
    }
}

/// The stream value. See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stream {
    nodes: BTreeMap<StreamId, StreamNode>,
    /// Live entries.
    pub length: u64,
    pub last_id: StreamId,
    /// The first live entry's id as last recorded (0-0 when empty).
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added (XSETID ENTRIESADDED may set it).
    pub entries_added: u64,
    pub groups: VecMap<Vec<u8>, ConsumerGroup>,
    /// Idempotent producers' state (Redis 8.6), once the stream used it (see [`idmp`]).
    pub idmp: Option<Box<Idmp>>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> usize {
        self.length as usize
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of listpack nodes (XINFO's `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes in order: (master id, node) (RDB save, DEBUG).
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &StreamNode)> {
        self.nodes.iter().map(|(k, v)| (*k, v))
    }

    /// Adds a node as loaded from RDB (a listpack already validated, or LZF bytes, see [`Packed::new`]); false
    /// when a node with that master id exists.
    pub fn insert_node(&mut self, master_id: StreamId, node: StreamNode) -> bool {
        use std::collections::btree_map::Entry;
        match self.nodes.entry(master_id) {
            Entry::Occupied(_) => false,
            Entry::Vacant(v) => {
                v.insert(node);
                true
            }
        }
    }

    /// Compresses a node that is not the tail (after a change opened it).
    fn close_unless_tail(&mut self, key: StreamId) {
        if self.nodes.last_key_value().is_some_and(|(&k, _)| k == key) {
            return;
        }
        if let Some(n) = self.nodes.get_mut(&key) {
            n.close();
        }
    }

    /// Entries with `start <= id <= end`, forward or (`rev`) backward, tombstones skipped.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        self.range_with(start, end, rev, false)
    }

    /// [`Stream::range`], with tombstones when `tombstones`.
    pub fn range_with(&self, start: StreamId, end: StreamId, rev: bool, tombstones: bool) -> Range<'_> {
        use std::ops::Bound::{Included, Unbounded};
        let nodes = if start > end {
            self.nodes.range((Included(StreamId::MAX), Included(StreamId::MAX)))
        } else {
            // Nodes keyed after `end` hold only later ids; the node holding `start` is the last one keyed at or
            // before it, and the ones before that hold only earlier ids.
            match self.nodes.range(..=start).next_back() {
                Some((k, _)) => self.nodes.range((Included(*k), Included(end))),
                None => self.nodes.range((Unbounded, Included(end))),
            }
        };
        Range { nodes, start, end, rev, tombstones, cur: None, done: start > end }
    }

    /// Whether a live entry with this id exists.
    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false).next().is_some()
    }

    /// The first (or last) entry's id, tombstones skipped when `skip_tombstones`; MAX (or MIN) when there is none
    /// (`streamGetEdgeID`).
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> StreamId {
        let found = self.range_with(StreamId::MIN, StreamId::MAX, !first, !skip_tombstones).next().map(|e| e.id);
        found.unwrap_or(if first { StreamId::MAX } else { StreamId::MIN })
    }

    /// The last live entry's id (`streamLastValidID`); 0-0 when empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.range(StreamId::MIN, StreamId::MAX, true).next().map_or(StreamId::MIN, |e| e.id)
    }

    /// The id `*` would give now (`streamNextID`): None when the last id has no successor.
    fn next_auto_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId { ms: now_ms, seq: 0 })
        } else {
            self.last_id.incr()
        }
    }

    /// Appends an entry (`streamAppendItem`): `fv` holds field, value, field, value...; returns its id.
    pub fn append(
        &mut self,
        fv: &[&[u8]],
        spec: IdSpec,
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AddError> {
        let id = match spec {
            IdSpec::Auto => self.next_auto_id(now_ms).ok_or(AddError::IdTooSmall)?,
            IdSpec::MsAuto(ms) => {
                if self.last_id.ms == ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AddError::IdTooSmall);
                    }
                    StreamId { ms, seq: self.last_id.seq + 1 }
                } else {
                    StreamId { ms, seq: 0 }
                }
            }
            IdSpec::Explicit(id) => id,
        };
        if id <= self.last_id {
            return Err(AddError::IdTooSmall);
        }
        let total: usize = fv.iter().map(|b| b.len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        let nfields = fv.len() / 2;

        // Does the tail node take it, or is a new node needed?
        let max_bytes = if limits.max_bytes == 0 || limits.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            limits.max_bytes
        };
        let mut tail = None;
        if let Some((&k, node)) = self.nodes.last_key_value() {
            // A compressed tail (the tail node was removed, or the stream was loaded) is expanded only if it takes
            // the entry; a corrupt one is treated as full.
            let (m, sz) = match node.listpack() {
                Some(lp) => (master(&lp), lp.bytes()),
                None => (None, usize::MAX),
            };
            let full = sz.saturating_add(total) >= max_bytes
                || (limits.max_entries != 0
                    && m.map_or(0, |m| m.count.saturating_add(m.deleted)) >= limits.max_entries);
            if full {
                if let Some(n) = self.nodes.get_mut(&k) {
                    n.close();
                }
            } else {
                tail = Some((k, m));
            }
        }
        // Room for the entry (an upper bound: an integer takes at most 9 + 1 bytes, a string's header and backlen
        // at most 5 + 5), the node growing by a quarter at least: Redis reserves 4 KiB for a new node, which a
        // small stream never fills.
        let room = total + (2 * nfields + 5) * 14;
        let mut same = false;
        let master_id = match tail {
            None => {
                let mut lp = Listpack::new();
                lp.reserve_grow(room + total + (nfields + 4) * 14);
                let mut b = Batch::new();
                b.push(&mut lp, LpInput::Int(1));
                b.push(&mut lp, LpInput::Int(0));
                b.push(&mut lp, LpInput::Int(nfields as i64));
                for f in fv.iter().step_by(2) {
                    b.push(&mut lp, LpInput::from_bytes(f));
                }
                b.push(&mut lp, LpInput::Int(0));
                b.flush(&mut lp);
                self.nodes.insert(id, StreamNode::Raw(lp));
                same = true;
                id
            }
            Some((k, m)) => {
                let Some(lp) = self.nodes.get_mut(&k).and_then(StreamNode::make_raw) else {
                    return Err(AddError::IdTooSmall);
                };
                if let Some(m) = m {
                    if m.nfields == nfields {
                        let mut p = Some(m.fields);
                        same = true;
                        for f in fv.iter().step_by(2) {
                            let Some(o) = p else {
                                same = false;
                                break;
                            };
                            if !super::listpack::Needle::new(f).matches(lp.get(o)) {
                                same = false;
                                break;
                            }
                            p = lp.next(o);
                        }
                    }
                    set_counts(lp, m.count + 1, m.deleted);
                }
                k
            }
        };
        let Some(lp) = self.nodes.get_mut(&master_id).and_then(StreamNode::make_raw) else {
            return Err(AddError::IdTooSmall);
        };
        lp.reserve_grow(room);
        let mut b = Batch::new();
        b.push(lp, LpInput::Int(if same { FLAG_SAMEFIELDS } else { 0 }));
        b.push(lp, LpInput::Int(id.ms.wrapping_sub(master_id.ms) as i64));
        b.push(lp, LpInput::Int(id.seq.wrapping_sub(master_id.seq) as i64));
        if !same {
            b.push(lp, LpInput::Int(nfields as i64));
        }
        for pair in fv.chunks_exact(2) {
            if !same {
                b.push(lp, LpInput::from_bytes(pair[0]));
            }
            b.push(lp, LpInput::from_bytes(pair[1]));
        }
        let mut lp_count = nfields as i64 + 3;
        if !same {
            lp_count += nfields as i64 + 1;
        }
        b.push(lp, LpInput::Int(lp_count));
        b.flush(lp);

        self.length += 1;
        self.entries_added = self.entries_added.wrapping_add(1);
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Flags the live entry `id` deleted (removing its node when it was the node's last live entry); false when
    /// there is no such entry (`streamDeleteItem`). Leaves `first_id` and `max_deleted_entry_id` to the caller,
    /// and the node expanded for the change: the caller closes it again ([`Stream::close_unless_tail`]). Returns
    /// the node's key when the entry was found.
    fn delete(&mut self, id: StreamId) -> Option<StreamId> {
        let (&key, node) = self.nodes.range(..=id).next_back()?;
        // Found by reading (through the cache); the node is expanded for the change only when the entry is there.
        let lp = node.listpack()?;
        let m = master(&lp)?;
        let mut cur = m.entries;
        let mut found = None;
        while let Some(off) = cur {
            let Some(e) = entry_at(&lp, key, &m, off) else { break };
            if e.id == id && e.flags & FLAG_DELETED == 0 {
                found = Some(e);
                break;
            }
            if e.id > id {
                break;
            }
            cur = e.next;
        }
        let e = found?;
        drop(lp);
        if m.count == 1 {
            self.nodes.remove(&key);
        } else {
            let lp = self.nodes.get_mut(&key)?.make_raw()?;
            lp.replace_input(e.flags_off, LpInput::Int(e.flags | FLAG_DELETED));
            set_counts(lp, m.count - 1, m.deleted + 1);
        }
        self.length = self.length.saturating_sub(1);
        Some(key)
    }

    /// Whether `start..=end` (None: open) may hold a tombstone (`streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        let start = start.unwrap_or(StreamId::MIN);
        let end = end.unwrap_or(StreamId::MAX);
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// The logical read counter of `id`, [`ENTRIES_READ_INVALID`] when it can't be known
    /// (`streamEstimateDistanceFromFirstEverEntry`).
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return ENTRIES_READ_INVALID;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return self.entries_added.wrapping_sub(self.length) as i64;
            } else if id == self.first_id {
                return self.entries_added.wrapping_sub(self.length).wrapping_add(1) as i64;
            }
        }
        ENTRIES_READ_INVALID
    }

    /// A group's lag (`streamReplyWithCGLag`): None when it can't be known.
    pub fn group_lag(&self, g: &ConsumerGroup) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != ENTRIES_READ_INVALID && !self.range_has_tombstones(Some(g.last_id), None) {
            return Some((self.entries_added as i64).wrapping_sub(g.entries_read));
        }
        let read = self.estimate_distance(g.last_id);
        if read != ENTRIES_READ_INVALID {
            return Some((self.entries_added as i64).wrapping_sub(read));
        }
        None
    }

    /// The number of nodes of the radix tree Redis would hold for these node keys (XINFO's `radix-tree-nodes`):
    /// the root, every key, every prefix where keys branch and every branch's first byte.
    pub fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        let mut set: std::collections::HashSet<(usize, [u8; 16])> = std::collections::HashSet::new();
        let prefix = |k: &[u8; 16], n: usize| {
            let mut p = [0u8; 16];
            p[..n].copy_from_slice(&k[..n]);
            (n, p)
        };
        set.insert((0, [0u8; 16]));
        for k in &keys {
            set.insert((16, *k));
        }
        for w in keys.windows(2) {
            let l = w[0].iter().zip(w[1].iter()).take_while(|(a, b)| a == b).count().min(15);
            set.insert(prefix(&w[0], l));
            set.insert(prefix(&w[0], l + 1));
            set.insert(prefix(&w[1], l + 1));
        }
        set.len()
    }

    /// Heap bytes held, for MEMORY USAGE and lazy-free decisions.
    pub fn alloc_bytes(&self) -> usize {
        // A B-tree node holds up to 11 keys and values; count a slot's share of it.
        const SLOT: usize = std::mem::size_of::<StreamId>() + std::mem::size_of::<StreamNode>() + 8;
        let nodes: usize = self.nodes.values().map(|n| n.alloc_bytes() + SLOT).sum();
        let groups: usize = self
            .groups
            .iter()
            .map(|(name, g)| {
                name.len()
                    + 64
                    + g.pel.values().map(|p| 64 + p.consumer.len()).sum::<usize>()
                    + g.consumers.iter().map(|(n, c)| n.len() + 64 + c.pel.len() * 24).sum::<usize>()
            })
            .sum();
        nodes + groups + self.idmp.as_ref().map_or(0, |m| m.alloc_bytes())
    }

    /// The idempotency state, made with these bounds when the stream has none yet.
    pub fn idmp_mut(&mut self, duration: u64, maxsize: u64) -> &mut Idmp {
        self.idmp.get_or_insert_with(|| Box::new(Idmp::new(duration, maxsize)))
    }

    /// Work units to free it (the lazy-free effort: nodes plus pending entries, as Redis counts rax nodes).
    pub fn free_effort(&self) -> usize {
        self.nodes.len() + self.groups.values().map(|g| 1 + g.pel.len() + g.consumers.len()).sum::<usize>()
    }
}

pub mod idmp;
pub use idmp::Idmp;
mod refs;
pub use refs::{RefPolicy, DEL_DONE, DEL_KEPT, DEL_MISSING};
pub mod validate;
use validate::check_node;

#[cfg(test)]
mod tests;
