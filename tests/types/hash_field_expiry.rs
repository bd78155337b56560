//! Hash-field expiry (Redis 7.4): HEXPIRE and its family, HTTL and its family, HPERSIST, HSCAN NOVALUES, the
//! `listpackex` encoding, lazy and active expiry of fields, their propagation (HPEXPIREAT with absolute times,
//! HDEL for expired fields), and their persistence (RDB types 24/25, AOF rewrite, DUMP/RESTORE).
//!
//! The differential scripts run against Redis 7.4.1 built from source (`REDIS74_SERVER`, tests/README.md) and are
//! skipped without it; every other test here asserts the bytes Redis 7.4.1 gives (written down from it) and runs
//! everywhere. Redis 7.4.1's own `unit/type/hash-field-expire` suite also passes whole with ferredis as the server
//! (`tests/redis-suite.sh <redis-7.4.1 tree> unit/type/hash-field-expire`).

use crate::common::{have_oracle, Conn, Kind, Pair, Resp, ScriptOpts, Server};
use std::time::{Duration, Instant};

/// Far-future absolute times (2099-12-31 and around), so replies do not depend on the clock.
const SCRIPT: &str = r#"
HSET h a 1 b 2 c 3 d 4
HEXPIRE missing 100 FIELDS 1 a
HTTL missing FIELDS 2 a b
HPERSIST missing FIELDS 1 a
HPEXPIREAT h 4102444800000 FIELDS 2 a b
OBJECT ENCODING h
HGETALL h
HPEXPIREAT h 4102444700000 NX FIELDS 2 a c
HPEXPIREAT h 4102444900000 XX FIELDS 3 a c d
HPEXPIREAT h 4102444600000 GT FIELDS 2 a b
HPEXPIREAT h 4102444600000 LT FIELDS 3 a b d
HPEXPIRETIME h FIELDS 5 a b c d nosuch
HEXPIRETIME h FIELDS 2 a d
HGETALL h
HKEYS h
HVALS h
HPERSIST h FIELDS 3 a d nosuch
HGETALL h
HSET h b 20
HPEXPIRETIME h FIELDS 1 b
HINCRBY h c 5
HINCRBYFLOAT h c 0.5
HPEXPIRETIME h FIELDS 1 c
HEXPIREAT h 1 FIELDS 2 a nosuch
HGETALL h
HLEN h
HEXPIRE h -1 FIELDS 1 a
HEXPIRE h 70368744177 FIELDS 1 a
HPEXPIRE h 70368744177664 FIELDS 1 a
HEXPIRE h 10 FIELDS 0 a
HEXPIRE h 10 FIELDS 2 a
HEXPIRE h 10 FIELD 1 a
HEXPIRE h abc FIELDS 1 a
HEXPIRE h 10 NX NX FIELDS 1 a
HEXPIRE h 10 NX FIELDS x a
HTTL h FIELDS x a
HTTL h FIELDS 0 a
HTTL h FIELDS 2 a
HTTL h FIELD 1 a
HTTL h
HPERSIST h FIELDS -1 a
HEXPIRE h 10 FIELDS
SET s v
HEXPIRE s 10 FIELDS 1 a
HTTL s FIELDS 1 a
HPERSIST s FIELDS 1 a
HSCAN h 0 NOVALUES
HSCAN h 0 NOVALUES COUNT 10 MATCH *
HSCAN h 0 MATCH c* NOVALUES
HSCAN h 0 NOVALUES NOVALUES
HSCAN h 0 NOVALUE
HSET e x 1
HPEXPIREAT e 4102444800000 FIELDS 1 x
HPERSIST e FIELDS 1 x
OBJECT ENCODING e
HDEL e x
EXISTS e
!CONFIG SET hash-max-listpack-entries 2
HSET big x 1 y 2 z 3
OBJECT ENCODING big
HPEXPIREAT big 4102444800000 FIELDS 2 x y
~HGETALL big
HPEXPIRETIME big FIELDS 3 x y z
HPERSIST big FIELDS 2 x z
OBJECT ENCODING big
HEXPIREAT big 1 FIELDS 3 x y z
EXISTS big
!CONFIG SET hash-max-listpack-entries 128
COMMAND INFO hexpire hpexpire hexpireat hpexpireat httl hpttl hexpiretime hpexpiretime hpersist hscan
~COMMAND DOCS hexpire hpexpireat httl hpexpiretime hpersist
COMMAND GETKEYS HEXPIRE h 10 FIELDS 1 a
COMMAND GETKEYS HTTL h FIELDS 1 a
"#;

