//! The simulation against queueing theory and cache models.
//!
//! Each test runs the real binary on a scenario whose shape has a known
//! analytic answer, then compares. Means are compared with a tolerance of
//! four batch-means standard errors (see `util::batch_means`), so the bound
//! follows from the samples, not from hope; fixed seeds make every run
//! repeatable.

use crate::util::*;

/// `[scenario]` + open load + a single `view_product` on `catalog_db`:
/// exactly an M/G/c queue.
fn single_queue(
    rate: f64,
    workers: u32,
    service: &str,
    duration: &str,
    warmup: &str,
    interval: &str,
) -> String {
    format!(
        r#"
[scenario]
name = "queue"
duration = "{duration}"
warmup = "{warmup}"
report_interval = "{interval}"

[load]
type = "open"
rate = {rate}

[behavior]
start = "view_product"
[behavior.transitions]
view_product = {{ leave = 1.0 }}

[catalog]
products = 100

[cache]
enabled = false

[stations.catalog_db]
workers = {workers}
service_time = {service}
"#
    )
}

fn check_mean(dir: &std::path::Path, expected_ms: f64) {
    let series = read_csv(&dir.join("timeseries.csv"));
    let (mean, se, n) = batch_means(&series, "view_product");
    let summary = read_csv(&dir.join("summary.csv"));
    let overall = num(row(&summary, "operation", "view_product"), "mean_ms");
    assert!(n >= 30, "need enough batches, got {n}");
    let tol = 4.0 * se;
    assert!(
        (mean - expected_ms).abs() < tol,
        "batch mean {mean:.4} ms vs theory {expected_ms:.4} ms: off by {:.4}, allowed {tol:.4} (4 standard errors, {n} batches)",
        (mean - expected_ms).abs()
    );
    // The report's overall mean is the same data without the last batch.
    assert!(
        (overall - mean).abs() < tol,
        "summary mean {overall} vs batches {mean}"
    );
}

#[test]
fn mm1_sojourn_time_matches_theory() {
    let s = Scratch::new();
    // λ = 800/s, μ = 1000/s: ρ = 0.8, W = 1/(μ-λ) = 5 ms.
    let sc = s.scenario(
        "mm1.toml",
        &single_queue(
            800.0,
            1,
            r#"{ dist = "exponential", mean = "1ms" }"#,
            "1000s",
            "20s",
            "10s",
        ),
    );
    let dir = s.run_ok(&sc, "out", &[]);
    check_mean(&dir, 5.0);
    // The M/M/1 sojourn is exponential with rate μ-λ: p50 = ln 2 / 200 s,
    // p99 = ln 100 / 200 s. 780k samples put the empirical quantiles within
    // ~1% of these; histogram buckets add at most 0.1%. Allow 3%.
    let summary = read_csv(&dir.join("summary.csv"));
    let r = row(&summary, "operation", "view_product");
    for (col, q) in [("p50_ms", 0.5f64), ("p99_ms", 0.99)] {
        let theory = -(1.0 - q).ln() / 200.0 * 1e3;
        let got = num(r, col);
        assert!(
            (got / theory - 1.0).abs() < 0.03,
            "{col}: {got} vs {theory}"
        );
    }
}

#[test]
fn mmc_sojourn_time_matches_erlang_c() {
    let s = Scratch::new();
    // c = 8, μ = 100/s, λ = 720/s: ρ = 0.9.
    let (c, mu, lambda) = (8u32, 100.0, 720.0);
    let sc = s.scenario(
        "mm8.toml",
        &single_queue(
            lambda,
            c,
            r#"{ dist = "exponential", mean = "10ms" }"#,
            "1h",
            "5m",
            "1m",
        ),
    );
    let dir = s.run_ok(&sc, "out", &[]);
    let pw = erlang_c(c, lambda / mu);
    let w = 1.0 / mu + pw / (c as f64 * mu - lambda);
    check_mean(&dir, w * 1e3);
    // Utilization is λ/(cμ).
    let stations = read_csv(&dir.join("stations.csv"));
    let util = num(row(&stations, "station", "catalog_db"), "utilization");
    assert!((util - 0.9).abs() < 0.01, "utilization {util}");
}

