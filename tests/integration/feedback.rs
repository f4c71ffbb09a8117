//! Client policies and impatient customers against their closed forms:
//! retry amplification, amplification compounded over layers, the retry
//! budget's bound, the backoff schedule, the circuit breaker's timing,
//! abandonment under known latency; what a client timeout leaves a server
//! to do with and without cancellation.
//!
//! Runs go through the library (the model with no shop behind it), with
//! fixed seeds; each tolerance is a few standard errors of its sample.

use ecsim::contract::ErrorKind;
use ecsim::metrics::result::RunResult;
use ecsim::scenario::Scenario;

use crate::call_graphs::{op, run, scenario, station};

const DEAD: &str =
    "[[faults]]\nkind = \"outage\"\nstation = \"dead\"\nat = \"0s\"\nfor = \"100000s\"\n";

/// Station `dead` (1 ms services) in a fail-fast outage for the whole run.
fn dead() -> String {
    format!(
        "{}{DEAD}",
        station("dead", 1, r#"{ dist = "constant", value = "1ms" }"#)
    )
}

fn arrivals(r: &RunResult, name: &str) -> u64 {
    r.stations
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no station {name}"))
        .stats
        .arrivals
}

fn errors(sc: &Scenario, r: &RunResult, name: &str, k: ErrorKind) -> u64 {
    op(sc, r, name).errors_by_kind[k.index()]
}

/// One operation `api` with route `route` over `stations`, at `rate` for
/// `duration`.
fn api(duration: &str, rate: f64, route: &str, stations: &str) -> Scenario {
    let extra = format!("[operations.api]\nroute = {route}\n{stations}");
    scenario(duration, rate, "\"api\"", &["api"], &extra)
}

#[test]
fn independent_failures_amplify_as_the_geometric_sum() {
    // x = 0.5, 4 attempts: (1 − x⁴)/(1 − x) = 1.875 calls per request,
    // success 1 − x⁴ = 0.9375. 5·10⁴ requests: the share's standard error
    // is 0.0011, the calls' 0.004; 1% is at least 2.5 of them.
    let sc = api(
        "50000s",
        1.0,
        r#"[{ visit = "flaky", retry = { attempts = 4 } }]"#,
        "[stations.flaky]\nworkers = 64\nservice_time = { dist = \"constant\", value = \"1ms\" }\nfail_rate = 0.5\n",
    );
    let r = run(&sc);
    let s = op(&sc, &r, "api");
    assert!(s.count > 48_000, "{}", s.count);
    let calls = arrivals(&r, "flaky") as f64 / s.count as f64;
    assert!(
        (calls / 1.875 - 1.0).abs() < 0.01,
        "calls per request {calls}"
    );
    assert_eq!(s.count + s.retries, arrivals(&r, "flaky"));
    let success = 1.0 - s.errors as f64 / s.count as f64;
    assert!((success / 0.9375 - 1.0).abs() < 0.01, "success {success}");
    assert_eq!(s.errors, errors(&sc, &r, "api", ErrorKind::Failed));
}

#[test]
fn three_layers_of_four_attempts_send_64_calls_to_a_dead_station() {
    let route = r#"[{ route = [{ route = [{ visit = "dead", retry = { attempts = 4 } }], retry = { attempts = 4 } }], retry = { attempts = 4 } }]"#;
    let stations = dead();
    let sc = api("100s", 1.0, route, &stations);
    let r = run(&sc);
    let s = op(&sc, &r, "api");
    assert!(s.count > 50, "{}", s.count);
    assert_eq!(arrivals(&r, "dead"), 64 * s.count);
    assert_eq!(s.retries, 63 * s.count);
    assert_eq!(errors(&sc, &r, "api", ErrorKind::Unavailable), s.count);
}

#[test]
fn the_retry_budget_bounds_retries_over_the_whole_run() {
    // Against a dead station every retry the budget allows is sent: the
    // bound 0.1 × first attempts + 10 × T is reached, never passed.
    let route = r#"[{ visit = "dead", retry = { attempts = 10, budget = { ratio = 0.1, min_per_s = 10 } } }]"#;
    let stations = dead();
    let sc = api("600s", 50.0, route, &stations);
    let r = run(&sc);
    let s = op(&sc, &r, "api");
    let length_s = r.end.as_nanos() as f64 / 1e9;
    let bound = 0.1 * s.count as f64 + 10.0 * length_s;
    let retries = s.retries as f64;
    assert!(retries <= bound, "{retries} retries > bound {bound}");
    assert!(
        retries > 0.97 * bound,
        "{retries} retries, bound {bound}: the budget should bind"
    );
}

/// The latency of requests retried `attempts − 1` times against a dead
/// station (the outage fails at once, so latency is the backoff alone).
fn backoff_run(jitter: &str, duration: &str) -> (Scenario, RunResult) {
    let route = format!(
        r#"[{{ visit = "dead", retry = {{ attempts = 5, backoff = {{ base = "50ms", multiplier = 2.0, max = "300ms", jitter = "{jitter}" }} }} }}]"#
    );
    let stations = dead();
    let sc = api(duration, 1.0, &route, &stations);
    let r = run(&sc);
    (sc, r)
}

#[test]
fn backoff_without_jitter_waits_exactly_base_times_multiplier_powers_capped() {
    // 50 + 100 + 200 + min(400, 300) = 650 ms, for every request.
    let (sc, r) = backoff_run("none", "100s");
    let s = op(&sc, &r, "api");
    assert!(s.count > 50);
    assert_eq!(s.sum_ns, 650_000_000 * s.count as u128);
}

#[test]
fn jittered_backoffs_stay_in_their_bounds_with_their_means() {
    // Σ d_k = 650 ms. Full: each delay uniform on [0, d_k): mean 325 ms;
    // equal: d_k/2 + uniform[0, d_k/2): mean 487.5 ms; decorrelated: each
    // delay in [50, 300] ms, so the sum in [200, 1200] ms. 10⁴ requests:
    // the standard error of the full mean is about 1.5 ms.
    let ms = |ns: u64| ns as f64 / 1e6;
    for (jitter, lo, hi, mean) in [
        ("full", 0.0, 650.0, Some(325.0)),
        ("equal", 325.0, 650.0, Some(487.5)),
        ("decorrelated", 200.0, 1200.0, None),
    ] {
        let (sc, r) = backoff_run(jitter, "10000s");
        let s = op(&sc, &r, "api");
        let (min, max) = (ms(s.latency.min()), ms(s.latency.max()));
        assert!(
            min >= lo * 0.999 && max <= hi * 1.001,
            "{jitter}: [{min}, {max}]"
        );
        if let Some(m) = mean {
            let got = s.mean_ns() / 1e6;
            assert!((got - m).abs() < 6.0, "{jitter}: mean {got} ms, want {m}");
        }
    }
}

#[test]
fn the_breaker_opens_during_an_outage_and_closes_after_it() {
    // Outage 20–40 s at 50 calls/s: the 10 s window, full of successes,
    // reaches a 50% failure share about 5 s in; then open 5 s at a time,
    // probes failing until the outage ends. After it, the breaker closes
    // once the open spell under way and its 3 probes (10 ms) are over.
    let route = r#"[{ visit = "svc", breaker = { window = "10s", min_requests = 20, failure_rate = 0.5, open_for = "5s", half_open = 3 } }]"#;
    let stations = format!(
        "{}[[faults]]\nkind = \"outage\"\nstation = \"svc\"\nat = \"20s\"\nfor = \"20s\"\n",
        station("svc", 8, r#"{ dist = "constant", value = "10ms" }"#)
    );
    // One-second report intervals (80 s / 60, whole seconds).
    let sc = api("80s", 50.0, route, &stations);
    let r = run(&sc);
    let s = op(&sc, &r, "api");
    let open = |t: f64| {
        r.gauges
            .iter()
            .find(|g| g.gauge == "breaker_open.operations.api.route.0" && (g.t_s - t).abs() < 1e-9)
            .map_or(0.0, |g| g.value)
    };
    assert_eq!(open(19.0), 0.0);
    let opened = (20..30).find(|&t| open(t as f64) > 0.0);
    assert!(opened.is_some(), "opens within its window");
    // Closed from 40 + 5 s (the last open spell) + a probe's 10 ms on.
    for t in 46..80 {
        assert_eq!(open(t as f64), 0.0, "still open at {t} s");
    }
    let fast = errors(&sc, &r, "api", ErrorKind::CircuitOpen);
    let unavailable = errors(&sc, &r, "api", ErrorKind::Unavailable);
    assert!(fast > 700, "{fast} calls refused by the open breaker");
    // Refused calls fail at once: every error took under 1 ms.
    assert!(s.latency.count_between(0, 1_000_000) >= fast + unavailable);
    assert!(
        unavailable < 400,
        "{unavailable} calls reached the dead station"
    );
}

#[test]
fn impatient_customers_abandon_in_proportion_to_the_latency_tail() {
    // M/M/1, λ = 0.5, μ = 1: the sojourn is exponential with rate μ − λ,
    // so P(T > 2 s) = e^(−1) = 0.368. Abandoning leaves the queue as it
    // was (the server keeps the work). 10⁵ sessions; queue correlation
    // makes the effective sample smaller: 0.01 is about 4 of its errors.
    let extra = format!(
        "{}[customers]\npatience = {{ dist = \"constant\", value = \"2s\" }}\n",
        station("s", 1, r#"{ dist = "exponential", mean = "1s" }"#)
    );
    let sc = api("200000s", 0.5, r#"["s"]"#, &extra);
    let r = run(&sc);
    let s = op(&sc, &r, "api");
    let abandoned = errors(&sc, &r, "api", ErrorKind::Abandoned);
    let share = abandoned as f64 / s.count as f64;
    assert!((share - (-1.0f64).exp()).abs() < 0.01, "abandoned {share}");
    assert_eq!(r.sessions_abandoned, abandoned);
    // Every request was still served: abandoning does not cancel.
    assert_eq!(crate::call_graphs::served(&r, "s"), s.count);
}

#[test]
fn a_client_timeout_leaves_the_work_queued_unless_it_cancels() {
    // Two requests a second at a one-worker station of 1 s: overloaded.
    // Callers give up after 1.5 s; without cancel the server still serves
    // every request (most of it wasted), with cancel queued calls leave.
    let svc = station("s", 1, r#"{ dist = "constant", value = "1s" }"#);
    let keep = api("100s", 2.0, r#"[{ visit = "s", timeout = "1.5s" }]"#, &svc);
    let drop = api(
        "100s",
        2.0,
        r#"[{ visit = "s", timeout = "1.5s", cancel = true }]"#,
        &svc,
    );
    let (rk, rd) = (run(&keep), run(&drop));
    let (sk, sd) = (op(&keep, &rk, "api"), op(&drop, &rd, "api"));
    assert_eq!(crate::call_graphs::served(&rk, "s"), sk.count);
    assert!(errors(&keep, &rk, "api", ErrorKind::Timeout) > sk.count * 8 / 10);
    assert!(crate::call_graphs::served(&rd, "s") < sd.count * 6 / 10);
    // Wasted: the 1 s services of calls whose caller had gone by their
    // end. Without cancel, every timed-out call is still served; with it,
    // only those already in service when their caller gave up.
    let wasted = |r: &RunResult| r.stations[0].stats.wasted_ns;
    let second = 1_000_000_000u128;
    let timed_out = errors(&keep, &rk, "api", ErrorKind::Timeout) as u128;
    assert_eq!(wasted(&rk), timed_out * second);
    let lost = crate::call_graphs::served(&rd, "s") - (sd.count - sd.errors);
    assert_eq!(wasted(&rd), lost as u128 * second);
    assert!(wasted(&rk) > 2 * wasted(&rd));
}
