//! The report: every number a run produced, as rows, and its files.
//!
//! [`Report::build`] turns a run's raw measurements into the rows of the
//! report contract (DESIGN.md); [`Report::files`] renders them as CSV,
//! `.hgrm`, JSON and one self-contained HTML page; `atomic` writes them. Rows are in a fixed order
//! (operations in action order, stations in scenario order), and numbers
//! have a fixed number of decimals, so equal runs give equal bytes.

pub mod atomic;
pub mod compare;
pub mod console;
pub mod csv;
pub mod hgrm;
pub mod html;
pub mod invariants;
pub mod sweep;
pub mod thresholds;

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::contract::ErrorKind;
use crate::contract::action::Action;
use crate::contract::business::InvariantResult;
use crate::metrics::result::RunResult;
use crate::metrics::series::SeriesRow;
use crate::metrics::{OpStats, stats};
use crate::scenario::Scenario;

/// The name of the all-operations row.
pub const ALL: &str = "ALL";

/// A row of `summary.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Operation name or `ALL`.
    pub operation: String,
    /// Completed requests.
    pub count: u64,
    /// Failed requests.
    pub errors: u64,
    /// errors / count.
    pub error_rate: f64,
    /// count / measured seconds.
    pub throughput_per_s: f64,
    /// Mean latency.
    pub mean_ms: f64,
    /// Percentiles and maximum of latency.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
    /// With replications: 95% CI half-widths of mean, p50, p95, p99,
    /// throughput and error rate (the [`csv::SUMMARY_CI`] columns).
    pub ci95: Option<[f64; 6]>,
}

/// A row of `stations.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct StationRow {
    /// Station instance name.
    pub station: String,
    /// Workers.
    pub workers: u32,
    /// Requests that started service.
    pub served: u64,
    /// Requests turned away (queue full).
    pub rejected: u64,
    /// Requests that gave up waiting.
    pub timed_out: u64,
    /// Busy worker-time over available worker-time.
    pub utilization: f64,
    /// Mean wait of served and timed-out requests.
    pub mean_wait_ms: f64,
    /// 99th percentile of that wait.
    pub p99_wait_ms: f64,
    /// Time-average number waiting.
    pub mean_queue_len: f64,
    /// Most waiting at once.
    pub max_queue_len: u32,
}

/// A row of `cache.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheRow {
    /// Cache name.
    pub cache: String,
    /// Lookups.
    pub lookups: u64,
    /// Hits.
    pub hits: u64,
    /// Misses.
    pub misses: u64,
    /// hits / lookups.
    pub hit_rate: f64,
    /// Entries evicted for room.
    pub evictions: u64,
    /// Entries found expired.
    pub expirations: u64,
}

/// A row of `errors.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorRow {
    /// Operation name.
    pub operation: String,
    /// Error kind label.
    pub kind: String,
    /// How many.
    pub count: u64,
}

/// Facts about the run itself, for `run.json` and the console.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Scenario description (may be empty).
    pub description: String,
    /// Arrivals stop after this many seconds of virtual time.
    pub duration_s: f64,
    /// Seconds at the start excluded from every statistic.
    pub warmup_s: f64,
    /// Length of a time-series interval, seconds.
    pub report_interval_s: f64,
    /// Seed used.
    pub seed: u64,
    /// `virtual` or `wall`.
    pub clock: String,
    /// True when the run was interrupted and the report is partial.
    pub partial: bool,
    /// Events processed.
    pub events: u64,
    /// Virtual time at the end, seconds.
    pub sim_end_s: f64,
    /// Wall-clock seconds the run took.
    pub elapsed_s: f64,
    /// Sessions started in the measured window.
    pub sessions: u64,
    /// Replications merged into the report.
    pub replications: u32,
    /// Wall-clock facts (lag, contention) of a wall or stress run.
    pub wall: Option<crate::metrics::result::WallFacts>,
}

/// Everything a report holds.
#[derive(Clone, Debug)]
pub struct Report {
    /// Run facts (console and `run.json` only, never the CSVs).
    pub run: RunInfo,
    /// `summary.csv`.
    pub summary: Vec<SummaryRow>,
    /// `stations.csv`.
    pub stations: Vec<StationRow>,
    /// `cache.csv`.
    pub cache: Vec<CacheRow>,
    /// `errors.csv`.
    pub errors: Vec<ErrorRow>,
    /// `timeseries.csv`.
    pub series: Vec<SeriesRow>,
    /// `gauges.csv`.
    pub gauges: Vec<crate::metrics::gauges::GaugeRow>,
    /// `histograms/NAME.hgrm`: per operation, then `ALL`.
    pub histograms: Vec<(String, Histogram<u64>)>,
    /// `scenario.resolved.toml`.
    pub resolved_toml: String,
    /// `business.csv`: `(metric, value)` in the business layer's order.
    pub business: Vec<(String, f64)>,
    /// `invariants.csv`: every invariant checked, in number order.
    pub invariants: Vec<InvariantResult>,
    /// `thresholds.csv` (empty when the scenario has none).
    pub thresholds: Vec<thresholds::Verdict>,
}

