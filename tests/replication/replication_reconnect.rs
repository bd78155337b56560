//! How a replica gets back to its master after a failure, against Redis 7.0 side by side: a full sync cut during
//! the transfer or the load connects again at once (`Reconnecting to MASTER ... after failure`), a failed
//! handshake waits for the replication cron (`Connecting to MASTER`), a lost master link reconnects at once
//! (`Reconnecting to MASTER`), and the loader reports a short read as Redis's does.
//!
//! The failures are made by a fake master in the test (it answers the handshake, then closes at a chosen
//! point), so each run fails at the same place on both servers, and by a real Redis master cutting a diskless
//! load (CLIENT KILL TYPE replica). What is asserted is the order and text of the log lines between a failure and
//! the next connection, not how long anything took (the time from the cut to the next load is compared with
//! Redis's in benches/repl_reconnect.sh).

use crate::common;

use common::pair::have_redis;
use common::persist::wait_until;
use common::{Kind, Resp, Server};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where the fake master closes the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// On the first command (the PING), unanswered: a failed handshake.
    Handshake,
    /// After `+FULLRESYNC`, before the payload's header.
    BeforeHeader,
    /// After the header and the first bytes of an EOF-marked payload (an RDB header and one AUX field).
    InPayload,
    /// On the PSYNC, unanswered.
    Psync,
    /// Not at all: after the payload's header the master falls silent (until `repl-timeout` ends the transfer).
    Silent,
    /// After a whole EOF-marked payload holding a damaged value (a set with one member twice).
    Damaged,
}

/// A master that only knows the handshake: every connection is answered up to `cut`, then closed. Counts the
/// connections it accepted; stops when dropped.
struct FakeMaster {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FakeMaster {
    fn start(cut: Cut) -> FakeMaster {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("nonblocking");
        let port = l.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((sock, _)) => {
                        a.fetch_add(1, Ordering::Relaxed);
                        serve(sock, cut);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FakeMaster { port, accepted, stop }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One connection of the fake master.
fn serve(mut sock: TcpStream, cut: Cut) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    loop {
        let Some(cmd) = next_command(&mut sock, &mut buf) else { return };
        let reply: Vec<u8> = match cmd.to_ascii_uppercase().as_slice() {
            b"PING" if cut == Cut::Handshake => return,
            b"PING" => b"+PONG\r\n".to_vec(),
            b"PSYNC" if cut == Cut::Psync => return,
            b"PSYNC" => {
                let mut r = format!("+FULLRESYNC {} 0\r\n", "f".repeat(40)).into_bytes();
                if cut == Cut::Silent {
                    r.extend_from_slice(format!("$EOF:{}\r\n", "m".repeat(40)).as_bytes());
                    let _ = sock.write_all(&r);
                    std::thread::sleep(Duration::from_secs(5));
                    return;
                }
                if cut == Cut::Damaged {
                    let mark = "m".repeat(40);
                    r.extend_from_slice(format!("$EOF:{mark}\r\n").as_bytes());
                    // SELECTDB 0, then set `k` = {1, 1}, the end, a checksum of 0 (not checked), the mark.
                    r.extend_from_slice(b"REDIS0010\xfe\x00\x02\x01k\x02\x011\x011\xff\0\0\0\0\0\0\0\0");
                    r.extend_from_slice(mark.as_bytes());
                }
                if cut == Cut::InPayload {
                    r.extend_from_slice(format!("$EOF:{}\r\n", "m".repeat(40)).as_bytes());
                    r.extend_from_slice(b"REDIS0010\xfa\x09redis-ver\x067.0.15");
                }
                let _ = sock.write_all(&r);
                // Closing at once could reset the connection before the reply is read: wait for the peer.
                let _ = sock.shutdown(std::net::Shutdown::Write);
                std::thread::sleep(Duration::from_millis(50));
                return;
            }
            _ => b"+OK\r\n".to_vec(),
        };
        if sock.write_all(&reply).is_err() {
            return;
        }
    }
}

/// The name of the next command the replica sent (`None` when it closed).
fn next_command(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Ok((frame, used)) = Resp::parse_prefix(buf) {
            buf.drain(..used);
            return frame.items().and_then(|i| i.first()).and_then(|f| f.as_bytes()).map(<[u8]>::to_vec);
        }
        let mut chunk = [0u8; 4096];
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A log's lines as `<level mark> <message>`, the port of the master and replication IDs masked.
fn messages(log: &str, master_port: u16) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(7, ' ');
            let mark = parts.nth(5)?;
            let msg = parts.next()?;
            Some(format!("{mark} {msg}"))
        })
        .map(|m| common::mask_rdb_line(&m.replace(&format!("127.0.0.1:{master_port}"), "127.0.0.1:<port>")))
        .map(|m| match m.find("(request ") {
            Some(i) => format!("{}(request <id>)", &m[..i]),
            None => m,
        })
        .collect()
}

/// The lines from the first connection's "Non blocking connect..." through the second "MASTER <-> REPLICA sync
/// started": one failed attempt and the start of the next. (Where the REPLICAOF line falls is not compared: Redis
/// logs it after the connection starts, ferredis when the command runs.)
fn first_retry(lines: &[String]) -> Vec<String> {
    let started: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.ends_with("MASTER <-> REPLICA sync started"))
        .map(|(i, _)| i)
        .collect();
    assert!(started.len() >= 2, "fewer than two attempts:\n{}", lines.join("\n"));
    let from = lines.iter().position(|l| l.ends_with("Non blocking connect for SYNC fired the event."));
    lines[from.expect("a connection")..=started[1]].to_vec()
}

