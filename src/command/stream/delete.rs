//! Redis 8.2's XDELEX and XACKDEL: XDEL and XACK+XDEL with a reference policy (see
//! [`crate::keyspace::types::stream::RefPolicy`]) and a reply per id.
//!
//! Both are propagated as they are: the policy decides from the PELs and the groups' last ids, which a replica
//! holds alike. A deletion signals the key and raises `xdel`; acknowledgements alone (XACKDEL) count as changes
//! without a signal, as XACK's do. References dropped without a deletion (XDELEX DELREF of an id already gone)
//! are no change, as in Redis's `xdelexCommand` (it counts deletions only), so that XDELEX is not propagated.

use super::{id_or_reply, Args, Ctx};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::types::stream::{RefPolicy, Stream, StreamId, DEL_DONE, DEL_KEPT, DEL_MISSING};

/// `[KEEPREF | DELREF | ACKED] IDS numids id [id ...]` from argument `from` on (`streamParseAckDelArgsOrReply`):
/// in any order, one policy at most, a later IDS block replacing an earlier one. The policy and where the `n` ids
/// are; None once an error was replied. The ids themselves are parsed later, once the key (and group) was found.
fn parse_policy_block(ctx: &mut Ctx, args: Args, from: usize) -> Option<(RefPolicy, usize, usize)> {
    let mut policy = None;
    let mut block = None;
    let mut i = from;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if let (None, Some(p)) = (policy, RefPolicy::parse(args.get(i))) {
            policy = Some(p);
            i += 1;
        } else if args.is(i, "ids") && more > 0 {
            let n = match crate::util::parse_i64(args.get(i + 1)) {
                Some(n) if n > 0 => n as u64,
                _ => {
                    ctx.reply().error("ERR Number of IDs must be a positive integer");
                    return None;
                }
            };
            if n > (more - 1) as u64 {
                ctx.reply().error("ERR The `numids` parameter must match the number of arguments");
                return None;
            }
            block = Some((i + 2, n as usize));
            i += 2 + n as usize;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
    }
    let Some((at, n)) = block else {
        ctx.reply().error("ERR IDS option is required");
        return None;
    };
    Some((policy.unwrap_or_default(), at, n))
}

/// The `n` ids from argument `at` on, all parsed before anything changes; None once an error was replied.
fn parse_ids(ctx: &mut Ctx, args: Args, at: usize, n: usize) -> Option<Vec<StreamId>> {
    let mut ids = Vec::with_capacity(n);
    for a in args.iter().skip(at).take(n) {
        ids.push(id_or_reply(ctx.reply(), a, 0, true, false)?.id);
    }
    Some(ids)
}

/// XDELEX key [KEEPREF | DELREF | ACKED] IDS numids id [id ...]: per id -1 (no such entry), 1 (deleted), 2 (ACKED:
/// kept, a group still references it).
pub(super) fn xdelex(ctx: &mut Ctx, args: Args) {
    delete_with_policy(ctx, args, None);
}

/// XACKDEL key group [KEEPREF | DELREF | ACKED] IDS numids id [id ...]: per id -1 (not pending in the group, or no
/// such key or group), 1 (acknowledged and deleted, or already gone), 2 (acknowledged; ACKED kept it for another
/// group).
pub(super) fn xackdel(ctx: &mut Ctx, args: Args) {
    delete_with_policy(ctx, args, Some(args.get(2)));
}

