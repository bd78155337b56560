//! Stream commands (Redis `t_stream.c`): XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD (with BLOCK),
//! XINFO STREAM / GROUPS / CONSUMERS / HELP, and the consumer groups: XGROUP (CREATE, SETID, DESTROY,
//! CREATECONSUMER, DELCONSUMER, HELP), XREADGROUP (with BLOCK), XACK, XPENDING, XCLAIM, XAUTOCLAIM, and Redis 8.2's
//! XDELEX and XACKDEL (in `delete`) with the KEEPREF / DELREF / ACKED policies XADD and XTRIM also take. The
//! representation is [`crate::keyspace::types::stream`]. The consumer groups' commands live in `groups`; this
//! file holds the command table, the helpers both halves share, and the commands on entries.
//!
//! Arguments are checked in Redis's order, because the first failing check decides the error a client sees (XDEL
//! looks its key up before it parses the ids, XRANGE parses before it looks up, ...). Writes report through the
//! single-key door; propagation is rewritten as Redis does: XADD's `*` and `<ms>-*` become the id given, and a
//! `~` trim becomes `=` with the length (MAXLEN) or first id (MINID) the stream was trimmed to (an ACKED one,
//! `MINID =` the first entry no group references). The group commands change no key in WATCH's sense (Redis calls
//! no `signalModifiedKey` for them, only MKSTREAM's creation does): they count their changes, and XREADGROUP,
//! XCLAIM and XAUTOCLAIM propagate their effects instead of themselves (`XCLAIM ... FORCE JUSTID LASTID` per
//! pending entry they touched, `XGROUP SETID ... ENTRIESREAD` when only the group's last id moved, `XGROUP
//! CREATECONSUMER` for a consumer a NOACK read made).
//!
//! XREAD BLOCK hands its wait to [`crate::blocking`] with the ids resolved at that moment (`$` is the stream's
//! last id then); when a key it waits on changes, the server re-runs XREAD for that key only, which answers with
//! that stream's new entries when its last id passed the awaited one and blocks again otherwise. A stream deleted
//! meanwhile leaves the client waiting (Redis 7.0 does the same for XREAD). XREADGROUP with `>` waits as
//! [`BlockKind::StreamGroup`], re-run whenever its key is signalled: the key deleted or replaced answers
//! `UNBLOCKED`, its group destroyed (XGROUP DESTROY signals the key) `NOGROUP`, entries past the group's last
//! delivered id are served to the consumer, else it waits on.

use super::blocking::block_with;
use super::shared::{int_arg, ms_timeout_arg};
use super::{flag, Args, Command, Ctx, FindKeys, Group, KeySpec, KeySpecDef, BASE, ONE_KEY};
use crate::blocking::{BlockKind, StreamWait, TimeoutReply};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::StrRef;
use crate::keyspace::types::stream::idmp::{DEFAULT_DURATION, DEFAULT_MAXSIZE};
use crate::keyspace::types::stream::{
    parse_id, parse_interval_id, AddError, ConsumerGroup, EntryRef, IdSpec, ParsedId, RefPolicy, Stream, StreamId,
    Trim, TrimStrategy, ENTRIES_READ_INVALID,
};
use crate::resp::reply::Reply;

mod delete;
mod groups;
mod idmp;
mod info;
use delete::{xackdel, xdelex};
use groups::{
    xack, xautoclaim, xclaim, xgroup_create, xgroup_createconsumer, xgroup_delconsumer, xgroup_destroy, xgroup_help,
    xgroup_setid, xinfo_consumers, xinfo_groups, xpending, xreadgroup_now, xreadgroup_serve_blocked, GroupRead,
};
use idmp::{xcfgset, xidmprecord};
use info::{xinfo_help, xinfo_stream};

