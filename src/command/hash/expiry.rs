//! Hash-field expiry (Redis 7.4 and 8.0): HEXPIRE and its three siblings, HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME,
//! HPERSIST, and the commands that read or write fields with their TTLs, HGETDEL, HGETEX and HSETEX. The lazy
//! expiry of a due field that every hash reader shares (`read_field`, `expire_field_now`) stays in the family's
//! main file.

use super::super::{Args, Ctx};
use super::{expire_fields_now, field_now, hash_mut, hash_ref, past_mode, reply_values, Past};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::types::hash::{Hash, Lookup};
use crate::util::parse_i64;

/// Reads `FIELDS numfields field [field ...]` starting at `at` (the FIELDS token): the fields, or the error
/// replied. `numfields_err` is the command's text for a count that is not a positive integer.
fn parse_fields<'a>(ctx: &mut Ctx, args: Args<'a>, at: usize, numfields_err: &str) -> Option<Vec<&'a [u8]>> {
    if at >= args.len() || !args.is(at, "fields") {
        ctx.reply().error("ERR Mandatory argument FIELDS is missing or not at the right position");
        return None;
    }
    if at + 1 >= args.len() {
        // FIELDS without its count (Redis 8's parseHashFieldExpireArgs answers the arity error).
        ctx.reply().err_arity(&String::from_utf8_lossy(args.get(0)));
        return None;
    }
    let Some(n) = parse_i64(args.get(at + 1)).filter(|&n| n >= 1) else {
        ctx.reply().error(&format!("ERR {numfields_err}"));
        return None;
    };
    if n as u64 != (args.len() - at - 2) as u64 {
        ctx.reply().error("ERR The `numfields` parameter must match the number of arguments");
        return None;
    }
    Some(args.iter().skip(at + 2).collect())
}

/// HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT: `base` is the command time for the relative forms (0 for the
/// absolute ones), `unit_ms` 1000 for seconds. Propagated as HPEXPIREAT with the absolute time and only the fields
/// that took it; fields a past time deleted go out as HDELs.
fn hexpire_generic(ctx: &mut Ctx, args: Args, name: &str, base: i64, unit_ms: i64) {
    use crate::keyspace::types::hash::{SetTtl, TtlCond, MAX_EXPIRE_MS};
    let key = args.get(1);
    let Ok(exists) = ctx.lookup_typed::<Hash>(Access::WRITE, key).map(|(v, _)| v.is_some()) else { return };
    let Some(t) = parse_i64(args.get(2)) else {
        ctx.reply().err_not_int();
        return;
    };
    if t < 0 {
        ctx.reply().error("ERR invalid expire time, must be >= 0");
        return;
    }
    let bad_time = format!("ERR invalid expire time in '{name}' command");
    let mut when = t;
    if unit_ms == 1000 {
        if t > MAX_EXPIRE_MS as i64 / 1000 {
            ctx.reply().error(&bad_time);
            return;
        }
        when = t * 1000;
    }
    if when > MAX_EXPIRE_MS as i64 - base {
        ctx.reply().error(&bad_time);
        return;
    }
    when += base;
    let (cond, at) = match args.get(3).to_ascii_lowercase().as_slice() {
        b"nx" => (TtlCond::Nx, 4),
        b"xx" => (TtlCond::Xx, 4),
        b"gt" => (TtlCond::Gt, 4),
        b"lt" => (TtlCond::Lt, 4),
        _ => (TtlCond::Always, 3),
    };
    let Some(fields) = parse_fields(ctx, args, at, "Parameter `numFields` should be greater than 0") else { return };
    if !exists {
        let r = ctx.reply();
        r.array(fields.len());
        for _ in &fields {
            r.int(SetTtl::NoField as i64);
        }
        return;
    }
    let now = ctx.now_ms();
    let delete_past = ctx.settings().deletes_already_expired();
    let mut w = ctx.open_write(key);
    let Some(h) = hash_mut(ctx, &w) else { return w.untouched() };
    h.prepare_ttls();
    let mut results = Vec::with_capacity(fields.len());
    for f in &fields {
        results.push(h.expire_field(f, when as u64, cond, now, delete_past));
    }
    let emptied = h.is_empty();
    let r = ctx.reply();
    r.array(results.len());
    for res in &results {
        r.int(*res as i64);
    }
    let updated: Vec<&[u8]> =
        fields.iter().zip(&results).filter(|(_, r)| **r == SetTtl::Set).map(|(f, _)| *f).collect();
    let deleted = results.iter().filter(|r| **r == SetTtl::Deleted).count();
    for (f, _) in fields.iter().zip(&results).filter(|(_, r)| **r == SetTtl::Deleted) {
        ctx.count_expired_fields(1);
        ctx.propagation().also(&[&b"HDEL"[..], key, f]);
    }
    if updated.len() + deleted == 0 {
        return w.untouched();
    }
    ctx.door(&w).refile_hash();
    ctx.changed(&mut w, (updated.len() + deleted) as u64);
    if emptied {
        ctx.door(&w).delete();
        ctx.notify(nc::HASH, "hdel", key);
        ctx.notify(nc::GENERIC, "del", key);
    } else {
        ctx.notify(nc::HASH, if deleted > 0 { "hdel" } else { "hexpire" }, key);
    }
    if updated.is_empty() {
        ctx.propagation().prevent();
        return;
    }
    let when_s = when.to_string();
    let n_s = updated.len().to_string();
    let mut argv: Vec<&[u8]> = vec![b"HPEXPIREAT", key, when_s.as_bytes()];
    if at == 4 {
        argv.push(args.get(3));
    }
    argv.push(args.get(at));
    argv.push(n_s.as_bytes());
    argv.extend(updated.iter().copied());
    ctx.propagation().rewrite(&argv);
}

