//! Redis 7.0's graceful shutdown with lagging replicas, run on ferredis and redis-server alike and compared:
//! - SHUTDOWN blocks its caller while a replica has not acknowledged the master's offset: INFO shows
//!   `shutdown_in_milliseconds`, writes are held (reads are not), the replica gets `REPLCONF GETACK *`, and the
//!   server exits once the replica acknowledges;
//! - SHUTDOWN ABORT answers every blocked SHUTDOWN (NOW and FORCE ones too: they waited along) with an error and
//!   releases the held writes; SHUTDOWN NOW then exits at once, naming the lagging replica;
//! - SIGTERM gives up after `shutdown-timeout`; a second SIGTERM changes nothing, a second SIGINT exits at once;
//! - `shutdown-on-sigterm now` and `shutdown-timeout 0` do not wait;
//! - a save that fails after the wait cancels the shutdown.
//!
//! The replica is played by the test (PSYNC, then reading the stream), so it acknowledges exactly when told.

use crate::common;
use common::{escape, info_field, wait_blocked, wait_for, Conn, Kind, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The port the fake replica announces (it listens nowhere; the master only prints it).
const REPLICA_PORT: &str = "4321";
const GETACK: &[u8] = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

/// A replica the test drives: it takes a full sync, reads the stream counting its offset, and acknowledges only
/// when asked.
struct FakeReplica {
    s: TcpStream,
    buf: Vec<u8>,
    /// The offset of the stream read so far (the `+FULLRESYNC` offset plus every byte since the RDB).
    offset: i64,
}

impl FakeReplica {
    fn attach(port: u16) -> FakeReplica {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("replica connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut r = FakeReplica { s: s.try_clone().unwrap(), buf: Vec::new(), offset: 0 };
        s.write_all(&common::encode_command(&["REPLCONF", "listening-port", REPLICA_PORT])).unwrap();
        assert_eq!(r.line(), b"+OK");
        s.write_all(&common::encode_command(&["PSYNC", "?", "-1"])).unwrap();
        let full = String::from_utf8(r.line()).unwrap();
        let off = full.rsplit(' ').next().and_then(|o| o.parse().ok());
        r.offset = off.unwrap_or_else(|| panic!("not a FULLRESYNC: {full}"));
        // Newlines while the RDB is made, then `$<len>\r\n` and the file (disk-based: no EOF mark).
        let len: usize = loop {
            let l = r.line();
            if !l.is_empty() {
                assert_eq!(l[0], b'$', "{}", escape(&l));
                break std::str::from_utf8(&l[1..]).unwrap().parse().unwrap();
            }
        };
        while r.buf.len() < len {
            r.more();
        }
        assert_eq!(&r.buf[..5], b"REDIS");
        r.buf.drain(..len);
        r.offset += r.buf.len() as i64;
        r
    }

    fn more(&mut self) {
        let mut chunk = [0u8; 65536];
        let n = self.s.read(&mut chunk).expect("replication stream read");
        assert!(n > 0, "replication link closed");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// One line before the stream starts (the keep-alive newlines of a pending BGSAVE read as empty lines).
    fn line(&mut self) -> Vec<u8> {
        loop {
            if self.buf.first() == Some(&b'\n') {
                self.buf.remove(0);
                return Vec::new();
            }
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let l = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                return l;
            }
            self.more();
        }
    }

    /// The stream up to and including the first `end`.
    fn until(&mut self, end: &[u8]) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.windows(end.len()).position(|w| w == end) {
                let rest = self.buf.split_off(i + end.len());
                return std::mem::replace(&mut self.buf, rest);
            }
            let before = self.buf.len();
            self.more();
            self.offset += (self.buf.len() - before) as i64;
        }
    }

    /// `REPLCONF ACK <everything read so far>`.
    fn ack(&mut self) {
        let off = self.offset.to_string();
        self.s.write_all(&common::encode_command(&["REPLCONF", "ACK", &off])).unwrap();
    }
}

/// A master with the fake replica attached and in sync (it acknowledged), `k` = 1 in the RDB, and then `INCR k`
/// streamed to the replica but not acknowledged: the replica lags by that command.
fn lagging_master(kind: Kind, extra: &[&str]) -> (Server, Conn, FakeReplica) {
    let mut args = vec!["--repl-diskless-sync", "no", "--repl-ping-replica-period", "3600"];
    args.extend_from_slice(extra);
    let s = Server::start(kind, &args);
    let mut a = s.conn();
    assert_eq!(a.cmd(&["SET", "k", "1"]), b"+OK\r\n");
    // Both servers PING their replicas in their first replication cron pass (then every hour here): attach after
    // it, or whether the stream holds that PING (14 bytes of lag) depends on how fast the machine started them.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let mut r = FakeReplica::attach(s.port);
    r.ack();
    wait_for("the replica's first acknowledgement", || {
        info_field(&mut a, "replication", "slave0").contains(&format!("offset={},", r.offset))
    });
    assert_eq!(a.cmd(&["INCR", "k"]), b":2\r\n");
    r.until(b"INCR\r\n$1\r\nk\r\n");
    (s, a, r)
}

