//! redis-py's `Lock` recipe driven through the `redis` crate, against ferredis and against redis-server.
//!
//! redis-py (`redis/lock.py`) builds a distributed lock from `SET name token NX PX ms` and three Lua scripts run
//! with EVALSHA (loading them with SCRIPT LOAD when the server answers NOSCRIPT, as redis-py's `Script` does):
//! - release: delete the key only if it still holds our token (1), else 0;
//! - extend: only if it holds our token and has a TTL, add the extra milliseconds to the remaining TTL, or
//!   replace the TTL when asked (1), else 0;
//! - reacquire: only if it holds our token, reset the TTL (1), else 0.
//!
//! The scripts below are written here from that description. Every scenario returns a transcript of outcomes;
//! it is asserted on directly, and the transcripts of both servers must be equal. TTLs are huge (minutes) so
//! that bounds on PTTL hold however slow the machine is; the expiry scenario waits for the key to go rather than
//! sleeping a fixed time.

use crate::common;

use common::{wait_for, Kind, Server};
use redis::{RedisResult, Value};

const RELEASE: &str = r#"
-- release: only the holder of the token may delete the lock
local holder = redis.call('GET', KEYS[1])
if holder == false or holder ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
"#;

const EXTEND: &str = r#"
-- extend: ARGV = token, milliseconds, replace ("1") or add ("0")
local holder = redis.call('GET', KEYS[1])
if holder == false or holder ~= ARGV[1] then
  return 0
end
local remaining = redis.call('PTTL', KEYS[1])
if not remaining then remaining = 0 end
if remaining < 0 then
  return 0
end
local ttl = ARGV[2]
if ARGV[3] == "0" then
  ttl = ARGV[2] + remaining
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"#;

const REACQUIRE: &str = r#"
-- reacquire: the holder resets the TTL
local holder = redis.call('GET', KEYS[1])
if holder == false or holder ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"#;

fn connect(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client url").get_connection().expect("connect")
}

/// A script run the way redis-py's `Script` runs it: EVALSHA, and on NOSCRIPT a SCRIPT LOAD and a retry.
struct Script {
    body: &'static str,
    sha: Option<String>,
    loads: usize,
}

impl Script {
    fn new(body: &'static str) -> Script {
        Script { body, sha: None, loads: 0 }
    }

    fn load(&mut self, c: &mut redis::Connection) -> String {
        let sha: String = redis::cmd("SCRIPT").arg("LOAD").arg(self.body).query(c).expect("SCRIPT LOAD");
        self.loads += 1;
        assert_eq!(sha.len(), 40, "SCRIPT LOAD returned {sha:?}");
        self.sha = Some(sha.clone());
        sha
    }

    fn run(&mut self, c: &mut redis::Connection, key: &str, args: &[&str]) -> i64 {
        let sha = match &self.sha {
            Some(s) => s.clone(),
            None => self.load(c),
        };
        let call = |c: &mut redis::Connection, sha: &str| -> RedisResult<i64> {
            redis::cmd("EVALSHA").arg(sha).arg(1).arg(key).arg(args).query(c)
        };
        match call(c, &sha) {
            Ok(v) => v,
            Err(e) if e.code() == Some("NOSCRIPT") => {
                let sha = self.load(c);
                call(c, &sha).expect("EVALSHA after SCRIPT LOAD")
            }
            Err(e) => panic!("EVALSHA: {e}"),
        }
    }
}

/// The lock operations of redis-py's `Lock` over one connection.
struct Lock {
    con: redis::Connection,
    name: String,
    release: Script,
    extend: Script,
    reacquire: Script,
}

impl Lock {
    fn new(port: u16, name: &str) -> Lock {
        Lock {
            con: connect(port),
            name: name.to_string(),
            release: Script::new(RELEASE),
            extend: Script::new(EXTEND),
            reacquire: Script::new(REACQUIRE),
        }
    }

    /// One non-blocking acquire attempt: `SET name token NX PX ms`.
    fn try_acquire(&mut self, token: &str, ms: u64) -> bool {
        let r: Value =
            redis::cmd("SET").arg(&self.name).arg(token).arg("NX").arg("PX").arg(ms).query(&mut self.con).expect("SET");
        match r {
            Value::Okay => true,
            Value::Nil => false,
            other => panic!("SET NX PX replied {other:?}"),
        }
    }

