//! The one way a handler reaches a key: [`Ctx::lookup`] with an [`Access`] that says what the lookup does
//! besides finding the key, as Redis's `lookupKey` takes `LOOKUP_*` flags (`src/db.c`).
//!
//! | [`Access`]              | lazy expiry | LRU/LFU touch                        | hit/miss counted | client tracking | Redis                                  |
//! |-------------------------|-------------|--------------------------------------|------------------|-----------------|----------------------------------------|
//! | [`Access::READ`]        | yes         | yes, unless the client is NO-TOUCH   | yes              | remembered      | `lookupKeyRead`                        |
//! | [`Access::READ_NOTOUCH`]| yes         | no                                   | yes              | no              | `LOOKUP_NOTOUCH` (TYPE, EXISTS, OBJECT) |
//! | [`Access::WRITE`]       | yes         | yes                                  | no               | no              | `lookupKeyWrite`                       |
//! | [`Access::QUIET`]       | yes         | no                                   | no               | no              | `LOOKUP_NOTOUCH \| LOOKUP_NOSTATS`      |
//! | [`Access::HELD`]        | no          | no                                   | no               | no              | (the caller looked the key up already) |
//!
//! Every lookup hands out shared references: a read never changes a value. One lookup lends the entry mutably to a
//! read, [`Ctx::lookup_reencode`], for a change of how the value is kept that is not a change of the value (a packed
//! JSON document thawed into its tree, `keyspace::types::json::doc`). A change goes through the door for
//! single keys ([`super::door`]): the write lookups there ([`Ctx::write`], [`Ctx::write_typed`],
//! [`Ctx::write_or_create`]) look the key up as [`Access::WRITE`] does and hand out a [`KeyWrite`] with the
//! mutable value, and every change is settled through that handle.
//!
//! [`KeyWrite`]: super::KeyWrite

use super::{Ctx, WrongType};
use crate::keyspace::object::{Entry, ValueKind};
use crate::net::client::flags;
use crate::resp::reply::Reply;
use crate::state::evict::pool::Touch;
use crate::state::ServerState;

/// What a lookup does besides finding the key (see the module docs for the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access(u8);

impl Access {
    /// Redis's `LOOKUP_WRITE`: the touch ignores the client's NO-TOUCH mode, and nothing is counted or tracked.
    const WRITE_BIT: u8 = 1;
    /// Redis's `LOOKUP_NOTOUCH`.
    const NOTOUCH_BIT: u8 = 1 << 1;
    /// Redis's `LOOKUP_NOSTATS`.
    const NOSTATS_BIT: u8 = 1 << 2;
    /// No expiry check at all (the key was looked up earlier in the same command).
    const HELD_BIT: u8 = 1 << 3;
    /// A write whose handler reports its value's size change itself (the door's `write_sized`): the entry is lent
    /// reported, its size not read for `INFO keysizes`.
    const SIZED_BIT: u8 = 1 << 4;

    /// A read (Redis's `lookupKeyRead`): lazy expiry, touch (unless the client is in NO-TOUCH mode), a keyspace
    /// hit or miss, and the key remembered for a tracking client.
    pub const READ: Access = Access(0);
    /// A read that leaves the LRU/LFU field alone (Redis's `LOOKUP_NOTOUCH`: TYPE, EXISTS, OBJECT, TTL, ...).
    pub const READ_NOTOUCH: Access = Access(Self::NOTOUCH_BIT);
    /// A lookup before a write (Redis's `lookupKeyWrite`): lazy expiry and touch, no hit/miss counting.
    pub const WRITE: Access = Access(Self::WRITE_BIT | Self::NOSTATS_BIT);
    /// Lazy expiry only: no touch, no counting (SMOVE's check of a member when source and destination are one key,
    /// SCAN's filter of expired keys).
    pub const QUIET: Access = Access(Self::NOTOUCH_BIT | Self::NOSTATS_BIT);
    /// The key as it stands, for a caller that looked it up earlier in the same command: no expiry, no touch, no
    /// counting.
    pub const HELD: Access = Access(Self::NOTOUCH_BIT | Self::NOSTATS_BIT | Self::HELD_BIT);
    /// [`Access::WRITE`] for the door's `write_sized` and `write_or_create_sized`, whose handler reports the size
    /// change itself (Redis's writes call `updateKeysizesHist` with the old and new length).
    pub(in crate::command::context) const WRITE_SIZED: Access =
        Access(Self::WRITE_BIT | Self::NOSTATS_BIT | Self::SIZED_BIT);

    #[inline]
    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// The lookup.
impl Ctx<'_> {
    /// Looks `key` up in the selected database as `access` says (see the module docs), handing out the reply sink
    /// beside the entry so the handler can answer while it holds it.
    #[inline]
    pub fn lookup(&mut self, access: Access, key: &[u8]) -> (Option<&Entry>, &mut Reply) {
        let (e, r, _) = self.find(access, key);
        (e.map(|e| &*e), r)
    }