/// A replica of `kind` follows the fake master until it has tried to connect `attempts` times; returns its log's
/// first retry.
fn retry_lines(kind: Kind, cut: Cut, load: &str) -> Vec<String> {
    let master = FakeMaster::start(cut);
    let replica = Server::start(kind, &["--repl-diskless-load", load, "--repl-timeout", "1"]);
    let mut c = replica.conn();
    c.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    wait_until("a second connection to the master", 20_000, || master.accepted() >= 2);
    wait_until("the second attempt in the log", 20_000, || {
        messages(&replica.full_log(), master.port)
            .iter()
            .filter(|l| l.ends_with("MASTER <-> REPLICA sync started"))
            .count()
            >= 2
    });
    assert_eq!(c.cmd(&["REPLICAOF", "NO", "ONE"]), b"+OK\r\n");
    first_retry(&messages(&replica.full_log(), master.port))
}

/// Asserts ferredis's first retry is Redis's, line for line; returns ferredis's.
fn same_retry(cut: Cut, load: &str) -> Vec<String> {
    let f = retry_lines(Kind::Ferredis, cut, load);
    let r = retry_lines(Kind::Redis, cut, load);
    assert_eq!(f, r, "{cut:?} ({load}): ferredis (left) and Redis (right) log the retry differently");
    f
}

/// The failure is followed at once by the reconnection: the next line after the failure's reports is
/// "Reconnecting ... after failure", and the cron's "Connecting to MASTER" never comes in between.
fn assert_reconnects_at_once(lines: &[String], failure: &str) {
    let at = lines.iter().position(|l| l.contains(failure)).unwrap_or_else(|| {
        panic!("no '{failure}' in\n{}", lines.join("\n"));
    });
    assert_eq!(lines[at + 1], "* Reconnecting to MASTER 127.0.0.1:<port> after failure", "{}", lines.join("\n"));
    assert_eq!(lines[at + 2], "* MASTER <-> REPLICA sync started", "{}", lines.join("\n"));
    assert!(!lines.iter().any(|l| l.contains("Connecting to MASTER")), "{}", lines.join("\n"));
}

