//! Replication commands: SYNC, PSYNC, REPLCONF, ROLE, REPLICAOF / SLAVEOF. Handlers decide and record; what needs
//! the event loop (forking the RDB, connecting to a master, closing clients) is left in `srv.repl` for the server
//! to do right after the command (see [`crate::state::repl`] and `server/repl.rs`).

use super::shared::{int_arg, ms_timeout_arg, positive_long_arg, range_long_arg};
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::net::client::flags;
use crate::state::repl::{
    self,
    roles::{MasterAddr, PsyncOutcome, Replica, ReplicaState, Request, Waiter},
};

const SERVER: Command = Command { group: Group::Server, complexity: "O(1)", ..BASE };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "sync",
        arity: 1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Internal command used for replication",
        complexity: "",
        handler: sync,
        ..SERVER
    },
    Command {
        name: "psync",
        arity: -3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "2.8.0",
        summary: "Internal command used for replication",
        complexity: "",
        syntax: "replicationid offset",
        handler: sync,
        ..SERVER
    },
    Command {
        name: "replconf",
        arity: -1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::ALLOW_BUSY,
        acl: "admin slow dangerous",
        since: "3.0.0",
        summary: "An internal command for configuring the replication stream",
        handler: replconf,
        ..SERVER
    },
    Command {
        name: "role",
        arity: 1,
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::SENTINEL,
        acl: "admin fast dangerous",
        since: "2.8.12",
        summary: "Return the role of the instance in the context of replication",
        handler: role,
        ..SERVER
    },
    Command {
        name: "wait",
        arity: 3,
        flags: flag::NOSCRIPT,
        acl: "slow connection",
        group: Group::Generic,
        since: "3.0.0",
        summary: "Wait for the synchronous replication of all the write commands sent in the context of the \
                  current connection",
        syntax: "numreplicas timeout",
        tips: "request_policy:all_shards response_policy:agg_min",
        handler: wait,
        ..SERVER
    },
    Command {
        name: "waitaof",
        arity: 4,
        flags: flag::BLOCKING,
        acl: "slow blocking connection",
        group: Group::Generic,
        since: "7.2.0",
        summary: "Blocks until all of the preceding write commands sent by the connection are written to the \
                  append-only file of the master and/or replicas.",
        syntax: "numlocal{:integer} numreplicas timeout",
        tips: "request_policy:all_shards response_policy:agg_min",
        handler: waitaof,
        ..SERVER
    },
    Command {
        name: "replicaof",
        arity: 3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::NO_ASYNC_LOADING | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "5.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        syntax: "<<host port>{host-port} | <NO ONE>{no-one}>{args}",
        handler: replicaof,
        ..SERVER
    },
    Command {
        name: "failover",
        arity: -1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "6.2.0",
        summary: "Start a coordinated failover between this server and one of its replicas.",
        syntax: "[TO host port [FORCE]]{target} [ABORT] [TIMEOUT milliseconds]",
        handler: failover,
        ..SERVER
    },
    Command {
        name: "slaveof",
        arity: 3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::NO_ASYNC_LOADING | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        syntax: "<<host port>{host-port} | <NO ONE>{no-one}>{args}",
        handler: replicaof,
        ..SERVER
    },
];

/// FAILOVER [TO host port \[FORCE\]] \[ABORT\] [TIMEOUT ms] (Redis's `failoverCommand`); the server's cron and
/// before-sleep hook carry it on (see [`crate::state::repl::failover`]).
fn failover(ctx: &mut Ctx, args: Args) {
    use crate::state::repl::failover::{self as fo, State};
    let rest: Vec<&[u8]> = args.iter().skip(1).collect();
    let req = match fo::parse(&rest) {
        Ok(r) => r,
        Err(e) => return ctx.reply().error(&e),
    };
    let srv = ctx.server_mut();
    if req.abort {
        if srv.repl.failover.state == State::None {
            ctx.reply().error("ERR No failover in progress.");
            return;
        }
        srv.repl.requests.push(Request::AbortFailover("Failover manually aborted"));
        ctx.reply().ok();
        return;
    }
    let target = match fo::validate(&req, srv.repl.failover.state, srv.repl.is_replica(), &srv.repl.replicas) {
        Ok(t) => t,
        Err(e) => return ctx.reply().error(e),
    };
    match &target {
        Some((h, p)) => crate::log_notice!("FAILOVER requested to {h}:{p}."),
        None => crate::log_notice!("FAILOVER requested to any replica."),
    }
    let now = crate::util::now_ms();
    srv.repl.failover = fo::Failover {
        state: State::WaitForSync,
        target,
        end_ms: if req.timeout_ms > 0 { now.saturating_add(req.timeout_ms) } else { 0 },
        force: req.force,
    };
    srv.pause.set_failover(true);
    srv.lazy_expiry.paused = true;
    ctx.reply().ok();
}

