//! SENTINEL and its subcommands (Redis 7.0's `sentinelCommand`), in sentinel mode only: the entry is flagged
//! [`flag::ONLY_SENTINEL`], so the normal table leaves it out (an unknown command, as in Redis) and the table the
//! server builds for `--sentinel` holds it and the few others a sentinel accepts (flagged [`flag::SENTINEL`]).
//!
//! The state is `srv.sentinel` ([`crate::sentinel`]); every handler that changes it ends with
//! [`crate::state::sentinel::drain`], which publishes the events it queued and saves the config file when asked,
//! so a reply of `+OK` means the new state is on disk (Redis's `sentinelFlushConfigAndReply`).

#![forbid(unsafe_code)]

use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::resp::reply::Reply;
use crate::sentinel::{flags, Instance, Sentinel};

const SUB: Command = Command {
    flags: flag::ADMIN | flag::ONLY_SENTINEL,
    acl: "admin slow dangerous",
    group: Group::Sentinel,
    since: "2.8.4",
    // Redis documents no complexity for CKQUORUM, FAILOVER, PENDING-SCRIPTS and SIMULATE-FAILURE.
    complexity: "",
    ..BASE
};

/// A subcommand entry; the optional last argument is its syntax (COMMAND DOCS derives the argument tree from it).
macro_rules! sub {
    ($name:literal, $arity:expr, $summary:literal, $handler:expr) => {
        Command { name: $name, arity: $arity, summary: $summary, handler: $handler, ..SUB }
    };
    ($name:literal, $arity:expr, $summary:literal, $handler:expr, $syntax:literal) => {
        Command { name: $name, arity: $arity, summary: $summary, handler: $handler, syntax: $syntax, ..SUB }
    };
}

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    sub!("ckquorum", 3, "Check for a Sentinel quorum", ckquorum, "master-name"),
    Command {
        since: "6.2.0",
        complexity: "O(1)",
        ..sub!(
            "config",
            -3,
            "Configure Sentinel",
            config,
            "<SET parameter value [parameter value ...]{set_param_value} | GET parameter [parameter ...]>{set_or_get}"
        )
    },
    Command {
        since: "7.0.0",
        complexity: "O(N) where N is the number of configurable parameters",
        ..sub!(
            "debug",
            -2,
            "List or update the current configurable parameters",
            debug,
            "parameter value [parameter value ...]"
        )
    },
    sub!("failover", 3, "Force a failover", failover, "master-name"),
    Command { complexity: "O(1)", ..sub!("flushconfig", 2, "Rewrite configuration file", flushconfig) },
    Command {
        complexity: "O(1)",
        ..sub!("get-master-addr-by-name", 3, "Get port and address of a master", get_master_addr_by_name, "master-name")
    },
    Command {
        flags: flag::LOADING | flag::STALE | flag::ONLY_SENTINEL,
        acl: "slow",
        since: "6.2.0",
        complexity: "O(1)",
        ..sub!("help", 2, "Show helpful text about the different subcommands", help)
    },
    Command {
        since: "3.2.0",
        complexity: "O(N) where N is the number of instances",
        ..sub!(
            "info-cache",
            -3,
            "Get cached INFO from the instances in the deployment",
            info_cache,
            "nodename [nodename ...]"
        )
    },
    Command {
        complexity: "O(1)",
        ..sub!(
            "is-master-down-by-addr",
            6,
            "Check if a master is down",
            is_master_down,
            "ip port current-epoch{:integer} runid"
        )
    },
    Command { complexity: "O(1)", ..sub!("master", 3, "Shows the state of a master", master, "master-name") },
    Command {
        complexity: "O(N) where N is the number of masters",
        ..sub!("masters", 2, "List the monitored masters", masters)
    },
    Command { complexity: "O(1)", ..sub!("monitor", 6, "Start monitoring", monitor, "name ip port quorum{:integer}") },
    Command { since: "6.2.0", complexity: "O(1)", ..sub!("myid", 2, "Get the Sentinel instance ID", myid) },
    sub!("pending-scripts", 2, "Get information about pending scripts", pending_scripts),
    Command { complexity: "O(1)", ..sub!("remove", 3, "Stop monitoring", remove, "master-name") },
    Command {
        since: "5.0.0",
        complexity: "O(N) where N is the number of replicas",
        ..sub!("replicas", 3, "List the monitored replicas", replicas, "master-name")
    },
    Command {
        complexity: "O(N) where N is the number of monitored masters",
        ..sub!("reset", 3, "Reset masters by name pattern", reset, "pattern")
    },
    Command {
        complexity: "O(N) where N is the number of Sentinels",
        ..sub!("sentinels", 3, "List the Sentinel instances", sentinels, "master-name")
    },
    Command {
        complexity: "O(1)",
        ..sub!(
            "set",
            -5,
            "Change the configuration of a monitored master",
            set,
            "master-name option value [option value ...]"
        )
    },
    Command {
        since: "3.2.0",
        ..sub!(
            "simulate-failure",
            -3,
            "Simulate failover scenarios",
            simulate_failure,
            "[<crash-after-election{:pure-token} | crash-after-promotion{:pure-token} | help{:pure-token}>{mode} ...]"
        )
    },
    Command {
        since: "2.8.0",
        complexity: "O(N) where N is the number of slaves",
        ..sub!("slaves", 3, "List the monitored slaves", replicas, "master-name")
    },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "sentinel",
    arity: -2,
    flags: flag::ADMIN | flag::ONLY_SENTINEL,
    acl: "admin slow dangerous",
    group: Group::Sentinel,
    since: "2.8.4",
    summary: "A container for Sentinel commands",
    complexity: "Depends on subcommand.",
    subcommands: SUBCOMMANDS,
    ..BASE
}];

