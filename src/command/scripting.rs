//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT EXISTS | FLUSH | HELP | KILL | LOAD (Redis 7.0's eval.c).
//!
//! The work is in [`crate::scripting`]. EVAL* and SCRIPT LOAD run with the server as the script host (so `redis.call`
//! goes through its full call path): [`Server::call`](crate::server::Server::call) runs them itself
//! (`server/scripting.rs`), and their table entries hold
//! [`shared::run_by_server`](crate::command::shared::run_by_server).

use super::shared::reply_help;
use super::{flag, Args, Command, Ctx, Group, KeySpecDef, BASE};
use crate::scripting::eval;

const EVAL_BASE: Command = Command {
    arity: -3,
    flags: flag::NOSCRIPT | flag::SKIP_MONITOR | flag::NO_MANDATORY_KEYS | flag::STALE,
    acl: "slow scripting",
    group: Group::Scripting,
    complexity: "Depends on the script that is executed.",
    ..BASE
};

const RW_KEYS: &[KeySpecDef] = &[KeySpecDef::keynum(2, "RW access update")
    .notes("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")];
const RW_KEYS_NO_NOTES: &[KeySpecDef] = &[KeySpecDef::keynum(2, "RW access update")];
const RO_KEYS: &[KeySpecDef] = &[KeySpecDef::keynum(2, "RO access")
    .notes("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")];
const RO_KEYS_NO_NOTES: &[KeySpecDef] = &[KeySpecDef::keynum(2, "RO access")];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "eval",
        since: "2.6.0",
        flags: flag::MAY_REPLICATE | EVAL_BASE.flags,
        summary: "Execute a Lua script server side",
        syntax: "script numkeys{:integer} [key [key ...]] [arg [arg ...]]",
        handler: super::shared::run_by_server,
        key_specs: RW_KEYS,
        ..EVAL_BASE
    },
    Command {
        name: "evalsha",
        since: "2.6.0",
        flags: flag::MAY_REPLICATE | EVAL_BASE.flags,
        summary: "Execute a Lua script server side",
        syntax: "sha1 numkeys{:integer} [key [key ...]] [arg [arg ...]]",
        handler: super::shared::run_by_server,
        key_specs: RW_KEYS_NO_NOTES,
        ..EVAL_BASE
    },
    Command {
        name: "eval_ro",
        flags: flag::READONLY | EVAL_BASE.flags,
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        syntax: "script numkeys{:integer} [key [key ...]] [arg [arg ...]]",
        handler: super::shared::run_by_server,
        key_specs: RO_KEYS,
        ..EVAL_BASE
    },
    Command {
        name: "evalsha_ro",
        flags: flag::READONLY | EVAL_BASE.flags,
        since: "7.0.0",
        summary: "Execute a read-only Lua script server side",
        syntax: "sha1 numkeys{:integer} [key [key ...]] [arg [arg ...]]",
        handler: super::shared::run_by_server,
        key_specs: RO_KEYS_NO_NOTES,
        ..EVAL_BASE
    },
    Command {
        name: "script",
        arity: -2,
        flags: BASE.flags | flag::SEES_CLIENTS,
        acl: "slow",
        group: Group::Scripting,
        since: "2.6.0",
        summary: "A container for Lua scripts management commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: SCRIPT_SUBCOMMANDS,
        ..BASE
    },
];

const SUB: Command =
    Command { flags: flag::NOSCRIPT, acl: "slow scripting", group: Group::Scripting, since: "2.6.0", ..BASE };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SCRIPT_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "debug",
        arity: 3,
        since: "3.2.0",
        summary: "Set the debug mode for executed scripts.",
        complexity: "O(1)",
        syntax: "<YES | SYNC | NO>{mode}",
        handler: script_debug,
        ..SUB
    },
    Command {
        name: "exists",
        arity: -3,
        summary: "Check existence of scripts in the script cache.",
        complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) \
                     operation).",
        syntax: "sha1 [sha1 ...]",
        handler: script_exists,
        tips: "request_policy:all_shards response_policy:agg_logical_and",
        ..SUB
    },
    Command {
        name: "flush",
        arity: -2,
        summary: "Remove all the scripts from the script cache.",
        complexity: "O(N) with N being the number of scripts in cache",
        syntax: "[ASYNC | SYNC]{async@6.2.0}",
        handler: script_flush,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        history: &[("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")],
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        handler: script_help,
        ..SUB
    },
    Command {
        name: "kill",
        arity: 2,
        flags: flag::NOSCRIPT | flag::ALLOW_BUSY,
        summary: "Kill the script currently in execution.",
        handler: script_kill,
        tips: "request_policy:all_shards response_policy:one_succeeded",
        ..SUB
    },
    Command {
        name: "load",
        arity: 3,
        flags: flag::NOSCRIPT | flag::STALE,
        summary: "Load the specified Lua script into the script cache.",
        complexity: "O(N) with N being the length in bytes of the script body.",
        syntax: "script",
        handler: super::shared::run_by_server,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        ..SUB
    },
    // Valkey 8.0 (not in Redis 7.0): appended after LOAD so `is_script_load` keeps its index.
    Command {
        name: "show",
        arity: 3,
        since: "8.0.0",
        summary: "Show server-side Lua script in the script cache.",
        complexity: "O(1).",
        syntax: "sha1",
        handler: script_show,
        ..SUB
    },
];

/// Whether `cmd` is SCRIPT LOAD (it compiles in the host's Lua state).
pub fn is_script_load(cmd: &Command) -> bool {
    std::ptr::eq(cmd, &SCRIPT_SUBCOMMANDS[5])
}

