//! The Pub/Sub registry: who listens to which channel, pattern or shard channel, and message delivery into the
//! subscribers' output buffers (with `client-output-buffer-limit` enforcement on every delivery, for every client class).
//!
//! ```text
//!   Registry (ServerState::pubsub)                    ClientState::subs (per client)
//!   channels: "news"  -> [ (id 7, fd 12), (id 9, fd 14) ]   client 7: channels {"news"}  patterns {"n*"}
//!   patterns: "n*"    -> [ (id 7, fd 12) ]                  client 9: channels {"news"}
//!   shard:    "s{1}"  -> [ (id 9, fd 14) ]                  client 9: shard {"s{1}"}
//! ```
//!
//! Invariants: a client's id appears in a registry list exactly when the name is in the matching set of its
//! [`ClientSubs`]; lists are never empty (the name is removed with its last subscriber); subscriber lists keep
//! subscription order, which is the delivery order of PUBLISH, as in Redis. `ServerState::pubsub_channels` /
//! `pubsub_patterns` mirror the number of channels / patterns (INFO).
//!
//! Subscribers are stored with their fd so PUBLISH reaches `ServerState::clients[fd]` without a lookup; the id
//! guards against a reused fd. The client whose command is running is not in `clients`: callers pass it in.
//!
//! Tested by the unit tests below (registry bookkeeping, message encodings, limit checks) and end to end by
//! tests/pubsub_*.rs.

#![forbid(unsafe_code)]

use crate::config::{ClientBufferLimit, CLIENT_CLASS_NORMAL, CLIENT_CLASS_PUBSUB};
use crate::net::client::{flags, Client, ClientInfoFn, ClientState};
use crate::resp::reply::Proto;
use crate::state::{ServerState, Stats};
use std::collections::HashMap;

/// Which namespace a subscription lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn sub_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }
    fn unsub_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// One subscription in a registry list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscriber {
    pub id: u64,
    pub fd: i32,
}

/// A small insertion-ordered set of names (order changes only where a name is removed).
#[derive(Default, Debug)]
pub struct NameSet {
    items: Vec<Box<[u8]>>,
    index: HashMap<Box<[u8]>, usize>,
}

impl NameSet {
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn contains(&self, name: &[u8]) -> bool {
        self.index.contains_key(name)
    }
    fn insert(&mut self, name: &[u8]) -> bool {
        if self.index.contains_key(name) {
            return false;
        }
        self.index.insert(name.into(), self.items.len());
        self.items.push(name.into());
        true
    }
    fn remove(&mut self, name: &[u8]) -> bool {
        let Some(i) = self.index.remove(name) else { return false };
        self.items.swap_remove(i);
        if let Some(moved) = self.items.get(i) {
            if let Some(slot) = self.index.get_mut(moved) {
                *slot = i;
            }
        }
        true
    }
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.items.iter().map(|b| &b[..])
    }
}

/// What one client is subscribed to.
#[derive(Default, Debug)]
pub struct ClientSubs {
    pub channels: NameSet,
    pub patterns: NameSet,
    pub shard: NameSet,
}

impl ClientSubs {
    fn set(&mut self, kind: Kind) -> &mut NameSet {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }
}

/// Subscription counts of a client: (channels, patterns, shard channels).
pub fn counts(c: &ClientState) -> (usize, usize, usize) {
    match &c.subs {
        Some(s) => (s.channels.len(), s.patterns.len(), s.shard.len()),
        None => (0, 0, 0),
    }
}

/// Whether the client has any subscription (Redis's `CLIENT_PUBSUB` flag).
#[inline]
pub fn is_subscriber(c: &ClientState) -> bool {
    c.subs.is_some()
}

/// The count a (un)subscribe confirmation carries: channels + patterns, or shard channels for the sharded forms.
fn reply_count(c: &ClientState, kind: Kind) -> usize {
    let (ch, pat, shard) = counts(c);
    match kind {
        Kind::Shard => shard,
        _ => ch + pat,
    }
}

/// Server-wide subscription tables.
#[derive(Default, Debug)]
pub struct Registry {
    channels: HashMap<Box<[u8]>, Vec<Subscriber>>,
    patterns: HashMap<Box<[u8]>, Vec<Subscriber>>,
    shard: HashMap<Box<[u8]>, Vec<Subscriber>>,
}

impl Registry {
    fn table(&mut self, kind: Kind) -> &mut HashMap<Box<[u8]>, Vec<Subscriber>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    fn table_ref(&self, kind: Kind) -> &HashMap<Box<[u8]>, Vec<Subscriber>> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    /// Number of subscribers of a channel (or shard channel); patterns not included (PUBSUB NUMSUB).
    pub fn num_subscribers(&self, kind: Kind, name: &[u8]) -> usize {
        self.table_ref(kind).get(name).map_or(0, |v| v.len())
    }

