//! The Lua language corpus (`tests/lua/*.lua`) run by ferredis's interpreter and by the reference `lua5.1`,
//! compared byte for byte.
//!
//! Each corpus file is a set of small programs. A line `--## name` starts a program; lines before the first
//! marker are the file's prelude, shared by its programs. Every program runs as its own chunk: the prelude, then
//! the program, with every other line of the file blanked so line numbers in messages are the file's own. The
//! chunk is fed to `lua5.1 -` (so its name is `stdin`, and ours is loaded as `=stdin`); the expected output is
//! what `lua5.1` prints, followed, when the chunk dies of an error, by `error: <message>` (the first part of
//! `lua5.1`'s report, without its traceback).
//!
//! Our side builds a [`Lua`] state with every library Redis opens plus the stock globals Redis removes
//! (`open_lua51_extras`), replaces `print` with a native that appends to a buffer (the buffer is the host value
//! every native receives), then loads and calls the chunk. A hook stops a runaway program; a panic inside the
//! interpreter is caught and reported as a failure of that program (the interpreter must never panic).
//!
//! Two passes: the default collector settings, and a stress pass where the collector runs at (nearly) every safe
//! point, which exposes values a native or the VM forgot to root.
//!
//! `LUA_CORPUS_FILTER=substring` limits the run to programs whose `file: name` contains the substring. Without
//! `lua5.1` installed the tests print "skipped: lua5.1 not installed" and pass.

use std::any::Any;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;

use ferredis::lua::value::{ErrorKind, LuaError, Value};
use ferredis::lua::{lib, parse, Lua};

const LUA51: &str = "/usr/bin/lua5.1";
/// Hook interval and the number of hook calls after which a program is stopped: 50 million instructions, far
/// above what any corpus program needs, low enough to stop a runaway loop quickly.
const HOOK_INTERVAL: u32 = 100_000;
const MAX_TICKS: u64 = 500;
/// Instructions between two forced collections in the stress pass (at most one per safe point).
const STRESS_INTERVAL: u32 = 1;

/// One program of a corpus file.
struct Program {
    file: String,
    name: String,
    /// 1-based line of its `--##` marker.
    line: usize,
    /// The chunk: prelude and program lines, every other line blank.
    source: Vec<u8>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("lua")
}

fn split_programs(file: &str, text: &[u8]) -> Vec<Program> {
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].starts_with(b"--## ")).collect();
    let prelude_end = starts.first().copied().unwrap_or(lines.len());
    let mut out = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let mut source = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if i < prelude_end || (start..end).contains(&i) {
                source.extend_from_slice(l);
            }
            if i + 1 < lines.len() {
                source.push(b'\n');
            }
        }
        out.push(Program {
            file: file.to_string(),
            name: String::from_utf8_lossy(&lines[start][5..]).trim().to_string(),
            line: start + 1,
            source,
        });
    }
    out
}

fn load_corpus() -> Vec<Program> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("read tests/lua")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .collect();
    files.sort();
    let filter = std::env::var("LUA_CORPUS_FILTER").unwrap_or_default();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let text = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for p in split_programs(&name, &text) {
            if filter.is_empty() || format!("{}: {}", p.file, p.name).contains(&filter) {
                out.push(p);
            }
        }
    }
    out
}

