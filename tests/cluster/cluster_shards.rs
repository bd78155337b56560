//! CLUSTER SHARDS on a ferredis cluster against a Redis 7.0 cluster of the same shape, asked of every node: two
//! masters with slots (one with two ranges and two replicas attached one after the other, one with one replica),
//! a master without slots with a replica, announced hostnames on some nodes, RESP2 and RESP3, the three
//! `cluster-preferred-endpoint-type`s, then a replica killed (health `fail`). Ids, ports and replication offsets
//! are normalized; the shards are compared as a set, because Redis 7.0 lists them in the order of its nodes
//! dict, whose hash seed is random per process (each Redis node has its own order); within a shard the order
//! (master, then its replicas as they attached) and every field are compared as they come.

use crate::common;
use crate::common::cluster;

use cluster::*;
use common::*;

const NODES: usize = 7;
/// Node -> its master (by index) for the replicas, in attach order.
const REPLICAS: [(usize, usize); 4] = [(3, 0), (4, 0), (5, 1), (6, 2)];
/// Nodes that announce a hostname (`host-<i>.example`).
const NAMED: [usize; 4] = [0, 3, 5, 6];

struct Shape {
    c: Cluster,
    ids: Vec<String>,
}

impl Shape {
    fn build(kind: Kind) -> Shape {
        // A replication PING every second, so every replica's offset leaves 0 soon (health `online`).
        let c = Cluster::start(&[kind; NODES], &["--repl-ping-replica-period", "1"]);
        let ids: Vec<String> = (0..NODES).map(|i| c.id(i)).collect();
        let p0 = c.nodes[0].port.to_string();
        for i in 1..NODES {
            assert_eq!(c.nodes[i].cmd(&["CLUSTER", "MEET", "127.0.0.1", &p0]), b"+OK\r\n");
        }
        c.wait("every node to know every other", || {
            (0..NODES).all(|v| {
                c.nodes[v]
                    .try_text(&["CLUSTER", "NODES"])
                    .map(|t| {
                        let l = parse_nodes(&t);
                        l.len() == NODES && l.iter().all(|n| !n.has("handshake") && !n.has("noaddr"))
                    })
                    .unwrap_or(false)
            })
        });
        assert_eq!(c.nodes[0].cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "5000", "5002", "8000"]), b"+OK\r\n");
        assert_eq!(c.nodes[1].cmd(&["CLUSTER", "ADDSLOTSRANGE", "5001", "5001", "8001", "16383"]), b"+OK\r\n");
        // One replica at a time, each known as such everywhere before the next: every node then lists a
        // master's replicas in the same (attach) order.
        for (r, m) in REPLICAS {
            assert_eq!(c.nodes[r].cmd(&["CLUSTER", "REPLICATE", &ids[m]]), b"+OK\r\n");
            c.wait("every node to see the new replica", || {
                (0..NODES).all(|v| {
                    c.nodes[v]
                        .try_text(&["CLUSTER", "NODES"])
                        .map(|t| parse_nodes(&t).iter().any(|n| n.id == ids[r] && n.master == ids[m]))
                        .unwrap_or(false)
                })
            });
        }
        for i in NAMED {
            let h = format!("host-{i}.example");
            assert_eq!(c.nodes[i].cmd(&["CONFIG", "SET", "cluster-announce-hostname", &h]), b"+OK\r\n");
        }
        let s = Shape { c, ids };
        s.c.wait("cluster_state:ok, hostnames and online replicas everywhere", || {
            (0..NODES).all(|v| s.c.nodes[v].state().as_deref() == Some("ok") && s.settled(v, &[]))
        });
        s
    }

    /// Node `v` lists every node, with the announced hostnames, every replica but those in `failed` `online`
    /// (a non-zero offset) and those in `failed` as `fail`, and every master with replicas at a non-zero offset
    /// (a viewer learns a node's offset from that node's own gossip, so a replica may show its first PING's
    /// offset before its master does).
    fn settled(&self, v: usize, failed: &[usize]) -> bool {
        let Some(text) = self.c.nodes[v].try_text(&["CLUSTER", "NODES"]) else { return false };
        if parse_nodes(&text).len() != NODES {
            return false;
        }
        let Ok(mut conn) = self.c.nodes[v].try_conn() else { return false };
        let Ok(reply) = conn.try_cmd(&["CLUSTER", "SHARDS"]) else { return false };
        let flat = escape(&reply);
        (0..NODES).all(|i| {
            let Some(at) = flat.find(&self.ids[i]) else { return false };
            // This node's entry: up to the next "id" key.
            let rest = &flat[at..];
            let entry = &rest[..rest[1..].find("$2\\r\\nid\\r\\n").map_or(rest.len(), |e| e + 1)];
            let named = !NAMED.contains(&i) || entry.contains(&format!("host-{i}.example"));
            let health = if failed.contains(&i) { "fail" } else { "online" };
            let serves = REPLICAS.iter().any(|&(_, m)| m == i);
            let offset_known = !serves || !entry.contains("replication-offset\\r\\n:0\\r\\n");
            named && offset_known && entry.contains(&format!("health\\r\\n${}\\r\\n{health}", health.len()))
        })
    }

    /// Node `v`'s CLUSTER SHARDS, each shard normalized (ids `N<i>`, ports `P<i>`, offsets `OFF`), sorted.
    fn shards(&self, v: usize, resp3: bool) -> Vec<String> {
        let mut conn = self.c.nodes[v].conn();
        if resp3 {
            conn.cmd(&["HELLO", "3"]);
        }
        let reply = conn.cmd(&["CLUSTER", "SHARDS"]);
        let parsed = Resp::parse(&reply).unwrap_or_else(|e| panic!("CLUSTER SHARDS reply: {e}"));
        let Some(items) = parsed.items() else { panic!("CLUSTER SHARDS is not an array: {}", escape(&reply)) };
        let mut out: Vec<String> = items.iter().map(|s| self.normalize(&s.to_bytes())).collect();
        out.sort();
        out
    }

    fn normalize(&self, bytes: &[u8]) -> String {
        // The value after "replication-offset" depends on timing: `0` stays (a replica without data), others go.
        let s = escape(bytes);
        let key = "replication-offset\\r\\n:";
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(at) = rest.find(key) {
            out.push_str(&rest[..at + key.len()]);
            rest = &rest[at + key.len()..];
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            out.push_str(if &rest[..digits] == "0" { "0" } else { "OFF" });
            rest = &rest[digits..];
        }
        out.push_str(rest);
        for (i, id) in self.ids.iter().enumerate() {
            out = out.replace(id, &format!("N{i}"));
        }
        for (i, n) in self.c.nodes.iter().enumerate() {
            out = out.replace(&format!(":{}\\r\\n", n.port), &format!(":P{i}\\r\\n"));
        }
        out
    }

    /// Every node's view, in both protocols.
    fn views(&self, live: &[usize]) -> Vec<(usize, bool, Vec<String>)> {
        let mut out = Vec::new();
        for &v in live {
            for resp3 in [false, true] {
                out.push((v, resp3, self.shards(v, resp3)));
            }
        }
        out
    }

    fn set_all(&self, live: &[usize], args: &[&str]) {
        for &i in live {
            assert_eq!(self.c.nodes[i].cmd(args), b"+OK\r\n", "{args:?} on #{i}");
        }
    }
}

