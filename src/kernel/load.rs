//! The arrival process of the open model.
//!
//! Sessions arrive as a Poisson process whose rate is piecewise linear in
//! time (a constant rate is one stage). Arrival times are generated exactly
//! by inverting the integrated rate: with unit-rate exponential gaps `E`, the
//! next arrival after `t` is the `t'` where `∫_t^t' λ(s) ds = E`. Within a
//! linear piece that integral is quadratic and solved in closed form, so no
//! thinning and no discretisation error. After the last stage the rate stays
//! at the last stage's value. No arrival is generated at or after `end`.

use rand_distr::{Distribution, Exp1};

use super::rng::SimRng;

/// A piecewise-linear rate profile: `(time_ns, sessions_per_second)` knots.
#[derive(Clone, Debug, PartialEq)]
pub struct RateProfile {
    knots: Vec<(f64, f64)>,
}

impl RateProfile {
    /// A profile from `(time in ns, rate per second)` knots. The caller
    /// (scenario validation) guarantees: at least one knot, the first at 0,
    /// times strictly increasing, rates finite and non-negative.
    pub fn new(knots: Vec<(u64, f64)>) -> Self {
        RateProfile {
            knots: knots
                .into_iter()
                .map(|(t, r)| (t as f64, r / 1e9))
                .collect(),
        }
    }

    /// A constant rate per second.
    pub fn constant(rate_per_s: f64) -> Self {
        Self::new(vec![(0, rate_per_s)])
    }

    /// Index of the piece containing `t`.
    fn segment(&self, t: f64) -> usize {
        self.knots
            .partition_point(|&(k, _)| k <= t)
            .saturating_sub(1)
    }

    /// Expected number of arrivals in `[a, b)` (times in ns).
    pub fn expected_between(&self, a: f64, b: f64) -> f64 {
        let mut total = 0.0;
        let mut t = a;
        while t < b {
            let i = self.segment(t);
            let seg_end = self.knots.get(i + 1).map_or(f64::INFINITY, |k| k.0);
            let u = seg_end.min(b);
            total += (self.rate_on(i, t) + self.rate_on(i, u)) / 2.0 * (u - t);
            t = u;
        }
        total
    }

    /// Rate per nanosecond at `t` on piece `i` (at a knot: the limit from
    /// inside piece `i`).
    fn rate_on(&self, i: usize, t: f64) -> f64 {
        let (t0, r0) = self.knots[i];
        match self.knots.get(i + 1) {
            Some(&(t1, r1)) => r0 + (r1 - r0) * (t - t0) / (t1 - t0),
            None => r0,
        }
    }

    /// The first arrival strictly after `from` and before `end` (both ns),
    /// consuming one unit exponential from `rng`.
    #[inline]
    pub fn next_after(&self, from: f64, end: f64, rng: &mut SimRng) -> Option<f64> {
        let mut e: f64 = Exp1.sample(rng);
        if let [(_, r)] = self.knots[..] {
            // One knot: the constant rate, the general loop's one piece
            // (slope 0, to `end`) with the same arithmetic, without the
            // search for it.
            if from < end {
                let area = r * (end - from);
                if e <= area {
                    let at = from + e / r;
                    return (at < end).then_some(at);
                }
            }
            return None;
        }
        let mut t = from;
        let mut i = self.segment(t);
        while t < end {
            let (t0, r0) = self.knots[i];
            let (seg_end, slope) = match self.knots.get(i + 1) {
                Some(&(t1, r1)) => (t1.min(end), (r1 - r0) / (t1 - t0)),
                None => (end, 0.0),
            };
            let r = r0 + slope * (t - t0);
            let len = seg_end - t;
            let area = r * len + slope * len * len / 2.0;
            if e <= area && slope == 0.0 {
                let at = t + e / r;
                return (at < end).then_some(at);
            }
            if e <= area {
                // Solve slope/2 x² + r x = e in the cancellation-free form.
                let disc = (r * r + 2.0 * slope * e).max(0.0);
                let denom = r + disc.sqrt();
                if denom > 0.0 {
                    let x = (2.0 * e / denom).min(len);
                    let at = t + x;
                    return (at < end).then_some(at);
                }
            }
            e -= area;
            t = seg_end;
            i = (i + 1).min(self.knots.len() - 1);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::from_u64;

    const S: f64 = 1e9;

    fn arrivals(p: &RateProfile, end: f64, seed: u64) -> Vec<f64> {
        let mut rng = from_u64(seed);
        let mut out = Vec::new();
        let mut t = 0.0;
        while let Some(a) = p.next_after(t, end, &mut rng) {
            assert!(a > t && a < end);
            out.push(a);
            t = a;
        }
        out
    }

    #[test]
    fn constant_rate_gives_poisson_counts() {
        let p = RateProfile::constant(100.0);
        let xs = arrivals(&p, 1000.0 * S, 1);
        // Expected 100k, sd sqrt(100k) = 316; 4 sd.
        assert!(
            (xs.len() as f64 - 100_000.0).abs() < 1_300.0,
            "{}",
            xs.len()
        );
        // Gaps are exponential: their cv is 1 (sd of the estimate ~0.5%).
        let gaps: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
        let m = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let sd = (gaps.iter().map(|g| (g - m).powi(2)).sum::<f64>() / gaps.len() as f64).sqrt();
        assert!((sd / m - 1.0).abs() < 0.03, "cv {}", sd / m);
    }

    #[test]
    fn stages_produce_the_intended_counts_per_interval() {
        // 20/s for 10 min, ramp to 400/s over 1 min, hold, then down to 0.
        let p = RateProfile::new(vec![
            (0, 20.0),
            (600 * S as u64, 20.0),
            (660 * S as u64, 400.0),
            (1200 * S as u64, 400.0),
            (1260 * S as u64, 0.0),
        ]);
        let end = 1300.0 * S;
        let xs = arrivals(&p, end, 3);
        let bucket = 20.0 * S;
        let n = (end / bucket) as usize;
        let mut counts = vec![0u64; n];
        for a in xs {
            counts[(a / bucket) as usize] += 1;
        }
        for (k, &c) in counts.iter().enumerate() {
            let lo = k as f64 * bucket;
            let expected = p.expected_between(lo, lo + bucket);
            // Poisson: 5 sd plus one to allow empty buckets.
            let tol = 5.0 * expected.sqrt() + 1.0;
            assert!(
                (c as f64 - expected).abs() <= tol,
                "bucket {k}: {c} arrivals, expected {expected:.1} ± {tol:.1}"
            );
        }
        assert_eq!(counts[n - 1], 0, "rate is zero after the ramp down");
    }

    #[test]
    fn expected_between_integrates_the_ramp() {
        let p = RateProfile::new(vec![(0, 0.0), (10 * S as u64, 10.0)]);
        // Triangle 0→10/s over 10 s = 50, then 10/s for 5 s = 50.
        let e = p.expected_between(0.0, 15.0 * S);
        assert!((e - 100.0).abs() < 1e-9, "{e}");
    }

    #[test]
    fn zero_rate_ends_the_process() {
        let p = RateProfile::constant(0.0);
        assert_eq!(arrivals(&p, 10.0 * S, 1).len(), 0);
    }
}
