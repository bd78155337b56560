//! Debian's `redis-cli` driven non-interactively against ferredis and against redis-server: the same invocations
//! in the same order on both, stdout, stderr and exit status compared (sorted where the output order is not
//! defined, e.g. `--scan`; INFO compared by section names).

use crate::common;

use common::{escape, redis_cli_bin, Kind, Server};
use std::io::Write;
use std::process::{Command, Stdio};

struct Out {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

fn cli(port: u16, args: &[&str], stdin: &[u8]) -> Out {
    let mut child = Command::new(redis_cli_bin())
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli");
    {
        let mut sin = child.stdin.take().expect("stdin");
        // redis-cli may exit before reading everything (e.g. on a server error); that is part of what is compared.
        let _ = sin.write_all(stdin);
    }
    let o = child.wait_with_output().expect("redis-cli output");
    Out { stdout: o.stdout, stderr: o.stderr, code: o.status.code() }
}

#[derive(Clone, Copy, PartialEq)]
enum Cmp {
    Exact,
    SortedLines,
    InfoSections,
}

/// One invocation: arguments, stdin bytes, how to compare.
struct Inv {
    args: Vec<String>,
    stdin: Vec<u8>,
    cmp: Cmp,
}

fn inv(args: &[&str]) -> Inv {
    Inv { args: args.iter().map(|s| s.to_string()).collect(), stdin: Vec::new(), cmp: Cmp::Exact }
}

fn with_stdin(mut i: Inv, stdin: &[u8]) -> Inv {
    i.stdin = stdin.to_vec();
    i
}

fn cmp(mut i: Inv, c: Cmp) -> Inv {
    i.cmp = c;
    i
}

fn normalize(out: &[u8], c: Cmp, port: u16) -> Vec<u8> {
    // Error messages about the connection mention the port.
    let text = String::from_utf8_lossy(out).replace(&port.to_string(), "<port>");
    match c {
        Cmp::Exact => text.into_bytes(),
        Cmp::SortedLines => {
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort_unstable();
            lines.join("\n").into_bytes()
        }
        Cmp::InfoSections => text
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(|l| l.trim_end())
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    }
}

/// RESP for `n` SET commands, as mass insertion input.
fn mass_insert(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let k = format!("mass:{i:06}");
        let v = format!("value-{i}");
        out.extend_from_slice(&common::encode_command(&["SET", &k, &v]));
    }
    out
}

