//! Bloom filter commands, as RedisBloom 2.8 (`rebloom.c`) answers them: BF.RESERVE, BF.ADD, BF.MADD, BF.INSERT,
//! BF.EXISTS, BF.MEXISTS, BF.INFO, BF.CARD, BF.DEBUG, BF.SCANDUMP and BF.LOADCHUNK over the scalable filter of
//! [`crate::keyspace::types::prob::bloom`] (type `MBbloom--`).
//!
//! As in Redis with the module loaded: the commands check their own arity (the table says -1, as for every
//! module command) and word their errors as RedisBloom does, byte for byte (some without an `ERR` prefix);
//! a write opens its key for writing, which signals it (WATCH) even when nothing changes; every write that
//! reaches RedisBloom's `RedisModule_ReplicateVerbatim` counts one change, so it propagates as sent. No keyspace
//! events (RedisBloom publishes none). BF.EXISTS of a key of another type answers 0 (RedisBloom does not check).

use super::shared::{new_prob_entry, prob_mut, prob_ref, prob_wrong_arity as wrong_arity, ProbMiss};
use super::{flag, Args, Command, Ctx};
use crate::command::Access;
use crate::config::prob::ProbConfig;
use crate::keyspace::db::Db;
use crate::keyspace::types::prob::bloom::{Added, Bloom};
use crate::keyspace::types::prob::Prob;
use crate::resp::reply::Reply;
use crate::util::{parse_f64, parse_i64};

use super::shared::prob_command;

const BF: Command = Command { since: "1.0.0", ..super::shared::PROB_COMMAND };
const WRITE: u64 = super::shared::PROB_WRITE;
const READ: u64 = flag::READONLY | flag::FAST | flag::MODULE;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    prob_command!(BF, "bf.reserve",
        WRITE,
        "write bloom slow",
        "key error_rate{:double} capacity{:integer} [EXPANSION expansion{:integer}]{expansion:block} [NONSCALING]",
        "Creates a new Bloom Filter", "O(1)",
        reserve
    ),
    Command {
        prefetch: Some(prefetch_add),
        ..prob_command!(BF, "bf.add", WRITE, "write bloom slow", "key item", "Adds an item to a Bloom Filter", "O(k), where k is the number of hash functions used by the last sub-filter", add)
    },
    Command {
        prefetch: Some(prefetch_add),
        ..prob_command!(BF, "bf.madd",
            WRITE,
            "write bloom slow",
            "key item [item ...]",
            "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist", "O(k * n), where k is the number of hash functions and n is the number of items",
            add
        )
    },
    prob_command!(BF, "bf.insert",
        WRITE,
        "write bloom slow",
        "key [CAPACITY capacity{:integer}]{capacity:block} [ERROR error{:double}]{error:block} [EXPANSION expansion{:integer}]{expansion:block} [NOCREATE] [NONSCALING] <ITEMS> item [item ...]",
        "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist", "O(k * n), where k is the number of hash functions and n is the number of items",
        insert
    ),
    Command {
        prefetch: Some(prefetch_exists),
        ..prob_command!(BF, "bf.exists",
            READ,
            "read bloom fast",
            "key item",
            "Checks whether an item exists in a Bloom Filter", "O(k), where k is the number of hash functions used by the last sub-filter",
            exists
        )
    },
    Command {
        prefetch: Some(prefetch_exists),
        ..prob_command!(BF, "bf.mexists",
            READ,
            "read bloom fast",
            "key item [item ...]",
            "Checks whether one or more items exist in a Bloom Filter", "O(k * n), where k is the number of hash functions and n is the number of items",
            exists
        )
    },
    prob_command!(BF, "bf.info",
        READ,
        "read bloom fast",
        "key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]{single_value}",
        "Returns information about a Bloom Filter", "O(1)",
        info
    ),
    Command {
        since: "2.4.4",
        ..prob_command!(BF, "bf.card", READ, "read bloom fast", "key", "Returns the cardinality of a Bloom filter", "O(1)", card)
    },
    prob_command!(BF, "bf.debug", READ, "read bloom fast", "key", "Returns internal debug information about a Bloom Filter", "O(n), where n is the number of sub-filters", debug),
    prob_command!(BF, "bf.scandump",
        READ,
        "read bloom fast",
        "key iterator{:integer}",
        "Begins an incremental save of the bloom filter", "O(n), where n is the capacity",
        scandump
    ),
    prob_command!(BF, "bf.loadchunk",
        WRITE,
        "write bloom slow",
        "key iterator{:integer} data",
        "Restores a filter previously saved using SCANDUMP", "O(n), where n is the capacity",
        loadchunk
    ),
];

