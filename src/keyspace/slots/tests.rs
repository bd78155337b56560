//! The slot index's tests: fragments against their hash ranges, and the index a database keeps through its
//! doors (counts and listings against a brute-force scan after inserts, deletes, expiry, overwrites, rehashes,
//! guard rebuilds, clears and swaps, and random sequences of them).

use super::*;
use crate::keyspace::db::{Db, LookupClock};
use crate::keyspace::dict::hash_with;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn indexed() -> Db {
    let mut db = Db::new(0);
    db.enable_slot_index();
    db
}

/// Everything the index says, against a scan: per-slot counts and key sets.
fn check_all(db: &Db) {
    db.check_slot_index();
    db.check_invariants();
    let mut by_slot: BTreeMap<usize, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for e in db.keys.iter() {
        by_slot.entry(key_hash_slot(e.key())).or_default().insert(e.key().to_vec());
    }
    for (&s, keys) in &by_slot {
        assert_eq!(db.count_keys_in_slot(s), keys.len(), "count of slot {s}");
        let got: BTreeSet<Vec<u8>> = db.keys_in_slot(s, usize::MAX).into_iter().collect();
        assert_eq!(&got, keys, "keys of slot {s}");
    }
    let total: usize = (0..SLOTS).map(|s| db.count_keys_in_slot(s)).sum();
    assert_eq!(total, db.len());
}

#[test]
fn fragment_ranges_cover_their_hashes() {
    for h in [0u64, 1, 0x7f, 0x80, u64::MAX, 0x8000_0000_0000_0000, 0x1234_5678_9abc_def0] {
        let (lo, hi) = hash_range(fragment(h));
        assert!(lo <= h && h <= hi, "{h:x}");
        assert_eq!(lo & TAG_MASK, h & TAG_MASK);
        assert_eq!(hi & TAG_MASK, h & TAG_MASK);
        assert_eq!(fragment(lo), fragment(h));
        assert_eq!(fragment(hi), fragment(h));
    }
}

#[test]
fn counts_and_lists_by_slot() {
    let mut db = indexed();
    for i in 0..5000 {
        db.insert(Entry::new_string(format!("k{i}").as_bytes(), b"v"));
    }
    // Hash tags put keys in one slot.
    for i in 0..300 {
        db.insert(Entry::new_string(format!("{{user1}}:{i}").as_bytes(), b"v"));
    }
    let s = key_hash_slot(b"user1");
    assert!(db.count_keys_in_slot(s) >= 300);
    assert_eq!(db.keys_in_slot(s, 10).len(), 10);
    assert_eq!(db.keys_in_slot(s, 0).len(), 0);
    assert_eq!(db.count_keys_in_slot(SLOTS), 0);
    assert!(db.keys_in_slot(SLOTS, 10).is_empty());
    check_all(&db);
    while db.cron(true, 1000) {}
    check_all(&db);
    let gone = db.delete_keys_in_slot(s);
    assert!(gone.len() >= 300);
    assert_eq!(db.count_keys_in_slot(s), 0);
    assert!(db.keys_in_slot(s, 100).is_empty());
    check_all(&db);
    db.clear();
    check_all(&db);
    assert_eq!(db.count_keys_in_slot(key_hash_slot(b"k1")), 0);
}

#[test]
fn across_rehash_shrink_and_reseed() {
    let mut db = indexed();
    // Grow through several incremental rehashes, checking in the middle of them.
    let mut seen_rehashing = 0;
    for i in 0..20_000 {
        db.insert(Entry::new_string(format!("key:{i}").as_bytes(), b"v"));
        if db.keys.is_rehashing() && seen_rehashing < 3 && i % 7 == 0 {
            seen_rehashing += 1;
            check_all(&db);
        }
    }
    assert!(seen_rehashing > 0);
    check_all(&db);
    while db.cron(true, 1000) {}
    // Delete 95% of the keys in the dict's own (SCAN) order: what is left sits in one end of the hash space,
    // so the shrink rebuilds the table under a new seed; the index follows.
    let mut order = Vec::new();
    let mut cursor = 0;
    loop {
        cursor = db.scan(cursor, |e| order.push(e.key().to_vec()));
        if cursor == 0 {
            break;
        }
    }
    for k in &order[..19_000] {
        db.remove(k);
    }
    check_all(&db);
    let seed = db.keys.seed();
    // A shrink outside the Db (the expiry cron's) leaves the index stale until the next door: listing still
    // answers right (by a scan). A big table's clustering check takes one call per slice of its control bytes.
    for _ in 0..64 {
        db.keys.resize_if_needed();
        if !db.keys.shrink_waiting() {
            break;
        }
    }
    assert_ne!(db.keys.seed(), seed, "the shrink was expected to reseed");
    check_all(&db);
    db.insert(Entry::new_string(b"after", b"v"));
    check_all(&db);
    while db.cron(true, 1000) {}
    check_all(&db);
    // Mid-shrink (an incremental rehash to a smaller table).
    for k in &order[19_000..19_900] {
        db.remove(k);
    }
    db.cron(true, 0);
    check_all(&db);
    while db.cron(true, 1000) {}
    check_all(&db);
}

