//! FUNCTION LOAD | LIST | DELETE | FLUSH | DUMP | RESTORE | STATS | KILL | HELP, FCALL and FCALL_RO (Redis's
//! `functions.c` commands).
//!
//! The libraries live in [`crate::scripting::function::Functions`]
//! ([`ServerState::functions`](crate::state::ServerState::functions)); these handlers parse arguments, call it and
//! shape the replies as Redis 7.0 does. Every change counts one `dirty` so the command is propagated (AOF, replicas)
//! and counted for save points, as Redis's `server.dirty++`.

use super::admin::err_subcommand_syntax;
use super::shared::reply_help;
use super::{flag, Args, Command, Ctx, Group, KeySpecDef, BASE};
use crate::scripting::function::{flags as fflags, RestorePolicy, LOAD_TIMEOUT_MS, LUA_ENGINE};
use crate::scripting::{run_flags, BUSY_EVAL_ERR};

const SUB: Command =
    Command { flags: flag::NOSCRIPT, acl: "slow scripting", group: Group::Scripting, since: "7.0.0", ..BASE };

const WRITE_SUB: Command = Command {
    flags: flag::WRITE | flag::NOSCRIPT,
    acl: "write slow scripting",
    tips: "request_policy:all_shards response_policy:all_succeeded",
    ..SUB
};

const FCALL_BASE: Command = Command {
    arity: -3,
    flags: flag::NOSCRIPT | flag::SKIP_MONITOR | flag::NO_MANDATORY_KEYS | flag::STALE,
    acl: "slow scripting",
    group: Group::Scripting,
    since: "7.0.0",
    complexity: "Depends on the function that is executed.",
    syntax: "function numkeys{:integer} [key [key ...]] [arg [arg ...]]",
    ..BASE
};

const RW_KEYS: &[KeySpecDef] = &[KeySpecDef::keynum(2, "RW access update")
    .notes("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")];
const RO_KEYS: &[KeySpecDef] = &[KeySpecDef::keynum(2, "RO access")
    .notes("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "fcall",
        summary: "Invoke a function",
        handler: super::shared::run_by_server,
        key_specs: RW_KEYS,
        ..FCALL_BASE
    },
    Command {
        name: "fcall_ro",
        flags: flag::READONLY | FCALL_BASE.flags,
        summary: "Invoke a read-only function",
        handler: super::shared::run_by_server,
        key_specs: RO_KEYS,
        ..FCALL_BASE
    },
    Command {
        name: "function",
        arity: -2,
        flags: flag::SEES_CLIENTS,
        acl: "slow",
        summary: "A container for function commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: SUBCOMMANDS,
        ..SUB
    },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "delete",
        arity: 3,
        summary: "Delete a function by name",
        complexity: "O(1)",
        syntax: "library-name",
        handler: function_delete,
        ..WRITE_SUB
    },
    Command {
        name: "dump",
        arity: 2,
        summary: "Dump all functions into a serialized binary payload",
        complexity: "O(N) where N is the number of functions",
        handler: function_dump,
        ..SUB
    },
    Command {
        name: "flush",
        arity: -2,
        summary: "Deleting all functions",
        complexity: "O(N) where N is the number of functions deleted",
        syntax: "[ASYNC | SYNC]{async}",
        handler: function_flush,
        ..WRITE_SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        summary: "Show helpful text about the different subcommands",
        handler: function_help,
        ..SUB
    },
    Command {
        name: "kill",
        arity: 2,
        flags: flag::NOSCRIPT | flag::ALLOW_BUSY,
        summary: "Kill the function currently in execution.",
        handler: function_kill,
        tips: "request_policy:all_shards response_policy:one_succeeded",
        ..SUB
    },
    Command {
        name: "list",
        arity: -2,
        summary: "List information about all the functions",
        complexity: "O(N) where N is the number of functions",
        syntax: "[LIBRARYNAME library-name-pattern] [WITHCODE]",
        handler: function_list,
        tips: "nondeterministic_output_order",
        ..SUB
    },
    Command {
        name: "load",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::NOSCRIPT,
        summary: "Create a function with the given arguments (name, code, description)",
        complexity: "O(1) (considering compilation time is redundant)",
        syntax: "[REPLACE] function-code",
        handler: function_load,
        ..WRITE_SUB
    },
    Command {
        name: "restore",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::NOSCRIPT,
        summary: "Restore all the functions on the given payload",
        complexity: "O(N) where N is the number of functions on the payload",
        syntax: "serialized-value [FLUSH | APPEND | REPLACE]{policy}",
        handler: function_restore,
        ..WRITE_SUB
    },
    Command {
        name: "stats",
        arity: 2,
        flags: flag::NOSCRIPT | flag::ALLOW_BUSY,
        summary: "Return information about the function currently running (name, description, duration)",
        complexity: "O(1)",
        handler: function_stats,
        tips: "nondeterministic_output request_policy:all_shards response_policy:special",
        ..SUB
    },
];

