//! Unit and property tests of the RDB writer and loader (see the module docs for what else tests them).

use super::read::apply_lru_lfu;
use super::*;
use crate::keyspace::db::Db;
use crate::keyspace::object::{Encoding, Entry, StrRef, Value};
use crate::keyspace::types::hash::Hash;
use crate::keyspace::types::list::List;
use crate::keyspace::types::set::Set;
use crate::keyspace::types::zset::{ZAddFlags, ZSet};
use crate::keyspace::types::Thresholds;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A canonical description of a value: type, encoding, elements (sorted for unordered types), expire, LRU.
type Desc = (String, Encoding, Vec<String>, Option<i64>);

fn elements(e: &Entry) -> Vec<String> {
    let s = |r: StrRef<'_>| String::from_utf8_lossy(&r.to_vec()).into_owned();
    match e.value() {
        None => vec![s(e.as_str().expect("string"))],
        Some(Value::List(l)) => l.iter().map(|e| s(e.as_ref())).collect(),
        Some(Value::Set(set)) => {
            let mut v: Vec<String> = set.iter().map(s).collect();
            v.sort();
            v
        }
        Some(Value::Hash(h)) => {
            let mut v: Vec<String> = h.iter().map(|(f, x)| format!("{}={}", s(f), s(x))).collect();
            v.sort();
            v
        }
        Some(Value::ZSet(z)) => z.iter().map(|(m, sc)| format!("{}={sc:?}", s(m))).collect(),
        Some(Value::Json(j)) => vec![String::from_utf8_lossy(&j.to_text()).into_owned()],
        Some(Value::Prob(p)) => vec![format!("{p:?}")],
        Some(Value::Stream(st)) => {
            use crate::keyspace::types::stream::StreamId;
            let mut v: Vec<String> =
                st.range(StreamId::MIN, StreamId::MAX, false).map(|e| format!("{} {:?}", e.id, e.fields())).collect();
            v.push(format!(
                "len={} last={} first={} maxdel={} added={} nodes={}",
                st.length,
                st.last_id,
                st.first_id,
                st.max_deleted_entry_id,
                st.entries_added,
                st.node_count()
            ));
            v.push(format!("{:?}", st.groups));
            v
        }
    }
}

/// A stream of `n` entries over small nodes, a few deleted, with a group holding pending entries of two
/// consumers (and one consumer with none).
fn stream_value(n: u64) -> Value {
    use crate::keyspace::types::stream::{Consumer, ConsumerGroup, IdSpec, NodeLimits, PendingEntry, Stream, StreamId};
    let lim = NodeLimits { max_bytes: 4096, max_entries: 5 };
    let mut st = Stream::new();
    for i in 1..=n {
        let v = format!("value-{i}");
        let fv: Vec<&[u8]> =
            if i % 3 == 0 { vec![b"other", v.as_bytes(), b"x", b"12"] } else { vec![b"f", v.as_bytes()] };
        st.append(&fv, IdSpec::Explicit(StreamId::new(1000 + i, i % 2)), 0, lim).unwrap();
    }
    st.xdel(&[StreamId::new(1002, 0), StreamId::new(1007, 1)]);
    let mut g = ConsumerGroup::new(StreamId::new(1004, 0), 4);
    for (id, who) in
        [(StreamId::new(1001, 1), "alice"), (StreamId::new(1003, 1), "bob"), (StreamId::new(1004, 0), "alice")]
    {
        g.pel.insert(
            id,
            PendingEntry { delivery_time: 1_700_000_000_000, delivery_count: 2, consumer: who.as_bytes().into() },
        );
        if !g.consumers.contains_key(who.as_bytes()) {
            g.consumers
                .insert(who.as_bytes().into(), Consumer { seen_time: 1_700_000_000_123, pel: Default::default() });
        }
        g.consumers.get_mut(who.as_bytes()).unwrap().pel.insert(id);
    }
    g.consumers.insert(b"idle"[..].into(), Consumer { seen_time: 5, pel: Default::default() });
    st.groups.insert(b"grp".to_vec(), g);
    st.groups.insert(b"empty-group".to_vec(), ConsumerGroup::new(StreamId::MIN, -1));
    Value::Stream(Box::new(st))
}

fn describe(dbs: &[Db]) -> BTreeMap<(usize, Vec<u8>), Desc> {
    let mut out = BTreeMap::new();
    for (i, db) in dbs.iter().enumerate() {
        for e in db.iter() {
            let d = (e.obj_type().name().to_string(), e.encoding(), elements(e), db.expire_of(e.key()));
            out.insert((i, e.key().to_vec()), d);
        }
    }
    out
}

fn add(db: &mut Db, e: Entry, expire: Option<i64>) {
    let k = e.key().to_vec();
    db.insert(e);
    if let Some(t) = expire {
        db.set_expire(&k, t);
    }
}

/// Every type in every encoding, in three databases.
fn dataset() -> Vec<Db> {
    let th = Thresholds::default();
    let mut dbs: Vec<Db> = (0..4).map(Db::new).collect();
    let d = &mut dbs[0];
    add(d, Entry::new_string(b"int", b"12345"), None);
    add(d, Entry::new_string(b"neg", b"-9000000000"), None);
    add(d, Entry::new_string(b"big", b"9223372036854775807"), None);
    add(d, Entry::new_string(b"emb", b"hello"), Some(4_000_000_000_000));
    add(d, Entry::new_string(b"empty", b""), None);
    add(d, Entry::new_string(b"raw", &[b'z'; 100]), None);
    add(d, Entry::new_raw(b"rawrandom", (0..300u32).map(|i| (i * 7919 % 251) as u8).collect()), None);
    add(d, Entry::new_string(b"0123", b"0123"), None);
    add(d, Entry::new_string(b"12", b"x"), None);
    add(d, Entry::new_embstr(b"float", b"3.14"), None);
    let mut small = List::new();
    for i in 0..10 {
        small.push(format!("e{i}").as_bytes(), false, &th);
    }
    small.push(b"42", false, &th);
    add(d, Entry::new_value(b"list-small", Value::List(small)), None);
    let mut big = List::new();
    for i in 0..3000 {
        big.push(format!("element-{i}").as_bytes(), i % 2 == 0, &th);
    }
    big.push(&vec![b'p'; 20_000], false, &th);
    big.push(b"-17", false, &th);
    add(d, Entry::new_value(b"list-big", Value::List(big)), Some(5_000_000_000_000));
    let mut is = Set::new_intset();
    for i in [-70000i64, -3, 0, 5, 1 << 40] {
        is.add(i.to_string().as_bytes(), &th);
    }
    add(d, Entry::new_value(b"set-int", Value::Set(is)), None);
    let mut hs = Set::new_hashtable();
    for i in 0..700 {
        hs.add(format!("m{i}").as_bytes(), &th);
    }
    add(d, Entry::new_value(b"set-ht", Value::Set(hs)), None);
    let mut bigint = Set::new_intset();
    for i in 0..600 {
        bigint.add(i.to_string().as_bytes(), &th);
    }
    add(d, Entry::new_value(b"set-ints-ht", Value::Set(bigint)), None);
    let mut h = Hash::new();
    h.set(b"f1", b"v1", &th);
    h.set(b"n", b"77", &th);
    add(d, Entry::new_value(b"hash-lp", Value::Hash(h)), None);
    let mut hh = Hash::new();
    for i in 0..600 {
        hh.set(format!("field{i}").as_bytes(), format!("value{i}").as_bytes(), &th);
    }
    add(d, Entry::new_value(b"hash-ht", Value::Hash(hh)), None);
    let mut hl = Hash::new();
    hl.set(b"long", &[b'v'; 100], &th);
    add(d, Entry::new_value(b"hash-longval", Value::Hash(hl)), None);
    let mut z = ZSet::new(1, &th);
    for (s, m) in [(1.5, "a"), (f64::INFINITY, "inf"), (f64::NEG_INFINITY, "ninf"), (2.0, "b"), (-0.25, "c")] {
        z.add(s, m.as_bytes(), ZAddFlags::default(), &th);
    }
    add(d, Entry::new_value(b"zset-lp", Value::ZSet(z)), None);
    let mut zs = ZSet::new_skiplist();
    for i in 0..500 {
        zs.add(i as f64 / 3.0, format!("member{i}").as_bytes(), ZAddFlags::default(), &th);
    }
    zs.add(f64::INFINITY, b"top", ZAddFlags::default(), &th);
    zs.add(f64::NEG_INFINITY, b"bottom", ZAddFlags::default(), &th);
    add(d, Entry::new_value(b"zset-sk", Value::ZSet(zs)), Some(1));
    add(d, Entry::new_value(b"stream", stream_value(40)), None);
    add(d, Entry::new_value(b"stream-empty", Value::Stream(Box::default())), None);
    dbs[2].insert(Entry::new_string(b"other-db", b"v"));
    dbs[3].insert(Entry::new_string(b"k".repeat(3000).as_slice(), b"long key"));
    dbs
}