/// Keys in `db`'s SCAN order.
fn scan_order(db: &Db) -> Vec<Vec<u8>> {
    let mut order = Vec::new();
    let mut cursor = 0;
    loop {
        cursor = db.scan(cursor, |e| order.push(e.key().to_vec()));
        if cursor == 0 {
            return order;
        }
    }
}

/// Whether the index follows the dict (listing uses it, no scan).
fn follows(db: &Db) -> bool {
    db.slots.as_ref().is_some_and(|ix| ix.follows(&db.keys))
}

#[test]
fn a_guard_rebuild_is_followed_move_by_move() {
    // Keys inserted in the dict's own hash order cluster it until the probe guard rebuilds it under a new seed;
    // the index follows that migration through the move log (a recompute would trip `rebuild`'s debug assertion)
    // while inserts, deletes and lookups go on.
    let mut db = indexed();
    let seed = db.keys.seed();
    let mut keys: Vec<Vec<u8>> = (0..60_000).map(|i| format!("key:{i}").into_bytes()).collect();
    keys.sort_by_key(|k| hash_with(seed, k));
    let (mut checks, mut during, mut removed) = (0, 0, BTreeSet::new());
    for (i, k) in keys.iter().enumerate() {
        db.insert(Entry::new_string(k, b"v"));
        if db.keys.is_reseeding() {
            during += 1;
            if i % 3 == 0 && removed.insert(i / 2) {
                assert!(db.remove(&keys[i / 2]).is_some());
            }
            assert!(db.lookup(&keys[i / 3], LookupClock::at(0)).is_some() || removed.contains(&(i / 3)));
            if during % 499 == 1 {
                assert!(follows(&db));
                check_all(&db);
                checks += 1;
            }
        }
    }
    assert!(db.keys.probe_work().rebuilds >= 1, "the guard was expected to rebuild");
    assert!(checks > 0, "no check ran mid-migration");
    while db.cron(true, 10) {}
    assert!(follows(&db));
    check_all(&db);
}

#[test]
fn a_clustered_shrink_of_many_keys_is_followed_in_steps() {
    // 40k keys of 300k left after deleting the rest in SCAN order: the shrink moves them under a new seed (before the move
    // log, in cluster mode it waited until at most 32k were left, as the index recomputed itself at once), and the
    // index follows the cron's steps.
    let mut db = indexed();
    for i in 0..300_000 {
        db.insert(Entry::new_string(format!("key:{i}").as_bytes(), b"v"));
    }
    while db.cron(true, 1000) {}
    let order = scan_order(&db);
    for k in &order[..260_000] {
        db.remove(k);
    }
    // The clustering check reads a big table a slice per cron call.
    for _ in 0..1000 {
        db.cron(true, 0);
        if db.keys.is_rehashing() {
            break;
        }
    }
    assert!(db.keys.is_reseeding(), "the shrink was expected to move the keys under a new seed");
    let mut rounds = 0;
    while db.keys.is_reseeding() {
        // One rehash step of the cron's, then a write and a delete.
        db.rehash_for_us(0);
        db.insert(Entry::new_string(format!("new:{rounds}").as_bytes(), b"v"));
        db.remove(&order[260_000 + rounds]);
        // A refused insert (the key is there) still brings the index up to its step's moves.
        assert!(db.insert_new(Entry::new_string(format!("new:{rounds}").as_bytes(), b"w")).is_err());
        assert!(!db.keys.moves_pending());
        rounds += 1;
        if rounds % 97 == 0 {
            assert!(follows(&db));
            check_all(&db);
        }
    }
    assert!(rounds > 100, "the migration took {rounds} rounds");
    assert!(follows(&db));
    check_all(&db);
}

