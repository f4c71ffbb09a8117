//! Probability distributions of service times, think times and quantities.
//!
//! [`Dist`] is the validated description (parameters in the quantity's base
//! unit: nanoseconds for times, plain numbers otherwise); [`Sampler`] is its
//! compiled form, built once and sampled on the hot path without allocating.
//! Parameters are checked when a `Dist` is built ([`Dist::sampler`] returns an
//! error naming the bad parameter), so sampling itself cannot fail.

use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal};

use super::rng::SimRng;
use super::time::EXACT;

mod empirical;
pub use empirical::{DataRef, Empirical, Table};

/// A distribution as written in a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always `value`.
    Constant {
        /// The value.
        value: f64,
    },
    /// Exponential with the given mean (memoryless service, Poisson gaps).
    Exponential {
        /// Mean, > 0.
        mean: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound, >= 0.
        min: f64,
        /// Upper bound, >= min.
        max: f64,
    },
    /// Log-normal with the given median and shape `sigma` (of the log).
    LogNormal {
        /// Median, > 0.
        median: f64,
        /// Standard deviation of the logarithm, >= 0.
        sigma: f64,
    },
    /// Gamma with the given mean and coefficient of variation.
    Gamma {
        /// Mean, > 0.
        mean: f64,
        /// Coefficient of variation (sd / mean), > 0.
        cv: f64,
    },
    /// Given by points of its quantile function `(level, value)`: levels
    /// increasing in `[0, 1]` (0 is the minimum, 1 the maximum), values
    /// increasing and above zero. Between points the quantile is linear in
    /// (level, ln value); before the first point and after the last one it
    /// goes on with the first and the last segment's slope.
    Percentiles {
        /// At least two points, in level order.
        points: Vec<(f64, f64)>,
    },
    /// Drawn from data: raw samples, or a histogram's quantile rows.
    Empirical(Arc<Empirical>),
}

/// Why a distribution's parameters are unusable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{param}` {problem}")]
pub struct DistError {
    /// The offending parameter's key.
    pub param: &'static str,
    /// What is wrong with it, lower-case.
    pub problem: &'static str,
}

/// The compiled, ready-to-sample form of a [`Dist`].
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Always the value.
    Constant(f64),
    /// `mean * Exp(1)`.
    Exponential(f64),
    /// `min + width * U[0,1)`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// `max - min`.
        width: f64,
    },
    /// Log-normal.
    LogNormal(LogNormal<f64>),
    /// Gamma.
    Gamma(Gamma<f64>),
    /// Percentiles: levels from 0 to 1 and the logarithms of their values.
    Percentiles {
        /// Levels, `0` first and `1` last.
        levels: Vec<f64>,
        /// `ln` of the value at each level.
        logs: Vec<f64>,
    },
    /// Empirical: a uniform level through the table's quantile function.
    Empirical(Arc<Empirical>),
}

/// A percentiles distribution's points, extended to the levels 0 and 1
/// along the first and last segments: `(levels, ln values)`.
fn extend(points: &[(f64, f64)]) -> (Vec<f64>, Vec<f64>) {
    let mut levels: Vec<f64> = points.iter().map(|p| p.0).collect();
    let mut logs: Vec<f64> = points.iter().map(|p| p.1.ln()).collect();
    let slope = |levels: &[f64], logs: &[f64], i: usize| {
        (logs[i + 1] - logs[i]) / (levels[i + 1] - levels[i])
    };
    if levels[0] > 0.0 {
        let s = slope(&levels, &logs, 0);
        let at0 = logs[0] - s * levels[0];
        levels.insert(0, 0.0);
        logs.insert(0, at0);
    }
    let n = levels.len();
    if levels[n - 1] < 1.0 {
        let s = slope(&levels, &logs, n - 2);
        logs.push(logs[n - 1] + s * (1.0 - levels[n - 1]));
        levels.push(1.0);
    }
    (levels, logs)
}

