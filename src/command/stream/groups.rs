//! The consumer groups' commands (Redis `t_stream.c`'s second half): XGROUP (CREATE, SETID, DESTROY,
//! CREATECONSUMER, DELCONSUMER, HELP), XINFO GROUPS / CONSUMERS, XACK, XPENDING, XREADGROUP (served at once and
//! when blocked), XCLAIM and XAUTOCLAIM. The parent module holds the command table, the shared parsing and reply
//! helpers, and XREAD, which parses XREADGROUP's arguments too (one parser, as `xreadCommand`) and hands the
//! group part to [`xreadgroup_now`]. What they propagate is described in the parent's header.

use super::{
    c_text, entry_size, id_or_reply, one_key_header, reply_entry, reply_group_position, reply_id, ReadBudget,
    BLOCKED_DEFAULT_COUNT, INVALID_ID,
};
use crate::blocking::{BlockKind, StreamWait, TimeoutReply};
use crate::command::admin::err_subcommand_syntax;
use crate::command::blocking::block_with;
use crate::command::shared::{int_arg, long_arg, reply_help};
use crate::command::Access;
use crate::command::{Args, Ctx};
use crate::config::notify as nc;
use crate::keyspace::types::stream::{
    parse_id, parse_interval_id, ConsumerGroup, EntryRef, Stream, StreamId, ENTRIES_READ_INVALID,
};
use crate::resp::reply::Reply;
use crate::util::parse_i64;

// ---------------------------------------------------------------------------------------------------------------
// Consumer groups: XGROUP, XINFO GROUPS / CONSUMERS, XACK, XPENDING

fn err_nogroup_for_key(r: &mut Reply, key: &[u8], group: &[u8]) {
    r.error(&format!("NOGROUP No such consumer group '{}' for key name '{}'", c_text(group), c_text(key)));
}

/// XGROUP HELP
pub(super) fn xgroup_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "xgroup",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
}

/// The checks every XGROUP subcommand but HELP makes first, in `xgroupCommand`'s order: the options of CREATE
/// and SETID, the key's type, the key's existence (unless MKSTREAM) and, but for CREATE and DESTROY, the group's.
/// Returns (mkstream, entries_read, whether the key exists), or None after replying an error.
fn xgroup_prelude(ctx: &mut Ctx, args: Args, create: bool, setid: bool) -> Option<(bool, i64, bool)> {
    let mut mkstream = false;
    let mut entries_read = ENTRIES_READ_INVALID;
    let mut i = 5;
    while i < args.len() {
        if create && args.is(i, "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && args.is(i, "entriesread") && i + 1 < args.len() {
            let n = int_arg(ctx.reply(), args.get(i + 1))?;
            if n < 0 && n != ENTRIES_READ_INVALID {
                ctx.reply().error("ERR value for ENTRIESREAD must be positive or -1");
                return None;
            }
            entries_read = n;
            i += 2;
        } else {
            err_subcommand_syntax(ctx.reply(), "xgroup", args.get(1));
            return None;
        }
    }
    let (key, group) = (args.get(2), args.get(3));
    let (s, r) = group_state(ctx, Access::WRITE, key).ok()?;
    let exists = s.is_some();
    if !mkstream {
        let Some(s) = s else {
            r.error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
            return None;
        };
        if !create && !args.is(1, "destroy") && !s.groups.contains_key(group) {
            err_nogroup_for_key(r, key, group);
            return None;
        }
    }
    Some((mkstream, entries_read, exists))
}

/// An ENTRIESREAD past the entries ever added counts as all of them, as Redis 8.2.2 fixed it (redis#14259): the
/// group's lag never goes negative.
fn clamp_entries_read(n: i64, s: &Stream) -> i64 {
    let added = i64::try_from(s.entries_added).unwrap_or(i64::MAX);
    if n != ENTRIES_READ_INVALID && n > added {
        added
    } else {
        n
    }
}

/// XGROUP CREATE key group <id | $> \[MKSTREAM\] [ENTRIESREAD entries-read]
pub(super) fn xgroup_create(ctx: &mut Ctx, args: Args) {
    let Some((_, entries_read, exists)) = xgroup_prelude(ctx, args, true, false) else { return };
    if args.len() > 8 {
        err_subcommand_syntax(ctx.reply(), "xgroup", args.get(1));
        return;
    }
    let (key, group) = (args.get(2), args.get(3));
    let id = if args.get(4) == b"$" {
        match group_state(ctx, Access::WRITE, key) {
            Ok((Some(s), _)) => s.last_id,
            _ => StreamId::MIN,
        }
    } else {
        let Some(p) = id_or_reply(ctx.reply(), args.get(4), 0, true, false) else { return };
        p.id
    };
    let Ok((s, r, mut w)) = ctx.write_or_create::<Stream>(key, Stream::new) else { return };
    let created = !s.groups.contains_key(group);
    if created {
        s.groups.insert(group.to_vec(), ConsumerGroup::new(id, clamp_entries_read(entries_read, s)));
        r.ok();
    } else {
        r.error("BUSYGROUP Consumer Group name already exists");
    }
    if !exists {
        // MKSTREAM made the key: signalled as Redis's `signalModifiedKey`, the change counted below.
        ctx.changed(&mut w, 0);
    } else {
        // A group is no change of the key in WATCH's sense (counted below).
        w.untouched();
    }
    if created {
        ctx.count_changes(1);
        ctx.notify(nc::STREAM, "xgroup-create", key);
    }
}

