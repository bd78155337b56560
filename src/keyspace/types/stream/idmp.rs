//! Idempotent producers (Redis 8.6's XADD IDMP / IDMPAUTO and XCFGSET): per stream, for each producer id (pid),
//! the idempotent ids (iids) it added recently and the entry id each got, so a retried XADD answers the first
//! entry's id instead of adding the entry twice.
//!
//! ```text
//!  Idmp { duration (s), maxsize, producers: BTreeMap<pid, Producer>, iids_added, iids_duplicates }
//!  Producer { ids: HashMap<iid, entry id>, order: VecDeque<iid> (oldest first) }
//! ```
//!
//! As in Redis, an iid carries no timestamp of its own: its entry id's milliseconds are when it was added, so it
//! expires `duration` seconds after that; and a producer keeps at most `maxsize` iids, dropping its oldest first
//! (the size bound wins over the time bound). Auto-generated ids grow, so a producer's oldest iid is always at the
//! front of `order` and expiry pops from there. Expiry is lazy: an XADD expires its own producer's iids before it
//! looks its iid up, and the counts XINFO shows leave expired ones out; a producer whose iids all expired is removed
//! when it is next touched. Changing the duration or the size (XCFGSET with a different value) forgets every
//! producer, as Redis does; the lifetime counters stay.
//!
//! A stream gets this state ([`Stream::idmp`](crate::keyspace::types::stream::Stream::idmp)) when it is first used (an
//! XADD with IDMP/IDMPAUTO, XCFGSET, XIDMPRECORD) or when it is created while `stream-idmp-duration` /
//! `stream-idmp-maxsize` differ from their defaults; a stream without it is saved in Redis 7.0's RDB form, and XINFO
//! STREAM shows 7.0's fields for it.

use super::StreamId;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Defaults of `stream-idmp-duration` (seconds) and `stream-idmp-maxsize` (iids per producer).
pub const DEFAULT_DURATION: u64 = 100;
pub const DEFAULT_MAXSIZE: u64 = 100;
/// The ranges XCFGSET and CONFIG SET accept.
pub const MAX_DURATION: i64 = 86_400;
pub const MAX_MAXSIZE: i64 = 10_000;

/// One producer's recent iids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Producer {
    ids: HashMap<Box<[u8]>, StreamId>,
    /// The iids in the order they were added, oldest first.
    order: VecDeque<Box<[u8]>>,
}

impl Producer {
    /// Drops the oldest iids while they are older than `duration_ms` at `now_ms`.
    fn expire(&mut self, duration_ms: u64, now_ms: u64) {
        while let Some(iid) = self.order.front() {
            let at = self.ids.get(iid).map_or(0, |id| id.ms);
            if at.saturating_add(duration_ms) > now_ms {
                break;
            }
            if let Some(iid) = self.order.pop_front() {
                self.ids.remove(&iid);
            }
        }
    }

    /// Iids not expired at `now_ms` (the expired ones are a prefix of `order`).
    fn live(&self, duration_ms: u64, now_ms: u64) -> usize {
        let expired = self
            .order
            .iter()
            .take_while(|iid| self.ids.get(*iid).map_or(0, |id| id.ms).saturating_add(duration_ms) <= now_ms)
            .count();
        self.order.len() - expired
    }

    /// The iids with their entry ids, oldest first (RDB, AOF rewrite).
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], StreamId)> {
        self.order.iter().map(|iid| (&**iid, self.ids.get(iid).copied().unwrap_or_default()))
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// A stream's idempotency state. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idmp {
    /// IDMP-DURATION, seconds.
    pub duration: u64,
    /// IDMP-MAXSIZE, iids per producer.
    pub maxsize: u64,
    producers: BTreeMap<Box<[u8]>, Producer>,
    /// Iids ever recorded, and XADDs ever answered as duplicates.
    pub iids_added: u64,
    pub iids_duplicates: u64,
}

impl Idmp {
    pub fn new(duration: u64, maxsize: u64) -> Idmp {
        Idmp { duration, maxsize, producers: BTreeMap::new(), iids_added: 0, iids_duplicates: 0 }
    }

    fn duration_ms(&self) -> u64 {
        self.duration.saturating_mul(1000)
    }

    /// The entry id `iid` of producer `pid` got, if it is still remembered at `now_ms` (its producer's expired
    /// iids are dropped first).
    pub fn lookup(&mut self, pid: &[u8], iid: &[u8], now_ms: u64) -> Option<StreamId> {
        let d = self.duration_ms();
        let p = self.producers.get_mut(pid)?;
        p.expire(d, now_ms);
        if p.is_empty() {
            self.producers.remove(pid);
            return None;
        }
        p.ids.get(iid).copied()
    }

