//! What RedisJSON 2.8.3's own test suite (`tests/redisjson-suite.sh`) and its follow-up probes found, each against
//! Redis 7.0.15 with RedisJSON 2.8.3 loaded, reply bytes compared: BSON input (`JSON.SET`/`JSON.MERGE ... FORMAT
//! BSON`, the suite's `testSetBSON`), the `FORMAT` argument's errors, the overflow error's text, and JSON.DEL of a
//! filter under `..` that matches a node twice (which duplicates RedisJSON deletes depends on the exact probe
//! order of the binary search it was compiled with).

use crate::common;

use common::rejson::have_rejson;
use common::*;

fn check(diffs: Vec<String>) {
    assert!(diffs.is_empty(), "{} differences (first 20):\n{}", diffs.len(), diffs[..diffs.len().min(20)].join("\n"));
}

fn el(tag: u8, name: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    v.extend_from_slice(payload);
    v
}

fn doc(els: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = els.concat();
    let mut v = ((body.len() + 5) as i32).to_le_bytes().to_vec();
    v.extend_from_slice(&body);
    v.push(0);
    v
}

fn bstr(s: &str) -> Vec<u8> {
    let mut v = ((s.len() + 1) as i32).to_le_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v.push(0);
    v
}

fn i32le(n: i32) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