impl SummaryRow {
    /// The numeric columns, in `summary.csv` order after `operation`.
    pub fn values(&self) -> [f64; 11] {
        [
            self.count as f64,
            self.errors as f64,
            self.error_rate,
            self.throughput_per_s,
            self.mean_ms,
            self.p50_ms,
            self.p90_ms,
            self.p95_ms,
            self.p99_ms,
            self.p999_ms,
            self.max_ms,
        ]
    }
}

impl StationRow {
    /// The numeric columns, in `stations.csv` order after `station`.
    pub fn values(&self) -> [f64; 9] {
        [
            self.workers as f64,
            self.served as f64,
            self.rejected as f64,
            self.timed_out as f64,
            self.utilization,
            self.mean_wait_ms,
            self.p99_wait_ms,
            self.mean_queue_len,
            self.max_queue_len as f64,
        ]
    }
}

impl CacheRow {
    /// The numeric columns, in `cache.csv` order after `cache`.
    pub fn values(&self) -> [f64; 6] {
        [
            self.lookups as f64,
            self.hits as f64,
            self.misses as f64,
            self.hit_rate,
            self.evictions as f64,
            self.expirations as f64,
        ]
    }
}

/// Every metric name a run of `sc` reports, as thresholds and `compare`
/// address them: `OPERATION.COLUMN` (and `ALL.COLUMN`) of summary.csv,
/// `cache.COLUMN`, `stations.NAME.COLUMN`.
pub fn metric_names(sc: &Scenario) -> Vec<String> {
    let mut names = Vec::new();
    let ops = sc.reachable_actions().map(|a| a.name()).chain([ALL]);
    for op in ops {
        for col in &csv::SUMMARY_METRICS {
            names.push(format!("{op}.{col}"));
        }
    }
    if sc.cache.enabled {
        for col in &csv::CACHE_HEADER[1..] {
            names.push(format!("cache.{col}"));
        }
    }
    let used = sc.used_stations();
    for (st, _) in sc.stations.iter().zip(used).filter(|(_, u)| *u) {
        for col in &csv::STATIONS_HEADER[1..] {
            names.push(format!("stations.{}.{col}", st.name));
        }
    }
    names.push("business.sessions".to_owned());
    names.extend(
        crate::model::shopper::metric_names(sc)
            .into_iter()
            .map(|n| format!("business.{n}")),
    );
    names
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

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
    }
}

/// Summary rows (reachable operations, then `ALL`) of one result, and the
/// merged `ALL` statistics.
fn summary_rows(sc: &Scenario, result: &RunResult) -> (Vec<SummaryRow>, OpStats) {
    let window_s = result.window_ns as f64 / 1e9;
    let mut all = OpStats::default();
    let mut rows = Vec::new();
    for a in sc.reachable_actions() {
        let s = &result.ops[a.index()];
        all.merge(s);
        rows.push(summary_row(a.name(), s, window_s));
    }
    rows.push(summary_row(ALL, &all, window_s));
    (rows, all)
}

