//! The report's numbers over time, as charts: `timeseries.csv` and
//! `gauges.csv` rows turned into lines.
//!
//! Each interval is plotted at its start (`t_s`, as in the CSVs), in
//! minutes (seconds for runs of 20 minutes or less, hours past 10 hours).
//! Per-second rates divide an interval's count by its measured length
//! (`report::windows`): the last interval may be short (it ends with the
//! last event), and is divided by its real length. With replications,
//! `timeseries.csv` counts are sums over them and divide by the summed
//! lengths, `gauges.csv` values are means and divide by the mean length,
//! so either is one replication's average rate, as in `summary.csv`. An
//! operation that completed nothing in an interval has no row there and
//! its line has a gap. The drain (after `duration`, when arrivals have
//! stopped) is shaded.

use std::collections::BTreeMap;

use super::charts::{
    Axis, Band, Chart, FAULT, HALF, Line, Points, QUIET, Rgb, WIDE, nth, op_color, tint,
};
use crate::contract::action::Action;
use crate::contract::names::ALL;
use crate::metrics::series::SeriesRow;
use crate::report::{Report, hgrm};

/// Interval starts, lengths and the time unit of a report's charts.
pub struct Timeline<'a> {
    report: &'a Report,
    /// Seconds per x unit.
    unit_s: f64,
    unit: &'static str,
    /// Interval start (ms key) → length in seconds.
    widths: BTreeMap<i64, f64>,
}

fn key(t_s: f64) -> i64 {
    (t_s * 1e3).round() as i64
}

impl<'a> Timeline<'a> {
    /// The timeline of `report`'s intervals (one `ALL` row each).
    pub fn new(report: &'a Report) -> Timeline<'a> {
        let starts: Vec<f64> = report
            .series
            .iter()
            .filter(|r| r.op == report.op_names.len())
            .map(|r| r.t_s)
            .collect();
        let end = report.run.sim_end_s;
        // The mean length over the replications.
        let runs = report.intervals.runs().max(1) as f64;
        let widths = starts
            .iter()
            .map(|t| (key(*t), report.intervals.seconds(*t) / runs))
            .collect();
        let (unit_s, unit) = if end > 36_000.0 {
            (3600.0, "h")
        } else if end > 1200.0 {
            (60.0, "min")
        } else {
            (1.0, "s")
        };
        Timeline {
            report,
            unit_s,
            unit,
            widths,
        }
    }

    fn x(&self, t_s: f64) -> f64 {
        t_s / self.unit_s
    }

    /// Seconds in the interval starting at `t_s`, a replication's mean.
    fn width(&self, t_s: f64) -> f64 {
        self.widths
            .get(&key(t_s))
            .copied()
            .unwrap_or(self.report.run.report_interval_s)
            .max(1e-9)
    }

    fn chart(&self, size: (u32, u32), y: Axis) -> Chart {
        let run = &self.report.run;
        let mut c = Chart::new(size, Axis::linear(&format!("time ({})", self.unit)), y);
        if run.warmup_s > 0.0 {
            c = c.band(Band {
                from: 0.0,
                to: self.x(run.warmup_s),
                label: "warmup".into(),
                color: QUIET,
            });
        }
        if run.sim_end_s > run.duration_s && run.duration_s > run.warmup_s {
            c = c.band(Band {
                from: self.x(run.duration_s),
                to: self.x(run.sim_end_s),
                label: "drain".into(),
                color: QUIET,
            });
        }
        c
    }

    /// A line over every interval, a gap where `f` has no value.
    fn over_intervals(&self, f: impl Fn(f64) -> Option<f64>) -> Vec<(f64, f64)> {
        self.widths
            .keys()
            .map(|k| {
                let t = *k as f64 / 1e3;
                (self.x(t), f(t).unwrap_or(f64::NAN))
            })
            .collect()
    }

    /// The rows of `operation` (index, or the number of operations for
    /// ALL) by start.
    fn op_rows(&self, op: usize) -> BTreeMap<i64, &'a SeriesRow> {
        self.report
            .series
            .iter()
            .filter(|r| r.op == op)
            .map(|r| (key(r.t_s), r))
            .collect()
    }

