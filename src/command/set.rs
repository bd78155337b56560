//! Set commands (Redis `t_set.c`): membership, random picks and pops, the algebra (SINTER/SUNION/SDIFF and their
//! STORE forms, SINTERCARD, and Redis 8.10's SUNIONCARD / SDIFFCARD), SMOVE and SSCAN.
//!
//! Multi-key commands first look every key up (expiring it, counting hits/misses, checking its type) and only then
//! borrow the sets together, immutably, to compute an owned result. Results that are stored are built the way
//! Redis builds them (an intset that converts as members arrive), so `OBJECT ENCODING` of a destination matches.

use super::shared::{delete_key, long_arg, positive_long_arg, range_long_arg, removed_from, store_value};
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, ALL_KEYS, BASE, NO_KEYS, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::db::Db;
use crate::keyspace::object::{ObjType, StrRef, Value};
use crate::keyspace::types::set::Set;
use crate::resp::reply::Reply;
use crate::util::{glob_match, parse_i64};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "sadd",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write set fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        group: Group::Set,
        summary: "Add one or more members to a set",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        syntax: "key member [member ...]",
        handler: sadd,
        history: &[("2.4.0", "Accepts multiple `member` arguments.")],
        ..BASE
    },
    Command {
        name: "srem",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "write set fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        group: Group::Set,
        summary: "Remove one or more members from a set",
        complexity: "O(N) where N is the number of members to be removed.",
        syntax: "key member [member ...]",
        handler: srem,
        history: &[("2.4.0", "Accepts multiple `member` arguments.")],
        ..BASE
    },
    Command {
        name: "smembers",
        arity: 2,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Set,
        summary: "Get all the members in a set",
        complexity: "O(N) where N is the set cardinality.",
        syntax: "key",
        handler: smembers,
        tips: "nondeterministic_output_order",
        ..BASE
    },
    Command {
        name: "sismember",
        arity: 3,
        flags: flag::READONLY | flag::FAST,
        acl: "read set fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO")],
        group: Group::Set,
        summary: "Determine if a given value is a member of a set",
        syntax: "key member",
        handler: sismember,
        ..BASE
    },
    Command {
        name: "smismember",
        arity: -3,
        flags: flag::READONLY | flag::FAST,
        acl: "read set fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Set,
        since: "6.2.0",
        summary: "Returns the membership associated with the given elements for a set",
        complexity: "O(N) where N is the number of elements being checked for membership",
        syntax: "key member [member ...]",
        handler: smismember,
        ..BASE
    },
    Command {
        name: "scard",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read set fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO")],
        group: Group::Set,
        summary: "Get the number of members in a set",
        syntax: "key",
        handler: scard,
        ..BASE
    },
    Command {
        name: "spop",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write set fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access delete")],
        group: Group::Set,
        summary: "Remove and return one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        syntax: "key [count]{@3.2.0}",
        handler: spop,
        tips: "nondeterministic_output",
        history: &[("3.2.0", "Added the `count` argument.")],
        ..BASE
    },
    Command {
        name: "srandmember",
        arity: -2,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Set,
        summary: "Get one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        syntax: "key [count]{@2.6.0}",
        handler: srandmember,
        tips: "nondeterministic_output",
        history: &[("2.6.0", "Added the optional `count` argument.")],
        ..BASE
    },
    Command {
        name: "smove",
        arity: 4,
        flags: flag::WRITE | flag::FAST,
        acl: "write set fast",
        keys: KeySpec { first: 1, last: 2, step: 1 },
        key_specs: &[KeySpecDef::at(1, "RW access delete"), KeySpecDef::at(2, "RW insert")],
        group: Group::Set,
        summary: "Move a member from one set to another",
        syntax: "source destination member",
        handler: smove,
        ..BASE
    },
    Command {
        name: "sinter",
        arity: -2,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RO access")],
        group: Group::Set,
        summary: "Intersect multiple sets",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        syntax: "key [key ...]",
        handler: sinter,
        tips: "nondeterministic_output_order",
        ..BASE
    },
    Command {
        name: "sintercard",
        arity: -3,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RO access")],
        group: Group::Set,
        since: "7.0.0",
        summary: "Intersect multiple sets and return the cardinality of the result",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        syntax: "numkeys key [key ...] [LIMIT limit]",
        handler: sintercard,
        getkeys: Some(getkeys_sintercard),
        ..BASE
    },
    Command {
        name: "sunioncard",
        arity: -3,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RO access")],
        group: Group::Set,
        since: "8.10.0",
        summary: "Returns the number of members of the union of multiple sets.",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "numkeys key [key ...] [APPROX] [LIMIT limit]",
        handler: sunioncard,
        getkeys: Some(getkeys_sintercard),
        ..BASE
    },
    Command {
        name: "sdiffcard",
        arity: -3,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RO access")],
        group: Group::Set,
        since: "8.10.0",
        summary: "Returns the number of members of the difference between the first set and all successive sets.",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "numkeys key [key ...] [LIMIT limit]",
        handler: sdiffcard,
        getkeys: Some(getkeys_sintercard),
        ..BASE
    },
    Command {
        name: "sinterstore",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write set slow",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::at(1, "RW update"), KeySpecDef::range(2, -1, 1, "RO access")],
        group: Group::Set,
        summary: "Intersect multiple sets and store the resulting set in a key",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        syntax: "destination key [key ...]",
        handler: sinterstore,
        ..BASE
    },
    Command {
        name: "sunion",
        arity: -2,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RO access")],
        group: Group::Set,
        summary: "Add multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "key [key ...]",
        handler: sunion,
        tips: "nondeterministic_output_order",
        ..BASE
    },
    Command {
        name: "sunionstore",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write set slow",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::at(1, "OW update"), KeySpecDef::range(2, -1, 1, "RO access")],
        group: Group::Set,
        summary: "Add multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "destination key [key ...]",
        handler: sunionstore,
        ..BASE
    },
    Command {
        name: "sdiff",
        arity: -2,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RO access")],
        group: Group::Set,
        summary: "Subtract multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "key [key ...]",
        handler: sdiff,
        tips: "nondeterministic_output_order",
        ..BASE
    },
    Command {
        name: "sdiffstore",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write set slow",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::at(1, "OW update"), KeySpecDef::range(2, -1, 1, "RO access")],
        group: Group::Set,
        summary: "Subtract multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        syntax: "destination key [key ...]",
        handler: sdiffstore,
        ..BASE
    },
    Command {
        name: "sscan",
        arity: -3,
        flags: flag::READONLY,
        acl: "read set slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Set,
        since: "2.8.0",
        summary: "Incrementally iterate Set elements",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        syntax: "key cursor [MATCH pattern] [COUNT count]",
        handler: sscan,
        tips: "nondeterministic_output",
        ..BASE
    },
];

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared with the sorted-set and SORT families.

