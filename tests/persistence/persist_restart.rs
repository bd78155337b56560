//! Round trips through the disk: a server writes a rich dataset (every type and Redis 7.0 encoding, TTLs, three
//! databases), persists it one way (SAVE, SHUTDOWN with save points, SIGTERM, BGSAVE, the AOF with `appendfsync
//! always` and SIGKILL, BGREWRITEAOF with and without an RDB preamble, `CONFIG SET appendonly yes` at run time,
//! DEBUG RELOAD/LOADAOF), then a new server starts in the same directory and must show the same dataset (every
//! key, its type, full contents and TTL within a tolerance) and the same `OBJECT ENCODING`s.
//!
//! Also: which file is loaded at start (AOF vs dump.rdb), save points, replies while a fork child runs, LASTSAVE
//! and the INFO persistence counters and field names, and a seeded random workload through every path.
//!
//! Each scenario runs against ferredis and against redis-server (`*_redis` tests), so the expectations are checked
//! on Redis itself; `FERREDIS_BIN=/usr/bin/redis-server` makes both variants Redis.

use crate::common;

use common::persist::{
    aof_dir, assert_rich_encodings, assert_same_dataset, base_entry, bgrewriteaof_and_wait, bgsave_and_wait,
    dataset_snapshot, encodings, expect_reply, info_section, load_rich_dataset, more_writes, ok_cmd,
    parse_aof_commands, persistence_field, random_command, read_manifest, wait_no_child, wait_until, Snapshot,
};
use common::{escape, Conn, Kind, Server, TempDir};
use std::time::Duration;

/// TTLs may shrink between a snapshot and the one after a restart.
const TTL_TOLERANCE_MS: i64 = 10_000;

const AOF_ALWAYS: &[&str] = &["--appendonly", "yes", "--appendfsync", "always"];

/// Redis 7.0 refuses DEBUG unless enabled.
const DEBUG: &[&str] = &["--enable-debug-command", "yes"];

fn start(kind: Kind, dir: &TempDir, extra: &[&str]) -> (Server, Conn) {
    let s = Server::start_in(kind, dir.path(), extra);
    let c = s.conn();
    (s, c)
}

/// Dataset and encodings before, to compare after the restart.
struct Before {
    snap: Snapshot,
    enc: Vec<(u32, String, String)>,
}

fn before(c: &mut Conn, label: &str) -> Before {
    assert_rich_encodings(c, label);
    Before { snap: dataset_snapshot(c), enc: encodings(c) }
}

fn assert_after(c: &mut Conn, b: &Before, label: &str, context: &str) {
    let snap = dataset_snapshot(c);
    assert_same_dataset(&b.snap, &snap, TTL_TOLERANCE_MS, "before", "after", &format!("{label} {context}"));
    let enc = encodings(c);
    assert_eq!(b.enc, enc, "{label} {context}: OBJECT ENCODING of some key changed");
}

fn dbsize(c: &mut Conn) -> i64 {
    let r = c.cmd(&["DBSIZE"]);
    std::str::from_utf8(&r[1..r.len() - 2]).unwrap().parse().unwrap_or_else(|_| panic!("DBSIZE: {}", escape(&r)))
}

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

/// (a) SAVE, SIGKILL, restart: the dump is loaded. A key that expired while the server was down is not loaded.
fn save_then_restart(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-save");
    let (mut s, mut c) = start(kind, &dir, &[]);
    load_rich_dataset(&mut c);
    ok_cmd(&mut c, &["SET", "short-lived", "x", "PX", "400"]);
    expect_reply(&mut c, &["SAVE"], b"+OK\r\n", &format!("{label} SAVE"));
    assert!(dir.path().join("dump.rdb").exists(), "{label}: SAVE wrote no dump.rdb");
    ok_cmd(&mut c, &["DEL", "short-lived"]);
    let b = before(&mut c, label);
    let keys = dbsize(&mut c);
    s.kill9();
    std::thread::sleep(Duration::from_millis(500));
    let (_s, mut c) = start(kind, &dir, &[]);
    // DBSIZE does not expire keys: an expired key in the file must not have been loaded at all.
    assert_eq!(dbsize(&mut c), keys, "{label}: db 0 size after loading (the expired key must be skipped)");
    assert_after(&mut c, &b, label, "SAVE + restart");
    assert_eq!(persistence_field(&mut c, "loading"), "0", "{label}");
    assert_eq!(persistence_field(&mut c, "rdb_last_load_keys_expired"), "1", "{label}: the expired key");
    assert_eq!(
        persistence_field(&mut c, "rdb_last_load_keys_loaded"),
        b.snap.len().to_string(),
        "{label}: keys loaded from dump.rdb (all dbs)"
    );
}
both!(save_then_restart, save_restart_ferredis, save_restart_redis);

