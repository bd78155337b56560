//! ferredis-cli: a command-line client with redis-cli 7.0's flags, output bytes and exit codes, so scripts
//! written for redis-cli work unchanged against ferredis (and against Redis).
//!
//! Layout:
//! - [`reply`]: the resumable RESP2/RESP3 reply reader (hiredis's rules and error texts).
//! - [`conn`]: one blocking TCP or Unix-socket connection.
//! - [`format`]: TTY, raw, CSV and JSON formatters.
//! - [`split`]: `sdssplitargs` (quoted arguments).
//! - [`modes`]: the special modes: `--pipe`, `--scan`, `--bigkeys`/`--memkeys`/`--hotkeys`, `--latency`,
//!   `--latency-history`, `--stat`, `--rdb`, `--eval` (with the Lua debugger: `--ldb`, `--ldb-sync-mode`).
//! - [`cluster`]: `--cluster`, redis-cli's cluster manager (create, check, fix, reshard, rebalance, ...).
//! - [`repl`], [`line`], [`help`]: interactive mode (line editing, history, completion, hints, help).
//! - [`sys`]: the client's only `unsafe`: signals and the terminal.
//!
//! The control flow follows redis-cli's `main`: parse options, run a special mode if one was asked for (each
//! ends the process), else run the command given on the command line (one-shot), else start the
//! interactive loop. Tested against Debian's redis-cli by `tests/cli/cli_oneshot.rs` (one-shot, byte comparison)
//! and `tests/cli/cli_interactive.rs` (a real terminal through tmux).

pub mod cluster;
pub mod conn;
pub mod format;
pub mod help;
pub mod line;
pub mod modes;
pub mod repl;
pub mod reply;
pub mod split;
pub mod sys;
#[cfg(feature = "tls")]
pub mod tls;

use conn::{Conn, ConnError, ConnectError};
use format::Output;
use reply::Reply;
use std::io::{IsTerminal, Read, Write};

/// The version line of `-v` (redis-cli prints `redis-cli 7.0.15`).
pub fn version() -> String {
    format!("{} (ferredis {})", ferredis::config::REDIS_VERSION, ferredis::config::FERREDIS_VERSION)
}

pub const DEFAULT_PIPE_TIMEOUT: i64 = 30;

/// Everything the command line sets (redis-cli's `config`).
#[derive(Clone)]
pub struct Config {
    /// `--tls` and its options (set only in the `tls` build).
    pub tls: conn::TlsOpts,
    pub host: String,
    /// As given (redis-cli keeps an int and shows it; the connection uses its low 16 bits).
    pub port: i32,
    pub socket: Option<String>,
    pub repeat: i64,
    /// Microseconds between repeats (`-i`, also per cycle in `--scan`/`--stat`).
    pub interval_us: i64,
    pub input_dbnum: i32,
    pub auth: Option<Vec<u8>>,
    pub user: Option<Vec<u8>>,
    pub askpass: bool,
    pub output: Output,
    pub push_output: bool,
    pub mb_delim: Vec<u8>,
    pub cmd_delim: Vec<u8>,
    pub stdin_lastarg: bool,
    pub stdin_tag: Option<Vec<u8>>,
    pub quoted_input: bool,
    pub set_errcode: bool,
    pub no_auth_warning: bool,
    pub resp2: bool,
    /// 1: `-3` given; 2: implied by `--json`.
    pub resp3: u8,
    pub latency: bool,
    pub latency_history: bool,
    pub stat: bool,
    pub scan: bool,
    pub pattern: Option<Vec<u8>>,
    /// `--count` for `--scan` (a redis-cli 7.2 option; 7.0 has none and sends no COUNT).
    pub scan_count: Option<u64>,
    pub bigkeys: bool,
    pub memkeys: bool,
    pub memkeys_samples: u32,
    pub hotkeys: bool,
    pub pipe: bool,
    pub pipe_timeout: i64,
    pub rdb: Option<String>,
    pub functions_rdb: bool,
    pub eval: Option<String>,
    /// `--ldb` / `--ldb-sync-mode`: run the `--eval` script under the Lua debugger (forked or synchronous).
    pub ldb: bool,
    pub ldb_sync: bool,
    pub intrinsic_latency: Option<i64>,
    pub verbose: bool,
    /// `--replica` / `--slave`: show what a master propagates.
    pub replica: bool,
    /// `-c`: follow -MOVED and -ASK redirections.
    pub cluster_mode: bool,
    /// `--cluster <command> [args...]`: the cluster manager.
    pub cluster: Option<cluster::Opts>,
}

impl Default for Config {
    fn default() -> Config {
        let tty = std::io::stdout().is_terminal() || std::env::var_os("FAKETTY").is_some();
        Config {
            tls: Default::default(),
            host: "127.0.0.1".into(),
            port: 6379,
            socket: None,
            repeat: 1,
            interval_us: 0,
            input_dbnum: 0,
            auth: None,
            user: None,
            askpass: false,
            output: if tty { Output::Standard } else { Output::Raw },
            push_output: tty,
            mb_delim: b"\n".to_vec(),
            cmd_delim: b"\n".to_vec(),
            stdin_lastarg: false,
            stdin_tag: None,
            quoted_input: false,
            set_errcode: false,
            no_auth_warning: false,
            resp2: false,
            resp3: 0,
            latency: false,
            latency_history: false,
            stat: false,
            scan: false,
            pattern: None,
            scan_count: None,
            bigkeys: false,
            memkeys: false,
            memkeys_samples: 0,
            hotkeys: false,
            pipe: false,
            pipe_timeout: DEFAULT_PIPE_TIMEOUT,
            rdb: None,
            functions_rdb: false,
            eval: None,
            ldb: false,
            ldb_sync: false,
            intrinsic_latency: None,
            verbose: false,
            replica: false,
            cluster_mode: false,
            cluster: None,
        }
    }
}

