//! Client-side caching (CLIENT TRACKING) against Debian's redis-server 7.0.15, bytes compared:
//!
//! - multi-client transcripts (a tracking client, a writer, a redirect client, in RESP2 and RESP3): after every
//!   step each client is drained up to a PING's reply, so every push lands in the transcript at the place it
//!   reaches its client, then the two servers' transcripts are compared (client ids normalized);
//! - every option: REDIRECT (RESP3 client, RESP2 subscriber of `__redis__:invalidate`), BCAST with and without
//!   prefixes, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP in both modes; CLIENT TRACKINGINFO, GETREDIR, the
//!   CLIENT LIST/INFO flags and `redir=`; every refusal and its exact text, with the state unchanged after it;
//! - every way a key changes: writes, DEL, RENAME, lazy and active expiry, eviction, FLUSHALL/FLUSHDB (the null
//!   form, ASYNC too), MULTI/EXEC (the caller's own invalidations after EXEC's reply), scripts (EVAL, EVAL_RO,
//!   NOLOOP), a blocked BLMOVE served, the replica applying its master's stream (ferredis and Redis masters);
//! - redirect loss (`tracking-redir-broken`), RESET, a client gone, the INFO figures and the table limit.
//!
//! Without /usr/bin/redis-server the tests print "skipped" and pass.

use crate::common;

use common::*;
use std::time::Duration;

/// Connections of one transcript and what the runner knows about them.
struct Clients {
    conns: Vec<Conn>,
    ids: Vec<String>,
    /// Clients with replies switched off (not drained with PING).
    quiet: Vec<bool>,
    /// Clients inside MULTI (a PING would be queued).
    multi: Vec<bool>,
}

impl Clients {
    fn new(port: u16, n: usize) -> Clients {
        // Client ids of at least 100, so that normalizing them back to `{idN}` never hits another number.
        for _ in 0..100 {
            drop(Conn::connect(port));
        }
        let mut conns = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..n {
            let mut c = Conn::connect(port);
            let id = String::from_utf8_lossy(&c.cmd(&["CLIENT", "ID"])).trim().trim_start_matches(':').to_string();
            conns.push(c);
            ids.push(id);
        }
        Clients { conns, ids, quiet: vec![false; n], multi: vec![false; n] }
    }

    /// `{idN}` → client N's id.
    fn expand(&self, line: &str) -> String {
        let mut s = line.to_string();
        for (i, id) in self.ids.iter().enumerate() {
            s = s.replace(&format!("{{id{i}}}"), id);
        }
        s
    }

    /// Client ids back to `{idN}` in a reply (`:7\r\n`, `redir=7 `, `$1\r\n7\r\n`).
    fn normalize(&self, bytes: &[u8]) -> String {
        let mut s = escape(bytes);
        for (i, id) in self.ids.iter().enumerate().rev() {
            s = s.replace(&format!(":{id}\\r\\n"), &format!(":{{id{i}}}\\r\\n"));
            s = s.replace(&format!("redir={id} "), &format!("redir={{id{i}}} "));
        }
        s
    }

    /// Everything client `i` received up to the reply of a PING (or, with replies off, within 200 ms).
    fn drain(&mut self, i: usize, out: &mut Vec<String>) {
        if self.quiet[i] {
            let (bytes, _) = self.conns[i].read_until_close(200);
            self.conns[i].set_read_timeout_ms(10_000);
            if !bytes.is_empty() {
                let s = self.normalize(&bytes);
                out.push(format!("  client {i} < {s}"));
            }
            return;
        }
        self.conns[i].send(&["PING"]).expect("send ping");
        loop {
            let f = self.conns[i].read_reply().unwrap_or_else(|e| panic!("client {i}: {e}"));
            if is_pong(&f) {
                break;
            }
            let s = self.normalize(&f);
            out.push(format!("  client {i} < {s}"));
        }
    }
}

