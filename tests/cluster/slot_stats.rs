//! CLUSTER SLOT-STATS (Valkey 8.0) and CLUSTER MYSHARDID (Redis 7.2).
//!
//! SLOT-STATS: the replies and errors byte for byte against Valkey 8.0.1 (`VALKEY8_SERVER`) in RESP2 and RESP3,
//! the CPU times masked; and, without the oracle, the byte counts Valkey 8.0.1's own suite
//! (`tests/unit/cluster/slot-stats.tcl`) writes down for the same commands. MYSHARDID: a replica reports its
//! master's shard id, which survives a restart (nodes.conf's `shard-id=`); against Redis 7.4.1
//! (`REDIS74_SERVER`) in both roles; and a Redis 7.0 node in the cluster logs nothing new.

use std::time::{Duration, Instant};

use crate::common;

use common::cluster::Cluster;
use common::*;

/// A one-node cluster holding every slot, ready for keys.
pub(crate) fn single(kind: Kind, extra: &[&str]) -> Server {
    let mut args = vec!["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"];
    args.extend_from_slice(extra);
    let s = Server::start(kind, &args);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]), b"+OK\r\n");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&c.cmd(&["CLUSTER", "INFO"])).contains("cluster_state:ok") {
        assert!(Instant::now() < deadline, "{} never reached cluster_state:ok", kind.label());
        std::thread::sleep(Duration::from_millis(20));
    }
    s
}

fn slot_of(c: &mut Conn, key: &str) -> String {
    let r = c.cmd(&["CLUSTER", "KEYSLOT", key]);
    String::from_utf8_lossy(&r[1..r.len() - 2]).into_owned()
}

/// One slot's stats as `(key-count, cpu-usec, network-bytes-in, network-bytes-out)`.
fn stats_of(c: &mut Conn, slot: &str) -> Vec<i64> {
    let r = Resp::parse(&c.cmd(&["CLUSTER", "SLOT-STATS", "SLOTSRANGE", slot, slot])).expect("a reply");
    let Resp::Array(items) = r else { panic!("not an array") };
    let Resp::Array(pair) = &items[0] else { panic!("not a pair") };
    let values: Vec<Resp> = match &pair[1] {
        Resp::Array(f) => f.chunks(2).map(|kv| kv[1].clone()).collect(),
        Resp::Map(kv) => kv.iter().map(|(_, v)| v.clone()).collect(),
        other => panic!("not a map: {other:?}"),
    };
    values
        .iter()
        .map(|v| match v {
            Resp::Int(n) => *n,
            other => panic!("not an integer: {other:?}"),
        })
        .collect()
}

