//! The ZRANGE family (rank, score and lex ranges, REV, LIMIT, WITHSCORES, ZRANGESTORE and the older
//! ZREVRANGE/ZRANGEBYSCORE/ZRANGEBYLEX forms) and removal by range (ZREMRANGEBYRANK/SCORE/LEX).

use super::*;
use crate::command::Access;

// ---------------------------------------------------------------------------------------------------------------
// The ZRANGE family.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Auto,
    Forward,
    Reverse,
}

pub(super) enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// ZRANGE's options, with the range type and direction resolved.
struct ZrangeOptions {
    rangetype: RangeType,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
}

/// Parses ZRANGE's options after min and max and checks their combination; None once an error was replied.
fn parse_zrange_options(
    ctx: &mut Ctx,
    args: Args,
    argc_start: usize,
    store: Option<&[u8]>,
    rt: RangeType,
    dir: Direction,
) -> Option<ZrangeOptions> {
    let (mut rangetype, mut direction) = (rt, dir);
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;
    let mut j = argc_start + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if store.is_none() && args.is(j, "withscores") {
            withscores = true;
        } else if args.is(j, "limit") && left >= 2 {
            let o = long_arg(ctx.reply(), args.get(j + 1), None)?;
            let l = long_arg(ctx.reply(), args.get(j + 2), None)?;
            offset = o;
            limit = l;
            j += 2;
        } else if direction == Direction::Auto && args.is(j, "rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && args.is(j, "bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && args.is(j, "byscore") {
            rangetype = RangeType::Score;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        j += 1;
    }
    if direction == Direction::Auto {
        direction = Direction::Forward;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        ctx.reply().error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return None;
    }
    if withscores && rangetype == RangeType::Lex {
        ctx.reply().error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return None;
    }
    Some(ZrangeOptions { rangetype, rev: direction == Direction::Reverse, withscores, offset, limit })
}

/// Parses min and max as the range type says; None once an error was replied.
fn parse_zrange_range(ctx: &mut Ctx, min: &[u8], max: &[u8], rangetype: RangeType) -> Option<Range> {
    Some(match rangetype {
        RangeType::Score => Range::Score(parse_score_range(ctx.reply(), min, max)?),
        RangeType::Lex => Range::Lex(parse_lex_range(ctx.reply(), min, max)?),
        _ => {
            let s = long_arg(ctx.reply(), min, None)?;
            let e = long_arg(ctx.reply(), max, None)?;
            Range::Rank(s, e)
        }
    })
}

/// Collects the members of `z` in the range (after LIMIT's offset, at most its count) into `out`; returns the
/// size hint for ZRANGESTORE's destination (the rank range's length, else 0).
fn collect_range(z: &ZSet, range: &Range, o: &ZrangeOptions, out: &mut Vec<(Vec<u8>, f64)>) -> usize {
    let (rev, offset, limit) = (o.rev, o.offset, o.limit);
    let mut size_hint = 0usize;
    match range {
        Range::Rank(s, e) => {
            if let Some((s, e)) = clamp_ranks(*s, *e, z.len()) {
                size_hint = e - s + 1;
                out.reserve(size_hint);
                z.range_by_rank(s, e, rev, |m, sc| push_elem(out, m, sc));
            }
        }
        Range::Score(sr) => {
            if offset >= 0 && !(offset > 0 && offset as u64 >= z.len() as u64) {
                let lim = usize::try_from(limit).ok();
                z.range_by_score(sr, rev, offset as usize, lim, |m, sc| push_elem(out, m, sc));
            }
        }
        Range::Lex(lr) => {
            if offset >= 0 && !(offset > 0 && offset as u64 >= z.len() as u64) {
                let lim = usize::try_from(limit).ok();
                z.range_by_lex(lr, rev, offset as usize, lim, |m, sc| push_elem(out, m, sc));
            }
        }
    }
    size_hint
}

/// ZRANGESTORE: stores the members found at `dst` (or deletes it when there are none) and replies their count.
fn store_range(ctx: &mut Ctx, dst: &[u8], out: &[(Vec<u8>, f64)], size_hint: usize) {
    let th = ctx.settings().thresholds();
    let n = out.len();
    if n > 0 {
        let mut dz = ZSet::with_hints(size_hint, 0, &th);
        for (m, s) in out {
            dz.add(*s, m, ZAddFlags::default(), &th);
        }
        store_value(ctx, dst, Value::ZSet(dz), nc::ZSET, "zrangestore");
    } else {
        delete_key(ctx, dst);
    }
    ctx.reply().int(n as i64);
}

/// Redis's `zrangeGenericCommand`: `argc_start` is the index of the source key; `store` the destination of
/// ZRANGESTORE.
pub(super) fn zrange_generic(
    ctx: &mut Ctx,
    args: Args,
    argc_start: usize,
    store: Option<&[u8]>,
    rt: RangeType,
    dir: Direction,
) {
    let key = args.get(argc_start);
    let Some(o) = parse_zrange_options(ctx, args, argc_start, store, rt, dir) else { return };
    let (mut minidx, mut maxidx) = (argc_start + 1, argc_start + 2);
    if o.rev && o.rangetype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let Some(range) = parse_zrange_range(ctx, args.get(minidx), args.get(maxidx), o.rangetype) else { return };
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, key) else { return };
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut size_hint = 0usize;
    match z {
        None => {
            if store.is_none() {
                r.array(0);
                return;
            }
        }
        Some(z) => size_hint = collect_range(z, &range, &o, &mut out),
    }
    match store {
        None => reply_elems(r, &out, o.withscores),
        Some(dst) => store_range(ctx, dst, &out, size_hint),
    }
}