/// Most bytes a with-replacement random pick (SRANDMEMBER/ZRANDMEMBER/HRANDFIELD with a negative count) may reply
/// when no output limit watches the client. Its reply is not bounded by the data: Redis 7.0 builds it until the
/// client's output limit closes the client, or without a limit until it runs out of memory
/// (`SRANDMEMBER k -9223372036854775807` under the default `normal 0 0 0`). Here that reply is cut at 1 GiB and the
/// client closed as at an output limit, a deliberate divergence that keeps the allocation bounded.
pub(crate) const UNBOUNDED_REPLY_MAX_BYTES: usize = 1 << 30;

/// Writes one string element as a bulk string.
#[inline]
pub(crate) fn bulk_ref(r: &mut Reply, s: StrRef<'_>) {
    match s {
        StrRef::Int(n) => r.bulk_int(n),
        StrRef::Bytes(b) => r.bulk(b),
    }
}

/// The value stored at `key` without touching it (callers looked it up already).
#[inline]
pub(crate) fn peek_value<'a>(db: &'a Db, key: &[u8]) -> Option<&'a Value> {
    db.find(key).and_then(|e| e.value())
}

/// Options of SSCAN/HSCAN/ZSCAN after the cursor.
pub(crate) struct ScanOpts<'a> {
    pub count: usize,
    pub pattern: Option<&'a [u8]>,
    /// The command's own one-word option was given (HSCAN's NOVALUES, ZSCAN's NOSCORES).
    pub flag: bool,
}

/// Parses `[MATCH pattern] [COUNT count]` from `start` as Redis's `scanGenericCommand` does for a key's value
/// (TYPE is a syntax error there; a later MATCH or COUNT overrides an earlier one), with `flag` the one-word
/// option the command also takes anywhere among them (HSCAN's NOVALUES, Redis 7.4; ZSCAN's NOSCORES, Valkey 8.0).
pub(crate) fn parse_scan_opts<'a>(
    r: &mut Reply,
    args: Args<'a>,
    start: usize,
    flag: Option<&str>,
) -> Option<ScanOpts<'a>> {
    let mut o = ScanOpts { count: 10, pattern: None, flag: false };
    let mut i = start;
    while i < args.len() {
        if flag.is_some_and(|w| args.is(i, w)) {
            o.flag = true;
            i += 1;
            continue;
        }
        let two = args.len() - i >= 2;
        if args.is(i, "count") && two {
            let c = long_arg(r, args.get(i + 1), None)?;
            if c < 1 {
                r.err_syntax();
                return None;
            }
            o.count = usize::try_from(c).unwrap_or(usize::MAX);
        } else if args.is(i, "match") && two {
            let p = args.get(i + 1);
            o.pattern = if p == b"*" { None } else { Some(p) };
        } else {
            super::shared::scan_option_error(r, args.get(i));
            return None;
        }
        i += 2;
    }
    Some(o)
}

/// Whether a scanned element passes the MATCH filter.
#[inline]
pub(crate) fn scan_matches(o: &ScanOpts, s: StrRef<'_>) -> bool {
    match o.pattern {
        None => true,
        Some(p) => {
            let mut buf = [0u8; 24];
            glob_match(p, s.bytes(&mut buf), false)
        }
    }
}

/// The empty reply of a *SCAN on a missing key.
pub(crate) fn reply_empty_scan(r: &mut Reply) {
    r.array(2);
    r.bulk(b"0");
    r.array(0);
}

/// How many passes a hash-table scan step may make (Redis: `count * 10` dict buckets).
#[inline]
pub(crate) fn scan_budget(count: usize) -> usize {
    count.saturating_mul(10)
}