    /// [`Ctx::lookup`] lending the entry mutably, for a read that may change how the value is kept but never what
    /// it is (see the module docs): nothing is signalled or counted as a change, so a handler may not change the
    /// value through it.
    #[inline]
    pub fn lookup_reencode(&mut self, access: Access, key: &[u8]) -> (Option<&mut Entry>, &mut Reply) {
        let (e, r, _) = self.find(access, key);
        (e, r)
    }

    /// [`Ctx::lookup`] of a key that must hold a `T`: `Ok(None)` when missing, `Err(WrongType)` after replying
    /// WRONGTYPE.
    #[inline]
    pub fn lookup_typed<T: ValueKind>(
        &mut self,
        access: Access,
        key: &[u8],
    ) -> Result<(Option<&T>, &mut Reply), WrongType> {
        let (e, r, _) = self.find(access, key);
        typed_ref(e.map(|e| &*e), r)
    }

    /// [`Ctx::lookup_typed`], also lending the server's random generator (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER pick
    /// while they hold the value).
    #[inline]
    #[allow(clippy::type_complexity)]
    pub fn lookup_rng<T: ValueKind>(
        &mut self,
        access: Access,
        key: &[u8],
    ) -> Result<(Option<&T>, &mut Reply, &mut crate::util::Rng), WrongType> {
        let (e, r, rng) = self.find(access, key);
        typed_ref(e.map(|e| &*e), r).map(|(v, r)| (v, r, rng))
    }

    /// The lookup itself, shared with the door's write lookups (which hand the entry out mutably beside a
    /// [`KeyWrite`](crate::command::context::door::KeyWrite)). The two common accesses have their own copies of the
    /// code with the access folded in, called from every site (a few instructions fewer per lookup than one copy
    /// testing the flags).
    #[inline(always)]
    pub(super) fn find(
        &mut self,
        access: Access,
        key: &[u8],
    ) -> (Option<&mut Entry>, &mut Reply, &mut crate::util::Rng) {
        match access {
            Access::READ => self.find_read(key),
            Access::WRITE => self.find_write(key),
            _ => self.find_as(access, key),
        }
    }

    /// [`Ctx::find`] for [`Access::READ`].
    #[inline]
    fn find_read(&mut self, key: &[u8]) -> (Option<&mut Entry>, &mut Reply, &mut crate::util::Rng) {
        self.find_as(Access::READ, key)
    }

    /// [`Ctx::find`] for [`Access::WRITE`].
    #[inline]
    fn find_write(&mut self, key: &[u8]) -> (Option<&mut Entry>, &mut Reply, &mut crate::util::Rng) {
        self.find_as(Access::WRITE, key)
    }

    /// The lookup's code, for any access.
    #[inline(always)]
    fn find_as(&mut self, access: Access, key: &[u8]) -> (Option<&mut Entry>, &mut Reply, &mut crate::util::Rng) {
        let Ctx { client, srv } = self;
        if access.has(Access::HELD_BIT) {
            let ServerState { dbs, rng, .. } = &mut **srv;
            let db = &mut dbs[client.db];
            let e = if access.has(Access::WRITE_BIT) { db.lend_mut(key) } else { db.find_mut(key) };
            return (e, &mut client.reply, rng);
        }
        let touch =
            if access.has(Access::NOTOUCH_BIT) || (!access.has(Access::WRITE_BIT) && client.has(flags::NO_TOUCH)) {
                Touch::Skip
            } else {
                crate::state::evict::touch(srv)
            };
        let clock = srv.lookup_clock();
        let ServerState { dbs, rng, stats, tracking, .. } = &mut **srv;
        // A tracking client's read is remembered after the command: the keyspace's hash of the key is kept for it.
        let found = if access == Access::READ && client.has(flags::TRACKING) {
            let (found, hk) = dbs[client.db].lookup_hashed(key, clock);
            tracking.note_lookup(key, hk);
            found
        } else if access.has(Access::SIZED_BIT) {
            // Lent without reading its size: the handler reports its change to `INFO keysizes` itself.
            dbs[client.db].lookup_lend_reported(key, clock)
        } else if access.has(Access::WRITE_BIT) {
            // Lent for an in-place change, counted again for `INFO keysizes` when the handler is done.
            dbs[client.db].lookup_lend(key, clock)
        } else {
            dbs[client.db].lookup(key, clock)
        };
        let counted = !access.has(Access::NOSTATS_BIT);
        let found = match found {
            Some(e) => {
                if counted {
                    stats.keyspace_hits += 1;
                }
                touch.apply(e);
                Some(e)
            }
            None => {
                if counted {
                    stats.keyspace_misses += 1;
                }
                None
            }
        };
        (found, &mut client.reply, rng)
    }
}

/// Narrows a looked-up entry to a `T`, replying WRONGTYPE for any other type.
fn typed_ref<'e, T: ValueKind>(
    e: Option<&'e Entry>,
    r: &'e mut Reply,
) -> Result<(Option<&'e T>, &'e mut Reply), WrongType> {
    match e {
        None => Ok((None, r)),
        Some(e) => match e.value().and_then(T::of_ref) {
            Some(v) => Ok((Some(v), r)),
            None => {
                r.err_wrongtype();
                Err(WrongType)
            }
        },
    }
}
