//! The engine's own invariants (INVARIANTS.md I12–I14) and the merged
//! invariant table of a run.
//!
//! The business layer checks the shop's invariants (I1–I11 and the shop
//! part of I12); this module adds what only the engine can see: requests
//! left in station queues (I12), the cache bounds (I13) and the metric
//! accounting (I14), and orders the rows by invariant number.

use super::{ErrorRow, SummaryRow};
use crate::contract::business::InvariantResult;
use crate::contract::names::ALL;
use crate::metrics::result::RunResult;

fn row(id: &str, name: &str, checked: u64, violations: Vec<String>) -> InvariantResult {
    InvariantResult {
        id: id.into(),
        name: name.into(),
        checked,
        violations,
    }
}

/// I14: histogram counts equal completed requests per operation, the
/// `ALL` row is the sum of the operation rows, and errors by kind add up
/// to each operation's errors.
pub fn metric_accounting(
    result: &RunResult,
    summary: &[SummaryRow],
    errors: &[ErrorRow],
    ops: &[usize],
) -> InvariantResult {
    let mut v = Vec::new();
    for &op in ops {
        let s = &result.ops[op];
        if s.latency.len() != s.count {
            v.push(format!(
                "operation #{op}: histogram holds {} values, {} requests completed",
                s.latency.len(),
                s.count
            ));
        }
        let by_kind: u64 = s.errors_by_kind.iter().sum();
        if by_kind != s.errors {
            v.push(format!(
                "operation #{op}: errors by kind sum to {by_kind}, errors {}",
                s.errors
            ));
        }
    }
    let (all, rows): (Vec<&SummaryRow>, Vec<&SummaryRow>) =
        summary.iter().partition(|r| r.operation == ALL);
    if let Some(all) = all.first() {
        let (count, errs): (u64, u64) = rows
            .iter()
            .fold((0, 0), |(c, e), r| (c + r.count, e + r.errors));
        if all.count != count || all.errors != errs {
            v.push(format!(
                "ALL row has {} requests and {} errors; the operations sum to {count} and {errs}",
                all.count, all.errors
            ));
        }
    }
    for r in rows {
        let listed: u64 = errors
            .iter()
            .filter(|e| e.operation == r.operation)
            .map(|e| e.count)
            .sum();
        if listed != r.errors {
            v.push(format!(
                "{}: errors.csv lists {listed} errors, summary.csv {}",
                r.operation, r.errors
            ));
        }
    }
    row("I14", "metric_accounting", summary.len() as u64, v)
}

/// The run's invariant table: the business's rows, the engine's I12–I14
/// folded in, ordered by number.
pub fn table(result: &RunResult, i14: InvariantResult) -> Vec<InvariantResult> {
    let mut rows = result.business.invariants.clone();
    let queues = if !result.interrupted && result.left_in_queues > 0 {
        vec![format!(
            "{} requests left in station queues after the drain",
            result.left_in_queues
        )]
    } else {
        Vec::new()
    };
    let checked = result.stations.len() as u64;
    match rows.iter_mut().find(|r| r.id == "I12") {
        Some(r) => {
            r.checked += checked;
            r.violations.extend(queues);
        }
        None => rows.push(row("I12", "liveness", checked, queues)),
    }
    if let Some(c) = &result.cache {
        let mut v = result.cache_problems.clone();
        if c.hits + c.misses != c.lookups {
            v.push(format!(
                "measured hits {} + misses {} != lookups {}",
                c.hits, c.misses, c.lookups
            ));
        }
        rows.push(row("I13", "cache_bounds", c.lookups, v));
    }
    rows.push(i14);
    rows.sort_by_key(|r| {
        r.id.trim_start_matches('I')
            .parse::<u32>()
            .unwrap_or(u32::MAX)
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::model::ModelOnly;
    use crate::report::Report;
    use crate::scenario::load_str;

    fn run() -> (crate::scenario::Scenario, RunResult) {
        let text = r#"
[scenario]
duration = "20s"
[load]
type = "open"
rate = 50.0
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { search = 0.5, leave = 0.5 }
search = { leave = 1.0 }
[stations.search]
workers = 1
queue_limit = 1
"#;
        let sc = load_str("t.toml", "t", text, &[], None)
            .expect("valid")
            .scenario;
        let r = Engine::new(&sc, ModelOnly).run(&mut |_| true);
        (sc, r)
    }

    #[test]
    fn a_sound_run_has_no_violations() {
        let (sc, r) = run();
        let report = Report::build(&sc, std::slice::from_ref(&r), String::new(), 0.0);
        assert!(
            report.errors.iter().any(|e| e.kind == "rejected"),
            "the scenario rejects some searches"
        );
        let ids: Vec<&str> = report.invariants.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["I12", "I13", "I14"]);
        assert!(
            report.invariants.iter().all(|i| i.violations.is_empty()),
            "{:?}",
            report.invariants
        );
    }

    #[test]
    fn corrupted_metrics_are_caught() {
        let (sc, mut r) = run();
        // A request counted but never recorded in its histogram.
        r.ops[crate::contract::action::Action::Search.index()].count += 1;
        let report = Report::build(&sc, std::slice::from_ref(&r), String::new(), 0.0);
        let i14 = report
            .invariants
            .iter()
            .find(|i| i.id == "I14")
            .expect("I14 row");
        assert!(
            i14.violations.iter().any(|v| v.contains("histogram holds")),
            "{i14:?}"
        );
    }

    #[test]
    fn requests_left_in_queues_are_caught() {
        let (sc, mut r) = run();
        r.left_in_queues = 2;
        let report = Report::build(&sc, std::slice::from_ref(&r), String::new(), 0.0);
        let i12 = report
            .invariants
            .iter()
            .find(|i| i.id == "I12")
            .expect("I12 row");
        assert_eq!(
            i12.violations,
            vec!["2 requests left in station queues after the drain"]
        );
    }

    #[test]
    fn cache_accounting_is_checked() {
        let (sc, mut r) = run();
        if let Some(c) = &mut r.cache {
            c.hits += 1;
        }
        let report = Report::build(&sc, std::slice::from_ref(&r), String::new(), 0.0);
        let i13 = report
            .invariants
            .iter()
            .find(|i| i.id == "I13")
            .expect("I13 row");
        assert_eq!(i13.violations.len(), 1, "{i13:?}");
    }
}
