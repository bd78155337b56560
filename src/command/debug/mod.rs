//! DEBUG: Redis 7.0's debugging and testing subcommands (`debug.c`).
//!
//! Every subcommand of Redis 7.0.15 answers with Redis's syntax, replies and errors, except the ones that need
//! persistence (RELOAD, LOADAOF, RESTART, CRASH-AND-RECOVER, AOF-FLUSH-SLEEP): they go through [`persistence`],
//! the single dispatch point the persistence layer takes over, and answer an error until then.
//!
//! - **DIGEST / DIGEST-VALUE** compute Redis's dataset fingerprint exactly ([`dataset_digest`], [`key_digest`]):
//!   order-sensitive parts (a key's type then value, list elements) are folded with `mix` = SHA1(digest ^
//!   SHA1(data)), unordered parts (keys, set members, hash fields, sorted-set members) are XORed together, numbers
//!   are mixed as their decimal text and scores as `%.17g`, and a key with a TTL XORs in the string `!!expire!!`
//!   (Redis 7.0 does not mix the expire time itself). Equal to redis-server's digest for the same data
//!   (`tests/operations/debug_cmd.rs`).
//! - **POPULATE** inserts straight into the keyspace with the table reserved up front.
//! - The switches live in the server state: PAUSE-CRON, QUICKLIST-PACKED-THRESHOLD and REPLYBUFFER in [`DebugSwitches`]
//!   ([`ServerState::debug`](crate::state::ServerState::debug)), read by the server's crons; SET-DISABLE-DENY-SCRIPTS
//!   in [`DebugSwitches::disable_deny_scripts`](crate::state::DebugSwitches::disable_deny_scripts), which admission
//!   reads; SET-SKIP-CHECKSUM-VALIDATION in the RDB loader's own switch ([`skip_checksum_validation`]).
//! - ASSERT, PANIC and OOM log Redis's crash lines and abort (or `exit(1)` with `use-exit-on-panic yes`); SEGFAULT
//!   raises SIGSEGV.
//!
//! Tested by the unit tests at the end of this file and differentially against redis-server in
//! `tests/operations/debug_cmd.rs` (HELP, errors, PROTOCOL in RESP2/RESP3, DIGEST over every type and encoding,
//! POPULATE).

use super::admin::{err_subcommand_syntax, jemalloc_size, sds_alloc, sds_hdr};
use super::keys::{idle_ms, is_shared_int};
use super::shared::int_arg;
use super::shared::reply_help;
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::config::LogLevel;
use crate::keyspace::object::{Encoding, Entry, StrRef, Value};
use crate::net::client::flags as cf;
use crate::resp::reply::Reply;
use crate::sha1::{sha1, to_hex, DIGEST_LEN};
use crate::state::DebugSwitches;
use crate::util::parse_i64;
use std::sync::atomic::Ordering;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "debug",
    arity: -2,
    flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::SEES_CLIENTS,
    acl: "admin slow dangerous",
    group: Group::Server,
    summary: "A container for debugging commands",
    complexity: "Depends on subcommand.",
    handler: debugCommand,
    ..BASE
}];

/// Whether DEBUG SET-SKIP-CHECKSUM-VALIDATION 1 is in force: the RDB loader and RESTORE are to skip checksums.
pub fn skip_checksum_validation() -> bool {
    crate::persist::rdb::skip_checksum()
}

// ---------------------------------------------------------------------------------------------------------------
// The dispatcher

const HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
    // KEYSIZES-HIST-ASSERT <0|1> (Redis 8's, for its tests) is not listed: DEBUG HELP stays Redis 7.0.15's.
];

/// The refusal of DEBUG under `enable-debug-command no` (or `local` from a remote client), Redis's text.
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \
\"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, \
and then restart the server.";

