//! ferredis through a real client library: the `redis` crate (sync API, RESP2 and RESP3).
//!
//! Every scenario is a function of the server's port. Each runs against ferredis in its own test, and
//! `oracle_redis_agrees` runs all of them against Debian's redis-server so the expectations themselves are
//! checked against the reference.

use crate::common;

use common::{Kind, Server};
use redis::{Commands, RedisResult, Value};

fn client(port: u16, resp3: bool) -> redis::Connection {
    let url =
        if resp3 { format!("redis://127.0.0.1:{port}/?protocol=resp3") } else { format!("redis://127.0.0.1:{port}/") };
    let c = redis::Client::open(url).expect("client url");
    c.get_connection().expect("connect")
}

fn set_get(port: u16) {
    let mut c = client(port, false);
    let _: () = c.set("greeting", "hello").unwrap();
    let v: String = c.get("greeting").unwrap();
    assert_eq!(v, "hello");
    let missing: Option<String> = c.get("nope").unwrap();
    assert_eq!(missing, None);
    let bin: Vec<u8> = vec![0, 1, 2, 255, b'\r', b'\n'];
    let _: () = c.set("bin", &bin[..]).unwrap();
    let back: Vec<u8> = c.get("bin").unwrap();
    assert_eq!(back, bin);
    let n: usize = c.strlen("bin").unwrap();
    assert_eq!(n, 6);
    let old: Option<String> = redis::cmd("SET").arg("greeting").arg("bye").arg("GET").query(&mut c).unwrap();
    assert_eq!(old.as_deref(), Some("hello"));
    let nx: Option<String> = redis::cmd("SET").arg("greeting").arg("x").arg("NX").query(&mut c).unwrap();
    assert_eq!(nx, None);
    let deleted: i64 = c.del(&["greeting", "bin", "nope"]).unwrap();
    assert_eq!(deleted, 2);
}

fn incr_family(port: u16) {
    let mut c = client(port, false);
    let _: () = c.del("counter").unwrap();
    let a: i64 = c.incr("counter", 1).unwrap();
    let b: i64 = c.incr("counter", 41).unwrap();
    let d: i64 = c.decr("counter", 2).unwrap();
    assert_eq!((a, b, d), (1, 42, 40));
    let f: f64 = redis::cmd("INCRBYFLOAT").arg("counter").arg("0.5").query(&mut c).unwrap();
    assert_eq!(f, 40.5);
    let s: String = c.get("counter").unwrap();
    assert_eq!(s, "40.5");
    let _: () = c.set("counter", i64::MAX).unwrap();
    let overflow: RedisResult<i64> = c.incr("counter", 1);
    let e = overflow.unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    assert!(e.to_string().contains("increment or decrement would overflow"), "{e}");
}

fn mget_mset(port: u16) {
    let mut c = client(port, false);
    let _: () = c.mset(&[("m1", "a"), ("m2", "b"), ("m3", "c")]).unwrap();
    let vals: Vec<Option<String>> = c.mget(&["m1", "missing", "m3"]).unwrap();
    assert_eq!(vals, vec![Some("a".into()), None, Some("c".into())]);
    let set: bool = c.mset_nx(&[("m1", "z"), ("m4", "d")]).unwrap();
    assert!(!set);
    let m4: Option<String> = c.get("m4").unwrap();
    assert_eq!(m4, None);
    let n: i64 = c.exists(&["m1", "m2", "m3", "m4"]).unwrap();
    assert_eq!(n, 3);
}

fn pipelines(port: u16) {
    let mut c = client(port, false);
    let (a, b, n): (String, Option<String>, i64) = redis::pipe()
        .cmd("SET")
        .arg("p1")
        .arg("one")
        .ignore()
        .cmd("GET")
        .arg("p1")
        .cmd("GET")
        .arg("p-missing")
        .cmd("INCR")
        .arg("p-count")
        .query(&mut c)
        .unwrap();
    assert_eq!((a.as_str(), b, n), ("one", None, 1));
    // A long pipeline exercises partial reads and writes on both sides.
    let mut p = redis::pipe();
    for i in 0..2000 {
        p.cmd("SET").arg(format!("pk{i}")).arg(i).ignore();
    }
    for i in 0..2000 {
        p.cmd("GET").arg(format!("pk{i}"));
    }
    let got: Vec<i64> = p.query(&mut c).unwrap();
    assert_eq!(got, (0..2000).collect::<Vec<i64>>());
    let size: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert!(size >= 2000);
    // Atomic pipelines wrap in MULTI/EXEC (only where the server has transactions).
    let multi: RedisResult<Value> = redis::cmd("MULTI").query(&mut c);
    if multi.is_ok() {
        let _: RedisResult<Value> = redis::cmd("DISCARD").query(&mut c);
        let (x, y): (i64, i64) = redis::pipe().atomic().incr("tx", 1).incr("tx", 1).query(&mut c).unwrap();
        assert_eq!((x, y), (1, 2));
    }
}

fn expire_ttl(port: u16) {
    let mut c = client(port, false);
    let _: () = c.set("e", "v").unwrap();
    let none: i64 = c.ttl("e").unwrap();
    assert_eq!(none, -1);
    let ok: bool = c.expire("e", 1000).unwrap();
    assert!(ok);
    let ttl: i64 = c.ttl("e").unwrap();
    assert!((999..=1000).contains(&ttl), "ttl {ttl}");
    let pttl: i64 = c.pttl("e").unwrap();
    assert!(pttl > 990_000 && pttl <= 1_000_000, "pttl {pttl}");
    let persisted: bool = c.persist("e").unwrap();
    assert!(persisted);
    let gone: i64 = c.ttl("missing-key").unwrap();
    assert_eq!(gone, -2);
    // An expiry in the past deletes at once.
    let _: bool = c.expire_at("e", 1).unwrap();
    let exists: bool = c.exists("e").unwrap();
    assert!(!exists);
    let _: () = c.set_ex("sx", "v", 500).unwrap();
    let t: i64 = c.ttl("sx").unwrap();
    assert!((499..=500).contains(&t), "ttl {t}");
}

