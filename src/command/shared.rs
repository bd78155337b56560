//! Helpers every command family uses, one copy each: Redis's HELP reply layout, the handler of a subcommand container,
//! and the integer-argument parsers (`get*FromObjectOrReply`); and the key writes the collection families share (a
//! STORE destination set or deleted, elements removed), which report through the single-key door.

use super::{flag, Args, Command, Ctx, Handler, KeyWrite};
use crate::config::notify as nc;
use crate::keyspace::object::{Entry, Value};
use crate::keyspace::types::prob::Prob;
use crate::resp::reply::Reply;

/// The handler of a command that only groups subcommands (CLIENT, CONFIG, OBJECT, ...). Admission resolves the
/// subcommand before any handler runs and refuses an unknown one with this same text
/// ([`crate::command_spec::unknown_subcommand_message`]), so this answers only a caller that skipped admission.
pub(crate) fn container(ctx: &mut Ctx, args: Args) {
    let msg = crate::command_spec::unknown_subcommand_message(args);
    ctx.reply().error(&String::from_utf8_lossy(&msg));
}

/// The handler of the commands the server runs itself: EXEC (each queued command through the call path), EVAL, EVALSHA,
/// their `_RO` forms, SCRIPT LOAD, FCALL and FCALL_RO (with the server as the script host).
/// [`Server::call`](crate::server::Server::call) takes them before any handler would, and every way a command runs goes
/// through it (the handler harness included), so this answers only a caller that bypassed the call path, with an error
/// rather than a half run.
pub(crate) fn run_by_server(ctx: &mut Ctx, _args: Args) {
    ctx.reply().error("ERR this command runs only through the server's call path");
}

/// A container's HELP subcommand entry as Redis's JSON files describe most of them: arity 2, `loading` and `stale`,
/// ACL category `slow`, the common summary; `base` (the container's subcommand base) gives the rest, and a caller
/// sets what its entry has on top (`since`, `complexity`) with `Command { .., ..help_entry(..) }`.
pub(crate) const fn help_entry(base: Command, handler: Handler) -> Command {
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "slow",
        summary: "Show helpful text about the different subcommands",
        handler,
        ..base
    }
}

