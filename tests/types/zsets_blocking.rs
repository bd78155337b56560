//! Blocking sorted-set pops (BZPOPMIN, BZPOPMAX, BZMPOP) against the real binary, with several connections: FIFO
//! service, service by ZADD and by a *STORE into the waited key, several clients served by one write, a key of the
//! wrong type arriving while clients wait, timeouts in RESP2 and RESP3, and MULTI-free immediate replies.
//!
//! Nothing here asserts on timing: tests wait for `blocked_clients:N` in INFO by polling, with a generous bound that
//! only trips when the server is broken. `FERREDIS_BIN=/usr/bin/redis-server` runs the same tests against Redis 7.0.

use crate::common;

use common::{blocked_clients, wait_blocked, Server};

fn resp(items: &[&str]) -> Vec<u8> {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{i}\r\n", i.len()));
    }
    s.into_bytes()
}

#[test]
fn bzpop_clients_are_served_in_fifo_order() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    let mut b = s.conn();
    a.send(&["BZPOPMIN", "z", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    b.send(&["BZPOPMAX", "other", "z", "0"]).unwrap();
    wait_blocked(&mut admin, 2);
    assert_eq!(admin.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]), b":3\r\n");
    assert_eq!(a.read_reply().unwrap(), resp(&["z", "a", "1"]));
    assert_eq!(b.read_reply().unwrap(), resp(&["z", "c", "3"]));
    assert_eq!(admin.cmd(&["ZRANGE", "z", "0", "-1"]), resp(&["b"]));
    assert_eq!(blocked_clients(&mut admin), 0);
}

#[test]
fn bzmpop_is_served_with_count_and_the_key_is_deleted() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    a.send(&["BZMPOP", "0", "2", "x", "z", "MAX", "COUNT", "5"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["ZADD", "z", "1", "a", "2", "b"]), b":2\r\n");
    assert_eq!(
        a.read_reply().unwrap(),
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n".to_vec()
    );
    assert_eq!(admin.cmd(&["EXISTS", "z"]), b":0\r\n");
}

#[test]
fn a_store_into_the_waited_key_serves_the_client() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    a.send(&["BZPOPMIN", "dst", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["ZADD", "src", "5", "m", "6", "n"]), b":2\r\n");
    assert_eq!(admin.cmd(&["ZUNIONSTORE", "dst", "1", "src", "WEIGHTS", "2"]), b":2\r\n");
    assert_eq!(a.read_reply().unwrap(), resp(&["dst", "m", "10"]));
    assert_eq!(admin.cmd(&["ZCARD", "dst"]), b":1\r\n");
}

#[test]
fn a_key_of_another_type_keeps_clients_waiting() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    a.send(&["BZPOPMIN", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["SADD", "k", "x"]), b":1\r\n");
    assert_eq!(admin.cmd(&["DEL", "k"]), b":1\r\n");
    assert_eq!(blocked_clients(&mut admin), 1);
    assert_eq!(admin.cmd(&["ZADD", "k", "7", "m"]), b":1\r\n");
    assert_eq!(a.read_reply().unwrap(), resp(&["k", "m", "7"]));
}

#[test]
fn timeouts_reply_null_in_both_protocols() {
    let s = Server::ferredis();
    let mut a = s.conn();
    assert_eq!(a.cmd(&["BZPOPMIN", "nokey", "0.05"]), b"*-1\r\n");
    assert_eq!(a.cmd(&["BZMPOP", "0.05", "1", "nokey", "MIN"]), b"*-1\r\n");
    a.cmd(&["HELLO", "3"]);
    assert_eq!(a.cmd(&["BZPOPMAX", "nokey", "0.05"]), b"_\r\n");
    assert_eq!(a.cmd(&["ZADD", "z", "1.5", "m"]), b":1\r\n");
    assert_eq!(a.cmd(&["BZPOPMAX", "z", "0"]), b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n,1.5\r\n".to_vec());
    assert_eq!(a.cmd(&["BZPOPMIN", "z", "-1"]), b"-ERR timeout is negative\r\n");
}
