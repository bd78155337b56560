//! Pub/Sub operations on the whole server state: subscribe and unsubscribe (keeping the registry and the client's
//! sets in step), their confirmations, and delivery of PUBLISH / SPUBLISH messages and of the
//! `sunsubscribe` messages for the shard channels of slots this node lost. This is the operations half of
//! [`crate::pubsub`], which holds the data (the registry, the message encoding and the output-limit checks) and
//! states the invariants kept here; a client's own subscriptions are part of the client
//! ([`crate::net::client::subs`]).

#![forbid(unsafe_code)]

use crate::config::ClientBufferLimit;
use crate::net::client::{flags, Client, ClientInfoFn, ClientState};
use crate::net::output_limit::check_output_limits;
use crate::pubsub::{counts, encode, Encoded, Kind, Registry, Subscriber};
use crate::state::{ServerState, Stats};

/// Adds a subscription. Returns false when the client already had it.
pub fn subscribe(srv: &mut ServerState, c: &mut ClientState, kind: Kind, name: &[u8]) -> bool {
    let subs = c.subs.get_or_insert_with(Default::default);
    if !subs.set(kind).insert(name) {
        return false;
    }
    let sub = Subscriber { id: c.id, fd: c.fd };
    match srv.pubsub.table(kind).get_mut(name) {
        Some(list) => list.push(sub),
        None => {
            srv.pubsub.table(kind).insert(name.into(), vec![sub]);
        }
    }
    true
}

/// Removes a subscription. Returns false when the client did not have it.
pub fn unsubscribe(srv: &mut ServerState, c: &mut ClientState, kind: Kind, name: &[u8]) -> bool {
    let Some(subs) = c.subs.as_mut() else { return false };
    if !subs.set(kind).remove(name) {
        return false;
    }
    if subs.channels.is_empty() && subs.patterns.is_empty() && subs.shard.is_empty() {
        c.subs = None;
    }
    let table = srv.pubsub.table(kind);
    if let Some(list) = table.get_mut(name) {
        if let Some(i) = list.iter().position(|s| s.id == c.id) {
            list.remove(i);
        }
        if list.is_empty() {
            table.remove(name);
        }
    }
    true
}

/// Writes a subscribe/unsubscribe confirmation: `[word, name or null, count]`. Like messages, confirmations are
/// pushed even under `CLIENT REPLY OFF|SKIP` (Redis's `CLIENT_PUSHING`).
fn confirm(c: &mut ClientState, word: &[u8], name: Option<&[u8]>, count: usize) {
    let r = &mut c.reply;
    let was = r.enabled;
    r.enabled = true;
    r.push(3);
    r.bulk(word);
    match name {
        Some(n) => r.bulk(n),
        None => r.null(),
    }
    r.int(count as i64);
    r.enabled = was;
}

/// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE for each name, with a confirmation per name.
pub fn subscribe_reply(srv: &mut ServerState, c: &mut ClientState, kind: Kind, names: &[&[u8]]) {
    for name in names {
        subscribe(srv, c, kind, name);
        let n = reply_count(c, kind);
        confirm(c, kind.sub_word(), Some(name), n);
    }
}

/// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the given names, or every subscription of the kind when `names` is
/// empty. With `notify` each removal is confirmed (and an empty unsubscribe-all says so with a null name).
pub fn unsubscribe_reply(srv: &mut ServerState, c: &mut ClientState, kind: Kind, names: &[&[u8]], notify: bool) {
    if names.is_empty() {
        let all: Vec<Box<[u8]>> = match c.subs.as_mut() {
            Some(s) => s.set(kind).iter().map(Box::from).collect(),
            None => Vec::new(),
        };
        for name in &all {
            unsubscribe(srv, c, kind, name);
            if notify {
                let n = reply_count(c, kind);
                confirm(c, kind.unsub_word(), Some(name), n);
            }
        }
        if all.is_empty() && notify {
            let n = reply_count(c, kind);
            confirm(c, kind.unsub_word(), None, n);
        }
        return;
    }
    for name in names {
        unsubscribe(srv, c, kind, name);
        if notify {
            let n = reply_count(c, kind);
            confirm(c, kind.unsub_word(), Some(name), n);
        }
    }
}

