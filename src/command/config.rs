//! CONFIG GET | SET | RESETSTAT | REWRITE | HELP (Redis `config.c`).
//!
//! The values live in `srv.config`; the server reads them from there at run time, so a successful CONFIG SET
//! takes effect at the next use (next cron tick for `hz`, next connection for `maxclients`, ...).

use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::config::{self, Directive, DIRECTIVES};
use crate::net::client::{flags as cflags, ClientState};
use crate::sys::process::{self, FilesLimit};
use crate::util::glob_match;

const SUB: Command = Command {
    flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
    acl: "admin slow dangerous",
    group: Group::Server,
    since: "2.0.0",
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: -3,
        summary: "Get the values of configuration parameters",
        complexity: "O(N) when N is the number of configuration parameters provided",
        syntax: "parameter [parameter ...]{parameter:block}",
        history: &[("7.0.0", "Added the ability to pass multiple pattern parameters in one call")],
        handler: config_get,
        ..SUB
    },
    Command {
        name: "set",
        arity: -4,
        summary: "Set configuration parameters to the given values",
        complexity: "O(N) when N is the number of configuration parameters provided",
        syntax: "parameter value [parameter value ...]",
        history: &[("7.0.0", "Added the ability to set multiple parameters in one call.")],
        handler: config_set,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        ..SUB
    },
    Command {
        name: "resetstat",
        arity: 2,
        summary: "Reset the stats returned by INFO",
        handler: config_resetstat,
        ..SUB
    },
    Command {
        name: "rewrite",
        arity: 2,
        since: "2.8.0",
        summary: "Rewrite the configuration file with the in memory configuration",
        handler: config_rewrite,
        ..SUB
    },
    Command { since: "5.0.0", ..super::shared::help_entry(SUB, config_help) },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "config",
    arity: -2,
    flags: BASE.flags | flag::SEES_CLIENTS,
    acl: "slow",
    group: Group::Server,
    since: "2.0.0",
    summary: "A container for server configuration commands",
    complexity: "Depends on subcommand.",
    subcommands: SUBCOMMANDS,
    ..BASE
}];

/// Whether a client connects from this machine (unix socket, or exactly 127.0.0.1 or ::1 as Redis 7.0's
/// `islocalClient` compares them: 127.0.0.2 is not local): such clients may use features configured as `local`
/// (`enable-debug-command local`, ...).
pub fn is_local_client(c: &ClientState) -> bool {
    if c.has(cflags::UNIX_SOCKET) {
        return true;
    }
    let ip = match c.addr.rsplit_once(':') {
        Some((ip, _)) => ip.trim_start_matches('[').trim_end_matches(']'),
        None => c.addr.as_str(),
    };
    ip == "127.0.0.1" || ip == "::1"
}

/// Directive flag of Redis's HIDDEN_CONFIG testing directives (`rdb-key-save-delay`, ...): CONFIG GET returns them
/// only when asked by exact name, never for a pattern. The directive table writes it as the literal bit.
pub const HIDDEN: u8 = 4;
const _: () = assert!(HIDDEN & (config::MUTABLE | config::PROTECTED) == 0);

/// Whether a CONFIG GET argument is a pattern rather than a plain name.
fn is_pattern(s: &[u8]) -> bool {
    s.iter().any(|c| matches!(c, b'*' | b'?' | b'['))
}

/// CONFIG GET parameter [parameter ...]
fn config_get(ctx: &mut Ctx, args: Args) {
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let add = |found: &mut Vec<(Vec<u8>, Vec<u8>)>, name: &[u8], value: Vec<u8>| {
        if !found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            found.push((name.to_vec(), value));
        }
    };
    let cfg = &ctx.server_mut().config;
    for pat in args.iter().skip(2) {
        if !is_pattern(pat) {
            // An exact name answers under the spelling it was asked with, as Redis does.
            if let Some(d) = config::find(pat) {
                add(&mut found, pat, cfg.get(d));
            }
            continue;
        }
        for d in DIRECTIVES.iter().filter(|d| d.flags & HIDDEN == 0) {
            for name in std::iter::once(d.name).chain(d.alias) {
                if glob_match(pat, name.as_bytes(), true) {
                    add(&mut found, name.as_bytes(), cfg.get(d));
                }
            }
        }
    }
    let r = ctx.reply();
    r.map(found.len());
    for (n, v) in &found {
        r.bulk(n);
        r.bulk(v);
    }
}

