//! Memory accounting end to end. Against Debian's redis-server 7.0: INFO memory has Redis's field names in
//! Redis's order, and MEMORY's replies and errors are byte-identical (USAGE of a missing key, SAMPLES syntax,
//! arity, unknown subcommands, HELP, PURGE, DOCTOR on an empty instance, the STATS field names). On ferredis
//! alone: used_memory follows SET/DEL/FLUSHALL, MEMORY USAGE of big keys agrees with the used_memory delta they
//! cause, and RSS falls after FLUSHALL and after large deletes (generous margins; no timing assertions: the
//! large-delete check waits for the cron).

use crate::common;

use common::*;

fn pair() -> (Server, Server, Conn, Conn) {
    let fer = Server::ferredis();
    let red = Server::redis();
    let (f, r) = (fer.conn(), red.conn());
    (fer, red, f, r)
}

fn text(reply: &[u8]) -> String {
    let s = String::from_utf8_lossy(reply).into_owned();
    // A bulk or verbatim reply: drop the length line (and the `txt:` prefix).
    match s.split_once("\r\n") {
        Some((_, rest)) => rest.trim_start_matches("txt:").to_string(),
        None => s,
    }
}

/// `field:value` lines of an INFO reply.
fn info_fields(c: &mut Conn, section: &str) -> Vec<(String, String)> {
    text(&c.cmd(&["INFO", section]))
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(':'))
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

fn info_u64(c: &mut Conn, field: &str) -> u64 {
    let fields = info_fields(c, "memory");
    let v = fields.iter().find(|(k, _)| k == field).unwrap_or_else(|| panic!("no {field} in INFO memory"));
    v.1.parse().unwrap_or_else(|_| panic!("{field}:{} is not a number", v.1))
}

fn int_reply(reply: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(reply);
    s.strip_prefix(':').and_then(|v| v.trim_end().parse().ok()).unwrap_or_else(|| panic!("not an integer: {s:?}"))
}

#[test]
fn info_memory_has_redis_fields_in_order() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (_fer, _red, mut f, mut r) = pair();
    // Fields Redis 7.2/7.4 added are compared with Redis 7.4.1 in tests/types/r74_misc.rs.
    const NEWER_THAN_70: &[&str] = &["allocator_muzzy"];
    let names = |c: &mut Conn| {
        info_fields(c, "memory")
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !NEWER_THAN_70.contains(&k.as_str()))
            .collect::<Vec<_>>()
    };
    let (ours, theirs) = (names(&mut f), names(&mut r));
    assert_eq!(ours, theirs);
    // A few values that must be sensible whatever the allocator.
    let fields = info_fields(&mut f, "memory");
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(get("maxmemory"), "0");
    assert_eq!(get("maxmemory_human"), "0B");
    assert_eq!(get("maxmemory_policy"), "noeviction");
    assert_eq!(get("mem_aof_buffer"), "0");
    assert_eq!(get("mem_allocator"), "libc");
    let used: u64 = get("used_memory").parse().unwrap();
    let overhead: u64 = get("used_memory_overhead").parse().unwrap();
    let dataset: u64 = get("used_memory_dataset").parse().unwrap();
    assert_eq!(overhead + dataset, used);
    assert!(get("mem_clients_normal").parse::<u64>().unwrap() > 0, "the calling client has buffers");
}

#[test]
fn info_memory_counts_the_aof_buffer() {
    let fer = Server::start(Kind::Ferredis, &["--appendonly", "yes", "--appendfsync", "no"]);
    let mut c = fer.conn();
    c.cmd(&["SET", "k", "v"]);
    let fields = info_fields(&mut c, "memory");
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.parse::<u64>().unwrap()).unwrap();
    // The buffer was written out, but its allocation stays for the next command (as Redis's sds does).
    assert_eq!(get("mem_aof_buffer"), get("mem_not_counted_for_evict"));
}

