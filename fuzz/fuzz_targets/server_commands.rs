//! A whole in-process server (the handler `Harness`: a server without sockets plus one client, every command
//! through the server's call path) fed a random command script. The input is text, one command per line, arguments split like `redis-cli` input (quotes and
//! escapes), so the command-name dictionary and readable seeds work; `@tick N` advances the server clock by N ms
//! (a fake clock: TTLs expire without waiting). Commands that block, sleep, fork, write files, stop the server or
//! change the process (SHUTDOWN, SAVE, DEBUG SLEEP/RELOAD, CONFIG SET dir, BLPOP...) are skipped, as are counts
//! that ask Redis itself for gigabytes (SRANDMEMBER k -2000000000).
//! After every command (checked by a second client on the same database, so the fuzzed client may be inside
//! MULTI, subscribed or speaking RESP3): no panic; a full SCAN through the command returns each live key once and as many keys as
//! DBSIZE then reports; every database's table scan visits exactly `len()` distinct keys; for every key of the
//! current database TYPE and OBJECT ENCODING agree with the stored value, collections are non-empty and pass their
//! own structural checks (listpack validation, quicklist and sorted-set invariants, ordered intsets).
#![no_main]
use std::collections::HashSet;

use ferredis::command::test_support::Harness;
use ferredis::config::{split_args, Config};
use ferredis::net::client::ClientState;
use ferredis::keyspace::object::{Entry, Value};
use ferredis::resp::reply::Proto;
use ferredis::keyspace::types::hash::Hash;
use ferredis::keyspace::types::list::List;
use ferredis::keyspace::types::listpack::Listpack;
use ferredis::keyspace::types::set::Set;
use ferredis::keyspace::types::stream::StreamId;
use ferredis::keyspace::types::zset::ZSet;
use libfuzzer_sys::fuzz_target;

/// Commands never run: they block, sleep, fork, touch files or sockets, or end the process.
const SKIP: &[&str] = &[
    "shutdown",
    "save",
    "bgsave",
    "bgrewriteaof",
    "monitor",
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "failover",
    "client",
    "blpop",
    "brpop",
    "blmove",
    "brpoplpush",
    "blmpop",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
    "wait",
    "quit",
    "reset",
    "module",
    "acl",
    "lastsave",
    "latency",
    "slowlog",
    // Ten million additions per call: a timeout, not a finding.
    "pfselftest",
];

/// DEBUG subcommands that only inspect or tune.
const DEBUG_OK: &[&str] =
    &["object", "listpack", "quicklist-packed-threshold", "stringmatch-len", "change-repl-id", "set-active-expire"];

/// CONFIG SET parameters that only change encodings and limits of in-memory values.
const CONFIG_OK: &[&str] = &[
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "hash-max-ziplist-entries",
    "hash-max-ziplist-value",
    "set-max-intset-entries",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "zset-max-ziplist-entries",
    "zset-max-ziplist-value",
    "list-max-listpack-size",
    "list-max-ziplist-size",
    "list-compress-depth",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "hll-sparse-max-bytes",
];

/// Commands that allocate as many elements as a count argument asks for.
const BIG_COUNT: &[&str] = &["setrange", "srandmember", "hrandfield", "zrandmember", "lpos", "setbit"];

fn allowed(argv: &[Vec<u8>]) -> bool {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let sub = argv.get(1).map(|s| String::from_utf8_lossy(s).to_ascii_lowercase()).unwrap_or_default();
    if SKIP.contains(&name.as_str()) {
        return false;
    }
    if name == "debug" && !DEBUG_OK.contains(&sub.as_str()) {
        return false;
    }
    if name == "config" && sub == "set" {
        let params = argv.iter().skip(2).step_by(2);
        return params.clone().count() > 0
            && params
                .map(|p| String::from_utf8_lossy(p).to_ascii_lowercase())
                .all(|p| CONFIG_OK.contains(&p.as_str()));
    }
    if name == "config" && sub != "get" {
        return false;
    }
    if BIG_COUNT.contains(&name.as_str()) {
        let huge = argv.iter().skip(1).any(|a| {
            std::str::from_utf8(a).ok().and_then(|s| s.parse::<i128>().ok()).is_some_and(|n| n.abs() > 100_000)
        });
        return !huge;
    }
    true
}

/// A minimal RESP2 reader for the replies the checks ask for.
struct Resp<'a> {
    b: &'a [u8],
    pos: usize,
}

