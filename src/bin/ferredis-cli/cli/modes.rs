//! ferredis-cli's special modes, each redis-cli 7.0's output line for line: `--pipe` (mass insertion),
//! `--scan`, `--bigkeys`/`--memkeys`/`--hotkeys`, `--latency`/`--latency-history`, `--stat`, `--rdb`,
//! `--intrinsic-latency` and `--eval`. Each returns the process exit status.

use super::conn::{self, Conn, ConnError};
use super::format::{self, Output};
use super::reply::Reply;
use super::{out, sys, Cli};
use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn now_ms() -> i64 {
    ferredis::util::now_ms()
}

fn interrupted() -> bool {
    sys::INTERRUPTED.load(Ordering::SeqCst)
}

fn conn_or_exit(cli: &mut Cli) -> &mut Conn {
    match cli.conn.as_mut() {
        Some(c) => c,
        None => std::process::exit(1),
    }
}

fn io_error_exit() -> ! {
    eprint!("\nI/O error\n");
    std::process::exit(1);
}

/// Runs the special mode the options asked for (first match in redis-cli's order).
pub fn run_special(cli: &mut Cli) -> i32 {
    if let Some(secs) = cli.cfg.intrinsic_latency {
        if !(cli.cfg.latency || cli.cfg.rdb.is_some() || cli.cfg.pipe || cli.cfg.bigkeys || cli.cfg.memkeys) {
            return intrinsic_latency(secs);
        }
    }
    if !cli.connect(false, false) {
        return 1;
    }
    if cli.cfg.latency {
        return latency(cli);
    }
    if cli.cfg.replica {
        return replica(cli, true);
    }
    if let Some(file) = cli.cfg.rdb.clone() {
        return rdb(cli, &file);
    }
    if cli.cfg.pipe {
        return pipe(cli);
    }
    if cli.cfg.bigkeys {
        return bigkeys(cli, false);
    }
    if cli.cfg.memkeys {
        return bigkeys(cli, true);
    }
    if cli.cfg.hotkeys {
        return hotkeys(cli);
    }
    if cli.cfg.stat {
        if cli.cfg.interval_us == 0 {
            cli.cfg.interval_us = 1_000_000;
        }
        return stat(cli);
    }
    if cli.cfg.scan {
        return scan(cli);
    }
    intrinsic_latency(cli.cfg.intrinsic_latency.unwrap_or(0))
}

/// `--eval file keys... , args...`: EVAL with the script read from `file`.
pub fn eval(cli: &mut Cli, file: &str, args: &[Vec<u8>]) -> i32 {
    loop {
        if cli.eval_ldb {
            out(b"Lua debugging session started, please use:\n\
quit    -- End the session.\n\
restart -- Restart the script in debug mode again.\n\
help    -- Show Lua script debugging commands.\n\n");
        }
        let script = match std::fs::read(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Can't open file '{file}': {}", conn::io_message(&e));
                std::process::exit(1);
            }
        };
        if cli.eval_ldb {
            // The reply is not shown (redis-cli ignores it too).
            let mode: &[u8] = if cli.cfg.ldb_sync { b"sync" } else { b"yes" };
            if let Some(c) = cli.conn.as_mut() {
                let _ = c.command(&[b"SCRIPT".as_slice(), b"DEBUG", mode]);
            }
        }
        let mut argv = vec![b"EVAL".to_vec(), script, Vec::new()];
        let mut got_comma = false;
        let mut keys = 0;
        for a in args {
            if !got_comma && a == b"," {
                got_comma = true;
                continue;
            }
            argv.push(a.clone());
            if !got_comma {
                keys += 1;
            }
        }
        argv[2] = keys.to_string().into_bytes();
        let debugging = cli.eval_ldb;
        let repeat = cli.cfg.repeat;
        let ok = cli.issue(&argv, repeat);
        if !debugging {
            return if ok { 0 } else { 1 };
        }
        if !cli.eval_ldb {
            // The session ended at once: the script did not compile. Its error follows.
            out(b"Eval debugging session can't start:\n");
            let _ = cli.read_and_print(false, false);
            return if ok { 0 } else { 1 };
        }
        cli.prompt = "lua debugger> ".into();
        if let Some(code) = super::repl::session(cli) {
            return code;
        }
        // `restart`: a new connection, a new session.
        cli.connect(true, false);
        out(b"\n");
    }
}

/// `SCAN cursor [MATCH pattern] [COUNT n]`, exiting on any unexpected reply as redis-cli does.
fn send_scan(cli: &mut Cli, cursor: &mut u64) -> Vec<Vec<u8>> {
    let cur = cursor.to_string();
    let mut args: Vec<Vec<u8>> = vec![b"SCAN".to_vec(), cur.into_bytes()];
    if let Some(p) = &cli.cfg.pattern {
        args.push(b"MATCH".to_vec());
        args.push(p.clone());
    }
    if let Some(n) = cli.cfg.scan_count {
        args.push(b"COUNT".to_vec());
        args.push(n.to_string().into_bytes());
    }
    let reply = match conn_or_exit(cli).command(&args) {
        Ok(r) => r,
        Err(_) => io_error_exit(),
    };
    let els = match reply {
        Reply::Error(e) => {
            eprintln!("SCAN error: {}", String::from_utf8_lossy(format::cstr(&e)));
            std::process::exit(1);
        }
        Reply::Array(e) => e,
        _ => {
            eprintln!("Non ARRAY response from SCAN!");
            std::process::exit(1);
        }
    };
    if els.len() != 2 {
        eprintln!("Invalid element count from SCAN!");
        std::process::exit(1);
    }
    let mut it = els.into_iter();
    let (Some(Reply::Bulk(c)), Some(Reply::Array(keys))) = (it.next(), it.next()) else {
        eprintln!("Invalid element count from SCAN!");
        std::process::exit(1);
    };
    *cursor = strtoull(&c);
    keys.into_iter().filter_map(|k| if let Reply::Bulk(b) = k { Some(b) } else { None }).collect()
}

