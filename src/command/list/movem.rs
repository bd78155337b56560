//! Redis 8.10's LMOVEM and BLMOVEM: LMOVE / BLMOVE of several elements, COUNT (up to) or EXACTLY (all or
//! nothing), pushed one by one as popped (OBO) or as a block in their source order (BULK).
//!
//! Checked against Redis 8.10's tests/unit/type/list-4.tcl and src/commands/{lmovem,blmovem}.json: the replies
//! (a null array when nothing moved, in every mode), the order of the moved block, the events (the push, then the
//! pop, then `del`), the type checks (a source too short answers null before the destination's type is looked
//! at), LMOVEM replayed as sent and BLMOVEM as `LMOVEM src dst <sides as sent> EXACTLY n OBO|BULK`.

use super::{finish_removal_counted, pop_event, position_arg, push_event, Moved};
use crate::blocking::{BlockKind, TimeoutReply};
use crate::command::{Access, Args, Ctx};
use crate::config::notify as nc;
use crate::keyspace::types::list::List;
use crate::resp::reply::Reply;

/// LMOVEM / BLMOVEM's optional `how-many` block.
#[derive(Clone, Copy)]
struct HowMany {
    n: usize,
    /// EXACTLY: all `n` or nothing (COUNT: up to `n`).
    exactly: bool,
    /// BULK: the moved elements keep their source order (OBO: pushed one by one as popped).
    bulk: bool,
}

/// Parses `[COUNT count | EXACTLY exactly  OBO | BULK]` at `i` (the arguments' end, or exactly three more).
fn how_many_arg(r: &mut Reply, args: Args, i: usize) -> Option<HowMany> {
    if args.len() == i {
        return Some(HowMany { n: 1, exactly: false, bulk: false });
    }
    if args.len() != i + 3 {
        r.err_syntax();
        return None;
    }
    let exactly = if args.is(i, "count") {
        false
    } else if args.is(i, "exactly") {
        true
    } else {
        r.err_syntax();
        return None;
    };
    let n = crate::command::shared::range_long_arg(
        r,
        args.get(i + 1),
        1,
        i64::MAX,
        Some("ERR count should be greater than 0"),
    )?;
    let bulk = if args.is(i + 2, "obo") {
        false
    } else if args.is(i + 2, "bulk") {
        true
    } else {
        r.err_syntax();
        return None;
    };
    Some(HowMany { n: usize::try_from(n).unwrap_or(usize::MAX), exactly, bulk })
}

/// Moves elements from `src` to `dst` as LMOVEM does: both types checked first, nothing moved when `src` is missing
/// or (EXACTLY) shorter than asked (`NoSource`, nothing replied); otherwise the elements are all popped, then pushed,
/// so `src == dst` works as Redis 8.10's examples show, and the reply lists them in destination order. Events: the
/// push on `dst`, the pop on `src`, then `del` if `src` emptied, each once. Returns the count moved in `Done`.
fn move_many(ctx: &mut Ctx, src: &[u8], dst: &[u8], from_left: bool, to_left: bool, hm: HowMany) -> (Moved, usize) {
    match ctx.write_typed::<List>(src) {
        Err(_) => return (Moved::Done, 0),
        Ok((Some(l), _, w)) if !l.is_empty() && (!hm.exactly || l.len() >= hm.n) => w.untouched(),
        Ok((_, _, w)) => {
            w.untouched();
            return (Moved::NoSource, 0);
        }
    }
    if ctx.lookup_typed::<List>(Access::WRITE, dst).map(|(v, _)| v.is_some()).is_err() {
        return (Moved::Done, 0);
    }
    let th = ctx.settings().thresholds();
    let Ok((Some(l), _, from)) = ctx.write_typed::<List>(src) else { return (Moved::Done, 0) };
    let mut popped: Vec<Vec<u8>> = Vec::with_capacity(hm.n.min(l.len()));
    while popped.len() < hm.n {
        match l.pop(from_left) {
            Some(v) => popped.push(v),
            None => break,
        }
    }
    let n = popped.len();
    // The moved block in destination order, and the order the pushes happen in.
    let block: Vec<Vec<u8>> = if hm.bulk {
        if !from_left {
            popped.reverse();
        }
        popped
    } else {
        if to_left {
            popped.reverse();
        }
        popped
    };
    let Ok((d, r, mut to)) = ctx.write_or_create::<List>(dst, List::new) else {
        from.untouched();
        return (Moved::Done, 0);
    };
    if to_left {
        for v in block.iter().rev() {
            d.push(v, true, &th);
        }
    } else {
        for v in &block {
            d.push(v, false, &th);
        }
    }
    r.array(n);
    for v in &block {
        r.bulk(v);
    }
    ctx.notify(nc::LIST, push_event(to_left), dst);
    ctx.changed(&mut to, n as u64);
    let emptied = match ctx.write_typed::<List>(src) {
        Ok((l, _, w)) => {
            w.untouched();
            l.is_some_and(|l| l.is_empty())
        }
        Err(_) => false,
    };
    finish_removal_counted(ctx, from, pop_event(from_left), emptied, n as u64);
    (Moved::Done, n)
}

