//! The life of the multi-part AOF around rewrites, each scenario run on ferredis and on redis-server with the
//! same steps, comparing what each leaves in `appendonlydir/` (manifest lines, files) and what INFO and the log
//! say:
//! - `aof-disable-auto-gc`: history files pile up while it is on, and go (manifest rewritten) as soon as it is
//!   turned off again;
//! - turning the AOF on at run time: commands gather in a temporary incr file until the first rewrite succeeds; a
//!   failed rewrite removes that file (logged), creates no manifest, and the next attempt starts by itself;
//! - turning the AOF on while a BGSAVE runs only schedules the rewrite: no directory and no files until it ran;
//! - after three failed rewrites in a row, the automatic rewrite backs off (logged once), while BGREWRITEAOF still
//!   runs at once; `aof_rewrites` counts rewrites when they start;
//! - INCRs from several clients while a rewrite runs: the count is exact, also after a restart (no command lost
//!   or written twice across the switch of incr files).
//!
//! Children are kept alive with `rdb-key-save-delay` (microseconds per key) and killed with SIGKILL.

use crate::common;

use common::persist::{child_pids, info_section, persistence_field, sigkill, wait_no_child, wait_until};
use common::{Conn, Kind, Server, TempDir};
use std::path::Path;

/// The manifest's lines, or `["<none>"]` when there is no manifest.
fn manifest_lines(dir: &Path) -> Vec<String> {
    match std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")) {
        Ok(t) => t.lines().map(str::to_string).collect(),
        Err(_) => vec!["<none>".to_string()],
    }
}

/// The names in `appendonlydir/`, sorted (`<no dir>` when it does not exist).
fn aof_dir_files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir.join("appendonlydir")) {
        Ok(rd) => {
            let mut v: Vec<String> = rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            v.sort();
            v
        }
        Err(_) => vec!["<no dir>".to_string()],
    }
}

fn ok(c: &mut Conn, args: &[&str]) {
    let r = c.cmd(args);
    assert_eq!(r, b"+OK\r\n", "{args:?}: {}", String::from_utf8_lossy(&r));
}

fn field(c: &mut Conn, f: &str) -> String {
    persistence_field(c, f)
}

fn stat(c: &mut Conn, f: &str) -> String {
    info_section(c, "stats").into_iter().find(|(k, _)| k == f).map(|(_, v)| v).unwrap_or_default()
}

/// Waits for the fork child of `s` to show up and returns its pid.
fn child_of(s: &Server) -> u32 {
    let mut pid = None;
    wait_until("a fork child", 10_000, || {
        pid = child_pids(s.pid()).first().copied();
        pid.is_some()
    });
    pid.unwrap_or_default()
}

/// How many log lines contain `what`.
fn log_count(s: &Server, what: &str) -> usize {
    s.full_log().lines().filter(|l| l.contains(what)).count()
}

/// The message part of the first log line containing `what` (after the `pid:role date time level` prefix).
fn log_message(s: &Server, what: &str) -> String {
    let log = s.full_log();
    let line = log.lines().find(|l| l.contains(what)).unwrap_or_default();
    line.split_once(['*', '#']).map(|(_, m)| m.trim().to_string()).unwrap_or_default()
}

fn gc_toggle(kind: Kind) -> Vec<String> {
    let dir = TempDir::new(&format!("aofrw-gc-{}", kind.label()));
    let s = Server::start_in(kind, dir.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    let mut obs = Vec::new();
    ok(&mut c, &["SET", "k", "v"]);
    ok(&mut c, &["CONFIG", "SET", "aof-disable-auto-gc", "yes"]);
    for _ in 0..2 {
        wait_no_child(&mut c);
        c.cmd(&["BGREWRITEAOF"]);
        wait_no_child(&mut c);
        assert_eq!(c.cmd(&["SET", "n", "1"]), b"+OK\r\n");
    }
    obs.push(format!("kept: {:?}", manifest_lines(dir.path())));
    obs.push(format!("files: {:?}", aof_dir_files(dir.path())));
    ok(&mut c, &["CONFIG", "SET", "aof-disable-auto-gc", "no"]);
    // The manifest is rewritten before CONFIG SET replies; the files go in the background on Redis.
    obs.push(format!("after gc: {:?}", manifest_lines(dir.path())));
    wait_until("history files removed", 10_000, || aof_dir_files(dir.path()).len() == 3);
    obs.push(format!("files: {:?}", aof_dir_files(dir.path())));
    obs
}

#[test]
fn auto_gc_turned_off_removes_history_at_once() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let ours = gc_toggle(Kind::Ferredis);
    let theirs = gc_toggle(Kind::Redis);
    assert_eq!(ours, theirs, "ferredis vs redis-server");
    assert!(ours[0].matches("type h").count() == 4, "four history files while gc is off: {ours:?}");
    assert!(!ours[2].contains("type h"), "no history once gc is back on: {ours:?}");
}