/// ZRANGE key start stop [BYSCORE | BYLEX] \[REV\] [LIMIT offset count] \[WITHSCORES\]
pub(super) fn zrange(ctx: &mut Ctx, args: Args) {
    zrange_generic(ctx, args, 1, None, RangeType::Auto, Direction::Auto);
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] \[REV\] [LIMIT offset count]
pub(super) fn zrangestore(ctx: &mut Ctx, args: Args) {
    zrange_generic(ctx, args, 2, Some(args.get(1)), RangeType::Auto, Direction::Auto);
}

/// ZREVRANGE key start stop \[WITHSCORES\]
pub(super) fn zrevrange(ctx: &mut Ctx, args: Args) {
    zrange_generic(ctx, args, 1, None, RangeType::Rank, Direction::Reverse);
}

/// ZRANGEBYSCORE key min max \[WITHSCORES\] [LIMIT offset count]
pub(super) fn zrangebyscore(ctx: &mut Ctx, args: Args) {
    zrange_generic(ctx, args, 1, None, RangeType::Score, Direction::Forward);
}

/// ZREVRANGEBYSCORE key max min \[WITHSCORES\] [LIMIT offset count]
pub(super) fn zrevrangebyscore(ctx: &mut Ctx, args: Args) {
    zrange_generic(ctx, args, 1, None, RangeType::Score, Direction::Reverse);
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(super) fn zrangebylex(ctx: &mut Ctx, args: Args) {
    zrange_generic(ctx, args, 1, None, RangeType::Lex, Direction::Forward);
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(super) fn zrevrangebylex(ctx: &mut Ctx, args: Args) {
    zrange_generic(ctx, args, 1, None, RangeType::Lex, Direction::Reverse);
}

// ---------------------------------------------------------------------------------------------------------------
// Removal by range.

pub(super) fn zremrange_generic(ctx: &mut Ctx, args: Args, rt: RangeType) {
    let key = args.get(1);
    let range = match rt {
        RangeType::Score => {
            let Some(r) = parse_score_range(ctx.reply(), args.get(2), args.get(3)) else { return };
            Range::Score(r)
        }
        RangeType::Lex => {
            let Some(r) = parse_lex_range(ctx.reply(), args.get(2), args.get(3)) else { return };
            Range::Lex(r)
        }
        _ => {
            let Some(s) = long_arg(ctx.reply(), args.get(2), None) else { return };
            let Some(e) = long_arg(ctx.reply(), args.get(3), None) else { return };
            Range::Rank(s, e)
        }
    };
    let Ok((z, r, w)) = ctx.write_typed::<ZSet>(key) else { return };
    let Some(z) = z else {
        r.int(0);
        return;
    };
    let removed = match &range {
        Range::Rank(s, e) => match clamp_ranks(*s, *e, z.len()) {
            Some((s, e)) => z.remove_range_by_rank(s, e),
            None => 0,
        },
        Range::Score(sr) => z.remove_range_by_score(sr),
        Range::Lex(lr) => z.remove_range_by_lex(lr),
    };
    r.int(removed as i64);
    if removed > 0 {
        let event = match rt {
            RangeType::Score => "zremrangebyscore",
            RangeType::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        removed_from(ctx, w, removed as u64, nc::ZSET, event);
    } else {
        w.untouched();
    }
}

/// ZREMRANGEBYRANK key start stop
pub(super) fn zremrangebyrank(ctx: &mut Ctx, args: Args) {
    zremrange_generic(ctx, args, RangeType::Rank);
}

/// ZREMRANGEBYSCORE key min max
pub(super) fn zremrangebyscore(ctx: &mut Ctx, args: Args) {
    zremrange_generic(ctx, args, RangeType::Score);
}

/// ZREMRANGEBYLEX key min max
pub(super) fn zremrangebylex(ctx: &mut Ctx, args: Args) {
    zremrange_generic(ctx, args, RangeType::Lex);
}