/// The peer's IP from a client's `ip:port` address.
fn peer_ip(addr: &str) -> String {
    let ip = addr.rsplit_once(':').map_or(addr, |(ip, _)| ip);
    ip.trim_start_matches('[').trim_end_matches(']').to_string()
}

/// `PSYNC replid offset FAILOVER`: our master hands its role over to us; false once an error was replied.
fn psync_failover(ctx: &mut Ctx, args: Args) -> bool {
    // Our master hands its role over to us: promote now, so the PSYNC below continues its history.
    if args.get(1) != ctx.server_mut().repl.replid.as_bytes() {
        ctx.reply().error("ERR PSYNC FAILOVER replid must match my replid.");
        return false;
    }
    if ctx.server_mut().repl.is_replica() {
        crate::state::repl::unset_master(ctx.server_mut());
        ctx.server_mut().repl.requests.push(Request::DropMasterLink);
        let who = crate::command::client_info::client_info_string(ctx.client(), ctx.server().now_ms);
        crate::log_notice!("MASTER MODE enabled (failover request from '{who}')");
    }
    true
}

/// The states in which SYNC and PSYNC are refused (failing over, no link to our master, pending output, a
/// filtered replica without EOF marks); false once the error was replied.
fn sync_allowed(ctx: &mut Ctx) -> bool {
    if ctx.server_mut().repl.failover.state != repl::failover::State::None {
        ctx.reply().error("NOMASTERLINK Can't SYNC while failing over");
        return false;
    }
    let r = &ctx.server_mut().repl;
    if r.is_replica() && r.master_client.is_none() {
        ctx.reply().error("NOMASTERLINK Can't SYNC while not connected with my master");
        return false;
    }
    if ctx.reply().pending_len() > 0 {
        ctx.reply().error("ERR SYNC and PSYNC are invalid with pending output");
        return false;
    }
    let id = ctx.client().id;
    let filtered = ctx.server_mut().repl.replconf.iter().any(|(i, r)| *i == id && r.req != 0 && !r.capa_eof);
    if filtered {
        // A filtered payload is always made on a socket (never over the snapshot file), so it needs EOF marks.
        ctx.reply().error("ERR Filtered replica requires EOF capability");
        return false;
    }
    true
}

/// A partial resynchronization accepted: `+CONTINUE`, then the backlog from `offset` on.
fn accept_partial(ctx: &mut Ctx, mut replica: Replica, offset: i64, who: &str, capa_psync2: bool) {
    let (client, srv) = ctx.client_and_server();
    let line = if capa_psync2 { format!("+CONTINUE {}\r\n", srv.repl.replid) } else { "+CONTINUE\r\n".into() };
    client.reply.raw_bytes(line.as_bytes());
    client.uncounted_out += line.len();
    // The backlog from `offset` on follows from the shared buffer.
    let n = srv.repl.backlog.as_ref().map_or(0, |b| b.end() - offset);
    replica.stream_off = offset;
    crate::log_notice!(
        "Partial resynchronization request from {who} accepted. Sending {n} bytes of backlog starting from offset \
         {offset}."
    );
    replica.state = ReplicaState::Online;
    client.flags |= flags::REPLICA;
    srv.repl.replicas.push(replica);
    srv.repl.sync_partial_ok += 1;
}

