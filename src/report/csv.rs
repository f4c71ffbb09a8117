//! CSV rendering of report rows.
//!
//! Column names carry units (`p99_ms`, `throughput_per_s`) and are part of
//! the public contract: columns may be added, never renamed. Milliseconds
//! have 3 decimals, rates and ratios 6, so output is byte-stable.

use super::atomic::ReportFile;
use super::windows::Intervals;
use super::{CacheRow, ErrorRow, StationRow, SummaryRow};
use crate::contract::names::*;
use crate::metrics::series::SeriesRow;

/// Milliseconds: 3 decimals.
pub fn f3(v: f64) -> String {
    format!("{v:.3}")
}

/// Rates and ratios: 6 decimals.
pub fn f6(v: f64) -> String {
    format!("{v:.6}")
}

/// A report file from CSV bytes.
pub fn file(path: &str, bytes: Vec<u8>) -> ReportFile {
    ReportFile {
        path: path.to_owned(),
        bytes,
    }
}

/// Renders a header and rows of already formatted fields.
pub fn render<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Vec<u8> {
    render_rows(&header, rows)
}

/// [`render`] for rows of any length.
pub fn render_rows<R: AsRef<[String]>>(
    header: &[&str],
    rows: impl IntoIterator<Item = R>,
) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r.as_ref());
    }
    w.into_inner().unwrap_or_default()
}

/// The fields of a `summary.csv` row, as written.
pub fn summary_fields(r: &SummaryRow) -> Vec<String> {
    let mut f = vec![
        r.operation.clone(),
        r.count.to_string(),
        r.errors.to_string(),
        f6(r.error_rate),
        f3(r.throughput_per_s),
        f3(r.mean_ms),
        f3(r.p50_ms),
        f3(r.p90_ms),
        f3(r.p95_ms),
        f3(r.p99_ms),
        f3(r.p999_ms),
        f3(r.max_ms),
    ];
    match &r.ci95 {
        Some(c) => f.extend([f3(c[0]), f3(c[1]), f3(c[2]), f3(c[3]), f3(c[4]), f6(c[5])]),
        None => f.extend(std::iter::repeat_n(String::new(), SUMMARY_CI.len())),
    }
    f.extend([r.attempts.to_string(), f3(r.goodput_per_s)]);
    f
}

/// `summary.csv`.
pub fn summary(rows: &[SummaryRow]) -> Vec<u8> {
    render_rows(&summary_header(), rows.iter().map(summary_fields))
}

/// The fields of a `stations.csv` row, as written.
pub fn station_fields(r: &StationRow) -> [String; 15] {
    [
        r.station.clone(),
        r.workers.to_string(),
        r.served.to_string(),
        r.rejected.to_string(),
        r.timed_out.to_string(),
        f6(r.utilization),
        f3(r.mean_wait_ms),
        f3(r.p99_wait_ms),
        f6(r.mean_queue_len),
        r.max_queue_len.to_string(),
        r.arrivals.to_string(),
        f3(r.wasted_ms),
        f3(r.worker_seconds),
        f6(r.mean_workers),
        r.max_workers.to_string(),
    ]
}

/// `stations.csv`.
pub fn stations(rows: &[StationRow]) -> Vec<u8> {
    render(STATIONS_HEADER, rows.iter().map(station_fields))
}

/// The fields of a `cache.csv` row, as written.
pub fn cache_fields(r: &CacheRow) -> [String; 7] {
    [
        r.cache.clone(),
        r.lookups.to_string(),
        r.hits.to_string(),
        r.misses.to_string(),
        f6(r.hit_rate),
        r.evictions.to_string(),
        r.expirations.to_string(),
    ]
}

/// `cache.csv`.
pub fn cache(rows: &[CacheRow]) -> Vec<u8> {
    render(CACHE_HEADER, rows.iter().map(cache_fields))
}

/// The fields of an `errors.csv` row, as written.
pub fn error_fields(r: &ErrorRow) -> [String; 3] {
    [r.operation.clone(), r.kind.clone(), r.count.to_string()]
}

/// `errors.csv`.
pub fn errors(rows: &[ErrorRow]) -> Vec<u8> {
    render(ERRORS_HEADER, rows.iter().map(error_fields))
}

/// `timeseries.csv`; `ops` names the operations by index (index
/// `ops.len()` is `ALL`); `goodput_per_s` divides by the interval's
/// measured length (see [`Intervals`]).
pub fn series(rows: &[SeriesRow], ops: &[String], intervals: &Intervals) -> Vec<u8> {
    render(
        SERIES_HEADER,
        rows.iter().map(|r| {
            [
                f3(r.t_s),
                ops.get(r.op)
                    .map_or(crate::contract::names::ALL, String::as_str)
                    .to_owned(),
                r.count.to_string(),
                r.errors.to_string(),
                f3(r.mean_ms),
                f3(r.p50_ms),
                f3(r.p99_ms),
                r.cache_hit_rate.map(f6).unwrap_or_default(),
                f3(r.p95_ms),
                f3(intervals.per_s(r.count.saturating_sub(r.errors), r.t_s)),
            ]
        }),
    )
}

