//! Hash commands (Redis `t_hash.c`): field reads and writes, counters (integer and long double), whole-hash
//! reads, HRANDFIELD and HSCAN.
//!
//! Checks run in Redis's order so the first failing one decides the error. A hash emptied by HDEL is deleted.
//! HINCRBYFLOAT computes in x87 extended precision ([`super::longdouble::F80`]) and stores Redis's human format.

use super::longdouble::F80;
use super::{flag, Args, Command, Ctx, Group, BASE, ONE_KEY};
use crate::object::StrRef;
use crate::resp::reply::Reply;
use crate::types::hash::Hash;
use crate::util::parse_i64;

const HASH: Command = Command { group: Group::Hash, keys: ONE_KEY, since: "2.0.0", ..BASE };

/// The largest |count| HRANDFIELD accepts with repetitions. Redis has no limit of its own without WITHVALUES (and
/// LONG_MAX/2 with it) and would build an endless reply; this bound keeps the reply buffer finite.
const RANDFIELD_MAX_REPEATS: i64 = 1 << 27;

pub static COMMANDS: &[Command] = &[
    Command {
        name: "hset",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        summary: "Set the string value of a hash field",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        syntax: "key field value [field value ...]",
        handler: hset,
        key_flags: "RW update",
        history: &[("4.0.0", "Accepts multiple `field` and `value` arguments.")],
        ..HASH
    },
    Command {
        name: "hsetnx",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        summary: "Set the value of a hash field, only if the field does not exist",
        syntax: "key field value",
        handler: hsetnx,
        key_flags: "RW insert",
        ..HASH
    },
    Command {
        name: "hget",
        arity: 3,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        summary: "Get the value of a hash field",
        syntax: "key field",
        handler: hget,
        ..HASH
    },
    Command {
        name: "hmget",
        arity: -3,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        summary: "Get the values of all the given hash fields",
        complexity: "O(N) where N is the number of fields being requested.",
        syntax: "key field [field ...]",
        handler: hmget,
        ..HASH
    },
    Command {
        name: "hmset",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        summary: "Set multiple hash fields to multiple values",
        complexity: "O(N) where N is the number of fields being set.",
        syntax: "key field value [field value ...]",
        handler: hmset,
        key_flags: "RW update",
        ..HASH
    },
    Command {
        name: "hdel",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "write hash fast",
        summary: "Delete one or more hash fields",
        complexity: "O(N) where N is the number of fields to be removed.",
        syntax: "key field [field ...]",
        handler: hdel,
        key_flags: "RW delete",
        history: &[("2.4.0", "Accepts multiple `field` arguments.")],
        ..HASH
    },
    Command {
        name: "hlen",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        summary: "Get the number of fields in a hash",
        syntax: "key",
        handler: hlen,
        key_flags: "RO",
        ..HASH
    },
    Command {
        name: "hstrlen",
        arity: 3,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        since: "3.2.0",
        summary: "Get the length of the value of a hash field",
        syntax: "key field",
        handler: hstrlen,
        key_flags: "RO",
        ..HASH
    },
    Command {
        name: "hexists",
        arity: 3,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        summary: "Determine if a hash field exists",
        syntax: "key field",
        handler: hexists,
        key_flags: "RO",
        ..HASH
    },
    Command {
        name: "hgetall",
        arity: 2,
        flags: flag::READONLY,
        acl: "read hash slow",
        summary: "Get all the fields and values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        syntax: "key",
        handler: hgetall,
        tips: "nondeterministic_output_order",
        ..HASH
    },
    Command {
        name: "hkeys",
        arity: 2,
        flags: flag::READONLY,
        acl: "read hash slow",
        summary: "Get all the fields in a hash",
        complexity: "O(N) where N is the size of the hash.",
        syntax: "key",
        handler: hkeys,
        tips: "nondeterministic_output_order",
        ..HASH
    },
    Command {
        name: "hvals",
        arity: 2,
        flags: flag::READONLY,
        acl: "read hash slow",
        summary: "Get all the values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        syntax: "key",
        handler: hvals,
        tips: "nondeterministic_output_order",
        ..HASH
    },
    Command {
        name: "hincrby",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        summary: "Increment the integer value of a hash field by the given number",
        syntax: "key field increment",
        handler: hincrby,
        key_flags: "RW access update",
        ..HASH
    },
    Command {
        name: "hincrbyfloat",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        since: "2.6.0",
        summary: "Increment the float value of a hash field by the given amount",
        syntax: "key field increment",
        handler: hincrbyfloat,
        key_flags: "RW access update",
        ..HASH
    },
    Command {
        name: "hrandfield",
        arity: -2,
        flags: flag::READONLY,
        acl: "read hash slow",
        since: "6.2.0",
        summary: "Get one or multiple random fields from a hash",
        complexity: "O(N) where N is the number of fields returned",
        syntax: "key [count [WITHVALUES]]",
        handler: hrandfield,
        tips: "nondeterministic_output",
        ..HASH
    },
    Command {
        name: "hscan",
        arity: -3,
        flags: flag::READONLY,
        acl: "read hash slow",
        since: "2.8.0",
        summary: "Incrementally iterate hash fields and associated values",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        syntax: "key cursor [MATCH pattern] [COUNT count]",
        handler: hscan,
        tips: "nondeterministic_output",
        ..HASH
    },
];