/// The byte counts of Valkey 8.0.1's suite, on `kind` (ferredis here; the oracle in the differential test).
fn network_bytes_expectations(kind: Kind) {
    let s = single(kind, &["--cluster-slot-stats-enabled", "yes"]);
    let mut c = s.conn();
    let slot = slot_of(&mut c, "key");
    let reset = |c: &mut Conn| {
        c.cmd(&["CONFIG", "RESETSTAT"]);
        c.cmd(&["FLUSHALL"]);
    };
    reset(&mut c);
    // `*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n` in, `+OK\r\n` out.
    assert_eq!(c.cmd(&["SET", "key", "value"]), b"+OK\r\n");
    let st = stats_of(&mut c, &slot);
    assert_eq!((st[0], st[2], st[3]), (1, 33, 5), "{}", kind.label());
    assert!(st[1] > 0, "cpu-usec counted");
    // Keyless commands count nowhere.
    reset(&mut c);
    c.cmd(&["INFO"]);
    assert_eq!(stats_of(&mut c, &slot), [0, 0, 0, 0]);
    // An inline request: its words, single spaces and CRLF.
    let mut d = s.conn();
    d.send_raw(b"SET key value\r\n").expect("send");
    assert_eq!(d.read_reply().expect("reply"), b"+OK\r\n");
    let st = stats_of(&mut c, &slot);
    assert_eq!((st[2], st[3]), (15, 5));
    // MULTI (15, counted with its EXEC), SET (33), EXEC (14).
    reset(&mut c);
    assert_eq!(d.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(d.cmd(&["SET", "key", "value"]), b"+QUEUED\r\n");
    assert_eq!(d.cmd(&["EXEC"]), b"*1\r\n+OK\r\n");
    assert_eq!(stats_of(&mut c, &slot)[2], 62);
    // A blocked BLPOP counts when served: 31 + LPUSH's 35 in, `:1\r\n` + `*2\r\n$3\r\nkey\r\n$5\r\nvalue\r\n` out.
    reset(&mut c);
    d.send(&["BLPOP", "key", "0"]).expect("send");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&c.cmd(&["INFO", "clients"])).contains("blocked_clients:1") {
        assert!(Instant::now() < deadline, "BLPOP never blocked");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(stats_of(&mut c, &slot)[1..], [0, 0, 0], "nothing while blocked");
    assert_eq!(c.cmd(&["LPUSH", "key", "value"]), b":1\r\n");
    assert_eq!(d.read_reply().expect("served"), b"*2\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
    let st = stats_of(&mut c, &slot);
    assert_eq!((st[2], st[3]), (66, 28));
    // Pub/sub is not slot-specific; SPUBLISH's channel is (`*3\r\n$8\r\nspublish\r\n$7\r\nchannel\r\n$5\r\nhello\r\n`).
    reset(&mut c);
    let ch = slot_of(&mut c, "channel");
    c.cmd(&["PUBLISH", "channel", "m"]);
    assert_eq!(stats_of(&mut c, &ch), [0, 0, 0, 0]);
    let mut sub = s.conn();
    // `*3\r\n$10\r\nssubscribe\r\n$7\r\nchannel\r\n:1\r\n` to the subscriber.
    assert_eq!(sub.cmd(&["SSUBSCRIBE", "channel"]), b"*3\r\n$10\r\nssubscribe\r\n$7\r\nchannel\r\n:1\r\n");
    assert_eq!(stats_of(&mut c, &ch)[3], 38);
    reset(&mut c);
    // `:1\r\n` to the publisher, `*3\r\n$8\r\nsmessage\r\n$7\r\nchannel\r\n$5\r\nhello\r\n` to the subscriber.
    assert_eq!(c.cmd(&["SPUBLISH", "channel", "hello"]), b":1\r\n");
    let st = stats_of(&mut c, &ch);
    assert_eq!((st[2], st[3]), (42, 46));
    // CONFIG RESETSTAT clears the counters, a slot leaving and coming back too.
    c.cmd(&["SET", "key", "value"]);
    c.cmd(&["CONFIG", "SET", "cluster-require-full-coverage", "no"]);
    c.cmd(&["CLUSTER", "DELSLOTS", &slot]);
    assert_eq!(c.cmd(&["CLUSTER", "SLOT-STATS", "SLOTSRANGE", &slot, &slot]), b"*0\r\n");
    c.cmd(&["CLUSTER", "ADDSLOTS", &slot]);
    assert_eq!(stats_of(&mut c, &slot)[1..], [0, 0, 0]);
}

#[test]
fn network_bytes_as_valkey_counts_them() {
    network_bytes_expectations(Kind::Ferredis);
}

#[test]
fn network_bytes_against_valkey8() {
    if !have_oracle(Kind::Valkey8) {
        return;
    }
    network_bytes_expectations(Kind::Valkey8);
}

/// CPU time: what commandstats counts for the command, in its slot; a script's in the slot its calls touch, a
/// cross-slot script's nowhere.
#[test]
fn cpu_usec_follows_commandstats() {
    let s = single(Kind::Ferredis, &["--cluster-slot-stats-enabled", "yes"]);
    let mut c = s.conn();
    let slot = slot_of(&mut c, "FOO");
    let usec = |c: &mut Conn, cmd: &str| -> i64 {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "commandstats"])).into_owned();
        let line = info.lines().find(|l| l.starts_with(&format!("cmdstat_{cmd}:"))).unwrap_or_default().to_string();
        line.split("usec=").nth(1).and_then(|r| r.split(',').next()).and_then(|n| n.parse().ok()).unwrap_or(-1)
    };
    c.cmd(&["SET", "FOO", "VALUE"]);
    assert_eq!(stats_of(&mut c, &slot)[1], usec(&mut c, "set"));
    c.cmd(&["CONFIG", "RESETSTAT"]);
    // A script with a shebang (one without may touch any slot, as in Redis 7: it counts nowhere).
    c.cmd(&["EVAL", "#!lua\nredis.call('set', 'FOO', 'bar'); redis.call('get', 'FOO')", "0"]);
    assert_eq!(stats_of(&mut c, &slot)[1], usec(&mut c, "eval"));
    c.cmd(&["CONFIG", "RESETSTAT"]);
    let r = c.cmd(&[
        "EVAL",
        "#!lua flags=allow-cross-slot-keys\nredis.call('set', 'FOO', 'bar'); redis.call('get', 'FOO2')",
        "0",
    ]);
    assert_eq!(r, b"$-1\r\n");
    let all =
        String::from_utf8_lossy(&c.cmd(&["CLUSTER", "SLOT-STATS", "ORDERBY", "cpu-usec", "LIMIT", "1"])).into_owned();
    assert!(all.contains("cpu-usec\r\n:0\r\n"), "a cross-slot script counts nowhere: {all}");
    c.cmd(&["CONFIG", "RESETSTAT"]);
    let mut d = s.conn();
    d.cmd(&["MULTI"]);
    d.cmd(&["SET", "FOO", "v"]);
    d.cmd(&["GET", "FOO"]);
    assert_eq!(stats_of(&mut c, &slot)[1], 0, "nothing before EXEC");
    d.cmd(&["EXEC"]);
    assert_eq!(stats_of(&mut c, &slot)[1], usec(&mut c, "exec"));
}