pub(super) fn hexpire(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    hexpire_generic(ctx, args, "hexpire", now, 1000);
}

pub(super) fn hpexpire(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    hexpire_generic(ctx, args, "hpexpire", now, 1);
}

pub(super) fn hexpireat(ctx: &mut Ctx, args: Args) {
    hexpire_generic(ctx, args, "hexpireat", 0, 1000);
}

pub(super) fn hpexpireat(ctx: &mut Ctx, args: Args) {
    hexpire_generic(ctx, args, "hpexpireat", 0, 1);
}

/// HTTL / HPTTL / HEXPIRETIME / HPEXPIRETIME: `base` is the command time for the TTL forms (0 for the absolute
/// ones), `unit_ms` 1000 for seconds (rounded up, as Redis does). -2: no such field (or its TTL passed), -1: no
/// TTL.
fn httl_generic(ctx: &mut Ctx, args: Args, base: i64, unit_ms: i64) {
    let key = args.get(1);
    let now = ctx.now_ms();
    let exists = match ctx.lookup_typed::<Hash>(Access::READ, key) {
        Err(_) => return,
        Ok((h, _)) => h.is_some(),
    };
    let Some(fields) = parse_fields(ctx, args, 2, "Number of fields must be a positive integer") else { return };
    let mut out = Vec::with_capacity(fields.len());
    if let (true, Some(h)) = (exists, hash_ref(ctx, key)) {
        for f in &fields {
            out.push(match h.expire_of(f) {
                None => -2,
                Some(0) => -1,
                Some(t) if (t as i64) < now => -2,
                Some(t) if unit_ms == 1000 => (t as i64 + 999 - base) / 1000,
                Some(t) => t as i64 - base,
            });
        }
    } else {
        out.resize(fields.len(), -2);
    }
    reply_codes(ctx, &out);
}

/// A per-field reply of the HTTL and HPERSIST families: one integer (a TTL, a time or a status code) per field.
fn reply_codes(ctx: &mut Ctx, codes: &[i64]) {
    let r = ctx.reply();
    r.array(codes.len());
    for &v in codes {
        r.int(v);
    }
}

