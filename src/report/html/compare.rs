//! The page of `ecsim compare BASE CAND --html FILE`: the two runs'
//! latency percentile distributions overlaid per operation, and their key
//! metrics side by side.
//!
//! A pure function of what the CLI read and computed: the comparison, the
//! `--fail-if` verdicts and both reports' `.hgrm` distributions. Numbers
//! are formatted by the same helpers as the console table
//! (`compare::num`, `signed`, `pct`), so page and terminal agree. Colours
//! say which way is better only for metrics with an obvious direction
//! (latency and errors down, throughput, hit rate and revenue up), and
//! only for changes of at least 1% that the confidence intervals do not
//! call noise.

use std::fmt::Write;

use super::charts::{HALF, Line, WIDE, op_color};
use super::page::{self, Tone, badge, esc, figure, section};
use super::tables::{Cell, Row, table};
use super::timeline::{distribution_chart, distribution_points};
use crate::contract::action::Action;
use crate::contract::names::ALL;
use crate::report::compare::{Comparison, FailIf, Regression, num, pct, sig, signed};
use crate::report::hgrm;

/// One side of the comparison.
pub struct Side<'a> {
    /// How to call it: the report directory as given.
    pub label: &'a str,
    /// Its `histograms/*.hgrm`, as `compare::read_distributions` reads them.
    pub distributions: &'a [(String, Vec<hgrm::Row>)],
}

/// Everything the page shows.
pub struct Input<'a> {
    /// The base report.
    pub base: Side<'a>,
    /// The candidate report.
    pub candidate: Side<'a>,
    /// The metric-by-metric comparison.
    pub comparison: &'a Comparison,
    /// The `--fail-if` rules.
    pub rules: &'a [FailIf],
    /// The rules that triggered.
    pub regressions: &'a [Regression],
}

const BASE_COLOR: (u8, u8, u8) = (120, 130, 145);

/// `Some(true)` when a larger value is better, `Some(false)` when
/// smaller is, `None` when it depends.
fn higher_is_better(metric: &str) -> Option<bool> {
    let col = metric.rsplit('.').next().unwrap_or(metric);
    const LOWER: [&str; 14] = [
        "error_rate",
        "errors",
        "rejected",
        "timed_out",
        "mean_queue_len",
        "max_queue_len",
        "checkouts_failed",
        "carts_abandoned",
        "cart_abandonment",
        "sessions_abandoned",
        "customer_retries",
        "payment_declines",
        "gateway_timeouts",
        "misses",
    ];
    const HIGHER: [&str; 7] = [
        "throughput_per_s",
        "goodput_per_s",
        "hit_rate",
        "hits",
        "revenue",
        "orders_paid",
        "orders_placed",
    ];
    if col.ends_with("_ms") || LOWER.contains(&col) {
        Some(false)
    } else if HIGHER.contains(&col) {
        Some(true)
    } else {
        None
    }
}

/// The metrics worth a first look, in reading order: ALL's, each
/// operation's p99 and error rate, the cache, the stations (not shards),
/// the business outcome, and every metric a rule names.
fn key_metrics(i: &Input) -> Vec<String> {
    let mut keys: Vec<String> = [
        "count",
        "throughput_per_s",
        "goodput_per_s",
        "error_rate",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "p999_ms",
        "max_ms",
    ]
    .iter()
    .map(|c| format!("{ALL}.{c}"))
    .collect();
    for a in Action::ALL {
        keys.push(format!("{}.p99_ms", a.name()));
        keys.push(format!("{}.error_rate", a.name()));
    }
    keys.push("cache.hit_rate".into());
    for r in &i.comparison.rows {
        if r.metric.starts_with("stations.")
            && !r.metric.contains('[')
            && r.metric.ends_with(".utilization")
        {
            keys.push(r.metric.clone());
        }
    }
    for b in [
        "sessions",
        "sessions_abandoned",
        "orders_paid",
        "revenue",
        "cart_abandonment",
        "checkouts_failed",
    ] {
        keys.push(format!("business.{b}"));
    }
    keys.extend(i.rules.iter().map(|r| r.metric.clone()));
    let mut seen = std::collections::BTreeSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys.retain(|k| i.comparison.rows.iter().any(|r| &r.metric == k));
    keys
}

