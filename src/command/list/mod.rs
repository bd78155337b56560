//! List commands (Redis `t_list.c`): pushes and pops (with counts), ranges, positional edits, LPOS, the moves
//! between lists (LMOVE, and Redis 8.10's LMOVEM), LMPOP, and the blocking forms BLPOP/BRPOP/BLMOVE/BRPOPLPUSH,
//! BLMPOP and BLMOVEM.
//!
//! Argument checks run in Redis's order (syntax, then numbers, then the key lookup and its type), because the
//! first failing check decides which error a client sees. A list emptied by a pop or removal is deleted.
//!
//! The blocking commands try to serve the call at once; when every key is empty they hand a block request to
//! [`crate::blocking`], and the server re-runs the same handler once one of the keys receives data (see that
//! module for the protocol). While a re-run is serving one particular key, handlers only consider that key, which
//! is how Redis 7.0 serves the key that became ready rather than the first non-empty one.

mod movem;

use super::shared::int_arg;
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, KeyWrite, BASE, ONE_KEY};
use crate::blocking::{BlockKind, TimeoutReply};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::{ObjType, StrRef};
use crate::keyspace::types::list::List;
use crate::resp::reply::Reply;
use crate::util::parse_i64;

const TWO_KEYS: KeySpec = KeySpec { first: 1, last: 2, step: 1 };
const BLPOP_KEYS: KeySpec = KeySpec { first: 1, last: -2, step: 1 };

const PUSH_HISTORY: &[(&str, &str)] = &[("2.4.0", "Accepts multiple `element` arguments.")];
const PUSHX_HISTORY: &[(&str, &str)] = &[("4.0.0", "Accepts multiple `element` arguments.")];
const POP_HISTORY: &[(&str, &str)] = &[("6.2.0", "Added the `count` argument.")];
const TIMEOUT_HISTORY: &[(&str, &str)] = &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")];
const PUSH_COMPLEXITY: &str =
    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
const MPOP_COMPLEXITY: &str = "O(N+M) where N is the number of provided keys and M is the number of elements returned.";

const LIST: Command = Command { group: Group::List, keys: ONE_KEY, ..BASE };
/// LMOVE, RPOPLPUSH and LMOVEM: pop from the first key, push to the second.
const MOVE: Command = Command {
    flags: flag::WRITE | flag::DENYOOM,
    acl: "write list slow",
    keys: TWO_KEYS,
    key_specs: &[KeySpecDef::at(1, "RW access delete"), KeySpecDef::at(2, "RW insert")],
    ..LIST
};
/// BLMOVE and BRPOPLPUSH (BLMOVEM has no `noscript`, as in Redis 8.10).
const BLOCKING_MOVE: Command = Command {
    flags: flag::WRITE | flag::DENYOOM | flag::NOSCRIPT | flag::BLOCKING,
    acl: "write list slow blocking",
    ..MOVE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "lpush",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write list fast",
        summary: "Prepend one or multiple elements to a list",
        complexity: PUSH_COMPLEXITY,
        syntax: "key element [element ...]",
        handler: lpush,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        history: PUSH_HISTORY,
        ..LIST
    },
    Command {
        name: "rpush",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write list fast",
        summary: "Append one or multiple elements to a list",
        complexity: PUSH_COMPLEXITY,
        syntax: "key element [element ...]",
        handler: rpush,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        history: PUSH_HISTORY,
        ..LIST
    },
    Command {
        name: "lpushx",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write list fast",
        since: "2.2.0",
        summary: "Prepend an element to a list, only if the list exists",
        complexity: PUSH_COMPLEXITY,
        syntax: "key element [element ...]",
        handler: lpushx,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        history: PUSHX_HISTORY,
        ..LIST
    },
    Command {
        name: "rpushx",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write list fast",
        since: "2.2.0",
        summary: "Append an element to a list, only if the list exists",
        complexity: PUSH_COMPLEXITY,
        syntax: "key element [element ...]",
        handler: rpushx,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        history: PUSHX_HISTORY,
        ..LIST
    },
    Command {
        name: "lpop",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write list fast",
        summary: "Remove and get the first elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        syntax: "key [count]{@6.2.0}",
        handler: lpop,
        key_specs: &[KeySpecDef::at(1, "RW access delete")],
        history: POP_HISTORY,
        ..LIST
    },
    Command {
        name: "rpop",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write list fast",
        summary: "Remove and get the last elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        syntax: "key [count]{@6.2.0}",
        handler: rpop,
        key_specs: &[KeySpecDef::at(1, "RW access delete")],
        history: POP_HISTORY,
        ..LIST
    },
    Command {
        name: "llen",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read list fast",
        summary: "Get the length of a list",
        syntax: "key",
        handler: llen,
        key_specs: &[KeySpecDef::at(1, "RO")],
        ..LIST
    },
    Command {
        name: "lrange",
        arity: 4,
        flags: flag::READONLY,
        acl: "read list slow",
        summary: "Get a range of elements from a list",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        syntax: "key start stop",
        handler: lrange,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        ..LIST
    },
    Command {
        name: "lindex",
        arity: 3,
        flags: flag::READONLY,
        acl: "read list slow",
        summary: "Get an element from a list by its index",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        syntax: "key index",
        handler: lindex,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        ..LIST
    },
    Command {
        name: "lset",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write list slow",
        summary: "Set the value of an element in a list by its index",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        syntax: "key index element",
        handler: lset,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..LIST
    },
    Command {
        name: "linsert",
        arity: 5,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write list slow",
        since: "2.2.0",
        summary: "Insert an element before or after another element in a list",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        syntax: "key <BEFORE | AFTER>{where} pivot element",
        handler: linsert,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        ..LIST
    },
    Command {
        name: "lrem",
        arity: 4,
        flags: flag::WRITE,
        acl: "write list slow",
        summary: "Remove elements from a list",
        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
        syntax: "key count element",
        handler: lrem,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        ..LIST
    },
    Command {
        name: "ltrim",
        arity: 4,
        flags: flag::WRITE,
        acl: "write list slow",
        summary: "Trim a list to the specified range",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        syntax: "key start stop",
        handler: ltrim,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        ..LIST
    },
    Command {
        name: "lpos",
        arity: -3,
        flags: flag::READONLY,
        acl: "read list slow",
        since: "6.0.6",
        summary: "Return the index of matching elements on a list",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        syntax: "key element [RANK rank{:integer}] [COUNT num-matches{:integer}] [MAXLEN len]",
        handler: lpos,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        ..LIST
    },
    Command {
        name: "lmove",
        arity: 5,
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it",
        syntax: "source destination <LEFT | RIGHT>{wherefrom} <LEFT | RIGHT>{whereto}",
        handler: lmove,
        ..MOVE
    },
    Command {
        name: "rpoplpush",
        arity: 3,
        since: "1.2.0",
        summary: "Remove the last element in a list, prepend it to another list and return it",
        syntax: "source destination",
        handler: rpoplpush,
        ..MOVE
    },
    Command {
        name: "lmpop",
        arity: -4,
        flags: flag::WRITE,
        acl: "write list slow",
        keys: super::NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RW access delete")],
        since: "7.0.0",
        summary: "Pop elements from a list",
        complexity: MPOP_COMPLEXITY,
        syntax: "numkeys key [key ...] <LEFT | RIGHT>{where} [COUNT count]",
        handler: lmpop,
        getkeys: Some(lmpop_keys),
        ..LIST
    },
    Command {
        name: "blpop",
        arity: -3,
        flags: flag::WRITE | flag::NOSCRIPT | flag::BLOCKING,
        acl: "write list slow blocking",
        keys: BLPOP_KEYS,
        key_specs: &[KeySpecDef::range(1, -2, 1, "RW access delete")],
        since: "2.0.0",
        summary: "Remove and get the first element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        syntax: "key [key ...] timeout{:double}",
        handler: blpop,
        history: TIMEOUT_HISTORY,
        ..LIST
    },
    Command {
        name: "brpop",
        arity: -3,
        flags: flag::WRITE | flag::NOSCRIPT | flag::BLOCKING,
        acl: "write list slow blocking",
        keys: BLPOP_KEYS,
        key_specs: &[KeySpecDef::range(1, -2, 1, "RW access delete")],
        since: "2.0.0",
        summary: "Remove and get the last element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        syntax: "key [key ...] timeout{:double}",
        handler: brpop,
        history: TIMEOUT_HISTORY,
        ..LIST
    },
    Command {
        name: "blmove",
        arity: 6,
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        syntax: "source destination <LEFT | RIGHT>{wherefrom} <LEFT | RIGHT>{whereto} timeout{:double}",
        handler: blmove,
        ..BLOCKING_MOVE
    },
    Command {
        name: "lmovem",
        arity: -5,
        since: "8.10.0",
        summary: "Moves up to (or exactly) a number of elements from one list to another and returns them. Deletes the source list if it becomes empty.",
        complexity: "O(N) where N is the number of elements moved.",
        syntax: "source destination <LEFT | RIGHT>{wherefrom} <LEFT | RIGHT>{whereto} [<COUNT count{:integer} | EXACTLY exactly{:integer}>{selector} <OBO | BULK>{ordering}]{how-many}",
        handler: movem::lmovem,
        ..MOVE
    },
    Command {
        name: "blmovem",
        arity: -6,
        flags: flag::WRITE | flag::DENYOOM | flag::BLOCKING,
        since: "8.10.0",
        summary: "Moves up to (or exactly) a number of elements from one list to another and returns them. Blocks until the elements are available otherwise. Deletes the source list if it becomes empty.",
        complexity: "O(N) where N is the number of elements moved.",
        syntax: "source destination <LEFT | RIGHT>{wherefrom} <LEFT | RIGHT>{whereto} timeout{:double} [<COUNT count{:integer} | EXACTLY exactly{:integer}>{selector} <OBO | BULK>{ordering}]{how-many}",
        handler: movem::blmovem,
        ..BLOCKING_MOVE
    },
    Command {
        name: "brpoplpush",
        arity: 4,
        since: "2.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        syntax: "source destination timeout{:double}",
        handler: brpoplpush,
        history: TIMEOUT_HISTORY,
        ..BLOCKING_MOVE
    },
    Command {
        name: "blmpop",
        arity: -5,
        flags: flag::WRITE | flag::BLOCKING,
        acl: "write list slow blocking",
        keys: super::NO_KEYS,
        key_specs: &[KeySpecDef::keynum(2, "RW access delete")],
        since: "7.0.0",
        summary: "Pop elements from a list, or block until one is available",
        complexity: MPOP_COMPLEXITY,
        syntax: "timeout{:double} numkeys key [key ...] <LEFT | RIGHT>{where} [COUNT count]",
        handler: blmpop,
        getkeys: Some(blmpop_keys),
        ..LIST
    },
];

