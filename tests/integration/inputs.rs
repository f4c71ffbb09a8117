//! Calibrated inputs: empirical distributions from an `.hgrm` or a CSV of
//! samples, replayed arrival traces, and the data files a report keeps so
//! it reruns anywhere.

use std::collections::BTreeMap;
use std::path::Path;

use super::util::*;

/// One custom operation `probe` through station `svc` with ample workers:
/// its latency is exactly the service time drawn.
fn probe(duration: &str, rate: f64, service: &str) -> String {
    format!(
        r#"[scenario]
duration = "{duration}"
report_interval = "500s"
[load]
type = "open"
rate = {rate}
[behavior]
start = "probe"
[behavior.transitions]
probe = {{ leave = 1.0 }}
[operations.probe]
route = ["svc"]
[stations.svc]
workers = 1000
service_time = {service}
"#
    )
}

fn summary_of(dir: &Path, op: &str) -> BTreeMap<String, String> {
    row(&read_csv(&dir.join("summary.csv")), "operation", op).clone()
}

#[test]
fn an_hgrm_fed_back_as_a_service_time_reproduces_its_percentiles() {
    // 10⁶ requests of a lognormal (σ = 0.5). The sample p99's relative
    // standard error is √(0.99·0.01/n)·σ/φ(z₀.₉₉) = 0.19% per run, 0.26%
    // between two independent runs: 1% is almost four of them, and the
    // histogram's 3 significant digits add at most 0.1%.
    let s = Scratch::new();
    let first = s.scenario(
        "first.toml",
        &probe(
            "5000s",
            200.0,
            r#"{ dist = "lognormal", median = "20ms", sigma = 0.5 }"#,
        ),
    );
    let a = s.run_ok(&first, "a", &[]);
    std::fs::copy(a.join("histograms/probe.hgrm"), s.path("probe.hgrm")).expect("copy");
    let second = s.scenario(
        "second.toml",
        &probe(
            "5000s",
            200.0,
            r#"{ dist = "empirical", file = "probe.hgrm" }"#,
        ),
    );
    let b = s.run_ok(&second, "b", &["--seed", "99"]);
    let (ra, rb) = (summary_of(&a, "probe"), summary_of(&b, "probe"));
    assert!(num(&ra, "count") > 990_000.0);
    for col in ["p50_ms", "p90_ms", "p99_ms"] {
        let (x, y) = (num(&ra, col), num(&rb, col));
        assert!((y / x - 1.0).abs() < 0.01, "{col}: {x} then {y}");
    }
    // The copy the report keeps is the file read, byte for byte.
    assert_eq!(
        std::fs::read(b.join("data/probe.hgrm")).expect("copy kept"),
        std::fs::read(s.path("probe.hgrm")).expect("original")
    );
}

#[test]
fn csv_samples_are_drawn_each_with_equal_probability() {
    // Samples 1, 2, 3 and 10 ms: the mean is 4 ms and a quarter of the
    // draws are 10 ms. 40,000 draws: the share's standard error is 0.22%.
    let s = Scratch::new();
    std::fs::write(
        s.path("samples.csv"),
        "id,latency_ms\n1,1\n2,2\n3,3\n4,10\n",
    )
    .expect("write");
    let sc = s.scenario(
        "sc.toml",
        &probe(
            "400s",
            100.0,
            r#"{ dist = "empirical", file = "samples.csv", column = "latency_ms", unit = "ms" }"#,
        ),
    );
    let dir = s.run_ok(&sc, "r", &[]);
    let r = summary_of(&dir, "probe");
    let n = num(&r, "count");
    assert!(
        (num(&r, "mean_ms") - 4.0).abs() < 4.0 * 3.67 / n.sqrt(),
        "{r:?}"
    );
    // The histogram holds 3 significant digits.
    assert!((num(&r, "max_ms") / 10.0 - 1.0).abs() < 1e-3, "{r:?}");
    assert!((num(&r, "p50_ms") / 2.0 - 1.0).abs() < 1e-3, "{r:?}");
}

/// A trace of 3000 arrivals at whole milliseconds, in bursts, each naming
/// its first action (`a` or `b`), from a fixed linear congruential stream.
fn trace() -> Vec<(u64, &'static str)> {
    let mut x: u64 = 12345;
    let mut t = 0u64;
    (0..3000)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let gap = if (i / 300) % 2 == 0 { 20 } else { 380 };
            let at = t;
            t += (x >> 33) % gap;
            (
                at,
                if (x >> 20).is_multiple_of(3) {
                    "b"
                } else {
                    "a"
                },
            )
        })
        .collect()
}

