//! Set value: an intset while every member is an integer and there are at most `set-max-intset-entries` of them,
//! else a hash table of members.
//!
//! ```text
//!  Set::IntSet(IntSet)                       [ 1 | 5 | 42 ]  (sorted, 16/32/64-bit)
//!  Set::HashTable(Box<Dict<SmallBytes>>)     each slot holds the member inline (<= 22 bytes) or a boxed slice
//! ```
//!
//! Invariants and conversions (Redis 7.0): a new set starts as an intset when its first member is a canonical
//! integer (`string2ll`), else as a hash table; adding a non-integer member, or growing past
//! `set-max-intset-entries`, converts to the hash table; nothing converts back. Integers are stored in the hash
//! table by their decimal text, so members compare as bytes in both encodings.
//!
//! Tests: unit tests of the conversions at the threshold and of random picks; a proptest against a `BTreeSet` of
//! byte strings; 100k members.

use super::intset::IntSet;
use super::{Encoding, StrRef};
use super::{SmallBytes, Thresholds};
use crate::keyspace::dict::Dict;
use crate::util::{parse_i64, Rng};

pub enum Set {
    IntSet(IntSet),
    HashTable(Box<Dict<SmallBytes>>),
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_set();
        for m in self.iter() {
            l.entry(&String::from_utf8_lossy(&m.to_vec()));
        }
        l.finish()
    }
}

/// A member as an integer when it is a canonical one.
#[inline]
fn as_int(member: &[u8]) -> Option<i64> {
    if member.len() <= 20 {
        parse_i64(member)
    } else {
        None
    }
}

impl Set {
    /// An empty set in the encoding Redis picks for a set whose first member is `first` (`setTypeCreate`).
    pub fn new_for(first: &[u8]) -> Set {
        if as_int(first).is_some() {
            Set::IntSet(IntSet::new())
        } else {
            Set::new_hashtable()
        }
    }

    pub fn new_intset() -> Set {
        Set::IntSet(IntSet::new())
    }

    pub fn new_hashtable() -> Set {
        Set::HashTable(Box::default())
    }

    pub fn encoding(&self) -> Encoding {
        match self {
            Set::IntSet(_) => Encoding::IntSet,
            Set::HashTable(_) => Encoding::HashTable,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::IntSet(s) => s.len(),
            Set::HashTable(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes held (MEMORY USAGE style): table or array plus out-of-line member bytes.
    pub fn alloc_bytes(&self) -> usize {
        match self {
            Set::IntSet(s) => s.alloc_bytes(),
            Set::HashTable(d) => d.table_bytes() + d.iter().map(|m| m.heap_bytes()).sum::<usize>(),
        }
    }

    pub fn convert_to_hashtable(&mut self) {
        if let Set::IntSet(s) = self {
            let mut d = Dict::new();
            let mut buf = [0u8; 24];
            for x in s.iter() {
                d.insert(SmallBytes::new(crate::util::itoa_buf(x, &mut buf)));
            }
            *self = Set::HashTable(Box::new(d));
        }
    }

    /// SADD of one member; returns whether it was new.
    pub fn add(&mut self, member: &[u8], th: &Thresholds) -> bool {
        if let Set::IntSet(s) = self {
            match as_int(member) {
                Some(x) => {
                    if !s.insert(x) {
                        return false;
                    }
                    // Redis caps the intset limit at 2^30 entries because of the intset's own size fields.
                    if s.len() > th.set_max_intset_entries.min(1 << 30) {
                        self.convert_to_hashtable();
                    }
                    return true;
                }
                None => self.convert_to_hashtable(),
            }
        }
        match self {
            Set::HashTable(d) => {
                // One probe: re-inserting an existing member replaces it with identical bytes.
                let new = d.insert(SmallBytes::new(member)).is_none();
                if new {
                    super::boost_rehash(d);
                }
                new
            }
            Set::IntSet(_) => false,
        }
    }

    /// SREM of one member; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::IntSet(s) => as_int(member).is_some_and(|x| s.remove(x)),
            Set::HashTable(d) => {
                let found = d.remove(member).is_some();
                d.shrink_if_sparse();
                found
            }
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::IntSet(s) => as_int(member).is_some_and(|x| s.contains(x)),
            Set::HashTable(d) => d.get(member).is_some(),
        }
    }

    /// Members (intset: ascending; hash table: table order).
    pub fn iter(&self) -> Box<dyn Iterator<Item = StrRef<'_>> + '_> {
        match self {
            Set::IntSet(s) => Box::new(s.iter().map(StrRef::Int)),
            Set::HashTable(d) => Box::new(d.iter().map(|m| StrRef::Bytes(m.as_bytes()))),
        }
    }

    /// A uniformly random member.
    pub fn random(&self, rng: &mut Rng) -> Option<StrRef<'_>> {
        match self {
            Set::IntSet(s) => s.random(rng).map(StrRef::Int),
            Set::HashTable(d) => d.random(rng).map(|m| StrRef::Bytes(m.as_bytes())),
        }
    }

