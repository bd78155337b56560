//! Redis Cluster scenarios on 6 nodes (3 masters with a replica each, cluster-node-timeout 2000), built and checked
//! with Debian's `redis-cli --cluster`: create + check, reshard and rebalance under a live write load (every
//! acknowledged write read back), a master killed (its replica promoted, clients following the redirections, the
//! old master back as a replica), and writes acknowledged by WAIT surviving the failover.
//! `FERREDIS_CLUSTER_ORACLE=redis` runs the same tests with redis-server nodes (the harness's own check).

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use cluster::*;
use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn six() -> Cluster {
    let c = Cluster::start(&[tested(); 6], &[]);
    c.create(1);
    c
}

#[test]
fn create_six_nodes_and_check() {
    let c = six();
    c.check(0);
    let shards = c.shards(0);
    assert_eq!(shards.len(), 3, "3 masters: {:?}", c.view(0));
    assert!(shards.iter().all(|(_, r)| r.len() == 1), "one replica each: {shards:?}");
    for n in &c.nodes {
        let info = n.text(&["CLUSTER", "INFO"]);
        for (f, v) in [
            ("cluster_state", "ok"),
            ("cluster_slots_assigned", "16384"),
            ("cluster_known_nodes", "6"),
            ("cluster_size", "3"),
        ] {
            assert_eq!(field(&info, f).as_deref(), Some(v), "{} CLUSTER INFO:\n{info}", n.addr());
        }
        assert!(n.nodes().iter().all(|l| l.connected), "{}: every link connected", n.addr());
    }
    // A key sent to a master that does not own its slot is redirected to the one that does.
    let key = "somekey";
    let slot = key_slot(key.as_bytes());
    let owner = c.view(0).into_iter().find(|l| l.slots.iter().any(|&(a, b)| a <= slot && slot <= b)).expect("owner");
    let other = shards.iter().map(|&(m, _)| m).find(|&m| c.nodes[m].addr() != owner.addr).expect("another master");
    let r = c.nodes[other].cmd(&["SET", key, "v"]);
    assert_eq!(escape(&r), escape(format!("-MOVED {slot} {}\r\n", owner.addr).as_bytes()));
    let mut cl = c.client();
    for i in 0..300 {
        cl.set(&format!("key:{i}"), &format!("val:{i}"));
    }
    for i in 0..300 {
        assert_eq!(cl.get(&format!("key:{i}")), Some(format!("val:{i}").into_bytes()));
    }
    let total: i64 = shards
        .iter()
        .map(|&(m, _)| Resp::parse(&c.nodes[m].cmd(&["DBSIZE"])).ok().and_then(|r| r.as_int()).unwrap_or(-1))
        .sum();
    assert_eq!(total, 300, "each key on one master (the redirected SET stored nothing)");
}

#[test]
fn reshard_and_rebalance_under_write_load() {
    let c = six();
    let shards = c.shards(0);
    let (a, b) = (shards[0].0, shards[1].0);
    let (a0, b0) = (c.slot_count(a, a), c.slot_count(a, b));
    let stop = Arc::new(AtomicBool::new(false));
    let seeds: Vec<String> = c.nodes.iter().map(|n| n.addr()).collect();
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut cl = Client::new(seeds);
            let mut acked = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let (k, v) = (format!("k_{i}"), format!("v_{i}"));
                match cl.cmd(&["SET", &k, &v]) {
                    Ok(r) if r == b"+OK\r\n" => acked.push(i),
                    Ok(r) => panic!("SET {k}: {}", escape(&r)),
                    Err(e) => panic!("{e}"),
                }
                i += 1;
            }
            (acked, cl.moved, cl.asked)
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    c.reshard(a, b, 1500);
    c.wait_ok();
    assert_eq!((c.slot_count(a, a), c.slot_count(a, b)), (a0 - 1500, b0 + 1500), "after reshard");
    let addr = c.nodes[a].addr();
    let (ok, out) = cli(&["--cluster", "rebalance", &addr]);
    assert!(ok && out.contains("Moving") && !out.contains("[ERR]"), "rebalance:\n{out}\n{}", c.logs());
    c.wait_ok();
    let (a1, b1) = (c.slot_count(a, a), c.slot_count(a, b));
    assert!(a1 > a0 - 1500 && b1 < b0 + 1500, "rebalance moved slots back: {a1} {b1}");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let (acked, moved, asked) = writer.join().expect("writer");
    eprintln!("{} acknowledged writes during reshard+rebalance ({moved} MOVED, {asked} ASK followed)", acked.len());
    assert!(!acked.is_empty());
    c.wait_ok();
    c.check(0);
    let mut cl = c.client();
    for i in &acked {
        assert_eq!(cl.get(&format!("k_{i}")), Some(format!("v_{i}").into_bytes()), "acknowledged write k_{i}");
    }
}