pub(super) fn httl(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    httl_generic(ctx, args, now, 1000);
}

pub(super) fn hpttl(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    httl_generic(ctx, args, now, 1);
}

pub(super) fn hexpiretime(ctx: &mut Ctx, args: Args) {
    httl_generic(ctx, args, 0, 1000);
}

pub(super) fn hpexpiretime(ctx: &mut Ctx, args: Args) {
    httl_generic(ctx, args, 0, 1);
}

/// HPERSIST key FIELDS numfields field [field ...]: 1 removed, -1 no TTL, -2 no such field (or its TTL passed).
pub(super) fn hpersist(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let Ok(exists) = ctx.lookup_typed::<Hash>(Access::WRITE, key).map(|(v, _)| v.is_some()) else { return };
    let Some(fields) = parse_fields(ctx, args, 2, "Number of fields must be a positive integer") else { return };
    let now = ctx.now_ms();
    let mut out = Vec::with_capacity(fields.len());
    let mut changed = 0u64;
    let mut w = ctx.open_write(key);
    if let (true, Some(h)) = (exists, hash_mut(ctx, &w)) {
        for f in &fields {
            out.push(match h.expire_of(f) {
                None => -2,
                Some(0) => -1,
                Some(t) if (t as i64) < now => -2,
                Some(_) => {
                    h.set_expire(f, crate::keyspace::types::hash::NO_TTL);
                    changed += 1;
                    1
                }
            });
        }
    } else {
        out.resize(fields.len(), -2);
    }
    reply_codes(ctx, &out);
    if changed > 0 {
        ctx.door(&w).refile_hash();
        ctx.notify(nc::HASH, "hpersist", key);
        ctx.changed(&mut w, changed);
    } else {
        w.untouched();
    }
}

// ---- Redis 8.0: HGETDEL, HGETEX, HSETEX ---------------------------------------------------------------------------

/// An expiry option of HGETEX / HSETEX: an absolute time (ms), or PERSIST / KEEPTTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TtlOpt {
    None,
    At(i64),
    /// HGETEX's PERSIST, HSETEX's KEEPTTL.
    Keep,
}

/// Reads `EX s | PX ms | EXAT s | PXAT ms | <word>` at `i`: the option and the next index, `Ok(None)` when the
/// argument is none of them, `Err` after replying. `word` is PERSIST (HGETEX) or KEEPTTL (HSETEX).
fn parse_ttl_opt(ctx: &mut Ctx, args: Args, i: usize, word: &str, name: &str) -> Result<Option<(TtlOpt, usize)>, ()> {
    use crate::keyspace::types::hash::MAX_EXPIRE_MS;
    if args.is(i, word) {
        return Ok(Some((TtlOpt::Keep, i + 1)));
    }
    let (unit, base) = match args.get(i).to_ascii_uppercase().as_slice() {
        b"EX" => (1000, ctx.now_ms()),
        b"PX" => (1, ctx.now_ms()),
        b"EXAT" => (1000, 0),
        b"PXAT" => (1, 0),
        _ => return Ok(None),
    };
    if i + 1 >= args.len() {
        ctx.reply().err_syntax();
        return Err(());
    }
    let Some(t) = parse_i64(args.get(i + 1)) else {
        ctx.reply().err_not_int();
        return Err(());
    };
    if t < 0 {
        ctx.reply().error("ERR invalid expire time, must be >= 0");
        return Err(());
    }
    let bad = format!("ERR invalid expire time in '{name}' command");
    if t > MAX_EXPIRE_MS as i64 / unit || t * unit > MAX_EXPIRE_MS as i64 - base {
        ctx.reply().error(&bad);
        return Err(());
    }
    Ok(Some((TtlOpt::At(t * unit + base), i + 2)))
}