/// Runs `steps` on `n` fresh clients of the server on `port` and returns the transcript. A step is (client, line):
/// `{idN}` in the line is client N's id; a line starting with `&` is sent without waiting (a command that blocks);
/// `%` records only the `flags=`, `redir=` and `tracking_*` fields of the reply (CLIENT INFO / LIST, INFO);
/// `sleep N` pauses N ms.
fn transcript(port: u16, n: usize, steps: &[(usize, &str)]) -> Vec<String> {
    let mut cl = Clients::new(port, n);
    let mut out = Vec::new();
    for (k, &(who, line)) in steps.iter().enumerate() {
        if let Some(ms) = line.strip_prefix("sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep ms")));
            continue;
        }
        let (nowait, line) = match line.strip_prefix('&') {
            Some(l) => (true, l),
            None => (false, line),
        };
        let (fields, line) = match line.strip_prefix('%') {
            Some(l) => (true, l),
            None => (false, line),
        };
        let expanded = cl.expand(line);
        let args = split_args(&expanded).expect("test line");
        out.push(format!("step {k}: client {who} > {line}"));
        let lower = expanded.to_ascii_lowercase();
        if lower.starts_with("client reply off") {
            cl.quiet[who] = true;
        }
        cl.conns[who].send(&args).expect("send");
        if fields {
            let r = cl.conns[who].read_reply().expect("reply");
            let text = String::from_utf8_lossy(&r).into_owned();
            let pick: Vec<&str> = text
                .split([' ', '\r', '\n'])
                .filter(|f| f.starts_with("flags=") || f.starts_with("redir=") || f.starts_with("tracking_"))
                .collect();
            let s = cl.normalize(format!("{} ", pick.join(" ")).as_bytes());
            out.push(format!("  client {who} < {s}"));
        }
        if lower.starts_with("client reply on") {
            cl.quiet[who] = false;
        }
        if lower == "quit" {
            let r = cl.conns[who].read_reply().expect("quit reply");
            out.push(format!("  client {who} < {}", escape(&r)));
            cl.quiet[who] = true;
            let _ = cl.conns[who].read_until_close(300);
            continue;
        }
        if lower == "multi" || cl.multi[who] {
            // Inside a transaction: the command's own reply (after any push that precedes it).
            cl.multi[who] = !(lower == "exec" || lower == "discard");
            loop {
                let f = cl.conns[who].read_reply().expect("reply in MULTI");
                out.push(format!("  client {who} < {}", cl.normalize(&f)));
                if !f.starts_with(b">") {
                    break;
                }
            }
        } else if !nowait {
            cl.drain(who, &mut out);
        }
        for i in 0..n {
            if i != who && !cl.multi[i] {
                cl.drain(i, &mut out);
            }
        }
    }
    out
}

/// Runs the same transcript on fresh redis-server and ferredis (with `extra` options), then compares.
fn compare(name: &str, extra: &[&str], n: usize, steps: &[(usize, &str)]) {
    if !have_redis() {
        return;
    }
    let redis = Server::start(Kind::Redis, extra);
    let fer = Server::start(Kind::Ferredis, extra);
    let r = transcript(redis.port, n, steps);
    let f = transcript(fer.port, n, steps);
    if r != f {
        let mut report = String::new();
        for (i, (a, b)) in r.iter().zip(f.iter()).enumerate() {
            if a != b {
                report = format!("first difference at line {i}:\n  redis:    {a}\n  ferredis: {b}\n");
                break;
            }
        }
        panic!("[{name}] transcripts differ\n{report}\nredis:\n{}\n\nferredis:\n{}", r.join("\n"), f.join("\n"));
    }
}

