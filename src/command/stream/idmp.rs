//! Redis 8.6's idempotent producers, the commands beside XADD's IDMP / IDMPAUTO: XCFGSET (a stream's
//! idempotency bounds), XIDMPRECORD (remembers one producer's idempotent id: what an AOF rewrite writes for the
//! iids a stream remembers) and XINFO STREAM's idempotency fields. The state is
//! [`crate::keyspace::types::stream::idmp`].

use super::{id_or_reply, Args, Ctx};
use crate::command::shared::int_arg;
use crate::keyspace::types::stream::idmp::{DEFAULT_DURATION, DEFAULT_MAXSIZE, MAX_DURATION, MAX_MAXSIZE};
use crate::keyspace::types::stream::{Stream, StreamId};
use crate::resp::reply::Reply;

/// XADD's `IDMP pid iid` or `IDMPAUTO pid` at `i` (the caller checked that the arguments are there): records where
/// the producer id and the idempotent id are (None: IDMPAUTO) and returns the index of the last argument taken.
pub(super) fn parse_option(
    r: &mut Reply,
    args: Args,
    i: usize,
    idmp: &mut Option<(usize, Option<usize>)>,
) -> Option<usize> {
    if idmp.is_some() {
        r.error("ERR IDMP/IDMPAUTO specified multiple times");
        return None;
    }
    let auto = args.is(i, "idmpauto");
    if args.get(i + 1).is_empty() {
        r.error(if auto {
            "ERR IDMPAUTO requires a non-empty producer ID"
        } else {
            "ERR IDMP requires a non-empty producer ID"
        });
        return None;
    }
    if !auto && args.get(i + 2).is_empty() {
        r.error("ERR IDMP requires a non-empty idempotent ID");
        return None;
    }
    *idmp = Some((i + 1, (!auto).then_some(i + 2)));
    Some(if auto { i + 1 } else { i + 2 })
}

/// XADD's producer id and idempotent id (IDMPAUTO's computed into `auto` from the fields and values `fv`).
pub(super) fn ids<'a>(
    args: Args<'a>,
    at: Option<(usize, Option<usize>)>,
    fv: &[&[u8]],
    auto: &'a mut [u8; 16],
) -> Option<(&'a [u8], &'a [u8])> {
    let (pid, iid) = at?;
    let iid = match iid {
        Some(i) => args.get(i),
        None => {
            *auto = crate::keyspace::types::stream::idmp::auto_iid(fv);
            &auto[..]
        }
    };
    Some((args.get(pid), iid))
}

/// XADD's idempotency check: when `pid`'s `iid` is still remembered, counts a duplicate and returns the id it
/// added.
pub(super) fn duplicate(s: &mut Stream, pid: &[u8], iid: &[u8], now_ms: u64) -> Option<StreamId> {
    let m = s.idmp.as_deref_mut()?;
    let id = m.lookup(pid, iid, now_ms)?;
    m.iids_duplicates = m.iids_duplicates.saturating_add(1);
    Some(id)
}

/// A new stream, with idempotency state when the configured bounds are not the defaults (so it keeps them).
pub(super) fn new_stream(duration: u64, maxsize: u64) -> Stream {
    let mut s = Stream::new();
    if (duration, maxsize) != (DEFAULT_DURATION, DEFAULT_MAXSIZE) {
        s.idmp_mut(duration, maxsize);
    }
    s
}

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

/// XIDMPRECORD key pid iid stream-id (Redis 8.8): the stream remembers that the producer's idempotent id added the
/// existing entry `stream-id`; what an AOF rewrite writes for each remembered iid whose entry is still there. A pair
/// already mapped to that entry is a no-op; mapped to another one, an error.
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
    let id = id.id;
    let (d, m) = ctx.settings().stream_idmp_defaults();
    let now = ctx.now_ms().max(0) as u64;
    let Ok((s, r, mut w)) = ctx.write_typed::<Stream>(args.get(1)) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return w.untouched();
    };
    if !s.contains(id) {
        r.error("ERR The specified stream ID was deleted or doesn't exist");
        return w.untouched();
    }
    match s.idmp.as_deref_mut().and_then(|m| m.lookup(pid, iid, now)) {
        Some(known) if known == id => {
            r.ok();
            return w.untouched();
        }
        Some(_) => {
            r.error("ERR The specified IDMP producer-id/idempotent-id pair maps to a different stream ID");
            return w.untouched();
        }
        None => {}
    }
    s.idmp_mut(d, m).record(pid, iid, id);
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