/// The argument checks, orderings and limits, and the disabled metrics.
fn ordering_script() -> &'static str {
    "CLUSTER SLOT-STATS SLOTSRANGE 100 102
CLUSTER SLOT-STATS SLOTSRANGE 102 100
CLUSTER SLOT-STATS SLOTSRANGE -1 100
CLUSTER SLOT-STATS SLOTSRANGE 0 16384
CLUSTER SLOT-STATS SLOTSRANGE a b
CLUSTER SLOT-STATS SLOTSRANGE 1
CLUSTER SLOT-STATS SLOTSRANGE 1 2 3
CLUSTER SLOT-STATS
CLUSTER SLOT-STATS NOPE 1 2
CLUSTER SLOT-STATS ORDERBY
CLUSTER SLOT-STATS ORDERBY key-count LIMIT 3
CLUSTER SLOT-STATS ORDERBY KEY-COUNT LIMIT 3 ASC
CLUSTER SLOT-STATS ORDERBY key-count desc limit 4
CLUSTER SLOT-STATS ORDERBY key-count LIMIT 0
CLUSTER SLOT-STATS ORDERBY key-count LIMIT 16385
CLUSTER SLOT-STATS ORDERBY key-count LIMIT x
CLUSTER SLOT-STATS ORDERBY key-count LIMIT
CLUSTER SLOT-STATS ORDERBY key-count LIMIT 2 LIMIT 3
CLUSTER SLOT-STATS ORDERBY key-count ASC DESC
CLUSTER SLOT-STATS ORDERBY key-count nonsense
CLUSTER SLOT-STATS ORDERBY nonsense
CLUSTER SLOT-STATS ORDERBY cpu-usec
CLUSTER SLOT-STATS ORDERBY network-bytes-in
CLUSTER SLOT-STATS ORDERBY network-bytes-out LIMIT 1
CONFIG SET cluster-require-full-coverage no
CLUSTER DELSLOTS 101
CLUSTER SLOT-STATS SLOTSRANGE 100 102
FLUSHALL SYNC
CLUSTER FLUSHSLOTS
CLUSTER ADDSLOTS 100 101
CLUSTER SLOT-STATS ORDERBY key-count LIMIT 5 DESC
CLUSTER SLOT-STATS ORDERBY key-count LIMIT 5 ASC
CLUSTER SLOT-STATS SLOTSRANGE 0 16383
CLUSTER SLOT-STATS ORDERBY key-count"
}

fn run_lines(c: &mut Conn, text: &str) -> Vec<(String, Vec<u8>)> {
    text.lines().map(|l| (l.to_string(), c.cmd_str(l))).collect()
}