    /// Gauges named `PREFIX.SUFFIX`: `(SUFFIX, points)` in first-seen
    /// order, each value passed through `f(value, interval length)`; an
    /// interval without a row is `missing` (zero for error counts, which
    /// are written only when positive; a gap otherwise).
    fn gauges(
        &self,
        prefix: &str,
        missing: Option<f64>,
        f: impl Fn(f64, f64) -> f64,
    ) -> Vec<(String, Vec<(f64, f64)>)> {
        let mut found: Vec<(String, BTreeMap<i64, f64>)> = Vec::new();
        for g in &self.report.gauges {
            let Some(name) = g.gauge.strip_prefix(prefix) else {
                continue;
            };
            let i = match found.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    found.push((name.to_owned(), BTreeMap::new()));
                    found.len() - 1
                }
            };
            found[i].1.insert(key(g.t_s), g.value);
        }
        found
            .into_iter()
            .map(|(name, values)| {
                let pts = self.over_intervals(|t| {
                    values
                        .get(&key(t))
                        .map(|v| f(*v, self.width(t)))
                        .or(missing)
                });
                (name, pts)
            })
            .collect()
    }

    /// `f` of every interval's `ALL` row per measured second.
    fn all_per_s(&self, f: fn(&SeriesRow) -> u64) -> Points {
        let all = self.op_rows(self.report.op_names.len());
        self.over_intervals(|t| {
            all.get(&key(t))
                .map(|r| self.report.intervals.per_s(f(r), t))
        })
    }

    /// Sessions started and requests completed and failed, per second.
    pub fn throughput(&self) -> Chart {
        let per_s = |f| self.all_per_s(f);
        let mut c = self.chart(WIDE, Axis::linear("per second").from_zero());
        c = c.line(Line::new(
            "requests completed /s",
            (55, 65, 81),
            per_s(|r| r.count),
        ));
        if let Some((_, pts)) = self
            .gauges("arrivals_per_s", None, |v, _| v)
            .into_iter()
            .find(|(n, _)| n.is_empty())
        {
            c = c.line(Line::new("sessions started /s", nth(0), pts));
        }
        c.line(Line::new(
            "requests failed /s",
            (220, 38, 38),
            per_s(|r| r.errors),
        ))
    }

    /// All operations per second: calls made (offered load, client
    /// retries included), requests completed (throughput) and requests
    /// that succeeded (goodput), with the scenario's faults marked.
    pub fn load(&self) -> Chart {
        let per_s = |f| self.all_per_s(f);
        // Offered load last and dashed: without retries it lies on the
        // throughput line and stays visible.
        let mut c = self
            .chart(WIDE, Axis::linear("per second").from_zero())
            .line(Line::new(
                "throughput: completed /s",
                (55, 65, 81),
                per_s(|r| r.count),
            ))
            .line(Line::new(
                "goodput: succeeded /s",
                (22, 163, 74),
                per_s(|r| r.count.saturating_sub(r.errors)),
            ))
            .line(
                Line::new(
                    "offered: calls /s, retries included",
                    nth(0),
                    per_s(|r| r.count + r.retries),
                )
                .dashed(),
            );
        for f in &self.report.faults {
            c = c.band(Band {
                from: self.x(f.at_s),
                to: self.x(f.until_s.unwrap_or(f.at_s)),
                label: f.label.clone(),
                color: FAULT,
            });
        }
        c
    }

    /// One latency percentile of every customer operation (admin ones
    /// are few and noisy; their cards show them), log scale when they
    /// differ by orders of magnitude.
    pub fn percentile_by_op(&self, name: &str, f: fn(&SeriesRow) -> f64) -> Chart {
        let mut lines = Vec::new();
        for s in &self.report.summary {
            if Action::from_name(&s.operation).is_some_and(|a| a.is_admin()) {
                continue;
            }
            let Some(idx) = self.op_index(&s.operation) else {
                continue;
            };
            let rows = self.op_rows(idx);
            let pts = self.over_intervals(|t| rows.get(&key(t)).map(|r| f(r)));
            lines.push(Line::new(&s.operation, op_color(&s.operation), pts));
        }
        let y = Axis::auto(
            &format!("{name} latency (ms)"),
            lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
        );
        let mut c = self.chart(WIDE, y);
        c.lines = lines;
        c
    }

    /// The index of operation `name` in the report's series.
    fn op_index(&self, name: &str) -> Option<usize> {
        self.report.op_names.iter().position(|n| n == name)
    }

    /// p50, p95 and p99 of `operation` over time, in shades of its colour.
    pub fn op_latency(&self, operation: &str) -> Chart {
        let idx = self
            .op_index(operation)
            .unwrap_or(self.report.op_names.len());
        let rows = self.op_rows(idx);
        let color = op_color(operation);
        let line = |name: &str, shade: f64, f: fn(&SeriesRow) -> f64| {
            let pts = self.over_intervals(|t| rows.get(&key(t)).map(|r| f(r)));
            Line::new(name, tint(color, shade), pts)
        };
        let lines = vec![
            line("p50", 0.45, |r| r.p50_ms),
            line("p95", 0.72, |r| r.p95_ms),
            line("p99", 1.0, |r| r.p99_ms),
        ];
        let y = Axis::auto(
            "latency (ms)",
            lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
        );
        let mut c = self.chart(HALF, y);
        c.lines = lines;
        c
    }

    /// Errors per second by kind, the most frequent kind first.
    pub fn errors_by_kind(&self) -> Chart {
        let mut kinds = self.gauges("errors.", Some(0.0), |v, w| v / w);
        let total = |pts: &[(f64, f64)]| -> f64 { pts.iter().map(|p| p.1).sum() };
        kinds.sort_by(|a, b| total(&b.1).total_cmp(&total(&a.1)));
        let mut c = self.chart(HALF, Axis::linear("errors per second").from_zero());
        for (i, (kind, pts)) in kinds.into_iter().enumerate() {
            c = c.line(Line::new(&kind, nth(i), pts));
        }
        c
    }

    /// Station groups, busiest (mean utilization) first, with their
    /// colours: the same in the utilization and queue charts.
    fn stations(&self) -> Vec<(String, Points, Rgb)> {
        let mut st = self.gauges("utilization.", None, |v, _| v * 100.0);
        let mean = |pts: &[(f64, f64)]| -> f64 {
            pts.iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .sum::<f64>()
        };
        st.sort_by(|a, b| mean(&b.1).total_cmp(&mean(&a.1)));
        st.into_iter()
            .enumerate()
            .map(|(i, (name, pts))| (name, pts, nth(i)))
            .collect()
    }

    /// Utilization of every station group, percent, busiest first.
    pub fn utilization(&self) -> Chart {
        let mut c = self.chart(HALF, Axis::linear("utilization (%)").range(0.0, 100.0));
        for (st, pts, color) in self.stations() {
            c = c.line(Line::new(&st, color, pts));
        }
        c
    }

    /// Mean queue length of the station groups that ever queued (colours
    /// as in [`Timeline::utilization`]); the names of those that never did.
    pub fn queue_len(&self) -> (Chart, Vec<String>) {
        let queues = self.gauges("queue_len.", None, |v, _| v);
        let mut c = self.chart(HALF, Axis::linear("mean requests waiting").from_zero());
        let mut idle = Vec::new();
        for (st, _, color) in self.stations() {
            let Some((_, pts)) = queues.iter().find(|(n, _)| *n == st) else {
                continue;
            };
            if pts.iter().any(|p| p.1 > 0.0) {
                c = c.line(Line::new(&st, color, pts.clone()));
            } else {
                idle.push(st);
            }
        }
        (c, idle)
    }

    /// For each station group whose workers move, its workers (serving,
    /// and provisioning dashed) against its queue, per interval.
    pub fn scaling(&self) -> Vec<(String, Chart)> {
        let workers = self.gauges("workers.", None, |v, _| v);
        let provisioning = self.gauges("provisioning.", None, |v, _| v);
        let queues = self.gauges("queue_len.", None, |v, _| v);
        let find = |set: &[(String, Points)], st: &str| {
            set.iter().find(|(n, _)| n == st).map(|(_, p)| p.clone())
        };
        workers
            .iter()
            .map(|(st, pts)| {
                let mut c = self
                    .chart(HALF, Axis::linear("workers · requests waiting").from_zero())
                    .line(Line::new("workers", nth(0), pts.clone()));
                if let Some(p) = find(&provisioning, st) {
                    c = c.line(Line::new("provisioning", nth(0), p).dashed());
                }
                if let Some(q) = find(&queues, st) {
                    c = c.line(Line::new("queue", nth(1), q));
                }
                (st.clone(), c)
            })
            .collect()
    }

    /// The cache hit rate per interval, percent, with the run's overall
    /// rate dashed.
    pub fn hit_rate(&self) -> Chart {
        let all = self.op_rows(self.report.op_names.len());
        let pts = self.over_intervals(|t| {
            all.get(&key(t))
                .and_then(|r| r.cache_hit_rate)
                .map(|h| h * 100.0)
        });
        let mut c = self
            .chart(HALF, Axis::linear("hit rate (%)").range(0.0, 100.0))
            .line(Line::new("per interval", (23, 120, 180), pts));
        if let (Some(overall), Some(first), Some(last)) = (
            self.report.cache.first(),
            self.widths.keys().next(),
            self.widths.keys().next_back(),
        ) {
            let (a, b) = (
                *first as f64 / 1e3,
                *last as f64 / 1e3 + self.width(*last as f64 / 1e3),
            );
            let v = overall.hit_rate * 100.0;
            c = c.line(
                Line::new(
                    "whole run",
                    (120, 120, 120),
                    vec![(self.x(a), v), (self.x(b), v)],
                )
                .dashed(),
            );
        }
        c
    }

    /// Units on hand of every doorbuster (`None` without doorbusters).
    pub fn stock(&self) -> Option<Chart> {
        let series = self.gauges("doorbuster_stock.", None, |v, _| v);
        if series.is_empty() {
            return None;
        }
        let mut c = self.chart(WIDE, Axis::linear("units in stock").from_zero());
        for (i, (sku, pts)) in series.into_iter().enumerate() {
            c = c.line(Line::new(&format!("SKU {sku}"), nth(i), pts));
        }
        Some(c)
    }
}