/// Fills the confidence-interval columns of `rows` from the same rows of
/// each replication.
fn add_ci(rows: &mut [SummaryRow], per_run: &[Vec<SummaryRow>]) {
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

impl Report {
    /// Builds the report of `runs`, the replications of `sc` (one for a
    /// plain run). Counts and histograms are merged exactly; with two or
    /// more replications the summary gains 95% confidence intervals.
    pub fn build(
        sc: &Scenario,
        runs: &[RunResult],
        resolved_toml: String,
        elapsed_s: f64,
    ) -> Report {
        let mut merged = runs[0].clone();
        for r in &runs[1..] {
            merged.merge(r);
        }
        let result = &merged;
        let window_ns = result.window_ns as f64;
        let actions: Vec<Action> = sc.reachable_actions().collect();
        let (mut summary, all) = summary_rows(sc, result);
        if runs.len() >= 2 {
            let per_run: Vec<Vec<SummaryRow>> =
                runs.iter().map(|r| summary_rows(sc, r).0).collect();
            add_ci(&mut summary, &per_run);
        }
        let mut histograms = Vec::new();
        let mut errors = Vec::new();
        for a in &actions {
            let s = &result.ops[a.index()];
            histograms.push((a.name().to_owned(), s.latency.clone()));
            for k in ErrorKind::ALL {
                let n = s.errors_by_kind[k.index()];
                if n > 0 {
                    errors.push(ErrorRow {
                        operation: a.name().to_owned(),
                        kind: k.name().to_owned(),
                        count: n,
                    });
                }
            }
        }
        histograms.push((ALL.to_owned(), all.latency.clone()));

        let stations = result
            .stations
            .iter()
            .map(|st| {
                let s = &st.stats;
                let waited = s.waited();
                StationRow {
                    station: st.name.clone(),
                    workers: st.workers,
                    served: s.served,
                    rejected: s.rejected,
                    timed_out: s.timed_out,
                    utilization: ratio(s.busy_area as f64, st.workers as f64 * window_ns),
                    mean_wait_ms: ratio(s.wait_sum_ns as f64, waited as f64) / 1e6,
                    p99_wait_ms: if waited == 0 {
                        0.0
                    } else {
                        ms(s.wait.value_at_quantile(0.99))
                    },
                    mean_queue_len: ratio(s.queue_area as f64, window_ns),
                    max_queue_len: s.max_queue,
                }
            })
            .collect();
        let cache = result
            .cache
            .iter()
            .map(|c| CacheRow {
                cache: "catalog".to_owned(),
                lookups: c.lookups,
                hits: c.hits,
                misses: c.misses,
                hit_rate: c.hit_rate(),
                evictions: c.evictions,
                expirations: c.expirations,
            })
            .collect();

        let op_indices: Vec<usize> = actions.iter().map(|a| a.index()).collect();
        let i14 = invariants::metric_accounting(result, &summary, &errors, &op_indices);
        let invariants = invariants::table(result, i14);
        let mut business = vec![("sessions".to_owned(), result.sessions as f64)];
        business.extend(result.business_metrics());

        let mut report = Report {
            run: RunInfo {
                scenario: sc.name.clone(),
                description: sc.description.clone(),
                duration_s: sc.duration.as_secs_f64(),
                warmup_s: sc.warmup.as_secs_f64(),
                report_interval_s: sc.report_interval.as_secs_f64(),
                seed: sc.seed,
                clock: "virtual".into(),
                partial: result.interrupted,
                events: result.events,
                sim_end_s: result.end.as_secs_f64(),
                elapsed_s,
                sessions: result.sessions,
                replications: result.runs,
                wall: None,
            },
            summary,
            stations,
            cache,
            errors,
            series: result.series.clone(),
            gauges: result.gauges.clone(),
            histograms,
            resolved_toml,
            business,
            invariants,
            thresholds: Vec::new(),
        };
        report.thresholds = thresholds::evaluate(&sc.thresholds, &report.metrics());
        report
    }

    /// Every metric of the report by name (see [`metric_names`]).
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        for r in &self.summary {
            for (col, v) in csv::SUMMARY_METRICS.iter().zip(r.values()) {
                m.insert(format!("{}.{col}", r.operation), v);
            }
        }
        for r in &self.cache {
            for (col, v) in csv::CACHE_HEADER[1..].iter().zip(r.values()) {
                m.insert(format!("cache.{col}"), v);
            }
        }
        for r in &self.stations {
            for (col, v) in csv::STATIONS_HEADER[1..].iter().zip(r.values()) {
                m.insert(format!("stations.{}.{col}", r.station), v);
            }
        }
        for (k, v) in &self.business {
            m.insert(format!("business.{k}"), *v);
        }
        m
    }

    /// Marks the report as a wall-clock (or stress) run with its facts.
    pub fn set_wall(&mut self, facts: Option<crate::metrics::result::WallFacts>) {
        if let Some(f) = facts {
            self.run.clock = if f.tasks > 0 { "stress" } else { "wall" }.into();
            self.run.wall = Some(f);
        }
    }

    /// Every violated invariant: `(id, message)`.
    pub fn violations(&self) -> Vec<(String, String)> {
        self.invariants
            .iter()
            .flat_map(|i| {
                i.violations
                    .iter()
                    .map(move |v| (format!("{} {}", i.id, i.name), v.clone()))
            })
            .collect()
    }

    /// True when every threshold passed (or there are none).
    pub fn thresholds_pass(&self) -> bool {
        self.thresholds.iter().all(|v| v.pass)
    }

    /// The summary row of `operation`.
    pub fn op(&self, operation: &str) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| r.operation == operation)
    }

    /// The report's files, in a fixed order.
    pub fn files(&self) -> Vec<atomic::ReportFile> {
        let mut files = vec![
            csv::file("summary.csv", csv::summary(&self.summary)),
            csv::file("stations.csv", csv::stations(&self.stations)),
            csv::file("cache.csv", csv::cache(&self.cache)),
            csv::file("errors.csv", csv::errors(&self.errors)),
            csv::file("business.csv", csv::business(&self.business)),
            csv::file("invariants.csv", csv::invariants(&self.invariants)),
            csv::file("timeseries.csv", csv::series(&self.series)),
            csv::file("gauges.csv", csv::gauges(&self.gauges)),
            atomic::ReportFile {
                path: "scenario.resolved.toml".into(),
                bytes: self.resolved_toml.clone().into_bytes(),
            },
            atomic::ReportFile {
                path: "run.json".into(),
                bytes: run_json(&self.run).into_bytes(),
            },
            atomic::ReportFile {
                path: "report.html".into(),
                bytes: html::render(self).into_bytes(),
            },
        ];
        if !self.thresholds.is_empty() {
            files.push(csv::file(
                "thresholds.csv",
                csv::thresholds(&self.thresholds),
            ));
        }
        for (name, h) in &self.histograms {
            files.push(atomic::ReportFile {
                path: format!("histograms/{name}.hgrm"),
                bytes: hgrm::render(h).into_bytes(),
            });
        }
        files
    }
}