/// What `lua5.1` prints for a chunk, with `error: <message>` appended if it fails.
fn reference_output(source: &[u8]) -> Vec<u8> {
    let mut child = Command::new(LUA51)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lua5.1");
    {
        let mut stdin = child.stdin.take().expect("lua5.1 stdin");
        stdin.write_all(source).expect("write to lua5.1");
    }
    let out = child.wait_with_output().expect("lua5.1 output");
    let mut text = out.stdout;
    if !out.status.success() {
        let err = out.stderr;
        let err = err.strip_prefix(b"lua5.1: ").unwrap_or(&err);
        let end = find(err, b"\nstack traceback:").unwrap_or(err.len());
        let mut msg = &err[..end];
        while msg.last() == Some(&b'\n') {
            msg = &msg[..msg.len() - 1];
        }
        text.extend_from_slice(b"error: ");
        text.extend_from_slice(msg);
        text.push(b'\n');
    }
    text
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The host value natives receive: the captured output and the hook's tick count.
struct Host {
    out: Vec<u8>,
    ticks: u64,
}

/// `print`: `tostring` of each argument (with `__tostring`), tab-separated, then a newline.
fn print_native(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    let mut line = Vec::new();
    for i in 1..=n {
        let v = l.arg(i);
        let s = l.tostring(host, v)?;
        match l.to_bytes(s) {
            Some(b) if matches!(s, Value::Str(_)) => line.extend_from_slice(&b),
            _ => return Err(l.runtime_error("'tostring' must return a string to 'print'")),
        }
        if i < n {
            line.push(b'\t');
        }
    }
    line.push(b'\n');
    if let Some(h) = host.downcast_mut::<Host>() {
        h.out.extend_from_slice(&line);
    }
    Ok(0)
}

fn hook(_l: &mut Lua, host: &mut dyn Any) -> Result<(), LuaError> {
    if let Some(h) = host.downcast_mut::<Host>() {
        h.ticks += 1;
        if h.ticks > MAX_TICKS {
            return Err(LuaError::new(ErrorKind::Killed, Value::Nil));
        }
    }
    Ok(())
}

/// The stress pass's hook, called every `STRESS_INTERVAL` instructions: it makes the next safe point collect
/// (after a collection the heap sets its threshold to at least 64 KB, so a low threshold alone does not keep
/// the collector running), and stops a runaway program after the same number of instructions as [`hook`].
fn stress_hook(l: &mut Lua, host: &mut dyn Any) -> Result<(), LuaError> {
    l.heap.gc_threshold = 0;
    if let Some(h) = host.downcast_mut::<Host>() {
        h.ticks += 1;
        if h.ticks > MAX_TICKS * u64::from(HOOK_INTERVAL / STRESS_INTERVAL) {
            return Err(LuaError::new(ErrorKind::Killed, Value::Nil));
        }
    }
    Ok(())
}

fn error_message(l: &Lua, e: &LuaError) -> Vec<u8> {
    if e.kind == ErrorKind::Killed {
        return b"(killed by the instruction-count hook: runaway program)".to_vec();
    }
    l.error_text(e).unwrap_or_else(|| b"(error object is not a string)".to_vec())
}

/// Compile a chunk as `lua5.1 -` does: named `=stdin`, compiled from inside one C call (`lua.c` runs the parser
/// under `lua_cpcall`, which counts as one syntax level; see `parse::compile_at_level`).
fn load_chunk(l: &mut Lua, source: &[u8]) -> Result<Value, LuaError> {
    match parse::compile_at_level(&mut l.heap, source, "=stdin", 1) {
        Ok(proto) => l.load_proto(Rc::new(proto)),
        Err(msg) => {
            let v = l.new_str(msg.as_bytes());
            Err(LuaError::new(ErrorKind::Syntax, v))
        }
    }
}

/// Our interpreter's output for a chunk, in the same form as [`reference_output`], and how many collections ran.
fn our_output(source: &[u8], gc_stress: bool) -> (Vec<u8>, u64) {
    let mut l = Lua::new();
    lib::open_libs(&mut l);
    lib::open_lua51_extras(&mut l);
    let print = l.new_native("print", print_native, Vec::new());
    l.set_global("print", print);
    l.hook = Some(hook);
    l.hook_interval = HOOK_INTERVAL;
    // The countdown to the first hook call is set when the state is made, before the interval above.
    l.vm.hook_left = HOOK_INTERVAL;
    if gc_stress {
        l.heap.gc_pause = 0;
        l.heap.gc_threshold = 0;
        l.hook = Some(stress_hook);
        l.hook_interval = STRESS_INTERVAL;
        l.vm.hook_left = STRESS_INTERVAL;
    }
    let mut host = Host { out: Vec::new(), ticks: 0 };
    let result = match load_chunk(&mut l, source) {
        Ok(f) => l.call(&mut host, f, &[]).map(|_| ()),
        Err(e) => Err(e),
    };
    let mut text = host.out;
    if let Err(e) = result {
        text.extend_from_slice(b"error: ");
        text.extend_from_slice(&error_message(&l, &e));
        text.push(b'\n');
    }
    (text, l.heap.cycles)
}

fn show(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        match c {
            b'\n' => s.push('\n'),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

/// A line diff of two outputs: every line, `-` expected / `+` got where they differ.
fn diff(expected: &[u8], got: &[u8]) -> String {
    let e: Vec<&[u8]> = expected.split(|&b| b == b'\n').collect();
    let g: Vec<&[u8]> = got.split(|&b| b == b'\n').collect();
    let mut out = String::new();
    for i in 0..e.len().max(g.len()) {
        match (e.get(i), g.get(i)) {
            (Some(a), Some(b)) if a == b => out.push_str(&format!("    {}\n", show(a))),
            (a, b) => {
                if let Some(a) = a {
                    out.push_str(&format!("  - {}\n", show(a)));
                }
                if let Some(b) = b {
                    out.push_str(&format!("  + {}\n", show(b)));
                }
            }
        }
    }
    out
}

/// Stack of the thread a program runs on: the server runs scripts on its main thread (8 MB by default), not on
/// a 2 MB test thread. `LUA_CORPUS_STACK_MB` overrides it.
fn stack_bytes() -> usize {
    std::env::var("LUA_CORPUS_STACK_MB").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(8) << 20
}

const INTERPRETER_THREAD: &str = "lua-corpus-program";

/// Panics on interpreter threads are reported as the program's output (with their message), so the default hook's
/// message and backtrace are kept for every other thread only.
fn quiet_interpreter_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(INTERPRETER_THREAD) {
                default(info);
            }
        }));
    });
}