#[test]
fn resp3_default_mode() {
    compare(
        "resp3",
        &[],
        2,
        &[
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on"),
            (1, "MSET a 1 b 2 c 3 h:1 x"),
            (0, "GET a"),
            (0, "MGET b c nokey"),
            (0, "EXISTS h:1"),
            (0, "STRLEN a"),
            (1, "SET a 10"),
            (1, "SET a 11"),
            (1, "DEL b nokey"),
            (1, "APPEND c x"),
            (1, "RENAME h:1 h:2"),
            (0, "HSET hash f 1"),
            (0, "HGET hash f"),
            (0, "HDEL hash f"),
            (0, "GET mine"),
            (0, "SET mine 1"),
            (0, "GET mine"),
            (0, "INCR mine"),
            (0, "LRANGE l 0 -1"),
            (1, "RPUSH l a b"),
            (0, "TYPE l"),
            (1, "LPOP l"),
            (1, "LPOP l"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "CLIENT GETREDIR"),
            (0, "%CLIENT INFO"),
            (1, "%CLIENT LIST ID {id0}"),
            (0, "%INFO stats"),
            (0, "CLIENT TRACKING off"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "CLIENT GETREDIR"),
            (0, "%CLIENT INFO"),
            (1, "SET a 1"),
        ],
    );
}

#[test]
fn resp2_redirect_to_subscriber() {
    compare(
        "resp2 redirect",
        &[],
        3,
        &[
            (2, "SUBSCRIBE __redis__:invalidate"),
            (0, "CLIENT TRACKING on REDIRECT {id2}"),
            (0, "CLIENT GETREDIR"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "%CLIENT INFO"),
            (1, "SET a{t} 1"),
            (1, "SET b{t} 1"),
            (0, "GET a{t}"),
            (1, "INCR b{t}"),
            (1, "INCR a{t}"),
            (0, "MGET a{t} b{t} c{t}"),
            (0, "SET c{t} 5"),
            (1, "DEL a{t} b{t} c{t}"),
            // Not subscribed: a RESP2 redirect target gets nothing.
            (2, "UNSUBSCRIBE"),
            (0, "GET x"),
            (1, "SET x 1"),
            (2, "PSUBSCRIBE foo*"),
            (0, "GET x"),
            (1, "SET x 2"),
            // A client without tracking as the target of a tracking client; itself redirecting to itself.
            (1, "CLIENT TRACKING on REDIRECT {id1}"),
            (1, "GET y"),
            (0, "SET y 1"),
            (1, "CLIENT TRACKING off"),
            // Switching the tracking client to RESP3 keeps the redirection.
            (0, "HELLO 3"),
            (0, "GET x"),
            (1, "SET x 3"),
        ],
    );
}

#[test]
fn resp3_redirect_and_broken_redirection() {
    compare(
        "resp3 redirect",
        &[],
        3,
        &[
            (2, "HELLO 3"),
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on REDIRECT {id2}"),
            (0, "GET k"),
            (1, "SET k 1"),
            (0, "GET k"),
            // The redirect target changes the key itself: Redis writes the push at once, before its reply.
            (2, "SET k 2"),
            (0, "GET k"),
            (2, "SUBSCRIBE ch"),
            (1, "SET k 3"),
            (2, "UNSUBSCRIBE ch"),
            (0, "GET k"),
            (2, "QUIT"),
            (1, "SET k 4"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "%CLIENT INFO"),
            (0, "GET k"),
            (1, "SET k 5"),
            (0, "FLUSHALL"),
            // Re-enabling clears the broken flag, but the target still does not exist.
            (0, "CLIENT TRACKING on"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "CLIENT TRACKING on REDIRECT {id2}"),
            (0, "CLIENT TRACKINGINFO"),
        ],
    );
}

#[test]
fn resp2_broken_redirection_is_silent() {
    compare(
        "resp2 broken",
        &[],
        3,
        &[
            (0, "CLIENT TRACKING on REDIRECT {id2}"),
            (0, "GET k"),
            (2, "QUIT"),
            (1, "SET k 1"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "%CLIENT INFO"),
        ],
    );
}