fn invocations() -> Vec<Inv> {
    vec![
        inv(&["FLUSHALL"]),
        inv(&["PING"]),
        inv(&["SET", "a", "hello world"]),
        inv(&["GET", "a"]),
        inv(&["GET", "missing"]),
        inv(&["--no-raw", "GET", "missing"]),
        inv(&["--no-raw", "GET", "a"]),
        inv(&["MSET", "b", "2", "c", "3"]),
        inv(&["MGET", "a", "b", "missing", "c"]),
        inv(&["--no-raw", "MGET", "a", "b", "missing", "c"]),
        inv(&["--raw", "MGET", "a", "b", "missing", "c"]),
        inv(&["--csv", "MGET", "a", "b", "missing"]),
        inv(&["INCR", "n"]),
        inv(&["--no-raw", "INCRBY", "n", "41"]),
        inv(&["-r", "3", "INCR", "n"]),
        inv(&["INCRBYFLOAT", "f", "1.25"]),
        inv(&["--no-raw", "INCRBYFLOAT", "f", "1.25"]),
        inv(&["SET", "bin", "a\u{1}b\u{ff}"]),
        inv(&["--no-raw", "GET", "bin"]),
        inv(&["--raw", "GET", "bin"]),
        with_stdin(inv(&["-x", "SET", "fromstdin"]), b"line one\nline two\n"),
        inv(&["--no-raw", "GET", "fromstdin"]),
        inv(&["STRLEN", "fromstdin"]),
        inv(&["NOSUCHCOMMAND", "x"]),
        inv(&["--no-raw", "NOSUCHCOMMAND", "x"]),
        inv(&["GET"]),
        inv(&["SET", "a", "b", "EX", "0"]),
        inv(&["EXPIRE", "a", "1000"]),
        inv(&["TTL", "a"]),
        inv(&["TYPE", "a"]),
        inv(&["-n", "2", "SET", "indb2", "x"]),
        inv(&["-n", "2", "GET", "indb2"]),
        inv(&["GET", "indb2"]),
        inv(&["-n", "2", "DBSIZE"]),
        inv(&["EXISTS", "a", "b", "missing"]),
        inv(&["DEL", "b", "c"]),
        inv(&["--no-raw", "KEYS", "nothing*"]),
        cmp(inv(&["KEYS", "*"]), Cmp::SortedLines),
        with_stdin(inv(&["--pipe"]), &mass_insert(10_000)),
        inv(&["DBSIZE"]),
        inv(&["GET", "mass:004242"]),
        cmp(inv(&["--scan"]), Cmp::SortedLines),
        cmp(inv(&["--scan", "--pattern", "mass:00000*"]), Cmp::SortedLines),
        cmp(inv(&["--scan", "--pattern", "mass:*", "--count", "500"]), Cmp::SortedLines),
        with_stdin(
            inv(&["--pipe"]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n*1\r\n$4\r\nINCR\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n",
        ),
        inv(&["-3", "GET", "a"]),
        inv(&["-3", "GET", "missing"]),
        inv(&["-3", "--no-raw", "GET", "missing"]),
        inv(&["-3", "--no-raw", "MGET", "a", "missing"]),
        inv(&["-3", "--no-raw", "HELLO", "3"]),
        inv(&["-3", "--no-raw", "CONFIG", "GET", "maxmemory"]),
        inv(&["-3", "--no-raw", "INCRBYFLOAT", "f", "1"]),
        inv(&["-3", "--no-raw", "EXISTS", "a"]),
        cmp(inv(&["INFO"]), Cmp::InfoSections),
        cmp(inv(&["INFO", "server"]), Cmp::InfoSections),
        cmp(inv(&["-3", "INFO", "keyspace"]), Cmp::InfoSections),
        inv(&["CONFIG", "GET", "databases"]),
        inv(&["--no-raw", "CONFIG", "GET", "maxmemory-policy"]),
        inv(&["ECHO", "multi\nline"]),
        inv(&["--no-raw", "ECHO", "multi\nline"]),
        inv(&["FLUSHALL"]),
        inv(&["DBSIZE"]),
    ]
}

/// HELLO's `id` value is the only nondeterministic line in its output.
fn drop_hello_id(args: &[String], out: Vec<u8>) -> Vec<u8> {
    if !args.iter().any(|a| a.eq_ignore_ascii_case("HELLO")) {
        return out;
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    let mut skip_next = false;
    for l in lines {
        if skip_next {
            skip_next = false;
            kept.push("<id value>".to_string());
            continue;
        }
        if l.contains("\"id\" =>") {
            // RESP3 map display: key and value on one line.
            kept.push("<id line>".to_string());
            continue;
        }
        let t = l.trim_end();
        if t.ends_with("\"id\"") || t == "id" {
            skip_next = true;
        }
        kept.push(l.to_string());
    }
    kept.join("\n").into_bytes()
}

#[test]
fn redis_cli_outputs_match() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = Server::start(Kind::Ferredis, &[]);
    let red = Server::redis();
    let mut failures = Vec::new();
    for (i, iv) in invocations().iter().enumerate() {
        let args: Vec<&str> = iv.args.iter().map(|s| s.as_str()).collect();
        let f = cli(fer.port, &args, &iv.stdin);
        let r = cli(red.port, &args, &iv.stdin);
        let fo = drop_hello_id(&iv.args, normalize(&f.stdout, iv.cmp, fer.port));
        let ro = drop_hello_id(&iv.args, normalize(&r.stdout, iv.cmp, red.port));
        let fe = normalize(&f.stderr, Cmp::Exact, fer.port);
        let re = normalize(&r.stderr, Cmp::Exact, red.port);
        if fo != ro || fe != re || f.code != r.code {
            failures.push(format!(
                "#{} redis-cli {}\n  ferredis: stdout {} stderr {} exit {:?}\n  redis:    stdout {} stderr {} exit {:?}{}",
                i + 1,
                iv.args.join(" "),
                escape(&fo),
                escape(&fe),
                f.code,
                escape(&ro),
                escape(&re),
                r.code,
                if iv.cmp == Cmp::Exact {
                    String::new()
                } else {
                    format!("\n  ferredis raw stdout: {}", escape(&f.stdout[..f.stdout.len().min(600)]))
                }
            ));
        }
    }
    if !failures.is_empty() {
        panic!("{} redis-cli invocations differ:\n\n{}\n", failures.len(), failures.join("\n\n"));
    }
}