/// [`Command::prefetch`] of BF.ADD and BF.MADD: every bit's line of the items (the first
/// [`PREFETCH_ITEMS`](super::shared::PREFETCH_ITEMS)) in the newest link of the key's filter, the first bit's in
/// older links.
fn prefetch_add(db: &Db, args: Args) {
    prefetch_items(db, args, true);
}

/// [`Command::prefetch`] of BF.EXISTS and BF.MEXISTS: every bit's line of the items in each link.
fn prefetch_exists(db: &Db, args: Args) {
    prefetch_items(db, args, false);
}

fn prefetch_items(db: &Db, args: Args, add: bool) {
    if args.len() < 3 {
        return;
    }
    if let Ok(b) = prob_ref::<Bloom>(db.find(args.get(1))) {
        for item in args.skip(2).iter().take(super::shared::PREFETCH_ITEMS) {
            b.prefetch(item, add);
        }
    }
}

/// `statusStrerror` for a key that is not a filter (`bfGetChain`'s statuses).
const KEY_MISSING: &str = "ERR not found";

/// `BF.RESERVE key error_rate capacity [EXPANSION expansion] [NONSCALING]`
fn reserve(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if !(4..=7).contains(&argc) {
        return wrong_arity(ctx.reply(), &args);
    }
    let r = ctx.reply();
    let error_rate = match parse_f64(args.get(2)) {
        None => return r.error("ERR bad error rate"),
        Some(e) if e >= 1.0 || e <= 0.0 => return r.error("ERR (0 < error rate range < 1) "),
        Some(e) => e,
    };
    let capacity = match parse_i64(args.get(3)) {
        None => return r.error("ERR bad capacity"),
        Some(c) if c <= 0 => return r.error("ERR (capacity should be larger than 0)"),
        Some(c) => c,
    };
    // Without EXPANSION the filter takes `bf-expansion-factor`, non-scaling when that is 0 (Redis 8's RedisBloom,
    // where EXPANSION then meets "cannot expand" as after NONSCALING).
    let default_expansion = ctx.config().prob.bf_expansion_factor.value;
    let r = ctx.reply();
    let non_scaling = default_expansion == 0 || arg_index(&args, "NONSCALING").is_some();
    let mut expansion = default_expansion;
    let ex = arg_index(&args, "EXPANSION");
    if ex.is_some_and(|i| i + 1 == argc) {
        return r.error("ERR no expansion");
    }
    if let Some(i) = ex {
        if non_scaling {
            return r.error("Nonscaling filters cannot expand");
        }
        match parse_i64(args.get(i + 1)) {
            None => return r.error("ERR bad expansion"),
            Some(x) if x < 1 => return r.error("ERR expansion should be greater or equal to 1"),
            Some(x) => expansion = x,
        }
    }
    let key = args.get(1);
    let Some(mut w) = super::shared::open_new_prob::<Bloom>(ctx, key, KEY_MISSING) else { return };
    match Bloom::new(capacity as u64, error_rate, expansion as u32, non_scaling) {
        // RedisBloom replicates even this failure.
        None => ctx.reply().error("ERR could not create filter"),
        Some(b) => {
            let e = new_prob_entry(ctx, key, Prob::Bloom(b));
            ctx.door(&w).insert(e);
            ctx.reply().ok();
        }
    }
    ctx.changed(&mut w, 1);
}

