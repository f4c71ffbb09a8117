//! The decision commands: replications, compare, sweep.

use std::fs;

use crate::util::*;

/// Checkout-heavy traffic whose payment station saturates with few workers.
const PAY: &str = r#"
# How many payment workers keep checkout p99 under 800 ms?
[scenario]
name = "pay"
duration = "600s"
warmup = "60s"

[load]
type = "open"
rate = 40.0

[behavior]
start = "add_to_cart"
[behavior.transitions]
add_to_cart = { checkout = 1.0 }
checkout = { leave = 1.0 }

[catalog]
stock = { dist = "constant", value = 1000000 }

[payments]
card = { share = 1.0, decline_rate = 0.0, timeout_rate = 0.0 }
wallet = { share = 0.0 }
bank_transfer = { share = 0.0 }
cash_on_delivery = { share = 0.0 }

[stations.payment]
workers = 8
service_time = { dist = "exponential", mean = "150ms" }

[thresholds]
checkout.p99_ms = "< 800"
"#;

#[test]
fn replications_are_identical_whatever_the_thread_count() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", PAY);
    let one = s.run_ok(&sc, "t1", &["--replications", "3", "--threads", "1"]);
    let two = s.run_ok(&sc, "t2", &["--replications", "3", "--threads", "2"]);
    for f in [
        "summary.csv",
        "stations.csv",
        "timeseries.csv",
        "histograms/checkout.hgrm",
    ] {
        assert_eq!(
            fs::read(one.join(f)).expect("a"),
            fs::read(two.join(f)).expect("b"),
            "{f}"
        );
    }
    let summary = read_csv(&one.join("summary.csv"));
    let r = row(&summary, "operation", "checkout");
    let ci = num(r, "p99_ms_ci95");
    assert!(
        ci > 0.0 && ci < num(r, "p99_ms"),
        "a confidence interval of the p99: {ci}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(one.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(run["replications"], 3);
    // One replication is exactly the plain run: no CI, same numbers.
    let plain = s.run_ok(&sc, "plain", &[]);
    let single = s.run_ok(&sc, "single", &["--replications", "1"]);
    assert_eq!(
        fs::read(plain.join("summary.csv")).expect("a"),
        fs::read(single.join("summary.csv")).expect("b")
    );
    assert_eq!(
        row(
            &read_csv(&plain.join("summary.csv")),
            "operation",
            "checkout"
        )["p99_ms_ci95"],
        ""
    );
}

#[test]
fn compare_with_itself_reports_no_change_and_flags_a_slower_candidate() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", &PAY.replace("checkout.p99_ms = \"< 800\"", ""));
    let base = s.run_ok(&sc, "base", &[]);
    let b = base.to_str().expect("utf-8");
    let o = run(&[
        "compare",
        b,
        b,
        "--format",
        "csv",
        "--fail-if",
        "checkout.p99_ms > +1%",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(rows.len() > 20, "every shared metric is listed");
    assert!(
        rows.iter().all(|r| r.split(',').nth(3) == Some("0")),
        "zero changes:\n{text}"
    );

    // Fewer payment workers: slower checkout.
    let cand = s.run_ok(&sc, "cand", &["--set", "stations.payment.workers=7"]);
    let c = cand.to_str().expect("utf-8");
    let o = run(&[
        "compare",
        b,
        c,
        "--fail-if",
        "checkout.p99_ms > +10%",
        "--fail-if",
        "ALL.error_rate > +0.005",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("regression: checkout.p99_ms > +10%"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("error_rate"),
        "error rate did not regress: {stderr}"
    );
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("stations.payment.workers") && l.contains("-1")),
        "{table}"
    );

    let o = run(&["compare", b, c, "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "no rules, no regression");
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("| metric | base | candidate |"));
}

#[test]
fn compare_usage_errors_exit_2() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", PAY);
    let base = s.run_ok(&sc, "base", &[]);
    let b = base.to_str().expect("utf-8");
    let missing = s.path("nothing");
    let o = run(&["compare", b, missing.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an ecsim report directory"));
    let o = run(&["compare", b, b, "--fail-if", "checkout.p99_ms is slow"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["compare", b, b, "--fail-if", "nosuch.p99_ms > +1%"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not in both reports"));
}

#[test]
fn sweep_writes_one_row_per_point_and_finds_the_cheapest_passing_one() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", PAY);
    let out = s.path("sweep");
    let o = run(&[
        "sweep",
        sc.to_str().expect("utf-8"),
        "--vary",
        "stations.payment.workers=7,8,10,12",
        "--cost",
        "stations.payment.workers",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = read_csv(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 4);
    let p99: Vec<f64> = rows.iter().map(|r| num(r, "checkout.p99_ms")).collect();
    // Common random numbers: every point sees the same customers, so the
    // p99 can only fall as workers are added, down to the service time's.
    assert!(
        p99.windows(2).all(|w| w[1] <= w[0]) && p99[3] < p99[0] * 0.9,
        "p99 falls as workers rise: {p99:?}"
    );
    assert_eq!(
        rows[0]["pass"], "false",
        "7 workers at 6 erlangs queue too much"
    );
    let first_pass = rows
        .iter()
        .find(|r| r["pass"] == "true")
        .expect("some point passes");
    assert!(
        stdout.contains(&format!(
            "cheapest point passing every threshold: {}",
            first_pass["point"]
        )),
        "{stdout}"
    );
    for r in &rows {
        assert!(out.join(&r["point"]).join("summary.csv").exists());
    }
}

#[test]
fn sweep_checks_every_point_before_running() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", PAY);
    let out = s.path("sweep");
    let o = run(&[
        "sweep",
        sc.to_str().expect("utf-8"),
        "--vary",
        "stations.payment.workers=8,0",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("point stations.payment.workers=0")
            && stderr.contains("`workers` must be at least 1"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
}
