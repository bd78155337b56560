//! Blocking list commands against the real binary, with several connections: FIFO service, timeouts (RESP2 and
//! RESP3), service through RENAME/MOVE/SWAPDB and chained BLMOVE, keys deleted or changing type while clients
//! wait, disconnects, CLIENT UNBLOCK, pipelined input behind a blocked command, INFO and CLIENT LIST.
//!
//! Nothing here asserts on timing: tests wait for a condition (e.g. `blocked_clients:N` in INFO) by polling, with
//! a generous bound that only trips when the server is broken. `FERREDIS_BIN=/usr/bin/redis-server` runs the same
//! tests against Redis 7.0 to validate them.

use crate::common;

use common::{blocked_clients, wait_blocked, Server};

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

fn pair(k: &str, v: &str) -> Vec<u8> {
    format!("*2\r\n{}{}", bulk(k), bulk(v)).into_bytes()
}

#[test]
fn clients_are_served_in_fifo_order() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    let mut b = s.conn();
    a.send(&["BLPOP", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    b.send(&["BLPOP", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 2);
    let list = String::from_utf8_lossy(&admin.cmd(&["CLIENT", "LIST"])).into_owned();
    assert_eq!(list.lines().filter(|l| l.contains("flags=b ")).count(), 2, "{list}");
    assert_eq!(admin.cmd(&["RPUSH", "k", "x", "y", "z"]), b":3\r\n");
    assert_eq!(a.read_reply().unwrap(), pair("k", "x"));
    assert_eq!(b.read_reply().unwrap(), pair("k", "y"));
    assert_eq!(admin.cmd(&["LRANGE", "k", "0", "-1"]), b"*1\r\n$1\r\nz\r\n");
    assert_eq!(blocked_clients(&mut admin), 0);
}

#[test]
fn a_push_of_several_elements_serves_several_clients_and_deletes_the_key() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    let mut b = s.conn();
    a.send(&["BRPOP", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    b.send(&["BLPOP", "other", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 2);
    assert_eq!(admin.cmd(&["LPUSH", "k", "1", "2"]), b":2\r\n");
    assert_eq!(a.read_reply().unwrap(), pair("k", "1"));
    assert_eq!(b.read_reply().unwrap(), pair("k", "2"));
    assert_eq!(admin.cmd(&["EXISTS", "k"]), b":0\r\n");
}

#[test]
fn timeouts_reply_null_and_accept_decimals() {
    let s = Server::ferredis();
    let mut a = s.conn();
    assert_eq!(a.cmd(&["BLPOP", "k", "0.05"]), b"*-1\r\n");
    assert_eq!(a.cmd(&["BRPOPLPUSH", "k", "d", "0.01"]), b"*-1\r\n");
    assert_eq!(a.cmd(&["BLMOVE", "k", "d", "LEFT", "RIGHT", "0.01"]), b"*-1\r\n");
    assert_eq!(a.cmd(&["BLMPOP", "0.01", "1", "k", "LEFT"]), b"*-1\r\n");
    assert_eq!(a.cmd(&["BLPOP", "k", "-1"]), b"-ERR timeout is negative\r\n");
    assert_eq!(a.cmd(&["BLPOP", "k", "abc"]), b"-ERR timeout is not a float or out of range\r\n");
    a.cmd(&["HELLO", "3"]);
    assert_eq!(a.cmd(&["BLPOP", "k", "0.01"]), b"_\r\n");
    assert_eq!(a.cmd(&["BLMOVE", "k", "d", "LEFT", "RIGHT", "0.01"]), b"_\r\n");
    // The connection is usable afterwards and nothing stays blocked.
    assert_eq!(a.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(blocked_clients(&mut a), 0);
}

#[test]
fn served_by_rename_move_and_swapdb() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    a.send(&["BLPOP", "dst", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "src", "r"]);
    assert_eq!(admin.cmd(&["RENAME", "src", "dst"]), b"+OK\r\n");
    assert_eq!(a.read_reply().unwrap(), pair("dst", "r"));

    let mut b = s.conn();
    assert_eq!(b.cmd(&["SELECT", "1"]), b"+OK\r\n");
    b.send(&["BLPOP", "m", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "m", "moved"]);
    assert_eq!(admin.cmd(&["MOVE", "m", "1"]), b":1\r\n");
    assert_eq!(b.read_reply().unwrap(), pair("m", "moved"));

    b.send(&["BLPOP", "sw", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "sw", "swapped"]);
    assert_eq!(admin.cmd(&["SWAPDB", "0", "1"]), b"+OK\r\n");
    assert_eq!(b.read_reply().unwrap(), pair("sw", "swapped"));
}

#[test]
fn wrong_type_and_deleted_keys_keep_clients_waiting() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    a.send(&["BLPOP", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    admin.cmd(&["SET", "k", "string"]);
    admin.cmd(&["DEL", "k"]);
    admin.cmd(&["HSET", "k", "f", "v"]);
    assert_eq!(blocked_clients(&mut admin), 1);
    admin.cmd(&["DEL", "k"]);
    admin.cmd(&["RPUSH", "k", "finally"]);
    assert_eq!(a.read_reply().unwrap(), pair("k", "finally"));
    // Blocking on a key that already holds another type is an error at once.
    admin.cmd(&["SET", "s", "x"]);
    assert_eq!(a.cmd(&["BLPOP", "s", "0"]), b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

#[test]
fn disconnect_while_blocked_frees_the_wait() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    {
        let mut a = s.conn();
        a.send(&["BLPOP", "k", "0"]).unwrap();
        wait_blocked(&mut admin, 1);
    }
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.cmd(&["RPUSH", "k", "kept"]), b":1\r\n");
    assert_eq!(admin.cmd(&["LLEN", "k"]), b":1\r\n");
}

#[test]
fn client_unblock_timeout_and_error() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    let id = String::from_utf8_lossy(&a.cmd(&["CLIENT", "ID"])).trim_start_matches(':').trim().to_string();
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), b":0\r\n");
    a.send(&["BLPOP", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), b":1\r\n");
    assert_eq!(a.read_reply().unwrap(), b"*-1\r\n");
    a.send(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), b":1\r\n");
    assert_eq!(a.read_reply().unwrap(), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    assert_eq!(
        admin.cmd(&["CLIENT", "UNBLOCK", &id, "FOO"]),
        b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    assert_eq!(blocked_clients(&mut admin), 0);
}

#[test]
fn pipelined_commands_wait_behind_the_blocked_one() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    let mut req = common::encode_command(&["BLPOP", "k", "0"]);
    req.extend_from_slice(&common::encode_command(&["LLEN", "k"]));
    req.extend_from_slice(&common::encode_command(&["PING"]));
    a.send_raw(&req).unwrap();
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "k", "a", "b"]);
    assert_eq!(a.read_reply().unwrap(), pair("k", "a"));
    assert_eq!(a.read_reply().unwrap(), b":1\r\n");
    assert_eq!(a.read_reply().unwrap(), b"+PONG\r\n");
}

