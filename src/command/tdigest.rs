//! t-digest commands, as RedisBloom 2.8 (`rm_tdigest.c`) answers them: TDIGEST.CREATE (COMPRESSION), ADD, MERGE
//! (COMPRESSION, OVERRIDE), RESET, QUANTILE, CDF, RANK, REVRANK, BYRANK, BYREVRANK, TRIMMED_MEAN, MIN, MAX and
//! INFO over [`crate::keyspace::types::prob::tdigest`] (type `TDIS-TYPE`).
//!
//! As RedisBloom: errors are `ERR T-Digest: ...`, the arity is the command's own check, arguments are checked
//! after the key, and doubles are printed as Redis's `%.17g` (a NaN with its sign: `nan`, or `-nan` for a 0/0).
//! The queries compress the digest they read, as t-digest-c does (INFO shows it), without signalling a change;
//! MERGE compresses its sources too. A write that reaches `RedisModule_ReplicateVerbatim` counts one change and
//! propagates as sent; CREATE, ADD and RESET open their key for writing, so even their errors signal WATCH, while
//! MERGE opens its destination for writing only when it stores the result. No keyspace events.

use super::shared::prob_wrong_arity as wrong_arity;
use super::{flag, Args, Command, Ctx, KeySpec};
use crate::command::Access;
use crate::keyspace::object::Entry;
use crate::keyspace::types::prob::tdigest::{TDigest, DEFAULT_COMPRESSION};
use crate::keyspace::types::prob::Prob;
use crate::resp::reply::Reply;
use crate::util::{fmt_g, parse_i64};

use super::shared::prob_command;

const TD: Command = Command { since: "2.4.0", ..super::shared::PROB_COMMAND };
const WRITE: u64 = super::shared::PROB_WRITE;
const READ: u64 = flag::READONLY | flag::MODULE;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    prob_command!(TD, "tdigest.create",
        WRITE,
        "write tdigest slow",
        "key [COMPRESSION compression{:integer}]{compression_block:block}",
        "Allocates memory and initializes a new t-digest sketch", "O(1)",
        create
    ),
    prob_command!(TD, "tdigest.add",
        WRITE,
        "write tdigest slow",
        "key value{:double} [value ...]",
        "Adds one or more observations to a t-digest sketch", "O(N), where N is the number of samples to add",
        add
    ),
    prob_command!(TD, "tdigest.reset",
        WRITE,
        "write tdigest slow",
        "key",
        "Resets a t-digest sketch: empty the sketch and re-initializes it.", "O(1)",
        reset
    ),
    Command {
        // RedisBloom registers its commands with the key at 1 only (the sources are not declared).
        keys: KeySpec { first: 1, last: 1, step: 1 },
        ..prob_command!(TD, "tdigest.merge",
            WRITE,
            "write tdigest slow",
            "destination-key{:key} numkeys source-key{:key} [source-key ...] [COMPRESSION compression{:integer}]{compression_block:block} [OVERRIDE]",
            "Merges multiple t-digest sketches into a single sketch", "O(N*K), where N is the number of centroids and K being the number of input sketches",
            merge
        )
    },
    prob_command!(TD, "tdigest.min",
        READ,
        "read tdigest slow",
        "key",
        "Returns the minimum observation value from a t-digest sketch", "O(1)",
        min
    ),
    prob_command!(TD, "tdigest.max",
        READ,
        "read tdigest slow",
        "key",
        "Returns the maximum observation value from a t-digest sketch", "O(1)",
        max
    ),
    prob_command!(TD, "tdigest.quantile",
        READ,
        "read tdigest slow",
        "key quantile{:double} [quantile ...]",
        "Returns, for each input fraction, an estimation of the value (floating point) that is smaller than the given fraction of observations", "O(N) where N is the number of quantiles specified.",
        quantile
    ),
    prob_command!(TD, "tdigest.byrank",
        READ,
        "read tdigest slow",
        "key rank{:double} [rank ...]",
        "Returns, for each input rank, an estimation of the value (floating-point) with that rank", "O(N) where N is the number of ranks specified",
        byrank
    ),
    prob_command!(TD, "tdigest.byrevrank",
        READ,
        "read tdigest slow",
        "key reverse_rank{:double} [reverse_rank ...]",
        "Returns, for each input reverse rank, an estimation of the value (floating-point) with that reverse rank", "O(N) where N is the number of reverse ranks specified.",
        byrank
    ),
    prob_command!(TD, "tdigest.rank",
        READ,
        "read tdigest slow",
        "key value{:double} [value ...]",
        "Returns, for each input value (floating-point), the estimated rank of the value (the number of observations in the sketch that are smaller than the value + half the number of observations that are equal to the value)", "O(N) where N is the number of values specified.",
        rank
    ),
    prob_command!(TD, "tdigest.revrank",
        READ,
        "read tdigest slow",
        "key value{:double} [value ...]",
        "Returns, for each input value (floating-point), the estimated reverse rank of the value (the number of observations in the sketch that are larger than the value + half the number of observations that are equal to the value)", "O(N) where N is the number of values specified.",
        rank
    ),
    prob_command!(TD, "tdigest.cdf",
        READ,
        "read tdigest slow",
        "key value{:double} [value ...]",
        "Returns, for each input value, an estimation of the floating-point fraction of (observations smaller than the given value + half the observations equal to the given value). Multiple fractions can be retrieved in a single call.", "O(N) where N is the number of values specified.",
        cdf
    ),
    prob_command!(TD, "tdigest.trimmed_mean",
        READ,
        "read tdigest slow",
        "key low_cut_quantile{:double} high_cut_quantile{:double}",
        "Returns an estimation of the mean value from the sketch, excluding observation values outside the low and high cutoff quantiles", "O(N) where N is the number of centroids",
        trimmed_mean
    ),
    prob_command!(TD, "tdigest.info",
        READ,
        "read tdigest slow",
        "key",
        "Returns information and statistics about a t-digest sketch", "O(1)",
        info
    ),
];

