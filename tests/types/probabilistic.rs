//! The probabilistic types against Redis 7.0.15 with RedisBloom 2.8.2 loaded (`redisbloom.so` from the
//! redis-stack wheel, `tests/common/modules.rs`): Bloom filters, Count-Min sketches, Top-K and t-digests, reply
//! bytes compared over scripted edge cases (errors, arity, options), generated workloads (filters that scale, false
//! positives included; skewed counts; distributions for t-digest), RESP3, SCANDUMP/LOADCHUNK and DUMP/RESTORE moved
//! between the two servers both ways, damaged chunks, MEMORY USAGE, and what the rest of the server sees (TYPE,
//! SCAN TYPE, COPY/RENAME, expiry, MULTI, Lua). Skipped (with `skipped: ...`) when the oracle is missing.

use crate::common::modules::module_pair;
use crate::common::{Pair, Resp, ScriptOpts};

fn pair() -> Option<Pair> {
    module_pair("redisbloom", &[])
}

fn assert_no_diffs(diffs: Vec<String>) {
    assert!(diffs.is_empty(), "{} difference(s):\n{}", diffs.len(), diffs.join("\n"));
}

/// A deterministic generator for the workloads (xorshift64*).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const BLOOM_EDGES: &str = r#"
bf.add
BF.ADD k
bf.add k a b
bf.madd k
bf.exists k
bf.mexists k
bf.reserve k
bf.reserve k 0.01
bf.reserve k 0.01 100 a b c d
bf.reserve k x 100
bf.reserve k 0 100
bf.reserve k 1 100
bf.reserve k -0.5 100
bf.reserve k inf 100
bf.reserve k 0.01 x
bf.reserve k 0.01 0
bf.reserve k 0.01 -3
bf.reserve k 0.01 100 EXPANSION
bf.reserve k 0.01 100 EXPANSION x
bf.reserve k 0.01 100 EXPANSION 0
bf.reserve k 0.01 100 NONSCALING EXPANSION 2
bf.reserve k 0.01 100 EXPANSION 2 NONSCALING
bf.reserve k 0.01 100 foo
bf.reserve k 0.001 1000 expansion 4
bf.reserve k 0.01 100
bf.info k
bf.info k capacity
bf.info k SIZE
bf.info k filters
bf.info k items
bf.info k expansion
bf.info k nope
bf.info k a b
bf.info nokey
bf.card nokey
bf.card k
bf.debug k
bf.debug nokey
bf.exists nokey a
bf.mexists nokey a b
set s v
bf.add s a
bf.madd s a b
bf.exists s a
bf.mexists s a b
bf.card s
bf.info s
bf.reserve s 0.01 100
bf.insert s items a
bf.scandump s 0
bf.loadchunk s 1 x
bf.insert
bf.insert k
bf.insert k items
bf.insert k ITEMS a b c
bf.insert k capacity
bf.insert k capacity x items a
bf.insert k error x items a
bf.insert k expansion x items a
bf.insert k foo items a
bf.insert k error 2 items a
bf.insert k capacity 0 items a
bf.insert k expansion 0 items a
bf.insert new nocreate items a
bf.insert new2 capacity 5 error 0.1 expansion 3 items a b c d e f g h i j k l
bf.info new2
bf.debug new2
bf.insert new3 nonscaling capacity 3 items a b c d e f
bf.info new3
bf.debug new3
bf.add new3 zzz
bf.insert new4 nonscaling expansion 2 items a
bf.info new4
type k
type new2
object encoding k
bf.scandump k
bf.scandump k x
bf.scandump k -1
bf.scandump k 99999999
bf.scandump nokey 0
bf.loadchunk k
bf.loadchunk k x y
bf.loadchunk nokey 2 abc
bf.loadchunk nokey 1 short
bf.loadchunk k 0 abc
bf.loadchunk k -5 abc
bf.loadchunk k 3 abcd
bf.loadchunk k 99999 abcd
bf.exists k a
"#;

#[test]
fn bloom_edges_match_redisbloom() {
    let Some(mut p) = pair() else { return };
    assert_no_diffs(p.script("bloom edges", BLOOM_EDGES));
    assert_no_diffs(p.script_with("bloom edges", BLOOM_EDGES, &ScriptOpts { resp3: true, ..Default::default() }));
}

const CMS_EDGES: &str = r#"
cms.initbydim
cms.initbydim k 10
CMS.INITBYDIM k 10 5 6
cms.initbydim k x 5
cms.initbydim k 0 5
cms.initbydim k 10 x
cms.initbydim k 10 -1
cms.initbydim k 9223372036854775807 9223372036854775807
cms.initbyprob p x 0.1
cms.initbyprob p 0 0.1
cms.initbyprob p 1 0.1
cms.initbyprob p 0.01 x
cms.initbyprob p 0.01 1
cms.initbyprob p 0.001 0.01
cms.info p
cms.initbyprob p2 0.3 0.9
cms.info p2
cms.initbyprob p3 0.0001 0.000001
cms.info p3
cms.initbydim k 10 5
cms.initbydim k 10 5
cms.initbyprob k 0.1 0.1
cms.info k
cms.info nokey
cms.info k extra
cms.incrby k
cms.incrby k a
cms.incrby k a 1 b
cms.incrby nokey a 1
cms.incrby k a x
cms.incrby k a -1
cms.incrby k a 1 b x
cms.incrby k a 1 b 2 c 3
cms.incrby k a 4294967290
cms.incrby k a 10
cms.incrby k a 0
cms.query k a b c zz
cms.query k
cms.query nokey a
cms.info k
set s v
cms.incrby s a 1
cms.query s a
cms.info s
cms.initbydim s 10 5
cms.initbydim m1 10 5
cms.initbydim m2 10 5
cms.initbydim m3 20 5
cms.incrby m1 a 3 b 5
cms.incrby m2 a 7 c 1
cms.merge
cms.merge m1 1
cms.merge nokey 1 m1
cms.merge s 1 m1
cms.merge m1 x m2
cms.merge m1 2 m2
cms.merge m1 1 m2 m1
cms.merge m1 1 m3
cms.merge m1 1 nokey
cms.merge m1 1 s
cms.merge m1 2 m1 m2 weights 1
cms.merge m1 2 m1 m2 weights 1 x
cms.merge m1 2 m1 m2 WEIGHTS 2 3
cms.query m1 a b c
cms.info m1
cms.merge m2 2 m1 m2 weights -1 1
cms.merge m2 2 m1 m2 weights 1 -100
cms.merge m2 2 m1 m2 weights 4611686018427387904 4611686018427387904
cms.merge m2 1 k
cms.merge m2 2 m2 m2
cms.query m2 a b c
cms.info m2
type m1
object encoding m1
"#;

#[test]
fn cms_edges_match_redisbloom() {
    let Some(mut p) = pair() else { return };
    assert_no_diffs(p.script("cms edges", CMS_EDGES));
    assert_no_diffs(p.script_with("cms edges", CMS_EDGES, &ScriptOpts { resp3: true, ..Default::default() }));
}