#[test]
fn bcast_prefixes_and_noloop() {
    compare(
        "bcast",
        &[],
        3,
        &[
            (2, "SUBSCRIBE __redis__:invalidate"),
            (0, "CLIENT TRACKING on BCAST REDIRECT {id2}"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "%CLIENT INFO"),
            (1, "MSET a 1 b 2 c 3"),
            (1, "SET a 2"),
            (0, "CLIENT TRACKING off"),
            (0, "CLIENT TRACKING on BCAST REDIRECT {id2} PREFIX a: PREFIX b:"),
            (0, "MULTI"),
            (0, "INCR a:1"),
            (0, "INCR a:2"),
            (0, "INCR b:1"),
            (0, "INCR c:1"),
            (0, "EXEC"),
            (0, "CLIENT TRACKING on BCAST REDIRECT {id2} PREFIX c:"),
            (0, "CLIENT TRACKINGINFO"),
            (1, "INCR c:1234"),
            (0, "CLIENT TRACKING off"),
            (0, "CLIENT TRACKING on BCAST REDIRECT {id2} NOLOOP"),
            (1, "SET other1 1"),
            (0, "SET loop 1"),
            (0, "MULTI"),
            (0, "SET loop 2"),
            (0, "SET x 2"),
            (0, "EXEC"),
            (1, "MULTI"),
            (1, "SET loop 3"),
            (1, "SET other2 1"),
            (1, "EXEC"),
            (0, "CLIENT TRACKING off"),
            // RESP3 without redirection, several prefixes.
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on BCAST PREFIX user: PREFIX obj:"),
            (1, "MSET user:1 a obj:9 b zzz c user:2 d"),
            (1, "DEL user:1 obj:9"),
            (0, "%INFO stats"),
            (0, "%INFO clients"),
            (0, "CLIENT TRACKING on BCAST PREFIX u"),
            (0, "CLIENT TRACKING on BCAST PREFIX user:1"),
            (0, "CLIENT TRACKINGINFO"),
            // Keys read in BCAST mode are not tracked one by one.
            (0, "GET user:2"),
            (0, "FLUSHDB"),
        ],
    );
}

#[test]
fn optin_optout_and_caching() {
    compare(
        "optin/optout",
        &[],
        2,
        &[
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on OPTIN"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "GET a"),
            (1, "SET a 1"),
            (0, "CLIENT CACHING yes"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "GET a"),
            (0, "GET b"),
            (1, "MSET a 2 b 2"),
            // CACHING yes covers a whole transaction.
            (0, "CLIENT CACHING yes"),
            (0, "MULTI"),
            (0, "GET c"),
            (0, "GET d"),
            (0, "EXEC"),
            (0, "CLIENT TRACKINGINFO"),
            (1, "MSET c 1 d 1"),
            // ... and survives other CLIENT subcommands.
            (0, "CLIENT CACHING yes"),
            (0, "CLIENT GETNAME"),
            (0, "GET e"),
            (1, "SET e 1"),
            (0, "CLIENT CACHING no"),
            (0, "CLIENT TRACKING on OPTOUT"),
            (0, "CLIENT TRACKING off"),
            (0, "CLIENT TRACKING on OPTOUT"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "GET f"),
            (1, "SET f 1"),
            (0, "CLIENT CACHING no"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "GET g"),
            (1, "SET g 1"),
            (0, "CLIENT CACHING yes"),
            (0, "CLIENT CACHING maybe"),
            (0, "CLIENT TRACKING on OPTIN"),
            (0, "CLIENT TRACKING on NOLOOP"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "GET h"),
            (0, "SET h 1"),
            (1, "SET h 2"),
            (0, "CLIENT TRACKING off"),
            (0, "CLIENT CACHING yes"),
        ],
    );
}

