//! Hand-built run results for the report's unit tests: the skeleton of a
//! real (model-only) run of a tiny scenario with every measurement
//! cleared, so that a test sets exactly the numbers it asserts on and
//! never spells out every field of [`RunResult`].

use crate::contract::ErrorKind;
use crate::contract::action::Action;
use crate::engine::Engine;
use crate::kernel::time::SimTime;
use crate::metrics::OpStats;
use crate::metrics::result::RunResult;
use crate::metrics::series::SeriesRow;
use crate::model::ModelOnly;
use crate::scenario::{Scenario, load_str};

/// Sessions view a product, then search; no warmup, 10 s intervals.
const TINY: &str = r#"
[scenario]
duration = "20s"
report_interval = "10s"
[load]
type = "open"
rate = 5.0
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { search = 0.5, leave = 0.5 }
search = { leave = 1.0 }
"#;

/// The tiny scenario with `faults` (TOML `[[faults]]` tables) appended.
pub fn scenario(faults: &str) -> Scenario {
    load_str("t.toml", "t", &format!("{TINY}{faults}"), &[], None)
        .expect("valid scenario")
        .scenario
}

/// A result of `sc` that measured nothing, over a window of `window_s`
/// seconds that ends at the last event.
pub fn empty(sc: &Scenario, window_s: f64) -> RunResult {
    let mut r = Engine::new(sc, ModelOnly).run(&mut |_| true);
    for o in &mut r.ops {
        *o = OpStats::default();
    }
    r.series.clear();
    r.gauges.clear();
    r.sessions = 0;
    r.sessions_abandoned = 0;
    r.customer_retries = 0;
    r.window_ns = (window_s * 1e9).round() as u64;
    r.end = SimTime(sc.warmup.as_nanos() + r.window_ns);
    r
}

/// Records `ok` successful and `failed` timed-out requests of `action`,
/// 1 ms each, and `retries` retries sent on their behalf.
pub fn record(r: &mut RunResult, action: Action, ok: u64, failed: u64, retries: u64) {
    let s = &mut r.ops[action.index()];
    for _ in 0..ok {
        s.record(1_000_000, None);
    }
    for _ in 0..failed {
        s.record(1_000_000, Some(ErrorKind::Timeout));
    }
    s.retries += retries;
}

/// The `ALL` row of `sc`'s time series for the interval starting at
/// `t_s`: `count` requests completed, `errors` of them failed, `retries`
/// sent (latencies 1 ms).
pub fn all_row(sc: &Scenario, t_s: f64, count: u64, errors: u64, retries: u64) -> SeriesRow {
    SeriesRow {
        t_s,
        op: sc.op_names().len(),
        count,
        errors,
        mean_ms: 1.0,
        p50_ms: 1.0,
        p99_ms: 1.0,
        cache_hit_rate: None,
        p95_ms: 1.0,
        retries,
    }
}
