//! The cluster bus against real binaries on loopback: ferredis nodes MEET Debian's redis-server 7.0 cluster nodes
//! (and are MEt by them), gossip spreads them, a killed node is marked failing by the others, PUBLISH crosses the
//! bus both ways, and malformed bus packets close the link without hurting the node.

use crate::common;

use common::*;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const NODE_TIMEOUT: &str = "2000";

/// Polls `cond` until it holds; panics with `what` after 30 s.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Node {
    srv: Server,
    cport: u16,
}

fn node(kind: Kind) -> Node {
    let cport = free_port();
    let cport_s = cport.to_string();
    let srv = Server::start(
        kind,
        &["--cluster-enabled", "yes", "--cluster-port", &cport_s, "--cluster-node-timeout", NODE_TIMEOUT],
    );
    Node { srv, cport }
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).into_owned()
}

/// CLUSTER NODES lines as (id, address, flags, link state).
fn nodes(n: &Node) -> Vec<(String, String, String, String)> {
    let reply = text(n.srv.conn().cmd(&["CLUSTER", "NODES"]));
    reply
        .lines()
        .filter(|l| l.split(' ').count() >= 8)
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string(), f[7].to_string())
        })
        .collect()
}

fn myid(n: &Node) -> String {
    let r = text(n.srv.conn().cmd(&["CLUSTER", "MYID"]));
    r.lines().nth(1).unwrap_or("").to_string()
}

fn meet(from: &Node, to: &Node) {
    let (p, c) = (to.srv.port.to_string(), to.cport.to_string());
    assert_eq!(from.srv.conn().cmd(&["CLUSTER", "MEET", "127.0.0.1", &p, &c]), b"+OK\r\n");
}

/// Every node knows every other, connected, out of handshake.
fn converged(all: &[&Node]) -> bool {
    all.iter().all(|n| {
        let v = nodes(n);
        v.len() == all.len() && v.iter().all(|(_, _, flags, link)| !flags.contains("handshake") && link == "connected")
    })
}

#[test]
fn ferredis_and_redis_nodes_meet_and_gossip() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r1, r2) = (node(Kind::Redis), node(Kind::Redis));
    let (f1, f2) = (node(Kind::Ferredis), node(Kind::Ferredis));
    // Redis meets one ferredis node, that ferredis node meets the other Redis node, the second ferredis node
    // meets Redis: everybody else is learnt from gossip.
    meet(&r1, &f1);
    meet(&f1, &r2);
    meet(&f2, &r1);
    let all = [&r1, &r2, &f1, &f2];
    wait_for("4 nodes to know each other", || converged(&all));
    // Both sides agree on the ids and addresses.
    let ids: Vec<String> = all.iter().map(|n| myid(n)).collect();
    for n in &all {
        let v = nodes(n);
        for (i, other) in all.iter().enumerate() {
            let line = v.iter().find(|(id, ..)| *id == ids[i]).expect("node known");
            assert!(line.1.starts_with(&format!("127.0.0.1:{}@{}", other.srv.port, other.cport)), "{line:?}");
        }
    }
    // A Redis node's slots reach the ferredis nodes through its pings.
    assert_eq!(r1.srv.conn().cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]), b"+OK\r\n");
    wait_for("ferredis to see the slots of the Redis node", || {
        text(f2.srv.conn().cmd(&["CLUSTER", "NODES"])).lines().any(|l| l.starts_with(&ids[0]) && l.ends_with("0-16383"))
    });
}

#[test]
fn publish_crosses_the_bus_both_ways() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r, f) = (node(Kind::Redis), node(Kind::Ferredis));
    meet(&f, &r);
    wait_for("the two nodes to meet", || converged(&[&r, &f]));
    for (sub_node, pub_node) in [(&r, &f), (&f, &r)] {
        let mut sub = sub_node.srv.conn();
        sub.cmd(&["SUBSCRIBE", "news"]);
        let mut p = pub_node.srv.conn();
        // The local count only: the other node's subscriber hears it over the bus.
        assert_eq!(p.cmd(&["PUBLISH", "news", "hello"]), b":0\r\n");
        let msg = sub.read_reply().expect("message over the bus");
        assert_eq!(msg, b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
    }
}

