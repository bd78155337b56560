//! Pops: ZPOPMIN/ZPOPMAX, ZMPOP and their blocking forms (BZPOPMIN/BZPOPMAX/BZMPOP), and ZRANDMEMBER.

use super::*;
use crate::command::Access;

// ---------------------------------------------------------------------------------------------------------------
// Pops.

/// How a pop replies (Redis's `genericZpopCommand` flags).
#[derive(Clone, Copy)]
pub(crate) struct PopReply {
    /// Name the key first (BZPOP*, ZMPOP).
    pub emit_key: bool,
    /// Elements as [member, score] arrays.
    pub nested: bool,
    /// Null array instead of an empty one when no key has elements (ZMPOP).
    pub nil_when_empty: bool,
}

/// Pops from the first non-empty sorted set among `keys`. `count` -1 means "not given" (one element). Returns
/// false when nothing was popped (after replying the empty/nil answer, or WRONGTYPE).
pub(crate) fn zpop_generic(ctx: &mut Ctx, keys: &[&[u8]], max: bool, count: i64, how: PopReply) -> bool {
    let mut found: Option<KeyWrite> = None;
    for k in keys {
        match ctx.write_typed::<ZSet>(k) {
            Err(_) => return false,
            Ok((Some(_), _, w)) => {
                found = Some(w);
                break;
            }
            Ok((None, _, _)) => {}
        }
    }
    let Some(w) = found else {
        if how.nil_when_empty {
            ctx.reply().null_array();
        } else {
            ctx.reply().array(0);
        }
        return false;
    };
    if count == 0 {
        ctx.reply().array(0);
        w.untouched();
        return false;
    }
    let key = w.key();
    let given = count;
    let count = if count < 0 { 1 } else { count };
    let Some(z) = zset_in(ctx, &w) else {
        w.untouched();
        return false;
    };
    let popped = z.pop(max, usize::try_from(count).unwrap_or(usize::MAX));
    let r = ctx.reply();
    let n = popped.len();
    match (how.nested, how.emit_key) {
        (false, false) => r.array(n * 2),
        (true, false) => r.array(n),
        (false, true) => {
            r.array(n * 2 + 1);
            r.bulk(key);
        }
        (true, true) => {
            r.array(2);
            r.bulk(key);
            r.array(n);
        }
    }
    for (m, s) in &popped {
        if how.nested {
            r.array(2);
        }
        r.bulk(m);
        r.double(*s);
    }
    removed_from(ctx, w, n as u64, nc::ZSET, if max { "zpopmax" } else { "zpopmin" });
    if how.emit_key {
        // BZPOPMIN/BZPOPMAX replay as `ZPOPMIN|ZPOPMAX key`, ZMPOP/BZMPOP as `ZPOPMIN|ZPOPMAX key <popped>`.
        let verb: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        if given < 0 {
            ctx.propagation().rewrite(&[verb, key]);
        } else {
            let mut nb = [0u8; 24];
            let c = crate::util::itoa_buf(n as i64, &mut nb);
            ctx.propagation().rewrite(&[verb, key, c]);
        }
    }
    true
}

pub(super) fn zpop_minmax(ctx: &mut Ctx, args: Args, max: bool) {
    if args.len() > 3 {
        ctx.reply().err_syntax();
        return;
    }
    let mut count = -1;
    if args.len() == 3 {
        let Some(c) = positive_long_arg(ctx.reply(), args.get(2), None) else { return };
        count = c;
    }
    let nested = ctx.reply().is_resp3() && count != -1;
    zpop_generic(ctx, &[args.get(1)], max, count, PopReply { emit_key: false, nested, nil_when_empty: false });
}

/// ZPOPMIN key \[count\]
pub(super) fn zpopmin(ctx: &mut Ctx, args: Args) {
    zpop_minmax(ctx, args, false);
}

/// ZPOPMAX key \[count\]
pub(super) fn zpopmax(ctx: &mut Ctx, args: Args) {
    zpop_minmax(ctx, args, true);
}