/// C's `atof`: the longest numeric prefix, 0.0 when there is none.
fn atof(s: &str) -> f64 {
    let t = s.trim_start();
    let mut best = 0.0;
    for end in (1..=t.len()).rev() {
        if !t.is_char_boundary(end) {
            continue;
        }
        if let Ok(v) = t[..end].parse::<f64>() {
            best = v;
            break;
        }
    }
    best
}

fn atoi(s: &str) -> i32 {
    ferredis::util::atoll(s.as_bytes()) as i32
}

/// The `--cluster` options, which redis-cli accepts before or after `--cluster <command>`.
fn copts(c: &mut Config) -> &mut cluster::Opts {
    c.cluster.get_or_insert_with(|| cluster::Opts::new(String::new(), Vec::new()))
}

fn cflags(c: &mut Config, f: u32) {
    copts(c).flags |= f;
}

/// The outcome of option parsing: run with these arguments, or exit now with this status.
pub enum Parsed {
    Run(Box<Config>, Vec<Vec<u8>>),
    Exit(i32),
}

fn unrecognized(arg: &str) -> Parsed {
    eprintln!("Unrecognized option or bad number of args for: '{arg}'");
    Parsed::Exit(1)
}

/// The arguments being parsed and the position of the current one.
struct Args<'a> {
    argv: &'a [String],
    raw: &'a [Vec<u8>],
    i: usize,
}

impl<'a> Args<'a> {
    /// Whether an argument follows the current one (an option's value).
    fn has_next(&self) -> bool {
        self.i + 1 < self.argv.len()
    }

    /// Steps to the next argument and returns it as text.
    fn next(&mut self) -> String {
        self.i += 1;
        self.argv[self.i].clone()
    }

    /// Steps to the next argument and returns it as bytes.
    fn next_raw(&mut self) -> Vec<u8> {
        self.i += 1;
        self.raw[self.i].clone()
    }
}

/// What an option group made of one argument.
enum Opt {
    /// Taken (with its values).
    Taken,
    /// Not an option of this group.
    NotMine,
    /// Exit now with this status.
    Exit(i32),
}

/// redis-cli's `parseOptions`: options until the first argument that does not start with '-'. Option names
/// are matched on `argv` (the arguments as text); values that must stay binary-safe (passwords, patterns,
/// delimiters, the command itself) are taken from `raw`, the same arguments as bytes.
pub fn parse_options(argv: &[String], raw: &[Vec<u8>]) -> Parsed {
    let mut c = Config::default();
    let mut args = Args { argv, raw, i: 1 };
    while args.i < argv.len() {
        let a = argv[args.i].as_str();
        let mut opt = Opt::NotMine;
        for group in [general_option, mode_option, cluster_option] {
            opt = group(&mut c, a, &mut args);
            if !matches!(opt, Opt::NotMine) {
                break;
            }
        }
        match opt {
            Opt::Taken => {}
            Opt::Exit(code) => return Parsed::Exit(code),
            Opt::NotMine if c.cluster.as_ref().is_some_and(|o| !o.name.is_empty()) && !a.starts_with('-') => {
                // Cluster manager arguments given after its options (taken when it has none yet, else skipped).
                if copts(&mut c).args.is_empty() {
                    let i = args.i;
                    let mut j = i + 1;
                    while j < argv.len() && !argv[j].starts_with('-') {
                        j += 1;
                    }
                    copts(&mut c).args = raw[i..j].to_vec();
                    args.i = j - 1;
                }
            }
            Opt::NotMine => {
                if a.starts_with('-') {
                    return unrecognized(a);
                }
                break;
            }
        }
        args.i += 1;
    }
    if let Err(code) = check_options(&c, &argv[0]) {
        return Parsed::Exit(code);
    }
    let rest = raw[args.i.min(raw.len())..].to_vec();
    Parsed::Run(Box::new(c), rest)
}

/// The connection, protocol and output options, `--help` and `--version`.
fn general_option(c: &mut Config, a: &str, args: &mut Args) -> Opt {
    let has_next = args.has_next();
    #[cfg(feature = "tls")]
    {
        let value = args.argv.get(args.i + 1).cloned();
        match tls::option(&mut c.tls, a, value) {
            Some(true) => {
                args.i += 1;
                return Opt::Taken;
            }
            Some(false) => return Opt::Taken,
            None => {}
        }
    }
    match a {
        "-h" if has_next => c.host = args.next(),
        "-h" | "--help" => {
            print!("{}", help::usage());
            return Opt::Exit(0);
        }
        "-x" => c.stdin_lastarg = true,
        "-X" if has_next => c.stdin_tag = Some(args.next_raw()),
        "-p" if has_next => c.port = atoi(&args.next()),
        "-s" if has_next => c.socket = Some(args.next()),
        "-r" if has_next => c.repeat = ferredis::util::atoll(args.next().as_bytes()),
        "-i" if has_next => c.interval_us = (atof(&args.next()) * 1_000_000.0) as i64,
        "-n" if has_next => c.input_dbnum = atoi(&args.next()),
        "--no-auth-warning" => c.no_auth_warning = true,
        "--askpass" => c.askpass = true,
        "-a" | "--pass" if has_next => c.auth = Some(args.next_raw()),
        "--user" if has_next => c.user = Some(args.next_raw()),
        "-u" if has_next => {
            let uri = args.next();
            if let Err(code) = parse_uri(&uri, c) {
                return Opt::Exit(code);
            }
        }
        "--raw" => c.output = Output::Raw,
        "--no-raw" => c.output = Output::Standard,
        "--quoted-input" => c.quoted_input = true,
        "--csv" => c.output = Output::Csv,
        "--json" | "--quoted-json" => {
            if c.resp3 == 0 {
                c.resp3 = 2;
            }
            c.output = if a == "--json" { Output::Json } else { Output::QuotedJson };
        }
        "-c" => c.cluster_mode = true,
        "-d" if has_next => c.mb_delim = args.next_raw(),
        "-D" if has_next => c.cmd_delim = args.next_raw(),
        "-e" => c.set_errcode = true,
        "--verbose" => c.verbose = true,
        "-v" | "--version" => {
            println!("ferredis-cli {}", version());
            return Opt::Exit(0);
        }
        "-2" => c.resp2 = true,
        "-3" => c.resp3 = 1,
        "--show-pushes" if has_next => {
            let v = args.next();
            if !v.is_empty() && v.as_bytes()[0].eq_ignore_ascii_case(&b'n') {
                c.push_output = false;
            } else if !v.is_empty() && v.as_bytes()[0].eq_ignore_ascii_case(&b'y') {
                c.push_output = true;
            } else {
                eprintln!("Unknown --show-pushes value '{v}' (valid: '[y]es', '[n]o')");
            }
        }
        _ => return Opt::NotMine,
    }
    Opt::Taken
}