/// (b) With save points configured, SHUTDOWN saves; SIGTERM saves; SHUTDOWN NOSAVE does not; SHUTDOWN SAVE saves
/// without save points.
fn shutdown_paths(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-shutdown");
    let save_points: &[&str] = &["--save", "3600 1 300 100"];
    let (mut s, mut c) = start(kind, &dir, save_points);
    load_rich_dataset(&mut c);
    let b = before(&mut c, label);
    s.shutdown(&[]);
    assert!(dir.path().join("dump.rdb").exists(), "{label}: SHUTDOWN with save points wrote no dump.rdb");

    let (mut s, mut c) = start(kind, &dir, save_points);
    assert_after(&mut c, &b, label, "SHUTDOWN (save points) + restart");

    // A write, then SIGTERM: saved too.
    ok_cmd(&mut c, &["SET", "after-sigterm", "1"]);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(s.pid() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    assert!(s.wait_exit(15_000).is_some(), "{label}: did not exit on SIGTERM");
    let (mut s, mut c) = start(kind, &dir, save_points);
    expect_reply(
        &mut c,
        &["GET", "after-sigterm"],
        b"$1\r\n1\r\n",
        &format!("{label}: SIGTERM with save points must save"),
    );

    // SHUTDOWN NOSAVE: the write since the last save is lost.
    ok_cmd(&mut c, &["SET", "lost", "1"]);
    s.shutdown(&["NOSAVE"]);
    let (mut s, mut c) = start(kind, &dir, &[]);
    expect_reply(&mut c, &["EXISTS", "lost"], b":0\r\n", &format!("{label}: SHUTDOWN NOSAVE must not save"));
    expect_reply(&mut c, &["EXISTS", "after-sigterm"], b":1\r\n", &format!("{label}: the earlier dump is still there"));

    // SHUTDOWN SAVE without save points saves.
    ok_cmd(&mut c, &["SET", "forced", "1"]);
    s.shutdown(&["SAVE"]);
    let (_s, mut c) = start(kind, &dir, &[]);
    expect_reply(&mut c, &["GET", "forced"], b"$1\r\n1\r\n", &format!("{label}: SHUTDOWN SAVE must save"));
    let mut b2 = b;
    b2.snap = dataset_snapshot(&mut c);
    assert_eq!(
        b2.snap.len(),
        b2.enc.len() + 2,
        "{label}: after the restarts the dataset is the rich one plus after-sigterm and forced"
    );
}
both!(shutdown_paths, shutdown_restart_ferredis, shutdown_restart_redis);

/// (c) BGSAVE, wait for the child to finish successfully, SIGKILL, restart.
fn bgsave_then_restart(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-bgsave");
    let (mut s, mut c) = start(kind, &dir, &[]);
    load_rich_dataset(&mut c);
    let b = before(&mut c, label);
    bgsave_and_wait(&mut c);
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "0", "{label}: after BGSAVE");
    assert!(dir.path().join("dump.rdb").exists(), "{label}: BGSAVE wrote no dump.rdb");
    // Written after the fork: not in the file.
    ok_cmd(&mut c, &["SET", "after-bgsave", "1"]);
    s.kill9();
    let (_s, mut c) = start(kind, &dir, &[]);
    assert_after(&mut c, &b, label, "BGSAVE + restart");
}
both!(bgsave_then_restart, bgsave_restart_ferredis, bgsave_restart_redis);