/// CONFIG SET parameter value [parameter value ...]
///
/// Directives CONFIG SET refuses with `-LOADING` while a dataset loads.
const DENY_LOADING: &[&str] = &["appendonly", "repl-diskless-load", "dir"];

/// The directives of one CONFIG SET, each with its name as given and its value.
type ConfigPairs<'a> = Vec<(&'static Directive, &'a [u8], &'a [u8])>;

/// CONFIG SET's error for the parameter `name`.
fn set_failed(name: &[u8], why: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{}') - {why}", String::from_utf8_lossy(name))
}

/// Checks every parameter of CONFIG SET (known, mutable, allowed, not repeated, not denied while loading) before
/// anything is set; None once an error was replied.
fn check_config_pairs<'a>(ctx: &mut Ctx, args: Args<'a>) -> Option<ConfigPairs<'a>> {
    let local = is_local_client(ctx.client());
    let mut pairs: ConfigPairs = Vec::new();
    let loading = ctx.server_mut().persist.stats.loading || ctx.server_mut().persist.stats.async_loading;
    let mut deny_loading = false;
    let mut i = 2;
    while i + 1 < args.len() {
        let (name, value) = (args.get(i), args.get(i + 1));
        i += 2;
        let Some(d) = config::find(name) else {
            let msg = format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                String::from_utf8_lossy(name)
            );
            ctx.reply().error(&msg);
            return None;
        };
        let problem = if !d.is_mutable() {
            Some("can't set immutable config")
        } else if d.is_protected() && !ctx.config().enable_protected_configs.allows(local) {
            Some("can't set protected config")
        } else if pairs.iter().any(|(p, _, _)| std::ptr::eq(*p, d)) {
            Some("duplicate parameter")
        } else {
            None
        };
        if let Some(why) = problem {
            let msg = set_failed(name, why);
            ctx.reply().error(&msg);
            return None;
        }
        // What the load depends on cannot change under it (Redis's DENY_LOADING_CONFIG), also while a replica
        // loads its master's payload next to the old data.
        if loading && DENY_LOADING.contains(&d.name) {
            deny_loading = true;
        }
        pairs.push((d, name, value));
    }
    if deny_loading {
        ctx.reply().error("LOADING Redis is loading the dataset in memory");
        return None;
    }
    Some(pairs)
}

/// Sets the values in order; the error of the first that fails (earlier ones stay set).
fn set_config_values(ctx: &mut Ctx, pairs: &ConfigPairs) -> Result<(), String> {
    for (d, name, value) in pairs {
        let values = if d.is_multi() {
            match config::split_args(value) {
                Some(v) => v,
                None => return Err(set_failed(name, "Unbalanced quotes in configuration value")),
            }
        } else {
            vec![value.to_vec()]
        };
        if let Err(why) = ctx.server_mut().config.set(d, &values) {
            return Err(set_failed(name, &why));
        }
    }
    Ok(())
}

