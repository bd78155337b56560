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
//! This file holds the data: the registry [`ServerState::pubsub`](crate::state::ServerState) holds and the message
//! encoding; each delivery checks the output-buffer limits of [`crate::net::output_limit`]. What a client keeps (its sets of names) is part of the client
//! ([`crate::net::client::subs`]), which so imports nothing of this file. The operations on the whole server state
//! (subscribe, unsubscribe, publish, dropping the shard channels of lost slots) are in [`crate::state::pubsub`].
//!
//! Tested by the unit tests below (message encodings), by those of [`state::pubsub`](crate::state::pubsub) (registry
//! bookkeeping, delivery) and end to end by tests/pubsub/.
//!
//! [`ClientSubs`]: crate::net::client::subs::ClientSubs

#![forbid(unsafe_code)]

use crate::net::client::ClientState;
use crate::resp::reply::Proto;
use std::collections::HashMap;

/// Which namespace a subscription lives in: the registry's key as much as the client's, so it is named here, where the
/// registry's users look for it; it is defined with the client's sets
/// ([`net::client::subs`](crate::net::client::subs)).
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