/// A full resynchronization: the replica is registered (creating the backlog for the first one) and waits for a
/// payload.
fn start_full_sync(ctx: &mut Ctx, replica: Replica) {
    let (client, srv) = ctx.client_and_server();
    srv.repl.sync_full += 1;
    if srv.config.stored_bool("repl-disable-tcp-nodelay") {
        // Not critical if it fails (a unix socket has no such option).
        let _ = crate::sys::socket::clear_nodelay(client.fd);
    }
    client.flags |= flags::REPLICA;
    srv.repl.replicas.push(replica);
    if srv.repl.replicas.len() == 1 && srv.repl.backlog.is_none() {
        crate::state::repl::change_replid(srv);
        crate::state::repl::clear_replid2(srv);
        crate::state::repl::create_backlog(srv);
        crate::log_notice!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            srv.repl.replid,
            srv.repl.replid2
        );
    }
    srv.repl.sync_wanted = true;
}

/// SYNC / PSYNC replicationid offset
fn sync(ctx: &mut Ctx, args: Args) {
    if ctx.client().has(flags::REPLICA) {
        return;
    }
    if args.len() > 3
        && args.get(0).eq_ignore_ascii_case(b"psync")
        && args.get(3).eq_ignore_ascii_case(b"failover")
        && !psync_failover(ctx, args)
    {
        return;
    }
    if !sync_allowed(ctx) {
        return;
    }
    let id = ctx.client().id;
    let info = ctx.server_mut().repl.take_replconf(id);
    let mut replica = Replica {
        announced_ip: info.announced_ip.clone(),
        listening_port: info.listening_port,
        capa_eof: info.capa_eof,
        rdb_only: info.rdb_only,
        req: info.req,
        ..Replica::new(id, ctx.client().fd, peer_ip(&ctx.client().addr), ctx.server_mut().now_ms)
    };
    let who = replica.name();
    crate::log_notice!("Replica {who} asks for synchronization");
    let psync = args.get(0).eq_ignore_ascii_case(b"psync");
    if psync {
        let Some(offset) = crate::util::parse_i64(args.get(2)) else {
            crate::log_warning!("Replica {who} asks for synchronization but with a wrong offset");
            ctx.reply().error("ERR value is not an integer or out of range");
            return;
        };
        let replid = String::from_utf8_lossy(args.get(1)).into_owned();
        match crate::state::repl::psync_decision(ctx.server_mut(), &replid, offset, &who) {
            PsyncOutcome::Continue => {
                accept_partial(ctx, replica, offset, &who, info.capa_psync2);
                return;
            }
            PsyncOutcome::Full { counts_as_error } => {
                if counts_as_error {
                    ctx.server_mut().repl.sync_partial_err += 1;
                }
            }
        }
    } else {
        replica.pre_psync = true;
    }
    start_full_sync(ctx, replica);
}

