//! Redis 8.6's idempotent producers, the commands beside XADD's IDMP / IDMPAUTO: XCFGSET (a stream's
//! idempotency bounds), XIDMPRECORD (remembers one producer's idempotent id: what an AOF rewrite writes for the
//! iids a stream remembers) and XINFO STREAM's idempotency fields. The state is
//! [`crate::keyspace::types::stream::idmp`].

use super::{id_or_reply, Args, Ctx};
use crate::command::shared::int_arg;
use crate::keyspace::types::stream::idmp::{MAX_DURATION, MAX_MAXSIZE};
use crate::keyspace::types::stream::Stream;
use crate::resp::reply::Reply;

/// XCFGSET key [IDMP-DURATION duration] [IDMP-MAXSIZE maxsize]
pub(super) fn xcfgset(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        ctx.reply().error("ERR At least one parameter (IDMP-DURATION or IDMP-MAXSIZE) is required");
        return;
    }
    let mut duration: Option<u64> = None;
    let mut maxsize: Option<u64> = None;
    let mut i = 2;
    while i < args.len() {
        let duration_opt = args.is(i, "idmp-duration");
        if !duration_opt && !args.is(i, "idmp-maxsize") || i + 1 >= args.len() {
            ctx.reply().err_syntax();
            return;
        }
        let Some(v) = int_arg(ctx.reply(), args.get(i + 1)) else { return };
        if duration_opt {
            if !(1..=MAX_DURATION).contains(&v) {
                ctx.reply().error("ERR IDMP-DURATION must be between 1 and 86400 seconds");
                return;
            }
            duration = Some(v as u64);
        } else {
            if !(1..=MAX_MAXSIZE).contains(&v) {
                ctx.reply().error("ERR IDMP-MAXSIZE must be between 1 and 10000 entries");
                return;
            }
            maxsize = Some(v as u64);
        }
        i += 2;
    }
    let (d, m) = ctx.settings().stream_idmp_defaults();
    let Ok((s, r, mut w)) = ctx.write_typed::<Stream>(args.get(1)) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return w.untouched();
    };
    s.idmp_mut(d, m).configure(duration, maxsize);
    r.ok();
    ctx.changed(&mut w, 1);
}

/// XIDMPRECORD key producer-id idempotent-id id: the stream remembers that the producer's idempotent id added
/// entry `id` (which need not exist any more: a remembered id outlives a trimmed entry).
pub(super) fn xidmprecord(ctx: &mut Ctx, args: Args) {
    let (pid, iid) = (args.get(2), args.get(3));
    if pid.is_empty() {
        ctx.reply().error("ERR IDMP requires a non-empty producer ID");
        return;
    }
    if iid.is_empty() {
        ctx.reply().error("ERR IDMP requires a non-empty idempotent ID");
        return;
    }
    let Some(id) = id_or_reply(ctx.reply(), args.get(4), 0, true, false) else { return };
    let (d, m) = ctx.settings().stream_idmp_defaults();
    let Ok((s, r, mut w)) = ctx.write_typed::<Stream>(args.get(1)) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return w.untouched();
    };
    s.idmp_mut(d, m).record(pid, iid, id.id);
    r.ok();
    ctx.changed(&mut w, 1);
}

/// How many fields [`reply_info`] adds to XINFO STREAM's map.
pub(super) fn info_fields(s: &Stream) -> usize {
    if s.idmp.is_some() {
        6
    } else {
        0
    }
}

/// XINFO STREAM's idempotency fields (after `recorded-first-entry-id`), for a stream that has used them; a stream
/// that never did shows Redis 7.0's fields only.
pub(super) fn reply_info(r: &mut Reply, s: &Stream, now_ms: u64) {
    let Some(m) = s.idmp.as_deref() else { return };
    for (name, v) in [
        (&b"idmp-duration"[..], m.duration),
        (b"idmp-maxsize", m.maxsize),
        (b"pids-tracked", m.pids_tracked(now_ms) as u64),
        (b"iids-tracked", m.iids_tracked(now_ms) as u64),
        (b"iids-added", m.iids_added),
        (b"iids-duplicates", m.iids_duplicates),
    ] {
        r.bulk(name);
        r.int(v.min(i64::MAX as u64) as i64);
    }
}
