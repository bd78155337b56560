//! Server commands: TIME, LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF, SHUTDOWN, MONITOR, SLOWLOG, and the MEMORY table
//! (its handlers are in `memory.rs`).

use super::shared::{help_entry, reply_help};
use super::{flag, memory, Args, Command, Ctx, Group, KeySpec, KeySpecDef, BASE};
use crate::keyspace::object::Entry;
use crate::net::client::flags as cf;
use crate::resp::reply::Reply;
use crate::state::Action;
use crate::util::parse_i64;

const SERVER: Command = Command { group: Group::Server, ..BASE };
const KEY_AT_2: KeySpec = KeySpec { first: 2, last: 2, step: 1 };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "time",
        arity: 1,
        flags: flag::LOADING | flag::STALE | flag::FAST,
        acl: "fast",
        since: "2.6.0",
        summary: "Return the current server time",
        handler: time,
        tips: "nondeterministic_output",
        ..SERVER
    },
    Command {
        name: "lastsave",
        arity: 1,
        flags: flag::LOADING | flag::STALE | flag::FAST,
        acl: "admin fast dangerous",
        summary: "Get the UNIX time stamp of the last successful save to disk",
        handler: lastsave,
        tips: "nondeterministic_output",
        ..SERVER
    },
    Command {
        name: "save",
        arity: 1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Synchronously save the dataset to disk",
        complexity: "O(N) where N is the total number of keys in all databases",
        handler: save,
        ..SERVER
    },
    Command {
        name: "bgsave",
        arity: -1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Asynchronously save the dataset to disk",
        syntax: "[SCHEDULE]{@3.2.2}",
        history: &[("3.2.2", "Added the `SCHEDULE` option.")],
        handler: bgsave,
        ..SERVER
    },
    Command {
        name: "bgrewriteaof",
        arity: 1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Asynchronously rewrite the append-only file",
        handler: bgrewriteaof,
        ..SERVER
    },
    Command {
        name: "shutdown",
        arity: -1,
        flags: flag::ADMIN
            | flag::NOSCRIPT
            | flag::LOADING
            | flag::STALE
            | flag::NO_MULTI
            | flag::ALLOW_BUSY
            | flag::SEES_CLIENTS
            | flag::SENTINEL,
        acl: "admin slow dangerous",
        summary: "Synchronously save the dataset to disk and then shut down the server",
        complexity:
            "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        syntax: "[NOSAVE | SAVE] [NOW]{@7.0.0} [FORCE]{@7.0.0} [ABORT]{@7.0.0}",
        handler: shutdown,
        history: &[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")],
        ..SERVER
    },
    Command {
        name: "monitor",
        arity: 1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Listen for all requests received by the server in real time",
        complexity: "",
        handler: monitor,
        ..SERVER
    },
    Command {
        name: "slowlog",
        arity: -2,
        acl: "slow",
        since: "2.2.12",
        summary: "A container for slow log commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: SLOWLOG_SUBCOMMANDS,
        ..SERVER
    },
    Command {
        name: "memory",
        arity: -2,
        flags: SERVER.flags | flag::SEES_CLIENTS,
        acl: "slow",
        since: "4.0.0",
        summary: "A container for memory diagnostics commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: MEMORY_SUBCOMMANDS,
        ..SERVER
    },
    // Valkey 8.1 (not in Redis 7.0).
    Command {
        name: "commandlog",
        arity: -2,
        acl: "slow",
        since: "8.1.0",
        summary: "A container for command log commands.",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: COMMANDLOG_SUBCOMMANDS,
        ..SERVER
    },
];

