//! Support for the persistence tests (`tests/persist_*.rs`): a dataset snapshot taken through ordinary commands,
//! INFO parsing, the multi-part AOF directory (manifest and RESP command files), the fork child of a server,
//! and Redis's file checkers.
//!
//! A snapshot reads every key of every database with SCAN, TYPE, the type's full read command and PTTL, so two
//! servers (or one server before and after a restart) can be compared without trusting either's files.

use super::{display_args, escape, Conn, Resp};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One key as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeySnap {
    pub db: u32,
    pub key: Vec<u8>,
    /// TYPE's answer.
    pub kind: String,
    /// The full contents, escaped: a string's value; a list's elements in order; a set's members sorted; a
    /// hash's `field=value` pairs sorted; a zset's `member=score` pairs in rank order.
    pub value: Vec<String>,
    /// PTTL: -1 without a TTL, else the milliseconds left when the snapshot read it.
    pub pttl: i64,
}

/// Every key of every database, sorted by (db, key).
pub type Snapshot = Vec<KeySnap>;

fn bulk_items(reply: &[u8], what: &str) -> Vec<Vec<u8>> {
    let r = Resp::parse(reply).unwrap_or_else(|e| panic!("{what}: {e}: {}", escape(reply)));
    r.items()
        .unwrap_or_else(|| panic!("{what}: expected an array, got {}", escape(reply)))
        .iter()
        .map(|x| x.as_bytes().unwrap_or_else(|| panic!("{what}: non-bulk item in {}", escape(reply))).to_vec())
        .collect()
}

fn int_reply(reply: &[u8], what: &str) -> i64 {
    Resp::parse(reply)
        .ok()
        .and_then(|r| r.as_int())
        .unwrap_or_else(|| panic!("{what}: expected an integer, got {}", escape(reply)))
}

/// The number of databases (`CONFIG GET databases`).
pub fn databases(c: &mut Conn) -> u32 {
    let items = bulk_items(&c.cmd(&["CONFIG", "GET", "databases"]), "CONFIG GET databases");
    std::str::from_utf8(&items[1]).unwrap().parse().expect("databases")
}