#[derive(Debug)]
enum R {
    Str(Vec<u8>),
    Int(i64),
    Arr(Vec<R>),
    Nil,
}

impl Resp<'_> {
    fn line(&mut self) -> &[u8] {
        let rest = &self.b[self.pos..];
        let cr = rest.windows(2).position(|w| w == b"\r\n").expect("CRLF");
        self.pos += cr + 2;
        &rest[..cr]
    }
    fn value(&mut self) -> R {
        let t = self.b[self.pos];
        self.pos += 1;
        let l = self.line().to_vec();
        let n = || std::str::from_utf8(&l).ok().and_then(|s| s.parse::<i64>().ok()).expect("number");
        match t {
            b'+' | b'-' => R::Str(l.clone()),
            b':' => R::Int(n()),
            b'$' if n() < 0 => R::Nil,
            b'$' => {
                let len = n() as usize;
                let s = self.b[self.pos..self.pos + len].to_vec();
                self.pos += len + 2;
                R::Str(s)
            }
            b'*' if n() < 0 => R::Nil,
            b'*' => R::Arr((0..n()).map(|_| self.value()).collect()),
            _ => panic!("unexpected reply type {t}"),
        }
    }
}

fn run_bytes(h: &mut Harness, argv: &[&[u8]]) -> R {
    let a = ferredis::command::OwnedArgs::from_slices(argv);
    let bytes = h.run_raw(&a);
    Resp { b: &bytes, pos: 0 }.value()
}

fn check_value(e: &Entry) {
    let key = String::from_utf8_lossy(e.key()).into_owned();
    let Some(v) = e.value() else { return };
    match v {
        Value::List(List::ListPack(lp)) => {
            assert!(!lp.is_empty(), "{key}: empty list");
            assert!(Listpack::validate(lp.as_bytes()), "{key}: invalid list listpack");
        }
        Value::List(List::QuickList(q)) => {
            q.check_invariants().unwrap_or_else(|m| panic!("{key}: quicklist: {m}"));
            assert!(v_len(v) > 0, "{key}: empty list");
        }
        Value::Hash(Hash::ListPack(lp)) => {
            assert!(!lp.is_empty() && lp.len() % 2 == 0, "{key}: hash listpack of {} entries", lp.len());
            assert!(Listpack::validate(lp.as_bytes()), "{key}: invalid hash listpack");
        }
        Value::Hash(Hash::ListPackEx(x)) => {
            assert!(!x.lp.is_empty() && x.lp.len() % 3 == 0, "{key}: listpackex of {} entries", x.lp.len());
            assert!(Listpack::validate(x.lp.as_bytes()), "{key}: invalid hash listpackex");
        }
        Value::Hash(Hash::HashTable(_)) => assert!(v_len(v) > 0, "{key}: empty hash"),
        Value::Set(Set::IntSet(is)) => {
            let items: Vec<i64> = is.iter().collect();
            assert!(!items.is_empty(), "{key}: empty intset");
            assert!(items.windows(2).all(|w| w[0] < w[1]), "{key}: intset not strictly ordered: {items:?}");
        }
        Value::Set(Set::HashTable(_)) => assert!(v_len(v) > 0, "{key}: empty set"),
        Value::ZSet(z) => {
            assert!(!z.is_empty(), "{key}: empty zset");
            if let ZSet::ListPack(lp) = z {
                assert!(Listpack::validate(lp.as_bytes()), "{key}: invalid zset listpack");
            }
            z.check_invariants().unwrap_or_else(|m| panic!("{key}: zset: {m}"));
        }
        Value::Stream(st) => {
            // An empty stream is a valid key (XADD ... MAXLEN 0, XDEL of every entry, XGROUP CREATE MKSTREAM).
            let n = st.range(StreamId::MIN, StreamId::MAX, false).count();
            assert_eq!(n as u64, st.length, "{key}: stream length {} but {n} entries", st.length);
            assert!(st.groups.values().all(|g| g.check()), "{key}: a consumer group's PELs disagree");
        }
        // Module values (a JSON document, a probabilistic sketch) hold no collection to check here; their own
        // fuzz targets (json_parse, json_path, bloom_chunks) hold their readers to their invariants.
        Value::Json(_) | Value::Prob(_) => {}
    }
}