const STREAM: Command = Command { group: Group::Stream, keys: ONE_KEY, since: "5.0.0", ..BASE };
const KEY_AT_2: KeySpec = KeySpec { first: 2, last: 2, step: 1 };
const EXCLUSIVE_HISTORY: &[(&str, &str)] = &[("6.2.0", "Added exclusive ranges.")];
const REF_POLICY_HISTORY: (&str, &str) = ("8.2.0", "Added the `KEEPREF`, `DELREF` and `ACKED` options.");
const REF_IDS_SYNTAX: &str = "key [KEEPREF | DELREF | ACKED]{condition} <IDS numids{:integer} id [id ...]>";
const REF_IDS_GROUP_SYNTAX: &str = "key group [KEEPREF | DELREF | ACKED]{condition} <IDS numids{:integer} id [id ...]>";
const RANGE_COMPLEXITY: &str = "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).";

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "xadd",
        arity: -5,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write stream fast",
        summary: "Appends a new entry to a stream",
        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        syntax: "key [NOMKSTREAM]{@6.2.0} [KEEPREF | DELREF | ACKED]{condition@8.2.0} [<IDMPAUTO pid{:string}>{idmpauto-with-pid} | <IDMP pid{:string} iid{:string}>{idmp-with-pid-iid}]{idmp@8.6.0} [<MAXLEN | MINID{@6.2.0}>{strategy} [={equal} | ~{approximately}]{operator} threshold{:string} [LIMIT count]{@6.2.0}]{trim} <*{auto_id} | id>{id_or_auto} field value [field value ...]",
        handler: xadd,
        key_specs: &[KeySpecDef::at(1, "RW update").notes("UPDATE instead of INSERT because of the optional trimming feature")],
        tips: "nondeterministic_output",
        history: &[
            ("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."),
            ("7.0.0", "Added support for the `<ms>-*` explicit ID form."),
            REF_POLICY_HISTORY,
            ("8.6.0", "Added the `IDMPAUTO` and `IDMP` options."),
        ],
        ..STREAM
    },
    Command {
        name: "xcfgset",
        arity: -2,
        flags: flag::WRITE | flag::FAST,
        acl: "write stream fast",
        summary: "Sets the IDMP configuration parameters for a stream.",
        syntax: "key [IDMP-DURATION{idmp-duration-token} duration{:integer}]{idmp-duration-block} [IDMP-MAXSIZE{idmp-maxsize-token} maxsize{:integer}]{idmp-maxsize-block}",
        handler: xcfgset,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        since: "8.6.0",
        ..STREAM
    },
    Command {
        name: "xidmprecord",
        arity: 5,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write stream fast",
        summary: "An internal command for setting IDMP metadata on an existing stream message.",
        syntax: "key pid{:string} iid{:string} stream-id{:string}",
        handler: xidmprecord,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        since: "8.6.2",
        ..STREAM
    },
    Command {
        name: "xrange",
        arity: -4,
        flags: flag::READONLY,
        acl: "read stream slow",
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        complexity: RANGE_COMPLEXITY,
        syntax: "key start{:string} end{:string} [COUNT count]",
        handler: xrange,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        history: EXCLUSIVE_HISTORY,
        ..STREAM
    },
    Command {
        name: "xrevrange",
        arity: -4,
        flags: flag::READONLY,
        acl: "read stream slow",
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        syntax: "key end{:string} start{:string} [COUNT count]",
        handler: xrevrange,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        history: EXCLUSIVE_HISTORY,
        ..STREAM
    },
    Command {
        name: "xlen",
        arity: 2,
        flags: flag::READONLY | flag::FAST,
        acl: "read stream fast",
        summary: "Return the number of entries in a stream",
        syntax: "key",
        handler: xlen,
        key_specs: &[KeySpecDef::at(1, "RO")],
        ..STREAM
    },
    Command {
        name: "xdel",
        arity: -3,
        flags: flag::WRITE | flag::FAST,
        acl: "write stream fast",
        summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
        syntax: "key id [id ...]",
        handler: xdel,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        ..STREAM
    },
    Command {
        name: "xtrim",
        arity: -4,
        flags: flag::WRITE,
        acl: "write stream slow",
        summary: "Trims the stream to (approximately if '~' is passed) a certain size",
        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        syntax: "key <<MAXLEN | MINID{@6.2.0}>{strategy} [={equal} | ~{approximately}]{operator} threshold{:string} [LIMIT count]{@6.2.0}>{trim} [KEEPREF | DELREF | ACKED]{condition@8.2.0}",
        handler: xtrim,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        tips: "nondeterministic_output",
        history: &[("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."), REF_POLICY_HISTORY],
        ..STREAM
    },
    Command {
        name: "xsetid",
        arity: -3,
        flags: flag::WRITE | flag::DENYOOM | flag::FAST,
        acl: "write stream fast",
        summary: "An internal command for replicating stream values",
        syntax: "key last-id [ENTRIESADDED entries_added{:integer}]{@7.0.0} [MAXDELETEDID max_deleted_entry_id]{@7.0.0}",
        handler: xsetid,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        history: &[("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments.")],
        ..STREAM
    },
    Command {
        name: "xread",
        arity: -4,
        flags: flag::READONLY | flag::BLOCKING,
        acl: "read stream slow blocking",
        keys: super::NO_KEYS,
        summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        syntax: "[COUNT count] [MAXCOUNT maxcount{:integer@8.10.0}] [MAXSIZE maxsize{:integer@8.10.0}] [BLOCK milliseconds] <STREAMS key [key ...] id [id ...]>",
        handler: xread,
        history: &[("8.10.0", "Added the `MAXCOUNT` and `MAXSIZE` options.")],
        key_specs: &[KeySpecDef::keyword(
            "STREAMS",
            1,
            FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 },
            "RO access",
        )],
        ..STREAM
    },
    Command {
        name: "xreadgroup",
        arity: -7,
        flags: flag::WRITE | flag::BLOCKING,
        acl: "write stream slow blocking",
        keys: super::NO_KEYS,
        summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        syntax: "<GROUP group consumer>{group_consumer} [COUNT count] [MAXCOUNT maxcount{:integer@8.10.0}] [MAXSIZE maxsize{:integer@8.10.0}] [BLOCK milliseconds] [CLAIM min-idle-time{:integer@8.4.0}] [NOACK] <STREAMS key [key ...] id [id ...]>",
        handler: xread,
        history: &[("8.4.0", "Added the `CLAIM` option."), ("8.10.0", "Added the `MAXCOUNT` and `MAXSIZE` options.")],
        key_specs: &[KeySpecDef::keyword(
            "STREAMS",
            4,
            FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 },
            "RO access",
        )],
        ..STREAM
    },
    Command {
        name: "xclaim",
        arity: -6,
        flags: flag::WRITE | flag::FAST,
        acl: "write stream fast",
        summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
        syntax: "key group consumer min-idle-time{:string} id [id ...] [IDLE ms{:integer}] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]",
        handler: xclaim,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        tips: "nondeterministic_output",
        ..STREAM
    },
    Command {
        name: "xautoclaim",
        arity: -6,
        flags: flag::WRITE | flag::FAST,
        acl: "write stream fast",
        summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        complexity: "O(1) if COUNT is small.",
        syntax: "key group consumer min-idle-time{:string} start{:string} [COUNT count] [JUSTID]",
        since: "6.2.0",
        handler: xautoclaim,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        tips: "nondeterministic_output",
        history: &[(
            "7.0.0",
            "Added an element to the reply array, containing deleted entries the command cleared from the PEL",
        )],
        ..STREAM
    },
    Command {
        name: "xinfo",
        arity: -2,
        acl: "slow",
        keys: super::NO_KEYS,
        summary: "A container for stream introspection commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: XINFO_SUBCOMMANDS,
        ..STREAM
    },
    Command {
        name: "xgroup",
        arity: -2,
        acl: "slow",
        keys: super::NO_KEYS,
        summary: "A container for consumer groups commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: XGROUP_SUBCOMMANDS,
        ..STREAM
    },
    Command {
        name: "xack",
        arity: -4,
        flags: flag::WRITE | flag::FAST,
        acl: "write stream fast",
        summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        complexity: "O(1) for each message ID processed.",
        syntax: "key group id [id ...]",
        handler: xack,
        key_specs: &[KeySpecDef::at(1, "RW update")],
        ..STREAM
    },
    Command {
        name: "xackdel",
        arity: -6,
        flags: flag::WRITE | flag::FAST,
        acl: "write stream fast",
        summary: "Acknowledges and conditionally deletes one or multiple entries for a stream consumer group.",
        complexity: "O(1) for each entry ID processed.",
        syntax: REF_IDS_GROUP_SYNTAX,
        handler: xackdel,
        key_specs: &[KeySpecDef::at(1, "RW update delete")],
        since: "8.2.0",
        ..STREAM
    },
    Command {
        name: "xdelex",
        arity: -5,
        flags: flag::WRITE | flag::FAST,
        acl: "write stream fast",
        summary: "Deletes entries from a stream, with a policy for consumer groups' references",
        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
        syntax: REF_IDS_SYNTAX,
        handler: xdelex,
        key_specs: &[KeySpecDef::at(1, "RW delete")],
        since: "8.2.0",
        ..STREAM
    },
    Command {
        name: "xpending",
        arity: -3,
        flags: flag::READONLY,
        acl: "read stream slow",
        summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        syntax: "key group [[IDLE min-idle-time{:integer}]{@6.2.0} start{:string} end{:string} count [consumer]]{filters}",
        handler: xpending,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        tips: "nondeterministic_output",
        history: &[("6.2.0", "Added the `IDLE` option and exclusive range intervals.")],
        ..STREAM
    },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static XGROUP_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "stream slow",
        keys: super::NO_KEYS,
        summary: "Show helpful text about the different subcommands",
        handler: xgroup_help,
        ..STREAM
    },
    Command {
        name: "create",
        arity: -5,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write stream slow",
        keys: KEY_AT_2,
        summary: "Create a consumer group.",
        syntax: "key groupname <id | ${new_id}>{id} [MKSTREAM] [ENTRIESREAD entries_read{:integer}]",
        handler: xgroup_create,
        key_specs: &[KeySpecDef::at(2, "RW insert")],
        history: &[("7.0.0", "Added the `entries_read` named argument.")],
        ..STREAM
    },
    Command {
        name: "setid",
        arity: -5,
        flags: flag::WRITE,
        acl: "write stream slow",
        keys: KEY_AT_2,
        summary: "Set a consumer group to an arbitrary last delivered ID value.",
        syntax: "key groupname <id | ${new_id}>{id} [ENTRIESREAD entries_read{:integer}]",
        handler: xgroup_setid,
        key_specs: &[KeySpecDef::at(2, "RW update")],
        history: &[("7.0.0", "Added the optional `entries_read` argument.")],
        ..STREAM
    },
    Command {
        name: "destroy",
        arity: 4,
        flags: flag::WRITE,
        acl: "write stream slow",
        keys: KEY_AT_2,
        summary: "Destroy a consumer group.",
        complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        syntax: "key groupname",
        handler: xgroup_destroy,
        key_specs: &[KeySpecDef::at(2, "RW delete")],
        ..STREAM
    },
    Command {
        name: "createconsumer",
        arity: 5,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write stream slow",
        keys: KEY_AT_2,
        summary: "Create a consumer in a consumer group.",
        syntax: "key groupname consumername",
        since: "6.2.0",
        handler: xgroup_createconsumer,
        key_specs: &[KeySpecDef::at(2, "RW insert")],
        ..STREAM
    },
    Command {
        name: "delconsumer",
        arity: 5,
        flags: flag::WRITE,
        acl: "write stream slow",
        keys: KEY_AT_2,
        summary: "Delete a consumer from a consumer group.",
        syntax: "key groupname consumername",
        handler: xgroup_delconsumer,
        key_specs: &[KeySpecDef::at(2, "RW delete")],
        ..STREAM
    },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static XINFO_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "stream slow",
        keys: super::NO_KEYS,
        summary: "Show helpful text about the different subcommands",
        handler: xinfo_help,
        ..STREAM
    },
    Command {
        name: "stream",
        arity: -3,
        flags: flag::READONLY,
        acl: "read stream slow",
        keys: KEY_AT_2,
        summary: "Get information about a stream",
        syntax: "key [FULL [COUNT count]]",
        handler: xinfo_stream,
        key_specs: &[KeySpecDef::at(2, "RO access")],
        history: &[
            ("6.0.0", "Added the `FULL` modifier."),
            (
                "7.0.0",
                "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields",
            ),
        ],
        ..STREAM
    },
    Command {
        name: "groups",
        arity: 3,
        flags: flag::READONLY,
        acl: "read stream slow",
        keys: KEY_AT_2,
        summary: "List the consumer groups of a stream",
        syntax: "key",
        handler: xinfo_groups,
        key_specs: &[KeySpecDef::at(2, "RO access")],
        history: &[("7.0.0", "Added the `entries-read` and `lag` fields")],
        ..STREAM
    },
    Command {
        name: "consumers",
        arity: 4,
        flags: flag::READONLY,
        acl: "read stream slow",
        keys: KEY_AT_2,
        summary: "List the consumers in a consumer group",
        syntax: "key groupname",
        handler: xinfo_consumers,
        key_specs: &[KeySpecDef::at(2, "RO access")],
        tips: "nondeterministic_output",
        ..STREAM
    },
];