/// Every key of db `db` (SCAN to completion), sorted. Leaves the connection on `db`.
pub fn scan_keys(c: &mut Conn, db: u32) -> Vec<Vec<u8>> {
    let r = c.cmd(&["SELECT", &db.to_string()]);
    assert_eq!(r, b"+OK\r\n", "SELECT {db}");
    let mut keys = Vec::new();
    let mut cursor = b"0".to_vec();
    loop {
        let reply = c.cmd(&[&b"SCAN"[..], &cursor, b"COUNT", b"1000"]);
        let r = Resp::parse(&reply).unwrap_or_else(|e| panic!("SCAN: {e}"));
        let parts = r.items().expect("SCAN reply").clone();
        cursor = parts[0].as_bytes().expect("cursor").to_vec();
        for k in parts[1].items().expect("SCAN keys") {
            keys.push(k.as_bytes().expect("key").to_vec());
        }
        if cursor == b"0" {
            break;
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Reads the whole dataset. The connection is left on db 0.
pub fn dataset_snapshot(c: &mut Conn) -> Snapshot {
    let mut out = Vec::new();
    for db in 0..databases(c) {
        for key in scan_keys(c, db) {
            let ty_reply = c.cmd(&[&b"TYPE"[..], &key]);
            let kind = String::from_utf8_lossy(&ty_reply).trim_start_matches('+').trim_end().to_string();
            let what = format!("db {db} key {}", escape(&key));
            let value: Vec<String> = match kind.as_str() {
                "string" => {
                    let r = Resp::parse(&c.cmd(&[&b"GET"[..], &key])).expect("GET");
                    vec![escape(r.as_bytes().unwrap_or_else(|| panic!("GET {what}")))]
                }
                "list" => {
                    bulk_items(&c.cmd(&[&b"LRANGE"[..], &key, b"0", b"-1"]), &what).iter().map(|v| escape(v)).collect()
                }
                "set" => {
                    let mut v: Vec<String> =
                        bulk_items(&c.cmd(&[&b"SMEMBERS"[..], &key]), &what).iter().map(|v| escape(v)).collect();
                    v.sort();
                    v
                }
                "hash" => {
                    let items = bulk_items(&c.cmd(&[&b"HGETALL"[..], &key]), &what);
                    let mut v: Vec<String> =
                        items.chunks(2).map(|p| format!("{}={}", escape(&p[0]), escape(&p[1]))).collect();
                    v.sort();
                    v
                }
                "zset" => {
                    let items = bulk_items(&c.cmd(&[&b"ZRANGE"[..], &key, b"0", b"-1", b"WITHSCORES"]), &what);
                    items.chunks(2).map(|p| format!("{}={}", escape(&p[0]), escape(&p[1]))).collect()
                }
                "stream" => {
                    let r = Resp::parse(&c.cmd(&[&b"XRANGE"[..], &key, b"-", b"+"])).expect("XRANGE");
                    vec![escape(&r.to_bytes())]
                }
                // The key expired between SCAN and TYPE.
                "none" => continue,
                other => vec![format!("<unknown type {other}>")],
            };
            let pttl = int_reply(&c.cmd(&[&b"PTTL"[..], &key]), &format!("PTTL {what}"));
            if pttl == -2 {
                continue;
            }
            out.push(KeySnap { db, key, kind, value, pttl });
        }
    }
    c.cmd(&["SELECT", "0"]);
    out.sort();
    out
}

fn render(k: &KeySnap) -> String {
    let ttl = if k.pttl < 0 { "no ttl".to_string() } else { format!("pttl {}", k.pttl) };
    let mut v = k.value.join(" ");
    if v.len() > 300 {
        let cut = (0..=300).rev().find(|&i| v.is_char_boundary(i)).unwrap_or(0);
        v = format!("{}... ({} items)", &v[..cut], k.value.len());
    }
    format!("db{} {} {} [{ttl}] {v}", k.db, escape(&k.key), k.kind)
}

/// Differences between two snapshots, one line each; TTLs may differ by `ttl_tolerance_ms` (both must have one or
/// both not). Empty when they match.
pub fn snapshot_diff(a: &Snapshot, b: &Snapshot, ttl_tolerance_ms: i64, la: &str, lb: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let ka = a.get(i).map(|k| (k.db, &k.key));
        let kb = b.get(j).map(|k| (k.db, &k.key));
        match (ka, kb) {
            (Some(x), Some(y)) if x == y => {
                let (p, q) = (&a[i], &b[j]);
                let ttl_ok = (p.pttl < 0 && q.pttl < 0 && p.pttl == q.pttl)
                    || (p.pttl >= 0 && q.pttl >= 0 && (p.pttl - q.pttl).abs() <= ttl_tolerance_ms);
                if p.kind != q.kind || p.value != q.value || !ttl_ok {
                    out.push(format!("  {la}: {}\n  {lb}: {}", render(p), render(q)));
                }
                i += 1;
                j += 1;
            }
            (Some(x), y) if y.is_none() || x < y.unwrap() => {
                out.push(format!("  only {la}: {}", render(&a[i])));
                i += 1;
            }
            _ => {
                out.push(format!("  only {lb}: {}", render(&b[j])));
                j += 1;
            }
        }
    }
    out
}

/// Panics with a readable diff unless the snapshots match (TTLs within `ttl_tolerance_ms`).
pub fn assert_same_dataset(a: &Snapshot, b: &Snapshot, ttl_tolerance_ms: i64, la: &str, lb: &str, context: &str) {
    let d = snapshot_diff(a, b, ttl_tolerance_ms, la, lb);
    if !d.is_empty() {
        let shown: Vec<&String> = d.iter().take(40).collect();
        panic!(
            "{context}: datasets differ ({} keys in {la}, {} in {lb}, {} differences):\n{}",
            a.len(),
            b.len(),
            d.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

/// `OBJECT ENCODING` of every key: (db, key, encoding), sorted. Leaves the connection on db 0.
pub fn encodings(c: &mut Conn) -> Vec<(u32, String, String)> {
    let mut out = Vec::new();
    for db in 0..databases(c) {
        for key in scan_keys(c, db) {
            let r = c.cmd(&[&b"OBJECT"[..], b"ENCODING", &key]);
            let enc = match Resp::parse(&r) {
                Ok(Resp::Bulk(b)) => String::from_utf8_lossy(&b).into_owned(),
                Ok(Resp::Nil(_)) => continue,
                _ => panic!("OBJECT ENCODING {}: {}", escape(&key), escape(&r)),
            };
            out.push((db, escape(&key), enc));
        }
    }
    c.cmd(&["SELECT", "0"]);
    out.sort();
    out
}

/// The `field:value` lines of one INFO section, in order.
pub fn info_section(c: &mut Conn, section: &str) -> Vec<(String, String)> {
    let reply = c.cmd(&["INFO", section]);
    let r = Resp::parse(&reply).unwrap_or_else(|e| panic!("INFO {section}: {e}"));
    let text = String::from_utf8_lossy(r.as_bytes().expect("INFO is a bulk string")).into_owned();
    text.split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// One field of INFO persistence.
pub fn persistence_field(c: &mut Conn, field: &str) -> String {
    info_section(c, "persistence")
        .into_iter()
        .find(|(k, _)| k == field)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {field} in INFO persistence"))
}

/// Polls `f` every 10 ms until it is true; panics after `timeout_ms` naming `what`.
pub fn wait_until(what: &str, timeout_ms: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    while !f() {
        assert!(Instant::now() < deadline, "timed out after {timeout_ms} ms waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until no RDB save or AOF rewrite runs (INFO persistence), at most 20 s.
pub fn wait_no_child(c: &mut Conn) {
    wait_until("background save/rewrite to finish", 20_000, || {
        let info = info_section(c, "persistence");
        let get = |f: &str| info.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone()).unwrap_or_default();
        get("rdb_bgsave_in_progress") == "0"
            && get("aof_rewrite_in_progress") == "0"
            && get("aof_rewrite_scheduled") != "1"
    });
}

/// Runs BGSAVE and waits for it to finish successfully.
pub fn bgsave_and_wait(c: &mut Conn) {
    wait_no_child(c);
    let r = c.cmd(&["BGSAVE"]);
    assert_eq!(r, b"+Background saving started\r\n", "BGSAVE");
    wait_no_child(c);
    assert_eq!(persistence_field(c, "rdb_last_bgsave_status"), "ok", "rdb_last_bgsave_status after BGSAVE");
}

/// Runs BGREWRITEAOF and waits for it to finish successfully.
pub fn bgrewriteaof_and_wait(c: &mut Conn) {
    wait_no_child(c);
    let r = c.cmd(&["BGREWRITEAOF"]);
    assert_eq!(r, b"+Background append only file rewriting started\r\n", "BGREWRITEAOF");
    wait_no_child(c);
    assert_eq!(persistence_field(c, "aof_last_bgrewrite_status"), "ok", "aof_last_bgrewrite_status");
}

/// One line of `appendonly.aof.manifest`: `file <name> seq <n> type <b|h|i>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    pub file: String,
    pub seq: u64,
    pub kind: char,
}

/// Parses a manifest file (Redis 7.0 format).
pub fn parse_manifest(text: &str) -> Result<Vec<ManifestEntry>, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split(' ').collect();
        let mut file = None;
        let mut seq = None;
        let mut kind = None;
        for kv in words.chunks(2) {
            match kv {
                ["file", v] => file = Some(v.to_string()),
                ["seq", v] => seq = Some(v.parse::<u64>().map_err(|e| format!("seq {v}: {e}"))?),
                ["type", v] => kind = v.chars().next(),
                _ => return Err(format!("bad manifest line {line:?}")),
            }
        }
        match (file, seq, kind) {
            (Some(file), Some(seq), Some(kind)) => out.push(ManifestEntry { file, seq, kind }),
            _ => return Err(format!("incomplete manifest line {line:?}")),
        }
    }
    Ok(out)
}

/// The AOF directory of a server working in `dir` (default `appenddirname`).
pub fn aof_dir(dir: &Path) -> PathBuf {
    dir.join("appendonlydir")
}

/// The manifest of `dir/appendonlydir` (default `appendfilename`).
pub fn read_manifest(dir: &Path) -> Vec<ManifestEntry> {
    let p = aof_dir(dir).join("appendonly.aof.manifest");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    parse_manifest(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", p.display()))
}

/// The path of the last incremental file named by the manifest.
pub fn last_incr_path(dir: &Path) -> PathBuf {
    let m = read_manifest(dir);
    let e = m.iter().rev().find(|e| e.kind == 'i').unwrap_or_else(|| panic!("no incr file in manifest {m:?}"));
    aof_dir(dir).join(&e.file)
}

/// The base file named by the manifest, if any.
pub fn base_entry(dir: &Path) -> Option<ManifestEntry> {
    read_manifest(dir).into_iter().find(|e| e.kind == 'b')
}

/// A command as stored in an AOF: its arguments.
pub type AofCommand = Vec<Vec<u8>>;

/// Parses a RESP command stream (an incr AOF or a RESP base file). Annotation lines (`#...`) are skipped.
/// Fails on anything that is not a complete multibulk command.
pub fn parse_aof_commands(buf: &[u8]) -> Result<Vec<AofCommand>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    let line = |pos: usize| -> Result<(&[u8], usize), String> {
        let rest = &buf[pos..];
        let n = rest.windows(2).position(|w| w == b"\r\n").ok_or(format!("unterminated line at byte {pos}"))?;
        Ok((&rest[..n], pos + n + 2))
    };
    let number = |b: &[u8], at: usize| -> Result<usize, String> {
        std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()).ok_or(format!("bad length {} at {at}", escape(b)))
    };
    while pos < buf.len() {
        if buf[pos] == b'#' {
            pos = line(pos)?.1;
            continue;
        }
        if buf[pos] != b'*' {
            return Err(format!("expected '*' at byte {pos}, found {}", escape(&buf[pos..(pos + 20).min(buf.len())])));
        }
        let (l, p) = line(pos)?;
        let argc = number(&l[1..], pos)?;
        pos = p;
        let mut args = Vec::with_capacity(argc);
        for _ in 0..argc {
            if buf.get(pos) != Some(&b'$') {
                return Err(format!("expected '$' at byte {pos}"));
            }
            let (l, p) = line(pos)?;
            let n = number(&l[1..], pos)?;
            let end = p + n;
            if end + 2 > buf.len() || &buf[end..end + 2] != b"\r\n" {
                return Err(format!("truncated or unterminated argument at byte {p}"));
            }
            args.push(buf[p..end].to_vec());
            pos = end + 2;
        }
        out.push(args);
    }
    Ok(out)
}

/// Reads and parses the last incr file of the server working in `dir`.
pub fn read_incr_commands(dir: &Path) -> Vec<AofCommand> {
    let p = last_incr_path(dir);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    parse_aof_commands(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn render_command(c: &AofCommand) -> String {
    display_args(c)
}

/// Pids of the direct children of `pid` (from /proc/*/stat), e.g. the fork doing a BGSAVE or an AOF rewrite.
pub fn child_pids(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return out };
    for e in rd.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // The command name is in parentheses and may contain spaces: fields after the last ')'.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.get(1).and_then(|s| s.parse::<u32>().ok()) == Some(pid) {
            out.push(p);
        }
    }
    out
}

/// Whether a process is a zombie or gone.
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rfind(')').map(|i| stat[i + 1..].trim_start().starts_with('Z')).unwrap_or(true),
    }
}

/// Runs a checker (`redis-check-rdb`, `redis-check-aof`) with a 30 s bound; returns (success, stdout+stderr).
pub fn run_checker(bin: &str, args: &[&str]) -> (bool, String) {
    let mut child = std::process::Command::new(bin)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{bin} {args:?} did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("checker output");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Sends SIGKILL to a pid this test found (the fork child of a server it started).
pub fn sigkill(pid: u32) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap_or_else(|e| panic!("kill -9 {pid}: {e}"));
}

/// Copies a directory tree (files and subdirectories).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read_dir {}: {e}", from.display())).flatten() {
        let src = e.path();
        let dst = to.join(e.file_name());
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        }
    }
}

