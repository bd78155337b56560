//! The cluster bus on the server's event loop (Redis's `clusterInit` listener part, `clusterAcceptHandler`, the
//! link handlers, `clusterCron` and `clusterBeforeSleep`): listeners and links are file events, the cron runs every
//! 100 ms, and what the bus asks of the rest of the server ([`bus::Effect`]) is applied here: pub/sub delivery,
//! replication to a new master or none, keys of lost slots, the manual-failover pause. The protocol itself lives
//! in [`crate::cluster::bus`] and [`crate::cluster::failover`].

use super::Server;
use crate::cluster::bus::{self, Effect};
use crate::cluster::{failover, todo, Cluster};
use crate::config::Config;
use crate::event_loop::EventLoop;
use crate::log_warning;
use crate::net::conn::Conn;
use crate::net::listen;
use crate::pubsub::Kind;
use crate::state::repl::link::ReplLink as _;
use crate::state::repl::roles::MasterAddr;
use crate::sys::poller::Interest;
use crate::sys::socket;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// Most connections accepted per readable event (`MAX_CLUSTER_ACCEPTS_PER_CALL`).
const MAX_ACCEPTS_PER_CALL: usize = 1000;

use crate::state::cluster::{announced_ports, bus_port};

/// A bus connection on `fd`: over TLS with `tls-cluster yes` (accepted when `host` is `None`, else ours to
/// `host`), plain otherwise; `None` when TLS is asked for but cannot be had (logged).
fn bus_conn(listeners: &listen::Listeners, config: &Config, fd: OwnedFd, host: Option<&str>) -> Option<Conn> {
    let tls = crate::state::cluster::tls_cluster(config);
    let conn = match host {
        Some(h) => Conn::outgoing(fd, h, tls, listeners),
        None if !tls => Ok(Conn::plain(fd)),
        // Redis's bus accepts with TLS_CLIENT_AUTH_YES whatever `tls-auth-clients` says.
        #[cfg(feature = "tls")]
        None => match listeners.tls.as_ref() {
            Some(t) => crate::net::tls::Session::accept(t.bus_server())
                .map(|s| Conn::with_tls(fd, Box::new(s)))
                .map_err(|e| e.to_string()),
            None => Err("TLS is not configured".into()),
        },
        #[cfg(not(feature = "tls"))]
        None => Err("this build has no TLS".into()),
    };
    conn.map_err(|e| log_warning!("Error creating a TLS connection for the cluster bus: {e}")).ok()
}

impl Server {
    /// Cluster mode at start, before the data is loaded: the node table (from nodes.conf) and the bus listener.
    /// False when the server must exit (the reason is logged).
    pub(super) fn cluster_init(&mut self, el: &mut EventLoop) -> bool {
        if !self.state.config.stored_bool("cluster-enabled") {
            return true;
        }
        let port = crate::state::cluster::client_port(&self.state.config);
        if self.state.config.stored_i64("cluster-port") == 0 && port > 65535 - crate::state::cluster::PORT_INCR {
            log_warning!(
                "Redis port number too high. Cluster communication port is 10,000 port numbers higher than your \
                 Redis port. Your Redis port number must be 55535 or less."
            );
            return false;
        }
        if self.state.cluster.is_none() && crate::state::cluster::init(&mut self.state).is_err() {
            return false;
        }
        let cport = bus_port(&self.state.config);
        let c = &self.state.config;
        let listeners = match listen::open_tcp(cport, &c.bind, c.tcp_backlog, &mut Vec::new()) {
            Ok(l) if !l.is_empty() => l,
            _ => {
                log_warning!("Failed listening on port {cport} (cluster), aborting.");
                return false;
            }
        };
        let Some(cl) = self.state.cluster.as_deref_mut() else { return false };
        for l in listeners {
            if let Err(e) = el.add_interest(l.fd.as_raw_fd(), Interest::READABLE) {
                log_warning!("Unrecoverable error creating Redis Cluster socket accept handler: {e}");
                return false;
            }
            cl.bus.listeners.push(l.fd);
        }
        self.cluster_settings();
        true
    }

