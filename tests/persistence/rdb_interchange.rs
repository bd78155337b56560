//! RDB files and DUMP payloads exchanged with Debian's redis-server 7.0.15:
//!
//! - (a) a dataset built in process with every type and encoding is written with `write_rdb`; `redis-check-rdb`
//!   must accept it and a redis-server started on it must hold exactly that data, in the same encodings;
//! - (b) a redis-server filled through commands (each encoding checked with OBJECT ENCODING) SAVEs; `load_file`
//!   must read back exactly what the server holds;
//! - DUMP payloads go both ways: redis-server's into `restore_payload`, ours into redis-server's RESTORE;
//! - a hand-built version 9 file with ziplist/zipmap/linked-list encodings is accepted by redis-check-rdb and
//!   loads to the same data in both servers;
//! - `ferredis-check-rdb` agrees with `redis-check-rdb` on good and damaged files.
//!
//! Without /usr/bin/redis-server the tests print "skipped" and pass.

use crate::common;

use common::{have_redis, have_tool, Conn, Kind, Resp, Server};
use ferredis::keyspace::db::Db;
use ferredis::keyspace::object::{Entry, StrRef, Value};
use ferredis::keyspace::types::hash::Hash;
use ferredis::keyspace::types::list::List;
use ferredis::keyspace::types::set::Set;
use ferredis::keyspace::types::zset::{ZAddFlags, ZSet};
use ferredis::keyspace::types::Thresholds;
use ferredis::persist::rdb::{self, LoadOptions, SaveOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("ferredis-rdbx-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn parse(reply: Vec<u8>) -> Resp {
    Resp::parse(&reply).unwrap_or_else(|e| panic!("bad reply {:?}: {e}", String::from_utf8_lossy(&reply)))
}

fn text(r: &Resp) -> String {
    String::from_utf8_lossy(r.as_bytes().unwrap_or_else(|| panic!("not a string: {r:?}"))).into_owned()
}

fn strings(r: &Resp) -> Vec<String> {
    r.items().unwrap_or_else(|| panic!("not an array: {r:?}")).iter().map(text).collect()
}

/// One key as text: type, encoding, contents (sorted for unordered types), absolute expire time (or -1).
type View = BTreeMap<(usize, String), String>;

fn join(v: &[String]) -> String {
    v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(",")
}

/// What a server holds, through commands.
fn server_view(c: &mut Conn) -> View {
    let mut out = View::new();
    for db in 0..16 {
        c.cmd(&["SELECT", &db.to_string()]);
        let keys = strings(&parse(c.cmd(&["KEYS", "*"])));
        for k in keys {
            let ty = text(&parse(c.cmd(&["TYPE", &k])));
            let enc = text(&parse(c.cmd(&["OBJECT", "ENCODING", &k])));
            let contents = match ty.as_str() {
                "string" => vec![text(&parse(c.cmd(&["GET", &k])))],
                "list" => strings(&parse(c.cmd(&["LRANGE", &k, "0", "-1"]))),
                "set" => {
                    let mut v = strings(&parse(c.cmd(&["SMEMBERS", &k])));
                    v.sort();
                    v
                }
                "hash" => {
                    let flat = strings(&parse(c.cmd(&["HGETALL", &k])));
                    let mut v: Vec<String> = flat.chunks(2).map(|p| format!("{}={}", p[0], p[1])).collect();
                    v.sort();
                    v
                }
                "zset" => {
                    let flat = strings(&parse(c.cmd(&["ZRANGE", &k, "0", "-1", "WITHSCORES"])));
                    flat.chunks(2).map(|p| format!("{}={}", p[0], p[1])).collect()
                }
                other => panic!("unexpected type {other}"),
            };
            let exp = parse(c.cmd(&["PEXPIRETIME", &k])).as_int().unwrap();
            out.insert((db, k), format!("{ty}|{enc}|{}|{exp}", join(&contents)));
        }
    }
    c.cmd(&["SELECT", "0"]);
    out
}

fn entry_contents(e: &Entry) -> Vec<String> {
    let s = |r: StrRef<'_>| String::from_utf8_lossy(&r.to_vec()).into_owned();
    match e.value() {
        None => vec![s(e.as_str().unwrap())],
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
        Some(Value::ZSet(z)) => {
            z.iter().map(|(m, sc)| format!("{}={}", s(m), ferredis::util::fmt_double(sc))).collect()
        }
        Some(Value::Json(j)) => vec![String::from_utf8_lossy(&j.to_text()).into_owned()],
        Some(Value::Prob(p)) => vec![format!("{p:?}")],
        // Streams move between the servers in tests/types/streams.rs.
        Some(Value::Stream(st)) => {
            use ferredis::keyspace::types::stream::StreamId;
            st.range(StreamId::MIN, StreamId::MAX, false).map(|e| format!("{} {:?}", e.id, e.fields())).collect()
        }
    }
}

fn entry_view(e: &Entry, expire: Option<i64>) -> String {
    format!("{}|{}|{}|{}", e.obj_type().name(), e.encoding().name(), join(&entry_contents(e)), expire.unwrap_or(-1))
}

/// What in-process databases hold, in the same form.
fn db_view(dbs: &[Db]) -> View {
    let mut out = View::new();
    for (i, db) in dbs.iter().enumerate() {
        for e in db.iter() {
            let k = String::from_utf8(e.key().to_vec()).expect("test keys are UTF-8");
            out.insert((i, k), entry_view(e, db.expire_of(e.key())));
        }
    }
    out
}

fn assert_views_eq(want: &View, got: &View, what: &str) {
    let mut diffs = Vec::new();
    for (k, v) in want {
        match got.get(k) {
            Some(g) if g == v => {}
            Some(g) => diffs.push(format!("{k:?}:\n  want {}\n  got  {}", trunc(v), trunc(g))),
            None => diffs.push(format!("{k:?}: missing")),
        }
    }
    for k in got.keys() {
        if !want.contains_key(k) {
            diffs.push(format!("{k:?}: unexpected"));
        }
    }
    assert!(diffs.is_empty(), "{what}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
}

fn trunc(s: &str) -> String {
    if s.len() > 300 {
        format!("{}...({} bytes)", &s[..300], s.len())
    } else {
        s.to_string()
    }
}

fn add(db: &mut Db, e: Entry, expire: Option<i64>) {
    let k = e.key().to_vec();
    db.insert(e);
    if let Some(t) = expire {
        db.set_expire(&k, t);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Every type in every encoding Redis 7.0 has, small and big, in several databases.
fn dataset() -> Vec<Db> {
    let th = Thresholds::default();
    let later = now_ms() + 3_600_000;
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    let d = &mut dbs[0];
    add(d, Entry::new_string(b"s:int", b"12345"), None);
    add(d, Entry::new_string(b"s:bigint", b"-9223372036854775808"), None);
    add(d, Entry::new_string(b"s:emb", b"hello world"), Some(later));
    add(d, Entry::new_string(b"s:raw", "x".repeat(60).as_bytes()), None);
    add(d, Entry::new_string(b"s:lzf", "compress me please ".repeat(50).as_bytes()), None);
    add(
        d,
        Entry::new_raw(b"s:noise", (0..500u32).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8 | 1).collect()),
        None,
    );
    add(d, Entry::new_string(b"s:empty", b""), None);
    add(d, Entry::new_string(b"12345", b"integer-looking key"), None);
    let mut l = List::new();
    for i in 0..5 {
        l.push(format!("item{i}").as_bytes(), false, &th);
    }
    l.push(b"77", false, &th);
    add(d, Entry::new_value(b"l:small", Value::List(l)), None);
    let mut l = List::new();
    for i in 0..5000 {
        l.push(format!("element number {i}").as_bytes(), i % 3 == 0, &th);
    }
    l.push(&vec![b'B'; 10_000], false, &th);
    l.push(&vec![b'C'; 70_000], true, &th);
    add(d, Entry::new_value(b"l:big", Value::List(l)), Some(later + 1));
    let mut s = Set::new_intset();
    for x in [-5i64, 0, 70000, 1 << 40, -(1 << 40)] {
        s.add(x.to_string().as_bytes(), &th);
    }
    add(d, Entry::new_value(b"set:intset", Value::Set(s)), None);
    let mut s = Set::new_hashtable();
    for i in 0..800 {
        s.add(format!("member-{i}").as_bytes(), &th);
    }
    add(d, Entry::new_value(b"set:ht", Value::Set(s)), None);
    let mut h = Hash::new();
    for i in 0..10 {
        h.set(format!("f{i}").as_bytes(), format!("{}", i * 1000).as_bytes(), &th);
    }
    add(d, Entry::new_value(b"h:lp", Value::Hash(h)), None);
    let mut h = Hash::new();
    for i in 0..1000 {
        h.set(format!("field:{i}").as_bytes(), format!("value:{i}").as_bytes(), &th);
    }
    add(d, Entry::new_value(b"h:ht", Value::Hash(h)), None);
    let mut z = ZSet::new(1, &th);
    for (sc, m) in [(1.0, "one"), (0.5, "half"), (-2.25, "neg"), (f64::INFINITY, "inf"), (f64::NEG_INFINITY, "ninf")] {
        z.add(sc, m.as_bytes(), ZAddFlags::default(), &th);
    }
    add(d, Entry::new_value(b"z:lp", Value::ZSet(z)), None);
    let mut z = ZSet::new_skiplist();
    for i in 0..1000 {
        z.add(i as f64 / 7.0, format!("m{i}").as_bytes(), ZAddFlags::default(), &th);
    }
    z.add(f64::INFINITY, b"top", ZAddFlags::default(), &th);
    z.add(f64::NEG_INFINITY, b"bottom", ZAddFlags::default(), &th);
    add(d, Entry::new_value(b"z:sk", Value::ZSet(z)), Some(later + 2));
    add(&mut dbs[1], Entry::new_string(b"db1", b"one"), None);
    add(&mut dbs[9], Entry::new_string(b"db9", b"nine"), Some(later + 3));
    dbs
}

fn check_rdb(path: &Path) -> (bool, String) {
    let out = Command::new("/usr/bin/redis-check-rdb").arg(path).output().expect("run redis-check-rdb");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn our_check_rdb(path: &Path) -> (bool, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_ferredis-check-rdb")).arg(path).output().expect("run ferredis-check-rdb");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn redis_on(dir: &Path, file: &str) -> Server {
    Server::start(Kind::Redis, &["--dir", dir.to_str().unwrap(), "--dbfilename", file])
}

#[test]
fn our_file_loads_in_redis() {
    if !(have_redis() && have_tool("/usr/bin/redis-check-rdb")) {
        return;
    }
    let dir = TempDir::new("a");
    let dbs = dataset();
    let path = dir.0.join("ours.rdb");
    rdb::save_file(&path, &dbs, now_ms(), &SaveOptions::default()).unwrap();
    let (ok, out) = check_rdb(&path);
    assert!(ok, "redis-check-rdb rejected our file:\n{out}");
    assert!(out.contains("[info] 18 keys read"), "{out}");
    let (ok2, out2) = our_check_rdb(&path);
    assert!(ok2, "{out2}");
    // Same report apart from ctime/used-mem values and our own redis-ver (the same string).
    assert_eq!(
        out.lines().filter(|l| !l.contains("AUX FIELD")).collect::<Vec<_>>(),
        out2.lines().filter(|l| !l.contains("AUX FIELD")).collect::<Vec<_>>()
    );
    let redis = redis_on(&dir.0, "ours.rdb");
    let mut c = redis.conn();
    assert_views_eq(&db_view(&dbs), &server_view(&mut c), "redis-server loading our RDB");

    // Uncompressed and checksum-less variants load too.
    let p2 = dir.0.join("plain.rdb");
    let opts = SaveOptions { compression: false, checksum: false, ..SaveOptions::default() };
    rdb::save_file(&p2, &dbs, now_ms(), &opts).unwrap();
    let (ok, out) = check_rdb(&p2);
    assert!(ok && out.contains("checksum disabled"), "{out}");
    assert!(std::fs::metadata(&p2).unwrap().len() > std::fs::metadata(&path).unwrap().len());
}

/// Fills a server with every encoding through commands; checks OBJECT ENCODING along the way.
fn fill(c: &mut Conn) {
    let big_value = "v".repeat(100);
    let mut cmds: Vec<Vec<String>> = Vec::new();
    let mut push = |v: &[&str]| cmds.push(v.iter().map(|s| s.to_string()).collect());
    push(&["SET", "s:int", "987654"]);
    push(&["SET", "s:emb", "short string"]);
    push(&["SET", "s:raw", &"r".repeat(50)]);
    push(&["SET", "s:lzf", &"abcabcabc".repeat(100)]);
    push(&["SET", "s:ttl", "v", "PX", "3600000"]);
    push(&["RPUSH", "l:small", "a", "b", "1", "-2"]);
    push(&["SADD", "set:int", "1", "2", "3", "-100000", "10000000000"]);
    push(&["HSET", "h:lp", "a", "1", "b", "two"]);
    push(&["HSET", "h:ht", "long", &big_value]);
    push(&["ZADD", "z:lp", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d"]);
    push(&["ZADD", "z:sk", "1", &"m".repeat(80)]);
    for i in 0..600 {
        push(&["SADD", "set:ht", &format!("m{i}")]);
        push(&["HSET", "h:many", &format!("f{i}"), &format!("{i}")]);
        push(&["ZADD", "z:many", &format!("{}", i as f64 * 0.1), &format!("e{i}")]);
    }
    for i in 0..3000 {
        push(&["RPUSH", "l:big", &format!("list element {i}")]);
    }
    push(&["RPUSH", "l:big", &"P".repeat(9000)]);
    push(&["SELECT", "5"]);
    push(&["SET", "in-db-5", "x"]);
    push(&["SELECT", "0"]);
    for cmd in &cmds {
        let r = c.cmd(cmd);
        assert!(!r.starts_with(b"-"), "{cmd:?}: {}", String::from_utf8_lossy(&r));
    }
    for (k, enc) in [
        ("s:int", "int"),
        ("s:emb", "embstr"),
        ("s:raw", "raw"),
        ("l:small", "quicklist"),
        ("set:int", "intset"),
        ("set:ht", "hashtable"),
        ("h:lp", "listpack"),
        ("h:ht", "hashtable"),
        ("h:many", "hashtable"),
        ("z:lp", "listpack"),
        ("z:sk", "skiplist"),
        ("z:many", "skiplist"),
    ] {
        assert_eq!(text(&parse(c.cmd(&["OBJECT", "ENCODING", k]))), enc, "{k}");
    }
}

#[test]
fn redis_file_loads_in_ferredis() {
    if !(have_redis() && have_tool("/usr/bin/redis-check-rdb")) {
        return;
    }
    let dir = TempDir::new("b");
    let redis = redis_on(&dir.0, "dump.rdb");
    let mut c = redis.conn();
    fill(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    let want = server_view(&mut c);
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    let opts = LoadOptions { now_ms: now_ms(), sanitize: true, ..LoadOptions::default() };
    let st = rdb::load_file(&dir.0.join("dump.rdb"), &mut dbs, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(st.keys as usize, want.len());
    assert_views_eq(&want, &db_view(&dbs), "load_file of redis-server's dump.rdb");
    let (ok, out) = our_check_rdb(&dir.0.join("dump.rdb"));
    assert!(ok, "{out}");
    let (_, theirs) = check_rdb(&dir.0.join("dump.rdb"));
    assert_eq!(out, theirs, "ferredis-check-rdb and redis-check-rdb disagree");

    // DUMP payloads both ways.
    let th = Thresholds::default();
    for ((db, key), view) in &want {
        c.cmd(&["SELECT", &db.to_string()]);
        let payload = parse(c.cmd(&["DUMP", key])).as_bytes().unwrap().to_vec();
        let e = rdb::restore_payload(key.as_bytes(), &payload, &th, true).unwrap_or_else(|m| panic!("{key}: {m}"));
        let exp = view.rsplit('|').next().unwrap().parse::<i64>().unwrap();
        assert_eq!(&entry_view(&e, (exp != -1).then_some(exp)), view, "{key}: restore_payload");
        let ours = rdb::dump_payload(&e);
        if e.encoding().name() != "hashtable" {
            assert_eq!(ours, payload, "{key}: our DUMP payload differs from Redis's");
        }
        let copy = format!("{key}:copy");
        let r = c.cmd(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &ours]);
        assert_eq!(r, b"+OK\r\n", "{key}: {}", String::from_utf8_lossy(&r));
    }
    let after = server_view(&mut c);
    let untimed = |v: &str| v.rsplit_once('|').unwrap().0.to_string();
    for ((db, key), view) in &want {
        let copy = after.get(&(*db, format!("{key}:copy"))).unwrap_or_else(|| panic!("{key}:copy missing"));
        assert_eq!(untimed(copy), untimed(view), "{key}: RESTORE of our payload");
    }
}

// -------------------------------------------------------------------------------------------------------------
// A version 9 file with the pre-7.0 encodings, built from the format description.

fn rdb_str(out: &mut Vec<u8>, s: &[u8]) {
    assert!(s.len() < 16384);
    if s.len() < 64 {
        out.push(s.len() as u8);
    } else {
        out.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8]);
    }
    out.extend_from_slice(s);
}

/// A ziplist of strings and small integers (the encodings Redis picks).
fn ziplist(items: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10;
    for it in items {
        let start = body.len();
        tail = 10 + start;
        assert!(prev < 254);
        body.push(prev as u8);
        let as_int = std::str::from_utf8(it)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|n| n.to_string().as_bytes() == *it);
        match as_int {
            Some(n) if (0..=12).contains(&n) => body.push(0xF1 + n as u8),
            Some(n) if i16::try_from(n).is_ok() => {
                body.push(0xC0);
                body.extend_from_slice(&(n as i16).to_le_bytes());
            }
            Some(n) => {
                body.push(0xE0);
                body.extend_from_slice(&n.to_le_bytes());
            }
            None => {
                assert!(it.len() < 64);
                body.push(it.len() as u8);
                body.extend_from_slice(it);
            }
        }
        prev = body.len() - start;
    }
    let mut zl = Vec::new();
    zl.extend_from_slice(&((10 + body.len() + 1) as u32).to_le_bytes());
    zl.extend_from_slice(&(tail as u32).to_le_bytes());
    zl.extend_from_slice(&(items.len() as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(0xFF);
    zl
}

fn v9_file() -> Vec<u8> {
    let mut f = b"REDIS0009".to_vec();
    f.extend_from_slice(&[0xFE, 0x00, 0xFB, 0x07, 0x00]);
    let key = |f: &mut Vec<u8>, ty: u8, k: &str| {
        f.push(ty);
        rdb_str(f, k.as_bytes());
    };
    key(&mut f, 10, "zl:list");
    rdb_str(&mut f, &ziplist(&[b"a", b"1", b"300", b"-5", b"123456789012", b"last"]));
    key(&mut f, 13, "zl:hash");
    rdb_str(&mut f, &ziplist(&[b"field", b"value", b"n", b"42"]));
    key(&mut f, 12, "zl:zset");
    rdb_str(&mut f, &ziplist(&[b"low", b"-1", b"mid", b"2.5", b"high", b"10"]));
    key(&mut f, 14, "ql");
    f.push(2);
    rdb_str(&mut f, &ziplist(&[b"x", b"y"]));
    rdb_str(&mut f, &ziplist(&[b"7"]));
    key(&mut f, 9, "zipmap");
    rdb_str(&mut f, b"\x02\x03foo\x03\x00bar\x05hello\x05\x02world!!\xff");
    key(&mut f, 3, "zset-v1");
    f.push(2);
    rdb_str(&mut f, b"a");
    f.extend_from_slice(b"\x041.25");
    rdb_str(&mut f, b"b");
    f.push(254);
    key(&mut f, 1, "linked");
    f.push(2);
    rdb_str(&mut f, b"first");
    f.extend_from_slice(&[0xC1, 0x39, 0x30]);
    f.push(0xFF);
    let crc = ferredis::persist::crc64::crc64(0, &f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

#[test]
fn ziplist_era_file_loads_in_both() {
    if !(have_redis() && have_tool("/usr/bin/redis-check-rdb")) {
        return;
    }
    let dir = TempDir::new("v9");
    let path = dir.0.join("old.rdb");
    std::fs::write(&path, v9_file()).unwrap();
    let (ok, out) = check_rdb(&path);
    assert!(ok, "redis-check-rdb rejects the hand-built v9 file:\n{out}");
    let redis = redis_on(&dir.0, "old.rdb");
    let want = server_view(&mut redis.conn());
    assert_eq!(want.len(), 7);
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    rdb::load_file(&path, &mut dbs, &LoadOptions { sanitize: true, ..LoadOptions::default() }).unwrap();
    assert_views_eq(&want, &db_view(&dbs), "v9 file");
    let (ok, ours) = our_check_rdb(&path);
    assert!(ok);
    assert_eq!(ours, out);
}

#[test]
fn checkers_agree_on_damaged_files() {
    if !(have_redis() && have_tool("/usr/bin/redis-check-rdb")) {
        return;
    }
    let dir = TempDir::new("dmg");
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    add(&mut dbs[0], Entry::new_string(b"k1", b"v1"), Some(now_ms() + 100_000));
    add(&mut dbs[0], Entry::new_string(b"k2", b"v2"), None);
    add(&mut dbs[2], Entry::new_string(b"k3", "long value long value long value".as_bytes()), None);
    let path = dir.0.join("good.rdb");
    rdb::save_file(&path, &dbs, now_ms(), &SaveOptions::default()).unwrap();
    let good = std::fs::read(&path).unwrap();
    let strip_aux = |s: &str| s.lines().filter(|l| !l.contains("AUX FIELD")).map(String::from).collect::<Vec<_>>();
    let mut checked = 0;
    for cut in (0..good.len()).step_by(7).chain([good.len() - 1, good.len() - 8]) {
        let p = dir.0.join("cut.rdb");
        std::fs::write(&p, &good[..cut]).unwrap();
        let (a_ok, a) = check_rdb(&p);
        let (b_ok, b) = our_check_rdb(&p);
        assert!(!a_ok && !b_ok, "cut {cut}");
        // Offsets, the error and what was being done agree (Redis may say more about internal errors).
        assert_eq!(strip_aux(&a), strip_aux(&b), "cut at {cut}");
        checked += 1;
    }
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 3] ^= 0x55;
    let p = dir.0.join("crc.rdb");
    std::fs::write(&p, &bad).unwrap();
    let (a_ok, a) = check_rdb(&p);
    let (b_ok, b) = our_check_rdb(&p);
    assert!(!a_ok && !b_ok);
    assert_eq!(strip_aux(&a), strip_aux(&b));
    assert!(checked > 5);
}

/// DUMP/RESTORE replies of ferredis and redis-server, byte for byte, for the same command sequence.
#[test]
fn dump_restore_replies_match_redis() {
    if !(have_redis() && have_tool("/usr/bin/redis-check-rdb")) {
        return;
    }
    let fer = Server::ferredis();
    let red = Server::redis();
    let (mut a, mut b) = (fer.conn(), red.conn());
    let setup: &[&[&str]] = &[
        &["SET", "str", "hello"],
        &["SET", "num", "12345"],
        &["SET", "long", "abcdefghij-abcdefghij-abcdefghij-abcdefghij"],
        &["RPUSH", "list", "a", "b", "3"],
        &["HSET", "hash", "f", "v", "n", "1"],
        &["ZADD", "zset", "1", "a", "2.5", "b"],
        &["SADD", "iset", "1", "2", "3"],
        &["SADD", "sset", "x"],
    ];
    for cmd in setup {
        assert_eq!(a.cmd(cmd), b.cmd(cmd), "{cmd:?}");
    }
    // Payloads of everything but hash-table sets are identical; restore them on the other side too.
    for key in ["str", "num", "long", "list", "hash", "zset", "iset", "sset", "missing"] {
        let (pa, pb) = (a.cmd(&["DUMP", key]), b.cmd(&["DUMP", key]));
        assert_eq!(pa, pb, "DUMP {key}");
    }
    let payload = parse(b.cmd(&["DUMP", "list"])).as_bytes().unwrap().to_vec();
    let mut corrupt = payload.clone();
    let n = corrupt.len();
    corrupt[n - 1] ^= 0xff;
    let p = payload.as_slice();
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"RESTORE", b"new", b"0", p],
        vec![b"RESTORE", b"new", b"0", p],
        vec![b"RESTORE", b"new", b"0", p, b"REPLACE"],
        vec![b"RESTORE", b"new", b"0", p, b"replace", b"absttl"],
        vec![b"RESTORE", b"t1", b"-5", p],
        vec![b"RESTORE", b"t1", b"abc", p],
        vec![b"RESTORE", b"t1", b"0", &corrupt],
        vec![b"RESTORE", b"t1", b"0", b"short"],
        vec![b"RESTORE", b"t1", b"0", p, b"BOGUS"],
        vec![b"RESTORE", b"t1", b"0", p, b"IDLETIME"],
        vec![b"RESTORE", b"t1", b"0", p, b"IDLETIME", b"-1"],
        vec![b"RESTORE", b"t1", b"0", p, b"IDLETIME", b"x"],
        vec![b"RESTORE", b"t1", b"0", p, b"FREQ", b"300"],
        vec![b"RESTORE", b"t1", b"0", p, b"FREQ", b"-1"],
        vec![b"RESTORE", b"t1", b"0", p, b"FREQ", b"5", b"IDLETIME", b"5"],
        vec![b"RESTORE", b"t1", b"0", p, b"IDLETIME", b"5", b"FREQ", b"5"],
        vec![b"RESTORE", b"t1", b"0"],
        vec![b"RESTORE", b"t2", b"1", p, b"ABSTTL"],
        vec![b"EXISTS", b"t2"],
        vec![b"RESTORE", b"new", b"1", p, b"ABSTTL", b"REPLACE"],
        vec![b"EXISTS", b"new"],
        vec![b"RESTORE", b"t3", b"0", p, b"IDLETIME", b"100"],
        vec![b"OBJECT", b"IDLETIME", b"t3"],
        vec![b"RESTORE", b"t4", b"100000", p],
        vec![b"TTL", b"t4"],
        vec![b"LRANGE", b"t4", b"0", b"-1"],
        vec![b"DUMP"],
        vec![b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lfu"],
        vec![b"RESTORE", b"t5", b"0", p, b"FREQ", b"77"],
        vec![b"OBJECT", b"FREQ", b"t5"],
        vec![b"RESTORE", b"t6", b"0", p, b"IDLETIME", b"100"],
        vec![b"CONFIG", b"SET", b"maxmemory-policy", b"noeviction"],
    ];
    for cmd in &cases {
        let (ra, rb) = (a.cmd(cmd), b.cmd(cmd));
        let shown: Vec<String> = cmd.iter().map(|x| String::from_utf8_lossy(x).chars().take(20).collect()).collect();
        assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb), "{shown:?}");
    }
}

/// Keyspace events of RESTORE (`restore`, and `del` when REPLACE meets an already expired TTL), as redis-server.
#[test]
fn restore_keyspace_events_match_redis() {
    if !(have_redis() && have_tool("/usr/bin/redis-check-rdb")) {
        return;
    }
    let mut seen = Vec::new();
    for server in [Server::ferredis(), Server::redis()] {
        let mut c = server.conn();
        let mut sub = server.conn();
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        sub.cmd(&["PSUBSCRIBE", "__key*@0__:*"]);
        c.cmd(&["SET", "src", "value"]);
        let p = parse(c.cmd(&["DUMP", "src"])).as_bytes().unwrap().to_vec();
        c.cmd(&[b"RESTORE".as_slice(), b"k", b"0", &p]);
        c.cmd(&[b"RESTORE".as_slice(), b"k", b"0", &p, b"REPLACE"]);
        c.cmd(&[b"RESTORE".as_slice(), b"k", b"1", &p, b"REPLACE", b"ABSTTL"]);
        c.cmd(&[b"RESTORE".as_slice(), b"gone", b"1", &p, b"ABSTTL"]);
        c.cmd(&["SET", "end", "x"]);
        let mut msgs = Vec::new();
        loop {
            let m = parse(sub.read_reply().expect("event"));
            let items = m
                .items()
                .unwrap()
                .iter()
                .map(|x| String::from_utf8_lossy(x.as_bytes().unwrap_or(b"?")).into_owned())
                .collect::<Vec<_>>();
            if items.len() == 4 {
                msgs.push(format!("{} {}", items[2], items[3]));
            }
            if items.last().map(String::as_str) == Some("end") {
                break;
            }
        }
        seen.push(msgs);
    }
    assert_eq!(seen[0], seen[1]);
    assert!(seen[1].iter().any(|m| m == "__keyevent@0__:restore k"), "{:?}", seen[1]);
}

/// Quicklist PLAIN nodes (container 1): Redis 7.0 writes them for elements above its packed threshold (1 GB by
/// default, lowered here with DEBUG QUICKLIST-PACKED-THRESHOLD).
#[test]
fn plain_quicklist_nodes_load() {
    if !(have_redis() && have_tool("/usr/bin/redis-check-rdb")) {
        return;
    }
    let dir = TempDir::new("plain");
    let redis = Server::start(
        Kind::Redis,
        &["--dir", dir.0.to_str().unwrap(), "--dbfilename", "plain.rdb", "--enable-debug-command", "yes"],
    );
    let mut c = redis.conn();
    assert_eq!(c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]), b"+OK\r\n");
    let big = "x".repeat(300);
    let noise: String =
        (0..5000u32).map(|i| char::from(b'a' + ((i.wrapping_mul(2654435761) >> 13) % 26) as u8)).collect();
    c.cmd(&["RPUSH", "pl", "a", &big, "b", &noise, "c"]);
    c.cmd(&["RPUSH", "only-plain", &noise]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    let want = server_view(&mut c);
    let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
    rdb::load_file(&dir.0.join("plain.rdb"), &mut dbs, &LoadOptions::default()).unwrap();
    assert_views_eq(&want, &db_view(&dbs), "plain nodes");
    let p = parse(c.cmd(&["DUMP", "pl"])).as_bytes().unwrap().to_vec();
    let e = rdb::restore_payload(b"pl", &p, &Thresholds::default(), true).unwrap();
    assert_eq!(entry_contents(&e), ["a", big.as_str(), "b", noise.as_str(), "c"]);
}
