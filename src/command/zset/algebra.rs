//! The algebra: ZUNION/ZINTER/ZDIFF, their STORE forms and ZINTERCARD, with WEIGHTS and AGGREGATE.

use super::*;
use crate::command::Access;

// ---------------------------------------------------------------------------------------------------------------
// The algebra.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Aggregate {
    Sum,
    Min,
    Max,
    /// Redis 8.8: every input holding the member adds its weight, whatever the member's score there.
    Count,
}

impl Aggregate {
    /// The score an input contributes before its weight: its own, or 1 under COUNT.
    #[inline]
    fn input(self, score: f64) -> f64 {
        if self == Aggregate::Count {
            1.0
        } else {
            score
        }
    }
}

/// One input of the algebra: a sorted set, a plain set (every member scores 1), or a missing key.
pub(super) enum Src<'a> {
    Missing,
    Set(&'a Set),
    Z(&'a ZSet),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Set(s) => s.len(),
            Src::Z(z) => z.len(),
        }
    }

    fn for_each<F: FnMut(StrRef<'_>, f64)>(&self, mut f: F) {
        match self {
            Src::Missing => {}
            Src::Set(s) => s.iter().for_each(|m| f(m, 1.0)),
            Src::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Set(s) => s.contains(m).then_some(1.0),
            Src::Z(z) => z.score(m),
        }
    }
}

#[inline]
pub(super) fn aggregate(target: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum | Aggregate::Count => {
            *target += val;
            // inf + -inf: Redis keeps 0 rather than NaN.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => *target = if val < *target { val } else { *target },
        Aggregate::Max => *target = if val > *target { val } else { *target },
    }
}

/// Reads numkeys and checks the input keys hold sets or sorted sets; the keys, or None once an error was replied.
fn algebra_keys<'a>(ctx: &mut Ctx, args: Args<'a>, dst: Option<&[u8]>, numkeys_idx: usize) -> Option<Vec<&'a [u8]>> {
    let setnum = long_arg(ctx.reply(), args.get(numkeys_idx), None)?;
    if setnum < 1 {
        let cmd = String::from_utf8_lossy(args.get(0)).to_ascii_lowercase();
        ctx.reply().error(&format!("ERR at least 1 input key is needed for '{cmd}' command"));
        return None;
    }
    if setnum > (args.len() - numkeys_idx - 1) as i64 {
        ctx.reply().err_syntax();
        return None;
    }
    let setnum = setnum as usize;
    let keys: Vec<&[u8]> = (numkeys_idx + 1..numkeys_idx + 1 + setnum).map(|i| args.get(i)).collect();
    for k in &keys {
        let e = ctx.lookup(if dst.is_some() { Access::WRITE } else { Access::READ }, k).0;
        if let Some(e) = e {
            if !matches!(e.value(), Some(Value::Set(_) | Value::ZSet(_))) {
                ctx.reply().err_wrongtype();
                return None;
            }
        }
    }
    Some(keys)
}

/// The algebra's options after the keys.
struct AlgebraOptions {
    weights: Vec<f64>,
    how: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: i64,
}