/// [`parse_ttl_opt`] for HGETEX and HSETEX, which take one option at most: sets `opt` and returns the next index,
/// `Ok(None)` when the argument is none of the options, `Err` after replying (a second option included).
fn one_ttl_opt(
    ctx: &mut Ctx,
    args: Args,
    i: usize,
    opt: &mut TtlOpt,
    word: &str,
    name: &str,
) -> Result<Option<usize>, ()> {
    let Some((o, next)) = parse_ttl_opt(ctx, args, i, word, name)? else { return Ok(None) };
    if *opt != TtlOpt::None {
        let word = word.to_ascii_uppercase();
        ctx.reply().error(&format!("ERR Only one of EX, PX, EXAT, PXAT or {word} arguments can be specified"));
        return Err(());
    }
    *opt = o;
    Ok(Some(next))
}

/// HGETDEL key FIELDS numfields field [field ...]: the values (nil for a missing field), then the fields go;
/// propagated, when one was there, as HDEL of the fields named.
pub(super) fn hgetdel(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let Ok(exists) = ctx.lookup_typed::<Hash>(Access::WRITE, key).map(|(v, _)| v.is_some()) else { return };
    let Some(fields) = parse_fields(ctx, args, 2, "Number of fields must be a positive integer") else { return };
    let now = field_now(ctx);
    let mode = past_mode(ctx);
    let mut values: Vec<Option<Vec<u8>>> = Vec::with_capacity(fields.len());
    let mut deleted: Vec<&[u8]> = Vec::new();
    let mut expired: Vec<&[u8]> = Vec::new();
    let mut w = ctx.open_write(key);
    if let (true, Some(h)) = (exists, hash_mut(ctx, &w)) {
        for f in &fields {
            match h.lookup(f, now) {
                Lookup::Live(v) => {
                    values.push(Some(v.to_vec()));
                    h.remove(f);
                    deleted.push(f);
                }
                Lookup::Expired => {
                    values.push(None);
                    expired.push(f);
                }
                Lookup::Missing => values.push(None),
            }
        }
    } else {
        values.resize(fields.len(), None);
    }
    reply_values(ctx.reply(), &values);
    // Redis 8.0's order: `hexpired`, then `hdel`, then `del` once no field is left.
    if mode == Past::Delete {
        expire_fields_now(ctx, key, &expired, deleted.is_empty(), true);
    }
    if deleted.is_empty() {
        ctx.propagation().prevent();
        return w.untouched();
    }
    ctx.notify(nc::HASH, "hdel", key);
    if hash_mut(ctx, &w).is_some_and(|h| h.is_empty()) {
        ctx.door(&w).delete();
        ctx.notify(nc::GENERIC, "del", key);
    }
    ctx.changed(&mut w, deleted.len() as u64);
    // Replayed as Redis 8 rewrites it: HDEL of every field the command named.
    let mut argv: Vec<&[u8]> = vec![b"HDEL", key];
    argv.extend(fields.iter().copied());
    ctx.propagation().rewrite(&argv);
}

/// Parses HGETEX's expiry option (at most one) up to FIELDS: the option and the index FIELDS should be at; None
/// once an error was replied.
fn parse_hgetex_opt(ctx: &mut Ctx, args: Args) -> Option<(TtlOpt, usize)> {
    let mut opt = TtlOpt::None;
    let mut i = 2;
    while i < args.len() && !args.is(i, "fields") {
        match one_ttl_opt(ctx, args, i, &mut opt, "persist", "hgetex") {
            Err(()) => return None,
            Ok(None) => break,
            Ok(Some(next)) => i = next,
        }
    }
    Some((opt, i))
}

/// The fields HGETEX read: their values (None for a missing or expired one), the live ones (once each) and the
/// expired ones.
struct FieldsRead<'a> {
    values: Vec<Option<Vec<u8>>>,
    live: Vec<&'a [u8]>,
    expired: Vec<&'a [u8]>,
}