const TOPK_EDGES: &str = r#"
topk.reserve
topk.reserve k
topk.reserve k 3 8
topk.reserve k x
topk.reserve k 0
topk.reserve k 3 0 7 0.9
topk.reserve k 3 x 7 0.9
topk.reserve k 3 8 0 0.9
topk.reserve k 3 8 7 0
topk.reserve k 3 8 7 1.5
topk.reserve k 3 8 7 x
topk.reserve k 3 2000 5 0.9
topk.reserve k 3
topk.info k
topk.reserve d 2
topk.info d
topk.add
topk.add k
topk.add nokey a
topk.add k a b c a a b d e a
topk.add k "x\x00y" "x\x00y" "x\x00y" "x\x00y"
topk.list k
topk.list k withcount
topk.list k WITH
topk.list k ""
topk.list k withcountx
topk.list k a b
topk.query k a b c d zz
topk.count k a b c d zz
topk.incrby k a
topk.incrby k a 1 b
topk.incrby k a 5 b 2
topk.incrby k a 100001
topk.incrby k a -1
topk.list k withcount
topk.count k a b
topk.query nokey a
topk.count nokey a
topk.list nokey
topk.info nokey
set s v
topk.add s a
topk.query s a
topk.list s
topk.info s
topk.reserve s 3
type k
"#;

#[test]
fn topk_edges_match_redisbloom() {
    let Some(mut p) = pair() else { return };
    assert_no_diffs(p.script("topk edges", TOPK_EDGES));
    assert_no_diffs(p.script_with("topk edges", TOPK_EDGES, &ScriptOpts { resp3: true, ..Default::default() }));
}

/// Filters that scale several times, their false positives and their chunks: every reply compared.
#[test]
fn bloom_workload_matches_redisbloom() {
    let Some(mut p) = pair() else { return };
    let mut g = Gen(0x9e3779b97f4a7c15);
    let mut lines: Vec<Vec<Vec<u8>>> = Vec::new();
    let cmd = |v: &[&[u8]]| v.iter().map(|a| a.to_vec()).collect::<Vec<Vec<u8>>>();
    lines.push(cmd(&[b"BF.RESERVE", b"small", b"0.1", b"20", b"EXPANSION", b"3"]));
    lines.push(cmd(&[b"BF.RESERVE", b"tight", b"0.0001", b"50"]));
    lines.push(cmd(&[b"BF.RESERVE", b"flat", b"0.05", b"300", b"NONSCALING"]));
    for round in 0..40 {
        for key in [&b"small"[..], b"tight", b"flat", b"auto"] {
            let mut add: Vec<Vec<u8>> = vec![b"BF.MADD".to_vec(), key.to_vec()];
            let mut probe: Vec<Vec<u8>> = vec![b"BF.MEXISTS".to_vec(), key.to_vec()];
            for _ in 0..10 {
                add.push(format!("item:{}", g.below(2000)).into_bytes());
                // Items never added: every 1 here is a false positive, which must be the same one.
                probe.push(format!("absent:{}:{}", round, g.next()).into_bytes());
                probe.push(format!("item:{}", g.below(2000)).into_bytes());
            }
            lines.push(add);
            lines.push(probe);
        }
        lines.push(cmd(&[b"BF.INFO", b"small"]));
        lines.push(cmd(&[b"BF.DEBUG", b"tight"]));
        lines.push(cmd(&[b"BF.CARD", b"flat"]));
    }
    for key in [&b"small"[..], b"tight", b"flat", b"auto"] {
        lines.push(cmd(&[b"BF.SCANDUMP", key, b"0"]));
        lines.push(cmd(&[b"BF.SCANDUMP", key, b"1"]));
        lines.push(cmd(&[b"MEMORY", b"USAGE", key]));
        lines.push(cmd(&[b"DUMP", key]));
    }
    // MEMORY USAGE differs by the key's own overhead; it is compared below within 5%.
    let compared: Vec<bool> = lines.iter().map(|l| !l[0].eq_ignore_ascii_case(b"MEMORY")).collect();
    assert_no_diffs(p.script_args("bloom workload", &lines, &compared));
    let (mut f, mut r) = p.conns();
    for key in ["small", "tight", "flat", "auto"] {
        let a = Resp::parse(&f.cmd(&["MEMORY", "USAGE", key])).unwrap().as_int().unwrap();
        let b = Resp::parse(&r.cmd(&["MEMORY", "USAGE", key])).unwrap().as_int().unwrap();
        assert!((a - b).abs() * 20 <= b, "MEMORY USAGE {key}: ferredis {a}, redis {b}");
    }
}

/// Skewed counts into sketches of several shapes, then a weighted merge.
#[test]
fn cms_workload_matches_redisbloom() {
    let Some(mut p) = pair() else { return };
    let mut g = Gen(42);
    let mut lines: Vec<Vec<Vec<u8>>> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<Vec<u8>>>();
    lines.push(s(&["CMS.INITBYDIM", "a", "50", "4"]));
    lines.push(s(&["CMS.INITBYDIM", "b", "50", "4"]));
    lines.push(s(&["CMS.INITBYPROB", "c", "0.01", "0.001"]));
    for _ in 0..60 {
        for key in ["a", "b", "c"] {
            let mut incr = s(&["CMS.INCRBY", key]);
            let mut query = s(&["CMS.QUERY", key]);
            for _ in 0..8 {
                // Zipf-like: small ids far more often.
                let spread = 1 + g.below(300);
                let id = g.below(spread);
                incr.push(format!("e{id}").into_bytes());
                incr.push(format!("{}", 1 + g.below(5)).into_bytes());
                query.push(format!("e{}", g.below(400)).into_bytes());
            }
            lines.push(incr);
            lines.push(query);
        }
    }
    lines.push(s(&["CMS.MERGE", "a", "2", "a", "b", "WEIGHTS", "3", "2"]));
    lines.push(s(&["CMS.QUERY", "a", "e0", "e1", "e2", "e299"]));
    lines.push(s(&["CMS.INFO", "a"]));
    lines.push(s(&["DUMP", "a"]));
    lines.push(s(&["DUMP", "c"]));
    assert_no_diffs(p.script_args("cms workload", &lines, &[]));
}

