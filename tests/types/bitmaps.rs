//! Bitmap commands (issue 30) against Debian's redis-server 7.0.15, reply bytes compared:
//!
//! - curated scripts of SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD / BITFIELD_RO with every option and
//!   the bad inputs Redis refuses (offsets negative, malformed or past `proto-max-bulk-len`, `#` offsets, field
//!   types out of range, OVERFLOW names, BITOP NOT with several sources, wrong types, syntax errors), on every
//!   string encoding (int, embstr, raw), in RESP2 and RESP3, with OBJECT ENCODING, STRLEN and DEBUG DIGEST after
//!   the writes, MULTI, scripts and COMMAND GETKEYSANDFLAGS;
//! - seeded random runs over random offsets, ranges, units, field types and overflow modes;
//! - `dirty` counting (`rdb_changes_since_last_save`), keyspace events (`setbit`, BITOP's `set` / `del`) and the
//!   AOF each server writes for the same commands (a BITFIELD of GETs is not propagated);
//! - `maxmemory`: the writers are refused with Redis's OOM error once memory is over the limit, as in Redis;
//! - bitmap values moving both ways through RDB files, AOF files and replication, with equal DEBUG DIGEST.
//!
//! Without /usr/bin/redis-server the tests print "skipped" and pass.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

const SETBIT_GETBIT: &str = r#"
SETBIT b 0 1
SETBIT b 0 1
SETBIT b 7 1
SETBIT b 15 0
GET b
STRLEN b
OBJECT ENCODING b
SETBIT b 100 1
STRLEN b
GET b
GETBIT b 0
GETBIT b 1
GETBIT b 7
GETBIT b 100
GETBIT b 101
GETBIT b 1000000
GETBIT nokey 0
GETBIT nokey 4294967295
GETBIT nokey 4294967296
GETBIT b -1
GETBIT b abc
GETBIT b 1.5
GETBIT b ""
GETBIT b " 1"
GETBIT b +1
GETBIT b 01
GETBIT b 9223372036854775807
GETBIT b 9223372036854775808
GETBIT b #1
SETBIT b -1 1
SETBIT b abc 1
SETBIT b 4294967296 1
SETBIT b 4294967295 2
SETBIT b 9223372036854775807 1
SETBIT b 1 2
SETBIT b 1 -1
SETBIT b 1 abc
SETBIT b 1 ""
SETBIT b 1 1.0
SETBIT b 1 01
SETBIT b 1 9223372036854775808
SETBIT b #1 1
SETBIT b
SETBIT b 1
GETBIT b
GET b
# Every encoding: int, embstr, raw, and a raw value with spare room.
SET i 1234
OBJECT ENCODING i
GETBIT i 0
GETBIT i 2
GETBIT i 3
GETBIT i 31
GETBIT i 32
SET neg -7
GETBIT neg 2
GETBIT neg 4
SETBIT i 1 1
OBJECT ENCODING i
GET i
SET i 1234
SETBIT i 2 1
OBJECT ENCODING i
GET i
SET e hello
OBJECT ENCODING e
SETBIT e 2 0
OBJECT ENCODING e
GET e
SET e2 hello
SETBIT e2 90 1
GET e2
STRLEN e2
APPEND r xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
SETBIT r 0 0
SETBIT r 600 1
STRLEN r
GET r
SETBIT r 10000 1
STRLEN r
SET e ""
SETBIT e 0 0
GET e
SETBIT big 8000000 1
STRLEN big
GETBIT big 8000000
GETBIT big 7999999
SETBIT ttl 1 1
EXPIRE ttl 100
SETBIT ttl 200 1
TTL ttl
LPUSH list a
SETBIT list 0 1
GETBIT list 0
HSET h f v
GETBIT h 0
DEBUG DIGEST
"#;

