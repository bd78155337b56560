//! Active defragmentation end to end. Against Debian's redis-server 7.0: the `active-defrag-*` knobs answer
//! CONFIG GET/SET identically (defaults, accepted and refused values). On ferredis alone (Debian's Redis cannot
//! enable it: its jemalloc is not Redis's): after a churn (mixed value sizes, some with TTLs, 80% deleted),
//! `CONFIG SET activedefrag yes` starts a run (`active_defrag_running`), moves allocations
//! (`active_defrag_hits`, `active_defrag_key_hits`), ends, and leaves the data byte-identical (DEBUG DIGEST)
//! while other clients keep writing; the resident set shrinks. No timing assertions: the test waits for the
//! cron, with a generous limit.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

fn info_field(c: &mut Conn, section: &str, field: &str) -> String {
    let reply = c.cmd(&["INFO", section]);
    let s = String::from_utf8_lossy(&reply).into_owned();
    s.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .trim()
        .to_string()
}

fn info_u64(c: &mut Conn, section: &str, field: &str) -> u64 {
    let v = info_field(c, section, field);
    v.parse().unwrap_or_else(|_| panic!("{field}:{v} is not a number"))
}

/// Sends the commands in one pipeline and reads all replies.
fn pipeline(c: &mut Conn, cmds: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    for cmd in cmds {
        buf.extend_from_slice(&encode_command(cmd));
    }
    c.send_raw(&buf).unwrap();
    cmds.iter().map(|_| c.read_reply().unwrap()).collect()
}

fn value(i: usize) -> Vec<u8> {
    let len = [32, 200, 1000][i % 3];
    (0..len).map(|j| b'a' + ((i * 7 + j) % 26) as u8).collect()
}

#[test]
fn knobs_answer_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = Server::ferredis();
    let red = Server::redis();
    let (mut f, mut r) = (fer.conn(), red.conn());
    let knobs = [
        "active-defrag-ignore-bytes",
        "active-defrag-threshold-lower",
        "active-defrag-threshold-upper",
        "active-defrag-cycle-min",
        "active-defrag-cycle-max",
        "active-defrag-max-scan-fields",
        "activedefrag",
    ];
    for k in knobs {
        assert_eq!(f.cmd(&["CONFIG", "GET", k]), r.cmd(&["CONFIG", "GET", k]), "CONFIG GET {k}");
    }
    let sets: &[(&str, &str)] = &[
        ("active-defrag-ignore-bytes", "50mb"),
        ("active-defrag-ignore-bytes", "0"),
        ("active-defrag-threshold-lower", "5"),
        ("active-defrag-threshold-lower", "1001"),
        ("active-defrag-threshold-upper", "1000"),
        ("active-defrag-cycle-min", "0"),
        ("active-defrag-cycle-min", "10"),
        ("active-defrag-cycle-max", "99"),
        ("active-defrag-cycle-max", "100"),
        ("active-defrag-max-scan-fields", "0"),
        ("active-defrag-max-scan-fields", "5000"),
        ("activedefrag", "maybe"),
        ("activedefrag", "no"),
    ];
    for (k, v) in sets {
        assert_eq!(f.cmd(&["CONFIG", "SET", k, v]), r.cmd(&["CONFIG", "SET", k, v]), "CONFIG SET {k} {v}");
        assert_eq!(f.cmd(&["CONFIG", "GET", k]), r.cmd(&["CONFIG", "GET", k]), "CONFIG GET {k} after {v}");
    }
    // Ferredis can defragment its own allocator, so it takes `yes` (Redis without its own jemalloc refuses).
    assert_eq!(f.cmd(&["CONFIG", "SET", "activedefrag", "yes"]), b"+OK\r\n");
    assert_eq!(f.cmd(&["CONFIG", "GET", "activedefrag"]), b"*2\r\n$12\r\nactivedefrag\r\n$3\r\nyes\r\n");
}