#[inline]
fn reply_str(r: &mut Reply, s: StrRef<'_>) {
    super::list::reply_elem(r, s);
}

// ---- writes ----------------------------------------------------------------------------------------------------

/// HSET key field value [field value ...]
fn hset(ctx: &mut Ctx, args: Args) {
    hset_generic(ctx, args, false);
}

/// HMSET key field value [field value ...]
fn hmset(ctx: &mut Ctx, args: Args) {
    hset_generic(ctx, args, true);
}

fn hset_generic(ctx: &mut Ctx, args: Args, ok_reply: bool) {
    if args.len() % 2 == 1 {
        let name = if ok_reply { "hmset" } else { "hset" };
        ctx.reply().err_arity(name);
        return;
    }
    let key = args.get(1);
    let th = ctx.thresholds();
    let Ok((h, r)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    h.convert_for_args(args.iter().skip(2), &th);
    let mut created = 0;
    let mut i = 2;
    while i + 1 < args.len() {
        if h.set(args.get(i), args.get(i + 1), &th) {
            created += 1;
        }
        i += 2;
    }
    if ok_reply {
        r.ok();
    } else {
        r.int(created);
    }
    ctx.key_modified(key);
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let th = ctx.thresholds();
    let Ok((h, r)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    h.convert_for_args([args.get(2), args.get(3)], &th);
    if h.contains(args.get(2)) {
        r.int(0);
        return;
    }
    h.set(args.get(2), args.get(3), &th);
    r.int(1);
    ctx.key_modified(key);
}

/// HDEL key field [field ...]
fn hdel(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let (h, r) = match ctx.write_typed::<Hash>(key) {
        Err(_) => return,
        Ok((None, r)) => {
            r.int(0);
            return;
        }
        Ok((Some(h), r)) => (h, r),
    };
    let mut deleted = 0;
    for f in args.iter().skip(2) {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    r.int(deleted);
    if deleted > 0 {
        ctx.delete_if_empty(key);
        ctx.key_modified(key);
    }
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx, args: Args) {
    let Some(incr) = parse_i64(args.get(3)) else {
        ctx.reply().err_not_int();
        return;
    };
    let key = args.get(1);
    let field = args.get(2);
    let th = ctx.thresholds();
    let Ok((h, r)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    let cur = match h.get(field) {
        None => 0,
        Some(v) => match v.as_i64() {
            Some(n) => n,
            None => {
                r.error("ERR hash value is not an integer");
                return;
            }
        },
    };
    let Some(sum) = cur.checked_add(incr) else {
        r.error("ERR increment or decrement would overflow");
        return;
    };
    h.set_int(field, sum, &th);
    r.int(sum);
    ctx.key_modified(key);
}

/// HINCRBYFLOAT key field increment
fn hincrbyfloat(ctx: &mut Ctx, args: Args) {
    let Some(incr) = F80::parse(args.get(3)) else {
        ctx.reply().error("ERR value is not a valid float");
        return;
    };
    if !incr.is_finite() {
        ctx.reply().error("ERR value is NaN or Infinity");
        return;
    }
    let key = args.get(1);
    let field = args.get(2);
    let th = ctx.thresholds();
    let Ok((h, r)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    let cur = match h.get(field) {
        None => F80::ZERO,
        Some(v) => {
            let mut buf = [0u8; 24];
            match F80::parse(v.bytes(&mut buf)) {
                Some(x) => x,
                None => {
                    r.error("ERR hash value is not a float");
                    return;
                }
            }
        }
    };
    let sum = cur.plus(incr);
    if !sum.is_finite() {
        r.error("ERR increment would produce NaN or Infinity");
        return;
    }
    let text = sum.to_human_string();
    h.set(field, &text, &th);
    r.bulk(&text);
    ctx.key_modified(key);
}

// ---- reads -----------------------------------------------------------------------------------------------------

/// HGET key field
fn hget(ctx: &mut Ctx, args: Args) {
    match ctx.read_typed::<Hash>(args.get(1)) {
        Err(_) => {}
        Ok((h, r)) => match h.and_then(|h| h.get(args.get(2))) {
            Some(v) => reply_str(r, v),
            None => r.null(),
        },
    }
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx, args: Args) {
    let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) else { return };
    r.array(args.len() - 2);
    for f in args.iter().skip(2) {
        match h.as_ref().and_then(|h| h.get(f)) {
            Some(v) => reply_str(r, v),
            None => r.null(),
        }
    }
}

/// HLEN key
fn hlen(ctx: &mut Ctx, args: Args) {
    if let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) {
        r.int(h.map_or(0, |h| h.len() as i64));
    }
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx, args: Args) {
    if let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) {
        r.int(h.map_or(0, |h| h.value_len(args.get(2)) as i64));
    }
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx, args: Args) {
    if let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) {
        r.int(h.is_some_and(|h| h.contains(args.get(2))) as i64);
    }
}

/// HGETALL key
fn hgetall(ctx: &mut Ctx, args: Args) {
    let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) else { return };
    let Some(h) = h else {
        r.map(0);
        return;
    };
    r.map(h.len());
    for (f, v) in h.iter() {
        reply_str(r, f);
        reply_str(r, v);
    }
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx, args: Args) {
    let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) else { return };
    let Some(h) = h else {
        r.array(0);
        return;
    };
    r.array(h.len());
    for (f, _) in h.iter() {
        reply_str(r, f);
    }
}

