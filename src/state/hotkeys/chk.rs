//! The top-K sketch of HOTKEYS: a Cuckoo Heavy Keeper with a min-heap of names, as Redis 8.6's `chk.c`.
//!
//! ```text
//!   two tables of `buckets` buckets (a power of two); a bucket = 2 heavy entries (16-bit fingerprint, count)
//!                                                               + 1 lobby entry (fingerprint, count < 256)
//!   a key: h = XXH3-64(key); fp = h & 0xffff; slot 0 = (h >> 32) & mask; slot 1 = alt(fp, slot 0)
//!          alt(fp, i) = (i ^ (0x5bd1e995 * fp)) & mask
//!   the heap: `k` (name, count) pairs, the lightest at the root, for the names the tables do not keep
//! ```
//!
//! An update of `key` by `weight` (HOTKEYS: a command's microseconds or bytes shared by its keys) adds to the
//! key's heavy entry when one of its two buckets has it (by fingerprint) or a free heavy place; else to its
//! lobby entry, which is promoted to a heavy place once its count reaches 16 (replacing the lightest heavy entry
//! of that bucket, surely when that one is lighter, else with a probability; the promoted key keeps the count of
//! the entry it replaced, and the replaced entry moves to its other bucket while it is still a heavy hitter, at
//! least 0.8% of everything counted, for 16 moves at most); a key with neither decays a lobby entry's count
//! instead (by a probability of `1.08^-count` per unit of weight) and takes its place when it reaches zero.
//! A heavy entry updated to at least the heap's lightest count enters the heap (or moves up in it).
//!
//! The hash and the tables' layout are Redis's, so where no random choice is made (keys that fit their buckets'
//! heavy places: every key of a small working set) the counts and the order match Redis's; the random choices
//! (promotions, decays) use our generator, where Redis uses `rand()`. Collisions of 16-bit fingerprints in a
//! bucket merge two keys' counts, as in Redis.

use crate::util::Rng;

/// Lookup-table size for the decay figures (lobby counts stay below it).
const LUT: usize = 256;
/// Heavy entries per bucket.
const PER_BUCKET: usize = 2;
/// A lobby count from which the entry is promoted.
const PROMOTE_AT: u64 = 16;
/// At most this many moves of a replaced heavy entry.
const MAX_KICKS: usize = 16;
/// A heavy hitter counts at least this share of everything counted.
const HEAVY_RATIO: f64 = 0.008;
/// The decay base (the paper's recommendation, Redis's choice).
const DECAY: f64 = 1.08;

#[derive(Clone, Copy, Default)]
struct Heavy {
    count: u64,
    fp: u16,
}

#[derive(Clone, Copy, Default)]
struct Lobby {
    fp: u16,
    count: u8,
}

#[derive(Clone, Copy, Default)]
struct Bucket {
    heavy: [Heavy; PER_BUCKET],
    lobby: Lobby,
}

/// One heap place: a key's name and the count its heavy entry had when last seen (empty: count 0, no name), with
/// the name's hash so that a search compares names only when their hashes agree (Redis keeps one too).
#[derive(Clone, Default)]
struct Named {
    count: u64,
    hash: u64,
    key: Option<Box<[u8]>>,
}

/// A key's hash, its fingerprint and its bucket in each table.
#[derive(Clone, Copy)]
struct Place {
    hash: u64,
    fp: u16,
    idx: [usize; 2],
}

/// Where an update left the key: its table, and its heavy place there (`None`: in the lobby only).
type Found = Option<(usize, Option<usize>)>;

/// The sketch (see the module header).
pub struct Chk {
    tables: [Vec<Bucket>; 2],
    heap: Vec<Named>,
    mask: usize,
    /// `sum(DECAY^j, j < i)`: the expected decay steps that take a count of `i` to zero.
    decay_exp: [f64; LUT + 1],
    /// `DECAY^(i-1)`: the expected decay steps that take a count of `i` down by one.
    min_decay: [f64; LUT + 1],
    /// `DECAY^-i`: the probability that one unit of weight decays a count of `i`.
    decay_prob: [f64; LUT + 1],
    /// Every weight added (HOTKEYS GET's `total-net-bytes` for the NET sketch).
    pub total: u64,
    rng: Rng,
}

