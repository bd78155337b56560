//! Loading damaged files at start. The files are written by redis-server (the oracle), damaged by the test, and
//! copied into a fresh directory for each server, so ferredis and Redis load exactly the same bytes; every
//! scenario runs on both, and the exit behaviour must be Redis's:
//! - the last incr file cut in the middle of a command: with `aof-load-truncated yes` the server starts with
//!   every complete command applied, says so in its log, and truncates the file so that later appends load
//!   after a restart; with `aof-load-truncated no` it refuses to start (exit status 1);
//! - cut inside a MULTI/EXEC block: the incomplete transaction is reverted as a whole;
//! - garbage in the middle of the incr file: refuses to start (status 1) even with `aof-load-truncated yes`;
//! - a manifest naming a missing file: refuses to start;
//! - dump.rdb with a flipped byte (checksum) or cut short: refuses to start.
//!
//! `FERREDIS_BIN=/usr/bin/redis-server` runs it redis-vs-redis.

use crate::common;

use common::persist::{copy_dir, expect_reply, last_incr_path, ok_cmd, parse_aof_commands};
use common::{encode_command, run_until_exit, split_args, Conn, Kind, Server, TempDir};
use std::path::Path;

const AOF: &[&str] = &["--appendonly", "yes", "--appendfsync", "always"];

/// Writes an appendonlydir with redis-server (RDB preamble base, commands in the incr file) by running `lines`,
/// then SIGKILLs it.
fn redis_aof_dir(tag: &str, lines: &[String]) -> TempDir {
    let dir = TempDir::new(tag);
    let mut s = Server::start_in(Kind::Redis, dir.path(), AOF);
    let mut c = s.conn();
    for l in lines {
        ok_cmd(&mut c, &split_args(l).unwrap());
    }
    s.kill9();
    dir
}

fn numbered_sets(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("SET k{i} v{i}")).collect()
}

/// Byte offsets where each command of a RESP command file starts, and the file length.
fn command_offsets(bytes: &[u8]) -> Vec<usize> {
    let cmds = parse_aof_commands(bytes).expect("valid incr file");
    let mut offs = Vec::new();
    let mut pos = 0;
    for c in &cmds {
        offs.push(pos);
        pos += common::encode_command(c).len();
    }
    assert_eq!(pos, bytes.len(), "the incr file re-encodes to its own length");
    offs
}

/// A copy of `src` for one server.
fn copy_for(src: &TempDir, kind: Kind, tag: &str) -> TempDir {
    let d = TempDir::new(&format!("{tag}-{}", kind.label()));
    copy_dir(src.path(), d.path());
    d
}

fn get(c: &mut Conn, k: &str) -> Vec<u8> {
    c.cmd(&["GET", k])
}

/// The incr file cut in the middle of its last command.
fn truncated_incr(tag: &str) -> TempDir {
    let dir = redis_aof_dir(tag, &numbered_sets(20));
    let p = last_incr_path(dir.path());
    let bytes = std::fs::read(&p).unwrap();
    let offs = command_offsets(&bytes);
    let last = *offs.last().unwrap();
    // Cut after the argument count and part of the key: a command that is there but incomplete.
    std::fs::write(&p, &bytes[..last + 12]).unwrap();
    dir
}