/// Is `name` (relative to a report directory) a file ecsim writes there?
/// Used to clear files of an earlier run that this run does not produce.
pub fn is_report_file(name: &str) -> bool {
    const KNOWN: [&str; 13] = [
        "summary.csv",
        "stations.csv",
        "cache.csv",
        "errors.csv",
        "timeseries.csv",
        "gauges.csv",
        "business.csv",
        "invariants.csv",
        "thresholds.csv",
        "scenario.resolved.toml",
        "run.json",
        "report.html",
        "histograms/",
    ];
    KNOWN.contains(&name)
        || (name.starts_with("histograms/") && (name.ends_with(".hgrm") || name == "histograms/"))
}

fn run_json(r: &RunInfo) -> String {
    let mut v = serde_json::json!({
        "ecsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": r.scenario,
        "seed": r.seed,
        "clock": r.clock,
        "partial": r.partial,
        "events": r.events,
        "events_per_s": if r.elapsed_s > 0.0 { r.events as f64 / r.elapsed_s } else { 0.0 },
        "elapsed_s": r.elapsed_s,
        "sim_end_s": r.sim_end_s,
        "sessions": r.sessions,
        "replications": r.replications,
    });
    if let (Some(w), Some(obj)) = (&r.wall, v.as_object_mut()) {
        let wall = serde_json::json!({
            "time_scale": w.time_scale,
            "threads": w.threads,
            "tasks": w.tasks,
            "schedule_lag_p50_ms": w.schedule_lag_ms[0],
            "schedule_lag_p99_ms": w.schedule_lag_ms[1],
            "schedule_lag_max_ms": w.schedule_lag_ms[2],
            "late_starts": w.late_starts,
            "peak_sessions": w.peak_sessions,
            "inventory_lock_acquisitions": w.lock_acquisitions,
            "inventory_lock_contended": w.lock_contended,
        });
        obj.insert("wall".into(), wall);
    }
    // Cannot fail: a JSON value of plain numbers and strings.
    let mut s = serde_json::to_string_pretty(&v).expect("json value serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn metric_names_are_exactly_the_reported_metrics() {
        let text = r#"
[scenario]
duration = "30s"
[load]
type = "open"
rate = 20.0
[behavior]
start = "home"
[behavior.transitions]
home = { view_product = 0.5, leave = 0.5 }
view_product = { add_to_cart = 0.5, leave = 0.5 }
add_to_cart = { checkout = 1.0 }
checkout = { leave = 1.0 }
"#;
        let loaded = load_str("t.toml", "t", text, &[], None).expect("valid");
        let sc = &loaded.scenario;
        let runs = crate::runner::simulate(sc, 1, None, &|_, _| true).expect("the shop builds");
        let report = Report::build(sc, &runs, String::new(), 0.0);
        let reported: Vec<String> = report.metrics().into_keys().collect();
        let mut named = metric_names(sc);
        named.sort();
        assert_eq!(reported, named);
        assert!(named.contains(&"checkout.p99_ms".to_string()));
        assert!(named.contains(&"stations.inventory[3].utilization".to_string()));
        assert!(named.contains(&"cache.hit_rate".to_string()));
        assert!(named.contains(&"business.orders_placed".to_string()));
        assert!(
            !named.iter().any(|n| n.starts_with("search.")),
            "search is unreachable"
        );
    }
}
