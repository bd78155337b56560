//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH and the CLIENT container.
//!
//! SELECT lives with the other database commands in `keys.rs`; the CLIENT LIST line that CLIENT LIST and CLIENT
//! INFO print is formatted in `client_info.rs`.

use super::client_info::client_line;
use super::shared::{ms_timeout_arg, reply_help};
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::config::REDIS_VERSION;
use crate::net::client::{flags as cf, ClientState};
use crate::resp::reply::Proto;
use crate::state::{Action, PauseMode};
use crate::util::parse_i64;

const CONN: Command = Command { group: Group::Connection, ..BASE };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: flag::FAST | flag::SENTINEL,
        acl: "fast connection",
        summary: "Ping the server",
        syntax: "[message]",
        handler: ping,
        tips: "request_policy:all_shards response_policy:all_succeeded",
        ..CONN
    },
    Command {
        name: "echo",
        arity: 2,
        flags: flag::LOADING | flag::STALE | flag::FAST,
        acl: "fast connection",
        summary: "Echo the given string",
        syntax: "message",
        handler: echo,
        ..CONN
    },
    Command {
        name: "quit",
        arity: -1,
        flags: flag::ALLOW_BUSY | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH,
        acl: "fast connection",
        summary: "Close the connection",
        handler: quit,
        ..CONN
    },
    Command {
        name: "reset",
        arity: 1,
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY,
        acl: "fast connection",
        since: "6.2.0",
        summary: "Reset the connection",
        handler: reset,
        ..CONN
    },
    Command {
        name: "hello",
        arity: -1,
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY | flag::SENTINEL,
        acl: "fast connection",
        since: "6.0.0",
        summary: "Handshake with Redis",
        syntax: "[protover [AUTH username password]{username_password} [SETNAME clientname]]{arguments}",
        handler: hello,
        history: &[("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context.")],
        ..CONN
    },
    Command {
        name: "auth",
        arity: -2,
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::NO_AUTH | flag::ALLOW_BUSY | flag::SENTINEL,
        acl: "fast connection",
        summary: "Authenticate to the server",
        complexity: "O(N) where N is the number of passwords defined for the user",
        syntax: "[username{@6.0.0}] password",
        handler: auth,
        history: &[("6.0.0", "Added ACL style (username and password).")],
        ..CONN
    },
    Command {
        name: "client",
        arity: -2,
        flags: CONN.flags | flag::SEES_CLIENTS | flag::SENTINEL,
        acl: "slow",
        since: "2.4.0",
        summary: "A container for client connection commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: CLIENT_SUBCOMMANDS,
        ..CONN
    },
];

const CLIENT_SUB: Command = Command {
    flags: flag::NOSCRIPT | flag::LOADING | flag::STALE,
    acl: "slow connection",
    group: Group::Connection,
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static CLIENT_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "unblock",
        arity: -3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
        acl: "admin slow dangerous connection",
        since: "5.0.0",
        summary: "Unblock a client blocked in a blocking command from a different connection",
        complexity: "O(log N) where N is the number of client connections",
        syntax: "client-id [TIMEOUT | ERROR]",
        handler: super::blocking::client_unblock,
        ..CLIENT_SUB
    },
    Command {
        name: "id",
        arity: 2,
        since: "5.0.0",
        summary: "Returns the client ID for the current connection",
        handler: client_id,
        ..CLIENT_SUB
    },
    Command {
        name: "setname",
        arity: 3,
        since: "2.6.9",
        summary: "Set the current connection name",
        syntax: "connection-name",
        handler: client_setname,
        ..CLIENT_SUB
    },
    Command {
        name: "getname",
        arity: 2,
        since: "2.6.9",
        summary: "Get the current connection name",
        handler: client_getname,
        ..CLIENT_SUB
    },
    Command {
        name: "list",
        arity: -2,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
        acl: "admin slow dangerous connection",
        since: "2.4.0",
        summary: "Get the list of client connections",
        complexity: "O(N) where N is the number of client connections",
        syntax: "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>]{normal_master_replica_pubsub@5.0.0} [ID <client-id [client-id ...]>]{@6.2.0}",
        handler: client_list,
        tips: "nondeterministic_output",
        history: &[
            ("2.8.12", "Added unique client `id` field."),
            ("5.0.0", "Added optional `TYPE` filter."),
            ("6.0.0", "Added `user` field."),
            ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."),
            ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
            ("7.0.3", "Added `ssub` field."),
        ],
        ..CLIENT_SUB
    },
    Command {
        name: "info",
        arity: 2,
        since: "6.2.0",
        summary: "Returns information about the current client connection.",
        handler: client_info,
        tips: "nondeterministic_output",
        ..CLIENT_SUB
    },
    Command {
        name: "kill",
        arity: -3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
        acl: "admin slow dangerous connection",
        since: "2.4.0",
        summary: "Kill the connection of a client",
        complexity: "O(N) where N is the number of client connections",
        // Redis 7.0's shape (its argument names and types) plus 7.4's documented MAXAGE.
        syntax: "<ip:port{!2.8.12} | <[ID client-id]{@2.8.12} | [TYPE <NORMAL | MASTER{@3.2.0} | SLAVE | REPLICA{@5.0.0} | PUBSUB>]{normal_master_slave_pubsub@2.8.12} | [USER username] | [ADDR ip:port] | [LADDR ip:port]{@6.2.0} | [SKIPME yes/no] | [MAXAGE maxage{:integer}]{@7.4.0}>{new-format} ...>{filter}",
        handler: client_kill,
        history: &[
            ("2.8.12", "Added new filter format."),
            ("2.8.12", "`ID` option."),
            ("3.2.0", "Added `master` type in for `TYPE` option."),
            ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."),
            ("6.2.0", "`LADDR` option."),
            ("7.4.0", "`MAXAGE` option."),
        ],
        ..CLIENT_SUB
    },
    Command {
        name: "setinfo",
        arity: 4,
        since: "7.2.0",
        summary: "Set client or connection specific info",
        syntax: "LIB-NAME libname | LIB-VER libver",
        handler: client_setinfo,
        ..CLIENT_SUB
    },
    Command {
        name: "reply",
        arity: 3,
        since: "3.2.0",
        summary: "Instruct the server whether to reply to commands",
        syntax: "ON | OFF | SKIP",
        handler: client_reply,
        ..CLIENT_SUB
    },
    Command {
        name: "no-evict",
        arity: 3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
        acl: "admin slow dangerous connection",
        since: "7.0.0",
        summary: "Set client eviction mode for the current connection",
        syntax: "<ON | OFF>{enabled}",
        handler: client_no_evict,
        ..CLIENT_SUB
    },
    Command {
        name: "no-touch",
        arity: 3,
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE,
        since: "7.2.0",
        summary: "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.",
        syntax: "ON | OFF",
        handler: client_no_touch,
        ..CLIENT_SUB
    },
    Command {
        name: "pause",
        arity: -3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
        acl: "admin slow dangerous connection",
        since: "2.9.50",
        summary: "Stop processing commands from clients for some time",
        syntax: "timeout [WRITE | ALL]{mode@6.2.0}",
        handler: client_pause,
        history: &[("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option.")],
        ..CLIENT_SUB
    },
    Command {
        name: "unpause",
        arity: 2,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
        acl: "admin slow dangerous connection",
        since: "6.2.0",
        summary: "Resume processing of clients that were paused",
        complexity: "O(N) Where N is the number of paused clients",
        handler: client_unpause,
        ..CLIENT_SUB
    },
    Command {
        name: "tracking",
        arity: -3,
        since: "6.0.0",
        summary: "Enable or disable server assisted client side caching support",
        complexity: "O(1). Some options may introduce additional complexity.",
        syntax: "<ON | OFF>{status} [REDIRECT client-id{:integer}] [PREFIX prefix [PREFIX prefix ...]] [BCAST] \
                 [OPTIN] [OPTOUT] [NOLOOP]",
        handler: client_tracking,
        ..CLIENT_SUB
    },
    Command {
        name: "caching",
        arity: 3,
        since: "6.0.0",
        summary: "Instruct the server about tracking or not keys in the next request",
        syntax: "<YES | NO>{mode}",
        handler: client_caching,
        ..CLIENT_SUB
    },
    Command {
        name: "getredir",
        arity: 2,
        since: "6.0.0",
        summary: "Get tracking notifications redirection client ID if any",
        handler: client_getredir,
        ..CLIENT_SUB
    },
    Command {
        name: "trackinginfo",
        arity: 2,
        since: "6.2.0",
        summary: "Return information about server assisted client side caching for the current connection",
        handler: client_trackinginfo,
        ..CLIENT_SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        handler: client_help,
        ..CLIENT_SUB
    },
];