/// Keys in a few slots: `{0}`..`{4}` hash tags with 1..5 keys.
fn fill(c: &mut Conn) {
    for (n, tag) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        for i in 0..=n {
            assert_eq!(c.cmd(&["SET", &format!("{i}{{{tag}}}"), "v"]), b"+OK\r\n");
        }
    }
}

#[test]
fn orderby_and_errors() {
    let s = single(Kind::Ferredis, &[]);
    let mut c = s.conn();
    fill(&mut c);
    let out = run_lines(&mut c, ordering_script());
    let get = |line: &str| -> String {
        String::from_utf8_lossy(&out.iter().find(|(l, _)| l == line).expect("a line").1).into_owned()
    };
    assert_eq!(
        get("CLUSTER SLOT-STATS SLOTSRANGE 100 102"),
        "*3\r\n*2\r\n:100\r\n*2\r\n$9\r\nkey-count\r\n:0\r\n*2\r\n:101\r\n*2\r\n$9\r\nkey-count\r\n:0\r\n*2\r\n:102\r\n*2\r\n$9\r\nkey-count\r\n:0\r\n"
    );
    assert_eq!(
        get("CLUSTER SLOT-STATS SLOTSRANGE 102 100"),
        "-ERR Start slot number 102 is greater than end slot number 100\r\n"
    );
    assert_eq!(get("CLUSTER SLOT-STATS SLOTSRANGE -1 100"), "-ERR Invalid or out of range slot\r\n");
    assert_eq!(get("CLUSTER SLOT-STATS SLOTSRANGE 0 16384"), "-ERR Invalid or out of range slot\r\n");
    assert_eq!(
        get("CLUSTER SLOT-STATS SLOTSRANGE 1"),
        "-ERR unknown subcommand or wrong number of arguments for 'SLOT-STATS'. Try CLUSTER HELP.\r\n"
    );
    assert_eq!(get("CLUSTER SLOT-STATS"), "-ERR wrong number of arguments for 'cluster|slot-stats' command\r\n");
    // Key counts 5, 4, 3 for the tags e, d, c (slots 15363, 11298, 7365); ties by ascending slot.
    let desc = get("CLUSTER SLOT-STATS ORDERBY key-count LIMIT 3");
    assert_eq!(
        desc,
        "*3\r\n*2\r\n:15363\r\n*2\r\n$9\r\nkey-count\r\n:5\r\n*2\r\n:11298\r\n*2\r\n$9\r\nkey-count\r\n:4\r\n*2\r\n:7365\r\n*2\r\n$9\r\nkey-count\r\n:3\r\n"
    );
    assert_eq!(
        get("CLUSTER SLOT-STATS ORDERBY KEY-COUNT LIMIT 3 ASC"),
        "*3\r\n*2\r\n:0\r\n*2\r\n$9\r\nkey-count\r\n:0\r\n*2\r\n:1\r\n*2\r\n$9\r\nkey-count\r\n:0\r\n*2\r\n:2\r\n*2\r\n$9\r\nkey-count\r\n:0\r\n"
    );
    let limit = "-ERR Limit has to lie in between 1 and 16384 (maximum number of slots).\r\n";
    for l in ["0", "16385", "x"] {
        assert_eq!(get(&format!("CLUSTER SLOT-STATS ORDERBY key-count LIMIT {l}")), limit);
    }
    assert_eq!(get("CLUSTER SLOT-STATS ORDERBY key-count LIMIT"), "-ERR syntax error\r\n");
    let multi = "-ERR Multiple filters of the same type are disallowed.\r\n";
    assert_eq!(get("CLUSTER SLOT-STATS ORDERBY key-count LIMIT 2 LIMIT 3"), multi);
    assert_eq!(get("CLUSTER SLOT-STATS ORDERBY key-count ASC DESC"), multi);
    let metric = "-ERR Unrecognized sort metric for ORDERBY.\r\n";
    // Without cluster-slot-stats-enabled only key-count exists.
    for m in ["nonsense", "cpu-usec", "network-bytes-in"] {
        assert_eq!(get(&format!("CLUSTER SLOT-STATS ORDERBY {m}")), metric);
    }
    assert_eq!(get("CLUSTER SLOT-STATS SLOTSRANGE 100 102").matches(":10").count(), 3);
    let after = get("CLUSTER SLOT-STATS ORDERBY key-count LIMIT 5 DESC");
    assert!(after.starts_with("*2\r\n*2\r\n:100\r\n"), "only the node's two slots: {after}");
    // In a standalone server, the disabled error.
    let standalone = Server::ferredis();
    assert_eq!(
        standalone.conn().cmd(&["CLUSTER", "SLOT-STATS", "SLOTSRANGE", "0", "1"]),
        b"-ERR This instance has cluster support disabled\r\n"
    );
    assert_eq!(
        standalone.conn().cmd(&["CLUSTER", "MYSHARDID"]),
        b"-ERR This instance has cluster support disabled\r\n"
    );
}