/// Reads `fields` of `h` at `now`.
fn read_fields<'a>(h: &Hash, fields: &[&'a [u8]], now: i64) -> FieldsRead<'a> {
    let mut out = FieldsRead { values: Vec::with_capacity(fields.len()), live: Vec::new(), expired: Vec::new() };
    for &f in fields {
        match h.lookup(f, now) {
            Lookup::Live(v) => {
                out.values.push(Some(v.to_vec()));
                if !out.live.contains(&f) {
                    out.live.push(f);
                }
            }
            Lookup::Expired => {
                out.values.push(None);
                out.expired.push(f);
            }
            Lookup::Missing => out.values.push(None),
        }
    }
    out
}

/// What HGETEX's expiry option did to the live fields: `(given the time, persisted, deleted)`.
type TtlApplied<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>, Vec<&'a [u8]>);

/// Applies HGETEX's expiry option to the live fields of `h`: a time not in the future (when such times delete)
/// removes them.
fn apply_ttl_opt<'a>(
    h: &mut Hash,
    live: Vec<&'a [u8]>,
    opt: TtlOpt,
    delete_past: bool,
    cmd_now: i64,
) -> TtlApplied<'a> {
    let (mut set, mut persisted, mut gone) = (Vec::new(), Vec::new(), Vec::new());
    for f in live {
        match opt {
            TtlOpt::At(when) if delete_past && when <= cmd_now => {
                h.remove(f);
                gone.push(f);
            }
            TtlOpt::At(when) => {
                h.set_expire(f, when as u64);
                set.push(f);
            }
            TtlOpt::Keep => {
                if h.expire_of(f).is_some_and(|t| t != crate::keyspace::types::hash::NO_TTL) {
                    h.set_expire(f, crate::keyspace::types::hash::NO_TTL);
                    persisted.push(f);
                }
            }
            TtlOpt::None => {}
        }
    }
    (set, persisted, gone)
}

/// Propagates and notifies what HGETEX's expiry option did: HPEXPIREAT, HPERSIST and HDEL of the fields each
/// applied to.
fn propagate_hgetex(ctx: &mut Ctx, key: &[u8], opt: TtlOpt, applied: &TtlApplied) {
    let (set, persisted, gone) = applied;
    if let TtlOpt::At(when) = opt {
        if !set.is_empty() {
            let (w, n) = (when.to_string(), set.len().to_string());
            let mut argv: Vec<&[u8]> = vec![b"HPEXPIREAT", key, w.as_bytes(), b"FIELDS", n.as_bytes()];
            argv.extend(set.iter().copied());
            ctx.propagation().also(&argv);
            ctx.notify(nc::HASH, "hexpire", key);
        }
    }
    if !persisted.is_empty() {
        let n = persisted.len().to_string();
        let mut argv: Vec<&[u8]> = vec![b"HPERSIST", key, b"FIELDS", n.as_bytes()];
        argv.extend(persisted.iter().copied());
        ctx.propagation().also(&argv);
        ctx.notify(nc::HASH, "hpersist", key);
    }
    if !gone.is_empty() {
        let mut argv: Vec<&[u8]> = vec![b"HDEL", key];
        argv.extend(gone.iter().copied());
        ctx.propagation().also(&argv);
        ctx.count_expired_fields(gone.len() as u64);
        // Deleted by this command's time, not by expiry: `hdel`, as Redis 8's hgetexCommand.
        ctx.notify(nc::HASH, "hdel", key);
    }
}

/// HGETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] FIELDS numfields field [field ...]: the values, then the
/// fields that were there take the new expiry (a time not in the future deletes them) or lose theirs (PERSIST).
/// Propagated as HPEXPIREAT / HPERSIST / HDEL of the fields each applied to.
pub(super) fn hgetex(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let Ok(exists) = ctx.lookup_typed::<Hash>(Access::WRITE, key).map(|(v, _)| v.is_some()) else { return };
    let Some((opt, i)) = parse_hgetex_opt(ctx, args) else { return };
    let Some(fields) = parse_fields(ctx, args, i, "Number of fields must be a positive integer") else { return };
    let now = field_now(ctx);
    let mode = past_mode(ctx);
    let mut w = ctx.open_write(key);
    let read = match (exists, hash_mut(ctx, &w)) {
        (true, Some(h)) => read_fields(h, &fields, now),
        _ => FieldsRead { values: vec![None; fields.len()], live: Vec::new(), expired: Vec::new() },
    };
    reply_values(ctx.reply(), &read.values);
    if mode == Past::Delete {
        expire_fields_now(ctx, key, &read.expired, true, true);
    }
    ctx.propagation().prevent();
    if read.live.is_empty() || opt == TtlOpt::None {
        return w.untouched();
    }
    let delete_past = ctx.settings().deletes_already_expired();
    let cmd_now = ctx.now_ms();
    let Some(h) = hash_mut(ctx, &w) else { return w.untouched() };
    let applied = apply_ttl_opt(h, read.live, opt, delete_past, cmd_now);
    let emptied = h.is_empty();
    let changes = (applied.0.len() + applied.1.len() + applied.2.len()) as u64;
    if changes == 0 {
        return w.untouched();
    }
    ctx.door(&w).refile_hash();
    propagate_hgetex(ctx, key, opt, &applied);
    if emptied {
        ctx.door(&w).delete();
        ctx.notify(nc::GENERIC, "del", key);
    }
    ctx.changed(&mut w, changes);
}

/// HSETEX's options before the field-value pairs.
struct HsetexOptions {
    fnx: bool,
    fxx: bool,
    opt: TtlOpt,
    /// The index of FIELDS.
    fields_at: usize,
    /// numfields.
    n: usize,
}

/// Parses HSETEX's options, FIELDS and numfields (which must match the pairs given); None once an error was
/// replied.
fn parse_hsetex_options(ctx: &mut Ctx, args: Args) -> Option<HsetexOptions> {
    let (mut fnx, mut fxx) = (false, false);
    let mut opt = TtlOpt::None;
    let mut i = 2;
    while i < args.len() && !args.is(i, "fields") {
        if args.is(i, "fnx") || args.is(i, "fxx") {
            if fnx || fxx {
                ctx.reply().error("ERR Only one of FXX or FNX arguments can be specified");
                return None;
            }
            fnx = args.is(i, "fnx");
            fxx = !fnx;
            i += 1;
            continue;
        }
        match one_ttl_opt(ctx, args, i, &mut opt, "keepttl", "hsetex") {
            Err(()) => return None,
            Ok(None) => break,
            Ok(Some(next)) => i = next,
        }
    }
    if i >= args.len() || !args.is(i, "fields") {
        ctx.reply().error("ERR Mandatory argument FIELDS is missing or not at the right position");
        return None;
    }
    let n = if i + 1 < args.len() { parse_i64(args.get(i + 1)).filter(|&n| n >= 1) } else { None };
    let Some(n) = n else {
        ctx.reply().error("ERR Number of fields must be a positive integer");
        return None;
    };
    if (n as u64).checked_mul(2) != Some((args.len() - (i + 2)) as u64) {
        ctx.reply().error("ERR The `numfields` parameter must match the number of arguments");
        return None;
    }
    Some(HsetexOptions { fnx, fxx, opt, fields_at: i, n: n as usize })
}

/// HSETEX's FNX (no field there) or FXX (every field there) condition, read as Redis 8's hsetexCommand reads it:
/// the fields in order until the answer is known, a field past its TTL counting as absent. Returns the answer and
/// the fields seen past their TTL (for the caller to delete).
fn hsetex_condition<'a>(
    ctx: &mut Ctx,
    key: &[u8],
    exists: bool,
    fields: &[&'a [u8]],
    fnx: bool,
    now: i64,
) -> (bool, Vec<&'a [u8]>) {
    let mut expired = Vec::new();
    let mut found = 0;
    let h = if exists { hash_ref(ctx, key) } else { None };
    for &f in fields {
        let live = match h.map(|h| h.lookup(f, now)) {
            Some(Lookup::Live(_)) => true,
            Some(Lookup::Expired) => {
                expired.push(f);
                false
            }
            _ => false,
        };
        found += usize::from(live);
        if live == fnx {
            break;
        }
    }
    (if fnx { found == 0 } else { found == fields.len() }, expired)
}

