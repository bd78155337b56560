//! XINFO HELP and XINFO STREAM (XINFO GROUPS and CONSUMERS live in `groups`), with Redis 8.6's idempotency fields
//! for a stream that used them (`idmp`).

use super::idmp;
use super::{reply_entry, reply_group_position, reply_id, reply_range, Args, Ctx};
use crate::command::admin::err_subcommand_syntax;
use crate::command::shared::{int_arg, reply_help};
use crate::command::Access;
use crate::keyspace::types::stream::{Stream, StreamId};

/// XINFO HELP
pub(super) fn xinfo_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "xinfo",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
}

/// XINFO STREAM key [FULL [COUNT count]]
pub(super) fn xinfo_stream(ctx: &mut Ctx, args: Args) {
    let optc = args.len() - 3;
    let mut full = false;
    let mut count: i64 = 10;
    if optc > 0 {
        if (optc != 1 && optc != 3) || !args.is(3, "full") {
            err_subcommand_syntax(ctx.reply(), "xinfo", args.get(1));
            return;
        }
        full = true;
        if optc == 3 {
            if !args.is(4, "count") {
                err_subcommand_syntax(ctx.reply(), "xinfo", args.get(1));
                return;
            }
            let Some(n) = int_arg(ctx.reply(), args.get(5)) else { return };
            count = if n < 0 { 10 } else { n };
        }
    }
    let now = ctx.now_ms().max(0) as u64;
    let Ok((s, r)) = ctx.lookup_typed::<Stream>(Access::READ, args.get(2)) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return;
    };
    r.map(if full { 9 } else { 10 } + idmp::info_fields(s));
    r.bulk(b"length");
    r.int(s.length as i64);
    r.bulk(b"radix-tree-keys");
    r.int(s.node_count() as i64);
    r.bulk(b"radix-tree-nodes");
    r.int(s.radix_tree_nodes() as i64);
    r.bulk(b"last-generated-id");
    reply_id(r, s.last_id);
    r.bulk(b"max-deleted-entry-id");
    reply_id(r, s.max_deleted_entry_id);
    r.bulk(b"entries-added");
    r.int(s.entries_added as i64);
    r.bulk(b"recorded-first-entry-id");
    reply_id(r, s.first_id);
    idmp::reply_info(r, s, now);
    if !full {
        r.bulk(b"groups");
        r.int(s.groups.len() as i64);
        r.bulk(b"first-entry");
        match s.range(StreamId::MIN, StreamId::MAX, false).next() {
            Some(e) => reply_entry(r, &e),
            None => r.null(),
        }
        r.bulk(b"last-entry");
        match s.range(StreamId::MIN, StreamId::MAX, true).next() {
            Some(e) => reply_entry(r, &e),
            None => r.null(),
        }
        return;
    }
    let count = count as usize;
    r.bulk(b"entries");
    reply_range(r, s, StreamId::MIN, StreamId::MAX, count, false);
    r.bulk(b"groups");
    r.array(s.groups.len());
    let limit = if count == 0 { usize::MAX } else { count };
    for (name, g) in &s.groups {
        r.map(7);
        r.bulk(b"name");
        r.bulk(name);
        reply_group_position(r, s, g);
        r.bulk(b"pel-count");
        r.int(g.pel.len() as i64);
        r.bulk(b"pending");
        r.array(g.pel.len().min(limit));
        for (id, p) in g.pel.iter().take(limit) {
            r.array(4);
            reply_id(r, *id);
            r.bulk(&p.consumer);
            r.int(p.delivery_time);
            r.int(p.delivery_count as i64);
        }
        r.bulk(b"consumers");
        r.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            r.map(4);
            r.bulk(b"name");
            r.bulk(cname);
            r.bulk(b"seen-time");
            r.int(c.seen_time);
            r.bulk(b"pel-count");
            r.int(c.pel.len() as i64);
            r.bulk(b"pending");
            r.array(c.pel.len().min(limit));
            for id in c.pel.iter().take(limit) {
                let p = g.pel.get(id);
                r.array(3);
                reply_id(r, *id);
                r.int(p.map_or(0, |p| p.delivery_time));
                r.int(p.map_or(0, |p| p.delivery_count as i64));
            }
        }
    }
}