/// The options of the special modes (`--latency`, `--scan`, `--bigkeys`, `--pipe`, `--eval`, ...).
fn mode_option(c: &mut Config, a: &str, args: &mut Args) -> Opt {
    let has_next = args.has_next();
    match a {
        "--latency" => c.latency = true,
        "--latency-history" => {
            c.latency = true;
            c.latency_history = true;
        }
        "--stat" => c.stat = true,
        "--replica" | "--slave" => c.replica = true,
        "--scan" => c.scan = true,
        "--pattern" if has_next => c.pattern = Some(args.next_raw()),
        "--quoted-pattern" if has_next => match split::split_args(&args.next_raw()) {
            Some(mut v) if v.len() == 1 => c.pattern = v.pop(),
            _ => {
                eprintln!("Invalid quoted string specified for --quoted-pattern.");
                return Opt::Exit(1);
            }
        },
        "--count" if has_next => c.scan_count = Some(ferredis::util::atoll(args.next().as_bytes()).max(0) as u64),
        "--intrinsic-latency" if has_next => c.intrinsic_latency = Some(atoi(&args.next()) as i64),
        "--rdb" if has_next => c.rdb = Some(args.next()),
        "--functions-rdb" if has_next => {
            if c.rdb.is_some() && !c.functions_rdb {
                eprintln!("Option --functions-rdb and --rdb are mutually exclusive.");
                return Opt::Exit(1);
            }
            c.functions_rdb = true;
            c.rdb = Some(args.next());
        }
        "--pipe" => c.pipe = true,
        "--pipe-timeout" if has_next => c.pipe_timeout = atoi(&args.next()) as i64,
        "--bigkeys" => c.bigkeys = true,
        "--memkeys" => {
            c.memkeys = true;
            c.memkeys_samples = 0;
        }
        "--memkeys-samples" if has_next => {
            c.memkeys = true;
            c.memkeys_samples = atoi(&args.next()) as u32;
        }
        "--hotkeys" => c.hotkeys = true,
        "--eval" if has_next => c.eval = Some(args.next()),
        "--ldb" | "--ldb-sync-mode" => {
            c.ldb = true;
            c.ldb_sync |= a == "--ldb-sync-mode";
            c.output = Output::Raw;
        }
        _ => return Opt::NotMine,
    }
    Opt::Taken
}

/// `--cluster <command> [args...]` and the `--cluster-*` options of the cluster manager.
fn cluster_option(c: &mut Config, a: &str, args: &mut Args) -> Opt {
    let has_next = args.has_next();
    match a {
        "--cluster" if has_next => {
            if c.cluster.as_ref().is_some_and(|o| !o.name.is_empty()) {
                eprint!("{}", help::usage());
                return Opt::Exit(1);
            }
            args.i += 1;
            let (argv, raw, i) = (args.argv, args.raw, args.i);
            let mut j = i + 1;
            while j < argv.len() && !argv[j].starts_with('-') {
                j += 1;
            }
            let o = copts(c);
            o.name = argv[i].clone();
            o.args = raw[i + 1..j].to_vec();
            args.i = j - 1;
        }
        "--cluster" => {
            eprint!("{}", help::usage());
            return Opt::Exit(1);
        }
        "--cluster-only-masters" => cflags(c, cluster::F_MASTERS_ONLY),
        "--cluster-only-replicas" => cflags(c, cluster::F_SLAVES_ONLY),
        "--cluster-yes" => cflags(c, cluster::F_YES),
        "--cluster-simulate" => cflags(c, cluster::F_SIMULATE),
        "--cluster-replace" => cflags(c, cluster::F_REPLACE),
        "--cluster-copy" => cflags(c, cluster::F_COPY),
        "--cluster-slave" => cflags(c, cluster::F_SLAVE),
        "--cluster-use-empty-masters" => cflags(c, cluster::F_EMPTYMASTER),
        "--cluster-search-multiple-owners" => cflags(c, cluster::F_CHECK_OWNERS),
        "--cluster-fix-with-unreachable-masters" => cflags(c, cluster::F_FIX_UNREACHABLE),
        "--cluster-from-askpass" => copts(c).from_askpass = true,
        "--cluster-replicas" if has_next => copts(c).replicas = atoi(&args.next()),
        "--cluster-master-id" if has_next => copts(c).master_id = Some(args.next()),
        "--cluster-from" if has_next => copts(c).from = Some(args.next()),
        "--cluster-to" if has_next => copts(c).to = Some(args.next()),
        "--cluster-from-user" if has_next => copts(c).from_user = Some(args.next_raw()),
        "--cluster-from-pass" if has_next => copts(c).from_pass = Some(args.next_raw()),
        "--cluster-slots" if has_next => copts(c).slots = atoi(&args.next()),
        "--cluster-timeout" if has_next => copts(c).timeout = atoi(&args.next()),
        "--cluster-pipeline" if has_next => copts(c).pipeline = atoi(&args.next()),
        "--cluster-threshold" if has_next => copts(c).threshold = atof(&args.next()) as f32,
        "--cluster-weight" if has_next => {
            if !copts(c).weight.is_empty() {
                eprintln!("WARNING: you cannot use --cluster-weight more than once.\nYou can set more weights by adding them as a space-separated list, ie:\n--cluster-weight n1=w n2=w");
                return Opt::Exit(1);
            }
            let argv = args.argv;
            while args.i + 1 < argv.len() && !argv[args.i + 1].starts_with("--") && argv[args.i + 1].contains('=') {
                args.i += 1;
                copts(c).weight.push(argv[args.i].clone());
            }
        }
        _ => return Opt::NotMine,
    }
    Opt::Taken
}