fn replay_scenario(s: &Scratch) -> std::path::PathBuf {
    let mut csv = String::from("t,action\n");
    for (ms, op) in trace() {
        csv.push_str(&format!("{}.{:03},{op}\n", ms / 1000, ms % 1000));
    }
    std::fs::write(s.path("arrivals.csv"), csv).expect("write trace");
    s.scenario(
        "replay.toml",
        r#"[scenario]
duration = "1000s"
report_interval = "10s"
[load]
type = "replay"
file = "arrivals.csv"
[behavior]
start = "a"
[behavior.transitions]
a = { leave = 1.0 }
b = { leave = 1.0 }
[operations.a]
route = ["s"]
[operations.b]
route = ["s"]
[stations.s]
workers = 100
service_time = { dist = "constant", value = "1us" }
"#,
    )
}

/// `(interval start, operation) → count` from timeseries.csv.
fn counts(dir: &Path) -> BTreeMap<(u64, String), u64> {
    read_csv(&dir.join("timeseries.csv"))
        .iter()
        .filter(|r| r["operation"] != "ALL" && num(r, "count") > 0.0)
        .map(|r| {
            (
                (num(r, "t_s") as u64, r["operation"].clone()),
                num(r, "count") as u64,
            )
        })
        .collect()
}

#[test]
fn a_replayed_trace_lands_every_arrival_in_its_interval_at_speed_1_and_2() {
    let s = Scratch::new();
    let sc = replay_scenario(&s);
    for speed in [1u64, 2] {
        // Arrivals are whole milliseconds (half ones at speed 2) and each
        // request takes 1 µs, so none completes across an interval's end.
        let mut want: BTreeMap<(u64, String), u64> = BTreeMap::new();
        for (ms, op) in trace() {
            let at_s = ms as f64 / 1000.0 / speed as f64;
            *want
                .entry(((at_s / 10.0).floor() as u64 * 10, op.to_owned()))
                .or_default() += 1;
        }
        let dir = s.run_ok(
            &sc,
            &format!("x{speed}"),
            &["--set", &format!("load.speed={speed}.0")],
        );
        assert_eq!(counts(&dir), want, "speed {speed}");
        let sessions = row(&read_csv(&dir.join("business.csv")), "metric", "sessions").clone();
        assert_eq!(num(&sessions, "value"), 3000.0);
    }
}