const BITCOUNT_BITPOS: &str = r#"
SET s foobar
BITCOUNT s
BITCOUNT s 0 -1
BITCOUNT s 1 -2
BITCOUNT s -2 1
BITCOUNT s 0 1000
BITCOUNT s -1000 1000
BITCOUNT s 0 0
BITCOUNT s 1 1
BITCOUNT s 5 30
BITCOUNT s 6 6
BITCOUNT s -6 -7
BITCOUNT s -6 -7 foo
BITCOUNT s -7 -6
BITCOUNT s 0 -1 BIT
BITCOUNT s 0 -1 bit
BITCOUNT s 0 -1 BYTE
BITCOUNT s 0 -1 byte
BITCOUNT s 5 30 BIT
BITCOUNT s 1 1 BIT
BITCOUNT s 1 2 BIT
BITCOUNT s 7 8 BIT
BITCOUNT s 3 3 BIT
BITCOUNT s 0 47 BIT
BITCOUNT s 0 48 BIT
BITCOUNT s 47 47 BIT
BITCOUNT s -1 -1 BIT
BITCOUNT s -9 -2 BIT
BITCOUNT s -100 -47 BIT
BITCOUNT s 40 30 BIT
BITCOUNT s -6 -15 BIT
BITCOUNT s 0
BITCOUNT s 0 1 hello
BITCOUNT s 0 1 BIT extra
BITCOUNT s a 1
BITCOUNT s 0 b
BITCOUNT s 0 b hello
BITCOUNT s 0 4294967296
BITCOUNT s 9223372036854775807 9223372036854775807
BITCOUNT s -9223372036854775808 9223372036854775807 BIT
BITCOUNT s -9223372036854775808 -9223372036854775808
BITCOUNT nokey
BITCOUNT nokey 0 1000 BIT
BITCOUNT nokey 0
BITCOUNT nokey a b c
SET i 255
BITCOUNT i
BITCOUNT i 1 1
BITCOUNT i 2 9 BIT
SET empty ""
BITCOUNT empty
BITCOUNT empty 0 -1
BITCOUNT empty 0 -1 BIT
BITPOS empty 0
BITPOS empty 1
BITPOS empty 0 0
BITPOS empty 0 0 -1 BIT
LPUSH list a
BITCOUNT list
BITCOUNT list 0
BITPOS list 1
BITPOS list 2
SET z "\x00\x00\x00"
BITPOS z 0
BITPOS z 1
BITPOS z 1 1
BITPOS z 0 1
BITPOS z 0 5
SET f "\xff\xff\xff"
BITPOS f 0
BITPOS f 0 0
BITPOS f 0 0 -1
BITPOS f 0 0 -1 BIT
BITPOS f 0 0 -1 BYTE
BITPOS f 1
BITPOS f 1 1
BITPOS f 1 10 20 BIT
BITPOS f 0 10 20 BIT
BITPOS f 0 3
BITPOS f 0 -1
BITPOS f 0 -1 -1
SET m "\x00\xff\xf0\x0f\x00"
BITPOS m 1
BITPOS m 0
BITPOS m 1 2
BITPOS m 0 1
BITPOS m 0 1 1
BITPOS m 0 1 2
BITPOS m 1 -2
BITPOS m 1 -2 -1
BITPOS m 1 3 7 BIT
BITPOS m 1 9 15 BIT
BITPOS m 0 9 15 BIT
BITPOS m 0 9 23 BIT
BITPOS m 0 9 20 BIT
BITPOS m 1 20 27 BIT
BITPOS m 1 20 28 BIT
BITPOS m 0 28 31 BIT
BITPOS m 0 31 33 BIT
BITPOS m 1 33 39 BIT
BITPOS m 0 33 39 BIT
BITPOS m 0 38 100 BIT
BITPOS m 0 39 39 BIT
BITPOS m 1 -8 -1 BIT
BITPOS m 1 -9 -1 BIT
BITPOS m 1 -100 -1 BIT
BITPOS m 1 5 3 BIT
BITPOS m 1 -1 -5 BIT
BITPOS m 1 0 -1 bit
BITPOS m 1 0 -1 byte
BITPOS m 1 0 -1 foo
BITPOS m 1 0 foo BIT
BITPOS m 1 foo
BITPOS m 1 0 foo
BITPOS m 1 0 -1 BIT extra
BITPOS m 2
BITPOS m -1
BITPOS m abc
BITPOS m 01
BITPOS m ""
BITPOS nokey 0
BITPOS nokey 1
BITPOS nokey 2
BITPOS nokey 1 foo bar baz qux
BITPOS nokey 0 0 -1 BIT
SET i 12
BITPOS i 1
BITPOS i 0
BITPOS i 1 1
BITPOS i 0 8 10 BIT
SET long "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
BITPOS long 1
BITPOS long 1 3
BITPOS long 1 3 22
BITPOS long 1 3 -1 BYTE
BITPOS long 0 10
BITPOS long 1 1 190 BIT
BITPOS long 1 1 191 BIT
BITCOUNT long 1 -1
BITCOUNT long 1 191 BIT
BITCOUNT long 1 190 BIT
"#;

const BITOP: &str = r#"
SET a foobar
SET b abcdef
SET c 123
SET e ""
BITOP AND d a b
GET d
OBJECT ENCODING d
STRLEN d
BITOP OR d a b
GET d
BITOP XOR d a b
GET d
BITOP NOT d a
GET d
BITOP and d a b c
GET d
BITOP or d a c
GET d
BITOP xor d a c nokey
GET d
BITOP AND d a nokey
GET d
BITOP OR d nokey a
GET d
BITOP NOT d c
GET d
BITOP NOT d e
EXISTS d
SET d x
BITOP AND d nokey nokey2
EXISTS d
BITOP AND d nokey
BITOP NOT d nokey
BITOP NOT d a b
BITOP NOT d
BITOP NOT
BITOP FOO d a
BITOP ANDX d a
BITOP "" d a
BITOP AND d
LPUSH list x
BITOP AND d a list
BITOP AND d list nokey
BITOP AND list a
TYPE list
GET list
SET t v EX 100
BITOP OR t a
TTL t
GET t
BITOP AND a a b
GET a
BITOP OR a a
GET a
BITOP XOR x e e
EXISTS x
SET long1 "0123456789abcdef0123456789abcdef0123456789abcdefXYZ"
SET long2 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
BITOP AND d long1 long2
GET d
BITOP OR d long1 long2 a
GET d
BITOP XOR d long2 long1 b c
GET d
BITOP NOT d long2
GET d
BITOP AND d long1 long2 long1 long2 long1 long2 long1 long2 long1 long2 long1 long2 long1 long2 long1 long2 long1 long2
GET d
SET n1 -12
SET n2 9999
BITOP XOR d n1 n2
GET d
DEBUG DIGEST
"#;