fn compare(what: &str, fer: &[(usize, bool, Vec<String>)], red: &[(usize, bool, Vec<String>)]) {
    assert_eq!(fer.len(), red.len());
    for (f, r) in fer.iter().zip(red) {
        assert_eq!(f, r, "{what}: CLUSTER SHARDS of node #{} (RESP{})", f.0, if f.1 { 3 } else { 2 });
    }
}

#[test]
fn cluster_shards_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let all: Vec<usize> = (0..NODES).collect();
    let mut results = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let mut s = Shape::build(kind);
        let mut r = vec![("endpoint ip", s.views(&all))];
        s.set_all(&all, &["CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"]);
        r.push(("endpoint hostname", s.views(&all)));
        s.set_all(&all, &["CONFIG", "SET", "cluster-preferred-endpoint-type", "unknown-endpoint"]);
        r.push(("endpoint unknown", s.views(&all)));
        s.set_all(&all, &["CONFIG", "SET", "cluster-preferred-endpoint-type", "ip"]);
        // A replica dies: the others list it with health `fail` once they agree it failed.
        s.c.nodes[4].kill();
        let live: Vec<usize> = all.iter().copied().filter(|&i| i != 4).collect();
        s.c.wait("every node to mark the killed replica failed", || live.iter().all(|&v| s.settled(v, &[4])));
        r.push(("a failed replica", s.views(&live)));
        results.push(r);
    }
    let (red, fer) = (&results[0], &results[1]);
    // The shape itself, as Redis shows it from node #0: 3 shards, #0's with its two replicas in attach order.
    let shard0 = red[0].1[0].2.iter().find(|s| s.contains("N0")).expect("a shard with node #0");
    let at = |n: &str| shard0.find(n).unwrap_or_else(|| panic!("{n} missing from {shard0}"));
    assert!(at("N0") < at("N3") && at("N3") < at("N4"), "{shard0}");
    assert_eq!(red[0].1[0].2.len(), 3, "{:?}", red[0].1[0].2);
    for ((what, f), (_, r)) in fer.iter().zip(red) {
        compare(what, f, r);
    }
}
