//! Redis 8's bundled `bf` module configs (`bf-error-rate`, `bf-initial-size`, `bf-expansion-factor`,
//! `cf-bucket-size`, `cf-initial-size`, `cf-max-iterations`, `cf-expansion-factor`, `cf-max-expansions`).
//!
//! RedisBloom 2.8.2, the oracle, has no configs, so the texts are checked byte for byte against what RedisBloom's
//! `src/config.c` and Redis's CONFIG SET wrapper print; what the configs do is checked against the oracle: a
//! filter ferredis creates after CONFIG SET (BF.ADD, BF.INSERT, CF.ADD, CF.INSERT, or a RESERVE with the option
//! left out) answers BF.DEBUG/BF.INFO/CF.INFO and SCANDUMP with the bytes of the filter the oracle RESERVEs with
//! the same parameters spelled out. Also: the config file and the command line set them at startup, and
//! CONFIG REWRITE writes them back.

use crate::common::modules::module_pair;
use crate::common::{self, free_port, Conn, Server};
use std::process::{Command, Stdio};

/// `CONFIG SET name value`'s reply.
fn set(c: &mut Conn, name: &str, value: &str) -> Vec<u8> {
    c.cmd(&["CONFIG", "SET", name, value])
}

fn range_error(name: &str, range: &str) -> Vec<u8> {
    format!(
        "-ERR CONFIG SET failed (possibly related to argument '{name}') - Value for `{name}` must be in the range {range}\r\n"
    )
    .into_bytes()
}

#[test]
fn defaults_patterns_and_several_at_once() {
    let s = Server::ferredis();
    let mut c = Conn::connect(s.port);
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "bf-*"]),
        b"*6\r\n$13\r\nbf-error-rate\r\n$4\r\n0.01\r\n$15\r\nbf-initial-size\r\n$3\r\n100\r\n\
          $19\r\nbf-expansion-factor\r\n$1\r\n2\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "cf-*"]),
        b"*10\r\n$14\r\ncf-bucket-size\r\n$1\r\n2\r\n$15\r\ncf-initial-size\r\n$4\r\n1024\r\n\
          $17\r\ncf-max-iterations\r\n$2\r\n20\r\n$19\r\ncf-expansion-factor\r\n$1\r\n1\r\n\
          $17\r\ncf-max-expansions\r\n$2\r\n32\r\n"
    );
    // Redis 8 lists module configs in CONFIG GET *.
    let all = String::from_utf8_lossy(&c.cmd(&["CONFIG", "GET", "*"])).into_owned();
    assert!(all.contains("\r\nbf-error-rate\r\n$4\r\n0.01\r\n"), "{all}");
    // Several at once, each shown as the text it was given.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "bf-error-rate", "0.020", "bf-initial-size", "200", "cf-max-expansions", "3"]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "bf-error-rate", "BF-INITIAL-SIZE", "cf-max-expansions"]),
        b"*6\r\n$13\r\nbf-error-rate\r\n$5\r\n0.020\r\n$15\r\nBF-INITIAL-SIZE\r\n$3\r\n200\r\n\
          $17\r\ncf-max-expansions\r\n$1\r\n3\r\n"
    );
    // One bad value rolls the whole command back.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "bf-initial-size", "300", "cf-max-iterations", "0"]),
        range_error("cf-max-iterations", "[1, 65535]")
    );
    assert_eq!(c.cmd(&["CONFIG", "GET", "bf-initial-size"]), b"*2\r\n$15\r\nbf-initial-size\r\n$3\r\n200\r\n");
}

#[test]
fn range_errors_use_redisbloom_texts() {
    let s = Server::ferredis();
    let mut c = Conn::connect(s.port);
    let float = "(0.000000, 1.000000)";
    for v in ["0", "1", "1.0", "-1", "inf"] {
        assert_eq!(set(&mut c, "bf-error-rate", v), range_error("bf-error-rate", float), "{v}");
    }
    assert_eq!(
        set(&mut c, "bf-error-rate", "x"),
        b"-ERR CONFIG SET failed (possibly related to argument 'bf-error-rate') - Invalid value for `bf-error-rate`\r\n"
    );
    let cases = [
        ("bf-initial-size", "0", "[1, 1073741824]"),
        ("bf-initial-size", "4294967296", "[1, 1073741824]"),
        ("bf-expansion-factor", "-1", "[0, 32768]"),
        ("bf-expansion-factor", "32769", "[0, 32768]"),
        ("cf-bucket-size", "0", "[1, 255]"),
        ("cf-bucket-size", "256", "[1, 255]"),
        ("cf-initial-size", "0", "[4, 1073741824]"),
        ("cf-initial-size", "4294967296", "[4, 1073741824]"),
        ("cf-max-iterations", "65536", "[1, 65535]"),
        ("cf-expansion-factor", "32769", "[0, 32768]"),
        ("cf-max-expansions", "0", "[1, 65536]"),
        ("cf-max-expansions", "65537", "[1, 65536]"),
    ];
    for (name, v, range) in cases {
        assert_eq!(set(&mut c, name, v), range_error(name, range), "{name} {v}");
    }
    // Above 0.25 the error rate is stored as 0.25.
    assert_eq!(set(&mut c, "bf-error-rate", "0.9"), b"+OK\r\n");
    assert_eq!(c.cmd(&["CONFIG", "GET", "bf-error-rate"]), b"*2\r\n$13\r\nbf-error-rate\r\n$4\r\n0.25\r\n");
    // The cuckoo bucket size and initial size bound each other.
    assert_eq!(set(&mut c, "cf-bucket-size", "8"), b"+OK\r\n");
    assert_eq!(set(&mut c, "cf-initial-size", "15"), range_error("cf-initial-size", "[16, 1073741824]"));
    assert_eq!(set(&mut c, "cf-initial-size", "16"), b"+OK\r\n");
    assert_eq!(set(&mut c, "cf-bucket-size", "9"), range_error("cf-bucket-size", "[1, 8]"));
}