/// C's `strtoull(s, NULL, 10)` for a cursor: leading digits, saturating (cursors use all 64 bits).
fn strtoull(s: &[u8]) -> u64 {
    let mut v: u64 = 0;
    for &c in s.iter().skip_while(|c| c.is_ascii_whitespace()) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add((c - b'0') as u64);
    }
    v
}

fn scan(cli: &mut Cli) -> i32 {
    sys::catch_sigint();
    let mut cursor = 0u64;
    loop {
        let keys = send_scan(cli, &mut cursor);
        let mut text = Vec::new();
        for k in keys {
            if cli.cfg.output == Output::Standard {
                format::repr(&mut text, &k);
            } else {
                text.extend_from_slice(format::cstr(&k));
            }
            text.push(b'\n');
        }
        out(&text);
        if cli.cfg.interval_us > 0 {
            std::thread::sleep(Duration::from_micros(cli.cfg.interval_us as u64));
        }
        if interrupted() || cursor == 0 {
            return 0;
        }
    }
}

fn dbsize(cli: &mut Cli) -> u64 {
    match conn_or_exit(cli).command(&[b"DBSIZE"]) {
        Err(_) => io_error_exit(),
        Ok(Reply::Error(e)) => {
            eprintln!("Couldn't determine DBSIZE: {}", String::from_utf8_lossy(format::cstr(&e)));
            std::process::exit(1);
        }
        Ok(Reply::Integer(n)) => n as u64,
        Ok(_) => {
            eprintln!("Non INTEGER response from DBSIZE!");
            std::process::exit(1);
        }
    }
}

struct TypeInfo {
    name: String,
    size_cmd: Option<&'static str>,
    unit: &'static str,
    biggest: u64,
    count: u64,
    total: u64,
    biggest_key: Option<Vec<u8>>,
}

impl TypeInfo {
    /// A type not seen yet, sized with `size_cmd` (none for a type redis-cli does not know).
    fn new(name: String, size_cmd: Option<&'static str>, unit: &'static str) -> TypeInfo {
        TypeInfo { name, size_cmd, unit, biggest: 0, count: 0, total: 0, biggest_key: None }
    }
}

/// The types in the order redis-cli's summary lists them (its dict's iteration order for these names).
const TYPES: [(&str, &str, &str); 6] = [
    ("list", "LLEN", "items"),
    ("hash", "HLEN", "fields"),
    ("string", "STRLEN", "bytes"),
    ("stream", "XLEN", "entries"),
    ("set", "SCARD", "members"),
    ("zset", "ZCARD", "members"),
];

fn pct_str(p: f64) -> String {
    if p.is_nan() {
        "  nan".into()
    } else {
        format!("{p:05.2}")
    }
}

/// `--bigkeys` / `--memkeys` (redis-cli's `findBigKeys`): SCAN the keyspace, size every key, report the
/// biggest of each type and the totals.
fn bigkeys(cli: &mut Cli, memkeys: bool) -> i32 {
    let samples = cli.cfg.memkeys_samples;
    let mut types: Vec<TypeInfo> = TYPES.iter().map(|(n, c, u)| TypeInfo::new(n.to_string(), Some(c), u)).collect();
    sys::catch_sigint();
    let total_keys = dbsize(cli);
    out(b"\n# Scanning the entire keyspace to find biggest keys as well as\n\
# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n\
# per 100 SCAN commands (not usually needed).\n\n");
    let (mut sampled, mut totlen, mut cursor, mut loops) = (0u64, 0u64, 0u64, 0u64);
    let mut pct;
    loop {
        pct = 100.0 * sampled as f64 / total_keys as f64;
        let keys = send_scan(cli, &mut cursor);
        loops += 1;
        let conn = conn_or_exit(cli);
        // Pipelined TYPE for every key, then the size command for each.
        let kinds = key_types(conn, &keys, &mut types);
        let sizes = key_sizes(conn, &keys, &kinds, &types, memkeys, samples);
        let mut text = Vec::new();
        for (i, (k, t)) in keys.iter().zip(&kinds).enumerate() {
            let Some(ti) = *t else { continue };
            let ty = &mut types[ti];
            ty.total += sizes[i];
            ty.count += 1;
            totlen += k.len() as u64;
            sampled += 1;
            if ty.biggest < sizes[i] {
                let name = format::repr_string(k);
                text.extend_from_slice(format!("[{}%] Biggest {:<6} found so far '", pct_str(pct), ty.name).as_bytes());
                text.extend_from_slice(&name);
                text.extend_from_slice(
                    format!("' with {} {}\n", sizes[i], if memkeys { "bytes" } else { ty.unit }).as_bytes(),
                );
                ty.biggest_key = Some(name);
                ty.biggest = sizes[i];
            }
            if sampled % 1_000_000 == 0 {
                text.extend_from_slice(format!("[{}%] Sampled {sampled} keys so far\n", pct_str(pct)).as_bytes());
            }
        }
        out(&text);
        if cli.cfg.interval_us > 0 && loops % 100 == 0 {
            std::thread::sleep(Duration::from_micros(cli.cfg.interval_us as u64));
        }
        if interrupted() || cursor == 0 {
            break;
        }
    }
    bigkeys_summary(&types, sampled, totlen, pct, memkeys);
    0
}