/// The checks after the last option: mutually exclusive options and the password warning.
fn check_options(c: &Config, argv0: &str) -> Result<(), i32> {
    if c.socket.is_some() && c.cluster_mode {
        eprintln!("Options -c and -s are mutually exclusive.");
        return Err(1);
    }
    if c.resp2 && c.resp3 == 1 {
        eprintln!("Options -2 and -3 are mutually exclusive.");
        return Err(1);
    }
    if c.ldb && c.eval.is_none() {
        eprintln!("Options --ldb and --ldb-sync-mode require --eval.");
        eprintln!("Try {} --help for more information.", argv0);
        return Err(1);
    }
    if !c.no_auth_warning && c.auth.is_some() {
        eprintln!("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.");
    }
    if c.stdin_lastarg && c.stdin_tag.is_some() {
        eprintln!("Options -x and -X are mutually exclusive.");
        return Err(1);
    }
    Ok(())
}

fn percent_decode(s: &[u8]) -> Result<Vec<u8>, i32> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            if s.len() - i < 2 {
                eprintln!("Incomplete URI encoding");
                return Err(1);
            }
            // "%a" at the very end: redis-cli reads the terminating NUL as the second digit.
            let digit = |j: usize| s.get(j).and_then(|&c| (c.to_ascii_lowercase() as char).to_digit(16));
            match (digit(i + 1), digit(i + 2)) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => {
                    eprintln!("Illegal character in URI encoding");
                    return Err(1);
                }
            }
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// `redis://[[user:]password@]host[:port][/db]` (cli_common.c `parseRedisUri`).
fn parse_uri(uri: &str, c: &mut Config) -> Result<(), i32> {
    let b = uri.as_bytes();
    let lower = uri.to_ascii_lowercase();
    let mut cur = if lower.starts_with("rediss://") {
        #[cfg(feature = "tls")]
        {
            c.tls.on = true;
            9
        }
        #[cfg(not(feature = "tls"))]
        {
            eprintln!("rediss:// is only supported when ferredis-cli is compiled with OpenSSL");
            return Err(1);
        }
    } else if lower.starts_with("redis://") {
        8
    } else {
        eprintln!("Invalid URI scheme");
        return Err(1);
    };
    if cur == b.len() {
        return Ok(());
    }
    if let Some(at) = memchr::memchr(b'@', &b[cur..]).map(|p| p + cur) {
        if let Some(colon) = memchr::memchr(b':', &b[cur..]).map(|p| p + cur) {
            if colon < at {
                c.user = Some(percent_decode(&b[cur..colon])?);
                cur = colon + 1;
            }
        }
        c.auth = Some(percent_decode(&b[cur..at])?);
        cur = at + 1;
    }
    if cur == b.len() {
        return Ok(());
    }
    let path = memchr::memchr(b'/', &b[cur..]).map(|p| p + cur);
    if b[cur] != b'/' {
        let mut host_end = path.unwrap_or(b.len());
        if let Some(colon) = memchr::memchr(b':', &b[cur..]).map(|p| p + cur) {
            c.port = ferredis::util::atoll(&b[colon + 1..]) as i32;
            host_end = colon;
        }
        c.host = String::from_utf8_lossy(&b[cur..host_end]).into_owned();
    }
    cur = match path {
        Some(p) => p + 1,
        None => b.len(),
    };
    if cur == b.len() {
        return Ok(());
    }
    c.input_dbnum = ferredis::util::atoll(&b[cur..]) as i32;
    Ok(())
}

/// Flushes stdout after writing (redis-cli's `fwrite` + `fflush`). A closed stdout ends the process quietly,
/// as SIGPIPE would.
pub fn out(bytes: &[u8]) {
    let mut so = std::io::stdout().lock();
    if so.write_all(bytes).and_then(|_| so.flush()).is_err() {
        std::process::exit(1);
    }
}

/// The connection and the session state around it (redis-cli's `context` plus the `config` fields that
/// change while it runs).
pub struct Cli {
    pub cfg: Config,
    pub conn: Option<Conn>,
    pub dbnum: i32,
    pub in_multi: bool,
    pub pre_multi_dbnum: i32,
    pub interactive: bool,
    pub shutdown: bool,
    pub monitor_mode: bool,
    pub pubsub_mode: bool,
    pub last_was_error: bool,
    pub last_was_nil: bool,
    /// The error of the last failed read or connect (hiredis's `context->errstr`).
    pub last_error: Option<String>,
    pub prompt: String,
    /// The help table from `COMMAND DOCS`, loaded on first use.
    pub help: Option<Vec<help::Entry>>,
    /// A Lua debugging session is under way: the server's replies are the debugger's (raw, colourised).
    pub eval_ldb: bool,
    /// The session just ended (`<endsession>` seen): the EVAL's own reply follows.
    pub ldb_end: bool,
    /// SCRIPT DEBUG YES/SYNC was typed: the next EVAL starts a session.
    pub enable_ldb_on_eval: bool,
    /// `-c`: the last reply was -MOVED/-ASK; reconnect to the node it named and send the command again.
    pub reissue: bool,
    /// The redirection was -ASK: send ASKING first.
    pub send_asking: bool,
}

