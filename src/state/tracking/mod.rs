//! Client-side caching (CLIENT TRACKING), in one folder (Redis's `tracking.c`):
//!
//! - this file: the operations on the whole server state: delivering the invalidation outbox to the clients
//!   (through their redirections, with the output-limit check a push needs), the BCAST messages gathered for each
//!   prefix before the loop sleeps, and the `tracking-table-max-keys` pass;
//! - [`tracker`]: the data (the table, the prefixes, the outbox) with the operations on those alone, and the
//!   picture of the whole, with the tracked-keys table itself below it (`tracker/table.rs`).
//!
//! The data files import nothing of `state/mod.rs`, so the state holds them without an import cycle. What each
//! client keeps are plain fields of the client ([`ClientTracking`](crate::net::client::ClientTracking): the
//! redirect, the prefixes, the tracking slot's bit), as Redis keeps them in its client struct; what the slot means
//! is [`tracker::slot`]'s. The CLIENT TRACKING/CACHING/GETREDIR/TRACKINGINFO
//! handlers are in `command/connection.rs`, as Redis keeps them in `networking.c`.

pub mod tracker;

use crate::net::client::{flags as cf, ClientState};
use crate::state::tracking::tracker::{keys_array, Flush, Msg, DEFERRED, KEY, LOOP};
use crate::state::ServerState;
use std::rc::Rc;
/// Keeps the table within `tracking-table-max-keys` by invalidating random keys (Redis's `trackingLimitUsedSlots`):
/// 100 keys per pass, 100 more each pass that ends still over the limit.
pub fn limit_used_slots(srv: &mut ServerState) {
    srv.tracking.limit_used_slots(srv.config.tracking_table_max_keys, &mut srv.rng);
}

/// [`limit_used_slots`] before client `c`'s command (Redis's `processCommand`), its messages delivered at once.
/// Callers test [`Tracking::take_limit_due`](crate::state::tracking::tracker::Tracking::take_limit_due) and
/// [`Tracking::over_limit`](crate::state::tracking::tracker::Tracking::over_limit) first (a pass under the limit only
/// resets the round count, which a pass over it does not need).
#[cold]
pub fn limit_before_command(srv: &mut ServerState, c: &mut ClientState) {
    let prev = srv.tracking.enter(c.id, false);
    limit_used_slots(srv);
    srv.tracking.leave(prev);
    deliver(srv, Some(c), Flush::Now);
}

/// The BCAST invalidations gathered since the last call, one message per prefix and client (a NOLOOP client's
/// without the keys it changed itself): Redis's `trackingBroadcastInvalidationMessages`, before the loop sleeps.
/// Then every waiting message is delivered.
pub fn before_sleep(srv: &mut ServerState) {
    if std::mem::take(&mut srv.tracking.bcast_pending) && !srv.tracking.clients.is_empty() {
        let ServerState { tracking, clients: crate::state::Clients { by_fd: clients, id_to_fd, .. }, .. } = &mut *srv;
        let noloop = |id: u64| {
            let fd = id_to_fd.get(&id).copied().unwrap_or(-1);
            matches!(clients.get(fd as usize), Some(Some(c)) if c.state.id == id && c.state.has(cf::TRACKING_NOLOOP))
        };
        for bs in tracking.prefixes.values_mut() {
            if bs.keys.is_empty() {
                continue;
            }
            let all: Rc<[u8]> = keys_array(&bs.keys, None).into();
            for &id in &bs.clients {
                let payload = if noloop(id) {
                    match keys_array(&bs.keys, Some(id)) {
                        p if p.is_empty() => continue,
                        p => p.into(),
                    }
                } else {
                    all.clone()
                };
                tracking.outbox.push(Msg { to: id, payload: Some(payload), kind: 0 });
            }
            bs.keys.clear();
        }
    }
    deliver(srv, None, Flush::Idle);
}

/// Where a client is.
#[derive(Clone, Copy)]
enum Where {
    /// The running client handed to [`deliver`].
    Me,
    /// In the client table at this fd.
    Fd(usize),
    /// Connected but out of the table (running further up the stack).
    Away,
    Gone,
}

fn locate(srv: &ServerState, me: &Option<&mut ClientState>, id: u64) -> Where {
    if me.as_ref().is_some_and(|m| m.id == id) {
        return Where::Me;
    }
    match srv.clients.id_to_fd.get(&id) {
        None => Where::Gone,
        Some(&fd) => match srv.clients.by_fd.get(fd as usize) {
            Some(Some(c)) if c.state.id == id => Where::Fd(fd as usize),
            _ => Where::Away,
        },
    }
}

fn client<'a>(srv: &'a mut ServerState, me: &'a mut Option<&mut ClientState>, w: Where) -> Option<&'a mut ClientState> {
    match w {
        Where::Me => me.as_deref_mut(),
        Where::Fd(fd) => srv.clients.by_fd.get_mut(fd).and_then(|s| s.as_mut()).map(|c| &mut c.state),
        Where::Away | Where::Gone => None,
    }
}