const KEY_MISSING: &str = "ERR T-Digest: key does not exist";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const OVERFLOW: &str = "ERR T-Digest: overflow detected";

/// `_TDigest_KeyCheck` over a read lookup's entry.
fn digest_ref(e: Option<&Entry>) -> Result<&TDigest, &'static str> {
    super::shared::prob_ref(e).map_err(|m| m.message(KEY_MISSING))
}

/// [`digest_ref`] for a write lookup's entry.
fn digest(e: Option<&mut Entry>) -> Result<&mut TDigest, &'static str> {
    super::shared::prob_mut(e).map_err(|m| m.message(KEY_MISSING))
}

/// `RedisModule_ReplyWithDouble`: Redis's `%.17g`, keeping a NaN's sign as C's printf does.
fn double(r: &mut Reply, d: f64) {
    if !d.is_nan() {
        return r.double(d);
    }
    let s = fmt_g(d, 17);
    if r.is_resp3() {
        r.raw_bytes(format!(",{s}\r\n").as_bytes());
    } else {
        r.bulk(s.as_bytes());
    }
}

/// Checks the key of a query as `_TDigest_KeyCheck` does (a keyspace read), answering the error; `false` then.
fn check_read(ctx: &mut Ctx, key: &[u8]) -> bool {
    let (e, r) = ctx.lookup(Access::READ, key);
    match digest_ref(e) {
        Ok(_) => true,
        Err(msg) => {
            r.error(msg);
            false
        }
    }
}

/// The digest of a checked key, compressed as t-digest-c's queries compress it, with the reply sink. The key is
/// only read (RedisBloom opens it for reading): nothing is signalled.
fn compressed<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<(&'c mut TDigest, &'c mut Reply)> {
    let w = ctx.open_write(key);
    let (e, r) = ctx.door(&w).entry_reply();
    w.untouched();
    let t = digest(e).ok()?;
    // An overflow leaves the digest as the failed compression left it; the query then reads that, as C's.
    let _ = t.compress();
    Some((t, r))
}

