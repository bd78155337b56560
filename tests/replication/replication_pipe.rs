//! The master's side of a full sync's RDB child, against Redis 7.0: a diskless child's payload read from its pipe
//! to the end ("done reading from pipe, N replicas still up"), the child killed when its last replica drops, the
//! child leaving when its parent dies, a disk BGSAVE no replica needs any more killed (unless save points exist),
//! a failed full sync keeping the cached master for the next PSYNC, and the watchdog firing during a long
//! diskless load. Each case runs on both servers; waits poll with deadlines, nothing asserts on timing.

use crate::common;

use common::persist::{info_section, wait_until};
use common::{Conn, Kind, Server};
use std::io::{Read, Write};
use std::time::Duration;

// (The lock is `common::serial`, shared by the replication modules of this binary.)
use common::serial;

fn field(c: &mut Conn, section: &str, name: &str) -> String {
    info_section(c, section).into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
}

const KINDS: [Kind; 2] = [Kind::Redis, Kind::Ferredis];

/// A replica by hand: `REPLCONF capa eof` (when `eof`), then `PSYNC ? -1`; returns the socket after the
/// `+FULLRESYNC` line.
fn raw_psync(port: u16, eof: bool) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    if eof {
        s.write_all(b"*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n").unwrap();
        let mut ok = [0u8; 5];
        s.read_exact(&mut ok).unwrap();
        assert_eq!(&ok, b"+OK\r\n");
    }
    s.write_all(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n").unwrap();
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        s.read_exact(&mut b).unwrap();
        line.push(b[0]);
    }
    assert!(line.starts_with(b"+FULLRESYNC"), "{}", String::from_utf8_lossy(&line));
    s
}

fn bgsave_in_progress(c: &mut Conn) -> bool {
    field(c, "persistence", "rdb_bgsave_in_progress") == "1"
}

fn wait_log(server: &Server, text: &str) {
    wait_until(text, 30_000, || server.full_log().contains(text));
}

#[test]
fn diskless_payload_read_to_the_end_is_logged() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _serial = serial();
    for kind in KINDS {
        let master = Server::start(kind, &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]);
        let mut m = master.conn();
        m.cmd(&["DEBUG", "POPULATE", "2000", "k", "100"]);
        let mut s = raw_psync(master.port, true);
        // `$EOF:<40 bytes>\r\n`, the payload, the same 40 bytes.
        let mut head = [0u8; 47];
        s.read_exact(&mut head).unwrap();
        assert!(head.starts_with(b"$EOF:"), "{kind:?}");
        let mark = head[5..45].to_vec();
        let mut got = Vec::new();
        let mut chunk = [0u8; 65536];
        while !got.ends_with(&mark) {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0, "{kind:?}: payload cut");
            got.extend_from_slice(&chunk[..n]);
        }
        wait_log(&master, "Diskless rdb transfer, done reading from pipe, 1 replicas still up.");
        wait_until("the child ends", 30_000, || !bgsave_in_progress(&mut m));
        wait_log(&master, "Streamed RDB transfer with replica");
    }
}

#[test]
fn last_replica_dropped_kills_the_diskless_child() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _serial = serial();
    for kind in KINDS {
        let master = Server::start(kind, &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]);
        let mut m = master.conn();
        m.cmd(&["DEBUG", "POPULATE", "10000", "k", "10"]);
        // 10 s of saving: the replica is gone long before the child is done.
        m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
        let s = raw_psync(master.port, true);
        wait_until("the child starts", 30_000, || bgsave_in_progress(&mut m));
        drop(s);
        wait_log(&master, "Diskless rdb transfer, last replica dropped, killing fork child.");
        wait_until("the child ends", 30_000, || !bgsave_in_progress(&mut m));
        assert!(!master.full_log().contains("done reading from pipe"), "{kind:?}");
    }
}

/// Children of `pid` (from /proc), ignoring zombies.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // `pid (comm) state ppid ...`: the fields after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() > 1 && f[0] != "Z" && f[1] == pid.to_string() {
            out.push(p);
        }
    }
    out
}

fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(')').map(|i| s[i + 1..].split_whitespace().next() != Some("Z")))
        .unwrap_or(false)
}