/// redis-cli's `getKeyTypes`: pipelined TYPE for every key; each key's entry in `types` (new types are added),
/// `None` for a key that is gone.
fn key_types(conn: &mut Conn, keys: &[Vec<u8>], types: &mut Vec<TypeInfo>) -> Vec<Option<usize>> {
    let mut buf = Vec::new();
    for k in keys {
        buf.extend_from_slice(&conn::encode(&[b"TYPE".as_slice(), k]));
    }
    if conn.stream.write_all(&buf).is_err() {
        io_error_exit();
    }
    let mut kinds: Vec<Option<usize>> = Vec::with_capacity(keys.len());
    for k in keys {
        match conn.read_reply() {
            Err(e) => {
                eprintln!("Error getting type for key '{}' ({}: {})", String::from_utf8_lossy(k), 1, e.message());
                std::process::exit(1);
            }
            Ok(Reply::Status(t)) => {
                let name = String::from_utf8_lossy(&t).into_owned();
                let idx = match types.iter().position(|x| x.name == name) {
                    Some(i) => Some(i),
                    None if name != "none" => {
                        types.push(TypeInfo::new(name, None, "?"));
                        Some(types.len() - 1)
                    }
                    None => None,
                };
                kinds.push(idx);
            }
            Ok(Reply::Error(e)) => {
                eprintln!("TYPE returned an error: {}", String::from_utf8_lossy(&e));
                std::process::exit(1);
            }
            Ok(r) => {
                eprintln!("Invalid reply type ({}) for TYPE on key '{}'!", r.type_code(), String::from_utf8_lossy(k));
                std::process::exit(1);
            }
        }
    }
    kinds
}

/// redis-cli's `getKeySizes`: the pipelined size command of each key's type (MEMORY USAGE for `--memkeys`);
/// 0 for a key whose size could not be read.
fn key_sizes(
    conn: &mut Conn,
    keys: &[Vec<u8>],
    kinds: &[Option<usize>],
    types: &[TypeInfo],
    memkeys: bool,
    samples: u32,
) -> Vec<u64> {
    let asks = |t: &Option<usize>| t.map(|i| types[i].size_cmd.is_some() || memkeys).unwrap_or(false);
    let mut buf = Vec::new();
    for (k, t) in keys.iter().zip(kinds) {
        if !asks(t) {
            continue;
        }
        let Some(ti) = *t else { continue };
        let cmd: Vec<Vec<u8>> = if !memkeys {
            vec![types[ti].size_cmd.unwrap_or("STRLEN").as_bytes().to_vec(), k.clone()]
        } else if samples == 0 {
            vec![b"MEMORY".to_vec(), b"USAGE".to_vec(), k.clone()]
        } else {
            vec![
                b"MEMORY".to_vec(),
                b"USAGE".to_vec(),
                k.clone(),
                b"SAMPLES".to_vec(),
                samples.to_string().into_bytes(),
            ]
        };
        buf.extend_from_slice(&conn::encode(&cmd));
    }
    if !buf.is_empty() && conn.stream.write_all(&buf).is_err() {
        io_error_exit();
    }
    let mut sizes = vec![0u64; keys.len()];
    for (i, (k, t)) in keys.iter().zip(kinds).enumerate() {
        if !asks(t) {
            continue;
        }
        let Some(ti) = *t else { continue };
        match conn.read_reply() {
            Err(e) => {
                eprintln!("Error getting size for key '{}' ({}: {})", String::from_utf8_lossy(k), 1, e.message());
                std::process::exit(1);
            }
            Ok(Reply::Integer(n)) => sizes[i] = n as u64,
            Ok(_) => {
                eprintln!(
                    "Warning:  {} on '{}' failed (may have changed type)",
                    if memkeys { "MEMORY USAGE" } else { types[ti].size_cmd.unwrap_or("?") },
                    String::from_utf8_lossy(k)
                );
            }
        }
    }
    sizes
}

