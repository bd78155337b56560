//! The log as operators and tools read it, checked on ferredis and redis-server side by side: each event that both
//! servers have today is triggered on both, and both logs must hold Redis's wording for it with the same level
//! mark (`.` debug, `-` verbose, `*` notice, `#` warning). Also: the log file under logrotate (moved away, or
//! truncated in place) without a signal, syslog switched on, and the process title that `ps` shows.
//!
//! Events of features that do not exist yet are added by the issue that adds the feature, with their Redis lines:
//! replication (`MASTER <-> REPLICA sync started`, `MASTER <-> REPLICA sync: Loading DB in memory`,
//! `Background RDB transfer started by pid`, `Diskless rdb transfer, done reading from pipe, N replicas still up`,
//! `Unable to AUTH to MASTER`) and `Shutdown manually aborted.`, which Redis 7.0 logs only when SHUTDOWN ABORT
//! cancels a shutdown that waits for lagging replicas (`abortShutdown`); without replicas no shutdown waits.

use crate::common;

use common::persist::{bgrewriteaof_and_wait, bgsave_and_wait, wait_until};
use common::{Kind, Server, TempDir};
use std::path::{Path, PathBuf};

const KINDS: [Kind; 2] = [Kind::Ferredis, Kind::Redis];

/// The level mark of the first line containing `phrase`, or `None`.
fn mark_of(log: &str, phrase: &str) -> Option<char> {
    let line = log.lines().find(|l| l.contains(phrase))?;
    // `pid:R dd Mon yyyy hh:mm:ss.mmm <mark> message`
    line.split(' ').nth(5).and_then(|m| m.chars().next())
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn wait_for_line(log: &Path, phrase: &str) {
    wait_until(&format!("'{phrase}' in {}", log.display()), 20_000, || read(log).contains(phrase));
}

/// A DUMP payload of a small hash whose listpack header is wrong (but whose checksum is right), so RESTORE reaches
/// the integrity check.
fn corrupt_hash_payload(c: &mut common::Conn) -> Vec<u8> {
    assert_eq!(c.cmd(&["HSET", "h", "f", "v"]), b":1\r\n");
    let dump = c.cmd(&["DUMP", "h"]);
    let resp = common::Resp::parse(&dump).expect("DUMP reply");
    let mut p = resp.as_bytes().expect("DUMP bulk").to_vec();
    // type (hash listpack) + 1-byte string length, then the listpack's 4-byte total length.
    assert_eq!(p[0], 16, "hash in listpack encoding");
    p[2] = p[2].wrapping_add(7);
    let n = p.len();
    let crc = ferredis::persist::crc64::crc64(0, &p[..n - 8]);
    p[n - 8..].copy_from_slice(&crc.to_le_bytes());
    p
}

/// Runs every event on one server and returns its log.
fn run_events(kind: Kind) -> String {
    let tmp = TempDir::new(&format!("log-events-{}", kind.label()));
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let log = tmp.path().join("server.log");
    let log_s = log.to_str().expect("utf-8").to_string();
    let args = ["--logfile", log_s.as_str(), "--loglevel", "verbose", "--save", "3600 1"];
    let mut srv = Server::start_in(kind, &data, &args);
    wait_for_line(&log, "Ready to accept connections");
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    bgsave_and_wait(&mut c);
    wait_for_line(&log, "Background saving terminated with success");
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    bgrewriteaof_and_wait(&mut c);
    wait_for_line(&log, "Background AOF rewrite finished successfully");
    let payload = corrupt_hash_payload(&mut c);
    assert_eq!(c.cmd(&[b"RESTORE".as_slice(), b"bad", b"0", &payload]), b"-ERR Bad data format\r\n");
    srv.shutdown(&[]);
    // A second start loads what the shutdown saved.
    let mut srv = Server::start_in(kind, &data, &args);
    wait_for_line(&log, "DB loaded from disk");
    srv.shutdown(&["NOSAVE"]);
    read(&log)
}

#[test]
fn events_are_logged_in_redis_wording_with_redis_marks() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let logs: Vec<String> = KINDS.iter().map(|&k| run_events(k)).collect();
    let events = [
        "Server initialized",
        "Ready to accept connections",
        "Background saving started by pid",
        "DB saved on disk",
        "Background saving terminated with success",
        "Background append only file rewriting started by pid",
        "Background AOF rewrite terminated with success",
        "Successfully renamed the temporary AOF base file temp-rewriteaof-bg-",
        "Client closed connection id=",
        "Background AOF rewrite finished successfully",
        "integrity check failed",
        "User requested shutdown...",
        "Saving the final RDB snapshot before exiting.",
        "is now ready to exit, bye bye...",
        "DB loaded from disk: ",
    ];
    for phrase in events {
        let marks: Vec<Option<char>> = logs.iter().map(|l| mark_of(l, phrase)).collect();
        assert!(marks[1].is_some(), "redis-server did not log '{phrase}':\n{}", logs[1]);
        assert_eq!(marks[0], marks[1], "'{phrase}': ferredis mark vs redis mark\nferredis log:\n{}", logs[0]);
    }
    // The RESTORE line in full (with the rdb.c line of Debian's build); the shutdown lines in Redis's order; a closed
    // connection described as CLIENT LIST describes it.
    for log in &logs {
        let at = |p: &str| log.find(p).unwrap_or_else(|| panic!("no '{p}' in\n{log}"));
        assert!(at("User requested shutdown...") < at("Saving the final RDB snapshot before exiting."), "{log}");
        let closed = log.lines().find(|l| l.contains("Client closed connection id=")).expect("closed line");
        assert!(closed.contains(" laddr=127.0.0.1:") && closed.contains(" cmd="), "{closed}");
        let line = log.lines().find(|l| l.contains("integrity check failed")).expect("integrity line");
        let msg = common::mask_rdb_line(line.splitn(7, ' ').nth(6).unwrap_or(""));
        assert_eq!(
            msg, "Internal error in RDB reading offset 0, function at rdb.c:N -> Hash listpack integrity check failed.",
            "{line}"
        );
    }
}