fn info_text(c: &mut Conn, section: &str) -> String {
    String::from_utf8_lossy(&c.cmd(&["INFO", section])).into_owned()
}

/// `shutdown_in_milliseconds` from INFO, if present.
fn shutdown_in_ms(c: &mut Conn) -> Option<i64> {
    let info = info_text(c, "server");
    info.split("\r\n").find_map(|l| l.strip_prefix("shutdown_in_milliseconds:")).map(|v| v.parse().unwrap())
}

fn signal(s: &Server, sig: i32) {
    // SAFETY: kill takes plain integers; the pid is our own child's.
    let r = unsafe { libc::kill(s.pid() as i32, sig) };
    assert_eq!(r, 0, "kill failed");
}

/// Asserts that `lines` occur in the log in this order.
fn assert_log_in_order(s: &Server, lines: &[&str]) {
    let log = s.full_log();
    let mut at = 0;
    for l in lines {
        match log[at..].find(l) {
            Some(i) => at += i + l.len(),
            None => panic!("{}: {l:?} missing (or out of order) in the log:\n{log}", s.kind.label()),
        }
    }
}

/// The "Lagging replica" lines with the `lag=` seconds (a matter of timing) blanked out.
fn lagging_lines(s: &Server) -> Vec<String> {
    s.full_log()
        .lines()
        .filter_map(|l| l.find("Lagging replica").map(|i| &l[i..]))
        .map(|l| match (l.find("lag="), l.find(", state=")) {
            (Some(a), Some(b)) => format!("{}lag=N{}", &l[..a], &l[b..]),
            _ => l.to_string(),
        })
        .collect()
}

/// Reads the reply a blocked or held client got, as text.
fn reply_of(c: &mut Conn) -> String {
    escape(&c.read_reply().expect("reply"))
}

#[test]
fn shutdown_waits_for_the_replica_to_acknowledge() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut transcripts = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (mut s, mut a, mut r) = lagging_master(kind, &[]);
        let mut t = Vec::new();
        let mut b = s.conn();
        b.send(&["SHUTDOWN"]).unwrap();
        wait_blocked(&mut a, 1);
        let left = shutdown_in_ms(&mut a).expect("shutdown_in_milliseconds while waiting");
        assert!(left > 0 && left <= 10_000, "{}: shutdown_in_milliseconds:{left}", kind.label());
        // Writes are held, reads are served.
        let mut c = s.conn();
        c.send(&["SET", "x", "1"]).unwrap();
        wait_blocked(&mut a, 2);
        t.push(escape(&a.cmd(&["GET", "k"])));
        t.push(escape(&a.cmd(&["EXISTS", "x"])));
        // The replica is asked for an acknowledgement right away, and nothing else is streamed.
        t.push(escape(&r.until(GETACK)));
        r.ack();
        let st = s.wait_exit(10_000).unwrap_or_else(|| panic!("{} still waits after the ack", kind.label()));
        t.push(format!("exit {:?}", st.code()));
        t.push(format!("{:?}", b.read_until_close(5000)));
        t.push(format!("{:?}", c.read_until_close(5000)));
        assert_log_in_order(
            &s,
            &[
                "User requested shutdown...",
                "Waiting for replicas before shutting down.",
                "1 of 1 replicas are in sync when shutting down.",
                "is now ready to exit, bye bye...",
            ],
        );
        assert!(lagging_lines(&s).is_empty(), "{}: {:?}", kind.label(), lagging_lines(&s));
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "ferredis vs redis-server");
}

