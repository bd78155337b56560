//! LATENCY and INFO latencystats against Debian's redis-server 7.0: replies that are data or text (HELP, errors,
//! RESET counts, DOCTOR with no events) byte-identical; replies that carry timings compared by shape (event
//! names, field names, array sizes, percentile names) with the timings checked for plausibility.

use crate::common;

use common::*;

/// Both servers with DEBUG enabled, the pair's connections open.
fn pair(extra: &[&str]) -> Pair {
    let mut args = vec!["--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Pair::connected(&args)
}

/// Runs `line` on both and returns both parsed replies (ferredis, redis).
fn parsed(p: &mut Pair, line: &str) -> (Resp, Resp) {
    let args = split_args(line).expect("test line");
    let (a, b) = p.replies(&args);
    (Resp::parse(&a).expect("ferredis reply"), Resp::parse(&b).expect("redis reply"))
}

fn text(r: &Resp) -> String {
    String::from_utf8_lossy(r.as_bytes().expect("a string reply")).into_owned()
}

/// The verbatim/bulk text of a reply with the `txt:` prefix of RESP3 verbatim strings removed.
fn body(r: &Resp) -> String {
    let t = text(r);
    t.strip_prefix("txt:").map(str::to_string).unwrap_or(t)
}

/// INFO text with every value after `=` replaced by `N`, lines sorted (Redis lists commands in hash order), so
/// the shapes of two servers compare.
fn info_shape(info: &str) -> Vec<String> {
    let mut lines: Vec<String> = info
        .lines()
        .map(|l| {
            let Some((key, vals)) = l.split_once(':') else { return l.to_string() };
            let masked: Vec<String> = vals
                .split(',')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) => format!("{k}=N"),
                    None => kv.to_string(),
                })
                .collect();
            format!("{key}:{}", masked.join(","))
        })
        .collect();
    lines.sort();
    lines
}

/// The `(name, values)` of each `latency_percentiles_usec_*` line.
fn percentile_lines(info: &str) -> Vec<(String, Vec<(String, f64)>)> {
    info.lines()
        .filter_map(|l| l.strip_prefix("latency_percentiles_usec_"))
        .map(|l| {
            let (name, vals) = l.split_once(':').expect("name:values");
            let vals = vals
                .split(',')
                .filter(|v| !v.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').expect("pN=value");
                    // Redis prints `%.3f`: exactly three decimals.
                    assert_eq!(v.split_once('.').map(|x| x.1.len()), Some(3), "{kv}");
                    (k.to_string(), v.parse::<f64>().expect("a number"))
                })
                .collect();
            (name.to_string(), vals)
        })
        .collect()
}

#[test]
fn help_errors_and_empty_state_identical() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = pair(&[]);
    for proto in [2, 3] {
        if proto == 3 {
            p.hello("3");
        }
        p.same_line("LATENCY HELP");
        p.same_line("latency help extra");
        p.same_line("LATENCY");
        p.same_line("LATENCY NOSUCH");
        p.same_line("LATENCY HISTORY");
        p.same_line("LATENCY HISTORY a b");
        p.same_line("LATENCY GRAPH");
        p.same_line("LATENCY GRAPH command");
        p.same_line("LATENCY LATEST extra");
        p.same_line("LATENCY DOCTOR extra");
        p.same_line("LATENCY HISTORY command");
        p.same_line("LATENCY LATEST");
        p.same_line("LATENCY RESET");
        p.same_line("LATENCY RESET command fork");
        // Threshold 0 and no events: the "I'm sorry, Dave" text, identical.
        p.same_line("LATENCY DOCTOR");
        p.same_line("LATENCY HISTOGRAM nosuch-command");
    }
    // With a threshold but no events yet: the "no latency spike" text.
    p.same_line("CONFIG SET latency-monitor-threshold 1000");
    p.same_line("LATENCY DOCTOR");
}