/// Replies one list element as a bulk string.
#[inline]
pub(crate) fn reply_elem(r: &mut Reply, e: StrRef<'_>) {
    match e {
        StrRef::Int(n) => r.bulk_int(n),
        StrRef::Bytes(b) => r.bulk(b),
    }
}

/// Parses `LEFT`/`RIGHT`; true for LEFT. Replies a syntax error otherwise.
fn position_arg(r: &mut Reply, a: &[u8]) -> Option<bool> {
    super::shared::word_flag(r, a, "left", "right")
}

// ---- pushes ----------------------------------------------------------------------------------------------------

/// LPUSH key element [element ...]
fn lpush(ctx: &mut Ctx, args: Args) {
    push_generic(ctx, args, true, false);
}

/// RPUSH key element [element ...]
fn rpush(ctx: &mut Ctx, args: Args) {
    push_generic(ctx, args, false, false);
}

/// LPUSHX key element [element ...]
fn lpushx(ctx: &mut Ctx, args: Args) {
    push_generic(ctx, args, true, true);
}

/// RPUSHX key element [element ...]
fn rpushx(ctx: &mut Ctx, args: Args) {
    push_generic(ctx, args, false, true);
}

fn push_generic(ctx: &mut Ctx, args: Args, front: bool, only_existing: bool) {
    let key = args.get(1);
    let th = ctx.settings().thresholds();
    let found = if only_existing {
        match ctx.write_typed::<List>(key) {
            Err(_) => return,
            Ok((None, r, _)) => {
                r.int(0);
                return;
            }
            Ok((Some(l), r, w)) => Some((l, r, w)),
        }
    } else {
        // LPUSH and RPUSH report the list's length before and after to `INFO keysizes` (below): the lookup reads
        // no size. (LPUSHX and RPUSHX keep the lend.)
        ctx.write_or_create_sized::<List>(key, List::new).ok()
    };
    let Some((list, r, mut w)) = found else { return };
    let before = list.len();
    for v in args.iter().skip(2) {
        list.push(v, front, &th);
    }
    let after = list.len();
    r.int(after as i64);
    if !only_existing {
        ctx.door(&w).len_changed(ObjType::List, before, after);
    }
    ctx.notify(nc::LIST, push_event(front), key);
    ctx.changed(&mut w, 1);
}

// ---- pops ------------------------------------------------------------------------------------------------------

/// LPOP key \[count\]
fn lpop(ctx: &mut Ctx, args: Args) {
    pop_generic(ctx, args, true);
}

/// RPOP key \[count\]
fn rpop(ctx: &mut Ctx, args: Args) {
    pop_generic(ctx, args, false);
}

fn pop_generic(ctx: &mut Ctx, args: Args, front: bool) {
    if args.len() > 3 {
        let name = String::from_utf8_lossy(args.get(0)).to_ascii_lowercase();
        ctx.reply().err_arity(&name);
        return;
    }
    let key = args.get(1);
    let count = if args.len() == 3 {
        match parse_i64(args.get(2)) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => {
                ctx.reply().error("ERR value is out of range, must be positive");
                return;
            }
        }
    } else {
        None
    };
    let (list, r, w) = match ctx.write_typed::<List>(key) {
        Err(_) => return,
        Ok((None, r, _)) => {
            if count.is_some() {
                r.null_array();
            } else {
                r.null();
            }
            return;
        }
        Ok((Some(l), r, w)) => (l, r, w),
    };
    match count {
        None => match list.pop(front) {
            Some(v) => r.bulk(&v),
            None => r.null(),
        },
        Some(n) => {
            let n = n.min(list.len());
            r.array(n);
            for _ in 0..n {
                if let Some(v) = list.pop(front) {
                    r.bulk(&v);
                }
            }
            if n == 0 {
                return w.untouched();
            }
        }
    }
    let emptied = list.is_empty();
    finish_removal(ctx, w, pop_event(front), emptied);
}