#[test]
fn rfc3339_timestamps_replay_like_seconds_from_the_first() {
    let s = Scratch::new();
    let sc = replay_scenario(&s);
    let by_t = s.run_ok(&sc, "t", &[]);
    // The same instants as timestamps in UTC+01:00, starting 2025-11-28.
    let mut csv = String::from("timestamp,action\n");
    for (ms, op) in trace() {
        let (h, m, sec) = (9 + ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
        csv.push_str(&format!(
            "2025-11-28T{h:02}:{m:02}:{sec:02}.{:03}+01:00,{op}\n",
            ms % 1000
        ));
    }
    std::fs::write(s.path("arrivals.csv"), csv).expect("write trace");
    let by_stamp = s.run_ok(&sc, "stamp", &[]);
    // The first arrival of the trace is at 0 ms, so both start at t = 0.
    assert_eq!(trace()[0].0, 0);
    for f in ["summary.csv", "timeseries.csv", "stations.csv"] {
        assert_eq!(
            std::fs::read(by_t.join(f)).expect("read"),
            std::fs::read(by_stamp.join(f)).expect("read"),
            "{f}"
        );
    }
}

#[test]
fn a_report_reruns_from_its_own_data_copies_and_refuses_changed_ones() {
    let s = Scratch::new();
    std::fs::write(s.path("svc.csv"), "ms\n3\n5\n8\n13\n").expect("write");
    let sc = replay_scenario(&s);
    let text = std::fs::read_to_string(&sc).expect("read").replace(
        r#"{ dist = "constant", value = "1us" }"#,
        r#"{ dist = "empirical", file = "svc.csv" }"#,
    );
    let sc = s.scenario("replay.toml", &text);
    let first = s.run_ok(&sc, "first", &[]);
    // Move the report away from the scenario's directory and rerun it.
    let moved = s.path("elsewhere");
    std::fs::create_dir(&moved).expect("mkdir");
    std::fs::rename(&first, moved.join("first")).expect("move");
    let resolved = moved.join("first/scenario.resolved.toml");
    let again = s.run_ok(&resolved, "again", &[]);
    for f in [
        "summary.csv",
        "timeseries.csv",
        "scenario.resolved.toml",
        "data/svc.csv",
        "data/arrivals.csv",
    ] {
        assert_eq!(
            std::fs::read(moved.join("first").join(f)).expect("read"),
            std::fs::read(again.join(f)).expect("read"),
            "{f}"
        );
    }
    let text = std::fs::read_to_string(&resolved).expect("read");
    assert!(text.contains("file = \"data/svc.csv\"\n"), "{text}");
    // A data copy that changed is refused, and nothing is written.
    std::fs::write(moved.join("first/data/svc.csv"), "ms\n3\n5\n8\n14\n").expect("write");
    let out = s.path("refused");
    let o = run(&[
        "run",
        resolved.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("data/svc.csv is not the one this scenario was written with: its SHA-256 is"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Runs `sc` expecting exit 2 and a message naming `want` (the data file
/// and its line); nothing is written.
fn refused(s: &Scratch, sc: &Path, want: &str) {
    let out = s.path("never");
    let o = run(&[
        "run",
        sc.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(want), "want {want:?} in:\n{err}");
    assert!(!out.exists());
}

#[test]
fn malformed_data_files_are_refused_with_their_line() {
    let s = Scratch::new();
    let hgrm = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n       \
                1.000 0.000000000000          1           1.00\n       \
                2.000 0.500000000000          2           2.00\n";
    std::fs::write(s.path("cut.hgrm"), hgrm).expect("write");
    let sc = s.scenario(
        "h.toml",
        &probe("10s", 1.0, r#"{ dist = "empirical", file = "cut.hgrm" }"#),
    );
    refused(
        &s,
        &sc,
        "cut.hgrm:4: the histogram is truncated: its last row is at percentile 0.5",
    );

    std::fs::write(s.path("bad.csv"), "ms\n1.5\n2\nabc\n4\n").expect("write");
    let sc = s.scenario(
        "c.toml",
        &probe("10s", 1.0, r#"{ dist = "empirical", file = "bad.csv" }"#),
    );
    refused(&s, &sc, "bad.csv:4: \"abc\" is not a sample");

    let sc = s.scenario(
        "m.toml",
        &probe(
            "10s",
            1.0,
            r#"{ dist = "empirical", file = "missing.csv" }"#,
        ),
    );
    refused(&s, &sc, "cannot read the data file");

    let sc = replay_scenario(&s);
    std::fs::write(s.path("arrivals.csv"), "t,action\n0.5,a\n2.0,b\n1.0,a\n").expect("write");
    refused(
        &s,
        &sc,
        "arrivals.csv:4: the instants must not decrease: \"1.0\" is before the row above",
    );
    std::fs::write(
        s.path("arrivals.csv"),
        "t,action\n0.5,a\n1.0,checkout_now\n",
    )
    .expect("write");
    refused(
        &s,
        &sc,
        "arrivals.csv:3: unknown action \"checkout_now\": expected one of",
    );
    std::fs::write(s.path("arrivals.csv"), "when,action\n0.5,a\n").expect("write");
    refused(
        &s,
        &sc,
        "arrivals.csv:1: no `t` (seconds) or `timestamp` (RFC 3339) column: the header has when, action",
    );
}

#[test]
fn validate_prints_the_mean_a_percentiles_distribution_implies() {
    // min 10 ms, max 1 s: Q(u) = 10·100ᵘ ms, whose mean is
    // 10·99/ln 100 = 214.97577 ms.
    let s = Scratch::new();
    let text = probe("10s", 1.0, r#"{ dist = "constant", value = "1ms" }"#).replace(
        "[behavior]",
        "think_time = { dist = \"percentiles\", min = \"10ms\", max = \"1s\" }\n[behavior]",
    );
    let sc = s.scenario("v.toml", &text);
    let o = run(&["validate", sc.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).expect("utf-8");
    assert!(
        out.contains("\n# load.think_time: percentiles implies a mean of 214.9758 ms\n"),
        "{out}"
    );
    // Still valid TOML.
    out.parse::<toml::Table>().expect("valid TOML");
}

#[test]
fn the_wall_clock_replays_the_same_sessions_and_first_actions() {
    // 300 s of trace at time scale 0.01: three seconds of real time.
    let s = Scratch::alone();
    let sc = replay_scenario(&s);
    let dir = s.run_ok(&sc, "wall", &["--clock", "wall", "--time-scale", "0.01"]);
    let rows = read_csv(&dir.join("summary.csv"));
    for op in ["a", "b"] {
        let want = trace().iter().filter(|t| t.1 == op).count() as f64;
        assert_eq!(num(row(&rows, "operation", op), "count"), want, "{op}");
    }
}