#[test]
fn refusals_change_nothing() {
    compare(
        "errors",
        &[],
        2,
        &[
            (0, "CLIENT TRACKING"),
            (0, "CLIENT TRACKING maybe"),
            (0, "CLIENT TRACKING on REDIRECT 999999"),
            (0, "CLIENT TRACKING on REDIRECT 0"),
            (0, "CLIENT TRACKING on REDIRECT -1"),
            (0, "CLIENT TRACKING on REDIRECT abc"),
            (0, "CLIENT TRACKING on REDIRECT {id1} REDIRECT {id1}"),
            (0, "CLIENT TRACKING on REDIRECT"),
            (0, "CLIENT TRACKING on PREFIX"),
            (0, "CLIENT TRACKING on foo"),
            (0, "CLIENT TRACKING on PREFIX a"),
            (0, "CLIENT TRACKING on BCAST OPTIN"),
            (0, "CLIENT TRACKING on BCAST OPTOUT"),
            (0, "CLIENT TRACKING on OPTIN OPTOUT"),
            (0, "CLIENT TRACKING on BCAST PREFIX FOOBAR PREFIX FOO"),
            (0, "CLIENT TRACKING on BCAST PREFIX FOO PREFIX FOOBAR"),
            (0, "CLIENT TRACKING on BCAST PREFIX a PREFIX a"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "CLIENT CACHING yes"),
            (0, "CLIENT CACHING no"),
            (0, "CLIENT CACHING"),
            (0, "CLIENT CACHING yes no"),
            (0, "CLIENT GETREDIR x"),
            (0, "CLIENT TRACKINGINFO x"),
            (0, "CLIENT TRACKING off REDIRECT 999999"),
            (0, "CLIENT TRACKING off BCAST"),
            (0, "CLIENT TRACKING on BCAST PREFIX FOO PREFIX BAR"),
            (0, "CLIENT TRACKING on BCAST PREFIX FO"),
            (0, "CLIENT TRACKING on BCAST PREFIX BARB"),
            (0, "CLIENT TRACKING on BCAST PREFIX FOO"),
            (0, "CLIENT TRACKING on BCAST PREFIX \"a\\r\\nb\" PREFIX a"),
            (0, "CLIENT TRACKING on"),
            (0, "CLIENT TRACKING on OPTIN BCAST"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "CLIENT TRACKING off"),
            (0, "CLIENT TRACKING on OPTIN"),
            (0, "CLIENT TRACKING on OPTOUT"),
            (0, "CLIENT TRACKING on BCAST"),
            (0, "CLIENT CACHING no"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "CLIENT TRACKING off"),
            (0, "CLIENT TRACKING on OPTOUT"),
            (0, "CLIENT CACHING yes"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "%INFO clients"),
            (1, "EVAL \"return redis.call('client','tracking','on')\" 0"),
            (0, "COMMAND INFO client|tracking client|caching client|getredir client|trackinginfo"),
            (0, "COMMAND DOCS client|tracking client|caching client|getredir client|trackinginfo"),
        ],
    );
}

#[test]
fn transactions_and_flushes() {
    compare(
        "multi/flush",
        &[],
        3,
        &[
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on"),
            (0, "MSET a{t} 1 b{t} 2"),
            (0, "GET a{t}"),
            (0, "MULTI"),
            (0, "INCR a{t}"),
            (0, "GET b{t}"),
            (0, "EXEC"),
            (1, "INCR b{t}"),
            (0, "GET b{t}"),
            (0, "MULTI"),
            (0, "FLUSHDB"),
            (0, "EXEC"),
            (0, "GET a{t}"),
            (1, "FLUSHALL"),
            (1, "FLUSHDB"),
            (1, "FLUSHALL ASYNC"),
            (1, "SELECT 3"),
            (1, "FLUSHDB"),
            (0, "GET k"),
            (0, "%INFO stats"),
            (0, "FLUSHALL"),
            // A RESP2 client: the null goes through its redirection.
            (2, "SUBSCRIBE __redis__:invalidate"),
            (1, "CLIENT TRACKING on REDIRECT {id2}"),
            (1, "GET z"),
            (0, "FLUSHALL"),
            (1, "FLUSHALL"),
            (1, "MULTI"),
            (1, "GET z"),
            (1, "SET z 1"),
            (1, "EXEC"),
            (0, "SET z 2"),
            // WATCH and tracking off the same door.
            (0, "GET w"),
            (0, "WATCH w"),
            (1, "SET w 1"),
            (0, "MULTI"),
            (0, "GET w"),
            (0, "EXEC"),
            (0, "SWAPDB 0 1"),
        ],
    );
}