/// The summary after the scan: keys sampled, the biggest key of each type, counts and average sizes per type.
fn bigkeys_summary(types: &[TypeInfo], sampled: u64, totlen: u64, pct: f64, memkeys: bool) {
    let mut text = b"\n-------- summary -------\n\n".to_vec();
    if interrupted() {
        text.extend_from_slice(format!("[{}%] ", pct_str(pct)).as_bytes());
    }
    let avg = if totlen > 0 { totlen as f64 / sampled as f64 } else { 0.0 };
    text.extend_from_slice(
        format!(
            "Sampled {sampled} keys in the keyspace!\nTotal key length in bytes is {totlen} (avg len {avg:.2})\n\n"
        )
        .as_bytes(),
    );
    for t in types {
        if let Some(k) = &t.biggest_key {
            text.extend_from_slice(format!("Biggest {:>6} found '", t.name).as_bytes());
            text.extend_from_slice(k);
            text.extend_from_slice(
                format!("' has {} {}\n", t.biggest, if memkeys { "bytes" } else { t.unit }).as_bytes(),
            );
        }
    }
    text.push(b'\n');
    for t in types {
        let share = if sampled > 0 { 100.0 * t.count as f64 / sampled as f64 } else { 0.0 };
        let avg = if t.count > 0 { t.total as f64 / t.count as f64 } else { 0.0 };
        text.extend_from_slice(
            format!(
                "{} {}s with {} {} ({}% of keys, avg size {avg:.2})\n",
                t.count,
                t.name,
                t.total,
                if memkeys { "bytes" } else { t.unit },
                pct_str(share),
            )
            .as_bytes(),
        );
    }
    out(&text);
}

const HOTKEYS_SAMPLE: usize = 16;

fn hotkeys(cli: &mut Cli) -> i32 {
    sys::catch_sigint();
    let total_keys = dbsize(cli);
    out(b"\n# Scanning the entire keyspace to find hot keys as well as\n\
# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n\
# per 100 SCAN commands (not usually needed).\n\n");
    let mut counters = [0u64; HOTKEYS_SAMPLE];
    let mut hot: Vec<Option<Vec<u8>>> = vec![None; HOTKEYS_SAMPLE];
    let (mut sampled, mut cursor, mut loops) = (0u64, 0u64, 0u64);
    let mut pct;
    loop {
        pct = 100.0 * sampled as f64 / total_keys as f64;
        let keys = send_scan(cli, &mut cursor);
        loops += 1;
        let conn = conn_or_exit(cli);
        let mut buf = Vec::new();
        for k in &keys {
            buf.extend_from_slice(&conn::encode(&[b"OBJECT".as_slice(), b"FREQ", k]));
        }
        if conn.stream.write_all(&buf).is_err() {
            io_error_exit();
        }
        let mut freqs = vec![0u64; keys.len()];
        for (i, k) in keys.iter().enumerate() {
            match conn.read_reply() {
                Err(e) => {
                    let name = String::from_utf8_lossy(&format::repr_string(k)).into_owned();
                    eprintln!("Error getting freq for key '{name}' (1: {})", e.message());
                    std::process::exit(1);
                }
                Ok(Reply::Integer(n)) => freqs[i] = n as u64,
                Ok(Reply::Error(e)) => {
                    eprintln!("Error: {}", String::from_utf8_lossy(&e));
                    std::process::exit(1);
                }
                Ok(_) => {
                    let name = String::from_utf8_lossy(&format::repr_string(k)).into_owned();
                    eprintln!("Warning: OBJECT freq on '{name}' failed (may have been deleted)");
                }
            }
        }
        let mut text = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            sampled += 1;
            if sampled % 1_000_000 == 0 {
                text.extend_from_slice(format!("[{}%] Sampled {sampled} keys so far\n", pct_str(pct)).as_bytes());
            }
            let mut slot = 0;
            while slot < HOTKEYS_SAMPLE && freqs[i] > counters[slot] {
                slot += 1;
            }
            if slot == 0 {
                continue;
            }
            slot -= 1;
            if slot != 0 && counters[slot] != 0 {
                counters.copy_within(1..=slot, 0);
                hot[..=slot].rotate_left(1);
            }
            counters[slot] = freqs[i];
            let name = format::repr_string(k);
            text.extend_from_slice(format!("[{}%] Hot key '", pct_str(pct)).as_bytes());
            text.extend_from_slice(&name);
            text.extend_from_slice(format!("' found so far with counter {}\n", freqs[i]).as_bytes());
            hot[slot] = Some(name);
        }
        out(&text);
        if cli.cfg.interval_us > 0 && loops % 100 == 0 {
            std::thread::sleep(Duration::from_micros(cli.cfg.interval_us as u64));
        }
        if interrupted() || cursor == 0 {
            break;
        }
    }
    let mut text = b"\n-------- summary -------\n\n".to_vec();
    if interrupted() {
        text.extend_from_slice(format!("[{}%] ", pct_str(pct)).as_bytes());
    }
    text.extend_from_slice(format!("Sampled {sampled} keys in the keyspace!\n").as_bytes());
    for k in (0..HOTKEYS_SAMPLE).rev() {
        if counters[k] > 0 {
            text.extend_from_slice(format!("hot key found with counter: {}\tkeyname: ", counters[k]).as_bytes());
            text.extend_from_slice(hot[k].as_deref().unwrap_or_default());
            text.push(b'\n');
        }
    }
    out(&text);
    0
}

