//! `compare`: two reports, metric by metric.
//!
//! A pure function of two reports' metrics: it returns rows (base,
//! candidate, absolute and relative change, and — when both reports carry
//! 95% confidence intervals from replications — whether the change is
//! significant, i.e. the two intervals do not overlap) and the verdicts of
//! `--fail-if` rules. Reading the reports (`read_metrics`,
//! `read_distributions`) is here too, for the CLI to call; printing and
//! writing are the CLI's job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::hgrm;
use crate::contract::action::{Action, N_ACTIONS};
use crate::contract::names::{self, CACHE_HEADER, STATIONS_HEADER, SUMMARY_METRICS};
use crate::scenario::model::Cmp;

/// A report's metrics by name (`checkout.p99_ms`, `cache.hit_rate`,
/// `stations.payment.utilization`, `business.revenue`) and, where the
/// report has them, their 95% CI half-widths.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Values.
    pub values: BTreeMap<String, f64>,
    /// CI half-widths, for the metrics that have them.
    pub ci95: BTreeMap<String, f64>,
}

/// Why a report directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// summary.csv is missing: not a report directory.
    #[error("{0}: not an ecsim report directory (no summary.csv)")]
    NotAReport(PathBuf),
    /// A file could not be parsed.
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn read_table(path: &Path) -> Result<Option<Vec<BTreeMap<String, String>>>, ReadError> {
    if !path.exists() {
        return Ok(None);
    }
    let bad = |message: String| ReadError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let mut r = ::csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        rows.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect(),
        );
    }
    Ok(Some(rows))
}

fn put(m: &mut Metrics, path: &Path, name: String, raw: &str) -> Result<(), ReadError> {
    let v: f64 = raw.parse().map_err(|_| ReadError::Malformed {
        path: path.to_path_buf(),
        message: format!("`{name}` is {raw:?}, not a number"),
    })?;
    m.values.insert(name, v);
    Ok(())
}

/// Reads the metrics of the report in `dir`.
pub fn read_metrics(dir: &Path) -> Result<Metrics, ReadError> {
    let mut m = Metrics::default();
    let summary_path = dir.join(names::SUMMARY);
    let summary =
        read_table(&summary_path)?.ok_or_else(|| ReadError::NotAReport(dir.to_path_buf()))?;
    for row in &summary {
        let op = row.get("operation").cloned().unwrap_or_default();
        for col in SUMMARY_METRICS {
            if let Some(v) = row.get(col) {
                put(&mut m, &summary_path, format!("{op}.{col}"), v)?;
            }
            if let Some(ci) = row.get(&format!("{col}_ci95")).filter(|v| !v.is_empty())
                && let Ok(h) = ci.parse::<f64>()
            {
                m.ci95.insert(format!("{op}.{col}"), h);
            }
        }
    }
    let stations_path = dir.join(names::STATIONS);
    for row in read_table(&stations_path)?.unwrap_or_default() {
        let name = row.get("station").cloned().unwrap_or_default();
        for col in &STATIONS_HEADER[1..] {
            if let Some(v) = row.get(*col) {
                put(&mut m, &stations_path, format!("stations.{name}.{col}"), v)?;
            }
        }
    }
    let cache_path = dir.join(names::CACHE);
    for row in read_table(&cache_path)?.unwrap_or_default() {
        for col in &CACHE_HEADER[1..] {
            if let Some(v) = row.get(*col) {
                put(&mut m, &cache_path, format!("cache.{col}"), v)?;
            }
        }
    }
    let business_path = dir.join(names::BUSINESS);
    for row in read_table(&business_path)?.unwrap_or_default() {
        if let (Some(k), Some(v)) = (row.get("metric"), row.get("value")) {
            put(&mut m, &business_path, format!("business.{k}"), v)?;
        }
    }
    Ok(m)
}

/// A report's latency distributions, `histograms/*.hgrm`: `(operation,
/// rows)` in action order, then `ALL`, then any other name. A report
/// without a `histograms/` directory has none.
pub fn read_distributions(dir: &Path) -> Result<Vec<(String, Vec<hgrm::Row>)>, ReadError> {
    let hdir = dir.join(names::HISTOGRAMS);
    let Ok(entries) = std::fs::read_dir(&hdir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(names::HGRM))
        else {
            continue;
        };
        let bad = |message: String| ReadError::Malformed {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        out.push((name.to_owned(), hgrm::parse(&text).map_err(bad)?));
    }
    let rank = |n: &str| match Action::from_name(n) {
        Some(a) => a.index(),
        None if n == crate::contract::names::ALL => N_ACTIONS,
        None => N_ACTIONS + 1,
    };
    out.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    Ok(out)
}

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
        let significant = match (base.ci95.get(name), candidate.ci95.get(name)) {
            (Some(hb), Some(hc)) => Some(change.abs() > hb + hc),
            _ => None,
        };
        rows.push(Row {
            metric: name.clone(),
            base: b,
            candidate: c,
            change,
            relative,
            significant,
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