/// The widest lognormal a scenario may ask for: with sigma 5 the mean is
/// already 268,000 times the median.
pub const MAX_SIGMA: f64 = 5.0;

fn check(ok: bool, param: &'static str, problem: &'static str) -> Result<(), DistError> {
    if ok {
        Ok(())
    } else {
        Err(DistError { param, problem })
    }
}

impl Dist {
    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } | Dist::Gamma { mean, .. } => mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::LogNormal { median, sigma } => median * (sigma * sigma / 2.0).exp(),
            Dist::Percentiles { ref points } => {
                // ∫₀¹ Q(u) du, Q = exp(linear) on each segment: exact.
                let (levels, logs) = extend(points);
                levels
                    .windows(2)
                    .zip(logs.windows(2))
                    .map(|(l, g)| {
                        let (w, rise) = (l[1] - l[0], g[1] - g[0]);
                        if rise.abs() < 1e-12 {
                            w * g[0].exp()
                        } else {
                            w * (g[1].exp() - g[0].exp()) / rise
                        }
                    })
                    .sum()
            }
            Dist::Empirical(ref e) => e.table.mean(),
        }
    }

    /// Checks the parameters and compiles the sampler.
    pub fn sampler(&self) -> Result<Sampler, DistError> {
        let finite = |v: f64, p| check(v.is_finite(), p, "must be a finite number");
        Ok(match *self {
            Dist::Constant { value } => {
                finite(value, "value")?;
                check(value >= 0.0, "value", "must be zero or more")?;
                Sampler::Constant(value)
            }
            Dist::Exponential { mean } => {
                finite(mean, "mean")?;
                check(mean > 0.0, "mean", "must be greater than zero")?;
                Sampler::Exponential(mean)
            }
            Dist::Uniform { min, max } => {
                finite(min, "min")?;
                finite(max, "max")?;
                check(min >= 0.0, "min", "must be zero or more")?;
                check(max >= min, "max", "must be at least `min`")?;
                Sampler::Uniform {
                    min,
                    width: max - min,
                }
            }
            Dist::LogNormal { median, sigma } => {
                finite(median, "median")?;
                finite(sigma, "sigma")?;
                check(median > 0.0, "median", "must be greater than zero")?;
                check(sigma >= 0.0, "sigma", "must be zero or more")?;
                check(
                    sigma <= MAX_SIGMA,
                    "sigma",
                    "must be at most 5 (the documented limit: a wider lognormal's mean and tail are meaningless)",
                )?;
                let d = LogNormal::new(median.ln(), sigma).map_err(|_| DistError {
                    param: "sigma",
                    problem: "is out of range",
                })?;
                Sampler::LogNormal(d)
            }
            Dist::Percentiles { ref points } => {
                check(
                    points.len() >= 2,
                    "dist",
                    "needs at least two points, e.g. p50 and p99",
                )?;
                for (i, &(level, value)) in points.iter().enumerate() {
                    finite(value, "p50")?;
                    check(
                        (0.0..=1.0).contains(&level),
                        "dist",
                        "has a level outside 0..1",
                    )?;
                    check(
                        value > 0.0,
                        "min",
                        "must be greater than zero (values are interpolated in ln t)",
                    )?;
                    if i > 0 {
                        let (l0, v0) = points[i - 1];
                        check(level > l0, "dist", "has its points out of level order")?;
                        check(
                            value > v0,
                            "dist",
                            "must increase from each point to the next",
                        )?;
                    }
                }
                let (levels, logs) = extend(points);
                Sampler::Percentiles { levels, logs }
            }
            Dist::Empirical(ref e) => {
                e.table.check()?;
                Sampler::Empirical(e.clone())
            }
            Dist::Gamma { mean, cv } => {
                finite(mean, "mean")?;
                finite(cv, "cv")?;
                check(mean > 0.0, "mean", "must be greater than zero")?;
                check(cv > 0.0, "cv", "must be greater than zero")?;
                let shape = 1.0 / (cv * cv);
                let d = Gamma::new(shape, mean / shape).map_err(|_| DistError {
                    param: "cv",
                    problem: "is out of range",
                })?;
                Sampler::Gamma(d)
            }
        })
    }
}