/// FUNCTION LOAD \[REPLACE\] function-code
fn function_load(ctx: &mut Ctx, args: Args) {
    let mut replace = false;
    let mut i = 2;
    while i < args.len() - 1 {
        let a = args.get(i);
        i += 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
            continue;
        }
        let msg = format!("ERR Unknown option given: {}", String::from_utf8_lossy(a));
        return ctx.reply().error(&msg);
    }
    // The caller's commands must be applied whatever happens (our master, the AOF replay): no load time limit.
    let timeout = if crate::net::client::must_obey(ctx.client()) { 0 } else { LOAD_TIMEOUT_MS };
    match ctx.scripts().functions.load(args.get(i), replace, timeout) {
        Ok(name) => {
            ctx.count_changes(1);
            ctx.reply().bulk(&name);
        }
        Err(e) => ctx.reply().error(&format!("ERR {e}")),
    }
}

/// FUNCTION LIST [LIBRARYNAME library-name-pattern] \[WITHCODE\]
fn function_list(ctx: &mut Ctx, args: Args) {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let a = args.get(i);
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
            i += 1;
            continue;
        }
        if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i >= args.len() - 1 {
                return ctx.reply().error("ERR library name argument was not given");
            }
            pattern = Some(args.get(i + 1));
            i += 2;
            continue;
        }
        let msg = format!("ERR Unknown argument {}", String::from_utf8_lossy(a));
        return ctx.reply().error(&msg);
    }
    let s = ctx.scripts();
    let r = s.reply;
    let libs: Vec<_> = s
        .functions
        .ctx
        .libraries()
        .filter(|l| pattern.is_none_or(|p| crate::util::glob_match(p, &l.name, true)))
        .collect();
    r.array(libs.len());
    for lib in libs {
        r.map(if with_code { 4 } else { 3 });
        r.bulk(b"library_name");
        r.bulk(&lib.name);
        r.bulk(b"engine");
        r.bulk(LUA_ENGINE.as_bytes());
        r.bulk(b"functions");
        r.array(lib.functions.len());
        for f in lib.functions.values() {
            r.map(3);
            r.bulk(b"name");
            r.bulk(&f.name);
            r.bulk(b"description");
            match &f.desc {
                Some(d) => r.bulk(d),
                None => r.null(),
            }
            r.bulk(b"flags");
            let names: Vec<&str> =
                fflags::NAMES.iter().filter(|(bit, _)| f.flags & bit != 0).map(|(_, n)| *n).collect();
            r.set(names.len());
            for n in names {
                r.simple(n);
            }
        }
        if with_code {
            r.bulk(b"library_code");
            r.bulk(&lib.code);
        }
    }
}

/// FUNCTION DELETE library-name
fn function_delete(ctx: &mut Ctx, args: Args) {
    if !ctx.scripts().functions.delete(args.get(2)) {
        return ctx.reply().error("ERR Library not found");
    }
    ctx.count_changes(1);
    ctx.reply().ok();
}

/// FUNCTION FLUSH [ASYNC | SYNC]
///
/// ASYNC (or neither with `lazyfree-lazy-user-flush yes`) frees more than 64 functions, with their engine, on
/// the lazy-free thread, counted in INFO's `lazyfree_pending_objects` / `lazyfreed_objects` as Redis counts them.
fn function_flush(ctx: &mut Ctx, args: Args) {
    if args.len() > 3 {
        return err_subcommand_syntax(ctx.reply(), "function", args.get(1));
    }
    if args.len() == 3 && !args.get(2).eq_ignore_ascii_case(b"sync") && !args.get(2).eq_ignore_ascii_case(b"async") {
        return ctx.reply().error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    }
    let lazy = if args.len() == 3 {
        args.get(2).eq_ignore_ascii_case(b"async")
    } else {
        ctx.config().lazyfree_lazy_user_flush
    };
    let s = ctx.scripts();
    if !lazy {
        s.functions.flush();
    } else if let Some((lua, libs, n)) = s.functions.flush_async(crate::keyspace::object::FREE_EFFORT_THRESHOLD) {
        s.lazyfree.free_lua(lua, Box::new(libs), n as u64);
    }
    ctx.count_changes(1);
    ctx.reply().ok();
}