/// `RMUtil_ArgIndex`: the first argument equal to `word` (ignoring case), counting the command name.
fn arg_index(args: &Args, word: &str) -> Option<usize> {
    (0..args.len()).find(|&i| args.is(i, word))
}

/// Options of the filter BF.ADD/BF.MADD/BF.INSERT create when the key is missing (`BFInsertOptions`).
struct InsertOptions {
    capacity: i64,
    error_rate: f64,
    autocreate: bool,
    is_multi: bool,
    expansion: i64,
    non_scaling: bool,
}

impl InsertOptions {
    /// The filter `bf-initial-size`, `bf-error-rate` and `bf-expansion-factor` describe (non-scaling when the
    /// factor is 0).
    fn defaults(prob: &ProbConfig, is_multi: bool) -> Self {
        InsertOptions {
            capacity: prob.bf_initial_size.value,
            error_rate: prob.bf_error_rate.value,
            autocreate: true,
            is_multi,
            expansion: prob.bf_expansion_factor.value,
            non_scaling: prob.bf_expansion_factor.value == 0,
        }
    }
}

/// Whether the command is the multi-item form (`isMulti`: the name's fourth letter is `m`).
fn is_multi(args: &Args) -> bool {
    args.get(0).get(3).is_some_and(|c| c.eq_ignore_ascii_case(&b'm'))
}

/// `BF.ADD key item`, `BF.MADD key item [item ...]`
fn add(ctx: &mut Ctx, args: Args) {
    let multi = is_multi(&args);
    let argc = args.len();
    if (multi && argc < 3) || (!multi && argc != 3) {
        return wrong_arity(ctx.reply(), &args);
    }
    let opts = InsertOptions::defaults(&ctx.config().prob, multi);
    insert_common(ctx, args.get(1), args.skip(2), &opts);
}

/// `bfInsertCommon`: adds `items`, creating the filter with `opts` when the key is missing.
fn insert_common(ctx: &mut Ctx, key: &[u8], items: Args, opts: &InsertOptions) {
    let (e, r, mut w) = ctx.write(key);
    match prob_mut::<Bloom>(e) {
        // The common case: the filter is there, one lookup.
        Ok(b) => add_items(r, b, &items, opts.is_multi),
        Err(ProbMiss::Missing) if opts.autocreate => {
            let Some(b) = Bloom::new(opts.capacity as u64, opts.error_rate, opts.expansion as u32, opts.non_scaling)
            else {
                r.error("ERR could not create filter");
                return ctx.changed(&mut w, 0);
            };
            let e = new_prob_entry(ctx, key, Prob::Bloom(b));
            ctx.door(&w).insert(e);
            let (e, r) = ctx.door(&w).entry_reply();
            let Ok(b) = prob_mut::<Bloom>(e) else {
                w.untouched();
                return;
            };
            add_items(r, b, &items, opts.is_multi);
        }
        Err(miss) => {
            r.error(miss.message(KEY_MISSING));
            return ctx.changed(&mut w, 0);
        }
    }
    ctx.changed(&mut w, 1);
}

/// The adds of [`insert_common`] and their replies.
fn add_items(r: &mut Reply, b: &mut Bloom, items: &Args, is_multi: bool) {
    if is_multi {
        // The length is known only after the loop (a full non-scaling filter stops it): count first.
        let mut results = Vec::with_capacity(items.len());
        for item in items.iter() {
            let a = b.add(item);
            results.push(a);
            if a == Added::Full {
                break;
            }
        }
        r.array(results.len());
        for a in results {
            add_reply(r, a);
        }
    } else if let Some(item) = items.iter().next() {
        add_reply(r, b.add(item));
    }
}