/// REPLCONF option value [option value ...]
fn replconf(ctx: &mut Ctx, args: Args) {
    if args.len() % 2 == 0 {
        ctx.reply().error("ERR syntax error");
        return;
    }
    let id = ctx.client().id;
    let mut j = 1;
    while j < args.len() {
        let opt = args.get(j);
        let val = args.get(j + 1);
        if opt.eq_ignore_ascii_case(b"listening-port") {
            let Some(port) = crate::util::parse_i64(val) else {
                ctx.reply().error("ERR value is not an integer or out of range");
                return;
            };
            ctx.server_mut().repl.replconf_mut(id).listening_port = port.clamp(0, 65535) as u16;
        } else if opt.eq_ignore_ascii_case(b"ip-address") {
            if val.len() >= 46 {
                let msg =
                    format!("ERR REPLCONF ip-address provided by replica instance is too long: {} bytes", val.len());
                ctx.reply().error(&msg);
                return;
            }
            ctx.server_mut().repl.replconf_mut(id).announced_ip = Some(String::from_utf8_lossy(val).into_owned());
        } else if opt.eq_ignore_ascii_case(b"capa") {
            let info = ctx.server_mut().repl.replconf_mut(id);
            if val.eq_ignore_ascii_case(b"eof") {
                info.capa_eof = true;
            } else if val.eq_ignore_ascii_case(b"psync2") {
                info.capa_psync2 = true;
            }
        } else if opt.eq_ignore_ascii_case(b"ack") {
            // From a replica: its processed offset. Never answered.
            if !ctx.client().has(flags::REPLICA) {
                return;
            }
            let now = ctx.server_mut().now_ms;
            // Redis 7.2+ replicas with their AOF on add `FACK <aofoffset>`: the offset their AOF fsynced.
            let fack = (args.len() > j + 3 && args.is(j + 2, "fack")).then(|| crate::util::parse_i64(args.get(j + 3)));
            if let (Some(off), Some(r)) = (crate::util::parse_i64(val), ctx.server_mut().repl.replica_mut(id)) {
                if off > r.ack_off {
                    r.ack_off = off;
                }
                match fack {
                    // As Redis: an unreadable FACK drops the rest (the time of this ACK included).
                    Some(None) => return,
                    Some(Some(aof)) if aof > r.aof_off => r.aof_off = aof,
                    _ => {}
                }
                r.ack_time_ms = now;
            }
            return;
        } else if opt.eq_ignore_ascii_case(b"getack") {
            // From our master: answer with our offset, even though the master's commands get no replies.
            if ctx.server_mut().repl.master_client.is_some_and(|(mid, _)| mid == id) {
                ctx.reply().enabled = true;
                let ack = repl::roles::ack_command(
                    ctx.server_mut().repl.master_repl_offset,
                    ctx.server_mut().repl.fsynced_reploff,
                );
                ctx.reply().raw_bytes(&ack);
            }
            return;
        } else if opt.eq_ignore_ascii_case(b"rdb-only") {
            // The payload and nothing after it (redis-cli --rdb).
            match crate::util::parse_i64(val) {
                Some(v @ 0..=1) => ctx.server_mut().repl.replconf_mut(id).rdb_only = v == 1,
                Some(_) => return ctx.reply().error("ERR value is out of range, value must between 0 and 1"),
                None => return ctx.reply().error("ERR value is not an integer or out of range"),
            }
        } else if opt.eq_ignore_ascii_case(b"rdb-filter-only") {
            // Include filters: everything is left out but what is named ("functions" is the only one).
            let Some(filters) = crate::util::split_args(val) else {
                ctx.reply().error("ERR Missing rdb-filter-only values");
                return;
            };
            let info = ctx.server_mut().repl.replconf_mut(id);
            info.req = repl::roles::REQ_EXCLUDE_DATA | repl::roles::REQ_EXCLUDE_FUNCTIONS;
            for f in filters {
                if f.eq_ignore_ascii_case(b"functions") {
                    info.req &= !repl::roles::REQ_EXCLUDE_FUNCTIONS;
                } else {
                    let msg = format!("ERR Unsupported rdb-filter-only option: {}", String::from_utf8_lossy(&f));
                    ctx.reply().error(&msg);
                    return;
                }
            }
        } else {
            let msg = format!("ERR Unrecognized REPLCONF option: {}", String::from_utf8_lossy(opt));
            ctx.reply().error(&msg);
            return;
        }
        j += 2;
    }
    ctx.reply().ok();
}

/// ROLE
fn role(ctx: &mut Ctx, _args: Args) {
    let (client, srv) = ctx.client_and_server();
    let (r, reply) = (&srv.repl, &mut client.reply);
    // A sentinel: its role and the masters it watches.
    if let Some(s) = srv.sentinel.as_deref() {
        reply.array(2);
        reply.bulk(b"sentinel");
        reply.array(s.masters.len());
        for m in &s.masters {
            reply.bulk(m.name.as_bytes());
        }
        return;
    }
    match &r.master {
        None => {
            reply.array(3);
            reply.bulk(b"master");
            reply.int(r.master_repl_offset);
            let online: Vec<&Replica> = r.replicas.iter().filter(|x| x.state == ReplicaState::Online).collect();
            reply.array(online.len());
            for x in online {
                reply.array(3);
                reply.bulk(x.ip().as_bytes());
                reply.bulk(x.listening_port.to_string().as_bytes());
                reply.bulk(x.ack_off.to_string().as_bytes());
            }
        }
        Some(m) => {
            reply.array(5);
            reply.bulk(b"slave");
            reply.bulk(m.host.as_bytes());
            reply.int(m.port as i64);
            reply.bulk(r.link_state.role_name().as_bytes());
            reply.int(if r.master_client.is_some() { r.master_repl_offset } else { -1 });
        }
    }
}