const BITFIELD: &str = r#"
BITFIELD bits SET i8 0 -100
BITFIELD bits SET i8 0 101
BITFIELD bits GET i8 0
BITFIELD bits GET u8 0
BITFIELD bits SET u8 0 255 INCRBY u8 0 100 GET u8 0
BITFIELD bits
BITFIELD_RO bits
BITFIELD nokey
BITFIELD nokey GET u8 0 GET i64 100
BITFIELD_RO nokey GET i16 #3
BITFIELD bits SET u8 #0 65 SET u8 #1 66 SET u8 #2 67
GET bits
BITFIELD bits GET u8 #1 GET u8 #2 GET u8 #100 GET i4 #3 GET u3 #5
BITFIELD bits get u8 #1 set u8 #1 0 incrby u8 #1 -1 overflow sat incrby u8 #1 -1 overflow fail incrby u8 #1 10
BITFIELD bits OVERFLOW WRAP INCRBY u8 0 257 OVERFLOW SAT INCRBY u8 0 257 OVERFLOW FAIL INCRBY u8 0 257 GET u8 0
BITFIELD bits overflow wrap incrby i8 0 257 overflow sat incrby i8 0 -257 overflow fail incrby i8 0 -1 get i8 0
BITFIELD bits SET i64 0 -1 GET i64 0 GET u63 0 GET u63 1 GET i64 1
BITFIELD bits SET i64 0 9223372036854775807 INCRBY i64 0 1 GET i64 0
BITFIELD bits OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1 INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -9223372036854775808
BITFIELD bits OVERFLOW FAIL SET i64 0 -9223372036854775808 INCRBY i64 0 -1 INCRBY i64 0 1 GET i64 0
BITFIELD bits OVERFLOW WRAP SET u63 0 9223372036854775807 INCRBY u63 0 1 GET u63 0
BITFIELD bits OVERFLOW SAT SET u63 0 -1 INCRBY u63 0 -9223372036854775808 INCRBY u63 0 9223372036854775807 INCRBY u63 0 9223372036854775807
BITFIELD bits OVERFLOW FAIL SET u8 0 256 SET u8 0 -1 SET i8 0 128 SET i8 0 -129 SET i8 0 -128 GET i8 0
BITFIELD bits OVERFLOW WRAP SET u8 0 256 SET u8 0 -1 SET i8 0 128 SET i8 0 -129 GET i8 0
BITFIELD bits OVERFLOW SAT SET u8 0 256 SET u8 0 -1 SET i8 0 128 SET i8 0 -129 GET i8 0
BITFIELD bits OVERFLOW SAT SET u1 0 5 SET i1 0 5 SET i1 0 -5 GET i1 0 GET u1 0
BITFIELD bits SET i5 3 -3 GET i5 3 GET u5 3 SET u13 17 8191 GET u13 17 GET i13 17 GET u7 20
BITFIELD bits INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1
BITFIELD bits INCRBY i3 200 1 INCRBY i3 200 1 INCRBY i3 200 1 INCRBY i3 200 1 INCRBY i3 200 1
BITFIELD bits GET u64 0
BITFIELD bits GET i65 0
BITFIELD bits GET i0 0
BITFIELD bits GET u0 0
BITFIELD bits GET i-1 0
BITFIELD bits GET x8 0
BITFIELD bits GET I8 0
BITFIELD bits GET U8 0
BITFIELD bits GET 8 0
BITFIELD bits GET i 0
BITFIELD bits GET "" 0
BITFIELD bits GET i08 0
BITFIELD bits GET i8 -1
BITFIELD bits GET i8 #-1
BITFIELD bits GET i8 abc
BITFIELD bits GET i8 #
BITFIELD bits GET i8 ##1
BITFIELD bits GET i8 4294967296
BITFIELD bits GET i8 4294967295
BITFIELD bits GET i8 #536870911
BITFIELD bits GET u32 #134217728
BITFIELD bits GET u32 #134217727
BITFIELD bits GET i64 #144115188075855872
BITFIELD bits GET i64 #144115188075855871
BITFIELD bits GET i64 #288230376151711745
BITFIELD bits SET i8 0
BITFIELD bits SET i8 0 abc
BITFIELD bits SET i8 0 1.5
BITFIELD bits SET i8 0 9223372036854775808
BITFIELD bits INCRBY i8 0
BITFIELD bits INCRBY i8 0 x
BITFIELD bits GET i8
BITFIELD bits GET
BITFIELD bits FOO
BITFIELD bits FOO i8 0
BITFIELD bits OVERFLOW
BITFIELD bits OVERFLOW FOO GET i8 0
BITFIELD bits OVERFLOW wrap
BITFIELD bits overflow sat get i8 0
BITFIELD bits GET i8 0 FOO
BITFIELD bits GET i8 0 SET i8 0
BITFIELD bits SET u64 0 1
BITFIELD bits SET i8 -1 1
BITFIELD_RO bits GET i8 0 GET u4 3
BITFIELD_RO bits GET i8 0 SET i8 0 1
BITFIELD_RO bits SET i8 0 1
BITFIELD_RO bits INCRBY i8 0 1
BITFIELD_RO bits OVERFLOW SAT GET i8 0
BITFIELD_RO bits OVERFLOW SAT
BITFIELD_RO bits FOO
BITFIELD_RO bits GET u64 0
BITFIELD_RO bits SET u64 0 1
GET bits
STRLEN bits
OBJECT ENCODING bits
SET i 1234
BITFIELD i GET u8 0 GET u16 8 GET i32 0
OBJECT ENCODING i
BITFIELD_RO i GET u8 #3 GET u8 #4
OBJECT ENCODING i
BITFIELD i SET u8 #0 57
OBJECT ENCODING i
GET i
SET e hello
BITFIELD e OVERFLOW FAIL INCRBY u8 0 1000
OBJECT ENCODING e
GET e
BITFIELD new OVERFLOW FAIL INCRBY u8 0 1000
EXISTS new
GET new
BITFIELD new2 OVERFLOW FAIL SET u8 800 1000
STRLEN new2
BITFIELD grow SET u8 0 1 SET u8 100 0
STRLEN grow
LPUSH list a
BITFIELD list GET u8 0
BITFIELD list SET u8 0 1
BITFIELD_RO list GET u8 0
BITFIELD list FOO
BITFIELD list GET u64 0
BITFIELD list SET u8 -1 1
BITFIELD_RO list SET u8 0 1
SET t v EX 100
BITFIELD t SET u8 0 1
TTL t
BITFIELD bits SET i8 #4294967296 1
BITFIELD bits SET i8 4294967296 1
DEBUG DIGEST
"#;

