//! ACL: SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT GENPASS LOG SAVE LOAD DRYRUN HELP (Redis 7.0 `aclCommand`).
//!
//! The users, rules and checks live in [`crate::acl`]; these handlers parse arguments, reply with Redis's exact
//! texts, and detach the clients of deleted or replaced users (moved back to the unauthenticated default user and
//! closed after the current command, as Redis's `ACLFreeUserAndKillClients`). Tested by `tests/operations/acl.rs`.

use super::shared::{help_entry, reply_help};
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::acl::{self, registry::registry, Reason, User, UserId, DEFAULT_USER};
use crate::state::Action;

const SUB: Command = Command {
    flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
    acl: "admin slow dangerous",
    group: Group::Server,
    since: "6.0.0",
    ..BASE
};
const SUB_PLAIN: Command = Command { flags: flag::NOSCRIPT | flag::LOADING | flag::STALE, acl: "slow", ..SUB };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "acl",
    arity: -2,
    flags: BASE.flags | flag::SEES_CLIENTS | flag::SENTINEL,
    acl: "slow",
    group: Group::Server,
    since: "6.0.0",
    summary: "A container for Access List Control commands ",
    complexity: "Depends on subcommand.",
    handler: super::shared::container,
    subcommands: SUBCOMMANDS,
    ..BASE
}];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "cat",
        arity: -2,
        summary: "List the ACL categories or the commands inside a category",
        complexity: "O(1) since the categories and commands are a fixed set.",
        syntax: "[categoryname]",
        handler: acl_cat,
        ..SUB_PLAIN
    },
    Command {
        name: "deluser",
        arity: -3,
        summary: "Remove the specified ACL users and the associated rules",
        complexity: "O(1) amortized time considering the typical user.",
        syntax: "username [username ...]",
        handler: acl_deluser,
        ..SUB
    },
    Command {
        name: "dryrun",
        arity: -4,
        since: "7.0.0",
        summary: "Returns whether the user can execute the given command without executing the command.",
        complexity: "O(1).",
        syntax: "username command [arg [arg ...]]",
        handler: acl_dryrun,
        ..SUB
    },
    Command {
        name: "genpass",
        arity: -2,
        summary: "Generate a pseudorandom secure password to use for ACL users",
        syntax: "[bits:integer]",
        handler: acl_genpass,
        ..SUB_PLAIN
    },
    Command {
        name: "getuser",
        arity: 3,
        summary: "Get the rules for a specific ACL user",
        complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
        syntax: "username",
        handler: acl_getuser,
        history: &[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            (
                "7.0.0",
                "Added selectors and changed the format of key and channel patterns from a list to their rule \
                 representation.",
            ),
        ],
        ..SUB
    },
    help_entry(SUB, acl_help),
    Command {
        name: "list",
        arity: 2,
        summary: "List the current ACL rules in ACL config file format",
        complexity: "O(N). Where N is the number of configured users.",
        handler: acl_list,
        ..SUB
    },
    Command {
        name: "load",
        arity: 2,
        summary: "Reload the ACLs from the configured ACL file",
        complexity: "O(N). Where N is the number of configured users.",
        handler: acl_load,
        ..SUB
    },
    Command {
        name: "log",
        arity: -2,
        summary: "List latest events denied because of ACLs in place",
        complexity: "O(N) with N being the number of entries shown.",
        syntax: "[count | RESET]{operation}",
        handler: acl_log,
        ..SUB
    },
    Command {
        name: "save",
        arity: 2,
        summary: "Save the current ACL rules in the configured ACL file",
        complexity: "O(N). Where N is the number of configured users.",
        handler: acl_save,
        ..SUB
    },
    Command {
        name: "setuser",
        arity: -3,
        summary: "Modify or create the rules for a specific ACL user",
        complexity: "O(N). Where N is the number of rules provided.",
        syntax: "username [rule [rule ...]]",
        handler: acl_setuser,
        history: &[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            ("7.0.0", "Added selectors and key based permissions."),
        ],
        ..SUB
    },
    Command {
        name: "users",
        arity: 2,
        summary: "List the username of all the configured ACL rules",
        complexity: "O(N). Where N is the number of configured users.",
        handler: acl_users,
        ..SUB
    },
    Command {
        name: "whoami",
        arity: 2,
        summary: "Return the name of the user associated to the current connection",
        handler: acl_whoami,
        ..SUB_PLAIN
    },
];

