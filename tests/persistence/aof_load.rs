//! What loading an AOF does, compared with redis-server loading the same directory:
//! - keys are never expired while the file is replayed (Redis's `keyIsExpired` is false while loading, and EXPIRE
//!   with a time in the past sets the TTL instead of deleting), so a later command of the file still writes to the
//!   same key, and the key expires once the load is over;
//! - `aof-timestamp-enabled` annotations;
//! - a replayed script that runs long, at start-up or in DEBUG LOADAOF: clients are served meanwhile, with -LOADING;
//! - with `appendfsync always`, no reply leaves before its command is in the AOF, even when the reply joins a big
//!   one still being written (Redis's AE_BARRIER).

use crate::common;

use common::*;
use std::path::Path;

/// Writes `appendonlydir/` with a manifest and one INCR file holding `commands` (Redis 7.0's multi-part layout).
fn write_aof_dir(dir: &Path, commands: &[&[&str]]) {
    let aof = dir.join("appendonlydir");
    std::fs::create_dir_all(&aof).unwrap();
    let mut body = Vec::new();
    for c in commands {
        body.extend_from_slice(&encode_command(c));
    }
    std::fs::write(aof.join("appendonly.aof.1.incr.aof"), body).unwrap();
    std::fs::write(aof.join("appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq 1 type i\n").unwrap();
}

fn replies_after_load(kind: Kind, commands: &[&[&str]], queries: &[&[&str]]) -> Vec<String> {
    let tmp = TempDir::new(&format!("aof-expiry-{}", kind.label()));
    write_aof_dir(tmp.path(), commands);
    let s = Server::start_in(kind, tmp.path(), &["--appendonly", "yes", "--save", ""]);
    let mut c = s.conn();
    queries.iter().map(|q| String::from_utf8_lossy(&c.cmd(q)).into_owned()).collect()
}

#[test]
fn past_expiry_in_the_aof_applies_after_the_load() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let far = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 3_600_000)
        .to_string();
    let commands: &[&[&str]] = &[
        &["RPUSH", "list", "foo"],
        &["PEXPIREAT", "list", "1000"],
        &["RPUSH", "list", "bar"],
        &["SET", "s", "v"],
        &["EXPIRE", "s", "-5"],
        &["APPEND", "s", "w"],
        &["SET", "kept", "1"],
        &["PEXPIREAT", "kept", &far],
        &["INCR", "kept"],
    ];
    let queries: &[&[&str]] = &[&["LLEN", "list"], &["EXISTS", "list"], &["GET", "s"], &["GET", "kept"], &["DBSIZE"]];
    let ours = replies_after_load(Kind::Ferredis, commands, queries);
    let theirs = replies_after_load(Kind::Redis, commands, queries);
    assert_eq!(ours, theirs, "ferredis vs redis-server after loading the same AOF");
    assert_eq!(ours[0], ":0\r\n", "{ours:?}");
}

/// `aof-timestamp-enabled` set at run time annotates the very next write of the INCR file, and a rewritten base
/// file of commands starts with its own annotation, on both servers.
#[test]
fn timestamp_annotations_follow_config_set() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let tmp = TempDir::new(&format!("aof-ts-{}", kind.label()));
        let s = Server::start_in(kind, tmp.path(), &["--appendonly", "yes", "--save", ""]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["CONFIG", "SET", "aof-timestamp-enabled", "yes"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["CONFIG", "SET", "aof-use-rdb-preamble", "no"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["SET", "foo", "bar"]), b"+OK\r\n");
        let first_of = |suffix: &str| -> Vec<u8> {
            let dir = tmp.path().join("appendonlydir");
            let mut names: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|n| n.ends_with(suffix))
                .collect();
            names.sort();
            let last = names.last().unwrap_or_else(|| panic!("{}: no {suffix} file", kind.label()));
            std::fs::read(dir.join(last)).unwrap().into_iter().take(4).collect()
        };
        assert_eq!(first_of(".incr.aof"), b"#TS:", "{}: INCR file", kind.label());
        c.cmd(&["BGREWRITEAOF"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
            if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
                let base_done = std::fs::read_dir(tmp.path().join("appendonlydir"))
                    .unwrap()
                    .filter_map(|e| e.ok())
                    .any(|e| e.file_name().to_string_lossy().contains(".2.base.aof"));
                if base_done {
                    break;
                }
            }
            assert!(std::time::Instant::now() < deadline, "{}: rewrite did not finish", kind.label());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(first_of(".base.aof"), b"#TS:", "{}: base file", kind.label());
    }
}

