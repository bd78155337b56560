//! Cuckoo filter commands, as RedisBloom 2.8 (`rebloom.c`) answers them: CF.RESERVE, CF.ADD, CF.ADDNX,
//! CF.INSERT, CF.INSERTNX, CF.EXISTS, CF.MEXISTS, CF.COUNT, CF.DEL, CF.COMPACT, CF.INFO, CF.DEBUG, CF.SCANDUMP
//! and CF.LOADCHUNK over the filter of [`crate::keyspace::types::prob::cuckoo`] (type `MBbloomCF`).
//!
//! As the Bloom commands ([`super::bloom`]): own arity checks, RedisBloom's error words byte for byte, a write
//! opens its key for writing, and a change counts (and propagates as sent) exactly where RedisBloom calls
//! `RedisModule_ReplicateVerbatim` — so a full filter's CF.ADD error and CF.LOADCHUNK's data chunks (after the
//! header) count nothing, as there. No keyspace events. CF.EXISTS/CF.COUNT of a key of another type answer 0.

use super::shared::prob_wrong_arity as wrong_arity;
use super::shared::{new_prob_entry, prob_mut, prob_ref, ProbMiss};
use super::{flag, Args, Command, Ctx};
use crate::command::Access;
use crate::config::prob::ProbConfig;
use crate::keyspace::db::Db;
use crate::keyspace::types::prob::cuckoo::{self, hash, Cuckoo, Insert};
use crate::keyspace::types::prob::Prob;
use crate::resp::reply::Reply;
use crate::util::parse_i64;

use super::shared::prob_command;

const CF: Command = Command { since: "1.0.0", ..super::shared::PROB_COMMAND };
const WRITE: u64 = super::shared::PROB_WRITE;
const READ: u64 = flag::READONLY | flag::FAST | flag::MODULE;

const ADD_COMPLEXITY: &str = "O(k + i), where k is the number of sub-filters and i is maxIterations";
const INSERT_COMPLEXITY: &str =
    "O(n * (k + i)), where n is the number of items, k is the number of sub-filters and i is maxIterations";

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    prob_command!(CF, "cf.reserve",
        WRITE,
        "write cuckoo slow",
        "key capacity{:integer} [BUCKETSIZE bucketsize{:integer}]{bucketsize:block} [MAXITERATIONS maxiterations{:integer}]{maxiterations:block} [EXPANSION expansion{:integer}]{expansion:block}",
        "Creates a new Cuckoo Filter",
        "O(1)",
        reserve
    ),
    Command { prefetch: Some(prefetch), ..prob_command!(CF, "cf.add", WRITE, "write cuckoo slow", "key item", "Adds an item to a Cuckoo Filter", ADD_COMPLEXITY, add) },
    Command { prefetch: Some(prefetch), ..prob_command!(CF, "cf.addnx",
            WRITE,
            "write cuckoo slow",
            "key item",
            "Adds an item to a Cuckoo Filter if the item did not exist previously.",
            ADD_COMPLEXITY,
            add
        ) },
    prob_command!(CF, "cf.insert",
            WRITE,
            "write cuckoo slow",
            "key [CAPACITY capacity{:integer}]{capacity:block} [NOCREATE] <ITEMS> item [item ...]",
            "Adds one or more items to a Cuckoo Filter. A filter will be created if it does not exist",
            INSERT_COMPLEXITY,
            insert
        ),
    prob_command!(CF, "cf.insertnx",
            WRITE,
            "write cuckoo slow",
            "key [CAPACITY capacity{:integer}]{capacity:block} [NOCREATE] <ITEMS> item [item ...]",
            "Adds one or more items to a Cuckoo Filter if the items did not exist previously. A filter will be created if it does not exist",
            INSERT_COMPLEXITY,
            insert
        ),
    Command { prefetch: Some(prefetch), ..prob_command!(CF, "cf.exists",
        READ,
        "read cuckoo fast",
        "key item",
        "Checks whether one or more items exist in a Cuckoo Filter",
        "O(k), where k is the number of sub-filters",
        check
    ) },
    Command { prefetch: Some(prefetch), ..prob_command!(CF, "cf.mexists",
        READ,
        "read cuckoo fast",
        "key item [item ...]",
        "Checks whether one or more items exist in a Cuckoo Filter",
        "O(k * n), where k is the number of sub-filters and n is the number of items",
        check
    ) },
    Command { prefetch: Some(prefetch), ..prob_command!(CF, "cf.count",
        READ,
        "read cuckoo fast",
        "key item",
        "Return the number of times an item might be in a Cuckoo Filter",
        "O(k), where k is the number of sub-filters",
        check
    ) },
    Command { prefetch: Some(prefetch), ..prob_command!(CF, "cf.del",
        flag::WRITE | flag::FAST | flag::MODULE,
        "write cuckoo fast",
        "key item",
        "Deletes an item from a Cuckoo Filter",
        "O(k), where k is the number of sub-filters",
        del
    ) },
    prob_command!(CF, "cf.compact",
        READ,
        "read cuckoo fast",
        "key",
        "Internal: moves items into older sub-filters",
        "O(n), where n is the capacity",
        compact
    ),
    prob_command!(CF, "cf.scandump",
        READ,
        "read cuckoo fast",
        "key iterator{:integer}",
        "Begins an incremental save of the bloom filter",
        "O(n), where n is the capacity",
        scandump
    ),
    prob_command!(CF, "cf.loadchunk",
        WRITE,
        "write cuckoo slow",
        "key iterator{:integer} data",
        "Restores a filter previously saved using SCANDUMP",
        "O(n), where n is the capacity",
        loadchunk
    ),
    prob_command!(CF, "cf.info",
        READ,
        "read cuckoo fast",
        "key",
        "Returns information about a Cuckoo Filter",
        "O(1)",
        info
    ),
    prob_command!(CF, "cf.debug", READ, "read cuckoo fast", "key", "Internal: the shape of a Cuckoo Filter", "O(1)", debug),
];