/// Parses `numkeys key [key ...] MIN|MAX [COUNT count]` starting at `numkeys_idx` (Redis's
/// `zmpopGenericCommand`): the keys' index range, MAX, and the count.
pub(crate) fn parse_zmpop(
    r: &mut Reply,
    args: Args,
    numkeys_idx: usize,
) -> Option<(std::ops::Range<usize>, bool, i64)> {
    let msg = "ERR numkeys should be greater than 0";
    let numkeys = range_long_arg(r, args.get(numkeys_idx), 1, i64::MAX, Some(msg))?;
    let where_idx = (numkeys_idx as u64).saturating_add(numkeys as u64).saturating_add(1);
    if where_idx >= args.len() as u64 {
        r.err_syntax();
        return None;
    }
    let where_idx = where_idx as usize;
    let max = if args.is(where_idx, "min") {
        false
    } else if args.is(where_idx, "max") {
        true
    } else {
        r.err_syntax();
        return None;
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count == -1 && args.is(j, "count") && more > 0 {
            j += 1;
            count = range_long_arg(r, args.get(j), 1, i64::MAX, Some("ERR count should be greater than 0"))?;
        } else {
            r.err_syntax();
            return None;
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    Some((numkeys_idx + 1..where_idx, max, count))
}

/// ZMPOP numkeys key [key ...] <MIN | MAX> [COUNT count]
pub(super) fn zmpop(ctx: &mut Ctx, args: Args) {
    let Some((keys, max, count)) = parse_zmpop(ctx.reply(), args, 1) else { return };
    let keys: Vec<&[u8]> = keys.map(|i| args.get(i)).collect();
    zpop_generic(ctx, &keys, max, count, PopReply { emit_key: true, nested: true, nil_when_empty: true });
}

/// The blocking pops' common body: pop from the first non-empty key (only the key being served when a blocked
/// client is re-run), else block on all of them.
pub(super) fn bzpop_generic(
    ctx: &mut Ctx,
    args: Args,
    keys: &[&[u8]],
    deadline_ms: i64,
    max: bool,
    count: i64,
    how: PopReply,
) {
    for &key in keys {
        if !crate::command::blocking::may_serve(ctx, key) {
            continue;
        }
        match ctx.write_typed::<ZSet>(key) {
            Err(_) => return,
            Ok((Some(z), _, w)) if !z.is_empty() => {
                w.untouched();
                zpop_generic(ctx, &[key], max, count, how);
                return;
            }
            Ok((_, _, w)) => w.untouched(),
        }
    }
    crate::command::blocking::block(ctx, args, keys, deadline_ms, BlockKind::ZSet, TimeoutReply::NullArray);
}

pub(super) fn bzpop_minmax(ctx: &mut Ctx, args: Args, max: bool) {
    let last = args.len() - 1;
    let Some(deadline_ms) = crate::command::blocking::parse_timeout(ctx, args.get(last)) else { return };
    let keys: Vec<&[u8]> = (1..last).map(|i| args.get(i)).collect();
    let how = PopReply { emit_key: true, nested: false, nil_when_empty: false };
    bzpop_generic(ctx, args, &keys, deadline_ms, max, -1, how);
}

/// BZPOPMIN key [key ...] timeout
pub(super) fn bzpopmin(ctx: &mut Ctx, args: Args) {
    bzpop_minmax(ctx, args, false);
}

/// BZPOPMAX key [key ...] timeout
pub(super) fn bzpopmax(ctx: &mut Ctx, args: Args) {
    bzpop_minmax(ctx, args, true);
}

/// BZMPOP timeout numkeys key [key ...] <MIN | MAX> [COUNT count]
pub(super) fn bzmpop(ctx: &mut Ctx, args: Args) {
    let Some((keys, max, count)) = parse_zmpop(ctx.reply(), args, 2) else { return };
    let Some(deadline_ms) = crate::command::blocking::parse_timeout(ctx, args.get(1)) else { return };
    let keys: Vec<&[u8]> = keys.map(|i| args.get(i)).collect();
    let how = PopReply { emit_key: true, nested: true, nil_when_empty: true };
    bzpop_generic(ctx, args, &keys, deadline_ms, max, count, how);
}

// ---------------------------------------------------------------------------------------------------------------
// ZRANDMEMBER.

/// ZRANDMEMBER key [count \[WITHSCORES\]]
pub(super) fn zrandmember(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    if args.len() == 2 {
        let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, key) else { return };
        if z.is_none() {
            r.null();
            return;
        }
        let Ok((Some(z), r, rng)) = ctx.lookup_rng::<ZSet>(Access::HELD, key) else { return };
        match z.random(rng) {
            Some((m, _)) => bulk_ref(r, m),
            None => r.null(),
        }
        return;
    }
    let Some(l) = range_long_arg(ctx.reply(), args.get(2), -i64::MAX, i64::MAX, None) else { return };
    let mut withscores = false;
    if args.len() > 4 || (args.len() == 4 && !args.is(3, "withscores")) {
        ctx.reply().err_syntax();
        return;
    } else if args.len() == 4 {
        withscores = true;
        if !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            ctx.reply().error("ERR value is out of range");
            return;
        }
    }
    let (count, uniq) = if l >= 0 { (l as u64, true) } else { (l.unsigned_abs(), false) };
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, key) else { return };
    if z.is_none() || count == 0 {
        r.array(0);
        return;
    }
    let Ok((Some(z), r, rng)) = ctx.lookup_rng::<ZSet>(Access::HELD, key) else { return };
    let resp3 = r.is_resp3();
    let emit = |r: &mut Reply, m: StrRef<'_>, s: f64| {
        if withscores && resp3 {
            r.array(2);
        }
        bulk_ref(r, m);
        if withscores {
            r.double(s);
        }
    };
    let header = |r: &mut Reply, n: usize| r.array(if withscores && !resp3 { n * 2 } else { n });
    if !uniq || count == 1 {
        // Redis's loop stops once the client is flagged for closing (its output limit).
        r.cap_unbounded(UNBOUNDED_REPLY_MAX_BYTES);
        header(r, count as usize);
        z.random_with_replacement(count as usize, rng, |m, s| {
            emit(r, m, s);
            !r.is_cut()
        });
        return;
    }
    if count >= z.len() as u64 {
        // Redis 7.0 answers this case from the top score down.
        header(r, z.len());
        for (m, s) in z.iter().rev() {
            emit(r, m, s);
        }
        return;
    }
    let picked = z.random_distinct(count as usize, rng);
    header(r, picked.len());
    for (m, s) in picked {
        emit(r, m, s);
    }
}