/// SCANDUMP chunks and DUMP payloads move between the servers both ways; damaged chunks are refused with
/// RedisBloom's error and leave the key as it was.
#[test]
fn chunks_and_payloads_move_both_ways() {
    let Some(p) = pair() else { return };
    let (mut f, mut r) = p.conns();
    for c in [&mut f, &mut r] {
        c.cmd(&["FLUSHALL"]);
        c.cmd(&["BF.RESERVE", "src", "0.01", "500", "EXPANSION", "2"]);
        for i in 0..3000 {
            if i % 100 == 0 {
                let items: Vec<String> = (i..i + 100).map(|j| format!("m{j}")).collect();
                let mut a = vec!["BF.MADD".to_string(), "src".to_string()];
                a.extend(items);
                c.cmd(&a);
            }
        }
        c.cmd(&["CMS.INITBYDIM", "cms", "100", "5"]);
        c.cmd(&["CMS.INCRBY", "cms", "x", "7", "y", "9"]);
        // A cuckoo filter that grew to several sub-filters (one chunk each, after the header).
        c.cmd(&["CF.RESERVE", "cf", "64", "BUCKETSIZE", "2", "EXPANSION", "2"]);
        for i in 0..6 {
            let mut a = vec!["CF.INSERT".to_string(), "cf".to_string(), "ITEMS".to_string()];
            a.extend((0..60).map(|j| format!("c{}", i * 60 + j)));
            c.cmd(&a);
        }
        c.cmd(&["CF.DEL", "cf", "c7"]);
    }
    // CF.SCANDUMP from each side, CF.LOADCHUNK into the other: the copies answer, count and dump alike.
    for (from, to) in [(0usize, 1usize), (1, 0)] {
        let c = if from == 0 { &mut f } else { &mut r };
        let chunks = scandump(c, "CF.SCANDUMP", "cf");
        assert!(chunks.len() > 2, "a header and several sub-filters");
        let c = if to == 0 { &mut f } else { &mut r };
        c.cmd(&["DEL", "cfcopy"]);
        for (it, data) in &chunks {
            assert_eq!(c.cmd(&[b"CF.LOADCHUNK".as_slice(), b"cfcopy", it.to_string().as_bytes(), data]), b"+OK\r\n");
        }
    }
    let probe: Vec<String> =
        ["CF.MEXISTS", "cfcopy"].iter().map(|s| s.to_string()).chain((0..500).map(|i| format!("c{i}"))).collect();
    assert_eq!(f.cmd(&probe), r.cmd(&probe));
    for q in [&["CF.INFO", "cfcopy"][..], &["CF.COUNT", "cfcopy", "c1"], &["DUMP", "cfcopy"], &["DUMP", "cf"]] {
        assert_eq!(f.cmd(q), r.cmd(q), "{q:?}");
    }
    assert_eq!(f.cmd(&["DUMP", "cfcopy"]), f.cmd(&["DUMP", "cf"]));
    // A damaged CF header or chunk: the same answer on both sides.
    let cf_chunks = scandump(&mut r, "CF.SCANDUMP", "cf");
    let cf_hdr = cf_chunks[0].1.clone();
    for cut in [0, 1, cf_hdr.len() / 2, cf_hdr.len() - 1] {
        let bad = &cf_hdr[..cut];
        let a = f.cmd(&[b"CF.LOADCHUNK".as_slice(), b"cffresh", b"1", bad]);
        assert_eq!(a, r.cmd(&[b"CF.LOADCHUNK".as_slice(), b"cffresh", b"1", bad]), "CF header cut at {cut}");
        assert_eq!(f.cmd(&["EXISTS", "cffresh"]), r.cmd(&["EXISTS", "cffresh"]));
    }
    // SCANDUMP from each side, LOADCHUNK into the other.
    for (from, to) in [(0usize, 1usize), (1, 0)] {
        let mut chunks = Vec::new();
        let mut iter = 0i64;
        loop {
            let c = if from == 0 { &mut f } else { &mut r };
            let reply = Resp::parse(&c.cmd(&["BF.SCANDUMP".as_bytes(), b"src", iter.to_string().as_bytes()])).unwrap();
            let items = reply.items().unwrap().clone();
            let next = items[0].as_int().unwrap();
            if next == 0 {
                break;
            }
            chunks.push((next, items[1].as_bytes().unwrap().to_vec()));
            iter = next;
        }
        let c = if to == 0 { &mut f } else { &mut r };
        c.cmd(&["DEL", "copy"]);
        for (it, data) in &chunks {
            assert_eq!(c.cmd(&[b"BF.LOADCHUNK".as_slice(), b"copy", it.to_string().as_bytes(), data]), b"+OK\r\n");
        }
    }
    let probe: Vec<String> =
        ["BF.MEXISTS", "copy"].iter().map(|s| s.to_string()).chain((0..4000).map(|i| format!("m{i}"))).collect();
    let want = r.cmd(&probe);
    assert_eq!(f.cmd(&probe), want);
    assert_eq!(f.cmd(&["BF.INFO", "copy"]), r.cmd(&["BF.INFO", "copy"]));
    // Damaged headers and chunks: the same error on both, the key unchanged (still absent, or as it was).
    let hdr =
        Resp::parse(&r.cmd(&["BF.SCANDUMP", "src", "0"])).unwrap().items().unwrap()[1].as_bytes().unwrap().to_vec();
    for cut in [0, 1, 19, 20, 21, hdr.len() - 1] {
        let bad = &hdr[..cut.min(hdr.len())];
        let a = f.cmd(&[b"BF.LOADCHUNK".as_slice(), b"fresh", b"1", bad]);
        assert_eq!(a, r.cmd(&[b"BF.LOADCHUNK".as_slice(), b"fresh", b"1", bad]), "header cut at {cut}");
        assert_eq!(f.cmd(&["EXISTS", "fresh"]), b":0\r\n");
    }
    for (i, flip) in [(20usize, 0xffu8), (44, 0x80), (52, 0x01), (16, 0x04)] {
        let mut bad = hdr.clone();
        bad[i] ^= flip;
        let a = f.cmd(&[b"BF.LOADCHUNK".as_slice(), b"flip", b"1", &bad]);
        let b = r.cmd(&[b"BF.LOADCHUNK".as_slice(), b"flip", b"1", &bad]);
        assert_eq!(a, b, "header byte {i} ^ {flip:#x}");
        f.cmd(&["DEL", "flip"]);
        r.cmd(&["DEL", "flip"]);
    }
    let before = f.cmd(&["BF.SCANDUMP", "copy", "1"]);
    for args in [["copy", "1", "xx"], ["copy", "0", "x"], ["copy", "999999999", "abc"]] {
        let a = f.cmd(&[&["BF.LOADCHUNK"][..], &args[..]].concat());
        assert_eq!(a, r.cmd(&[&["BF.LOADCHUNK"][..], &args[..]].concat()), "{args:?}");
    }
    assert_eq!(f.cmd(&["BF.SCANDUMP", "copy", "1"]), before);
    // DUMP payloads are the same bytes, and each side restores the other's.
    for key in ["src", "cms", "cf"] {
        let df = f.cmd(&["DUMP", key]);
        let dr = r.cmd(&["DUMP", key]);
        assert_eq!(df, dr, "DUMP {key}");
        let payload = Resp::parse(&dr).unwrap().as_bytes().unwrap().to_vec();
        assert_eq!(f.cmd(&[b"RESTORE".as_slice(), b"restored", b"0", &payload, b"REPLACE"]), b"+OK\r\n");
        assert_eq!(r.cmd(&[b"RESTORE".as_slice(), b"restored", b"0", &payload, b"REPLACE"]), b"+OK\r\n");
        assert_eq!(f.cmd(&["DUMP", "restored"]), r.cmd(&["DUMP", "restored"]));
        // A payload cut short is refused (both say so) and creates nothing.
        let cut = &payload[..payload.len() - 12];
        let a = f.cmd(&[b"RESTORE".as_slice(), b"cut", b"0", cut]);
        assert!(a.starts_with(b"-"), "{}", String::from_utf8_lossy(&a));
        assert_eq!(f.cmd(&["EXISTS", "cut"]), b":0\r\n");
    }
}

/// Every `(iterator, chunk)` a SCANDUMP command hands out for `key`, from iterator 0 until it answers 0.
fn scandump(c: &mut crate::common::Conn, cmd: &str, key: &str) -> Vec<(i64, Vec<u8>)> {
    let mut chunks = Vec::new();
    let mut iter = 0i64;
    while chunks.len() < 10_000 {
        let reply = Resp::parse(&c.cmd(&[cmd, key, &iter.to_string()])).unwrap();
        let items = reply.items().unwrap().clone();
        let next = items[0].as_int().unwrap();
        if next == 0 {
            break;
        }
        chunks.push((next, items[1].as_bytes().unwrap().to_vec()));
        iter = next;
    }
    chunks
}

