//! Differential tests: ferredis against Debian's redis-server 7.0, reply bytes compared.
//!
//! Three kinds of input:
//! - curated scripts (`CASES` below, one `=== name` block per case, each on fresh connections after FLUSHALL);
//! - malformed requests on raw sockets (`protocol_errors`), each on a fresh connection: the error bytes and whether
//!   the server closes the connection must match;
//! - seeded random command sequences (`random_sequences`) over a tiny key/value space so commands collide on keys and
//!   types. `DIFF_SEED=<n>` replays one seed, `DIFF_CMDS=<n>` sets the sequence length, `DIFF_SEEDS=<n>` the number of
//!   fixed seeds run (one time-based seed is always added and printed on failure). `DIFF_CONTINUE=1` reports every
//!   differing command of a curated case instead of only the first.
//!
//! Only what is truly nondeterministic is normalized (see `normalize`): SCAN (iterated to completion, keys sorted),
//! KEYS and other unordered collections (sorted), RANDOMKEY (membership checked instead), TIME, INFO (section names),
//! CLIENT ID/LIST/INFO and HELLO's id (structure), TTL-style numbers (small tolerance).
//!
//! `FERREDIS_BIN=/usr/bin/redis-server cargo test --test protocol differential::` runs the harness redis-vs-redis; it must pass.

use crate::common;

use common::docs::canonical_docs;
use common::*;
use std::fmt::Write as _;

/// Connections per side: random sequences hop between them to exercise per-connection state (SELECT, HELLO).
const CONNS: usize = 3;

/// One side of the comparison: a server and the connections the script runs on (`cur` is the active one).
struct Side {
    server: Server,
    conns: Vec<Conn>,
    cur: usize,
}

impl Side {
    fn new(kind: Kind) -> Side {
        let server = Server::start(kind, &[]);
        let conns = (0..CONNS).map(|_| server.conn()).collect();
        Side { server, conns, cur: 0 }
    }

    /// Fresh connection (resets SELECT/HELLO/CLIENT SETNAME state); restarts the server if it died.
    fn reset(&mut self) -> Result<(), String> {
        let conns: Option<Vec<Conn>> = if self.server.alive() {
            (0..CONNS).map(|_| Conn::try_connect(self.server.port).ok()).collect()
        } else {
            None
        };
        self.conns = match conns {
            Some(c) => c,
            None => {
                // The server died (maybe still exiting): a fresh one keeps the remaining cases meaningful.
                self.server = Server::start(self.server.kind, &[]);
                (0..CONNS).map(|_| self.server.conn()).collect()
            }
        };
        self.cur = 0;
        let r = self.exec(&[b"FLUSHALL".to_vec()])?;
        if r != b"+OK\r\n" {
            return Err(format!("{} FLUSHALL replied {}", self.server.kind.label(), escape(&r)));
        }
        Ok(())
    }

    fn exec(&mut self, args: &[Vec<u8>]) -> Result<Vec<u8>, String> {
        self.conns[self.cur].try_cmd(args).map_err(|e| {
            let mut msg = format!("I/O error: {e}");
            // A crashing server closes connections before it finishes exiting (e.g. while printing a panic
            // backtrace); give it a moment so the log is complete and the next reset sees it dead.
            for _ in 0..100 {
                if !self.server.alive() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if !self.server.alive() {
                let _ = write!(msg, " (server exited; log tail:\n{})", self.server.log_text());
            }
            msg
        })
    }

    /// SCAN-family iterated to completion. Returns the sorted distinct elements, or the first error reply.
    fn scan_all(&mut self, args: &[Vec<u8>]) -> Result<Resp, String> {
        let cursor_at = if args[0].eq_ignore_ascii_case(b"SCAN") { 1 } else { 2 };
        let mut args = args.to_vec();
        let mut seen: Vec<Resp> = Vec::new();
        for _ in 0..100_000 {
            let raw = self.exec(&args)?;
            let v = Resp::parse(&raw).map_err(|e| format!("unparsable reply {}: {e}", escape(&raw)))?;
            let Some(items) = v.items() else { return Ok(v) };
            let (Some(cur), Some(batch)) = (items.first().and_then(|c| c.as_bytes()), items.get(1)) else {
                return Err(format!("malformed SCAN reply {}", escape(&raw)));
            };
            let cur = cur.to_vec();
            if let Some(b) = batch.items() {
                seen.extend(b.iter().cloned());
            }
            if cur == b"0" {
                seen.sort();
                if !args[0].eq_ignore_ascii_case(b"HSCAN") && !args[0].eq_ignore_ascii_case(b"ZSCAN") {
                    seen.dedup();
                }
                return Ok(Resp::Array(seen));
            }
            if cursor_at < args.len() {
                args[cursor_at] = cur;
            }
        }
        Err("SCAN did not terminate after 100000 calls".into())
    }
}

struct Sides {
    fer: Side,
    red: Side,
}

/// Where a mismatch happened and what each side said.
struct Mismatch {
    detail: String,
}

impl Sides {
    fn new() -> Sides {
        Sides { fer: Side::new(Kind::Ferredis), red: Side::new(Kind::Redis) }
    }

    fn reset(&mut self) -> Result<(), String> {
        self.fer.reset()?;
        self.red.reset()
    }

    /// Whether ferredis has a command: a bare name gets an arity error if known, "unknown command" otherwise.
    /// Only asked for commands whose zero-argument form is harmless (the families' key commands).
    fn fer_knows(&mut self, name: &str) -> bool {
        match self.fer.exec(&[name.as_bytes().to_vec()]) {
            Ok(r) => !r.starts_with(b"-ERR unknown command"),
            Err(_) => false,
        }
    }

    /// Runs one command (or an `@scan` directive) on both sides and compares.
    fn check(&mut self, args: &[Vec<u8>], scan_all: bool) -> Result<(), Mismatch> {
        if scan_all {
            let f = self.fer.scan_all(args);
            let r = self.red.scan_all(args);
            return match (f, r) {
                (Ok(f), Ok(r)) if f == r => Ok(()),
                (f, r) => Err(Mismatch { detail: two(&show_res(&f), &show_res(&r)) }),
            };
        }
        let r = self.red.exec(args).map_err(|e| Mismatch { detail: format!("redis side failed: {e}") })?;
        let f = match self.fer.exec(args) {
            Ok(f) => f,
            Err(e) => return Err(Mismatch { detail: two(&e, &escape(&r)) }),
        };
        self.compare(args, &f, &r)
    }

    /// Compares one command's replies, normalizing where the command's output is nondeterministic.
    fn compare(&mut self, args: &[Vec<u8>], f: &[u8], r: &[u8]) -> Result<(), Mismatch> {
        if f == r && !is(args, "RANDOMKEY") {
            return Ok(());
        }
        let (Ok(fv), Ok(rv)) = (Resp::parse(f), Resp::parse(r)) else {
            return Err(Mismatch { detail: two(&escape(f), &escape(r)) });
        };
        let fv = normalize(args, fv, &mut self.fer);
        let rv = normalize(args, rv, &mut self.red);
        match (fv, rv) {
            (Ok(fv), Ok(rv)) if equal_with_tolerance(args, &fv, &rv) => Ok(()),
            (fv, rv) => {
                let mut d = two(&escape(f), &escape(r));
                let (fs, rs) = (show_res(&fv), show_res(&rv));
                if fs != escape(f) || rs != escape(r) {
                    let _ = write!(d, "\n  normalized ferredis: {}\n  normalized redis:    {}", clip(&fs), clip(&rs));
                }
                Err(Mismatch { detail: d })
            }
        }
    }
}

fn two(f: &str, r: &str) -> String {
    format!("\n  ferredis: {}\n  redis:    {}", clip(f), clip(r))
}

/// Keeps failure reports readable when a reply is large (INFO, big values).
fn clip(s: &str) -> String {
    const MAX: usize = 1500;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &s[..end], s.len())
}

fn show_res(v: &Result<Resp, String>) -> String {
    match v {
        Ok(v) => escape(&v.to_bytes()),
        Err(e) => format!("<{e}>"),
    }
}

fn upper(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_uppercase()
}

fn is(args: &[Vec<u8>], name: &str) -> bool {
    args.first().is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
}

fn sub_is(args: &[Vec<u8>], name: &str, sub: &str) -> bool {
    is(args, name) && args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(sub.as_bytes()))
}

/// Text of a bulk/verbatim reply (verbatim strings carry a 4-byte `txt:` format prefix).
fn text_of(v: &Resp) -> Option<String> {
    match v {
        Resp::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Resp::Verbatim(b) => Some(String::from_utf8_lossy(b.get(4..).unwrap_or_default()).into_owned()),
        _ => None,
    }
}

fn sort_pairs(v: &mut Resp) {
    match v {
        Resp::Map(kv) => kv.sort(),
        Resp::Array(items) if items.len() % 2 == 0 => {
            let mut pairs: Vec<(Resp, Resp)> =
                items.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect::<Vec<_>>();
            pairs.sort();
            *items = pairs.into_iter().flat_map(|(a, b)| [a, b]).collect();
        }
        _ => {}
    }
}

/// Fields of CLIENT LIST/INFO whose values are deterministic across servers.
const CLIENT_STABLE_FIELDS: &[&str] = &["name", "db", "flags", "sub", "psub", "ssub", "multi", "cmd", "user", "resp"];

