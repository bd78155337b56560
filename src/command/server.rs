//! Server commands: TIME, LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF, SHUTDOWN, MONITOR, SLOWLOG, MEMORY USAGE and DEBUG.

use super::keys::{err_unknown_subcommand, idle_ms, is_shared_int, reply_help};
use super::string::int_arg;
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, BASE};
use crate::net::client::flags as cf;
use crate::object::{Encoding, Entry, StrRef};
use crate::resp::reply::Reply;
use crate::state::Action;
use crate::util::parse_i64;

const SERVER: Command = Command { group: Group::Server, ..BASE };
const KEY_AT_2: KeySpec = KeySpec { first: 2, last: 2, step: 1 };

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
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::NO_MULTI | flag::ALLOW_BUSY,
        acl: "admin slow dangerous",
        summary: "Synchronously save the dataset to disk and then shut down the server",
        complexity:
            "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        syntax: "[NOSAVE | SAVE] [NOW]{@7.0.0} [FORCE]{@7.0.0} [ABORT]{@7.0.0}",
        handler: shutdown,
        ..SERVER
    },
    Command {
        name: "monitor",
        arity: 1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
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
        handler: slowlog_container,
        subcommands: SLOWLOG_SUBCOMMANDS,
        ..SERVER
    },
    Command {
        name: "memory",
        arity: -2,
        acl: "slow",
        since: "4.0.0",
        summary: "A container for memory diagnostics commands",
        complexity: "Depends on subcommand.",
        handler: memory_container,
        subcommands: MEMORY_SUBCOMMANDS,
        ..SERVER
    },
    Command {
        name: "debug",
        arity: -2,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
        acl: "admin slow dangerous",
        summary: "A container for debugging commands",
        complexity: "Depends on subcommand.",
        handler: debug,
        ..SERVER
    },
];

const SLOWLOG_SUB: Command = Command {
    flags: flag::ADMIN | flag::LOADING | flag::STALE,
    acl: "admin slow dangerous",
    since: "2.2.12",
    ..SERVER
};

static SLOWLOG_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: -2,
        summary: "Get the slow log's entries",
        complexity: "O(N) where N is the number of entries returned",
        syntax: "[count]",
        handler: slowlog_get,
        tips: "request_policy:all_nodes nondeterministic_output",
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
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "slow",
        since: "6.2.0",
        summary: "Show helpful text about the different subcommands",
        handler: slowlog_help,
        ..SLOWLOG_SUB
    },
];

static MEMORY_SUBCOMMANDS: &[Command] = &[
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
        handler: memory_usage,
        ..SERVER
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "slow",
        since: "4.0.0",
        summary: "Show helpful text about the different subcommands",
        handler: memory_help,
        ..SERVER
    },
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
    let t = ctx.srv.lastsave_s;
    ctx.reply().int(t);
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
///
/// On success nothing is replied: the event loop performs `Action::Shutdown` and the connection goes away. With
/// no persistence configured SAVE shuts down like NOSAVE, as Redis does without save points.
fn shutdown(ctx: &mut Ctx, args: Args) {
    let (mut nosave, mut save, mut now, mut force, mut abort) = (false, false, false, false, false);
    for i in 1..args.len() {
        if args.is(i, "nosave") {
            nosave = true;
        } else if args.is(i, "save") {
            save = true;
        } else if args.is(i, "now") {
            now = true;
        } else if args.is(i, "force") {
            force = true;
        } else if args.is(i, "abort") {
            abort = true;
        } else {
            ctx.reply().err_syntax();
            return;
        }
    }
    let any = nosave || save || now || force;
    if (abort && any) || (nosave && save) {
        ctx.reply().err_syntax();
        return;
    }
    if abort {
        // Shutdowns here never wait for replicas, so there is never one to abort.
        ctx.reply().error("ERR No shutdown in progress.");
        return;
    }
    ctx.srv.actions.push(Action::Shutdown { nosave, save, now, force });
}

/// SAVE
fn save(ctx: &mut Ctx, _args: Args) {
    if ctx.srv.persist.child_kind() == Some(crate::persist::engine::ChildKind::Rdb) {
        ctx.reply().error("ERR Background save already in progress");
        return;
    }
    if ctx.srv.save_now() {
        ctx.reply().ok();
    } else {
        ctx.reply().error("ERR");
    }
}