fn add_reply(r: &mut Reply, a: Added) {
    match a {
        Added::Full => r.error("ERR non scaling filter is full"),
        Added::Failed => r.error("ERR problem inserting into filter"),
        Added::Yes => r.boolean(true),
        Added::No => r.boolean(false),
    }
}

/// `BF.INSERT key [CAPACITY cap] [ERROR rate] [EXPANSION n] [NOCREATE] [NONSCALING] ITEMS item [item ...]`
fn insert(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    let mut opts = InsertOptions::defaults(&ctx.config().prob, true);
    let r = ctx.reply();
    if argc < 4 {
        return wrong_arity(r, &args);
    }
    let mut items_index: Option<usize> = None;
    let mut expansion_given = false;
    let mut pos = 2;
    while pos < argc && items_index.is_none() {
        let a = args.get(pos);
        let lower = |i: usize| a.get(i).map(|c| c.to_ascii_lowercase());
        match lower(0) {
            Some(b'i') => {
                pos += 1;
                items_index = Some(pos);
            }
            Some(b'e') => {
                pos += 1;
                if pos == argc {
                    return wrong_arity(r, &args);
                }
                if lower(1) == Some(b'r') {
                    match parse_f64(args.get(pos)) {
                        Some(v) => opts.error_rate = v,
                        None => return r.error("Bad error rate"),
                    }
                } else {
                    match parse_i64(args.get(pos)) {
                        Some(v) => (opts.expansion, expansion_given) = (v, true),
                        None => return r.error("Bad expansion"),
                    }
                }
                pos += 1;
            }
            Some(b'c') => {
                pos += 1;
                if pos == argc {
                    return wrong_arity(r, &args);
                }
                match parse_i64(args.get(pos)) {
                    Some(v) => opts.capacity = v,
                    None => return r.error("Bad capacity"),
                }
                pos += 1;
            }
            Some(b'n') => {
                if lower(2) == Some(b'c') {
                    opts.autocreate = false;
                } else {
                    opts.non_scaling = true;
                }
                pos += 1;
            }
            _ => return r.error("Unknown argument received"),
        }
    }
    let Some(items_index) = items_index.filter(|&i| i != argc) else {
        return wrong_arity(r, &args);
    };
    // A `bf-expansion-factor` of 0 (non-scaling) is not a bad EXPANSION.
    if opts.error_rate <= 0.0 || opts.error_rate >= 1.0 || opts.capacity < 1 || (expansion_given && opts.expansion < 1)
    {
        return r.error("Bad argument received");
    }
    insert_common(ctx, args.get(1), args.skip(items_index), &opts);
}

