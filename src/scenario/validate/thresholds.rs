//! `[thresholds]`: nested tables flattened to dotted metric names, each
//! name checked against the report's metrics and each condition parsed.
//!
//! An unknown metric is reported with the known ones of its family (or,
//! for an unknown family, the `ALL.` and `cache.` ones) as examples; a
//! threshold is kept only when both its name and its condition are valid.

use super::*;

/// Parses `"< 800"` into a comparison and a bound.
pub fn parse_threshold(expr: &str) -> Result<(Cmp, f64), String> {
    let t = expr.trim();
    let (cmp, rest) = Cmp::strip_prefix(t).ok_or_else(|| {
        format!("threshold \"{expr}\" must start with <, <=, >, >= or ==, e.g. \"< 800\"")
    })?;
    match rest.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((cmp, v)),
        _ => Err(format!(
            "threshold \"{expr}\" needs a number after the comparison, e.g. \"< 800\""
        )),
    }
}

fn flatten_thresholds(
    prefix: &str,
    t: &BTreeMap<String, ThresholdFile>,
    out: &mut Vec<(String, String)>,
) {
    for (k, v) in t {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            ThresholdFile::Expr(e) => out.push((name, e.clone())),
            ThresholdFile::Nested(inner) => flatten_thresholds(&name, inner, out),
        }
    }
}

pub(super) fn thresholds(
    c: &mut Checker,
    t: &BTreeMap<String, ThresholdFile>,
    names: &[String],
) -> Vec<Threshold> {
    let mut flat = Vec::new();
    flatten_thresholds("", t, &mut flat);
    let mut out = Vec::new();
    for (metric, expr) in flat {
        let path = format!("thresholds.{metric}");
        if !names.contains(&metric) {
            let family = metric.split('.').next().unwrap_or_default();
            let mut similar: Vec<&str> = names
                .iter()
                .filter(|n| n.starts_with(&format!("{family}.")))
                .map(String::as_str)
                .collect();
            if similar.is_empty() {
                similar = names
                    .iter()
                    .filter(|n| n.starts_with("ALL.") || n.starts_with("cache."))
                    .map(String::as_str)
                    .collect();
            }
            c.issue(
                &path,
                format!(
                    "unknown metric \"{metric}\"; metrics are OPERATION.COLUMN (summary.csv), cache.COLUMN, stations.NAME.COLUMN or business.METRIC, e.g. {}",
                    similar.join(", ")
                ),
            );
            continue;
        }
        match parse_threshold(&expr) {
            Ok((cmp, value)) => out.push(Threshold { metric, cmp, value }),
            Err(e) => c.issue(&path, e),
        }
    }
    out
}