/// The sentinel state; the SENTINEL command exists only in sentinel mode, where it is always set.
fn state<'a>(ctx: &'a mut Ctx) -> Option<&'a mut Sentinel> {
    ctx.server_mut().sentinel.as_deref_mut()
}

fn arg(args: &Args, i: usize) -> String {
    String::from_utf8_lossy(args.get(i)).into_owned()
}

fn no_such_master(r: &mut Reply) {
    r.error("ERR No such master with that name");
}

/// Publishes queued events and saves the config when asked; false when the save failed.
fn drain(ctx: &mut Ctx) -> bool {
    let (client, srv) = ctx.client_and_server();
    crate::state::sentinel::drain(srv, Some(client))
}

/// Saves the config now and replies `+OK`, or Redis's error when the file could not be written.
fn flush_and_reply(ctx: &mut Ctx) {
    if let Some(s) = state(ctx) {
        s.flush_requested = true;
    }
    if drain(ctx) {
        ctx.reply().ok();
    } else {
        ctx.reply().error("ERR Failed to save config file. Check server logs.");
    }
}

/// The INFO section of a sentinel.
pub fn info_section(s: &Sentinel, now: i64) -> String {
    let tilt_since = if s.tilt { (now - s.tilt_start_time) / 1000 } else { -1 };
    let mut out = format!(
        "# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\n\
         sentinel_running_scripts:{}\r\nsentinel_scripts_queue_length:{}\r\nsentinel_simulate_failure_flags:{}\r\n",
        s.masters.len(),
        u8::from(s.tilt),
        tilt_since,
        s.running_scripts,
        s.scripts_queue.len(),
        s.simfailure_flags
    );
    for (i, m) in s.masters.iter().enumerate() {
        let status = if m.is(flags::O_DOWN) {
            "odown"
        } else if m.is(flags::S_DOWN) {
            "sdown"
        } else {
            "ok"
        };
        out.push_str(&format!(
            "master{i}:name={},status={status},address={}:{},slaves={},sentinels={}\r\n",
            m.name,
            s.announce(&m.addr),
            m.addr.port,
            m.replicas.len(),
            m.sentinels.len() + 1
        ));
    }
    out
}

