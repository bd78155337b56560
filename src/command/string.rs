//! String commands (Redis `t_string.c`): GET/SET and their option forms, counters, ranges, LCS.
//!
//! Hot paths (GET, SET, INCR, MSET) parse their options in place and touch the keyspace with at most two lookups;
//! a fresh key costs exactly one entry allocation.

use super::shared::int_arg;
use super::string_cond::{cond_flag, cond_of, judge_key, ExtKind, Judged};
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, KeyWrite, BASE, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::{Entry, StrRef};
use crate::resp::reply::Reply;

const TWO_KEYS: KeySpec = KeySpec { first: 1, last: 2, step: 1 };
const MSET_KEYS: KeySpec = KeySpec { first: 1, last: -1, step: 2 };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::String,
        summary: "Get the value of a key",
        syntax: "key",
        handler: get,
        ..BASE
    },
    Command {
        name: "set",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write string slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update variable_flags")
            .notes("RW and ACCESS due to the optional `GET` argument")],
        getkeys_flags: Some(set_key_flags),
        group: Group::String,
        summary: "Set the string value of a key",
        syntax: "key value [NX | XX | IFEQ comparison-value{@8.1.0} | IFNE ifne-value{@8.4.0} | IFDEQ ifdeq-digest{:integer@8.4.0} | IFDNE ifdne-digest{:integer@8.4.0}]{condition@2.6.12} [GET]{@6.2.0} [EX seconds{@2.6.12} | PX milliseconds{@2.6.12} | EXAT unix-time-seconds{@6.2.0} | PXAT unix-time-milliseconds{@6.2.0} | KEEPTTL{@6.0.0}]{expiration}",
        handler: set,
        history: &[
            ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
            ("6.0.0", "Added the `KEEPTTL` option."),
            ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
            ("7.0.0", "Allowed the `NX` and `GET` options to be used together."),
            ("8.1.0", "Added the `IFEQ` option."),
            ("8.4.0", "Added the `IFNE`, `IFDEQ` and `IFDNE` options."),
        ],
        ..BASE
    },
    Command {
        name: "setnx",
        arity: 3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW insert")],
        group: Group::String,
        summary: "Set the value of a key, only if the key does not exist",
        syntax: "key value",
        handler: setnx,
        ..BASE
    },
    Command {
        name: "setex",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write string slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW update")],
        group: Group::String,
        since: "2.0.0",
        summary: "Set the value and expiration of a key",
        syntax: "key seconds value",
        handler: setex,
        ..BASE
    },
    Command {
        name: "psetex",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write string slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW update")],
        group: Group::String,
        since: "2.6.0",
        summary: "Set the value and expiration in milliseconds of a key",
        syntax: "key milliseconds value",
        handler: psetex,
        ..BASE
    },
    Command {
        name: "mget",
        arity: -2,
        flags: flag::READONLY | flag::FAST,
        acl: "read string fast",
        keys: super::ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RO access")],
        group: Group::String,
        summary: "Get the values of all the given keys",
        complexity: "O(N) where N is the number of keys to retrieve.",
        syntax: "key [key ...]",
        handler: mget,
        tips: "request_policy:multi_shard",
        ..BASE
    },
    Command {
        name: "mset",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write string slow",
        keys: MSET_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 2, "OW update")],
        group: Group::String,
        since: "1.0.1",
        summary: "Set multiple keys to multiple values",
        complexity: "O(N) where N is the number of keys to set.",
        syntax: "key value [key value ...]",
        handler: mset,
        tips: "request_policy:multi_shard response_policy:all_succeeded",
        ..BASE
    },
    Command {
        name: "msetnx",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write string slow",
        keys: MSET_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 2, "OW insert")],
        group: Group::String,
        since: "1.0.1",
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        complexity: "O(N) where N is the number of keys to set.",
        syntax: "key value [key value ...]",
        handler: msetnx,
        tips: "request_policy:multi_shard response_policy:agg_min",
        ..BASE
    },
    Command {
        name: "getset",
        arity: 3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::String,
        summary: "Set the string value of a key and return its old value",
        syntax: "key value",
        handler: getset,
        ..BASE
    },
    Command {
        name: "getdel",
        arity: 2,
        flags: flag::WRITE | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access delete")],
        group: Group::String,
        since: "6.2.0",
        summary: "Get the value of a key and delete the key",
        syntax: "key",
        handler: getdel,
        ..BASE
    },
    Command {
        name: "getex",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update").notes("RW and UPDATE because it changes the TTL")],
        group: Group::String,
        since: "6.2.0",
        summary: "Get the value of a key and optionally set its expiration",
        syntax: "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]{expiration}",
        handler: getex,
        ..BASE
    },
    Command {
        name: "append",
        arity: 3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        group: Group::String,
        since: "2.0.0",
        summary: "Append a value to a key",
        complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        syntax: "key value",
        handler: append,
        ..BASE
    },
    Command {
        name: "strlen",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO")],
        group: Group::String,
        since: "2.2.0",
        summary: "Get the length of the value stored in a key",
        syntax: "key",
        handler: strlen,
        ..BASE
    },
    Command {
        name: "incr",
        arity: 2,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::String,
        summary: "Increment the integer value of a key by one",
        syntax: "key",
        handler: incr,
        ..BASE
    },
    Command {
        name: "decr",
        arity: 2,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::String,
        summary: "Decrement the integer value of a key by one",
        syntax: "key",
        handler: decr,
        ..BASE
    },
    Command {
        name: "incrby",
        arity: 3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::String,
        summary: "Increment the integer value of a key by the given amount",
        syntax: "key increment",
        handler: incrby,
        ..BASE
    },
    Command {
        name: "decrby",
        arity: 3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::String,
        summary: "Decrement the integer value of a key by the given number",
        syntax: "key decrement",
        handler: decrby,
        ..BASE
    },
    Command {
        name: "incrbyfloat",
        arity: 3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::String,
        since: "2.6.0",
        summary: "Increment the float value of a key by the given amount",
        syntax: "key increment{:double}",
        handler: incrbyfloat,
        ..BASE
    },
    Command {
        name: "getrange",
        arity: 4,
        flags: flag::READONLY,
        acl: "read string slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::String,
        since: "2.4.0",
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        syntax: "key start end",
        handler: getrange,
        ..BASE
    },
    Command {
        name: "substr",
        arity: 4,
        flags: flag::READONLY,
        acl: "read string slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::String,
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        syntax: "key start end",
        handler: getrange,
        ..BASE
    },
    Command {
        name: "setrange",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write string slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        group: Group::String,
        since: "2.2.0",
        summary: "Overwrite part of a string at key starting at the specified offset",
        complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        syntax: "key offset value",
        handler: setrange,
        ..BASE
    },
    Command {
        name: "lcs",
        arity: -3,
        flags: flag::READONLY,
        acl: "read string slow",
        keys: TWO_KEYS,
        key_specs: &[KeySpecDef::range(1, 1, 1, "RO access")],
        group: Group::String,
        since: "7.0.0",
        summary: "Find longest common substring",
        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        syntax: "key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]",
        handler: lcs,
        ..BASE
    },
];

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers (also used by the keys family).