/// LMOVEM source destination LEFT | RIGHT LEFT | RIGHT [COUNT count | EXACTLY exactly  OBO | BULK] (Redis 8.10)
pub(super) fn lmovem(ctx: &mut Ctx, args: Args) {
    let Some(from) = position_arg(ctx.reply(), args.get(3)) else { return };
    let Some(to) = position_arg(ctx.reply(), args.get(4)) else { return };
    let Some(hm) = how_many_arg(ctx.reply(), args, 5) else { return };
    // Nothing moved (a missing source, or EXACTLY more than it holds) is a null array in every mode, as LMOVE's
    // missing source is nil (8.10.2's lmovemCommand replies addReplyNullArray for both).
    if let (Moved::NoSource, _) = move_many(ctx, args.get(1), args.get(2), from, to, hm) {
        ctx.reply().null_array();
    }
}

/// BLMOVEM source destination LEFT | RIGHT LEFT | RIGHT timeout [COUNT count | EXACTLY exactly  OBO | BULK]
/// (Redis 8.10): LMOVEM, or blocks until the source holds an element (COUNT) or `exactly` of them. Any write to
/// the source wakes it (a push to an existing list too), and a wake that still finds too few blocks again. Replayed
/// as the LMOVEM of exactly what moved.
pub(super) fn blmovem(ctx: &mut Ctx, args: Args) {
    let Some(from) = position_arg(ctx.reply(), args.get(3)) else { return };
    let Some(to) = position_arg(ctx.reply(), args.get(4)) else { return };
    let Some(deadline_ms) = crate::command::blocking::parse_timeout(ctx, args.get(5)) else { return };
    let Some(hm) = how_many_arg(ctx.reply(), args, 6) else { return };
    let (src, dst) = (args.get(1), args.get(2));
    match move_many(ctx, src, dst, from, to, hm) {
        (Moved::Done, 0) => {}
        (Moved::Done, n) => {
            // The two sides as the client wrote them, then `EXACTLY n OBO|BULK` (Redis 8.10's list-4.tcl expects
            // `lmovem src dst left right EXACTLY 2 BULK` after `blmovem src dst left right 0 count 2 bulk`).
            let order = if hm.bulk { b"BULK".as_slice() } else { b"OBO".as_slice() };
            let n = n.to_string();
            let (wherefrom, whereto) = (args.get(3), args.get(4));
            ctx.propagation().rewrite(&[
                b"LMOVEM".as_slice(),
                src,
                dst,
                wherefrom,
                whereto,
                b"EXACTLY",
                n.as_bytes(),
                order,
            ]);
        }
        (Moved::NoSource, _) => {
            crate::command::blocking::block(ctx, args, &[src], deadline_ms, BlockKind::List, TimeoutReply::NullArray)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;
    use crate::net::client::flags;

    fn arr(items: &[&str]) -> String {
        let mut out = format!("*{}\r\n", items.len());
        for i in items {
            out.push_str(&format!("${}\r\n{i}\r\n", i.len()));
        }
        out
    }

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn lmovem_orders_counts_and_blocks() {
        let mut h = Harness::new();
        h.run(&["rpush", "src", "1", "2", "3", "4", "5"]);
        // Without the how-many block: LMOVE's move, as a one-element array.
        assert_eq!(h.run(&["lmovem", "src", "dst", "left", "right"]), arr(&["1"]));
        // OBO pushes each element as popped (reversed at the head); BULK keeps the source order.
        assert_eq!(h.run(&["lmovem", "src", "dst", "left", "left", "count", "2", "obo"]), arr(&["3", "2"]));
        assert_eq!(h.run(&["lrange", "dst", "0", "-1"]), arr(&["3", "2", "1"]));
        assert_eq!(h.run(&["lmovem", "src", "dst", "right", "left", "count", "5", "bulk"]), arr(&["4", "5"]));
        assert_eq!(h.run(&["lrange", "dst", "0", "-1"]), arr(&["4", "5", "3", "2", "1"]));
        assert_eq!(h.run(&["exists", "src"]), ":0\r\n");
        // A missing source moves nothing: a null array with or without COUNT, as with EXACTLY.
        assert_eq!(h.run(&["lmovem", "src", "dst", "left", "left", "count", "2", "obo"]), "*-1\r\n");
        assert_eq!(h.run(&["lmovem", "src", "dst", "left", "left"]), "*-1\r\n");
        assert_eq!(h.run(&["lmovem", "src", "dst", "left", "left", "exactly", "2", "obo"]), "*-1\r\n");
        assert_eq!(h.run(&["lmovem", "dst", "dst", "right", "right", "count", "2", "obo"]), arr(&["1", "2"]));
        assert_eq!(h.run(&["lrange", "dst", "0", "-1"]), arr(&["4", "5", "3", "1", "2"]));
        assert_eq!(h.run(&["lmovem", "dst", "dst", "left", "left", "exactly", "2", "bulk"]), arr(&["4", "5"]));
        assert_eq!(h.run(&["lmovem", "dst", "o", "left", "right", "exactly", "6", "bulk"]), "*-1\r\n");
        assert_eq!(h.run(&["lrange", "dst", "0", "-1"]), arr(&["4", "5", "3", "1", "2"]));
        // Errors: the block is whole or absent, counts are positive, both types are checked before moving.
        let syntax = "-ERR syntax error\r\n";
        assert_eq!(h.run(&["lmovem", "dst", "o", "left", "right", "count", "2"]), syntax);
        assert_eq!(h.run(&["lmovem", "dst", "o", "left", "right", "count", "2", "obo", "x"]), syntax);
        assert_eq!(h.run(&["lmovem", "dst", "o", "left", "right", "many", "2", "obo"]), syntax);
        assert_eq!(h.run(&["lmovem", "dst", "o", "left", "right", "count", "2", "fifo"]), syntax);
        assert_eq!(h.run(&["lmovem", "dst", "o", "up", "right"]), syntax);
        let positive = "-ERR count should be greater than 0\r\n";
        assert_eq!(h.run(&["lmovem", "dst", "o", "left", "right", "count", "0", "obo"]), positive);
        assert_eq!(h.run(&["lmovem", "dst", "o", "left", "right", "exactly", "x", "obo"]), positive);
        h.run(&["set", "s", "v"]);
        assert_eq!(h.run(&["lmovem", "dst", "s", "left", "right"]), WRONGTYPE);
        assert_eq!(h.run(&["lmovem", "s", "dst", "left", "right"]), WRONGTYPE);
        assert_eq!(h.run(&["llen", "dst"]), ":5\r\n");
        // BLMOVEM: served at once, or blocks (EXACTLY: until the source is long enough).
        assert_eq!(h.run(&["blmovem", "dst", "o", "left", "right", "0", "count", "2", "bulk"]), arr(&["4", "5"]));
        assert_eq!(h.run(&["blmovem", "dst", "o", "left", "right", "0", "exactly", "4", "obo"]), "");
        let req = h.srv.blocking.request.take().expect("block request");
        assert_eq!(req.keys, vec![b"dst".to_vec()]);
        assert_eq!(h.run(&["blmovem", "none", "o", "left", "right", "1"]), "");
        assert!(h.srv.blocking.request.take().is_some());
        assert_eq!(h.run(&["blmovem", "none", "o", "left", "right", "-1"]), "-ERR timeout is negative\r\n");
        h.client.flags |= flags::DENY_BLOCKING;
        assert_eq!(h.run(&["blmovem", "none", "o", "left", "right", "0"]), "*-1\r\n");
        assert!(h.srv.blocking.request.is_none());
    }

    #[test]
    fn nothing_moved_is_null_in_resp3_too() {
        let mut h = Harness::new();
        h.run(&["hello", "3"]);
        assert_eq!(h.run(&["lmovem", "none", "dst", "left", "right"]), "_\r\n");
        assert_eq!(h.run(&["lmovem", "none", "dst", "left", "right", "count", "3", "bulk"]), "_\r\n");
        h.run(&["rpush", "src", "a"]);
        assert_eq!(h.run(&["lmovem", "src", "dst", "left", "right", "exactly", "2", "bulk"]), "_\r\n");
        assert_eq!(h.run(&["lmovem", "src", "dst", "left", "right", "count", "2", "bulk"]), "*1\r\n$1\r\na\r\n");
    }
}