/// CPU times differ between two servers: each `cpu-usec` value becomes 0 before comparing.
fn mask_cpu(reply: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(reply);
    let mut out = String::new();
    let mut mask_next = false;
    for line in text.split_inclusive("\r\n") {
        if mask_next && line.starts_with(':') {
            out.push_str(":0\r\n");
            mask_next = false;
            continue;
        }
        mask_next = line == "cpu-usec\r\n";
        out.push_str(line);
    }
    out.into_bytes()
}

#[test]
fn slot_stats_against_valkey8() {
    if !have_oracle(Kind::Valkey8) {
        return;
    }
    for proto in ["2", "3"] {
        for enabled in ["no", "yes"] {
            let (f, v) = (
                single(Kind::Ferredis, &["--cluster-slot-stats-enabled", enabled]),
                single(Kind::Valkey8, &["--cluster-slot-stats-enabled", enabled]),
            );
            let (mut fc, mut vc) = (f.conn(), v.conn());
            for c in [&mut fc, &mut vc] {
                c.cmd(&["HELLO", proto]);
                fill(c);
                c.cmd(&["CONFIG", "RESETSTAT"]);
                c.cmd(&["SET", "key", "value"]);
                c.cmd(&["GET", "key"]);
            }
            let (a, b) = (run_lines(&mut fc, ordering_script()), run_lines(&mut vc, ordering_script()));
            for ((line, x), (_, y)) in a.iter().zip(&b) {
                assert_eq!(escape(&mask_cpu(x)), escape(&mask_cpu(y)), "RESP{proto} enabled={enabled}: {line}");
            }
            let line = "COMMAND INFO cluster|slot-stats";
            assert_eq!(escape(&fc.cmd_str(line)), escape(&vc.cmd_str(line)), "{line}");
            // Valkey 8 gives every argument of every command a `display_text`; ferredis keeps Redis 7.0's COMMAND
            // DOCS, which has none.
            let line = "COMMAND DOCS cluster|slot-stats";
            assert_eq!(escape(&fc.cmd_str(line)), escape(&without_display_text(&vc.cmd_str(line))), "{line}");
        }
    }
}

/// A COMMAND DOCS reply without Valkey 8's `display_text` argument fields (RESP2 or RESP3), re-encoded: each
/// argument is a map (`%n`, or `*2n` in RESP2) whose `display_text` entry is a key and a bulk value.
fn without_display_text(reply: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(reply).into_owned();
    let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == "$12\r\n" && lines.get(i + 1) == Some(&"display_text\r\n") {
            i += 4;
            for j in (0..out.len()).rev() {
                let l = out[j].clone();
                if let Some(n) = l.strip_prefix('%').and_then(|r| r.trim_end().parse::<usize>().ok()) {
                    out[j] = format!("%{}\r\n", n - 1);
                    break;
                }
                if let Some(n) = l.strip_prefix('*').and_then(|r| r.trim_end().parse::<usize>().ok()) {
                    if n % 2 == 0 && n >= 4 {
                        out[j] = format!("*{}\r\n", n - 2);
                        break;
                    }
                }
            }
            continue;
        }
        out.push(lines[i].to_string());
        i += 1;
    }
    out.concat().into_bytes()
}

fn shard_id(n: &common::cluster::Node) -> String {
    n.text(&["CLUSTER", "MYSHARDID"])
}

