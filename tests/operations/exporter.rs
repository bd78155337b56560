//! The Prometheus exporter beside the server: Debian's `prometheus-redis-exporter` (oliver006/redis_exporter
//! 1.45, the image the Compose example runs), started against a ferredis holding a known dataset, scraped over
//! HTTP, and its metrics checked against INFO read just before and just after the scrape: equal where nothing
//! between the two reads can move the value, within the two readings otherwise. Skipped when the exporter is not
//! installed (`apt-get install prometheus-redis-exporter`; its service stays disabled).

use crate::common;

use common::{free_port, Conn, KillOnDrop, Kind, Server, TempDir};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn exporter_bin() -> Option<PathBuf> {
    let p = std::env::var_os("REDIS_EXPORTER")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus-redis-exporter"));
    p.is_file().then_some(p)
}

/// One sample of the text exposition format: `name{label="value",...} number`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim_start_matches(',').to_string();
        let mut value = String::new();
        let mut chars = rest[eq + 2..].char_indices();
        let mut end = None;
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => value.push('\n'),
                    Some(e) => value.push(e),
                    None => {}
                },
                '"' => {
                    end = Some(eq + 2 + i + 1);
                    break;
                }
                _ => value.push(ch),
            }
        }
        out.push((name, value));
        rest = &rest[end.unwrap_or_else(|| panic!("unterminated label value in {text}"))..];
    }
    out
}

fn parse_metrics(body: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in body.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, parse_labels(labels.strip_suffix('}').expect("closing brace"))),
            None => (series, Vec::new()),
        };
        out.push(Sample { name: name.to_string(), labels, value });
    }
    out
}

/// `GET /metrics` over HTTP/1.0 (the exporter answers and closes); the body, after checking the status.
fn scrape(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the exporter");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("send the request");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read the response");
    let resp = String::from_utf8(resp).expect("UTF-8 metrics");
    let (head, body) = resp.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

