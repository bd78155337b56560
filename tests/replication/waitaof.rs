//! WAITAOF (Redis 7.2) with an AOF and with replicas: the local fsync (`appendfsync` always, everysec, no), the
//! replicas' fsynced offsets (`REPLCONF ACK <offset> FACK <aofoffset>`), blocking and its ends (timeout, CLIENT
//! UNBLOCK, the AOF turned off while waiting), MULTI and scripts, a master's offset moving by one per command
//! when it has an AOF but no backlog, and WAITAOF refused on replicas.
//!
//! The script's replies are written down as Redis 7.4.1 gave them (RESP2 and RESP3) and checked everywhere;
//! with `REDIS74_SERVER` set the same steps also run on Redis 7.4.1 (and a 7.4.1 replica of a ferredis master
//! reports its AOF offset to it). Interop with Redis 7.0 (no FACK): a ferredis replica of a Redis 7.0 master.

use crate::common;

use common::{display_args, escape, have_oracle, serial, split_args, Conn, Kind, Server};

const AOF: &[&str] = &["--appendonly", "yes", "--repl-diskless-sync-delay", "0"];

fn run_lines(srv: &Server, script: &str, resp3: bool) -> Vec<(String, Vec<u8>)> {
    let mut c = srv.conn();
    c.cmd(&["FLUSHALL"]);
    if resp3 {
        c.cmd(&["HELLO", "3"]);
    }
    script
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let args = split_args(l).unwrap_or_else(|e| panic!("bad test line {l:?}: {e}"));
            (display_args(&args), c.cmd(&args))
        })
        .collect()
}

fn field(c: &mut Conn, section: &str, name: &str) -> String {
    common::info_field(c, section, name)
}

/// The local side on one server with `appendonly yes`: Redis 7.4.1's replies (fresh server per protocol).
#[test]
fn waitaof_local_fsync() {
    let _serial = serial();
    for (resp3, want) in [(false, WAITAOF_AOF_RESP2), (true, WAITAOF_AOF_RESP3)] {
        let mut kinds = vec![Kind::Ferredis];
        if have_oracle(Kind::Redis74) {
            kinds.push(Kind::Redis74);
        }
        for kind in kinds {
            let srv = Server::start(kind, AOF);
            let got = run_lines(&srv, WAITAOF_AOF_SCRIPT, resp3);
            assert_eq!(got.len(), want.len());
            for ((line, reply), want) in got.iter().zip(want.iter()) {
                assert_eq!(escape(reply), escape(want), "{} RESP{}: {line}", kind.label(), if resp3 { 3 } else { 2 });
            }
        }
    }
}