#[test]
fn memory_replies_and_errors_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (_fer, _red, mut f, mut r) = pair();
    let mut same = |line: &str| {
        let args = split_args(line).unwrap();
        let (a, b) = (f.cmd(&args), r.cmd(&args));
        assert_eq!(escape(&a), escape(&b), "reply to {line} differs (left: ferredis, right: redis)");
    };
    for line in [
        "MEMORY",
        "MEMORY FOO",
        "MEMORY FOO bar",
        "MEMORY HELP",
        "MEMORY HELP x",
        "MEMORY USAGE",
        "MEMORY USAGE missing",
        "MEMORY USAGE missing SAMPLES",
        "MEMORY USAGE missing SAMPLES x",
        "MEMORY USAGE missing SAMPLES -1",
        "MEMORY USAGE missing SAMPLES 1 x",
        "MEMORY USAGE missing FOO",
        "SET k v",
        "MEMORY USAGE k SAMPLES",
        "MEMORY USAGE k SAMPLES 99999999999999999999",
        "MEMORY USAGE k samples 5 samples -3",
        "MEMORY PURGE",
        "MEMORY PURGE x",
        "MEMORY DOCTOR",
        "MEMORY DOCTOR x",
        "MEMORY STATS x",
        "MEMORY MALLOC-STATS x",
        "COMMAND INFO memory|doctor memory|purge memory|stats memory|malloc-stats memory|usage memory|help",
    ] {
        same(line);
    }
    // Integer replies of USAGE: the type is Redis's, the number ours.
    assert!(f.cmd(&["MEMORY", "USAGE", "k", "SAMPLES", "0"]).starts_with(b":"));
    // MALLOC-STATS: what Redis built with libc malloc answers.
    assert_eq!(f.cmd(&["MEMORY", "MALLOC-STATS"]), b"$45\r\nStats not supported for the current allocator\r\n");
}

/// The field names of MEMORY STATS, nested db maps included, in reply order.
fn stats_names(c: &mut Conn) -> Vec<String> {
    let v = Resp::parse(&c.cmd(&["MEMORY", "STATS"])).unwrap();
    let mut names = Vec::new();
    let items = v.items().unwrap();
    for pair in items.chunks(2) {
        names.push(String::from_utf8_lossy(pair[0].as_bytes().unwrap()).into_owned());
        if let Some(inner) = pair[1].items() {
            for p in inner.chunks(2) {
                names.push(String::from_utf8_lossy(p[0].as_bytes().unwrap()).into_owned());
            }
        }
    }
    names
}

#[test]
fn memory_stats_has_redis_fields_in_order() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (_fer, _red, mut f, mut r) = pair();
    assert_eq!(stats_names(&mut f), stats_names(&mut r));
    for c in [&mut f, &mut r] {
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["SELECT", "3"]);
        c.cmd(&["SET", "b", "2"]);
    }
    let names = stats_names(&mut f);
    assert_eq!(names, stats_names(&mut r));
    assert!(names.contains(&"db.3".to_string()));
}

#[test]
fn used_memory_follows_sets_deletes_and_flushall() {
    let fer = Server::ferredis();
    let mut c = fer.conn();
    let base = info_u64(&mut c, "used_memory");
    const N: u64 = 100_000;
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", &N.to_string()]), b"+OK\r\n");
    let full = info_u64(&mut c, "used_memory");
    // One entry: its chunk plus its slot; the table has spare slots, so allow up to twice that per key.
    let entry = int_reply(&c.cmd(&["MEMORY", "USAGE", "key:777"])) as u64;
    let per_key = (full - base) as f64 / N as f64;
    assert!(
        per_key >= 0.9 * entry as f64 && per_key <= 2.0 * entry as f64,
        "{per_key:.1} bytes per key for entries of {entry} bytes"
    );
    // Deleting half the keys gives back their chunks at once (the slab's free chunks are not counted).
    for start in (0..N / 2).step_by(1000) {
        let mut args = vec!["DEL".to_string()];
        args.extend((start..start + 1000).map(|i| format!("key:{i}")));
        c.cmd(&args);
    }
    let half = info_u64(&mut c, "used_memory");
    let freed = (full - half) as f64;
    assert!(freed >= 0.8 * (N / 2 * entry) as f64 - 0.1 * (full - base) as f64, "DEL freed only {freed} bytes");
    assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
    let after = info_u64(&mut c, "used_memory");
    assert!(after < base + (full - base) / 20, "base {base} full {full} after FLUSHALL {after}");
}