/// BGSAVE [SCHEDULE]
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
    let in_exec = ctx.client.has(cf::MULTI);
    match ctx.srv.persist.child_kind() {
        Some(crate::persist::engine::ChildKind::Rdb) => ctx.reply().error("ERR Background save already in progress"),
        Some(_) if !(schedule || in_exec) => ctx.reply().error(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to \
             schedule a BGSAVE whenever possible.",
        ),
        Some(_) => {
            ctx.srv.persist.bgsave_scheduled = true;
            ctx.reply().simple("Background saving scheduled");
        }
        None if in_exec => {
            ctx.srv.persist.bgsave_scheduled = true;
            ctx.reply().simple("Background saving scheduled");
        }
        None => match ctx.srv.start_bgsave() {
            Ok(_) => ctx.reply().simple("Background saving started"),
            Err(_) => ctx.reply().error("ERR"),
        },
    }
}

/// BGREWRITEAOF
fn bgrewriteaof(ctx: &mut Ctx, _args: Args) {
    let in_exec = ctx.client.has(cf::MULTI);
    match ctx.srv.persist.child_kind() {
        Some(crate::persist::engine::ChildKind::Aof) => {
            ctx.reply().error("ERR Background append only file rewriting already in progress")
        }
        Some(_) => {
            ctx.srv.persist.aof_rewrite_scheduled = true;
            ctx.srv.persist.stats.aof_rewrites_consecutive_failures = 0;
            ctx.reply().simple("Background append only file rewriting scheduled");
        }
        None => {
            // The fork happens in the cron, right after this command (also outside EXEC): the server owns the
            // AOF files it must switch.
            let _ = in_exec;
            ctx.srv.persist.aof_rewrite_scheduled = true;
            ctx.srv.actions.push(Action::StartAofRewrite);
            ctx.reply().simple("Background append only file rewriting started");
        }
    }
}