/// Replies a HELP text the way Redis's `addReplyHelp` does: a header line naming the command (upper case), the
/// given lines, and the HELP entry, all as status strings.
pub(crate) fn reply_help(r: &mut Reply, cmd: &str, lines: &[&str]) {
    r.array(lines.len() + 3);
    r.simple(&format!("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd.to_ascii_uppercase()));
    for l in lines {
        r.simple(l);
    }
    r.simple("HELP");
    r.simple("    Prints this help.");
}

// --- integer arguments --------------------------------------------------------------------------------------

pub(crate) use crate::resp::int_args::{i32_arg, int_arg, long_arg, ms_timeout_arg, positive_long_arg, range_long_arg};

// --- shared key writes -----------------------------------------------------------------------------------------

/// Stores a collection under `key` as Redis's `setKey` does (overwrites any old value of any type, drops its TTL),
/// then emits the keyspace event `event` of `class`.
pub(crate) fn store_value(ctx: &mut Ctx, key: &[u8], v: Value, class: u32, event: &str) {
    let mut e = Entry::new_value(key, v);
    e.set_lru(ctx.settings().fresh_lru());
    let mut w = ctx.open_write(key);
    ctx.door(&w).insert(e);
    ctx.changed(&mut w, 1);
    ctx.notify(class, event, key);
}

/// Deletes `key` (an empty STORE result); returns whether it existed. When it did: bumps `dirty`, signals the key
/// and emits `del`.
pub(crate) fn delete_key(ctx: &mut Ctx, key: &[u8]) -> bool {
    let db = ctx.client().db;
    if !ctx.exists_in(db, key) || !ctx.delete_key(key) {
        return false;
    }
    ctx.notify(nc::GENERIC, "del", key);
    true
}

/// After elements were removed from the collection written through `w`: settles it, emits `event`, and when the
/// collection is empty deletes the key and emits `del` (Redis's order). `removed` (> 0) is added to `dirty`.
pub(crate) fn removed_from(ctx: &mut Ctx, mut w: KeyWrite, removed: u64, class: u32, event: &str) {
    let key = w.key();
    ctx.changed(&mut w, removed.max(1));
    ctx.notify(class, event, key);
    if ctx.door(&w).delete_if_empty() {
        ctx.notify(nc::GENERIC, "del", key);
    }
}

/// SREM's and ZREM's steps over their collection `T`: each named member removed with `remove` (stopping once the
/// collection `is_empty`), the count replied, then [`removed_from`]'s events and deletion; a missing key replies 0.
pub(crate) fn remove_members<T: crate::keyspace::object::ValueKind>(
    ctx: &mut Ctx,
    args: Args,
    remove: fn(&mut T, &[u8]) -> bool,
    is_empty: fn(&T) -> bool,
    class: u32,
    event: &str,
) {
    let Ok((coll, r, w)) = ctx.write_typed::<T>(args.get(1)) else { return };
    let Some(coll) = coll else {
        r.int(0);
        return;
    };
    let mut removed = 0u64;
    for m in args.iter().skip(2) {
        if remove(coll, m) {
            removed += 1;
            if is_empty(coll) {
                break;
            }
        }
    }
    r.int(removed as i64);
    if removed > 0 {
        removed_from(ctx, w, removed, class, event);
    } else {
        w.untouched();
    }
}

/// The error for an option the SCAN family does not take here: NOVALUES and NOSCORES name the one command that
/// takes them (Redis 7.4's and Valkey 8's words, which 7.0 did not know either), anything else is a syntax error.
pub(crate) fn scan_option_error(r: &mut Reply, word: &[u8]) {
    if word.eq_ignore_ascii_case(b"novalues") {
        r.error("ERR NOVALUES option can only be used in HSCAN");
    } else if word.eq_ignore_ascii_case(b"noscores") {
        r.error("ERR NOSCORES option can only be used in ZSCAN");
    } else {
        r.err_syntax();
    }
}

/// Why a probabilistic family's key lookup found no value of its type: the key is missing, or holds another type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbMiss {
    Missing,
    WrongType,
}

impl ProbMiss {
    /// The error text: the family's own for a missing key, Redis's WRONGTYPE for another type.
    pub(crate) fn message(self, missing: &'static str) -> &'static str {
        match self {
            ProbMiss::Missing => missing,
            ProbMiss::WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
        }
    }
}

/// The most items of one command a [`Command::prefetch`](super::Command::prefetch) of a probabilistic type warms
/// up (BF.MADD and CF.MEXISTS of many items run into their own later items' misses anyway).
pub(crate) const PREFETCH_ITEMS: usize = 16;

/// The table-entry prologue every probabilistic command shares (BF, CF, CMS, TOPK, TDIGEST): RedisBloom registers
/// them all as one-key module commands with arity -1 and one "RW access update" key spec; each family sets `since`.
/// COMMAND DOCS shows what Redis 8 shows for its bundled bf module (RedisBloom's command info: each command's
/// summary, complexity, since and argument names and types, written in the `syntax` notation); RedisBloom 2.8 on
/// Redis 7.0 registers none (`tests/types/redisbloom_flow.rs` holds the table it is checked against).
pub(crate) const PROB_COMMAND: super::Command = super::Command {
    group: super::Group::Module,
    arity: -1,
    keys: super::ONE_KEY,
    key_specs: &[super::KeySpecDef::at(1, "RW access update")],
    ..super::BASE
};
/// One probabilistic command's table entry over its family's base (`BF`, `CF`, `TD`: [`PROB_COMMAND`] with the
/// family's `since`): the fields COMMAND and COMMAND DOCS show, and the handler.
macro_rules! prob_command {
    ($base:expr, $name:literal, $flags:expr, $acl:literal, $syntax:literal, $summary:literal, $complexity:expr,
     $handler:expr) => {
        Command {
            name: $name,
            flags: $flags,
            acl: $acl,
            syntax: $syntax,
            summary: $summary,
            complexity: $complexity,
            handler: $handler,
            ..$base
        }
    };
}
pub(crate) use prob_command;
/// The arity error of a probabilistic command, named as the client spelled it (RedisBloom's
/// `RedisModule_WrongArity`).
pub(crate) fn prob_wrong_arity(r: &mut Reply, args: &Args) {
    r.err_arity(&String::from_utf8_lossy(args.get(0)));
}

/// The flags of the probabilistic types' writing commands.
pub(crate) const PROB_WRITE: u64 = super::flag::WRITE | super::flag::DENYOOM | super::flag::MODULE;

/// The probabilistic value of type `T` in a looked-up entry.
pub(crate) fn prob_ref<T: crate::keyspace::types::prob::Kind>(e: Option<&Entry>) -> Result<&T, ProbMiss> {
    match e.map(|e| e.value()) {
        None => Err(ProbMiss::Missing),
        Some(Some(Value::Prob(p))) => T::of(p).ok_or(ProbMiss::WrongType),
        Some(_) => Err(ProbMiss::WrongType),
    }
}

/// A new key holding a probabilistic value, its LRU clock fresh: every creator of a Bloom, Cuckoo, CMS, Top-K or
/// t-digest key builds its entry here.
pub(crate) fn new_prob_entry(ctx: &Ctx, key: &[u8], p: Prob) -> Entry {
    let mut e = Entry::new_value(key, Value::Prob(Box::new(p)));
    e.set_lru(ctx.settings().fresh_lru());
    e
}

/// Opens `key` for BF.RESERVE or CF.RESERVE, which create a filter of type `T`: the write while the key is free,
/// or `None` once the error was replied and the write settled (`ERR item exists` for a filter already there,
/// `missing`'s type error for another value).
pub(crate) fn open_new_prob<'k, T: crate::keyspace::types::prob::Kind>(
    ctx: &mut Ctx,
    key: &'k [u8],
    missing: &'static str,
) -> Option<KeyWrite<'k>> {
    let (e, r, mut w) = ctx.write(key);
    let err = match prob_mut::<T>(e) {
        Err(ProbMiss::Missing) => return Some(w),
        Ok(_) => "ERR item exists",
        Err(miss) => miss.message(missing),
    };
    r.error(err);
    ctx.changed(&mut w, 0);
    None
}