/// BSON documents of every element type, and malformed ones. RedisJSON takes its arguments as UTF-8 strings, so
/// only documents whose bytes are valid UTF-8 reach the decoder (the rest get "Couldn't parse as UTF-8 string").
fn bson_corpus() -> Vec<Vec<u8>> {
    let oid: Vec<u8> = (0..12).collect();
    let scope = doc(&[el(0x10, "k", &i32le(2))]);
    let mut cws = i32le((4 + bstr("g()").len() + scope.len()) as i32);
    cws.extend_from_slice(&bstr("g()"));
    cws.extend_from_slice(&scope);
    let good = doc(&[el(2, "a", &bstr("b"))]);
    let mut long = good.clone();
    long[0] = 100;
    let mut short = good.clone();
    short[0] = 8;
    let mut dbptr = bstr("ns");
    dbptr.extend_from_slice(&oid);
    let dec = |lo: u8, hi: [u8; 2]| {
        let mut b = [0u8; 16];
        b[0] = lo;
        b[14] = hi[0];
        b[15] = hi[1];
        b.to_vec()
    };
    let mut sub = Vec::new();
    for (tag, payload) in
        [(0x10, i32le(5)), (0x12, 7i64.to_le_bytes().to_vec()), (8, vec![1]), (8, vec![0]), (10, vec![])]
    {
        sub.push(el(tag, &format!("k{tag}{}", sub.len()), &payload));
    }
    vec![
        good.clone(),
        doc(&[]),
        doc(&[el(3, "x", &doc(&sub))]),
        doc(&[el(4, "x", &doc(&[el(0x10, "0", &i32le(1)), el(2, "1", &bstr("é\n\"\u{1}\u{7f}/"))]))]),
        doc(&[el(4, "x", &doc(&[el(0x10, "5", &i32le(1)), el(0x10, "zz", &i32le(2))]))]),
        doc(&[el(0x10, "a", &i32le(1)), el(0x10, "a", &i32le(2))]),
        doc(&[el(3, "b", &doc(&[el(0x10, "k", &i32le(1)), el(3, "j", &doc(&[])), el(0x10, "k", &i32le(2))]))]),
        doc(&[el(5, "x", &[3, 0, 0, 0, 0, b'a', b'b', b'c'])]),
        doc(&[el(5, "x", &[0, 0, 0, 0, 4])]),
        doc(&[el(5, "x", &[6, 0, 0, 0, 2, 2, 0, 0, 0, b'h', b'i'])]),
        doc(&[el(6, "x", &[])]),
        doc(&[el(7, "x", &oid)]),
        doc(&[el(0x0b, "x", b"a.*b\0xim\0")]),
        doc(&[el(0x0c, "x", &dbptr)]),
        doc(&[el(0x0d, "x", &bstr("f()"))]),
        doc(&[el(0x0e, "x", &bstr("sym"))]),
        doc(&[el(0x0f, "x", &cws)]),
        doc(&[el(0x11, "x", &[7, 0, 0, 0, 9, 0, 0, 0])]),
        doc(&[el(0x7f, "x", &[])]),
        doc(&[el(1, "x", &2.0f64.to_le_bytes())]),
        doc(&[el(1, "x", &[1, 2, 3, 4, 5, 6, 7, 0x40])]),
        doc(&[el(1, "x", &[0, 0, 0, 0, 0, 0, 0x30, 0x3d])]),
        doc(&[el(1, "x", &[1, 0, 0, 0, 0, 0, 0, 0])]),
        doc(&[el(1, "x", &[0, 0, 0, 0, 0, 0, 0x40, 0x7f])]),
        doc(&[el(9, "x", &[0x64, 0, 0, 0, 0x70, 1, 0, 0])]),
        doc(&[el(9, "x", &10_000i64.to_le_bytes())]),
        doc(&[el(9, "x", &100i64.to_le_bytes())]),
        doc(&[el(9, "x", &[0x0b, 0, 0, 0, 0x70, 0x7f, 0, 0])]),
        doc(&[el(9, "x", &[0, 0, 0, 0, 0, 0, 0x7f, 0])]),
        doc(&[el(0x12, "x", &[1, 2, 3, 4, 5, 6, 7, 0x7f])]),
        doc(&[el(0x13, "x", &[0; 16])]),
        doc(&[el(0x13, "x", &dec(1, [0x40, 0x30]))]),
        doc(&[el(0x13, "x", &dec(0x7b, [0x3c, 0x30]))]),
        doc(&[el(0x13, "x", &dec(0x7b, [0x50, 0x30]))]),
        doc(&[el(0x13, "x", &dec(0x7b, [0x00, 0x30]))]),
        doc(&[el(0x13, "x", &dec(0x7b, [0x30, 0x30]))]),
        doc(&[el(0x13, "x", &dec(0x7b, [0x2e, 0x30]))]),
        doc(&[el(0x13, "x", &dec(0, [0, 0x78]))]),
        doc(&[el(0x13, "x", &dec(0, [0, 0x7c]))]),
        doc(&[el(0x13, "x", &[0x7f; 16])]),
        [good.clone(), b"zz".to_vec()].concat(),
        good[..good.len() - 3].to_vec(),
        b"\x05\x00\x00".to_vec(),
        b"junk".to_vec(),
        Vec::new(),
        long,
        short,
        b"\x02\x00\x00\x00\x00\x00\x00\x00".to_vec(),
        b"\x05\x00\x00\x00\x01".to_vec(),
        doc(&[el(0x20, "x", &[])]),
        doc(&[el(2, "a", &[0, 0, 0, 0, 0])]),
        doc(&[el(2, "a", &[2, 0, 0, 0, b'b', b'c'])]),
        doc(&[el(8, "t", &[2])]),
        doc(&[b"\x10abc".to_vec()]),
        doc(&[el(3, "x", &[50, 0, 0, 0, 0])]),
        doc(&[el(3, "x", &[6, 0, 0, 0, 0])]),
        doc(&[el(3, "x", &[5, 0, 0, 0, 0x10, b'k', 0, 1, 0, 0, 0, 0])]),
    ]
}