const AROUND: &str = r#"
COMMAND GETKEYSANDFLAGS BITFIELD k GET u8 0
COMMAND GETKEYSANDFLAGS BITFIELD k GET u8 0 SET u8 0 1
COMMAND GETKEYSANDFLAGS BITFIELD k OVERFLOW SAT GET u8 0
COMMAND GETKEYSANDFLAGS BITFIELD k INCRBY u8 0 1
COMMAND GETKEYSANDFLAGS BITFIELD k FOO
COMMAND GETKEYSANDFLAGS BITFIELD k
COMMAND GETKEYSANDFLAGS BITFIELD_RO k GET u8 0
COMMAND GETKEYSANDFLAGS BITOP AND d a b c
COMMAND GETKEYSANDFLAGS SETBIT k 0 1
COMMAND GETKEYS BITOP NOT d a
COMMAND GETKEYS BITCOUNT k 0 1
COMMAND GETKEYS BITPOS k 1
COMMAND INFO setbit getbit bitcount bitpos bitop bitfield bitfield_ro
MULTI
SETBIT m 3 1
BITFIELD m GET u8 0 INCRBY u4 0 3
BITCOUNT m
BITPOS m 1
BITOP NOT m2 m
BITFIELD_RO m2 GET u8 0
EXEC
MULTI
SETBIT m 3 5
BITCOUNT m
EXEC
MULTI
BITOP NOT m a b
EXEC
EVAL "return redis.call('setbit', KEYS[1], 5, 1)" 1 m
EVAL "return redis.call('bitfield', KEYS[1], 'get', 'u8', 0, 'incrby', 'i4', 4, -9)" 1 m
EVAL "return redis.call('bitfield_ro', KEYS[1], 'get', 'u8', 0)" 1 m
EVAL "return redis.pcall('bitfield_ro', KEYS[1], 'set', 'u8', 0, 1)" 1 m
EVAL "return redis.pcall('setbit', KEYS[1], -1, 1)" 1 m
EVAL "return redis.call('bitop', 'or', KEYS[1], KEYS[2])" 2 m3 m
EVAL "return {redis.call('bitcount', KEYS[1]), redis.call('bitpos', KEYS[1], 0)}" 1 m3
EVAL_RO "return redis.call('bitfield', KEYS[1], 'get', 'u8', 0)" 1 m
EVAL_RO "return redis.pcall('setbit', KEYS[1], 0, 1)" 1 m
EVAL_RO "return redis.call('bitfield_ro', KEYS[1], 'get', 'u8', 0)" 1 m
COPY m mc
BITCOUNT mc
OBJECT ENCODING mc
RENAME mc md
GETBIT md 3
DEBUG DIGEST-VALUE m m2 m3 md
DEBUG DIGEST
"#;

fn scripts() -> [(&'static str, &'static str); 5] {
    [
        ("setbit-getbit", SETBIT_GETBIT),
        ("bitcount-bitpos", BITCOUNT_BITPOS),
        ("bitop", BITOP),
        ("bitfield", BITFIELD),
        ("around", AROUND),
    ]
}

#[test]
fn curated_scripts_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let mut diffs = Vec::new();
    for (name, script) in scripts() {
        diffs.extend(p.script(name, script));
        diffs.extend(p.script(&format!("{name}-resp3"), &format!("!HELLO 3\n{script}")));
    }
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// A smaller `proto-max-bulk-len`: the offset limit follows it (and BITOP / SETRANGE growth past it).
#[test]
fn offset_limit_follows_proto_max_bulk_len() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&["--proto-max-bulk-len", "1048576"]);
    let script = r#"
