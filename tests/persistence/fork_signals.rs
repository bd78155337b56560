//! Signals sent to forked children, against redis-server 7.0.15. A BGSAVE child keeps the server's SIGTERM
//! handler, as Redis's does: it logs "Received SIGTERM scheduling shutdown..." and finishes the save. SIGUSR1 (how a
//! server stops its child on purpose) makes it log "Received SIGUSR1 in child, exiting now." and leave, which the
//! parent reports as "terminated by signal 10" without counting a failure. The Lua debugger's session child holds
//! no listening socket (the server keeps answering on the port) and ignores SIGTERM: the session goes on.

use crate::common;

use common::{encode_command, info_field, wait_for, Conn, Kind, Server};

/// The pid in the first log line containing `phrase` after its own pid prefix, or in its text.
fn pid_from_log(s: &Server, phrase: &str) -> i32 {
    let mut pid = 0;
    wait_for(phrase, || {
        let log = s.full_log();
        let line = log.lines().rev().find(|l| l.contains(phrase)).map(str::to_string);
        pid = line.and_then(|l| l.rsplit(' ').next().and_then(|w| w.parse().ok())).unwrap_or(0);
        pid > 0
    });
    pid
}

fn signal(pid: i32, sig: &str) {
    let st = std::process::Command::new("kill").args([sig, &pid.to_string()]).status().expect("kill");
    assert!(st.success());
}

fn bgsave_child(s: &Server, c: &mut Conn) -> i32 {
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    pid_from_log(s, "Background saving started by pid")
}

const fn libc_sigusr1() -> u32 {
    10
}

/// Whether process `pid` has a handler for signal `sig` (its `SigCgt` mask in /proc).
fn catches(pid: i32, sig: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(mask, 16).is_ok_and(|m| m & (1 << (sig - 1)) != 0)
}

fn wait_bgsave_done(c: &mut Conn) {
    wait_for("the BGSAVE to end", || info_field(c, "persistence", "rdb_bgsave_in_progress") == "0");
}

#[test]
fn bgsave_child_sigterm_and_sigusr1_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Redis, Kind::Ferredis] {
        let s = Server::start(kind, &["--rdb-key-save-delay", "20000"]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "60"]), b"+OK\r\n");
        // SIGTERM: logged by the child, which goes on and saves.
        let child = bgsave_child(&s, &mut c);
        signal(child, "-TERM");
        wait_bgsave_done(&mut c);
        let log = s.full_log();
        let label = kind.label();
        assert!(
            log.contains(&format!("{child}:signal-handler ("))
                && log.contains("Received SIGTERM scheduling shutdown..."),
            "{label}: {}",
            s.log_text()
        );
        assert!(log.contains("Background saving terminated with success"), "{label}: {}", s.log_text());
        assert_eq!(info_field(&mut c, "persistence", "rdb_last_bgsave_status"), "ok", "{label}");
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n", "{label}: the server itself goes on");
        // SIGUSR1: the child leaves at once; not a failed save.
        let child = bgsave_child(&s, &mut c);
        // Only once the child has its handler (a signal right after the fork meets the default action).
        wait_for("the child's SIGUSR1 handler", || catches(child, libc_sigusr1()));
        signal(child, "-USR1");
        wait_bgsave_done(&mut c);
        let log = s.full_log();
        let exiting = format!("{child}:signal-handler (");
        assert!(
            log.lines().any(|l| l.starts_with(&exiting) && l.ends_with("Received SIGUSR1 in child, exiting now.")),
            "{label}: {}",
            s.log_text()
        );
        assert!(log.contains("Background saving terminated by signal 10"), "{label}: {}", s.log_text());
        assert_eq!(info_field(&mut c, "persistence", "rdb_last_bgsave_status"), "ok", "{label}");
        assert!(!s.dir().join(format!("temp-{child}.rdb")).exists(), "{label}: temp file left");
    }
}

/// Descriptors of `pid` that are listening TCP sockets (matched by inode against /proc/net/tcp{,6}).
fn listening_fds(pid: i32) -> usize {
    let mut listening = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && f[3] == "0A" {
                listening.push(f[9].to_string());
            }
        }
    }
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return 0 };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            l.to_str().and_then(|s| s.strip_prefix("socket:[")).map(|s| s.trim_end_matches(']').to_string())
        })
        .filter(|inode| listening.contains(inode))
        .count()
}

#[test]
fn debugger_child_holds_no_listener_and_ignores_sigterm() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut outs = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let s = Server::start(kind, &[]);
        assert!(listening_fds(s.pid() as i32) > 0, "the server's own listener is seen");
        let mut d = s.conn();
        assert_eq!(d.cmd(&["SCRIPT", "DEBUG", "YES"]), b"+OK\r\n");
        let script = "redis.call('set','k','v')\nreturn redis.call('get','k')";
        let first = d.cmd(&["EVAL", script, "0"]);
        let mut child = 0;
        wait_for("the debugger's fork", || {
            let log = s.full_log();
            let line = log.lines().find(|l| l.contains("forked for debugging eval")).map(str::to_string);
            child = line.and_then(|l| l.split(':').next().and_then(|p| p.parse().ok())).unwrap_or(0);
            child > 0
        });
        assert_eq!(listening_fds(child), 0, "{}: the debugger's child holds a listener", kind.label());
        // The port still answers, from the server.
        assert_eq!(s.conn().cmd(&["PING"]), b"+PONG\r\n");
        signal(child, "-TERM");
        std::thread::sleep(std::time::Duration::from_millis(200));
        d.send_raw(&encode_command(&["c"])).expect("send");
        let (rest, closed) = d.read_until_close(10_000);
        assert!(closed, "{}", kind.label());
        outs.push((first, rest));
    }
    assert_eq!(outs[0], outs[1]);
}