#[test]
fn a_diskless_load_cut_short_reports_it_and_reconnects_at_once() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    for load in ["swapdb", "on-empty-db"] {
        let lines = same_retry(Cut::InPayload, load);
        assert_reconnects_at_once(&lines, "Failed trying to load the MASTER synchronization DB from socket: ");
        for expected in [
            "* Loading RDB produced by version 7.0.15",
            "# Short read or OOM loading DB. Unrecoverable error, aborting now.",
            "# Internal error in RDB reading offset 0, function at rdb.c:N -> Unexpected EOF reading RDB file. \
             Failure loading rdb format from socket, assuming connection error, resuming operation.",
        ] {
            assert!(lines.iter().any(|l| l == expected), "{load}: no '{expected}' in\n{}", lines.join("\n"));
        }
    }
}

#[test]
fn a_transfer_cut_short_reconnects_at_once() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    let lines = same_retry(Cut::InPayload, "disabled");
    assert_reconnects_at_once(&lines, "# I/O error trying to sync with MASTER: connection lost");
    let lines = same_retry(Cut::BeforeHeader, "disabled");
    assert_reconnects_at_once(&lines, "# I/O error reading bulk count from MASTER: ");
}

#[test]
fn a_failed_handshake_waits_for_the_cron() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    let lines = same_retry(Cut::Handshake, "disabled");
    assert_eq!(
        lines,
        [
            "* Non blocking connect for SYNC fired the event.",
            "# Failed to read response from the server: Success",
            "# Master did not respond to command during SYNC handshake",
            "* Connecting to MASTER 127.0.0.1:<port>",
            "* MASTER <-> REPLICA sync started",
        ]
    );
}

#[test]
fn an_unanswered_psync_waits_for_the_cron() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    let lines = same_retry(Cut::Psync, "disabled");
    assert_eq!(
        lines[lines.len() - 4..],
        [
            "# Failed to read response from the server: Success",
            "# Master did not reply to PSYNC, will try later",
            "* Connecting to MASTER 127.0.0.1:<port>",
            "* MASTER <-> REPLICA sync started",
        ]
    );
}

/// `repl-timeout` during a transfer to disk: the replication cron gives up on it and connects again at once.
#[test]
fn a_transfer_timeout_reconnects_at_once() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    let lines = same_retry(Cut::Silent, "disabled");
    assert_reconnects_at_once(&lines, "# Timeout receiving bulk data from MASTER...");
}

/// A damaged payload ends the replica as it ends Redis's, loaded from the socket (the report, then the exit) or
/// from the file it went to (the report, the checker's report of the file, then the exit).
#[test]
fn a_damaged_payload_ends_the_replica_as_it_ends_redis() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    for load in ["swapdb", "disabled"] {
        let mut reports = Vec::new();
        for kind in [Kind::Ferredis, Kind::Redis] {
            let master = FakeMaster::start(Cut::Damaged);
            let mut replica = Server::start(kind, &["--repl-diskless-load", load]);
            replica.conn().cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
            let st = replica.wait_exit(20_000);
            assert!(st.is_some_and(|s| !s.success()), "{} ({load}): {st:?}", kind.label());
            let log = common::mask_rdb_line(&replica.full_log());
            let lines: Vec<String> = messages(&log, master.port)
                .into_iter()
                .filter(|l| l.contains("Internal error in RDB") || l.contains("Terminating server"))
                .collect();
            assert_eq!(log.contains("--- RDB ERROR DETECTED ---"), load == "disabled", "{log}");
            reports.push(lines);
        }
        let suffix = if load == "swapdb" { ". Failure loading rdb format" } else { "" };
        assert_eq!(
            reports[0],
            [
                format!(
                    "# Internal error in RDB reading offset 0, function at rdb.c:N -> Duplicate set members \
                     detected{suffix}"
                ),
                "# Terminating server after rdb file reading failure.".to_string(),
            ],
            "{load}"
        );
        assert_eq!(reports[0], reports[1], "{load}: ferredis (left), Redis (right)");
    }
}