#[test]
fn swap_take_and_loads() {
    let mut a = indexed();
    let mut b = indexed();
    a.insert(Entry::new_string(b"a1", b"v"));
    a.insert(Entry::new_string(b"a2", b"v"));
    b.insert(Entry::new_string(b"b1", b"v"));
    a.swap_data(&mut b);
    check_all(&a);
    check_all(&b);
    assert_eq!(a.keys_in_slot(key_hash_slot(b"b1"), 5), vec![b"b1".to_vec()]);
    let taken = b.take_keys();
    assert_eq!(taken.len(), 2);
    check_all(&b);
    assert_eq!(b.count_keys_in_slot(key_hash_slot(b"a1")), 0);
    // A database created in cluster mode (a load, a full sync) starts indexed.
    let mut loaded = Db::new(0);
    assert!(loaded.has_slot_index());
    let mut e = Entry::new_string(b"ttl", b"v");
    e.set_expire(Some(5));
    loaded.insert_with_expire(e);
    assert!(loaded.insert_new(Entry::new_string(b"pop", b"v")).is_ok());
    assert!(loaded.insert_new(Entry::new_string(b"pop", b"w")).is_err());
    check_all(&loaded);
    assert!(loaded.lookup(b"ttl", LookupClock::at(10)).is_none());
    check_all(&loaded);
}

#[derive(Debug, Clone)]
enum Op {
    Set(u16),
    SetKeepTtl(u16),
    Expire(u16, i64),
    Del(u16),
    Get(u16),
    Rename(u16, u16),
    Tick(i64),
    Cron,
    DelSlot(u16),
    Flush,
}

/// Keys from a small space, a third of them under two hash tags (so some slots hold many keys).
fn key(k: u16) -> Vec<u8> {
    match k % 3 {
        0 => format!("{{tag{}}}:{k}", k % 2).into_bytes(),
        _ => format!("key:{k}").into_bytes(),
    }
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0u16..600;
    prop_oneof![
        8 => k.clone().prop_map(Op::Set),
        2 => k.clone().prop_map(Op::SetKeepTtl),
        2 => (k.clone(), 0i64..50).prop_map(|(k, t)| Op::Expire(k, t)),
        4 => k.clone().prop_map(Op::Del),
        2 => k.clone().prop_map(Op::Get),
        2 => (k.clone(), k.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
        1 => (0i64..20).prop_map(Op::Tick),
        1 => Just(Op::Cron),
        1 => k.prop_map(Op::DelSlot),
        1 => Just(Op::Flush),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn index_matches_scan(ops in proptest::collection::vec(op(), 1..600)) {
        let mut db = indexed();
        let mut now = 0i64;
        for (n, o) in ops.into_iter().enumerate() {
            match o {
                Op::Set(k) => { db.insert(Entry::new_string(&key(k), b"v")); }
                Op::SetKeepTtl(k) => { db.insert_keep_ttl(Entry::new_string(&key(k), b"w"), 0); }
                Op::Expire(k, t) => { db.set_expire(&key(k), now + t); }
                Op::Del(k) => { db.remove(&key(k)); }
                Op::Get(k) => { db.lookup(&key(k), LookupClock::at(now)); }
                Op::Rename(a, b) => {
                    if let Some(e) = db.remove(&key(a)) {
                        let ttl = e.expire_ms();
                        let mut moved = e.with_key(&key(b));
                        moved.set_expire(ttl);
                        db.remove(&key(b));
                        db.insert_with_expire(moved);
                    }
                }
                Op::Tick(d) => now += d,
                Op::Cron => { db.cron(true, 1); }
                Op::DelSlot(k) => {
                    let s = key_hash_slot(&key(k));
                    let gone = db.delete_keys_in_slot(s);
                    prop_assert!(gone.iter().all(|g| key_hash_slot(g) == s));
                    prop_assert_eq!(db.count_keys_in_slot(s), 0);
                }
                Op::Flush => db.clear(),
            }
            if n % 16 == 0 {
                check_all(&db);
            }
        }
        check_all(&db);
    }
}
