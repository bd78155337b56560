//! MIGRATE (Redis `cluster.c`): moves keys to another server as RESTORE commands over a cached, blocking
//! connection ([`crate::net::migrate`]), then deletes them here (unless COPY) and propagates that as DEL.
//!
//! ```text
//!  MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k ...]
//!    lookups (all missing: +NOKEY) ─▶ [AUTH] [SELECT db] RESTORE k ttl payload [REPLACE] ... ─▶ target
//!    one reply line each ◀─ target; an error reply: "Target instance replied with error: ..."
//!    a socket error before any RESTORE reply: reconnect and try once more (not after a timeout)
//! ```

use super::{flag, Args, BeginSearch, Command, Ctx, FindKeys, Group, KeySpec, KeySpecDef, BASE};
use crate::command::Access;
use crate::config::notify as nc;
use crate::net::migrate::{Cached, IoFail};
use crate::persist::rdb;
use crate::util::{itoa_buf, parse_i64};
use std::time::Duration;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "migrate",
    arity: -6,
    flags: flag::WRITE,
    acl: "keyspace write slow dangerous",
    group: Group::Generic,
    keys: KeySpec { first: 3, last: 3, step: 1 },
    key_specs: &[
        KeySpecDef::at(3, "RW access delete"),
        KeySpecDef {
            notes: "",
            flags: "RW access delete incomplete",
            begin_search: BeginSearch::Keyword { keyword: "KEYS", startfrom: -2 },
            find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 },
        },
    ],
    getkeys: Some(migrate_keys),
    getkeys_flags: Some(migrate_key_flags),
    since: "2.6.0",
    summary: "Atomically transfer a key from a Redis instance to another one.",
    complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
    syntax: "host port <key{#0} | \"\"{empty_string}>{key_or_empty_string} destination-db timeout [COPY]{@3.0.0} [REPLACE]{@3.0.0} [[AUTH password]{@4.0.7} | [AUTH2 username password]{username_password@6.0.0}]{authentication} [KEYS key{#1} [key ...]]{@3.0.6}",
    handler: migrate,
    tips: "nondeterministic_output",
    history: &[
        ("3.0.0", "Added the `COPY` and `REPLACE` options."),
        ("3.0.6", "Added the `KEYS` option."),
        ("4.0.7", "Added the `AUTH` option."),
        ("6.0.0", "Added the `AUTH2` option."),
    ],
    ..BASE
}];

/// [`migrate_keys`] with their flags: `RW access delete` for each, as Redis's `migrateGetKeys` gives them (the
/// KEYS spec is `incomplete`, so Redis never answers with its flags).
fn migrate_key_flags(args: Args) -> Vec<(usize, &'static str)> {
    migrate_keys(args).into_iter().map(|i| (i, "RW access delete")).collect()
}

/// The keys of a MIGRATE call (Redis's `migrateGetKeys`): the key argument, or everything after a KEYS option
/// (the arguments of AUTH and AUTH2 are skipped, so a password spelled `keys` is not the option); none when KEYS
/// comes with a non-empty key argument (the command's syntax error).
fn migrate_keys(args: Args) -> Vec<usize> {
    let mut j = 6;
    while j < args.len() {
        if args.is(j, "keys") {
            if !args.get(3).is_empty() {
                return Vec::new();
            }
            return (j + 1..args.len()).collect();
        }
        if args.is(j, "auth") {
            j += 1;
        } else if args.is(j, "auth2") {
            j += 2;
        }
        j += 1;
    }
    vec![3]
}

/// Appends `*n\r\n`.
fn push_count(out: &mut Vec<u8>, n: usize) {
    let mut b = [0u8; 24];
    out.push(b'*');
    out.extend_from_slice(itoa_buf(n as i64, &mut b));
    out.extend_from_slice(b"\r\n");
}

/// Appends one bulk string.
fn push_bulk(out: &mut Vec<u8>, s: &[u8]) {
    let mut b = [0u8; 24];
    out.push(b'$');
    out.extend_from_slice(itoa_buf(s.len() as i64, &mut b));
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// MIGRATE's options after the timeout, and where its keys are.
struct MigrateOptions<'a> {
    copy: bool,
    replace: bool,
    user: Option<&'a [u8]>,
    password: Option<&'a [u8]>,
    first_key: usize,
    num_keys: usize,
}

/// Parses MIGRATE's options (COPY, REPLACE, AUTH, AUTH2, KEYS); None once an error was replied.
fn parse_migrate_options<'a>(ctx: &mut Ctx, args: Args<'a>) -> Option<MigrateOptions<'a>> {
    let mut o = MigrateOptions { copy: false, replace: false, user: None, password: None, first_key: 3, num_keys: 1 };
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args.is(j, "copy") {
            o.copy = true;
        } else if args.is(j, "replace") {
            o.replace = true;
        } else if args.is(j, "auth") && more >= 1 {
            j += 1;
            o.password = Some(args.get(j));
        } else if args.is(j, "auth2") && more >= 2 {
            o.user = Some(args.get(j + 1));
            o.password = Some(args.get(j + 2));
            j += 2;
        } else if args.is(j, "keys") {
            if !args.get(3).is_empty() {
                ctx.reply()
                    .error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
                return None;
            }
            o.first_key = j + 1;
            o.num_keys = args.len() - j - 1;
            break;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        j += 1;
    }
    Some(o)
}