// ---------------------------------------------------------------------------------------------------------------
// PING ECHO QUIT RESET

/// PING \[message\]
fn ping(ctx: &mut Ctx, args: Args) {
    if args.len() > 2 {
        ctx.reply().err_arity("ping");
        return;
    }
    if crate::pubsub::is_subscriber(ctx.client()) && !ctx.reply().is_resp3() {
        // A RESP2 subscriber reads pushes: PING answers in the same array shape.
        let r = ctx.reply();
        r.array(2);
        r.bulk(b"pong");
        r.bulk(if args.len() == 2 { args.get(1) } else { b"" });
        return;
    }
    if args.len() == 1 {
        ctx.reply().simple("PONG");
    } else {
        ctx.reply().bulk(args.get(1));
    }
}

/// ECHO message
fn echo(ctx: &mut Ctx, args: Args) {
    ctx.reply().bulk(args.get(1));
}

/// QUIT
fn quit(ctx: &mut Ctx, _args: Args) {
    ctx.reply().ok();
    ctx.client_mut().flags |= cf::CLOSE_AFTER_REPLY;
}

/// Whether new connections are authenticated: the default user is nopass and enabled.
fn nopass(ctx: &Ctx) -> bool {
    crate::acl::default_user_nopass(&ctx.server().acl)
}

/// RESET: back to a fresh connection's state (db 0, RESP2, no name, not a monitor, replies on, NO-TOUCH off as in
/// Redis 7.2, the default user, authenticated only when it needs no password).
fn reset(ctx: &mut Ctx, _args: Args) {
    let id = ctx.client().id;
    if ctx.client().has(cf::MONITOR) {
        ctx.server_mut().clients.monitors.retain(|&m| m != id);
    }
    let (client, srv) = ctx.client_and_server();
    crate::command::multi::discard_transaction(client, &mut srv.watches);
    crate::state::pubsub::unsubscribe_everything(srv, client);
    srv.tracking.disable(client);
    let auth = nopass(ctx);
    let c = ctx.client_mut();
    c.flags &= !(cf::MONITOR | cf::REPLY_OFF | cf::REPLY_SKIP_NEXT | cf::REPLY_SKIP | cf::NO_TOUCH);
    c.db = 0;
    c.reply.proto = Proto::Resp2;
    c.reply.enabled = true;
    c.name = None;
    c.user_id = crate::acl::DEFAULT_USER;
    c.user = "default".to_string();
    c.authenticated = auth;
    c.reply.simple("RESET");
}

// ---------------------------------------------------------------------------------------------------------------
// AUTH HELLO