/// Replies a string value as a bulk string; `false` (after a WRONGTYPE error) when the entry is not a string.
#[inline]
fn reply_str(r: &mut Reply, e: &Entry) -> bool {
    match e.as_str() {
        Some(StrRef::Bytes(b)) => r.bulk(b),
        Some(StrRef::Int(n)) => r.bulk_int(n),
        None => {
            r.err_wrongtype();
            return false;
        }
    }
    true
}

/// Redis's `getGenericCommand`: replies the value (or null); false after a WRONGTYPE error.
fn get_generic(ctx: &mut Ctx, key: &[u8]) -> bool {
    let (e, r) = ctx.lookup(Access::READ, key);
    match e {
        None => {
            r.null();
            true
        }
        Some(e) => reply_str(r, e),
    }
}

/// Stores `val` as the string value of the key of `w` (Redis's `setKey`, [`super::context::door::Door::store_string`]),
/// counting the overwrite as one access of the old key. The caller settles `w`.
pub(crate) fn store_string(ctx: &mut Ctx, w: &KeyWrite, val: &[u8], keep_ttl: bool) {
    ctx.door(w).store_string(val, keep_ttl, true)
}

// Flags of the extended SET/GETEX syntax.
pub(super) const F_NX: u32 = 1;
pub(super) const F_XX: u32 = 1 << 1;
const F_GET: u32 = 1 << 2;
pub(super) const F_KEEPTTL: u32 = 1 << 3;
const F_PERSIST: u32 = 1 << 4;
pub(super) const F_EX: u32 = 1 << 5;
pub(super) const F_PX: u32 = 1 << 6;
pub(super) const F_EXAT: u32 = 1 << 7;
pub(super) const F_PXAT: u32 = 1 << 8;
/// SET's `IFEQ comparison-value` (Valkey 8.1): set only over an existing string equal to the comparison value.
pub(super) const F_IFEQ: u32 = 1 << 9;
/// SET's Redis 8.4 conditions: `IFNE value` (missing, or not equal), `IFDEQ digest` (existing, digest equal),
/// `IFDNE digest` (missing, or digest not equal).
pub(super) const F_IFNE: u32 = 1 << 10;
pub(super) const F_IFDEQ: u32 = 1 << 11;
pub(super) const F_IFDNE: u32 = 1 << 12;
const F_COND: u32 = F_IFEQ | F_IFNE | F_IFDEQ | F_IFDNE;
const F_ANY_EXPIRE: u32 = F_EX | F_PX | F_EXAT | F_PXAT;

#[inline]
fn word_is(a: &[u8], w: &[u8]) -> bool {
    a.eq_ignore_ascii_case(w)
}

/// What SET's, GETEX's and MSETEX's options parse to: the flags, the expire argument and SET's comparison value
/// (IFEQ/IFNE) or digest (IFDEQ/IFDNE).
type ExtOptions<'a> = (u32, Option<&'a [u8]>, Option<&'a [u8]>);

/// Parses SET, GETEX or MSETEX options from `start`, as Redis's `parseExtendedStringArgumentsOrReply`: returns
/// the flags, the expire argument and the condition's argument, or None after replying a syntax error.
/// Conflicting options are syntax errors; repeating the same option is allowed (the last value wins, as Redis
/// 8.4 lets IFNE, IFDEQ and IFDNE repeat), except IFEQ, which Valkey 8.1 accepts once. NX, XX and the four
/// conditions exclude one another.
pub(super) fn parse_ext<'a>(r: &mut Reply, args: Args<'a>, start: usize, kind: ExtKind) -> Option<ExtOptions<'a>> {
    let is_set = kind == ExtKind::Set;
    let sets = kind != ExtKind::Getex;
    let mut flags = 0u32;
    let mut expire = None;
    let mut cmp = None;
    let mut j = start;
    while j < args.len() {
        let opt = args.get(j);
        let has_next = j + 1 < args.len();
        let expire_flag = if word_is(opt, b"ex") {
            F_EX
        } else if word_is(opt, b"px") {
            F_PX
        } else if word_is(opt, b"exat") {
            F_EXAT
        } else if word_is(opt, b"pxat") {
            F_PXAT
        } else {
            0
        };
        if expire_flag != 0 {
            let others = F_ANY_EXPIRE & !expire_flag;
            if flags & (F_KEEPTTL | F_PERSIST | others) != 0 || !has_next {
                r.err_syntax();
                return None;
            }
            flags |= expire_flag;
            expire = Some(args.get(j + 1));
            j += 2;
            continue;
        }
        let cond = if is_set { cond_flag(opt) } else { 0 };
        if cond != 0 {
            let once = if cond == F_IFEQ { F_IFEQ } else { 0 };
            if !has_next || flags & (F_NX | F_XX | (F_COND & !cond) | once) != 0 {
                r.err_syntax();
                return None;
            }
            flags |= cond;
            cmp = Some(args.get(j + 1));
            j += 2;
            continue;
        }
        if sets && word_is(opt, b"nx") && flags & (F_XX | F_COND) == 0 {
            flags |= F_NX;
        } else if sets && word_is(opt, b"xx") && flags & (F_NX | F_COND) == 0 {
            flags |= F_XX;
        } else if is_set && word_is(opt, b"get") {
            flags |= F_GET;
        } else if sets && word_is(opt, b"keepttl") && flags & (F_PERSIST | F_ANY_EXPIRE) == 0 {
            flags |= F_KEEPTTL;
        } else if kind == ExtKind::Getex && word_is(opt, b"persist") && flags & (F_KEEPTTL | F_ANY_EXPIRE) == 0 {
            flags |= F_PERSIST;
        } else {
            r.err_syntax();
            return None;
        }
        j += 1;
    }
    Some((flags, expire, cmp))
}

