//! HyperLogLog against Debian's redis-server 7.0.15, reply bytes compared:
//!
//! - curated scripts of every PF command, option and error in RESP2 and RESP3 (PFADD without elements, PFMERGE
//!   with a destination only, PFDEBUG's four subcommands, type errors, `hll-sparse-max-bytes`, the cached
//!   cardinality seen through GETRANGE, WATCH, MULTI, COMMAND INFO/DOCS/GETKEYS, ACL CAT), with the raw string
//!   read back by GET after each step;
//! - random element sets of many sizes (crossing the sparse-to-dense promotion at several
//!   `hll-sparse-max-bytes`), PFCOUNT and the GET bytes compared after every batch, with PFMERGE and PFCOUNT of
//!   several keys;
//! - corrupted strings: random bytes written into sketches (as Redis's own fuzz test does), then every command
//!   run on them, replies compared and the server alive;
//! - keyspace events and what each server appends to its AOF for the same commands;
//! - sketches moved between the servers by RDB file, AOF file, DUMP/RESTORE and replication, both ways.
//!
//! Without /usr/bin/redis-server the tests print "skipped" and pass.

use crate::common;

use common::*;
use std::path::Path;

/// Sent before each script: the sparse encoding's limit both servers use.
const HLL_SETUP: &[&[&str]] = &[&["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]];

/// Sorts the items of an array reply (ACL CAT lists commands in hash order).
fn sorted(reply: &[u8]) -> Vec<u8> {
    match Resp::parse(reply) {
        Ok(Resp::Array(mut v)) => {
            v.sort();
            Resp::Array(v).to_bytes()
        }
        _ => reply.to_vec(),
    }
}

const BASIC: &str = r#"
PFADD h
EXISTS h
TYPE h
GET h
OBJECT ENCODING h
STRLEN h
PFCOUNT h
GET h
PFADD h a b c
PFADD h a b c
PFADD h ""
GET h
PFCOUNT h
GETRANGE h 15 15
PFCOUNT h
PFADD h a
GETRANGE h 15 15
PFADD h 1 2 3
GETRANGE h 15 15
PFDEBUG ENCODING h
PFDEBUG DECODE h
PFADD h2 x
PFADD h2 x y
PFADD new
GET new
PFADD
PFCOUNT
PFMERGE
PFCOUNT nokey
PFCOUNT nokey1 nokey2
EXISTS nokey nokey1 nokey2
PFCOUNT h h2
PFCOUNT h h2 nokey
PFCOUNT h h
# PFMERGE with a destination only.
PFMERGE d1
GET d1
PFCOUNT d1
PFMERGE h
GET h
PFMERGE d2 h h2 nokey
GET d2
PFCOUNT d2
PFMERGE d2 h2
PFCOUNT d2
# The destination counts as a source.
PFMERGE h2 h
PFCOUNT h2
GET h2
"#;

const DEBUG: &str = r#"
PFADD h a b c d e f g h i j
PFDEBUG ENCODING h
PFDEBUG DECODE h
PFDEBUG decode h
PFDEBUG GETREG h
PFDEBUG ENCODING h
GET h
PFDEBUG DECODE h
PFDEBUG TODENSE h
PFDEBUG GETREG h
PFADD s a
PFDEBUG TODENSE s
PFDEBUG TODENSE s
PFDEBUG todense s
GET s
PFCOUNT s
GET s
PFDEBUG NOPE h
PFDEBUG "getreg\x00junk" h
PFDEBUG "nope\x00junk" h
PFDEBUG NOPE nokey
PFDEBUG GETREG nokey
PFDEBUG GETREG
PFDEBUG GETREG h extra
PFDEBUG ENCODING
SET str hello
PFDEBUG ENCODING str
RPUSH list a
PFDEBUG ENCODING list
PFSELFTEST extra
"#;

const TYPES: &str = r#"
SET foo bar
PFADD foo 1
PFCOUNT foo
PFCOUNT foo nokey
PFCOUNT nokey foo
PFMERGE bar foo
PFMERGE foo bar
EXISTS bar
RPUSH list a
PFADD list a
PFCOUNT list
PFCOUNT nokey list
PFMERGE d list
PFMERGE list
SET int 12345678901234567890
PFADD int a
SET int 1234567890123456
PFCOUNT int
SET short HYLL
PFCOUNT short
SET hdr "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
PFCOUNT hdr
PFADD hdr a
PFMERGE hdr
PFCOUNT hdr hdr
PFDEBUG DECODE hdr
GET hdr
SET enc2 "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFCOUNT enc2
SET dense "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFCOUNT dense
PFADD dense a
# A SET copy of a sketch is a sketch (embstr here), and PFADD makes it raw as Redis's unsharing does.
PFADD src a b
GET src
SET copy "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80Fm\x80V\x0c\x80D<\x848\x80P\xb1\x84I\x8c\x80Bm\x80BZ"
OBJECT ENCODING copy
PFCOUNT copy
OBJECT ENCODING copy
GET copy
SET copy2 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80Fm\x80V\x0c\x80D<\x848\x80P\xb1\x84I\x8c\x80Bm\x80BZ"
PFADD copy2
OBJECT ENCODING copy2
PFCOUNT copy copy2
"#;

const CORRUPT: &str = r#"
PFADD hll a b c
APPEND hll hello
PFCOUNT hll
PFADD hll x
PFADD hll a
PFCOUNT hll hll
PFMERGE d hll
EXISTS d
PFDEBUG DECODE hll
PFDEBUG GETREG hll
PFDEBUG TODENSE hll
GET hll
DEL hll
PFADD hll a b c
SETRANGE hll 0 0123
PFCOUNT hll
PFADD hll a
DEL hll
PFADD hll a b c
SETRANGE hll 4 x
PFCOUNT hll
DEL hll
PFADD hll a b c
SETRANGE hll 4 "\x00"
PFCOUNT hll
PFDEBUG ENCODING hll
# A forged cached cardinality is answered as is.
DEL hll
PFADD hll a b c
SETRANGE hll 8 "\x39\x30\x00\x00\x00\x00\x00\x00"
PFCOUNT hll
PFCOUNT hll hll
SETRANGE hll 8 "\xff\xff\xff\xff\xff\xff\xff\x7f"
PFCOUNT hll
# Sparse opcodes covering too few or too many registers.
SET z "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"
PFCOUNT z
PFADD z a
PFADD z zz
GET z
PFCOUNT z z
SET z "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x00"
PFCOUNT z
PFADD z a
PFMERGE z
SET z "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
PFCOUNT z
PFADD z a
GET z
# (Not PFDEBUG DECODE z here: Redis left the last byte of its update in the string's terminator; see hll.rs.)
SET z "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80"
PFCOUNT z
PFCOUNT z z
PFMERGE m z
PFDEBUG TODENSE z
PFADD z a b c
GET z
SET z "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe\x00\x84"
PFCOUNT z z
PFDEBUG GETREG z
PFADD z a b c
GET z
SET z "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x40\x00\x7f\xfe"
PFADD z a
GET z
PFDEBUG DECODE z
SET z "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xfc\x7f\xfe"
PFCOUNT z
PFADD z a
GET z
PFDEBUG GETREG z
# Dense registers at 63 (more than a hash can give).
PFADD dd a
PFDEBUG TODENSE dd
SETRANGE dd 16 "\xff\xff\xff\xff\xff\xff"
SETRANGE dd 12300 "\xff\xff\xff\xff"
PFCOUNT dd
PFCOUNT dd dd
PFMERGE m dd
GET m
PFCOUNT m
PFADD m a b c
SETRANGE m 16 "\xff\xff\xff"
PFMERGE m2 m
PFCOUNT m2
"#;

const CONFIG: &str = r#"
CONFIG GET hll-sparse-max-bytes
CONFIG SET hll-sparse-max-bytes 30
CONFIG GET hll-sparse-max-bytes
PFADD h a
PFDEBUG ENCODING h
PFADD h b c d e f g
PFDEBUG ENCODING h
GET h
CONFIG SET hll-sparse-max-bytes 0
PFADD z a
PFDEBUG ENCODING z
CONFIG SET hll-sparse-max-bytes -1
CONFIG SET hll-sparse-max-bytes abc
CONFIG SET hll-sparse-max-bytes 1k
CONFIG GET hll-sparse-max-bytes
CONFIG SET hll-sparse-max-bytes 20
PFADD s a
PFDEBUG DECODE s
PFADD s b
PFDEBUG ENCODING s
CONFIG SET hll-sparse-max-bytes 3000
PFMERGE big s
PFDEBUG ENCODING big
"#;

const TX: &str = r#"
PFADD h a
PFCOUNT h
WATCH h
PFCOUNT h
MULTI
PING
EXEC
PFADD h b
WATCH h
PFCOUNT h
MULTI
PING
EXEC
WATCH h
PFCOUNT h h
PFDEBUG TODENSE h
MULTI
PING
EXEC
WATCH h
PFADD h b
MULTI
PING
EXEC
WATCH h
PFMERGE h
MULTI
PING
EXEC
MULTI
PFADD t 1 2 3
PFCOUNT t
PFMERGE t2 t
PFCOUNT t t2
PFADD t
PFCOUNT
EXEC
"#;

const META: &str = r#"
COMMAND INFO pfadd pfcount pfmerge pfdebug pfselftest
COMMAND DOCS pfadd
COMMAND DOCS pfcount
COMMAND DOCS pfmerge
COMMAND DOCS pfdebug
COMMAND DOCS pfselftest
COMMAND GETKEYS PFADD k a b
COMMAND GETKEYS PFCOUNT a b c
COMMAND GETKEYS PFMERGE d a b
COMMAND GETKEYS PFMERGE d
COMMAND GETKEYSANDFLAGS PFMERGE d a b
COMMAND GETKEYSANDFLAGS PFCOUNT a b
COMMAND GETKEYSANDFLAGS PFDEBUG GETREG k
COMMAND GETKEYSANDFLAGS PFADD k a
~ACL CAT hyperloglog
"#;

fn scripts() -> [(&'static str, &'static str); 7] {
    [
        ("basic", BASIC),
        ("debug", DEBUG),
        ("types", TYPES),
        ("corrupt", CORRUPT),
        ("config", CONFIG),
        ("tx", TX),
        ("meta", META),
    ]
}

#[test]
fn curated_scripts_match_redis() {
    if !have_redis() {
        return;
    }
    let mut pair = Pair::new(&[]);
    let mut diffs = Vec::new();
    for resp3 in [false, true] {
        for (name, script) in scripts() {
            diffs.extend(pair.script_with(name, script, &ScriptOpts { resp3, setup: HLL_SETUP, tilde: Some(sorted) }));
        }
    }
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// Random elements (binary, of varied lengths) added in batches of random size to keys at several
/// `hll-sparse-max-bytes`: after each batch PFCOUNT and the raw bytes agree, as do PFMERGE and PFCOUNT of
/// several keys.
#[test]
fn random_sets_match_redis() {
    if !have_redis() {
        return;
    }
    let pair = Pair::new(&[]);
    let (mut rc, mut fc) = (pair.redis.conn(), pair.fer.conn());
    let mut rng = Prng::new(0x4859_4c4c);
    let mut checks = 0;
    for (round, max_bytes) in ["3000", "200", "8000", "25", "3000", "100000"].iter().enumerate() {
        for c in [&mut rc, &mut fc] {
            c.cmd(&["FLUSHALL"]);
            c.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", max_bytes]);
        }
        let target = [30, 700, 3000, 12000, 40000, 2500][round];
        let keys = ["a", "b", "c"];
        let mut added = 0;
        while added < target {
            let key = *rng.pick(&keys);
            let n = 1 + rng.below(if added < 2000 { 40 } else { 400 });
            let mut args: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), key.as_bytes().to_vec()];
            for _ in 0..n {
                let len = rng.below(24);
                let mut e: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
                if rng.chance(50) {
                    e = format!("el:{}", rng.below(50_000)).into_bytes();
                }
                args.push(e);
            }
            added += n;
            let mut step: Vec<Vec<Vec<u8>>> = vec![args];
            step.push(vec![b"PFCOUNT".to_vec(), key.as_bytes().to_vec()]);
            step.push(vec![b"GET".to_vec(), key.as_bytes().to_vec()]);
            if rng.chance(10) {
                step.push(vec![b"PFCOUNT".to_vec(), b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
            }
            if rng.chance(5) {
                step.push(vec![b"PFMERGE".to_vec(), b"m".to_vec(), key.as_bytes().to_vec(), b"b".to_vec()]);
                step.push(vec![b"GET".to_vec(), b"m".to_vec()]);
                step.push(vec![b"PFCOUNT".to_vec(), b"m".to_vec()]);
            }
            if rng.chance(3) {
                step.push(vec![b"PFDEBUG".to_vec(), b"DECODE".to_vec(), key.as_bytes().to_vec()]);
            }
            for args in step {
                let (r, f) = (rc.cmd(&args), fc.cmd(&args));
                checks += 1;
                assert!(
                    r == f,
                    "max-bytes {max_bytes}, {added} elements: {}\n  redis:    {}\n  ferredis: {}",
                    display_args(&args[..args.len().min(3)]),
                    escape(&r[..r.len().min(300)]),
                    escape(&f[..f.len().min(300)])
                );
            }
        }
    }
    assert!(checks > 500);
}

/// Sketches with random bytes written over them (a few at random places, as Redis's own fuzz test does, plus
/// whole random tails); every command then answers the same on both servers and neither dies.
#[test]
fn corrupted_sketches_match_redis() {
    if !have_redis() {
        return;
    }
    let pair = Pair::new(&[]);
    let (mut rc, mut fc) = (pair.redis.conn(), pair.fer.conn());
    // HLL_SEED / HLL_ROUNDS widen the search by hand.
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let mut rng = Prng::new(env("HLL_SEED", 7));
    let mut skipped = 0;
    for round in 0..env("HLL_ROUNDS", 400) as usize {
        let mut script: Vec<Vec<Vec<u8>>> = vec![vec![b"DEL".to_vec(), b"h".to_vec(), b"m".to_vec()]];
        let n = [0, 3, 30, 300, 3000][round % 5] + rng.below(20);
        let mut add = vec![b"PFADD".to_vec(), b"h".to_vec()];
        add.extend((0..n).map(|i| format!("{round}:{i}").into_bytes()));
        script.push(add);
        let len = if n > 1500 { 12304 } else { 18 + 3 * n.min(400) };
        for _ in 0..1 + rng.below(5) {
            let pos = if rng.chance(50) { 16 + rng.below(len.saturating_sub(16).max(1)) } else { rng.below(len) };
            let bytes: Vec<u8> = (0..1 + rng.below(3)).map(|_| rng.next_u64() as u8).collect();
            script.push(vec![b"SETRANGE".to_vec(), b"h".to_vec(), pos.to_string().into_bytes(), bytes]);
        }
        if rng.chance(20) {
            let tail: Vec<u8> = (0..rng.below(8)).map(|_| rng.next_u64() as u8).collect();
            script.push(vec![b"APPEND".to_vec(), b"h".to_vec(), tail]);
        }
        script.push(vec![b"GET".to_vec(), b"h".to_vec()]);
        let probe_from = script.len();
        for cmd in [
            &["PFCOUNT", "h"][..],
            &["PFCOUNT", "h", "nokey"],
            &["PFADD", "h", "a", "b", "c", "d"],
            &["GET", "h"],
            &["PFMERGE", "m", "h"],
            &["GET", "m"],
            &["PFCOUNT", "h"],
            &["PFDEBUG", "DECODE", "h"],
            &["PFDEBUG", "ENCODING", "h"],
            &["PFDEBUG", "GETREG", "h"],
            &["GET", "h"],
        ] {
            script.push(cmd.iter().map(|s| s.as_bytes().to_vec()).collect());
        }
        for (i, args) in script.iter().enumerate() {
            let (r, f) = (rc.cmd(args), fc.cmd(args));
            // A sparse string whose last byte starts an XZERO: Redis reads (and an update writes) the byte past
            // its end, which ferredis does not keep (see keyspace/types/hll.rs); such rounds stop here.
            if i + 1 == probe_from && r == f && ends_in_cut_xzero(&r) {
                skipped += 1;
                break;
            }
            assert!(
                r == f,
                "round {round}: {}\n  redis:    {}\n  ferredis: {}\n  script: {}",
                display_args(&args[..args.len().min(4)]),
                escape(&r[..r.len().min(400)]),
                escape(&f[..f.len().min(400)]),
                script
                    .iter()
                    .take(8)
                    .map(|a| a.iter().take(30).map(|x| escape(x)).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
    }
    assert_eq!(fc.cmd(&["PING"]), b"+PONG\r\n");
    eprintln!("{skipped} rounds stopped at a cut XZERO");
}

/// Whether a GET reply holds a sparse sketch whose opcodes end with the first byte of an XZERO.
fn ends_in_cut_xzero(reply: &[u8]) -> bool {
    let Ok(Resp::Bulk(b)) = Resp::parse(reply) else { return false };
    if b.len() < 17 || b[4] != 1 {
        return false;
    }
    let mut p = 16;
    while p < b.len() {
        p += if b[p] & 0xc0 == 0x40 { 2 } else { 1 };
    }
    p > b.len()
}

#[test]
fn selftest_passes() {
    if !have_redis() {
        return;
    }
    let fer = Server::start(Kind::Ferredis, &[]);
    let mut c = fer.conn();
    // Unoptimized, on a loaded 2-core machine, the self test has taken 20 s and more (Redis's, optimized, ~1 s).
    c.set_read_timeout_ms(300_000);
    assert_eq!(c.cmd(&["PFSELFTEST"]), b"+OK\r\n");
}

/// Keyspace events of the PF commands, in order, as a subscriber sees them.
#[test]
fn keyspace_events_match_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "PFADD h",
        "PFADD h",
        "PFADD h a b",
        "PFADD h a",
        "PFCOUNT h",
        "PFCOUNT h h",
        "PFMERGE m h",
        "PFMERGE m",
        "PFMERGE n",
        "PFDEBUG TODENSE h",
        "PFDEBUG GETREG m",
        "SET s x",
        "PFADD s a",
        "DEL h",
    ];
    let run = |kind: Kind| {
        let s = Server::start(kind, &["--notify-keyspace-events", "KEA"]);
        let mut sub = s.conn();
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        c.cmd(&["PUBLISH", "__keyevent@0__:end", "x"]);
        let mut msgs = Vec::new();
        loop {
            let m = sub.read_reply().unwrap();
            let end = m.windows(3).any(|w| w == b"end");
            msgs.push(escape(&m));
            if end {
                break;
            }
        }
        msgs
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

fn incr_aof(dir: &Path) -> String {
    for e in std::fs::read_dir(dir.join("appendonlydir")).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".incr.aof") {
            return String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
        }
    }
    String::new()
}

/// What each server appends to its AOF for the same commands: PFCOUNT only when it stored a new cached value,
/// PFDEBUG only when it converted, PFADD only when something changed.
#[test]
fn propagation_matches_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "PFADD h",
        "PFADD h",
        "PFADD h a b c",
        "PFADD h a",
        "PFCOUNT h",
        "PFCOUNT h",
        "PFCOUNT h nokey",
        "PFCOUNT nokey",
        "PFMERGE m h",
        "PFMERGE m",
        "PFDEBUG ENCODING h",
        "PFDEBUG DECODE h",
        "PFDEBUG TODENSE h",
        "PFDEBUG TODENSE h",
        "PFDEBUG GETREG m",
        "PFDEBUG GETREG m",
        "PFADD h d",
        "PFCOUNT h",
        "SET s x",
        "PFADD s a",
        "PFMERGE s",
        "MULTI",
        "PFADD t 1",
        "PFCOUNT t",
        "PFCOUNT t",
        "EXEC",
    ];
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("hll-aof-{}", kind.label()));
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let aof = incr_aof(&dir.path);
        drop(s);
        aof
    };
    let f = run(Kind::Ferredis);
    let r = run(Kind::Redis);
    assert_eq!(f.replace("\r\n", " "), r.replace("\r\n", " "));
}

