//! Deleting entries while consumer groups may still reference them: XDEL, trimming, and Redis 8.2's reference
//! policies (`KEEPREF`, `DELREF`, `ACKED`) that XDELEX, XACKDEL, XADD and XTRIM take.
//!
//! An entry is referenced when a group holds it pending or has not been delivered it yet (its last delivered id is
//! below the entry's), as Redis's `streamEntryIsReferenced`; ACKED deletes only entries no group references.
//! DELREF removes the entry from every group's PEL (and its consumer's) before deleting it, as
//! `streamCleanupEntryCGroupRefs`. KEEPREF is XDEL's behaviour: the PELs keep the id.
//!
//! Trimming under DELREF or ACKED walks the entries of the nodes it would have dropped whole, since each needs a
//! look; a node all of whose entries went is dropped, one that kept some (ACKED) stays and trimming goes on past
//! it. With no groups every policy is KEEPREF.

use super::{master, node_entries, node_last_id, set_counts, ConsumerGroup, Stream, StreamId, StreamNode, Trim};
use super::{TrimStrategy, VecMap, FLAG_DELETED};
use crate::keyspace::types::listpack::LpInput;
use std::ops::Bound;

/// What deleting an entry does to the groups' references to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RefPolicy {
    #[default]
    KeepRef,
    DelRef,
    Acked,
}

impl RefPolicy {
    /// `KEEPREF`, `DELREF` or `ACKED`, any case.
    pub fn parse(arg: &[u8]) -> Option<RefPolicy> {
        if arg.eq_ignore_ascii_case(b"keepref") {
            Some(RefPolicy::KeepRef)
        } else if arg.eq_ignore_ascii_case(b"delref") {
            Some(RefPolicy::DelRef)
        } else if arg.eq_ignore_ascii_case(b"acked") {
            Some(RefPolicy::Acked)
        } else {
            None
        }
    }
}

/// XDELEX's per-id replies: no such entry, deleted, kept because a group references it.
pub const DEL_MISSING: i64 = -1;
pub const DEL_DONE: i64 = 1;
pub const DEL_KEPT: i64 = 2;

type Groups = VecMap<Vec<u8>, ConsumerGroup>;

impl ConsumerGroup {
    /// Removes `id` from the group's PEL and from its consumer's (XACK); whether it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else { return false };
        if let Some(c) = self.consumers.get_mut(&*p.consumer) {
            c.pel.remove(&id);
        }
        true
    }
}

fn referenced(groups: &Groups, id: StreamId) -> bool {
    groups.values().any(|g| g.last_id < id || g.pel.contains_key(&id))
}

fn drop_refs(groups: &mut Groups, id: StreamId) -> bool {
    groups.values_mut().fold(false, |any, g| g.ack(id) | any)
}

/// Whether `policy` lets `id` go, after DELREF's removal of its references (`dropped` set when a PEL changed).
fn allowed(groups: &mut Groups, id: StreamId, policy: RefPolicy, dropped: &mut bool) -> bool {
    match policy {
        RefPolicy::KeepRef => true,
        RefPolicy::DelRef => {
            *dropped |= drop_refs(groups, id);
            true
        }
        RefPolicy::Acked => !referenced(groups, id),
    }
}

impl Stream {
    /// Whether a group holds `id` pending or has yet to be delivered it.
    pub fn is_referenced(&self, id: StreamId) -> bool {
        referenced(&self.groups, id)
    }

    /// [`RefPolicy`]'s decision for one id (see [`Stream::delete_ids`]).
    pub fn allows(&mut self, id: StreamId, policy: RefPolicy, dropped: &mut bool) -> bool {
        allowed(&mut self.groups, id, policy, dropped)
    }

    /// XDEL: deletes the ids; returns how many existed.
    pub fn xdel(&mut self, ids: &[StreamId]) -> u64 {
        self.delete_ids(ids, DEL_MISSING, &mut |_, _| DEL_DONE).iter().filter(|&&c| c == DEL_DONE).count() as u64
    }