impl Chk {
    /// A sketch naming `k` keys over two tables of `buckets` buckets (rounded up to a power of two).
    pub fn new(k: usize, buckets: usize) -> Chk {
        let n = buckets.max(1).next_power_of_two();
        let (mut decay_exp, mut min_decay, mut decay_prob) = ([0.0; LUT + 1], [0.0; LUT + 1], [0.0; LUT + 1]);
        for i in 1..=LUT {
            decay_exp[i] = decay_exp[i - 1] + DECAY.powi(i as i32 - 1);
            min_decay[i] = decay_exp[i] - decay_exp[i - 1];
            decay_prob[i] = (1.0 / DECAY).powi(i as i32);
        }
        Chk {
            tables: [vec![Bucket::default(); n], vec![Bucket::default(); n]],
            heap: vec![Named::default(); k.max(1)],
            mask: n - 1,
            decay_exp,
            min_decay,
            decay_prob,
            total: 0,
            rng: Rng::from_entropy(),
        }
    }

    /// A number in `0..=1`, as `rand() / RAND_MAX`.
    fn roll(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / ((1u64 << 53) - 1) as f64
    }

    fn alt(&self, fp: u16, idx: usize) -> usize {
        (idx ^ 0x5bd1_e995usize.wrapping_mul(fp as usize)) & self.mask
    }

    fn place(&self, key: &[u8]) -> Place {
        let h = crate::xxh3::hash64(key);
        let fp = (h & 0xffff) as u16;
        let first = (h >> 32) as usize & self.mask;
        Place { hash: h, fp, idx: [first, self.alt(fp, first)] }
    }

    fn bucket(&mut self, table: usize, p: &Place) -> &mut Bucket {
        &mut self.tables[table][p.idx[table]]
    }

    fn heavy_hitter(&self, count: u64) -> bool {
        count as f64 >= self.total as f64 * HEAVY_RATIO
    }

    /// Adds `weight` to `key` (nothing for a zero weight).
    pub fn add(&mut self, key: &[u8], weight: u64) {
        if weight == 0 {
            return;
        }
        self.total = self.total.saturating_add(weight);
        let p = self.place(key);
        let found = match self.bump_heavy(&p, weight) {
            Some(t) => Some(t),
            None => match self.bump_lobby(&p, weight) {
                Some(t) => Some(t),
                None => self.enter_lobby(&p, weight),
            },
        };
        if let Some((table, Some(pos))) = found {
            let count = self.tables[table][p.idx[table]].heavy[pos].count;
            self.offer(key, p.hash, count);
        }
    }

    /// The key's heavy entry gains `weight`; or, without one, it takes the first free heavy place of its buckets.
    fn bump_heavy(&mut self, p: &Place, weight: u64) -> Found {
        let mut free = None;
        for t in 0..2 {
            for (j, e) in self.bucket(t, p).heavy.iter_mut().enumerate() {
                if e.count > 0 {
                    if e.fp == p.fp {
                        e.count = e.count.saturating_add(weight);
                        return Some((t, Some(j)));
                    }
                } else if free.is_none() {
                    free = Some((t, j));
                }
            }
        }
        let (t, j) = free?;
        self.bucket(t, p).heavy[j] = Heavy { count: weight, fp: p.fp };
        Some((t, Some(j)))
    }

    /// The key's lobby entry gains `weight`, and is promoted once it reaches [`PROMOTE_AT`].
    fn bump_lobby(&mut self, p: &Place, weight: u64) -> Found {
        for t in 0..2 {
            let e = self.bucket(t, p).lobby;
            if e.fp != p.fp || e.count == 0 {
                continue;
            }
            let count = (e.count as u64).saturating_add(weight);
            if count < PROMOTE_AT {
                self.bucket(t, p).lobby.count = count as u8;
                return Some((t, None));
            }
            if let Some(pos) = self.promote(p, count, t) {
                return Some((t, Some(pos)));
            }
            self.bucket(t, p).lobby.count = PROMOTE_AT as u8;
            return Some((t, None));
        }
        None
    }

