//! Hash value: a listpack of alternating field/value entries while small, a hash table of field→value pairs when
//! large; and, once a field has had a TTL (Redis 7.4's hash-field expiry), a listpack of field/value/expiry triplets
//! while small.
//!
//! ```text
//!  Hash::ListPack:              | hdr | f0 | v0 | f1 | v1 | ... | 0xFF |     insertion order, linear lookups
//!  Hash::ListPackEx (boxed):    | hdr | f0 | v0 | t0 | f1 | v1 | t1 | ... |  fields with a TTL first, by expiry;
//!                                                                          then the others (t = 0), inserted order
//!  Hash::HashTable (boxed):     BigHash { Dict<HashPair>, TTL count, expiry bound, sweep cursor }, a 32-byte slot
//!     HashPair::Inline    { flen, vlen, data: [field | value] }                 field+value <= 29 bytes
//!     HashPair::Heap      { flen: u32, data: Box<[u8]> = [field | value] }       longer pairs: one allocation
//!     HashPair::InlineTtl { flen, vlen, data: [field | value], when: 48 bits }  field+value <= 23 bytes
//!     HashPair::HeapTtl   { flen: u32, data: Box<[u8]>, when: u64 }            in the Heap variant's padding
//! ```
//!
//! Code outside this module reads the encoding through [`Hash::view`] / [`Hash::view_mut`]. A hash whose fields never
//! had TTLs is laid out and looked up exactly as before field expiry existed.
//!
//! Conversions (Redis 7.0, and 7.4 for the TTL form): a hash starts as a listpack; the first HEXPIRE-family call
//! that finds it turns a plain listpack into the triplet form; setting a field or value longer than
//! `hash-max-listpack-value` bytes, or growing past `hash-max-listpack-entries` fields, converts either listpack to
//! the table; it never converts back. [`Hash::convert_for_args`] mirrors `hashTypeTryConversion` for commands that
//! check all their arguments before writing (HSET/HMSET/HSETNX).
//!
//! Field TTLs: a field whose time is strictly in the past reads as missing ([`Hash::lookup`] says `Expired`; the
//! command layer deletes it on a master). Active expiry ([`Hash::expire_due`]) pops due triplets from the listpack's
//! front; the table keeps a lower bound of its TTLs and walks itself with a cursor to find due fields, raising the
//! bound to the exact least TTL after each complete pass. The database files every hash with TTLs under its bound
//! ([`Db::hexpires`](crate::keyspace::db::Db::hexpires), see
//! [`Db::has_field_ttls`](crate::keyspace::db::Db::has_field_ttls)).
//!
//! Tests: unit tests of conversions exactly at both thresholds and of the pair layout; a proptest against a
//! `BTreeMap`; 100k fields; the TTL layouts and active expiry below; tests/types/hash_field_expiry.rs end to end.

use super::listpack::{Listpack, LpInput, Needle};
use super::Thresholds;
use super::{Encoding, StrRef};
use crate::keyspace::dict::{Dict, DictEntry};
use crate::util::Rng;

/// Field+value bytes kept inline in a [`HashPair`].
pub const PAIR_INLINE: usize = 29;
/// Field+value bytes kept inline in a [`HashPair`] that also carries a TTL (6 bytes of it).
pub const PAIR_INLINE_TTL: usize = 23;

/// The largest absolute field expiry, in Unix milliseconds (Redis 7.4's `HFE_MAX_ABS_TIME_MSEC`, 2^46 - 1: the
/// expiry is stored in 48 bits with room to spare).
pub const MAX_EXPIRE_MS: u64 = (1 << 46) - 1;

/// "No TTL" where a field's expiry is stored (the listpack's third entry of a triplet, [`HashPair::expire`]).
pub const NO_TTL: u64 = 0;

/// A field and its value in one slot of the large encoding, with the field's expiry when it has one. Tags 1-4, never 0:
/// an all-zero `Option<HashPair>` is `None`, so the table grows into zeroed memory (see
/// [`dict::ZeroIsNone`](crate::keyspace::dict::ZeroIsNone)). The TTL variants fit the same 32 bytes: the inline one
/// keeps 6 bytes of expiry (48 bits, more than [`MAX_EXPIRE_MS`] needs) where the plain one keeps 6 more bytes of data,
/// and the heap one uses the 8 bytes the plain heap variant leaves as padding. A hash whose fields have no TTL is laid
/// out as before.
#[derive(Clone)]
#[repr(u8)]
pub enum HashPair {
    Inline { flen: u8, vlen: u8, data: [u8; PAIR_INLINE] } = 1,
    Heap { flen: u32, data: Box<[u8]> } = 2,
    InlineTtl { flen: u8, vlen: u8, data: [u8; PAIR_INLINE_TTL], when: [u8; 6] } = 3,
    HeapTtl { flen: u32, data: Box<[u8]>, when: u64 } = 4,
}

impl HashPair {
    pub fn new(field: &[u8], value: &[u8]) -> HashPair {
        let total = field.len() + value.len();
        if total <= PAIR_INLINE {
            let mut data = [0u8; PAIR_INLINE];
            data[..field.len()].copy_from_slice(field);
            data[field.len()..total].copy_from_slice(value);
            HashPair::Inline { flen: field.len() as u8, vlen: value.len() as u8, data }
        } else {
            HashPair::Heap { flen: field.len() as u32, data: joined(field, value) }
        }
    }

    /// A pair whose field expires at `when` (Unix ms; [`NO_TTL`] for none).
    pub fn with_expire(field: &[u8], value: &[u8], when: u64) -> HashPair {
        if when == NO_TTL {
            return HashPair::new(field, value);
        }
        let total = field.len() + value.len();
        if total <= PAIR_INLINE_TTL {
            let mut data = [0u8; PAIR_INLINE_TTL];
            data[..field.len()].copy_from_slice(field);
            data[field.len()..total].copy_from_slice(value);
            let mut w = [0u8; 6];
            w.copy_from_slice(&when.to_le_bytes()[..6]);
            HashPair::InlineTtl { flen: field.len() as u8, vlen: value.len() as u8, data, when: w }
        } else {
            HashPair::HeapTtl { flen: field.len() as u32, data: joined(field, value), when }
        }
    }

    #[inline]
    pub fn field(&self) -> &[u8] {
        match self {
            HashPair::Inline { flen, data, .. } => &data[..*flen as usize],
            HashPair::Heap { flen, data } => &data[..*flen as usize],
            HashPair::InlineTtl { flen, data, .. } => &data[..*flen as usize],
            HashPair::HeapTtl { flen, data, .. } => &data[..*flen as usize],
        }
    }