fn save(dbs: &[Db], opts: &SaveOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_rdb(&mut out, dbs, 1_000_000, opts).unwrap();
    out
}

fn load(bytes: &[u8], opts: &LoadOptions) -> Result<(Vec<Db>, LoadStats), RdbError> {
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    let mut r = bytes;
    let st = read_rdb(&mut r, &mut dbs, opts)?;
    assert!(r.is_empty(), "loader stopped {} bytes early", r.len());
    Ok((dbs, st))
}

fn keep_all() -> LoadOptions {
    LoadOptions { drop_expired: false, ..LoadOptions::default() }
}

#[test]
fn every_type_round_trips() {
    let dbs = dataset();
    for compression in [true, false] {
        for checksum in [true, false] {
            let opts = SaveOptions { compression, checksum, ..SaveOptions::default() };
            let bytes = save(&dbs, &opts);
            assert_eq!(&bytes[..9], b"REDIS0010");
            let (back, st) = load(&bytes, &keep_all()).unwrap();
            let (want, got) = (describe(&dbs), describe(&back[..4]));
            assert_eq!(want.len(), got.len());
            for (k, v) in &want {
                assert_eq!(Some(v), got.get(k), "key {k:?}");
            }
            assert_eq!(st.keys as usize, want.len());
            assert_eq!(st.bytes_read as usize, bytes.len());
            assert_eq!(st.expires, 3);
            let aux: Vec<&[u8]> = st.aux.iter().map(|(k, _)| k.as_slice()).collect();
            assert_eq!(aux, [&b"redis-ver"[..], b"redis-bits", b"ctime", b"used-mem", b"aof-base"]);
            if !checksum {
                assert_eq!(&bytes[bytes.len() - 8..], &[0u8; 8]);
            }
        }
    }
}

#[test]
fn compression_shrinks_and_expired_keys_drop() {
    let dbs = dataset();
    let plain = save(&dbs, &SaveOptions { compression: false, ..SaveOptions::default() });
    let packed = save(&dbs, &SaveOptions::default());
    assert!(packed.len() < plain.len() - 20_000, "{} vs {}", packed.len(), plain.len());
    let opts = LoadOptions { now_ms: 2_000_000_000_000, ..LoadOptions::default() };
    let (back, st) = load(&packed, &opts).unwrap();
    assert_eq!(st.expired_skipped, 1);
    assert!(back[0].find(b"zset-sk").is_none());
    assert!(back[0].find(b"emb").is_some());
}

#[test]
fn aux_fields_and_trailer() {
    let opts = SaveOptions {
        aux: Aux {
            repl_id: Some("a".repeat(40)),
            repl_offset: 1234,
            repl_stream_db: 3,
            aof_base: true,
            used_mem: 1 << 20,
            ctime_s: 1_700_000_000,
        },
        ..SaveOptions::default()
    };
    let bytes = save(&[Db::new(0)], &opts);
    let (_, st) = load(&bytes, &keep_all()).unwrap();
    let get =
        |k: &str| st.aux.iter().find(|(a, _)| a == k.as_bytes()).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    assert_eq!(get("redis-ver").as_deref(), Some("7.0.15"));
    assert_eq!(get("redis-bits").as_deref(), Some("64"));
    assert_eq!(get("ctime").as_deref(), Some("1700000000"));
    assert_eq!(get("repl-id"), Some("a".repeat(40)));
    assert_eq!(get("repl-offset").as_deref(), Some("1234"));
    assert_eq!(get("repl-stream-db").as_deref(), Some("3"));
    assert_eq!(get("aof-base").as_deref(), Some("1"));
    // An empty dataset: header, aux, EOF, checksum.
    assert_eq!(bytes[bytes.len() - 9], 0xFF);
    let crc = crate::persist::crc64::crc64(0, &bytes[..bytes.len() - 8]);
    assert_eq!(&bytes[bytes.len() - 8..], &crc.to_le_bytes());
}

#[test]
fn reader_stops_after_the_checksum() {
    let dbs = dataset();
    let mut bytes = save(&dbs, &SaveOptions::default());
    let n = bytes.len();
    bytes.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    let mut dbs2: Vec<Db> = (0..16).map(Db::new).collect();
    // A small BufReader so items straddle buffer refills.
    let mut r = std::io::BufReader::with_capacity(61, &bytes[..]);
    let st = read_rdb(&mut r, &mut dbs2, &keep_all()).unwrap();
    assert_eq!(st.bytes_read as usize, n);
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut rest).unwrap();
    assert_eq!(rest, b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(describe(&dbs), describe(&dbs2[..4]));
}

#[test]
fn lru_and_lfu_stamps() {
    let mut db = Db::new(0);
    let mut e = Entry::new_string(b"a", b"1");
    e.set_lru(1000);
    db.insert(e);
    let mut e = Entry::new_string(b"b", b"1");
    e.set_lru(LRU_MASK_TEST - 5); // wrapped clock: idle = 1000 + 5
    db.insert(e);
    let opts = SaveOptions { stamp: KeyStamp::Lru { lru_clock: 1000 + 300 }, ..SaveOptions::default() };
    let bytes = save(std::slice::from_ref(&db), &opts);
    let lo = LoadOptions { lru_clock: 5000, ..keep_all() };
    let (back, _) = load(&bytes, &lo).unwrap();
    assert_eq!(back[0].find(b"a").unwrap().lru(), 5000 - 300);
    assert_eq!(back[0].find(b"b").unwrap().lru(), 5000 - 1300 - 5);

    // LFU: counter 200 written (decay 0 minutes), loaded with the current minutes.
    let now = 90 * 60_000;
    let mut db = Db::new(0);
    let mut e = Entry::new_string(b"f", b"1");
    e.set_lru((crate::keyspace::object::lfu_minutes(now) << 8) | 200);
    db.insert(e);
    let mut out = Vec::new();
    write_rdb(
        &mut out,
        std::slice::from_ref(&db),
        now,
        &SaveOptions { stamp: KeyStamp::Lfu, ..SaveOptions::default() },
    )
    .unwrap();
    let lo = LoadOptions { lfu: true, now_ms: now + 120_000, ..keep_all() };
    let (back, _) = load(&out, &lo).unwrap();
    assert_eq!(back[0].find(b"f").unwrap().lru(), (crate::keyspace::object::lfu_minutes(now + 120_000) << 8) | 200);
    // No stamp: LFU policy gives the init value, LRU the clock.
    let (back, _) = load(&save(std::slice::from_ref(&db), &SaveOptions::default()), &lo).unwrap();
    assert_eq!(back[0].find(b"f").unwrap().lru() & 255, crate::keyspace::object::LFU_INIT_VAL);
    // apply_lru_lfu underflow wraps like Redis.
    let mut e = Entry::new_string(b"x", b"1");
    assert!(apply_lru_lfu(&mut e, false, None, Some(20), 10, 0));
    assert_eq!(e.lru(), LRU_MASK_TEST - 10);
}