/// The rest of the server sees the types as Redis does with the module loaded.
const KEYSPACE: &str = r#"
bf.add b x
cms.initbydim c 10 2
type b
type c
scan 0 type MBbloom--
scan 0 type mbbloom--
scan 0 type CMSk-TYPE
copy b b2
copy b b3 REPLACE
bf.add b2 q
copy b b2
bf.exists b2 x
bf.add b2 y
bf.exists b y
rename c c2
cms.info c2
expire b 100
ttl b
persist b
object encoding b
multi
bf.add b z
cms.incrby c2 q 1
bf.mexists b x z w
exec
eval "return redis.call('bf.add', KEYS[1], 'lua')" 1 b
eval "return redis.call('bf.exists', KEYS[1], 'lua')" 1 b
eval "return redis.call('cms.query', KEYS[1], 'q')" 1 c2
del b2
exists b2
tdigest.create t
tdigest.add t 1 2 3
type t
scan 0 type TDIS-TYPE
copy t t2
tdigest.add t2 4
tdigest.max t
tdigest.max t2
rename t2 t3
tdigest.info t3
multi
tdigest.add t 9
tdigest.quantile t 0.5
exec
eval "return redis.call('tdigest.add', KEYS[1], '7')" 1 t
eval "return redis.call('tdigest.max', KEYS[1])" 1 t
eval "return redis.call('tdigest.quantile', KEYS[1], '0.5', '1')" 1 t
tdigest.create sv
tdigest.add sv 1 2 3 4 5
tdigest.info sv
save
tdigest.info sv
"#;

#[test]
fn keyspace_sees_the_types() {
    let Some(mut p) = pair() else { return };
    assert_no_diffs(p.script("keyspace", KEYSPACE));
}

/// RDB files move both ways: one Redis with RedisBloom saved loads into ferredis, and ferredis's loads into
/// Redis with RedisBloom, every value (Bloom, Count-Min, t-digest, a grown cuckoo filter) the same DUMP bytes.
#[test]
fn rdb_files_move_both_ways() {
    use crate::common::{modules::redis_stack_module, Kind, Server, TempDir};
    if !crate::common::have_redis() {
        return;
    }
    let Some(module) = redis_stack_module("redisbloom") else { return };
    let module = module.to_str().unwrap().to_string();
    let oracle_args = ["--loadmodule", module.as_str()];
    let dir = TempDir::new("prob-rdb");
    let keys = ["b", "n", "c", "t", "f"];
    let dumps = |s: &Server| keys.map(|k| s.conn().cmd(&["DUMP", k]));
    let want = {
        let r = Server::start_in(Kind::Redis, &dir.path, &oracle_args);
        let mut c = r.conn();
        c.cmd(&["BF.RESERVE", "b", "0.02", "40", "EXPANSION", "3"]);
        for i in 0..30 {
            c.cmd(&["BF.MADD", "b", &format!("x{i}"), &format!("y{i}"), &format!("z{i}")]);
        }
        c.cmd(&["BF.INSERT", "n", "NONSCALING", "CAPACITY", "10", "ITEMS", "p", "q"]);
        c.cmd(&["CMS.INITBYDIM", "c", "64", "3"]);
        c.cmd(&["CMS.INCRBY", "c", "a", "5", "b", "1000000"]);
        c.cmd(&["TDIGEST.CREATE", "t", "COMPRESSION", "30"]);
        for i in 0..40 {
            c.cmd(&["TDIGEST.ADD", "t", &format!("{}", i * 7 % 23), &format!("{}.5", i % 5)]);
        }
        c.cmd(&["CF.RESERVE", "f", "32", "BUCKETSIZE", "2", "MAXITERATIONS", "10", "EXPANSION", "2"]);
        for i in 0..50 {
            c.cmd(&["CF.ADD", "f", &format!("k{i}")]);
        }
        c.cmd(&["CF.DEL", "f", "k3"]);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        dumps(&r)
    };
    let f = Server::start_in(Kind::Ferredis, &dir.path, &[]);
    assert_eq!(dumps(&f), want, "ferredis loading Redis's RDB");
    let mut c = f.conn();
    c.cmd(&["BF.ADD", "b", "after-load"]);
    c.cmd(&["CMS.INCRBY", "c", "z", "3"]);
    c.cmd(&["TDIGEST.ADD", "t", "1000", "-3"]);
    c.cmd(&["CF.ADD", "f", "after-load"]);
    c.cmd(&["CF.DEL", "f", "k4"]);
    let want = dumps(&f);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    drop(c);
    drop(f);
    let r = Server::start_in(Kind::Redis, &dir.path, &oracle_args);
    assert_eq!(dumps(&r), want, "Redis with RedisBloom loading ferredis's RDB");
}

/// A skewed stream into a Top-K wide enough that no two items share a bucket (RedisBloom's decay draws come from
/// `rand()`, which no other server can follow): every reply the same; the sketch then moves to Redis by DUMP.
#[test]
fn topk_workload_matches_redisbloom() {
    let Some(mut p) = pair() else { return };
    let mut g = Gen(7);
    let mut lines: Vec<Vec<Vec<u8>>> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<Vec<u8>>>();
    lines.push(s(&["TOPK.RESERVE", "t", "10", "100000", "4", "0.925"]));
    for _ in 0..80 {
        let mut add = s(&["TOPK.ADD", "t"]);
        let mut incr = s(&["TOPK.INCRBY", "t"]);
        for _ in 0..6 {
            let spread = 1 + g.below(40);
            add.push(format!("u{}", g.below(spread)).into_bytes());
            incr.push(format!("u{}", g.below(spread)).into_bytes());
            incr.push(format!("{}", g.below(20)).into_bytes());
        }
        lines.push(add);
        lines.push(incr);
        lines.push(s(&["TOPK.LIST", "t", "WITHCOUNT"]));
    }
    let mut probe = s(&["TOPK.COUNT", "t"]);
    let mut query = s(&["TOPK.QUERY", "t"]);
    for i in 0..45 {
        probe.push(format!("u{i}").into_bytes());
        query.push(format!("u{i}").into_bytes());
    }
    lines.push(probe);
    lines.push(query);
    lines.push(s(&["TOPK.INFO", "t"]));
    assert_no_diffs(p.script_args("topk workload", &lines, &[]));
    let (mut f, mut r) = p.conns();
    let payload = Resp::parse(&f.cmd(&["DUMP", "t"])).unwrap().as_bytes().unwrap().to_vec();
    assert_eq!(r.cmd(&[b"RESTORE".as_slice(), b"moved", b"0", &payload]), b"+OK\r\n");
    assert_eq!(r.cmd(&["TOPK.LIST", "moved", "WITHCOUNT"]), f.cmd(&["TOPK.LIST", "t", "WITHCOUNT"]));
    let payload = Resp::parse(&r.cmd(&["DUMP", "t"])).unwrap().as_bytes().unwrap().to_vec();
    assert_eq!(f.cmd(&[b"RESTORE".as_slice(), b"back", b"0", &payload]), b"+OK\r\n");
    assert_eq!(f.cmd(&["TOPK.LIST", "back", "WITHCOUNT"]), r.cmd(&["TOPK.LIST", "t", "WITHCOUNT"]));
    assert_eq!(f.cmd(&["TOPK.COUNT", "back", "u0", "u1"]), r.cmd(&["TOPK.COUNT", "t", "u0", "u1"]));
}