/// The fields of a `thresholds.csv` row, as written; `actual` with 6
/// decimals.
pub fn threshold_fields(r: &super::thresholds::Verdict) -> [String; 4] {
    [
        r.threshold.clone(),
        r.expected.clone(),
        f6(r.actual),
        r.pass.to_string(),
    ]
}

/// `thresholds.csv`.
pub fn thresholds(rows: &[super::thresholds::Verdict]) -> Vec<u8> {
    render(THRESHOLDS_HEADER, rows.iter().map(threshold_fields))
}

/// A business value: integers without decimals, others with 6.
pub fn business_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        f6(v)
    }
}

/// The fields of a `business.csv` row, as written.
pub fn business_fields((k, v): &(String, f64)) -> [String; 2] {
    [k.clone(), business_value(*v)]
}

/// `business.csv`.
pub fn business(rows: &[(String, f64)]) -> Vec<u8> {
    render(BUSINESS_HEADER, rows.iter().map(business_fields))
}

/// The fields of an `invariants.csv` row, as written.
pub fn invariant_fields(r: &crate::contract::business::InvariantResult) -> [String; 4] {
    [
        r.id.clone(),
        r.checked.to_string(),
        r.violations.len().to_string(),
        r.name.clone(),
    ]
}

/// `invariants.csv`.
pub fn invariants(rows: &[crate::contract::business::InvariantResult]) -> Vec<u8> {
    render(INVARIANTS_HEADER, rows.iter().map(invariant_fields))
}

/// `gauges.csv`.
pub fn gauges(rows: &[crate::metrics::gauges::GaugeRow]) -> Vec<u8> {
    render(
        GAUGES_HEADER,
        rows.iter()
            .map(|r| [f3(r.t_s), r.gauge.clone(), f6(r.value)]),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Report, fixture};
    use super::*;

    #[test]
    fn summary_ends_with_attempts_and_goodput_after_the_ci_columns() {
        let row = SummaryRow {
            operation: "checkout".into(),
            count: 10,
            errors: 2,
            error_rate: 0.2,
            throughput_per_s: 1.0,
            mean_ms: 5.0,
            p50_ms: 4.0,
            p90_ms: 6.0,
            p95_ms: 7.0,
            p99_ms: 8.0,
            p999_ms: 9.0,
            max_ms: 9.5,
            ci95: None,
            attempts: 13,
            goodput_per_s: 0.8,
        };
        let text = String::from_utf8(summary(&[row])).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "operation,count,errors,error_rate,throughput_per_s,mean_ms,p50_ms,p90_ms,\
                 p95_ms,p99_ms,p999_ms,max_ms,mean_ms_ci95,p50_ms_ci95,p95_ms_ci95,\
                 p99_ms_ci95,throughput_per_s_ci95,error_rate_ci95,attempts,goodput_per_s"
            )
        );
        assert_eq!(
            lines.next(),
            Some(
                "checkout,10,2,0.200000,1.000,5.000,4.000,6.000,7.000,8.000,9.000,9.500,,,,,,,13,0.800"
            )
        );
    }

    #[test]
    fn timeseries_goodput_is_successes_per_measured_second_of_the_interval() {
        let sc = fixture::scenario("");
        let row = |t_s, count, errors| fixture::all_row(&sc, t_s, count, errors, 0);
        // Two replications of 10 s intervals, ending at 25 s and 12 s.
        let mut a = fixture::empty(&sc, 25.0);
        a.series = vec![row(0.0, 50, 10), row(10.0, 30, 0), row(20.0, 10, 5)];
        let mut b = fixture::empty(&sc, 12.0);
        b.series = vec![row(0.0, 20, 0), row(10.0, 4, 2)];
        let report = Report::build(&sc, &[a, b], String::new(), 0.0);
        let bytes = series(&report.series, &report.op_names, &report.intervals);
        let text = String::from_utf8(bytes).expect("utf-8");
        let header = text.lines().next().unwrap_or_default();
        assert!(header.ends_with(",p95_ms,goodput_per_s"), "{header}");
        let goodput: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap_or_default())
            .collect();
        // 60 successes in 2 × 10 s; 32 in 10 s + 2 s; 5 in the first
        // run's last 5 s.
        assert_eq!(goodput, ["3.000", "2.667", "1.000"]);
    }
}