    /// A key the tables do not hold: a free lobby entry of its buckets, else the lobby entry of the table its
    /// fingerprint's low bit picks, decayed by `weight` and taken over when it reaches zero.
    fn enter_lobby(&mut self, p: &Place, weight: u64) -> Found {
        for t in 0..2 {
            if self.bucket(t, p).lobby.count != 0 {
                continue;
            }
            self.bucket(t, p).lobby.fp = p.fp;
            if weight < PROMOTE_AT {
                self.bucket(t, p).lobby.count = weight as u8;
                return Some((t, None));
            }
            if let Some(pos) = self.promote(p, weight, t) {
                return Some((t, Some(pos)));
            }
            self.bucket(t, p).lobby.count = PROMOTE_AT as u8;
            return Some((t, None));
        }
        let t = (p.fp & 1) as usize;
        let old = self.bucket(t, p).lobby.count;
        let left = self.decay(old, weight);
        let count = if left == 0 {
            // The new key takes the entry, less the weight the old count's decay took.
            let spent = self.decay_exp[old as usize] as u64;
            self.bucket(t, p).lobby.fp = p.fp;
            if spent >= weight {
                1
            } else {
                (weight - spent).min(255) as u8
            }
        } else {
            left
        };
        self.bucket(t, p).lobby.count = count;
        if count as u64 >= PROMOTE_AT {
            if let Some(pos) = self.promote(p, count as u64, t) {
                return Some((t, Some(pos)));
            }
        }
        None
    }

    /// A lobby count of `count` after `weight` units of decay (one unit: `count - 1` with probability
    /// `DECAY^-count`; more: the expected effect of that many units, rolled when it is less than one step).
    fn decay(&mut self, count: u8, weight: u64) -> u8 {
        let c = count as usize;
        if weight == 0 {
            return count;
        }
        if weight == 1 {
            return if self.roll() < self.decay_prob[c] { count.saturating_sub(1) } else { count };
        }
        let min = self.min_decay[c];
        if weight < min as u64 {
            let prob = weight as f64 / min;
            return if self.roll() < prob { count.saturating_sub(1) } else { count };
        }
        if weight >= self.decay_exp[c] as u64 {
            return 0;
        }
        // The smallest count whose expected steps to zero, plus `weight`, reach those of `count`.
        let (mut lo, mut hi) = (0usize, c);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.decay_exp[mid] + weight as f64 >= self.decay_exp[c] {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo as u8
    }

    /// Promotes the key's lobby entry in table `t` (reaching `count`) to a heavy place of that bucket: a free one,
    /// else the lightest, surely when it is lighter than `count` and else with probability
    /// `(count - 16) / (lightest - 16)`. Returns the heavy place, or `None` when it stays in the lobby.
    fn promote(&mut self, p: &Place, count: u64, t: usize) -> Option<usize> {
        let b = self.bucket(t, p);
        if let Some(j) = b.heavy.iter().position(|e| e.count == 0) {
            b.heavy[j] = Heavy { count, fp: p.fp };
            return Some(j);
        }
        let (j, min) = if b.heavy[1].count < b.heavy[0].count { (1, b.heavy[1].count) } else { (0, b.heavy[0].count) };
        if min > count {
            let prob = (count - PROMOTE_AT) as f64 / (min - PROMOTE_AT) as f64;
            if self.roll() >= prob {
                return None;
            }
        }
        let b = self.bucket(t, p);
        let out = b.heavy[j];
        // The promoted key keeps the replaced entry's count (the paper's rule).
        b.heavy[j].fp = b.lobby.fp;
        b.lobby = Lobby::default();
        self.kick(out, p.idx[t], t);
        Some(j)
    }

    /// Moves a replaced heavy entry to its bucket in the other table while it is a heavy hitter, replacing the
    /// lightest entry there (which moves on in turn), for [`MAX_KICKS`] moves at most.
    fn kick(&mut self, mut e: Heavy, mut idx: usize, mut t: usize) {
        for _ in 0..MAX_KICKS {
            if !self.heavy_hitter(e.count) {
                return;
            }
            t = 1 - t;
            idx = self.alt(e.fp, idx);
            let b = &mut self.tables[t][idx];
            if let Some(j) = b.heavy.iter().position(|x| x.count == 0) {
                b.heavy[j] = e;
                return;
            }
            let j = if b.heavy[1].count < b.heavy[0].count { 1 } else { 0 };
            e = std::mem::replace(&mut b.heavy[j], e);
        }
    }

    /// A heavy entry of `key` now at `count`: it enters the heap (or moves in it) unless lighter than the root.
    fn offer(&mut self, key: &[u8], hash: u64, count: u64) {
        if count < self.heap[0].count {
            return;
        }
        let at =
            (0..self.heap.len()).rev().find(|&i| self.heap[i].hash == hash && self.heap[i].key.as_deref() == Some(key));
        match at {
            Some(i) => {
                self.heap[i].count = count;
                sift_down(&mut self.heap, i);
            }
            None => {
                self.heap[0] = Named { count, hash, key: Some(key.into()) };
                sift_down(&mut self.heap, 0);
            }
        }
    }

    /// The `n` heaviest named keys, heaviest first (equal counts in heap order, as Redis's sort leaves them).
    pub fn top(&self, n: usize) -> Vec<(&[u8], u64)> {
        let mut v: Vec<&Named> = self.heap.iter().collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.count));
        v.into_iter()
            .take(n)
            .take_while(|e| e.count > 0)
            .filter_map(|e| e.key.as_deref().map(|k| (k, e.count)))
            .collect()
    }
}