    /// Refreshes what the bus reads of the configuration and of replication.
    fn cluster_settings(&mut self) {
        let st = &mut self.state;
        let Some(cl) = st.cluster.as_deref_mut() else { return };
        let c = &st.config;
        let r = &st.repl;
        let s = &mut cl.bus.settings;
        s.node_timeout = c.stored_i64("cluster-node-timeout");
        s.ping_interval = c.stored_i64("cluster-ping-interval");
        s.announce_ip.clear();
        s.announce_ip.push_str(c.stored_str("cluster-announce-ip"));
        // The plaintext port only differs with TLS (Redis sends 0 otherwise).
        (s.port, s.pport, s.cport) = announced_ports(c);
        s.sendbuf_limit = c.stored_i64("cluster-link-sendbuf-limit").max(0) as u64;
        s.migration_barrier = c.stored_i64("cluster-migration-barrier");
        s.allow_replica_migration = c.stored_bool("cluster-allow-replica-migration");
        s.validity_factor = c.stored_i64("cluster-replica-validity-factor");
        s.no_failover = c.stored_bool("cluster-replica-no-failover");
        s.repl_offset = crate::state::repl::roles::announced_offset(r);
        s.has_master = r.master.is_some();
        s.master_link_up = r.master_client.is_some();
        s.has_subscribers = st.pubsub.len(Kind::Channel) + st.pubsub.len(Kind::Pattern) > 0;
        s.has_shard_subscribers = st.pubsub.len(Kind::Shard) > 0;
        let now = crate::util::now_ms();
        cl.failover.data_age_ms = if r.master_client.is_some() {
            now - r.master_last_io_ms
        } else if r.down_since_s > 0 {
            // Since the link dropped, or since the master was last heard from if that is earlier (a link killed
            // from inside a transaction closes when the transaction ends).
            let last = if r.master_last_io_ms > 0 {
                r.master_last_io_ms.min(r.down_since_s * 1000)
            } else {
                r.down_since_s * 1000
            };
            now - last
        } else {
            0
        };
        cl.failover.repl_ping_period_s = c.stored_i64("repl-ping-replica-period");
    }

    /// A file event on a bus listener or link; false when `fd` is not the bus's.
    pub(super) fn cluster_file_event(&mut self, el: &mut EventLoop, fd: RawFd, ready: Interest) -> bool {
        let Some(cl) = self.state.cluster.as_deref_mut() else { return false };
        let now = crate::util::now_ms();
        if cl.bus.listeners.iter().any(|l| l.as_raw_fd() == fd) {
            for _ in 0..MAX_ACCEPTS_PER_CALL {
                match socket::accept(fd) {
                    Ok(Some(a)) => {
                        let _ = socket::set_nodelay(a.fd.as_raw_fd());
                        let ip = a.peer.map(|(ip, _)| ip.to_string()).unwrap_or_default();
                        crate::log_verbose!(
                            "Accepting cluster node connection from {}",
                            a.peer.map(|(ip, p)| socket::format_addr(ip, p)).unwrap_or_default()
                        );
                        let listeners = &self.state.listeners;
                        let Some(conn) = bus_conn(listeners, &self.state.config, a.fd, None) else { continue };
                        bus::add_inbound(cl, conn, ip, now);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        crate::log_verbose!("Error accepting cluster node: {e}");
                        break;
                    }
                }
            }
        } else if let Some(l) = cl.bus.links.get(&fd) {
            if !l.connected {
                if ready.is_writable() || ready.is_readable() {
                    let err = match socket::take_error(fd) {
                        Ok(e) => e,
                        Err(e) => Some(e),
                    };
                    let ok = err.is_none();
                    let _ = el.remove_interest(fd, Interest::WRITABLE);
                    if ok {
                        let _ = el.add_interest(fd, Interest::READABLE);
                    }
                    self.cluster_refresh_offset();
                    let Some(cl) = self.state.cluster.as_deref_mut() else { return true };
                    bus::link_connected(cl, fd, err, now);
                }
            } else {
                if ready.is_writable() && !bus::flush_link(cl, fd) {
                    let _ = el.remove_interest(fd, Interest::WRITABLE);
                }
                if ready.is_readable() {
                    self.cluster_refresh_offset();
                    let Some(cl) = self.state.cluster.as_deref_mut() else { return true };
                    bus::read_link(cl, fd, now);
                }
            }
        } else {
            return false;
        }
        self.cluster_apply(el);
        true
    }

    /// The offset and subscriber facts a packet's processing may read.
    fn cluster_refresh_offset(&mut self) {
        let st = &mut self.state;
        let Some(cl) = st.cluster.as_deref_mut() else { return };
        let s = &mut cl.bus.settings;
        s.repl_offset = crate::state::repl::roles::announced_offset(&st.repl);
        s.has_subscribers = st.pubsub.len(Kind::Channel) + st.pubsub.len(Kind::Pattern) > 0;
        s.has_shard_subscribers = st.pubsub.len(Kind::Shard) > 0;
    }

    /// Every 100 ms (Redis's `clusterCron`).
    pub(super) fn cluster_cron(&mut self, el: &mut EventLoop) {
        if self.state.cluster.is_none() {
            return;
        }
        crate::state::cluster::cron(&mut self.state);
        self.cluster_settings();
        let now = crate::util::now_ms();
        let bind_source: Option<std::net::IpAddr> = self.state.config.stored_str("bind-source-addr").parse().ok();
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        for (node, ip, cport) in bus::nodes_to_connect(cl, now) {
            let sock = match ip.parse::<std::net::IpAddr>() {
                Ok(addr) => socket::connect_tcp_from(addr, cport, bind_source),
                Err(_) => Err(std::io::Error::from(std::io::ErrorKind::InvalidInput)),
            };
            match sock {
                Ok(fd) => {
                    let _ = socket::set_nodelay(fd.as_raw_fd());
                    match bus_conn(&self.state.listeners, &self.state.config, fd, Some(&ip)) {
                        Some(conn) => bus::add_outbound(cl, node, conn, now),
                        None => bus::connect_failed(cl, node, now),
                    }
                }
                Err(e) => {
                    crate::log_debug!("Unable to connect to Cluster Node [{ip}]:{cport} -> {e}");
                    bus::connect_failed(cl, node, now);
                }
            }
        }
        if bus::cron(cl, now) {
            cl.ask(todo::UPDATE_STATE);
        }
        if cl.bus.iteration % 10 == 0 {
            bus::blacklist_cleanup(cl, now / 1000);
        }
        self.cluster_apply(el);
    }