/// Commands whose reply is shown as is even in TTY mode (redis-cli's `output_raw` list).
fn shown_verbatim(argv: &[Vec<u8>]) -> bool {
    let is = |i: usize, s: &str| argv.get(i).map(|a| a.eq_ignore_ascii_case(s.as_bytes())).unwrap_or(false);
    let n = argv.len();
    is(0, "info")
        || is(0, "lolwut")
        || (n >= 2 && is(0, "debug") && (is(1, "htstats") || is(1, "htstats-key") || is(1, "client-eviction")))
        || (n >= 2 && is(0, "memory") && (is(1, "malloc-stats") || is(1, "doctor")))
        || (n == 2 && is(0, "cluster") && (is(1, "nodes") || is(1, "info")))
        || (n >= 2 && is(0, "client") && (is(1, "list") || is(1, "info")))
        || (n == 3 && is(0, "latency") && is(1, "graph"))
        || (n == 2 && is(0, "latency") && is(1, "doctor"))
        || (n >= 2 && is(0, "proxy") && is(1, "info"))
}

impl Cli {
    pub fn new(cfg: Config) -> Cli {
        let mut c = Cli {
            cfg,
            conn: None,
            dbnum: 0,
            in_multi: false,
            pre_multi_dbnum: 0,
            interactive: false,
            shutdown: false,
            monitor_mode: false,
            pubsub_mode: false,
            last_was_error: false,
            last_was_nil: false,
            last_error: None,
            prompt: String::new(),
            help: None,
            eval_ldb: false,
            ldb_end: false,
            enable_ldb_on_eval: false,
            reissue: false,
            send_asking: false,
        };
        c.eval_ldb = c.cfg.ldb;
        c.refresh_prompt();
        c
    }

    pub fn refresh_prompt(&mut self) {
        if self.eval_ldb {
            return;
        }
        let mut p = match &self.cfg.socket {
            Some(s) => format!("redis {s}"),
            None if self.cfg.host.contains(':') => format!("[{}]:{}", self.cfg.host, self.cfg.port),
            None => format!("{}:{}", self.cfg.host, self.cfg.port),
        };
        if self.dbnum != 0 {
            p.push_str(&format!("[{}]", self.dbnum));
        }
        if self.in_multi {
            p.push_str("(TX)");
        }
        p.push_str("> ");
        self.prompt = p;
    }

    /// A plain command on the open connection; `None` after an I/O error (the caller prints "I/O error").
    fn simple(&mut self, args: &[&[u8]]) -> Option<Reply> {
        let conn = self.conn.as_mut()?;
        match conn.command(args) {
            Ok(r) => Some(r),
            Err(e) => {
                self.last_error = Some(e.message());
                None
            }
        }
    }

    /// redis-cli's `cliConnect`: (re)connects when there is no usable connection or `force`, then AUTH,
    /// SELECT and HELLO 3 as configured. Returns false when any step failed (the connection may stay open,
    /// as in redis-cli, and the command is still sent).
    pub fn connect(&mut self, force: bool, quiet: bool) -> bool {
        if self.conn.is_some() && !force {
            return true;
        }
        // A new connection starts in db 0 outside MULTI; SELECT below brings back the chosen db. (redis-cli
        // skips this when its context was already freed after an error, and then shows a db it is not in.)
        self.conn = None;
        self.dbnum = 0;
        self.in_multi = false;
        self.refresh_prompt();
        let res = match &self.cfg.socket {
            Some(path) => Conn::unix(path).map_err(ConnectError::Io),
            None => Conn::open(&self.cfg.host, self.cfg.port as u16, &self.cfg.tls),
        };
        let conn = match res {
            Ok(c) => c,
            Err(ConnectError::Io(e)) => {
                let msg = conn::io_message(&e);
                if !quiet {
                    match &self.cfg.socket {
                        Some(p) => eprintln!("Could not connect to Redis at {p}: {msg}"),
                        None => eprintln!("Could not connect to Redis at {}:{}: {msg}", self.cfg.host, self.cfg.port),
                    }
                }
                self.last_error = Some(msg);
                return false;
            }
            // Printed even when `quiet`, as redis-cli does.
            #[cfg(feature = "tls")]
            Err(ConnectError::TlsSetup(msg)) => {
                eprintln!("Could not negotiate a TLS connection: {msg}");
                self.last_error = Some(msg);
                return false;
            }
        };
        self.conn = Some(conn);
        self.auth() && self.select() && self.switch_proto()
    }

    fn auth(&mut self) -> bool {
        let Some(pass) = self.cfg.auth.clone() else { return true };
        let reply = match self.cfg.user.clone() {
            Some(u) => self.simple(&[b"AUTH", &u, &pass]),
            None => self.simple(&[b"AUTH", &pass]),
        };
        match reply {
            None => {
                eprint!("\nI/O error\n");
                false
            }
            Some(Reply::Error(e)) => {
                eprintln!("AUTH failed: {}", String::from_utf8_lossy(format::cstr(&e)));
                false
            }
            Some(_) => true,
        }
    }

    pub fn select(&mut self) -> bool {
        if self.cfg.input_dbnum == self.dbnum {
            return true;
        }
        let db = self.cfg.input_dbnum.to_string();
        match self.simple(&[b"SELECT", db.as_bytes()]) {
            None => {
                eprint!("\nI/O error\n");
                false
            }
            Some(Reply::Error(e)) => {
                eprintln!("SELECT {db} failed: {}", String::from_utf8_lossy(format::cstr(&e)));
                false
            }
            Some(_) => {
                self.dbnum = self.cfg.input_dbnum;
                self.refresh_prompt();
                true
            }
        }
    }

