//! Stream consumer groups against Debian's redis-server 7.0.15, reply bytes compared: XGROUP (CREATE, SETID,
//! DESTROY, CREATECONSUMER, DELCONSUMER, HELP), XINFO GROUPS / CONSUMERS / STREAM FULL, XACK, XPENDING and
//! XREADGROUP, with the bad inputs Redis refuses, in RESP2 and RESP3; their keyspace events; and what each server
//! appends to its AOF for the same commands.
//!
//! Idle times and delivery times differ between two runs, so lines marked `~` compare them normalized: a unix
//! time in ms becomes `<ts>`, and an idle time under 10 s (an integer after the `idle` field, or the first of the
//! two integers after a consumer name in XPENDING's entries) becomes `<ms>`.
//!
//! Without /usr/bin/redis-server the tests print "skipped" and pass.

use crate::common;

use common::*;

/// `~` lines compare their replies with the times masked ([`normalize`]).
const TIMES_MASKED: ScriptOpts<'static> = ScriptOpts { resp3: false, setup: &[], tilde: Some(normalized) };

fn normalized(reply: &[u8]) -> Vec<u8> {
    normalize(reply).into_bytes()
}

/// Replaces times in a reply as the module doc says.
fn normalize(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply).into_owned();
    let lines: Vec<&str> = text.split("\r\n").collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let int = |s: &str| s.strip_prefix(':').and_then(|n| n.parse::<i64>().ok());
        let mut line = l.to_string();
        if let Some(n) = int(l) {
            let prev = if i > 0 { lines[i - 1] } else { "" };
            let next = lines.get(i + 1).copied().unwrap_or("");
            let after_bulk = i > 0 && int(prev).is_none() && !prev.starts_with('*') && !prev.starts_with('%');
            if n >= 1_000_000_000_000 {
                line = ":<ts>".into();
            } else if (0..10_000).contains(&n) && (prev == "idle" || (after_bulk && int(next).is_some())) {
                line = ":<ms>".into();
            }
        }
        out.push(line);
    }
    out.join("\r\n")
}