/// XGROUP SETID key group <id | $> [ENTRIESREAD entries-read]
pub(super) fn xgroup_setid(ctx: &mut Ctx, args: Args) {
    let Some((_, entries_read, _)) = xgroup_prelude(ctx, args, false, true) else { return };
    if args.len() != 5 && args.len() != 7 {
        err_subcommand_syntax(ctx.reply(), "xgroup", args.get(1));
        return;
    }
    let (key, group) = (args.get(2), args.get(3));
    let Ok((Some(s), r)) = group_state(ctx, Access::WRITE, key) else { return };
    let id = if args.get(4) == b"$" {
        s.last_id
    } else {
        let Some(p) = id_or_reply(r, args.get(4), 0, false, false) else { return };
        p.id
    };
    let entries_read = clamp_entries_read(entries_read, s);
    let Some(g) = s.groups.get_mut(group) else { return };
    g.last_id = id;
    g.entries_read = entries_read;
    r.ok();
    ctx.count_changes(1);
    ctx.notify(nc::STREAM, "xgroup-setid", key);
}

/// XGROUP DESTROY key group
pub(super) fn xgroup_destroy(ctx: &mut Ctx, args: Args) {
    if xgroup_prelude(ctx, args, false, false).is_none() {
        return;
    }
    let (key, group) = (args.get(2), args.get(3));
    let Ok((Some(s), r)) = group_state(ctx, Access::WRITE, key) else { return };
    if s.groups.remove(group).is_none() {
        r.int(0);
        return;
    }
    r.int(1);
    ctx.count_changes(1);
    ctx.notify(nc::STREAM, "xgroup-destroy", key);
    // Its blocked XREADGROUP readers answer NOGROUP.
    ctx.blocking().signal_ready(key);
}

/// XGROUP CREATECONSUMER key group consumer
pub(super) fn xgroup_createconsumer(ctx: &mut Ctx, args: Args) {
    if xgroup_prelude(ctx, args, false, false).is_none() {
        return;
    }
    let (key, group, name) = (args.get(2), args.get(3), args.get(4));
    let now = ctx.now_ms();
    let Ok((Some(s), r)) = group_state(ctx, Access::WRITE, key) else { return };
    let Some(g) = s.groups.get_mut(group) else { return };
    if g.consumers.contains_key(name) {
        r.int(0);
        return;
    }
    g.consumers.insert(name.into(), crate::keyspace::types::stream::Consumer { seen_time: now, ..Default::default() });
    r.int(1);
    ctx.count_changes(1);
    ctx.notify(nc::STREAM, "xgroup-createconsumer", key);
}

/// XGROUP DELCONSUMER key group consumer
pub(super) fn xgroup_delconsumer(ctx: &mut Ctx, args: Args) {
    if xgroup_prelude(ctx, args, false, false).is_none() {
        return;
    }
    let (key, group, name) = (args.get(2), args.get(3), args.get(4));
    let Ok((Some(s), r)) = group_state(ctx, Access::WRITE, key) else { return };
    let Some(g) = s.groups.get_mut(group) else { return };
    let Some(c) = g.consumers.remove(name) else {
        r.int(0);
        return;
    };
    for id in &c.pel {
        g.pel.remove(id);
    }
    r.int(c.pel.len() as i64);
    ctx.count_changes(1);
    ctx.notify(nc::STREAM, "xgroup-delconsumer", key);
}

/// XINFO GROUPS key
pub(super) fn xinfo_groups(ctx: &mut Ctx, args: Args) {
    let Ok((s, r)) = ctx.lookup_typed::<Stream>(Access::READ, args.get(2)) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return;
    };
    r.array(s.groups.len());
    for (name, g) in &s.groups {
        r.map(6);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"consumers");
        r.int(g.consumers.len() as i64);
        r.bulk(b"pending");
        r.int(g.pel.len() as i64);
        reply_group_position(r, s, g);
    }
}

/// XINFO CONSUMERS key group
pub(super) fn xinfo_consumers(ctx: &mut Ctx, args: Args) {
    let (key, group) = (args.get(2), args.get(3));
    let now = ctx.now_ms();
    let Ok((s, r)) = ctx.lookup_typed::<Stream>(Access::READ, key) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return;
    };
    let Some(g) = s.groups.get(group) else {
        err_nogroup_for_key(r, key, group);
        return;
    };
    r.array(g.consumers.len());
    for (name, c) in &g.consumers {
        r.map(3);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"pending");
        r.int(c.pel.len() as i64);
        r.bulk(b"idle");
        r.int(now.saturating_sub(c.seen_time).max(0));
    }
}

/// XACK key group id [id ...]
pub(super) fn xack(ctx: &mut Ctx, args: Args) {
    let (key, group) = (args.get(1), args.get(2));
    let Ok((s, r)) = group_state(ctx, Access::WRITE, key) else { return };
    let Some(g) = s.and_then(|s| s.groups.get_mut(group)) else {
        r.int(0);
        return;
    };
    let mut ids = Vec::with_capacity(args.len() - 3);
    for a in args.iter().skip(3) {
        let Some(p) = id_or_reply(r, a, 0, true, false) else { return };
        ids.push(p.id);
    }
    let mut acked = 0u64;
    for id in ids {
        acked += u64::from(g.ack(id));
    }
    r.int(acked as i64);
    ctx.count_changes(acked);
}

/// XPENDING's extended form: the id range, COUNT, IDLE and the consumer.
struct PendingQuery<'a> {
    start: StreamId,
    end: StreamId,
    count: i64,
    minidle: i64,
    consumer: Option<&'a [u8]>,
}