    fn switch_proto(&mut self) -> bool {
        if self.cfg.resp3 == 0 || self.cfg.resp2 {
            return true;
        }
        match self.simple(&[b"HELLO", b"3"]) {
            None => {
                eprint!("\nI/O error\n");
                false
            }
            Some(Reply::Error(e)) => {
                eprintln!("HELLO 3 failed: {}", String::from_utf8_lossy(format::cstr(&e)));
                self.cfg.resp3 != 1
            }
            Some(_) => true,
        }
    }

    fn print_context_error(&self) {
        if self.conn.is_some() {
            if let Some(e) = &self.last_error {
                eprintln!("Error: {e}");
            }
        }
    }

    fn format_or_exit(&self, r: &Reply, verbatim: bool) -> Vec<u8> {
        match format::reply(r, self.cfg.output, verbatim, &self.cfg.mb_delim, &self.cfg.cmd_delim) {
            Ok(v) => v,
            Err(u) => {
                eprintln!("{}", u.message());
                std::process::exit(1);
            }
        }
    }

    /// Reads the next reply, handing RESP3 pushes to the push printer unless `want_push` (pub/sub mode
    /// reads them as replies).
    fn next_reply(&mut self, want_push: bool) -> Result<Reply, ConnError> {
        loop {
            let conn = self.conn.as_mut().ok_or(ConnError::Eof)?;
            let r = conn.read_reply()?;
            if matches!(r, Reply::Push(_)) && !want_push {
                if self.cfg.push_output {
                    let text = if self.cfg.output == Output::Standard && format::is_invalidate(&r) {
                        format::invalidate_tty(&r)
                    } else {
                        self.format_or_exit(&r, false)
                    };
                    out(&text);
                }
                continue;
            }
            return Ok(r);
        }
    }

    /// redis-cli's `cliReadReply`: read, check `-e`, print. Err means the connection is gone (interactive
    /// mode reconnects); other failures end the process as in redis-cli.
    pub(crate) fn read_and_print(&mut self, verbatim: bool, want_push: bool) -> Result<(), ()> {
        let r = match self.next_reply(want_push) {
            Ok(r) => r,
            Err(e) => {
                self.last_error = Some(e.message());
                if self.shutdown {
                    self.conn = None;
                    return Ok(());
                }
                if self.interactive && e.is_disconnect() {
                    return Err(());
                }
                self.print_context_error();
                std::process::exit(1);
            }
        };
        self.last_was_error = r.is_error();
        self.last_was_nil = matches!(r, Reply::Nil);
        if self.cfg.cluster_mode {
            if let Reply::Error(e) = &r {
                if self.redirect(e) {
                    return Ok(());
                }
            }
        }
        if !self.interactive && self.cfg.set_errcode {
            if let Reply::Error(e) = &r {
                let mut so = std::io::stdout().lock();
                let _ = so.flush();
                eprintln!("{}", String::from_utf8_lossy(format::cstr(e)));
                std::process::exit(1);
            }
        }
        let text = if self.eval_ldb && self.cfg.output == Output::Raw && !verbatim {
            self.ldb_format(&r)
        } else {
            self.format_or_exit(&r, verbatim)
        };
        out(&text);
        Ok(())
    }

    /// `-c`: a `MOVED <slot> <host>:<port>` or `ASK ...` error points the connection at that node (redis-cli
    /// prints `-> Redirected to slot [N] located at host:port` in interactive mode); the caller reissues.
    fn redirect(&mut self, e: &[u8]) -> bool {
        let e = format::cstr(e);
        let ask = e.starts_with(b"ASK ");
        if !(ask || e.starts_with(b"MOVED ")) {
            return false;
        }
        let e = String::from_utf8_lossy(e);
        let mut parts = e.splitn(3, ' ').skip(1);
        let slot = atoi(parts.next().unwrap_or(""));
        let addr = parts.next().unwrap_or("");
        let (host, port) = addr.rsplit_once(':').unwrap_or((addr, ""));
        self.cfg.host = host.to_string();
        self.cfg.port = atoi(port);
        if self.interactive {
            out(format!("-> Redirected to slot [{slot}] located at {}:{}\n", self.cfg.host, self.cfg.port).as_bytes());
        }
        self.reissue = true;
        self.send_asking |= ask;
        self.refresh_prompt();
        true
    }

    /// A reply during a Lua debugging session: raw, with the debugger's status lines colourised for an xterm;
    /// `<endsession>` prints nothing and ends the session (the EVAL's reply comes next, in standard form).
    fn ldb_format(&mut self, r: &Reply) -> Vec<u8> {
        let color = std::env::var("TERM").is_ok_and(|t| t.contains("xterm"));
        let mut text = Vec::new();
        let mut ended = false;
        if let Err(u) = format::raw_ldb(r, &self.cfg.mb_delim, color, &mut ended, &mut text) {
            eprintln!("{}", u.message());
            std::process::exit(1);
        }
        text.extend_from_slice(&self.cfg.cmd_delim);
        if ended {
            self.enable_ldb_on_eval = false;
            self.eval_ldb = false;
            self.ldb_end = true;
            self.cfg.output = Output::Standard;
            self.refresh_prompt();
        }
        text
    }