/// Authenticates the client as `user` (Redis's `ACLAuthenticateUser`): the user must exist and be enabled, and
/// be nopass or have `pass` among its password hashes (compared in constant time). A failure is logged in the
/// ACL LOG with reason `auth`; the password never is.
fn authenticate(ctx: &mut Ctx, args: Args, user: &[u8], pass: &[u8]) -> bool {
    let acl = &ctx.server_mut().acl;
    let found = acl.id_of(user).and_then(|id| acl.user(id).map(|u| (id, u)));
    let ok = match found {
        Some((id, u)) if !u.has(crate::acl::user::USER_DISABLED) && u.password_ok(pass) => Some(id),
        _ => None,
    };
    match ok {
        Some(id) => {
            let c = ctx.client_mut();
            c.authenticated = true;
            c.user_id = id;
            c.user = String::from_utf8_lossy(user).into_owned();
            true
        }
        None => {
            let object = args.get(0).to_vec();
            let cmd = if args.is(0, "hello") { "hello" } else { "auth" };
            super::acl::log_denial(ctx, crate::acl::Reason::Auth, object, Some(user.to_vec()), cmd);
            false
        }
    }
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// AUTH \[username\] password
fn auth(ctx: &mut Ctx, args: Args) {
    if args.len() > 3 {
        ctx.reply().err_syntax();
        return;
    }
    let (user, pass): (&[u8], &[u8]) = if args.len() == 2 {
        if ctx.server_mut().acl.default_user().has(crate::acl::user::USER_NOPASS) {
            ctx.reply().error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        (b"default", args.get(1))
    } else {
        (args.get(1), args.get(2))
    };
    if authenticate(ctx, args, user, pass) {
        ctx.reply().ok();
    } else {
        ctx.reply().error(WRONGPASS);
    }
}

/// Client names and SETINFO values may only hold printable ASCII without spaces.
fn valid_client_text(s: &[u8]) -> bool {
    s.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

const BAD_NAME: &str = "ERR Client names cannot contain spaces, newlines or special characters.";

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx, args: Args) {
    let mut ver = 0i64;
    let mut j = 1;
    if args.len() >= 2 {
        let Some(v) = parse_i64(args.get(1)) else {
            ctx.reply().error("ERR Protocol version is not an integer or out of range");
            return;
        };
        if !(2..=3).contains(&v) {
            ctx.reply().error("NOPROTO unsupported protocol version");
            return;
        }
        ver = v;
        j = 2;
    }
    let mut creds: Option<(&[u8], &[u8])> = None;
    let mut name: Option<&[u8]> = None;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args.is(j, "auth") && more >= 2 {
            creds = Some((args.get(j + 1), args.get(j + 2)));
            j += 3;
        } else if args.is(j, "setname") && more >= 1 {
            name = Some(args.get(j + 1));
            j += 2;
        } else {
            let opt = String::from_utf8_lossy(args.get(j)).into_owned();
            ctx.reply().error(&format!("ERR Syntax error in HELLO option '{opt}'"));
            return;
        }
    }
    if let Some((u, p)) = creds {
        if !authenticate(ctx, args, u, p) {
            ctx.reply().error(WRONGPASS);
            return;
        }
    }
    if !ctx.client().authenticated {
        ctx.reply().error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if let Some(n) = name {
        if !valid_client_text(n) {
            ctx.reply().error(BAD_NAME);
            return;
        }
        ctx.client_mut().name = if n.is_empty() { None } else { Some(n.to_vec()) };
    }
    if ver == 3 {
        ctx.reply().proto = Proto::Resp3;
    } else if ver == 2 {
        ctx.reply().proto = Proto::Resp2;
    }
    let id = ctx.client().id;
    let mode: &[u8] = if ctx.server_mut().cluster.is_some() { b"cluster" } else { b"standalone" };
    let role: &[u8] = if ctx.server_mut().repl.is_replica() { b"replica" } else { b"master" };
    let r = ctx.reply();
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(if r.is_resp3() { 3 } else { 2 });
    r.bulk(b"id");
    r.int(id as i64);
    r.bulk(b"mode");
    r.bulk(mode);
    r.bulk(b"role");
    r.bulk(role);
    r.bulk(b"modules");
    r.array(0);
}

// ---------------------------------------------------------------------------------------------------------------
// CLIENT

/// CLIENT ID
fn client_id(ctx: &mut Ctx, _args: Args) {
    let id = ctx.client().id;
    ctx.reply().int(id as i64);
}

/// CLIENT SETNAME connection-name
fn client_setname(ctx: &mut Ctx, args: Args) {
    let n = args.get(2);
    if !valid_client_text(n) {
        ctx.reply().error(BAD_NAME);
        return;
    }
    ctx.client_mut().name = if n.is_empty() { None } else { Some(n.to_vec()) };
    ctx.reply().ok();
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx, _args: Args) {
    let c = ctx.client_mut();
    match &c.name {
        Some(n) => c.reply.bulk(n),
        None => c.reply.null(),
    }
}

/// CLIENT SETINFO LIB-NAME libname | LIB-VER libver (Redis 7.2)
fn client_setinfo(ctx: &mut Ctx, args: Args) {
    let (attr, val) = (args.get(2), args.get(3));
    let is_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !is_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        let a = String::from_utf8_lossy(attr).into_owned();
        ctx.reply().error(&format!("ERR Unrecognized option '{a}'"));
        return;
    }
    if !valid_client_text(val) {
        let a = String::from_utf8_lossy(attr).into_owned();
        ctx.reply().error(&format!("ERR {a} cannot contain spaces, newlines or special characters."));
        return;
    }
    let v = if val.is_empty() { None } else { Some(val.to_vec()) };
    if is_name {
        ctx.client_mut().lib_name = v;
    } else {
        ctx.client_mut().lib_ver = v;
    }
    ctx.reply().ok();
}

/// Parses `ON | OFF` for the CLIENT mode switches; None after a syntax error.
fn on_off(ctx: &mut Ctx, a: &[u8]) -> Option<bool> {
    if a.eq_ignore_ascii_case(b"on") {
        Some(true)
    } else if a.eq_ignore_ascii_case(b"off") {
        Some(false)
    } else {
        ctx.reply().err_syntax();
        None
    }
}

/// CLIENT NO-EVICT's and NO-TOUCH's steps: the client's `flag` set by ON, cleared by OFF, then `+OK`.
fn switch_flag(ctx: &mut Ctx, args: Args, flag: u32) {
    let Some(on) = on_off(ctx, args.get(2)) else { return };
    if on {
        ctx.client_mut().flags |= flag;
    } else {
        ctx.client_mut().flags &= !flag;
    }
    ctx.reply().ok();
}

/// CLIENT NO-EVICT ON | OFF
fn client_no_evict(ctx: &mut Ctx, args: Args) {
    switch_flag(ctx, args, cf::NO_EVICT)
}

/// CLIENT NO-TOUCH ON | OFF (Redis 7.2): while on, this client's reads leave keys' LRU/LFU data alone.
fn client_no_touch(ctx: &mut Ctx, args: Args) {
    switch_flag(ctx, args, cf::NO_TOUCH)
}

/// CLIENT REPLY ON | OFF | SKIP
///
/// OFF and SKIP are silent. The connection layer turns REPLY_SKIP_NEXT into REPLY_SKIP for the following command
/// and keeps `reply.enabled` in line with the flags.
fn client_reply(ctx: &mut Ctx, args: Args) {
    let a = args.get(2);
    let c = ctx.client_mut();
    if a.eq_ignore_ascii_case(b"on") {
        c.flags &= !(cf::REPLY_SKIP | cf::REPLY_SKIP_NEXT | cf::REPLY_OFF);
        c.reply.enabled = true;
        c.reply.ok();
    } else if a.eq_ignore_ascii_case(b"off") {
        c.flags |= cf::REPLY_OFF;
        c.reply.enabled = false;
    } else if a.eq_ignore_ascii_case(b"skip") {
        if !c.has(cf::REPLY_OFF) {
            c.flags |= cf::REPLY_SKIP_NEXT;
        }
        c.reply.enabled = false;
    } else {
        c.reply.err_syntax();
    }
}

/// Client classes for CLIENT LIST/KILL TYPE (Redis's `getClientType`): our master's connection, replicas (a
/// MONITOR is `normal`, as in Redis), subscribers, everyone else.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

fn client_type_by_name(n: &[u8]) -> Option<ClientType> {
    let l = n.to_ascii_lowercase();
    Some(match l.as_slice() {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"pubsub" => ClientType::PubSub,
        b"master" => ClientType::Master,
        _ => return None,
    })
}

fn client_type(c: &ClientState) -> ClientType {
    if c.has(cf::MASTER) {
        ClientType::Master
    } else if c.has(cf::REPLICA) && !c.has(cf::MONITOR) {
        ClientType::Replica
    } else if crate::pubsub::is_subscriber(c) {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

/// Every connection, the caller included, in id (creation) order.
fn all_clients<'c>(ctx: &'c Ctx) -> Vec<&'c ClientState> {
    let mut v: Vec<&ClientState> = ctx.server().clients.by_fd.iter().flatten().map(|c| &c.state).collect();
    if !v.iter().any(|c| c.id == ctx.client().id) {
        v.push(ctx.client());
    }
    v.sort_by_key(|c| c.id);
    v
}

/// CLIENT LIST [TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]
fn client_list(ctx: &mut Ctx, args: Args) {
    let now = ctx.server_mut().now_ms;
    let me = ctx.client().id;
    // Inside EXEC, Redis shows the transaction's command for the caller.
    let my_cmd = if ctx.client().has(cf::DENY_BLOCKING) { "exec" } else { "client|list" };
    let mut out = String::new();
    if args.len() == 4 && args.is(2, "type") {
        let Some(t) = client_type_by_name(args.get(3)) else {
            let n = String::from_utf8_lossy(args.get(3)).into_owned();
            ctx.reply().error(&format!("ERR Unknown client type '{n}'"));
            return;
        };
        for c in all_clients(ctx) {
            if client_type(c) == t {
                out.push_str(&client_line(c, now, (c.id == me).then_some(my_cmd), ctx.server().watches.is_dirty(c.id)));
                out.push('\n');
            }
        }
    } else if args.len() > 3 && args.is(2, "id") {
        let mut ids = Vec::with_capacity(args.len() - 3);
        for i in 3..args.len() {
            match parse_i64(args.get(i)) {
                Some(id) => ids.push(id),
                None => {
                    ctx.reply().error("ERR Invalid client ID");
                    return;
                }
            }
        }
        let clients = all_clients(ctx);
        for id in ids {
            if let Some(c) = clients.iter().find(|c| c.id as i64 == id) {
                out.push_str(&client_line(c, now, (c.id == me).then_some(my_cmd), ctx.server().watches.is_dirty(c.id)));
                out.push('\n');
            }
        }
    } else if args.len() != 2 {
        ctx.reply().err_syntax();
        return;
    } else {
        for c in all_clients(ctx) {
            out.push_str(&client_line(c, now, (c.id == me).then_some(my_cmd), ctx.server().watches.is_dirty(c.id)));
            out.push('\n');
        }
    }
    ctx.reply().verbatim("txt", out.as_bytes());
}

/// CLIENT INFO
fn client_info(ctx: &mut Ctx, _args: Args) {
    let dirty = ctx.server().watches.is_dirty(ctx.client().id);
    // Inside EXEC, Redis shows the transaction's command.
    let cmd = if ctx.client().has(cf::DENY_BLOCKING) { "exec" } else { "client|info" };
    let mut line = client_line(ctx.client(), ctx.server().now_ms, Some(cmd), dirty);
    line.push('\n');
    ctx.reply().verbatim("txt", line.as_bytes());
}

/// CLIENT KILL's filters (all must match), and SKIPME.
struct KillFilter<'a> {
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    ctype: Option<ClientType>,
    id: Option<u64>,
    user: Option<crate::acl::UserId>,
    /// MAXAGE in seconds (0: none).
    max_age: i64,
    skipme: bool,
}