SETBIT k 8388607 1
STRLEN k
SETBIT k 8388608 1
GETBIT k 8388608
GETBIT k 8388607
BITFIELD k SET u8 8388600 1
BITFIELD k SET u8 8388601 1
BITFIELD k GET u8 #1048575
BITFIELD k GET u8 #1048576
BITFIELD k GET u1 #8388607
BITFIELD k GET u1 #8388608
BITFIELD k GET u16 #524287
BITFIELD k SET u16 #524287 65535
STRLEN k
BITCOUNT k
BITPOS k 1
BITPOS k 1 -1
CONFIG SET proto-max-bulk-len 2097152
SETBIT k 8388608 1
STRLEN k
BITCOUNT k -2 -1
"#;
    let diffs = p.script("proto-max-bulk-len", script);
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// A random command over the bitmap keys.
fn random_command(g: &mut Prng) -> Vec<String> {
    const KEYS: &[&str] = &["b0", "b1", "b2", "b3", "n", "nokey"];
    let key = |g: &mut Prng| g.pick(KEYS).to_string();
    // Offsets: mostly near the data, sometimes far, sometimes malformed.
    let offset = |g: &mut Prng| -> String {
        match g.below(20) {
            0..=11 => g.below(80).to_string(),
            12..=15 => g.below(2000).to_string(),
            16 => g.below(200_000).to_string(),
            17 => "-1".into(),
            18 => format!("#{}", g.below(40)),
            _ => g.pick(&["abc", "4294967296", "", "9223372036854775807", "#-1"]).to_string(),
        }
    };
    let index = |g: &mut Prng| -> String {
        match g.below(10) {
            0..=5 => g.below(40).to_string(),
            6..=8 => format!("-{}", g.below(40)),
            _ => g.pick(&["0", "-1", "9223372036854775807", "-9223372036854775808", "x"]).to_string(),
        }
    };
    let unit = |g: &mut Prng| g.pick(&["BIT", "BYTE", "bit", "BYTE", "BIT", "nope"]).to_string();
    let ftype = |g: &mut Prng| -> String {
        match g.below(12) {
            0..=4 => format!("u{}", g.below(63) + 1),
            5..=9 => format!("i{}", g.below(64) + 1),
            10 => g.pick(&["u8", "i8", "u1", "i1", "i64", "u63", "i16", "u16"]).to_string(),
            _ => g.pick(&["u64", "i65", "i0", "x8", ""]).to_string(),
        }
    };
    let value = |g: &mut Prng| -> String {
        match g.below(8) {
            0..=3 => (g.below(600) as i64 - 300).to_string(),
            4 => (g.next_u64() as i64).to_string(),
            5 => ((g.next_u64() >> g.below(64)) as i64).to_string(),
            6 => g.pick(&["9223372036854775807", "-9223372036854775808", "0", "-1", "1"]).to_string(),
            _ => g.pick(&["255", "256", "-129", "127", "128", "65535", "abc"]).to_string(),
        }
    };
    let mut c: Vec<String> = Vec::new();
    match g.below(100) {
        0..=19 => {
            let bit = if g.chance(95) { g.below(2).to_string() } else { "2".into() };
            c.extend(["SETBIT".into(), key(g), offset(g), bit]);
        }
        20..=29 => c.extend(["GETBIT".into(), key(g), offset(g)]),
        30..=41 => {
            c.extend(["BITCOUNT".into(), key(g)]);
            if g.chance(80) {
                c.extend([index(g), index(g)]);
                if g.chance(60) {
                    c.push(unit(g));
                }
            }
        }
        42..=55 => {
            let bit = if g.chance(95) { g.below(2).to_string() } else { "-1".into() };
            c.extend(["BITPOS".into(), key(g), bit]);
            if g.chance(80) {
                c.push(index(g));
                if g.chance(70) {
                    c.push(index(g));
                    if g.chance(60) {
                        c.push(unit(g));
                    }
                }
            }
        }
        56..=63 => {
            let op = g.pick(&["AND", "OR", "XOR", "NOT", "and", "not"]).to_string();
            c.extend(["BITOP".into(), op.clone(), key(g)]);
            let n = if op.eq_ignore_ascii_case("not") && g.chance(90) { 1 } else { 1 + g.below(3) };
            for _ in 0..n {
                c.push(key(g));
            }
        }
        64..=85 => {
            let ro = g.chance(20);
            c.extend([if ro { "BITFIELD_RO" } else { "BITFIELD" }.into(), key(g)]);
            for _ in 0..g.below(4) + 1 {
                match g.below(10) {
                    0..=3 => c.extend(["GET".into(), ftype(g), offset(g)]),
                    4..=5 => c.extend(["SET".into(), ftype(g), offset(g), value(g)]),
                    6..=7 => c.extend(["INCRBY".into(), ftype(g), offset(g), value(g)]),
                    8 => c.extend(["OVERFLOW".into(), g.pick(&["WRAP", "SAT", "FAIL", "sat", "fail"]).to_string()]),
                    _ => c.push(g.pick(&["OVERFLOW", "GET", "FOO"]).to_string()),
                }
            }
        }
        86..=89 => c.extend(["GET".into(), key(g)]),
        90..=92 => {
            c.extend(["SET".into(), key(g), g.pick(&["12", "-3", "", "abc", "\u{7f}\u{1}", "9999999999"]).to_string()])
        }
        93 => c.extend(["INCRBY".into(), "n".into(), value(g)]),
        94 => c.extend(["APPEND".into(), key(g), "xy".into()]),
        95 => c.extend(["SETRANGE".into(), key(g), g.below(50).to_string(), "\u{ff}z".into()]),
        96 => c.extend(["DEL".into(), key(g)]),
        97 => c.extend(["LPUSH".into(), "nokey".into(), "x".into()]),
        98 => c.extend(["STRLEN".into(), key(g)]),
        _ => c.extend(["OBJECT".into(), "ENCODING".into(), key(g)]),
    }
    c
}

/// Seeded random runs over random offsets, ranges, units, field types and overflow modes, in RESP2 and RESP3.
#[test]
fn random_runs_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let seeds: Vec<u64> = match std::env::var("BITMAP_SEED") {
        Ok(s) => vec![s.parse().expect("BITMAP_SEED")],
        Err(_) => (1..=6).collect(),
    };
    let mut diffs = Vec::new();
    for seed in seeds {
        let mut g = Prng::new(seed);
        let mut lines: Vec<Vec<Vec<u8>>> = Vec::new();
        if seed % 2 == 0 {
            lines.push(vec![b"HELLO".to_vec(), b"3".to_vec()]);
        }
        for _ in 0..1500 {
            lines.push(random_command(&mut g).into_iter().map(String::into_bytes).collect());
        }
        for k in ["b0", "b1", "b2", "b3", "n"] {
            lines.push(vec![b"GET".to_vec(), k.as_bytes().to_vec()]);
        }
        lines.push(vec![b"DEBUG".to_vec(), b"DIGEST".to_vec()]);
        let compared: Vec<bool> = lines.iter().map(|l| l[0] != b"HELLO").collect();
        diffs.extend(p.script_args(&format!("seed {seed}"), &lines, &compared));
    }
    assert!(diffs.is_empty(), "{} differences (first 20):\n{}", diffs.len(), diffs[..diffs.len().min(20)].join("\n"));
}