/// Writes one push (`parts` concatenated) to a client, even while its replies are off (Redis's CLIENT_PUSHING);
/// a client in the table is then checked against its output limit and queued for writing.
fn write(srv: &mut ServerState, me: &mut Option<&mut ClientState>, w: Where, parts: &[&[u8]]) {
    let append = |c: &mut ClientState| {
        if c.has(cf::CLOSE_ASAP) || c.has(cf::MASTER) || c.fd < 0 {
            return;
        }
        let was = c.reply.enabled;
        c.reply.enabled = true;
        for p in parts {
            c.reply.raw_bytes(p);
        }
        c.reply.enabled = was;
    };
    match w {
        Where::Me => {
            if let Some(m) = me.as_deref_mut() {
                append(m);
            }
        }
        Where::Fd(fd) => {
            let evict_limit = crate::state::evict::clients::limit_bytes(&srv.config);
            let (info, now_ms) = (srv.clients.info, srv.now_ms);
            let ServerState {
                clients: crate::state::Clients { by_fd: clients, mem: client_mem, .. },
                config,
                stats,
                ..
            } = &mut *srv;
            let Some(Some(c)) = clients.get_mut(fd) else { return };
            append(&mut c.state);
            let limits = &config.client_output_buffer_limit;
            crate::net::output_limit::check_output_limits(
                c,
                limits,
                now_ms,
                &mut stats.client_outbuf_limit_disconnections,
                info,
            );
            if evict_limit > 0 {
                client_mem.update(c, evict_limit);
            }
            // Written before the loop sleeps, with the replies of this pass (not coalesced as pub/sub messages
            // are): output waiting in buffers counts against `maxmemory`, and evicted keys' invalidations must
            // not make the next command evict more (Redis's "client tracking don't cause eviction feedback loop").
            srv.queue_write(fd as i32);
        }
        Where::Away | Where::Gone => {}
    }
}

/// Sends what the outbox holds (Redis's `sendTrackingMessage` for each message): through the redirection when
/// there is one (a RESP3 client gets a push, a RESP2 subscriber a `__redis__:invalidate` message, anyone else
/// nothing), else to the client itself when it speaks RESP3. `me` is the running client, if any.
pub fn deliver(srv: &mut ServerState, mut me: Option<&mut ClientState>, mode: Flush) {
    if srv.tracking.outbox.is_empty() {
        return;
    }
    let mut kept = Vec::new();
    for m in std::mem::take(&mut srv.tracking.outbox) {
        let mine = me.as_ref().is_some_and(|c| c.id == m.to);
        let ready = m.kind & DEFERRED == 0 || mode == Flush::Idle || (mode == Flush::End && mine);
        if !ready || !send(srv, &mut me, &m) {
            kept.push(m);
        }
    }
    // Nothing is queued while sending.
    srv.tracking.outbox = kept;
}

/// One message; false when it must wait (a client it goes through is out of the table).
fn send(srv: &mut ServerState, me: &mut Option<&mut ClientState>, m: &Msg) -> bool {
    const INVALIDATE: &[u8] = b">2\r\n$10\r\ninvalidate\r\n";
    const MESSAGE: &[u8] = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
    let tw = locate(srv, me, m.to);
    let Some(t) = client(srv, me, tw) else { return matches!(tw, Where::Gone) };
    let f = t.flags;
    if f & cf::TRACKING == 0
        || (m.kind & KEY != 0 && (f & cf::TRACKING_BCAST != 0 || (m.kind & LOOP != 0 && f & cf::TRACKING_NOLOOP != 0)))
    {
        return true;
    }
    let t_resp3 = t.reply.is_resp3();
    let redirect = t.tracking.redirect;
    let payload: &[u8] = match &m.payload {
        Some(p) => p,
        None if t_resp3 => b"_\r\n",
        None => b"$-1\r\n",
    };
    if redirect == 0 {
        if t_resp3 {
            write(srv, me, tw, &[INVALIDATE, payload]);
        }
        return true;
    }
    let rw = locate(srv, me, redirect);
    match rw {
        Where::Away => false,
        Where::Gone => {
            if let Some(t) = client(srv, me, tw) {
                t.flags |= cf::TRACKING_BROKEN_REDIR;
            }
            if t_resp3 {
                let id = format!(":{redirect}\r\n");
                write(srv, me, tw, &[b">2\r\n$21\r\ntracking-redir-broken\r\n", id.as_bytes()]);
            }
            true
        }
        Where::Me | Where::Fd(_) => {
            let Some(r) = client(srv, me, rw) else { return true };
            if r.reply.is_resp3() {
                write(srv, me, rw, &[INVALIDATE, payload]);
            } else if crate::pubsub::is_subscriber(r) {
                write(srv, me, rw, &[MESSAGE, payload]);
            }
            true
        }
    }
}