#[test]
fn md1_waiting_time_matches_pollaczek_khinchine() {
    let s = Scratch::new();
    // Deterministic service D = 1 ms, λ = 800/s, ρ = 0.8:
    // W = D + ρ D / (2 (1 - ρ)) = 1 + 2 = 3 ms.
    let sc = s.scenario(
        "md1.toml",
        &single_queue(
            800.0,
            1,
            r#"{ dist = "constant", value = "1ms" }"#,
            "1000s",
            "20s",
            "10s",
        ),
    );
    let dir = s.run_ok(&sc, "out", &[]);
    check_mean(&dir, 3.0);
}

/// A scenario with several stations, a queue limit and a timeout.
const NETWORK: &str = r#"
[scenario]
name = "network"
duration = "300s"
report_interval = "10s"

[load]
type = "open"
rate = 300.0
think_time = { dist = "exponential", mean = "500ms" }

[behavior]
start = { home = 0.5, view_product = 0.5 }
[behavior.transitions]
home = { view_product = 0.6, search = 0.2, leave = 0.2 }
view_product = { add_to_cart = 0.3, view_product = 0.4, leave = 0.3 }
search = { view_product = 0.7, leave = 0.3 }
add_to_cart = { checkout = 0.5, view_product = 0.3, leave = 0.2 }
checkout = { leave = 1.0 }

[catalog]
products = 2000

[cache]
capacity = 200

[stations.catalog_db]
workers = 2
service_time = { dist = "exponential", mean = "10ms" }
queue_limit = 10
timeout = "30ms"

[stations.payment]
workers = 8
timeout = "2s"
"#;

#[test]
fn littles_law_holds_at_every_station() {
    let s = Scratch::new();
    let sc = s.scenario("net.toml", NETWORK);
    let dir = s.run_ok(&sc, "out", &[]);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("run.json"))
            .expect("json");
    let window_s = run["sim_end_s"].as_f64().expect("sim_end_s");
    let stations = read_csv(&dir.join("stations.csv"));
    let catalog = row(&stations, "station", "catalog_db");
    assert!(
        num(catalog, "timed_out") > 0.0 && num(catalog, "rejected") > 0.0,
        "the scenario exercises both limits: {catalog:?}"
    );
    for st in &stations {
        // Without warmup and with a full drain, L = λ W is an identity of
        // the sample path: λ counts requests admitted to the queue (served
        // or timed out), W their waits; only rounding of the printed
        // numbers separates the two sides.
        let lambda = (num(st, "served") + num(st, "timed_out")) / window_s;
        let l = num(st, "mean_queue_len");
        let lw = lambda * num(st, "mean_wait_ms") / 1e3;
        // Printing rounds L to 1e-6 and W to 1e-6 s (3 decimals of ms).
        let rounding = 5e-7 + lambda * 5e-7;
        assert!(
            (l - lw).abs() <= 1e-3 * l + rounding,
            "{}: L = {l}, λW = {lw}",
            st["station"]
        );
    }
}

#[test]
fn lru_hit_rate_through_the_engine_matches_che() {
    let s = Scratch::new();
    let (n, cap, alpha) = (5000usize, 250usize, 0.8);
    let text = format!(
        r#"
[scenario]
duration = "2500s"
warmup = "100s"

[load]
type = "open"
rate = 200.0

[behavior]
start = "view_product"
[behavior.transitions]
view_product = {{ leave = 1.0 }}

[catalog]
products = {n}
popularity = {{ dist = "zipf", exponent = {alpha} }}

[cache]
capacity = {cap}
policy = "lru"
"#
    );
    let sc = s.scenario("che.toml", &text);
    let dir = s.run_ok(&sc, "out", &[]);
    let cache = read_csv(&dir.join("cache.csv"));
    let hit_rate = num(row(&cache, "cache", "catalog"), "hit_rate");
    let w: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-alpha)).collect();
    let z: f64 = w.iter().sum();
    let p: Vec<f64> = w.iter().map(|x| x / z).collect();
    let filled = |t: f64| p.iter().map(|pi| 1.0 - (-pi * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1e9);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < cap as f64 {
            lo = mid
        } else {
            hi = mid
        }
    }
    let che: f64 = p.iter().map(|pi| pi * (1.0 - (-pi * lo).exp())).sum();
    // 480k lookups: binomial sd < 0.001; Che's approximation is within a
    // fraction of a percent at this size. Allow 0.01.
    assert!(
        (hit_rate - che).abs() < 0.01,
        "hit rate {hit_rate:.4} vs Che {che:.4}"
    );
}