/// One instance's fields as a map (Redis's `addReplySentinelRedisInstance`).
fn reply_instance(r: &mut Reply, s: &Sentinel, i: &Instance, now: i64) {
    let mut fields: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut put = |k: &'static str, v: String| fields.push((k, v.into_bytes()));
    put("name", i.name.clone());
    put("ip", s.announce(&i.addr).to_string());
    put("port", i.addr.port.to_string());
    put("runid", i.runid.clone().unwrap_or_default());
    let names = [
        (flags::S_DOWN, "s_down"),
        (flags::O_DOWN, "o_down"),
        (flags::MASTER, "master"),
        (flags::SLAVE, "slave"),
        (flags::SENTINEL, "sentinel"),
    ];
    let mut fl: Vec<&str> = names.iter().filter(|(f, _)| i.is(*f)).map(|(_, n)| *n).collect();
    let l = s.link(i.link);
    if l.disconnected(i.needs_pubsub()) {
        fl.push("disconnected");
    }
    let more = [
        (flags::MASTER_DOWN, "master_down"),
        (flags::FAILOVER_IN_PROGRESS, "failover_in_progress"),
        (flags::PROMOTED, "promoted"),
        (flags::RECONF_SENT, "reconf_sent"),
        (flags::RECONF_INPROG, "reconf_inprog"),
        (flags::RECONF_DONE, "reconf_done"),
        (flags::FORCE_FAILOVER, "force_failover"),
        (flags::SCRIPT_KILL_SENT, "script_kill_sent"),
    ];
    fl.extend(more.iter().filter(|(f, _)| i.is(*f)).map(|(_, n)| *n));
    put("flags", fl.join(","));
    put("link-pending-commands", l.pending_commands.to_string());
    put("link-refcount", l.refcount.to_string());
    if i.is(flags::FAILOVER_IN_PROGRESS) {
        put("failover-state", i.failover_state.name().into());
    }
    let ago = |t: i64| (now - t).to_string();
    put("last-ping-sent", if l.act_ping_time != 0 { ago(l.act_ping_time) } else { "0".into() });
    put("last-ok-ping-reply", ago(l.last_avail_time));
    put("last-ping-reply", ago(l.last_pong_time));
    if i.is(flags::S_DOWN) {
        put("s-down-time", ago(i.s_down_since_time));
    }
    if i.is(flags::O_DOWN) {
        put("o-down-time", ago(i.o_down_since_time));
    }
    put("down-after-milliseconds", i.down_after_period.to_string());
    if i.is(flags::MASTER | flags::SLAVE) {
        put("info-refresh", if i.info_refresh != 0 { ago(i.info_refresh) } else { "0".into() });
        put("role-reported", if i.role_reported == flags::MASTER { "master" } else { "slave" }.into());
        put("role-reported-time", ago(i.role_reported_time));
    }
    if i.is(flags::MASTER) {
        put("config-epoch", i.config_epoch.to_string());
        put("num-slaves", i.replicas.len().to_string());
        put("num-other-sentinels", i.sentinels.len().to_string());
        put("quorum", i.quorum.to_string());
        put("failover-timeout", i.failover_timeout.to_string());
        put("parallel-syncs", i.parallel_syncs.to_string());
        if let Some(p) = &i.notification_script {
            put("notification-script", p.clone());
        }
        if let Some(p) = &i.client_reconfig_script {
            put("client-reconfig-script", p.clone());
        }
    }
    if i.is(flags::SLAVE) {
        put("master-link-down-time", i.master_link_down_time.to_string());
        put("master-link-status", if i.slave_master_link_up { "ok" } else { "err" }.into());
        put("master-host", i.slave_master_host.clone().unwrap_or_else(|| "?".into()));
        put("master-port", i.slave_master_port.to_string());
        put("slave-priority", i.slave_priority.to_string());
        put("slave-repl-offset", i.slave_repl_offset.to_string());
        put("replica-announced", u8::from(i.replica_announced).to_string());
    }
    if i.is(flags::SENTINEL) {
        put("last-hello-message", ago(i.last_hello_time));
        put("voted-leader", i.leader.clone().unwrap_or_else(|| "?".into()));
        put("voted-leader-epoch", i.leader_epoch.to_string());
    }
    r.map(fields.len());
    for (k, v) in fields {
        r.bulk(k.as_bytes());
        r.bulk(&v);
    }
}

/// A list of instances; replicas whose INFO says `replica_announced:0` are left out.
fn reply_instances(r: &mut Reply, s: &Sentinel, list: &[Instance], now: i64) {
    let shown: Vec<&Instance> = list.iter().filter(|i| !i.is(flags::SLAVE) || i.replica_announced).collect();
    r.array(shown.len());
    for i in shown {
        reply_instance(r, s, i, now);
    }
}

/// SENTINEL HELP: Redis 7.0's text, byte for byte (clients and tests compare HELP replies like any other).
fn help(ctx: &mut Ctx, _args: Args) {
    super::shared::reply_help(
        ctx.reply(),
        "SENTINEL",
        &[
            "CKQUORUM <master-name>",
            "    Check if the current Sentinel configuration is able to reach the quorum",
            "    needed to failover a master and the majority needed to authorize the",
            "    failover.",
            "CONFIG SET <param> <value>",
            "    Set a global Sentinel configuration parameter.",
            "CONFIG GET <param>",
            "    Get global Sentinel configuration parameter.",
            "DEBUG [<param> <value> ...]",
            "    Show a list of configurable time parameters and their values (milliseconds).",
            "    Or update current configurable parameters values (one or more).",
            "GET-MASTER-ADDR-BY-NAME <master-name>",
            "    Return the ip and port number of the master with that name.",
            "FAILOVER <master-name>",
            "    Manually failover a master node without asking for agreement from other",
            "    Sentinels",
            "FLUSHCONFIG",
            "    Force Sentinel to rewrite its configuration on disk, including the current",
            "    Sentinel state.",
            "INFO-CACHE <master-name>",
            "    Return last cached INFO output from masters and all its replicas.",
            "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
            "    Check if the master specified by ip:port is down from current Sentinel's",
            "    point of view.",
            "MASTER <master-name>",
            "    Show the state and info of the specified master.",
            "MASTERS",
            "    Show a list of monitored masters and their state.",
            "MONITOR <name> <ip> <port> <quorum>",
            "    Start monitoring a new master with the specified name, ip, port and quorum.",
            "MYID",
            "    Return the ID of the Sentinel instance.",
            "PENDING-SCRIPTS",
            "    Get pending scripts information.",
            "REMOVE <master-name>",
            "    Remove master from Sentinel's monitor list.",
            "REPLICAS <master-name>",
            "    Show a list of replicas for this master and their state.",
            "RESET <pattern>",
            "    Reset masters for specific master name matching this pattern.",
            "SENTINELS <master-name>",
            "    Show a list of Sentinel instances for this master and their state.",
            "SET <master-name> <option> <value> [<option> <value> ...]",
            "    Set configuration parameters for certain masters.",
            "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
            "    Simulate a Sentinel crash.",
        ],
    );
}

