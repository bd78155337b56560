//! Tracking slots: the small numbers that make remembering a read a bit-or. A client keeps its slot as the bare bit
//! ([`ClientTracking::slot`](crate::net::client::ClientTracking::slot)); only the tracker hands slots out and reads
//! their bits.
//!
//! Tested by the tracker's unit tests (slots taken, quarantined, swept and reused).

/// Tracking slots: each client that tracks keys (not BCAST) gets one of 64 small numbers, and a key's entry holds a bit
/// per slot, so remembering a read is a bit-or (no allocation, no search). Clients beyond 64 (or whose slot was swept,
/// below) are kept as ids in the entry's sorted list. A freed slot (tracking off, RESET, disconnect) is quarantined:
/// its bits still name its last owner (whose messages `state::tracking`'s `send` drops when
/// it no longer tracks, as Redis drops them for a stale id), until a sweep
/// ([`Tracking::sweep_step`](super::Tracking::sweep_step), in the cron) has cleared them from
/// every entry (an owner still connected moves to the id list, so a later `CLIENT TRACKING on` hears of the keys it
/// read before, as in Redis; a gone one is only counted), or the table was emptied. Only then is the slot given to
/// another client, which so never hears of keys it did not read.
pub(crate) const SLOTS: usize = 64;

/// A client's tracking slot (see `SLOTS`) kept as its bit in an entry's `bits`, 0 when it has none: a read sets
/// the bit without a shift or a test of an `Option`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot(u64);

impl Slot {
    /// The slot a client holds, from the bit kept in its [`ClientTracking::slot`](crate::net::client::ClientTracking::slot).
    #[inline(always)]
    pub(crate) fn from_bit(bit: u64) -> Slot {
        Slot(bit)
    }

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