impl KillFilter<'_> {
    /// Whether client `c` passes every filter (`now` in ms).
    fn matches(&self, c: &ClientState, now: i64) -> bool {
        !(self.addr.is_some_and(|a| a != c.addr.as_bytes())
            || self.laddr.is_some_and(|a| a != c.laddr.as_bytes())
            || self.ctype.is_some_and(|t| t != client_type(c))
            || self.id.is_some_and(|i| i != c.id)
            || self.user.is_some_and(|u| u != c.user_id)
            // Ages in whole seconds as Redis counts them (its clock's second minus the creation second); 7.4
            // kills a client exactly `maxage` old.
            || (self.max_age != 0 && now.div_euclid(1000) - c.created_ms.div_euclid(1000) < self.max_age))
    }
}

/// Parses CLIENT KILL's `<filter> <value>` pairs (the new form) into `f`; false once an error was replied.
fn parse_kill_filters<'a>(ctx: &mut Ctx, args: Args<'a>, f: &mut KillFilter<'a>) -> bool {
    let mut i = 2;
    while i < args.len() {
        if i + 1 >= args.len() {
            ctx.reply().err_syntax();
            return false;
        }
        let v = args.get(i + 1);
        if args.is(i, "id") {
            match parse_i64(v) {
                Some(n) if n >= 1 => f.id = Some(n as u64),
                _ => {
                    ctx.reply().error("ERR client-id should be greater than 0");
                    return false;
                }
            }
        } else if args.is(i, "type") {
            match client_type_by_name(v) {
                Some(t) => f.ctype = Some(t),
                None => {
                    let n = String::from_utf8_lossy(v).into_owned();
                    ctx.reply().error(&format!("ERR Unknown client type '{n}'"));
                    return false;
                }
            }
        } else if args.is(i, "addr") {
            f.addr = Some(v);
        } else if args.is(i, "laddr") {
            f.laddr = Some(v);
        } else if args.is(i, "user") {
            match ctx.server_mut().acl.id_of(v) {
                Some(u) => f.user = Some(u),
                None => {
                    let n = String::from_utf8_lossy(v).into_owned();
                    ctx.reply().error(&format!("ERR No such user '{n}'"));
                    return false;
                }
            }
        } else if args.is(i, "skipme") {
            if v.eq_ignore_ascii_case(b"yes") {
                f.skipme = true;
            } else if v.eq_ignore_ascii_case(b"no") {
                f.skipme = false;
            } else {
                ctx.reply().err_syntax();
                return false;
            }
        } else if args.is(i, "maxage") {
            // Redis 7.4's documented MAXAGE: a positive number of seconds (7.0's hidden form took any integer).
            match parse_i64(v) {
                Some(n) if n > 0 => f.max_age = n,
                Some(_) => {
                    ctx.reply().error("ERR maxage should be greater than 0");
                    return false;
                }
                None => {
                    ctx.reply().error("ERR maxage is not an integer or out of range");
                    return false;
                }
            }
        } else {
            ctx.reply().err_syntax();
            return false;
        }
        i += 2;
    }
    true
}