    #[inline]
    pub fn value(&self) -> &[u8] {
        match self {
            HashPair::Inline { flen, vlen, data } => &data[*flen as usize..*flen as usize + *vlen as usize],
            HashPair::Heap { flen, data } => &data[*flen as usize..],
            HashPair::InlineTtl { flen, vlen, data, .. } => &data[*flen as usize..*flen as usize + *vlen as usize],
            HashPair::HeapTtl { flen, data, .. } => &data[*flen as usize..],
        }
    }

    /// The field's expiry (Unix ms), [`NO_TTL`] when it has none.
    #[inline]
    pub fn expire(&self) -> u64 {
        match self {
            HashPair::InlineTtl { when, .. } => {
                let mut b = [0u8; 8];
                b[..6].copy_from_slice(when);
                u64::from_le_bytes(b)
            }
            HashPair::HeapTtl { when, .. } => *when,
            _ => NO_TTL,
        }
    }

    /// Heap bytes this pair owns besides its slot.
    fn heap_bytes(&self) -> usize {
        match self {
            HashPair::Heap { data, .. } | HashPair::HeapTtl { data, .. } => data.len(),
            _ => 0,
        }
    }

    /// Replaces the value, keeping the field and its TTL.
    pub fn set_value(&mut self, value: &[u8]) {
        let field = self.field().to_vec();
        *self = HashPair::with_expire(&field, value, self.expire());
    }

    /// Sets or clears ([`NO_TTL`]) the field's expiry, keeping field and value.
    pub fn set_expire(&mut self, when: u64) {
        let (f, v) = (self.field().to_vec(), self.value().to_vec());
        *self = HashPair::with_expire(&f, &v, when);
    }
}

/// `field` then `value` in one allocation.
fn joined(field: &[u8], value: &[u8]) -> Box<[u8]> {
    let mut v = Vec::with_capacity(field.len() + value.len());
    v.extend_from_slice(field);
    v.extend_from_slice(value);
    v.into_boxed_slice()
}

impl DictEntry for HashPair {
    const ZERO_IS_NONE: Option<crate::keyspace::dict::ZeroIsNone> =
        Some(crate::keyspace::dict::ZeroIsNone::checked::<Self>());
    // Every insert moves a batch of the migration (`boost_rehash`), so the old table drains quickly.
    const INSERT_INTO_OLD_TABLE: bool = true;

    #[inline]
    fn key(&self) -> &[u8] {
        self.field()
    }
}

impl std::fmt::Debug for HashPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}={:?}", String::from_utf8_lossy(self.field()), String::from_utf8_lossy(self.value()))
    }
}

/// A listpack of (field, value, expiry) triplets: Redis 7.4's `listpackex`, the small encoding of a hash once a
/// field of it had a TTL. Triplets with a TTL come first in expiry order (a new one goes before the first triplet
/// whose expiry is equal or later), then those without ([`NO_TTL`]) in insertion order, so the earliest expiry is
/// the first triplet's and active expiry pops from the front.
#[derive(Clone)]
pub struct LpEx {
    pub lp: Listpack,
    /// The time this hash is filed under in its database's field-expiry index (0: not filed); see
    /// [`Db::hexpires`](crate::keyspace::db::Db::hexpires).
    filed: u64,
}

/// The large encoding: the table of pairs, and what active field expiry needs.
#[derive(Default)]
pub struct BigHash {
    dict: Dict<HashPair>,
    /// Fields that carry a TTL.
    ttl_fields: usize,
    /// A lower bound of those fields' expiries (0 when there are none): lowered by every new TTL, raised to the
    /// exact least one by each completed pass of active expiry.
    bound: u64,
    /// The time this hash is filed under in its database's field-expiry index (0: not filed).
    filed: u64,
    /// Where active expiry's pass over the table resumes (a SCAN cursor), and the least unexpired TTL the pass
    /// has seen so far.
    sweep_cursor: u64,
    sweep_min: u64,
}

impl std::ops::Deref for BigHash {
    type Target = Dict<HashPair>;
    #[inline]
    fn deref(&self) -> &Dict<HashPair> {
        &self.dict
    }
}

impl BigHash {
    pub fn from_dict(dict: Dict<HashPair>) -> BigHash {
        let mut h = BigHash { dict, ..BigHash::default() };
        for p in h.dict.iter() {
            let t = p.expire();
            if t != NO_TTL {
                h.ttl_fields += 1;
                h.bound = if h.bound == 0 { t } else { h.bound.min(t) };
            }
        }
        h
    }

    /// The table itself, for callers that neither add nor drop TTLs (defrag, the loader of TTL-less pairs).
    pub fn dict_mut(&mut self) -> &mut Dict<HashPair> {
        &mut self.dict
    }

    fn note_ttl(&mut self, old: u64, new: u64) {
        match (old != NO_TTL, new != NO_TTL) {
            (false, true) => self.ttl_fields += 1,
            (true, false) => self.ttl_fields -= 1,
            _ => {}
        }
        if new != NO_TTL {
            if self.bound == 0 || new < self.bound {
                self.bound = new;
            }
            // A pass in progress must not end with a bound above a TTL set behind its cursor.
            self.sweep_min = self.sweep_min.min(new);
        }
        if self.ttl_fields == 0 {
            self.bound = 0;
        }
    }
}

/// What looking a field up at a given time found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    Live(StrRef<'a>),
    Missing,
    /// The field is there but its TTL passed: missing to readers, deleted by the master's lazy expiry.
    Expired,
}

impl<'a> Lookup<'a> {
    pub fn live(self) -> Option<StrRef<'a>> {
        match self {
            Lookup::Live(v) => Some(v),
            _ => None,
        }
    }
}

/// What setting a field's TTL did (HEXPIRE's per-field reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTtl {
    NoField = -2,
    ConditionNotMet = 0,
    Set = 1,
    /// The time was in the past: the field was deleted.
    Deleted = 2,
}

/// HEXPIRE's NX / XX / GT / LT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlCond {
    Always,
    Nx,
    Xx,
    Gt,
    Lt,
}

impl TtlCond {
    /// Whether a field whose expiry is `old` ([`NO_TTL`]: none, which counts as infinite) may take `new`.
    pub fn allows(self, old: u64, new: u64) -> bool {
        match self {
            TtlCond::Always => true,
            TtlCond::Nx => old == NO_TTL,
            TtlCond::Xx => old != NO_TTL,
            TtlCond::Gt => old != NO_TTL && new > old,
            TtlCond::Lt => old == NO_TTL || new < old,
        }
    }
}

/// A hash value, inline in its keyspace entry. The plain listpack is held directly; the other two encodings are boxed.
/// Code outside this module reads the encoding through [`Hash::view`] / [`Hash::view_mut`]. (The enum is 24 bytes where
/// the other collection types are 16, but the keyspace [`Value`](crate::keyspace::object::Value) stays 24: rustc places
/// the others beside this one's tag.)
pub enum Hash {
    ListPack(Listpack),
    ListPackEx(Box<LpEx>),
    HashTable(Box<BigHash>),
}

