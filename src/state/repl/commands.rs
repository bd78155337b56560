//! The replication commands (Redis's `syncCommand`, `replconfCommand`, `roleCommand`, `waitCommand`,
//! `waitaofCommand`, `replicaofCommand`, `failoverCommand`): SYNC / PSYNC, REPLCONF, ROLE, WAIT, WAITAOF,
//! REPLICAOF / SLAVEOF and FAILOVER. Each decides and records on the server state; what needs the event loop
//! (forking the RDB, connecting to a master, closing clients) is left as a [`Request`] in `srv.repl` for
//! [`link`](super::link) to do right after the command. Their rows in the command table (name, arity, flags,
//! documentation) are `command/repl.rs`, as every command's are in `command/`.

use super::roles::{MasterAddr, PsyncOutcome, Replica, ReplicaState, Request, Waiter};
use crate::args::Args;
use crate::net::client::{flags, ClientState};
use crate::resp::int_args::{int_arg, ms_timeout_arg, positive_long_arg, range_long_arg};
use crate::state::repl;
use crate::state::ServerState;

/// FAILOVER [TO host port \[FORCE\]] \[ABORT\] [TIMEOUT ms] (Redis's `failoverCommand`); the server's cron and
/// before-sleep hook carry it on (see [`crate::state::repl::failover`]).
pub fn failover(c: &mut ClientState, srv: &mut ServerState, args: Args) {
    use crate::state::repl::failover::{self as fo, State};
    let rest: Vec<&[u8]> = args.iter().skip(1).collect();
    let req = match fo::parse(&rest) {
        Ok(r) => r,
        Err(e) => return c.reply.error(&e),
    };
    if req.abort {
        if srv.repl.failover.state == State::None {
            c.reply.error("ERR No failover in progress.");
            return;
        }
        srv.repl.requests.push(Request::AbortFailover("Failover manually aborted"));
        c.reply.ok();
        return;
    }
    let target = match fo::validate(&req, srv.repl.failover.state, srv.repl.is_replica(), &srv.repl.replicas) {
        Ok(t) => t,
        Err(e) => return c.reply.error(e),
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
    c.reply.ok();
}

/// The peer's IP from a client's `ip:port` address.
fn peer_ip(addr: &str) -> String {
    let ip = addr.rsplit_once(':').map_or(addr, |(ip, _)| ip);
    ip.trim_start_matches('[').trim_end_matches(']').to_string()
}

/// `PSYNC replid offset FAILOVER`: our master hands its role over to us; false once an error was replied.
fn psync_failover(c: &mut ClientState, srv: &mut ServerState, args: Args) -> bool {
    // Our master hands its role over to us: promote now, so the PSYNC below continues its history.
    if args.get(1) != srv.repl.replid.as_bytes() {
        c.reply.error("ERR PSYNC FAILOVER replid must match my replid.");
        return false;
    }
    if srv.repl.is_replica() {
        crate::state::repl::unset_master(srv);
        srv.repl.requests.push(Request::DropMasterLink);
        let who = (srv.clients.info)(c, srv.now_ms);
        crate::log_notice!("MASTER MODE enabled (failover request from '{who}')");
    }
    true
}

/// The states in which SYNC and PSYNC are refused (failing over, no link to our master, pending output, a
/// filtered replica without EOF marks); false once the error was replied.
fn sync_allowed(c: &mut ClientState, srv: &mut ServerState) -> bool {
    if srv.repl.failover.state != repl::failover::State::None {
        c.reply.error("NOMASTERLINK Can't SYNC while failing over");
        return false;
    }
    let r = &srv.repl;
    if r.is_replica() && r.master_client.is_none() {
        c.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
        return false;
    }
    if c.reply.pending_len() > 0 {
        c.reply.error("ERR SYNC and PSYNC are invalid with pending output");
        return false;
    }
    let id = c.id;
    let filtered = srv.repl.replconf.iter().any(|(i, r)| *i == id && r.req != 0 && !r.capa_eof);
    if filtered {
        // A filtered payload is always made on a socket (never over the snapshot file), so it needs EOF marks.
        c.reply.error("ERR Filtered replica requires EOF capability");
        return false;
    }
    true
}

/// A partial resynchronization accepted: `+CONTINUE`, then the backlog from `offset` on.
fn accept_partial(
    c: &mut ClientState,
    srv: &mut ServerState,
    mut replica: Replica,
    offset: i64,
    who: &str,
    capa_psync2: bool,
) {
    let line = if capa_psync2 { format!("+CONTINUE {}\r\n", srv.repl.replid) } else { "+CONTINUE\r\n".into() };
    c.reply.raw_bytes(line.as_bytes());
    c.uncounted_out += line.len();
    // The backlog from `offset` on follows from the shared buffer.
    let n = srv.repl.backlog.as_ref().map_or(0, |b| b.end() - offset);
    replica.stream_off = offset;
    crate::log_notice!(
        "Partial resynchronization request from {who} accepted. Sending {n} bytes of backlog starting from offset \
         {offset}."
    );
    replica.state = ReplicaState::Online;
    c.flags |= flags::REPLICA;
    srv.repl.replicas.push(replica);
    srv.repl.sync_partial_ok += 1;
}

/// A full resynchronization: the replica is registered (creating the backlog for the first one) and waits for a
/// payload.
fn start_full_sync(c: &mut ClientState, srv: &mut ServerState, replica: Replica) {
    srv.repl.sync_full += 1;
    if srv.config.stored_bool("repl-disable-tcp-nodelay") {
        // Not critical if it fails (a unix socket has no such option).
        let _ = crate::sys::socket::clear_nodelay(c.fd);
    }
    c.flags |= flags::REPLICA;
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
pub fn sync(c: &mut ClientState, srv: &mut ServerState, args: Args) {
    if c.has(flags::REPLICA) {
        return;
    }
    if args.len() > 3
        && args.get(0).eq_ignore_ascii_case(b"psync")
        && args.get(3).eq_ignore_ascii_case(b"failover")
        && !psync_failover(c, srv, args)
    {
        return;
    }
    if !sync_allowed(c, srv) {
        return;
    }
    let id = c.id;
    let info = srv.repl.take_replconf(id);
    let mut replica = Replica {
        announced_ip: info.announced_ip.clone(),
        listening_port: info.listening_port,
        capa_eof: info.capa_eof,
        rdb_only: info.rdb_only,
        req: info.req,
        ..Replica::new(id, c.fd, peer_ip(&c.addr), srv.now_ms)
    };
    let who = replica.name();
    crate::log_notice!("Replica {who} asks for synchronization");
    let psync = args.get(0).eq_ignore_ascii_case(b"psync");
    if psync {
        let Some(offset) = crate::util::parse_i64(args.get(2)) else {
            crate::log_warning!("Replica {who} asks for synchronization but with a wrong offset");
            c.reply.error("ERR value is not an integer or out of range");
            return;
        };
        let replid = String::from_utf8_lossy(args.get(1)).into_owned();
        match crate::state::repl::psync_decision(srv, &replid, offset, &who) {
            PsyncOutcome::Continue => {
                accept_partial(c, srv, replica, offset, &who, info.capa_psync2);
                return;
            }
            PsyncOutcome::Full { counts_as_error } => {
                if counts_as_error {
                    srv.repl.sync_partial_err += 1;
                }
            }
        }
    } else {
        replica.pre_psync = true;
    }
    start_full_sync(c, srv, replica);
}

/// REPLCONF option value [option value ...]
pub fn replconf(c: &mut ClientState, srv: &mut ServerState, args: Args) {
    if args.len() % 2 == 0 {
        c.reply.error("ERR syntax error");
        return;
    }
    let id = c.id;
    let mut j = 1;
    while j < args.len() {
        let opt = args.get(j);
        let val = args.get(j + 1);
        if opt.eq_ignore_ascii_case(b"listening-port") {
            let Some(port) = crate::util::parse_i64(val) else {
                c.reply.error("ERR value is not an integer or out of range");
                return;
            };
            srv.repl.replconf_mut(id).listening_port = port.clamp(0, 65535) as u16;
        } else if opt.eq_ignore_ascii_case(b"ip-address") {
            if val.len() >= 46 {
                let msg =
                    format!("ERR REPLCONF ip-address provided by replica instance is too long: {} bytes", val.len());
                c.reply.error(&msg);
                return;
            }
            srv.repl.replconf_mut(id).announced_ip = Some(String::from_utf8_lossy(val).into_owned());
        } else if opt.eq_ignore_ascii_case(b"capa") {
            let info = srv.repl.replconf_mut(id);
            if val.eq_ignore_ascii_case(b"eof") {
                info.capa_eof = true;
            } else if val.eq_ignore_ascii_case(b"psync2") {
                info.capa_psync2 = true;
            }
        } else if opt.eq_ignore_ascii_case(b"ack") {
            // From a replica: its processed offset. Never answered.
            if !c.has(flags::REPLICA) {
                return;
            }
            let now = srv.now_ms;
            // Redis 7.2+ replicas with their AOF on add `FACK <aofoffset>`: the offset their AOF fsynced.
            let fack = (args.len() > j + 3 && args.is(j + 2, "fack")).then(|| crate::util::parse_i64(args.get(j + 3)));
            if let (Some(off), Some(r)) = (crate::util::parse_i64(val), srv.repl.replica_mut(id)) {
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
            if srv.repl.master_client.is_some_and(|(mid, _)| mid == id) {
                c.reply.enabled = true;
                let ack = repl::roles::ack_command(srv.repl.master_repl_offset, srv.repl.fsynced_reploff);
                c.reply.raw_bytes(&ack);
            }
            return;
        } else if opt.eq_ignore_ascii_case(b"rdb-only") {
            // The payload and nothing after it (redis-cli --rdb).
            match crate::util::parse_i64(val) {
                Some(v @ 0..=1) => srv.repl.replconf_mut(id).rdb_only = v == 1,
                Some(_) => return c.reply.error("ERR value is out of range, value must between 0 and 1"),
                None => return c.reply.error("ERR value is not an integer or out of range"),
            }
        } else if opt.eq_ignore_ascii_case(b"rdb-filter-only") {
            // Include filters: everything is left out but what is named ("functions" is the only one).
            let Some(filters) = crate::util::split_args(val) else {
                c.reply.error("ERR Missing rdb-filter-only values");
                return;
            };
            let info = srv.repl.replconf_mut(id);
            info.req = repl::roles::REQ_EXCLUDE_DATA | repl::roles::REQ_EXCLUDE_FUNCTIONS;
            for f in filters {
                if f.eq_ignore_ascii_case(b"functions") {
                    info.req &= !repl::roles::REQ_EXCLUDE_FUNCTIONS;
                } else {
                    let msg = format!("ERR Unsupported rdb-filter-only option: {}", String::from_utf8_lossy(&f));
                    c.reply.error(&msg);
                    return;
                }
            }
        } else {
            let msg = format!("ERR Unrecognized REPLCONF option: {}", String::from_utf8_lossy(opt));
            c.reply.error(&msg);
            return;
        }
        j += 2;
    }
    c.reply.ok();
}

/// ROLE
pub fn role(c: &mut ClientState, srv: &mut ServerState, _args: Args) {
    let (r, reply) = (&srv.repl, &mut c.reply);
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
pub fn wait(c: &mut ClientState, srv: &mut ServerState, args: Args) {
    if srv.repl.is_replica() {
        c.reply.error(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is \
             configured to be writable (which is not the default) writes to replicas are just local and are not \
             propagated.",
        );
        return;
    }
    let Some(numreplicas) = int_arg(&mut c.reply, args.get(1)) else { return };
    let Some(timeout_ms) = ms_timeout_arg(&mut c.reply, args.get(2)) else { return };
    // The client's own last write, not the whole stream: other clients' later writes do not make it wait longer.
    let offset = c.woff;
    let acked = crate::state::repl::acks_for(srv, offset);
    if acked >= numreplicas || c.has(flags::DENY_BLOCKING | flags::MULTI) {
        c.reply.int(acked);
        return;
    }
    let deadline_ms = if timeout_ms > 0 { srv.now_ms.saturating_add(timeout_ms) } else { 0 };
    c.flags |= flags::BLOCKED;
    srv.clients.num_blocked += 1;
    let args = crate::args::OwnedArgs::from_slices(&args.iter().collect::<Vec<_>>());
    let w = Waiter { id: c.id, fd: c.fd, offset, numreplicas, numlocal: None, deadline_ms, args };
    srv.repl.waiting.push(w);
    srv.repl.get_ack = true;
}

/// The error of WAITAOF asking for a local fsync while the AOF is off (also to a waiter when it goes off).
pub const WAITAOF_AOF_OFF: &str = "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.";

/// WAITAOF numlocal numreplicas timeout (Redis 7.2): blocks until this server's AOF (`numlocal` 1) and that many
/// replicas' AOFs fsynced the client's last write (`woff`), or the timeout in milliseconds passes (0 = forever);
/// replies `[local, replicas]`: whether our AOF has it, how many replicas reported it (`REPLCONF ACK .. FACK`).
/// Inside MULTI or a script it answers at once, as any blocking command there.
pub fn waitaof(c: &mut ClientState, srv: &mut ServerState, args: Args) {
    let Some(numlocal) = range_long_arg(&mut c.reply, args.get(1), 0, 1, None) else { return };
    let Some(numreplicas) = positive_long_arg(&mut c.reply, args.get(2), None) else { return };
    let Some(timeout_ms) = ms_timeout_arg(&mut c.reply, args.get(3)) else { return };
    if srv.repl.is_replica() {
        c.reply.error(
            "ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just \
             local and are not propagated.",
        );
        return;
    }
    if numlocal > 0 && !srv.config.appendonly {
        c.reply.error(WAITAOF_AOF_OFF);
        return;
    }
    let offset = c.woff;
    let now = crate::state::repl::wait_outcome(srv, offset, Some(numlocal));
    let repl::roles::WaitOutcome::Aof { local, replicas } = now else { return };
    if (replicas >= numreplicas && local >= numlocal) || c.has(flags::DENY_BLOCKING | flags::MULTI) {
        now.reply(&mut c.reply);
        return;
    }
    let deadline_ms = if timeout_ms > 0 { srv.now_ms.saturating_add(timeout_ms) } else { 0 };
    c.flags |= flags::BLOCKED;
    srv.clients.num_blocked += 1;
    let args = crate::args::OwnedArgs::from_slices(&args.iter().collect::<Vec<_>>());
    let w = Waiter { id: c.id, fd: c.fd, offset, numreplicas, numlocal: Some(numlocal), deadline_ms, args };
    srv.repl.waiting.push(w);
    srv.repl.get_ack = true;
}

/// REPLICAOF host port | NO ONE (and SLAVEOF)
pub fn replicaof(c: &mut ClientState, srv: &mut ServerState, args: Args) {
    // Cluster nodes follow the master CLUSTER REPLICATE or a failover names.
    if srv.cluster.is_some() {
        c.reply.error("ERR REPLICAOF not allowed in cluster mode.");
        return;
    }
    if srv.repl.failover.state != repl::failover::State::None {
        c.reply.error("ERR REPLICAOF not allowed while failing over.");
        return;
    }
    if args.is(1, "no") && args.is(2, "one") {
        if srv.repl.is_replica() {
            srv.repl.requests.push(Request::UnsetMaster);
            let who = (srv.clients.info)(c, srv.now_ms);
            crate::log_notice!("MASTER MODE enabled (user request from '{who}')");
        }
        c.reply.ok();
        return;
    }
    if c.has(flags::REPLICA) {
        c.reply.error("ERR Command is not valid when client is a replica.");
        return;
    }
    let Some(port) = crate::util::parse_i64(args.get(2)).filter(|p| (0..=65535).contains(p)) else {
        c.reply.error("ERR Invalid master port");
        return;
    };
    let host = String::from_utf8_lossy(args.get(1)).into_owned();
    let addr = MasterAddr { host, port: port as u16 };
    if srv.repl.master.as_ref().is_some_and(|m| m.host.eq_ignore_ascii_case(&addr.host) && m.port == addr.port) {
        crate::log_notice!(
            "REPLICAOF would result into synchronization with the master we are already connected with. No \
             operation performed."
        );
        c.reply.raw_bytes(b"+OK Already connected to specified master\r\n");
        return;
    }
    let who = (srv.clients.info)(c, srv.now_ms);
    crate::log_notice!("REPLICAOF {}:{} enabled (user request from '{who}')", addr.host, addr.port);
    let was_master = !srv.repl.is_replica();
    srv.repl.master = Some(addr.clone());
    srv.repl.link_state = repl::roles::LinkState::Connect;
    srv.repl.requests.push(Request::SetMaster(addr, was_master));
    c.reply.ok();
}

#[cfg(test)]
mod tests {
    use super::peer_ip;

    #[test]
    fn peer_ip_of_v4_and_v6_addresses() {
        assert_eq!(peer_ip("[::1]:5000"), "::1");
        assert_eq!(peer_ip("10.0.0.1:5000"), "10.0.0.1");
    }
}