/// [`Command::prefetch`] of CF.ADD, CF.ADDNX, CF.EXISTS, CF.MEXISTS, CF.COUNT and CF.DEL: the buckets of the
/// items (the first [`PREFETCH_ITEMS`](super::shared::PREFETCH_ITEMS)) in the key's filter.
fn prefetch(db: &Db, args: Args) {
    if args.len() < 3 {
        return;
    }
    if let Ok(cf) = prob_ref::<Cuckoo>(db.find(args.get(1))) {
        for item in args.skip(2).iter().take(super::shared::PREFETCH_ITEMS) {
            cf.prefetch(hash(item));
        }
    }
}

/// The reply for a key that holds no filter (`statusStrerror`): RedisBloom's for a missing key, Redis's
/// WRONGTYPE for another type.
const NOT_FOUND: &str = "ERR not found";

/// `RMUtil_ArgIndex` then the number after it: `None` when absent, `Some(None)` when unparsable.
fn option(args: &Args, word: &str) -> Option<Option<i64>> {
    let i = (0..args.len()).find(|&i| args.is(i, word))?;
    Some(if i + 1 < args.len() { parse_i64(args.get(i + 1)) } else { None })
}

/// An option's number, `default` when the option is absent, or the error CF.RESERVE replies when it does not
/// parse or falls outside `range`.
fn bounded_option(args: &Args, word: &str, range: std::ops::RangeInclusive<i64>, default: i64) -> Result<i64, String> {
    match option(args, word) {
        None => Ok(default),
        Some(None) => Err(format!("Couldn't parse {word}")),
        Some(Some(v)) if !range.contains(&v) => {
            Err(format!("{word}: value must be an integer between {} and {}, inclusive.", range.start(), range.end()))
        }
        Some(Some(v)) => Ok(v),
    }
}

/// CF.RESERVE's MAXITERATIONS, BUCKETSIZE and EXPANSION, checked in that order (the first bad one is reported);
/// one left out takes `cf-max-iterations`, `cf-bucket-size` or `cf-expansion-factor`.
fn reserve_options(args: &Args, prob: &ProbConfig) -> Result<(i64, i64, i64), String> {
    let max_iterations =
        bounded_option(args, "MAXITERATIONS", 1..=cuckoo::MAX_ITERATIONS, prob.cf_max_iterations.value)?;
    let bucket_size = bounded_option(args, "BUCKETSIZE", 1..=cuckoo::MAX_BUCKET_SIZE, prob.cf_bucket_size.value)?;
    let expansion = bounded_option(args, "EXPANSION", 0..=cuckoo::MAX_EXPANSION, prob.cf_expansion_factor.value)?;
    Ok((max_iterations, bucket_size, expansion))
}