/// XREAD's COUNT while blocked when none was given (`XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: usize = 1000;
const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers

/// What Redis's `%s` prints of an argument: up to its first NUL.
fn c_text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(crate::util::c_str(b))
}

/// `streamGenericParseIDOrReply`.
fn id_or_reply(r: &mut Reply, arg: &[u8], missing_seq: u64, strict: bool, seq_auto: bool) -> Option<ParsedId> {
    let p = parse_id(arg, missing_seq, strict, seq_auto);
    if p.is_none() {
        r.error(INVALID_ID);
    }
    p
}

fn reply_id(r: &mut Reply, id: StreamId) {
    let mut a = [0u8; 24];
    let mut b = [0u8; 24];
    let ms = crate::util::utoa_buf(id.ms, &mut a);
    let seq = crate::util::utoa_buf(id.seq, &mut b);
    let mut out = [0u8; 48];
    out[..ms.len()].copy_from_slice(ms);
    out[ms.len()] = b'-';
    out[ms.len() + 1..ms.len() + 1 + seq.len()].copy_from_slice(seq);
    r.bulk(&out[..ms.len() + 1 + seq.len()]);
}

fn reply_str(r: &mut Reply, s: StrRef<'_>) {
    let mut b = [0u8; 24];
    r.bulk(s.bytes(&mut b));
}

/// A group's `last-delivered-id`, `entries-read` and `lag` fields (XINFO GROUPS and XINFO STREAM FULL).
fn reply_group_position(r: &mut Reply, s: &Stream, g: &ConsumerGroup) {
    r.bulk(b"last-delivered-id");
    reply_id(r, g.last_id);
    r.bulk(b"entries-read");
    if g.entries_read != ENTRIES_READ_INVALID {
        r.int(g.entries_read);
    } else {
        r.null();
    }
    r.bulk(b"lag");
    match s.group_lag(g) {
        Some(n) => r.int(n),
        None => r.null(),
    }
}

/// One entry: `[id, [field, value, ...]]`.
fn reply_entry(r: &mut Reply, e: &EntryRef<'_>) {
    r.array(2);
    reply_id(r, e.id);
    r.array(e.num_fields() * 2);
    e.for_each_field(|f, v| {
        reply_str(r, f);
        reply_str(r, v);
    });
}

