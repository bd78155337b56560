//! Hash value: a listpack of alternating field/value entries while small, a hash table of field→value pairs when
//! large.
//!
//! ```text
//!  Hash::ListPack:  | hdr | f0 | v0 | f1 | v1 | ... | 0xFF |        insertion order, linear lookups
//!  Hash::HashTable: Box<Dict<HashPair>>, one 32-byte slot per field:
//!     HashPair::Inline { flen, vlen, data: [field bytes | value bytes] }   field+value <= 29 bytes
//!     HashPair::Heap   { flen: u32, data: Box<[u8]> = [field | value] }    longer pairs: one allocation
//! ```
//!
//! Conversions (Redis 7.0): a hash starts as a listpack; setting a field or value longer than
//! `hash-max-listpack-value` bytes, or growing past `hash-max-listpack-entries` fields, converts it to the hash
//! table; it never converts back. [`Hash::convert_for_args`] mirrors `hashTypeTryConversion` for commands that
//! check all their arguments before writing (HSET/HMSET/HSETNX).
//!
//! Tests: unit tests of conversions exactly at both thresholds and of the pair layout; a proptest against a
//! `BTreeMap`; 100k fields.

use super::listpack::{Listpack, Needle};
use super::Thresholds;
use crate::keyspace::dict::{Dict, DictEntry};
use crate::keyspace::object::{Encoding, StrRef};
use crate::util::Rng;

/// Field+value bytes kept inline in a [`HashPair`].
pub const PAIR_INLINE: usize = 29;

/// A field and its value in one slot of the large encoding. Tags 1 and 2, never 0: an all-zero
/// `Option<HashPair>` is `None`, so the table grows into zeroed memory (see `dict::ZeroIsNone`).
#[derive(Clone)]
#[repr(u8)]
pub enum HashPair {
    Inline { flen: u8, vlen: u8, data: [u8; PAIR_INLINE] } = 1,
    Heap { flen: u32, data: Box<[u8]> } = 2,
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
            let mut v = Vec::with_capacity(total);
            v.extend_from_slice(field);
            v.extend_from_slice(value);
            HashPair::Heap { flen: field.len() as u32, data: v.into_boxed_slice() }
        }
    }

    #[inline]
    pub fn field(&self) -> &[u8] {
        match self {
            HashPair::Inline { flen, data, .. } => &data[..*flen as usize],
            HashPair::Heap { flen, data } => &data[..*flen as usize],
        }
    }

    #[inline]
    pub fn value(&self) -> &[u8] {
        match self {
            HashPair::Inline { flen, vlen, data } => &data[*flen as usize..*flen as usize + *vlen as usize],
            HashPair::Heap { flen, data } => &data[*flen as usize..],
        }
    }

    /// Replaces the value, keeping the field.
    pub fn set_value(&mut self, value: &[u8]) {
        let field = self.field().to_vec();
        *self = HashPair::new(&field, value);
    }
}