/// Redis's `addReplySubcommandSyntaxError`.
fn err_syntax_sub(ctx: &mut Ctx, args: Args) {
    let sub = String::from_utf8_lossy(&args.get(1)[..args.get(1).len().min(128)]).into_owned();
    let cmd = String::from_utf8_lossy(args.get(0)).to_ascii_uppercase();
    ctx.reply().error(&format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."));
}

/// Adds an ACL LOG entry for the calling client (Redis's `addACLLogEntry`): `username` overrides the client's
/// own user (failed AUTH logs the name tried).
/// `cmd` is the full name of the command being refused (CLIENT LIST's `cmd=` in the entry's client info).
pub fn log_denial(ctx: &mut Ctx, reason: Reason, object: Vec<u8>, username: Option<Vec<u8>>, cmd: &str) {
    let c = ctx.client();
    let context = if c.id == crate::scripting::SCRIPT_CLIENT_ID {
        "lua"
    } else if c.has(crate::net::client::flags::MULTI) {
        "multi"
    } else {
        "toplevel"
    };
    let now = crate::util::now_ms();
    let entry = acl::LogEntry {
        count: 1,
        reason,
        context,
        object,
        username: username.unwrap_or_else(|| c.user.as_bytes().to_vec()),
        ctime_ms: now,
        client_info: super::client_info::client_line(c, now, Some(cmd), false),
    };
    let max = ctx.config().acllog_max_len.max(0) as usize;
    ctx.server_mut().acl.add_log(entry, max);
}

/// Moves the clients of `gone` users back to the unauthenticated default user and queues them for closing
/// (the calling client is closed after its reply).
fn detach_clients(ctx: &mut Ctx, gone: &[UserId]) {
    if gone.is_empty() {
        return;
    }
    let me = ctx.client().id;
    let mut victims = Vec::new();
    let mut detach = |c: &mut crate::net::client::ClientState| {
        if gone.contains(&c.user_id) {
            c.user_id = DEFAULT_USER;
            c.user = "default".to_string();
            c.authenticated = false;
            victims.push(c.id);
        }
    };
    for c in ctx.server_mut().clients.by_fd.iter_mut().flatten() {
        if c.state.id != me {
            detach(&mut c.state);
        }
    }
    detach(ctx.client_mut());
    ctx.server_mut().actions.extend(victims.into_iter().map(Action::KillClient));
}

/// Closes the pub/sub clients of user `id` whose subscriptions the new rules no longer allow
/// (`ACLKillPubsubClientsIfNeeded`).
fn kill_pubsub_clients_if_needed(ctx: &mut Ctx, id: UserId, new: &User, old: &User) {
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming: Vec<Vec<u8>> = new.selectors.iter().flat_map(|s| s.channels.iter().cloned()).collect();
    let superset = old.selectors.iter().all(|s| !s.allchannels && s.channels.iter().all(|c| upcoming.contains(c)));
    if superset {
        return;
    }
    let allowed = |ch: &[u8], pattern: bool| {
        upcoming.iter().any(|p| if pattern { p == ch } else { crate::util::glob_match(p, ch, false) })
    };
    let violates = |c: &crate::net::client::ClientState| match &c.subs {
        Some(s) => {
            s.patterns.iter().any(|p| !allowed(p, true))
                || s.channels.iter().any(|ch| !allowed(ch, false))
                || s.shard.iter().any(|ch| !allowed(ch, false))
        }
        None => false,
    };
    let mut victims: Vec<u64> = ctx
        .server()
        .clients
        .by_fd
        .iter()
        .flatten()
        .filter(|c| c.state.user_id == id && c.state.id != ctx.client().id && violates(&c.state))
        .map(|c| c.state.id)
        .collect();
    if ctx.client().user_id == id && violates(ctx.client()) {
        victims.push(ctx.client().id);
    }
    ctx.server_mut().actions.extend(victims.into_iter().map(Action::KillClient));
}

/// ACL SETUSER username [rule ...]
fn acl_setuser(ctx: &mut Ctx, args: Args) {
    let name = args.get(2);
    if acl::user::has_spaces(name) {
        ctx.reply().error("ERR Usernames can't contain spaces or null characters");
        return;
    }
    let ops: Vec<Vec<u8>> = (3..args.len()).map(|i| args.get(i).to_vec()).collect();
    let env = acl::RuleEnv::of(&ctx.server_mut().config);
    match ctx.server_mut().acl.id_of(name) {
        Some(id) => {
            let Some(old) = ctx.server_mut().acl.user(id).cloned() else { return };
            let mut new = old.clone();
            if let Err(e) = new.apply_all(&ops, env) {
                ctx.reply().error(&format!("ERR {e}"));
                return;
            }
            kill_pubsub_clients_if_needed(ctx, id, &new, &old);
            if let Some(u) = ctx.server_mut().acl.user_mut(id) {
                *u = new;
            }
        }
        None => {
            let mut new = User::new(name, env);
            if let Err(e) = new.apply_all(&ops, env) {
                ctx.reply().error(&format!("ERR {e}"));
                return;
            }
            ctx.server_mut().acl.insert(new);
        }
    }
    ctx.reply().ok();
}

/// ACL DELUSER username [username ...]
fn acl_deluser(ctx: &mut Ctx, args: Args) {
    if (2..args.len()).any(|i| args.get(i) == b"default") {
        ctx.reply().error("ERR The 'default' user cannot be removed");
        return;
    }
    let mut gone = Vec::new();
    for i in 2..args.len() {
        if let Some(id) = ctx.server_mut().acl.remove(args.get(i)) {
            gone.push(id);
        }
    }
    detach_clients(ctx, &gone);
    ctx.reply().int(gone.len() as i64);
}

/// One selector's `commands`, `keys` and `channels` fields of ACL GETUSER.
fn reply_selector(r: &mut crate::resp::reply::Reply, s: &acl::Selector) {
    r.bulk(b"commands");
    r.bulk(s.describe_commands().as_bytes());
    r.bulk(b"keys");
    r.bulk(s.describe_keys().as_bytes());
    r.bulk(b"channels");
    r.bulk(s.describe_channels().as_bytes());
}

/// ACL GETUSER username
fn acl_getuser(ctx: &mut Ctx, args: Args) {
    let Some(u) = ctx.server_mut().acl.by_name(args.get(2)).cloned() else {
        ctx.reply().null();
        return;
    };
    let r = ctx.reply();
    r.map(6);
    r.bulk(b"flags");
    let flags: Vec<&str> = acl::user::USER_FLAG_NAMES.iter().filter(|(f, _)| u.has(*f)).map(|(_, n)| *n).collect();
    r.set(flags.len());
    for f in flags {
        r.bulk(f.as_bytes());
    }
    r.bulk(b"passwords");
    r.array(u.passwords.len());
    for p in &u.passwords {
        r.bulk(p);
    }
    reply_selector(r, &u.selectors[0]);
    r.bulk(b"selectors");
    r.array(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        r.map(3);
        reply_selector(r, s);
    }
}

/// ACL LIST
fn acl_list(ctx: &mut Ctx, _args: Args) {
    let lines: Vec<Vec<u8>> = ctx
        .server()
        .acl
        .users()
        .map(|(_, u)| {
            let mut l = b"user ".to_vec();
            l.extend_from_slice(&u.name);
            l.push(b' ');
            l.extend_from_slice(u.describe().as_bytes());
            l
        })
        .collect();
    let r = ctx.reply();
    r.array(lines.len());
    for l in &lines {
        r.bulk(l);
    }
}

/// ACL USERS
fn acl_users(ctx: &mut Ctx, _args: Args) {
    let names: Vec<Vec<u8>> = ctx.server_mut().acl.users().map(|(_, u)| u.name.clone()).collect();
    let r = ctx.reply();
    r.array(names.len());
    for n in &names {
        r.bulk(n);
    }
}

/// ACL WHOAMI
fn acl_whoami(ctx: &mut Ctx, _args: Args) {
    let name = ctx.client().user.clone();
    ctx.reply().bulk(name.as_bytes());
}

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify \
                           users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a \
                           Redis configuration file set) in order to store users in the Redis configuration.";