/// PING through the connection, reconnecting (with redis-cli's "Reconnecting... N" line) when it dropped.
fn reconnecting_command(cli: &mut Cli, args: &[&[u8]]) -> Reply {
    let mut tries = 0;
    loop {
        let broken = cli.conn.as_ref().map(|c| c.broken).unwrap_or(true);
        if broken {
            tries += 1;
            out(format!("\r\x1b[0KReconnecting... {tries}\r").as_bytes());
            cli.conn = match &cli.cfg.socket {
                Some(_) => None,
                None => match Conn::open(&cli.cfg.host, cli.cfg.port as u16, &cli.cfg.tls) {
                    Ok(c) => Some(c),
                    Err(conn::ConnectError::Io(_)) => None,
                    #[cfg(feature = "tls")]
                    Err(conn::ConnectError::TlsSetup(e)) => {
                        eprintln!("TLS Error: {e}");
                        std::process::exit(1);
                    }
                },
            };
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        let Some(conn) = cli.conn.as_mut() else { continue };
        match conn.command(args) {
            Ok(r) => {
                if tries > 0 {
                    out(b"\r\x1b[0K");
                }
                return r;
            }
            Err(ConnError::Protocol(m)) => {
                eprintln!("Error: {m}");
                std::process::exit(1);
            }
            Err(_) => {}
        }
    }
}

fn latency_print(mode: Output, min: i64, max: i64, avg: f64, count: i64) {
    let line = match mode {
        Output::Standard => format!("min: {min}, max: {max}, avg: {avg:.2} ({count} samples)"),
        Output::Csv => format!("{min},{max},{avg:.2},{count}\n"),
        Output::Raw => format!("{min} {max} {avg:.2} {count}\n"),
        Output::Json | Output::QuotedJson => {
            format!("{{\"min\": {min}, \"max\": {max}, \"avg\": {avg:.2}, \"count\": {count}}}\n")
        }
    };
    out(line.as_bytes());
}

fn latency(cli: &mut Cli) -> i32 {
    let history_interval_ms = if cli.cfg.interval_us > 0 { cli.cfg.interval_us / 1000 } else { 15_000 };
    let interval_ms = if cli.cfg.interval_us == 0 { 1000 } else { cli.cfg.interval_us / 1000 };
    let mode = cli.cfg.output;
    let (mut min, mut max, mut tot, mut count) = (0i64, 0i64, 0i64, 0i64);
    let mut history_start = now_ms();
    loop {
        let start = now_ms();
        reconnecting_command(cli, &[b"PING"]);
        let lat = now_ms() - start;
        count += 1;
        let avg;
        if count == 1 {
            min = lat;
            max = lat;
            tot = lat;
            avg = lat as f64;
        } else {
            min = min.min(lat);
            max = max.max(lat);
            tot += lat;
            avg = tot as f64 / count as f64;
        }
        if mode == Output::Standard {
            out(b"\x1b[0G\x1b[2K");
            latency_print(mode, min, max, avg, count);
        } else if cli.cfg.latency_history {
            latency_print(mode, min, max, avg, count);
        } else if now_ms() - history_start > interval_ms {
            latency_print(mode, min, max, avg, count);
            return 0;
        }
        if cli.cfg.latency_history && now_ms() - history_start > history_interval_ms {
            out(format!(" -- {:.2} seconds range\n", (now_ms() - history_start) as f32 / 1000.0).as_bytes());
            history_start = now_ms();
            min = 0;
            max = 0;
            tot = 0;
            count = 0;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `getInfoField`: the value after `field:` up to the end of line or a comma.
fn info_field<'a>(info: &'a [u8], field: &str) -> Option<&'a [u8]> {
    let p = memchr::memmem::find(info, field.as_bytes())? + field.len() + 1;
    let rest = info.get(p..)?;
    let end = rest.iter().position(|&c| c == b'\r' || c == b',').unwrap_or(rest.len());
    Some(&rest[..end])
}

fn info_long(info: &[u8], field: &str) -> Option<i64> {
    info_field(info, field).map(|v| ferredis::util::strtol(v).0)
}

/// `bytesToHuman`.
fn bytes_to_human(n: i64) -> String {
    let (sign, n) = if n < 0 { ("-", n.unsigned_abs()) } else { ("", n as u64) };
    let d = n as f64;
    let body = if n < 1024 {
        format!("{n}B")
    } else if n < 1024 * 1024 {
        format!("{:.2}K", d / 1024.0)
    } else if n < 1024 * 1024 * 1024 {
        format!("{:.2}M", d / (1024.0 * 1024.0))
    } else if n < 1024u64.pow(4) {
        format!("{:.2}G", d / (1024.0 * 1024.0 * 1024.0))
    } else {
        String::new()
    };
    format!("{sign}{body}")
}

fn stat(cli: &mut Cli) -> i32 {
    let mut requests: i64 = 0;
    let mut i = 0u64;
    loop {
        let info = match reconnecting_command(cli, &[b"INFO"]) {
            Reply::Error(e) => {
                eprintln!("ERROR: {}", String::from_utf8_lossy(&e));
                std::process::exit(1);
            }
            r => r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
        };
        let mut line = String::new();
        if i % 20 == 0 {
            line.push_str(
                "------- data ------ --------------------- load -------------------- - child -\n\
keys       mem      clients blocked requests            connections          \n",
            );
        }
        i += 1;
        let keys: i64 = (0..20).filter_map(|j| info_long(&info, &format!("db{j}:keys"))).sum();
        line.push_str(&format!("{:<11}", keys));
        let long = |f: &str| info_long(&info, f).unwrap_or(i64::MIN);
        line.push_str(&format!("{:<8}", bytes_to_human(long("used_memory"))));
        line.push_str(&format!(" {:<8}", long("connected_clients")));
        line.push_str(&format!("{:<8}", long("blocked_clients")));
        let total = long("total_commands_processed");
        line.push_str(&format!("{:<19}", format!("{} (+{})", total, if requests == 0 { 0 } else { total - requests })));
        requests = total;
        line.push_str(&format!(" {:<12}", long("total_connections_received")));
        let children = long("bgsave_in_progress") | (long("aof_rewrite_in_progress") << 1) | (long("loading") << 2);
        line.push_str(match children {
            1 => "SAVE",
            2 => "AOF",
            3 => "SAVE+AOF",
            4 => "LOAD",
            _ => "",
        });
        line.push('\n');
        out(line.as_bytes());
        std::thread::sleep(Duration::from_micros(cli.cfg.interval_us.max(0) as u64));
    }
}

fn send_replconf(conn: &mut Conn, a: &str, b: &str) -> bool {
    eprintln!("sending REPLCONF {a} {b}");
    match conn.command(&[b"REPLCONF".as_slice(), a.as_bytes(), b.as_bytes()]) {
        Err(_) => io_error_exit(),
        Ok(Reply::Error(e)) => {
            eprintln!("REPLCONF {a} error: {}", String::from_utf8_lossy(&e));
            false
        }
        Ok(_) => true,
    }
}

const RDB_EOF_MARK_SIZE: usize = 40;

/// Sends SYNC and reads the `$<len>` or `$EOF:<40-byte mark>` line (redis-cli's `sendSync`): the payload
/// length (`u64::MAX` when the end is marked) and the mark. Errors are printed; Err holds the exit status.
fn send_sync(conn: &mut Conn) -> Result<(u64, Option<Vec<u8>>), i32> {
    if conn.stream.write_all(b"SYNC\r\n").is_err() {
        eprintln!("Error writing to master");
        return Err(1);
    }
    // One byte at a time so no payload byte is consumed.
    let mut line = Vec::new();
    loop {
        let mut b = [0u8; 1];
        match conn.read_raw(&mut b) {
            Ok(1) => {}
            _ => {
                eprintln!("Error reading bulk length while SYNCing");
                return Err(1);
            }
        }
        if b[0] == b'\n' {
            if !line.is_empty() {
                break;
            }
            continue;
        }
        line.push(b[0]);
    }
    // The '\r' stays, as in redis-cli (it shows up in the "SYNC with master failed" line).
    if line.first() == Some(&b'-') {
        eprintln!("SYNC with master failed: {}", String::from_utf8_lossy(&line));
        return Err(1);
    }
    if line.len() >= 5 + RDB_EOF_MARK_SIZE && &line[1..5] == b"EOF:" {
        return Ok((u64::MAX, Some(line[5..5 + RDB_EOF_MARK_SIZE].to_vec())));
    }
    Ok((ferredis::util::strtol(line.get(1..).unwrap_or_default()).0.max(0) as u64, None))
}

/// `--replica` (and the SYNC/PSYNC commands): SYNC, discard the snapshot, then print every command the
/// master propagates, in CSV form, until the connection ends.
pub fn replica(cli: &mut Cli, from_option: bool) -> i32 {
    let conn = conn_or_exit(cli);
    if from_option {
        send_replconf(conn, "capa", "eof");
        send_replconf(conn, "rdb-filter-only", "");
    }
    let (payload, eofmark) = match send_sync(conn) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if eofmark.is_some() {
        eprintln!("SYNC with master, discarding bytes of bulk transfer until EOF marker...");
    } else {
        eprintln!("SYNC with master, discarding {payload} bytes of bulk transfer...");
    }
    let read_err = "Error reading RDB payload while SYNCing";
    let Some(read) = read_payload(conn, payload, eofmark.as_deref(), 1024, read_err, |_| true) else { return 1 };
    if eofmark.is_some() {
        eprintln!("SYNC done after {read} bytes. Logging commands from master.");
        // Put the replica online, as redis-cli does.
        std::thread::sleep(Duration::from_secs(1));
        send_replconf(conn, "ACK", "0");
    } else {
        eprintln!("SYNC done. Logging commands from master.");
    }
    let original = cli.cfg.output;
    cli.cfg.output = Output::Csv;
    while cli.read_and_print(false, false).is_ok() {}
    cli.cfg.output = original;
    1
}

/// Reads a SYNC payload of `payload` bytes, or up to `eofmark` (the EOF-marked form), `chunk` bytes at a time, and
/// hands each read to `sink`: the bytes read, or None after a message (`read_err` for a failed read; a sink that
/// returns false prints its own).
fn read_payload(
    conn: &mut Conn,
    mut payload: u64,
    eofmark: Option<&[u8]>,
    chunk: usize,
    read_err: &str,
    mut sink: impl FnMut(&[u8]) -> bool,
) -> Option<u64> {
    let mut lastbytes: Vec<u8> = vec![0; RDB_EOF_MARK_SIZE];
    let mut buf = vec![0u8; chunk];
    let mut read: u64 = 0;
    while payload > 0 {
        let want = (payload.min(buf.len() as u64)) as usize;
        let n = match conn.read_raw(&mut buf[..want]) {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("{read_err}");
                return None;
            }
        };
        if !sink(&buf[..n]) {
            return None;
        }
        read += n as u64;
        payload -= n as u64;
        if let Some(mark) = eofmark {
            lastbytes.extend_from_slice(&buf[..n]);
            let cut = lastbytes.len() - RDB_EOF_MARK_SIZE;
            lastbytes.drain(..cut);
            if lastbytes == mark {
                break;
            }
        }
    }
    Some(read)
}

/// `--rdb file`: SYNC, then the payload (length-prefixed or EOF-marked) to `file` (`-` for stdout).
fn rdb(cli: &mut Cli, filename: &str) -> i32 {
    let functions_only = cli.cfg.functions_rdb;
    let conn = conn_or_exit(cli);
    send_replconf(conn, "capa", "eof");
    send_replconf(conn, "rdb-only", "1");
    if functions_only && !send_replconf(conn, "rdb-filter-only", "functions") {
        eprintln!("Failed requesting functions only RDB from server, aborting");
        return 1;
    }
    rdb_to(cli, filename)
}

/// SYNC on the open connection and the payload to `filename` (also `--cluster backup`'s per-master RDB).
pub fn rdb_to(cli: &mut Cli, filename: &str) -> i32 {
    let conn = conn_or_exit(cli);
    let (payload, eofmark) = match send_sync(conn) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if eofmark.is_some() {
        eprintln!("SYNC sent to master, writing bytes of bulk transfer until EOF marker to '{filename}'");
    } else {
        eprintln!("SYNC sent to master, writing {payload} bytes to '{filename}'");
    }
    let to_stdout = filename == "-";
    let mut file: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout())
    } else {
        match std::fs::OpenOptions::new().create(true).write(true).truncate(false).open(filename) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("Error opening '{filename}': {}", conn::io_message(&e));
                return 1;
            }
        }
    };
    let read_err = "I/O Error reading RDB payload from socket";
    let written =
        read_payload(conn, payload, eofmark.as_deref(), 4096, read_err, |bytes| match file.write_all(bytes) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("Error writing data to file: {}", conn::io_message(&e));
                false
            }
        });
    let Some(written) = written else { return 1 };
    let _ = file.flush();
    drop(file);
    if eofmark.is_some() {
        let len = written - RDB_EOF_MARK_SIZE as u64;
        if !to_stdout {
            if let Err(e) = std::fs::OpenOptions::new().write(true).open(filename).and_then(|f| f.set_len(len)) {
                eprintln!("ftruncate failed: {}.", conn::io_message(&e));
            }
        }
        eprintln!("Transfer finished with success after {len} bytes");
    } else {
        eprintln!("Transfer finished with success.");
    }
    cli.conn = None;
    if !to_stdout {
        if let Err(e) = std::fs::File::open(filename).and_then(|f| f.sync_all()) {
            eprintln!("Fail to fsync '{filename}': {}", conn::io_message(&e));
            return 1;
        }
    }
    0
}