/// `CF.RESERVE key capacity [BUCKETSIZE n] [MAXITERATIONS n] [EXPANSION n]`
fn reserve(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc < 3 || argc % 2 == 0 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some(capacity) = parse_i64(args.get(2)) else { return ctx.reply().error("Bad capacity") };
    let (max_iterations, bucket_size, expansion) = match reserve_options(&args, &ctx.config().prob) {
        Ok(v) => v,
        Err(msg) => return ctx.reply().error(&msg),
    };
    if bucket_size * 2 > capacity {
        return ctx.reply().error("Capacity must be at least (BucketSize * 2)");
    }
    let key = args.get(1);
    let Some(mut w) = super::shared::open_new_prob::<Cuckoo>(ctx, key, NOT_FOUND) else { return };
    match Cuckoo::new(capacity as u64, bucket_size as u16, max_iterations as u16, expansion as u16) {
        None => {
            ctx.reply().error("Couldn't create Cuckoo Filter");
            ctx.changed(&mut w, 0);
        }
        Some(c) => {
            let e = new_prob_entry(ctx, key, Prob::Cuckoo(c));
            ctx.door(&w).insert(e);
            ctx.reply().ok();
            ctx.changed(&mut w, 1);
        }
    }
}

/// `CFInsertOptions`, with the configuration a filter created for a missing key takes.
struct InsertOptions {
    nx: bool,
    autocreate: bool,
    multi: bool,
    capacity: i64,
    bucket_size: u16,
    max_iterations: u16,
    expansion: u16,
    /// Adds are refused once a filter has this many sub-filters (`cf-max-expansions`).
    max_expansions: usize,
}

impl InsertOptions {
    /// CF.ADD's options: a filter of `cf-initial-size` with the other `cf-*` settings.
    fn new(prob: &ProbConfig, nx: bool, multi: bool) -> Self {
        // The directive table holds each setting in the range of its type (bucket size at most 255, iterations
        // at most 65535, expansion at most 32768), so these conversions are exact.
        let narrow = |v: i64| u16::try_from(v).unwrap_or(u16::MAX);
        InsertOptions {
            nx,
            autocreate: true,
            multi,
            capacity: prob.cf_initial_size.value,
            bucket_size: narrow(prob.cf_bucket_size.value),
            max_iterations: narrow(prob.cf_max_iterations.value),
            expansion: narrow(prob.cf_expansion_factor.value),
            max_expansions: usize::try_from(prob.cf_max_expansions.value).unwrap_or(usize::MAX),
        }
    }
}

/// Whether the command name ends in `x` (CF.ADDNX, CF.INSERTNX).
fn is_nx(args: &Args) -> bool {
    args.get(0).last().is_some_and(|c| c.eq_ignore_ascii_case(&b'x'))
}

/// `CF.ADD key item`, `CF.ADDNX key item`
fn add(ctx: &mut Ctx, args: Args) {
    let opts = InsertOptions::new(&ctx.config().prob, is_nx(&args), false);
    if args.len() != 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    insert_common(ctx, args.get(1), args.skip(2), &opts);
}

/// `CF.INSERT key [CAPACITY cap] [NOCREATE] ITEMS item [item ...]` and CF.INSERTNX.
fn insert(ctx: &mut Ctx, args: Args) {
    let mut opts = InsertOptions::new(&ctx.config().prob, is_nx(&args), true);
    let argc = args.len();
    let r = ctx.reply();
    if argc < 4 {
        return wrong_arity(r, &args);
    }
    let mut pos = 2;
    let mut items: Option<usize> = None;
    while pos < argc && items.is_none() {
        match args.get(pos).first().map(|c| c.to_ascii_lowercase()) {
            Some(b'c') => {
                pos += 1;
                if pos == argc {
                    return wrong_arity(r, &args);
                }
                let Some(v) = parse_i64(args.get(pos)) else { return r.error("Bad capacity") };
                pos += 1;
                if 2 * i64::from(opts.bucket_size) > v {
                    return r.error("Capacity must be at least (BucketSize * 2)");
                }
                opts.capacity = v;
            }
            Some(b'i') => {
                pos += 1;
                items = Some(pos);
            }
            Some(b'n') => {
                opts.autocreate = false;
                pos += 1;
            }
            _ => return r.error("Unknown argument received"),
        }
    }
    let Some(items) = items.filter(|&i| i != argc) else { return wrong_arity(r, &args) };
    insert_common(ctx, args.get(1), args.skip(items), &opts);
}

