//! HOTKEYS (Redis 8.6): Redis's `tests/unit/hotkeys.tcl` cases on ferredis alone.
//!
//! skipped: no Redis 8 server is installable here, so there is no oracle to compare with; the expectations
//! (error texts, the report's fields, which fields appear when) are Redis 8.6's source and test suite. The biased
//! workload is smaller than Redis's (5000 commands, not 50000) to keep CI fast.

use crate::common::{Conn, Kind, Resp, Server};

fn get(c: &mut Conn) -> Resp {
    Resp::parse(&c.cmd(&["HOTKEYS", "GET"])).expect("HOTKEYS GET reply")
}

/// GET's report as (field, value) pairs, from the one-element array around a map (RESP3) or flat array (RESP2).
fn report(c: &mut Conn) -> Vec<(String, Resp)> {
    let r = get(c);
    let outer = r.items().expect("an array");
    assert_eq!(outer.len(), 1);
    let name = |k: &Resp| String::from_utf8_lossy(k.as_bytes().expect("a field name")).into_owned();
    match &outer[0] {
        Resp::Map(m) => m.iter().map(|(k, v)| (name(k), v.clone())).collect(),
        Resp::Array(a) => a.chunks(2).map(|p| (name(&p[0]), p[1].clone())).collect(),
        other => panic!("not a report: {other:?}"),
    }
}

fn field<'a>(rep: &'a [(String, Resp)], name: &str) -> Option<&'a Resp> {
    rep.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn names(rep: &[(String, Resp)]) -> Vec<&str> {
    rep.iter().map(|(k, _)| k.as_str()).collect()
}

/// A top-K list as (key, value) pairs.
fn top(rep: &[(String, Resp)], name: &str) -> Vec<(String, i64)> {
    let items = field(rep, name).and_then(Resp::items).expect("a list");
    items
        .chunks(2)
        .map(|p| (String::from_utf8_lossy(p[0].as_bytes().unwrap()).into_owned(), p[1].as_int().unwrap()))
        .collect()
}

fn ok(c: &mut Conn, line: &str) {
    assert_eq!(c.cmd_str(line), b"+OK\r\n", "{line}");
}

fn err(c: &mut Conn, line: &str, want: &str) {
    let r = c.cmd_str(line);
    assert_eq!(String::from_utf8_lossy(&r), format!("-ERR {want}\r\n"), "{line}");
}