const COMMANDLOG_SUB: Command = Command { since: "8.1.0", ..SLOWLOG_SUB };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static COMMANDLOG_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: 4,
        summary: "Returns the specified command log's entries.",
        complexity: "O(N) where N is the number of entries returned",
        syntax: "count{:integer} <SLOW | LARGE-REQUEST | LARGE-REPLY>{type}",
        handler: commandlog_get,
        tips: "request_policy:all_nodes nondeterministic_output",
        ..COMMANDLOG_SUB
    },
    Command { complexity: "O(1)", ..help_entry(COMMANDLOG_SUB, commandlog_help) },
    Command {
        name: "len",
        arity: 3,
        summary: "Returns the number of entries in the specified type of command log.",
        complexity: "O(1)",
        syntax: "<SLOW | LARGE-REQUEST | LARGE-REPLY>{type}",
        handler: commandlog_len,
        tips: "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
        ..COMMANDLOG_SUB
    },
    Command {
        name: "reset",
        arity: 3,
        summary: "Clears all entries from the specified type of command log.",
        complexity: "O(N) where N is the number of entries in the commandlog",
        syntax: "<SLOW | LARGE-REQUEST | LARGE-REPLY>{type}",
        handler: commandlog_reset,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        ..COMMANDLOG_SUB
    },
];

const SLOWLOG_SUB: Command = Command {
    flags: flag::ADMIN | flag::LOADING | flag::STALE,
    acl: "admin slow dangerous",
    since: "2.2.12",
    ..SERVER
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SLOWLOG_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: -2,
        summary: "Get the slow log's entries",
        complexity: "O(N) where N is the number of entries returned",
        syntax: "[count]",
        handler: slowlog_get,
        tips: "request_policy:all_nodes nondeterministic_output",
        history: &[("4.0.0", "Added client IP address, port and name to the reply.")],
        ..SLOWLOG_SUB
    },
    Command {
        name: "len",
        arity: 2,
        summary: "Get the slow log's length",
        handler: slowlog_len,
        tips: "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
        ..SLOWLOG_SUB
    },
    Command {
        name: "reset",
        arity: 2,
        summary: "Clear all entries from the slow log",
        complexity: "O(N) where N is the number of entries in the slowlog",
        handler: slowlog_reset,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        ..SLOWLOG_SUB
    },
    Command { since: "6.2.0", ..help_entry(SLOWLOG_SUB, slowlog_help) },
];

