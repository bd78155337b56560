//! Replication, both roles (Redis's `replication.c`), in one folder:
//!
//! - this file: the operations on the whole server state: feeding the stream to the backlog and the replicas,
//!   creating and trimming the backlog, the replication IDs, the PSYNC decision, promotion (REPLICAOF NO ONE),
//!   the `min-replicas-*` count, what an RDB save records and what a loaded one restores, and the cron steps that
//!   need no socket (the PINGs to replicas, the backlog's size and TTL);
//! - [`roles`]: the data (the IDs and offsets, the replicas fed, the master link) and the picture of both roles;
//! - [`backlog`]: the shared replication buffer; [`replica`]: the replica's side of the link (the handshake, the
//!   payload); [`failover`]: FAILOVER's state machine;
//! - [`commands`]: SYNC/PSYNC, REPLCONF, ROLE, WAIT, WAITAOF, REPLICAOF, FAILOVER (their rows in the command
//!   table, name, arity, flags and docs, are `command/repl.rs`, as every command's);
//! - [`link`]: the event-loop side (the stream after commands, full syncs and their fork, the link to our master,
//!   the cron's socket steps); [`load`]: loading a received payload.
//!
//! The data files import nothing of `state/mod.rs`, so the state holds them without an import cycle. `link` and
//! `load` reach the server through [`Host`](crate::state::host::Host) (what the loop lends a feature: closing a
//! client, the AOF switch, serving clients during a load), which the server implements, so the folder names
//! nothing of the layers above it and every import still points down.

#![forbid(unsafe_code)]

pub mod backlog;
pub mod commands;
pub mod failover;
pub mod link;
pub mod load;
pub mod replica;
pub mod roles;

use crate::net::client::flags;
use crate::state::repl::roles::{
    pinned_offset, LinkState, PsyncOutcome, Replica, ReplicaState, FEED_BUF_KEEP, NULL_REPLID,
};
use crate::state::ServerState;
use backlog::Backlog;

/// Re-reads `min-replicas-*` and recounts the good replicas (Redis's `refreshGoodSlavesCount`): called by the
/// cron, after CONFIG, and when a replica comes online or leaves.
pub fn refresh_good_replicas(srv: &mut ServerState) {
    let now_s = crate::util::now_ms() / 1000;
    let r = &mut srv.repl;
    r.min_to_write = srv.config.stored_i64("min-replicas-to-write");
    r.min_max_lag = srv.config.stored_i64("min-replicas-max-lag");
    let lag = r.min_max_lag;
    r.good_replicas =
        r.replicas.iter().filter(|x| x.state == ReplicaState::Online && now_s - x.ack_time_ms / 1000 <= lag).count();
}

/// Online replicas that acknowledged `offset` (Redis's `replicationCountAcksByOffset`).
pub fn acks_for(srv: &ServerState, offset: i64) -> i64 {
    srv.repl.replicas.iter().filter(|r| r.state == ReplicaState::Online && r.ack_off >= offset).count() as i64
}

/// Online replicas that reported `offset` fsynced to their AOF (Redis's `replicationCountAOFAcksByOffset`).
pub fn aof_acks_for(srv: &ServerState, offset: i64) -> i64 {
    srv.repl.replicas.iter().filter(|r| r.state == ReplicaState::Online && r.aof_off >= offset).count() as i64
}

/// What a WAIT (`numlocal` None) or WAITAOF waiting for `offset` would answer now.
pub fn wait_outcome(srv: &ServerState, offset: i64, numlocal: Option<i64>) -> roles::WaitOutcome {
    match numlocal {
        None => roles::WaitOutcome::Replicas(acks_for(srv, offset)),
        Some(_) => roles::WaitOutcome::Aof {
            local: i64::from(srv.repl.fsynced_reploff >= offset),
            replicas: aof_acks_for(srv, offset),
        },
    }
}

/// A fresh random replication ID (Redis's `changeReplicationId`).
pub fn change_replid(srv: &mut ServerState) {
    srv.repl.replid = crate::state::random_hex(&mut srv.rng, 40);
}

