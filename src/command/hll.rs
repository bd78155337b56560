//! HyperLogLog commands (Redis `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG (GETREG, DECODE, ENCODING,
//! TODENSE) and PFSELFTEST. A sketch is a plain string value in Redis's byte layout
//! ([`crate::keyspace::types::hll`]), so GET/SET, DUMP/RESTORE, RDB files and replication carry it unchanged
//! between ferredis and Redis, and APPEND/SETRANGE can damage it as in Redis.
//!
//! As in Redis: PFADD and PFMERGE report a change through the single-key door (PFADD counts the key's creation
//! and every register it raised towards `dirty`) and publish `pfadd` (PFMERGE too); PFCOUNT of one key stores the
//! cardinality it computed in the header, which is a change (WATCH, `dirty`, so the command propagates), while
//! PFCOUNT of several keys writes nothing; PFDEBUG GETREG/TODENSE count a sparse-to-dense conversion towards
//! `dirty` without touching WATCH. A string that is not a sketch gets `WRONGTYPE Key is not a valid HyperLogLog
//! string value.`, damaged registers `INVALIDOBJ Corrupted HLL object detected`.
//!
//! PFSELFTEST draws its random registers and element seed from a generator of its own (Redis uses `rand()`).

use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, BASE, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::{Entry, StrRef};
use crate::keyspace::types::hll::{self, Corrupt, Limits, REGISTERS};
use crate::resp::reply::Reply;

const HLL: Command = Command { group: Group::HyperLogLog, since: "2.8.9", ..BASE };
const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "pfadd",
        arity: -2,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write hyperloglog fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW insert")],
        summary: "Adds the specified elements to the specified HyperLogLog.",
        complexity: "O(1) to add every element.",
        syntax: "key [element [element ...]]",
        handler: pfadd,
        ..HLL
    },
    Command {
        name: "pfcount",
        arity: -2,
        flags: flag::READONLY | flag::MAY_REPLICATE,
        acl: "read hyperloglog slow",
        keys: super::ALL_KEYS,
        key_specs: &[KeySpecDef::range(1, -1, 1, "RW access")
            .notes("RW because it may change the internal representation of the key, and propagate to replicas")],
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        syntax: "key [key ...]",
        handler: pfcount,
        ..HLL
    },
    Command {
        name: "pfdebug",
        arity: 3,
        flags: flag::WRITE | flag::DENYOOM | flag::ADMIN,
        acl: "write hyperloglog admin slow dangerous",
        keys: KeySpec { first: 2, last: 2, step: 1 },
        key_specs: &[KeySpecDef::at(2, "RW access")],
        summary: "Internal commands for debugging HyperLogLog values",
        complexity: "N/A",
        syntax: "subcommand:string key",
        handler: pfdebug,
        ..HLL
    },
    Command {
        name: "pfmerge",
        arity: -2,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write hyperloglog slow",
        keys: super::ALL_KEYS,
        key_specs: &[KeySpecDef::at(1, "RW access insert"), KeySpecDef::range(2, -1, 1, "RO access")],
        summary: "Merge N different HyperLogLogs into a single one.",
        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
        syntax: "destkey:key sourcekey:key [sourcekey:key ...]",
        handler: pfmerge,
        ..HLL
    },
    Command {
        name: "pfselftest",
        arity: 1,
        flags: flag::ADMIN,
        acl: "hyperloglog admin slow dangerous",
        summary: "An internal command for testing HyperLogLog values",
        complexity: "N/A",
        handler: pfselftest,
        ..HLL
    },
];

/// How a HyperLogLog string may grow: `hll-sparse-max-bytes`, and room made as Redis's sds strings grow.
#[inline]
fn limits(ctx: &Ctx) -> Limits {
    Limits { max_sparse: ctx.config().hll_sparse_max_bytes.max(0) as usize, reserve: super::admin::sds_reserve }
}

/// Whether an existing key holds a sketch (Redis's `isHLLObjectOrReply`); replies WRONGTYPE otherwise.
fn is_hll(e: &Entry, r: &mut Reply) -> bool {
    match e.as_str() {
        None => r.err_wrongtype(),
        Some(StrRef::Bytes(b)) if hll::valid_header(b) => return true,
        Some(_) => r.error(NOT_HLL),
    }
    false
}

/// The sketch's bytes of a key already checked with [`is_hll`].
fn sketch(e: &Entry) -> &[u8] {
    match e.as_str() {
        Some(StrRef::Bytes(b)) => b,
        _ => &[],
    }
}

/// A sketch just promoted to dense gets the allocation Redis's fresh sds of that length has (MEMORY USAGE).
fn promoted(buf: &mut Vec<u8>, was_sparse: bool) {
    if was_sparse && buf[4] == hll::DENSE {
        let want = super::admin::sds_new_alloc(buf.len());
        if want > buf.capacity() {
            buf.reserve_exact(want - buf.len());
        }
    }
}

