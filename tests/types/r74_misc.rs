//! What Redis 7.2 and 7.4 (and Valkey 8.0) added to commands ferredis already had, compared with Redis 7.4.1:
//! ZRANK/ZREVRANK WITHSCORE, XREAD's `+` id (with BLOCK), CLIENT KILL MAXAGE, WAITAOF's argument errors and its
//! immediate replies without an AOF, the INFO fields 7.2/7.4 added, COMMAND INFO/DOCS of what changed, and
//! ZSCAN NOSCORES (Valkey 8.0).
//!
//! Every script's replies are written down below as Redis 7.4.1 gave them, in RESP2 and RESP3 (generated once
//! from `redis-server` 7.4.1 built from source), and ferredis must give the same bytes: those assertions run
//! everywhere, CI included. With `REDIS74_SERVER` (and `VALKEY8_SERVER` for ZSCAN) set, the same lines also run
//! on the oracle and must match it live. WAITAOF with an AOF and replicas is in `tests/replication/waitaof.rs`.

use crate::common::{display_args, escape, have_oracle, split_args, wait_blocked, Conn, Kind, Resp, Server};

/// Runs a script (one command per line, redis-cli quoting) on a fresh connection after FLUSHALL, RESP3 when
/// asked; returns each line's reply.
fn run_lines(srv: &Server, script: &str, resp3: bool) -> Vec<(String, Vec<u8>)> {
    let mut c = srv.conn();
    c.cmd(&["FLUSHALL"]);
    if resp3 {
        c.cmd(&["HELLO", "3"]);
    }
    script
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let args = split_args(l).unwrap_or_else(|e| panic!("bad test line {l:?}: {e}"));
            (display_args(&args), c.cmd(&args))
        })
        .collect()
}

/// The script's replies on ferredis must be `expected` (Redis 7.4.1's, written down); with the oracle there, its
/// replies must be the same too.
fn check_script(name: &str, script: &str, expected: &[&[u8]], resp3: bool, extra: &[&str]) {
    let fer = Server::start(Kind::Ferredis, extra);
    let got = run_lines(&fer, script, resp3);
    assert_eq!(got.len(), expected.len(), "{name}: the table has {} replies", expected.len());
    for ((line, reply), want) in got.iter().zip(expected) {
        assert_eq!(escape(reply), escape(want), "{name} RESP{}: {line}", if resp3 { 3 } else { 2 });
    }
    if have_oracle(Kind::Redis74) {
        let oracle = Server::start(Kind::Redis74, extra);
        for ((line, reply), (_, theirs)) in got.iter().zip(run_lines(&oracle, script, resp3)) {
            assert_eq!(
                escape(reply),
                escape(&theirs),
                "{name} RESP{} against Redis 7.4.1: {line}",
                if resp3 { 3 } else { 2 }
            );
        }
    }
}

#[test]
fn zrank_withscore() {
    check_script("ZRANK", ZRANK_SCRIPT, ZRANK_RESP2, false, &[]);
    check_script("ZRANK", ZRANK_SCRIPT, ZRANK_RESP3, true, &[]);
}

#[test]
fn xread_plus() {
    check_script("XREAD", XREAD_SCRIPT, XREAD_RESP2, false, &[]);
    check_script("XREAD", XREAD_SCRIPT, XREAD_RESP3, true, &[]);
}

#[test]
fn client_kill_maxage_arguments() {
    check_script("CLIENT KILL", CLIENT_KILL_SCRIPT, CLIENT_KILL_RESP2, false, &[]);
    check_script("CLIENT KILL", CLIENT_KILL_SCRIPT, CLIENT_KILL_RESP3, true, &[]);
}

#[test]
fn waitaof_without_aof() {
    check_script("WAITAOF", WAITAOF_SCRIPT, WAITAOF_RESP2, false, &[]);
    check_script("WAITAOF", WAITAOF_SCRIPT, WAITAOF_RESP3, true, &[]);
}

/// The servers a behaviour test runs on: ferredis, and Redis 7.4.1 when it is there.
fn servers() -> Vec<Server> {
    let mut v = vec![Server::start(Kind::Ferredis, &[])];
    if have_oracle(Kind::Redis74) {
        v.push(Server::start(Kind::Redis74, &[]));
    }
    v
}

fn send(c: &mut Conn, line: &str) {
    c.send(&split_args(line).expect("test line")).expect("send");
}