    /// redis-cli's `cliSendCommand`.
    fn send_command(&mut self, argv: &[Vec<u8>], mut repeat: i64) -> Result<(), ()> {
        if self.conn.is_none() {
            return Err(());
        }
        let is = |s: &str| argv[0].eq_ignore_ascii_case(s.as_bytes());
        let verbatim = shown_verbatim(argv);
        if is("shutdown") {
            self.shutdown = true;
        }
        if is("monitor") {
            self.monitor_mode = true;
        }
        if is("subscribe") || is("psubscribe") || is("ssubscribe") {
            self.pubsub_mode = true;
        }
        // SCRIPT DEBUG typed by hand: the next EVAL is a debugging session.
        if argv.len() == 3 && is("script") && argv[1].eq_ignore_ascii_case(b"debug") {
            let on = argv[2].eq_ignore_ascii_case(b"yes") || argv[2].eq_ignore_ascii_case(b"sync");
            self.enable_ldb_on_eval = on;
        }
        if is("eval") && self.enable_ldb_on_eval {
            self.eval_ldb = true;
            self.cfg.output = Output::Raw;
        }
        if is("sync") || is("psync") {
            // The command itself is what replica mode sends: SYNC, then the propagated stream.
            out(b"Entering replica output mode...  (press Ctrl-C to quit)\n");
            modes::replica(self, false);
            return Err(());
        }
        while repeat < 0 || {
            repeat -= 1;
            repeat >= 0
        } {
            if let Some(c) = self.conn.as_mut() {
                if let Err(e) = c.send(argv) {
                    self.last_error = Some(e.message());
                }
            }
            if self.monitor_mode {
                loop {
                    if self.read_and_print(verbatim, false).is_err() {
                        // Interactive mode: Ctrl-C closed the socket; the caller reconnects.
                        self.conn = None;
                        self.monitor_mode = false;
                        return Ok(());
                    }
                    if self.last_was_error {
                        self.monitor_mode = false;
                        break;
                    }
                }
                return Ok(());
            }
            if self.pubsub_mode {
                if self.cfg.output != Output::Raw {
                    out(b"Reading messages... (press Ctrl-C to quit)\n");
                }
                while self.pubsub_mode {
                    if self.read_and_print(verbatim, true).is_err() {
                        self.conn = None;
                        self.pubsub_mode = false;
                        return Ok(());
                    }
                    if self.last_was_error {
                        self.pubsub_mode = false;
                    }
                }
                continue;
            }
            self.read_and_print(verbatim, false)?;
            self.after_reply(argv);
            if self.reissue {
                // Redirected: stop repeating here, the caller sends the command to the new node.
                break;
            }
            if self.cfg.interval_us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(self.cfg.interval_us as u64));
            }
        }
        Ok(())
    }

    /// Tracks SELECT, MULTI/EXEC/DISCARD and RESET for the prompt (redis-cli does it after each reply).
    fn after_reply(&mut self, argv: &[Vec<u8>]) {
        let is = |s: &str| argv[0].eq_ignore_ascii_case(s.as_bytes());
        let n = argv.len();
        if is("select") && n == 2 && !self.last_was_error {
            let db = ferredis::util::atoll(&argv[1]) as i32;
            self.cfg.input_dbnum = db;
            self.dbnum = db;
            self.refresh_prompt();
        } else if is("auth") && (n == 2 || n == 3) {
            self.select();
        } else if is("multi") && n == 1 && !self.last_was_error {
            self.in_multi = true;
            self.pre_multi_dbnum = self.dbnum;
            self.refresh_prompt();
        } else if is("exec") && n == 1 && self.in_multi {
            self.in_multi = false;
            if self.last_was_error || self.last_was_nil {
                self.cfg.input_dbnum = self.pre_multi_dbnum;
                self.dbnum = self.pre_multi_dbnum;
            }
            self.refresh_prompt();
        } else if is("discard") && n == 1 && !self.last_was_error {
            self.in_multi = false;
            self.cfg.input_dbnum = self.pre_multi_dbnum;
            self.dbnum = self.pre_multi_dbnum;
            self.refresh_prompt();
        } else if is("reset") && n == 1 && !self.last_was_error {
            self.in_multi = false;
            self.dbnum = 0;
            self.cfg.input_dbnum = 0;
            self.cfg.resp3 = 0;
            self.refresh_prompt();
        }
    }

    /// redis-cli's `issueCommandRepeat`: `help` is answered locally; otherwise (re)connect when needed and
    /// send. Returns false on failure (exit status 1 in one-shot mode).
    pub fn issue(&mut self, argv: &[Vec<u8>], repeat: i64) -> bool {
        // The debugger has its own `help`.
        if !self.eval_ldb && (argv[0].eq_ignore_ascii_case(b"help") || argv[0] == b"?") {
            help::output_help(self, &argv[1..]);
            return true;
        }
        loop {
            let broken = self.conn.as_ref().map(|c| c.broken).unwrap_or(true);
            if (self.reissue || broken) && !self.connect(true, false) {
                self.print_context_error();
                self.reissue = false;
                return false;
            }
            self.reissue = false;
            if self.send_asking && !self.asking() {
                self.print_context_error();
                return false;
            }
            if self.send_command(argv, repeat).is_err() {
                self.print_context_error();
                self.conn = None;
                return false;
            }
            if !(self.cfg.cluster_mode && self.reissue) {
                return true;
            }
        }
    }

    /// ASKING before a command redirected by -ASK (redis-cli's `cliSendAsking`).
    fn asking(&mut self) -> bool {
        self.send_asking = false;
        match self.simple(&[b"ASKING"]) {
            None => {
                eprint!("\nI/O error\n");
                false
            }
            Some(Reply::Error(e)) => {
                eprintln!("ASKING failed: {}", String::from_utf8_lossy(format::cstr(&e)));
                false
            }
            Some(_) => true,
        }
    }
}

/// Reads all of stdin (`-x`, `-X`).
fn read_stdin_arg() -> Vec<u8> {
    let mut v = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut v) {
        eprintln!("Reading from standard input: {}", conn::io_message(&e));
        std::process::exit(1);
    }
    v
}

/// redis-cli's `noninteractive`.
fn noninteractive(cli: &mut Cli, args: Vec<Vec<u8>>) -> i32 {
    let mut argv = if cli.cfg.quoted_input {
        let mut v = Vec::with_capacity(args.len());
        for a in &args {
            match split::split_args(a) {
                Some(mut one) if one.len() == 1 => v.push(one.remove(0)),
                _ => {
                    out(b"Invalid quoted string\n");
                    return 1;
                }
            }
        }
        v
    } else {
        args
    };
    if cli.cfg.stdin_lastarg {
        argv.push(read_stdin_arg());
    } else if let Some(tag) = cli.cfg.stdin_tag.clone() {
        match argv.iter().position(|a| *a == tag) {
            Some(i) => argv[i] = read_stdin_arg(),
            None => {
                eprintln!("Using -X option but stdin tag not match.");
                return 1;
            }
        }
    }
    let repeat = cli.cfg.repeat;
    if cli.issue(&argv, repeat) {
        0
    } else {
        1
    }
}