#[test]
fn expiry_lazy_and_active() {
    compare(
        "expiry",
        &[],
        3,
        &[
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on"),
            (0, "DEBUG SET-ACTIVE-EXPIRE 0"),
            (0, "MULTI"),
            (0, "MSET x{t} 1 y{t} 2"),
            (0, "PEXPIRE y{t} 50"),
            (0, "GET y{t}"),
            (0, "EXEC"),
            (0, "sleep 120"),
            (0, "MGET x{t} y{t}"),
            (0, "DEBUG SET-ACTIVE-EXPIRE 1"),
            (1, "SET e1 v PX 30"),
            (0, "GET e1"),
            (0, "sleep 400"),
            (0, "PING"),
            (2, "SUBSCRIBE __redis__:invalidate"),
            (1, "CLIENT TRACKING on BCAST REDIRECT {id2} NOLOOP"),
            (1, "SET mykey v PX 1"),
            (1, "SET mykeyother v"),
            (0, "sleep 400"),
            (1, "PING"),
            (1, "CLIENT TRACKING off"),
            (1, "CLIENT TRACKING on BCAST REDIRECT {id2} NOLOOP"),
            // Active expiry off from here, so the key expires where the transcript says (lazily, by the GET after
            // EXEC) and not whenever a cron or fast cycle happens to run on a loaded machine.
            (0, "DEBUG SET-ACTIVE-EXPIRE 0"),
            (1, "MULTI"),
            (1, "SET lz{t} v PX 1"),
            (1, "SET lzother{t} v"),
            (1, "DEBUG SLEEP 0.05"),
            (1, "GET lz{t}"),
            (1, "EXEC"),
            (1, "GET lz{t}"),
            (1, "PING"),
            (0, "DEBUG SET-ACTIVE-EXPIRE 1"),
            (1, "EXPIRE lzother{t} 0"),
        ],
    );
}

#[test]
fn scripts() {
    compare(
        "scripts",
        &[],
        2,
        &[
            (1, "HELLO 3"),
            (1, "CLIENT TRACKING on NOLOOP"),
            (1, "SET key1 1"),
            (1, "GET key1"),
            (1, "EVAL \"return redis.call('set', KEYS[1], '2')\" 1 key1"),
            (1, "GET key1"),
            (1, "CLIENT TRACKING off"),
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on"),
            (1, "MSET key2{t} 1 key1{t} 1"),
            (0, "EVAL \"redis.call('set', 'key3{t}', 'bar')\" 2 key1{t} key2{t}"),
            (1, "MSET key2{t} 2 key1{t} 2"),
            (0, "EVAL \"redis.call('get', 'key3{t}')\" 2 key1{t} key2{t}"),
            (1, "MSET key2{t} 2 key1{t} 2"),
            (0, "EVAL_RO \"redis.call('ping')\" 2 key1{t} key2{t}"),
            (1, "MSET key2{t} 2 key1{t} 2"),
            (0, "EVAL_RO \"redis.call('get', 'key1{t}')\" 2 key1{t} key2{t}"),
            (1, "MSET key2{t} 3 key1{t} 3"),
            // Read then write in one script: the caller hears of its own change after the reply.
            (0, "EVAL \"redis.call('get', KEYS[1]); return redis.call('incr', KEYS[1])\" 1 key1{t}"),
            (0, "EVAL \"return redis.call('incr', KEYS[1])\" 1 key1{t}"),
            (0, "FUNCTION LOAD \"#!lua name=lib\\nredis.register_function{function_name='rd', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}\""),
            (0, "FCALL_RO rd 1 fk{t}"),
            (1, "SET fk{t} 1"),
            (0, "FCALL rd 1 fk{t}"),
            (1, "SET fk{t} 2"),
            (0, "FUNCTION FLUSH"),
        ],
    );
}

#[test]
fn blocked_client_served_and_reset() {
    compare(
        "blocking/reset",
        &[],
        2,
        &[
            (1, "RPUSH list2{t} a"),
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on"),
            (0, "LRANGE list2{t} 0 -1"),
            (0, "&BLMOVE list1{t} list2{t} LEFT LEFT 0"),
            (1, "sleep 100"),
            (1, "RPUSH list1{t} foo"),
            (0, "CLIENT TRACKINGINFO"),
            (0, "GET r"),
            (0, "RESET"),
            (0, "CLIENT TRACKINGINFO"),
            (1, "SET r 1"),
            (0, "%INFO clients"),
        ],
    );
}