/// Blocked XREADs with `+`, served as Redis 7.4.1 serves them (its replies written down): the key's last entry
/// when it arrives, only the last of several added at once, never a deleted last entry, the 0-0 error for a
/// stream created empty, `$` and `+` mixed, RESP3.
#[test]
fn xread_plus_blocking() {
    for srv in servers() {
        let who = srv.kind.label();
        let (mut a, mut b) = (srv.conn(), srv.conn());
        a.cmd(&["FLUSHALL"]);
        let step = |a: &mut Conn, b: &mut Conn, wait: &str, writes: &[&str], want: &[u8]| {
            send(b, wait);
            wait_blocked(a, 1);
            for w in writes {
                a.cmd(&split_args(w).expect("line"));
            }
            assert_eq!(escape(&b.read_reply().expect("reply")), escape(want), "{who}: {wait} after {writes:?}");
        };
        step(
            &mut a,
            &mut b,
            "XREAD BLOCK 0 STREAMS s +",
            &["XADD s 1-1 a 1"],
            b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
        );
        step(
            &mut a,
            &mut b,
            "XREAD BLOCK 0 STREAMS nos +",
            &["MULTI", "XADD nos 2-1 a 1", "XADD nos 2-2 b 2", "EXEC"],
            b"*1\r\n*2\r\n$3\r\nnos\r\n*1\r\n*2\r\n$3\r\n2-2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
        );
        step(
            &mut a,
            &mut b,
            "XREAD BLOCK 0 STREAMS e +",
            &["XGROUP CREATE e g $ MKSTREAM"],
            b"-ERR the stream last element ID is 0-0\r\n",
        );
        step(
            &mut a,
            &mut b,
            "XREAD BLOCK 0 STREAMS k1 k2 + +",
            &["XADD k2 3-1 x 1"],
            b"*1\r\n*2\r\n$2\r\nk2\r\n*1\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n",
        );
        a.cmd(&["XADD", "d", "4-1", "x", "1"]);
        a.cmd(&["XADD", "d", "4-2", "x", "2"]);
        a.cmd(&["XDEL", "d", "4-2"]);
        step(
            &mut a,
            &mut b,
            "XREAD BLOCK 0 STREAMS d +",
            &["XDEL d 4-1", "XADD d 4-3 x 3"],
            b"*1\r\n*2\r\n$1\r\nd\r\n*1\r\n*2\r\n$3\r\n4-3\r\n*2\r\n$1\r\nx\r\n$1\r\n3\r\n",
        );
        step(
            &mut a,
            &mut b,
            "XREAD COUNT 10 BLOCK 0 STREAMS m1 m2 $ +",
            &["XADD m1 5-1 x 1"],
            b"*1\r\n*2\r\n$2\r\nm1\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n",
        );
        step(
            &mut a,
            &mut b,
            "XREAD COUNT 10 BLOCK 0 STREAMS m1 m2 $ +",
            &["XADD m2 5-2 x 1"],
            b"*1\r\n*2\r\n$2\r\nm2\r\n*1\r\n*2\r\n$3\r\n5-2\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n",
        );
        // The wrong type arriving keeps the client waiting, as does the key's deletion.
        step(
            &mut a,
            &mut b,
            "XREAD BLOCK 0 STREAMS w +",
            &["SET w str", "DEL w", "XADD w 8-1 x 1"],
            b"*1\r\n*2\r\n$1\r\nw\r\n*1\r\n*2\r\n$3\r\n8-1\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n",
        );
        b.cmd(&["HELLO", "3"]);
        assert_eq!(b.cmd(&["XREAD", "BLOCK", "50", "STREAMS", "zz", "+"]), b"_\r\n", "{who}");
        step(
            &mut a,
            &mut b,
            "XREAD BLOCK 0 STREAMS r3 +",
            &["XADD r3 6-1 x 1"],
            b"%1\r\n$2\r\nr3\r\n*1\r\n*2\r\n$3\r\n6-1\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n",
        );
        // An existing last entry is served at once, BLOCK or not.
        a.cmd(&["XADD", "t", "7-1", "x", "1"]);
        assert_eq!(
            b.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "t", "+"]),
            b"%1\r\n$1\r\nt\r\n*1\r\n*2\r\n$3\r\n7-1\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n".to_vec(),
            "{who}"
        );
    }
}

/// CLIENT KILL MAXAGE kills the clients at least that many seconds old (Redis 7.4: `age >= maxage`), sparing
/// the caller unless SKIPME no.
#[test]
fn client_kill_maxage_kills_old_clients() {
    for srv in servers() {
        let who = srv.kind.label();
        let mut old = srv.conn();
        old.cmd(&["CLIENT", "SETNAME", "old"]);
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let mut admin = srv.conn();
        let mut young = srv.conn();
        young.cmd(&["CLIENT", "SETNAME", "young"]);
        assert_eq!(admin.cmd(&["CLIENT", "KILL", "MAXAGE", "2"]), b":1\r\n", "{who}");
        let (_, closed) = old.read_until_close(1000);
        assert!(closed, "{who}: the old client is closed");
        assert_eq!(young.cmd(&["PING"]), b"+PONG\r\n", "{who}");
        assert_eq!(admin.cmd(&["CLIENT", "KILL", "MAXAGE", "100"]), b":0\r\n", "{who}");
    }
}

/// One INFO field as text.
fn info(c: &mut Conn, field: &str) -> String {
    crate::common::info_field(c, "everything", field)
}