#[test]
fn defrag_moves_allocations_and_keeps_the_data() {
    let srv = Server::ferredis();
    let mut c = srv.conn();
    let n = 60_000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let cmds: Vec<Vec<Vec<u8>>> = chunk
            .iter()
            .map(|&i| {
                let mut cmd = vec![b"SET".to_vec(), format!("key:{i}").into_bytes(), value(i)];
                if i % 10 == 0 {
                    cmd.extend([b"EX".to_vec(), b"100000".to_vec()]);
                }
                cmd
            })
            .collect();
        for r in pipeline(&mut c, &cmds) {
            assert_eq!(r, b"+OK\r\n");
        }
    }
    // Delete a pseudo-random 80%.
    let doomed: Vec<usize> = (0..n).filter(|i| ((i * 2_654_435_761usize) >> 7) % 5 != 0).collect();
    for chunk in doomed.chunks(1000) {
        let cmds: Vec<Vec<Vec<u8>>> =
            chunk.iter().map(|&i| vec![b"DEL".to_vec(), format!("key:{i}").into_bytes()]).collect();
        pipeline(&mut c, &cmds);
    }
    let keys = c.cmd(&["DBSIZE"]);
    let digest = c.cmd(&["DEBUG", "DIGEST"]);
    let rss_before = info_u64(&mut c, "memory", "used_memory_rss");
    assert_eq!(info_u64(&mut c, "memory", "active_defrag_running"), 0);
    assert_eq!(info_u64(&mut c, "stats", "active_defrag_hits"), 0);
    for (k, v) in [
        ("active-defrag-ignore-bytes", "1mb"),
        ("active-defrag-threshold-lower", "5"),
        ("active-defrag-cycle-min", "50"),
        ("active-defrag-cycle-max", "75"),
        ("hz", "100"),
        ("activedefrag", "yes"),
    ] {
        assert_eq!(c.cmd(&["CONFIG", "SET", k, v]), b"+OK\r\n", "{k}");
    }
    // Writes from another client while the defragmenter runs, on keys of their own.
    let mut w = srv.conn();
    let (mut saw_running, mut round) = (false, 0usize);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        round += 1;
        let k = format!("live:{}", round % 500);
        assert_eq!(w.cmd(&["SET", &k, &String::from_utf8(value(round)).unwrap()]), b"+OK\r\n");
        if round % 3 == 0 {
            w.cmd(&["DEL", &format!("live:{}", (round * 7) % 500)]);
        }
        if round % 50 == 0 {
            saw_running |= info_u64(&mut c, "memory", "active_defrag_running") > 0;
            let hits = info_u64(&mut c, "stats", "active_defrag_hits");
            let done = hits > 0 && info_u64(&mut c, "memory", "active_defrag_running") == 0;
            if done || Instant::now() > deadline {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(saw_running, "active_defrag_running never went above 0");
    assert_eq!(c.cmd(&["CONFIG", "SET", "activedefrag", "no"]), b"+OK\r\n");
    let hits = info_u64(&mut c, "stats", "active_defrag_hits");
    assert!(hits > 10_000, "active_defrag_hits {hits}");
    assert!(info_u64(&mut c, "stats", "active_defrag_key_hits") > 5_000);
    assert!(info_u64(&mut c, "stats", "active_defrag_misses") > 0);
    // The writer's keys hold what it wrote last; without them the data is exactly what it was.
    for i in 0..500 {
        let reply = w.cmd(&["GET", &format!("live:{i}")]);
        if reply != b"$-1\r\n" {
            let s = String::from_utf8_lossy(&reply);
            let body = s.split("\r\n").nth(1).unwrap_or_default().as_bytes().to_vec();
            assert!(body.iter().all(|b| b.is_ascii_lowercase()) && [32, 200, 1000].contains(&body.len()));
        }
        w.cmd(&["DEL", &format!("live:{i}")]);
    }
    assert_eq!(c.cmd(&["DBSIZE"]), keys);
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), digest, "the defragmenter changed the data");
    for i in (0..n).filter(|i| ((i * 2_654_435_761usize) >> 7) % 5 == 0).take(300) {
        let reply = c.cmd(&["GET", &format!("key:{i}")]);
        let mut want = format!("${}\r\n", value(i).len()).into_bytes();
        want.extend_from_slice(&value(i));
        want.extend_from_slice(b"\r\n");
        assert_eq!(reply, want);
    }
    let rss_after = info_u64(&mut c, "memory", "used_memory_rss");
    assert!(rss_after < rss_before, "RSS {rss_before} -> {rss_after}");
}
