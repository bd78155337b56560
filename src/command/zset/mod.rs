//! Sorted-set commands (Redis `t_zset.c`): ZADD and its flags, scores, ranks, the ZRANGE family (rank, score and
//! lex ranges, REV, LIMIT, WITHSCORES, ZRANGESTORE), removals by range, pops (ZPOPMIN/ZPOPMAX/ZMPOP), random
//! picks, the algebra (ZUNION/ZINTER/ZDIFF, their STORE forms, ZINTERCARD) and ZSCAN.
//!
//! Parsing and error order follow Redis: options and numbers are parsed before the key is looked up, so a bad argument
//! wins over WRONGTYPE where Redis's does. Scores are replied with [`Reply::double`](crate::resp::reply::Reply::double)
//! (`%.17g` bulk strings in RESP2, doubles in RESP3); WITHSCORES pairs are nested arrays in RESP3.
//!
//! Files: this one holds the command table, the parsing and reply helpers, ZADD and the point queries, and ZSCAN;
//! `range.rs` the ZRANGE family and removal by range; `pop.rs` the pops (blocking ones too) and ZRANDMEMBER;
//! `algebra.rs` ZUNION/ZINTER/ZDIFF.

use super::set::{
    bulk_ref, numkeys_positions, parse_scan_opts, peek_value, reply_empty_scan, scan_budget, scan_matches,
    UNBOUNDED_REPLY_MAX_BYTES,
};
use super::shared::{delete_key, long_arg, positive_long_arg, range_long_arg, removed_from, store_value};
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, KeyWrite, BASE, NO_KEYS, ONE_KEY};
use crate::blocking::{BlockKind, TimeoutReply};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::{StrRef, Value};
use crate::keyspace::types::set::Set;
use crate::keyspace::types::skiplist::cmp_elem;
use crate::keyspace::types::zset::{LexRange, ScoreRange, ZAddFlags, ZAddOutcome, ZSet};
use crate::keyspace::types::Thresholds;
use crate::resp::reply::Reply;
use crate::util::parse_f64;