/// XDELEX, or XACKDEL acknowledging in `group` first.
/// In `xdelexCommand`'s and `xackdelCommand`'s order: the key's type, the options, the key (and group), whose
/// absence answers -1 per id before the ids are even parsed, then the ids.
fn delete_with_policy(ctx: &mut Ctx, args: Args, group: Option<&[u8]>) {
    let key = args.get(1);
    // XDELEX looks the key up for writing, XACKDEL for reading (a keyspace hit or miss).
    let access = if group.is_some() { Access::READ } else { Access::WRITE };
    let found = match ctx.lookup_typed::<Stream>(access, key) {
        Ok((s, _)) => s.is_some_and(|s| group.is_none_or(|g| s.groups.contains_key(g))),
        Err(_) => return,
    };
    let Some((policy, at, n)) = parse_policy_block(ctx, args, if group.is_some() { 3 } else { 2 }) else { return };
    if !found {
        let r = ctx.reply();
        r.array(n);
        for _ in 0..n {
            r.int(DEL_MISSING);
        }
        return;
    }
    let Some(ids) = parse_ids(ctx, args, at, n) else { return };
    let Ok((Some(s), r, mut w)) = ctx.write_typed::<Stream>(key) else { return };
    let (length, mut dropped, mut acked) = (s.length, false, 0u64);
    // DELREF's dropped references are no change of their own (`dropped` is not counted).
    // XACKDEL's reply for an id acknowledged whose entry was already gone is 1.
    let gone = if group.is_some() { DEL_DONE } else { DEL_MISSING };
    let codes = s.delete_ids(&ids, gone, &mut |s, id| {
        if let Some(g) = group {
            if !s.groups.get_mut(g).is_some_and(|g| g.ack(id)) {
                return DEL_MISSING;
            }
            acked += 1;
        }
        if s.allows(id, policy, &mut dropped) {
            DEL_DONE
        } else {
            DEL_KEPT
        }
    });
    r.array(codes.len());
    for &c in &codes {
        r.int(c);
    }
    // Not the 1s: XACKDEL's 1 for an entry already gone deleted nothing.
    let deleted = length - s.length;
    if deleted > 0 {
        ctx.notify(nc::STREAM, "xdel", key);
        ctx.changed(&mut w, deleted);
    } else {
        w.untouched();
    }
    ctx.count_changes(acked);
}

#[cfg(test)]
mod tests {
    // XDELEX, XACKDEL, the reference policies of XADD and XTRIM, and XGROUP's ENTRIESREAD clamp, through the handler
    // harness. No Redis 8.2 runs here: the expected replies are those Redis's source and documentation state (parts
    // of 8.2's `t_stream.c`: `xdelexCommand`, `streamTrim`'s policy branches, `streamEntryIsReferenced`,
    // `streamCleanupEntryCGroupRefs`; `xdelex.json`, `xackdel.json`; redis.io's XDELEX / XACKDEL pages; redis#14259
    // for ENTRIESREAD, in 8.2.2). The order of the checks is `xdelexCommand`'s and `xackdelCommand`'s in Redis 8.4's
    // `t_stream.c`: the key's type, the options, the key (and group), the ids.

    use crate::command::test_support::Harness;
    use crate::keyspace::object::Value;
    use crate::keyspace::types::stream::Stream;

    const ERR_NUMIDS: &str = "-ERR Number of IDs must be a positive integer\r\n";
    const ERR_MATCH: &str = "-ERR The `numids` parameter must match the number of arguments\r\n";
    const ERR_SYNTAX: &str = "-ERR syntax error\r\n";
    const ERR_ID: &str = "-ERR Invalid stream ID specified as stream command argument\r\n";

    fn ints(v: &[i64]) -> String {
        let mut s = format!("*{}\r\n", v.len());
        for n in v {
            s += &format!(":{n}\r\n");
        }
        s
    }

    /// A stream `s` with entries 1-0..=n-0 (field `f`).
    fn stream(h: &mut Harness, n: u64) {
        for i in 1..=n {
            h.run(&["xadd", "s", &format!("{i}-0"), "f", &i.to_string()]);
        }
    }

    /// Group `g` created at 0 with consumer `c` reading `count` entries.
    fn read(h: &mut Harness, g: &str, count: u64) {
        h.run(&["xgroup", "create", "s", g, "0"]);
        if count > 0 {
            h.run(&["xreadgroup", "group", g, "c", "count", &count.to_string(), "streams", "s", ">"]);
        }
    }

