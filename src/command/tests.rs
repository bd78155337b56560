//! Unit tests of the command table as a whole. A sweep of every command's argument parsing for panics: each command (and subcommand) is called with argument
//! lists cut from its own syntax line (`COMMAND DOCS`' source), keywords at the end without their values, keywords
//! after a key, against a missing key and a key of every type. Redis answers each such call with an error or a
//! reply; a panic here is a crash a client could cause (the first one found: `HGETEX k EX 100 FIELDS`). The
//! random-script fuzz target (`fuzz/fuzz_targets/server_commands.rs`) explores deeper; this one is exhaustive over
//! the syntax lines and runs in every `cargo test`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::command::test_support::Harness;
use crate::command_spec::{all_commands, Command};

/// Commands not called: they stop the process, fork, write files, connect out, sleep, or block the client.
const SKIP: &[&str] = &[
    "shutdown",
    "debug",
    "save",
    "bgsave",
    "bgrewriteaof",
    "monitor",
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "failover",
    "migrate",
    "quit",
    "module",
    "config",
    "pfselftest",
    "wait",
    "waitaof",
    "blpop",
    "brpop",
    "blmove",
    "brpoplpush",
    "blmpop",
    "blmovem",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
    "xread",
    "xreadgroup",
    "subscribe",
    "psubscribe",
    "ssubscribe",
];

/// Subcommands not called, as [`SKIP`] (ACL SAVE / LOAD touch the ACL file).
const SKIP_SUB: &[&str] = &["acl|save", "acl|load"];

/// The setups the calls run against: no key, then `k` holding each type.
const SETUPS: &[&[&str]] = &[
    &[],
    &["set", "k", "1"],
    &["rpush", "k", "1", "2"],
    &["sadd", "k", "1", "a"],
    &["zadd", "k", "1", "1", "2", "a"],
    &["hset", "k", "1", "1", "a", "b"],
    &["xadd", "k", "1-1", "1", "1"],
    &["json.set", "k", "$", "{\"1\":[1,2]}"],
];

/// The words of a syntax line: keywords (upper case) as they are, placeholders filled with `k` (keys) or `1`.
fn syntax_words(syntax: &str) -> Vec<String> {
    syntax
        .split(|c: char| c.is_whitespace() || "[]|()<>".contains(c))
        .map(|w| w.split('{').next().unwrap_or("").trim_end_matches("..."))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_lowercase()) {
                if w == "key" || w.ends_with("key") { "k" } else { "1" }.to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

/// The argument lists tried for one command: every prefix of its syntax line, and each keyword alone after
/// nothing, a key, or a key and a value, with and without one value after it.
fn variants(words: &[String]) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = (0..=words.len()).map(|i| words[..i].to_vec()).collect();
    let keywords: Vec<&String> = words.iter().filter(|w| w.chars().any(|c| c.is_ascii_uppercase())).collect();
    for kw in &keywords {
        for head in [&[][..], &["k"][..], &["k", "1"][..], &["k", "1", "1"][..]] {
            let mut a: Vec<String> = head.iter().map(|s| s.to_string()).collect();
            a.push(kw.to_string());
            v.push(a.clone());
            a.push("1".into());
            v.push(a);
        }
        // Another keyword and its value first (`HGETEX k EX 100 FIELDS`).
        for first in &keywords {
            v.push(vec!["k".into(), first.to_string(), "1".into(), kw.to_string()]);
        }
    }
    v
}

/// Runs `args` after `setup` on a fresh server; a panic is returned as its message.
fn run_one(setup: &[&str], name: &[&str], args: &[String]) -> Result<(), String> {
    let mut argv: Vec<&str> = name.to_vec();
    argv.extend(args.iter().map(String::as_str));
    catch_unwind(AssertUnwindSafe(|| {
        let mut h = Harness::new();
        if !setup.is_empty() {
            h.run(setup);
        }
        h.run(&argv);
    }))
    .map_err(|e| {
        let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        format!("{argv:?} after {setup:?}: {}", msg.unwrap_or_default())
    })
}

/// Every (name words, command) pair to sweep: top-level commands without subcommands, and each subcommand.
fn targets() -> Vec<(Vec<&'static str>, &'static Command)> {
    let mut out = Vec::new();
    for c in all_commands().filter(|c| !SKIP.contains(&c.name)) {
        if c.subcommands.is_empty() {
            out.push((vec![c.name], c));
        }
        for s in c.subcommands {
            if !SKIP_SUB.contains(&format!("{}|{}", c.name, s.name).as_str()) {
                out.push((vec![c.name, s.name], s));
            }
        }
    }
    out
}

#[test]
fn no_argument_list_cut_from_a_syntax_line_panics() {
    // The panics this test catches would print through the default hook; keep the output to the summary.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut panics = Vec::new();
    let mut calls = 0usize;
    for (name, cmd) in targets() {
        for args in variants(&syntax_words(cmd.syntax)) {
            for setup in SETUPS {
                calls += 1;
                if let Err(e) = run_one(setup, &name, &args) {
                    panics.push(e);
                }
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(calls > 10_000, "only {calls} calls: the sweep lost its commands");
    assert!(panics.is_empty(), "{} of {calls} calls panicked:\n{}", panics.len(), panics.join("\n"));
}

#[test]
fn syntax_words_fill_placeholders() {
    let w = syntax_words("key [EX seconds | PERSIST] FIELDS numfields field [field ...]");
    assert_eq!(w, ["k", "EX", "1", "PERSIST", "FIELDS", "1", "1", "1"]);
    assert!(variants(&w).contains(&vec!["k".to_string(), "EX".into(), "1".into(), "PERSIST".into(), "FIELDS".into()]));
}

/// What the sweep found: JSON's read commands without a key read past the arguments. RedisJSON 2.8.3 (on Redis
/// 7.0.15) answers the arity error naming the command in lower case, however it was typed.
#[test]
fn json_reads_without_a_key_answer_the_arity_error() {
    let mut h = Harness::new();
    for name in ["json.get", "JSON.TYPE", "json.strlen", "json.arrlen", "json.objkeys", "Json.ObjLen", "json.resp"] {
        let want = format!("-ERR wrong number of arguments for '{}' command\r\n", name.to_ascii_lowercase());
        assert_eq!(h.run(&[name]), want);
    }
}