/// Parses XPENDING's extended form (`[IDLE min-idle-time] start end count [consumer]`); None once an error was
/// replied.
fn parse_xpending_query<'a>(ctx: &mut Ctx, args: Args<'a>) -> Option<PendingQuery<'a>> {
    let argc = args.len();
    let mut q = PendingQuery { start: StreamId::MIN, end: StreamId::MAX, count: 0, minidle: 0, consumer: None };
    let mut si = 3;
    if args.is(3, "idle") {
        q.minidle = int_arg(ctx.reply(), args.get(4))?;
        if argc < 8 {
            ctx.reply().err_syntax();
            return None;
        }
        si += 2;
    }
    let n = int_arg(ctx.reply(), args.get(si + 2))?;
    q.count = n.max(0);
    let Some((s, ex)) = parse_interval_id(args.get(si), 0) else {
        ctx.reply().error(INVALID_ID);
        return None;
    };
    q.start = s;
    if ex {
        let Some(s) = q.start.incr() else {
            ctx.reply().error("ERR invalid start ID for the interval");
            return None;
        };
        q.start = s;
    }
    let Some((e, ex)) = parse_interval_id(args.get(si + 1), u64::MAX) else {
        ctx.reply().error(INVALID_ID);
        return None;
    };
    q.end = e;
    if ex {
        let Some(e) = q.end.decr() else {
            ctx.reply().error("ERR invalid end ID for the interval");
            return None;
        };
        q.end = e;
    }
    if si + 3 < argc {
        q.consumer = Some(args.get(si + 3));
    }
    Some(q)
}

/// XPENDING key group: the count, the smallest and greatest pending ids, and each consumer's count.
fn reply_pending_summary(r: &mut Reply, g: &ConsumerGroup) {
    r.array(4);
    r.int(g.pel.len() as i64);
    let (Some((first, _)), Some((last, _))) = (g.pel.first_key_value(), g.pel.last_key_value()) else {
        r.null();
        r.null();
        r.null_array();
        return;
    };
    reply_id(r, *first);
    reply_id(r, *last);
    let owners: Vec<_> = g.consumers.iter().filter(|(_, c)| !c.pel.is_empty()).collect();
    r.array(owners.len());
    for (name, c) in owners {
        r.array(2);
        r.bulk(name);
        r.bulk_int(c.pel.len() as i64);
    }
}

/// XPENDING's extended form: the pending entries in the range (of one consumer, idle long enough), each with its
/// owner, idle time and delivery count.
fn reply_pending_range(r: &mut Reply, g: &ConsumerGroup, q: &PendingQuery, now: i64) {
    let ids: Box<dyn Iterator<Item = &StreamId>> = match q.consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) => Box::new(c.pel.range(q.start..)),
            None => {
                r.array(0);
                return;
            }
        },
        None => Box::new(g.pel.range(q.start..).map(|(id, _)| id)),
    };
    let mut out = Vec::new();
    if q.count > 0 {
        for id in ids.take_while(|id| **id <= q.end) {
            let Some(p) = g.pel.get(id) else { continue };
            if q.minidle != 0 && now.wrapping_sub(p.delivery_time) < q.minidle {
                continue;
            }
            out.push((*id, p));
            if out.len() as i64 == q.count {
                break;
            }
        }
    }
    r.array(out.len());
    for (id, p) in out {
        r.array(4);
        reply_id(r, id);
        r.bulk(&p.consumer);
        r.int(now.wrapping_sub(p.delivery_time).max(0));
        r.int(p.delivery_count as i64);
    }
}

/// XPENDING key group [[IDLE min-idle-time] start end count \[consumer\]]
pub(super) fn xpending(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        ctx.reply().err_syntax();
        return;
    }
    let q = if argc >= 6 {
        let Some(q) = parse_xpending_query(ctx, args) else { return };
        q
    } else {
        PendingQuery { start: StreamId::MIN, end: StreamId::MAX, count: 0, minidle: 0, consumer: None }
    };
    let (key, group) = (args.get(1), args.get(2));
    let now = ctx.now_ms();
    let Ok((s, r)) = ctx.lookup_typed::<Stream>(Access::READ, key) else { return };
    let Some(g) = s.and_then(|s| s.groups.get(group)) else {
        r.error(&format!("NOGROUP No such key '{}' or consumer group '{}'", c_text(key), c_text(group)));
        return;
    };
    if justinfo {
        reply_pending_summary(r, g);
    } else {
        reply_pending_range(r, g, &q, now);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// XREADGROUP

/// What an XREADGROUP reads as: the group, the consumer and the options that shape each stream's part.
pub(super) struct GroupRead<'a> {
    pub gname: &'a [u8],
    pub cname: &'a [u8],
    pub noack: bool,
    /// COUNT (0: all).
    pub count: i64,
    /// CLAIM's min-idle-time (Redis 8.4), -1 without CLAIM.
    pub claim: i64,
    /// MAXCOUNT / MAXSIZE (Redis 8.10) for the whole reply.
    pub budget: ReadBudget,
}

/// XREADGROUP served at once (the part of `xreadCommand` after the ids are resolved): each stream with its
/// consumer's history (an id given) or with entries past the group's last delivered id (`>`), after CLAIM's idle
/// pending entries; blocks when none could be served and BLOCK was given. Propagated as Redis does: the command
/// itself never, its effects as `XCLAIM ... LASTID` per delivered (or claimed) entry, `XGROUP SETID` after a NOACK
/// read, `XGROUP CREATECONSUMER` for a consumer a NOACK read created.
pub(super) fn xreadgroup_now(
    ctx: &mut Ctx,
    args: Args,
    keys: &[&[u8]],
    ids: &[StreamId],
    read: &GroupRead,
    timeout: i64,
) {
    let now = ctx.now_ms();
    let resp3 = ctx.reply().is_resp3();
    let mut body = Reply::new();
    if resp3 {
        body.proto = crate::resp::reply::Proto::Resp3;
    }
    let mut effects = GroupEffects::new(ctx.propagation().enabled());
    let mut served = 0;
    // CLAIM: the earliest time a pending entry becomes claimable, for a wait.
    let mut wake = 0;
    let mut budget = read.budget;
    let mut claim_on = read.claim;
    for (k, &key) in keys.iter().enumerate() {
        if budget.exhausted() {
            break;
        }
        let Ok((Some(s), _)) = group_state(ctx, Access::READ, key) else { continue };
        let Some(g) = s.groups.get(read.gname) else { continue };
        let history = ids[k] != StreamId::MAX;
        if history {
            // As `xreadCommand` resets its min-idle-time: no CLAIM for this stream nor for the ones after it.
            claim_on = -1;
        }
        let claim = claim_on;
        let mut claimable = false;
        if claim >= 0 {
            let (any, next) = claim_scan(s, g, claim, now);
            claimable = any;
            if next > 0 && (wake == 0 || next < wake) {
                wake = next;
            }
        }
        let gt = if history || claimable {
            if history {
                ids[k]
            } else {
                g.last_id
            }
        } else if s.length > 0 && s.last_valid_id() > g.last_id {
            g.last_id
        } else {
            continue;
        };
        served += 1;
        if !resp3 {
            body.array(2);
        }
        body.bulk(key);
        let start = gt.incr().unwrap_or(StreamId::MAX);
        let take = read.count.max(0) as usize;
        serve_group(&mut body, s, key, read, claim, start, take, history, now, &mut budget, &mut effects);
        effects.changes += 1;
    }
    if served > 0 {
        let r = ctx.reply();
        if resp3 {
            r.map(served);
        } else {
            r.array(served);
        }
        r.raw_bytes(body.pending());
    } else if timeout != -1 {
        let count = if read.count > 0 { read.count as usize } else { BLOCKED_DEFAULT_COUNT };
        let wait = StreamWait {
            ids: ids.to_vec(),
            count: read.budget.cap(count),
            last_entry: Vec::new(),
            claim: (read.claim >= 0).then_some(crate::blocking::ClaimWait { min_idle_ms: read.claim, wake_ms: wake }),
        };
        block_with(ctx, args, keys, timeout, BlockKind::StreamGroup, TimeoutReply::NullArray, Some(wait));
    } else {
        ctx.reply().null_array();
    }
    effects.apply(ctx);
}

