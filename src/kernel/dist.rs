//! Probability distributions of service times, think times and quantities.
//!
//! [`Dist`] is the validated description (parameters in the quantity's base
//! unit: nanoseconds for times, plain numbers otherwise); [`Sampler`] is its
//! compiled form, built once and sampled on the hot path without allocating.
//! Parameters are checked when a `Dist` is built ([`Dist::sampler`] returns an
//! error naming the bad parameter), so sampling itself cannot fail.

use rand::RngExt;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal};

use super::rng::SimRng;

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
        }
    }

    /// One draw rounded to a whole number of nanoseconds (for time
    /// distributions, whose parameters are in nanoseconds).
    #[inline]
    pub fn sample_nanos(&self, rng: &mut SimRng) -> u64 {
        let v = self.sample(rng);
        // Round half up (draws are never negative); the float-to-int cast
        // saturates, so huge values clamp to u64::MAX.
        (v + 0.5) as u64
    }

    /// True when every draw is zero (lets callers skip scheduling).
    pub fn is_zero(&self) -> bool {
        matches!(self, Sampler::Constant(v) if *v == 0.0)
    }
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
}