/// What follows a successful CONFIG SET at once: myself's cluster address, the backlog's size, the tracking
/// table's limit.
fn config_set_followups(ctx: &mut Ctx, pairs: &ConfigPairs) {
    // myself's announced address, ports, hostname and no-failover flag follow at once (Redis's
    // `clusterUpdateMyself*` apply functions): CLUSTER NODES/SLOTS right after the CONFIG SET show them.
    if pairs.iter().any(|(d, _, _)| d.name.starts_with("cluster-announce-") || d.name == "cluster-replica-no-failover")
    {
        let srv = ctx.server_mut();
        if let Some(cl) = srv.cluster.as_deref_mut() {
            crate::state::cluster::sync_myself(cl, &srv.config);
        }
    }
    // A new repl-backlog-size holds from the next byte fed, which trims to it (Redis's
    // `resizeReplicationBacklog`): a PSYNC right after may already find its offset gone.
    if pairs.iter().any(|(d, _, _)| d.name == "repl-backlog-size") {
        let size = crate::state::repl::backlog::configured_size(&ctx.server_mut().config);
        if let Some(b) = ctx.server_mut().repl.backlog.as_mut() {
            b.set_size(size);
        }
        crate::state::repl::trim_backlog(ctx.server_mut());
    }
    if pairs.iter().any(|(d, _, _)| d.name == "tracking-table-max-keys") {
        ctx.server_mut().tracking.limit_changed();
    }
}

/// All or nothing: every parameter is checked first (known, mutable, not repeated); then values are applied in
/// order, and if one fails every earlier change is rolled back.
fn config_set(ctx: &mut Ctx, args: Args) {
    if args.len() % 2 != 0 {
        ctx.reply().err_syntax();
        return;
    }
    let Some(pairs) = check_config_pairs(ctx, args) else { return };
    let before = ctx.config().clone();
    if let Err(msg) = set_config_values(ctx, &pairs) {
        restore(ctx, before);
        ctx.reply().error(&msg);
        return;
    }
    crate::crash_report::raise_watchdog_period(&mut ctx.server_mut().config);
    if let Err((directive, why)) = apply_runtime(&ctx.server().config, &before, ctx.server().repl.is_replica()) {
        let name = pairs.iter().find(|(d, _, _)| d.name == directive).map_or(directive.as_bytes(), |p| p.1);
        let msg = set_failed(name, &why);
        restore(ctx, before);
        ctx.reply().error(&msg);
        return;
    }
    #[cfg(feature = "tls")]
    if let Err((name, why)) = apply_tls(ctx, &before, &pairs) {
        let msg = set_failed(name, why);
        restore(ctx, before);
        ctx.reply().error(&msg);
        return;
    }
    if let Err((name, why)) = apply_listeners(ctx, &before, &pairs) {
        let msg = set_failed(name, why);
        restore(ctx, before);
        ctx.reply().error(&msg);
        return;
    }
    config_set_followups(ctx, &pairs);
    // The event kinds the databases record follow `notify-keyspace-events` at once (a script's next write too).
    crate::state::notify::sync(ctx.server_mut());
    let in_exec = ctx.client().has(crate::net::client::flags::MULTI);
    ctx.server_mut().actions.push(crate::state::Action::ConfigChanged { in_exec });
    ctx.reply().ok();
}