/// Parses the options from `j` on (WEIGHTS, AGGREGATE, WITHSCORES, LIMIT, as the command allows); None once an
/// error was replied.
fn parse_algebra_options(
    ctx: &mut Ctx,
    args: Args,
    dst: Option<&[u8]>,
    setnum: usize,
    mut j: usize,
    op: Op,
    card_only: bool,
) -> Option<AlgebraOptions> {
    let mut o = AlgebraOptions { weights: vec![1.0f64; setnum], how: Aggregate::Sum, withscores: false, limit: 0 };
    while j < args.len() {
        let remaining = args.len() - j;
        if op != Op::Diff && !card_only && remaining > setnum && args.is(j, "weights") {
            j += 1;
            for w in o.weights.iter_mut() {
                *w = score_arg(ctx.reply(), args.get(j), Some("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != Op::Diff && !card_only && remaining >= 2 && args.is(j, "aggregate") {
            o.how = if args.is(j + 1, "sum") {
                Aggregate::Sum
            } else if args.is(j + 1, "min") {
                Aggregate::Min
            } else if args.is(j + 1, "max") {
                Aggregate::Max
            } else if args.is(j + 1, "count") {
                Aggregate::Count
            } else {
                ctx.reply().err_syntax();
                return None;
            };
            j += 2;
        } else if dst.is_none() && !card_only && args.is(j, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && args.is(j, "limit") {
            o.limit = positive_long_arg(ctx.reply(), args.get(j + 1), Some("ERR LIMIT can't be negative"))?;
            j += 2;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
    }
    Some(o)
}

/// ZINTER: the members of the first (smallest) input found in all others, with their aggregated scores pushed to
/// `out`, or only counted (up to `limit`) for ZINTERCARD; returns the count.
fn inter(srcs: &[(Src, f64)], how: Aggregate, card_only: bool, limit: i64, out: &mut Vec<(Vec<u8>, f64)>) -> u64 {
    let mut cardinality = 0u64;
    if let Some(((first, w0), rest)) = srcs.split_first() {
        if first.len() > 0 {
            let mut stop = false;
            first.for_each(|m, sc| {
                if stop {
                    return;
                }
                let mut buf = [0u8; 24];
                let mb = m.bytes(&mut buf);
                let mut score = w0 * how.input(sc);
                if score.is_nan() {
                    score = 0.0;
                }
                for (s, w) in rest {
                    match s.find(mb) {
                        Some(v) => aggregate(&mut score, how.input(v) * w, how),
                        None => return,
                    }
                }
                if card_only {
                    cardinality += 1;
                    if limit != 0 && cardinality >= limit as u64 {
                        stop = true;
                    }
                } else {
                    out.push((mb.to_vec(), score));
                }
            });
        }
    }
    cardinality
}

/// ZUNION: every member of the inputs with its aggregated weighted score, in first-seen order.
fn union(srcs: &[(Src, f64)], how: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut index: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
    for (s, w) in srcs {
        s.for_each(|m, sc| {
            let mut score = w * how.input(sc);
            if score.is_nan() {
                score = 0.0;
            }
            let mut buf = [0u8; 24];
            let mb = m.bytes(&mut buf);
            match index.get(mb) {
                Some(&i) => aggregate(&mut out[i].1, score, how),
                None => {
                    index.insert(mb.to_vec(), out.len());
                    out.push((mb.to_vec(), score));
                }
            }
        });
    }
    out
}

/// ZDIFF: the members of the first input found in none of the others, with their scores.
fn diff(srcs: &[(Src, f64)]) -> Vec<(Vec<u8>, f64)> {
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    if let Some(((first, _), rest)) = srcs.split_first() {
        first.for_each(|m, sc| {
            let mut buf = [0u8; 24];
            let mb = m.bytes(&mut buf);
            if !rest.iter().any(|(s, _)| s.find(mb).is_some()) {
                out.push((mb.to_vec(), sc));
            }
        });
    }
    out
}

/// The STORE forms: stores the (sorted) result at `dst`, or deletes it when empty, and replies with its size.
fn store_algebra(ctx: &mut Ctx, dst: &[u8], out: &[(Vec<u8>, f64)], op: Op) {
    let n = out.len();
    if n > 0 {
        let th: Thresholds = ctx.settings().thresholds();
        let max_len = out.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let mut z = ZSet::with_hints(n, max_len, &th);
        for (m, s) in out {
            z.add(*s, m, ZAddFlags::default(), &th);
        }
        let event = match op {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        };
        store_value(ctx, dst, Value::ZSet(z), nc::ZSET, event);
    } else {
        delete_key(ctx, dst);
    }
    ctx.reply().int(n as i64);
}

/// Redis's `zunionInterDiffGenericCommand`. `numkeys_idx` is where numkeys sits; `dst` is the STORE destination;
/// `card_only` is ZINTERCARD.
pub(super) fn zalgebra(ctx: &mut Ctx, args: Args, dst: Option<&[u8]>, numkeys_idx: usize, op: Op, card_only: bool) {
    let Some(keys) = algebra_keys(ctx, args, dst, numkeys_idx) else { return };
    let setnum = keys.len();
    let Some(o) = parse_algebra_options(ctx, args, dst, setnum, numkeys_idx + 1 + setnum, op, card_only) else {
        return;
    };

    let db = ctx.db();
    let mut srcs: Vec<(Src, f64)> = keys
        .iter()
        .zip(&o.weights)
        .map(|(k, &w)| {
            let s = match peek_value(db, k) {
                Some(Value::Set(s)) => Src::Set(s),
                Some(Value::ZSet(z)) => Src::Z(z),
                _ => Src::Missing,
            };
            (s, w)
        })
        .collect();
    if op != Op::Diff {
        // Smallest first, as Redis orders its inputs (this also fixes the order scores are summed in).
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    let cardinality = match op {
        Op::Inter => inter(&srcs, o.how, card_only, o.limit, &mut out),
        Op::Union => {
            out = union(&srcs, o.how);
            0
        }
        Op::Diff => {
            out = diff(&srcs);
            0
        }
    };
    if card_only {
        ctx.reply().int(cardinality as i64);
        return;
    }
    out.sort_by(|a, b| cmp_elem((a.1, &a.0), (b.1, &b.0)));
    match dst {
        None => reply_elems(ctx.reply(), &out, o.withscores),
        Some(dst) => store_algebra(ctx, dst, &out, op),
    }
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT>] \[WITHSCORES\]
pub(super) fn zunion(ctx: &mut Ctx, args: Args) {
    zalgebra(ctx, args, None, 1, Op::Union, false);
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT>] \[WITHSCORES\]
pub(super) fn zinter(ctx: &mut Ctx, args: Args) {
    zalgebra(ctx, args, None, 1, Op::Inter, false);
}

/// ZDIFF numkeys key [key ...] \[WITHSCORES\]
pub(super) fn zdiff(ctx: &mut Ctx, args: Args) {
    zalgebra(ctx, args, None, 1, Op::Diff, false);
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT>]
pub(super) fn zunionstore(ctx: &mut Ctx, args: Args) {
    zalgebra(ctx, args, Some(args.get(1)), 2, Op::Union, false);
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT>]
pub(super) fn zinterstore(ctx: &mut Ctx, args: Args) {
    zalgebra(ctx, args, Some(args.get(1)), 2, Op::Inter, false);
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub(super) fn zdiffstore(ctx: &mut Ctx, args: Args) {
    zalgebra(ctx, args, Some(args.get(1)), 2, Op::Diff, false);
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(super) fn zintercard(ctx: &mut Ctx, args: Args) {
    zalgebra(ctx, args, None, 1, Op::Inter, true);
}