impl DictEntry for HashPair {
    const ZERO_IS_NONE: Option<crate::keyspace::dict::ZeroIsNone> =
        Some(crate::keyspace::dict::ZeroIsNone::checked::<Self>());

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

pub enum Hash {
    ListPack(Listpack),
    HashTable(Box<Dict<HashPair>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
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

impl Hash {
    pub fn new() -> Hash {
        Hash::ListPack(Listpack::new())
    }

    pub fn encoding(&self) -> Encoding {
        match self {
            Hash::ListPack(_) => Encoding::ListPack,
            Hash::HashTable(_) => Encoding::HashTable,
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::ListPack(lp) => lp.len() / 2,
            Hash::HashTable(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes held (MEMORY USAGE style).
    pub fn alloc_bytes(&self) -> usize {
        match self {
            Hash::ListPack(lp) => lp.alloc_bytes(),
            Hash::HashTable(d) => {
                d.table_bytes()
                    + d.iter()
                        .map(|p| match p {
                            HashPair::Inline { .. } => 0,
                            HashPair::Heap { data, .. } => data.len(),
                        })
                        .sum::<usize>()
            }
        }
    }

    pub fn convert_to_hashtable(&mut self) {
        if let Hash::ListPack(lp) = self {
            let mut d = Dict::new();
            let (mut fb, mut vb) = ([0u8; 24], [0u8; 24]);
            for (f, v) in lp.pairs() {
                d.insert(HashPair::new(f.bytes(&mut fb), v.bytes(&mut vb)));
            }
            *self = Hash::HashTable(Box::new(d));
        }
    }

    /// `hashTypeTryConversion`: converts up front when any of the arguments about to be written is longer than
    /// `hash-max-listpack-value`, or when they would push the listpack past its 1 GiB safety limit.
    pub fn convert_for_args<'a, I: IntoIterator<Item = &'a [u8]>>(&mut self, args: I, th: &Thresholds) {
        let Hash::ListPack(lp) = self else { return };
        let mut sum = 0usize;
        for a in args {
            if a.len() > th.hash_max_listpack_value {
                self.convert_to_hashtable();
                return;
            }
            sum += a.len();
        }
        if lp.bytes() + sum > super::zset::LISTPACK_SAFETY_BYTES {
            self.convert_to_hashtable();
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<StrRef<'_>> {
        match self {
            Hash::ListPack(lp) => lp_find(lp, field).map(|(_, v)| lp.get(v)),
            Hash::HashTable(d) => d.get(field).map(|p| StrRef::Bytes(p.value())),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::ListPack(lp) => lp_find(lp, field).is_some(),
            Hash::HashTable(d) => d.get(field).is_some(),
        }
    }

    /// HSTRLEN: length of the value's text, 0 when missing.
    pub fn value_len(&self, field: &[u8]) -> usize {
        self.get(field).map_or(0, |v| v.len())
    }

    /// Sets `field` to `value` (`hashTypeSet`); returns true when the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], th: &Thresholds) -> bool {
        if let Hash::ListPack(lp) = self {
            if field.len() > th.hash_max_listpack_value
                || value.len() > th.hash_max_listpack_value
                || lp.bytes() + field.len() + value.len() > super::zset::LISTPACK_SAFETY_BYTES
            {
                self.convert_to_hashtable();
            } else {
                if let Some((_, v)) = lp_find(lp, field) {
                    lp.replace(v, value);
                    return false;
                }
                lp.push_back(field);
                lp.push_back(value);
                if lp.len() / 2 > th.hash_max_listpack_entries {
                    self.convert_to_hashtable();
                }
                return true;
            }
        }
        let Hash::HashTable(d) = self else { return false };
        // One probe: insert replaces an existing pair (same field, new value).
        let new = d.insert(HashPair::new(field, value)).is_none();
        if new {
            super::boost_rehash(d);
        }
        new
    }

    /// Sets `field` to an integer (HINCRBY results), stored compactly in the listpack encoding.
    pub fn set_int(&mut self, field: &[u8], n: i64, th: &Thresholds) -> bool {
        // The listpack turns the canonical text back into an integer entry.
        let mut buf = [0u8; 24];
        let text = crate::util::itoa_buf(n, &mut buf);
        self.set(field, text, th)
    }

    /// HDEL of one field; returns whether it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::ListPack(lp) => match lp_find(lp, field) {
                Some((f, _)) => {
                    lp.delete_at(f, 2);
                    true
                }
                None => false,
            },
            Hash::HashTable(d) => {
                let found = d.remove(field).is_some();
                d.shrink_if_sparse();
                found
            }
        }
    }

    /// (field, value) pairs (listpack: insertion order; hash table: table order).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (StrRef<'_>, StrRef<'_>)> + '_> {
        match self {
            Hash::ListPack(lp) => Box::new(lp.pairs()),
            Hash::HashTable(d) => Box::new(d.iter().map(|p| (StrRef::Bytes(p.field()), StrRef::Bytes(p.value())))),
        }
    }

    /// A uniformly random pair.
    pub fn random(&self, rng: &mut Rng) -> Option<(StrRef<'_>, StrRef<'_>)> {
        match self {
            Hash::ListPack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let f = lp.seek(2 * rng.below(n as u64) as i64)?;
                Some((lp.get(f), lp.get(lp.next(f)?)))
            }
            Hash::HashTable(d) => d.random(rng).map(|p| (StrRef::Bytes(p.field()), StrRef::Bytes(p.value()))),
        }
    }

    /// `count` distinct random pairs (everything when `count >= len`), for HRANDFIELD with a positive count.
    pub fn random_distinct(&self, count: usize, rng: &mut Rng) -> Vec<(StrRef<'_>, StrRef<'_>)> {
        if count >= self.len() {
            return self.iter().collect();
        }
        match self {
            Hash::ListPack(lp) => {
                let all: Vec<(StrRef<'_>, StrRef<'_>)> = lp.pairs().collect();
                super::sample_distinct(all.len(), count, rng).into_iter().map(|i| all[i]).collect()
            }
            Hash::HashTable(d) => super::dict_sample_distinct(d, count, rng)
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
        match self {
            Hash::ListPack(lp) => {
                let all: Vec<(StrRef<'_>, StrRef<'_>)> = lp.pairs().collect();
                if all.is_empty() {
                    return;
                }
                for _ in 0..count {
                    let (k, v) = all[rng.below(all.len() as u64) as usize];
                    if !f(k, v) {
                        return;
                    }
                }
            }
            Hash::HashTable(d) => {
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
    /// encoding returns everything at once (cursor 0), as Redis does.
    pub fn scan<F: FnMut(StrRef<'_>, StrRef<'_>)>(&self, cursor: u64, count: usize, max_steps: usize, mut f: F) -> u64 {
        match self {
            Hash::ListPack(lp) => {
                lp.pairs().for_each(|(k, v)| f(k, v));
                0
            }
            Hash::HashTable(d) => d.scan_count(cursor, count, max_steps, |p| {
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
