use super::*;
use crate::command::test_support::Harness;

#[test]
fn usage_is_our_bytes() {
    let mut h = Harness::new();
    h.run(&["set", "key:000000999999", "val999999"]);
    // One 32-byte chunk plus the table slot (8-byte pointer + 1 control byte).
    assert_eq!(h.run(&["memory", "usage", "key:000000999999"]), ":41\r\n");
    assert_eq!(h.run(&["memory", "usage", "nokey"]), "$-1\r\n");
    assert_eq!(h.run(&["memory", "usage", "nokey", "samples", "-1"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["memory", "usage", "nokey", "samples"]), "-ERR syntax error\r\n");
    assert_eq!(
        h.run(&["memory", "usage", "nokey", "samples", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(h.run(&["memory", "foo"]), "-ERR unknown subcommand 'foo'. Try MEMORY HELP.\r\n");
    // A big string: the buffer dominates.
    h.run(&["set", "big", &"x".repeat(10_000)]);
    let n: usize = h.run(&["memory", "usage", "big"])[1..].trim_end().parse().unwrap();
    assert!((10_000..10_200).contains(&n), "{n}");
}

#[test]
fn sampling_estimates_big_collections() {
    let mut h = Harness::new();
    for i in 0..2000 {
        h.run(&["sadd", "s", &format!("member-with-a-long-name-{i:08}")]);
    }
    let all: f64 = h.run(&["memory", "usage", "s", "samples", "0"])[1..].trim_end().parse().unwrap();
    let five: f64 = h.run(&["memory", "usage", "s"])[1..].trim_end().parse().unwrap();
    // Same-sized members: the 5-sample estimate is close to the full count.
    assert!((five / all - 1.0).abs() < 0.05, "five {five} all {all}");
    // The full count is the entry's own accounting plus the slot and malloc's 16 bytes per 32-byte member.
    let db = &h.srv.dbs[0];
    let slot = db.table_bytes() / db.buckets();
    assert_eq!(all as usize, db.find(b"s").unwrap().memory_usage() + slot + 2000 * 16);
}

#[test]
fn entry_chunk_estimate_matches_layout() {
    // The estimate `entry_usage` uses for big collections must be the real chunk (guards layout changes).
    let mut h = Harness::new();
    for key in ["k", "a-longer-key-name", &"k".repeat(100)] {
        h.run(&["rpush", key, "a", "b"]);
        let e = h.srv.dbs[0].find(key.as_bytes()).unwrap();
        let exact = e.memory_usage();
        // A listpack is not sampled and has no out-of-line elements, so the two must agree.
        assert_eq!(entry_usage(e, 0, 1), exact, "key {key}");
    }
}

#[test]
fn doctor_cases() {
    let small = MemFigures { used: 1 << 20, ..MemFigures::default() };
    assert!(doctor_report(&small, 1).starts_with("Hi Sam, this instance is empty"));
    let fine = MemFigures {
        used: 100 << 20,
        peak: 110 << 20,
        rss: 110 << 20,
        allocated: 100 << 20,
        active: 105 << 20,
        resident: 105 << 20,
        ..MemFigures::default()
    };
    assert_eq!(doctor_report(&fine, 1), DOCTOR_OK);
    let peaky = MemFigures { peak: 400 << 20, rss: 300 << 20, ..fine };
    let r = doctor_report(&peaky, 1);
    assert!(r.starts_with("Sam, I detected a few issues"));
    assert!(r.contains(" * Peak memory:") && r.contains(" * High total RSS:"));
    assert!(r.ends_with("I'm here to keep you safe, Sam. I want to help you.\n"));
}

#[test]
fn stats_and_purge_reply() {
    let mut h = Harness::new();
    h.run(&["set", "a", "1"]);
    let s = h.run(&["memory", "stats"]);
    assert!(s.starts_with("*56\r\n$14\r\npeak.allocated\r\n:"), "{s}");
    assert!(s.contains("$4\r\ndb.0\r\n*6\r\n$23\r\noverhead.hashtable.main\r\n"));
    assert!(s.contains("$10\r\nkeys.count\r\n:1\r\n"));
    assert_eq!(h.run(&["memory", "purge"]), "+OK\r\n");
    assert_eq!(h.run(&["memory", "malloc-stats"]), "$45\r\nStats not supported for the current allocator\r\n");
    assert!(h.run(&["memory", "doctor"]).contains("Sam"));
    assert!(h.run(&["memory", "help"]).starts_with("*14\r\n+MEMORY <subcommand>"));
}