/// The Clients-section counts Redis 7.2 added (pub/sub clients, WATCH, blocking keys) and the ACL denial
/// counters, through a scenario with Redis 7.4.1's values written down.
#[test]
fn info_clients_and_acl_fields() {
    for srv in servers() {
        let who = srv.kind.label();
        let mut admin = srv.conn();
        let fields = |c: &mut Conn, names: &[&str]| names.iter().map(|n| info(c, n)).collect::<Vec<_>>().join(" ");
        const CLIENTS: &[&str] = &[
            "pubsub_clients",
            "watching_clients",
            "total_watched_keys",
            "total_blocking_keys",
            "total_blocking_keys_on_nokey",
        ];
        assert_eq!(fields(&mut admin, CLIENTS), "0 0 0 0 0", "{who}");
        // Pub/sub: every kind of subscription counts once per client, RESP3 included, until the last goes.
        let mut subs: Vec<Conn> = (0..4).map(|_| srv.conn()).collect();
        send(&mut subs[0], "SUBSCRIBE a b");
        send(&mut subs[1], "PSUBSCRIBE p*");
        send(&mut subs[2], "SSUBSCRIBE s");
        subs[3].cmd(&["HELLO", "3"]);
        subs[3].cmd(&["SUBSCRIBE", "x"]);
        for c in subs.iter_mut().take(3) {
            c.read_reply().expect("subscribed");
        }
        subs[0].read_reply().expect("second channel");
        assert_eq!(info(&mut admin, "pubsub_clients"), "4", "{who}");
        subs[3].cmd(&["UNSUBSCRIBE"]);
        send(&mut subs[0], "UNSUBSCRIBE a");
        subs[0].read_reply().expect("unsubscribed");
        assert_eq!(info(&mut admin, "pubsub_clients"), "3", "{who}");
        // WATCH: distinct (db, key) pairs, clients with any watch.
        let mut w: Vec<Conn> = (0..3).map(|_| srv.conn()).collect();
        w[0].cmd(&["WATCH", "a", "b"]);
        w[1].cmd(&["WATCH", "a"]);
        w[2].cmd(&["SELECT", "1"]);
        w[2].cmd(&["WATCH", "a"]);
        assert_eq!(fields(&mut admin, &CLIENTS[1..3]), "3 3", "{who}");
        w[1].cmd(&["UNWATCH"]);
        assert_eq!(fields(&mut admin, &CLIENTS[1..3]), "2 3", "{who}");
        w[0].cmd(&["MULTI"]);
        w[0].cmd(&["EXEC"]);
        assert_eq!(fields(&mut admin, &CLIENTS[1..3]), "1 1", "{who}");
        // Blocking keys: distinct (db, key) pairs; XREADGROUP's keys also count as woken by deletion.
        admin.cmd(&["XGROUP", "CREATE", "st", "g", "$", "MKSTREAM"]);
        let mut b: Vec<Conn> = (0..4).map(|_| srv.conn()).collect();
        send(&mut b[0], "BLPOP l1 l2 0");
        send(&mut b[1], "BLPOP l1 0");
        send(&mut b[2], "XREADGROUP GROUP g c BLOCK 0 STREAMS st >");
        send(&mut b[3], "XREAD BLOCK 0 STREAMS st2 $");
        wait_blocked(&mut admin, 4);
        assert_eq!(fields(&mut admin, &CLIENTS[3..]), "4 1", "{who}");
        admin.cmd(&["RPUSH", "l1", "x"]);
        assert_eq!(b[0].read_reply().expect("served"), b"*2\r\n$2\r\nl1\r\n$1\r\nx\r\n".to_vec(), "{who}");
        wait_blocked(&mut admin, 3);
        assert_eq!(fields(&mut admin, &CLIENTS[3..]), "3 1", "{who}");
        admin.cmd(&["DEL", "st"]);
        assert!(b[2].read_reply().expect("woken").starts_with(b"-"), "{who}");
        assert_eq!(fields(&mut admin, &CLIENTS[3..]), "2 0", "{who}");
        // ACL denials, logged or not.
        const ACL: &[&str] =
            &["acl_access_denied_auth", "acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel"];
        assert_eq!(fields(&mut admin, ACL), "0 0 0 0", "{who}");
        admin.cmd(&["ACL", "SETUSER", "u", "on", ">p", "~k*", "&ch*", "+get", "+set", "+publish", "+info"]);
        let mut u = srv.conn();
        assert!(u.cmd(&["AUTH", "u", "wrong"]).starts_with(b"-WRONGPASS"), "{who}");
        assert_eq!(u.cmd(&["AUTH", "u", "p"]), b"+OK\r\n", "{who}");
        assert!(u.cmd(&["GET", "other"]).starts_with(b"-NOPERM"), "{who}");
        assert!(u.cmd(&["DEL", "k1"]).starts_with(b"-NOPERM"), "{who}");
        assert!(u.cmd(&["PUBLISH", "other", "m"]).starts_with(b"-NOPERM"), "{who}");
        assert!(u.cmd(&["EVAL", "return 1", "0"]).starts_with(b"-NOPERM"), "{who}");
        admin.cmd(&["CONFIG", "SET", "acllog-max-len", "0"]);
        assert!(u.cmd(&["GET", "other2"]).starts_with(b"-NOPERM"), "{who}");
        assert_eq!(fields(&mut admin, ACL), "1 2 2 1", "{who}");
        // CONFIG RESETSTAT leaves them (Redis 7.4 resets them only at start-up).
        admin.cmd(&["CONFIG", "RESETSTAT"]);
        assert_eq!(fields(&mut admin, ACL), "1 2 2 1", "{who}");
    }
}

/// The buffer-limit disconnection counters and the event-loop figures.
#[test]
fn info_stats_fields() {
    for srv in servers() {
        let who = srv.kind.label();
        let mut admin = srv.conn();
        assert_eq!(info(&mut admin, "client_query_buffer_limit_disconnections"), "0", "{who}");
        assert_eq!(info(&mut admin, "client_output_buffer_limit_disconnections"), "0", "{who}");
        admin.cmd(&["SET", "big", &"x".repeat(200_000)]);
        admin.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "normal 1000 0 0"]);
        let mut c = srv.conn();
        c.send(&["GET", "big"]).expect("send");
        let (_, closed) = c.read_until_close(2000);
        assert!(closed, "{who}: output limit");
        admin.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"]);
        assert_eq!(info(&mut admin, "client_output_buffer_limit_disconnections"), "1", "{who}");
        admin.cmd(&["CONFIG", "SET", "client-query-buffer-limit", "1048576"]);
        let mut q = srv.conn();
        // A bulk argument announced bigger than the limit, sent in part.
        let _ = q.send_raw(format!("*2\r\n$3\r\nSET\r\n$2000000\r\n{}", "y".repeat(1_100_000)).as_bytes());
        let (_, closed) = q.read_until_close(3000);
        assert!(closed, "{who}: query limit");
        assert_eq!(info(&mut admin, "client_query_buffer_limit_disconnections"), "1", "{who}");
        // Event-loop cycles move; a cycle's time includes its commands'.
        let n = |c: &mut Conn, f: &str| info(c, f).parse::<u64>().expect("number");
        let cycles = n(&mut admin, "eventloop_cycles");
        admin.cmd(&["PING"]);
        assert!(n(&mut admin, "eventloop_cycles") > cycles, "{who}");
        assert!(n(&mut admin, "eventloop_duration_sum") >= n(&mut admin, "eventloop_duration_cmd_sum"), "{who}");
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(n(&mut admin, "instantaneous_eventloop_cycles_per_sec") > 0, "{who}");
        let _ = n(&mut admin, "instantaneous_eventloop_duration_usec");
    }
}

