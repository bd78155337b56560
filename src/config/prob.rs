//! The probabilistic types' configuration, as Redis 8 registers it for its bundled `bf` module (RedisBloom's
//! `src/config.c`): eight unprefixed directives, `bf-error-rate`, `bf-initial-size`, `bf-expansion-factor`,
//! `cf-bucket-size`, `cf-initial-size`, `cf-max-iterations`, `cf-expansion-factor` and `cf-max-expansions`, read
//! and written with plain CONFIG GET / CONFIG SET, the config file and CONFIG REWRITE like any other directive.
//!
//! What they hold is the parameters of the filters BF.ADD/BF.MADD/BF.INSERT and CF.ADD/CF.INSERT create for a
//! missing key, and the values BF.RESERVE and CF.RESERVE take for an option left out (`command::bloom`,
//! `command::cuckoo` read them through the call's config).
//!
//! They match CONFIG GET's patterns, `*` included, as Redis 8 lists module configs there (unlike the hidden
//! testing directives): Redis 7.0.15's own `CONFIG sanity` and `CONFIG REWRITE sanity` tests set every directive
//! `*` lists back to its value and restart from a rewritten file, which these survive (each value round-trips),
//! so its `unit/introspection` still passes.
//!
//! Invariants, as RedisBloom keeps them:
//! - RedisBloom registers them as *string* configs, so CONFIG GET answers the text last set (`0.020` stays
//!   `0.020`), except that an error rate above 0.25 is stored as 0.25 and then shown as `0.25`.
//! - Integer values are Redis's strict integers (no sign but `-`, no leading zero); the error rate is a double as
//!   `RedisModule_StringToDouble` reads it. The error rate's range is open, `(0, 1)`; the integers' ranges are
//!   closed.
//! - `cf-initial-size` and `cf-bucket-size` bound each other: the initial size is at least twice the bucket
//!   size, and the bucket size at most half the initial size (and at most 255). RedisBloom updates the other's
//!   limit on each successful set; with both starting consistent (2 and 1024) that limit is always a function of
//!   the other's current value, which is how it is computed here.
//!
//! The error texts are RedisBloom's: ``Invalid value for `NAME` `` and ``Value for `NAME` must be in the range
//! [MIN, MAX]`` (`(MIN, MAX)` with six decimals for the error rate), which CONFIG SET wraps in its usual
//! `ERR CONFIG SET failed (possibly related to argument 'NAME') - ...`. Tested by the unit tests below and by
//! `tests/types/prob_config.rs` against a server.

#![forbid(unsafe_code)]

use super::{Config, Directive, Kind, M};
use crate::util::{parse_f64, parse_i64};

/// Error rates above this are stored as this (`BF_ERROR_RATE_CAP`).
pub const BF_ERROR_RATE_CAP: f64 = 0.25;
/// The largest `bf-initial-size` and `cf-initial-size`.
pub const MAX_INITIAL_SIZE: i64 = 1 << 30;
/// The largest `cf-bucket-size` (a bucket's slot count is a byte in the filter's header).
pub const MAX_BUCKET_SIZE: i64 = 255;

/// One setting: its value and the text CONFIG GET shows for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub text: Vec<u8>,
}

impl Setting<i64> {
    fn int(value: i64) -> Self {
        Setting { value, text: value.to_string().into_bytes() }
    }
}

/// The eight settings (RedisBloom's `RM_Config`).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbConfig {
    pub bf_error_rate: Setting<f64>,
    pub bf_initial_size: Setting<i64>,
    /// 0: the filters created are non-scaling.
    pub bf_expansion_factor: Setting<i64>,
    pub cf_bucket_size: Setting<i64>,
    pub cf_initial_size: Setting<i64>,
    pub cf_max_iterations: Setting<i64>,
    pub cf_expansion_factor: Setting<i64>,
    /// CF.ADD/CF.INSERT refuse to add to a filter with this many sub-filters.
    pub cf_max_expansions: Setting<i64>,
}