const XGROUP: &str = r#"
XGROUP HELP
XGROUP HELP x
XGROUP
XGROUP FOO
XGROUP FOO k g
XGROUP CREATE s g
XGROUP CREATE s g $
XGROUP CREATE s g $ MKSTREAM
XGROUP CREATE s g $ MKSTREAM
EXISTS s
TYPE s
XGROUP CREATE s g2 0 ENTRIESREAD
XGROUP CREATE s g2 0 ENTRIESREAD x
XGROUP CREATE s g2 0 ENTRIESREAD -2
XGROUP CREATE s g2 0 FOO
XGROUP CREATE s g2 0 MKSTREAM MKSTREAM ENTRIESREAD 1 ENTRIESREAD 2
XGROUP CREATE s g2 abc
XGROUP CREATE s g2 -
XGROUP CREATE s g2 + 
XGROUP CREATE s g2 1-1 ENTRIESREAD -1
XADD s 1-1 a 1
XADD s 2-1 b 2
XADD s 3-1 c 3
XGROUP CREATE s g3 $ ENTRIESREAD 3
XGROUP CREATE s g4 0
XGROUP CREATE s g5 2
XGROUP CREATE s "" 0
XGROUP CREATE nokey g 0
XGROUP SETID nokey g 0
XGROUP DESTROY nokey g
XGROUP CREATECONSUMER nokey g c
XGROUP DELCONSUMER nokey g c
SET str x
XGROUP CREATE str g 0
XGROUP CREATE str g 0 MKSTREAM
XGROUP SETID str g 0
XGROUP DESTROY str g
XGROUP CREATE str g 0 ENTRIESREAD x
XGROUP SETID s nogroup 0
XGROUP CREATECONSUMER s nogroup c
XGROUP DELCONSUMER s nogroup c
XGROUP DESTROY s nogroup
XGROUP SETID s g 2-1
XGROUP SETID s g -
XGROUP SETID s g +
XGROUP SETID s g $ ENTRIESREAD 2
XGROUP SETID s g 1 ENTRIESREAD 1
XGROUP SETID s g 1 ENTRIESREAD
XGROUP SETID s g 1 MKSTREAM
XGROUP SETID s g 1 ENTRIESREAD 1 ENTRIESREAD 2
XGROUP SETID s g abc
XGROUP SETID s g 1 ENTRIESREAD -5
XGROUP CREATECONSUMER s g alice
XGROUP CREATECONSUMER s g alice
XGROUP CREATECONSUMER s g bob
XGROUP CREATECONSUMER s g
XGROUP CREATECONSUMER s g a b
XGROUP DELCONSUMER s g bob
XGROUP DELCONSUMER s g bob
XGROUP DELCONSUMER s g nobody
XINFO GROUPS s
~XINFO CONSUMERS s g
XINFO CONSUMERS s nogroup
XINFO CONSUMERS nokey g
XINFO CONSUMERS str g
XINFO CONSUMERS s
XINFO GROUPS nokey
XINFO GROUPS str
XINFO GROUPS s x
~XINFO STREAM s FULL
XINFO STREAM s
XDEL s 2-1
XINFO GROUPS s
XGROUP DESTROY s g
XGROUP DESTROY s g
XGROUP DESTROY s g x
XINFO GROUPS s
XACK s g4 1-1
XACK s nogroup 1-1
XACK nokey g 1-1
XACK str g 1-1
XACK s g4 abc
XACK s g4 1-1 abc
XACK s g4
XPENDING s g4
XPENDING s g4 - + 10
XPENDING s g4 - + 10 alice
XPENDING s g4 IDLE 10 - + 10
XPENDING s g4 IDLE 10 - + 10 alice
XPENDING s g4 IDLE x - + 10
XPENDING s g4 IDLE 10 - +
XPENDING s g4 - +
XPENDING s g4 - + x
XPENDING s g4 - + -1
XPENDING s g4 x + 10
XPENDING s g4 - x 10
XPENDING s g4 (18446744073709551615-18446744073709551615 + 10
XPENDING s g4 - (0-0 10
XPENDING s g4 - + 10 a b c
XPENDING s nogroup
XPENDING nokey g
XPENDING str g
XPENDING nokey g x + 10
DEBUG DIGEST
"#;

const XREADGROUP: &str = r#"
XADD s 1-1 a 1
XADD s 2-1 b 2
XADD s 3-1 c 3
XADD s 4-1 d 4
XGROUP CREATE s g 0
XREADGROUP
XREADGROUP GROUP g
XREADGROUP GROUP g c STREAMS s
XREADGROUP GROUP g c STREAMS s > >
XREADGROUP STREAMS s >
XREADGROUP COUNT 1 STREAMS s >
XREADGROUP GROUP g c STREAMS s $
XREADGROUP GROUP g c STREAMS s abc
XREADGROUP GROUP nog c STREAMS s >
XREADGROUP GROUP g c STREAMS nokey >
XREADGROUP GROUP g c STREAMS s nokey > >
XREADGROUP GROUP g c COUNT x STREAMS s >
XREADGROUP GROUP g c BLOCK x STREAMS s >
XREADGROUP GROUP g c BLOCK -1 STREAMS s >
XREADGROUP GROUP g c FOO STREAMS s >
SET str x
XREADGROUP GROUP g c STREAMS str >
XREAD GROUP g c STREAMS s >
XREAD NOACK STREAMS s 0
XREAD STREAMS s >
XREADGROUP GROUP g alice COUNT 1 STREAMS s >
XREADGROUP GROUP g alice COUNT 2 STREAMS s >
XREADGROUP GROUP g bob STREAMS s >
XREADGROUP GROUP g bob STREAMS s >
XREADGROUP GROUP g bob BLOCK 10 STREAMS s >
XREADGROUP GROUP g alice STREAMS s 0
XREADGROUP GROUP g alice COUNT 1 STREAMS s 0
XREADGROUP GROUP g alice STREAMS s 1-1
XREADGROUP GROUP g alice COUNT 1 STREAMS s s 0 1-1
XREADGROUP GROUP g carol STREAMS s 0
XINFO GROUPS s
~XINFO CONSUMERS s g
~XINFO STREAM s FULL
~XINFO STREAM s FULL COUNT 1
XPENDING s g
~XPENDING s g - + 10
~XPENDING s g - + 2
~XPENDING s g (1-1 + 10
~XPENDING s g - + 10 alice
~XPENDING s g - + 10 bob
XPENDING s g - + 10 nobody
XPENDING s g - + 0
XPENDING s g IDLE 100000 - + 10
~XPENDING s g IDLE 0 - + 10 alice
XDEL s 2-1
XREADGROUP GROUP g alice STREAMS s 0
XINFO GROUPS s
XACK s g 1-1 2-1 9-9
XACK s g 1-1
XPENDING s g
XGROUP SETID s g 0
XREADGROUP GROUP g bob COUNT 2 STREAMS s >
XPENDING s g
XINFO GROUPS s
XGROUP CREATE s2 g $ MKSTREAM
XADD s2 1-1 x 1
XREADGROUP GROUP g dave NOACK STREAMS s s2 > >
XPENDING s2 g
XINFO GROUPS s2
~XINFO CONSUMERS s2 g
XADD s2 2-1 x 2
XREADGROUP GROUP g erin COUNT 5 NOACK STREAMS s2 >
XGROUP DELCONSUMER s g alice
XPENDING s g
XGROUP CREATE s g9 0 ENTRIESREAD 2
XREADGROUP GROUP g9 c COUNT 1 STREAMS s >
XINFO GROUPS s
XSETID s 10-0 ENTRIESADDED 20
XGROUP CREATE s g10 1-1
XREADGROUP GROUP g10 c COUNT 1 STREAMS s >
XINFO GROUPS s
MULTI
XREADGROUP GROUP g bob BLOCK 0 STREAMS s >
EXEC
EVAL "return redis.call('XREADGROUP','GROUP','g','bob','BLOCK','0','STREAMS','s','>')" 0
EVAL "return redis.call('XREADGROUP','GROUP','g','bob','STREAMS','s','>')" 0
DEBUG DIGEST
"#;

const XCLAIM: &str = r#"
XADD s 1-1 a 1
XADD s 2-1 b 2
XADD s 3-1 c 3
XADD s 4-1 d 4
XADD s 5-1 e 5
XGROUP CREATE s g 0
XREADGROUP GROUP g alice STREAMS s >
XCLAIM s g bob 0
XCLAIM nokey g bob 0 1-1
XCLAIM s nog bob 0 1-1
SET str x
XCLAIM str g bob 0 1-1
XCLAIM s g bob x 1-1
XCLAIM s g bob 0 1-1 IDLE x
XCLAIM s g bob 0 1-1 TIME x
XCLAIM s g bob 0 1-1 RETRYCOUNT x
XCLAIM s g bob 0 1-1 LASTID x
XCLAIM s g bob 0 1-1 FOO
XCLAIM s g bob 0 1-1 - 2-1
XCLAIM s g bob 0 1-1 IDLE
XCLAIM s g bob 100000 1-1
~XCLAIM s g bob 0 1-1 JUSTID
~XPENDING s g - + 10
~XCLAIM s g bob -5 2-1
~XCLAIM s g carol 0 3-1 TIME 1000 RETRYCOUNT 7
~XCLAIM s g carol 0 4-1 IDLE 500000 JUSTID
~XCLAIM s g carol 0 4-1 TIME 99999999999999 JUSTID
~XPENDING s g - + 10
XCLAIM s g dave 0 9-9
XCLAIM s g dave 0 9-9 FORCE
XCLAIM s g dave 0 5-1 FORCE JUSTID RETRYCOUNT 3
~XINFO CONSUMERS s g
XREADGROUP GROUP g alice STREAMS s 0
XINFO GROUPS s
XCLAIM s g dave 0 1-1 LASTID 7-0 JUSTID
XCLAIM s g dave 0 9-9 LASTID 8-0
XINFO GROUPS s
XADD s 6-1 f 6
XADD s 7-1 f 7
XREADGROUP GROUP g erin STREAMS s >
XDEL s 6-1 2-1
XCLAIM s g erin 0 6-1 2-1 1-1 JUSTID
XPENDING s g
XCLAIM s g erin 0 1-1 FORCE
XAUTOCLAIM s g
XAUTOCLAIM nokey g c 0 0
XAUTOCLAIM str g c 0 0
XAUTOCLAIM s nog c 0 0
XAUTOCLAIM s g c x 0
XAUTOCLAIM s g c 0 x
XAUTOCLAIM s g c 0 (18446744073709551615-18446744073709551615
XAUTOCLAIM s g c 0 0 COUNT 0
XAUTOCLAIM s g c 0 0 COUNT -1
XAUTOCLAIM s g c 0 0 COUNT x
XAUTOCLAIM s g c 0 0 COUNT 576460752303423487
XAUTOCLAIM s g c 0 0 COUNT 576460752303423488
XAUTOCLAIM s g c 0 0 FOO
XAUTOCLAIM s g c 0 0 COUNT
XAUTOCLAIM nokey g c 0 0 FOO
XAUTOCLAIM s g c 100000 0
XAUTOCLAIM s g c 0 0 COUNT 1
XAUTOCLAIM s g c 0 0 COUNT 2 JUSTID
XAUTOCLAIM s g c 0 (3-1 COUNT 2
XAUTOCLAIM s g c 0 - COUNT 100
XDEL s 3-1 5-1
XAUTOCLAIM s g d 0 0 COUNT 1
XAUTOCLAIM s g d 0 0 JUSTID
~XPENDING s g - + 10
~XINFO STREAM s FULL
XGROUP CREATE s g2 0
XREADGROUP GROUP g2 x STREAMS s >
XAUTOCLAIM s g2 y 0 0 COUNT 1
DEBUG DIGEST
"#;

/// The group commands touch no WATCHed key (Redis signals no key for them); MKSTREAM's creation does.
const WATCH: &str = r#"
XADD w 1-1 a 1
WATCH w
XGROUP CREATE w g 0
XGROUP CREATECONSUMER w g d
XREADGROUP GROUP g c STREAMS w >
XACK w g 1-1
XGROUP SETID w g 0
XCLAIM w g c 0 1-1 FORCE
XAUTOCLAIM w g e 0 0
XGROUP DELCONSUMER w g d
XGROUP DESTROY w g
MULTI
PING
EXEC
WATCH m
XGROUP CREATE m g $ MKSTREAM
MULTI
PING
EXEC
"#;

fn scripts() -> Vec<(&'static str, &'static str)> {
    vec![("xgroup", XGROUP), ("xreadgroup", XREADGROUP), ("xclaim", XCLAIM), ("watch", WATCH)]
}

#[test]
fn curated_scripts_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let mut diffs = Vec::new();
    for (name, script) in scripts() {
        diffs.extend(p.script_with(name, script, &TIMES_MASKED));
        diffs.extend(p.script_with(&format!("{name}-resp3"), &format!("!HELLO 3\n{script}"), &TIMES_MASKED));
    }
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// Keyspace events of the group commands, in order, as a subscriber sees them.
#[test]
fn keyspace_events_match_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "XGROUP CREATE s g $ MKSTREAM",
        "XGROUP CREATE s g $",
        "XADD s 1-1 a 1",
        "XGROUP CREATE s g2 0",
        "XGROUP SETID s g 0",
        "XGROUP CREATECONSUMER s g c",
        "XGROUP CREATECONSUMER s g c",
        "XGROUP DELCONSUMER s g c",
        "XGROUP DELCONSUMER s g c",
        "XGROUP DESTROY s g",
        "XGROUP DESTROY s g",
        "XACK s g2 1-1",
    ];
    let run = |kind: Kind| {
        let s = Server::start(kind, &["--notify-keyspace-events", "KEA"]);
        let mut sub = s.conn();
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        c.cmd(&["PUBLISH", "__keyevent@0__:end", "x"]);
        let mut msgs = Vec::new();
        loop {
            let m = sub.read_reply().unwrap();
            let end = m.windows(3).any(|w| w == b"end");
            msgs.push(escape(&m));
            if end {
                break;
            }
        }
        msgs
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

/// What each server appends to its AOF for the same group commands.
#[test]
fn propagation_matches_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "XGROUP CREATE s g $ MKSTREAM",
        "XGROUP CREATE s g $",
        "XADD s 1-1 a 1",
        "XADD s 2-1 a 2",
        "XGROUP CREATE s g2 0 ENTRIESREAD 0",
        "XGROUP SETID s g 1-1 ENTRIESREAD 1",
        "XGROUP CREATECONSUMER s g c",
        "XGROUP CREATECONSUMER s g c",
        "XGROUP DELCONSUMER s g c",
        "XGROUP DELCONSUMER s g c",
        "XGROUP DESTROY s g",
        "XGROUP DESTROY s g",
        "XACK s g2 1-1",
    ];
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("stream-groups-aof-{}", kind.label()));
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut aof = String::new();
        for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".incr.aof") {
                aof = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            }
        }
        drop(s);
        aof
    };
    let f = run(Kind::Ferredis);
    let r = run(Kind::Redis);
    assert_eq!(f.replace("\r\n", " "), r.replace("\r\n", " "));
}

