//! INCREX (Redis 8.8): INCRBY / INCRBYFLOAT with bounds and an expiration in one command.
//!
//! `INCREX key [BYFLOAT f | BYINT n] [LBOUND l] [UBOUND u] [SATURATE] [EX s | PX ms | EXAT s | PXAT ms | PERSIST]
//! [ENX]` replies `[new value, applied increment]`: integers by default and with BYINT, long doubles (bulk strings
//! in RESP2, doubles in RESP3, formatted as INCRBYFLOAT formats them) with BYFLOAT. A result past a bound (the
//! type's limits when none is given) leaves the key and its TTL alone and replies `[current, 0]`; SATURATE clamps
//! it to the bound instead. ENX sets the expiration only on a key that has none.
//!
//! Events: `incrby` (`incrbyfloat` with BYFLOAT), then `persist` when PERSIST removed a TTL or `expire` when a time
//! was set. Propagated as the resulting `SET key value` with `PXAT ms` (a time set), nothing more (PERSIST) or
//! `KEEPTTL` (otherwise, ENX on a key with a TTL too), which Redis 7.0 replays; a rejected increment propagates
//! nothing. A time already past deletes an existing key instead (only the `del` event, replayed as `DEL` /
//! `UNLINK`) and leaves a missing one absent (no event, nothing replayed), the reply being the same.
//!
//! Checked against Redis 8.8's source (src/t_string.c: parseIncrExArgumentsOrReply and increxCommand): the order
//! the arguments are checked in, every error text, the replies, the events and the replayed forms.

use super::longdouble::F80;
use super::string::{F_EX, F_EXAT, F_PX, F_PXAT};
use super::{flag, Args, Command, Ctx, Group, KeySpecDef, KeyWrite, BASE, ONE_KEY};
use crate::config::notify as nc;
use crate::keyspace::object::{Entry, StrRef};
use crate::resp::reply::Reply;
use crate::util::parse_i64;
use std::cmp::Ordering;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "increx",
    arity: -2,
    flags: flag::WRITE | flag::DENYOOM | flag::FAST,
    acl: "write string fast",
    keys: ONE_KEY,
    key_specs: &[KeySpecDef::at(1, "RW access update")],
    group: Group::String,
    since: "8.8.0",
    summary: "Increments the numeric value of a key by a number and sets its expiration time. Uses 0 as initial value if the key doesn't exist.",
    complexity: "O(1)",
    syntax: "key [BYFLOAT float{:double} | BYINT integer{:integer}]{increment} [SATURATE]{~Saturate the result to LBOUND/UBOUND (or the type limits when no explicit bound is given) when out of bounds. Without this option, out-of-bounds operations are rejected and reply [current_value, 0].} [LBOUND lowerbound]{~Integer when used with BYINT, floating-point when used with BYFLOAT.} [UBOUND upperbound]{~Integer when used with BYINT, floating-point when used with BYFLOAT.} [EX seconds{:integer} | PX milliseconds{:integer} | EXAT unix-time-seconds{:unix-time} | PXAT unix-time-milliseconds{:unix-time} | PERSIST]{expiration} [ENX]{~Only set the expiration if the key currently has no TTL. Requires one of EX/PX/EXAT/PXAT; cannot be combined with PERSIST.}",
    handler: increx,
    ..BASE
}];

/// LBOUND above UBOUND (Redis 8.8's t_string.c, parseIncrExArgumentsOrReply).
const ERR_BOUNDS: &str = "ERR LBOUND can't be greater than UBOUND";
/// ENX without EX/PX/EXAT/PXAT (t_string.c); ENX beside PERSIST is a syntax error there.
const ERR_ENX: &str = "ERR ENX flag requires an expiration";
/// BYINT's increment not an integer (t_string.c).
const ERR_INCR_INT: &str = "ERR Increment is not an integer or out of range";
/// BYFLOAT's increment not a number (t_string.c).
const ERR_INCR_FLOAT: &str = "ERR Increment is not a valid float";
/// BYFLOAT with an infinite increment (t_string.c, checked while parsing).
const ERR_INCR_INF: &str = "ERR BYFLOAT increment cannot be Infinity";
/// BYFLOAT on an infinite value stored (t_string.c, checked once the key is read).
const ERR_VALUE_INF: &str = "ERR value cannot be Infinity";
/// SATURATE landing so far from the value that the applied increment does not fit (t_string.c).
const ERR_DELTA_OVERFLOW: &str = "ERR applied increment would overflow";
/// The BYFLOAT form of [`ERR_DELTA_OVERFLOW`] (t_string.c).
const ERR_DELTA_INF: &str = "ERR applied increment would be Infinity";