/// SENTINEL MASTERS
fn masters(ctx: &mut Ctx, _args: Args) {
    let now = crate::util::now_ms();
    let (client, srv) = ctx.client_and_server();
    let Some(s) = srv.sentinel.as_deref() else { return };
    reply_instances(&mut client.reply, s, &s.masters, now);
}

/// `SENTINEL MASTER <name>`
fn master(ctx: &mut Ctx, args: Args) {
    with_master(ctx, &args, reply_instance)
}

/// SENTINEL MASTER's, REPLICAS' and SENTINELS' lookup: `reply` gets the master named by the third argument (and
/// the time), or the reply is Redis's no-such-master error.
fn with_master(ctx: &mut Ctx, args: &Args, reply: impl FnOnce(&mut Reply, &Sentinel, &Instance, i64)) {
    let now = crate::util::now_ms();
    let name = arg(args, 2);
    let (client, srv) = ctx.client_and_server();
    let Some(s) = srv.sentinel.as_deref() else { return };
    match s.master(&name) {
        Some(m) => reply(&mut client.reply, s, m, now),
        None => no_such_master(&mut client.reply),
    }
}

/// `SENTINEL REPLICAS <name>` (and its old name SLAVES)
fn replicas(ctx: &mut Ctx, args: Args) {
    with_master(ctx, &args, |r, s, m, now| reply_instances(r, s, &m.replicas, now))
}

/// `SENTINEL SENTINELS <name>`
fn sentinels(ctx: &mut Ctx, args: Args) {
    with_master(ctx, &args, |r, s, m, now| reply_instances(r, s, &m.sentinels, now))
}

/// SENTINEL MYID
fn myid(ctx: &mut Ctx, _args: Args) {
    let id = state(ctx).map(|s| s.myid.clone()).unwrap_or_default();
    ctx.reply().bulk(id.as_bytes());
}

/// `SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>`: whether this sentinel sees that master
/// SDOWN, and (when `runid` is not `*`) its vote for the failover leader of that epoch.
fn is_master_down(ctx: &mut Ctx, args: Args) {
    let now = crate::util::now_ms();
    let (Some(port), Some(epoch)) = (crate::util::parse_i64(args.get(3)), crate::util::parse_i64(args.get(4))) else {
        return ctx.reply().err_not_int();
    };
    let ip = arg(&args, 2);
    let runid = arg(&args, 5);
    let Some(s) = state(ctx) else { return };
    let found = s
        .masters
        .iter()
        .find(|m| m.addr.port as i64 == port && (m.addr.ip == ip || m.addr.hostname == ip))
        .map(|m| m.name.clone());
    let down = !s.tilt && found.as_ref().and_then(|n| s.master(n)).is_some_and(|m| m.is(flags::S_DOWN));
    let mut vote = (None, 0);
    if let Some(name) = found.filter(|_| runid != "*") {
        vote = s.vote_leader(&name, epoch as u64, &runid, now);
    }
    drain(ctx);
    let r = ctx.reply();
    r.array(3);
    r.int(i64::from(down));
    r.bulk(vote.0.as_deref().unwrap_or("*").as_bytes());
    r.int(vote.1 as i64);
}

/// `SENTINEL RESET <pattern>`
fn reset(ctx: &mut Ctx, args: Args) {
    let now = crate::util::now_ms();
    let n = state(ctx).map_or(0, |s| s.reset_by_pattern(args.get(2), now));
    drain(ctx);
    ctx.reply().int(n as i64);
}

/// `SENTINEL GET-MASTER-ADDR-BY-NAME <name>`
fn get_master_addr_by_name(ctx: &mut Ctx, args: Args) {
    let name = arg(&args, 2);
    let (client, srv) = ctx.client_and_server();
    let Some(s) = srv.sentinel.as_deref() else { return };
    let r = &mut client.reply;
    match s.master(&name) {
        None => r.null_array(),
        Some(m) => {
            let a = s.current_master_addr(m);
            r.array(2);
            r.bulk(s.announce(a).as_bytes());
            r.bulk_int(a.port as i64);
        }
    }
}

/// `SENTINEL FAILOVER <name>`: a failover now, without asking the other sentinels.
fn failover(ctx: &mut Ctx, args: Args) {
    let now = crate::util::now_ms();
    let name = arg(&args, 2);
    let Some(s) = state(ctx) else { return };
    let Some(m) = s.master(&name) else { return no_such_master(ctx.reply()) };
    if m.is(flags::FAILOVER_IN_PROGRESS) {
        return ctx.reply().error("INPROG Failover already in progress");
    }
    if s.select_replica(&name, now).is_none() {
        return ctx.reply().error("NOGOODSLAVE No suitable replica to promote");
    }
    crate::log_warning!("Executing user requested FAILOVER of '{name}'");
    s.start_failover(&name, now);
    if let Some(m) = s.master_mut(&name) {
        m.flags |= flags::FORCE_FAILOVER;
    }
    drain(ctx);
    ctx.reply().ok();
}