    fn with_stream<T>(h: &mut Harness, f: impl FnOnce(&Stream) -> T) -> T {
        match h.srv.dbs[0].find_mut(b"s".as_slice()).and_then(|e| e.value_mut()) {
            Some(Value::Stream(s)) => f(s),
            _ => panic!("no stream at s"),
        }
    }

    /// The ids pending in group `g`, checking that its two PELs agree.
    fn pending(h: &mut Harness, g: &str) -> Vec<String> {
        with_stream(h, |s| {
            let grp = s.groups.get(g.as_bytes()).expect("group");
            assert!(grp.check(), "the group's and the consumers' PELs disagree");
            grp.pel.keys().map(|id| id.to_string()).collect()
        })
    }

    fn ids(h: &mut Harness) -> Vec<String> {
        with_stream(h, |s| {
            s.range(crate::keyspace::types::stream::StreamId::MIN, crate::keyspace::types::stream::StreamId::MAX, false)
                .map(|e| e.id.to_string())
                .collect()
        })
    }

    fn dirty(h: &Harness) -> u64 {
        h.srv.persist.dirty
    }

    #[test]
    fn ids_block_errors() {
        let mut h = Harness::new();
        stream(&mut h, 2);
        for (args, want) in [
            (&["xdelex", "s", "IDS", "0", "1-0"][..], ERR_NUMIDS),
            (&["xdelex", "s", "IDS", "-1", "1-0"], ERR_NUMIDS),
            (&["xdelex", "s", "IDS", "x", "1-0"], ERR_NUMIDS),
            (&["xdelex", "s", "IDS", "2", "1-0"], ERR_MATCH),
            (&["xdelex", "s", "IDS", "1", "1-0", "2-0"], ERR_SYNTAX),
            (&["xdelex", "s", "KEEPREF", "ACKED", "IDS", "1", "1-0"], ERR_SYNTAX),
            (&["xdelex", "s", "NOPE", "IDS", "1", "1-0"], ERR_SYNTAX),
            (&["xdelex", "s", "KEEPREF", "DELREF", "ACKED"], ERR_SYNTAX),
            (&["xdelex", "s", "IDS", "1", "abc"], ERR_ID),
            (&["xdelex", "s", "IDS", "2", "1-0", "1-*"], ERR_ID),
            (&["xdelex", "s", "IDS", "1"], "-ERR wrong number of arguments for 'xdelex' command\r\n"),
            (&["xackdel", "s", "g", "IDS", "0", "1-0"], ERR_NUMIDS),
            (&["xackdel", "s", "g", "IDS", "3", "1-0"], ERR_MATCH),
            (&["xackdel", "s", "g", "DELREF", "DELREF", "IDS", "1", "1-0"], ERR_SYNTAX),
            (&["xackdel", "s", "g", "IDS", "1", "1-0", "ACKED", "x"], ERR_SYNTAX),
            (&["xackdel", "s", "g", "IDS", "1"], "-ERR wrong number of arguments for 'xackdel' command\r\n"),
        ] {
            assert_eq!(h.run(args), want, "{args:?}");
        }
        // Nothing changed; the policy may follow the ids, and any case works.
        assert_eq!(ids(&mut h), ["1-0", "2-0"]);
        assert_eq!(h.run(&["xdelex", "s", "IDS", "1", "1-0", "acked"]), ints(&[1]));
        h.run(&["set", "str", "v"]);
        assert!(h.run(&["xdelex", "str", "IDS", "1", "1-0"]).starts_with("-WRONGTYPE"));
        assert!(h.run(&["xackdel", "str", "g", "IDS", "1", "1-0"]).starts_with("-WRONGTYPE"));
    }

