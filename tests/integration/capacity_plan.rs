//! The capacity plan against the simulator: the highest sustainable rate
//! it computes before running is where the bottleneck's queue turns from
//! draining to growing; and `ecsim validate`'s outputs stay machine
//! readable (TOML with the plan as comments, CSV).

use crate::util::*;

/// No cache; two stations. Visits per session (by hand): home 0.5; search
/// 0.5 + 0.5·0.4 = 0.7; view_product 0.3 × 0.7 = 0.21. Search (10 workers
/// × 10 ms constant) needs 7 ms per session: it sustains 10 / 0.007 =
/// 1428.571 sessions/s, the bottleneck (catalog_db: 16 workers / (0.71 ×
/// 5 ms) = 4507 sessions/s). Search has no loop back to itself, so when it
/// is overloaded its arrivals do not wait on its own queue: they come at
/// rate × 0.7 whatever it does.
const TWO_STATIONS: &str = r#"
[scenario]
name = "plan"
duration = "900s"
report_interval = "10s"
[load]
type = "open"
rate = 1.0
[behavior]
start = { home = 0.5, search = 0.5 }
[behavior.transitions]
home = { search = 0.4, leave = 0.6 }
search = { view_product = 0.3, leave = 0.7 }
view_product = { leave = 1.0 }
[cache]
enabled = false
[stations.catalog_db]
workers = 16
service_time = { dist = "exponential", mean = "5ms" }
[stations.search]
workers = 10
service_time = { dist = "constant", value = "10ms" }
"#;

/// `ecsim validate --format csv` of `scenario`, as rows.
fn plan_csv(s: &Scratch, scenario: &std::path::Path) -> Rows {
    let o = run(&[
        "validate",
        scenario.to_str().expect("utf-8"),
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let path = s.path("plan.csv");
    std::fs::write(&path, &o.stdout).expect("write");
    read_csv(&path)
}

#[test]
fn the_plans_sustainable_rate_divides_draining_from_growing_queues() {
    let s = Scratch::new();
    let sc = s.scenario("plan.toml", TWO_STATIONS);
    let plan = plan_csv(&s, &sc);
    let b = row(&plan, "bottleneck", "true");
    assert_eq!(b["station"], "search");
    let max = num(b, "max_sessions_per_s");
    assert!((max - 10.0 / 0.007).abs() < 1e-3, "{max}");

    let at = |factor: f64, out: &str| {
        let rate = format!("load.rate={}", max * factor);
        s.run_ok(&sc, out, &["--set", &rate])
    };
    let stations = |dir: &std::path::Path| read_csv(&dir.join("stations.csv"));
    let end_s = |dir: &std::path::Path| {
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("run.json"))
                .expect("json");
        (j["sim_end_s"].as_f64().expect("sim_end_s"), j)
    };

    // 0.95: stable. Search works at 95% and its queue stays short; the
    // last session ends within seconds of the last arrival.
    let under = at(0.95, "under");
    let rows = stations(&under);
    let search = row(&rows, "station", "search");
    let u = num(search, "utilization");
    assert!((u - 0.95).abs() < 0.01, "utilization {u}");
    let max_q = num(search, "max_queue_len");
    assert!(max_q < 2000.0, "max queue {max_q}");
    let (end, j) = end_s(&under);
    assert!(end < 900.0 + 10.0, "drained at {end} s");
    assert_eq!(j["unstable"].as_array().map_or(0, Vec::len), 0);

    // 1.05: search receives 1.05 × 1000 calls/s and serves 1000/s, so its
    // queue grows by 50/s: 45,000 after 900 s. The watch calls it unstable.
    let over = at(1.05, "over");
    let rows = stations(&over);
    let search = row(&rows, "station", "search");
    let max_q = num(search, "max_queue_len");
    // Search's arrivals are Poisson (945,000 in 900 s) and its departures
    // nearly regular (busy, constant service): the queue's standard
    // deviation is about sqrt(945,000) ≈ 970, 2% of 45,000.
    assert!((max_q / 45_000.0 - 1.0).abs() < 0.10, "max queue {max_q}");
    // The slope of the per-interval mean queue: (λ − cμ) = 50/s.
    let gauges = read_csv(&over.join("gauges.csv"));
    let pts: Vec<(f64, f64)> = gauges
        .iter()
        .filter(|g| g["gauge"] == "queue_len.search")
        .map(|g| (num(g, "t_s"), num(g, "value")))
        .filter(|p| p.0 >= 100.0 && p.0 < 890.0)
        .collect();
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    assert!(
        (slope / 50.0 - 1.0).abs() < 0.10,
        "slope {slope}/s over {n} points"
    );
    let (end, j) = end_s(&over);
    // Draining 45,000 at 1000/s takes about 45 s more.
    assert!(end > 930.0, "ended at {end}");
    assert_eq!(j["unstable"][0]["station"], "search");
}

#[test]
fn validate_appends_the_plan_as_comments_and_the_output_reloads_the_same() {
    let s = Scratch::new();
    let bf = bundled("black_friday");
    let o = run(&["validate", bf.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).expect("utf-8");
    // Still TOML, the plan in comments after it.
    let parsed: Result<toml::Table, _> = text.parse();
    assert!(parsed.is_ok(), "{parsed:?}");
    let plan_at = text.find("# capacity plan").expect("the plan");
    assert!(text[plan_at..].lines().all(|l| l.starts_with('#')));
    assert!(text.contains("# bottleneck: payment"), "{text}");
    assert!(text.contains("OVERLOADED"), "{text}");
    // Validating the output again gives the same output: same scenario.
    let again = s.scenario("again.toml", &text);
    let o2 = run(&["validate", again.to_str().expect("utf-8")]);
    assert_eq!(o2.status.code(), Some(0));
    let text2 = String::from_utf8(o2.stdout).expect("utf-8");
    assert_eq!(text, text2);
    // CSV: a header and one row per station and stage, all of one width.
    let rows = plan_csv(&s, &bf);
    assert_eq!(rows.len(), 9 * 3, "nine stations, three stages");
    assert_eq!(rows.iter().filter(|r| r["bottleneck"] == "true").count(), 3);
    let pay = rows
        .iter()
        .find(|r| r["station"] == "payment" && r["stage"] == "3")
        .expect("payment in stage 3");
    assert!(num(pay, "rho") > 1.0 && pay["overloaded"] == "true");
}