/// (d) `appendonly yes`, `appendfsync always`: every acknowledged write survives SIGKILL.
fn aof_kill9_restart(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-aof");
    let (mut s, mut c) = start(kind, &dir, AOF_ALWAYS);
    load_rich_dataset(&mut c);
    more_writes(&mut c);
    let snap = dataset_snapshot(&mut c);
    let enc = encodings(&mut c);
    s.kill9();
    assert!(!dir.path().join("dump.rdb").exists(), "{label}: no RDB expected with save ''");
    let m = read_manifest(dir.path());
    assert!(m.iter().any(|e| e.kind == 'b') && m.iter().any(|e| e.kind == 'i'), "{label}: manifest {m:?}");
    let (_s, mut c) = start(kind, &dir, AOF_ALWAYS);
    // Replaying the AOF leaves no trace in the command and latency statistics (checked first: the checks below
    // run commands of their own).
    let stats = String::from_utf8_lossy(&c.cmd(&["INFO", "commandstats"])).into_owned();
    assert!(!stats.contains("cmdstat_set:"), "{label}: AOF replay counted in commandstats: {stats}");
    let lat = String::from_utf8_lossy(&c.cmd(&["INFO", "latencystats"])).into_owned();
    assert!(!lat.contains("latency_percentiles_usec_set:"), "{label}: AOF replay in latencystats: {lat}");
    assert_after(&mut c, &Before { snap, enc }, label, "AOF + SIGKILL + restart");
    expect_reply(&mut c, &["GET", "counter"], b"$2\r\n50\r\n", &format!("{label}: counter"));
}
both!(aof_kill9_restart, aof_restart_ferredis, aof_restart_redis);

/// (e) BGREWRITEAOF then more writes then restart: the manifest names a new base (RDB preamble or RESP commands),
/// the old files are gone, and the dataset is complete.
fn rewrite_then_restart(kind: Kind, preamble: bool) {
    let label = kind.label();
    let dir = TempDir::new("restart-rewrite");
    let args: Vec<&str> =
        AOF_ALWAYS.iter().copied().chain(["--aof-use-rdb-preamble", if preamble { "yes" } else { "no" }]).collect();
    let (mut s, mut c) = start(kind, &dir, &args);
    load_rich_dataset(&mut c);
    let base0 = base_entry(dir.path()).expect("a base file at start");
    let incr0 = read_manifest(dir.path()).into_iter().filter(|e| e.kind == 'i').map(|e| e.seq).max().unwrap();
    bgrewriteaof_and_wait(&mut c);
    more_writes(&mut c);
    let m = read_manifest(dir.path());
    let base = base_entry(dir.path()).expect("a base file after the rewrite");
    assert!(base.seq > base0.seq, "{label}: base seq {} after rewrite, was {}", base.seq, base0.seq);
    let incr: Vec<_> = m.iter().filter(|e| e.kind == 'i').collect();
    assert!(incr.iter().all(|e| e.seq > incr0), "{label}: incr files after rewrite {m:?}");
    let base_bytes = std::fs::read(aof_dir(dir.path()).join(&base.file)).expect("read base");
    if preamble {
        assert!(base.file.ends_with(".base.rdb"), "{label}: base name {}", base.file);
        assert!(base_bytes.starts_with(b"REDIS"), "{label}: base is not an RDB");
    } else {
        assert!(base.file.ends_with(".base.aof"), "{label}: base name {}", base.file);
        let cmds = parse_aof_commands(&base_bytes).unwrap_or_else(|e| panic!("{label}: base not RESP: {e}"));
        assert!(cmds.len() > 10, "{label}: base has only {} commands", cmds.len());
    }
    // The previous base and incr files are deleted (Redis does it in the background right after the rewrite).
    let old_base = aof_dir(dir.path()).join(&base0.file);
    wait_until("old base file removal", 5000, || !old_base.exists());
    let names: Vec<String> = std::fs::read_dir(aof_dir(dir.path()))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".manifest"))
        .collect();
    for n in &names {
        assert!(m.iter().any(|e| &e.file == n), "{label}: {n} is in appendonlydir but not in the manifest {m:?}");
    }
    let b = Before { snap: dataset_snapshot(&mut c), enc: encodings(&mut c) };
    s.kill9();
    let (_s, mut c) = start(kind, &dir, &args);
    assert_after(&mut c, &b, label, "BGREWRITEAOF + writes + restart");
}
fn rewrite_preamble(kind: Kind) {
    rewrite_then_restart(kind, true)
}
fn rewrite_resp(kind: Kind) {
    rewrite_then_restart(kind, false)
}
both!(rewrite_preamble, rewrite_preamble_restart_ferredis, rewrite_preamble_restart_redis);
both!(rewrite_resp, rewrite_resp_restart_ferredis, rewrite_resp_restart_redis);