/// MONITOR
fn monitor(ctx: &mut Ctx, _args: Args) {
    // A client that expects one reply per command (inside EXEC) cannot turn into a feed.
    if ctx.client.has(cf::DENY_BLOCKING) {
        ctx.reply().error("ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    if ctx.client.has(cf::MONITOR) {
        return;
    }
    ctx.client.flags |= cf::MONITOR;
    let id = ctx.client.id;
    ctx.srv.monitors.push(id);
    ctx.reply().ok();
}

// ---------------------------------------------------------------------------------------------------------------
// SLOWLOG (entries in `srv.slowlog` are kept newest first)

fn slowlog_container(ctx: &mut Ctx, args: Args) {
    let sub = if args.len() > 1 { args.get(1) } else { b"" };
    err_unknown_subcommand(ctx.reply(), "slowlog", sub);
}

/// SLOWLOG GET [count]
fn slowlog_get(ctx: &mut Ctx, args: Args) {
    if args.len() > 3 {
        err_subcommand_syntax(ctx.reply(), "slowlog", args.get(1));
        return;
    }
    let len = ctx.srv.slowlog.len();
    let mut count = 10usize;
    if args.len() == 3 {
        match parse_i64(args.get(2)) {
            Some(-1) => count = len,
            Some(n) if n >= 0 => count = usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                ctx.reply().error("ERR count should be greater than or equal to -1");
                return;
            }
        }
    }
    let count = count.min(len);
    let Ctx { client, srv } = ctx;
    let r = &mut client.reply;
    r.array(count);
    for e in srv.slowlog.iter().take(count) {
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
    let n = ctx.srv.slowlog.len();
    ctx.reply().int(n as i64);
}

/// SLOWLOG RESET
fn slowlog_reset(ctx: &mut Ctx, _args: Args) {
    ctx.srv.slowlog.clear();
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
// MEMORY

fn memory_container(ctx: &mut Ctx, args: Args) {
    let sub = if args.len() > 1 { args.get(1) } else { b"" };
    err_unknown_subcommand(ctx.reply(), "memory", sub);
}

/// The size class jemalloc serves a request of `n` bytes from: 8, 16, then four classes per power of two
/// (spaced at least 16 apart).
fn jemalloc_size(n: usize) -> usize {
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
fn sds_hdr(len: usize) -> usize {
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

/// Bytes of a Redis sds string of `len` bytes: header (by length class), data and terminator, rounded to the
/// allocator's size class. Keys shorter than 32 bytes use the 1-byte header.
fn sds_size(len: usize, key: bool) -> usize {
    let header = if key && len < 32 { 1 } else { sds_hdr(len) };
    jemalloc_size(header + len + 1)
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

/// Size of a Redis object header (`robj`).
const ROBJ_SIZE: usize = 16;
/// Size of a Redis dict entry.
const DICT_ENTRY_SIZE: usize = 24;

/// What Redis's MEMORY USAGE reports for this entry: value (as Redis lays it out) + key + dict entry.
fn redis_memory_usage(e: &Entry) -> usize {
    let value = match e.as_str() {
        Some(StrRef::Int(_)) if e.encoding() == Encoding::Int => ROBJ_SIZE,
        Some(s) => {
            let len = s.len();
            if e.encoding() == Encoding::Embstr {
                jemalloc_size(ROBJ_SIZE + 3 + len + 1)
            } else {
                let cap = e.raw_capacity().unwrap_or(len);
                let alloc = sds_alloc(len, cap);
                let hdr = if alloc == len && len < 32 { 1 } else { sds_hdr(alloc) };
                ROBJ_SIZE + jemalloc_size(hdr + alloc + 1)
            }
        }
        None => e.memory_usage(),
    };
    value + sds_size(e.key().len(), true) + DICT_ENTRY_SIZE
}

/// MEMORY USAGE key [SAMPLES count]
fn memory_usage(ctx: &mut Ctx, args: Args) {
    let mut j = 3;
    while j < args.len() {
        if args.is(j, "samples") && j + 1 < args.len() {
            let Some(n) = int_arg(ctx.reply(), args.get(j + 1)) else { return };
            if n < 0 {
                ctx.reply().err_syntax();
                return;
            }
            j += 2;
        } else {
            ctx.reply().err_syntax();
            return;
        }
    }
    // Like Redis, this peeks at the table directly: no expiry, no LRU touch, no hit/miss accounting.
    let usage = ctx.srv.dbs[ctx.client.db].keys.get(args.get(2)).map(redis_memory_usage);
    match usage {
        Some(n) => ctx.reply().int(n as i64),
        None => ctx.reply().null(),
    }
}

/// MEMORY HELP
fn memory_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "memory",
        &[
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// DEBUG

/// Parses the longest prefix of `s` that C's `strtod` would read; 0 when there is none.
fn strtod_prefix(s: &[u8]) -> f64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut ndigits = i - digits_start;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let f = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        ndigits += i - f;
    }
    if ndigits == 0 {
        return 0.0;
    }
    let mut end = i;
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut k = i + 1;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            k += 1;
        }
        let e = k;
        while k < s.len() && s[k].is_ascii_digit() {
            k += 1;
        }
        if k > e {
            end = k;
        }
    }
    std::str::from_utf8(&s[start..end]).ok().and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0)
}

/// Length of an RDB length prefix.
fn rdb_len_size(n: u64) -> usize {
    if n < 1 << 6 {
        1
    } else if n < 1 << 14 {
        2
    } else if n <= u32::MAX as u64 {
        5
    } else {
        9
    }
}

/// Bytes an integer takes in the RDB string encoding (int8/16/32 forms, else its decimal text).
fn rdb_int_size(n: i64) -> usize {
    if i8::try_from(n).is_ok() {
        2
    } else if i16::try_from(n).is_ok() {
        3
    } else if i32::try_from(n).is_ok() {
        5
    } else {
        let mut b = [0u8; 24];
        let l = crate::util::itoa_buf(n, &mut b).len();
        rdb_len_size(l as u64) + l
    }
}

/// The RDB-serialized length of a string value: integer forms, LZF-compressed form when that saves at least four
/// bytes of a string over 20 bytes (RDB compression is on by default), or length-prefixed bytes.
fn rdb_string_size(s: StrRef) -> usize {
    match s {
        StrRef::Int(n) => rdb_int_size(n),
        StrRef::Bytes(b) => {
            if b.len() <= 11 {
                if let Some(n) = parse_i64(b) {
                    return rdb_int_size(n);
                }
            }
            if b.len() > 20 {
                let packed = lzf_compressed_len(b, b.len() - 4);
                if packed > 0 {
                    return 1 + rdb_len_size(packed as u64) + rdb_len_size(b.len() as u64) + packed;
                }
            }
            rdb_len_size(b.len() as u64) + b.len()
        }
    }
}

/// The output length of liblzf's compressor (as built into Redis: 2^16-slot hash table, "very fast" mode) on
/// `data`, or 0 when the output would not fit in `out_max` bytes. Only the length is computed: the walk over the
/// input, the hash table updates and every size check follow the compressor step by step, so the figure is the
/// one Redis gets.
fn lzf_compressed_len(data: &[u8], out_max: usize) -> usize {
    const HLOG: u32 = 16;
    const MAX_LIT: usize = 32;
    const MAX_OFF: usize = 1 << 13;
    const MAX_REF: usize = (1 << 8) + (1 << 3);
    let n = data.len();
    if n == 0 || out_max == 0 || n < 3 {
        return 0;
    }
    let idx = |h: u32| (((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5))) & ((1 << HLOG) - 1)) as usize;
    let first = |i: usize| ((data[i] as u32) << 8) | data[i + 1] as u32;
    let next = |h: u32, i: usize| (h << 8) | data[i + 2] as u32;
    // Slot -> last position seen (+1; 0 = empty).
    let mut table = vec![0u32; 1 << HLOG];
    let mut op = 1usize; // output position; the first literal run's header byte is reserved
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut h = first(0);
    while ip < n - 2 {
        h = next(h, ip);
        let slot = idx(h);
        let prev = table[slot];
        table[slot] = ip as u32 + 1;
        let candidate = (prev as usize)
            .checked_sub(1)
            .filter(|&r| ip - r - 1 < MAX_OFF && r > 0 && data[r..r + 3] == data[ip..ip + 3]);
        if let Some(r) = candidate {
            let mut len = 2usize;
            let maxlen = (n - ip - len).min(MAX_REF);
            if lit == 0 {
                op -= 1;
            }
            if op + 3 + 1 >= out_max {
                return 0;
            }
            // The compressor checks 16 bytes unconditionally when more than 16 may match, then byte by byte.
            let mut stopped = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if data[r + len] != data[ip + len] {
                        stopped = true;
                        break;
                    }
                }
            }
            if !stopped {
                loop {
                    len += 1;
                    if !(len < maxlen && data[r + len] == data[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            op += if len < 7 { 2 } else { 3 };
            lit = 0;
            op += 1;
            ip += len + 1;
            if ip >= n - 2 {
                break;
            }
            ip -= 2;
            h = first(ip);
            h = next(h, ip);
            table[idx(h)] = ip as u32 + 1;
            ip += 1;
            h = next(h, ip);
            table[idx(h)] = ip as u32 + 1;
            ip += 1;
        } else {
            if op >= out_max {
                return 0;
            }
            lit += 1;
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_max {
        return 0;
    }
    while ip < n {
        lit += 1;
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            lit = 0;
            op += 1;
        }
    }
    if lit == 0 {
        op -= 1;
    }
    op
}

/// An estimate of a collection's RDB size for DEBUG OBJECT: the listpack/intset blobs as strings, the large
/// encodings element by element (Redis's exact figure also depends on LZF compression).
fn rdb_value_size(v: &crate::object::Value) -> usize {
    use crate::object::Value;
    use crate::types::{hash::Hash, list::List, set::Set, zset::ZSet};
    let blob = |n: usize| rdb_len_size(n as u64) + n;
    match v {
        Value::List(List::ListPack(lp)) => 2 + blob(lp.bytes()),
        Value::List(List::QuickList(q)) => {
            rdb_len_size(q.node_count() as u64) + q.nodes().map(|n| 1 + blob(n.bytes())).sum::<usize>()
        }
        Value::Hash(Hash::ListPack(lp)) | Value::ZSet(ZSet::ListPack(lp)) => blob(lp.bytes()),
        Value::Set(Set::IntSet(s)) => blob(s.alloc_bytes()),
        Value::Hash(h) => {
            rdb_len_size(h.len() as u64) + h.iter().map(|(f, v)| rdb_string_size(f) + rdb_string_size(v)).sum::<usize>()
        }
        Value::Set(s) => rdb_len_size(s.len() as u64) + s.iter().map(rdb_string_size).sum::<usize>(),
        Value::ZSet(z) => rdb_len_size(z.len() as u64) + z.iter().map(|(m, _)| rdb_string_size(m) + 8).sum::<usize>(),
    }
}

/// The quicklist part of DEBUG OBJECT's line for a list.
fn quicklist_debug(l: &crate::types::list::List, fill: i64, compress_depth: i64) -> String {
    use crate::types::list::List;
    let (nodes, bytes) = match l {
        List::ListPack(lp) => (1usize, lp.bytes()),
        List::QuickList(q) => (q.node_count(), q.nodes().map(|n| n.bytes()).sum()),
    };
    let avg = if nodes == 0 { 0.0 } else { l.len() as f64 / nodes as f64 };
    format!(
        " ql_nodes:{nodes} ql_avg_node:{avg:.2} ql_listpack_max:{fill} ql_compressed:{} ql_uncompressed_size:{bytes}",
        (compress_depth != 0) as u8
    )
}

/// DEBUG SLEEP seconds | OBJECT key | SET-ACTIVE-EXPIRE 0|1 | CHANGE-REPL-ID | HELP
fn debug(ctx: &mut Ctx, args: Args) {
    if !ctx.srv.config.enable_debug_command.allows(is_local_client(ctx.client)) {
        ctx.reply().error("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
        return;
    }
    let sub = args.get(1);
    let argc = args.len();
    let is = |w: &str| sub.eq_ignore_ascii_case(w.as_bytes());
    if is("help") && argc == 2 {
        reply_help(
            ctx.reply(),
            "debug",
            &[
                "CHANGE-REPL-ID",
                "    Change the replication IDs of the instance.",
                "    Dangerous: should be used only for testing the replication subsystem.",
                "OBJECT <key>",
                "    Show low level info about `key` and associated value.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        );
    } else if is("sleep") && argc == 3 {
        let secs = strtod_prefix(args.get(2));
        let us_f = secs * 1_000_000.0;
        // An out-of-range conversion yields i64::MIN on x86-64, so Redis does not sleep at all for those.
        let us = if us_f.is_finite() && us_f.abs() < 9.2e18 { us_f as i64 } else { i64::MIN };
        if us > 0 {
            // Blocks the whole server on purpose: that is what DEBUG SLEEP is for.
            std::thread::sleep(std::time::Duration::from_micros(us as u64));
        }
        ctx.reply().ok();
    } else if is("set-active-expire") && argc == 3 {
        ctx.srv.active_expire_enabled = atoi(args.get(2)) != 0;
        ctx.reply().ok();
    } else if is("change-repl-id") && argc == 2 {
        ctx.srv.replid = crate::state::random_hex(&mut ctx.srv.rng, 40);
        ctx.reply().ok();
    } else if is("object") && argc == 3 {
        let line = {
            let srv = &*ctx.srv;
            srv.dbs[ctx.client.db].keys.get(args.get(2)).map(|e| {
                let refcount = if is_shared_int(srv, e) { i32::MAX } else { 1 };
                let serialized = match e.value() {
                    Some(v) => rdb_value_size(v),
                    None => e.as_str().map_or(0, rdb_string_size),
                };
                let mut line = format!(
                    "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                    e as *const Entry,
                    refcount,
                    e.encoding().name(),
                    serialized,
                    e.lru(),
                    idle_ms(srv.lru_clock, e.lru()) / 1000
                );
                if let Some(crate::object::Value::List(l)) = e.value() {
                    let c = &srv.config;
                    line.push_str(&quicklist_debug(l, c.list_max_listpack_size, c.list_compress_depth));
                }
                line
            })
        };
        match line {
            Some(l) => ctx.reply().simple(&l),
            None => ctx.reply().err_no_such_key(),
        }
    } else {
        err_subcommand_syntax(ctx.reply(), "debug", sub);
    }
}

/// Whether a client connects from this machine: unix socket or a loopback peer (Redis's `islocalClient`).
fn is_local_client(c: &crate::net::client::ClientState) -> bool {
    if c.has(cf::UNIX_SOCKET) {
        return true;
    }
    let ip = c.addr.rsplit_once(':').map_or(c.addr.as_str(), |(ip, _)| ip);
    matches!(ip, "127.0.0.1" | "::1" | "[::1]")
}

/// C's `atoi`: optional spaces and sign, then as many digits as there are.
fn atoi(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = i < s.len() && s[i] == b'-';
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.wrapping_mul(10).wrapping_add((s[i] - b'0') as i64);
        i += 1;
    }
    if neg {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::string::tests::Harness;
    use crate::state::SlowlogEntry;

    #[test]
    fn time_lastsave_monitor() {
        let mut h = Harness::new();
        assert!(h.run(&["time"]).starts_with("*2\r\n$10\r\n"));
        assert_eq!(h.run(&["lastsave"]), format!(":{}\r\n", h.srv.lastsave_s));
        assert_eq!(h.run(&["monitor"]), "+OK\r\n");
        assert_eq!(h.srv.monitors, vec![7]);
        assert_eq!(h.run(&["monitor"]), "");
        assert_eq!(h.run(&["reset"]), "+RESET\r\n");
        assert!(h.srv.monitors.is_empty());
    }

    #[test]
    fn shutdown_flags() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["shutdown", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["shutdown", "nosave", "save"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["shutdown", "abort", "now"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["shutdown", "abort"]), "-ERR No shutdown in progress.\r\n");
        assert!(h.srv.actions.is_empty());
        assert_eq!(h.run(&["shutdown", "nosave", "now"]), "");
        assert_eq!(h.srv.actions, vec![Action::Shutdown { nosave: true, save: false, now: true, force: false }]);
    }

    #[test]
    fn slowlog_commands() {
        let mut h = Harness::new();
        for id in 0..3u64 {
            h.srv.slowlog.push_front(SlowlogEntry {
                id,
                time_s: 1000 + id as i64,
                duration_us: 5,
                argv: vec![b"set".to_vec(), b"x".to_vec()],
                peer: "127.0.0.1:1".into(),
                name: Vec::new(),
            });
        }
        assert_eq!(h.run(&["slowlog", "len"]), ":3\r\n");
        assert_eq!(
            h.run(&["slowlog", "get", "1"]),
            "*1\r\n*6\r\n:2\r\n:1002\r\n:5\r\n*2\r\n$3\r\nset\r\n$1\r\nx\r\n$11\r\n127.0.0.1:1\r\n$0\r\n\r\n"
        );
        assert!(h.run(&["slowlog", "get", "-1"]).starts_with("*3\r\n"));
        assert!(h.run(&["slowlog", "get"]).starts_with("*3\r\n"));
        assert_eq!(h.run(&["slowlog", "get", "-2"]), "-ERR count should be greater than or equal to -1\r\n");
        assert_eq!(
            h.run(&["slowlog", "get", "1", "2"]),
            "-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n"
        );
        assert_eq!(h.run(&["slowlog", "reset"]), "+OK\r\n");
        assert_eq!(h.run(&["slowlog", "len"]), ":0\r\n");
        assert!(h.run(&["slowlog", "help"]).starts_with("*12\r\n+SLOWLOG <subcommand>"));
    }

    #[test]
    fn memory_usage_matches_redis_for_strings() {
        let mut h = Harness::new();
        h.run(&["set", "s", "hello"]);
        h.run(&["set", "n", "100"]);
        h.run(&["set", "big", &"a".repeat(63)]);
        assert_eq!(h.run(&["memory", "usage", "s"]), ":64\r\n");
        assert_eq!(h.run(&["memory", "usage", "n"]), ":48\r\n");
        assert_eq!(h.run(&["memory", "usage", "big"]), ":128\r\n");
        assert_eq!(h.run(&["memory", "usage", "n", "samples", "0"]), ":48\r\n");
        assert_eq!(h.run(&["memory", "usage", "nokey"]), "$-1\r\n");
        assert_eq!(h.run(&["memory", "usage", "n", "samples", "-1"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["memory", "usage", "n", "samples"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["memory", "foo"]), "-ERR unknown subcommand 'foo'. Try MEMORY HELP.\r\n");
        // APPEND and SETRANGE grow like sds: the figures below are Redis 7.0's.
        h.run(&["set", "a", "1"]);
        h.run(&["append", "a", "23"]);
        assert_eq!(h.run(&["memory", "usage", "a"]), ":64\r\n");
        h.run(&["append", "a", "456789"]);
        assert_eq!(h.run(&["memory", "usage", "a"]), ":64\r\n");
        h.run(&["set", "b", "hello"]);
        h.run(&["append", "b", "world"]);
        assert_eq!(h.run(&["memory", "usage", "b"]), ":80\r\n");
        h.run(&["append", "b", "x"]);
        h.run(&["append", "b", "0123456789012345678901234567890123456789"]);
        assert_eq!(h.run(&["memory", "usage", "b"]), ":160\r\n");
        assert_eq!(jemalloc_size(25), 32);
        assert_eq!(jemalloc_size(67), 80);
        assert_eq!(jemalloc_size(129), 160);
        assert_eq!(jemalloc_size(4097), 5120);
    }

    #[test]
    fn debug_subcommands() {
        let mut h = Harness::new();
        h.run(&["set", "n", "12"]);
        h.run(&["set", "s", "abcdefghijklmnopqrstuvwxyz"]);
        let o = h.run(&["debug", "object", "n"]);
        assert!(o.starts_with("+Value at:0x"), "{o}");
        assert!(o.contains(" refcount:2147483647 encoding:int serializedlength:2 lru:"), "{o}");
        assert!(h.run(&["debug", "object", "s"]).contains(" refcount:1 encoding:embstr serializedlength:27 "));
        assert_eq!(h.run(&["debug", "object", "nokey"]), "-ERR no such key\r\n");
        assert_eq!(h.run(&["debug", "set-active-expire", "0"]), "+OK\r\n");
        assert!(!h.srv.active_expire_enabled);
        assert_eq!(h.run(&["debug", "set-active-expire", "1"]), "+OK\r\n");
        assert!(h.srv.active_expire_enabled);
        let old = h.srv.replid.clone();
        assert_eq!(h.run(&["debug", "change-repl-id"]), "+OK\r\n");
        assert_ne!(h.srv.replid, old);
        assert_eq!(h.run(&["debug", "sleep", "0"]), "+OK\r\n");
        assert_eq!(h.run(&["debug", "sleep", "abc"]), "+OK\r\n");
        assert_eq!(h.run(&["debug", "sleep", "1e300"]), "+OK\r\n");
        assert_eq!(
            h.run(&["debug", "object"]),
            "-ERR unknown subcommand or wrong number of arguments for 'object'. Try DEBUG HELP.\r\n"
        );
        assert!(h.run(&["debug", "help"]).starts_with("*14\r\n+DEBUG <subcommand>"));
        h.client.addr = "10.1.2.3:4000".into();
        assert!(h.run(&["debug", "help"]).starts_with("-ERR DEBUG command not allowed."));
        h.srv.config.enable_debug_command = crate::config::ProtectedOpt::Yes;
        assert!(h.run(&["debug", "help"]).starts_with("*14\r\n"));
        assert_eq!(strtod_prefix(b"0.5s"), 0.5);
        assert_eq!(strtod_prefix(b"1e"), 1.0);
        assert_eq!(rdb_string_size(StrRef::Int(1_000_000)), 5);
        // serializedlength figures from Redis 7.0 (LZF kicks in above 20 bytes when it saves 4 or more).
        let lzf_cases: &[(&str, usize)] = &[
            ("dacbfhdgibjdadgecgcbc", 22),
            ("bbaaabaabbbabbaabaababaabbbbaa", 28),
            ("xxxxxxxxxxxxxxxxxxxxx", 9),
            ("xxxxxxxxxxxxxxxxxxxxxx", 11),
            ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 12),
            ("hello world hello world hello ", 23),
            ("hello world hello world hello world hello world he", 23),
            ("aabbaabbaabbbaaabaaaababbbbbbabaaababbbbbbbabababaabbaabbababaab", 42),
            ("abcdefghijklmnopqrstuvwxyz", 27),
        ];
        for &(v, want) in lzf_cases {
            assert_eq!(rdb_string_size(StrRef::Bytes(v.as_bytes())), want, "{v}");
        }
        assert_eq!(rdb_string_size(StrRef::Bytes(&[b'a'; 100])), 13);
    }
}