const LRU_MASK_TEST: u32 = crate::keyspace::object::LRU_MASK;

#[test]
fn truncations_and_corruptions_error_without_panicking() {
    let mut dbs: Vec<Db> = (0..2).map(Db::new).collect();
    let th = Thresholds::default();
    let d = &mut dbs[0];
    add(d, Entry::new_string(b"s", b"hello world hello world hello world"), Some(99));
    let mut l = List::new();
    for i in 0..20 {
        l.push(format!("{i}x").as_bytes(), false, &th);
    }
    add(d, Entry::new_value(b"l", Value::List(l)), None);
    let mut h = Hash::new();
    h.set(b"a", b"1", &th);
    add(d, Entry::new_value(b"h", Value::Hash(h)), None);
    let mut z = ZSet::new(1, &th);
    z.add(1.0, b"m", ZAddFlags::default(), &th);
    add(d, Entry::new_value(b"z", Value::ZSet(z)), None);
    let mut s = Set::new_intset();
    s.add(b"7", &th);
    add(d, Entry::new_value(b"i", Value::Set(s)), None);
    let mut zs = ZSet::new_skiplist();
    zs.add(2.0, b"q", ZAddFlags::default(), &th);
    add(d, Entry::new_value(b"zs", Value::ZSet(zs)), None);
    add(d, Entry::new_value(b"x", stream_value(7)), None);
    let bytes = save(&dbs, &SaveOptions::default());
    for cut in 0..bytes.len() {
        let e = load(&bytes[..cut], &keep_all()).err().expect("truncated file must fail");
        assert!(e.offset as usize <= cut, "{e}");
    }
    // Every single-byte change is either caught (checksum or structure) or, with checking off, loads or errors
    // cleanly.
    for sanitize in [false, true] {
        let no_crc = LoadOptions { checksum: false, sanitize, ..keep_all() };
        for i in 0..bytes.len() - 8 {
            for v in [0u8, 1, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc3, 0xfe, 0xff] {
                let mut b = bytes.clone();
                if b[i] == v {
                    continue;
                }
                b[i] = v;
                // The version digits are read like atoi: "REDIS001\0" is a version 1 file, without a checksum.
                if !(5..9).contains(&i) {
                    assert!(load_lenient(&b, &keep_all()).is_err(), "byte {i} = {v:#x} not detected");
                }
                let _ = load_lenient(&b, &no_crc);
            }
        }
    }
}

/// Like `load` without requiring the whole input to be consumed.
fn load_lenient(bytes: &[u8], opts: &LoadOptions) -> Result<LoadStats, RdbError> {
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    let mut r = bytes;
    read_rdb(&mut r, &mut dbs, opts)
}

#[test]
fn redis_made_file_loads() {
    // SAVE of redis-server 7.0.15: db 0 {foo: bar, k2: v (TTL)}, db 3 {l: [a, b, c]}.
    let file: [u8; 145] = [
        0x52, 0x45, 0x44, 0x49, 0x53, 0x30, 0x30, 0x31, 0x30, 0xfa, 0x09, 0x72, 0x65, 0x64, 0x69, 0x73, 0x2d, 0x76,
        0x65, 0x72, 0x06, 0x37, 0x2e, 0x30, 0x2e, 0x31, 0x35, 0xfa, 0x0a, 0x72, 0x65, 0x64, 0x69, 0x73, 0x2d, 0x62,
        0x69, 0x74, 0x73, 0xc0, 0x40, 0xfa, 0x05, 0x63, 0x74, 0x69, 0x6d, 0x65, 0xc2, 0xfe, 0xff, 0x03, 0x6b, 0xfa,
        0x08, 0x75, 0x73, 0x65, 0x64, 0x2d, 0x6d, 0x65, 0x6d, 0xc2, 0x80, 0xd7, 0x0f, 0x00, 0xfa, 0x08, 0x61, 0x6f,
        0x66, 0x2d, 0x62, 0x61, 0x73, 0x65, 0xc0, 0x00, 0xfe, 0x00, 0xfb, 0x02, 0x01, 0x00, 0x03, 0x66, 0x6f, 0x6f,
        0x03, 0x62, 0x61, 0x72, 0xfc, 0x5c, 0x80, 0xa1, 0x07, 0xa2, 0x01, 0x00, 0x00, 0x00, 0x02, 0x6b, 0x32, 0x01,
        0x76, 0xfe, 0x03, 0xfb, 0x01, 0x00, 0x12, 0x01, 0x6c, 0x01, 0x02, 0x10, 0x10, 0x00, 0x00, 0x00, 0x03, 0x00,
        0x81, 0x61, 0x02, 0x81, 0x62, 0x02, 0x81, 0x63, 0x02, 0xff, 0xff, 0xc5, 0x6f, 0x78, 0xec, 0x90, 0x34, 0x1b,
        0xd8,
    ];
    let (dbs, st) = load(&file, &keep_all()).unwrap();
    assert_eq!(st.keys, 3);
    assert_eq!(elements(dbs[0].find(b"foo").unwrap()), ["bar"]);
    assert_eq!(dbs[0].expire_of(b"k2"), Some(1_795_424_354_396));
    assert_eq!(elements(dbs[3].find(b"l").unwrap()), ["a", "b", "c"]);
    let (_, st) = load(&file, &LoadOptions { now_ms: 1_795_424_354_397, ..LoadOptions::default() }).unwrap();
    assert_eq!((st.keys, st.expired_skipped), (2, 1));
    let mut bad = file;
    bad[144] ^= 1;
    let e = load(&bad, &keep_all()).err().expect("must fail");
    assert!(e.msg.contains("RDB CRC error"), "{e}");
    // Version 12 (Redis 7.4's, for hash fields with TTLs) is read; 13 is not.
    let mut v13 = file;
    v13[8] = b'3';
    v13[7] = b'1';
    assert_eq!(load(&v13, &keep_all()).err().expect("must fail").msg, "Can't handle RDB format version 13");
    assert!(load(b"RADIS0010", &keep_all()).err().expect("must fail").msg.contains("Wrong signature"));
    // Into too few databases.
    let mut few: Vec<Db> = (0..2).map(Db::new).collect();
    let e = read_rdb(&mut &file[..], &mut few, &keep_all()).expect_err("must fail");
    assert!(e.msg.contains("more than 2 databases"), "{e}");
    // A duplicate key.
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    dbs[3].insert(Entry::new_string(b"l", b"x"));
    let e = read_rdb(&mut &file[..], &mut dbs, &keep_all()).expect_err("must fail");
    assert!(e.msg.contains("duplicated key 'l'"), "{e}");
    // Allowed: replaced, TTLs follow the loaded key.
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    dbs[3].insert(Entry::new_string(b"l", b"x"));
    dbs[3].set_expire(b"l", 5);
    dbs[0].insert(Entry::new_string(b"k2", b"old"));
    let st = read_rdb(&mut &file[..], &mut dbs, &LoadOptions { allow_dup: true, ..keep_all() }).unwrap();
    assert_eq!(st.keys, 3);
    assert_eq!(elements(dbs[3].find(b"l").unwrap()), ["a", "b", "c"]);
    assert_eq!(dbs[3].expire_of(b"l"), None);
    assert_eq!(dbs[0].expire_of(b"k2"), Some(1_795_424_354_396));
    assert_eq!(describe(&dbs).len(), 3);
}

/// DUMP payloads made by redis-server 7.0.15.
const REDIS_DUMPS: &[(&str, &[u8])] = &[
    ("list 1..10", b"\x12\x01\x02\x1b\x1b\x00\x00\x00\n\x00\x01\x01\x02\x01\x03\x01\x04\x01\x05\x01\x06\x01\x07\x01\x08\x01\t\x01\n\x01\xff\n\x00\xa7Pih/\xfd\x19\xf1"),
    ("hash a=1 b=2", b"\x10\x11\x11\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x02\x01\xff\n\x00>@cl\x8f]v\x9a"),
    ("zset a=1.5 b=2", b"\x11\x14\x14\x00\x00\x00\x04\x00\x81a\x02\x831.5\x04\x81b\x02\x02\x01\xff\n\x00\xfa\x02\xb4%\xaf\x18\x87c"),
    ("set 1 2 3", b"\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00\n\x00\xa5\x02\\\xe2mnM\x1b"),
    ("21 x a", b"\x00\xc3\x06\x15\x01aa\xe0\n\x00\n\x00\xfd\x0c\xb3h\x07A?h"),
];

