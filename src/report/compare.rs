//! `compare`: two reports, metric by metric.
//!
//! A pure function of two reports' metrics: it returns rows (base,
//! candidate, absolute and relative change, and — when both reports carry
//! 95% confidence intervals from replications — whether the change is
//! significant, i.e. the two intervals do not overlap) and the verdicts of
//! `--fail-if` rules. Reading the reports (`read_metrics`,
//! `read_distributions`, in `read.rs`) is here too, for the CLI to call; printing and
//! writing are the CLI's job.

mod read;

pub use read::{Metrics, ReadError, read_distributions, read_metrics};

use crate::scenario::model::Cmp;

/// One compared metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Metric name.
    pub metric: String,
    /// Base value.
    pub base: f64,
    /// Candidate value.
    pub candidate: f64,
    /// candidate − base.
    pub change: f64,
    /// change / base (`None` when base is 0 and the candidate is not).
    pub relative: Option<f64>,
    /// With CIs on both sides: do the 95% intervals fail to overlap?
    pub significant: Option<bool>,
    /// With CIs on both sides: the noise band, the sum of the two
    /// half-widths (a change within it is not significant).
    pub noise: Option<f64>,
}

/// The comparison of two reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Metrics present in both, by name.
    pub rows: Vec<Row>,
    /// Metrics only in the base report.
    pub only_base: Vec<String>,
    /// Metrics only in the candidate report.
    pub only_candidate: Vec<String>,
}

/// Compares two reports' metrics.
pub fn compare(base: &Metrics, candidate: &Metrics) -> Comparison {
    let mut rows = Vec::new();
    for (name, &b) in &base.values {
        let Some(&c) = candidate.values.get(name) else {
            continue;
        };
        let change = c - b;
        let relative = if b != 0.0 {
            Some(change / b.abs())
        } else if c == 0.0 {
            Some(0.0)
        } else {
            None
        };
        let noise = match (base.ci95.get(name), candidate.ci95.get(name)) {
            (Some(hb), Some(hc)) => Some(hb + hc),
            _ => None,
        };
        let significant = noise.map(|n| change.abs() > n);
        rows.push(Row {
            metric: name.clone(),
            base: b,
            candidate: c,
            change,
            relative,
            significant,
            noise,
        });
    }
    let only = |a: &Metrics, b: &Metrics| {
        a.values
            .keys()
            .filter(|k| !b.values.contains_key(*k))
            .cloned()
            .collect()
    };
    Comparison {
        rows,
        only_base: only(base, candidate),
        only_candidate: only(candidate, base),
    }
}

/// A compared value as `compare` prints it: integers without decimals,
/// magnitudes below 1 with 6, others with 3.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() < 1.0 {
        format!("{v:.6}")
    } else {
        format!("{v:.3}")
    }
}

/// A change: [`num`] with a `+` on increases.
pub fn signed(v: f64) -> String {
    let s = num(v);
    if v > 0.0 { format!("+{s}") } else { s }
}

/// A relative change as a signed percentage, `n/a` without one.
pub fn pct(r: Option<f64>) -> String {
    match r {
        Some(v) if v.is_finite() => format!("{:+.2}%", v * 100.0),
        _ => "n/a".into(),
    }
}

/// The significance column: `significant`, `within noise` or empty.
pub fn sig(s: Option<bool>) -> &'static str {
    match s {
        Some(true) => "significant",
        Some(false) => "within noise",
        None => "",
    }
}

/// A `--fail-if` rule: `checkout.p99_ms > +10%` or `ALL.error_rate > +0.005`.
#[derive(Clone, Debug, PartialEq)]
pub struct FailIf {
    /// As written.
    pub text: String,
    /// Metric name.
    pub metric: String,
    /// Comparison applied to the change.
    pub cmp: Cmp,
    /// Bound on the change (a fraction when `relative`).
    pub bound: f64,
    /// True for `%` (relative change), false for an absolute change.
    pub relative: bool,
}

/// Parses a `--fail-if` rule.
pub fn parse_fail_if(text: &str) -> Result<FailIf, String> {
    let help =
        "expected METRIC CMP CHANGE, e.g. 'checkout.p99_ms > +10%' or 'ALL.error_rate > +0.005'";
    let t = text.trim();
    let at = t
        .find(['<', '>', '='])
        .ok_or_else(|| format!("--fail-if '{text}': {help}"))?;
    let metric = t[..at].trim().to_owned();
    let rest = &t[at..];
    let (cmp, rest) = Cmp::strip_prefix(rest)
        .map(|(c, r)| (c, r.trim()))
        .ok_or_else(|| format!("--fail-if '{text}': {help}"))?;
    let (num, relative) = match rest.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (rest, false),
    };
    let bound: f64 = num
        .parse()
        .map_err(|_| format!("--fail-if '{text}': `{num}` is not a number; {help}"))?;
    if metric.is_empty() || !bound.is_finite() {
        return Err(format!("--fail-if '{text}': {help}"));
    }
    Ok(FailIf {
        text: text.to_owned(),
        metric,
        cmp,
        bound: if relative { bound / 100.0 } else { bound },
        relative,
    })
}

/// The rules that cannot fail for a change inside their metric's noise
/// band (their bound is inside it): `(rule, bound, band)` as absolute
/// changes. More replications narrow the band.
pub fn blind_rules(c: &Comparison, rules: &[FailIf]) -> Vec<(String, f64, f64)> {
    rules
        .iter()
        .filter_map(|r| {
            let row = c.rows.iter().find(|x| x.metric == r.metric)?;
            let band = row.noise?;
            let bound = if r.relative {
                r.bound * row.base.abs()
            } else {
                r.bound
            };
            (bound.abs() < band).then(|| (r.text.clone(), bound, band))
        })
        .collect()
}