#[test]
fn closed_model_obeys_the_response_time_law() {
    let s = Scratch::new();
    // N users; each session: view_product, then again with p = 0.9 after a
    // think time Z, else leave (and the user starts a new session at once).
    // Little's law on the whole loop: N = X (R + 0.9 Z).
    let text = r#"
[scenario]
duration = "600s"
warmup = "30s"

[load]
type = "closed"
users = 40
think_time = { dist = "exponential", mean = "100ms" }

[behavior]
start = "view_product"
[behavior.transitions]
view_product = { view_product = 0.9, leave = 0.1 }

[cache]
enabled = false

[stations.catalog_db]
workers = 4
service_time = { dist = "exponential", mean = "10ms" }
"#;
    let sc = s.scenario("closed.toml", text);
    let dir = s.run_ok(&sc, "out", &[]);
    let summary = read_csv(&dir.join("summary.csv"));
    let r = row(&summary, "operation", "view_product");
    let x = num(r, "throughput_per_s");
    let resp = num(r, "mean_ms") / 1e3;
    let n = x * (resp + 0.9 * 0.1);
    // The drain after the last session start lowers the average population
    // slightly; over 570 s measured it is well under 1%.
    assert!(
        (n / 40.0 - 1.0).abs() < 0.02,
        "N = X (R + 0.9 Z) = {n:.2}, expected 40"
    );
}

#[test]
fn stage_profile_produces_the_intended_counts() {
    let s = Scratch::new();
    let text = r#"
[scenario]
duration = "1300s"
report_interval = "20s"

[load]
type = "open"
stages = [
  { at = "0s", rate = 20.0 },
  { at = "600s", rate = 20.0 },
  { at = "660s", rate = 400.0 },
  { at = "1200s", rate = 400.0 },
  { at = "1260s", rate = 0.0 },
]

[behavior]
start = "view_product"
[behavior.transitions]
view_product = { leave = 1.0 }

[cache]
enabled = false

[stations.catalog_db]
workers = 100000
service_time = { dist = "constant", value = "1us" }
"#;
    let sc = s.scenario("stages.toml", text);
    let dir = s.run_ok(&sc, "out", &[]);
    let series = read_csv(&dir.join("timeseries.csv"));
    let knots = [
        (0.0, 20.0),
        (600.0, 20.0),
        (660.0, 400.0),
        (1200.0, 400.0),
        (1260.0, 0.0),
    ];
    let rate = |t: f64| {
        for w in knots.windows(2) {
            let ((t0, r0), (t1, r1)) = (w[0], w[1]);
            if t < t1 {
                return r0 + (r1 - r0) * (t - t0) / (t1 - t0);
            }
        }
        0.0
    };
    let mut checked = 0;
    for r in series.iter().filter(|r| r["operation"] == "ALL") {
        let t0 = num(r, "t_s");
        // Trapezoid on 1 s steps is exact for a piecewise-linear rate with
        // knots on whole seconds.
        let expected: f64 = (0..20)
            .map(|i| (rate(t0 + i as f64) + rate(t0 + i as f64 + 1.0)) / 2.0)
            .sum();
        let got = num(r, "count");
        let tol = 5.0 * expected.sqrt() + 1.0;
        assert!(
            (got - expected).abs() <= tol,
            "interval at {t0}s: {got} arrivals, expected {expected:.0} ± {tol:.0}"
        );
        checked += 1;
    }
    // Arrivals end at 1260 s (rate 0 after), so the run ends there: 63
    // intervals of 20 s.
    assert_eq!(checked, 63, "one row per 20 s interval");
}