/// `INFO everything` as field → value (keyspace lines kept whole: `db0` → `keys=3,expires=1,avg_ttl=...`).
fn info(c: &mut Conn) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(&c.cmd(&["INFO", "everything"])).into_owned();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('$'))
        .filter_map(|l| l.trim_end().split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn num(info: &HashMap<String, String>, field: &str) -> f64 {
    info.get(field).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no numeric {field} in INFO"))
}

/// `keys=..,expires=..` of a keyspace line, or of the `cmdstat_*` line's `calls=..`.
fn sub(info: &HashMap<String, String>, field: &str, key: &str) -> f64 {
    let line = info.get(field).unwrap_or_else(|| panic!("no {field} in INFO"));
    line.split(',')
        .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {field}:{line}"))
}

#[test]
fn exporter_metrics_match_info() {
    let Some(bin) = exporter_bin() else {
        crate::common::oracle_missing("prometheus-redis-exporter");
        return;
    };
    let srv = Server::start(Kind::Ferredis, &[]);
    let password = "exporter-secret";
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", password]), b"+OK\r\n");
    assert_eq!(c.cmd(&["AUTH", password]), b"+OK\r\n");
    // Keys in two databases, some with a TTL; one key that expires before the scrape.
    for i in 0..10 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), "v"]), b"+OK\r\n");
    }
    for i in 0..3 {
        assert_eq!(c.cmd(&["EXPIRE", &format!("k{i}"), "10000"]), b":1\r\n");
    }
    assert_eq!(c.cmd(&["SET", "short", "v", "PX", "1"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SELECT", "2"]), b"+OK\r\n");
    for i in 0..4 {
        assert_eq!(c.cmd(&["SET", &format!("other{i}"), "v"]), b"+OK\r\n");
    }
    assert_eq!(c.cmd(&["EXPIRE", "other0", "5000"]), b":1\r\n");
    assert_eq!(c.cmd(&["SELECT", "0"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k5"]), b"$1\r\nv\r\n");
    assert_eq!(c.cmd(&["GET", "k6"]), b"$1\r\nv\r\n");
    assert_eq!(c.cmd(&["GET", "missing"]), b"$-1\r\n");
    common::wait_for("the short key to expire", || c.cmd(&["EXISTS", "short"]) == b":0\r\n");
    // Another client, blocked in BLPOP.
    let mut blocked = srv.conn();
    assert_eq!(blocked.cmd(&["AUTH", password]), b"+OK\r\n");
    blocked.send(&["BLPOP", "nothing", "0"]).expect("send BLPOP");
    common::wait_blocked(&mut c, 1);

    // The exporter gets the password from its environment, as the Compose example gives it.
    let dir = TempDir::new("exporter");
    let log_path = dir.path().join("exporter.log");
    let log = std::fs::File::create(&log_path).expect("create the log");
    let web_port = free_port();
    let mut exporter = KillOnDrop(
        Command::new(&bin)
            .args(["--redis.addr", &format!("redis://127.0.0.1:{}", srv.port)])
            .args(["--web.listen-address", &format!("127.0.0.1:{web_port}")])
            .env("REDIS_PASSWORD", password)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log"))
            .stderr(log)
            .spawn()
            .expect("start the exporter"),
    );
    let log_text = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", web_port)).is_err() {
        assert!(!matches!(exporter.0.try_wait(), Ok(Some(_))), "the exporter exited:\n{}", log_text());
        assert!(Instant::now() < deadline, "the exporter does not listen:\n{}", log_text());
        std::thread::sleep(Duration::from_millis(20));
    }

    let before = info(&mut c);
    let body = scrape(web_port);
    let after = info(&mut c);
    let samples = parse_metrics(&body);
    let get = |name: &str, labels: &[(&str, &str)]| -> &Sample {
        samples
            .iter()
            .find(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.iter().any(|(sk, sv)| sk == k && sv == v)))
            .unwrap_or_else(|| panic!("no {name}{labels:?} in the scrape:\n{body}"))
    };
    let value = |name: &str| get(name, &[]).value;
    let between = |name: &str, field: &str| {
        let (v, lo, hi) = (value(name), num(&before, field), num(&after, field));
        assert!(lo <= v && v <= hi, "{name} {v} is not within INFO's {field} {lo}..{hi}");
    };

    assert_eq!(value("redis_up"), 1.0, "{}", log_text());
    assert_eq!(value("redis_exporter_last_scrape_error"), 0.0, "{}", log_text());
    let instance = get("redis_instance_info", &[]);
    for (label, field) in [
        ("redis_version", "redis_version"),
        ("redis_mode", "redis_mode"),
        ("role", "role"),
        ("run_id", "run_id"),
        ("tcp_port", "tcp_port"),
        ("process_id", "process_id"),
        ("maxmemory_policy", "maxmemory_policy"),
    ] {
        let got = instance.labels.iter().find(|(k, _)| k == label).map(|(_, v)| v.as_str());
        assert_eq!(got, before.get(field).map(String::as_str), "redis_instance_info's {label}");
    }
    assert_eq!(get("redis_instance_info", &[("redis_version", "7.0.15"), ("role", "master")]).value, 1.0);
    // Nothing written, read or expired between the two INFOs: these are exact.
    for (db, keys, expires) in [("db0", 10.0, 3.0), ("db2", 4.0, 1.0)] {
        assert_eq!(get("redis_db_keys", &[("db", db)]).value, sub(&before, db, "keys"));
        assert_eq!(get("redis_db_keys", &[("db", db)]).value, keys);
        assert_eq!(get("redis_db_keys_expiring", &[("db", db)]).value, sub(&before, db, "expires"));
        assert_eq!(get("redis_db_keys_expiring", &[("db", db)]).value, expires);
    }
    assert_eq!(get("redis_db_keys", &[("db", "db1")]).value, 0.0);
    assert_eq!(value("redis_keyspace_hits_total"), num(&before, "keyspace_hits"));
    assert_eq!(value("redis_keyspace_misses_total"), num(&before, "keyspace_misses"));
    assert_eq!(value("redis_expired_keys_total"), num(&before, "expired_keys"));
    assert_eq!(value("redis_expired_keys_total"), 1.0);
    assert_eq!(value("redis_blocked_clients"), 1.0);
    assert_eq!(value("redis_connected_slaves"), num(&before, "connected_slaves"));
    assert_eq!(value("redis_master_repl_offset"), num(&before, "master_repl_offset"));
    assert_eq!(value("redis_rdb_changes_since_last_save"), num(&before, "rdb_changes_since_last_save"));
    assert_eq!(value("redis_config_maxclients"), num(&before, "maxclients"));
    for cmd in ["set", "get", "expire", "blpop"] {
        let field = format!("cmdstat_{cmd}");
        assert_eq!(get("redis_commands_total", &[("cmd", cmd)]).value, sub(&before, &field, "calls"), "{cmd}");
        let usec = sub(&before, &field, "usec");
        let seconds = get("redis_commands_duration_seconds_total", &[("cmd", cmd)]).value;
        assert!((seconds * 1e6 - usec).abs() < 1.0, "{cmd}: {seconds} s against {usec} usec");
    }
    assert_eq!(get("redis_commands_total", &[("cmd", "set")]).value, 15.0);
    // The test's two clients and the exporter's own connection, which is open while it reads INFO.
    assert_eq!(value("redis_connected_clients"), num(&before, "connected_clients") + 1.0);
    // What the scrape itself moves: within the readings taken around it.
    between("redis_commands_processed_total", "total_commands_processed");
    between("redis_connections_received_total", "total_connections_received");
    between("redis_uptime_in_seconds", "uptime_in_seconds");
    assert!(value("redis_commands_processed_total") > num(&before, "total_commands_processed"));
    let used = value("redis_memory_used_bytes");
    assert!(used > 0.0 && used >= num(&before, "used_memory") / 2.0 && used <= num(&after, "used_memory") * 2.0);
    // avg_ttl is the active expire cycle's running estimate (0 until it has sampled the keys), rising towards the
    // keys' TTL while nothing changes: between the two readings, give or take the second it is rounded to.
    let ttl = get("redis_db_avg_ttl_seconds", &[("db", "db0")]).value;
    let (lo, hi) = (sub(&before, "db0", "avg_ttl") / 1000.0, sub(&after, "db0", "avg_ttl") / 1000.0);
    assert!(lo - 1.0 <= ttl && ttl <= hi + 1.0 && hi <= 10_000.0, "db0's average TTL {ttl}, INFO {lo}..{hi}");

    // The exporter met nothing it did not understand.
    let log = log_text();
    assert!(!log.contains("level=error") && !log.contains("level=warn"), "{log}");
}
