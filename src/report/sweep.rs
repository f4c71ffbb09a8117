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

/// What ranks the points: `sweep.csv`'s last column, `cost_of`, names it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CostOf {
    /// The total workers of the stations the scenario uses (no `--cost`).
    #[default]
    Workers,
    /// A scenario key's value, known before the run.
    Key(String),
    /// A report metric (`business.cost`, `stations.NAME.COLUMN`, …),
    /// measured by the point's run.
    Metric(String),
}

impl CostOf {
    /// As `sweep.csv`'s `cost_of` column writes it: `workers`,
    /// `key:KEY` or `metric:NAME`.
    pub fn label(&self) -> String {
        match self {
            CostOf::Workers => "workers".into(),
            CostOf::Key(k) => format!("key:{k}"),
            CostOf::Metric(m) => format!("metric:{m}"),
        }
    }

    /// The cost of a point: `planned` (from the scenario), or the measured
    /// metric of its report (`NaN` when the report lacks it).
    pub fn cost(&self, planned: f64, report: &Report) -> f64 {
        match self {
            CostOf::Metric(m) => report.metrics().get(m).copied().unwrap_or(f64::NAN),
            _ => planned,
        }
    }
}

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
    /// What the cost is (`sweep.csv`'s `cost_of`).
    pub cost_of: String,
}

impl Point {
    /// A point from its report.
    pub fn new(name: String, values: Vec<(String, String)>, cost: f64, report: &Report) -> Point {
        let m = report.metrics();
        Point {
            name,
            values,
            cost,
            cost_of: String::new(),
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

/// The cheapest passing point (ties: the earlier point); a point whose
/// cost could not be measured is never the cheapest.
pub fn cheapest(points: &[Point]) -> Option<&Point> {
    points
        .iter()
        .filter(|p| p.passes() && !p.cost.is_nan())
        .fold(None, |best: Option<&Point>, p| match best {
            Some(b) if b.cost <= p.cost => Some(b),
            _ => Some(p),
        })
}

/// The header of `sweep.csv`: `point`, each varied key, `cost`, the
/// metrics, `pass`, and `cost_of` (what the cost is, added last).
pub fn header(keys: &[String]) -> Vec<&str> {
    std::iter::once("point")
        .chain(keys.iter().map(String::as_str))
        .chain(["cost"])
        .chain(SWEEP_METRICS)
        .chain(["pass", "cost_of"])
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
    row.push(p.cost_of.clone());
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
            cost_of: "workers".into(),
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
        // A measured cost the report lacked (NaN) never wins.
        assert_eq!(
            cheapest(&[point("a", f64::NAN, None), point("b", 9.0, None)]).map(|p| p.name.as_str()),
            Some("b")
        );
        assert_eq!(
            CostOf::Metric("business.cost".into()).label(),
            "metric:business.cost"
        );
        assert_eq!(
            CostOf::Key("stations.payment.workers".into()).label(),
            "key:stations.payment.workers"
        );
    }
}
