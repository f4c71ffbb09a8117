//! Small statistics helpers for replicated runs.

/// Two-sided 95% quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom (exact
/// to three decimals up to 30, then `1.96 + 2.4/df`, within 0.002).
pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T975[df - 1],
        _ => 1.96 + 2.4 / df as f64,
    }
}

/// Mean of `xs` and the half-width of its 95% confidence interval
/// (Student's t over independent replications); `None` with fewer than two.
pub fn mean_ci95(xs: &[f64]) -> Option<(f64, f64)> {
    let n = xs.len();
    if n < 2 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some((mean, t975(n - 1) * (var / n as f64).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_of_known_samples() {
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0, 4.0]).expect("n >= 2");
        assert!((m - 2.5).abs() < 1e-12);
        // sd = 1.2910, se = 0.6455, t(3) = 3.182.
        assert!((h - 3.182 * 0.645_497_224).abs() < 1e-6, "{h}");
        assert_eq!(mean_ci95(&[5.0]), None);
        assert!((t975(60) - 2.000).abs() < 0.002);
    }
}