/// Key positions of `numkeys key [key ...]` commands: the keys declared by `numkeys` at `numkeys_idx`, plus
/// `store_idx` when given. Mirrors Redis: the key-spec path (store key first) when numkeys is a valid count that
/// fits; otherwise the legacy `atoi` path (store key last); nothing when the call would be rejected.
pub(crate) fn numkeys_positions(args: Args, numkeys_idx: usize, store_idx: Option<usize>) -> Vec<usize> {
    let argc = args.len();
    if numkeys_idx >= argc {
        return Vec::new();
    }
    let first = numkeys_idx + 1;
    let avail = argc.saturating_sub(first) as i64;
    let raw = args.get(numkeys_idx);
    if let Some(n) = parse_i64(raw) {
        if n >= 1 && n <= avail {
            let mut v: Vec<usize> = store_idx.into_iter().collect();
            v.extend(first..first + n as usize);
            return v;
        }
    }
    let n = crate::util::atoll(raw);
    if n < 1 || n > avail {
        return Vec::new();
    }
    let mut v: Vec<usize> = (first..first + n as usize).collect();
    v.extend(store_idx);
    v
}

fn getkeys_sintercard(args: Args) -> Vec<usize> {
    numkeys_positions(args, 1, None)
}

// ---------------------------------------------------------------------------------------------------------------
// Single-key commands.