fn truncated_tail_loads(kind: Kind) {
    let label = kind.label();
    let src = truncated_incr("load-trunc");
    let dir = copy_for(&src, kind, "load-trunc");
    let args: Vec<&str> = AOF.iter().copied().chain(["--aof-load-truncated", "yes"]).collect();
    let mut s = Server::start_in(kind, dir.path(), &args);
    let mut c = s.conn();
    expect_reply(&mut c, &["DBSIZE"], b":19\r\n", &format!("{label}: 19 complete SETs of 20"));
    assert_eq!(get(&mut c, "k19"), b"$3\r\nv19\r\n", "{label}");
    assert_eq!(get(&mut c, "k20"), b"$-1\r\n", "{label}: the cut command must not be applied");
    let log = s.full_log().to_lowercase();
    assert!(
        log.contains("truncated") || log.contains("short read"),
        "{label}: the log does not mention the truncation:\n{}",
        s.log_text()
    );
    // The file was cut back to its last complete command, so what is appended now loads after a restart.
    expect_reply(&mut c, &["SET", "after", "1"], b"+OK\r\n", label);
    drop(c);
    s.kill9();
    let s = Server::start_in(kind, dir.path(), AOF);
    let mut c = s.conn();
    expect_reply(&mut c, &["DBSIZE"], b":20\r\n", &format!("{label}: after a second restart"));
    assert_eq!(get(&mut c, "after"), b"$1\r\n1\r\n", "{label}");
    let bytes = std::fs::read(last_incr_path(dir.path())).unwrap();
    parse_aof_commands(&bytes).unwrap_or_else(|e| panic!("{label}: incr file after the repair and an append: {e}"));
}

#[test]
fn truncated_tail_loads_ferredis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    truncated_tail_loads(Kind::Ferredis);
}

#[test]
fn truncated_tail_loads_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    truncated_tail_loads(Kind::Redis);
}

/// Runs both servers on their own copy of `src` with `args`; both must exit by themselves with Redis's status.
fn both_refuse(src: &TempDir, tag: &str, args: &[&str], expect_in_log: &str) {
    let mut codes = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let dir = copy_for(src, kind, tag);
        let (st, log) = run_until_exit(kind, dir.path(), args, 15_000);
        let st =
            st.unwrap_or_else(|| panic!("{tag}: {} started (still running after 15 s); log:\n{log}", kind.label()));
        assert!(!st.success(), "{tag}: {} exited with success; log:\n{log}", kind.label());
        assert!(log.contains(expect_in_log), "{tag}: {}'s log does not name {expect_in_log:?}:\n{log}", kind.label());
        if std::env::var_os("PERSIST_SHOW_LOGS").is_some() {
            eprintln!("{tag}: {} exited {st}; log:\n{log}", kind.label());
        }
        codes.push((kind.label(), st.code(), log));
    }
    assert_eq!(codes[0].1, Some(1), "{tag}: redis's exit status; log:\n{}", codes[0].2);
    assert_eq!(codes[1].1, codes[0].1, "{tag}: exit status differs from redis's; ferredis log:\n{}", codes[1].2);
}

#[test]
fn truncated_tail_refused_when_not_allowed() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let src = truncated_incr("load-trunc-no");
    let args: Vec<&str> = AOF.iter().copied().chain(["--aof-load-truncated", "no"]).collect();
    both_refuse(&src, "aof-load-truncated no", &args, "appendonly.aof.1.incr.aof");
}

fn truncated_in_multi(kind: Kind) {
    let label = kind.label();
    let mut lines = numbered_sets(5);
    lines.extend(["MULTI", "SET t1 a", "SET t2 b", "SET t3 c", "EXEC"].iter().map(|s| s.to_string()));
    let dir = TempDir::new("load-multi-src");
    {
        let mut s = Server::start_in(Kind::Redis, dir.path(), AOF);
        let mut c = s.conn();
        for l in &lines {
            c.cmd(&split_args(l).unwrap());
        }
        s.kill9();
    }
    let p = last_incr_path(dir.path());
    let bytes = std::fs::read(&p).unwrap();
    let cmds = parse_aof_commands(&bytes).unwrap();
    let offs = command_offsets(&bytes);
    let t2 = cmds.iter().position(|c| c.get(1).map(|k| k == b"t2").unwrap_or(false)).expect("SET t2 in the AOF");
    assert!(cmds.iter().any(|c| c[0].eq_ignore_ascii_case(b"MULTI")), "redis wraps the transaction in MULTI");
    // Cut in the middle of SET t2: MULTI and SET t1 are complete, EXEC is missing.
    std::fs::write(&p, &bytes[..offs[t2] + 10]).unwrap();
    let copy = copy_for(&dir, kind, "load-multi");
    let args: Vec<&str> = AOF.iter().copied().chain(["--aof-load-truncated", "yes"]).collect();
    let s = Server::start_in(kind, copy.path(), &args);
    let mut c = s.conn();
    expect_reply(&mut c, &["DBSIZE"], b":5\r\n", &format!("{label}: the incomplete transaction is reverted whole"));
    assert_eq!(get(&mut c, "t1"), b"$-1\r\n", "{label}: SET t1 belongs to a transaction without EXEC");
    assert_eq!(get(&mut c, "k5"), b"$2\r\nv5\r\n", "{label}");
}