/// `TDIGEST.CREATE key [COMPRESSION compression]`
fn create(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc != 2 && argc != 4 {
        return wrong_arity(ctx.reply(), &args);
    }
    let key = args.get(1);
    let (e, r, mut w) = ctx.write(key);
    if let Some(e) = e {
        r.error(if digest(Some(e)).is_ok() { "ERR T-Digest: key already exists" } else { WRONGTYPE });
        return ctx.changed(&mut w, 0);
    }
    let mut compression = DEFAULT_COMPRESSION;
    if argc == 4 {
        // `RMUtil_ArgIndex("COMPRESSION", argv + 2, 2)`: the keyword may stand in either place.
        if !args.is(2, "COMPRESSION") && !args.is(3, "COMPRESSION") {
            r.error("ERR T-Digest: wrong keyword");
            return ctx.changed(&mut w, 0);
        }
        match parse_compression(args.get(3)) {
            Ok(c) => compression = c,
            Err(msg) => {
                r.error(msg);
                return ctx.changed(&mut w, 0);
            }
        }
    }
    let Some(t) = TDigest::new(compression) else {
        r.error("ERR T-Digest: allocation failed");
        return ctx.changed(&mut w, 0);
    };
    super::shared::insert_new_prob(ctx, &mut w, key, Prob::TDigest(t));
}

/// `_TDigest_ParseCompressionParameter`.
fn parse_compression(s: &[u8]) -> Result<i64, &'static str> {
    match parse_i64(s) {
        None => Err("ERR T-Digest: error parsing compression parameter"),
        Some(c) if c <= 0 => Err("ERR T-Digest: compression parameter needs to be a positive integer"),
        Some(c) => Ok(c),
    }
}

/// `TDIGEST.RESET key`
fn reset(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r, mut w) = ctx.write(args.get(1));
    match digest(e) {
        Err(msg) => {
            r.error(msg);
            ctx.changed(&mut w, 0);
        }
        Ok(t) => {
            t.reset();
            r.ok();
            ctx.changed(&mut w, 1);
        }
    }
}

/// `TDIGEST.ADD key value [value ...]`
fn add(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r, mut w) = ctx.write(args.get(1));
    let t = match digest(e) {
        Ok(t) => t,
        Err(msg) => {
            r.error(msg);
            return ctx.changed(&mut w, 0);
        }
    };
    let mut vals = Vec::with_capacity(args.len() - 2);
    for v in args.iter().skip(2) {
        let err = match parse_f64(v) {
            None => Some("ERR T-Digest: error parsing val parameter"),
            Some(x) if !x.is_finite() => Some("ERR T-Digest: val parameter needs to be a finite number"),
            Some(x) => {
                vals.push(x);
                None
            }
        };
        if let Some(msg) = err {
            r.error(msg);
            return ctx.changed(&mut w, 0);
        }
    }
    for x in vals {
        if t.add(x, 1).is_err() {
            // The samples before it stay, as RedisBloom's; the command is not replicated.
            r.error(OVERFLOW);
            return ctx.changed(&mut w, 0);
        }
    }
    r.ok();
    ctx.changed(&mut w, 1);
}