/// The families are listed as RedisBloom's module `bf`: MODULE LIST and INFO modules name it with RedisBloom's
/// version, COMMAND INFO flags each command `module`, COMMAND DOCS names the module, and COMMAND LIST FILTERBY
/// MODULE bf lists the same commands as RedisBloom does, family by family, for the families ferredis has.
fn text(x: &Resp) -> String {
    match x {
        Resp::Int(n) => n.to_string(),
        other => String::from_utf8_lossy(other.as_bytes().unwrap_or_default()).into_owned(),
    }
}

#[test]
fn the_families_are_listed_as_module_bf() {
    let Some(mut p) = pair() else { return };
    let (f, r) = p.both();
    let entry = |c: &mut crate::common::Conn| {
        let v = Resp::parse(&c.cmd(&["MODULE", "LIST"])).expect("MODULE LIST");
        let items: Vec<Vec<String>> =
            v.items().expect("an array").iter().map(|m| m.items().expect("a map").iter().map(text).collect()).collect();
        items.into_iter().find(|m| m.get(1).map(String::as_str) == Some("bf")).expect("a bf entry")
    };
    let (fe, re) = (entry(f), entry(r));
    assert_eq!(fe[..4], re[..4], "name and version");
    let info = |c: &mut crate::common::Conn| {
        let text = String::from_utf8(c.cmd(&["INFO", "modules"])).expect("text");
        text.lines().find(|l| l.starts_with("module:name=bf,")).expect("a bf line").to_string()
    };
    assert_eq!(info(f), info(r));
    let list = |c: &mut crate::common::Conn| {
        let v = Resp::parse(&c.cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "bf"])).expect("COMMAND LIST");
        let mut names: Vec<String> = v.items().expect("an array").iter().map(text).collect();
        names.sort();
        names
    };
    let ours = list(f);
    let families: Vec<String> = ours.iter().map(|n| n.split('.').next().unwrap_or("").to_string()).collect();
    let theirs: Vec<String> =
        list(r).into_iter().filter(|n| families.contains(&n.split('.').next().unwrap_or("").to_string())).collect();
    assert_eq!(ours, theirs);
    for name in ["bf.add", "cms.query", "topk.list"] {
        let flags = |c: &mut crate::common::Conn| {
            let v = Resp::parse(&c.cmd(&["COMMAND", "INFO", name])).expect("COMMAND INFO");
            let cmd = &v.items().expect("an array")[0];
            cmd.items().expect("an entry")[2].items().expect("flags").iter().map(text).collect::<Vec<_>>()
        };
        assert!(flags(f).contains(&"module".to_string()), "{name}");
        assert_eq!(flags(f), flags(r), "{name}");
        let docs = String::from_utf8_lossy(&f.cmd(&["COMMAND", "DOCS", name])).to_string();
        assert!(docs.contains("$6\r\nmodule\r\n$2\r\nbf\r\n"), "{name}: {docs:?}");
    }
}

const TDIGEST_EDGES: &str = r#"
tdigest.create
tdigest.create k 100
tdigest.create k compression
tdigest.create k compression x
tdigest.create k compression 0
tdigest.create k compression -5
tdigest.create k comp 100
tdigest.create k 100 COMPRESSION
tdigest.create k compression 1.5
tdigest.create k COMPRESSION 1000000000000
tdigest.create k a b c
tdigest.create k
tdigest.create k
tdigest.info k
tdigest.create small compression 1
tdigest.info small
set s v
tdigest.create s
tdigest.add s 1
tdigest.min s
tdigest.quantile s 0.5
tdigest.merge s 1 k
tdigest.merge k 1 s
tdigest.add
tdigest.add k
tdigest.add nokey 1
tdigest.add k x
tdigest.add k 1 2 x
tdigest.add k nan
tdigest.add k inf
tdigest.add k 1 -inf
tdigest.add k 1e400
tdigest.min k
tdigest.max k
tdigest.quantile k 0.5
tdigest.cdf k 1
tdigest.rank k 1
tdigest.revrank k 1
tdigest.byrank k 0 1
tdigest.byrevrank k 0 1
tdigest.trimmed_mean k 0.1 0.9
tdigest.info k
tdigest.add k 5
tdigest.info k
tdigest.min k
tdigest.max k
tdigest.quantile k 0 0.5 1
tdigest.info k
tdigest.cdf k 4 5 6
tdigest.rank k 4 5 6
tdigest.revrank k 4 5 6
tdigest.byrank k 0 1 2
tdigest.byrevrank k 0 1 2
tdigest.trimmed_mean k 0 1
tdigest.add k 1 2 3 4 6 7 8 9 10
tdigest.info k
tdigest.quantile k 0 0.1 0.25 0.5 0.75 0.9 0.99 1
tdigest.info k
tdigest.quantile k 0.9 0.1 0.5 0.5 0.2 1 0
tdigest.quantile k
tdigest.quantile k x
tdigest.quantile k 1.5
tdigest.quantile k -0.1
tdigest.quantile k 0.5 nan
tdigest.cdf k 0 1 1.5 5 5.5 10 11 -inf inf
tdigest.cdf k x
tdigest.cdf k nan
tdigest.rank k 0 1 1.5 5 5.5 10 11 -inf inf
tdigest.revrank k 0 1 1.5 5 5.5 10 11 -inf inf
tdigest.rank k nan
tdigest.rank k x
tdigest.byrank k 0 1 2 5 9 10 11 100
tdigest.byrevrank k 0 1 2 5 9 10 11 100
tdigest.byrank k -1
tdigest.byrank k 1.5
tdigest.byrank k x
tdigest.trimmed_mean k 0.1 0.9
tdigest.trimmed_mean k 0 1
tdigest.trimmed_mean k 0.5 0.5
tdigest.trimmed_mean k 0.6 0.5
tdigest.trimmed_mean k -0.1 0.5
tdigest.trimmed_mean k 0.1 1.5
tdigest.trimmed_mean k x 0.5
tdigest.trimmed_mean k 0.1 x
tdigest.trimmed_mean k 0.1
tdigest.trimmed_mean k 0.45 0.46
tdigest.trimmed_mean nokey 0.1 0.9
tdigest.min nokey
tdigest.max nokey
tdigest.min k extra
tdigest.info nokey
tdigest.info k extra
tdigest.quantile nokey 0.5
tdigest.cdf nokey 1
tdigest.rank nokey 1
tdigest.byrank nokey 1
tdigest.create e
tdigest.quantile e 0 0.5 1
tdigest.cdf e 1
tdigest.rank e 1
tdigest.revrank e 1
tdigest.byrank e 0 1
tdigest.byrevrank e 0 1
tdigest.trimmed_mean e 0.1 0.9
tdigest.min e
tdigest.max e
tdigest.merge
tdigest.merge d
tdigest.merge d 1
tdigest.merge d x k
tdigest.merge d 0 k
tdigest.merge d -1 k
tdigest.merge d 3 k e
tdigest.merge d 1 nokey
tdigest.merge d 2 k nokey
tdigest.merge d 2 k s
tdigest.merge d 1 d
tdigest.merge d 1 k foo
tdigest.merge d 1 k COMPRESSION
tdigest.merge d 1 k COMPRESSION x
tdigest.merge d 1 k COMPRESSION 0
tdigest.merge d 2 k e COMPRESSION 50
tdigest.info d
tdigest.quantile d 0.5
tdigest.merge d 1 k
tdigest.info d
tdigest.merge d 1 k OVERRIDE
tdigest.info d
tdigest.merge d 2 d k override compression 200
tdigest.info d
tdigest.merge d 2 d d
tdigest.info d
tdigest.merge new 2 small k
tdigest.info new
tdigest.merge new 1 small COMPRESSION 10 junk
tdigest.info new
tdigest.reset
tdigest.reset k a
tdigest.reset nokey
tdigest.reset s
tdigest.reset k
tdigest.info k
tdigest.quantile k 0.5
tdigest.max k
tdigest.add k 1 2 3
tdigest.info k
dump k
tdigest.info k
tdigest.add k 4 5
tdigest.quantile k 0.5
type k
object encoding k
"#;