/// WAIT numreplicas timeout: blocks until that many replicas acknowledged the stream up to the client's last write
/// (`woff`), or the timeout in milliseconds passes (0 = forever); replies how many did.
fn wait(ctx: &mut Ctx, args: Args) {
    if ctx.server_mut().repl.is_replica() {
        ctx.reply().error(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is \
             configured to be writable (which is not the default) writes to replicas are just local and are not \
             propagated.",
        );
        return;
    }
    let Some(numreplicas) = int_arg(ctx.reply(), args.get(1)) else { return };
    let Some(timeout_ms) = ms_timeout_arg(ctx.reply(), args.get(2)) else { return };
    // The client's own last write, not the whole stream: other clients' later writes do not make it wait longer.
    let offset = ctx.client().woff;
    let acked = crate::state::repl::acks_for(ctx.server_mut(), offset);
    if acked >= numreplicas || ctx.client().has(flags::DENY_BLOCKING | flags::MULTI) {
        ctx.reply().int(acked);
        return;
    }
    let deadline_ms = if timeout_ms > 0 { ctx.server_mut().now_ms.saturating_add(timeout_ms) } else { 0 };
    ctx.client_mut().flags |= flags::BLOCKED;
    ctx.server_mut().clients.num_blocked += 1;
    let args = crate::args::OwnedArgs::from_slices(&args.iter().collect::<Vec<_>>());
    let w = Waiter { id: ctx.client().id, fd: ctx.client().fd, offset, numreplicas, numlocal: None, deadline_ms, args };
    ctx.server_mut().repl.waiting.push(w);
    ctx.server_mut().repl.get_ack = true;
}

/// The error of WAITAOF asking for a local fsync while the AOF is off (also to a waiter when it goes off).
pub const WAITAOF_AOF_OFF: &str = "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.";

/// WAITAOF numlocal numreplicas timeout (Redis 7.2): blocks until this server's AOF (`numlocal` 1) and that many
/// replicas' AOFs fsynced the client's last write (`woff`), or the timeout in milliseconds passes (0 = forever);
/// replies `[local, replicas]`: whether our AOF has it, how many replicas reported it (`REPLCONF ACK .. FACK`).
/// Inside MULTI or a script it answers at once, as any blocking command there.
fn waitaof(ctx: &mut Ctx, args: Args) {
    let Some(numlocal) = range_long_arg(ctx.reply(), args.get(1), 0, 1, None) else { return };
    let Some(numreplicas) = positive_long_arg(ctx.reply(), args.get(2), None) else { return };
    let Some(timeout_ms) = ms_timeout_arg(ctx.reply(), args.get(3)) else { return };
    if ctx.server_mut().repl.is_replica() {
        ctx.reply().error(
            "ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just \
             local and are not propagated.",
        );
        return;
    }
    if numlocal > 0 && !ctx.config().appendonly {
        ctx.reply().error(WAITAOF_AOF_OFF);
        return;
    }
    let offset = ctx.client().woff;
    let now = crate::state::repl::wait_outcome(ctx.server_mut(), offset, Some(numlocal));
    let repl::roles::WaitOutcome::Aof { local, replicas } = now else { return };
    if (replicas >= numreplicas && local >= numlocal) || ctx.client().has(flags::DENY_BLOCKING | flags::MULTI) {
        now.reply(ctx.reply());
        return;
    }
    let deadline_ms = if timeout_ms > 0 { ctx.server_mut().now_ms.saturating_add(timeout_ms) } else { 0 };
    ctx.client_mut().flags |= flags::BLOCKED;
    ctx.server_mut().clients.num_blocked += 1;
    let args = crate::args::OwnedArgs::from_slices(&args.iter().collect::<Vec<_>>());
    let w = Waiter {
        id: ctx.client().id,
        fd: ctx.client().fd,
        offset,
        numreplicas,
        numlocal: Some(numlocal),
        deadline_ms,
        args,
    };
    ctx.server_mut().repl.waiting.push(w);
    ctx.server_mut().repl.get_ack = true;
}

