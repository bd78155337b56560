//! The latency monitor (Redis's `latency.c`) and the per-command latency histogram (`latency-tracking`).
//!
//! # Latency monitor
//! Code paths that can block the event loop time themselves and report the duration in milliseconds with
//! [`add_sample_if_needed`]. A sample is kept only when `latency-monitor-threshold` is positive and the duration
//! reaches it. Each event name (`command`, `fast-command`, `expire-cycle`, `fork`, `aof-write`, ...) owns a
//! [`Series`]: a ring of [`TS_LEN`] samples, at most one per wall-clock second (a second sample in the same second
//! only raises that second's value), plus the all-time maximum. `LATENCY RESET` drops whole series.
//!
//! Adding an event elsewhere (eviction: `eviction-cycle`, `eviction-del`) is one call where the work ends:
//! ```ignore
//! let started = std::time::Instant::now();
//! /* ... the work ... */
//! crate::latency::add_sample_if_needed("eviction-cycle", started.elapsed().as_millis() as u64);
//! ```
//! (Skip the clock reads when [`threshold_ms`] is 0 if the path is hot.)
//!
//! The monitor is a thread-local: the events come from the main thread only, and from layers (the AOF writer, the fork
//! in [`persist::engine`](crate::persist::engine)) that have no access to the server state. The server sets the
//! threshold with [`set_threshold_ms`] at start-up and after each command (CONFIG SET may change it).
//!
//! # Histogram
//! [`Histogram`] is HdrHistogram's log-linear layout with Redis's parameters: values 1 ns ..= 1 s, 2 significant
//! digits. Values below 256 have their own counter; above, each power-of-two range `[2^k, 2^(k+1))` is split
//! into 128 equal sub-buckets, so a counter covers at most 1/128 of its value (< 1% error):
//! ```text
//! counts: [ 0 1 2 ... 255 | 256..510 step 2 (128) | 512..1020 step 4 (128) | ... | 2^29..2^30 step 2^22 (128) ]
//!           bucket 0 (256 counters)   bucket 1           bucket 2                  bucket 22
//! ```
//! Recording is O(1): a leading-zero count, two shifts and an increment; the array has a fixed size
//! ([`COUNTS_LEN`] counters, 24 KiB), allocated for a command the first time it runs with tracking on.
//! Percentiles and the power-of-two CDF of `LATENCY HISTOGRAM` follow HdrHistogram's (and so Redis's) rules
//! exactly: same bucket boundaries, same rounding, so both servers print the same numbers for the same samples.
//!
//! Tested by the unit tests below (bucket boundaries, percentiles of known distributions within the precision,
//! the CDF iterator, the ring of samples, the sparkline) and by `tests/operations/latency_monitor.rs` against
//! redis-server.

#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};

/// Samples kept per event (Redis's `LATENCY_TS_LEN`).
pub const TS_LEN: usize = 160;

/// One second's worst latency of an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Unix time in seconds; 0 = an unused slot.
    pub time: i64,
    pub latency_ms: u64,
}

/// The history of one event: a ring of [`TS_LEN`] samples, `idx` is the next slot to write.
#[derive(Clone, Debug)]
pub struct Series {
    pub samples: [Sample; TS_LEN],
    pub idx: usize,
    /// The all-time maximum (kept when older samples are overwritten).
    pub max_ms: u64,
}

impl Default for Series {
    fn default() -> Self {
        Series { samples: [Sample::default(); TS_LEN], idx: 0, max_ms: 0 }
    }
}

impl Series {
    /// Records `latency_ms` at `now` (unix seconds): a new slot, or the previous one raised when it is the same
    /// second (Redis's `latencyAddSample`).
    pub fn add(&mut self, now: i64, latency_ms: u64) {
        self.max_ms = self.max_ms.max(latency_ms);
        let prev = (self.idx + TS_LEN - 1) % TS_LEN;
        if self.samples[prev].time == now {
            let p = &mut self.samples[prev];
            p.latency_ms = p.latency_ms.max(latency_ms);
            return;
        }
        self.samples[self.idx] = Sample { time: now, latency_ms };
        self.idx = (self.idx + 1) % TS_LEN;
    }

    /// The used samples, oldest first.
    pub fn in_order(&self) -> impl Iterator<Item = &Sample> {
        (0..TS_LEN).map(move |j| &self.samples[(self.idx + j) % TS_LEN]).filter(|s| s.time != 0)
    }