#[test]
fn tdigest_edges_match_redisbloom() {
    let Some(mut p) = pair() else { return };
    assert_no_diffs(p.script("tdigest edges", TDIGEST_EDGES));
    assert_no_diffs(p.script_with("tdigest edges", TDIGEST_EDGES, &ScriptOpts { resp3: true, ..Default::default() }));
}

/// Digests of several compressions fed uniform, skewed (exponential-like), repeated and extreme values, queried
/// between batches (queries compress), merged, then moved by DUMP: every reply compared to the last digit.
#[test]
fn tdigest_workload_matches_redisbloom() {
    let Some(mut p) = pair() else { return };
    let mut g = Gen(0xfeed);
    let mut lines: Vec<Vec<Vec<u8>>> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<Vec<u8>>>();
    let keys = ["uni", "skew", "rep", "tiny"];
    lines.push(s(&["TDIGEST.CREATE", "uni"]));
    lines.push(s(&["TDIGEST.CREATE", "skew", "COMPRESSION", "50"]));
    lines.push(s(&["TDIGEST.CREATE", "rep", "COMPRESSION", "200"]));
    lines.push(s(&["TDIGEST.CREATE", "tiny", "COMPRESSION", "3"]));
    for round in 0..30 {
        for (ki, key) in keys.iter().enumerate() {
            let mut add = s(&["TDIGEST.ADD", key]);
            for _ in 0..50 {
                let u = g.below(1_000_000) as f64 / 1_000_000.0;
                let v = match ki {
                    0 => format!("{}", u * 1000.0 - 500.0),
                    1 => format!("{}", -(1.0 - u).ln() * 10.0),
                    2 => format!("{}", g.below(7) * 3),
                    _ => format!("{}", if g.below(10) == 0 { 1e300 } else { u }),
                };
                add.push(v.into_bytes());
            }
            lines.push(add);
            if round % 3 == ki % 3 {
                lines.push(s(&[
                    "TDIGEST.QUANTILE",
                    key,
                    "0",
                    "0.001",
                    "0.01",
                    "0.1",
                    "0.25",
                    "0.5",
                    "0.75",
                    "0.9",
                    "0.99",
                    "1",
                ]));
                lines.push(s(&["TDIGEST.QUANTILE", key, "0.7", "0.3", "0.95", "0.5"]));
                let probe: Vec<String> = (0..8).map(|i| format!("{}", (i as f64 - 2.0) * 7.5)).collect();
                for cmd in ["TDIGEST.CDF", "TDIGEST.RANK", "TDIGEST.REVRANK"] {
                    let mut l = s(&[cmd, key]);
                    l.extend(probe.iter().map(|p| p.as_bytes().to_vec()));
                    lines.push(l);
                }
                let n = (round + 1) * 50;
                let ranks: Vec<String> =
                    [0, 1, 2, n / 7, n / 2, n - 2, n - 1, n, n + 5].iter().map(|r| r.to_string()).collect();
                for cmd in ["TDIGEST.BYRANK", "TDIGEST.BYREVRANK"] {
                    let mut l = s(&[cmd, key]);
                    l.extend(ranks.iter().map(|p| p.as_bytes().to_vec()));
                    lines.push(l);
                }
                lines.push(s(&["TDIGEST.TRIMMED_MEAN", key, "0.1", "0.9"]));
                lines.push(s(&["TDIGEST.TRIMMED_MEAN", key, "0", "0.33"]));
                lines.push(s(&["TDIGEST.MIN", key]));
                lines.push(s(&["TDIGEST.MAX", key]));
            }
            lines.push(s(&["TDIGEST.INFO", key]));
        }
    }
    lines.push(s(&["TDIGEST.MERGE", "m", "3", "uni", "skew", "rep"]));
    lines.push(s(&["TDIGEST.INFO", "m"]));
    lines.push(s(&["TDIGEST.QUANTILE", "m", "0.01", "0.5", "0.99"]));
    lines.push(s(&["TDIGEST.MERGE", "m", "2", "tiny", "m", "COMPRESSION", "20"]));
    lines.push(s(&["TDIGEST.CDF", "m", "0", "10", "100"]));
    lines.push(s(&["TDIGEST.INFO", "m"]));
    for key in ["uni", "skew", "rep", "tiny", "m"] {
        lines.push(s(&["DUMP", key]));
        lines.push(s(&["MEMORY", "USAGE", key]));
    }
    let compared: Vec<bool> = lines.iter().map(|l| !l[0].eq_ignore_ascii_case(b"MEMORY")).collect();
    assert_no_diffs(p.script_args("tdigest workload", &lines, &compared));
    let (mut f, mut r) = p.conns();
    for key in ["uni", "rep", "m"] {
        let a = Resp::parse(&f.cmd(&["MEMORY", "USAGE", key])).unwrap().as_int().unwrap();
        let b = Resp::parse(&r.cmd(&["MEMORY", "USAGE", key])).unwrap().as_int().unwrap();
        assert!(a <= b, "MEMORY USAGE {key}: ferredis {a}, redis {b}");
    }
    // DUMP payloads restore on the other side; a damaged one is refused and creates nothing.
    for key in ["uni", "m"] {
        let payload = Resp::parse(&r.cmd(&["DUMP", key])).unwrap().as_bytes().unwrap().to_vec();
        assert_eq!(f.cmd(&[b"RESTORE".as_slice(), b"back", b"0", &payload, b"REPLACE"]), b"+OK\r\n");
        let payload = Resp::parse(&f.cmd(&["DUMP", key])).unwrap().as_bytes().unwrap().to_vec();
        assert_eq!(r.cmd(&[b"RESTORE".as_slice(), b"back", b"0", &payload, b"REPLACE"]), b"+OK\r\n");
        for cmd in [&["TDIGEST.INFO", "back"][..], &["TDIGEST.QUANTILE", "back", "0.2", "0.8"]] {
            assert_eq!(f.cmd(cmd), r.cmd(cmd), "{cmd:?} after RESTORE of {key}");
        }
        let cut = &payload[..payload.len() - 20];
        let a = f.cmd(&[b"RESTORE".as_slice(), b"cut", b"0", cut]);
        assert!(a.starts_with(b"-"), "{}", String::from_utf8_lossy(&a));
        assert_eq!(f.cmd(&["EXISTS", "cut"]), b":0\r\n");
    }
}