/// Starts a server logging to `<dir>/server.log`.
fn start_with_log(kind: Kind, tmp: &TempDir, extra: &[&str]) -> (Server, PathBuf) {
    let log = tmp.path().join("server.log");
    let log_s = log.to_str().expect("utf-8").to_string();
    let mut args = vec!["--logfile", log_s.as_str()];
    args.extend_from_slice(extra);
    (Server::start(kind, &args), log)
}

#[test]
fn log_moved_away_is_recreated_and_followed_by_the_signal_handler() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in KINDS {
        let tmp = TempDir::new(&format!("logrotate-mv-{}", kind.label()));
        let (mut srv, log) = start_with_log(kind, &tmp, &[]);
        wait_for_line(&log, "Ready to accept connections");
        let rotated = tmp.path().join("server.log.1");
        std::fs::rename(&log, &rotated).expect("mv");
        let mut c = srv.conn();
        assert_eq!(c.cmd(&["DEBUG", "LOG", "after-rotation"]), b"+OK\r\n");
        let fresh = read(&log);
        assert!(fresh.contains("DEBUG LOG: after-rotation"), "{}: {fresh:?}", kind.label());
        assert!(!read(&rotated).contains("after-rotation"), "{}", kind.label());
        // A signal handler's line (SIGTERM) goes to the new file too.
        // SAFETY: signalling the child we started.
        assert_eq!(unsafe { libc::kill(srv.pid() as i32, libc::SIGTERM) }, 0);
        srv.wait_exit(20_000).expect("SIGTERM ends the server");
        let fresh = read(&log);
        assert!(fresh.contains("Received SIGTERM scheduling shutdown..."), "{}: {fresh}", kind.label());
        assert!(!read(&rotated).contains("Received SIGTERM"), "{}", kind.label());
    }
}

#[test]
fn log_truncated_in_place_is_written_from_the_start() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in KINDS {
        let tmp = TempDir::new(&format!("logrotate-trunc-{}", kind.label()));
        let (srv, log) = start_with_log(kind, &tmp, &[]);
        wait_for_line(&log, "Ready to accept connections");
        // logrotate's copytruncate: copy, then truncate the original in place.
        std::fs::copy(&log, tmp.path().join("server.log.1")).expect("cp");
        std::fs::OpenOptions::new().write(true).truncate(true).open(&log).expect("truncate");
        let mut c = srv.conn();
        assert_eq!(c.cmd(&["DEBUG", "LOG", "after-truncate"]), b"+OK\r\n");
        let bytes = std::fs::read(&log).expect("read log");
        // Appending writes land at the new end (offset 0): no hole of zeros before the line.
        assert!(!bytes.is_empty() && bytes[0] != 0, "{}: {:?}", kind.label(), &bytes[..bytes.len().min(40)]);
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(text.lines().count(), 1, "{}: {text}", kind.label());
        assert!(text.starts_with(&format!("{}:M ", srv.pid())), "{}: {text}", kind.label());
        assert!(text.contains("DEBUG LOG: after-truncate"), "{}", kind.label());
    }
}

