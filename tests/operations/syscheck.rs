//! The machine checks (`src/sys/syscheck.rs`): `--check-system` and the start-up warnings agree with redis-server's
//! on this machine, and with transparent huge pages set to `always` the server turns them off for itself
//! (`disable-thp yes`) or warns (`disable-thp no`), as Redis does; `--version` keeps redis-server's fields.

use crate::common;

use common::{Kind, Server};
use std::process::Command;

/// Held by each test here: one of them sets the machine's THP mode to `always` for a moment, which the others
/// read (run at the same time, `--check-system` on one server could read the other mode than on the other).
static MACHINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn machine() -> std::sync::MutexGuard<'static, ()> {
    MACHINE.lock().unwrap_or_else(|e| e.into_inner())
}

/// `--check-system`'s verdict per check (`[name]...OK`, `skipped`, or `WARNING:`) and the exit status.
fn check_system(bin: &std::path::Path) -> (Vec<(String, String)>, Option<i32>) {
    let out = Command::new(bin).arg("--check-system").output().expect("run --check-system");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let verdicts = text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('[')?;
            let (name, verdict) = rest.split_once("]...")?;
            Some((name.to_string(), verdict.trim_end_matches(':').to_string()))
        })
        .collect();
    (verdicts, out.status.code())
}

#[test]
fn check_system_reports_what_redis_reports() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _machine = machine();
    let (ours, our_status) = check_system(&common::ferredis_bin());
    let (theirs, their_status) = check_system(&Kind::Redis.bin());
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs), "the same checks in the same order");
    for ((name, ours), (_, theirs)) in ours.iter().zip(&theirs) {
        // The clock-speed check times a busy loop; its verdict is a measurement, the others read settings.
        if name != "slow-clocksource" {
            assert_eq!(ours, theirs, "[{name}]");
        }
    }
    if ours.iter().zip(&theirs).all(|(a, b)| a.1 == b.1) {
        assert_eq!(our_status, their_status, "exit status");
    }
}

/// The warnings in a start-up log, without the pid and time prefix.
fn startup_warnings(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.split_once(" # WARNING").map(|(_, w)| w.trim_start_matches(':').trim_start().to_string()))
        .collect()
}

#[test]
fn startup_warns_about_the_same_settings_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _machine = machine();
    let ours = Server::ferredis();
    let theirs = Server::redis();
    let ours_w = startup_warnings(&ours.full_log());
    let theirs_w = startup_warnings(&theirs.full_log());
    for topic in ["Memory overcommit", "Transparent Huge Pages", "'xen' clocksource"] {
        assert_eq!(
            ours_w.iter().any(|w| w.contains(topic)),
            theirs_w.iter().any(|w| w.contains(topic)),
            "{topic}: ferredis {ours_w:?}, redis {theirs_w:?}"
        );
    }
}

const THP_MODE: &str = "/sys/kernel/mm/transparent_hugepage/enabled";

/// Sets the machine's THP mode for the life of the guard and puts the previous one back on drop (also when the
/// test fails).
struct ThpMode(String);

impl ThpMode {
    /// `None` when the mode cannot be changed here (no such file, or not root).
    fn set(mode: &str) -> Option<ThpMode> {
        let text = std::fs::read_to_string(THP_MODE).ok()?;
        let previous = text.split_whitespace().find(|w| w.starts_with('['))?.trim_matches(['[', ']']).to_string();
        std::fs::write(THP_MODE, mode).ok()?;
        Some(ThpMode(previous))
    }
}

impl Drop for ThpMode {
    fn drop(&mut self) {
        let _ = std::fs::write(THP_MODE, &self.0);
    }
}

/// `THP_enabled` of a process's status (Linux 5.0+): 1 unless huge pages are turned off for it.
fn thp_enabled(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("THP_enabled:")).map(|v| v.trim().to_string())
}