/// Replaces 13-digit unix times in ms (XCLAIM's TIME in the AOF) with `<ts>`.
fn mask_times(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 13 && (i == 0 || !b[i - 1].is_ascii_digit()) {
            out.push_str("<ts>");
            i += run;
        } else if run > 0 {
            out.push_str(&s[i..i + run]);
            i += run;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// What each server appends to its AOF for XREADGROUP: XCLAIM ... LASTID per delivered entry, XGROUP SETID after
/// NOACK reads, XGROUP CREATECONSUMER for a consumer a NOACK read made, nothing for history reads.
#[test]
fn xreadgroup_propagation_matches_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "XADD s 1-1 a 1",
        "XADD s 2-1 a 2",
        "XADD s 3-1 a 3",
        "XGROUP CREATE s g 0",
        "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
        "XREADGROUP GROUP g alice STREAMS s 0",
        "XREADGROUP GROUP g bob STREAMS s 0",
        "XREADGROUP GROUP g carol NOACK STREAMS s >",
        "XREADGROUP GROUP g carol NOACK STREAMS s >",
        "XGROUP SETID s g 0",
        "XREADGROUP GROUP g dave COUNT 1 STREAMS s >",
        "XADD t 1-1 b 1",
        "XGROUP CREATE t g 0",
        "XREADGROUP GROUP g erin NOACK STREAMS s t > >",
        "XACK s g 1-1 2-1",
        "XGROUP DELCONSUMER s g dave",
        "XCLAIM s g frank 0 3-1 TIME 1000 RETRYCOUNT 5",
        "XCLAIM s g frank 0 3-1 JUSTID",
        "XCLAIM s g frank 0 1-1 FORCE",
        "XCLAIM s g frank 0 9-9 LASTID 9-9",
        "XCLAIM s g frank 0 9-9 LASTID 1-1",
        "XREADGROUP GROUP g gina STREAMS s 0",
        "XDEL s 3-1",
        "XCLAIM s g frank 0 3-1",
        "XREADGROUP GROUP g alice STREAMS t >",
        "XAUTOCLAIM s g hank 0 0 COUNT 1",
        "XAUTOCLAIM s g hank 0 0 JUSTID",
    ];
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("stream-groups-aof2-{}", kind.label()));
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut aof = String::new();
        for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".incr.aof") {
                aof = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            }
        }
        drop(s);
        mask_times(&aof).replace("\r\n", " ")
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

