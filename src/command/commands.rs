//! COMMAND and its subcommands COUNT | INFO | DOCS | LIST | GETKEYS | GETKEYSANDFLAGS | HELP, plus the argument
//! tree `COMMAND DOCS` derives from each command's `syntax` string.
//!
//! The syntax parser reads the redis.io notation (`key value [NX | XX] [EX seconds | PX milliseconds] [key ...]`):
//! UPPERCASE words are tokens, lowercase words are values, `[...]` is optional, `<...>` a required group, `|`
//! separates alternatives and `[x ...]` after `x` repeats it. Tested by the unit tests at the end of this file.

use super::shared::reply_help;
use super::{flag, lookup, lookup_sub, Args, BeginSearch, Command, Ctx, FindKeys, Group, KeySpecDef, OwnedArgs, BASE};
use crate::resp::reply::Reply;
use crate::util::glob_match;

const SUB: Command = Command {
    flags: flag::LOADING | flag::STALE,
    acl: "slow connection",
    group: Group::Server,
    since: "2.8.13",
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command { name: "count", arity: 2, summary: "Get total number of Redis commands", handler: command_count, ..SUB },
    Command {
        name: "docs",
        arity: -2,
        since: "7.0.0",
        summary: "Get array of specific Redis command documentation",
        complexity: "O(N) where N is the number of commands to look up",
        syntax: "[command-name [command-name ...]]",
        handler: command_docs,
        tips: "nondeterministic_output_order",
        ..SUB
    },
    Command {
        name: "getkeys",
        arity: -4,
        summary: "Extract keys given a full Redis command",
        complexity: "O(N) where N is the number of arguments to the command",
        // Redis 7.0 documents no arguments for it (redis-cli shows no hint either).
        syntax: "",
        handler: command_getkeys,
        ..SUB
    },
    Command {
        name: "getkeysandflags",
        arity: -4,
        since: "7.0.0",
        summary: "Extract keys and access flags given a full Redis command",
        complexity: "O(N) where N is the number of arguments to the command",
        // Redis 7.0 documents no arguments for it (redis-cli shows no hint either).
        syntax: "",
        handler: command_getkeysandflags,
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        handler: command_help,
        ..SUB
    },
    Command {
        name: "info",
        arity: -2,
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        complexity: "O(N) where N is the number of commands to look up",
        syntax: "[command-name [command-name ...]]",
        history: &[("7.0.0", "Allowed to be called with no argument to get info on all commands.")],
        handler: command_info,
        tips: "nondeterministic_output_order",
        ..SUB
    },
    Command {
        name: "list",
        arity: -2,
        since: "7.0.0",
        summary: "Get an array of Redis command names",
        complexity: "O(N) where N is the total number of Redis commands",
        syntax: "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
        handler: command_list,
        tips: "nondeterministic_output_order",
        ..SUB
    },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "command",
    arity: -1,
    flags: SUB.flags | flag::SENTINEL,
    summary: "Get array of Redis command details",
    complexity: "O(N) where N is the total number of Redis commands",
    tips: "nondeterministic_output_order",
    handler: command_all,
    subcommands: SUBCOMMANDS,
    ..SUB
}];

/// Finds a command by its full name: `get`, or `config|get` for a subcommand.
pub fn lookup_full(name: &[u8]) -> Option<(&'static Command, String)> {
    lookup_full_in(name, false)
}

/// The top-level commands a server has: a sentinel's (Redis's `CMD_SENTINEL` set and SENTINEL) or a normal
/// server's, in table order.
fn tops(sentinel: bool) -> Vec<&'static Command> {
    crate::command_spec::all_entries().filter(|c| crate::command_spec::in_mode(c, sentinel)).collect()
}

/// [`lookup_full`] among the commands of a sentinel (`sentinel`) or of a normal server.
fn lookup_full_in(name: &[u8], sentinel: bool) -> Option<(&'static Command, String)> {
    let top = |n: &[u8]| lookup_top_in(n, sentinel);
    match name.iter().position(|&c| c == b'|') {
        None => top(name).map(|c| (c, c.name.to_string())),
        Some(i) => {
            let parent = top(&name[..i])?;
            let sub = lookup_sub(parent, &name[i + 1..])?;
            Some((sub, format!("{}|{}", parent.name, sub.name)))
        }
    }
}

/// A top-level command by name (any case) among a sentinel's commands (`sentinel`) or a normal server's.
pub(crate) fn lookup_top_in(name: &[u8], sentinel: bool) -> Option<&'static Command> {
    if sentinel {
        tops(true).into_iter().find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
    } else {
        lookup(name)
    }
}

/// Every command and subcommand with its full name, in table order, of a sentinel (`sentinel`) or of a normal
/// server.
fn every_command_in(sentinel: bool) -> Vec<(&'static Command, String)> {
    let mut v = Vec::new();
    for c in tops(sentinel) {
        v.push((c, c.name.to_string()));
        // A sentinel is Redis 7.0's: the subcommands later versions added (CLIENT NO-TOUCH, SETINFO) are not
        // listed.
        for s in c.subcommands.iter().filter(|s| !sentinel || crate::command_spec::since_7_0(s.since)) {
            v.push((s, format!("{}|{}", c.name, s.name)));
        }
    }
    v
}

fn group_name(g: Group) -> &'static str {
    match g {
        Group::Generic => "generic",
        Group::String => "string",
        Group::List => "list",
        Group::Set => "set",
        Group::SortedSet => "sorted-set",
        Group::Hash => "hash",
        Group::PubSub => "pubsub",
        Group::Transactions => "transactions",
        Group::Connection => "connection",
        Group::Server => "server",
        Group::Scripting => "scripting",
        Group::HyperLogLog => "hyperloglog",
        Group::Cluster => "cluster",
        Group::Geo => "geo",
        Group::Stream => "stream",
        Group::Bitmap => "bitmap",
        Group::Sentinel => "sentinel",
        Group::Module => "module",
    }
}

