//! Redis 8.4's compare-and-act string commands: DIGEST, DELEX, MSETEX, and the value and digest conditions that
//! SET's IFEQ/IFNE/IFDEQ/IFDNE and DELEX share (`judge`).
//!
//! A digest is the XXH3-64 of the value's bytes ([`crate::xxh3`]; an integer-encoded value hashes as its decimal
//! text), written as 16 lowercase hex digits. A digest argument is compared case-insensitively and must be 16
//! characters long: Redis 8.4 checks only the length, so 16 characters that are not all hex digits are a digest
//! no value has. Where Redis 8.4 propagates these commands as sent, we propagate their effect in forms Redis 7.0
//! replays (`DEL`, `SET ... PXAT`), as SET's conditions and DELIFEQ already are.

use super::shared::range_long_arg;
use super::string::{expire_ms, parse_ext, F_IFDEQ, F_IFDNE, F_IFEQ, F_IFNE, F_KEEPTTL, F_NX, F_XX};
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, BASE, ONE_KEY};
use crate::command::Access;
use crate::command_spec::{BeginSearch, FindKeys};
use crate::config::notify as nc;
use crate::keyspace::object::Entry;
use crate::xxh3;

/// The error for a digest argument that is not 16 characters long (Redis 8.4's `validateHexDigest`, t_string.c).
pub(super) const ERR_DIGEST: &str = "ERR must be exactly 16 hexadecimal characters";
/// DELEX with a condition on a key that is not a string (Redis 8.4's `delexCommand`, db.c).
const ERR_DELEX_TYPE: &str = "ERR Key should be of string type if conditions are specified";
/// DELEX with a fourth argument that names no condition.
const ERR_DELEX_COND: &str = "ERR Invalid condition. Use IFEQ, IFNE, IFDEQ, or IFDNE";

const NO_KEYS: KeySpec = KeySpec { first: 0, last: 0, step: 0 };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "digest",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::String,
        since: "8.4.0",
        summary: "Returns the XXH3 hash of a string value.",
        complexity: "O(N) where N is the length of the string value.",
        syntax: "key",
        handler: digest,
        ..BASE
    },
    Command {
        name: "delex",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW delete variable_flags")],
        getkeys_flags: Some(delex_key_flags),
        group: Group::String,
        since: "8.4.0",
        summary: "Conditionally removes the specified key based on value or digest comparison.",
        complexity: "O(1) for IFEQ/IFNE, O(N) for IFDEQ/IFDNE where N is the length of the string value.",
        syntax: "key [IFEQ ifeq-value | IFNE ifne-value | IFDEQ ifdeq-digest{:integer} | IFDNE ifdne-digest{:integer}]{condition}",
        handler: delex,
        ..BASE
    },
    Command {
        name: "msetex",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write string slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef {
            notes: "",
            flags: "OW update",
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 2 },
        }],
        getkeys: Some(msetex_keys),
        group: Group::String,
        since: "8.4.0",
        summary: "Atomically sets multiple string keys with a shared expiration in a single operation. Supports flexible argument parsing where condition and expiration flags can appear in any order.",
        complexity: "O(N) where N is the number of keys to set.",
        syntax: "numkeys key value [key value ...]{data} [NX | XX]{condition} [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]{expiration}",
        handler: msetex,
        tips: "request_policy:multi_shard response_policy:all_succeeded",
        ..BASE
    },
];

/// Whose options `parse_ext` reads: SET's, GETEX's, or MSETEX's (SET's without GET and the conditions).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum ExtKind {
    Set,
    Getex,
    Msetex,
}