/// Commands that build sketches of every kind: sparse, dense, promoted, merged, with a stale and a valid cache,
/// and one damaged string.
const BUILD: &[&str] = &[
    "PFADD empty",
    "PFADD small a b c",
    "PFCOUNT small",
    "PFADD dense x",
    "PFDEBUG TODENSE dense",
    "PFMERGE merged small dense",
    "PFADD bad a b",
    "APPEND bad xyz",
];

fn build_big(c: &mut Conn, key: &str, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut args = vec!["PFADD".to_string(), key.to_string()];
        args.extend(chunk.iter().map(|i| format!("{key}-{i}")));
        c.cmd(&args);
    }
}

const KEYS: &[&str] = &["empty", "small", "dense", "merged", "bad", "big", "mid"];

/// GET, PFCOUNT and STRLEN of every key built by [`BUILD`].
fn readback(c: &mut Conn) -> Vec<String> {
    KEYS.iter()
        .flat_map(|k| [c.cmd(&["GET", k]), c.cmd(&["PFCOUNT", k]), c.cmd(&["PFDEBUG", "ENCODING", k])])
        .map(|r| escape(&r))
        .collect()
}

fn build(c: &mut Conn) {
    for l in BUILD {
        c.cmd(&split_args(l).unwrap());
    }
    build_big(c, "big", 20_000);
    build_big(c, "mid", 600);
}