impl Default for ProbConfig {
    fn default() -> Self {
        ProbConfig {
            bf_error_rate: Setting { value: 0.01, text: b"0.01".to_vec() },
            bf_initial_size: Setting::int(100),
            bf_expansion_factor: Setting::int(2),
            cf_bucket_size: Setting::int(2),
            cf_initial_size: Setting::int(1024),
            cf_max_iterations: Setting::int(20),
            cf_expansion_factor: Setting::int(1),
            cf_max_expansions: Setting::int(32),
        }
    }
}

// The defaults respect the bounds the two cuckoo settings put on each other.
const _: () = assert!(2 * 2 <= 1024 && 2 <= MAX_BUCKET_SIZE);

impl ProbConfig {
    /// The closed range `cf-initial-size` must fall in (RedisBloom's `cf_initial_size.min/max`).
    pub fn cf_initial_size_range(&self) -> (i64, i64) {
        (self.cf_bucket_size.value.saturating_mul(2), MAX_INITIAL_SIZE)
    }
    /// The closed range `cf-bucket-size` must fall in.
    pub fn cf_bucket_size_range(&self) -> (i64, i64) {
        (1, (self.cf_initial_size.value / 2).min(MAX_BUCKET_SIZE))
    }
}

/// Sets an integer setting from `v` if it parses and lies in `[min, max]`.
fn set_int(name: &str, v: &[u8], (min, max): (i64, i64), slot: &mut Setting<i64>) -> Result<(), String> {
    let Some(n) = parse_i64(v) else { return Err(format!("Invalid value for `{name}`")) };
    if n < min || n > max {
        return Err(format!("Value for `{name}` must be in the range [{min}, {max}]"));
    }
    *slot = Setting { value: n, text: v.to_vec() };
    Ok(())
}

fn set_bf_error_rate(c: &mut Config, v: &[u8]) -> Result<(), String> {
    const NAME: &str = "bf-error-rate";
    let Some(rate) = parse_f64(v) else { return Err(format!("Invalid value for `{NAME}`")) };
    if !(rate > 0.0 && rate < 1.0) {
        return Err(format!("Value for `{NAME}` must be in the range ({:.6}, {:.6})", 0.0, 1.0));
    }
    c.prob.bf_error_rate = if rate > BF_ERROR_RATE_CAP {
        Setting { value: BF_ERROR_RATE_CAP, text: b"0.25".to_vec() }
    } else {
        Setting { value: rate, text: v.to_vec() }
    };
    Ok(())
}

/// An integer directive with fixed limits.
macro_rules! prob_int {
    ($name:literal, $f:ident, $min:expr, $max:expr) => {
        Directive::new(
            $name,
            Kind::Str { get: |c| c.prob.$f.text.clone(), set: |c, v| set_int($name, v, ($min, $max), &mut c.prob.$f) },
            M,
        )
    };
    // A range that depends on another directive, from a `ProbConfig` method.
    ($name:literal, $f:ident, range = $range:ident) => {
        Directive::new(
            $name,
            Kind::Str {
                get: |c| c.prob.$f.text.clone(),
                set: |c, v| {
                    let range = c.prob.$range();
                    set_int($name, v, range, &mut c.prob.$f)
                },
            },
            M,
        )
    };
}

// The eight directives, in RedisBloom's registration order; the directive table lists them last (CONFIG GET `*`
// lists them after the server's own, as Redis 8 lists module configs).
pub(super) const BF_ERROR_RATE: Directive = Directive::new(
    "bf-error-rate",
    Kind::Str { get: |c| c.prob.bf_error_rate.text.clone(), set: set_bf_error_rate },
    M,
);
pub(super) const BF_INITIAL_SIZE: Directive = prob_int!("bf-initial-size", bf_initial_size, 1, MAX_INITIAL_SIZE);
pub(super) const BF_EXPANSION_FACTOR: Directive = prob_int!("bf-expansion-factor", bf_expansion_factor, 0, 32768);
pub(super) const CF_BUCKET_SIZE: Directive = prob_int!("cf-bucket-size", cf_bucket_size, range = cf_bucket_size_range);
pub(super) const CF_INITIAL_SIZE: Directive =
    prob_int!("cf-initial-size", cf_initial_size, range = cf_initial_size_range);
