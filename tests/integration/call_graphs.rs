//! Call graphs against their closed forms: fork-join (Flatto–Hahn),
//! scatter-gather (order statistics of exponential leaves, the tail at
//! scale), hedged requests, a saturated connection pool; cancellation; and
//! every construct on the wall clock against the virtual one.
//!
//! Runs go through the library (the model with no shop behind it), with
//! fixed seeds; each tolerance is a few standard errors of its sample.

use ecsim::contract::action::Op;
use ecsim::engine::Engine;
use ecsim::metrics::OpStats;
use ecsim::metrics::result::RunResult;
use ecsim::model::ModelOnly;
use ecsim::scenario::{Scenario, load_str};

use crate::util::*;

/// A scenario of custom operations (`start` is a `[behavior] start`
/// value; each operation leaves after one request) and extra TOML.
pub(crate) fn scenario(
    duration: &str,
    rate: f64,
    start: &str,
    ops: &[&str],
    extra: &str,
) -> Scenario {
    let transitions: String = ops
        .iter()
        .map(|o| format!("{o} = {{ leave = 1.0 }}\n"))
        .collect();
    let text = format!(
        "[scenario]\nduration = \"{duration}\"\n[load]\ntype = \"open\"\nrate = {rate}\n\
         [behavior]\nstart = {start}\n[behavior.transitions]\n{transitions}{extra}"
    );
    match load_str("t.toml", "t", &text, &[], None) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}\n{text}"),
    }
}

pub(crate) fn run(sc: &Scenario) -> RunResult {
    Engine::new(sc, ModelOnly).run(&mut |_| true)
}

/// The statistics of custom operation `name`.
pub(crate) fn op<'a>(sc: &Scenario, r: &'a RunResult, name: &str) -> &'a OpStats {
    let i = (0..sc.op_count())
        .find(|&i| sc.op_name(Op(i as u16)) == name)
        .unwrap_or_else(|| panic!("no operation {name}"));
    &r.ops[i]
}

fn mean_s(s: &OpStats) -> f64 {
    s.mean_ns() / 1e9
}

pub(crate) fn served(r: &RunResult, station: &str) -> u64 {
    r.stations
        .iter()
        .find(|s| s.name == station)
        .unwrap_or_else(|| panic!("no station {station}"))
        .stats
        .served
}

pub(crate) fn station(name: &str, workers: u32, service: &str) -> String {
    format!("[stations.{name}]\nworkers = {workers}\nservice_time = {service}\n")
}

const EXP1: &str = r#"{ dist = "exponential", mean = "1s" }"#;

#[test]
fn fork_join_of_two_mm1_branches_matches_flatto_hahn() {
    // λ = 0.5, μ = 1: E[T] = (12 − ρ)/8 · 1/(μ − λ) = 2.875 s. 10⁵
    // requests put 3% beyond four standard errors of the mean.
    let extra = format!(
        "[operations.fj]\nroute = [{{ parallel = [[\"a\"], [\"b\"]] }}]\n{}{}",
        station("a", 1, EXP1),
        station("b", 1, EXP1)
    );
    let sc = scenario("200000s", 0.5, "\"fj\"", &["fj"], &extra);
    let r = run(&sc);
    let s = op(&sc, &r, "fj");
    assert!(s.count > 95_000, "{}", s.count);
    let t = mean_s(s);
    assert!(
        (t / 2.875 - 1.0).abs() < 0.03,
        "fork-join mean {t:.4} s vs 2.875 s"
    );
    assert_eq!(r.left_in_queues, 0);
}

#[test]
fn scatter_gather_waits_for_the_slowest_of_its_leaves() {
    // No queueing (ample workers). `tail`: 100 leaves each over 1 s with
    // probability 0.01 (exponential, mean 1/ln 100 s): 1 − 0.99¹⁰⁰ = 0.634
    // of requests are over 1 s (40,000 requests: standard error 0.0024).
    // `max`: the slowest of 100 exponential(1) leaves has mean H₁₀₀ =
    // 5.1874 s (sd 1.28 s; 20,000 requests: standard error 0.17%).
    let tail_mean_ns = 1e9 / 100f64.ln();
    let extra = format!(
        "[operations.tail]\nroute = [{{ fanout = \"fast_leaf\", n = 100 }}]\n\
         [operations.max]\nroute = [{{ fanout = \"leaf\", n = 100, wait = \"all\" }}]\n{}{}",
        station(
            "fast_leaf",
            1_000_000,
            &format!("{{ dist = \"exponential\", mean = \"{tail_mean_ns:.0}ns\" }}")
        ),
        station("leaf", 1_000_000, EXP1),
    );
    let sc = scenario(
        "12000s",
        5.0,
        "{ tail = 0.667, max = 0.333 }",
        &["tail", "max"],
        &extra,
    );
    let r = run(&sc);
    // The share over 1 s, from the histogram that `histograms/tail.hgrm`
    // renders.
    let tail = op(&sc, &r, "tail");
    assert!(tail.count > 38_000, "{}", tail.count);
    let over = tail.count - tail.latency.count_between(0, 1_000_000_000);
    let share = over as f64 / tail.count as f64;
    let expected = 1.0 - 0.99f64.powi(100);
    assert!(
        (share - expected).abs() < 0.01,
        "share over 1 s {share:.4} vs {expected:.4}"
    );
    let h100: f64 = (1..=100).map(|i| 1.0 / i as f64).sum();
    let m = mean_s(op(&sc, &r, "max"));
    assert!(
        (m / h100 - 1.0).abs() < 0.01,
        "mean of the slowest {m:.4} s vs H100 {h100:.4}"
    );
}

