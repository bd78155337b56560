//! Redis 8.2's XDELEX and XACKDEL: XDEL and XACK+XDEL with a reference policy (see
//! [`crate::keyspace::types::stream::RefPolicy`]) and a reply per id.
//!
//! Both are propagated as they are: the policy decides from the PELs and the groups' last ids, which a replica
//! holds alike. A deletion signals the key and raises `xdel`; acknowledgements alone (XACKDEL) and references
//! dropped without a deletion (XDELEX DELREF of an id already gone) count as changes without a signal, as XACK's
//! do, so they reach replicas and the AOF too (Redis 8.2.0 dropped XDELEX's; later releases count it).

use super::{id_or_reply, Args, Ctx};
use crate::config::notify as nc;
use crate::keyspace::types::stream::{RefPolicy, Stream, StreamId, DEL_DONE, DEL_KEPT, DEL_MISSING};
use crate::resp::reply::Reply;

/// `[KEEPREF | DELREF | ACKED] IDS numids id [id ...]` from argument `from` on, in any order as Redis's parser
/// takes them (one policy at most; anything after the ids is parsed as an option). The policy and the ids, all
/// parsed before anything changes; None once an error was replied.
fn parse_policy_ids(ctx: &mut Ctx, args: Args, from: usize) -> Option<(RefPolicy, Vec<StreamId>)> {
    let mut policy = None;
    let mut block = None;
    let mut i = from;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if let (None, Some(p)) = (policy, RefPolicy::parse(args.get(i))) {
            policy = Some(p);
            i += 1;
        } else if args.is(i, "ids") && more > 0 {
            let n = match crate::util::parse_i64(args.get(i + 1)) {
                Some(n) if n > 0 => n as u64,
                _ => {
                    ctx.reply().error("ERR Number of IDs must be a positive integer");
                    return None;
                }
            };
            if n > (more - 1) as u64 {
                ctx.reply().error("ERR The `numids` parameter must match the number of arguments");
                return None;
            }
            block = Some((i + 2, n as usize));
            i += 2 + n as usize;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
    }
    let Some((at, n)) = block else {
        ctx.reply().err_syntax();
        return None;
    };
    let mut ids = Vec::with_capacity(n);
    for a in args.iter().skip(at).take(n) {
        ids.push(id_or_reply(ctx.reply(), a, 0, true, false)?.id);
    }
    Some((policy.unwrap_or_default(), ids))
}

fn reply_codes(r: &mut Reply, codes: impl ExactSizeIterator<Item = i64>) {
    r.array(codes.len());
    for c in codes {
        r.int(c);
    }
}

/// XDELEX key [KEEPREF | DELREF | ACKED] IDS numids id [id ...]: per id -1 (no such entry), 1 (deleted), 2 (ACKED:
/// kept, a group still references it).
pub(super) fn xdelex(ctx: &mut Ctx, args: Args) {
    let Some((policy, ids)) = parse_policy_ids(ctx, args, 2) else { return };
    let key = args.get(1);
    let Ok((s, r, mut w)) = ctx.write_typed::<Stream>(key) else { return };
    let Some(s) = s else {
        reply_codes(r, ids.iter().map(|_| DEL_MISSING));
        return w.untouched();
    };
    let mut dropped = false;
    let codes = s.delete_ids(&ids, |s, id| s.allows(id, policy, &mut dropped));
    reply_codes(r, codes.iter().copied());
    let deleted = codes.iter().filter(|&&c| c == DEL_DONE).count() as u64;
    if deleted > 0 {
        ctx.notify(nc::STREAM, "xdel", key);
        ctx.changed(&mut w, deleted);
    } else {
        w.untouched();
        ctx.count_changes(u64::from(dropped));
    }
}

/// XACKDEL key group [KEEPREF | DELREF | ACKED] IDS numids id [id ...]: per id -1 (not pending in the group, or no
/// such key or group), 1 (acknowledged and deleted, or already gone), 2 (acknowledged; ACKED kept it for another
/// group).
pub(super) fn xackdel(ctx: &mut Ctx, args: Args) {
    let Some((policy, ids)) = parse_policy_ids(ctx, args, 3) else { return };
    let (key, group) = (args.get(1), args.get(2));
    let Ok((s, r, mut w)) = ctx.write_typed::<Stream>(key) else { return };
    let Some(s) = s.filter(|s| s.groups.contains_key(group)) else {
        reply_codes(r, ids.iter().map(|_| DEL_MISSING));
        return w.untouched();
    };
    let mut pending = Vec::with_capacity(ids.len());
    let mut dropped = false;
    let codes = s.delete_ids(&ids, |s, id| {
        let acked = s.groups.get_mut(group).is_some_and(|g| g.ack(id));
        pending.push(acked);
        acked && s.allows(id, policy, &mut dropped)
    });
    let acked = pending.iter().filter(|&&p| p).count() as u64;
    reply_codes(
        r,
        codes.iter().zip(&pending).map(|(&c, &p)| match (p, c) {
            (false, _) => DEL_MISSING,
            (true, DEL_KEPT) => DEL_KEPT,
            (true, _) => DEL_DONE,
        }),
    );
    let deleted = codes.iter().filter(|&&c| c == DEL_DONE).count() as u64;
    if deleted > 0 {
        ctx.notify(nc::STREAM, "xdel", key);
        ctx.changed(&mut w, deleted);
    } else {
        w.untouched();
    }
    ctx.count_changes(acked + u64::from(dropped && deleted == 0));
}

#[cfg(test)]
mod tests;