/// The replies of one blocking XREADGROUP scenario on one server.
fn blocking_scenario(server: &Server) -> Vec<String> {
    let mut out = Vec::new();
    let mut a = server.conn();
    let mut b = server.conn();
    let mut c = server.conn();
    let mut push = |v: Vec<u8>| out.push(normalize(&v));
    push(a.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]));
    push(a.cmd(&["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"]));
    // Two consumers wait; one XADD serves the first, the second waits on (nothing past the group's last id).
    b.send(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", "t", ">", ">"]).unwrap();
    wait_blocked(&mut a, 1);
    c.send(&["XREADGROUP", "GROUP", "g", "carol", "BLOCK", "0", "STREAMS", "s", ">"]).unwrap();
    wait_blocked(&mut a, 2);
    push(a.cmd(&["XADD", "s", "1-1", "a", "1"]));
    push(b.read_reply().unwrap());
    wait_blocked(&mut a, 1);
    push(a.cmd(&["XADD", "s", "2-1", "a", "2", "b", "3"]));
    push(c.read_reply().unwrap());
    push(a.cmd(&["XPENDING", "s", "g"]));
    // A timeout; COUNT while blocked; NOACK.
    push(b.cmd(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "50", "STREAMS", "s", ">"]));
    b.send(&["XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "NOACK", "BLOCK", "0", "STREAMS", "t", ">"]).unwrap();
    wait_blocked(&mut a, 1);
    push(a.cmd(&["XADD", "t", "5-1", "x", "1"]));
    push(b.read_reply().unwrap());
    push(a.cmd(&["XPENDING", "t", "g"]));
    // The group destroyed while waiting.
    b.send(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">"]).unwrap();
    wait_blocked(&mut a, 1);
    push(a.cmd(&["XGROUP", "DESTROY", "s", "g"]));
    push(b.read_reply().unwrap());
    // The key deleted while waiting, and replaced by another type.
    b.send(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "t", ">"]).unwrap();
    wait_blocked(&mut a, 1);
    push(a.cmd(&["DEL", "t"]));
    push(b.read_reply().unwrap());
    push(a.cmd(&["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"]));
    b.send(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "t", ">"]).unwrap();
    wait_blocked(&mut a, 1);
    push(a.cmd(&["SET", "t", "x"]));
    push(b.read_reply().unwrap());
    // FLUSHALL, FLUSHDB and SWAPDB with an empty database while waiting: the stream is gone (Redis's
    // scanDatabaseForDeletedStreams), so the waiter gets UNBLOCKED.
    for flush in [&["FLUSHALL"][..], &["FLUSHDB"], &["SWAPDB", "0", "1"]] {
        push(a.cmd(&["DEL", "t"]));
        push(a.cmd(&["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"]));
        b.send(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "t", ">"]).unwrap();
        wait_blocked(&mut a, 1);
        push(a.cmd(flush));
        push(b.read_reply().unwrap());
    }
    push(a.cmd(&["SWAPDB", "0", "1"]));
    // CLIENT UNBLOCK; RESP3.
    push(a.cmd(&["DEL", "t"]));
    push(a.cmd(&["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"]));
    let id = String::from_utf8_lossy(&b.cmd(&["CLIENT", "ID"])).trim_start_matches(':').trim().to_string();
    b.send(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "t", ">"]).unwrap();
    wait_blocked(&mut a, 1);
    push(a.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]));
    push(b.read_reply().unwrap());
    b.cmd(&["HELLO", "3"]);
    b.send(&["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "t", ">"]).unwrap();
    wait_blocked(&mut a, 1);
    push(a.cmd(&["XADD", "t", "9-1", "z", "1"]));
    push(b.read_reply().unwrap());
    push(a.cmd(&["XINFO", "GROUPS", "t"]));
    push(
        a.cmd(&["INFO", "stats"])
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"total_error"))
            .flatten()
            .copied()
            .collect(),
    );
    out
}