/// Runs a command and panics on an error reply.
pub fn ok_cmd<A: AsRef<[u8]>>(c: &mut Conn, args: &[A]) -> Vec<u8> {
    let r = c.cmd(args);
    assert!(!r.starts_with(b"-"), "{}: {}", display_args(args), escape(&r));
    r
}

fn ok_line(c: &mut Conn, line: &str) -> Vec<u8> {
    let args = super::split_args(line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}"));
    ok_cmd(c, &args)
}

/// A dataset with every type and every Redis 7.0 encoding, keys with TTLs, and three databases (0, 1, 9):
/// strings int/embstr/raw (empty, binary, compressible 10 KB, negative and huge numbers, a float), lists
/// small and multi-node quicklists, sets intset and hashtable (small strings, large intset), hashes listpack and
/// hashtable (by count and by value size), zsets listpack and skiplist (by count and by member size; infinite and
/// negative scores). Leaves the connection on db 0.
pub fn load_rich_dataset(c: &mut Conn) {
    ok_line(c, "SELECT 0");
    ok_line(c, "SET str:int 12345");
    ok_line(c, "SET str:neg -7");
    ok_line(c, "SET str:i64max 9223372036854775807");
    ok_line(c, "SET str:huge 99999999999999999999");
    ok_line(c, "SET str:float 3.14159");
    ok_line(c, "SET str:embstr hello-world");
    ok_line(c, "SET str:empty \"\"");
    ok_line(c, "SET str:binary \"\\x00\\xff\\r\\n\\x01bin\"");
    ok_cmd(c, &[b"SET".to_vec(), b"str:raw".to_vec(), b"r".repeat(100)]);
    ok_cmd(c, &[b"SET".to_vec(), b"str:compressible".to_vec(), b"abcdefgh".repeat(1280)]);
    let mut rng = super::Prng::new(7);
    let noise: Vec<u8> = (0..700).map(|_| rng.next_u64() as u8).collect();
    ok_cmd(c, &[b"SET".to_vec(), b"str:noise".to_vec(), noise]);
    ok_line(c, "SET str:ttl v EX 1000");
    ok_line(c, "SET str:pttl v PX 2000000");
    ok_line(c, "SET \"key with spaces\" \"value\\twith\\ttabs\"");
    ok_line(c, "SET \"\\x00binkey\\xfe\" 1");

    ok_line(c, "RPUSH list:small a b 1 2 -3 \"\"");
    let mut big: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"list:big".to_vec()];
    big.extend((0..1500).map(|i| format!("element-{i:05}-padding-padding").into_bytes()));
    ok_cmd(c, &big);
    let mut ints: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"list:ints".to_vec()];
    ints.extend((0..300).map(|i| ((i as i64 - 150) * 1_000_003).to_string().into_bytes()));
    ok_cmd(c, &ints);
    ok_cmd(c, &[b"RPUSH".to_vec(), b"list:bigelem".to_vec(), b"e".repeat(20_000), b"small".to_vec()]);
    ok_line(c, "RPUSH list:ttl x y z");
    ok_line(c, "PEXPIRE list:ttl 3000000");

    ok_line(c, "SADD set:intset 1 2 3 -5 100000 9223372036854775807");
    ok_line(c, "SADD set:strings apple banana cherry \"\"");
    let mut s: Vec<Vec<u8>> = vec![b"SADD".to_vec(), b"set:bigints".to_vec()];
    s.extend((0..600).map(|i| (i * 7).to_string().into_bytes()));
    ok_cmd(c, &s);
    let mut s: Vec<Vec<u8>> = vec![b"SADD".to_vec(), b"set:big".to_vec()];
    s.extend((0..300).map(|i| format!("member:{i}").into_bytes()));
    ok_cmd(c, &s);
    ok_line(c, "SADD set:ttl a 1");
    ok_line(c, "EXPIRE set:ttl 5000");

    ok_line(c, "HSET hash:small f1 v1 f2 2 f3 \"\" num 12345");
    let mut h: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"hash:big".to_vec()];
    for i in 0..600 {
        h.push(format!("field:{i}").into_bytes());
        h.push(format!("value:{i}").into_bytes());
    }
    ok_cmd(c, &h);
    ok_cmd(c, &[b"HSET".to_vec(), b"hash:longval".to_vec(), b"f".to_vec(), b"v".repeat(100)]);
    ok_line(c, "HSET hash:ttl a 1");
    ok_line(c, "EXPIRE hash:ttl 6000");

    ok_line(c, "ZADD zset:small 1 a 2.5 b -3 c 0 d inf e -inf f");
    let mut z: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), b"zset:big".to_vec()];
    for i in 0..300 {
        z.push(format!("{}", i as f64 / 3.0).into_bytes());
        z.push(format!("m{i}").into_bytes());
    }
    ok_cmd(c, &z);
    ok_cmd(c, &[b"ZADD".to_vec(), b"zset:longmember".to_vec(), b"1".to_vec(), b"m".repeat(100)]);
    ok_line(c, "ZADD zset:ttl 1 a");
    ok_line(c, "EXPIRE zset:ttl 7000");

    ok_line(c, "SELECT 1");
    ok_line(c, "SET str:int 1");
    ok_line(c, "SET only-in-1 yes");
    ok_line(c, "RPUSH list:small other");
    ok_line(c, "HSET hash:small f other");
    ok_line(c, "SET str:ttl1 v EX 4000");

    ok_line(c, "SELECT 9");
    ok_line(c, "SET db9 nine");
    ok_line(c, "ZADD zset:small 9 nine");
    ok_line(c, "SADD set:intset 9");
    ok_line(c, "SELECT 0");
}