#[test]
fn truncated_in_multi_ferredis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    truncated_in_multi(Kind::Ferredis);
}

#[test]
fn truncated_in_multi_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    truncated_in_multi(Kind::Redis);
}

#[test]
fn garbage_in_the_middle_refused() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let src = redis_aof_dir("load-garbage", &numbered_sets(20));
    let p = last_incr_path(src.path());
    let bytes = std::fs::read(&p).unwrap();
    let offs = command_offsets(&bytes);
    let mut bad = bytes[..offs[10]].to_vec();
    bad.extend_from_slice(b"this is not RESP\r\n");
    bad.extend_from_slice(&bytes[offs[10]..]);
    std::fs::write(&p, bad).unwrap();
    let args: Vec<&str> = AOF.iter().copied().chain(["--aof-load-truncated", "yes"]).collect();
    both_refuse(&src, "garbage in the incr file", &args, "appendonly.aof.1.incr.aof");

    // A wrong bulk length inside a command is a format error too, not a truncation.
    let src = redis_aof_dir("load-badlen", &numbered_sets(20));
    let p = last_incr_path(src.path());
    let mut bytes = std::fs::read(&p).unwrap();
    let offs = command_offsets(&bytes);
    // Command 10 is `*3\r\n$3\r\nSET\r\n...`: make the "$3" of SET "$x".
    let at = offs[10] + 5;
    assert_eq!(bytes[at], b'3', "layout of the command");
    bytes[at] = b'x';
    std::fs::write(&p, bytes).unwrap();
    both_refuse(&src, "bad bulk length in the incr file", &args, "appendonly.aof.1.incr.aof");
}

#[test]
fn manifest_naming_a_missing_file_refused() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let src = redis_aof_dir("load-missing", &numbered_sets(3));
    std::fs::remove_file(last_incr_path(src.path())).unwrap();
    both_refuse(&src, "missing incr file", AOF, "appendonly.aof.1.incr.aof");
}

fn redis_dump(tag: &str) -> (TempDir, Vec<u8>) {
    let dir = TempDir::new(tag);
    let s = Server::start_in(Kind::Redis, dir.path(), &[]);
    let mut c = s.conn();
    for l in numbered_sets(50) {
        ok_cmd(&mut c, &split_args(&l).unwrap());
    }
    ok_cmd(&mut c, &["RPUSH", "list", "a", "b", "c"]);
    expect_reply(&mut c, &["SAVE"], b"+OK\r\n", "redis SAVE");
    drop(c);
    drop(s);
    let bytes = std::fs::read(dir.path().join("dump.rdb")).unwrap();
    (dir, bytes)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn damaged_rdb_refused() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (src, bytes) = redis_dump("load-rdb-flip");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x20;
    write(src.path(), "dump.rdb", &flipped);
    both_refuse(&src, "dump.rdb with a flipped byte", &[], "RDB");

    let (src, bytes) = redis_dump("load-rdb-short");
    write(src.path(), "dump.rdb", &bytes[..bytes.len() * 2 / 3]);
    both_refuse(&src, "dump.rdb cut short", &[], "RDB");

    // The base of an AOF (RDB preamble) cut short is fatal too, whatever aof-load-truncated says.
    let dir_b = TempDir::new("load-base-short");
    {
        // A base with content: writes, then a rewrite.
        let s = Server::start_in(Kind::Redis, dir_b.path(), AOF);
        let mut c = s.conn();
        for l in numbered_sets(50) {
            ok_cmd(&mut c, &split_args(&l).unwrap());
        }
        common::persist::bgrewriteaof_and_wait(&mut c);
    }
    let base = common::persist::base_entry(dir_b.path()).expect("base");
    let bp = common::persist::aof_dir(dir_b.path()).join(&base.file);
    let bytes = std::fs::read(&bp).unwrap();
    assert!(bytes.len() > 200, "base has the data");
    std::fs::write(&bp, &bytes[..bytes.len() / 2]).unwrap();
    let args: Vec<&str> = AOF.iter().copied().chain(["--aof-load-truncated", "yes"]).collect();
    both_refuse(&dir_b, "AOF base (RDB preamble) cut short", &args, &base.file);
}