#[test]
fn hotkeys_start_errors_and_session_lifecycle() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    err(&mut c, "HOTKEYS START", "METRICS parameter is required");
    err(&mut c, "HOTKEYS START COUNT 1", "METRICS parameter is required");
    err(&mut c, "HOTKEYS START METRICS 0", "METRICS count must be > 0 and <= 2");
    err(&mut c, "HOTKEYS START METRICS -1", "METRICS count must be > 0 and <= 2");
    err(&mut c, "HOTKEYS START METRICS 3 CPU NET", "METRICS count must be > 0 and <= 2");
    err(&mut c, "HOTKEYS START METRICS 2 CPU", "METRICS count does not match number of metric types provided");
    err(&mut c, "HOTKEYS START METRICS 1 CPU NET", "syntax error");
    err(&mut c, "HOTKEYS START METRICS 1 GPU", "METRICS no valid metrics passed. Supported: CPU|NET");
    err(&mut c, "HOTKEYS START METRICS 2 GPU NYET", "METRICS no valid metrics passed. Supported: CPU|NET");
    err(&mut c, "HOTKEYS START METRICS 2 CPU CPU", "METRICS CPU defined more than once!");
    err(&mut c, "HOTKEYS START METRICS 2 net NET", "METRICS NET defined more than once!");
    err(&mut c, "HOTKEYS START METRICS 1 CPU COUNT 0", "COUNT must be between 1 and 64");
    err(&mut c, "HOTKEYS START METRICS 1 CPU COUNT 100", "COUNT must be between 1 and 64");
    err(&mut c, "HOTKEYS START METRICS 1 CPU DURATION 0", "DURATION must be between 1 and 1000000");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SAMPLE 0", "SAMPLE ratio must be positive");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 2 0 5", "SLOTS parameter cannot be used in non-cluster mode");
    err(&mut c, "HOTKEYS START METRICS 1 CPU COUNT", "syntax error");
    err(&mut c, "HOTKEYS BOGUS", "unknown subcommand 'BOGUS'. Try HOTKEYS HELP.");
    err(&mut c, "HOTKEYS STOP now", "wrong number of arguments for 'hotkeys|stop' command");

    // No session: GET and STOP are null, RESET is fine.
    assert_eq!(c.cmd_str("HOTKEYS GET"), b"$-1\r\n");
    assert_eq!(c.cmd_str("HOTKEYS STOP"), b"$-1\r\n");
    ok(&mut c, "HOTKEYS RESET");

    // Unknown metrics are skipped (forward compatibility).
    ok(&mut c, "HOTKEYS START METRICS 2 GPU CPU SAMPLE 5");
    err(&mut c, "HOTKEYS START METRICS 1 NET", "hotkey tracking session already in progress");
    err(&mut c, "HOTKEYS RESET", "hotkey tracking session in progress, stop tracking first");
    ok(&mut c, "HOTKEYS STOP");
    assert_eq!(c.cmd_str("HOTKEYS STOP"), b"$-1\r\n");
    let rep = report(&mut c);
    assert_eq!(field(&rep, "tracking-active").and_then(Resp::as_int), Some(0));
    assert_eq!(field(&rep, "sample-ratio").and_then(Resp::as_int), Some(5));
    assert!(field(&rep, "by-cpu-time-us").is_some() && field(&rep, "by-net-bytes").is_none());
    ok(&mut c, "HOTKEYS RESET");
    assert_eq!(c.cmd_str("HOTKEYS GET"), b"$-1\r\n");

    let help = Resp::parse(&c.cmd_str("HOTKEYS HELP")).unwrap();
    let lines = help.items().unwrap();
    assert_eq!(lines[0].as_bytes(), Some(&b"HOTKEYS <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"[..]));
    assert_eq!(lines.len(), 24);

    // DURATION ends the session by itself, in the cron as Redis 8.6's serverCron: its length is then the time it
    // ran until that tick (at least the DURATION), and it is no longer in progress.
    ok(&mut c, "HOTKEYS START METRICS 1 CPU DURATION 1");
    crate::common::wait_for("the session's end", || {
        field(&report(&mut c), "tracking-active").and_then(Resp::as_int) == Some(0)
    });
    let rep = report(&mut c);
    assert!(field(&rep, "collection-duration-ms").and_then(Resp::as_int).is_some_and(|d| d >= 1000), "{rep:?}");
    ok(&mut c, "HOTKEYS START METRICS 1 NET");
    ok(&mut c, "HOTKEYS STOP");
    ok(&mut c, "HOTKEYS RESET");

    // Admin command: COMMAND INFO's flags and categories.
    let info = String::from_utf8_lossy(&c.cmd_str("COMMAND INFO hotkeys|start")).into_owned();
    for want in ["admin", "noscript", "@admin", "@slow", "@dangerous"] {
        assert!(info.contains(want), "{want} in {info}");
    }
}