    /// Deletes the ids in order, asking `verdict` first for each: [`DEL_DONE`] deletes it (the id's reply is then
    /// [`DEL_DONE`], or `gone` when there is no such entry), any other value is the id's reply and nothing is
    /// deleted. Returns the replies. Keeps `first_id` and `max_deleted_entry_id` as Redis's XDEL does. Not generic,
    /// so XDEL, XDELEX and XACKDEL share one copy.
    #[inline(never)]
    pub fn delete_ids(
        &mut self,
        ids: &[StreamId],
        gone: i64,
        verdict: &mut dyn FnMut(&mut Stream, StreamId) -> i64,
    ) -> Vec<i64> {
        let mut codes = Vec::with_capacity(ids.len());
        let mut first_entry = false;
        let mut opened: Vec<StreamId> = Vec::new();
        for &id in ids {
            let v = verdict(self, id);
            if v != DEL_DONE {
                codes.push(v);
                continue;
            }
            let Some(key) = self.delete(id) else {
                codes.push(gone);
                continue;
            };
            if !opened.contains(&key) {
                opened.push(key);
            }
            first_entry |= id == self.first_id;
            self.max_deleted_entry_id = self.max_deleted_entry_id.max(id);
            codes.push(DEL_DONE);
        }
        for key in opened.iter().copied() {
            self.close_unless_tail(key);
        }
        if !opened.is_empty() {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_entry {
                self.first_id = self.edge_id(true, true);
            }
        }
        codes
    }

    /// Trims the stream (`streamTrim`) keeping the groups' references; returns the number of entries removed.
    pub fn trim(&mut self, t: &Trim) -> u64 {
        self.trim_with(t, RefPolicy::KeepRef, &mut false)
    }