/// `TDIGEST.MERGE destination numkeys source [source ...] [COMPRESSION compression] [OVERRIDE]`
fn merge(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc < 4 {
        return wrong_arity(ctx.reply(), &args);
    }
    let dest = args.get(1);
    // The destination is opened for reading first.
    let dest_compression = {
        let (e, r) = ctx.lookup(Access::READ, dest);
        match e.map(|e| digest_ref(Some(e))) {
            None => None,
            Some(Ok(t)) => Some(t.compression),
            Some(Err(_)) => return r.error(WRONGTYPE),
        }
    };
    let to_exists = dest_compression.is_some();
    let r = ctx.reply();
    let numkeys = match parse_i64(args.get(2)) {
        None => return r.error("ERR T-Digest: error parsing numkeys"),
        Some(n) if n <= 0 => return r.error("ERR T-Digest: numkeys needs to be a positive integer"),
        Some(n) if n > argc as i64 - 3 => return wrong_arity(r, &args),
        Some(n) => n as usize,
    };
    let mut compression = dest_compression.map_or(0, |c| c as i64);
    let mut use_max = !to_exists;
    let mut override_ = false;
    let start = numkeys + 3;
    if start < argc {
        let rest = args.skip(start);
        let find = |word: &str| (0..rest.len()).find(|&i| rest.is(i, word));
        let compression_loc = find("COMPRESSION");
        if let Some(loc) = compression_loc {
            use_max = false;
            if start + loc + 1 >= argc {
                return wrong_arity(r, &args);
            }
            match parse_compression(args.get(start + loc + 1)) {
                Ok(c) => compression = c,
                Err(msg) => return r.error(msg),
            }
        }
        let override_loc = find("OVERRIDE");
        if override_loc.is_some() {
            override_ = true;
            if compression_loc.is_none() {
                use_max = true;
                compression = 0;
            }
        }
        if compression_loc.is_none() && override_loc.is_none() {
            return r.error("ERR T-Digest: wrong keyword");
        }
    }
    // The sources, checked in order; each one is compressed in place as `td_merge` compresses it.
    let mut sources: Vec<TDigest> = Vec::with_capacity(numkeys.min(1024));
    for i in 0..numkeys {
        let name = args.get(3 + i);
        if name == dest && !to_exists {
            return ctx.reply().error(KEY_MISSING);
        }
        if name != dest && !check_read(ctx, name) {
            return;
        }
        let Some((t, _)) = compressed(ctx, name) else { return };
        if use_max {
            compression = compression.max(t.compression as i64);
        }
        sources.push(t.clone());
    }
    let Some(mut to) = TDigest::new(compression) else {
        return ctx.reply().error("ERR T-Digest: allocation of destination digest failed");
    };
    if to_exists && !override_ {
        // RedisBloom does not check this merge's result.
        if let Some((start_digest, _)) = compressed(ctx, dest) {
            let start_digest = start_digest.clone();
            let _ = to.merge_from(&start_digest);
        }
    }
    for s in &sources {
        if to.merge_from(s).is_err() {
            return ctx.reply().error(OVERFLOW);
        }
    }
    let mut w = ctx.open_write(dest);
    super::shared::insert_new_prob(ctx, &mut w, dest, Prob::TDigest(to));
}

/// `TDIGEST.MIN key` / `TDIGEST.MAX key`
fn min_max(ctx: &mut Ctx, args: Args, max: bool) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    match digest_ref(e) {
        Err(msg) => r.error(msg),
        Ok(t) if t.size() > 0 => double(r, if max { t.max } else { t.min }),
        Ok(_) => double(r, f64::NAN),
    }
}

fn min(ctx: &mut Ctx, args: Args) {
    min_max(ctx, args, false)
}

fn max(ctx: &mut Ctx, args: Args) {
    min_max(ctx, args, true)
}

/// `TDIGEST.QUANTILE key quantile [quantile ...]`
fn quantile(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    if !check_read(ctx, args.get(1)) {
        return;
    }
    let mut qs = Vec::with_capacity(args.len() - 2);
    for a in args.iter().skip(2) {
        match parse_f64(a) {
            None => return ctx.reply().error("ERR T-Digest: error parsing quantile"),
            Some(q) if !(0.0..=1.0).contains(&q) => {
                return ctx.reply().error("ERR T-Digest: quantile should be in [0,1]")
            }
            Some(q) => qs.push(q),
        }
    }
    let Some((t, r)) = compressed(ctx, args.get(1)) else { return };
    let mut values = Vec::with_capacity(qs.len());
    // Each non-decreasing run is one `td_quantiles` walk.
    let mut i = 0;
    while i < qs.len() {
        let start = i;
        while i + 1 < qs.len() && qs[i] <= qs[i + 1] {
            i += 1;
        }
        t.quantiles(&qs[start..=i], &mut values);
        i += 1;
    }
    r.array(values.len());
    for v in values {
        double(r, v);
    }
}