/// Appends the pipeline to send to `cmd`: AUTH, SELECT when `select`, and one RESTORE per key; returns the keys a
/// RESTORE was written for.
fn migrate_pipeline<'a>(
    ctx: &mut Ctx,
    o: &MigrateOptions,
    keys: &[&'a [u8]],
    dbid: i64,
    select: bool,
    compression: bool,
    cmd: &mut Vec<u8>,
) -> Vec<&'a [u8]> {
    if let Some(pw) = o.password {
        push_count(cmd, if o.user.is_some() { 3 } else { 2 });
        push_bulk(cmd, b"AUTH");
        if let Some(u) = o.user {
            push_bulk(cmd, u);
        }
        push_bulk(cmd, pw);
    }
    if select {
        let mut b = [0u8; 24];
        push_count(cmd, 2);
        push_bulk(cmd, b"SELECT");
        push_bulk(cmd, itoa_buf(dbid, &mut b));
    }
    // Keys that expired since the lookup are left out (their TTL is taken against the clock now).
    let now = crate::util::now_ms();
    let cluster = ctx.settings().in_cluster();
    let mut sent: Vec<&[u8]> = Vec::with_capacity(keys.len());
    let db = ctx.db();
    for &k in keys {
        let Some(e) = db.peek(k, i64::MIN) else { continue };
        let mut ttl = 0;
        if let Some(at) = db.expire_of(k) {
            ttl = at - now;
            if ttl < 0 {
                continue;
            }
            ttl = ttl.max(1);
        }
        let mut b = [0u8; 24];
        push_count(cmd, if o.replace { 5 } else { 4 });
        // In cluster mode the target is importing the slot, which it does not own yet: RESTORE-ASKING.
        push_bulk(cmd, if cluster { &b"RESTORE-ASKING"[..] } else { b"RESTORE" });
        push_bulk(cmd, k);
        push_bulk(cmd, itoa_buf(ttl, &mut b));
        push_bulk(cmd, &rdb::dump_payload_with(e, compression));
        if o.replace {
            push_bulk(cmd, b"REPLACE");
        }
        sent.push(k);
    }
    sent
}

/// Sends the pipeline, then reads the AUTH and SELECT replies (empty when not sent). On failure: the error, and
/// whether it happened while writing.
fn send_migrate_pipeline(
    cs: &mut Cached,
    cmd: &[u8],
    auth: bool,
    select: bool,
    timeout: Duration,
) -> Result<(Vec<u8>, Vec<u8>), (IoFail, bool)> {
    cs.write_all(cmd, timeout).map_err(|f| (f, true))?;
    let mut auth_reply = Vec::new();
    let mut select_reply = Vec::new();
    if auth {
        auth_reply = cs.read_line(timeout).map_err(|f| (f, false))?;
    }
    if select {
        select_reply = cs.read_line(timeout).map_err(|f| (f, false))?;
    }
    Ok((auth_reply, select_reply))
}

/// What the target answered to the RESTOREs.
struct RestoreReplies<'a> {
    /// The first error reply (of AUTH, SELECT or a RESTORE), without its `-`.
    target_error: Option<Vec<u8>>,
    /// The socket error that cut the reading short.
    socket_error: Option<IoFail>,
    /// The keys the target acknowledged (none with COPY).
    moved: Vec<&'a [u8]>,
    /// How many reply lines were read.
    read: usize,
}

/// Reads one reply line per RESTORE sent; an error in the AUTH or SELECT reply fails each of them.
fn read_restore_replies<'a>(
    cs: &mut Cached,
    sent: &[&'a [u8]],
    auth_reply: &[u8],
    select_reply: &[u8],
    copy: bool,
    timeout: Duration,
) -> RestoreReplies<'a> {
    let mut out = RestoreReplies { target_error: None, socket_error: None, moved: Vec::new(), read: 0 };
    for &k in sent {
        let line = match cs.read_line(timeout) {
            Ok(l) => l,
            Err(f) => {
                out.socket_error = Some(f);
                break;
            }
        };
        out.read += 1;
        let failed = [auth_reply, select_reply, &line[..]].into_iter().find(|l| l.first() == Some(&b'-'));
        if let Some(errline) = failed {
            if out.target_error.is_none() {
                cs.last_dbid = -1;
                out.target_error = Some(errline[1..].to_vec());
            }
        } else if !copy {
            out.moved.push(k);
        }
    }
    out
}