/// (f) `CONFIG SET appendonly yes` on a server with data: after the initial rewrite, a restart with
/// `--appendonly yes` has the data and the writes made afterwards.
fn config_set_appendonly(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-config-aof");
    let (mut s, mut c) = start(kind, &dir, &["--appendfsync", "always"]);
    load_rich_dataset(&mut c);
    assert_eq!(persistence_field(&mut c, "aof_enabled"), "0");
    expect_reply(&mut c, &["CONFIG", "SET", "appendonly", "yes"], b"+OK\r\n", label);
    wait_until("aof_enabled:1 and the initial rewrite done", 20_000, || {
        let info = info_section(&mut c, "persistence");
        let get = |f: &str| info.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone()).unwrap_or_default();
        get("aof_enabled") == "1" && get("aof_rewrite_in_progress") == "0" && get("aof_rewrite_scheduled") == "0"
    });
    assert_eq!(persistence_field(&mut c, "aof_last_bgrewrite_status"), "ok", "{label}");
    assert!(base_entry(dir.path()).is_some(), "{label}: no base file after CONFIG SET appendonly yes");
    more_writes(&mut c);
    let b = Before { snap: dataset_snapshot(&mut c), enc: encodings(&mut c) };
    s.kill9();
    let (_s, mut c) = start(kind, &dir, AOF_ALWAYS);
    assert_after(&mut c, &b, label, "CONFIG SET appendonly yes + restart");
}
both!(config_set_appendonly, config_set_appendonly_ferredis, config_set_appendonly_redis);

/// (g) DEBUG RELOAD (save + load in place) and DEBUG LOADAOF (flush + fsync + reload the AOF) keep the dataset.
fn debug_reload(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-debug-reload");
    let (_s, mut c) = start(kind, &dir, DEBUG);
    load_rich_dataset(&mut c);
    let b = before(&mut c, label);
    expect_reply(&mut c, &["DEBUG", "RELOAD"], b"+OK\r\n", &format!("{label} DEBUG RELOAD"));
    assert_after(&mut c, &b, label, "DEBUG RELOAD");
    assert!(dir.path().join("dump.rdb").exists(), "{label}: DEBUG RELOAD saves dump.rdb");

    let dir2 = TempDir::new("restart-debug-loadaof");
    let args: Vec<&str> = AOF_ALWAYS.iter().chain(DEBUG).copied().collect();
    let (_s2, mut c2) = start(kind, &dir2, &args);
    load_rich_dataset(&mut c2);
    more_writes(&mut c2);
    let b2 = Before { snap: dataset_snapshot(&mut c2), enc: encodings(&mut c2) };
    expect_reply(&mut c2, &["DEBUG", "LOADAOF"], b"+OK\r\n", &format!("{label} DEBUG LOADAOF"));
    assert_after(&mut c2, &b2, label, "DEBUG LOADAOF");
}
both!(debug_reload, debug_reload_ferredis, debug_reload_redis);