pub(super) const CF_MAX_ITERATIONS: Directive = prob_int!("cf-max-iterations", cf_max_iterations, 1, 65535);
pub(super) const CF_EXPANSION_FACTOR: Directive = prob_int!("cf-expansion-factor", cf_expansion_factor, 0, 32768);
pub(super) const CF_MAX_EXPANSIONS: Directive = prob_int!("cf-max-expansions", cf_max_expansions, 1, 65536);

/// The names, in the table's order.
pub const NAMES: [&str; 8] = [
    "bf-error-rate",
    "bf-initial-size",
    "bf-expansion-factor",
    "cf-bucket-size",
    "cf-initial-size",
    "cf-max-iterations",
    "cf-expansion-factor",
    "cf-max-expansions",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut Config, name: &str, v: &str) -> Result<(), String> {
        let d = crate::config::find(name.as_bytes()).expect("a prob directive");
        c.set(d, &[v.as_bytes().to_vec()])
    }

    fn get(c: &Config, name: &str) -> String {
        let d = crate::config::find(name.as_bytes()).expect("a prob directive");
        String::from_utf8_lossy(&c.get(d)).into_owned()
    }

    #[test]
    fn defaults_show_as_redisbloom_registers_them() {
        let c = Config::default();
        let shown: Vec<String> = NAMES.iter().map(|n| get(&c, n)).collect();
        assert_eq!(shown, ["0.01", "100", "2", "2", "1024", "20", "1", "32"]);
    }

    #[test]
    fn the_text_set_is_the_text_shown_and_the_cap_applies() {
        let mut c = Config::default();
        set(&mut c, "bf-error-rate", "0.020").unwrap();
        assert_eq!((get(&c, "bf-error-rate").as_str(), c.prob.bf_error_rate.value), ("0.020", 0.02));
        set(&mut c, "bf-error-rate", "1e-3").unwrap();
        assert_eq!(get(&c, "bf-error-rate"), "1e-3");
        set(&mut c, "bf-error-rate", "0.5").unwrap();
        assert_eq!((get(&c, "bf-error-rate").as_str(), c.prob.bf_error_rate.value), ("0.25", 0.25));
    }

    #[test]
    fn out_of_range_and_malformed_values_are_refused_unchanged() {
        let mut c = Config::default();
        let range = "Value for `bf-error-rate` must be in the range (0.000000, 1.000000)";
        for v in ["0", "1", "-0.5", "inf"] {
            assert_eq!(set(&mut c, "bf-error-rate", v).unwrap_err(), range, "{v}");
        }
        // NaN is not a number to RedisModule_StringToDouble.
        for v in ["abc", "nan", " 0.1", ""] {
            assert_eq!(set(&mut c, "bf-error-rate", v).unwrap_err(), "Invalid value for `bf-error-rate`", "{v:?}");
        }
        assert_eq!(
            set(&mut c, "bf-initial-size", "4294967296").unwrap_err(),
            "Value for `bf-initial-size` must be in the range [1, 1073741824]"
        );
        assert_eq!(set(&mut c, "bf-initial-size", "0100").unwrap_err(), "Invalid value for `bf-initial-size`");
        assert_eq!(
            set(&mut c, "cf-max-expansions", "65537").unwrap_err(),
            "Value for `cf-max-expansions` must be in the range [1, 65536]"
        );
        assert_eq!(
            set(&mut c, "bf-expansion-factor", "-1").unwrap_err(),
            "Value for `bf-expansion-factor` must be in the range [0, 32768]"
        );
        assert_eq!(c.prob, ProbConfig::default());
    }

    #[test]
    fn cuckoo_bucket_and_initial_size_bound_each_other() {
        let mut c = Config::default();
        set(&mut c, "cf-bucket-size", "10").unwrap();
        assert_eq!(
            set(&mut c, "cf-initial-size", "19").unwrap_err(),
            "Value for `cf-initial-size` must be in the range [20, 1073741824]"
        );
        set(&mut c, "cf-initial-size", "20").unwrap();
        assert_eq!(
            set(&mut c, "cf-bucket-size", "11").unwrap_err(),
            "Value for `cf-bucket-size` must be in the range [1, 10]"
        );
        set(&mut c, "cf-initial-size", "4096").unwrap();
        assert_eq!(
            set(&mut c, "cf-bucket-size", "256").unwrap_err(),
            "Value for `cf-bucket-size` must be in the range [1, 255]"
        );
    }
}
