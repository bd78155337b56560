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
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn pydeps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pydeps")
}

fn python(args: &[&str]) -> Command {
    let mut c = Command::new("python3");
    let mut path = pydeps().into_os_string();
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        path.push(":");
        path.push(old);
    }
    c.args(args).env("PYTHONPATH", path);
    c
}

fn imports_redis() -> bool {
    python(&["-c", "import redis.cluster"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Whether redis-py can be imported, installing it from PyPI into target/pydeps when it cannot; `Err` says why not.
fn redis_py() -> Result<(), String> {
    if imports_redis() {
        return Ok(());
    }
    let target = pydeps();
    let out = python(&["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "0"])
        .args(["--timeout", "20", "--target"])
        .arg(&target)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .arg("redis")
        .output()
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if imports_redis() {
        Ok(())
    } else {
        Err(format!(
            "redis-py not importable and `python3 -m pip install --target {} redis` failed: {}",
            target.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

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
    run_script(tested());
}

/// The same script against redis-server nodes: the script's expectations hold on Redis itself.
#[test]
fn redispy_cluster_client_redis_oracle() {
    run_script(Kind::Redis);
}