fn v_len(v: &Value) -> usize {
    match v {
        Value::List(l) => l.len(),
        Value::Hash(h) => h.len(),
        Value::Set(s) => s.len(),
        Value::ZSet(z) => z.len(),
        Value::Stream(st) => st.length as usize,
        Value::Json(_) | Value::Prob(_) => 1,
    }
}

fn check(h: &mut Harness) {
    let mut checker = ClientState::new(1, -1, "127.0.0.1:1".into(), String::new(), h.srv.now_ms);
    checker.db = h.client.db;
    checker.reply.proto = Proto::Resp2;
    let fuzzed = std::mem::replace(&mut h.client, checker);
    // The SCAN command (which drops expired keys it meets) against DBSIZE.
    let mut seen = HashSet::new();
    let mut cursor = b"0".to_vec();
    for _ in 0..100_000 {
        let R::Arr(mut parts) = run_bytes(h, &[b"SCAN", &cursor, b"COUNT", b"7"]) else { panic!("SCAN reply") };
        let (Some(R::Arr(keys)), Some(R::Str(next))) = (parts.pop(), parts.pop()) else { panic!("SCAN reply shape") };
        for k in keys {
            let R::Str(k) = k else { panic!("SCAN key") };
            seen.insert(k);
        }
        cursor = next;
        if cursor == b"0" {
            break;
        }
    }
    assert_eq!(cursor, b"0", "SCAN does not finish");
    let R::Int(n) = run_bytes(h, &[b"DBSIZE"]) else { panic!("DBSIZE reply") };
    assert_eq!(n as usize, seen.len(), "DBSIZE {n} but SCAN returned {} keys", seen.len());
    // Each key's TYPE and OBJECT ENCODING match what is stored.
    for k in &seen {
        let db = h.client.db;
        let now = h.srv.now_ms;
        let Some(e) = h.srv.dbs[db].peek(k, now) else { panic!("SCAN returned a key peek does not find") };
        check_value(e);
        let (ty, enc) = (e.obj_type().name(), e.encoding().name());
        let R::Str(t) = run_bytes(h, &[b"TYPE", k]) else { panic!("TYPE reply") };
        assert_eq!(t, ty.as_bytes(), "TYPE of {k:?}");
        let R::Str(en) = run_bytes(h, &[b"OBJECT", b"ENCODING", k]) else { panic!("OBJECT ENCODING reply") };
        assert_eq!(en, enc.as_bytes(), "OBJECT ENCODING of {k:?}");
        let ok = match ty {
            "string" => ["int", "embstr", "raw"].contains(&enc),
            "list" => ["listpack", "quicklist"].contains(&enc),
            "hash" => ["listpack", "hashtable"].contains(&enc),
            "set" => ["intset", "hashtable"].contains(&enc),
            "zset" => ["listpack", "skiplist"].contains(&enc),
            "stream" => enc == "stream",
            _ => false,
        };
        assert!(ok, "type {ty} with encoding {enc}");
    }
    // Every database's table: a raw scan visits len() distinct keys.
    for (i, db) in h.srv.dbs.iter().enumerate() {
        let mut keys = HashSet::new();
        let mut c = 0;
        loop {
            c = db.scan(c, |e| {
                keys.insert(e.key().to_vec());
            });
            if c == 0 {
                break;
            }
        }
        assert_eq!(keys.len(), db.len(), "db {i}: table scan finds {} keys, len() is {}", keys.len(), db.len());
    }
    h.client = fuzzed;
}

fn config() -> Config {
    let mut c = Config::default();
    // No save points (FLUSHALL would save), DEBUG allowed for the inspection subcommands above.
    c.apply_text("save \"\"\nappendonly no\nenable-debug-command yes\n").expect("fuzz config");
    c
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::with_config(config());
    for line in data.split(|&b| b == b'\n').take(200) {
        let Some(argv) = split_args(line) else { continue };
        if argv.is_empty() {
            continue;
        }
        if argv[0] == b"@tick" {
            let ms = argv.get(1).and_then(|a| std::str::from_utf8(a).ok()).and_then(|s| s.parse::<u32>().ok());
            h.srv.now_ms += ms.unwrap_or(1000) as i64;
            continue;
        }
        if !allowed(&argv) {
            continue;
        }
        let a = ferredis::command::OwnedArgs::from_slices(&argv);
        h.run_args(&a);
        check(&mut h);
    }
});