/// The field names INFO EVERYTHING lists, in order, for a default server (Redis 7.4.1's, minus what ferredis
/// leaves out on purpose: see the list).
#[test]
fn info_field_names_match_redis_74() {
    // Fields Redis 7.4.1 has that ferredis does not report: hash-field expiry (another change), script eviction
    // (ferredis never evicts EVAL scripts), the main dictionary's rehashing overhead (MEMORY STATS's figure).
    const LEFT_OUT: &[&str] = &["expired_subkeys", "evicted_scripts", "mem_overhead_db_hashtable_rehashing"];
    let names = |srv: &Server| -> Vec<String> {
        let mut c = srv.conn();
        let text = String::from_utf8_lossy(&c.cmd(&["INFO", "EVERYTHING"])).into_owned();
        text.split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .filter(|k| {
                !LEFT_OUT.contains(&k.as_str())
                    && k != "ferredis_version"
                    && !k.starts_with("cmdstat_")
                    && !k.starts_with("latency_percentiles_usec_")
                    && !k.starts_with("errorstat_")
                    && !k.starts_with("db")
            })
            .collect()
    };
    let fer = Server::start(Kind::Ferredis, &[]);
    let got = names(&fer);
    for f in [
        "listener0",
        "pubsub_clients",
        "total_blocking_keys_on_nokey",
        "eventloop_duration_cmd_sum",
        "acl_access_denied_channel",
        "allocator_muzzy",
    ] {
        assert!(got.iter().any(|g| g == f), "INFO lacks {f}");
    }
    if have_oracle(Kind::Redis74) {
        let oracle = Server::start(Kind::Redis74, &[]);
        assert_eq!(got, names(&oracle), "INFO EVERYTHING's field names (left: ferredis, right: Redis 7.4.1)");
    }
}

/// COMMAND INFO of the commands whose table entries changed (arity, flags, categories, tips, key specs) equals
/// Redis 7.4.1's, written down; COMMAND DOCS carries 7.4.1's history and the new arguments.
#[test]
fn command_table_entries() {
    let fer = Server::start(Kind::Ferredis, &[]);
    let mut c = fer.conn();
    for (name, want) in COMMAND_INFO_74 {
        assert_eq!(escape(&c.cmd(&["COMMAND", "INFO", name])), escape(want), "COMMAND INFO {name}");
    }
    // DOCS: the new argument and history entries, as Redis 7.4.1 (or Valkey 8.0 for ZSCAN) documents them.
    let docs = |c: &mut Conn, name: &str| String::from_utf8_lossy(&c.cmd(&["COMMAND", "DOCS", name])).into_owned();
    let z = docs(&mut c, "zrank");
    assert!(
        z.contains("$7\r\nhistory\r\n*1\r\n*2\r\n$5\r\n7.2.0\r\n$40\r\nAdded the optional `WITHSCORE` argument.\r\n"),
        "{z}"
    );
    assert!(z.contains("$4\r\nname\r\n$9\r\nwithscore\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$9\r\nWITHSCORE\r\n$5\r\nflags\r\n*1\r\n+optional\r\n"), "{z}");
    let k = docs(&mut c, "client|kill");
    assert!(k.contains("*2\r\n$5\r\n7.4.0\r\n$16\r\n`MAXAGE` option.\r\n"), "{k}");
    assert!(k.contains("$4\r\nname\r\n$6\r\nmaxage\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$6\r\nMAXAGE\r\n$5\r\nsince\r\n$5\r\n7.4.0\r\n$5\r\nflags\r\n*1\r\n+optional\r\n"), "{k}");
    let s = docs(&mut c, "zscan");
    assert!(s.contains("*2\r\n$5\r\n8.0.0\r\n$22\r\nAdded noscores option.\r\n"), "{s}");
    assert!(s.contains("$4\r\nname\r\n$8\r\nnoscores\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$8\r\nNOSCORES\r\n$5\r\nflags\r\n*1\r\n+optional\r\n"), "{s}");
    if have_oracle(Kind::Redis74) {
        let oracle = Server::start(Kind::Redis74, &[]);
        let mut o = oracle.conn();
        for proto in ["2", "3"] {
            c.cmd(&["HELLO", proto]);
            o.cmd(&["HELLO", proto]);
            for name in ["zrank", "zrevrank", "waitaof", "xread", "zscan", "client|kill"] {
                assert_eq!(
                    escape(&c.cmd(&["COMMAND", "INFO", name])),
                    escape(&o.cmd(&["COMMAND", "INFO", name])),
                    "RESP{proto} COMMAND INFO {name}"
                );
            }
            // DOCS: 7.4.1 added `display_text` to every argument and rewrote summaries; the rest must agree.
            for name in ["zrank", "zrevrank", "waitaof"] {
                let (f, r) = (c.cmd(&["COMMAND", "DOCS", name]), o.cmd(&["COMMAND", "DOCS", name]));
                let strip = |b: &[u8]| strip_docs(Resp::parse(b).expect("docs reply"));
                assert_eq!(strip(&f), strip(&r), "RESP{proto} COMMAND DOCS {name}");
            }
        }
    }
}

