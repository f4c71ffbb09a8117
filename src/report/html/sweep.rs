//! `sweep.html`: each key metric of a sweep against the varied parameter,
//! and the table of `sweep.csv`.
//!
//! The x axis is the varied key with the most values, one tick per value
//! in the order given on the command line (so `8,16,32,64` reads like a
//! log axis and non-numeric values such as `lru,lfu` work too); every
//! combination of the other keys is a line. Points that fail a threshold
//! get a red ring; the cheapest passing point is named in the header.
//! Table cells come from `sweep::fields`, the function that writes
//! `sweep.csv`. A pure function of the points.

use std::fmt::Write;

use super::charts::{Axis, Chart, HALF, Line, nth};
use super::page::{self, Tone, badge, figure, section};
use super::tables::{Cell, Row, table};
use crate::report::sweep::{self, Point, SWEEP_METRICS};
use crate::scenario::model::Threshold;

fn percent_metric(m: &str) -> bool {
    m.ends_with("error_rate") || m.ends_with("hit_rate")
}

fn axis_label(m: &str) -> String {
    if percent_metric(m) {
        format!("{m} (%)")
    } else if m.ends_with("_ms") {
        format!("{m} (ms)")
    } else if m.ends_with("_per_s") {
        format!("{m} (/s)")
    } else {
        m.to_owned()
    }
}

/// Distinct values of key `k`, in first-seen order.
fn values_of(points: &[Point], k: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in points {
        if let Some((_, v)) = p.values.get(k)
            && !out.contains(v)
        {
            out.push(v.clone());
        }
    }
    out
}

/// The chart of metric `m` (index into [`SWEEP_METRICS`]), with the
/// scenario's thresholds on it as dashed lines.
fn metric_chart(
    keys: &[String],
    points: &[Point],
    thresholds: &[Threshold],
    xk: usize,
    m: usize,
) -> Chart {
    let xs = values_of(points, xk);
    let n = xs.len();
    let metric = SWEEP_METRICS[m];
    let scale = if percent_metric(metric) { 100.0 } else { 1.0 };
    // Lines: one per combination of the other keys, in first-seen order.
    let mut groups: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut failed = Vec::new();
    for p in points {
        let others: Vec<String> = p
            .values
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != xk)
            .map(|(_, (k, v))| format!("{k}={v}"))
            .collect();
        let label = if others.is_empty() {
            metric.to_owned()
        } else {
            others.join(", ")
        };
        let x = p
            .values
            .get(xk)
            .and_then(|(_, v)| xs.iter().position(|x| x == v))
            .map_or(f64::NAN, |i| i as f64);
        let y = p.metrics.get(m).copied().unwrap_or(f64::NAN) * scale;
        if !p.passes() {
            failed.push((x, y));
        }
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push((x, y)),
            None => groups.push((label, vec![(x, y)])),
        }
    }
    let label = axis_label(metric);
    let y = if metric.ends_with("_ms") {
        Axis::auto(&label, groups.iter().flat_map(|g| g.1.iter().map(|p| p.1)))
    } else {
        Axis::linear(&label).from_zero()
    };
    let x_label = keys.get(xk).map_or("point", String::as_str);
    let mut c = Chart::new(HALF, Axis::categories(x_label, xs), y);
    for (i, (name, mut pts)) in groups.into_iter().enumerate() {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        c = c.line(Line::new(&name, nth(i), pts).markers());
    }
    if !failed.is_empty() {
        c = c.line(Line::new("fails a threshold", (220, 38, 38), failed).dots());
    }
    for t in thresholds.iter().filter(|t| t.metric == metric) {
        let v = t.value * scale;
        c = c.line(
            Line::new(
                &format!("threshold {}", t.expected()),
                (100, 100, 100),
                vec![(-0.5, v), (n as f64 - 0.5, v)],
            )
            .dashed(),
        );
    }
    c
}