#[test]
fn shutdown_abort_answers_every_blocked_shutdown() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut transcripts = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (mut s, mut a, mut r) = lagging_master(kind, &[]);
        let mut t = Vec::new();
        let mut b = s.conn();
        b.send(&["SHUTDOWN"]).unwrap();
        wait_blocked(&mut a, 1);
        // A shutdown is already under way: NOW and FORCE wait along with it.
        let mut d = s.conn();
        d.send(&["SHUTDOWN", "NOW", "FORCE"]).unwrap();
        wait_blocked(&mut a, 2);
        let mut c = s.conn();
        c.send(&["SET", "x", "1"]).unwrap();
        wait_blocked(&mut a, 3);
        t.push(info_field(&mut a, "clients", "connected_clients"));
        t.push(escape(&a.cmd(&["SHUTDOWN", "ABORT"])));
        t.push(reply_of(&mut b));
        t.push(reply_of(&mut d));
        t.push(reply_of(&mut c));
        t.push(format!("{:?}", shutdown_in_ms(&mut a)));
        t.push(escape(&a.cmd(&["SHUTDOWN", "ABORT"])));
        if kind == Kind::Ferredis {
            // The client goes on (Redis 7.0.15 does not reset a client unblocked from SHUTDOWN: its next command
            // fails an assertion and crashes the server).
            assert_eq!(b.cmd(&["PING"]), b"+PONG\r\n");
        }
        t.push(escape(&a.cmd(&["GET", "x"])));
        t.push(info_field(&mut a, "clients", "blocked_clients"));
        assert!(s.full_log().contains("Shutdown manually aborted."), "{}", kind.label());
        // The GETACK and the SET the replica never acknowledged: NOW does not wait for them.
        r.until(b"SET\r\n$1\r\nx\r\n$1\r\n1\r\n");
        let st = s.shutdown(&["NOW"]);
        t.push(format!("exit {:?}", st.code()));
        t.extend(lagging_lines(&s));
        assert_log_in_order(
            &s,
            &["Lagging replica", "0 of 1 replicas are in sync when shutting down.", "is now ready to exit, bye bye..."],
        );
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "ferredis vs redis-server");
    assert_eq!(transcripts[0][2], "-ERR Errors trying to SHUTDOWN. Check logs.\\r\\n");
}

#[test]
fn sigterm_gives_up_after_shutdown_timeout() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut transcripts = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (mut s, mut a, _r) = lagging_master(kind, &["--shutdown-timeout", "2"]);
        signal(&s, libc::SIGTERM);
        wait_for("the wait for replicas", || s.full_log().contains("Waiting for replicas before shutting down."));
        let left = shutdown_in_ms(&mut a).expect("shutdown_in_milliseconds while waiting");
        assert!(left <= 2000, "{}: shutdown_in_milliseconds:{left}", kind.label());
        // A second SIGTERM is only logged.
        signal(&s, libc::SIGTERM);
        let st = s.wait_exit(20_000).unwrap_or_else(|| panic!("{} did not give up waiting", kind.label()));
        let mut t = vec![format!("exit {:?}", st.code())];
        t.extend(lagging_lines(&s));
        let log = s.full_log();
        t.push(format!("requested {} times", log.matches("User requested shutdown...").count()));
        assert_log_in_order(
            &s,
            &[
                "Received SIGTERM scheduling shutdown...",
                "User requested shutdown...",
                "Waiting for replicas before shutting down.",
                "Received SIGTERM scheduling shutdown...",
                "Lagging replica",
                "0 of 1 replicas are in sync when shutting down.",
                "is now ready to exit, bye bye...",
            ],
        );
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "ferredis vs redis-server");
}

#[test]
fn second_sigint_while_waiting_exits_at_once() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (mut s, _a, _r) = lagging_master(kind, &["--shutdown-timeout", "300"]);
        signal(&s, libc::SIGINT);
        wait_for("the wait for replicas", || s.full_log().contains("Waiting for replicas before shutting down."));
        signal(&s, libc::SIGINT);
        let st = s.wait_exit(10_000).unwrap_or_else(|| panic!("{} kept waiting after a second SIGINT", kind.label()));
        assert_eq!(st.code(), Some(1), "{}", kind.label());
        assert!(s.full_log().contains("You insist... exiting now."), "{}", kind.label());
        assert!(!s.full_log().contains("bye bye"), "{}", kind.label());
    }
}

#[test]
fn now_flags_and_a_zero_timeout_do_not_wait() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut transcripts = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let mut t = Vec::new();
        // shutdown-on-sigterm now: SIGTERM goes straight through, however long the timeout.
        let (mut s, mut a, _r) = lagging_master(kind, &["--shutdown-timeout", "300"]);
        t.push(escape(&a.cmd(&["CONFIG", "SET", "shutdown-on-sigterm", "now"])));
        signal(&s, libc::SIGTERM);
        let st = s.wait_exit(10_000).unwrap_or_else(|| panic!("{} waited despite NOW", kind.label()));
        t.push(format!("exit {:?}", st.code()));
        t.extend(lagging_lines(&s));
        assert!(!s.full_log().contains("Waiting for replicas"), "{}", kind.label());
        assert!(s.full_log().contains("0 of 1 replicas are in sync when shutting down."), "{}", kind.label());
        drop(s);
        // shutdown-timeout 0: SHUTDOWN does not wait either.
        let (mut s, mut a, _r) = lagging_master(kind, &[]);
        t.push(escape(&a.cmd(&["CONFIG", "SET", "shutdown-timeout", "0"])));
        let st = s.shutdown(&[]);
        t.push(format!("exit {:?}", st.code()));
        t.extend(lagging_lines(&s));
        assert!(!s.full_log().contains("Waiting for replicas"), "{}", kind.label());
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "ferredis vs redis-server");
}