/// A `~` line's normalization: HGETALL of a table is sorted; COMMAND DOCS loses the `display_text` Redis 7.2
/// added to every argument (ferredis answers COMMAND DOCS in Redis 7.0's shape).
fn sorted(reply: &[u8]) -> Vec<u8> {
    match Resp::parse(reply) {
        Ok(r) if reply.windows(10).any(|w| w == b"complexity") => strip_display_text(r).to_bytes(),
        Ok(Resp::Array(mut v)) => {
            v.sort();
            Resp::Array(v).to_bytes()
        }
        Ok(Resp::Map(mut v)) => {
            v.sort();
            Resp::Map(v).to_bytes()
        }
        _ => reply.to_vec(),
    }
}

fn strip_display_text(r: Resp) -> Resp {
    let is_dt = |k: &Resp| k.as_bytes() == Some(b"display_text".as_slice());
    match r {
        Resp::Array(v) => {
            let mut out = Vec::with_capacity(v.len());
            let mut it = v.into_iter().peekable();
            while let Some(x) = it.next() {
                if is_dt(&x) && it.peek().is_some() {
                    it.next();
                    continue;
                }
                out.push(strip_display_text(x));
            }
            Resp::Array(out)
        }
        Resp::Map(v) => {
            Resp::Map(v.into_iter().filter(|(k, _)| !is_dt(k)).map(|(k, x)| (k, strip_display_text(x))).collect())
        }
        other => other,
    }
}