/// The sweep page: `title` is the scenario name, `keys` the varied keys,
/// `thresholds` the scenario's (drawn on the charts of their metrics).
pub fn render(title: &str, keys: &[String], points: &[Point], thresholds: &[Threshold]) -> String {
    let best = sweep::cheapest(points);
    let xk = (0..keys.len())
        .max_by_key(|k| (values_of(points, *k).len(), std::cmp::Reverse(*k)))
        .unwrap_or(0);
    let mut b = String::new();
    b.push_str(&section(
        "metrics",
        "Key metrics against the varied parameter",
        "each point is a full run; red dots fail a threshold",
    ));
    b.push_str("<div class=\"grid\">\n");
    for (m, metric) in SWEEP_METRICS.iter().enumerate() {
        let chart = metric_chart(keys, points, thresholds, xk, m);
        b.push_str(&figure(metric, "", &chart, false));
    }
    b.push_str("</div>\n");

    b.push_str(&section(
        "points",
        "Points",
        "sweep.csv; each point links to its report",
    ));
    let header: Vec<&str> = sweep::header(keys);
    let rows: Vec<Row> = points
        .iter()
        .map(|p| {
            let mut cells: Vec<Cell> = sweep::fields(p).into_iter().map(Cell::from).collect();
            if let Some(c) = cells.first_mut() {
                c.href = Some(format!("{}/report.html", p.name));
            }
            let class = match p.pass {
                Some(true) => Some("pass"),
                Some(false) => Some("fail"),
                None => None,
            };
            let class = if best.is_some_and(|x| x.name == p.name) {
                Some("all")
            } else {
                class
            };
            (cells, class)
        })
        .collect();
    b.push_str(&table(
        "t-points",
        "Sweep points",
        "the cheapest passing point in bold; a point's name opens its report",
        &header,
        &rows,
    ));

    let mut facts: Vec<(&str, String)> = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        facts.push((key.as_str(), values_of(points, k).join(", ")));
    }
    facts.push(("points", points.len().to_string()));
    facts.push(("ecsim", env!("CARGO_PKG_VERSION").to_owned()));
    let any_thresholds = points.iter().any(|p| p.pass.is_some());
    let badges = match best {
        _ if !any_thresholds => badge(Tone::None, "no thresholds: every point passes"),
        Some(p) => {
            let what: Vec<String> = p.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            badge(
                Tone::Ok,
                &format!(
                    "✓ cheapest passing: {} ({}), cost {}",
                    p.name,
                    what.join(", "),
                    page::thousands(p.cost, 0)
                ),
            )
        }
        None => badge(Tone::Bad, "✗ no point passes every threshold"),
    };
    let mut desc = String::new();
    let _ = write!(desc, "{} points over {}", points.len(), keys.join(" × "));
    page::shell(
        &format!("{title} sweep · ecsim"),
        &page::header("ecsim sweep", title, &desc, &facts, &badges),
        &b,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: usize, workers: &str, policy: &str, p99: f64, pass: bool) -> Point {
        let mut metrics = vec![f64::NAN; SWEEP_METRICS.len()];
        metrics[3] = p99;
        Point {
            name: format!("point-{i:03}"),
            values: vec![
                ("stations.payment.workers".into(), workers.into()),
                ("cache.policy".into(), policy.into()),
            ],
            cost: workers.parse().unwrap_or(0.0),
            metrics,
            pass: Some(pass),
            cost_of: "workers".into(),
        }
    }

    #[test]
    fn charts_every_metric_against_the_longest_key() {
        let keys = vec![
            "stations.payment.workers".to_string(),
            "cache.policy".to_string(),
        ];
        let pts = vec![
            point(1, "8", "lru", 900.0, false),
            point(2, "8", "<lfu>", 850.0, false),
            point(3, "16", "lru", 300.0, true),
            point(4, "16", "<lfu>", 280.0, true),
            point(5, "32", "lru", 120.0, true),
            point(6, "32", "<lfu>", 110.0, true),
        ];
        let limit = Threshold {
            metric: "ALL.p99_ms".into(),
            cmp: crate::scenario::model::Cmp::Lt,
            value: 800.0,
        };
        let html = render("pay & go", &keys, &pts, std::slice::from_ref(&limit));
        assert_eq!(html.matches("<figure").count(), SWEEP_METRICS.len());
        assert!(html.contains("cheapest passing: point-003"));
        assert!(html.contains("pay &amp; go") && !html.contains("<lfu>"));
        assert!(
            html.contains("cache.policy=&lt;lfu&gt;"),
            "one line per policy"
        );
        assert!(html.contains("<a href=\"point-001/report.html\">point-001</a>"));
        assert!(html.contains("fails a threshold"));
        assert!(html.contains("threshold &lt; 800"), "the limit is drawn");
        // The table holds sweep.csv's cells.
        assert!(html.contains("<td class=\"n\">300.000</td>"));
        let c = metric_chart(&keys, &pts, &[], 0, 3);
        assert_eq!(
            c.x.ticks,
            super::super::charts::Ticks::Categories(vec!["8".into(), "16".into(), "32".into()])
        );
    }
}