#[test]
fn command_event_after_debug_sleep() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = pair(&["--latency-monitor-threshold", "50"]);
    p.same_line("DEBUG SLEEP 0.1");
    // A fast command below the threshold records nothing.
    p.same_line("PING");

    let (f, r) = parsed(&mut p, "LATENCY LATEST");
    for (side, v) in [("ferredis", &f), ("redis", &r)] {
        let events = v.items().unwrap_or_else(|| panic!("{side}: LATEST is an array"));
        assert_eq!(events.len(), 1, "{side}: one event series");
        let e = events[0].items().expect("an event entry");
        assert_eq!(e.len(), 4, "{side}: name, time, latest, max");
        assert_eq!(e[0].as_bytes(), Some(&b"command"[..]), "{side}");
        let (time, latest, max) = (e[1].as_int().unwrap(), e[2].as_int().unwrap(), e[3].as_int().unwrap());
        assert!(time > 1_600_000_000, "{side}: unix time {time}");
        assert!(latest >= 100 && max >= latest, "{side}: {latest} {max}");
    }

    let (f, r) = parsed(&mut p, "LATENCY HISTORY command");
    for v in [&f, &r] {
        let samples = v.items().expect("HISTORY is an array");
        assert_eq!(samples.len(), 1);
        let s = samples[0].items().expect("a [time, latency] pair");
        assert_eq!(s.len(), 2);
        assert!(s[1].as_int().unwrap() >= 100);
    }
    p.same_line("LATENCY HISTORY fast-command");

    let (f, r) = parsed(&mut p, "LATENCY GRAPH command");
    let (gf, gr) = (body(&f), body(&r));
    for g in [&gf, &gr] {
        let lines: Vec<&str> = g.lines().collect();
        assert!(lines[0].starts_with("command - high "), "{g}");
        assert!(lines[0].contains(" ms, low ") && lines[0].contains(" ms (all time high "), "{g}");
        assert_eq!(lines[1], "-".repeat(80));
    }
    // One sample: min = max, so the same picture on both (the label is the sample's age in seconds).
    let picture = |g: &str| g.lines().skip(2).take(5).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(picture(&gf), picture(&gr));

    let (f, r) = parsed(&mut p, "LATENCY DOCTOR");
    for d in [body(&f), body(&r)] {
        assert!(d.starts_with("Dave, I have observed latency spikes in this Redis instance."), "{d}");
        assert!(d.contains("1. command: 1 latency spikes (average "), "{d}");
        assert!(d.contains("- Check your Slow Log to understand what are the commands"), "{d}");
    }

    // RESET counts the series it dropped (names ignore case).
    p.same_line("LATENCY RESET nosuch");
    assert_eq!(p.same_line("LATENCY RESET COMMAND"), b":1\r\n");
    p.same_line("LATENCY RESET");
    p.same_line("LATENCY LATEST");
    p.same_line("DEBUG SLEEP 0.06");
    p.same_line("DEBUG SLEEP 0.06");
    assert_eq!(p.same_line("LATENCY RESET"), b":1\r\n");
}

#[test]
fn histogram_map_shape() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = pair(&[]);
    p.same_line("CONFIG RESETSTAT");
    for i in 0..5 {
        p.same_line(&format!("SET k{i} v"));
    }
    p.same_line("GET k1");
    p.same_line("CONFIG GET maxmemory");
    for proto in [2, 3] {
        if proto == 3 {
            p.hello("3");
        }
        let (f, r) = parsed(&mut p, "LATENCY HISTOGRAM set get config nosuch");
        for (side, v) in [("ferredis", f), ("redis", r)] {
            let pairs: Vec<(Resp, Resp)> = match v {
                Resp::Map(m) => m,
                Resp::Array(a) => a.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect(),
                other => panic!("{side}: {other:?}"),
            };
            // Arguments in order; a container's subcommands in Redis's hash order.
            let names: Vec<String> = pairs.iter().map(|(k, _)| text(k)).collect();
            assert_eq!(names[..2], ["set", "get"], "{side}");
            let mut subs = names[2..].to_vec();
            subs.sort();
            assert_eq!(subs, ["config|get", "config|resetstat"], "{side}");
            for (name, entry) in &pairs {
                let calls = if text(name) == "set" { 5 } else { 1 };
                let fields: Vec<Resp> = match entry {
                    Resp::Map(m) => m.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect(),
                    Resp::Array(a) => a.clone(),
                    other => panic!("{side}: {other:?}"),
                };
                assert_eq!(fields.len(), 4, "{side}");
                assert_eq!(fields[0].as_bytes(), Some(&b"calls"[..]));
                assert_eq!(fields[1].as_int(), Some(calls), "{side}");
                assert_eq!(fields[2].as_bytes(), Some(&b"histogram_usec"[..]));
                let buckets: Vec<i64> = match &fields[3] {
                    Resp::Map(m) => m.iter().flat_map(|(k, v)| [k.as_int().unwrap(), v.as_int().unwrap()]).collect(),
                    Resp::Array(a) => a.iter().map(|x| x.as_int().unwrap()).collect(),
                    other => panic!("{side}: {other:?}"),
                };
                assert!(!buckets.is_empty());
                // Bucket bounds grow by powers of two (HdrHistogram's highest equivalent value of 1024 ns * 2^k,
                // in µs: 1, 2, 4, 8, 16, 33, 66, ...); cumulative counts grow and end at the number of calls.
                let bounds: Vec<i64> = buckets.iter().step_by(2).copied().collect();
                let counts: Vec<i64> = buckets.iter().skip(1).step_by(2).copied().collect();
                assert!(bounds.windows(2).all(|w| w[1] >= 2 * w[0]), "{side}: {bounds:?}");
                assert!(counts.windows(2).all(|w| w[1] > w[0]), "{side}: {counts:?}");
                assert_eq!(counts.last().copied(), Some(calls), "{side}");
            }
        }
    }
    // All histograms: at least the ones above, as a map of the same shape.
    let (f, _) = parsed(&mut p, "LATENCY HISTOGRAM");
    let Resp::Map(all) = f else { panic!("RESP3 map") };
    assert!(all.iter().any(|(k, _)| k.as_bytes() == Some(b"latency|histogram")));
}