/// The entries between `start` and `end` (inclusive), at most `count` (0: all), as an array.
fn reply_range(r: &mut Reply, s: &Stream, start: StreamId, end: StreamId, count: usize, rev: bool) -> usize {
    let take = if count == 0 { usize::MAX } else { count };
    let entries: Vec<EntryRef<'_>> = s.range(start, end, rev).take(take).collect();
    r.array(entries.len());
    for e in &entries {
        reply_entry(r, e);
    }
    entries.len()
}

/// The parsed options of XADD and XTRIM (`streamAddTrimArgs`).
struct AddTrimArgs {
    /// XADD: where the id argument is.
    id_pos: usize,
    id: Option<ParsedId>,
    nomkstream: bool,
    trim: Option<Trim>,
    /// Where the trim threshold is (the `=`/`~` rewrite goes right before it).
    trim_arg: usize,
    /// KEEPREF / DELREF / ACKED (8.2): what trimming does to the groups' references.
    policy: RefPolicy,
    /// XADD IDMP pid iid / IDMPAUTO pid (8.6): where the producer id is, and the idempotent id's position (None:
    /// IDMPAUTO, the iid is computed from the fields).
    idmp: Option<(usize, Option<usize>)>,
}

/// `streamParseAddOrTrimArgsOrReply`.
fn parse_add_trim(ctx: &mut Ctx, args: Args, xadd: bool) -> Option<AddTrimArgs> {
    let argc = args.len();
    let mut a = AddTrimArgs {
        id_pos: argc,
        id: None,
        nomkstream: false,
        trim: None,
        trim_arg: 0,
        policy: RefPolicy::KeepRef,
        idmp: None,
    };
    let mut approx = false;
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let mut policy_given = false;
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = args.get(i);
        if xadd && opt == b"*" {
            break;
        } else if (args.is(i, "maxlen") || args.is(i, "minid")) && more > 0 {
            if a.trim.is_some() {
                ctx.reply().error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                return None;
            }
            let maxlen = args.is(i, "maxlen");
            approx = false;
            let next = args.get(i + 1);
            if more >= 2 && next == b"~" {
                approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let v = args.get(i + 1);
            let strategy = if maxlen {
                let n = int_arg(ctx.reply(), v)?;
                if n < 0 {
                    ctx.reply().error("ERR The MAXLEN argument must be >= 0.");
                    return None;
                }
                TrimStrategy::MaxLen(n as u64)
            } else {
                TrimStrategy::MinId(id_or_reply(ctx.reply(), v, 0, true, false)?.id)
            };
            i += 1;
            a.trim = Some(Trim { strategy, approx, limit: 0 });
            a.trim_arg = i;
        } else if args.is(i, "limit") && more > 0 {
            let n = int_arg(ctx.reply(), args.get(i + 1))?;
            if n < 0 {
                ctx.reply().error("ERR The LIMIT argument must be >= 0.");
                return None;
            }
            limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && args.is(i, "nomkstream") {
            a.nomkstream = true;
        } else if xadd && ((args.is(i, "idmp") && more >= 2) || (args.is(i, "idmpauto") && more >= 1)) {
            i = idmp::parse_option(ctx.reply(), args, i, &mut a.idmp)?;
        } else if let Some(p) = RefPolicy::parse(opt).filter(|_| !policy_given) {
            // A second policy is no option: XADD takes it for the id (an invalid one), XTRIM for a syntax error.
            a.policy = p;
            policy_given = true;
        } else if xadd {
            a.id = Some(id_or_reply(ctx.reply(), opt, 0, true, true)?);
            break;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        i += 1;
    }
    a.id_pos = i;
    // The master's and the AOF's XADD carry the id the first one got.
    if a.idmp.is_some() && a.id.is_some() && !crate::net::client::must_obey(ctx.client()) {
        ctx.reply().error("ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs");
        return None;
    }
    if limit != 0 && a.trim.is_none() {
        ctx.reply().error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return None;
    }
    if !xadd && a.trim.is_none() {
        ctx.reply().error("ERR syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    let limit = trim_limit(ctx, approx, limit_given.then_some(limit as u64))?;
    if let Some(t) = &mut a.trim {
        t.approx = approx;
        t.limit = limit;
    }
    Some(a)
}

/// The most entries a trim may remove (0: no limit): LIMIT's (only with `~`), else 100 nodes' worth for `~`; none
/// when replaying a master's or the AOF's trims, made exact before they were propagated.
fn trim_limit(ctx: &mut Ctx, approx: bool, given: Option<u64>) -> Option<u64> {
    Some(if crate::net::client::must_obey(ctx.client()) {
        0
    } else if let Some(limit) = given {
        if !approx {
            ctx.reply().error("ERR syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
        limit
    } else if approx {
        // At most 100 nodes' worth of work per call (C's arithmetic, then the clamps).
        let l = 100i64.wrapping_mul(ctx.settings().stream_limits().max_entries);
        (if l <= 0 { 10_000 } else { l.min(1_000_000) }) as u64
    } else {
        0
    })
}

/// Propagates the command with the trim made exact (`streamRewriteApproxSpecifier` +
/// `streamRewriteTrimArgument`) and, for XADD, the id it got; `argv` is the command so far. An ACKED trim by whole
/// nodes may keep referenced entries among removed ones, which no exact length reproduces: it becomes `MINID =` the
/// first unreferenced entry (past the last id when there is none), below which it removed every entry it could.
fn rewrite_trim(argv: &mut [Vec<u8>], s: &Stream, a: &AddTrimArgs) {
    let Some(t) = &a.trim else { return };
    if !t.approx || a.trim_arg < 2 || a.trim_arg >= argv.len() {
        return;
    }
    argv[a.trim_arg - 1] = b"=".to_vec();
    if a.policy == RefPolicy::Acked && !s.groups.is_empty() {
        let past = s.first_unreferenced().or_else(|| s.last_id.incr()).unwrap_or(StreamId::MAX);
        argv[a.trim_arg - 2] = b"MINID".to_vec();
        argv[a.trim_arg] = past.to_bytes();
        return;
    }
    argv[a.trim_arg] = match t.strategy {
        TrimStrategy::MaxLen(_) => s.length.to_string().into_bytes(),
        TrimStrategy::MinId(_) => s.edge_id(true, false).to_bytes(),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// XADD XTRIM XDEL XSETID

/// XADD key \[NOMKSTREAM\] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]
fn xadd(ctx: &mut Ctx, args: Args) {
    let Some(a) = parse_add_trim(ctx, args, true) else { return };
    let field_pos = a.id_pos + 1;
    if args.len() < field_pos + 2 || (args.len() - field_pos) % 2 == 1 {
        ctx.reply().err_arity("xadd");
        return;
    }
    if let Some(p) = a.id {
        if p.seq_given && p.id.is_zero() {
            ctx.reply().error("ERR The ID specified in XADD must be greater than 0-0");
            return;
        }
    }
    let key = args.get(1);
    if a.nomkstream {
        match ctx.lookup_typed::<Stream>(Access::WRITE, key).map(|(v, _)| v.is_some()) {
            Err(_) => return,
            Ok(false) => {
                ctx.reply().null();
                return;
            }
            Ok(true) => {}
        }
    }
    let limits = ctx.settings().stream_limits();
    let (idmp_duration, idmp_maxsize) = ctx.settings().stream_idmp_defaults();
    let now = ctx.now_ms().max(0) as u64;
    let propagating = ctx.propagation().enabled();
    let replaying = crate::net::client::must_obey(ctx.client());
    // The fields and values, on the stack for up to 8 pairs.
    let mut small: [&[u8]; 16] = [&[]; 16];
    let heap: Vec<&[u8]>;
    let fv: &[&[u8]] = if args.len() - field_pos <= small.len() {
        for (slot, x) in small.iter_mut().zip(args.iter().skip(field_pos)) {
            *slot = x;
        }
        &small[..args.len() - field_pos]
    } else {
        heap = args.iter().skip(field_pos).collect();
        &heap
    };
    let mut auto_iid = [0u8; 16];
    let idmp = idmp::ids(args, a.idmp, fv, &mut auto_iid);
    let make = || idmp::new_stream(idmp_duration, idmp_maxsize);
    let Ok((s, r, mut w)) = ctx.write_or_create::<Stream>(key, make) else { return };
    // A retried XADD of an entry still remembered answers that entry's id and adds nothing.
    // As Redis 8.6, it counts as a change without signalling the key: the command reaches replicas and the AOF as
    // sent, where it finds the same iid and counts the duplicate too.
    if let Some(id) = idmp::retried(s, idmp, replaying, a.id.is_some(), now) {
        reply_id(r, id);
        w.untouched();
        return ctx.count_changes(1);
    }
    if s.last_id == StreamId::MAX {
        r.error("ERR The stream has exhausted the last possible ID, unable to add more items");
        return w.untouched();
    }
    let spec = match a.id {
        None => IdSpec::Auto,
        Some(p) if !p.seq_given => IdSpec::MsAuto(p.id.ms),
        Some(p) => IdSpec::Explicit(p.id),
    };
    let id = match s.append(fv, spec, now, limits) {
        Ok(id) => id,
        Err(AddError::IdTooSmall) => {
            r.error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
            return w.untouched();
        }
        Err(AddError::TooLarge) => {
            r.error("ERR Elements are too large to be stored");
            return w.untouched();
        }
    };
    reply_id(r, id);
    if let Some((pid, iid)) = idmp {
        // A stream created just now has its state when the configured bounds are not the defaults.
        s.idmp_mut(DEFAULT_DURATION, DEFAULT_MAXSIZE).record(pid, iid, id);
    }
    let trimmed = a.trim.map_or(0, |t| s.trim_with(&t, a.policy, &mut false));
    let rewrite_id = !a.id.is_some_and(|p| p.seq_given);
    // The replay-safe form (the id given, an exact trim) only when something reads it.
    let argv = if propagating && (rewrite_id || a.trim.is_some_and(|t| t.approx)) {
        let mut argv: Vec<Vec<u8>> = args.iter().map(|x| x.to_vec()).collect();
        rewrite_trim(&mut argv, s, &a);
        if rewrite_id {
            argv[a.id_pos] = id.to_bytes();
        }
        Some(argv)
    } else {
        None
    };
    ctx.notify(nc::STREAM, "xadd", key);
    ctx.changed(&mut w, 1);
    if trimmed > 0 {
        ctx.notify(nc::STREAM, "xtrim", key);
    }
    if let Some(argv) = argv {
        ctx.propagation().rewrite(&argv);
    }
}

/// XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]
fn xtrim(ctx: &mut Ctx, args: Args) {
    let Some(a) = parse_add_trim(ctx, args, false) else { return };
    let Some(t) = a.trim else { return };
    let key = args.get(1);
    let Ok((s, r, mut w)) = ctx.write_typed::<Stream>(key) else { return };
    let Some(s) = s else {
        r.int(0);
        return;
    };
    let deleted = s.trim_with(&t, a.policy, &mut false);
    r.int(deleted as i64);
    if deleted == 0 {
        return w.untouched();
    }
    let mut argv: Vec<Vec<u8>> = args.iter().map(|x| x.to_vec()).collect();
    rewrite_trim(&mut argv, s, &a);
    ctx.notify(nc::STREAM, "xtrim", key);
    if t.approx {
        ctx.propagation().rewrite(&argv);
    }
    ctx.changed(&mut w, deleted);
}

/// XDEL key id [id ...]
fn xdel(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let Ok((s, r, mut w)) = ctx.write_typed::<Stream>(key) else { return };
    let Some(s) = s else {
        r.int(0);
        return;
    };
    let mut ids = Vec::with_capacity(args.len() - 2);
    for a in args.iter().skip(2) {
        let Some(p) = id_or_reply(r, a, 0, true, false) else { return w.untouched() };
        ids.push(p.id);
    }
    let deleted = s.xdel(&ids);
    r.int(deleted as i64);
    if deleted > 0 {
        ctx.notify(nc::STREAM, "xdel", key);
        ctx.changed(&mut w, deleted);
    } else {
        w.untouched();
    }
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
fn xsetid(ctx: &mut Ctx, args: Args) {
    let Some(id) = id_or_reply(ctx.reply(), args.get(2), 0, true, false) else { return };
    let id = id.id;
    let mut entries_added: Option<u64> = None;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args.is(i, "entriesadded") && more > 0 {
            let Some(n) = int_arg(ctx.reply(), args.get(i + 1)) else { return };
            if n < 0 {
                ctx.reply().error("ERR entries_added must be positive");
                return;
            }
            entries_added = Some(n as u64);
            i += 2;
        } else if args.is(i, "maxdeletedid") && more > 0 {
            let Some(p) = id_or_reply(ctx.reply(), args.get(i + 1), 0, true, false) else { return };
            if id < p.id {
                ctx.reply().error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                return;
            }
            max_xdel = p.id;
            i += 2;
        } else {
            ctx.reply().err_syntax();
            return;
        }
    }
    let key = args.get(1);
    let Ok((s, r)) = groups::group_state(ctx, Access::WRITE, key) else { return };
    let Some(s) = s else {
        r.err_no_such_key();
        return;
    };
    if s.length > 0 {
        if id < s.last_valid_id() {
            r.error("ERR The ID specified in XSETID is smaller than the target stream top item");
            return;
        }
        if entries_added.is_some_and(|n| s.length > n) {
            r.error("ERR The entries_added specified in XSETID is smaller than the target stream length");
            return;
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_entry_id = max_xdel;
    }
    r.ok();
    // Redis 7.0 counts the change but does not signal the key (no WATCH invalidation, no wake-up), so neither do
    // we: a change counted without a key.
    ctx.count_changes(1);
    ctx.notify(nc::STREAM, "xsetid", key);
}

// ---------------------------------------------------------------------------------------------------------------
// XRANGE XREVRANGE XLEN

/// XRANGE key start end [COUNT count]
fn xrange(ctx: &mut Ctx, args: Args) {
    range_generic(ctx, args, false);
}

/// XREVRANGE key end start [COUNT count]
fn xrevrange(ctx: &mut Ctx, args: Args) {
    range_generic(ctx, args, true);
}

fn range_generic(ctx: &mut Ctx, args: Args, rev: bool) {
    let (start_arg, end_arg) = if rev { (args.get(3), args.get(2)) } else { (args.get(2), args.get(3)) };
    let Some((mut start, start_ex)) = parse_interval_id(start_arg, 0) else {
        ctx.reply().error(INVALID_ID);
        return;
    };
    if start_ex {
        match start.incr() {
            Some(s) => start = s,
            None => {
                ctx.reply().error("ERR invalid start ID for the interval");
                return;
            }
        }
    }
    let Some((mut end, end_ex)) = parse_interval_id(end_arg, u64::MAX) else {
        ctx.reply().error(INVALID_ID);
        return;
    };
    if end_ex {
        match end.decr() {
            Some(e) => end = e,
            None => {
                ctx.reply().error("ERR invalid end ID for the interval");
                return;
            }
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if args.is(j, "count") && j + 1 < args.len() {
            let Some(n) = int_arg(ctx.reply(), args.get(j + 1)) else { return };
            count = n.max(0);
            j += 2;
        } else {
            ctx.reply().err_syntax();
            return;
        }
    }
    let Ok((s, r)) = ctx.lookup_typed::<Stream>(Access::READ, args.get(1)) else { return };
    let Some(s) = s else {
        r.array(0);
        return;
    };
    if count == 0 {
        r.null_array();
        return;
    }
    let count = if count < 0 { 0 } else { count as usize };
    reply_range(r, s, start, end, count, rev);
}

/// XLEN key
fn xlen(ctx: &mut Ctx, args: Args) {
    if let Ok((s, r)) = ctx.lookup_typed::<Stream>(Access::READ, args.get(1)) {
        r.int(s.map_or(0, |s| s.length as i64));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// XREAD

/// XREAD's and XREADGROUP's options before STREAMS.
struct XreadOptions<'a> {
    /// GROUP's group and consumer names.
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
    /// XREADGROUP's CLAIM min-idle-time (Redis 8.4), -1 without CLAIM.
    claim: i64,
    /// MAXCOUNT and MAXSIZE (Redis 8.10), 0 when not given.
    maxcount: i64,
    maxsize: i64,
    /// BLOCK's deadline in ms (0: forever, -1: no BLOCK).
    timeout: i64,
    count: i64,
    /// The index of the first key after STREAMS.
    streams_arg: usize,
}

/// Parses the options up to STREAMS and checks they fit the command; None once an error was replied.
fn parse_xread_options<'a>(ctx: &mut Ctx, args: Args<'a>, xreadgroup: bool) -> Option<XreadOptions<'a>> {
    let argc = args.len();
    let mut o = XreadOptions {
        group: None,
        noack: false,
        claim: -1,
        maxcount: 0,
        maxsize: 0,
        timeout: -1,
        count: 0,
        streams_arg: 0,
    };
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        if args.is(i, "block") && more > 0 {
            if ctx.client().id == crate::scripting::SCRIPT_CLIENT_ID {
                let name = String::from_utf8_lossy(args.get(0)).into_owned();
                ctx.reply().error(&format!("ERR {name} command is not allowed with BLOCK option from scripts"));
                return None;
            }
            i += 1;
            let t = ms_timeout_arg(ctx.reply(), args.get(i))?;
            o.timeout = if t > 0 { t.checked_add(ctx.now_ms()).unwrap_or(0) } else { 0 };
        } else if args.is(i, "count") && more > 0 {
            i += 1;
            let n = int_arg(ctx.reply(), args.get(i))?;
            o.count = n.max(0);
        } else if args.is(i, "streams") && more > 0 {
            o.streams_arg = i + 1;
            if (argc - o.streams_arg) % 2 != 0 {
                ctx.reply()
                    .error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
                return None;
            }
            break;
        } else if args.is(i, "group") && more >= 2 {
            if !xreadgroup {
                ctx.reply().error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                return None;
            }
            o.group = Some((args.get(i + 1), args.get(i + 2)));
            i += 2;
        } else if (args.is(i, "maxcount") || args.is(i, "maxsize")) && more > 0 {
            let name = if args.is(i, "maxcount") { "MAXCOUNT" } else { "MAXSIZE" };
            i += 1;
            let Some(n) = crate::util::parse_i64(args.get(i)).filter(|&n| n > 0) else {
                ctx.reply().error(&format!("ERR {name} must be a positive integer"));
                return None;
            };
            if name == "MAXCOUNT" {
                o.maxcount = n;
            } else {
                o.maxsize = n;
            }
        } else if args.is(i, "claim") && more > 0 {
            if !xreadgroup {
                ctx.reply().error("ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead.");
                return None;
            }
            i += 1;
            o.claim = claim_arg(ctx.reply(), args.get(i))?;
        } else if args.is(i, "noack") {
            if !xreadgroup {
                ctx.reply().error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                return None;
            }
            o.noack = true;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        i += 1;
    }
    if o.streams_arg == 0 {
        ctx.reply().err_syntax();
        return None;
    }
    if o.maxcount > 0 && o.count > 0 && o.maxcount < o.count {
        ctx.reply().error("ERR MAXCOUNT must be greater than or equal to COUNT");
        return None;
    }
    if xreadgroup && o.group.is_none() {
        ctx.reply().error("ERR Missing GROUP option for XREADGROUP");
        return None;
    }
    Some(o)
}

/// XREADGROUP's CLAIM min-idle-time (Redis 8.4): a non-negative integer, with `xreadCommand`'s two errors.
fn claim_arg(r: &mut Reply, arg: &[u8]) -> Option<i64> {
    match crate::util::parse_i64(arg) {
        None => {
            r.error("ERR min-idle-time is not an integer or out of range");
            None
        }
        Some(n) if n < 0 => {
            r.error("ERR min-idle-time must be a positive integer");
            None
        }
        Some(n) => Some(n),
    }
}

/// Looks up the `n` streams (checking the group exists for XREADGROUP) and parses their ids (`$`, `+`, `>` or an
/// id): the ids to read after, and which ones asked for the last entry (`+`). None once an error was replied.
fn parse_xread_ids(
    ctx: &mut Ctx,
    args: Args,
    o: &XreadOptions,
    xreadgroup: bool,
    n: usize,
) -> Option<(Vec<StreamId>, Vec<bool>)> {
    let mut ids = Vec::with_capacity(n);
    let mut last_entry = vec![false; n];
    for k in 0..n {
        let key = args.get(o.streams_arg + k);
        let id_arg = args.get(o.streams_arg + n + k);
        let last = match ctx.lookup_typed::<Stream>(Access::READ, key) {
            Err(_) => return None,
            Ok((s, r)) => {
                if let Some((gname, _)) = o.group {
                    if !s.as_ref().is_some_and(|s| s.groups.contains_key(gname)) {
                        r.error(&format!(
                            "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                            c_text(key),
                            c_text(gname)
                        ));
                        return None;
                    }
                }
                s.map(|s| s.last_id)
            }
        };
        if id_arg == b"$" {
            if xreadgroup {
                ctx.reply().error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                return None;
            }
            ids.push(last.unwrap_or(StreamId::MIN));
            continue;
        }
        if id_arg == b"+" {
            // Redis 7.4: the stream's last entry (entries after the id before its last id), 0-0 for a missing key.
            if xreadgroup {
                ctx.reply().error("ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.");
                return None;
            }
            match last.map(StreamId::decr) {
                None => ids.push(StreamId::MIN),
                Some(Some(before_last)) => ids.push(before_last),
                Some(None) => {
                    ctx.reply().error("ERR the stream last element ID is 0-0");
                    return None;
                }
            }
            if let Some(flag) = last_entry.get_mut(k) {
                *flag = true;
            }
            continue;
        }
        if id_arg == b">" {
            if xreadgroup {
                ids.push(StreamId::MAX);
                continue;
            }
            ctx.reply().error(
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            );
            return None;
        }
        let p = id_or_reply(ctx.reply(), id_arg, 0, true, false)?;
        ids.push(p.id);
    }
    Some((ids, last_entry))
}

/// MAXCOUNT and MAXSIZE (Redis 8.10): what is left of the caps on a whole XREAD / XREADGROUP reply, across its
/// streams (served in the order given). MAXSIZE is soft: the first entry is always given, and an entry is given
/// while the entries' RESP bytes so far plus its own stay within the cap; once one is refused, no later stream is
/// served.
#[derive(Clone, Copy, Debug)]
pub(super) struct ReadBudget {
    /// Entries still allowed ([`usize::MAX`]: no MAXCOUNT).
    entries: usize,
    /// MAXSIZE in bytes (0: none).
    maxsize: usize,
    bytes: usize,
    given: usize,
}

impl ReadBudget {
    pub(super) fn new(maxcount: i64, maxsize: i64) -> Self {
        let entries = if maxcount > 0 { maxcount as usize } else { usize::MAX };
        ReadBudget { entries, maxsize: maxsize.max(0) as usize, bytes: 0, given: 0 }
    }

    /// Whether MAXCOUNT or MAXSIZE was given at all.
    pub(super) fn active(&self) -> bool {
        self.entries != usize::MAX || self.maxsize > 0
    }

    /// Whether no further entry may be given.
    pub(super) fn exhausted(&self) -> bool {
        self.entries == 0
    }

    /// At most `take` entries, within MAXCOUNT.
    pub(super) fn cap(&self, take: usize) -> usize {
        take.min(self.entries)
    }

    /// Counts an entry of `size` reply bytes when it fits; a refused one ends the reply.
    pub(super) fn admit(&mut self, size: usize) -> bool {
        if self.entries == 0 {
            return false;
        }
        if self.maxsize > 0 && self.given > 0 && self.bytes.saturating_add(size) > self.maxsize {
            self.entries = 0;
            return false;
        }
        if self.entries != usize::MAX {
            self.entries -= 1;
        }
        self.bytes = self.bytes.saturating_add(size);
        self.given += 1;
        true
    }
}

/// The RESP size of an entry as `write` replies it (in the protocol of `like`).
pub(super) fn entry_size(like: &Reply, write: impl FnOnce(&mut Reply)) -> usize {
    let mut scratch = Reply::new();
    scratch.proto = like.proto;
    write(&mut scratch);
    scratch.pending_len()
}

/// XREAD's answer under MAXCOUNT / MAXSIZE: the `served` streams in order, each with the entries the caps leave
/// (streams past the caps left out).
#[allow(clippy::too_many_arguments)]
fn reply_xread_capped(
    ctx: &mut Ctx,
    args: Args,
    streams_arg: usize,
    ids: &[StreamId],
    served: Vec<usize>,
    count: i64,
    mut budget: ReadBudget,
) {
    let (db, r) = ctx.db_and_reply();
    let resp3 = r.is_resp3();
    let mut body = Reply::new();
    body.proto = r.proto;
    let mut n = 0;
    for k in served {
        if budget.exhausted() {
            break;
        }
        let key = args.get(streams_arg + k);
        let stream = db.find(key).and_then(|e| e.value()).and_then(|v| match v {
            crate::keyspace::object::Value::Stream(s) => Some(&**s),
            _ => None,
        });
        let (Some(s), Some(start)) = (stream, ids[k].incr()) else { continue };
        let take = budget.cap(if count > 0 { count as usize } else { usize::MAX });
        let entries: Vec<EntryRef<'_>> = s
            .range(start, StreamId::MAX, false)
            .take(take)
            .take_while(|e| budget.admit(entry_size(&body, |x| reply_entry(x, e))))
            .collect();
        if entries.is_empty() {
            continue;
        }
        n += 1;
        if !resp3 {
            body.array(2);
        }
        body.bulk(key);
        body.array(entries.len());
        for e in &entries {
            reply_entry(&mut body, e);
        }
    }
    if n == 0 {
        r.null_array();
        return;
    }
    if resp3 {
        r.map(n);
    } else {
        r.array(n);
    }
    r.raw_bytes(body.pending());
}

/// Replies XREAD's answer for the `served` streams (indexes among the keys): each key with its entries after its
/// id, a map in RESP3.
fn reply_xread(ctx: &mut Ctx, args: Args, streams_arg: usize, ids: &[StreamId], served: Vec<usize>, count: i64) {
    let (db, r) = ctx.db_and_reply();
    let resp3 = r.is_resp3();
    if resp3 {
        r.map(served.len());
    } else {
        r.array(served.len());
    }
    for k in served {
        let key = args.get(streams_arg + k);
        if !resp3 {
            r.array(2);
        }
        r.bulk(key);
        let stream = db.find(key).and_then(|e| e.value()).and_then(|v| match v {
            crate::keyspace::object::Value::Stream(s) => Some(&**s),
            _ => None,
        });
        match (stream, ids[k].incr()) {
            (Some(s), Some(start)) => {
                reply_range(r, s, start, StreamId::MAX, count as usize, false);
            }
            _ => r.array(0),
        }
    }
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
fn xread(ctx: &mut Ctx, args: Args) {
    // XREAD and XREADGROUP share this handler, told apart as Redis does (by the name's length).
    let xreadgroup = args.get(0).len() == 10;
    if ctx.blocking().served_wait().is_some() {
        if xreadgroup {
            xreadgroup_serve_blocked(ctx, args);
        } else {
            xread_serve_blocked(ctx, args);
        }
        return;
    }
    let Some(o) = parse_xread_options(ctx, args, xreadgroup) else { return };
    let (streams_arg, count, timeout) = (o.streams_arg, o.count, o.timeout);
    let n = (args.len() - streams_arg) / 2;
    let Some((ids, last_entry)) = parse_xread_ids(ctx, args, &o, xreadgroup, n) else { return };
    if let Some((gname, cname)) = o.group {
        let keys: Vec<&[u8]> = (0..n).map(|k| args.get(streams_arg + k)).collect();
        let budget = ReadBudget::new(o.maxcount, o.maxsize);
        let read = GroupRead { gname, cname, noack: o.noack, count, claim: o.claim, budget };
        xreadgroup_now(ctx, args, &keys, &ids, &read, timeout);
        return;
    }
    // Which streams have something after their id (each key looked up again, as Redis does).
    let mut served = Vec::new();
    for (k, &gt) in ids.iter().enumerate() {
        let key = args.get(streams_arg + k);
        if let Ok((Some(s), _)) = ctx.lookup_typed::<Stream>(Access::READ, key) {
            if s.length > 0 && s.last_valid_id() > gt {
                served.push(k);
            }
        }
    }
    if !served.is_empty() {
        let budget = ReadBudget::new(o.maxcount, o.maxsize);
        if budget.active() {
            reply_xread_capped(ctx, args, streams_arg, &ids, served, count, budget);
        } else {
            reply_xread(ctx, args, streams_arg, &ids, served, count);
        }
        return;
    }
    if timeout != -1 {
        let keys: Vec<&[u8]> = (0..n).map(|k| args.get(streams_arg + k)).collect();
        let count = if count > 0 { count as usize } else { BLOCKED_DEFAULT_COUNT };
        let count = if o.maxcount > 0 { count.min(o.maxcount as usize) } else { count };
        let wait = StreamWait { ids, count, last_entry, claim: None };
        block_with(ctx, args, &keys, timeout, BlockKind::Stream, TimeoutReply::NullArray, Some(wait));
        return;
    }
    ctx.reply().null_array();
}

/// A blocked XREAD re-run for the one key that changed (`serveClientsBlockedOnStreamKey`): answers with that
/// stream's entries after the awaited id when its last id passed it, else waits on.
fn xread_serve_blocked(ctx: &mut Ctx, args: Args) {
    let Some((key, b)) = ctx.blocking().served_wait() else { return };
    let key = key.to_vec();
    let (Some(wait), pos) = (b.stream.clone(), b.keys.iter().position(|k| *k == key)) else { return };
    let Some(mut gt) = pos.and_then(|p| wait.ids.get(p).copied()) else { return };
    let plus = pos.is_some_and(|p| wait.last_entry.get(p).copied().unwrap_or(false));
    let (deadline, keys) = (b.deadline_ms, b.keys.clone());
    let last = match ctx.lookup_typed::<Stream>(Access::READ, &key) {
        Ok((Some(s), r)) if plus => {
            // `+` is resolved now: served when the stream's last entry is still its last id (not deleted); a
            // stream created empty (XGROUP CREATE .. MKSTREAM) has no id before its last: Redis 7.4's error.
            match s.last_id.decr() {
                None => {
                    r.error("ERR the stream last element ID is 0-0");
                    return;
                }
                Some(before_last) => gt = before_last,
            }
            (s.length > 0).then(|| s.last_valid_id())
        }
        Ok((Some(s), _)) => Some(s.last_id),
        _ => None,
    };
    if last.is_none_or(|l| l <= gt) {
        // Not yet: keep waiting in place (the server keeps the original wait and deadline).
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        block_with(ctx, args, &keys, deadline, BlockKind::Stream, TimeoutReply::NullArray, Some(wait));
        return;
    }
    let Ok((Some(s), r)) = ctx.lookup_typed::<Stream>(Access::READ, &key) else { return };
    one_key_header(r, &key);
    match gt.incr() {
        Some(start) => {
            reply_range(r, s, start, StreamId::MAX, wait.count, false);
        }
        None => r.array(0),
    }
}

/// The head of an XREAD or XREADGROUP reply served to a client that was blocked on one key: a one-entry map
/// (RESP3) or a one-element array of `[key, entries]` (RESP2), up to the key; the entries follow.
pub(super) fn one_key_header(r: &mut Reply, key: &[u8]) {
    if r.is_resp3() {
        r.map(1);
    } else {
        r.array(1);
        r.array(2);
    }
    r.bulk(key);
}