/// A master with an AOF and no backlog (no replica ever) moves its replication offset by one per command it
/// propagates (MULTI and EXEC included, a lazily expired key's DEL too) and per GETACK a blocked WAITAOF asks
/// for, as Redis 7.2+ does so that WAITAOF has offsets to wait for; Redis 7.4.1's offsets written down.
#[test]
fn offset_moves_per_command_without_backlog() {
    let _serial = serial();
    let steps: &[(&str, &str)] = &[
        ("CONFIG SET appendfsync always", "0"),
        ("SET a 1", "1"),
        ("WAITAOF 1 0 0", "1"),
        ("SET a 2", "2"),
        ("MULTI", "2"),
        ("SET a 3", "2"),
        ("INCR a", "2"),
        ("EXEC", "6"),
        ("WAITAOF 1 0 0", "6"),
        ("WAITAOF 0 1 10", "7"),
        ("EVAL \"redis.call('set','b','1') redis.call('set','c','1')\" 0", "11"),
        ("WAITAOF 1 0 0", "11"),
        ("SET x y PX 1", "12"),
        ("GET x", "13"),
        ("WAITAOF 1 0 0", "13"),
    ];
    let mut kinds = vec![Kind::Ferredis];
    if have_oracle(Kind::Redis74) {
        kinds.push(Kind::Redis74);
    }
    for kind in kinds {
        let srv = Server::start(kind, AOF);
        let (mut c, mut info) = (srv.conn(), srv.conn());
        for (line, want) in steps {
            if line.starts_with("GET") {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let reply = c.cmd(&split_args(line).expect("line"));
            assert!(!reply.starts_with(b"-"), "{}: {line}: {}", kind.label(), escape(&reply));
            assert_eq!(field(&mut info, "replication", "master_repl_offset"), *want, "{}: after {line}", kind.label());
        }
    }
}

/// A blocked WAITAOF ends with the fsync (appendfsync turned to always), with CLIENT UNBLOCK (TIMEOUT: the
/// counts so far; ERROR: the UNBLOCKED error), and with an error when the AOF is turned off meanwhile.
#[test]
fn waitaof_blocking_ends() {
    let _serial = serial();
    let mut kinds = vec![Kind::Ferredis];
    if have_oracle(Kind::Redis74) {
        kinds.push(Kind::Redis74);
    }
    for kind in kinds {
        let who = kind.label();
        let srv = Server::start(kind, AOF);
        let (mut a, mut b) = (srv.conn(), srv.conn());
        let id = String::from_utf8_lossy(&b.cmd(&["CLIENT", "ID"])).trim_start_matches(':').trim().to_string();
        let block = |a: &mut Conn, b: &mut Conn, n: &str| {
            a.cmd(&["CONFIG", "SET", "appendfsync", "no"]);
            b.cmd(&["SET", "k", n]);
            b.send(&["WAITAOF", "1", "0", "0"]).expect("send");
            common::wait_for("WAITAOF to block", || field(a, "clients", "blocked_clients") == "1");
        };
        block(&mut a, &mut b, "1");
        a.cmd(&["CONFIG", "SET", "appendonly", "no"]);
        assert_eq!(
            b.read_reply().expect("reply"),
            b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n".to_vec(),
            "{who}"
        );
        a.cmd(&["CONFIG", "SET", "appendonly", "yes"]);
        common::wait_for("the AOF to be on", || field(&mut a, "persistence", "aof_rewrite_in_progress") == "0");
        block(&mut a, &mut b, "2");
        assert_eq!(a.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), b":1\r\n", "{who}");
        assert_eq!(b.read_reply().expect("reply"), b"*2\r\n:0\r\n:0\r\n".to_vec(), "{who}");
        block(&mut a, &mut b, "3");
        assert_eq!(a.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), b":1\r\n", "{who}");
        assert_eq!(
            b.read_reply().expect("reply"),
            b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n".to_vec(),
            "{who}"
        );
        block(&mut a, &mut b, "4");
        a.cmd(&["CONFIG", "SET", "appendfsync", "always"]);
        a.cmd(&["SET", "other", "x"]);
        assert_eq!(b.read_reply().expect("reply"), b"*2\r\n:1\r\n:0\r\n".to_vec(), "{who}");
        // A pipelined command after a blocked WAITAOF runs once it is answered.
        a.cmd(&["CONFIG", "SET", "appendfsync", "everysec"]);
        b.cmd(&["SET", "k", "5"]);
        b.send_raw(b"*4\r\n$7\r\nWAITAOF\r\n$1\r\n1\r\n$1\r\n0\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n").expect("send");
        assert_eq!(b.read_reply().expect("reply"), b"*2\r\n:1\r\n:0\r\n".to_vec(), "{who}");
        assert_eq!(b.read_reply().expect("reply"), b"+PONG\r\n".to_vec(), "{who}");
    }
}

fn replica_of(kind: Kind, master: &Server, extra: &[&str]) -> Server {
    let port = master.port.to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str(), "--repl-diskless-sync-delay", "0"];
    args.extend_from_slice(extra);
    Server::start(kind, &args)
}

fn wait_online(m: &mut Conn, n: usize) {
    common::wait_for(&format!("{n} replicas online"), || {
        String::from_utf8_lossy(&m.cmd(&["INFO", "replication"])).matches("state=online").count() == n
    });
}