    /// Remembers that `iid` of `pid` added entry `id`, dropping the producer's oldest iids beyond the size bound;
    /// counts it in `iids_added`. An iid already remembered is pointed at `id` and becomes the newest.
    pub fn record(&mut self, pid: &[u8], iid: &[u8], id: StreamId) {
        let max = self.maxsize.max(1) as usize;
        let p = self.producers.entry(pid.into()).or_default();
        if p.ids.insert(iid.into(), id).is_some() {
            p.order.retain(|x| **x != *iid);
        }
        p.order.push_back(iid.into());
        while p.order.len() > max {
            if let Some(old) = p.order.pop_front() {
                p.ids.remove(&old);
            }
        }
        self.iids_added = self.iids_added.saturating_add(1);
    }

    /// Adds a loaded producer's iid (RDB): no counting, no bound. An iid the producer already has keeps its first
    /// entry id (false), as Redis's loader skips such a repeat.
    pub fn load(&mut self, pid: &[u8], iid: &[u8], id: StreamId) -> bool {
        let p = self.producers.entry(pid.into()).or_default();
        if p.ids.contains_key(iid) {
            return false;
        }
        p.ids.insert(iid.into(), id);
        p.order.push_back(iid.into());
        true
    }

    /// Whether producer `pid` is known (the RDB loader refuses a producer given twice).
    pub fn has_producer(&self, pid: &[u8]) -> bool {
        self.producers.contains_key(pid)
    }

    /// XCFGSET: sets the bounds; a change of either forgets every producer.
    pub fn configure(&mut self, duration: Option<u64>, maxsize: Option<u64>) {
        let changed = duration.is_some_and(|d| d != self.duration) || maxsize.is_some_and(|m| m != self.maxsize);
        if changed {
            self.producers.clear();
        }
        self.duration = duration.unwrap_or(self.duration);
        self.maxsize = maxsize.unwrap_or(self.maxsize);
    }

    /// Producers with an iid not expired at `now_ms` (XINFO's `pids-tracked`).
    pub fn pids_tracked(&self, now_ms: u64) -> usize {
        let d = self.duration_ms();
        self.producers.values().filter(|p| p.live(d, now_ms) > 0).count()
    }

    /// Iids not expired at `now_ms`, over all producers (XINFO's `iids-tracked`).
    pub fn iids_tracked(&self, now_ms: u64) -> usize {
        let d = self.duration_ms();
        self.producers.values().map(|p| p.live(d, now_ms)).sum()
    }

    /// The producers in pid order (RDB, AOF rewrite).
    pub fn producers(&self) -> impl ExactSizeIterator<Item = (&[u8], &Producer)> {
        self.producers.iter().map(|(k, v)| (&**k, v))
    }

    /// Whether this state differs from what a stream created now would have (so it must be saved).
    pub fn is_default(&self, duration: u64, maxsize: u64) -> bool {
        self.duration == duration
            && self.maxsize == maxsize
            && self.producers.is_empty()
            && self.iids_added == 0
            && self.iids_duplicates == 0
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn alloc_bytes(&self) -> usize {
        self.producers
            .iter()
            .map(|(pid, p)| pid.len() + 64 + p.order.iter().map(|iid| 2 * iid.len() + 16 + 48).sum::<usize>())
            .sum::<usize>()
            + 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64) -> StreamId {
        StreamId::new(ms, 0)
    }

    /// Redis's `rdbLoadStreamIdmpEntries` skips an iid a producer already has: the first entry id stays.
    #[test]
    fn load_keeps_the_first_of_a_repeated_iid() {
        let mut m = Idmp::new(100, 100);
        assert!(!m.has_producer(b"p"));
        assert!(m.load(b"p", b"a", id(1)));
        assert!(!m.load(b"p", b"a", id(2)));
        assert!(m.has_producer(b"p"));
        assert_eq!(m.lookup(b"p", b"a", 0), Some(id(1)));
    }

    #[test]
    fn size_bound_drops_oldest_and_time_bound_expires() {
        let mut m = Idmp::new(1, 2);
        m.record(b"p", b"a", id(1000));
        m.record(b"p", b"b", id(1500));
        m.record(b"p", b"c", id(1600));
        assert_eq!(m.lookup(b"p", b"a", 1700), None);
        assert_eq!(m.lookup(b"p", b"b", 1700), Some(id(1500)));
        assert_eq!(m.iids_tracked(1700), 2);
        assert_eq!(m.iids_tracked(2550), 1);
        assert_eq!(m.lookup(b"p", b"b", 2550), None);
        assert_eq!(m.lookup(b"p", b"c", 2600), None);
        assert_eq!(m.pids_tracked(2600), 0);
        assert_eq!(m.producers().len(), 0);
        assert_eq!(m.iids_added, 3);
    }

    #[test]
    fn configure_clears_only_on_change() {
        let mut m = Idmp::new(100, 100);
        m.record(b"p", b"a", id(1));
        m.configure(Some(100), Some(100));
        assert_eq!(m.lookup(b"p", b"a", 2), Some(id(1)));
        m.configure(None, Some(5));
        assert_eq!(m.lookup(b"p", b"a", 2), None);
        assert_eq!((m.duration, m.maxsize, m.iids_added), (100, 5, 1));
    }
}