/// Checks that the encodings of `load_rich_dataset` are the ones Redis 7.0 uses (so the round trips really cover
/// each encoding): panics naming the first one that is not.
pub fn assert_rich_encodings(c: &mut Conn, label: &str) {
    let enc = encodings(c);
    let get = |db: u32, key: &str| {
        enc.iter()
            .find(|(d, k, _)| *d == db && k == key)
            .map(|(_, _, e)| e.as_str())
            .unwrap_or_else(|| panic!("{label}: no key {key} in db {db}"))
    };
    let expected = [
        ("str:int", "int"),
        ("str:neg", "int"),
        ("str:huge", "embstr"),
        ("str:embstr", "embstr"),
        ("str:raw", "raw"),
        ("list:small", "quicklist"),
        ("list:big", "quicklist"),
        ("set:intset", "intset"),
        ("set:strings", "hashtable"),
        ("set:bigints", "hashtable"),
        ("hash:small", "listpack"),
        ("hash:big", "hashtable"),
        ("hash:longval", "hashtable"),
        ("zset:small", "listpack"),
        ("zset:big", "skiplist"),
        ("zset:longmember", "skiplist"),
    ];
    for (key, e) in expected {
        assert_eq!(get(0, key), e, "{label}: OBJECT ENCODING {key}");
    }
}