/// The set at `key` for writing; `Err` after WRONGTYPE.
fn set_of(v: &Value) -> Option<&Set> {
    match v {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let th = ctx.settings().thresholds();
    // The set's length before and after is reported to `INFO keysizes` here (the lookup reads no size).
    let Ok((set, r, mut w)) = ctx.write_or_create_sized::<Set>(key, || Set::new_for(args.get(2))) else { return };
    let before = set.len();
    let mut added = 0i64;
    for m in args.iter().skip(2) {
        if set.add(m, &th) {
            added += 1;
        }
    }
    let after = set.len();
    r.int(added);
    ctx.door(&w).len_changed(ObjType::Set, before, after);
    ctx.settle(&mut w, added as u64);
    if added > 0 {
        ctx.notify(nc::SET, "sadd", key);
    }
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx, args: Args) {
    super::shared::remove_members::<Set>(ctx, args, Set::remove, Set::is_empty, nc::SET, "srem")
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx, args: Args) {
    let Ok((set, r)) = ctx.lookup_typed::<Set>(Access::READ, args.get(1)) else { return };
    r.int(set.is_some_and(|s| s.contains(args.get(2))) as i64);
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx, args: Args) {
    let Ok((set, r)) = ctx.lookup_typed::<Set>(Access::READ, args.get(1)) else { return };
    r.array(args.len() - 2);
    for m in args.iter().skip(2) {
        r.int(set.as_ref().is_some_and(|s| s.contains(m)) as i64);
    }
}

/// SCARD key
fn scard(ctx: &mut Ctx, args: Args) {
    let Ok((set, r)) = ctx.lookup_typed::<Set>(Access::READ, args.get(1)) else { return };
    r.int(set.map_or(0, |s| s.len()) as i64);
}

/// SMEMBERS key
fn smembers(ctx: &mut Ctx, args: Args) {
    let Ok((set, r)) = ctx.lookup_typed::<Set>(Access::READ, args.get(1)) else { return };
    match set {
        None => r.set(0),
        Some(s) => {
            // Redis answers SMEMBERS as SINTER of one set, with a deferred length (see `Reply::deferred_len`).
            r.deferred_len();
            r.set(s.len());
            for m in s.iter() {
                bulk_ref(r, m);
            }
        }
    }
}

/// SPOP key \[count\]
fn spop(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    if args.len() > 3 {
        ctx.reply().err_syntax();
        return;
    }
    if args.len() == 3 {
        let Some(count) = positive_long_arg(ctx.reply(), args.get(2), None) else { return };
        let Ok((set, r, w)) = ctx.write_typed::<Set>(key) else { return };
        if set.is_none() || count == 0 {
            r.set(0);
            return w.untouched();
        }
        let (Some(set), rng, r) = ctx.door(&w).typed_mut::<Set>() else { return w.untouched() };
        let whole = count as u64 >= set.len() as u64;
        let popped: Vec<Vec<u8>> = if whole {
            // Everything goes: Redis replies the whole set in its own order and deletes the key.
            let all: Vec<Vec<u8>> = set.iter().map(|m| m.to_vec()).collect();
            for m in &all {
                set.remove(m);
            }
            all
        } else {
            set.pop_random_many(count as usize, rng)
        };
        r.set(popped.len());
        for m in &popped {
            r.bulk(m);
        }
        removed_from(ctx, w, popped.len() as u64, nc::SET, "spop");
        // Replayed as a DEL of the whole set, or as SREMs of what was popped (batches of 1024), as Redis.
        if whole {
            ctx.propagation().rewrite(&[b"DEL".as_slice(), key]);
        } else if ctx.propagation().enabled() {
            for chunk in popped.chunks(1024) {
                let mut argv: Vec<&[u8]> = vec![b"SREM", key];
                argv.extend(chunk.iter().map(|m| m.as_slice()));
                ctx.propagation().also(&argv);
            }
            ctx.propagation().prevent();
        }
        return;
    }
    let Ok((set, r, w)) = ctx.write_typed::<Set>(key) else { return };
    if set.is_none() {
        r.null();
        return;
    }
    let (Some(set), rng, r) = ctx.door(&w).typed_mut::<Set>() else { return w.untouched() };
    let popped = set.pop_random(rng);
    match &popped {
        Some(m) => r.bulk(m),
        None => r.null(),
    }
    removed_from(ctx, w, 1, nc::SET, "spop");
    if let Some(m) = popped {
        ctx.propagation().rewrite(&[b"SREM".as_slice(), key, &m]);
    }
}

/// SRANDMEMBER key \[count\]
fn srandmember(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    if args.len() > 3 {
        ctx.reply().err_syntax();
        return;
    }
    if args.len() == 2 {
        let Ok((set, r)) = ctx.lookup_typed::<Set>(Access::READ, key) else { return };
        if set.is_none() {
            r.null();
            return;
        }
        let Ok((Some(set), r, rng)) = ctx.lookup_rng::<Set>(Access::HELD, key) else { return };
        match set.random(rng) {
            Some(m) => bulk_ref(r, m),
            None => r.null(),
        }
        return;
    }
    let Some(l) = range_long_arg(ctx.reply(), args.get(2), -i64::MAX, i64::MAX, None) else { return };
    let (count, uniq) = if l >= 0 { (l as u64, true) } else { (l.unsigned_abs(), false) };
    let Ok((set, r)) = ctx.lookup_typed::<Set>(Access::READ, key) else { return };
    if set.is_none() || count == 0 {
        r.array(0);
        return;
    }
    let Ok((Some(set), r, rng)) = ctx.lookup_rng::<Set>(Access::HELD, key) else { return };
    if !uniq || count == 1 {
        // Redis's loop stops once the client is flagged for closing (its output limit).
        r.cap_unbounded(UNBOUNDED_REPLY_MAX_BYTES);
        r.array(count as usize);
        set.random_with_replacement(count as usize, rng, |m| {
            bulk_ref(r, m);
            !r.is_cut()
        });
        return;
    }
    if count >= set.len() as u64 {
        r.array(set.len());
        for m in set.iter() {
            bulk_ref(r, m);
        }
        return;
    }
    let picked = set.random_distinct(count as usize, rng);
    r.array(picked.len());
    for m in picked {
        bulk_ref(r, m);
    }
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx, args: Args) {
    let (src, dst, member) = (args.get(1), args.get(2), args.get(3));
    let Ok(src_exists) = ctx.lookup_typed::<Set>(Access::WRITE, src).map(|(v, _)| v.is_some()) else { return };
    // Redis looks both keys up before checking types, but a missing source answers 0 first.
    let dst_kind = ctx.lookup(Access::WRITE, dst).0.map(|e| matches!(e.value(), Some(Value::Set(_))));
    if !src_exists {
        ctx.reply().int(0);
        return;
    }
    if dst_kind == Some(false) {
        ctx.reply().err_wrongtype();
        return;
    }
    if src == dst {
        let is = ctx
            .lookup(Access::QUIET, src)
            .0
            .and_then(|e| e.value())
            .and_then(set_of)
            .is_some_and(|s| s.contains(member));
        ctx.reply().int(is as i64);
        return;
    }
    let from = match ctx.write_typed::<Set>(src) {
        Ok((Some(s), _, w)) => {
            if s.remove(member) {
                Some(w)
            } else {
                w.untouched();
                None
            }
        }
        _ => None,
    };
    let Some(from) = from else {
        ctx.reply().int(0);
        return;
    };
    removed_from(ctx, from, 1, nc::SET, "srem");
    let th = ctx.settings().thresholds();
    let Ok((d, r, mut to)) = ctx.write_or_create::<Set>(dst, || Set::new_for(member)) else { return };
    let added = d.add(member, &th);
    r.int(1);
    // The destination only counts as changed when it gained the member.
    ctx.settle(&mut to, added as u64);
    if added {
        ctx.notify(nc::SET, "sadd", dst);
    }
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx, args: Args) {
    let Some(cursor) = super::keys::parse_cursor(args.get(2)) else {
        ctx.reply().error("ERR invalid cursor");
        return;
    };
    let Ok((set, r)) = ctx.lookup_typed::<Set>(Access::READ, args.get(1)) else { return };
    let Some(set) = set else {
        reply_empty_scan(r);
        return;
    };
    let Some(o) = parse_scan_opts(r, args, 3, None) else { return };
    let mut out: Vec<Vec<u8>> = Vec::new();
    let next = set.scan(cursor, o.count, scan_budget(o.count), |m| {
        let keep = scan_matches(&o, m);
        if keep {
            out.push(m.to_vec());
        }
        keep
    });
    r.array(2);
    r.bulk(next.to_string().as_bytes());
    r.array(out.len());
    for m in &out {
        r.bulk(m);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The algebra.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Looks every key up (write semantics when storing), replying WRONGTYPE when one holds another type. Returns
/// whether each key exists.
fn lookup_sets(ctx: &mut Ctx, keys: &[&[u8]], write: bool) -> Option<Vec<bool>> {
    let mut found = Vec::with_capacity(keys.len());
    for k in keys {
        let res = if write {
            ctx.lookup_typed::<Set>(Access::WRITE, k).map(|(v, _)| v.is_some())
        } else {
            ctx.lookup_typed::<Set>(Access::READ, k).map(|(s, _)| s.is_some())
        };
        match res {
            Ok(exists) => found.push(exists),
            Err(_) => return None,
        }
    }
    Some(found)
}

/// Members of a computed result, stored back to back in one buffer: an intersection of two 10k-member sets
/// then costs two growing vectors instead of one allocation per member.
#[derive(Default)]
struct Members {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Members {
    fn push(&mut self, m: &[u8]) {
        self.bytes.extend_from_slice(m);
        self.ends.push(self.bytes.len());
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter()).map(|(a, &b)| &self.bytes[a..b])
    }
}

/// The members of the intersection of sets that were just looked up, in the smallest input's order (SINTER's
/// reply order). `limit` caps the count (0 = no cap).
fn inter_members(db: &Db, keys: &[&[u8]], limit: usize) -> Members {
    let mut out = Members::default();
    let Some(mut sets) = keys.iter().map(|k| peek_value(db, k).and_then(set_of)).collect::<Option<Vec<&Set>>>() else {
        return out;
    };
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else { return out };
    let mut buf = [0u8; 24];
    for m in first.iter() {
        let b = m.bytes(&mut buf);
        if rest.iter().all(|s| s.contains(b)) {
            out.push(b);
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// The members of the first set that were just looked up that none of the others holds, in its order.
fn diff_members(db: &Db, keys: &[&[u8]]) -> Members {
    let mut out = Members::default();
    let sets: Vec<Option<&Set>> = keys.iter().map(|k| peek_value(db, k).and_then(set_of)).collect();
    let Some(Some(first)) = sets.first() else { return out };
    let mut buf = [0u8; 24];
    for m in first.iter() {
        let b = m.bytes(&mut buf);
        if !sets[1..].iter().flatten().any(|s| s.contains(b)) {
            out.push(b);
        }
    }
    out
}

/// Builds a result set as Redis's SADD would (an intset that converts on a non-integer or past the limit). `hint`
/// is how many members the result will have at least: once the set has converted to a hash table, the table is
/// sized for them at once instead of growing step by step.
struct SetBuilder<'t> {
    set: Set,
    hint: usize,
    sized: bool,
    th: &'t crate::keyspace::types::Thresholds,
}

impl<'t> SetBuilder<'t> {
    fn new(hint: usize, th: &'t crate::keyspace::types::Thresholds) -> Self {
        SetBuilder { set: Set::new_intset(), hint, sized: false, th }
    }

    fn add(&mut self, m: &[u8]) {
        self.set.add(m, self.th);
        if !self.sized {
            if let Set::HashTable(d) = &mut self.set {
                d.reserve(self.hint.saturating_sub(d.len()));
                self.sized = true;
            }
        }
    }
}

/// The set a SINTER/SDIFF result makes.
fn build_set(members: &Members, th: &crate::keyspace::types::Thresholds) -> Set {
    let mut b = SetBuilder::new(members.len(), th);
    for m in members.iter() {
        b.add(m);
    }
    b.set
}

/// The union of sets that were just looked up, built as the result set: each input's members go straight into
/// it (the set's own probe tells a new member from a repeated one), with the largest input's size reserved.
fn union_set(db: &Db, keys: &[&[u8]], th: &crate::keyspace::types::Thresholds) -> Set {
    let sets: Vec<&Set> = keys.iter().filter_map(|k| peek_value(db, k).and_then(set_of)).collect();
    let mut b = SetBuilder::new(sets.iter().map(|s| s.len()).max().unwrap_or(0), th);
    let mut buf = [0u8; 24];
    for s in &sets {
        for m in s.iter() {
            b.add(m.bytes(&mut buf));
        }
    }
    b.set
}

fn algebra(ctx: &mut Ctx, keys: &[&[u8]], dst: Option<&[u8]>, op: Op) {
    if lookup_sets(ctx, keys, dst.is_some()).is_none() {
        return;
    }
    if dst.is_none() && op == Op::Inter {
        // SINTER replies in the smallest input's order, without building a set.
        let members = inter_members(ctx.db(), keys, 0);
        let r = ctx.reply();
        if members.len() != 0 {
            r.deferred_len();
        }
        r.set(members.len());
        for m in members.iter() {
            r.bulk(m);
        }
        return;
    }
    let th = ctx.settings().thresholds();
    let db = ctx.db();
    let s = match op {
        Op::Union => union_set(db, keys, &th),
        Op::Inter => build_set(&inter_members(db, keys, 0), &th),
        Op::Diff => build_set(&diff_members(db, keys), &th),
    };
    match dst {
        None => {
            // SUNION/SDIFF reply by iterating the result set they build.
            let r = ctx.reply();
            r.set(s.len());
            for m in s.iter() {
                bulk_ref(r, m);
            }
        }
        Some(dst) => {
            let n = s.len();
            if n > 0 {
                let event = match op {
                    Op::Inter => "sinterstore",
                    Op::Union => "sunionstore",
                    Op::Diff => "sdiffstore",
                };
                store_value(ctx, dst, Value::Set(s), nc::SET, event);
            } else {
                delete_key(ctx, dst);
            }
            ctx.reply().int(n as i64);
        }
    }
}

/// The six algebra commands' arguments: `[destination] key [key ...]`, the destination first when `store`.
fn algebra_args(ctx: &mut Ctx, args: Args, store: bool, op: Op) {
    let first = if store { 2 } else { 1 };
    let keys: Vec<&[u8]> = args.iter().skip(first).collect();
    algebra(ctx, &keys, store.then(|| args.get(1)), op);
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx, args: Args) {
    algebra_args(ctx, args, false, Op::Inter)
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx, args: Args) {
    algebra_args(ctx, args, true, Op::Inter)
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx, args: Args) {
    algebra_args(ctx, args, false, Op::Union)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx, args: Args) {
    algebra_args(ctx, args, true, Op::Union)
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx, args: Args) {
    algebra_args(ctx, args, false, Op::Diff)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx, args: Args) {
    algebra_args(ctx, args, true, Op::Diff)
}

/// The arguments of SINTERCARD, SUNIONCARD and SDIFFCARD: `numkeys key [key ...]`, then LIMIT (and APPROX when
/// `approx_ok`, SUNIONCARD's), with SINTERCARD's errors. The keys, the limit (0: none) and APPROX; None once an
/// error was replied.
fn card_args<'a>(ctx: &mut Ctx, args: Args<'a>, approx_ok: bool) -> Option<(Vec<&'a [u8]>, usize, bool)> {
    let msg = "ERR numkeys should be greater than 0";
    let numkeys = range_long_arg(ctx.reply(), args.get(1), 1, i64::MAX, Some(msg))?;
    if numkeys > (args.len() - 2) as i64 {
        ctx.reply().error("ERR Number of keys can't be greater than number of args");
        return None;
    }
    let numkeys = numkeys as usize;
    let (mut limit, mut approx) = (0i64, false);
    let mut i = 2 + numkeys;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args.is(i, "limit") && more > 0 {
            i += 1;
            limit = positive_long_arg(ctx.reply(), args.get(i), Some("ERR LIMIT can't be negative"))?;
        } else if approx_ok && args.is(i, "approx") {
            approx = true;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        i += 1;
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| args.get(i)).collect();
    lookup_sets(ctx, &keys, false)?;
    Some((keys, usize::try_from(limit).unwrap_or(usize::MAX), approx))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx, args: Args) {
    let Some((keys, limit, _)) = card_args(ctx, args, false) else { return };
    let n = inter_members(ctx.db(), &keys, limit).len();
    ctx.reply().int(n as i64);
}

/// The sets of keys that were just looked up (missing keys left out).
fn looked_up_sets<'d>(db: &'d Db, keys: &[&[u8]]) -> Vec<&'d Set> {
    keys.iter().filter_map(|k| peek_value(db, k).and_then(set_of)).collect()
}

/// SUNIONCARD numkeys key [key ...] \[APPROX\] [LIMIT limit] (Redis 8.10): the union's size, counted exactly
/// without building the union set, or estimated with a HyperLogLog's registers (Redis's hash and estimator, as
/// PFCOUNT) under APPROX; LIMIT caps either.
fn sunioncard(ctx: &mut Ctx, args: Args) {
    let Some((keys, limit, approx)) = card_args(ctx, args, true) else { return };
    let mut sets = looked_up_sets(ctx.db(), &keys);
    let cap = if limit == 0 { usize::MAX } else { limit };
    let mut buf = [0u8; 24];
    let n = if approx {
        let mut regs = [0u8; crate::keyspace::types::hll::REGISTERS];
        for s in &sets {
            for m in s.iter() {
                let (i, v) = crate::keyspace::types::hll::pat_len(m.bytes(&mut buf));
                regs[i] = regs[i].max(v);
            }
        }
        (crate::keyspace::types::hll::count_registers(&regs) as usize).min(cap)
    } else {
        // The largest input counts whole; the others add the members it and the earlier ones lack.
        sets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let Some((first, rest)) = sets.split_first() else {
            ctx.reply().int(0);
            return;
        };
        let mut n = first.len();
        let mut seen: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
        'count: for s in rest {
            for m in s.iter() {
                if n >= cap {
                    break 'count;
                }
                let b = m.bytes(&mut buf);
                if !first.contains(b) && !seen.contains(b) {
                    seen.insert(b.to_vec());
                    n += 1;
                }
            }
        }
        n.min(cap)
    };
    ctx.reply().int(n as i64);
}

/// SDIFFCARD numkeys key [key ...] [LIMIT limit] (Redis 8.10): how many members of the first set none of the others
/// holds, counting stopped at LIMIT.
fn sdiffcard(ctx: &mut Ctx, args: Args) {
    let Some((keys, limit, _)) = card_args(ctx, args, false) else { return };
    let db = ctx.db();
    let first = peek_value(db, keys[0]).and_then(set_of);
    let rest = looked_up_sets(db, &keys[1..]);
    let mut n = 0usize;
    let mut buf = [0u8; 24];
    if let Some(first) = first {
        for m in first.iter() {
            let b = m.bytes(&mut buf);
            if !rest.iter().any(|s| s.contains(b)) {
                n += 1;
                if n == limit {
                    break;
                }
            }
        }
    }
    ctx.reply().int(n as i64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::Harness;
    use crate::command::OwnedArgs;

    /// Sorted bulk strings of a flat array reply (set replies have no order).
    fn members(reply: &str) -> Vec<String> {
        let mut v: Vec<String> =
            reply.split("\r\n").skip(1).filter(|l| !l.starts_with('$') && !l.is_empty()).map(String::from).collect();
        v.sort();
        v
    }

    #[test]
    fn add_remove_and_membership() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["sadd", "s", "a", "b", "c"]), ":3\r\n");
        assert_eq!(h.run(&["sadd", "s", "a", "d"]), ":1\r\n");
        assert_eq!(h.run(&["scard", "s"]), ":4\r\n");
        assert_eq!(h.run(&["sismember", "s", "a"]), ":1\r\n");
        assert_eq!(h.run(&["sismember", "s", "z"]), ":0\r\n");
        assert_eq!(h.run(&["smismember", "s", "a", "z"]), "*2\r\n:1\r\n:0\r\n");
        assert_eq!(h.run(&["smismember", "nokey", "a"]), "*1\r\n:0\r\n");
        assert_eq!(members(&h.run(&["smembers", "s"])), vec!["a", "b", "c", "d"]);
        assert_eq!(h.run(&["srem", "s", "a", "z"]), ":1\r\n");
        assert_eq!(h.run(&["srem", "nokey", "a"]), ":0\r\n");
        assert_eq!(h.run(&["srem", "s", "b", "c", "d"]), ":3\r\n");
        assert_eq!(h.run(&["exists", "s"]), ":0\r\n");
        assert_eq!(h.run(&["smembers", "s"]), "*0\r\n");
        h.run(&["set", "str", "v"]);
        let wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        for cmd in [&["sadd", "str", "a"][..], &["scard", "str"], &["smembers", "str"], &["sinter", "nokey", "str"]] {
            assert_eq!(h.run(cmd), wt, "{cmd:?}");
        }
    }

    #[test]
    fn encodings_follow_the_intset_limit() {
        let mut h = Harness::new();
        h.srv.config.set_max_intset_entries = 3;
        h.run(&["sadd", "n", "1", "2", "3"]);
        assert_eq!(h.run(&["object", "encoding", "n"]), "$6\r\nintset\r\n");
        h.run(&["sadd", "n", "4"]);
        assert_eq!(h.run(&["object", "encoding", "n"]), "$9\r\nhashtable\r\n");
        h.run(&["sadd", "m", "1", "x"]);
        assert_eq!(h.run(&["object", "encoding", "m"]), "$9\r\nhashtable\r\n");
        // A stored result is rebuilt from an intset, like Redis.
        h.run(&["sadd", "a", "1", "x"]);
        h.run(&["sinterstore", "d", "m", "a"]);
        assert_eq!(h.run(&["object", "encoding", "d"]), "$9\r\nhashtable\r\n");
        h.run(&["srem", "a", "x"]);
        h.run(&["sinterstore", "d", "m", "a"]);
        assert_eq!(h.run(&["object", "encoding", "d"]), "$6\r\nintset\r\n");
    }

    #[test]
    fn algebra_and_store() {
        let mut h = Harness::new();
        h.run(&["sadd", "s", "a", "b", "c"]);
        h.run(&["sadd", "t", "c", "d", "e"]);
        assert_eq!(members(&h.run(&["sinter", "s", "t"])), vec!["c"]);
        assert_eq!(members(&h.run(&["sunion", "s", "t"])), vec!["a", "b", "c", "d", "e"]);
        assert_eq!(members(&h.run(&["sdiff", "s", "t"])), vec!["a", "b"]);
        assert_eq!(h.run(&["sinter", "s", "nokey"]), "*0\r\n");
        assert_eq!(h.run(&["sdiff", "nokey", "s"]), "*0\r\n");
        assert_eq!(h.run(&["sunionstore", "d", "s", "t"]), ":5\r\n");
        h.run(&["expire", "d", "100"]);
        assert_eq!(h.run(&["sdiffstore", "d", "s", "t"]), ":2\r\n");
        assert_eq!(h.run(&["ttl", "d"]), ":-1\r\n");
        assert_eq!(h.run(&["sinterstore", "d", "s", "nokey"]), ":0\r\n");
        assert_eq!(h.run(&["exists", "d"]), ":0\r\n");
        h.run(&["set", "str", "v"]);
        assert_eq!(h.run(&["sunionstore", "str", "s"]), ":3\r\n");
        assert_eq!(h.run(&["type", "str"]), "+set\r\n");
        assert_eq!(h.run(&["sintercard", "2", "s", "t"]), ":1\r\n");
        assert_eq!(h.run(&["sintercard", "1", "s", "limit", "2"]), ":2\r\n");
        assert_eq!(h.run(&["sintercard", "1", "s", "limit", "0"]), ":3\r\n");
        assert_eq!(h.run(&["sintercard", "0", "s"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["sintercard", "x", "s"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["sintercard", "3", "s"]), "-ERR Number of keys can't be greater than number of args\r\n");
        assert_eq!(h.run(&["sintercard", "1", "s", "limit", "-1"]), "-ERR LIMIT can't be negative\r\n");
        assert_eq!(h.run(&["sintercard", "1", "s", "limit"]), "-ERR syntax error\r\n");
        // Redis 8.10's SUNIONCARD / SDIFFCARD parse as SINTERCARD (APPROX is SUNIONCARD's alone).
        h.run(&["sadd", "u", "1", "2", "3", "x"]);
        assert_eq!(h.run(&["sunioncard", "3", "s", "t", "nokey"]), ":5\r\n");
        assert_eq!(h.run(&["sunioncard", "1", "nokey"]), ":0\r\n");
        assert_eq!(h.run(&["sunioncard", "2", "s", "u", "limit", "2"]), ":2\r\n");
        assert_eq!(h.run(&["sunioncard", "2", "u", "u", "approx"]), ":4\r\n");
        assert_eq!(h.run(&["sunioncard", "0", "s"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["sunioncard", "1", "s", "limit", "-1"]), "-ERR LIMIT can't be negative\r\n");
        assert_eq!(h.run(&["sdiffcard", "1", "s", "approx"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["sdiffcard", "2", "u", "s", "limit", "0"]), ":4\r\n");
        assert_eq!(h.run(&["sdiffcard", "2", "nokey", "s"]), ":0\r\n");
        assert_eq!(h.run(&["sdiffcard", "3", "u", "u", "s"]), ":0\r\n");
        assert_eq!(h.run(&["sdiffcard", "2", "u", "nokey", "limit", "3"]), ":3\r\n");
        h.run(&["set", "plain", "v"]);
        let wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        assert_eq!(h.run(&["sunioncard", "2", "nokey", "plain"]), wt);
        assert_eq!(h.run(&["sdiffcard", "2", "s", "plain"]), wt);
    }

    #[test]
    fn resp3_set_replies() {
        let mut h = Harness::new();
        h.client.reply.proto = crate::resp::reply::Proto::Resp3;
        h.run(&["sadd", "s", "1", "2"]);
        assert_eq!(h.run(&["smembers", "s"]), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(h.run(&["sunion", "s", "nokey"]), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(h.run(&["srandmember", "s", "5"]), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(h.run(&["spop", "s", "5"]), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(h.run(&["spop", "s", "0"]), "~0\r\n");
        assert_eq!(h.run(&["spop", "s"]), "_\r\n");
    }

    #[test]
    fn random_members_and_pops() {
        let mut h = Harness::new();
        for i in 0..50 {
            h.run(&["sadd", "s", &format!("m{i}")]);
        }
        let r = h.run(&["srandmember", "s", "10"]);
        assert!(r.starts_with("*10\r\n"));
        let mut got = members(&r);
        got.dedup();
        assert_eq!(got.len(), 10);
        assert!(h.run(&["srandmember", "s", "-100"]).starts_with("*100\r\n"));
        assert!(h.run(&["srandmember", "s", "100"]).starts_with("*50\r\n"));
        assert_eq!(h.run(&["srandmember", "s", "0"]), "*0\r\n");
        assert_eq!(h.run(&["srandmember", "nokey", "-3"]), "*0\r\n");
        assert_eq!(h.run(&["srandmember", "nokey"]), "$-1\r\n");
        assert_eq!(
            h.run(&["srandmember", "s", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        // Redis streams 2^63 elements until the output limit closes the client: the reply is cut there.
        h.client.reply.watch_limit(1 << 20);
        let r = h.run(&["srandmember", "s", "-9223372036854775807"]);
        assert!(r.starts_with("*9223372036854775807\r\n$") && r.len() < (1 << 20) + (32 << 10), "{}", r.len());
        assert!(h.client.reply.is_cut());
        h.client.reply.clear_cut();
        assert_eq!(h.run(&["srandmember", "s", "1", "2"]), "-ERR syntax error\r\n");
        assert!(h.run(&["spop", "s", "20"]).starts_with("*20\r\n"));
        assert_eq!(h.run(&["scard", "s"]), ":30\r\n");
        assert!(h.run(&["spop", "s"]).starts_with("$"));
        assert_eq!(h.run(&["spop", "s", "-1"]), "-ERR value is out of range, must be positive\r\n");
        assert!(h.run(&["spop", "s", "9223372036854775807"]).starts_with("*29\r\n"));
        assert_eq!(h.run(&["exists", "s"]), ":0\r\n");
        assert_eq!(h.run(&["spop", "s"]), "$-1\r\n");
    }

    #[test]
    fn smove_cases() {
        let mut h = Harness::new();
        h.run(&["sadd", "a", "x", "y"]);
        assert_eq!(h.run(&["smove", "a", "b", "x"]), ":1\r\n");
        assert_eq!(h.run(&["smove", "a", "b", "nope"]), ":0\r\n");
        assert_eq!(h.run(&["smove", "a", "a", "y"]), ":1\r\n");
        assert_eq!(h.run(&["smove", "nokey", "b", "x"]), ":0\r\n");
        h.run(&["set", "str", "v"]);
        assert_eq!(h.run(&["smove", "nokey", "str", "x"]), ":0\r\n");
        assert!(h.run(&["smove", "a", "str", "y"]).starts_with("-WRONGTYPE"));
        assert_eq!(h.run(&["smove", "a", "b", "y"]), ":1\r\n");
        assert_eq!(h.run(&["exists", "a"]), ":0\r\n");
        assert_eq!(h.run(&["scard", "b"]), ":2\r\n");
    }

    #[test]
    fn sscan_walks_everything() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["sscan", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(h.run(&["sscan", "nokey", "x"]), "-ERR invalid cursor\r\n");
        h.run(&["sadd", "i", "1", "2", "3"]);
        assert_eq!(h.run(&["sscan", "i", "0", "match", "2*"]), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n2\r\n");
        assert_eq!(h.run(&["sscan", "i", "0", "count", "0"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["sscan", "i", "0", "type", "set"]), "-ERR syntax error\r\n");
        for i in 0..300 {
            h.run(&["sadd", "big", &format!("m{i}")]);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        loop {
            let a = OwnedArgs::from_slices(&["sscan", "big", cursor.as_str(), "count", "7"]);
            let r = h.run_args(&a);
            let lines: Vec<&str> = r.split("\r\n").collect();
            cursor = lines[2].to_string();
            for l in lines[4..].iter().filter(|l| l.starts_with('m')) {
                seen.insert(l.to_string());
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 300);
    }

    #[test]
    fn numkeys_key_positions() {
        let a = OwnedArgs::from_slices(&["zunionstore", "d", "2", "a", "b"]);
        assert_eq!(numkeys_positions(a.args(), 2, Some(1)), vec![1, 3, 4]);
        let a = OwnedArgs::from_slices(&["zunionstore", "d", "2abc", "a", "b"]);
        assert_eq!(numkeys_positions(a.args(), 2, Some(1)), vec![3, 4, 1]);
        let a = OwnedArgs::from_slices(&["zunion", "3", "a", "b"]);
        assert!(numkeys_positions(a.args(), 1, None).is_empty());
        let a = OwnedArgs::from_slices(&["zunion", "-1", "a"]);
        assert!(numkeys_positions(a.args(), 1, None).is_empty());
        assert_eq!(crate::util::atoll(b"  -12x"), -12);
        assert_eq!(crate::util::atoll(b"99999999999999999999999"), i64::MAX);
    }
}