/// A triggered `--fail-if` rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    /// The rule as written.
    pub rule: String,
    /// The change it saw (a fraction for relative rules).
    pub change: f64,
}

/// Evaluates `rules` on a comparison. A rule on a metric missing from
/// either report is an error; a change the confidence intervals call
/// insignificant is not a regression.
pub fn regressions(c: &Comparison, rules: &[FailIf]) -> Result<Vec<Regression>, String> {
    let mut out = Vec::new();
    for r in rules {
        let row = c
            .rows
            .iter()
            .find(|x| x.metric == r.metric)
            .ok_or_else(|| {
                format!(
                    "--fail-if '{}': metric `{}` is not in both reports",
                    r.text, r.metric
                )
            })?;
        let change = if r.relative {
            match row.relative {
                Some(v) => v,
                None => f64::INFINITY.copysign(row.change),
            }
        } else {
            row.change
        };
        if r.cmp.holds(change, r.bound) && row.significant != Some(false) {
            out.push(Regression {
                rule: r.text.clone(),
                change,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(pairs: &[(&str, f64)], ci: &[(&str, f64)]) -> Metrics {
        Metrics {
            values: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ci95: ci.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            partial: false,
        }
    }

    #[test]
    fn a_report_against_itself_changes_nothing() {
        let m = metrics(&[("checkout.p99_ms", 612.0), ("ALL.error_rate", 0.0)], &[]);
        let c = compare(&m, &m);
        assert!(
            c.rows
                .iter()
                .all(|r| r.change == 0.0 && r.relative == Some(0.0))
        );
        assert!(c.only_base.is_empty() && c.only_candidate.is_empty());
    }

    #[test]
    fn regression_improvement_and_unchanged() {
        let base = metrics(
            &[
                ("checkout.p99_ms", 500.0),
                ("search.p99_ms", 100.0),
                ("ALL.error_rate", 0.01),
            ],
            &[],
        );
        let cand = metrics(
            &[
                ("checkout.p99_ms", 600.0),
                ("search.p99_ms", 80.0),
                ("ALL.error_rate", 0.01),
            ],
            &[],
        );
        let c = compare(&base, &cand);
        let rules: Vec<FailIf> = [
            "checkout.p99_ms > +10%",
            "search.p99_ms > +10%",
            "ALL.error_rate > +0.005",
        ]
        .iter()
        .map(|r| parse_fail_if(r).expect("valid rule"))
        .collect();
        let reg = regressions(&c, &rules).expect("metrics exist");
        assert_eq!(reg.len(), 1, "{reg:?}");
        assert_eq!(reg[0].rule, "checkout.p99_ms > +10%");
        assert!((reg[0].change - 0.2).abs() < 1e-12);
        let search = c
            .rows
            .iter()
            .find(|r| r.metric == "search.p99_ms")
            .expect("row");
        assert_eq!(search.relative, Some(-0.2));
    }

    #[test]
    fn missing_metrics_are_listed_and_rules_on_them_fail() {
        let base = metrics(&[("a.count", 1.0), ("b.count", 2.0)], &[]);
        let cand = metrics(&[("a.count", 1.0), ("c.count", 3.0)], &[]);
        let c = compare(&base, &cand);
        assert_eq!(c.only_base, vec!["b.count"]);
        assert_eq!(c.only_candidate, vec!["c.count"]);
        let rule = parse_fail_if("b.count > +1%").expect("valid");
        assert!(
            regressions(&c, &[rule])
                .unwrap_err()
                .contains("not in both reports")
        );
    }

    #[test]
    fn confidence_intervals_decide_significance() {
        let base = metrics(
            &[("x.p99_ms", 100.0), ("y.p99_ms", 100.0)],
            &[("x.p99_ms", 5.0), ("y.p99_ms", 5.0)],
        );
        let cand = metrics(
            &[("x.p99_ms", 108.0), ("y.p99_ms", 120.0)],
            &[("x.p99_ms", 5.0), ("y.p99_ms", 5.0)],
        );
        let c = compare(&base, &cand);
        assert_eq!(
            c.rows[0].significant,
            Some(false),
            "8 < 5 + 5: intervals overlap"
        );
        assert_eq!(c.rows[1].significant, Some(true), "20 > 5 + 5");
        let rules = [
            parse_fail_if("x.p99_ms > +5%").expect("valid"),
            parse_fail_if("y.p99_ms > +5%").expect("valid"),
        ];
        let reg = regressions(&c, &rules).expect("ok");
        assert_eq!(reg.len(), 1, "the overlapping change is not a regression");
        assert_eq!(reg[0].rule, "y.p99_ms > +5%");
    }

    #[test]
    fn fail_if_grammar() {
        let r = parse_fail_if("checkout.p99_ms > +10%").expect("valid");
        assert_eq!(
            (r.metric.as_str(), r.cmp, r.bound, r.relative),
            ("checkout.p99_ms", Cmp::Gt, 0.1, true)
        );
        let r = parse_fail_if("ALL.throughput_per_s < -5%").expect("valid");
        assert_eq!((r.cmp, r.bound), (Cmp::Lt, -0.05));
        let r = parse_fail_if("ALL.error_rate >= 0.005").expect("valid");
        assert!(!r.relative);
        assert!(parse_fail_if("checkout.p99_ms").is_err());
        assert!(parse_fail_if("checkout.p99_ms > lots").is_err());
        assert!(parse_fail_if("> 5%").is_err());
    }
}