#[test]
fn waiting_for_k_of_n_calls_is_the_kth_order_statistic() {
    // n = 10 exponential(1) leaves, K = 3: E = 1/10 + 1/9 + 1/8 (sd 0.195 s;
    // 20,000 requests: standard error 0.4%).
    let extra = format!(
        "[operations.k3]\nroute = [{{ fanout = \"leaf\", n = 10, wait = 3 }}]\n{}",
        station("leaf", 1_000_000, EXP1)
    );
    let sc = scenario("4000s", 5.0, "\"k3\"", &["k3"], &extra);
    let r = run(&sc);
    let expected = 1.0 / 10.0 + 1.0 / 9.0 + 1.0 / 8.0;
    let m = mean_s(op(&sc, &r, "k3"));
    assert!(
        (m / expected - 1.0).abs() < 0.02,
        "3rd of 10: {m:.4} s vs {expected:.4} s"
    );
    // Without cancel every call is still served.
    assert_eq!(served(&r, "leaf"), 10 * op(&sc, &r, "k3").count);
}

#[test]
fn a_hedged_call_matches_its_closed_form() {
    // Exponential(1) service, a second copy after d = 0.5 s: mean latency
    // (1 − e^−d) + e^−d/2 = 0.6967 s (sd about 0.6 s; 20,000 requests:
    // standard error 0.45%), extra calls e^−d = 0.6065 per request
    // (standard error 0.0035).
    let extra = format!(
        "[operations.hedged]\nroute = [{{ hedge = \"h\", after = \"500ms\", max = 2 }}]\n{}",
        station("h", 1_000_000, EXP1)
    );
    let sc = scenario("4000s", 5.0, "\"hedged\"", &["hedged"], &extra);
    let r = run(&sc);
    let s = op(&sc, &r, "hedged");
    let d: f64 = 0.5;
    let expected = (1.0 - (-d).exp()) + (-d).exp() / 2.0;
    let m = mean_s(s);
    assert!(
        (m / expected - 1.0).abs() < 0.02,
        "hedged mean {m:.4} s vs {expected:.4} s"
    );
    let extra_calls = served(&r, "h") as f64 / s.count as f64 - 1.0;
    assert!(
        (extra_calls - (-d).exp()).abs() < 0.015,
        "extra calls {extra_calls:.4} vs {:.4}",
        (-d).exp()
    );
}