/// HVALS key
fn hvals(ctx: &mut Ctx, args: Args) {
    let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) else { return };
    let Some(h) = h else {
        r.array(0);
        return;
    };
    r.array(h.len());
    for (_, v) in h.iter() {
        reply_str(r, v);
    }
}

/// One HRANDFIELD pick: a field, or a field and its value (a nested pair in RESP3).
fn reply_pick(r: &mut Reply, f: StrRef<'_>, v: StrRef<'_>, withvalues: bool) {
    if withvalues && r.is_resp3() {
        r.array(2);
    }
    reply_str(r, f);
    if withvalues {
        reply_str(r, v);
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx, args: Args) {
    if args.len() == 2 {
        let Ok((h, r, rng)) = read_hash_rng(ctx, args.get(1)) else { return };
        match h.and_then(|h| h.random(rng)) {
            Some((f, _)) => reply_str(r, f),
            None => r.null(),
        }
        return;
    }
    let count = match parse_i64(args.get(2)) {
        None => {
            ctx.reply().err_not_int();
            return;
        }
        Some(i64::MIN) => {
            ctx.reply()
                .error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
            return;
        }
        Some(n) => n,
    };
    let withvalues = match args.len() {
        3 => false,
        4 if args.is(3, "withvalues") => true,
        _ => {
            ctx.reply().err_syntax();
            return;
        }
    };
    if (withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count)) || count < -RANDFIELD_MAX_REPEATS {
        ctx.reply().error("ERR value is out of range");
        return;
    }
    let Ok((h, r, rng)) = read_hash_rng(ctx, args.get(1)) else { return };
    let Some(h) = h else {
        r.array(0);
        return;
    };
    if count == 0 {
        r.array(0);
        return;
    }
    let flat = withvalues && !r.is_resp3();
    if count < 0 {
        let n = count.unsigned_abs() as usize;
        r.array(if flat { n * 2 } else { n });
        h.random_with_replacement(n, rng, |f, v| reply_pick(r, f, v, withvalues));
        return;
    }
    let picks = h.random_distinct(count as usize, rng);
    r.array(if flat { picks.len() * 2 } else { picks.len() });
    for (f, v) in picks {
        reply_pick(r, f, v, withvalues);
    }
}