/// The end of a command that creates a probabilistic key (CMS.INITBY*, TOPK.RESERVE, TDIGEST.CREATE and MERGE):
/// `p` stored at `key`, opened as `w`, then `+OK`.
pub(crate) fn insert_new_prob(ctx: &mut Ctx, w: &mut KeyWrite, key: &[u8], p: Prob) {
    let e = new_prob_entry(ctx, key, p);
    ctx.door(w).insert(e);
    ctx.reply().ok();
    ctx.changed(w, 1);
}

/// One of two words (any case) as a flag, `yes` giving true (BITCOUNT/BITPOS's BIT | BYTE, LINSERT/LMOVE's
/// LEFT | RIGHT...); `None` after a syntax error for any other argument.
pub(crate) fn word_flag(r: &mut Reply, a: &[u8], yes: &str, no: &str) -> Option<bool> {
    if a.eq_ignore_ascii_case(yes.as_bytes()) {
        Some(true)
    } else if a.eq_ignore_ascii_case(no.as_bytes()) {
        Some(false)
    } else {
        r.err_syntax();
        None
    }
}

/// A read command's probabilistic value of type `T`, or `None` once the error was replied (`missing`: the type's
/// text for an absent key).
pub(crate) fn prob_read<'c, T: crate::keyspace::types::prob::Kind>(
    ctx: &'c mut Ctx,
    key: &[u8],
    missing: &'static str,
) -> Option<(&'c T, &'c mut Reply)> {
    let (e, r) = ctx.lookup(super::Access::READ, key);
    match prob_ref::<T>(e) {
        Ok(v) => Some((v, r)),
        Err(miss) => {
            r.error(miss.message(missing));
            None
        }
    }
}

/// [`prob_ref`] for a write lookup's entry.
pub(crate) fn prob_mut<T: crate::keyspace::types::prob::Kind>(e: Option<&mut Entry>) -> Result<&mut T, ProbMiss> {
    match e.map(|e| e.value_mut()) {
        None => Err(ProbMiss::Missing),
        Some(Some(Value::Prob(p))) => T::of_mut(p).ok_or(ProbMiss::WrongType),
        Some(_) => Err(ProbMiss::WrongType),
    }
}
