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
pub mod cost;
pub mod csv;
#[cfg(test)]
mod fixture;
pub mod hgrm;
pub mod html;
pub mod invariants;
mod rows;
pub mod shard;
mod summary;
pub mod sweep;
pub mod thresholds;
pub mod windows;

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::contract::ErrorKind;
use crate::contract::action::Op;
use crate::contract::business::InvariantResult;
use crate::contract::names::{self, ALL};
use crate::kernel::par::join;
use crate::metrics::result::RunResult;
use crate::metrics::series::SeriesRow;
use crate::scenario::Scenario;
pub use rows::{CacheRow, ErrorRow, RunInfo, StationRow, SummaryRow};
pub use summary::Replicas;
use summary::{add_ci, summary_rows};

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
    /// How long each of its intervals was measured.
    pub intervals: windows::Intervals,
    /// The scenario's faults, for the charts.
    pub faults: Vec<windows::FaultMark>,
    /// Every operation's name, by index: what a [`SeriesRow::op`] means
    /// (index `op_names.len()` is `ALL`).
    pub op_names: Vec<String>,
    /// `gauges.csv`.
    pub gauges: Vec<crate::metrics::gauges::GaugeRow>,
    /// `histograms/NAME.hgrm`: per operation, then `ALL`.
    pub histograms: Vec<(String, Histogram<u64>)>,
    /// `scenario.resolved.toml`.
    pub resolved_toml: String,
    /// `data/NAME`: the data files the scenario read, which the resolved
    /// scenario refers to.
    pub data: Vec<crate::scenario::model::DataFile>,
    /// `business.csv`: `(metric, value)` in the business layer's order.
    pub business: Vec<(String, f64)>,
    /// `invariants.csv`: every invariant checked, in number order.
    pub invariants: Vec<InvariantResult>,
    /// `thresholds.csv` (empty when the scenario has none).
    pub thresholds: Vec<thresholds::Verdict>,
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

impl Report {
    /// Builds the report of `runs`, the replications of `sc` (one for a
    /// plain run); see [`Report::build_folded`].
    pub fn build(
        sc: &Scenario,
        runs: &[RunResult],
        resolved_toml: String,
        elapsed_s: f64,
    ) -> Report {
        let mut replicas = Replicas::new(sc, runs[0].clone());
        for r in &runs[1..] {
            replicas.add(sc, r.clone());
        }
        Report::build_folded(sc, &replicas, resolved_toml, elapsed_s)
    }