/// [`Ctx::read_typed`] for a hash, also lending the server's random generator.
#[allow(clippy::type_complexity)]
fn read_hash_rng<'c>(
    ctx: &'c mut Ctx,
    key: &[u8],
) -> Result<(Option<&'c Hash>, &'c mut Reply, &'c mut crate::util::Rng), super::WrongType> {
    let Ctx { client, srv } = ctx;
    let touch = !client.has(crate::net::client::flags::NO_TOUCH);
    let (lru, lfu) = (srv.lru_clock, srv.config.maxmemory_policy.is_lfu());
    let (lf, dt, now) = (srv.config.lfu_log_factor, srv.config.lfu_decay_time, srv.now_ms);
    let crate::state::ServerState { dbs, rng, stats, .. } = &mut **srv;
    let r = &mut client.reply;
    match dbs[client.db].lookup(key, now) {
        None => {
            stats.keyspace_misses += 1;
            Ok((None, r, rng))
        }
        Some(e) => {
            stats.keyspace_hits += 1;
            if touch {
                super::touch_entry(e, lru, lfu, lf, dt, now);
            }
            match e.value() {
                Some(crate::object::Value::Hash(h)) => Ok((Some(h), r, rng)),
                _ => {
                    r.err_wrongtype();
                    Err(super::WrongType)
                }
            }
        }
    }
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
fn hscan(ctx: &mut Ctx, args: Args) {
    let Some(cursor) = super::keys::parse_cursor(args.get(2)) else {
        ctx.reply().error("ERR invalid cursor");
        return;
    };
    let Ok((h, r)) = ctx.read_typed::<Hash>(args.get(1)) else { return };
    let Some(h) = h else {
        r.array(2);
        r.bulk(b"0");
        r.array(0);
        return;
    };
    let Some(opts) = parse_scan_opts(r, args, 3) else { return };
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut next = cursor;
    let mut budget = opts.count.saturating_mul(10);
    loop {
        next = h.scan(next, |f, v| items.push((f.to_vec(), v.to_vec())));
        budget -= 1;
        if next == 0 || budget <= 0 || items.len() as i64 >= opts.count {
            break;
        }
    }
    if let Some(p) = opts.pattern {
        items.retain(|(f, _)| crate::util::glob_match(p, f, false));
    }
    r.array(2);
    r.bulk(next.to_string().as_bytes());
    r.array(items.len() * 2);
    for (f, v) in &items {
        r.bulk(f);
        r.bulk(v);
    }
}

/// The options of HSCAN/SSCAN/ZSCAN.
pub(crate) struct ScanOpts<'a> {
    /// None when absent or `*` (matches everything).
    pub pattern: Option<&'a [u8]>,
    pub count: i64,
}

/// Parses `[MATCH pattern] [COUNT count]` from `from` on as Redis's `scanGenericCommand` does for collections
/// (no TYPE option); replies the error and returns None when invalid.
pub(crate) fn parse_scan_opts<'a>(r: &mut Reply, args: Args<'a>, from: usize) -> Option<ScanOpts<'a>> {
    let mut opts = ScanOpts { pattern: None, count: 10 };
    let mut i = from;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "count") && more {
            let Some(c) = parse_i64(args.get(i + 1)) else {
                r.err_not_int();
                return None;
            };
            if c < 1 {
                r.err_syntax();
                return None;
            }
            opts.count = c;
        } else if args.is(i, "match") && more {
            let p = args.get(i + 1);
            opts.pattern = if p == b"*" { None } else { Some(p) };
        } else {
            r.err_syntax();
            return None;
        }
        i += 2;
    }
    Some(opts)
}