/// Sketches saved by one server load in the other, in both directions, by RDB file and by AOF file, with the same
/// bytes, counts and DEBUG DIGEST; DUMP payloads restore across too.
#[test]
fn rdb_and_aof_move_both_ways() {
    if !have_redis() {
        return;
    }
    for (from, to) in [(Kind::Redis, Kind::Ferredis), (Kind::Ferredis, Kind::Redis)] {
        // RDB.
        let dir = TempDir::new(&format!("hll-rdb-{}", from.label()));
        let a = Server::start_in(from, &dir.path, &[]);
        let mut ac = a.conn();
        build(&mut ac);
        // The first readback stores fresh cached counts (PFCOUNT writes them); the second sees a settled state.
        readback(&mut ac);
        let (want, digest) = (readback(&mut ac), ac.cmd(&["DEBUG", "DIGEST"]));
        assert_eq!(ac.cmd(&["SAVE"]), b"+OK\r\n");
        let dumps: Vec<Vec<u8>> = KEYS.iter().map(|k| ac.cmd(&["DUMP", k])).collect();
        drop(ac);
        drop(a);
        let b = Server::start_in(to, &dir.path, &[]);
        let mut bc = b.conn();
        assert_eq!(bc.cmd(&["DEBUG", "DIGEST"]), digest, "{from:?} -> {to:?} by RDB");
        assert_eq!(readback(&mut bc), want, "{from:?} -> {to:?} by RDB");
        // DUMP payloads of the first server restore in the second.
        bc.cmd(&["FLUSHALL"]);
        for (k, d) in KEYS.iter().zip(&dumps) {
            let payload = Resp::parse(d).unwrap().as_bytes().unwrap().to_vec();
            assert_eq!(bc.cmd(&[&b"RESTORE"[..], k.as_bytes(), b"0", &payload]), b"+OK\r\n");
        }
        assert_eq!(bc.cmd(&["DEBUG", "DIGEST"]), digest, "{from:?} -> {to:?} by DUMP/RESTORE");
        assert_eq!(readback(&mut bc), want, "{from:?} -> {to:?} by DUMP/RESTORE");
        drop(bc);
        drop(b);
        // AOF, without the RDB preamble: the commands themselves replay on the other server.
        let dir = TempDir::new(&format!("hll-aof-move-{}", from.label()));
        let a = Server::start_in(from, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut ac = a.conn();
        build(&mut ac);
        readback(&mut ac);
        let (want, digest) = (readback(&mut ac), ac.cmd(&["DEBUG", "DIGEST"]));
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(ac);
        drop(a);
        let b = Server::start_in(to, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut bc = b.conn();
        assert_eq!(bc.cmd(&["DEBUG", "DIGEST"]), digest, "{from:?} -> {to:?} by AOF");
        assert_eq!(readback(&mut bc), want, "{from:?} -> {to:?} by AOF");
    }
}

fn repl_field(c: &mut Conn, name: &str) -> String {
    let text = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or("").trim().to_string()
}

/// A PF workload on a master reaches its replica with the same bytes and DEBUG DIGEST, ferredis to Redis and
/// Redis to ferredis (PFCOUNT's cached value and PFDEBUG's conversion travel too).
#[test]
fn replicas_stay_identical_both_ways() {
    if !have_redis() {
        return;
    }
    for (mk, rk) in [(Kind::Ferredis, Kind::Redis), (Kind::Redis, Kind::Ferredis)] {
        let master = Server::start(mk, &[]);
        let port = master.port.to_string();
        let replica = Server::start(rk, &["--replicaof", "127.0.0.1", &port]);
        let mut m = master.conn();
        let mut r = replica.conn();
        // Some data before the link: the full sync carries it.
        m.cmd(&["PFADD", "pre", "a", "b"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while repl_field(&mut r, "master_link_status") != "up" {
            assert!(std::time::Instant::now() < deadline, "{mk:?} -> {rk:?}: no link");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        build(&mut m);
        for l in ["PFCOUNT pre", "PFDEBUG TODENSE pre", "PFMERGE all small big mid", "PFCOUNT all"] {
            m.cmd(&split_args(l).unwrap());
        }
        loop {
            if repl_field(&mut m, "master_repl_offset") == repl_field(&mut r, "slave_repl_offset")
                && m.cmd(&["DEBUG", "DIGEST"]) == r.cmd(&["DEBUG", "DIGEST"])
            {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{mk:?} -> {rk:?}: digests differ");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        for k in ["pre", "all", "big", "bad"] {
            assert_eq!(escape(&r.cmd(&["GET", k])), escape(&m.cmd(&["GET", k])), "{mk:?} -> {rk:?}: {k}");
        }
    }
}