/// CLAIM's look at a group's PEL: whether an entry still in the stream is idle for at least `min_idle` ms, and
/// else the earliest time one will be (0: none).
fn claim_scan(s: &Stream, g: &ConsumerGroup, min_idle: i64, now: i64) -> (bool, i64) {
    let mut next = 0;
    for (&id, p) in &g.pel {
        let due = p.delivery_time.saturating_add(min_idle);
        if due > now && next != 0 && due >= next {
            continue;
        }
        if s.range(id, id, false).next().is_none() {
            continue;
        }
        if due <= now {
            return (true, 0);
        }
        next = due;
    }
    (false, next)
}

/// The group's pending entries CLAIM delivers (idle at least `min_idle` ms, still in the stream), longest idle
/// first, at most `take`: each with its idle time and delivery count before this delivery. An entry deleted from
/// the stream stays pending, is not delivered and takes no place in `take` (Redis 8.4.0 counted it; later
/// `streamReplyWithRange`s count only what they deliver).
fn claim_candidates(s: &Stream, g: &ConsumerGroup, min_idle: i64, now: i64, take: usize) -> Vec<(StreamId, i64, u64)> {
    let mut idle: Vec<(i64, StreamId, u64)> = g
        .pel
        .iter()
        .filter(|(_, p)| now.saturating_sub(p.delivery_time) >= min_idle)
        .map(|(&id, p)| (p.delivery_time, id, p.delivery_count))
        .collect();
    idle.sort_unstable();
    idle.into_iter()
        .filter(|&(_, id, _)| s.range(id, id, false).next().is_some())
        .take(take)
        .map(|(t, id, n)| (id, now.saturating_sub(t), n))
        .collect()
}

/// A blocked XREADGROUP re-run for the one key that changed (`serveClientsBlockedOnStreamKey` and
/// `unblockDeletedStreamReadgroupClients`): the key gone or of another type and the group destroyed are errors;
/// entries past the group's last delivered id are served; else it waits on. With CLAIM (Redis 8.4, which re-runs
/// the whole command) every key is looked at again, also when a pending entry became claimable.
pub(super) fn xreadgroup_serve_blocked(ctx: &mut Ctx, args: Args) {
    let Some((key, b)) = ctx.blocking().served_wait() else { return };
    let key = key.to_vec();
    let Some(wait) = b.stream.clone() else { return };
    let (deadline, keys) = (b.deadline_ms, b.keys.clone());
    let (mut gname, mut cname, mut noack) = (&b""[..], &b""[..], false);
    let mut i = 1;
    while i < args.len() {
        if args.is(i, "streams") {
            break;
        } else if args.is(i, "group") && i + 2 < args.len() {
            (gname, cname) = (args.get(i + 1), args.get(i + 2));
            i += 2;
        } else if args.is(i, "noack") {
            noack = true;
        } else if args.is(i, "block") || args.is(i, "count") || args.is(i, "claim") {
            i += 1;
        }
        i += 1;
    }
    let now = ctx.now_ms();
    let mut effects = GroupEffects::new(ctx.propagation().enabled());
    {
        let w = ctx.open_write(&key);
        let (s, _, r) = ctx.door(&w).typed_mut::<Stream>();
        w.unsignalled();
        let Some(s) = s else {
            r.error("UNBLOCKED the stream key no longer exists");
            return;
        };
        let Some(g) = s.groups.get(gname) else {
            r.error("NOGROUP the consumer group this client was blocked on no longer exists");
            return;
        };
        if let Some(c) = wait.claim {
            let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
            let count = if wait.count == BLOCKED_DEFAULT_COUNT { 0 } else { wait.count as i64 };
            let read = GroupRead { gname, cname, noack, count, claim: c.min_idle_ms, budget: ReadBudget::new(0, 0) };
            xreadgroup_now(ctx, args, &keys, &wait.ids, &read, deadline);
            return;
        }
        let gt = g.last_id;
        if s.last_id > gt {
            one_key_header(r, &key);
            let start = gt.incr().unwrap_or(StreamId::MAX);
            let mut budget = ReadBudget::new(0, 0);
            let read = GroupRead { gname, cname, noack, count: wait.count as i64, claim: -1, budget };
            serve_group(r, s, &key, &read, -1, start, wait.count, false, now, &mut budget, &mut effects);
        } else {
            let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
            block_with(ctx, args, &keys, deadline, BlockKind::StreamGroup, TimeoutReply::NullArray, Some(wait));
            return;
        }
    }
    effects.apply(ctx);
}