#[test]
fn client_reply_off_still_gets_pushes() {
    compare(
        "reply off",
        &[],
        3,
        &[
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on"),
            (1, "SET foo bar"),
            (0, "GET foo"),
            (0, "CLIENT REPLY OFF"),
            (1, "SET foo bar2"),
            (0, "CLIENT REPLY ON"),
            (2, "HELLO 3"),
            (1, "CLIENT TRACKING on REDIRECT {id2}"),
            (1, "GET foo"),
            (2, "CLIENT REPLY OFF"),
            (0, "SET foo bar3"),
            (2, "CLIENT REPLY ON"),
        ],
    );
}

#[test]
fn eviction_invalidates_before_the_reply() {
    compare(
        "eviction",
        &[],
        2,
        &[
            (0, "HELLO 3"),
            (0, "CLIENT TRACKING on"),
            (0, "SET volatile v EX 10000"),
            (0, "GET volatile"),
            (1, "CONFIG SET maxmemory-policy volatile-random"),
            (1, "CONFIG SET maxmemory 1"),
            (0, "GET volatile"),
            (1, "CONFIG SET maxmemory 0"),
            (0, "SET volatile v EX 10000"),
            (0, "GET volatile"),
            (0, "CONFIG SET maxmemory 1"),
            (0, "CONFIG SET maxmemory 0"),
            (0, "DBSIZE"),
        ],
    );
}

/// Which of two tracked keys the table limit evicts is random: both servers must send exactly one invalidation
/// and keep one key; raising the limit again changes nothing.
#[test]
fn table_limit() {
    for kind in [Kind::Redis, Kind::Ferredis] {
        if kind == Kind::Redis && !have_redis() {
            continue;
        }
        let s = Server::start(kind, &[]);
        let mut t = s.conn();
        let mut w = s.conn();
        t.cmd(&["HELLO", "3"]);
        t.cmd(&["CLIENT", "TRACKING", "on", "NOLOOP"]);
        t.cmd(&["MSET", "k1", "1", "k2", "2"]);
        t.cmd(&["MGET", "k1", "k2"]);
        assert_eq!(info_field(&mut w, "stats", "tracking_total_keys"), "2", "{}", kind.label());
        assert_eq!(w.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]), b"+OK\r\n");
        assert_eq!(
            w.cmd(&["CONFIG", "GET", "tracking-table-max-keys"]),
            b"*2\r\n$23\r\ntracking-table-max-keys\r\n$1\r\n1\r\n"
        );
        // The limit applies before the next command: INFO already counts one key.
        assert_eq!(info_field(&mut w, "stats", "tracking_total_keys"), "1", "{}", kind.label());
        let push = t.read_reply().expect("push");
        let s = String::from_utf8_lossy(&push).into_owned();
        assert!(
            s == ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk1\r\n"
                || s == ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk2\r\n",
            "{s:?}"
        );
        assert_eq!(info_field(&mut w, "stats", "tracking_total_items"), "1");
        // Many keys over the limit: evicted in growing rounds until under it.
        w.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "0"]);
        for i in 0..250 {
            t.cmd(&["GET", &format!("key{i}")]);
        }
        w.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "10"]);
        wait_for("table limit 10", || info_field(&mut w, "stats", "tracking_total_keys") == "10");
        let mut pushes = 0;
        t.send(&["PING"]).expect("ping");
        loop {
            let f = t.read_reply().expect("reply");
            if f == b"+PONG\r\n" {
                break;
            }
            pushes += 1;
        }
        assert_eq!(pushes, 241, "{}", kind.label());
        w.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1000000"]);
    }
}