/// A new `port` or `bind` re-opens the TCP listeners (Redis's updatePort / applyBind). The error names the first of
/// the two in the command, with its apply function's message; the old listeners stay open on failure.
fn apply_listeners<'a>(
    ctx: &mut Ctx,
    before: &config::Config,
    pairs: &[(&'static Directive, &'a [u8], &'a [u8])],
) -> Result<(), (&'a [u8], &'static str)> {
    let cfg = &ctx.server_mut().config;
    if cfg.port == before.port && cfg.bind == before.bind {
        return Ok(());
    }
    let Some((d, name, _)) = pairs.iter().find(|(d, _, _)| d.name == "port" || d.name == "bind") else {
        return Ok(());
    };
    let (port, bind, backlog) = (cfg.port, cfg.bind.clone(), cfg.tcp_backlog);
    if ctx.server_mut().listeners.rebind_tcp(port, &bind, backlog).is_err() {
        let why = if d.name == "port" {
            "Unable to listen on this port. Check server logs."
        } else {
            "Failed to bind to specified addresses."
        };
        return Err((name, why));
    }
    // `bind` applies to the TLS port too (Redis's changeBindAddr).
    #[cfg(feature = "tls")]
    {
        let tls_port = ctx.server_mut().config.stored_i64("tls-port") as u16;
        if tls_port != 0
            && bind != before.bind
            && ctx.server_mut().listeners.rebind_tls(tls_port, &bind, backlog).is_err()
        {
            return Err((name, "Failed to bind to specified addresses."));
        }
    }
    ctx.server_mut().actions.push(crate::state::Action::ListenersChanged);
    // The title shows the listening address and port.
    crate::proctitle::apply(&ctx.server_mut().config);
    Ok(())
}

/// Any `tls-*` directive but `tls-auth-clients` (read per connection) rebuilds the TLS configuration while TLS is
/// wanted, even when the value is the same, so CONFIG SET reloads the certificate files (Redis's `applyTlsCfg`,
/// its TLS file directives being VOLATILE_CONFIG); a new `tls-port` re-opens the TLS listeners
/// (`applyTLSPort`). Nothing changes on failure.
#[cfg(feature = "tls")]
fn apply_tls<'a>(
    ctx: &mut Ctx,
    before: &config::Config,
    pairs: &[(&'static Directive, &'a [u8], &'a [u8])],
) -> Result<(), (&'a [u8], &'static str)> {
    use crate::net::tls;
    let Some((_, name, _)) = pairs.iter().find(|(d, _, _)| d.name.starts_with("tls-") && d.name != "tls-auth-clients")
    else {
        return Ok(());
    };
    let cfg = &ctx.server().config;
    let port = cfg.stored_i64("tls-port") as u16;
    let port_changed = port as i64 != before.stored_i64("tls-port");
    let fresh = if tls::wanted(cfg) {
        match tls::configure(cfg) {
            Ok(t) => Some(t),
            Err(e) => {
                crate::log_warning!("{e}");
                return Err((name, "Unable to update TLS configuration. Check server logs."));
            }
        }
    } else {
        None
    };
    if port_changed {
        let (bind, backlog) = (cfg.bind.clone(), cfg.tcp_backlog);
        if ctx.server_mut().listeners.rebind_tls(port, &bind, backlog).is_err() {
            let name = pairs.iter().find(|(d, _, _)| d.name == "tls-port").map_or(*name, |p| p.1);
            return Err((name, "Unable to listen on this port. Check server logs."));
        }
        ctx.server_mut().actions.push(crate::state::Action::ListenersChanged);
    }
    if fresh.is_some() {
        ctx.server_mut().listeners.tls = fresh;
    }
    Ok(())
}

/// Side effects of new values that aren't just read from `srv.config` at the next use. An error names the
/// directive it is about.
fn apply_runtime(cfg: &config::Config, before: &config::Config, replica: bool) -> Result<(), (&'static str, String)> {
    if cfg.maxclients > before.maxclients {
        // More clients need more file descriptors; refuse what the system won't give, as Redis does.
        if let FilesLimit::Reduced { maxclients, .. } = process::adjust_open_files_limit(cfg.maxclients) {
            if maxclients < cfg.maxclients {
                return Err((
                    "maxclients",
                    format!(
                        "The operating system is not able to handle the specified number of clients, try with \
                         {maxclients}"
                    ),
                ));
            }
        }
    }
    let (oom, oom_before) = (crate::oom::Setting::of(cfg), crate::oom::Setting::of(before));
    if oom != oom_before {
        let class = if replica { crate::oom::Class::Replica } else { crate::oom::Class::Master };
        if crate::oom::apply(oom, class).is_err() {
            // Back to what was in force (Redis restores the previous values before replying).
            let _ = crate::oom::apply(oom_before, class);
            return Err(if oom.mode != oom_before.mode {
                ("oom-score-adj", "Failed to set current oom_score_adj. Check server logs.".to_string())
            } else {
                (
                    "oom-score-adj-values",
                    "Failed to apply oom-score-adj-values configuration: setting oom_score_adj failed (check \
                     server logs)."
                        .to_string(),
                )
            });
        }
    }
    if cfg.loglevel != before.loglevel {
        crate::log::set_level(cfg.loglevel);
    }
    if cfg.proc_title_template != before.proc_title_template {
        crate::proctitle::apply(cfg);
    }
    apply_crash_settings(cfg);
    Ok(())
}

/// crash-log-enabled, use-exit-on-panic and watchdog-period take effect at once, as in Redis.
fn apply_crash_settings(cfg: &config::Config) {
    crate::crash_report::apply_config(cfg, cfg.hz);
}

/// Puts the configuration back after a failed CONFIG SET, including the working directory and log level.
fn restore(ctx: &mut Ctx, before: config::Config) {
    if before.loglevel != ctx.config().loglevel {
        crate::log::set_level(before.loglevel);
    }
    if before.dir != ctx.config().dir {
        // Best effort: the directory we left existed a moment ago.
        let _ = std::env::set_current_dir(&before.dir);
    }
    let title_changed = before.proc_title_template != ctx.config().proc_title_template;
    let oom_before = crate::oom::Setting::of(&before);
    let oom_changed = oom_before != crate::oom::Setting::of(&ctx.server_mut().config);
    ctx.server_mut().config = before;
    if oom_changed {
        // A later step failed after the new score was set: back to the old one (a failure is logged), as Redis's
        // rollback does.
        let class =
            if ctx.server_mut().repl.is_replica() { crate::oom::Class::Replica } else { crate::oom::Class::Master };
        let _ = crate::oom::apply(oom_before, class);
    }
    if title_changed {
        crate::proctitle::apply(&ctx.server_mut().config);
    }
    apply_crash_settings(&ctx.server_mut().config);
}

/// CONFIG RESETSTAT
fn config_resetstat(ctx: &mut Ctx, _args: Args) {
    ctx.server_mut().stats = Default::default();
    crate::state::expire::reset_expire_stats(ctx.server_mut());
    ctx.server_mut().lazyfree.reset_stats();
    let r = &mut ctx.server_mut().repl;
    (r.sync_full, r.sync_partial_ok, r.sync_partial_err) = (0, 0, 0);
    // CLUSTER SLOT-STATS' counters (Valkey's resetClusterStats).
    if let Some(cl) = ctx.server_mut().cluster.as_deref_mut() {
        cl.slot_stats.fill(Default::default());
    }
    ctx.reply().ok();
}

/// CONFIG REWRITE
fn config_rewrite(ctx: &mut Ctx, _args: Args) {
    // Users go to the config file unless an ACL file holds them (Redis's rewriteConfigUserOption).
    let users: Option<Vec<String>> = ctx.config().stored_str("aclfile").is_empty().then(|| {
        ctx.server_mut()
            .acl
            .users()
            .map(|(_, u)| format!("user {} {}", String::from_utf8_lossy(&u.name), u.describe()))
            .collect()
    });
    match config::rewrite_with_users(&ctx.server_mut().config, users.as_deref()) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => ctx.reply().error(&format!("ERR {e}")),
    }
}

/// CONFIG HELP
fn config_help(ctx: &mut Ctx, _args: Args) {
    super::shared::reply_help(
        ctx.reply(),
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::OwnedArgs;
    use crate::state::ServerState;

    fn run(srv: &mut ServerState, client: &mut ClientState, argv: &[&str]) -> Vec<u8> {
        let a = OwnedArgs::from_slices(argv);
        let sub = SUBCOMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(argv[1])).unwrap();
        let mut ctx = Ctx::new(client, srv);
        (sub.handler)(&mut ctx, a.args());
        let out = ctx.reply().pending().to_vec();
        ctx.reply().consume(out.len());
        out
    }

    fn setup() -> (ServerState, ClientState) {
        (
            ServerState::new(config::Config::default()),
            ClientState::new(1, -1, "127.0.0.1:5000".into(), "127.0.0.1:6379".into(), 0),
        )
    }

    #[test]
    fn get_exact_and_patterns() {
        let (mut s, mut c) = setup();
        assert_eq!(run(&mut s, &mut c, &["config", "get", "PORT"]), b"*2\r\n$4\r\nPORT\r\n$4\r\n6379\r\n");
        assert_eq!(run(&mut s, &mut c, &["config", "get", "nosuch"]), b"*0\r\n");
        let out = run(&mut s, &mut c, &["config", "get", "maxmemory*", "maxmemory"]);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("maxmemory-policy\r\n$10\r\nnoeviction"), "{text}");
        assert_eq!(text.matches("$9\r\nmaxmemory\r\n").count(), 1, "{text}");
        let text = String::from_utf8(run(&mut s, &mut c, &["config", "get", "hash-max-*-entries"])).unwrap();
        assert!(text.contains("hash-max-ziplist-entries") && text.contains("hash-max-listpack-entries"));
    }

    #[test]
    fn set_checks_and_rolls_back() {
        let (mut s, mut c) = setup();
        assert_eq!(run(&mut s, &mut c, &["config", "set", "hz", "20", "maxmemory", "1mb"]), b"+OK\r\n");
        assert_eq!((s.config.hz, s.config.maxmemory), (20, 1 << 20));
        assert_eq!(
            run(&mut s, &mut c, &["config", "set", "hz", "5", "maxmemory", "1x"]),
            b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n"
        );
        assert_eq!(s.config.hz, 20);
        assert_eq!(
            run(&mut s, &mut c, &["config", "set", "foo", "1"]),
            b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
        );
        assert_eq!(
            run(&mut s, &mut c, &["config", "set", "daemonize", "yes"]),
            b"-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n"
        );
        assert_eq!(
            run(&mut s, &mut c, &["config", "set", "hz", "1", "HZ", "2"]),
            b"-ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter\r\n"
        );
        assert_eq!(
            run(&mut s, &mut c, &["config", "set", "dir", "/tmp"]),
            b"-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n"
        );
        assert_eq!(run(&mut s, &mut c, &["config", "set", "hz", "1", "maxmemory"]), b"-ERR syntax error\r\n");
        assert_eq!(run(&mut s, &mut c, &["config", "set", "save", "", "appendonly", "no"]), b"+OK\r\n");
        assert_eq!(run(&mut s, &mut c, &["config", "set", "save", "900 1 300 10"]), b"+OK\r\n");
        assert_eq!(s.config.save_params, vec![(900, 1), (300, 10)]);
        assert_eq!(run(&mut s, &mut c, &["config", "set", "save", "900 1 300"])[..5], b"-ERR "[..]);
        assert_eq!(s.config.save_params, vec![(900, 1), (300, 10)]);
        assert_eq!(run(&mut s, &mut c, &["config", "set", "hz", "1000"]), b"+OK\r\n");
        assert_eq!(s.config.hz, 500);
        assert_eq!(run(&mut s, &mut c, &["config", "set", "client-output-buffer-limit", "normal 1mb 2 3"]), b"+OK\r\n");
        assert_eq!(s.config.client_output_buffer_limit[0].hard_bytes, 1 << 20);
    }

    #[test]
    fn resetstat_and_rewrite_without_file() {
        let (mut s, mut c) = setup();
        s.stats.total_commands_processed = 5;
        (s.repl.sync_full, s.repl.sync_partial_ok, s.repl.sync_partial_err) = (1, 2, 3);
        assert_eq!(run(&mut s, &mut c, &["config", "resetstat"]), b"+OK\r\n");
        assert_eq!(s.stats.total_commands_processed, 0);
        assert_eq!((s.repl.sync_full, s.repl.sync_partial_ok, s.repl.sync_partial_err), (0, 0, 0));
        assert_eq!(
            run(&mut s, &mut c, &["config", "rewrite"]),
            b"-ERR The server is running without a config file\r\n"
        );
    }

    #[test]
    fn local_clients() {
        let mut c = ClientState::new(1, -1, "127.0.0.1:5000".into(), String::new(), 0);
        assert!(is_local_client(&c));
        c.addr = "::1:5000".into();
        assert!(is_local_client(&c));
        c.addr = "10.1.2.3:5000".into();
        assert!(!is_local_client(&c));
        c.flags |= cflags::UNIX_SOCKET;
        assert!(is_local_client(&c));
    }
}
