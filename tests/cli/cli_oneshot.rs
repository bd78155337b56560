//! ferredis-cli against Debian's redis-cli 7.0: the same invocation of both clients against the same server
//! (a ferredis server and a redis-server in turn), comparing stdout bytes, stderr bytes and exit status over a
//! corpus that covers every reply shape (RESP2 and RESP3), raw / `--no-raw` / `--csv` / `--json` output,
//! errors and `-e`, `-x`, `-r`, `-n`, `-u`, `-a`, `--pipe`, `--scan`, `--bigkeys`, `--memkeys`, SUBSCRIBE
//! streaming, `--rdb`, and the shape of the timing modes (`--latency`, `--latency-history`, `--stat`).
//!
//! The corpus is idempotent (each case runs twice against one server, once per client), so the outputs must
//! match byte for byte. Not covered here: the interactive mode (tests/cli/cli_interactive.rs).

use crate::common;

use common::{escape, redis_cli_bin, Conn, Kind, Server};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ferredis_cli_bin() -> &'static str {
    env!("CARGO_BIN_EXE_ferredis-cli")
}

#[derive(Debug, PartialEq)]
struct Out {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

fn run(bin: &str, args: &[String], stdin: &[u8], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(bin);
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env_remove("REDISCLI_AUTH").env_remove("FAKETTY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    {
        let mut sin = child.stdin.take().expect("stdin");
        let _ = sin.write_all(stdin);
    }
    let o = child.wait_with_output().expect("output");
    Out { stdout: o.stdout, stderr: o.stderr, code: o.status.code() }
}

fn show(o: &Out) -> String {
    format!("code {:?}\nstdout: {}\nstderr: {}", o.code, escape(&o.stdout), escape(&o.stderr))
}

/// Runs `args` (after `-p port`) with redis-cli, then ferredis-cli.
fn both(port: u16, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> (Out, Out) {
    let mut full = vec!["-p".to_string(), port.to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    let theirs = run(redis_cli_bin().to_str().unwrap(), &full, stdin, env);
    let ours = run(ferredis_cli_bin(), &full, stdin, env);
    (theirs, ours)
}

/// Runs `args` (after `-p port`) with both clients and asserts identical output; returns ferredis-cli's.
fn same(port: u16, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Out {
    let (theirs, ours) = both(port, args, stdin, env);
    assert!(
        theirs == ours,
        "ferredis-cli differs from redis-cli for {args:?}\n--- redis-cli:\n{}\n--- ferredis-cli:\n{}",
        show(&theirs),
        show(&ours)
    );
    ours
}

fn populate(port: u16) {
    let mut c = Conn::connect(port);
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["SET", "str", "hello world"]);
    c.cmd(&[b"SET".as_slice(), b"bin", b"a\x00b\xff\"\\\n\t\x07\x08c"]);
    c.cmd(&["SET", "num", "42"]);
    let mut list = vec!["RPUSH", "list"];
    let items = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
    list.extend_from_slice(&items);
    c.cmd(&list);
    c.cmd(&["HSET", "hash", "f1", "v1", "f2", "v2"]);
    c.cmd(&["SADD", "intset", "3", "1", "2"]);
    c.cmd(&["ZADD", "zset", "1", "a", "2.5", "b", "3", "c"]);
    c.cmd(&["XADD", "stream", "1-1", "f", "v", "g", "w"]);
    c.cmd(&["XADD", "stream", "2-1", "x", "y"]);
    for i in 0..30 {
        c.cmd(&["SET", &format!("scan:{i}"), "v"]);
    }
}

/// Commands whose replies cover every RESP2 shape.
const RESP2_CASES: &[&str] = &[
    "PING",
    "PING hello",
    "ECHO \"\"",
    "GET str",
    "GET bin",
    "GET nosuchkey",
    "STRLEN str",
    "INCRBYFLOAT nosuch:float 0",
    "LRANGE list 0 -1",
    "LRANGE list 0 2",
    "LRANGE nosuchkey 0 -1",
    "HGETALL hash",
    "SMEMBERS intset",
    "ZRANGE zset 0 -1 WITHSCORES",
    "ZSCORE zset b",
    "XRANGE stream - +",
    "MGET str nosuchkey num",
    "EXISTS str num nosuchkey",
    "TYPE list",
    "NOSUCHCOMMAND a b",
    "GET",
    "LPUSH str x",
    "INCR str",
    "OBJECT ENCODING list",
    "DEBUG PROTOCOL string",
    "DEBUG PROTOCOL integer",
    "DEBUG PROTOCOL double",
    "DEBUG PROTOCOL bignum",
    "DEBUG PROTOCOL null",
    "DEBUG PROTOCOL array",
    "DEBUG PROTOCOL set",
    "DEBUG PROTOCOL map",
    "DEBUG PROTOCOL true",
    "DEBUG PROTOCOL false",
    "DEBUG PROTOCOL verbatim",
    "CONFIG GET maxmemory",
    "SET str \"hello world\"",
    "SELECT 0",
    "MULTI",
];

/// Extra RESP3-only shapes (sent with -3).
const RESP3_CASES: &[&str] = &["DEBUG PROTOCOL attrib", "DEBUG PROTOCOL push", "HGETALL hash", "ZSCORE zset b"];

fn words(case: &str) -> Vec<String> {
    // The corpus uses only simple "" quoting for an empty argument.
    case.split(' ').map(|w| if w == "\"\"" { String::new() } else { w.to_string() }).collect()
}

fn corpus(kind: Kind) {
    let srv = Server::start(kind, &[]);
    let port = srv.port;
    populate(port);
    let modes: &[&[&str]] = &[&[], &["--no-raw"], &["--csv"], &["--json"], &["--quoted-json"], &["-3", "--no-raw"]];
    for case in RESP2_CASES {
        for mode in modes {
            let mut args: Vec<String> = mode.iter().map(|s| s.to_string()).collect();
            args.extend(words(case));
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            same(port, &a, b"", &[]);
        }
    }
    for case in RESP3_CASES {
        for mode in [&["-3"][..], &["-3", "--no-raw"], &["-3", "--csv"], &["-3", "--json"]] {
            let mut args: Vec<String> = mode.iter().map(|s| s.to_string()).collect();
            args.extend(words(case));
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            same(port, &a, b"", &[]);
        }
    }
    // FAKETTY makes stdout count as a terminal (TTY formatting without --no-raw); --raw overrides it.
    same(port, &["LRANGE", "list", "0", "-1"], b"", &[("FAKETTY", "1")]);
    same(port, &["--raw", "LRANGE", "list", "0", "-1"], b"", &[("FAKETTY", "1")]);
    // Delimiters for raw output.
    same(port, &["-d", ",", "LRANGE", "list", "0", "3"], b"", &[]);
    same(port, &["-D", "|", "-d", ";", "HGETALL", "hash"], b"", &[]);
    // Commands shown verbatim even in TTY mode.
    same(port, &["--no-raw", "INFO", "keyspace"], b"", &[]);
    // Exit codes: -e turns an error reply into status 1 with the error on stderr.
    let o = same(port, &["-e", "NOSUCHCOMMAND"], b"", &[]);
    assert_eq!(o.code, Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(same(port, &["NOSUCHCOMMAND"], b"", &[]).code, Some(0));
    assert_eq!(same(port, &["-e", "PING"], b"", &[]).code, Some(0));
    // Repeats.
    same(port, &["-r", "3", "--no-raw", "GET", "str"], b"", &[]);
    same(port, &["-r", "2", "-i", "0.01", "PING"], b"", &[]);
    same(port, &["-r", "0", "PING"], b"", &[]);
    // -x: the last argument from stdin (binary safe); -X: a tagged argument.
    same(port, &["-x", "SET", "fromstdin"], b"line1\nline2\x00\xff", &[]);
    same(port, &["--no-raw", "GET", "fromstdin"], b"", &[]);
    same(port, &["-X", "tag", "SET", "tagged", "tag"], b"v", &[]);
    same(port, &["-X", "tag", "SET", "tagged", "x"], b"v", &[]);
    same(port, &["-x", "-X", "t", "PING"], b"", &[]);
    // --quoted-input.
    same(port, &["--quoted-input", "SET", "\"q\\x00k\"", "'v v'"], b"", &[]);
    same(port, &["--quoted-input", "--no-raw", "GET", "\"q\\x00k\""], b"", &[]);
    same(port, &["--quoted-input", "GET", "\"unterminated"], b"", &[]);
    // Database selection: -n, -u with a db, a failing SELECT.
    same(port, &["-n", "3", "SET", "indb3", "x"], b"", &[]);
    same(port, &["-n", "3", "--no-raw", "DBSIZE"], b"", &[]);
    same(port, &["-n", "99", "--no-raw", "DBSIZE"], b"", &[]);
    same(port, &["-u", &format!("redis://127.0.0.1:{port}/3"), "--no-raw", "GET", "indb3"], b"", &[]);
    // Commands from stdin when none is given (not a terminal: no prompt, one reply per line).
    same(port, &[], b"set a 1\nget a\nlrange list 0 1\nnosuchcommand\n\"unbalanced\n3 ping\nhelp get\n", &[]);
    same(port, &["--no-raw"], b"get str\nhgetall hash\nselect 2\nmulti\nexec\n", &[]);
    same(port, &["--no-raw"], b"set raw\xffline v\xfe\nget raw\xffline\nstrlen raw\xffline\n", &[]);
    // RESP3 client tracking: the invalidation push for our own SET is shown before the SET's reply
    // ("-> invalidate: 'tk'" on a terminal, the raw form otherwise). The key is reset before each client.
    for env in [&[("FAKETTY", "1")][..], &[]] {
        let script = b"client tracking on\nget tk\nset tk 2\nget tk\n";
        let args: Vec<String> = vec!["-p".into(), port.to_string(), "-3".into()];
        Conn::connect(port).cmd(&["DEL", "tk"]);
        let theirs = run(redis_cli_bin().to_str().unwrap(), &args, script, env);
        Conn::connect(port).cmd(&["DEL", "tk"]);
        let ours = run(ferredis_cli_bin(), &args, script, env);
        assert_eq!(theirs, ours, "tracking {env:?}\n{}\n{}", show(&theirs), show(&ours));
        // (ferredis has no CLIENT TRACKING yet: there both clients show the same error.)
        if !env.is_empty() && kind == Kind::Redis {
            assert!(String::from_utf8_lossy(&ours.stdout).contains("-> invalidate: 'tk'"), "{}", show(&ours));
        }
    }
    // Arguments are bytes, not text: a non-UTF-8 key and value arrive unchanged.
    {
        use std::os::unix::ffi::OsStrExt;
        let key = std::ffi::OsStr::from_bytes(b"raw\xffkey");
        let mut outs = Vec::new();
        for bin in [redis_cli_bin().to_str().unwrap(), ferredis_cli_bin()] {
            Conn::connect(port).cmd(&[b"DEL".as_slice(), b"raw\xffkey"]);
            let set = Command::new(bin)
                .args(["-p", &port.to_string(), "SET"])
                .arg(key)
                .arg(std::ffi::OsStr::from_bytes(b"v\xfe"))
                .output()
                .expect("run");
            let get =
                Command::new(bin).args(["-p", &port.to_string(), "--no-raw", "GET"]).arg(key).output().expect("run");
            assert_eq!(Conn::connect(port).cmd(&[b"GET".as_slice(), b"raw\xffkey"]), b"$2\r\nv\xfe\r\n");
            outs.push((set.stdout, get.stdout, get.status.code()));
        }
        assert_eq!(outs[0], outs[1]);
    }
    // Help is answered from COMMAND DOCS.
    same(port, &["HELP", "GET"], b"", &[]);
    same(port, &["HELP", "@list"], b"", &[]);
    same(port, &["HELP", "CONFIG", "GET"], b"", &[]);
}

#[test]
fn corpus_against_ferredis() {
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    corpus(Kind::Ferredis);
}

#[test]
fn corpus_against_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    corpus(Kind::Redis);
}

fn options_and_errors(kind: Kind) {
    let sock_dir = common::TempDir::new("cli-sock");
    let sock = sock_dir.path().join("s.sock");
    let sock = sock.to_str().unwrap();
    let srv = Server::start(kind, &["--unixsocket", sock]);
    let port = srv.port;
    // A Unix socket (-s wins over -p), with a db.
    same(port, &["-s", sock, "--no-raw", "-n", "2", "PING"], b"", &[]);
    same(port, &["-s", sock], b"select 5\nping\n", &[]);
    // Set after start: the harness's readiness check is an unauthenticated PING.
    Conn::connect(port).cmd(&["CONFIG", "SET", "requirepass", "s3cret"]);
    // The password warning, --no-auth-warning, AUTH failures, REDISCLI_AUTH, -u with credentials.
    same(port, &["PING"], b"", &[]);
    same(port, &["-a", "s3cret", "PING"], b"", &[]);
    same(port, &["--pass", "s3cret", "--no-auth-warning", "PING"], b"", &[]);
    same(port, &["-a", "wrong", "PING"], b"", &[]);
    same(port, &["--user", "default", "-a", "s3cret", "PING"], b"", &[]);
    same(port, &["--user", "nobody", "-a", "s3cret", "PING"], b"", &[]);
    same(port, &["PING"], b"", &[("REDISCLI_AUTH", "s3cret")]);
    same(port, &["-u", &format!("redis://s3cret@127.0.0.1:{port}"), "PING"], b"", &[]);
    same(port, &["-u", &format!("redis://default:s3%63ret@127.0.0.1:{port}/0"), "PING"], b"", &[]);
    same(port, &["-u", "http://x", "PING"], b"", &[]);
    same(port, &["-u", "redis://a%zz@h", "PING"], b"", &[]);
    same(port, &["-a", "s3cret", "-3", "--no-raw", "DEBUG", "PROTOCOL", "map"], b"", &[]);
    // Option errors.
    same(port, &["--no-such-option"], b"", &[]);
    same(port, &["-2", "-3", "PING"], b"", &[]);
    same(port, &["-n"], b"", &[]);
    // Connection refused: the message and status 1.
    let closed = common::free_port();
    let o = same(closed, &["PING"], b"", &[]);
    assert_eq!(o.code, Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Could not connect to Redis at 127.0.0.1:"));
    same(closed, &["--scan"], b"", &[]);
    // A Unix socket that does not exist.
    same(port, &["-s", "/nonexistent/sock", "PING"], b"", &[]);
}

#[test]
fn options_and_errors_against_ferredis() {
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    options_and_errors(Kind::Ferredis);
}

#[test]
fn options_and_errors_against_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    options_and_errors(Kind::Redis);
}

fn special_modes(kind: Kind) {
    let srv = Server::start(kind, &[]);
    let port = srv.port;
    populate(port);
    // Reloading builds the keyspace table at its final size, so no incremental rehash is under way and SCAN
    // walks the keys in the same order for both clients.
    assert_eq!(Conn::connect(port).cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    // --scan, with and without a pattern, raw and quoted.
    same(port, &["--scan"], b"", &[]);
    same(port, &["--scan", "--pattern", "scan:1*"], b"", &[]);
    same(port, &["--no-raw", "--scan", "--pattern", "bi*"], b"", &[]);
    same(port, &["--scan", "--quoted-pattern", "\"s*\""], b"", &[]);
    // --count (redis-cli 7.2's option, absent from 7.0): the same keys as without it.
    let all = run(ferredis_cli_bin(), &["-p".into(), port.to_string(), "--scan".into()], b"", &[]);
    let counted = run(
        ferredis_cli_bin(),
        &["-p".into(), port.to_string(), "--scan".into(), "--count".into(), "3".into()],
        b"",
        &[],
    );
    let sorted = |b: &[u8]| {
        let mut v: Vec<Vec<u8>> = b.split(|&c| c == b'\n').map(|l| l.to_vec()).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&all.stdout), sorted(&counted.stdout));
    assert_eq!(counted.code, Some(0));
    // --bigkeys / --memkeys: progress lines and the summary.
    same(port, &["--bigkeys"], b"", &[]);
    same(port, &["--memkeys"], b"", &[]);
    same(port, &["--bigkeys", "--pattern", "scan:*"], b"", &[]);
    // --hotkeys needs an LFU policy (OBJECT FREQ does not touch the counters, so both runs see the same).
    let o = same(port, &["--hotkeys"], b"", &[]);
    assert_eq!(o.code, Some(1));
    Conn::connect(port).cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    for _ in 0..20 {
        Conn::connect(port).cmd(&["GET", "str"]);
    }
    let o = same(port, &["--hotkeys"], b"", &[]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("keyname: \"str\""), "{}", show(&o));
    Conn::connect(port).cmd(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    // --pipe: replies counted, errors reported on stderr, exit 1 when any.
    let mut proto = Vec::new();
    for i in 0..500 {
        proto.extend_from_slice(&common::encode_command(&["SET", &format!("pipe:{i}"), "v"]));
    }
    let o = same(port, &["--pipe"], &proto, &[]);
    assert_eq!(o.stdout, b"All data transferred. Waiting for the last reply...\nLast reply received from server.\nerrors: 0, replies: 500\n");
    assert_eq!(o.code, Some(0));
    let mut bad = proto.clone();
    bad.extend_from_slice(b"*1\r\n$7\r\nNOTACMD\r\nPING\r\n");
    let o = same(port, &["--pipe"], &bad, &[]);
    assert_eq!(o.code, Some(1));
    same(port, &["--pipe"], b"", &[]);
    // --eval.
    let script = std::env::temp_dir().join(format!("ferredis-cli-eval-{}.lua", std::process::id()));
    std::fs::write(&script, "return {KEYS[1], ARGV[1]}").unwrap();
    same(port, &["--eval", script.to_str().unwrap(), "k1", ",", "a1"], b"", &[]);
    same(port, &["--eval", "/nonexistent.lua"], b"", &[]);
    let _ = std::fs::remove_file(&script);
    // --latency in raw and CSV mode samples for -i seconds and prints one line: compare the shape.
    for mode in ["--raw", "--csv"] {
        for bin in [redis_cli_bin().to_str().unwrap(), ferredis_cli_bin()] {
            let args: Vec<String> =
                ["-p", &port.to_string(), "--latency", mode, "-i", "0.2"].iter().map(|s| s.to_string()).collect();
            let o = run(bin, &args, b"", &[]);
            assert_eq!(o.code, Some(0), "{bin} {}", show(&o));
            let line = String::from_utf8(o.stdout).unwrap();
            let sep = if mode == "--csv" { ',' } else { ' ' };
            let f: Vec<&str> = line.trim_end().split(sep).collect();
            assert!(line.ends_with('\n') && f.len() == 4, "{bin}: {line:?}");
            assert!(f[0].parse::<u64>().is_ok() && f[1].parse::<u64>().is_ok() && f[3].parse::<u64>().is_ok());
            assert!(f[2].contains('.') && f[2].split('.').nth(1).map(|d| d.len()) == Some(2), "{line:?}");
        }
    }
}

#[test]
fn special_modes_against_ferredis() {
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    special_modes(Kind::Ferredis);
}

#[test]
fn special_modes_against_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    special_modes(Kind::Redis);
}

/// Starts `bin args`, reads stdout until `want` lines arrived (or 15 s), kills it, returns the lines.
fn first_lines(bin: &str, args: &[String], want: usize, during: impl FnOnce()) -> Vec<String> {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut so = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match so.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut during = Some(during);
    while got.iter().filter(|&&c| c == b'\n').count() < want && Instant::now() < deadline {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            got.extend_from_slice(&chunk);
            if let Some(f) = during.take() {
                f();
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    String::from_utf8_lossy(&got).lines().take(want).map(str::to_string).collect()
}

fn streaming(kind: Kind) {
    let srv = Server::start(kind, &[]);
    let port = srv.port;
    populate(port);
    // SUBSCRIBE streams messages until killed: same lines from both clients, in RESP2 and RESP3.
    for flags in [&[][..], &["--no-raw"], &["-3", "--no-raw"], &["--csv"]] {
        let mut outs = Vec::new();
        for bin in [redis_cli_bin().to_str().unwrap(), ferredis_cli_bin()] {
            let mut args: Vec<String> = vec!["-p".into(), port.to_string()];
            args.extend(flags.iter().map(|s| s.to_string()));
            args.extend(["SUBSCRIBE".to_string(), "chan".to_string()]);
            let want = if flags.contains(&"--no-raw") {
                7
            } else if flags.contains(&"--csv") {
                3
            } else {
                6
            };
            let publish = move || {
                // The subscription is confirmed once the first output arrived; publish until it is seen.
                let mut c = Conn::connect(port);
                for _ in 0..50 {
                    if c.cmd(&["PUBLISH", "chan", "hello"]) == b":1\r\n" {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            };
            outs.push(first_lines(bin, &args, want, publish));
        }
        assert_eq!(outs[0], outs[1], "SUBSCRIBE with {flags:?}");
        assert!(outs[1].iter().any(|l| l.contains("hello")), "{:?}", outs[1]);
    }
    // --stat: the header lines are the same; each data line has the same columns.
    let mut outs = Vec::new();
    for bin in [redis_cli_bin().to_str().unwrap(), ferredis_cli_bin()] {
        let args: Vec<String> =
            ["-p", &port.to_string(), "--stat", "-i", "0.1"].iter().map(|s| s.to_string()).collect();
        outs.push(first_lines(bin, &args, 4, || {}));
    }
    assert_eq!(outs[0][..2], outs[1][..2]);
    assert_eq!(outs[1].len(), 4);
    for l in &outs[1][2..] {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert!(f.len() >= 6, "{l:?}");
        assert!(f[0].parse::<u64>().is_ok() && f[2].parse::<u64>().is_ok(), "{l:?}");
        assert!(f[5].starts_with("(+"), "{l:?}");
    }
    // --latency-history: one "min: .. -- N seconds range" style line per interval in raw mode.
    let args: Vec<String> =
        ["-p", &port.to_string(), "--latency-history", "--raw", "-i", "0.1"].iter().map(|s| s.to_string()).collect();
    let lines = first_lines(ferredis_cli_bin(), &args, 3, || {});
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.split(' ').count() >= 4), "{lines:?}");
}

#[test]
fn streaming_against_ferredis() {
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    streaming(Kind::Ferredis);
}

#[test]
fn streaming_against_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    streaming(Kind::Redis);
}

/// `--rdb` and `--functions-rdb`: against either server, the same output and status as redis-cli and a file the
/// same size as redis-cli's (the payload carries a timestamp); the functions-only file holds the library and no
/// key.
#[test]
fn rdb_transfer() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for mode in ["--rdb", "--functions-rdb"] {
        rdb_transfer_mode(mode);
    }
}

fn rdb_transfer_mode(mode: &str) {
    let dir = common::TempDir::new("cli-rdb");
    for kind in [Kind::Redis, Kind::Ferredis] {
        let srv = Server::start(kind, &["--repl-diskless-sync-delay", "0"]);
        populate(srv.port);
        let lib = "#!lua name=clilib\nredis.register_function('f1', function() return 1 end)";
        assert_eq!(Conn::connect(srv.port).cmd(&["FUNCTION", "LOAD", lib]), b"$6\r\nclilib\r\n");
        let mut sizes = Vec::new();
        let mut outs = Vec::new();
        for (i, bin) in [redis_cli_bin().to_str().unwrap(), ferredis_cli_bin()].iter().enumerate() {
            // Each transfer starts on an idle server: the previous one's child reaped and its replica gone (a
            // SYNC that arrives while the last child is being reaped takes the delayed-BGSAVE path, which once
            // left a --rdb client waiting under load; see the README's known gaps).
            wait_sync_idle(srv.port);
            let path = dir.path().join(format!("{}-{i}.rdb", kind.label()));
            let args: Vec<String> = vec!["-p".into(), srv.port.to_string(), mode.into(), path.to_str().unwrap().into()];
            let o = run(bin, &args, b"", &[]);
            sizes.push(std::fs::metadata(&path).map(|m| m.len()).ok());
            let err = String::from_utf8_lossy(&o.stderr).replace(path.to_str().unwrap(), "FILE");
            outs.push((o.code, o.stdout, err));
        }
        assert_eq!(outs[0], outs[1], "{}", kind.label());
        assert_eq!(sizes[0], sizes[1]);
        assert_eq!(outs[1].0, Some(0), "{}", kind.label());
        let data = std::fs::read(dir.path().join(format!("{}-1.rdb", kind.label()))).unwrap();
        assert!(data.starts_with(b"REDIS00"), "{}", escape(&data[..16.min(data.len())]));
        assert!(data.windows(6).any(|w| w == b"clilib"), "{mode}");
        assert_eq!(mode == "--rdb", data.windows(11).any(|w| w == b"hello world"), "{mode} {}", kind.label());
    }
}

/// Waits (bounded) until the server has no replica and no background save.
fn wait_sync_idle(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut c = Conn::connect(port);
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO"])).into_owned();
        if info.contains("connected_slaves:0") && info.contains("rdb_bgsave_in_progress:0") {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "server still syncing:\n{info}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `bin args` until a line containing `want` shows on stdout, calling `poke` every 100 ms meanwhile
/// (at most 20 s); returns stdout's lines and stderr.
fn until_line(bin: &str, args: &[String], want: &str, mut poke: impl FnMut()) -> (Vec<String>, String) {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut so = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = so.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&got).contains(want) && Instant::now() < deadline {
        poke();
        while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            got.extend_from_slice(&chunk);
        }
    }
    let _ = child.kill();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let _ = child.wait();
    (String::from_utf8_lossy(&got).lines().map(str::to_string).collect(), err)
}

/// `--replica` and the SYNC command against either server (no diskless delay): the stream of propagated
/// commands in CSV form and the same progress lines on stderr as redis-cli.
#[test]
fn replica_mode() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Redis, Kind::Ferredis] {
        replica_mode_against(kind);
    }
}

fn replica_mode_against(kind: Kind) {
    let srv = Server::start(kind, &["--repl-diskless-sync-delay", "0"]);
    let port = srv.port;
    for how in [&["--replica"][..], &["SYNC"]] {
        let mut outs = Vec::new();
        for bin in [redis_cli_bin().to_str().unwrap(), ferredis_cli_bin()] {
            let mut args: Vec<String> = vec!["-p".into(), port.to_string()];
            args.extend(how.iter().map(|s| s.to_string()));
            let mut c = Conn::connect(port);
            let (lines, err) = until_line(bin, &args, "\"SET\",\"repl\"", || drop(c.cmd(&["SET", "repl", "a b"])));
            let lines: Vec<String> = lines.into_iter().filter(|l| !l.contains("SELECT")).take(2).collect();
            outs.push((lines, err.lines().take(3).map(str::to_string).collect::<Vec<_>>()));
        }
        assert_eq!(outs[0], outs[1], "{} {how:?}", kind.label());
        assert!(outs[1].0.iter().any(|l| l == "\"SET\",\"repl\",\"a b\""), "{} {:?}", kind.label(), outs[1]);
    }
}

/// `--ldb` and `--ldb-sync-mode` with `--eval`: a Lua debugging session driven from piped stdin (step, print,
/// list, whole, break, eval, redis, maxlen, trace, help, abort, restart, quit, continue), the colours of an xterm
/// TERM, the end of the session and the EVAL's own reply, a script that does not compile, SCRIPT DEBUG typed by
/// hand, and `--ldb` without `--eval`: the same bytes as redis-cli, against either server.
fn lua_debugger(kind: Kind) {
    let srv = Server::start(kind, &[]);
    let port = srv.port;
    let dir = common::TempDir::new("cli-ldb");
    let script = dir.path().join("s.lua");
    std::fs::write(
        &script,
        "local a = 1\nredis.call('set', KEYS[1], ARGV[1])\nredis.debug('a is', a)\nlocal b = a + 1\n\
         return {a, b, redis.call('get', KEYS[1])}\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.lua");
    std::fs::write(&bad, "return {1,\n").unwrap();
    let (s, b) = (script.to_str().unwrap(), bad.to_str().unwrap());
    let dumb = [("TERM", "dumb")];
    let xterm = [("TERM", "xterm-256color")];
    let session = ["--ldb", "--eval", s, "k", ",", "v"];
    let o =
        same(port, &session, b"step\nprint\nnext\nlist\nwhole\ne redis.call('ping')\nhelp\ncontinue\nget k\n", &dumb);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("Lua debugging session started, please use:\n"), "{text}");
    assert!(text.contains("(Lua debugging session ended -- dataset changes rolled back)"), "{text}");
    assert_eq!(o.code, Some(0));
    same(port, &session, b"step\nprint a\nbreak 4\nc\nb\nb 0\ntrace\nredis get k\nmaxlen 3\nprint\nfoo\nc\n", &xterm);
    let o = same(port, &session, b"step\nabort\n", &xterm);
    assert!(o.stdout.windows(2).any(|w| w == b"\x1b["), "colours for an xterm: {}", escape(&o.stdout));
    same(port, &session, b"step\nrestart\nstep\nquit\n", &dumb);
    same(port, &session, b"", &dumb);
    // Synchronous mode keeps the changes: the GET after the session sees them.
    let sync = ["--ldb-sync-mode", "--eval", s, "k", ",", "kept"];
    let o = same(port, &sync, b"continue\nget k\n", &dumb);
    assert!(
        String::from_utf8_lossy(&o.stdout).ends_with("(Lua debugging session ended)\n\n\"kept\"\n"),
        "{}",
        show(&o)
    );
    same(port, &["--ldb", "--eval", b], b"c\n", &dumb);
    // SCRIPT DEBUG typed at the prompt makes the next EVAL a session.
    same(port, &[], b"script debug yes\neval \"return 1\" 0\nstep\nstep\n", &dumb);
    // --ldb needs --eval (the usage line names the program, so only the first line is compared).
    let (theirs, ours) = both(port, &["--ldb"], b"", &dumb);
    let first = |o: &Out| String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or("").to_string();
    assert_eq!((first(&theirs), theirs.code), (first(&ours), ours.code));
    assert_eq!(first(&ours), "Options --ldb and --ldb-sync-mode require --eval.");
}

#[test]
fn lua_debugger_against_ferredis() {
    if !crate::common::pair::have_tool("/usr/bin/redis-cli") {
        return;
    }
    lua_debugger(Kind::Ferredis);
}

#[test]
fn lua_debugger_against_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    lua_debugger(Kind::Redis);
}