/// `DEBUG <subcommand> [arg ...]`
///
/// Subcommands are matched the way Redis's `debugCommand` matches them, including which ones check their argument
/// count (SEGFAULT, PANIC, OOM, ASSERT and the persistence ones accept extra arguments, as in Redis). MALLCTL and
/// MALLCTL-STR answer as a Redis built without jemalloc (unknown subcommand): ferredis uses the system allocator
/// (INFO says `mem_allocator:libc`), but HELP lists them as Debian's build does.
///
/// Named as Redis's C function: a watchdog or crash stack trace taken during DEBUG SLEEP shows this frame, and
/// tools that read Redis's logs (Redis's own logging test among them) look for `debugCommand` there.
#[allow(non_snake_case)]
#[inline(never)]
fn debugCommand(ctx: &mut Ctx, args: Args) {
    // The server refuses DEBUG before it gets here (Redis's CMD_PROTECTED check in processCommand, so that MULTI
    // is flagged and the call counts as rejected); this covers handlers run without that path.
    if !ctx.config().enable_debug_command.allows(is_local_client(ctx.client())) {
        ctx.reply().error(DEBUG_NOT_ALLOWED);
        return;
    }
    let sub = args.get(1);
    let argc = args.len();
    let is = |w: &str| sub.eq_ignore_ascii_case(w.as_bytes());
    if is("help") && argc == 2 {
        reply_help(ctx.reply(), "debug", HELP);
    } else if is("segfault") {
        crash_segfault();
    } else if is("panic") {
        let now = crate::util::now_ms() / 1000;
        crash_panic(&format!("DEBUG PANIC called at Unix time {now}"), line!(), ctx);
    } else if is("restart") || is("crash-and-recover") || is("reload") || is("loadaof") || is("aof-flush-sleep") {
        persistence(ctx, args);
    } else if is("oom") {
        crash_oom(ctx);
    } else if is("assert") {
        crash_assert(ctx, args);
    } else if is("log") && argc == 3 {
        let msg = String::from_utf8_lossy(args.get(2)).into_owned();
        crate::log::log(LogLevel::Warning, &format!("DEBUG LOG: {msg}"));
        ctx.reply().ok();
    } else if is("leak") && argc == 3 {
        leak(ctx, args.get(2));
    } else if is("drop-cluster-packet-filter") && argc == 3 {
        let Some(t) = int_arg(ctx.reply(), args.get(2)) else { return };
        crate::cluster::bus::DROP_PACKET_FILTER.store(t, Ordering::Relaxed);
        ctx.reply().ok();
    } else if is("object") && argc == 3 {
        object(ctx, args.get(2));
    } else if is("sdslen") && argc == 3 {
        sdslen(ctx, args.get(2));
    } else if is("listpack") && argc == 3 {
        listpack(ctx, args.get(2));
    } else if is("quicklist") && (argc == 3 || argc == 4) {
        let level = if argc == 4 { crate::util::atoll(args.get(3)) } else { 0 };
        quicklist(ctx, args.get(2), level);
    } else if is("populate") && (3..=5).contains(&argc) {
        populate(ctx, args);
    } else if is("digest") && argc == 2 {
        let d = dataset_digest(&ctx.server_mut().dbs);
        ctx.reply().simple(&to_hex(&d));
    } else if is("digest-value") && argc >= 2 {
        digest_value(ctx, args);
    } else if is("protocol") && argc == 3 {
        protocol(ctx.reply(), args.get(2));
    } else if is("sleep") && argc == 3 {
        sleep(args.get(2));
        ctx.reply().ok();
    } else if is("keysizes-hist-assert") && argc == 3 {
        keysizes_hist_assert(ctx, args.get(2));
    } else if argc == 3 && set_switch(ctx, sub, args.get(2)) {
        ctx.reply().ok();
    } else if is("quicklist-packed-threshold") && argc == 3 {
        set_packed_threshold(ctx, args.get(2));
    } else if is("set-skip-checksum-validation") && argc == 3 {
        crate::persist::rdb::set_skip_checksum(crate::util::atoll(args.get(2)) != 0);
        ctx.reply().ok();
    } else if is("replicate") && argc >= 3 {
        replicate(ctx, args);
    } else if is("error") && argc == 3 {
        debug_error(ctx, args.get(2));
    } else if is("structsize") && argc == 2 {
        // The sizes of Redis's structures on 64-bit builds: the model ferredis's MEMORY USAGE reports in.
        ctx.reply().bulk(b"bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ");
    } else if is("htstats") && argc == 3 {
        htstats(ctx, args.get(2));
    } else if is("htstats-key") && argc == 3 {
        htstats_key(ctx, args.get(2));
    } else if is("change-repl-id") && argc == 2 {
        crate::log::log(LogLevel::Warning, "Changing replication IDs after receiving DEBUG change-repl-id");
        ctx.server_mut().repl.replid = crate::state::random_hex(&mut ctx.server_mut().rng, 40);
        ctx.reply().ok();
    } else if is("stringmatch-test") && argc == 2 {
        stringmatch_fuzz(&mut ctx.server_mut().rng);
        ctx.reply().simple("Apparently Redis did not crash: test passed");
    } else if is("config-rewrite-force-all") && argc == 2 {
        rewrite_force_all(ctx);
    } else if is("client-eviction") && argc == 2 {
        client_eviction(ctx);
    } else if is("replybuffer") && argc == 4 {
        replybuffer(ctx, args);
    } else if is("clusterlink") && argc == 5 && args.is(2, "kill") {
        clusterlink_kill(ctx, args);
    } else {
        err_subcommand_syntax(ctx.reply(), "debug", sub);
    }
}

/// The on/off test switches, `DEBUG <name> <0|1>` (any number but 0 is on, as Redis's `atoi`): SET-ACTIVE-EXPIRE,
/// SET-DISABLE-DENY-SCRIPTS and PAUSE-CRON. Returns false for another subcommand.
fn set_switch(ctx: &mut Ctx, sub: &[u8], arg: &[u8]) -> bool {
    let on = crate::util::atoll(arg) != 0;
    let srv = ctx.server_mut();
    let switch = match sub.to_ascii_lowercase().as_slice() {
        b"set-active-expire" => &mut srv.active_expire_enabled,
        b"set-disable-deny-scripts" => &mut srv.debug.disable_deny_scripts,
        b"pause-cron" => &mut srv.debug.pause_cron,
        _ => return false,
    };
    *switch = on;
    true
}

/// `DEBUG KEYSIZES-HIST-ASSERT <0|1>` (Redis 8): check the key-size histograms after every command. Unlike the
/// older switches the argument must be an integer (Redis 8's `debug.c` parses it with
/// `getLongLongFromObjectOrReply`).
fn keysizes_hist_assert(ctx: &mut Ctx, arg: &[u8]) {
    match crate::util::parse_i64(arg) {
        Some(v) => {
            ctx.server_mut().keysizes_hist_assert = v != 0;
            ctx.reply().ok();
        }
        None => ctx.reply().err_not_int(),
    }
}

/// `DEBUG LEAK <string>`: leaks a copy of the string.
fn leak(ctx: &mut Ctx, s: &[u8]) {
    // On purpose: the point of DEBUG LEAK is a leak that leak checkers must report.
    let leaked: &'static mut [u8] = Box::leak(s.to_vec().into_boxed_slice());
    let _ = leaked;
    ctx.reply().ok();
}

/// `DEBUG DIGEST-VALUE [key ...]`: each key's digest (zeros for a missing one).
fn digest_value(ctx: &mut Ctx, args: Args) {
    let (client, srv) = ctx.client_and_server();
    let (db, r) = (&srv.dbs[client.db], &mut client.reply);
    r.array(args.len() - 2);
    for key in args.iter().skip(2) {
        // Like Redis, no lookup: logically expired keys still count.
        let d = db.find(key).map_or([0; DIGEST_LEN], key_digest);
        r.simple(&to_hex(&d));
    }
}