/// What serving a group did besides replying: changes to count, consumers created (keyspace events) and the
/// commands to propagate, applied once the stream is no longer borrowed.
struct GroupEffects {
    changes: u64,
    created: Vec<Vec<u8>>,
    propagate: Vec<Vec<Vec<u8>>>,
    /// Whether anything reads what is propagated (else the commands are not even built).
    prop: bool,
}

impl GroupEffects {
    fn new(prop: bool) -> Self {
        GroupEffects { changes: 0, created: Vec::new(), propagate: Vec::new(), prop }
    }

    /// Records a command to propagate, built only when something reads it.
    #[inline]
    fn push(&mut self, argv: impl FnOnce() -> Vec<Vec<u8>>) {
        if self.prop {
            self.propagate.push(argv());
        }
    }

    fn apply(self, ctx: &mut Ctx) {
        ctx.propagation().prevent();
        ctx.count_changes(self.changes);
        for key in &self.created {
            ctx.notify(nc::STREAM, "xgroup-createconsumer", key);
        }
        for argv in &self.propagate {
            ctx.propagation().also(argv);
        }
    }
}

/// The consumer `cname` of group `gname`, looked up (its seen time refreshed) or created (`streamLookupConsumer`
/// + `streamCreateConsumer`); a creation is counted and notified.
fn consumer_seen(s: &mut Stream, key: &[u8], gname: &[u8], cname: &[u8], now: i64, fx: &mut GroupEffects) -> bool {
    let Some(g) = s.groups.get_mut(gname) else { return false };
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time = now;
        return false;
    }
    g.consumers.insert(cname.into(), crate::keyspace::types::stream::Consumer { seen_time: now, ..Default::default() });
    fx.changes += 1;
    fx.created.push(key.to_vec());
    true
}

fn xclaim_argv(
    key: &[u8],
    gname: &[u8],
    id: StreamId,
    p: &crate::keyspace::types::stream::PendingEntry,
    last: StreamId,
) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        gname.to_vec(),
        p.consumer.to_vec(),
        b"0".to_vec(),
        id.to_bytes(),
        b"TIME".to_vec(),
        p.delivery_time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        p.delivery_count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        last.to_bytes(),
    ]
}

/// The `XGROUP SETID key group last-id ENTRIESREAD n` that propagates a group's new position.
fn setid_argv(key: &[u8], gname: &[u8], g: &ConsumerGroup) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        gname.to_vec(),
        g.last_id.to_bytes(),
        b"ENTRIESREAD".to_vec(),
        g.entries_read.to_string().into_bytes(),
    ]
}

/// One stream's part of an XREADGROUP reply (`streamReplyWithRange` with a group, or
/// `streamReplyWithRangeFromConsumerPEL` for history): the entries array, with the group and PELs updated. With
/// CLAIM (`claim` >= 0) the idle pending entries come first and every entry carries its idle time and delivery
/// count.
#[allow(clippy::too_many_arguments)]
fn serve_group(
    r: &mut Reply,
    s: &mut Stream,
    key: &[u8],
    read: &GroupRead,
    claim: i64,
    start: StreamId,
    count: usize,
    history: bool,
    now: i64,
    budget: &mut ReadBudget,
    fx: &mut GroupEffects,
) {
    let (gname, cname, noack) = (read.gname, read.cname, read.noack);
    if consumer_seen(s, key, gname, cname, now, fx) && noack {
        fx.push(|| vec![b"XGROUP".to_vec(), b"CREATECONSUMER".to_vec(), key.to_vec(), gname.to_vec(), cname.to_vec()]);
    }
    let take = budget.cap(if count == 0 { usize::MAX } else { count });
    // The group is taken out of the stream while the stream's entries are read (put back below).
    let Some(slot) = s.groups.get_mut(gname) else { return };
    let mut g = std::mem::replace(slot, ConsumerGroup::new(StreamId::MIN, 0));
    if history {
        serve_history(r, s, &mut g, cname, start, take, now, budget);
    } else {
        let claimed = if claim >= 0 { Some(claim_candidates(s, &g, claim, now, take)) } else { None };
        serve_new_entries(r, s, &mut g, key, read, start, take, claimed, now, budget, fx);
    }
    if let Some(slot) = s.groups.get_mut(gname) {
        *slot = g;
    }
}

/// An entry delivered by XREADGROUP ... CLAIM: its id, fields, idle time and delivery count (integers, Redis 8.4.1).
fn reply_claimed_entry(r: &mut Reply, e: &EntryRef<'_>, idle: i64, deliveries: u64) {
    r.array(4);
    reply_id(r, e.id);
    r.array(e.num_fields() * 2);
    e.for_each_field(|f, v| {
        super::reply_str(r, f);
        super::reply_str(r, v);
    });
    r.int(idle);
    r.int(deliveries.min(i64::MAX as u64) as i64);
}

/// `streamReplyWithRangeFromConsumerPEL`: the consumer's pending entries from `start` on, each delivered once
/// more (a deleted one as its id with a null).
#[allow(clippy::too_many_arguments)]
fn serve_history(
    r: &mut Reply,
    s: &Stream,
    g: &mut ConsumerGroup,
    cname: &[u8],
    start: StreamId,
    take: usize,
    now: i64,
    budget: &mut ReadBudget,
) {
    let mut ids: Vec<StreamId> =
        g.consumers.get(cname).map(|c| c.pel.range(start..).take(take).copied().collect()).unwrap_or_default();
    if budget.active() {
        let fits = ids
            .iter()
            .take_while(|&&id| {
                let size = match s.range(id, id, false).next() {
                    Some(e) => entry_size(r, |x| reply_entry(x, &e)),
                    None => entry_size(r, |x| {
                        x.array(2);
                        reply_id(x, id);
                        x.null_array();
                    }),
                };
                budget.admit(size)
            })
            .count();
        ids.truncate(fits);
    }
    r.array(ids.len());
    for id in ids {
        match s.range(id, id, false).next() {
            Some(e) => {
                reply_entry(r, &e);
                if let Some(p) = g.pel.get_mut(&id) {
                    p.delivery_time = now;
                    // Wraps as Redis's 64-bit counter does: a RESTOREd PEL may hold any count.
                    p.delivery_count = p.delivery_count.wrapping_add(1);
                }
            }
            None => {
                r.array(2);
                reply_id(r, id);
                r.null_array();
            }
        }
    }
}