#[test]
fn thp_always_is_turned_off_for_the_server_or_warned_about() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _machine = machine();
    // Other tests' servers may start while the mode is `always`: both servers turn THP off for themselves then,
    // which changes nothing any test looks at.
    let Some(_mode) = ThpMode::set("always") else {
        println!("skipped: {THP_MODE} cannot be written here (needs root and a kernel with THP)");
        return;
    };
    let off = Server::start(Kind::Ferredis, &["--disable-thp", "yes"]);
    let on = Server::start(Kind::Ferredis, &["--disable-thp", "no"]);
    let redis = Server::start(Kind::Redis, &[]);
    let Some(flag) = thp_enabled(off.pid()) else {
        println!("skipped: this kernel's /proc/<pid>/status has no THP_enabled line");
        return;
    };
    assert_eq!(flag, "0", "disable-thp yes: huge pages off for the process");
    assert_eq!(thp_enabled(on.pid()).as_deref(), Some("1"), "disable-thp no: left on");
    assert_eq!(thp_enabled(redis.pid()).as_deref(), Some("0"), "the oracle turns them off too");
    let thp_warned = |s: &Server| startup_warnings(&s.full_log()).iter().any(|w| w.contains("Transparent Huge Pages"));
    assert!(!thp_warned(&off), "no warning once turned off: {}", off.full_log());
    assert!(thp_warned(&on), "a warning when left on: {}", on.full_log());
    assert!(!thp_warned(&redis), "{}", redis.full_log());
    // Turned off before any data exists: 200,000 keys' table (a few MiB) is not in huge pages.
    let mut c = off.conn();
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "200000"]), b"+OK\r\n");
    let rollup = std::fs::read_to_string(format!("/proc/{}/smaps_rollup", off.pid())).unwrap_or_default();
    if let Some(kb) = rollup.lines().find_map(|l| l.strip_prefix("AnonHugePages:")) {
        assert_eq!(kb.trim(), "0 kB", "{rollup}");
    }
}

#[test]
fn a_maxmemory_under_a_megabyte_is_warned_about_in_redis_words() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _machine = machine();
    let line =
        |s: &Server| startup_warnings(&s.full_log()).into_iter().find(|w| w.starts_with("You specified a maxmemory"));
    let ours = Server::start(Kind::Ferredis, &["--maxmemory", "100000"]);
    let theirs = Server::start(Kind::Redis, &["--maxmemory", "100000"]);
    let (ours_w, theirs_w) = (line(&ours), line(&theirs));
    assert!(theirs_w.is_some(), "the oracle warns: {}", theirs.full_log());
    assert_eq!(ours_w, theirs_w);
    let quiet = Server::start(Kind::Ferredis, &["--maxmemory", "2mb"]);
    assert_eq!(line(&quiet), None, "{}", quiet.full_log());
}

/// `--version` keeps redis-server's field positions (`<name> server v=<version> sha=<sha>:<dirty> malloc=<allocator>
/// bits=<bits> build=<id>`), so that scripts that split redis-server's or valkey-server's line read ours; the version
/// is ferredis's own (Cargo.toml's), and `-v` prints the same line.
#[test]
fn version_line_has_redis_servers_fields() {
    fn fields(bin: &std::path::Path, flag: &str) -> Vec<String> {
        let out = Command::new(bin).arg(flag).output().expect("run --version");
        assert!(out.status.success(), "{bin:?} {flag}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim_end().split(' ').map(str::to_string).collect()
    }
    let ours = fields(&Kind::Ferredis.bin(), "--version");
    assert_eq!(ours[..2], ["ferredis", "server"], "{ours:?}");
    assert_eq!(ours[2], format!("v={}", env!("CARGO_PKG_VERSION")));
    assert_eq!(fields(&Kind::Ferredis.bin(), "-v"), ours);
    let keys = |f: &[String]| f[2..].iter().map(|w| w.split('=').next().unwrap_or("").to_string()).collect::<Vec<_>>();
    assert_eq!(keys(&ours), ["v", "sha", "malloc", "bits", "build"], "{ours:?}");
    if !common::pair::have_redis() {
        return;
    }
    let redis = fields(&Kind::Redis.bin(), "--version");
    assert_eq!(redis.len(), ours.len(), "{redis:?} against {ours:?}");
    assert_eq!(keys(&redis), keys(&ours));
    assert_eq!(redis[1], ours[1]);
}