/// After a removal from the list written through `w`: the keyspace event, deletion of the key when the handler
/// emptied it (one lookup fewer than [`door::Door::delete_if_empty`](super::door::Door::delete_if_empty)) with its `del` event, and the settlement.
#[inline]
fn finish_removal(ctx: &mut Ctx, w: KeyWrite, event: &str, emptied: bool) {
    finish_removal_counted(ctx, w, event, emptied, 1);
}

/// [`finish_removal`] counting `changes` towards `dirty` (LTRIM counts the elements it removed, possibly none:
/// the key is signalled all the same).
fn finish_removal_counted(ctx: &mut Ctx, mut w: KeyWrite, event: &str, emptied: bool, changes: u64) {
    let key = w.key();
    ctx.notify(nc::LIST, event, key);
    if emptied {
        ctx.door(&w).delete();
        ctx.notify(nc::GENERIC, "del", key);
    }
    ctx.changed(&mut w, changes);
}

#[inline]
fn pop_event(front: bool) -> &'static str {
    if front {
        "lpop"
    } else {
        "rpop"
    }
}

#[inline]
fn push_event(front: bool) -> &'static str {
    if front {
        "lpush"
    } else {
        "rpush"
    }
}

/// Pops up to `count` elements of the list at `key` and replies `[key, [elements]]` (LMPOP and BLMPOP). Returns
/// false, without replying, when the key holds no elements; `Err` after a WRONGTYPE reply.
fn mpop_from(ctx: &mut Ctx, key: &[u8], front: bool, count: usize) -> Result<bool, ()> {
    let (list, r, w) = match ctx.write_typed::<List>(key) {
        Err(_) => return Err(()),
        Ok((Some(l), r, w)) if !l.is_empty() => (l, r, w),
        Ok((_, _, w)) => {
            w.untouched();
            return Ok(false);
        }
    };
    let n = count.min(list.len());
    r.array(2);
    r.bulk(key);
    r.array(n);
    for _ in 0..n {
        if let Some(v) = list.pop(front) {
            r.bulk(&v);
        }
    }
    let emptied = list.is_empty();
    finish_removal(ctx, w, pop_event(front), emptied);
    // LMPOP and BLMPOP replay as `LPOP|RPOP key <popped>`.
    let mut nb = [0u8; 24];
    let popped = crate::util::itoa_buf(n as i64, &mut nb);
    ctx.propagation().rewrite(&[pop_verb(front), key, popped]);
    Ok(true)
}

/// The plain pop a blocking or multi-key pop replays as.
#[inline]
fn pop_verb(front: bool) -> &'static [u8] {
    if front {
        b"LPOP"
    } else {
        b"RPOP"
    }
}

/// Where LMPOP/BLMPOP's arguments start: the numkeys index.
struct MpopArgs {
    keys_from: usize,
    numkeys: usize,
    front: bool,
    count: usize,
}

/// Parses `numkeys key [key ...] LEFT | RIGHT [COUNT count]` starting at `numkeys_idx`, in Redis's order.
fn parse_mpop(r: &mut Reply, args: Args, numkeys_idx: usize) -> Option<MpopArgs> {
    let numkeys = match parse_i64(args.get(numkeys_idx)) {
        Some(n) if n > 0 => n as u64,
        _ => {
            r.error("ERR numkeys should be greater than 0");
            return None;
        }
    };
    let where_idx = (numkeys_idx as u64 + 1).saturating_add(numkeys);
    if where_idx >= args.len() as u64 {
        r.err_syntax();
        return None;
    }
    let where_idx = where_idx as usize;
    let front = position_arg(r, args.get(where_idx))?;
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && args.is(j, "count") && j + 1 < args.len() {
            j += 1;
            match parse_i64(args.get(j)) {
                Some(n) if n > 0 => count = Some(n as usize),
                _ => {
                    r.error("ERR count should be greater than 0");
                    return None;
                }
            }
        } else {
            r.err_syntax();
            return None;
        }
        j += 1;
    }
    Some(MpopArgs { keys_from: numkeys_idx + 1, numkeys: numkeys as usize, front, count: count.unwrap_or(1) })
}

/// LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]
fn lmpop(ctx: &mut Ctx, args: Args) {
    let Some(m) = parse_mpop(ctx.reply(), args, 1) else { return };
    for i in m.keys_from..m.keys_from + m.numkeys {
        match mpop_from(ctx, args.get(i), m.front, m.count) {
            Err(_) | Ok(true) => return,
            Ok(false) => {}
        }
    }
    ctx.reply().null_array();
}

/// Key positions of `numkeys key [key ...]` with numkeys at `idx`; nothing when numkeys is unusable.
fn numkeys_positions(args: Args, idx: usize) -> Vec<usize> {
    if idx >= args.len() {
        return Vec::new();
    }
    match parse_i64(args.get(idx)) {
        Some(n) if n > 0 && (n as u64) < (args.len() - idx) as u64 => (idx + 1..=idx + n as usize).collect(),
        _ => Vec::new(),
    }
}

fn lmpop_keys(args: Args) -> Vec<usize> {
    numkeys_positions(args, 1)
}

fn blmpop_keys(args: Args) -> Vec<usize> {
    numkeys_positions(args, 2)
}

// ---- reads -----------------------------------------------------------------------------------------------------

/// LLEN key
fn llen(ctx: &mut Ctx, args: Args) {
    match ctx.lookup_typed::<List>(Access::READ, args.get(1)) {
        Err(_) => {}
        Ok((l, r)) => r.int(l.map_or(0, |l| l.len() as i64)),
    }
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx, args: Args) {
    let Some(start) = int_arg(ctx.reply(), args.get(2)) else { return };
    let Some(end) = int_arg(ctx.reply(), args.get(3)) else { return };
    let (list, r) = match ctx.lookup_typed::<List>(Access::READ, args.get(1)) {
        Err(_) => return,
        Ok((None, r)) => {
            r.array(0);
            return;
        }
        Ok((Some(l), r)) => (l, r),
    };
    match crate::keyspace::types::list::clamp_range(start, end, list.len()) {
        None => r.array(0),
        Some((s, e)) => {
            r.array(e - s + 1);
            list.for_each_range(s, e - s + 1, |v| reply_elem(r, v));
        }
    }
}