/// The expiration option.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ttl {
    Keep,
    Persist,
    /// An absolute unix time in ms.
    At(i64),
}

/// The bounds, typed as the increment is (BYFLOAT: long doubles, otherwise integers); the type's limits when not
/// given.
#[derive(Clone, Copy)]
enum Bounds {
    Int(i64, i64),
    Float(F80, F80),
}

/// The parsed options.
struct Options {
    by_int: Option<i64>,
    by_float: Option<F80>,
    bounds: Bounds,
    saturate: bool,
    ttl: Ttl,
    enx: bool,
}

/// Every argument checked before the key is looked up, in Redis 8.8's order (t_string.c's
/// parseIncrExArgumentsOrReply): the options one by one (an increment is read where it stands, a repeated or
/// conflicting option is a syntax error there), then the bounds as the increment's type reads them, then ENX's
/// need of a time, then the time itself.
fn parse(r: &mut Reply, args: Args, now_ms: i64) -> Option<Options> {
    let mut o = Options {
        by_int: None,
        by_float: None,
        bounds: Bounds::Int(i64::MIN, i64::MAX),
        saturate: false,
        ttl: Ttl::Keep,
        enx: false,
    };
    let (mut lbound, mut ubound): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    // EX/PX/EXAT/PXAT's word and value, read after the bounds; PERSIST.
    let mut expire: Option<(&[u8], &[u8])> = None;
    let mut persist = false;
    let mut i = 2;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        let incr_given = o.by_int.is_some() || o.by_float.is_some();
        let ttl_given = persist || expire.is_some();
        if args.is(i, "byint") && has_value && !incr_given {
            i += 1;
            let Some(n) = parse_i64(args.get(i)) else {
                r.error(ERR_INCR_INT);
                return None;
            };
            o.by_int = Some(n);
        } else if args.is(i, "byfloat") && has_value && !incr_given {
            i += 1;
            let Some(f) = F80::parse(args.get(i)) else {
                r.error(ERR_INCR_FLOAT);
                return None;
            };
            if !f.is_finite() {
                r.error(ERR_INCR_INF);
                return None;
            }
            o.by_float = Some(f);
        } else if args.is(i, "lbound") && has_value && lbound.is_none() {
            i += 1;
            lbound = Some(args.get(i));
        } else if args.is(i, "ubound") && has_value && ubound.is_none() {
            i += 1;
            ubound = Some(args.get(i));
        } else if args.is(i, "saturate") && !o.saturate {
            o.saturate = true;
        } else if args.is(i, "enx") && !o.enx && !persist {
            o.enx = true;
        } else if args.is(i, "persist") && !ttl_given && !o.enx {
            persist = true;
        } else if has_value && !ttl_given && ["ex", "px", "exat", "pxat"].iter().any(|w| args.is(i, w)) {
            expire = Some((args.get(i), args.get(i + 1)));
            i += 1;
        } else {
            r.err_syntax();
            return None;
        }
        i += 1;
    }
    o.bounds = resolve_bounds(r, o.by_float.is_some(), lbound, ubound)?;
    if o.enx && expire.is_none() {
        r.error(ERR_ENX);
        return None;
    }
    o.ttl = match expire {
        Some((word, value)) => {
            let seconds = word.eq_ignore_ascii_case(b"ex") || word.eq_ignore_ascii_case(b"exat");
            let absolute = word.eq_ignore_ascii_case(b"exat") || word.eq_ignore_ascii_case(b"pxat");
            Ttl::At(expire_at(r, value, seconds, absolute, now_ms)?)
        }
        None if persist => Ttl::Persist,
        None => Ttl::Keep,
    };
    Some(o)
}

