//! redis-py's `RedisCluster`, unchanged, against a 6-node cluster (3 masters with a replica each):
//! `tests/cluster_redispy.py` discovers the cluster from one startup node, spreads keys over every slot, runs
//! MSET/MGET with hash tags, cluster pipelines (plain and a one-slot transaction), PUBLISH across nodes and sharded
//! pub/sub, follows -ASK and -MOVED while a slot moves (SETSLOT MIGRATING/IMPORTING + MIGRATE), and keeps working
//! through a CLUSTER FAILOVER. The same script runs against redis-server nodes as the oracle.
//! redis-py comes from PyPI into `target/pydeps` (`make deps`, or here on first use); without python3 or a redis
//! package that imports, the tests print "skipped: ..." and return.

use crate::common;
use crate::common::cluster;

use cluster::*;
use common::redispy::{python, redis_py};
use common::*;
use std::path::Path;

fn run_script(kind: Kind) {
    if let Err(why) = redis_py() {
        println!("skipped: {why}");
        return;
    }
    let c = Cluster::start(&[kind; 6], &[]);
    c.create(1);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cluster_redispy.py");
    let addrs: Vec<String> = c.nodes.iter().map(Node::addr).collect();
    let out = python(&[script.to_str().expect("UTF-8 path")]).args(&addrs).output().expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "redis-py script failed against {} ({}):\n{stdout}\n{stderr}\n{}",
        kind.label(),
        c.describe(),
        c.logs()
    );
    for step in [
        "ok: discovery",
        "ok: set/get",
        "ok: mset/mget with hash tags",
        "ok: pipeline",
        "ok: every type",
        "ok: pubsub and sharded pubsub",
        "client followed ASK and MOVED",
        "client kept working",
        "ok: all",
    ] {
        assert!(stdout.contains(step), "no {step:?} in the script's output:\n{stdout}\n{stderr}");
    }
    print!("{stdout}");
}

#[test]
fn redispy_cluster_client() {
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    run_script(tested());
}

/// The same script against redis-server nodes: the script's expectations hold on Redis itself.
#[test]
fn redispy_cluster_client_redis_oracle() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_script(Kind::Redis);
}