/// `SENTINEL MONITOR <name> <ip> <port> <quorum>`
fn monitor(ctx: &mut Ctx, args: Args) {
    let now = crate::util::now_ms();
    let Some(quorum) = crate::util::parse_i64(args.get(5)) else { return ctx.reply().error("ERR Invalid quorum") };
    let Some(port) = crate::util::parse_i64(args.get(4)) else { return ctx.reply().error("ERR Invalid port") };
    if quorum <= 0 {
        return ctx.reply().error("ERR Quorum must be 1 or greater.");
    }
    let (name, host) = (arg(&args, 2), arg(&args, 3));
    let Some(s) = state(ctx) else { return };
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(&host);
    let valid = bare.parse::<std::net::IpAddr>().is_ok()
        || (s.resolve_hostnames && crate::net::resolve::resolve_ips(&host).is_ok_and(|v| !v.is_empty()));
    if !valid {
        return ctx.reply().error("ERR Invalid IP address or hostname specified");
    }
    if let Err(e) = s.add_master(&name, &host, port, quorum.min(u32::MAX as i64) as u32, now) {
        return ctx.reply().error(&format!("ERR {}", e.text(flags::MASTER)));
    }
    flush_and_reply(ctx);
    let Some(s) = state(ctx) else { return };
    let r = crate::sentinel::InstRef::Master(name);
    s.event_at(true, "+monitor", &r, &format!("quorum {quorum}"));
    drain(ctx);
}

/// SENTINEL FLUSHCONFIG
fn flushconfig(ctx: &mut Ctx, _args: Args) {
    flush_and_reply(ctx);
}

/// `SENTINEL REMOVE <name>`
fn remove(ctx: &mut Ctx, args: Args) {
    let name = arg(&args, 2);
    let Some(s) = state(ctx) else { return };
    if s.master(&name).is_none() {
        return no_such_master(ctx.reply());
    }
    s.event_at(true, "-monitor", &crate::sentinel::InstRef::Master(name.clone()), "");
    s.masters.retain(|m| m.name != name);
    s.release_links();
    flush_and_reply(ctx);
}

/// `SENTINEL CKQUORUM <name>`
fn ckquorum(ctx: &mut Ctx, args: Args) {
    let name = arg(&args, 2);
    let Some(s) = state(ctx) else { return };
    let Some(m) = s.master(&name) else { return no_such_master(ctx.reply()) };
    let usable = 1 + m.sentinels.iter().filter(|x| !x.is(flags::S_DOWN | flags::O_DOWN)).count();
    let voters = m.sentinels.len() + 1;
    let no_quorum = usable < m.quorum as usize;
    let no_auth = usable < voters / 2 + 1;
    if !no_quorum && !no_auth {
        return ctx
            .reply()
            .simple(&format!("OK {usable} usable Sentinels. Quorum and failover authorization can be reached"));
    }
    let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
    if no_quorum {
        e.push_str("Not enough available Sentinels to reach the specified quorum for this master");
    }
    if no_auth {
        if no_quorum {
            e.push_str(". ");
        }
        e.push_str("Not enough available Sentinels to reach the majority and authorize a failover");
    }
    ctx.reply().error(&e);
}

/// SENTINEL SET's error for the bad value at `j` of the option at `opt_j`.
fn set_bad_arg(args: &Args, j: usize, opt_j: usize) -> String {
    format!("ERR Invalid argument '{}' for SENTINEL SET '{}'", arg(args, j), arg(args, opt_j))
}

/// SENTINEL SET of a numeric option of master `i` (value at `j`, option at `opt_j`): a positive number (0 allowed
/// for `master-reboot-down-after-period`).
fn set_number(s: &mut Sentinel, i: usize, option: &str, args: &Args, j: usize, opt_j: usize) -> Result<(), String> {
    let positive = |v: &[u8], allow_zero: bool| crate::util::parse_i64(v).filter(|n| *n > 0 || (allow_zero && *n == 0));
    let Some(v) = positive(args.get(j), option == "master-reboot-down-after-period") else {
        return Err(set_bad_arg(args, j, opt_j));
    };
    let m = &mut s.masters[i];
    match option {
        "down-after-milliseconds" => {
            m.down_after_period = v;
            s.propagate_down_after(i);
        }
        "failover-timeout" => m.failover_timeout = v,
        "parallel-syncs" => m.parallel_syncs = v,
        "quorum" => m.quorum = v.min(u32::MAX as i64) as u32,
        _ => m.master_reboot_down_after_period = v,
    }
    Ok(())
}