/// A condition on a key's string value.
#[derive(Clone, Copy)]
pub(super) enum Cond<'a> {
    Eq(&'a [u8]),
    Ne(&'a [u8]),
    DigestEq(&'a [u8]),
    DigestNe(&'a [u8]),
}

/// What [`judge`] found.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Judged {
    Holds,
    Fails,
    WrongType,
    /// A digest condition whose argument is not 16 characters (only looked at when the key holds a string).
    BadDigest,
}

/// The SET condition flag `opt` names, or 0.
pub(super) fn cond_flag(opt: &[u8]) -> u32 {
    [(b"ifeq".as_slice(), F_IFEQ), (b"ifne", F_IFNE), (b"ifdeq", F_IFDEQ), (b"ifdne", F_IFDNE)]
        .iter()
        .find(|(w, _)| opt.eq_ignore_ascii_case(w))
        .map_or(0, |&(_, f)| f)
}

/// SET's condition (its flags hold exactly one of the four) with its argument.
pub(super) fn cond_of(flags: u32, arg: &[u8]) -> Cond<'_> {
    if flags & F_IFEQ != 0 {
        Cond::Eq(arg)
    } else if flags & F_IFNE != 0 {
        Cond::Ne(arg)
    } else if flags & F_IFDEQ != 0 {
        Cond::DigestEq(arg)
    } else {
        Cond::DigestNe(arg)
    }
}

/// Judges `cond` against a key's entry as Redis 8.4's SET does: a missing key meets IFNE and IFDNE only, another
/// type is WRONGTYPE, a digest argument's length is checked only when there is a string to compare it with.
pub(super) fn judge(e: Option<&Entry>, cond: Cond) -> Judged {
    let Some(e) = e else {
        return if matches!(cond, Cond::Ne(_) | Cond::DigestNe(_)) { Judged::Holds } else { Judged::Fails };
    };
    let Some(s) = e.as_str() else { return Judged::WrongType };
    let mut nb = [0u8; 24];
    let v = s.bytes(&mut nb);
    let holds = match cond {
        Cond::Eq(c) => v == c,
        Cond::Ne(c) => v != c,
        Cond::DigestEq(d) | Cond::DigestNe(d) => {
            if d.len() != 16 {
                return Judged::BadDigest;
            }
            let same = xxh3::hex64(xxh3::hash64(v)).eq_ignore_ascii_case(d);
            same == matches!(cond, Cond::DigestEq(_))
        }
    };
    if holds {
        Judged::Holds
    } else {
        Judged::Fails
    }
}

/// [`judge`] for SET's condition on `key`, with Redis 8.4's lookups: a write lookup finds the key, then a read
/// lookup (a keyspace hit) reads the value compared.
pub(super) fn judge_key(ctx: &mut Ctx, key: &[u8], cond: Cond) -> Judged {
    let found = ctx.lookup(Access::WRITE, key).0.is_some();
    let e = if found { ctx.lookup(Access::READ, key).0 } else { None };
    judge(e, cond)
}

/// DIGEST key: the value's digest as a bulk string, null for a missing key, WRONGTYPE for another type.
fn digest(ctx: &mut Ctx, args: Args) {
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    match e.map(|e| e.as_str()) {
        None => r.null(),
        Some(None) => r.err_wrongtype(),
        Some(Some(s)) => {
            let mut nb = [0u8; 24];
            r.bulk(&xxh3::hex64(xxh3::hash64(s.bytes(&mut nb))));
        }
    }
}

/// DELEX's key flags for COMMAND GETKEYSANDFLAGS: `RM delete` without a condition (it does not read the value),
/// `RW delete` with one, as Redis 8.4's `delexGetKeys`.
fn delex_key_flags(args: Args) -> Vec<(usize, &'static str)> {
    let cond = (2..args.len()).any(|i| cond_flag(args.get(i)) != 0);
    vec![(1, if cond { "RW delete" } else { "RM delete" })]
}

/// DELEX key [IFEQ value | IFNE value | IFDEQ digest | IFDNE digest]: `:1` when the key was deleted, `:0` when it
/// is missing or the condition fails. Without a condition it deletes a key of any type, as DEL; with one, the
/// order of checks is Redis 8.4's: the argument count first (redis/redis#14529 moved it before the lookup, so
/// `DELEX missing IFEQ` is the arity error, as its tests/unit/type/string.tcl says since), then a missing key is
/// `:0` whatever the condition word, then the type, then the word, then the digest's length. Propagated as
/// `DEL key`.
fn delex(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let deleted = match args.len() {
        2 => {
            ctx.lookup(Access::QUIET, key);
            true
        }
        4 => {
            let (word, arg) = (args.get(2), args.get(3));
            // None: the key is missing, so `:0`; Some(Err(..)): the error to reply.
            // Redis 8.4 looks the key up as a read (a keyspace hit or miss).
            let judged = ctx.lookup(Access::READ, key).0.map(|e| match (e.as_str().is_some(), cond_flag(word)) {
                (false, _) => Err(ERR_DELEX_TYPE),
                (true, 0) => Err(ERR_DELEX_COND),
                (true, f) => match judge(Some(e), cond_of(f, arg)) {
                    Judged::BadDigest => Err(ERR_DIGEST),
                    j => Ok(j == Judged::Holds),
                },
            });
            match judged {
                None => false,
                Some(Ok(holds)) => holds,
                Some(Err(msg)) => return ctx.reply().error(msg),
            }
        }
        _ => return ctx.reply().err_arity("delex"),
    };
    // Redis 8.4's delexCommand frees as the server's own deletions do (lazyfree-lazy-server-del), not as DEL.
    let lazy = ctx.config().lazyfree_lazy_server_del;
    if deleted && ctx.unlink_key(key, lazy) {
        ctx.notify(nc::GENERIC, "del", key);
        ctx.propagation().rewrite(&[b"DEL".as_slice(), key]);
        ctx.reply().int(1)
    } else {
        ctx.reply().int(0)
    }
}

/// MSETEX's key positions: `numkeys` pairs after the count, none when the count does not fit the arguments.
fn msetex_keys(args: Args) -> Vec<usize> {
    if args.len() < 2 {
        return Vec::new();
    }
    match crate::util::parse_i64(args.get(1)) {
        Some(n) if n >= 1 && (n as u64).saturating_mul(2) <= (args.len() - 2) as u64 => {
            (0..n as usize).map(|i| 2 + 2 * i).collect()
        }
        _ => Vec::new(),
    }
}

/// MSETEX numkeys key value [key value ...] [NX | XX] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]: sets every
/// pair, or none (`:0`) when NX finds a key that exists or XX one that does not; `:1` otherwise. The checks run
/// as Redis 8.4's: numkeys, the pairs' count, the options, the expire time, then the keys. Each key gets `set`
/// (after `expire`, when it gets a time, in Redis 8.4's order); each is propagated as `SET key value` with
/// `PXAT ms` or `KEEPTTL`, together in one MULTI/EXEC.
fn msetex(ctx: &mut Ctx, args: Args) {
    let max = i64::from(i32::MAX);
    let Some(n) = range_long_arg(ctx.reply(), args.get(1), 1, max, Some("ERR invalid numkeys value")) else {
        return;
    };
    let end = 2 + 2 * n as usize;
    if end > args.len() {
        return ctx.reply().error("ERR wrong number of key-value pairs");
    }
    let Some((flags, expire, _)) = parse_ext(ctx.reply(), args, end, ExtKind::Msetex) else { return };
    let now = ctx.now_ms();
    let when = match expire {
        Some(a) => match expire_ms(ctx.reply(), a, flags, now, "msetex") {
            Some(w) => Some(w),
            None => return,
        },
        None => None,
    };
    let conditional = flags & (F_NX | F_XX) != 0;
    // As Redis 8.4's msetexCommand: each key looked up as a write (no keyspace hit or miss), the first that
    // fails its condition ends the command.
    for k in (2..end).step_by(2).filter(|_| conditional) {
        let found = ctx.lookup(Access::WRITE, args.get(k)).0.is_some();
        if (flags & F_NX != 0 && found) || (flags & F_XX != 0 && !found) {
            return ctx.reply().int(0);
        }
    }
    let keep_ttl = flags & F_KEEPTTL != 0;
    let mut nb = [0u8; 24];
    // The one time every key takes, as replayed (`SET key value PXAT ms`): formatted once.
    let pxat: &[u8] = match when {
        Some(when) => crate::util::itoa_buf(when, &mut nb),
        None => b"",
    };
    for k in (2..end).step_by(2) {
        let (key, val) = (args.get(k), args.get(k + 1));
        let mut w = ctx.open_write(key);
        match when {
            Some(when) => ctx.door(&w).store_string_expiring(val, when, !conditional),
            None => ctx.door(&w).store_string(val, keep_ttl, !conditional),
        }
        ctx.changed(&mut w, 1);
        if when.is_some() {
            ctx.notify(nc::GENERIC, "expire", key);
            ctx.propagation().also(&[b"SET".as_slice(), key, val, b"PXAT", pxat]);
        } else if keep_ttl {
            ctx.propagation().also(&[b"SET".as_slice(), key, val, b"KEEPTTL"]);
        } else {
            ctx.propagation().also(&[b"SET".as_slice(), key, val]);
        }
        ctx.notify(nc::STRING, "set", key);
    }
    ctx.propagation().prevent();
    ctx.reply().int(1);
}

#[cfg(test)]
mod tests;