/// `CLIENT KILL ip:port | <filter value> ...`
///
/// Other clients are closed by the event loop after this command ([`Action::KillClient`]); the caller itself is
/// closed once its reply is written.
fn client_kill(ctx: &mut Ctx, args: Args) {
    let old_form = args.len() == 3;
    let mut f =
        KillFilter { addr: None, laddr: None, ctype: None, id: None, user: None, max_age: 0, skipme: !old_form };
    if old_form {
        f.addr = Some(args.get(2));
    } else if !parse_kill_filters(ctx, args, &mut f) {
        return;
    }
    let now = ctx.server_mut().now_ms;
    let me = ctx.client().id;
    let mut victims = Vec::new();
    let mut kill_me = false;
    for c in all_clients(ctx) {
        if !f.matches(c, now) {
            continue;
        }
        if c.id == me {
            if f.skipme {
                continue;
            }
            kill_me = true;
        } else {
            victims.push(c.id);
        }
    }
    let killed = victims.len() + kill_me as usize;
    ctx.server_mut().actions.extend(victims.into_iter().map(Action::KillClient));
    if kill_me {
        ctx.client_mut().flags |= cf::CLOSE_AFTER_REPLY;
    }
    if old_form {
        if killed == 0 {
            ctx.reply().error("ERR No such client");
        } else {
            ctx.reply().ok();
        }
    } else {
        ctx.reply().int(killed as i64);
    }
}

