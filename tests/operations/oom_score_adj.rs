//! `oom-score-adj` / `oom-score-adj-values` on Linux: the same steps on ferredis and on redis-server, reading
//! each server's (and its BGSAVE child's) `/proc/<pid>/oom_score_adj` after every step; the two sequences of
//! scores and replies must be equal.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

fn score_of(pid: u32) -> i32 {
    std::fs::read_to_string(format!("/proc/{pid}/oom_score_adj")).unwrap().trim().parse().unwrap()
}

fn set_score(pid: u32, v: i32) {
    std::fs::write(format!("/proc/{pid}/oom_score_adj"), format!("{v}\n")).unwrap();
}

fn child_of(pid: u32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    text.split_whitespace().next().and_then(|p| p.parse().ok())
}

fn steps(kind: Kind) -> Vec<String> {
    let s = Server::start(kind, &[]);
    let pid = s.pid();
    let mut c = s.conn();
    let mut out = Vec::new();
    let cmd = |c: &mut Conn, args: &[&str], out: &mut Vec<String>| {
        out.push(format!("{args:?} -> {}", String::from_utf8_lossy(&c.cmd(args)).trim_end()));
    };
    // Scores relative to the starting one, so the test does not depend on what the harness inherited.
    let base = score_of(pid);
    let rel = |v: i32| v - base;
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj-values", "10 20 30"], &mut out);
    out.push(format!("untouched while off: {}", rel(score_of(pid))));
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj", "yes"], &mut out);
    out.push(format!("master: {}", rel(score_of(pid))));
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj-values", "15 20 30"], &mut out);
    out.push(format!("master: {}", rel(score_of(pid))));
    cmd(&mut c, &["REPLICAOF", "localhost", "1"], &mut out);
    out.push(format!("replica: {}", rel(score_of(pid))));
    cmd(&mut c, &["REPLICAOF", "NO", "ONE"], &mut out);
    out.push(format!("master again: {}", rel(score_of(pid))));
    cmd(&mut c, &["SET", "key-a", "value-a"], &mut out);
    cmd(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "1000000"], &mut out);
    cmd(&mut c, &["BGSAVE"], &mut out);
    let deadline = Instant::now() + Duration::from_secs(10);
    let child = loop {
        if let Some(p) = child_of(pid) {
            if score_of(p) == base + 30 || Instant::now() > deadline {
                break p;
            }
        }
        assert!(Instant::now() < deadline, "{}: no BGSAVE child", kind.label());
        std::thread::sleep(Duration::from_millis(10));
    };
    out.push(format!("child: {}", rel(score_of(child))));
    // The child sleeps a second per key: end it.
    kill9(child);
    // Turning it off restores the score from before the server took control.
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj", "no"], &mut out);
    out.push(format!("off: {}", rel(score_of(pid))));
    set_score(pid, base + 22);
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj-values", "9 9 9", "oom-score-adj", "yes"], &mut out);
    out.push(format!("relative to the new base: {}", rel(score_of(pid))));
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj", "no"], &mut out);
    out.push(format!("restored: {}", rel(score_of(pid))));
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj", "absolute"], &mut out);
    out.push(format!("absolute: {}", score_of(pid)));
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj", "relative"], &mut out);
    out.push(format!("relative: {}", rel(score_of(pid))));
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj-values", "-2001 -2001 -2001"], &mut out);
    cmd(&mut c, &["CONFIG", "GET", "oom-score-adj"], &mut out);
    cmd(&mut c, &["CONFIG", "GET", "oom-score-adj-values"], &mut out);
    cmd(&mut c, &["CONFIG", "SET", "oom-score-adj", "no"], &mut out);
    set_score(pid, base);
    out
}

/// SIGKILL through the kill(1) command, so the test needs no `unsafe` or extra crate.
fn kill9(pid: u32) {
    let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
}

#[test]
fn oom_score_adj_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: /proc/<pid>/oom_score_adj is Linux-only");
        return;
    }
    let ours = steps(Kind::Ferredis);
    let theirs = steps(Kind::Redis);
    assert_eq!(ours, theirs);
}