#[test]
fn usage_agrees_with_the_used_memory_delta() {
    let fer = Server::ferredis();
    let mut c = fer.conn();
    // Pipelined writes of big collections, then compare each key's USAGE (all elements) with what it added.
    type MakeCommand<'a> = &'a dyn Fn(u32) -> Vec<String>;
    let cases: [(&str, MakeCommand); 4] = [
        ("h", &|i| vec!["HSET".into(), "h".into(), format!("field:{i:08}"), format!("value-{i}-{}", "v".repeat(30))]),
        ("s", &|i| vec!["SADD".into(), "s".into(), format!("member-of-the-set-{i:010}")]),
        ("z", &|i| vec!["ZADD".into(), "z".into(), i.to_string(), format!("zmember-{i:012}-long-enough")]),
        ("l", &|i| vec!["RPUSH".into(), "l".into(), format!("list-element-{i}")]),
    ];
    for (key, make) in cases {
        let before = info_u64(&mut c, "used_memory");
        for chunk in (0..50_000u32).collect::<Vec<_>>().chunks(500) {
            let mut batch = Vec::new();
            for &i in chunk {
                batch.extend_from_slice(&encode_command(&make(i)));
            }
            c.send_raw(&batch).unwrap();
            for _ in chunk {
                c.read_reply().unwrap();
            }
        }
        let after = info_u64(&mut c, "used_memory");
        let usage = int_reply(&c.cmd(&["MEMORY", "USAGE", key, "SAMPLES", "0"])) as f64;
        let sampled = int_reply(&c.cmd(&["MEMORY", "USAGE", key])) as f64;
        let delta = (after - before) as f64;
        assert!(usage > 0.7 * delta && usage < 1.3 * delta, "{key}: USAGE {usage} vs used_memory delta {delta}");
        assert!(sampled > 0.5 * usage && sampled < 2.0 * usage, "{key}: sampled {sampled} vs full {usage}");
    }
}

fn rss(c: &mut Conn) -> u64 {
    info_u64(c, "used_memory_rss")
}

#[test]
fn rss_falls_after_flushall_of_a_million_keys() {
    let fer = Server::ferredis();
    let mut c = fer.conn();
    let base = rss(&mut c);
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "1000000"]), b"+OK\r\n");
    let full = rss(&mut c);
    assert!(full > base + (40 << 20), "1M keys should take well over 40 MB: base {base} full {full}");
    assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
    let after = rss(&mut c);
    assert!(after < base + (full - base) / 4, "RSS base {base} full {full} after FLUSHALL {after}");
}

#[test]
fn rss_falls_after_large_deletes() {
    let fer = Server::ferredis();
    let mut c = fer.conn();
    let base = rss(&mut c);
    const N: u32 = 400_000;
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", &N.to_string()]), b"+OK\r\n");
    let full = rss(&mut c);
    for start in (0..N).step_by(2000) {
        let mut args = vec!["UNLINK".to_string()];
        args.extend((start..start + 2000).map(|i| format!("key:{i}")));
        c.cmd(&args);
    }
    assert_eq!(c.cmd(&["DBSIZE"]), b":0\r\n");
    // The cron releases the free pages (and the table shrinks); wait for it rather than timing it.
    let mut after = rss(&mut c);
    for _ in 0..300 {
        if after < base + (full - base) / 4 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = rss(&mut c);
    }
    assert!(after < base + (full - base) / 4, "RSS base {base} full {full} after deleting every key {after}");
}