/// Drops every subscription of a client (RESET, disconnect), without replies.
pub fn unsubscribe_everything(srv: &mut ServerState, c: &mut ClientState) {
    if c.subs.is_none() {
        return;
    }
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        unsubscribe_reply(srv, c, kind, &[], false);
    }
    c.subs = None;
}

/// The count a (un)subscribe confirmation carries: channels + patterns, or shard channels for the sharded forms.
fn reply_count(c: &ClientState, kind: Kind) -> usize {
    let (ch, pat, shard) = counts(c);
    match kind {
        Kind::Shard => shard,
        _ => ch + pat,
    }
}

// ---- delivery -------------------------------------------------------------------------------------------------

/// What delivery needs of the server state (everything but the registry, which is being iterated).
struct Sink<'a> {
    clients: &'a mut crate::net::client::ClientTable,
    out: Out<'a>,
}

/// The part of [`Sink`] that follows up an append to a client of the table.
struct Out<'a> {
    pending_push: &'a mut Vec<i32>,
    pending_push_since: &'a mut std::time::Instant,
    limits: &'a [ClientBufferLimit; 3],
    stats: &'a mut Stats,
    now_ms: i64,
    info: ClientInfoFn,
    /// Client-eviction accounting and its limit (`maxmemory-clients`, 0 = off).
    client_mem: &'a mut crate::state::evict::clients::ClientMem,
    evict_limit: u64,
}

impl Sink<'_> {
    /// Appends an encoded message to one subscriber: the running client `me`, or a client in the table (then
    /// queued for writing and checked against its output limit). Returns false when the subscriber is gone.
    #[inline]
    fn deliver(&mut self, me: &mut Option<&mut ClientState>, sub: Subscriber, enc: &Encoded) -> bool {
        if let Some(m) = me.as_deref_mut() {
            if m.id == sub.id {
                if !m.has(flags::CLOSE_ASAP) {
                    enc.append_to(&mut m.reply);
                }
                return true;
            }
        }
        let Some(Some(c)) = self.clients.get_mut(sub.fd as usize) else { return false };
        if c.state.id != sub.id {
            return false;
        }
        // A client scheduled for closing gets nothing more (Redis's prepareClientToWrite refuses it).
        if c.state.has(flags::CLOSE_ASAP) {
            return true;
        }
        enc.append_to(&mut c.state.reply);
        self.out.appended(c, sub.fd);
        true
    }

    /// Takes shard channel `name` (already out of the registry) from one subscriber, with a `sunsubscribe` message.
    fn drop_shard(&mut self, me: &mut Option<&mut ClientState>, sub: Subscriber, name: &[u8]) {
        if let Some(m) = me.as_deref_mut() {
            if m.id == sub.id {
                leave_shard(m, name);
                return;
            }
        }
        let Some(Some(c)) = self.clients.get_mut(sub.fd as usize) else { return };
        if c.state.id == sub.id && leave_shard(&mut c.state, name) {
            self.out.appended(c, sub.fd);
        }
    }
}

impl Out<'_> {
    /// After output was appended to a client of the table: its output limit check, its client-eviction accounting
    /// and its coalesced write.
    #[inline]
    fn appended(&mut self, c: &mut Client, fd: i32) {
        check_output_limits(c, self.limits, self.now_ms, &mut self.stats.client_outbuf_limit_disconnections, self.info);
        // As Redis's pubsubPublishMessage: the receiver's grown output counts at once for client eviction, which
        // runs before the next command (only tracked here while eviction is on; the cron refreshes the rest).
        if self.evict_limit > 0 {
            self.client_mem.update(c, self.evict_limit);
        }
        // Coalesced: written before the loop sleeps, or after PUSH_COALESCE (server::before_sleep). A client that
        // has a reply of its own pending is written with it anyway.
        if !c.pending_write && !c.pending_push {
            if self.pending_push.is_empty() {
                *self.pending_push_since = std::time::Instant::now();
            }
            c.pending_push = true;
            self.pending_push.push(fd);
        }
    }
}

