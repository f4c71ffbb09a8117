//! Client policies on a call: what the caller of a route step does when
//! the answer is slow or an error (`timeout`, `retry`, `breaker` on a step).
//!
//! A step that carries a policy is one *call site*: the scenario's route
//! table compiles it into a group step (`Step::Group`) whose `policy` indexes
//! [`CallPolicy`]s. Its retry budget and its circuit breaker are state of
//! the call site, shared by every session; the model keeps that state.
//! Pure values and pure functions here: the backoff schedule and the retry
//! kinds.

use crate::contract::ErrorKind;
use crate::kernel::time::SimDuration;

/// Index of a call site's policy in the scenario's policy table.
pub type PolicyId = u16;

/// A group step without a policy.
pub const NO_POLICY: PolicyId = u16::MAX;

/// The client policies of one call site.
#[derive(Clone, Debug, PartialEq)]
pub struct CallPolicy {
    /// The call site's name: the path of its step in the scenario (e.g.
    /// `operations.storefront.route.1`), used in gauges and messages.
    pub site: String,
    /// Each attempt fails with `timeout` after this long; the server keeps
    /// the abandoned work unless `cancel`.
    pub timeout: Option<SimDuration>,
    /// A timed-out attempt is cancelled: it leaves its queue (a call in
    /// service finishes).
    pub cancel: bool,
    /// Retries after an error.
    pub retry: Option<Retry>,
    /// A circuit breaker in front of every attempt.
    pub breaker: Option<Breaker>,
}

/// `retry = { attempts, on, backoff, budget }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    /// Calls in all, the first included (4: up to 3 retries).
    pub attempts: u16,
    /// Error kinds retried: bit `k.index()` set.
    pub on: u32,
    /// Delay before each retry (`None`: sent at once).
    pub backoff: Option<Backoff>,
    /// A retry budget for the call site.
    pub budget: Option<Budget>,
}

/// The error kinds retried by default: the ones a retry can cure.
pub const RETRYABLE: [ErrorKind; 5] = [
    ErrorKind::Timeout,
    ErrorKind::Rejected,
    ErrorKind::Unavailable,
    ErrorKind::Failed,
    ErrorKind::Shed,
];

impl Retry {
    /// The set of `kinds` as a bit mask.
    pub fn mask(kinds: &[ErrorKind]) -> u32 {
        kinds.iter().fold(0, |m, k| m | 1 << k.index())
    }

    /// Is an error of kind `k` retried?
    #[inline]
    pub fn retries(&self, k: ErrorKind) -> bool {
        self.on & (1 << k.index()) != 0
    }
}

/// `backoff = { base, multiplier, max, jitter }`: the `k`-th retry waits
/// `d_k = min(max, base · multiplier^(k−1))`, jittered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first retry's delay.
    pub base: SimDuration,
    /// Growth per retry (default 2).
    pub multiplier: f64,
    /// The longest delay (default 30 s).
    pub max: SimDuration,
    /// How the delay is randomised.
    pub jitter: Jitter,
}

/// Jitter of a backoff, as on the AWS Architecture Blog ("Exponential
/// Backoff And Jitter").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly `d_k`.
    None,
    /// Uniform on `[0, d_k)`.
    Full,
    /// `d_k/2` plus uniform on `[0, d_k/2)`.
    Equal,
    /// `min(max, uniform(base, 3 · previous delay))`, the first previous
    /// delay being `base`.
    Decorrelated,
}

impl Jitter {
    /// Names in scenarios.
    pub const NAMES: [&'static str; 4] = ["none", "full", "equal", "decorrelated"];

    /// The jitter called `name`.
    pub fn from_name(name: &str) -> Option<Jitter> {
        Some(match name {
            "none" => Jitter::None,
            "full" => Jitter::Full,
            "equal" => Jitter::Equal,
            "decorrelated" => Jitter::Decorrelated,
            _ => return None,
        })
    }

    /// The name in scenarios.
    pub fn name(self) -> &'static str {
        Jitter::NAMES[self as usize]
    }
}