#[test]
fn dump_payloads_match_redis_bytes() {
    let th = Thresholds::default();
    for (what, payload) in REDIS_DUMPS {
        let e = restore_payload(b"k", payload, &th, true).unwrap_or_else(|m| panic!("{what}: {m}"));
        assert_eq!(dump_payload(&e), *payload, "{what}");
        assert_eq!(serialized_len(&e), payload.len() - 11, "{what}");
    }
    let e = restore_payload(b"k", REDIS_DUMPS[2].1, &th, false).unwrap();
    assert_eq!(elements(&e), ["a=1.5", "b=2.0"]);
    // Bad footers and bodies.
    let mut p = REDIS_DUMPS[0].1.to_vec();
    let n = p.len();
    p[n - 1] ^= 1;
    assert_eq!(restore_payload(b"k", &p, &th, false).unwrap_err(), "DUMP payload version or checksum are wrong");
    assert_eq!(restore_payload(b"k", b"short", &th, false).unwrap_err(), "DUMP payload version or checksum are wrong");
    let mut future = REDIS_DUMPS[0].1[..n - 10].to_vec();
    future.extend_from_slice(&13u16.to_le_bytes());
    let crc = crate::persist::crc64::crc64(0, &future);
    future.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(restore_payload(b"k", &future, &th, false).unwrap_err(), "DUMP payload version or checksum are wrong");
    for body in [&b"\x08"[..], b"\x12\x00", b"\x0b\x08\x02\x00\x00\x00\x00\x00\x00\x00", b"\x10\x03abc", b"\xf0"] {
        let mut p = body.to_vec();
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = crate::persist::crc64::crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(restore_payload(b"k", &p, &th, false).unwrap_err(), "Bad data format", "{body:?}");
    }
}

#[test]
fn compressed_lists_save_and_load_compressed() {
    use crate::keyspace::types::quicklist::Node;
    let th = |depth| Thresholds { list_compress_depth: depth, ..Thresholds::default() };
    let mut l = List::new();
    for i in 0..20_000 {
        l.push(format!("element:{i}").as_bytes(), false, &th(1));
    }
    let lzf_of = |l: &List| -> Vec<Option<Vec<u8>>> {
        let List::QuickList(q) = l else { panic!("a quicklist") };
        q.nodes().map(|n: &Node| n.lzf().map(|z| z.to_vec())).collect()
    };
    let before = lzf_of(&l);
    assert!(before.len() > 10 && before[1..before.len() - 1].iter().all(|z| z.is_some()));
    let mut dbs: Vec<Db> = (0..1).map(Db::new).collect();
    add(&mut dbs[0], Entry::new_value(b"l", Value::List(l)), None);
    // Compressed nodes are written as their LZF bytes even with rdbcompression off.
    let bytes = save(&dbs, &SaveOptions { compression: false, ..SaveOptions::default() });
    let raw_size: usize = 20_000 * 11;
    assert!(bytes.len() < raw_size / 2, "{} bytes", bytes.len());
    for depth in [0i64, 1, 2] {
        let opts = LoadOptions { thresholds: th(depth), ..keep_all() };
        let (back, _) = load(&bytes, &opts).unwrap();
        let e = back[0].find(b"l").unwrap();
        assert_eq!(elements(e), elements(dbs[0].find(b"l").unwrap()));
        let Some(Value::List(got)) = e.value() else { panic!("a list") };
        let got_lzf = lzf_of(got);
        assert_eq!(got_lzf.len(), before.len());
        for (i, (a, b)) in before.iter().zip(&got_lzf).enumerate() {
            let inner = depth > 0 && i >= depth as usize && i + (depth as usize) < before.len();
            // Inner nodes keep the saved bytes; the rest are raw.
            assert_eq!(b.is_some(), inner, "depth {depth} node {i}");
            if inner {
                assert_eq!(a, b);
            }
        }
        if let List::QuickList(q) = got {
            q.check_invariants().unwrap();
        }
    }
    // DUMP/RESTORE carries the compressed form too.
    let e = dbs[0].find(b"l").unwrap();
    let payload = dump_payload(e);
    let back = restore_payload(b"l", &payload, &th(1), true).unwrap();
    assert_eq!(elements(&back), elements(e));
    assert_eq!(serialized_len(e), payload.len() - 11);
}

#[test]
fn restore_converts_by_thresholds() {
    let small = Thresholds {
        hash_max_listpack_entries: 1,
        zset_max_listpack_entries: 1,
        set_max_intset_entries: 2,
        ..Thresholds::default()
    };
    let enc = |i: usize| restore_payload(b"k", REDIS_DUMPS[i].1, &small, false).unwrap().encoding();
    assert_eq!(enc(1), Encoding::HashTable);
    assert_eq!(enc(2), Encoding::SkipList);
    assert_eq!(enc(3), Encoding::HashTable);
}

// ---------------------------------------------------------------------------------------------------------------
// Hand-built files with the older encodings (ziplist, zipmap, linked list, string scores, version 9 header).

fn rdb_len(out: &mut Vec<u8>, n: usize) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn rdb_str(out: &mut Vec<u8>, s: &[u8]) {
    rdb_len(out, s.len());
    out.extend_from_slice(s);
}

enum Zl<'a> {
    S(&'a [u8]),
    I(i64),
}