    /// Blocking acquire: retry until the lock is free (like redis-py's `blocking=True`, with a short pause).
    fn acquire(&mut self, token: &str, ms: u64) {
        while !self.try_acquire(token, ms) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    fn release(&mut self, token: &str) -> i64 {
        let name = self.name.clone();
        self.release.run(&mut self.con, &name, &[token])
    }

    fn extend(&mut self, token: &str, ms: u64, replace: bool) -> i64 {
        let name = self.name.clone();
        let ms = ms.to_string();
        self.extend.run(&mut self.con, &name, &[token, &ms, if replace { "1" } else { "0" }])
    }

    fn reacquire(&mut self, token: &str, ms: u64) -> i64 {
        let name = self.name.clone();
        let ms = ms.to_string();
        self.reacquire.run(&mut self.con, &name, &[token, &ms])
    }

    fn holder(&mut self) -> Option<String> {
        redis::cmd("GET").arg(&self.name).query(&mut self.con).expect("GET")
    }

    fn pttl(&mut self) -> i64 {
        redis::cmd("PTTL").arg(&self.name).query(&mut self.con).expect("PTTL")
    }
}

const MINUTE: u64 = 60_000;

/// Acquire, contention, extend (add and replace), reacquire, release, each with the wrong token too.
fn lifecycle(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Lock::new(port, "lock:life");
    let mut b = Lock::new(port, "lock:life");
    t.push(format!("a acquires: {}", a.try_acquire("token-a", 10 * MINUTE)));
    t.push(format!("b acquires while held: {}", b.try_acquire("token-b", 10 * MINUTE)));
    t.push(format!("holder: {:?}", b.holder()));
    let before = a.pttl();
    assert!(before > 0 && before <= (10 * MINUTE) as i64, "PTTL after acquire: {before}");

    t.push(format!("b extends: {}", b.extend("token-b", 10 * MINUTE, false)));
    t.push(format!("a extends by 10 min: {}", a.extend("token-a", 10 * MINUTE, false)));
    let added = a.pttl();
    assert!(added > (10 * MINUTE) as i64 && added <= (20 * MINUTE) as i64, "PTTL after an additive extend: {added}");

    t.push(format!("a extends replacing with 1 min: {}", a.extend("token-a", MINUTE, true)));
    let replaced = a.pttl();
    assert!(replaced > 0 && replaced <= MINUTE as i64, "PTTL after a replacing extend: {replaced}");

    t.push(format!("b reacquires: {}", b.reacquire("token-b", 30 * MINUTE)));
    t.push(format!("a reacquires for 30 min: {}", a.reacquire("token-a", 30 * MINUTE)));
    let reset = a.pttl();
    assert!(reset > MINUTE as i64 && reset <= (30 * MINUTE) as i64, "PTTL after reacquire: {reset}");

    t.push(format!("b releases: {}", b.release("token-b")));
    t.push(format!("holder after b's release: {:?}", a.holder()));
    t.push(format!("a releases: {}", a.release("token-a")));
    t.push(format!("holder after a's release: {:?}", a.holder()));
    t.push(format!("a releases again: {}", a.release("token-a")));
    t.push(format!("a extends a released lock: {}", a.extend("token-a", MINUTE, false)));
    t.push(format!("a reacquires a released lock: {}", a.reacquire("token-a", MINUTE)));
    t.push(format!("b acquires the free lock: {}", b.try_acquire("token-b", MINUTE)));
    t.push(format!("b releases: {}", b.release("token-b")));
    t
}

/// A lock key without a TTL (set by hand) cannot be extended, only reacquired; binary-safe tokens.
fn odd_states(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Lock::new(port, "lock:odd");
    let _: () = redis::cmd("SET").arg("lock:odd").arg("token-a").query(&mut a.con).expect("SET");
    t.push(format!("extend without a TTL: {}", a.extend("token-a", MINUTE, false)));
    t.push(format!("pttl: {}", a.pttl()));
    t.push(format!("reacquire without a TTL: {}", a.reacquire("token-a", MINUTE)));
    t.push(format!("extend now: {}", a.extend("token-a", MINUTE, false)));
    t.push(format!("release: {}", a.release("token-a")));

    let token = "tok\u{e9}n with spaces";
    t.push(format!("acquire with an odd token: {}", a.try_acquire(token, MINUTE)));
    t.push(format!("release with a prefix of it: {}", a.release("tok")));
    t.push(format!("release with it: {}", a.release(token)));

    // The lock key holding another type: GET fails inside the script, and the error reaches the client.
    let _: () = redis::cmd("RPUSH").arg("lock:odd").arg("x").query(&mut a.con).expect("RPUSH");
    let sha = a.release.sha.clone().expect("release script loaded");
    let r: RedisResult<i64> = redis::cmd("EVALSHA").arg(&sha).arg(1).arg("lock:odd").arg("x").query(&mut a.con);
    let e = r.expect_err("release of a list key");
    t.push(format!(
        "release of a list key: {:?} {}",
        e.code(),
        e.detail().is_some_and(|d| d.contains("wrong kind of value"))
    ));
    t
}

/// After SCRIPT FLUSH, EVALSHA answers NOSCRIPT and the script is loaded again (redis-py's fallback).
fn noscript_fallback(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Lock::new(port, "lock:flush");
    t.push(format!("acquire: {}", a.try_acquire("t", MINUTE)));
    t.push(format!("extend: {}", a.extend("t", MINUTE, false)));
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut a.con).expect("SCRIPT FLUSH");
    t.push(format!("extend after SCRIPT FLUSH: {}", a.extend("t", MINUTE, false)));
    t.push(format!("extend script loads: {}", a.extend.loads));
    t.push(format!("release: {}", a.release("t")));
    t
}