#[test]
fn hotkeys_report_fields_and_counting() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    for (metrics, cpu, net) in [("1 CPU", true, false), ("1 NET", false, true), ("2 CPU NET", true, true)] {
        ok(&mut c, &format!("HOTKEYS START METRICS {metrics}"));
        for _ in 0..20 {
            c.cmd_str("SET key1 value1");
        }
        c.cmd_str("PING");
        ok(&mut c, "HOTKEYS STOP");
        let rep = report(&mut c);
        let mut want = vec![
            "tracking-active",
            "sample-ratio",
            "selected-slots",
            "all-commands-all-slots-us",
            "net-bytes-all-commands-all-slots",
            "collection-start-time-unix-ms",
            "collection-duration-ms",
        ];
        if cpu {
            want.extend(["total-cpu-time-user-ms", "total-cpu-time-sys-ms"]);
        }
        if net {
            want.push("total-net-bytes");
        }
        if cpu {
            want.push("by-cpu-time-us");
        }
        if net {
            want.push("by-net-bytes");
        }
        assert_eq!(names(&rep), want, "{metrics}");
        // Every slot outside cluster mode.
        let slots = Resp::Array(vec![Resp::Array(vec![Resp::Int(0), Resp::Int(16383)])]);
        assert_eq!(field(&rep, "selected-slots"), Some(&slots));
        // SET key1 value1 is 35 bytes in, 5 out; PING has no key and is not counted.
        assert_eq!(field(&rep, "net-bytes-all-commands-all-slots").and_then(Resp::as_int), Some(20 * 40));
        if net {
            assert_eq!(top(&rep, "by-net-bytes"), vec![("key1".to_string(), 20 * 40)]);
            assert_eq!(field(&rep, "total-net-bytes").and_then(Resp::as_int), Some(20 * 40));
        }
        ok(&mut c, "HOTKEYS RESET");
    }

    // A command's cost is shared by its keys; MULTI/EXEC's commands count one by one; a script counts with its
    // declared keys, and the commands it runs are not counted again.
    ok(&mut c, "HOTKEYS START METRICS 1 NET COUNT 3");
    c.cmd_str("MSET a 1 b 2");
    c.cmd_str("MULTI");
    for _ in 0..3 {
        c.cmd_str("SET x{t} v");
    }
    c.cmd_str("SET y{t} v");
    c.cmd_str("EXEC");
    c.cmd_str("EVAL \"redis.call('set', KEYS[1], 'v') redis.call('set', 'z', 'v')\" 1 s");
    let rep = report(&mut c);
    let t = top(&rep, "by-net-bytes");
    assert_eq!(t.len(), 3, "{t:?}");
    let w = |k: &str| t.iter().find(|e| e.0 == k).map(|e| e.1);
    // Inside EXEC a command counts EXEC's request (`*1\r\n$4\r\nEXEC\r\n`, 14 bytes) and EXEC's reply so far
    // (`*4\r\n` and one `+OK\r\n` per command run): Redis 8.6's `call()` (server.c) adds the client's
    // `net_input_bytes_curr_cmd` and `net_output_bytes_curr_cmd`, which EXEC's commands share. So the three
    // SET x{t} count 14 + 9, 14 + 14 and 14 + 19.
    assert_eq!(w("x{t}"), Some(23 + 28 + 33));
    assert!(w("s").is_some(), "{t:?}");
    assert!(t.iter().all(|e| e.0 != "z"), "{t:?}");
    ok(&mut c, "HOTKEYS STOP");
    ok(&mut c, "HOTKEYS RESET");
}

#[test]
fn hotkeys_resp3_and_biased_detection() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    c.cmd_str("HELLO 3");
    ok(&mut c, "HOTKEYS START METRICS 2 CPU NET SAMPLE 2");
    let mut rng = crate::common::Prng::new(7);
    for i in 0..5000 {
        let key =
            if rng.chance(80) { format!("key_{:03}", rng.below(20)) } else { format!("key_{:03}", 20 + rng.below(80)) };
        c.cmd(&["SET", &key, &format!("value_{i}")]);
    }
    ok(&mut c, "HOTKEYS STOP");
    let r = get(&mut c);
    assert!(matches!(&r.items().unwrap()[0], Resp::Map(_)), "a RESP3 map");
    let rep = report(&mut c);
    for list in ["by-cpu-time-us", "by-net-bytes"] {
        let t = top(&rep, list);
        assert!(!t.is_empty() && t.len() <= 10, "{list}: {t:?}");
        let hot = t.iter().filter(|(k, _)| k.as_str() < "key_020").count();
        assert!(hot > 5, "{list}: {t:?}");
        assert!(t.windows(2).all(|w| w[0].1 >= w[1].1), "heaviest first: {t:?}");
    }
    // No SLOTS: none of the selected-slots totals.
    assert!(names(&rep).iter().all(|n| !n.contains("selected-slots-")), "{:?}", names(&rep));
    ok(&mut c, "HOTKEYS RESET");
}

