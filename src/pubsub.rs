//! The Pub/Sub registry: who listens to which channel, pattern or shard channel, and message delivery into the
//! subscribers' output buffers (with `client-output-buffer-limit` enforcement on every delivery, for every client
//! class).
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
//! subscription order, which is the delivery order of PUBLISH, as in Redis; so the number of names of a kind
//! ([`Registry::len`]) is INFO's `pubsub_channels` / `pubsub_patterns`.
//!
//! Subscribers are stored with their fd so PUBLISH reaches `ServerState::clients.by_fd[fd]` without a lookup; the id
//! guards against a reused fd. The client whose command is running is not in `clients`: callers pass it in.
//!
//! This file holds the data: the registry [`ServerState::pubsub`](crate::state::ServerState) holds, the message
//! encoding and the output-limit checks. What a client keeps (its sets of names) is part of the client
//! ([`crate::net::client::subs`]), which so imports nothing of this file. The operations on the whole server state
//! (subscribe, unsubscribe, publish, dropping the shard channels of lost slots) are in [`crate::state::pubsub`].
//!
//! Tested by the unit tests below (message encodings, limit checks), by those of `state::pubsub` (registry
//! bookkeeping, delivery) and end to end by tests/protocol/pubsub_*.rs.
//!
//! [`ClientSubs`]: crate::net::client::subs::ClientSubs

#![forbid(unsafe_code)]

use crate::config::{ClientBufferLimit, CLIENT_CLASS_NORMAL, CLIENT_CLASS_PUBSUB};
use crate::net::client::{flags, Client, ClientInfoFn, ClientState};
use crate::resp::reply::Proto;
use std::collections::HashMap;

/// Which namespace a subscription lives in: the registry's key as much as the client's, so it is named here, where
/// the registry's users look for it; it is defined with the client's sets (`net::client::subs`).
pub use crate::net::client::subs::Kind;

/// One subscription in a registry list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscriber {
    pub id: u64,
    pub fd: i32,
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

/// Server-wide subscription tables.
#[derive(Default, Debug)]
pub struct Registry {
    channels: HashMap<Box<[u8]>, Vec<Subscriber>>,
    patterns: HashMap<Box<[u8]>, Vec<Subscriber>>,
    shard: HashMap<Box<[u8]>, Vec<Subscriber>>,
}

impl Registry {
    pub(crate) fn table(&mut self, kind: Kind) -> &mut HashMap<Box<[u8]>, Vec<Subscriber>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    pub(crate) fn table_ref(&self, kind: Kind) -> &HashMap<Box<[u8]>, Vec<Subscriber>> {
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
            .filter(|k| pattern.is_none_or(|p| crate::util::glob_match(p, k, false)))
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

// ---- delivery -------------------------------------------------------------------------------------------------

/// A message encoded once as a RESP2 array; RESP3 subscribers get the same bytes with the `>` push marker in
/// place of `*` (the two encodings differ only in that first byte).
pub(crate) struct Encoded(Vec<u8>);

fn push_bulk(out: &mut Vec<u8>, s: &[u8]) {
    let mut tmp = [0u8; 24];
    out.push(b'$');
    out.extend_from_slice(crate::util::itoa_buf(s.len() as i64, &mut tmp));
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// `[kind, (pattern,) channel, message]`.
pub(crate) fn encode(kind: &[u8], pattern: Option<&[u8]>, channel: &[u8], msg: &[u8]) -> Encoded {
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
    /// The message's size in bytes (either encoding).
    pub(crate) fn byte_len(&self) -> usize {
        self.0.len()
    }

    /// Appends the message in the protocol of `reply`'s client, even while its replies are switched off.
    #[inline]
    pub(crate) fn append_to(&self, reply: &mut crate::resp::reply::Reply) {
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
///
/// [`Reply::list_bytes`]: crate::resp::reply::Reply::list_bytes
#[inline]
pub fn output_limit_bytes(c: &ClientState) -> u64 {
    c.reply.list_bytes() as u64
}

/// The output (in [`output_limit_bytes`]) at which the running command's reply closes the client, for
/// [`Reply::watch_limit`]; 0 = none. Redis checks the limits each time a reply block is added, with the clock
/// cached for the command: the hard limit closes at once, the soft one only when the client has already been above
/// it for longer than the soft seconds (else crossing it just starts the timer, which the check after the command
/// does here).
///
/// [`Reply::watch_limit`]: crate::resp::reply::Reply::watch_limit
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
/// counted in `disconnections` (the server's `client_outbuf_limit_disconnections`). `soft_since_s` is the client's
/// "soft limit first reached" time (0 = not above it). Returns true when the client was flagged now.
pub fn enforce_output_limit(
    c: &mut ClientState,
    soft_since_s: &mut i64,
    limits: &[ClientBufferLimit; 3],
    now_ms: i64,
    disconnections: &mut u64,
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
    *disconnections += 1;
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
    disconnections: &mut u64,
    info: ClientInfoFn,
) -> bool {
    let Client { state, obuf_soft_limit_reached_s, .. } = c;
    enforce_output_limit(state, obuf_soft_limit_reached_s, limits, now_ms, disconnections, info)
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
    use crate::net::client::REPLY_CHUNK_BYTES;

    fn client(id: u64) -> ClientState {
        ClientState::new(id, id as i32 + 100, "127.0.0.1:1".into(), "127.0.0.1:2".into(), 0)
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
    fn output_limits_hard_and_soft() {
        let mut count = 0;
        let mut c = client(1);
        let mut since = 0;
        let limits = [
            ClientBufferLimit::default(),
            ClientBufferLimit::default(),
            ClientBufferLimit { hard_bytes: 1 << 20, soft_bytes: 1 << 18, soft_seconds: 2 },
        ];
        c.subs = Some(Default::default());
        c.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 18)]);
        assert!(!enforce_output_limit(&mut c, &mut since, &limits, 10_000, &mut count, crate::net::client::short_info));
        assert_eq!(since, 10);
        assert!(!enforce_output_limit(&mut c, &mut since, &limits, 12_000, &mut count, crate::net::client::short_info));
        assert!(enforce_output_limit(&mut c, &mut since, &limits, 13_000, &mut count, crate::net::client::short_info));
        assert!(c.has(flags::CLOSE_ASAP));
        assert_eq!(count, 1);
        let mut d = client(2);
        d.subs = Some(Default::default());
        let mut since = 0;
        d.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 20)]);
        assert!(enforce_output_limit(&mut d, &mut since, &limits, 0, &mut count, crate::net::client::short_info));
        // Normal clients have no limit here.
        let mut e = client(3);
        e.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 21)]);
        assert!(!enforce_output_limit(&mut e, &mut since, &limits, 0, &mut count, crate::net::client::short_info));
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