/// `streamReplyWithRange` with a group: the entries from `start` on, the group's last id moved past them and
/// (unless NOACK) each added to the consumer's PEL, with what to propagate. With CLAIM, `claimed` (id, idle time,
/// delivery count) are delivered first, each moved to the consumer as XCLAIM would (NOACK does not apply to
/// them), and every entry is replied with its idle time and delivery count (0 and 0 for new ones).
#[allow(clippy::too_many_arguments)]
fn serve_new_entries(
    r: &mut Reply,
    s: &Stream,
    g: &mut ConsumerGroup,
    key: &[u8],
    read: &GroupRead,
    start: StreamId,
    take: usize,
    mut claimed: Option<Vec<(StreamId, i64, u64)>>,
    now: i64,
    budget: &mut ReadBudget,
    fx: &mut GroupEffects,
) {
    let (gname, cname, noack) = (read.gname, read.cname, read.noack);
    let me = g.consumers.get_key_value(cname).map(|(k, _)| k.clone());
    if let Some(c) = claimed.as_mut().filter(|_| budget.active()) {
        let fits = c
            .iter()
            .take_while(|&&(id, idle, n)| {
                let size =
                    s.range(id, id, false).next().map_or(0, |e| entry_size(r, |x| reply_claimed_entry(x, &e, idle, n)));
                budget.admit(size)
            })
            .count();
        c.truncate(fits);
    }
    let claimed = claimed.as_deref();
    let ids: Vec<StreamId> = {
        let first = claimed.map_or(0, <[_]>::len);
        let mut entries: Vec<EntryRef<'_>> =
            s.range(start, StreamId::MAX, false).take(budget.cap(take.saturating_sub(first))).collect();
        if budget.active() {
            let fits = entries
                .iter()
                .take_while(|e| {
                    let size = if claimed.is_some() {
                        entry_size(r, |x| reply_claimed_entry(x, e, 0, 0))
                    } else {
                        entry_size(r, |x| reply_entry(x, e))
                    };
                    budget.admit(size)
                })
                .count();
            entries.truncate(fits);
        }
        r.array(first + entries.len());
        for &(id, idle, n) in claimed.unwrap_or(&[]) {
            if let Some(e) = s.range(id, id, false).next() {
                reply_claimed_entry(r, &e, idle, n);
            }
        }
        for e in &entries {
            if claimed.is_some() {
                reply_claimed_entry(r, e, 0, 0);
            } else {
                reply_entry(r, e);
            }
        }
        entries.iter().map(|e| e.id).collect()
    };
    hand_over_claimed(g, key, read, claimed.unwrap_or(&[]), me.clone(), now, fx);
    let mut propagate_last_id = false;
    for &id in &ids {
        if id > g.last_id {
            if g.entries_read != ENTRIES_READ_INVALID && !s.range_has_tombstones(Some(id), None) {
                // ENTRIESREAD accepts up to i64::MAX; wrap as Redis's counter would rather than panic.
                g.entries_read = g.entries_read.wrapping_add(1);
            } else if s.entries_added != 0 {
                g.entries_read = s.estimate_distance(id);
            }
            g.last_id = id;
            if noack {
                propagate_last_id = true;
            }
        }
        if noack {
            continue;
        }
        if let Some(p) = g.pel.get(&id) {
            let old = p.consumer.clone();
            if let Some(c) = g.consumers.get_mut(&*old) {
                c.pel.remove(&id);
            }
        }
        let Some(consumer) = me.clone() else { continue };
        let p = crate::keyspace::types::stream::PendingEntry { delivery_time: now, delivery_count: 1, consumer };
        fx.push(|| xclaim_argv(key, gname, id, &p, g.last_id));
        g.pel.insert(id, p);
    }
    if !noack {
        if let Some(c) = g.consumers.get_mut(cname) {
            c.pel.extend(ids.iter().copied());
        }
    }
    if propagate_last_id {
        fx.push(|| setid_argv(key, gname, g));
    }
}