    /// Redis 8.4's order: the type before the options, and a missing key (or XACKDEL's missing group) answers -1
    /// per id before the ids are parsed.
    #[test]
    fn order_of_checks() {
        let mut h = Harness::new();
        stream(&mut h, 2);
        h.run(&["set", "str", "v"]);
        let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        assert_eq!(h.run(&["xdelex", "str", "IDS", "0", "1-0"]), wrongtype);
        assert_eq!(h.run(&["xdelex", "str", "NOPE", "IDS", "1", "1-0"]), wrongtype);
        assert_eq!(h.run(&["xackdel", "str", "g", "IDS", "9", "1-0"]), wrongtype);
        assert_eq!(h.run(&["xdelex", "nokey", "IDS", "2", "bad", "1-0"]), ints(&[-1, -1]));
        assert_eq!(h.run(&["xdelex", "nokey", "IDS", "0", "1-0"]), ERR_NUMIDS);
        assert_eq!(h.run(&["xackdel", "nokey", "g", "IDS", "1", "-"]), ints(&[-1]));
        assert_eq!(h.run(&["xackdel", "s", "nogroup", "ACKED", "IDS", "2", "-", "x"]), ints(&[-1, -1]));
        assert_eq!(h.run(&["xackdel", "s", "nogroup", "IDS", "1", "1-0", "x"]), ERR_SYNTAX);
        read(&mut h, "g", 0);
        assert_eq!(h.run(&["xackdel", "s", "g", "IDS", "1", "-"]), ERR_ID);
        assert_eq!(h.run(&["xdelex", "s", "IDS", "2", "1-0", "+"]), ERR_ID);
        assert_eq!(ids(&mut h), ["1-0", "2-0"]);
    }

    #[test]
    fn xdelex_missing_key_and_ids() {
        let mut h = Harness::new();
        let before = dirty(&h);
        assert_eq!(h.run(&["xdelex", "nokey", "IDS", "2", "1-0", "2-0"]), ints(&[-1, -1]));
        assert_eq!(dirty(&h), before);
        stream(&mut h, 3);
        let before = dirty(&h);
        assert_eq!(h.run(&["xdelex", "s", "IDS", "3", "2-0", "9-0", "2-0"]), ints(&[1, -1, -1]));
        assert_eq!(dirty(&h), before + 1);
        assert_eq!(ids(&mut h), ["1-0", "3-0"]);
        // XDEL's bookkeeping: the first id moves past a deleted first entry, the largest deleted id is kept.
        assert_eq!(h.run(&["xdelex", "s", "KEEPREF", "IDS", "1", "1-0"]), ints(&[1]));
        with_stream(&mut h, |s| {
            assert_eq!(s.first_id.to_string(), "3-0");
            assert_eq!(s.max_deleted_entry_id.to_string(), "2-0");
        });
        assert_eq!(h.run(&["xdelex", "s", "IDS", "1", "3-0"]), ints(&[1]));
        with_stream(&mut h, |s| assert_eq!((s.length, s.first_id.to_string()), (0, "0-0".to_string())));
        assert_eq!(h.run(&["exists", "s"]), ":1\r\n");
    }

    #[test]
    fn xdelex_keepref_and_delref() {
        let mut h = Harness::new();
        stream(&mut h, 4);
        read(&mut h, "g1", 3);
        read(&mut h, "g2", 2);
        // KEEPREF (the default) leaves the PELs alone.
        assert_eq!(h.run(&["xdelex", "s", "IDS", "1", "1-0"]), ints(&[1]));
        assert_eq!(pending(&mut h, "g1"), ["1-0", "2-0", "3-0"]);
        assert_eq!(pending(&mut h, "g2"), ["1-0", "2-0"]);
        // DELREF removes the id from every group and consumer.
        assert_eq!(h.run(&["xdelex", "s", "DELREF", "IDS", "2", "2-0", "4-0"]), ints(&[1, 1]));
        assert_eq!(pending(&mut h, "g1"), ["1-0", "3-0"]);
        assert_eq!(pending(&mut h, "g2"), ["1-0"]);
        assert_eq!(h.run(&["xpending", "s", "g1", "-", "+", "10", "c"]).matches("-0\r\n").count(), 2);
        // An id already deleted but still pending: -1, yet its references go; no deletion, so no change (Redis's
        // `xdelexCommand` counts deletions only).
        let before = dirty(&h);
        assert_eq!(h.run(&["xdelex", "s", "DELREF", "IDS", "1", "1-0"]), ints(&[-1]));
        assert_eq!(dirty(&h), before);
        assert_eq!(pending(&mut h, "g1"), ["3-0"]);
        assert!(pending(&mut h, "g2").is_empty());
        // Nothing to drop and nothing to delete: no change.
        let before = dirty(&h);
        assert_eq!(h.run(&["xdelex", "s", "DELREF", "IDS", "1", "1-0"]), ints(&[-1]));
        assert_eq!(dirty(&h), before);
        assert_eq!(ids(&mut h), ["3-0"]);
    }