/// FUNCTION DUMP
fn function_dump(ctx: &mut Ctx, _args: Args) {
    let compression = ctx.config().stored_bool("rdbcompression");
    let payload = crate::persist::rdb::function_dump_payload(&ctx.scripts().functions.ctx.codes(), compression);
    ctx.reply().bulk(&payload);
}

/// FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]
fn function_restore(ctx: &mut Ctx, args: Args) {
    if args.len() > 4 {
        return err_subcommand_syntax(ctx.reply(), "function", args.get(1));
    }
    let mut policy = RestorePolicy::Append;
    if args.len() == 4 {
        let p = args.get(3);
        policy = if p.eq_ignore_ascii_case(b"append") {
            RestorePolicy::Append
        } else if p.eq_ignore_ascii_case(b"replace") {
            RestorePolicy::Replace
        } else if p.eq_ignore_ascii_case(b"flush") {
            RestorePolicy::Flush
        } else {
            return ctx
                .reply()
                .error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
        };
    }
    let codes = match crate::persist::rdb::read_function_payload(args.get(2)) {
        Ok(c) => c,
        Err(e) => return ctx.reply().error(&format!("ERR {e}")),
    };
    match ctx.scripts().functions.restore(&codes, policy) {
        Ok(()) => {
            ctx.count_changes(1);
            ctx.reply().ok();
        }
        Err(e) => ctx.reply().error(&format!("ERR {e}")),
    }
}

/// FUNCTION STATS
fn function_stats(ctx: &mut Ctx, _args: Args) {
    let s = ctx.scripts();
    let run = s.scripting.run.as_ref();
    if run.is_some_and(|r| r.has(run_flags::EVAL_MODE)) {
        return s.reply.error(BUSY_EVAL_ERR);
    }
    let running = run.map(|r| (r.funcname.clone(), r.start.elapsed().as_millis() as i64));
    let (libs, fns) = s.functions.counts();
    let r = s.reply;
    r.map(2);
    r.bulk(b"running_script");
    match running {
        None => r.null(),
        Some((name, ms)) => {
            r.map(3);
            r.bulk(b"name");
            r.bulk(name.as_bytes());
            r.bulk(b"command");
            let argv = s.functions.running.as_deref().unwrap_or_default();
            r.array(argv.len());
            for a in argv {
                r.bulk(a);
            }
            r.bulk(b"duration_ms");
            r.int(ms);
        }
    }
    r.bulk(b"engines");
    r.map(1);
    r.bulk(LUA_ENGINE.as_bytes());
    r.map(2);
    r.bulk(b"libraries_count");
    r.int(libs as i64);
    r.bulk(b"functions_count");
    r.int(fns as i64);
}

/// FUNCTION KILL: stops the running function if it has not written (Redis's `scriptKill` for functions).
fn function_kill(ctx: &mut Ctx, _args: Args) {
    match crate::scripting::kill(ctx.scripts().scripting, false) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => ctx.reply().error(e),
    }
}

/// FUNCTION HELP
fn function_help(ctx: &mut Ctx, _args: Args) {
    reply_help(ctx.reply(), "function", HELP);
}