/// The client side of [`Sink::drop_shard`]; true when the message was written (not to a client being closed).
fn leave_shard(c: &mut ClientState, name: &[u8]) -> bool {
    if let Some(s) = c.subs.as_mut() {
        s.shard.remove(name);
        if s.channels.is_empty() && s.patterns.is_empty() && s.shard.is_empty() {
            c.subs = None;
        }
    }
    if c.has(flags::CLOSE_ASAP) {
        return false;
    }
    let n = reply_count(c, Kind::Shard);
    confirm(c, Kind::Shard.unsub_word(), Some(name), n);
    true
}

/// The registry and what delivery needs of the rest of the server state.
fn split(srv: &mut ServerState) -> (&mut Registry, Sink<'_>) {
    let srv_info = srv.clients.info;
    let evict_limit = crate::state::evict::clients::limit_bytes(&srv.config);
    let ServerState {
        pubsub,
        clients:
            crate::state::Clients {
                by_fd: clients,
                pending_push: clients_pending_push,
                pending_push_since,
                mem: client_mem,
                ..
            },
        config,
        stats,
        now_ms,
        ..
    } = srv;
    let sink = Sink {
        clients,
        out: Out {
            client_mem,
            evict_limit,
            pending_push: clients_pending_push,
            pending_push_since,
            limits: &config.client_output_buffer_limit,
            stats,
            now_ms: *now_ms,
            info: srv_info,
        },
    };
    (pubsub, sink)
}

/// PUBLISH (or SPUBLISH with `shard`): delivers `msg` to the channel's subscribers, then (not for shard channels) to
/// every client whose pattern matches, in Redis's order. `me` is the running client (not in `srv.clients.by_fd`), if
/// any. Returns the number of deliveries.
pub fn publish(
    srv: &mut ServerState,
    mut me: Option<&mut ClientState>,
    shard: bool,
    channel: &[u8],
    msg: &[u8],
) -> usize {
    let (pubsub, mut sink) = split(srv);
    let mut receivers = 0;
    let mut message_len = 0;
    let table = pubsub.table_ref(if shard { Kind::Shard } else { Kind::Channel });
    if let Some(list) = table.get(channel) {
        let enc = encode(if shard { b"smessage" } else { b"message" }, None, channel, msg);
        message_len = enc.byte_len();
        for &s in list {
            receivers += sink.deliver(&mut me, s, &enc) as usize;
        }
    }
    if shard {
        // CLUSTER SLOT-STATS: a shard message's deliveries are the channel slot's output (Valkey's
        // clusterSlotStatsAddNetworkBytesOutForShardedPubSubInternalPropagation).
        if receivers > 0 && srv.config.cluster_slot_stats_enabled {
            if let Some(cl) = srv.cluster.as_deref_mut() {
                let slot = crate::cluster::key_hash_slot(channel);
                cl.slot_stats[slot].network_bytes_out += (message_len * receivers) as u64;
            }
        }
        return receivers;
    }
    for (pattern, list) in pubsub.table_ref(Kind::Pattern).iter() {
        if !crate::util::glob_match(pattern, channel, false) {
            continue;
        }
        let enc = encode(b"pmessage", Some(pattern), channel, msg);
        for &s in list {
            receivers += sink.deliver(&mut me, s, &enc) as usize;
        }
    }
    receivers
}