/// A hash's encoding, borrowed.
pub enum View<'a> {
    ListPack(&'a Listpack),
    ListPackEx(&'a LpEx),
    HashTable(&'a BigHash),
}

/// A hash's encoding, borrowed mutably.
pub enum ViewMut<'a> {
    ListPack(&'a mut Listpack),
    ListPackEx(&'a mut LpEx),
    HashTable(&'a mut BigHash),
}

impl Hash {
    #[inline]
    pub fn view(&self) -> View<'_> {
        match self {
            Hash::ListPack(lp) => View::ListPack(lp),
            Hash::ListPackEx(x) => View::ListPackEx(x),
            Hash::HashTable(d) => View::HashTable(d),
        }
    }

    #[inline]
    pub fn view_mut(&mut self) -> ViewMut<'_> {
        match self {
            Hash::ListPack(lp) => ViewMut::ListPack(lp),
            Hash::ListPackEx(x) => ViewMut::ListPackEx(x),
            Hash::HashTable(d) => ViewMut::HashTable(d),
        }
    }

    fn lpx(x: LpEx) -> Hash {
        Hash::ListPackEx(Box::new(x))
    }

    pub fn from_table(d: BigHash) -> Hash {
        Hash::table(d)
    }

    fn table(d: BigHash) -> Hash {
        Hash::HashTable(Box::new(d))
    }

    /// The table, for the large encoding.
    pub fn table_ref(&self) -> Option<&BigHash> {
        match self.view() {
            View::HashTable(d) => Some(d),
            _ => None,
        }
    }

    /// The table, mutably, for the large encoding.
    pub fn table_mut(&mut self) -> Option<&mut BigHash> {
        match self.view_mut() {
            ViewMut::HashTable(d) => Some(d),
            _ => None,
        }
    }
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Clone for Hash {
    fn clone(&self) -> Hash {
        match self.view() {
            View::ListPack(lp) => Hash::ListPack(lp.clone()),
            View::ListPackEx(x) => Hash::lpx(LpEx { lp: x.lp.clone(), filed: 0 }),
            View::HashTable(d) => {
                let mut n = Dict::new();
                n.reserve(d.len());
                for p in d.iter() {
                    n.insert(p.clone());
                }
                Hash::table(BigHash { dict: n, ttl_fields: d.ttl_fields, bound: d.bound, ..Default::default() })
            }
        }
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.iter() {
            m.entry(&String::from_utf8_lossy(&k.to_vec()), &String::from_utf8_lossy(&v.to_vec()));
        }
        m.finish()
    }
}

/// Offsets of `field`'s entry and of its value in a field/value listpack.
fn lp_find(lp: &Listpack, field: &[u8]) -> Option<(usize, usize)> {
    let needle = Needle::new(field);
    let mut off = lp.first();
    while let Some(f) = off {
        let v = lp.next(f)?;
        if needle.matches(lp.get(f)) {
            return Some((f, v));
        }
        off = lp.next(v);
    }
    None
}

/// Offsets of `field`'s triplet (field, value, expiry) in a [`LpEx`] listpack.
fn lpx_find(lp: &Listpack, field: &[u8]) -> Option<(usize, usize, usize)> {
    let needle = Needle::new(field);
    let mut off = lp.first();
    while let Some(f) = off {
        let v = lp.next(f)?;
        let t = lp.next(v)?;
        if needle.matches(lp.get(f)) {
            return Some((f, v, t));
        }
        off = lp.next(t);
    }
    None
}

/// The expiry stored at `t` (a triplet's third entry).
#[inline]
fn lpx_ttl(lp: &Listpack, t: usize) -> u64 {
    match lp.get(t) {
        StrRef::Int(n) => n.max(0) as u64,
        StrRef::Bytes(_) => NO_TTL,
    }
}

/// Inserts a triplet where its expiry orders it (see [`LpEx`]).
fn lpx_insert(lp: &mut Listpack, field: &[u8], value: LpInput<'_>, when: u64) {
    let ttl = LpInput::Int(when as i64);
    if when != NO_TTL {
        let mut off = lp.first();
        while let Some(f) = off {
            let Some(t) = lp.next(f).and_then(|v| lp.next(v)) else { break };
            let tt = lpx_ttl(lp, t);
            if tt == NO_TTL || tt >= when {
                let at = lp.insert_at(f, LpInput::Bytes(field));
                let at = lp.insert_at(at + lp.entry_size(at), value);
                lp.insert_at(at + lp.entry_size(at), ttl);
                return;
            }
            off = lp.next(t);
        }
    }
    lp.push_back_many(&[LpInput::Bytes(field), value, ttl]);
}

/// An entry's value as listpack input (kept an integer when it is one).
fn lp_input(v: StrRef<'_>) -> LpInput<'_> {
    match v {
        StrRef::Int(n) => LpInput::Int(n),
        StrRef::Bytes(b) => LpInput::Bytes(b),
    }
}

/// Whether a field with expiry `t` is expired at `now` (ms): its time is strictly in the past, as Redis 7.4's
/// `hashTypeGetValue` decides.
#[inline]
fn is_past(t: u64, now: i64) -> bool {
    t != NO_TTL && (t as i64) < now
}

impl Hash {
    pub fn new() -> Hash {
        Hash::ListPack(Listpack::new())
    }

    pub fn encoding(&self) -> Encoding {
        match self.view() {
            View::ListPack(_) => Encoding::ListPack,
            View::ListPackEx(_) => Encoding::ListPackEx,
            View::HashTable(_) => Encoding::HashTable,
        }
    }

    /// Number of fields, expired ones not yet deleted included (HLEN, as Redis 7.4).
    pub fn len(&self) -> usize {
        match self.view() {
            View::ListPack(lp) => lp.len() / 2,
            View::ListPackEx(x) => x.lp.len() / 3,
            View::HashTable(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether some field carries a TTL.
    #[inline]
    pub fn has_ttls(&self) -> bool {
        match self.view() {
            View::ListPack(_) => false,
            View::ListPackEx(x) => {
                x.lp.first()
                    .and_then(|f| x.lp.next(f))
                    .and_then(|v| x.lp.next(v))
                    .is_some_and(|t| lpx_ttl(&x.lp, t) != NO_TTL)
            }
            View::HashTable(d) => d.ttl_fields > 0,
        }
    }

    /// Fields carrying a TTL (a walk for the listpack encodings).
    pub fn ttl_count(&self) -> usize {
        match self.view() {
            View::ListPack(_) => 0,
            View::ListPackEx(_) => self.iter_ttl().filter(|&(_, _, t)| t != NO_TTL).count(),
            View::HashTable(d) => d.ttl_fields,
        }
    }

    /// The earliest field expiry, or a time no later than it (the large encoding keeps a lower bound between
    /// passes of active expiry); 0 when no field has a TTL.
    pub fn expiry_hint(&self) -> u64 {
        match self.view() {
            View::ListPack(_) => 0,
            View::ListPackEx(x) => {
                let lp = &x.lp;
                lp.first().and_then(|f| lp.next(f)).and_then(|v| lp.next(v)).map_or(0, |t| lpx_ttl(lp, t))
            }
            View::HashTable(d) => d.bound,
        }
    }

    /// The time this hash is filed under in its database's field-expiry index (0: not filed).
    #[inline]
    pub fn filed(&self) -> u64 {
        match self.view() {
            View::ListPack(_) => 0,
            View::ListPackEx(x) => x.filed,
            View::HashTable(d) => d.filed,
        }
    }

    pub fn set_filed(&mut self, t: u64) {
        match self.view_mut() {
            ViewMut::ListPack(_) => {}
            ViewMut::ListPackEx(x) => x.filed = t,
            ViewMut::HashTable(d) => d.filed = t,
        }
    }

    /// Approximate heap bytes held (MEMORY USAGE style).
    pub fn alloc_bytes(&self) -> usize {
        match self.view() {
            View::ListPack(lp) => lp.alloc_bytes(),
            View::ListPackEx(x) => std::mem::size_of::<LpEx>() + x.lp.alloc_bytes(),
            View::HashTable(d) => {
                std::mem::size_of::<BigHash>() + d.table_bytes() + d.iter().map(|p| p.heap_bytes()).sum::<usize>()
            }
        }
    }

    pub fn convert_to_hashtable(&mut self) {
        let mut fb = [0u8; 24];
        let mut vb = [0u8; 24];
        match self.view_mut() {
            ViewMut::ListPack(lp) => {
                let mut d = Dict::new();
                for (f, v) in lp.pairs() {
                    d.insert(HashPair::new(f.bytes(&mut fb), v.bytes(&mut vb)));
                }
                *self = Hash::table(BigHash { dict: d, ..Default::default() });
            }
            ViewMut::ListPackEx(x) => {
                let filed = x.filed;
                let mut d = Dict::new();
                let mut it = x.lp.iter();
                while let (Some(f), Some(v), Some(t)) = (it.next(), it.next(), it.next()) {
                    let when = match t {
                        StrRef::Int(n) => n.max(0) as u64,
                        StrRef::Bytes(_) => NO_TTL,
                    };
                    d.insert(HashPair::with_expire(f.bytes(&mut fb), v.bytes(&mut vb), when));
                }
                let mut big = BigHash::from_dict(d);
                big.filed = filed;
                *self = Hash::table(big);
            }
            ViewMut::HashTable(_) => {}
        }
    }

    /// A hash from a loaded listpack of (field, value, expiry) triplets; put in expiry order if it was not.
    pub fn from_listpack_ex(lp: Listpack) -> Hash {
        let mut sorted = true;
        let mut prev = 0u64;
        let mut it = lp.iter();
        while let (Some(_), Some(_), Some(t)) = (it.next(), it.next(), it.next()) {
            let t = match t {
                StrRef::Int(n) => n.max(0) as u64,
                StrRef::Bytes(_) => NO_TTL,
            };
            let key = if t == NO_TTL { u64::MAX } else { t };
            if key < prev {
                sorted = false;
                break;
            }
            prev = key;
        }
        if sorted {
            return Hash::lpx(LpEx { lp, filed: 0 });
        }
        let mut x = Listpack::new();
        let mut it = lp.iter();
        while let (Some(f), Some(v), Some(t)) = (it.next(), it.next(), it.next()) {
            let t = match t {
                StrRef::Int(n) => n.max(0) as u64,
                StrRef::Bytes(_) => NO_TTL,
            };
            let mut fb = [0u8; 24];
            lpx_insert(&mut x, f.bytes(&mut fb), lp_input(v), t);
        }
        Hash::lpx(LpEx { lp: x, filed: 0 })
    }

    /// The listpack encoding takes TTLs: a plain listpack becomes a [`LpEx`] (Redis converts on the first
    /// HEXPIRE-family call that finds the key, whether or not a field takes a TTL).
    pub fn prepare_ttls(&mut self) {
        if let Hash::ListPack(lp) = self {
            let mut x = Listpack::new();
            let mut items: Vec<LpInput<'_>> = Vec::with_capacity(lp.len() / 2 * 3);
            for (f, v) in lp.pairs() {
                items.push(lp_input(f));
                items.push(lp_input(v));
                items.push(LpInput::Int(NO_TTL as i64));
            }
            x.push_back_many(&items);
            *self = Hash::lpx(LpEx { lp: x, filed: 0 });
        }
    }

    /// `hashTypeTryConversion`: converts up front when any of the arguments about to be written is longer than
    /// `hash-max-listpack-value`, or when they would push the listpack past its 1 GiB safety limit.
    pub fn convert_for_args<'a, I: IntoIterator<Item = &'a [u8]>>(&mut self, args: I, th: &Thresholds) {
        let bytes = match self.view_mut() {
            ViewMut::ListPack(lp) => lp.bytes(),
            ViewMut::ListPackEx(x) => x.lp.bytes(),
            ViewMut::HashTable(_) => return,
        };
        let mut sum = 0usize;
        for a in args {
            if a.len() > th.hash_max_listpack_value {
                self.convert_to_hashtable();
                return;
            }
            sum += a.len();
        }
        if bytes + sum > super::zset::LISTPACK_SAFETY_BYTES {
            self.convert_to_hashtable();
        }
    }

    /// The field's value whatever its TTL says (for callers that checked it, and for the TTL-less encodings).
    pub fn get(&self, field: &[u8]) -> Option<StrRef<'_>> {
        match self.view() {
            View::ListPack(lp) => lp_find(lp, field).map(|(_, v)| lp.get(v)),
            View::ListPackEx(x) => lpx_find(&x.lp, field).map(|(_, v, _)| x.lp.get(v)),
            View::HashTable(d) => d.get(field).map(|p| StrRef::Bytes(p.value())),
        }
    }

    /// The field at time `now` (ms): live, missing, or there but expired.
    #[inline]
    pub fn lookup(&self, field: &[u8], now: i64) -> Lookup<'_> {
        match self.view() {
            View::ListPack(lp) => match lp_find(lp, field) {
                Some((_, v)) => Lookup::Live(lp.get(v)),
                None => Lookup::Missing,
            },
            View::ListPackEx(x) => match lpx_find(&x.lp, field) {
                Some((_, _, t)) if is_past(lpx_ttl(&x.lp, t), now) => Lookup::Expired,
                Some((_, v, _)) => Lookup::Live(x.lp.get(v)),
                None => Lookup::Missing,
            },
            View::HashTable(d) => match d.get(field) {
                Some(p) if is_past(p.expire(), now) => Lookup::Expired,
                Some(p) => Lookup::Live(StrRef::Bytes(p.value())),
                None => Lookup::Missing,
            },
        }
    }

    /// The field's expiry ([`NO_TTL`]: none); None when the field is missing.
    pub fn expire_of(&self, field: &[u8]) -> Option<u64> {
        match self.view() {
            View::ListPack(lp) => lp_find(lp, field).map(|_| NO_TTL),
            View::ListPackEx(x) => lpx_find(&x.lp, field).map(|(_, _, t)| lpx_ttl(&x.lp, t)),
            View::HashTable(d) => d.get(field).map(|p| p.expire()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.expire_of(field).is_some()
    }

    /// HSTRLEN: length of the value's text, 0 when missing.
    pub fn value_len(&self, field: &[u8]) -> usize {
        self.get(field).map_or(0, |v| v.len())
    }

    /// Sets `field` to `value` (`hashTypeSet`); returns true when the field is new. An existing field loses its
    /// TTL, as HSET's overwrite does in Redis 7.4.
    pub fn set(&mut self, field: &[u8], value: &[u8], th: &Thresholds) -> bool {
        self.set_with(field, value, th, false)
    }

    /// [`Hash::set`] keeping an existing field's TTL (HINCRBY, HINCRBYFLOAT: `HASH_SET_KEEP_TTL`).
    pub fn set_keep_ttl(&mut self, field: &[u8], value: &[u8], th: &Thresholds) -> bool {
        self.set_with(field, value, th, true)
    }

    fn set_with(&mut self, field: &[u8], value: &[u8], th: &Thresholds, keep_ttl: bool) -> bool {
        let lp_bytes = match self.view_mut() {
            ViewMut::ListPack(lp) => Some(lp.bytes()),
            ViewMut::ListPackEx(x) => Some(x.lp.bytes()),
            ViewMut::HashTable(_) => None,
        };
        if let Some(bytes) = lp_bytes {
            if field.len() > th.hash_max_listpack_value
                || value.len() > th.hash_max_listpack_value
                || bytes + field.len() + value.len() > super::zset::LISTPACK_SAFETY_BYTES
            {
                self.convert_to_hashtable();
            }
        }
        match self.view_mut() {
            ViewMut::ListPack(lp) => {
                if let Some((_, v)) = lp_find(lp, field) {
                    lp.replace(v, value);
                    return false;
                }
                lp.push_back(field);
                lp.push_back(value);
                if lp.len() / 2 > th.hash_max_listpack_entries {
                    self.convert_to_hashtable();
                }
                true
            }
            ViewMut::ListPackEx(x) => {
                let lp = &mut x.lp;
                if let Some((f, v, t)) = lpx_find(lp, field) {
                    let ttl = lpx_ttl(lp, t);
                    if keep_ttl || ttl == NO_TTL {
                        lp.replace(v, value);
                    } else {
                        lp.delete_at(f, 3);
                        lpx_insert(lp, field, LpInput::from_bytes(value), NO_TTL);
                    }
                    return false;
                }
                lpx_insert(lp, field, LpInput::from_bytes(value), NO_TTL);
                if lp.len() / 3 > th.hash_max_listpack_entries {
                    self.convert_to_hashtable();
                }
                true
            }
            ViewMut::HashTable(d) => {
                if d.ttl_fields == 0 {
                    // One probe: insert replaces an existing pair (same field, new value).
                    let new = d.dict.insert(HashPair::new(field, value)).is_none();
                    if new {
                        super::boost_rehash(&mut d.dict);
                    }
                    return new;
                }
                match d.dict.get_mut(field) {
                    Some(p) => {
                        let old = p.expire();
                        let when = if keep_ttl { old } else { NO_TTL };
                        *p = HashPair::with_expire(field, value, when);
                        d.note_ttl(old, when);
                        false
                    }
                    None => {
                        d.dict.insert(HashPair::new(field, value));
                        super::boost_rehash(&mut d.dict);
                        true
                    }
                }
            }
        }
    }

    /// Sets `field` to an integer (HINCRBY results), stored compactly in the listpack encoding; keeps its TTL.
    pub fn set_int(&mut self, field: &[u8], n: i64, th: &Thresholds) -> bool {
        // The listpack turns the canonical text back into an integer entry.
        let mut buf = [0u8; 24];
        let text = crate::util::itoa_buf(n, &mut buf);
        self.set_keep_ttl(field, text, th)
    }

    /// Sets `field` to `value` expiring at `when` ([`NO_TTL`]: none), new or not (HSETEX). The caller converted
    /// the encoding for the arguments first ([`Hash::convert_for_args`]) and called [`Hash::prepare_ttls`].
    pub fn set_with_expire(&mut self, field: &[u8], value: &[u8], when: u64, th: &Thresholds) -> bool {
        let new = self.set_with(field, value, th, false);
        if when != NO_TTL {
            self.prepare_ttls();
            self.set_expire(field, when);
        }
        new
    }

    /// Sets an existing field's expiry to `when` ([`NO_TTL`] removes it); false when the field is missing.
    pub fn set_expire(&mut self, field: &[u8], when: u64) -> bool {
        if when != NO_TTL {
            self.prepare_ttls();
        }
        match self.view_mut() {
            ViewMut::ListPack(lp) => lp_find(lp, field).is_some(),
            ViewMut::ListPackEx(x) => {
                let lp = &mut x.lp;
                let Some((f, v, t)) = lpx_find(lp, field) else { return false };
                if lpx_ttl(lp, t) == when {
                    return true;
                }
                let value = lp.get(v).to_vec();
                lp.delete_at(f, 3);
                lpx_insert(lp, field, LpInput::from_bytes(&value), when);
                true
            }
            ViewMut::HashTable(d) => {
                let Some(p) = d.dict.get_mut(field) else { return false };
                let old = p.expire();
                if old != when {
                    p.set_expire(when);
                    d.note_ttl(old, when);
                }
                true
            }
        }
    }

    /// HEXPIRE's work on one field: `when` (Unix ms) under `cond`; a time not after `now` deletes the field
    /// instead when `delete_past` (a master; a replica or a load applies the time as it is).
    pub fn expire_field(&mut self, field: &[u8], when: u64, cond: TtlCond, now: i64, delete_past: bool) -> SetTtl {
        let Some(old) = self.expire_of(field) else { return SetTtl::NoField };
        if !cond.allows(old, when) {
            return SetTtl::ConditionNotMet;
        }
        if delete_past && (when as i64) <= now {
            self.remove(field);
            return SetTtl::Deleted;
        }
        self.set_expire(field, when);
        SetTtl::Set
    }

    /// HDEL of one field; returns whether it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.view_mut() {
            ViewMut::ListPack(lp) => match lp_find(lp, field) {
                Some((f, _)) => {
                    lp.delete_at(f, 2);
                    true
                }
                None => false,
            },
            ViewMut::ListPackEx(x) => match lpx_find(&x.lp, field) {
                Some((f, _, _)) => {
                    x.lp.delete_at(f, 3);
                    true
                }
                None => false,
            },
            ViewMut::HashTable(d) => match d.dict.remove(field) {
                Some(p) => {
                    d.note_ttl(p.expire(), NO_TTL);
                    d.dict.shrink_if_sparse();
                    true
                }
                None => false,
            },
        }
    }

    /// (field, value) pairs, expired fields included (listpack: insertion order, or expiry order for the
    /// fields with a TTL; hash table: table order). Readers use [`Hash::iter_live`].
    pub fn iter(&self) -> Box<dyn Iterator<Item = (StrRef<'_>, StrRef<'_>)> + '_> {
        match self.view() {
            View::ListPack(lp) => Box::new(lp.pairs()),
            View::ListPackEx(_) => Box::new(self.iter_ttl().map(|(f, v, _)| (f, v))),
            View::HashTable(d) => Box::new(d.iter().map(|p| (StrRef::Bytes(p.field()), StrRef::Bytes(p.value())))),
        }
    }

    /// (field, value, expiry) triples, expired fields included.
    pub fn iter_ttl(&self) -> Box<dyn Iterator<Item = (StrRef<'_>, StrRef<'_>, u64)> + '_> {
        match self.view() {
            View::ListPack(lp) => Box::new(lp.pairs().map(|(f, v)| (f, v, NO_TTL))),
            View::ListPackEx(x) => {
                let mut it = x.lp.iter();
                Box::new(std::iter::from_fn(move || {
                    let (f, v, t) = (it.next()?, it.next()?, it.next()?);
                    let t = match t {
                        StrRef::Int(n) => n.max(0) as u64,
                        StrRef::Bytes(_) => NO_TTL,
                    };
                    Some((f, v, t))
                }))
            }
            View::HashTable(d) => {
                Box::new(d.iter().map(|p| (StrRef::Bytes(p.field()), StrRef::Bytes(p.value()), p.expire())))
            }
        }
    }

    /// (field, value) pairs whose TTL has not passed at `now`.
    pub fn iter_live(&self, now: i64) -> Box<dyn Iterator<Item = (StrRef<'_>, StrRef<'_>)> + '_> {
        if !self.has_ttls() {
            return self.iter();
        }
        Box::new(self.iter_ttl().filter(move |&(_, _, t)| !is_past(t, now)).map(|(f, v, _)| (f, v)))
    }

    /// Number of fields whose TTL has not passed at `now`.
    pub fn live_len(&self, now: i64) -> usize {
        if !self.has_ttls() {
            return self.len();
        }
        self.iter_ttl().filter(|&(_, _, t)| !is_past(t, now)).count()
    }

    /// The fields whose TTL passed at `now` (for the master's lazy expiry of a whole hash: HRANDFIELD).
    pub fn expired_fields(&self, now: i64) -> Vec<Vec<u8>> {
        if !self.has_ttls() {
            return Vec::new();
        }
        self.iter_ttl().filter(|&(_, _, t)| is_past(t, now)).map(|(f, _, _)| f.to_vec()).collect()
    }

    /// Active expiry's step on this hash: deletes up to `max` fields whose TTL passed at `now`, giving each name
    /// to `on_expired`, and returns how many it deleted. The listpack pops them from its front (expiry order);
    /// the table is walked with a cursor that persists across calls, at most `max_steps` buckets per call, and a
    /// completed pass sets the lower bound to the least TTL left ([`Hash::expiry_hint`]). When the call stops
    /// early, the hint stays at or before `now`, so the hash is due again at once.
    pub fn expire_due(&mut self, now: i64, max: usize, max_steps: usize, mut on_expired: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        match self.view_mut() {
            ViewMut::ListPack(_) => {}
            ViewMut::ListPackEx(x) => {
                let lp = &mut x.lp;
                while n < max {
                    let Some(f) = lp.first() else { break };
                    let Some(t) = lp.next(f).and_then(|v| lp.next(v)) else { break };
                    if !is_past(lpx_ttl(lp, t), now) {
                        break;
                    }
                    on_expired(&lp.get(f).to_vec());
                    lp.delete_at(f, 3);
                    n += 1;
                }
            }
            ViewMut::HashTable(d) => {
                if d.ttl_fields == 0 {
                    d.bound = 0;
                    return 0;
                }
                if d.sweep_cursor == 0 {
                    d.sweep_min = u64::MAX;
                }
                let mut due: Vec<Vec<u8>> = Vec::new();
                let mut least = d.sweep_min;
                let next = d.dict.scan_count(d.sweep_cursor, max.max(1), max_steps, |p| {
                    let t = p.expire();
                    if is_past(t, now) {
                        due.push(p.field().to_vec());
                        return true;
                    }
                    if t != NO_TTL {
                        least = least.min(t);
                    }
                    false
                });
                d.sweep_min = d.sweep_min.min(least);
                d.sweep_cursor = next;
                for f in &due {
                    if let Some(p) = d.dict.remove(f) {
                        d.note_ttl(p.expire(), NO_TTL);
                        on_expired(f);
                        n += 1;
                    }
                }
                // The table shrinks once per pass, not per step: deciding a shrink reads the whole control array.
                if next == 0 || d.ttl_fields == 0 {
                    d.dict.shrink_if_sparse();
                }
                if d.ttl_fields == 0 {
                    d.bound = 0;
                    d.sweep_cursor = 0;
                } else if next == 0 && d.sweep_min != u64::MAX {
                    // The pass saw every field that had a TTL when it started, and `note_ttl` folded in every TTL
                    // set since: its least is exact or early.
                    d.bound = d.sweep_min;
                }
            }
        }
        n
    }

    /// A uniformly random pair.
    pub fn random(&self, rng: &mut Rng) -> Option<(StrRef<'_>, StrRef<'_>)> {
        match self.view() {
            View::ListPack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let f = lp.seek(2 * rng.below(n as u64) as i64)?;
                Some((lp.get(f), lp.get(lp.next(f)?)))
            }
            View::ListPackEx(x) => {
                let n = x.lp.len() / 3;
                if n == 0 {
                    return None;
                }
                let f = x.lp.seek(3 * rng.below(n as u64) as i64)?;
                Some((x.lp.get(f), x.lp.get(x.lp.next(f)?)))
            }
            View::HashTable(d) => d.random(rng).map(|p| (StrRef::Bytes(p.field()), StrRef::Bytes(p.value()))),
        }
    }

    /// `count` distinct random pairs (everything when `count >= len`), for HRANDFIELD with a positive count.
    pub fn random_distinct(&self, count: usize, rng: &mut Rng) -> Vec<(StrRef<'_>, StrRef<'_>)> {
        if count >= self.len() {
            return self.iter().collect();
        }
        match self.view() {
            View::ListPack(_) | View::ListPackEx(_) => {
                let all: Vec<(StrRef<'_>, StrRef<'_>)> = self.iter().collect();
                super::sample_distinct(all.len(), count, rng).into_iter().map(|i| all[i]).collect()
            }
            View::HashTable(d) => super::dict_sample_distinct(&d.dict, count, rng)
                .into_iter()
                .map(|p| (StrRef::Bytes(p.field()), StrRef::Bytes(p.value())))
                .collect(),
        }
    }

    /// `count` random pairs with repetition (HRANDFIELD with a negative count), each given to `f`, until `f` returns
    /// false.
    pub fn random_with_replacement<F>(&self, count: usize, rng: &mut Rng, mut f: F)
    where
        F: FnMut(StrRef<'_>, StrRef<'_>) -> bool,
    {
        match self.view() {
            View::ListPack(_) | View::ListPackEx(_) => {
                let all: Vec<(StrRef<'_>, StrRef<'_>)> = self.iter().collect();
                super::draw_with_replacement(&all, count, rng, |(k, v)| f(k, v));
            }
            View::HashTable(d) => {
                for _ in 0..count {
                    if let Some(p) = d.random(rng) {
                        if !f(StrRef::Bytes(p.field()), StrRef::Bytes(p.value())) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// HSCAN's loop ([`Dict::scan_count`]: until `count` fields came back or `max_steps` steps); the listpack
    /// encodings return everything at once (cursor 0), as Redis does. Fields whose TTL passed at `now` are
    /// skipped (they still count as steps, so a scan of mostly expired fields can return nothing and a cursor).
    pub fn scan<F: FnMut(StrRef<'_>, StrRef<'_>)>(
        &self,
        cursor: u64,
        count: usize,
        max_steps: usize,
        now: i64,
        mut f: F,
    ) -> u64 {
        match self.view() {
            View::ListPack(_) | View::ListPackEx(_) => {
                self.iter_live(now).for_each(|(k, v)| f(k, v));
                0
            }
            View::HashTable(d) => d.scan_count(cursor, count, max_steps, |p| {
                if is_past(p.expire(), now) {
                    return false;
                }
                f(StrRef::Bytes(p.field()), StrRef::Bytes(p.value()));
                true
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn contents(h: &Hash) -> BTreeMap<Vec<u8>, Vec<u8>> {
        h.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn pair_layout() {
        assert_eq!(std::mem::size_of::<HashPair>(), 32);
        assert_eq!(std::mem::size_of::<Option<HashPair>>(), 32);
        // Its tables grow into zeroed memory (no pass writing `None` into every slot).
        assert!(<HashPair as crate::keyspace::dict::DictEntry>::ZERO_IS_NONE.is_some());
        for (f, v) in [(&b""[..], &b""[..]), (b"field:1", b"value:1"), (&[b'f'; 20][..], &[b'v'; 9][..])] {
            let p = HashPair::new(f, v);
            assert!(matches!(p, HashPair::Inline { .. }));
            assert_eq!((p.field(), p.value()), (f, v));
        }
        let mut p = HashPair::new(&[b'f'; 20], &[b'v'; 10]);
        assert!(matches!(p, HashPair::Heap { .. }));
        assert_eq!((p.field(), p.value()), (&[b'f'; 20][..], &[b'v'; 10][..]));
        p.set_value(b"x");
        assert_eq!((p.field(), p.value()), (&[b'f'; 20][..], &b"x"[..]));
    }

    #[test]
    fn converts_at_entry_and_value_thresholds() {
        let th = Thresholds { hash_max_listpack_entries: 3, hash_max_listpack_value: 5, ..Thresholds::default() };
        let mut h = Hash::new();
        for i in 0..3 {
            assert!(h.set(format!("f{i}").as_bytes(), b"12345", &th));
        }
        assert!(!h.set(b"f0", b"1", &th));
        assert_eq!(h.encoding(), Encoding::ListPack);
        assert!(h.set(b"f3", b"v", &th));
        assert_eq!(h.encoding(), Encoding::HashTable);
        assert_eq!(h.len(), 4);
        assert_eq!(h.get(b"f0").map(|v| v.to_vec()), Some(b"1".to_vec()));
        h.remove(b"f0");
        h.remove(b"f1");
        assert_eq!(h.encoding(), Encoding::HashTable);

        let mut h = Hash::new();
        h.set(b"12345", b"v", &th);
        assert_eq!(h.encoding(), Encoding::ListPack);
        h.set(b"a", b"123456", &th);
        assert_eq!(h.encoding(), Encoding::HashTable);
        assert_eq!(contents(&h).len(), 2);

        let mut h = Hash::new();
        h.set(b"a", b"1", &th);
        h.convert_for_args([&b"a"[..], b"12345"], &th);
        assert_eq!(h.encoding(), Encoding::ListPack);
        h.convert_for_args([&b"a"[..], b"123456"], &th);
        assert_eq!(h.encoding(), Encoding::HashTable);
    }

    #[test]
    fn integers_and_strlen() {
        let th = Thresholds::default();
        let mut h = Hash::new();
        h.set(b"n", b"10", &th);
        assert_eq!(h.get(b"n"), Some(StrRef::Int(10)));
        h.set_int(b"n", -12345, &th);
        assert_eq!(h.value_len(b"n"), 6);
        assert_eq!(h.value_len(b"missing"), 0);
        h.set_int(b"m", i64::MIN, &th);
        assert_eq!(h.get(b"m").map(|v| v.to_vec()), Some(i64::MIN.to_string().into_bytes()));
        h.convert_to_hashtable();
        assert_eq!(h.get(b"n").map(|v| v.to_vec()), Some(b"-12345".to_vec()));
        h.set_int(b"n", 7, &th);
        assert_eq!(h.get(b"n").map(|v| v.to_vec()), Some(b"7".to_vec()));
        // Field "1" and field "01" are different fields.
        h.set(b"1", b"a", &th);
        h.set(b"01", b"b", &th);
        assert_eq!(h.len(), 4);
    }

    #[test]
    fn random_fields() {
        let th = Thresholds::default();
        let mut rng = Rng::new(1);
        for big in [false, true] {
            let mut h = Hash::new();
            for i in 0..40 {
                h.set(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), &th);
            }
            if big {
                h.convert_to_hashtable();
            }
            for c in [1usize, 5, 39, 40, 1000] {
                let picks = h.random_distinct(c, &mut rng);
                assert_eq!(picks.len(), c.min(40));
                let uniq: std::collections::BTreeSet<Vec<u8>> = picks.iter().map(|(k, _)| k.to_vec()).collect();
                assert_eq!(uniq.len(), picks.len());
                for (k, v) in picks {
                    assert_eq!(h.get(&k.to_vec()), Some(v));
                }
            }
            let mut n = 0;
            h.random_with_replacement(500, &mut rng, |_, _| {
                n += 1;
                true
            });
            assert_eq!(n, 500);
            n = 0;
            h.random_with_replacement(500, &mut rng, |_, _| {
                n += 1;
                n < 7
            });
            assert_eq!(n, 7);
        }
    }

    #[test]
    fn hundred_thousand_fields() {
        let th = Thresholds::default();
        let mut h = Hash::new();
        for i in 0..100_000 {
            h.set(format!("field:{i}").as_bytes(), format!("value:{i}").as_bytes(), &th);
        }
        assert_eq!(h.encoding(), Encoding::HashTable);
        assert_eq!(h.len(), 100_000);
        assert_eq!(h.get(b"field:99999").map(|v| v.to_vec()), Some(b"value:99999".to_vec()));
        for i in 0..50_000 {
            assert!(h.remove(format!("field:{i}").as_bytes()));
        }
        assert_eq!(h.len(), 50_000);
    }

    #[test]
    fn ttl_pairs_fit_the_slot() {
        for (f, v, when) in [(&b"f"[..], &b"v"[..], 1u64), (&[b'f'; 12][..], &[b'v'; 11][..], MAX_EXPIRE_MS)] {
            let p = HashPair::with_expire(f, v, when);
            assert!(matches!(p, HashPair::InlineTtl { .. }));
            assert_eq!((p.field(), p.value(), p.expire()), (f, v, when));
        }
        let mut p = HashPair::with_expire(&[b'f'; 12], &[b'v'; 12], 4102444800000);
        assert!(matches!(p, HashPair::HeapTtl { .. }));
        assert_eq!(p.expire(), 4102444800000);
        p.set_value(b"short");
        assert_eq!((p.field(), p.value(), p.expire()), (&[b'f'; 12][..], &b"short"[..], 4102444800000));
        p.set_expire(NO_TTL);
        assert!(matches!(p, HashPair::Inline { .. }));
    }

    #[test]
    fn listpack_triplets_keep_expiry_order() {
        let th = Thresholds::default();
        let mut h = Hash::new();
        for f in ["a", "b", "c", "d"] {
            h.set(f.as_bytes(), b"1", &th);
        }
        h.prepare_ttls();
        assert_eq!(h.encoding(), Encoding::ListPackEx);
        assert!(h.set_expire(b"c", 300));
        assert!(h.set_expire(b"a", 200));
        assert!(h.set_expire(b"d", 300));
        let order: Vec<Vec<u8>> = h.iter().map(|(f, _)| f.to_vec()).collect();
        // Expiry order, a new equal expiry before the older one; fields without a TTL last.
        assert_eq!(order, [b"a".to_vec(), b"d".to_vec(), b"c".to_vec(), b"b".to_vec()]);
        assert_eq!(h.expiry_hint(), 200);
        assert_eq!(h.lookup(b"a", 201), Lookup::Expired);
        assert_eq!(h.lookup(b"a", 200), Lookup::Live(StrRef::Int(1)));
        let mut gone = Vec::new();
        assert_eq!(h.expire_due(301, 10, 10, |f| gone.push(f.to_vec())), 3);
        assert_eq!(gone, [b"a".to_vec(), b"d".to_vec(), b"c".to_vec()]);
        assert_eq!((h.len(), h.has_ttls(), h.expiry_hint()), (1, false, 0));
    }

    #[test]
    fn table_expiry_walks_with_a_cursor_and_keeps_its_bound_early() {
        let th = Thresholds::default();
        let mut h = Hash::new();
        for i in 0..5000 {
            h.set(format!("f{i}").as_bytes(), b"v", &th);
        }
        assert_eq!(h.encoding(), Encoding::HashTable);
        for i in 0..1000 {
            h.set_expire(format!("f{i}").as_bytes(), 1000 + i);
        }
        assert_eq!((h.ttl_count(), h.expiry_hint()), (1000, 1000));
        // Small steps: each call walks a few buckets; the bound stays put until a pass completes.
        let mut gone = 0;
        let mut calls = 0;
        loop {
            gone += h.expire_due(1500, 1000, 64, |_| {});
            calls += 1;
            // A TTL set behind the cursor mid-pass must not be lost.
            if calls == 3 {
                h.set_expire(b"f4999", 1200);
            }
            if h.expiry_hint() >= 1500 {
                break;
            }
            assert!(calls < 10_000);
        }
        assert!(calls > 3);
        // f0..f499 (1000..1499) went, and the late f4999 (1200) once a pass reached it.
        assert_eq!(gone, 501, "{calls} calls");
        assert_eq!(h.expiry_hint(), 1500);
        assert_eq!(h.ttl_count(), 500);
        assert_eq!(h.lookup(b"f4999", 0), Lookup::Missing);
        // HSET drops a TTL, HINCRBY-style writes keep it.
        h.set(b"f700", b"x", &th);
        h.set_keep_ttl(b"f701", b"y", &th);
        assert_eq!((h.expire_of(b"f700"), h.expire_of(b"f701")), (Some(NO_TTL), Some(1701)));
        assert_eq!(h.ttl_count(), 499);
    }

    proptest! {
        #[test]
        fn behaves_like_btreemap(ops in proptest::collection::vec((0u8..3, prop_oneof![
            "[a-d]{1,2}".prop_map(|s| s.into_bytes()), (-20i64..20).prop_map(|x| x.to_string().into_bytes())
        ], prop_oneof![
            "[x-z]{0,8}".prop_map(|s| s.into_bytes()), any::<i64>().prop_map(|x| x.to_string().into_bytes())
        ]), 1..100), entries in 1usize..12, value in 1usize..12) {
            let th = Thresholds { hash_max_listpack_entries: entries, hash_max_listpack_value: value, ..Thresholds::default() };
            let mut h = Hash::new();
            let mut m = BTreeMap::new();
            for (op, f, v) in ops {
                match op {
                    0 | 1 => prop_assert_eq!(h.set(&f, &v, &th), m.insert(f.clone(), v.clone()).is_none()),
                    _ => prop_assert_eq!(h.remove(&f), m.remove(&f).is_some()),
                }
                if let Hash::ListPack(lp) = &h {
                    prop_assert!(lp.len() / 2 <= entries);
                    prop_assert!(lp.iter().all(|e| e.len() <= value));
                }
                prop_assert_eq!(h.len(), m.len());
            }
            prop_assert_eq!(contents(&h), m.clone());
            for (f, v) in &m {
                prop_assert_eq!(h.get(f).map(|x| x.to_vec()), Some(v.clone()));
            }
        }
    }
}