impl Backoff {
    /// The un-jittered delay before retry `k` (1 for the first retry), ns:
    /// `min(max, base · multiplier^(k−1))`.
    pub fn nominal(&self, k: u32) -> u64 {
        let d = self.base.as_nanos() as f64 * self.multiplier.powi(k as i32 - 1);
        let max = self.max.as_nanos();
        if d.is_finite() && d < max as f64 {
            d as u64
        } else {
            max
        }
    }

    /// The delay before retry `k`, ns, from uniform draw `u` in `[0, 1)`
    /// and the previous delay `prev` (ns; 0 before the first retry). No
    /// jitter ignores `u`.
    pub fn delay(&self, k: u32, u: f64, prev: u64) -> u64 {
        let d = self.nominal(k) as f64;
        match self.jitter {
            Jitter::None => d as u64,
            Jitter::Full => (u * d) as u64,
            Jitter::Equal => (d / 2.0 + u * d / 2.0) as u64,
            Jitter::Decorrelated => {
                let base = self.base.as_nanos() as f64;
                let prev = if prev == 0 { base } else { prev as f64 };
                let hi = (3.0 * prev).max(base);
                let x = base + u * (hi - base);
                (x.min(self.max.as_nanos() as f64)) as u64
            }
        }
    }
}

/// `budget = { ratio, min_per_s, ttl }`, after Finagle's RetryBudget: each
/// first attempt deposits `ratio` tokens that expire after `ttl`; a retry
/// takes one; `min_per_s` retries a second are always allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Tokens per first attempt (default 0.2).
    pub ratio: f64,
    /// Retries a second allowed whatever the ratio (default 10).
    pub min_per_s: f64,
    /// How long a deposit lasts (default 10 s).
    pub ttl: SimDuration,
}

/// `breaker = { window, min_requests, failure_rate, open_for, half_open }`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Breaker {
    /// The sliding window over which the failure rate is measured
    /// (default 10 s).
    pub window: SimDuration,
    /// Calls the window must hold before the breaker may open (default 20).
    pub min_requests: u32,
    /// The failure share that opens it (default 0.5).
    pub failure_rate: f64,
    /// How long it stays open before probing (default 5 s).
    pub open_for: SimDuration,
    /// Probes let through half-open; all must succeed to close (default 3).
    pub half_open: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff(jitter: Jitter) -> Backoff {
        Backoff {
            base: SimDuration::from_millis(50),
            multiplier: 2.0,
            max: SimDuration::from_millis(300),
            jitter,
        }
    }

    #[test]
    fn nominal_delays_grow_geometrically_up_to_max() {
        let b = backoff(Jitter::None);
        let ms: Vec<u64> = (1..=5).map(|k| b.delay(k, 0.7, 0) / 1_000_000).collect();
        assert_eq!(ms, [50, 100, 200, 300, 300]);
    }

    #[test]
    fn jitters_stay_in_their_ranges() {
        let d = 200_000_000.0; // retry 3
        assert_eq!(backoff(Jitter::Full).delay(3, 0.0, 0), 0);
        assert_eq!(backoff(Jitter::Full).delay(3, 0.5, 0), (d / 2.0) as u64);
        assert_eq!(backoff(Jitter::Equal).delay(3, 0.0, 0), (d / 2.0) as u64);
        assert_eq!(backoff(Jitter::Equal).delay(3, 0.5, 0), (0.75 * d) as u64);
        let dec = backoff(Jitter::Decorrelated);
        // uniform(base, 3 · prev), capped at max.
        assert_eq!(dec.delay(1, 0.0, 0), 50_000_000);
        assert_eq!(dec.delay(2, 0.5, 60_000_000), 115_000_000);
        assert_eq!(dec.delay(9, 0.99, 290_000_000), 300_000_000);
    }

    #[test]
    fn default_retry_kinds() {
        let r = Retry {
            attempts: 4,
            on: Retry::mask(&RETRYABLE),
            backoff: None,
            budget: None,
        };
        assert!(r.retries(ErrorKind::Timeout) && r.retries(ErrorKind::Shed));
        assert!(!r.retries(ErrorKind::CircuitOpen) && !r.retries(ErrorKind::OutOfStock));
    }
}