#[test]
fn diskless_child_exits_when_its_parent_dies() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _serial = serial();
    for kind in KINDS {
        let mut master = Server::start(kind, &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]);
        let mut m = master.conn();
        m.cmd(&["DEBUG", "POPULATE", "10000"]);
        m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
        let s = raw_psync(master.port, true);
        wait_until("the child starts", 30_000, || bgsave_in_progress(&mut m));
        let kids = children_of(master.pid());
        assert_eq!(kids.len(), 1, "{kind:?}");
        master.kill9();
        wait_until("the orphaned child exits", 30_000, || !running(kids[0]));
        drop(s);
    }
}

#[test]
fn disk_bgsave_killed_when_no_replica_needs_it() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _serial = serial();
    for kind in KINDS {
        let master = Server::start(kind, &["--repl-diskless-sync", "no", "--save", ""]);
        let mut m = master.conn();
        for i in 0..10 {
            m.cmd(&["SET", &i.to_string(), "v"]);
        }
        m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000000"]);
        let (a, b) = (raw_psync(master.port, false), raw_psync(master.port, false));
        wait_until("the child starts", 30_000, || bgsave_in_progress(&mut m));
        drop(a);
        wait_until("one replica gone", 30_000, || field(&mut m, "replication", "connected_slaves") == "1");
        assert!(bgsave_in_progress(&mut m), "{kind:?}: another replica still waits for it");
        drop(b);
        wait_until("the useless child is killed", 30_000, || !bgsave_in_progress(&mut m));
        // With a save point the snapshot is worth finishing.
        m.cmd(&["CONFIG", "SET", "save", "900 1"]);
        let c = raw_psync(master.port, false);
        wait_until("the child starts", 30_000, || bgsave_in_progress(&mut m));
        drop(c);
        wait_until("the replica gone", 30_000, || field(&mut m, "replication", "connected_slaves") == "0");
        assert!(bgsave_in_progress(&mut m), "{kind:?}: a save point keeps the child");
        let _ = m.try_cmd(&["SHUTDOWN", "NOSAVE"]);
    }
}

#[test]
fn failed_full_sync_keeps_the_cached_master() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _serial = serial();
    for kind in KINDS {
        let master1 = Server::start(Kind::Redis, &["--repl-diskless-sync-delay", "0"]);
        let mut m1 = master1.conn();
        m1.cmd(&["SET", "a", "b"]);
        let master2 = Server::start(Kind::Redis, &["--repl-diskless-sync", "no"]);
        let mut m2 = master2.conn();
        m2.cmd(&["DEBUG", "POPULATE", "10"]);
        m2.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000000"]);
        let replica = Server::start(kind, &[]);
        let mut r = replica.conn();
        let p1 = master1.port.to_string();
        r.cmd(&["REPLICAOF", "127.0.0.1", &p1]);
        wait_until("first sync", 30_000, || field(&mut r, "replication", "master_link_status") == "up");
        let full = field(&mut m1, "stats", "sync_full");
        let partial: i64 = field(&mut m1, "stats", "sync_partial_ok").parse().unwrap();
        r.cmd(&["REPLICAOF", "127.0.0.1", &master2.port.to_string()]);
        wait_until("master2's child", 30_000, || bgsave_in_progress(&mut m2));
        let _ = m2.try_cmd(&["SHUTDOWN", "NOSAVE"]);
        r.cmd(&["REPLICAOF", "127.0.0.1", &p1]);
        wait_until("back with master1", 30_000, || field(&mut r, "replication", "master_link_status") == "up");
        assert_eq!(field(&mut m1, "stats", "sync_full"), full, "{kind:?}");
        assert_eq!(field(&mut m1, "stats", "sync_partial_ok"), (partial + 1).to_string(), "{kind:?}");
        assert_eq!(r.cmd(&["GET", "a"]), b"$1\r\nb\r\n");
    }
}

#[test]
fn watchdog_fires_during_a_long_diskless_load() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _serial = serial();
    for kind in KINDS {
        let master = Server::start(
            Kind::Redis,
            &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--save", ""],
        );
        let mut m = master.conn();
        m.cmd(&["DEBUG", "POPULATE", "100", "master", "100000"]);
        m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "10000"]);
        let replica = Server::start(kind, &["--repl-diskless-load", "on-empty-db", "--watchdog-period", "200"]);
        let mut r = replica.conn();
        r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
        wait_log(&replica, "Loading DB in memory");
        wait_until("the watchdog", 30_000, || {
            let log = replica.full_log();
            log.find("Loading DB in memory").is_some_and(|i| log[i..].contains("WATCHDOG TIMER EXPIRED"))
        });
        assert!(!replica.full_log().contains("Reconnecting to MASTER"), "{kind:?}");
    }
}
