//! Hash commands (Redis `t_hash.c`): field reads and writes, counters (integer and long double), whole-hash
//! reads, HRANDFIELD and HSCAN; the commands of hash-field expiry are in `expiry.rs`.
//!
//! Checks run in Redis's order so the first failing one decides the error. A hash emptied by HDEL is deleted.
//! HINCRBYFLOAT computes in x87 extended precision ([`super::longdouble::F80`]) and stores Redis's human format.

use super::longdouble::{ERR_NOT_FINITE_SUM, F80};
use super::{flag, Args, Command, Ctx, Group, KeySpecDef, KeyWrite, BASE, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::{ObjType, StrRef};
use crate::keyspace::types::hash::{Hash, Lookup};
use crate::resp::reply::Reply;
use crate::util::parse_i64;

mod expiry;

const HASH: Command = Command { group: Group::Hash, keys: ONE_KEY, since: "2.0.0", ..BASE };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
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
        key_specs: &[KeySpecDef::at(1, "RW update")],
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
        key_specs: &[KeySpecDef::at(1, "RW insert")],
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
        key_specs: &[KeySpecDef::at(1, "RO access")],
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
        key_specs: &[KeySpecDef::at(1, "RO access")],
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
        key_specs: &[KeySpecDef::at(1, "RW update")],
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
        key_specs: &[KeySpecDef::at(1, "RW delete")],
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
        key_specs: &[KeySpecDef::at(1, "RO")],
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
        key_specs: &[KeySpecDef::at(1, "RO")],
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
        key_specs: &[KeySpecDef::at(1, "RO")],
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
        key_specs: &[KeySpecDef::at(1, "RO access")],
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
        key_specs: &[KeySpecDef::at(1, "RO access")],
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
        key_specs: &[KeySpecDef::at(1, "RO access")],
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
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        ..HASH
    },
    Command {
        name: "hincrbyfloat",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        since: "2.6.0",
        summary: "Increment the float value of a hash field by the given amount",
        syntax: "key field increment{:double}",
        handler: hincrbyfloat,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
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
        syntax: "key [count [WITHVALUES]]{options}",
        handler: hrandfield,
        key_specs: &[KeySpecDef::at(1, "RO access")],
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
        syntax: "key cursor [MATCH pattern] [COUNT count] [NOVALUES]",
        handler: hscan,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        tips: "nondeterministic_output",
        ..HASH
    },
    Command {
        name: "hexpire",
        arity: -6,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        since: "7.4.0",
        summary: "Give hash fields a time to live in seconds",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key seconds [NX | XX | GT | LT]{condition} <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hexpire,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..HASH
    },
    Command {
        name: "hpexpire",
        arity: -6,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        since: "7.4.0",
        summary: "Give hash fields a time to live in milliseconds",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key milliseconds [NX | XX | GT | LT]{condition} <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hpexpire,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..HASH
    },
    Command {
        name: "hexpireat",
        arity: -6,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        since: "7.4.0",
        summary: "Make hash fields expire at a Unix time in seconds",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key unix-time-seconds [NX | XX | GT | LT]{condition} <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hexpireat,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..HASH
    },
    Command {
        name: "hpexpireat",
        arity: -6,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        since: "7.4.0",
        summary: "Make hash fields expire at a Unix time in milliseconds",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key unix-time-milliseconds [NX | XX | GT | LT]{condition} <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hpexpireat,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..HASH
    },
    Command {
        name: "httl",
        arity: -5,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        since: "7.4.0",
        summary: "Time to live of hash fields, in seconds",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::httl,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        ..HASH
    },
    Command {
        name: "hpttl",
        arity: -5,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        since: "7.4.0",
        summary: "Time to live of hash fields, in milliseconds",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hpttl,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        ..HASH
    },
    Command {
        name: "hexpiretime",
        arity: -5,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        since: "7.4.0",
        summary: "Unix time in seconds at which hash fields expire",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hexpiretime,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        ..HASH
    },
    Command {
        name: "hpexpiretime",
        arity: -5,
        flags: flag::READONLY | flag::FAST,
        acl: "read hash fast",
        since: "7.4.0",
        summary: "Unix time in milliseconds at which hash fields expire",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hpexpiretime,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        ..HASH
    },
    Command {
        name: "hpersist",
        arity: -5,
        flags: flag::WRITE | flag::FAST,
        acl: "write hash fast",
        since: "7.4.0",
        summary: "Remove hash fields' time to live",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hpersist,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..HASH
    },
    Command {
        name: "hgetdel",
        arity: -5,
        flags: flag::WRITE | flag::FAST,
        acl: "write hash fast",
        since: "8.0.0",
        summary: "Get the values of hash fields and delete the fields",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hgetdel,
        key_specs: &[KeySpecDef::at(1, "RW access delete")],
        ..HASH
    },
    Command {
        name: "hgetex",
        arity: -5,
        flags: flag::WRITE | flag::FAST,
        acl: "write hash fast",
        since: "8.0.0",
        summary: "Get the values of hash fields, optionally setting or removing their time to live",
        complexity: "O(N) where N is the number of specified fields",
        syntax: "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]{expiration} <FIELDS numfields{:integer} field [field ...]>",
        handler: expiry::hgetex,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        ..HASH
    },
    Command {
        name: "hsetex",
        arity: -6,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hash fast",
        since: "8.0.0",
        summary: "Set hash fields, optionally only if none or all exist, with an optional time to live",
        complexity: "O(N) where N is the number of fields being set.",
        syntax: "key [FNX | FXX]{condition} [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]{expiration} <FIELDS numfields{:integer} field value [field value ...]>",
        handler: expiry::hsetex,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..HASH
    },
];