/// `1/(1−p)` against latency of one distribution from p1 on: the 100%
/// row is at infinity, and the rows below 1% (within 0.005 decades of the
/// left edge) would only stretch the latency axis down to the fastest
/// request.
pub fn distribution_points(rows: &[hgrm::Row]) -> Vec<(f64, f64)> {
    rows.iter()
        .filter(|r| r.quantile >= 0.01 && r.quantile < 1.0)
        .map(|r| (1.0 / (1.0 - r.quantile), r.value_ms))
        .collect()
}

/// Percentile distributions, HdrHistogram style: `lines` of
/// `1/(1−p)` against latency in ms, log scales.
pub fn distribution_chart(size: (u32, u32), lines: Vec<Line>) -> Chart {
    let mut c = Chart::new(
        size,
        Axis::quantiles(),
        Axis::log("latency (ms), log scale"),
    );
    c.lines = lines;
    c
}

/// The distribution of every operation and ALL.
pub fn distributions(report: &Report) -> Chart {
    let lines = report
        .histograms
        .iter()
        .map(|(name, h)| {
            let mut l = Line::new(
                name,
                op_color(name),
                distribution_points(&hgrm::distribution(h)),
            );
            if name == ALL {
                l = l.dashed();
            }
            l
        })
        .collect();
    distribution_chart(WIDE, lines)
}

/// The distribution of one operation.
pub fn op_distribution(report: &Report, operation: &str) -> Chart {
    let lines = report
        .histograms
        .iter()
        .filter(|(n, _)| n == operation)
        .map(|(n, h)| Line::new(n, op_color(n), distribution_points(&hgrm::distribution(h))))
        .collect();
    distribution_chart(HALF, lines)
}