/// Adds PFADD's elements to a sketch: how many registers changed plus `created`; the cache is marked stale when
/// anything changed.
fn add_all(buf: &mut Vec<u8>, args: &Args, lim: Limits, created: u64) -> Result<u64, Corrupt> {
    let was_sparse = buf[4] == hll::SPARSE;
    let mut updated = created;
    let mut out = Ok(());
    for ele in args.iter().skip(2) {
        match hll::add(buf, ele, lim) {
            Ok(changed) => updated += changed as u64,
            Err(e) => {
                out = Err(e);
                break;
            }
        }
    }
    promoted(buf, was_sparse);
    out?;
    if updated > 0 {
        hll::invalidate_cache(buf);
    }
    Ok(updated)
}

/// PFADD key [element ...]
fn pfadd(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let lim = limits(ctx);
    let (res, mut w) = match ctx.write(key) {
        (Some(e), r, w) => {
            if !is_hll(e, r) {
                return w.untouched();
            }
            match e.raw_mut() {
                Some(buf) => (add_all(buf, &args, lim, 0), w),
                None => return w.untouched(),
            }
        }
        (None, _, w) => {
            let mut buf = hll::new_sparse();
            let res = add_all(&mut buf, &args, lim, 1);
            let mut e = Entry::new_raw(key, buf);
            e.set_lru(ctx.settings().fresh_lru());
            ctx.door(&w).insert(e);
            (res, w)
        }
    };
    match res {
        Err(Corrupt) => {
            w.untouched();
            ctx.reply().error(INVALID)
        }
        Ok(n) => {
            ctx.settle(&mut w, n);
            if n > 0 {
                ctx.notify(nc::STRING, "pfadd", key);
            }
            ctx.reply().int((n > 0) as i64);
        }
    }
}

/// Raises `max` to the registers of every existing key in `keys` (PFCOUNT of several keys, PFMERGE's sources).
/// `Some(any dense)`, or `None` after replying the error.
fn merge_keys<'a>(ctx: &mut Ctx, keys: impl Iterator<Item = &'a [u8]>, max: &mut [u8; REGISTERS]) -> Option<bool> {
    let mut dense = false;
    for key in keys {
        let (e, r) = ctx.lookup(Access::READ, key);
        let Some(e) = e else { continue };
        if !is_hll(e, r) {
            return None;
        }
        let b = sketch(e);
        dense |= b[4] == hll::DENSE;
        if hll::merge(max, b).is_err() {
            r.error(INVALID);
            return None;
        }
    }
    Some(dense)
}

/// PFCOUNT key [key ...]
fn pfcount(ctx: &mut Ctx, args: Args) {
    if args.len() > 2 {
        let mut max = [0u8; REGISTERS];
        if merge_keys(ctx, args.iter().skip(1), &mut max).is_some() {
            ctx.reply().int(hll::count_registers(&max) as i64);
        }
        return;
    }
    let key = args.get(1);
    let (e, r) = ctx.lookup(Access::READ, key);
    let Some(e) = e else {
        r.int(0);
        return;
    };
    if !is_hll(e, r) {
        return;
    }
    let buf = sketch(e);
    if let Some(card) = hll::cached(buf) {
        r.int(card as i64);
        return;
    }
    match hll::count(buf) {
        Err(Corrupt) => r.error(INVALID),
        Ok(card) => {
            r.int(card as i64);
            // The cached cardinality is a change of the string (Redis signals it and counts it).
            let mut w = ctx.open_write(key);
            if let Some(buf) = ctx.door(&w).entry_mut().and_then(|e| e.raw_mut()) {
                hll::set_cached(buf, card);
            }
            ctx.changed(&mut w, 1);
        }
    }
}