    /// Names with at least one subscriber matching `pattern` (all of them when `None`), PUBSUB CHANNELS.
    pub fn names_matching(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        self.table_ref(kind)
            .keys()
            .map(|k| &k[..])
            .filter(|k| pattern.map_or(true, |p| crate::util::glob_match(p, k, false)))
            .collect()
    }

    /// Number of distinct names of a kind.
    pub fn len(&self, kind: Kind) -> usize {
        self.table_ref(kind).len()
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty()
    }
}

fn sync_counters(srv: &mut ServerState) {
    srv.pubsub_channels = srv.pubsub.channels.len() as u64;
    srv.pubsub_patterns = srv.pubsub.patterns.len() as u64;
}

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
    sync_counters(srv);
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
    sync_counters(srv);
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

// ---- delivery -------------------------------------------------------------------------------------------------

/// A message encoded once as a RESP2 array; RESP3 subscribers get the same bytes with the `>` push marker in
/// place of `*` (the two encodings differ only in that first byte).
struct Encoded(Vec<u8>);

fn push_bulk(out: &mut Vec<u8>, s: &[u8]) {
    let mut tmp = [0u8; 24];
    out.push(b'$');
    out.extend_from_slice(crate::util::itoa_buf(s.len() as i64, &mut tmp));
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// `[kind, (pattern,) channel, message]`.
fn encode(kind: &[u8], pattern: Option<&[u8]>, channel: &[u8], msg: &[u8]) -> Encoded {
    let n = if pattern.is_some() { b'4' } else { b'3' };
    let mut out = Vec::with_capacity(kind.len() + channel.len() + msg.len() + pattern.map_or(0, |p| p.len()) + 48);
    out.extend_from_slice(&[b'*', n, b'\r', b'\n']);
    push_bulk(&mut out, kind);
    if let Some(p) = pattern {
        push_bulk(&mut out, p);
    }
    push_bulk(&mut out, channel);
    push_bulk(&mut out, msg);
    Encoded(out)
}

impl Encoded {
    /// Appends the message in the protocol of `reply`'s client, even while its replies are switched off.
    #[inline]
    fn append_to(&self, reply: &mut crate::resp::reply::Reply) {
        if reply.is_cut() {
            return;
        }
        let was = reply.enabled;
        reply.enabled = true;
        if reply.proto == Proto::Resp3 {
            reply.raw_bytes(b">");
            reply.raw_bytes(&self.0[1..]);
        } else {
            reply.raw_bytes(&self.0);
        }
        reply.enabled = was;
    }
}

/// The output-buffer class of a client (Redis's `getClientType` without replication): pubsub when subscribed.
pub fn client_class(c: &ClientState) -> usize {
    if c.has(flags::REPLICA) && !c.has(flags::MONITOR) {
        crate::config::CLIENT_CLASS_REPLICA
    } else if is_subscriber(c) {
        CLIENT_CLASS_PUBSUB
    } else {
        CLIENT_CLASS_NORMAL
    }
}

/// Bytes of pending output counted against `client-output-buffer-limit` (Redis's
/// `getClientOutputBufferMemoryUsage`: the reply list, not the static buffer; see [`Reply::list_bytes`]).
#[inline]
pub fn output_limit_bytes(c: &ClientState) -> u64 {
    c.reply.list_bytes() as u64
}

/// The output (in [`output_limit_bytes`]) at which the running command's reply closes the client, for
/// [`Reply::watch_limit`]; 0 = none. Redis checks the limits each time a reply block is added, with the clock
/// cached for the command: the hard limit closes at once, the soft one only when the client has already been above
/// it for longer than the soft seconds (else crossing it just starts the timer, which the check after the command
/// does here).
#[inline]
pub fn close_limit_bytes(c: &ClientState, soft_since_s: i64, limits: &[ClientBufferLimit; 3], now_ms: i64) -> usize {
    let class = client_class(c);
    // A replica's output is the replication stream, limited where it is fed.
    if class == crate::config::CLIENT_CLASS_REPLICA {
        return 0;
    }
    let limit = &limits[class];
    let mut bytes = limit.hard_bytes;
    if limit.soft_bytes > 0
        && soft_since_s != 0
        && now_ms / 1000 - soft_since_s > limit.soft_seconds
        && (bytes == 0 || limit.soft_bytes < bytes)
    {
        bytes = limit.soft_bytes;
    }
    usize::try_from(bytes).unwrap_or(usize::MAX)
}

/// Redis's `checkClientOutputBufferLimits` + `closeClientOnOutputBufferLimitReached`: when the client's output is
/// over the hard limit of its class, or over the soft limit for longer than the soft seconds, it is flagged
/// CLOSE_ASAP (the server frees it before the next poll and never writes to it again), the event is logged and
/// counted. `soft_since_s` is the client's "soft limit first reached" time (0 = not above it). Returns true when the
/// client was flagged now.
pub fn enforce_output_limit(
    c: &mut ClientState,
    soft_since_s: &mut i64,
    limits: &[ClientBufferLimit; 3],
    now_ms: i64,
    stats: &mut Stats,
    info: ClientInfoFn,
) -> bool {
    if c.has(flags::CLOSE_ASAP) {
        return false;
    }
    // A reply cut while it was built (see `Reply::watch_limit`) was over the limit then.
    if output_limit_reached(c, soft_since_s, limits, now_ms).is_none() && !c.reply.is_cut() {
        return false;
    }
    crate::log_warning!(
        "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        info(c, now_ms)
    );
    c.flags |= flags::CLOSE_ASAP;
    stats.client_outbuf_limit_disconnections += 1;
    true
}

/// Redis's `checkClientOutputBufferLimits`: `Some(bytes counted)` when the client's output is over the hard limit
/// of its class, or over the soft limit for longer than the soft seconds. Keeps the "soft limit first reached"
/// time `soft_since_s` (0 = not above it). The caller decides how to close the client and logs it.
pub fn output_limit_reached(
    c: &ClientState,
    soft_since_s: &mut i64,
    limits: &[ClientBufferLimit; 3],
    now_ms: i64,
) -> Option<u64> {
    let limit = limits[client_class(c)];
    if limit.hard_bytes == 0 && limit.soft_bytes == 0 {
        return None;
    }
    let used = output_limit_bytes(c);
    let hard = limit.hard_bytes > 0 && used >= limit.hard_bytes;
    let mut soft = limit.soft_bytes > 0 && used >= limit.soft_bytes;
    let now_s = now_ms / 1000;
    if soft {
        if *soft_since_s == 0 {
            *soft_since_s = now_s;
            soft = false;
        } else if now_s - *soft_since_s <= limit.soft_seconds {
            soft = false;
        }
    } else {
        *soft_since_s = 0;
    }
    (hard || soft).then_some(used)
}

/// [`enforce_output_limit`] for a connection.
pub fn check_output_limits(
    c: &mut Client,
    limits: &[ClientBufferLimit; 3],
    now_ms: i64,
    stats: &mut Stats,
    info: ClientInfoFn,
) -> bool {
    let Client { state, obuf_soft_limit_reached_s, .. } = c;
    enforce_output_limit(state, obuf_soft_limit_reached_s, limits, now_ms, stats, info)
}

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
    client_mem: &'a mut crate::net::client_evict::ClientMem,
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
        check_output_limits(c, self.limits, self.now_ms, self.stats, self.info);
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
    let srv_info = srv.client_info;
    let evict_limit = crate::net::client_evict::limit_bytes(&srv.config);
    let ServerState {
        pubsub,
        clients,
        clients_pending_push,
        pending_push_since,
        config,
        stats,
        now_ms,
        client_mem,
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
/// every client whose pattern matches, in Redis's order. `me` is the running client (not in `srv.clients`), if any.
/// Returns the number of deliveries.
pub fn publish(
    srv: &mut ServerState,
    mut me: Option<&mut ClientState>,
    shard: bool,
    channel: &[u8],
    msg: &[u8],
) -> usize {
    let (pubsub, mut sink) = split(srv);
    let mut receivers = 0;
    let table = if shard { &pubsub.shard } else { &pubsub.channels };
    if let Some(list) = table.get(channel) {
        let enc = encode(if shard { b"smessage" } else { b"message" }, None, channel, msg);
        for &s in list {
            receivers += sink.deliver(&mut me, s, &enc) as usize;
        }
    }
    if shard {
        return receivers;
    }
    for (pattern, list) in pubsub.patterns.iter() {
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
/// `Cluster::lost_slots` by `Cluster::del_slot`): every shard channel hashing to one of them leaves the registry,
/// and each of its subscribers gets a `sunsubscribe` message with its remaining shard-channel count. Channels go by
/// ascending slot, then in byte order (Redis's `slots_to_channels` order). One walk over the shard channels serves
/// every queued slot; PUBLISH and SPUBLISH pay nothing for it. `me` is the running client (not in `srv.clients`),
/// if any; its messages come before its command's reply.
pub fn drop_lost_shard_slots(srv: &mut ServerState, mut me: Option<&mut ClientState>) {
    let Some(cl) = srv.cluster.as_deref_mut() else { return };
    if cl.lost_slots.is_empty() {
        return;
    }
    let slots = std::mem::take(&mut cl.lost_slots);
    if srv.pubsub.shard.is_empty() {
        return;
    }
    let mut lost = vec![0u64; crate::cluster::SLOTS / 64];
    for s in slots {
        lost[s as usize >> 6] |= 1 << (s & 63);
    }
    let mut names: Vec<(usize, Box<[u8]>)> = srv
        .pubsub
        .shard
        .keys()
        .filter_map(|k| {
            let slot = crate::cluster::key_hash_slot(k);
            (lost[slot >> 6] & (1 << (slot & 63)) != 0).then(|| (slot, k.clone()))
        })
        .collect();
    names.sort_unstable();
    let (pubsub, mut sink) = split(srv);
    for (_, name) in names {
        for sub in pubsub.shard.remove(&name).unwrap_or_default() {
            sink.drop_shard(&mut me, sub, &name);
        }
    }
}

/// The error a RESP2 subscriber gets for a command outside the pub/sub context, or `None` when the command may run
/// (Redis 7.0's check in `processCommand`). `full_name` is the command's full name as Redis prints it.
pub fn context_error(c: &ClientState, full_name: &str) -> Option<String> {
    if !is_subscriber(c) || c.reply.proto == Proto::Resp3 {
        return None;
    }
    match full_name {
        "ping" | "subscribe" | "ssubscribe" | "unsubscribe" | "sunsubscribe" | "psubscribe" | "punsubscribe"
        | "quit" | "reset" => None,
        _ => Some(format!(
            "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are \
             allowed in this context"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::net::client::REPLY_CHUNK_BYTES;

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
        assert_eq!((srv.pubsub_channels, srv.pubsub_patterns), (1, 1));
        assert_eq!(counts(&b), (1, 1, 1));
        assert!(unsubscribe(&mut srv, &mut a, Kind::Channel, b"news"));
        assert!(!unsubscribe(&mut srv, &mut a, Kind::Channel, b"news"));
        assert!(!is_subscriber(&a));
        assert_eq!(srv.pubsub.num_subscribers(Kind::Channel, b"news"), 1);
        unsubscribe_everything(&mut srv, &mut b);
        assert!(srv.pubsub.is_empty());
        assert_eq!((srv.pubsub_channels, srv.pubsub_patterns), (0, 0));
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
    fn message_encodings() {
        let e = encode(b"message", None, b"ch", b"hi");
        let mut r = crate::resp::reply::Reply::new();
        e.append_to(&mut r);
        assert_eq!(r.pending(), b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        let mut r = crate::resp::reply::Reply::new();
        r.proto = Proto::Resp3;
        r.enabled = false;
        e.append_to(&mut r);
        assert_eq!(r.pending(), b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        assert!(!r.enabled);
        let e = encode(b"pmessage", Some(b"c*"), b"ch", b"");
        assert_eq!(e.0, b"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n");
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

    #[test]
    fn output_limits_hard_and_soft() {
        let mut stats = Stats::default();
        let mut c = client(1);
        let mut since = 0;
        let limits = [
            ClientBufferLimit::default(),
            ClientBufferLimit::default(),
            ClientBufferLimit { hard_bytes: 1 << 20, soft_bytes: 1 << 18, soft_seconds: 2 },
        ];
        c.subs = Some(Default::default());
        c.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 18)]);
        assert!(!enforce_output_limit(&mut c, &mut since, &limits, 10_000, &mut stats, crate::net::client::short_info));
        assert_eq!(since, 10);
        assert!(!enforce_output_limit(&mut c, &mut since, &limits, 12_000, &mut stats, crate::net::client::short_info));
        assert!(enforce_output_limit(&mut c, &mut since, &limits, 13_000, &mut stats, crate::net::client::short_info));
        assert!(c.has(flags::CLOSE_ASAP));
        assert_eq!(stats.client_outbuf_limit_disconnections, 1);
        let mut d = client(2);
        d.subs = Some(Default::default());
        let mut since = 0;
        d.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 20)]);
        assert!(enforce_output_limit(&mut d, &mut since, &limits, 0, &mut stats, crate::net::client::short_info));
        // Normal clients have no limit here.
        let mut e = client(3);
        e.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 21)]);
        assert!(!enforce_output_limit(&mut e, &mut since, &limits, 0, &mut stats, crate::net::client::short_info));
    }

    #[test]
    fn subscribed_context() {
        let mut c = client(1);
        assert!(context_error(&c, "get").is_none());
        c.subs = Some(Default::default());
        assert!(context_error(&c, "ping").is_none());
        assert_eq!(
            context_error(&c, "get").as_deref(),
            Some(
                "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed \
                 in this context"
            )
        );
        c.reply.proto = Proto::Resp3;
        assert!(context_error(&c, "get").is_none());
    }
}