/// Forgets the previous history (`clearReplicationId2`).
pub fn clear_replid2(srv: &mut ServerState) {
    srv.repl.replid2 = NULL_REPLID.to_string();
    srv.repl.second_offset = -1;
}

/// A promoted replica keeps serving its former master's history under the old ID (`shiftReplicationId`).
/// The state half of REPLICAOF NO ONE (Redis's `replicationUnsetMaster`): forget the master, keep our history
/// under the old ID for a PSYNC to continue, make sub-replicas reconnect. The server closes the master link.
pub fn unset_master(srv: &mut ServerState) {
    if srv.repl.master.take().is_none() {
        return;
    }
    srv.config.extra.remove("replicaof");
    srv.lazy_expiry.off = false;
    // Sub-replicas and a former master may continue our history under the old ID.
    shift_replid(srv);
    if srv.repl.backlog.is_none() {
        create_backlog(srv);
    }
    let all: Vec<(u64, i32)> = srv.repl.replicas.iter().map(|r| (r.id, r.fd)).collect();
    for (id, fd) in all {
        if let Some(Some(c)) = srv.clients.by_fd.get_mut(fd as usize) {
            if c.state.id == id {
                c.state.flags |= flags::CLOSE_ASAP;
                srv.queue_write(fd);
            }
        }
    }
    let r = &mut srv.repl;
    r.link_state = LinkState::Connect;
    r.can_continue = false;
    r.no_replicas_since_s = crate::util::now_ms() / 1000;
    sync_feed(srv);
    if let Some(f) = srv.prop.repl.as_mut() {
        f.selected_db = -1;
    }
}

pub fn shift_replid(srv: &mut ServerState) {
    srv.repl.replid2 = srv.repl.replid.clone();
    // The next byte the old history could serve: a sibling at exactly our offset may still continue.
    srv.repl.second_offset = srv.repl.master_repl_offset + 1;
    change_replid(srv);
    crate::log_notice!(
        "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
        srv.repl.replid2,
        srv.repl.second_offset,
        srv.repl.replid
    );
}

/// Creates the backlog (first replica, or a replica getting its master's data).
pub fn create_backlog(srv: &mut ServerState) {
    let size = backlog::configured_size(&srv.config);
    // Replicas that wait for a snapshot start from the new history's first byte.
    let next = srv.repl.master_repl_offset + 1;
    for r in srv.repl.replicas.iter_mut() {
        r.stream_off = next;
    }
    srv.repl.backlog = Some(Backlog::new(size, srv.repl.master_repl_offset));
    sync_feed(srv);
}

/// Makes the propagation path encode a replication stream exactly while this server is a master with a backlog.
pub fn sync_feed(srv: &mut ServerState) {
    crate::log::set_replica_role(srv.repl.is_replica());
    let want = srv.repl.backlog.is_some() && !srv.repl.is_replica();
    if want && srv.prop.repl.is_none() {
        srv.prop.repl = Some(crate::propagate::ReplFeed::new());
    } else if !want {
        srv.prop.repl = None;
    }
    srv.prop.enabled = srv.prop.aof.is_some() || srv.prop.repl.is_some();
}