/// CLIENT TRACKING ON | OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] \[BCAST\] \[OPTIN\] \[OPTOUT\]
/// \[NOLOOP\]: options are parsed (and the redirection checked) before ON/OFF, then ON checks them against each
/// other and the client's current mode, in Redis's order and with its texts; a refusal changes nothing.
fn client_tracking(ctx: &mut Ctx, args: Args) {
    let mut redirect = 0i64;
    let mut options = 0u32;
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if args.is(j, "redirect") && more {
            j += 1;
            if redirect != 0 {
                ctx.reply().error("ERR A client can only redirect to a single other client");
                return;
            }
            let Some(id) = parse_i64(args.get(j)) else {
                ctx.reply().err_not_int();
                return;
            };
            redirect = id;
            let exists = id > 0
                && (id as u64 == ctx.client().id || ctx.server_mut().clients.id_to_fd.contains_key(&(id as u64)));
            if !exists {
                ctx.reply().error("ERR The client ID you want redirect to does not exist");
                return;
            }
        } else if args.is(j, "bcast") {
            options |= cf::TRACKING_BCAST;
        } else if args.is(j, "optin") {
            options |= cf::TRACKING_OPTIN;
        } else if args.is(j, "optout") {
            options |= cf::TRACKING_OPTOUT;
        } else if args.is(j, "noloop") {
            options |= cf::TRACKING_NOLOOP;
        } else if args.is(j, "prefix") && more {
            j += 1;
            prefixes.push(args.get(j));
        } else {
            ctx.reply().err_syntax();
            return;
        }
        j += 1;
    }
    if args.is(2, "off") {
        let (client, srv) = ctx.client_and_server();
        srv.tracking.disable(client);
        ctx.reply().ok();
        return;
    }
    if !args.is(2, "on") {
        ctx.reply().err_syntax();
        return;
    }
    let f = ctx.client().flags;
    let (bcast, optin, optout) = (cf::TRACKING_BCAST, cf::TRACKING_OPTIN, cf::TRACKING_OPTOUT);
    let refusal = if options & bcast == 0 && !prefixes.is_empty() {
        Some("ERR PREFIX option requires BCAST mode to be enabled".to_string())
    } else if f & cf::TRACKING != 0 && (f & bcast != 0) != (options & bcast != 0) {
        Some(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then \
             re-enabling it with a different mode."
                .to_string(),
        )
    } else if options & bcast != 0 && options & (optin | optout) != 0 {
        Some("ERR OPTIN and OPTOUT are not compatible with BCAST".to_string())
    } else if options & optin != 0 && options & optout != 0 {
        Some("ERR You can't specify both OPTIN mode and OPTOUT mode".to_string())
    } else if (options & optin != 0 && f & optout != 0) || (options & optout != 0 && f & optin != 0) {
        Some(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then \
             re-enabling it with a different mode."
                .to_string(),
        )
    } else if options & bcast != 0 {
        crate::state::tracking::tracker::prefix_collision(ctx.client(), &prefixes)
    } else {
        None
    };
    if let Some(e) = refusal {
        ctx.reply().error(&e);
        return;
    }
    let (client, srv) = ctx.client_and_server();
    srv.tracking.enable(client, redirect as u64, options, &prefixes);
    ctx.reply().ok();
}

/// CLIENT CACHING YES | NO: whether the next command (or transaction) is tracked, in OPTIN / OPTOUT mode.
fn client_caching(ctx: &mut Ctx, args: Args) {
    let c = ctx.client_mut();
    if !c.has(cf::TRACKING) {
        c.reply.error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode \
             enabled",
        );
        return;
    }
    let (mode, word) = if args.is(2, "yes") {
        (cf::TRACKING_OPTIN, "YES")
    } else if args.is(2, "no") {
        (cf::TRACKING_OPTOUT, "NO")
    } else {
        c.reply.err_syntax();
        return;
    };
    if !c.has(mode) {
        let m = if word == "YES" { "OPTIN" } else { "OPTOUT" };
        c.reply.error(&format!("ERR CLIENT CACHING {word} is only valid when tracking is enabled in {m} mode."));
        return;
    }
    c.flags |= cf::TRACKING_CACHING;
    c.reply.ok();
}

/// CLIENT GETREDIR: the redirection (0 for none), -1 with tracking off.
fn client_getredir(ctx: &mut Ctx, _args: Args) {
    let c = ctx.client_mut();
    let r = if c.has(cf::TRACKING) { c.tracking.redirect as i64 } else { -1 };
    c.reply.int(r);
}

/// CLIENT TRACKINGINFO: flags, redirect, prefixes.
fn client_trackinginfo(ctx: &mut Ctx, _args: Args) {
    let c = ctx.client_mut();
    let f = c.flags;
    let on = f & cf::TRACKING != 0;
    let caching = f & cf::TRACKING_CACHING != 0;
    let mut names: Vec<&[u8]> = vec![if on { b"on" } else { b"off" }];
    for (bit, name) in [
        (cf::TRACKING_BCAST, &b"bcast"[..]),
        (cf::TRACKING_OPTIN, b"optin"),
        (cf::TRACKING_OPTOUT, b"optout"),
        (cf::TRACKING_NOLOOP, b"noloop"),
        (cf::TRACKING_BROKEN_REDIR, b"broken_redirect"),
    ] {
        if f & bit != 0 {
            names.push(name);
            if bit == cf::TRACKING_OPTIN && caching {
                names.push(b"caching-yes");
            } else if bit == cf::TRACKING_OPTOUT && caching {
                names.push(b"caching-no");
            }
        }
    }
    let redirect = if on { c.tracking.redirect as i64 } else { -1 };
    let r = &mut c.reply;
    r.map(3);
    r.bulk(b"flags");
    r.set(names.len());
    for n in names {
        r.bulk(n);
    }
    r.bulk(b"redirect");
    r.int(redirect);
    r.bulk(b"prefixes");
    r.array(c.tracking.prefixes.len());
    for p in &c.tracking.prefixes {
        r.bulk(p);
    }
}