/// Node 1 becomes a replica of node 0, which holds every slot; `synced`: wait for the replication link too.
fn master_and_replica(c: &Cluster, synced: bool) {
    let (m, r) = (&c.nodes[0], &c.nodes[1]);
    assert_eq!(m.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]), b"+OK\r\n");
    assert_eq!(r.cmd(&["CLUSTER", "MEET", &m.ip, &m.port.to_string()]), b"+OK\r\n");
    let mid = m.myid();
    c.wait("the nodes know each other", || r.text(&["CLUSTER", "NODES"]).contains(&mid));
    c.wait("the replica set up", || r.cmd(&["CLUSTER", "REPLICATE", &mid]) == b"+OK\r\n");
    if synced {
        c.wait_ok();
    }
}

#[test]
fn myshardid_of_a_replica_is_its_masters() {
    let mut c = Cluster::start(&[Kind::Ferredis, Kind::Ferredis], &[]);
    let before = shard_id(&c.nodes[1]);
    assert_eq!(before.len(), 40, "{before}");
    master_and_replica(&c, true);
    let sid = shard_id(&c.nodes[0]);
    assert_eq!(sid.len(), 40);
    assert!(sid.bytes().all(|b| b.is_ascii_hexdigit()), "{sid}");
    c.wait("the replica in its master's shard", || shard_id(&c.nodes[1]) == sid);
    // nodes.conf keeps it (Redis 7.2's aux field), CLUSTER NODES does not show it.
    let conf = std::fs::read_to_string(c.nodes[1].dir.join("nodes.conf")).expect("nodes.conf");
    assert_eq!(conf.matches(&format!("shard-id={sid}")).count(), 2, "{conf}");
    assert!(!c.nodes[1].text(&["CLUSTER", "NODES"]).contains("shard-id"));
    // A restart reads it back.
    c.nodes[1].kill();
    c.nodes[1].start();
    assert_eq!(shard_id(&c.nodes[1]), sid);
    assert_eq!(
        c.nodes[1].cmd(&["CLUSTER", "MYSHARDID", "x"]),
        b"-ERR wrong number of arguments for 'cluster|myshardid' command\r\n"
    );
}

/// Redis 7.4.1 and ferredis in one shard, each role both ways: the replica reports its master's shard id. (A
/// ferredis replica of Redis 7.4 learns it over the bus though it cannot load 7.4's RDB 12 snapshot: the
/// replication link is not waited for.)
#[test]
fn myshardid_with_redis74() {
    if !have_oracle(Kind::Redis74) {
        return;
    }
    for kinds in [[Kind::Redis74, Kind::Ferredis], [Kind::Ferredis, Kind::Redis74]] {
        let c = Cluster::start(&kinds, &[]);
        master_and_replica(&c, kinds[0] == Kind::Ferredis);
        let sid = shard_id(&c.nodes[0]);
        c.wait(&format!("{} replica of {} in its shard", kinds[1].label(), kinds[0].label()), || {
            shard_id(&c.nodes[1]) == sid
        });
        // The metadata Redis 7.4 declares.
        for line in ["COMMAND INFO cluster|myshardid", "COMMAND DOCS cluster|myshardid"] {
            let args: Vec<&str> = line.split(' ').collect();
            assert_eq!(escape(&c.nodes[0].cmd(&args)), escape(&c.nodes[1].cmd(&args)), "{line}");
        }
    }
}

/// A Redis 7.0 master with a ferredis replica and a Redis 7.0 replica: ferredis's replica follows the shard id
/// it gave the master, and Redis 7.0 gets no extension it does not know (it would log each one).
#[test]
fn redis70_nodes_hear_no_shard_id() {
    if !have_redis() {
        return;
    }
    let c = Cluster::start(&[Kind::Redis, Kind::Ferredis], &[]);
    master_and_replica(&c, true);
    let f = &c.nodes[1];
    let mine = shard_id(f);
    assert_eq!(mine.len(), 40);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(shard_id(f), mine, "stable");
    let log = std::fs::read_to_string(c.nodes[0].dir.join("server.log")).unwrap_or_default();
    assert!(!log.contains("unknown extension"), "{log}");
}