/// Key-spec flag names in the order Redis reports them.
const KEY_SPEC_FLAGS: &[&str] =
    &["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

/// Space separated flags in canonical order (unknown names last, as given).
fn ordered<'a>(words: &'a str, order: &[&str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = words.split_whitespace().collect();
    v.sort_by_key(|w| order.iter().position(|o| o == w).unwrap_or(usize::MAX));
    v
}

fn key_spec_flags(flags: &str) -> Vec<&str> {
    ordered(flags, KEY_SPEC_FLAGS)
}

/// The command's key specs; entries without any get one synthesized from the legacy triple (an unknown search
/// when a getkeys function computes the keys).
fn specs_of(c: &Command) -> Vec<KeySpecDef> {
    if !c.key_specs.is_empty() {
        return c.key_specs.to_vec();
    }
    let flags = c.legacy_key_flags();
    if c.getkeys.is_some() {
        vec![KeySpecDef::unknown(flags)]
    } else if c.keys.first > 0 {
        let k = c.keys;
        vec![KeySpecDef::range(k.first, if k.last < 0 { k.last } else { k.last - k.first }, k.step, flags)]
    } else {
        Vec::new()
    }
}

fn command_flags(c: &Command) -> Vec<&'static str> {
    let mut f = c.flags;
    if c.movable_keys() {
        f |= flag::MOVABLE_KEYS;
    }
    // may_replicate is hidden on purpose, as in Redis 7.0's COMMAND INFO.
    let f = f & !flag::MAY_REPLICATE;
    flag::NAMES.iter().filter(|(bit, _)| f & bit != 0).map(|(_, n)| *n).collect()
}

/// One `COMMAND INFO` entry: name, arity, flags, first/last/step, ACL categories, tips, key specs, subcommands.
fn write_info(r: &mut Reply, c: &'static Command, full_name: &str) {
    r.array(10);
    r.bulk(full_name.as_bytes());
    r.int(c.arity as i64);
    let flags = command_flags(c);
    r.set(flags.len());
    for f in flags {
        r.simple(f);
    }
    let (legacy, _) = c.legacy_range();
    r.int(legacy.first as i64);
    r.int(legacy.last as i64);
    r.int(legacy.step as i64);
    let cats = ordered(c.acl, crate::acl::registry::CATEGORIES);
    r.set(cats.len());
    for cat in cats {
        r.simple(&format!("@{cat}"));
    }
    let tips: Vec<&str> = c.tips.split_whitespace().collect();
    r.set(tips.len());
    for t in tips {
        r.bulk(t.as_bytes());
    }
    let specs = specs_of(c);
    r.set(specs.len());
    for s in &specs {
        write_key_spec(r, s);
    }
    // Redis sends an empty set when there are none, else an array (even in RESP3).
    if c.subcommands.is_empty() {
        r.set(0);
    } else {
        r.array(c.subcommands.len());
    }
    for s in c.subcommands {
        write_info(r, s, &format!("{full_name}|{}", s.name));
    }
}

/// One key spec: notes (when any), flags, begin_search and find_keys.
fn write_key_spec(r: &mut Reply, s: &KeySpecDef) {
    r.map(if s.notes.is_empty() { 3 } else { 4 });
    if !s.notes.is_empty() {
        r.bulk(b"notes");
        r.bulk(s.notes.as_bytes());
    }
    r.bulk(b"flags");
    let kf = key_spec_flags(s.flags);
    r.set(kf.len());
    for f in kf {
        r.simple(f);
    }
    r.bulk(b"begin_search");
    r.map(2);
    r.bulk(b"type");
    match s.begin_search {
        BeginSearch::Index(i) => {
            r.bulk(b"index");
            r.bulk(b"spec");
            r.map(1);
            r.bulk(b"index");
            r.int(i as i64);
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            r.bulk(b"keyword");
            r.bulk(b"spec");
            r.map(2);
            r.bulk(b"keyword");
            r.bulk(keyword.as_bytes());
            r.bulk(b"startfrom");
            r.int(startfrom as i64);
        }
        BeginSearch::Unknown => {
            r.bulk(b"unknown");
            r.bulk(b"spec");
            r.map(0);
        }
    }
    r.bulk(b"find_keys");
    r.map(2);
    r.bulk(b"type");
    let fields: &[(&str, i32)] = match s.find_keys {
        FindKeys::Range { lastkey, keystep, limit } => {
            r.bulk(b"range");
            &[("lastkey", lastkey), ("keystep", keystep), ("limit", limit)]
        }
        FindKeys::Keynum { keynumidx, firstkey, keystep } => {
            r.bulk(b"keynum");
            &[("keynumidx", keynumidx), ("firstkey", firstkey), ("keystep", keystep)]
        }
        FindKeys::Unknown => {
            r.bulk(b"unknown");
            &[]
        }
    };
    r.bulk(b"spec");
    r.map(fields.len());
    for (k, v) in fields {
        r.bulk(k.as_bytes());
        r.int(*v as i64);
    }
}

/// COMMAND
fn command_all(ctx: &mut Ctx, _args: Args) {
    let all = tops(ctx.settings().sentinel_mode());
    let r = ctx.reply();
    r.array(all.len());
    for c in all {
        write_info(r, c, c.name);
    }
}

/// COMMAND COUNT
fn command_count(ctx: &mut Ctx, _args: Args) {
    let n = if ctx.settings().sentinel_mode() { tops(true).len() } else { super::count() };
    ctx.reply().int(n as i64);
}

/// COMMAND INFO [command-name ...]
fn command_info(ctx: &mut Ctx, args: Args) {
    if args.len() == 2 {
        command_all(ctx, args);
        return;
    }
    let sentinel = ctx.settings().sentinel_mode();
    let r = ctx.reply();
    r.array(args.len() - 2);
    for name in args.iter().skip(2) {
        match lookup_full_in(name, sentinel) {
            Some((c, full)) => write_info(r, c, &full),
            None => r.null(),
        }
    }
}

