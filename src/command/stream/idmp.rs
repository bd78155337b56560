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
        r.error("ERR syntax error, IDMP/IDMPAUTO specified multiple times");
        return None;
    }
    let auto = args.is(i, "idmpauto");
    if args.get(i + 1).is_empty() {
        r.error(if auto {
            "ERR syntax error, IDMPAUTO requires a non-empty producer ID"
        } else {
            "ERR syntax error, IDMP requires a non-empty producer ID"
        });
        return None;
    }
    if !auto && args.get(i + 2).is_empty() {
        r.error("ERR syntax error, IDMP requires a non-empty idempotent ID");
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
            // Redis 8.6's order-free XXH3-128 digest of the pairs: the same content, the same iid as on Redis.
            *auto = crate::xxh3::idmp_auto_iid(fv);
            &auto[..]
        }
    };
    Some((args.get(pid), iid))
}

/// XADD's idempotency check: when `pid`'s `iid` is still remembered at `now_ms` (0: whatever its age), counts a
/// duplicate and returns the id it added.
fn duplicate(s: &mut Stream, pid: &[u8], iid: &[u8], now_ms: u64) -> Option<StreamId> {
    let m = s.idmp.as_deref_mut()?;
    let id = m.lookup(pid, iid, now_ms)?;
    m.iids_duplicates = m.iids_duplicates.saturating_add(1);
    Some(id)
}

/// XADD's answer to a retry, if `idmp` (producer and idempotent id) names one: the id the first XADD added.
/// Replayed (`replaying`: from the master or the AOF), an XADD that carries its id (`explicit_id`) was an addition
/// there, and a retry is looked for whatever its iid's age, so that replaying the AOF later, or on a replica whose
/// clock runs ahead, adds nothing the master did not.
pub(super) fn retried(
    s: &mut Stream,
    idmp: Option<(&[u8], &[u8])>,
    replaying: bool,
    explicit_id: bool,
    now_ms: u64,
) -> Option<StreamId> {
    let (pid, iid) = idmp?;
    if replaying && explicit_id {
        return None;
    }
    duplicate(s, pid, iid, if replaying { 0 } else { now_ms })
}

/// A new stream, with idempotency state when the configured bounds are not the defaults (so it keeps them).
pub(super) fn new_stream(duration: u64, maxsize: u64) -> Stream {
    let mut s = Stream::new();
    if (duration, maxsize) != (DEFAULT_DURATION, DEFAULT_MAXSIZE) {
        s.idmp_mut(duration, maxsize);
    }
    s
}

/// XCFGSET key [IDMP-DURATION duration] [IDMP-MAXSIZE maxsize], in `xcfgsetCommand`'s order: the key (no such
/// key, WRONGTYPE), then the parameters (each at most once), then at least one of them. A bound set to another
/// value clears every producer's iids; only then is it a change (counted and propagated, the key not signalled,
/// as Redis only updates its LRM). Setting the values a stream already has changes nothing.
pub(super) fn xcfgset(ctx: &mut Ctx, args: Args) {
    let Ok((s, r, w)) = ctx.write_typed::<Stream>(args.get(1)) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return w.untouched();
    };
    let (mut duration, mut maxsize): (Option<u64>, Option<u64>) = (None, None);
    let mut i = 2;
    while i < args.len() {
        let duration_opt = args.is(i, "idmp-duration");
        if !duration_opt && !args.is(i, "idmp-maxsize") || i + 1 >= args.len() {
            r.err_syntax();
            return w.untouched();
        }
        let (slot, name, max, unit) = if duration_opt {
            (&mut duration, "IDMP-DURATION", MAX_DURATION, "seconds")
        } else {
            (&mut maxsize, "IDMP-MAXSIZE", MAX_MAXSIZE, "entries")
        };
        if slot.is_some() {
            r.error(&format!("ERR {name} specified multiple times"));
            return w.untouched();
        }
        let Some(v) = int_arg(r, args.get(i + 1)) else { return w.untouched() };
        if !(1..=max).contains(&v) {
            r.error(&format!("ERR {name} must be between 1 and {max} {unit}"));
            return w.untouched();
        }
        *slot = Some(v as u64);
        i += 2;
    }
    if duration.is_none() && maxsize.is_none() {
        r.error("ERR At least one parameter must be specified");
        return w.untouched();
    }
    // A stream without idempotency state has the defaults (it got its state when created under other ones).
    let current = s.idmp.as_deref().map_or((DEFAULT_DURATION, DEFAULT_MAXSIZE), |m| (m.duration, m.maxsize));
    let changed = duration.is_some_and(|d| d != current.0) || maxsize.is_some_and(|m| m != current.1);
    if changed {
        s.idmp_mut(DEFAULT_DURATION, DEFAULT_MAXSIZE).configure(duration, maxsize);
    }
    r.ok();
    w.untouched();
    if changed {
        ctx.count_changes(1);
    }
}

/// XIDMPRECORD key pid iid stream-id (Redis 8.6.2, its `since`): the stream remembers that the producer's
/// idempotent id added the existing entry `stream-id`; what an AOF rewrite writes for each remembered iid whose entry
/// is still there. A pair already mapped to that entry is a no-op; mapped to another one, an error. In
/// `xidmprecordCommand`'s order: the id, the two names, the key, the entry; a recording counts as a change without
/// signalling the key.
pub(super) fn xidmprecord(ctx: &mut Ctx, args: Args) {
    let (pid, iid) = (args.get(2), args.get(3));
    let Some(id) = id_or_reply(ctx.reply(), args.get(4), 0, true, false) else { return };
    let id = id.id;
    if pid.is_empty() {
        ctx.reply().error("ERR producer ID must be non-empty");
        return;
    }
    if iid.is_empty() {
        ctx.reply().error("ERR idempotent ID must be non-empty");
        return;
    }
    let now = ctx.now_ms().max(0) as u64;
    let Ok((s, r, w)) = ctx.write_typed::<Stream>(args.get(1)) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return w.untouched();
    };
    if !s.contains(id) {
        r.error("ERR No such message in stream");
        return w.untouched();
    }
    match s.idmp.as_deref_mut().and_then(|m| m.lookup(pid, iid, now)) {
        Some(known) if known == id => {
            r.ok();
            return w.untouched();
        }
        Some(_) => {
            r.error("ERR IID already exists for this producer with a different stream ID");
            return w.untouched();
        }
        None => {}
    }
    s.idmp_mut(DEFAULT_DURATION, DEFAULT_MAXSIZE).record(pid, iid, id);
    r.ok();
    w.untouched();
    ctx.count_changes(1);
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