    /// Before the loop sleeps (Redis's `clusterBeforeSleep`): the failover work asked for during this pass, the
    /// state update and config save, then the links' output.
    pub(super) fn cluster_before_sleep(&mut self, el: &mut EventLoop) {
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        if cl.todo & (todo::HANDLE_MANUALFAILOVER | todo::HANDLE_FAILOVER) != 0 {
            let now = crate::util::now_ms();
            let bits = cl.todo;
            cl.todo &= !(todo::HANDLE_MANUALFAILOVER | todo::HANDLE_FAILOVER);
            if bits & todo::HANDLE_MANUALFAILOVER != 0 {
                if cl.me().is_replica() {
                    failover::handle_manual(cl, now);
                    failover::handle_replica_failover(cl, now);
                }
            } else {
                failover::handle_replica_failover(cl, now);
            }
        }
        // Effects first: a promotion's replication change comes before the state and config it leads to.
        self.cluster_apply(el);
        self.cluster_todo();
        self.cluster_apply(el);
    }

    /// The state update and the config save the bus and the commands asked for (a failed save is fatal, as in
    /// Redis).
    fn cluster_todo(&mut self) {
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        if cl.todo & todo::UPDATE_STATE != 0 {
            cl.todo &= !todo::UPDATE_STATE;
            crate::cluster::redirect::update_state(cl, crate::util::now_ms());
        }
        if cl.todo & todo::SAVE_CONFIG != 0 {
            let fsync = cl.todo & todo::FSYNC_CONFIG != 0;
            cl.todo &= !(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
            if crate::cluster::nodes_conf::save(cl, fsync, crate::util::now_ms()).is_err() {
                log_warning!("Fatal: can't update cluster config file.");
                std::process::exit(1);
            }
        }
    }

    /// Applies what the bus left: shard channels of slots our shard lost, effects on the server, links to register,
    /// write or close.
    pub(super) fn cluster_apply(&mut self, el: &mut EventLoop) {
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        // Not from inside a busy script: its client, maybe a subscriber, is out of the client table until it ends.
        if !cl.lost_slots.is_empty() && !self.state.scripting.is_timedout() {
            crate::state::pubsub::drop_lost_shard_slots(&mut self.state, None);
        }
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        if !cl.bus.effects.is_empty() {
            let effects = std::mem::take(&mut cl.bus.effects);
            for e in effects {
                self.cluster_effect(el, e);
            }
        }
        let Some(cl) = self.state.cluster.as_deref_mut() else { return };
        for fd in std::mem::take(&mut cl.bus.fresh) {
            if let Some(l) = cl.bus.links.get(&fd) {
                let want = if l.connected { Interest::READABLE } else { Interest::WRITABLE };
                if el.add_interest(fd, want).is_err() {
                    bus::free_link(cl, fd);
                }
            }
        }
        let mut pending = std::mem::take(&mut cl.bus.wants_write);
        pending.sort_unstable();
        pending.dedup();
        for fd in pending {
            if cl.bus.links.get(&fd).is_some_and(|l| l.connected) && bus::flush_link(cl, fd) {
                let _ = el.add_interest(fd, Interest::WRITABLE);
            }
        }
        for l in std::mem::take(&mut cl.bus.closing) {
            let _ = el.remove_interest(l.conn.as_raw_fd(), Interest::BOTH);
        }
        // CLUSTER NODES' `connected` follows the outbound links.
        let Cluster { nodes, bus, .. } = cl;
        for (i, n) in nodes.iter_mut().enumerate() {
            if let Some(n) = n {
                n.linked = bus.out.contains_key(&(i as u32));
            }
        }
    }

    fn cluster_effect(&mut self, el: &mut EventLoop, e: Effect) {
        match e {
            Effect::Publish { channel, message, sharded } => {
                crate::state::pubsub::publish(&mut self.state, None, sharded, &channel, &message);
            }
            Effect::SetMaster { ip, port } => {
                let addr = MasterAddr { host: ip, port };
                if self.state.repl.master.as_ref().is_some_and(|m| m.host == addr.host && m.port == addr.port) {
                    return;
                }
                let was_master = !self.state.repl.is_replica();
                self.repl_set_master(el, addr, was_master);
            }
            Effect::UnsetMaster => {
                if self.state.repl.is_replica() {
                    self.repl_unset_master(el);
                }
            }
            Effect::DelKeysInSlot(slot) => {
                crate::state::cluster::del_keys_in_slot(&mut self.state, slot);
            }
            Effect::PauseWrites(on) => {
                self.state.pause.set_failover(on);
                self.state.lazy_expiry.paused =
                    self.state.pause.mode_at(crate::util::now_ms()) != crate::state::PauseMode::Off;
            }
        }
    }
}