fn normalize_client_line(line: &str) -> String {
    line.split(' ')
        .filter(|f| !f.is_empty())
        .map(|f| {
            let (k, v) = f.split_once('=').unwrap_or((f, ""));
            if CLIENT_STABLE_FIELDS.contains(&k) {
                format!("{k}={v}")
            } else {
                format!("{k}=*")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes what differs between two correct servers. Errors are never normalized.
fn normalize(args: &[Vec<u8>], v: Resp, side: &mut Side) -> Result<Resp, String> {
    if matches!(v, Resp::Error(_)) {
        return Ok(v);
    }
    if v.as_int().is_some() {
        // Integers that depend on the server instance or on which command families exist yet (COMMAND COUNT):
        // the reply type is compared, not the number.
        let what = if is(args, "LASTSAVE") {
            Some("unix time")
        } else if sub_is(args, "CLIENT", "ID") {
            Some("client id")
        } else if sub_is(args, "COMMAND", "COUNT") {
            Some("command count")
        } else if sub_is(args, "MEMORY", "USAGE") {
            Some("bytes")
        } else {
            None
        };
        if let Some(w) = what {
            return Ok(Resp::Placeholder(w.into()));
        }
    }
    let mut v = v;
    let cmd = args.first().map(|a| upper(a)).unwrap_or_default();
    match cmd.as_str() {
        "KEYS" | "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "SPOP" | "HKEYS" | "HVALS" => {
            if let Some(items) = v.items_mut() {
                items.sort();
            }
        }
        // COMMAND LIST answers in the command table's hash order.
        "COMMAND" if sub_is(args, "COMMAND", "LIST") => {
            if let Some(items) = v.items_mut() {
                items.sort();
            }
        }
        "HGETALL" => sort_pairs(&mut v),
        "CONFIG" if sub_is(args, "CONFIG", "GET") => sort_pairs(&mut v),
        "RANDOMKEY" => {
            if let Some(k) = v.as_bytes() {
                let ex = side.exec(&[b"EXISTS".to_vec(), k.to_vec()])?;
                if ex != b":1\r\n" {
                    return Err(format!("RANDOMKEY returned {} which does not exist", escape(k)));
                }
                return Ok(Resp::Placeholder("existing key".into()));
            }
        }
        "SRANDMEMBER" | "HRANDFIELD" | "ZRANDMEMBER" => {
            if let Some(items) = v.items() {
                return Ok(Resp::Placeholder(format!("{} random elements", items.len())));
            }
            if v.as_bytes().is_some() {
                return Ok(Resp::Placeholder("random element".into()));
            }
        }
        "TIME" => {
            let ok = v.items().is_some_and(|i| {
                i.len() == 2 && i.iter().all(|x| x.as_bytes().is_some_and(|b| b.iter().all(u8::is_ascii_digit)))
            });
            return Ok(Resp::Placeholder(if ok { "time".into() } else { format!("bad TIME {v:?}") }));
        }
        "INFO" => {
            if let Some(t) = text_of(&v) {
                // Section names, plus the keyspace lines without avg_ttl (which depends on timing).
                let mut out = Vec::new();
                for line in t.split("\r\n") {
                    if line.starts_with('#') {
                        out.push(Resp::Simple(line.as_bytes().to_vec()));
                    } else if line.starts_with("db") && line.contains(":keys=") {
                        let kept: Vec<&str> = line.split(',').filter(|f| !f.starts_with("avg_ttl=")).collect();
                        out.push(Resp::Simple(kept.join(",").into_bytes()));
                    }
                }
                return Ok(Resp::Array(out));
            }
        }
        "CLIENT" if sub_is(args, "CLIENT", "LIST") || sub_is(args, "CLIENT", "INFO") => {
            if let Some(t) = text_of(&v) {
                // Only the calling connection's line: connections closed just before (previous cases, readiness
                // probes) may or may not have been reaped yet.
                // (If no line says cmd=client|list, all lines are kept so the difference shows.)
                let all: Vec<&str> = t.lines().collect();
                let mine: Vec<&str> = if sub_is(args, "CLIENT", "LIST") {
                    all.iter().copied().filter(|l| l.split(' ').any(|f| f == "cmd=client|list")).collect()
                } else {
                    Vec::new()
                };
                let lines: Vec<Resp> = (if mine.is_empty() { all } else { mine })
                    .into_iter()
                    .map(|l| Resp::Simple(normalize_client_line(l).into_bytes()))
                    .collect::<Vec<_>>();
                return Ok(Resp::Array(lines));
            }
        }
        "HELLO" => {
            let id_key = |k: &Resp| k.as_bytes() == Some(b"id");
            match &mut v {
                Resp::Map(kv) => {
                    for (k, val) in kv.iter_mut() {
                        if id_key(k) {
                            *val = Resp::Placeholder("client id".into());
                        }
                    }
                }
                Resp::Array(items) => {
                    for i in (0..items.len().saturating_sub(1)).step_by(2) {
                        if id_key(&items[i]) {
                            items[i + 1] = Resp::Placeholder("client id".into());
                        }
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
    Ok(v)
}

/// Replies that carry "now"-relative numbers may differ slightly because the two servers run at different
/// instants; non-negative integers within the tolerance are equal (negative sentinels must match exactly).
fn equal_with_tolerance(args: &[Vec<u8>], f: &Resp, r: &Resp) -> bool {
    if f == r {
        return true;
    }
    let tol = if is(args, "TTL") || is(args, "EXPIRETIME") || sub_is(args, "OBJECT", "IDLETIME") {
        1
    } else if is(args, "PTTL") || is(args, "PEXPIRETIME") {
        2000
    } else {
        return false;
    };
    match (f.as_int(), r.as_int()) {
        (Some(a), Some(b)) if a >= 0 && b >= 0 => (a - b).abs() <= tol,
        _ => false,
    }
}

#[derive(Clone)]
struct Case {
    name: String,
    lines: Vec<String>,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with("#") {
            continue;
        }
        if let Some(name) = line.strip_prefix("===") {
            cases.push(Case { name: name.trim().to_string(), lines: Vec::new() });
        } else {
            cases.last_mut().expect("command before the first === header").lines.push(line.to_string());
        }
    }
    // `@include <case>` stands for that case's commands (its `@requires` line excepted), so one script can be
    // replayed under another protocol or setup without a second copy.
    let originals = cases.clone();
    for case in &mut cases {
        case.lines = case
            .lines
            .iter()
            .flat_map(|l| match l.strip_prefix("@include ") {
                Some(name) => {
                    let src = originals.iter().find(|c| c.name == name.trim()).expect("@include of an unknown case");
                    src.lines.iter().filter(|l| !l.starts_with("@requires ")).cloned().collect::<Vec<_>>()
                }
                None => vec![l.clone()],
            })
            .collect();
    }
    cases
}

/// Runs every case whose name starts with `prefix`; returns failure descriptions.
fn run_cases(prefix: &str) {
    let cases: Vec<Case> = parse_cases(CASES).into_iter().filter(|c| c.name.starts_with(prefix)).collect();
    assert!(!cases.is_empty(), "no cases under {prefix}");
    let mut pair = Sides::new();
    let mut failures = Vec::new();
    let mut commands = 0;
    let mut skipped = Vec::new();
    for case in &cases {
        // `@requires CMD...`: the case belongs to a command family that may not have landed yet.
        if let Some(req) = case.lines.first().and_then(|l| l.strip_prefix("@requires ")) {
            let missing: Vec<&str> = req.split_whitespace().filter(|name| !pair.fer_knows(name)).collect();
            if !missing.is_empty() {
                skipped.push(format!("{} (needs {})", case.name, missing.join(" ")));
                continue;
            }
        }
        if let Err(e) = pair.reset() {
            failures.push(format!("[case {}] reset failed: {e}", case.name));
            continue;
        }
        for (i, line) in case.lines.iter().enumerate() {
            if line.starts_with("@requires ") {
                continue;
            }
            if let Some(ms) = line.strip_prefix("@sleep ") {
                // Only used to get past a millisecond expiry deadline; nothing asserts on timing.
                std::thread::sleep(std::time::Duration::from_millis(ms.trim().parse().expect("@sleep ms")));
                continue;
            }
            let (scan, text) = match line.strip_prefix("@scan ") {
                Some(rest) => (true, rest),
                None => (false, line.as_str()),
            };
            let args = split_args(text).unwrap_or_else(|e| panic!("case {}: bad line {line:?}: {e}", case.name));
            commands += 1;
            if let Err(m) = pair.check(&args, scan) {
                failures.push(format!(
                    "[case {}] first difference at command #{}: {}{}",
                    case.name,
                    i + 1,
                    line,
                    m.detail
                ));
                // Later commands in this case depend on the diverged state; move on to the next case
                // (DIFF_CONTINUE=1 keeps going, to list every difference while debugging).
                if std::env::var_os("DIFF_CONTINUE").is_none() {
                    break;
                }
            }
        }
    }
    if !skipped.is_empty() {
        eprintln!("NOTICE: skipped cases for commands ferredis does not know yet: {}", skipped.join(", "));
    }
    eprintln!(
        "{prefix}: {} cases ({} skipped), {commands} commands, {} failing",
        cases.len(),
        skipped.len(),
        failures.len()
    );
    if !failures.is_empty() {
        panic!("{} of {} cases differ from redis-server:\n\n{}\n", failures.len(), cases.len(), failures.join("\n\n"));
    }
}

#[test]
fn curated_strings() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases("strings/");
}

#[test]
fn curated_keys() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases("keys/");
}

#[test]
fn curated_connection() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases("conn/");
}

#[test]
fn curated_server() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases("server/");
}

/// Commands (and subcommands) whose table entries carry what Redis 7.2/7.4 or Valkey 8.0 added to them (ZRANK's
/// WITHSCORE, ZSCAN's NOSCORES, CLIENT KILL's MAXAGE): left out of the comparisons with Redis 7.0 below (a
/// notice says so; a container drops such a subcommand from its own DOCS entry) and compared with Redis 7.4.1
/// in `tests/types/r74_misc.rs` instead.
const NEWER_THAN_70: &[&str] = &["zrank", "zrevrank", "zscan", "client|kill"];

fn newer_than_70(name: &[u8]) -> bool {
    NEWER_THAN_70.iter().any(|n| n.as_bytes() == name)
}

/// A server's COMMAND LIST (every command and subcommand name).
fn command_names(s: &Server) -> Vec<Vec<u8>> {
    let v = Resp::parse(&s.conn().cmd(&["COMMAND", "LIST"])).expect("COMMAND LIST reply");
    v.items().expect("COMMAND LIST array").iter().filter_map(|n| n.as_bytes().map(<[u8]>::to_vec)).collect()
}

/// COMMAND INFO of every command and subcommand both servers know, compared exactly in RESP2 and RESP3: flags,
/// legacy key range, ACL categories in Redis's order, tips and full key specs. A container (CLIENT, CONFIG, ...)
/// lists its subcommands in hash order, which differs per process, so its own fields are compared exactly and
/// the subcommand entries both servers have as a sorted set (each subcommand is also compared on its own).
/// Commands or subcommands only one side has are printed as a notice, not failed: families land one by one.
#[test]
fn curated_server_command_info_all() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = Server::start(Kind::Ferredis, &[]);
    let red = Server::start(Kind::Redis, &[]);
    let (fer_names, red_names) = (command_names(&fer), command_names(&red));
    let (only_fer, both): (Vec<_>, Vec<_>) = fer_names.iter().cloned().partition(|n| !red_names.contains(n));
    let mut failures = Vec::new();
    for proto in [2, 3] {
        let (mut fc, mut rc) = (fer.conn(), red.conn());
        if proto == 3 {
            fc.cmd(&["HELLO", "3"]);
            rc.cmd(&["HELLO", "3"]);
        }
        for name in both.iter().filter(|n| !newer_than_70(n)) {
            let args: [&[u8]; 3] = [b"COMMAND", b"INFO", name];
            let (f, r) = (fc.cmd(&args), rc.cmd(&args));
            if f == r {
                continue;
            }
            let (fv, rv) = (Resp::parse(&f).expect("ferredis reply"), Resp::parse(&r).expect("redis reply"));
            if normalize_info_subcommands(fv, &fer_names, &red_names)
                != normalize_info_subcommands(rv, &fer_names, &red_names)
            {
                failures.push(format!(
                    "RESP{proto} COMMAND INFO {}\n  ferredis: {}\n  redis:    {}",
                    String::from_utf8_lossy(name),
                    escape(&f),
                    escape(&r)
                ));
            }
        }
    }
    let only_red: Vec<_> = red_names.iter().filter(|n| !fer_names.contains(n) && n.contains(&b'|')).collect();
    let shown =
        |v: &[&Vec<u8>]| v.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect::<Vec<_>>().join(" ");
    if !only_fer.is_empty() {
        eprintln!("notice: only ferredis has: {}", shown(&only_fer.iter().collect::<Vec<_>>()));
    }
    if !only_red.is_empty() {
        eprintln!("notice: subcommands only redis has: {}", shown(&only_red));
    }
    eprintln!("notice: compared with Redis 7.4.1 instead (tests/types/r74_misc.rs): {}", NEWER_THAN_70.join(" "));
    assert!(failures.is_empty(), "{} COMMAND INFO replies differ:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// COMMAND DOCS of every command and subcommand both servers know (history, arguments with their names, types,
/// tokens, flags and versions, container subcommand lists), so a table edit can't drift from Redis 7.0's
/// `src/commands/*.json`. RESP3 is compared with map entries and sets sorted (argument and history order must
/// match); RESP2, where maps are plain arrays, as recursively sorted multisets. Subcommands only one side has
/// (ferredis's CLIENT SETINFO/NO-TOUCH) are left out of their container's entry.
#[test]
fn curated_server_command_docs_all() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = Server::start(Kind::Ferredis, &[]);
    let red = Server::start(Kind::Redis, &[]);
    let (fer_names, red_names) = (command_names(&fer), command_names(&red));
    let known = |n: &Resp| {
        n.as_bytes()
            .is_some_and(|n| fer_names.iter().any(|f| f == n) && red_names.iter().any(|r| r == n) && !newer_than_70(n))
    };
    let both: Vec<&Vec<u8>> = red_names.iter().filter(|n| fer_names.contains(n) && !newer_than_70(n)).collect();
    assert!(both.len() > 300, "only {} commands in common", both.len());
    let mut failures = Vec::new();
    for proto in [2, 3] {
        let (mut fc, mut rc) = (fer.conn(), red.conn());
        if proto == 3 {
            fc.cmd(&["HELLO", "3"]);
            rc.cmd(&["HELLO", "3"]);
        }
        for name in &both {
            let args: [&[u8]; 3] = [b"COMMAND", b"DOCS", name];
            let (f, r) = (fc.cmd(&args), rc.cmd(&args));
            let (fv, rv) = (Resp::parse(&f).expect("ferredis reply"), Resp::parse(&r).expect("redis reply"));
            let fv = strip_post_7_0(fv, added_after_7_0(name));
            if canonical_docs(fv, proto, &known) != canonical_docs(rv, proto, &known) {
                failures.push(format!(
                    "RESP{proto} COMMAND DOCS {}\n  ferredis: {}\n  redis:    {}",
                    String::from_utf8_lossy(name),
                    escape(&f),
                    escape(&r)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} COMMAND DOCS replies differ:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// Arguments later releases added to commands 7.0 has (each compared against the release that added it in its own
/// tests): left out of ferredis's COMMAND DOCS before the comparison with 7.0.15, with history entries newer than
/// 7.0.
const ADDED_AFTER_7_0: &[(&str, &[&str])] = &[
    ("hscan", &["novalues"]),
    ("set", &["comparison-value", "ifne-value", "ifdeq-digest", "ifdne-digest"]),
    ("xadd", &["condition", "idmp"]),
    ("xread", &["maxcount", "maxsize"]),
    ("xreadgroup", &["min-idle-time", "maxcount", "maxsize"]),
    ("xtrim", &["condition"]),
    ("zinter", &["count"]),
    ("zinterstore", &["count"]),
    ("zunion", &["count"]),
    ("zunionstore", &["count"]),
];

fn added_after_7_0(name: &[u8]) -> &'static [&'static str] {
    ADDED_AFTER_7_0.iter().find(|(n, _)| n.as_bytes() == name).map_or(&[], |(_, a)| a)
}

/// A COMMAND DOCS reply without the arguments named in `added` and without history entries of releases after 7.0.
fn strip_post_7_0(v: Resp, added: &[&str]) -> Resp {
    fn named(e: &Resp, added: &[&str]) -> bool {
        let is_added = |k: &Resp, v: &Resp| {
            k.as_bytes() == Some(b"name".as_slice())
                && v.as_bytes().is_some_and(|n| added.iter().any(|a| a.as_bytes() == n))
        };
        match e {
            Resp::Map(p) => p.iter().any(|(k, v)| is_added(k, v)),
            Resp::Array(items) => items.chunks(2).any(|c| c.len() == 2 && is_added(&c[0], &c[1])),
            _ => false,
        }
    }
    fn newer_history(e: &Resp) -> bool {
        matches!(e, Resp::Array(x) if x.len() == 2
            && x[1].as_bytes().is_some()
            && x[0].as_bytes().is_some_and(|v| v.first().is_some_and(u8::is_ascii_digit) && v > b"7.1".as_slice()))
    }
    // A history made only of later releases' entries is left out whole, as 7.0 prints none.
    fn emptied_history(k: &Resp, v: &Resp) -> bool {
        k.as_bytes() == Some(b"history".as_slice()) && matches!(v, Resp::Array(x) | Resp::Set(x) if x.is_empty())
    }
    match v {
        Resp::Array(items) => {
            let items: Vec<Resp> = items
                .into_iter()
                .filter(|e| !named(e, added) && !newer_history(e))
                .map(|e| strip_post_7_0(e, added))
                .collect();
            let mut out = Vec::with_capacity(items.len());
            let mut i = 0;
            while i < items.len() {
                if i + 1 < items.len() && emptied_history(&items[i], &items[i + 1]) {
                    i += 2;
                    continue;
                }
                out.push(items[i].clone());
                i += 1;
            }
            Resp::Array(out)
        }
        Resp::Map(p) => Resp::Map(
            p.into_iter().map(|(k, v)| (k, strip_post_7_0(v, added))).filter(|(k, v)| !emptied_history(k, v)).collect(),
        ),
        // RESP3's history is a set.
        Resp::Set(items) => {
            Resp::Set(items.into_iter().filter(|e| !newer_history(e)).map(|e| strip_post_7_0(e, added)).collect())
        }
        other => other,
    }
}

/// Keeps only the subcommand entries of a COMMAND INFO reply that both servers know, sorted.
fn normalize_info_subcommands(v: Resp, fer_names: &[Vec<u8>], red_names: &[Vec<u8>]) -> Resp {
    let Resp::Array(mut entries) = v else { return v };
    for e in entries.iter_mut() {
        let Resp::Array(fields) = e else { continue };
        if let Some(Resp::Array(subs) | Resp::Set(subs)) = fields.get_mut(9) {
            subs.retain(|s| {
                let name = s.items().and_then(|f| f.first()).and_then(|n| n.as_bytes()).unwrap_or_default();
                fer_names.iter().any(|n| n == name) && red_names.iter().any(|n| n == name)
            });
            subs.sort();
        }
    }
    Resp::Array(entries)
}

#[test]
fn curated_tx() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases("tx/");
}

#[test]
fn curated_pubsub() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases("pubsub/");
}

#[test]
fn curated_types() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases("types/");
}

/// The case table. `=== family/name` starts a case; each line is one command in redis-cli quoting;
/// `@scan <SCAN command>` iterates the cursor to completion on each side and compares the sorted elements;
/// `@sleep <ms>` waits (only to get past a short expiry deadline); a first line `@requires CMD...` skips the case
/// (with a notice) while ferredis does not know those commands yet; `@include <case>` replays another case's commands.
const CASES: &str = r#"
=== tx/basic
MULTI
SET a 1
INCR a
GET a
EXEC
GET a
MULTI
EXEC
EXEC
DISCARD
MULTI
MULTI
WATCH a
SET b 2
DISCARD
GET b

=== tx/execabort
MULTI
SET a 1
NOSUCHCOMMAND x
GET a
EXEC
GET a
MULTI
SET a
EXEC
MULTI
CLIENT NOSUCHSUB
EXEC
MULTI
SHUTDOWN
EXEC
MULTI
GET
DISCARD
GET a
INFO errorstats

=== tx/runtime-errors
@requires LPUSH
SET s notanumber
LPUSH l x
MULTI
INCR s
SET t 1
GET l
INCR t
EXPIRE t abc
EXEC
GET t

=== tx/immediate-inside-multi
MULTI
SET k v
WATCH k
MULTI
RESET
EXEC
GET k
MULTI
SET k v
DISCARD
GET k

=== tx/watch-self
SET k 1
WATCH k
SET k 2
MULTI
GET k
EXEC
WATCH k
MULTI
GET k
EXEC
WATCH k missing
UNWATCH
SET k 3
MULTI
GET k
EXEC
WATCH
WATCH k
DEL missing
MULTI
PING
EXEC

=== tx/watch-flush-swap-move
SET k 1
WATCH k
FLUSHALL
MULTI
PING
EXEC
WATCH nothere
FLUSHDB
MULTI
PING
EXEC
SELECT 1
SET k 1
SELECT 0
WATCH k
SWAPDB 0 1
MULTI
PING
EXEC
WATCH k
MOVE k 1
MULTI
PING
EXEC
SELECT 1
WATCH k
SELECT 0
SET k 5
SELECT 1
MULTI
PING
EXEC
WATCH z
SELECT 2
SET z 1
COPY z z DB 1
SELECT 1
MULTI
PING
EXEC

=== tx/watch-expire
SET e 1 PX 1
@sleep 10
WATCH e
MULTI
PING
EXEC

=== tx/select-inside
MULTI
SELECT 1
SET q 1
EXEC
GET q
SELECT 0
GET q

=== tx/resp3
HELLO 3
SET k 1
WATCH k
SET k 2
MULTI
PING
EXEC
MULTI
GET nokey
GET k
EXEC

=== tx/monitor-in-exec
MULTI
MONITOR
EXEC
PING

=== tx/client-list
WATCH k
CLIENT INFO
SET k 1
CLIENT INFO
CLIENT LIST
MULTI
EXEC
CLIENT INFO

=== tx/client-pause-errors
CLIENT PAUSE
CLIENT PAUSE abc
CLIENT PAUSE -1
CLIENT PAUSE 10 foo
CLIENT PAUSE abc foo
CLIENT PAUSE 10 all x
CLIENT UNPAUSE x
CLIENT PAUSE 0 WRITE
CLIENT UNPAUSE
CLIENT PAUSE 0
CLIENT UNPAUSE

=== tx/client-kill-errors
CLIENT KILL 1.2.3.4:5
CLIENT KILL ID 0
CLIENT KILL ID abc
CLIENT KILL ID 999999
CLIENT KILL TYPE foo
CLIENT KILL TYPE pubsub
CLIENT KILL TYPE master
CLIENT KILL TYPE replica
CLIENT KILL USER nobody
CLIENT KILL USER default SKIPME yes
CLIENT KILL ADDR 1.1.1.1:1 SKIPME no
CLIENT KILL LADDR 1.1.1.1:1
CLIENT KILL SKIPME maybe
CLIENT KILL ID
CLIENT KILL ID 1 TYPE
CLIENT LIST TYPE replica
CLIENT LIST TYPE foo
CLIENT LIST ID
CLIENT LIST ID abc
CLIENT LIST ID -1
CLIENT LIST TYPE normal ID 1

=== strings/get-set-basic
GET missing
SET k v
GET k
SET k ""
GET k
STRLEN k
SET k "\x00\xffbin\r\nary"
GET k
STRLEN k
SET
SET k
GET
GET a b
SET k v extra
SET k v ex
SET k v px 100 ex 100
SET kk 1
GET kk

=== strings/set-options
SET k v NX
SET k v2 NX
GET k
SET k v3 XX
GET k
SET nokey v XX
GET nokey
SET k v NX XX
SET k v XX NX
SET k v5 GET
SET k v6 get
SET fresh v GET
SET k v EX 100
TTL k
SET k v PX 100000
PTTL k
SET k v EX 0
SET k v EX -1
SET k v EX abc
SET k v EX 1.5
SET k v PX 0
SET k v PX -5
SET k v EX 10 PX 100
SET k v EX 10 EX 10
SET k v EX 10 KEEPTTL
SET k v KEEPTTL EX 10
SET k v PX 10 KEEPTTL
SET k v EX 100
SET k v2 KEEPTTL
TTL k
GET k
SET k v3
TTL k
SET k v EXAT 4102444800
EXPIRETIME k
TTL k
SET k v PXAT 4102444800000
PEXPIRETIME k
SET k v EXAT 1
EXISTS k
SET k v PXAT 1
GET k
SET k v EX 9223372036854775807
SET k v PX 9223372036854775807
SET k v EX 9223372036854775
SET k v EX 9223372036854776
SET k v EXAT 9223372036854775807
SET k v PXAT 9223372036854775807
SET k v PXAT 0
SET k v EXAT -1
SET k v FOO
SET k v EX
SET k v GET NX
SET k v2 NX GET
SET k2 v NX GET
GET k2
SET k v XX GET
SET k v ex 100 get
SET k v keepttl get xx
TTL k
SET k v GET GET
SET k v NX NX

=== strings/setnx-setex-psetex
SETNX k v
SETNX k v2
GET k
SETNX k
SETEX k 100 v
TTL k
GET k
SETEX k 0 v
SETEX k -10 v
SETEX k abc v
SETEX k 100
SETEX k 9223372036854775807 v
SETEX k 9223372036854775 v
PSETEX k 100000 v
PTTL k
PSETEX k 0 v
PSETEX k -1 v
PSETEX k 9223372036854775807 v
GET k
SETEX n 100 123
OBJECT ENCODING n

=== strings/mget-mset
MSET a 1 b 2 c 3
MGET a b c d
MGET d
MSET a
MSET a 1 b
MSET
MSETNX a 1 x 2
MGET a x
MSETNX x 1 y 2
MGET x y
MSETNX x
MSETNX x 1 x 2
MSET dup 1 dup 2
GET dup
MGET
SET a 1 EX 100
MSET a 2
TTL a

=== strings/getset-getdel
GETSET k v
GETSET k v2
GET k
GETSET k
SET k v EX 100
GETSET k v3
TTL k
GETDEL k
GETDEL k
EXISTS k
GETDEL
GETDEL a b

=== strings/getex
SET k v EX 100
GETEX k
TTL k
GETEX k PERSIST
TTL k
GETEX k EX 200
TTL k
GETEX k PX 300000
PTTL k
GETEX k EXAT 4102444800
EXPIRETIME k
GETEX k PXAT 4102444800000
PEXPIRETIME k
GETEX k EX 0
GETEX k EX -1
GETEX k PX 0
GETEX k EX abc
GETEX k EX 9223372036854775807
GETEX k EX 10 PX 10
GETEX k PERSIST EX 10
GETEX k EX 10 PERSIST
GETEX k EX
GETEX k FOO
GETEX missing
GETEX missing EX 10
GETEX k EXAT 1
EXISTS k
GETEX
SET n 10
GETEX n PERSIST

=== strings/append-strlen
APPEND k abc
APPEND k def
GET k
STRLEN k
STRLEN missing
STRLEN
SET n 10
APPEND n 5
GET n
OBJECT ENCODING n
APPEND k ""
GET k
APPEND k
APPEND k "\x00\x01"
STRLEN k
SET e ""
APPEND e ""
STRLEN e
SET big 123456789
STRLEN big

=== strings/incr-decr
INCR n
INCR n
INCRBY n 10
DECR n
DECRBY n 5
GET n
INCRBY n -3
DECRBY n -3
GET n
OBJECT ENCODING n
SET n 9223372036854775807
INCR n
INCRBY n 1
SET n -9223372036854775808
DECR n
DECRBY n 1
INCRBY n -1
SET n -9223372036854775807
DECRBY n 1
GET n
SET n abc
INCR n
SET n " 1"
INCR n
SET n "1 "
INCR n
SET n 01
INCR n
SET n +1
INCR n
SET n -0
INCR n
SET n 1.5
INCR n
SET n ""
INCR n
SET n 0
INCRBY n abc
INCRBY n 9223372036854775808
INCRBY n 1.0
DECRBY n -9223372036854775808
DECRBY n 9223372036854775807
GET n
INCRBY n 1 2
INCR
INCR a b
SET n 12345678901234567890
INCR n
SET n 5 EX 100
INCR n
TTL n
GET n

=== strings/incrbyfloat
INCRBYFLOAT f 1.5
INCRBYFLOAT f 0.1
INCRBYFLOAT f -3
INCRBYFLOAT f 1e3
INCRBYFLOAT f 5.0e-3
INCRBYFLOAT f 1.0000000000000001
GET f
INCRBYFLOAT f abc
INCRBYFLOAT f inf
INCRBYFLOAT f -inf
INCRBYFLOAT f nan
INCRBYFLOAT f ""
INCRBYFLOAT f " 1"
INCRBYFLOAT f "1 "
INCRBYFLOAT f 0x10
SET f 10
INCRBYFLOAT f 3.0
GET f
OBJECT ENCODING f
INCRBYFLOAT f 0.3
INCRBYFLOAT f -13.3
SET f abc
INCRBYFLOAT f 1
SET f 1e308
INCRBYFLOAT f 1e308
GET f
SET f 3
INCRBYFLOAT f 1e-20
INCRBYFLOAT g 17179869184
INCRBYFLOAT g 1.5e15
INCRBYFLOAT g 123456789.123456789
INCRBYFLOAT h 0
INCRBYFLOAT h -0
INCRBYFLOAT h 1.1e-5
INCRBYFLOAT
INCRBYFLOAT f
INCRBYFLOAT f 1 2

=== strings/getrange-setrange
SET k "Hello World"
GETRANGE k 0 4
GETRANGE k -5 -1
GETRANGE k 5 1
GETRANGE k 0 -100
GETRANGE k -100 -1
GETRANGE k -100 -100
GETRANGE k 100 200
GETRANGE k 0 100
GETRANGE k -1 -5
GETRANGE missing 0 -1
GETRANGE k a b
GETRANGE k 0 9223372036854775807
GETRANGE k -9223372036854775808 5
GETRANGE k 0
SUBSTR k 0 4
SUBSTR k -3 -1
SETRANGE k 6 Redis
GET k
SETRANGE k 20 X
GET k
STRLEN k
SETRANGE k -1 x
SETRANGE new 5 abc
GET new
SETRANGE new2 0 ""
EXISTS new2
SETRANGE new3 10 ""
EXISTS new3
SETRANGE k 536870912 x
SETRANGE k 536870911 ""
SETRANGE k 536870911 xy
SETRANGE k abc x
SETRANGE k 1
SET n 12345
SETRANGE n 1 X
GET n
OBJECT ENCODING n
SET n2 12345
GETRANGE n2 0 2
GETRANGE n2 -2 -1
SET e ""
GETRANGE e 0 -1
GETRANGE e 0 0

=== strings/lcs
MSET a ohmytext b mynewtext
LCS a b
LCS b a
LCS a b LEN
LCS a b IDX
LCS a b IDX MINMATCHLEN 4
LCS a b IDX WITHMATCHLEN
LCS a b IDX MINMATCHLEN 2 WITHMATCHLEN
LCS a b IDX MINMATCHLEN -1
LCS a b idx len
LCS a b LEN IDX
LCS a missing
LCS missing1 missing2
LCS missing1 missing2 IDX
LCS a b FOO
LCS a b IDX MINMATCHLEN abc
LCS a b IDX MINMATCHLEN
LCS a
MSET c "" d abc
LCS c d
LCS c d IDX
MSET e 1234 f 1224
LCS e f IDX WITHMATCHLEN

=== strings/encodings-refcount
SET k 123
OBJECT ENCODING k
SET k -1
OBJECT ENCODING k
SET k 9223372036854775807
OBJECT ENCODING k
SET k 9223372036854775808
OBJECT ENCODING k
SET k 01
OBJECT ENCODING k
SET k abc
OBJECT ENCODING k
SET k "01234567890123456789012345678901234567890123"
OBJECT ENCODING k
SET k "012345678901234567890123456789012345678901234"
OBJECT ENCODING k
APPEND k2 x
OBJECT ENCODING k2
SET k 123
OBJECT REFCOUNT k
SET k 10000
OBJECT REFCOUNT k
SET k abc
OBJECT REFCOUNT k
SET n 5
COPY n n2
OBJECT REFCOUNT n
OBJECT REFCOUNT n2
OBJECT ENCODING n2
RENAME n2 n3
OBJECT REFCOUNT n3
COPY n3 n4
MOVE n4 1
INCR n3
OBJECT REFCOUNT n3
SET n3 7
OBJECT REFCOUNT n3
SELECT 1
OBJECT REFCOUNT n4
SELECT 0
OBJECT ENCODING missing
OBJECT REFCOUNT missing
OBJECT FOO k
OBJECT ENCODING
OBJECT
OBJECT FREQ k
OBJECT IDLETIME k
OBJECT IDLETIME missing
OBJECT ENCODING k extra

=== keys/del-exists-type
MSET a 1 b 2 c 3
EXISTS a b c d a
DEL a b x
EXISTS a b c
DEL a
UNLINK c
UNLINK c d
DBSIZE
TYPE missing
SET s v
TYPE s
DEL
EXISTS
UNLINK
TYPE
TYPE s s
DBSIZE x

=== keys/rename
SET a 1
RENAME a b
GET b
EXISTS a
RENAME missing x
RENAME b b
RENAME missing missing
RENAMENX b c
GET c
SET d 4
RENAMENX c d
RENAMENX c c
RENAMENX missing z
SET e 5 EX 100
RENAME e f
TTL f
SET g 1
RENAME g f
TTL f
RENAME
RENAME a
RENAMENX a

=== keys/keys-pattern
MSET k1 1 k2 2 k3 3 key 4 other 5 "a*b" 6 "h\x00llo" 7 kx 8 Key 9
KEYS *
KEYS k?
KEYS k[12]
KEYS k[^1]
KEYS k[!1]
KEYS k[1-2]
KEYS "a\\*b"
KEYS *e*
KEYS nomatch
KEYS [kK]ey
KEYS h*llo
KEYS ?
KEYS ""
KEYS
KEYS a b

=== keys/scan
MSET k1 1 k2 2 k3 3 key 4 other 5 x1 1 x2 2 x3 3 x4 4 x5 5 x6 6 x7 7 x8 8 x9 9 y1 1 y2 2 y3 3
@scan SCAN 0
@scan SCAN 0 MATCH k*
@scan SCAN 0 MATCH x? COUNT 2
@scan SCAN 0 COUNT 1
@scan SCAN 0 COUNT 1000
@scan SCAN 0 TYPE string
@scan SCAN 0 TYPE list
@scan SCAN 0 MATCH nomatch
SCAN abc
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT abc
SCAN 0 FOO
SCAN 0 MATCH
SCAN
SCAN 18446744073709551616
FLUSHALL
SCAN 0
SCAN 0 MATCH *

=== keys/randomkey-dbsize
RANDOMKEY
SET only v
RANDOMKEY
MSET a 1 b 2 c 3
RANDOMKEY
RANDOMKEY
DBSIZE
RANDOMKEY x
FLUSHDB
RANDOMKEY
DBSIZE

=== keys/expire-options
SET k v
EXPIRE k 100
TTL k
EXPIRE k 100 NX
EXPIRE k 200 XX
TTL k
EXPIRE k 50 GT
EXPIRE k 500 GT
TTL k
EXPIRE k 1000 LT
EXPIRE k 10000 LT
EXPIRE k 100 LT
TTL k
EXPIRE k 10 NX XX
EXPIRE k 10 GT LT
EXPIRE k 10 NX GT
EXPIRE k 10 FOO
EXPIRE k 10 nx
EXPIRE missing 10
EXPIRE k abc
EXPIRE k 1.5
EXPIRE k
PERSIST k
PERSIST k
PERSIST missing
TTL k
EXPIRE k 10000 XX
EXPIRE k 10000 GT
EXPIRE k 10000 LT
TTL k
PERSIST k
EXPIRE k 10000 NX
PEXPIRE k 100000000 GT
PEXPIRE k 100000
PTTL k
PEXPIREAT k 4102444800000
PEXPIRETIME k
EXPIRETIME k
TTL k
EXPIREAT k 4102444800
EXPIRETIME k
EXPIREAT k 4102444801 LT
EXPIREAT k 4102444801 GT
EXPIRETIME k
PEXPIREAT k 4102444801000 XX
TTL missing
PTTL missing
EXPIRETIME missing
PEXPIRETIME missing
SET p v
TTL p
PTTL p
EXPIRETIME p
PEXPIRETIME p

=== keys/expire-edge-values
SET k v
EXPIRE k -1
EXISTS k
SET k v
EXPIREAT k 1
EXISTS k
SET k v
EXPIRE k 0
GET k
SET k v
PEXPIRE k 0
GET k
SET k v
PEXPIREAT k 1
DBSIZE
SET k v
EXPIRE k 9223372036854775807
EXPIRE k 9223372036854775
EXPIRE k 9223372036854776
EXPIRE k -9223372036854775808
PEXPIRE k 9223372036854775807
PEXPIRE k -9223372036854775808
EXPIREAT k 9223372036854775807
EXPIREAT k -9223372036854775808
PEXPIREAT k 9223372036854775807
TTL k
EXPIRETIME k
PEXPIRETIME k
EXPIRE k 100 GT
EXPIRE k -1 GT
EXISTS k
SET k v EX 100
EXPIRE k -1 LT
EXISTS k
SET k v EX 100
EXPIRE k -1 XX
EXISTS k
SET k v
EXPIRE k -1 NX
EXISTS k

=== keys/lazy-expiry
SET k v PX 1
SET k2 v PX 1
MSET a 1 b 2
SET k3 v PX 1
SET h v
PEXPIRE h 1
@sleep 30
GET k
EXISTS k2
TTL k3
PTTL k3
TYPE h
STRLEN h
KEYS *
@scan SCAN 0
RANDOMKEY
SET k2 again
GET k2
TTL k2
MGET k k2 k3
EXPIRE k3 100
PERSIST k3
RENAME k3 x
SETNX k3 fresh
GET k3
INCR k
APPEND k2 x

=== keys/active-expire-huge-deadlines
MSET a 1 b 2 c 3 d 4
PEXPIREAT a 9223372036854775807
PEXPIREAT b 9223372036854775806
EXPIREAT c 9223372036854775
PEXPIRE d 100000000
@sleep 250
DBSIZE
TTL a
EXPIRETIME c
PING

=== keys/touch-persist
MSET a 1 b 2
TOUCH a b c
TOUCH missing
TOUCH
SET a 1 EX 100
PERSIST a
TTL a
GET a

=== keys/copy
SET a 1
COPY a b
GET b
COPY a b
COPY a b REPLACE
COPY a b replace
COPY missing c
COPY a a
COPY a a REPLACE
COPY a b DB 1
SELECT 1
GET b
SELECT 0
COPY a b DB 16
COPY a b DB -1
COPY a b DB abc
COPY a b DB
COPY a b FOO
COPY a
SET t v EX 100
COPY t t2
TTL t2
SET n 123
COPY n n2
OBJECT ENCODING n2
GET n2

=== keys/select-move-swapdb
SET a 1
MOVE a 1
MOVE a 1
SELECT 1
GET a
MOVE a 1
MOVE a 0
SELECT 0
EXISTS a
SET a 2
SELECT 1
SET a 3
MOVE a 0
GET a
SELECT 0
GET a
MOVE a 99
MOVE a -1
MOVE a abc
MOVE missing 1
SELECT 16
SELECT -1
SELECT abc
SELECT 15
SELECT 0
SELECT
SET x 1
SWAPDB 0 2
GET x
DBSIZE
SELECT 2
GET x
DBSIZE
SWAPDB 0 16
SWAPDB a 1
SWAPDB 0 -1
SWAPDB 0 0
SWAPDB 0
SELECT 0
SET t v EX 100
MOVE t 3
SELECT 3
TTL t

=== keys/flush
MSET a 1 b 2
SELECT 1
MSET c 3 d 4
FLUSHDB
DBSIZE
SELECT 0
DBSIZE
FLUSHDB ASYNC
DBSIZE
SET a 1
FLUSHDB SYNC
FLUSHDB sync
FLUSHDB FOO
FLUSHDB SYNC ASYNC
FLUSHALL SYNC
FLUSHALL ASYNC
FLUSHALL FOO
SET a 1
SELECT 5
SET b 2
FLUSHALL
DBSIZE
SELECT 0
DBSIZE

=== keys/info-keyspace
MSET a 1 b 2
SET c 3 EX 1000
SELECT 3
SET d 4
INFO keyspace
FLUSHALL
INFO keyspace

=== conn/ping-echo
PING
PING hello
PING ""
PING a b
ping
ECHO hi
ECHO "\x00\xff"
ECHO
ECHO ""
ECHO a b

=== conn/hello-resp3
HELLO 2
HELLO 3
PING
PING hi
GET missing
SET k v
GET k
MGET k missing
INCRBYFLOAT f 1.5
EXISTS k
TTL k
TYPE k
KEYS *
CONFIG GET maxmemory
SET k v GET
SET k2 v NX GET
ECHO x
HELLO 2
GET missing
MGET k missing

=== pubsub/subscribed-mode
SUBSCRIBE a
PSUBSCRIBE p*
SSUBSCRIBE s
SUBSCRIBE a
PING
PING x
GET k
CLIENT ID
UNSUBSCRIBE a
UNSUBSCRIBE
PUNSUBSCRIBE p*
GET k
SUNSUBSCRIBE
SUNSUBSCRIBE
GET k
PING

=== pubsub/reset-leaves-subscribed-mode
PSUBSCRIBE x*
SET k v
RESET
SET k v
GET k
PUBSUB NUMPAT

=== pubsub/resp3-subscriber
HELLO 3
SUBSCRIBE a
PING
GET k
SET k v
PUBSUB NUMSUB a
UNSUBSCRIBE
UNSUBSCRIBE
HELLO 2
PING

=== server/help_of_every_container
COMMAND HELP
CONFIG HELP
MEMORY HELP
OBJECT HELP
SCRIPT HELP
FUNCTION HELP
LATENCY HELP
SLOWLOG HELP
ACL HELP
DEBUG HELP
=== pubsub/introspection
PUBLISH ch msg
SPUBLISH ch msg
PUBSUB NUMSUB
PUBSUB NUMSUB a b
PUBSUB NUMPAT
PUBSUB CHANNELS
PUBSUB CHANNELS *
PUBSUB SHARDCHANNELS
PUBSUB SHARDCHANNELS x*
PUBSUB SHARDNUMSUB x
PUBSUB HELP
PUBSUB
PUBSUB foo
PUBSUB CHANNELS a b
PUBSUB SHARDCHANNELS a b
PUBSUB NUMPAT x
PUBLISH
PUBLISH a
SPUBLISH a
SUBSCRIBE
PSUBSCRIBE
SSUBSCRIBE
COMMAND INFO publish spublish subscribe psubscribe ssubscribe unsubscribe punsubscribe sunsubscribe
COMMAND GETKEYS SPUBLISH ch msg
COMMAND GETKEYS SSUBSCRIBE a b

=== conn/hello-errors
HELLO 4
HELLO 1
HELLO 0
HELLO abc
HELLO -1
HELLO 3 FOO
HELLO 2 SETNAME myname
CLIENT GETNAME
HELLO 2 SETNAME "bad name"
HELLO 3 AUTH default pass
HELLO 3 AUTH default
HELLO 3 SETNAME

=== conn/client-names
CLIENT GETNAME
CLIENT SETNAME foo
CLIENT GETNAME
CLIENT SETNAME "a b"
CLIENT SETNAME "a\nb"
CLIENT GETNAME
CLIENT SETNAME ""
CLIENT GETNAME
CLIENT SETNAME
CLIENT SETNAME a b
CLIENT ID
CLIENT SETNAME tester
CLIENT INFO
CLIENT LIST
CLIENT FOO
CLIENT

=== conn/unknown-and-arity
FOO
FOO bar baz
foo "" x
""
GETT k
GET
SET a
MGET
"GET "
get missing
GeT missing
CONFIG
CLIENT
COMMAND FOO

=== server/config-get
CONFIG GET maxmemory
CONFIG GET maxmemory-policy
CONFIG GET databases
CONFIG GET save
CONFIG GET appendonly
CONFIG GET timeout
CONFIG GET hz
CONFIG GET maxclients
CONFIG GET nonexistent
CONFIG GET proto-max-bulk-len
CONFIG GET tcp-keepalive
CONFIG GET lfu-log-factor
CONFIG GET lfu-decay-time
CONFIG GET slowlog-log-slower-than
CONFIG GET slowlog-max-len
CONFIG GET MAXMEMORY
CONFIG GET maxmemory databases
CONFIG GET bind
CONFIG GET daemonize
CONFIG GET
CONFIG FOO

=== server/config-set
CONFIG SET maxmemory 100mb
CONFIG GET maxmemory
CONFIG SET maxmemory 1gb
CONFIG GET maxmemory
CONFIG SET maxmemory 0
CONFIG SET maxmemory abc
CONFIG SET maxmemory-policy allkeys-lru
CONFIG GET maxmemory-policy
CONFIG SET maxmemory-policy bogus
CONFIG SET maxmemory-policy noeviction
CONFIG SET hz 20
CONFIG GET hz
CONFIG SET hz abc
CONFIG SET hz 10
CONFIG SET foo bar
CONFIG SET databases 4
CONFIG SET timeout 0
CONFIG SET
CONFIG SET maxmemory
CONFIG SET hz 15 maxmemory 10mb
CONFIG GET hz
CONFIG GET maxmemory
CONFIG SET hz 16 hz 17
CONFIG SET hz 18 maxmemory bogus
CONFIG GET hz
CONFIG SET maxmemory 0 hz 10
CONFIG SET HZ 11
CONFIG GET hz

=== server/command-introspection
COMMAND INFO get
COMMAND INFO set
COMMAND INFO get set nonexistent
COMMAND INFO GET
COMMAND COUNT
COMMAND GETKEYS SET a b
COMMAND GETKEYS GET a
COMMAND GETKEYS MSET a 1 b 2
COMMAND GETKEYS DEL a b c
COMMAND GETKEYS GET
COMMAND GETKEYS PING
COMMAND GETKEYS FOO a
COMMAND GETKEYS

=== server/lolwut
LOLWUT VERSION 5 20 4 2
LOLWUT VERSION 5 66 8 2
LOLWUT VERSION 5 1 1 1
LOLWUT VERSION 5 3 2 1
LOLWUT VERSION 49 10 2 2
LOLWUT VERSION 5 0 -5 1
LOLWUT VERSION 5 2000 300 1
LOLWUT VERSION x
LOLWUT VERSION 5 a
LOLWUT VERSION 6 a
LOLWUT VERSION 6 1 b
LOLWUT VERSION 7 a
LOLWUT VERSION -1
LOLWUT VERSION 59
LOLWUT VERSION 6 1 1
LOLWUT VERSION
LOLWUT 5 5 5
LOLWUT
COMMAND INFO lolwut
COMMAND DOCS lolwut

=== server/command-getkeys-movable
COMMAND GETKEYS XREAD STREAMS a b 0 0
COMMAND GETKEYS XREAD COUNT 2 BLOCK 0 STREAMS a 0
COMMAND GETKEYS XREADGROUP GROUP g c COUNT 1 STREAMS a b > >
COMMAND GETKEYS XREAD STREAMS a b 0
COMMAND GETKEYS XREAD COUNT 1
COMMAND GETKEYSANDFLAGS XREADGROUP GROUP g c STREAMS a >
COMMAND GETKEYS SORT k BY w:* GET h:* STORE dst
COMMAND GETKEYS SORT_RO k
COMMAND GETKEYS ZUNIONSTORE d 2 a b WEIGHTS 1 2
COMMAND GETKEYS ZINTER 2 a b
COMMAND GETKEYS ZDIFF 0 a
COMMAND GETKEYS EVAL "return 1" 2 a b c
COMMAND GETKEYS EVAL "return 1" 0
COMMAND GETKEYS FCALL f 1 a x
COMMAND GETKEYS LMPOP 2 a b LEFT
COMMAND GETKEYS BLMPOP 0 2 a b LEFT
COMMAND GETKEYS ZMPOP 1 a MIN
COMMAND GETKEYS SINTERCARD 2 a b LIMIT 1
COMMAND GETKEYSANDFLAGS LMOVE a b LEFT RIGHT
COMMAND GETKEYSANDFLAGS SET a b
COMMAND GETKEYSANDFLAGS MIGRATE 127.0.0.1 1 "" 0 5000 COPY KEYS a b
COMMAND GETKEYSANDFLAGS MIGRATE 127.0.0.1 1 k 0 5000
COMMAND GETKEYS MIGRATE 127.0.0.1 1 "" 0 5000 AUTH keys KEYS a
COMMAND GETKEYS MIGRATE 127.0.0.1 1 k 0 5000 KEYS a
COMMAND LIST FILTERBY PATTERN xa[^c]*
COMMAND LIST FILTERBY PATTERN lolwut
COMMAND LIST FILTERBY MODULE foo
COMMAND LIST FILTERBY ACLCAT nosuch
COMMAND LIST FILTERBY FOO bar

=== server/command-info-more
COMMAND INFO del
COMMAND INFO mget mset msetnx
COMMAND INFO incr incrbyfloat getex getdel lcs
COMMAND INFO expire pexpireat ttl copy rename scan keys
# Container commands (CLIENT, CONFIG, COMMAND) list subcommands in hash order, which differs per process.
COMMAND INFO ping echo hello select
COMMAND INFO info dbsize flushall
COMMAND INFO config|get client|setname
COMMAND GETKEYS COPY a b
COMMAND GETKEYS RENAME a b
COMMAND GETKEYS LCS a b
COMMAND GETKEYS EXPIRE k 10
COMMAND GETKEYSANDFLAGS SET k v
COMMAND GETKEYSANDFLAGS SET k v EX 10 get
COMMAND GETKEYSANDFLAGS MSET a 1 b 2
COMMAND GETKEYSANDFLAGS COPY a b DB 1
COMMAND GETKEYSANDFLAGS RENAMENX a b
COMMAND GETKEYSANDFLAGS DEL a b
COMMAND GETKEYSANDFLAGS GETEX a
COMMAND GETKEYSANDFLAGS MEMORY USAGE a
COMMAND GETKEYSANDFLAGS OBJECT ENCODING a
COMMAND GETKEYS OBJECT HELP
COMMAND INFO nonexistent
COMMAND INFO memory|usage object|freq slowlog|len
# Only a command without history: DOCS history/notes are Redis's documentation text.
COMMAND DOCS get
COMMAND DOCS nonexistent

=== server/slowlog-memory
SLOWLOG LEN
SLOWLOG RESET
SLOWLOG GET 0
SLOWLOG FOO
SET k v
MEMORY USAGE k
MEMORY USAGE missing
CONFIG RESETSTAT
DBSIZE

=== conn/reset
SELECT 3
SET k v
CLIENT SETNAME someone
HELLO 3
RESET
CLIENT GETNAME
GET k
PING
RESET extra

=== server/misc
DBSIZE
TIME
LASTSAVE
INFO
INFO server
INFO keyspace
INFO bogus

=== types/wrongtype
@requires LPUSH HSET SADD ZADD
LPUSH l a
TYPE l
GET l
SET l v
TYPE l
LPUSH l2 a
INCR l2
INCRBYFLOAT l2 1
APPEND l2 x
STRLEN l2
GETRANGE l2 0 1
SETRANGE l2 0 x
GETSET l2 x
GETDEL l2
GETEX l2
MGET l2
LCS l2 l2
SETNX l2 x
RENAME l2 l3
TYPE l3
OBJECT ENCODING l3
HSET h f v
TYPE h
GET h
SADD s m
TYPE s
GET s
ZADD z 1 m
TYPE z
GET z
@scan SCAN 0 TYPE list
@scan SCAN 0 TYPE hash
@scan SCAN 0 TYPE string
=== types/lists
@requires RPUSH LPUSH LRANGE
RPUSH l a b c
LPUSH l z y
LRANGE l 0 -1
LRANGE l 1 2
LRANGE l -2 -1
LRANGE l 5 10
LRANGE l -100 100
LRANGE l a b
LLEN l
LLEN missing
LINDEX l 0
LINDEX l -1
LINDEX l 100
LINDEX l abc
LSET l 0 first
LSET l 100 x
LSET missing 0 x
LRANGE l 0 -1
LPOP l
RPOP l
LPOP l 2
LPOP l 0
LPOP l -1
RPOP l 100
EXISTS l
LPOP l
LPOP l 2
RPUSH l 1 2 3 2 1 2
LREM l 2 2
LRANGE l 0 -1
LREM l -1 1
LREM l 0 9
LRANGE l 0 -1
LINSERT l BEFORE 3 x
LINSERT l AFTER 3 y
LINSERT l AFTER nope y
LINSERT l MIDDLE 3 y
LRANGE l 0 -1
LPOS l 3
LPOS l nope
RPUSH p a b c a b c a
LPOS p a RANK 2
LPOS p a RANK -1
LPOS p a COUNT 0
LPOS p a COUNT 2 MAXLEN 4
LPOS p a RANK 0
LTRIM p 1 -2
LRANGE p 0 -1
LTRIM p 5 1
EXISTS p
LPUSHX nolist a
RPUSHX l tail
LMOVE l l2 LEFT RIGHT
LMOVE l l2 RIGHT LEFT
LRANGE l2 0 -1
RPOPLPUSH l l2
LRANGE l 0 -1
OBJECT ENCODING l
RPUSH l2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
LLEN l2
LPUSH
RPUSH l
SET s v
LPUSH s a
LRANGE s 0 -1

=== types/hashes
@requires HSET HGET
HSET h f1 v1 f2 v2
HSET h f1 v9
HGET h f1
HGET h nope
HGET missing f
HMGET h f1 nope f2
HLEN h
HEXISTS h f1
HEXISTS h nope
HSTRLEN h f1
HSETNX h f1 x
HSETNX h f3 v3
HGETALL h
HKEYS h
HVALS h
HDEL h f1 nope
HDEL h f2 f3
EXISTS h
HINCRBY h n 5
HINCRBY h n -10
HINCRBY h n abc
HINCRBY h n 9223372036854775807
HSET h s str
HINCRBY h s 1
HINCRBYFLOAT h fl 1.5
HINCRBYFLOAT h fl 0.1
HINCRBYFLOAT h s 1
HINCRBYFLOAT h fl inf
HMSET h a 1 b 2
HMSET h a
HSET h a
HGETALL h
OBJECT ENCODING h
HSET big f aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING big
HGETALL missing
@scan HSCAN h 0
@scan HSCAN h 0 MATCH a*
HRANDFIELD missing
SET s v
HSET s f v
HGET s f

=== types/lists-edge
@requires RPUSH LPOS LMPOP BLPOP
RPUSH l a b a c a
LPOS l a RANK -9223372036854775808
LPOS l a RANK 9223372036854775807
LPOS l a RANK -1 COUNT 0
LPOS l a RANK 2 COUNT 2 MAXLEN 3
LPOS l a RANK x
LPOS l a COUNT x
LPOS l a MAXLEN -1
LPOS l a COUNT
LPOS nokey a COUNT 0
LPOP l x
LPOP nokey 0
LPOP l 9223372036854775807
RPOP l 1 2
RPUSH m 1 2 3 4 5
LMPOP 0 m LEFT
LMPOP x m LEFT
LMPOP 9223372036854775807 m LEFT
LMPOP 2 m LEFT
LMPOP 1 m UP
LMPOP 1 m LEFT COUNT 0
LMPOP 1 m LEFT COUNT 1 COUNT 1
LMPOP 1 m LEFT FOO
LMPOP 2 none m RIGHT COUNT 2
LMPOP 1 m left count 100
LMPOP 1 m LEFT
EXISTS m
RPUSH b 1 2
BLPOP none b 0
BRPOP b 0.01
BLPOP b 0.01
BLPOP b -1
BLPOP b abc
BLPOP b nan
BLPOP b inf
BLMOVE b c LEFT LEFT 0.01
BLMOVE b c UP LEFT x
BLMOVE b c LEFT LEFT x
BRPOPLPUSH b c -1
BLMPOP 0.01 1 b LEFT
BLMPOP x 0 b LEFT
BLMPOP -1 1 b LEFT
RPUSH b z y x
BLMPOP 0 1 b RIGHT COUNT 2
BRPOPLPUSH b c 0
SET str v
BLPOP str 0
BLMOVE str c LEFT LEFT 0
RPUSH src x
BLMOVE src str LEFT LEFT 0
LRANGE src 0 -1
RPUSH r 1
LMOVE r r LEFT RIGHT
LRANGE r 0 -1
HELLO 3
BLPOP none 0.01
LPOP none 2
LMPOP 1 none LEFT
BLMPOP 0.01 1 none LEFT
HELLO 2

=== types/lists-encodings
@requires RPUSH LRANGE
CONFIG SET list-max-listpack-size 4
RPUSH q 1 2 3 4 5 6 7 8 9 10 11 12 13
OBJECT ENCODING q
LINDEX q 9
LRANGE q 3 10
LSET q 11 eleven
LINSERT q AFTER 6 six-and-a-half
LREM q 0 3
LTRIM q 2 -3
LRANGE q 0 -1
LLEN q
CONFIG SET list-max-ziplist-size -1
CONFIG GET list-max-listpack-size
RPUSH w aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING w
TYPE w
COPY w w2
LRANGE w2 0 -1
RENAME w w3
TYPE w3
@scan SCAN 0 TYPE list

=== types/lists-compressed
@requires RPUSH LRANGE LPOS LMPOP
CONFIG SET list-compress-depth 1
CONFIG SET list-max-listpack-size 4
@include types/lists
@include types/lists-edge
DEL l m b c src r
RPUSH big value-000-abcabcabcabcabcabc value-001-abcabcabcabcabcabc value-002-abcabcabcabcabcabc value-003-abcabcabcabcabcabc value-004-abcabcabcabcabcabc value-005-abcabcabcabcabcabc value-006-abcabcabcabcabcabc value-007-abcabcabcabcabcabc value-008-abcabcabcabcabcabc value-009-abcabcabcabcabcabc value-010-abcabcabcabcabcabc value-011-abcabcabcabcabcabc value-012-abcabcabcabcabcabc value-013-abcabcabcabcabcabc value-014-abcabcabcabcabcabc value-015-abcabcabcabcabcabc value-016-abcabcabcabcabcabc value-017-abcabcabcabcabcabc value-018-abcabcabcabcabcabc value-019-abcabcabcabcabcabc value-020-abcabcabcabcabcabc value-021-abcabcabcabcabcabc value-022-abcabcabcabcabcabc value-023-abcabcabcabcabcabc value-024-abcabcabcabcabcabc value-025-abcabcabcabcabcabc value-026-abcabcabcabcabcabc value-027-abcabcabcabcabcabc value-028-abcabcabcabcabcabc value-029-abcabcabcabcabcabc value-030-abcabcabcabcabcabc value-031-abcabcabcabcabcabc value-032-abcabcabcabcabcabc value-033-abcabcabcabcabcabc value-034-abcabcabcabcabcabc value-035-abcabcabcabcabcabc value-036-abcabcabcabcabcabc value-037-abcabcabcabcabcabc value-038-abcabcabcabcabcabc value-039-abcabcabcabcabcabc
LINDEX big 17
LINDEX big -23
LRANGE big 10 20
LRANGE big -30 -25
LSET big 18 changed-value-changed-value-changed-value
LINSERT big BEFORE value-021-abcabcabcabcabcabc inserted-before-inserted-before
LINSERT big AFTER value-025-abcabcabcabcabcabc inserted-after
LPOS big value-030-abcabcabcabcabcabc
LPOS big changed-value-changed-value-changed-value RANK -1
LREM big 1 value-012-abcabcabcabcabcabc
LREM big -1 value-033-abcabcabcabcabcabc
LRANGE big 0 -1
LMOVE big big2 LEFT RIGHT
RPOPLPUSH big big2
LPOP big 9
RPOP big 9
LTRIM big 3 -4
LRANGE big 0 -1
BLMPOP 0.01 1 big LEFT COUNT 5
LLEN big
CONFIG SET list-compress-depth 2
RPUSH big2 value-000-abcabcabcabcabcabc value-001-abcabcabcabcabcabc value-002-abcabcabcabcabcabc value-003-abcabcabcabcabcabc value-004-abcabcabcabcabcabc value-005-abcabcabcabcabcabc value-006-abcabcabcabcabcabc value-007-abcabcabcabcabcabc value-008-abcabcabcabcabcabc value-009-abcabcabcabcabcabc value-010-abcabcabcabcabcabc value-011-abcabcabcabcabcabc value-012-abcabcabcabcabcabc value-013-abcabcabcabcabcabc value-014-abcabcabcabcabcabc value-015-abcabcabcabcabcabc value-016-abcabcabcabcabcabc value-017-abcabcabcabcabcabc value-018-abcabcabcabcabcabc value-019-abcabcabcabcabcabc value-020-abcabcabcabcabcabc value-021-abcabcabcabcabcabc value-022-abcabcabcabcabcabc value-023-abcabcabcabcabcabc value-024-abcabcabcabcabcabc value-025-abcabcabcabcabcabc value-026-abcabcabcabcabcabc value-027-abcabcabcabcabcabc value-028-abcabcabcabcabcabc value-029-abcabcabcabcabcabc value-030-abcabcabcabcabcabc value-031-abcabcabcabcabcabc value-032-abcabcabcabcabcabc value-033-abcabcabcabcabcabc value-034-abcabcabcabcabcabc value-035-abcabcabcabcabcabc value-036-abcabcabcabcabcabc value-037-abcabcabcabcabcabc value-038-abcabcabcabcabcabc value-039-abcabcabcabcabcabc
LRANGE big2 15 35
LINSERT big2 BEFORE value-020-abcabcabcabcabcabc x
LREM big2 0 value-010-abcabcabcabcabcabc
LRANGE big2 0 -1
CONFIG SET list-compress-depth 0
CONFIG SET list-max-listpack-size -2

=== types/hashes-edge
@requires HSET HRANDFIELD HINCRBYFLOAT HSCAN
HSET h a 1 b 2 c 3
HRANDFIELD h -9223372036854775808
HRANDFIELD h -9223372036854775807 WITHVALUES
HRANDFIELD h -4611686018427387904 WITHVALUES
HRANDFIELD h x
HRANDFIELD h 1 foo
HRANDFIELD h 1 WITHVALUES x
HRANDFIELD h 0
HRANDFIELD h 3 WITHVALUES
HRANDFIELD h 30
HRANDFIELD nokey 0
HRANDFIELD nokey 5 WITHVALUES
HRANDFIELD nokey
HRANDFIELD nokey x
HINCRBYFLOAT h a x
HINCRBYFLOAT h a inf
HINCRBYFLOAT h a nan
HINCRBYFLOAT h a 0.1
HINCRBYFLOAT h n 10.5
HINCRBYFLOAT h n 0.1
HINCRBYFLOAT h z -0
HINCRBYFLOAT h e 5.0e3
HINCRBYFLOAT h e 1e4932
HINCRBYFLOAT h e 1.18973149535723176502e+4932
HINCRBYFLOAT h x 0x10
HSET h g 1.5
HINCRBY h g 1
HSET h m 9223372036854775807
HINCRBY h m 1
HINCRBY h m -1
HSTRLEN h n
HSTRLEN h nope
HSETNX nk f x
HMGET nk a b
HEXISTS nk a
HSCAN nk 0 COUNT x
HSCAN nk 0 COUNT 0
HSCAN nk 0 FOO
HSCAN nk x
HSCAN h 0 MATCH n*
HSCAN h 0 TYPE string
SET s v
HSCAN s 0 FOO
HDEL nk a
HELLO 3
HGETALL nokey
HGETALL h
HRANDFIELD h 3 WITHVALUES
HRANDFIELD nokey
HELLO 2
CONFIG SET hash-max-listpack-entries 2
HSET small a 1 b 2
OBJECT ENCODING small
HSET small c 3
OBJECT ENCODING small
CONFIG SET hash-max-ziplist-value 4
HSET v a 1234
OBJECT ENCODING v
HSET v b 12345
OBJECT ENCODING v
HGETALL v
DEL v
HSETNX v abcde 1
OBJECT ENCODING v
HINCRBYFLOAT v abcde 1.5
HKEYS v
HVALS v
COPY v v2
HGETALL v2
TYPE v2

=== types/sets
@requires SADD SMEMBERS
SADD s a b c
SADD s a d
SCARD s
SISMEMBER s a
SISMEMBER s z
SMISMEMBER s a z b
SMEMBERS s
SREM s a z
SMEMBERS s
OBJECT ENCODING s
SADD n 1 2 3
OBJECT ENCODING n
SADD n x
OBJECT ENCODING n
SADD t c d e
SINTER s t
SUNION s t
SDIFF s t
SINTER s missing
SINTERCARD 2 s t
SINTERCARD 2 s t LIMIT 1
SINTERSTORE dst s t
SMEMBERS dst
SUNIONSTORE dst s t
SCARD dst
SDIFFSTORE dst s t
SMEMBERS dst
SMOVE s t b
SMOVE s t nope
SMEMBERS t
SRANDMEMBER missing
SRANDMEMBER s 0
SPOP missing
SCARD missing
@scan SSCAN t 0
SET str v
SADD str a
SINTER s str

=== types/zsets
@requires ZADD ZRANGE
ZADD z 1 a 2 b 3 c
ZADD z 1.5 a
ZADD z NX 10 a 4 d
ZADD z XX 5 b 6 new
ZADD z GT 1 c
ZADD z LT 1 c
ZADD z CH 7 c 8 e
ZADD z INCR 2 a
ZADD z INCR 2 a 3 b
ZADD z nan a
ZADD z abc a
ZADD z NX XX 1 a
ZADD z 1
ZRANGE z 0 -1
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 0 1 REV
ZRANGE z 1 5 BYSCORE
ZRANGE z (1 +inf BYSCORE LIMIT 1 2
ZRANGE z - + BYLEX
ZRANGEBYSCORE z -inf +inf WITHSCORES
ZREVRANGE z 0 -1
ZSCORE z a
ZSCORE z nope
ZMSCORE z a nope
ZCARD z
ZCOUNT z 1 5
ZRANK z c
ZREVRANK z c
ZINCRBY z 1.5 a
ZINCRBY z abc a
ZREM z a nope
ZPOPMIN z
ZPOPMAX z 2
ZRANGE z 0 -1 WITHSCORES
OBJECT ENCODING z
ZADD z inf i -inf ni
ZRANGE z 0 -1 WITHSCORES
ZADD z 0.1 f 1e-5 g 123456789.123 h
ZRANGE z 0 -1 WITHSCORES
ZREMRANGEBYSCORE z -inf 0
ZRANGE z 0 -1
@scan ZSCAN z 0
SET str v
ZADD str 1 a
ZRANGE str 0 -1

=== types/sets-edge
@requires SADD SINTERCARD SMISMEMBER
sadd s a b c
sadd s a d
scard s
sismember s a
smismember s a z b
smismember missing a
smembers missing
srem s a z
srem missing a
object encoding s
sadd n 1 2 3 -5 100
object encoding n
smembers n
sadd n x
object encoding n
sadd t c d e
sinterstore dst s t
smembers dst
sunionstore dst s t
scard dst
sdiffstore dst s t
smembers dst
sinterstore dst s missing
exists dst
smove s t b
smove s t nope
smove missing t b
smove s s c
smove s s zz
set str v
smove s str c
smove str s c
smove missing str c
sadd i1 1 2 3
sadd i2 2 3 4
sinter i1 i2
sunion i1 i2
sdiff i1 i2
sinterstore d i1 i2
object encoding d
smembers d
sunionstore d i1 s
object encoding d
sdiffstore d i1 i1
exists d
spop i1 10
exists i1
sadd one x
spop one
exists one
spop one
srandmember missing 5
srandmember missing -5
srandmember missing
sadd big 1
srandmember big -3
srandmember big 3
srandmember big 1
@scan sscan missing 0
@scan sscan str 0
@scan sscan big abc
@scan sscan big 0 count 0
@scan sscan big 0 type set
@scan sscan big 0 match 1*
@scan sscan big 0 count 1 count 2
sadd e ""
smembers e
sintercard 2 i2 big
sintercard 1 missing
sinter str s
sunion s str
sdiff missing str
sdiffstore dst missing str
sadd nn 9223372036854775807 -9223372036854775808 9223372036854775808
smembers nn
object encoding nn
config set set-max-intset-entries 3
sadd lim 1 2 3
object encoding lim
sadd lim 4
object encoding lim
sinterstore d2 lim lim
object encoding d2
config set set-max-intset-entries 512
del d2

=== types/zsets-edge
@requires ZADD ZRANGESTORE ZMPOP ZINTERCARD
zadd z 1 a 2 b 3 c
zadd z 1.5 a
zadd z NX 10 a 4 d
zadd z XX 5 b 6 new
zadd z GT 1 c
zadd z LT 1 c
zadd z CH 7 c 8 e
zadd z INCR 2 a
zadd z XX INCR 2 nope
zadd z NX INCR 2 a
zadd z GT CH 100 a 0 b
zadd z nan a
zadd z abc a
zadd z 1
zadd z incr 1
zadd z lt gt 1 a
zadd nokey xx 1 a
zadd nokey xx incr 1 a
exists nokey
zrange z 0 -1
zrange z 0 -1 WITHSCORES
zrange z 0 1 REV
zrange z 0 1 REV withscores
zrange z 1 5 BYSCORE
zrange z (1 +inf BYSCORE LIMIT 1 2
zrange z +inf (1 BYSCORE REV LIMIT 1 2 withscores
zrange z - + BYLEX
zrange z + - BYLEX REV
zrange z [a (d BYLEX
zrange z a b BYLEX
zrange z 0 -1 byscore bylex
zrange z 0 -1 limit 0 1
zrange z 0 -1 withscores bylex
zrange z 0 -1 rev rev
zrange z 0 -1 limit 1
zrange z 0 -1 byscore limit a b
zrange z x 1
zrange z 0 1 foo
zrange missing 0 -1
zrange missing x 1
zrangebyscore z -inf +inf WITHSCORES
zrangebyscore z -inf +inf WITHSCORES limit 0 2
zrangebyscore z (1 (5
zrangebyscore z "" ""
zrangebyscore z ( (
zrangebyscore z 1x 2
zrevrangebyscore z +inf -inf
zrevrangebyscore z 5 1 withscores limit 1 1
zrangebylex z - + limit 0 2
zrevrangebylex z + - limit 0 2
zrangebylex z - + withscores
zrangebylex z x y
zrevrange z 0 -1
zrevrange z 0 -1 withscores
zrevrange z -2 -1
zrevrange z 5 1
zscore z a
zscore z nope
zscore missing a
zmscore z a nope
zmscore missing a b
zcard z
zcard missing
zcount z 1 5
zcount z (1 (5
zcount z -inf +inf
zcount z a b
zcount missing 1 2
zlexcount z - +
zlexcount z [a [c
zlexcount z a c
zrank z c
zrevrank z c
zrank z nope
zrank missing a
zincrby z 1.5 a
zincrby z abc a
zincrby z 1 newm
zincrby z 1e400 a
zrem z a nope
zrem missing a
zpopmin z
zpopmax z 2
zpopmin z 0
zpopmin z -1
zpopmin z abc
zpopmin z 1 2
zpopmin missing
zpopmin missing 2
zrange z 0 -1 WITHSCORES
object encoding z
zadd z inf i -inf ni
zrange z 0 -1 WITHSCORES
zadd z 0.1 f 1e-5 g 123456789.123 h 3.0 j -0 k 0 l 1e20 m 2.5e-310 n
zrange z 0 -1 WITHSCORES
zscore z k
zscore z n
zremrangebyscore z -inf 0
zrange z 0 -1
zremrangebyrank z 0 0
zremrangebyrank z 100 200
zremrangebyrank z -1 -1
zremrangebylex z - +
exists z
zremrangebylex z a b
zremrangebyscore z a b
zremrangebyrank z a b
zadd lex 0 a 0 b 0 c 0 d 0 e 0 f
zrangebylex lex [b [d
zrangebylex lex (b (d
zrangebylex lex (d (b
zrangebylex lex [f +
zlexcount lex (a [e
zremrangebylex lex [b (d
zrange lex 0 -1
zrangestore dst lex 0 -1
zrange dst 0 -1 withscores
object encoding dst
zrangestore dst lex 0 -1 rev limit 0 1
zrangestore dst lex - + bylex rev
zrangestore dst lex + - bylex rev limit 1 2
zrange dst 0 -1
zrangestore dst missing 0 -1
exists dst
zrangestore dst lex 10 20
set str v
zrangestore str lex 0 0
type str
zrangestore dst str 0 0
zadd z1 1 a 2 b 3 c
zadd z2 4 b 5 c 6 d
sadd s1 a d x
zunion 2 z1 z2
zunion 2 z1 z2 withscores
zunion 2 z1 z2 weights 2 3 withscores
zunion 2 z1 z2 aggregate min withscores
zunion 2 z1 z2 aggregate max withscores
zunion 3 z1 z2 s1 withscores
zinter 2 z1 z2 withscores
zinter 3 z1 z2 s1 withscores
zinter 2 z1 s1 withscores aggregate max
zdiff 2 z1 z2 withscores
zdiff 2 z2 s1 withscores
zdiff 1 missing
zinter 2 z1 missing
zunion 2 missing z1
zunion 2 z1 str
zunion 2 z1 z2 weights 1
zunion 2 z1 z2 weights 1 nan
zunion 2 z1 z2 weights 1 inf withscores
zunion 2 z1 z2 weights 0 inf withscores
zunionstore out 2 z1 z2
zrange out 0 -1 withscores
object encoding out
zinterstore out 2 z1 z2 weights 1 -1
zrange out 0 -1 withscores
zdiffstore out 2 z1 z1
exists out
zunionstore out 2 z1 z2 withscores
zintercard 2 z1 z2
zintercard 2 z1 z2 limit 1
zintercard 2 z1 z2 limit 0
zintercard 3 z1 z2 s1
zintercard 2 z1 missing
zadd inf 1 a
zadd inf2 inf a
zadd inf3 -inf a
zunion 2 inf2 inf3 withscores
zinter 2 inf2 inf3 withscores
zunion 2 inf2 inf3 weights 1 -1 withscores
zmpop 1 z1 min
zmpop 2 missing z2 max count 10
zmpop 1 missing min
zmpop 1 z1 foo
zmpop 1 z1
zmpop 2 z1
zmpop 1 str min
exists z2
zadd r 1 a 2 b
zrandmember missing
zrandmember missing 5
zrandmember r 0
zrandmember r 5 withscores
zrandmember r 2
zrandmember r -5 withscores
zrandmember r 1 withscores
zrandmember str
@scan zscan missing 0
@scan zscan r 0
@scan zscan r 0 match a*
@scan zscan r x
@scan zscan str 0
zadd big 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
object encoding big
zadd big 2 b
zrange big 0 -1 withscores
zrangestore d2 big 0 -1
object encoding d2
zrangestore d2 big 1 1
object encoding d2
zunionstore d3 1 big
object encoding d3
zadd z 1 x
zadd str 1 a
zincrby str 1 a
zrem str a
zcard str
zscore str a
zrange str 0 -1
zrandmember str 1
zpopmin str
zinter 1 str
config set zset-max-listpack-entries 2
zadd cz 1 a 2 b
object encoding cz
zadd cz 3 c
object encoding cz
zrem cz a b
object encoding cz
zunionstore cz2 1 cz
object encoding cz2
config set zset-max-listpack-entries 128

=== types/zsets-resp3
@requires ZADD ZRANGESTORE ZMPOP ZINTERCARD
HELLO 3
@include types/zsets-edge

=== types/sort
@requires SORT SORT_RO HSET ZADD
zadd tmpz 1 3 2 1 3 2 4 10 5 -5
sort tmpz by nosort store l
del tmpz
sort l
sort l desc
sort l alpha
sort l limit 1 2
sort l limit 1 9223372036854775807
sort l limit -1 2
sort l limit 9223372036854775807 9223372036854775807
sort l limit 0 0
sort l limit 2 -1
sort l limit a b
sort l limit 1
sort l by nosort
sort l by nosort desc
sort l by nosort limit 1 2
sort l by nosort desc limit 1 2
sort l by nosort limit 10 2
sort l foo
mset w_3 30 w_1 10 w_2 20 w_10 5 w_-5 1
sort l by w_*
sort l by w_* desc
sort l by w_* get #
sort l by w_* get # get w_*
sort l get w_* get nokey_*
sort l get #
sort l get nostar
sort l by w_* limit 1 2
hset h_1 f a
hset h_2 f b
hset h_3 f c
sort l by h_*->f alpha
sort l by h_*->f alpha desc
sort l get h_*->f
sort l get h_*->
sort l get h_->f*
sort l by w_* store dst
lrange dst 0 -1
object encoding dst
type dst
sort l get # get w_* store dst
lrange dst 0 -1
sort missing
sort missing store dst
exists dst
set str v
sort str
sort l store str
type str
zadd tmpz 1 b 2 a 3 c 4 B
sort tmpz by nosort store la
del tmpz
sort la
sort la alpha
sort la alpha desc
sort la alpha limit 1 2
sort_ro la alpha
sort_ro la alpha store x
sadd s 5 3 9 1
sort s
sort s desc
sort s by nosort
sort s by nosort store sd
lrange sd 0 -1
sadd sa b a c
sort sa alpha
sort sa by nosort store sd
lrange sd 0 -1
zadd z 3 a 1 b 2 c
sort z
sort z alpha
object encoding z
zadd z2 3 a 1 b 2 c
sort z2 by nosort
sort z2 by nosort desc
sort z2 by nosort limit 1 1
sort z2 by nosort desc limit 1 5
object encoding z2
sort z2 by nosort alpha
zadd tmpz 1 1.5 2 1e2 3 inf 4 -inf 5 0x10
sort tmpz by nosort store nums
del tmpz
sort nums
zadd tmpz 1 1 2 nan
sort tmpz by nosort store bad
del tmpz
sort bad
zadd tmpz 1 1e400
sort tmpz by nosort store big
del tmpz
sort big
zadd tmpz 1 ' 5' 2 4
sort tmpz by nosort store sp
del tmpz
sort sp
zadd tmpz 1 '' 2 1
sort tmpz by nosort store emp
del tmpz
sort emp
hset hh f v
sort hh
sort l by w_* alpha
zadd tmpz 1 2 2 1 3 3
sort tmpz by nosort store ties
del tmpz
mset t_1 1 t_2 1 t_3 1
sort ties by t_*
sort ties by t_* desc
sort ties by t_* alpha
sort ties by t_*

=== types/sort-resp3
@requires SORT SORT_RO HSET ZADD
HELLO 3
@include types/sort

=== types/sets-zsets-getkeys
@requires SINTERCARD ZUNIONSTORE SORT
COMMAND GETKEYS zunionstore dst 2 a b
COMMAND GETKEYS zunionstore dst 2abc a b
COMMAND GETKEYS zinterstore dst 0 a
COMMAND GETKEYS zdiffstore d 1 a
COMMAND GETKEYS zunion 2 a b withscores
COMMAND GETKEYS zunion 3 a b
COMMAND GETKEYS zintercard 1 a
COMMAND GETKEYS sintercard 2 a b
COMMAND GETKEYS sintercard 2 a
COMMAND GETKEYS zmpop 2 a b min
COMMAND GETKEYS bzmpop 0 2 a b min
COMMAND GETKEYS sort k store d by x get y
COMMAND GETKEYS sort k store d store e
COMMAND GETKEYS sort k limit 0 1 store
COMMAND GETKEYS sort_ro k get y
COMMAND GETKEYS zrangestore d s 0 1
COMMAND GETKEYS smove a b m
COMMAND GETKEYS sdiffstore d a b
COMMAND GETKEYS bzpopmin a b 0

=== types/zsets-lex-mixed-scores
@requires ZADD ZRANGEBYLEX
# Listpack-encoded: Redis's walk (is-in-range check, then far bound only) is deterministic here.
zadd m 1 d 2 a 3 c 4 b 5 e
zrangebylex m [a [c
zrangebylex m - [b
zrangebylex m [c +
zrevrangebylex m [c [a
zrevrangebylex m + [d
zlexcount m [a [c
zlexcount m [b +
zrangebylex m [e +
zrangebylex m - (d
zremrangebylex m [c [d
zrange m 0 -1
zremrangebylex m - [a
zrange m 0 -1
zadd m2 1 z 2 a
zrangebylex m2 [b [y
zrangebylex m2 - +
zlexcount m2 [b [y
zremrangebylex m2 [b [y
"#;

/// Malformed or unusual requests, each sent on a fresh connection. `true` means the server is expected to keep
/// the connection open, so the test half-closes it to learn where the output ends.
const PROTOCOL_CASES: &[(&str, &[u8], bool)] = &[
    ("bad multibulk length", b"*abc\r\n", false),
    ("multibulk length with junk", b"*1x\r\n", false),
    ("empty multibulk length", b"*\r\n", false),
    ("multibulk length too big", b"*3000000000\r\n", false),
    ("expected $ got +", b"*1\r\n+foo\r\n", false),
    ("expected $ got :", b"*2\r\n$3\r\nGET\r\n:1\r\n", false),
    ("bad bulk length", b"*1\r\n$abc\r\n", false),
    ("negative bulk length", b"*1\r\n$-1\r\n", false),
    ("bulk length over proto-max-bulk-len", b"*1\r\n$600000000\r\n", false),
    ("unbalanced quotes inline", b"SET \"a b\r\n", false),
    ("unbalanced single quote inline", b"SET 'a\r\n", false),
    ("quoted arg followed by junk", b"SET \"a\"b c\r\n", false),
    ("error after a good command", b"PING\r\n*x\r\n", false),
    ("good pipeline then bad bulk", b"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n", false),
    ("empty line ignored", b"\r\n\r\nPING\r\n", true),
    ("empty multibulk ignored", b"*0\r\n*-1\r\nPING\r\n", true),
    ("inline with LF only", b"PING\nECHO hi\n", true),
    ("inline quoting", b"SET \"a b\" 'c d'\r\nGET \"a b\"\r\nECHO \"\\x41\\n\"\r\n", true),
    ("inline unknown command", b"FOO bar baz\r\n", true),
    ("inline spaces", b"   PING    \r\n", true),
    ("bulk not followed by CRLF", b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", true),
    ("empty command name", b"*1\r\n$0\r\n\r\n", true),
    ("arity error via multibulk", b"*1\r\n$3\r\nGET\r\n", true),
    (
        "binary key multibulk",
        b"*3\r\n$3\r\nSET\r\n$3\r\n\x00\r\n\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$3\r\n\x00\r\n\r\n",
        true,
    ),
    ("pipeline of many", b"PING\r\nPING\r\nPING\r\nECHO a\r\nECHO b\r\n", true),
    ("QUIT closes after reply", b"PING\r\nQUIT\r\nPING\r\n", false),
];

fn run_protocol_case(port: u16, payload: &[u8], half_close: bool) -> (Vec<u8>, bool) {
    let mut c = Conn::connect(port);
    let _ = c.send_raw(payload);
    if half_close {
        c.shutdown_write();
    }
    c.read_until_close(3000)
}

#[test]
fn protocol_errors() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = Server::ferredis();
    let red = Server::redis();
    let mut failures = Vec::new();
    let mut cases: Vec<(String, Vec<u8>, bool)> =
        PROTOCOL_CASES.iter().map(|(n, p, h)| (n.to_string(), p.to_vec(), *h)).collect();
    // An inline request longer than 64KB without a newline (exactly one byte over, so nothing is left unread).
    cases.push(("too big inline request".into(), vec![b'a'; 64 * 1024 + 1], false));
    // Count lines too long to be lengths.
    let mut long_mbulk = b"*".to_vec();
    long_mbulk.extend(std::iter::repeat_n(b'1', 64 * 1024 + 1));
    cases.push(("too big mbulk count string".into(), long_mbulk, false));
    let mut long_bulk = b"*1\r\n$".to_vec();
    long_bulk.extend(std::iter::repeat_n(b'1', 64 * 1024 + 1));
    cases.push(("too big bulk count string".into(), long_bulk, false));
    for (name, payload, half_close) in &cases {
        let (fb, fclosed) = run_protocol_case(fer.port, payload, *half_close);
        let (rb, rclosed) = run_protocol_case(red.port, payload, *half_close);
        if std::env::var_os("DIFF_VERBOSE").is_some() {
            eprintln!("[protocol {name}] redis: {} (closed: {rclosed})", escape(&rb));
        }
        if fb != rb || fclosed != rclosed {
            failures.push(format!(
                "[protocol {name}] request {}\n  ferredis: {} (closed: {fclosed})\n  redis:    {} (closed: {rclosed})",
                escape(&payload[..payload.len().min(80)]),
                escape(&fb),
                escape(&rb)
            ));
        }
    }
    // The server must still be healthy after all of that.
    let mut c = fer.conn();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n", "ferredis unhealthy after protocol cases");
    if !failures.is_empty() {
        panic!("{} of {} protocol cases differ:\n\n{}\n", failures.len(), cases.len(), failures.join("\n\n"));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded random command sequences.

/// Keys collide often on purpose: few names, and every command family draws from the same pool.
const KEYS: &[&str] = &["k0", "k1", "k2", "k3", "k4", "{t}a", "\x00b"];

/// Values including edge cases for every parser: numbers near the limits, non-numbers, empty, binary, long.
const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "7",
    "10",
    "100",
    "12345",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "3.14",
    "-0.5",
    "1e10",
    "1e-5",
    "inf",
    "-inf",
    "nan",
    "abc",
    "hello world",
    " 1",
    "1 ",
    "0x10",
    "+1",
    "01",
    "\x00\u{ff}bin",
    "\r\n",
    "*",
    "k?",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "the quick brown fox jumps over the lazy dog, again and again and again!",
];

/// Integers for counts, offsets and increments (no small positive TTL ever comes from here).
const INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "-1",
    "-2",
    "-5",
    "10",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "abc",
    "",
    "1.5",
];

/// Relative expire arguments: only values that either expire at once, are far in the future, or are invalid,
/// so no key expires while a sequence runs.
const TTL_SECS: &[&str] = &["0", "-1", "100000", "200000", "9223372036854775807", "9223372036854775", "abc", "1.5", ""];
const TTL_MS: &[&str] = &["0", "-1", "100000000", "300000000", "9223372036854775807", "abc"];
const AT_SECS: &[&str] = &["1", "0", "-1", "4102444800", "4102444900", "9223372036854775807", "abc"];
const AT_MS: &[&str] = &["1", "0", "4102444800000", "4102444900000", "9223372036854775807", "abc"];
const AT_SECS_FUTURE: &[&str] = &["4102444800", "4102444900", "9223372036854775807", "abc", "-1", "0"];
const AT_MS_FUTURE: &[&str] = &["4102444800000", "4102444900000", "9223372036854775807", "abc", "0"];
const PATTERNS: &[&str] = &["*", "k*", "k[0-2]", "?1", "*a*", "\\{t\\}*", "", "k[^1]"];
const FLOATS: &[&str] = &["0", "1", "-1", "1.5", "0.1", "-2.25", "1e3", "5e-3", "inf", "abc", "1e308", "3.0", ""];
const SCORES: &[&str] = &["0", "1", "-1", "1.5", "inf", "-inf", "nan", "abc", "2", "3"];

struct Gen {
    rng: Prng,
}

type GenFn = fn(&mut Gen) -> Vec<String>;

impl Gen {
    fn key(&mut self) -> String {
        self.rng.pick(KEYS).to_string()
    }
    fn keys(&mut self, min: usize, max: usize) -> Vec<String> {
        let n = min + self.rng.below(max - min + 1);
        (0..n).map(|_| self.key()).collect()
    }
    fn val(&mut self) -> String {
        self.rng.pick(VALUES).to_string()
    }
    fn int(&mut self) -> String {
        self.rng.pick(INTS).to_string()
    }
    fn small(&mut self, n: usize) -> String {
        (self.rng.below(2 * n + 1) as i64 - n as i64).to_string()
    }
    fn p(&mut self, items: &[&str]) -> String {
        self.rng.pick(items).to_string()
    }
    /// An expiry option for SET/GETEX, sometimes malformed. `past_ok`: whether EXAT/PXAT may lie in the past.
    /// SET with a past deadline leaves a logically expired key in the keyspace until active expiry samples it,
    /// so DBSIZE would depend on timing; GETEX deletes such a key at once.
    /// XADD/XTRIM's trimming arguments, sometimes malformed.
    fn xtrim_opts(&mut self, out: &mut Vec<String>) {
        out.push(self.p(&["MAXLEN", "MINID", "maxlen", "BADSTRAT"]));
        if self.rng.chance(50) {
            out.push(self.p(&["=", "~"]));
        }
        out.push(if out.iter().any(|a| a.eq_ignore_ascii_case("MINID")) {
            self.p(XIDS)
        } else {
            self.p(&["0", "1", "2", "5", "-1", "abc"])
        });
        if self.rng.chance(20) {
            out.extend(["LIMIT".into(), self.p(&["0", "1", "10", "-1"])]);
        }
    }
    fn expiry_opt(&mut self, out: &mut Vec<String>, past_ok: bool) {
        match self.rng.below(6) {
            0 => out.extend(["EX".into(), self.p(TTL_SECS)]),
            1 => out.extend(["PX".into(), self.p(TTL_MS)]),
            2 => out.extend(["EXAT".into(), self.p(if past_ok { AT_SECS } else { AT_SECS_FUTURE })]),
            3 => out.extend(["PXAT".into(), self.p(if past_ok { AT_MS } else { AT_MS_FUTURE })]),
            4 => out.push("EX".into()),
            _ => out.push("PERSIST".into()),
        }
    }
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn with(mut head: Vec<String>, tail: Vec<String>) -> Vec<String> {
    head.extend(tail);
    head
}

/// Every generated command, in one place. A command ferredis does not know yet (probed at start) is skipped with
/// a notice, so families join the random tests as they land.
const GENERATORS: &[(&str, usize, GenFn)] = &[
    ("SET", 10, |g| {
        let mut c = vec!["SET".into(), g.key(), g.val()];
        for _ in 0..g.rng.below(4) {
            match g.rng.below(6) {
                0 => c.push(g.p(&["NX", "XX", "nx"])),
                1 => c.push("GET".into()),
                2 => c.push("KEEPTTL".into()),
                3 if g.rng.chance(10) => c.push(g.p(&["FOO", ""])),
                _ => g.expiry_opt(&mut c, false),
            }
        }
        c.retain(|a| a != "PERSIST");
        c
    }),
    ("GET", 10, |g| vec!["GET".into(), g.key()]),
    ("SETNX", 2, |g| vec!["SETNX".into(), g.key(), g.val()]),
    ("SETEX", 2, |g| vec!["SETEX".into(), g.key(), g.p(TTL_SECS), g.val()]),
    ("PSETEX", 2, |g| vec!["PSETEX".into(), g.key(), g.p(TTL_MS), g.val()]),
    ("MGET", 3, |g| with(v(&["MGET"]), g.keys(1, 4))),
    ("MSET", 3, |g| {
        let mut c = v(&["MSET"]);
        for _ in 0..1 + g.rng.below(3) {
            c.extend([g.key(), g.val()]);
        }
        if g.rng.chance(5) {
            c.pop();
        }
        c
    }),
    ("MSETNX", 2, |g| {
        let mut c = v(&["MSETNX"]);
        for _ in 0..1 + g.rng.below(3) {
            c.extend([g.key(), g.val()]);
        }
        c
    }),
    ("GETSET", 2, |g| vec!["GETSET".into(), g.key(), g.val()]),
    ("GETDEL", 2, |g| vec!["GETDEL".into(), g.key()]),
    ("GETEX", 3, |g| {
        let mut c = vec!["GETEX".into(), g.key()];
        for _ in 0..g.rng.below(3) {
            g.expiry_opt(&mut c, true);
        }
        c
    }),
    ("APPEND", 4, |g| vec!["APPEND".into(), g.key(), g.val()]),
    ("STRLEN", 2, |g| vec!["STRLEN".into(), g.key()]),
    ("INCR", 4, |g| vec!["INCR".into(), g.key()]),
    ("DECR", 2, |g| vec!["DECR".into(), g.key()]),
    ("INCRBY", 3, |g| vec!["INCRBY".into(), g.key(), g.int()]),
    ("DECRBY", 2, |g| vec!["DECRBY".into(), g.key(), g.int()]),
    ("INCRBYFLOAT", 3, |g| vec!["INCRBYFLOAT".into(), g.key(), g.p(FLOATS)]),
    ("GETRANGE", 3, |g| vec!["GETRANGE".into(), g.key(), g.small(12), g.small(12)]),
    ("SUBSTR", 1, |g| vec!["SUBSTR".into(), g.key(), g.int(), g.int()]),
    ("SETRANGE", 3, |g| {
        let off = if g.rng.chance(10) { g.p(&["536870912", "-1", "abc"]) } else { g.rng.below(40).to_string() };
        vec!["SETRANGE".into(), g.key(), off, g.val()]
    }),
    ("LCS", 2, |g| {
        let mut c = vec!["LCS".into(), g.key(), g.key()];
        match g.rng.below(5) {
            0 => c.push("LEN".into()),
            1 => c.push("IDX".into()),
            2 => c.extend(v(&["IDX", "WITHMATCHLEN", "MINMATCHLEN"]).into_iter().chain([g.small(3)])),
            _ => {}
        }
        c
    }),
    ("DEL", 4, |g| with(v(&["DEL"]), g.keys(1, 3))),
    ("UNLINK", 1, |g| with(v(&["UNLINK"]), g.keys(1, 3))),
    ("EXISTS", 3, |g| with(v(&["EXISTS"]), g.keys(1, 3))),
    ("TYPE", 3, |g| vec!["TYPE".into(), g.key()]),
    ("RENAME", 2, |g| vec!["RENAME".into(), g.key(), g.key()]),
    ("RENAMENX", 2, |g| vec!["RENAMENX".into(), g.key(), g.key()]),
    ("KEYS", 2, |g| vec!["KEYS".into(), g.p(PATTERNS)]),
    ("SCAN", 2, |g| {
        let mut c = v(&["@scan", "SCAN", "0"]);
        if g.rng.chance(50) {
            c.extend(["MATCH".into(), g.p(PATTERNS)]);
        }
        if g.rng.chance(50) {
            c.extend(["COUNT".into(), g.p(&["1", "2", "10", "1000"])]);
        }
        if g.rng.chance(20) {
            c.extend(["TYPE".into(), g.p(&["string", "list", "hash", "set", "zset", "none"])]);
        }
        c
    }),
    ("RANDOMKEY", 1, |_| v(&["RANDOMKEY"])),
    ("EXPIRE", 3, |g| {
        let mut c = vec![g.p(&["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]), g.key()];
        c.push(match c[0].as_str() {
            "EXPIRE" => g.p(TTL_SECS),
            "PEXPIRE" => g.p(TTL_MS),
            "EXPIREAT" => g.p(AT_SECS),
            _ => g.p(AT_MS),
        });
        if g.rng.chance(40) {
            c.push(g.p(&["NX", "XX", "GT", "LT", "gt", "FOO"]));
        }
        c
    }),
    ("TTL", 3, |g| vec![g.p(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), g.key()]),
    ("PERSIST", 2, |g| vec!["PERSIST".into(), g.key()]),
    ("TOUCH", 1, |g| with(v(&["TOUCH"]), g.keys(1, 3))),
    ("COPY", 2, |g| {
        let mut c = vec!["COPY".into(), g.key(), g.key()];
        if g.rng.chance(30) {
            c.extend(["DB".into(), g.p(&["0", "1", "16", "abc"])]);
        }
        if g.rng.chance(40) {
            c.push("REPLACE".into());
        }
        c
    }),
    ("DBSIZE", 1, |_| v(&["DBSIZE"])),
    ("OBJECT", 2, |g| vec!["OBJECT".into(), g.p(&["ENCODING", "REFCOUNT"]), g.key()]),
    ("SELECT", 1, |g| vec!["SELECT".into(), g.p(&["0", "0", "1", "16", "-1", "abc"])]),
    ("MOVE", 1, |g| vec!["MOVE".into(), g.key(), g.p(&["0", "1", "16", "abc"])]),
    ("SWAPDB", 1, |g| vec!["SWAPDB".into(), g.p(&["0", "1"]), g.p(&["0", "1", "2", "16"])]),
    ("FLUSHDB", 1, |g| if g.rng.chance(20) { v(&["FLUSHDB"]) } else { v(&["DBSIZE"]) }),
    ("PING", 1, |g| if g.rng.chance(50) { v(&["PING"]) } else { vec!["PING".into(), g.val()] }),
    ("ECHO", 1, |g| vec!["ECHO".into(), g.val()]),
    // Other families: generated once ferredis knows them.
    ("LPUSH", 3, |g| with(vec![g.p(&["LPUSH", "RPUSH"]), g.key()], (0..1 + g.rng.below(3)).map(|_| g.val()).collect())),
    ("LRANGE", 2, |g| vec!["LRANGE".into(), g.key(), g.small(4), g.small(4)]),
    ("LPOP", 2, |g| {
        let mut c = vec![g.p(&["LPOP", "RPOP"]), g.key()];
        if g.rng.chance(30) {
            c.push(g.p(&["0", "1", "3", "-1"]));
        }
        c
    }),
    ("LLEN", 1, |g| vec!["LLEN".into(), g.key()]),
    ("LINDEX", 1, |g| vec!["LINDEX".into(), g.key(), g.small(3)]),
    ("HSET", 3, |g| vec!["HSET".into(), g.key(), g.p(&["f1", "f2", "f3"]), g.val()]),
    ("HGET", 2, |g| vec!["HGET".into(), g.key(), g.p(&["f1", "f2", "f3"])]),
    ("HDEL", 1, |g| vec!["HDEL".into(), g.key(), g.p(&["f1", "f2", "f3"])]),
    ("HGETALL", 1, |g| vec!["HGETALL".into(), g.key()]),
    ("HINCRBY", 1, |g| vec!["HINCRBY".into(), g.key(), g.p(&["f1", "f2"]), g.int()]),
    ("HLEN", 1, |g| vec!["HLEN".into(), g.key()]),
    ("LSET", 1, |g| vec!["LSET".into(), g.key(), g.small(3), g.val()]),
    ("LINSERT", 1, |g| vec!["LINSERT".into(), g.key(), g.p(&["BEFORE", "AFTER", "after"]), g.val(), g.val()]),
    ("LREM", 1, |g| vec!["LREM".into(), g.key(), g.p(&["0", "1", "-1", "2"]), g.val()]),
    ("LTRIM", 1, |g| vec!["LTRIM".into(), g.key(), g.small(3), g.small(3)]),
    ("LPOS", 1, |g| {
        let mut c = vec!["LPOS".into(), g.key(), g.val()];
        if g.rng.chance(40) {
            c.extend(["RANK".into(), g.p(&["1", "-1", "2", "0"])]);
        }
        if g.rng.chance(40) {
            c.extend(["COUNT".into(), g.p(&["0", "1", "2"])]);
        }
        c
    }),
    ("LMOVE", 1, |g| vec!["LMOVE".into(), g.key(), g.key(), g.p(&["LEFT", "RIGHT"]), g.p(&["LEFT", "RIGHT"])]),
    ("LMPOP", 1, |g| {
        let mut c = vec!["LMPOP".into(), "2".into(), g.key(), g.key(), g.p(&["LEFT", "RIGHT"])];
        if g.rng.chance(50) {
            c.extend(["COUNT".into(), g.p(&["1", "2", "5"])]);
        }
        c
    }),
    ("BLPOP", 1, |g| vec![g.p(&["BLPOP", "BRPOP"]), g.key(), g.key(), "0.001".into()]),
    ("HMGET", 1, |g| vec!["HMGET".into(), g.key(), g.p(&["f1", "f2"]), g.p(&["f3", "f1"])]),
    ("HSETNX", 1, |g| vec!["HSETNX".into(), g.key(), g.p(&["f1", "f2", "f3"]), g.val()]),
    ("HINCRBYFLOAT", 1, |g| {
        vec!["HINCRBYFLOAT".into(), g.key(), g.p(&["f1", "f2"]), g.p(&["1.5", "-0.25", "1e3", "x"])]
    }),
    ("HSTRLEN", 1, |g| vec![g.p(&["HSTRLEN", "HEXISTS"]), g.key(), g.p(&["f1", "f2", "f3"])]),
    ("HKEYS", 1, |g| vec![g.p(&["HKEYS", "HVALS"]), g.key()]),
    ("SADD", 3, |g| with(vec!["SADD".into(), g.key()], (0..1 + g.rng.below(3)).map(|_| g.val()).collect())),
    ("SREM", 1, |g| vec!["SREM".into(), g.key(), g.val()]),
    ("SMEMBERS", 1, |g| vec!["SMEMBERS".into(), g.key()]),
    ("SCARD", 1, |g| vec!["SCARD".into(), g.key()]),
    ("SISMEMBER", 1, |g| vec!["SISMEMBER".into(), g.key(), g.val()]),
    ("ZADD", 3, |g| vec!["ZADD".into(), g.key(), g.p(SCORES), g.p(&["m1", "m2", "m3", "m4"])]),
    ("ZRANGE", 2, |g| {
        let mut c = vec!["ZRANGE".into(), g.key(), g.small(3), g.small(3)];
        if g.rng.chance(50) {
            c.push("WITHSCORES".into());
        }
        c
    }),
    ("ZSCORE", 1, |g| vec!["ZSCORE".into(), g.key(), g.p(&["m1", "m2", "m3"])]),
    ("ZINCRBY", 1, |g| vec!["ZINCRBY".into(), g.key(), g.p(SCORES), g.p(&["m1", "m2"])]),
    ("ZCARD", 1, |g| vec!["ZCARD".into(), g.key()]),
    // Sets: every reply whose order depends on a hash table is normalized (sorted) or a count; SPOP only ever
    // takes the whole set (or nothing) so both servers stay in the same state.
    ("SMISMEMBER", 1, |g| with(vec!["SMISMEMBER".into(), g.key()], (0..1 + g.rng.below(3)).map(|_| g.val()).collect())),
    ("SMOVE", 2, |g| vec!["SMOVE".into(), g.key(), g.key(), g.val()]),
    ("SINTER", 2, |g| with(vec![g.p(&["SINTER", "SUNION", "SDIFF"])], g.keys(1, 3))),
    ("SINTERSTORE", 2, |g| with(vec![g.p(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), g.key()], g.keys(1, 3))),
    ("SINTERCARD", 1, |g| {
        let keys = g.keys(1, 3);
        let mut c = vec!["SINTERCARD".into(), if g.rng.chance(10) { g.int() } else { keys.len().to_string() }];
        c.extend(keys);
        if g.rng.chance(40) {
            c.extend(["LIMIT".into(), g.p(&["0", "1", "2", "-1", "abc"])]);
        }
        c
    }),
    ("SRANDMEMBER", 1, |g| {
        let mut c = vec!["SRANDMEMBER".into(), g.key()];
        if g.rng.chance(70) {
            c.push(g.p(&["0", "1", "2", "5", "-1", "-5", "100", "-9223372036854775808", "abc"]));
        }
        c
    }),
    ("SPOP", 1, |g| vec!["SPOP".into(), g.key(), g.p(&["0", "100", "9223372036854775807", "-1", "abc"])]),
    ("SSCAN", 1, |g| {
        let mut c = v(&["@scan", "SSCAN"]);
        c.extend([g.key(), "0".into()]);
        if g.rng.chance(30) {
            c.extend(["MATCH".into(), g.p(&["*", "1*", "a*", "*o*"])]);
        }
        if g.rng.chance(30) {
            c.extend(["COUNT".into(), g.p(&["1", "2", "100"])]);
        }
        c
    }),
    // Sorted sets.
    ("ZADD", 3, |g| {
        let mut c = vec!["ZADD".into(), g.key()];
        for _ in 0..g.rng.below(3) {
            c.push(g.p(&["NX", "XX", "GT", "LT", "CH", "INCR"]));
        }
        for _ in 0..1 + g.rng.below(3) {
            c.push(g.p(SCORES));
            c.push(if g.rng.chance(70) { g.p(ZMEMBERS) } else { g.val() });
        }
        c
    }),
    ("ZREM", 1, |g| with(vec!["ZREM".into(), g.key()], (0..1 + g.rng.below(2)).map(|_| g.p(ZMEMBERS)).collect())),
    ("ZRANGE", 3, |g| {
        let mut c = vec!["ZRANGE".into()];
        match g.rng.below(3) {
            0 => c.extend([g.key(), g.small(4), g.small(4)]),
            1 => c.extend([g.key(), g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS), "BYSCORE".into()]),
            _ => c.extend([g.p(LEX_KEYS), g.p(LEX_BOUNDS), g.p(LEX_BOUNDS), "BYLEX".into()]),
        }
        if g.rng.chance(40) {
            c.push("REV".into());
        }
        if g.rng.chance(30) {
            c.extend(["LIMIT".into(), g.p(&["0", "1", "-1", "2"]), g.p(&["1", "2", "-1", "0", "9223372036854775807"])]);
        }
        if g.rng.chance(40) {
            c.push("WITHSCORES".into());
        }
        c
    }),
    ("ZRANGEBYSCORE", 2, |g| {
        let name = g.p(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREVRANGE"]);
        let mut c = vec![name.clone()];
        match name.as_str() {
            "ZRANGEBYSCORE" | "ZREVRANGEBYSCORE" => c.extend([g.key(), g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS)]),
            "ZREVRANGE" => c.extend([g.key(), g.small(3), g.small(3)]),
            _ => c.extend([g.p(LEX_KEYS), g.p(LEX_BOUNDS), g.p(LEX_BOUNDS)]),
        }
        if g.rng.chance(30) {
            c.push("WITHSCORES".into());
        }
        if g.rng.chance(30) {
            c.extend(["LIMIT".into(), g.p(&["0", "1", "-1"]), g.p(&["1", "2", "-1"])]);
        }
        c
    }),
    ("ZRANGESTORE", 1, |g| {
        let mut c = vec!["ZRANGESTORE".into(), g.key()];
        match g.rng.below(3) {
            0 => c.extend([g.key(), g.small(3), g.small(3)]),
            1 => c.extend([g.key(), g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS), "BYSCORE".into()]),
            _ => c.extend([g.p(LEX_KEYS), g.p(LEX_BOUNDS), g.p(LEX_BOUNDS), "BYLEX".into()]),
        }
        if g.rng.chance(30) {
            c.push("REV".into());
        }
        c
    }),
    ("ZCOUNT", 1, |g| {
        if g.rng.chance(50) {
            vec!["ZCOUNT".into(), g.key(), g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS)]
        } else {
            vec!["ZLEXCOUNT".into(), g.p(LEX_KEYS), g.p(LEX_BOUNDS), g.p(LEX_BOUNDS)]
        }
    }),
    // Lex ranges are only well defined over members of equal score (with mixed scores, Redis's answer depends on
    // its skiplist's random levels), so they get keys of their own that only ever hold score-0 members.
    ("ZADD", 2, |g| {
        let mut c = vec!["ZADD".into(), g.p(LEX_KEYS)];
        for _ in 0..1 + g.rng.below(3) {
            c.push("0".into());
            c.push(if g.rng.chance(70) { g.p(ZMEMBERS) } else { g.val() });
        }
        c
    }),
    ("ZRANK", 1, |g| vec![g.p(&["ZRANK", "ZREVRANK"]), g.key(), g.p(ZMEMBERS)]),
    ("ZMSCORE", 1, |g| with(vec!["ZMSCORE".into(), g.key()], (0..1 + g.rng.below(3)).map(|_| g.p(ZMEMBERS)).collect())),
    ("ZPOPMIN", 2, |g| {
        let mut c = vec![g.p(&["ZPOPMIN", "ZPOPMAX"]), g.key()];
        if g.rng.chance(50) {
            c.push(g.p(&["0", "1", "2", "10", "-1", "abc"]));
        }
        c
    }),
    ("ZMPOP", 1, |g| {
        let keys = g.keys(1, 3);
        let mut c = vec!["ZMPOP".into(), if g.rng.chance(10) { g.int() } else { keys.len().to_string() }];
        c.extend(keys);
        c.push(g.p(&["MIN", "MAX", "min", "FOO"]));
        if g.rng.chance(40) {
            c.extend(["COUNT".into(), g.p(&["1", "2", "10", "0", "-1"])]);
        }
        c
    }),
    ("ZUNION", 3, |g| {
        let (name, store) = match g.rng.below(7) {
            0 => ("ZUNION", false),
            1 => ("ZINTER", false),
            2 => ("ZDIFF", false),
            3 => ("ZUNIONSTORE", true),
            4 => ("ZINTERSTORE", true),
            5 => ("ZDIFFSTORE", true),
            _ => ("ZINTERCARD", false),
        };
        let mut c = vec![name.to_string()];
        if store {
            c.push(g.key());
        }
        let keys = g.keys(1, 3);
        c.push(if g.rng.chance(10) { g.int() } else { keys.len().to_string() });
        c.extend(keys.iter().cloned());
        if g.rng.chance(30) {
            c.push("WEIGHTS".into());
            for _ in 0..keys.len() {
                c.push(g.p(&["1", "2", "-1", "0", "0.5", "inf", "abc"]));
            }
        }
        if g.rng.chance(30) {
            c.extend(["AGGREGATE".into(), g.p(&["SUM", "MIN", "MAX", "avg"])]);
        }
        if g.rng.chance(40) {
            c.push("WITHSCORES".into());
        }
        if name == "ZINTERCARD" && g.rng.chance(40) {
            c.extend(["LIMIT".into(), g.p(&["0", "1", "-1"])]);
        }
        c
    }),
    ("ZREMRANGEBYRANK", 1, |g| {
        let name = g.p(&["ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"]);
        let mut c = vec![name.clone()];
        match name.as_str() {
            "ZREMRANGEBYRANK" => c.extend([g.key(), g.small(3), g.small(3)]),
            "ZREMRANGEBYSCORE" => c.extend([g.key(), g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS)]),
            _ => c.extend([g.p(LEX_KEYS), g.p(LEX_BOUNDS), g.p(LEX_BOUNDS)]),
        }
        c
    }),
    ("ZRANDMEMBER", 1, |g| {
        let mut c = vec!["ZRANDMEMBER".into(), g.key()];
        if g.rng.chance(70) {
            c.push(g.p(&["0", "1", "3", "-3", "100", "-9223372036854775808", "abc"]));
            if g.rng.chance(40) {
                c.push("WITHSCORES".into());
            }
        }
        c
    }),
    ("ZSCAN", 1, |g| {
        let mut c = v(&["@scan", "ZSCAN"]);
        c.extend([g.key(), "0".into()]);
        if g.rng.chance(30) {
            c.extend(["MATCH".into(), g.p(&["*", "m*", "*1"])]);
        }
        c
    }),
    ("SORT", 2, |g| {
        let mut c = vec![g.p(&["SORT", "SORT", "SORT_RO"]), g.key()];
        if g.rng.chance(30) {
            c.extend(["LIMIT".into(), g.p(&["0", "1", "-1", "5"]), g.p(&["1", "2", "-1", "0"])]);
        }
        if g.rng.chance(30) {
            c.push(g.p(&["ASC", "DESC"]));
        }
        if g.rng.chance(20) {
            c.extend(["GET".into(), g.p(&["#", "k*", "nosuch*"])]);
        }
        // ALPHA compares C strings unless storing, and ties (e.g. "" and "\0...") would keep hash-table order.
        if c[0] == "SORT" && g.rng.chance(40) {
            c.extend(["ALPHA".into(), "STORE".into(), g.key()]);
        }
        c
    }),
    // ---- streams (issue 29). Ids are explicit (`*` is the clock), no BLOCK, and nothing that answers with idle
    // times or delivery times (XPENDING's extended form only with an IDLE filter nothing passes, no XINFO
    // CONSUMERS or STREAM FULL), so both servers must answer byte for byte.
    ("XADD", 4, |g| {
        let mut c = vec!["XADD".into(), g.key()];
        if g.rng.chance(10) {
            c.push("NOMKSTREAM".into());
        }
        if g.rng.chance(25) {
            g.xtrim_opts(&mut c);
        }
        c.push(g.p(XIDS));
        for _ in 0..1 + g.rng.below(2) {
            c.extend([g.p(&["f", "g", "h"]), g.val()]);
        }
        if g.rng.chance(5) {
            c.pop();
        }
        c
    }),
    ("XRANGE", 2, |g| {
        let mut c = vec![g.p(&["XRANGE", "XREVRANGE"]), g.key(), g.p(XRANGE_IDS), g.p(XRANGE_IDS)];
        if g.rng.chance(40) {
            c.extend(["COUNT".into(), g.p(&["0", "1", "2", "-1", "abc", "9223372036854775807"])]);
        }
        c
    }),
    ("XLEN", 1, |g| vec!["XLEN".into(), g.key()]),
    ("XDEL", 1, |g| with(vec!["XDEL".into(), g.key()], (0..1 + g.rng.below(2)).map(|_| g.p(XIDS)).collect())),
    ("XTRIM", 1, |g| {
        let mut c = vec!["XTRIM".into(), g.key()];
        g.xtrim_opts(&mut c);
        c
    }),
    ("XSETID", 1, |g| {
        let mut c = vec!["XSETID".into(), g.key(), g.p(XIDS)];
        if g.rng.chance(30) {
            c.extend(["ENTRIESADDED".into(), g.p(&["0", "3", "10", "100", "-1", "abc"])]);
        }
        if g.rng.chance(30) {
            c.extend(["MAXDELETEDID".into(), g.p(XIDS)]);
        }
        c
    }),
    ("XREAD", 1, |g| {
        let mut c = v(&["XREAD"]);
        if g.rng.chance(40) {
            c.extend(["COUNT".into(), g.p(&["1", "2", "0", "-1", "abc"])]);
        }
        let keys = g.keys(1, 2);
        c.push("STREAMS".into());
        c.extend(keys.iter().cloned());
        for _ in 0..keys.len() {
            // No `+`: Redis 7.4's last-entry id is compared with 7.4.1 in tests/types/r74_misc.rs.
            c.push(g.p(&["0", "0-0", "1-1", "2", "$", "-", "abc"]));
        }
        if g.rng.chance(5) {
            c.pop();
        }
        c
    }),
    ("XGROUP", 3, |g| {
        let mut c = vec!["XGROUP".into()];
        match g.rng.below(6) {
            0 | 1 => {
                c.extend(["CREATE".into(), g.key(), g.p(XGROUPS), g.p(&["0", "$", "1-1", "2", "abc"])]);
                if g.rng.chance(30) {
                    c.push("MKSTREAM".into());
                }
                if g.rng.chance(20) {
                    c.extend(["ENTRIESREAD".into(), g.p(&["0", "1", "5", "-1", "-2", "abc"])]);
                }
            }
            2 => {
                c.extend(["SETID".into(), g.key(), g.p(XGROUPS), g.p(&["0", "$", "1-1", "5", "abc"])]);
                if g.rng.chance(30) {
                    c.extend(["ENTRIESREAD".into(), g.p(&["0", "2", "-1", "abc"])]);
                }
            }
            3 => c.extend(["DESTROY".into(), g.key(), g.p(XGROUPS)]),
            4 => c.extend(["CREATECONSUMER".into(), g.key(), g.p(XGROUPS), g.p(XCONSUMERS)]),
            _ => c.extend(["DELCONSUMER".into(), g.key(), g.p(XGROUPS), g.p(XCONSUMERS)]),
        }
        c
    }),
    ("XREADGROUP", 3, |g| {
        let mut c = vec!["XREADGROUP".into(), "GROUP".into(), g.p(XGROUPS), g.p(XCONSUMERS)];
        if g.rng.chance(40) {
            c.extend(["COUNT".into(), g.p(&["1", "2", "0", "-1"])]);
        }
        if g.rng.chance(20) {
            c.push("NOACK".into());
        }
        let keys = g.keys(1, 2);
        c.push("STREAMS".into());
        c.extend(keys.iter().cloned());
        for _ in 0..keys.len() {
            c.push(g.p(&[">", ">", "0", "1-1", "$", "abc"]));
        }
        c
    }),
    ("XACK", 1, |g| {
        with(vec!["XACK".into(), g.key(), g.p(XGROUPS)], (0..1 + g.rng.below(2)).map(|_| g.p(XIDS)).collect())
    }),
    ("XPENDING", 1, |g| {
        let mut c = vec!["XPENDING".into(), g.key(), g.p(XGROUPS)];
        if g.rng.chance(40) {
            c.extend([
                "IDLE".into(),
                "100000000".into(),
                g.p(XRANGE_IDS),
                g.p(XRANGE_IDS),
                g.p(&["1", "10", "0", "-1"]),
            ]);
            if g.rng.chance(40) {
                c.push(g.p(XCONSUMERS));
            }
        }
        c
    }),
    ("XCLAIM", 1, |g| {
        let mut c = vec!["XCLAIM".into(), g.key(), g.p(XGROUPS), g.p(XCONSUMERS), g.p(&["0", "0", "-1", "abc"])];
        c.extend((0..1 + g.rng.below(2)).map(|_| g.p(XIDS)));
        for _ in 0..g.rng.below(3) {
            match g.rng.below(5) {
                0 => c.push("JUSTID".into()),
                1 => c.push("FORCE".into()),
                2 => c.extend(["RETRYCOUNT".into(), g.p(&["0", "3", "-1", "abc"])]),
                3 => c.extend(["LASTID".into(), g.p(XIDS)]),
                _ => c.extend(["IDLE".into(), g.p(&["0", "1000", "-5"])]),
            }
        }
        c
    }),
    ("XAUTOCLAIM", 1, |g| {
        let mut c = vec!["XAUTOCLAIM".into(), g.key(), g.p(XGROUPS), g.p(XCONSUMERS), "0".into(), g.p(XRANGE_IDS)];
        if g.rng.chance(40) {
            c.extend(["COUNT".into(), g.p(&["1", "2", "100", "0", "-1"])]);
        }
        if g.rng.chance(30) {
            c.push("JUSTID".into());
        }
        c
    }),
    ("XINFO", 1, |g| match g.rng.below(3) {
        0 => vec!["XINFO".into(), "GROUPS".into(), g.key()],
        1 => vec!["XINFO".into(), "STREAM".into(), g.key()],
        _ => vec!["XINFO".into(), g.p(&["help", "nosuch", "GROUPS"])],
    }),
    // ---- hyperloglog (issue 30)
    ("PFADD", 3, |g| {
        let mut c = vec!["PFADD".into(), g.key()];
        // Now and then enough elements to outgrow the sparse encoding.
        let n = if g.rng.chance(4) { 400 } else { g.rng.below(8) };
        for _ in 0..n {
            c.push(if g.rng.chance(20) { g.val() } else { format!("e{}", g.rng.below(5000)) });
        }
        c
    }),
    ("PFCOUNT", 3, |g| with(v(&["PFCOUNT"]), g.keys(1, 3))),
    ("PFMERGE", 1, |g| with(v(&["PFMERGE"]), g.keys(1, 3))),
    ("PFDEBUG", 1, |g| {
        let sub = if g.rng.chance(10) { "GETREG" } else { g.rng.pick(&["ENCODING", "DECODE", "TODENSE", "nope"]) };
        vec!["PFDEBUG".into(), sub.into(), g.key()]
    }),
    // ---- geo (issue 30)
    ("GEOADD", 3, |g| {
        let mut c = vec!["GEOADD".into(), g.key()];
        if g.rng.chance(30) {
            c.push(g.p(&["NX", "XX", "CH", "ch", "GT"]));
        }
        for _ in 0..1 + g.rng.below(2) {
            c.extend([g.p(GEO_LON), g.p(GEO_LAT), g.p(ZMEMBERS)]);
        }
        if g.rng.chance(5) {
            c.pop();
        }
        c
    }),
    ("GEOPOS", 1, |g| with(vec!["GEOPOS".into(), g.key()], (0..g.rng.below(3)).map(|_| g.p(ZMEMBERS)).collect())),
    ("GEOHASH", 1, |g| with(vec!["GEOHASH".into(), g.key()], (0..g.rng.below(3)).map(|_| g.p(ZMEMBERS)).collect())),
    ("GEODIST", 1, |g| {
        let mut c = vec!["GEODIST".into(), g.key(), g.p(ZMEMBERS), g.p(ZMEMBERS)];
        if g.rng.chance(60) {
            c.push(g.p(GEO_UNITS));
        }
        c
    }),
    ("GEOSEARCH", 2, |g| {
        let store = g.rng.chance(30);
        let mut c =
            if store { vec!["GEOSEARCHSTORE".into(), g.key(), g.key()] } else { vec!["GEOSEARCH".into(), g.key()] };
        match g.rng.below(5) {
            0 | 1 => c.extend(["FROMMEMBER".into(), g.p(ZMEMBERS)]),
            2 | 3 => c.extend(["FROMLONLAT".into(), g.p(GEO_LON), g.p(GEO_LAT)]),
            _ => {}
        }
        match g.rng.below(5) {
            0 | 1 => c.extend(["BYRADIUS".into(), g.p(GEO_SIZES), g.p(GEO_UNITS)]),
            2 | 3 => c.extend(["BYBOX".into(), g.p(GEO_SIZES), g.p(GEO_SIZES), g.p(GEO_UNITS)]),
            _ => {}
        }
        geo_options(g, &mut c, store);
        if store && g.rng.chance(40) {
            c.push("STOREDIST".into());
        }
        c
    }),
    ("GEORADIUS", 2, |g| {
        let mut c = vec![g.p(&["GEORADIUS", "GEORADIUS_RO"]), g.key(), g.p(GEO_LON), g.p(GEO_LAT)];
        c.extend([g.p(GEO_SIZES), g.p(GEO_UNITS)]);
        let store = c[0] == "GEORADIUS" && g.rng.chance(30);
        geo_options(g, &mut c, store);
        if store {
            c.extend([g.p(&["STORE", "STOREDIST"]), g.key()]);
        }
        c
    }),
    ("GEORADIUSBYMEMBER", 1, |g| {
        let mut c = vec![g.p(&["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]), g.key(), g.p(ZMEMBERS)];
        c.extend([g.p(GEO_SIZES), g.p(GEO_UNITS)]);
        let store = c[0] == "GEORADIUSBYMEMBER" && g.rng.chance(30);
        geo_options(g, &mut c, store);
        if store {
            c.extend([g.p(&["STORE", "STOREDIST"]), g.key()]);
        }
        c
    }),
    // ---- bitmaps (issue 30)
    ("SETBIT", 3, |g| vec!["SETBIT".into(), g.key(), g.p(BIT_OFFSETS), g.p(&["0", "1", "1", "0", "2", "-1", "x"])]),
    ("GETBIT", 2, |g| vec!["GETBIT".into(), g.key(), g.p(BIT_OFFSETS)]),
    ("BITCOUNT", 2, |g| {
        let mut c = vec!["BITCOUNT".into(), g.key()];
        if g.rng.chance(70) {
            c.extend([g.small(12), g.small(12)]);
            if g.rng.chance(50) {
                c.push(g.p(&["BIT", "BYTE", "bit", "foo"]));
            }
        } else if g.rng.chance(10) {
            c.push(g.int());
        }
        c
    }),
    ("BITPOS", 2, |g| {
        let mut c = vec!["BITPOS".into(), g.key(), g.p(&["0", "1", "1", "0", "2", "abc"])];
        if g.rng.chance(70) {
            c.push(g.small(12));
            if g.rng.chance(70) {
                c.push(g.small(12));
                if g.rng.chance(50) {
                    c.push(g.p(&["BIT", "BYTE", "byte", "foo"]));
                }
            }
        }
        c
    }),
    ("BITOP", 2, |g| {
        let op = g.p(&["AND", "OR", "XOR", "NOT", "not", "nand"]);
        let n = if op.eq_ignore_ascii_case("not") && g.rng.chance(85) { 1 } else { 1 + g.rng.below(3) };
        with(vec!["BITOP".into(), op, g.key()], g.keys(n, n))
    }),
    ("BITFIELD", 3, |g| {
        let mut c = vec![g.p(&["BITFIELD", "BITFIELD", "BITFIELD_RO"]), g.key()];
        for _ in 0..1 + g.rng.below(3) {
            let ty = g.p(&["u8", "i8", "u1", "i5", "u16", "i32", "i64", "u63", "u64", "i0", "x8"]);
            match g.rng.below(5) {
                0 | 1 => c.extend(["GET".into(), ty, g.p(BIT_OFFSETS)]),
                2 => c.extend(["SET".into(), ty, g.p(BIT_OFFSETS), g.int()]),
                3 => c.extend(["INCRBY".into(), ty, g.p(BIT_OFFSETS), g.int()]),
                _ => c.extend(["OVERFLOW".into(), g.p(&["WRAP", "SAT", "FAIL", "sat", "bad"])]),
            }
        }
        c
    }),
];

/// Bit offsets for the bitmap generators: near the data (strings stay small), `#n` fields, and refused ones.
const BIT_OFFSETS: &[&str] =
    &["0", "1", "7", "8", "13", "31", "64", "100", "#0", "#1", "#3", "-1", "4294967296", "abc", "#-1", ""];

/// Stream ids the generators use: ordered, colliding, `<ms>-*`, and malformed.
const XIDS: &[&str] = &[
    "1-1",
    "1-2",
    "2",
    "2-5",
    "3-0",
    "5-*",
    "10-1",
    "0-0",
    "0-1",
    "18446744073709551615-18446744073709551615",
    "abc",
    "1-x",
];
const XRANGE_IDS: &[&str] = &["-", "+", "0", "1-1", "(1-1", "2", "(3-0", "5", "abc", "("];
const XGROUPS: &[&str] = &["g1", "g2"];
const XCONSUMERS: &[&str] = &["c1", "c2", "c3"];

/// Coordinates, sizes and units the geo generators pick from (edges and invalid values included).
const GEO_LON: &[&str] = &["0", "13.361389", "15.087269", "-180", "180", "179.99", "-73.9454966", "181", "abc"];
const GEO_LAT: &[&str] = &["0", "38.115556", "37.502669", "85.05112878", "-85.05112878", "40.747533", "86", "x"];
const GEO_SIZES: &[&str] = &["0", "1", "200", "1000", "20000", "0.5", "-1", "nan", "inf"];
const GEO_UNITS: &[&str] = &["m", "km", "KM", "mi", "ft", "parsec"];

/// The options shared by the geo searches (sometimes conflicting or malformed, as Redis must refuse them).
fn geo_options(g: &mut Gen, c: &mut Vec<String>, store: bool) {
    for w in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
        if g.rng.chance(if store { 3 } else { 30 }) {
            c.push(w.into());
        }
    }
    if g.rng.chance(40) {
        c.extend(["COUNT".into(), g.p(&["1", "2", "3", "0", "-1", "x"])]);
    }
    if g.rng.chance(20) {
        c.push("ANY".into());
    }
    if g.rng.chance(40) {
        c.push(g.p(&["ASC", "DESC"]));
    }
}

/// Sorted-set members the generators favour, so commands meet existing members.
const ZMEMBERS: &[&str] = &["m1", "m2", "m3", "m4", "a", "b"];
const LEX_KEYS: &[&str] = &["lx0", "lx1"];
const SCORE_BOUNDS: &[&str] = &["-inf", "+inf", "0", "1", "(1", "2", "(2.5", "3", "nan", "abc", "(", ""];
const LEX_BOUNDS: &[&str] = &["-", "+", "[a", "(a", "[m2", "(m3", "[", "(", "a", ""];

/// Which generator names ferredis knows: a bare command name gets an arity error if known, "unknown command"
/// otherwise. Runs before any data exists, so the few commands that accept zero arguments are harmless.
fn probe_supported(pair: &mut Sides) -> Vec<bool> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (name, _, _) in GENERATORS {
        let known = pair.fer_knows(name);
        if !known {
            skipped.push(*name);
        }
        out.push(known);
    }
    if !skipped.is_empty() {
        eprintln!("NOTICE: random sequences skip commands ferredis does not know yet: {}", skipped.join(" "));
    }
    out
}

fn gen_command(g: &mut Gen, supported: &[bool], total_weight: usize) -> Vec<String> {
    let mut x = g.rng.below(total_weight);
    for (i, (_, w, f)) in GENERATORS.iter().enumerate() {
        if !supported[i] {
            continue;
        }
        if x < *w {
            return f(g);
        }
        x -= w;
    }
    unreachable!("weights cover the range")
}

fn run_seed(pair: &mut Sides, seed: u64, n: usize, supported: &[bool], hello3: bool) -> Result<(), String> {
    run_seed_with(pair, seed, n, supported, hello3, &[])
}

/// [`run_seed`] with `setup` commands (e.g. small encoding thresholds) run on both servers after the reset.
fn run_seed_with(
    pair: &mut Sides,
    seed: u64,
    n: usize,
    supported: &[bool],
    hello3: bool,
    setup: &[&str],
) -> Result<(), String> {
    pair.reset().map_err(|e| format!("[seed {seed}] reset failed: {e}"))?;
    let resp = if hello3 { "RESP3" } else { "RESP2" };
    if hello3 {
        let args = vec![b"HELLO".to_vec(), b"3".to_vec()];
        if let Err(m) = pair.check(&args, false) {
            return Err(format!("[seed {seed}, {resp}] HELLO 3 differs{}", m.detail));
        }
    }
    for line in setup {
        let args = split_args(line).map_err(|e| format!("bad setup line {line:?}: {e}"))?;
        if let Err(m) = pair.check(&args, false) {
            return Err(format!("[seed {seed}, {resp}] setup {line} differs{}", m.detail));
        }
    }
    let total: usize = GENERATORS.iter().zip(supported).filter(|(_, s)| **s).map(|((_, w, _), _)| w).sum();
    if total == 0 {
        return Err("ferredis supports none of the generated commands".into());
    }
    let mut g = Gen { rng: Prng::new(seed) };
    let mut history: Vec<String> = Vec::new();
    for i in 0..n {
        if g.rng.chance(15) {
            let c = g.rng.below(CONNS);
            pair.fer.cur = c;
            pair.red.cur = c;
            history.push(format!("(switch to connection {c})"));
        }
        let cmd = gen_command(&mut g, supported, total);
        let scan = cmd[0] == "@scan";
        let args: Vec<Vec<u8>> = cmd.iter().skip(scan as usize).map(|s| s.as_bytes().to_vec()).collect();
        let shown = format!("{}{}", if scan { "@scan " } else { "" }, display_args(&args));
        if let Err(m) = pair.check(&args, scan) {
            let start = history.len().saturating_sub(8);
            return Err(format!(
                "[seed {seed}, {resp}] first difference at command #{} of {n}: {shown}{}\n  preceding commands:\n    {}\n  replay: DIFF_SEED={seed} cargo test --test protocol differential::random_sequences",
                i + 1,
                m.detail,
                history[start..].join("\n    ")
            ));
        }
        history.push(shown);
    }
    Ok(())
}

#[test]
fn random_sequences() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let n: usize = std::env::var("DIFF_CMDS").ok().and_then(|s| s.parse().ok()).unwrap_or(500);
    let seeds: Vec<u64> = match std::env::var("DIFF_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => {
            let count: u64 = std::env::var("DIFF_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
            let mut v: Vec<u64> = (1..=count).map(|i| i * 7919).collect();
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1);
            v.push(t % 1_000_000_007);
            v
        }
    };
    let mut pair = Sides::new();
    let supported = probe_supported(&mut pair);
    let hello_known = pair.fer.exec(&[b"HELLO".to_vec()]).map(|r| !r.starts_with(b"-ERR unknown")).unwrap_or(false);
    let mut failures = Vec::new();
    for &seed in &seeds {
        // Odd seeds speak RESP3 when the server has HELLO.
        let hello3 = hello_known && seed % 2 == 1;
        if let Err(e) = run_seed(&mut pair, seed, n, &supported, hello3) {
            failures.push(e);
        }
    }
    eprintln!("random: {} seeds x {n} commands, {} failing", seeds.len(), failures.len());
    if !failures.is_empty() {
        panic!("{} of {} seeds differ from redis-server:\n\n{}\n", failures.len(), seeds.len(), failures.join("\n\n"));
    }
}

/// Generators of one data type's family (plus a few generic commands), for [`random_sequences_per_type`]: keys
/// then mostly hold that type, so collections grow and convert between encodings.
const TYPE_FAMILIES: &[(&str, &[&str])] = &[
    (
        "set",
        &[
            "SADD",
            "SREM",
            "SMEMBERS",
            "SCARD",
            "SISMEMBER",
            "SMISMEMBER",
            "SMOVE",
            "SINTER",
            "SINTERSTORE",
            "SINTERCARD",
            "SRANDMEMBER",
            "SPOP",
            "SSCAN",
            "SORT",
            "DEL",
            "EXISTS",
            "TYPE",
            "OBJECT",
            "RENAME",
            "COPY",
        ],
    ),
    (
        "zset",
        &[
            "ZADD",
            "ZRANGE",
            "ZSCORE",
            "ZINCRBY",
            "ZCARD",
            "ZREM",
            "ZRANGEBYSCORE",
            "ZRANGESTORE",
            "ZCOUNT",
            "ZRANK",
            "ZMSCORE",
            "ZPOPMIN",
            "ZMPOP",
            "ZUNION",
            "ZREMRANGEBYRANK",
            "ZRANDMEMBER",
            "ZSCAN",
            "SORT",
            "SADD",
            "DEL",
            "OBJECT",
            "RENAME",
            "COPY",
        ],
    ),
    (
        "stream",
        &[
            "XADD",
            "XRANGE",
            "XLEN",
            "XDEL",
            "XTRIM",
            "XSETID",
            "XREAD",
            "XGROUP",
            "XREADGROUP",
            "XACK",
            "XPENDING",
            "XCLAIM",
            "XAUTOCLAIM",
            "XINFO",
            "DEL",
            "TYPE",
            "OBJECT",
            "RENAME",
            "COPY",
        ],
    ),
    (
        "hyperloglog",
        &[
            "PFADD", "PFCOUNT", "PFMERGE", "PFDEBUG", "GET", "SET", "APPEND", "SETRANGE", "GETRANGE", "STRLEN", "DEL",
            "TYPE", "OBJECT", "RENAME", "COPY",
        ],
    ),
    (
        "geo",
        &[
            "GEOADD",
            "GEOPOS",
            "GEOHASH",
            "GEODIST",
            "GEOSEARCH",
            "GEORADIUS",
            "GEORADIUSBYMEMBER",
            "ZADD",
            "ZRANGE",
            "ZREM",
            "DEL",
            "OBJECT",
        ],
    ),
];

/// Random sequences restricted to one type's family, with tiny encoding thresholds so conversions happen.
#[test]
fn random_sequences_per_type() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let n: usize = std::env::var("DIFF_CMDS").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let count: u64 = std::env::var("DIFF_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut pair = Sides::new();
    let supported = probe_supported(&mut pair);
    let setup = [
        "CONFIG SET set-max-intset-entries 4",
        "CONFIG SET zset-max-listpack-entries 4",
        "CONFIG SET zset-max-listpack-value 8",
        "CONFIG SET stream-node-max-entries 3",
    ];
    let mut failures = Vec::new();
    let mut runs = 0;
    for (family, names) in TYPE_FAMILIES {
        let mask: Vec<bool> =
            GENERATORS.iter().zip(&supported).map(|((name, _, _), ok)| *ok && names.contains(name)).collect();
        if !mask.iter().any(|&m| m) {
            eprintln!("NOTICE: no {family} commands known yet");
            continue;
        }
        for i in 1..=count {
            let seed = i * 104_729;
            runs += 1;
            if let Err(e) = run_seed_with(&mut pair, seed, n, &mask, seed % 2 == 1, &setup) {
                failures.push(format!("[{family}] {e}"));
            }
        }
    }
    eprintln!("random per type: {runs} runs x {n} commands, {} failing", failures.len());
    if !failures.is_empty() {
        panic!("{} runs differ from redis-server:\n\n{}\n", failures.len(), failures.join("\n\n"));
    }
}

/// The same random commands, but written as one pipelined stream in random-size pieces and read back afterwards:
/// exercises partial requests, many commands per read, and output buffering. Commands whose check needs a
/// round trip in between (SCAN iteration, RANDOMKEY membership) are left out.
fn run_seed_pipelined(pair: &mut Sides, seed: u64, n: usize, supported: &[bool]) -> Result<(), String> {
    pair.reset().map_err(|e| format!("[pipelined seed {seed}] reset failed: {e}"))?;
    let total: usize = GENERATORS.iter().zip(supported).filter(|(_, s)| **s).map(|((_, w, _), _)| w).sum();
    let mut g = Gen { rng: Prng::new(seed) };
    let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
    while cmds.len() < n {
        let c = gen_command(&mut g, supported, total);
        if c[0] == "@scan" || c[0] == "RANDOMKEY" {
            continue;
        }
        cmds.push(c.iter().map(|s| s.as_bytes().to_vec()).collect());
    }
    let mut stream = Vec::new();
    for c in &cmds {
        stream.extend_from_slice(&encode_command(c));
    }
    // Replies are read only after everything is written; both servers' output for a few hundred small commands
    // fits the socket buffers, so this cannot deadlock.
    let mut cuts = Vec::new();
    let mut pos = 0;
    while pos < stream.len() {
        let len = 1 + g.rng.below(300);
        cuts.push((pos, (pos + len).min(stream.len())));
        pos += len;
    }
    for side in [&mut pair.fer, &mut pair.red] {
        for &(a, b) in &cuts {
            side.conns[0].send_raw(&stream[a..b]).map_err(|e| format!("[pipelined seed {seed}] write: {e}"))?;
        }
    }
    for (i, c) in cmds.iter().enumerate() {
        let r = pair.red.conns[0].read_reply().map_err(|e| format!("[pipelined seed {seed}] redis read: {e}"))?;
        let f = pair.fer.conns[0].read_reply();
        let shown = display_args(c);
        let res = match f {
            Ok(f) => pair.compare(c, &f, &r),
            Err(e) => Err(Mismatch { detail: two(&format!("I/O error: {e}"), &escape(&r)) }),
        };
        if let Err(m) = res {
            return Err(format!(
                "[pipelined seed {seed}] first difference at command #{} of {n}: {shown}{}\n  replay: DIFF_SEED={seed} cargo test --test protocol differential::random_pipelined",
                i + 1,
                m.detail
            ));
        }
    }
    Ok(())
}

#[test]
fn random_pipelined() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let n: usize = std::env::var("DIFF_CMDS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let seeds: Vec<u64> = match std::env::var("DIFF_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => (1..=5).map(|i| i * 104_729).collect(),
    };
    let mut pair = Sides::new();
    let supported = probe_supported(&mut pair);
    let failures: Vec<String> =
        seeds.iter().filter_map(|&seed| run_seed_pipelined(&mut pair, seed, n, &supported).err()).collect();
    if !failures.is_empty() {
        panic!("{} of {} pipelined seeds differ:\n\n{}\n", failures.len(), seeds.len(), failures.join("\n\n"));
    }
}

/// Values around buffer-size boundaries and big ones (the parser's big-argument path, partial writes).
#[test]
fn large_values() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut pair = Sides::new();
    pair.reset().expect("reset");
    let mut failures = Vec::new();
    let sizes = [0usize, 1, 4095, 4096, 16383, 16384, 16385, 32767, 32768, 65535, 65536, 65537, 1 << 20, 8 << 20];
    let mut rng = Prng::new(42);
    for &size in &sizes {
        let val: Vec<u8> = (0..size).map(|_| rng.next_u64() as u8).collect();
        let key = format!("big:{size}").into_bytes();
        let steps: Vec<Vec<Vec<u8>>> = vec![
            vec![b"SET".to_vec(), key.clone(), val.clone()],
            vec![b"GET".to_vec(), key.clone()],
            vec![b"STRLEN".to_vec(), key.clone()],
            vec![b"APPEND".to_vec(), key.clone(), val.clone()],
            vec![b"GETRANGE".to_vec(), key.clone(), b"-10".to_vec(), b"-1".to_vec()],
            vec![b"SETRANGE".to_vec(), key.clone(), (size + 3).to_string().into_bytes(), b"tail".to_vec()],
            vec![b"GET".to_vec(), key.clone()],
            vec![b"ECHO".to_vec(), val.clone()],
            vec![b"MSET".to_vec(), key.clone(), val.clone(), b"small".to_vec(), val.clone()],
            vec![b"MGET".to_vec(), key.clone(), b"small".to_vec()],
            vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.clone()],
        ];
        for (i, args) in steps.iter().enumerate() {
            if let Err(m) = pair.check(args, false) {
                let mut shown = display_args(&args[..args.len().min(2)]);
                shown.truncate(200);
                let mut detail = m.detail;
                detail.truncate(2000);
                failures.push(format!("[large value {size} bytes] step #{} {shown} ...{detail}", i + 1));
                break;
            }
        }
    }
    if !failures.is_empty() {
        panic!("{} sizes differ:\n\n{}\n", failures.len(), failures.join("\n\n"));
    }
}

#[test]
fn harness_framing_and_quoting() {
    let replies: &[&[u8]] = &[
        b"+OK\r\n",
        b"-ERR x\r\n",
        b":12\r\n",
        b"$-1\r\n",
        b"$3\r\nfoo\r\n",
        b"*-1\r\n",
        b"*2\r\n$1\r\na\r\n:1\r\n",
        b"%1\r\n+k\r\n*1\r\n_\r\n",
        b"~2\r\n,1.5\r\n#t\r\n",
        b"|1\r\n+a\r\n+b\r\n$2\r\nhi\r\n",
        b"=8\r\ntxt:abcd\r\n",
        b">2\r\n+message\r\n(123\r\n",
    ];
    for r in replies {
        assert_eq!(frame_len(r).unwrap(), Some(r.len()), "{}", escape(r));
        for cut in 0..r.len() {
            assert_eq!(frame_len(&r[..cut]).unwrap(), None, "{} cut at {cut}", escape(r));
        }
        let mut two = r.to_vec();
        two.extend_from_slice(b"+next\r\n");
        assert_eq!(frame_len(&two).unwrap(), Some(r.len()));
        let v = Resp::parse(r).unwrap();
        if !r.starts_with(b"|") {
            assert_eq!(v.to_bytes(), r.to_vec());
        }
    }
    let a = split_args(r#"SET "a b" 'c d' "\x00\n" x"#).unwrap();
    assert_eq!(a, vec![b"SET".to_vec(), b"a b".to_vec(), b"c d".to_vec(), vec![0, b'\n'], b"x".to_vec()]);
    assert_eq!(split_args(r#""""#).unwrap(), vec![Vec::<u8>::new()]);
    assert!(split_args("\"abc").is_err());
    let shown = display_args(&[b"a b".to_vec(), vec![0xff], b"ok".to_vec()]);
    assert_eq!(split_args(&shown).unwrap(), vec![b"a b".to_vec(), vec![0xff], b"ok".to_vec()]);
    let cases = parse_cases(CASES);
    assert!(cases.len() > 30);
    for c in &cases {
        for l in &c.lines {
            if !l.starts_with("@sleep ") && !l.starts_with("@requires ") {
                split_args(l.strip_prefix("@scan ").unwrap_or(l)).unwrap_or_else(|e| panic!("{}: {l}: {e}", c.name));
            }
        }
    }
}

/// Another client's CLIENT LIST figures as redis-py's suite shows them: a client whose replies were all written has
/// nothing in `obl`, and a client's reply-buffer peak `rbp` starts at the buffer's size (16 KiB) until the cron's
/// peak reset (switched off here, so the figures do not depend on when the cron runs).
fn other_client_figures(kind: Kind) -> String {
    let s = Server::start(kind, &[]);
    let mut a = s.conn();
    assert_eq!(a.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"]), b"+OK\r\n");
    let mut b = s.conn();
    // Two commands in one write: the first reply waits in the buffer while the second one is parsed.
    b.send_raw(b"CLIENT SETNAME b\r\nPING\r\n").expect("send");
    assert_eq!(b.read_reply().expect("reply"), b"+OK\r\n");
    assert_eq!(b.read_reply().expect("reply"), b"+PONG\r\n");
    let list = a.cmd(&["CLIENT", "LIST"]);
    let text = String::from_utf8_lossy(&list).into_owned();
    let line = text.lines().find(|l| l.contains(" name=b ")).unwrap_or_else(|| panic!("no client b in {text}"));
    let keep = ["name", "flags", "cmd", "rbs", "rbp", "obl", "oll", "omem"];
    line.split(' ')
        .filter(|f| keep.iter().any(|k| f.split_once('=').is_some_and(|(n, _)| n == *k)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn client_list_output_figures_of_an_idle_client() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let redis = other_client_figures(Kind::Redis);
    assert_eq!(redis, "name=b flags=N rbs=16384 rbp=16384 obl=0 oll=0 omem=0 cmd=ping");
    assert_eq!(other_client_figures(Kind::Ferredis), redis);
}

/// HELLO's reply with the client id masked.
fn hello_masked(c: &mut Conn, ver: &str) -> String {
    let text = escape(&c.cmd(&["HELLO", ver]));
    let (head, rest) = text.split_once("id\\r\\n:").expect("an id field");
    let tail = rest.split_once("\\r\\n").map(|(_, t)| t).expect("id's end");
    format!("{head}id\\r\\n:<id>\\r\\n{tail}")
}

/// HELLO's mode and role as Redis reports them: `cluster` on a cluster node (redis-py's cluster suite with
/// `--protocol=3` showed `standalone`), `replica` on a replica.
fn hello_modes(kind: Kind) -> Vec<String> {
    let plain = Server::start(kind, &[]);
    let node = Server::start(kind, &["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]);
    let port = plain.port.to_string();
    let replica = Server::start(kind, &["--replicaof", "127.0.0.1", &port]);
    let mut out = Vec::new();
    for s in [&plain, &node, &replica] {
        let mut c = s.conn();
        out.push(hello_masked(&mut c, "3"));
        out.push(hello_masked(&mut c, "2"));
    }
    out
}

#[test]
fn hello_reports_cluster_mode_and_replica_role() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let redis = hello_modes(Kind::Redis);
    assert!(redis[2].contains("$4\\r\\nmode\\r\\n$7\\r\\ncluster\\r\\n"), "{}", redis[2]);
    assert!(redis[5].contains("$4\\r\\nrole\\r\\n$7\\r\\nreplica\\r\\n"), "{}", redis[5]);
    assert_eq!(hello_modes(Kind::Ferredis), redis);
}