/// A lock that expires is free for others, and its old holder can neither release nor extend it.
fn expiry(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Lock::new(port, "lock:exp");
    let mut b = Lock::new(port, "lock:exp");
    t.push(format!("a acquires for 20 ms: {}", a.try_acquire("token-a", 20)));
    wait_for("the lock to expire", || a.holder().is_none());
    t.push(format!("b acquires after expiry: {}", b.try_acquire("token-b", MINUTE)));
    t.push(format!("a releases: {}", a.release("token-a")));
    t.push(format!("a extends: {}", a.extend("token-a", MINUTE, false)));
    t.push(format!("a reacquires: {}", a.reacquire("token-a", MINUTE)));
    t.push(format!("holder: {:?}", b.holder()));
    t.push(format!("b releases: {}", b.release("token-b")));
    t
}

/// Contention: threads increment a counter with GET + SET inside the lock; mutual exclusion means no lost
/// updates, whatever the interleaving.
fn contention(port: u16) -> Vec<String> {
    const THREADS: usize = 4;
    const ROUNDS: usize = 25;
    let mut setup = connect(port);
    let _: () = redis::cmd("SET").arg("guarded").arg(0).query(&mut setup).expect("SET");
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            std::thread::spawn(move || {
                let mut lock = Lock::new(port, "lock:contended");
                let mut released = 0;
                for round in 0..ROUNDS {
                    let token = format!("worker-{i}-{round}");
                    lock.acquire(&token, 10 * MINUTE);
                    let v: i64 = redis::cmd("GET").arg("guarded").query(&mut lock.con).expect("GET");
                    let _: () = redis::cmd("SET").arg("guarded").arg(v + 1).query(&mut lock.con).expect("SET");
                    released += lock.release(&token);
                }
                released
            })
        })
        .collect();
    let released: i64 = handles.into_iter().map(|h| h.join().expect("worker thread")).sum();
    let total: i64 = redis::cmd("GET").arg("guarded").query(&mut setup).expect("GET");
    let left: Option<String> = redis::cmd("GET").arg("lock:contended").query(&mut setup).expect("GET");
    vec![format!("counter: {total}"), format!("successful releases: {released}"), format!("lock left: {left:?}")]
}

fn expect(transcript: &[String], want: &[&str]) {
    assert_eq!(transcript, want, "transcript:\n{}", transcript.join("\n"));
}

/// Every scenario, each transcript pinned: both servers must produce exactly these outcomes.
fn check_all(port: u16) {
    let life = lifecycle(port);
    expect(
        &life,
        &[
            "a acquires: true",
            "b acquires while held: false",
            "holder: Some(\"token-a\")",
            "b extends: 0",
            "a extends by 10 min: 1",
            "a extends replacing with 1 min: 1",
            "b reacquires: 0",
            "a reacquires for 30 min: 1",
            "b releases: 0",
            "holder after b's release: Some(\"token-a\")",
            "a releases: 1",
            "holder after a's release: None",
            "a releases again: 0",
            "a extends a released lock: 0",
            "a reacquires a released lock: 0",
            "b acquires the free lock: true",
            "b releases: 1",
        ],
    );
    let odd = odd_states(port);
    expect(
        &odd,
        &[
            "extend without a TTL: 0",
            "pttl: -1",
            "reacquire without a TTL: 1",
            "extend now: 1",
            "release: 1",
            "acquire with an odd token: true",
            "release with a prefix of it: 0",
            "release with it: 1",
            "release of a list key: Some(\"WRONGTYPE\") true",
        ],
    );
    let flush = noscript_fallback(port);
    expect(
        &flush,
        &["acquire: true", "extend: 1", "extend after SCRIPT FLUSH: 1", "extend script loads: 2", "release: 1"],
    );
    let exp = expiry(port);
    expect(
        &exp,
        &[
            "a acquires for 20 ms: true",
            "b acquires after expiry: true",
            "a releases: 0",
            "a extends: 0",
            "a reacquires: 0",
            "holder: Some(\"token-b\")",
            "b releases: 1",
        ],
    );
    let cont = contention(port);
    expect(&cont, &["counter: 100", "successful releases: 100", "lock left: None"]);
}

#[test]
fn lock_scripts_on_ferredis() {
    let s = Server::start(Kind::Ferredis, &[]);
    check_all(s.port);
}

#[test]
fn lock_scripts_on_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let s = Server::start(Kind::Redis, &[]);
    check_all(s.port);
}