#[test]
fn a_saturated_pool_completes_size_over_hold_time_requests_per_second() {
    // 20 permits held across 5 ms + 100 ms (constant, ample workers),
    // offered 400/s: 20/0.105 = 190.48 successes per second while the pool
    // is saturated, counted by completion over intervals well inside it.
    let sc = scenario(
        "100s",
        400.0,
        "\"pooled\"",
        &["pooled"],
        &format!(
            "[operations.pooled]\nroute = [{{ hold = \"db\", route = [\"fast\", \"slow\"] }}]\n\
             [stations.db]\nkind = \"pool\"\nsize = 20\nqueue_limit = 100\n{}{}",
            station("fast", 1000, r#"{ dist = "constant", value = "5ms" }"#),
            station("slow", 1000, r#"{ dist = "constant", value = "100ms" }"#)
        ),
    );
    let r = run(&sc);
    let all = sc.op_count();
    let ok: u64 = r
        .series
        .iter()
        .filter(|row| row.op == all && row.t_s >= 10.0 && row.t_s < 95.0)
        .map(|row| row.count - row.errors)
        .sum();
    let rate = ok as f64 / 85.0;
    assert!(
        (rate / (20.0 / 0.105) - 1.0).abs() < 0.01,
        "{rate:.2} successes/s vs 190.48"
    );
    let db = r
        .stations
        .iter()
        .find(|s| s.name == "db")
        .expect("the pool");
    assert!(db.stats.rejected > 0, "offered more than it can take");
}

#[test]
fn cancelled_branches_leave_their_queue_and_cancelled_holds_give_their_permit_back() {
    // The first of two branches wins: a quick call (10 ms), or a slow one
    // (500 ms) behind a one-permit pool. Without cancel the slow branch
    // still runs for every request (an orphan). With cancel it leaves the
    // pool's queue at once when the quick one wins, so it runs only when it
    // found the permit free: a loss system, served with probability
    // 1/(1 + a) = 2/3 at a = 1/s × 0.5 s (Erlang B, one server; 2,000
    // requests: standard error 0.011). A branch cancelled while holding
    // finishes its service and gives the permit back, so every request
    // still completes and none is left waiting.
    let ops = |cancel: bool| {
        format!(
            "[operations.race]\nroute = [{{ parallel = [[\"quick\"], [{{ hold = \"one\", route = [\"slow\"] }}]], wait = \"any\", cancel = {cancel} }}]\n\
             [stations.one]\nkind = \"pool\"\nsize = 1\n{}{}",
            station("quick", 100, r#"{ dist = "constant", value = "10ms" }"#),
            station("slow", 100, r#"{ dist = "constant", value = "500ms" }"#)
        )
    };
    let orphans = scenario("2000s", 1.0, "\"race\"", &["race"], &ops(false));
    let cancelled = scenario("2000s", 1.0, "\"race\"", &["race"], &ops(true));
    let (a, b) = (run(&orphans), run(&cancelled));
    let n = op(&orphans, &a, "race").count;
    assert_eq!(n, op(&cancelled, &b, "race").count);
    assert_eq!(served(&a, "slow"), n, "orphans keep the slow station busy");
    let share = served(&b, "slow") as f64 / n as f64;
    assert!(
        (share - 2.0 / 3.0).abs() < 0.04,
        "cancelled: {share:.3} served vs 2/3"
    );
    for r in [&a, &b] {
        assert_eq!(r.left_in_queues, 0);
        assert_eq!(op(&orphans, r, "race").errors, 0);
    }
    // Every permit granted came back: the pool was busy exactly while the
    // slow calls it let through were served.
    let pool = b.stations.iter().find(|s| s.name == "one").expect("pool");
    let held_s = pool.stats.busy_area as f64 / 1e9;
    assert!(
        (held_s - 0.5 * served(&b, "slow") as f64).abs() < 1e-6,
        "{held_s}"
    );
}

#[test]
fn every_construct_runs_on_the_wall_clock_as_on_the_virtual_one() {
    let _cpu = Scratch::alone();
    // Same seed on both clocks: the same arrivals and draws, so only the
    // wall clock's timing noise separates the means (each within 10%).
    let extra = format!(
        "[operations.fj]\nroute = [{{ parallel = [[\"a\"], [\"b\"]] }}]\n\
         [operations.sg]\nroute = [{{ fanout = \"leaf\", n = 20, wait = 18 }}]\n\
         [operations.hedged]\nroute = [{{ visit = \"a\", p = 0.5 }}, {{ hedge = \"leaf\", after = \"150ms\", max = 3, cancel = true }}]\n\
         [operations.pooled]\nroute = [{{ hold = \"db\", route = [{{ route = [\"leaf\", \"b\"] }}] }}]\n\
         [stations.db]\nkind = \"pool\"\nsize = 4\n{}{}{}",
        station("a", 2, r#"{ dist = "exponential", mean = "100ms" }"#),
        station("b", 2, r#"{ dist = "exponential", mean = "100ms" }"#),
        station("leaf", 1000, r#"{ dist = "exponential", mean = "100ms" }"#),
    );
    let sc = scenario(
        "60s",
        8.0,
        "{ fj = 0.25, sg = 0.25, hedged = 0.25, pooled = 0.25 }",
        &["fj", "sg", "hedged", "pooled"],
        &extra,
    );
    let virtual_run = run(&sc);
    let (wall_run, _) = crate::two_clocks::on_the_wall(&sc, ModelOnly, 0.05);
    for name in ["fj", "sg", "hedged", "pooled"] {
        let (v, w) = (op(&sc, &virtual_run, name), op(&sc, &wall_run, name));
        assert_eq!(v.count, w.count, "{name}: the same requests");
        assert_eq!(w.errors, 0, "{name}");
        let (mv, mw) = (mean_s(v), mean_s(w));
        assert!(
            (mw / mv - 1.0).abs() < 0.10,
            "{name}: virtual {mv:.4} s, wall {mw:.4} s"
        );
    }
    assert_eq!(wall_run.left_in_queues, 0);
}