/// Feeds stream bytes (encoded here, or proxied from our master) to the shared buffer, which is the backlog and
/// every replica's output at once; the offset moves only while a backlog exists. Online replicas are queued for
/// writing; each replica's share is checked against `client-output-buffer-limit replica`. `running`: the client
/// whose command is executing (out of the client table), which may be a replica (the server queues it after the
/// command).
pub fn feed_stream(srv: &mut ServerState, data: &[u8], mut running: Option<&mut crate::net::client::ClientState>) {
    if data.is_empty() {
        return;
    }
    let Some(b) = srv.repl.backlog.as_mut() else { return };
    b.feed(data);
    srv.repl.master_repl_offset += data.len() as i64;
    let mut limit = srv.config.client_output_buffer_limit[crate::config::CLIENT_CLASS_REPLICA];
    // A hard limit under the backlog size would drop a replica right after its partial resync: Redis uses the
    // backlog size then (the bytes are the backlog's anyway).
    if limit.hard_bytes > 0 {
        limit.hard_bytes = limit.hard_bytes.max(backlog::configured_size(&srv.config) as u64);
    }
    let now_s = srv.now_ms / 1000;
    let ServerState {
        repl,
        clients: crate::state::Clients { by_fd: clients, pending_write: clients_pending_write, .. },
        stats,
        ..
    } = srv;
    let Some(b) = repl.backlog.as_ref() else { return };
    for r in repl.replicas.iter_mut() {
        // An rdb-only replica gets no stream (Redis's `canFeedReplicaReplBuffer`).
        if r.state == ReplicaState::WaitBgsaveStart || r.rdb_only {
            continue;
        }
        // The running client is out of the table: the server queues it after its command.
        let (state, queue) = match running.as_deref_mut().filter(|c| c.id == r.id) {
            Some(c) => (c, None),
            None => match clients.get_mut(r.fd as usize) {
                Some(Some(c)) if c.state.id == r.id => (&mut c.state, Some(&mut c.pending_write)),
                _ => continue,
            },
        };
        if state.has(flags::CLOSE_ASAP) {
            continue;
        }
        let over = over_output_limit(r, b.held_from(r.stream_off) as u64, &limit, now_s);
        if over {
            crate::log_warning!(
                "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                r.id,
                r.name()
            );
            stats.client_outbuf_limit_disconnections += 1;
            state.flags |= flags::CLOSE_ASAP;
        }
        if let Some(pw) = queue.filter(|pw| !**pw && (over || r.state == ReplicaState::Online)) {
            *pw = true;
            clients_pending_write.push(r.fd);
        }
    }
    trim_backlog(srv);
}

/// Drops the backlog's oldest blocks no replica needs beyond `repl-backlog-size` (a bounded step); returns whether
/// more is left to drop (the cron continues).
pub fn trim_backlog(srv: &mut ServerState) -> bool {
    let pinned = pinned_offset(&srv.repl);
    srv.repl.backlog.as_mut().is_some_and(|b| b.trim(pinned))
}

/// `client-output-buffer-limit replica`: over the hard limit, or over the soft one for too long.
fn over_output_limit(r: &mut Replica, used: u64, limit: &crate::config::ClientBufferLimit, now_s: i64) -> bool {
    if limit.hard_bytes > 0 && used >= limit.hard_bytes {
        return true;
    }
    if limit.soft_bytes > 0 && used >= limit.soft_bytes {
        if r.soft_since_s == 0 {
            r.soft_since_s = now_s;
        }
        return now_s - r.soft_since_s > limit.soft_seconds;
    }
    r.soft_since_s = 0;
    false
}

/// Moves what the propagation path encoded into the stream (after each command, and before replies go out).
#[inline]
pub fn drain_feed(srv: &mut ServerState, running: Option<&mut crate::net::client::ClientState>) {
    // Redis 7.2+: a master with its AOF on but no backlog (no replica yet) still moves its offset by one per
    // command propagated, so that WAITAOF has an offset to wait for (`replicationFeedSlaves`).
    let unfed = std::mem::take(&mut srv.prop.ops_without_stream);
    if unfed > 0 && srv.repl.backlog.is_none() && !srv.repl.is_replica() {
        srv.repl.master_repl_offset += unfed as i64;
    }
    let Some(f) = srv.prop.repl.as_mut() else { return };
    if f.buf.is_empty() {
        return;
    }
    let data = std::mem::take(&mut f.buf);
    feed_stream(srv, &data, running);
    if let Some(f) = srv.prop.repl.as_mut() {
        // Give the allocation back unless it grew large.
        if data.capacity() <= FEED_BUF_KEEP {
            let mut data = data;
            data.clear();
            f.buf = data;
        }
    }
}