/// Deletes the keys the target acknowledged, propagated as one DEL, and replies.
fn migrate_finish(ctx: &mut Ctx, replies: RestoreReplies) {
    // The keys the target acknowledged leave this server, propagated as one DEL.
    for &k in &replies.moved {
        if ctx.delete_key(k) {
            ctx.notify(nc::GENERIC, "del", k);
        }
    }
    if !replies.moved.is_empty() {
        let mut argv: Vec<&[u8]> = Vec::with_capacity(replies.moved.len() + 1);
        argv.push(b"DEL");
        argv.extend_from_slice(&replies.moved);
        ctx.propagation().rewrite(&argv);
    }
    if let Some(e) = replies.target_error {
        let e = String::from_utf8_lossy(&e);
        ctx.reply().error(&format!("ERR Target instance replied with error: {e}"));
    } else if replies.socket_error.is_some() {
        ctx.reply().error("IOERR error or timeout reading to target instance");
    } else {
        ctx.reply().ok();
    }
}

/// MIGRATE host port key|"" destination-db timeout \[COPY\] \[REPLACE\] [AUTH password | AUTH2 username password]
/// [KEYS key [key ...]]
fn migrate(ctx: &mut Ctx, args: Args) {
    let Some(o) = parse_migrate_options(ctx, args) else { return };
    let (Some(mut timeout), Some(dbid)) = (parse_i64(args.get(5)), parse_i64(args.get(4))) else {
        ctx.reply().err_not_int();
        return;
    };
    if timeout <= 0 {
        timeout = 1000;
    }
    let timeout = Duration::from_millis(timeout as u64);
    // The keys that exist now (an expired one is deleted by the lookup, as for any read).
    let keys: Vec<&[u8]> = (o.first_key..o.first_key + o.num_keys)
        .map(|i| args.get(i))
        .filter(|k| ctx.lookup(Access::READ, k).0.is_some())
        .collect();
    if keys.is_empty() {
        ctx.reply().simple("NOKEY");
        return;
    }
    let (host, port) = (args.get(1), args.get(2));
    let compression = ctx.config().stored_bool("rdbcompression");
    let mut may_retry = true;
    loop {
        let now_s = ctx.now_ms() / 1000;
        let pick = ctx.rng().next_u64();
        let Some(cs) = ctx.migrate_sockets().get(host, port, timeout, now_s, pick) else {
            ctx.reply().error("IOERR error or timeout connecting to the client");
            return;
        };
        let select = cs.last_dbid != dbid;
        let mut cmd = Vec::new();
        let sent = migrate_pipeline(ctx, &o, &keys, dbid, select, compression, &mut cmd);
        let cs = match ctx.migrate_sockets().get(host, port, timeout, now_s, pick) {
            Some(cs) => cs,
            None => {
                ctx.reply().error("IOERR error or timeout connecting to the client");
                return;
            }
        };
        // Send, then read the AUTH and SELECT replies and one reply per RESTORE.
        let (auth_reply, select_reply) = match send_migrate_pipeline(cs, &cmd, o.password.is_some(), select, timeout) {
            Ok(replies) => replies,
            Err((f, writing)) => {
                ctx.migrate_sockets().close(host, port);
                if f != IoFail::TimedOut && may_retry {
                    may_retry = false;
                    continue;
                }
                let what = if writing { "writing" } else { "reading" };
                ctx.reply().error(&format!("IOERR error or timeout {what} to target instance"));
                return;
            }
        };
        let replies = read_restore_replies(cs, &sent, &auth_reply, &select_reply, o.copy, timeout);
        if let Some(f) = replies.socket_error {
            if replies.target_error.is_none() && replies.read == 0 && may_retry && f != IoFail::TimedOut {
                ctx.migrate_sockets().close(host, port);
                may_retry = false;
                continue;
            }
            ctx.migrate_sockets().close(host, port);
        } else if replies.target_error.is_none() {
            cs.last_dbid = dbid;
        }
        migrate_finish(ctx, replies);
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::Harness;

    #[test]
    fn getkeys_and_argument_errors() {
        let words = |w: &[&str]| {
            let o = crate::args::OwnedArgs::from_slices(w);
            migrate_keys(o.args())
        };
        assert_eq!(words(&["MIGRATE", "h", "1", "k", "0", "5"]), vec![3]);
        assert_eq!(words(&["MIGRATE", "h", "1", "", "0", "5", "COPY", "KEYS", "a", "b"]), vec![8, 9]);
        assert_eq!(words(&["MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"]), Vec::<usize>::new());
        assert_eq!(words(&["MIGRATE", "h", "1", "", "0", "5", "AUTH", "KEYS", "KEYS", "a"]), vec![9]);
        assert_eq!(words(&["MIGRATE", "h", "1", "", "0", "5", "AUTH2", "KEYS", "1", "KEYS", "a", "b"]), vec![10, 11]);
        let mut h = Harness::new();
        assert_eq!(h.run(&["migrate", "h", "1", "k", "0", "5", "bogus"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["migrate", "h", "1", "k", "0", "5", "auth"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run(&["migrate", "h", "1", "k", "0", "5", "keys", "a"]),
            "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n"
        );
        assert_eq!(h.run(&["migrate", "h", "1", "k", "x", "5"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["migrate", "h", "1", "k", "0", "5"]), "+NOKEY\r\n");
    }
}
