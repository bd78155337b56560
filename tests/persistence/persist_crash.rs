//! Durability under crashes and failing disks, each scenario run against ferredis and against redis-server (so
//! every expectation is checked on Redis 7.0 itself):
//! - `appendfsync always`: a client pipelines INCR + SET in batches and records every acknowledged reply; the
//!   server is SIGKILLed under load; after a restart no acknowledged write is missing.
//! - `appendfsync everysec`: writes acknowledged more than 2 s before the kill survive.
//! - the fork child of BGREWRITEAOF (and of BGSAVE) is SIGKILLed: the parent reports the failure
//!   (`aof_last_bgrewrite_status:err`, `rdb_last_bgsave_status:err` and `-MISCONF` with save points), removes its
//!   temp files, keeps serving, and the dataset survives a restart; the next rewrite/save succeeds.
//!   `rdb-key-save-delay` (a Redis test directive, microseconds per key) keeps the child alive long enough.
//! - a full disk (a 2 MB tmpfs mounted for the test; skipped with a notice when mounting is not possible):
//!   BGSAVE fails, writes get Redis's exact `-MISCONF` error, reads go on, and after a successful BGSAVE writes are
//!   accepted again; with the AOF and `everysec`, writes get `-MISCONF Errors writing to the AOF file: No space
//!   left on device` until space is freed, then recover by themselves; with `always`, the server exits (status 1)
//!   rather than acknowledge a write it could not log. In each case every acknowledged write survives a restart.

use crate::common;

use common::persist::{
    assert_same_dataset, child_pids, dataset_snapshot, expect_reply, info_section, ok_cmd, persistence_field,
    read_manifest, run_checker, sigkill, wait_no_child, wait_until,
};
use common::{escape, Conn, Kind, Resp, Server, TempDir};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MISCONF_RDB: &[u8] = b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";
const MISCONF_AOF_ENOSPC: &[u8] = b"-MISCONF Errors writing to the AOF file: No space left on device\r\n";

macro_rules! both {
    ($scenario:ident, $fer:ident, $red:ident) => {
        #[test]
        fn $fer() {
            $scenario(Kind::Ferredis);
        }
        #[test]
        fn $red() {
            if !crate::common::pair::have_redis() {
                return;
            }
            $scenario(Kind::Redis);
        }
    };
}

fn int_of(r: &[u8]) -> Option<i64> {
    Resp::parse(r).ok().and_then(|v| v.as_int())
}

/// What the loading client saw: after each batch, the time and the highest acknowledged counter value and key.
struct LoadLog {
    batches: Vec<(Instant, i64, u64)>,
    sent: u64,
}