const HELP: &[&str] = &[
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE \
     command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
];

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;

    const LIB: &str = "#!lua name=mylib\n\
                       redis.register_function('hello', function(keys, args) return 'hi ' .. args[1] end)\n\
                       redis.register_function{function_name='incr', callback=function(keys) \
                       return redis.call('INCR', keys[1]) end, description='counts', flags={'allow-oom'}}";

    #[test]
    fn load_call_list_delete() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["FUNCTION", "LOAD", LIB]), "$5\r\nmylib\r\n");
        assert_eq!(h.run(&["FUNCTION", "LOAD", LIB]), "-ERR Library 'mylib' already exists\r\n");
        assert_eq!(h.run(&["FCALL", "hello", "0", "you"]), "$6\r\nhi you\r\n");
        assert_eq!(h.run(&["FCALL", "HELLO", "0", "case"]), "$7\r\nhi case\r\n");
        assert_eq!(h.run(&["FCALL", "incr", "1", "n"]), ":1\r\n");
        assert_eq!(
            h.run(&["FCALL_RO", "incr", "1", "n"]),
            "-ERR Can not execute a script with write flag using *_ro command.\r\n"
        );
        assert_eq!(h.run(&["FCALL", "nope", "0"]), "-ERR Function not found\r\n");
        assert_eq!(h.run(&["FCALL", "hello", "x"]), "-ERR Bad number of keys provided\r\n");
        let list = h.run(&["FUNCTION", "LIST", "WITHCODE"]);
        assert!(list.starts_with("*1\r\n*8\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n"), "{list}");
        assert!(list.contains("$11\r\ndescription\r\n$6\r\ncounts\r\n$5\r\nflags\r\n*1\r\n+allow-oom\r\n"), "{list}");
        // REPLACE swaps the functions; the old callbacks are gone.
        let v2 = "#!lua name=mylib\nredis.register_function('hello2', function() return 2 end)";
        assert_eq!(h.run(&["FUNCTION", "LOAD", "REPLACE", v2]), "$5\r\nmylib\r\n");
        assert_eq!(h.run(&["FCALL", "hello", "0"]), "-ERR Function not found\r\n");
        assert_eq!(h.run(&["FCALL", "hello2", "0"]), ":2\r\n");
        assert_eq!(h.srv.functions.counts(), (1, 1));
        assert_eq!(h.run(&["FUNCTION", "DELETE", "mylib"]), "+OK\r\n");
        assert_eq!(h.srv.functions.counts(), (0, 0));
        assert_eq!(h.run(&["FUNCTION", "LIST"]), "*0\r\n");
    }

    #[test]
    fn load_errors_and_sandbox() {
        let mut h = Harness::new();
        let err = |h: &mut Harness, code: &str| h.run(&["FUNCTION", "LOAD", code]);
        assert_eq!(err(&mut h, "return 1"), "-ERR Missing library metadata\r\n");
        assert_eq!(err(&mut h, "#!js name=x\nreturn 1"), "-ERR Engine 'js' not found\r\n");
        assert_eq!(err(&mut h, "#!lua name=x\nlocal a = 1"), "-ERR No functions registered\r\n");
        assert_eq!(
            err(&mut h, "#!lua name=x\nreturn 1 +"),
            "-ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'\r\n"
        );
        assert_eq!(
            err(&mut h, "#!lua name=x\nredis.call('ping')"),
            "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global \
             variable 'call'\r\n"
        );
        assert_eq!(
            err(&mut h, "#!lua name=x\nx = 1"),
            "-ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table\r\n"
        );
        assert_eq!(
            err(&mut h, "#!lua name=x\nredis.register_function('a', 1)"),
            "-ERR Error registering functions: ERR second argument to redis.register_function must be a function\r\n"
        );
        assert_eq!(
            err(
                &mut h,
                "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags={'x'}}"
            ),
            "-ERR Error registering functions: ERR unknown flag given\r\n"
        );
        // Nothing was left behind by the failures, and the load-time API is gone at run time.
        assert_eq!(h.srv.functions.counts(), (0, 0));
        let lib = "#!lua name=x\nredis.register_function('f', function() return type(redis.register_function) .. \
                   type(redis.call) .. type(string.rep) end)";
        assert_eq!(h.run(&["FUNCTION", "LOAD", lib]), "$1\r\nx\r\n");
        assert_eq!(h.run(&["FCALL", "f", "0"]), "$19\r\nnilfunctionfunction\r\n");
    }

    #[test]
    fn dump_restore_flush_and_stats() {
        let mut h = Harness::new();
        h.run(&["FUNCTION", "LOAD", LIB]);
        let dump = h.run_raw(&crate::command::OwnedArgs::from_slices(&["FUNCTION", "DUMP"]));
        let start = dump.iter().position(|&c| c == b'\n').unwrap() + 1;
        let payload = dump[start..dump.len() - 2].to_vec();
        let restore = |h: &mut Harness, policy: &str| {
            let mut a = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload.clone()];
            if !policy.is_empty() {
                a.push(policy.as_bytes().to_vec());
            }
            h.run_args(&crate::command::OwnedArgs::from_slices(&a))
        };
        assert_eq!(restore(&mut h, ""), "-ERR Library mylib already exists\r\n");
        assert_eq!(restore(&mut h, "REPLACE"), "+OK\r\n");
        assert_eq!(h.run(&["FUNCTION", "FLUSH"]), "+OK\r\n");
        assert_eq!(h.run(&["FCALL", "hello", "0", "x"]), "-ERR Function not found\r\n");
        assert_eq!(restore(&mut h, "APPEND"), "+OK\r\n");
        assert_eq!(h.run(&["FCALL", "hello", "0", "x"]), "$4\r\nhi x\r\n");
        assert_eq!(
            restore(&mut h, "nope"),
            "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n"
        );
        assert_eq!(
            h.run(&["FUNCTION", "STATS"]),
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:1\r\n\
             $15\r\nfunctions_count\r\n:2\r\n"
        );
        assert_eq!(h.run(&["FUNCTION", "KILL"]), "-NOTBUSY No scripts in execution right now.\r\n");
    }
}
