//! Instantaneous rates for `INFO stats` (`instantaneous_ops_per_sec`, `instantaneous_input_kbps`, ...), sampled by
//! the server cron every 100 ms like Redis's `trackInstantaneousMetric`: each sample is the rate since the previous
//! one, and the reported value is the mean of the last [`SAMPLES`] samples (a 1.6 s window).
//!
//! ```text
//!  samples: [r0 r1 r2 ... r15]   idx -> where the next sample goes (oldest one)
//! ```
//!
//! Tested by the unit tests below.

/// Samples averaged (Redis's `STATS_METRIC_SAMPLES`).
pub const SAMPLES: usize = 16;

/// One tracked rate.
#[derive(Debug, Default, Clone)]
pub struct InstMetric {
    samples: [u64; SAMPLES],
    idx: usize,
    last_sample_ms: i64,
    last_count: u64,
}

impl InstMetric {
    /// Records the counter's current value at `now_ms`.
    pub fn track(&mut self, count: u64, now_ms: i64) {
        let elapsed_ms = now_ms - self.last_sample_ms;
        let delta = count.saturating_sub(self.last_count);
        let rate = if elapsed_ms > 0 { delta.saturating_mul(1000) / elapsed_ms as u64 } else { 0 };
        self.samples[self.idx] = rate;
        self.idx = (self.idx + 1) % SAMPLES;
        self.last_sample_ms = now_ms;
        self.last_count = count;
    }

    /// Mean rate per second over the sample window.
    pub fn per_sec(&self) -> u64 {
        self.samples.iter().sum::<u64>() / SAMPLES as u64
    }

    /// Starts over from `count` at `now_ms` (CONFIG RESETSTAT).
    pub fn reset(&mut self, count: u64, now_ms: i64) {
        *self = InstMetric { last_sample_ms: now_ms, last_count: count, ..Default::default() };
    }
}

/// The rates INFO reports.
#[derive(Debug, Default, Clone)]
pub struct Metrics {
    /// Commands processed per second.
    pub ops: InstMetric,
    /// Bytes read from clients per second.
    pub net_input: InstMetric,
    /// Bytes written to clients per second.
    pub net_output: InstMetric,
}

impl Metrics {
    /// `instantaneous_ops_per_sec`.
    pub fn ops_per_sec(&self) -> u64 {
        self.ops.per_sec()
    }

    /// `instantaneous_input_kbps` (print with `{:.2}`).
    pub fn input_kbps(&self) -> f64 {
        self.net_input.per_sec() as f64 / 1024.0
    }

    /// `instantaneous_output_kbps` (print with `{:.2}`).
    pub fn output_kbps(&self) -> f64 {
        self.net_output.per_sec() as f64 / 1024.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rate_converges() {
        let mut m = InstMetric::default();
        m.reset(0, 0);
        for i in 1..=SAMPLES as i64 {
            m.track(i as u64 * 100, i * 100);
        }
        // 100 ops every 100 ms = 1000/s in every sample.
        assert_eq!(m.per_sec(), 1000);
        // Idle samples pull the mean down gradually.
        m.track(SAMPLES as u64 * 100, (SAMPLES as i64 + 1) * 100);
        assert_eq!(m.per_sec(), 1000 * 15 / 16);
    }

    #[test]
    fn zero_elapsed_gives_zero_sample() {
        let mut m = InstMetric::default();
        m.track(50, 0);
        assert_eq!(m.per_sec(), 0);
    }
}
