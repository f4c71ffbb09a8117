//! The names of the report contract (DESIGN.md), defined once: the files of
//! a report directory, their column headers, and the metric names that
//! thresholds and `compare` address.
//!
//! These are public: columns may be added at the end of a header, never
//! renamed, reordered or removed. Scenario validation, the report builder,
//! the business layer and `compare` all read them from here.

/// `summary.csv`: one row per operation plus [`ALL`].
pub const SUMMARY: &str = "summary.csv";
/// `stations.csv`: one row per station instance.
pub const STATIONS: &str = "stations.csv";
/// `cache.csv`: the catalog cache.
pub const CACHE: &str = "cache.csv";
/// `errors.csv`: failures by operation and kind.
pub const ERRORS: &str = "errors.csv";
/// `business.csv`: business facts.
pub const BUSINESS: &str = "business.csv";
/// `invariants.csv`: what was checked, what was violated.
pub const INVARIANTS: &str = "invariants.csv";
/// `timeseries.csv`: per interval and operation.
pub const TIMESERIES: &str = "timeseries.csv";
/// `gauges.csv`: per interval, the system's state.
pub const GAUGES: &str = "gauges.csv";
/// `thresholds.csv`: when the scenario has `[thresholds]`.
pub const THRESHOLDS: &str = "thresholds.csv";
/// Exactly what ran.
pub const RESOLVED: &str = "scenario.resolved.toml";
/// Run facts, wall-clock facts included (never compared byte for byte).
pub const RUN_JSON: &str = "run.json";
/// The report as one self-contained page.
pub const HTML: &str = "report.html";
/// The directory of per-operation `.hgrm` files.
pub const HISTOGRAMS: &str = "histograms/";
/// The directory of a report's copies of the data files its scenario
/// read (empirical distributions, a replayed trace).
pub const DATA_DIR: &str = "data";
/// A sweep's table of points.
pub const SWEEP_CSV: &str = "sweep.csv";
/// A sweep's page.
pub const SWEEP_HTML: &str = "sweep.html";

/// Every file a report directory holds, in the order a report writes them
/// (`histograms/` last).
pub const REPORT_FILES: [&str; 13] = [
    SUMMARY, STATIONS, CACHE, ERRORS, BUSINESS, INVARIANTS, TIMESERIES, GAUGES, RESOLVED, RUN_JSON,
    HTML, THRESHOLDS, HISTOGRAMS,
];

/// The extension of a histogram file (HdrHistogram percentile text).
pub const HGRM: &str = ".hgrm";

/// The histogram file of `operation`.
pub fn histogram(operation: &str) -> String {
    format!("{HISTOGRAMS}{operation}{HGRM}")
}

/// Is `name` (relative to a report directory) a file ecsim writes there?
/// Used to clear files of an earlier run that this run does not produce.
pub fn is_report_file(name: &str) -> bool {
    REPORT_FILES.contains(&name)
        || (name.starts_with(HISTOGRAMS) && name.ends_with(HGRM))
        || name
            .strip_prefix(DATA_DIR)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The all-operations row of `summary.csv` and `timeseries.csv`.
pub const ALL: &str = "ALL";

/// The first metric columns of `summary.csv`, after `operation` and before
/// the [`SUMMARY_CI`] columns.
pub const SUMMARY_METRICS: [&str; 11] = [
    "count",
    "errors",
    "error_rate",
    "throughput_per_s",
    "mean_ms",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "p999_ms",
    "max_ms",
];

/// The confidence-interval columns of `summary.csv`: half-widths of the 95%
/// interval over replications, empty for a single run.
pub const SUMMARY_CI: [&str; 6] = [
    "mean_ms_ci95",
    "p50_ms_ci95",
    "p95_ms_ci95",
    "p99_ms_ci95",
    "throughput_per_s_ci95",
    "error_rate_ci95",
];

/// The metric columns of `summary.csv` added after the [`SUMMARY_CI`]
/// columns (issue 13): `attempts` = count + retries, the calls made
/// including client retries; `goodput_per_s` = (count − errors) / measured
/// seconds, the successful operations per second.
pub const SUMMARY_LATE_METRICS: [&str; 2] = ["attempts", "goodput_per_s"];

/// Every metric column of `summary.csv` in header order (the CI columns
/// left out): [`SUMMARY_METRICS`], then [`SUMMARY_LATE_METRICS`]. Metric
/// names `OPERATION.COLUMN` are made of these.
pub fn summary_metrics() -> impl Iterator<Item = &'static str> {
    SUMMARY_METRICS.into_iter().chain(SUMMARY_LATE_METRICS)
}