impl Sampler {
    /// One draw; never negative.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Exponential(mean) => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            Sampler::Uniform { min, width } => min + width * rng.random::<f64>(),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Percentiles { levels, logs } => {
                let u: f64 = rng.random();
                Self::quantile(levels, logs, u)
            }
            Sampler::Empirical(e) => e.table.quantile(rng.random()),
        }
    }

    /// The quantile at level `u` of a percentiles distribution.
    fn quantile(levels: &[f64], logs: &[f64], u: f64) -> f64 {
        let i = levels
            .partition_point(|&l| l <= u)
            .clamp(1, levels.len() - 1);
        let (l0, l1, g0, g1) = (levels[i - 1], levels[i], logs[i - 1], logs[i]);
        (g0 + (u - l0) * (g1 - g0) / (l1 - l0)).exp()
    }

    /// One draw rounded to a whole number of nanoseconds (for time
    /// distributions, whose parameters are in nanoseconds).
    #[inline]
    pub fn sample_nanos(&self, rng: &mut SimRng) -> u64 {
        let v = self.sample(rng) + 0.5;
        // Round half up (draws are never negative); the float-to-int cast
        // saturates, so huge values clamp to u64::MAX. Below 2^53, the
        // signed cast: the same value in one instruction, not a dozen.
        if (0.0..EXACT).contains(&v) {
            v as i64 as u64
        } else {
            saturating_nanos(v)
        }
    }

    /// True when every draw is zero (lets callers skip scheduling).
    pub fn is_zero(&self) -> bool {
        matches!(self, Sampler::Constant(v) if *v == 0.0)
    }
}