/// HSETEX key [FNX | FXX] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] FIELDS numfields field value [...]: 1 when the
/// fields were set, 0 when FNX / FXX refused. Without an expiry option the fields lose their TTLs, as with HSET;
/// with KEEPTTL they keep them; a time not in the future sets and deletes them at once. Propagated as HSETEX with
/// the absolute time (PXAT), or as HDEL when the time had passed.
pub(super) fn hsetex(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let Ok(exists) = ctx.lookup_typed::<Hash>(Access::WRITE, key).map(|(v, _)| v.is_some()) else { return };
    let Some(HsetexOptions { fnx, fxx, opt, fields_at: i, n }) = parse_hsetex_options(ctx, args) else { return };
    let pairs_at = i + 2;
    let fields: Vec<&[u8]> = (0..n).map(|k| args.get(pairs_at + 2 * k)).collect();
    let now = field_now(ctx);
    if fxx && !exists {
        ctx.reply().int(0);
        ctx.propagation().prevent();
        return;
    }
    if fnx || fxx {
        let (holds, expired) = hsetex_condition(ctx, key, exists, &fields, fnx, now);
        // The fields seen past their TTL go first (`hexpired`), whether the condition holds or not; a hash they
        // empty goes with them only when nothing is set (Redis 8 deletes an empty hash at the end).
        if past_mode(ctx) == Past::Delete {
            expire_fields_now(ctx, key, &expired, !holds, true);
        }
        if !holds {
            ctx.reply().int(0);
            ctx.propagation().prevent();
            return;
        }
    }
    let th = ctx.settings().thresholds();
    let delete_past = ctx.settings().deletes_already_expired();
    let cmd_now = ctx.now_ms();
    let Ok((h, r, mut w)) = ctx.write_or_create::<Hash>(key, Hash::new) else { return };
    h.convert_for_args(args.iter().skip(pairs_at), &th);
    let past = matches!(opt, TtlOpt::At(w) if delete_past && w <= cmd_now);
    for k in 0..n {
        let (f, v) = (args.get(pairs_at + 2 * k), args.get(pairs_at + 2 * k + 1));
        match opt {
            TtlOpt::Keep => {
                h.set_keep_ttl(f, v, &th);
            }
            TtlOpt::At(_) if past => {
                h.remove(f);
            }
            TtlOpt::At(when) => {
                h.set_with_expire(f, v, when as u64, &th);
            }
            TtlOpt::None => {
                h.set(f, v, &th);
            }
        }
    }
    let emptied = h.is_empty();
    r.int(1);
    ctx.door(&w).refile_hash();
    ctx.notify(nc::HASH, "hset", key);
    match opt {
        TtlOpt::At(_) if past => {
            ctx.count_expired_fields(n as u64);
            // As Redis 8's hsetexCommand: `hset`, then `hdel` for the fields the past time deleted.
            ctx.notify(nc::HASH, "hdel", key);
            let mut argv: Vec<&[u8]> = vec![b"HDEL", key];
            argv.extend(fields.iter().copied());
            ctx.propagation().rewrite(&argv);
        }
        TtlOpt::At(when) => {
            ctx.notify(nc::HASH, "hexpire", key);
            let when = when.to_string();
            let mut argv: Vec<&[u8]> = vec![b"HSETEX", key, b"PXAT", when.as_bytes()];
            argv.extend(args.iter().skip(i));
            ctx.propagation().rewrite(&argv);
        }
        _ => {}
    }
    if emptied {
        ctx.door(&w).delete();
        ctx.notify(nc::GENERIC, "del", key);
    }
    ctx.changed(&mut w, n as u64);
}
