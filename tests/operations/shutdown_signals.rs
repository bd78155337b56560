//! Shutdown edge cases Redis 7.0's own suite checks, run on ferredis and redis-server alike:
//! - SIGTERM waits for the cron, so with DEBUG PAUSE-CRON 1 a SHUTDOWN ABORT can still cancel it;
//! - a second SIGINT during the shutdown save exits at once and removes the `temp-<pid>.rdb` being written;
//! - a failed foreground save (SAVE, SHUTDOWN) is an error for that command only: no MISCONF afterwards.

use crate::common;
use common::{Conn, Kind, Server};
use std::time::{Duration, Instant};

fn signal(s: &Server, sig: i32) {
    // SAFETY: kill takes plain integers; the pid is our own child's.
    let r = unsafe { libc::kill(s.pid() as i32, sig) };
    assert_eq!(r, 0, "kill failed");
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn shutdown_abort_cancels_a_pending_sigterm() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["DEBUG", "PAUSE-CRON", "1"]), b"+OK\r\n");
        signal(&s, libc::SIGTERM);
        // The signal is noted; only the (paused) cron would act on it.
        wait_for("the SIGTERM log line", || s.log_text().contains("Received SIGTERM scheduling shutdown"));
        assert_eq!(c.cmd(&["SHUTDOWN", "ABORT"]), b"+OK\r\n", "{}", kind.label());
        assert!(s.log_text().contains("Shutdown manually aborted."), "{}", kind.label());
        assert_eq!(c.cmd(&["DEBUG", "PAUSE-CRON", "0"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
        assert_eq!(c.cmd(&["SHUTDOWN", "ABORT"]), b"-ERR No shutdown in progress.\r\n", "{}", kind.label());
        // A new connection still gets in: the server did not start closing down.
        assert_eq!(Conn::connect(s.port).cmd(&["PING"]), b"+PONG\r\n");
    }
}

#[test]
fn second_sigint_during_the_shutdown_save_removes_the_temp_file() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let mut s = Server::start(kind, &["--save", "900 1"]);
        let mut c = s.conn();
        for i in 0..20 {
            assert_eq!(c.cmd(&["SET", &i.to_string(), "v"]), b"+OK\r\n");
        }
        // 100 ms per key: the save on shutdown takes two seconds.
        assert_eq!(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]), b"+OK\r\n");
        let temp = s.dir().join(format!("temp-{}.rdb", s.pid()));
        signal(&s, libc::SIGINT);
        wait_for("the shutdown save's temp file", || temp.exists());
        signal(&s, libc::SIGINT);
        let status = s.wait_exit(10_000).expect("server did not exit");
        assert_eq!(status.code(), Some(1), "{}", kind.label());
        assert!(!temp.exists(), "{}: temp file left behind", kind.label());
        assert!(s.log_text().contains("You insist... exiting now."), "{}", kind.label());
    }
}

#[test]
fn failed_foreground_saves_do_not_turn_on_misconf() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut transcripts = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &["--save", "900 1"]);
        // The RDB file's name is taken by a directory: writing works, the final rename fails.
        std::fs::create_dir_all(s.dir().join("dump.rdb")).unwrap();
        let mut c = s.conn();
        let mut t = vec![
            text(c.cmd(&["SET", "k", "v"])),
            text(c.cmd(&["SAVE"])),
            text(c.cmd(&["SET", "k", "v2"])),
            text(c.cmd(&["SHUTDOWN"])),
            text(c.cmd(&["PING"])),
            text(c.cmd(&["SET", "k", "v3"])),
        ];
        let info = text(c.cmd(&["INFO", "persistence"]));
        t.push(info.lines().find(|l| l.starts_with("rdb_last_bgsave_status:")).unwrap_or("").to_string());
        // NOSAVE still leaves.
        let _ = c.send(&["SHUTDOWN", "NOSAVE"]);
        let (_, closed) = c.read_until_close(5000);
        t.push(format!("closed: {closed}"));
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "ferredis vs redis-server");
    assert_eq!(transcripts[0][1], "-ERR\r\n");
    assert_eq!(transcripts[0][3], "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
}
