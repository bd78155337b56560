//! Interactive mode (redis-cli's `repl`): prompt `127.0.0.1:6379[2](TX)> `, `N command` repeats, `quit`/
//! `exit`, `connect host port`, `clear`, `:set hints` (also from `~/.ferredisclirc`), help and hints from
//! `COMMAND DOCS`, history in
//! `~/.ferredis_history` (`FERREDISCLI_HISTFILE`; `/dev/null` disables it), reconnect after the server went
//! away ("not connected> " until it is back), and MONITOR/SUBSCRIBE streaming until Ctrl-C.

use super::help;
use super::line::{Editor, Helper, ReadResult};
use super::{out, split, sys, Cli};
use std::io::IsTerminal;

struct CliHelper<'a> {
    entries: &'a [help::Entry],
    hints: bool,
}

impl Helper for CliHelper<'_> {
    fn complete(&mut self, line: &str) -> Vec<String> {
        help::complete(self.entries, line)
    }
    fn hint(&mut self, line: &str) -> Option<String> {
        if !self.hints {
            return None;
        }
        help::hint(self.entries, line)
    }
}

/// A dotfile's path: `$env` if set, else `~/name`; `None` for `/dev/null` (redis-cli's `getDotfilePath`).
fn dotfile(env: &str, name: &str) -> Option<String> {
    let path = match std::env::var(env) {
        Ok(p) => p,
        Err(_) => format!("{}/{name}", std::env::var("HOME").ok()?),
    };
    if path == "/dev/null" {
        None
    } else {
        Some(path)
    }
}

/// `:set hints` / `:set nohints` (typed, or read from the preferences file when `interactive` is false).
fn set_preference(argv: &[Vec<u8>], interactive: bool, hints: &mut bool) {
    let from = if interactive { "" } else { ".ferredisclirc: " };
    if argv[0].eq_ignore_ascii_case(b":set") && argv.len() >= 2 {
        if argv[1].eq_ignore_ascii_case(b"hints") {
            *hints = true;
        } else if argv[1].eq_ignore_ascii_case(b"nohints") {
            *hints = false;
        } else {
            out(format!("{from}unknown redis-cli preference '{}'\n", String::from_utf8_lossy(&argv[1])).as_bytes());
        }
    } else {
        out(format!("{from}unknown redis-cli internal command '{}'\n", String::from_utf8_lossy(&argv[0])).as_bytes());
    }
}

/// `~/.ferredisclirc` (`FERREDISCLI_RCFILE`): one preference per line, as typed at the prompt.
fn load_preferences(hints: &mut bool) {
    let Some(path) = dotfile("FERREDISCLI_RCFILE", ".ferredisclirc") else { return };
    let Ok(text) = std::fs::read(&path) else { return };
    for line in text.split(|&c| c == b'\n') {
        if let Some(argv) = split::split_args(line) {
            if !argv.is_empty() {
                set_preference(&argv, false, hints);
            }
        }
    }
}

/// Commands whose arguments are secrets: they are not written to the history (redis-cli's
/// `isSensitiveCommand`).
fn is_sensitive(argv: &[Vec<u8>]) -> bool {
    let is = |i: usize, s: &str| argv.get(i).map(|a| a.eq_ignore_ascii_case(s.as_bytes())).unwrap_or(false);
    let n = argv.len();
    if is(0, "auth") || (n > 1 && is(0, "acl") && is(1, "setuser")) {
        return true;
    }
    if n > 2 && is(0, "config") && is(1, "set") && (is(2, "masterauth") || is(2, "masteruser") || is(2, "requirepass"))
    {
        return true;
    }
    if n > 4 && is(0, "hello") {
        let mut j = 2;
        while j < n {
            let more = n - 1 - j;
            if is(j, "auth") && more >= 2 {
                return true;
            } else if is(j, "setname") && more > 0 {
                j += 1;
            } else {
                return false;
            }
            j += 1;
        }
    }
    if n > 7 && is(0, "migrate") {
        for j in 6..n {
            let more = n - 1 - j;
            if (is(j, "auth") && more > 0) || (is(j, "auth2") && more >= 2) {
                return true;
            } else if is(j, "keys") && more > 0 {
                return false;
            }
        }
    }
    false
}

pub fn repl(cli: &mut Cli) -> i32 {
    session(cli).unwrap_or(0)
}

