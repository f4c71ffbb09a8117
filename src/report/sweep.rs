//! `sweep.csv`: one row per point of a parameter grid, and the cheapest
//! point that passes every threshold.

use super::Report;
use super::csv::{f3, f6, render_rows};

/// Metrics of each point in `sweep.csv`, after the varied keys.
pub const SWEEP_METRICS: [&str; 8] = [
    "ALL.mean_ms",
    "ALL.p50_ms",
    "ALL.p95_ms",
    "ALL.p99_ms",
    "ALL.error_rate",
    "ALL.throughput_per_s",
    "checkout.p99_ms",
    "cache.hit_rate",
];

/// One point of the grid and what its run gave.
#[derive(Clone, Debug)]
pub struct Point {
    /// `point-001`, …: the point's report directory under the sweep's.
    pub name: String,
    /// `(key, value as given)` for every varied key.
    pub values: Vec<(String, String)>,
    /// The cost that ranks passing points.
    pub cost: f64,
    /// The point's metrics (`NaN` where a metric does not exist).
    pub metrics: Vec<f64>,
    /// `Some(pass)` when the scenario has thresholds, or the point
    /// diverged (`Some(false)`).
    pub pass: Option<bool>,
}

impl Point {
    /// A point from its report.
    pub fn new(name: String, values: Vec<(String, String)>, cost: f64, report: &Report) -> Point {
        let m = report.metrics();
        Point {
            name,
            values,
            cost,
            metrics: SWEEP_METRICS
                .iter()
                .map(|k| m.get(*k).copied().unwrap_or(f64::NAN))
                .collect(),
            // A point that diverged never passes: its queue grew without
            // bound, whatever its partial numbers say.
            pass: if report.run.diverged.is_some() {
                Some(false)
            } else {
                (!report.thresholds.is_empty()).then(|| report.thresholds_pass())
            },
        }
    }

    /// True when every threshold passed (or there are none).
    pub fn passes(&self) -> bool {
        self.pass != Some(false)
    }
}

/// The cheapest passing point (ties: the earlier point).
pub fn cheapest(points: &[Point]) -> Option<&Point> {
    points
        .iter()
        .filter(|p| p.passes())
        .fold(None, |best: Option<&Point>, p| match best {
            Some(b) if b.cost <= p.cost => Some(b),
            _ => Some(p),
        })
}

/// The header of `sweep.csv`: `point`, each varied key, `cost`, the
/// metrics, `pass`.
pub fn header(keys: &[String]) -> Vec<&str> {
    std::iter::once("point")
        .chain(keys.iter().map(String::as_str))
        .chain(["cost"])
        .chain(SWEEP_METRICS)
        .chain(["pass"])
        .collect()
}

/// The fields of a `sweep.csv` row, as written.
pub fn fields(p: &Point) -> Vec<String> {
    let mut row = vec![p.name.clone()];
    row.extend(p.values.iter().map(|(_, v)| v.clone()));
    row.push(f3(p.cost));
    for (k, v) in SWEEP_METRICS.iter().zip(&p.metrics) {
        row.push(if v.is_nan() {
            String::new()
        } else if k.ends_with("_ms") || k.ends_with("_per_s") {
            f3(*v)
        } else {
            f6(*v)
        });
    }
    row.push(p.pass.map_or(String::new(), |b| b.to_string()));
    row
}

/// `sweep.csv`.
pub fn csv(keys: &[String], points: &[Point]) -> Vec<u8> {
    render_rows(&header(keys), points.iter().map(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, cost: f64, pass: Option<bool>) -> Point {
        Point {
            name: name.into(),
            values: vec![],
            cost,
            metrics: vec![f64::NAN; SWEEP_METRICS.len()],
            pass,
        }
    }

    #[test]
    fn cheapest_passing_point_wins_and_ties_keep_the_first() {
        let pts = [
            point("a", 10.0, Some(false)),
            point("b", 20.0, Some(true)),
            point("c", 15.0, Some(true)),
            point("d", 15.0, Some(true)),
        ];
        assert_eq!(cheapest(&pts).map(|p| p.name.as_str()), Some("c"));
        assert!(cheapest(&[point("a", 1.0, Some(false))]).is_none());
        assert_eq!(
            cheapest(&[point("a", 5.0, None), point("b", 3.0, None)]).map(|p| p.name.as_str()),
            Some("b")
        );
    }
}