/// REPLICAOF host port | NO ONE (and SLAVEOF)
fn replicaof(ctx: &mut Ctx, args: Args) {
    // Cluster nodes follow the master CLUSTER REPLICATE or a failover names.
    if ctx.server_mut().cluster.is_some() {
        ctx.reply().error("ERR REPLICAOF not allowed in cluster mode.");
        return;
    }
    if ctx.server_mut().repl.failover.state != repl::failover::State::None {
        ctx.reply().error("ERR REPLICAOF not allowed while failing over.");
        return;
    }
    if args.is(1, "no") && args.is(2, "one") {
        if ctx.server_mut().repl.is_replica() {
            ctx.server_mut().repl.requests.push(Request::UnsetMaster);
            let who = crate::command::client_info::client_info_string(ctx.client(), ctx.server().now_ms);
            crate::log_notice!("MASTER MODE enabled (user request from '{who}')");
        }
        ctx.reply().ok();
        return;
    }
    if ctx.client().has(flags::REPLICA) {
        ctx.reply().error("ERR Command is not valid when client is a replica.");
        return;
    }
    let Some(port) = crate::util::parse_i64(args.get(2)).filter(|p| (0..=65535).contains(p)) else {
        ctx.reply().error("ERR Invalid master port");
        return;
    };
    let host = String::from_utf8_lossy(args.get(1)).into_owned();
    let addr = MasterAddr { host, port: port as u16 };
    if ctx
        .server_mut()
        .repl
        .master
        .as_ref()
        .is_some_and(|m| m.host.eq_ignore_ascii_case(&addr.host) && m.port == addr.port)
    {
        crate::log_notice!(
            "REPLICAOF would result into synchronization with the master we are already connected with. No \
             operation performed."
        );
        ctx.reply().raw_bytes(b"+OK Already connected to specified master\r\n");
        return;
    }
    let who = crate::command::client_info::client_info_string(ctx.client(), ctx.server().now_ms);
    crate::log_notice!("REPLICAOF {}:{} enabled (user request from '{who}')", addr.host, addr.port);
    let was_master = !ctx.server_mut().repl.is_replica();
    ctx.server_mut().repl.master = Some(addr.clone());
    ctx.server_mut().repl.link_state = repl::roles::LinkState::Connect;
    ctx.server_mut().repl.requests.push(Request::SetMaster(addr, was_master));
    ctx.reply().ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::Harness;

    #[test]
    fn replconf_options() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["replconf", "listening-port", "7777", "capa", "eof", "capa", "psync2"]), "+OK\r\n");
        let info = h.srv.repl.take_replconf(h.client.id);
        assert_eq!(info.listening_port, 7777);
        assert!(info.capa_eof && info.capa_psync2);
        assert_eq!(h.run(&["replconf", "listening-port"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["replconf", "foo", "bar"]), "-ERR Unrecognized REPLCONF option: foo\r\n");
        // ACK from a client that is not a replica: ignored, no reply.
        assert_eq!(h.run(&["replconf", "ack", "10"]), "");
    }

    #[test]
    fn role_of_a_master_and_replicaof_requests() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["role"]), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
        assert_eq!(h.run(&["replicaof", "127.0.0.1", "99999"]), "-ERR Invalid master port\r\n");
        assert_eq!(h.run(&["replicaof", "no", "one"]), "+OK\r\n");
        assert!(h.srv.repl.requests.is_empty());
        assert_eq!(h.run(&["replicaof", "127.0.0.1", "7000"]), "+OK\r\n");
        assert_eq!(
            h.srv.repl.requests,
            vec![Request::SetMaster(MasterAddr { host: "127.0.0.1".into(), port: 7000 }, true)]
        );
        assert_eq!(peer_ip("[::1]:5000"), "::1");
        assert_eq!(peer_ip("10.0.0.1:5000"), "10.0.0.1");
    }

    #[test]
    fn sync_registers_a_waiting_replica_and_creates_the_backlog() {
        let mut h = Harness::new();
        let old = h.srv.repl.replid.clone();
        assert_eq!(h.run(&["psync", "?", "-1"]), "");
        assert!(h.client.has(flags::REPLICA));
        assert_eq!(h.srv.repl.replicas.len(), 1);
        assert_eq!(h.srv.repl.replicas[0].state, ReplicaState::WaitBgsaveStart);
        assert!(h.srv.repl.backlog.is_some() && h.srv.repl.sync_wanted);
        assert_ne!(h.srv.repl.replid, old);
        assert_eq!((h.srv.repl.sync_full, h.srv.repl.sync_partial_err), (1, 0));
        // Further SYNCs from a replica are ignored.
        assert_eq!(h.run(&["sync"]), "");
    }
}