/// CLAIM's delivered pending entries move to the reader (`me`), one more delivery each, each propagated as an
/// XCLAIM.
fn hand_over_claimed(
    g: &mut ConsumerGroup,
    key: &[u8],
    read: &GroupRead,
    claimed: &[(StreamId, i64, u64)],
    me: Option<crate::keyspace::types::stream::Name>,
    now: i64,
    fx: &mut GroupEffects,
) {
    for &(id, _, _) in claimed {
        let (Some(consumer), Some(p)) = (me.clone(), g.pel.get_mut(&id)) else { continue };
        let old = std::mem::replace(&mut p.consumer, consumer);
        p.delivery_time = now;
        p.delivery_count = p.delivery_count.wrapping_add(1);
        let p = p.clone();
        if let Some(c) = g.consumers.get_mut(&*old) {
            c.pel.remove(&id);
        }
        if let Some(c) = g.consumers.get_mut(read.cname) {
            c.pel.insert(id);
        }
        fx.push(|| xclaim_argv(key, read.gname, id, &p, g.last_id));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// XCLAIM XAUTOCLAIM

fn err_nogroup_key_or_group(r: &mut Reply, key: &[u8], group: &[u8]) {
    r.error(&format!("NOGROUP No such key '{}' or consumer group '{}'", c_text(key), c_text(group)));
}

/// Moves pending entry `id` of `g` to consumer `cname` (created if needed, counted and notified), with the given
/// delivery time and count; returns the entry as now pending. `p` is the entry's old state, None for one FORCE
/// creates.
#[allow(clippy::too_many_arguments)]
fn claim_one(
    g: &mut ConsumerGroup,
    key: &[u8],
    id: StreamId,
    cname: &[u8],
    delivery_time: i64,
    delivery_count: u64,
    now: i64,
    fx: &mut GroupEffects,
) -> crate::keyspace::types::stream::PendingEntry {
    match g.consumers.get_mut(cname) {
        Some(c) => c.seen_time = now,
        None => {
            g.consumers.insert(
                cname.into(),
                crate::keyspace::types::stream::Consumer { seen_time: now, ..Default::default() },
            );
            fx.changes += 1;
            fx.created.push(key.to_vec());
        }
    }
    if let Some(old) = g.pel.get(&id).map(|p| p.consumer.clone()) {
        if *old != *cname {
            if let Some(c) = g.consumers.get_mut(&*old) {
                c.pel.remove(&id);
            }
        }
    }
    let consumer = g.consumers.get_key_value(cname).map_or_else(|| cname.into(), |(k, _)| k.clone());
    let p = crate::keyspace::types::stream::PendingEntry { delivery_time, delivery_count, consumer };
    g.pel.insert(id, p.clone());
    if let Some(c) = g.consumers.get_mut(cname) {
        c.pel.insert(id);
    }
    p
}

/// Drops pending entry `id` whose stream entry is gone, propagating it as Redis does (an XCLAIM of the old state,
/// which the replica drops in turn).
fn drop_deleted(g: &mut ConsumerGroup, key: &[u8], gname: &[u8], id: StreamId, fx: &mut GroupEffects) {
    let Some(p) = g.pel.remove(&id) else { return };
    fx.push(|| xclaim_argv(key, gname, id, &p, g.last_id));
    fx.changes += 1;
    if let Some(c) = g.consumers.get_mut(&*p.consumer) {
        c.pel.remove(&id);
    }
}

/// XCLAIM's options after the ids.
struct ClaimOptions {
    force: bool,
    justid: bool,
    /// RETRYCOUNT (-1: none).
    retrycount: i64,
    /// The delivery time IDLE or TIME sets (now when neither, or out of range).
    deliverytime: i64,
    last_id: StreamId,
}

/// Parses XCLAIM's min-idle-time, ids and options; None once an error was replied.
fn parse_xclaim_options(ctx: &mut Ctx, args: Args, now: i64) -> Option<(i64, Vec<StreamId>, ClaimOptions)> {
    let minidle = long_arg(ctx.reply(), args.get(4), Some("ERR Invalid min-idle-time argument for XCLAIM"))?;
    let minidle = minidle.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match parse_id(args.get(j), 0, true, false) {
            Some(p) => ids.push(p.id),
            None => break,
        }
        j += 1;
    }
    let mut o = ClaimOptions { force: false, justid: false, retrycount: -1, deliverytime: -1, last_id: StreamId::MIN };
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = args.get(j);
        let num = |ctx: &mut Ctx, v: &[u8], what: &str| -> Option<i64> {
            let n = parse_i64(v);
            if n.is_none() {
                ctx.reply().error(&format!("ERR Invalid {what} option argument for XCLAIM"));
            }
            n
        };
        if args.is(j, "force") {
            o.force = true;
        } else if args.is(j, "justid") {
            o.justid = true;
        } else if args.is(j, "idle") && more > 0 {
            j += 1;
            let n = num(ctx, args.get(j), "IDLE")?;
            o.deliverytime = now.wrapping_sub(n);
        } else if args.is(j, "time") && more > 0 {
            j += 1;
            o.deliverytime = num(ctx, args.get(j), "TIME")?;
        } else if args.is(j, "retrycount") && more > 0 {
            j += 1;
            o.retrycount = num(ctx, args.get(j), "RETRYCOUNT")?;
        } else if args.is(j, "lastid") && more > 0 {
            j += 1;
            let p = id_or_reply(ctx.reply(), args.get(j), 0, true, false)?;
            o.last_id = p.id;
        } else {
            ctx.reply().error(&format!("ERR Unrecognized XCLAIM option '{}'", c_text(opt)));
            return None;
        }
        j += 1;
    }
    if o.deliverytime == -1 || o.deliverytime < 0 || o.deliverytime > now {
        o.deliverytime = now;
    }
    Some((minidle, ids, o))
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms-unix-time] [RETRYCOUNT count] \[FORCE\]
/// \[JUSTID\] [LASTID id]
pub(super) fn xclaim(ctx: &mut Ctx, args: Args) {
    let (key, gname, cname) = (args.get(1), args.get(2), args.get(3));
    let now = ctx.now_ms();
    {
        let Ok((s, r)) = ctx.lookup_typed::<Stream>(Access::READ, key) else { return };
        if !s.is_some_and(|s| s.groups.contains_key(gname)) {
            err_nogroup_key_or_group(r, key, gname);
            return;
        }
    }
    let Some((minidle, ids, o)) = parse_xclaim_options(ctx, args, now) else { return };
    let mut fx = GroupEffects::new(ctx.propagation().enabled());
    {
        let Ok((Some(s), r)) = group_state(ctx, Access::READ, key) else { return };
        let Some(mut g) = s.groups.remove(gname) else { return };
        let mut propagate_last_id = false;
        if o.last_id > g.last_id {
            g.last_id = o.last_id;
            propagate_last_id = true;
        }
        let mut body = Reply::new();
        body.proto = r.proto;
        let mut n = 0;
        for id in ids {
            let entry = s.range(id, id, false).next();
            let Some(entry) = entry else {
                if g.pel.contains_key(&id) {
                    drop_deleted(&mut g, key, gname, id, &mut fx);
                    propagate_last_id = false;
                }
                continue;
            };
            let old = g.pel.get(&id).map(|p| (p.delivery_time, p.delivery_count));
            let (old_time, old_count) = match old {
                Some(prev) => prev,
                None if o.force => (now, 1),
                None => continue,
            };
            if old.is_some() && minidle != 0 && now.wrapping_sub(old_time) < minidle {
                continue;
            }
            let count = if o.retrycount >= 0 {
                o.retrycount as u64
            } else if !o.justid {
                old_count.wrapping_add(1)
            } else {
                old_count
            };
            let p = claim_one(&mut g, key, id, cname, o.deliverytime, count, now, &mut fx);
            if o.justid {
                reply_id(&mut body, id);
            } else {
                reply_entry(&mut body, &entry);
            }
            n += 1;
            fx.push(|| xclaim_argv(key, gname, id, &p, g.last_id));
            propagate_last_id = false;
            fx.changes += 1;
        }
        if propagate_last_id {
            fx.push(|| setid_argv(key, gname, &g));
            fx.changes += 1;
        }
        s.groups.insert(gname.to_vec(), g);
        r.array(n);
        r.raw_bytes(body.pending());
    }
    fx.apply(ctx);
}