/// (h) LASTSAVE moves on SAVE; rdb_changes_since_last_save counts writes and is reset; rdb_last_save_time is
/// LASTSAVE; DBSIZE of every db survives.
fn lastsave_and_counters(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-lastsave");
    let (mut s, mut c) = start(kind, &dir, &[]);
    let int = |r: Vec<u8>| -> i64 { std::str::from_utf8(&r[1..r.len() - 2]).unwrap().parse().unwrap() };
    let t0 = int(c.cmd(&["LASTSAVE"]));
    assert_eq!(persistence_field(&mut c, "rdb_last_save_time").parse::<i64>().unwrap(), t0, "{label}");
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "0", "{label}");
    for i in 0..5 {
        ok_cmd(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    ok_cmd(&mut c, &["DEL", "k0", "k1", "nokey"]);
    ok_cmd(&mut c, &["DEL", "nokey"]);
    // 5 SETs + 2 keys deleted; the DEL of a missing key changes nothing.
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "7", "{label}");
    std::thread::sleep(Duration::from_millis(1100));
    expect_reply(&mut c, &["SAVE"], b"+OK\r\n", label);
    let t1 = int(c.cmd(&["LASTSAVE"]));
    assert!(t1 > t0, "{label}: LASTSAVE {t1} did not move after SAVE (was {t0})");
    assert_eq!(persistence_field(&mut c, "rdb_last_save_time").parse::<i64>().unwrap(), t1, "{label}");
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "0", "{label}");
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "ok", "{label}");
    std::thread::sleep(Duration::from_millis(1100));
    bgsave_and_wait(&mut c);
    let t2 = int(c.cmd(&["LASTSAVE"]));
    assert!(t2 > t1, "{label}: LASTSAVE {t2} did not move after BGSAVE (was {t1})");
    ok_cmd(&mut c, &["SELECT", "3"]);
    ok_cmd(&mut c, &["SET", "in3", "x"]);
    ok_cmd(&mut c, &["SELECT", "0"]);
    expect_reply(&mut c, &["SAVE"], b"+OK\r\n", label);
    s.kill9();
    let (_s, mut c) = start(kind, &dir, &[]);
    assert_eq!(dbsize(&mut c), 3, "{label}: db 0 after restart");
    ok_cmd(&mut c, &["SELECT", "3"]);
    assert_eq!(dbsize(&mut c), 1, "{label}: db 3 after restart");
    // A fresh server's LASTSAVE is its start time when no save happened since, not 0.
    assert!(int(c.cmd(&["LASTSAVE"])) >= t2, "{label}: LASTSAVE after restart");
}
both!(lastsave_and_counters, lastsave_ferredis, lastsave_redis);

/// The field names of INFO persistence are Redis's, with AOF off and on.
#[test]
fn info_persistence_field_names_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for args in [&[][..], AOF_ALWAYS] {
        let df = TempDir::new("info-fer");
        let dr = TempDir::new("info-red");
        let (_f, mut cf) = start(Kind::Ferredis, &df, args);
        let (_r, mut cr) = start(Kind::Redis, &dr, args);
        let names = |c: &mut Conn| -> Vec<String> {
            let mut v: Vec<String> = info_section(c, "persistence").into_iter().map(|(k, _)| k).collect();
            v.sort();
            v
        };
        let (nf, nr) = (names(&mut cf), names(&mut cr));
        let missing: Vec<&String> = nr.iter().filter(|n| !nf.contains(n)).collect();
        let extra: Vec<&String> = nf.iter().filter(|n| !nr.contains(n)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "INFO persistence field names differ with {args:?}: ferredis lacks {missing:?}, has extra {extra:?}"
        );
        // A few values that must agree on a fresh server.
        for f in
            ["loading", "aof_enabled", "rdb_bgsave_in_progress", "aof_rewrite_in_progress", "rdb_last_bgsave_status"]
        {
            let get = |c: &mut Conn| persistence_field(c, f);
            assert_eq!(get(&mut cf), get(&mut cr), "INFO persistence {f} with {args:?}");
        }
    }
}

/// Runs `n` random commands (some grouped in MULTI/EXEC); errors such as WRONGTYPE are part of the game.
fn random_workload(c: &mut Conn, seed: u64, n: usize) {
    let mut rng = common::Prng::new(seed);
    let mut i = 0;
    while i < n {
        if rng.chance(5) {
            ok_cmd(c, &["MULTI"]);
            for _ in 0..2 + rng.below(4) {
                let cmd = random_command(&mut rng, false);
                let r = c.cmd(&cmd);
                assert!(r == b"+QUEUED\r\n" || r.starts_with(b"-"), "queueing {cmd:?}: {}", escape(&r));
                i += 1;
            }
            let r = c.cmd(&["EXEC"]);
            assert!(!r.starts_with(b"-ERR"), "EXEC: {}", escape(&r));
        } else {
            c.cmd(&random_command(&mut rng, false));
            i += 1;
        }
    }
    c.cmd(&["SELECT", "0"]);
    // Keys given `PEXPIRE k 1` are gone by now, so no snapshot catches one in its last millisecond.
    std::thread::sleep(Duration::from_millis(20));
}

