//! Generic keyspace commands (Redis `db.c`, `expire.c`, `object.c`): deletion, existence, renaming, iteration,
//! TTLs, databases and OBJECT introspection.

use super::shared::reply_help;
use super::shared::{i32_arg, int_arg};
use super::string::err_expire_time;
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, ALL_KEYS, BASE, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::Entry;
use crate::util::glob_match;

const TWO_KEYS: KeySpec = KeySpec { first: 1, last: 2, step: 1 };
const KEY_AT_2: KeySpec = KeySpec { first: 2, last: 2, step: 1 };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "del",
        arity: -2,
        flags: flag::WRITE,
        acl: "keyspace write slow",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RM delete")],
        summary: "Delete a key",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        syntax: "key [key ...]",
        handler: del,
        tips: "request_policy:multi_shard response_policy:agg_sum",
        ..BASE
    },
    Command {
        name: "unlink",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RM delete")],
        since: "4.0.0",
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        syntax: "key [key ...]",
        handler: unlink,
        tips: "request_policy:multi_shard response_policy:agg_sum",
        ..BASE
    },
    Command {
        name: "exists",
        arity: -2,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RO")],
        summary: "Determine if a key exists",
        complexity: "O(N) where N is the number of keys to check.",
        syntax: "key [key ...]",
        handler: exists,
        tips: "request_policy:multi_shard response_policy:agg_sum",
        history: &[("3.0.3", "Accepts multiple `key` arguments.")],
        ..BASE
    },
    Command {
        name: "type",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO")],
        summary: "Determine the type stored at key",
        syntax: "key",
        handler: type_cmd,
        ..BASE
    },
    Command {
        name: "rename",
        arity: 3,
        flags: flag::WRITE,
        acl: "keyspace write slow",
        keys: TWO_KEYS,
        key_specs: &[KeySpecDef::at(1, "RW access delete"), KeySpecDef::at(2, "OW update")],
        summary: "Rename a key",
        syntax: "key newkey",
        handler: rename,
        ..BASE
    },
    Command {
        name: "renamenx",
        arity: 3,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: TWO_KEYS,
        key_specs: &[KeySpecDef::at(1, "RW access delete"), KeySpecDef::at(2, "OW insert")],
        summary: "Rename a key, only if the new key does not exist",
        syntax: "key newkey",
        handler: renamenx,
        history: &[("3.2.0", "The command no longer returns an error when source and destination names are the same.")],
        ..BASE
    },
    Command {
        name: "keys",
        arity: 2,
        flags: flag::READONLY,
        acl: "keyspace read slow dangerous",
        summary: "Find all keys matching the given pattern",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        syntax: "pattern",
        handler: keys,
        tips: "request_policy:all_shards nondeterministic_output_order",
        ..BASE
    },
    Command {
        name: "scan",
        arity: -2,
        flags: flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS,
        acl: "keyspace read slow",
        since: "2.8.0",
        summary: "Incrementally iterate the keys space",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        syntax: "cursor [MATCH pattern] [COUNT count] [TYPE type{@6.0.0}]",
        handler: scan,
        tips: "nondeterministic_output request_policy:special",
        history: &[("6.0.0", "Added the `TYPE` subcommand.")],
        ..BASE
    },
    Command {
        name: "randomkey",
        arity: 1,
        flags: flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS,
        acl: "keyspace read slow",
        summary: "Return a random key from the keyspace",
        handler: randomkey,
        tips: "request_policy:all_shards nondeterministic_output",
        ..BASE
    },
    Command {
        name: "expire",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        summary: "Set a key's time to live in seconds",
        syntax: "key seconds [NX | XX | GT | LT]{condition@7.0.0}",
        handler: expire,
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ..BASE
    },
    Command {
        name: "pexpire",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        since: "2.6.0",
        summary: "Set a key's time to live in milliseconds",
        syntax: "key milliseconds [NX | XX | GT | LT]{condition@7.0.0}",
        handler: pexpire,
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ..BASE
    },
    Command {
        name: "expireat",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        since: "1.2.0",
        summary: "Set the expiration for a key as a UNIX timestamp",
        syntax: "key unix-time-seconds [NX | XX | GT | LT]{condition@7.0.0}",
        handler: expireat,
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ..BASE
    },
    Command {
        name: "pexpireat",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        since: "2.6.0",
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        syntax: "key unix-time-milliseconds [NX | XX | GT | LT]{condition@7.0.0}",
        handler: pexpireat,
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ..BASE
    },
    Command {
        name: "ttl",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        summary: "Get the time to live for a key in seconds",
        syntax: "key",
        handler: ttl,
        tips: "nondeterministic_output",
        history: &[("2.8.0", "Added the -2 reply.")],
        ..BASE
    },
    Command {
        name: "pttl",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        since: "2.6.0",
        summary: "Get the time to live for a key in milliseconds",
        syntax: "key",
        handler: pttl,
        tips: "nondeterministic_output",
        history: &[("2.8.0", "Added the -2 reply.")],
        ..BASE
    },
    Command {
        name: "expiretime",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key",
        syntax: "key",
        handler: expiretime,
        ..BASE
    },
    Command {
        name: "pexpiretime",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        syntax: "key",
        handler: pexpiretime,
        ..BASE
    },
    Command {
        name: "persist",
        arity: 2,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        since: "2.2.0",
        summary: "Remove the expiration from a key",
        syntax: "key",
        handler: persist,
        ..BASE
    },
    Command {
        name: "touch",
        arity: -2,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        keys: ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RO")],
        since: "3.2.1",
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        complexity: "O(N) where N is the number of keys that will be touched.",
        syntax: "key [key ...]",
        handler: touch,
        tips: "request_policy:multi_shard response_policy:agg_sum",
        ..BASE
    },
    Command {
        name: "copy",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "keyspace write slow",
        keys: TWO_KEYS,
        key_specs: &[KeySpecDef::at(1, "RO access"), KeySpecDef::at(2, "OW update")],
        since: "6.2.0",
        summary: "Copy a key",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        syntax: "source destination [DB destination-db] [REPLACE]",
        handler: copy,
        ..BASE
    },
    Command {
        name: "select",
        arity: 2,
        flags: flag::LOADING | flag::STALE | flag::FAST,
        acl: "connection fast",
        group: Group::Connection,
        summary: "Change the selected database for the current connection",
        syntax: "index",
        handler: select,
        ..BASE
    },
    Command {
        name: "swapdb",
        arity: 3,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast dangerous",
        group: Group::Server,
        since: "4.0.0",
        summary: "Swaps two Redis databases",
        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        syntax: "index1 index2",
        handler: swapdb,
        ..BASE
    },
    Command {
        name: "move",
        arity: 3,
        flags: flag::WRITE | flag::FAST,
        acl: "keyspace write fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        summary: "Move a key to another database",
        syntax: "key db",
        handler: move_cmd,
        ..BASE
    },
    Command {
        name: "flushdb",
        arity: -1,
        flags: flag::WRITE,
        acl: "keyspace write slow dangerous",
        group: Group::Server,
        summary: "Remove all keys from the current database",
        complexity: "O(N) where N is the number of keys in the selected database",
        syntax: "[ASYNC{@4.0.0} | SYNC{@6.2.0}]{async}",
        handler: flushdb,
        tips: "request_policy:all_shards response_policy:all_succeeded",
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        ..BASE
    },
    Command {
        name: "flushall",
        arity: -1,
        flags: flag::WRITE,
        acl: "keyspace write slow dangerous",
        group: Group::Server,
        summary: "Remove all keys from all databases",
        complexity: "O(N) where N is the total number of keys in all databases",
        syntax: "[ASYNC{@4.0.0} | SYNC{@6.2.0}]{async}",
        handler: flushall,
        tips: "request_policy:all_shards response_policy:all_succeeded",
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        ..BASE
    },
    Command {
        name: "dbsize",
        arity: 1,
        flags: flag::READONLY | flag::FAST,
        acl: "keyspace read fast",
        group: Group::Server,
        summary: "Return the number of keys in the selected database",
        handler: dbsize,
        tips: "request_policy:all_shards response_policy:agg_sum",
        ..BASE
    },
    Command {
        name: "object",
        arity: -2,
        acl: "slow",
        since: "2.2.3",
        summary: "A container for object introspection commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: OBJECT_SUBCOMMANDS,
        ..BASE
    },
    // Valkey 9.0 (not in Redis 7.0).
    Command {
        name: "delifeq",
        arity: 3,
        flags: flag::WRITE | flag::FAST,
        acl: "write string fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        group: Group::String,
        since: "9.0.0",
        summary: "Delete key if value matches string.",
        syntax: "key value",
        handler: delifeq,
        ..BASE
    },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static OBJECT_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "encoding",
        arity: 3,
        flags: flag::READONLY,
        acl: "keyspace read slow",
        keys: KEY_AT_2,
        key_specs: &[KeySpecDef::at(2, "RO")],
        since: "2.2.3",
        summary: "Inspect the internal encoding of a Redis object",
        syntax: "key",
        handler: object_encoding,
        tips: "nondeterministic_output",
        ..BASE
    },
    Command {
        name: "freq",
        arity: 3,
        flags: flag::READONLY,
        acl: "keyspace read slow",
        keys: KEY_AT_2,
        key_specs: &[KeySpecDef::at(2, "RO")],
        since: "4.0.0",
        summary: "Get the logarithmic access frequency counter of a Redis object",
        syntax: "key",
        handler: object_freq,
        tips: "nondeterministic_output",
        ..BASE
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "keyspace slow",
        since: "6.2.0",
        summary: "Show helpful text about the different subcommands",
        handler: object_help,
        ..BASE
    },
    Command {
        name: "idletime",
        arity: 3,
        flags: flag::READONLY,
        acl: "keyspace read slow",
        keys: KEY_AT_2,
        key_specs: &[KeySpecDef::at(2, "RO")],
        since: "2.2.3",
        summary: "Get the time since a Redis object was last accessed",
        syntax: "key",
        handler: object_idletime,
        tips: "nondeterministic_output",
        ..BASE
    },
    Command {
        name: "refcount",
        arity: 3,
        flags: flag::READONLY,
        acl: "keyspace read slow",
        keys: KEY_AT_2,
        key_specs: &[KeySpecDef::at(2, "RO")],
        since: "2.2.3",
        summary: "Get the number of references to the value of the key",
        syntax: "key",
        handler: object_refcount,
        tips: "nondeterministic_output",
        ..BASE
    },
];

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