/// t-digest DUMP payloads damaged byte by byte, each resealed with a valid checksum: ferredis refuses them or
/// restores a digest every command then works on without failing; the server keeps answering.
#[test]
fn damaged_tdigest_payloads_are_refused_or_safe() {
    let Some(p) = pair() else { return };
    let (mut f, mut r) = p.conns();
    r.cmd(&["DEL", "src"]);
    r.cmd(&["TDIGEST.CREATE", "src", "COMPRESSION", "2"]);
    r.cmd(&["TDIGEST.ADD", "src", "1", "2", "2", "3.5", "-7", "100", "4", "4", "4", "9"]);
    let payload = Resp::parse(&r.cmd(&["DUMP", "src"])).unwrap().as_bytes().unwrap().to_vec();
    assert_eq!(f.cmd(&[b"RESTORE".as_slice(), b"good", b"0", &payload, b"REPLACE"]), b"+OK\r\n");
    assert_eq!(f.cmd(&["TDIGEST.INFO", "good"]), r.cmd(&["TDIGEST.INFO", "src"]));
    let (mut refused, mut restored) = (0, 0);
    for i in 1..payload.len() - 10 {
        for v in [0u8, 0x01, 0x7f, 0xff] {
            let mut b = payload.clone();
            b[i] = v;
            let n = b.len() - 8;
            let crc = ferredis::persist::crc64::crc64(0, &b[..n]);
            b[n..].copy_from_slice(&crc.to_le_bytes());
            let a = f.cmd(&[b"RESTORE".as_slice(), b"bad", b"0", &b, b"REPLACE"]);
            if a != b"+OK\r\n" {
                assert!(a.starts_with(b"-"), "{}", String::from_utf8_lossy(&a));
                refused += 1;
                continue;
            }
            restored += 1;
            for cmd in [
                &["TDIGEST.QUANTILE", "bad", "0", "0.3", "0.5", "1"][..],
                &["TDIGEST.CDF", "bad", "-10", "2", "200"],
                &["TDIGEST.RANK", "bad", "0", "4"],
                &["TDIGEST.REVRANK", "bad", "0", "4"],
                &["TDIGEST.BYRANK", "bad", "0", "1", "5", "50"],
                &["TDIGEST.BYREVRANK", "bad", "0", "1", "5"],
                &["TDIGEST.TRIMMED_MEAN", "bad", "0.1", "0.9"],
                &["TDIGEST.INFO", "bad"],
                &["TDIGEST.ADD", "bad", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14"],
                &["TDIGEST.MERGE", "m", "2", "bad", "good"],
                &["DUMP", "bad"],
            ] {
                f.cmd(cmd);
            }
        }
    }
    assert!(refused > 0 && restored > 0, "refused {refused}, restored {restored}");
    assert_eq!(f.cmd(&["PING"]), b"+PONG\r\n");
}

const CUCKOO_EDGES: &str = r#"
cf.add
cf.add k
cf.add k a b
cf.exists k
cf.mexists k
cf.count k
cf.del k
cf.info k
cf.reserve k
cf.reserve k 10 a
cf.reserve k x
cf.reserve k 3
cf.reserve k -5
cf.reserve k 100 bucketsize x
cf.reserve k 100 bucketsize 0
cf.reserve k 100 bucketsize 256
cf.reserve k 100 maxiterations 0
cf.reserve k 100 maxiterations 65536
cf.reserve k 100 maxiterations x
cf.reserve k 100 expansion -1
cf.reserve k 100 expansion 32769
cf.reserve k 100 expansion x
cf.reserve k 10 bucketsize 6
cf.reserve k 100 foo bar
cf.reserve k 1000 bucketsize 4 maxiterations 30 expansion 3
cf.reserve k 100
cf.info k
cf.info nokey
cf.info k extra
cf.debug k
cf.add k a
cf.add k a
cf.addnx k a
cf.addnx k b
cf.insert k items a b c
cf.insertnx k items a b zz
cf.insert
cf.insert k items
cf.insert k capacity
cf.insert k capacity x items a
cf.insert k capacity 3 items a
cf.insert k foo items a
cf.insert nope nocreate items a
cf.insertnx nope nocreate items a
cf.insert n2 capacity 10 items a b c d e f g h i j k l m n o p
cf.info n2
cf.exists k a
cf.exists k nothere
cf.mexists k a b zz nothere
cf.count k a
cf.count k nothere
cf.exists nokey a
cf.mexists nokey a b
cf.count nokey a
cf.del k a
cf.del k a
cf.del k a
cf.del k nothere
cf.del nokey a
cf.count k a
cf.info k
set s v
cf.add s a
cf.addnx s a
cf.insert s items a
cf.exists s a
cf.count s a
cf.del s a
cf.info s
cf.reserve s 100
cf.scandump s 0
cf.loadchunk s 1 x
cf.reserve full 4 expansion 0
cf.insert full items a b c d e f g h i j
cf.add full zz
cf.insertnx full items q r s t
cf.info full
cf.reserve empty 100
cf.scandump empty 0
cf.scandump k
cf.scandump k x
cf.scandump k -1
cf.scandump k 0
cf.scandump k 1
cf.scandump k 99999
cf.scandump nokey 0
cf.loadchunk k
cf.loadchunk k x y
cf.loadchunk k 0 abc
cf.loadchunk k 1 abc
cf.loadchunk nokey 2 abc
cf.loadchunk nokey 1 short
cf.loadchunk nokey 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
cf.loadchunk k 3 abcd
cf.loadchunk k -5 abcd
cf.loadchunk k 99999 abcd
type k
object encoding k
"#;

#[test]
fn cuckoo_edges_match_redisbloom() {
    let Some(mut p) = pair() else { return };
    assert_no_diffs(p.script("cuckoo edges", CUCKOO_EDGES));
    assert_no_diffs(p.script_with("cuckoo edges", CUCKOO_EDGES, &ScriptOpts { resp3: true, ..Default::default() }));
}

/// Filters that fill, kick, grow and shrink: every reply (false positives, counts, chunks, DUMP) compared.
#[test]
fn cuckoo_workload_matches_redisbloom() {
    let Some(mut p) = pair() else { return };
    let mut g = Gen(0x51afd7ed558ccd);
    let mut lines: Vec<Vec<Vec<u8>>> = Vec::new();
    let cmd = |v: &[&[u8]]| v.iter().map(|a| a.to_vec()).collect::<Vec<Vec<u8>>>();
    lines.push(cmd(&[b"CF.RESERVE", b"small", b"20", b"EXPANSION", b"2"]));
    lines.push(cmd(&[b"CF.RESERVE", b"wide", b"200", b"BUCKETSIZE", b"4", b"MAXITERATIONS", b"5"]));
    lines.push(cmd(&[b"CF.RESERVE", b"flat", b"100", b"EXPANSION", b"0", b"BUCKETSIZE", b"3"]));
    let keys = [&b"small"[..], b"wide", b"flat", b"auto"];
    for round in 0..30 {
        for key in keys {
            let mut add: Vec<Vec<u8>> = vec![b"CF.INSERT".to_vec(), key.to_vec(), b"ITEMS".to_vec()];
            let mut probe: Vec<Vec<u8>> = vec![b"CF.MEXISTS".to_vec(), key.to_vec()];
            for _ in 0..8 {
                add.push(format!("item:{}", g.below(400)).into_bytes());
                probe.push(format!("absent:{}:{}", round, g.next()).into_bytes());
                probe.push(format!("item:{}", g.below(400)).into_bytes());
            }
            lines.push(add);
            lines.push(probe);
            let item = format!("item:{}", g.below(400)).into_bytes();
            lines.push(vec![b"CF.COUNT".to_vec(), key.to_vec(), item.clone()]);
            lines.push(vec![b"CF.ADDNX".to_vec(), key.to_vec(), item.clone()]);
            if round % 3 == 0 {
                for _ in 0..4 {
                    lines.push(vec![b"CF.DEL".to_vec(), key.to_vec(), format!("item:{}", g.below(400)).into_bytes()]);
                }
            }
        }
        lines.push(cmd(&[b"CF.INFO", b"small"]));
        lines.push(cmd(&[b"CF.INFO", b"flat"]));
    }
    for key in keys {
        lines.push(cmd(&[b"CF.INFO", key]));
        lines.push(cmd(&[b"CF.SCANDUMP", key, b"0"]));
        lines.push(cmd(&[b"CF.SCANDUMP", key, b"1"]));
        lines.push(cmd(&[b"MEMORY", b"USAGE", key]));
        lines.push(cmd(&[b"DUMP", key]));
    }
    let compared: Vec<bool> = lines.iter().map(|l| !l[0].eq_ignore_ascii_case(b"MEMORY")).collect();
    assert_no_diffs(p.script_args("cuckoo workload", &lines, &compared));
    let (mut f, mut r) = p.conns();
    for key in ["small", "wide", "flat", "auto"] {
        let a = Resp::parse(&f.cmd(&["MEMORY", "USAGE", key])).unwrap().as_int().unwrap();
        let b = Resp::parse(&r.cmd(&["MEMORY", "USAGE", key])).unwrap().as_int().unwrap();
        // Within 5%, or within the key's own overhead (about 20 bytes) for filters of a few hundred bytes.
        assert!((a - b).abs() * 20 <= b || (a - b).abs() <= 24, "MEMORY USAGE {key}: ferredis {a}, redis {b}");
    }
}

/// Pipelined batches, as `redis-benchmark -P` sends them: the server parses a batch of filter commands ahead and
/// warms their bits up before running them (`server/prefetch.rs`). The replies must be the ones RedisBloom gives
/// one command at a time: filter commands mixed with others, arity errors, a missing key, another type, MULTI,
/// SELECT, a key the batch creates, and batches cut at every kind of boundary by the writes.
#[test]
fn pipelined_batches_match_redisbloom() {
    let Some(p) = pair() else { return };
    let mut g = Gen(0x2f6b_1c9e_77d3_a5c1);
    let cmd = |v: &[&[u8]]| v.iter().map(|a| a.to_vec()).collect::<Vec<Vec<u8>>>();
    let mut lines: Vec<Vec<Vec<u8>>> = vec![
        cmd(&[b"FLUSHALL"]),
        cmd(&[b"BF.RESERVE", b"bf", b"0.01", b"5000"]),
        cmd(&[b"BF.RESERVE", b"tiny", b"0.1", b"10", b"EXPANSION", b"2"]),
        cmd(&[b"CF.RESERVE", b"cf", b"4000"]),
        cmd(&[b"SET", b"str", b"v"]),
    ];
    for round in 0..60 {
        for _ in 0..24 {
            let item = format!("i:{}", g.below(3000)).into_bytes();
            let line: Vec<Vec<u8>> = match g.below(16) {
                0..=3 => vec![b"BF.ADD".to_vec(), b"bf".to_vec(), item],
                4..=6 => vec![b"BF.EXISTS".to_vec(), b"bf".to_vec(), item],
                7 => vec![b"BF.ADD".to_vec(), b"tiny".to_vec(), item],
                8 => vec![b"BF.MEXISTS".to_vec(), b"tiny".to_vec(), item, b"i:1".to_vec(), b"i:2".to_vec()],
                9 => vec![b"CF.ADD".to_vec(), b"cf".to_vec(), item],
                10 => vec![b"CF.EXISTS".to_vec(), b"cf".to_vec(), item],
                11 => vec![b"CF.DEL".to_vec(), b"cf".to_vec(), item],
                12 => vec![b"CF.COUNT".to_vec(), b"cf".to_vec(), item],
                13 => vec![b"BF.ADD".to_vec(), format!("new:{round}").into_bytes(), item],
                14 => vec![b"GET".to_vec(), b"str".to_vec()],
                _ => match g.below(6) {
                    0 => cmd(&[b"BF.ADD", b"bf"]),
                    1 => cmd(&[b"BF.EXISTS"]),
                    2 => cmd(&[b"CF.EXISTS", b"nokey", b"x"]),
                    3 => cmd(&[b"BF.ADD", b"str", b"x"]),
                    4 => cmd(&[b"CF.ADD", b"bf", b"x"]),
                    _ => cmd(&[b"BF.EXISTS", b"nokey", b"x"]),
                },
            };
            lines.push(line);
        }
        match round % 5 {
            0 => {
                lines.push(cmd(&[b"MULTI"]));
                lines.push(cmd(&[b"BF.ADD", b"bf", b"in-multi"]));
                lines.push(cmd(&[b"CF.EXISTS", b"cf", b"i:7"]));
                lines.push(cmd(&[b"EXEC"]));
            }
            1 => {
                lines.push(cmd(&[b"SELECT", b"1"]));
                lines.push(cmd(&[b"BF.ADD", b"bf", b"db1"]));
                lines.push(cmd(&[b"BF.EXISTS", b"bf", b"db1"]));
                lines.push(cmd(&[b"SELECT", b"0"]));
                lines.push(cmd(&[b"BF.EXISTS", b"bf", b"db1"]));
            }
            _ => lines.push(cmd(&[b"BF.CARD", b"bf"])),
        }
    }
    lines.push(cmd(&[b"BF.INFO", b"bf"]));
    lines.push(cmd(&[b"BF.INFO", b"tiny"]));
    lines.push(cmd(&[b"CF.INFO", b"cf"]));
    lines.push(cmd(&[b"BF.SCANDUMP", b"bf", b"0"]));
    lines.push(cmd(&[b"CF.SCANDUMP", b"cf", b"0"]));
    let mut blob = Vec::new();
    for l in &lines {
        blob.extend_from_slice(&crate::common::encode_command(l));
    }
    // The same cuts for both servers: pieces of 1 to 1500 bytes, each written on its own.
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < blob.len() {
        let n = (1 + g.below(1500) as usize).min(blob.len() - at);
        cuts.push(at..at + n);
        at += n;
    }
    let run = |mut c: crate::common::Conn| -> Vec<Vec<u8>> {
        for r in &cuts {
            c.send_raw(&blob[r.clone()]).expect("write");
            // Now and then the server reads what came so far: batches end at these cuts.
            if r.start % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        (0..lines.len()).map(|_| c.read_reply().expect("reply")).collect()
    };
    let (f, r) = p.conns();
    let (fr, rr) = (run(f), run(r));
    let mut diffs = Vec::new();
    for (i, (a, b)) in fr.iter().zip(&rr).enumerate() {
        if a != b {
            diffs.push(format!(
                "command {i} {}:\n  redis:    {}\n  ferredis: {}",
                crate::common::display_args(&lines[i]),
                crate::common::escape(b),
                crate::common::escape(a)
            ));
        }
    }
    assert_no_diffs(diffs);
}
