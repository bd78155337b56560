//! A Redis Cluster network partition: 6 nodes, each in its own network namespace on a bridge (the test creates
//! them with iproute2; that needs root: without it the test says it was skipped). One master is cut off from every
//! other node with blackhole routes (the test process still reaches it over the bridge): after node-timeout it
//! refuses writes and reads with -CLUSTERDOWN, the majority promotes its replica and keeps serving; once healed the
//! old master rejoins as a replica of the promoted one and has the majority's writes.
//! `FERREDIS_CLUSTER_ORACLE=redis` runs it with redis-server nodes.

use crate::common;
use crate::common::cluster;

use cluster::*;
use common::*;

#[test]
fn minority_master_refuses_service_and_rejoins_after_heal() {
    let c = match Cluster::start_netns(&[tested(); 6], &[]) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cluster_partition: skipped, network namespaces unavailable: {e}");
            return;
        }
    };
    c.create(1);
    let (m, reps) = c.shards(0)[0].clone();
    let r = reps[0];
    let keys = c.keys_on(0, m, "p", 100);
    let mut cl = c.client();
    for k in &keys {
        cl.set(k, "before");
    }
    c.wait_synced(m, r);

    c.partition(&[m], false);
    let mut conn = c.nodes[m].conn();
    c.wait("the cut-off master to refuse writes", || {
        conn.cmd(&["SET", &keys[0], "minority"]).starts_with(b"-CLUSTERDOWN")
    });
    assert_eq!(escape(&conn.cmd(&["SET", &keys[0], "minority"])), "-CLUSTERDOWN The cluster is down\\r\\n");
    assert_eq!(escape(&conn.cmd(&["GET", &keys[0]])), "-CLUSTERDOWN The cluster is down\\r\\n");
    assert_eq!(c.nodes[m].state().as_deref(), Some("fail"));

    let majority: Vec<usize> = (0..6).filter(|&i| i != m).collect();
    let took = c.wait_promoted(r);
    eprintln!("replica promoted {took:?} after the cut-off master refused writes (node-timeout {NODE_TIMEOUT_MS} ms)");
    c.wait("the majority to agree and serve", || majority.iter().all(|&i| c.nodes[i].state().as_deref() == Some("ok")));
    let mut mc = Client::new(majority.iter().map(|&i| c.nodes[i].addr()).collect());
    for k in &keys {
        assert_eq!(mc.get(k), Some(b"before".to_vec()), "{k} on the majority side");
        mc.set(k, "majority");
    }

    c.partition(&[m], true);
    c.wait_replica_of(m, r);
    c.wait_ok();
    c.check(0);
    assert_eq!(escape(&conn.cmd(&["READONLY"])), "+OK\\r\\n");
    c.wait("the healed node to have the majority's writes", || {
        keys.iter().all(|k| conn.cmd(&["GET", k]) == b"$8\r\nmajority\r\n")
    });
    let mut cl = c.client();
    for k in &keys {
        assert_eq!(cl.get(k), Some(b"majority".to_vec()));
    }
}