/// SENTINEL SET `notification-script` / `client-reconfig-script` of master `i` (an empty value removes it).
fn set_script(s: &mut Sentinel, i: usize, option: &str, value: String) -> Result<(), String> {
    if s.deny_scripts_reconfig {
        return Err("ERR Reconfiguration of scripts path is denied for security reasons. Check the \
                    deny-scripts-reconfig configuration directive in your Sentinel configuration"
            .into());
    }
    let notification = option == "notification-script";
    if !value.is_empty() && !crate::sentinel::config::is_executable(&value) {
        return Err(if notification {
            "ERR Notification script seems non existing or non executable".into()
        } else {
            "ERR Client reconfiguration script seems non existing or non executable".into()
        });
    }
    let v = (!value.is_empty()).then_some(value);
    if notification {
        s.masters[i].notification_script = v;
    } else {
        s.masters[i].client_reconfig_script = v;
    }
    Ok(())
}

/// SENTINEL SET `auth-pass` / `auth-user` of master `i` (named `name`); returns whether the value must be
/// redacted in the `+set` event.
fn set_auth(s: &mut Sentinel, i: usize, option: &str, name: &str, value: String) -> bool {
    let mut redacted = false;
    let v = (!value.is_empty()).then_some(value);
    if option == "auth-pass" {
        s.masters[i].auth_pass = v;
        redacted = true;
    } else {
        s.masters[i].auth_user = v;
    }
    // New credentials: the master and its replicas reconnect with them (Redis's
    // `dropInstanceConnections`; the links to sentinels, maybe shared with other masters, use
    // `sentinel-pass` and stay).
    let refs: Vec<_> = s
        .all_refs()
        .into_iter()
        .filter(|r| r.master_name() == name && !matches!(r, crate::sentinel::InstRef::Sentinel(..)))
        .collect();
    for r in refs {
        s.close_links(&r);
    }
    redacted
}

/// SENTINEL SET `rename-command <old> <new>` of master `i` (`<new>` at `j`, the option at `opt_j`).
fn set_rename(s: &mut Sentinel, i: usize, args: &Args, j: usize, opt_j: usize) -> Result<(), String> {
    let (old, new) = (arg(args, j - 1), arg(args, j));
    if old.is_empty() || new.is_empty() {
        return Err(set_bad_arg(args, if new.is_empty() { j } else { j - 1 }, opt_j));
    }
    let m = &mut s.masters[i];
    m.renamed_commands.retain(|(from, _)| !from.eq_ignore_ascii_case(&old));
    if !old.eq_ignore_ascii_case(&new) {
        m.renamed_commands.push((old, new));
    }
    Ok(())
}

/// `SENTINEL SET <name> <option> <value> [<option> <value> ...]`
fn set(ctx: &mut Ctx, args: Args) {
    let name = arg(&args, 2);
    let Some(s) = state(ctx) else { return };
    if s.master(&name).is_none() {
        return no_such_master(ctx.reply());
    }
    let mut changes = 0;
    let mut j = 3;
    let mut error: Option<String> = None;
    while j < args.len() {
        let option = arg(&args, j).to_ascii_lowercase();
        let moreargs = args.len() - 1 - j;
        let old_j = j;
        let mut redacted = false;
        let Some(i) = s.masters.iter().position(|m| m.name == name) else { break };
        let result = match option.as_str() {
            "down-after-milliseconds"
            | "failover-timeout"
            | "parallel-syncs"
            | "quorum"
            | "master-reboot-down-after-period"
                if moreargs > 0 =>
            {
                j += 1;
                set_number(s, i, &option, &args, j, old_j)
            }
            "notification-script" | "client-reconfig-script" if moreargs > 0 => {
                j += 1;
                set_script(s, i, &option, arg(&args, j))
            }
            "auth-pass" | "auth-user" if moreargs > 0 => {
                j += 1;
                redacted = set_auth(s, i, &option, &name, arg(&args, j));
                Ok(())
            }
            "rename-command" if moreargs > 1 => {
                j += 2;
                set_rename(s, i, &args, j, old_j)
            }
            _ => Err(format!("ERR Unknown option or number of arguments for SENTINEL SET '{}'", arg(&args, j))),
        };
        if let Err(e) = result {
            error = Some(e);
            break;
        }
        changes += 1;
        let words: Vec<String> = (old_j..=j).map(|k| arg(&args, k)).collect();
        let text = match words.len() {
            2 => format!("{} {}", words[0], if redacted { "******" } else { &words[1] }),
            3 => words.join(" "),
            _ => words[0].clone(),
        };
        s.event_at(true, "+set", &crate::sentinel::InstRef::Master(name.clone()), &text);
        j += 1;
    }
    match error {
        None if changes > 0 => flush_and_reply(ctx),
        None => {}
        Some(e) => {
            if changes > 0 {
                if let Some(s) = state(ctx) {
                    s.flush_requested = true;
                }
            }
            drain(ctx);
            ctx.reply().error(&e);
        }
    }
}