#[test]
fn info_latencystats() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = pair(&[]);
    p.same_line("CONFIG RESETSTAT");
    for i in 0..20 {
        p.same_line(&format!("SET k{i} v"));
    }
    let (f, r) = parsed(&mut p, "INFO latencystats");
    let (fi, ri) = (body(&f), body(&r));
    assert!(fi.starts_with("# Latencystats\r\n"), "{fi}");
    assert_eq!(info_shape(&fi), info_shape(&ri));
    let lines = percentile_lines(&fi);
    let set = lines.iter().find(|(n, _)| n == "set").expect("latency_percentiles_usec_set");
    let names: Vec<&str> = set.1.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["p50", "p99", "p99.9"]);
    assert!(set.1[0].1 > 0.0 && set.1[0].1 <= set.1[1].1 && set.1[1].1 <= set.1[2].1, "{set:?}");
    // INFO's default sections leave it out, `everything` has it.
    assert!(!body(&parsed(&mut p, "INFO").0).contains("# Latencystats"));
    assert!(body(&parsed(&mut p, "INFO everything").0).contains("latency_percentiles_usec_set:"));

    // Other percentiles, printed as Redis prints them (`%f` without trailing zeros).
    p.same_line("CONFIG SET latency-tracking-info-percentiles \"0 12.50 99.990 100\"");
    p.same_line("CONFIG GET latency-tracking-info-percentiles");
    let (f, r) = parsed(&mut p, "INFO latencystats");
    assert_eq!(info_shape(&body(&f)), info_shape(&body(&r)));
    let set = percentile_lines(&body(&f)).into_iter().find(|(n, _)| n == "set").expect("set line");
    let names: Vec<&str> = set.1.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["p0", "p12.5", "p99.99", "p100"]);

    // An empty list: the lines stay, with no values.
    p.same_line("CONFIG SET latency-tracking-info-percentiles \"\"");
    p.same_line("CONFIG GET latency-tracking-info-percentiles");
    let (f, r) = parsed(&mut p, "INFO latencystats");
    assert_eq!(info_shape(&body(&f)), info_shape(&body(&r)));
    assert!(body(&f).contains("latency_percentiles_usec_set:\r\n"));

    // Bad values: Redis's errors.
    p.same_line("CONFIG SET latency-tracking-info-percentiles abc");
    p.same_line("CONFIG SET latency-tracking-info-percentiles \"50 100.5\"");
    p.same_line("CONFIG SET latency-tracking-info-percentiles \"50 99\"");

    // Tracking off: an empty section, nothing recorded; on again, the old histograms come back.
    p.same_line("CONFIG SET latency-tracking no");
    p.same_line("GET k1");
    assert_eq!(p.same_line("INFO latencystats"), b"$16\r\n# Latencystats\r\n\r\n");
    p.same_line("CONFIG SET latency-tracking yes");
    let (f, _) = parsed(&mut p, "INFO latencystats");
    let names: Vec<String> = percentile_lines(&body(&f)).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"set".to_string()) && !names.contains(&"get".to_string()), "{names:?}");

    // CONFIG RESETSTAT drops them (the RESETSTAT call itself is then the only one counted).
    p.same_line("CONFIG RESETSTAT");
    let (f, r) = parsed(&mut p, "INFO latencystats");
    assert_eq!(info_shape(&body(&f)), info_shape(&body(&r)));
    let names: Vec<String> = percentile_lines(&body(&f)).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["config|resetstat"]);
}