/// A replica of `kind` of a Redis master loses its master link once synced: the lines from the loss to the
/// partial resync.
fn master_lost_lines(kind: Kind) -> Vec<String> {
    let master = Server::start(Kind::Redis, &[]);
    let replica = Server::start(kind, &[]);
    let mut m = master.conn();
    let mut r = replica.conn();
    m.cmd(&["SET", "k", "v"]);
    r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    let up = |r: &mut common::Conn| common::info_field(r, "replication", "master_link_status") == "up";
    wait_until("the first sync", 20_000, || up(&mut r));
    assert_eq!(m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), b":1\r\n");
    let accepted = "* MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.";
    wait_until("the partial resync", 20_000, || {
        messages(&replica.full_log(), master.port).iter().any(|l| l == accepted)
    });
    let lines = messages(&replica.full_log(), master.port);
    let from = lines.iter().position(|l| l.ends_with("Connection with master lost.")).expect("the loss");
    let to = lines.iter().position(|l| l == accepted).expect("the partial resync");
    lines[from..=to].to_vec()
}

#[test]
fn a_lost_master_link_reconnects_at_once() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    let f = master_lost_lines(Kind::Ferredis);
    assert_eq!(f, master_lost_lines(Kind::Redis), "ferredis (left) and Redis (right)");
    assert_eq!(
        f[..4],
        [
            "# Connection with master lost.",
            "* Caching the disconnected master state.",
            "* Reconnecting to MASTER 127.0.0.1:<port>",
            "* MASTER <-> REPLICA sync started",
        ]
    );
}

/// A real diskless full sync, cut by the master a few times during the replica's load (the situation of Redis's
/// own "diskless loading short read" test): each cut is reported as Redis reports it and followed at once by the
/// next connection, never by the cron's.
#[test]
fn diskless_loads_cut_by_the_master_reconnect_at_once() {
    if !have_redis() {
        return;
    }
    let _g = common::serial();
    let master = Server::start(
        Kind::Redis,
        &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--rdbcompression", "no"],
    );
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "20000", "key", "1000"]);
    // About 2 s per transfer: every cut lands in the middle of a load.
    m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100"]);
    let replica = Server::start(Kind::Ferredis, &["--repl-diskless-load", "swapdb"]);
    let mut r = replica.conn();
    r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    let loads = |s: &Server| s.full_log().matches("MASTER <-> REPLICA sync: Loading DB in memory").count();
    const CUTS: usize = 3;
    for i in 1..=CUTS {
        wait_until("the next load", 30_000, || loads(&replica) >= i);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(m.cmd(&["CLIENT", "KILL", "TYPE", "replica"]), b":1\r\n");
    }
    wait_until("the load after the last cut", 30_000, || loads(&replica) > CUTS);
    let lines = messages(&replica.full_log(), master.port);
    let failures: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("# Failed trying to load the MASTER synchronization DB from socket: "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(failures.len(), CUTS, "{}", lines.join("\n"));
    for at in failures {
        let before = &lines[at - 2..at];
        assert_eq!(before[0], "# Short read or OOM loading DB. Unrecoverable error, aborting now.");
        assert!(
            before[1].starts_with("# Internal error in RDB reading offset ")
                && before[1].ends_with(
                    ", function at rdb.c:N -> Unexpected EOF reading RDB file. Failure loading rdb format from \
                     socket, assuming connection error, resuming operation."
                ),
            "{}",
            before[1]
        );
        assert_eq!(lines[at + 1], "* Reconnecting to MASTER 127.0.0.1:<port> after failure");
        let next_load = lines[at..].iter().position(|l| l.ends_with("Loading DB in memory")).map(|n| at + n);
        let next_load = next_load.expect("a load after the failure");
        assert!(!lines[at..next_load].iter().any(|l| l.contains("Connecting to MASTER")), "{}", lines.join("\n"));
    }
    m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
}