/// Validates a database index the way Redis's `selectDb` does.
fn db_index(ctx: &Ctx, id: i32) -> Option<usize> {
    if id < 0 || id as usize >= ctx.settings().db_count() {
        None
    } else {
        Some(id as usize)
    }
}

/// Whether Redis would share this integer value (`OBJ_SHARED_INTEGERS`): then OBJECT REFCOUNT and DEBUG OBJECT
/// report `INT_MAX`. Sharing is off when an LRU/LFU eviction policy needs per-object access data.
pub(crate) fn is_shared_int(config: &crate::config::Config, e: &Entry) -> bool {
    use crate::config::MaxmemoryPolicy as P;
    let policy_needs_own = config.maxmemory > 0
        && matches!(config.maxmemory_policy, P::AllKeysLru | P::VolatileLru | P::AllKeysLfu | P::VolatileLfu);
    !policy_needs_own && e.is_shared_int()
}

/// Idle time of an entry in milliseconds from its LRU field (Redis's `estimateObjectIdleTime`).
pub(crate) fn idle_ms(lru_clock: u32, lru: u32) -> u64 {
    crate::state::evict::pool::estimate_idle_ms(lru_clock, lru)
}

// ---------------------------------------------------------------------------------------------------------------
// Handlers.

/// DEL key [key ...] (also UNLINK)
fn del(ctx: &mut Ctx, args: Args) {
    let lazy = ctx.config().lazyfree_lazy_user_del;
    del_generic(ctx, args, lazy);
}

