//! What one client keeps of client-side caching: its settings beyond its flags ([`ClientTracking`], held in
//! [`ClientState::tracking`](crate::net::client::ClientState::tracking)) and its tracking slot ([`Slot`], see `SLOTS`).
//!
//! A leaf: it names nothing of the client, so the client holds these while `tracking` and
//! [`state::tracking`](crate::state::tracking), which act on clients, import the client, one way. Only the tracking
//! table hands slots out and reads their bits ([`Slot::of`](crate::net::client::tracking::Slot::of),
//! [`Slot::bit`](crate::net::client::tracking::Slot::bit), `SLOTS` are visible to the crate for it).
//!
//! Tested by the unit tests of `tracking` (slots taken, quarantined, swept and reused).

/// A client's tracking settings beyond its flags.
#[derive(Debug, Default)]
pub struct ClientTracking {
    /// The client invalidations are sent to (REDIRECT), 0 for the client itself.
    pub redirect: u64,
    /// Its tracking slot (see `SLOTS`), if it has one.
    pub slot: Slot,
    /// BCAST prefixes, sorted (CLIENT TRACKINGINFO lists them in this order, as Redis's radix tree does).
    pub prefixes: Vec<Box<[u8]>>,
}

/// Tracking slots: each client that tracks keys (not BCAST) gets one of 64 small numbers, and a key's entry holds a bit
/// per slot, so remembering a read is a bit-or (no allocation, no search). Clients beyond 64 (or whose slot was swept,
/// below) are kept as ids in the entry's sorted list. A freed slot (tracking off, RESET, disconnect) is quarantined:
/// its bits still name its last owner (whose messages [`state::tracking`](crate::state::tracking)'s `send` drops when
/// it no longer tracks, as Redis drops them for a stale id), until a sweep
/// ([`Tracking::sweep_step`](crate::state::tracking::tracker::Tracking::sweep_step), in the cron) has cleared them from
/// every entry (an owner still connected moves to the id list, so a later `CLIENT TRACKING on` hears of the keys it
/// read before, as in Redis; a gone one is only counted), or the table was emptied. Only then is the slot given to
/// another client, which so never hears of keys it did not read.
pub(crate) const SLOTS: usize = 64;

/// A client's tracking slot (see `SLOTS`) kept as its bit in an entry's `bits`, 0 when it has none: a read sets
/// the bit without a shift or a test of an `Option`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot(u64);

impl Slot {
    pub(crate) fn of(s: usize) -> Slot {
        Slot(1 << (s % SLOTS))
    }

    /// The slot's number, if it has one.
    pub fn index(self) -> Option<u8> {
        (self.0 != 0).then_some(self.0.trailing_zeros() as u8)
    }

    #[inline(always)]
    pub(crate) fn bit(self) -> u64 {
        self.0
    }

    #[inline(always)]
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}