mod algebra;
mod pop;
mod range;
use algebra::*;
use pop::*;
use range::*;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "zadd",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Add one or more members to a sorted set, or update its score if it already exists",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        syntax: "key [NX | XX]{condition@3.0.2} [GT | LT]{comparison@6.2.0} [CH]{change@3.0.2} [INCR]{increment@3.0.2} score member [score member ...]",
        handler: zadd,
        history: &[("2.4.0", "Accepts multiple elements."), ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."), ("6.2.0", "Added the `GT` and `LT` options.")],
        ..BASE
    },
    Command {
        name: "zincrby",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Increment the score of a member in a sorted set",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        syntax: "key increment member",
        handler: zincrby,
        ..BASE
    },
    Command {
        name: "zrem",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "write sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Remove one or more members from a sorted set",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        syntax: "key member [member ...]",
        handler: zrem,
        history: &[("2.4.0", "Accepts multiple elements.")],
        ..BASE
    },
    Command {
        name: "zcard",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Get the number of members in a sorted set",
        syntax: "key",
        handler: zcard,
        ..BASE
    },
    Command {
        name: "zcount",
        arity: 4,
        flags: flag::READONLY | flag::FAST,
        acl: "read sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.0.0",
        summary: "Count the members in a sorted set with scores within the given values",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key min{:double} max{:double}",
        handler: zcount,
        ..BASE
    },
    Command {
        name: "zscore",
        arity: 3,
        flags: flag::READONLY | flag::FAST,
        acl: "read sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Get the score associated with the given member in a sorted set",
        syntax: "key member",
        handler: zscore,
        ..BASE
    },
    Command {
        name: "zmscore",
        arity: -3,
        flags: flag::READONLY | flag::FAST,
        acl: "read sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "6.2.0",
        summary: "Get the score associated with the given members in a sorted set",
        complexity: "O(N) where N is the number of members being requested.",
        syntax: "key member [member ...]",
        handler: zmscore,
        ..BASE
    },
    Command {
        name: "zrank",
        arity: -3,
        flags: flag::READONLY | flag::FAST,
        acl: "read sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set",
        complexity: "O(log(N))",
        syntax: "key member [WITHSCORE]",
        handler: zrank,
        history: &[("7.2.0", "Added the optional `WITHSCORE` argument.")],
        ..BASE
    },
    Command {
        name: "zrevrank",
        arity: -3,
        flags: flag::READONLY | flag::FAST,
        acl: "read sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
        complexity: "O(log(N))",
        syntax: "key member [WITHSCORE]",
        handler: zrevrank,
        history: &[("7.2.0", "Added the optional `WITHSCORE` argument.")],
        ..BASE
    },
    Command {
        name: "zrange",
        arity: -4,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Return a range of members in a sorted set",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        syntax: "key start{:string} stop{:string} [BYSCORE | BYLEX]{sortby@6.2.0} [REV]{@6.2.0} [LIMIT offset count]{offset_count@6.2.0} [WITHSCORES]",
        handler: zrange,
        history: &[("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.")],
        ..BASE
    },
    Command {
        name: "zrangestore",
        arity: -5,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write sortedset slow",
        keys: KeySpec { first: 1, last: 2, step: 1 },
        key_specs: &[KeySpecDef::at(1, "OW update"), KeySpecDef::at(2, "RO access")],
        group: Group::SortedSet,
        since: "6.2.0",
        summary: "Store a range of members from sorted set into another key",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        syntax: "dst src min max [BYSCORE | BYLEX]{sortby} [REV] [LIMIT offset count]{offset_count}",
        handler: zrangestore,
        ..BASE
    },
    Command {
        name: "zrevrange",
        arity: -4,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        syntax: "key start stop [WITHSCORES]",
        handler: zrevrange,
        ..BASE
    },
    Command {
        name: "zrangebyscore",
        arity: -4,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "1.0.5",
        summary: "Return a range of members in a sorted set, by score",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key min{:double} max{:double} [WITHSCORES]{@2.0.0} [LIMIT offset count]{offset_count}",
        handler: zrangebyscore,
        history: &[("2.0.0", "Added the `WITHSCORES` modifier.")],
        ..BASE
    },
    Command {
        name: "zrevrangebyscore",
        arity: -4,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.2.0",
        summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key max{:double} min{:double} [WITHSCORES] [LIMIT offset count]{offset_count}",
        handler: zrevrangebyscore,
        history: &[("2.1.6", "`min` and `max` can be exclusive.")],
        ..BASE
    },
    Command {
        name: "zrangebylex",
        arity: -4,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key min max [LIMIT offset count]{offset_count}",
        handler: zrangebylex,
        ..BASE
    },
    Command {
        name: "zrevrangebylex",
        arity: -4,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        syntax: "key max min [LIMIT offset count]{offset_count}",
        handler: zrevrangebylex,
        ..BASE
    },
    Command {
        name: "zlexcount",
        arity: 4,
        flags: flag::READONLY | flag::FAST,
        acl: "read sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.8.9",
        summary: "Count the number of members in a sorted set between a given lexicographical range",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key min max",
        handler: zlexcount,
        ..BASE
    },
    Command {
        name: "zpopmin",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access delete")],
        group: Group::SortedSet,
        since: "5.0.0",
        summary: "Remove and return members with the lowest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "key [count]",
        handler: zpopmin,
        ..BASE
    },
    Command {
        name: "zpopmax",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write sortedset fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access delete")],
        group: Group::SortedSet,
        since: "5.0.0",
        summary: "Remove and return members with the highest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "key [count]",
        handler: zpopmax,
        ..BASE
    },
    Command {
        name: "zmpop",
        arity: -4,
        flags: flag::WRITE,
        acl: "write sortedset slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RW access delete")],
        group: Group::SortedSet,
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "numkeys key [key ...] <MIN | MAX>{where} [COUNT count]",
        handler: zmpop,
        getkeys: Some(getkeys_zmpop),
        ..BASE
    },
    Command {
        name: "zrandmember",
        arity: -2,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "6.2.0",
        summary: "Get one or multiple random elements from a sorted set",
        complexity: "O(N) where N is the number of elements returned",
        syntax: "key [count [WITHSCORES]]{options}",
        handler: zrandmember,
        tips: "nondeterministic_output",
        ..BASE
    },
    Command {
        name: "zunion",
        arity: -3,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RO access")],
        group: Group::SortedSet,
        since: "6.2.0",
        summary: "Add multiple sorted sets",
        complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        syntax: "numkeys key [key ...] [WEIGHTS weight{:integer} [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT{@8.8.0}>] [WITHSCORES]",
        handler: zunion,
        getkeys: Some(getkeys_zunion),
        history: &[("8.8.0", "Added `COUNT` aggregate option.")],
        ..BASE
    },
    Command {
        name: "zinter",
        arity: -3,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RO access")],
        group: Group::SortedSet,
        since: "6.2.0",
        summary: "Intersect multiple sorted sets",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        syntax: "numkeys key [key ...] [WEIGHTS weight{:integer} [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT{@8.8.0}>] [WITHSCORES]",
        handler: zinter,
        getkeys: Some(getkeys_zinter),
        history: &[("8.8.0", "Added `COUNT` aggregate option.")],
        ..BASE
    },
    Command {
        name: "zdiff",
        arity: -3,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RO access")],
        group: Group::SortedSet,
        since: "6.2.0",
        summary: "Subtract multiple sorted sets",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        syntax: "numkeys key [key ...] [WITHSCORES]",
        handler: zdiff,
        getkeys: Some(getkeys_zdiff),
        ..BASE
    },
    Command {
        name: "zunionstore",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW update"), KeySpecDef::keynum(2, "RO access")],
        group: Group::SortedSet,
        since: "2.0.0",
        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        syntax: "destination numkeys key [key ...] [WEIGHTS weight{:integer} [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT{@8.8.0}>]",
        handler: zunionstore,
        getkeys: Some(getkeys_zunionstore),
        history: &[("8.8.0", "Added `COUNT` aggregate option.")],
        ..BASE
    },
    Command {
        name: "zinterstore",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW update"), KeySpecDef::keynum(2, "RO access")],
        group: Group::SortedSet,
        since: "2.0.0",
        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        syntax: "destination numkeys key [key ...] [WEIGHTS weight{:integer} [weight ...]] [AGGREGATE <SUM | MIN | MAX | COUNT{@8.8.0}>]",
        handler: zinterstore,
        getkeys: Some(getkeys_zinterstore),
        history: &[("8.8.0", "Added `COUNT` aggregate option.")],
        ..BASE
    },
    Command {
        name: "zdiffstore",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW update"), KeySpecDef::keynum(2, "RO access")],
        group: Group::SortedSet,
        since: "6.2.0",
        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        syntax: "destination numkeys key [key ...]",
        handler: zdiffstore,
        getkeys: Some(getkeys_zdiffstore),
        ..BASE
    },
    Command {
        name: "zintercard",
        arity: -3,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(1, "RO access")],
        group: Group::SortedSet,
        since: "7.0.0",
        summary: "Intersect multiple sorted sets and return the cardinality of the result",
        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        syntax: "numkeys key [key ...] [LIMIT limit]",
        handler: zintercard,
        getkeys: Some(getkeys_zintercard),
        ..BASE
    },
    Command {
        name: "zremrangebyrank",
        arity: 4,
        flags: flag::WRITE,
        acl: "write sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        group: Group::SortedSet,
        since: "2.0.0",
        summary: "Remove all members in a sorted set within the given indexes",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        syntax: "key start stop",
        handler: zremrangebyrank,
        ..BASE
    },
    Command {
        name: "zremrangebyscore",
        arity: 4,
        flags: flag::WRITE,
        acl: "write sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        group: Group::SortedSet,
        since: "1.2.0",
        summary: "Remove all members in a sorted set within the given scores",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        syntax: "key min{:double} max{:double}",
        handler: zremrangebyscore,
        ..BASE
    },
    Command {
        name: "zremrangebylex",
        arity: 4,
        flags: flag::WRITE,
        acl: "write sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        group: Group::SortedSet,
        since: "2.8.9",
        summary: "Remove all members in a sorted set between the given lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        syntax: "key min max",
        handler: zremrangebylex,
        ..BASE
    },
    Command {
        name: "zscan",
        arity: -3,
        flags: flag::READONLY,
        acl: "read sortedset slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::SortedSet,
        since: "2.8.0",
        summary: "Incrementally iterate sorted sets elements and associated scores",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        syntax: "key cursor [MATCH pattern] [COUNT count] [NOSCORES]",
        handler: zscan,
        history: &[("8.0.0", "Added noscores option.")],
        tips: "nondeterministic_output",
        ..BASE
    },
    Command {
        name: "bzpopmin",
        arity: -3,
        flags: flag::WRITE | flag::NOSCRIPT | flag::BLOCKING | flag::FAST,
        acl: "write sortedset fast blocking",
        keys: KeySpec { first: 1, last: -2, step: 1 },
        key_specs: &[KeySpecDef::range(1, -2, 1, "RW access delete")],
        group: Group::SortedSet,
        since: "5.0.0",
        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key [key ...] timeout{:double}",
        handler: bzpopmin,
        history: &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")],
        ..BASE
    },
    Command {
        name: "bzpopmax",
        arity: -3,
        flags: flag::WRITE | flag::NOSCRIPT | flag::BLOCKING | flag::FAST,
        acl: "write sortedset fast blocking",
        keys: KeySpec { first: 1, last: -2, step: 1 },
        key_specs: &[KeySpecDef::range(1, -2, 1, "RW access delete")],
        group: Group::SortedSet,
        since: "5.0.0",
        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        syntax: "key [key ...] timeout{:double}",
        handler: bzpopmax,
        history: &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")],
        ..BASE
    },
    Command {
        name: "bzmpop",
        arity: -5,
        flags: flag::WRITE | flag::BLOCKING,
        acl: "write sortedset slow blocking",
        keys: NO_KEYS,
        key_specs: &[KeySpecDef::keynum(2, "RW access delete")],
        group: Group::SortedSet,
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set or block until one is available",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        syntax: "timeout{:double} numkeys key [key ...] <MIN | MAX>{where} [COUNT count]",
        handler: bzmpop,
        getkeys: Some(getkeys_bzmpop),
        ..BASE
    },
];