/// UNLINK key [key ...]: DEL whose big values are freed by the lazy-free thread.
fn unlink(ctx: &mut Ctx, args: Args) {
    del_generic(ctx, args, true);
}

fn del_generic(ctx: &mut Ctx, args: Args, lazy: bool) {
    let mut n = 0;
    for i in 1..args.len() {
        let key = args.get(i);
        ctx.lookup(Access::QUIET, key);
        if ctx.unlink_key(key, lazy) {
            ctx.notify(nc::GENERIC, "del", key);
            n += 1;
        }
    }
    ctx.reply().int(n);
}

/// DELIFEQ key value (Valkey 9.0): deletes the key when it holds a string equal to `value`. `:1` when deleted,
/// `:0` when missing or different, WRONGTYPE for another type. Propagated as `DEL key`, which a replica of any
/// version replays.
fn delifeq(ctx: &mut Ctx, args: Args) {
    let (key, value) = (args.get(1), args.get(2));
    let mut nb = [0u8; 24];
    let matched = match ctx.lookup(Access::WRITE, key).0 {
        None => false,
        Some(e) => match e.as_str() {
            Some(s) => s.bytes(&mut nb) == value,
            None => {
                ctx.reply().err_wrongtype();
                return;
            }
        },
    };
    if !matched {
        ctx.reply().int(0);
        return;
    }
    let lazy = ctx.config().lazyfree_lazy_user_del;
    if ctx.unlink_key(key, lazy) {
        ctx.notify(nc::GENERIC, "del", key);
        ctx.propagation().rewrite(&[b"DEL".as_slice(), key]);
    }
    ctx.reply().int(1);
}