/// Pipelines batches of (INCR counter, SET key:<n> <n>) until the connection breaks (or 30 s pass).
fn load_until_killed(port: u16) -> LoadLog {
    let mut c = Conn::connect(port);
    let mut log = LoadLog { batches: Vec::new(), sent: 0 };
    let start = Instant::now();
    let mut acked_counter = 0;
    let mut acked_key = 0u64;
    let mut n = 0u64;
    'outer: while start.elapsed() < Duration::from_secs(30) {
        let mut batch = Vec::new();
        let first = n;
        for _ in 0..25 {
            n += 1;
            batch.extend_from_slice(&common::encode_command(&["INCR", "counter"]));
            batch.extend_from_slice(&common::encode_command(&["SET", &format!("key:{n}"), &n.to_string()]));
        }
        log.sent = n;
        if c.send_raw(&batch).is_err() {
            break;
        }
        for i in first + 1..=n {
            let Ok(r) = c.read_reply() else { break 'outer };
            acked_counter = int_of(&r).unwrap_or_else(|| panic!("INCR replied {}", escape(&r)));
            let Ok(r) = c.read_reply() else { break 'outer };
            assert_eq!(r, b"+OK\r\n", "SET key:{i}");
            acked_key = i;
        }
        log.batches.push((Instant::now(), acked_counter, acked_key));
    }
    log
}

/// Loads with pipelined writes, SIGKILLs the server after `load_ms`, restarts it on the same directory and
/// returns (the load log, the kill time, a connection to the restarted server).
fn crash_under_load(kind: Kind, dir: &TempDir, args: &[&str], load_ms: u64) -> (LoadLog, Instant, Server) {
    let mut s = Server::start_in(kind, dir.path(), args);
    let port = s.port;
    let loader = std::thread::spawn(move || load_until_killed(port));
    std::thread::sleep(Duration::from_millis(load_ms));
    let killed_at = Instant::now();
    s.kill9();
    let log = loader.join().expect("loader thread");
    assert!(
        log.batches.len() >= 5,
        "{}: only {} batches acknowledged before the kill",
        kind.label(),
        log.batches.len()
    );
    let s2 = Server::start_in(kind, dir.path(), args);
    (log, killed_at, s2)
}

fn get_int(c: &mut Conn, key: &str) -> i64 {
    let r = c.cmd(&["GET", key]);
    match Resp::parse(&r) {
        Ok(Resp::Bulk(b)) => std::str::from_utf8(&b).unwrap().parse().unwrap(),
        Ok(Resp::Nil(_)) => 0,
        _ => panic!("GET {key}: {}", escape(&r)),
    }
}

/// Every key:1..=upto must hold its number.
fn assert_keys_present(c: &mut Conn, upto: u64, label: &str) {
    let mut i = 1;
    while i <= upto {
        let end = (i + 499).min(upto);
        let mut args = vec!["MGET".to_string()];
        args.extend((i..=end).map(|k| format!("key:{k}")));
        let r = Resp::parse(&c.cmd(&args)).expect("MGET");
        for (k, v) in (i..=end).zip(r.items().expect("MGET array")) {
            assert_eq!(
                v.as_bytes().map(|b| String::from_utf8_lossy(b).into_owned()),
                Some(k.to_string()),
                "{label}: acknowledged SET key:{k} lost (acknowledged up to key:{upto})"
            );
        }
        i = end + 1;
    }
}

/// `appendfsync always`: nothing acknowledged is lost to SIGKILL.
fn always_no_acked_write_lost(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("crash-always");
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let (log, _, s) = crash_under_load(kind, &dir, &args, 1000);
    let (_, acked, acked_key) = *log.batches.last().unwrap();
    let mut c = s.conn();
    let value = get_int(&mut c, "counter");
    assert!(value >= acked, "{label}: counter {value} after restart < last acknowledged {acked}");
    assert!(value as u64 <= log.sent, "{label}: counter {value} > INCRs sent {}", log.sent);
    assert_keys_present(&mut c, acked_key, label);
    eprintln!("{label}: acknowledged {acked}, sent {}, recovered {value}", log.sent);
}
both!(always_no_acked_write_lost, always_sigkill_ferredis, always_sigkill_redis);

/// `appendfsync everysec`: what was acknowledged 2 s before the kill is there after the restart.
fn everysec_bounded_loss(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("crash-everysec");
    let args = ["--appendonly", "yes", "--appendfsync", "everysec"];
    let (log, killed_at, s) = crash_under_load(kind, &dir, &args, 2600);
    let horizon = killed_at - Duration::from_secs(2);
    let (acked_early, key_early) = log
        .batches
        .iter()
        .rev()
        .find(|(t, _, _)| *t <= horizon)
        .map(|&(_, v, k)| (v, k))
        .unwrap_or_else(|| panic!("{label}: nothing was acknowledged in the first 600 ms of load"));
    assert!(acked_early > 0, "{label}: nothing acknowledged 2 s before the kill");
    let mut c = s.conn();
    let value = get_int(&mut c, "counter");
    assert!(value >= acked_early, "{label}: counter {value} < {acked_early} acknowledged 2 s before the kill");
    assert!(value as u64 <= log.sent, "{label}: counter {value} > INCRs sent {}", log.sent);
    assert_keys_present(&mut c, key_early, label);
    eprintln!(
        "{label}: acknowledged {} (2 s before the kill {acked_early}), recovered {value}",
        log.batches.last().unwrap().1
    );
}
both!(everysec_bounded_loss, everysec_sigkill_ferredis, everysec_sigkill_redis);

/// MSETs `n` keys `bulk:<i>` with values of `size` bytes derived from a seed (incompressible when `random`).
fn fill(c: &mut Conn, n: usize, size: usize, random: bool) {
    let mut rng = common::Prng::new(n as u64 * 31 + size as u64);
    let mut i = 0;
    while i < n {
        let mut args: Vec<Vec<u8>> = vec![b"MSET".to_vec()];
        for k in i..(i + 100).min(n) {
            args.push(format!("bulk:{k}").into_bytes());
            let v: Vec<u8> = if random {
                (0..size).map(|_| rng.next_u64() as u8).collect()
            } else {
                format!("{k:0size$}").into_bytes()
            };
            args.push(v);
        }
        ok_cmd(c, &args);
        i += 100;
    }
}

/// Waits (bounded) for the fork child of `server` to appear; returns its pid.
fn find_child(server: &Server, what: &str) -> u32 {
    let mut pid = None;
    wait_until(
        &format!("the {what} child of pid {} (rdb-key-save-delay keeps it alive)", server.pid()),
        10_000,
        || {
            pid = child_pids(server.pid()).first().copied();
            pid.is_some()
        },
    );
    pid.unwrap()
}

fn temp_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for d in [dir.to_path_buf(), dir.join("appendonlydir")] {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("temp-") {
                    out.push(n);
                }
            }
        }
    }
    out
}