fn info_fields(c: &mut Conn, section: &str) -> std::collections::HashMap<String, String> {
    String::from_utf8_lossy(&c.cmd(&["INFO", section]))
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// Redis's "Test child sending info": during a slow BGSAVE (rdb-key-save-delay) INFO persistence shows the
/// child's progress (keys processed out of the total, fork percentage) and its copy-on-write size growing as the
/// parent rewrites keys; after it, the live fields are back to 0 and rdb_last_cow_size holds the total. Run
/// against ferredis and redis-server alike.
#[test]
fn info_shows_the_childs_progress_and_copy_on_write() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let who = kind.label();
        let srv = Server::start(kind, &["--save", "", "--rdb-key-save-delay", "200"]);
        let mut c = srv.conn();
        let value = vec![b'A'; 500];
        for chunk in (0..10_000).collect::<Vec<usize>>().chunks(500) {
            let mut batch = Vec::new();
            for k in chunk {
                batch.extend_from_slice(&encode_command(&[b"SET".as_slice(), format!("key{k}").as_bytes(), &value]));
            }
            c.send_raw(&batch).expect("send");
            for _ in chunk {
                c.read_reply().expect("reply");
            }
        }
        assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n", "{who}");
        let mut seen_cow = 0u64;
        let mut seen_keys = 0u64;
        let mut k = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let f = info_fields(&mut c, "persistence");
            if f["rdb_bgsave_in_progress"] == "0" {
                break;
            }
            assert_eq!(f["current_save_keys_total"], "10000", "{who}");
            let keys: u64 = f["current_save_keys_processed"].parse().unwrap();
            let cow: u64 = f["current_cow_size"].parse().unwrap();
            let perc: f64 = f["current_fork_perc"].parse().unwrap();
            assert!(keys <= 10_000 && (0.0..=100.0).contains(&perc), "{who}: {keys} keys, {perc}%");
            if keys > 0 {
                assert!(perc > 0.0, "{who}: {keys} keys processed but current_fork_perc {perc}");
            }
            seen_keys = seen_keys.max(keys);
            seen_cow = seen_cow.max(cow);
            // Rewrite a few values so the parent's pages diverge from the child's.
            for _ in 0..16 {
                c.cmd(&[b"SETRANGE".as_slice(), format!("key{k}").as_bytes(), b"0", &[b'B'; 500]]);
                k += 1;
            }
            assert!(std::time::Instant::now() < deadline, "{who}: the BGSAVE did not end");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(seen_keys > 0, "{who}: current_save_keys_processed never moved");
        assert!(seen_cow >= 4096, "{who}: current_cow_size never showed copy-on-write ({seen_cow})");
        let f = info_fields(&mut c, "persistence");
        for field in ["current_cow_size", "current_save_keys_processed", "current_save_keys_total"] {
            assert_eq!(f[field], "0", "{who}: {field} after the save");
        }
        assert_eq!(f["current_fork_perc"], "0.00", "{who}");
        assert!(f["rdb_last_cow_size"].parse::<u64>().unwrap() > 0, "{who}: rdb_last_cow_size");
    }
}