/// EXISTS key [key ...]
fn exists(ctx: &mut Ctx, args: Args) {
    let mut n = 0;
    for i in 1..args.len() {
        if ctx.lookup(Access::READ_NOTOUCH, args.get(i)).0.is_some() {
            n += 1;
        }
    }
    ctx.reply().int(n);
}

/// TYPE key
fn type_cmd(ctx: &mut Ctx, args: Args) {
    let name = ctx.lookup(Access::READ_NOTOUCH, args.get(1)).0.map_or("none", |e| e.type_name());
    ctx.reply().simple(name);
}

fn rename_generic(ctx: &mut Ctx, args: Args, nx: bool) {
    let (src, dst) = (args.get(1), args.get(2));
    if ctx.lookup(Access::WRITE, src).0.is_none() {
        ctx.reply().err_no_such_key();
        return;
    }
    if src == dst {
        if nx {
            ctx.reply().int(0)
        } else {
            ctx.reply().ok()
        }
        return;
    }
    let dst_exists = ctx.lookup(Access::WRITE, dst).0.is_some();
    if dst_exists && nx {
        ctx.reply().int(0);
        return;
    }
    let (mut from, mut to) = (ctx.open_write(src), ctx.open_write(dst));
    let expire = ctx.db().expire_of(src);
    let Some(old) = ctx.door(&from).remove() else {
        from.untouched();
        to.untouched();
        return;
    };
    let replaced = if dst_exists { ctx.door(&to).delete_typed() } else { None };
    let new_type = old.obj_type();
    ctx.door(&to).insert_replacing(old.with_key(dst));
    if let Some(when) = expire {
        ctx.door(&to).set_expire(when);
    }
    // Both keys changed, but Redis counts a rename as one change.
    ctx.changed(&mut from, 1);
    ctx.changed(&mut to, 0);
    ctx.notify(nc::GENERIC, "rename_from", src);
    ctx.notify(nc::GENERIC, "rename_to", dst);
    // Redis 8.2's `renameGenericCommand`: the overwritten destination's events follow `rename_to`.
    if let Some(old) = replaced {
        let db = ctx.client().db;
        ctx.notify_overwritten(dst, db, old, new_type);
    }
    if nx {
        ctx.reply().int(1)
    } else {
        ctx.reply().ok()
    }
}

// Thin handlers over one generic function (the architecture guide's style 8): alike by design.
/// RENAME key newkey
fn rename(ctx: &mut Ctx, args: Args) {
    rename_generic(ctx, args, false)
}

/// RENAMENX key newkey
fn renamenx(ctx: &mut Ctx, args: Args) {
    rename_generic(ctx, args, true)
}

/// KEYS pattern
fn keys(ctx: &mut Ctx, args: Args) {
    let pattern = args.get(1);
    let all = pattern == b"*";
    let now = ctx.now_ms();
    let (db, r) = ctx.db_and_reply();
    let mut found: Vec<&[u8]> = Vec::new();
    for e in db.iter() {
        let k = e.key();
        if !(all || glob_match(pattern, k, false)) {
            continue;
        }
        // Expired keys are hidden but not deleted here, as in Redis.
        if e.has_expire() && db.expire_of(k).is_some_and(|w| w <= now) {
            continue;
        }
        found.push(k);
    }
    r.deferred_len();
    r.array(found.len());
    for k in found {
        r.bulk(k);
        // Redis's KEYS stops once the client is flagged for closing (its output limit).
        if r.is_cut() {
            break;
        }
    }
}