#[inline]
fn reply_str(r: &mut Reply, s: StrRef<'_>) {
    super::list::reply_elem(r, s);
}

// ---- field expiry (Redis 7.4) ----------------------------------------------------------------------------------

/// What this call does with a field whose TTL passed (Redis 7.4's `hashTypeGetValue`): a replica's master link
/// sees it as live (the master sends the HDEL); anywhere else it is missing, and a master deletes it on the spot
/// unless loading or paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Past {
    Live,
    Hide,
    Delete,
}

fn past_mode(ctx: &Ctx) -> Past {
    let lazy = ctx.settings().lookup_clock().expiry;
    if lazy.off {
        Past::Live
    } else if !ctx.settings().deletes_already_expired() || lazy.paused {
        Past::Hide
    } else {
        Past::Delete
    }
}

/// The time fields are judged at: the command's time, or the beginning of time for a replica's master link (no
/// field is past for it).
fn field_now(ctx: &Ctx) -> i64 {
    if ctx.settings().lookup_clock().expiry.off {
        i64::MIN
    } else {
        ctx.now_ms()
    }
}

/// One field of `key` (a hash, selected db) whose TTL passed, deleted by the master's lazy expiry (Redis's
/// hashTypeGetValue): an HDEL propagated, `hexpired` while fields are left, `del` alone with the hash for the last
/// one. Returns whether the hash went.
fn expire_field_now(ctx: &mut Ctx, key: &[u8], field: &[u8]) -> bool {
    expire_fields_now(ctx, key, &[field], true, false)
}

/// Deletes `fields` of `key` (whose TTLs were seen to have passed) by the master's lazy expiry, as Redis's HMGET,
/// HGETDEL, HGETEX and HSETEX do for the fields they read: an HDEL propagated for each, one `hexpired` naming them,
/// and, when `drop_empty` and no field is left, `del` with the hash. `name_last`: whether `hexpired` names the
/// field whose deletion emptied the hash (HMGET's reads, which delete the hash at once, name it only in `del`).
/// Returns whether no field is left.
fn expire_fields_now(ctx: &mut Ctx, key: &[u8], fields: &[&[u8]], drop_empty: bool, name_last: bool) -> bool {
    if fields.is_empty() {
        return false;
    }
    let mut w = ctx.open_write(key);
    let mut gone: Vec<&[u8]> = Vec::with_capacity(fields.len());
    let mut emptied = false;
    for &f in fields {
        let Some(h) = hash_mut(ctx, &w) else { break };
        if h.remove(f) {
            emptied = h.is_empty();
            ctx.count_expired_fields(1);
            ctx.propagation().also(&[&b"HDEL"[..], key, f]);
            if !emptied || name_last {
                gone.push(f);
            }
        }
    }
    if gone.is_empty() && !emptied {
        w.untouched();
        return false;
    }
    if !gone.is_empty() {
        ctx.notify_fields(nc::HASH, "hexpired", key, &gone);
    }
    if emptied && drop_empty {
        ctx.notify(nc::GENERIC, "del", key);
        ctx.door(&w).delete();
    }
    // The field expiry is propagated as its own HDELs: no change of the command's own is counted.
    ctx.changed(&mut w, 0);
    emptied
}

/// An array of values, nil for a missing field (HGETDEL's and HGETEX's reply).
fn reply_values(r: &mut Reply, values: &[Option<Vec<u8>>]) {
    r.array(values.len());
    for v in values {
        match v {
            Some(v) => r.bulk(v),
            None => r.null(),
        }
    }
}