/// LINDEX key index
fn lindex(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let (list, r) = match ctx.lookup_typed::<List>(Access::READ, key) {
        Err(_) => return,
        Ok((None, r)) => {
            r.null();
            return;
        }
        Ok((Some(l), r)) => (l, r),
    };
    let Some(index) = int_arg(r, args.get(2)) else { return };
    match list.get(index) {
        Some(v) => reply_elem(r, v.as_ref()),
        None => r.null(),
    }
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx, args: Args) {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if args.is(j, "rank") && more {
            let Some(n) = int_arg(ctx.reply(), args.get(j + 1)) else { return };
            if n == 0 {
                ctx.reply().error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                return;
            }
            rank = n;
        } else if args.is(j, "count") && more {
            match parse_i64(args.get(j + 1)) {
                Some(n) if n >= 0 => count = Some(n as usize),
                _ => {
                    ctx.reply().error("ERR COUNT can't be negative");
                    return;
                }
            }
        } else if args.is(j, "maxlen") && more {
            match parse_i64(args.get(j + 1)) {
                Some(n) if n >= 0 => maxlen = n as usize,
                _ => {
                    ctx.reply().error("ERR MAXLEN can't be negative");
                    return;
                }
            }
        } else {
            ctx.reply().err_syntax();
            return;
        }
        j += 2;
    }
    // Redis negates the rank in a C long: LONG_MIN stays negative and then matches the first hit from the tail.
    if rank == i64::MIN {
        rank = -1;
    }
    let (list, r) = match ctx.lookup_typed::<List>(Access::READ, args.get(1)) {
        Err(_) => return,
        Ok((None, r)) => {
            if count.is_some() {
                r.array(0);
            } else {
                r.null();
            }
            return;
        }
        Ok((Some(l), r)) => (l, r),
    };
    let hits = list.positions(args.get(2), rank, count.unwrap_or(1), maxlen);
    match count {
        Some(_) => {
            r.array(hits.len());
            for i in hits {
                r.int(i as i64);
            }
        }
        None => match hits.first() {
            Some(&i) => r.int(i as i64),
            None => r.null(),
        },
    }
}

// ---- edits -----------------------------------------------------------------------------------------------------

/// LSET key index element
fn lset(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let th = ctx.settings().thresholds();
    let (list, r, mut w) = match ctx.write_typed::<List>(key) {
        Err(_) => return,
        Ok((None, r, _)) => {
            r.err_no_such_key();
            return;
        }
        Ok((Some(l), r, w)) => (l, r, w),
    };
    let Some(index) = int_arg(r, args.get(2)) else { return w.untouched() };
    if list.set(index, args.get(3), &th) {
        r.ok();
        ctx.notify(nc::LIST, "lset", key);
        ctx.changed(&mut w, 1);
    } else {
        r.error("ERR index out of range");
        w.untouched();
    }
}

/// LINSERT key BEFORE | AFTER pivot element
fn linsert(ctx: &mut Ctx, args: Args) {
    let before = if args.is(2, "before") {
        true
    } else if args.is(2, "after") {
        false
    } else {
        ctx.reply().err_syntax();
        return;
    };
    let key = args.get(1);
    let th = ctx.settings().thresholds();
    let (list, r, mut w) = match ctx.write_typed::<List>(key) {
        Err(_) => return,
        Ok((None, r, _)) => {
            r.int(0);
            return;
        }
        Ok((Some(l), r, w)) => (l, r, w),
    };
    if list.insert_pivot(args.get(3), args.get(4), before, &th) {
        r.int(list.len() as i64);
        ctx.notify(nc::LIST, "linsert", key);
        ctx.changed(&mut w, 1);
    } else {
        r.int(-1);
        w.untouched();
    }
}

/// LREM key count element
fn lrem(ctx: &mut Ctx, args: Args) {
    let Some(count) = int_arg(ctx.reply(), args.get(2)) else { return };
    let key = args.get(1);
    let (list, r, w) = match ctx.write_typed::<List>(key) {
        Err(_) => return,
        Ok((None, r, _)) => {
            r.int(0);
            return;
        }
        Ok((Some(l), r, w)) => (l, r, w),
    };
    let removed = list.remove_matching(args.get(3), count);
    r.int(removed as i64);
    if removed > 0 {
        let emptied = list.is_empty();
        finish_removal(ctx, w, "lrem", emptied);
    } else {
        w.untouched();
    }
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx, args: Args) {
    let Some(start) = int_arg(ctx.reply(), args.get(2)) else { return };
    let Some(end) = int_arg(ctx.reply(), args.get(3)) else { return };
    let key = args.get(1);
    let (list, r, w) = match ctx.write_typed::<List>(key) {
        Err(_) => return,
        Ok((None, r, _)) => {
            r.ok();
            return;
        }
        Ok((Some(l), r, w)) => (l, r, w),
    };
    let before = list.len();
    list.trim(start, end);
    r.ok();
    let removed = before - list.len();
    let emptied = list.is_empty();
    // Redis counts only the removed elements as changes: a trim that keeps everything is not propagated.
    finish_removal_counted(ctx, w, "ltrim", emptied, removed as u64);
}

// ---- moves -----------------------------------------------------------------------------------------------------

/// What [`move_one`] did.
enum Moved {
    /// The source is missing (nothing replied).
    NoSource,
    /// Replied: the element moved, or WRONGTYPE.
    Done,
}

/// Pops from `src` and pushes onto `dst` (Redis's `lmoveGenericCommand`): types of both keys are checked before
/// anything changes; the source is deleted if it became empty (after the push, so `src == dst` rotates).
fn move_one(ctx: &mut Ctx, src: &[u8], dst: &[u8], from_left: bool, to_left: bool) -> Moved {
    match ctx.write_typed::<List>(src) {
        Err(_) => return Moved::Done,
        Ok((Some(l), _, w)) if !l.is_empty() => w.untouched(),
        Ok((_, _, w)) => {
            w.untouched();
            return Moved::NoSource;
        }
    }
    if ctx.lookup_typed::<List>(Access::WRITE, dst).map(|(v, _)| v.is_some()).is_err() {
        return Moved::Done;
    }
    let th = ctx.settings().thresholds();
    // Each lookup below is an access of its own (LFU counts them), as in Redis.
    let Ok((Some(l), _, from)) = ctx.write_typed::<List>(src) else { return Moved::Done };
    let Some(v) = l.pop(from_left) else {
        from.untouched();
        return Moved::NoSource;
    };
    let Ok((d, r, mut to)) = ctx.write_or_create::<List>(dst, List::new) else {
        from.untouched();
        return Moved::Done;
    };
    d.push(&v, to_left, &th);
    r.bulk(&v);
    ctx.notify(nc::LIST, push_event(to_left), dst);
    ctx.changed(&mut to, 1);
    let emptied = match ctx.write_typed::<List>(src) {
        Ok((l, _, w)) => {
            w.untouched();
            l.is_some_and(|l| l.is_empty())
        }
        Err(_) => false,
    };
    finish_removal(ctx, from, pop_event(from_left), emptied);
    Moved::Done
}

/// LMOVE source destination LEFT | RIGHT LEFT | RIGHT
fn lmove(ctx: &mut Ctx, args: Args) {
    let Some(from) = position_arg(ctx.reply(), args.get(3)) else { return };
    let Some(to) = position_arg(ctx.reply(), args.get(4)) else { return };
    if let Moved::NoSource = move_one(ctx, args.get(1), args.get(2), from, to) {
        ctx.reply().null();
    }
}

/// RPOPLPUSH source destination
fn rpoplpush(ctx: &mut Ctx, args: Args) {
    if let Moved::NoSource = move_one(ctx, args.get(1), args.get(2), false, true) {
        ctx.reply().null();
    }
}