#[test]
fn commands_match_redis_7_4() {
    if !have_oracle(Kind::Redis74) {
        return;
    }
    let mut p = Pair::against(Kind::Redis74, &[]);
    let mut diffs = Vec::new();
    for resp3 in [false, true] {
        let opts = ScriptOpts { resp3, setup: &[], tilde: Some(sorted) };
        diffs.extend(p.script_with(if resp3 { "hfe-resp3" } else { "hfe" }, SCRIPT, &opts));
    }
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// A DUMP made by Redis 7.4.1 of a `listpackex` hash restores here, and ours restores there.
#[test]
fn dump_payloads_cross_with_redis_7_4() {
    if !have_oracle(Kind::Redis74) {
        return;
    }
    let mut p = Pair::against(Kind::Redis74, &["--hash-max-listpack-entries", "2"]);
    for (k, fields) in [("small", &["a", "b"][..]), ("big", &["a", "b", "c", "d"][..])] {
        for (i, f) in fields.iter().enumerate() {
            p.same(&["HSET", k, f, &i.to_string()]);
        }
        p.same(&["HPEXPIREAT", k, "4102444800000", "FIELDS", "1", "a"]);
        let (ours, theirs) = p.replies(&["DUMP", k]);
        let ours = Resp::parse(&ours).expect("dump");
        let theirs = Resp::parse(&theirs).expect("dump");
        let (Resp::Bulk(ours), Resp::Bulk(theirs)) = (ours, theirs) else { panic!("DUMP did not give bulks") };
        let (f, r) = p.both();
        for c in [f, r] {
            assert_eq!(c.cmd(&[b"RESTORE".as_slice(), b"from-redis", b"0", &theirs]), b"+OK\r\n");
            assert_eq!(c.cmd(&[b"RESTORE".as_slice(), b"from-fer", b"0", &ours]), b"+OK\r\n");
        }
        for key in ["from-redis", "from-fer"] {
            p.same(&["HPEXPIRETIME", key, "FIELDS", "2", "a", "b"]);
            p.same(&["HLEN", key]);
            p.same(&["OBJECT", "ENCODING", key]);
            p.same(&["DEL", key]);
        }
    }
}

fn cmd(c: &mut Conn, line: &str) -> String {
    String::from_utf8_lossy(&c.cmd_str(line)).into_owned()
}

/// The replies Redis 7.4.1 gives, written down, so the commands are checked where no oracle is built.
#[test]
fn replies_as_redis_7_4_gives_them() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    assert_eq!(cmd(&mut c, "HSET h a 1 b 2 c 3"), ":3\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRE missing 100 FIELDS 2 a b"), "*2\r\n:-2\r\n:-2\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIREAT h 4102444800000 FIELDS 2 a nosuch"), "*2\r\n:1\r\n:-2\r\n");
    assert_eq!(cmd(&mut c, "OBJECT ENCODING h"), "$10\r\nlistpackex\r\n");
    // Fields with a TTL come first, in expiry order; then the others in insertion order.
    assert_eq!(cmd(&mut c, "HPEXPIREAT h 4102444700000 FIELDS 1 c"), "*1\r\n:1\r\n");
    assert_eq!(cmd(&mut c, "HKEYS h"), "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIREAT h 4102444600000 GT FIELDS 2 a b"), "*2\r\n:0\r\n:0\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIREAT h 4102444600000 LT FIELDS 2 a b"), "*2\r\n:1\r\n:1\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIREAT h 4102444600000 NX FIELDS 1 a"), "*1\r\n:0\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIREAT h 4102444600000 XX FIELDS 1 a"), "*1\r\n:1\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRETIME h FIELDS 3 a c nosuch"), "*3\r\n:4102444600\r\n:4102444700\r\n:-2\r\n");
    assert_eq!(cmd(&mut c, "HPERSIST h FIELDS 3 a a nosuch"), "*3\r\n:1\r\n:-1\r\n:-2\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIRETIME h FIELDS 1 a"), "*1\r\n:-1\r\n");
    // HSET drops the field's TTL; HINCRBY keeps it.
    assert_eq!(cmd(&mut c, "HINCRBY h c 1"), ":4\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIRETIME h FIELDS 1 c"), "*1\r\n:4102444700000\r\n");
    assert_eq!(cmd(&mut c, "HSET h c 9"), ":0\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIRETIME h FIELDS 1 c"), "*1\r\n:-1\r\n");
    // A time in the past deletes the field (2); the hash goes with its last field.
    assert_eq!(cmd(&mut c, "HEXPIREAT h 1 FIELDS 2 a nosuch"), "*2\r\n:2\r\n:-2\r\n");
    assert_eq!(cmd(&mut c, "HLEN h"), ":2\r\n");
    assert_eq!(cmd(&mut c, "HEXPIREAT h 1 FIELDS 2 b c"), "*2\r\n:2\r\n:2\r\n");
    assert_eq!(cmd(&mut c, "EXISTS h"), ":0\r\n");
    // Errors, in Redis's order and words.
    assert_eq!(cmd(&mut c, "HSET h a 1"), ":1\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRE h -1 FIELDS 1 a"), "-ERR invalid expire time, must be >= 0\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRE h 70368744177 FIELDS 1 a"), "-ERR invalid expire time in 'hexpire' command\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRE h 10 FIELDS 0 a"), "-ERR Parameter `numFields` should be greater than 0\r\n");
    assert_eq!(
        cmd(&mut c, "HEXPIRE h 10 FIELDS 2 a"),
        "-ERR The `numfields` parameter must match the number of arguments\r\n"
    );
    assert_eq!(
        cmd(&mut c, "HEXPIRE h 10 FIELD 1 a"),
        "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n"
    );
    assert_eq!(cmd(&mut c, "HTTL h FIELDS 0 a"), "-ERR Number of fields must be a positive integer\r\n");
    assert_eq!(cmd(&mut c, "HTTL h"), "-ERR wrong number of arguments for 'httl' command\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRE h abc FIELDS 1 a"), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(cmd(&mut c, "SET s v"), "+OK\r\n");
    assert_eq!(
        cmd(&mut c, "HEXPIRE s 10 FIELDS 1 a"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(cmd(&mut c, "HSCAN h 0 NOVALUES"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
    // INFO: the hashes with field TTLs, and the fields that expired.
    assert_eq!(cmd(&mut c, "HPEXPIRE h 100000 FIELDS 1 a"), "*1\r\n:1\r\n");
    let info = cmd(&mut c, "INFO keyspace");
    assert!(info.contains("db0:keys=2,expires=0,avg_ttl=0,subexpiry=1\r\n"), "{info}");
    let stats = cmd(&mut c, "INFO stats");
    assert!(stats.contains("expired_subkeys:3\r\n"), "{stats}");
    // A SET over the hash, a RENAME of it, a DEL: the index follows (one hash filed, then none).
    assert_eq!(cmd(&mut c, "RENAME h h2"), "+OK\r\n");
    assert!(cmd(&mut c, "INFO keyspace").contains(",subexpiry=1\r\n"));
    assert_eq!(cmd(&mut c, "SET h2 plain"), "+OK\r\n");
    assert!(!cmd(&mut c, "INFO keyspace").contains("subexpiry"));
    assert_eq!(cmd(&mut c, "HSET h3 a 1"), ":1\r\n");
    assert_eq!(cmd(&mut c, "HPEXPIRE h3 100000 FIELDS 1 a"), "*1\r\n:1\r\n");
    assert_eq!(cmd(&mut c, "DEL h3"), ":1\r\n");
    assert!(!cmd(&mut c, "INFO keyspace").contains("subexpiry"));
}

fn wait_for(mut f: impl FnMut() -> bool, what: &str) {
    let until = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Lazy expiry hides an expired field from every read and deletes it on a master (HLEN counts it until then);
/// active expiry deletes fields nobody reads, in both encodings, and the hash with its last field.
#[test]
fn lazy_and_active_expiry() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    assert_eq!(cmd(&mut c, "DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
    cmd(&mut c, "HSET h a 1 b 2 c 3");
    cmd(&mut c, "HPEXPIRE h 1 FIELDS 2 a b");
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(cmd(&mut c, "HLEN h"), ":3\r\n");
    assert_eq!(cmd(&mut c, "HGETALL h"), "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    assert_eq!(cmd(&mut c, "HGET h a"), "$-1\r\n");
    assert_eq!(cmd(&mut c, "HLEN h"), ":2\r\n");
    assert_eq!(cmd(&mut c, "HEXISTS h b"), ":0\r\n");
    assert_eq!(cmd(&mut c, "HLEN h"), ":1\r\n");
    assert_eq!(cmd(&mut c, "HTTL h FIELDS 1 c"), "*1\r\n:-1\r\n");
    assert_eq!(cmd(&mut c, "DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
    cmd(&mut c, "CONFIG SET hash-max-listpack-entries 16");
    for i in 0..100 {
        cmd(&mut c, &format!("HSET big f{i} v{i}"));
        cmd(&mut c, &format!("HSET small f{i} v{i}"));
        if i >= 10 {
            cmd(&mut c, &format!("HPEXPIRE big 50 FIELDS 1 f{i}"));
        }
    }
    cmd(&mut c, "HSET small2 x 1 y 2");
    cmd(&mut c, "HPEXPIRE small2 50 FIELDS 2 x y");
    assert_eq!(cmd(&mut c, "OBJECT ENCODING big"), "$9\r\nhashtable\r\n");
    assert_eq!(cmd(&mut c, "OBJECT ENCODING small2"), "$10\r\nlistpackex\r\n");
    wait_for(|| cmd(&mut c, "HLEN big") == ":10\r\n", "big's volatile fields to expire");
    wait_for(|| cmd(&mut c, "EXISTS small2") == ":0\r\n", "small2 to go with its fields");
    let info = cmd(&mut c, "INFO keyspace");
    assert!(!info.contains("subexpiry"), "no hash with field TTLs left: the 7.0 line ({info})");
}

/// What leaves the server: relative times become HPEXPIREAT with the absolute time and only the fields that took
/// it; a past time and expired fields become HDELs (a command deleting several wraps them in MULTI/EXEC).
#[test]
fn propagation_in_the_aof() {
    let dir = tempdir();
    let s = Server::start_in(Kind::Ferredis, &dir, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = s.conn();
    cmd(&mut c, "DEBUG SET-ACTIVE-EXPIRE 0");
    cmd(&mut c, "HSET h0 x1 y1 x2 y2");
    cmd(&mut c, "HEXPIREAT h0 1 FIELDS 3 x1 x2 nosuch");
    cmd(&mut c, "HSET h1 f1 v1 f2 v2");
    cmd(&mut c, "HEXPIRE h1 10 XX FIELDS 3 f1 f2 nosuch");
    cmd(&mut c, "HPEXPIRE h1 100000 FIELDS 1 f1");
    cmd(&mut c, "HPEXPIRE h1 100000 NX FIELDS 2 f1 f2");
    cmd(&mut c, "HSET h2 a 1");
    cmd(&mut c, "HPEXPIRE h2 1 FIELDS 1 a");
    cmd(&mut c, "HSET h4 a 1");
    cmd(&mut c, "HPEXPIRE h4 1 FIELDS 1 a");
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(cmd(&mut c, "HGET h2 a"), "$-1\r\n");
    // Redis 8: HSETEX FXX deletes the field it finds expired even though its condition fails, and the emptied hash.
    assert_eq!(cmd(&mut c, "HSETEX h4 FXX FIELDS 1 a 2"), ":0\r\n");
    assert_eq!(cmd(&mut c, "EXISTS h4"), ":0\r\n");
    // Redis 8 replays HGETDEL as HDEL of every field named.
    cmd(&mut c, "HSET h3 f1 v1 f2 v2 f3 v3");
    cmd(&mut c, "HGETDEL h3 FIELDS 3 f1 nosuch f2");
    let aof = read_aof(&dir);
    let want = [
        "hset h0 x1 y1 x2 y2",
        "multi",
        "hdel h0 x1",
        "hdel h0 x2",
        "exec",
        "hset h1 f1 v1 f2 v2",
        "hpexpireat h1 * FIELDS 1 f1",
        "hpexpireat h1 * NX FIELDS 1 f2",
        "hset h2 a 1",
        "hpexpireat h2 * FIELDS 1 a",
        "hset h4 a 1",
        "hpexpireat h4 * FIELDS 1 a",
        "hdel h2 a",
        "hdel h4 a",
        "hset h3 f1 v1 f2 v2 f3 v3",
        "hdel h3 f1 nosuch f2",
    ];
    let got: Vec<String> = aof.into_iter().filter(|l| !l.starts_with("select")).collect();
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(want) {
        let ok = g.split(' ').zip(w.split(' ')).all(|(a, b)| b == "*" || a.eq_ignore_ascii_case(b))
            && g.split(' ').count() == w.split(' ').count();
        assert!(ok, "AOF line {g:?} is not {w:?} ({got:#?})");
    }
}

/// The field TTLs survive a restart from the AOF (its rewrite included) and from an RDB file, and the RDB file is
/// version 12 only while some field has a TTL.
#[test]
fn ttls_survive_restarts() {
    let dir = tempdir();
    {
        let s = Server::start_in(Kind::Ferredis, &dir, &["--appendonly", "yes", "--hash-max-listpack-entries", "2"]);
        let mut c = s.conn();
        cmd(&mut c, "HSET small a 1 b 2");
        cmd(&mut c, "HSET big a 1 b 2 c 3");
        cmd(&mut c, "HPEXPIREAT small 4102444800000 FIELDS 1 a");
        cmd(&mut c, "HPEXPIREAT big 4102444800001 FIELDS 2 a c");
        assert_eq!(cmd(&mut c, "BGREWRITEAOF"), "+Background append only file rewriting started\r\n");
        wait_for(|| !cmd(&mut c, "INFO persistence").contains("aof_rewrite_in_progress:1"), "the rewrite");
        std::thread::sleep(Duration::from_millis(200));
        cmd(&mut c, "HPEXPIREAT small 4102444800002 FIELDS 1 b");
        assert_eq!(cmd(&mut c, "SAVE"), "+OK\r\n");
        let rdb = std::fs::read(dir.join("dump.rdb")).expect("dump.rdb");
        assert_eq!(&rdb[..9], b"REDIS0012");
    }
    for appendonly in ["yes", "no"] {
        let s =
            Server::start_in(Kind::Ferredis, &dir, &["--appendonly", appendonly, "--hash-max-listpack-entries", "2"]);
        let mut c = s.conn();
        assert_eq!(
            cmd(&mut c, "HPEXPIRETIME small FIELDS 2 a b"),
            "*2\r\n:4102444800000\r\n:4102444800002\r\n",
            "appendonly {appendonly}"
        );
        assert_eq!(cmd(&mut c, "HPEXPIRETIME big FIELDS 3 a b c"), "*3\r\n:4102444800001\r\n:-1\r\n:4102444800001\r\n");
        assert_eq!(cmd(&mut c, "OBJECT ENCODING small"), "$10\r\nlistpackex\r\n");
    }
    let s = Server::start_in(Kind::Ferredis, &dir, &["--appendonly", "no"]);
    let mut c = s.conn();
    cmd(&mut c, "HPERSIST small FIELDS 2 a b");
    cmd(&mut c, "HPERSIST big FIELDS 2 a c");
    cmd(&mut c, "DEL small");
    assert_eq!(cmd(&mut c, "SAVE"), "+OK\r\n");
    let rdb = std::fs::read(dir.join("dump.rdb")).expect("dump.rdb");
    assert_eq!(&rdb[..9], b"REDIS0010", "no field TTL left: a Redis 7.0 file");
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ferredis-hfe-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}

/// The commands of the AOF in `dir` (the incremental files of its manifest, in order), one line each.
fn read_aof(dir: &std::path::Path) -> Vec<String> {
    let adir = dir.join("appendonlydir");
    let mut files: Vec<_> = std::fs::read_dir(&adir)
        .expect("appendonlydir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).expect("aof");
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let Ok((v, used)) = Resp::parse_prefix(rest) else { break };
            rest = &rest[used..];
            if let Resp::Array(items) = v {
                let words: Vec<String> = items
                    .iter()
                    .filter_map(|i| match i {
                        Resp::Bulk(b) => Some(String::from_utf8_lossy(b).to_lowercase()),
                        _ => None,
                    })
                    .collect();
                out.push(words.join(" "));
            }
        }
    }
    out
}

/// Redis 8.0's HSETEX, HGETEX and HGETDEL, newer than any oracle built here: the public command documentation's
/// examples and the cases it states (FNX / FXX all-or-nothing, the expiry options exclusive, KEEPTTL, PERSIST, a
/// past time deleting, the key going with its last field).
#[test]
fn redis_8_hash_commands_follow_the_docs() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    assert_eq!(cmd(&mut c, "HSETEX mykey EXAT 4102444800 FIELDS 2 field1 Hello field2 World"), ":1\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRETIME mykey FIELDS 2 field1 field2"), "*2\r\n:4102444800\r\n:4102444800\r\n");
    assert_eq!(cmd(&mut c, "HSETEX mykey FNX EX 60 FIELDS 2 field1 Hello field2 World"), ":0\r\n");
    assert_eq!(
        cmd(&mut c, "HSETEX mykey FXX EX 60 KEEPTTL FIELDS 2 field1 hello field2 world"),
        "-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified\r\n"
    );
    assert_eq!(cmd(&mut c, "HSETEX mykey FXX KEEPTTL FIELDS 2 field1 hello field2 world"), ":1\r\n");
    assert_eq!(cmd(&mut c, "HEXPIRETIME mykey FIELDS 2 field1 field2"), "*2\r\n:4102444800\r\n:4102444800\r\n");
    assert_eq!(cmd(&mut c, "HMGET mykey field1 field2"), "*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n");
    // FXX with one field missing sets nothing; FNX with one present sets nothing.
    assert_eq!(cmd(&mut c, "HSETEX mykey FXX FIELDS 2 field1 a field3 b"), ":0\r\n");
    assert_eq!(cmd(&mut c, "HSETEX mykey FNX FIELDS 2 field3 a field1 b"), ":0\r\n");
    assert_eq!(cmd(&mut c, "HLEN mykey"), ":2\r\n");
    // No expiry option: like HSET, the TTL goes.
    assert_eq!(cmd(&mut c, "HSETEX mykey FIELDS 1 field1 x"), ":1\r\n");
    assert_eq!(cmd(&mut c, "HTTL mykey FIELDS 1 field1"), "*1\r\n:-1\r\n");
    assert_eq!(
        cmd(&mut c, "HSETEX mykey FNX FXX FIELDS 1 a 1"),
        "-ERR Only one of FXX or FNX arguments can be specified\r\n"
    );
    assert_eq!(
        cmd(&mut c, "HSETEX mykey FIELDS 2 a 1"),
        "-ERR The `numfields` parameter must match the number of arguments\r\n"
    );
    // HGETEX: values, then the new expiry on the fields that exist.
    assert_eq!(
        cmd(&mut c, "HGETEX mykey PXAT 4102444800123 FIELDS 3 field1 field2 nosuch"),
        "*3\r\n$1\r\nx\r\n$5\r\nworld\r\n$-1\r\n"
    );
    assert_eq!(
        cmd(&mut c, "HPEXPIRETIME mykey FIELDS 3 field1 field2 nosuch"),
        "*3\r\n:4102444800123\r\n:4102444800123\r\n:-2\r\n"
    );
    assert_eq!(cmd(&mut c, "HGETEX mykey PERSIST FIELDS 1 field1"), "*1\r\n$1\r\nx\r\n");
    assert_eq!(cmd(&mut c, "HTTL mykey FIELDS 2 field1 field2").split("\r\n").nth(1), Some(":-1"));
    assert_eq!(
        cmd(&mut c, "HGETEX mykey EX 10 PERSIST FIELDS 1 field1"),
        "-ERR Only one of EX, PX, EXAT, PXAT or PERSIST arguments can be specified\r\n"
    );
    assert_eq!(cmd(&mut c, "HGETEX mykey EX 0 FIELDS 1 field1"), "*1\r\n$1\r\nx\r\n");
    assert_eq!(cmd(&mut c, "HEXISTS mykey field1"), ":0\r\n");
    // HGETDEL: values, then the fields go; the key with its last field.
    assert_eq!(cmd(&mut c, "HSET h a 1 b 2"), ":2\r\n");
    assert_eq!(cmd(&mut c, "HGETDEL h FIELDS 2 a nosuch"), "*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_eq!(cmd(&mut c, "HGETDEL h FIELDS 1 b"), "*1\r\n$1\r\n2\r\n");
    assert_eq!(cmd(&mut c, "EXISTS h"), ":0\r\n");
    assert_eq!(cmd(&mut c, "HGETDEL h FIELDS 1 b"), "*1\r\n$-1\r\n");
    assert_eq!(cmd(&mut c, "HGETDEL h FIELDS 0 b"), "-ERR Number of fields must be a positive integer\r\n");
}
