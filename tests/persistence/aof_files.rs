//! Interoperability of `ferredis::persist::aof` with Debian's Redis 7.0:
//! - files written by `redis-server --appendonly yes` are read back by our manifest parser and `AofReader`;
//! - a directory produced by our `Manifest` + `AofWriter` is accepted by `redis-check-aof` and loaded by
//!   `redis-server` (keys checked through commands);
//! - `ferredis-check-aof` prints what `redis-check-aof` prints (and exits the same way) on the same inputs:
//!   a file cut at every offset, `--fix`, invalid manifests, a valid multi-part directory.
//!
//! Every test is skipped (with a message) when the reference binaries are not installed.
use crate::common;

use common::{Kind, Server};
use ferredis::persist::aof::{
    self, detect_format, files_to_load, AofReadError, AofReader, AofWriter, FileFormat, FileKind, FsyncPolicy,
    Manifest, WriterConfig,
};
use std::fs;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const REDIS_SERVER: &str = "/usr/bin/redis-server";
const REDIS_CHECK_AOF: &str = "/usr/bin/redis-check-aof";

fn have_oracle(test: &str) -> bool {
    let ok = Path::new(REDIS_SERVER).exists() && Path::new(REDIS_CHECK_AOF).exists();
    if !ok {
        eprintln!("{test}: skipped (no {REDIS_SERVER} / {REDIS_CHECK_AOF})");
    }
    ok
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferredis-aof-it-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).expect("mkdir scratch");
    d
}

/// Runs a checker with a time bound; returns (exit code, stdout).
fn run_checker(bin: &str, args: &[&str], cwd: &Path, stdin: &[u8]) -> (i32, String) {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin);
    }
    let start = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            let mut out = String::new();
            if let Some(mut o) = child.stdout.take() {
                use std::io::Read;
                let _ = o.read_to_string(&mut out);
            }
            return (st.code().unwrap_or(-1), out);
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{bin} {args:?} took too long");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn ours() -> &'static str {
    env!("CARGO_BIN_EXE_ferredis-check-aof")
}

/// Log lines carry a pid and a time; keep the message. A stale stack byte redis-check-aof prints after a NUL is
/// masked (see `check.rs`).
fn normalize(out: &str) -> String {
    let mut s = String::new();
    for line in out.split_inclusive('\n') {
        let l = match line.find(":C ") {
            Some(i) if line[..i].chars().all(|c| c.is_ascii_digit()) && i > 0 => match line.find(" # ") {
                Some(j) => format!("LOG {}", &line[j + 3..]),
                None => line.to_string(),
            },
            _ => line.to_string(),
        };
        let l = match l.find("Expected \\r\\n, got: 00") {
            Some(i) => format!("{}Expected \\r\\n, got: 00??{}", &l[..i], &l[i + 24..]),
            None => l,
        };
        s.push_str(&l);
    }
    s
}

fn read_all_commands(path: &Path) -> Vec<Vec<Vec<u8>>> {
    let mut f = fs::File::open(path).expect("open aof file");
    let fmt = detect_format(&mut f).expect("detect");
    assert!(fmt != FileFormat::Rdb, "{} is RDB; the caller would load it with persist::rdb", path.display());
    let mut r = AofReader::new(BufReader::new(f));
    let mut argv = Vec::new();
    let mut out = Vec::new();
    while r.next_command(&mut argv).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        out.push(argv.clone());
    }
    out
}