/// Runs `cmds` on one side, returning each reply.
fn run(c: &mut Conn, cmds: &[&[&str]]) -> Vec<Vec<u8>> {
    cmds.iter().map(|a| c.cmd(a)).collect()
}

fn items(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// BF.SCANDUMP's chunks from iterator 0 on, to the end.
fn scandump(c: &mut Conn, cmd: &str, key: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut it = "0".to_string();
    for _ in 0..1000 {
        let reply = c.cmd(&[cmd, key, &it]);
        let parsed = common::Resp::parse(&reply).expect("SCANDUMP reply");
        let parts = parsed.items().expect("SCANDUMP array");
        let next = parts[0].as_int().expect("SCANDUMP iterator");
        out.push(reply);
        if next == 0 {
            return out;
        }
        it = next.to_string();
    }
    panic!("{cmd} {key} did not end");
}

#[test]
fn filters_created_after_config_set_match_the_oracle_reserved_explicitly() {
    let Some(mut p) = module_pair("redisbloom", &[]) else {
        eprintln!("skipped: redis-server or redisbloom.so missing");
        return;
    };
    let (f, r) = p.both();
    let cfg = [
        "CONFIG",
        "SET",
        "bf-error-rate",
        "0.02",
        "bf-initial-size",
        "200",
        "bf-expansion-factor",
        "3",
        "cf-bucket-size",
        "4",
        "cf-initial-size",
        "512",
        "cf-max-iterations",
        "50",
        "cf-expansion-factor",
        "2",
    ];
    assert_eq!(f.cmd(&cfg), b"+OK\r\n");
    for k in ["b1", "b2", "b3"] {
        assert_eq!(r.cmd(&["BF.RESERVE", k, "0.02", "200", "EXPANSION", "3"]), b"+OK\r\n");
    }
    assert_eq!(f.cmd(&["BF.RESERVE", "b3", "0.02", "200"]), b"+OK\r\n");
    for k in ["c1", "c2", "c3"] {
        let reply = r.cmd(&["CF.RESERVE", k, "512", "BUCKETSIZE", "4", "MAXITERATIONS", "50", "EXPANSION", "2"]);
        assert_eq!(reply, b"+OK\r\n");
    }
    assert_eq!(f.cmd(&["CF.RESERVE", "c3", "512"]), b"+OK\r\n");
    // Enough items to make both kinds scale.
    let words = items("w", 1500);
    let mut add: Vec<Vec<&str>> = Vec::new();
    for chunk in words.chunks(100) {
        let mut madd = vec!["BF.MADD", "b1"];
        madd.extend(chunk.iter().map(String::as_str));
        add.push(madd);
        let mut insert = vec!["BF.INSERT", "b2", "ITEMS"];
        insert.extend(chunk.iter().map(String::as_str));
        add.push(insert);
        let mut cinsert = vec!["CF.INSERT", "c2", "ITEMS"];
        cinsert.extend(chunk.iter().map(String::as_str));
        add.push(cinsert);
    }
    for w in &words {
        add.push(vec!["BF.ADD", "b3", w]);
        add.push(vec!["CF.ADD", "c1", w]);
        add.push(vec!["CF.ADDNX", "c3", w]);
    }
    let add: Vec<&[&str]> = add.iter().map(Vec::as_slice).collect();
    assert_eq!(run(f, &add), run(r, &add));
    for k in ["b1", "b2", "b3"] {
        for q in [&["BF.DEBUG", k][..], &["BF.INFO", k][..], &["BF.CARD", k][..]] {
            assert_eq!(f.cmd(q), r.cmd(q), "{q:?}");
        }
        assert_eq!(scandump(f, "BF.SCANDUMP", k), scandump(r, "BF.SCANDUMP", k), "BF.SCANDUMP {k}");
    }
    for k in ["c1", "c2", "c3"] {
        assert_eq!(f.cmd(&["CF.INFO", k]), r.cmd(&["CF.INFO", k]), "CF.INFO {k}");
        assert_eq!(scandump(f, "CF.SCANDUMP", k), scandump(r, "CF.SCANDUMP", k), "CF.SCANDUMP {k}");
    }
}

#[test]
fn zero_expansion_makes_non_scaling_filters_and_max_expansions_stops_adds() {
    let Some(mut p) = module_pair("redisbloom", &[]) else {
        eprintln!("skipped: redis-server or redisbloom.so missing");
        return;
    };
    let (f, r) = p.both();
    assert_eq!(f.cmd(&["CONFIG", "SET", "bf-expansion-factor", "0", "bf-initial-size", "20"]), b"+OK\r\n");
    assert_eq!(r.cmd(&["BF.RESERVE", "n", "0.01", "20", "NONSCALING"]), b"+OK\r\n");
    let words = items("n", 40);
    let mut madd = vec!["BF.MADD", "n"];
    madd.extend(words.iter().map(String::as_str));
    // Filled past its capacity, the non-scaling filter stops with the same error at the same item.
    assert_eq!(f.cmd(&madd), r.cmd(&madd));
    for q in [&["BF.DEBUG", "n"][..], &["BF.INFO", "n"][..]] {
        assert_eq!(f.cmd(q), r.cmd(q), "{q:?}");
    }
    // With `bf-expansion-factor 0`, BF.RESERVE's EXPANSION meets the non-scaling refusal (Redis 8's RedisBloom).
    assert_eq!(f.cmd(&["BF.RESERVE", "x", "0.01", "100", "EXPANSION", "2"]), b"-Nonscaling filters cannot expand\r\n");

    // cf-max-expansions: 2 sub-filters, then adds are refused (2.8.2 refuses at its fixed 32).
    assert_eq!(f.cmd(&["CONFIG", "SET", "cf-max-expansions", "2", "cf-initial-size", "4"]), b"+OK\r\n");
    let mut refused = false;
    for w in items("m", 200) {
        let reply = f.cmd(&["CF.ADD", "m", &w]);
        if reply == b"-Maximum expansions reached\r\n" {
            refused = true;
            break;
        }
    }
    assert!(refused, "CF.ADD never hit cf-max-expansions");
    let info = String::from_utf8_lossy(&f.cmd(&["CF.INFO", "m"])).into_owned();
    assert!(info.contains("Number of filters\r\n:2\r\n"), "{info}");
}

#[test]
fn config_file_and_rewrite() {
    let dir = common::TempDir::new("prob-config");
    let conf = dir.path().join("ferredis.conf");
    std::fs::write(&conf, "bf-error-rate 0.5\ncf-bucket-size 4\n").expect("write the config file");
    let conf_s = conf.to_str().expect("UTF-8 path").to_string();
    let port = free_port();
    let port_s = port.to_string();
    let server =
        common::start_ferredis_with(&[&conf_s, "--port", &port_s, "--bf-initial-size", "300"], dir.path(), port);
    let mut c = Conn::connect(port);
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "bf-error-rate", "bf-initial-size", "cf-bucket-size"]),
        b"*6\r\n$13\r\nbf-error-rate\r\n$4\r\n0.25\r\n$15\r\nbf-initial-size\r\n$3\r\n300\r\n\
          $14\r\ncf-bucket-size\r\n$1\r\n4\r\n"
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "cf-max-iterations", "77"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let text = std::fs::read_to_string(&conf).expect("read the config file");
    // Written as Redis writes a string config (module configs included): quoted.
    let lines =
        ["bf-error-rate \"0.25\"", "bf-initial-size \"300\"", "cf-bucket-size \"4\"", "cf-max-iterations \"77\""];
    for line in lines {
        assert!(text.lines().any(|l| l == line), "{line:?} missing from:\n{text}");
    }
    // Defaults are not written.
    assert!(!text.contains("cf-max-expansions"), "{text}");
    drop(server);
    // The rewritten file starts a server with the same values.
    let port = free_port();
    let port_s = port.to_string();
    let _again = common::start_ferredis_with(&[&conf_s, "--port", &port_s], dir.path(), port);
    let mut c = Conn::connect(port);
    assert_eq!(c.cmd(&["CONFIG", "GET", "cf-max-iterations"]), b"*2\r\n$17\r\ncf-max-iterations\r\n$2\r\n77\r\n");
    // A value out of range in the file stops the server.
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "bf-initial-size 0\n").expect("write the config file");
    let status = Command::new(env!("CARGO_BIN_EXE_ferredis-server"))
        .arg(&bad)
        .args(["--port", &free_port().to_string()])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run ferredis-server");
    assert!(!status.status.success());
    let out = String::from_utf8_lossy(&status.stderr).into_owned() + &String::from_utf8_lossy(&status.stdout);
    assert!(out.contains("Value for `bf-initial-size` must be in the range [1, 1073741824]"), "{out}");
}