/// Redis 7.0's `removeChannelsInSlot` for the slots our cluster shard stopped serving (queued in
/// [`Cluster::lost_slots`](crate::cluster::Cluster::lost_slots) by
/// [`Cluster::del_slot`](crate::cluster::Cluster::del_slot)): every shard channel hashing to one of them leaves the
/// registry, and each of its subscribers gets a `sunsubscribe` message with its remaining shard-channel count. Channels
/// go by ascending slot, then in byte order (Redis's `slots_to_channels` order). One walk over the shard channels
/// serves every queued slot; PUBLISH and SPUBLISH pay nothing for it. `me` is the running client (not in
/// `srv.clients.by_fd`), if any; its messages come before its command's reply.
pub fn drop_lost_shard_slots(srv: &mut ServerState, mut me: Option<&mut ClientState>) {
    let Some(cl) = srv.cluster.as_deref_mut() else { return };
    if cl.lost_slots.is_empty() {
        return;
    }
    let slots = std::mem::take(&mut cl.lost_slots);
    if srv.pubsub.table_ref(Kind::Shard).is_empty() {
        return;
    }
    let mut lost = vec![0u64; crate::cluster::SLOTS / 64];
    for s in slots {
        lost[s as usize >> 6] |= 1 << (s & 63);
    }
    let mut names: Vec<(usize, Box<[u8]>)> = srv
        .pubsub
        .table_ref(Kind::Shard)
        .keys()
        .filter_map(|k| {
            let slot = crate::cluster::key_hash_slot(k);
            (lost[slot >> 6] & (1 << (slot & 63)) != 0).then(|| (slot, k.clone()))
        })
        .collect();
    names.sort_unstable();
    let (pubsub, mut sink) = split(srv);
    for (_, name) in names {
        for sub in pubsub.table(Kind::Shard).remove(&name).unwrap_or_default() {
            sink.drop_shard(&mut me, sub, &name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::pubsub::is_subscriber;
    use crate::resp::reply::Proto;

    fn client(id: u64) -> ClientState {
        ClientState::new(id, id as i32 + 100, "127.0.0.1:1".into(), "127.0.0.1:2".into(), 0)
    }

    #[test]
    fn registry_bookkeeping() {
        let mut srv = ServerState::new(Config::default());
        let mut a = client(1);
        let mut b = client(2);
        assert!(subscribe(&mut srv, &mut a, Kind::Channel, b"news"));
        assert!(!subscribe(&mut srv, &mut a, Kind::Channel, b"news"));
        assert!(subscribe(&mut srv, &mut b, Kind::Channel, b"news"));
        assert!(subscribe(&mut srv, &mut b, Kind::Pattern, b"n*"));
        assert!(subscribe(&mut srv, &mut b, Kind::Shard, b"s"));
        assert_eq!(srv.pubsub.num_subscribers(Kind::Channel, b"news"), 2);
        assert_eq!((srv.pubsub.len(Kind::Channel), srv.pubsub.len(Kind::Pattern)), (1, 1));
        assert_eq!(counts(&b), (1, 1, 1));
        assert!(unsubscribe(&mut srv, &mut a, Kind::Channel, b"news"));
        assert!(!unsubscribe(&mut srv, &mut a, Kind::Channel, b"news"));
        assert!(!is_subscriber(&a));
        assert_eq!(srv.pubsub.num_subscribers(Kind::Channel, b"news"), 1);
        unsubscribe_everything(&mut srv, &mut b);
        assert!(srv.pubsub.is_empty());
        assert_eq!((srv.pubsub.len(Kind::Channel), srv.pubsub.len(Kind::Pattern)), (0, 0));
        assert!(!is_subscriber(&b));
    }

    #[test]
    fn confirmations_and_unsubscribe_all() {
        let mut srv = ServerState::new(Config::default());
        let mut a = client(1);
        unsubscribe_reply(&mut srv, &mut a, Kind::Channel, &[], true);
        assert_eq!(a.reply.pending(), b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
        a.reply.consume(a.reply.pending_len());
        subscribe_reply(&mut srv, &mut a, Kind::Channel, &[b"x", b"y"]);
        subscribe_reply(&mut srv, &mut a, Kind::Shard, &[b"s"]);
        assert_eq!(
            a.reply.pending(),
            &b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:2\r\n\
               *3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"[..]
        );
        a.reply.consume(a.reply.pending_len());
        a.reply.proto = Proto::Resp3;
        unsubscribe_reply(&mut srv, &mut a, Kind::Channel, &[], true);
        let out = String::from_utf8_lossy(a.reply.pending()).into_owned();
        assert!(out.starts_with(">3\r\n$11\r\nunsubscribe\r\n$1\r\n"), "{out}");
        assert!(out.ends_with(":0\r\n"));
        assert!(is_subscriber(&a), "shard subscription remains");
    }

    #[test]
    fn publish_to_running_client_and_patterns() {
        let mut srv = ServerState::new(Config::default());
        let mut a = client(1);
        a.reply.proto = Proto::Resp3;
        subscribe(&mut srv, &mut a, Kind::Channel, b"news");
        subscribe(&mut srv, &mut a, Kind::Pattern, b"ne?s");
        subscribe(&mut srv, &mut a, Kind::Pattern, b"x*");
        let n = publish(&mut srv, Some(&mut a), false, b"news", b"m");
        assert_eq!(n, 2);
        assert_eq!(
            a.reply.pending(),
            &b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nm\r\n>4\r\n$8\r\npmessage\r\n$4\r\nne?s\r\n$4\r\nnews\r\n$1\r\nm\r\n"[..]
        );
        // A subscriber that is not connected any more is not counted.
        assert_eq!(publish(&mut srv, None, false, b"news", b"m"), 0);
        assert_eq!(publish(&mut srv, Some(&mut a), true, b"news", b"m"), 0);
    }

    #[test]
    fn lost_slots_drop_their_shard_channels() {
        let mut srv = ServerState::new(Config::default());
        let mut cl = crate::cluster::Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        let me = cl.myself;
        for slot in 0..crate::cluster::SLOTS {
            cl.add_slot(me, slot);
        }
        srv.cluster = Some(Box::new(cl));
        let mut a = client(1);
        a.reply.proto = Proto::Resp3;
        subscribe(&mut srv, &mut a, Kind::Shard, b"b{x}");
        subscribe(&mut srv, &mut a, Kind::Shard, b"a{x}");
        subscribe(&mut srv, &mut a, Kind::Shard, b"other");
        subscribe(&mut srv, &mut a, Kind::Channel, b"x");
        let x = crate::cluster::key_hash_slot(b"x");
        assert_ne!(x, crate::cluster::key_hash_slot(b"other"));
        // A slot given away: its channels go, in byte order; the channel `x` and the shard channel `other` stay.
        if let Some(cl) = srv.cluster.as_deref_mut() {
            cl.del_slot(x);
        }
        drop_lost_shard_slots(&mut srv, Some(&mut a));
        assert_eq!(
            a.reply.pending(),
            &b">3\r\n$12\r\nsunsubscribe\r\n$4\r\na{x}\r\n:2\r\n>3\r\n$12\r\nsunsubscribe\r\n$4\r\nb{x}\r\n:1\r\n"[..]
        );
        assert_eq!(counts(&a), (1, 0, 1));
        assert_eq!(srv.pubsub.len(Kind::Shard), 1);
        assert!(srv.cluster.as_deref().is_some_and(|cl| cl.lost_slots.is_empty()));
        // A subscriber not connected any more: the channel still leaves the registry.
        let mut b = client(2);
        subscribe(&mut srv, &mut b, Kind::Shard, b"other");
        if let Some(cl) = srv.cluster.as_deref_mut() {
            cl.del_slot(crate::cluster::key_hash_slot(b"other"));
        }
        a.reply.consume(a.reply.pending_len());
        a.reply.proto = Proto::Resp2;
        drop_lost_shard_slots(&mut srv, Some(&mut a));
        assert_eq!(a.reply.pending(), b"*3\r\n$12\r\nsunsubscribe\r\n$5\r\nother\r\n:0\r\n");
        assert_eq!(srv.pubsub.len(Kind::Shard), 0);
        assert_eq!(counts(&a), (1, 0, 0));
        assert!(is_subscriber(&a));
    }
}