/// SIGKILL the BGREWRITEAOF child: the rewrite fails cleanly, the old AOF stays valid, the next one succeeds.
fn kill_rewrite_child(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("crash-rewrite-child");
    let args = ["--appendonly", "yes", "--appendfsync", "always", "--rdb-key-save-delay", "1000"];
    let mut s = Server::start_in(kind, dir.path(), &args);
    let mut c = s.conn();
    fill(&mut c, 3000, 20, false);
    let base_before = read_manifest(dir.path()).into_iter().find(|e| e.kind == 'b').expect("base");
    expect_reply(&mut c, &["BGREWRITEAOF"], b"+Background append only file rewriting started\r\n", label);
    assert_eq!(persistence_field(&mut c, "aof_rewrite_in_progress"), "1", "{label}: right after BGREWRITEAOF");
    let child = find_child(&s, "AOF rewrite");
    sigkill(child);
    wait_until("aof_rewrite_in_progress:0", 10_000, || persistence_field(&mut c, "aof_rewrite_in_progress") == "0");
    assert_eq!(persistence_field(&mut c, "aof_last_bgrewrite_status"), "err", "{label}: after the child was killed");
    // Writes go on (the AOF itself is fine) and land in the incr file.
    expect_reply(&mut c, &["SET", "after-failed-rewrite", "1"], b"+OK\r\n", label);
    let base_after = read_manifest(dir.path()).into_iter().find(|e| e.kind == 'b').expect("base");
    assert_eq!(base_before, base_after, "{label}: a failed rewrite must not replace the base");
    wait_until("temp files of the failed rewrite removed", 5000, || temp_files(dir.path()).is_empty());
    let manifest = dir.path().join("appendonlydir/appendonly.aof.manifest");
    if crate::common::pair::have_tool("/usr/bin/redis-check-aof") {
        let (ok, out) = run_checker("/usr/bin/redis-check-aof", &[manifest.to_str().unwrap()]);
        assert!(ok, "{label}: redis-check-aof after the failed rewrite:\n{out}");
    }
    let before = dataset_snapshot(&mut c);
    s.kill9();
    let s = Server::start_in(kind, dir.path(), &args);
    let mut c = s.conn();
    assert_same_dataset(&before, &dataset_snapshot(&mut c), 0, "before", "after", &format!("{label} failed rewrite"));
    // With the delay off, the next rewrite succeeds.
    expect_reply(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"], b"+OK\r\n", label);
    expect_reply(&mut c, &["BGREWRITEAOF"], b"+Background append only file rewriting started\r\n", label);
    wait_no_child(&mut c);
    assert_eq!(persistence_field(&mut c, "aof_last_bgrewrite_status"), "ok", "{label}: second rewrite");
    let base_new = read_manifest(dir.path()).into_iter().find(|e| e.kind == 'b').expect("base");
    assert!(base_new.seq > base_before.seq, "{label}: the successful rewrite installs a new base");
    drop(c);
    drop(s);
    let s = Server::start_in(kind, dir.path(), &args);
    let mut c = s.conn();
    assert_same_dataset(&before, &dataset_snapshot(&mut c), 0, "before", "after", &format!("{label} rewrite"));
}
both!(kill_rewrite_child, kill_rewrite_child_ferredis, kill_rewrite_child_redis);

/// SIGKILL the BGSAVE child with save points configured: `rdb_last_bgsave_status:err`, writes refused with
/// MISCONF, reads served; a successful BGSAVE lifts it.
fn kill_bgsave_child(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("crash-bgsave-child");
    let args = ["--save", "3600 1", "--rdb-key-save-delay", "1000"];
    let s = Server::start_in(kind, dir.path(), &args);
    let mut c = s.conn();
    fill(&mut c, 3000, 20, false);
    expect_reply(&mut c, &["BGSAVE"], b"+Background saving started\r\n", label);
    let child = find_child(&s, "BGSAVE");
    sigkill(child);
    wait_until("rdb_bgsave_in_progress:0", 10_000, || persistence_field(&mut c, "rdb_bgsave_in_progress") == "0");
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "err", "{label}");
    expect_reply(&mut c, &["SET", "x", "1"], MISCONF_RDB, label);
    expect_reply(&mut c, &["GET", "bulk:7"], b"$20\r\n00000000000000000007\r\n", label);
    assert!(!dir.path().join("dump.rdb").exists(), "{label}: a killed BGSAVE must not leave a dump.rdb");
    wait_until("temp-*.rdb of the killed child removed", 5000, || temp_files(dir.path()).is_empty());
    expect_reply(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"], b"+OK\r\n", label);
    expect_reply(&mut c, &["BGSAVE"], b"+Background saving started\r\n", label);
    wait_no_child(&mut c);
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "ok", "{label}");
    expect_reply(&mut c, &["SET", "x", "1"], b"+OK\r\n", label);
}
both!(kill_bgsave_child, kill_bgsave_child_ferredis, kill_bgsave_child_redis);