/// A COMMAND DOCS reply without `display_text` and `summary` fields (RESP2 arrays or RESP3 maps of pairs).
fn strip_docs(v: Resp) -> Resp {
    const DROP: &[&[u8]] = &[b"display_text", b"summary"];
    match v {
        Resp::Map(pairs) => Resp::Map(
            pairs
                .into_iter()
                .filter(|(k, _)| !k.as_bytes().is_some_and(|k| DROP.contains(&k)))
                .map(|(k, v)| (k, strip_docs(v)))
                .collect(),
        ),
        Resp::Array(items) => {
            // An array of field/value pairs: drop the unwanted fields with their values.
            let mut out = Vec::with_capacity(items.len());
            let mut it = items.into_iter().peekable();
            while let Some(x) = it.next() {
                if x.as_bytes().is_some_and(|k| DROP.contains(&k)) && it.peek().is_some() {
                    it.next();
                    continue;
                }
                out.push(strip_docs(x));
            }
            Resp::Array(out)
        }
        other => other,
    }
}

/// ZSCAN NOSCORES (Valkey 8.0): members only, in any position among MATCH and COUNT; Valkey 8.0.1's replies
/// written down (ferredis's listpack and hash-table encodings both checked); with `VALKEY8_SERVER`, live too.
#[test]
fn zscan_noscores() {
    let lines: &[(&str, &[u8])] = &[
        ("ZADD z 1.5 a 2 b 3 c", b":3\r\n"),
        ("ZSCAN z 0 NOSCORES", b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        ("ZSCAN z 0 noscores MATCH b", b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n"),
        ("ZSCAN z 0 MATCH [ab] NOSCORES COUNT 100", b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        ("ZSCAN z 0 MATCH b", b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        ("ZSCAN z 0 NOSCORES NOSCORES", b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        ("ZSCAN z 0 NOSCORES COUNT 0", b"-ERR syntax error\r\n"),
        ("ZSCAN z 0 NOSCORES FOO", b"-ERR syntax error\r\n"),
        ("ZSCAN z 0 NOVALUES", b"-ERR NOVALUES option can only be used in HSCAN\r\n"),
        ("ZSCAN z 0 COUNT 5 NOVALUES MATCH *", b"-ERR NOVALUES option can only be used in HSCAN\r\n"),
        ("ZSCAN z 0 FOO NOVALUES", b"-ERR syntax error\r\n"),
        ("HSET h f v", b":1\r\n"),
        ("HSCAN h 0 NOSCORES", b"-ERR NOSCORES option can only be used in ZSCAN\r\n"),
        ("HSCAN h 0 NOVALUES NOSCORES", b"-ERR NOSCORES option can only be used in ZSCAN\r\n"),
        ("SCAN 0 NOVALUES", b"-ERR NOVALUES option can only be used in HSCAN\r\n"),
        ("SCAN 0 noscores", b"-ERR NOSCORES option can only be used in ZSCAN\r\n"),
        ("SCAN 0 TYPE string FOO", b"-ERR syntax error\r\n"),
        ("ZSCAN nokey 0 NOSCORES", b"*2\r\n$1\r\n0\r\n*0\r\n"),
        ("ZSCAN z x NOSCORES", b"-ERR invalid cursor\r\n"),
        ("SADD s a", b":1\r\n"),
        ("SSCAN s 0 NOSCORES", b"-ERR NOSCORES option can only be used in ZSCAN\r\n"),
        ("SSCAN s 0 NOVALUES", b"-ERR NOVALUES option can only be used in HSCAN\r\n"),
        ("SSCAN s 0 BAR", b"-ERR syntax error\r\n"),
    ];
    let run = |srv: &Server, resp3: bool| -> Vec<Vec<u8>> {
        let mut c = srv.conn();
        c.cmd(&["FLUSHALL"]);
        if resp3 {
            c.cmd(&["HELLO", "3"]);
        }
        lines.iter().map(|(l, _)| c.cmd(&split_args(l).expect("line"))).collect()
    };
    let fer = Server::start(Kind::Ferredis, &[]);
    for resp3 in [false, true] {
        for ((line, want), got) in lines.iter().zip(run(&fer, resp3)) {
            assert_eq!(escape(&got), escape(want), "{line} (RESP3: {resp3})");
        }
    }
    // A hash-table-encoded set: every member exactly once over the whole scan, no scores.
    let mut c = fer.conn();
    for i in 0..300 {
        c.cmd(&["ZADD", "big", &i.to_string(), &format!("m{i}")]);
    }
    let (mut cursor, mut seen) = ("0".to_string(), std::collections::BTreeSet::new());
    loop {
        let v = Resp::parse(&c.cmd(&["ZSCAN", "big", &cursor, "NOSCORES", "COUNT", "50"])).expect("reply");
        let items = v.items().expect("array");
        cursor = String::from_utf8_lossy(items[0].as_bytes().expect("cursor")).into_owned();
        for m in items[1].items().expect("members") {
            let m = String::from_utf8_lossy(m.as_bytes().expect("member")).into_owned();
            assert!(m.starts_with('m'), "a score in a NOSCORES reply: {m}");
            seen.insert(m);
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
    if have_oracle(Kind::Valkey8) {
        let valkey = Server::start(Kind::Valkey8, &[]);
        for resp3 in [false, true] {
            for ((line, _), (a, b)) in lines.iter().zip(run(&fer, resp3).into_iter().zip(run(&valkey, resp3))) {
                assert_eq!(escape(&a), escape(&b), "{line} against Valkey 8.0.1 (RESP3: {resp3})");
            }
        }
    }
}

/// COMMAND INFO as Redis 7.4.1 replies it (RESP2).
const COMMAND_INFO_74: &[(&str, &[u8])] = &[
    ("zrank", b"*1\r\n*10\r\n$5\r\nzrank\r\n:-3\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@sortedset\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"),
    ("zrevrank", b"*1\r\n*10\r\n$8\r\nzrevrank\r\n:-3\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@sortedset\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"),
    ("waitaof", b"*1\r\n*10\r\n$7\r\nwaitaof\r\n:4\r\n*1\r\n+blocking\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@slow\r\n+@blocking\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$23\r\nresponse_policy:agg_min\r\n*0\r\n*0\r\n"),
    ("xread", b"*1\r\n*10\r\n$5\r\nxread\r\n:-4\r\n*3\r\n+readonly\r\n+blocking\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n*4\r\n+@read\r\n+@stream\r\n+@slow\r\n+@blocking\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\nspec\r\n*4\r\n$7\r\nkeyword\r\n$7\r\nSTREAMS\r\n$9\r\nstartfrom\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:2\r\n*0\r\n"),
    ("zscan", b"*1\r\n*10\r\n$5\r\nzscan\r\n:-3\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@sortedset\r\n+@slow\r\n*1\r\n$23\r\nnondeterministic_output\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"),
    ("client|kill", b"*1\r\n*10\r\n$11\r\nclient|kill\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*4\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"),
];

// Redis 7.4.1's replies to the scripts (generated from it once; RESP2 and RESP3).

const ZRANK_SCRIPT: &str = r#"
ZADD z 1 a 2.5 b 3 c -inf m +inf n 0.1 p
ZRANK z b
ZRANK z b WITHSCORE
ZRANK z b withscore
ZREVRANK z b WITHSCORE
ZRANK z m WITHSCORE
ZRANK z n WITHSCORE
ZREVRANK z n WITHSCORE
ZRANK z p WITHSCORE
ZRANK z x WITHSCORE
ZRANK z x
ZREVRANK z x WITHSCORE
ZRANK nokey x WITHSCORE
ZRANK nokey x
ZRANK z b foo
ZRANK nokey b foo
ZRANK z b WITHSCORE extra
ZREVRANK z b WITHSCORE extra
ZRANK z
SET s x
ZRANK s a WITHSCORE
ZRANK s a
ZRANK s a foo
CONFIG SET zset-max-listpack-entries 0
ZADD sk 1.5 a 2 b 1e300 c
OBJECT ENCODING sk
ZRANK sk b WITHSCORE
ZREVRANK sk a WITHSCORE
ZRANK sk c WITHSCORE
ZRANK sk x WITHSCORE
CONFIG SET zset-max-listpack-entries 128
"#;

const XREAD_SCRIPT: &str = r#"
XREAD STREAMS s +
XREAD COUNT 5 STREAMS s +
XADD s 1-1 a 1
XADD s 1-2 b 2
XADD s 2-0 c 3
XREAD STREAMS s +
XREAD COUNT 10 STREAMS s +
XREAD COUNT 0 STREAMS s +
XREAD STREAMS s s2 + +
XREAD STREAMS s s2 + 0
XADD s2 5-5 x y
XREAD COUNT 1 STREAMS s s2 + 0
XREAD STREAMS s2 s + 1-1
XREAD STREAMS s s + +
XREAD BLOCK 10 STREAMS s +
XDEL s 2-0
XREAD STREAMS s +
XREAD BLOCK 10 STREAMS s +
XREAD BLOCK 10 STREAMS nokey +
XGROUP CREATE e g $ MKSTREAM
XREAD STREAMS e +
XREAD STREAMS e $
XREAD STREAMS s2 e + +
XREAD STREAMS nokey e + +
XREADGROUP GROUP g c STREAMS e +
XREADGROUP GROUP g c STREAMS e $
XREADGROUP GROUP g c STREAMS nokey +
SET str x
XREAD STREAMS str +
XREAD STREAMS s2 str + +
MULTI
XREAD BLOCK 0 STREAMS s +
XREAD BLOCK 0 STREAMS s2 +
EXEC
XADD s 3-0 d 4
XREAD STREAMS s +
XTRIM s MAXLEN 0
XLEN s
XREAD STREAMS s +
XADD s 3-1 e 5
XREAD STREAMS s +
XADD s3 18446744073709551615-0 z 1
XREAD STREAMS s3 +
XADD s4 0-1 z 1
XREAD STREAMS s4 +
"#;

const CLIENT_KILL_SCRIPT: &str = r#"
CLIENT KILL MAXAGE 0
CLIENT KILL MAXAGE -1
CLIENT KILL MAXAGE x
CLIENT KILL MAXAGE 99999999999999999999
CLIENT KILL MAXAGE 1.5
CLIENT KILL MAXAGE 1000000
CLIENT KILL maxage 1000000 SKIPME no
CLIENT KILL MAXAGE
CLIENT KILL MAXAGE 100 ID 0
CLIENT KILL ID 1 MAXAGE 0
CLIENT KILL MAXAGE 0 ID 0
CLIENT KILL MAXAGE 1000 TYPE normal USER default SKIPME yes
CLIENT KILL MAXAGE 1000 FOO bar
"#;

const WAITAOF_SCRIPT: &str = r#"
WAITAOF 0 0 0
WAITAOF 1 0 0
WAITAOF 2 0 0
WAITAOF -1 0 0
WAITAOF x 0 0
WAITAOF 0 -1 0
WAITAOF 0 x 0
WAITAOF 0 0 -1
WAITAOF 0 0 x
WAITAOF 0 1 x
WAITAOF 1 0 x
WAITAOF 0 0
WAITAOF 0 0 0 0
SET k v
WAITAOF 0 0 0
WAITAOF 0 1 10
WAITAOF 1 1 10
MULTI
SET k v2
WAITAOF 0 1 0
WAITAOF 1 0 0
EXEC
EVAL "redis.call('set','k','v3'); return redis.call('waitaof',0,1,0)" 0
EVAL "return redis.call('waitaof',1,0,0)" 0
EVAL "return redis.pcall('waitaof',0,1,0)" 0
"#;

const ZRANK_RESP2: &[&[u8]] = &[
    b":6\r\n",
    b":3\r\n",
    b"*2\r\n:3\r\n$3\r\n2.5\r\n",
    b"*2\r\n:3\r\n$3\r\n2.5\r\n",
    b"*2\r\n:2\r\n$3\r\n2.5\r\n",
    b"*2\r\n:0\r\n$4\r\n-inf\r\n",
    b"*2\r\n:5\r\n$3\r\ninf\r\n",
    b"*2\r\n:0\r\n$3\r\ninf\r\n",
    b"*2\r\n:1\r\n$3\r\n0.1\r\n",
    b"*-1\r\n",
    b"$-1\r\n",
    b"*-1\r\n",
    b"*-1\r\n",
    b"$-1\r\n",
    b"-ERR syntax error\r\n",
    b"-ERR syntax error\r\n",
    b"-ERR wrong number of arguments for 'zrank' command\r\n",
    b"-ERR wrong number of arguments for 'zrevrank' command\r\n",
    b"-ERR wrong number of arguments for 'zrank' command\r\n",
    b"+OK\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"-ERR syntax error\r\n",
    b"+OK\r\n",
    b":3\r\n",
    b"$8\r\nskiplist\r\n",
    b"*2\r\n:1\r\n$1\r\n2\r\n",
    b"*2\r\n:2\r\n$3\r\n1.5\r\n",
    b"*2\r\n:2\r\n$6\r\n1e+300\r\n",
    b"*-1\r\n",
    b"+OK\r\n",
];
const ZRANK_RESP3: &[&[u8]] = &[
    b":6\r\n",
    b":3\r\n",
    b"*2\r\n:3\r\n,2.5\r\n",
    b"*2\r\n:3\r\n,2.5\r\n",
    b"*2\r\n:2\r\n,2.5\r\n",
    b"*2\r\n:0\r\n,-inf\r\n",
    b"*2\r\n:5\r\n,inf\r\n",
    b"*2\r\n:0\r\n,inf\r\n",
    b"*2\r\n:1\r\n,0.1\r\n",
    b"_\r\n",
    b"_\r\n",
    b"_\r\n",
    b"_\r\n",
    b"_\r\n",
    b"-ERR syntax error\r\n",
    b"-ERR syntax error\r\n",
    b"-ERR wrong number of arguments for 'zrank' command\r\n",
    b"-ERR wrong number of arguments for 'zrevrank' command\r\n",
    b"-ERR wrong number of arguments for 'zrank' command\r\n",
    b"+OK\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"-ERR syntax error\r\n",
    b"+OK\r\n",
    b":3\r\n",
    b"$8\r\nskiplist\r\n",
    b"*2\r\n:1\r\n,2\r\n",
    b"*2\r\n:2\r\n,1.5\r\n",
    b"*2\r\n:2\r\n,1e+300\r\n",
    b"_\r\n",
    b"+OK\r\n",
];
const XREAD_RESP2: &[&[u8]] = &[
    b"*-1\r\n",
    b"*-1\r\n",
    b"$3\r\n1-1\r\n",
    b"$3\r\n1-2\r\n",
    b"$3\r\n2-0\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"$3\r\n5-5\r\n",
    b"*2\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n",
    b"*2\r\n*2\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"*2\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b":1\r\n",
    b"*-1\r\n",
    b"*-1\r\n",
    b"*-1\r\n",
    b"+OK\r\n",
    b"-ERR the stream last element ID is 0-0\r\n",
    b"*-1\r\n",
    b"-ERR the stream last element ID is 0-0\r\n",
    b"-ERR the stream last element ID is 0-0\r\n",
    b"-ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.\r\n",
    b"-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.\r\n",
    b"-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option\r\n",
    b"+OK\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"+OK\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"*2\r\n*-1\r\n*1\r\n*2\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n",
    b"$3\r\n3-0\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n",
    b":3\r\n",
    b":0\r\n",
    b"*-1\r\n",
    b"$3\r\n3-1\r\n",
    b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\ne\r\n$1\r\n5\r\n",
    b"$22\r\n18446744073709551615-0\r\n",
    b"*1\r\n*2\r\n$2\r\ns3\r\n*1\r\n*2\r\n$22\r\n18446744073709551615-0\r\n*2\r\n$1\r\nz\r\n$1\r\n1\r\n",
    b"$3\r\n0-1\r\n",
    b"*1\r\n*2\r\n$2\r\ns4\r\n*1\r\n*2\r\n$3\r\n0-1\r\n*2\r\n$1\r\nz\r\n$1\r\n1\r\n",
];
const XREAD_RESP3: &[&[u8]] = &[
    b"_\r\n",
    b"_\r\n",
    b"$3\r\n1-1\r\n",
    b"$3\r\n1-2\r\n",
    b"$3\r\n2-0\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"$3\r\n5-5\r\n",
    b"%2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n",
    b"%2\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"%2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    b":1\r\n",
    b"_\r\n",
    b"_\r\n",
    b"_\r\n",
    b"+OK\r\n",
    b"-ERR the stream last element ID is 0-0\r\n",
    b"_\r\n",
    b"-ERR the stream last element ID is 0-0\r\n",
    b"-ERR the stream last element ID is 0-0\r\n",
    b"-ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.\r\n",
    b"-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.\r\n",
    b"-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option\r\n",
    b"+OK\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"+OK\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"*2\r\n_\r\n%1\r\n$2\r\ns2\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n",
    b"$3\r\n3-0\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n",
    b":3\r\n",
    b":0\r\n",
    b"_\r\n",
    b"$3\r\n3-1\r\n",
    b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\ne\r\n$1\r\n5\r\n",
    b"$22\r\n18446744073709551615-0\r\n",
    b"%1\r\n$2\r\ns3\r\n*1\r\n*2\r\n$22\r\n18446744073709551615-0\r\n*2\r\n$1\r\nz\r\n$1\r\n1\r\n",
    b"$3\r\n0-1\r\n",
    b"%1\r\n$2\r\ns4\r\n*1\r\n*2\r\n$3\r\n0-1\r\n*2\r\n$1\r\nz\r\n$1\r\n1\r\n",
];
const CLIENT_KILL_RESP2: &[&[u8]] = &[
    b"-ERR maxage should be greater than 0\r\n",
    b"-ERR maxage should be greater than 0\r\n",
    b"-ERR maxage is not an integer or out of range\r\n",
    b"-ERR maxage is not an integer or out of range\r\n",
    b"-ERR maxage is not an integer or out of range\r\n",
    b":0\r\n",
    b":0\r\n",
    b"-ERR No such client\r\n",
    b"-ERR client-id should be greater than 0\r\n",
    b"-ERR maxage should be greater than 0\r\n",
    b"-ERR maxage should be greater than 0\r\n",
    b":0\r\n",
    b"-ERR syntax error\r\n",
];
const CLIENT_KILL_RESP3: &[&[u8]] = &[
    b"-ERR maxage should be greater than 0\r\n",
    b"-ERR maxage should be greater than 0\r\n",
    b"-ERR maxage is not an integer or out of range\r\n",
    b"-ERR maxage is not an integer or out of range\r\n",
    b"-ERR maxage is not an integer or out of range\r\n",
    b":0\r\n",
    b":0\r\n",
    b"-ERR No such client\r\n",
    b"-ERR client-id should be greater than 0\r\n",
    b"-ERR maxage should be greater than 0\r\n",
    b"-ERR maxage should be greater than 0\r\n",
    b":0\r\n",
    b"-ERR syntax error\r\n",
];
const WAITAOF_RESP2: &[&[u8]] = &[
    b"*2\r\n:0\r\n:0\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"-ERR value is out of range, value must between 0 and 1\r\n",
    b"-ERR value is out of range, value must between 0 and 1\r\n",
    b"-ERR value is not an integer or out of range\r\n",
    b"-ERR value is out of range, must be positive\r\n",
    b"-ERR value is out of range, must be positive\r\n",
    b"-ERR timeout is negative\r\n",
    b"-ERR timeout is not an integer or out of range\r\n",
    b"-ERR timeout is not an integer or out of range\r\n",
    b"-ERR timeout is not an integer or out of range\r\n",
    b"-ERR wrong number of arguments for 'waitaof' command\r\n",
    b"-ERR wrong number of arguments for 'waitaof' command\r\n",
    b"+OK\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"+OK\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"*3\r\n+OK\r\n*2\r\n:0\r\n:0\r\n-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled. script: 1f91f3236b5bbab3beabbfffaf1cd25676f0e089, on @user_script:1.\r\n",
    b"*2\r\n:0\r\n:0\r\n",
];
const WAITAOF_RESP3: &[&[u8]] = &[
    b"*2\r\n:0\r\n:0\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"-ERR value is out of range, value must between 0 and 1\r\n",
    b"-ERR value is out of range, value must between 0 and 1\r\n",
    b"-ERR value is not an integer or out of range\r\n",
    b"-ERR value is out of range, must be positive\r\n",
    b"-ERR value is out of range, must be positive\r\n",
    b"-ERR timeout is negative\r\n",
    b"-ERR timeout is not an integer or out of range\r\n",
    b"-ERR timeout is not an integer or out of range\r\n",
    b"-ERR timeout is not an integer or out of range\r\n",
    b"-ERR wrong number of arguments for 'waitaof' command\r\n",
    b"-ERR wrong number of arguments for 'waitaof' command\r\n",
    b"+OK\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"+OK\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"*3\r\n+OK\r\n*2\r\n:0\r\n:0\r\n-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled. script: 1f91f3236b5bbab3beabbfffaf1cd25676f0e089, on @user_script:1.\r\n",
    b"*2\r\n:0\r\n:0\r\n",
];