#[test]
fn hotkeys_slots_in_cluster_mode() {
    let s = Server::start(Kind::Ferredis, &["--cluster-enabled", "yes", "--cluster-require-full-coverage", "no"]);
    let mut c = s.conn();
    ok(&mut c, "CLUSTER ADDSLOTSRANGE 0 8191");
    crate::common::wait_for("cluster_state:ok", || {
        String::from_utf8_lossy(&c.cmd_str("CLUSTER INFO")).contains("cluster_state:ok")
    });
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 2 0", "not enough slot numbers provided");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 2 0 0", "duplicate slot number");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 1 0 SLOTS 1 5", "SLOTS parameter already specified");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 1 -1", "Invalid or out of range slot");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 1 16384", "Invalid or out of range slot");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 1 abc", "Invalid or out of range slot");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 1 8192", "slot 8192 not handled by this node");
    err(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 0 1", "SLOTS count must be between 1 and 16384");

    // Without SLOTS: this node's slots.
    ok(&mut c, "HOTKEYS START METRICS 1 CPU");
    ok(&mut c, "HOTKEYS STOP");
    let rep = report(&mut c);
    let mine = Resp::Array(vec![Resp::Array(vec![Resp::Int(0), Resp::Int(8191)])]);
    assert_eq!(field(&rep, "selected-slots"), Some(&mine));
    ok(&mut c, "HOTKEYS RESET");

    // Unordered slots come back sorted and merged (now with every slot served).
    ok(&mut c, "CLUSTER ADDSLOTSRANGE 8192 16383");
    ok(&mut c, "HOTKEYS START METRICS 1 CPU SLOTS 6 10 5 1 0 6 2");
    ok(&mut c, "HOTKEYS STOP");
    let rep = report(&mut c);
    let r = |v: &[i64]| Resp::Array(v.iter().map(|&n| Resp::Int(n)).collect());
    assert_eq!(field(&rep, "selected-slots"), Some(&Resp::Array(vec![r(&[0, 2]), r(&[5, 6]), r(&[10])])));
    assert!(field(&rep, "all-commands-selected-slots-us").is_some());
    assert!(field(&rep, "sampled-commands-selected-slots-us").is_none());
    ok(&mut c, "HOTKEYS RESET");

    // Only keys of the selected slots enter the lists; the sampled totals appear with SAMPLE.
    let slot =
        String::from_utf8_lossy(&c.cmd_str("CLUSTER KEYSLOT {06S}key")).trim_start_matches(':').trim().to_string();
    ok(&mut c, &format!("HOTKEYS START METRICS 1 NET SAMPLE 2 SLOTS 1 {slot}"));
    for i in 0..50 {
        c.cmd(&["SET", &format!("{{06S}}key_{i}"), "v"]);
        c.cmd(&["SET", &format!("{{4oi}}key_{i}"), "v"]);
    }
    ok(&mut c, "HOTKEYS STOP");
    let rep = report(&mut c);
    let t = top(&rep, "by-net-bytes");
    assert!(!t.is_empty() && t.iter().all(|(k, _)| k.starts_with("{06S}")), "{t:?}");
    let n = |f: &str| field(&rep, f).and_then(Resp::as_int).unwrap_or(-1);
    assert!(n("net-bytes-all-commands-all-slots") > n("net-bytes-all-commands-selected-slots"));
    assert!(n("net-bytes-all-commands-selected-slots") >= n("net-bytes-sampled-commands-selected-slots"));
    assert!(n("net-bytes-sampled-commands-selected-slots") > 0);
    assert!(field(&rep, "sampled-commands-selected-slots-us").is_some());
}