/// Header of `summary.csv`.
pub fn summary_header() -> Vec<&'static str> {
    std::iter::once("operation")
        .chain(SUMMARY_METRICS)
        .chain(SUMMARY_CI)
        .chain(SUMMARY_LATE_METRICS)
        .collect()
}

/// Header of `stations.csv` (`arrivals`, `wasted_ms`, then the worker
/// columns of moving capacity added after the contract's columns).
pub const STATIONS_HEADER: [&str; 15] = [
    "station",
    "workers",
    "served",
    "rejected",
    "timed_out",
    "utilization",
    "mean_wait_ms",
    "p99_wait_ms",
    "mean_queue_len",
    "max_queue_len",
    "arrivals",
    "wasted_ms",
    "worker_seconds",
    "mean_workers",
    "max_workers",
];

/// Header of `cache.csv`.
pub const CACHE_HEADER: [&str; 7] = [
    "cache",
    "lookups",
    "hits",
    "misses",
    "hit_rate",
    "evictions",
    "expirations",
];

/// Header of `errors.csv`.
pub const ERRORS_HEADER: [&str; 3] = ["operation", "kind", "count"];

/// Header of `timeseries.csv` (`p95_ms`, then `goodput_per_s`, added after
/// the contract's columns).
pub const SERIES_HEADER: [&str; 10] = [
    "t_s",
    "operation",
    "count",
    "errors",
    "mean_ms",
    "p50_ms",
    "p99_ms",
    "cache_hit_rate",
    "p95_ms",
    "goodput_per_s",
];

/// Header of `thresholds.csv`.
pub const THRESHOLDS_HEADER: [&str; 4] = ["threshold", "expected", "actual", "pass"];

/// Header of `business.csv`.
pub const BUSINESS_HEADER: [&str; 2] = ["metric", "value"];

/// Header of `invariants.csv` (`name` added after the contract's columns).
pub const INVARIANTS_HEADER: [&str; 4] = ["invariant", "checked", "violations", "name"];

/// Header of `gauges.csv`.
pub const GAUGES_HEADER: [&str; 3] = ["t_s", "gauge", "value"];

pub mod business;

/// Every metric name a run reports, as thresholds and `compare` address
/// them: `OPERATION.COLUMN` of summary.csv for each of `operations` and
/// `ALL`, `cache.COLUMN` when the cache is on, `stations.NAME.COLUMN` for
/// each of `stations`, and `business.NAME` for each of `business`.
pub fn metric_names<'a>(
    operations: impl Iterator<Item = &'a str>,
    cache: bool,
    stations: impl Iterator<Item = &'a str>,
    business: impl Iterator<Item = String>,
) -> Vec<String> {
    let mut names = Vec::new();
    for op in operations.chain([ALL]) {
        for col in summary_metrics() {
            names.push(format!("{op}.{col}"));
        }
    }
    if cache {
        for col in &CACHE_HEADER[1..] {
            names.push(format!("cache.{col}"));
        }
    }
    for st in stations {
        for col in &STATIONS_HEADER[1..] {
            names.push(format!("stations.{st}.{col}"));
        }
    }
    names.extend(business.map(|n| format!("business.{n}")));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_files_are_recognised_and_others_are_not() {
        for f in REPORT_FILES {
            assert!(is_report_file(f), "{f}");
        }
        assert!(is_report_file(&histogram("checkout")));
        assert!(!is_report_file("histograms/notes.txt"));
        assert!(!is_report_file("notes.csv"));
        assert!(!is_report_file(SWEEP_CSV));
    }
}
