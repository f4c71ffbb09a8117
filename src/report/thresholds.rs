//! Thresholds: the scenario's pass/fail conditions, evaluated on a report.
//!
//! A pure function of the thresholds and the report's metrics; the CLI
//! prints the verdicts and turns a failure into exit code 1.

use std::collections::BTreeMap;

use crate::scenario::model::Threshold;

/// One evaluated threshold: a row of `thresholds.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The metric, e.g. `checkout.p99_ms`.
    pub threshold: String,
    /// The condition, e.g. `< 800`.
    pub expected: String,
    /// The measured value.
    pub actual: f64,
    /// Whether the condition held.
    pub pass: bool,
}

/// Evaluates `thresholds` against `metrics`. A metric missing from the
/// report (which validation rules out) fails with a NaN actual.
pub fn evaluate(thresholds: &[Threshold], metrics: &BTreeMap<String, f64>) -> Vec<Verdict> {
    thresholds
        .iter()
        .map(|t| {
            let actual = metrics.get(&t.metric).copied().unwrap_or(f64::NAN);
            Verdict {
                threshold: t.metric.clone(),
                expected: t.expected(),
                actual,
                pass: t.cmp.holds(actual, t.value),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Cmp;
    use crate::scenario::validate::parse_threshold;

    fn t(metric: &str, expr: &str) -> Threshold {
        let (cmp, value) = parse_threshold(expr).expect("valid threshold");
        Threshold {
            metric: metric.into(),
            cmp,
            value,
        }
    }

    #[test]
    fn grammar_accepts_every_comparison() {
        assert_eq!(parse_threshold("< 800"), Ok((Cmp::Lt, 800.0)));
        assert_eq!(parse_threshold("<=0.01"), Ok((Cmp::Le, 0.01)));
        assert_eq!(parse_threshold(" > 0.9 "), Ok((Cmp::Gt, 0.9)));
        assert_eq!(parse_threshold(">= 5"), Ok((Cmp::Ge, 5.0)));
        assert_eq!(parse_threshold("== 0"), Ok((Cmp::Eq, 0.0)));
        assert!(
            parse_threshold("800")
                .unwrap_err()
                .contains("must start with")
        );
        assert!(
            parse_threshold("< fast")
                .unwrap_err()
                .contains("needs a number")
        );
        assert!(parse_threshold("<").is_err());
    }

    #[test]
    fn verdicts_pass_and_fail() {
        let metrics: BTreeMap<String, f64> = [
            ("checkout.p99_ms".to_string(), 612.0),
            ("ALL.error_rate".to_string(), 0.02),
        ]
        .into();
        let v = evaluate(
            &[
                t("checkout.p99_ms", "< 800"),
                t("ALL.error_rate", "<= 0.01"),
            ],
            &metrics,
        );
        assert!(v[0].pass);
        assert_eq!(v[0].expected, "< 800");
        assert!(!v[1].pass);
        assert_eq!(v[1].actual, 0.02);
    }

    #[test]
    fn a_bound_equal_to_the_value_is_inclusive_only_for_le_and_ge() {
        let metrics: BTreeMap<String, f64> = [("x.count".to_string(), 5.0)].into();
        let pass = |e| evaluate(&[t("x.count", e)], &metrics)[0].pass;
        assert!(!pass("< 5") && pass("<= 5") && !pass("> 5") && pass(">= 5") && pass("== 5"));
    }
}