/// A seeded random workload (`PERSIST_SEED=<n>` replays one) through every persistence path: the AOF replayed
/// after SIGKILL, BGREWRITEAOF (RDB preamble) + restart, DEBUG RELOAD, and SAVE + restart without the AOF each
/// give back the dataset as it was. Replay must be deterministic even for SPOP, INCRBYFLOAT, expiries.
fn random_workload_round_trips(kind: Kind) {
    let label = kind.label();
    let seed: u64 = std::env::var("PERSIST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_123);
    let what = format!("{label} random workload seed {seed} (PERSIST_SEED={seed} replays it)");
    let dir = TempDir::new("restart-random");
    let args: Vec<&str> = AOF_ALWAYS.iter().chain(DEBUG).copied().collect();
    let (mut s, mut c) = start(kind, &dir, &args);
    random_workload(&mut c, seed, 2000);
    let snap = dataset_snapshot(&mut c);
    assert!(snap.len() >= 5, "{what}: the workload left only {} keys", snap.len());
    let kinds: std::collections::BTreeSet<&str> = snap.iter().map(|k| k.kind.as_str()).collect();
    assert!(kinds.len() >= 4, "{what}: the workload left only the types {kinds:?}");
    s.kill9();
    let (mut s, mut c) = start(kind, &dir, &args);
    let after = dataset_snapshot(&mut c);
    assert_same_dataset(&snap, &after, TTL_TOLERANCE_MS, "before", "after", &format!("{what}: AOF replay"));

    random_workload(&mut c, seed + 1, 600);
    bgrewriteaof_and_wait(&mut c);
    random_workload(&mut c, seed + 2, 300);
    let snap = dataset_snapshot(&mut c);
    s.kill9();
    let (_s, mut c) = start(kind, &dir, &args);
    let after = dataset_snapshot(&mut c);
    assert_same_dataset(&snap, &after, TTL_TOLERANCE_MS, "before", "after", &format!("{what}: rewrite + replay"));

    expect_reply(&mut c, &["DEBUG", "RELOAD"], b"+OK\r\n", &what);
    let reloaded = dataset_snapshot(&mut c);
    assert_same_dataset(&after, &reloaded, TTL_TOLERANCE_MS, "before", "after", &format!("{what}: DEBUG RELOAD"));

    // The same data through dump.rdb alone.
    expect_reply(&mut c, &["SAVE"], b"+OK\r\n", &what);
    let rdb_dir = TempDir::new("restart-random-rdb");
    std::fs::copy(dir.path().join("dump.rdb"), rdb_dir.path().join("dump.rdb")).unwrap();
    let (_s2, mut c2) = start(kind, &rdb_dir, &[]);
    let from_rdb = dataset_snapshot(&mut c2);
    assert_same_dataset(&reloaded, &from_rdb, TTL_TOLERANCE_MS, "before", "after", &format!("{what}: dump.rdb"));
}
both!(random_workload_round_trips, random_workload_ferredis, random_workload_redis);

/// Which file wins at start: with `appendonly yes`, the AOF is the only source, even when it does not exist yet
/// and a dump.rdb does (Redis 7.0 then starts empty and creates a new appendonlydir, leaving dump.rdb alone);
/// with `appendonly no`, dump.rdb is loaded and the appendonlydir ignored.
fn aof_or_rdb_at_start(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-which-file");
    let (mut s, mut c) = start(kind, &dir, &[]);
    ok_cmd(&mut c, &["SET", "from-rdb", "1"]);
    expect_reply(&mut c, &["SAVE"], b"+OK\r\n", label);
    s.kill9();
    let rdb_before = std::fs::read(dir.path().join("dump.rdb")).unwrap();

    let (mut s, mut c) = start(kind, &dir, AOF_ALWAYS);
    expect_reply(&mut c, &["DBSIZE"], b":0\r\n", &format!("{label}: appendonly yes without an AOF ignores dump.rdb"));
    assert!(base_entry(dir.path()).is_some(), "{label}: a new appendonlydir with a base at start");
    ok_cmd(&mut c, &["SET", "from-aof", "1"]);
    s.kill9();
    assert_eq!(std::fs::read(dir.path().join("dump.rdb")).unwrap(), rdb_before, "{label}: dump.rdb untouched");

    let (mut s, mut c) = start(kind, &dir, AOF_ALWAYS);
    expect_reply(&mut c, &["DBSIZE"], b":1\r\n", label);
    expect_reply(&mut c, &["EXISTS", "from-aof"], b":1\r\n", &format!("{label}: the AOF wins over dump.rdb"));
    s.kill9();

    let (_s, mut c) = start(kind, &dir, &[]);
    expect_reply(&mut c, &["DBSIZE"], b":1\r\n", label);
    expect_reply(&mut c, &["EXISTS", "from-rdb"], b":1\r\n", &format!("{label}: appendonly no loads dump.rdb"));
}
both!(aof_or_rdb_at_start, aof_or_rdb_at_start_ferredis, aof_or_rdb_at_start_redis);

/// Replies while a fork child runs (`rdb-key-save-delay` keeps it busy): a second BGSAVE or SAVE is refused,
/// BGREWRITEAOF is scheduled after a BGSAVE, BGSAVE is refused during a rewrite unless SCHEDULEd, and scheduled
/// work runs once the child is done.
fn child_conflicts(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-child-conflicts");
    let (_s, mut c) = start(kind, &dir, &["--rdb-key-save-delay", "1000"]);
    let mut mset: Vec<String> = vec!["MSET".into()];
    // 1.5 s of work per child at 1 ms a key.
    for i in 0..1500 {
        mset.push(format!("key:{i}"));
        mset.push(i.to_string());
    }
    ok_cmd(&mut c, &mset);
    let saves = |c: &mut Conn| persistence_field(c, "rdb_saves").parse::<i64>().unwrap();
    let saves0 = saves(&mut c);
    let busy_aof: &[u8] = b"-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n";
    expect_reply(&mut c, &["BGSAVE"], b"+Background saving started\r\n", label);
    expect_reply(&mut c, &["BGSAVE"], b"-ERR Background save already in progress\r\n", label);
    expect_reply(&mut c, &["SAVE"], b"-ERR Background save already in progress\r\n", label);
    expect_reply(&mut c, &["BGREWRITEAOF"], b"+Background append only file rewriting scheduled\r\n", label);
    assert_eq!(persistence_field(&mut c, "aof_rewrite_scheduled"), "1", "{label}");
    assert_eq!(persistence_field(&mut c, "rdb_bgsave_in_progress"), "1", "{label}");
    // The scheduled rewrite starts when the BGSAVE is done.
    wait_until("the scheduled rewrite to start", 20_000, || {
        persistence_field(&mut c, "aof_rewrite_in_progress") == "1"
    });
    assert_eq!(persistence_field(&mut c, "rdb_bgsave_in_progress"), "0", "{label}");
    assert_eq!(saves(&mut c), saves0 + 1, "{label}: rdb_saves after the first BGSAVE");
    expect_reply(&mut c, &["BGSAVE"], busy_aof, label);
    expect_reply(
        &mut c,
        &["BGREWRITEAOF"],
        b"-ERR Background append only file rewriting already in progress\r\n",
        label,
    );
    expect_reply(&mut c, &["BGSAVE", "SCHEDULE"], b"+Background saving scheduled\r\n", label);
    expect_reply(&mut c, &["BGSAVE", "SCHEDULE"], b"+Background saving scheduled\r\n", label);
    // The scheduled BGSAVE runs after the rewrite.
    wait_until("the scheduled BGSAVE to finish", 30_000, || saves(&mut c) == saves0 + 2);
    wait_no_child(&mut c);
    assert_eq!(persistence_field(&mut c, "aof_last_bgrewrite_status"), "ok", "{label}");
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "ok", "{label}");
    expect_reply(&mut c, &["BGSAVE", "NOW"], b"-ERR syntax error\r\n", label);
}
both!(child_conflicts, child_conflicts_ferredis, child_conflicts_redis);