/// The prompt loop; `None` when `restart` asks `--eval --ldb` for a new debugging session.
pub fn session(cli: &mut Cli) -> Option<i32> {
    cli.interactive = true;
    // The Lua debugger has its own help (and COMMAND DOCS would fail inside a session): loaded once it ends.
    let mut entries = if cli.eval_ldb { Vec::new() } else { help::load(cli) };
    cli.help = Some(entries.clone());
    let mut ed = Editor::new();
    let tty = std::io::stdin().is_terminal();
    let hist = if tty { dotfile("FERREDISCLI_HISTFILE", ".ferredis_history") } else { None };
    if let Some(p) = &hist {
        ed.load_history(p);
    }
    let mut hints = true;
    if tty {
        load_preferences(&mut hints);
    }
    sys::sigint_exit();
    cli.refresh_prompt();
    loop {
        let prompt = if cli.conn.is_some() { cli.prompt.clone() } else { "not connected> ".to_string() };
        let line: Vec<u8> = {
            let mut helper = CliHelper { entries: &entries, hints };
            match ed.read_line(&prompt, &mut helper) {
                ReadResult::Line(l) => l,
                ReadResult::Interrupted | ReadResult::Eof => return Some(0),
            }
        };
        if line.is_empty() {
            continue;
        }
        let Some(argv) = line_args(cli, &line) else {
            out(b"Invalid argument(s)\n");
            if tty {
                remember(&mut ed, hist.as_deref(), &line);
            }
            continue;
        };
        if argv.is_empty() {
            continue;
        }
        let Some((repeat, skip)) = repeat_prefix(&argv) else {
            out(b"Invalid redis-cli repeat command option value.\n");
            continue;
        };
        let args = &argv[skip..];
        if tty && !is_sensitive(args) {
            remember(&mut ed, hist.as_deref(), &line);
        }
        let is = |s: &str| argv[0].eq_ignore_ascii_case(s.as_bytes());
        if is("quit") || is("exit") {
            return Some(0);
        } else if argv[0].first() == Some(&b':') {
            set_preference(&argv, true, &mut hints);
        } else if is("restart") {
            if cli.cfg.eval.is_some() {
                cli.eval_ldb = true;
                cli.cfg.output = super::format::Output::Raw;
                return None;
            }
            out(b"Use 'restart' only in Lua debugging mode.\n");
        } else if argv.len() == 3 && is("connect") {
            cli.cfg.host = String::from_utf8_lossy(&argv[1]).into_owned();
            cli.cfg.port = ferredis::util::atoll(&argv[2]) as i32;
            cli.refresh_prompt();
            cli.connect(true, false);
        } else if argv.len() == 1 && is("clear") {
            out(b"\x1b[H\x1b[2J");
        } else {
            run_command(cli, args, repeat, &mut entries);
        }
    }
}

/// The arguments of a typed line; `None` when its quoting is invalid.
fn line_args(cli: &Cli, line: &[u8]) -> Option<Vec<Vec<u8>>> {
    if cli.eval_ldb && (line.starts_with(b"eval ") || line.starts_with(b"e ")) {
        // The debugger's `eval <code>` takes the rest of the line verbatim.
        let cut = if line[1] == b' ' { 2 } else { 5 };
        Some(vec![line[..cut - 1].to_vec(), line[cut..].to_vec()])
    } else {
        split::split_args(line)
    }
}

/// The `N command` prefix: the repeat count and how many arguments it takes (0 or 1); `None` when the count
/// is not positive.
fn repeat_prefix(argv: &[Vec<u8>]) -> Option<(i64, usize)> {
    let (n, end, overflow) = ferredis::util::strtol(&argv[0]);
    if argv.len() > 1 && end == argv[0].len() && !argv[0].is_empty() {
        if overflow || n <= 0 {
            return None;
        }
        return Some((n, 1));
    }
    Some((1, 0))
}

/// Adds a line to the history and saves the history file.
fn remember(ed: &mut Editor, hist: Option<&str>, line: &[u8]) {
    ed.add_history(&String::from_utf8_lossy(line));
    if let Some(p) = hist {
        ed.save_history(p);
    }
}

/// Sends a typed command (`repeat` times, or streaming until Ctrl-C) and prints the replies and, past half a
/// second, the time it took; reloads the help when a Lua debugging session ended.
fn run_command(cli: &mut Cli, args: &[Vec<u8>], repeat: i64, entries: &mut Vec<help::Entry>) {
    let start = std::time::Instant::now();
    let streaming = args[0].eq_ignore_ascii_case(b"monitor")
        || args[0].eq_ignore_ascii_case(b"subscribe")
        || args[0].eq_ignore_ascii_case(b"psubscribe")
        || args[0].eq_ignore_ascii_case(b"ssubscribe");
    if streaming {
        stream_until_interrupt(cli, args, repeat);
    } else {
        cli.issue(args, repeat);
    }
    if cli.ldb_end {
        // The debugging session ended: the EVAL's own reply, then back to a normal prompt.
        cli.ldb_end = false;
        let _ = cli.read_and_print(false, false);
        let rolled_back = if cli.cfg.ldb_sync { "" } else { " -- dataset changes rolled back" };
        out(format!("\n(Lua debugging session ended{rolled_back})\n\n").as_bytes());
        *entries = help::load(cli);
        cli.help = Some(entries.clone());
    }
    let elapsed = start.elapsed().as_millis();
    if elapsed >= 500 && cli.cfg.output == super::format::Output::Standard {
        out(format!("({:.2}s)\n", elapsed as f64 / 1000.0).as_bytes());
    }
}

/// MONITOR and SUBSCRIBE read until Ctrl-C; then the connection is dropped and remade (the server cannot
/// be told to stop streaming), and the prompt comes back.
fn stream_until_interrupt(cli: &mut Cli, args: &[Vec<u8>], repeat: i64) {
    sys::INTERRUPTED.store(false, std::sync::atomic::Ordering::SeqCst);
    sys::catch_sigint();
    let sock = cli.conn.as_ref().and_then(|c| c.stream.shutdown_handle().ok());
    // A watcher thread shuts the socket down when SIGINT arrives, which ends the blocking read (over TLS too:
    // the session's socket is shut under it).
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done_w = done.clone();
    let watcher = sock.map(|s| {
        std::thread::spawn(move || {
            while !done_w.load(std::sync::atomic::Ordering::SeqCst) {
                if sys::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
                    s.shutdown();
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        })
    });
    cli.issue(args, repeat);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(w) = watcher {
        let _ = w.join();
    }
    sys::sigint_exit();
    cli.monitor_mode = false;
    cli.pubsub_mode = false;
    if sys::INTERRUPTED.swap(false, std::sync::atomic::Ordering::SeqCst) {
        cli.connect(true, false);
    }
}