/// `cfInsertCommon`.
fn insert_common(ctx: &mut Ctx, key: &[u8], items: Args, opts: &InsertOptions) {
    let (e, r, mut w) = ctx.write(key);
    let changes = match prob_mut::<Cuckoo>(e) {
        // The common case: the filter is there, one lookup.
        Ok(c) => add_items(r, c, &items, opts),
        Err(ProbMiss::Missing) if opts.autocreate => {
            let Some(c) = Cuckoo::new(opts.capacity as u64, opts.bucket_size, opts.max_iterations, opts.expansion)
            else {
                r.error("Could not create filter");
                return ctx.changed(&mut w, 0);
            };
            let e = new_prob_entry(ctx, key, Prob::Cuckoo(c));
            ctx.door(&w).insert(e);
            let (e, r) = ctx.door(&w).entry_reply();
            let Ok(c) = prob_mut::<Cuckoo>(e) else {
                w.untouched();
                return;
            };
            add_items(r, c, &items, opts)
        }
        Err(miss) => {
            r.error(miss.message(NOT_FOUND));
            0
        }
    };
    ctx.changed(&mut w, changes);
}

/// The inserts of [`insert_common`] and their replies; the changes to count (0 when a full filter stopped a
/// single insert, as RedisBloom then does not replicate).
fn add_items(r: &mut Reply, c: &mut Cuckoo, items: &Args, opts: &InsertOptions) -> u64 {
    if c.filters.len() >= opts.max_expansions {
        r.error("Maximum expansions reached");
        return 0;
    }
    let resp3 = r.is_resp3();
    if opts.multi {
        r.array(items.len());
    }
    for item in items.iter() {
        match c.insert(hash(item), opts.nx) {
            Insert::Inserted if resp3 && (!opts.nx || !opts.multi) => r.boolean(true),
            Insert::Inserted => r.int(1),
            Insert::Exists if resp3 && (!opts.nx || !opts.multi) => r.boolean(false),
            Insert::Exists => r.int(0),
            Insert::NoSpace if !opts.multi => {
                r.error("Filter is full");
                return 0;
            }
            Insert::NoSpace if resp3 && !opts.nx => r.boolean(false),
            Insert::NoSpace => r.int(-1),
            Insert::MemAllocFailed => r.error("Memory allocation failure"),
        }
    }
    1
}

/// `CF.EXISTS key item`, `CF.MEXISTS key item [item ...]`, `CF.COUNT key item`
fn check(ctx: &mut Ctx, args: Args) {
    let name = args.get(0);
    let multi = name.get(3).is_some_and(|c| c.eq_ignore_ascii_case(&b'm'));
    let count = name.last().is_some_and(|c| c.eq_ignore_ascii_case(&b't'));
    let argc = args.len();
    if (!multi && argc != 3) || (multi && argc < 3) {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    let c = prob_ref::<Cuckoo>(e).ok();
    let resp3 = r.is_resp3();
    if multi {
        r.array(argc - 2);
    }
    for item in args.iter().skip(2) {
        let n = match c {
            None => 0,
            Some(c) if count => c.count(hash(item)) as i64,
            Some(c) => c.contains(hash(item)) as i64,
        };
        if resp3 && !count {
            r.boolean(n != 0)
        } else {
            r.int(n)
        }
    }
}

/// `CF.DEL key item`
fn del(ctx: &mut Ctx, args: Args) {
    if args.len() != 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r, mut w) = ctx.write(args.get(1));
    let Ok(c) = prob_mut::<Cuckoo>(e) else {
        r.error("Not found");
        return ctx.changed(&mut w, 0);
    };
    let gone = c.delete(hash(args.get(2)));
    r.boolean(gone);
    ctx.changed(&mut w, 1);
}