/// The histogram of a single command as (calls, sorted bucket list length > 0), or None when it has none.
fn histogram_calls(c: &mut Conn, cmd: &str) -> Option<i64> {
    let v = Resp::parse(&c.cmd(&["LATENCY", "HISTOGRAM", cmd])).expect("reply");
    let items = v.items().expect("RESP2 flat map").clone();
    if items.is_empty() {
        return None;
    }
    let fields = items[1].items().expect("the command's fields");
    fields[1].as_int()
}

#[test]
fn blocking_commands_recorded_when_served() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = pair(&[]);
    // A timed-out BLPOP is not recorded; a served one and one ended by CLIENT UNBLOCK ERROR are.
    p.same_line("BLPOP nolist 0.01");
    assert_eq!(histogram_calls(p.f(), "blpop"), None);
    assert_eq!(histogram_calls(p.r(), "blpop"), None);
    for (server, c) in p.sides() {
        let mut blocked = server.conn();
        blocked.send(&["BLPOP", "list", "0"]).expect("send");
        // Wait until the server has parked it (CLIENT LIST shows the blpop as the last command).
        while !String::from_utf8_lossy(&c.cmd(&["CLIENT", "LIST"])).contains("cmd=blpop") {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        c.cmd(&["RPUSH", "list", "a"]);
        assert_eq!(blocked.read_reply().expect("reply"), b"*2\r\n$4\r\nlist\r\n$1\r\na\r\n");
        assert_eq!(histogram_calls(c, "blpop"), Some(1), "{}", server.kind.label());
        let id = String::from_utf8_lossy(&blocked.cmd(&["CLIENT", "ID"])).trim_start_matches(':').trim().to_string();
        blocked.send(&["BLPOP", "list", "0"]).expect("send");
        while c.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]) != b":1\r\n" {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(blocked.read_reply().expect("reply").starts_with(b"-UNBLOCKED"));
        assert_eq!(histogram_calls(c, "blpop"), Some(2), "{}", server.kind.label());
    }
}

/// The active expiry cycle that frees a big set is an `expire-cycle` event on both servers once it takes longer
/// than the threshold (1 ms here: Redis's own unit/latency-monitor asks for 20 ms from a 1M-member set, which
/// ferredis frees faster than that; README, Redis's suite).
#[test]
fn expire_cycle_event_when_a_big_key_expires() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = pair(&["--latency-monitor-threshold", "1"]);
    let members: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    for batch in 0..500 {
        let mut args = vec!["SADD".to_string(), "big".to_string()];
        args.extend(members.iter().map(|m| format!("{batch}:{m}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(p.f().cmd(&args), b":1000\r\n");
        assert_eq!(p.r().cmd(&args), b":1000\r\n");
    }
    p.same_line("PEXPIRE big 20");
    for (_, c) in p.sides() {
        wait_for("the set to expire", || c.cmd(&["DBSIZE"]) == b":0\r\n");
    }
    let (f, r) = parsed(&mut p, "LATENCY LATEST");
    for (side, v) in [("ferredis", &f), ("redis", &r)] {
        let events = v.items().unwrap_or_else(|| panic!("{side}: LATEST is an array"));
        let names: Vec<&[u8]> = events.iter().filter_map(|e| e.items()?.first()?.as_bytes()).collect();
        assert!(
            names.contains(&&b"expire-cycle"[..]),
            "{side}: {:?}",
            names.iter().map(|n| escape(n)).collect::<Vec<_>>()
        );
    }
}