/// A ziplist from entries, choosing the encodings Redis would.
fn ziplist(items: &[Zl<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10;
    for it in items {
        let start = body.len();
        tail = 10 + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xFE);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match it {
            Zl::S(s) if s.len() < 64 => {
                body.push(s.len() as u8);
                body.extend_from_slice(s);
            }
            Zl::S(s) if s.len() < 16384 => {
                body.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8]);
                body.extend_from_slice(s);
            }
            Zl::S(s) => {
                body.push(0x80);
                body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                body.extend_from_slice(s);
            }
            Zl::I(v) if (0..=12).contains(v) => body.push(0xF1 + *v as u8),
            Zl::I(v) if i8::try_from(*v).is_ok() => body.extend_from_slice(&[0xFE, *v as u8]),
            Zl::I(v) if i16::try_from(*v).is_ok() => {
                body.push(0xC0);
                body.extend_from_slice(&(*v as i16).to_le_bytes());
            }
            Zl::I(v) if (-(1 << 23)..(1 << 23)).contains(v) => {
                body.push(0xF0);
                body.extend_from_slice(&(*v as i32).to_le_bytes()[..3]);
            }
            Zl::I(v) if i32::try_from(*v).is_ok() => {
                body.push(0xD0);
                body.extend_from_slice(&(*v as i32).to_le_bytes());
            }
            Zl::I(v) => {
                body.push(0xE0);
                body.extend_from_slice(&v.to_le_bytes());
            }
        }
        prev = body.len() - start;
    }
    let total = 10 + body.len() + 1;
    let mut zl = Vec::new();
    zl.extend_from_slice(&(total as u32).to_le_bytes());
    zl.extend_from_slice(&(tail as u32).to_le_bytes());
    zl.extend_from_slice(&(items.len() as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(0xFF);
    zl
}

fn v9_file(body: &[u8]) -> Vec<u8> {
    let mut f = b"REDIS0009".to_vec();
    f.extend_from_slice(&[0xFE, 0x00]);
    f.extend_from_slice(body);
    f.push(0xFF);
    let crc = crate::persist::crc64::crc64(0, &f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

#[test]
fn held_back_inserts_keep_every_key_and_find_duplicates() {
    // The loader inserts each key some keys after reading it (DbSink's look-ahead): keys before a SELECTDB land in
    // their own database, the last ones are placed at EOF, and a duplicate within the window is still caught (or,
    // when allowed, the later value wins).
    let mut body = Vec::new();
    for db in [0u8, 5] {
        body.extend_from_slice(&[0xFE, db]);
        for i in 0..40 {
            body.push(0); // string
            rdb_str(&mut body, format!("k{i}").as_bytes());
            rdb_str(&mut body, format!("v{db}.{i}").as_bytes());
        }
    }
    let f = v9_file(&body[2..]);
    let (dbs, st) = load(&f, &keep_all()).unwrap();
    assert_eq!(st.keys, 80);
    for db in [0usize, 5] {
        assert_eq!(dbs[db].len(), 40);
        for i in 0..40 {
            assert_eq!(elements(dbs[db].find(format!("k{i}").as_bytes()).unwrap()), [format!("v{db}.{i}")]);
        }
    }
    // k3 again, five keys after the first one: both are still held back when the second is read.
    let mut dup = Vec::new();
    for (k, v) in [("k1", "a"), ("k2", "b"), ("k3", "first"), ("k4", "c"), ("k5", "d"), ("k3", "second"), ("k6", "e")] {
        dup.push(0);
        rdb_str(&mut dup, k.as_bytes());
        rdb_str(&mut dup, v.as_bytes());
    }
    let f = v9_file(&dup);
    let e = load(&f, &keep_all()).err().expect("must fail");
    assert!(e.msg.contains("RDB has duplicated key 'k3' in DB 0"), "{e}");
    let (dbs, _) = load(&f, &LoadOptions { allow_dup: true, ..keep_all() }).unwrap();
    assert_eq!(elements(dbs[0].find(b"k3").unwrap()), ["second"]);
    assert_eq!(dbs[0].len(), 6);
}

#[test]
fn legacy_encodings_load() {
    let long = vec![b'L'; 300];
    let mut b = Vec::new();
    // LIST_ZIPLIST with every integer width and a long string (5-byte prevlen after it).
    b.push(10);
    rdb_str(&mut b, b"zl-list");
    let ints = [7i64, -100, 1000, -1_000_000, 100_000_000, 1 << 40];
    let mut items: Vec<Zl<'_>> = ints.iter().map(|&v| Zl::I(v)).collect();
    items.push(Zl::S(&long));
    items.push(Zl::S(b"tail"));
    rdb_str(&mut b, &ziplist(&items));
    // HASH_ZIPLIST and ZSET_ZIPLIST.
    b.push(13);
    rdb_str(&mut b, b"zl-hash");
    rdb_str(&mut b, &ziplist(&[Zl::S(b"f"), Zl::S(b"v"), Zl::S(b"n"), Zl::I(5)]));
    b.push(12);
    rdb_str(&mut b, b"zl-zset");
    rdb_str(&mut b, &ziplist(&[Zl::S(b"a"), Zl::I(1), Zl::S(b"b"), Zl::S(b"2.5")]));
    // LIST_QUICKLIST of two ziplist nodes.
    b.push(14);
    rdb_str(&mut b, b"ql");
    b.push(2);
    rdb_str(&mut b, &ziplist(&[Zl::S(b"x"), Zl::I(1)]));
    rdb_str(&mut b, &ziplist(&[Zl::S(b"y")]));
    // HASH_ZIPMAP: {foo: bar, hello: world}.
    b.push(9);
    rdb_str(&mut b, b"zm");
    rdb_str(&mut b, b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff");
    // LIST (linked), SET, ZSET with string scores, HASH.
    b.push(1);
    rdb_str(&mut b, b"linked");
    b.push(2);
    rdb_str(&mut b, b"p");
    b.extend_from_slice(&[0xC0, 9]);
    b.push(2);
    rdb_str(&mut b, b"oldset");
    b.push(2);
    rdb_str(&mut b, b"1");
    rdb_str(&mut b, b"x");
    b.push(3);
    rdb_str(&mut b, b"oldzset");
    b.push(3);
    rdb_str(&mut b, b"m1");
    b.extend_from_slice(b"\x031.5");
    rdb_str(&mut b, b"m2");
    b.push(254);
    rdb_str(&mut b, b"m3");
    b.push(255);
    b.push(4);
    rdb_str(&mut b, b"oldhash");
    b.push(1);
    rdb_str(&mut b, b"f");
    rdb_str(&mut b, b"v");
    // EXPIRETIME (seconds) before a key.
    b.push(253);
    b.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    b.push(0);
    rdb_str(&mut b, b"old-expire");
    rdb_str(&mut b, b"v");
    let file = v9_file(&b);
    let (dbs, st) = load(&file, &keep_all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(st.keys, 10);
    let el = |k: &[u8]| elements(dbs[0].find(k).unwrap_or_else(|| panic!("{k:?}")));
    let mut want: Vec<String> = ints.iter().map(|v| v.to_string()).collect();
    want.push(String::from_utf8(long.clone()).unwrap());
    want.push("tail".into());
    assert_eq!(el(b"zl-list"), want);
    assert_eq!(el(b"zl-hash"), ["f=v", "n=5"]);
    assert_eq!(el(b"zl-zset"), ["a=1.0", "b=2.5"]);
    assert_eq!(el(b"ql"), ["x", "1", "y"]);
    assert_eq!(el(b"zm"), ["foo=bar", "hello=world"]);
    assert_eq!(el(b"linked"), ["p", "9"]);
    assert_eq!(el(b"oldset"), ["1", "x"]);
    assert_eq!(el(b"oldzset"), ["m3=-inf", "m1=1.5", "m2=inf"]);
    assert_eq!(el(b"oldhash"), ["f=v"]);
    assert_eq!(dbs[0].expire_of(b"old-expire"), Some(2_000_000_000_000));
    assert_eq!(dbs[0].find(b"zm").unwrap().encoding(), Encoding::ListPack);
    assert_eq!(dbs[0].find(b"oldzset").unwrap().encoding(), Encoding::ListPack);
    // Broken ziplists: wrong prevlen, tail, count, truncated entry, duplicate hash field.
    let good = ziplist(&[Zl::S(b"f"), Zl::S(b"v")]);
    let mut bad_prev = good.clone();
    bad_prev[10 + 3] = 9;
    let mut bad_tail = good.clone();
    bad_tail[4] = 11;
    let mut bad_count = good.clone();
    bad_count[8] = 3;
    let mut bad_len = good.clone();
    bad_len[11] = 40;
    let dup = ziplist(&[Zl::S(b"f"), Zl::S(b"v"), Zl::S(b"f"), Zl::S(b"w")]);
    for zl in [bad_prev, bad_tail, bad_count, bad_len, dup] {
        let mut b = vec![13];
        rdb_str(&mut b, b"h");
        rdb_str(&mut b, &zl);
        let e = load(&v9_file(&b), &keep_all()).err().expect("must fail");
        assert!(e.msg.contains("Hash ziplist integrity check failed"), "{e}");
        assert_eq!(e.key.as_deref(), Some(&b"h"[..]));
    }
}

/// Streams in hand-built files: the older type 15 (entries added and first id derived), and the corruptions
/// Redis refuses, with its messages.
#[test]
fn stream_records_and_their_corruptions() {
    use crate::keyspace::types::listpack::Listpack;
    use crate::keyspace::types::stream::StreamId;
    // One node holding 5-0 (f=v) and 5-1 (f=w): master count 2, deleted 0, 1 field "f", terminator.
    let items = |lpcount: &[u8], count: &[u8]| -> Vec<u8> {
        let v: Vec<&[u8]> =
            vec![count, b"0", b"1", b"f", b"0", b"2", b"0", b"0", b"v", b"4", b"2", b"0", b"1", b"w", lpcount];
        Listpack::from_items(v).as_bytes().to_vec()
    };
    // ty, node key, listpack, length, groups (name, PEL ids, consumer PEL ids).
    let record = |ty: u8, key: &[u8], lp: &[u8], len: usize, pel: &[u64], cpel: &[u64]| -> Vec<u8> {
        let mut b = vec![ty];
        rdb_str(&mut b, b"s");
        rdb_len(&mut b, 1);
        rdb_str(&mut b, key);
        rdb_str(&mut b, lp);
        rdb_len(&mut b, len);
        rdb_len(&mut b, 5);
        rdb_len(&mut b, 1); // last id 5-1
        if ty == 19 {
            b.extend_from_slice(&[5, 0, 0, 0, 2]); // first 5-0, max deleted 0-0, entries added 2
        }
        rdb_len(&mut b, 1); // one group
        rdb_str(&mut b, b"g");
        b.extend_from_slice(&[5, 0]); // last delivered 5-0
        if ty == 19 {
            b.push(1); // entries read
        }
        rdb_len(&mut b, pel.len());
        for &seq in pel {
            b.extend_from_slice(&StreamId::new(5, seq).to_be_bytes());
            b.extend_from_slice(&77i64.to_le_bytes());
            b.push(3);
        }
        rdb_len(&mut b, 1);
        rdb_str(&mut b, b"c");
        b.extend_from_slice(&99i64.to_le_bytes());
        rdb_len(&mut b, cpel.len());
        for &seq in cpel {
            b.extend_from_slice(&StreamId::new(5, seq).to_be_bytes());
        }
        b
    };
    let key = StreamId::new(5, 0).to_be_bytes();
    let good = items(b"4", b"2");
    for ty in [15u8, 19] {
        let (dbs, _) = load(&v9_file(&record(ty, &key, &good, 2, &[0, 1], &[0, 1])), &keep_all()).unwrap();
        let Some(Value::Stream(st)) = dbs[0].find(b"s").and_then(|e| e.value()) else { panic!("no stream") };
        let ids: Vec<StreamId> = st.range(StreamId::MIN, StreamId::MAX, false).map(|e| e.id).collect();
        assert_eq!(ids, [StreamId::new(5, 0), StreamId::new(5, 1)]);
        assert_eq!((st.entries_added, st.first_id, st.last_id), (2, StreamId::new(5, 0), StreamId::new(5, 1)));
        let g = st.groups.get(&b"g"[..]).unwrap();
        assert!(g.check());
        assert_eq!(g.entries_read, 1);
        assert_eq!(g.pel[&StreamId::new(5, 1)].delivery_count, 3);
    }
    let sanitize = LoadOptions { sanitize: true, ..keep_all() };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (record(19, &key, &items(b"5", b"2"), 2, &[], &[]), "Stream listpack integrity check failed"),
        (record(19, &key, &items(b"4", b"3"), 2, &[], &[]), "Stream listpack integrity check failed"),
        (record(19, &key[..8], &good, 2, &[], &[]), "Stream node key entry is not the size of a stream ID"),
        (record(19, &key, Listpack::new().as_bytes(), 2, &[], &[]), "Stream listpack integrity check failed"),
        (record(19, &key, &good, 2, &[0], &[1]), "Consumer entry not found in group global PEL"),
        (record(19, &key, &good, 2, &[0, 0], &[]), "Duplicated global PEL entry"),
        (record(19, &key, &good, 2, &[0, 1], &[0]), "Stream CG PEL entry without consumer"),
        (record(19, &key, b"not a listpack", 2, &[], &[]), "Stream listpack integrity check failed"),
    ];
    for (body, want) in cases {
        let e = load(&v9_file(&body), &sanitize).err().expect("must fail");
        assert!(e.msg.contains(want), "{want}: {e}");
        let _ = load_lenient(&v9_file(&body), &keep_all());
    }
    // Without sanitizing, a pending entry nobody owns is dropped rather than kept half-made.
    let (dbs, _) = load(&v9_file(&record(19, &key, &good, 2, &[0, 1], &[0])), &keep_all()).unwrap();
    let Some(Value::Stream(st)) = dbs[0].find(b"s").and_then(|e| e.value()) else { panic!("no stream") };
    assert!(st.groups.get(&b"g"[..]).unwrap().check());
    // A stream's length without nodes.
    let mut b = vec![19u8];
    rdb_str(&mut b, b"s");
    b.extend_from_slice(&[0, 3, 0, 0, 0, 0, 0, 0, 0, 0]);
    let e = load(&v9_file(&b), &keep_all()).err().expect("must fail");
    assert!(e.msg.contains("Stream length inconsistent with rax entries"), "{e}");
}

#[test]
fn closed_stream_nodes_load_compressed_and_a_bad_one_is_found_when_read() {
    use crate::alloc::slab::SlabBytes;
    use crate::keyspace::types::stream::{IdSpec, NodeLimits, Packed, Stream, StreamId, StreamNode};
    let mut st = Stream::new();
    for i in 0..250u64 {
        let v = format!("value-{i}");
        st.append(&[b"field", v.as_bytes()], IdSpec::Explicit(StreamId::new(7, i)), 0, NodeLimits::default()).unwrap();
    }
    let all = |s: &Stream| s.range(StreamId::MIN, StreamId::MAX, false).map(|e| (e.id, e.fields())).collect::<Vec<_>>();
    let stream_of = |dbs: &[Db]| match dbs[0].find(b"s").and_then(|e| e.value()) {
        Some(Value::Stream(s)) => (**s).clone(),
        _ => panic!("no stream"),
    };
    let file = |s: &Stream| {
        let mut dbs: Vec<Db> = (0..1).map(Db::new).collect();
        add(&mut dbs[0], Entry::new_value(b"s", Value::Stream(Box::new(s.clone()))), None);
        save(&dbs, &SaveOptions::default())
    };
    // Both closed nodes go out and come back as LZF bytes, in every load mode; the tail (50 entries) is saved
    // compressed too and stays so until an XADD extends it.
    for opts in [keep_all(), LoadOptions { sanitize: true, ..keep_all() }] {
        let mut back = stream_of(&load(&file(&st), &opts).unwrap().0);
        assert_eq!(back.nodes().map(|(_, n)| n.lzf().is_some()).collect::<Vec<_>>(), [true, true, true]);
        assert_eq!(all(&back), all(&st));
        back.append(&[b"field", b"x"], IdSpec::Explicit(StreamId::new(8, 0)), 0, NodeLimits::default()).unwrap();
        assert_eq!(back.nodes().map(|(_, n)| n.lzf().is_some()).collect::<Vec<_>>(), [true, true, false]);
        assert_eq!(all(&back).len(), 251);
    }
    // The middle node replaced by LZF bytes of a well-framed listpack that is not a stream node.
    let mut junk: Vec<u8> = (0..200u8).map(|i| if i < 32 { i.wrapping_mul(7) } else { 0 }).collect();
    junk[..4].copy_from_slice(&200u32.to_le_bytes());
    (junk[4], junk[5], junk[199]) = (3, 0, 0xFF);
    let z = crate::lzf::compress(&junk, 200).unwrap();
    let mut bad = Stream::new();
    for (i, (k, n)) in st.nodes().enumerate() {
        let n = if i == 1 { StreamNode::Lzf(Packed::new(SlabBytes::from_slice(&z), 200, false)) } else { n.clone() };
        assert!(bad.insert_node(k, n));
    }
    (bad.length, bad.last_id, bad.first_id, bad.entries_added) = (st.length, st.last_id, st.first_id, st.entries_added);
    // A file load without sanitizing keeps it (Redis checks only the header then); reads skip it.
    let mut back = stream_of(&load(&file(&bad), &keep_all()).unwrap().0);
    assert_eq!(all(&back).len(), 150);
    assert_eq!(back.range(StreamId::MIN, StreamId::MAX, true).count(), 150);
    assert_eq!(back.xdel(&[StreamId::new(7, 150)]), 0);
    back.trim(&crate::keyspace::types::stream::Trim {
        strategy: crate::keyspace::types::stream::TrimStrategy::MaxLen(0),
        approx: false,
        limit: 0,
    });
    // With sanitizing, and in RESTORE whatever the setting, it is refused.
    let e = load(&file(&bad), &LoadOptions { sanitize: true, ..keep_all() }).err().expect("must fail");
    assert!(e.msg.contains("Stream listpack integrity check failed"), "{e}");
    let payload = dump_payload(&Entry::new_value(b"s", Value::Stream(Box::new(bad))));
    for sanitize in [false, true] {
        assert!(restore_payload(b"s", &payload, &Thresholds::default(), sanitize).is_err());
    }
}

#[test]
fn unsupported_types_and_opcodes() {
    for (ty, want) in [(7, "of an unknown module type"), (20, "SET_LISTPACK"), (8, "Invalid object type: 8")] {
        let mut b = vec![ty];
        rdb_str(&mut b, b"st");
        rdb_str(&mut b, b"whatever");
        let e = load(&v9_file(&b), &keep_all()).err().expect("must fail");
        assert!(e.msg.contains(want), "{ty}: {e}");
    }
    // FUNCTION2 payloads are collected; MODULE_AUX is skipped with a count.
    let mut b = vec![245];
    rdb_str(&mut b, b"#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    b.push(247);
    b.extend_from_slice(&[0x81]);
    b.extend_from_slice(&0x1234u64.to_be_bytes());
    b.extend_from_slice(&[2, 1]); // when_opcode UINT, when
    b.extend_from_slice(&[2, 5, 5]); // UINT 5, STRING "..."
    rdb_str(&mut b, b"abc");
    b.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // DOUBLE, EOF
    b.push(0);
    rdb_str(&mut b, b"after");
    rdb_str(&mut b, b"ok");
    let (dbs, st) = load(&v9_file(&b), &keep_all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((st.functions.len(), st.module_aux_skipped, st.keys), (1, 1, 1));
    assert_eq!(st.functions[0], b"#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    assert!(dbs[0].find(b"after").is_some());
    // Empty values are skipped, as Redis does.
    let mut b = vec![1];
    rdb_str(&mut b, b"empty-list");
    b.push(0);
    let (_, st) = load(&v9_file(&b), &keep_all()).unwrap();
    assert_eq!((st.keys, st.empty_keys_skipped), (0, 1));
}

#[test]
fn sanitize_catches_listpack_duplicates() {
    let th = Thresholds::default();
    // A hash listpack with field "a" twice (as a DUMP payload).
    let lp = crate::keyspace::types::listpack::Listpack::from_items([&b"a"[..], b"1", b"a", b"2"]);
    let mut p = vec![16u8];
    let mut s = Vec::new();
    rdb_str(&mut s, lp.as_bytes());
    p.extend_from_slice(&s);
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crate::persist::crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    assert!(restore_payload(b"k", &p, &th, false).is_ok());
    assert_eq!(restore_payload(b"k", &p, &th, true).unwrap_err(), "Bad data format");
    // Converting it to a hash table finds the duplicate without sanitizing.
    let tiny = Thresholds { hash_max_listpack_entries: 1, ..th };
    assert_eq!(restore_payload(b"k", &p, &tiny, false).unwrap_err(), "Bad data format");
}

// ---------------------------------------------------------------------------------------------------------------
// Property test: random datasets round-trip.

#[derive(Debug, Clone)]
enum Val {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    ZSet(Vec<(Vec<u8>, f64)>),
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-1000i64..1000).prop_map(|n| n.to_string().into_bytes()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..30),
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b')], 0..200),
    ]
}

fn val_strategy() -> impl Strategy<Value = Val> {
    prop_oneof![
        bytes_strategy().prop_map(Val::Str),
        proptest::collection::vec(bytes_strategy(), 1..300).prop_map(Val::List),
        proptest::collection::vec(bytes_strategy(), 1..40).prop_map(Val::Set),
        proptest::collection::vec((bytes_strategy(), bytes_strategy()), 1..40).prop_map(Val::Hash),
        proptest::collection::vec(
            (bytes_strategy(), prop_oneof![any::<i32>().prop_map(|x| x as f64), -1e6f64..1e6, Just(f64::INFINITY)]),
            1..40
        )
        .prop_map(Val::ZSet),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_datasets_round_trip(
        keys in proptest::collection::vec((0usize..3, bytes_strategy(), val_strategy(), proptest::option::of(0i64..3_000)), 1..25),
        small in any::<bool>(),
        compression in any::<bool>(),
    ) {
        let th = if small {
            Thresholds { list_max_listpack_size: 4, hash_max_listpack_entries: 3, hash_max_listpack_value: 8, set_max_intset_entries: 4, zset_max_listpack_entries: 3, zset_max_listpack_value: 8, ..Thresholds::default() }
        } else {
            Thresholds::default()
        };
        let mut dbs: Vec<Db> = (0..3).map(Db::new).collect();
        for (db, key, v, exp) in keys {
            let e = match v {
                Val::Str(s) => Entry::new_string(&key, &s),
                Val::List(items) => {
                    let mut l = List::new();
                    for i in &items { l.push(i, false, &th); }
                    Entry::new_value(&key, Value::List(l))
                }
                Val::Set(items) => {
                    let mut s = Set::new_for(&items[0]);
                    for i in &items { s.add(i, &th); }
                    Entry::new_value(&key, Value::Set(s))
                }
                Val::Hash(items) => {
                    let mut h = Hash::new();
                    for (f, v) in &items { h.set(f, v, &th); }
                    Entry::new_value(&key, Value::Hash(h))
                }
                Val::ZSet(items) => {
                    let mut z = ZSet::new(items[0].0.len(), &th);
                    for (m, s) in &items { z.add(*s, m, ZAddFlags::default(), &th); }
                    Entry::new_value(&key, Value::ZSet(z))
                }
            };
            add(&mut dbs[db], e, exp.map(|t| t + 1));
        }
        let bytes = save(&dbs, &SaveOptions { compression, ..SaveOptions::default() });
        let mut back: Vec<Db> = (0..3).map(Db::new).collect();
        let lo = LoadOptions { thresholds: th, drop_expired: false, ..LoadOptions::default() };
        let st = read_rdb(&mut &bytes[..], &mut back, &lo).unwrap();
        prop_assert_eq!(st.bytes_read as usize, bytes.len());
        prop_assert_eq!(describe(&dbs), describe(&back));
        // DUMP/RESTORE of each value gives the same value.
        for db in &dbs {
            for e in db.iter() {
                let r = restore_payload(e.key(), &dump_payload(e), &th, true).unwrap();
                prop_assert_eq!(elements(&r), elements(e));
                prop_assert_eq!(r.encoding(), e.encoding());
            }
        }
    }
}

/// Throughput of write_rdb/read_rdb with 1M string keys:
/// `cargo test --release --lib persist::rdb::tests::bench_million_strings -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_million_strings() {
    // First (in a fresh process heap), optionally a file made elsewhere (e.g. redis-server's dump.rdb after DEBUG POPULATE 1000000).
    if let Some(other) = std::env::var_os("BENCH_RDB") {
        let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
        let t = std::time::Instant::now();
        let st = load_file(std::path::Path::new(&other), &mut dbs, &LoadOptions::default()).unwrap();
        println!("{:?}: {} keys loaded in {:.3}s", other, st.keys, t.elapsed().as_secs_f64());
        let path_other = std::env::temp_dir().join(format!("ferredis-bench-o-{}.rdb", std::process::id()));
        let t = std::time::Instant::now();
        let size = save_file(&path_other, &dbs, 0, &SaveOptions::default()).unwrap();
        println!("  written back: {size} bytes in {:.3}s", t.elapsed().as_secs_f64());
        let _ = std::fs::remove_file(&path_other);
    }
    let n = 1_000_000;
    let mut db = Db::new(0);
    for i in 0..n {
        db.insert(Entry::new_string(format!("key:{i}").as_bytes(), format!("value:{i}").as_bytes()));
    }
    let dbs = vec![db];
    let path = std::env::temp_dir().join(format!("ferredis-bench-{}.rdb", std::process::id()));
    let t = std::time::Instant::now();
    let size = save_file(&path, &dbs, 0, &SaveOptions::default()).unwrap();
    let w = t.elapsed();
    let mut back: Vec<Db> = (0..16).map(Db::new).collect();
    let t = std::time::Instant::now();
    let st = load_file(&path, &mut back, &LoadOptions::default()).unwrap();
    let r = t.elapsed();
    let _ = std::fs::remove_file(&path);
    assert_eq!(st.keys, n as u64);
    println!(
        "{n} keys, {size} bytes: write {:.3}s ({:.1} MB/s), load {:.3}s ({:.1} MB/s)",
        w.as_secs_f64(),
        size as f64 / w.as_secs_f64() / 1e6,
        r.as_secs_f64(),
        size as f64 / r.as_secs_f64() / 1e6
    );
}

/// Appends a valid DUMP footer (version 10, CRC) so the body itself gets parsed.
fn with_footer(mut body: Vec<u8>) -> Vec<u8> {
    body.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crate::persist::crc64::crc64(0, &body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

proptest! {
    // RDB_FUZZ_CASES=<n> runs more cases.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("RDB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400)
    ))]
    /// RESTORE bodies are client input: random bytes and mutated real payloads must give a value or an error,
    /// never a panic, with or without deep sanitization; whatever loads must survive a DUMP.
    #[test]
    fn restore_never_panics(
        ty in prop_oneof![0u8..=19, any::<u8>()],
        body in proptest::collection::vec(any::<u8>(), 0..200),
        pick in 0usize..64,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        sanitize in any::<bool>(),
    ) {
        let th = Thresholds { hash_max_listpack_entries: 4, zset_max_listpack_entries: 4, set_max_intset_entries: 4, ..Thresholds::default() };
        let mut p = vec![ty];
        p.extend_from_slice(&body);
        if let Ok(e) = restore_payload(b"k", &with_footer(p), &th, sanitize) {
            let _ = dump_payload(&e);
        }
        // A real payload with a few bytes changed.
        let dbs = small_dataset();
        let entries: Vec<&Entry> = dbs[0].iter().collect();
        let e = entries[pick % entries.len()];
        let mut real = dump_payload(e);
        let body_len = real.len() - 10;
        real.truncate(body_len);
        for (at, v) in flips {
            let i = at % body_len;
            real[i] = v;
        }
        if let Ok(e) = restore_payload(b"k", &with_footer(real), &th, sanitize) {
            let _ = dump_payload(&e);
            let _ = elements(&e);
        }
    }
}

/// A few keys of every type, small enough for per-case fuzzing.
fn small_dataset() -> Vec<Db> {
    thread_local! {
        /// The dataset's RDB bytes, made by this test thread's first call and reused by the rest (test-only).
        static DATA: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
    }
    let bytes = DATA.with(|d| {
        d.borrow_mut()
            .get_or_insert_with(|| {
                let th = Thresholds::default();
                let mut db = Db::new(0);
                db.insert(Entry::new_string(b"s", b"some string value that compresses compresses"));
                let mut l = List::new();
                for i in 0..30 {
                    l.push(format!("v{i}").as_bytes(), false, &th);
                }
                db.insert(Entry::new_value(b"l", Value::List(l)));
                let mut h = Hash::new();
                for i in 0..6 {
                    h.set(format!("f{i}").as_bytes(), b"x", &th);
                }
                db.insert(Entry::new_value(b"h", Value::Hash(h)));
                let mut z = ZSet::new(1, &th);
                for i in 0..6 {
                    z.add(i as f64 * 1.5, format!("m{i}").as_bytes(), ZAddFlags::default(), &th);
                }
                db.insert(Entry::new_value(b"z", Value::ZSet(z)));
                let mut zs = ZSet::new_skiplist();
                for i in 0..6 {
                    zs.add(-(i as f64), format!("n{i}").as_bytes(), ZAddFlags::default(), &th);
                }
                db.insert(Entry::new_value(b"zs", Value::ZSet(zs)));
                let mut s = Set::new_intset();
                for i in 0..6 {
                    s.add(format!("{}", i * 1000).as_bytes(), &th);
                }
                db.insert(Entry::new_value(b"i", Value::Set(s)));
                let mut s = Set::new_hashtable();
                for i in 0..6 {
                    s.add(format!("w{i}").as_bytes(), &th);
                }
                db.insert(Entry::new_value(b"sh", Value::Set(s)));
                db.insert(Entry::new_value(b"x", stream_value(8)));
                save(std::slice::from_ref(&db), &SaveOptions::default())
            })
            .clone()
    });
    let (dbs, _) = load(&bytes, &keep_all()).expect("own file loads");
    dbs
}

/// FUNCTION DUMP payloads: the bytes redis-server 7.0.15 produced for two libraries (LZF-compressed code), read
/// back and re-encoded identically; old-format FUNCTION records become payloads; damaged payloads are refused.
#[test]
fn function_payloads() {
    use super::{function_dump_payload, read_function_payload};
    let a = b"#!lua name=a\nredis.register_function('f', function() return 1 end)".to_vec();
    let p = function_dump_payload(std::slice::from_ref(&a), false);
    assert_eq!(p[0], 245);
    assert_eq!(read_function_payload(&p).unwrap(), vec![a.clone()]);
    let two = vec![a.clone(), b"#!lua name=b\nredis.register_function('g', function() return 2 end)".to_vec()];
    let pc = function_dump_payload(&two, true);
    assert_eq!(read_function_payload(&pc).unwrap(), two);
    assert_eq!(read_function_payload(&function_dump_payload(&[], true)).unwrap(), Vec::<Vec<u8>>::new());
    // redis-server 7.0.15's FUNCTION DUMP of these two libraries (the second one LZF-compressed).
    let redis_hex = "f5404223216c7561206e616d653d610a72656469732e72656769737465725f66756e6374696f6e282766272c2066756e\
        6374696f6e28292072657475726e203120656e6429f5c3407640811f23216c7561206e616d653d620a72656469732e72656769737465\
        725f66756e630474696f6e7bc008005f60270d2767272c2063616c6c6261636b3dc01b1f28292072657475726e203220656e642c2066\
        6c6167733d7b276e6f2d777269740c6573277d2c206465736372697040552047036565277d0a00668af743eb69359d";
    let redis: Vec<u8> =
        (0..redis_hex.len() / 2).map(|i| u8::from_str_radix(&redis_hex[2 * i..2 * i + 2], 16).unwrap()).collect();
    let libs = vec![
        a.clone(),
        b"#!lua name=b\nredis.register_function{function_name='g', callback=function() return 2 end, flags={'no-writes'}, description='gee'}".to_vec(),
    ];
    assert_eq!(read_function_payload(&redis).unwrap(), libs);
    assert_eq!(function_dump_payload(&libs, true), redis);
    let mut bad = pc.clone();
    bad[3] ^= 1;
    assert_eq!(read_function_payload(&bad).unwrap_err(), "DUMP payload version or checksum are wrong");
    assert!(read_function_payload(b"short").is_err());
    // A key record instead of a function.
    let mut b = vec![0u8];
    rdb_str(&mut b, b"k");
    b.extend_from_slice(&10u16.to_le_bytes());
    let crc = crate::persist::crc64::crc64(0, &b);
    b.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(read_function_payload(&b).unwrap_err(), "given type is not a function");
    // 7.0 release-candidate records: name, engine, has-description, description, code.
    let mut b = vec![246u8];
    rdb_str(&mut b, b"lib");
    rdb_str(&mut b, b"LUA");
    b.push(1);
    rdb_str(&mut b, b"desc");
    rdb_str(&mut b, b"return 1");
    b.extend_from_slice(&10u16.to_le_bytes());
    let crc = crate::persist::crc64::crc64(0, &b);
    b.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(read_function_payload(&b).unwrap(), vec![b"#!LUA name=lib\nreturn 1".to_vec()]);
}