    #[test]
    fn xdelex_acked() {
        let mut h = Harness::new();
        stream(&mut h, 4);
        // No group references anything: ACKED deletes as KEEPREF does.
        assert_eq!(h.run(&["xdelex", "s", "ACKED", "IDS", "1", "4-0"]), ints(&[1]));
        read(&mut h, "g1", 2);
        read(&mut h, "g2", 3);
        h.run(&["xack", "s", "g2", "1-0", "2-0", "3-0"]);
        // 1-0: pending in g1; 3-0: never delivered to g1; 9-0: past every group's last id, so referenced even though
        // it does not exist (Redis checks references before existence).
        assert_eq!(h.run(&["xdelex", "s", "ACKED", "IDS", "3", "1-0", "3-0", "9-0"]), ints(&[2, 2, 2]));
        h.run(&["xack", "s", "g1", "1-0"]);
        assert_eq!(h.run(&["xdelex", "s", "ACKED", "IDS", "3", "1-0", "2-0", "0-5"]), ints(&[1, 2, -1]));
        assert_eq!(ids(&mut h), ["2-0", "3-0"]);
        assert_eq!(pending(&mut h, "g1"), ["2-0"]);
    }

    #[test]
    fn xackdel_missing_key_group_and_ids() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["xackdel", "nokey", "g", "IDS", "1", "1-0"]), ints(&[-1]));
        stream(&mut h, 2);
        let before = dirty(&h);
        assert_eq!(h.run(&["xackdel", "s", "nogroup", "IDS", "2", "1-0", "2-0"]), ints(&[-1, -1]));
        assert_eq!(dirty(&h), before);
        read(&mut h, "g", 1);
        let before = dirty(&h);
        // 2-0 exists but is not pending in g: -1 and it stays.
        assert_eq!(h.run(&["xackdel", "s", "g", "IDS", "1", "2-0"]), ints(&[-1]));
        assert_eq!(dirty(&h), before);
        assert_eq!(ids(&mut h), ["1-0", "2-0"]);
    }

    #[test]
    fn xackdel_policies() {
        let mut h = Harness::new();
        stream(&mut h, 5);
        read(&mut h, "g1", 5);
        read(&mut h, "g2", 5);
        // KEEPREF: acknowledged in g1 and deleted; g2 still holds it.
        let before = dirty(&h);
        assert_eq!(h.run(&["xackdel", "s", "g1", "IDS", "2", "1-0", "1-0"]), ints(&[1, -1]));
        assert_eq!(dirty(&h), before + 2, "one ack and one deletion");
        assert_eq!(pending(&mut h, "g1"), ["2-0", "3-0", "4-0", "5-0"]);
        assert_eq!(pending(&mut h, "g2"), ["1-0", "2-0", "3-0", "4-0", "5-0"]);
        // DELREF: acknowledged, deleted, and gone from g2 too.
        assert_eq!(h.run(&["xackdel", "s", "g1", "DELREF", "IDS", "1", "2-0"]), ints(&[1]));
        assert_eq!(pending(&mut h, "g2"), ["1-0", "3-0", "4-0", "5-0"]);
        // ACKED: acknowledged in g1 but kept while g2 holds it; deleted once g2 acknowledges it with XACKDEL.
        assert_eq!(h.run(&["xackdel", "s", "g1", "ACKED", "IDS", "1", "3-0"]), ints(&[2]));
        assert_eq!(pending(&mut h, "g1"), ["4-0", "5-0"]);
        assert_eq!(ids(&mut h), ["3-0", "4-0", "5-0"]);
        assert_eq!(h.run(&["xackdel", "s", "g2", "ACKED", "IDS", "1", "3-0"]), ints(&[1]));
        assert_eq!(ids(&mut h), ["4-0", "5-0"]);
        // Pending but already deleted (KEEPREF's 1-0 in g2): acknowledged, and 1.
        assert_eq!(h.run(&["xackdel", "s", "g2", "IDS", "1", "1-0"]), ints(&[1]));
        assert_eq!(pending(&mut h, "g2"), ["4-0", "5-0"]);
        // Acknowledgements alone are changes too.
        let before = dirty(&h);
        assert_eq!(h.run(&["xackdel", "s", "g2", "ACKED", "IDS", "2", "4-0", "5-0"]), ints(&[2, 2]));
        assert_eq!(dirty(&h), before + 2);
        assert_eq!(ids(&mut h), ["4-0", "5-0"]);
    }

    #[test]
    fn xtrim_and_xadd_policies() {
        let mut h = Harness::new();
        stream(&mut h, 6);
        read(&mut h, "g1", 4);
        read(&mut h, "g2", 2);
        // KEEPREF (default) trims and leaves the PELs.
        assert_eq!(h.run(&["xtrim", "s", "MAXLEN", "5"]), ":1\r\n");
        assert_eq!(pending(&mut h, "g2"), ["1-0", "2-0"]);
        // ACKED keeps what a group holds or was not delivered yet: 2-0 is pending, 3-0 and 4-0 pending in g1, 5-0 and
        // 6-0 undelivered.
        assert_eq!(h.run(&["xtrim", "s", "MAXLEN", "0", "ACKED"]), ":0\r\n");
        h.run(&["xack", "s", "g1", "2-0", "3-0"]);
        h.run(&["xack", "s", "g2", "2-0"]);
        h.run(&["xreadgroup", "group", "g2", "c", "count", "1", "streams", "s", ">"]);
        h.run(&["xack", "s", "g2", "3-0"]);
        assert_eq!(h.run(&["xtrim", "s", "MINID", "9", "ACKED"]), ":2\r\n");
        assert_eq!(ids(&mut h), ["4-0", "5-0", "6-0"]);
        // DELREF through XADD: the trimmed ids leave every PEL (g1 holds 4-0).
        assert_eq!(h.run(&["xadd", "s", "DELREF", "MAXLEN", "2", "7-0", "f", "7"]), "$3\r\n7-0\r\n");
        assert_eq!(ids(&mut h), ["6-0", "7-0"]);
        // 1-0, trimmed under KEEPREF before, stays referenced.
        assert_eq!(pending(&mut h, "g1"), ["1-0"]);
        assert_eq!(pending(&mut h, "g2"), ["1-0"]);
        // A policy without a trim is accepted and changes nothing else.
        assert_eq!(h.run(&["xadd", "s", "ACKED", "8-0", "f", "8"]), "$3\r\n8-0\r\n");
        assert_eq!(h.run(&["xtrim", "s", "KEEPREF", "MAXLEN", "3"]), ":0\r\n");
        // One policy at most (`streamParseAddOrTrimArgsOrReply`): XADD reads a second one as its id, XTRIM as a
        // syntax error.
        assert_eq!(h.run(&["xadd", "s", "ACKED", "DELREF", "9-0", "f", "9"]), ERR_ID);
        assert_eq!(h.run(&["xadd", "s", "KEEPREF", "MAXLEN", "1", "keepref", "*", "f", "9"]), ERR_ID);
        assert_eq!(h.run(&["xtrim", "s", "MAXLEN", "1", "ACKED", "ACKED"]), ERR_SYNTAX);
        assert_eq!(ids(&mut h), ["6-0", "7-0", "8-0"]);
    }

    #[test]
    fn trim_by_nodes_under_acked() {
        let mut h = Harness::new();
        h.run(&["config", "set", "stream-node-max-entries", "2"]);
        stream(&mut h, 8);
        read(&mut h, "g", 8);
        h.run(&["xack", "s", "g", "2-0", "3-0", "4-0", "5-0", "6-0", "7-0", "8-0"]);
        // Nodes [1,2] [3,4] [5,6] [7,8]: the first keeps 1-0 (pending) and stays; trimming goes on past it through whole
        // nodes only, and stops before [5,6], which would leave fewer than 5.
        assert_eq!(h.run(&["xtrim", "s", "MAXLEN", "~", "5", "ACKED"]), ":3\r\n");
        assert_eq!(ids(&mut h), ["1-0", "5-0", "6-0", "7-0", "8-0"]);
        // An exact trim goes inside the node that holds the threshold.
        assert_eq!(h.run(&["xtrim", "s", "MINID", "6", "ACKED"]), ":1\r\n");
        assert_eq!(ids(&mut h), ["1-0", "6-0", "7-0", "8-0"]);
        assert_eq!(h.run(&["xtrim", "s", "MAXLEN", "0", "DELREF"]), ":4\r\n");
        assert!(pending(&mut h, "g").is_empty());
        with_stream(&mut h, |s| assert_eq!((s.length, s.node_count()), (0, 0)));
    }

    #[test]
    fn entriesread_clamped_to_entries_added() {
        let mut h = Harness::new();
        stream(&mut h, 3);
        let read_of =
            |h: &mut Harness, g: &str| with_stream(h, |s| s.groups.get(g.as_bytes()).expect("group").entries_read);
        h.run(&["xgroup", "create", "s", "g", "0", "ENTRIESREAD", "100"]);
        assert_eq!(read_of(&mut h, "g"), 3);
        h.run(&["xgroup", "setid", "s", "g", "0", "ENTRIESREAD", "2"]);
        assert_eq!(read_of(&mut h, "g"), 2);
        h.run(&["xgroup", "setid", "s", "g", "0", "ENTRIESREAD", "4"]);
        assert_eq!(read_of(&mut h, "g"), 3);
        h.run(&["xgroup", "setid", "s", "g", "0", "ENTRIESREAD", "-1"]);
        assert_eq!(read_of(&mut h, "g"), -1);
        assert!(h.run(&["xinfo", "groups", "s"]).contains("lag\r\n:"));
        // MKSTREAM's new stream has had no entries.
        h.run(&["xgroup", "create", "new", "g", "$", "MKSTREAM", "ENTRIESREAD", "5"]);
        match h.srv.dbs[0].find_mut(b"new".as_slice()).and_then(|e| e.value_mut()) {
            Some(Value::Stream(s)) => assert_eq!(s.groups.get(b"g".as_slice()).map(|g| g.entries_read), Some(0)),
            _ => panic!("no stream at new"),
        }
    }

    #[test]
    fn command_entries() {
        let mut h = Harness::new();
        let info = h.run(&["command", "info", "xdelex", "xackdel"]);
        assert!(
            info.contains(
                "$6\r\nxdelex\r\n:-5\r\n*2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@stream\r\n+@fast\r\n"
            ),
            "{info}"
        );
        assert!(info.contains("$7\r\nxackdel\r\n:-6\r\n*2\r\n+write\r\n+fast\r\n"), "{info}");
        assert!(info.contains("*3\r\n+RW\r\n+update\r\n+delete\r\n"), "{info}");
        let docs = h.run(&["command", "docs", "xdelex"]);
        assert!(docs.contains("$5\r\nsince\r\n$5\r\n8.2.0\r\n"), "{docs}");
        assert!(docs.contains("$3\r\nids\r\n$4\r\ntype\r\n$5\r\nblock\r\n$5\r\ntoken\r\n$3\r\nIDS\r\n"), "{docs}");
        let xadd = h.run(&["command", "docs", "xadd"]);
        assert!(
            xadd.contains("$9\r\ncondition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nsince\r\n$5\r\n8.2.0\r\n"),
            "{xadd}"
        );
    }
}