/// SIGKILL the server while its BGSAVE child still writes: the orphaned child must not keep the server's port
/// (Redis's child closes the listening sockets right after the fork), so a new server can start on it at once.
fn orphaned_child_frees_the_port(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("crash-orphan-child");
    let mut s = Server::start_in(kind, dir.path(), &["--rdb-key-save-delay", "100000"]);
    let port = s.port;
    let mut c = s.conn();
    fill(&mut c, 200, 20, false);
    expect_reply(&mut c, &["BGSAVE"], b"+Background saving started\r\n", label);
    let child = find_child(&s, "BGSAVE");
    drop(c);
    s.kill9();
    // The child closes the listening sockets as its first act, but on a loaded machine it may not have run yet when
    // the parent dies: a child that keeps them holds the port for its whole save (100 s here), so a few tries over
    // two seconds tell the two apart.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let bound = loop {
        let b = std::net::TcpListener::bind(("127.0.0.1", port));
        if b.is_ok() || std::time::Instant::now() > deadline {
            break b;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let child_alive = Path::new(&format!("/proc/{child}")).exists();
    sigkill(child);
    assert!(child_alive, "{label}: the child should outlive its parent for this test to mean anything");
    assert!(bound.is_ok(), "{label}: port {port} still held after the parent died: {:?}", bound.err());
}
both!(orphaned_child_frees_the_port, orphaned_child_frees_the_port_ferredis, orphaned_child_frees_the_port_redis);

/// A tmpfs mounted on a scratch directory for one test; unmounted on drop (after the servers, which are declared
/// later and so dropped first).
struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    fn mount(tag: &str, size: &str) -> Option<Tmpfs> {
        let dir = TempDir::new(tag);
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", dir.path().to_str().unwrap()])
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!("SKIPPED: cannot mount a tmpfs ({})", String::from_utf8_lossy(&o.stderr).trim());
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let p = self.dir.path().to_str().unwrap().to_string();
        for _ in 0..50 {
            if Command::new("umount").arg(&p).status().map(|s| s.success()).unwrap_or(false) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("umount").args(["-l", &p]).status();
    }
}

/// BGSAVE on a full disk fails; writes get MISCONF until a BGSAVE succeeds again.
fn full_disk_bgsave(kind: Kind) {
    let label = kind.label();
    let Some(fs) = Tmpfs::mount("full-rdb", "2m") else { return };
    let args = ["--save", "3600 1"];
    let s = Server::start_in(kind, fs.path(), &args);
    let mut c = s.conn();
    fill(&mut c, 3000, 1000, true);
    expect_reply(&mut c, &["BGSAVE"], b"+Background saving started\r\n", label);
    wait_no_child(&mut c);
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "err", "{label}: BGSAVE of 3 MB on 2 MB");
    assert!(!fs.path().join("dump.rdb").exists(), "{label}: no dump.rdb after the failed save");
    assert!(temp_files(fs.path()).is_empty(), "{label}: temp files left: {:?}", temp_files(fs.path()));
    expect_reply(&mut c, &["SET", "x", "1"], MISCONF_RDB, label);
    expect_reply(&mut c, &["DEL", "bulk:1"], MISCONF_RDB, label);
    let r = c.cmd(&["GET", "bulk:1"]);
    assert!(r.starts_with(b"$1000\r\n"), "{label}: reads go on: {}", escape(&r[..r.len().min(40)]));
    expect_reply(&mut c, &["DBSIZE"], b":3000\r\n", label);
    // Let writes through to make room; the error stays until a save succeeds.
    expect_reply(&mut c, &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"], b"+OK\r\n", label);
    let mut del: Vec<String> = vec!["DEL".into()];
    del.extend((0..2900).map(|k| format!("bulk:{k}")));
    expect_reply(&mut c, &del, b":2900\r\n", label);
    expect_reply(&mut c, &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"], b"+OK\r\n", label);
    expect_reply(&mut c, &["SET", "x", "1"], MISCONF_RDB, label);
    expect_reply(&mut c, &["BGSAVE"], b"+Background saving started\r\n", label);
    wait_no_child(&mut c);
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "ok", "{label}: BGSAVE of 100 KB");
    expect_reply(&mut c, &["SET", "x", "1"], b"+OK\r\n", label);
    expect_reply(&mut c, &["SAVE"], b"+OK\r\n", label);
    let before = dataset_snapshot(&mut c);
    drop(c);
    drop(s);
    let s = Server::start_in(kind, fs.path(), &args);
    let mut c = s.conn();
    assert_same_dataset(&before, &dataset_snapshot(&mut c), 0, "before", "after", &format!("{label} full disk"));
}
both!(full_disk_bgsave, full_disk_bgsave_ferredis, full_disk_bgsave_redis);

/// Writes 1 KB random values until a reply is not +OK; returns (the acknowledged count, the failing reply,
/// whether the connection broke).
fn write_until_refused(c: &mut Conn, max: usize) -> (usize, Vec<u8>, bool) {
    let mut rng = common::Prng::new(99);
    for i in 0..max {
        let v: Vec<u8> = (0..1000).map(|_| rng.next_u64() as u8).collect();
        let key = format!("big:{i}");
        match c.try_cmd(&[b"SET".as_slice(), key.as_bytes(), &v]) {
            Ok(r) if r == b"+OK\r\n" => continue,
            Ok(r) => return (i, r, false),
            Err(_) => return (i, Vec::new(), true),
        }
    }
    panic!("{max} writes of 1 KB all acknowledged on a nearly full 2 MB tmpfs");
}

/// Puts a file of `bytes` into the tmpfs so the AOF fills it quickly.
fn filler(fs: &Tmpfs, bytes: usize) -> std::path::PathBuf {
    let p = fs.path().join("filler");
    let mut rng = common::Prng::new(5);
    let data: Vec<u8> = (0..bytes).map(|_| rng.next_u64() as u8).collect();
    std::fs::write(&p, data).expect("write filler");
    p
}

/// Every big:0..n must be present with the value write_until_refused gave it.
fn assert_big_present(c: &mut Conn, n: usize, label: &str) {
    let mut rng = common::Prng::new(99);
    for i in 0..n {
        let v: Vec<u8> = (0..1000).map(|_| rng.next_u64() as u8).collect();
        let r = c.cmd(&["GET", &format!("big:{i}")]);
        let got = Resp::parse(&r).ok().and_then(|x| x.as_bytes().map(|b| b.to_vec()));
        assert!(got.as_deref() == Some(&v[..]), "{label}: acknowledged big:{i} lost or wrong after restart");
    }
}

/// AOF with everysec on a full disk: writes are refused with MISCONF (reads go on) until space is freed, then
/// accepted again without intervention; every acknowledged write survives a restart and the AOF is valid.
fn full_disk_aof_everysec(kind: Kind) {
    let label = kind.label();
    let Some(fs) = Tmpfs::mount("full-aof-everysec", "2m") else { return };
    let args = ["--appendonly", "yes", "--appendfsync", "everysec"];
    let s = Server::start_in(kind, fs.path(), &args);
    let mut c = s.conn();
    let fill_path = filler(&fs, 1_500_000);
    let (acked, reply, broke) = write_until_refused(&mut c, 2000);
    assert!(!broke, "{label}: the connection broke instead of an error reply");
    assert!(acked > 100, "{label}: only {acked} writes before the disk was full");
    assert!(reply == MISCONF_AOF_ENOSPC, "{label}: write on a full disk replied {}", escape(&reply));
    assert_eq!(persistence_field(&mut c, "aof_last_write_status"), "err", "{label}");
    expect_reply(&mut c, &["SET", "x", "1"], MISCONF_AOF_ENOSPC, label);
    let r = c.cmd(&["GET", "big:0"]);
    assert!(r.starts_with(b"$1000\r\n"), "{label}: reads go on: {}", escape(&r[..r.len().min(40)]));
    std::fs::remove_file(&fill_path).expect("remove filler");
    wait_until("writes accepted again after space was freed", 10_000, || c.cmd(&["SET", "x", "1"]) == b"+OK\r\n");
    assert_eq!(persistence_field(&mut c, "aof_last_write_status"), "ok", "{label}: after recovery");
    expect_reply(&mut c, &["SET", "after-recovery", "1"], b"+OK\r\n", label);
    // `everysec` postpones a write (and still replies) while a background fsync runs, as Redis does, so the last
    // acknowledged writes may be in memory for up to 2 s: the kill below waits for the buffer to reach the file.
    wait_until("the AOF buffer written out before the kill", 10_000, || {
        persistence_field(&mut c, "aof_buffer_length") == "0"
    });
    drop(c);
    drop(s);
    let manifest = fs.path().join("appendonlydir/appendonly.aof.manifest");
    if crate::common::pair::have_tool("/usr/bin/redis-check-aof") {
        let (ok, out) = run_checker("/usr/bin/redis-check-aof", &[manifest.to_str().unwrap()]);
        assert!(ok, "{label}: redis-check-aof after the full-disk episode:\n{out}");
    }
    let s = Server::start_in(kind, fs.path(), &args);
    let mut c = s.conn();
    assert_big_present(&mut c, acked, label);
    expect_reply(&mut c, &["GET", "after-recovery"], b"$1\r\n1\r\n", label);
}
both!(full_disk_aof_everysec, full_disk_aof_everysec_ferredis, full_disk_aof_everysec_redis);

/// AOF with always on a full disk: Redis cannot keep its promise, so it exits with status 1 rather than
/// acknowledge; after space is freed, a restart has every acknowledged write and the AOF is valid.
fn full_disk_aof_always(kind: Kind) {
    let label = kind.label();
    let Some(fs) = Tmpfs::mount("full-aof-always", "2m") else { return };
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let mut s = Server::start_in(kind, fs.path(), &args);
    let mut c = s.conn();
    let fill_path = filler(&fs, 1_500_000);
    let (acked, reply, broke) = write_until_refused(&mut c, 2000);
    assert!(acked > 100, "{label}: only {acked} writes before the disk was full");
    assert!(broke, "{label}: expected the server to exit, got the reply {}", escape(&reply));
    let st = s.wait_exit(10_000).unwrap_or_else(|| panic!("{label}: still running after an AOF write error"));
    assert_eq!(st.code(), Some(1), "{label}: exit status after an AOF write error with appendfsync always");
    std::fs::remove_file(&fill_path).expect("remove filler");
    let manifest = fs.path().join("appendonlydir/appendonly.aof.manifest");
    if crate::common::pair::have_tool("/usr/bin/redis-check-aof") {
        let (ok, out) = run_checker("/usr/bin/redis-check-aof", &[manifest.to_str().unwrap()]);
        assert!(ok, "{label}: redis-check-aof after the exit (a partial write must be truncated):\n{out}");
    }
    let s = Server::start_in(kind, fs.path(), &args);
    let mut c = s.conn();
    assert_big_present(&mut c, acked, label);
    let r = info_section(&mut c, "keyspace");
    assert!(!r.is_empty(), "{label}: keyspace empty after restart");
}
both!(full_disk_aof_always, full_disk_aof_always_ferredis, full_disk_aof_always_redis);