fn getkeys_bzmpop(args: Args) -> Vec<usize> {
    numkeys_positions(args, 2, None)
}

fn getkeys_zmpop(args: Args) -> Vec<usize> {
    numkeys_positions(args, 1, None)
}
fn getkeys_zunion(args: Args) -> Vec<usize> {
    numkeys_positions(args, 1, None)
}
fn getkeys_zinter(args: Args) -> Vec<usize> {
    numkeys_positions(args, 1, None)
}
fn getkeys_zdiff(args: Args) -> Vec<usize> {
    numkeys_positions(args, 1, None)
}
fn getkeys_zintercard(args: Args) -> Vec<usize> {
    numkeys_positions(args, 1, None)
}
fn getkeys_zunionstore(args: Args) -> Vec<usize> {
    numkeys_positions(args, 2, Some(1))
}
fn getkeys_zinterstore(args: Args) -> Vec<usize> {
    numkeys_positions(args, 2, Some(1))
}
fn getkeys_zdiffstore(args: Args) -> Vec<usize> {
    numkeys_positions(args, 2, Some(1))
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing and reply helpers.

/// Redis's `getDoubleFromObject`: `strtod` over the whole argument, no leading space, `nan` rejected, and (unlike
/// plain `strtod`) overflow to infinity or underflow to zero rejected.
pub(crate) fn parse_score(a: &[u8]) -> Option<f64> {
    let v = parse_f64(a)?;
    if v.is_infinite() && !is_inf_literal(a) {
        return None;
    }
    if v == 0.0 && mantissa_nonzero(a) {
        return None;
    }
    Some(v)
}

/// Whether the text spells infinity itself (`inf`, `-Infinity`, ...), as opposed to overflowing to it.
fn is_inf_literal(a: &[u8]) -> bool {
    let t = a.strip_prefix(b"+").or_else(|| a.strip_prefix(b"-")).unwrap_or(a);
    t.eq_ignore_ascii_case(b"inf") || t.eq_ignore_ascii_case(b"infinity")
}

/// Whether the significand of a decimal or hex float literal has a non-zero digit (so a zero result underflowed).
fn mantissa_nonzero(a: &[u8]) -> bool {
    let t = a.strip_prefix(b"+").or_else(|| a.strip_prefix(b"-")).unwrap_or(a);
    if let Some(h) = t.strip_prefix(b"0x").or_else(|| t.strip_prefix(b"0X")) {
        return h.iter().take_while(|c| !matches!(c, b'p' | b'P')).any(|c| c.is_ascii_hexdigit() && *c != b'0');
    }
    t.iter().take_while(|c| !matches!(c, b'e' | b'E')).any(|c| (b'1'..=b'9').contains(c))
}

/// A score argument, replying `msg` (or "value is not a valid float") when it is not one.
fn score_arg(r: &mut Reply, a: &[u8], msg: Option<&str>) -> Option<f64> {
    let v = parse_score(a);
    if v.is_none() {
        match msg {
            Some(m) => r.error(m),
            None => r.err_not_float(),
        }
    }
    v
}

fn parse_score_range(r: &mut Reply, min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    let v = ScoreRange::parse(min, max);
    if v.is_none() {
        r.error("ERR min or max is not a float");
    }
    v
}

fn parse_lex_range(r: &mut Reply, min: &[u8], max: &[u8]) -> Option<LexRange> {
    let v = LexRange::parse(min, max);
    if v.is_none() {
        r.error("ERR min or max not valid string range item");
    }
    v
}

/// Replies elements, with scores as flat pairs (RESP2) or nested pairs (RESP3).
fn reply_elems(r: &mut Reply, elems: &[(Vec<u8>, f64)], withscores: bool) {
    let resp3 = r.is_resp3();
    r.array(if withscores && !resp3 { elems.len() * 2 } else { elems.len() });
    for (m, s) in elems {
        if withscores && resp3 {
            r.array(2);
        }
        r.bulk(m);
        if withscores {
            r.double(*s);
        }
    }
}

#[inline]
fn push_elem(out: &mut Vec<(Vec<u8>, f64)>, m: StrRef<'_>, s: f64) {
    out.push((m.to_vec(), s));
}

/// Clamps Redis-style (possibly negative) inclusive ranks to `0..len`; None when the range is empty.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen.saturating_add(start) } else { start };
    let mut end = if end < 0 { llen.saturating_add(end) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

/// The sorted set written through `w`, without touching it (callers looked it up already).
fn zset_in<'a>(ctx: &'a mut Ctx, w: &KeyWrite) -> Option<&'a mut ZSet> {
    ctx.door(w).entry_mut().and_then(|e| e.value_mut()).and_then(|v| match v {
        Value::ZSet(z) => Some(z),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// ZADD / ZINCRBY / ZREM / point queries.

/// Redis's `zaddGenericCommand`; `incr` is preset for ZINCRBY.
fn zadd_generic(ctx: &mut Ctx, args: Args, incr: bool) {
    let key = args.get(1);
    let mut flags = ZAddFlags { incr, ..ZAddFlags::default() };
    let mut idx = 2;
    while idx < args.len() {
        let a = args.get(idx);
        if a.eq_ignore_ascii_case(b"nx") {
            flags.nx = true;
        } else if a.eq_ignore_ascii_case(b"xx") {
            flags.xx = true;
        } else if a.eq_ignore_ascii_case(b"ch") {
            flags.ch = true;
        } else if a.eq_ignore_ascii_case(b"incr") {
            flags.incr = true;
        } else if a.eq_ignore_ascii_case(b"gt") {
            flags.gt = true;
        } else if a.eq_ignore_ascii_case(b"lt") {
            flags.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = args.len() - idx;
    if elements == 0 || elements % 2 != 0 {
        ctx.reply().err_syntax();
        return;
    }
    let pairs = elements / 2;
    if let Err(e) = flags.validate(pairs) {
        ctx.reply().error(e);
        return;
    }
    let mut scores = Vec::with_capacity(pairs);
    for j in 0..pairs {
        let Some(s) = score_arg(ctx.reply(), args.get(idx + 2 * j), None) else { return };
        scores.push(s);
    }
    let th = ctx.settings().thresholds();
    let Ok(exists) = ctx.lookup_typed::<ZSet>(Access::WRITE, key).map(|(v, _)| v.is_some()) else { return };
    if !exists && flags.xx {
        if flags.incr {
            ctx.reply().null();
        } else {
            ctx.reply().int(0);
        }
        return;
    }
    let first_len = args.get(idx + 1).len();
    let Ok((z, r, mut w)) = ctx.write_or_create::<ZSet>(key, || ZSet::new(first_len, &th)) else { return };
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut score = 0.0;
    let mut nan = false;
    for (j, &s) in scores.iter().enumerate() {
        match z.add(s, args.get(idx + 2 * j + 1), flags, &th) {
            ZAddOutcome::Added(n) => {
                added += 1;
                processed += 1;
                score = n;
            }
            ZAddOutcome::Updated(n) => {
                updated += 1;
                processed += 1;
                score = n;
            }
            ZAddOutcome::Unchanged(n) => {
                processed += 1;
                score = n;
            }
            ZAddOutcome::Nop => {}
            ZAddOutcome::NaN => {
                nan = true;
                break;
            }
        }
    }
    if nan {
        r.error("ERR resulting score is not a number (NaN)");
    } else if flags.incr {
        if processed > 0 {
            r.double(score);
        } else {
            r.null();
        }
    } else {
        r.int(if flags.ch { added + updated } else { added } as i64);
    }
    ctx.settle(&mut w, added + updated);
    if added + updated > 0 {
        ctx.notify(nc::ZSET, if flags.incr { "zincr" } else { "zadd" }, key);
    }
}

/// ZADD key [NX | XX] [GT | LT] \[CH\] \[INCR\] score member [score member ...]
pub(crate) fn zadd(ctx: &mut Ctx, args: Args) {
    zadd_generic(ctx, args, false);
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx, args: Args) {
    zadd_generic(ctx, args, true);
}

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx, args: Args) {
    super::shared::remove_members::<ZSet>(ctx, args, ZSet::remove, ZSet::is_empty, nc::ZSET, "zrem")
}

/// ZCARD key
fn zcard(ctx: &mut Ctx, args: Args) {
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    r.int(z.map_or(0, |z| z.len()) as i64);
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx, args: Args) {
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    match z.and_then(|z| z.score(args.get(2))) {
        Some(s) => r.double(s),
        None => r.null(),
    }
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx, args: Args) {
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    r.array(args.len() - 2);
    for m in args.iter().skip(2) {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => r.double(s),
            None => r.null(),
        }
    }
}

/// ZRANK / ZREVRANK: the rank alone (an integer, or a null bulk), or with WITHSCORE (Redis 7.2) the pair
/// `[rank, score]` (or a null array). Like Redis 7.2+, an argument count past WITHSCORE is an arity error and any
/// other fourth argument a syntax error, both before the key is looked up.
fn zrank_generic(ctx: &mut Ctx, args: Args, rev: bool) {
    if args.len() > 4 {
        let name = String::from_utf8_lossy(args.get(0)).into_owned();
        ctx.reply().err_arity(&name);
        return;
    }
    let with_score = args.len() == 4;
    if with_score && !args.is(3, "withscore") {
        ctx.reply().err_syntax();
        return;
    }
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    let member = args.get(2);
    let found = z.and_then(|z| Some((z.rank(member, rev)?, z.score(member)?)));
    match (found, with_score) {
        (Some((n, _)), false) => r.int(n as i64),
        (Some((n, score)), true) => {
            r.array(2);
            r.int(n as i64);
            // Redis 7.2 added WITHSCORE when it also changed how replies print doubles (shortest form).
            let text = d2string_72(score);
            if r.is_resp3() {
                r.raw_bytes(format!(",{text}\r\n").as_bytes());
            } else {
                r.bulk(text.as_bytes());
            }
        }
        (None, false) => r.null(),
        (None, true) => r.null_array(),
    }
}

/// A double as Redis 7.2+ replies it (`d2string`: `nan`, `inf`/`-inf`, `0`/`-0`, integers within ±2^62 as
/// integers, else `fpconv_dtoa`: the shortest digits that read back to the same double, plain below 10^(digits+7)
/// and above 10^-7, else `d.ddde±XX`). Redis 7.0's `%.17g` stays for every reply that existed then.
fn d2string_72(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // Redis's double2ll: integral values inside ±LLONG_MAX/2 print as integers.
    const HALF: f64 = (i64::MAX / 2) as f64;
    if (-HALF..=HALF).contains(&d) && d.fract() == 0.0 {
        return (d as i64).to_string();
    }
    // Shortest round-trip digits: Rust's `{:e}` prints them as `d.ddde<exp>`.
    let sci = format!("{:e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let e10: i64 = exp.parse().unwrap_or(0);
    let nd = digits.len() as i64;
    // value = digits * 10^k (fpconv's K)
    let k = e10 - (nd - 1);
    let abs_exp = (k + nd - 1).abs();
    let mut out = String::with_capacity(24);
    if d < 0.0 {
        out.push('-');
    }
    if k >= 0 && abs_exp < nd + 7 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', k as usize));
    } else if k < 0 && (k > -7 || abs_exp < 4) {
        let offset = nd - k.abs();
        if offset <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-offset) as usize));
            out.push_str(&digits);
        } else {
            let (int_part, frac) = digits.split_at((offset as usize).min(digits.len()));
            out.push_str(int_part);
            out.push('.');
            out.push_str(frac);
        }
    } else {
        let (first, rest) = digits.split_at(digits.len().min(1));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if k + nd - 1 < 0 { '-' } else { '+' });
        out.push_str(&abs_exp.to_string());
    }
    out
}

