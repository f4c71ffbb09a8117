//! Virtual time.
//!
//! [`SimTime`] is an instant and [`SimDuration`] a span, both integer
//! nanoseconds since the start of the run. The engine never reads the wall
//! clock: time only moves when the event queue hands out the next event.
//! A `u64` of nanoseconds covers about 584 years, far beyond any scenario.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per unit, for conversions at the edges.
pub const NANOS_PER_MS: u64 = 1_000_000;
/// Nanoseconds per second.
pub const NANOS_PER_S: u64 = 1_000_000_000;

/// An instant of virtual time: nanoseconds since the run started.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct SimTime(pub u64);

/// A span of virtual time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);

    /// Nanoseconds since the start.
    pub fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, for reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_S as f64
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }

    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * NANOS_PER_MS)
    }

    /// A span of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * NANOS_PER_S)
    }

    /// A span of `s` seconds, rounded to the nearest nanosecond and
    /// clamped to `[0, u64::MAX]` (a negative or NaN input gives zero).
    pub fn from_secs_f64(s: f64) -> Self {
        let ns = s * NANOS_PER_S as f64;
        if ns.is_nan() || ns <= 0.0 {
            SimDuration(0)
        } else if ns >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            SimDuration(round_u64(ns))
        }
    }

    /// Nanoseconds.
    pub fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds as a float, for rates and reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_S as f64
    }

    /// Milliseconds as a float, for reports.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MS as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Saturating: an earlier minus a later instant is zero.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl fmt::Display for SimDuration {
    /// The shortest exact form in the scenario grammar: `250us`, `5ms`,
    /// `90s`, `2m`, `1h`; `0s` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 6] = [
            ("h", 3_600 * NANOS_PER_S),
            ("m", 60 * NANOS_PER_S),
            ("s", NANOS_PER_S),
            ("ms", NANOS_PER_MS),
            ("us", 1_000),
            ("ns", 1),
        ];
        if self.0 == 0 {
            return f.write_str("0s");
        }
        for (name, size) in UNITS {
            if self.0.is_multiple_of(size) {
                return write!(f, "{}{}", self.0 / size, name);
            }
        }
        unreachable!("every duration is a whole number of nanoseconds")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

/// 2^53: below it every integer is a float, and a float's truncation
/// and fraction are exact.
pub const EXACT: f64 = 9_007_199_254_740_992.0;

/// `x.round() as u64` (half away from zero, saturating; NaN and negatives
/// give 0), bit for bit, without the libm call that `f64::round` compiles
/// to on baseline x86-64 (it has no rounding instruction before SSE4.1):
/// the truncation and the fraction are exact below 2^53, and above it
/// every float is already an integer. Below 2^53 (every time a run
/// reaches) it goes through the signed conversions, one instruction each
/// on x86-64, where the unsigned ones take a dozen.
#[inline]
pub fn round_u64(x: f64) -> u64 {
    if (0.0..EXACT).contains(&x) {
        let t = x as i64;
        return if x - t as f64 >= 0.5 {
            t as u64 + 1
        } else {
            t as u64
        };
    }
    round_u64_outside(x)
}

/// [`round_u64`] outside `[0, 2^53)`, out of line (a branch to a call
/// stays a branch).
#[cold]
#[inline(never)]
fn round_u64_outside(x: f64) -> u64 {
    let t = x as u64;
    if x - t as f64 >= 0.5 {
        t.saturating_add(1)
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_picks_the_largest_exact_unit() {
        assert_eq!(SimDuration::from_secs(7200).to_string(), "2h");
        assert_eq!(SimDuration::from_secs(90).to_string(), "90s");
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1500ms");
        assert_eq!(SimDuration::from_nanos(250_000).to_string(), "250us");
        assert_eq!(SimDuration::from_nanos(7).to_string(), "7ns");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn from_secs_f64_rounds_and_clamps() {
        assert_eq!(SimDuration::from_secs_f64(1.5e-9).as_nanos(), 2);
        assert_eq!(SimDuration::from_secs_f64(-3.0).as_nanos(), 0);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN).as_nanos(), 0);
        assert_eq!(SimDuration::from_secs_f64(1e30).as_nanos(), u64::MAX);
    }

    #[test]
    fn subtraction_saturates() {
        assert_eq!(SimTime(5) - SimTime(9), SimDuration::ZERO);
        assert_eq!(SimTime(9) - SimTime(5), SimDuration(4));
    }

    #[test]
    fn round_u64_rounds_exactly_like_f64_round() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.49999999999999994,
            -0.4,
            -0.6,
            -3.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1.8446744073709552e19,
            3e19,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        let mut rng = crate::kernel::rng::from_u64(7);
        let drawn = (0..100_000).map(|i| {
            let x: f64 = rand::RngExt::random(&mut rng);
            // Uniform fractions at scales from 1 to 2^60 ns.
            x * f64::from(1u32 << (i % 30)) * f64::from(1u32 << (i % 31))
        });
        for x in edges.into_iter().chain(drawn) {
            assert_eq!(round_u64(x), x.round() as u64, "{x:e}");
        }
    }
}