/// The error for a bad expire time, naming the command as Redis does.
pub(crate) fn err_expire_time(r: &mut Reply, cmd: &str) {
    r.error(&format!("ERR invalid expire time in '{cmd}' command"))
}

/// Converts an EX/PX/EXAT/PXAT argument to an absolute unix time in ms (Redis's `getExpireMillisecondsOrReply`):
/// it must be positive, and neither the unit conversion nor adding `now` may overflow.
pub(super) fn expire_ms(r: &mut Reply, arg: &[u8], flags: u32, now_ms: i64, cmd: &str) -> Option<i64> {
    let mut ms = int_arg(r, arg)?;
    let seconds = flags & (F_EX | F_EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        err_expire_time(r, cmd);
        return None;
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (F_EX | F_PX) != 0 {
        ms = ms.wrapping_add(now_ms);
    }
    if ms <= 0 {
        err_expire_time(r, cmd);
        return None;
    }
    Some(ms)
}

/// How a SET that stored is propagated, when not as sent: `when_ms` is the absolute expiry it set, if any.
#[inline]
fn set_rewrite(ctx: &mut Ctx, args: Args, key: &[u8], val: &[u8], flags: u32, when_ms: Option<i64>) {
    // Propagated with an absolute time (`SET key value PXAT ms`, also when the client sent PXAT: Redis 7.0's
    // setGenericCommand rewrites every SET with an expiry, dropping GET, NX and XX), and without GET.
    if let Some(when_ms) = when_ms {
        let mut nb = [0u8; 24];
        let ms = crate::util::itoa_buf(when_ms, &mut nb);
        ctx.propagation().rewrite(&[b"SET".as_slice(), key, val, b"PXAT", ms]);
    } else if flags & F_COND != 0 {
        // The condition held here, so the replica (or an AOF, or a Redis 7.0 replica, which knows no IFEQ) is
        // given the plain store: `SET key value [KEEPTTL]`.
        if flags & F_KEEPTTL != 0 {
            ctx.propagation().rewrite(&[b"SET".as_slice(), key, val, b"KEEPTTL"]);
        } else {
            ctx.propagation().rewrite(&[b"SET".as_slice(), key, val]);
        }
    } else if flags & F_GET != 0 {
        let kept: Vec<&[u8]> = args
            .iter()
            .enumerate()
            .filter(|&(j, a)| j < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| a)
            .collect();
        ctx.propagation().rewrite(&kept);
    }
}

/// Redis's `setGenericCommand`. `int_reply` selects SETNX's `:1`/`:0` replies instead of `+OK`/null; `cmp` is
/// the argument of SET's condition (one of `F_COND`).
#[allow(clippy::too_many_arguments)]
fn set_generic(
    ctx: &mut Ctx,
    args: Args,
    key: &[u8],
    val: &[u8],
    flags: u32,
    expire: Option<&[u8]>,
    cmp: Option<&[u8]>,
    int_reply: bool,
) {
    let now = ctx.now_ms();
    let mut when_ms = 0;
    if let Some(a) = expire {
        let cmd = args.get(0);
        let name = if word_is(cmd, b"setex") {
            "setex"
        } else if word_is(cmd, b"psetex") {
            "psetex"
        } else {
            "set"
        };
        match expire_ms(ctx.reply(), a, flags, now, name) {
            Some(w) => when_ms = w,
            None => return,
        }
    }
    // The condition is judged before GET replies, so a malformed digest is the only reply (in Redis 8.4 it
    // would follow GET's).
    let outcome = cmp.map(|c| judge_key(ctx, key, cond_of(flags, c)));
    if outcome == Some(Judged::BadDigest) {
        ctx.reply().error(super::string_cond::ERR_DIGEST);
        return;
    }
    if flags & F_GET != 0 && !get_generic(ctx, key) {
        return;
    }
    match outcome {
        // With GET, GET has replied (WRONGTYPE for another type).
        Some(Judged::WrongType) if flags & F_GET == 0 => return ctx.reply().err_wrongtype(),
        Some(Judged::WrongType | Judged::Fails) => {
            if flags & F_GET == 0 {
                ctx.reply().null();
            }
            return;
        }
        _ => {}
    }
    let conditional = flags & (F_NX | F_XX | F_COND) != 0;
    if flags & (F_NX | F_XX) != 0 {
        // This lookup counts as the access (the store below does not count another), as in Redis.
        let found = ctx.lookup(Access::WRITE, key).0.is_some();
        if (flags & F_NX != 0 && found) || (flags & F_XX != 0 && !found) {
            if flags & F_GET == 0 {
                if int_reply {
                    ctx.reply().int(0)
                } else {
                    ctx.reply().null()
                }
            }
            return;
        }
    }
    let mut w = ctx.open_write(key);
    if expire.is_some() {
        // As in Redis 7.0, an absolute time already in the past is stored like any other: the key is then
        // expired lazily or by the active cycle.
        ctx.door(&w).store_string_expiring(val, when_ms, !conditional);
    } else {
        ctx.door(&w).store_string(val, flags & F_KEEPTTL != 0, !conditional);
    }
    ctx.changed(&mut w, 1);
    ctx.notify(nc::STRING, "set", key);
    if expire.is_some() {
        ctx.notify(nc::GENERIC, "expire", key);
    }
    set_rewrite(ctx, args, key, val, flags, expire.is_some().then_some(when_ms));
    if flags & F_GET == 0 {
        if int_reply {
            ctx.reply().int(1)
        } else {
            ctx.reply().ok()
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Handlers.

/// SET's key flags for COMMAND GETKEYSANDFLAGS: with a GET option it reads the old value (`RW access update`),
/// without one it just overwrites (`OW update`). Any argument after the value spelled GET counts, as in Redis.
fn set_key_flags(args: Args) -> Vec<(usize, &'static str)> {
    let get = (3..args.len()).any(|i| args.is(i, "get"));
    // Redis 8.4: a condition reads the old value too (`RW update`).
    let cond = (3..args.len()).any(|i| cond_flag(args.get(i)) != 0);
    vec![(
        1,
        if get {
            "RW access update"
        } else if cond {
            "RW update"
        } else {
            "OW update"
        },
    )]
}

/// GET key
fn get(ctx: &mut Ctx, args: Args) {
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    match e {
        None => r.null(),
        Some(e) => {
            reply_str(r, e);
        }
    }
}

/// SET key value [NX | XX | IFEQ comparison-value | IFNE value | IFDEQ digest | IFDNE digest] \[GET\] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
fn set(ctx: &mut Ctx, args: Args) {
    let Some((flags, expire, cmp)) = parse_ext(ctx.reply(), args, 3, ExtKind::Set) else { return };
    set_generic(ctx, args, args.get(1), args.get(2), flags, expire, cmp, false);
}

/// SETNX key value
fn setnx(ctx: &mut Ctx, args: Args) {
    set_generic(ctx, args, args.get(1), args.get(2), F_NX, None, None, true);
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx, args: Args) {
    set_generic(ctx, args, args.get(1), args.get(3), F_EX, Some(args.get(2)), None, false);
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx, args: Args) {
    set_generic(ctx, args, args.get(1), args.get(3), F_PX, Some(args.get(2)), None, false);
}

/// MGET key [key ...]
fn mget(ctx: &mut Ctx, args: Args) {
    ctx.reply().array(args.len() - 1);
    for i in 1..args.len() {
        let (e, r) = ctx.lookup(Access::READ, args.get(i));
        match e.and_then(|e| e.as_str()) {
            Some(StrRef::Bytes(b)) => r.bulk(b),
            Some(StrRef::Int(n)) => r.bulk_int(n),
            None => r.null(),
        }
    }
}

fn mset_generic(ctx: &mut Ctx, args: Args, nx: bool) {
    if args.len() % 2 == 0 {
        let name = if nx { "msetnx" } else { "mset" };
        ctx.reply().err_arity(name);
        return;
    }
    if nx {
        for i in (1..args.len()).step_by(2) {
            if ctx.lookup(Access::WRITE, args.get(i)).0.is_some() {
                ctx.reply().int(0);
                return;
            }
        }
    }
    for i in (1..args.len()).step_by(2) {
        let mut w = ctx.open_write(args.get(i));
        store_string(ctx, &w, args.get(i + 1), false);
        ctx.changed(&mut w, 1);
        ctx.notify(nc::STRING, "set", args.get(i));
    }
    if nx {
        ctx.reply().int(1)
    } else {
        ctx.reply().ok()
    }
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx, args: Args) {
    mset_generic(ctx, args, false)
}

/// MSETNX key value [key value ...]
fn msetnx(ctx: &mut Ctx, args: Args) {
    mset_generic(ctx, args, true)
}

/// GETSET key value
fn getset(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    if !get_generic(ctx, key) {
        return;
    }
    let mut w = ctx.open_write(key);
    store_string(ctx, &w, args.get(2), false);
    ctx.changed(&mut w, 1);
    ctx.notify(nc::STRING, "set", key);
    // Propagated as a SET, as Redis 7.0 (so a replica counts it as one).
    ctx.propagation().rewrite(&[b"SET".as_slice(), key, args.get(2)]);
}

/// GETDEL key
fn getdel(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    if !get_generic(ctx, key) {
        return;
    }
    if ctx.delete_key(key) {
        ctx.notify(nc::GENERIC, "del", key);
        ctx.propagation().rewrite(&[b"DEL".as_slice(), key]);
    }
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
fn getex(ctx: &mut Ctx, args: Args) {
    let Some((flags, expire, _)) = parse_ext(ctx.reply(), args, 2, ExtKind::Getex) else { return };
    let key = args.get(1);
    let now = ctx.now_ms();
    {
        let (e, r) = ctx.lookup(Access::READ, key);
        let Some(e) = e else {
            r.null();
            return;
        };
        if e.as_str().is_none() {
            r.err_wrongtype();
            return;
        }
    }
    let mut when_ms = 0;
    if let Some(a) = expire {
        match expire_ms(ctx.reply(), a, flags, now, "getex") {
            Some(w) => when_ms = w,
            None => return,
        }
    }
    // Reply before the expire may delete the key.
    let (e, r, mut w) = ctx.write(key);
    if let Some(e) = e {
        reply_str(r, e);
    }
    // Redis's checkAlreadyExpired: never on a replica, nor while an AOF is loaded.
    if flags & (F_EXAT | F_PXAT) != 0 && when_ms <= now && ctx.settings().deletes_already_expired() {
        ctx.door(&w).delete_expired_by_command();
        ctx.changed(&mut w, 1);
        ctx.notify(nc::GENERIC, "del", key);
        let verb = ctx.settings().del_verb();
        ctx.propagation().rewrite(&[verb, key]);
    } else if expire.is_some() {
        ctx.door(&w).set_expire(when_ms);
        ctx.changed(&mut w, 1);
        ctx.notify(nc::GENERIC, "expire", key);
        let mut nb = [0u8; 24];
        let ms = crate::util::itoa_buf(when_ms, &mut nb);
        ctx.propagation().rewrite(&[b"PEXPIREAT".as_slice(), key, ms]);
    } else if flags & F_PERSIST != 0 && ctx.door(&w).persist() {
        ctx.changed(&mut w, 1);
        ctx.notify(nc::GENERIC, "persist", key);
        ctx.propagation().rewrite(&[b"PERSIST".as_slice(), key]);
    } else {
        w.untouched();
    }
}

/// Checks that a string of `len + extra` bytes stays within `proto-max-bulk-len` (Redis's `checkStringLength`).
fn check_string_length(ctx: &mut Ctx, len: u64, extra: u64) -> bool {
    let max = ctx.settings().proto_max_bulk_len();
    match len.checked_add(extra) {
        Some(total) if total <= max => true,
        _ => {
            ctx.reply().error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            false
        }
    }
}

/// APPEND key value
fn append(ctx: &mut Ctx, args: Args) {
    let (key, val) = (args.get(1), args.get(2));
    let cur_len = match ctx.lookup(Access::WRITE, key).0 {
        None => None,
        Some(e) => match e.as_str() {
            Some(s) => Some(s.len()),
            None => {
                ctx.reply().err_wrongtype();
                return;
            }
        },
    };
    let mut w = ctx.open_write(key);
    let total = match cur_len {
        None => {
            let mut e = Entry::new_string(key, val);
            e.set_lru(ctx.settings().fresh_lru());
            ctx.door(&w).insert(e);
            val.len()
        }
        Some(len) => {
            if !check_string_length(ctx, len as u64, val.len() as u64) {
                w.untouched();
                return;
            }
            let Some(buf) = ctx.door(&w).entry_mut().and_then(|e| e.raw_mut()) else {
                w.untouched();
                return;
            };
            super::admin::sds_reserve(buf, val.len());
            buf.extend_from_slice(val);
            buf.len()
        }
    };
    ctx.changed(&mut w, 1);
    ctx.notify(nc::STRING, "append", key);
    ctx.reply().int(total as i64);
}

/// STRLEN key
fn strlen(ctx: &mut Ctx, args: Args) {
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    match e {
        None => r.int(0),
        Some(e) => match e.as_str() {
            Some(s) => r.int(s.len() as i64),
            None => r.err_wrongtype(),
        },
    }
}

/// Redis's `incrDecrCommand`: adds `incr` to the integer at `key` (0 when missing), keeping its TTL.
/// The value's length before and after is reported to `INFO keysizes` here (the lookup lends nothing).
fn incr_decr(ctx: &mut Ctx, key: &[u8], incr: i64) {
    let lru = ctx.settings().fresh_lru();
    let (e, r, mut w) = ctx.write_sized(key);
    match e {
        Some(e) => {
            let Some(s) = e.as_str() else {
                r.err_wrongtype();
                return w.untouched();
            };
            let Some(old) = s.as_i64() else {
                r.err_not_int();
                return w.untouched();
            };
            let Some(n) = old.checked_add(incr) else {
                r.error("ERR increment or decrement would overflow");
                return w.untouched();
            };
            e.set_int(n);
            r.int(n);
            ctx.door(&w).int_resized(old, n);
        }
        None => {
            r.int(incr);
            let mut e = Entry::new_int(key, incr);
            e.set_lru(lru);
            ctx.door(&w).insert(e);
        }
    }
    ctx.changed(&mut w, 1);
    ctx.notify(nc::STRING, "incrby", key);
}

/// INCR key
fn incr(ctx: &mut Ctx, args: Args) {
    incr_decr(ctx, args.get(1), 1)
}

/// DECR key
fn decr(ctx: &mut Ctx, args: Args) {
    incr_decr(ctx, args.get(1), -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx, args: Args) {
    let Some(n) = int_arg(ctx.reply(), args.get(2)) else { return };
    incr_decr(ctx, args.get(1), n)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx, args: Args) {
    let Some(n) = int_arg(ctx.reply(), args.get(2)) else { return };
    let Some(neg) = n.checked_neg() else {
        ctx.reply().error("ERR decrement would overflow");
        return;
    };
    incr_decr(ctx, args.get(1), neg)
}

/// INCRBYFLOAT key increment
///
/// Redis computes in C `long double` (x87 80-bit extended on x86-64) and prints the sum with `%.17Lf` minus
/// trailing zeros; [`super::longdouble`] reproduces that arithmetic exactly.
fn incrbyfloat(ctx: &mut Ctx, args: Args) {
    use super::longdouble::F80;
    let key = args.get(1);
    let (e, r, mut w) = ctx.write(key);
    let cur = match e {
        None => Some(F80::ZERO),
        Some(e) => match e.as_str() {
            None => {
                r.err_wrongtype();
                return w.untouched();
            }
            Some(StrRef::Int(n)) => Some(F80::from_i64(n)),
            Some(StrRef::Bytes(b)) => F80::parse(b),
        },
    };
    let (Some(cur), Some(incr)) = (cur, F80::parse(args.get(2))) else {
        r.err_not_float();
        return w.untouched();
    };
    let Some(text) = cur.sum_text(incr) else {
        r.error(super::longdouble::ERR_NOT_FINITE_SUM);
        return w.untouched();
    };
    r.bulk(&text);
    let lru = ctx.settings().fresh_lru();
    let mut e = Entry::new_embstr(key, &text);
    e.set_lru(lru);
    // A long result is a fresh raw sds, untrimmed.
    super::admin::set_raw_capacity(&mut e, super::admin::sds_new_alloc(text.len()));
    // The result replaces the value but keeps the TTL (dbOverwrite).
    ctx.door(&w).insert_keep_ttl(e);
    ctx.changed(&mut w, 1);
    ctx.notify(nc::STRING, "incrbyfloat", key);
    // Replayed as the result, so float rounding on the other side cannot diverge.
    ctx.propagation().rewrite(&[b"SET".as_slice(), key, &text, b"KEEPTTL"]);
}

/// Resolves GETRANGE's inclusive `start..=end` (negative = from the end) against a string of `len` bytes.
fn substr_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len_i = len as i64;
    let mut s = if start < 0 { len_i.wrapping_add(start) } else { start };
    let mut e = if end < 0 { len_i.wrapping_add(end) } else { end };
    s = s.max(0);
    e = e.max(0);
    if e >= len_i {
        e = len_i - 1;
    }
    if s > e || len == 0 {
        return None;
    }
    Some((s as usize, e as usize))
}

/// GETRANGE key start end (and its old name SUBSTR)
fn getrange(ctx: &mut Ctx, args: Args) {
    let Some(start) = int_arg(ctx.reply(), args.get(2)) else { return };
    let Some(end) = int_arg(ctx.reply(), args.get(3)) else { return };
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    let Some(e) = e else {
        r.bulk(b"");
        return;
    };
    let Some(s) = e.as_str() else {
        r.err_wrongtype();
        return;
    };
    let mut tmp = [0u8; 24];
    let bytes = s.bytes(&mut tmp);
    match substr_range(start, end, bytes.len()) {
        Some((a, b)) => r.bulk(&bytes[a..=b]),
        None => r.bulk(b""),
    }
}

/// SETRANGE key offset value
fn setrange(ctx: &mut Ctx, args: Args) {
    let (key, val) = (args.get(1), args.get(3));
    let Some(offset) = int_arg(ctx.reply(), args.get(2)) else { return };
    if offset < 0 {
        ctx.reply().error("ERR offset is out of range");
        return;
    }
    let offset_u = offset as u64;
    let cur_len = match ctx.lookup(Access::WRITE, key).0 {
        None => None,
        Some(e) => match e.as_str() {
            Some(s) => Some(s.len()),
            None => {
                ctx.reply().err_wrongtype();
                return;
            }
        },
    };
    match cur_len {
        None => {
            if val.is_empty() {
                ctx.reply().int(0);
                return;
            }
            if !check_string_length(ctx, offset_u, val.len() as u64) {
                return;
            }
            let off = offset_u as usize;
            let mut buf = vec![0u8; off + val.len()];
            buf[off..].copy_from_slice(val);
            let total = buf.len();
            let mut e = Entry::new_raw(key, buf);
            e.set_lru(ctx.settings().fresh_lru());
            // A fresh, untrimmed sds in Redis.
            super::admin::set_raw_capacity(&mut e, super::admin::sds_new_alloc(total));
            let mut w = ctx.open_write(key);
            ctx.door(&w).insert(e);
            ctx.changed(&mut w, 1);
            ctx.notify(nc::STRING, "setrange", key);
            ctx.reply().int(total as i64);
        }
        Some(len) => {
            if val.is_empty() {
                ctx.reply().int(len as i64);
                return;
            }
            if !check_string_length(ctx, offset_u, val.len() as u64) {
                return;
            }
            let off = offset_u as usize;
            let mut w = ctx.open_write(key);
            let Some(buf) = ctx.door(&w).entry_mut().and_then(|e| e.raw_mut()) else { return w.untouched() };
            if buf.len() < off + val.len() {
                super::admin::sds_reserve(buf, off + val.len() - buf.len());
                buf.resize(off + val.len(), 0);
            }
            buf[off..off + val.len()].copy_from_slice(val);
            let total = buf.len();
            ctx.changed(&mut w, 1);
            ctx.notify(nc::STRING, "setrange", key);
            ctx.reply().int(total as i64);
        }
    }
}

/// LCS's options.
struct LcsOptions {
    get_len: bool,
    get_idx: bool,
    with_len: bool,
    min_len: i64,
}

/// Reads the two strings LCS compares (a missing key is empty); None once an error was replied.
fn lcs_values(ctx: &mut Ctx, args: Args) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut a_val = Vec::new();
    let mut b_val = Vec::new();
    for (i, out) in [(1usize, &mut a_val), (2, &mut b_val)] {
        if let Some(e) = ctx.lookup(Access::READ, args.get(i)).0 {
            match e.as_str() {
                Some(s) => *out = s.to_vec(),
                None => {
                    ctx.reply().error("ERR The specified keys must contain string values");
                    return None;
                }
            }
        }
    }
    Some((a_val, b_val))
}

/// Parses LCS's options (LEN, IDX, MINMATCHLEN, WITHMATCHLEN); None once an error was replied.
fn parse_lcs_options(ctx: &mut Ctx, args: Args) -> Option<LcsOptions> {
    let mut o = LcsOptions { get_len: false, get_idx: false, with_len: false, min_len: 0 };
    let mut j = 3;
    while j < args.len() {
        let opt = args.get(j);
        if word_is(opt, b"idx") {
            o.get_idx = true;
        } else if word_is(opt, b"len") {
            o.get_len = true;
        } else if word_is(opt, b"withmatchlen") {
            o.with_len = true;
        } else if word_is(opt, b"minmatchlen") && j + 1 < args.len() {
            let v = int_arg(ctx.reply(), args.get(j + 1))?;
            o.min_len = v.max(0);
            j += 1;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        j += 1;
    }
    if o.get_idx && o.get_len {
        ctx.reply().error("ERR If you want both the length and indexes, please just use IDX.");
        return None;
    }
    Some(o)
}

/// The LCS dynamic-programming table, `cells` long: `table[i * cols + j]` is the LCS length of `a[..i]` and
/// `b[..j]`, with `cols = b.len() + 1`.
fn lcs_table(a: &[u8], b: &[u8], cells: usize) -> Vec<u32> {
    let cols = b.len() + 1;
    // table[i * cols + j] = LCS length of a[..i] and b[..j].
    let mut table = vec![0u32; cells];
    for i in 1..=a.len() {
        for k in 1..=b.len() {
            table[i * cols + k] = if a[i - 1] == b[k - 1] {
                table[(i - 1) * cols + k - 1] + 1
            } else {
                table[(i - 1) * cols + k].max(table[i * cols + k - 1])
            };
        }
    }
    table
}

/// A match of LCS's IDX reply: `a[.0..=.1]` matches `b[.2..=.3]`.
type LcsRange = (usize, usize, usize, usize);

/// Walks the table back from the end: the common string (`total` long) and the matching ranges at least
/// `min_len` long (last match first).
fn lcs_walk(a: &[u8], b: &[u8], table: &[u32], total: u32, min_len: i64) -> (Vec<u8>, Vec<LcsRange>) {
    let cols = b.len() + 1;
    // Walk back from the end, collecting the common string and the matching ranges (last match first).
    let mut common = vec![0u8; total as usize];
    let mut ranges: Vec<LcsRange> = Vec::new();
    let mut fill = total as usize;
    let (mut i, mut k) = (a.len(), b.len());
    // Current range: a[a_start..=a_end] matches b[b_start..=b_end].
    let mut cur: Option<LcsRange> = None;
    while i > 0 && k > 0 {
        let mut emit = false;
        if a[i - 1] == b[k - 1] {
            fill -= 1;
            common[fill] = a[i - 1];
            cur = match cur {
                None => Some((i - 1, i - 1, k - 1, k - 1)),
                Some((a_s, a_e, b_s, b_e)) if a_s == i && b_s == k => Some((a_s - 1, a_e, b_s - 1, b_e)),
                Some(c) => {
                    emit = true;
                    Some(c)
                }
            };
            if let Some((a_s, _, b_s, _)) = cur {
                if a_s == 0 || b_s == 0 {
                    emit = true;
                }
            }
            i -= 1;
            k -= 1;
        } else {
            if table[(i - 1) * cols + k] > table[i * cols + k - 1] {
                i -= 1;
            } else {
                k -= 1;
            }
            emit = cur.is_some();
        }
        if emit {
            if let Some(c) = cur.take() {
                if (c.1 - c.0 + 1) as i64 >= min_len {
                    ranges.push(c);
                }
            }
        }
    }
    (common, ranges)
}

/// LCS's IDX reply: the matches (with their lengths for WITHMATCHLEN) and the LCS length.
fn reply_lcs_idx(r: &mut Reply, ranges: Vec<LcsRange>, with_len: bool, total: u32) {
    r.map(2);
    r.bulk(b"matches");
    r.array(ranges.len());
    for (a_s, a_e, b_s, b_e) in ranges {
        r.array(if with_len { 3 } else { 2 });
        r.array(2);
        r.int(a_s as i64);
        r.int(a_e as i64);
        r.array(2);
        r.int(b_s as i64);
        r.int(b_e as i64);
        if with_len {
            r.int((a_e - a_s + 1) as i64);
        }
    }
    r.bulk(b"len");
    r.int(total as i64);
}

/// LCS key1 key2 \[LEN\] \[IDX\] [MINMATCHLEN len] \[WITHMATCHLEN\]
fn lcs(ctx: &mut Ctx, args: Args) {
    let Some((a_val, b_val)) = lcs_values(ctx, args) else { return };
    let Some(o) = parse_lcs_options(ctx, args) else { return };
    let (a, b) = (&a_val[..], &b_val[..]);
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        ctx.reply().error("ERR String too long for LCS");
        return;
    }
    let cols = b.len() + 1;
    let cells = (a.len() as u64 + 1) * cols as u64;
    let table_bytes = cells.saturating_mul(4);
    if table_bytes > ctx.settings().proto_max_bulk_len() {
        ctx.reply().error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    let table = lcs_table(a, b, cells as usize);
    let total = table[a.len() * cols + b.len()];
    if o.get_len {
        ctx.reply().int(total as i64);
        return;
    }
    let (common, ranges) = lcs_walk(a, b, &table, total, o.min_len);
    let r = ctx.reply();
    if !o.get_idx {
        r.bulk(&common);
        return;
    }
    reply_lcs_idx(r, ranges, o.with_len, total);
}

#[cfg(test)]
pub(crate) mod tests {
    pub(crate) use crate::command::test_support::Harness;

    #[test]
    fn get_set_basics() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["get", "k"]), "$-1\r\n");
        assert_eq!(h.run(&["set", "k", "hello"]), "+OK\r\n");
        assert_eq!(h.run(&["get", "k"]), "$5\r\nhello\r\n");
        assert_eq!(h.run(&["set", "k", "12"]), "+OK\r\n");
        assert_eq!(h.run(&["get", "k"]), "$2\r\n12\r\n");
        assert_eq!(h.run(&["strlen", "k"]), ":2\r\n");
        assert_eq!(h.run(&["strlen", "nokey"]), ":0\r\n");
    }

    #[test]
    fn set_options() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["set", "k", "v", "nx"]), "+OK\r\n");
        assert_eq!(h.run(&["set", "k", "v2", "nx"]), "$-1\r\n");
        assert_eq!(h.run(&["set", "k", "v2", "xx", "get"]), "$1\r\nv\r\n");
        assert_eq!(h.run(&["set", "x", "v2", "xx"]), "$-1\r\n");
        assert_eq!(h.run(&["set", "x", "v2", "xx", "get"]), "$-1\r\n");
        assert_eq!(h.run(&["set", "k", "v", "nx", "xx"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["set", "k", "v", "ex", "10", "px", "100"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["set", "k", "v", "ex", "10", "keepttl"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["set", "k", "v", "ex"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["set", "k", "v", "persist"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["set", "k", "v", "ex", "0"]), "-ERR invalid expire time in 'set' command\r\n");
        assert_eq!(h.run(&["set", "k", "v", "ex", "abc"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(
            h.run(&["set", "k", "v", "ex", "9223372036854776"]),
            "-ERR invalid expire time in 'set' command\r\n"
        );
        assert_eq!(
            h.run(&["set", "k", "v", "px", "9223372036854775807"]),
            "-ERR invalid expire time in 'set' command\r\n"
        );
        assert_eq!(h.run(&["setex", "k", "-1", "v"]), "-ERR invalid expire time in 'setex' command\r\n");
        assert_eq!(h.run(&["psetex", "k", "0", "v"]), "-ERR invalid expire time in 'psetex' command\r\n");
        assert_eq!(h.run(&["set", "k", "v", "ex", "100"]), "+OK\r\n");
        assert_eq!(h.run(&["ttl", "k"]), ":100\r\n");
        assert_eq!(h.run(&["set", "k", "v2", "keepttl"]), "+OK\r\n");
        assert_eq!(h.run(&["ttl", "k"]), ":100\r\n");
        assert_eq!(h.run(&["set", "k", "v3"]), "+OK\r\n");
        assert_eq!(h.run(&["ttl", "k"]), ":-1\r\n");
        // An absolute time in the past leaves a key that is already expired; GET still answers the old value.
        assert_eq!(h.run(&["set", "k", "v4", "exat", "1", "get"]), "$2\r\nv3\r\n");
        assert_eq!(h.run(&["dbsize"]), ":1\r\n");
        assert_eq!(h.run(&["exists", "k"]), ":0\r\n");
        assert_eq!(h.run(&["dbsize"]), ":0\r\n");
        assert_eq!(h.run(&["setnx", "n", "1"]), ":1\r\n");
        assert_eq!(h.run(&["setnx", "n", "2"]), ":0\r\n");
        assert_eq!(h.run(&["setex", "s", "50", "v"]), "+OK\r\n");
        assert_eq!(h.run(&["ttl", "s"]), ":50\r\n");
        assert_eq!(h.run(&["psetex", "s", "50000", "v"]), "+OK\r\n");
        assert_eq!(h.run(&["pttl", "s"]), ":50000\r\n");
    }

    #[test]
    fn set_get_on_wrong_type_does_not_set() {
        let mut h = Harness::new();
        h.run(&["set", "k", "v"]);
        // Simulate another type by swapping in a non-string entry is impossible without collection values;
        // instead check that GET on a missing key still sets.
        assert_eq!(h.run(&["set", "new", "v", "get"]), "$-1\r\n");
        assert_eq!(h.run(&["get", "new"]), "$1\r\nv\r\n");
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["mset", "a", "1", "b", "2"]), "+OK\r\n");
        assert_eq!(h.run(&["mset", "a", "1", "b"]), "-ERR wrong number of arguments for 'mset' command\r\n");
        assert_eq!(h.run(&["mget", "a", "x", "b"]), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
        assert_eq!(h.run(&["msetnx", "c", "3", "a", "9"]), ":0\r\n");
        assert_eq!(h.run(&["get", "c"]), "$-1\r\n");
        assert_eq!(h.run(&["msetnx", "c", "3", "d", "4"]), ":1\r\n");
        assert_eq!(h.run(&["get", "d"]), "$1\r\n4\r\n");
    }

    #[test]
    fn getset_getdel_getex() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["getset", "k", "a"]), "$-1\r\n");
        assert_eq!(h.run(&["getset", "k", "b"]), "$1\r\na\r\n");
        assert_eq!(h.run(&["getdel", "k"]), "$1\r\nb\r\n");
        assert_eq!(h.run(&["getdel", "k"]), "$-1\r\n");
        h.run(&["set", "k", "v"]);
        assert_eq!(h.run(&["getex", "k", "ex", "100"]), "$1\r\nv\r\n");
        assert_eq!(h.run(&["ttl", "k"]), ":100\r\n");
        assert_eq!(h.run(&["getex", "k", "persist"]), "$1\r\nv\r\n");
        assert_eq!(h.run(&["ttl", "k"]), ":-1\r\n");
        assert_eq!(h.run(&["getex", "k", "ex", "-5"]), "-ERR invalid expire time in 'getex' command\r\n");
        assert_eq!(h.run(&["getex", "k", "nx"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["getex", "k", "ex", "1", "persist"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["getex", "missing", "ex", "-5"]), "$-1\r\n");
        assert_eq!(h.run(&["getex", "k", "pxat", "1"]), "$1\r\nv\r\n");
        assert_eq!(h.run(&["exists", "k"]), ":0\r\n");
    }

    #[test]
    fn counters() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["incr", "n"]), ":1\r\n");
        assert_eq!(h.run(&["incrby", "n", "10"]), ":11\r\n");
        assert_eq!(h.run(&["decr", "n"]), ":10\r\n");
        assert_eq!(h.run(&["decrby", "n", "20"]), ":-10\r\n");
        assert_eq!(h.run(&["decrby", "n", "-9223372036854775808"]), "-ERR decrement would overflow\r\n");
        h.run(&["set", "n", "9223372036854775807"]);
        assert_eq!(h.run(&["incr", "n"]), "-ERR increment or decrement would overflow\r\n");
        h.run(&["set", "s", "abc"]);
        assert_eq!(h.run(&["incr", "s"]), "-ERR value is not an integer or out of range\r\n");
        h.run(&["set", "s", " 1"]);
        assert_eq!(h.run(&["incr", "s"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["incrby", "n", "x"]), "-ERR value is not an integer or out of range\r\n");
        h.run(&["set", "t", "5", "ex", "100"]);
        assert_eq!(h.run(&["incr", "t"]), ":6\r\n");
        assert_eq!(h.run(&["ttl", "t"]), ":100\r\n");
    }

    #[test]
    fn incrbyfloat_formats_like_long_double() {
        let mut h = Harness::new();
        h.run(&["set", "a", "10.5"]);
        assert_eq!(h.run(&["incrbyfloat", "a", "0.1"]), "$4\r\n10.6\r\n");
        for _ in 0..10 {
            h.run(&["incrbyfloat", "b", "0.1"]);
        }
        assert_eq!(h.run(&["get", "b"]), "$1\r\n1\r\n");
        assert_eq!(h.run(&["incrbyfloat", "c", "1e20"]), "$21\r\n100000000000000000000\r\n");
        assert_eq!(h.run(&["incrbyfloat", "c", "0.1"]), "$21\r\n100000000000000000000\r\n");
        assert_eq!(h.run(&["incrbyfloat", "e", "0x10"]), "$2\r\n16\r\n");
        assert_eq!(h.run(&["incrbyfloat", "f", "3.0e-5"]), "$7\r\n0.00003\r\n");
        assert_eq!(h.run(&["incrbyfloat", "g", " 1"]), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run(&["incrbyfloat", "g", "inf"]), "-ERR increment would produce NaN or Infinity\r\n");
        assert_eq!(h.run(&["incrbyfloat", "g", "1e5000"]), "-ERR value is not a valid float\r\n");
        h.run(&["set", "h", "1"]);
        assert_eq!(h.run(&["incrbyfloat", "h", "1"]), "$1\r\n2\r\n");
        assert_eq!(h.run(&["object", "encoding", "h"]), "$6\r\nembstr\r\n");
        assert_eq!(h.run(&["incrbyfloat", "h", "-2"]), "$1\r\n0\r\n");
    }

    #[test]
    fn append_and_ranges() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["append", "k", "hello"]), ":5\r\n");
        assert_eq!(h.run(&["append", "k", " world"]), ":11\r\n");
        assert_eq!(h.run(&["get", "k"]), "$11\r\nhello world\r\n");
        assert_eq!(h.run(&["getrange", "k", "0", "4"]), "$5\r\nhello\r\n");
        assert_eq!(h.run(&["getrange", "k", "-5", "-1"]), "$5\r\nworld\r\n");
        assert_eq!(h.run(&["getrange", "k", "-1", "-5"]), "$0\r\n\r\n");
        assert_eq!(h.run(&["getrange", "k", "-100", "-50"]), "$1\r\nh\r\n");
        assert_eq!(h.run(&["substr", "k", "6", "100"]), "$5\r\nworld\r\n");
        assert_eq!(h.run(&["getrange", "nokey", "0", "-1"]), "$0\r\n\r\n");
        assert_eq!(h.run(&["setrange", "k", "6", "W"]), ":11\r\n");
        assert_eq!(h.run(&["get", "k"]), "$11\r\nhello World\r\n");
        assert_eq!(h.run(&["setrange", "k", "-1", "W"]), "-ERR offset is out of range\r\n");
        assert_eq!(h.run(&["setrange", "new", "3", "x"]), ":4\r\n");
        assert_eq!(h.run(&["get", "new"]), "$4\r\n\0\0\0x\r\n");
        assert_eq!(h.run(&["setrange", "none", "3", ""]), ":0\r\n");
        assert_eq!(
            h.run(&["setrange", "k", "536870911", "xx"]),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
        );
        h.run(&["set", "i", "123"]);
        assert_eq!(h.run(&["append", "i", "4"]), ":4\r\n");
        assert_eq!(h.run(&["object", "encoding", "i"]), "$3\r\nraw\r\n");
        assert_eq!(h.run(&["getrange", "i", "1", "2"]), "$2\r\n23\r\n");
    }

    #[test]
    fn lcs_variants() {
        let mut h = Harness::new();
        h.run(&["mset", "key1", "ohmytext", "key2", "mynewtext"]);
        assert_eq!(h.run(&["lcs", "key1", "key2"]), "$6\r\nmytext\r\n");
        assert_eq!(h.run(&["lcs", "key1", "key2", "len"]), ":6\r\n");
        assert_eq!(
            h.run(&["lcs", "key1", "key2", "idx"]),
            "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            h.run(&["lcs", "key1", "key2", "idx", "minmatchlen", "4", "withmatchlen"]),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            h.run(&["lcs", "key1", "key2", "idx", "len"]),
            "-ERR If you want both the length and indexes, please just use IDX.\r\n"
        );
        assert_eq!(h.run(&["lcs", "key1", "key2", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lcs", "nokey", "key2"]), "$0\r\n\r\n");
    }
}