/// How much `--pipe` writes before it looks at replies again (redis-cli's `PIPEMODE_WRITE_LOOP_MAX_BYTES`).
const PIPE_WRITE_LOOP_MAX: usize = 128 * 1024;

/// `--pipe`: stdin's raw protocol to the server while replies are counted, then an ECHO of 20 random bytes
/// marks the end. One thread on a non-blocking socket, as redis-cli's `pipeMode`: replies are read whenever
/// the socket is readable, and while it is writable stdin is read into a buffer and sent (so it works the
/// same over TLS, whose session has one owner).
fn pipe(cli: &mut Cli) -> i32 {
    let timeout = cli.cfg.pipe_timeout;
    let Some(mut conn) = cli.conn.take() else { return 1 };
    if let Err(e) = conn.stream.set_nonblocking(true) {
        eprintln!("Can't set the socket in non blocking mode: {}", conn::io_message(&e));
        std::process::exit(1);
    }
    let fd = conn.stream.raw_fd();
    let mut p = Pipe {
        obuf: vec![0u8; 16 * 1024],
        obuf_pos: 0,
        obuf_len: 0,
        magic: [0u8; 20],
        eof: false,
        done: false,
        last_read: now_ms(),
        errors: 0,
        replies: 0,
    };
    let mut stdin = std::io::stdin().lock();
    while !p.done {
        let want_write = !p.eof || p.obuf_len != 0 || conn.stream.pending_output();
        let (readable, writable) = match sys::wait_socket(fd, want_write, 1000) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("Error reading replies from server: {}", conn::io_message(&e));
                std::process::exit(1);
            }
        };
        if readable {
            p.read_replies(&mut conn);
        }
        if writable {
            p.send(&mut conn, &mut stdin);
        }
        if p.eof && timeout > 0 && (now_ms() - p.last_read) / 1000 > timeout {
            eprintln!("No replies for {timeout} seconds: exiting.");
            p.errors += 1;
            break;
        }
    }
    out(format!("errors: {}, replies: {}\n", p.errors, p.replies).as_bytes());
    if p.errors > 0 {
        1
    } else {
        0
    }
}

