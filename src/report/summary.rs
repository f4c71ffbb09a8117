//! The summary of a run (`summary.csv`) and replications folded into one
//! report.
//!
//! A summary row is computed from one result's [`OpStats`]: rates divide
//! by the measured window, so for merged replications (whose counts and
//! windows both add) they are pooled averages. [`Replicas`] keeps the
//! exact merge and each replication's own rows, from which the 95%
//! confidence-interval columns are computed, and where each one ended
//! (the length of its last time-series interval).

use super::{SummaryRow, ms, ratio};
use crate::contract::names::ALL;
use crate::metrics::result::RunResult;
use crate::metrics::{OpStats, stats};
use crate::scenario::Scenario;

fn summary_row(operation: &str, s: &OpStats, window_s: f64) -> SummaryRow {
    let q = |p: f64| {
        if s.count == 0 {
            0.0
        } else {
            ms(s.latency.value_at_quantile(p))
        }
    };
    SummaryRow {
        operation: operation.to_owned(),
        count: s.count,
        errors: s.errors,
        error_rate: ratio(s.errors as f64, s.count as f64),
        throughput_per_s: ratio(s.count as f64, window_s),
        mean_ms: s.mean_ns() / 1e6,
        p50_ms: q(0.5),
        p90_ms: q(0.9),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        max_ms: if s.count == 0 {
            0.0
        } else {
            ms(s.latency.max())
        },
        ci95: None,
        attempts: s.count + s.retries,
        goodput_per_s: ratio(s.count.saturating_sub(s.errors) as f64, window_s),
    }
}

/// Summary rows (reachable operations, then `ALL`) of one result, and the
/// merged `ALL` statistics.
pub(super) fn summary_rows(sc: &Scenario, result: &RunResult) -> (Vec<SummaryRow>, OpStats) {
    let window_s = result.window_ns as f64 / 1e9;
    let mut all = OpStats::default();
    let mut rows = Vec::new();
    for op in sc.reachable_ops() {
        let s = &result.ops[op.index()];
        all.merge(s);
        rows.push(summary_row(sc.op_name(op), s, window_s));
    }
    rows.push(summary_row(ALL, &all, window_s));
    (rows, all)
}

/// Fills the confidence-interval columns of `rows` from the same rows of
/// each replication.
pub(super) fn add_ci(rows: &mut [SummaryRow], per_run: &[Vec<SummaryRow>]) {
    for (i, row) in rows.iter_mut().enumerate() {
        let metric = |f: fn(&SummaryRow) -> f64| {
            let xs: Vec<f64> = per_run.iter().map(|r| f(&r[i])).collect();
            stats::mean_ci95(&xs).map_or(0.0, |(_, h)| h)
        };
        row.ci95 = Some([
            metric(|r| r.mean_ms),
            metric(|r| r.p50_ms),
            metric(|r| r.p95_ms),
            metric(|r| r.p99_ms),
            metric(|r| r.throughput_per_s),
            metric(|r| r.error_rate),
        ]);
    }
}

/// Replications folded one by one, in replication order, into what the
/// report needs: their exact merge and, per replication, its summary rows
/// (for the confidence intervals). Holds one merged result however many
/// replications there are.
#[derive(Clone, Debug)]
pub struct Replicas {
    merged: RunResult,
    pub(super) per_run: Vec<Vec<SummaryRow>>,
    /// Each replication's last event, seconds: where its measured window
    /// and its last time-series interval end.
    pub(super) ends_s: Vec<f64>,
}

impl Replicas {
    /// The first replication of `sc`.
    pub fn new(sc: &Scenario, first: RunResult) -> Replicas {
        Replicas {
            per_run: vec![summary_rows(sc, &first).0],
            ends_s: vec![first.end.as_secs_f64()],
            merged: first,
        }
    }

    /// Folds in the next replication of `sc`.
    pub fn add(&mut self, sc: &Scenario, run: RunResult) {
        self.per_run.push(summary_rows(sc, &run).0);
        self.ends_s.push(run.end.as_secs_f64());
        self.merged.merge(&run);
    }

    /// Folds `run` into `into`, starting it with the first.
    pub fn fold(into: &mut Option<Replicas>, sc: &Scenario, run: RunResult) {
        match into {
            Some(r) => r.add(sc, run),
            None => *into = Some(Replicas::new(sc, run)),
        }
    }

    /// The merge so far.
    pub fn merged(&self) -> &RunResult {
        &self.merged
    }

    /// Marks the merge partial: fewer replications than asked were run.
    pub fn mark_partial(&mut self) {
        self.merged.interrupted = true;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Report, fixture};
    use super::*;
    use crate::contract::action::Action::{Search, ViewProduct};

    fn row<'a>(rows: &'a [SummaryRow], op: &str) -> &'a SummaryRow {
        rows.iter().find(|r| r.operation == op).expect("row")
    }

    #[test]
    fn attempts_add_retries_and_goodput_counts_successes_per_second() {
        let sc = fixture::scenario("");
        let mut r = fixture::empty(&sc, 40.0);
        fixture::record(&mut r, ViewProduct, 70, 30, 25);
        fixture::record(&mut r, Search, 20, 0, 5);
        let (rows, _) = summary_rows(&sc, &r);
        let vp = row(&rows, "view_product");
        assert_eq!(vp.attempts, 125, "100 requests + 25 retries");
        assert_eq!(vp.goodput_per_s, 70.0 / 40.0);
        assert_eq!(vp.throughput_per_s, 100.0 / 40.0);
        let all = row(&rows, ALL);
        assert_eq!(all.attempts, 150);
        assert_eq!(all.goodput_per_s, 90.0 / 40.0);
    }

    #[test]
    fn replications_pool_attempts_and_goodput_like_throughput() {
        let sc = fixture::scenario("");
        let mut a = fixture::empty(&sc, 40.0);
        fixture::record(&mut a, ViewProduct, 70, 30, 25);
        let mut b = fixture::empty(&sc, 60.0);
        fixture::record(&mut b, ViewProduct, 110, 10, 0);
        let report = Report::build(&sc, &[a, b], String::new(), 0.0);
        for op in ["view_product", ALL] {
            let r = row(&report.summary, op);
            assert_eq!(r.attempts, 245, "{op}: 220 requests + 25 retries");
            // Successes over the summed windows, as throughput divides
            // requests: 180 / 100 s.
            assert_eq!(r.goodput_per_s, 1.8, "{op}");
            assert_eq!(r.throughput_per_s, 2.2, "{op}");
        }
    }
}