    /// Trims under `policy`; `dropped` is set when DELREF removed a pending entry. Returns the entries removed.
    pub fn trim_with(&mut self, t: &Trim, policy: RefPolicy, dropped: &mut bool) -> u64 {
        let look = policy != RefPolicy::KeepRef && !self.groups.is_empty();
        let mut deleted: u64 = 0;
        // The last node kept although trimming went past it (ACKED); the walk goes on after it.
        let mut after: Option<StreamId> = None;
        loop {
            let next = match after {
                None => self.nodes.first_key_value(),
                Some(k) => self.nodes.range((Bound::Excluded(k), Bound::Unbounded)).next(),
            };
            let Some((&key, node)) = next else { break };
            if let TrimStrategy::MaxLen(maxlen) = t.strategy {
                if self.length <= maxlen {
                    break;
                }
            }
            // A corrupt node (see `StreamNode::listpack`) stops the trim.
            let Some(lp) = node.listpack() else { break };
            let Some(m) = master(&lp) else { break };
            let entries = m.count.max(0) as u64;
            if t.limit != 0 && deleted.saturating_add(entries) > t.limit {
                break;
            }
            let remove_node = match t.strategy {
                TrimStrategy::MaxLen(maxlen) => self.length.saturating_sub(entries) >= maxlen,
                TrimStrategy::MinId(minid) => node_last_id(&lp, key).is_some_and(|last| last < minid),
            };
            if remove_node && !look {
                self.nodes.remove(&key);
                self.length = self.length.saturating_sub(entries);
                deleted += entries;
                continue;
            }
            if t.approx && !remove_node {
                break;
            }
            // Flag entries deleted inside this node: up to the threshold, or all it may when it goes whole.
            let mut from_lp: i64 = 0;
            let raws = node_entries(&lp, key);
            drop(lp);
            let Some(lp) = self.nodes.get_mut(&key).and_then(StreamNode::make_raw) else { break };
            for e in raws {
                let stop = match t.strategy {
                    TrimStrategy::MaxLen(maxlen) => self.length <= maxlen,
                    TrimStrategy::MinId(minid) => e.id >= minid,
                };
                if stop {
                    break;
                }
                if e.flags & FLAG_DELETED == 0 && allowed(&mut self.groups, e.id, policy, dropped) {
                    // Flags are 0..3: one byte either way, so the later offsets stay valid.
                    lp.replace_input(e.flags_off, LpInput::Int(e.flags | FLAG_DELETED));
                    from_lp += 1;
                    self.length = self.length.saturating_sub(1);
                }
            }
            deleted += from_lp as u64;
            if remove_node && from_lp == m.count {
                self.nodes.remove(&key);
                continue;
            }
            set_counts(lp, m.count - from_lp, m.deleted + from_lp);
            self.close_unless_tail(key);
            if !remove_node {
                break;
            }
            after = Some(key);
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true, true);
        }
        deleted
    }

    /// The first entry no group references: an ACKED trim by whole nodes removed exactly the unreferenced entries
    /// below it, so `MINID = <it> ACKED` replays that trim. None when every entry is referenced.
    pub fn first_unreferenced(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, false).map(|e| e.id).find(|&id| !self.is_referenced(id))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{IdSpec, NodeLimits, PendingEntry};
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn live(s: &Stream) -> Vec<StreamId> {
        s.range(StreamId::MIN, StreamId::MAX, false).map(|e| e.id).collect()
    }

    /// `n` entries `i-0` in nodes of `per_node`, the ids in `gone` deleted, and one group per (last id, pending
    /// ids) pair, each pending id owned by consumer `c`.
    fn build(n: u64, per_node: i64, gone: &[u64], groups: &[(u64, Vec<u64>)]) -> Stream {
        let mut s = Stream::new();
        let lim = NodeLimits { max_bytes: 0, max_entries: per_node };
        for i in 1..=n {
            s.append(&[b"f".as_slice(), b"v"], IdSpec::Explicit(StreamId::new(i, 0)), 0, lim).expect("append");
        }
        s.xdel(&gone.iter().map(|&i| StreamId::new(i, 0)).collect::<Vec<_>>());
        for (k, (last, pel)) in groups.iter().enumerate() {
            let mut g = ConsumerGroup::new(StreamId::new(*last, 0), -1);
            let name: super::super::Name = std::sync::Arc::from(b"c".as_slice());
            let mut owned = BTreeSet::new();
            for &p in pel.iter().filter(|&&p| p <= *last) {
                let e = PendingEntry { delivery_time: 0, delivery_count: 1, consumer: name.clone() };
                g.pel.insert(StreamId::new(p, 0), e);
                owned.insert(StreamId::new(p, 0));
            }
            g.consumers.insert(name, super::super::Consumer { seen_time: 0, pel: owned });
            s.groups.insert(format!("g{k}").into_bytes(), g);
        }
        s
    }

    fn strategy(by_len: bool, v: u64) -> TrimStrategy {
        if by_len {
            TrimStrategy::MaxLen(v)
        } else {
            TrimStrategy::MinId(StreamId::new(v, 0))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// DELREF removes what KEEPREF removes and takes the removed ids out of every PEL; ACKED removes only
        /// unreferenced entries, exactly those below the threshold when exact by MINID; and every ACKED trim
        /// replays, on the stream as it was, as the exact `MINID = first unreferenced` its propagation uses.
        #[test]
        fn policies_against_keepref_and_replay(
            n in 1u64..30,
            per_node in 1i64..5,
            gone in proptest::collection::vec(1u64..30, 0..6),
            groups in proptest::collection::vec((0u64..32, proptest::collection::vec(1u64..30, 0..8)), 0..3),
            by_len in any::<bool>(),
            v in 0u64..32,
            approx in any::<bool>(),
        ) {
            let t = Trim { strategy: strategy(by_len, v), approx, limit: 0 };
            let before = build(n, per_node, &gone, &groups);

            let mut keep = before.clone();
            keep.trim(&t);
            let mut del = before.clone();
            let mut dropped = false;
            del.trim_with(&t, RefPolicy::DelRef, &mut dropped);
            prop_assert_eq!(live(&del), live(&keep));
            let removed: BTreeSet<StreamId> =
                live(&before).into_iter().filter(|id| !live(&del).contains(id)).collect();
            for (name, g) in del.groups.iter() {
                prop_assert!(g.check());
                let was = &before.groups.get(name).expect("group").pel;
                let want: Vec<&StreamId> = was.keys().filter(|id| !removed.contains(id)).collect();
                prop_assert_eq!(g.pel.keys().collect::<Vec<_>>(), want);
            }
            let pending_removed = removed.iter().any(|id| before.groups.values().any(|g| g.pel.contains_key(id)));
            prop_assert_eq!(dropped, pending_removed);

            let mut acked = before.clone();
            let n_removed = acked.trim_with(&t, RefPolicy::Acked, &mut false);
            let left = live(&acked);
            let gone_now: Vec<StreamId> = live(&before).into_iter().filter(|id| !left.contains(id)).collect();
            prop_assert_eq!(gone_now.len() as u64, n_removed);
            prop_assert!(gone_now.iter().all(|id| !before.is_referenced(*id)));
            if let (TrimStrategy::MinId(minid), false) = (t.strategy, approx) {
                let want: Vec<StreamId> =
                    live(&before).into_iter().filter(|id| *id >= minid || before.is_referenced(*id)).collect();
                prop_assert_eq!(&left, &want);
            }
            if !acked.groups.is_empty() {
                let past = acked.first_unreferenced().or_else(|| acked.last_id.incr()).unwrap_or(StreamId::MAX);
                let mut replica = before.clone();
                let exact = Trim { strategy: TrimStrategy::MinId(past), approx: false, limit: 0 };
                replica.trim_with(&exact, RefPolicy::Acked, &mut false);
                prop_assert_eq!(live(&replica), left);
            }
        }
    }
}