#[test]
fn blocking_xreadgroup_matches_redis() {
    if !have_redis() {
        return;
    }
    let redis = Server::start(Kind::Redis, &[]);
    let fer = Server::start(Kind::Ferredis, &[]);
    let r = blocking_scenario(&redis);
    let f = blocking_scenario(&fer);
    assert_eq!(r.len(), f.len());
    let diffs: Vec<String> = r
        .iter()
        .zip(&f)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| {
            format!("step {i}:\n  redis:    {}\n  ferredis: {}", escape(x.as_bytes()), escape(y.as_bytes()))
        })
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// The AOF rewrite of streams with groups (XGROUP CREATE ... ENTRIESREAD, XCLAIM ... FORCE per pending entry,
/// CREATECONSUMER for consumers without any) equals Redis's, delivery times masked; and it loads back. One key
/// only: the order of keys in a rewrite follows each server's hash table.
#[test]
fn aof_rewrite_of_groups_matches_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "XADD s 1-1 a 1",
        "XADD s 2-1 a 2",
        "XADD s 3-1 a 3",
        "XGROUP CREATE s g 0",
        "XGROUP CREATE s empty $ ENTRIESREAD 3",
        "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
        "XGROUP CREATECONSUMER s g idle",
        "XCLAIM s g bob 0 2-1 RETRYCOUNT 4 TIME 1000",
        "XDEL s 1-1",
    ];
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("stream-groups-rw-{}", kind.label()));
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        let info = |c: &mut Conn| String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        while info(&mut c).contains("aof_rewrite_in_progress:1") {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        c.cmd(&["BGREWRITEAOF"]);
        std::thread::sleep(std::time::Duration::from_millis(100));
        while info(&mut c).contains("aof_rewrite_in_progress:1") || info(&mut c).contains("aof_rewrite_scheduled:1") {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let digest = c.cmd(&["DEBUG", "DIGEST"]);
        let mut base = String::new();
        for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".base.aof") {
                base = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            }
        }
        drop(c);
        drop(s);
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), digest, "{kind:?}: the rewritten AOF loads back");
        (mask_times(&base).replace("\r\n", " "), escape(&digest))
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