/// Random bitmaps of a few KB: BITCOUNT and BITPOS over random ranges in both units, word-sized runs included.
#[test]
fn random_ranges_over_long_bitmaps_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let mut diffs = Vec::new();
    for seed in 1..=3u64 {
        let mut g = Prng::new(seed * 7919);
        let mut lines: Vec<Vec<Vec<u8>>> = Vec::new();
        // Runs of 0x00 and 0xff bytes (whole words to skip) with random bytes between.
        let mut v = Vec::new();
        while v.len() < 5000 {
            let run = g.below(70);
            let b = match g.below(3) {
                0 => 0u8,
                1 => 0xff,
                _ => g.next_u64() as u8,
            };
            v.extend(std::iter::repeat_n(b, run));
            v.push(g.next_u64() as u8);
        }
        lines.push(vec![b"SET".to_vec(), b"v".to_vec(), v.clone()]);
        let len = v.len() as i64;
        for _ in 0..600 {
            let bits = g.chance(50);
            let total = if bits { len * 8 } else { len };
            let idx = |g: &mut Prng| -> i64 {
                let x = g.below((total + 20) as usize) as i64 - 10;
                if g.chance(25) {
                    x - total
                } else {
                    x
                }
            };
            let (s, e) = (idx(&mut g), idx(&mut g));
            let unit: &[u8] = if bits { b"BIT" } else { b"BYTE" };
            let cmd = match g.below(3) {
                0 => vec![
                    b"BITCOUNT".to_vec(),
                    b"v".to_vec(),
                    s.to_string().into_bytes(),
                    e.to_string().into_bytes(),
                    unit.to_vec(),
                ],
                1 => vec![
                    b"BITPOS".to_vec(),
                    b"v".to_vec(),
                    g.below(2).to_string().into_bytes(),
                    s.to_string().into_bytes(),
                    e.to_string().into_bytes(),
                    unit.to_vec(),
                ],
                _ => vec![
                    b"BITPOS".to_vec(),
                    b"v".to_vec(),
                    g.below(2).to_string().into_bytes(),
                    s.to_string().into_bytes(),
                ],
            };
            lines.push(cmd);
            if g.chance(5) {
                let off = g.below(v.len() * 8).to_string().into_bytes();
                lines.push(vec![b"SETBIT".to_vec(), b"v".to_vec(), off, g.below(2).to_string().into_bytes()]);
            }
        }
        lines.push(vec![b"BITCOUNT".to_vec(), b"v".to_vec()]);
        let compared = vec![true; lines.len()];
        diffs.extend(p.script_args(&format!("long seed {seed}"), &lines, &compared));
    }
    assert!(diffs.is_empty(), "{} differences (first 20):\n{}", diffs.len(), diffs[..diffs.len().min(20)].join("\n"));
}

/// `rdb_changes_since_last_save` after each write: SETBIT and BITFIELD count only changes (or a created or grown
/// string), BITFIELD INCRBY always, BITOP one per destination written or deleted.
#[test]
fn dirty_counts_match_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "SETBIT a 0 0",
        "SETBIT a 0 0",
        "SETBIT a 0 1",
        "SETBIT a 0 1",
        "SETBIT a 90 0",
        "BITFIELD f SET i5 0 0",
        "BITFIELD f SET i5 0 0",
        "BITFIELD f SET i5 0 1 SET i5 0 1 SET u4 #3 2",
        "BITFIELD f INCRBY i5 0 1 INCRBY i5 0 0",
        "BITFIELD f INCRBY u4 0 0",
        "BITFIELD f OVERFLOW FAIL INCRBY u4 0 100",
        "BITFIELD g OVERFLOW FAIL INCRBY u4 0 100",
        "BITFIELD f GET u4 0",
        "BITFIELD f SET u4 900 0",
        "BITOP NOT d a",
        "BITOP NOT d a",
        "BITOP AND d nokey",
        "BITOP AND d nokey",
        "SETBIT a -1 1",
        "BITFIELD f SET u64 0 1",
    ];
    let run = |kind: Kind| -> Vec<String> {
        let s = Server::start(kind, &[]);
        let mut c = s.conn();
        script
            .iter()
            .map(|l| {
                c.cmd(&split_args(l).unwrap());
                format!("{l}: {}", info_field(&mut c, "persistence", "rdb_changes_since_last_save"))
            })
            .collect()
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

/// Keyspace events of the bitmap commands, in order, as a subscriber sees them.
#[test]
fn keyspace_events_match_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "SETBIT k 1 1",
        "SETBIT k 1 1",
        "SETBIT k 100 0",
        "BITFIELD k SET u8 0 1 GET u8 0",
        "BITFIELD k SET u8 0 1",
        "BITFIELD k GET u8 0",
        "BITFIELD_RO k GET u8 0",
        "BITFIELD k OVERFLOW FAIL INCRBY u8 0 1000",
        "BITFIELD new OVERFLOW FAIL INCRBY u8 0 1000",
        "BITOP NOT d k",
        "BITOP AND d nokey",
        "BITOP AND d nokey",
        "SET e 12",
        "BITOP OR e k",
        "GETBIT k 1",
        "BITCOUNT k",
        "BITPOS k 1",
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

/// The commands of one propagation scenario.
const PROPAGATED: &[&str] = &[
    "SETBIT k 1 1",
    "SETBIT k 1 1",
    "SETBIT k 1 0",
    "GETBIT k 1",
    "BITCOUNT k",
    "BITPOS k 0",
    "BITFIELD k GET u8 0",
    "BITFIELD_RO k GET u8 0",
    "BITFIELD k SET u8 0 7 GET u8 0",
    "BITFIELD k SET u8 0 7",
    "BITFIELD k OVERFLOW FAIL INCRBY u8 0 1000",
    "BITFIELD k OVERFLOW SAT INCRBY u8 0 1000",
    "BITFIELD n OVERFLOW FAIL INCRBY u8 0 1000",
    "BITFIELD k INCRBY i4 #3 -9",
    "BITOP NOT d k",
    "BITOP AND d nokey",
    "BITOP AND d nokey",
    "SETBIT k -1 1",
    "MULTI",
    "SETBIT m 9 1",
    "BITFIELD m GET u8 0",
    "BITOP OR m2 m k",
    "EXEC",
];

/// [`PROPAGATED`] without its BITFIELD that creates a key but changes nothing (OVERFLOW FAIL): Redis keeps that
/// key on the server and propagates nothing, so a replica or a reloaded AOF has no such key, in Redis too.
fn moved_workload() -> impl Iterator<Item = &'static &'static str> {
    PROPAGATED.iter().filter(|l| !l.starts_with("BITFIELD n "))
}

/// What each server appends to its AOF for the same commands: a BITFIELD of GETs, a write that changed nothing
/// and a refused command leave nothing.
#[test]
fn propagation_matches_redis() {
    if !have_redis() {
        return;
    }
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("bitmaps-aof-{}", kind.label()));
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut c = s.conn();
        for l in PROPAGATED {
            c.cmd(&split_args(l).unwrap());
        }
        std::thread::sleep(Duration::from_millis(300));
        let mut aof = String::new();
        for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".incr.aof") {
                aof = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            }
        }
        aof.replace("\r\n", " ")
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