#[test]
fn bson_input_reads_as_redisjson_reads_it() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    for b in bson_corpus() {
        p.same(&[b"FLUSHALL".as_slice()]);
        p.same(&[b"JSON.SET".as_slice(), b"k", b"$", &b, b"FORMAT", b"BSON"]);
        p.same(&["JSON.GET", "k"]);
        p.same(&["JSON.SET", "m", "$", r#"{"a":{"b":1},"c":[1]}"#]);
        p.same(&[b"JSON.MERGE".as_slice(), b"m", b"$.a", &b, b"FORMAT", b"BSON"]);
        p.same(&[b"JSON.SET".as_slice(), b"m", b"$.c[0]", &b, b"FORMAT", b"BSON"]);
        p.same(&["JSON.GET", "m"]);
    }
}

#[test]
fn format_arguments_answer_as_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    check(p.script(
        "format",
        r#"
JSON.SET k $ 1 FORMAT JSON
JSON.SET k $ 2 FORMAT STRING
JSON.SET k $ 3 FORMAT json
JSON.SET k $ 3 FORMAT
JSON.SET k $ 3 FORMAT XML
JSON.SET k $ 3 FORMAT JSON FORMAT JSON NX
JSON.SET k $ 3 FORMAT JSON XX FORMAT JSON
JSON.SET k $ 3 XX FORMAT BSON
JSON.SET k $ junk FORMAT BSON
JSON.SET k $ '{"a":' FORMAT JSON
JSON.GET k
JSON.MERGE k $ 5 FORMAT JSON
JSON.MERGE k $ 6 FORMAT STRING
JSON.MERGE k $ 6 FORMAT
JSON.MERGE k $ 6 FORMAT bson
JSON.MERGE k $ 6 FORMAT JSON FORMAT JSON
JSON.MERGE k $ 6 NX
JSON.MERGE k $ 6 format JSON extra
JSON.MERGE k $ junk FORMAT BSON
JSON.GET k
SET str x
JSON.SET str $ junk FORMAT BSON
JSON.MERGE str $ junk FORMAT BSON
JSON.MERGE nokey $.a junk FORMAT BSON
"#,
    ));
}

#[test]
fn number_overflow_answers_as_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    check(p.script(
        "overflow",
        r#"
JSON.SET k $ '{"a":[{"x":1},{"x":1e308},{"x":3}]}'
JSON.NUMINCRBY k .a[1].x 1e308
JSON.NUMINCRBY k $.a[1].x 1e308
JSON.NUMMULTBY k $..x 10
JSON.GET k
JSON.NUMPOWBY k .a[1].x 1e308
JSON.NUMINCRBY k '$.a[?(@.x>0)].x' 1e308
JSON.GET k
JSON.NUMINCRBY k ..x -1e308
JSON.GET k
"#,
    ));
}

/// JSON.DEL of filters under `..` (each scalar matches twice: once through its parent's filter, once on its
/// own): the curated cases, then seeded random documents.
#[test]
fn recursive_filter_deletes_as_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let mut script = String::from(
        r#"
JSON.SET k $ '{"x":{"a":2,"b":2,"c":3,"d":2},"y":[2,{"z":2},2,5]}'
JSON.DEL k '$..[?(@==2)]'
JSON.GET k
JSON.SET k $ '{"y":[2,2,5]}'
JSON.DEL k '$..[?(@==2)]'
JSON.GET k
JSON.SET k $ '{"y":[2,5]}'
JSON.DEL k '$..[?(@==2)]'
JSON.GET k
JSON.SET k $ '{"a":2,"b":[1,2,3,{"c":2,"d":[2,2]}],"e":{"f":2,"g":{"h":2}}}'
JSON.DEL k '$..[?(@>1)]'
JSON.GET k
JSON.SET k $ '[{"a":2,"b":2},{"a":2,"b":2},2]'
JSON.FORGET k '$..[?(@==2)]'
JSON.GET k
"#,
    );
    let mut rng = Prng::new(65);
    const PATHS: &[&str] = &[
        "$..[?(@==2)]",
        "$..[?(@>1)]",
        "$.*[?(@==2)]",
        "$..*",
        "$..[*]",
        "$..a",
        "$..[?(@.a==2)]",
        "$..[0]",
        "$..[?(@)]",
        "$..[?(@!=3)]",
    ];
    for _ in 0..150 {
        let d = format!("[{},{},{}]", value(&mut rng, 0), value(&mut rng, 0), value(&mut rng, 0));
        let path = PATHS[rng.below(PATHS.len())];
        script.push_str(&format!("JSON.SET k $ '{d}'\nJSON.DEL k '{path}'\nJSON.GET k\n"));
    }
    check(p.script("del", &script));
}