/// CLIENT PAUSE timeout [WRITE | ALL]
///
/// The server defers (does not reject) the held-back commands: see src/server/tx_pause.rs.
fn client_pause(ctx: &mut Ctx, args: Args) {
    if args.len() > 4 {
        super::admin::err_subcommand_syntax(ctx.reply(), "client", args.get(1));
        return;
    }
    let mut mode = PauseMode::All;
    if args.len() == 4 {
        if args.is(3, "write") {
            mode = PauseMode::Write;
        } else if !args.is(3, "all") {
            ctx.reply().error("ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    let Some(timeout_ms) = ms_timeout_arg(ctx.reply(), args.get(2)) else { return };
    let now = ctx.server_mut().now_ms;
    // A deadline past the i64 range is, as in Redis 7.0 (whose addition wraps it into the past), a pause that has
    // already ended: accepted, and it pauses nothing new.
    let end_ms = if timeout_ms > 0 { timeout_ms.checked_add(now).unwrap_or(0) } else { 0 };
    ctx.server_mut().pause.pause(mode, end_ms);
    // Commands after this one in the same EXEC see the pause too.
    ctx.server_mut().lazy_expiry.paused = ctx.server_mut().pause.mode_at(now) != crate::state::PauseMode::Off;
    ctx.reply().ok();
}

/// CLIENT UNPAUSE
fn client_unpause(ctx: &mut Ctx, _args: Args) {
    ctx.server_mut().pause.unpause();
    ctx.server_mut().lazy_expiry.paused = ctx.server_mut().pause.writes_held();
    ctx.reply().ok();
}

/// CLIENT HELP
fn client_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "client",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "    * MAXAGE <maxage>",
            "      Kill connections older than the specified age.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;
    use crate::net::client::{flags as cf, Client, ClientState};
    use crate::state::Action;

    #[test]
    fn ping_echo_quit() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["ping"]), "+PONG\r\n");
        assert_eq!(h.run(&["ping", "a"]), "$1\r\na\r\n");
        assert_eq!(h.run(&["ping", "a", "b"]), "-ERR wrong number of arguments for 'ping' command\r\n");
        assert_eq!(h.run(&["echo", "hi"]), "$2\r\nhi\r\n");
        assert_eq!(h.run(&["quit"]), "+OK\r\n");
        assert!(h.client.has(cf::CLOSE_AFTER_REPLY));
    }

    #[test]
    fn auth_without_and_with_password() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["auth", "x"]),
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
        );
        assert_eq!(h.run(&["auth", "default", "anything"]), "+OK\r\n");
        assert_eq!(h.run(&["auth", "bob", "x"]), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        assert_eq!(h.run(&["auth", "a", "b", "c"]), "-ERR syntax error\r\n");
        h.srv.config.requirepass = Some(b"secret".to_vec());
        h.srv.config.requirepass_gen += 1;
        let st = &mut *h.srv;
        crate::acl::sync_requirepass(&mut st.acl, &st.config);
        h.client.authenticated = false;
        assert_eq!(h.run(&["auth", "nope"]), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        assert!(!h.client.authenticated);
        assert!(h.run(&["hello", "3"]).starts_with("-NOAUTH HELLO must be called"));
        assert_eq!(h.run(&["auth", "secret"]), "+OK\r\n");
        assert!(h.client.authenticated);
        assert_eq!(h.run(&["reset"]), "+RESET\r\n");
        assert!(!h.client.authenticated);
        assert!(h.run(&["hello", "2", "auth", "default", "secret"]).starts_with("*14\r\n"));
        assert!(h.client.authenticated);
        // A failed AUTH is in the ACL LOG, under the name tried, without the password.
        assert_eq!(h.srv.acl.log.len(), 2);
        assert_eq!((h.srv.acl.log[0].reason.name(), &h.srv.acl.log[0].username[..]), ("auth", &b"default"[..]));
        assert_eq!(&h.srv.acl.log[1].username[..], b"bob");
    }

    #[test]
    fn hello_variants() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["hello", "4"]), "-NOPROTO unsupported protocol version\r\n");
        assert_eq!(h.run(&["hello", "abc"]), "-ERR Protocol version is not an integer or out of range\r\n");
        assert_eq!(h.run(&["hello", "3", "foo"]), "-ERR Syntax error in HELLO option 'foo'\r\n");
        assert_eq!(
            h.run(&["hello", "3", "setname", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(
            h.run(&["hello", "3", "setname", "me"]),
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
        );
        assert_eq!(h.run(&["client", "getname"]), "$2\r\nme\r\n");
        assert_eq!(h.run(&["get", "nokey"]), "_\r\n");
        assert!(h.run(&["hello"]).starts_with("%7\r\n"));
        assert!(h.run(&["hello", "2"]).starts_with("*14\r\n"));
    }

    #[test]
    fn client_name_and_modes() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["client", "id"]), ":7\r\n");
        assert_eq!(h.run(&["client", "getname"]), "$-1\r\n");
        assert_eq!(
            h.run(&["client", "setname", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(h.run(&["client", "setname", "abc"]), "+OK\r\n");
        assert_eq!(h.run(&["client", "getname"]), "$3\r\nabc\r\n");
        assert_eq!(h.run(&["client", "setname", ""]), "+OK\r\n");
        assert_eq!(h.run(&["client", "getname"]), "$-1\r\n");
        assert_eq!(h.run(&["client", "no-evict", "maybe"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["client", "no-evict", "on"]), "+OK\r\n");
        assert_eq!(h.run(&["client", "no-touch", "on"]), "+OK\r\n");
        assert!(h.client.has(cf::NO_TOUCH) && h.client.has(cf::NO_EVICT));
        assert_eq!(h.run(&["client", "setinfo", "lib-name", "redis-py"]), "+OK\r\n");
        assert_eq!(h.run(&["client", "setinfo", "LIB-VER", "1.0"]), "+OK\r\n");
        assert_eq!(h.run(&["client", "setinfo", "foo", "x"]), "-ERR Unrecognized option 'foo'\r\n");
        assert_eq!(
            h.run(&["client", "setinfo", "Lib-Name", "a b"]),
            "-ERR Lib-Name cannot contain spaces, newlines or special characters.\r\n"
        );
        let info = h.run(&["client", "info"]);
        assert!(info.contains(" flags=eT "), "{info}");
        // Redis 7.0.15 stores the library attributes but does not print them.
        assert!(info.ends_with(" resp=2\n\r\n") && !info.contains("lib-name"), "{info}");
        assert_eq!(h.client.lib_name.as_deref(), Some(&b"redis-py"[..]));
        assert!(info.starts_with("$") && info.contains("id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=9 name= "));
        assert_eq!(h.run(&["client", "reply", "maybe"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["client", "reply", "off"]), "");
        assert_eq!(h.run(&["ping"]), "");
        assert_eq!(h.run(&["client", "reply", "on"]), "+OK\r\n");
        assert_eq!(h.run(&["client", "foo"]), "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n");
    }

    #[test]
    fn client_pause_and_unpause() {
        use crate::state::PauseMode;
        let mut h = Harness::new();
        assert_eq!(h.run(&["client", "pause", "abc"]), "-ERR timeout is not an integer or out of range\r\n");
        assert_eq!(h.run(&["client", "pause", "-1"]), "-ERR timeout is negative\r\n");
        assert_eq!(h.run(&["client", "pause", "abc", "foo"]), "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
        assert_eq!(
            h.run(&["client", "pause", "10", "all", "x"]),
            "-ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.\r\n"
        );
        let now = h.srv.now_ms;
        assert_eq!(h.run(&["client", "pause", "9223372036854775807"]), "+OK\r\n");
        assert_eq!(h.srv.pause.mode_at(now), PauseMode::Off, "an overflowing deadline pauses nothing, as in Redis");
        assert_eq!(h.run(&["client", "pause", "1000", "write"]), "+OK\r\n");
        assert_eq!(h.srv.pause.mode_at(now), PauseMode::Write);
        assert!(h.srv.pause.defers(true, now));
        assert!(!h.srv.pause.defers(false, now));
        // A later, shorter pause changes the mode but keeps the later end.
        assert_eq!(h.run(&["client", "pause", "10", "all"]), "+OK\r\n");
        assert_eq!(h.srv.pause.mode_at(now + 500), PauseMode::All);
        assert_eq!(h.srv.pause.mode_at(now + 1000), PauseMode::Off);
        let gen = h.srv.pause.generation;
        // While all clients are paused a client's command waits, CLIENT UNPAUSE included (Redis's processCommand).
        assert_eq!(h.run(&["client", "unpause"]), "");
        assert!(h.client.has(crate::net::client::flags::POSTPONED));
        h.client.flags &= !crate::net::client::flags::POSTPONED;
        h.srv.now_ms = now + 1000;
        assert_eq!(h.srv.pause.mode_at(now), PauseMode::All);
        assert_eq!(h.run(&["client", "unpause"]), "+OK\r\n");
        assert_eq!(h.srv.pause.mode_at(now), PauseMode::Off);
        assert!(h.srv.pause.generation > gen);
    }

    #[test]
    fn client_list_transaction_fields() {
        let mut h = Harness::new();
        let line = h.run(&["client", "info"]);
        assert!(line.contains(" flags=N ") && line.contains(" multi=-1 ") && line.contains(" multi-mem=0 "));
        h.run(&["watch", "k"]);
        h.run(&["set", "k", "1"]);
        assert!(h.run(&["client", "info"]).contains(" flags=d "));
        h.run(&["multi"]);
        h.client.multi.get_or_insert_with(Default::default).push(
            crate::command::lookup(b"ping").unwrap(),
            "ping",
            crate::command::OwnedArgs::from_slices(&["PING"]).args(),
        );
        let mut ctx = crate::command::Ctx::new(&mut h.client, &mut h.srv);
        super::client_info(&mut ctx, crate::command::OwnedArgs::from_slices(&["client", "info"]).args());
        drop(ctx);
        let line = String::from_utf8_lossy(h.client.reply.pending()).into_owned();
        assert!(line.contains(" flags=xd ") && line.contains(" multi=1 ") && line.contains(" multi-mem=12 "), "{line}");
    }

    fn add_client(h: &mut Harness, id: u64, fd: i32, addr: &str) {
        let st = ClientState::new(id, fd, addr.into(), "127.0.0.1:6379".into(), h.srv.now_ms);
        let slot = fd as usize;
        if h.srv.clients.by_fd.len() <= slot {
            h.srv.clients.by_fd.resize_with(slot + 1, || None);
        }
        h.srv.clients.by_fd[slot] = Some(Box::new(Client::new(st, None)));
    }

    #[test]
    fn client_list_and_kill() {
        let mut h = Harness::new();
        add_client(&mut h, 3, 11, "10.0.0.1:1111");
        add_client(&mut h, 12, 12, "10.0.0.2:2222");
        let list = h.run(&["client", "list"]);
        let lines: Vec<&str> = list.split('\n').filter(|l| l.contains("id=")).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("id=3 ") && lines[1].contains("id=7 ") && lines[2].contains("id=12 "));
        assert!(h.run(&["client", "list", "id", "12", "99"]).contains("id=12 addr=10.0.0.2:2222"));
        assert_eq!(h.run(&["client", "list", "id", "x"]), "-ERR Invalid client ID\r\n");
        assert_eq!(h.run(&["client", "list", "type", "foo"]), "-ERR Unknown client type 'foo'\r\n");
        assert_eq!(h.run(&["client", "list", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["client", "kill", "1.2.3.4:5"]), "-ERR No such client\r\n");
        assert_eq!(h.run(&["client", "kill", "id", "0"]), "-ERR client-id should be greater than 0\r\n");
        assert_eq!(h.run(&["client", "kill", "user", "bob"]), "-ERR No such user 'bob'\r\n");
        assert_eq!(h.run(&["client", "kill", "skipme", "maybe"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["client", "kill", "10.0.0.1:1111"]), "+OK\r\n");
        assert_eq!(h.srv.actions, vec![Action::KillClient(3)]);
        h.srv.actions.clear();
        // New form skips the caller by default.
        assert_eq!(h.run(&["client", "kill", "type", "normal"]), ":2\r\n");
        assert!(!h.client.has(cf::CLOSE_AFTER_REPLY));
        h.srv.actions.clear();
        assert_eq!(h.run(&["client", "kill", "id", "7", "skipme", "no"]), ":1\r\n");
        assert!(h.client.has(cf::CLOSE_AFTER_REPLY));
        assert!(h.srv.actions.is_empty());
        assert_eq!(h.run(&["client", "kill", "maxage", "1000"]), ":0\r\n");
    }
}
