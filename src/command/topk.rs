//! Top-K commands, as RedisBloom 2.8 (`rm_topk.c`) answers them: TOPK.RESERVE, TOPK.ADD, TOPK.INCRBY,
//! TOPK.QUERY, TOPK.COUNT, TOPK.LIST (WITHCOUNT) and TOPK.INFO over [`crate::keyspace::types::prob::topk`]
//! (type `TopK-TYPE`).
//!
//! As RedisBloom: errors are `TopK: ...`, the arity is the command's own check, items in replies end at their
//! first NUL byte (RedisBloom replies with C strings), and a write that reaches `RedisModule_ReplicateVerbatim`
//! counts one change. One deliberate difference: a bad increment in TOPK.INCRBY answers an error in its place
//! and in the places after it, keeping the array as long as announced (RedisBloom stops short of the length it
//! announced, which leaves its client's connection out of step). No keyspace events.

use super::shared::prob_wrong_arity as wrong_arity;
use super::{flag, Args, Command, Ctx};
use crate::keyspace::object::Entry;
use crate::keyspace::types::prob::topk::TopK;
use crate::keyspace::types::prob::Prob;
use crate::resp::reply::Reply;
use crate::util::{parse_f64, parse_i64};

const TOPK: Command = Command { since: "2.0.0", ..super::shared::PROB_COMMAND };
const WRITE: u64 = super::shared::PROB_WRITE;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "topk.reserve",
        flags: WRITE,
        acl: "write topk slow",
        syntax: "key topk{:integer} [width{:integer} depth{:integer} decay{:double}]{params}",
        summary: "Initializes a Top-K sketch with specified parameters",
        complexity: "O(1)",
        handler: reserve,
        ..TOPK
    },
    Command {
        name: "topk.add",
        flags: WRITE,
        acl: "write topk slow",
        syntax: "key item [item ...]",
        summary: "Adds an item to a Top-k sketch. Multiple items can be added at the same time.",
        complexity: "O(n * k) where n is the number of items and k is the depth",
        handler: add,
        ..TOPK
    },
    Command {
        name: "topk.incrby",
        flags: WRITE,
        acl: "write topk slow",
        syntax: "key item increment [item increment ...]",
        summary: "Increases the count of one or more items by increment",
        complexity: "O(n * k * incr) where n is the number of items, k is the depth and incr is the increment",
        handler: incrby,
        ..TOPK
    },
    Command {
        name: "topk.query",
        flags: flag::READONLY | flag::MODULE,
        acl: "read topk slow",
        syntax: "key item [item ...]",
        summary: "Checks whether one or more items are in a sketch",
        complexity: "O(n) where n is the number of items",
        handler: query,
        ..TOPK
    },
    Command {
        name: "topk.count",
        // RedisBloom registers it as a write command (it reads only).
        flags: flag::WRITE | flag::MODULE,
        acl: "write topk slow",
        syntax: "key item [item ...]",
        summary: "Return the count for one or more items are in a sketch",
        complexity: "O(n) where n is the number of items",
        handler: count,
        ..TOPK
    },
    Command {
        name: "topk.list",
        flags: flag::READONLY | flag::MODULE,
        acl: "read topk slow",
        syntax: "key [WITHCOUNT]",
        summary: "Return the full list of items in Top-K sketch.",
        complexity: "O(k*log(k)) where k is the value of top-k",
        handler: list,
        ..TOPK
    },
    Command {
        name: "topk.info",
        flags: flag::READONLY | flag::MODULE,
        acl: "read topk slow",
        syntax: "key",
        summary: "Returns information about a sketch",
        complexity: "O(1)",
        handler: info,
        ..TOPK
    },
];

const KEY_MISSING: &str = "TopK: key does not exist";
const BAD_INCREMENT: &str = "TopK: increment must be an integer greater or equal to 0                            and smaller or equal to 100,000";

/// The sketch in a write lookup's entry, or the error RedisBloom gives for it.
fn sketch(e: Option<&mut Entry>) -> Result<&mut TopK, &'static str> {
    super::shared::prob_mut(e).map_err(|m| m.message(KEY_MISSING))
}

/// An item as RedisBloom replies with it (`RedisModule_ReplyWithCString`: up to its first NUL).
fn c_string(item: &[u8]) -> &[u8] {
    item.iter().position(|&c| c == 0).map_or(item, |n| &item[..n])
}

fn expelled_reply(r: &mut Reply, e: Option<Box<[u8]>>) {
    match e {
        Some(item) => r.bulk(c_string(&item)),
        None => r.null(),
    }
}