/// Parses XAUTOCLAIM's min-idle-time, start and options: `(min-idle-time, start, COUNT, JUSTID)`, None once an
/// error was replied.
fn parse_xautoclaim_options(ctx: &mut Ctx, args: Args) -> Option<(i64, StreamId, i64, bool)> {
    let minidle = long_arg(ctx.reply(), args.get(4), Some("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?;
    let minidle = minidle.max(0);
    let Some((mut start, ex)) = parse_interval_id(args.get(5), 0) else {
        ctx.reply().error(INVALID_ID);
        return None;
    };
    if ex {
        let Some(s) = start.incr() else {
            ctx.reply().error("ERR invalid start ID for the interval");
            return None;
        };
        start = s;
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args.is(j, "count") && more > 0 {
            match parse_i64(args.get(j + 1)) {
                Some(n) if (1..=i64::MAX / 16).contains(&n) => count = n,
                _ => {
                    ctx.reply().error("ERR COUNT must be > 0");
                    return None;
                }
            }
            j += 1;
        } else if args.is(j, "justid") {
            justid = true;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        j += 1;
    }
    Some((minidle, start, count, justid))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] \[JUSTID\]
pub(super) fn xautoclaim(ctx: &mut Ctx, args: Args) {
    let (key, gname, cname) = (args.get(1), args.get(2), args.get(3));
    let Some((minidle, start, mut count, justid)) = parse_xautoclaim_options(ctx, args) else { return };
    let now = ctx.now_ms();
    let mut fx = GroupEffects::new(ctx.propagation().enabled());
    {
        let Ok((s, r)) = group_state(ctx, Access::READ, key) else { return };
        let Some(s) = s.filter(|s| s.groups.contains_key(gname)) else {
            err_nogroup_key_or_group(r, key, gname);
            return;
        };
        // Redis allocates COUNT ids for the deleted ones up front: past what an address space can hold (x86-64's
        // 128 TiB of user space) that allocation fails, and so does the command.
        if count > (1i64 << 47) / 16 {
            r.error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
            return;
        }
        let Some(mut g) = s.groups.remove(gname) else { return };
        let mut attempts = count.saturating_mul(10);
        let ids: Vec<StreamId> =
            g.pel.range(start..).map(|(id, _)| *id).take((attempts as usize).saturating_add(1)).collect();
        let mut body = Reply::new();
        body.proto = r.proto;
        let (mut n, mut i) = (0usize, 0usize);
        let mut deleted = Vec::new();
        while attempts > 0 && count > 0 && i < ids.len() {
            attempts -= 1;
            let id = ids[i];
            i += 1;
            let Some(entry) = s.range(id, id, false).next() else {
                drop_deleted(&mut g, key, gname, id, &mut fx);
                deleted.push(id);
                count -= 1;
                continue;
            };
            let Some((time, dcount)) = g.pel.get(&id).map(|p| (p.delivery_time, p.delivery_count)) else { continue };
            if minidle != 0 && now.wrapping_sub(time) < minidle {
                continue;
            }
            let dcount = if justid { dcount } else { dcount.wrapping_add(1) };
            let p = claim_one(&mut g, key, id, cname, now, dcount, now, &mut fx);
            if justid {
                reply_id(&mut body, id);
            } else {
                reply_entry(&mut body, &entry);
            }
            n += 1;
            count -= 1;
            fx.push(|| xclaim_argv(key, gname, id, &p, g.last_id));
            fx.changes += 1;
        }
        let cursor = ids.get(i).copied().unwrap_or(StreamId::MIN);
        s.groups.insert(gname.to_vec(), g);
        r.array(3);
        reply_id(r, cursor);
        r.array(n);
        r.raw_bytes(body.pending());
        r.array(deleted.len());
        for id in deleted {
            reply_id(r, id);
        }
    }
    fx.apply(ctx);
}

/// The stream at `key` looked up as `access`, to change its consumer-group state: a write Redis counts (the caller
/// counts it with [`Ctx::count_changes`]) but does not signal, settled as [`KeyWrite::unsignalled`].
///
/// [`KeyWrite::unsignalled`]: crate::command::KeyWrite::unsignalled
pub(super) fn group_state<'c>(
    ctx: &'c mut Ctx,
    access: Access,
    key: &[u8],
) -> Result<(Option<&'c mut Stream>, &'c mut Reply), crate::command::WrongType> {
    if ctx.lookup_typed::<Stream>(access, key)?.0.is_none() {
        return Ok((None, ctx.reply()));
    }
    let w = ctx.open_write(key);
    let (s, _, r) = ctx.door(&w).typed_mut::<Stream>();
    w.unsignalled();
    Ok((s, r))
}