#[test]
fn a_failed_save_after_the_wait_cancels_the_shutdown() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut transcripts = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (mut s, mut a, mut r) = lagging_master(kind, &["--save", "900 1"]);
        // The RDB file's name is taken by a directory: the final save fails at its rename.
        // (The full sync left a dump.rdb file there.)
        let _ = std::fs::remove_file(s.dir().join("dump.rdb"));
        std::fs::create_dir_all(s.dir().join("dump.rdb")).unwrap();
        let mut t = Vec::new();
        let mut b = s.conn();
        b.send(&["SHUTDOWN"]).unwrap();
        wait_blocked(&mut a, 1);
        let mut c = s.conn();
        c.send(&["SET", "x", "1"]).unwrap();
        wait_blocked(&mut a, 2);
        r.until(GETACK);
        r.ack();
        t.push(reply_of(&mut b));
        t.push(reply_of(&mut c));
        t.push(format!("{:?}", shutdown_in_ms(&mut a)));
        t.push(escape(&a.cmd(&["PING"])));
        assert_log_in_order(
            &s,
            &[
                "Waiting for replicas before shutting down.",
                "1 of 1 replicas are in sync when shutting down.",
                "Saving the final RDB snapshot before exiting.",
                "Error trying to save the DB, can't exit.",
                "Errors trying to shut down the server. Check the logs for more information.",
            ],
        );
        let st = s.shutdown(&["NOSAVE", "NOW"]);
        t.push(format!("exit {:?}", st.code()));
        std::fs::remove_dir(s.dir().join("dump.rdb")).unwrap();
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "ferredis vs redis-server");
}

/// CLIENT UNBLOCK ... ERROR of a client blocked in SHUTDOWN, as Redis 7.0.15: the caller gets `-UNBLOCKED`, the
/// call counts as SHUTDOWN's failed call, and the shutdown goes on (writes still held) until the replica
/// acknowledges. The TIMEOUT form (CLIENT UNBLOCK's default) answers 0 here and leaves the caller blocked:
/// Redis 7.0.15 has no timeout reply for SHUTDOWN and panics ("Unknown btype"), so it is checked on ferredis only.
#[test]
fn client_unblock_of_a_blocked_shutdown() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut transcripts = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (mut s, mut a, mut r) = lagging_master(kind, &[]);
        let mut t = Vec::new();
        let mut b = s.conn();
        let id = String::from_utf8(b.cmd(&["CLIENT", "ID"])).unwrap();
        let id = id.trim_start_matches(':').trim_end().to_string();
        b.send(&["SHUTDOWN"]).unwrap();
        wait_blocked(&mut a, 1);
        if kind == Kind::Ferredis {
            assert_eq!(a.cmd(&["CLIENT", "UNBLOCK", &id]), b":0\r\n");
            assert_eq!(a.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), b":0\r\n");
            assert_eq!(info_field(&mut a, "clients", "blocked_clients"), "1");
        }
        t.push(escape(&a.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"])));
        t.push(reply_of(&mut b));
        t.push(info_field(&mut a, "clients", "blocked_clients"));
        t.push(escape(&a.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"])));
        // The shutdown itself still waits for the replica.
        assert!(shutdown_in_ms(&mut a).is_some(), "{}: the shutdown was cancelled", kind.label());
        let stats = info_text(&mut a, "commandstats");
        let shutdown = stats.lines().find(|l| l.starts_with("cmdstat_shutdown:")).unwrap_or_default();
        t.push(shutdown.split(',').filter(|f| !f.starts_with("usec")).collect::<Vec<_>>().join(","));
        let errors = info_text(&mut a, "errorstats");
        t.push(errors.lines().filter(|l| l.starts_with("errorstat_")).collect::<Vec<_>>().join(" "));
        r.until(GETACK);
        r.ack();
        let st = s.wait_exit(10_000).unwrap_or_else(|| panic!("{} still waits after the ack", kind.label()));
        t.push(format!("exit {:?}", st.code()));
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "ferredis vs redis-server");
}