/// Parses a SCAN cursor with `strtoul` rules, as Redis's `parseScanCursorOrReply` does: optional sign (a minus
/// wraps around), decimal digits, nothing else; an empty string is cursor 0.
pub(crate) fn parse_cursor(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let v = crate::util::decimal_u64(digits)?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan(ctx: &mut Ctx, args: Args) {
    let Some(cursor) = parse_cursor(args.get(1)) else {
        ctx.reply().error("ERR invalid cursor");
        return;
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "count") && more {
            let Some(c) = int_arg(ctx.reply(), args.get(i + 1)) else { return };
            if c < 1 {
                ctx.reply().err_syntax();
                return;
            }
            count = c;
        } else if args.is(i, "match") && more {
            let p = args.get(i + 1);
            pattern = if p == b"*" { None } else { Some(p) };
        } else if args.is(i, "type") && more {
            type_name = Some(args.get(i + 1));
        } else {
            super::shared::scan_option_error(ctx.reply(), args.get(i));
            return;
        }
        i += 2;
    }
    let mut batch: Vec<Vec<u8>> = Vec::new();
    // One bucket, then up to 10 * COUNT more while the batch is short, as Redis bounds a step over a sparse table.
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let next = ctx.db().scan_count(cursor, count, count.saturating_mul(10).saturating_add(1), |e| {
        batch.push(e.key().to_vec());
        true
    });
    batch.retain(|k| {
        if let Some(p) = pattern {
            if !glob_match(p, k, false) {
                return false;
            }
        }
        if let Some(t) = type_name {
            let name = ctx.lookup(Access::READ_NOTOUCH, k).0.map_or("none", |e| e.type_name());
            if !t.eq_ignore_ascii_case(name.as_bytes()) {
                return false;
            }
        }
        ctx.lookup(Access::QUIET, k).0.is_some()
    });
    let r = ctx.reply();
    r.array(2);
    r.bulk(next.to_string().as_bytes());
    r.array(batch.len());
    for k in &batch {
        r.bulk(k);
    }
}

/// RANDOMKEY
fn randomkey(ctx: &mut Ctx, _args: Args) {
    let now = ctx.now_ms();
    match ctx.random_key(now) {
        Some(k) => ctx.reply().bulk(&k),
        None => ctx.reply().null(),
    }
}

const EXP_NX: u32 = 1;
const EXP_XX: u32 = 2;
const EXP_GT: u32 = 4;
const EXP_LT: u32 = 8;

/// Redis's `expireGenericCommand`: `base_ms` is 0 for the absolute forms, `seconds` true when the time is in
/// seconds (Redis's `unit` is `UNIT_SECONDS`).
fn expire_generic(ctx: &mut Ctx, args: Args, base_ms: i64, seconds: bool, cmd: &str) {
    let key = args.get(1);
    let mut flags = 0u32;
    for i in 3..args.len() {
        let opt = args.get(i);
        flags |= if opt.eq_ignore_ascii_case(b"nx") {
            EXP_NX
        } else if opt.eq_ignore_ascii_case(b"xx") {
            EXP_XX
        } else if opt.eq_ignore_ascii_case(b"gt") {
            EXP_GT
        } else if opt.eq_ignore_ascii_case(b"lt") {
            EXP_LT
        } else {
            let text = String::from_utf8_lossy(opt.split(|&b| b == 0).next().unwrap_or(b"")).into_owned();
            ctx.reply().error(&format!("ERR Unsupported option {text}"));
            return;
        };
    }
    if flags & EXP_NX != 0 && flags & (EXP_XX | EXP_GT | EXP_LT) != 0 {
        ctx.reply().error("ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if flags & EXP_GT != 0 && flags & EXP_LT != 0 {
        ctx.reply().error("ERR GT and LT options at the same time are not compatible");
        return;
    }
    let Some(mut when) = int_arg(ctx.reply(), args.get(2)) else { return };
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            err_expire_time(ctx.reply(), cmd);
            return;
        }
        when *= 1000;
    }
    if when > i64::MAX - base_ms {
        err_expire_time(ctx.reply(), cmd);
        return;
    }
    when += base_ms;
    if ctx.lookup(Access::WRITE, key).0.is_none() {
        ctx.reply().int(0);
        return;
    }
    if flags != 0 {
        // No TTL counts as an infinite one.
        let current = ctx.db().expire_of(key);
        let refuse = (flags & EXP_NX != 0 && current.is_some())
            || (flags & EXP_XX != 0 && current.is_none())
            || (flags & EXP_GT != 0 && current.is_none_or(|c| when <= c))
            || (flags & EXP_LT != 0 && current.is_some_and(|c| when >= c));
        if refuse {
            ctx.reply().int(0);
            return;
        }
    }
    let now = ctx.now_ms();
    // Recorded before the deletion below (WATCH sees the key still present).
    let mut w = ctx.open_write(key);
    ctx.changed(&mut w, 1);
    // A replica never deletes on its own (Redis's checkAlreadyExpired): the master's DEL follows. Nor does an
    // AOF being loaded: a later command of the file may still write to the key.
    if when <= now && ctx.settings().deletes_already_expired() {
        ctx.door(&w).delete_expired_by_command();
        ctx.notify(nc::GENERIC, "del", key);
        let verb = ctx.settings().del_verb();
        ctx.propagation().rewrite(&[verb, key]);
    } else {
        ctx.door(&w).set_expire(when);
        ctx.notify(nc::GENERIC, "expire", key);
        // Propagated as PEXPIREAT with the absolute time, options kept.
        if ctx.propagation().enabled() {
            let mut nb = [0u8; 24];
            let ms = crate::util::itoa_buf(when, &mut nb);
            let mut argv: Vec<&[u8]> = vec![b"PEXPIREAT", key, ms];
            argv.extend(args.iter().skip(3));
            ctx.propagation().rewrite(&argv);
        }
    }
    ctx.reply().int(1);
}