fn scan_iter(port: u16) {
    let mut c = client(port, false);
    let _: () = redis::cmd("FLUSHDB").query(&mut c).unwrap();
    for i in 0..300 {
        let _: () = c.set(format!("scan:{i}"), i).unwrap();
    }
    let _: () = c.set("other", 1).unwrap();
    let mut all: Vec<String> = c.scan().unwrap().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 301);
    let mut matched: Vec<String> = c.scan_match("scan:1*").unwrap().collect();
    matched.sort();
    matched.dedup();
    // scan:1, scan:10..19, scan:100..199
    assert_eq!(matched.len(), 1 + 10 + 100);
    let keys: Vec<String> = c.keys("scan:2?").unwrap();
    assert_eq!(keys.len(), 10);
}

fn errors_surface(port: u16) {
    let mut c = client(port, false);
    let r: RedisResult<Value> = redis::cmd("NOSUCHCOMMAND").arg("x").query(&mut c);
    let e = r.unwrap_err();
    assert_eq!(e.code(), Some("ERR"));
    assert!(e.to_string().contains("unknown command"), "{e}");
    let r: RedisResult<Value> = redis::cmd("GET").query(&mut c);
    assert!(r.unwrap_err().to_string().contains("wrong number of arguments"));
    let _: () = c.set("str", "abc").unwrap();
    let r: RedisResult<i64> = c.incr("str", 1);
    assert!(r.unwrap_err().to_string().contains("not an integer"));
    let r: RedisResult<Value> = redis::cmd("SET").arg("a").arg("b").arg("EX").arg("0").query(&mut c);
    assert!(r.unwrap_err().to_string().contains("invalid expire time"));
    // The connection stays usable after errors.
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

fn resp3_hello(port: u16) {
    let mut c = client(port, true);
    let hello: Value = redis::cmd("HELLO").arg(3).query(&mut c).unwrap();
    let Value::Map(kv) = hello else { panic!("HELLO 3 should be a map, got {hello:?}") };
    let get = |k: &str| kv.iter().find(|(kk, _)| matches!(kk, Value::BulkString(b) if b == k.as_bytes())).map(|x| &x.1);
    assert_eq!(get("proto"), Some(&Value::Int(3)));
    assert_eq!(get("server"), Some(&Value::BulkString(b"redis".to_vec())));
    let _: () = c.set("r3", "v").unwrap();
    let v: String = c.get("r3").unwrap();
    assert_eq!(v, "v");
    let nil: Value = redis::cmd("GET").arg("r3-missing").query(&mut c).unwrap();
    assert_eq!(nil, Value::Nil);
    let vals: Vec<Option<String>> = c.mget(&["r3", "r3-missing"]).unwrap();
    assert_eq!(vals, vec![Some("v".into()), None]);
    let cfg: Value = redis::cmd("CONFIG").arg("GET").arg("maxmemory").query(&mut c).unwrap();
    assert!(matches!(cfg, Value::Map(ref m) if m.len() == 1), "{cfg:?}");
}

fn select_databases(port: u16) {
    let mut c = client(port, false);
    let _: () = redis::cmd("SELECT").arg(3).query(&mut c).unwrap();
    let _: () = c.set("in3", "x").unwrap();
    let _: () = redis::cmd("SELECT").arg(0).query(&mut c).unwrap();
    let none: Option<String> = c.get("in3").unwrap();
    assert_eq!(none, None);
    let url_db = redis::Client::open(format!("redis://127.0.0.1:{port}/3")).unwrap();
    let mut c3 = url_db.get_connection().unwrap();
    let v: String = c3.get("in3").unwrap();
    assert_eq!(v, "x");
}

type Scenario = (&'static str, fn(u16));

const SCENARIOS: &[Scenario] = &[
    ("set_get", set_get),
    ("incr_family", incr_family),
    ("mget_mset", mget_mset),
    ("pipelines", pipelines),
    ("expire_ttl", expire_ttl),
    ("scan_iter", scan_iter),
    ("errors_surface", errors_surface),
    ("resp3_hello", resp3_hello),
    ("select_databases", select_databases),
];

fn on_ferredis(f: fn(u16)) {
    let s = Server::start(Kind::Ferredis, &[]);
    f(s.port);
}

#[test]
fn client_set_get() {
    on_ferredis(set_get);
}

#[test]
fn client_incr_family() {
    on_ferredis(incr_family);
}

#[test]
fn client_mget_mset() {
    on_ferredis(mget_mset);
}

#[test]
fn client_pipelines() {
    on_ferredis(pipelines);
}

#[test]
fn client_expire_ttl() {
    on_ferredis(expire_ttl);
}

#[test]
fn client_scan_iter() {
    on_ferredis(scan_iter);
}

#[test]
fn client_errors_surface() {
    on_ferredis(errors_surface);
}

#[test]
fn client_resp3_hello() {
    on_ferredis(resp3_hello);
}

#[test]
fn client_select_databases() {
    on_ferredis(select_databases);
}

#[test]
fn oracle_redis_agrees() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let s = Server::redis();
    for (name, f) in SCENARIOS {
        eprintln!("redis-server: {name}");
        f(s.port);
    }
}