/// [`our_output`] on a thread with [`stack_bytes`] of stack; a panic comes back as `Err` with its message.
fn run_on_big_stack(source: &[u8], gc_stress: bool) -> Result<(Vec<u8>, u64), Box<dyn Any + Send>> {
    let source = source.to_vec();
    std::thread::Builder::new()
        .name(INTERPRETER_THREAD.to_string())
        .stack_size(stack_bytes())
        .spawn(move || catch_unwind(AssertUnwindSafe(|| our_output(&source, gc_stress))))
        .expect("spawn the interpreter thread")
        .join()
        .unwrap_or_else(Err)
}

fn run_corpus(gc_stress: bool) {
    if !Path::new(LUA51).exists() {
        crate::common::oracle_missing(LUA51);
        return;
    }
    quiet_interpreter_panics();
    let programs = load_corpus();
    if std::env::var("LUA_CORPUS_FILTER").unwrap_or_default().is_empty() {
        assert!(programs.len() >= 150, "the corpus has only {} programs", programs.len());
    }
    let mut failures = Vec::new();
    let mut collections = 0;
    for p in &programs {
        let expected = reference_output(&p.source);
        let got = match run_on_big_stack(&p.source, gc_stress) {
            Ok((out, cycles)) => {
                collections += cycles;
                out
            }
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                format!("PANIC in the interpreter: {msg}\n").into_bytes()
            }
        };
        if expected != got {
            failures.push(format!(
                "--- {}:{} `{}` (- lua5.1, + ferredis)\n{}",
                p.file,
                p.line,
                p.name,
                diff(&expected, &got)
            ));
        }
    }
    let mode = if gc_stress { " with the collector at every safe point" } else { "" };
    println!(
        "{} of {} corpus programs match lua5.1{mode} ({collections} collections)",
        programs.len() - failures.len(),
        programs.len()
    );
    if gc_stress {
        assert!(
            collections > 100 * programs.len() as u64,
            "the stress pass ran only {collections} collections for {} programs",
            programs.len()
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus programs differ from lua5.1{mode}:\n\n{}",
        failures.len(),
        programs.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_matches_lua51() {
    run_corpus(false);
}

#[test]
fn corpus_matches_lua51_under_gc_stress() {
    run_corpus(true);
}

/// The splitter keeps line numbers: a program's lines sit where they are in the file, the prelude is shared.
#[test]
fn programs_keep_their_line_numbers() {
    let text = b"local p = 1\n--## one\nprint(p)\n--## two\nprint(p + 1)\n";
    let progs = split_programs("x.lua", text);
    assert_eq!(progs.len(), 2);
    assert_eq!(progs[0].name, "one");
    assert_eq!(progs[0].line, 2);
    assert_eq!(progs[0].source, b"local p = 1\n--## one\nprint(p)\n\n\n");
    assert_eq!(progs[1].source, b"local p = 1\n\n\n--## two\nprint(p + 1)\n");
}

/// Every corpus program runs under lua5.1 without dying of an error it did not mean to raise: a program that
/// ends in an error must say so in its name.
#[test]
fn corpus_programs_run_under_lua51() {
    if !Path::new(LUA51).exists() {
        crate::common::oracle_missing(LUA51);
        return;
    }
    let programs = load_corpus();
    let mut bad = Vec::new();
    for p in &programs {
        let out = reference_output(&p.source);
        if find(&out, b"error: ").is_some_and(|i| i == 0 || out[i - 1] == b'\n') && !p.name.contains("error") {
            bad.push(format!("{}:{} `{}`: {}", p.file, p.line, p.name, show(&out)));
        }
    }
    assert!(bad.is_empty(), "programs failing under lua5.1:\n{}", bad.join("\n"));
}