// ---- blocking forms --------------------------------------------------------------------------------------------

/// BLPOP key [key ...] timeout
fn blpop(ctx: &mut Ctx, args: Args) {
    bpop(ctx, args, true);
}

/// BRPOP key [key ...] timeout
fn brpop(ctx: &mut Ctx, args: Args) {
    bpop(ctx, args, false);
}

fn bpop(ctx: &mut Ctx, args: Args, front: bool) {
    let last = args.len() - 1;
    let Some(deadline_ms) = super::blocking::parse_timeout(ctx, args.get(last)) else { return };
    for i in 1..last {
        let key = args.get(i);
        if !super::blocking::may_serve(ctx, key) {
            continue;
        }
        let (list, r, w) = match ctx.write_typed::<List>(key) {
            Err(_) => return,
            Ok((Some(l), r, w)) if !l.is_empty() => (l, r, w),
            Ok((_, _, w)) => {
                w.untouched();
                continue;
            }
        };
        let Some(v) = list.pop(front) else {
            w.untouched();
            continue;
        };
        r.array(2);
        r.bulk(key);
        r.bulk(&v);
        let emptied = list.is_empty();
        finish_removal(ctx, w, pop_event(front), emptied);
        ctx.propagation().rewrite(&[pop_verb(front), key]);
        return;
    }
    let keys: Vec<&[u8]> = (1..last).map(|i| args.get(i)).collect();
    super::blocking::block(ctx, args, &keys, deadline_ms, BlockKind::List, TimeoutReply::NullArray);
}

/// BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout
fn blmove(ctx: &mut Ctx, args: Args) {
    let Some(from) = position_arg(ctx.reply(), args.get(3)) else { return };
    let Some(to) = position_arg(ctx.reply(), args.get(4)) else { return };
    blmove_generic(ctx, args, from, to, args.get(5));
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx, args: Args) {
    blmove_generic(ctx, args, false, true, args.get(3));
}

fn blmove_generic(ctx: &mut Ctx, args: Args, from: bool, to: bool, timeout: &[u8]) {
    let Some(deadline_ms) = super::blocking::parse_timeout(ctx, timeout) else { return };
    let (src, dst) = (args.get(1), args.get(2));
    if let Moved::Done = move_one(ctx, src, dst, from, to) {
        // Replayed as LMOVE/RPOPLPUSH: served at once with the sides as the client spelled them, served after
        // blocking with Redis's own lowercase words.
        if args.is(0, "brpoplpush") {
            ctx.propagation().rewrite(&[b"RPOPLPUSH".as_slice(), src, dst]);
        } else if ctx.blocking().serving_key().is_some() {
            let side = |left: bool| if left { b"left".as_slice() } else { b"right".as_slice() };
            ctx.propagation().rewrite(&[b"LMOVE".as_slice(), src, dst, side(from), side(to)]);
        } else {
            ctx.propagation().rewrite(&[b"LMOVE".as_slice(), src, dst, args.get(3), args.get(4)]);
        }
        return;
    }
    super::blocking::block(ctx, args, &[src], deadline_ms, BlockKind::List, TimeoutReply::NullBulk);
}

/// BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]
fn blmpop(ctx: &mut Ctx, args: Args) {
    let Some(m) = parse_mpop(ctx.reply(), args, 2) else { return };
    let Some(deadline_ms) = super::blocking::parse_timeout(ctx, args.get(1)) else { return };
    for i in m.keys_from..m.keys_from + m.numkeys {
        let key = args.get(i);
        if !super::blocking::may_serve(ctx, key) {
            continue;
        }
        match mpop_from(ctx, key, m.front, m.count) {
            Err(_) | Ok(true) => return,
            Ok(false) => {}
        }
    }
    let keys: Vec<&[u8]> = (m.keys_from..m.keys_from + m.numkeys).map(|i| args.get(i)).collect();
    super::blocking::block(ctx, args, &keys, deadline_ms, BlockKind::List, TimeoutReply::NullArray);
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;
    use crate::net::client::flags;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    fn b(s: &str) -> String {
        format!("${}\r\n{s}\r\n", s.len())
    }

    fn arr(items: &[&str]) -> String {
        let mut out = format!("*{}\r\n", items.len());
        for i in items {
            out.push_str(&b(i));
        }
        out
    }

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn push_pop_and_counts() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["lpushx", "l", "a"]), ":0\r\n");
        assert_eq!(h.run(&["rpush", "l", "a", "b", "c"]), ":3\r\n");
        assert_eq!(h.run(&["lpush", "l", "z", "y"]), ":5\r\n");
        assert_eq!(h.run(&["rpushx", "l", "tail"]), ":6\r\n");
        assert_eq!(h.run(&["lrange", "l", "0", "-1"]), arr(&["y", "z", "a", "b", "c", "tail"]));
        assert_eq!(h.run(&["lpop", "l"]), b("y"));
        assert_eq!(h.run(&["rpop", "l"]), b("tail"));
        assert_eq!(h.run(&["lpop", "l", "2"]), arr(&["z", "a"]));
        assert_eq!(h.run(&["lpop", "l", "0"]), "*0\r\n");
        assert_eq!(h.run(&["lpop", "l", "-1"]), "-ERR value is out of range, must be positive\r\n");
        assert_eq!(h.run(&["lpop", "l", "x"]), "-ERR value is out of range, must be positive\r\n");
        assert_eq!(h.run(&["rpop", "l", "1", "2"]), "-ERR wrong number of arguments for 'rpop' command\r\n");
        assert_eq!(h.run(&["rpop", "l", "9223372036854775807"]), arr(&["c", "b"]));
        assert_eq!(h.run(&["exists", "l"]), ":0\r\n");
        assert_eq!(h.run(&["lpop", "l"]), "$-1\r\n");
        assert_eq!(h.run(&["lpop", "l", "0"]), "*-1\r\n");
        assert_eq!(h.run(&["llen", "l"]), ":0\r\n");
        h.run(&["set", "s", "v"]);
        for cmd in [
            &["lpush", "s", "a"][..],
            &["lpushx", "s", "a"],
            &["lpop", "s"],
            &["llen", "s"],
            &["lrange", "s", "0", "1"],
        ] {
            assert_eq!(h.run(cmd), WRONGTYPE, "{cmd:?}");
        }
    }

    #[test]
    fn pushes_replace_an_expired_key() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["set", "k", "v", "px", "100"]), "+OK\r\n");
        assert_eq!(h.run(&["lpush", "k", "a"]), WRONGTYPE);
        h.srv.now_ms += 1000;
        assert_eq!(h.run(&["lpush", "k", "a"]), ":1\r\n");
        assert_eq!(h.run(&["ttl", "k"]), ":-1\r\n");
        h.run(&["pexpire", "k", "100"]);
        assert_eq!(h.run(&["rpush", "k", "b"]), ":2\r\n");
        h.srv.now_ms += 1000;
        assert_eq!(h.run(&["rpush", "k", "c"]), ":1\r\n");
    }

    #[test]
    fn extreme_indexes_never_panic() {
        let mut h = Harness::new();
        for fill in ["-2", "1"] {
            h.srv.config.list_max_listpack_size = fill.parse().unwrap();
            h.run(&["del", "l"]);
            h.run(&["rpush", "l", "a", "b", "c", "d", "e"]);
            let (min, max) = ("-9223372036854775808", "9223372036854775807");
            assert_eq!(h.run(&["lindex", "l", min]), "$-1\r\n");
            assert_eq!(h.run(&["lindex", "l", max]), "$-1\r\n");
            assert_eq!(h.run(&["lset", "l", min, "x"]), "-ERR index out of range\r\n");
            assert_eq!(h.run(&["lset", "l", max, "x"]), "-ERR index out of range\r\n");
            assert_eq!(h.run(&["lrange", "l", min, max]), arr(&["a", "b", "c", "d", "e"]));
            assert_eq!(h.run(&["lrange", "l", max, min]), "*0\r\n");
            assert_eq!(h.run(&["lrem", "l", min, "zz"]), ":0\r\n");
            assert_eq!(h.run(&["lpos", "l", "c", "rank", max, "count", max, "maxlen", max]), "*0\r\n");
            assert_eq!(h.run(&["lpos", "l", "c", "rank", min, "count", max]), "*1\r\n:2\r\n");
            assert_eq!(h.run(&["lpop", "l", max]), arr(&["a", "b", "c", "d", "e"]));
            h.run(&["rpush", "l", "a", "b"]);
            assert_eq!(h.run(&["ltrim", "l", min, max]), "+OK\r\n");
            assert_eq!(h.run(&["ltrim", "l", max, min]), "+OK\r\n");
            assert_eq!(h.run(&["exists", "l"]), ":0\r\n");
        }
    }

    #[test]
    fn ranges_and_indexes() {
        let mut h = Harness::new();
        h.run(&["rpush", "l", "a", "b", "c", "d"]);
        assert_eq!(h.run(&["lrange", "l", "-2", "100"]), arr(&["c", "d"]));
        assert_eq!(h.run(&["lrange", "l", "-100", "0"]), arr(&["a"]));
        assert_eq!(h.run(&["lrange", "l", "3", "1"]), "*0\r\n");
        assert_eq!(h.run(&["lrange", "l", "x", "1"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["lrange", "nokey", "x", "1"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["lrange", "nokey", "0", "1"]), "*0\r\n");
        assert_eq!(h.run(&["lindex", "l", "-1"]), b("d"));
        assert_eq!(h.run(&["lindex", "l", "4"]), "$-1\r\n");
        assert_eq!(h.run(&["lindex", "nokey", "x"]), "$-1\r\n");
        assert_eq!(h.run(&["lindex", "l", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["lset", "nokey", "x", "v"]), "-ERR no such key\r\n");
        assert_eq!(h.run(&["lset", "l", "x", "v"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["lset", "l", "4", "v"]), "-ERR index out of range\r\n");
        assert_eq!(h.run(&["lset", "l", "-4", "A"]), "+OK\r\n");
        assert_eq!(h.run(&["lindex", "l", "0"]), b("A"));
        h.run(&["rpush", "n", "12", "-7"]);
        assert_eq!(h.run(&["lrange", "n", "0", "-1"]), arr(&["12", "-7"]));
    }

    #[test]
    fn insert_remove_trim() {
        let mut h = Harness::new();
        h.run(&["rpush", "l", "1", "2", "3", "2", "1", "2"]);
        assert_eq!(h.run(&["linsert", "l", "middle", "3", "x"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["linsert", "nokey", "before", "3", "x"]), ":0\r\n");
        assert_eq!(h.run(&["linsert", "l", "BEFORE", "3", "x"]), ":7\r\n");
        assert_eq!(h.run(&["linsert", "l", "after", "3", "y"]), ":8\r\n");
        assert_eq!(h.run(&["linsert", "l", "after", "nope", "y"]), ":-1\r\n");
        assert_eq!(h.run(&["lrem", "l", "x", "2"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["lrem", "l", "-2", "2"]), ":2\r\n");
        assert_eq!(h.run(&["lrange", "l", "0", "-1"]), arr(&["1", "2", "x", "3", "y", "1"]));
        assert_eq!(h.run(&["lrem", "l", "0", "1"]), ":2\r\n");
        assert_eq!(h.run(&["lrem", "nokey", "0", "1"]), ":0\r\n");
        assert_eq!(h.run(&["ltrim", "l", "1", "-2"]), "+OK\r\n");
        assert_eq!(h.run(&["lrange", "l", "0", "-1"]), arr(&["x", "3"]));
        assert_eq!(h.run(&["ltrim", "l", "a", "1"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["ltrim", "nokey", "0", "1"]), "+OK\r\n");
        assert_eq!(h.run(&["ltrim", "l", "5", "1"]), "+OK\r\n");
        assert_eq!(h.run(&["exists", "l"]), ":0\r\n");
        h.run(&["rpush", "r", "a", "a"]);
        assert_eq!(h.run(&["lrem", "r", "0", "a"]), ":2\r\n");
        assert_eq!(h.run(&["exists", "r"]), ":0\r\n");
    }

    #[test]
    fn lpos_options_and_errors() {
        let mut h = Harness::new();
        h.run(&["rpush", "l", "a", "b", "a", "c", "a"]);
        assert_eq!(h.run(&["lpos", "l", "a"]), ":0\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "rank", "2"]), ":2\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "rank", "-1"]), ":4\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "rank", "-9223372036854775808"]), ":4\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "rank", "9223372036854775807"]), "$-1\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "count", "0"]), "*3\r\n:0\r\n:2\r\n:4\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "rank", "-1", "count", "2"]), "*2\r\n:4\r\n:2\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "rank", "2", "count", "2", "maxlen", "3"]), "*1\r\n:2\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "maxlen", "0", "count", "0"]), "*3\r\n:0\r\n:2\r\n:4\r\n");
        assert_eq!(h.run(&["lpos", "l", "z", "count", "5"]), "*0\r\n");
        assert_eq!(h.run(&["lpos", "nokey", "z", "count", "5"]), "*0\r\n");
        assert_eq!(h.run(&["lpos", "nokey", "z"]), "$-1\r\n");
        assert_eq!(
            h.run(&["lpos", "l", "a", "rank", "0"]),
            "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"
        );
        assert_eq!(h.run(&["lpos", "l", "a", "rank", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "count", "-1"]), "-ERR COUNT can't be negative\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "count", "x"]), "-ERR COUNT can't be negative\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "maxlen", "-1"]), "-ERR MAXLEN can't be negative\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "rank"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lpos", "l", "a", "foo", "1"]), "-ERR syntax error\r\n");
    }

    #[test]
    fn moves_check_both_types_first() {
        let mut h = Harness::new();
        h.run(&["rpush", "l", "1", "2", "3"]);
        assert_eq!(h.run(&["lmove", "l", "l2", "up", "left"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lmove", "l", "l2", "left", "right"]), b("1"));
        assert_eq!(h.run(&["rpoplpush", "l", "l2"]), b("3"));
        assert_eq!(h.run(&["lrange", "l2", "0", "-1"]), arr(&["3", "1"]));
        assert_eq!(h.run(&["lmove", "nokey", "l2", "left", "right"]), "$-1\r\n");
        // Rotation of a one-element list keeps the key.
        assert_eq!(h.run(&["lmove", "l", "l", "left", "right"]), b("2"));
        assert_eq!(h.run(&["lrange", "l", "0", "-1"]), arr(&["2"]));
        h.run(&["set", "s", "v"]);
        assert_eq!(h.run(&["lmove", "l", "s", "left", "right"]), WRONGTYPE);
        assert_eq!(h.run(&["lrange", "l", "0", "-1"]), arr(&["2"]));
        assert_eq!(h.run(&["rpoplpush", "s", "l"]), WRONGTYPE);
        assert_eq!(h.run(&["rpoplpush", "l", "l3"]), b("2"));
        assert_eq!(h.run(&["exists", "l"]), ":0\r\n");
    }

    #[test]
    fn lmpop_parsing_and_replies() {
        let mut h = Harness::new();
        h.run(&["rpush", "b", "1", "2", "3"]);
        assert_eq!(h.run(&["lmpop", "0", "a", "left"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["lmpop", "x", "a", "left"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["lmpop", "9223372036854775807", "a", "left"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lmpop", "2", "a", "left"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lmpop", "1", "a", "up"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lmpop", "1", "a", "left", "count", "0"]), "-ERR count should be greater than 0\r\n");
        assert_eq!(h.run(&["lmpop", "1", "a", "left", "count", "1", "count", "1"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lmpop", "1", "a", "left", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["lmpop", "1", "a", "left"]), "*-1\r\n");
        assert_eq!(
            h.run(&["lmpop", "2", "a", "b", "right", "count", "2"]),
            format!("*2\r\n{}{}", b("b"), arr(&["3", "2"]))
        );
        assert_eq!(h.run(&["lmpop", "2", "a", "b", "left", "count", "10"]), format!("*2\r\n{}{}", b("b"), arr(&["1"])));
        assert_eq!(h.run(&["exists", "b"]), ":0\r\n");
        h.run(&["set", "s", "v"]);
        assert_eq!(h.run(&["lmpop", "2", "a", "s", "left"]), WRONGTYPE);
        let cmd = crate::command::lookup(b"lmpop").unwrap();
        let a = crate::command::OwnedArgs::from_slices(&["lmpop", "2", "a", "b", "left"]);
        assert_eq!(cmd.key_positions(a.args()), vec![2, 3]);
        let a = crate::command::OwnedArgs::from_slices(&["lmpop", "5", "a", "left"]);
        assert!(cmd.key_positions(a.args()).is_empty());
        let cmd = crate::command::lookup(b"blmpop").unwrap();
        let a = crate::command::OwnedArgs::from_slices(&["blmpop", "0", "1", "a", "left"]);
        assert_eq!(cmd.key_positions(a.args()), vec![3]);
    }

    #[test]
    fn blocking_commands_request_a_block_or_serve() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["blpop", "a", "b", "1.5"]), "");
        let req = h.srv.blocking.request.take().expect("block request");
        assert_eq!(req.keys, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(req.deadline_ms, h.srv.now_ms + 1500);
        assert_eq!(req.args.args().get(0), b"blpop");
        assert_eq!(h.run(&["blmpop", "0", "1", "c", "left"]), "");
        let req = h.srv.blocking.request.take().expect("block request");
        assert_eq!((req.keys, req.deadline_ms), (vec![b"c".to_vec()], 0));
        assert_eq!(h.run(&["blmove", "s", "d", "left", "left", "0"]), "");
        assert!(h.srv.blocking.request.take().is_some());
        h.run(&["rpush", "b", "x", "y"]);
        assert_eq!(h.run(&["brpop", "a", "b", "0"]), arr(&["b", "y"]));
        assert_eq!(h.run(&["brpoplpush", "b", "d", "0"]), b("x"));
        assert!(h.srv.blocking.request.is_none());
        assert_eq!(h.run(&["blpop", "a", "-1"]), "-ERR timeout is negative\r\n");
        assert_eq!(h.run(&["blmpop", "x", "0", "a", "left"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["blmove", "a", "b", "up", "left", "x"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run(&["blmove", "a", "b", "left", "left", "x"]),
            "-ERR timeout is not a float or out of range\r\n"
        );
        assert!(h.srv.blocking.request.is_none());
    }

    #[test]
    fn deny_blocking_replies_like_redis_inside_multi() {
        let mut h = Harness::new();
        h.client.flags |= flags::DENY_BLOCKING;
        assert_eq!(h.run(&["blpop", "a", "0"]), "*-1\r\n");
        assert_eq!(h.run(&["blmpop", "0", "1", "a", "left"]), "*-1\r\n");
        assert_eq!(h.run(&["blmove", "a", "b", "left", "left", "0"]), "$-1\r\n");
        assert_eq!(h.run(&["brpoplpush", "a", "b", "0"]), "$-1\r\n");
        assert!(h.srv.blocking.request.is_none());
    }

    #[test]
    fn a_rerun_only_looks_at_the_key_being_served() {
        let mut h = Harness::new();
        h.run(&["rpush", "a", "1"]);
        h.run(&["rpush", "b", "2"]);
        h.srv.blocking.serving = Some(b"b".to_vec());
        assert_eq!(h.run(&["blpop", "a", "b", "0"]), arr(&["b", "2"]));
        assert_eq!(h.run(&["blmpop", "0", "2", "a", "b", "left"]), "");
        assert!(h.srv.blocking.request.take().is_some());
        h.srv.blocking.serving = None;
        assert_eq!(h.run(&["blpop", "a", "b", "0"]), arr(&["a", "1"]));
    }

    #[test]
    fn writes_signal_waiting_keys() {
        let mut h = Harness::new();
        let req = crate::blocking::Blocked {
            db: 0,
            keys: vec![b"k".to_vec()],
            deadline_ms: 0,
            kind: crate::blocking::BlockKind::List,
            args: crate::command::OwnedArgs::from_slices(&["blpop", "k", "0"]),
            stream: None,
        };
        h.srv.blocking.add(99, req);
        h.run(&["rpush", "other", "x"]);
        assert!(!h.srv.blocking.has_ready());
        h.run(&["rpush", "k", "x"]);
        assert_eq!(h.srv.blocking.take_ready(), vec![(0, b"k".to_vec())]);
    }

    #[test]
    fn docs_syntax_names_groups_and_types() {
        let args =
            crate::command::commands::parse_syntax("source destination <wherefrom= LEFT | RIGHT> timeout:double");
        let names: Vec<(&str, &str)> = args.iter().map(|a| (a.name.as_str(), a.kind)).collect();
        assert_eq!(
            names,
            vec![("source", "key"), ("destination", "key"), ("wherefrom", "oneof"), ("timeout", "double")]
        );
        assert_eq!(args[2].args.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), vec!["left", "right"]);
        let opt = crate::command::commands::parse_syntax("key [options= count [WITHVALUES]]");
        assert_eq!((opt[1].name.as_str(), opt[1].kind, opt[1].optional), ("options", "block", true));
    }

    #[test]
    fn large_lists_convert_and_keep_order() {
        let mut h = Harness::new();
        h.srv.config.list_max_listpack_size = 4;
        for i in 0..50 {
            h.run(&["rpush", "l", &i.to_string()]);
        }
        assert_eq!(h.run(&["object", "encoding", "l"]), b("quicklist"));
        assert_eq!(h.run(&["lindex", "l", "37"]), b("37"));
        assert_eq!(h.run(&["lrange", "l", "47", "100"]), arr(&["47", "48", "49"]));
        assert_eq!(h.run(&["lpos", "l", "25"]), ":25\r\n");
        assert_eq!(h.run(&["ltrim", "l", "10", "12"]), "+OK\r\n");
        assert_eq!(h.run(&["lrange", "l", "0", "-1"]), arr(&["10", "11", "12"]));
        assert_eq!(h.run(&["type", "l"]), "+list\r\n");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(bool, Vec<String>),
        Pop(bool, Option<usize>),
        Set(i64, String),
        Insert(bool, String, String),
        Rem(i64, String),
        Trim(i64, i64),
        Move(bool, bool),
    }

    fn val() -> impl Strategy<Value = String> {
        prop_oneof!["[abc]{1,2}", (-3i64..40).prop_map(|n| n.to_string()), "[x-z]{30,70}",]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<bool>(), proptest::collection::vec(val(), 1..6)).prop_map(|(f, v)| Op::Push(f, v)),
            (any::<bool>(), proptest::option::of(0usize..6)).prop_map(|(f, c)| Op::Pop(f, c)),
            (-12i64..12, val()).prop_map(|(i, v)| Op::Set(i, v)),
            (any::<bool>(), val(), val()).prop_map(|(b, p, v)| Op::Insert(b, p, v)),
            (-3i64..3, val()).prop_map(|(c, v)| Op::Rem(c, v)),
            (-12i64..12, -12i64..12).prop_map(|(s, e)| Op::Trim(s, e)),
            (any::<bool>(), any::<bool>()).prop_map(|(a, b)| Op::Move(a, b)),
        ]
    }

    fn model_range(m: &VecDeque<String>, start: i64, end: i64) -> Vec<String> {
        match crate::keyspace::types::list::clamp_range(start, end, m.len()) {
            None => Vec::new(),
            Some((s, e)) => m.iter().skip(s).take(e - s + 1).cloned().collect(),
        }
    }

    fn reply_of(items: &[String]) -> String {
        let v: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
        arr(&v)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn list_commands_match_a_model(fill in prop_oneof![Just(-2i64), Just(3), Just(1), Just(-1)], ops in proptest::collection::vec(op(), 1..60)) {
            let mut h = Harness::new();
            h.srv.config.list_max_listpack_size = fill;
            let mut m: VecDeque<String> = VecDeque::new();
            let mut other: VecDeque<String> = VecDeque::new();
            for o in ops {
                match o {
                    Op::Push(front, vs) => {
                        let mut argv = vec![if front { "lpush" } else { "rpush" }, "l"];
                        argv.extend(vs.iter().map(|s| s.as_str()));
                        for v in &vs {
                            if front { m.push_front(v.clone()) } else { m.push_back(v.clone()) }
                        }
                        prop_assert_eq!(h.run(&argv), format!(":{}\r\n", m.len()));
                    }
                    Op::Pop(front, count) => {
                        let name = if front { "lpop" } else { "rpop" };
                        match count {
                            None => {
                                let want = if front { m.pop_front() } else { m.pop_back() };
                                prop_assert_eq!(h.run(&[name, "l"]), want.map_or("$-1\r\n".to_string(), |v| b(&v)));
                            }
                            Some(c) => {
                                let got = h.run(&[name, "l", &c.to_string()]);
                                if m.is_empty() {
                                    prop_assert_eq!(got, "*-1\r\n");
                                } else {
                                    let n = c.min(m.len());
                                    let popped: Vec<String> = (0..n).filter_map(|_| if front { m.pop_front() } else { m.pop_back() }).collect();
                                    prop_assert_eq!(got, reply_of(&popped));
                                }
                            }
                        }
                    }
                    Op::Set(i, v) => {
                        let got = h.run(&["lset", "l", &i.to_string(), &v]);
                        let idx = if i < 0 { m.len() as i64 + i } else { i };
                        if m.is_empty() {
                            prop_assert_eq!(got, "-ERR no such key\r\n");
                        } else if idx < 0 || idx >= m.len() as i64 {
                            prop_assert_eq!(got, "-ERR index out of range\r\n");
                        } else {
                            m[idx as usize] = v;
                            prop_assert_eq!(got, "+OK\r\n");
                        }
                    }
                    Op::Insert(before, p, v) => {
                        let got = h.run(&["linsert", "l", if before { "before" } else { "after" }, &p, &v]);
                        if m.is_empty() {
                            prop_assert_eq!(got, ":0\r\n");
                        } else if let Some(pos) = m.iter().position(|x| *x == p) {
                            m.insert(if before { pos } else { pos + 1 }, v);
                            prop_assert_eq!(got, format!(":{}\r\n", m.len()));
                        } else {
                            prop_assert_eq!(got, ":-1\r\n");
                        }
                    }
                    Op::Rem(c, v) => {
                        let got = h.run(&["lrem", "l", &c.to_string(), &v]);
                        let limit = if c == 0 { usize::MAX } else { c.unsigned_abs() as usize };
                        let mut removed = 0;
                        if c >= 0 {
                            let mut out = VecDeque::new();
                            for x in m.drain(..) {
                                if x == v && removed < limit { removed += 1 } else { out.push_back(x) }
                            }
                            m = out;
                        } else {
                            let mut out = VecDeque::new();
                            for x in m.drain(..).rev() {
                                if x == v && removed < limit { removed += 1 } else { out.push_front(x) }
                            }
                            m = out;
                        }
                        prop_assert_eq!(got, format!(":{removed}\r\n"));
                    }
                    Op::Trim(s, e) => {
                        prop_assert_eq!(h.run(&["ltrim", "l", &s.to_string(), &e.to_string()]), "+OK\r\n");
                        m = model_range(&m, s, e).into();
                    }
                    Op::Move(from_left, to_left) => {
                        let got = h.run(&["lmove", "l", "o", if from_left { "left" } else { "right" }, if to_left { "left" } else { "right" }]);
                        let v = if from_left { m.pop_front() } else { m.pop_back() };
                        match v {
                            None => prop_assert_eq!(got, "$-1\r\n"),
                            Some(v) => {
                                prop_assert_eq!(got, b(&v));
                                if to_left { other.push_front(v) } else { other.push_back(v) }
                            }
                        }
                    }
                }
                prop_assert_eq!(h.run(&["llen", "l"]), format!(":{}\r\n", m.len()));
                prop_assert_eq!(h.run(&["exists", "l"]), format!(":{}\r\n", (!m.is_empty()) as u8));
            }
            let all: Vec<String> = m.iter().cloned().collect();
            prop_assert_eq!(h.run(&["lrange", "l", "0", "-1"]), reply_of(&all));
            let all: Vec<String> = other.iter().cloned().collect();
            prop_assert_eq!(h.run(&["lrange", "o", "0", "-1"]), reply_of(&all));
        }
    }
}