/// `TDIGEST.CDF key value [value ...]`
fn cdf(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    if !check_read(ctx, args.get(1)) {
        return;
    }
    let mut vals = Vec::with_capacity(args.len() - 2);
    for a in args.iter().skip(2) {
        match parse_f64(a) {
            None => return ctx.reply().error("ERR T-Digest: error parsing cdf"),
            Some(v) => vals.push(v),
        }
    }
    let Some((t, r)) = compressed(ctx, args.get(1)) else { return };
    r.array(vals.len());
    for v in vals {
        double(r, t.cdf(v));
    }
}

/// `RedisModule_StringToDouble` (Redis's `getDoubleFromObject`): `strtod` over the whole text, NaN refused, and
/// so is a value out of the doubles' range (`ERANGE`: an overflow to infinity or an underflow to zero).
fn parse_f64(s: &[u8]) -> Option<f64> {
    if let Some(v) = short_decimal(s) {
        return Some(v);
    }
    let v = crate::util::parse_f64(s)?;
    let mantissa = s.split(|&c| c == b'e' || c == b'E').next().unwrap_or(s);
    let inf_text = s.iter().any(|c| c.is_ascii_alphabetic() && !matches!(c, b'e' | b'E'));
    if (v.is_infinite() && !inf_text) || (v == 0.0 && mantissa.iter().any(|c| matches!(c, b'1'..=b'9'))) {
        return None;
    }
    Some(v)
}

/// The common case of [`parse_f64`] without `strtod`: an optional sign, then at most 15 digits with at most one
/// `.` among them (and at least one digit). The digits make an integer below 2^53 and the power of ten is at most
/// 10^15, both exact doubles, so one IEEE division is the correctly rounded value `strtod` gives (Clinger's fast
/// path). Anything else answers `None` and goes the long way.
fn short_decimal(s: &[u8]) -> Option<f64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let (mut m, mut n_digits, mut frac, mut dot) = (0u64, 0u32, 0u32, false);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(c - b'0');
                n_digits += 1;
                frac += u32::from(dot);
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if n_digits == 0 || n_digits > 15 {
        return None;
    }
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let v = m as f64 / POW10[frac as usize];
    Some(if neg { -v } else { v })
}

