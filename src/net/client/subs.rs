//! What one client keeps of Pub/Sub: its subscriptions ([`ClientSubs`], held in
//! [`ClientState::subs`](crate::net::client::ClientState::subs)), one insertion-ordered [`NameSet`] per [`Kind`] of
//! namespace (channels, patterns, shard channels).
//!
//! A leaf: it names nothing of the client, so the client holds these sets while `pubsub` and
//! [`state::pubsub`](crate::state::pubsub), which act on clients, import the client, one way. The registry's side of
//! each subscription (who listens to a name) is [`pubsub::Registry`](crate::pubsub::Registry);
//! [`state::pubsub`](crate::state::pubsub) keeps the two in step, and `pubsub` states the invariants.
//!
//! Tested through its users: the unit tests of [`state::pubsub`](crate::state::pubsub) and end to end by tests/pubsub/.

#![forbid(unsafe_code)]

use std::collections::HashMap;

/// Which namespace a subscription lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    pub(crate) fn sub_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }
    pub(crate) fn unsub_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
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
    pub(crate) fn insert(&mut self, name: &[u8]) -> bool {
        if self.index.contains_key(name) {
            return false;
        }
        self.index.insert(name.into(), self.items.len());
        self.items.push(name.into());
        true
    }
    pub(crate) fn remove(&mut self, name: &[u8]) -> bool {
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
    pub(crate) fn set(&mut self, kind: Kind) -> &mut NameSet {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }
}