#[test]
fn killed_master_replaced_by_its_replica_which_keeps_serving() {
    let mut c = six();
    let (m, reps) = c.shards(0)[0].clone();
    let r = reps[0];
    let keys = c.keys_on(0, m, "fo", 200);
    let mut cl = c.client();
    for k in &keys {
        cl.set(k, k);
    }
    c.wait_synced(m, r);
    c.nodes[m].kill();
    let took = c.wait_promoted(r);
    eprintln!("replica promoted {took:?} after the master's SIGKILL (node-timeout {NODE_TIMEOUT_MS} ms)");
    c.wait_ok();
    for k in &keys {
        assert_eq!(cl.get(k), Some(k.clone().into_bytes()), "{k} after failover");
    }
    for k in &keys[..50] {
        cl.set(k, "after");
    }
    assert!(cl.moved + cl.retried > 0, "the client had to follow the failover");
    let r_addr = c.nodes[r].addr();
    let slot = key_slot(keys[0].as_bytes());
    let stale = c.nodes.iter().enumerate().find(|&(i, n)| i != m && i != r && n.myself().has("master")).map(|(i, _)| i);
    if let Some(o) = stale {
        let reply = c.nodes[o].cmd(&["GET", &keys[0]]);
        assert_eq!(escape(&reply), escape(format!("-MOVED {slot} {r_addr}\r\n").as_bytes()));
    }
    // The old master comes back with its nodes.conf and becomes a replica of its promoted replica.
    c.nodes[m].start();
    c.wait_replica_of(m, r);
    c.wait_ok();
    c.check(r);
    let mut conn = c.nodes[m].conn();
    assert_eq!(conn.cmd(&["READONLY"]), b"+OK\r\n");
    c.wait("the rejoined node to have the writes made after the failover", || {
        conn.cmd(&["GET", &keys[0]]) == b"$5\r\nafter\r\n"
    });
    assert_eq!(
        escape(&c.nodes[m].cmd(&["SET", &keys[0], "x"])),
        escape(format!("-MOVED {slot} {r_addr}\r\n").as_bytes())
    );
}

#[test]
fn wait_acknowledged_writes_survive_failover() {
    let mut c = six();
    let (m, reps) = c.shards(0)[0].clone();
    let r = reps[0];
    let keys = c.keys_on(0, m, "w", 500);
    let mut conn = c.nodes[m].conn();
    let mut acked = Vec::new();
    for k in &keys {
        assert_eq!(conn.cmd(&["SET", k, &format!("{k}-v")]), b"+OK\r\n");
        if conn.cmd(&["WAIT", "1", "5000"]) == b":1\r\n" {
            acked.push(k.clone());
        }
    }
    assert!(!acked.is_empty(), "no write acknowledged by WAIT 1");
    c.nodes[m].kill();
    c.wait_promoted(r);
    c.wait_ok();
    let mut cl = c.client();
    for k in &acked {
        assert_eq!(cl.get(k), Some(format!("{k}-v").into_bytes()), "{k} was acknowledged by WAIT");
    }
    eprintln!("{} of {} writes acknowledged by WAIT, all read back after failover", acked.len(), keys.len());
}
