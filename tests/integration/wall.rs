//! The wall clock and stress: real concurrent services, honest latency.

use std::fs;
use std::path::PathBuf;

use ecsim::contract::ErrorKind;
use ecsim::contract::action::Op;
use ecsim::engine::Engine;
use ecsim::metrics::StationStats;
use ecsim::metrics::result::RunResult;
use ecsim::model::ModelOnly;
use ecsim::scenario::{Scenario, load_str};

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

/// Three stations, one policy each, and a route that leaves calls
/// orphaned, at 50 sessions a second of one request.
const POLICIES: &str = r#"
[scenario]
duration = "60s"
seed = 7
[load]
type = "open"
rate = 50.0
[behavior]
start = { l = 0.24, s = 0.3, f = 0.26, o = 0.2 }
[behavior.transitions]
l = { leave = 1.0 }
s = { leave = 1.0 }
f = { leave = 1.0 }
o = { leave = 1.0 }
[operations.l]
route = ["lifo_st"]
[operations.s]
route = ["shed_st"]
[operations.f]
route = ["fail_st"]
[operations.o]
route = [{ parallel = [["fast"], ["slow"]], wait = "any" }]
[stations.lifo_st]
workers = 1
service_time = { dist = "exponential", mean = "100ms" }
discipline = "lifo"
timeout = "1s"
[stations.shed_st]
workers = 1
service_time = { dist = "constant", value = "100ms" }
max_wait = "200ms"
[stations.fail_st]
workers = 100
service_time = { dist = "constant", value = "10ms" }
fail_rate = 0.3
[stations.fast]
workers = 100
service_time = { dist = "constant", value = "10ms" }
[stations.slow]
workers = 100
service_time = { dist = "constant", value = "100ms" }
"#;

fn policies(text: &str) -> Scenario {
    match load_str("t.toml", "t", text, &[], None) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

fn errors_of(sc: &Scenario, r: &RunResult, op: &str, kind: ErrorKind) -> u64 {
    let i = (0..sc.op_count())
        .find(|&i| sc.op_name(Op(i as u16)) == op)
        .unwrap_or_else(|| panic!("no operation {op}"));
    r.ops[i].errors_by_kind[kind.index()]
}

fn stats<'a>(r: &'a RunResult, name: &str) -> &'a StationStats {
    &r.stations
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no station {name}"))
        .stats
}

fn mean_wait_s(s: &StationStats) -> f64 {
    s.wait_sum_ns as f64 / s.waited() as f64 / 1e9
}

#[test]
fn station_policies_work_on_the_wall_clock_as_on_the_virtual_one() {
    let _cpu = Scratch::alone();
    let sc = policies(POLICIES);
    let (w, _) = crate::two_clocks::on_the_wall(&sc, ModelOnly, 0.05);
    let v = Engine::new(&sc, ModelOnly).run(&mut |_| true);
    let fifo = policies(&POLICIES.replace("\"lifo\"", "\"fifo\""));
    let v_fifo = Engine::new(&fifo, ModelOnly).run(&mut |_| true);

    // fail_rate: the same draws from the same streams, so the very same
    // failures; and 30% of the calls within 4 binomial deviations.
    let failed = errors_of(&sc, &w, "f", ErrorKind::Failed);
    assert_eq!(failed, errors_of(&sc, &v, "f", ErrorKind::Failed));
    let n = stats(&w, "fail_st").served as f64;
    let sd = (n * 0.3 * 0.7).sqrt();
    assert!(
        (failed as f64 - 0.3 * n).abs() < 4.0 * sd,
        "{failed} of {n}"
    );

    // max_wait: requests are shed, about as many as on the virtual clock,
    // and no request served had waited 200 ms (the histogram rounds up
    // by 1%).
    let shed = errors_of(&sc, &w, "s", ErrorKind::Shed) as f64;
    let v_shed = errors_of(&sc, &v, "s", ErrorKind::Shed) as f64;
    assert!(
        shed > 100.0 && (shed / v_shed - 1.0).abs() < 0.2,
        "{shed} vs {v_shed}"
    );
    let longest = stats(&w, "shed_st").wait.max();
    assert!(
        longest < 202_000_000,
        "a served request waited {longest} ns"
    );

    // LIFO: under overload with a 1 s timeout, the served requests are the
    // fresh ones, so the waits are far shorter than FIFO's.
    let (lifo_w, lifo_v) = (
        mean_wait_s(stats(&w, "lifo_st")),
        mean_wait_s(stats(&v, "lifo_st")),
    );
    let fifo_v = mean_wait_s(stats(&v_fifo, "lifo_st"));
    assert!(
        fifo_v > 1.5 * lifo_v,
        "FIFO {fifo_v:.3} s, LIFO {lifo_v:.3} s"
    );
    assert!(
        (lifo_w / lifo_v - 1.0).abs() < 0.2,
        "LIFO: wall {lifo_w:.3} s, virtual {lifo_v:.3} s"
    );

    // arrivals: every call, served or not.
    let st = |name: &str| stats(&w, name);
    assert_eq!(
        st("lifo_st").arrivals,
        st("lifo_st").served + st("lifo_st").timed_out
    );
    assert_eq!(st("shed_st").arrivals, st("shed_st").served + shed as u64);
    assert_eq!(st("fail_st").arrivals, st("fail_st").served);
    assert_eq!(w.left_in_queues, 0);

    // The slow branch of `o` runs on for nobody: its service is wasted,
    // as measured (a little more than the virtual clock's 100 ms each).
    let slow = st("slow");
    let (wasted, each) = (slow.wasted_ns as f64, 100e6 * slow.served as f64);
    assert!(
        wasted > 0.999 * each && wasted < 1.1 * each,
        "{wasted} ns for {each} ns"
    );
    assert_eq!(stats(&v, "slow").wasted_ns as f64, each);
    // The fast branch wins, so its service is wasted only when a busy
    // machine delays it past the slow one's (0.5 ms against 5 ms wall).
    assert_eq!(stats(&v, "fast").wasted_ns, 0);
    assert!(
        st("fast").wasted_ns < slow.wasted_ns / 20,
        "fast {} ns wasted",
        st("fast").wasted_ns
    );
}