/// Bitmaps made by commands that every encoding meets (an int turned raw, a sparse megabyte that RDB compresses,
/// BITFIELD's padding, BITOP results, a key with a TTL).
const BUILD: &[&str] = &[
    "SET i 1234",
    "SETBIT i 3 1",
    "SETBIT sparse 8388000 1",
    "SETBIT sparse 7 1",
    "SETBIT sparse 4000000 1",
    "BITFIELD bf SET u8 #0 65 SET i16 #10 -2 INCRBY u3 500 5",
    "SET e hello",
    "BITFIELD e SET u4 4 15",
    "BITOP NOT neg sparse",
    "BITOP XOR x e i bf",
    "SETBIT ttl 77 1",
    "PEXPIRE ttl 100000000",
    "SETBIT dense 0 1",
];

fn build(c: &mut Conn) {
    for l in BUILD {
        c.cmd(&split_args(l).unwrap());
    }
    // A dense pattern over 20 KB through BITFIELD writes.
    let mut args: Vec<String> = vec!["BITFIELD".into(), "dense".into()];
    for k in 0..2500 {
        args.extend([
            "SET".into(),
            "u64".into(),
            format!("#{k}"),
            ((k as i64).wrapping_mul(0x9E37_79B9_7F4A_7C15u64 as i64)).to_string(),
        ]);
    }
    c.cmd(&args);
}

/// Everything the built keys read as: their bytes, encodings and what the bitmap commands answer.
fn snapshot(c: &mut Conn) -> Vec<String> {
    let mut out = vec![escape(&c.cmd(&["DEBUG", "DIGEST"]))];
    for k in ["i", "sparse", "bf", "e", "neg", "x", "ttl", "dense"] {
        out.push(escape(&c.cmd(&["DEBUG", "DIGEST-VALUE", k])));
        out.push(escape(&c.cmd(&["STRLEN", k])));
        out.push(escape(&c.cmd(&["BITCOUNT", k])));
        out.push(escape(&c.cmd(&["BITPOS", k, "1", "1"])));
        out.push(escape(&c.cmd(&["BITFIELD_RO", k, "GET", "i64", "0", "GET", "u7", "13"])));
        out.push(format!(
            "{k} ttl>0: {}",
            Resp::parse(&c.cmd(&["PTTL", k])).ok().and_then(|r| r.as_int()).is_some_and(|t| t > 0 || t == -1)
        ));
    }
    out
}

/// An RDB file of bitmaps written by redis-server loads into ferredis with the same contents, and the reverse.
#[test]
fn rdb_files_move_both_ways() {
    if !have_redis() {
        return;
    }
    for (from, to) in [(Kind::Redis, Kind::Ferredis), (Kind::Ferredis, Kind::Redis)] {
        let dir = TempDir::new(&format!("bitmaps-rdb-{}", from.label()));
        let s = Server::start_in(from, &dir.path, &[]);
        let mut c = s.conn();
        build(&mut c);
        let before = snapshot(&mut c);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        drop(c);
        drop(s);
        let s = Server::start_in(to, &dir.path, &["--sanitize-dump-payload", "yes"]);
        let mut c = s.conn();
        assert_eq!(snapshot(&mut c), before, "{from:?} RDB loaded by {to:?}");
        // DUMP / RESTORE of the big sparse one, back the other way.
        let dump = Resp::parse(&c.cmd(&["DUMP", "sparse"])).unwrap().as_bytes().unwrap().to_vec();
        let other = Server::start(from, &[]);
        let mut oc = other.conn();
        assert_eq!(oc.cmd(&[&b"RESTORE"[..], b"sparse", b"0", &dump]), b"+OK\r\n");
        assert_eq!(oc.cmd(&["DEBUG", "DIGEST-VALUE", "sparse"]), c.cmd(&["DEBUG", "DIGEST-VALUE", "sparse"]));
    }
}