/// `DEBUG QUICKLIST-PACKED-THRESHOLD <size>`: the element size from which a quicklist stores plain nodes.
fn set_packed_threshold(ctx: &mut Ctx, arg: &[u8]) {
    match crate::config::parse_memory(arg).and_then(packed_threshold) {
        Some(sz) => {
            ctx.server_mut().debug.packed_threshold = sz;
            ctx.reply().ok();
        }
        None => ctx.reply().error("ERR argument must be a memory value bigger than 1 and smaller than 4gb"),
    }
}

/// `DEBUG REPLICATE <arg> ...`: writes the arguments to the replication stream as a command.
fn replicate(ctx: &mut Ctx, args: Args) {
    // The arguments go to the replication stream as a command, as is, in the database the stream has
    // selected (not to the AOF); nothing while we are a replica or have no backlog.
    if !ctx.server_mut().repl.is_replica() {
        if let Some(f) = ctx.server_mut().prop.repl.as_mut() {
            let argv: Vec<&[u8]> = (2..args.len()).map(|i| args.get(i)).collect();
            crate::resp::encode_command(&mut f.buf, &argv);
        }
    }
    ctx.reply().ok();
}

/// `DEBUG ERROR <string>`: replies with the string as an error.
fn debug_error(ctx: &mut Ctx, text: &[u8]) {
    // The text goes out as is: no ERR code is added, and (as in Redis) it is not counted in errorstats.
    let mut line = Vec::with_capacity(text.len() + 3);
    line.push(b'-');
    line.extend(text.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    line.extend_from_slice(b"\r\n");
    ctx.reply().raw_bytes(&line);
}

/// `DEBUG CLIENT-EVICTION`: the client eviction buckets, as text.
fn client_eviction(ctx: &mut Ctx) {
    if ctx.config().maxmemory_clients == 0 {
        ctx.reply().error("ERR maxmemory-clients is disabled.");
    } else {
        let text = ctx.server_mut().clients.mem.debug_text();
        ctx.reply().verbatim("txt", text.as_bytes());
    }
}

/// `DEBUG CONFIG-REWRITE-FORCE-ALL`: CONFIG REWRITE writing every option, defaults included.
fn rewrite_force_all(ctx: &mut Ctx) {
    match config_rewrite_force_all(&ctx.server_mut().config) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => ctx.reply().error(&format!("ERR CONFIG-REWRITE-FORCE-ALL failed: {e}")),
    }
}