/// LBOUND and UBOUND as the increment's type reads them (long doubles for BYFLOAT, else integers; the type's
/// limits when not given), the lower read first, the lower not above the upper.
fn resolve_bounds(r: &mut Reply, float: bool, lbound: Option<&[u8]>, ubound: Option<&[u8]>) -> Option<Bounds> {
    Some(if float {
        let bound = |r: &mut Reply, b: Option<&[u8]>, dflt: F80, name: &str| match b {
            None => Some(dflt),
            Some(t) => F80::parse(t).or_else(|| {
                r.error(&format!("ERR {name} is not a valid float"));
                None
            }),
        };
        let lb = bound(r, lbound, F80::MAX.negated(), "LBOUND")?;
        let ub = bound(r, ubound, F80::MAX, "UBOUND")?;
        if lb.compare(ub) == Ordering::Greater {
            r.error(ERR_BOUNDS);
            return None;
        }
        Bounds::Float(lb, ub)
    } else {
        let bound = |r: &mut Reply, b: Option<&[u8]>, dflt: i64, name: &str| match b {
            None => Some(dflt),
            Some(t) => parse_i64(t).or_else(|| {
                r.error(&format!("ERR {name} is not an integer or out of range"));
                None
            }),
        };
        let lb = bound(r, lbound, i64::MIN, "LBOUND")?;
        let ub = bound(r, ubound, i64::MAX, "UBOUND")?;
        if lb > ub {
            r.error(ERR_BOUNDS);
            return None;
        }
        Bounds::Int(lb, ub)
    })
}

/// An EX/PX/EXAT/PXAT argument as an absolute time in ms, with SET's checks and error.
fn expire_at(r: &mut Reply, arg: &[u8], seconds: bool, absolute: bool, now_ms: i64) -> Option<i64> {
    let flags = match (seconds, absolute) {
        (true, true) => F_EXAT,
        (false, true) => F_PXAT,
        // The relative forms: `expire_ms` adds `now` for flags other than EXAT/PXAT.
        (true, false) => F_EX,
        (false, false) => F_PX,
    };
    super::string::expire_ms(r, arg, flags, now_ms, "increx")
}

/// The numbers of one increment: what was there, what it becomes, what was added.
enum Outcome {
    Int { new: i64, delta: i64 },
    Float { cur: F80, new: F80, delta: F80 },
}

/// The integer mode's result, or None after an error reply.
fn int_outcome(r: &mut Reply, o: &Options, (lb, ub): (i64, i64), cur: Option<StrRef>) -> Option<(Outcome, bool)> {
    let cur = match cur {
        None => 0,
        Some(s) => match s.as_i64() {
            Some(n) => n,
            None => {
                r.err_not_int();
                return None;
            }
        },
    };
    let incr = o.by_int.unwrap_or(1);
    let sum = cur.checked_add(incr);
    let new = match sum {
        Some(n) if (lb..=ub).contains(&n) => n,
        _ if !o.saturate => return Some((Outcome::Int { new: cur, delta: 0 }, false)),
        None if incr >= 0 => ub,
        None => lb,
        Some(n) => n.clamp(lb, ub),
    };
    let Some(delta) = new.checked_sub(cur) else {
        r.error(ERR_DELTA_OVERFLOW);
        return None;
    };
    Some((Outcome::Int { new, delta }, true))
}

/// The BYFLOAT mode's result, or None after an error reply.
fn float_outcome(
    r: &mut Reply,
    o: &Options,
    incr: F80,
    (lb, ub): (F80, F80),
    cur: Option<StrRef>,
) -> Option<(Outcome, bool)> {
    let cur = match cur {
        None => F80::ZERO,
        Some(StrRef::Int(n)) => F80::from_i64(n),
        Some(StrRef::Bytes(b)) => match F80::parse(b) {
            Some(f) => f,
            None => {
                r.err_not_float();
                return None;
            }
        },
    };
    // The increment was checked by `parse`; an infinite value stored is refused here.
    if !cur.is_finite() {
        r.error(ERR_VALUE_INF);
        return None;
    }
    let sum = cur.plus(incr);
    let within = sum.is_finite() && sum.compare(lb) != Ordering::Less && sum.compare(ub) != Ordering::Greater;
    let new = if within {
        sum
    } else if !o.saturate {
        return Some((Outcome::Float { cur, new: cur, delta: F80::ZERO }, false));
    } else if sum.compare(ub) == Ordering::Greater {
        ub
    } else {
        lb
    };
    let delta = new.plus(cur.negated());
    if !delta.is_finite() {
        r.error(ERR_DELTA_INF);
        return None;
    }
    Some((Outcome::Float { cur, new, delta }, true))
}