/// SCRIPT DEBUG YES|SYNC|NO: the client's next EVAL runs in a Lua debugging session ([`crate::scripting::ldb`]),
/// forked (YES) or in the server (SYNC). As in Redis, YES after SYNC keeps the session synchronous.
fn script_debug(ctx: &mut Ctx, args: Args) {
    use crate::net::client::flags as cf;
    if ctx.reply().pending_len() > 0 {
        ctx.reply().error("ERR SCRIPT DEBUG must be called outside a pipeline");
        return;
    }
    if args.is(2, "no") {
        ctx.client_mut().flags &= !(cf::LUA_DEBUG | cf::LUA_DEBUG_SYNC);
    } else if args.is(2, "yes") {
        ctx.client_mut().flags |= cf::LUA_DEBUG;
    } else if args.is(2, "sync") {
        ctx.client_mut().flags |= cf::LUA_DEBUG | cf::LUA_DEBUG_SYNC;
    } else {
        ctx.reply().error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
        return;
    }
    ctx.reply().ok();
}

/// SCRIPT EXISTS sha1 [sha1 ...]
fn script_exists(ctx: &mut Ctx, args: Args) {
    let ev = &ctx.scripts().scripting.eval;
    let found: Vec<bool> = args.iter().skip(2).map(|sha| ev.exists(sha)).collect();
    let r = ctx.reply();
    r.array(found.len());
    for f in found {
        r.int(f as i64);
    }
}

/// SCRIPT FLUSH [ASYNC | SYNC]
fn script_flush(ctx: &mut Ctx, args: Args) {
    if args.len() > 3 || (args.len() == 3 && !args.is(2, "sync") && !args.is(2, "async")) {
        ctx.reply().error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    let lazy = if args.len() == 3 { args.is(2, "async") } else { ctx.config().lazyfree_lazy_user_flush };
    let s = ctx.scripts();
    if !lazy {
        s.scripting.eval.flush();
    } else if let Some((lua, scripts)) = s.scripting.eval.flush_async(crate::keyspace::object::FREE_EFFORT_THRESHOLD) {
        let n = scripts.len() as u64;
        s.lazyfree.free_lua(lua, Box::new(scripts), n);
    }
    ctx.reply().ok();
}

/// SCRIPT SHOW sha1 (Valkey 8.0): the cached body of the script whose SHA-1 (any case) is `sha1`.
fn script_show(ctx: &mut Ctx, args: Args) {
    let s = ctx.scripts();
    match crate::scripting::eval::sha_key(args.get(2)).and_then(|k| s.scripting.eval.scripts.get(&k)) {
        Some(script) => s.reply.bulk(&script.body),
        None => s.reply.error("NOSCRIPT No matching script."),
    }
}

/// SCRIPT HELP
fn script_help(ctx: &mut Ctx, _args: Args) {
    reply_help(ctx.reply(), "script", eval::SCRIPT_HELP);
}

/// SCRIPT KILL
fn script_kill(ctx: &mut Ctx, _args: Args) {
    match crate::scripting::kill(ctx.scripts().scripting, true) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => ctx.reply().error(e),
    }
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;

    #[test]
    fn eval_runs_through_the_call_path() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["eval", "return {1, 'a', redis.call('set', KEYS[1], ARGV[1])}", "1", "k", "v"]),
            "*3\r\n:1\r\n$1\r\na\r\n+OK\r\n"
        );
        assert_eq!(h.run(&["get", "k"]), "$1\r\nv\r\n");
        assert_eq!(h.srv.stats.commandstats.get("set").map(|s| s.calls), Some(1));
        assert_eq!(
            h.run(&["eval", "return redis.call('nosuch')", "0"]),
            "-ERR Unknown Redis command called from script script: 8b8d1c0bd2e7d5b7d0bb05f9ba6f2e1b4b1b7a57, on @user_script:1.\r\n"
                .replace("8b8d1c0bd2e7d5b7d0bb05f9ba6f2e1b4b1b7a57", &crate::sha1::to_hex(&crate::sha1::sha1(b"return redis.call('nosuch')")))
        );
    }

    #[test]
    fn script_cache_commands() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["script", "load", "return 1"]), "$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n");
        assert_eq!(h.run(&["evalsha", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"]), ":1\r\n");
        assert_eq!(h.run(&["script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "x"]), "*2\r\n:1\r\n:0\r\n");
        assert_eq!(h.run(&["script", "flush"]), "+OK\r\n");
        assert_eq!(
            h.run(&["evalsha", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"]),
            "-NOSCRIPT No matching script. Please use EVAL.\r\n"
        );
        assert_eq!(h.run(&["script", "kill"]), "-NOTBUSY No scripts in execution right now.\r\n");
        assert_eq!(h.run(&["script", "flush", "lazy"]), "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n");
    }

    #[test]
    fn eval_kinds_follow_the_table() {
        let k = |n: &str| crate::scripting::eval::EvalKind::of(crate::command::lookup(n.as_bytes()).unwrap());
        assert_eq!(k("eval").map(|k| (k.sha, k.ro)), Some((false, false)));
        assert_eq!(k("evalsha").map(|k| (k.sha, k.ro)), Some((true, false)));
        assert_eq!(k("eval_ro").map(|k| (k.sha, k.ro)), Some((false, true)));
        assert_eq!(k("evalsha_ro").map(|k| (k.sha, k.ro)), Some((true, true)));
        assert!(k("get").is_none());
        let script = crate::command::lookup(b"script").unwrap();
        assert!(super::is_script_load(crate::command::lookup_sub(script, b"LOAD").unwrap()));
    }
}