const MEMORY_SUB: Command = Command {
    since: "4.0.0",
    tips: "nondeterministic_output request_policy:all_shards response_policy:special",
    ..SERVER
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static MEMORY_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "doctor",
        arity: 2,
        acl: "slow",
        summary: "Outputs memory problems report",
        handler: memory::memory_doctor,
        ..MEMORY_SUB
    },
    Command {
        name: "malloc-stats",
        arity: 2,
        acl: "slow",
        summary: "Show allocator internal stats",
        complexity: "Depends on how much memory is allocated, could be slow",
        handler: memory::memory_malloc_stats,
        ..MEMORY_SUB
    },
    Command {
        name: "purge",
        arity: 2,
        acl: "slow",
        summary: "Ask the allocator to release memory",
        complexity: "Depends on how much memory is allocated, could be slow",
        tips: "request_policy:all_shards response_policy:all_succeeded",
        handler: memory::memory_purge,
        ..MEMORY_SUB
    },
    Command {
        name: "stats",
        arity: 2,
        acl: "slow",
        summary: "Show memory usage details",
        handler: memory::memory_stats,
        ..MEMORY_SUB
    },
    Command {
        name: "usage",
        arity: -3,
        flags: flag::READONLY,
        acl: "read slow",
        keys: KEY_AT_2,
        key_specs: &[KeySpecDef::at(2, "RO")],
        since: "4.0.0",
        summary: "Estimate the memory usage of a key",
        complexity: "O(N) where N is the number of samples.",
        syntax: "key [SAMPLES count]",
        handler: memory::memory_usage,
        ..SERVER
    },
    Command { since: "4.0.0", ..help_entry(SERVER, memory::memory_help) },
];

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`, the error commands give
/// when a subcommand they parse themselves is unknown or has the wrong argument count.
pub(crate) fn err_subcommand_syntax(r: &mut Reply, cmd: &str, sub: &[u8]) {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    r.error(&format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        cmd.to_ascii_uppercase()
    ));
}

// ---------------------------------------------------------------------------------------------------------------
// TIME LASTSAVE SHUTDOWN MONITOR

/// TIME
fn time(ctx: &mut Ctx, _args: Args) {
    let us = crate::util::now_us();
    let r = ctx.reply();
    r.array(2);
    r.bulk_int(us / 1_000_000);
    r.bulk_int(us % 1_000_000);
}

/// LASTSAVE
fn lastsave(ctx: &mut Ctx, _args: Args) {
    let t = ctx.server_mut().persist.lastsave_s;
    ctx.reply().int(t);
}

/// SHUTDOWN [NOSAVE | SAVE] \[NOW\] \[FORCE\] \[ABORT\]
///
/// Redis's `shutdownCommand`: the caller blocks and the event loop performs [`Action::Shutdown`]. On success no reply
/// comes: the process exits under the connection, at once or, with lagging replicas and no NOW, once they caught
/// up or `shutdown-timeout` passed. A failed shutdown (or an aborted wait) answers every client blocked in
/// SHUTDOWN with an error. ABORT cancels a wait, or a SIGTERM/SIGINT the cron has not acted on yet.
fn shutdown(ctx: &mut Ctx, args: Args) {
    let mut flags = crate::state::ShutdownFlags::default();
    let mut abort = false;
    for i in 1..args.len() {
        if args.is(i, "nosave") {
            flags.nosave = true;
        } else if args.is(i, "save") {
            flags.save = true;
        } else if args.is(i, "now") {
            flags.now = true;
        } else if args.is(i, "force") {
            flags.force = true;
        } else if args.is(i, "abort") {
            abort = true;
        } else {
            ctx.reply().err_syntax();
            return;
        }
    }
    if (abort && flags != crate::state::ShutdownFlags::default()) || (flags.nosave && flags.save) {
        ctx.reply().err_syntax();
        return;
    }
    if abort {
        // A signal not acted on yet is simply forgotten; a wait for replicas is cancelled by the event loop, which
        // answers the clients blocked in SHUTDOWN.
        let initiated = ctx.server_mut().shutdown.initiated();
        let signalled = crate::state::ShutdownState::cancel_signal();
        if initiated {
            ctx.server_mut().actions.push(Action::AbortShutdown);
        }
        if initiated || signalled {
            crate::log_notice!("Shutdown manually aborted.");
            ctx.reply().ok();
        } else {
            ctx.reply().error("ERR No shutdown in progress.");
        }
        return;
    }
    if !flags.now && ctx.client().has(cf::DENY_BLOCKING) {
        ctx.reply().error("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
        return;
    }
    // While a busy script lets clients in, only SHUTDOWN NOSAVE may stop the server.
    if !flags.nosave && ctx.server_mut().scripting.is_timedout() {
        let msg = ctx.server_mut().scripting.busy_error();
        ctx.reply().error(msg);
        return;
    }
    ctx.server_mut().actions.push(Action::Shutdown(flags));
}

/// SAVE
fn save(ctx: &mut Ctx, _args: Args) {
    if ctx.server_mut().persist.child_kind() == Some(crate::persist::engine::ChildKind::Rdb) {
        ctx.reply().error("ERR Background save already in progress");
        return;
    }
    // Counted when it starts, saved or not (FLUSHALL's and SHUTDOWN's saves are not counted), as Redis.
    ctx.server_mut().persist.stats.rdb_saves += 1;
    if ctx.server_mut().save_now() {
        ctx.reply().ok();
    } else {
        ctx.reply().error("ERR");
    }
}

/// BGSAVE \[SCHEDULE\]
fn bgsave(ctx: &mut Ctx, args: Args) {
    let schedule = match args.len() {
        1 => false,
        2 if args.is(1, "schedule") => true,
        _ => {
            ctx.reply().err_syntax();
            return;
        }
    };
    // Inside EXEC the fork waits for the transaction to end, as in Redis.
    let in_exec = ctx.client().has(cf::MULTI);
    match ctx.server_mut().persist.child_kind() {
        Some(crate::persist::engine::ChildKind::Rdb) => ctx.reply().error("ERR Background save already in progress"),
        Some(_) if !(schedule || in_exec) => ctx.reply().error(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to \
             schedule a BGSAVE whenever possible.",
        ),
        Some(_) => {
            ctx.server_mut().persist.bgsave_scheduled = true;
            ctx.reply().simple("Background saving scheduled");
        }
        None if in_exec => {
            ctx.server_mut().persist.bgsave_scheduled = true;
            ctx.reply().simple("Background saving scheduled");
        }
        None => match ctx.server_mut().start_bgsave() {
            Ok(_) => ctx.reply().simple("Background saving started"),
            Err(_) => ctx.reply().error("ERR"),
        },
    }
}

fn schedule_aof_rewrite(ctx: &mut Ctx) {
    ctx.server_mut().persist.aof_rewrite_scheduled = true;
    ctx.server_mut().persist.stats.aof_rewrites_consecutive_failures = 0;
    ctx.reply().simple("Background append only file rewriting scheduled");
}

/// BGREWRITEAOF
fn bgrewriteaof(ctx: &mut Ctx, _args: Args) {
    match ctx.server_mut().persist.child_kind() {
        Some(crate::persist::engine::ChildKind::Aof) => {
            ctx.reply().error("ERR Background append only file rewriting already in progress")
        }
        // Another child, or inside EXEC: the cron starts it when it can, as in Redis.
        Some(_) => schedule_aof_rewrite(ctx),
        None if ctx.client().has(cf::MULTI) => schedule_aof_rewrite(ctx),
        None => {
            // The server forks right after this command: it owns the AOF files the rewrite switches.
            ctx.server_mut().persist.aof_rewrite_scheduled = true;
            ctx.server_mut().actions.push(Action::StartAofRewrite);
            ctx.reply().simple("Background append only file rewriting started");
        }
    }
}

/// MONITOR
fn monitor(ctx: &mut Ctx, _args: Args) {
    // A client that expects one reply per command (inside EXEC) cannot turn into a feed.
    if ctx.client().has(cf::DENY_BLOCKING) {
        ctx.reply().error("ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    if ctx.client().has(cf::MONITOR) {
        return;
    }
    ctx.client_mut().flags |= cf::MONITOR;
    let id = ctx.client().id;
    ctx.server_mut().clients.monitors.push(id);
    ctx.reply().ok();
}

// ---------------------------------------------------------------------------------------------------------------
// SLOWLOG (entries in `srv.commandlog.slow.entries` are kept newest first)

/// SLOWLOG GET \[count\]
fn slowlog_get(ctx: &mut Ctx, args: Args) {
    if args.len() > 3 {
        err_subcommand_syntax(ctx.reply(), "slowlog", args.get(1));
        return;
    }
    let mut count = Some(10usize);
    if args.len() == 3 {
        let Some(n) = log_count_arg(ctx.reply(), args.get(2)) else { return };
        count = n;
    }
    let (client, srv) = ctx.client_and_server();
    reply_log_entries(&mut client.reply, &srv.commandlog.slow.entries, count);
}

/// A SLOWLOG / COMMANDLOG GET count: `Some(None)` for -1 (every entry), None after replying the error.
fn log_count_arg(r: &mut Reply, a: &[u8]) -> Option<Option<usize>> {
    match parse_i64(a) {
        Some(-1) => Some(None),
        Some(n) if n >= 0 => Some(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        _ => {
            r.error("ERR count should be greater than or equal to -1");
            None
        }
    }
}

/// The newest `count` entries of a slow or command log (all of them for None), as SLOWLOG GET replies them.
fn reply_log_entries(
    r: &mut Reply,
    log: &std::collections::VecDeque<crate::state::SlowlogEntry>,
    count: Option<usize>,
) {
    let count = count.unwrap_or(usize::MAX).min(log.len());
    r.array(count);
    for e in log.iter().take(count) {
        r.array(6);
        r.int(e.id as i64);
        r.int(e.time_s);
        r.int(e.duration_us as i64);
        r.array(e.argv.len());
        for a in &e.argv {
            r.bulk(a);
        }
        r.bulk(e.peer.as_bytes());
        r.bulk(&e.name);
    }
}

/// SLOWLOG LEN
fn slowlog_len(ctx: &mut Ctx, _args: Args) {
    let n = ctx.server_mut().commandlog.slow.entries.len();
    ctx.reply().int(n as i64);
}

/// SLOWLOG RESET
fn slowlog_reset(ctx: &mut Ctx, _args: Args) {
    ctx.server_mut().commandlog.slow.entries.clear();
    ctx.reply().ok();
}

/// SLOWLOG HELP
fn slowlog_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "slowlog",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// COMMANDLOG (Valkey 8.1): the slow log plus the large-request and large-reply logs, each newest first.

/// The three logs COMMANDLOG names.
#[derive(Clone, Copy)]
enum LogType {
    Slow,
    LargeRequest,
    LargeReply,
}

/// A COMMANDLOG type argument (any case), or None after replying Valkey's error.
fn log_type_arg(r: &mut Reply, a: &[u8]) -> Option<LogType> {
    if a.eq_ignore_ascii_case(b"slow") {
        Some(LogType::Slow)
    } else if a.eq_ignore_ascii_case(b"large-request") {
        Some(LogType::LargeRequest)
    } else if a.eq_ignore_ascii_case(b"large-reply") {
        Some(LogType::LargeReply)
    } else {
        r.error("ERR type should be one of the following: slow, large-request, large-reply");
        None
    }
}

fn log_of(
    srv: &mut crate::state::ServerState,
    t: LogType,
) -> &mut std::collections::VecDeque<crate::state::SlowlogEntry> {
    match t {
        LogType::Slow => &mut srv.commandlog.slow.entries,
        LogType::LargeRequest => &mut srv.commandlog.large_requests.entries,
        LogType::LargeReply => &mut srv.commandlog.large_replies.entries,
    }
}

/// COMMANDLOG GET count <SLOW | LARGE-REQUEST | LARGE-REPLY>: the count is checked before the type, as Valkey.
fn commandlog_get(ctx: &mut Ctx, args: Args) {
    let Some(count) = log_count_arg(ctx.reply(), args.get(2)) else { return };
    let Some(t) = log_type_arg(ctx.reply(), args.get(3)) else { return };
    let (client, srv) = ctx.client_and_server();
    reply_log_entries(&mut client.reply, log_of(srv, t), count);
}

/// COMMANDLOG LEN <SLOW | LARGE-REQUEST | LARGE-REPLY>
fn commandlog_len(ctx: &mut Ctx, args: Args) {
    let Some(t) = log_type_arg(ctx.reply(), args.get(2)) else { return };
    let n = log_of(ctx.server_mut(), t).len();
    ctx.reply().int(n as i64);
}

/// COMMANDLOG RESET <SLOW | LARGE-REQUEST | LARGE-REPLY>
fn commandlog_reset(ctx: &mut Ctx, args: Args) {
    let Some(t) = log_type_arg(ctx.reply(), args.get(2)) else { return };
    log_of(ctx.server_mut(), t).clear();
    ctx.reply().ok();
}

/// COMMANDLOG HELP
fn commandlog_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "commandlog",
        &[
            "GET <count> <type>",
            "    Return top <count> entries of the specified <type> from the commandlog (-1 mean all).",
            "    Entries are made of:",
            "    id, timestamp,",
            "        time in microseconds for type of slow,",
            "        or size in bytes for type of large-request,",
            "        or size in bytes for type of large-reply",
            "    arguments array, client IP and port,",
            "    client name",
            "LEN <type>",
            "    Return the length of the specified type of commandlog.",
            "RESET <type>",
            "    Reset the specified type of commandlog.",
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// MEMORY

/// The size class jemalloc serves a request of `n` bytes from: 8, 16, then four classes per power of two
/// (spaced at least 16 apart).
pub(crate) fn jemalloc_size(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 16 {
        return 16;
    }
    let k = usize::BITS - (n - 1).leading_zeros() - 1; // 2^k < n <= 2^(k+1)
    let spacing = (1usize << k.saturating_sub(2)).max(16);
    n.div_ceil(spacing) * spacing
}

/// Header bytes of an sds string able to hold `len` bytes (the 1-byte `sdshdr5` aside).
pub(crate) fn sds_hdr(len: usize) -> usize {
    if len < 1 << 8 {
        3
    } else if len < 1 << 16 {
        5
    } else if (len as u64) < 1 << 32 {
        9
    } else {
        17
    }
}

/// The allocated length (`sdsalloc`) Redis would have for a raw string value we hold with `len` bytes in a buffer of
/// capacity `cap`. Our buffers mirror Redis's growth (see [`sds_reserve`]), so `cap > len` is Redis's figure. A
/// tight buffer is a fresh sds: `sdshdr5` under 32 bytes (no spare room), else the allocator's spare room, which
/// SET trims away when it exceeds a tenth of the length.
pub(crate) fn sds_alloc(len: usize, cap: usize) -> usize {
    if cap > len || (len < 32 && len > 0) {
        return cap.max(len);
    }
    if len == 0 {
        // An empty sds never uses the 1-byte header: it gets the allocator's minimum, 4 usable bytes.
        return jemalloc_size(3 + 1) - 3 - 1;
    }
    let hdr = sds_hdr(len);
    let alloc = jemalloc_size(hdr + len + 1) - hdr - 1;
    if alloc - len > len / 10 {
        len
    } else {
        alloc
    }
}

/// Gives a `raw` entry's buffer at least `cap` bytes of capacity, so a copied value keeps the sds allocation
/// Redis would have for it.
pub(crate) fn set_raw_capacity(e: &mut Entry, cap: usize) {
    if e.raw_capacity().is_none() {
        return;
    }
    if let Some(buf) = e.raw_mut() {
        if cap > buf.capacity() {
            let len = buf.len();
            buf.reserve_exact(cap - len);
        }
    }
}

/// The allocation `sdsnewlen` gives a copy of a `len`-byte string (Redis's `dupStringObject` of a raw value).
pub(crate) fn sds_new_alloc(len: usize) -> usize {
    if len < 32 {
        return len;
    }
    let hdr = sds_hdr(len);
    jemalloc_size(hdr + len + 1) - hdr - 1
}

/// Makes room for `add` more bytes the way Redis's `sdsMakeRoomFor` does (double up to 1MB, then +1MB, rounded up
/// to the allocator's size class), so that the buffer's capacity tracks what Redis would allocate.
pub(crate) fn sds_reserve(buf: &mut Vec<u8>, add: usize) {
    let len = buf.len();
    let alloc = sds_alloc(len, buf.capacity());
    let target = if alloc - len >= add {
        alloc
    } else {
        let mut newlen = len + add;
        if newlen < 1 << 20 {
            newlen *= 2;
        } else {
            newlen += 1 << 20;
        }
        let hdr = sds_hdr(newlen);
        let type_max = match hdr {
            3 => 255,
            5 => 65535,
            9 => u32::MAX as usize,
            _ => usize::MAX,
        };
        (jemalloc_size(hdr + newlen + 1) - hdr - 1).min(type_max)
    };
    if target > buf.capacity() {
        buf.reserve_exact(target - len);
    }
}

#[cfg(test)]
mod tests;