/// ACL LOAD: all or nothing; every client of a non-default user is closed, as in Redis.
fn acl_load(ctx: &mut Ctx, _args: Args) {
    let path = ctx.config().stored_str("aclfile").to_string();
    if path.is_empty() {
        ctx.reply().error(NO_ACL_FILE);
        return;
    }
    let env = acl::RuleEnv::of(&ctx.server_mut().config);
    match acl::load_file(&path, env) {
        Ok(users) => {
            let gone = ctx.server_mut().acl.replace_all(users, env);
            detach_clients(ctx, &gone);
            ctx.reply().ok();
        }
        Err(e) => ctx.reply().error(&format!("ERR {e}")),
    }
}

/// ACL SAVE
fn acl_save(ctx: &mut Ctx, _args: Args) {
    let path = ctx.config().stored_str("aclfile").to_string();
    if path.is_empty() {
        ctx.reply().error(NO_ACL_FILE);
        return;
    }
    if acl::save_file(&ctx.server_mut().acl, &path) {
        ctx.reply().ok();
    } else {
        ctx.reply()
            .error("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
    }
}

/// ACL CAT \[category\]
fn acl_cat(ctx: &mut Ctx, args: Args) {
    if args.len() > 3 {
        err_syntax_sub(ctx, args);
        return;
    }
    // SENTINEL's entries exist only in sentinel mode.
    let sentinel = ctx.server_mut().sentinel.is_some();
    let r = ctx.reply();
    if args.len() == 2 {
        r.array(acl::registry::CATEGORIES.len());
        for c in acl::registry::CATEGORIES {
            r.bulk(c.as_bytes());
        }
        return;
    }
    let cat = acl::registry::category_flag(args.get(2));
    if cat == 0 {
        let n = String::from_utf8_lossy(&args.get(2)[..args.get(2).len().min(128)]).into_owned();
        r.error(&format!("ERR Unknown category '{n}'"));
        return;
    }
    let reg = registry();
    let names: Vec<&str> = (0..reg.entries.len() as u16)
        .filter(|&i| reg.entry(i).cats & cat != 0 && reg.in_mode(i, sentinel))
        .map(|i| reg.entry(i).full_name)
        .collect();
    r.array(names.len());
    for n in names {
        r.bulk(n.as_bytes());
    }
}

/// ACL GENPASS \[bits\]
fn acl_genpass(ctx: &mut Ctx, args: Args) {
    const MAX_BITS: i64 = 4096;
    if args.len() > 3 {
        err_syntax_sub(ctx, args);
        return;
    }
    let bits = if args.len() == 3 {
        match crate::util::parse_i64(args.get(2)) {
            Some(b) => b,
            None => {
                ctx.reply().error("ERR value is not an integer or out of range");
                return;
            }
        }
    } else {
        256
    };
    if bits <= 0 || bits > MAX_BITS {
        ctx.reply().error(&format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to \
             {MAX_BITS}"
        ));
        return;
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut raw = vec![0u8; chars.div_ceil(2)];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut raw));
    if from_os.is_err() {
        for b in raw.iter_mut() {
            *b = ctx.server_mut().rng.next_u64() as u8;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(chars);
    for b in &raw {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
    out.truncate(chars);
    ctx.reply().bulk(&out);
}

/// ACL LOG [count | RESET]
fn acl_log(ctx: &mut Ctx, args: Args) {
    if args.len() > 3 {
        err_syntax_sub(ctx, args);
        return;
    }
    let mut count: i64 = 10;
    if args.len() == 3 {
        if args.is(2, "reset") {
            ctx.server_mut().acl.log.clear();
            ctx.reply().ok();
            return;
        }
        match crate::util::parse_i64(args.get(2)) {
            Some(n) => count = n.max(0),
            None => {
                ctx.reply().error("ERR value is not an integer or out of range");
                return;
            }
        }
    }
    let now = crate::util::now_ms();
    let n = (count as usize).min(ctx.server_mut().acl.log.len());
    let entries: Vec<acl::LogEntry> = ctx.server_mut().acl.log.iter().take(n).cloned().collect();
    let r = ctx.reply();
    r.array(n);
    for e in &entries {
        r.map(7);
        r.bulk(b"count");
        r.int(e.count as i64);
        r.bulk(b"reason");
        r.bulk(e.reason.name().as_bytes());
        r.bulk(b"context");
        r.bulk(e.context.as_bytes());
        r.bulk(b"object");
        r.bulk(&e.object);
        r.bulk(b"username");
        r.bulk(&e.username);
        r.bulk(b"age-seconds");
        r.double((now - e.ctime_ms) as f64 / 1000.0);
        r.bulk(b"client-info");
        r.bulk(e.client_info.as_bytes());
    }
}

/// ACL DRYRUN username command [arg ...]
fn acl_dryrun(ctx: &mut Ctx, args: Args) {
    let Some(u) = ctx.server().acl.by_name(args.get(2)) else {
        let n = String::from_utf8_lossy(args.get(2)).into_owned();
        ctx.reply().error(&format!("ERR User '{n}' not found"));
        return;
    };
    let sub = args.skip(3);
    // The commands of this server's mode (a sentinel's are not in the normal table).
    let sentinel = ctx.server().sentinel.is_some();
    let mut cmd = super::commands::lookup_top_in(sub.get(0), sentinel);
    if let Some(c) = cmd {
        if !c.subcommands.is_empty() && sub.len() >= 2 {
            cmd = super::lookup_sub(c, sub.get(1));
        }
    }
    let r = registry();
    let Some((cmd, id)) = cmd.and_then(|c| r.id_of(c).filter(|&id| r.in_mode(id, sentinel)).map(|id| (c, id))) else {
        let n = String::from_utf8_lossy(args.get(3)).into_owned();
        ctx.reply().error(&format!("ERR Command '{n}' not found"));
        return;
    };
    let full = r.entry(id).full_name;
    if !cmd.arity_ok(sub.len()) {
        ctx.reply().error(&format!("ERR wrong number of arguments for '{full}' command"));
        return;
    }
    match acl::check(u, id, sub) {
        Ok(()) => ctx.reply().ok(),
        Err(d) => {
            let text = match d.reason {
                Reason::Command => format!("This user has no permissions to run the '{full}' command"),
                Reason::Key => format!(
                    "This user has no permissions to access the '{}' key",
                    String::from_utf8_lossy(sub.get(d.pos))
                ),
                _ => format!(
                    "This user has no permissions to access the '{}' channel",
                    String::from_utf8_lossy(sub.get(d.pos))
                ),
            };
            ctx.reply().bulk(text.as_bytes());
        }
    }
}

/// ACL HELP
fn acl_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}
