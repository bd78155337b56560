//! The move log: what a rebuild under a new seed moved, for a companion index that files elements by their hash.
//!
//! The cluster slot index ([`keyspace::slots`](crate::keyspace::slots)) keeps, per hash slot, a fragment of each key's
//! hash under the keyspace dict's seed, which says where in the table the key sits. A rebuild under a new seed
//! ([`Dict::start_reseed`]) places every element anew, and recomputing every fragment at once would be O(n) on the
//! event loop. With the log on ([`Dict::log_moves`]) each step of that migration records, for every element it moves,
//! its hash under the old table's seed and under the new one and its group ([`DictEntry::group`]: the key's slot), and
//! the index applies the records after the call that moved them: the work follows the migration's bounded steps.
//!
//! The contract with the reader: the log holds only moves between the old table's seed (`from`) and the new one's
//! (`to`) of one migration; should moves of two migrations meet in it undrained (nothing in the server does that:
//! every door of the database drains it), `mixed` says so and the reader recomputes. While the log is on and a
//! rebuild migrates, lookups take no rehash step ([`Dict::find`]), so that between a reader's drain and the next
//! insert or removal nothing moves but what that call itself logs. A dict that becomes empty drops its records.

use super::{hash_with, Dict, DictEntry};

/// One element moved from the old table to the new one by a rebuild under a new seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    /// Its hash under the old table's seed ([`MoveLog::from`]).
    pub old_hash: u64,
    /// Its hash under the new table's seed ([`MoveLog::to`]).
    pub new_hash: u64,
    /// [`DictEntry::group`] of the element.
    pub group: u16,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct MoveLog {
    on: bool,
    /// The seed the logged elements were placed under before.
    pub from: u64,
    /// The seed they are placed under now.
    pub to: u64,
    /// Moves of two different migrations were logged before a drain (never in the server; see the module
    /// documentation): the reader cannot apply them and recomputes. [`MoveLog::drain`] hands it out.
    mixed: bool,
    /// The moves, oldest first ([`MoveLog::drain`]).
    moves: Vec<Moved>,
}

impl MoveLog {
    /// The log, when it is on and a step of a migration from `from` to `to` seeds is to record its moves.
    #[inline]
    pub(super) fn for_moves(&mut self, from: u64, to: u64) -> Option<&mut MoveLog> {
        if !self.on || from == to {
            return None;
        }
        if self.moves.is_empty() {
            (self.from, self.to) = (from, to);
        } else if (self.from, self.to) != (from, to) {
            self.mixed = true;
        }
        Some(self)
    }

    /// Records the element with `key` in `group`, whose hash under [`MoveLog::to`] is `new_hash`, moved (not
    /// generic: one copy for every entry type's migration step).
    #[cold]
    #[inline(never)]
    pub(super) fn push(&mut self, key: &[u8], group: u16, new_hash: u64) {
        self.moves.push(Moved { old_hash: hash_with(self.from, key), new_hash, group });
    }

    /// Drops the records (the dict emptied: there is nothing left to index).
    pub(super) fn clear(&mut self) {
        self.moves = Vec::new();
        self.mixed = false;
    }

    /// Whether records wait for the reader.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.moves.is_empty() && !self.mixed
    }

    /// Gives back a big buffer once drained (a rebuild finished at once logs every element).
    pub fn trim(&mut self) {
        if self.moves.is_empty() && self.moves.capacity() > 4096 {
            self.moves = Vec::new();
        }
    }

    /// Hands the records to the reader (which applies them in order), leaving the log empty.
    pub fn drain(&mut self) -> (bool, std::vec::Drain<'_, Moved>) {
        let mixed = std::mem::take(&mut self.mixed);
        (mixed, self.moves.drain(..))
    }
}

impl<E: DictEntry> Dict<E> {
    /// Turns the move log on (see the module documentation): from now on every rebuild under a new seed records
    /// what its steps move, and lookups take no rehash step while one migrates. For a dict with a companion index
    /// that reads the log after every insert and removal (the keyspace's, in cluster mode).
    pub fn log_moves(&mut self) {
        self.log.on = true;
    }

    /// The move log, for its reader.
    #[inline]
    pub fn move_log(&mut self) -> &mut MoveLog {
        &mut self.log
    }

    /// Whether moves wait in the log for its reader.
    #[inline]
    pub fn moves_pending(&self) -> bool {
        !self.log.is_empty()
    }

    /// Whether the log is on and a rebuild under a new seed migrates: lookups then take no rehash step.
    #[inline]
    pub(super) fn logging_moves(&self) -> bool {
        self.log.on && self.t0_seed != self.seed
    }

    /// The seed the old table's elements are placed under: [`Dict::seed`] except while a rebuild under a new seed
    /// migrates them (see [`Dict::is_reseeding`]).
    #[inline]
    pub fn old_seed(&self) -> u64 {
        self.t0_seed
    }

    /// The elements placed under `seed`: every one when it is [`Dict::seed`] and no rebuild under a new seed
    /// migrates; during one, those of the old table (under [`Dict::old_seed`]) or of the new (under the new seed).
    pub fn elements_under(&self, seed: u64) -> impl Iterator<Item = &E> {
        let under = |ti: usize| if self.seed_of(ti) == seed { &self.t[ti].slots[..] } else { &[] };
        under(0).iter().chain(under(1)).flatten()
    }

    /// The seed of the table that holds `key` (`None`: absent): during a rebuild under a new seed, the old one's
    /// for an element not moved yet.
    pub fn seed_holding(&self, key: &[u8]) -> Option<u64> {
        self.locate(key).map(|p| self.seed_of(p.table as usize))
    }
}