/// Redis's `masterTryPartialResynchronization` decision, with its log lines.
pub fn psync_decision(srv: &ServerState, replid: &str, offset: i64, who: &str) -> PsyncOutcome {
    let r = &srv.repl;
    let same = replid.eq_ignore_ascii_case(&srv.repl.replid);
    let second = replid.eq_ignore_ascii_case(&r.replid2) && offset <= r.second_offset;
    if !same && !second {
        if !replid.starts_with('?') {
            if !replid.eq_ignore_ascii_case(&r.replid2) {
                crate::log_notice!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my \
                     replication IDs are '{}' and '{}')",
                    srv.repl.replid,
                    r.replid2
                );
            } else {
                crate::log_notice!(
                    "Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can \
                     reply up to {}",
                    r.second_offset
                );
            }
            return PsyncOutcome::Full { counts_as_error: true };
        }
        crate::log_notice!("Full resync requested by replica {who}");
        return PsyncOutcome::Full { counts_as_error: false };
    }
    match &r.backlog {
        Some(b) if b.can_serve(offset) => PsyncOutcome::Continue,
        _ => {
            crate::log_notice!(
                "Unable to partial resync with replica {who} for lack of backlog (Replica request was: {offset})."
            );
            if offset > r.master_repl_offset {
                crate::log_warning!(
                    "Warning: replica {who} tried to PSYNC with an offset that is greater than the master \
                     replication offset."
                );
            }
            PsyncOutcome::Full { counts_as_error: true }
        }
    }
}

/// After a master loaded its RDB at start-up (Redis 7.0's `loadDataFromDisk`): with the history the file
/// recorded, that history becomes our second ID (our own ID stays new), the offset and the backlog made for
/// the load (holding the DELs of keys that expired meanwhile) are rebased on it, and the replicas of the
/// previous run continue with `+CONTINUE`. Without one the backlog goes (the offset keeps the DELs' bytes,
/// as Redis's).
pub fn restore_master_history(srv: &mut ServerState) {
    drain_feed(srv, None);
    let r = &mut srv.repl;
    match r.loaded_history.take() {
        Some((id, offset, _db)) => {
            r.replid2 = id;
            r.second_offset = offset + 1;
            r.master_repl_offset += offset;
            if let Some(b) = r.backlog.as_mut() {
                b.rebase(offset);
            }
            r.no_replicas_since_s = crate::util::now_ms() / 1000;
        }
        None => {
            r.backlog = None;
            sync_feed(srv);
        }
    }
}

/// The aux fields of the RDB loaded at start-up: a replica restarting from it may continue its master's
/// history.
pub fn note_loaded_aux(srv: &mut ServerState, aux: &[(Vec<u8>, Vec<u8>)]) {
    let get = |k: &[u8]| aux.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    if let (Some(id), Some(off)) = (get(b"repl-id"), get(b"repl-offset").and_then(|o| o.parse::<i64>().ok())) {
        // Redis takes the history only with a stream db too (older versions could save -1 there).
        let db = get(b"repl-stream-db").and_then(|d| d.parse::<usize>().ok());
        if let (40, Some(db)) = (id.len(), db) {
            srv.repl.loaded_history = Some((id, off, db));
        }
    }
}

/// Puts `REPLCONF GETACK *` into the stream (Redis's `sendGetackToReplicas`); it reaches the backlog and the
/// replicas with the next `drain_feed`.
pub fn queue_getack(srv: &mut ServerState) {
    if let Some(f) = srv.prop.repl.as_mut() {
        // In the stream's current db, like the PING: no SELECT.
        crate::resp::encode_command(&mut f.buf, &[b"REPLCONF", b"GETACK", b"*"]);
    } else if !srv.repl.is_replica() && srv.repl.backlog.is_none() {
        // Redis 7.2+: with no backlog the offset still moves by one per command fed (WAITAOF's offsets).
        srv.repl.master_repl_offset += 1;
    }
}