/// COMMAND DOCS [command-name ...]
fn command_docs(ctx: &mut Ctx, args: Args) {
    let sentinel = ctx.settings().sentinel_mode();
    let found: Vec<(&'static Command, String)> = if args.len() == 2 {
        tops(sentinel).into_iter().map(|c| (c, c.name.to_string())).collect()
    } else {
        args.iter().skip(2).filter_map(|n| lookup_full_in(n, sentinel)).collect()
    };
    let r = ctx.reply();
    r.map(found.len());
    for (c, full) in found {
        r.bulk(full.as_bytes());
        write_docs(r, c, &full);
    }
}

/// Redis's `doc_flags` of the commands that have them: (full name, flag, deprecated since, replaced by).
const DOC_FLAGS: &[(&str, &str, &str, &str)] = &[
    ("brpoplpush", "deprecated", "6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
    ("cluster|slaves", "deprecated", "5.0.0", "`CLUSTER REPLICAS`"),
    ("cluster|slots", "deprecated", "7.0.0", "`CLUSTER SHARDS`"),
    ("debug", "syscmd", "", ""),
    ("georadius", "deprecated", "6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"),
    ("georadius_ro", "deprecated", "6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument"),
    (
        "georadiusbymember",
        "deprecated",
        "6.2.0",
        "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
    ),
    ("georadiusbymember_ro", "deprecated", "6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    ("getset", "deprecated", "6.2.0", "`SET` with the `!GET` argument"),
    ("hmset", "deprecated", "4.0.0", "`HSET` with multiple field-value pairs"),
    ("pfdebug", "syscmd", "", ""),
    ("pfselftest", "syscmd", "", ""),
    ("replconf", "syscmd", "", ""),
    ("restore-asking", "syscmd", "", ""),
    ("rpoplpush", "deprecated", "6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    ("sentinel|slaves", "deprecated", "5.0.0", "`SENTINEL REPLICAS`"),
    ("slaveof", "deprecated", "5.0.0", "`REPLICAOF`"),
    ("substr", "deprecated", "2.0.0", "`GETRANGE`"),
    ("zrangebylex", "deprecated", "6.2.0", "`ZRANGE` with the `BYLEX` argument"),
    ("zrangebyscore", "deprecated", "6.2.0", "`ZRANGE` with the `BYSCORE` argument"),
    ("zrevrange", "deprecated", "6.2.0", "`ZRANGE` with the `REV` argument"),
    ("zrevrangebylex", "deprecated", "6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments"),
    ("zrevrangebyscore", "deprecated", "6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
];

fn write_docs(r: &mut Reply, c: &'static Command, full_name: &str) {
    let module = if c.flags & flag::MODULE != 0 { crate::command_spec::module_of(c.name) } else { None };
    if let (Some(m), true) = (module, c.summary.is_empty()) {
        // A module command registered without docs documents its group and its module only (Redis 7.0's
        // `addReplyCommandDocs` for RedisJSON's commands).
        r.map(2);
        r.bulk(b"group");
        r.bulk(b"module");
        r.bulk(b"module");
        r.bulk(m.as_bytes());
        return;
    }
    let args = parse_syntax(c.syntax);
    let doc = DOC_FLAGS.iter().find(|d| d.0 == full_name);
    let (flag, since, replaced) = doc.map_or(("", "", ""), |d| (d.1, d.2, d.3));
    let n = 3
        + usize::from(module.is_some())
        + usize::from(!flag.is_empty())
        + usize::from(!since.is_empty())
        + usize::from(!replaced.is_empty())
        + usize::from(!c.complexity.is_empty())
        + usize::from(!c.history.is_empty())
        + usize::from(!args.is_empty())
        + usize::from(!c.subcommands.is_empty());
    r.map(n);
    for (k, v) in
        [("summary", c.summary), ("since", c.since), ("group", group_name(c.group)), ("complexity", c.complexity)]
    {
        // Redis leaves out a complexity it doesn't document (MONITOR).
        if !v.is_empty() || k != "complexity" {
            r.bulk(k.as_bytes());
            r.bulk(v.as_bytes());
        }
    }
    if let Some(m) = module {
        r.bulk(b"module");
        r.bulk(m.as_bytes());
    }
    if !flag.is_empty() {
        r.bulk(b"doc_flags");
        r.set(1);
        r.simple(flag);
    }
    for (k, v) in [("deprecated_since", since), ("replaced_by", replaced)] {
        if !v.is_empty() {
            r.bulk(k.as_bytes());
            r.bulk(v.as_bytes());
        }
    }
    if !c.history.is_empty() {
        r.bulk(b"history");
        r.set(c.history.len());
        for (ver, what) in c.history {
            r.array(2);
            r.bulk(ver.as_bytes());
            r.bulk(what.as_bytes());
        }
    }
    if !args.is_empty() {
        r.bulk(b"arguments");
        let nspecs = specs_of(c).len();
        write_doc_args(r, &args, &mut 0, nspecs);
    }
    if !c.subcommands.is_empty() {
        r.bulk(b"subcommands");
        r.map(c.subcommands.len());
        for s in c.subcommands {
            let name = format!("{full_name}|{}", s.name);
            r.bulk(name.as_bytes());
            write_docs(r, s, &name);
        }
    }
}

/// Writes an argument tree. Key arguments refer to the key specs in order (`COPY source destination`: specs 0
/// and 1); extra key arguments share the last spec (`LCS key1 key2`: both spec 0). `next_key` counts the key
/// arguments seen so far.
fn write_doc_args(r: &mut Reply, args: &[DocArg], next_key: &mut usize, nspecs: usize) {
    r.array(args.len());
    for a in args {
        let flags: Vec<&str> =
            [(a.optional, "optional"), (a.multiple, "multiple"), (a.multiple_token, "multiple_token")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, n)| *n)
                .collect();
        // Patterns that name keys (SORT's BY/GET) carry an explicit spec too.
        let is_key = a.kind == "key" || a.key_spec.is_some();
        let n = 2
            + usize::from(is_key)
            + usize::from(a.token.is_some())
            + usize::from(a.summary.is_some())
            + usize::from(a.since.is_some())
            + usize::from(a.deprecated.is_some())
            + usize::from(!flags.is_empty())
            + usize::from(!a.args.is_empty());
        r.map(n);
        r.bulk(b"name");
        r.bulk(a.name.as_bytes());
        r.bulk(b"type");
        r.bulk(a.kind.as_bytes());
        if is_key {
            r.bulk(b"key_spec_index");
            let i = a.key_spec.unwrap_or(*next_key).min(nspecs.saturating_sub(1));
            r.int(i as i64);
            *next_key = i + 1;
        }
        if let Some(t) = &a.token {
            r.bulk(b"token");
            r.bulk(t.as_bytes());
        }
        for (k, v) in [("summary", &a.summary), ("since", &a.since), ("deprecated_since", &a.deprecated)] {
            if let Some(v) = v {
                r.bulk(k.as_bytes());
                r.bulk(v.as_bytes());
            }
        }
        if !flags.is_empty() {
            r.bulk(b"flags");
            r.set(flags.len());
            for f in flags {
                r.simple(f);
            }
        }
        if !a.args.is_empty() {
            r.bulk(b"arguments");
            write_doc_args(r, &a.args, next_key, nspecs);
        }
    }
}

/// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
fn command_list(ctx: &mut Ctx, args: Args) {
    let all = every_command_in(ctx.settings().sentinel_mode());
    let names: Vec<&str> = if args.len() == 2 {
        all.iter().map(|(_, n)| n.as_str()).collect()
    } else if args.len() == 5 && args.is(2, "filterby") {
        let value = args.get(4);
        if args.is(3, "module") {
            // No module can be loaded: the built-in families answer to their modules' names.
            all.iter()
                .filter(|(c, _)| {
                    c.flags & flag::MODULE != 0
                        && crate::command_spec::module_of(c.name).map(str::as_bytes) == Some(value)
                })
                .map(|(_, n)| n.as_str())
                .collect()
        } else if args.is(3, "aclcat") {
            all.iter()
                .filter(|(c, _)| c.acl.split_whitespace().any(|cat| cat.as_bytes().eq_ignore_ascii_case(value)))
                .map(|(_, n)| n.as_str())
                .collect()
        } else if args.is(3, "pattern") {
            all.iter().filter(|(_, n)| glob_match(value, n.as_bytes(), true)).map(|(_, n)| n.as_str()).collect()
        } else {
            ctx.reply().err_syntax();
            return;
        }
    } else {
        ctx.reply().err_syntax();
        return;
    };
    let r = ctx.reply();
    r.array(names.len());
    for n in names {
        r.bulk(n.as_bytes());
    }
}

/// A GETKEYS call's command line and its keys: (argument index, key-spec flags).
type FoundKeys = (OwnedArgs, Vec<(usize, &'static str)>);

/// Resolves the command of a GETKEYS call and returns its keys within `args[2..]`, or the error to send.
fn getkeys(args: Args) -> Result<FoundKeys, &'static str> {
    let sub_args = OwnedArgs::from_slices(&args.iter().skip(2).collect::<Vec<_>>());
    let argv = sub_args.args();
    let mut cmd = lookup(argv.get(0)).ok_or("ERR Invalid command specified")?;
    if !cmd.subcommands.is_empty() && argv.len() > 1 {
        cmd = lookup_sub(cmd, argv.get(1)).ok_or("ERR Invalid command specified")?;
    }
    if !cmd.has_keys() {
        return Err("ERR The command has no key arguments");
    }
    if !cmd.arity_ok(argv.len()) {
        return Err("ERR Invalid number of arguments specified for command");
    }
    let keys: Vec<(usize, &'static str)> =
        cmd.keys_and_flags(argv).into_iter().filter(|&(i, _)| i < argv.len()).collect();
    if keys.is_empty() && !cmd.has(flag::NO_MANDATORY_KEYS) {
        return Err("ERR Invalid arguments specified for command");
    }
    Ok((sub_args, keys))
}

/// COMMAND GETKEYS command arg [arg ...]
fn command_getkeys(ctx: &mut Ctx, args: Args) {
    reply_keys(ctx, args, false)
}

/// COMMAND GETKEYSANDFLAGS command arg [arg ...]
fn command_getkeysandflags(ctx: &mut Ctx, args: Args) {
    reply_keys(ctx, args, true)
}

/// GETKEYS's reply (each key), or GETKEYSANDFLAGS's (each key with its key-spec flags).
fn reply_keys(ctx: &mut Ctx, args: Args, with_flags: bool) {
    let (owned, keys) = match getkeys(args) {
        Ok(k) => k,
        Err(e) => return ctx.reply().error(e),
    };
    let argv = owned.args();
    let r = ctx.reply();
    r.array(keys.len());
    for (i, flags) in keys {
        if !with_flags {
            r.bulk(argv.get(i));
            continue;
        }
        r.array(2);
        r.bulk(argv.get(i));
        let flags = key_spec_flags(flags);
        r.set(flags.len());
        for f in flags {
            r.simple(f);
        }
    }
}

/// COMMAND HELP
fn command_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
}

// -------------------------------------------------------------------------------------------------------------
// The syntax parser behind COMMAND DOCS

/// One node of a `COMMAND DOCS` argument tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocArg {
    pub name: String,
    /// key, string, integer, double, pattern, unix-time, pure-token, oneof or block.
    pub kind: &'static str,
    pub token: Option<String>,
    /// The version that added the argument, when later than the command.
    pub since: Option<String>,
    /// The version that deprecated the argument (CLIENT KILL's old `ip:port` form).
    pub deprecated: Option<String>,
    /// A key argument's spec, when not the next one in order (SORT's STORE destination is spec 2).
    pub key_spec: Option<usize>,
    /// The argument's own summary, which Redis's JSON files give a few newer arguments (INCREX's SATURATE); written
    /// `{~text}` after the argument.
    pub summary: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    pub args: Vec<DocArg>,
}

impl DocArg {
    /// A value argument; `name:type` overrides the type guessed from the name (`timeout:double`).
    fn value(name: &str) -> DocArg {
        let (name, kind) = match name.split_once(':') {
            Some((n, "double")) => (n, "double"),
            Some((n, "integer")) => (n, "integer"),
            Some((n, "string")) => (n, "string"),
            Some((n, "key")) => (n, "key"),
            _ => (name, value_type(name)),
        };
        DocArg {
            name: name.to_string(),
            kind,
            token: None,
            since: None,
            deprecated: None,
            key_spec: None,
            summary: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            args: Vec::new(),
        }
    }
    fn token(tok: &str) -> DocArg {
        // `""` is the empty token (MIGRATE's empty key argument).
        let token = if tok == "\"\"" { "" } else { tok };
        DocArg {
            name: tok.to_ascii_lowercase(),
            kind: "pure-token",
            token: Some(token.to_string()),
            ..DocArg::value("")
        }
    }
    fn group(kind: &'static str, name: String, args: Vec<DocArg>) -> DocArg {
        DocArg { name, kind, args, ..DocArg::value("") }
    }
}

/// Guesses a value's type from its conventional name in the redis.io notation.
fn value_type(name: &str) -> &'static str {
    const KEYS: &[&str] = &["key", "destination", "source", "newkey", "srckey", "dstkey", "key1", "key2", "src", "dst"];
    const INTEGERS: &[&str] = &[
        "count",
        "start",
        "end",
        "stop",
        "offset",
        "db",
        "index",
        "numkeys",
        "cursor",
        "port",
        "bit",
        "timeout",
        "increment",
        "decrement",
        "len",
        "length",
        "limit",
        "numreplicas",
        "position",
        "value-int",
        "ttl",
        "maxlen",
        "threshold",
        "number-of-clients",
        "client-id",
        "id-int",
        "index1",
        "index2",
        "protover",
    ];
    const DOUBLES: &[&str] = &["score", "longitude", "latitude", "radius", "width", "height", "weight"];
    if KEYS.contains(&name) {
        "key"
    } else if name == "pattern" {
        "pattern"
    } else if name.starts_with("unix-time") {
        "unix-time"
    } else if INTEGERS.contains(&name)
        || ["seconds", "milliseconds", "-count", "-db", "-index", "-offset", "timeout"]
            .iter()
            .any(|s| name.ends_with(s))
    {
        "integer"
    } else if DOUBLES.contains(&name) {
        "double"
    } else {
        "string"
    }
}

/// Raw syntax tree: words, bracketed groups of alternatives, the `...` repetition mark, and `{name}`, which
/// names the argument right before it (`[NX | XX]{condition}`: Redis's names for groups aren't derivable);
/// `{:double}` or `{name:double}` also sets a value's type (`increment{:double}` for INCRBYFLOAT), and a trailing
/// `@version` the version that added the argument (`[GET]{@6.2.0}`, `[NX | XX]{condition@2.6.12}`), and a
/// trailing `#n` the key spec of a key argument (`destination{#2}`); `{name:block}` wraps the argument in a block
/// of that name that takes over its token, flags and version; a `!version` the version that deprecated it.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Word(String),
    Group { optional: bool, alts: Vec<Vec<Node>> },
    Ellipsis,
    Name(String),
}

fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_name = false;
    for ch in s.chars() {
        match ch {
            _ if in_name => {
                cur.push(ch);
                if ch == '}' {
                    out.push(std::mem::take(&mut cur));
                    in_name = false;
                }
            }
            '{' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                cur.push(ch);
                in_name = true;
            }
            '[' | ']' | '<' | '>' | '|' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(ch.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parses alternatives up to the closing bracket `close` (or the end).
fn parse_alts(toks: &[String], pos: &mut usize, close: Option<&str>) -> Vec<Vec<Node>> {
    let mut alts = vec![Vec::new()];
    while *pos < toks.len() {
        let t = toks[*pos].as_str();
        *pos += 1;
        match t {
            "[" | "<" => {
                let optional = t == "[";
                let inner = parse_alts(toks, pos, Some(if optional { "]" } else { ">" }));
                if let Some(last) = alts.last_mut() {
                    last.push(Node::Group { optional, alts: inner });
                }
            }
            "]" | ">" if close == Some(t) => return alts,
            "]" | ">" => {} // Unbalanced closer: ignore it.
            "|" => alts.push(Vec::new()),
            "..." => {
                if let Some(last) = alts.last_mut() {
                    last.push(Node::Ellipsis);
                }
            }
            w if w.len() > 2 && w.starts_with('{') && w.ends_with('}') => {
                if let Some(last) = alts.last_mut() {
                    last.push(Node::Name(w[1..w.len() - 1].to_string()));
                }
            }
            w => {
                if let Some(last) = alts.last_mut() {
                    last.push(Node::Word(w.to_string()));
                }
            }
        }
    }
    alts
}

fn render(nodes: &[Node]) -> String {
    let parts: Vec<String> = nodes
        .iter()
        .map(|n| match n {
            Node::Word(w) => w.clone(),
            Node::Ellipsis => "...".to_string(),
            // Annotations don't change the shape repetitions are matched against.
            Node::Name(_) => String::new(),
            Node::Group { optional, alts } => {
                let inner: Vec<String> = alts.iter().map(|a| render(a)).collect();
                let (o, c) = if *optional { ("[", "]") } else { ("<", ">") };
                format!("{o}{}{c}", inner.join(" | "))
            }
        })
        .collect();
    parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

fn is_token(w: &str) -> bool {
    !w.is_empty() && !w.chars().any(|c| c.is_ascii_lowercase())
}

fn join_names(args: &[DocArg]) -> String {
    args.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join("_")
}

/// Converts a sequence of nodes into arguments, folding `x [x ...]` repetitions into `multiple` flags.
fn convert_seq(nodes: &[Node]) -> Vec<DocArg> {
    let mut out: Vec<DocArg> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        match &nodes[i] {
            Node::Ellipsis => {
                if let Some(last) = out.last_mut() {
                    last.multiple = true;
                }
                i += 1;
            }
            Node::Name(n) => {
                if let Some(last) = out.last_mut() {
                    // `~` starts the argument's summary, which may hold the other annotations' marks.
                    let (n, summary) = n.split_once('~').unwrap_or((n, ""));
                    if !summary.is_empty() {
                        last.summary = Some(summary.to_string());
                    }
                    let (n, deprecated) = n.split_once('!').unwrap_or((n, ""));
                    if !deprecated.is_empty() {
                        last.deprecated = Some(deprecated.to_string());
                    }
                    let (n, spec) = n.split_once('#').unwrap_or((n, ""));
                    if let Ok(i) = spec.parse::<usize>() {
                        last.key_spec = Some(i);
                    }
                    let (n, since) = n.split_once('@').unwrap_or((n, ""));
                    if !since.is_empty() {
                        last.since = Some(since.to_string());
                    }
                    let (name, kind) = n.split_once(':').unwrap_or((n, ""));
                    if kind == "block" {
                        // `[TOKEN a [a ...]]{name:block}`: Redis's block of one repeated argument (MODULE LOADEX's
                        // `ARGS`), where the same shape is elsewhere one argument with a token (ZUNION's WEIGHTS).
                        let inner =
                            DocArg { token: None, since: None, optional: false, multiple: false, ..last.clone() };
                        let mut b = DocArg::group("block", name.to_string(), vec![inner]);
                        (b.token, b.optional, b.multiple) = (last.token.take(), last.optional, last.multiple);
                        b.since = last.since.take();
                        *last = b;
                    } else if !name.is_empty() {
                        last.name = name.to_string();
                    }
                    const KINDS: &[&str] = &["key", "string", "integer", "double", "pattern", "unix-time"];
                    if let Some(k) = KINDS.iter().find(|k| **k == kind) {
                        last.kind = k;
                    } else if kind == "pure-token" {
                        // A flag word Redis documents without a token (SENTINEL SIMULATE-FAILURE's modes in 7.0).
                        last.kind = "pure-token";
                        last.token = None;
                    }
                }
                i += 1;
            }
            Node::Word(w) if is_token(w) => match nodes.get(i + 1) {
                Some(Node::Word(v)) if !is_token(v) => {
                    let mut a = DocArg::value(v);
                    a.token = Some(w.clone());
                    out.push(a);
                    texts.push(format!("{w} {v}"));
                    i += 2;
                }
                Some(g @ Node::Group { optional: false, alts }) if alts.len() > 1 => {
                    let mut a = oneof(alts, w.to_ascii_lowercase());
                    a.token = Some(w.clone());
                    out.push(a);
                    texts.push(format!("{w} {}", render(std::slice::from_ref(g))));
                    i += 2;
                }
                _ => {
                    out.push(DocArg::token(w));
                    texts.push(w.clone());
                    i += 1;
                }
            },
            Node::Word(w) => {
                out.push(DocArg::value(w));
                texts.push(w.clone());
                i += 1;
            }
            Node::Group { optional, alts } => {
                let repeat = *optional && alts.len() == 1 && alts[0].last() == Some(&Node::Ellipsis);
                if repeat && fold_repeat(&mut out, &mut texts, &alts[0][..alts[0].len() - 1]) {
                    i += 1;
                    continue;
                }
                out.push(group_arg(*optional, alts));
                texts.push(render(std::slice::from_ref(&nodes[i])));
                i += 1;
            }
        }
    }
    out
}

/// Marks the arguments that `[rep ...]` repeats as multiple. False when `rep` doesn't repeat what precedes it.
fn fold_repeat(out: &mut Vec<DocArg>, texts: &mut Vec<String>, rep: &[Node]) -> bool {
    let rep_text = render(rep);
    for k in 1..=out.len() {
        if texts[texts.len() - k..].join(" ") != rep_text {
            continue;
        }
        if k == 1 {
            let last = out.len() - 1;
            out[last].multiple = true;
            if out[last].token.is_some() && out[last].kind != "pure-token" {
                out[last].multiple_token = true;
            }
        } else {
            let items: Vec<DocArg> = out.drain(out.len() - k..).collect();
            texts.truncate(texts.len() - k);
            let mut b = DocArg::group("block", join_names(&items), items);
            b.multiple = true;
            out.push(b);
            texts.push(rep_text);
        }
        return true;
    }
    // `TOKEN value [value ...]`: the token comes once, the value repeats.
    if let Some(last) = out.last_mut() {
        if last.token.is_some() && last.kind != "pure-token" && rep_text == last.name {
            last.multiple = true;
            return true;
        }
    }
    false
}

fn oneof(alts: &[Vec<Node>], name: String) -> DocArg {
    let args: Vec<DocArg> = alts.iter().map(|a| seq_as_one(a)).collect();
    let name = if name.is_empty() { join_names(&args) } else { name };
    DocArg::group("oneof", name, args)
}

/// One alternative as a single argument: itself when it is one, else a block. A block that starts with a token
/// is named after it and carries it (`LIMIT offset count` is the block `limit` with token LIMIT), and a trailing
/// `[... ...]` that repeats the whole alternative makes it multiple.
fn seq_as_one(seq: &[Node]) -> DocArg {
    // `TOKEN a b [a b ...]{name}`: the name is the repeated block's (SENTINEL CONFIG's `set_param_value`).
    if let Some((Node::Name(n), body)) = seq.split_last() {
        if split_self_repeat(body).1.is_some() && !n.contains([':', '@', '#', '!']) {
            let mut b = seq_as_one(body);
            b.name.clone_from(n);
            return b;
        }
    }
    let (body, repeat) = split_self_repeat(seq);
    if let [Node::Word(t), rest @ ..] = body {
        // A trailing `{name}` annotation belongs to the last argument, not to the shape of the alternative.
        let shape: Vec<&Node> = rest.iter().filter(|n| !matches!(n, Node::Name(_))).collect();
        // `TOKEN <a [a ...]>` is a block too (CLIENT LIST's `ID`), unlike `TOKEN <a | b>`, a oneof with a token.
        let token_led = shape.len() > 1
            || match shape.as_slice() {
                [Node::Group { optional, alts }] => *optional || alts.len() == 1,
                _ => false,
            };
        if is_token(t) && token_led {
            let mut b = DocArg::group("block", t.to_ascii_lowercase(), convert_seq(rest));
            b.token = Some(t.clone());
            if let Some(with_token) = repeat {
                b.multiple = true;
                b.multiple_token = with_token;
            }
            return b;
        }
    }
    let mut args = convert_seq(seq);
    if args.len() == 1 {
        args.remove(0)
    } else {
        DocArg::group("block", join_names(&args), args)
    }
}

/// For `TOKEN a b [TOKEN a b ...]` returns (`TOKEN a b`, Some(true)); for `TOKEN a b [a b ...]`,
/// (`TOKEN a b`, Some(false)); otherwise (seq, None).
fn split_self_repeat(seq: &[Node]) -> (&[Node], Option<bool>) {
    if let Some((Node::Group { optional: true, alts }, body)) = seq.split_last() {
        if let [alt] = alts.as_slice() {
            if let Some((Node::Ellipsis, rep)) = alt.split_last() {
                let rep_text = render(rep);
                if !body.is_empty() && rep_text == render(body) {
                    return (body, Some(true));
                }
                if body.len() > 1 && rep_text == render(&body[1..]) {
                    return (body, Some(false));
                }
            }
        }
    }
    (seq, None)
}

fn group_arg(optional: bool, alts: &[Vec<Node>]) -> DocArg {
    // `<name= A | B>` names the group (Redis's `where`, `wherefrom`, ...) instead of joining its members' names; a
    // bare `=` is a token (XADD's `[= | ~]`).
    if let Some((Node::Word(w), rest)) = alts.first().and_then(|a| a.split_first()) {
        if let Some(name) = w.strip_suffix('=').filter(|n| !n.is_empty()) {
            let mut named: Vec<Vec<Node>> = alts.to_vec();
            named[0] = rest.to_vec();
            let mut a = group_arg(optional, &named);
            a.name = name.to_string();
            return a;
        }
    }
    let mut a = if alts.len() == 1 { seq_as_one(&alts[0]) } else { oneof(alts, String::new()) };
    a.optional |= optional;
    a
}

/// The argument tree of a syntax string in redis.io notation.
pub fn parse_syntax(syntax: &str) -> Vec<DocArg> {
    let toks = tokenize(syntax);
    let mut pos = 0;
    let alts = parse_alts(&toks, &mut pos, None);
    if alts.len() == 1 {
        convert_seq(&alts[0])
    } else {
        vec![oneof(&alts, String::new())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, kind: &'static str) -> DocArg {
        DocArg { kind, ..DocArg::value(name) }
    }

    #[test]
    fn set_syntax() {
        let args = parse_syntax(
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT \
             unix-time-milliseconds | KEEPTTL]",
        );
        assert_eq!(args.len(), 5);
        assert_eq!(args[0], v("key", "key"));
        assert_eq!(args[1], v("value", "string"));
        assert_eq!(args[2].kind, "oneof");
        assert!(args[2].optional);
        assert_eq!(args[2].args, vec![DocArg::token("NX"), DocArg::token("XX")]);
        assert_eq!(args[3], DocArg { optional: true, ..DocArg::token("GET") });
        let exp = &args[4];
        assert_eq!((exp.kind, exp.optional, exp.args.len()), ("oneof", true, 5));
        assert_eq!(exp.args[0], DocArg { token: Some("EX".into()), ..v("seconds", "integer") });
        assert_eq!(exp.args[2], DocArg { token: Some("EXAT".into()), ..v("unix-time-seconds", "unix-time") });
        assert_eq!(exp.args[4], DocArg::token("KEEPTTL"));
    }

    #[test]
    fn repetitions() {
        let args = parse_syntax("key [key ...]");
        assert_eq!(args, vec![DocArg { multiple: true, ..v("key", "key") }]);
        let args = parse_syntax("key field value [field value ...]");
        assert_eq!(args[1].kind, "block");
        assert_eq!(args[1].name, "field_value");
        assert!(args[1].multiple);
        assert_eq!(args[1].args, vec![v("field", "string"), v("value", "string")]);
        let args = parse_syntax("key [GET pattern [GET pattern ...]]");
        let get = &args[1];
        assert_eq!(get.token.as_deref(), Some("GET"));
        assert!(get.optional && get.multiple && get.multiple_token);
        let args = parse_syntax("numkeys key [key ...] [WEIGHTS weight [weight ...]]");
        let w = &args[2];
        assert_eq!(w.token.as_deref(), Some("WEIGHTS"));
        assert!(w.optional && w.multiple && !w.multiple_token);
        assert_eq!(w.kind, "double");
        let args = parse_syntax("key [GET encoding offset [GET encoding offset ...]]");
        let g = &args[1];
        assert_eq!((g.kind, g.token.as_deref()), ("block", Some("GET")));
        assert!(g.optional && g.multiple && g.multiple_token);
        let args = parse_syntax("key [FULL [COUNT count]]");
        assert_eq!((args[1].kind, args[1].token.as_deref()), ("block", Some("FULL")));
        let args = parse_syntax("[section [section ...]]");
        assert_eq!(args, vec![DocArg { optional: true, multiple: true, ..v("section", "string") }]);
    }

    #[test]
    fn token_blocks_and_required_groups() {
        let args = parse_syntax("key [LIMIT offset count]");
        let l = &args[1];
        assert_eq!((l.kind, l.name.as_str(), l.token.as_deref(), l.optional), ("block", "limit", Some("LIMIT"), true));
        assert_eq!(l.args, vec![v("offset", "integer"), v("count", "integer")]);
        let args = parse_syntax("[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]");
        let f = &args[0];
        assert_eq!(
            (f.kind, f.name.as_str(), f.token.as_deref(), f.optional),
            ("oneof", "filterby", Some("FILTERBY"), true)
        );
        assert_eq!(f.args[2], DocArg { token: Some("PATTERN".into()), ..v("pattern", "pattern") });
        // `{~text}`: the argument's summary (INCREX's SATURATE in Redis 8.8's increx.json).
        let args = parse_syntax("key [SATURATE]{~Saturate: the result [to a bound].} [LBOUND lowerbound]{~Integer.}");
        assert_eq!(args[1].summary.as_deref(), Some("Saturate: the result [to a bound]."));
        assert_eq!((args[1].name.as_str(), args[1].token.as_deref()), ("saturate", Some("SATURATE")));
        assert_eq!((args[2].name.as_str(), args[2].summary.as_deref()), ("lowerbound", Some("Integer.")));
        let args = parse_syntax("key <ON | OFF>");
        assert_eq!((args[1].kind, args[1].optional), ("oneof", false));
        assert!(parse_syntax("").is_empty());
        // Malformed input degrades without panicking.
        let _ = parse_syntax("[a | <b ] ] ... |");
    }

    #[test]
    fn name_and_type_annotations() {
        let args = parse_syntax("key [NX | XX]{condition@2.6.12} increment{:double} <ON | OFF>{enabled} [GET]{@6.2.0}");
        assert_eq!(args[1].since.as_deref(), Some("2.6.12"));
        assert_eq!((args[4].name.as_str(), args[4].since.as_deref()), ("get", Some("6.2.0")));
        assert_eq!((args[1].name.as_str(), args[1].kind, args[1].optional), ("condition", "oneof", true));
        assert_eq!(args[2], v("increment", "double"));
        assert_eq!((args[3].name.as_str(), args[3].kind, args[3].optional), ("enabled", "oneof", false));
        // Unknown types are ignored; an annotation with nothing before it is dropped.
        assert_eq!(parse_syntax("{x} count{:bogus}"), vec![v("count", "integer")]);
        let _ = parse_syntax("key {unterminated");
    }

    #[test]
    fn deprecated_and_single_group_blocks() {
        let args = parse_syntax("<ip:port{!2.8.12} | <[ID client-id] | [SKIPME yes/no]>{new-format} ...>{filter}");
        let f = &args[0];
        assert_eq!((f.name.as_str(), f.kind, f.optional), ("filter", "oneof", false));
        assert_eq!(f.args[0], DocArg { deprecated: Some("2.8.12".into()), ..v("ip:port", "string") });
        let n = &f.args[1];
        assert_eq!((n.name.as_str(), n.kind, n.multiple), ("new-format", "oneof", true));
        assert_eq!(n.args[0], DocArg { token: Some("ID".into()), optional: true, ..v("client-id", "integer") });
        let args = parse_syntax("[ID <client-id [client-id ...]>]{@6.2.0}");
        let id = &args[0];
        assert_eq!((id.name.as_str(), id.kind, id.token.as_deref()), ("id", "block", Some("ID")));
        assert_eq!((id.optional, id.multiple, id.since.as_deref()), (true, false, Some("6.2.0")));
        assert_eq!(id.args, vec![DocArg { multiple: true, ..v("client-id", "integer") }]);
        // `{name:block}` moves the version to the block.
        let args = parse_syntax("pattern [pattern ...]{pattern:block@2.0.0}");
        assert_eq!((args[0].kind, args[0].multiple, args[0].since.as_deref()), ("block", true, Some("2.0.0")));
        assert_eq!(args[0].args, vec![v("pattern", "pattern")]);
    }

    #[test]
    fn named_token_blocks_and_untokened_flags() {
        let args = parse_syntax(
            "<SET parameter value [parameter value ...]{set_param_value} | GET parameter [parameter ...]>{set_or_get}",
        );
        let o = &args[0];
        assert_eq!((o.name.as_str(), o.kind), ("set_or_get", "oneof"));
        let set = &o.args[0];
        assert_eq!((set.name.as_str(), set.kind, set.token.as_deref()), ("set_param_value", "block", Some("SET")));
        assert!(set.multiple && !set.multiple_token);
        assert_eq!(set.args, vec![v("parameter", "string"), v("value", "string")]);
        assert_eq!(o.args[1], DocArg { token: Some("GET".into()), multiple: true, ..v("parameter", "string") });
        let args = parse_syntax("[<crash-after-election{:pure-token} | help{:pure-token}>{mode} ...]");
        let m = &args[0];
        assert_eq!((m.name.as_str(), m.kind, m.optional, m.multiple), ("mode", "oneof", true, true));
        assert_eq!(m.args[1], v("help", "pure-token"));
    }

    #[test]
    fn every_command_syntax_parses() {
        for (c, name) in every_command_in(false) {
            let args = parse_syntax(c.syntax);
            if !c.syntax.trim().is_empty() {
                assert!(!args.is_empty(), "{name}: {}", c.syntax);
            }
        }
    }

    #[test]
    fn lookup_full_names() {
        assert_eq!(lookup_full(b"CONFIG|get").map(|(_, n)| n), Some("config|get".to_string()));
        assert!(lookup_full(b"config|nosuch").is_none());
        assert!(lookup_full(b"get").is_some());
    }
}