/// A blocked XREADGROUP served by an XADD propagates its XCLAIM as a direct one does.
#[test]
fn blocked_xreadgroup_propagation_matches_redis() {
    if !have_redis() {
        return;
    }
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("stream-groups-aof3-{}", kind.label()));
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut a = s.conn();
        let mut b = s.conn();
        a.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
        b.send(&["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]).unwrap();
        wait_blocked(&mut a, 1);
        a.cmd(&["XADD", "s", "1-1", "a", "1"]);
        let served = b.read_reply().unwrap();
        b.send(&["XREADGROUP", "GROUP", "g", "d", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"]).unwrap();
        wait_blocked(&mut a, 1);
        a.cmd(&["XADD", "s", "2-1", "a", "2"]);
        let served2 = b.read_reply().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut aof = String::new();
        for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".incr.aof") {
                aof = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            }
        }
        drop(s);
        (escape(&served), escape(&served2), mask_times(&aof).replace("\r\n", " "))
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

fn info_field(c: &mut Conn, name: &str) -> String {
    let text = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or("").trim().to_string()
}

/// A group workload on a master reaches its replica with the same DEBUG DIGEST, ferredis to Redis and Redis to
/// ferredis; and each replica's XINFO (times masked) equals that of a Redis replica of a Redis master (the
/// propagated forms carry no group read counter, so a replica's `entries-read` can differ from its master's in
/// Redis too).
#[test]
fn replicas_stay_identical_both_ways() {
    if !have_redis() {
        return;
    }
    let workload = [
        "XADD s 1-1 a 1",
        "XADD s 2-1 b 2",
        "XADD s 3-1 c 3",
        "XADD s 4-1 d 4",
        "XGROUP CREATE s g 0",
        "XGROUP CREATE s g2 $ ENTRIESREAD 4",
        "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
        "XREADGROUP GROUP g bob NOACK STREAMS s >",
        "XREADGROUP GROUP g alice STREAMS s 0",
        "XACK s g 1-1",
        "XCLAIM s g carol 0 2-1 RETRYCOUNT 9",
        "XCLAIM s g carol 0 4-1 FORCE",
        "XCLAIM s g carol 0 9-9 LASTID 8-8",
        "XGROUP SETID s g 3-1 ENTRIESREAD 3",
        "XREADGROUP GROUP g dave STREAMS s >",
        "XDEL s 2-1",
        "XAUTOCLAIM s g erin 0 0 COUNT 10",
        "XGROUP CREATECONSUMER s g2 frank",
        "XGROUP DELCONSUMER s g dave",
        "XGROUP CREATE t g $ MKSTREAM",
        "XGROUP DESTROY s g2",
    ];
    let run = |mk: Kind, rk: Kind| -> Vec<String> {
        let master = Server::start(mk, &[]);
        let port = master.port.to_string();
        let replica = Server::start(rk, &["--replicaof", "127.0.0.1", &port]);
        let mut m = master.conn();
        let mut r = replica.conn();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while info_field(&mut r, "master_link_status") != "up" {
            assert!(std::time::Instant::now() < deadline, "{mk:?} -> {rk:?}: no link");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        for l in workload {
            m.cmd(&split_args(l).unwrap());
        }
        loop {
            let mo = info_field(&mut m, "master_repl_offset");
            if mo == info_field(&mut r, "slave_repl_offset")
                && m.cmd(&["DEBUG", "DIGEST"]) == r.cmd(&["DEBUG", "DIGEST"])
            {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{mk:?} -> {rk:?}: digests differ");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        [&["XINFO", "STREAM", "s", "FULL"][..], &["XINFO", "GROUPS", "s"], &["XINFO", "STREAM", "t", "FULL"]]
            .iter()
            .map(|args| normalize(&r.cmd(args)))
            .collect()
    };
    let reference = run(Kind::Redis, Kind::Redis);
    assert_eq!(run(Kind::Ferredis, Kind::Redis), reference, "ferredis master, Redis replica");
    assert_eq!(run(Kind::Redis, Kind::Ferredis), reference, "Redis master, ferredis replica");
}