    /// Builds the report of replications folded as they finished. Counts and histograms are merged exactly; with two or
    /// more replications the summary gains 95% confidence intervals.
    pub fn build_folded(
        sc: &Scenario,
        replicas: &Replicas,
        resolved_toml: String,
        elapsed_s: f64,
    ) -> Report {
        let result = replicas.merged();
        let window_ns = result.window_ns as f64;
        let ops: Vec<Op> = sc.reachable_ops().collect();
        let (mut summary, all) = summary_rows(sc, result);
        if replicas.per_run.len() >= 2 {
            add_ci(&mut summary, &replicas.per_run);
        }
        let mut histograms = Vec::new();
        let mut errors = Vec::new();
        for &op in &ops {
            let s = &result.ops[op.index()];
            let name = sc.op_name(op);
            histograms.push((name.to_owned(), Histogram::clone(&s.latency)));
            for k in ErrorKind::ALL {
                let n = s.errors_by_kind[k.index()];
                if n > 0 {
                    errors.push(ErrorRow {
                        operation: name.to_owned(),
                        kind: k.name().to_owned(),
                        count: n,
                    });
                }
            }
        }
        histograms.push((ALL.to_owned(), Histogram::clone(&all.latency)));

        let stations = result
            .stations
            .iter()
            .map(|st| {
                let s = &st.stats;
                let waited = s.waited();
                let w = cost::Workers::of(st, window_ns);
                StationRow {
                    station: st.name.clone(),
                    workers: st.workers,
                    served: s.served,
                    rejected: s.rejected,
                    timed_out: s.timed_out,
                    utilization: ratio(s.busy_area as f64, w.area),
                    mean_wait_ms: ratio(s.wait_sum_ns as f64, waited as f64) / 1e6,
                    p99_wait_ms: if waited == 0 {
                        0.0
                    } else {
                        ms(s.wait.value_at_quantile(0.99))
                    },
                    mean_queue_len: ratio(s.queue_area as f64, window_ns),
                    max_queue_len: s.max_queue,
                    arrivals: s.arrivals,
                    wasted_ms: s.wasted_ns as f64 / 1e6,
                    worker_seconds: w.area / 1e9,
                    mean_workers: ratio(w.area, window_ns),
                    max_workers: w.max,
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

        let op_indices: Vec<usize> = ops.iter().map(|a| a.index()).collect();
        let i14 = invariants::metric_accounting(result, &summary, &errors, &op_indices);
        let invariants = invariants::table(result, i14);
        let sessions = [
            result.sessions,
            result.sessions_abandoned,
            result.customer_retries,
        ];
        let mut business: Vec<(String, f64)> = names::business::SESSION_ROWS
            .iter()
            .zip(sessions)
            .map(|(k, v)| (k.to_string(), v as f64))
            .collect();
        business.extend(result.business_metrics());
        if sc.priced() {
            business.extend(cost::rows(result));
        }

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
                diverged: result.diverged.clone(),
                unstable: result.unstable.clone(),
            },
            summary,
            stations,
            cache,
            errors,
            series: result.series.clone(),
            intervals: windows::Intervals::new(
                sc.report_interval.as_secs_f64(),
                replicas.ends_s.clone(),
            ),
            faults: windows::fault_marks(sc),
            op_names: sc.op_names(),
            gauges: result.gauges.clone(),
            histograms,
            resolved_toml,
            data: sc.data.clone(),
            business,
            invariants,
            thresholds: Vec::new(),
        };
        report.thresholds = thresholds::evaluate(&sc.thresholds, &report.metrics());
        report
    }

    /// Every metric of the report by name (see [`Scenario::metric_names`]).
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        for r in &self.summary {
            for (col, v) in names::summary_metrics().zip(r.values()) {
                m.insert(format!("{}.{col}", r.operation), v);
            }
        }
        for r in &self.cache {
            for (col, v) in names::CACHE_HEADER[1..].iter().zip(r.values()) {
                m.insert(format!("cache.{col}"), v);
            }
        }
        for r in &self.stations {
            for (col, v) in names::STATIONS_HEADER[1..].iter().zip(r.values()) {
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
        // The page is the largest file to build (a third of a short run's
        // report): it is rendered on a second core while the rest is.
        let (page, mut files) = join(|| html::render(self), || self.files_but_the_page());
        files.insert(
            FILES_BEFORE_THE_PAGE,
            atomic::ReportFile {
                path: names::HTML.into(),
                bytes: page.into_bytes(),
            },
        );
        files
    }

    fn files_but_the_page(&self) -> Vec<atomic::ReportFile> {
        let mut files = vec![
            csv::file(names::SUMMARY, csv::summary(&self.summary)),
            csv::file(names::STATIONS, csv::stations(&self.stations)),
            csv::file(names::CACHE, csv::cache(&self.cache)),
            csv::file(names::ERRORS, csv::errors(&self.errors)),
            csv::file(names::BUSINESS, csv::business(&self.business)),
            csv::file(names::INVARIANTS, csv::invariants(&self.invariants)),
            csv::file(
                names::TIMESERIES,
                csv::series(&self.series, &self.op_names, &self.intervals),
            ),
            csv::file(names::GAUGES, csv::gauges(&self.gauges)),
            atomic::ReportFile {
                path: names::RESOLVED.into(),
                bytes: self.resolved_toml.clone().into_bytes(),
            },
            atomic::ReportFile {
                path: names::RUN_JSON.into(),
                bytes: run_json(&self.run).into_bytes(),
            },
        ];
        debug_assert_eq!(files.len(), FILES_BEFORE_THE_PAGE);
        if !self.thresholds.is_empty() {
            files.push(csv::file(
                names::THRESHOLDS,
                csv::thresholds(&self.thresholds),
            ));
        }
        for d in &self.data {
            files.push(atomic::ReportFile {
                path: format!("{}/{}", names::DATA_DIR, d.name),
                bytes: d.bytes.to_vec(),
            });
        }
        for (name, h) in &self.histograms {
            files.push(atomic::ReportFile {
                path: names::histogram(name),
                bytes: hgrm::render(h).into_bytes(),
            });
        }
        files
    }
}

/// The files [`Report::files`] lists before `report.html`.
const FILES_BEFORE_THE_PAGE: usize = 10;

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
        "diverged": r.diverged,
        "unstable": r.unstable.iter().map(|u| serde_json::json!({
            "station": u.station,
            "at_s": u.at_s,
            "queue": u.queue,
            "queue_growth_per_s": u.growth_per_s,
        })).collect::<Vec<_>>(),
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

    fn session_rows(r: &Report) -> Vec<(&str, f64)> {
        r.business[..3]
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect()
    }

    #[test]
    fn every_report_starts_business_with_sessions_abandoned_and_retried() {
        let sc = fixture::scenario("");
        let report = Report::build(&sc, &[fixture::empty(&sc, 10.0)], String::new(), 0.0);
        let rows = session_rows(&report);
        assert_eq!(
            rows,
            [
                ("sessions", 0.0),
                ("sessions_abandoned", 0.0),
                ("customer_retries", 0.0)
            ],
            "written when nothing was abandoned"
        );
    }

    #[test]
    fn session_rows_add_up_over_replications() {
        let sc = fixture::scenario("");
        let mut a = fixture::empty(&sc, 10.0);
        (a.sessions, a.sessions_abandoned, a.customer_retries) = (40, 3, 7);
        let mut b = fixture::empty(&sc, 10.0);
        (b.sessions, b.sessions_abandoned, b.customer_retries) = (50, 1, 0);
        let report = Report::build(&sc, &[a, b], String::new(), 0.0);
        assert_eq!(
            session_rows(&report),
            [
                ("sessions", 90.0),
                ("sessions_abandoned", 4.0),
                ("customer_retries", 7.0)
            ]
        );
    }

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
        let mut runs = Vec::new();
        crate::runner::simulate(sc, 1, None, usize::MAX, &|_, _| true, &mut |r| runs.push(r))
            .expect("the shop builds");
        let report = Report::build(sc, &runs, String::new(), 0.0);
        let reported: Vec<String> = report.metrics().into_keys().collect();
        let mut named = sc.metric_names();
        named.sort();
        assert_eq!(reported, named);
        assert!(named.contains(&"checkout.p99_ms".to_string()));
        assert!(named.contains(&"checkout.attempts".to_string()));
        assert!(named.contains(&"ALL.goodput_per_s".to_string()));
        assert!(named.contains(&"stations.inventory[3].utilization".to_string()));
        assert!(named.contains(&"cache.hit_rate".to_string()));
        assert!(named.contains(&"business.orders_placed".to_string()));
        assert!(named.contains(&"business.sessions_abandoned".to_string()));
        assert!(named.contains(&"business.customer_retries".to_string()));
        assert!(
            !named.iter().any(|n| n.starts_with("search.")),
            "search is unreachable"
        );
    }
}