/// PINGs the replicas every `repl-ping-replica-period` cron runs, so they see the master alive.
pub fn cron_ping_replicas(srv: &mut ServerState) {
    // No PING while a FAILOVER with a TIMEOUT waits (the offset the target must reach stays put); without
    // one the PINGs go on and the target catches up after each (Redis 7.0's `replicationCron` tests
    // `failover_end_time`).
    let f = &srv.repl.failover;
    let failing_over = f.state != failover::State::None && f.end_ms != 0;
    let period = srv.config.stored_i64("repl-ping-replica-period").max(1) as u64;
    let loops = srv.repl.cron_loops;
    srv.repl.cron_loops += 1;
    if !srv.repl.is_replica() && !srv.repl.replicas.is_empty() && !failing_over && loops % period == 0 {
        if let Some(f) = srv.prop.repl.as_mut() {
            crate::resp::encode_command(&mut f.buf, &[b"PING"]);
        }
        drain_feed(srv, None);
    }
}

/// The backlog: resized to the configured size, trimmed a bounded step, freed after `repl-backlog-ttl` without
/// replicas.
pub fn cron_backlog(srv: &mut ServerState, now_s: i64) {
    // CONFIG SET repl-backlog-size resizes the backlog, keeping what fits; the history a gone replica pinned
    // is freed a bounded step at a time.
    let size = backlog::configured_size(&srv.config);
    if let Some(b) = srv.repl.backlog.as_mut() {
        b.set_size(size);
    }
    for _ in 0..16 {
        if !trim_backlog(srv) {
            break;
        }
    }
    let ttl = srv.config.stored_i64("repl-backlog-ttl");
    let r = &srv.repl;
    if !r.is_replica() && r.replicas.is_empty() && ttl > 0 && r.backlog.is_some() && now_s - r.no_replicas_since_s > ttl
    {
        change_replid(srv);
        clear_replid2(srv);
        srv.repl.backlog = None;
        sync_feed(srv);
        crate::log_notice!("Replication backlog freed after {ttl} seconds without connected replicas.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ServerState {
        ServerState::new(crate::config::Config::default())
    }

    #[test]
    fn psync_needs_a_known_id_and_a_servable_offset() {
        let mut s = state();
        let id = s.repl.replid.clone();
        assert_eq!(psync_decision(&s, "?", -1, "r"), PsyncOutcome::Full { counts_as_error: false });
        // No backlog yet.
        assert_eq!(psync_decision(&s, &id, 1, "r"), PsyncOutcome::Full { counts_as_error: true });
        create_backlog(&mut s);
        assert!(s.prop.repl.is_some() && s.prop.enabled);
        feed_stream(&mut s, b"*1\r\n$4\r\nPING\r\n", None);
        assert_eq!(s.repl.master_repl_offset, 14);
        assert_eq!(psync_decision(&s, &id, 1, "r"), PsyncOutcome::Continue);
        assert_eq!(psync_decision(&s, &id, 15, "r"), PsyncOutcome::Continue);
        assert_eq!(psync_decision(&s, &id, 16, "r"), PsyncOutcome::Full { counts_as_error: true });
        assert_eq!(psync_decision(&s, &"f".repeat(40), 1, "r"), PsyncOutcome::Full { counts_as_error: true });
        // After a promotion the old ID serves up to the shift point.
        shift_replid(&mut s);
        assert_ne!(s.repl.replid, id);
        assert_eq!(s.repl.replid2, id);
        assert_eq!(psync_decision(&s, &id, 15, "r"), PsyncOutcome::Continue);
        feed_stream(&mut s, b"*1\r\n$4\r\nPING\r\n", None);
        assert_eq!(psync_decision(&s, &id, 16, "r"), PsyncOutcome::Full { counts_as_error: true });
    }

    #[test]
    fn save_info_only_with_history() {
        let mut s = state();
        assert_eq!(s.repl_save_info(), None);
        create_backlog(&mut s);
        assert_eq!(s.repl_save_info(), Some((s.repl.replid.clone(), 0, 0)));
    }
}