/// `TOPK.RESERVE key topk [width depth decay]`
fn reserve(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc != 3 && argc != 6 {
        return wrong_arity(ctx.reply(), &args);
    }
    let key = args.get(1);
    let (e, r, mut w) = ctx.write(key);
    if e.is_some() {
        r.error("TopK: key already exists");
        return ctx.changed(&mut w, 0);
    }
    let params = (|| {
        let k = parse_i64(args.get(2)).filter(|&k| k >= 1).ok_or("TopK: invalid k")?;
        if argc == 3 {
            return Ok((k, 8, 7, 0.9));
        }
        let width = parse_i64(args.get(3)).filter(|&v| v >= 1).ok_or("TopK: invalid width")?;
        let depth = parse_i64(args.get(4)).filter(|&v| v >= 1).ok_or("TopK: invalid depth")?;
        let decay = parse_f64(args.get(5))
            .filter(|&d| d > 0.0 && d <= 1.0)
            .ok_or("TopK: invalid decay value. must be '<= 1' & '> 0'")?;
        Ok((k, width, depth, decay))
    })();
    // RedisBloom keeps the three sizes in 32 bits (a size that truncates to 0 is refused here instead of
    // asserting).
    let made = params.and_then(|(k, wd, d, decay)| {
        TopK::new(k as u32, wd as u32, d as u32, decay)
            .filter(|t| t.k > 0 && t.width > 0 && t.depth > 0)
            .ok_or("TopK: Insufficient memory to create the key")
    });
    match made {
        Err(msg) => {
            r.error(msg);
            ctx.changed(&mut w, 0);
        }
        Ok(t) => super::shared::insert_new_prob(ctx, &mut w, key, Prob::TopK(t)),
    }
}

/// `TOPK.ADD key item [item ...]`
fn add(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r, mut w) = ctx.write(args.get(1));
    let t = match sketch(e) {
        Ok(t) => t,
        Err(msg) => {
            r.error(msg);
            return ctx.changed(&mut w, 0);
        }
    };
    r.array(args.len() - 2);
    for item in args.iter().skip(2) {
        expelled_reply(r, t.add(item, 1));
    }
    ctx.changed(&mut w, 1);
}

/// `TOPK.INCRBY key item increment [item increment ...]`
fn incrby(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc < 4 || argc % 2 == 1 {
        return wrong_arity(ctx.reply(), &args);
    }
    let (e, r, mut w) = ctx.write(args.get(1));
    let t = match sketch(e) {
        Ok(t) => t,
        Err(msg) => {
            r.error(msg);
            return ctx.changed(&mut w, 0);
        }
    };
    let pairs = (argc - 2) / 2;
    r.array(pairs);
    let mut failed = false;
    for i in 0..pairs {
        let incr = parse_i64(args.get(3 + 2 * i)).filter(|n| (0..=100_000).contains(n));
        match incr {
            Some(n) if !failed => expelled_reply(r, t.add(args.get(2 + 2 * i), n as u32)),
            _ => {
                failed = true;
                r.error(BAD_INCREMENT);
            }
        }
    }
    ctx.changed(&mut w, 1);
}

/// `TOPK.QUERY key item [item ...]`
fn query(ctx: &mut Ctx, args: Args) {
    per_item(ctx, args, |r, t, item| r.boolean(t.query(item)))
}

/// `TOPK.COUNT key item [item ...]`
fn count(ctx: &mut Ctx, args: Args) {
    per_item(ctx, args, |r, t, item| r.int(t.count(item) as i64))
}

/// TOPK.QUERY's and TOPK.COUNT's shared steps: the arity, the sketch, then an array of one `reply_one` an item.
fn per_item(ctx: &mut Ctx, args: Args, reply_one: impl Fn(&mut Reply, &TopK, &[u8])) {
    if args.len() < 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((t, r)) = super::shared::prob_read::<TopK>(ctx, args.get(1), KEY_MISSING) else { return };
    r.array(args.len() - 2);
    for item in args.iter().skip(2) {
        reply_one(r, t, item);
    }
}

/// `TOPK.LIST key [WITHCOUNT]`
fn list(ctx: &mut Ctx, args: Args) {
    let argc = args.len();
    if argc != 2 && argc != 3 {
        return wrong_arity(ctx.reply(), &args);
    }
    // `strncasecmp(arg, "WITHCOUNT", len(arg))`: any prefix of the word, the empty one included.
    let with_count = argc == 3;
    if with_count {
        let a = args.get(2);
        if a.len() > 9 || !a.eq_ignore_ascii_case(&b"WITHCOUNT"[..a.len()]) {
            return ctx.reply().error("WITHCOUNT keyword expected");
        }
    }
    let Some((t, r)) = super::shared::prob_read::<TopK>(ctx, args.get(1), KEY_MISSING) else { return };
    let listed: Vec<_> = t.list().into_iter().take_while(|h| h.count != 0).collect();
    r.array(listed.len() * (1 + with_count as usize));
    for h in listed {
        r.bulk(c_string(h.item.as_deref().unwrap_or_default()));
        if with_count {
            r.int(h.count as i64);
        }
    }
}

/// `TOPK.INFO key`
fn info(ctx: &mut Ctx, args: Args) {
    if args.len() != 2 {
        return wrong_arity(ctx.reply(), &args);
    }
    let Some((t, r)) = super::shared::prob_read::<TopK>(ctx, args.get(1), KEY_MISSING) else { return };
    r.map(4);
    r.simple("k");
    r.int(t.k as i64);
    r.simple("width");
    r.int(t.width as i64);
    r.simple("depth");
    r.int(t.depth as i64);
    r.simple("decay");
    r.double(t.decay);
}