/// The persistence subcommands: `RELOAD [MERGE|NOFLUSH|NOSAVE ...]`, `LOADAOF`, `RESTART [ms]`,
/// `CRASH-AND-RECOVER [ms]`, `AOF-FLUSH-SLEEP <microsec>`.
pub fn persistence(ctx: &mut Ctx, args: Args) {
    let sub = args.get(1);
    let is = |w: &str| sub.eq_ignore_ascii_case(w.as_bytes());
    if is("restart") || is("crash-and-recover") {
        let mut delay_ms = 0;
        if args.len() >= 3 {
            let Some(d) = int_arg(ctx.reply(), args.get(2)) else { return };
            delay_ms = d.max(0);
        }
        ctx.server_mut().actions.push(crate::state::Action::DebugRestart { save: is("restart"), delay_ms });
    } else if is("reload") {
        let (mut merge, mut noflush, mut nosave) = (false, false, false);
        for o in args.iter().skip(2) {
            if o.eq_ignore_ascii_case(b"merge") {
                merge = true;
            } else if o.eq_ignore_ascii_case(b"noflush") {
                noflush = true;
            } else if o.eq_ignore_ascii_case(b"nosave") {
                nosave = true;
            } else {
                ctx.reply().error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
                return;
            }
        }
        match ctx.server_mut().debug_reload(nosave, noflush, merge) {
            Ok(()) => ctx.reply().ok(),
            Err(e) => ctx.reply().error(e),
        }
    } else if is("loadaof") {
        ctx.server_mut().actions.push(crate::state::Action::DebugLoadAof);
    } else if is("aof-flush-sleep") {
        if args.len() != 3 {
            err_subcommand_syntax(ctx.reply(), "debug", sub);
            return;
        }
        let Some(us) = int_arg(ctx.reply(), args.get(2)) else { return };
        ctx.server_mut().persist.aof_flush_sleep_us = us.max(0) as u64;
        ctx.reply().ok();
    } else {
        err_subcommand_syntax(ctx.reply(), "debug", sub);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// DIGEST

/// `digest ^= SHA1(data)`: adds an element whose position does not matter.
fn xor_digest(digest: &mut [u8; DIGEST_LEN], data: &[u8]) {
    let h = sha1(data);
    for (d, x) in digest.iter_mut().zip(h) {
        *d ^= x;
    }
}

/// `digest = SHA1(digest ^ SHA1(data))`: adds an element whose position matters.
fn mix_digest(digest: &mut [u8; DIGEST_LEN], data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(&digest[..]);
}

fn mix_str(digest: &mut [u8; DIGEST_LEN], s: StrRef<'_>) {
    let mut buf = [0u8; 24];
    mix_digest(digest, s.bytes(&mut buf));
}

/// Mixes the type and value of `e` (and its TTL flag) into `digest`, as Redis's `xorObjectDigest`.
fn object_digest(digest: &mut [u8; DIGEST_LEN], e: &Entry) {
    mix_digest(digest, &(e.obj_type() as u32).to_be_bytes());
    match e.value() {
        None => {
            if let Some(s) = e.as_str() {
                mix_str(digest, s);
            }
        }
        Some(Value::List(l)) => {
            for el in l.iter() {
                mix_str(digest, el.as_ref());
            }
        }
        Some(Value::Set(s)) => {
            let mut buf = [0u8; 24];
            for m in s.iter() {
                xor_digest(digest, m.bytes(&mut buf));
            }
        }
        Some(Value::ZSet(z)) => {
            for (m, score) in z.iter() {
                let mut el = [0u8; DIGEST_LEN];
                mix_str(&mut el, m);
                mix_digest(&mut el, crate::util::fmt_g(score, 17).as_bytes());
                xor_digest(digest, &el);
            }
        }
        Some(Value::Hash(h)) => {
            for (f, v) in h.iter() {
                let mut el = [0u8; DIGEST_LEN];
                mix_str(&mut el, f);
                mix_str(&mut el, v);
                xor_digest(digest, &el);
            }
        }
        Some(Value::Json(j)) => mix_digest(digest, &j.compact()),
        Some(Value::Stream(s)) => {
            // Each entry in order: its id as `ms.seq`, then its fields and values (groups are not part of it).
            use crate::keyspace::types::stream::StreamId;
            for entry in s.range(StreamId::MIN, StreamId::MAX, false) {
                mix_digest(digest, format!("{}.{}", entry.id.ms, entry.id.seq).as_bytes());
                entry.for_each_field(|f, v| {
                    mix_str(digest, f);
                    mix_str(digest, v);
                });
            }
        }
        // A module type without a digest callback (RedisBloom registers none) adds nothing but its type.
        Some(Value::Prob(_)) => {}
    }
    if e.has_expire() {
        xor_digest(digest, b"!!expire!!");
    }
}

/// DEBUG DIGEST-VALUE's digest of one key's value (the key name is not part of it).
pub fn key_digest(e: &Entry) -> [u8; DIGEST_LEN] {
    let mut d = [0u8; DIGEST_LEN];
    object_digest(&mut d, e);
    d
}

/// DEBUG DIGEST: Redis's fingerprint of the whole dataset (20 zero bytes when empty). Each non-empty database
/// mixes in its index, then XORs in the SHA-1 of one digest per key (key name mixed, then type and value).
pub fn dataset_digest(dbs: &[crate::keyspace::db::Db]) -> [u8; DIGEST_LEN] {
    let mut fin = [0u8; DIGEST_LEN];
    for (j, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(j as u32).to_be_bytes());
        for e in db.iter() {
            let mut d = [0u8; DIGEST_LEN];
            mix_digest(&mut d, e.key());
            object_digest(&mut d, e);
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

// ---------------------------------------------------------------------------------------------------------------
// POPULATE

/// Longest key POPULATE makes: Redis formats it into a 128-byte buffer.
const POPULATE_KEY_MAX: usize = 127;

/// DEBUG POPULATE count \[prefix\] \[size\]
///
/// Creates `prefix:N` (default prefix `key`) holding `value:N` for N in 0..count, skipping keys that exist. With a
/// size, values are `value:N` cut or zero-padded to that many bytes. As in Redis the prefix ends at a NUL byte,
/// keys are cut at 127 bytes, values are never int-encoded, and nothing is propagated or counted as dirty. A size
/// above `proto-max-bulk-len` is refused (Redis would die on the allocation).
fn populate(ctx: &mut Ctx, args: Args) {
    let Some(count) = positive_long(ctx.reply(), args.get(2)) else { return };
    let dbi = ctx.client().db;
    {
        // Redis's dictExpand(count) (before the size is even parsed). Capped so that an absurd count cannot make
        // the table allocation itself fail: POPULATE could never fill more keys than memory holds anyway.
        let db = &mut ctx.server_mut().dbs[dbi];
        let mem_cap = (crate::sys::process::total_system_memory() / 64).max(1 << 20);
        let want = (count as u64).min(mem_cap) as usize;
        db.reserve(want.saturating_sub(db.len()));
    }
    let valsize = if args.len() == 5 {
        match positive_long(ctx.reply(), args.get(4)) {
            Some(v) => v as usize,
            None => return,
        }
    } else {
        0
    };
    if valsize as i64 > ctx.config().proto_max_bulk_len {
        // Redis would abort on the failed allocation; no string may be longer than this limit anyway.
        ctx.reply().error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return;
    }
    let prefix: &[u8] = if args.len() == 3 { b"key" } else { args.get(3) };
    let prefix = &prefix[..memchr::memchr(0, prefix).unwrap_or(prefix.len())];
    let now = ctx.server_mut().now_ms;
    let lfu = ctx.config().maxmemory_policy.is_lfu();
    let lru = if lfu { crate::keyspace::object::lfu_init(now) } else { ctx.server_mut().lru_clock };
    let mut key = Vec::with_capacity(POPULATE_KEY_MAX + 1);
    let mut val = Vec::with_capacity(valsize.max(32));
    let mut num = [0u8; 24];
    let watched = !ctx.server_mut().watches.is_empty();
    // With `new` keyspace events wanted, every key goes through Db::set_key, which records them.
    let clock = ctx.settings().lookup_clock();
    let notify_new = clock.events & crate::state::notify::LOG_NEW != 0;
    for j in 0..count {
        let digits = crate::util::itoa_buf(j, &mut num);
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(digits);
        key.truncate(POPULATE_KEY_MAX);
        val.clear();
        val.extend_from_slice(b"value:");
        val.extend_from_slice(digits);
        if valsize > 0 {
            val.resize(valsize, 0);
        }
        let mut e = Entry::new_embstr(&key, &val);
        e.set_lru(lru);
        let db = &mut ctx.server_mut().dbs[dbi];
        if notify_new {
            if db.lookup(&key, clock).is_some() {
                continue;
            }
            db.set_key(e, clock.events);
        } else if let Err(e) = db.insert_new(e) {
            // The key exists, unless its TTL is due: then Redis's lookupKeyWrite deletes it and the key is created.
            if db.lookup(&key, clock).is_some() {
                continue;
            }
            db.set_key(e, clock.events);
        }
        if watched {
            // Nothing counted, nothing propagated (as Redis): only WATCH hears of the new key.
            let mut w = ctx.open_write_in(dbi, &key);
            ctx.changed(&mut w, 0);
        }
    }
    ctx.reply().ok();
}

// ---------------------------------------------------------------------------------------------------------------
// PROTOCOL

/// DEBUG PROTOCOL type: one sample reply of each RESP type, as Redis sends them.
fn protocol(r: &mut Reply, name: &[u8]) {
    let is = |w: &str| name.eq_ignore_ascii_case(w.as_bytes());
    if is("string") {
        r.bulk(b"Hello World");
    } else if is("integer") {
        r.int(12345);
    } else if is("double") {
        // Redis's own sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        r.double(3.141);
    } else if is("bignum") {
        const BIG: &[u8] = b"1234567999999999999999999999999999999";
        if r.is_resp3() {
            let mut line = Vec::with_capacity(BIG.len() + 3);
            line.push(b'(');
            line.extend_from_slice(BIG);
            line.extend_from_slice(b"\r\n");
            r.raw_bytes(&line);
        } else {
            r.bulk(BIG);
        }
    } else if is("null") {
        r.null();
    } else if is("array") {
        r.array(3);
        (0..3).for_each(|j| r.int(j));
    } else if is("set") {
        r.set(3);
        (0..3).for_each(|j| r.int(j));
    } else if is("map") {
        r.map(3);
        for j in 0..3 {
            r.int(j);
            r.boolean(j == 1);
        }
    } else if is("attrib") {
        if r.is_resp3() {
            r.raw_bytes(b"|1\r\n");
            r.bulk(b"key-popularity");
            r.array(2);
            r.bulk(b"key:123");
            r.int(90);
        }
        // An attribute is not a reply by itself: a real one follows.
        r.bulk(b"Some real reply following the attribute");
    } else if is("push") {
        if !r.is_resp3() {
            r.error("ERR RESP2 is not supported by this command");
            return;
        }
        r.push(2);
        r.bulk(b"server-cpu-usage");
        r.int(42);
        // A push is out of band: a normal reply follows, so a client that drops pushes still gets one.
        r.bulk(b"Some real reply following the push reply");
    } else if is("true") {
        r.boolean(true);
    } else if is("false") {
        r.boolean(false);
    } else if is("verbatim") {
        r.verbatim("txt", b"This is a verbatim\nstring");
    } else {
        r.error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// OBJECT SDSLEN LISTPACK QUICKLIST HTSTATS HTSTATS-KEY

/// DEBUG OBJECT key: Redis's one-line summary; lists add the quicklist figures.
fn object(ctx: &mut Ctx, key: &[u8]) {
    let line = {
        let srv = ctx.server();
        srv.dbs[ctx.client().db].find(key).map(|e| {
            let refcount = if is_shared_int(&srv.config, e) { i32::MAX } else { 1 };
            let serialized = crate::persist::rdb::serialized_len(e);
            let mut line = format!(
                "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                e as *const Entry,
                refcount,
                e.encoding().name(),
                serialized,
                e.lru(),
                idle_ms(srv.lru_clock, e.lru()) / 1000
            );
            if let Some(Value::List(l)) = e.value() {
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
}

/// DEBUG SDSLEN key: the sds figures Redis would have for the key and its string value (lengths, spare room and
/// allocation sizes in Redis's memory model, the one MEMORY USAGE reports in).
fn sdslen(ctx: &mut Ctx, key: &[u8]) {
    let line = ctx.server().dbs[ctx.client().db].find(key).map(|e| {
        let raw_or_emb = matches!(e.encoding(), Encoding::Raw | Encoding::Embstr);
        if e.value().is_some() || !raw_or_emb {
            return None;
        }
        let klen = e.key().len();
        // Keys are copied with sdsnewlen: the 1-byte header under 32 bytes (except the empty key), else the
        // allocator's usable size as the allocation.
        let (key_avail, key_zmalloc) = if klen < 32 && klen > 0 {
            (0, jemalloc_size(1 + klen + 1))
        } else {
            let hdr = sds_hdr(klen);
            let total = jemalloc_size(hdr + klen + 1);
            (total - hdr - 1 - klen, total)
        };
        let vlen = e.as_str().map_or(0, |s| s.len());
        let (val_avail, val_zmalloc) = if e.encoding() == Encoding::Embstr {
            // One allocation with the object header; an embstr's sds has no spare room.
            (0, jemalloc_size(16 + 3 + vlen + 1) - 16)
        } else {
            let alloc = sds_alloc(vlen, e.raw_capacity().unwrap_or(vlen));
            let hdr = if alloc == vlen && vlen < 32 { 1 } else { sds_hdr(alloc) };
            (alloc - vlen, jemalloc_size(hdr + alloc + 1))
        };
        Some(format!(
            "key_sds_len:{klen}, key_sds_avail:{key_avail}, key_zmalloc: {key_zmalloc}, val_sds_len:{vlen}, val_sds_avail:{val_avail}, val_zmalloc: {val_zmalloc}"
        ))
    });
    match line {
        None => ctx.reply().err_no_such_key(),
        Some(None) => ctx.reply().error("ERR Not an sds encoded string."),
        Some(Some(l)) => ctx.reply().simple(&l),
    }
}

/// Looks a key up as Redis's OBJECT/DEBUG do (`objectCommandLookup`): expires it if due, no LRU touch.
fn lookup_no_touch<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a Entry> {
    let clock = ctx.server().lookup_clock();
    let db = ctx.client().db;
    let found = ctx.server_mut().dbs[db].lookup(key, clock).is_some();
    if found {
        ctx.server_mut().stats.keyspace_hits += 1;
    } else {
        ctx.server_mut().stats.keyspace_misses += 1;
    }
    ctx.server_mut().dbs[db].find(key)
}

/// DEBUG LISTPACK key: prints the listpack of a hash or sorted set to stdout.
fn listpack(ctx: &mut Ctx, key: &[u8]) {
    use crate::keyspace::types::{hash::Hash, zset::ZSet};
    let text = match lookup_no_touch(ctx, key) {
        None => {
            ctx.reply().err_no_such_key();
            return;
        }
        // Lists report the quicklist encoding in 7.0 whatever their size.
        Some(e) => match e.value() {
            Some(Value::Hash(Hash::ListPack(lp))) | Some(Value::ZSet(ZSet::ListPack(lp))) => Some(listpack_repr(lp)),
            Some(Value::Hash(h)) => match h.view() {
                crate::keyspace::types::hash::View::ListPackEx(x) => Some(listpack_repr(&x.lp)),
                _ => None,
            },
            _ => None,
        },
    };
    match text {
        Some(t) => {
            print_stdout(&t);
            ctx.reply().simple("Listpack structure printed on stdout");
        }
        None => ctx.reply().error("ERR Not a listpack encoded object."),
    }
}

/// DEBUG QUICKLIST key \[level\]: prints the list's node layout to stdout (level ≥ 1 adds every entry).
fn quicklist(ctx: &mut Ctx, key: &[u8], level: i64) {
    use crate::keyspace::types::list::List;
    let (fill, depth) = (ctx.config().list_max_listpack_size, ctx.config().list_compress_depth);
    let text = match lookup_no_touch(ctx, key) {
        None => {
            ctx.reply().err_no_such_key();
            return;
        }
        Some(e) => match e.value() {
            Some(Value::List(l)) => {
                use crate::keyspace::types::quicklist::{clamp_fill, Node};
                let (nodes, fill, depth): (Vec<std::borrow::Cow<'_, Node>>, i32, i64) = match l {
                    List::ListPack(lp) => {
                        (vec![std::borrow::Cow::Owned(Node::raw(lp.clone()))], clamp_fill(fill), depth)
                    }
                    List::QuickList(q) => {
                        (q.nodes().map(std::borrow::Cow::Borrowed).collect(), q.fill(), q.compress_depth() as i64)
                    }
                };
                let mut t =
                    format!("{{quicklist nodes {}, count {}, fill {fill}, compress {depth}}}\n", nodes.len(), l.len());
                for (i, n) in nodes.iter().enumerate() {
                    let enc = if n.lzf().is_some() { "LZF" } else { "RAW" };
                    t.push_str(&format!(
                        "{{node {i}}}\n{{count {}, sz {}, encoding {enc}, container PACKED, recompress 0}}\n",
                        n.count(),
                        n.sz()
                    ));
                    if level >= 1 {
                        t.push_str(&listpack_repr(&n.listpack()));
                    }
                }
                Some(t)
            }
            _ => None,
        },
    };
    match text {
        Some(t) => {
            print_stdout(&t);
            ctx.reply().simple("Quicklist structure printed on stdout");
        }
        None => ctx.reply().error("ERR Not a quicklist encoded object."),
    }
}

/// A listpack's entries with their offsets and sizes (in the spirit of Redis's `lpRepr`).
fn listpack_repr(lp: &crate::keyspace::types::listpack::Listpack) -> String {
    let mut t = format!("{{total bytes {}}} {{num entries {}}}\n", lp.bytes(), lp.len());
    let mut off = lp.first();
    let mut index = 0;
    while let Some(o) = off {
        let shown = match lp.get(o) {
            StrRef::Int(n) => format!("[int]{n}"),
            StrRef::Bytes(b) => format!("[str]{}", String::from_utf8_lossy(&b[..b.len().min(40)])),
        };
        t.push_str(&format!("{{index {index}, offset {o}, entry len {}}} {shown}\n", lp.entry_size(o)));
        index += 1;
        off = lp.next(o);
    }
    t.push_str("{end}\n");
    t
}

fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// The text of DEBUG HTSTATS for one dict: per table (main, then the rehash target while rehashing) its size,
/// fill, and probe-length figures. Redis reports chain lengths of its chained table; ours is open-addressing, so
/// the same section layout carries probe lengths (1 = found in its home slot; 0 counts empty slots). A last line
/// gives the dict's probing work since it was created ([`crate::keyspace::dict::ProbeWork`]): what the insertion-order
/// tests read to check that no order makes inserts expensive.
fn ht_stats_text<E: crate::keyspace::dict::DictEntry>(d: &crate::keyspace::dict::Dict<E>) -> String {
    table_stats_text(&d.stats(), d.probe_work())
}

/// [`ht_stats_text`] from a table's statistics and probing work (the keyspace's come from [`crate::keyspace::db::Db::table_stats`]).
fn table_stats_text(stats: &[crate::keyspace::dict::TableStats], w: crate::keyspace::dict::ProbeWork) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for (i, t) in stats.iter().enumerate() {
        let name = if i == 0 { "main hash table" } else { "rehashing target" };
        let _ = writeln!(s, "Hash table {i} stats ({name}):");
        if t.used == 0 {
            s.push_str("No stats available for empty dictionaries\n");
            continue;
        }
        let _ = writeln!(s, " table size: {}", t.size);
        let _ = writeln!(s, " number of elements: {}", t.used);
        if let (0, Some(idx)) = (i, t.rehash_idx) {
            let _ = writeln!(s, " rehashing from slot: {idx}");
        }
        let _ = writeln!(s, " max probe length: {}", t.max_probe);
        let _ = writeln!(s, " avg probe length: {:.2}", t.total_probe as f64 / t.used as f64);
        s.push_str(" Probe length distribution:\n");
        let last = t.probe_hist.len() - 1;
        for (k, &n) in t.probe_hist.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let more = if k == last { "+" } else { "" };
            let _ = writeln!(s, "   {k}{more}: {n} ({:.2}%)", n as f64 / t.size as f64 * 100.0);
        }
    }
    let _ = writeln!(
        s,
        "Probe work: inserts={} displacement={} moves={} rebuilds={}",
        w.inserts, w.displacement, w.moves, w.rebuilds
    );
    s
}

/// DEBUG HTSTATS dbid
fn htstats(ctx: &mut Ctx, arg: &[u8]) {
    let Some(dbid) = int_arg(ctx.reply(), arg) else { return };
    if dbid < 0 || dbid >= ctx.server_mut().dbs.len() as i64 {
        ctx.reply().error("ERR Out of range database");
        return;
    }
    let db = &ctx.server_mut().dbs[dbid as usize];
    let mut text = String::from("[Dictionary HT]\n");
    let (stats, work) = db.table_stats();
    text.push_str(&table_stats_text(&stats, work));
    // TTLs live in the keyspace entries: there is no separate table to describe, only the count.
    text.push_str("[Expires HT]\nHash table 0 stats (main hash table):\n");
    if db.expires_len() == 0 {
        text.push_str("No stats available for empty dictionaries\n");
    } else {
        text.push_str(&format!(
            " number of elements: {}\n stored in the keyspace entries (8 bytes each), no table of its own\n",
            db.expires_len()
        ));
    }
    ctx.reply().verbatim("txt", text.as_bytes());
}

/// DEBUG HTSTATS-KEY key: the stats of a value's own hash table (hashtable hashes and sets, skiplist sorted sets).
fn htstats_key(ctx: &mut Ctx, key: &[u8]) {
    use crate::keyspace::types::{set::Set, zset::ZSet};
    let text = match lookup_no_touch(ctx, key) {
        None => {
            ctx.reply().err_no_such_key();
            return;
        }
        Some(e) => match e.value() {
            Some(Value::Hash(h)) if h.table_ref().is_some() => h.table_ref().map(|d| ht_stats_text(&**d)),
            Some(Value::Set(Set::HashTable(d))) => Some(ht_stats_text(&**d)),
            Some(Value::ZSet(ZSet::SkipList(z))) => Some(ht_stats_text(&z.dict)),
            _ => None,
        },
    };
    match text {
        Some(t) => ctx.reply().verbatim("txt", t.as_bytes()),
        None => ctx.reply().error("ERR The value stored at the specified key is not represented using an hash table"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// SLEEP QUICKLIST-PACKED-THRESHOLD REPLYBUFFER CONFIG-REWRITE-FORCE-ALL STRINGMATCH-TEST

/// DEBUG SLEEP seconds: blocks the whole server on purpose (`strtod` of the argument; decimals allowed).
fn sleep(arg: &[u8]) {
    let us_f = strtod_prefix(arg) * 1_000_000.0;
    // An out-of-range conversion yields i64::MIN on x86-64, so Redis does not sleep at all for those.
    let us = if us_f.is_finite() && us_f.abs() < 9.2e18 { us_f as i64 } else { i64::MIN };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us as u64));
    }
}

/// Redis's `quicklistisSetPackedThreshold`: 0 restores the default; up to 4 GiB - 1 MiB.
fn packed_threshold(sz: u64) -> Option<u64> {
    if sz > (1u64 << 32) - (1 << 20) {
        None
    } else if sz == 0 {
        Some(DebugSwitches::DEFAULT_PACKED_THRESHOLD)
    } else {
        Some(sz)
    }
}

/// DEBUG CLUSTERLINK KILL to|from|all node-id: closes bus links to or from a node (the bus reconnects).
fn clusterlink_kill(ctx: &mut Ctx, args: Args) {
    let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else {
        ctx.reply().error("ERR Debug option only available for cluster mode enabled setup!");
        return;
    };
    let Some(n) = cl.lookup(args.get(4)) else {
        let id = String::from_utf8_lossy(args.get(4)).into_owned();
        ctx.reply().error(&format!("ERR Unknown node {id}"));
        return;
    };
    let (to, from) = (cl.bus.out.get(&n).copied(), cl.bus.inb.get(&n).copied());
    let links = if args.is(3, "from") {
        vec![from]
    } else if args.is(3, "to") {
        vec![to]
    } else if args.is(3, "all") {
        vec![to, from]
    } else {
        let dir = String::from_utf8_lossy(args.get(3)).into_owned();
        ctx.reply().error(&format!("ERR Unknown direction {dir}"));
        return;
    };
    for fd in links.into_iter().flatten() {
        crate::cluster::bus::free_link(cl, fd);
    }
    ctx.reply().ok();
}

/// DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> | RESIZING <0|1>
fn replybuffer(ctx: &mut Ctx, args: Args) {
    let (client, srv) = ctx.client_and_server();
    let (d, r) = (&mut srv.debug, &mut client.reply);
    if args.is(2, "peak-reset-time") {
        d.peak_reset_time_ms = if args.is(3, "never") {
            -1
        } else if args.is(3, "reset") {
            DebugSwitches::DEFAULT_PEAK_RESET_TIME_MS
        } else {
            match int_arg(r, args.get(3)) {
                Some(v) => v,
                None => return,
            }
        };
    } else if args.is(2, "resizing") {
        d.reply_resizing = crate::util::atoll(args.get(3)) != 0;
    } else {
        err_subcommand_syntax(r, "debug", args.get(1));
        return;
    }
    r.ok();
}

/// CONFIG REWRITE writing every directive, defaults included: the file gets a line for each directive it lacks,
/// then the ordinary rewrite fills in the current values. Errors are `strerror` texts, as Redis's; without a config
/// file Redis fails with EFAULT ("Bad address"), and so does this.
fn config_rewrite_force_all(cfg: &crate::config::Config) -> Result<(), String> {
    let Some(path) = &cfg.config_file else { return Err("Bad address".into()) };
    let io = |e: std::io::Error| {
        let s = e.to_string();
        s.find(" (os error").map_or(s.clone(), |i| s[..i].to_string())
    };
    let old = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    let mut seeded = old.clone();
    if !seeded.is_empty() && !seeded.ends_with('\n') {
        seeded.push('\n');
    }
    let present = |name: &str| {
        old.lines().any(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| crate::config::find(w.as_bytes()).is_some_and(|d| d.name == name))
        })
    };
    for d in crate::config::DIRECTIVES {
        if !present(d.name) {
            seeded.push_str(d.name);
            seeded.push('\n');
        }
    }
    let new = crate::config::rewrite_text(cfg, &seeded);
    let tmp = format!("{path}.tmp-{}", std::process::id());
    let res = std::fs::write(&tmp, new.as_bytes()).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

/// DEBUG STRINGMATCH-TEST: Redis's `stringmatchlen_fuzz_test`, run against our glob matcher: random patterns
/// and strings over a small alphabet rich in glob syntax, checking only that matching terminates without crashing.
fn stringmatch_fuzz(rng: &mut crate::util::Rng) {
    const ALPHABET: &[u8] = b"*?[]-^\\ab";
    let mut total_matches = 0usize;
    for _ in 0..1000 {
        let plen = rng.below(33) as usize;
        let slen = rng.below(33) as usize;
        let pat: Vec<u8> = (0..plen).map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize]).collect();
        let s: Vec<u8> = (0..slen).map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize]).collect();
        total_matches += crate::util::glob_match(&pat, &s, false) as usize;
    }
    crate::log_debug!("stringmatch fuzz: {total_matches} matches in 1000 runs");
}

// ---------------------------------------------------------------------------------------------------------------
// ASSERT PANIC OOM SEGFAULT

/// INFO all and CLIENT LIST rendered now, for a report written on the main thread (ASSERT, PANIC, OOM).
fn live_report_text(ctx: &Ctx) -> String {
    let info = crate::command::info::info_all_text(ctx);
    let list = crate::command::client_info::client_list_text(ctx.server(), Some(ctx.client()), usize::MAX);
    crate::crash_report::report_text(&info, &list)
}

/// DEBUG ASSERT: Redis's `_serverAssertWithInfo` with the client and an object: the client context, the object
/// context and the failed assertion, then the stack trace and the report, then the end of the process.
fn crash_assert(ctx: &mut Ctx, args: Args) -> ! {
    let live = live_report_text(ctx);
    let flags = ctx.client().flags;
    let fd = ctx.client().fd;
    let argv: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    crate::crash_report::panic_report(
        |w| {
            let mut l = |m: &str| crate::crash_report::warn_line(w, m);
            l("=== ASSERTION FAILED CLIENT CONTEXT ===");
            l(&format!("client->flags = {flags}"));
            l(&format!("client->conn = fd={fd}"));
            l(&format!("client->argc = {}", argv.len()));
            for (j, a) in argv.iter().enumerate() {
                l(&format!("client->argv[{j}] = \"{a}\" (refcount: 1)"));
            }
            l("=== ASSERTION FAILED OBJECT CONTEXT ===");
            l("Object type: 0");
            l(&format!("Object encoding: {}", Encoding::Embstr as u8));
            l("Object refcount: 1");
            l("=== ASSERTION FAILED ===");
            l(&format!("==> {}:{} '1 == 2' is not true", file!(), line!()));
        },
        Some(&live),
    )
}

/// DEBUG PANIC (and the OOM handler): Redis's "Guru Meditation" lines, then the report and the end.
fn crash_panic(msg: &str, line: u32, ctx: &mut Ctx) -> ! {
    let live = live_report_text(ctx);
    crate::crash_report::panic_report(
        |w| {
            crate::crash_report::warn_line(w, "------------------------------------------------");
            crate::crash_report::warn_line(w, "!!! Software Failure. Press left mouse button to continue");
            crate::crash_report::warn_line(w, &format!("Guru Meditation: {msg} #{}:{line}", file!()));
        },
        Some(&live),
    )
}

/// DEBUG OOM: Redis allocates SIZE_MAX/2 bytes and its out-of-memory handler panics.
fn crash_oom(ctx: &mut Ctx) -> ! {
    let size = usize::MAX / 2;
    crate::log::log_raw(LogLevel::Warning, &format!("Out Of Memory allocating {size} bytes!"));
    crash_panic(&format!("Redis aborting for OUT OF MEMORY. Allocating {size} bytes!"), line!(), ctx)
}

/// DEBUG SEGFAULT: a write to a read-only page, as Redis does; the SIGSEGV handler writes the report.
fn crash_segfault() -> ! {
    crate::sys::fatal::fault_on_readonly_page();
    // Only reached if the fault did not happen (mapping failed) or its handler returned.
    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGSEGV);
    std::process::abort();
}

/// The quicklist part of DEBUG OBJECT's line for a list.
fn quicklist_debug(l: &crate::keyspace::types::list::List, fill: i64, compress_depth: i64) -> String {
    use crate::keyspace::types::list::List;
    // A quicklist carries the fill and depth it was made with (Redis fixes them when the list is created); a
    // single-listpack list follows the configuration.
    let (nodes, bytes, fill, compress_depth) = match l {
        List::ListPack(lp) => {
            (1usize, lp.bytes(), crate::keyspace::types::quicklist::clamp_fill(fill) as i64, compress_depth)
        }
        List::QuickList(q) => {
            (q.node_count(), q.nodes().map(|n| n.sz()).sum(), q.fill() as i64, q.compress_depth() as i64)
        }
    };
    let avg = if nodes == 0 { 0.0 } else { l.len() as f64 / nodes as f64 };
    format!(
        " ql_nodes:{nodes} ql_avg_node:{avg:.2} ql_listpack_max:{fill} ql_compressed:{} ql_uncompressed_size:{bytes}",
        (compress_depth != 0) as u8
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Argument helpers

/// Redis's `getPositiveLongFromObjectOrReply`: non-negative, one error for both non-numbers and negatives.
fn positive_long(r: &mut Reply, s: &[u8]) -> Option<i64> {
    let v = parse_i64(s).filter(|&v| v >= 0);
    if v.is_none() {
        r.error("ERR value is out of range, must be positive");
    }
    v
}

/// Whether a client connects from this machine: unix socket or a loopback peer (Redis's `islocalClient`).
fn is_local_client(c: &crate::net::client::ClientState) -> bool {
    if c.has(cf::UNIX_SOCKET) {
        return true;
    }
    let ip = c.addr.rsplit_once(':').map_or(c.addr.as_str(), |(ip, _)| ip);
    matches!(ip, "127.0.0.1" | "::1" | "[::1]")
}

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

#[cfg(test)]
mod tests;