fn rows_of(c: &Comparison, metrics: &[String], with_sig: bool) -> Vec<Row> {
    metrics
        .iter()
        .filter_map(|m| c.rows.iter().find(|r| &r.metric == m))
        .map(|r| {
            let notable = r.relative.is_none_or(|v| v.abs() >= 0.01)
                && r.change != 0.0
                && r.significant != Some(false);
            let class = match higher_is_better(&r.metric) {
                Some(up) if notable => Some(if (r.change > 0.0) == up {
                    "good"
                } else {
                    "bad"
                }),
                _ => None,
            };
            let mut cells: Vec<Cell> = vec![
                r.metric.clone().into(),
                num(r.base).into(),
                num(r.candidate).into(),
                signed(r.change).into(),
                pct(r.relative).into(),
            ];
            cells[3].class = class;
            cells[4].class = class;
            if with_sig {
                cells.push(sig(r.significant).to_owned().into());
            }
            (cells, None)
        })
        .collect()
}

/// The comparison page.
pub fn render(i: &Input) -> String {
    let c = i.comparison;
    let with_sig = c.rows.iter().any(|r| r.significant.is_some());
    let mut header = vec!["metric", "base", "candidate", "change", "change %"];
    if with_sig {
        header.push("significance");
    }
    let mut b = String::new();
    b.push_str(&section(
        "metrics",
        "Key metrics",
        "latency in ms; rates are fractions",
    ));
    b.push_str(&table(
        "t-key",
        "Base and candidate",
        "green/red: ≥ 1% better/worse and not within noise",
        &header,
        &rows_of(c, &key_metrics(i), with_sig),
    ));
    if !i.rules.is_empty() {
        b.push_str(&rules(i));
    }

    b.push_str(&section(
        "distributions",
        "Latency percentile distributions",
        "whole runs, HdrHistogram style: x is 1/(1−p); base dashed grey, candidate in colour",
    ));
    b.push_str("<div class=\"grid\">\n");
    let mut only = Vec::new();
    // ALL first, across the page; then the operations.
    let ordered = i
        .candidate
        .distributions
        .iter()
        .filter(|(n, _)| n == ALL)
        .chain(i.candidate.distributions.iter().filter(|(n, _)| n != ALL));
    for (name, cand) in ordered {
        let Some((_, base)) = i.base.distributions.iter().find(|(n, _)| n == name) else {
            only.push(name.as_str());
            continue;
        };
        let wide = name == ALL;
        let chart = distribution_chart(
            if wide { WIDE } else { HALF },
            vec![
                Line::new(
                    &format!("base: {}", i.base.label),
                    BASE_COLOR,
                    distribution_points(base),
                )
                .dashed(),
                Line::new(
                    &format!("candidate: {}", i.candidate.label),
                    op_color(name),
                    distribution_points(cand),
                ),
            ],
        );
        let metric = format!("{name}.p99_ms");
        let note = match c.rows.iter().find(|r| r.metric == metric) {
            Some(r) => format!(
                "p99 {} → {} ms ({})",
                num(r.base),
                num(r.candidate),
                pct(r.relative)
            ),
            None => String::new(),
        };
        b.push_str(&figure(name, &note, &chart, wide));
    }
    b.push_str("</div>\n");
    if i.candidate.distributions.is_empty() || i.base.distributions.is_empty() {
        b.push_str("<p class=\"note\">A report has no histograms/ directory: no distributions to draw.</p>\n");
    }
    if !only.is_empty() {
        let _ = writeln!(
            b,
            "<p class=\"note\">Only in the candidate: {}.</p>",
            esc(&only.join(", "))
        );
    }

    b.push_str(&section(
        "all",
        "Every metric",
        "as `ecsim compare` prints it",
    ));
    let all: Vec<String> = c.rows.iter().map(|r| r.metric.clone()).collect();
    b.push_str("<details><summary>show all metrics</summary>\n");
    b.push_str(&table(
        "t-all",
        "All metrics in both reports",
        "",
        &header,
        &rows_of(c, &all, with_sig),
    ));
    b.push_str("</details>\n");
    for (label, list) in [
        ("Only in base", &c.only_base),
        ("Only in candidate", &c.only_candidate),
    ] {
        if !list.is_empty() {
            let _ = writeln!(
                b,
                "<p class=\"note\">{label}: {}.</p>",
                esc(&list.join(", "))
            );
        }
    }

    let facts = [
        ("base", i.base.label.to_owned()),
        ("candidate", i.candidate.label.to_owned()),
        ("metrics compared", c.rows.len().to_string()),
        ("ecsim", env!("CARGO_PKG_VERSION").to_owned()),
    ];
    let badges = if i.rules.is_empty() {
        badge(Tone::None, "no --fail-if rules")
    } else if i.regressions.is_empty() {
        badge(
            Tone::Ok,
            &format!("✓ no regression ({} rules)", i.rules.len()),
        )
    } else {
        badge(
            Tone::Bad,
            &format!(
                "✗ {} of {} rules found a regression",
                i.regressions.len(),
                i.rules.len()
            ),
        )
    };
    let title = format!("{} vs {}", i.base.label, i.candidate.label);
    page::shell(
        &format!("{title} · ecsim compare"),
        &page::header("ecsim comparison", &title, "", &facts, &badges),
        &b,
    )
}