/// EXPIRE key seconds [NX | XX | GT | LT]
fn expire(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, true, "expire")
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
fn pexpire(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    expire_generic(ctx, args, now, false, "pexpire")
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
fn expireat(ctx: &mut Ctx, args: Args) {
    expire_generic(ctx, args, 0, true, "expireat")
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
fn pexpireat(ctx: &mut Ctx, args: Args) {
    expire_generic(ctx, args, 0, false, "pexpireat")
}

/// Redis's `ttlGenericCommand`.
fn ttl_generic(ctx: &mut Ctx, args: Args, in_ms: bool, absolute: bool) {
    let key = args.get(1);
    if ctx.lookup(Access::READ_NOTOUCH, key).0.is_none() {
        ctx.reply().int(-2);
        return;
    }
    let now = ctx.now_ms();
    let v = match ctx.db().expire_of(key) {
        None => -1,
        Some(when) => {
            let t = if absolute { when } else { when.saturating_sub(now).max(0) };
            if in_ms {
                t
            } else {
                // Rounded to the nearest second without overflowing for deadlines near i64::MAX
                // (PEXPIREAT k 9223372036854775807 then EXPIRETIME k replies 9223372036854776).
                t / 1000 + i64::from(t % 1000 >= 500)
            }
        }
    };
    ctx.reply().int(v);
}

/// TTL key
fn ttl(ctx: &mut Ctx, args: Args) {
    ttl_generic(ctx, args, false, false)
}

/// PTTL key
fn pttl(ctx: &mut Ctx, args: Args) {
    ttl_generic(ctx, args, true, false)
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx, args: Args) {
    ttl_generic(ctx, args, false, true)
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx, args: Args) {
    ttl_generic(ctx, args, true, true)
}

/// PERSIST key
fn persist(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let mut w = ctx.open_write(key);
    if ctx.lookup(Access::WRITE, key).0.is_some() && ctx.door(&w).persist() {
        ctx.changed(&mut w, 1);
        ctx.notify(nc::GENERIC, "persist", key);
        ctx.reply().int(1);
    } else {
        w.untouched();
        ctx.reply().int(0);
    }
}

/// TOUCH key [key ...]
///
/// TOUCH updates access data even for a client in `CLIENT NO-TOUCH` mode: that is its purpose.
fn touch(ctx: &mut Ctx, args: Args) {
    let saved = ctx.client().flags;
    ctx.client_mut().flags &= !crate::net::client::flags::NO_TOUCH;
    let mut n = 0;
    for i in 1..args.len() {
        if ctx.lookup(Access::READ, args.get(i)).0.is_some() {
            n += 1;
        }
    }
    ctx.client_mut().flags = saved;
    ctx.reply().int(n);
}

/// COPY source destination [DB destination-db] \[REPLACE\]
fn copy(ctx: &mut Ctx, args: Args) {
    let (src, dst) = (args.get(1), args.get(2));
    let src_db = ctx.client().db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        if args.is(j, "replace") {
            replace = true;
        } else if args.is(j, "db") && j + 1 < args.len() {
            let Some(id) = i32_arg(ctx.reply(), args.get(j + 1), None) else { return };
            match db_index(ctx, id) {
                Some(i) => dst_db = i,
                None => {
                    ctx.reply().error("ERR DB index is out of range");
                    return;
                }
            }
            j += 1;
        } else {
            ctx.reply().err_syntax();
            return;
        }
        j += 1;
    }
    if single_db_cluster(ctx) && (src_db != 0 || dst_db != 0) {
        ctx.reply().error("ERR Copying to another database is not allowed in cluster mode");
        return;
    }
    if src_db == dst_db && src == dst {
        ctx.reply().error("ERR source and destination objects are the same");
        return;
    }
    let lru = ctx.settings().fresh_lru();
    let Some(copy) = ctx.lookup(Access::READ, src).0.map(|e| e.clone_with_key(dst)) else {
        ctx.reply().int(0);
        return;
    };
    let expire = ctx.db().expire_of(src);
    let mut w = ctx.open_write_in(dst_db, dst);
    let dst_exists = ctx.exists_in(dst_db, dst);
    if dst_exists && !replace {
        w.untouched();
        ctx.reply().int(0);
        return;
    }
    // A module value without a copy callback (RedisBloom's types) cannot be duplicated (`moduleTypeDupOrReply`),
    // which Redis finds after the destination check and before it replaces anything.
    if matches!(copy.value(), Some(crate::keyspace::object::Value::Prob(_))) {
        w.untouched();
        ctx.reply().error("ERR not supported for this module key");
        return;
    }
    let replaced = if dst_exists { ctx.door(&w).delete_typed() } else { None };
    let mut copy = copy;
    copy.set_lru(lru);
    // Redis's COPY duplicates the object, so even a shared integer gets an object (refcount 1) of its own.
    copy.set_unshared();
    if let Some(len) = copy.raw_capacity().and_then(|_| copy.as_str()).map(|s| s.len()) {
        super::admin::set_raw_capacity(&mut copy, super::admin::sds_new_alloc(len));
    }
    let new_type = copy.obj_type();
    ctx.door(&w).insert_replacing(copy);
    if let Some(when) = expire {
        ctx.door(&w).set_expire(when);
    }
    ctx.changed(&mut w, 1);
    ctx.notify_db(nc::GENERIC, "copy_to", dst, dst_db);
    // Redis 8.2's `copyCommand`: the replaced destination's events follow `copy_to`.
    if let Some(old) = replaced {
        ctx.notify_overwritten(dst, dst_db, old, new_type);
    }
    ctx.reply().int(1);
}

/// A cluster node that serves database 0 alone (Redis 7.0's cluster mode, Valkey's `cluster-databases 1`), where
/// SELECT, MOVE and COPY ... DB answer Redis 7.0's refusals. With `cluster-databases` N > 1 they work as outside
/// cluster mode on databases 0..N-1 (Valkey 9.0); SWAPDB is refused in cluster mode either way.
fn single_db_cluster(ctx: &Ctx) -> bool {
    ctx.settings().in_cluster() && !ctx.settings().cluster_multi_db()
}

/// SELECT index
fn select(ctx: &mut Ctx, args: Args) {
    let Some(id) = i32_arg(ctx.reply(), args.get(1), None) else { return };
    if id != 0 && single_db_cluster(ctx) {
        ctx.reply().error("ERR SELECT is not allowed in cluster mode");
        return;
    }
    match db_index(ctx, id) {
        Some(i) => {
            ctx.client_mut().db = i;
            ctx.reply().ok();
        }
        None => ctx.reply().error("ERR DB index is out of range"),
    }
}

/// SWAPDB index1 index2
fn swapdb(ctx: &mut Ctx, args: Args) {
    if ctx.settings().in_cluster() {
        ctx.reply().error("ERR SWAPDB is not allowed in cluster mode");
        return;
    }
    let Some(a) = i32_arg(ctx.reply(), args.get(1), Some("ERR invalid first DB index")) else { return };
    let Some(b) = i32_arg(ctx.reply(), args.get(2), Some("ERR invalid second DB index")) else { return };
    let (Some(a), Some(b)) = (db_index(ctx, a), db_index(ctx, b)) else {
        ctx.reply().error("ERR DB index is out of range");
        return;
    };
    ctx.swap_dbs(a, b);
    ctx.count_changes(1);
    ctx.reply().ok();
}

/// MOVE key db
fn move_cmd(ctx: &mut Ctx, args: Args) {
    if single_db_cluster(ctx) {
        ctx.reply().error("ERR MOVE is not allowed in cluster mode");
        return;
    }
    let key = args.get(1);
    let Some(id) = i32_arg(ctx.reply(), args.get(2), None) else { return };
    let Some(dst) = db_index(ctx, id) else {
        ctx.reply().error("ERR DB index is out of range");
        return;
    };
    if dst == ctx.client().db {
        ctx.reply().error("ERR source and destination objects are the same");
        return;
    }
    if ctx.lookup(Access::WRITE, key).0.is_none() {
        ctx.reply().int(0);
        return;
    }
    if ctx.exists_in(dst, key) {
        ctx.reply().int(0);
        return;
    }
    let (mut from, mut to) = (ctx.open_write(key), ctx.open_write_in(dst, key));
    let expire = ctx.db().expire_of(key);
    let Some(e) = ctx.door(&from).remove() else {
        from.untouched();
        to.untouched();
        return;
    };
    ctx.door(&to).insert(e);
    if let Some(when) = expire {
        ctx.door(&to).set_expire(when);
    }
    ctx.changed(&mut from, 1);
    ctx.changed(&mut to, 0);
    ctx.notify(nc::GENERIC, "move_from", key);
    ctx.notify_db(nc::GENERIC, "move_to", key, dst);
    ctx.reply().int(1);
}

/// Parses FLUSHDB/FLUSHALL's optional `ASYNC | SYNC`: `Some(lazy)` (ASYNC, or no argument with
/// `lazyfree-lazy-user-flush yes`), `None` after replying a syntax error.
fn flush_mode(ctx: &mut Ctx, args: Args) -> Option<bool> {
    if args.len() == 1 {
        return Some(ctx.config().lazyfree_lazy_user_flush);
    }
    if args.len() == 2 && args.is(1, "sync") {
        return Some(false);
    }
    if args.len() == 2 && args.is(1, "async") {
        return Some(true);
    }
    ctx.reply().err_syntax();
    None
}

/// A flush's freeing: in the lazy-free thread, or here with the memory given back to the system.
fn emptying(lazy: bool) -> crate::state::Emptying {
    if lazy {
        crate::state::Emptying::Lazy
    } else {
        crate::state::Emptying::Sync
    }
}

/// FLUSHDB [ASYNC | SYNC]
fn flushdb(ctx: &mut Ctx, args: Args) {
    let Some(lazy) = flush_mode(ctx, args) else { return };
    let db = ctx.client().db;
    let removed = ctx.empty_data(Some(db), emptying(lazy));
    ctx.count_changes(removed);
    // Propagated even when the database was already empty, as Redis.
    ctx.propagation().force();
    ctx.reply().ok();
}

/// FLUSHALL [ASYNC | SYNC]
fn flushall(ctx: &mut Ctx, args: Args) {
    let Some(lazy) = flush_mode(ctx, args) else { return };
    let removed = ctx.empty_data(None, emptying(lazy));
    // One change per key removed (Redis 7.0.15 no longer counts the flush itself); propagated even on an empty
    // dataset.
    ctx.count_changes(removed);
    ctx.propagation().force();
    // With save points configured, Redis saves the (now empty) dataset right away.
    ctx.request_action(crate::state::Action::SaveAfterFlushAll);
    ctx.reply().ok();
}

/// DBSIZE
fn dbsize(ctx: &mut Ctx, _args: Args) {
    let n = ctx.db().len();
    ctx.reply().int(n as i64);
}

/// Looks up OBJECT's key (no touch); replies null when missing.
fn object_lookup<'c>(ctx: &'c mut Ctx, args: Args) -> Option<&'c Entry> {
    let found = ctx.lookup(Access::READ_NOTOUCH, args.get(2)).0.is_some();
    if !found {
        ctx.reply().null();
        return None;
    }
    ctx.db().find(args.get(2))
}