/// With a replica (a replication backlog), a command's keys also get the bytes it wrote to the replication stream:
/// Redis 8.6's `replBufWriterEnd` (replication.c) updates the running command's keys with them, before its
/// request and reply bytes (server.c `call()`), each update shared by the keys on its own.
#[test]
fn hotkeys_counts_replication_bytes_with_a_backlog() {
    let m = Server::start(Kind::Ferredis, &[]);
    let r = Server::start(Kind::Ferredis, &[]);
    let mut rc = r.conn();
    ok(&mut rc, &format!("REPLICAOF 127.0.0.1 {}", m.port));
    crate::common::wait_for("the replica's sync", || {
        String::from_utf8_lossy(&rc.cmd_str("INFO replication")).contains("master_link_status:up")
    });
    let mut c = m.conn();
    ok(&mut c, "HOTKEYS START METRICS 1 NET");
    c.cmd_str("SET key1 value1");
    c.cmd_str("SET key1 value1");
    c.cmd_str("MSET a{t} 1 b{t} 2");
    ok(&mut c, "HOTKEYS STOP");
    let rep = report(&mut c);
    let t = top(&rep, "by-net-bytes");
    let w = |k: &str| t.iter().find(|e| e.0 == k).map(|e| e.1);
    // Each SET: 35 bytes in, 5 out, and the same 35 to the stream, after a SELECT (23 bytes) for the first write
    // since the backlog began.
    assert_eq!(w("key1"), Some(23 + 35 + 40 + 35 + 40), "{t:?}");
    // MSET a{t} 1 b{t} 2 (48 bytes in, 5 out, 48 to the stream): each key gets 48 / 2, then 53 / 2.
    assert_eq!(w("a{t}"), Some(24 + 26), "{t:?}");
    assert_eq!(w("b{t}"), Some(24 + 26), "{t:?}");
    let n = |f: &str| field(&rep, f).and_then(Resp::as_int).unwrap_or(-1);
    assert_eq!(n("net-bytes-all-commands-all-slots"), 23 + 2 * 75 + 48 + 53);
}

/// INFO's `hotkeys` section (Redis 8's `server.c`): after `cpu` in `all` and `everything`, out of the default set
/// (which keeps Redis 7.0's sections); the header alone without a session, else `hotkeys-tracking-active` and
/// `hotkeys-cmd-cpu-time` (the milliseconds the sketches' updates took).
#[test]
fn info_hotkeys_section() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    let info = |c: &mut Conn, args: &[&str]| -> String {
        let raw = c.cmd(args);
        String::from_utf8_lossy(
            Resp::parse(&raw).ok().and_then(|r| r.as_bytes().map(<[u8]>::to_vec)).as_deref().unwrap_or_default(),
        )
        .into_owned()
    };
    assert_eq!(info(&mut c, &["INFO", "hotkeys"]), "# Hotkeys\r\n");
    assert!(!info(&mut c, &["INFO"]).contains("# Hotkeys"));
    for all in ["all", "everything"] {
        let text = info(&mut c, &["INFO", all]);
        let headers: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with("# ")).collect();
        let at = headers.iter().position(|h| *h == "# Hotkeys").expect("a hotkeys section");
        assert_eq!(headers[at - 1], "# CPU", "{headers:?}");
    }
    ok(&mut c, "HOTKEYS START METRICS 1 CPU");
    c.cmd_str("SET k v");
    let text = info(&mut c, &["INFO", "HOTKEYS"]);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines[..2], ["# Hotkeys", "hotkeys-tracking-active:1"], "{text}");
    let ms = lines.get(2).and_then(|l| l.strip_prefix("hotkeys-cmd-cpu-time:"));
    assert!(lines.len() == 3 && ms.is_some_and(|v| v.parse::<u64>().is_ok()), "{text}");
    ok(&mut c, "HOTKEYS STOP");
    assert!(info(&mut c, &["INFO", "hotkeys"]).contains("hotkeys-tracking-active:0\r\n"));
    ok(&mut c, "HOTKEYS RESET");
    assert_eq!(info(&mut c, &["INFO", "hotkeys"]), "# Hotkeys\r\n");
}