/// `--pipe`'s state: the output buffer (a read of stdin, or the closing ECHO), and the replies counted.
struct Pipe {
    obuf: Vec<u8>,
    obuf_pos: usize,
    obuf_len: usize,
    /// The closing ECHO's 20 random bytes, whose reply ends the run.
    magic: [u8; 20],
    /// All of stdin was read (and the ECHO queued).
    eof: bool,
    done: bool,
    last_read: i64,
    errors: u64,
    replies: u64,
}

impl Pipe {
    /// The socket is readable: every whole reply is counted (errors shown). Replies already read are still
    /// counted before a read error ends the run.
    fn read_replies(&mut self, conn: &mut Conn) {
        let read_error = conn.read_available().is_err();
        loop {
            match conn.buffered_reply() {
                Ok(Some(r)) => {
                    self.last_read = now_ms();
                    self.replies += 1;
                    match &r {
                        Reply::Error(e) => {
                            eprintln!("{}", String::from_utf8_lossy(format::cstr(e)));
                            self.errors += 1;
                        }
                        Reply::Bulk(s) if self.eof && s.as_slice() == self.magic => {
                            out(b"Last reply received from server.\n");
                            self.done = true;
                            self.replies -= 1;
                        }
                        _ => {}
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    eprintln!("Error reading replies from server");
                    std::process::exit(1);
                }
            }
        }
        if read_error {
            std::process::exit(1);
        }
    }

    /// The socket is writable: the buffer goes out, refilled from stdin (then the ECHO), until the socket is
    /// full or [`PIPE_WRITE_LOOP_MAX`] bytes went.
    fn send(&mut self, conn: &mut Conn, stdin: &mut impl Read) {
        let fail = |e: std::io::Error| -> ! {
            eprintln!("Error writing to the server: {}", conn::io_message(&e));
            std::process::exit(1);
        };
        if let Err(e) = conn.stream.flush_pending() {
            fail(e);
        }
        let mut written = 0;
        loop {
            if self.obuf_len != 0 {
                match conn.stream.write_some(&self.obuf[self.obuf_pos..self.obuf_pos + self.obuf_len]) {
                    Ok(n) => {
                        self.obuf_len -= n;
                        self.obuf_pos += n;
                        written += n;
                    }
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) => {}
                    Err(e) => fail(e),
                }
                if self.obuf_len != 0 {
                    break;
                }
            }
            if !self.eof {
                match stdin.read(&mut self.obuf) {
                    Ok(0) => self.queue_echo(),
                    Ok(n) => (self.obuf_pos, self.obuf_len) = (0, n),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        eprintln!("Error reading from stdin: {}", conn::io_message(&e));
                        std::process::exit(1);
                    }
                }
            }
            if (self.obuf_len == 0 && self.eof) || written > PIPE_WRITE_LOOP_MAX {
                break;
            }
        }
    }

    /// stdin is all sent: an ECHO of 20 random bytes follows, after a CRLF (which the server skips) so that it
    /// stands even after garbage.
    fn queue_echo(&mut self) {
        self.eof = true;
        let mut rng = ferredis::util::Rng::from_entropy();
        for b in self.magic.iter_mut() {
            *b = (rng.next_u64() & 0xff) as u8;
        }
        let mut echo = b"\r\n*2\r\n$4\r\nECHO\r\n$20\r\n".to_vec();
        echo.extend_from_slice(&self.magic);
        echo.extend_from_slice(b"\r\n");
        self.obuf[..echo.len()].copy_from_slice(&echo);
        (self.obuf_pos, self.obuf_len) = (0, echo.len());
        out(b"All data transferred. Waiting for the last reply...\n");
    }
}