/// FLUSHALL without save points kills a running BGSAVE (its snapshot is of data that is gone): the save ends
/// without counting as one (the change counter stays high), is not a failure, and writes go on.
fn flushall_kills_bgsave(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-flushall-bgsave");
    let (_s, mut c) = start(kind, &dir, &["--save", "", "--rdb-key-save-delay", "1000"]);
    let mut mset: Vec<String> = vec!["MSET".into()];
    // 3 s of work for the child at 1 ms a key (each key of the MSET counts as a change).
    for i in 0..3000 {
        mset.push(format!("key:{i}"));
        mset.push(i.to_string());
    }
    ok_cmd(&mut c, &mset);
    let changes = |c: &mut Conn| persistence_field(c, "rdb_changes_since_last_save").parse::<i64>().unwrap();
    assert!(changes(&mut c) >= 3000, "{label}");
    expect_reply(&mut c, &["BGSAVE"], b"+Background saving started\r\n", label);
    assert_eq!(persistence_field(&mut c, "rdb_bgsave_in_progress"), "1", "{label}");
    ok_cmd(&mut c, &["FLUSHALL"]);
    wait_until("the BGSAVE to be killed", 2_000, || persistence_field(&mut c, "rdb_bgsave_in_progress") == "0");
    assert!(changes(&mut c) >= 3000, "{label}: the killed save reset the change counter");
    // `rdb_saves` counts the save that was started.
    assert_eq!(persistence_field(&mut c, "rdb_saves"), "1", "{label}");
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "ok", "{label}");
    ok_cmd(&mut c, &["SET", "x", "xx"]);
}
both!(flushall_kills_bgsave, flushall_kills_bgsave_ferredis, flushall_kills_bgsave_redis);