/// `v as u64`, out of line: a draw at or past 2^53 ns (104 days) is rare,
/// and a branch to a call stays a branch, where the compiler would
/// compute both conversions and select one.
#[cold]
#[inline(never)]
fn saturating_nanos(v: f64) -> u64 {
    v as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::from_u64;

    fn moments(d: &Dist, n: usize) -> (f64, f64) {
        let s = d.sampler().expect("valid parameters");
        let mut rng = from_u64(7);
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var.sqrt())
    }

    #[test]
    fn sample_means_match_the_parameters() {
        // n = 200k: the standard error of the mean is sd/447, so 1% of the
        // mean is > 4 standard errors for every case below (cv <= 1).
        let n = 200_000;
        for d in [
            Dist::Exponential { mean: 5.0 },
            Dist::Uniform { min: 2.0, max: 6.0 },
            Dist::LogNormal {
                median: 3.0,
                sigma: 0.5,
            },
            Dist::Gamma { mean: 4.0, cv: 0.5 },
        ] {
            let (mean, _) = moments(&d, n);
            assert!(
                (mean / d.mean() - 1.0).abs() < 0.01,
                "{d:?}: sample mean {mean}, expected {}",
                d.mean()
            );
        }
    }

    #[test]
    fn exponential_and_gamma_have_the_right_spread() {
        let (m, sd) = moments(&Dist::Exponential { mean: 2.0 }, 200_000);
        assert!((sd / m - 1.0).abs() < 0.02, "exponential cv {}", sd / m);
        let (m, sd) = moments(&Dist::Gamma { mean: 2.0, cv: 0.3 }, 200_000);
        assert!((sd / m - 0.3).abs() < 0.01, "gamma cv {}", sd / m);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = Dist::Exponential { mean: 0.0 }.sampler().unwrap_err();
        assert_eq!(e.to_string(), "`mean` must be greater than zero");
        let e = Dist::Uniform { min: 3.0, max: 1.0 }.sampler().unwrap_err();
        assert_eq!(e.param, "max");
        let e = Dist::Gamma {
            mean: 1.0,
            cv: -1.0,
        }
        .sampler()
        .unwrap_err();
        assert_eq!(e.param, "cv");
    }

    #[test]
    fn percentiles_draw_their_points_and_their_exact_mean() {
        // p50 180 ms, p90 400 ms, p99 900 ms, p999 2 s, max 5 s (in ms).
        let points = vec![
            (0.5, 180.0),
            (0.9, 400.0),
            (0.99, 900.0),
            (0.999, 2000.0),
            (1.0, 5000.0),
        ];
        let d = Dist::Percentiles {
            points: points.clone(),
        };
        let s = d.sampler().expect("valid");
        let n = 1_000_000;
        let mut rng = from_u64(11);
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
        for &(p, t) in &points[..4] {
            // The empirical CDF at each point: within 4 binomial errors.
            let below = xs.iter().filter(|&&x| x <= t).count() as f64 / n as f64;
            let tol = 4.0 * (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (below - p).abs() < tol,
                "F({t}) = {below}, want {p} ± {tol}"
            );
        }
        assert!(xs.iter().all(|&x| x <= 5000.0 * (1.0 + 1e-9)));
        // The mean is exact: the sample mean is within 4 standard errors.
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let se = sd / (n as f64).sqrt();
        assert!(
            (mean - d.mean()).abs() < 4.0 * se,
            "mean {mean} vs {} ± {se}",
            d.mean()
        );
        // The quantile function is monotone in the level, and goes on past
        // the first point along the first segment (below p50).
        let Sampler::Percentiles { levels, logs } = &s else {
            panic!()
        };
        let q: Vec<f64> = (0..=1000)
            .map(|i| Sampler::quantile(levels, logs, i as f64 / 1000.0))
            .collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]));
        let slope = (400f64.ln() - 180f64.ln()) / 0.4;
        assert!((q[250] - (180f64.ln() - 0.25 * slope).exp()).abs() < 1e-9);
    }

    #[test]
    fn bad_percentiles_are_refused() {
        let one = Dist::Percentiles {
            points: vec![(0.5, 1.0)],
        };
        assert!(one.sampler().is_err());
        let down = Dist::Percentiles {
            points: vec![(0.5, 2.0), (0.9, 1.0)],
        };
        assert!(down.sampler().is_err());
    }

    #[test]
    fn an_empirical_histogram_draws_linearly_between_its_rows() {
        // Rows (0, 1), (0.5, 3), (1, 4): half the draws uniform on [1, 3],
        // half on [3, 4]; the mean is 0.5·2 + 0.5·3.5 = 2.75.
        let e = Empirical {
            source: DataRef {
                name: "x.hgrm".into(),
                sha256: String::new(),
                unit: None,
                column: None,
            },
            table: Table::Quantiles {
                levels: vec![0.0, 0.5, 1.0],
                values: vec![1.0, 3.0, 4.0],
            },
        };
        assert_eq!(e.table.quantile(0.25), 2.0);
        assert_eq!(e.table.quantile(0.75), 3.5);
        let d = Dist::Empirical(Arc::new(e));
        assert_eq!(d.mean(), 2.75);
        let (mean, sd) = moments(&d, 200_000);
        assert!((mean - 2.75).abs() < 4.0 * sd / 447.0, "{mean}");
        let samples = Table::Samples(vec![1.0, 2.0, 6.0]);
        assert_eq!(samples.mean(), 3.0);
        assert_eq!(samples.quantile(0.999), 6.0);
        assert_eq!(samples.quantile(0.0), 1.0);
        let empty = Dist::Empirical(Arc::new(Empirical {
            source: DataRef {
                name: "y.csv".into(),
                sha256: String::new(),
                unit: None,
                column: None,
            },
            table: Table::Samples(Vec::new()),
        }));
        assert_eq!(empty.sampler().map(|_| ()).unwrap_err().param, "file");
    }
}