/// Moves the place at `start` of a min-heap down to where it belongs (an equal child moves up past it, as in
/// Redis's `chkHeapifyDown`).
fn sift_down(heap: &mut [Named], mut start: usize) {
    let len = heap.len();
    if len < 2 || (len - 2) / 2 < start {
        return;
    }
    let pick = |heap: &[Named], c: usize| if c + 1 < len && heap[c].count > heap[c + 1].count { c + 1 } else { c };
    let mut child = pick(heap, 2 * start + 1);
    if heap[child].count > heap[start].count {
        return;
    }
    let top = std::mem::take(&mut heap[start]);
    loop {
        heap[start] = std::mem::take(&mut heap[child]);
        start = child;
        if (len - 2) / 2 < child {
            break;
        }
        child = pick(heap, 2 * child + 1);
        if heap[child].count >= top.count {
            break;
        }
    }
    heap[start] = top;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &Chk, n: usize) -> Vec<(String, u64)> {
        c.top(n).into_iter().map(|(k, w)| (String::from_utf8_lossy(k).into_owned(), w)).collect()
    }

    #[test]
    fn exact_for_a_small_working_set_heaviest_first() {
        // Redis's `testBasicTopK`, with its sketch's size for COUNT 10 (100 names, 1024 buckets).
        let mut c = Chk::new(100, 1024);
        for (k, w) in [("item1", 100), ("item2", 200), ("item3", 150), ("item4", 50), ("item5", 300), ("item6", 75)] {
            c.add(k.as_bytes(), w);
        }
        c.add(b"item1", 1);
        c.add(b"zero", 0);
        let want: Vec<(String, u64)> =
            [("item5", 300), ("item2", 200), ("item3", 150), ("item1", 101), ("item6", 75), ("item4", 50)]
                .iter()
                .map(|&(k, w)| (k.to_string(), w))
                .collect();
        assert_eq!(names(&c, 10), want);
        assert_eq!(names(&c, 2), want[..2].to_vec());
        assert_eq!(c.total, 876);
    }

    #[test]
    fn heavy_keys_win_over_a_crowd_of_light_ones() {
        // A small sketch (5 names, 64 buckets) under many more keys than it holds.
        let mut c = Chk::new(5, 64);
        for round in 0..50u64 {
            for i in 0..400u64 {
                c.add(format!("light{i}").as_bytes(), 1 + (i + round) % 3);
            }
            c.add(b"heavy1", 500);
            c.add(b"heavy2", 600);
        }
        let top = names(&c, 5);
        assert_eq!(top.len(), 5, "{top:?}");
        assert_eq!(top[0].0, "heavy2", "{top:?}");
        assert_eq!(top[1].0, "heavy1", "{top:?}");
        assert!(top.windows(2).all(|w| w[0].1 >= w[1].1), "{top:?}");
    }

    #[test]
    fn many_small_updates_promote_through_the_lobby() {
        // Redis's `testManySmallWeightUpdates`: 2 names; item2's hundred units of 1 overtake item0's 50.
        let mut c = Chk::new(2, 64);
        c.add(b"item0", 50);
        c.add(b"item1", 100);
        for _ in 0..100 {
            c.add(b"item2", 1);
        }
        let top = names(&c, 2);
        let keys: Vec<&str> = top.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"item1") && keys.contains(&"item2"), "{top:?}");
        assert!(top[0].1.abs_diff(top[1].1) < 5, "{top:?}");
    }

    #[test]
    fn heap_sift_keeps_the_lightest_at_the_root() {
        let mut heap: Vec<Named> = [5u64, 3, 8, 4, 9]
            .iter()
            .map(|&count| Named { count, hash: count, key: Some(vec![count as u8].into()) })
            .collect();
        sift_down(&mut heap, 0);
        assert_eq!(heap[0].count, 3);
        assert!(heap[1].count >= heap[0].count && heap[2].count >= heap[0].count);
    }
}