/// Reads a password from the terminal without echo (`--askpass`).
fn ask_password(msg: &str) -> Vec<u8> {
    eprint!("{msg}");
    let raw = sys::RawMode::enable(0).ok();
    let mut pass = Vec::new();
    let mut b = [0u8; 1];
    while let Ok(1) = std::io::stdin().lock().read(&mut b) {
        match b[0] {
            b'\r' | b'\n' => break,
            127 | 8 => {
                pass.pop();
            }
            c => {
                pass.push(c);
                if raw.is_some() {
                    eprint!("*");
                }
            }
        }
    }
    drop(raw);
    eprintln!();
    pass
}

/// The whole program, given its arguments as bytes; returns the exit status.
pub fn main(raw: &[Vec<u8>]) -> i32 {
    let argv: Vec<String> = raw.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let (mut cfg, args) = match parse_options(&argv, raw) {
        Parsed::Run(c, a) => (*c, a),
        Parsed::Exit(code) => return code,
    };
    if cfg.auth.is_none() {
        if let Some(a) = std::env::var_os("REDISCLI_AUTH") {
            use std::os::unix::ffi::OsStringExt;
            cfg.auth = Some(a.into_vec());
        }
    }
    if std::env::var_os("REDISCLI_CLUSTER_YES").is_some_and(|v| v == "1") {
        cflags(&mut cfg, cluster::F_YES);
    }
    if cfg.askpass {
        cfg.auth = Some(ask_password("Please input password: "));
    }
    if let Some(o) = cfg.cluster.as_mut().filter(|o| o.from_askpass) {
        o.from_pass = Some(ask_password("Please input import source node password: "));
    }
    if let Some(mut o) = cfg.cluster.take().filter(|o| !o.name.is_empty()) {
        if cfg.stdin_lastarg {
            o.args.push(read_stdin_arg());
        } else if let Some(tag) = &cfg.stdin_tag {
            let arg = read_stdin_arg();
            match o.args.iter().position(|a| a == tag) {
                Some(i) => o.args[i] = arg,
                None => {
                    eprintln!("Using -X option but stdin tag not match.");
                    return 1;
                }
            }
        }
        sys::sigpipe_default();
        return cluster::run(o, &cfg);
    }
    let special = cfg.latency
        || cfg.replica
        || cfg.rdb.is_some()
        || cfg.pipe
        || cfg.bigkeys
        || cfg.memkeys
        || cfg.hotkeys
        || cfg.stat
        || cfg.scan
        || cfg.intrinsic_latency.is_some();
    let mut cli = Cli::new(cfg);
    if special {
        sys::sigpipe_default();
        return modes::run_special(&mut cli);
    }
    if args.is_empty() && cli.cfg.eval.is_none() {
        sys::sigpipe_ignore();
        cli.connect(false, false);
        return repl::repl(&mut cli);
    }
    sys::sigpipe_default();
    if let Some(file) = cli.cfg.eval.clone() {
        if !cli.connect(false, false) {
            return 1;
        }
        return modes::eval(&mut cli, &file, &args);
    }
    cli.connect(false, true);
    noninteractive(&mut cli, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Option<(Config, Vec<Vec<u8>>)> {
        let mut v = vec!["ferredis-cli".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        let raw: Vec<Vec<u8>> = v.iter().map(|a| a.clone().into_bytes()).collect();
        match parse_options(&v, &raw) {
            Parsed::Run(c, a) => Some((*c, a)),
            Parsed::Exit(_) => None,
        }
    }

    #[test]
    fn options_stop_at_the_command() {
        let (c, a) = parse(&["-p", "7000", "-n", "2", "--no-raw", "get", "-x"]).unwrap();
        assert_eq!((c.port, c.input_dbnum, c.output), (7000, 2, Output::Standard));
        assert_eq!(a, vec![b"get".to_vec(), b"-x".to_vec()]);
        assert!(parse(&["--bogus"]).is_none());
        assert!(parse(&["-2", "-3"]).is_none());
        let (c, _) = parse(&["-i", "0.25", "-r", "-1"]).unwrap();
        assert_eq!((c.interval_us, c.repeat), (250_000, -1));
    }

    #[test]
    fn uri_parts() {
        let (c, _) = parse(&["-u", "redis://us%65r:p%40ss@example.com:7001/5", "--no-auth-warning"]).unwrap();
        assert_eq!(c.user.as_deref(), Some(b"user".as_slice()));
        assert_eq!(c.auth.as_deref(), Some(b"p@ss".as_slice()));
        assert_eq!((c.host.as_str(), c.port, c.input_dbnum), ("example.com", 7001, 5));
        let (c, _) = parse(&["-u", "redis://secret@host"]).unwrap();
        assert_eq!((c.user, c.auth.as_deref(), c.host.as_str()), (None, Some(b"secret".as_slice()), "host"));
        assert!(parse(&["-u", "http://host"]).is_none());
        assert!(parse(&["-u", "redis://a%zz@h"]).is_none());
    }

    #[test]
    fn verbatim_commands() {
        let v = |s: &str| s.split(' ').map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>();
        assert!(shown_verbatim(&v("info")));
        assert!(shown_verbatim(&v("CLIENT LIST")));
        assert!(shown_verbatim(&v("latency doctor")));
        assert!(!shown_verbatim(&v("latency doctor x")));
        assert!(!shown_verbatim(&v("get info")));
    }
}