/// ZRANK key member \[WITHSCORE\]
fn zrank(ctx: &mut Ctx, args: Args) {
    zrank_generic(ctx, args, false);
}

/// ZREVRANK key member \[WITHSCORE\]
fn zrevrank(ctx: &mut Ctx, args: Args) {
    zrank_generic(ctx, args, true);
}

/// ZCOUNT key min max
fn zcount(ctx: &mut Ctx, args: Args) {
    let Some(range) = parse_score_range(ctx.reply(), args.get(2), args.get(3)) else { return };
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    r.int(z.map_or(0, |z| z.count_in_score_range(&range)) as i64);
}

/// ZLEXCOUNT key min max
fn zlexcount(ctx: &mut Ctx, args: Args) {
    let Some(range) = parse_lex_range(ctx.reply(), args.get(2), args.get(3)) else { return };
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    r.int(z.map_or(0, |z| z.count_in_lex_range(&range)) as i64);
}

// ---------------------------------------------------------------------------------------------------------------
// ZSCAN.

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
fn zscan(ctx: &mut Ctx, args: Args) {
    let Some(cursor) = super::keys::parse_cursor(args.get(2)) else {
        ctx.reply().error("ERR invalid cursor");
        return;
    };
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    let Some(z) = z else {
        reply_empty_scan(r);
        return;
    };
    let Some(o) = parse_scan_opts(r, args, 3, Some("noscores")) else { return };
    let no_scores = o.flag;
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    let next = z.scan(cursor, o.count, scan_budget(o.count), |m, s| {
        let keep = scan_matches(&o, m);
        if keep {
            out.push((m.to_vec(), s));
        }
        keep
    });
    r.array(2);
    r.bulk(next.to_string().as_bytes());
    r.array(if no_scores { out.len() } else { out.len() * 2 });
    for (m, s) in &out {
        r.bulk(m);
        if !no_scores {
            r.bulk(crate::util::fmt_double(*s).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::{bulks, Harness};
    use crate::resp::reply::Proto;

    #[test]
    fn zadd_flags_and_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c"]), ":3\r\n");
        assert_eq!(h.run(&["zadd", "z", "nx", "10", "a", "4", "d"]), ":1\r\n");
        assert_eq!(h.run(&["zadd", "z", "xx", "ch", "5", "b", "6", "new"]), ":1\r\n");
        assert_eq!(h.run(&["zadd", "z", "gt", "ch", "1", "c"]), ":0\r\n");
        assert_eq!(h.run(&["zadd", "z", "lt", "ch", "1", "c"]), ":1\r\n");
        assert_eq!(h.run(&["zadd", "z", "incr", "2", "a"]), "$1\r\n3\r\n");
        assert_eq!(h.run(&["zadd", "z", "nx", "incr", "2", "a"]), "$-1\r\n");
        assert_eq!(h.run(&["zadd", "nokey", "xx", "1", "a"]), ":0\r\n");
        assert_eq!(h.run(&["exists", "nokey"]), ":0\r\n");
        assert_eq!(h.run(&["zadd", "z", "nan", "a"]), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run(&["zadd", "z", "1e400", "a"]), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run(&["zadd", "z", "1e-400", "a"]), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run(&["zadd", "z", "1", "a", "2"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run(&["zadd", "z", "xx", "nx", "1", "a"]),
            "-ERR XX and NX options at the same time are not compatible\r\n"
        );
        assert_eq!(
            h.run(&["zadd", "z", "gt", "lt", "1", "a"]),
            "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
        );
        assert_eq!(
            h.run(&["zadd", "z", "incr", "1", "a", "2", "b"]),
            "-ERR INCR option supports a single increment-element pair\r\n"
        );
        assert_eq!(h.run(&["zincrby", "z", "nx", "a"]), "-ERR syntax error\r\n");
        h.run(&["zadd", "z", "inf", "i"]);
        assert_eq!(h.run(&["zincrby", "z", "-inf", "i"]), "-ERR resulting score is not a number (NaN)\r\n");
        assert_eq!(h.run(&["zscore", "z", "i"]), "$3\r\ninf\r\n");
        h.run(&["set", "s", "v"]);
        assert!(h.run(&["zadd", "s", "1", "a"]).starts_with("-WRONGTYPE"));
    }

    #[test]
    fn scores_format_like_redis() {
        let mut h = Harness::new();
        h.run(&["zadd", "z", "0.1", "a", "-0", "b", "1e20", "c", "-inf", "d"]);
        assert_eq!(h.run(&["zscore", "z", "a"]), "$19\r\n0.10000000000000001\r\n");
        assert_eq!(h.run(&["zscore", "z", "b"]), "$1\r\n0\r\n");
        assert_eq!(h.run(&["zscore", "z", "c"]), "$5\r\n1e+20\r\n");
        assert_eq!(h.run(&["zmscore", "z", "d", "x"]), "*2\r\n$4\r\n-inf\r\n$-1\r\n");
        h.client.reply.proto = Proto::Resp3;
        assert_eq!(h.run(&["zscore", "z", "d"]), ",-inf\r\n");
        assert_eq!(h.run(&["zrange", "z", "0", "0", "withscores"]), "*1\r\n*2\r\n$1\r\nd\r\n,-inf\r\n");
        assert_eq!(h.run(&["zpopmin", "z"]), "*2\r\n$1\r\nd\r\n,-inf\r\n");
        assert_eq!(h.run(&["zpopmin", "z", "1"]), "*1\r\n*2\r\n$1\r\nb\r\n,0\r\n");
    }

    #[test]
    fn zrange_variants() {
        let mut h = Harness::new();
        h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        assert_eq!(h.run(&["zrange", "z", "0", "-1"]), bulks(&["a", "b", "c", "d"]));
        assert_eq!(h.run(&["zrange", "z", "0", "1", "rev", "withscores"]), bulks(&["d", "4", "c", "3"]));
        assert_eq!(h.run(&["zrange", "z", "(1", "+inf", "byscore", "limit", "1", "2"]), bulks(&["c", "d"]));
        assert_eq!(h.run(&["zrange", "z", "+inf", "(1", "byscore", "rev", "limit", "0", "1"]), bulks(&["d"]));
        assert_eq!(h.run(&["zrange", "z", "[b", "(d", "bylex"]), bulks(&["b", "c"]));
        assert_eq!(h.run(&["zrange", "z", "0", "9", "byscore", "limit", "-1", "2"]), "*0\r\n");
        assert_eq!(h.run(&["zrange", "z", "0", "9", "byscore", "limit", "1", "-1"]), bulks(&["b", "c", "d"]));
        assert_eq!(
            h.run(&["zrange", "z", "0", "9", "byscore", "limit", "9223372036854775807", "9223372036854775807"]),
            "*0\r\n"
        );
        assert_eq!(
            h.run(&["zrange", "z", "0", "-1", "limit", "0", "1"]),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
        );
        assert_eq!(
            h.run(&["zrange", "z", "-", "+", "bylex", "withscores"]),
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
        );
        assert_eq!(h.run(&["zrange", "z", "a", "b", "bylex"]), "-ERR min or max not valid string range item\r\n");
        assert_eq!(h.run(&["zrangebyscore", "z", "nan", "1"]), "-ERR min or max is not a float\r\n");
        assert_eq!(h.run(&["zrangebyscore", "z", "0", "1", "rev"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["zrevrangebyscore", "z", "3", "2", "withscores"]), bulks(&["c", "3", "b", "2"]));
        assert_eq!(h.run(&["zrevrange", "z", "0", "0"]), bulks(&["d"]));
        assert_eq!(h.run(&["zrevrangebylex", "z", "+", "-", "limit", "1", "1"]), bulks(&["c"]));
        assert_eq!(h.run(&["zrange", "nokey", "0", "-1"]), "*0\r\n");
        assert_eq!(h.run(&["zcount", "z", "(1", "3"]), ":2\r\n");
        assert_eq!(h.run(&["zlexcount", "z", "-", "+"]), ":4\r\n");
        assert_eq!(h.run(&["zrank", "z", "c"]), ":2\r\n");
        assert_eq!(h.run(&["zrevrank", "z", "c"]), ":1\r\n");
        assert_eq!(h.run(&["zrank", "z", "x"]), "$-1\r\n");
    }

    #[test]
    fn zrangestore_and_encodings() {
        let mut h = Harness::new();
        h.srv.config.zset_max_listpack_entries = 2;
        h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c"]);
        assert_eq!(h.run(&["object", "encoding", "z"]), "$8\r\nskiplist\r\n");
        assert_eq!(h.run(&["zrangestore", "d", "z", "0", "1"]), ":2\r\n");
        assert_eq!(h.run(&["object", "encoding", "d"]), "$8\r\nlistpack\r\n");
        assert_eq!(h.run(&["zrangestore", "d", "z", "0", "-1"]), ":3\r\n");
        assert_eq!(h.run(&["object", "encoding", "d"]), "$8\r\nskiplist\r\n");
        assert_eq!(h.run(&["zrangestore", "d", "z", "5", "9"]), ":0\r\n");
        assert_eq!(h.run(&["exists", "d"]), ":0\r\n");
        assert_eq!(h.run(&["zrangestore", "d", "z", "0", "1", "withscores"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["zunionstore", "u", "1", "z", "weights", "2"]), ":3\r\n");
        assert_eq!(h.run(&["object", "encoding", "u"]), "$8\r\nskiplist\r\n");
        h.run(&["zrem", "z", "a", "b"]);
        assert_eq!(h.run(&["object", "encoding", "z"]), "$8\r\nskiplist\r\n");
        assert_eq!(h.run(&["zunionstore", "u", "1", "z"]), ":1\r\n");
        assert_eq!(h.run(&["object", "encoding", "u"]), "$8\r\nlistpack\r\n");
    }

    #[test]
    fn algebra() {
        let mut h = Harness::new();
        h.run(&["zadd", "z1", "1", "a", "2", "b", "3", "c"]);
        h.run(&["zadd", "z2", "4", "b", "5", "c", "6", "d"]);
        h.run(&["sadd", "s", "a", "d"]);
        assert_eq!(h.run(&["zunion", "2", "z1", "z2", "withscores"]), bulks(&["a", "1", "b", "6", "d", "6", "c", "8"]));
        assert_eq!(
            h.run(&["zunion", "2", "z1", "z2", "weights", "2", "1", "aggregate", "max", "withscores"]),
            bulks(&["a", "2", "b", "4", "c", "6", "d", "6"])
        );
        assert_eq!(h.run(&["zinter", "2", "z1", "z2", "aggregate", "min"]), bulks(&["b", "c"]));
        assert_eq!(h.run(&["zinter", "2", "z1", "s", "withscores"]), bulks(&["a", "2"]));
        assert_eq!(h.run(&["zdiff", "2", "z1", "z2", "withscores"]), bulks(&["a", "1"]));
        assert_eq!(h.run(&["zintercard", "2", "z1", "z2", "limit", "1"]), ":1\r\n");
        assert_eq!(h.run(&["zintercard", "2", "z1", "z2"]), ":2\r\n");
        assert_eq!(h.run(&["zinterstore", "o", "2", "z1", "nokey"]), ":0\r\n");
        assert_eq!(h.run(&["zdiffstore", "o", "1", "z1"]), ":3\r\n");
        assert_eq!(
            h.run(&["zunionstore", "o", "0", "z1"]),
            "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"
        );
        assert_eq!(h.run(&["zunion", "3", "z1", "z2"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["zunion", "1", "z1", "weights", "x"]), "-ERR weight value is not a float\r\n");
        assert_eq!(h.run(&["zdiff", "1", "z1", "weights", "1"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["zunionstore", "o", "1", "z1", "withscores"]), "-ERR syntax error\r\n");
        // Redis 8.8's AGGREGATE COUNT: each input holding a member adds its weight, scores aside.
        assert_eq!(
            h.run(&["zunion", "3", "z1", "z2", "s", "weights", "1", "2", "5", "aggregate", "count", "withscores"]),
            bulks(&["b", "3", "c", "3", "a", "6", "d", "7"])
        );
        assert_eq!(h.run(&["zinterstore", "o", "2", "z1", "z2", "aggregate", "count"]), ":2\r\n");
        assert_eq!(h.run(&["zrange", "o", "0", "-1", "withscores"]), bulks(&["b", "2", "c", "2"]));
        assert_eq!(h.run(&["zinter", "2", "z1", "s", "aggregate", "count", "withscores"]), bulks(&["a", "2"]));
        assert_eq!(h.run(&["zunion", "1", "z1", "aggregate", "avg"]), "-ERR syntax error\r\n");
        h.run(&["zadd", "pinf", "inf", "x"]);
        h.run(&["zadd", "ninf", "-inf", "x"]);
        // inf + -inf aggregates to 0, 0 * inf weights to 0.
        assert_eq!(h.run(&["zunion", "2", "pinf", "ninf", "withscores"]), bulks(&["x", "0"]));
        assert_eq!(h.run(&["zunion", "1", "pinf", "weights", "0", "withscores"]), bulks(&["x", "0"]));
        h.run(&["set", "str", "v"]);
        assert!(h.run(&["zunion", "2", "z1", "str"]).starts_with("-WRONGTYPE"));
    }

    #[test]
    fn pops_and_removals() {
        let mut h = Harness::new();
        h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        assert_eq!(h.run(&["zpopmin", "z"]), bulks(&["a", "1"]));
        assert_eq!(h.run(&["zpopmax", "z", "2"]), bulks(&["d", "4", "c", "3"]));
        assert_eq!(h.run(&["zpopmin", "z", "0"]), "*0\r\n");
        assert_eq!(h.run(&["zpopmin", "z", "-1"]), "-ERR value is out of range, must be positive\r\n");
        assert_eq!(h.run(&["zpopmin", "nokey"]), "*0\r\n");
        assert_eq!(
            h.run(&["zmpop", "2", "nokey", "z", "max", "count", "5"]),
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run(&["exists", "z"]), ":0\r\n");
        assert_eq!(h.run(&["zmpop", "1", "z", "min"]), "*-1\r\n");
        assert_eq!(h.run(&["zmpop", "0", "z", "min"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["zmpop", "9223372036854775807", "z", "min"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["zmpop", "1", "z", "min", "count", "0"]), "-ERR count should be greater than 0\r\n");
        h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        assert_eq!(h.run(&["zremrangebyrank", "z", "-1", "-1"]), ":1\r\n");
        assert_eq!(h.run(&["zremrangebyscore", "z", "(1", "2"]), ":1\r\n");
        assert_eq!(h.run(&["zremrangebylex", "z", "[a", "[a"]), ":1\r\n");
        assert_eq!(h.run(&["zremrangebyrank", "z", "0", "-1"]), ":1\r\n");
        assert_eq!(h.run(&["exists", "z"]), ":0\r\n");
        assert_eq!(h.run(&["zrem", "z", "a"]), ":0\r\n");
    }

    #[test]
    fn random_members() {
        let mut h = Harness::new();
        h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c"]);
        assert_eq!(h.run(&["zrandmember", "z", "5"]), bulks(&["c", "b", "a"]));
        assert!(h.run(&["zrandmember", "z", "-7", "withscores"]).starts_with("*14\r\n"));
        assert!(h.run(&["zrandmember", "z", "2"]).starts_with("*2\r\n"));
        assert_eq!(h.run(&["zrandmember", "z", "1", "withscore"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["zrandmember", "z", "4611686018427387904", "withscores"]), "-ERR value is out of range\r\n");
        // Redis streams 2^63 elements until the output limit closes the client: the reply is cut there.
        h.client.reply.watch_limit(1 << 20);
        let r = h.run(&["zrandmember", "z", "-9223372036854775807"]);
        assert!(r.starts_with("*9223372036854775807\r\n$") && r.len() < (1 << 20) + (32 << 10), "{}", r.len());
        assert!(h.client.reply.is_cut());
        h.client.reply.clear_cut();
        assert_eq!(h.run(&["zrandmember", "nokey", "3"]), "*0\r\n");
        assert_eq!(h.run(&["zrandmember", "nokey"]), "$-1\r\n");
    }

    #[test]
    fn zscan_pairs() {
        let mut h = Harness::new();
        h.run(&["zadd", "z", "1.5", "a", "2", "b"]);
        assert_eq!(
            h.run(&["zscan", "z", "0"]),
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run(&["zscan", "z", "0", "match", "b"]), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
        assert_eq!(h.run(&["zscan", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    }

    #[test]
    fn doubles_as_redis_72_prints_them() {
        // As Redis 7.4.1 replies ZRANK .. WITHSCORE for these scores.
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (2.5, "2.5"),
            (-2.5, "-2.5"),
            (1e300, "1e+300"),
            (1.5e-300, "1.5e-300"),
            (3.0, "3"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e20, "1e+20"),
            (1e25, "1e+25"),
            (123456.789, "123456.789"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.2345e-5, "1.2345e-5"),
            (1e-5, "0.00001"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (4611686018427387904.0, "4611686018427387904"),
            (1e19, "1e+19"),
            (1e16, "10000000000000000"),
            (1e17, "100000000000000000"),
            (123456789012345678.0, "123456789012345680"),
            (0.3, "0.3"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (123456789000000000.0, "123456789000000000"),
        ];
        for &(d, want) in cases {
            assert_eq!(d2string_72(d), want, "{d:e}");
        }
    }

    #[test]
    fn parse_score_rejects_overflow() {
        assert_eq!(parse_score(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"1e400"), None);
        assert_eq!(parse_score(b"1e-400"), None);
        assert_eq!(parse_score(b"0e-400"), Some(0.0));
        assert_eq!(parse_score(b"0x1p-3"), Some(0.125));
        assert_eq!(parse_score(b" 1"), None);
        assert_eq!(parse_score(b"nan"), None);
    }

    #[test]
    fn blocking_pops() {
        let mut h = Harness::new();
        h.run(&["zadd", "b", "1", "x", "2", "y"]);
        assert_eq!(h.run(&["bzpopmin", "a", "b", "0"]), bulks(&["b", "x", "1"]));
        assert_eq!(
            h.run(&["bzmpop", "0", "2", "a", "b", "max", "count", "3"]),
            "*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n"
        );
        assert!(h.srv.blocking.request.is_none());
        assert_eq!(h.run(&["bzpopmax", "a", "b", "1.5"]), "");
        let req = h.srv.blocking.request.take().expect("blocks");
        assert_eq!(req.keys, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(req.kind, BlockKind::ZSet);
        assert!(req.deadline_ms > 0);
        assert_eq!(h.run(&["bzpopmin", "a", "-1"]), "-ERR timeout is negative\r\n");
        assert_eq!(h.run(&["bzmpop", "x", "0", "a", "min"]), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run(&["bzmpop", "-1", "1", "a", "min"]), "-ERR timeout is negative\r\n");
        // A re-run for one ready key only looks at that key.
        h.run(&["zadd", "a", "1", "p"]);
        h.run(&["zadd", "b", "1", "q"]);
        h.srv.blocking.serving = Some(b"b".to_vec());
        assert_eq!(h.run(&["bzpopmin", "a", "b", "0"]), bulks(&["b", "q", "1"]));
        h.srv.blocking.serving = None;
        h.client.flags |= crate::net::client::flags::DENY_BLOCKING;
        assert_eq!(h.run(&["bzpopmin", "nokey", "0"]), "*-1\r\n");
        assert_eq!(h.run(&["bzmpop", "0", "1", "nokey", "min"]), "*-1\r\n");
        assert!(h.srv.blocking.request.is_none());
        h.run(&["set", "s", "v"]);
        assert!(h.run(&["bzpopmin", "s", "0"]).starts_with("-WRONGTYPE"));
    }
}
