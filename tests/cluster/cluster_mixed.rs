//! A mixed Redis Cluster of ferredis and Debian's redis-server 7.0 nodes: masters ferredis, redis, ferredis, each
//! with a replica of the other kind (joined with `redis-cli --cluster add-node --cluster-slave`); slots resharded
//! from a ferredis master to a Redis one and back under MIGRATE between the two kinds; a Redis master killed and
//! replaced by its ferredis replica, then a ferredis master killed and replaced by its Redis replica, each old
//! master rejoining as a replica. Every write is read back after each step.
//! `FERREDIS_CLUSTER_ORACLE=redis` makes all six nodes redis-server.

use crate::common;
use crate::common::cluster;

use cluster::*;
use common::*;

fn read_all(c: &Cluster, keys: &[String], what: &str) {
    let mut cl = c.client();
    for k in keys {
        assert_eq!(cl.get(k), Some(k.clone().into_bytes()), "{k} after {what} ({})", c.describe());
    }
}

#[test]
fn mixed_cluster_migrates_both_ways_and_fails_over_across_kinds() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (f, r) = (tested(), Kind::Redis);
    // Masters #0 #1 #2; #3 replicates #0, #4 #1, #5 #2.
    let mut c = Cluster::start(&[f, r, f, r, f, r], &[]);
    c.create_masters(&[0, 1, 2]);
    for (rep, m) in [(3, 0), (4, 1), (5, 2)] {
        c.add_replica(rep, m);
    }
    c.wait_ok();
    c.check(0);
    c.check(1);
    let keys: Vec<String> = (0..3000).map(|i| format!("mk:{i}")).collect();
    let mut cl = c.client();
    for k in &keys {
        cl.set(k, k);
    }

    // Slots with keys move from ferredis to Redis, then from Redis to ferredis.
    let (s0, s1) = (c.slot_count(0, 0), c.slot_count(0, 1));
    c.reshard(0, 1, 1000);
    c.wait_ok();
    assert_eq!((c.slot_count(1, 0), c.slot_count(1, 1)), (s0 - 1000, s1 + 1000));
    read_all(&c, &keys, "ferredis -> redis reshard");
    c.reshard(1, 0, 2000);
    c.wait_ok();
    assert_eq!((c.slot_count(0, 0), c.slot_count(0, 1)), (s0 + 1000, s1 - 1000));
    c.check(2);
    read_all(&c, &keys, "redis -> ferredis reshard");

    // A Redis master fails over to its ferredis replica, then a ferredis master to its Redis replica.
    for (m, rep) in [(1, 4), (0, 3)] {
        c.wait_synced(m, rep);
        c.nodes[m].kill();
        let took = c.wait_promoted(rep);
        eprintln!(
            "{} replica promoted {took:?} after its {} master's SIGKILL",
            c.nodes[rep].kind.label(),
            c.nodes[m].kind.label()
        );
        c.wait_ok();
        read_all(&c, &keys, "failover");
        c.nodes[m].start();
        c.wait_replica_of(m, rep);
        c.wait_ok();
        c.check(m);
    }
    let mut cl = c.client();
    for k in &keys[..500] {
        cl.set(k, k);
    }
    read_all(&c, &keys, "the old masters rejoined");
}