/// `--intrinsic-latency seconds`: the largest gap seen while the process keeps the CPU busy.
fn intrinsic_latency(secs: i64) -> i32 {
    sys::catch_sigint();
    let run_time_us = secs.max(0) * 1_000_000;
    let start_all = Instant::now();
    let (mut max_latency, mut runs) = (0i64, 0i64);
    let mut acc: u64 = 0;
    loop {
        let t0 = Instant::now();
        for j in 0..1000u64 {
            acc = std::hint::black_box(acc.wrapping_add(j * 31));
        }
        let lat = t0.elapsed().as_micros() as i64;
        runs += 1;
        if lat <= 0 {
            continue;
        }
        if lat > max_latency {
            max_latency = lat;
            out(format!("Max latency so far: {max_latency} microseconds.\n").as_bytes());
        }
        let avg_us = run_time_us as f64 / runs as f64;
        if interrupted() || start_all.elapsed().as_micros() as i64 > run_time_us {
            out(format!(
                "\n{runs} total runs (avg latency: {avg_us:.4} microseconds / {:.2} nanoseconds per run).\n\
                 Worst run took {:.0}x longer than the average latency.\n",
                avg_us * 1e3,
                max_latency as f64 / avg_us
            )
            .as_bytes());
            return 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_and_info_fields() {
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1536), "1.50K");
        assert_eq!(bytes_to_human(3 * 1024 * 1024), "3.00M");
        assert_eq!(bytes_to_human(-2048), "-2.00K");
        let info = b"# Keyspace\r\ndb0:keys=5,expires=0\r\nused_memory:1024\r\n";
        assert_eq!(info_long(info, "db0:keys"), Some(5));
        assert_eq!(info_long(info, "used_memory"), Some(1024));
        assert_eq!(info_long(info, "db1:keys"), None);
        assert_eq!(strtoull(b"18446744073709551615"), u64::MAX);
        assert_eq!(strtoull(b"17 rest"), 17);
    }
}
