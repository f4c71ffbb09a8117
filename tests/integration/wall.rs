//! The wall clock and stress: real concurrent services, honest latency.

use std::fs;
use std::path::PathBuf;

use crate::util::*;

fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

fn run_json(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(dir.join("run.json")).expect("run.json"))
        .expect("json")
}

fn invariants_hold(dir: &std::path::Path) {
    for r in read_csv(&dir.join("invariants.csv")) {
        assert_eq!(
            r["violations"],
            "0",
            "{} {} violated in {}",
            r["invariant"],
            r["name"],
            dir.display()
        );
    }
}

#[test]
fn mmc_on_the_wall_clock_agrees_with_erlang_c() {
    let s = Scratch::alone();
    let sc = s.scenario("mm4.toml", MM4);
    let dir = s.run_ok(&sc, "wall", &["--clock", "wall", "--time-scale", "0.01"]);
    let w = 1.0 + erlang_c(4, 2.4) / (4.0 - 2.4);
    let summary = read_csv(&dir.join("summary.csv"));
    let mean = num(row(&summary, "operation", "view_product"), "mean_ms") / 1e3;
    // ~1800 customers: the sample mean's standard error is about 4%, and
    // the wall clock's own overhead (timer, scheduling) adds about 2%.
    assert!(
        (mean / w - 1.0).abs() < 0.10,
        "wall mean sojourn {mean:.4} s vs Erlang C {w:.4} s"
    );
    let run = run_json(&dir);
    assert_eq!(run["clock"], "wall");
    assert!(
        run["wall"]["schedule_lag_p99_ms"].as_f64().expect("lag") < 20.0,
        "the generator keeps up: {run}"
    );
}

#[test]
fn wall_runs_of_bundled_scenarios_keep_every_invariant() {
    let s = Scratch::alone();
    for (name, scale) in [
        ("ci_smoke", "0.01"),
        ("flash_sale", "0.002"),
        ("payment_outage", "0.002"),
    ] {
        let dir = s.run_ok(
            &bundled(name),
            name,
            &["--clock", "wall", "--time-scale", scale],
        );
        invariants_hold(&dir);
        // Same files and columns as a virtual run.
        for f in [
            "summary.csv",
            "stations.csv",
            "cache.csv",
            "errors.csv",
            "timeseries.csv",
            "business.csv",
            "invariants.csv",
        ] {
            assert!(dir.join(f).exists(), "{name}: {f}");
        }
        assert!(
            num(
                row(
                    &read_csv(&dir.join("business.csv")),
                    "metric",
                    "orders_placed"
                ),
                "value"
            ) > 0.0
        );
    }
}

#[test]
fn stress_on_hot_skus_keeps_every_invariant() {
    let s = Scratch::alone();
    let out = s.path("stress");
    let o = run(&[
        "stress",
        bundled("flash_sale").to_str().expect("utf-8"),
        "--tasks",
        "128",
        "--threads",
        "2",
        "--for",
        "2s",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    invariants_hold(&out);
    let run = run_json(&out);
    assert_eq!(run["clock"], "stress");
    assert!(
        run["wall"]["inventory_lock_acquisitions"]
            .as_u64()
            .expect("locks")
            > 1000
    );
    let summary = read_csv(&out.join("summary.csv"));
    assert!(
        num(row(&summary, "operation", "checkout"), "throughput_per_s") > 100.0,
        "checkouts per second"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("stress: 128 tasks"));
}

#[test]
fn a_stalled_generator_shows_in_the_latencies() {
    let s = Scratch::alone();
    let sc = s.scenario(
        "mm4.toml",
        &MM4.replace("duration = \"800s\"", "duration = \"300s\""),
    );
    let calm = s.run_ok(&sc, "calm", &["--clock", "wall", "--time-scale", "0.01"]);
    // At model 150 s the generator blocks for 400 ms of wall time (40 s of
    // model time): arrivals due meanwhile start late, and their latency,
    // measured from when they were due, must include the wait.
    let stalled = s.run_ok(
        &sc,
        "stalled",
        &[
            "--clock",
            "wall",
            "--time-scale",
            "0.01",
            "--inject-stall",
            "150s:400ms",
        ],
    );
    let max = |d: &std::path::Path| {
        num(
            row(
                &read_csv(&d.join("summary.csv")),
                "operation",
                "view_product",
            ),
            "max_ms",
        )
    };
    assert!(
        max(&calm) < 20_000.0,
        "no stall, no 20 s latencies: {}",
        max(&calm)
    );
    assert!(
        max(&stalled) > 35_000.0,
        "the stall's 40 s are in the latencies: {}",
        max(&stalled)
    );
    let run = run_json(&stalled);
    assert!(
        run["wall"]["late_starts"].as_u64().expect("late") > 10,
        "{run}"
    );
    assert!(
        run["wall"]["schedule_lag_max_ms"].as_f64().expect("lag") > 350.0,
        "{run}"
    );
}

#[test]
fn wall_clock_options_are_checked() {
    let sc = bundled("ci_smoke");
    let sc = sc.to_str().expect("utf-8");
    for (args, fragment) in [
        (
            vec!["run", sc, "--clock", "wall", "--time-scale", "0"],
            "--time-scale must be",
        ),
        (
            vec!["run", sc, "--clock", "wall", "--replications", "2"],
            "replications need the virtual clock",
        ),
        (
            vec!["stress", sc, "--for", "ten"],
            "--for: invalid duration",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(fragment),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