/// INFO's figures after the TCL suite's "Tracking info is correct" sequence, and after a client leaves (its ids
/// stay in the table, its prefixes go), compared between the servers.
#[test]
fn info_figures() {
    if !have_redis() {
        return;
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let s = Server::start(kind, &[]);
        let mut a = s.conn();
        let mut b = s.conn();
        let mut w = s.conn();
        let fig = |w: &mut Conn| {
            let mut v: Vec<String> = ["tracking_total_keys", "tracking_total_items", "tracking_total_prefixes"]
                .iter()
                .map(|f| info_field(w, "stats", f))
                .collect();
            v.push(info_field(w, "clients", "tracking_clients"));
            v.join(" ")
        };
        let mut rows = Vec::new();
        a.cmd(&["CLIENT", "TRACKING", "on"]);
        w.cmd(&["MSET", "key1", "1", "key2", "2"]);
        a.cmd(&["GET", "key1"]);
        a.cmd(&["GET", "key2"]);
        b.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "prefix:", "PREFIX", "other:"]);
        w.cmd(&["MSET", "prefix:key1", "1", "prefix:key2", "2"]);
        rows.push(fig(&mut w));
        w.cmd(&["CLIENT", "TRACKING", "on"]);
        w.cmd(&["GET", "key1"]);
        rows.push(fig(&mut w));
        drop(a);
        b.cmd(&["QUIT"]);
        drop(b);
        std::thread::sleep(Duration::from_millis(200));
        rows.push(fig(&mut w));
        w.cmd(&["SET", "key1", "x"]);
        rows.push(fig(&mut w));
        w.cmd(&["FLUSHALL"]);
        rows.push(fig(&mut w));
        out.push(rows);
    }
    assert_eq!(out[0], out[1], "INFO tracking figures: redis vs ferredis");
}

/// A replica applying its master's stream invalidates its own tracking clients: the replica's client sees the same
/// pushes whether the replica is ferredis or Redis, and whether the master is ferredis or Redis.
#[test]
fn replica_invalidations() {
    if !have_redis() {
        return;
    }
    let mut results = Vec::new();
    for (mk, rk) in [
        (Kind::Redis, Kind::Redis),
        (Kind::Ferredis, Kind::Ferredis),
        (Kind::Redis, Kind::Ferredis),
        (Kind::Ferredis, Kind::Redis),
    ] {
        let master = Server::start(mk, &[]);
        let replica = Server::start(rk, &[]);
        let mut m = master.conn();
        let mut r = replica.conn();
        m.cmd(&["SET", "k", "0"]);
        r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
        wait_for("sync", || info_field(&mut r, "replication", "master_link_status") == "up");
        wait_for("k replicated", || r.cmd(&["GET", "k"]) == b"$1\r\n0\r\n");
        // The key `gone` below must expire only when the master reads it (lazy expiry), not in an active expiry
        // cycle that a slow machine lets run first: active expiry is off on the master from here.
        m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        let mut t = replica.conn();
        t.cmd(&["HELLO", "3"]);
        t.cmd(&["CLIENT", "TRACKING", "on"]);
        let mut got = Vec::new();
        t.cmd(&["MGET", "k", "h", "l", "gone"]);
        m.cmd(&["SET", "k", "1"]);
        m.cmd(&["HSET", "h", "f", "v"]);
        m.cmd(&["MULTI"]);
        m.cmd(&["RPUSH", "l", "a"]);
        m.cmd(&["SET", "gone", "x", "PX", "100"]);
        m.cmd(&["EXEC"]);
        for _ in 0..4 {
            got.push(escape(&t.read_reply().expect("push")));
        }
        // The key expires on the master, which reads it (lazy expiry) and sends DEL: the replica's reader, who
        // read it as missing meanwhile, hears of it.
        std::thread::sleep(Duration::from_millis(150));
        got.push(escape(&t.cmd(&["GET", "gone"])));
        m.cmd(&["GET", "gone"]);
        got.push(escape(&t.read_reply().expect("expiry push")));
        t.cmd(&["GET", "k"]);
        m.cmd(&["FLUSHALL"]);
        got.push(escape(&t.read_reply().expect("flush push")));
        results.push((format!("{}->{}", mk.label(), rk.label()), got));
    }
    for (name, got) in &results[1..] {
        assert_eq!(got, &results[0].1, "{name} vs {}", results[0].0);
    }
}