/// An AOF of bitmap commands written by one server loads into the other with the same contents (both plain and
/// with an RDB preamble after a rewrite).
#[test]
fn aof_files_move_both_ways() {
    if !have_redis() {
        return;
    }
    for preamble in ["no", "yes"] {
        for (from, to) in [(Kind::Redis, Kind::Ferredis), (Kind::Ferredis, Kind::Redis)] {
            let dir = TempDir::new(&format!("bitmaps-aof-move-{}-{preamble}", from.label()));
            let opts = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
            let s = Server::start_in(from, &dir.path, &opts);
            let mut c = s.conn();
            build(&mut c);
            for l in moved_workload() {
                c.cmd(&split_args(l).unwrap());
            }
            if preamble == "yes" {
                c.cmd(&["BGREWRITEAOF"]);
                wait_for("the AOF rewrite", || {
                    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
                    !info.contains("aof_rewrite_in_progress:1") && !info.contains("aof_rewrite_scheduled:1")
                });
                // Writes after the rewrite land in the new incremental file.
                c.cmd(&["SETBIT", "after", "33", "1"]);
                c.cmd(&["BITFIELD", "dense", "INCRBY", "i64", "#7", "-1"]);
            }
            let before = snapshot(&mut c);
            let digest = c.cmd(&["DEBUG", "DIGEST"]);
            std::thread::sleep(Duration::from_millis(300));
            drop(c);
            drop(s);
            let s = Server::start_in(to, &dir.path, &opts);
            let mut c = s.conn();
            assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), digest, "{from:?} AOF (preamble {preamble}) loaded by {to:?}");
            assert_eq!(snapshot(&mut c), before, "{from:?} AOF (preamble {preamble}) loaded by {to:?}");
        }
    }
}

/// A bitmap workload on a master reaches its replica with the same DEBUG DIGEST, ferredis to Redis and Redis to
/// ferredis, both through the full sync (keys made before the replica attached) and the command stream.
#[test]
fn replicas_stay_identical_both_ways() {
    if !have_redis() {
        return;
    }
    let run = |mk: Kind, rk: Kind| -> Vec<String> {
        let master = Server::start(mk, &[]);
        let mut m = master.conn();
        build(&mut m);
        let port = master.port.to_string();
        let replica = Server::start(rk, &["--replicaof", "127.0.0.1", &port]);
        let mut r = replica.conn();
        let deadline = Instant::now() + Duration::from_secs(30);
        let repl = |c: &mut Conn, f: &str| info_field(c, "replication", f);
        while repl(&mut r, "master_link_status") != "up" {
            assert!(Instant::now() < deadline, "{mk:?} -> {rk:?}: no link");
            std::thread::sleep(Duration::from_millis(20));
        }
        for l in moved_workload() {
            m.cmd(&split_args(l).unwrap());
        }
        let mut g = Prng::new(42);
        for _ in 0..400 {
            let cmd = random_command(&mut g);
            m.cmd(&cmd);
        }
        loop {
            if repl(&mut m, "master_repl_offset") == repl(&mut r, "slave_repl_offset")
                && m.cmd(&["DEBUG", "DIGEST"]) == r.cmd(&["DEBUG", "DIGEST"])
            {
                break;
            }
            assert!(Instant::now() < deadline, "{mk:?} -> {rk:?}: digests differ");
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut out = snapshot(&mut r);
        out.push(escape(&r.cmd(&["BITFIELD_RO", "b0", "GET", "u8", "0"])));
        out.push(escape(&r.cmd(&["BITFIELD", "b0", "SET", "u8", "0", "1"])));
        out
    };
    let reference = run(Kind::Redis, Kind::Redis);
    assert_eq!(run(Kind::Ferredis, Kind::Redis), reference, "ferredis master, Redis replica");
    assert_eq!(run(Kind::Redis, Kind::Ferredis), reference, "Redis master, ferredis replica");
}

/// With `maxmemory` set the writers are denyoom as in Redis: a SETBIT far out is accepted while memory is under the
/// limit (the string grows past it), and from then on the writers are refused with the OOM error, the readers and
/// BITFIELD_RO still served.
#[test]
fn maxmemory_refuses_growth_as_redis_does() {
    if !have_redis() {
        return;
    }
    let run = |kind: Kind| -> Vec<String> {
        let s = Server::start(kind, &["--maxmemory-policy", "noeviction"]);
        let mut c = s.conn();
        let used: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
        c.cmd(&["CONFIG", "SET", "maxmemory", &(used + 4 * 1024 * 1024).to_string()]);
        let script = [
            "SETBIT small 10 1",
            "SETBIT big 80000000 1",
            "STRLEN big",
            "SETBIT small 11 1",
            "SETBIT big 1 1",
            "BITFIELD small SET u8 0 1",
            "BITFIELD small GET u8 0",
            "BITFIELD_RO small GET u8 0",
            "BITOP NOT d small",
            "GETBIT big 80000000",
            "BITCOUNT big",
            "BITPOS big 1",
            "DEL big",
            "SETBIT small 12 1",
            "BITCOUNT small",
        ];
        script.iter().map(|l| format!("{l}: {}", escape(&c.cmd(&split_args(l).unwrap())))).collect()
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

/// The `@bitmap` ACL category holds the same commands (compared as sets: both list them in hash order).
#[test]
fn bitmap_category_matches_redis() {
    if !have_redis() {
        return;
    }
    let names = |kind: Kind, args: &[&str]| -> Vec<Vec<u8>> {
        let s = Server::start(kind, &[]);
        let v = Resp::parse(&s.conn().cmd(args)).unwrap();
        let mut n: Vec<Vec<u8>> = v.items().unwrap().iter().map(|x| x.as_bytes().unwrap().to_vec()).collect();
        n.sort();
        n
    };
    for args in [&["ACL", "CAT", "bitmap"][..], &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "bitmap"]] {
        assert_eq!(names(Kind::Ferredis, args), names(Kind::Redis, args), "{args:?}");
    }
}