/// `SENTINEL CONFIG GET <pattern> | SET <param> <value>`
fn config(ctx: &mut Ctx, args: Args) {
    let verb = arg(&args, 2).to_ascii_lowercase();
    if verb == "set" && args.len() == 5 {
        config_set(ctx, args)
    } else if verb == "get" && args.len() == 4 {
        config_get(ctx, args)
    } else {
        ctx.reply().error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
    }
}

fn config_get(ctx: &mut Ctx, args: Args) {
    let pattern = args.get(3).to_vec();
    let Some(s) = ctx.server_mut().sentinel.as_deref() else { return };
    let all: [(&str, String); 6] = [
        ("resolve-hostnames", if s.resolve_hostnames { "yes" } else { "no" }.into()),
        ("announce-hostnames", if s.announce_hostnames { "yes" } else { "no" }.into()),
        ("announce-ip", s.announce_ip.clone().unwrap_or_default()),
        ("announce-port", s.announce_port.to_string()),
        ("sentinel-user", s.sentinel_auth_user.clone().unwrap_or_default()),
        ("sentinel-pass", s.sentinel_auth_pass.clone().unwrap_or_default()),
    ];
    let hits: Vec<&(&str, String)> =
        all.iter().filter(|(k, _)| crate::util::glob_match(&pattern, k.as_bytes(), true)).collect();
    let r = ctx.reply();
    r.map(hits.len());
    for (k, v) in hits {
        r.bulk(k.as_bytes());
        r.bulk(v.as_bytes());
    }
}

fn config_set(ctx: &mut Ctx, args: Args) {
    let (opt, val) = (arg(&args, 3), arg(&args, 4));
    let Some(s) = state(ctx) else { return };
    let yes_no = |v: &str| {
        if v.eq_ignore_ascii_case("yes") {
            Some(true)
        } else if v.eq_ignore_ascii_case("no") {
            Some(false)
        } else {
            None
        }
    };
    let badfmt = format!("ERR Invalid value '{val}' to SENTINEL CONFIG SET '{opt}'");
    let mut drop_conns = false;
    match opt.to_ascii_lowercase().as_str() {
        "resolve-hostnames" => match yes_no(&val) {
            Some(b) => s.resolve_hostnames = b,
            None => return ctx.reply().error(&badfmt),
        },
        "announce-hostnames" => match yes_no(&val) {
            Some(b) => s.announce_hostnames = b,
            None => return ctx.reply().error(&badfmt),
        },
        "announce-ip" => s.announce_ip = Some(val.clone()),
        "announce-port" => match crate::util::parse_i64(val.as_bytes()).filter(|p| (0..=65535).contains(p)) {
            Some(p) => s.announce_port = p as u16,
            None => return ctx.reply().error(&badfmt),
        },
        "sentinel-user" | "sentinel-pass" => {
            let v = (!val.is_empty()).then(|| val.clone());
            if opt.eq_ignore_ascii_case("sentinel-user") {
                s.sentinel_auth_user = v;
            } else {
                s.sentinel_auth_pass = v;
            }
            drop_conns = true;
        }
        _ => return ctx.reply().error(&format!("ERR Invalid argument '{opt}' to SENTINEL CONFIG SET")),
    }
    flush_and_reply(ctx);
    if drop_conns {
        // The links to other sentinels reconnect with the new credentials (Redis's `sentinelDropConnections`).
        if let Some(s) = state(ctx) {
            for r in s.all_refs().into_iter().filter(|r| matches!(r, crate::sentinel::InstRef::Sentinel(..))) {
                s.close_links(&r);
            }
        }
    }
}

/// `SENTINEL INFO-CACHE <name> [<name> ...]`
fn info_cache(ctx: &mut Ctx, args: Args) {
    let now = crate::util::now_ms();
    let (client, srv) = ctx.client_and_server();
    let Some(s) = srv.sentinel.as_deref() else { return };
    let mut picked: Vec<&Instance> = Vec::new();
    for k in 2..args.len() {
        if let Some(m) = s.master(&arg(&args, k)) {
            if !picked.iter().any(|p| p.name == m.name) {
                picked.push(m);
            }
        }
    }
    let r = &mut client.reply;
    r.array(picked.len() * 2);
    for m in picked {
        r.bulk(m.name.as_bytes());
        r.array(m.replicas.len() + 1);
        let ago = |t: i64| if m.info_refresh != 0 { now - t } else { 0 };
        for i in std::iter::once(m).chain(m.replicas.iter()) {
            r.array(2);
            r.int(ago(i.info_refresh));
            match &i.info {
                Some(text) => r.bulk(text),
                None => r.null(),
            }
        }
    }
}