/// A small random JSON value rich in 2s, nested up to four levels.
fn value(rng: &mut Prng, depth: u32) -> String {
    let roll = rng.below(10);
    if depth > 3 || roll < 4 {
        return ["1", "2", "2", "3", "\"2\"", "null", "true"][rng.below(7)].to_string();
    }
    let n = rng.below(5);
    if roll < 7 {
        let items: Vec<String> = (0..n).map(|_| value(rng, depth + 1)).collect();
        format!("[{}]", items.join(","))
    } else {
        let items: Vec<String> =
            (0..n).map(|_| format!("\"{}\":{}", ["a", "b", "c", "z"][rng.below(4)], value(rng, depth + 1))).collect();
        format!("{{{}}}", items.join(","))
    }
}

/// A DUMP payload of a `ReJSON-RL` value in encoding version 0 (RedisJSON 1.x's node tree), built by hand: the
/// module type (RDB type 7), the module id, the tree behind module opcodes, the EOF opcode, RDB version 10 and
/// the CRC.
fn v0_payload(tree: &[u8]) -> Vec<u8> {
    let mut p = vec![7u8, 0x81];
    p.extend_from_slice(&ferredis::keyspace::types::json::rdb_module_id(0).to_be_bytes());
    p.extend_from_slice(tree);
    p.push(0);
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = ferredis::persist::crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// RedisJSON 1.x's node encoding, for [`v0_payload`] (lengths below 64, as RDB writes them in one byte).
enum V0<'a> {
    Null,
    Str(&'a str),
    Double(f64),
    Int(i64),
    Bool(bool),
    Object(Vec<(&'a str, V0<'a>)>),
    Array(Vec<V0<'a>>),
}

fn v0_unsigned(out: &mut Vec<u8>, n: u64) {
    out.push(2);
    if n < 64 {
        out.push(n as u8);
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn v0_string(out: &mut Vec<u8>, s: &str) {
    out.push(5);
    out.push(s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

fn v0_tree(out: &mut Vec<u8>, v: &V0) {
    match v {
        V0::Null => v0_unsigned(out, 1),
        V0::Str(s) => {
            v0_unsigned(out, 2);
            v0_string(out, s);
        }
        V0::Double(d) => {
            v0_unsigned(out, 4);
            out.push(4);
            out.extend_from_slice(&d.to_le_bytes());
        }
        V0::Int(n) => {
            v0_unsigned(out, 8);
            v0_unsigned(out, *n as u64);
        }
        V0::Bool(b) => {
            v0_unsigned(out, 0x10);
            v0_string(out, if *b { "1" } else { "0" });
        }
        V0::Object(members) => {
            v0_unsigned(out, 0x20);
            v0_unsigned(out, members.len() as u64);
            for (k, x) in members {
                v0_unsigned(out, 0x80);
                v0_string(out, k);
                v0_tree(out, x);
            }
        }
        V0::Array(items) => {
            v0_unsigned(out, 0x40);
            v0_unsigned(out, items.len() as u64);
            for x in items {
                v0_tree(out, x);
            }
        }
    }
}

/// RedisJSON 1.x documents (encoding version 0, the suite's `testBackwardRDB`, which needs a server restart and
/// so fails under `existing-env`) restore as RedisJSON 2.8.3 restores them.
#[test]
fn redisjson_1_documents_restore_as_redisjson_restores_them() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let docs = [
        V0::Object(vec![
            ("a", V0::Int(1)),
            ("b", V0::Str("1")),
            ("c", V0::Bool(true)),
            ("d", V0::Array(vec![])),
            ("e", V0::Object(vec![])),
            ("f", V0::Null),
        ]),
        V0::Array(vec![V0::Double(1.5), V0::Double(0.1), V0::Double(1e300), V0::Int(-7), V0::Int(i64::MIN)]),
        V0::Object(vec![("k", V0::Int(1)), ("j", V0::Bool(false)), ("k", V0::Str("é\n"))]),
        V0::Str("plain"),
        V0::Double(5.684341886080802e-14),
        V0::Array(vec![V0::Array(vec![V0::Object(vec![("x", V0::Array(vec![V0::Null]))])])]),
    ];
    for (i, d) in docs.iter().enumerate() {
        let mut tree = Vec::new();
        v0_tree(&mut tree, d);
        let payload = v0_payload(&tree);
        let key = format!("v0:{i}");
        assert_eq!(p.same(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", &payload]), b"+OK\r\n");
        p.same(&["JSON.GET", &key]);
        p.same(&["TYPE", &key]);
    }
}