#[test]
fn blmove_chains_wake_the_next_waiter() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut mover = s.conn();
    let mut popper = s.conn();
    popper.send(&["BRPOP", "b", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    mover.send(&["BLMOVE", "a", "b", "RIGHT", "LEFT", "0"]).unwrap();
    wait_blocked(&mut admin, 2);
    admin.cmd(&["LPUSH", "a", "v"]);
    assert_eq!(mover.read_reply().unwrap(), b"$1\r\nv\r\n");
    assert_eq!(popper.read_reply().unwrap(), pair("b", "v"));
    assert_eq!(admin.cmd(&["EXISTS", "a", "b"]), b":0\r\n");
}

#[test]
fn blmpop_serves_counts_and_the_ready_key() {
    let s = Server::ferredis();
    let mut admin = s.conn();
    let mut a = s.conn();
    a.send(&["BLMPOP", "0", "2", "k1", "k2", "RIGHT", "COUNT", "2"]).unwrap();
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "k2", "1", "2", "3"]);
    assert_eq!(a.read_reply().unwrap(), b"*2\r\n$2\r\nk2\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
    // A key written while another listed key is still empty: the client gets the written key.
    a.send(&["BLPOP", "k1", "k3", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    admin.cmd(&["RPUSH", "k3", "x"]);
    assert_eq!(a.read_reply().unwrap(), pair("k3", "x"));
}

#[test]
fn nonblocking_forms_serve_at_once() {
    let s = Server::ferredis();
    let mut a = s.conn();
    a.cmd(&["RPUSH", "k", "1", "2"]);
    assert_eq!(a.cmd(&["BLPOP", "none", "k", "0"]), pair("k", "1"));
    assert_eq!(a.cmd(&["BLMOVE", "k", "k2", "LEFT", "LEFT", "0"]), b"$1\r\n2\r\n");
    assert_eq!(a.cmd(&["BLMPOP", "0", "1", "k2", "LEFT", "COUNT", "5"]), b"*2\r\n$2\r\nk2\r\n*1\r\n$1\r\n2\r\n");
    assert_eq!(a.cmd(&["EXISTS", "k", "k2"]), b":0\r\n");
}

#[test]
fn a_master_turning_replica_unblocks_and_closes_its_blocked_clients() {
    // Redis's issue #2473: a client blocked on B while B was a master must not be served by what B's new master
    // sends; it gets `-UNBLOCKED ... (master -> replica?)` and its connection is closed. Run against redis-server
    // too with FERREDIS_BIN.
    let (a, b) = (Server::ferredis(), Server::ferredis());
    let mut rd = b.conn();
    rd.send(&["BLPOP", "foo", "0"]).unwrap();
    let mut bc = b.conn();
    wait_blocked(&mut bc, 1);
    let mut wt = b.conn();
    wt.send(&["WAIT", "1", "0"]).unwrap();
    wait_blocked(&mut bc, 2);
    assert_eq!(bc.cmd(&["REPLICAOF", "127.0.0.1", &a.port.to_string()]), b"+OK\r\n");
    let err = b"-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n";
    for c in [&mut rd, &mut wt] {
        let (got, closed) = c.read_until_close(5000);
        assert_eq!(common::escape(&got), common::escape(err));
        assert!(closed);
    }
    assert_eq!(blocked_clients(&mut bc), 0);
    let mut ac = a.conn();
    ac.cmd(&["RPUSH", "foo", "a", "b", "c"]);
    let want = b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n".to_vec();
    let mut got = Vec::new();
    for _ in 0..200 {
        got = bc.cmd(&["LRANGE", "foo", "0", "-1"]);
        if got == want {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(common::escape(&got), common::escape(&want), "the replica has all three elements");
}