/// Save points: `save 1 1` makes the cron start a BGSAVE a second after a write; `CONFIG SET save` changes them
/// at run time and CONFIG GET shows them; a point not reached does not save.
fn save_points_trigger(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-save-points");
    let (mut s, mut c) = start(kind, &dir, &["--save", "1 1"]);
    expect_reply(&mut c, &["CONFIG", "GET", "save"], b"*2\r\n$4\r\nsave\r\n$3\r\n1 1\r\n", label);
    ok_cmd(&mut c, &["SET", "k", "1"]);
    wait_until("the save point to trigger a BGSAVE", 10_000, || {
        persistence_field(&mut c, "rdb_saves") == "1" && persistence_field(&mut c, "rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "0", "{label}");
    assert!(dir.path().join("dump.rdb").exists(), "{label}: the save point wrote no dump.rdb");
    expect_reply(&mut c, &["CONFIG", "SET", "save", "3600 1 300 100"], b"+OK\r\n", label);
    expect_reply(&mut c, &["CONFIG", "GET", "save"], b"*2\r\n$4\r\nsave\r\n$14\r\n3600 1 300 100\r\n", label);
    ok_cmd(&mut c, &["SET", "k2", "1"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(persistence_field(&mut c, "rdb_saves"), "1", "{label}: no save point reached");
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "1", "{label}");
    s.kill9();
    let (_s, mut c) = start(kind, &dir, &[]);
    expect_reply(&mut c, &["GET", "k"], b"$1\r\n1\r\n", label);
    expect_reply(&mut c, &["GET", "k2"], b"$-1\r\n", &format!("{label}: written after the last save"));
}
both!(save_points_trigger, save_points_ferredis, save_points_redis);

/// FLUSHALL counts one change per key removed (an empty FLUSHALL none); with save points it saves the empty
/// dataset at once, leaving `rdb_changes_since_last_save` at 0 (Redis 7.0.15).
fn flushall_dirty_counter(kind: Kind) {
    let label = kind.label();
    let dir = TempDir::new("restart-flushall-dirty");
    let (_s, mut c) = start(kind, &dir, &[]);
    ok_cmd(&mut c, &["FLUSHALL"]);
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "0", "{label}: empty FLUSHALL");
    ok_cmd(&mut c, &["SET", "a", "1"]);
    ok_cmd(&mut c, &["SET", "b", "1"]);
    ok_cmd(&mut c, &["FLUSHALL"]);
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "4", "{label}: two sets, two removed");
    expect_reply(&mut c, &["CONFIG", "SET", "save", "3600 1 300 100 60 10000"], b"+OK\r\n", label);
    ok_cmd(&mut c, &["SET", "key", "value"]);
    ok_cmd(&mut c, &["FLUSHALL"]);
    assert_eq!(persistence_field(&mut c, "rdb_changes_since_last_save"), "0", "{label}: FLUSHALL with save points");
    assert!(dir.path().join("dump.rdb").exists(), "{label}: FLUSHALL with save points wrote no dump.rdb");
}
both!(flushall_dirty_counter, flushall_dirty_ferredis, flushall_dirty_redis);