    /// `count` distinct random members (all of them when `count >= len`).
    pub fn random_distinct(&self, count: usize, rng: &mut Rng) -> Vec<StrRef<'_>> {
        match self {
            Set::IntSet(s) => {
                if count >= s.len() {
                    return s.iter().map(StrRef::Int).collect();
                }
                super::sample_distinct(s.len(), count, rng)
                    .into_iter()
                    .filter_map(|i| s.get(i).map(StrRef::Int))
                    .collect()
            }
            Set::HashTable(d) => {
                super::dict_sample_distinct(d, count, rng).into_iter().map(|m| StrRef::Bytes(m.as_bytes())).collect()
            }
        }
    }

    /// `count` random members with repetition (SRANDMEMBER with a negative count), each given to `f`, until `f`
    /// returns false.
    pub fn random_with_replacement<F: FnMut(StrRef<'_>) -> bool>(&self, count: usize, rng: &mut Rng, mut f: F) {
        if self.is_empty() {
            return;
        }
        for _ in 0..count {
            if let Some(m) = self.random(rng) {
                if !f(m) {
                    return;
                }
            }
        }
    }

    /// SPOP of one member.
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        match self {
            Set::IntSet(s) => {
                if s.is_empty() {
                    return None;
                }
                let i = rng.below(s.len() as u64) as usize;
                s.remove_at(i).map(|x| x.to_string().into_bytes())
            }
            Set::HashTable(d) => {
                let m = d.random(rng)?.as_bytes().to_vec();
                d.remove(&m);
                d.shrink_if_sparse();
                Some(m)
            }
        }
    }

    /// SPOP with a count: removes and returns `count` distinct random members (everything when `count >= len`).
    pub fn pop_random_many(&mut self, count: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
        let picked: Vec<Vec<u8>> = self.random_distinct(count, rng).into_iter().map(|m| m.to_vec()).collect();
        for m in &picked {
            self.remove(m);
        }
        picked
    }

    /// SSCAN's loop ([`Dict::scan_count`]: until `f` kept `count` members or `max_steps` steps); the intset
    /// encoding returns everything at once (cursor 0), as Redis does.
    pub fn scan<F: FnMut(StrRef<'_>) -> bool>(&self, cursor: u64, count: usize, max_steps: usize, mut f: F) -> u64 {
        match self {
            Set::IntSet(s) => {
                s.iter().for_each(|x| {
                    f(StrRef::Int(x));
                });
                0
            }
            Set::HashTable(d) => d.scan_count(cursor, count, max_steps, |m| f(StrRef::Bytes(m.as_bytes()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Rng;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn sorted(s: &Set) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
        v.sort();
        v
    }

    #[test]
    fn starts_in_the_encoding_of_the_first_member() {
        assert_eq!(Set::new_for(b"12").encoding(), Encoding::IntSet);
        assert_eq!(Set::new_for(b"012").encoding(), Encoding::HashTable);
        assert_eq!(Set::new_for(b"a").encoding(), Encoding::HashTable);
        assert_eq!(Set::new_for(b"-9223372036854775808").encoding(), Encoding::IntSet);
        assert_eq!(Set::new_for(b"9223372036854775808").encoding(), Encoding::HashTable);
    }

    #[test]
    fn removals_shrink_the_table_unless_a_child_shares_it() {
        let th = Thresholds::default();
        let fill = || {
            let mut s = Set::new_for(b"m");
            for i in 0..20_000 {
                s.add(format!("m:{i}").as_bytes(), &th);
            }
            s
        };
        let cap = |s: &Set| match s {
            Set::HashTable(d) => d.capacity(),
            Set::IntSet(_) => 0,
        };
        let mut s = fill();
        let big = cap(&s);
        crate::keyspace::dict::set_collections_resize_allowed(false);
        for i in 0..19_500 {
            assert!(s.remove(format!("m:{i}").as_bytes()));
        }
        assert_eq!(cap(&s), big, "no shrinking while a child shares the pages");
        crate::keyspace::dict::set_collections_resize_allowed(true);
        assert!(s.remove(b"m:19500"));
        // Each access moves one run or looks at ten empty slots of the old table, as Redis's rehash steps.
        for _ in 0..4000 {
            s.remove(b"absent");
        }
        assert!(cap(&s) * 10 < big, "{} of {big}", cap(&s));
        assert_eq!(s.len(), 499);
        assert!((19_501..20_000).all(|i| s.contains(format!("m:{i}").as_bytes())));
    }

    #[test]
    fn converts_exactly_past_the_limit_and_on_strings() {
        let th = Thresholds { set_max_intset_entries: 4, ..Thresholds::default() };
        let mut s = Set::new_intset();
        for i in 0..4 {
            assert!(s.add(i.to_string().as_bytes(), &th));
        }
        assert!(!s.add(b"3", &th));
        assert_eq!(s.encoding(), Encoding::IntSet);
        assert!(s.add(b"4", &th));
        assert_eq!(s.encoding(), Encoding::HashTable);
        assert_eq!(sorted(&s), vec![b"0".to_vec(), b"1".to_vec(), b"2".to_vec(), b"3".to_vec(), b"4".to_vec()]);
        assert!(s.contains(b"4") && !s.contains(b"04"));
        for i in 0..5 {
            s.remove(i.to_string().as_bytes());
        }
        assert_eq!(s.encoding(), Encoding::HashTable);

        let mut s = Set::new_intset();
        s.add(b"1", &th);
        assert!(!s.contains(b"01") && !s.remove(b"01"));
        assert!(s.add(b"x", &th));
        assert_eq!(s.encoding(), Encoding::HashTable);
        assert!(s.contains(b"1") && s.contains(b"x"));
    }

    #[test]
    fn random_picks_are_members_and_distinct() {
        let th = Thresholds::default();
        for first in [&b"1"[..], b"a"] {
            let mut s = Set::new_for(first);
            for i in 0..50 {
                let m = if first == b"1" { i.to_string() } else { format!("m{i}") };
                s.add(m.as_bytes(), &th);
            }
            let mut rng = Rng::new(9);
            for count in [0usize, 1, 10, 20, 49, 50, 100] {
                let v: Vec<Vec<u8>> = s.random_distinct(count, &mut rng).into_iter().map(|m| m.to_vec()).collect();
                assert_eq!(v.len(), count.min(50));
                let uniq: BTreeSet<_> = v.iter().collect();
                assert_eq!(uniq.len(), v.len());
                assert!(v.iter().all(|m| s.contains(m)));
            }
            let mut n = 0;
            s.random_with_replacement(1000, &mut rng, |m| {
                assert!(s.contains(&m.to_vec()));
                n += 1;
                true
            });
            assert_eq!(n, 1000);
            n = 0;
            s.random_with_replacement(1000, &mut rng, |_| {
                n += 1;
                n < 10
            });
            assert_eq!(n, 10);
            let popped = s.pop_random_many(30, &mut rng);
            assert_eq!(popped.len(), 30);
            assert_eq!(s.len(), 20);
            assert!(popped.iter().all(|m| !s.contains(m)));
            while s.pop_random(&mut rng).is_some() {}
            assert!(s.is_empty());
        }
    }

    #[test]
    fn hundred_thousand_members() {
        let th = Thresholds::default();
        let mut s = Set::new_for(b"0");
        for i in 0..100_000 {
            s.add(format!("{}", i * 3).as_bytes(), &th);
        }
        assert_eq!(s.encoding(), Encoding::HashTable);
        assert_eq!(s.len(), 100_000);
        assert!(s.contains(b"299997") && !s.contains(b"299998"));
        let mut seen = 0;
        let mut cursor = 0;
        loop {
            cursor = s.scan(cursor, 10, 100, |_| {
                seen += 1;
                true
            });
            if cursor == 0 {
                break;
            }
        }
        assert!(seen >= 100_000);
    }

    proptest! {
        #[test]
        fn behaves_like_btreeset(ops in proptest::collection::vec((any::<bool>(), prop_oneof![
            (-40i64..40).prop_map(|x| x.to_string().into_bytes()),
            any::<i64>().prop_map(|x| x.to_string().into_bytes()),
            "[a-c]{1,2}".prop_map(|s| s.into_bytes()),
            Just(b"007".to_vec()),
        ]), 1..120), limit in 0usize..20) {
            let th = Thresholds { set_max_intset_entries: limit, ..Thresholds::default() };
            let mut s = Set::new_for(&ops[0].1);
            let mut m = BTreeSet::new();
            for (add, v) in ops {
                if add {
                    prop_assert_eq!(s.add(&v, &th), m.insert(v.clone()));
                } else {
                    prop_assert_eq!(s.remove(&v), m.remove(&v));
                }
                prop_assert_eq!(s.len(), m.len());
                if let Set::IntSet(i) = &s {
                    prop_assert!(i.len() <= limit);
                }
            }
            prop_assert_eq!(sorted(&s), m.iter().cloned().collect::<Vec<_>>());
            for v in &m { prop_assert!(s.contains(v)); }
        }
    }
}