/// OBJECT ENCODING key
fn object_encoding(ctx: &mut Ctx, args: Args) {
    let Some(e) = object_lookup(ctx, args) else { return };
    let name = e.encoding().name();
    ctx.reply().bulk(name.as_bytes());
}

/// OBJECT FREQ key
fn object_freq(ctx: &mut Ctx, args: Args) {
    let Some(e) = object_lookup(ctx, args) else { return };
    let field = e.lru();
    if !ctx.config().maxmemory_policy.is_lfu() {
        ctx.reply().error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    let c = crate::keyspace::object::lfu_decayed_counter(field, ctx.config().lfu_decay_time, ctx.now_ms());
    ctx.reply().int(c as i64);
}

/// OBJECT IDLETIME key
fn object_idletime(ctx: &mut Ctx, args: Args) {
    let Some(e) = object_lookup(ctx, args) else { return };
    let lru = e.lru();
    if ctx.config().maxmemory_policy.is_lfu() {
        ctx.reply().error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    let idle = idle_ms(ctx.settings().lru_clock(), lru) / 1000;
    ctx.reply().int(idle as i64);
}

/// OBJECT REFCOUNT key
fn object_refcount(ctx: &mut Ctx, args: Args) {
    if object_lookup(ctx, args).is_none() {
        return;
    }
    let shared = ctx.db().find(args.get(2)).is_some_and(|e| is_shared_int(ctx.config(), e));
    ctx.reply().int(if shared { i32::MAX as i64 } else { 1 });
}

/// OBJECT HELP
fn object_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "object",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
}

#[cfg(test)]
mod tests;