/// `BF.EXISTS key item`, `BF.MEXISTS key item [item ...]`
fn exists(ctx: &mut Ctx, args: Args) {
    let multi = is_multi(&args);
    let argc = args.len();
    if (!multi && argc != 3) || (multi && argc < 3) {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    let b = prob_ref::<Bloom>(e).ok();
    if multi {
        r.array(argc - 2);
    }
    for item in args.iter().skip(2) {
        r.boolean(b.is_some_and(|b| b.contains(item)));
    }
}

/// A read command's filter, or its error replied.
fn read_filter<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<(&'c Bloom, &'c mut Reply)> {
    super::shared::prob_read(ctx, key, KEY_MISSING)
}

/// `BF.INFO key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]`
fn info(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc != 2 && argc != 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((b, r)) = read_filter(ctx, args.get(1)) else { return };
    let resp3 = r.is_resp3();
    let expansion = |r: &mut Reply| {
        if b.non_scaling() {
            r.null()
        } else {
            r.int(b.growth as i64)
        }
    };
    if argc == 3 {
        let field = args.get(2).to_ascii_lowercase();
        let (name, value): (&str, Option<i64>) = match field.as_slice() {
            b"capacity" => ("Capacity", Some(b.capacity() as i64)),
            b"size" => ("Size", Some(b.mem_usage() as i64)),
            b"filters" => ("Number of filters", Some(b.links.len() as i64)),
            b"items" => ("Number of items inserted", Some(b.size as i64)),
            b"expansion" => ("Expansion rate", None),
            _ => return r.error("Invalid information value"),
        };
        if resp3 {
            r.map(1);
            r.simple(name);
        } else {
            r.array(1);
        }
        match value {
            Some(v) => r.int(v),
            None => expansion(r),
        }
        return;
    }
    r.map(5);
    r.simple("Capacity");
    r.int(b.capacity() as i64);
    r.simple("Size");
    r.int(b.mem_usage() as i64);
    r.simple("Number of filters");
    r.int(b.links.len() as i64);
    r.simple("Number of items inserted");
    r.int(b.size as i64);
    r.simple("Expansion rate");
    expansion(r);
}

/// `BF.CARD key`
fn card(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    match prob_ref::<Bloom>(e) {
        Ok(b) => r.int(b.size as i64),
        Err(ProbMiss::Missing) => r.int(0),
        Err(miss) => r.error(miss.message(KEY_MISSING)),
    }
}

/// `BF.DEBUG key`
fn debug(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((b, r)) = read_filter(ctx, args.get(1)) else { return };
    r.array(1 + b.links.len());
    r.bulk(format!("size:{}", b.size).as_bytes());
    let width = if b.options & crate::keyspace::types::prob::bloom::OPT_FORCE64 != 0 { 64 } else { 32 };
    for l in &b.links {
        let i = &l.inner;
        let bits = if i.bits != 0 { i.bits } else { 1u64 << (i.n2 & 63) };
        let line = format!(
            "bytes:{} bits:{} hashes:{} hashwidth:{} capacity:{} size:{} ratio:{}",
            i.bf.len(),
            bits,
            i.hashes,
            width,
            i.entries,
            l.size,
            crate::util::fmt_g(i.error, 6)
        );
        r.bulk(line.as_bytes());
    }
}

/// `BF.SCANDUMP key iterator`
fn scandump(ctx: &mut Ctx, args: Args) {
    if args.len() != 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((b, r)) = read_filter(ctx, args.get(1)) else { return };
    let Some(iter) = parse_i64(args.get(2)) else {
        return r.error("Second argument must be numeric");
    };
    r.array(2);
    if iter == 0 {
        r.int(1);
        r.bulk(&b.encode_header());
    } else {
        let (next, chunk) = b.chunk(iter);
        r.int(next);
        r.bulk(chunk);
    }
}

/// `BF.LOADCHUNK key iterator data`
fn loadchunk(ctx: &mut Ctx, args: Args) {
    if args.len() != 4 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some(iter) = parse_i64(args.get(2)) else {
        return ctx.reply().error("ERR Second argument must be numeric");
    };
    let key = args.get(1);
    let data = args.get(3);
    let (e, r, mut w) = ctx.write(key);
    match prob_mut::<Bloom>(e) {
        Err(ProbMiss::Missing) if iter == 1 => match Bloom::from_header(data) {
            Err(msg) => {
                r.error(msg);
                ctx.changed(&mut w, 0);
            }
            Ok(b) => {
                let e = new_prob_entry(ctx, key, Prob::Bloom(b));
                ctx.door(&w).insert(e);
                ctx.reply().ok();
                ctx.changed(&mut w, 1);
            }
        },
        Ok(b) => match b.load_chunk(iter, data) {
            Err(msg) => {
                r.error(msg);
                ctx.changed(&mut w, 0);
            }
            Ok(()) => {
                r.ok();
                ctx.changed(&mut w, 1);
            }
        },
        Err(miss) => {
            r.error(miss.message(KEY_MISSING));
            ctx.changed(&mut w, 0);
        }
    }
}