/// Every field of `key` whose TTL passed, deleted as [`expire_field_now`] does (HRANDFIELD reads a whole hash).
/// Returns whether the hash went.
fn expire_all_due(ctx: &mut Ctx, key: &[u8]) -> bool {
    if past_mode(ctx) != Past::Delete {
        return false;
    }
    let now = ctx.now_ms();
    let mut w = ctx.open_write(key);
    let Some(h) = hash_mut(ctx, &w) else {
        w.untouched();
        return false;
    };
    let due = h.expired_fields(now);
    if due.is_empty() {
        w.untouched();
        return false;
    }
    let mut emptied = false;
    for f in &due {
        let h = match hash_mut(ctx, &w) {
            Some(h) => h,
            None => break,
        };
        h.remove(f);
        emptied = h.is_empty();
        ctx.count_expired_fields(1);
        ctx.propagation().also(&[&b"HDEL"[..], key, f]);
    }
    let fields: Vec<&[u8]> = due.iter().map(|f| f.as_slice()).collect();
    ctx.notify_fields(nc::HASH, "hexpired", key, &fields);
    if emptied {
        ctx.notify(nc::GENERIC, "del", key);
        ctx.door(&w).delete();
    }
    ctx.changed(&mut w, 0);
    emptied
}

/// The hash written through `w`, without expiry of the key or counting (the caller looked it up).
fn hash_mut<'c>(ctx: &'c mut Ctx, w: &KeyWrite) -> Option<&'c mut Hash> {
    match ctx.door(w).entry_mut().and_then(|e| e.value_mut()) {
        Some(crate::keyspace::object::Value::Hash(h)) => Some(h),
        _ => None,
    }
}

/// The hash at `key` in the selected db, for reading, without expiry of the key or counting (the caller looked
/// it up).
fn hash_ref<'c>(ctx: &'c Ctx, key: &[u8]) -> Option<&'c Hash> {
    match ctx.db().find(key).and_then(|e| e.value()) {
        Some(crate::keyspace::object::Value::Hash(h)) => Some(h),
        _ => None,
    }
}

/// A field looked up for a reader: its value, with the lazy expiry a master does when the field's TTL passed.
/// `Ok(None)` when the field is missing (or expired); `Err` after a WRONGTYPE reply.
fn read_field(ctx: &mut Ctx, key: &[u8], field: &[u8]) -> Result<Option<Vec<u8>>, super::WrongType> {
    let now = field_now(ctx);
    let expired = match ctx.lookup_typed::<Hash>(Access::READ, key)? {
        (None, _) => return Ok(None),
        (Some(h), _) => match h.lookup(field, now) {
            Lookup::Live(v) => return Ok(Some(v.to_vec())),
            Lookup::Missing => return Ok(None),
            Lookup::Expired => true,
        },
    };
    if expired && past_mode(ctx) == Past::Delete {
        expire_field_now(ctx, key, field);
    }
    Ok(None)
}

/// A field whose TTL passed that a reader outside the family met (SORT's `->field` patterns): deleted as
/// [`read_field`] deletes it, when this server deletes due fields.
pub(super) fn expire_read_field(ctx: &mut Ctx, key: &[u8], field: &[u8]) {
    if past_mode(ctx) == Past::Delete {
        expire_field_now(ctx, key, field);
    }
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
    let th = ctx.settings().thresholds();
    // The hash's length before and after is reported to `INFO keysizes` here (the lookup reads no size).
    let Ok((h, r, mut w)) = ctx.write_or_create_sized::<Hash>(key, Hash::new) else { return };
    let before = h.len();
    h.convert_for_args(args.iter().skip(2), &th);
    let mut created = 0;
    let mut i = 2;
    while i + 1 < args.len() {
        if h.set(args.get(i), args.get(i + 1), &th) {
            created += 1;
        }
        i += 2;
    }
    let after = h.len();
    if ok_reply {
        r.ok();
    } else {
        r.int(created);
    }
    ctx.door(&w).len_changed(ObjType::Hash, before, after);
    ctx.notify(nc::HASH, "hset", key);
    ctx.changed(&mut w, 1);
}