/// SENTINEL PENDING-SCRIPTS: the script runs queued or running.
fn pending_scripts(ctx: &mut Ctx, _args: Args) {
    let now = crate::util::now_ms();
    let (client, srv) = ctx.client_and_server();
    let Some(s) = srv.sentinel.as_deref() else { return };
    let r = &mut client.reply;
    r.array(s.scripts_queue.len());
    for job in &s.scripts_queue {
        r.map(5);
        r.bulk(b"argv");
        r.array(job.argv.len());
        for a in &job.argv {
            r.bulk(a.as_bytes());
        }
        r.bulk(b"flags");
        r.bulk(if job.running() { b"running" } else { b"scheduled" });
        r.bulk(b"pid");
        r.bulk_int(job.pid() as i64);
        if job.running() {
            r.bulk(b"run-time");
            r.bulk_int(now - job.start_time);
        } else {
            r.bulk(b"run-delay");
            r.bulk_int(if job.start_time != 0 { (job.start_time - now).max(0) } else { 0 });
        }
        r.bulk(b"retry-num");
        r.bulk_int(job.retry_num as i64);
    }
}

/// SENTINEL SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] \[HELP\]
fn simulate_failure(ctx: &mut Ctx, args: Args) {
    let Some(s) = state(ctx) else { return };
    s.simfailure_flags = 0;
    for k in 2..args.len() {
        let a = arg(&args, k).to_ascii_lowercase();
        match a.as_str() {
            "crash-after-election" => {
                s.simfailure_flags |= crate::sentinel::SIMFAILURE_CRASH_AFTER_ELECTION;
                crate::log_warning!(
                    "Failure simulation: this Sentinel will crash after being successfully elected as failover leader"
                );
            }
            "crash-after-promotion" => {
                s.simfailure_flags |= crate::sentinel::SIMFAILURE_CRASH_AFTER_PROMOTION;
                crate::log_warning!(
                    "Failure simulation: this Sentinel will crash after promoting the selected replica to master"
                );
            }
            "help" => {
                let r = ctx.reply();
                r.array(2);
                r.bulk(b"crash-after-election");
                r.bulk(b"crash-after-promotion");
                return;
            }
            _ => return ctx.reply().error("ERR Unknown failure simulation specified"),
        }
    }
    ctx.reply().ok();
}

/// `SENTINEL DEBUG [<param> <value> ...]`
fn debug(ctx: &mut Ctx, args: Args) {
    let Some(s) = state(ctx) else { return };
    let t = &mut s.timing;
    if args.len() == 2 {
        let fields: [(&str, i64); 13] = [
            ("INFO-PERIOD", t.info_period),
            ("PING-PERIOD", t.ping_period),
            ("ASK-PERIOD", t.ask_period),
            ("PUBLISH-PERIOD", t.publish_period),
            ("DEFAULT-DOWN-AFTER", t.default_down_after),
            ("DEFAULT-FAILOVER-TIMEOUT", t.default_failover_timeout),
            ("TILT-TRIGGER", t.tilt_trigger),
            ("TILT-PERIOD", t.tilt_period),
            ("SLAVE-RECONF-TIMEOUT", t.slave_reconf_timeout),
            ("MIN-LINK-RECONNECT-PERIOD", t.min_link_reconnect_period),
            ("ELECTION-TIMEOUT", t.election_timeout),
            ("SCRIPT-MAX-RUNTIME", t.script_max_runtime),
            ("SCRIPT-RETRY-DELAY", t.script_retry_delay),
        ];
        let r = ctx.reply();
        r.map(fields.len());
        for (k, v) in fields {
            r.bulk(k.as_bytes());
            r.bulk_int(v);
        }
        return;
    }
    let mut j = 2;
    while j < args.len() {
        let option = arg(&args, j);
        let moreargs = args.len() - 1 - j;
        let slot: Option<&mut i64> = match option.to_ascii_lowercase().as_str() {
            _ if moreargs == 0 => None,
            "info-period" => Some(&mut t.info_period),
            "ping-period" => Some(&mut t.ping_period),
            "ask-period" => Some(&mut t.ask_period),
            "publish-period" => Some(&mut t.publish_period),
            "default-down-after" => Some(&mut t.default_down_after),
            "tilt-trigger" => Some(&mut t.tilt_trigger),
            "tilt-period" => Some(&mut t.tilt_period),
            "slave-reconf-timeout" => Some(&mut t.slave_reconf_timeout),
            "min-link-reconnect-period" => Some(&mut t.min_link_reconnect_period),
            "default-failover-timeout" => Some(&mut t.default_failover_timeout),
            "election-timeout" => Some(&mut t.election_timeout),
            "script-max-runtime" => Some(&mut t.script_max_runtime),
            "script-retry-delay" => Some(&mut t.script_retry_delay),
            _ => None,
        };
        let Some(slot) = slot else {
            return ctx
                .reply()
                .error(&format!("ERR Unknown option or number of arguments for SENTINEL DEBUG '{option}'"));
        };
        j += 1;
        match crate::util::parse_i64(args.get(j)).filter(|v| *v > 0) {
            Some(v) => *slot = v,
            None => {
                let bad = arg(&args, j);
                return ctx.reply().error(&format!("ERR Invalid argument '{bad}' for SENTINEL DEBUG '{option}'"));
            }
        }
        j += 1;
    }
    ctx.reply().ok();
}