/// `CF.COMPACT key`
fn compact(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r, mut w) = ctx.write(args.get(1));
    let Ok(c) = prob_mut::<Cuckoo>(e) else {
        r.error("Cuckoo filter was not found");
        return ctx.changed(&mut w, 0);
    };
    c.compact(true);
    r.ok();
    ctx.changed(&mut w, 1);
}

/// A read command's filter, or its error replied.
fn read_filter<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<(&'c Cuckoo, &'c mut Reply)> {
    super::shared::prob_read(ctx, key, NOT_FOUND)
}

/// `CF.INFO key`
fn info(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((c, r)) = read_filter(ctx, args.get(1)) else { return };
    r.map(8);
    for (name, v) in [
        ("Size", c.mem_usage() as i64),
        ("Number of buckets", c.num_buckets as i64),
        ("Number of filters", c.filters.len() as i64),
        ("Number of items inserted", c.num_items as i64),
        ("Number of items deleted", c.num_deletes as i64),
        ("Bucket size", c.bucket_size as i64),
        ("Expansion rate", c.expansion as i64),
        ("Max iterations", c.max_iterations as i64),
    ] {
        r.simple(name);
        r.int(v);
    }
}

/// `CF.DEBUG key`
fn debug(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((c, r)) = read_filter(ctx, args.get(1)) else { return };
    let line = format!(
        "bktsize:{} buckets:{} items:{} deletes:{} filters:{} max_iterations:{} expansion:{}",
        c.bucket_size,
        c.num_buckets,
        c.num_items,
        c.num_deletes,
        c.filters.len(),
        c.max_iterations,
        c.expansion
    );
    r.bulk(line.as_bytes());
}

/// `CF.SCANDUMP key iterator`
fn scandump(ctx: &mut Ctx, args: Args) {
    if args.len() != 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some(pos) = parse_i64(args.get(2)).filter(|&p| p >= 0) else {
        return ctx.reply().error("Invalid position");
    };
    let Some((c, r)) = read_filter(ctx, args.get(1)) else { return };
    r.array(2);
    if c.num_items == 0 {
        r.int(0);
        return r.null();
    }
    if pos == 0 {
        r.int(1);
        return r.bulk(&c.encode_header());
    }
    match c.chunk(pos) {
        None => {
            r.int(0);
            r.null();
        }
        Some((next, chunk)) => {
            r.int(next);
            r.bulk(chunk);
        }
    }
}

/// `CF.LOADCHUNK key iterator data`
fn loadchunk(ctx: &mut Ctx, args: Args) {
    if args.len() != 4 {
        return wrong_arity(ctx.reply(), &args);
    }
    let key = args.get(1);
    let data = args.get(3);
    let (e, r, mut w) = ctx.write(key);
    let Some(pos) = parse_i64(args.get(2)).filter(|&p| p != 0) else {
        r.error("Invalid position");
        return ctx.changed(&mut w, 0);
    };
    match prob_mut::<Cuckoo>(e) {
        Err(ProbMiss::Missing) if pos == 1 => {
            if data.len() != cuckoo::HEADER_BYTES {
                r.error("Invalid header");
                return ctx.changed(&mut w, 0);
            }
            match Cuckoo::from_header(data) {
                None => {
                    r.error("Couldn't create filter!");
                    ctx.changed(&mut w, 0);
                }
                Some(c) => {
                    let e = new_prob_entry(ctx, key, Prob::Cuckoo(c));
                    ctx.door(&w).insert(e);
                    ctx.reply().ok();
                    ctx.changed(&mut w, 1);
                }
            }
        }
        Ok(c) if pos != 1 => {
            if c.load_chunk(pos, data) {
                r.ok();
            } else {
                r.error("Couldn't load chunk!");
            }
            // RedisBloom does not replicate the data chunks.
            ctx.changed(&mut w, 0);
        }
        Ok(_) => {
            r.error("ERR item exists");
            ctx.changed(&mut w, 0);
        }
        Err(miss) => {
            r.error(miss.message(NOT_FOUND));
            ctx.changed(&mut w, 0);
        }
    }
}