/// A replayed EVAL that runs for a second or two at start-up: both servers answer other clients meanwhile, with
/// -LOADING (the loading check comes before the busy-script one), and the script's effect is there afterwards.
#[test]
fn long_script_in_the_aof_serves_loading_replies() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let script = "redis.call('set', KEYS[1], 'y') local s = tonumber(redis.call('time')[1]) \
                  while tonumber(redis.call('time')[1]) - s < 2 do end return 'ok'";
    for kind in [Kind::Ferredis, Kind::Redis] {
        let tmp = TempDir::new(&format!("aof-busy-{}", kind.label()));
        write_aof_dir(tmp.path(), &[&["SELECT", "9"], &["EVAL", script, "1", "x"]]);
        // Spawned by hand: the common helpers wait for +PONG, that is, for the load to end.
        let port = free_port();
        let bin = kind.bin();
        let dir = tmp.path().to_str().unwrap().to_string();
        let port_s = port.to_string();
        let mut child = std::process::Command::new(bin)
            .args(["--port", &port_s, "--bind", "127.0.0.1", "--dir", &dir, "--appendonly", "yes", "--save", ""])
            .args(["--lua-time-limit", "10", "--aof-use-rdb-preamble", "no", "--logfile", "server.log"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut c = loop {
            if let Ok(c) = Conn::try_connect(port) {
                break c;
            }
            assert!(std::time::Instant::now() < deadline, "{}: no listener", kind.label());
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let first = c.cmd(&["PING"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut last = first.clone();
        while last.starts_with(b"-LOADING") {
            assert!(std::time::Instant::now() < deadline, "{}: still loading", kind.label());
            std::thread::sleep(std::time::Duration::from_millis(50));
            last = c.cmd(&["PING"]);
        }
        assert_eq!(
            String::from_utf8_lossy(&first),
            "-LOADING Redis is loading the dataset in memory\r\n",
            "{}: a client during the replayed script",
            kind.label()
        );
        assert_eq!(last, b"+PONG\r\n");
        assert_eq!(c.cmd(&["SELECT", "9"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["GET", "x"]), b"$1\r\ny\r\n", "{}", kind.label());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `appendfsync always`: a client whose big GET reply is still draining sends INCR; its reply must not arrive
/// before the INCR is in the AOF file. DEBUG AOF-FLUSH-SLEEP widens the window between the read and the flush.
#[test]
fn always_fsync_replies_wait_for_the_aof() {
    // Redis passes this too (FERREDIS_BIN=/usr/bin/redis-server); it takes seconds, so it runs on ours only.
    for kind in [Kind::Ferredis] {
        let tmp = TempDir::new(&format!("aof-barrier-{}", kind.label()));
        let s = Server::start_in(
            kind,
            tmp.path(),
            &["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--enable-debug-command", "yes"],
        );
        let mut c = s.conn();
        let mut d = s.conn();
        let incr_file = || {
            let dir = tmp.path().join("appendonlydir");
            let mut names: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
                .collect();
            names.sort();
            names.pop().unwrap()
        };
        for i in 0..10u64 {
            c.cmd(&["DEBUG", "AOF-FLUSH-SLEEP", "0"]);
            c.cmd(&["DEL", "x"]);
            let offset = (10_000_000 + i * 611_953).to_string();
            c.cmd(&["SETRANGE", "x", &offset, "x"]);
            c.cmd(&["DEBUG", "AOF-FLUSH-SLEEP", "300000"]);
            let before = std::fs::metadata(incr_file()).unwrap().len();
            d.send(&["GET", "x"]).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(i * 7 % 31));
            d.send(&["INCR", "n"]).unwrap();
            let big = d.read_reply().unwrap();
            assert!(big.len() > 10_000_000, "{}", kind.label());
            let r = d.read_reply().unwrap();
            assert_eq!(r, format!(":{}\r\n", i + 1).into_bytes(), "{}", kind.label());
            let after = std::fs::metadata(incr_file()).unwrap().len();
            assert!(after > before, "{} round {i}: INCR's reply arrived before the INCR was in the AOF", kind.label());
        }
        c.cmd(&["DEBUG", "AOF-FLUSH-SLEEP", "0"]);
    }
}

/// DEBUG LOADAOF replaying an EVAL that runs for a second or two: both servers answer other clients meanwhile
/// with -LOADING, then DEBUG LOADAOF replies +OK and the script's effect is there.
#[test]
fn long_script_during_debug_loadaof_serves_loading_replies() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let script = "redis.call('set', KEYS[1], 'y') local s = tonumber(redis.call('time')[1]) \
                  while tonumber(redis.call('time')[1]) - s < 2 do end return 'ok'";
    for kind in [Kind::Ferredis, Kind::Redis] {
        let tmp = TempDir::new(&format!("aof-loadaof-busy-{}", kind.label()));
        let s = Server::start_in(
            kind,
            tmp.path(),
            &["--appendonly", "yes", "--save", "", "--lua-time-limit", "10", "--aof-use-rdb-preamble", "no"],
        );
        let mut c = s.conn();
        // Put the script at the end of the incr file the server appends to (nothing else writes meanwhile).
        let incr = tmp.path().join("appendonlydir/appendonly.aof.1.incr.aof");
        let mut body = std::fs::read(&incr).unwrap();
        body.extend_from_slice(&encode_command(&["SELECT", "9"]));
        body.extend_from_slice(&encode_command(&["EVAL", script, "1", "x"]));
        std::fs::write(&incr, body).unwrap();
        let mut loader = s.conn();
        loader.send(&["DEBUG", "LOADAOF"]).unwrap();
        let mut first = c.cmd(&["PING"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while first == b"+PONG\r\n" {
            // DEBUG LOADAOF may not have started yet.
            assert!(std::time::Instant::now() < deadline, "{}: never saw the load", kind.label());
            std::thread::sleep(std::time::Duration::from_millis(5));
            first = c.cmd(&["PING"]);
        }
        assert_eq!(
            String::from_utf8_lossy(&first),
            "-LOADING Redis is loading the dataset in memory\r\n",
            "{}: a client during the replayed script",
            kind.label()
        );
        assert_eq!(loader.read_reply().unwrap(), b"+OK\r\n", "{}: DEBUG LOADAOF", kind.label());
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
        assert_eq!(c.cmd(&["SELECT", "9"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["GET", "x"]), b"$1\r\ny\r\n", "{}", kind.label());
    }
}