/// Sends a command and panics (showing both replies escaped) unless the reply is exactly `expected`.
pub fn expect_reply<A: AsRef<[u8]>>(c: &mut Conn, args: &[A], expected: &[u8], context: &str) {
    let r = c.cmd(args);
    assert!(r == expected, "{context}: {} replied {}, expected {}", display_args(args), escape(&r), escape(expected));
}

/// Writes that change every kind of value after the rich dataset went in (so an AOF has more than a base).
pub fn more_writes(c: &mut Conn) {
    for line in [
        "INCR str:int",
        "SET str:embstr hello-world-more",
        "LPUSH list:small head",
        "RPOP list:big",
        "SREM set:strings banana",
        "SADD set:intset 42",
        "HDEL hash:big field:7",
        "HINCRBYFLOAT hash:small num 0.5",
        "ZINCRBY zset:big 100 m5",
        "ZREM zset:small f",
        "DEL str:neg",
        "EXPIRE str:float 9000",
        "PERSIST str:pttl",
        "SET counter 0",
    ] {
        let args = super::split_args(line).unwrap();
        ok_cmd(c, &args);
    }
    for _ in 0..50 {
        ok_cmd(c, &["INCR", "counter"]);
    }
}

/// One random write command over a small key space (so commands collide on keys and types). Unless
/// `deterministic`, it includes commands whose effect is random or depends on timing (SPOP, `PEXPIRE k 1`), whose
/// propagated form must still make a replay reproduce the dataset; with `deterministic`, the same command on two
/// servers in the same state has the same effect and the same reply.
pub fn random_command(rng: &mut super::Prng, deterministic: bool) -> Vec<String> {
    let mut which = rng.below(44);
    if deterministic && matches!(which, 9 | 19 | 20) {
        // PEXPIRE 1 races the clock; SPOP picks at random: an INCR instead.
        which = 3;
    }
    // Each family mostly works on its own keys (s: strings, l: lists, t: sets, h: hashes, z: zsets), so every
    // type survives the workload; one command in ten uses another family's key (WRONGTYPE, type changes).
    let family = match which {
        0..=9 | 41 | 42 => "s",
        10..=16 | 43 => "l",
        17..=23 => "t",
        24..=27 => "h",
        28..=35 => "z",
        _ => ["s", "l", "t", "h", "z"][rng.below(5)],
    };
    // The names are {s,l,t,h,z}0..5 (replication.rs's promotion test touches all 30 to expire the due ones).
    let key = |rng: &mut super::Prng, _p: &str| {
        let p = if rng.chance(90) { family } else { ["s", "l", "t", "h", "z"][rng.below(5)] };
        format!("{p}{}", rng.below(6))
    };
    let val = |rng: &mut super::Prng| -> String {
        match rng.below(6) {
            0 => rng.below(1000).to_string(),
            1 => format!("-{}", rng.below(100_000)),
            2 => "x".repeat(rng.below(80)),
            3 => format!("{}.{}", rng.below(100), rng.below(100)),
            _ => format!("v{}", rng.below(50)),
        }
    };
    let n = |rng: &mut super::Prng, m: usize| rng.below(m).to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let k = key(rng, "k");
    match which {
        0 => vec!["SET".into(), k, val(rng)],
        1 => vec!["SET".into(), k, val(rng), "EX".into(), (100 + rng.below(1000)).to_string()],
        2 => vec!["SET".into(), k, val(rng), "KEEPTTL".into()],
        3 => s(&["INCR", &k]),
        4 => s(&["INCRBYFLOAT", &k, "0.1"]),
        5 => vec!["APPEND".into(), k, val(rng)],
        6 => s(&["DEL", &k, &key(rng, "k")]),
        7 => s(&["EXPIRE", &k, &(50 + rng.below(5000)).to_string()]),
        8 => s(&["PERSIST", &k]),
        9 => s(&["PEXPIRE", &k, "1"]),
        10 => {
            let mut v = s(&["RPUSH", &k]);
            for _ in 0..1 + rng.below(20) {
                v.push(val(rng));
            }
            v
        }
        11 => vec!["LPUSH".into(), k, val(rng)],
        12 => s(&["LPOP", &k, &n(rng, 4)]),
        13 => s(&["RPOP", &k]),
        14 => s(&["LTRIM", &k, &n(rng, 3), &format!("-{}", 1 + rng.below(3))]),
        15 => vec!["LINSERT".into(), k, "BEFORE".into(), val(rng), val(rng)],
        16 => s(&["LMPOP", "2", &k, &key(rng, "k"), "RIGHT", "COUNT", &(1 + rng.below(3)).to_string()]),
        17 => {
            let mut v = s(&["SADD", &k]);
            for _ in 0..1 + rng.below(30) {
                v.push(if rng.chance(70) { rng.below(600).to_string() } else { val(rng) });
            }
            v
        }
        18 => vec!["SREM".into(), k, val(rng)],
        19 => s(&["SPOP", &k]),
        20 => s(&["SPOP", &k, &(1 + rng.below(5)).to_string()]),
        21 => s(&["SMOVE", &k, &key(rng, "k"), &n(rng, 600)]),
        22 => s(&["SINTERSTORE", &k, &key(rng, "k"), &key(rng, "k")]),
        23 => s(&["SUNIONSTORE", &k, &key(rng, "k"), &key(rng, "k")]),
        24 => {
            let mut v = s(&["HSET", &k]);
            for _ in 0..1 + rng.below(10) {
                v.push(format!("f{}", rng.below(200)));
                v.push(val(rng));
            }
            v
        }
        25 => s(&["HDEL", &k, &format!("f{}", rng.below(200))]),
        26 => s(&["HINCRBY", &k, "counter", &n(rng, 100)]),
        27 => s(&["HINCRBYFLOAT", &k, "float", "1.5"]),
        28 => {
            let mut v = s(&["ZADD", &k]);
            for _ in 0..1 + rng.below(20) {
                v.push(format!("{}", rng.below(1000) as f64 / 7.0));
                v.push(format!("m{}", rng.below(300)));
            }
            v
        }
        29 => s(&["ZINCRBY", &k, "2.5", &format!("m{}", rng.below(300))]),
        30 => s(&["ZREM", &k, &format!("m{}", rng.below(300))]),
        31 => s(&["ZPOPMIN", &k, &n(rng, 3)]),
        32 => s(&["ZPOPMAX", &k]),
        33 => s(&["ZMPOP", "1", &k, "MIN", "COUNT", "2"]),
        34 => s(&["ZUNIONSTORE", &k, "2", &key(rng, "k"), &key(rng, "k")]),
        35 => s(&["ZRANGESTORE", &k, &key(rng, "k"), "0", "5"]),
        36 => s(&["RENAME", &k, &key(rng, "k")]),
        37 => s(&["COPY", &k, &key(rng, "k"), "REPLACE"]),
        38 => s(&["MOVE", &k, &n(rng, 3)]),
        39 => s(&["SWAPDB", &n(rng, 3), &n(rng, 3)]),
        40 => s(&["SELECT", &n(rng, 3)]),
        41 => s(&["GETDEL", &k]),
        42 => s(&["GETEX", &k, "EX", &(100 + rng.below(100)).to_string()]),
        _ => s(&["SORT", &k, "ALPHA", "STORE", &key(rng, "k")]),
    }
}