/// PFMERGE destkey [sourcekey ...]
fn pfmerge(ctx: &mut Ctx, args: Args) {
    let mut max = [0u8; REGISTERS];
    let Some(use_dense) = merge_keys(ctx, args.iter().skip(1), &mut max) else { return };
    let dest = args.get(1);
    let lim = limits(ctx);
    let mut w = ctx.open_write(dest);
    if ctx.lookup(Access::WRITE, dest).0.is_none() {
        let mut e = Entry::new_raw(dest, hll::new_sparse());
        e.set_lru(ctx.settings().fresh_lru());
        ctx.door(&w).insert(e);
    }
    let Some(buf) = ctx.door(&w).entry_mut().and_then(|e| e.raw_mut()) else { return w.untouched() };
    let was_sparse = buf[4] == hll::SPARSE;
    if use_dense && hll::to_dense(buf).is_err() {
        ctx.reply().error(INVALID);
        return w.untouched();
    }
    hll::store_max(buf, &max, lim);
    promoted(buf, was_sparse);
    ctx.changed(&mut w, 1);
    ctx.notify(nc::STRING, "pfadd", dest);
    ctx.reply().ok();
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
fn pfdebug(ctx: &mut Ctx, args: Args) {
    // Redis compares the subcommand as a C string: it ends at the first NUL byte.
    let raw = args.get(1);
    let sub = &raw[..memchr::memchr(0, raw).unwrap_or(raw.len())];
    let (e, r, w) = ctx.write(args.get(2));
    // Whatever PFDEBUG converts is no change in WATCH's sense (a conversion only counts towards `dirty`, below).
    w.untouched();
    let Some(e) = e else {
        r.error("ERR The specified key does not exist");
        return;
    };
    if !is_hll(e, r) {
        return;
    }
    let Some(buf) = e.raw_mut() else { return };
    let was_sparse = buf[4] == hll::SPARSE;
    let mut converted = false;
    if sub.eq_ignore_ascii_case(b"getreg") || sub.eq_ignore_ascii_case(b"todense") {
        match hll::to_dense(buf) {
            Err(Corrupt) => {
                r.error(INVALID);
                return;
            }
            Ok(c) => converted = c,
        }
        promoted(buf, was_sparse);
        if sub.eq_ignore_ascii_case(b"getreg") {
            r.array(REGISTERS);
            for i in 0..REGISTERS {
                r.int(hll::dense_get(&buf[hll::HDR..], i) as i64);
            }
        } else {
            r.int(converted as i64);
        }
    } else if sub.eq_ignore_ascii_case(b"decode") {
        if buf[4] != hll::SPARSE {
            r.error("ERR HLL encoding is not sparse");
            return;
        }
        r.bulk(hll::decode(buf).as_bytes());
    } else if sub.eq_ignore_ascii_case(b"encoding") {
        r.simple(if buf[4] == hll::DENSE { "dense" } else { "sparse" });
    } else {
        r.error(&format!("ERR Unknown PFDEBUG subcommand '{}'", String::from_utf8_lossy(sub)));
    }
    if converted {
        // An encoding change is propagated (`dirty`), but it is no change in WATCH's sense.
        ctx.count_changes(1);
    }
}

/// PFSELFTEST
fn pfselftest(ctx: &mut Ctx, _args: Args) {
    let mut rng = crate::util::Rng::from_entropy();
    let mut rand = || (rng.next_u64() >> 33) as u32;
    match hll::self_test(&mut rand, limits(ctx)) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => ctx.reply().error(&e),
    }
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;

    #[test]
    fn basics() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["pfadd", "h"]), ":1\r\n");
        assert_eq!(h.run(&["pfcount", "h"]), ":0\r\n");
        assert_eq!(h.run(&["pfadd", "h", "a", "b", "c"]), ":1\r\n");
        assert_eq!(h.run(&["pfadd", "h", "a", "b", "c"]), ":0\r\n");
        assert_eq!(h.run(&["pfcount", "h"]), ":3\r\n");
        assert_eq!(h.run(&["pfdebug", "encoding", "h"]), "+sparse\r\n");
        assert_eq!(h.run(&["pfdebug", "todense", "h"]), ":1\r\n");
        assert_eq!(h.run(&["pfdebug", "todense", "h"]), ":0\r\n");
        assert_eq!(h.run(&["pfdebug", "decode", "h"]), "-ERR HLL encoding is not sparse\r\n");
        assert_eq!(h.run(&["pfcount", "h"]), ":3\r\n");
        assert_eq!(h.run(&["pfdebug", "what", "h"]), "-ERR Unknown PFDEBUG subcommand 'what'\r\n");
        assert_eq!(h.run(&["pfdebug", "what", "nokey"]), "-ERR The specified key does not exist\r\n");
        h.run(&["set", "s", "x"]);
        assert_eq!(h.run(&["pfadd", "s", "a"]), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n");
        h.run(&["lpush", "l", "x"]);
        assert!(h.run(&["pfcount", "l"]).starts_with("-WRONGTYPE Operation"));
        assert_eq!(h.run(&["pfmerge", "m", "h", "nokey"]), "+OK\r\n");
        assert_eq!(h.run(&["pfcount", "m", "h"]), ":3\r\n");
        h.run(&["append", "m", "xx"]);
        assert_eq!(h.run(&["pfcount", "m"]), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n");
        h.run(&["pfadd", "sp", "a"]);
        h.run(&["append", "sp", "xx"]);
        assert_eq!(h.run(&["pfcount", "sp"]), "-INVALIDOBJ Corrupted HLL object detected\r\n");
        assert_eq!(h.run(&["pfcount", "sp", "h"]), "-INVALIDOBJ Corrupted HLL object detected\r\n");
    }
}