fn enable_with_failed_rewrites(kind: Kind) -> Vec<String> {
    let dir = TempDir::new(&format!("aofrw-enable-{}", kind.label()));
    let s = Server::start_in(kind, dir.path(), &["--appendonly", "no", "--rdb-key-save-delay", "10000000"]);
    let mut c = s.conn();
    let mut obs = Vec::new();
    for i in 0..5 {
        ok(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    ok(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    obs.push(format!("in progress: {}", field(&mut c, "aof_rewrite_in_progress")));
    ok(&mut c, &["SET", "during-1", "x"]);
    let first = child_of(&s);
    sigkill(first);
    let removed = "Removing the temp incr aof file";
    wait_until("temp incr removed", 10_000, || log_count(&s, removed) == 1);
    obs.push(log_message(&s, removed));
    obs.push(format!("manifest: {:?}", manifest_lines(dir.path())));
    // The next attempt starts by itself.
    let mut second = 0;
    wait_until("the rewrite rescheduled", 10_000, || {
        second = child_pids(s.pid()).first().copied().unwrap_or(0);
        second != 0 && second != first
    });
    obs.push(format!("failures: {}", field(&mut c, "aof_rewrites_consecutive_failures")));
    ok(&mut c, &["SET", "during-2", "x"]);
    let forks = stat(&mut c, "total_forks").parse::<u64>().unwrap_or(0);
    ok(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    sigkill(second);
    wait_until("a third rewrite", 10_000, || stat(&mut c, "total_forks").parse::<u64>().unwrap_or(0) == forks + 1);
    wait_no_child(&mut c);
    obs.push(format!("removed: {}", log_count(&s, removed)));
    obs.push(format!("manifest: {:?}", manifest_lines(dir.path())));
    obs.push(format!("files: {:?}", aof_dir_files(dir.path())));
    obs.push(format!(
        "status: {} failures: {}",
        field(&mut c, "aof_last_bgrewrite_status"),
        field(&mut c, "aof_rewrites_consecutive_failures")
    ));
    ok(&mut c, &["SET", "after", "y"]);
    let digest = c.cmd(&["DEBUG", "DIGEST"]);
    ok(&mut c, &["DEBUG", "LOADAOF"]);
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), digest, "{}: dataset after DEBUG LOADAOF", kind.label());
    obs.push(format!("dbsize: {}", String::from_utf8_lossy(&c.cmd(&["DBSIZE"]))));
    obs
}

#[test]
fn failed_rewrite_while_enabling_drops_the_temp_incr_and_retries() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let ours = enable_with_failed_rewrites(Kind::Ferredis);
    let theirs = enable_with_failed_rewrites(Kind::Redis);
    assert_eq!(ours, theirs, "ferredis vs redis-server");
    assert_eq!(ours[1], "Removing the temp incr aof file temp-appendonly.aof.incr in the background");
    assert_eq!(ours[2], "manifest: [\"<none>\"]");
    assert_eq!(ours[7], "status: ok failures: 0");
}

fn enable_during_bgsave(kind: Kind) -> Vec<String> {
    let dir = TempDir::new(&format!("aofrw-bgsave-{}", kind.label()));
    let s = Server::start_in(kind, dir.path(), &["--appendonly", "no", "--rdb-key-save-delay", "10000000"]);
    let mut c = s.conn();
    let mut obs = Vec::new();
    ok(&mut c, &["SET", "k1", "v1"]);
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    let saver = child_of(&s);
    ok(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    obs.push(format!("scheduled: {}", field(&mut c, "aof_rewrite_scheduled")));
    obs.push(format!("aof_enabled: {}", field(&mut c, "aof_enabled")));
    ok(&mut c, &["SET", "k2", "v2"]);
    obs.push(format!("files while waiting: {:?}", aof_dir_files(dir.path())));
    let forks = stat(&mut c, "total_forks").parse::<u64>().unwrap_or(0);
    ok(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    sigkill(saver);
    wait_until("the scheduled rewrite", 10_000, || {
        stat(&mut c, "total_forks").parse::<u64>().unwrap_or(0) == forks + 1
    });
    wait_no_child(&mut c);
    obs.push(format!("manifest: {:?}", manifest_lines(dir.path())));
    ok(&mut c, &["SET", "k3", "v3"]);
    ok(&mut c, &["DEBUG", "LOADAOF"]);
    for k in ["k1", "k2", "k3"] {
        obs.push(format!("{k}: {}", String::from_utf8_lossy(&c.cmd(&["GET", k]))));
    }
    obs
}

#[test]
fn enabling_during_bgsave_only_schedules_the_rewrite() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let ours = enable_during_bgsave(Kind::Ferredis);
    let theirs = enable_during_bgsave(Kind::Redis);
    assert_eq!(ours, theirs, "ferredis vs redis-server");
    assert_eq!(ours[0], "scheduled: 1");
    assert_eq!(ours[2], "files while waiting: [\"<no dir>\"]");
}

/// Inside MULTI, BGREWRITEAOF and CONFIG SET appendonly yes only schedule the rewrite (Redis's `server.in_exec`):
/// EXEC's replies say so, the log says so, and the cron starts it right after.
fn rewrite_in_exec(kind: Kind) -> Vec<String> {
    let dir = TempDir::new(&format!("aofrw-exec-{}", kind.label()));
    let s = Server::start_in(kind, dir.path(), &["--appendonly", "no"]);
    let mut c = s.conn();
    let mut obs = Vec::new();
    for (what, cmd) in
        [("bgrewriteaof", &["BGREWRITEAOF"][..]), ("appendonly", &["CONFIG", "SET", "appendonly", "yes"])]
    {
        let forks = stat(&mut c, "total_forks").parse::<u64>().unwrap_or(0);
        ok(&mut c, &["MULTI"]);
        assert_eq!(c.cmd(&["SET", "k", what]), b"+QUEUED\r\n");
        assert_eq!(c.cmd(cmd), b"+QUEUED\r\n");
        obs.push(format!("{what}: {}", String::from_utf8_lossy(&c.cmd(&["EXEC"])).replace("\r\n", " ")));
        wait_until("the scheduled rewrite", 10_000, || {
            stat(&mut c, "total_forks").parse::<u64>().unwrap_or(0) == forks + 1
        });
        wait_no_child(&mut c);
    }
    let log = s.log_text();
    obs.push(format!(
        "logged: {}",
        log.contains("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")
    ));
    obs.push(format!("aof_enabled: {}", field(&mut c, "aof_enabled")));
    obs
}

#[test]
fn rewrites_inside_exec_are_scheduled() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let ours = rewrite_in_exec(Kind::Ferredis);
    let theirs = rewrite_in_exec(Kind::Redis);
    assert_eq!(ours, theirs, "ferredis vs redis-server");
    assert_eq!(ours[0], "bgrewriteaof: *2 +OK +Background append only file rewriting scheduled ");
    assert_eq!(ours[2], "logged: true");
}

fn rewrite_limit(kind: Kind) -> Vec<String> {
    let dir = TempDir::new(&format!("aofrw-limit-{}", kind.label()));
    let s = Server::start_in(kind, dir.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    let mut obs = Vec::new();
    ok(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "10000000"]);
    ok(&mut c, &["CONFIG", "SET", "auto-aof-rewrite-percentage", "1"]);
    ok(&mut c, &["CONFIG", "SET", "auto-aof-rewrite-min-size", "1kb"]);
    ok(&mut c, &["SET", "k", "v"]);
    for i in 0..3 {
        assert_eq!(c.cmd(&["BGREWRITEAOF"]), b"+Background append only file rewriting started\r\n");
        // Counted when it starts.
        obs.push(format!("rewrite {i}: aof_rewrites {}", field(&mut c, "aof_rewrites")));
        sigkill(child_of(&s));
        wait_until("the killed rewrite reaped", 10_000, || field(&mut c, "aof_rewrite_in_progress") == "0");
    }
    obs.push(format!("failures: {}", field(&mut c, "aof_rewrites_consecutive_failures")));
    obs.push(format!("manifest: {:?}", manifest_lines(dir.path())));
    // Enough growth for an automatic rewrite: the limit holds it back.
    ok(&mut c, &["SET", "x", &"x".repeat(1100)]);
    let limit = "triggered the limit";
    wait_until("the limit logged", 10_000, || log_count(&s, limit) == 1);
    obs.push(log_message(&s, limit));
    obs.push(format!("in progress: {}", field(&mut c, "aof_rewrite_in_progress")));
    obs.push(format!("manifest: {:?}", manifest_lines(dir.path())));
    // BGREWRITEAOF is not limited.
    ok(&mut c, &["CONFIG", "SET", "auto-aof-rewrite-percentage", "0"]);
    ok(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    assert_eq!(c.cmd(&["BGREWRITEAOF"]), b"+Background append only file rewriting started\r\n");
    wait_no_child(&mut c);
    obs.push(format!("manifest: {:?}", manifest_lines(dir.path())));
    obs.push(format!("failures: {}", field(&mut c, "aof_rewrites_consecutive_failures")));
    obs.push(format!("limit lines: {}", log_count(&s, limit)));
    obs
}

#[test]
fn repeated_rewrite_failures_limit_automatic_rewrites() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let ours = rewrite_limit(Kind::Ferredis);
    let theirs = rewrite_limit(Kind::Redis);
    assert_eq!(ours, theirs, "ferredis vs redis-server");
    assert_eq!(ours[3], "failures: 3");
    assert!(ours[4].contains("appendonly.aof.4.incr.aof"), "one new incr per failed rewrite: {ours:?}");
    assert_eq!(
        ours[5],
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 1 minutes"
    );
    assert_eq!(ours[4], ours[7], "no new incr file while limited");
}

fn incr_across_rewrite(kind: Kind) -> (String, String) {
    const CLIENTS: usize = 4;
    const PER_CLIENT: usize = 2000;
    let dir = TempDir::new(&format!("aofrw-race-{}", kind.label()));
    let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
    let mut s = Server::start_in(kind, dir.path(), &args);
    let port = s.port;
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Conn::connect(port);
                for _ in 0..PER_CLIENT {
                    let r = c.cmd(&["INCR", "foo"]);
                    assert!(r.starts_with(b":"), "INCR: {}", String::from_utf8_lossy(&r));
                }
            })
        })
        .collect();
    let mut c = s.conn();
    // Rewrites while the INCRs run (the second may find the first still running: then it is scheduled).
    wait_until("INCRs under way", 10_000, || c.cmd(&["GET", "foo"]) != b"$-1\r\n");
    c.cmd(&["BGREWRITEAOF"]);
    wait_no_child(&mut c);
    c.cmd(&["BGREWRITEAOF"]);
    for w in workers {
        w.join().expect("INCR client");
    }
    wait_no_child(&mut c);
    let before = String::from_utf8_lossy(&c.cmd(&["GET", "foo"])).into_owned();
    drop(c);
    s.shutdown(&[]);
    let s = Server::start_in(kind, dir.path(), &args);
    let after = String::from_utf8_lossy(&s.conn().cmd(&["GET", "foo"])).into_owned();
    (before, after)
}

#[test]
fn incrs_across_rewrites_survive_a_restart_exactly() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (before, after) = incr_across_rewrite(kind);
        assert_eq!(before, "$4\r\n8000\r\n", "{}: before the restart", kind.label());
        assert_eq!(after, before, "{}: after the restart", kind.label());
    }
}