#[test]
fn a_killed_node_is_marked_failing() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r1, r2) = (node(Kind::Redis), node(Kind::Redis));
    let (f1, mut f2) = (node(Kind::Ferredis), node(Kind::Ferredis));
    meet(&f1, &r1);
    meet(&f1, &r2);
    meet(&f1, &f2);
    wait_for("convergence", || converged(&[&r1, &r2, &f1, &f2]));
    // Three masters with slots make the quorum two.
    for (n, range) in [(&r1, ["0", "5000"]), (&r2, ["5001", "10000"])] {
        assert_eq!(n.srv.conn().cmd(&["CLUSTER", "ADDSLOTSRANGE", range[0], range[1]]), b"+OK\r\n");
    }
    assert_eq!(f1.srv.conn().cmd(&["CLUSTER", "ADDSLOTSRANGE", "10001", "16383"]), b"+OK\r\n");
    wait_for("cluster ok everywhere", || {
        [&r1, &r2, &f1].iter().all(|n| text(n.srv.conn().cmd(&["CLUSTER", "INFO"])).contains("cluster_state:ok"))
    });
    let dead = myid(&f2);
    f2.srv.kill9();
    for n in [&r1, &r2, &f1] {
        wait_for("the killed node flagged fail", || {
            nodes(n).iter().any(|(id, _, flags, _)| *id == dead && flags.contains("fail") && !flags.contains("fail?"))
        });
    }
    let log = f1.srv.full_log();
    assert!(
        log.contains(&format!("Marking node {dead} as failing (quorum reached)."))
            || log.contains("FAIL message received from"),
        "{log}"
    );
}

#[test]
fn malformed_bus_packets_close_the_link_only() {
    let f = node(Kind::Ferredis);
    // A wrong signature.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", f.cport)).expect("bus port");
    s.write_all(b"XXXX\0\0\x08\xd0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "the link is closed");
    // A length under the header's.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", f.cport)).expect("bus port");
    s.write_all(b"RCmb\0\0\0\x10").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "the link is closed");
    // A whole packet of a known type with a wrong length is ignored, the link stays.
    let mut pkt = vec![0u8; 2256 + 7];
    pkt[..4].copy_from_slice(b"RCmb");
    let len = pkt.len() as u32;
    pkt[4..8].copy_from_slice(&len.to_be_bytes());
    pkt[8..10].copy_from_slice(&1u16.to_be_bytes());
    pkt[12..14].copy_from_slice(&3u16.to_be_bytes()); // FAIL
    pkt[40..80].copy_from_slice(&[b'a'; 40]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", f.cport)).expect("bus port");
    s.write_all(&pkt).unwrap();
    wait_for("the invalid FAIL packet logged", || {
        f.srv.full_log().contains("Received invalid fail packet of length 2263 but expected length 2296")
    });
    assert!(f.srv.full_log().contains("Bad message length or signature received from Cluster bus."));
    assert_eq!(f.srv.conn().cmd(&["PING"]), b"+PONG\r\n");
}

fn role(n: &Node) -> String {
    let r = text(n.srv.conn().cmd(&["ROLE"]));
    r.lines().nth(2).unwrap_or("").to_string()
}

fn replicate(replica: &Node, master: &Node) {
    let id = myid(master);
    wait_for("the replica to know its master", || nodes(replica).iter().any(|(i, ..)| *i == id));
    assert_eq!(replica.srv.conn().cmd(&["CLUSTER", "REPLICATE", &id]), b"+OK\r\n");
    wait_for("the replication link up", || {
        text(replica.srv.conn().cmd(&["INFO", "replication"])).contains("master_link_status:up")
    });
}

#[test]
fn failover_between_redis_and_ferredis_nodes() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (mut r1, f1, f2, f3) = (node(Kind::Redis), node(Kind::Ferredis), node(Kind::Ferredis), node(Kind::Ferredis));
    for n in [&r1, &f2, &f3] {
        meet(&f1, n);
    }
    wait_for("convergence", || converged(&[&r1, &f1, &f2, &f3]));
    for (n, range) in [(&r1, ["0", "5460"]), (&f1, ["5461", "10922"]), (&f2, ["10923", "16383"])] {
        assert_eq!(n.srv.conn().cmd(&["CLUSTER", "ADDSLOTSRANGE", range[0], range[1]]), b"+OK\r\n");
    }
    // A ferredis replica of the Redis master.
    replicate(&f3, &r1);
    wait_for("cluster ok", || text(f3.srv.conn().cmd(&["CLUSTER", "INFO"])).contains("cluster_state:ok"));
    // "foo" is in slot 12182 (f2's), "bar" in 5061 (r1's).
    let mut c = r1.srv.conn();
    assert_eq!(c.cmd(&["SET", "bar", "acknowledged"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["WAIT", "1", "5000"]), b":1\r\n");
    // The Redis master dies: the ferredis replica wins the election with the two ferredis masters' votes.
    r1.srv.kill9();
    wait_for("the replica promoted", || {
        role(&f3) == "master" || text(f3.srv.conn().cmd(&["ROLE"])).starts_with("*3\r\n$6\r\nmaster")
    });
    assert!(f3.srv.full_log().contains("Failover election won: I'm the new master."));
    assert_eq!(f3.srv.conn().cmd(&["GET", "bar"]), b"$12\r\nacknowledged\r\n");
    wait_for("the others see the new owner of slot 0", || {
        let id = myid(&f3);
        [&f1, &f2].iter().all(|n| {
            text(n.srv.conn().cmd(&["CLUSTER", "NODES"]))
                .lines()
                .any(|l| l.starts_with(&id) && l.contains("master") && l.ends_with("0-5460"))
        })
    });
    // A Redis replica of the new ferredis master takes over by a manual failover: the ferredis master pauses,
    // hands over its offset and becomes a replica of the Redis node.
    let r2 = node(Kind::Redis);
    meet(&f1, &r2);
    replicate(&r2, &f3);
    assert_eq!(r2.srv.conn().cmd(&["CLUSTER", "FAILOVER"]), b"+OK\r\n");
    wait_for("the Redis replica promoted", || text(r2.srv.conn().cmd(&["ROLE"])).starts_with("*3\r\n$6\r\nmaster"));
    wait_for("the old master following it", || text(f3.srv.conn().cmd(&["ROLE"])).starts_with("*5\r\n$5\r\nslave"));
    assert!(f3.srv.full_log().contains("Manual failover requested by replica"));
    assert_eq!(r2.srv.conn().cmd(&["GET", "bar"]), b"$12\r\nacknowledged\r\n");
}

/// Sends a PING from an unknown node on a fresh inbound link to `n`'s bus port and reads the PONG it answers
/// with: (announced ip, port, bus port, hostname extension).
fn pong_announcement(n: &Node) -> (String, u16, u16, Option<String>) {
    let mut pkt = vec![0u8; 2256];
    pkt[..4].copy_from_slice(b"RCmb");
    pkt[4..8].copy_from_slice(&2256u32.to_be_bytes());
    pkt[8..10].copy_from_slice(&1u16.to_be_bytes()); // version
    pkt[12..14].copy_from_slice(&0u16.to_be_bytes()); // PING
    pkt[40..80].copy_from_slice(&[b'e'; 40]);
    pkt[2250..2252].copy_from_slice(&1u16.to_be_bytes()); // master
    let mut s = std::net::TcpStream::connect(("127.0.0.1", n.cport)).expect("bus port");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&pkt).unwrap();
    let mut head = [0u8; 8];
    s.read_exact(&mut head).expect("a reply packet");
    assert_eq!(&head[..4], b"RCmb");
    let total = u32::from_be_bytes(head[4..8].try_into().unwrap()) as usize;
    let mut p = head.to_vec();
    p.resize(total, 0);
    s.read_exact(&mut p[8..]).expect("the whole reply");
    let be16 = |at: usize| u16::from_be_bytes([p[at], p[at + 1]]);
    assert_eq!(be16(12), 1, "a PONG");
    let cstr = |b: &[u8]| String::from_utf8_lossy(&b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]).into_owned();
    // Extensions follow the gossip entries (104 bytes each): length, type (0 = hostname), the NUL-ended name.
    let mut at = 2256 + 104 * be16(14) as usize;
    let mut hostname = None;
    for _ in 0..be16(2214) {
        let len = u32::from_be_bytes(p[at..at + 4].try_into().unwrap()) as usize;
        if be16(at + 4) == 0 {
            hostname = Some(cstr(&p[at + 8..at + len]));
        }
        at += len;
    }
    assert_eq!(hostname.is_some(), p[2253] & 4 != 0, "the extension flag goes with the extension");
    (cstr(&p[2168..2214]), be16(10), be16(2248), hostname)
}