    /// The most recent sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

/// Every event's series, in the order the events first occurred.
#[derive(Debug, Default)]
pub struct Monitor {
    pub events: Vec<(&'static str, Box<Series>)>,
    /// Fork speed of the last fork, GB of used memory per second (Redis's `stat_fork_rate`), for DOCTOR.
    pub fork_rate_gb_s: f64,
}

impl Monitor {
    pub fn add(&mut self, event: &'static str, now: i64, latency_ms: u64) {
        let i = match self.events.iter().position(|(e, _)| *e == event) {
            Some(i) => i,
            None => {
                self.events.push((event, Box::default()));
                self.events.len() - 1
            }
        };
        self.events[i].1.add(now, latency_ms);
    }

    /// The series of an event, by its exact name.
    pub fn get(&self, event: &[u8]) -> Option<(&'static str, &Series)> {
        self.events.iter().find(|(e, _)| e.as_bytes() == event).map(|(e, s)| (*e, &**s))
    }

    /// Drops the series of `event` (ignoring case), or every series when `None`; returns how many.
    pub fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        self.events.retain(|(e, _)| event.is_some_and(|x| !e.as_bytes().eq_ignore_ascii_case(x)));
        before - self.events.len()
    }
}

thread_local! {
    /// `latency-monitor-threshold` in milliseconds (0 = monitor off). Set through [`set_threshold_ms`] by the server at
    /// start-up ([`Server::new`](crate::server::Server::new)) and after each command
    /// ([`Server::call_with`](crate::server::Server::call_with)); read by every recording point. A thread-local for the
    /// reason [`MONITOR`] is one: recording points sit in layers with no state.
    static THRESHOLD_MS: Cell<u64> = const { Cell::new(0) };
    /// The main thread's events: added to by every recording point ([`add_sample`], [`add_sample_if_needed`],
    /// [`timed`]: the cron's steps, commands, the fork, AOF writes...), given the fork rate by [`set_fork_rate`]
    /// ([`persist::engine`]'s fork), read and reset by LATENCY through [`with_monitor`]. A thread-local because the
    /// events come from layers that have no access to the server state (see the module docs).
    static MONITOR: RefCell<Monitor> = RefCell::new(Monitor::default());
}

/// Sets the threshold (`latency-monitor-threshold`, ms; 0 or negative turns the monitor off).
#[inline]
pub fn set_threshold_ms(ms: i64) {
    THRESHOLD_MS.set(ms.max(0) as u64);
}

/// The threshold in effect (0 = off): recording points may skip their clock reads when it is 0.
#[inline]
pub fn threshold_ms() -> u64 {
    THRESHOLD_MS.get()
}

/// Records `ms` for `event` when the monitor is on and `ms` reaches the threshold (Redis's
/// `latencyAddSampleIfNeeded`). Call it on the main thread, where the work that blocked the loop ended.
#[inline]
pub fn add_sample_if_needed(event: &'static str, ms: u64) {
    let t = THRESHOLD_MS.get();
    if t > 0 && ms >= t {
        add_sample(event, ms);
    }
}

/// Runs `f` and records its duration as `event` when it reaches the threshold (no clock read when the monitor
/// is off): Redis's `latencyStartMonitor` / `latencyEndMonitor` / `latencyAddSampleIfNeeded` around one step.
#[inline]
pub fn timed<R>(event: &'static str, f: impl FnOnce() -> R) -> R {
    if THRESHOLD_MS.get() == 0 {
        return f();
    }
    let started = std::time::Instant::now();
    let r = f();
    add_sample_if_needed(event, started.elapsed().as_millis() as u64);
    r
}

/// Records `ms` for `event` unconditionally, at the current wall-clock second.
pub fn add_sample(event: &'static str, ms: u64) {
    let now = crate::util::now_ms() / 1000;
    MONITOR.with_borrow_mut(|m| m.add(event, now, ms));
}

/// Runs `f` on the monitor.
pub fn with_monitor<R>(f: impl FnOnce(&mut Monitor) -> R) -> R {
    MONITOR.with_borrow_mut(f)
}

/// Notes the speed of a fork that took `fork_us` with `used_memory` bytes in use, for LATENCY DOCTOR.
pub fn set_fork_rate(used_memory: u64, fork_us: u64) {
    if fork_us > 0 {
        let rate = used_memory as f64 * 1_000_000.0 / fork_us as f64 / (1024.0 * 1024.0 * 1024.0);
        MONITOR.with_borrow_mut(|m| m.fork_rate_gb_s = rate);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Histogram

/// Smallest trackable value (ns): Redis's `LATENCY_HISTOGRAM_MIN_VALUE`.
pub const MIN_VALUE: u64 = 1;
/// Largest trackable value (ns): Redis's `LATENCY_HISTOGRAM_MAX_VALUE` (1 s).
pub const MAX_VALUE: u64 = 1_000_000_000;
/// log2 of half the counters per bucket: 2 significant digits need 2 * 10^2 = 200 distinct values in the first
/// bucket, rounded up to 256 = 2^8, half of which is 2^7.
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 7;
const SUB_BUCKET_COUNT: u64 = 1 << (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
const SUB_BUCKET_HALF_COUNT: usize = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = SUB_BUCKET_COUNT - 1;
/// Buckets needed so that `SUB_BUCKET_COUNT << (BUCKET_COUNT - 1)` exceeds [`MAX_VALUE`].
const BUCKET_COUNT: usize = 23;
/// Counters in a histogram.
pub const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;

const _: () = assert!(SUB_BUCKET_COUNT >= 200, "2 significant digits need 200 distinct values per bucket");
const _: () = assert!(SUB_BUCKET_COUNT << (BUCKET_COUNT - 1) > MAX_VALUE, "the last bucket must reach MAX_VALUE");
const _: () =
    assert!(SUB_BUCKET_COUNT << (BUCKET_COUNT - 2) <= MAX_VALUE, "no bucket beyond the one holding MAX_VALUE");

/// A fixed-size log-linear histogram of durations in nanoseconds (see the module docs).
/// (No running total: the call path only increments one counter; readers sum the counters.)
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; COUNTS_LEN]>,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram {{ total: {} }}", self.total())
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

#[inline]
fn bucket_index(value: u64) -> u32 {
    // Smallest power of two holding the value, minus the bits the first bucket covers.
    let pow2ceiling = 64 - (value | SUB_BUCKET_MASK).leading_zeros();
    pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)
}

#[inline]
fn counts_index_for(value: u64) -> usize {
    let bucket = bucket_index(value);
    let sub = (value >> bucket) as usize;
    ((bucket as usize + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub - SUB_BUCKET_HALF_COUNT
}

/// The lowest value counted at `index`.
fn value_at_index(index: usize) -> u64 {
    let mut bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let mut sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    (sub as u64) << bucket
}

/// Width of the range of values that share `value`'s counter.
fn equivalent_range(value: u64) -> u64 {
    let bucket = bucket_index(value);
    let sub = value >> bucket;
    let adjusted = if sub >= SUB_BUCKET_COUNT { bucket + 1 } else { bucket };
    1 << adjusted
}

fn lowest_equivalent(value: u64) -> u64 {
    let bucket = bucket_index(value);
    (value >> bucket) << bucket
}

fn highest_equivalent(value: u64) -> u64 {
    lowest_equivalent(value) + equivalent_range(value) - 1
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram { counts: Box::new([0; COUNTS_LEN]) }
    }

    /// Counts one duration in nanoseconds, clamped to [`MIN_VALUE`]..=[`MAX_VALUE`] as Redis does.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        let v = ns.clamp(MIN_VALUE, MAX_VALUE);
        if let Some(c) = self.counts.get_mut(counts_index_for(v)) {
            *c += 1;
        }
    }

    /// Counts one duration measured in microseconds, as Redis does (`duration * 1000` ns). A command under a
    /// microsecond (most of them, pipelined) measures 0, recorded as the minimum without the index arithmetic.
    #[inline]
    pub fn record_us(&mut self, us: u64) {
        if us == 0 {
            self.counts[MIN_VALUE as usize] += 1;
        } else {
            self.record(us.min(MAX_VALUE / 1000) * 1000);
        }
    }

    /// Number of recorded values.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The value at `percentile` (0..=100), HdrHistogram's `hdr_value_at_percentile`: the highest value
    /// equivalent to the counter where the cumulative count reaches `percentile` of the total (rounded), the
    /// lowest for percentile 0. 0 for an empty histogram.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let requested = percentile.min(100.0);
        let total = self.total();
        let wanted = ((requested / 100.0 * total as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0u64;
        let mut value = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= wanted {
                value = value_at_index(i);
                break;
            }
        }
        if percentile == 0.0 {
            lowest_equivalent(value)
        } else {
            highest_equivalent(value)
        }
    }

    /// The cumulative distribution at powers of two from 1024 ns, as `LATENCY HISTOGRAM` reports it (Redis's
    /// `fillCommandCDF` over HdrHistogram's logarithmic iterator): (microseconds, cumulative count) pairs,
    /// skipping steps that added nothing.
    pub fn cdf_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        // The iterator's state: the counter index reached, the count up to it, and the next reporting level.
        let mut index: isize = -1;
        let mut cumulative = 0u64;
        let mut highest_equiv = 0u64;
        let mut value = 0u64;
        let mut level = 1024u64;
        let mut level_lowest = lowest_equivalent(level);
        let mut previous = 0u64;
        let total = self.total();
        loop {
            let more_counts = cumulative < total;
            // HdrHistogram peeks at the next counter's value even when it is one past the end.
            let next_beyond = index < COUNTS_LEN as isize && value_at_index((index + 1) as usize) > level_lowest;
            if !more_counts && !next_beyond {
                break;
            }
            // Advance over counters until one reaches the reporting level (or the counters end).
            loop {
                if index >= 0 && value >= level_lowest {
                    level *= 2;
                    level_lowest = lowest_equivalent(level);
                    break;
                }
                index += 1;
                if index as usize >= COUNTS_LEN {
                    break;
                }
                let i = index as usize;
                cumulative += self.counts[i];
                value = value_at_index(i);
                let leq = lowest_equivalent(value);
                highest_equiv = leq + equivalent_range(value) - 1;
            }
            if cumulative > previous {
                out.push((highest_equiv / 1000, cumulative));
            }
            previous = cumulative;
            if index as usize >= COUNTS_LEN {
                break;
            }
        }
        out
    }
}

/// The latency histograms of the commands called while `latency-tracking` was on, by full name (`get`,
/// `config|get`). Histograms live in a vector, found by name through a map; the last few commands recorded are
/// remembered by the address of their name (the command table's own string), so a script's GET, INCR and EXPIRE,
/// or a run of pipelined SETs, record with a few pointer comparisons and no hashing.
#[derive(Debug, Default)]
pub struct CommandHistograms {
    hists: Vec<(&'static str, Box<Histogram>)>,
    index: crate::util::NameMap<u32>,
    recent: [Option<(&'static str, u32)>; RECENT],
    next_recent: usize,
}

/// How many commands [`CommandHistograms`] remembers by address.
const RECENT: usize = 4;

impl CommandHistograms {
    /// Records a call of `name` that took `us` microseconds.
    #[inline]
    pub fn record_us(&mut self, name: &'static str, us: u64) {
        let i = match self.recent.iter().flatten().find(|(n, _)| std::ptr::eq(*n, name)) {
            Some(&(_, i)) => i,
            None => self.slot_of(name),
        };
        if let Some((_, h)) = self.hists.get_mut(i as usize) {
            h.record_us(us);
        }
    }

    #[cold]
    fn slot_of(&mut self, name: &'static str) -> u32 {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.hists.len() as u32;
                self.hists.push((name, Box::default()));
                self.index.insert(name, i);
                i
            }
        };
        self.recent[self.next_recent] = Some((name, i));
        self.next_recent = (self.next_recent + 1) % RECENT;
        i
    }

    /// The histogram of a command, by full name.
    pub fn get(&self, name: &str) -> Option<&Histogram> {
        let &i = self.index.get(name)?;
        self.hists.get(i as usize).map(|(_, h)| &**h)
    }

    /// Names of the commands with a histogram, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.hists.iter().map(|(n, _)| *n).collect();
        v.sort_unstable();
        v
    }
}

/// A percentile as Redis prints it in INFO and CONFIG GET: `%f`, then trailing zeros (and a trailing dot)
/// removed (`99.9`, `50`).
pub fn format_percentile(p: f64) -> String {
    let s = format!("{p:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------------------------
// LATENCY GRAPH: Redis's sparkline (`sparkline.c`) with the fill charset, 4 rows, 80 columns.

const CHARSET_FILL: &[u8] = b"_o#";
const GRAPH_COLS: usize = 80;
const GRAPH_ROWS: usize = 4;
const LABEL_MARGIN_TOP: usize = 1;

/// Renders `samples` (value, label) as Redis's `sparklineRender(..., 80, 4, SPARKLINE_FILL)`.
pub fn sparkline(out: &mut String, samples: &[(f64, String)]) {
    if samples.is_empty() {
        return;
    }
    let min = samples.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let max = samples.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    let has_labels = samples.iter().any(|s| !s.1.is_empty());
    let mut first = true;
    for chunk in samples.chunks(GRAPH_COLS) {
        if !first {
            out.push('\n');
        }
        first = false;
        render_range(out, chunk, min, max, has_labels);
    }
}

fn render_range(out: &mut String, seq: &[(f64, String)], min: f64, max: f64, has_labels: bool) {
    let mut relmax = max - min;
    if relmax == 0.0 {
        relmax = 1.0;
    }
    let steps = (CHARSET_FILL.len() * GRAPH_ROWS) as i64;
    let mut row = 0usize;
    loop {
        let mut more = false;
        let mut chars = vec![b' '; seq.len()];
        for (j, (value, label)) in seq.iter().enumerate() {
            let relval = value - min;
            // C: `(int)(relval*steps)/relmax`, the cast binding to the product.
            let mut step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
            step = step.clamp(0, steps - 1);
            if row < GRAPH_ROWS {
                let charidx = step - ((GRAPH_ROWS - row - 1) * CHARSET_FILL.len()) as i64;
                more = true;
                if (0..CHARSET_FILL.len() as i64).contains(&charidx) {
                    chars[j] = CHARSET_FILL[charidx as usize];
                } else if charidx >= CHARSET_FILL.len() as i64 {
                    chars[j] = b'|';
                }
            } else {
                if has_labels && row - GRAPH_ROWS < LABEL_MARGIN_TOP {
                    more = true;
                    break;
                }
                let label_char = row - GRAPH_ROWS - LABEL_MARGIN_TOP;
                if let Some(&b) = label.as_bytes().get(label_char) {
                    more = true;
                    chars[j] = b;
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

/// `LATENCY GRAPH` text for one event at `now` (unix seconds).
pub fn graph(event: &str, series: &Series, now: i64) -> String {
    let mut samples = Vec::new();
    let (mut min, mut max) = (0u64, 0u64);
    for s in series.in_order() {
        if samples.is_empty() {
            min = s.latency_ms;
            max = s.latency_ms;
        } else {
            min = min.min(s.latency_ms);
            max = max.max(s.latency_ms);
        }
        let elapsed = now - s.time;
        let label = if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        };
        samples.push((s.latency_ms as f64, label));
    }
    let mut out = format!("{event} - high {max} ms, low {min} ms (all time high {} ms)\n", series.max_ms);
    out.push_str(&"-".repeat(GRAPH_COLS));
    out.push('\n');
    sparkline(&mut out, &samples);
    out
}

// ---------------------------------------------------------------------------------------------------------------
// LATENCY DOCTOR

/// What the report needs from the configuration.
pub struct DoctorInput {
    pub threshold_ms: u64,
    pub slowlog_log_slower_than: i64,
    pub fsync_always: bool,
    pub hz: i64,
    pub now: i64,
    /// `AnonHugePages` of the process in bytes.
    pub anon_huge_pages: u64,
}

/// Statistics of one series (Redis's `analyzeLatencyForEvent`).
struct EventStats {
    samples: u64,
    avg: u64,
    mad: u64,
    period: i64,
}

fn analyze(series: &Series, now: i64) -> EventStats {
    let used = || series.samples.iter().filter(|s| s.time != 0);
    let samples = used().count() as u64;
    let sum: u64 = used().map(|s| s.latency_ms).sum();
    let Some(avg) = sum.checked_div(samples) else { return EventStats { samples: 0, avg: 0, mad: 0, period: 0 } };
    let oldest = used().map(|s| s.time).min().unwrap_or(now);
    let period = (now - oldest).max(1);
    let dev: u64 = used().map(|s| (avg as i64 - s.latency_ms as i64).unsigned_abs()).sum();
    EventStats { samples, avg, mad: dev / samples, period }
}

/// Which advice [`doctor`] gives.
#[derive(Default)]
struct Advice {
    better_vm: bool,
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    disk_contention: bool,
    scheduler: bool,
    data_writeback: bool,
    no_appendfsync: bool,
    local_disk: bool,
    ssd: bool,
    write_load_info: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
    relax_fsync_policy: bool,
    disable_thp: bool,
}

impl Advice {
    /// The advice an event calls for (the fork event also gets its rate in `out`); returns how many were given.
    fn note_event(&mut self, event: &str, m: &Monitor, cfg: &DoctorInput, out: &mut String) -> usize {
        let mut advices = 0;
        match event {
            "fork" => {
                let rate = m.fork_rate_gb_s;
                let quality = if rate < 10.0 {
                    "terrible"
                } else if rate < 25.0 {
                    "poor"
                } else if rate < 100.0 {
                    "good"
                } else {
                    "excellent"
                };
                if rate < 25.0 {
                    self.better_vm = true;
                    advices += 1;
                }
                out.push_str(&format!(" Fork rate is {rate:.2} GB/sec ({quality})."));
            }
            "command" => {
                if cfg.slowlog_log_slower_than < 0 {
                    self.slowlog_enabled = true;
                    advices += 1;
                } else if cfg.slowlog_log_slower_than / 1000 > cfg.threshold_ms as i64 {
                    self.slowlog_tuning = true;
                    advices += 1;
                }
                self.slowlog_inspect = true;
                self.large_objects = true;
                advices += 2;
            }
            "fast-command" => {
                self.scheduler = true;
                advices += 1;
            }
            "aof-write-pending-fsync" => {
                self.local_disk = true;
                self.disk_contention = true;
                self.ssd = true;
                self.data_writeback = true;
                advices += 4;
            }
            "aof-write-active-child" => {
                self.no_appendfsync = true;
                self.data_writeback = true;
                self.ssd = true;
                advices += 3;
            }
            "aof-write-alone" => {
                self.local_disk = true;
                self.data_writeback = true;
                self.ssd = true;
                advices += 3;
            }
            "aof-fsync-always" => {
                self.relax_fsync_policy = true;
                advices += 1;
            }
            "aof-fstat" | "rdb-unlink-temp-file" => {
                self.disk_contention = true;
                self.local_disk = true;
                advices += 2;
            }
            "aof-rewrite-diff-write" | "aof-rename" => {
                self.write_load_info = true;
                self.data_writeback = true;
                self.ssd = true;
                self.local_disk = true;
                advices += 4;
            }
            "expire-cycle" => {
                self.hz = true;
                self.large_objects = true;
                advices += 2;
            }
            "eviction-del" => {
                self.large_objects = true;
                advices += 1;
            }
            "eviction-cycle" => {
                self.mass_eviction = true;
                advices += 1;
            }
            _ => {}
        }
        advices
    }
}

/// Redis's `createLatencyReport`: each event's statistics, then the advice that applies.
pub fn doctor(m: &Monitor, cfg: &DoctorInput) -> String {
    if m.events.is_empty() && cfg.threshold_ms == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may \
                use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't \
                in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
            .into();
    }
    let mut a = Advice::default();
    let mut advices = 0;
    let mut out = String::new();
    for (n, (event, series)) in m.events.iter().enumerate() {
        if n == 0 {
            out.push_str(
                "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, \
                 do you Dave?\n\n",
            );
        }
        let st = analyze(series, cfg.now);
        let per = if st.samples > 0 { st.period as f64 / st.samples as f64 } else { 0.0 };
        out.push_str(&format!(
            "{}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period {per:.2} sec). Worst all \
             time event {}ms.",
            n + 1,
            st.samples,
            st.avg,
            st.mad,
            series.max_ms
        ));
        advices += a.note_event(event, m, cfg, &mut out);
        out.push('\n');
    }
    if cfg.anon_huge_pages > 0 {
        a.disable_thp = true;
        advices += 1;
    }
    let events = m.events.len();
    if events == 0 && advices == 0 {
        out.push_str(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest \
             bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n",
        );
        return out;
    }
    if events > 0 && advices == 0 {
        out.push_str(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis \
             community to get some help, providing this report in your help request.\n",
        );
        return out;
    }
    out.push_str("\nI have a few advices for you:\n\n");
    write_advices(&mut out, &a, cfg);
    out
}

/// The advice texts that apply, in Redis's order.
fn write_advices(out: &mut String, a: &Advice, cfg: &DoctorInput) {
    let t_us = cfg.threshold_ms.saturating_mul(1000);
    let lines: [(bool, String); 16] = [
        (a.better_vm, "- If you are using a virtual machine, consider upgrading it with a faster one using a hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even in the context of the same VM provider, certain kinds of instances can execute fork faster than others.\n".into()),
        (a.slowlog_enabled, format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {t_us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n")),
        (a.slowlog_tuning, format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {t_us}'.\n")),
        (a.slowlog_inspect, "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n".into()),
        (a.scheduler, "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n".into()),
        (a.local_disk, "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n".into()),
        (a.ssd, "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n".into()),
        (a.data_writeback, "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n".into()),
        (a.disk_contention, "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n".into()),
        (a.no_appendfsync, "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n".into()),
        (a.relax_fsync_policy && cfg.fsync_always, "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n".into()),
        (a.write_load_info, "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n".into()),
        (a.hz && cfg.hz < 100, "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n".into()),
        (a.large_objects, "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n".into()),
        (a.mass_eviction, "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n".into()),
        (a.disable_thp, "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n".into()),
    ];
    for (on, text) in lines {
        if on {
            out.push_str(&text);
        }
    }
}

/// `AnonHugePages` of this process in bytes (Linux `/proc/self/smaps_rollup`; 0 elsewhere or when unreadable).
pub fn anon_huge_pages_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else { return 0 };
    text.lines()
        .find_map(|l| l.strip_prefix("AnonHugePages:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hdr_histogram() {
        // Every value below 256 has its own counter; then 128 counters per power of two.
        assert_eq!(counts_index_for(1), 1);
        assert_eq!(counts_index_for(255), 255);
        assert_eq!(counts_index_for(256), 256);
        assert_eq!(counts_index_for(257), 256);
        assert_eq!(counts_index_for(258), 257);
        assert_eq!(counts_index_for(511), 383);
        assert_eq!(counts_index_for(512), 384);
        assert!(counts_index_for(MAX_VALUE) < COUNTS_LEN);
        for i in [1usize, 200, 255, 256, 300, 383, 384, 1000, COUNTS_LEN - 1] {
            assert_eq!(counts_index_for(value_at_index(i)), i, "index {i}");
        }
        assert_eq!(highest_equivalent(1024), 1031);
        assert_eq!(lowest_equivalent(1031), 1024);
    }

    #[test]
    fn percentiles_of_uniform_distribution_within_precision() {
        let mut h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 1000); // 1 µs .. 10 ms
        }
        assert_eq!(h.total(), 10_000);
        for (p, exact) in [(50.0, 5_000_000u64), (99.0, 9_900_000), (99.9, 9_990_000), (100.0, 10_000_000)] {
            let got = h.value_at_percentile(p);
            let err = (got as f64 - exact as f64).abs() / exact as f64;
            assert!(err < 0.01, "p{p}: {got} vs {exact}");
            assert!(got >= exact, "the highest equivalent value is reported");
        }
        assert_eq!(h.value_at_percentile(0.0), 1000);
    }

    #[test]
    fn percentiles_of_two_point_distribution() {
        let mut h = Histogram::new();
        for _ in 0..990 {
            h.record(100);
        }
        for _ in 0..10 {
            h.record(1_000_000);
        }
        assert_eq!(h.value_at_percentile(50.0), 100);
        assert_eq!(h.value_at_percentile(99.0), 100);
        let p999 = h.value_at_percentile(99.9);
        assert!((1_000_000..1_000_000 + 1_000_000 / 128).contains(&p999), "{p999}");
        assert_eq!(Histogram::new().value_at_percentile(50.0), 0);
    }

    #[test]
    fn microsecond_recording_matches_nanoseconds() {
        let (mut a, mut b) = (Histogram::new(), Histogram::new());
        for us in [0u64, 1, 7, 999, 12_345, 999_999, 1_000_000, 5_000_000] {
            a.record_us(us);
            b.record(us * 1000);
        }
        assert_eq!(a.counts[..], b.counts[..]);
    }

    #[test]
    fn command_histograms_switch_between_commands() {
        static SET: &str = "set";
        static GET: &str = "get";
        let mut c = CommandHistograms::default();
        c.record_us(SET, 1);
        c.record_us(SET, 2);
        c.record_us(GET, 3);
        c.record_us(SET, 4);
        assert_eq!(c.names(), ["get", "set"]);
        assert_eq!(c.get("set").map(Histogram::total), Some(3));
        assert_eq!(c.get("get").map(Histogram::total), Some(1));
        assert!(c.get("del").is_none());
    }

    /// Random durations spread over 1 ns .. 1 s on a log scale, from a fixed seed.
    fn log_spread(n: usize, seed: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let bits = (x >> 59) as u32; // 0..31
                let mantissa = (x >> 20) & ((1 << bits.min(30)) - 1);
                ((1u64 << bits.min(29)) | mantissa).clamp(MIN_VALUE, MAX_VALUE)
            })
            .collect()
    }

    #[test]
    fn percentiles_match_a_sorted_reference() {
        for seed in 1..=5 {
            let mut values = log_spread(5000, seed);
            let mut h = Histogram::new();
            for &v in &values {
                h.record(v);
            }
            values.sort_unstable();
            for p in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0] {
                // HdrHistogram's rule: the value of rank round(p% of n) (at least 1), reported as the highest
                // value sharing its counter, so never below it and within 1/128 above.
                let rank = ((p / 100.0 * values.len() as f64) + 0.5) as usize;
                let exact = values[rank.max(1) - 1];
                let got = h.value_at_percentile(p);
                assert_eq!(got, highest_equivalent(exact), "seed {seed} p{p}");
                assert!(got >= exact && (got - exact) as f64 <= exact as f64 / 128.0 + 1.0, "p{p} {got} {exact}");
            }
        }
    }

    #[test]
    fn cdf_matches_a_reference_count() {
        for seed in 1..=5 {
            let values = log_spread(3000, seed);
            let mut h = Histogram::new();
            for &v in &values {
                h.record(v);
            }
            // At each level 1024 ns * 2^k: the values whose counter is at or below the level's counter (a level
            // past the last counter stops at the last counter, as HdrHistogram's iterator does).
            let mut want = Vec::new();
            let mut previous = 0;
            let mut level = 1024u64;
            while previous < values.len() as u64 {
                let at = level.min(value_at_index(COUNTS_LEN - 1));
                let idx = counts_index_for(at);
                let cumulative = values.iter().filter(|&&v| counts_index_for(v) <= idx).count() as u64;
                if cumulative > previous {
                    want.push((highest_equivalent(at) / 1000, cumulative));
                }
                previous = cumulative;
                level *= 2;
            }
            assert_eq!(h.cdf_usec(), want, "seed {seed}");
        }
    }

    #[test]
    fn values_are_clamped() {
        let mut h = Histogram::new();
        h.record(0);
        h.record(u64::MAX);
        assert_eq!(h.total(), 2);
        assert_eq!(h.value_at_percentile(0.0), 1);
        assert!(h.value_at_percentile(100.0) >= MAX_VALUE);
    }

    #[test]
    fn cdf_at_powers_of_two() {
        let mut h = Histogram::new();
        h.record(500); // below 1 µs: counted in the first step
        h.record(3_000); // 3 µs
        h.record(3_000);
        h.record(1_500_000); // 1.5 ms
        let cdf = h.cdf_usec();
        // Steps are reported at the highest value sharing the counter of 1024 ns * 2^k: 1031 ns, 4127 ns, 2113535 ns.
        assert_eq!(cdf, vec![(1, 1), (4, 3), (2113, 4)]);
        assert!(Histogram::new().cdf_usec().is_empty());
        let mut h = Histogram::new();
        h.record(MAX_VALUE);
        assert_eq!(h.cdf_usec().last().map(|x| x.1), Some(1));
    }

    #[test]
    fn series_keeps_one_sample_per_second_and_the_max() {
        let mut s = Series::default();
        s.add(100, 5);
        s.add(100, 9);
        s.add(100, 7);
        s.add(101, 3);
        let v: Vec<_> = s.in_order().copied().collect();
        assert_eq!(v, vec![Sample { time: 100, latency_ms: 9 }, Sample { time: 101, latency_ms: 3 }]);
        assert_eq!(s.latest(), Sample { time: 101, latency_ms: 3 });
        for t in 0..TS_LEN as i64 {
            s.add(200 + t, 1);
        }
        assert_eq!(s.in_order().count(), TS_LEN);
        assert_eq!(s.in_order().next().map(|x| x.time), Some(200));
        assert_eq!(s.max_ms, 9);
    }

    #[test]
    fn monitor_reset_counts_series() {
        let mut m = Monitor::default();
        m.add("command", 1, 10);
        m.add("fast-command", 1, 10);
        assert!(m.get(b"command").is_some());
        assert!(m.get(b"COMMAND").is_none());
        assert_eq!(m.reset(Some(b"COMMAND")), 1);
        assert_eq!(m.reset(Some(b"nope")), 0);
        assert_eq!(m.reset(None), 1);
        assert!(m.events.is_empty());
    }

    #[test]
    fn graph_shape() {
        let mut s = Series::default();
        s.add(100, 10);
        s.add(101, 20);
        s.add(102, 40);
        let g = graph("command", &s, 102);
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(lines[0], "command - high 40 ms, low 10 ms (all time high 40 ms)");
        assert_eq!(lines[1], "-".repeat(80));
        // 4 rows of bars, a blank margin row, then the labels (2s, 1s, 0s) written vertically.
        assert_eq!(lines[2..6], ["  #", "  |", " o|", "_||"]);
        assert_eq!(lines[6], "   ");
        assert_eq!(lines[7], "210");
        assert_eq!(lines[8], "sss");
        assert_eq!(lines.len(), 9);
    }

    #[test]
    fn percentile_format() {
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(0.0), "0");
        assert_eq!(format_percentile(99.99999999), "100");
    }

    #[test]
    fn doctor_texts() {
        let input = DoctorInput {
            threshold_ms: 0,
            slowlog_log_slower_than: 10_000,
            fsync_always: false,
            hz: 10,
            now: 100,
            anon_huge_pages: 0,
        };
        let m = Monitor::default();
        assert!(doctor(&m, &input).starts_with("I'm sorry, Dave"));
        let input = DoctorInput { threshold_ms: 50, ..input };
        assert!(doctor(&m, &input).starts_with("Dave, no latency spike"));
        let mut m = Monitor::default();
        m.add("command", 90, 100);
        let r = doctor(&m, &input);
        assert!(
            r.contains("1. command: 1 latency spikes (average 100ms, mean deviation 0ms, period 10.00 sec)"),
            "{r}"
        );
        assert!(r.contains("Check your Slow Log"));
    }
}