fn cmd(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

#[test]
fn redis_written_aof_reads_back() {
    if !have_oracle("redis_written_aof_reads_back") {
        return;
    }
    let dir = scratch("from-redis");
    let d = dir.to_str().expect("utf8 path");
    let srv = Server::start(
        Kind::Redis,
        &["--appendonly", "yes", "--dir", d, "--appendfsync", "always", "--aof-timestamp-enabled", "yes"],
    );
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["SET", "a", "1"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SELECT", "3"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["RPUSH", "list", "x", "y z", "bin\r\nary"]), b":3\r\n");
    assert_eq!(c.cmd(&["SELECT", "0"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["INCR", "n"]), b":1\r\n");
    assert_eq!(c.cmd(&["MULTI"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SET", "b", "2"]), b"+QUEUED\r\n");
    assert_eq!(c.cmd(&["SET", "c", "3"]), b"+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), b"*2\r\n+OK\r\n+OK\r\n");
    assert_eq!(c.cmd(&["SELECT", "15"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["DEL", "nothing"]), b":0\r\n"); // not a write: not in the AOF
    assert_eq!(c.cmd(&["HSET", "h", "f", "v"]), b":1\r\n");

    let aof_dir = dir.join("appendonlydir");
    let m = Manifest::load_from_dir(&aof_dir, "appendonly.aof").expect("manifest");
    let base = m.base.clone().expect("Redis creates a base on start");
    assert_eq!(base.name, b"appendonly.aof.1.base.rdb");
    assert_eq!(m.incrs.len(), 1);
    assert_eq!(m.incrs[0].name, b"appendonly.aof.1.incr.aof");
    // Our formatting of what we parsed is byte-identical to Redis's file.
    assert_eq!(m.to_bytes(), fs::read(aof_dir.join("appendonly.aof.manifest")).expect("read manifest"));

    let files = files_to_load(&aof_dir, &m);
    assert_eq!(files.iter().map(|f| f.1).collect::<Vec<_>>(), vec![FileKind::Base, FileKind::Incr]);
    let mut f = fs::File::open(&files[0].0).expect("open base");
    assert_eq!(detect_format(&mut f).expect("detect"), FileFormat::Rdb);

    let got = read_all_commands(&files[1].0);
    let want = vec![
        cmd(&["SELECT", "0"]),
        cmd(&["set", "a", "1"]),
        cmd(&["SELECT", "3"]),
        cmd(&["rpush", "list", "x", "y z", "bin\r\nary"]),
        cmd(&["SELECT", "0"]),
        cmd(&["incr", "n"]),
        cmd(&["multi"]),
        cmd(&["set", "b", "2"]),
        cmd(&["set", "c", "3"]),
        cmd(&["exec"]),
        cmd(&["SELECT", "15"]),
        cmd(&["hset", "h", "f", "v"]),
    ];
    let lower = |v: &Vec<Vec<Vec<u8>>>| {
        v.iter()
            .map(|c| {
                let mut c = c.clone();
                c[0].make_ascii_lowercase();
                c
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(lower(&got), lower(&want));
    // Timestamps were on: the file has annotations, which the reader skipped.
    let raw = fs::read(&files[1].0).expect("read incr");
    assert!(raw.starts_with(b"#TS:"), "{:?}", String::from_utf8_lossy(&raw[..20.min(raw.len())]));
    drop(srv);
    let _ = fs::remove_dir_all(&dir);
}

/// Builds an AOF directory with our code: a RESP base and an incr with SELECTs and timestamps.
fn build_dir(work: &Path) -> PathBuf {
    let aof_dir = work.join("appendonlydir");
    fs::create_dir_all(&aof_dir).expect("mkdir");
    let mut m = Manifest::new();
    let cfg = WriterConfig { fsync: FsyncPolicy::Always, timestamp_enabled: true, no_fsync_on_rewrite: false };
    let base = m.add_new_base("appendonly.aof", false).path_in(&aof_dir);
    {
        let mut w = AofWriter::new(aof::manifest::create_incr(&base).expect("create base"), cfg).expect("writer");
        w.feed(0, &[b"SET", b"base-key", b"from base"]);
        w.feed(1, &[b"SET", b"k1", b"db1 value"]);
        w.flush(false).expect("flush base");
    }
    let incr = m.last_incr_or_new("appendonly.aof").path_in(&aof_dir);
    {
        let mut w = AofWriter::open(&incr, cfg).expect("writer");
        w.feed(0, &[b"SET", b"a", b"1"]);
        w.feed(2, &[b"RPUSH", b"l", b"x", b"y\r\nz"]);
        w.feed(2, &[b"INCR", b"counter"]);
        w.feed(0, &[b"APPEND", b"a", b"23"]);
        w.feed(9, &[b"HSET", b"h", b"field", b"value"]);
        w.flush(false).expect("flush incr");
    }
    m.persist(&aof_dir, "appendonly.aof").expect("persist");
    aof_dir
}

#[test]
fn our_dir_is_accepted_and_loaded_by_redis() {
    if !have_oracle("our_dir_is_accepted_and_loaded_by_redis") {
        return;
    }
    let work = scratch("to-redis");
    let aof_dir = build_dir(&work);
    let manifest = aof_dir.join("appendonly.aof.manifest");
    let ms = manifest.to_str().expect("utf8");
    let (code, out) = run_checker(REDIS_CHECK_AOF, &[ms], &work, b"");
    assert_eq!(code, 0, "redis-check-aof rejected our files:\n{out}");
    assert!(out.contains("All AOF files and manifest are valid"), "{out}");
    // Our checker says exactly the same.
    let (code2, out2) = run_checker(ours(), &[ms], &work, b"");
    assert_eq!((code2, normalize(&out2)), (code, normalize(&out)));

    let w = work.to_str().expect("utf8");
    let srv = Server::start(Kind::Redis, &["--appendonly", "yes", "--dir", w]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["GET", "base-key"]), b"$9\r\nfrom base\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), b"$3\r\n123\r\n");
    assert_eq!(c.cmd(&["SELECT", "1"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k1"]), b"$9\r\ndb1 value\r\n");
    assert_eq!(c.cmd(&["SELECT", "2"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["LRANGE", "l", "0", "-1"]), b"*2\r\n$1\r\nx\r\n$4\r\ny\r\nz\r\n");
    assert_eq!(c.cmd(&["GET", "counter"]), b"$1\r\n1\r\n");
    assert_eq!(c.cmd(&["SELECT", "9"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["HGET", "h", "field"]), b"$5\r\nvalue\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), b":1\r\n");
    drop(srv);
    let _ = fs::remove_dir_all(&work);
}

#[test]
fn our_reader_agrees_with_our_writer_through_the_manifest() {
    let work = scratch("self");
    let aof_dir = build_dir(&work);
    let m = Manifest::load_from_dir(&aof_dir, "appendonly.aof").expect("manifest");
    let files = files_to_load(&aof_dir, &m);
    assert_eq!(files.len(), 2);
    let base = read_all_commands(&files[0].0);
    assert_eq!(
        base,
        vec![
            cmd(&["SELECT", "0"]),
            cmd(&["SET", "base-key", "from base"]),
            cmd(&["SELECT", "1"]),
            cmd(&["SET", "k1", "db1 value"])
        ]
    );
    let incr = read_all_commands(&files[1].0);
    assert_eq!(incr.len(), 9);
    assert_eq!(incr[2], cmd(&["SELECT", "2"]));
    assert_eq!(incr[3], cmd(&["RPUSH", "l", "x", "y\r\nz"]));
    let _ = fs::remove_dir_all(&work);
}

#[test]
fn check_aof_matches_redis_on_every_truncation() {
    if !have_oracle("check_aof_matches_redis_on_every_truncation") {
        return;
    }
    let work = scratch("cuts");
    let mut full = b"#TS:1700000000\r\n".to_vec();
    for c in [&[&b"SET"[..], b"k", b"v"][..], &[b"MULTI"], &[b"INCR", b"n"], &[b"EXEC"], &[b"DEL", b"k"]] {
        ferredis::resp::encode_command(&mut full, c);
    }
    for cut in 0..=full.len() {
        fs::write(work.join("t.aof"), &full[..cut]).expect("write");
        let (rc, rout) = run_checker(REDIS_CHECK_AOF, &["t.aof"], &work, b"");
        let (oc, oout) = run_checker(ours(), &["t.aof"], &work, b"");
        assert_eq!((oc, normalize(&oout)), (rc, normalize(&rout)), "cut at {cut}");
        // And our loader's reading of the same file: truncated exactly where the checker would cut.
        let mut r = AofReader::new(&full[..cut]);
        let mut argv = Vec::new();
        let res = loop {
            match r.next_command(&mut argv) {
                Ok(true) => {}
                Ok(false) => break None,
                Err(e) => break Some(e),
            }
        };
        let ok_up_to =
            rout.split("ok_up_to=").nth(1).and_then(|s| s.split(',').next()).and_then(|s| s.parse::<u64>().ok());
        match (res, ok_up_to) {
            (None, _) => assert_eq!(rc, 0, "cut {cut}: we read it all, redis-check-aof did not:\n{rout}"),
            // Like Redis's loader, our offset only moves past complete commands; the checker's also moves past
            // annotation lines. Between the two there may only be annotations.
            (Some(AofReadError::Truncated { valid_up_to, .. }), Some(ok)) => {
                assert!(valid_up_to <= ok, "cut {cut}: {valid_up_to} > {ok}");
                let gap = &full[valid_up_to as usize..ok as usize];
                assert!(gap.is_empty() || (gap[0] == b'#' && gap.ends_with(b"\r\n")), "cut {cut}: {gap:?}");
            }
            (other, _) => panic!("cut {cut}: {other:?}\n{rout}"),
        }
    }
    let _ = fs::remove_dir_all(&work);
}

#[test]
fn check_aof_fix_matches_redis() {
    if !have_oracle("check_aof_fix_matches_redis") {
        return;
    }
    let work = scratch("fix");
    let (dr, do_) = (work.join("r"), work.join("o"));
    fs::create_dir_all(&dr).expect("mkdir");
    fs::create_dir_all(&do_).expect("mkdir");
    let mut data = Vec::new();
    ferredis::resp::encode_command(&mut data, &[b"SET", b"k", b"v"]);
    ferredis::resp::encode_command(&mut data, &[b"SET", b"k2", b"longer value"]);
    data.truncate(data.len() - 7);
    for answer in [&b"n\n"[..], b"y\n", b""] {
        fs::write(dr.join("x.aof"), &data).expect("write");
        fs::write(do_.join("x.aof"), &data).expect("write");
        let (rc, rout) = run_checker(REDIS_CHECK_AOF, &["--fix", "x.aof"], &dr, answer);
        let (oc, oout) = run_checker(ours(), &["--fix", "x.aof"], &do_, answer);
        assert_eq!((oc, normalize(&oout)), (rc, normalize(&rout)), "answer {answer:?}");
        assert_eq!(fs::read(do_.join("x.aof")).expect("read"), fs::read(dr.join("x.aof")).expect("read"));
    }
    // --truncate-to-timestamp on a multi-part directory (only the last file may be cut).
    for sub in ["r", "o"] {
        let d = work.join(sub).join("mp");
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("mkdir");
        fs::write(d.join("a.aof.1.base.aof"), b"#TS:50\r\n*1\r\n$4\r\nPING\r\n").expect("write");
        fs::write(d.join("a.aof.1.incr.aof"), b"#TS:100\r\n*1\r\n$4\r\nPING\r\n#TS:200\r\n*1\r\n$4\r\nPING\r\n")
            .expect("write");
        fs::write(
            d.join("a.aof.manifest"),
            b"file a.aof.1.base.aof seq 1 type b\nfile a.aof.1.incr.aof seq 1 type i\n",
        )
        .expect("write");
    }
    let (rc, rout) = run_checker(REDIS_CHECK_AOF, &["--truncate-to-timestamp", "150", "mp/a.aof.manifest"], &dr, b"");
    let (oc, oout) = run_checker(ours(), &["--truncate-to-timestamp", "150", "mp/a.aof.manifest"], &do_, b"");
    assert_eq!((oc, normalize(&oout)), (rc, normalize(&rout)));
    assert_eq!(
        fs::read(do_.join("mp/a.aof.1.incr.aof")).expect("read"),
        fs::read(dr.join("mp/a.aof.1.incr.aof")).expect("read")
    );
    let _ = fs::remove_dir_all(&work);
}

#[test]
fn check_aof_matches_redis_on_bad_manifests() {
    if !have_oracle("check_aof_matches_redis_on_bad_manifests") {
        return;
    }
    let work = scratch("manifests");
    let cases: &[&[u8]] = &[
        b"file a seq 1 type x\n",
        b"file a seq 1 type b",
        b"file a seq 1 type b\nfile b seq 2 type b\n",
        b"file a seq 2 type i\nfile b seq 1 type i\n",
        b"file d/a seq 1 type b\n",
        b"file a seq 1\n",
        b"# only\nfile \"unterminated seq 1 type b\n",
        b"file a seq 0 type b\n",
        b"file missing.aof seq 1 type i\n",
        b"file empty.aof seq 1 type b\nfile bad.aof seq 2 type i\n",
        b"file bad.aof seq 1 type b\nfile empty.aof seq 2 type i\n",
    ];
    fs::write(work.join("empty.aof"), b"").expect("write");
    fs::write(work.join("bad.aof"), b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI").expect("write");
    for (i, text) in cases.iter().enumerate() {
        fs::write(work.join("m.manifest"), text).expect("write");
        let (rc, rout) = run_checker(REDIS_CHECK_AOF, &["m.manifest"], &work, b"");
        let (oc, oout) = run_checker(ours(), &["m.manifest"], &work, b"");
        assert_eq!((oc, normalize(&oout)), (rc, normalize(&rout)), "case {i}: {:?}", String::from_utf8_lossy(text));
    }
    let _ = fs::remove_dir_all(&work);
}

#[test]
fn rewrite_manifest_changes_match_redis() {
    if !have_oracle("rewrite_manifest_changes_match_redis") {
        return;
    }
    let dir = scratch("rewrite");
    let d = dir.to_str().expect("utf8 path");
    let srv = Server::start(Kind::Redis, &["--appendonly", "yes", "--dir", d, "--aof-disable-auto-gc", "yes"]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    let aof_dir = dir.join("appendonlydir");
    let before = Manifest::load_from_dir(&aof_dir, "appendonly.aof").expect("manifest before");
    assert_eq!(c.cmd(&["BGREWRITEAOF"]), b"+Background append only file rewriting started\r\n");
    common::wait_for("the rewrite to finish", || {
        common::info_field(&mut c, "persistence", "aof_rewrite_in_progress") == "0"
            && Manifest::load_from_dir(&aof_dir, "appendonly.aof").is_ok_and(|m| m.curr_base_seq == 2)
    });
    let after = fs::read(aof_dir.join("appendonly.aof.manifest")).expect("read manifest");
    // The same steps with our Manifest: open the next incr when the rewrite starts, apply the rewrite when done.
    let mut simulated = before.clone();
    simulated.add_new_incr("appendonly.aof");
    simulated.apply_rewrite("appendonly.aof", true, true);
    assert_eq!(String::from_utf8_lossy(&simulated.to_bytes()), String::from_utf8_lossy(&after));
    // Garbage collection as Redis does with aof-disable-auto-gc no: history files removed, manifest rewritten.
    drop(srv);
    let mut m = Manifest::parse(&after).expect("parse");
    let removed = m.delete_history(&aof_dir, "appendonly.aof").expect("gc");
    assert_eq!(removed, vec![b"appendonly.aof.1.incr.aof".to_vec(), b"appendonly.aof.1.base.rdb".to_vec()]);
    assert!(!aof_dir.join("appendonly.aof.1.incr.aof").exists());
    assert_eq!(
        fs::read(aof_dir.join("appendonly.aof.manifest")).expect("read"),
        b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n".to_vec()
    );
    // Our checker accepts Redis's directory, its RDB base checked by the RDB loader.
    let ms = aof_dir.join("appendonly.aof.manifest");
    let (code, out) = run_checker(ours(), &[ms.to_str().expect("utf8")], &dir, b"");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Start to check BASE AOF (RDB format).") && out.contains("RDB preamble is OK"), "{out}");
    assert!(out.ends_with("All AOF files and manifest are valid\n"), "{out}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn legacy_upgrade_matches_redis() {
    if !have_oracle("legacy_upgrade_matches_redis") {
        return;
    }
    let legacy = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$6\r\nlegacy\r\n$3\r\nyes\r\n";
    let (theirs, ours_dir) = (scratch("legacy-redis"), scratch("legacy-ours"));
    fs::write(theirs.join("appendonly.aof"), legacy).expect("write");
    fs::write(ours_dir.join("appendonly.aof"), legacy).expect("write");

    let srv = Server::start(Kind::Redis, &["--appendonly", "yes", "--dir", theirs.to_str().expect("utf8")]);
    assert_eq!(srv.conn().cmd(&["GET", "legacy"]), b"$3\r\nyes\r\n");
    drop(srv);

    // Ours: upgrade, then what the server does on start (open the newest incr, persist).
    let aof_dir = ours_dir.join("appendonlydir");
    let mut m = Manifest::load_from_dir(&aof_dir, "appendonly.aof").expect("manifest");
    assert!(aof::upgrade_legacy_if_needed(&ours_dir, &aof_dir, "appendonly.aof", &mut m).expect("upgrade"));
    let incr = m.last_incr_or_new("appendonly.aof").path_in(&aof_dir);
    aof::manifest::open_for_append(&incr).expect("create incr");
    m.persist(&aof_dir, "appendonly.aof").expect("persist");

    let read = |d: &Path| fs::read(d.join("appendonlydir/appendonly.aof.manifest")).expect("manifest");
    assert_eq!(String::from_utf8_lossy(&read(&ours_dir)), String::from_utf8_lossy(&read(&theirs)));
    assert!(!ours_dir.join("appendonly.aof").exists() && !theirs.join("appendonly.aof").exists());
    assert_eq!(fs::read(aof_dir.join("appendonly.aof")).expect("moved"), legacy.to_vec());
    // And Redis loads the directory we upgraded.
    let srv = Server::start(Kind::Redis, &["--appendonly", "yes", "--dir", ours_dir.to_str().expect("utf8")]);
    assert_eq!(srv.conn().cmd(&["GET", "legacy"]), b"$3\r\nyes\r\n");
    drop(srv);
    let _ = fs::remove_dir_all(&theirs);
    let _ = fs::remove_dir_all(&ours_dir);
}

/// Executes nothing; records what the loader hands over.
#[derive(Default)]
struct Recorder {
    cmds: Vec<Vec<Vec<u8>>>,
    logs: Vec<String>,
}

impl aof::LoadTarget for Recorder {
    fn load_rdb(&mut self, _: &mut BufReader<fs::File>, name: &str, _: bool) -> Result<(), String> {
        Err(format!("no RDB expected in {name}"))
    }
    fn command(&mut self, argv: &[Vec<u8>]) -> Result<(), String> {
        self.cmds.push(argv.to_vec());
        Ok(())
    }
    fn end_of_file(&mut self) {}
    fn log(&mut self, _: ferredis::config::LogLevel, msg: &str) {
        self.logs.push(msg.to_string());
    }
}

#[test]
fn truncated_last_incr_is_cut_where_redis_cuts_it() {
    if !have_oracle("truncated_last_incr_is_cut_where_redis_cuts_it") {
        return;
    }
    let mut tails: Vec<Vec<u8>> = vec![b"*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$5\r\nhal".to_vec(), b"*2\r\n$4".to_vec()];
    let mut open_multi = Vec::new();
    ferredis::resp::encode_command(&mut open_multi, &[b"MULTI"]);
    ferredis::resp::encode_command(&mut open_multi, &[b"SET", b"in-multi", b"1"]);
    tails.push(open_multi);
    for (i, tail) in tails.iter().enumerate() {
        let (theirs, ours_dir) = (scratch(&format!("cut-redis-{i}")), scratch(&format!("cut-ours-{i}")));
        // One directory, copied: built twice, the `#TS:` annotations could straddle a second boundary.
        let aof_dir = build_dir(&theirs);
        let mut f =
            fs::OpenOptions::new().append(true).open(aof_dir.join("appendonly.aof.1.incr.aof")).expect("open incr");
        f.write_all(tail).expect("append tail");
        drop(f);
        let copy = ours_dir.join("appendonlydir");
        fs::create_dir_all(&copy).expect("mkdir");
        for e in fs::read_dir(&aof_dir).expect("read dir").flatten() {
            fs::copy(e.path(), copy.join(e.file_name())).expect("copy");
        }
        let srv = Server::start(
            Kind::Redis,
            &["--appendonly", "yes", "--aof-load-truncated", "yes", "--dir", theirs.to_str().expect("utf8")],
        );
        let mut c = srv.conn();
        assert_eq!(c.cmd(&["GET", "a"]), b"$3\r\n123\r\n");
        assert_eq!(c.cmd(&["EXISTS", "in-multi", "z"]), b":0\r\n");
        drop(srv);

        let aof_dir = ours_dir.join("appendonlydir");
        let m = Manifest::load_from_dir(&aof_dir, "appendonly.aof").expect("manifest");
        let mut rec = Recorder::default();
        let report = aof::load_files(&aof_dir, "appendonly.aof", &m, true, &mut rec);
        assert_eq!(report.status, aof::LoadStatus::Truncated, "{:?}", rec.logs);
        let name = "appendonlydir/appendonly.aof.1.incr.aof";
        assert_eq!(
            fs::read(ours_dir.join(name)).expect("ours"),
            fs::read(theirs.join(name)).expect("theirs"),
            "tail {i}: the file is cut at the same offset"
        );
        let _ = fs::remove_dir_all(&theirs);
        let _ = fs::remove_dir_all(&ours_dir);
    }
}