/// A ferredis master counts the replicas whose AOF fsynced the caller's last write: a ferredis replica with
/// `appendonly yes` (everysec) reports it in its ACKs, one without an AOF never does; WAITAOF on a replica is
/// refused. With the oracle, a Redis 7.4.1 replica with an AOF counts too.
#[test]
fn waitaof_counts_replicas_aof() {
    let _serial = serial();
    let master = Server::start(Kind::Ferredis, AOF);
    let mut m = master.conn();
    let with_aof = replica_of(Kind::Ferredis, &master, &["--appendonly", "yes"]);
    let without = replica_of(Kind::Ferredis, &master, &[]);
    let mut replicas = vec![with_aof, without];
    let counted = if have_oracle(Kind::Redis74) {
        replicas.push(replica_of(Kind::Redis74, &master, &["--appendonly", "yes"]));
        2
    } else {
        1
    };
    wait_online(&mut m, replicas.len());
    // The replicas turn their AOF back on after the sync, through a rewrite: WAITAOF waits for it.
    m.cmd(&["SET", "k", "v"]);
    let want = format!("*2\r\n:1\r\n:{counted}\r\n");
    assert_eq!(escape(&m.cmd(&["WAITAOF", "1", &counted.to_string(), "0"])), escape(want.as_bytes()));
    // Asking for more waits for the timeout and reports the count so far (a Redis replica reports its fsync in
    // its once-a-second ACK: the timeout leaves room for it).
    m.cmd(&["SET", "k", "w"]);
    assert_eq!(escape(&m.cmd(&["WAITAOF", "0", "4", "2500"])), escape(want.as_bytes()));
    // WAIT still counts every replica that applied the write.
    assert_eq!(m.cmd(&["WAIT", &replicas.len().to_string(), "0"]), format!(":{}\r\n", replicas.len()).into_bytes());
    let mut r = replicas[0].conn();
    assert_eq!(
        r.cmd(&["WAITAOF", "0", "0", "0"]),
        b"-ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.\r\n".to_vec()
    );
    // Argument errors come first, as in Redis.
    assert_eq!(
        r.cmd(&["WAITAOF", "2", "0", "0"]),
        b"-ERR value is out of range, value must between 0 and 1\r\n".to_vec()
    );
    // The replica's ACK carries FACK once its AOF is on.
    assert_ne!(field(&mut r, "persistence", "aof_enabled"), "0");
}

/// A ferredis replica with an AOF under a Redis 7.0 master (which knows no FACK) still replicates and answers
/// the master's WAIT.
#[test]
fn ferredis_replica_with_aof_under_redis_70_master() {
    let _serial = serial();
    if !common::have_redis() {
        return;
    }
    let master = Server::start(Kind::Redis, &["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    let replica = replica_of(Kind::Ferredis, &master, &["--appendonly", "yes"]);
    wait_online(&mut m, 1);
    m.cmd(&["SET", "k", "v"]);
    assert_eq!(m.cmd(&["WAIT", "1", "0"]), b":1\r\n");
    let mut r = replica.conn();
    common::wait_for("the write on the replica", || r.cmd(&["GET", "k"]) == b"$1\r\nv\r\n");
    assert!(!master.log_text().contains("Unrecognized"), "{}", master.log_text());
}

// Redis 7.4.1's replies to the script (generated from it once, a fresh `--appendonly yes` server per protocol).

const WAITAOF_AOF_SCRIPT: &str = r#"
WAITAOF 1 0 0
SET k v
WAITAOF 1 0 0
WAITAOF 0 0 0
WAITAOF 1 1 50
MULTI
SET k v2
WAITAOF 1 1 0
EXEC
EVAL "redis.call('set','k','v3'); return redis.call('waitaof',1,1,0)" 0
CONFIG SET appendfsync always
INCR n
WAITAOF 1 0 0
CONFIG SET appendfsync no
INCR n
WAITAOF 1 0 100
WAITAOF 0 0 0
CONFIG SET appendfsync always
INCR n
WAITAOF 1 0 0
CONFIG SET appendonly no
WAITAOF 1 0 0
WAITAOF 0 0 0
WAITAOF 0 1 10
"#;

const WAITAOF_AOF_RESP2: &[&[u8]] = &[
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"*2\r\n+OK\r\n*2\r\n:1\r\n:0\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b":1\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b":2\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"+OK\r\n",
    b":3\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"*2\r\n:0\r\n:0\r\n",
];
const WAITAOF_AOF_RESP3: &[&[u8]] = &[
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b"+QUEUED\r\n",
    b"+QUEUED\r\n",
    b"*2\r\n+OK\r\n*2\r\n:1\r\n:0\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b":1\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b":2\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"+OK\r\n",
    b":3\r\n",
    b"*2\r\n:1\r\n:0\r\n",
    b"+OK\r\n",
    b"-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n",
    b"*2\r\n:0\r\n:0\r\n",
    b"*2\r\n:0\r\n:0\r\n",
];