#[test]
fn syslog_enabled_keeps_the_log_file_working() {
    if !crate::common::pair::have_redis() {
        return;
    }
    // Whether a syslog daemon listens here or not, `syslog-enabled yes` must not change what the file gets.
    if !Path::new("/dev/log").exists() {
        println!("no /dev/log on this machine: syslog delivery itself is not checked, only that logging goes on");
    }
    for kind in KINDS {
        let tmp = TempDir::new(&format!("syslog-{}", kind.label()));
        let (srv, log) = start_with_log(
            kind,
            &tmp,
            &["--syslog-enabled", "yes", "--syslog-ident", "ft", "--syslog-facility", "local3"],
        );
        wait_for_line(&log, "Ready to accept connections");
        let mut c = srv.conn();
        assert_eq!(c.cmd(&["CONFIG", "GET", "syslog-enabled"]), b"*2\r\n$14\r\nsyslog-enabled\r\n$3\r\nyes\r\n");
        assert_eq!(c.cmd(&["CONFIG", "GET", "syslog-facility"]), b"*2\r\n$15\r\nsyslog-facility\r\n$6\r\nlocal3\r\n");
        assert_eq!(c.cmd(&["DEBUG", "LOG", "with-syslog"]), b"+OK\r\n");
        assert!(read(&log).contains("DEBUG LOG: with-syslog"), "{}", kind.label());
        // Immutable at run time, as in Redis.
        let r = c.cmd(&["CONFIG", "SET", "syslog-enabled", "no"]);
        assert!(r.starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'syslog-enabled')"), "{r:?}");
    }
}

/// `ps -o args= -p PID`, trimmed.
fn ps_args(pid: u32) -> String {
    let out = std::process::Command::new("ps").args(["-o", "args=", "-p", &pid.to_string()]).output().expect("ps");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The title without its first word (the executable, which differs between the servers).
fn after_first_word(title: &str) -> String {
    title.split_once(' ').map(|(_, r)| r.to_string()).unwrap_or_default()
}

#[test]
fn process_title_follows_the_template() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut seen = Vec::new();
    for kind in KINDS {
        let srv = Server::start(kind, &["--rdb-key-save-delay", "200000"]);
        let mut c = srv.conn();
        let title = ps_args(srv.pid());
        let exe = match kind {
            Kind::Ferredis => "ferredis-server",
            _ => "redis-server",
        };
        assert!(title.split(' ').next().unwrap_or("").ends_with(exe), "{title}");
        assert_eq!(after_first_word(&title), format!("127.0.0.1:{}", srv.port), "{}", kind.label());

        assert_eq!(c.cmd(&["CONFIG", "SET", "proc-title-template", "{title} p={port} {{x} {config-file}"]), b"+OK\r\n");
        let title = ps_args(srv.pid());
        assert_eq!(after_first_word(&title), format!("p={} {{x}} -", srv.port), "{}", kind.label());
        let mut errors = Vec::new();
        for bad in ["{title", "{nope}", "{server-mode}", "  "] {
            errors.push(c.cmd(&["CONFIG", "SET", "proc-title-template", bad]));
        }
        // A refused template leaves the title alone.
        assert_eq!(ps_args(srv.pid()), title, "{}", kind.label());

        // A forked child carries its role.
        assert_eq!(c.cmd(&["CONFIG", "SET", "proc-title-template", "{title} {listen-addr}"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["SET", "k", "v"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
        let child = common::Resp::parse(&c.cmd(&["INFO", "persistence"])).ok();
        assert!(child.is_some());
        let mut child_title = String::new();
        wait_until("the BGSAVE child's title", 10_000, || {
            let out = std::process::Command::new("ps")
                .args(["-o", "args=", "--ppid", &srv.pid().to_string()])
                .output()
                .expect("ps");
            child_title = String::from_utf8_lossy(&out.stdout).trim().to_string();
            child_title.contains("-rdb-bgsave")
        });
        let role = match kind {
            Kind::Ferredis => "ferredis-rdb-bgsave",
            _ => "redis-rdb-bgsave",
        };
        assert_eq!(child_title, format!("{role} 127.0.0.1:{}", srv.port), "{}", kind.label());
        seen.push(errors);
    }
    assert_eq!(seen[0], seen[1], "CONFIG SET errors of invalid templates");
}

#[test]
fn set_proc_title_no_leaves_the_command_line() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in KINDS {
        let srv = Server::start(kind, &["--set-proc-title", "no"]);
        let title = ps_args(srv.pid());
        assert!(title.contains(&format!("--port {}", srv.port)), "{}: {title}", kind.label());
    }
}
