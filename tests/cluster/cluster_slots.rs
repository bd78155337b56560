//! The cluster slot index (src/keyspace/slots/mod.rs) end to end, differentially against Debian's redis-server 7.0 in
//! cluster mode (one node owning every slot): after each step of a script of key-creating and key-deleting
//! commands (SET, MSET, RENAME, COPY, RESTORE, GETDEL, lazy expiry, emptied collections, DEBUG POPULATE,
//! DEBUG RELOAD, FLUSHALL), CLUSTER COUNTKEYSINSLOT of every slot the script touches must be the same on both
//! servers and CLUSTER GETKEYSINSLOT must list the same keys (as a set: the order is the index's own).

use crate::common;

use common::*;
use std::collections::BTreeSet;

fn cluster_node(kind: Kind) -> Server {
    let cport = free_port().to_string();
    let s =
        Server::start(kind, &["--cluster-enabled", "yes", "--cluster-port", &cport, "--enable-debug-command", "yes"]);
    let mut c = s.conn();
    assert_eq!(c.cmd_str("CLUSTER ADDSLOTSRANGE 0 16383"), b"+OK\r\n");
    // The node serves its slots once the state is ok (the first cron after ADDSLOTS).
    for _ in 0..200 {
        if String::from_utf8_lossy(&c.cmd_str("CLUSTER INFO")).contains("cluster_state:ok") {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("{kind:?} node never reached cluster_state:ok");
}

fn int(c: &mut Conn, args: &[&str]) -> i64 {
    Resp::parse(&c.cmd(args)).ok().and_then(|r| r.as_int()).unwrap_or_else(|| panic!("{args:?}: not an integer"))
}

fn keys_of(c: &mut Conn, slot: i64, max: usize) -> BTreeSet<Vec<u8>> {
    let r = Resp::parse(&c.cmd(&["CLUSTER", "GETKEYSINSLOT", &slot.to_string(), &max.to_string()])).unwrap();
    r.items().unwrap().iter().map(|k| k.as_bytes().unwrap().to_vec()).collect()
}

/// Compares both servers' view of every slot in `slots`.
fn same_slots(step: &str, f: &mut Conn, r: &mut Conn, slots: &BTreeSet<i64>) {
    assert_eq!(int(f, &["DBSIZE"]), int(r, &["DBSIZE"]), "{step}: DBSIZE");
    for &s in slots {
        let n = int(r, &["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()]);
        assert_eq!(int(f, &["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()]), n, "{step}: count of slot {s}");
        assert_eq!(keys_of(f, s, 100_000), keys_of(r, s, 100_000), "{step}: keys of slot {s}");
        if n > 3 {
            // A limit returns that many of the slot's keys.
            let some = keys_of(f, s, 3);
            assert_eq!(some.len(), 3, "{step}: slot {s} limited to 3");
            assert!(some.is_subset(&keys_of(r, s, 100_000)), "{step}: slot {s}");
        }
    }
}

#[test]
fn slot_counts_and_listings_follow_every_door_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (fer, red) = (cluster_node(Kind::Ferredis), cluster_node(Kind::Redis));
    let (mut f, mut r) = (fer.conn(), red.conn());
    // The short TTLs below must not be reaped by one server's active expiry between a step and its comparison
    // (a race, not a difference): keys with a passed TTL go by lazy expiry on access only.
    for c in [&mut f, &mut r] {
        assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
    }
    let mut slots = BTreeSet::new();
    let both = |line: &str, f: &mut Conn, r: &mut Conn, slots: &mut BTreeSet<i64>| {
        let (a, b) = (f.cmd_str(line), r.cmd_str(line));
        assert_eq!(escape(&a), escape(&b), "{line}");
        for word in line.split(' ').skip(1) {
            slots.insert(int(r, &["CLUSTER", "KEYSLOT", word]));
        }
    };
    let script: &[&str] = &[
        "SET a 1",
        "SET {u1}:name x",
        "MSET {u1}:a 1 {u1}:b 2 {u1}:c 3 {u1}:d 4 {u1}:e 5",
        "RENAME {u1}:a {u1}:z",
        "COPY {u1}:b {u1}:y",
        "SET b 2",
        "RENAME b {u1}:w",
        "GETDEL {u1}:c",
        "DEL {u1}:d",
        "UNLINK {u1}:e",
        "SADD s m",
        "SPOP s",
        "RPUSH {u2}:l x y",
        "LPOP {u2}:l 2",
        "HSET {u2}:h f v",
        "HDEL {u2}:h f",
        "PEXPIRE a 1500",
        "SET {u3}:t v PX 1500",
        "EXPIRE {u1}:y -1",
    ];
    for line in script {
        both(line, &mut f, &mut r, &mut slots);
        same_slots(line, &mut f, &mut r, &slots);
    }
    // Lazy expiry on access deletes the keys whose TTL passed (no timing assertion: both servers wait the same).
    // The TTLs are long enough that neither server's active expiry takes a key before the comparisons above,
    // however slowly a loaded machine runs them.
    std::thread::sleep(std::time::Duration::from_millis(1600));
    both("GET a", &mut f, &mut r, &mut slots);
    both("GET {u3}:t", &mut f, &mut r, &mut slots);
    same_slots("lazy expiry", &mut f, &mut r, &slots);
    // DUMP / RESTORE into another key of another slot, and RESTORE REPLACE.
    let dump = Resp::parse(&f.cmd(&["DUMP", "{u1}:z"])).unwrap().as_bytes().unwrap().to_vec();
    for c in [&mut f, &mut r] {
        c.cmd(&[b"RESTORE".as_slice(), b"restored", b"0", &dump]);
        c.cmd(&[b"RESTORE".as_slice(), b"{u1}:z", b"0", &dump, b"REPLACE"]);
    }
    slots.insert(int(&mut r, &["CLUSTER", "KEYSLOT", "restored"]));
    same_slots("RESTORE", &mut f, &mut r, &slots);
    // Bulk creation, a reload from the RDB file, then everything dropped.
    both("DEBUG POPULATE 3000 {u4}", &mut f, &mut r, &mut slots);
    both("DEBUG POPULATE 3000 key", &mut f, &mut r, &mut slots);
    for i in [0, 1, 2999] {
        slots.insert(int(&mut r, &["CLUSTER", "KEYSLOT", &format!("key:{i}")]));
    }
    slots.insert(int(&mut r, &["CLUSTER", "KEYSLOT", "{u4}:0"]));
    same_slots("DEBUG POPULATE", &mut f, &mut r, &slots);
    both("DEBUG RELOAD", &mut f, &mut r, &mut slots);
    same_slots("DEBUG RELOAD", &mut f, &mut r, &slots);
    // Every slot's count adds up to the keyspace.
    let total: i64 = (0..16384).map(|s| int(&mut f, &["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()])).sum();
    assert_eq!(total, int(&mut f, &["DBSIZE"]));
    both("FLUSHALL", &mut f, &mut r, &mut slots);
    same_slots("FLUSHALL", &mut f, &mut r, &slots);
    both("FLUSHALL ASYNC", &mut f, &mut r, &mut slots);
    both("SET {u4}:0 again", &mut f, &mut r, &mut slots);
    same_slots("after FLUSHALL", &mut f, &mut r, &slots);
}

/// Sends `cmds` in batches of 1000 and checks that every reply is `expected`.
fn pipelined(c: &mut Conn, cmds: &[Vec<Vec<u8>>], expected: &[u8]) {
    for chunk in cmds.chunks(1000) {
        let mut buf = Vec::new();
        for cmd in chunk {
            buf.extend(encode_command(cmd));
        }
        c.send_raw(&buf).expect("send");
        for cmd in chunk {
            assert_eq!(escape(&c.read_reply().expect("reply")), escape(expected), "{}", display_args(cmd));
        }
    }
}

/// Every key of the database, in the server's SCAN order.
fn scan_order(c: &mut Conn) -> Vec<Vec<u8>> {
    let (mut order, mut cursor) = (Vec::new(), "0".to_string());
    loop {
        let reply = Resp::parse(&c.cmd(&["SCAN", &cursor, "COUNT", "1000"])).expect("SCAN reply");
        let items = reply.items().expect("SCAN array");
        cursor = String::from_utf8_lossy(items[0].as_bytes().expect("cursor")).into_owned();
        order.extend(items[1].items().expect("keys").iter().map(|k| k.as_bytes().expect("key").to_vec()));
        if cursor == "0" {
            return order;
        }
    }
}

#[test]
fn the_slot_index_follows_a_clustered_shrink_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    // 400k keys on both nodes, then DEL of 90% of them in ferredis's SCAN order on both: the 40k left sit in one end
    // of ferredis's hash space, so its cron shrinks the table under a new seed, a migration the slot index follows
    // move by move through the dict's move log (it used to recompute itself at once, so in cluster mode such a
    // shrink waited until at most 32k keys were left). Counts and listings of a spread of slots are compared
    // while that runs and after it.
    const N: usize = 400_000;
    let (fer, red) = (cluster_node(Kind::Ferredis), cluster_node(Kind::Redis));
    let (mut f, mut r) = (fer.conn(), red.conn());
    for c in [&mut f, &mut r] {
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", &N.to_string()]), b"+OK\r\n");
    }
    let order = scan_order(&mut f);
    assert_eq!(order.len(), N);
    let dels: Vec<Vec<Vec<u8>>> = order[..N - N / 10].iter().map(|k| vec![b"DEL".to_vec(), k.clone()]).collect();
    for c in [&mut f, &mut r] {
        pipelined(c, &dels, b":1\r\n");
    }
    let slots: BTreeSet<i64> = (0..16384).step_by(97).collect();
    let mut done = false;
    for round in 0..300 {
        let text = String::from_utf8_lossy(&f.cmd(&["DEBUG", "HTSTATS", "0"])).into_owned();
        done = !text.contains("rebuilds=0") && !text.contains("rehashing target");
        same_slots(&format!("after the deletes, round {round}"), &mut f, &mut r, &slots);
        if done {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(done, "ferredis's table was expected to shrink under a new seed with {} keys left", N / 10);
    // Writes and deletes after the migration keep the index right.
    let more: Vec<Vec<Vec<u8>>> =
        (0..1000).map(|i| vec![b"SET".to_vec(), format!("after:{i}").into_bytes(), b"v".to_vec()]).collect();
    for c in [&mut f, &mut r] {
        pipelined(c, &more, b"+OK\r\n");
    }
    let every: BTreeSet<i64> = (0..16384).step_by(7).collect();
    same_slots("after the shrink", &mut f, &mut r, &every);
}
