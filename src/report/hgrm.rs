//! HdrHistogram percentile-distribution text (`.hgrm`), in milliseconds.
//!
//! The layout of HdrHistogram's `outputPercentileDistribution` with five
//! ticks per half-distance, so files load in the HdrHistogram plotter.
//! [`parse`] (in `metrics::hgrm`) reads the rows back (for `compare --html`
//! and empirical distributions); [`distribution`] gives the same rows
//! without the text round trip (for `report.html`).

use std::fmt::Write;

use hdrhistogram::Histogram;

pub use crate::metrics::hgrm::{Row, parse};

/// The percentile distribution of `h` (values in ns), five steps per
/// halving of the distance to 100%: the rows of [`render`].
pub fn distribution(h: &Histogram<u64>) -> Vec<Row> {
    let mut rows = Vec::new();
    if h.is_empty() {
        return rows;
    }
    let mut total = 0u64;
    for v in h.iter_quantiles(5) {
        total += v.count_since_last_iteration();
        rows.push(Row {
            value_ms: v.value_iterated_to() as f64 / 1e6,
            quantile: v.quantile_iterated_to(),
            total,
        });
    }
    rows
}

/// `h.mean()` and `h.stdev()`, to the bit, from one walk of the buckets
/// instead of three (each walk visits every bucket up to the maximum: most
/// of a short run's report).
fn mean_and_stdev(h: &Histogram<u64>) -> (f64, f64) {
    if h.is_empty() {
        return (0.0, 0.0);
    }
    let recorded: Vec<(f64, f64)> = h
        .iter_recorded()
        .map(|v| {
            let at = h.median_equivalent(v.value_iterated_to()) as f64;
            (at, v.count_at_value() as f64)
        })
        .collect();
    // The same folds, in the same order, as hdrhistogram's.
    let n = h.len() as f64;
    let mean = recorded.iter().fold(0.0, |t, &(at, c)| t + at * c / n);
    let dev = recorded.iter().fold(0.0, |t, &(at, c)| {
        let d = at - mean;
        t + (d * d) * c
    });
    (mean, (dev / n).sqrt())
}

/// Renders `h` (values in ns) with values in ms.
pub fn render(h: &Histogram<u64>) -> String {
    let mut out = String::new();
    let scale = 1e6;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    for Row {
        value_ms: value,
        quantile: q,
        total,
    } in distribution(h)
    {
        if q < 1.0 {
            let _ = writeln!(
                out,
                "{value:12.3} {q:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(out, "{value:12.3} {q:2.12} {total:10}");
        }
    }
    let (mean, sd) = mean_and_stdev(h);
    let (mean, sd, max) = (mean / scale, sd / scale, h.max() as f64 / scale);
    let _ = writeln!(out, "#[Mean    = {mean:12.3}, StdDeviation   = {sd:12.3}]");
    let _ = writeln!(
        out,
        "#[Max     = {max:12.3}, Total count    = {:12}]",
        h.len()
    );
    let sub_buckets = (2 * 10u64.pow(h.sigfig() as u32)).next_power_of_two();
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {sub_buckets:12}]",
        h.buckets()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::latency_histogram;

    #[test]
    fn renders_percentiles_in_ms() {
        let mut h = latency_histogram();
        for v in 1..=1000u64 {
            h.record(v * 1_000_000).expect("in range");
        }
        let text = render(&h);
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"));
        let last = text
            .lines()
            .rfind(|l| !l.starts_with('#') && !l.is_empty())
            .expect("rows");
        assert!(last.contains("1.000000000000"), "{last}");
        assert!(
            last.trim_start().starts_with("1000."),
            "max ~1000 ms: {last}"
        );
        assert!(text.contains("Total count    =         1000"));
    }

    #[test]
    fn mean_and_stdev_are_hdrhistograms_to_the_bit() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let mut h = latency_histogram();
        assert_eq!(mean_and_stdev(&h), (0.0, 0.0));
        for n in [1, 10, 1_000, 100_000] {
            for _ in 0..n {
                let ns = (rng.random::<f64>().powi(4) * 1e10) as u64 + 1;
                h.record_n(ns, rng.random_range(1..5)).expect("in range");
            }
            let (mean, sd) = mean_and_stdev(&h);
            assert_eq!(mean.to_bits(), h.mean().to_bits(), "{n}");
            assert_eq!(sd.to_bits(), h.stdev().to_bits(), "{n}");
        }
    }

    #[test]
    fn parse_reads_back_what_render_wrote() {
        let mut h = latency_histogram();
        for v in 1..=1000u64 {
            h.record(v * 1_000_000).expect("in range");
        }
        let rows = parse(&render(&h)).expect("parses");
        let direct = distribution(&h);
        assert_eq!(rows.len(), direct.len());
        for (a, b) in rows.iter().zip(&direct) {
            assert!((a.value_ms - b.value_ms).abs() < 5e-4, "{a:?} {b:?}");
            assert!((a.quantile - b.quantile).abs() < 1e-11);
            assert_eq!(a.total, b.total);
        }
        assert_eq!(rows.last().map(|r| r.quantile), Some(1.0));
        assert!(
            parse(&render(&latency_histogram()))
                .expect("empty")
                .is_empty()
        );
    }
}