fn rules(i: &Input) -> String {
    let rows: Vec<Row> = i
        .rules
        .iter()
        .map(|r| {
            let hit = i.regressions.iter().find(|x| x.rule == r.text);
            let change = match hit {
                Some(x) if r.relative => format!("{:+.2}%", x.change * 100.0),
                Some(x) => signed(x.change),
                None => String::new(),
            };
            let mut verdict: Cell = if hit.is_some() { "regression" } else { "ok" }
                .to_owned()
                .into();
            verdict.class = Some(if hit.is_some() { "bad" } else { "good" });
            (
                vec![r.text.clone().into(), change.into(), verdict],
                Some(if hit.is_some() { "fail" } else { "pass" }),
            )
        })
        .collect();
    table(
        "t-rules",
        "--fail-if rules",
        "",
        &["rule", "change", "verdict"],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compare::{Metrics, compare, parse_fail_if, regressions};

    fn dist(scale: f64) -> Vec<hgrm::Row> {
        (0..40)
            .map(|i| {
                let q = 1.0 - 0.5f64.powi(i);
                hgrm::Row {
                    value_ms: scale * (1.0 + i as f64),
                    quantile: q,
                    total: i as u64,
                }
            })
            .collect()
    }

    #[test]
    fn shows_both_distributions_key_metrics_and_verdicts() {
        let m = |p99: f64| Metrics {
            values: [
                ("ALL.p99_ms", p99),
                ("ALL.throughput_per_s", 100.0),
                ("x<y>.count", 1.0),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
            ci95: Default::default(),
            partial: false,
        };
        let c = compare(&m(100.0), &m(150.0));
        let rules = [parse_fail_if("ALL.p99_ms > +10%").expect("valid")];
        let reg = regressions(&c, &rules).expect("metrics exist");
        let (db, dc) = (
            vec![("ALL".to_string(), dist(1.0))],
            vec![("ALL".to_string(), dist(1.5))],
        );
        let html = render(&Input {
            base: Side {
                label: "reports/<base>",
                distributions: &db,
            },
            candidate: Side {
                label: "cand",
                distributions: &dc,
            },
            comparison: &c,
            rules: &rules,
            regressions: &reg,
        });
        assert!(html.contains("reports/&lt;base&gt;") && !html.contains("<base>"));
        assert!(
            html.contains("<td>ALL.p99_ms</td><td class=\"n\">100</td><td class=\"n\">150</td>")
        );
        assert!(html.contains("class=\"n bad\">+50.00%"), "p99 up is worse");
        assert!(html.contains("1 of 1 rules found a regression"));
        assert_eq!(html.matches("<svg").count(), 1, "one chart: ALL");
        assert!(html.contains("x&lt;y&gt;.count"));
        assert!(
            !html.contains("http://") && !html.contains("https://") && !html.contains("<script")
        );
    }

    #[test]
    fn direction_of_goodness() {
        assert_eq!(higher_is_better("checkout.p99_ms"), Some(false));
        assert_eq!(
            higher_is_better("stations.payment.mean_wait_ms"),
            Some(false)
        );
        assert_eq!(higher_is_better("cache.hit_rate"), Some(true));
        assert_eq!(higher_is_better("business.revenue"), Some(true));
        assert_eq!(higher_is_better("business.sessions_abandoned"), Some(false));
        assert_eq!(higher_is_better("ALL.count"), None);
        assert_eq!(higher_is_better("ALL.goodput_per_s"), Some(true));
        assert_eq!(
            higher_is_better("checkout.attempts"),
            None,
            "more calls: more load served, or more retries"
        );
    }
}