/// A PONG sent right after CONFIG SET of the announced hostname, ip, port or bus port carries the new values, as
/// Redis's does (it builds each header and the hostname extension from the configuration and `myself`): each
/// node learns a changed hostname from the very next packet it gets (cluster suite 28-cluster-shards read the
/// replicas' names right after the masters' had spread).
#[test]
fn a_pong_after_config_set_carries_the_new_announcement() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Redis, Kind::Ferredis] {
        let n = node(kind);
        let mut c = n.srv.conn();
        let mut out = vec![pong_announcement(&n)];
        for (k, v) in [
            ("cluster-announce-hostname", "host-a.example"),
            ("cluster-announce-hostname", "host-b.example"),
            ("cluster-announce-ip", "10.1.2.3"),
            ("cluster-announce-port", "1234"),
            ("cluster-announce-bus-port", "4321"),
            ("cluster-announce-hostname", ""),
        ] {
            assert_eq!(c.cmd(&["CONFIG", "SET", k, v]), b"+OK\r\n", "{k} {v}");
            out.push(pong_announcement(&n));
        }
        let (port, cport) = (n.srv.port, n.cport);
        let host = |h: &str| Some(h.to_string());
        let ip = "10.1.2.3".to_string();
        assert_eq!(
            out[1..],
            [
                (String::new(), port, cport, host("host-a.example")),
                (String::new(), port, cport, host("host-b.example")),
                (ip.clone(), port, cport, host("host-b.example")),
                (ip.clone(), 1234, cport, host("host-b.example")),
                (ip.clone(), 1234, 4321, host("host-b.example")),
                (ip, 1234, 4321, None),
            ],
            "{}",
            kind.label()
        );
    }
}