/// Looks a field up for a writer about to set it (HSETNX, HINCRBY*): a field whose TTL passed is deleted first by
/// a master's lazy expiry (the hash too when it was the last field), so the write starts from nothing.
fn clear_expired_field(ctx: &mut Ctx, key: &[u8], field: &[u8]) {
    let now = field_now(ctx);
    // The write lookup (it expires the key itself if due); a value of another type is left to the caller's
    // typed lookup, which answers WRONGTYPE.
    let expired = matches!(
        ctx.lookup(Access::WRITE, key).0.and_then(|e| e.value()),
        Some(crate::keyspace::object::Value::Hash(h)) if matches!(h.lookup(field, now), Lookup::Expired)
    );
    if expired && past_mode(ctx) == Past::Delete {
        expire_field_now(ctx, key, field);
    }
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let th = ctx.settings().thresholds();
    clear_expired_field(ctx, key, args.get(2));
    let now = field_now(ctx);
    let Ok((h, r, mut w)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    h.convert_for_args([args.get(2), args.get(3)], &th);
    if !matches!(h.lookup(args.get(2), now), Lookup::Missing) {
        r.int(0);
        return w.untouched();
    }
    h.set(args.get(2), args.get(3), &th);
    r.int(1);
    ctx.notify(nc::HASH, "hset", key);
    ctx.changed(&mut w, 1);
}

/// HDEL key field [field ...] (a field whose TTL passed but is still there counts as deleted, as in Redis).
fn hdel(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let (h, r, mut w) = match ctx.write_typed::<Hash>(key) {
        Err(_) => return,
        Ok((None, r, _)) => {
            r.int(0);
            return;
        }
        Ok((Some(h), r, w)) => (h, r, w),
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
        let emptied = h.is_empty();
        ctx.notify(nc::HASH, "hdel", key);
        if emptied {
            ctx.door(&w).delete();
            ctx.notify(nc::GENERIC, "del", key);
        }
        ctx.changed(&mut w, 1);
    } else {
        w.untouched();
    }
}

/// HINCRBY key field increment (keeps the field's TTL)
fn hincrby(ctx: &mut Ctx, args: Args) {
    let Some(incr) = parse_i64(args.get(3)) else {
        ctx.reply().err_not_int();
        return;
    };
    let key = args.get(1);
    let field = args.get(2);
    let th = ctx.settings().thresholds();
    clear_expired_field(ctx, key, field);
    let now = field_now(ctx);
    let Ok((h, r, mut w)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    let cur = match h.lookup(field, now).live() {
        None => 0,
        Some(v) => match v.as_i64() {
            Some(n) => n,
            None => {
                r.error("ERR hash value is not an integer");
                return w.untouched();
            }
        },
    };
    let Some(sum) = cur.checked_add(incr) else {
        r.error("ERR increment or decrement would overflow");
        return w.untouched();
    };
    h.set_int(field, sum, &th);
    r.int(sum);
    ctx.notify(nc::HASH, "hincrby", key);
    ctx.changed(&mut w, 1);
}

/// HINCRBYFLOAT key field increment (keeps the field's TTL)
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
    let th = ctx.settings().thresholds();
    clear_expired_field(ctx, key, field);
    let now = field_now(ctx);
    let Ok((h, r, mut w)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    let cur = match h.lookup(field, now).live() {
        None => F80::ZERO,
        Some(v) => {
            let mut buf = [0u8; 24];
            match F80::parse(v.bytes(&mut buf)) {
                Some(x) => x,
                None => {
                    r.error("ERR hash value is not a float");
                    return w.untouched();
                }
            }
        }
    };
    let Some(text) = cur.sum_text(incr) else {
        r.error(ERR_NOT_FINITE_SUM);
        return w.untouched();
    };
    h.set_keep_ttl(field, &text, &th);
    r.bulk(&text);
    ctx.notify(nc::HASH, "hincrbyfloat", key);
    ctx.changed(&mut w, 1);
    ctx.propagation().rewrite(&[b"HSET".as_slice(), key, field, &text]);
}

// ---- reads -----------------------------------------------------------------------------------------------------

/// HGET key field
fn hget(ctx: &mut Ctx, args: Args) {
    let now = field_now(ctx);
    let expired = match ctx.lookup_typed::<Hash>(Access::READ, args.get(1)) {
        Err(_) => return,
        Ok((h, r)) => match h.map(|h| h.lookup(args.get(2), now)) {
            Some(Lookup::Live(v)) => {
                reply_str(r, v);
                return;
            }
            Some(Lookup::Expired) => {
                r.null();
                true
            }
            _ => {
                r.null();
                return;
            }
        },
    };
    if expired && past_mode(ctx) == Past::Delete {
        expire_field_now(ctx, args.get(1), args.get(2));
    }
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let now = field_now(ctx);
    let mut due: Vec<&[u8]> = Vec::new();
    {
        let Ok((h, r)) = ctx.lookup_typed::<Hash>(Access::READ, key) else { return };
        r.array(args.len() - 2);
        for f in args.iter().skip(2) {
            match h.as_ref().map(|h| h.lookup(f, now)) {
                Some(Lookup::Live(v)) => reply_str(r, v),
                Some(Lookup::Expired) => {
                    due.push(f);
                    r.null();
                }
                _ => r.null(),
            }
        }
    }
    if !due.is_empty() && past_mode(ctx) == Past::Delete {
        expire_fields_now(ctx, key, &due, true, false);
    }
}

/// HLEN key (fields whose TTL passed but are not yet deleted count, as in Redis 7.4)
fn hlen(ctx: &mut Ctx, args: Args) {
    if let Ok((h, r)) = ctx.lookup_typed::<Hash>(Access::READ, args.get(1)) {
        r.int(h.map_or(0, |h| h.len() as i64));
    }
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx, args: Args) {
    if let Ok(v) = read_field(ctx, args.get(1), args.get(2)) {
        ctx.reply().int(v.map_or(0, |v| v.len() as i64));
    }
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx, args: Args) {
    if let Ok(v) = read_field(ctx, args.get(1), args.get(2)) {
        ctx.reply().int(v.is_some() as i64);
    }
}

/// HGETALL key (fields whose TTL passed are left out)
fn hgetall(ctx: &mut Ctx, args: Args) {
    let now = field_now(ctx);
    let Ok((h, r)) = ctx.lookup_typed::<Hash>(Access::READ, args.get(1)) else { return };
    let Some(h) = h else {
        r.map(0);
        return;
    };
    r.map(h.live_len(now));
    for (f, v) in h.iter_live(now) {
        reply_str(r, f);
        reply_str(r, v);
    }
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx, args: Args) {
    reply_live_halves(ctx, args, true)
}

/// HVALS key
fn hvals(ctx: &mut Ctx, args: Args) {
    reply_live_halves(ctx, args, false)
}

/// HKEYS (`fields`) or HVALS: one half of each pair whose TTL has not passed, as an array.
fn reply_live_halves(ctx: &mut Ctx, args: Args, fields: bool) {
    let now = field_now(ctx);
    let Ok((h, r)) = ctx.lookup_typed::<Hash>(Access::READ, args.get(1)) else { return };
    let Some(h) = h else {
        r.array(0);
        return;
    };
    r.array(h.live_len(now));
    for (f, v) in h.iter_live(now) {
        reply_str(r, if fields { f } else { v });
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

/// HRANDFIELD key [count \[WITHVALUES\]] (a master first deletes the fields whose TTL passed, as Redis 7.4 does)
fn hrandfield(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    if args.len() == 2 {
        if ctx.lookup_typed::<Hash>(Access::WRITE, key).map(|(v, _)| v.is_some()).is_err() {
            return;
        }
        expire_all_due(ctx, key);
        let Ok((h, r, rng)) = ctx.lookup_rng::<Hash>(Access::READ, key) else { return };
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
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        ctx.reply().error("ERR value is out of range");
        return;
    }
    if ctx.lookup_typed::<Hash>(Access::WRITE, key).map(|(v, _)| v.is_some()).is_err() {
        return;
    }
    expire_all_due(ctx, key);
    let Ok((h, r, rng)) = ctx.lookup_rng::<Hash>(Access::READ, key) else { return };
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
        // Redis's loop stops once the client is flagged for closing (its output limit).
        r.cap_unbounded(super::set::UNBOUNDED_REPLY_MAX_BYTES);
        r.array(if flat { n * 2 } else { n });
        h.random_with_replacement(n, rng, |f, v| {
            reply_pick(r, f, v, withvalues);
            !r.is_cut()
        });
        return;
    }
    let picks = h.random_distinct(count as usize, rng);
    r.array(if flat { picks.len() * 2 } else { picks.len() });
    for (f, v) in picks {
        reply_pick(r, f, v, withvalues);
    }
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] \[NOVALUES\] (NOVALUES: Redis 7.4; fields whose TTL passed are
/// left out)
fn hscan(ctx: &mut Ctx, args: Args) {
    let Some(cursor) = super::keys::parse_cursor(args.get(2)) else {
        ctx.reply().error("ERR invalid cursor");
        return;
    };
    let now = field_now(ctx);
    let Ok((h, r)) = ctx.lookup_typed::<Hash>(Access::READ, args.get(1)) else { return };
    // Options are checked even for a missing key (Redis 7.0 parses them before looking at the value).
    let Some(opts) = super::set::parse_scan_opts(r, args, 3, Some("novalues")) else { return };
    let novalues = opts.flag;
    let Some(h) = h else {
        r.array(2);
        r.bulk(b"0");
        r.array(0);
        return;
    };
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let count = opts.count;
    let next = h.scan(cursor, count, super::set::scan_budget(count), now, |f: StrRef<'_>, v: StrRef<'_>| {
        items.push((f.to_vec(), v.to_vec()))
    });
    if let Some(p) = opts.pattern {
        items.retain(|(f, _)| crate::util::glob_match(p, f, false));
    }
    r.array(2);
    r.bulk(next.to_string().as_bytes());
    r.array(if novalues { items.len() } else { items.len() * 2 });
    for (f, v) in &items {
        r.bulk(f);
        if !novalues {
            r.bulk(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn b(s: &str) -> String {
        format!("${}\r\n{s}\r\n", s.len())
    }

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn set_get_and_delete() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["hset", "h", "f1", "v1", "f2", "v2"]), ":2\r\n");
        assert_eq!(h.run(&["hset", "h", "f1", "v9", "f3", "v3"]), ":1\r\n");
        assert_eq!(h.run(&["hset", "h", "f1"]), "-ERR wrong number of arguments for 'hset' command\r\n");
        assert_eq!(h.run(&["hset", "h", "a", "1", "b"]), "-ERR wrong number of arguments for 'hset' command\r\n");
        assert_eq!(h.run(&["hmset", "h", "a", "1", "b"]), "-ERR wrong number of arguments for 'hmset' command\r\n");
        assert_eq!(h.run(&["hmset", "h", "a", "1"]), "+OK\r\n");
        assert_eq!(h.run(&["hget", "h", "f1"]), b("v9"));
        assert_eq!(h.run(&["hget", "h", "nope"]), "$-1\r\n");
        assert_eq!(h.run(&["hget", "nokey", "f"]), "$-1\r\n");
        assert_eq!(h.run(&["hmget", "h", "f1", "nope", "a"]), format!("*3\r\n{}$-1\r\n{}", b("v9"), b("1")));
        assert_eq!(h.run(&["hmget", "nokey", "a", "b"]), "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(h.run(&["hlen", "h"]), ":4\r\n");
        assert_eq!(h.run(&["hlen", "nokey"]), ":0\r\n");
        assert_eq!(h.run(&["hstrlen", "h", "f1"]), ":2\r\n");
        assert_eq!(h.run(&["hstrlen", "h", "nope"]), ":0\r\n");
        assert_eq!(h.run(&["hexists", "h", "f2"]), ":1\r\n");
        assert_eq!(h.run(&["hexists", "nokey", "f2"]), ":0\r\n");
        assert_eq!(h.run(&["hsetnx", "h", "f1", "x"]), ":0\r\n");
        assert_eq!(h.run(&["hsetnx", "h", "new", "x"]), ":1\r\n");
        assert_eq!(h.run(&["hsetnx", "h2", "f", "x"]), ":1\r\n");
        assert_eq!(h.run(&["hdel", "h2", "f", "g"]), ":1\r\n");
        assert_eq!(h.run(&["exists", "h2"]), ":0\r\n");
        assert_eq!(h.run(&["hdel", "nokey", "f"]), ":0\r\n");
        assert_eq!(h.run(&["hkeys", "h"]), format!("*5\r\n{}{}{}{}{}", b("f1"), b("f2"), b("f3"), b("a"), b("new")));
        assert_eq!(h.run(&["hvals", "nokey"]), "*0\r\n");
        assert_eq!(h.run(&["hgetall", "nokey"]), "*0\r\n");
        h.run(&["set", "s", "v"]);
        for cmd in [
            &["hset", "s", "f", "v"][..],
            &["hget", "s", "f"],
            &["hmget", "s", "f"],
            &["hgetall", "s"],
            &["hdel", "s", "f"],
            &["hincrby", "s", "f", "1"],
            &["hrandfield", "s"],
            &["hrandfield", "s", "2"],
            &["hscan", "s", "0", "foo"],
        ] {
            assert_eq!(h.run(cmd), WRONGTYPE, "{cmd:?}");
        }
    }

    #[test]
    fn resp3_maps_and_pairs() {
        let mut h = Harness::new();
        h.client.reply.proto = crate::resp::reply::Proto::Resp3;
        assert_eq!(h.run(&["hgetall", "nokey"]), "%0\r\n");
        h.run(&["hset", "h", "a", "1"]);
        assert_eq!(h.run(&["hgetall", "h"]), format!("%1\r\n{}{}", b("a"), b("1")));
        assert_eq!(h.run(&["hrandfield", "h", "5", "withvalues"]), format!("*1\r\n*2\r\n{}{}", b("a"), b("1")));
        assert_eq!(
            h.run(&["hrandfield", "h", "-2", "withvalues"]),
            format!("*2\r\n*2\r\n{0}{1}*2\r\n{0}{1}", b("a"), b("1"))
        );
        assert_eq!(h.run(&["hrandfield", "nokey"]), "_\r\n");
    }

    #[test]
    fn counters() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["hincrby", "h", "n", "5"]), ":5\r\n");
        assert_eq!(h.run(&["hincrby", "h", "n", "-10"]), ":-5\r\n");
        assert_eq!(h.run(&["hincrby", "h", "n", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["hset", "h", "m", "9223372036854775807"]), ":1\r\n");
        assert_eq!(h.run(&["hincrby", "h", "m", "1"]), "-ERR increment or decrement would overflow\r\n");
        assert_eq!(h.run(&["hset", "h", "g", "1.5"]), ":1\r\n");
        assert_eq!(h.run(&["hincrby", "h", "g", "1"]), "-ERR hash value is not an integer\r\n");
        assert_eq!(h.run(&["hincrbyfloat", "h", "g", "1"]), b("2.5"));
        assert_eq!(h.run(&["hincrbyfloat", "h", "f", "10.5"]), b("10.5"));
        assert_eq!(h.run(&["hincrbyfloat", "h", "f", "0.1"]), b("10.6"));
        assert_eq!(h.run(&["hincrbyfloat", "h", "z", "-0"]), b("0"));
        assert_eq!(h.run(&["hincrbyfloat", "h", "e", "5.0e3"]), b("5000"));
        assert_eq!(h.run(&["hincrbyfloat", "h", "f", "x"]), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run(&["hincrbyfloat", "h", "f", "nan"]), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run(&["hincrbyfloat", "h", "f", "inf"]), "-ERR value is NaN or Infinity\r\n");
        assert_eq!(h.run(&["hincrbyfloat", "h", "x", "1e4932"]).len(), 7 + 4933 + 2);
        assert_eq!(
            h.run(&["hincrbyfloat", "h", "x", "1.18973149535723176502e+4932"]),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
        h.run(&["hset", "h", "s", "abc"]);
        assert_eq!(h.run(&["hincrbyfloat", "h", "s", "1"]), "-ERR hash value is not a float\r\n");
        assert_eq!(h.run(&["hget", "h", "n"]), b("-5"));
    }

    #[test]
    fn randfield_counts_and_bounds() {
        let mut h = Harness::new();
        h.run(&["hset", "h", "a", "1", "b", "2", "c", "3"]);
        assert_eq!(h.run(&["hrandfield", "nokey"]), "$-1\r\n");
        assert_eq!(h.run(&["hrandfield", "nokey", "5", "withvalues"]), "*0\r\n");
        assert_eq!(h.run(&["hrandfield", "h", "0"]), "*0\r\n");
        assert_eq!(h.run(&["hrandfield", "h", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["hrandfield", "nokey", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["hrandfield", "h", "1", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["hrandfield", "h", "1", "withvalues", "x"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run(&["hrandfield", "h", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(h.run(&["hrandfield", "h", "-4611686018427387904", "withvalues"]), "-ERR value is out of range\r\n");
        // Redis streams 2^63 elements until the output limit closes the client: the reply is cut there.
        for (count, withvalues) in [("-9223372036854775807", false), ("-4611686018427387903", true)] {
            h.client.reply.watch_limit(1 << 20);
            let mut argv = vec!["hrandfield", "h", count];
            if withvalues {
                argv.push("withvalues");
            }
            let r = h.run(&argv);
            assert!(r.starts_with("*9223372036854775") && r.len() < (1 << 20) + (32 << 10), "{}", r.len());
            assert!(h.client.reply.is_cut());
            h.client.reply.clear_cut();
        }
        assert!(h.run(&["hrandfield", "h", "-100000"]).starts_with("*100000\r\n"));
        let all = h.run(&["hrandfield", "h", "10", "withvalues"]);
        assert!(all.starts_with("*6\r\n"), "{all}");
        let picks = h.run(&["hrandfield", "h", "2"]);
        assert!(picks.starts_with("*2\r\n"), "{picks}");
        let rep = h.run(&["hrandfield", "h", "-7"]);
        assert_eq!(rep.matches("$1\r\n").count(), 7);
        let one = h.run(&["hrandfield", "h"]);
        assert!([b("a"), b("b"), b("c")].contains(&one));
    }

    #[test]
    fn hscan_listpack_and_hashtable() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["hscan", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(h.run(&["hscan", "nokey", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(h.run(&["hscan", "nokey", "0", "count", "0"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["hscan", "nokey", "0", "count", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["hscan", "nokey", "0", "type", "hash"]), "-ERR syntax error\r\n");
        h.run(&["hset", "h", "a1", "1", "b1", "2"]);
        assert_eq!(h.run(&["hscan", "h", "0", "match", "a*"]), format!("*2\r\n$1\r\n0\r\n*2\r\n{}{}", b("a1"), b("1")));
        h.srv.config.hash_max_listpack_entries = 4;
        for i in 0..200 {
            h.run(&["hset", "big", &format!("f{i}"), "v"]);
        }
        assert_eq!(h.run(&["object", "encoding", "big"]), b("hashtable"));
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        loop {
            let out = h.run(&["hscan", "big", &cursor, "count", "7"]);
            // *2 $n cursor *m ($len item)*: the cursor is line 2, items are every second line from line 5.
            let lines: Vec<&str> = out.split("\r\n").collect();
            cursor = lines[2].to_string();
            let items: Vec<String> = lines[4..].iter().skip(1).step_by(2).map(|s| s.to_string()).collect();
            seen.extend(items.into_iter().step_by(2).filter(|s| !s.is_empty()));
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 200);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(Vec<(String, String)>),
        SetNx(String, String),
        Del(Vec<String>),
        Incr(String, i64),
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof!["[a-d]", "[a-d]{70,80}"]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z]{0,5}", (-100i64..100).prop_map(|n| n.to_string()), "[v]{60,70}"]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            proptest::collection::vec((field(), value()), 1..4).prop_map(Op::Set),
            (field(), value()).prop_map(|(f, v)| Op::SetNx(f, v)),
            proptest::collection::vec(field(), 1..3).prop_map(Op::Del),
            (field(), -5i64..5).prop_map(|(f, n)| Op::Incr(f, n)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn hash_commands_match_a_model(entries in 1i64..6, ops in proptest::collection::vec(op(), 1..40)) {
            let mut h = Harness::new();
            h.srv.config.hash_max_listpack_entries = entries;
            let mut m: BTreeMap<String, String> = BTreeMap::new();
            for o in ops {
                match o {
                    Op::Set(pairs) => {
                        let mut argv = vec!["hset".to_string(), "h".to_string()];
                        let mut created = 0;
                        for (f, v) in &pairs {
                            argv.push(f.clone());
                            argv.push(v.clone());
                            if m.insert(f.clone(), v.clone()).is_none() {
                                created += 1;
                            }
                        }
                        let argv: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
                        prop_assert_eq!(h.run(&argv), format!(":{created}\r\n"));
                    }
                    Op::SetNx(f, v) => {
                        let fresh = !m.contains_key(&f);
                        if fresh {
                            m.insert(f.clone(), v.clone());
                        }
                        prop_assert_eq!(h.run(&["hsetnx", "h", &f, &v]), format!(":{}\r\n", fresh as u8));
                    }
                    Op::Del(fs) => {
                        let mut argv = vec!["hdel", "h"];
                        argv.extend(fs.iter().map(|s| s.as_str()));
                        let n = fs.iter().collect::<std::collections::BTreeSet<_>>().into_iter().filter(|f| m.remove(*f).is_some()).count();
                        prop_assert_eq!(h.run(&argv), format!(":{n}\r\n"));
                    }
                    Op::Incr(f, n) => {
                        let got = h.run(&["hincrby", "h", &f, &n.to_string()]);
                        match m.get(&f).map(|v| crate::util::parse_i64(v.as_bytes())) {
                            Some(None) => prop_assert_eq!(got, "-ERR hash value is not an integer\r\n"),
                            cur => {
                                let sum = cur.flatten().unwrap_or(0) + n;
                                m.insert(f.clone(), sum.to_string());
                                prop_assert_eq!(got, format!(":{sum}\r\n"));
                            }
                        }
                    }
                }
                prop_assert_eq!(h.run(&["hlen", "h"]), format!(":{}\r\n", m.len()));
            }
            for (f, v) in &m {
                prop_assert_eq!(h.run(&["hget", "h", f]), b(v));
            }
            let enc = h.run(&["object", "encoding", "h"]);
            if !m.is_empty() {
                let big = m.len() as i64 > entries || m.iter().any(|(f, v)| f.len() > 64 || v.len() > 64);
                if big {
                    prop_assert_eq!(enc, b("hashtable"));
                }
            }
        }
    }
}