/// A long double in INCRBYFLOAT's text: a bulk string in RESP2, a double in RESP3.
fn reply_long_double(r: &mut Reply, text: &[u8]) {
    if r.is_resp3() {
        let mut b = Vec::with_capacity(text.len() + 3);
        b.push(b',');
        b.extend_from_slice(text);
        b.extend_from_slice(b"\r\n");
        r.raw_bytes(&b);
    } else {
        r.bulk(text);
    }
}

/// INCREX key [BYFLOAT increment | BYINT increment] [LBOUND lowerbound] [UBOUND upperbound] \[SATURATE\]
/// [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST] \[ENX\]
fn increx(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    let Some(o) = parse(ctx.reply(), args, now) else { return };
    let key = args.get(1);
    // A TTL already past is no TTL: the write lookup below deletes that key.
    let had_ttl = ctx.db().expire_of(key).is_some_and(|when| when >= now);
    let lru = ctx.settings().fresh_lru();
    let (e, r, mut w) = ctx.write(key);
    let cur = match e.as_deref() {
        None => None,
        Some(e) => match e.as_str() {
            Some(s) => Some(s),
            None => {
                r.err_wrongtype();
                return w.untouched();
            }
        },
    };
    let exists = e.is_some();
    let res = match (o.by_float, o.bounds) {
        (Some(incr), Bounds::Float(lb, ub)) => float_outcome(r, &o, incr, (lb, ub), cur),
        (_, Bounds::Int(lb, ub)) => int_outcome(r, &o, (lb, ub), cur),
        // `parse` types the bounds as the increment.
        (None, Bounds::Float(lb, ub)) => float_outcome(r, &o, F80::from_i64(1), (lb, ub), cur),
    };
    let Some((outcome, apply)) = res else { return w.untouched() };
    r.array(2);
    let text = match &outcome {
        Outcome::Int { new, delta, .. } => {
            r.int(*new);
            r.int(*delta);
            None
        }
        Outcome::Float { new, delta, cur } => {
            let new_text = if apply { new.to_human_string() } else { cur.to_human_string() };
            reply_long_double(r, &new_text);
            reply_long_double(r, &delta.to_human_string());
            Some(new_text)
        }
    };
    if !apply {
        return w.untouched();
    }
    // A time to set that is already past: the key is deleted as it stands (no increment event), replayed as
    // DEL (UNLINK with lazyfree-lazy-expire); a key that did not exist stays absent and nothing is replayed.
    // Either way the key counts as expired, as t_string.c's increxCommand counts it. A replica or an AOF being
    // loaded keeps the key for the master's (or the file's) own deletion, as EXPIRE does.
    let sets_time = match o.ttl {
        Ttl::At(when) if !(o.enx && had_ttl) => Some(when),
        _ => None,
    };
    if sets_time.is_some_and(|when| when <= now) && ctx.settings().deletes_already_expired() {
        ctx.door(&w).count_expired();
        if exists {
            ctx.door(&w).delete_expired_by_command();
            ctx.changed(&mut w, 1);
            ctx.notify(nc::GENERIC, "del", key);
            let verb = ctx.settings().del_verb();
            ctx.propagation().rewrite(&[verb, key]);
        } else {
            w.untouched();
        }
        return;
    }
    let value = match (&outcome, text) {
        (Outcome::Int { new, .. }, _) => {
            match ctx.door(&w).entry_mut() {
                Some(e) => e.set_int(*new),
                None => {
                    let mut ne = Entry::new_int(key, *new);
                    ne.set_lru(lru);
                    ctx.door(&w).insert(ne);
                }
            }
            new.to_string().into_bytes()
        }
        (Outcome::Float { .. }, Some(text)) => {
            let mut ne = Entry::new_embstr(key, &text);
            ne.set_lru(lru);
            super::admin::set_raw_capacity(&mut ne, super::admin::sds_new_alloc(text.len()));
            if exists {
                ctx.door(&w).insert_keep_ttl(ne);
            } else {
                ctx.door(&w).insert(ne);
            }
            text
        }
        (Outcome::Float { .. }, None) => return w.untouched(),
    };
    settle_ttl(ctx, &mut w, &o, sets_time, &value);
}