/// C's `(long long)d` on x86-64 (`cvttsd2si`): NaN and out-of-range values become [`i64::MIN`].
fn c_ll(d: f64) -> i64 {
    // 2^63 is the first double past the range.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// `_halfRoundDown`: rounds halves towards zero.
fn half_round_down(f: f64) -> f64 {
    let int_part = f.trunc();
    let frac = f - int_part;
    if frac.abs() <= 0.5 {
        int_part
    } else if int_part >= 0.0 {
        int_part + 1.0
    } else {
        int_part - 1.0
    }
}

/// `TDIGEST.RANK key value [value ...]` / `TDIGEST.REVRANK`
fn rank(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let reverse = args.is(0, "tdigest.revrank");
    if !check_read(ctx, args.get(1)) {
        return;
    }
    let mut vals = Vec::with_capacity(args.len() - 2);
    for a in args.iter().skip(2) {
        match parse_f64(a) {
            None => return ctx.reply().error("ERR T-Digest: error parsing value"),
            Some(v) => vals.push(v),
        }
    }
    let Some((t, r)) = compressed(ctx, args.get(1)) else { return };
    let size = t.size() as f64;
    let (lo, hi) = (t.min, t.max);
    r.array(vals.len());
    for v in vals {
        let rank = if size == 0.0 {
            -2.0
        } else if v < lo {
            if reverse {
                size
            } else {
                -1.0
            }
        } else if v > hi {
            if reverse {
                -1.0
            } else {
                size
            }
        } else {
            let abs = t.cdf(v) * size;
            if reverse {
                (size - abs.round()).round()
            } else {
                half_round_down(abs)
            }
        };
        r.int(c_ll(rank));
    }
}

/// `TDIGEST.BYRANK key rank [rank ...]` / `TDIGEST.BYREVRANK`
fn byrank(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let reverse = args.is(0, "tdigest.byrevrank");
    if !check_read(ctx, args.get(1)) {
        return;
    }
    let mut ranks = Vec::with_capacity(args.len() - 2);
    for a in args.iter().skip(2) {
        match parse_i64(a) {
            None => return ctx.reply().error("ERR T-Digest: error parsing rank"),
            Some(n) if n < 0 => return ctx.reply().error("ERR T-Digest: rank needs to be non negative"),
            Some(n) => ranks.push(n as f64),
        }
    }
    let Some((t, r)) = compressed(ctx, args.get(1)) else { return };
    let size = t.size() as f64;
    r.array(ranks.len());
    for rank in ranks {
        let v = if size == 0.0 {
            f64::NAN
        } else if rank == 0.0 {
            if reverse {
                t.max
            } else {
                t.min
            }
        } else if rank >= size {
            if reverse {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        } else {
            let at = if reverse { size - rank - 1.0 } else { rank };
            t.quantile(at / size)
        };
        double(r, v);
    }
}

/// `TDIGEST.TRIMMED_MEAN key low_cut_quantile high_cut_quantile`
fn trimmed_mean(ctx: &mut Ctx, args: Args) {
    if args.len() != 4 {
        return wrong_arity(ctx.reply(), &args);
    }
    if !check_read(ctx, args.get(1)) {
        return;
    }
    let r = ctx.reply();
    let Some(low) = parse_f64(args.get(2)) else {
        return r.error("ERR T-Digest: error parsing low_cut_percentile");
    };
    let Some(high) = parse_f64(args.get(3)) else {
        return r.error("ERR T-Digest: error parsing high_cut_percentile");
    };
    if !(0.0..=1.0).contains(&low) || !(0.0..=1.0).contains(&high) {
        return r.error("ERR T-Digest: low_cut_percentile and high_cut_percentile should be in [0,1]");
    }
    if low >= high {
        return r.error("ERR T-Digest: low_cut_percentile should be lower than high_cut_percentile");
    }
    let Some((t, r)) = compressed(ctx, args.get(1)) else { return };
    double(r, t.trimmed_mean(low, high));
}

/// `TDIGEST.INFO key`
fn info(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    let t = match digest_ref(e) {
        Ok(t) => t,
        Err(msg) => return r.error(msg),
    };
    r.map(9);
    let rows: [(&str, i64); 9] = [
        ("Compression", c_ll(t.compression)),
        ("Capacity", t.cap as i64),
        ("Merged nodes", t.merged_nodes as i64),
        ("Unmerged nodes", t.unmerged_nodes as i64),
        ("Merged weight", t.merged_weight),
        ("Unmerged weight", t.unmerged_weight),
        ("Observations", t.size()),
        ("Total compressions", t.total_compressions),
        ("Memory usage", t.info_mem_usage() as i64),
    ];
    for (name, v) in rows {
        r.simple(name);
        r.int(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_decimals_are_strtods() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "+1",
            "1.",
            ".5",
            "-.5",
            ".",
            "-",
            "",
            "00012.50",
            "123456789012345",
            "1234567890123456",
            "0.1",
            "1.5e3",
            "1e400",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 15 + 1) as usize;
            let num = format!("{:015}", x % 1_000_000_000_000_000);
            let num = &num[15 - digits..];
            let at = (x >> 40) as usize % (digits + 1);
            cases.push(format!("{}{}.{}", if x & 1 == 0 { "-" } else { "" }, &num[..at], &num[at..]));
        }
        for c in cases {
            let want = crate::util::parse_f64(c.as_bytes()).filter(|v| v.is_finite());
            let got = parse_f64(c.as_bytes());
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{c:?}");
        }
    }
}