/// The TTL part of an applied INCREX, its events (the increment's first) and its replay as the resulting `SET`
/// (t_string.c): `PERSIST` → `SET key value` (the `persist` event only when a TTL was removed), a time set →
/// `SET key value PXAT ms` and `expire`, otherwise (no time, or ENX on a key with a TTL) `SET key value KEEPTTL`.
fn settle_ttl(ctx: &mut Ctx, w: &mut KeyWrite, o: &Options, sets_time: Option<i64>, value: &[u8]) {
    let key = w.key();
    let persisted = o.ttl == Ttl::Persist && ctx.door(w).persist();
    if let Some(when) = sets_time {
        ctx.door(w).set_expire(when);
    }
    ctx.changed(w, 1);
    let event = if o.by_float.is_some() { "incrbyfloat" } else { "incrby" };
    ctx.notify(nc::STRING, event, key);
    let mut nb = [0u8; 24];
    if o.ttl == Ttl::Persist {
        if persisted {
            ctx.notify(nc::GENERIC, "persist", key);
        }
        ctx.propagation().rewrite(&[b"SET".as_slice(), key, value]);
    } else if let Some(when) = sets_time {
        ctx.notify(nc::GENERIC, "expire", key);
        let when = crate::util::itoa_buf(when, &mut nb);
        ctx.propagation().rewrite(&[b"SET".as_slice(), key, value, b"PXAT", when]);
    } else {
        ctx.propagation().rewrite(&[b"SET".as_slice(), key, value, b"KEEPTTL"]);
    }
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;

    fn pair(a: i64, b: i64) -> String {
        format!("*2\r\n:{a}\r\n:{b}\r\n")
    }

    #[test]
    fn increments_bounds_and_saturation() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["increx", "k"]), pair(1, 1));
        assert_eq!(h.run(&["increx", "k"]), pair(2, 2 - 1));
        h.run(&["set", "k", "100"]);
        assert_eq!(h.run(&["increx", "k", "byint", "5"]), pair(105, 5));
        assert_eq!(h.run(&["increx", "k", "byint", "-10"]), pair(95, -10));
        h.run(&["set", "k", "99"]);
        assert_eq!(h.run(&["increx", "k", "byint", "5", "ubound", "100"]), pair(99, 0));
        assert_eq!(h.run(&["get", "k"]), "$2\r\n99\r\n");
        assert_eq!(h.run(&["increx", "k", "byint", "5", "ubound", "100", "saturate"]), pair(100, 1));
        assert_eq!(h.run(&["increx", "k", "byint", "-500", "lbound", "-3", "saturate"]), pair(-3, -103));
        // The type's limits are bounds too.
        h.run(&["set", "m", "9223372036854775800"]);
        assert_eq!(h.run(&["increx", "m", "byint", "100"]), pair(9223372036854775800, 0));
        assert_eq!(h.run(&["increx", "m", "byint", "100", "saturate"]), pair(i64::MAX, 7));
        // A rejected increment of a missing key does not create it.
        assert_eq!(h.run(&["increx", "none", "ubound", "0"]), pair(0, 0));
        assert_eq!(h.run(&["exists", "none"]), ":0\r\n");
        // Floats, as INCRBYFLOAT prints them.
        h.run(&["set", "f", "1.5"]);
        assert_eq!(h.run(&["increx", "f", "byfloat", "0.25"]), "*2\r\n$4\r\n1.75\r\n$4\r\n0.25\r\n");
        assert_eq!(
            h.run(&["increx", "f", "byfloat", "10", "ubound", "2.5", "saturate"]),
            "*2\r\n$3\r\n2.5\r\n$4\r\n0.75\r\n"
        );
        assert_eq!(h.run(&["increx", "f", "byfloat", "1", "ubound", "3"]), "*2\r\n$3\r\n2.5\r\n$1\r\n0\r\n");
        assert_eq!(h.run(&["get", "f"]), "$3\r\n2.5\r\n");
        h.run(&["hello", "3"]);
        assert_eq!(h.run(&["increx", "f", "byfloat", "0.5"]), "*2\r\n,3\r\n,0.5\r\n");
    }

    #[test]
    fn expiration_options() {
        let mut h = Harness::new();
        h.run(&["set", "k", "10"]);
        assert_eq!(h.run(&["increx", "k", "byint", "1", "ex", "100", "enx"]), pair(11, 1));
        assert_eq!(h.run(&["ttl", "k"]), ":100\r\n");
        h.run(&["set", "k", "10", "ex", "500"]);
        assert_eq!(h.run(&["increx", "k", "ex", "10", "enx"]), pair(11, 1));
        assert_eq!(h.run(&["ttl", "k"]), ":500\r\n");
        assert_eq!(h.run(&["increx", "k", "px", "20000"]), pair(12, 1));
        assert_eq!(h.run(&["ttl", "k"]), ":20\r\n");
        assert_eq!(h.run(&["increx", "k"]), pair(13, 1));
        assert_eq!(h.run(&["ttl", "k"]), ":20\r\n");
        assert_eq!(h.run(&["increx", "k", "persist"]), pair(14, 1));
        assert_eq!(h.run(&["ttl", "k"]), ":-1\r\n");
        // A rejected increment keeps the TTL as it was.
        h.run(&["expire", "k", "50"]);
        assert_eq!(h.run(&["increx", "k", "ubound", "0", "persist"]), pair(14, 0));
        assert_eq!(h.run(&["ttl", "k"]), ":50\r\n");
        // A key whose TTL passed is a new key: ENX gives it the time.
        h.run(&["set", "old", "7", "px", "100"]);
        h.srv.now_ms += 1000;
        assert_eq!(h.run(&["increx", "old", "ex", "30", "enx"]), pair(1, 1));
        assert_eq!(h.run(&["ttl", "old"]), ":30\r\n");
        // A time already past deletes the key (tests/unit/type/increx.tcl), unless ENX keeps the TTL it has.
        h.run(&["set", "p", "10"]);
        assert_eq!(h.run(&["increx", "p", "byint", "1", "exat", "1"]), pair(11, 1));
        assert_eq!(h.run(&["exists", "p"]), ":0\r\n");
        h.run(&["set", "p", "10"]);
        assert_eq!(h.run(&["increx", "p", "byint", "1", "pxat", "1"]), pair(11, 1));
        assert_eq!(h.run(&["exists", "p"]), ":0\r\n");
        // A missing key given a time already past is answered and stays absent.
        assert_eq!(h.run(&["increx", "p", "byint", "3", "pxat", "1"]), pair(3, 3));
        assert_eq!(h.run(&["exists", "p"]), ":0\r\n");
        h.run(&["set", "p", "10", "ex", "500"]);
        assert_eq!(h.run(&["increx", "p", "byint", "1", "exat", "1", "enx"]), pair(11, 1));
        assert_eq!(h.run(&["get", "p"]), "$2\r\n11\r\n");
        assert_eq!(h.run(&["ttl", "p"]), ":500\r\n");
    }

    #[test]
    fn errors() {
        let mut h = Harness::new();
        let syntax = "-ERR syntax error\r\n";
        for argv in [
            &["increx", "k", "byint"][..],
            &["increx", "k", "byint", "1", "byfloat", "1"],
            &["increx", "k", "ex", "1", "px", "1"],
            &["increx", "k", "ex", "1", "persist"],
            &["increx", "k", "persist", "enx"],
            &["increx", "k", "enx", "persist"],
            &["increx", "k", "lbound", "1", "lbound", "2"],
            &["increx", "k", "what"],
        ] {
            assert_eq!(h.run(argv), syntax, "{argv:?}");
        }
        // Texts from Redis 8.8's t_string.c (parseIncrExArgumentsOrReply and increxCommand).
        assert_eq!(h.run(&["increx", "k", "byint", "x"]), "-ERR Increment is not an integer or out of range\r\n");
        assert_eq!(h.run(&["increx", "k", "byint", "1.5"]), "-ERR Increment is not an integer or out of range\r\n");
        assert_eq!(h.run(&["increx", "k", "byfloat", "x"]), "-ERR Increment is not a valid float\r\n");
        assert_eq!(h.run(&["increx", "k", "ex", "0"]), "-ERR invalid expire time in 'increx' command\r\n");
        assert_eq!(h.run(&["increx", "k", "enx"]), "-ERR ENX flag requires an expiration\r\n");
        assert_eq!(h.run(&["increx", "k", "byint", "1", "enx"]), "-ERR ENX flag requires an expiration\r\n");
        assert_eq!(
            h.run(&["increx", "k", "lbound", "5", "ubound", "1"]),
            "-ERR LBOUND can't be greater than UBOUND\r\n"
        );
        assert_eq!(
            h.run(&["increx", "k", "byfloat", "0.5", "lbound", "10.5", "ubound", "1.5"]),
            "-ERR LBOUND can't be greater than UBOUND\r\n"
        );
        let inf = "-ERR BYFLOAT increment cannot be Infinity\r\n";
        assert_eq!(h.run(&["increx", "k", "byfloat", "+inf"]), inf);
        assert_eq!(h.run(&["increx", "k", "byfloat", "-inf"]), inf);
        let inf = "-ERR value cannot be Infinity\r\n";
        h.run(&["set", "i", "inf"]);
        assert_eq!(h.run(&["increx", "i", "byfloat", "1"]), inf);
        assert_eq!(h.run(&["increx", "i", "byfloat", "0", "lbound", "-100"]), inf);
        assert_eq!(h.run(&["get", "i"]), "$3\r\ninf\r\n");
        assert_eq!(h.run(&["increx", "k", "lbound", "1.5"]), "-ERR LBOUND is not an integer or out of range\r\n");
        assert_eq!(h.run(&["increx", "k", "byfloat", "1", "ubound", "x"]), "-ERR UBOUND is not a valid float\r\n");
        h.run(&["set", "f", "1.5"]);
        assert_eq!(h.run(&["increx", "f"]), "-ERR value is not an integer or out of range\r\n");
        h.run(&["rpush", "l", "a"]);
        assert!(h.run(&["increx", "l"]).starts_with("-WRONGTYPE"));
        // Every argument, the bounds included, is checked before the key is looked up (t_string.c resolves the
        // bounds in its parser): a bad bound beats the wrong type, an infinite increment beats a bad bound.
        assert_eq!(
            h.run(&["increx", "l", "lbound", "5", "ubound", "1"]),
            "-ERR LBOUND can't be greater than UBOUND\r\n"
        );
        assert_eq!(h.run(&["increx", "l", "ubound", "x"]), "-ERR UBOUND is not an integer or out of range\r\n");
        assert_eq!(h.run(&["increx", "l", "byfloat", "1", "lbound", "x"]), "-ERR LBOUND is not a valid float\r\n");
        assert_eq!(
            h.run(&["increx", "l", "byfloat", "inf", "lbound", "5", "ubound", "1"]),
            "-ERR BYFLOAT increment cannot be Infinity\r\n"
        );
        // t_string.c's order: options in turn (an increment read where it stands, a conflict refused there), then
        // the bounds, then ENX's need of a time, then the time's value.
        assert_eq!(
            h.run(&["increx", "l", "ex", "x", "byint", "y"]),
            "-ERR Increment is not an integer or out of range\r\n"
        );
        assert_eq!(h.run(&["increx", "l", "persist", "enx", "byint", "y"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run(&["increx", "l", "enx", "lbound", "2", "ubound", "1"]),
            "-ERR LBOUND can't be greater than UBOUND\r\n"
        );
        assert_eq!(
            h.run(&["increx", "l", "ex", "0", "lbound", "x"]),
            "-ERR LBOUND is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run(&["increx", "l", "ex", "0", "lbound", "1"]),
            "-ERR invalid expire time in 'increx' command\r\n"
        );
        // SATURATE to a bound so far off that the applied increment overflows.
        h.run(&["set", "m", "9223372036854775800"]);
        assert_eq!(
            h.run(&["increx", "m", "byint", "1", "saturate", "ubound", "-9223372036854775808"]),
            "-ERR applied increment would overflow\r\n"
        );
        assert_eq!(h.run(&["exists", "k"]), ":0\r\n");
    }
}
